/* SPDX-License-Identifier: MIT */
/* recipe: the public entry points of the recipe engine (see plan.h).
 *
 * One compilation reads the file (bounded by the YAML size limit), builds
 * the node tree, decodes it strictly, runs the parse-time phase and, when
 * the model is sound (no type errors; unknown keys alone do not stop it),
 * the compile-time phase for the requested architecture.  Every problem
 * is recorded; the plan is returned only if there was no error.  Also
 * here: the architecture table (apko's triplets) and the built-in pipeline
 * directory lookup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/util.h"
#include "recipe/internal.h"

#ifndef BD_DATADIR
#define BD_DATADIR "/usr/local/share/builderd"
#endif

/* apko pkg/build/types/arch.go: ToAPK, ToTriplet, ToRustTriplet */
static const struct bd_arch arches[] = {
	{ "x86_64", "amd64", "x86_64-pc-linux-gnu", "x86_64-pc-linux-musl",
	  "x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl" },
	{ "aarch64", "arm64", "aarch64-unknown-linux-gnu", "aarch64-unknown-linux-musl",
	  "aarch64-unknown-linux-gnu", "aarch64-unknown-linux-musl" },
	{ "x86", "386", "i486-pc-linux-gnu", "i486-pc-linux-musl", "i686-unknown-linux-gnu",
	  "i686-unknown-linux-musl" },
	{ "armhf", "arm/v6", "arm-unknown-linux-gnueabihf", "arm-unknown-linux-musleabihf",
	  "armv6-unknown-linux-gnueabihf", "armv6-unknown-linux-musleabihf" },
	{ "armv7", "arm/v7", "armv7l-unknown-linux-gnueabihf", "armv7l-unknown-linux-musleabihf",
	  "armv7-unknown-linux-gnueabihf", "armv7-unknown-linux-musleabihf" },
	{ "ppc64le", "ppc64le", "powerpc64le-unknown-linux-gnu", "powerpc64le-unknown-linux-musl",
	  "powerpc64le-unknown-linux-gnu", "powerpc64le-unknown-linux-musl" },
	{ "s390x", "s390x", "s390x-ibm-linux-gnu", "s390x-ibm-linux-musl",
	  "s390x-unknown-linux-gnu", "s390x-unknown-linux-musl" },
	{ "riscv64", "riscv64", "riscv64-unknown-linux-gnu", "riscv64-unknown-linux-musl",
	  "riscv64-unknown-linux-gnu", "riscv64-unknown-linux-musl" },
};

const struct bd_arch *
bd_arch_lookup(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < BD_ARRAY_SIZE(arches); i++)
		if (!strcmp(name, arches[i].apk) || !strcmp(name, arches[i].oci))
			return &arches[i];
	return NULL;
}

const char *
bd_recipe_arch(const char *name)
{
	const struct bd_arch *a = bd_arch_lookup(name);

	return a ? a->apk : NULL;
}

const char *
bd_recipe_host_arch(void)
{
	static const char *const map[][2] = {
		{ "x86_64", "x86_64" },   { "aarch64", "aarch64" }, { "arm64", "aarch64" },
		{ "i386", "x86" },        { "i486", "x86" },        { "i586", "x86" },
		{ "i686", "x86" },        { "armv7l", "armv7" },    { "armv6l", "armhf" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },     { "riscv64", "riscv64" },
	};
	struct utsname u;

	if (uname(&u) == 0)
		for (size_t i = 0; i < BD_ARRAY_SIZE(map); i++)
			if (!strcmp(u.machine, map[i][0]))
				return map[i][1];
	return "x86_64";
}

static bool
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
bd_recipe_builtin_dir(void)
{
	static char dir[PATH_MAX];
	static bool done;
	const char *env = getenv("BUILDERD_PIPELINE_DIR");

	if (env && *env)
		return env;
	if (done)
		return dir;
	done = true;
	/* running from the build tree: build/bin/builderctl -> ./pipelines */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			char cand[PATH_MAX + 32];
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/../../pipelines", exe);
			if (is_dir(cand) && realpath(cand, dir))
				return dir;
		}
	}
	snprintf(dir, sizeof(dir), "%s/pipelines", BD_DATADIR);
	return dir;
}

void
bd_plan_free(struct bd_plan *plan)
{
	if (!plan)
		return;
	struct bd_arena *pa = plan->priv;
	bd_arena_free(pa);
	free(pa);
	free(plan);
}

char **
bd_plan_step_envp(const struct bd_plan_step *step)
{
	size_t bytes = (step->env.n + 1) * sizeof(char *);

	for (size_t i = 0; i < step->env.n; i++)
		bytes += strlen(step->env.v[i].key) + strlen(step->env.v[i].value) + 2;
	char **envp = bd_xmalloc(bytes);
	char *p = (char *)(envp + step->env.n + 1);
	for (size_t i = 0; i < step->env.n; i++) {
		envp[i] = p;
		p += sprintf(p, "%s=%s", step->env.v[i].key, step->env.v[i].value) + 1;
	}
	envp[step->env.n] = NULL;
	return envp;
}

static char *
side_dir(struct bd_arena *pa, const char *file, const char *pkg)
{
	const char *slash = strrchr(file, '/');
	char *cand;

	if (!pkg || !*pkg || strchr(pkg, '/'))
		return NULL;
	if (slash)
		cand = bd_arena_printf(pa, "%.*s/%s", (int)(slash - file), file, pkg);
	else
		cand = bd_arena_printf(pa, "%s", pkg);
	return is_dir(cand) ? cand : NULL;
}

/* The first error (by position) added since @from, for @err. */
static void
summarize(const struct bd_diags *d, size_t from, size_t nerr, struct bd_err *err)
{
	const struct bd_diag *first = NULL;
	char msg[BD_ERR_MSG_MAX];

	for (size_t i = from; i < d->n; i++)
		if (d->v[i].severity == BD_DIAG_ERROR) {
			first = &d->v[i];
			break;
		}
	if (!first) {
		bd_err_setx(err, EINVAL, "recipe has errors");
		return;
	}
	bd_diag_format(first, msg, sizeof(msg));
	if (nerr > 1)
		bd_err_setx(err, EINVAL, "%s (and %zu more problems)", msg, nerr - 1);
	else
		bd_err_setx(err, EINVAL, "%s", msg);
}

static int
compile_buf(const char *name, const char *buf, size_t len, const struct bd_recipe_opts *opts,
            struct bd_plan **out, struct bd_err *err)
{
	struct bd_recipe_opts o = opts ? *opts : (struct bd_recipe_opts){ 0 };
	struct bd_diags own = { 0 };
	struct bd_diags *d = o.diags ? o.diags : &own;
	size_t from = d->n, errs0 = d->n_errors;
	struct recipe *r = bd_xcalloc(1, sizeof(*r));
	int rc = 0;

	*out = NULL;
	r->o = &o;
	r->d = d;
	r->arch = bd_arch_lookup(o.arch ? o.arch : bd_recipe_host_arch());
	if (!r->arch) {
		free(r);
		return bd_err_setx(err, EINVAL, "unknown architecture \"%s\"", o.arch);
	}
	r->builtin_dir = o.builtin_dir ? o.builtin_dir : bd_recipe_builtin_dir();
	r->cache = o.cache ? o.cache : bd_pipeline_cache_new();

	if (bd_yaml_parse(&r->a, name, buf, len, o.limits, &r->doc, d) == 0) {
		struct decode_ctx dc = { .a = &r->a, .doc = &r->doc, .d = d };
		bd_decode_config(&dc, r->doc.root, &r->cfg);
		r->errors += dc.errors + dc.unknown_keys;
		/* type errors leave holes that would only produce noise later;
		 * unknown keys are reported and otherwise ignored */
		if (!dc.errors) {
			struct bd_plan *pl = bd_xcalloc(1, sizeof(*pl));
			struct bd_arena *pa = bd_xcalloc(1, sizeof(*pa));
			pl->priv = pa;
			r->plan = pl;
			r->pa = pa;
			bd_config_prepare(r);
			pl->file = bd_arena_strdup(pa, name);
			pl->arch = bd_arena_strdup(pa, r->arch->apk);
			pl->source_dir = side_dir(pa, name, r->cfg.package.name.s);
			bd_compile(r);
		}
	}
	size_t nerr = d->n_errors - errs0;
	if (nerr) {
		bd_diags_sort(d);
		summarize(d, from, nerr, err);
		bd_plan_free(r->plan);
		rc = -EINVAL;
	} else {
		*out = r->plan;
	}
	bd_strmap_free(&r->pvars);
	bd_strmap_free(&r->cvars);
	if (!o.cache)
		bd_pipeline_cache_free(r->cache);
	bd_arena_free(&r->a);
	free(r);
	bd_diags_free(&own);
	return rc;
}

int
bd_recipe_compile_buffer(const char *name, const char *buf, size_t len,
                         const struct bd_recipe_opts *opts, struct bd_plan **out,
                         struct bd_err *err)
{
	return compile_buf(name, buf, len, opts, out, err);
}

int
bd_recipe_compile_file(const char *path, const struct bd_recipe_opts *opts, struct bd_plan **out,
                       struct bd_err *err)
{
	const struct bd_yaml_limits *lim = opts ? opts->limits : NULL;
	size_t max = lim && lim->max_bytes ? lim->max_bytes : BD_YAML_MAX_BYTES;
	struct bd_buf buf = { 0 };
	int fd, r;
	struct stat st;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (opts && opts->diags)
			bd_diags_add(opts->diags, BD_DIAG_ERROR, path, 0, 0, "cannot read: %s",
			             strerror(e));
		return bd_err_set(err, e, "%s", path);
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		const char *why = !S_ISREG(st.st_mode) ? "not a regular file" : NULL;
		if (opts && opts->diags) {
			if (why)
				bd_diags_add(opts->diags, BD_DIAG_ERROR, path, 0, 0, "%s", why);
			else
				bd_diags_add(opts->diags, BD_DIAG_ERROR, path, 1, 1,
				             "file is %lld bytes, larger than the limit of %zu",
				             (long long)st.st_size, max);
		}
		if (why)
			return bd_err_setx(err, EINVAL, "%s: %s", path, why);
		return bd_err_setx(err, EFBIG,
		                   "%s:1:1: file is %lld bytes, larger than the limit of %zu", path,
		                   (long long)st.st_size, max);
	}
	r = bd_read_all(fd, max, &buf, path, err);
	close(fd);
	if (r < 0) {
		if (opts && opts->diags)
			bd_diags_add(opts->diags, BD_DIAG_ERROR, path, 0, 0, "%s", err->msg);
		bd_buf_free(&buf);
		return r;
	}
	r = compile_buf(path, buf.data ? buf.data : "", buf.len, opts, out, err);
	bd_buf_free(&buf);
	return r;
}
