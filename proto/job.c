/* SPDX-License-Identifier: MIT */
/* job: API objects and their JSON form (see job.h and proto/api.md). */
#include "proto/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/util.h"

static const char *const state_names[BD_JOB_NSTATES] = { "queued", "running", "succeeded", "failed",
	                                                 "cancelled" };

const char *
bd_job_state_str(enum bd_job_state s)
{
	return (unsigned)s < BD_JOB_NSTATES ? state_names[s] : "unknown";
}

int
bd_job_state_parse(const char *s)
{
	for (int i = 0; i < BD_JOB_NSTATES; i++)
		if (strcmp(s, state_names[i]) == 0)
			return i;
	return -1;
}

bool
bd_job_state_terminal(enum bd_job_state s)
{
	return s == BD_JOB_SUCCEEDED || s == BD_JOB_FAILED || s == BD_JOB_CANCELLED;
}

void
bd_job_free(struct bd_job *j)
{
	free(j->package);
	free(j->version);
	free(j->arch);
	free(j->recipe_name);
	free(j->recipe_digest);
	free(j->step_name);
	free(j->error);
	free(j->failed_step);
	bd_strv_free(&j->environment);
	for (size_t i = 0; i < j->nartifacts; i++) {
		struct bd_artifact *a = &j->artifacts[i];
		free(a->name);
		free(a->version);
		free(a->arch);
		free(a->file);
		free(a->checksum);
	}
	free(j->artifacts);
	for (size_t i = 0; i < j->nevents; i++) {
		free(j->events[i].state);
		free(j->events[i].message);
	}
	free(j->events);
	memset(j, 0, sizeof(*j));
}

static void
set_time(struct bd_json *o, const char *k, int64_t v)
{
	bd_json_set(o, k, v ? bd_json_int(v) : bd_json_null());
}

struct bd_json *
bd_job_to_json(const struct bd_job *j, bool with_events)
{
	struct bd_json *o = bd_json_object(), *arts = bd_json_array();

	bd_json_set_int(o, "id", j->id);
	bd_json_set_str(o, "state", bd_job_state_str(j->state));
	bd_json_set_str(o, "package", j->package);
	bd_json_set_str(o, "version", j->version);
	bd_json_set_str(o, "arch", j->arch);
	bd_json_set_int(o, "priority", j->priority);
	bd_json_set_int(o, "submitter_uid", j->submitter_uid);
	bd_json_set_str(o, "recipe_name", j->recipe_name);
	bd_json_set_str(o, "recipe_digest", j->recipe_digest);
	bd_json_set_int(o, "attempts", j->attempts);
	bd_json_set_int(o, "max_attempts", j->max_attempts);
	set_time(o, "created_at", j->created_at);
	set_time(o, "started_at", j->started_at);
	set_time(o, "finished_at", j->finished_at);
	if (j->step_total > 0) {
		struct bd_json *s = bd_json_object();
		bd_json_set_int(s, "index", j->step_index);
		bd_json_set_int(s, "total", j->step_total);
		bd_json_set_str(s, "name", j->step_name);
		bd_json_set(o, "step", s);
	} else {
		bd_json_set(o, "step", bd_json_null());
	}
	bd_json_set_str(o, "error", j->error);
	bd_json_set_str(o, "failed_step", j->failed_step);
	set_time(o, "retry_of", j->retry_of);
	set_time(o, "rebuild_of", j->rebuild_of);
	bd_json_set(o, "environment", bd_json_strv(&j->environment));
	set_time(o, "source_date_epoch", j->source_date_epoch);
	bd_json_set_bool(o, "skip_tests", j->skip_tests);
	bd_json_set_int(o, "log_size", j->log_size);
	struct bd_json *res = bd_json_object();
	bd_json_set_int(res, "wall_ms", j->wall_ms);
	bd_json_set_int(res, "cpu_ms", j->cpu_ms);
	bd_json_set_int(res, "peak_memory", j->peak_memory);
	bd_json_set(o, "resources", res);
	for (size_t i = 0; i < j->nartifacts; i++) {
		const struct bd_artifact *a = &j->artifacts[i];
		struct bd_json *ao = bd_json_object();
		bd_json_set_str(ao, "name", a->name);
		bd_json_set_str(ao, "version", a->version);
		bd_json_set_str(ao, "arch", a->arch);
		bd_json_set_str(ao, "file", a->file);
		bd_json_set_int(ao, "size", a->size);
		bd_json_set_str(ao, "checksum", a->checksum);
		bd_json_set_bool(ao, "published", a->published);
		bd_json_append(arts, ao);
	}
	bd_json_set(o, "artifacts", arts);
	if (with_events) {
		struct bd_json *ev = bd_json_array();
		for (size_t i = 0; i < j->nevents; i++) {
			struct bd_json *eo = bd_json_object();
			bd_json_set_int(eo, "at", j->events[i].at);
			bd_json_set_str(eo, "state", j->events[i].state);
			bd_json_set_str(eo, "message", j->events[i].message);
			bd_json_append(ev, eo);
		}
		bd_json_set(o, "events", ev);
	}
	return o;
}

static char *
get_str(const struct bd_json *o, const char *k)
{
	const char *s = bd_json_str(bd_json_get(o, k));

	return s ? bd_xstrdup(s) : NULL;
}

static int64_t
get_int(const struct bd_json *o, const char *k)
{
	return bd_json_int_value(bd_json_get(o, k));
}

int
bd_job_from_json(const struct bd_json *o, struct bd_job *j, struct bd_err *err)
{
	const char *state;
	const struct bd_json *step, *res, *arts, *evs;
	int st;

	memset(j, 0, sizeof(*j));
	if (!bd_json_is_object(o))
		return bd_err_setx(err, EINVAL, "job: not a JSON object");
	if (!bd_json_is_int(bd_json_get(o, "id")))
		return bd_err_setx(err, EINVAL, "job: no id");
	state = bd_json_str(bd_json_get(o, "state"));
	st = state ? bd_job_state_parse(state) : -1;
	if (st < 0)
		return bd_err_setx(err, EINVAL, "job: bad state '%s'", state ? state : "");
	j->id = get_int(o, "id");
	j->state = (enum bd_job_state)st;
	j->package = get_str(o, "package");
	j->version = get_str(o, "version");
	j->arch = get_str(o, "arch");
	j->priority = (int)get_int(o, "priority");
	j->submitter_uid = get_int(o, "submitter_uid");
	j->recipe_name = get_str(o, "recipe_name");
	j->recipe_digest = get_str(o, "recipe_digest");
	j->attempts = (int)get_int(o, "attempts");
	j->max_attempts = (int)get_int(o, "max_attempts");
	j->created_at = get_int(o, "created_at");
	j->started_at = get_int(o, "started_at");
	j->finished_at = get_int(o, "finished_at");
	step = bd_json_get(o, "step");
	if (bd_json_is_object(step)) {
		j->step_index = (int)get_int(step, "index");
		j->step_total = (int)get_int(step, "total");
		j->step_name = get_str(step, "name");
	}
	j->error = get_str(o, "error");
	j->failed_step = get_str(o, "failed_step");
	j->retry_of = get_int(o, "retry_of");
	j->rebuild_of = get_int(o, "rebuild_of");
	const struct bd_json *env = bd_json_get(o, "environment");
	for (size_t i = 0; i < bd_json_array_size(env); i++) {
		const char *e = bd_json_str(bd_json_array_get(env, i));
		if (e)
			bd_strv_push(&j->environment, e);
	}
	j->source_date_epoch = get_int(o, "source_date_epoch");
	j->skip_tests = bd_json_bool_value(bd_json_get(o, "skip_tests"));
	j->log_size = get_int(o, "log_size");
	res = bd_json_get(o, "resources");
	j->wall_ms = get_int(res, "wall_ms");
	j->cpu_ms = get_int(res, "cpu_ms");
	j->peak_memory = get_int(res, "peak_memory");
	arts = bd_json_get(o, "artifacts");
	j->nartifacts = bd_json_array_size(arts);
	if (j->nartifacts) {
		j->artifacts = bd_xcalloc(j->nartifacts, sizeof(*j->artifacts));
		for (size_t i = 0; i < j->nartifacts; i++) {
			const struct bd_json *a = bd_json_array_get(arts, i);
			j->artifacts[i].name = get_str(a, "name");
			j->artifacts[i].version = get_str(a, "version");
			j->artifacts[i].arch = get_str(a, "arch");
			j->artifacts[i].file = get_str(a, "file");
			j->artifacts[i].checksum = get_str(a, "checksum");
			j->artifacts[i].size = get_int(a, "size");
			j->artifacts[i].published = bd_json_bool_value(bd_json_get(a, "published"));
		}
	}
	evs = bd_json_get(o, "events");
	j->nevents = bd_json_array_size(evs);
	if (j->nevents) {
		j->events = bd_xcalloc(j->nevents, sizeof(*j->events));
		for (size_t i = 0; i < j->nevents; i++) {
			const struct bd_json *e = bd_json_array_get(evs, i);
			j->events[i].at = get_int(e, "at");
			j->events[i].state = get_str(e, "state");
			j->events[i].message = get_str(e, "message");
		}
	}
	return 0;
}

void
bd_submit_free(struct bd_submit *s)
{
	free(s->recipe);
	free(s->recipe_name);
	free(s->arch);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}

struct bd_json *
bd_submit_to_json(const struct bd_submit *s)
{
	struct bd_json *o = bd_json_object();

	bd_json_set(o, "recipe", bd_json_stringn(s->recipe, s->recipe_len));
	if (s->recipe_name)
		bd_json_set_str(o, "recipe_name", s->recipe_name);
	if (s->arch)
		bd_json_set_str(o, "arch", s->arch);
	bd_json_set_int(o, "priority", s->priority);
	if (s->nfiles) {
		struct bd_json *fa = bd_json_array();
		for (size_t i = 0; i < s->nfiles; i++) {
			struct bd_json *fo = bd_json_object();
			char *b64 = bd_base64_encode(s->files[i].data, s->files[i].len);
			bd_json_set_str(fo, "path", s->files[i].path);
			bd_json_set_int(fo, "mode", s->files[i].mode);
			bd_json_set_str(fo, "content", b64);
			free(b64);
			bd_json_append(fa, fo);
		}
		bd_json_set(o, "files", fa);
	}
	if (s->source_date_epoch)
		bd_json_set_int(o, "source_date_epoch", s->source_date_epoch);
	if (s->skip_tests)
		bd_json_set_bool(o, "skip_tests", true);
	return o;
}

bool
bd_side_file_path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 1024 || p[0] == '/')
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			return false;
	for (const char *c = p; *c;) {
		const char *s = strchr(c, '/');
		size_t len = s ? (size_t)(s - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
		if (*c == '/')
			c++;
	}
	return true;
}

static int
submit_files(const struct bd_json *fa, const struct bd_submit_limits *lim, struct bd_submit *s,
             struct bd_err *err)
{
	size_t total = 0, n = bd_json_array_size(fa);

	if (!bd_json_is_array(fa))
		return bd_err_setx(err, EINVAL, "files: expected an array");
	if (n > lim->max_files)
		return bd_err_setx(err, EFBIG, "files: %zu side files, the limit is %zu", n,
		                   lim->max_files);
	s->files = bd_xcalloc(n ? n : 1, sizeof(*s->files));
	for (size_t i = 0; i < n; i++) {
		const struct bd_json *f = bd_json_array_get(fa, i);
		const struct bd_json *v;
		const char *k;
		struct bd_side_file *sf = &s->files[i];

		if (!bd_json_is_object(f))
			return bd_err_setx(err, EINVAL, "files[%zu]: expected an object", i);
		for (size_t x = 0; (k = bd_json_object_key(f, x, &v)); x++)
			if (strcmp(k, "path") && strcmp(k, "mode") && strcmp(k, "content"))
				return bd_err_setx(err, EINVAL, "files[%zu]: unknown field '%s'", i,
				                   k);
		const char *path = bd_json_str(bd_json_get(f, "path"));
		const char *content = bd_json_str(bd_json_get(f, "content"));
		const struct bd_json *mode = bd_json_get(f, "mode");
		if (!path || !bd_side_file_path_ok(path))
			return bd_err_setx(err, EINVAL,
			                   "files[%zu]: path '%s' is not a safe relative path", i,
			                   path ? path : "");
		if (!content)
			return bd_err_setx(err, EINVAL, "files[%zu] (%s): no content", i, path);
		if (mode && !(bd_json_is_int(mode) && bd_json_int_value(mode) >= 0 &&
		              bd_json_int_value(mode) <= 0777))
			return bd_err_setx(err, EINVAL, "files[%zu] (%s): mode must be 0..0777", i,
			                   path);
		for (size_t k2 = 0; k2 < i; k2++)
			if (strcmp(s->files[k2].path, path) == 0)
				return bd_err_setx(err, EINVAL, "files: '%s' given twice", path);
		sf->path = bd_xstrdup(path);
		sf->mode = mode ? (unsigned)bd_json_int_value(mode) : 0644;
		long len = bd_base64_decode(content, bd_json_str_len(bd_json_get(f, "content")),
		                            &sf->data);
		s->nfiles = i + 1;
		if (len < 0)
			return bd_err_setx(err, EINVAL, "files[%zu] (%s): content is not base64", i,
			                   path);
		sf->len = (size_t)len;
		total += sf->len;
		if (total > lim->max_files_total)
			return bd_err_setx(err, EFBIG, "files: more than %zu bytes of side files",
			                   lim->max_files_total);
	}
	return 0;
}

int
bd_submit_from_json(const struct bd_json *o, const struct bd_submit_limits *lim,
                    struct bd_submit *s, struct bd_err *err)
{
	static const char *const known[] = { "recipe", "recipe_name",       "arch",      "priority",
		                             "files",  "source_date_epoch", "skip_tests" };
	const struct bd_json *v;
	const char *k;

	memset(s, 0, sizeof(*s));
	if (!bd_json_is_object(o))
		return bd_err_setx(err, EINVAL, "request body must be a JSON object");
	for (size_t i = 0; (k = bd_json_object_key(o, i, &v)); i++) {
		bool ok = false;
		for (size_t x = 0; x < BD_ARRAY_SIZE(known); x++)
			ok |= strcmp(k, known[x]) == 0;
		if (!ok)
			return bd_err_setx(err, EINVAL, "unknown field '%s'", k);
	}
	v = bd_json_get(o, "recipe");
	if (!bd_json_is_string(v))
		return bd_err_setx(err, EINVAL, "recipe: required, a string with the YAML text");
	s->recipe_len = bd_json_str_len(v);
	if (s->recipe_len == 0)
		return bd_err_setx(err, EINVAL, "recipe: empty");
	if (s->recipe_len > lim->max_recipe)
		return bd_err_setx(err, EFBIG, "recipe: %zu bytes, the limit is %zu", s->recipe_len,
		                   lim->max_recipe);
	s->recipe = bd_xstrndup(bd_json_str(v), s->recipe_len);
	if (strlen(s->recipe) != s->recipe_len)
		return bd_err_setx(err, EINVAL, "recipe: contains a NUL byte");
	v = bd_json_get(o, "recipe_name");
	if (v) {
		if (!bd_json_is_string(v) || bd_json_str_len(v) > 255 ||
		    strpbrk(bd_json_str(v), "\n\r"))
			return bd_err_setx(err, EINVAL,
			                   "recipe_name: a string of at most 255 bytes");
		s->recipe_name = bd_xstrdup(bd_json_str(v));
	}
	v = bd_json_get(o, "arch");
	if (v) {
		const char *a = bd_json_str(v);
		if (!a || !*a || strlen(a) > 32 ||
		    strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(a))
			return bd_err_setx(err, EINVAL,
			                   "arch: expected a name like x86_64 or aarch64");
		s->arch = bd_xstrdup(a);
	}
	v = bd_json_get(o, "priority");
	if (v) {
		if (!bd_json_is_int(v) || bd_json_int_value(v) < -1000 ||
		    bd_json_int_value(v) > 1000)
			return bd_err_setx(err, EINVAL, "priority: an integer from -1000 to 1000");
		s->priority = (int)bd_json_int_value(v);
	}
	v = bd_json_get(o, "source_date_epoch");
	if (v) {
		if (!bd_json_is_int(v) || bd_json_int_value(v) < 0 ||
		    bd_json_int_value(v) > (int64_t)1 << 40)
			return bd_err_setx(err, EINVAL,
			                   "source_date_epoch: a non-negative integer");
		s->source_date_epoch = bd_json_int_value(v);
	}
	v = bd_json_get(o, "skip_tests");
	if (v) {
		if (!bd_json_is_bool(v))
			return bd_err_setx(err, EINVAL, "skip_tests: true or false");
		s->skip_tests = bd_json_bool_value(v);
	}
	v = bd_json_get(o, "files");
	if (v && !bd_json_is_null(v))
		return submit_files(v, lim, s, err);
	return 0;
}

void
bd_repo_pkg_free(struct bd_repo_pkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->file);
	free(p->checksum);
	memset(p, 0, sizeof(*p));
}

struct bd_json *
bd_repo_pkg_to_json(const struct bd_repo_pkg *p)
{
	struct bd_json *o = bd_json_object();

	bd_json_set_str(o, "name", p->name);
	bd_json_set_str(o, "version", p->version);
	bd_json_set_str(o, "arch", p->arch);
	bd_json_set_str(o, "file", p->file);
	bd_json_set_int(o, "size", p->size);
	bd_json_set_int(o, "installed_size", p->installed_size);
	bd_json_set_str(o, "checksum", p->checksum);
	bd_json_set_int(o, "job", p->job);
	bd_json_set_int(o, "published_at", p->published_at);
	return o;
}

int
bd_repo_pkg_from_json(const struct bd_json *o, struct bd_repo_pkg *p, struct bd_err *err)
{
	memset(p, 0, sizeof(*p));
	if (!bd_json_is_object(o) || !bd_json_str(bd_json_get(o, "name")))
		return bd_err_setx(err, EINVAL, "package: not an object with a name");
	p->name = get_str(o, "name");
	p->version = get_str(o, "version");
	p->arch = get_str(o, "arch");
	p->file = get_str(o, "file");
	p->checksum = get_str(o, "checksum");
	p->size = get_int(o, "size");
	p->installed_size = get_int(o, "installed_size");
	p->job = get_int(o, "job");
	p->published_at = get_int(o, "published_at");
	return 0;
}

struct bd_json *
bd_error_to_json(const char *code, const char *message)
{
	struct bd_json *o = bd_json_object(), *e = bd_json_object();

	bd_json_set_str(e, "code", code);
	bd_json_set_str(e, "message", message);
	bd_json_set(o, "error", e);
	return o;
}
