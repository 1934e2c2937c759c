/* SPDX-License-Identifier: MIT */
/* depscan: generated depends and provides of a build's packages (melange's
 * SCA; rules in recipe-format.md section 6.3).
 *
 * Facts from melange, read in pkg/sca/sca.go (Analyze and its generators)
 * and pkg/build/package.go (GenerateDependencies, removeSelfProvidedDeps);
 * the code here is ours.  Where we differ from melange on purpose, the
 * comment says so and docs/apk.md ("Automatic dependencies") lists it.
 *
 * Safety: the tree is the output of an untrusted build.  It is walked with
 * fstatat(AT_SYMLINK_NOFOLLOW) and openat(O_NOFOLLOW) from the root dirfd,
 * as apk/pack.c does; files are opened O_NONBLOCK (a FIFO never blocks us)
 * and must still be the regular file the walk saw; symlinks are read, never
 * followed, and "resolved" only lexically against the walked tree, with a
 * hop limit.  Every read is bounded: 256 bytes for a shebang, 1 MiB for a
 * .pc file, 64 KiB for an ld.so.conf.d file, the ELF reader's own limits. */
#include "apk/depscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/elf.h"
#include "apk/pkginfo.h"
#include "apk/version.h"
#include "common/cleanup.h"

#define DEFAULT_MAX_ENTRIES 1000000
#define DEFAULT_MAX_DEPTH 256
#define HEAD_BYTES 256u             /* the kernel's BINPRM_BUF_SIZE: a shebang line */
#define PC_MAX_FILE (1u << 20)      /* .pc file */
#define PC_MAX_VALUE (64u << 10)    /* one expanded .pc value */
#define PC_MAX_VARS 4096u           /* variables in one .pc file */
#define LDCONF_MAX_FILE (64u << 10) /* one ld.so.conf.d file */
#define SYMLINK_HOPS 40             /* as the kernel's MAXSYMLINKS */
#define DEP_NAME_MAX 250            /* bd_apk_dep holds 255 name bytes */
#define MAX_WARNINGS 1000           /* kept per scan; a line says when more were dropped */
#define MAX_LD_DIRS 256             /* library directories from one package's ld.so.conf.d */
#define RESOLVE_BUDGET (64u << 20)  /* path bytes and steps for all symlink resolutions */

/* melange sca.go LibDirs and BinDirs (a file directly in one of them) */
static const char *const lib_dirs[] = { "lib", "usr/lib", "lib64", "usr/lib64" };
static const char *const bin_dirs[] = { "bin", "sbin", "usr/bin", "usr/sbin" };
/* generatePkgConfigDeps: .pc files here are provided, elsewhere vendored */
static const char *const pc_dirs[] = { "usr/local/lib/pkgconfig", "usr/local/share/pkgconfig",
	                               "usr/lib/pkgconfig", "usr/lib64/pkgconfig",
	                               "usr/share/pkgconfig" };
/* generateShbangDeps: scripts under these prefixes (any depth) */
static const char *const shebang_dirs[] = { "usr/bin/", "usr/local/bin/", "usr/local/sbin/" };
/* getShbang: interpreters nothing in a package provides as cmd: */
static const char *const shebang_ignored[] = { "python3", "python", "sh", "awk", "luajit" };
/* isHostProvidedLibrary: NVIDIA driver libraries injected by the host;
 * never depended on, never provided */
static const char *const host_libs[] = {
	"libEGL_nvidia.so.1",
	"libGLESv1_CM_nvidia.so.1",
	"libGLESv2_nvidia.so.1",
	"libGLX_nvidia.so.1",
	"libcuda.so.1",
	"libcudadebugger.so.1",
	"libnvcuvid.so.1",
	"libnvidia-allocator.so.1",
	"libnvidia-cfg.so.1",
	"libnvidia-eglcore.so.1",
	"libnvidia-encode.so.1",
	"libnvidia-fbc.so.1",
	"libnvidia-glcore.so.1",
	"libnvidia-glsi.so.1",
	"libnvidia-glvkspirv.so.1",
	"libnvidia-gpucomp.so.1",
	"libnvidia-ml.so.1",
	"libnvidia-ngx.so.1",
	"libnvidia-nvvm.so.1",
	"libnvidia-opencl.so.1",
	"libnvidia-opticalflow.so.1",
	"libnvidia-pkcs11-openssl3.so.1",
	"libnvidia-pkcs11.so.1",
	"libnvidia-ptxjitcompiler.so.1",
	"libnvidia-rtcore.so.1",
	"libnvidia-tls.so.1",
	"libnvoptix.so.1",
};

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Go's filepath.Base: trailing slashes ignored, "" -> ".", all slashes -> "/" */
static const char *
base_of(const char *p, char *buf, size_t size)
{
	size_t n = strlen(p);
	const char *s;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 0)
		return ".";
	if (n == 1 && p[0] == '/')
		return "/";
	s = memrchr(p, '/', n);
	s = s ? s + 1 : p;
	snprintf(buf, size, "%.*s", (int)(n - (size_t)(s - p)), s);
	return buf;
}

/* The directory part of a relative path ("" for a top-level entry). */
static size_t
dir_len(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? (size_t)(s - path) : 0;
}

/* Is @path directly inside one of @dirs (no trailing slashes)? */
static bool
directly_in(const char *path, const char *const *dirs, size_t n)
{
	size_t dl = dir_len(path);

	for (size_t i = 0; i < n; i++)
		if (strlen(dirs[i]) == dl && memcmp(path, dirs[i], dl) == 0)
			return true;
	return false;
}

/* A name apk can carry in a dependency or provide: printable ASCII without
 * the operator characters or '@' (which would start a repository tag), not
 * starting with '!', and short enough for apk's name field. */
static bool
dep_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DEP_NAME_MAX || s[0] == '!')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("<>=~@", c))
			return false;
	}
	return true;
}

static void warn(struct bd_strv *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn(struct bd_strv *w, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	/* a hostile tree can make every file a warning: keep the first ones */
	if (w->n > MAX_WARNINGS)
		return;
	if (w->n == MAX_WARNINGS) {
		bd_strv_push(w, "(more warnings were dropped)");
		return;
	}
	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);
	bd_strv_push_owned(w, bd_xasprintf("%s: %s", path, msg));
	free(msg);
}

/* Push "<prefix><name>[=<ver>]" if <prefix><name> is a usable name;
 * otherwise note it in @warnings (against @path) and skip it. */
static void
push_item(struct bd_strv *sv, const char *prefix, const char *name, const char *ver,
          struct bd_strv *warnings, const char *path)
{
	_cleanup_free_ char *full = bd_xasprintf("%s%s", prefix, name);

	if (!*name || !dep_name_ok(full)) {
		warn(warnings, path, "'%.80s' is not usable as an apk name; skipped", full);
		return;
	}
	if (ver)
		bd_strv_push_owned(sv, bd_xasprintf("%s=%s", full, ver));
	else
		bd_strv_push_owned(sv, bd_steal_ptr(&full));
}

static void
strv_copy(struct bd_strv *dst, const struct bd_strv *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		bd_strv_push(dst, src->v[i]);
}

static void
strv_sort_unique(struct bd_strv *sv)
{
	size_t k = 0;

	bd_strv_sort(sv);
	for (size_t i = 0; i < sv->n; i++) {
		if (k > 0 && strcmp(sv->v[k - 1], sv->v[i]) == 0) {
			free(sv->v[i]);
			continue;
		}
		sv->v[k++] = sv->v[i];
	}
	sv->n = k;
	if (sv->v)
		sv->v[k] = NULL;
}

static void
strv_drop_prefix(struct bd_strv *sv, const char *prefix)
{
	size_t k = 0;

	for (size_t i = 0; i < sv->n; i++) {
		if (bd_str_has_prefix(sv->v[i], prefix)) {
			free(sv->v[i]);
			continue;
		}
		sv->v[k++] = sv->v[i];
	}
	sv->n = k;
	if (sv->v)
		sv->v[k] = NULL;
}

/* ------------------------------------------------------------ shebangs */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int
bd_apk_shebang_cmd(const char *head, size_t n, char **cmd, struct bd_err *err)
{
	const char *tok[3];
	size_t tlen[3], ntok = 0, i = 2;
	const char *end;
	const char *bin, *b;
	size_t blen;
	char buf[HEAD_BYTES + 1], base[HEAD_BYTES + 1];

	*cmd = NULL;
	if (n < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	/* the first line, as the kernel reads it: up to a newline or a NUL,
	 * within BINPRM_BUF_SIZE bytes (melange reads 80) */
	if (n > HEAD_BYTES)
		n = HEAD_BYTES;
	end = memchr(head, '\n', n);
	n = end ? (size_t)(end - head) : n;
	end = memchr(head, '\0', n);
	n = end ? (size_t)(end - head) : n;
	/* strings.Fields over the first line; three tokens are all we need */
	while (i < n && ntok < 3) {
		while (i < n && is_space(head[i]))
			i++;
		if (i == n)
			break;
		tok[ntok] = head + i;
		while (i < n && !is_space(head[i]))
			i++;
		tlen[ntok] = (size_t)(head + i - tok[ntok]);
		ntok++;
	}
	if (ntok == 0)
		return 0;
	bin = tok[0];
	blen = tlen[0];
	if (blen == 12 && memcmp(bin, "/usr/bin/env", 12) == 0) {
		/* getShbang: "env x" runs x, "env -S x ..." splits and runs x;
		 * anything else through env is reported.  "-Sx" (the argument
		 * glued to -S, as env -S accepts) is also understood here. */
		if (ntok == 1)
			return bd_err_setx(err, EINVAL, "a shebang of only '/usr/bin/env'");
		if (tok[1][0] != '-' && ntok == 2) {
			bin = tok[1];
			blen = tlen[1];
		} else if (tlen[1] == 2 && memcmp(tok[1], "-S", 2) == 0 && ntok == 3 &&
		           tok[2][0] != '-') {
			bin = tok[2];
			blen = tlen[2];
		} else if (tlen[1] > 2 && memcmp(tok[1], "-S", 2) == 0 && tok[1][2] != '-') {
			bin = tok[1] + 2;
			blen = tlen[1] - 2;
		} else {
			return bd_err_setx(
			    err, EINVAL,
			    "a shebang running '/usr/bin/env' with arguments it cannot "
			    "run as one command: '%.*s'",
			    (int)n - 2, head + 2);
		}
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)blen, bin);
	b = base_of(buf, base, sizeof(base));
	if (in_list(b, shebang_ignored, BD_ARRAY_SIZE(shebang_ignored)) || strcmp(b, "/") == 0 ||
	    strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return 0;
	*cmd = bd_xstrdup(b);
	return 0;
}

/* ------------------------------------------------------------ pkg-config */

struct pc_vars {
	char **name, **value;
	size_t n;
	size_t *slot; /* open addressing over indices + 1; 0 = empty */
	size_t cap;
};

static size_t
fnv1a(const char *s, size_t n)
{
	size_t h = 1469598103934665603ull & SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * (1099511628211ull & SIZE_MAX);
	return h;
}

static const char *
pc_get(const struct pc_vars *v, const char *name, size_t n)
{
	if (!v->cap)
		return NULL;
	for (size_t i = fnv1a(name, n) & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		size_t k = v->slot[i];
		if (k == 0)
			return NULL;
		if (strlen(v->name[k - 1]) == n && memcmp(v->name[k - 1], name, n) == 0)
			return v->value[k - 1];
	}
}

static int
pc_set(struct pc_vars *v, const char *name, char *value, struct bd_err *err)
{
	size_t n = strlen(name), i;

	if (v->cap) {
		for (i = fnv1a(name, n) & (v->cap - 1); v->slot[i]; i = (i + 1) & (v->cap - 1))
			if (strcmp(v->name[v->slot[i] - 1], name) == 0) {
				free(v->value[v->slot[i] - 1]);
				v->value[v->slot[i] - 1] = value;
				return 0;
			}
	}
	if (v->n == PC_MAX_VARS) {
		free(value);
		return bd_err_setx(err, EINVAL, "more than %u variables", PC_MAX_VARS);
	}
	if ((v->n + 1) * 2 > v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		free(v->slot);
		v->slot = bd_xcalloc(ncap, sizeof(*v->slot));
		v->cap = ncap;
		for (size_t k = 0; k < v->n; k++) {
			for (i = fnv1a(v->name[k], strlen(v->name[k])) & (ncap - 1); v->slot[i];
			     i = (i + 1) & (ncap - 1))
				;
			v->slot[i] = k + 1;
		}
		v->name = bd_xrealloc(v->name, ncap / 2 * sizeof(*v->name));
		v->value = bd_xrealloc(v->value, ncap / 2 * sizeof(*v->value));
	}
	v->name[v->n] = bd_xstrdup(name);
	v->value[v->n] = value;
	for (i = fnv1a(name, n) & (v->cap - 1); v->slot[i]; i = (i + 1) & (v->cap - 1))
		;
	v->slot[i] = ++v->n;
	return 0;
}

static void
pc_vars_free(struct pc_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->name[i]);
		free(v->value[i]);
	}
	free(v->name);
	free(v->value);
	free(v->slot);
}

/* Expand ${name} references in @s (already defined variables only, as
 * pkgconf does when it reads a definition). */
static int
pc_expand(const struct pc_vars *v, const char *s, size_t n, struct bd_buf *out, struct bd_err *err)
{
	bd_buf_reset(out);
	for (size_t i = 0; i < n;) {
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
			const char *close = memchr(s + i + 2, '}', n - i - 2);
			if (close) {
				const char *val = pc_get(v, s + i + 2, (size_t)(close - s - i - 2));
				if (val)
					bd_buf_puts(out, val);
				i = (size_t)(close - s) + 1;
				if (out->len > PC_MAX_VALUE)
					return bd_err_setx(err, EINVAL,
					                   "a value expands past %u bytes",
					                   PC_MAX_VALUE);
				continue;
			}
		}
		bd_buf_putc(out, s[i++]);
	}
	if (out->len > PC_MAX_VALUE)
		return bd_err_setx(err, EINVAL, "a value expands past %u bytes", PC_MAX_VALUE);
	return 0;
}

static bool
pc_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool
pc_opchar(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '!';
}

/* pkgconf's dependency list: names separated by commas and/or whitespace,
 * each optionally followed by "op version". */
static int
pc_deplist(const char *s, size_t n, struct bd_strv *out, struct bd_err *err)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && pc_sep(s[i]))
			i++;
		if (i == n)
			break;
		if (pc_opchar(s[i]))
			return bd_err_setx(err, EINVAL,
			                   "version operator without a module name in '%.80s'", s);
		start = i;
		while (i < n && !pc_sep(s[i]) && !pc_opchar(s[i]))
			i++;
		bd_strv_push_owned(out, bd_xstrndup(s + start, i - start));

		/* an optional constraint, possibly spaced: "foo >= 1.2", "foo>=1.2" */
		size_t j = i;
		while (j < n && is_space(s[j]))
			j++;
		if (j < n && pc_opchar(s[j])) {
			size_t op = j, vs;
			while (j < n && pc_opchar(s[j]))
				j++;
			if (!((j - op == 1 && strchr("<>=", s[op])) ||
			      (j - op == 2 && s[op + 1] == '=' && strchr("<>!", s[op]))))
				return bd_err_setx(err, EINVAL, "unknown version operator '%.*s'",
				                   (int)(j - op), s + op);
			while (j < n && is_space(s[j]))
				j++;
			vs = j;
			while (j < n && !pc_sep(s[j]))
				j++;
			if (j == vs)
				return bd_err_setx(err, EINVAL,
				                   "version operator '%.*s' without a version",
				                   (int)(vs - op), s + op);
			i = j;
		}
	}
	return 0;
}

static bool
pc_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

int
bd_apk_pc_requires(const char *text, size_t len, struct bd_strv *out, struct bd_err *err)
{
	struct pc_vars vars = { 0 };
	struct bd_buf line = { 0 }, val = { 0 };
	size_t i = 0;
	int r = 0;

	if (memchr(text, '\0', len))
		return bd_err_setx(err, EINVAL, "a NUL byte in a pkg-config file");
	while (i < len && r == 0) {
		size_t k = 0, ks, ke;

		/* one logical line: "\\\n" joins, "\\#" is a '#', '#' starts a comment */
		bd_buf_reset(&line);
		while (i < len && text[i] != '\n') {
			char c = text[i];
			if (c == '\\' && i + 1 < len && text[i + 1] == '\n') {
				i += 2;
				continue;
			}
			if (c == '\\' && i + 2 < len && text[i + 1] == '\r' &&
			    text[i + 2] == '\n') {
				i += 3;
				continue;
			}
			if (c == '\\' && i + 1 < len && text[i + 1] == '#') {
				bd_buf_putc(&line, '#');
				i += 2;
				continue;
			}
			if (c == '#') {
				while (i < len && text[i] != '\n')
					i++;
				break;
			}
			bd_buf_putc(&line, c);
			i++;
		}
		if (i < len)
			i++; /* the newline */
		if (line.len > PC_MAX_VALUE) {
			r = bd_err_setx(err, EINVAL, "a line longer than %u bytes", PC_MAX_VALUE);
			break;
		}
		if (!line.data)
			continue;

		/* key, then '=' (variable) or ':' (field) */
		while (k < line.len && is_space(line.data[k]))
			k++;
		ks = k;
		while (k < line.len && pc_keychar(line.data[k]))
			k++;
		ke = k;
		while (k < line.len && is_space(line.data[k]))
			k++;
		if (ke == ks || k == line.len || (line.data[k] != '=' && line.data[k] != ':'))
			continue;
		char op = line.data[k++];
		size_t ve = line.len;
		while (k < ve && is_space(line.data[k]))
			k++;
		while (ve > k && is_space(line.data[ve - 1]))
			ve--;
		line.data[ke] = '\0';
		const char *key = line.data + ks;

		if (op == '=') {
			r = pc_expand(&vars, line.data + k, ve - k, &val, err);
			if (r == 0)
				r = pc_set(&vars, key,
				           bd_xstrndup(val.data ? val.data : "", val.len), err);
		} else if (strcmp(key, "Requires") == 0 || strcmp(key, "Requires.private") == 0 ||
		           strcmp(key, "Requires.internal") == 0) {
			r = pc_expand(&vars, line.data + k, ve - k, &val, err);
			if (r == 0 && val.len)
				r = pc_deplist(val.data, val.len, out, err);
		}
	}
	pc_vars_free(&vars);
	bd_buf_free(&line);
	bd_buf_free(&val);
	return r;
}

/* ------------------------------------------------------------ the walk */

struct link {
	char *path, *target;
};

struct scan {
	struct bd_apk_depscan *out;
	const char *ver;
	uint64_t max_entries;
	unsigned max_depth;
	dev_t root_dev;
	struct bd_apk_depscan_lib *objs; /* regular ELF files with a SONAME */
	size_t nobjs, capobjs;
	struct link *links;
	size_t nlinks, caplinks;
	struct bd_strset ld_seen; /* ld_dirs already recorded */
	uint64_t resolve_budget;  /* what symlink resolution may still spend */
	bool ruby_found, perl_found;
};

static void
add_lib(struct bd_apk_depscan_lib **v, size_t *n, size_t *cap, const char *path, const char *soname,
        bool interp)
{
	*v = bd_grow(*v, cap, *n + 1, sizeof(**v), 32);
	(*v)[*n].path = bd_xstrdup(path);
	(*v)[*n].soname = bd_xstrdup(soname);
	(*v)[*n].interp = interp;
	(*n)++;
}

static int
lib_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bd_apk_depscan_lib *)a)->path,
	              ((const struct bd_apk_depscan_lib *)b)->path);
}

static int
link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link *)a)->path, ((const struct link *)b)->path);
}

static const struct bd_apk_depscan_lib *
find_lib(const struct bd_apk_depscan_lib *v, size_t n, const char *path)
{
	struct bd_apk_depscan_lib key = { .path = (char *)(uintptr_t)path };

	return n ? bsearch(&key, v, n, sizeof(*v), lib_cmp) : NULL;
}

static const struct link *
find_link(const struct scan *sc, const char *path)
{
	struct link key = { .path = (char *)(uintptr_t)path };

	return sc->nlinks ? bsearch(&key, sc->links, sc->nlinks, sizeof(*sc->links), link_cmp)
	                  : NULL;
}

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Markers from directory names (generatePythonDeps, generateRubyDeps, the
 * perl rule of recipe-format.md 6.3). */
static void
dir_markers(struct scan *sc, const char *path, const char *name)
{
	struct bd_apk_depscan *o = sc->out;
	size_t dl = dir_len(path);

	if (strcmp(name, "site-packages") == 0 && dl > 0) {
		/* parent basename "pythonX.Y"; the last one walked wins */
		const char *pb = memrchr(path, '/', dl);
		pb = pb ? pb + 1 : path;
		if (strncmp(pb, "python", 6) == 0) {
			free(o->python_ver);
			o->python_ver = bd_xstrndup(pb + 6, (size_t)(path + dl - pb) - 6);
		}
	}
	if (!sc->ruby_found && bd_str_has_prefix(path, "usr/lib/ruby/gems/") &&
	    strcmp(name, "gems") == 0) {
		/* usr/lib/ruby/gems/X.Y.Z/gems -> ruby-X.Y (melange's glob is
		 * [0-9]*.[0-9]*.[0.9]*; the intent, three numbers, is used) */
		const char *v = path + strlen("usr/lib/ruby/gems/");
		const char *d1 = strchr(v, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		const char *sl = strchr(v, '/');
		if (d1 && d2 && sl && d2 < sl && strcmp(sl, "/gems") == 0 &&
		    all_digits(v, (size_t)(d1 - v)) && all_digits(d1 + 1, (size_t)(d2 - d1 - 1)) &&
		    all_digits(d2 + 1, (size_t)(sl - d2 - 1))) {
			o->ruby_ver = bd_xstrndup(v, (size_t)(d2 - v));
			sc->ruby_found = true;
		}
	}
	if (!sc->perl_found && bd_str_has_prefix(path, "usr/lib/perl") &&
	    bd_str_has_suffix(name, "_perl")) {
		/* usr/lib/perlN/<x>_perl -> perl~N */
		const char *v = path + strlen("usr/lib/perl");
		const char *sl = strchr(v, '/');
		if (sl && all_digits(v, (size_t)(sl - v)) && strchr(sl + 1, '/') == NULL) {
			o->perl_ver = bd_xstrndup(v, (size_t)(sl - v));
			sc->perl_found = true;
		}
	}
}

static void
entry_markers(struct scan *sc, const char *path)
{
	size_t dl = dir_len(path);

	/* generateDocDeps: anything directly in usr/share/man or usr/share/info */
	if (dl == 13 && memcmp(path, "usr/share/man", 13) == 0)
		sc->out->has_man = true;
	if (dl == 14 && memcmp(path, "usr/share/info", 14) == 0)
		sc->out->has_info = true;
}

static void
scan_elf(struct scan *sc, int fd, const char *path)
{
	struct bd_apk_depscan *o = sc->out;
	struct bd_apk_elf e;
	struct bd_err err = { 0 };

	if (bd_apk_elf_parse_fd(fd, &e, &err) < 0) {
		warn(&o->warnings, path, "ELF not scanned: %s", err.msg);
		return;
	}
	o->nelf++;
	if (e.interp) {
		/* so:<basename(PT_INTERP)>, with musl's loader named as the libc
		 * that provides it (ld-musl-* is a symlink to libc.musl-*) */
		char ib[BD_APK_ELF_MAX_STR + 2];
		const char *b = base_of(e.interp, ib, sizeof(ib));
		if (strncmp(b, "ld-musl", 7) == 0) {
			_cleanup_free_ char *m = bd_xasprintf("libc.musl%s", b + 7);
			push_item(&o->depends, "so:", m, NULL, &o->warnings, path);
		} else {
			push_item(&o->depends, "so:", b, NULL, &o->warnings, path);
		}
	}
	for (size_t i = 0; i < e.needed.n; i++) {
		const char *lib = e.needed.v[i];
		if (!strstr(lib, ".so.") || in_list(lib, host_libs, BD_ARRAY_SIZE(host_libs)))
			continue;
		push_item(&o->depends, "so:", lib, NULL, &o->warnings, path);
	}
	if (e.soname && *e.soname && !in_list(e.soname, host_libs, BD_ARRAY_SIZE(host_libs)))
		add_lib(&sc->objs, &sc->nobjs, &sc->capobjs, path, e.soname, e.interp != NULL);
	bd_apk_elf_free(&e);
}

static void
scan_shebang(struct scan *sc, const char *head, size_t n, const char *path)
{
	struct bd_apk_depscan *o = sc->out;
	struct bd_err err = { 0 };
	_cleanup_free_ char *cmd = NULL;

	if (bd_apk_shebang_cmd(head, n, &cmd, &err) < 0) {
		warn(&o->warnings, path, "%s", err.msg);
		return;
	}
	if (cmd)
		push_item(&o->depends, "cmd:", cmd, NULL, &o->warnings, path);
}

static void
scan_pc(struct scan *sc, int fd, const char *path, const char *name)
{
	struct bd_apk_depscan *o = sc->out;
	struct bd_buf b = { 0 };
	struct bd_strv req = { 0 };
	struct bd_err err = { 0 };
	_cleanup_free_ char *mod = bd_xstrndup(name, strlen(name) - 3);

	if (bd_read_all(fd, PC_MAX_FILE, &b, path, &err) < 0) {
		warn(&o->warnings, path, "pkg-config file not scanned: %s", err.msg);
		goto out;
	}
	/* a file melange's parser rejects gives nothing at all, not even the
	 * provide; ours rejects only what no pkg-config tool could use */
	if (bd_apk_pc_requires(b.data ? b.data : "", b.len, &req, &err) < 0) {
		warn(&o->warnings, path, "pkg-config file not scanned: %s", err.msg);
		goto out;
	}
	if (!directly_in(path, pc_dirs, BD_ARRAY_SIZE(pc_dirs))) {
		push_item(&o->vendored, "pc:", mod, sc->ver, &o->warnings, path);
		goto out;
	}
	push_item(&o->provides, "pc:", mod, sc->ver, &o->warnings, path);
	/* Requires, Requires.private, Requires.internal: melange depends on
	 * each module without its version constraint ("TODO: capture version
	 * relationships"); pc: provides carry the package version, not the
	 * .pc Version, so a constraint would compare unrelated numbers */
	for (size_t i = 0; i < req.n; i++)
		push_item(&o->depends, "pc:", req.v[i], NULL, &o->warnings, path);
out:
	bd_strv_free(&req);
	bd_buf_free(&b);
}

/* getLdSoConfDLibPaths: absolute directories, one per line. */
static void
scan_ldconf(struct scan *sc, int fd, const char *path)
{
	struct bd_apk_depscan *o = sc->out;
	struct bd_buf b = { 0 };
	struct bd_err err = { 0 };

	if (bd_read_all(fd, LDCONF_MAX_FILE, &b, path, &err) < 0) {
		warn(&o->warnings, path, "not scanned: %s", err.msg);
		bd_buf_free(&b);
		return;
	}
	for (char *l = b.data; l && *l;) {
		char *nl = strchr(l, '\n'), *hash, *s, *e;
		if (nl)
			*nl = '\0';
		if ((hash = strchr(l, '#')))
			*hash = '\0';
		for (s = l; is_space(*s); s++)
			;
		for (e = s + strlen(s); e > s && (is_space(e[-1]) || e[-1] == '/'); e--)
			;
		*e = '\0';
		/* melange only takes lines starting with '/' ("include" and
		 * relative lines are not directories it can place) */
		if (*s == '/') {
			while (*s == '/')
				s++;
			bool ok = *s != '\0' && !strstr(s, "//") && strcmp(s, "..") != 0 &&
			          !bd_str_has_prefix(s, "../") && !strstr(s, "/../") &&
			          !bd_str_has_suffix(s, "/..");
			if (ok && o->ld_dirs.n == MAX_LD_DIRS)
				warn(&o->warnings, path,
				     "more than %d library directories; the rest are ignored",
				     MAX_LD_DIRS);
			else if (ok && bd_strset_add(&sc->ld_seen, s))
				bd_strv_push(&o->ld_dirs, s); /* in file order, as melange */
		}
		l = nl ? nl + 1 : NULL;
	}
	bd_buf_free(&b);
}

static void
scan_file(struct scan *sc, int dfd, const char *path, const char *name, const struct stat *st)
{
	struct bd_apk_depscan *o = sc->out;
	bool want_shebang = false, want_pc, want_ldconf;
	_cleanup_close_ int fd = -1;
	struct stat fst;
	char head[HEAD_BYTES];
	ssize_t n;

	/* generateCmdProviders: mode & 0555 == 0555 directly in a bin dir */
	if ((st->st_mode & 0555) == 0555 && directly_in(path, bin_dirs, BD_ARRAY_SIZE(bin_dirs)))
		push_item(&o->provides, "cmd:", name, sc->ver, &o->warnings, path);

	for (size_t i = 0; i < BD_ARRAY_SIZE(shebang_dirs); i++)
		want_shebang |= bd_str_has_prefix(path, shebang_dirs[i]);
	want_pc = bd_str_has_suffix(name, ".pc");
	want_ldconf =
	    bd_str_has_prefix(path, "etc/ld.so.conf.d/") && bd_str_has_suffix(name, ".conf");
	if (st->st_size < 2 && !want_pc)
		return; /* too short for "#!" or an ELF header; an empty .pc still provides */

	/* O_NONBLOCK: a FIFO swapped in after the walk's stat must not hang us */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		warn(&o->warnings, path, "not scanned: open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st->st_dev ||
	    fst.st_ino != st->st_ino) {
		warn(&o->warnings, path, "not scanned: changed while the tree was scanned");
		return;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		warn(&o->warnings, path, "not scanned: read: %s", strerror(errno));
		return;
	}
	if (bd_apk_elf_magic(head, (size_t)n))
		scan_elf(sc, fd, path);
	else if (want_shebang)
		scan_shebang(sc, head, (size_t)n, path);
	if (want_pc)
		scan_pc(sc, fd, path, name);
	if (want_ldconf)
		scan_ldconf(sc, fd, path);
}

static int
walk(struct scan *sc, int dfd, const char *prefix, unsigned depth, struct bd_err *err)
{
	struct bd_apk_depscan *o = sc->out;
	struct bd_strv names = { 0 };
	int r;

	/* byte order: reproducible whatever the filesystem returns */
	r = bd_dir_names_sorted(dfd, *prefix ? prefix : ".", &names, err);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		_cleanup_free_ char *path =
		    *prefix ? bd_xasprintf("%s/%s", prefix, name) : bd_xstrdup(name);
		struct stat st;

		if (++o->nentries > sc->max_entries) {
			r = bd_err_setx(err, E2BIG, "%s: more than %llu entries in the tree", path,
			                (unsigned long long)sc->max_entries);
			goto out;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bd_err_set(err, errno, "stat %s", path);
			goto out;
		}
		entry_markers(sc, path);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = -1;

			if (depth + 1 >= sc->max_depth) {
				r = bd_err_setx(err, ELOOP, "%s: deeper than %u directories", path,
				                sc->max_depth);
				goto out;
			}
			if (st.st_dev != sc->root_dev) {
				/* the packer rejects this tree; do not read another fs */
				warn(&o->warnings, path,
				     "a mount point inside the tree; not scanned");
				continue;
			}
			dir_markers(sc, path, name);
			sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = bd_err_set(err, errno, "open directory %s", path);
				goto out;
			}
			r = walk(sc, sub, path, depth + 1, err);
			if (r < 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			scan_file(sc, dfd, path, name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

			if (n <= 0) {
				warn(&o->warnings, path, "unreadable symlink; not scanned");
				continue;
			}
			target[n] = '\0';
			sc->links = bd_grow(sc->links, &sc->caplinks, sc->nlinks + 1,
			                    sizeof(*sc->links), 64);
			sc->links[sc->nlinks].path = bd_xstrdup(path);
			sc->links[sc->nlinks].target = bd_xstrdup(target);
			sc->nlinks++;
			/* processSymlinkSo: a symlink whose path contains ".so" names
			 * a library (its target's basename) some package may hold */
			if (strstr(path, ".so")) {
				char tb[PATH_MAX + 2];
				const char *b = base_of(target, tb, sizeof(tb));
				if (strcmp(b, ".") != 0 && strcmp(b, "..") != 0 &&
				    strcmp(b, "/") != 0)
					bd_strv_push(&o->so_links,
					             b); /* made unique after the walk */
			}
		}
		/* devices, FIFOs, sockets: never opened (the packer rejects them) */
	}
out:
	bd_strv_free(&names);
	return r;
}

/* Resolve @path lexically against the walked tree: every component that
 * is a symlink of the tree is replaced by its target (absolute targets
 * start again at the package root, ".." stops at the root), at most
 * SYMLINK_HOPS times.  Returns the resolved relative path or NULL. */
static char *
resolve(struct scan *sc, const char *path)
{
	struct bd_buf done = { 0 };
	_cleanup_free_ char *todo = bd_xstrdup(path);
	unsigned hops = 0;
	size_t pos = 0;

	bd_buf_reserve(&done, 64);
	done.data[0] = '\0';
	while (todo[pos]) {
		size_t n;
		const char *c = todo + pos;
		const struct link *l;

		n = strcspn(c, "/");
		pos += n;
		if (todo[pos] == '/')
			pos++;
		/* every step and every byte copied is paid for: the total work
		 * stays bounded whatever the links look like */
		if (sc->resolve_budget < n + 1) {
			bd_buf_free(&done);
			return NULL;
		}
		sc->resolve_budget -= n + 1;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *s = done.len ? memrchr(done.data, '/', done.len) : NULL;
			done.len = s ? (size_t)(s - done.data) : 0;
			done.data[done.len] = '\0';
			continue;
		}
		size_t keep = done.len;
		if (done.len)
			bd_buf_putc(&done, '/');
		bd_buf_append(&done, c, n);
		l = find_link(sc, done.data);
		if (!l)
			continue;
		size_t grow = strlen(l->target) + strlen(todo + pos) + 2;
		if (++hops > SYMLINK_HOPS || grow > 4 * PATH_MAX || sc->resolve_budget < grow) {
			bd_buf_free(&done);
			return NULL;
		}
		sc->resolve_budget -= grow;
		/* the link's target replaces it, relative to the link's directory */
		char *next = bd_xasprintf("%s/%s", l->target, todo + pos);
		free(todo);
		todo = next;
		pos = 0;
		if (l->target[0] == '/')
			keep = 0;
		done.len = keep;
		done.data[done.len] = '\0';
	}
	return bd_buf_steal(&done);
}

int
bd_apk_depscan_tree(int root_dirfd, const char *pkgver, const struct bd_apk_depscan_opts *opts,
                    struct bd_apk_depscan *out, struct bd_err *err)
{
	struct scan sc = { .out = out, .ver = pkgver };
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	if (!pkgver || !bd_apk_version_valid(pkgver))
		return bd_err_setx(err, EINVAL,
		                   "dependency scan: version '%s' is not a valid apk "
		                   "version",
		                   pkgver ? pkgver : "");
	out->version = bd_xstrdup(pkgver);
	sc.max_entries = opts && opts->max_entries ? opts->max_entries : DEFAULT_MAX_ENTRIES;
	sc.max_depth = opts && opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
	if (fstat(root_dirfd, &st) < 0)
		return bd_err_set(err, errno, "dependency scan: stat of the package root");
	if (!S_ISDIR(st.st_mode))
		return bd_err_setx(err, ENOTDIR,
		                   "dependency scan: the package root is not a "
		                   "directory");
	sc.root_dev = st.st_dev;
	sc.resolve_budget = RESOLVE_BUDGET;

	r = walk(&sc, root_dirfd, "", 0, err);
	if (r == 0) {
		/* symlinks resolving (inside the tree) to a shared object count
		 * as that object at the link's path, as melange's walk opens them */
		if (sc.nobjs > 1)
			qsort(sc.objs, sc.nobjs, sizeof(*sc.objs), lib_cmp);
		if (sc.nlinks > 1)
			qsort(sc.links, sc.nlinks, sizeof(*sc.links), link_cmp);
		out->libs = bd_xmalloc((sc.nobjs + 1) * sizeof(*out->libs));
		size_t cap = sc.nobjs + 1;
		for (size_t i = 0; i < sc.nobjs; i++)
			add_lib(&out->libs, &out->nlibs, &cap, sc.objs[i].path, sc.objs[i].soname,
			        sc.objs[i].interp);
		for (size_t i = 0; i < sc.nlinks && sc.resolve_budget; i++) {
			_cleanup_free_ char *to = resolve(&sc, sc.links[i].path);
			const struct bd_apk_depscan_lib *obj =
			    to ? find_lib(sc.objs, sc.nobjs, to) : NULL;
			if (obj)
				add_lib(&out->libs, &out->nlibs, &cap, sc.links[i].path,
				        obj->soname, obj->interp);
		}
		if (out->nlibs > 1)
			qsort(out->libs, out->nlibs, sizeof(*out->libs), lib_cmp);
		if (sc.nlinks && !sc.resolve_budget)
			warn(&out->warnings, ".",
			     "symlinks too many or too deep to resolve; "
			     "the rest are not followed for so: provides");
		strv_sort_unique(&out->depends);
		strv_sort_unique(&out->provides);
		strv_sort_unique(&out->vendored);
		strv_sort_unique(&out->so_links);
	} else {
		bd_err_prefix(err, "dependency scan: ");
	}
	for (size_t i = 0; i < sc.nobjs; i++) {
		free(sc.objs[i].path);
		free(sc.objs[i].soname);
	}
	free(sc.objs);
	for (size_t i = 0; i < sc.nlinks; i++) {
		free(sc.links[i].path);
		free(sc.links[i].target);
	}
	free(sc.links);
	bd_strset_free(&sc.ld_seen);
	return r;
}

void
bd_apk_depscan_free(struct bd_apk_depscan *s)
{
	free(s->version);
	bd_strv_free(&s->depends);
	bd_strv_free(&s->provides);
	bd_strv_free(&s->vendored);
	for (size_t i = 0; i < s->nlibs; i++) {
		free(s->libs[i].path);
		free(s->libs[i].soname);
	}
	free(s->libs);
	bd_strv_free(&s->ld_dirs);
	bd_strv_free(&s->so_links);
	free(s->python_ver);
	free(s->ruby_ver);
	free(s->perl_ver);
	bd_strv_free(&s->warnings);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ finalize */

/* Parsed provides of one package, sorted by name, for lookups. */
struct provset {
	struct bd_apk_dep *v;
	size_t n, cap;
};

static int
dep_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bd_apk_dep *)a)->name, ((const struct bd_apk_dep *)b)->name);
}

static void
provset_add(struct provset *ps, const struct bd_strv *sv)
{
	struct bd_err err;

	for (size_t i = 0; sv && i < sv->n; i++) {
		ps->v = bd_grow(ps->v, &ps->cap, ps->n + 1, sizeof(*ps->v), 32);
		/* every list given here was validated: a failure only skips */
		if (bd_apk_dep_parse(sv->v[i], strlen(sv->v[i]), &ps->v[ps->n], &err) == 0)
			ps->n++;
	}
}

static void
provset_sort(struct provset *ps)
{
	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof(*ps->v), dep_name_cmp);
}

/* Does a provide in @ps satisfy @d?  As apk: a "name=ver" provide satisfies
 * a constraint its version meets; a bare "name" only unversioned ones. */
static bool
provset_satisfies(const struct provset *ps, const struct bd_apk_dep *d)
{
	struct bd_apk_dep *hit;
	size_t lo;

	if (d->conflict || !ps->n)
		return false;
	hit = bsearch(d, ps->v, ps->n, sizeof(*ps->v), dep_name_cmp);
	if (!hit)
		return false;
	lo = (size_t)(hit - ps->v);
	while (lo > 0 && strcmp(ps->v[lo - 1].name, d->name) == 0)
		lo--;
	for (size_t i = lo; i < ps->n && strcmp(ps->v[i].name, d->name) == 0; i++) {
		if (d->op == 0)
			return true;
		if (ps->v[i].op == BD_APK_VER_EQUAL &&
		    bd_apk_version_match(ps->v[i].version, d->op, d->version))
			return true;
	}
	return false;
}

static bool
strv_any_prefix(const struct bd_strv *sv, const char *prefix)
{
	for (size_t i = 0; sv && i < sv->n; i++)
		if (bd_str_has_prefix(sv->v[i], prefix))
			return true;
	return false;
}

static bool
strv_any_name(const struct bd_strv *sv, const char *name)
{
	struct bd_apk_dep d;
	struct bd_err err;

	for (size_t i = 0; sv && i < sv->n; i++)
		if (bd_apk_dep_parse(sv->v[i], strlen(sv->v[i]), &d, &err) == 0 &&
		    strcmp(d.name, name) == 0)
			return true;
	return false;
}

/* sonameLibver: the digits-and-dots after the first ".so." (up to a second
 * ".so."), else "0".  Unlike melange, a result apk would reject ("" from
 * "libx.so.", "1..2") is also "0": the provide must stay parseable. */
static char *
soname_libver(const char *soname)
{
	const char *s = strstr(soname, ".so."), *e;
	char *v;

	if (!s)
		return bd_xstrdup("0");
	s += 4;
	e = strstr(s, ".so.");
	v = bd_xstrndup(s, e ? (size_t)(e - s) : strlen(s));
	if (!*v || strspn(v, "0123456789.") != strlen(v) || !bd_apk_version_valid(v)) {
		free(v);
		return bd_xstrdup("0");
	}
	return v;
}

static int
validate_list(const struct bd_apk_depscan_pkg *p, const char *what, const struct bd_strv *sv,
              bool allow_conflict, struct bd_err *err)
{
	for (size_t i = 0; sv && i < sv->n; i++) {
		struct bd_apk_dep d;
		if (!sv->v[i] || strpbrk(sv->v[i], " \t\n"))
			return bd_err_setx(err, EINVAL, "package %s: %s '%s': one item per entry",
			                   p->name, what, sv->v[i] ? sv->v[i] : "");
		if (bd_apk_dep_parse(sv->v[i], strlen(sv->v[i]), &d, err) < 0)
			return bd_err_prefix(err, "package %s: %s: ", p->name, what);
		if (d.conflict && !allow_conflict)
			return bd_err_setx(err, EINVAL,
			                   "package %s: %s '%s': a conflict is not a "
			                   "provide",
			                   p->name, what, sv->v[i]);
	}
	return 0;
}

struct work {
	struct bd_strv gdep, gprov, raw; /* generated; raw = provides before options */
	struct provset final, self, sib, vend;
	struct soidx *idx; /* the package's objects in library dirs, by basename */
	size_t nidx;
};

/* The build's library directories: melange's LibDirs, then those named by
 * ld.so.conf.d files in package and file order; rank = that position. */
struct libdir {
	const char *dir;
	size_t rank;
};

struct libdirs {
	struct libdir *v; /* sorted by dir */
	size_t n;
};

struct soidx {
	const char *base, *soname;
	size_t rank;
};

static int
libdir_cmp(const void *a, const void *b)
{
	return strcmp(((const struct libdir *)a)->dir, ((const struct libdir *)b)->dir);
}

static void
libdirs_init(struct libdirs *ld, const struct bd_apk_depscan_pkg *pkgs, size_t n)
{
	struct bd_strset seen = { 0 };
	size_t cap = BD_ARRAY_SIZE(lib_dirs);

	for (size_t i = 0; i < n; i++)
		cap += pkgs[i].scan ? pkgs[i].scan->ld_dirs.n : 0;
	ld->v = bd_xmalloc(cap * sizeof(*ld->v));
	ld->n = 0;
	for (size_t i = 0; i < BD_ARRAY_SIZE(lib_dirs); i++) {
		bd_strset_add(&seen, lib_dirs[i]);
		ld->v[ld->n].dir = lib_dirs[i];
		ld->v[ld->n].rank = ld->n;
		ld->n++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; pkgs[i].scan && k < pkgs[i].scan->ld_dirs.n; k++) {
			const char *d = pkgs[i].scan->ld_dirs.v[k];
			if (!bd_strset_add(&seen, d))
				continue;
			ld->v[ld->n].dir = d;
			ld->v[ld->n].rank = ld->n;
			ld->n++;
		}
	qsort(ld->v, ld->n, sizeof(*ld->v), libdir_cmp);
	bd_strset_free(&seen);
}

/* The rank of the library dir @path is directly in, or -1. */
static long
libdir_rank(const struct libdirs *ld, const char *path)
{
	char dir[PATH_MAX + 1];
	size_t dl = dir_len(path);
	struct libdir key = { .dir = dir }, *hit;

	if (dl == 0 || dl >= sizeof(dir))
		return -1;
	memcpy(dir, path, dl);
	dir[dl] = '\0';
	hit = bsearch(&key, ld->v, ld->n, sizeof(*ld->v), libdir_cmp);
	return hit ? (long)hit->rank : -1;
}

static int
soidx_cmp(const void *a, const void *b)
{
	const struct soidx *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	return c ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

static void
soidx_build(struct work *w, const struct bd_apk_depscan *s, const struct libdirs *ld)
{
	w->idx = bd_xmalloc((s->nlibs + 1) * sizeof(*w->idx));
	w->nidx = 0;
	for (size_t k = 0; k < s->nlibs; k++) {
		long rank = libdir_rank(ld, s->libs[k].path);
		if (rank < 0)
			continue;
		w->idx[w->nidx].base = s->libs[k].path + dir_len(s->libs[k].path) + 1;
		w->idx[w->nidx].soname = s->libs[k].soname;
		w->idx[w->nidx].rank = (size_t)rank;
		w->nidx++;
	}
	qsort(w->idx, w->nidx, sizeof(*w->idx), soidx_cmp);
}

/* The SONAME of @base in the earliest library dir of @w's package, or NULL. */
static const char *
soidx_find(const struct work *w, const char *base)
{
	struct soidx key = { .base = base, .rank = 0 };
	size_t lo = 0, hi = w->nidx;

	while (lo < hi) { /* leftmost entry not below (base, 0) */
		size_t mid = lo + (hi - lo) / 2;
		if (soidx_cmp(&w->idx[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->nidx && strcmp(w->idx[lo].base, base) == 0 ? w->idx[lo].soname : NULL;
}

/* The generated lists of package @i (before merging). */
static void
generate(struct bd_apk_depscan_pkg *pkgs, size_t n, size_t i, const struct libdirs *ld,
         struct work *ws)
{
	struct bd_apk_depscan_pkg *p = &pkgs[i];
	struct work *w = &ws[i];
	const struct bd_apk_depscan *s = p->scan;
	const struct bd_strv *conf = p->configured_depends;

	strv_copy(&w->gdep, &s->depends);
	strv_copy(&w->gprov, &s->provides);
	strv_copy(&p->vendored, &s->vendored);

	/* so: provides (generateSharedObjectNameDeps): objects with a PT_INTERP
	 * count only when their name looks like a library (libc and libcap run
	 * as programs too); in a library dir they are provided, elsewhere
	 * vendored */
	for (size_t k = 0; k < s->nlibs; k++) {
		const struct bd_apk_depscan_lib *l = &s->libs[k];
		char bb[PATH_MAX + 2];
		const char *base = base_of(l->path, bb, sizeof(bb));
		_cleanup_free_ char *ver = NULL;
		struct bd_strv *to;

		if (l->interp && !strstr(base, ".so.") && !bd_str_has_suffix(base, ".so"))
			continue;
		ver = soname_libver(l->soname);
		to = libdir_rank(ld, l->path) >= 0 ? &w->gprov : &p->vendored;
		push_item(to, "so:", l->soname, ver, &p->notes, l->path);
		push_item(to, "so-ver:", l->soname, p->version, &p->notes, l->path);
	}

	/* processSymlinkSo: "libfoo.so -> libfoo.so.1" needs the SONAME of the
	 * first package (main first) holding libfoo.so.1 in a library dir */
	for (size_t k = 0; k < s->so_links.n; k++)
		for (size_t j = 0; j < n; j++) {
			const char *soname = soidx_find(&ws[j], s->so_links.v[k]);
			if (soname) {
				push_item(&w->gdep, "so:", soname, NULL, &p->notes,
				          s->so_links.v[k]);
				break;
			}
		}

	/* generatePythonDeps, generateRubyDeps, the perl rule, generateDocDeps:
	 * skipped when the recipe already names the runtime */
	if (s->python_ver && *s->python_ver && !strv_any_prefix(conf, "python")) {
		_cleanup_free_ char *v = bd_xasprintf("%s-base", s->python_ver);
		push_item(&w->gdep, "python-", v, NULL, &p->notes, "site-packages");
	}
	if (s->ruby_ver && !strv_any_prefix(conf, "ruby-") &&
	    !(conf && bd_strv_contains(conf, "ruby")))
		push_item(&w->gdep, "ruby-", s->ruby_ver, NULL, &p->notes, "usr/lib/ruby/gems");
	if (s->perl_ver && !strv_any_name(conf, "perl"))
		bd_strv_push_owned(&w->gdep, bd_xasprintf("perl~%s", s->perl_ver));
	if (bd_str_has_suffix(p->name, "-doc")) {
		if (s->has_man)
			bd_strv_push(&w->gdep, "man-db");
		if (s->has_info)
			bd_strv_push(&w->gdep, "texinfo");
	}

	strv_copy(&w->raw, &w->gprov);
	/* Analyze: the options remove what they name from the generated lists */
	if (p->no_commands) {
		strv_drop_prefix(&w->gprov, "cmd:");
		strv_drop_prefix(&w->gdep, "cmd:");
	}
	if (p->no_depends)
		bd_strv_free(&w->gdep);
	if (p->no_provides)
		bd_strv_free(&w->gprov);
	strv_sort_unique(&w->gdep);
	strv_sort_unique(&w->gprov);
	strv_sort_unique(&p->vendored);
}

/* Final depends of package @i (GenerateDependencies plus the sibling rule). */
static void
merge_depends(struct bd_apk_depscan_pkg *pkgs, size_t n, size_t i, struct work *w)
{
	struct bd_apk_depscan_pkg *p = &pkgs[i];
	const struct bd_strv *conf = p->configured_depends;
	struct bd_err err;

	/* configured: kept unless the package provides them itself */
	for (size_t k = 0; conf && k < conf->n; k++) {
		struct bd_apk_dep d;
		if (bd_apk_dep_parse(conf->v[k], strlen(conf->v[k]), &d, &err) == 0 &&
		    provset_satisfies(&w[i].final, &d))
			continue;
		bd_strv_push(&p->depends, conf->v[k]);
	}
	for (size_t k = 0; k < w[i].gdep.n; k++) {
		const char *g = w[i].gdep.v[k];
		struct bd_apk_dep d;
		size_t j;

		if ((conf && bd_strv_contains(conf, g)) ||
		    bd_apk_dep_parse(g, strlen(g), &d, &err) < 0)
			continue;
		/* satisfied by a vendored object of the package (melange), or by
		 * what it provides, even with no-provides (we differ: melange
		 * keeps that dependency and nothing in the build satisfies it) */
		if (provset_satisfies(&w[i].vend, &d) || provset_satisfies(&w[i].self, &d))
			continue;
		/* satisfied by a sibling: depend on that exact build of it */
		for (j = 0; j < n; j++)
			if (j != i && provset_satisfies(&w[j].sib, &d))
				break;
		if (j < n) {
			bd_strv_push_owned(&p->depends,
			                   bd_xasprintf("%s=%s", pkgs[j].name, pkgs[j].version));
			bd_strv_push_owned(&p->notes, bd_xasprintf("%s: provided by sibling %s, "
			                                           "depending on %s=%s",
			                                           g, pkgs[j].name, pkgs[j].name,
			                                           pkgs[j].version));
			continue;
		}
		bd_strv_push(&p->depends, g);
	}
	strv_sort_unique(&p->depends);
}

int
bd_apk_deps_finalize(struct bd_apk_depscan_pkg *pkgs, size_t n, struct bd_err *err)
{
	struct libdirs ld = { 0 };
	struct work *w;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		struct bd_apk_depscan_pkg *p = &pkgs[i];

		bd_strv_free(&p->depends);
		bd_strv_free(&p->provides);
		bd_strv_free(&p->vendored);
		bd_strv_free(&p->notes);
		if (!p->name || !bd_apk_name_valid(p->name))
			return bd_err_setx(err, EINVAL,
			                   "dependency merge: invalid package name '%s'",
			                   p->name ? p->name : "");
		if (!p->version || !bd_apk_version_valid(p->version))
			return bd_err_setx(err, EINVAL, "package %s: invalid version '%s'", p->name,
			                   p->version ? p->version : "");
		if (validate_list(p, "depends", p->configured_depends, true, err) < 0 ||
		    validate_list(p, "provides", p->configured_provides, false, err) < 0)
			return -err->code;
		for (size_t j = 0; j < i; j++)
			if (strcmp(pkgs[j].name, p->name) == 0)
				return bd_err_setx(err, EINVAL,
				                   "dependency merge: package %s appears twice",
				                   p->name);
	}

	libdirs_init(&ld, pkgs, n);
	w = bd_xcalloc(n ? n : 1, sizeof(*w));
	for (size_t i = 0; i < n; i++)
		if (pkgs[i].scan)
			soidx_build(&w[i], pkgs[i].scan, &ld);
	for (size_t i = 0; i < n; i++) {
		struct bd_apk_depscan_pkg *p = &pkgs[i];

		if (p->scan)
			generate(pkgs, n, i, &ld, w);
		strv_copy(&p->provides, p->configured_provides);
		strv_copy(&p->provides, &w[i].gprov);
		strv_sort_unique(&p->provides);
		provset_add(&w[i].final, &p->provides);
		provset_add(&w[i].self, &p->provides);
		provset_add(&w[i].self, &w[i].raw);
		provset_add(&w[i].sib, p->configured_provides);
		provset_add(&w[i].sib, &w[i].raw);
		provset_add(&w[i].vend, &p->vendored);
		provset_sort(&w[i].final);
		provset_sort(&w[i].self);
		provset_sort(&w[i].sib);
		provset_sort(&w[i].vend);
	}
	for (size_t i = 0; i < n; i++)
		merge_depends(pkgs, n, i, w);

	/* what leaves here goes into .PKGINFO: it must parse */
	for (size_t i = 0; i < n && r == 0; i++) {
		r = validate_list(&pkgs[i], "generated depends", &pkgs[i].depends, true, err);
		if (r == 0)
			r = validate_list(&pkgs[i], "generated provides", &pkgs[i].provides, false,
			                  err);
	}

	for (size_t i = 0; i < n; i++) {
		bd_strv_free(&w[i].gdep);
		bd_strv_free(&w[i].gprov);
		bd_strv_free(&w[i].raw);
		free(w[i].final.v);
		free(w[i].self.v);
		free(w[i].sib.v);
		free(w[i].vend.v);
		free(w[i].idx);
	}
	free(w);
	free(ld.v);
	return r;
}

void
bd_apk_depscan_pkg_free(struct bd_apk_depscan_pkg *p)
{
	bd_strv_free(&p->depends);
	bd_strv_free(&p->provides);
	bd_strv_free(&p->vendored);
	bd_strv_free(&p->notes);
}
