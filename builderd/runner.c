/* SPDX-License-Identifier: MIT */
/* runner: one job, in its own process (`builderd --run-job DIR`).
 *
 *   1. compile the recipe (recipe/) into a plan;
 *   2. lay out the workspace DIR/ws (mounted at /home/build): side files,
 *      one output directory per package, owned by the sandbox's build uid;
 *   3. run the plan's steps in order: source steps here, outside the
 *      sandbox (fetch: content-addressed cache, mirrors by digest, checksum
 *      verified before anything reaches the workspace; git-checkout: the
 *      host's git inside a sandbox with network and no secrets, commit
 *      verified there), shell steps through builder-sandbox;
 *   4. package the main package and every subpackage (apk/), signed with
 *      the daemon's key, into DIR/out/;
 *   5. write DIR/result.json and exit 0 (success), 1 (build failed) or
 *      2 (cancelled).
 *
 * stdout/stderr are the job log (the daemon opened it), fd 3 carries
 * progress lines for the daemon.  The signing key is read here and never
 * enters a sandbox: builder-sandbox closes every fd above 2 and sees only
 * the workspace and the configured read-only paths. */
#include "builderd/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apk/crypto.h"
#include "apk/depscan.h"
#include "apk/extract.h"
#include "apk/pack.h"
#include "apk/sbom.h"
#include "builderd/env.h"
#include "common/cleanup.h"
#include "proto/http.h"
#include "proto/json.h"
#include "recipe/plan.h"

#define BUILD_UID 1000

struct runner {
	const char *dir;
	struct bd_json *spec;
	int64_t job;
	const char *arch, *rootfs, *sandbox, *cache_dir, *keypath;
	uint64_t sde;
	uint64_t host_base; /* host uid/gid of sandbox id 0 */
	uint64_t mem, pids, cpu_millis, tmpfs, timeout;
	bool allow_no_checksum;
	time_t deadline;
	char *ws;  /* host path of /home/build for the build */
	char *ovl; /* overlay dir of the build */
	/* the guest the next sandboxed step runs in (build or a test) */
	const char *cur_ws, *cur_ovl;
	const char *layers[16];
	size_t nlayers;
	struct bd_plan *plan;
	int step, total;
	/* resources summed over sandboxed steps */
	uint64_t wall_ns, cpu_ns, peak;
	char failed_step[256];
	char error[2048];
	char git_commit[64], git_repo[512]; /* the first git-checkout, for the SBOM */
	struct bd_env_result env;           /* the build environment, when made of packages */
	bool in_test;                       /* running a test guest */
};

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
plan_strv(struct bd_strv *dst, const struct bd_plan_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		bd_strv_push(dst, src->v[i]);
}

static int env_script_run(void *ctx, const char *root, const char *ovl, const char *const *argv,
                          int *status, struct bd_err *err);

/* Build (or reuse) the APK layer for @e; 0 with res->layer NULL when the
 * environment names no repositories (the base rootfs is used). */
static int
env_layer(struct runner *r, const struct bd_plan_imgenv *e, struct bd_env_result *res,
          struct bd_err *err)
{
	struct bd_strv repos = { 0 }, keys = { 0 }, pkgs = { 0 };
	_cleanup_free_ char *pc = bd_xasprintf("%s/apk", r->cache_dir);
	_cleanup_free_ char *lc = bd_xasprintf("%s/layers", r->cache_dir);
	uint64_t t0 = bd_now_ns();
	int rc;

	memset(res, 0, sizeof(*res));
	if (e->repositories.n == 0) {
		for (size_t i = 0; i < e->packages.n; i++)
			logline("    environment: %s is expected from the base rootfs",
			        e->packages.v[i]);
		return 0;
	}
	plan_strv(&repos, &e->repositories);
	plan_strv(&keys, &e->keyring);
	plan_strv(&pkgs, &e->packages);
	struct bd_env_scripts scripts = { .run = env_script_run,
		                          .ctx = r,
		                          .id_base = r->host_base };
	struct bd_env_spec spec = {
		.arch = r->arch,
		.repositories = &repos,
		.keyring = &keys,
		.packages = &pkgs,
		.pkg_cache = pc,
		.layer_cache = lc,
		.scripts = &scripts,
	};
	rc = bd_mkdir_p(pc, 0755, err);
	if (rc == 0)
		rc = bd_env_build(&spec, res, err);
	if (rc == 0) {
		logline("    environment: %zu packages, layer apk-%.12s (%s, %.1f ms)",
		        res->resolved.n, res->digest, res->cached ? "cached" : "built",
		        (double)(bd_now_ns() - t0) / 1e6);
		if (!res->cached)
			logline("    environment: indexes and solve %.1f ms, packages %.1f ms, "
			        "install %.1f ms (%u scripts, %.1f ms)",
			        (double)res->solve_ns / 1e6, (double)res->fetch_ns / 1e6,
			        (double)res->install_ns / 1e6, res->nscripts,
			        (double)res->scripts_ns / 1e6);
		for (size_t i = 0; i < res->resolved.n; i++)
			logline("      %s", res->resolved.v[i]);
	}
	bd_strv_free(&repos);
	bd_strv_free(&keys);
	bd_strv_free(&pkgs);
	return rc;
}

/* Record why step @name failed: "step i/n (name): message". */
static void step_error(struct runner *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
step_error(struct runner *r, const char *name, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->error, sizeof(r->error), "step %d/%d (%.200s): %.1000s", r->step, r->total,
	         name, msg);
	snprintf(r->failed_step, sizeof(r->failed_step), "%.250s", name);
}

static volatile sig_atomic_t cancelled;
static volatile pid_t child_pid;

static void
on_term(int sig)
{
	(void)sig;
	cancelled = 1;
	if (child_pid > 0)
		kill(child_pid, SIGTERM);
}

/* A line in the job log (stdout is the log file, opened O_APPEND). */
static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logline(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)bd_write_all(1, buf, (size_t)n);
}

static void
progress(struct runner *r, const char *name)
{
	struct bd_json *o = bd_json_object();
	char *s;

	bd_json_set_int(o, "step", r->step);
	bd_json_set_int(o, "total", r->total);
	bd_json_set_str(o, "name", name);
	s = bd_json_dump(o, false);
	bd_json_free(o);
	size_t n = strlen(s);
	s = bd_xrealloc(s, n + 2);
	s[n] = '\n';
	(void)bd_write_all(3, s, n + 1); /* the daemon may be gone: not fatal */
	free(s);
}

static const char *
spec_str(const struct runner *r, const char *k)
{
	return bd_json_str(bd_json_get(r->spec, k));
}

static uint64_t
spec_lim(const struct runner *r, const char *k)
{
	return (uint64_t)bd_json_int_value(bd_json_get(bd_json_get(r->spec, "limits"), k));
}

/* Host path of guest path @g (which must be /home/build or below). */
static char *
host_path(const struct runner *r, const char *g, struct bd_err *err)
{
	size_t n = strlen(BD_PLAN_HOME);

	if (strncmp(g, BD_PLAN_HOME, n) != 0 || (g[n] != '\0' && g[n] != '/') ||
	    strstr(g, "/../") || bd_str_has_suffix(g, "/.."))
		return bd_err_setx(err, EINVAL, "%s is not inside %s", g, BD_PLAN_HOME), NULL;
	return bd_xasprintf("%s%s", r->cur_ws, g + n);
}

/* chown -R (no symlink following, no crossing into other filesystems) */
static int
chown_tree(int dfd, const char *name, uid_t uid, gid_t gid, struct bd_err *err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return bd_err_set(err, errno, "stat %s", name);
	if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return bd_err_set(err, errno, "chown %s", name);
	if (!S_ISDIR(st.st_mode))
		return 0;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return bd_err_set(err, errno, "opendir %s", name);
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = chown_tree(dirfd(d), de->d_name, uid, gid, err);
	closedir(d);
	return r;
}

static int
chown_build(const struct runner *r, const char *host, struct bd_err *err)
{
	uid_t id = (uid_t)(r->host_base + BUILD_UID);

	return chown_tree(AT_FDCWD, host, id, id, err);
}

/* cp -R of the side files (regular files and directories only) */
static int
copy_tree(const char *src, const char *dst, struct bd_err *err)
{
	_cleanup_closedir_ DIR *d = opendir(src);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : bd_err_set(err, errno, "open %s", src);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *s = bd_xasprintf("%s/%s", src, de->d_name);
		_cleanup_free_ char *t = bd_xasprintf("%s/%s", dst, de->d_name);
		struct stat st;
		if (lstat(s, &st) < 0)
			return bd_err_set(err, errno, "stat %s", s);
		if (S_ISDIR(st.st_mode)) {
			if (bd_mkdir_p(t, 0755, err) < 0 || copy_tree(s, t, err) < 0)
				return -err->code;
		} else if (S_ISREG(st.st_mode)) {
			struct bd_buf b = { 0 };
			int rr = bd_read_file_at(AT_FDCWD, s, 64u << 20, &b, err);
			if (rr == 0)
				rr = bd_write_file_atomic(t, b.data, b.len, st.st_mode & 0777, err);
			bd_buf_free(&b);
			if (rr < 0)
				return rr;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ sandbox */

struct argv {
	char **v;
	size_t n, cap;
};

static void arg(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
arg(struct argv *a, const char *fmt, ...)
{
	va_list ap;

	a->v = bd_grow(a->v, &a->cap, a->n + 2, sizeof(*a->v), 64);
	va_start(ap, fmt);
	a->v[a->n++] = bd_xvasprintf(fmt, ap);
	va_end(ap);
	a->v[a->n] = NULL;
}

static void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

struct sbres {
	int exit_code;
	bool oom, timed_out, cancelled, setup_failed;
	int signal;
	char reason[256];
};

/* Run builder-sandbox with @a (options; the command follows "--"). */
static int
run_sandbox(struct runner *r, struct argv *a, struct sbres *res, struct bd_err *err)
{
	int rp[2];
	struct bd_buf out = { 0 };
	pid_t pid;
	int status;

	memset(res, 0, sizeof(*res));
	if (pipe2(rp, O_CLOEXEC) < 0)
		return bd_err_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(rp[0]);
		close(rp[1]);
		return bd_err_set(err, errno, "fork");
	}
	if (pid == 0) {
		/* the result pipe is the only fd above 2 the helper gets */
		if (dup2(rp[1], 4) < 0)
			_exit(125);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nul < 0 || dup2(nul, 0) < 0)
			_exit(125);
		signal(SIGTERM, SIG_DFL);
		execv(r->sandbox, a->v);
		dprintf(2, "builderd runner: exec %s: %s\n", r->sandbox, strerror(errno));
		_exit(125);
	}
	close(rp[1]);
	child_pid = pid;
	if (cancelled)
		kill(pid, SIGTERM);
	if (bd_read_all(rp[0], 1u << 20, &out, "sandbox result", err) < 0)
		bd_buf_reset(&out); /* judged by the exit status alone */
	close(rp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (out.len) {
		struct bd_err jerr = { 0 };
		struct bd_json *j = bd_json_parse(out.data, out.len, &jerr);
		if (j) {
			/* fields of builder-sandbox's result (docs/sandbox.md) */
			const char *st = bd_json_str(bd_json_get(j, "status"));
			res->oom = bd_json_bool_value(bd_json_get(j, "oom"));
			res->timed_out = bd_json_bool_value(bd_json_get(j, "timed_out"));
			res->cancelled = bd_json_bool_value(bd_json_get(j, "cancelled"));
			res->setup_failed = st && strcmp(st, "setup_failed") == 0;
			res->signal = (int)bd_json_int_value(bd_json_get(j, "signal"));
			const char *why = bd_json_str(bd_json_get(j, "reason"));
			const char *e = bd_json_str(bd_json_get(j, "error"));
			if (e && res->setup_failed)
				snprintf(res->reason, sizeof(res->reason), "%s", e);
			else if (why)
				snprintf(res->reason, sizeof(res->reason), "%s", why);
			r->wall_ns +=
			    (uint64_t)(bd_json_number_value(bd_json_get(j, "wall_seconds")) * 1e9);
			r->cpu_ns +=
			    (uint64_t)(bd_json_number_value(bd_json_get(j, "cpu_seconds")) * 1e9);
			uint64_t peak =
			    (uint64_t)bd_json_int_value(bd_json_get(j, "peak_memory_bytes"));
			if (peak > r->peak)
				r->peak = peak;
			bd_json_free(j);
		}
	} else if (res->exit_code == 125) {
		res->setup_failed = true;
	}
	bd_buf_free(&out);
	return 0;
}

/* The job's identity mapping, cgroup and limits. */
static void
sandbox_limits(struct runner *r, struct argv *a)
{
	arg(a, "--host-id-base");
	arg(a, "%llu", (unsigned long long)r->host_base);
	arg(a, "--cgroup-parent");
	arg(a, "/builderd/job-%lld", (long long)r->job);
	if (r->mem) {
		arg(a, "--memory");
		arg(a, "%llu", (unsigned long long)r->mem);
	}
	if (r->pids) {
		arg(a, "--pids");
		arg(a, "%llu", (unsigned long long)r->pids);
	}
	if (r->cpu_millis) {
		arg(a, "--cpu");
		arg(a, "%llu.%03llu", (unsigned long long)(r->cpu_millis / 1000),
		    (unsigned long long)(r->cpu_millis % 1000));
	}
	if (r->tmpfs) {
		arg(a, "--tmpfs-size");
		arg(a, "%llu", (unsigned long long)r->tmpfs);
	}
	if (r->deadline) {
		time_t left = r->deadline - time(NULL);
		arg(a, "--timeout");
		arg(a, "%lld", (long long)(left > 1 ? left : 1));
	}
}

static void
sandbox_common(struct runner *r, struct argv *a, bool network)
{
	arg(a, "builder-sandbox");
	for (size_t i = 0; i < r->nlayers; i++) {
		arg(a, "--layer");
		arg(a, "%s", r->layers[i]);
	}
	arg(a, "--overlay-dir");
	arg(a, "%s", r->cur_ovl);
	arg(a, "--keep-upper");
	arg(a, "--bind");
	arg(a, "%s", r->cur_ws);
	arg(a, "%s", BD_PLAN_HOME);
	/* the admin's host paths (a toolchain) are for builds; a test guest
	 * is the package and its environment only */
	const struct bd_json *ro = r->in_test ? NULL : bd_json_get(r->spec, "extra_ro_paths");
	for (size_t i = 0; i < bd_json_array_size(ro); i++) {
		const char *p = bd_json_str(bd_json_array_get(ro, i));
		if (p && access(p, F_OK) == 0) {
			arg(a, "--ro-bind");
			arg(a, "%s", p);
			arg(a, "%s", p);
		}
	}
	sandbox_limits(r, a);
	if (network)
		arg(a, "--network");
	arg(a, "--result-fd");
	arg(a, "4");
}

/* bd_env_scripts.run: an install script of an environment package, as
 * root over the layer being built, no network, the job's limits. */
static int
env_script_run(void *ctx, const char *root, const char *ovl, const char *const *argv, int *status,
               struct bd_err *err)
{
	struct runner *r = ctx;
	struct argv a = { 0 };
	struct sbres s;
	int rc;

	arg(&a, "builder-sandbox");
	arg(&a, "--layer");
	arg(&a, "%s", root);
	arg(&a, "--overlay-dir");
	arg(&a, "%s", ovl);
	arg(&a, "--keep-upper");
	/* apk's root: every id mapped, chown and the other file capabilities,
	 * all inside the slot's user namespace */
	arg(&a, "--root-caps");
	sandbox_limits(r, &a);
	/* apk's environment for scripts (package.c apk_ipkg_run_script) */
	arg(&a, "--env");
	arg(&a, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	arg(&a, "--result-fd");
	arg(&a, "4");
	arg(&a, "--");
	for (size_t i = 0; argv[i]; i++)
		arg(&a, "%s", argv[i]);
	uint64_t t0 = bd_now_ns();
	rc = run_sandbox(r, &a, &s, err);
	argv_free(&a);
	logline("    environment: ran %s (%.0f ms)", argv[0], (double)(bd_now_ns() - t0) / 1e6);
	if (rc < 0)
		return rc;
	if (s.setup_failed)
		return bd_err_set(err, EIO, "the sandbox failed%s%s", s.reason[0] ? ": " : "",
		                  s.reason);
	if (s.oom)
		return bd_err_set(err, ENOMEM, "killed: out of memory (memory_limit %llu bytes)",
		                  (unsigned long long)r->mem);
	if (s.timed_out)
		return bd_err_set(err, ETIMEDOUT, "job timeout reached");
	if (s.cancelled)
		return bd_err_set(err, ECANCELED, "cancelled");
	if (s.signal)
		return bd_err_set(err, EINTR, "killed by signal %d", s.signal);
	*status = s.exit_code;
	return 0;
}

/* Describe a failed sandboxed step. */
static void
step_failure(struct runner *r, const struct sbres *s, const char *name)
{
	snprintf(r->failed_step, sizeof(r->failed_step), "%s", name);
	if (s->setup_failed)
		snprintf(r->error, sizeof(r->error), "step %d/%d (%s): the sandbox failed%s%s",
		         r->step, r->total, name, s->reason[0] ? ": " : "", s->reason);
	else if (s->oom)
		snprintf(r->error, sizeof(r->error),
		         "step %d/%d (%s): killed: out of memory (memory_limit %llu bytes)",
		         r->step, r->total, name, (unsigned long long)r->mem);
	else if (s->timed_out)
		snprintf(r->error, sizeof(r->error), "step %d/%d (%s): job timeout reached",
		         r->step, r->total, name);
	else if (s->signal)
		snprintf(r->error, sizeof(r->error), "step %d/%d (%s): killed by signal %d",
		         r->step, r->total, name, s->signal);
	else
		snprintf(r->error, sizeof(r->error), "step %d/%d (%s): exit status %d", r->step,
		         r->total, name, s->exit_code);
}

static int
run_shell_step(struct runner *r, const struct bd_plan_step *st, const char *name)
{
	struct argv a = { 0 };
	struct sbres s;
	struct bd_err err = { 0 };
	_cleanup_free_ char *wd = host_path(r, st->workdir, &err);

	if (wd) {
		/* melange creates a step's working directory */
		if (access(wd, F_OK) < 0 &&
		    (bd_mkdir_p(wd, 0755, &err) < 0 || chown_build(r, wd, &err) < 0)) {
			step_error(r, name, "%s", err.msg);
			return -1;
		}
	}
	sandbox_common(r, &a, false);
	arg(&a, "--chdir");
	arg(&a, "%s", st->workdir);
	for (size_t i = 0; i < st->env.n; i++) {
		if (strcmp(st->env.v[i].key, "SOURCE_DATE_EPOCH") == 0)
			continue;
		arg(&a, "--env");
		arg(&a, "%s=%s", st->env.v[i].key, st->env.v[i].value);
	}
	/* the job's epoch, so builds embed reproducible timestamps */
	arg(&a, "--env");
	arg(&a, "SOURCE_DATE_EPOCH=%llu", (unsigned long long)r->sde);
	arg(&a, "--");
	arg(&a, "/bin/sh");
	arg(&a, "-c");
	arg(&a, "%s", st->script);
	int rc = run_sandbox(r, &a, &s, &err);
	argv_free(&a);
	if (rc < 0) {
		step_error(r, name, "%s", err.msg);
		return -1;
	}
	if (s.exit_code != 0 || s.oom || s.timed_out || s.setup_failed) {
		step_failure(r, &s, name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ sources */

static int
hash_file(int fd, enum bd_hash_alg alg, char *hex)
{
	struct bd_hash *h = bd_hash_new(alg);
	unsigned char buf[1 << 16], d[BD_HASH_MAX];
	ssize_t n;
	off_t off = 0;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		bd_hash_update(h, buf, (size_t)n);
		off += n;
	}
	size_t len = bd_hash_final(h, d);
	bd_hash_free(h);
	bd_hex(d, len, hex);
	return n < 0 ? -errno : 0;
}

/* Make sure the source is in cache/sources/<alg>/<hex>; returns its path. */
static char *
cache_source(struct runner *r, const struct bd_plan_fetch *f, struct bd_err *err)
{
	const char *alg_name = f->sha256 ? "sha256" : f->sha512 ? "sha512" : NULL;
	const char *want = f->sha256 ? f->sha256 : f->sha512;
	enum bd_hash_alg alg = f->sha512 && !f->sha256 ? BD_HASH_SHA512 : BD_HASH_SHA256;
	char hex[129];
	struct stat st;
	const struct bd_json *mirrors = bd_json_get(r->spec, "mirrors");

	if (!want && !r->allow_no_checksum) {
		bd_err_setx(err, EPERM,
		            "%s: no expected-sha256 or expected-sha512; builderd only builds "
		            "from checksum-verified sources (allow_no_checksum is off)",
		            f->uri);
		return NULL;
	}
	char *dir = bd_xasprintf("%s/sources/%s", r->cache_dir, alg_name ? alg_name : "sha256");
	if (bd_mkdir_p(dir, 0755, err) < 0) {
		free(dir);
		return NULL;
	}
	if (want) {
		char *path = bd_xasprintf("%s/%s", dir, want);
		if (stat(path, &st) == 0) {
			logline("    source %s: cached (%s:%s)", f->filename, alg_name, want);
			free(dir);
			return path;
		}
		free(path);
	}
	_cleanup_free_ char *tmp = bd_xasprintf("%s/.download.%ld", dir, (long)getpid());
	struct bd_strv urls = { 0 };
	/* mirrors first, by digest: <mirror>/<alg>/<hex> */
	for (size_t i = 0; want && i < bd_json_array_size(mirrors); i++) {
		const char *m = bd_json_str(bd_json_array_get(mirrors, i));
		if (m)
			bd_strv_push_owned(&urls, bd_xasprintf("%s/%s/%s", m, alg_name, want));
	}
	bd_strv_push(&urls, f->uri);
	char *result = NULL;
	struct bd_err last = { 0 };
	for (size_t i = 0; i < urls.n && !result && !cancelled; i++) {
		struct bd_fetch_opts fo = {
			.connect_timeout = f->timeout ? (long)f->timeout : 30,
			.retries = f->retry_limit ? f->retry_limit - 1 : 2,
		};
		int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			bd_err_set(err, errno, "create %s", tmp);
			break;
		}
		logline("    fetching %s", urls.v[i]);
		if (bd_fetch(urls.v[i], fd, &fo, &last) < 0) {
			close(fd);
			logline("    %s", last.msg);
			continue;
		}
		hash_file(fd, alg, hex);
		close(fd);
		if (want && strcmp(hex, want) != 0) {
			bd_err_setx(&last, EBADMSG, "%s: %s mismatch: expected %s, got %s",
			            urls.v[i], alg_name, want, hex);
			logline("    %s", last.msg);
			continue;
		}
		if (!want) {
			logline("    WARNING: %s has no checksum; its sha256 is %s", f->uri, hex);
			want = hex;
		}
		char *path = bd_xasprintf("%s/%s", dir, want);
		if (rename(tmp, path) < 0) {
			bd_err_set(err, errno, "rename %s", tmp);
			free(path);
			break;
		}
		result = path;
	}
	(void)unlink(tmp);
	if (!result && !err->code)
		*err = last.code ? last : *err;
	if (!result && !err->code)
		bd_err_setx(err, EIO, "%s: download failed", f->uri);
	bd_strv_free(&urls);
	free(dir);
	return result;
}

static int
run_fetch(struct runner *r, const struct bd_plan_fetch *f, const char *workdir, struct bd_err *err)
{
	_cleanup_free_ char *wd = host_path(r, workdir, err);
	_cleanup_free_ char *cached = NULL, *dst = NULL;
	_cleanup_close_ int in = -1, out = -1;

	if (!wd)
		return -err->code;
	if (bd_mkdir_p(wd, 0755, err) < 0)
		return -err->code;
	cached = cache_source(r, f, err);
	if (!cached)
		return -err->code;
	if (strchr(f->filename, '/') || f->filename[0] == '.' || !f->filename[0])
		return bd_err_setx(err, EINVAL, "%s: unsafe file name '%s'", f->uri, f->filename);
	dst = bd_xasprintf("%s/%s", wd, f->filename);
	/* a copy, never a link: the build must not be able to change the cache */
	in = open(cached, O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (in < 0 || out < 0)
		return bd_err_set(err, errno, "copy %s to %s", cached, dst);
	for (;;) {
		char buf[1 << 16];
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0)
			return bd_err_set(err, errno, "read %s", cached);
		if (n == 0)
			break;
		if (bd_write_all(out, buf, (size_t)n) < 0)
			return bd_err_set(err, errno, "write %s", dst);
	}
	if (f->extract) {
		_cleanup_free_ char *xd =
		    bd_xasprintf("%s/%s", wd, f->directory && *f->directory ? f->directory : ".");
		_cleanup_close_ int xfd = -1;
		struct bd_extract_opts eo = { .strip_components = f->strip_components };
		struct bd_extract_stats es;
		if (bd_mkdir_p(xd, 0755, err) < 0)
			return -err->code;
		xfd = open(xd, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (xfd < 0)
			return bd_err_set(err, errno, "open %s", xd);
		lseek(in, 0, SEEK_SET);
		if (bd_extract_fd(in, f->filename, xfd, &eo, &es, err) < 0)
			return -err->code;
		logline("    extracted %s: %llu entries, %llu bytes", f->filename,
		        (unsigned long long)es.entries, (unsigned long long)es.bytes);
		if (f->delete_after)
			(void)unlink(dst);
	}
	return chown_build(r, wd, err);
}

static char *
shell_quote(const char *s)
{
	struct bd_buf b = { 0 };

	bd_buf_putc(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			bd_buf_puts(&b, "'\\''");
		else
			bd_buf_putc(&b, *s);
	}
	bd_buf_putc(&b, '\'');
	return bd_buf_steal(&b);
}

/* SOURCE_DATE_EPOCH comes from the first git-checkout's commit time (then
 * the submission, then the daemon's default), as melange derives it. */
static void
git_epoch(struct runner *r, const struct bd_plan_git *g)
{
	_cleanup_free_ char *p = bd_xasprintf("%s/.builderd/git-checkout", r->cur_ws);
	_cleanup_free_ char *d = bd_xasprintf("%s/.builderd", r->cur_ws);
	struct bd_buf b = { 0 };
	struct bd_err err = { 0 };
	char commit[64];
	unsigned long long t;

	if (bd_read_file_at(AT_FDCWD, p, 4096, &b, &err) == 0 &&
	    sscanf(b.data, "%63s %llu", commit, &t) == 2) {
		if (!r->git_commit[0]) {
			snprintf(r->git_commit, sizeof(r->git_commit), "%s", commit);
			snprintf(r->git_repo, sizeof(r->git_repo), "%s", g->repository);
			r->sde = t;
			logline("    SOURCE_DATE_EPOCH=%llu from commit %s", t, commit);
		}
	}
	bd_buf_free(&b);
	(void)!bd_rm_rf_at(AT_FDCWD, d, &err);
}

static int
run_git(struct runner *r, const struct bd_plan_git *g, const char *workdir, const char *name)
{
	struct bd_buf sh = { 0 };
	struct argv a = { 0 };
	struct sbres s;
	struct bd_err err = { 0 };
	_cleanup_free_ char *wd = host_path(r, workdir, &err);
	/* a local repository is bound read-only at /mnt/source (/tmp is the
	 * sandbox's own tmpfs, so host paths there cannot be mount points) */
	bool local_repo = g->repository[0] == '/' || strncmp(g->repository, "file://", 7) == 0;
	_cleanup_free_ char *repo = shell_quote(local_repo ? "/mnt/source" : g->repository);
	_cleanup_free_ char *dest = shell_quote(g->destination ? g->destination : ".");
	const char *ref = g->tag ? g->tag : g->branch;
	bool local = g->repository[0] == '/' || strncmp(g->repository, "file://", 7) == 0;
	int rc;

	if (!wd || bd_mkdir_p(wd, 0755, &err) < 0 || chown_build(r, wd, &err) < 0) {
		step_error(r, name, "%s", err.msg);
		return -1;
	}
	/* the host's git, inside a sandbox with network (when the repository
	 * is remote) and nothing secret; the commit is checked in there too,
	 * so no host process ever reads the fetched repository's config */
	bd_buf_puts(&sh, "set -eu\nexport HOME=/home/build GIT_TERMINAL_PROMPT=0\n"
	                 "git config --global --add safe.directory '*'\n"
	                 "git config --global advice.detachedHead false\n");
	bd_buf_printf(&sh, "git clone --no-checkout --quiet%s%s %s %s\ncd %s\n",
	              g->depth > 0 && !g->expected_commit ? " --depth=" : "",
	              g->depth > 0 && !g->expected_commit ? "1" : "", repo, dest, dest);
	if (ref) {
		_cleanup_free_ char *q = shell_quote(ref);
		bd_buf_printf(&sh, "git checkout --quiet %s%s\n", g->tag ? "tags/" : "origin/",
		              q + 0);
	} else {
		bd_buf_puts(&sh, "git checkout --quiet HEAD\n");
	}
	if (g->expected_commit) {
		bd_buf_printf(&sh,
		              "actual=$(git rev-parse HEAD^{commit})\n"
		              "if [ \"$actual\" != %s ]; then\n"
		              "  echo \"git-checkout: expected commit %s, got $actual\" >&2\n"
		              "  exit 3\nfi\n",
		              g->expected_commit, g->expected_commit);
	}
	bd_buf_puts(&sh, "echo \"    checked out $(git rev-parse HEAD)\"\n"
	                 "mkdir -p /home/build/.builderd\n"
	                 "git log -1 --format='%H %ct' >/home/build/.builderd/git-checkout\n");
	if (g->recurse_submodules)
		bd_buf_puts(&sh, "git submodule update --init --recursive --quiet\n");
	sandbox_common(r, &a, !local);
	/* the host toolchain that provides git */
	static const char *const host[] = { "/usr",
		                            "/lib",
		                            "/lib64",
		                            "/etc/ssl",
		                            "/etc/ca-certificates",
		                            "/etc/resolv.conf",
		                            "/etc/hosts",
		                            "/etc/gitconfig" };
	for (size_t i = 0; i < BD_ARRAY_SIZE(host); i++) {
		if (access(host[i], F_OK) == 0) {
			arg(&a, "--ro-bind");
			arg(&a, "%s", host[i]);
			arg(&a, "%s", host[i]);
		}
	}
	if (local) {
		const char *p = g->repository + (g->repository[0] == '/' ? 0 : 7);
		arg(&a, "--ro-bind");
		arg(&a, "%s", p);
		arg(&a, "/mnt/source");
	}
	arg(&a, "--chdir");
	arg(&a, "%s", workdir);
	arg(&a, "--env");
	arg(&a, "PATH=/usr/bin:/bin:/usr/sbin:/sbin");
	arg(&a, "--");
	arg(&a, "/bin/sh");
	arg(&a, "-c");
	arg(&a, "%s", sh.data);
	rc = run_sandbox(r, &a, &s, &err);
	argv_free(&a);
	bd_buf_free(&sh);
	if (rc == 0 && s.exit_code == 0 && !s.setup_failed)
		git_epoch(r, g);
	if (rc < 0 || s.exit_code != 0 || s.setup_failed) {
		if (rc < 0)
			snprintf(r->error, sizeof(r->error), "step %d/%d (%s): %s", r->step,
			         r->total, name, err.msg);
		else if (s.exit_code == 3)
			snprintf(r->error, sizeof(r->error),
			         "step %d/%d (%s): %s is not at the expected commit %s", r->step,
			         r->total, name, g->repository, g->expected_commit);
		else
			step_failure(r, &s, name);
		snprintf(r->failed_step, sizeof(r->failed_step), "%s", name);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ packaging */

static int
package_one(struct runner *r, const struct bd_plan_package *p,
            const struct bd_apk_depscan_pkg *deps, const struct bd_apk_privkey *key,
            struct bd_json *artifacts, struct bd_err *err)
{
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_apk_script scripts[7];
	size_t ns = 0;
	struct bd_apk_pack_result res;
	_cleanup_free_ char *root = bd_xasprintf("%s/melange-out/%s", r->ws, p->name);
	_cleanup_free_ char *outdir = bd_xasprintf("%s/out", r->dir);
	_cleanup_free_ char *file = bd_xasprintf("%s-%s.apk", p->name, p->full_version);
	_cleanup_free_ char *out = bd_xasprintf("%s/%s", outdir, file);
	_cleanup_close_ int fd = -1;
	int rc;

	if (bd_mkdir_p(outdir, 0755, err) < 0 || bd_mkdir_p(root, 0755, err) < 0)
		return -err->code;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", root);
	pi.name = p->name;
	pi.version = p->full_version;
	pi.arch = (char *)(uintptr_t)r->plan->arch;
	pi.description = p->description;
	pi.url = p->url;
	pi.license = p->license;
	pi.origin = r->plan->pkg.name;
	pi.commit = p->commit;
	pi.builddate = r->sde;
	/* configured and detected dependencies, merged (apk/depscan.c) */
	for (size_t i = 0; i < deps->depends.n; i++)
		bd_strv_push(&pi.depends, deps->depends.v[i]);
	for (size_t i = 0; i < deps->provides.n; i++)
		bd_strv_push(&pi.provides, deps->provides.v[i]);
	plan_strv(&pi.replaces, &p->deps.replaces);
	if (p->deps.provider_priority) {
		pi.has_provider_priority = true;
		pi.provider_priority = strtol(p->deps.provider_priority, NULL, 10);
	}
	if (p->deps.replaces_priority) {
		pi.has_replaces_priority = true;
		pi.replaces_priority = strtol(p->deps.replaces_priority, NULL, 10);
	}
	const struct bd_plan_scriptlets *sc = &p->scriptlets;
	const struct {
		const char *type, *body;
	} sl[] = {
		{ ".pre-install", sc->pre_install },
		{ ".post-install", sc->post_install },
		{ ".pre-deinstall", sc->pre_deinstall },
		{ ".post-deinstall", sc->post_deinstall },
		{ ".pre-upgrade", sc->pre_upgrade },
		{ ".post-upgrade", sc->post_upgrade },
		{ ".trigger", sc->trigger },
	};
	for (size_t i = 0; i < BD_ARRAY_SIZE(sl); i++) {
		if (!sl[i].body)
			continue;
		scripts[ns].type = sl[i].type;
		scripts[ns].content = sl[i].body;
		scripts[ns].len = strlen(sl[i].body);
		ns++;
	}
	plan_strv(&pi.triggers, &sc->trigger_paths);
	struct bd_apk_pack_opts po = {
		.info = &pi,
		.key = key,
		.sig_alg = BD_HASH_SHA256,
		.mtime = r->sde,
		.scripts = scripts,
		.nscripts = ns,
		.generator = "builderd " BD_VERSION,
		.policy = {
			/* everything in the output was written by the build user */
			.expect_uid = (long)(r->host_base + BUILD_UID),
			.reject_writable = true,
		},
	};
	rc = bd_apk_pack(fd, &po, out, &res, err);
	bd_strv_free(&pi.depends);
	bd_strv_free(&pi.provides);
	bd_strv_free(&pi.replaces);
	bd_strv_free(&pi.triggers);
	if (rc < 0)
		return bd_err_prefix(err, "package %s: ", p->name);
	logline("    %s: %llu entries, %llu bytes installed, %llu bytes, C:%s", file,
	        (unsigned long long)res.nentries, (unsigned long long)res.installed_size,
	        (unsigned long long)res.file_size, res.identity);

	struct bd_json *a = bd_json_object(), *o = bd_json_object();
	bd_json_set_str(a, "file", file);
	bd_json_set_str(a, "checksum", res.identity);
	bd_json_set_int(a, "size", (int64_t)res.file_size);
	bd_json_set_str(o, "name", res.info.name);
	bd_json_set_str(o, "version", res.info.version);
	bd_json_set_str(o, "arch", res.info.arch);
	bd_json_set_str(o, "description", res.info.description);
	bd_json_set_str(o, "url", res.info.url);
	bd_json_set_str(o, "license", res.info.license);
	bd_json_set_str(o, "origin", res.info.origin);
	bd_json_set_str(o, "maintainer", res.info.maintainer);
	bd_json_set_str(o, "commit", res.info.commit);
	bd_json_set_int(o, "installed_size", (int64_t)res.info.installed_size);
	bd_json_set_int(o, "builddate", (int64_t)res.info.builddate);
	if (res.info.has_provider_priority)
		bd_json_set_int(o, "provider_priority", res.info.provider_priority);
	bd_json_set(o, "depends", bd_json_strv(&res.info.depends));
	bd_json_set(o, "provides", bd_json_strv(&res.info.provides));
	bd_json_set(o, "install_if", bd_json_strv(&res.info.install_if));
	bd_json_set(o, "replaces", bd_json_strv(&res.info.replaces));
	bd_json_set(a, "pkginfo", o);
	bd_json_append(artifacts, a);
	bd_apk_pkginfo_free(&res.info);
	return 0;
}

static const char *
step_label(const struct bd_plan_step *st, char *buf, size_t size)
{
	if (st->kind == BD_PLAN_FETCH)
		snprintf(buf, size, "fetch %s", st->fetch->filename);
	else if (st->kind == BD_PLAN_GIT)
		snprintf(buf, size, "git-checkout %s", st->git->repository);
	else if (st->name)
		snprintf(buf, size, "%s", st->name);
	else if (st->uses)
		snprintf(buf, size, "%s", st->uses);
	else
		snprintf(buf, size, "run (%s:%u)", st->loc.file ? st->loc.file : "recipe",
		         st->loc.line);
	return buf;
}

/* ------------------------------------------------------------ tests */

/* Extract @file (a package of this job, in DIR/out) into DIR/layers/@name
 * for use as a read-only layer of a test guest. */
static char *
package_layer(struct runner *r, const char *name, const char *file, struct bd_err *err)
{
	_cleanup_free_ char *apk = bd_xasprintf("%s/out/%s", r->dir, file);
	char *dir = bd_xasprintf("%s/layers/%s", r->dir, name);
	_cleanup_close_ int in = -1, dfd = -1;
	struct bd_extract_opts eo = { .apk = true };
	struct stat st;

	if (stat(dir, &st) == 0)
		return dir;
	if (bd_mkdir_p(dir, 0755, err) < 0)
		goto fail;
	in = open(apk, O_RDONLY | O_CLOEXEC);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in < 0 || dfd < 0) {
		bd_err_set(err, errno, "open %s", in < 0 ? apk : dir);
		goto fail;
	}
	if (bd_extract_fd(in, file, dfd, &eo, NULL, err) < 0)
		goto fail;
	return dir;
fail:
	free(dir);
	return NULL;
}

static const char *
built_file(const struct runner *r, const struct bd_json *artifacts, const char *name)
{
	(void)r;
	for (size_t i = 0; i < bd_json_array_size(artifacts); i++) {
		const struct bd_json *a = bd_json_array_get(artifacts, i);
		const struct bd_json *pi = bd_json_get(a, "pkginfo");
		const char *n = bd_json_str(bd_json_get(pi, "name"));
		if (n && strcmp(n, name) == 0)
			return bd_json_str(bd_json_get(a, "file"));
	}
	return NULL;
}

/* Run the recipe's test pipelines, each in a fresh guest: the base layer,
 * the package under test, and any package of this build the test
 * environment names.  Other environment packages are expected from the
 * base layer.  Returns -1 on the first failing test step. */
static int
run_tests(struct runner *r, const struct bd_json *artifacts)
{
	struct bd_err err = { 0 };

	for (size_t t = 0; t < r->plan->n_tests; t++) {
		const struct bd_plan_test *tst = &r->plan->tests[t];
		_cleanup_free_ char *ws = bd_xasprintf("%s/test-%zu/ws", r->dir, t);
		_cleanup_free_ char *ovl = bd_xasprintf("%s/test-%zu/overlay", r->dir, t);
		_cleanup_free_ char *src = bd_xasprintf("%s/src", r->dir);
		char *layer_mem[16] = { 0 };
		size_t nl = 1;
		int rc = 0;

		struct bd_env_result tenv = { 0 };
		if (tst->n_steps == 0)
			continue;
		r->layers[0] = r->rootfs;
		/* a test environment with repositories is built like the build's */
		if (env_layer(r, &tst->env, &tenv, &err) < 0) {
			step_error(r, "test environment", "%s", err.msg);
			logline("!!! %s", r->error);
			return -1;
		}
		if (tenv.layer)
			r->layers[0] = layer_mem[0] = bd_steal_ptr(&tenv.layer);
		bd_env_result_free(&tenv);
		/* the package under test, then other packages of this build */
		const char *file = built_file(r, artifacts, tst->package);
		if (!file) {
			step_error(r, "test", "package %s under test was not built", tst->package);
			return -1;
		}
		layer_mem[nl] = package_layer(r, tst->package, file, &err);
		if (!layer_mem[nl]) {
			step_error(r, "test", "%s", err.msg);
			return -1;
		}
		r->layers[nl] = layer_mem[nl];
		nl++;
		for (size_t i = 0; i < tst->env.packages.n && nl < BD_ARRAY_SIZE(r->layers); i++) {
			const char *want = tst->env.packages.v[i];
			const char *f =
			    strcmp(want, tst->package) ? built_file(r, artifacts, want) : NULL;
			if (!f) {
				if (strcmp(want, tst->package) != 0)
					logline(
					    "    test environment: %s is expected from the base layer",
					    want);
				continue;
			}
			layer_mem[nl] = package_layer(r, want, f, &err);
			if (!layer_mem[nl]) {
				step_error(r, "test", "%s", err.msg);
				rc = -1;
				goto next;
			}
			r->layers[nl] = layer_mem[nl];
			nl++;
		}
		r->nlayers = nl;
		r->cur_ws = ws;
		r->cur_ovl = ovl;
		r->in_test = true;
		if (bd_mkdir_p(ws, 0755, &err) < 0 || bd_mkdir_p(ovl, 0755, &err) < 0 ||
		    copy_tree(src, ws, &err) < 0 || chown_build(r, ws, &err) < 0) {
			step_error(r, "test", "test workspace: %s", err.msg);
			rc = -1;
			goto next;
		}
		for (size_t i = 0; i < tst->n_steps && rc == 0; i++) {
			const struct bd_plan_step *st = &tst->steps[i];
			char base[256], label[320];
			uint64_t s0 = bd_now_ns();
			if (cancelled) {
				rc = -1;
				break;
			}
			r->step++;
			snprintf(label, sizeof(label), "test %s: %s", tst->package,
			         step_label(st, base, sizeof(base)));
			progress(r, label);
			logline("==> [%d/%d] %s", r->step, r->total, label);
			if (st->kind != BD_PLAN_SHELL) {
				step_error(r, label, "source steps are not allowed in tests");
				rc = -1;
			} else {
				rc = run_shell_step(r, st, label);
			}
			logline("<== [%d/%d] %s: %s (%.1fs)", r->step, r->total, label,
			        rc == 0     ? "ok"
			        : cancelled ? "cancelled"
			                    : "failed",
			        (double)(bd_now_ns() - s0) / 1e9);
			if (rc < 0 && !cancelled)
				logline("!!! %s", r->error);
		}
	next:
		for (size_t i = 0; i < BD_ARRAY_SIZE(layer_mem); i++)
			free(layer_mem[i]);
		r->nlayers = 1;
		r->layers[0] = r->env.layer ? r->env.layer : r->rootfs;
		r->cur_ws = r->ws;
		r->cur_ovl = r->ovl;
		r->in_test = false;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Write each package's SPDX document into its output tree, before the
 * dependency scan and packing (recipe-format.md 6.4). */
static int
write_sboms(struct runner *r, const char *recipe, size_t recipe_len, struct bd_err *err)
{
	struct bd_sbom_source *src = bd_xcalloc(r->plan->n_steps + 1, sizeof(*src));
	size_t ns = 0;
	unsigned char d[BD_HASH_MAX];
	char recipe_hex[65], layer_hex[65] = "";
	const char *lname = strrchr(r->rootfs, '/');
	int rc = 0;

	bd_hash_buf(BD_HASH_SHA256, recipe, recipe_len, d);
	bd_hex(d, 32, recipe_hex);
	lname = lname ? lname + 1 : r->rootfs;
	if (strlen(lname) == 64 && strspn(lname, "0123456789abcdef") == 64)
		snprintf(layer_hex, sizeof(layer_hex), "%s", lname);
	for (size_t i = 0; i < r->plan->n_steps; i++) {
		const struct bd_plan_step *st = &r->plan->steps[i];
		if (st->kind == BD_PLAN_FETCH) {
			src[ns++] = (struct bd_sbom_source){
				.kind = "fetch",
				.uri = st->fetch->uri,
				.sha256 = st->fetch->sha256,
				.sha512 = st->fetch->sha512,
				.name = st->fetch->purl_name,
				.version = st->fetch->purl_version,
			};
		} else if (st->kind == BD_PLAN_GIT) {
			const char *commit = st->git->expected_commit;
			if (!commit && r->git_commit[0] &&
			    strcmp(r->git_repo, st->git->repository) == 0)
				commit = r->git_commit;
			src[ns++] = (struct bd_sbom_source){
				.kind = "git",
				.uri = st->git->repository,
				.commit = commit,
				.name = r->plan->pkg.name,
				.version = st->git->tag ? st->git->tag : commit,
			};
		}
	}
	struct bd_sbom_envpkg base = {
		.name = "base-layer",
		.version = lname,
		.checksum = layer_hex[0] ? layer_hex : NULL,
	};
	/* an APK environment is listed package by package */
	size_t nenv = r->env.resolved.n ? r->env.resolved.n : 1;
	struct bd_sbom_envpkg *env = bd_xcalloc(nenv, sizeof(*env));
	char **parts = bd_xcalloc(nenv * 3, sizeof(char *));
	if (!r->env.resolved.n)
		env[0] = base;
	for (size_t i = 0; i < r->env.resolved.n; i++) {
		char *line = bd_xstrdup(r->env.resolved.v[i]), *save = NULL;
		parts[3 * i] = line;
		env[i].name = strtok_r(line, " ", &save);
		env[i].version = strtok_r(NULL, " ", &save);
		env[i].checksum = strtok_r(NULL, " ", &save);
	}
	for (size_t i = 0; i <= r->plan->n_subpkgs && rc == 0; i++) {
		const struct bd_plan_package *p = i ? &r->plan->subpkgs[i - 1] : &r->plan->pkg;
		struct bd_sbom_input in = {
			.namespace_ = "builderd",
			.name = p->name,
			.version = p->full_version,
			.arch = r->plan->arch,
			.license = p->license,
			.description = p->description,
			.url = p->url,
			.origin = r->plan->pkg.name,
			.recipe_name = spec_str(r, "recipe_name"),
			.recipe_sha256 = recipe_hex,
			.source_date_epoch = r->sde,
			.sources = src,
			.nsources = ns,
			.env = env,
			.nenv = nenv,
		};
		struct bd_buf doc = { 0 };
		_cleanup_free_ char *rel = bd_sbom_path(p->name, p->full_version);
		_cleanup_free_ char *path =
		    bd_xasprintf("%s/melange-out/%s/%s", r->ws, p->name, rel);
		_cleanup_free_ char *top = bd_xasprintf("%s/melange-out/%s/var", r->ws, p->name);
		char *slash = strrchr(path, '/');
		rc = bd_sbom_spdx(&in, &doc, err);
		if (rc == 0) {
			*slash = '\0';
			rc = bd_mkdir_p(path, 0755, err);
			*slash = '/';
		}
		if (rc == 0)
			rc = bd_write_file_atomic(path, doc.data, doc.len, 0644, err);
		/* everything in an output tree belongs to the build user */
		if (rc == 0)
			rc = chown_build(r, top, err);
		bd_buf_free(&doc);
	}
	for (size_t i = 0; i < nenv * 3; i++)
		free(parts[i]);
	free(parts);
	free(env);
	free(src);
	return rc;
}

/* ------------------------------------------------------------ main */

static int
write_result(struct runner *r, bool ok, struct bd_json *artifacts)
{
	struct bd_json *o = bd_json_object(), *res = bd_json_object();
	_cleanup_free_ char *p = bd_xasprintf("%s/result.json", r->dir);
	struct bd_err err = { 0 };
	char *s;
	int rc;

	bd_json_set_str(o, "status", ok ? "ok" : cancelled ? "cancelled" : "failed");
	bd_json_set_str(o, "error", ok ? NULL : r->error);
	bd_json_set_str(o, "failed_step", ok || !r->failed_step[0] ? NULL : r->failed_step);
	bd_json_set_int(res, "wall_ms", (int64_t)(r->wall_ns / 1000000));
	bd_json_set_int(res, "cpu_ms", (int64_t)(r->cpu_ns / 1000000));
	bd_json_set_int(res, "peak_memory", (int64_t)r->peak);
	bd_json_set(o, "resources", res);
	bd_json_set_int(o, "source_date_epoch", (int64_t)r->sde);
	bd_json_set(o, "environment", bd_json_strv(&r->env.resolved));
	bd_json_set(o, "artifacts", artifacts ? artifacts : bd_json_array());
	s = bd_json_dump(o, true);
	bd_json_free(o);
	rc = bd_write_file_atomic(p, s, strlen(s), 0644, &err);
	free(s);
	if (rc < 0)
		logline("!!! cannot write the job result: %s", err.msg);
	return rc;
}

int
bd_runner_main(const char *dir)
{
	struct runner r = { .dir = dir };
	struct bd_err err = { 0 };
	struct bd_buf spec = { 0 }, recipe = { 0 };
	struct bd_apk_privkey *key = NULL;
	struct bd_json *artifacts = NULL;
	struct sigaction sa = { .sa_handler = on_term };
	struct bd_apk_depscan *scans = NULL;
	struct bd_apk_depscan_pkg *dpk = NULL;
	struct bd_strv *cfg_deps = NULL, *cfg_prov = NULL;
	size_t ndeps = 0;
	bool ok = false;
	uint64_t t0 = bd_now_ns();

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	_cleanup_free_ char *specp = bd_xasprintf("%s/job.json", dir);
	if (bd_read_file_at(AT_FDCWD, specp, 1u << 20, &spec, &err) < 0 ||
	    !(r.spec = bd_json_parse(spec.data, spec.len, &err))) {
		logline("!!! runner: %s", err.msg);
		return 70;
	}
	r.job = bd_json_int_value(bd_json_get(r.spec, "job"));
	r.arch = spec_str(&r, "arch");
	r.rootfs = spec_str(&r, "rootfs");
	r.sandbox = spec_str(&r, "sandbox");
	r.cache_dir = spec_str(&r, "cache_dir");
	r.keypath = spec_str(&r, "key");
	r.sde = (uint64_t)bd_json_int_value(bd_json_get(r.spec, "source_date_epoch"));
	r.host_base = (uint64_t)bd_json_int_value(bd_json_get(r.spec, "host_id_base"));
	if (!r.host_base)
		r.host_base = 200000;
	r.allow_no_checksum = bd_json_bool_value(bd_json_get(r.spec, "allow_no_checksum"));
	r.mem = spec_lim(&r, "memory");
	r.pids = spec_lim(&r, "pids");
	r.cpu_millis = spec_lim(&r, "cpu_millis");
	r.tmpfs = spec_lim(&r, "tmpfs");
	r.timeout = spec_lim(&r, "timeout");
	r.deadline = r.timeout ? time(NULL) + (time_t)r.timeout : 0;
	r.ws = bd_xasprintf("%s/ws", dir);
	r.ovl = bd_xasprintf("%s/overlay", dir);
	r.cur_ws = r.ws;
	r.cur_ovl = r.ovl;
	if (!r.arch || !r.rootfs || !r.sandbox || !r.cache_dir || !r.keypath) {
		logline("!!! runner: incomplete job.json");
		return 70;
	}
	r.layers[0] = r.rootfs;
	r.nlayers = 1;

	/* 1: compile */
	_cleanup_free_ char *rp = bd_xasprintf("%s/%s", dir, spec_str(&r, "recipe"));
	const struct bd_json *pd = bd_json_get(r.spec, "pipeline_dirs");
	const char *dirs[64];
	size_t nd = 0;
	for (size_t i = 0; i < bd_json_array_size(pd) && nd < 64; i++)
		dirs[nd++] = bd_json_str(bd_json_array_get(pd, i));
	struct bd_recipe_opts ro = { .arch = r.arch, .pipeline_dirs = dirs, .n_pipeline_dirs = nd };
	if (bd_read_file_at(AT_FDCWD, rp, 16u << 20, &recipe, &err) < 0 ||
	    bd_recipe_compile_buffer(spec_str(&r, "recipe_name"), recipe.data, recipe.len, &ro,
	                             &r.plan, &err) < 0) {
		snprintf(r.error, sizeof(r.error), "recipe: %s", err.msg);
		snprintf(r.failed_step, sizeof(r.failed_step), "compile");
		logline("!!! %s", r.error);
		goto done;
	}
	r.total = (int)r.plan->n_steps + 1 + (int)r.plan->n_subpkgs;
	bool skip_tests = bd_json_bool_value(bd_json_get(r.spec, "skip_tests"));
	for (size_t i = 0; !skip_tests && i < r.plan->n_tests; i++)
		r.total += (int)r.plan->tests[i].n_steps;
	logline(
	    "*** job %lld: %s-%s for %s, %zu step(s), %zu subpackage(s), SOURCE_DATE_EPOCH=%llu",
	    (long long)r.job, r.plan->pkg.name, r.plan->pkg.full_version, r.plan->arch,
	    r.plan->n_steps, r.plan->n_subpkgs, (unsigned long long)r.sde);

	/* 2: the workspace */
	{
		_cleanup_free_ char *src = bd_xasprintf("%s/src", dir);
		_cleanup_free_ char *outs = bd_xasprintf("%s/melange-out", r.ws);
		if (bd_mkdir_p(outs, 0755, &err) < 0 || bd_mkdir_p(r.ovl, 0755, &err) < 0 ||
		    copy_tree(src, r.ws, &err) < 0) {
			snprintf(r.error, sizeof(r.error), "workspace: %s", err.msg);
			goto done;
		}
		for (size_t i = 0; i <= r.plan->n_subpkgs; i++) {
			const struct bd_plan_package *p =
			    i ? &r.plan->subpkgs[i - 1] : &r.plan->pkg;
			_cleanup_free_ char *o = bd_xasprintf("%s/%s", outs, p->name);
			if (bd_mkdir_p(o, 0755, &err) < 0) {
				snprintf(r.error, sizeof(r.error), "workspace: %s", err.msg);
				goto done;
			}
		}
		if (chown_build(&r, r.ws, &err) < 0) {
			snprintf(r.error, sizeof(r.error), "workspace: %s", err.msg);
			goto done;
		}
	}

	/* the build environment: packages from signed repositories, or the base */
	if (env_layer(&r, &r.plan->build_env, &r.env, &err) < 0) {
		step_error(&r, "environment", "%s", err.msg);
		logline("!!! %s", r.error);
		goto done;
	}
	if (r.env.layer)
		r.layers[0] = r.env.layer;

	/* 3: the steps */
	for (size_t i = 0; i < r.plan->n_steps; i++) {
		const struct bd_plan_step *st = &r.plan->steps[i];
		char label[256];
		uint64_t s0 = bd_now_ns();
		int rc;

		if (cancelled)
			goto done;
		r.step = (int)i + 1;
		step_label(st, label, sizeof(label));
		progress(&r, label);
		logline("==> [%d/%d] %s", r.step, r.total, label);
		if (st->kind == BD_PLAN_FETCH) {
			rc = run_fetch(&r, st->fetch, st->workdir, &err);
			if (rc < 0) {
				step_error(&r, label, "%s", err.msg);
			}
		} else if (st->kind == BD_PLAN_GIT) {
			rc = run_git(&r, st->git, st->workdir, label);
		} else {
			rc = run_shell_step(&r, st, label);
		}
		double secs = (double)(bd_now_ns() - s0) / 1e9;
		if (rc < 0 || cancelled) {
			logline("<== [%d/%d] %s: %s (%.1fs)", r.step, r.total, label,
			        cancelled ? "cancelled" : "failed", secs);
			if (!cancelled)
				logline("!!! %s", r.error);
			goto done;
		}
		logline("<== [%d/%d] %s: ok (%.1fs)", r.step, r.total, label, secs);
	}

	/* 4: packages */
	key = bd_apk_privkey_load(r.keypath, &err);
	if (!key) {
		snprintf(r.error, sizeof(r.error), "signing key: %s", err.msg);
		goto done;
	}
	artifacts = bd_json_array();
	if (write_sboms(&r, recipe.data, recipe.len, &err) < 0) {
		step_error(&r, "sbom", "%s", err.msg);
		logline("!!! %s", r.error);
		goto done;
	}
	/* automatic dependencies and provides, over every package of the build
	 * at once so that siblings satisfy each other (recipe-format.md 6.3) */
	size_t npk = r.plan->n_subpkgs + 1;
	scans = bd_xcalloc(npk, sizeof(*scans));
	dpk = bd_xcalloc(npk, sizeof(*dpk));
	cfg_deps = bd_xcalloc(npk, sizeof(*cfg_deps));
	cfg_prov = bd_xcalloc(npk, sizeof(*cfg_prov));
	for (size_t i = 0; i < npk; i++) {
		const struct bd_plan_package *p = i ? &r.plan->subpkgs[i - 1] : &r.plan->pkg;
		_cleanup_free_ char *root = bd_xasprintf("%s/melange-out/%s", r.ws, p->name);
		_cleanup_close_ int rfd =
		    open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		plan_strv(&cfg_deps[i], &p->deps.runtime);
		plan_strv(&cfg_prov[i], &p->deps.provides);
		if (rfd < 0 ||
		    bd_apk_depscan_tree(rfd, p->full_version, NULL, &scans[i], &err) < 0) {
			step_error(&r, "dependency scan", "%s: %s", p->name,
			           rfd < 0 ? strerror(errno) : err.msg);
			logline("!!! %s", r.error);
			goto done;
		}
		dpk[i].name = p->name;
		dpk[i].version = p->full_version;
		dpk[i].configured_depends = &cfg_deps[i];
		dpk[i].configured_provides = &cfg_prov[i];
		dpk[i].no_provides = p->no_provides;
		dpk[i].no_depends = p->no_depends;
		dpk[i].no_commands = p->no_commands;
		dpk[i].scan = &scans[i];
	}
	if (bd_apk_deps_finalize(dpk, npk, &err) < 0) {
		step_error(&r, "dependency scan", "%s", err.msg);
		logline("!!! %s", r.error);
		goto done;
	}
	for (size_t i = 0; i < npk; i++) {
		for (size_t k = 0; k < dpk[i].notes.n; k++)
			logline("    %s: %s", dpk[i].name, dpk[i].notes.v[k]);
		for (size_t k = 0; k < dpk[i].vendored.n; k++)
			logline("    %s: vendored %s", dpk[i].name, dpk[i].vendored.v[k]);
	}
	for (size_t i = 0; i <= r.plan->n_subpkgs; i++) {
		const struct bd_plan_package *p = i ? &r.plan->subpkgs[i - 1] : &r.plan->pkg;
		char label[300];
		uint64_t s0 = bd_now_ns();
		if (cancelled)
			goto done;
		r.step = (int)r.plan->n_steps + 1 + (int)i;
		snprintf(label, sizeof(label), "package %s", p->name);
		progress(&r, label);
		logline("==> [%d/%d] %s", r.step, r.total, label);
		if (package_one(&r, p, &dpk[i], key, artifacts, &err) < 0) {
			logline("<== [%d/%d] %s: failed (%.1fs)", r.step, r.total, label,
			        (double)(bd_now_ns() - s0) / 1e9);
			step_error(&r, label, "%s", err.msg);
			logline("!!! %s", r.error);
			goto done;
		}
		logline("<== [%d/%d] %s: ok (%.1fs)", r.step, r.total, label,
		        (double)(bd_now_ns() - s0) / 1e9);
	}

	/* 5: tests, before anything is published */
	if (skip_tests) {
		if (r.plan->n_tests)
			logline("*** tests skipped (--skip-tests)");
	} else if (run_tests(&r, artifacts) < 0) {
		goto done;
	}
	ok = true;
done:
	if (!r.wall_ns)
		r.wall_ns = bd_now_ns() - t0;
	if (cancelled && !ok)
		logline("!!! cancelled");
	write_result(&r, ok, ok ? artifacts : (bd_json_free(artifacts), NULL));
	ndeps = r.plan ? r.plan->n_subpkgs + 1 : 0;
	for (size_t i = 0; dpk && i < ndeps; i++) {
		bd_apk_depscan_pkg_free(&dpk[i]);
		bd_apk_depscan_free(&scans[i]);
		bd_strv_free(&cfg_deps[i]);
		bd_strv_free(&cfg_prov[i]);
	}
	free(dpk);
	free(scans);
	free(cfg_deps);
	free(cfg_prov);
	bd_apk_privkey_free(key);
	bd_env_result_free(&r.env);
	bd_plan_free(r.plan);
	bd_json_free(r.spec);
	bd_buf_free(&spec);
	bd_buf_free(&recipe);
	free(r.ws);
	free(r.ovl);
	return ok ? 0 : cancelled ? BD_RUNNER_EXIT_KILLED : BD_RUNNER_EXIT_FAILED;
}
