/* SPDX-License-Identifier: MIT */
/* api: the HTTP/1.1 + JSON API on the UNIX socket (proto/api.md).
 *
 * libevent's evhttp serves a listener on our own UNIX socket.  Every request
 * is attributed to the peer's uid and groups from SO_PEERCRED and
 * SO_PEERGROUPS (read from the connection's socket, so they are what the
 * kernel recorded at connect time, not what the client claims).  Bodies are
 * bounded by evhttp (max_body) and decoded strictly (proto/job.c); every
 * error is a JSON body with its status code, and no request can take the
 * daemon down. */
#include "builderd/daemon.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "apk/crypto.h"
#include "common/cleanup.h"
#include "proto/job.h"
#include "proto/json.h"
#include "recipe/plan.h"

struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[64];
	int ngroups;
};

/* ------------------------------------------------------------- replies */

static void
reply_text(struct evhttp_request *req, int code, const char *type, const char *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	if (buf && len)
		evbuffer_add(buf, body, len);
	evhttp_send_reply(req, code, NULL, buf);
	if (buf)
		evbuffer_free(buf);
}

static void
reply_json(struct evhttp_request *req, int code, struct bd_json *j)
{
	char *s = bd_json_dump(j, false);
	size_t n = strlen(s);

	s = bd_xrealloc(s, n + 2);
	s[n] = '\n';
	reply_text(req, code, "application/json", s, n + 1);
	free(s);
	bd_json_free(j);
}

static void reply_error(struct evhttp_request *req, int code, const char *ecode, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static void
reply_error(struct evhttp_request *req, int code, const char *ecode, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_json(req, code, bd_error_to_json(ecode, msg));
}

static void
reply_db_error(struct bd_daemon *d, struct evhttp_request *req, const struct bd_err *err)
{
	bd_error(&d->log, "api: %s", err->msg);
	if (err->code == ENOENT)
		reply_error(req, 404, "not_found", "%s", err->msg);
	else
		reply_error(req, 500, "internal", "%s", err->msg);
}

/* ------------------------------------------------------------- peers */

static int
get_peer(struct evhttp_request *req, struct peer *p)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->pid = cred.pid;
	len = sizeof(p->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) < 0)
		len = 0;
	p->ngroups = (int)(len / sizeof(gid_t));
	return 0;
}

static bool
may_submit(const struct bd_daemon *d, const struct peer *p)
{
	if (p->uid == 0)
		return true;
	if (!d->have_allowed_gid)
		return false;
	if (p->gid == d->allowed_gid)
		return true;
	for (int i = 0; i < p->ngroups; i++)
		if (p->groups[i] == d->allowed_gid)
			return true;
	return false;
}

/* ------------------------------------------------------------- helpers */

static bool
json_body(struct evhttp_request *req, struct bd_json **out, struct bd_err *err)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	unsigned char *data;

	if (!ct || strncmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';')) {
		reply_error(req, 415, "unsupported_media_type",
		            "request body must be application/json");
		return false;
	}
	data = evbuffer_pullup(in, -1);
	*out = bd_json_parse((const char *)(data ? data : (unsigned char *)""), len, err);
	if (!*out) {
		reply_error(req, 400, "bad_request", "%s", err->msg);
		return false;
	}
	return true;
}

static bool
parse_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (bd_parse_u64(s, INT64_MAX, &v) < 0 || v == 0)
		return false;
	*id = (int64_t)v;
	return true;
}

static void
send_job(struct bd_daemon *d, struct evhttp_request *req, int code, int64_t id,
         const char *wrap_key, int attached)
{
	struct bd_job j;
	struct bd_err err = { 0 };

	if (bd_db_job_get(d->db, id, true, &j, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	j.log_size = (int64_t)bd_logs_size(d, id);
	struct bd_json *o = bd_job_to_json(&j, true);
	bd_job_free(&j);
	if (wrap_key) {
		struct bd_json *w = bd_json_object();
		bd_json_set(w, wrap_key, o);
		if (attached >= 0)
			bd_json_set_bool(w, "attached", attached != 0);
		o = w;
	}
	reply_json(req, code, o);
}

/* sha256 over the recipe and every side file (path, mode, bytes). */
static void
digest_submission(const struct bd_submit *s, char out[80])
{
	struct bd_hash *h = bd_hash_new(BD_HASH_SHA256);
	unsigned char d[BD_HASH_MAX];
	char hex[65], hdr[64];
	uint64_t len = s->recipe_len;

	bd_hash_update(h, "recipe\0", 7);
	bd_hash_update(h, &len, sizeof(len));
	bd_hash_update(h, s->recipe, s->recipe_len);
	for (size_t i = 0; i < s->nfiles; i++) {
		snprintf(hdr, sizeof(hdr), "file %o %zu ", s->files[i].mode, s->files[i].len);
		bd_hash_update(h, hdr, strlen(hdr));
		bd_hash_update(h, s->files[i].path, strlen(s->files[i].path) + 1);
		bd_hash_update(h, s->files[i].data, s->files[i].len);
	}
	bd_hash_final(h, d);
	bd_hash_free(h);
	bd_hex(d, 32, hex);
	snprintf(out, 80, "sha256:%s", hex);
}

/* ------------------------------------------------------------- routes */

static void
route_health(struct bd_daemon *d, struct evhttp_request *req)
{
	int64_t counts[BD_JOB_NSTATES];
	struct bd_err err = { 0 };
	struct bd_json *o;

	if (bd_db_counts(d->db, counts, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	o = bd_json_object();
	bd_json_set_str(o, "status", d->stopping ? "stopping" : "ok");
	bd_json_set_str(o, "version", BD_VERSION);
	bd_json_set_int(o, "workers", d->cfg.workers);
	bd_json_set_int(o, "queued", counts[BD_JOB_QUEUED]);
	bd_json_set_int(o, "running", counts[BD_JOB_RUNNING]);
	bd_json_set_bool(o, "accepting", d->accepting);
	bd_json_set_str(o, "arch", d->cfg.arch);
	reply_json(req, 200, o);
}

static void
route_submit(struct bd_daemon *d, struct evhttp_request *req, const struct peer *p)
{
	struct bd_submit_limits lim = {
		.max_recipe = d->cfg.max_recipe,
		.max_files_total = d->cfg.max_files,
		.max_files = 256,
	};
	struct bd_submit s;
	struct bd_json *body = NULL;
	struct bd_plan *plan = NULL;
	struct bd_err err = { 0 };
	char digest[80], *files_json = NULL;
	const char *arch;
	int64_t id;
	bool attached;

	if (!may_submit(d, p)) {
		reply_error(req, 403, "forbidden",
		            "uid %u may not submit jobs (root or members of group %s only)",
		            (unsigned)p->uid, d->cfg.socket_group ? d->cfg.socket_group : "root");
		return;
	}
	if (!d->accepting) {
		reply_error(req, 503, "unavailable", "builderd is shutting down");
		return;
	}
	if (!json_body(req, &body, &err))
		return;
	if (bd_submit_from_json(body, &lim, &s, &err) < 0) {
		if (err.code == EFBIG)
			reply_error(req, 413, "payload_too_large", "%s", err.msg);
		else
			reply_error(req, 400, "bad_request", "%s", err.msg);
		goto out;
	}
	arch = s.arch ? bd_recipe_arch(s.arch) : d->cfg.arch;
	if (!arch) {
		reply_error(req, 400, "bad_request", "arch: unknown architecture '%s'", s.arch);
		goto out;
	}
	{
		/* compile now: a recipe that cannot build is refused at the door */
		struct bd_recipe_opts ro = {
			.arch = arch,
			.pipeline_dirs = (const char *const *)(void *)d->cfg.pipeline_dirs.v,
			.n_pipeline_dirs = d->cfg.pipeline_dirs.n,
		};
		const char *name = s.recipe_name ? s.recipe_name : "recipe.yaml";
		if (bd_recipe_compile_buffer(name, s.recipe, s.recipe_len, &ro, &plan, &err) < 0) {
			reply_error(req, 400, "bad_request", "%s", err.msg);
			goto out;
		}
		if (plan->arch_skipped) {
			reply_error(req, 400, "bad_request",
			            "%s: package.target-architecture does not include %s", name,
			            arch);
			goto out;
		}
	}
	digest_submission(&s, digest);
	{
		const struct bd_json *f = bd_json_get(body, "files");
		if (f && !bd_json_is_null(f))
			files_json = bd_json_dump(f, false);
	}
	struct bd_db_new_job nj = {
		.recipe = s.recipe,
		.recipe_len = s.recipe_len,
		.recipe_name = s.recipe_name,
		.digest = digest,
		.arch = arch,
		.package = plan->pkg.name,
		.version = plan->pkg.full_version,
		.priority = s.priority,
		.uid = p->uid,
		.max_attempts = d->cfg.max_attempts,
		.files_json = files_json,
		.source_date_epoch = s.source_date_epoch,
		.skip_tests = s.skip_tests,
	};
	if (bd_db_job_submit(d->db, &nj, &id, &attached, &err) < 0) {
		reply_db_error(d, req, &err);
		goto out;
	}
	bd_info(&d->log, "job=%lld %s %s-%s arch=%s uid=%u", (long long)id,
	        attached ? "attached" : "queued", plan->pkg.name, plan->pkg.full_version, arch,
	        (unsigned)p->uid);
	send_job(d, req, attached ? 200 : 201, id, "job", attached);
	if (!attached)
		bd_sched_kick(d);
out:
	free(files_json);
	bd_plan_free(plan);
	bd_submit_free(&s);
	bd_json_free(body);
}

static void
route_list(struct bd_daemon *d, struct evhttp_request *req, const struct evkeyvalq *q)
{
	const char *state = evhttp_find_header(q, "state");
	const char *limit_s = evhttp_find_header(q, "limit");
	const char *before_s = evhttp_find_header(q, "before");
	struct bd_err err = { 0 };
	struct bd_job *jobs;
	size_t n;
	uint64_t limit = 50;
	int64_t before = 0;
	int st = -1;

	if (state && (st = bd_job_state_parse(state)) < 0) {
		reply_error(req, 400, "bad_request",
		            "state: expected queued, running, succeeded, failed or cancelled");
		return;
	}
	if (limit_s && (bd_parse_u64(limit_s, 1000, &limit) < 0 || limit == 0)) {
		reply_error(req, 400, "bad_request", "limit: expected 1..1000");
		return;
	}
	if (before_s && !parse_id(before_s, &before)) {
		reply_error(req, 400, "bad_request", "before: expected a job id");
		return;
	}
	if (bd_db_job_list(d->db, st, (int)limit, before, &jobs, &n, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	struct bd_json *o = bd_json_object(), *a = bd_json_array();
	for (size_t i = 0; i < n; i++) {
		jobs[i].log_size = (int64_t)bd_logs_size(d, jobs[i].id);
		bd_json_append(a, bd_job_to_json(&jobs[i], false));
	}
	bd_json_set(o, "jobs", a);
	bd_db_job_list_free(jobs, n);
	reply_json(req, 200, o);
}

static bool
may_manage(const struct peer *p, const struct bd_job *j)
{
	return p->uid == 0 || (int64_t)p->uid == j->submitter_uid;
}

static void
route_cancel(struct bd_daemon *d, struct evhttp_request *req, const struct peer *p, int64_t id)
{
	struct bd_job j;
	struct bd_err err = { 0 };

	if (bd_db_job_get(d->db, id, false, &j, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	if (!may_manage(p, &j)) {
		reply_error(req, 403, "forbidden",
		            "job %lld belongs to uid %lld; only it or root may "
		            "cancel it",
		            (long long)id, (long long)j.submitter_uid);
		bd_job_free(&j);
		return;
	}
	if (bd_job_state_terminal(j.state)) {
		reply_error(req, 409, "conflict", "job %lld already %s", (long long)id,
		            bd_job_state_str(j.state));
		bd_job_free(&j);
		return;
	}
	bd_job_free(&j);
	if (bd_sched_cancel(d, id, &err) < 0) {
		if (err.code == EALREADY)
			reply_error(req, 409, "conflict", "%s", err.msg);
		else
			reply_db_error(d, req, &err);
		return;
	}
	bd_info(&d->log, "job=%lld cancel requested by uid=%u", (long long)id, (unsigned)p->uid);
	send_job(d, req, 200, id, NULL, -1);
}

/* Submit job @j again from its stored inputs, as uid @p, under @digest;
 * @retry_of or @rebuild_of (one of them) says what the new job is, @what
 * says it in the log.  Replies to @req. */
static void
resubmit(struct bd_daemon *d, struct evhttp_request *req, const struct peer *p,
         const struct bd_job *j, const char *digest, int64_t retry_of, int64_t rebuild_of,
         const char *what)
{
	struct bd_err err = { 0 };
	char *recipe = NULL, *files = NULL;
	int64_t nid;
	bool attached;

	if (!d->accepting) {
		reply_error(req, 503, "unavailable", "builderd is shutting down");
		return;
	}
	if (bd_db_job_inputs(d->db, j->id, &recipe, &files, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	struct bd_db_new_job nj = {
		.recipe = recipe,
		.recipe_len = strlen(recipe),
		.recipe_name = j->recipe_name,
		.digest = digest,
		.arch = j->arch,
		.package = j->package,
		.version = j->version,
		.priority = j->priority,
		.uid = p->uid,
		.max_attempts = d->cfg.max_attempts,
		.files_json = files,
		.source_date_epoch = j->source_date_epoch,
		.skip_tests = j->skip_tests,
		.retry_of = retry_of,
		.rebuild_of = rebuild_of,
	};
	if (bd_db_job_submit(d->db, &nj, &nid, &attached, &err) < 0) {
		reply_db_error(d, req, &err);
	} else {
		bd_info(&d->log, "job=%lld %s job=%lld by uid=%u", (long long)nid, what,
		        (long long)j->id, (unsigned)p->uid);
		send_job(d, req, attached ? 200 : 201, nid, "job", attached);
		bd_sched_kick(d);
	}
	free(recipe);
	free(files);
}

static void
route_retry(struct bd_daemon *d, struct evhttp_request *req, const struct peer *p, int64_t id)
{
	struct bd_job j;
	struct bd_err err = { 0 };

	if (bd_db_job_get(d->db, id, false, &j, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	if (!may_manage(p, &j))
		reply_error(req, 403, "forbidden",
		            "job %lld belongs to uid %lld; only it or root may "
		            "retry it",
		            (long long)id, (long long)j.submitter_uid);
	else if (j.state != BD_JOB_FAILED && j.state != BD_JOB_CANCELLED)
		reply_error(req, 409, "conflict",
		            "job %lld is %s; only failed or cancelled jobs can be "
		            "retried",
		            (long long)id, bd_job_state_str(j.state));
	else
		resubmit(d, req, p, &j, j.recipe_digest, id, 0, "retry of");
	bd_job_free(&j);
}

/* Rebuild a published job with the same inputs and SOURCE_DATE_EPOCH and
 * compare its packages with the published ones instead of publishing. */
static void
route_rebuild_check(struct bd_daemon *d, struct evhttp_request *req, const struct peer *p,
                    int64_t id)
{
	struct bd_job j;
	struct bd_err err = { 0 };
	char digest[128];

	if (!may_submit(d, p)) {
		reply_error(req, 403, "forbidden", "uid %u may not submit jobs", (unsigned)p->uid);
		return;
	}
	if (bd_db_job_get(d->db, id, false, &j, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	if (j.state != BD_JOB_SUCCEEDED || j.rebuild_of) {
		reply_error(
		    req, 409, "conflict",
		    "job %lld is not a succeeded build; only published builds can be checked",
		    (long long)id);
	} else {
		/* its own digest: a check never attaches to a build, or a build to it */
		snprintf(digest, sizeof(digest), "%s:rebuild-check", j.recipe_digest);
		resubmit(d, req, p, &j, digest, 0, id, "rebuild check of");
	}
	bd_job_free(&j);
}

static void
route_repo(struct bd_daemon *d, struct evhttp_request *req, const struct evkeyvalq *q)
{
	const char *arch = evhttp_find_header(q, "arch");
	struct bd_db_artifact *v;
	struct bd_err err = { 0 };
	size_t n;

	if (!arch)
		arch = d->cfg.arch;
	if (!bd_recipe_arch(arch)) {
		reply_error(req, 400, "bad_request", "arch: unknown architecture '%s'", arch);
		return;
	}
	if (bd_db_published(d->db, arch, &v, &n, &err) < 0) {
		reply_db_error(d, req, &err);
		return;
	}
	struct bd_json *o = bd_json_object(), *a = bd_json_array();
	bd_json_set_str(o, "arch", arch);
	for (size_t i = 0; i < n; i++) {
		struct bd_repo_pkg p = {
			.name = v[i].pi.name,
			.version = v[i].pi.version,
			.arch = v[i].pi.arch,
			.file = v[i].file,
			.checksum = v[i].checksum,
			.size = v[i].size,
			.installed_size = (int64_t)v[i].pi.installed_size,
			.job = v[i].job,
			.published_at = v[i].published_at,
		};
		bd_json_append(a, bd_repo_pkg_to_json(&p));
	}
	bd_json_set(o, "packages", a);
	bd_db_artifacts_free(v, n);
	reply_json(req, 200, o);
}

static void
route_metrics(struct bd_daemon *d, struct evhttp_request *req)
{
	struct bd_buf b = { 0 };

	bd_metrics_render(d, &b);
	reply_text(req, 200, "text/plain; version=0.0.4", b.data ? b.data : "", b.len);
	bd_buf_free(&b);
}

/* Split "/v1/jobs/42/log" into at most 4 components. */
static int
split_path(const char *path, char parts[4][64])
{
	int n = 0;

	while (*path == '/')
		path++;
	while (*path) {
		size_t len = strcspn(path, "/");
		if (n == 4 || len >= 64)
			return -1;
		memcpy(parts[n], path, len);
		parts[n][len] = '\0';
		n++;
		path += len;
		while (*path == '/')
			path++;
	}
	return n;
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct bd_daemon *d = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq q;
	struct peer p;
	char parts[4][64];
	int n;
	int64_t id = 0;
	bool get = method == EVHTTP_REQ_GET, post = method == EVHTTP_REQ_POST;

	TAILQ_INIT(&q);
	if (get_peer(req, &p) < 0) {
		reply_error(req, 500, "internal", "cannot identify the peer (SO_PEERCRED)");
		return;
	}
	if (!path || (n = split_path(path, parts)) < 0) {
		reply_error(req, 404, "not_found", "no such route");
		return;
	}
	if (query && evhttp_parse_query_str(query, &q) < 0) {
		reply_error(req, 400, "bad_request", "malformed query string");
		return;
	}
	bd_debug(&d->log, "api: uid=%u %s %s", (unsigned)p.uid,
	         get    ? "GET"
	         : post ? "POST"
	                : "?",
	         path);

	if (n == 1 && strcmp(parts[0], "metrics") == 0) {
		if (!get)
			goto bad_method;
		route_metrics(d, req);
		goto out;
	}
	if (n < 2 || strcmp(parts[0], "v1") != 0)
		goto not_found;
	if (n == 2 && strcmp(parts[1], "health") == 0) {
		if (!get)
			goto bad_method;
		route_health(d, req);
	} else if (n == 2 && strcmp(parts[1], "repo") == 0) {
		if (!get)
			goto bad_method;
		route_repo(d, req, &q);
	} else if (n == 2 && strcmp(parts[1], "jobs") == 0) {
		if (post)
			route_submit(d, req, &p);
		else if (get)
			route_list(d, req, &q);
		else
			goto bad_method;
	} else if (n >= 3 && strcmp(parts[1], "jobs") == 0) {
		if (!parse_id(parts[2], &id)) {
			reply_error(req, 404, "not_found", "'%s' is not a job id", parts[2]);
			goto out;
		}
		if (n == 3) {
			if (!get)
				goto bad_method;
			send_job(d, req, 200, id, NULL, -1);
		} else if (strcmp(parts[3], "log") == 0) {
			const char *off_s = evhttp_find_header(&q, "offset");
			const char *follow_s = evhttp_find_header(&q, "follow");
			uint64_t off = 0;
			if (!get)
				goto bad_method;
			if (off_s && bd_parse_u64(off_s, INT64_MAX, &off) < 0) {
				reply_error(req, 400, "bad_request",
				            "offset: expected a byte offset");
				goto out;
			}
			bd_logs_serve(d, req, id, off,
			              follow_s && strcmp(follow_s, "0") != 0 &&
			                  strcmp(follow_s, "false") != 0,
			              p.uid);
		} else if (strcmp(parts[3], "cancel") == 0) {
			if (!post)
				goto bad_method;
			route_cancel(d, req, &p, id);
		} else if (strcmp(parts[3], "retry") == 0) {
			if (!post)
				goto bad_method;
			route_retry(d, req, &p, id);
		} else if (strcmp(parts[3], "rebuild-check") == 0) {
			if (!post)
				goto bad_method;
			route_rebuild_check(d, req, &p, id);
		} else {
			goto not_found;
		}
	} else {
		goto not_found;
	}
	goto out;
not_found:
	reply_error(req, 404, "not_found", "no route %s", path);
	goto out;
bad_method:
	reply_error(req, 405, "method_not_allowed", "method not allowed for %s", path);
out:
	evhttp_clear_headers(&q);
}

/* Requests evhttp rejects itself (bad syntax, body too large) never reach
 * handle(); it answers them with its own status, which is fine. */

int
bd_api_start(struct bd_daemon *d, struct bd_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = d->cfg.socket_path;
	_cleanup_free_ char *dir = bd_xstrdup(path);
	struct stat st;
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return bd_err_setx(err, ENAMETOOLONG, "socket path %s is too long", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (bd_mkdir_p(dir, 0755, err) < 0)
			return -err->code;
	}
	/* a leftover socket from a crash: remove it, but never anything else */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return bd_err_setx(err, EEXIST, "%s exists and is not a socket", path);
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return bd_err_setx(err, EADDRINUSE, "another builderd is listening on %s",
			                   path);
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) < 0)
			return bd_err_set(err, errno, "remove stale socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return bd_err_set(err, errno, "socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* bind with a tight umask so the socket is never briefly too open */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = bd_err_set(err, errno, "bind %s", path);
		close(fd);
		return r;
	}
	if ((d->have_allowed_gid && chown(path, 0, d->allowed_gid) < 0) ||
	    chmod(path, d->cfg.socket_mode) < 0) {
		r = bd_err_set(err, errno, "set owner/mode of %s", path);
		close(fd);
		return r;
	}
	if (listen(fd, 256) < 0) {
		r = bd_err_set(err, errno, "listen %s", path);
		close(fd);
		return r;
	}
	d->listener = evconnlistener_new(d->base, NULL, NULL,
	                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	d->http = evhttp_new(d->base);
	if (!d->listener || !d->http) {
		close(fd);
		return bd_err_setx(err, ENOMEM, "cannot set up the HTTP server");
	}
	evhttp_set_max_body_size(d->http, (ev_ssize_t)d->cfg.max_body);
	evhttp_set_max_headers_size(d->http, 64 * 1024);
	/* every method reaches the router, which answers 405 with a JSON body */
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	                                        EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(d->http, "application/json");
	/* idle connections are closed after a minute; log followers raise
	 * their own connection's timeout */
	evhttp_set_timeout(d->http, 60);
	evhttp_set_gencb(d->http, handle, d);
	if (!evhttp_bind_listener(d->http, d->listener))
		return bd_err_setx(err, EIO, "cannot bind the HTTP server to %s", path);
	bd_info(&d->log, "listening on %s (mode %04o%s%s)", path, d->cfg.socket_mode,
	        d->cfg.socket_group ? ", group " : "",
	        d->cfg.socket_group ? d->cfg.socket_group : "");
	return 0;
}

void
bd_api_stop(struct bd_daemon *d)
{
	if (d->http)
		evhttp_free(d->http); /* frees the bound listener too */
	d->http = NULL;
	d->listener = NULL;
	if (d->cfg.socket_path)
		(void)unlink(d->cfg.socket_path);
}
