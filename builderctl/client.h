/* SPDX-License-Identifier: MIT */
/* client: what the daemon verbs share: the socket, requests with their
 * error handling, job printing and waiting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "builderctl/builderctl.h"
#include "proto/http.h"
#include "proto/job.h"
#include "proto/json.h"

#define BCTL_DEFAULT_SOCKET "/run/builderd/builderd.sock"

/* Long options every daemon verb accepts; append to a verb's table. */
#define BCTL_CLIENT_OPTIONS                                                             \
	{ "socket", required_argument, NULL, 'S' }, { "json", no_argument, NULL, 'J' }, \
	{                                                                               \
		"help", no_argument, NULL, 'h'                                          \
	}

struct bctl_conn {
	const char *socket; /* --socket, else $BUILDERD_SOCKET, else the default */
	bool json;          /* --json: print the API's JSON */
	struct bd_client *c;
};

/* Handle 'S' and 'J'; returns true if @opt was one of them. */
bool bctl_client_option(struct bctl_conn *cn, int opt, const char *arg);
void bctl_connect(struct bctl_conn *cn);
void bctl_disconnect(struct bctl_conn *cn);

/* Make a request.  On a 2xx answer returns 0 with *out parsed (may be
 * NULL for non-JSON).  Otherwise prints "builderctl VERB: message" and
 * returns the exit status: 3 unreachable, 1 for API errors (2 for 400
 * usage-like errors is not used: the request was well-formed). */
int bctl_call(struct bctl_conn *cn, const char *method, const char *path, const char *body,
              struct bd_json **out);

/* GET /v1/jobs/ID into @j; exit-status semantics as bctl_call. */
int bctl_get_job(struct bctl_conn *cn, int64_t id, struct bd_job *j);

/* Parse a job id argument; prints a usage error and returns false if bad. */
bool bctl_parse_job_id(const char *s, int64_t *id);

/* The one JOB operand left after the options (argv[optind]): 0 with *@id,
 * or BCTL_EXIT_USAGE after a usage error. */
int bctl_one_job_id(int argc, char **argv, int64_t *id);

/* The whole of a one-job verb (status, cancel, retry): parse the client
 * options and exactly one JOB, connect, send METHOD /v1/jobs/JOB@suffix,
 * then print the response as JSON under --json or else with @print.
 * Returns the verb's exit status. */
int bctl_job_verb(int argc, char **argv, const char *method, const char *suffix,
                  void (*print)(int64_t id, const struct bd_json *o));

/* Human-readable job lines. */
void bctl_print_job(const struct bd_job *j, bool detailed);
void bctl_print_json(const struct bd_json *o);

/* Wait until every job in @ids is finished; prints nothing.  Returns 0 if
 * all succeeded, 1 if any failed or was cancelled, 3 if unreachable.
 * With @states, fills the final state of each. */
int bctl_wait_jobs(struct bctl_conn *cn, const int64_t *ids, size_t n, struct bd_job *finals);

/* Stream a job's log to stdout from @offset until the job ends (follow) or
 * the current end.  With @progress (and stderr a terminal), keeps a status
 * line "step i/n name, elapsed" below the log.  Returns an exit status. */
int bctl_stream_log(struct bctl_conn *cn, int64_t id, uint64_t offset, bool follow, bool progress);
