/* SPDX-License-Identifier: MIT */
/* client: shared plumbing of the daemon verbs (see client.h). */
#include "builderctl/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

bool
bctl_client_option(struct bctl_conn *cn, int opt, const char *arg)
{
	if (opt == 'S') {
		cn->socket = arg;
		return true;
	}
	if (opt == 'J') {
		cn->json = true;
		return true;
	}
	return false;
}

void
bctl_connect(struct bctl_conn *cn)
{
	if (!cn->socket) {
		const char *env = getenv("BUILDERD_SOCKET");
		cn->socket = env && *env ? env : BCTL_DEFAULT_SOCKET;
	}
	cn->c = bd_client_new(cn->socket);
}

void
bctl_disconnect(struct bctl_conn *cn)
{
	bd_client_free(cn->c);
	cn->c = NULL;
}

int
bctl_call(struct bctl_conn *cn, const char *method, const char *path, const char *body,
          struct bd_json **out)
{
	struct bd_buf resp = { 0 };
	struct bd_err err = { 0 };
	long status = 0;
	struct bd_json *j = NULL;

	*out = NULL;
	if (bd_client_request(cn->c, method, path, body, &status, &resp, &err) < 0) {
		bctl_error("%s", err.msg);
		bd_buf_free(&resp);
		return err.code == EIO ? BCTL_EXIT_FAIL : BCTL_EXIT_UNREACHABLE;
	}
	if (resp.len)
		j = bd_json_parse(resp.data, resp.len, &err);
	if (status < 200 || status > 299) {
		const struct bd_json *e = bd_json_get(j, "error");
		const char *msg = bd_json_str(bd_json_get(e, "message"));
		const char *code = bd_json_str(bd_json_get(e, "code"));
		if (cn->json && j)
			bctl_print_json(j);
		bctl_error("%s: %s (HTTP %ld%s%s)", bctl_current ? bctl_current->name : "request",
		           msg        ? msg
		           : resp.len ? resp.data
		                      : "no details",
		           status, code ? ", " : "", code ? code : "");
		bd_json_free(j);
		bd_buf_free(&resp);
		return BCTL_EXIT_FAIL;
	}
	bd_buf_free(&resp);
	*out = j;
	return 0;
}

int
bctl_get_job(struct bctl_conn *cn, int64_t id, struct bd_job *j)
{
	struct bd_json *o;
	struct bd_err err = { 0 };
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)id);
	r = bctl_call(cn, "GET", path, NULL, &o);
	if (r)
		return r;
	r = bd_job_from_json(o, j, &err);
	bd_json_free(o);
	if (r < 0) {
		bctl_error("bad response from builderd: %s", err.msg);
		return BCTL_EXIT_FAIL;
	}
	return 0;
}

bool
bctl_parse_job_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (bd_parse_u64(s, INT64_MAX, &v) < 0 || v == 0) {
		bctl_usage_error(bctl_current, "'%s' is not a job id", s);
		return false;
	}
	*id = (int64_t)v;
	return true;
}

int
bctl_one_job_id(int argc, char **argv, int64_t *id)
{
	if (argc - optind != 1)
		return bctl_usage_error(bctl_current, "expected one job id");
	return bctl_parse_job_id(argv[optind], id) ? 0 : BCTL_EXIT_USAGE;
}

int
bctl_job_verb(int argc, char **argv, const char *method, const char *suffix,
              void (*print)(int64_t id, const struct bd_json *o))
{
	static const struct option opts[] = { BCTL_CLIENT_OPTIONS, { 0 } };
	struct bctl_conn cn = { 0 };
	struct bd_json *o;
	int64_t id;
	char path[64];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!bctl_client_option(&cn, c, optarg))
			return bctl_getopt_default(bctl_current, c);
	if ((r = bctl_one_job_id(argc, argv, &id)) != 0)
		return r;
	bctl_connect(&cn);
	snprintf(path, sizeof(path), "/v1/jobs/%lld%s", (long long)id, suffix);
	r = bctl_call(&cn, method, path, NULL, &o);
	if (r == 0) {
		if (cn.json)
			bctl_print_json(o);
		else
			print(id, o);
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

void
bctl_print_json(const struct bd_json *o)
{
	char *s = bd_json_dump(o, true);

	puts(s);
	free(s);
}

static void
fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t) {
		snprintf(buf, size, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

void
bctl_print_job(const struct bd_job *j, bool detailed)
{
	char created[40], started[40], finished[40];

	if (!detailed) {
		char step[64] = "";
		if (j->state == BD_JOB_RUNNING && j->step_total)
			snprintf(step, sizeof(step), " [%d/%d]", j->step_index, j->step_total);
		printf("%-6lld %-10s %-30s %-8s prio=%-4d uid=%-6lld%s%s%s\n", (long long)j->id,
		       bd_job_state_str(j->state), j->package ? j->package : "?",
		       j->arch ? j->arch : "?", j->priority, (long long)j->submitter_uid, step,
		       j->error ? "  " : "", j->error ? j->error : "");
		return;
	}
	fmt_time(j->created_at, created, sizeof(created));
	fmt_time(j->started_at, started, sizeof(started));
	fmt_time(j->finished_at, finished, sizeof(finished));
	printf("job        %lld\n", (long long)j->id);
	printf("state      %s\n", bd_job_state_str(j->state));
	printf("package    %s-%s (%s)\n", j->package ? j->package : "?",
	       j->version ? j->version : "?", j->arch ? j->arch : "?");
	printf("recipe     %s (%s)\n", j->recipe_name ? j->recipe_name : "-",
	       j->recipe_digest ? j->recipe_digest : "-");
	printf("submitter  uid %lld, priority %d\n", (long long)j->submitter_uid, j->priority);
	printf("attempts   %d of %d\n", j->attempts, j->max_attempts);
	printf("created    %s\nstarted    %s\nfinished   %s\n", created, started, finished);
	if (j->step_total)
		printf("step       %d/%d %s\n", j->step_index, j->step_total,
		       j->step_name ? j->step_name : "");
	if (j->error)
		printf("error      %s\n", j->error);
	if (j->failed_step)
		printf("failed at  %s\n", j->failed_step);
	if (j->retry_of)
		printf("retry of   job %lld\n", (long long)j->retry_of);
	if (j->wall_ms || j->cpu_ms)
		printf("resources  wall %.1fs, cpu %.1fs, peak memory %.1f MiB\n",
		       j->wall_ms / 1000.0, j->cpu_ms / 1000.0, (double)j->peak_memory / 1048576.0);
	printf("log        %lld bytes\n", (long long)j->log_size);
	for (size_t i = 0; i < j->environment.n; i++)
		printf("env        %s\n", j->environment.v[i]);
	for (size_t i = 0; i < j->nartifacts; i++)
		printf("artifact   %s/%s %lld bytes %s%s\n", j->artifacts[i].arch,
		       j->artifacts[i].file, (long long)j->artifacts[i].size,
		       j->artifacts[i].checksum, j->artifacts[i].published ? " (published)" : "");
	for (size_t i = 0; i < j->nevents; i++) {
		char at[40];
		fmt_time(j->events[i].at, at, sizeof(at));
		printf("event      %s %-9s %s\n", at, j->events[i].state, j->events[i].message);
	}
}

static bool
discard(void *ctx, const char *data, size_t n)
{
	(void)ctx;
	(void)data;
	(void)n;
	return true;
}

int
bctl_wait_jobs(struct bctl_conn *cn, const int64_t *ids, size_t n, struct bd_job *finals)
{
	int worst = 0;

	for (size_t i = 0; i < n; i++) {
		/* a followed log ends when its job ends: no polling delay */
		char path[96];
		long status = 0;
		struct bd_err err = { 0 };
		snprintf(path, sizeof(path), "/v1/jobs/%lld/log?follow=1&offset=%llu",
		         (long long)ids[i], (unsigned long long)INT64_MAX);
		if (bd_client_stream(cn->c, path, discard, NULL, NULL, &status, NULL, &err) < 0) {
			bctl_error("%s", err.msg);
			return err.code == EIO ? BCTL_EXIT_FAIL : BCTL_EXIT_UNREACHABLE;
		}
		for (unsigned delay_ms = 20;; delay_ms = delay_ms < 1000 ? delay_ms * 2 : 1000) {
			struct bd_job j;
			int r = bctl_get_job(cn, ids[i], &j);
			if (r)
				return r;
			if (bd_job_state_terminal(j.state)) {
				if (j.state != BD_JOB_SUCCEEDED)
					worst = BCTL_EXIT_FAIL;
				if (finals)
					finals[i] = j;
				else
					bd_job_free(&j);
				break;
			}
			bd_job_free(&j);
			usleep(delay_ms * 1000);
		}
	}
	return worst;
}

/* ---------------------------------------------------------- log streaming */

struct follow {
	struct bctl_conn *cn;
	int64_t id;
	bool progress; /* draw a status line on stderr */
	bool line_shown;
	uint64_t t0;
	char status[200];
};

static void
clear_status(struct follow *f)
{
	if (f->line_shown) {
		fputs("\r\033[K", stderr);
		f->line_shown = false;
	}
}

static void
draw_status(struct follow *f)
{
	if (!f->progress || !f->status[0])
		return;
	unsigned secs = (unsigned)((bd_now_ns() - f->t0) / 1000000000ull);
	fprintf(stderr, "\r\033[K\033[7m %s  %02u:%02u \033[0m", f->status, secs / 60, secs % 60);
	fflush(stderr);
	f->line_shown = true;
}

static bool
on_data(void *ctx, const char *data, size_t n)
{
	struct follow *f = ctx;

	clear_status(f);
	fwrite(data, 1, n, stdout);
	fflush(stdout);
	/* redraw only at a line boundary so a partial line is not split */
	if (n && data[n - 1] == '\n')
		draw_status(f);
	return true;
}

static void
on_tick(void *ctx)
{
	struct follow *f = ctx;
	struct bd_job j;
	struct bd_buf resp = { 0 };
	struct bd_err err = { 0 };
	struct bd_json *o;
	long status;
	char path[64];

	/* a separate short request for the job's progress */
	snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)f->id);
	if (bd_client_request(f->cn->c, "GET", path, NULL, &status, &resp, &err) == 0 &&
	    status == 200 && (o = bd_json_parse(resp.data, resp.len, &err))) {
		if (bd_job_from_json(o, &j, &err) == 0) {
			if (j.state == BD_JOB_RUNNING && j.step_total)
				snprintf(f->status, sizeof(f->status), "job %lld: step %d/%d %s",
				         (long long)j.id, j.step_index, j.step_total,
				         j.step_name ? j.step_name : "");
			else
				snprintf(f->status, sizeof(f->status), "job %lld: %s",
				         (long long)j.id, bd_job_state_str(j.state));
			bd_job_free(&j);
		}
		bd_json_free(o);
	}
	bd_buf_free(&resp);
	clear_status(f);
	draw_status(f);
}

int
bctl_stream_log(struct bctl_conn *cn, int64_t id, uint64_t offset, bool follow, bool progress)
{
	struct follow f = {
		.cn = cn, .id = id, .progress = progress && isatty(2), .t0 = bd_now_ns()
	};
	struct bd_buf hdrs = { 0 };
	struct bd_err err = { 0 };
	char path[128];
	long status = 0;
	int r;

	snprintf(path, sizeof(path), "/v1/jobs/%lld/log?offset=%llu%s", (long long)id,
	         (unsigned long long)offset, follow ? "&follow=1" : "");
	r = bd_client_stream(cn->c, path, on_data, f.progress ? on_tick : NULL, &f, &status, &hdrs,
	                     &err);
	clear_status(&f);
	bd_buf_free(&hdrs);
	if (r < 0) {
		bctl_error("%s", err.msg);
		return err.code == EIO ? BCTL_EXIT_FAIL : BCTL_EXIT_UNREACHABLE;
	}
	if (status != 200) {
		bctl_error("logs: job %lld: HTTP %ld", (long long)id, status);
		return BCTL_EXIT_FAIL;
	}
	return 0;
}
