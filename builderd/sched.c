/* SPDX-License-Identifier: MIT */
/* sched: worker slots and job runners.
 *
 * Each busy slot owns one runner process (builderd --run-job DIR), started
 * in its own process group with PR_SET_PDEATHSIG, so that killing the group
 * reaches its git/sandbox children and the daemon's death takes them down.
 * The runner is watched through a pidfd on the event loop; its progress
 * ("step i/n") arrives as JSON lines on a pipe; its log goes straight to
 * logs/<id>.log; its result is work/<id>/result.json.
 *
 * Cancel and timeout send SIGTERM to the group (the runner asks its
 * builder-sandbox to kill the whole step tree through its cgroup) and
 * SIGKILL ten seconds later.  Leases are renewed each tick while a runner
 * lives.  At start, jobs left running by a previous daemon are requeued
 * (or failed when their attempts are used up), interrupted publications are
 * finished, and leftover workspaces are removed. */
#include "builderd/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/base64.h"
#include "common/cleanup.h"
#include "proto/json.h"

#define KILL_GRACE 10 /* seconds between SIGTERM and SIGKILL */

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int
bd_sched_running(const struct bd_daemon *d)
{
	int n = 0;

	for (int i = 0; i < d->nslots; i++)
		n += d->slots[i].busy;
	return n;
}

struct bd_slot *
bd_sched_slot_of(struct bd_daemon *d, int64_t job)
{
	for (int i = 0; i < d->nslots; i++)
		if (d->slots[i].busy && d->slots[i].job == job)
			return &d->slots[i];
	return NULL;
}

static char *
workdir(const struct bd_daemon *d, int64_t job)
{
	return bd_xasprintf("%s/%lld", d->work_dir, (long long)job);
}

static void
remove_workdir(struct bd_daemon *d, int64_t job)
{
	char name[32];
	struct bd_err err = { 0 };
	_cleanup_close_ int fd = open(d->work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	snprintf(name, sizeof(name), "%lld", (long long)job);
	if (fd < 0 || bd_rm_rf_at(fd, name, &err) < 0)
		bd_warn(&d->log, "job=%lld cannot remove its workspace: %s", (long long)job,
		        fd < 0 ? strerror(errno) : err.msg);
}

/* rmdir a cgroup directory and its sub-cgroups, leaves first.  Only
 * directories are removed (a cgroup's files go with it); a cgroup that
 * still has processes stays (EBUSY) and is reported. */
static void
rmdir_cgroup(struct bd_daemon *d, const char *path, int depth)
{
	_cleanup_closedir_ DIR *dir = opendir(path);
	struct dirent *de;

	if (!dir || depth > 16)
		return;
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = bd_xasprintf("%s/%s", path, de->d_name);
		rmdir_cgroup(d, sub, depth + 1);
	}
	if (rmdir(path) < 0 && errno != ENOENT)
		bd_warn(&d->log, "cannot remove cgroup %s: %s", path, strerror(errno));
}

/* In one hierarchy's builderd/ directory, remove job-<id> (or every
 * job-* when @job is 0). */
static void
clean_hierarchy(struct bd_daemon *d, const char *base, int64_t job)
{
	_cleanup_closedir_ DIR *jd = NULL;
	struct dirent *je;

	if (job) {
		_cleanup_free_ char *p = bd_xasprintf("%s/job-%lld", base, (long long)job);
		rmdir_cgroup(d, p, 0);
		return;
	}
	jd = opendir(base);
	while (jd && (je = readdir(jd))) {
		if (je->d_type == DT_DIR && strncmp(je->d_name, "job-", 4) == 0) {
			_cleanup_free_ char *p = bd_xasprintf("%s/%s", base, je->d_name);
			rmdir_cgroup(d, p, 0);
		}
	}
}

/* Remove the cgroups builder-sandbox made for @job (parent
 * /builderd/job-<id>) in the unified root and every v1 hierarchy, or for
 * every job when @job is 0. */
static void
remove_job_cgroups(struct bd_daemon *d, int64_t job)
{
	static const char root[] = "/sys/fs/cgroup";
	_cleanup_closedir_ DIR *dir = opendir(root);
	struct dirent *de;

	clean_hierarchy(d, "/sys/fs/cgroup/builderd", job);
	while (dir && (de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *base = bd_xasprintf("%s/%s/builderd", root, de->d_name);
		clean_hierarchy(d, base, job);
	}
}

/* Write the recipe, side files and the runner's job.json into @dir. */
static int
prepare_workdir(struct bd_daemon *d, const struct bd_job *j, const char *dir, int slot,
                struct bd_err *err)
{
	_cleanup_free_ char *recipe = NULL, *files = NULL, *p = NULL;
	struct bd_json *spec = NULL, *fa = NULL;
	char *s;
	int r;

	r = bd_db_job_inputs(d->db, j->id, &recipe, &files, err);
	if (r < 0)
		return r;
	if (bd_mkdir_p(dir, 0755, err) < 0)
		return -err->code;
	p = bd_xasprintf("%s/src", dir);
	if (bd_mkdir_p(p, 0755, err) < 0)
		return -err->code;
	free(p);
	p = bd_xasprintf("%s/recipe.yaml", dir);
	r = bd_write_file_atomic(p, recipe, strlen(recipe), 0644, err);
	if (r < 0)
		return r;
	/* side files land in src/, which the runner copies into the workspace */
	if (files) {
		fa = bd_json_parse(files, strlen(files), err);
		if (!fa)
			return bd_err_prefix(err, "job %lld side files: ", (long long)j->id);
		for (size_t i = 0; i < bd_json_array_size(fa); i++) {
			const struct bd_json *f = bd_json_array_get(fa, i);
			const char *path = bd_json_str(bd_json_get(f, "path"));
			const char *content = bd_json_str(bd_json_get(f, "content"));
			const struct bd_json *mode = bd_json_get(f, "mode");
			char *data = NULL;
			long len;
			if (!path || !content || !bd_side_file_path_ok(path)) {
				bd_json_free(fa);
				return bd_err_setx(err, EINVAL, "job %lld: bad stored side file",
				                   (long long)j->id);
			}
			len = bd_base64_decode(content, strlen(content), &data);
			free(p);
			p = bd_xasprintf("%s/src/%s", dir, path);
			char *slash = strrchr(p, '/');
			*slash = '\0';
			r = bd_mkdir_p(p, 0755, err);
			*slash = '/';
			if (r == 0 && len >= 0)
				r = bd_write_file_atomic(
				    p, data, (size_t)len,
				    mode ? (mode_t)bd_json_int_value(mode) : 0644, err);
			free(data);
			if (r < 0 || len < 0) {
				bd_json_free(fa);
				return r < 0 ? r : bd_err_setx(err, EINVAL, "%s: bad base64", path);
			}
		}
		bd_json_free(fa);
	}

	spec = bd_json_object();
	bd_json_set_int(spec, "job", j->id);
	bd_json_set_str(spec, "recipe", "recipe.yaml");
	bd_json_set_str(spec, "recipe_name", j->recipe_name ? j->recipe_name : "recipe.yaml");
	bd_json_set_str(spec, "arch", j->arch);
	bd_json_set_int(spec, "attempt", j->attempts);
	bd_json_set_str(spec, "key", d->cfg.key);
	bd_json_set_str(spec, "rootfs", d->rootfs);
	bd_json_set_str(spec, "sandbox", d->cfg.sandbox);
	bd_json_set_str(spec, "cache_dir", d->cache_dir);
	int64_t sde = j->source_date_epoch       ? j->source_date_epoch
	              : d->cfg.source_date_epoch ? (int64_t)d->cfg.source_date_epoch
	                                         : j->created_at;
	bd_json_set_int(spec, "source_date_epoch", sde);
	bd_json_set_bool(spec, "skip_tests", j->skip_tests);
	bd_json_set_bool(spec, "allow_no_checksum", d->cfg.allow_no_checksum);
	/* a host id range per slot: concurrent jobs never share a uid */
	bd_json_set_int(spec, "host_id_base", 200000 + (int64_t)slot * 65536);
	struct bd_json *lim = bd_json_object();
	bd_json_set_int(lim, "memory", (int64_t)d->cfg.memory_limit);
	bd_json_set_int(lim, "pids", (int64_t)d->cfg.pids_limit);
	bd_json_set_int(lim, "cpu_millis", (int64_t)d->cfg.cpu_limit);
	bd_json_set_int(lim, "tmpfs", (int64_t)d->cfg.tmpfs_size);
	bd_json_set_int(lim, "timeout", (int64_t)d->cfg.job_timeout);
	bd_json_set(spec, "limits", lim);
	bd_json_set(spec, "extra_ro_paths", bd_json_strv(&d->cfg.extra_ro_paths));
	bd_json_set(spec, "mirrors", bd_json_strv(&d->cfg.mirrors));
	bd_json_set(spec, "pipeline_dirs", bd_json_strv(&d->cfg.pipeline_dirs));
	s = bd_json_dump(spec, true);
	bd_json_free(spec);
	free(p);
	p = bd_xasprintf("%s/job.json", dir);
	r = bd_write_file_atomic(p, s, strlen(s), 0600, err);
	free(s);
	return r;
}

static void slot_release(struct bd_daemon *d, struct bd_slot *s);

/* Apply one progress line from the runner. */
static void
runner_line(struct bd_daemon *d, struct bd_slot *s, const char *line)
{
	struct bd_err err = { 0 };
	struct bd_json *j = bd_json_parse(line, strlen(line), &err);
	const struct bd_json *step;

	if (!j) {
		bd_warn(&d->log, "job=%lld runner sent a bad status line: %s", (long long)s->job,
		        err.msg);
		return;
	}
	step = bd_json_get(j, "step");
	if (bd_json_is_int(step)) {
		const char *name = bd_json_str(bd_json_get(j, "name"));
		int total = (int)bd_json_int_value(bd_json_get(j, "total"));
		snprintf(s->step_name, sizeof(s->step_name), "%s", name ? name : "");
		if (bd_db_job_set_step(d->db, s->job, (int)bd_json_int_value(step), total, name,
		                       &err) < 0)
			bd_warn(&d->log, "job=%lld %s", (long long)s->job, err.msg);
	}
	bd_json_free(j);
}

static void
drain_status(struct bd_daemon *d, struct bd_slot *s)
{
	char buf[4096];
	ssize_t n;

	if (s->status_fd >= 0) {
		while ((n = read(s->status_fd, buf, sizeof(buf))) > 0)
			bd_buf_append(&s->status_buf, buf, (size_t)n);
		/* EOF: the runner closed its end; stop polling a readable pipe */
		if (n == 0 && s->ev_status)
			event_del(s->ev_status);
	}
	while (s->status_buf.len) {
		char *nl = memchr(s->status_buf.data, '\n', s->status_buf.len);
		if (!nl)
			break;
		*nl = '\0';
		runner_line(d, s, s->status_buf.data);
		size_t used = (size_t)(nl - s->status_buf.data) + 1;
		memmove(s->status_buf.data, nl + 1, s->status_buf.len - used);
		s->status_buf.len -= used;
		s->status_buf.data[s->status_buf.len] = '\0';
	}
}

static void
on_status(evutil_socket_t fd, short what, void *arg)
{
	struct bd_slot *s = arg;

	(void)fd;
	(void)what;
	drain_status(s->owner, s);
}

/* Read work/<id>/result.json. */
static struct bd_json *
read_result(struct bd_daemon *d, int64_t job, struct bd_err *err)
{
	_cleanup_free_ char *p = bd_xasprintf("%s/%lld/result.json", d->work_dir, (long long)job);
	struct bd_buf b = { 0 };
	struct bd_json *j = NULL;

	if (bd_read_file_at(AT_FDCWD, p, 16u << 20, &b, err) == 0)
		j = bd_json_parse(b.data, b.len, err);
	bd_buf_free(&b);
	return j;
}

static void
read_resources(const struct bd_json *res, struct bd_db_resources *r)
{
	const struct bd_json *o = bd_json_get(res, "resources");

	r->wall_ms = bd_json_int_value(bd_json_get(o, "wall_ms"));
	r->cpu_ms = bd_json_int_value(bd_json_get(o, "cpu_ms"));
	r->peak_memory = bd_json_int_value(bd_json_get(o, "peak_memory"));
}

/* Stage and publish what a successful runner produced. */
static int
publish_result(struct bd_daemon *d, int64_t job, const struct bd_json *res, struct bd_err *err)
{
	const struct bd_json *arts = bd_json_get(res, "artifacts");
	size_t n = bd_json_array_size(arts);
	struct bd_db_artifact *v;
	int r;

	if (n == 0)
		return bd_err_setx(err, EINVAL, "the runner produced no package");
	v = bd_xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct bd_json *a = bd_json_array_get(arts, i);
		const struct bd_json *pi = bd_json_get(a, "pkginfo");
		const char *file = bd_json_str(bd_json_get(a, "file"));
		const char *ck = bd_json_str(bd_json_get(a, "checksum"));
		if (!file || !ck || strchr(file, '/') || file[0] == '.' || !pi) {
			bd_db_artifacts_free(v, n);
			return bd_err_setx(err, EINVAL, "runner result: malformed artifact %zu", i);
		}
		snprintf(v[i].file, sizeof(v[i].file), "%s", file);
		snprintf(v[i].checksum, sizeof(v[i].checksum), "%s", ck);
		v[i].size = bd_json_int_value(bd_json_get(a, "size"));
		v[i].job = job;
#define S(f, k)                                                  \
	do {                                                     \
		const char *x = bd_json_str(bd_json_get(pi, k)); \
		v[i].pi.f = x ? bd_xstrdup(x) : NULL;            \
	} while (0)
		S(name, "name");
		S(version, "version");
		S(arch, "arch");
		S(description, "description");
		S(url, "url");
		S(license, "license");
		S(origin, "origin");
		S(maintainer, "maintainer");
		S(commit, "commit");
#undef S
		v[i].pi.installed_size =
		    (uint64_t)bd_json_int_value(bd_json_get(pi, "installed_size"));
		v[i].pi.builddate = (uint64_t)bd_json_int_value(bd_json_get(pi, "builddate"));
		if (bd_json_get(pi, "provider_priority")) {
			v[i].pi.has_provider_priority = true;
			v[i].pi.provider_priority =
			    (long)bd_json_int_value(bd_json_get(pi, "provider_priority"));
		}
		static const char *const lists[] = { "depends", "provides", "install_if",
			                             "replaces" };
		struct bd_strv *dst[] = { &v[i].pi.depends, &v[i].pi.provides, &v[i].pi.install_if,
			                  &v[i].pi.replaces };
		for (size_t k = 0; k < 4; k++) {
			const struct bd_json *l = bd_json_get(pi, lists[k]);
			for (size_t x = 0; x < bd_json_array_size(l); x++) {
				const char *item = bd_json_str(bd_json_array_get(l, x));
				if (item)
					bd_strv_push(dst[k], item);
			}
		}
		if (!v[i].pi.name || !v[i].pi.version || !v[i].pi.arch) {
			bd_db_artifacts_free(v, n);
			return bd_err_setx(err, EINVAL,
			                   "runner result: artifact %zu lacks metadata", i);
		}
	}
	r = bd_db_stage(d->db, job, v, n, err);
	bd_db_artifacts_free(v, n);
	if (r < 0)
		return r;
	return bd_publish_job(d, job, err);
}

/* A rebuild check: compare the runner's packages with those the original
 * job published.  0 when every package is identical. */
static int
compare_rebuild(struct bd_daemon *d, int64_t job, int64_t orig, const struct bd_json *res,
                struct bd_err *err)
{
	const struct bd_json *arts = bd_json_get(res, "artifacts");
	struct bd_db_artifact *v = NULL;
	size_t n = 0, same = 0;
	int r = bd_db_staged(d->db, orig, &v, &n, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < bd_json_array_size(arts); i++) {
		const struct bd_json *a = bd_json_array_get(arts, i);
		const char *file = bd_json_str(bd_json_get(a, "file"));
		const char *ck = bd_json_str(bd_json_get(a, "checksum"));
		const struct bd_db_artifact *o = NULL;
		for (size_t k = 0; k < n && !o; k++)
			if (file && strcmp(v[k].file, file) == 0)
				o = &v[k];
		if (!o) {
			bd_logs_append(d, job, "    %s: not built by job %lld", file ? file : "?",
			               (long long)orig);
			r = bd_err_setx(err, EBADMSG,
			                "not reproducible: %s was not built by job %lld",
			                file ? file : "?", (long long)orig);
		} else if (!ck || strcmp(ck, o->checksum) != 0) {
			bd_logs_append(d, job, "    %s: DIFFERS (%s, published %s)", file,
			               ck ? ck : "?", o->checksum);
			if (r == 0)
				r = bd_err_setx(
				    err, EBADMSG,
				    "not reproducible: %s differs from job %lld (%s, published %s)",
				    file, (long long)orig, ck ? ck : "?", o->checksum);
		} else {
			bd_logs_append(d, job, "    %s: identical (%s)", file, ck);
			same++;
		}
	}
	if (r == 0 && same != n)
		r = bd_err_setx(err, EBADMSG,
		                "not reproducible: job %lld published %zu packages, the "
		                "rebuild made %zu",
		                (long long)orig, n, same);
	if (r == 0)
		bd_logs_append(d, job, "*** reproducible: all %zu packages identical to job %lld",
		               same, (long long)orig);
	bd_db_artifacts_free(v, n);
	return r;
}

static void
finish_job(struct bd_daemon *d, struct bd_slot *s, int status)
{
	struct bd_err err = { 0 };
	struct bd_db_resources rr = { 0 };
	struct bd_json *res = NULL;
	int64_t job = s->job;
	enum bd_job_state final = BD_JOB_FAILED;
	bool changed = false, lost = false;
	char why[BD_ERR_MSG_MAX] = "";
	const char *failed_step = NULL;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	double run_s = (double)(bd_now_ns() - s->started_ns) / 1e9;

	drain_status(d, s);
	res = read_result(d, job, &err);
	if (res) {
		read_resources(res, &rr);
		int64_t sde = bd_json_int_value(bd_json_get(res, "source_date_epoch"));
		struct bd_err e2 = { 0 };
		if (sde && bd_db_job_set_sde(d->db, job, sde, &e2) < 0)
			bd_warn(&d->log, "job=%lld %s", (long long)job, e2.msg);
		const struct bd_json *envj = bd_json_get(res, "environment");
		struct bd_strv env = { 0 };
		for (size_t i = 0; i < bd_json_array_size(envj); i++)
			if (bd_json_str(bd_json_array_get(envj, i)))
				bd_strv_push(&env, bd_json_str(bd_json_array_get(envj, i)));
		if (env.n && bd_db_job_set_environment(d->db, job, &env, &e2) < 0)
			bd_warn(&d->log, "job=%lld %s", (long long)job, e2.msg);
		bd_strv_free(&env);
	}
	if (rr.wall_ms == 0)
		rr.wall_ms = (int64_t)(run_s * 1000);

	if (s->cancel) {
		final = BD_JOB_CANCELLED;
		snprintf(why, sizeof(why), "cancelled");
	} else if (s->shutdown) {
		lost = true;
		snprintf(why, sizeof(why), "builderd stopping");
	} else if (s->timed_out) {
		snprintf(why, sizeof(why), "timed out after %llu seconds (job_timeout)",
		         (unsigned long long)d->cfg.job_timeout);
		failed_step = s->step_name[0] ? s->step_name : NULL;
	} else if (code == 0 && res && s->rebuild_of) {
		bd_logs_append(d, job, "==> compare with job %lld", (long long)s->rebuild_of);
		if (compare_rebuild(d, job, s->rebuild_of, res, &err) == 0) {
			final = BD_JOB_SUCCEEDED;
		} else {
			snprintf(why, sizeof(why), "%s", err.msg);
			failed_step = "compare";
		}
	} else if (code == 0 && res) {
		bd_logs_append(d, job, "==> publish");
		if (publish_result(d, job, res, &err) == 0) {
			bd_logs_append(d, job, "<== publish: ok");
			final = BD_JOB_SUCCEEDED;
		} else {
			bd_logs_append(d, job, "<== publish: failed: %s", err.msg);
			snprintf(why, sizeof(why), "%s", err.msg);
			failed_step = "publish";
		}
	} else if (code == BD_RUNNER_EXIT_FAILED && res) {
		const char *e = bd_json_str(bd_json_get(res, "error"));
		snprintf(why, sizeof(why), "%s", e ? e : "build failed");
		failed_step = bd_json_str(bd_json_get(res, "failed_step"));
	} else {
		/* a crash, or a runner that died without saying why */
		lost = true;
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "runner killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "runner exited with status %d%s", code,
			         res ? "" : " and no result");
	}

	if (lost) {
		bool requeued = false;
		/* a graceful stop is not the job's fault: give the attempt back */
		if (bd_db_job_lost(d->db, job, why, s->shutdown, &requeued, &err) < 0)
			bd_error(&d->log, "job=%lld %s", (long long)job, err.msg);
		bd_logs_append(d, job, "!!! %s; %s", why, requeued ? "requeued" : "failed");
		bd_warn(&d->log, "job=%lld %s (%s)", (long long)job, why,
		        requeued ? "requeued" : "no attempts left");
		if (!requeued)
			d->metrics.builds[BD_JOB_FAILED]++;
	} else {
		if (final != BD_JOB_SUCCEEDED)
			bd_logs_append(d, job, "!!! job %s: %s", bd_job_state_str(final), why);
		if (bd_db_job_finish(d->db, job, final, final == BD_JOB_SUCCEEDED ? NULL : why,
		                     failed_step, &rr, &changed, &err) < 0)
			bd_error(&d->log, "job=%lld %s", (long long)job, err.msg);
		if (changed) {
			d->metrics.builds[final]++;
			bd_metrics_observe(&d->metrics.run_time, run_s);
		}
		bd_info(&d->log, "job=%lld %s in %.1fs%s%s", (long long)job,
		        bd_job_state_str(final), run_s, why[0] ? ": " : "", why);
	}
	bd_json_free(res);
	slot_release(d, s);
	remove_workdir(d, job);
	remove_job_cgroups(d, job);
	bd_logs_notify(d, job);
}

static void
on_exit_ready(evutil_socket_t fd, short what, void *arg)
{
	struct bd_slot *s = arg;
	siginfo_t si;
	int status;

	(void)what;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	if (si.si_code == CLD_EXITED)
		status = W_EXITCODE(si.si_status, 0);
	else
		status = si.si_status & 0x7f; /* killed: WIFSIGNALED form */
	finish_job(s->owner, s, status);
}

static void
slot_release(struct bd_daemon *d, struct bd_slot *s)
{
	(void)d;
	if (s->ev_exit)
		event_free(s->ev_exit);
	if (s->ev_status)
		event_free(s->ev_status);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->status_fd >= 0)
		close(s->status_fd);
	bd_buf_free(&s->status_buf);
	memset(s, 0, sizeof(*s));
	s->pidfd = s->status_fd = -1;
}

/* Fork and exec the runner for @j in slot @s. */
static int
spawn_runner(struct bd_daemon *d, struct bd_slot *s, const struct bd_job *j, struct bd_err *err)
{
	_cleanup_free_ char *dir = workdir(d, j->id);
	_cleanup_free_ char *logp = bd_logs_path(d, j->id);
	int pipefd[2], logfd, devnull;
	pid_t pid;
	int r;

	/* a requeued job starts from a clean workspace */
	remove_workdir(d, j->id);
	r = prepare_workdir(d, j, dir, (int)(s - d->slots), err);
	if (r < 0)
		return r;
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (logfd < 0)
		return bd_err_set(err, errno, "open %s", logp);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		r = bd_err_set(err, errno, "pipe");
		close(logfd);
		if (devnull >= 0)
			close(devnull);
		return r;
	}
	if (j->attempts > 1) {
		char line[128];
		int n = snprintf(line, sizeof(line), "=== attempt %d of %d ===\n", j->attempts,
		                 j->max_attempts);
		(void)bd_write_all(logfd, line, (size_t)n);
	}
	pid_t parent = getpid();
	pid = fork();
	if (pid < 0) {
		r = bd_err_set(err, errno, "fork");
		close(logfd);
		close(devnull);
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0) {
		/* child: no malloc-dependent state is relied upon from here */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
		    dup2(pipefd[1], 3) < 0)
			_exit(127);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		syscall(SYS_close_range, 4, ~0U, 0);
		execl(d->self_exe, "builderd", "--run-job", dir, (char *)NULL);
		_exit(127);
	}
	close(logfd);
	close(devnull);
	close(pipefd[1]);
	setpgid(pid, pid); /* race-free: both sides set it */
	memset(s, 0, sizeof(*s));
	s->owner = d;
	s->busy = true;
	s->job = j->id;
	s->rebuild_of = j->rebuild_of;
	s->pid = pid;
	s->status_fd = pipefd[0];
	fcntl(s->status_fd, F_SETFL, O_NONBLOCK);
	s->pidfd = pidfd_open_(pid);
	s->started = time(NULL);
	s->started_ns = bd_now_ns();
	s->deadline = d->cfg.job_timeout ? s->started + (time_t)d->cfg.job_timeout : 0;
	if (s->pidfd < 0) {
		r = bd_err_set(err, errno, "pidfd_open");
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(s->status_fd);
		memset(s, 0, sizeof(*s));
		s->pidfd = s->status_fd = -1;
		return r;
	}
	s->ev_exit = event_new(d->base, s->pidfd, EV_READ | EV_PERSIST, on_exit_ready, s);
	s->ev_status = event_new(d->base, s->status_fd, EV_READ | EV_PERSIST, on_status, s);
	event_add(s->ev_exit, NULL);
	event_add(s->ev_status, NULL);
	if (bd_db_job_set_runner(d->db, j->id, pid, err) < 0)
		bd_warn(&d->log, "job=%lld %s", (long long)j->id, err->msg);
	bd_info(&d->log, "job=%lld started %s-%s (attempt %d/%d) runner pid=%d", (long long)j->id,
	        j->package ? j->package : "?", j->version ? j->version : "?", j->attempts,
	        j->max_attempts, (int)pid);
	bd_metrics_observe(&d->metrics.queue_wait, (double)(s->started - j->created_at));
	return 0;
}

void
bd_sched_kick(struct bd_daemon *d)
{
	while (d->accepting && !d->stopping) {
		struct bd_slot *free_slot = NULL;
		struct bd_job j;
		struct bd_err err = { 0 };
		int r;

		for (int i = 0; i < d->nslots && !free_slot; i++)
			if (!d->slots[i].busy)
				free_slot = &d->slots[i];
		if (!free_slot)
			return;
		r = bd_db_job_claim(d->db, (int64_t)time(NULL) + (int64_t)d->cfg.lease_seconds, &j,
		                    &err);
		if (r < 0) {
			bd_error(&d->log, "claim: %s", err.msg);
			return;
		}
		if (r == 0)
			return;
		if (spawn_runner(d, free_slot, &j, &err) < 0) {
			bool requeued;
			bd_error(&d->log, "job=%lld cannot start: %s", (long long)j.id, err.msg);
			bd_logs_append(d, j.id, "!!! cannot start the runner: %s", err.msg);
			struct bd_err e2 = { 0 };
			if (bd_db_job_lost(d->db, j.id, err.msg, false, &requeued, &e2) < 0)
				bd_error(&d->log, "job=%lld %s", (long long)j.id, e2.msg);
			bd_job_free(&j);
			return; /* do not spin on a broken environment */
		}
		bd_job_free(&j);
	}
}

static void
signal_runner(struct bd_daemon *d, struct bd_slot *s, int sig)
{
	(void)d;
	if (s->pid > 0)
		kill(-s->pid, sig);
}

int
bd_sched_cancel(struct bd_daemon *d, int64_t job, struct bd_err *err)
{
	struct bd_slot *s = bd_sched_slot_of(d, job);
	bool changed = false;

	if (s) {
		if (!s->cancel) {
			s->cancel = true;
			s->kill_at = time(NULL) + KILL_GRACE;
			signal_runner(d, s, SIGTERM);
			bd_logs_append(d, job, "!!! cancel requested; stopping the build");
		}
		return 0;
	}
	if (bd_db_job_finish(d->db, job, BD_JOB_CANCELLED, "cancelled", NULL, NULL, &changed, err) <
	    0)
		return -err->code;
	if (!changed) {
		/* running in the database but not here: a publication in progress
		 * or a finished job */
		return bd_err_setx(err, EALREADY, "job %lld cannot be cancelled now",
		                   (long long)job);
	}
	d->metrics.builds[BD_JOB_CANCELLED]++;
	bd_logs_append(d, job, "!!! job cancelled before it started");
	return 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bd_daemon *d = arg;
	time_t now = time(NULL);
	int64_t ids[256];
	size_t n = 0;
	struct bd_err err = { 0 };

	(void)fd;
	(void)what;
	for (int i = 0; i < d->nslots; i++) {
		struct bd_slot *s = &d->slots[i];
		if (!s->busy)
			continue;
		drain_status(d, s);
		if (s->deadline && now >= s->deadline && !s->timed_out && !s->cancel) {
			s->timed_out = true;
			s->kill_at = now + KILL_GRACE;
			bd_logs_append(d, s->job,
			               "!!! job timeout (%llu s) reached; stopping the build",
			               (unsigned long long)d->cfg.job_timeout);
			signal_runner(d, s, SIGTERM);
		}
		if (s->kill_at && now >= s->kill_at) {
			signal_runner(d, s, SIGKILL);
			s->kill_at = 0;
		}
		if (n < BD_ARRAY_SIZE(ids))
			ids[n++] = s->job;
	}
	if (bd_db_leases_renew(d->db, ids, n, (int64_t)now + (int64_t)d->cfg.lease_seconds, &err) <
	    0)
		bd_warn(&d->log, "lease renewal: %s", err.msg);
	/* the fallback for followers in case inotify missed an event */
	if (d->nfollowers)
		bd_logs_notify(d, 0);
	if (d->stopping) {
		if (bd_sched_running(d) == 0) {
			event_base_loopexit(d->base, NULL);
			return;
		}
		if (now >= d->stop_deadline) {
			for (int i = 0; i < d->nslots; i++) {
				struct bd_slot *s = &d->slots[i];
				if (s->busy && !s->shutdown) {
					s->shutdown = true;
					s->kill_at = now + KILL_GRACE;
					signal_runner(d, s, SIGTERM);
				}
			}
		}
		return;
	}
	bd_sched_kick(d);
}

void
bd_sched_stop(struct bd_daemon *d)
{
	if (d->stopping) {
		/* second signal: stop now */
		d->stop_deadline = 0;
		return;
	}
	d->stopping = true;
	d->accepting = false;
	d->stop_deadline = time(NULL) + (time_t)d->cfg.grace_period;
	bd_info(&d->log, "stopping: %d job(s) running, grace period %llus", bd_sched_running(d),
	        (unsigned long long)d->cfg.grace_period);
	if (bd_sched_running(d) == 0)
		event_base_loopexit(d->base, NULL);
}

int
bd_sched_start(struct bd_daemon *d, struct bd_err *err)
{
	static const struct timeval second = { 1, 0 };

	d->nslots = d->cfg.workers;
	d->slots = bd_xcalloc(d->nslots ? (size_t)d->nslots : 1, sizeof(*d->slots));
	for (int i = 0; i < d->nslots; i++)
		d->slots[i].pidfd = d->slots[i].status_fd = -1;
	d->ev_tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	if (!d->ev_tick || event_add(d->ev_tick, &second) < 0)
		return bd_err_setx(err, ENOMEM, "cannot start the scheduler timer");
	d->accepting = true;
	bd_sched_kick(d);
	return 0;
}

int
bd_sched_recover(struct bd_daemon *d, struct bd_err *err)
{
	int64_t *ids = NULL;
	size_t n = 0;
	_cleanup_close_ int wfd = -1;
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	/* 1: publications interrupted by a crash are finished first */
	if (bd_db_publishing_jobs(d->db, &ids, &n, err) < 0)
		return -err->code;
	for (size_t i = 0; i < n; i++) {
		struct bd_err e = { 0 };
		bool changed;
		bd_info(&d->log, "job=%lld finishing an interrupted publication",
		        (long long)ids[i]);
		bd_logs_append(d, ids[i], "==> publish (resumed after a restart)");
		if (bd_publish_job(d, ids[i], &e) == 0) {
			bd_logs_append(d, ids[i], "<== publish: ok");
			if (bd_db_job_finish(d->db, ids[i], BD_JOB_SUCCEEDED, NULL, NULL, NULL,
			                     &changed, &e) < 0)
				bd_error(&d->log, "job=%lld %s", (long long)ids[i], e.msg);
		} else {
			bd_logs_append(d, ids[i], "<== publish: failed: %s", e.msg);
			struct bd_err e2 = { 0 };
			if (bd_db_job_finish(d->db, ids[i], BD_JOB_FAILED, e.msg, "publish", NULL,
			                     &changed, &e2) < 0)
				bd_error(&d->log, "job=%lld %s", (long long)ids[i], e2.msg);
		}
	}
	free(ids);

	/* 2: every other running job lost its runner with the old daemon */
	if (bd_db_jobs_in_state(d->db, BD_JOB_RUNNING, &ids, &n, err) < 0)
		return -err->code;
	for (size_t i = 0; i < n; i++) {
		bool requeued = false;
		struct bd_err e = { 0 };
		if (bd_db_job_lost(d->db, ids[i], "builderd restarted while the job was running",
		                   false, &requeued, &e) < 0) {
			bd_error(&d->log, "job=%lld %s", (long long)ids[i], e.msg);
			continue;
		}
		bd_logs_append(d, ids[i], "!!! builderd restarted while the job was running; %s",
		               requeued ? "requeued" : "no attempts left");
		bd_info(&d->log, "job=%lld %s after restart", (long long)ids[i],
		        requeued ? "requeued" : "failed");
	}
	free(ids);

	/* 3: leftover cgroups, workspaces and temporary files; no runner of
	 * ours is alive at this point */
	remove_job_cgroups(d, 0);
	wfd = open(d->work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wfd < 0)
		return bd_err_set(err, errno, "open %s", d->work_dir);
	int dfd = dup(wfd);
	dir = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!dir)
		return bd_err_set(err, errno, "read %s", d->work_dir);
	while ((de = readdir(dir))) {
		struct bd_err e = { 0 };
		if (de->d_name[0] == '.')
			continue;
		if (bd_rm_rf_at(wfd, de->d_name, &e) < 0)
			bd_warn(&d->log, "cannot remove leftover %s/%s: %s", d->work_dir,
			        de->d_name, e.msg);
		else
			bd_info(&d->log, "removed leftover workspace %s/%s", d->work_dir,
			        de->d_name);
	}
	return 0;
}
