/* SPDX-License-Identifier: MIT */
/* job: the API's objects (proto/api.md) as C structs, with their JSON
 * encoding and decoding.  Shared by the daemon and builderctl so the wire
 * format is defined in exactly one place. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "proto/json.h"

enum bd_job_state {
	BD_JOB_QUEUED,
	BD_JOB_RUNNING,
	BD_JOB_SUCCEEDED,
	BD_JOB_FAILED,
	BD_JOB_CANCELLED,
};
#define BD_JOB_NSTATES 5

const char *bd_job_state_str(enum bd_job_state s);
/* Returns the state or -1. */
int bd_job_state_parse(const char *s);
bool bd_job_state_terminal(enum bd_job_state s);

struct bd_artifact {
	char *name, *version, *arch, *file, *checksum;
	int64_t size;
	bool published;
};

struct bd_job_event {
	int64_t at;
	char *state;
	char *message;
};

struct bd_job {
	int64_t id;
	enum bd_job_state state;
	char *package, *version, *arch;
	int priority;
	int64_t submitter_uid;
	char *recipe_name, *recipe_digest;
	int attempts, max_attempts;
	int64_t created_at, started_at, finished_at; /* 0 = null */
	int step_index, step_total;                  /* step_total 0 = no step */
	char *step_name;
	char *error, *failed_step;
	int64_t retry_of;           /* 0 = null */
	int64_t rebuild_of;         /* a rebuild check of this job; 0 = null */
	struct bd_strv environment; /* "name version checksum" of the build environment */
	int64_t source_date_epoch;
	bool skip_tests;
	int64_t log_size;
	int64_t wall_ms, cpu_ms, peak_memory;
	struct bd_artifact *artifacts;
	size_t nartifacts;
	struct bd_job_event *events;
	size_t nevents;
};

void bd_job_free(struct bd_job *j);
struct bd_json *bd_job_to_json(const struct bd_job *j, bool with_events);
/* Decode a Job object (unknown fields ignored: responses may grow). */
int bd_job_from_json(const struct bd_json *o, struct bd_job *j, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Side file sent with a submission. */
struct bd_side_file {
	char *path;
	unsigned mode;
	char *data;
	size_t len;
};

struct bd_submit {
	char *recipe;
	size_t recipe_len;
	char *recipe_name;
	char *arch;
	int priority;
	struct bd_side_file *files;
	size_t nfiles;
	int64_t source_date_epoch; /* 0 = not given */
	bool skip_tests;
};

/* Limits applied when decoding a submission. */
struct bd_submit_limits {
	size_t max_recipe;
	size_t max_files_total;
	size_t max_files;
};

void bd_submit_free(struct bd_submit *s);
struct bd_json *bd_submit_to_json(const struct bd_submit *s);
/* Strict decoding: unknown fields, wrong types, unsafe paths and limits are
 * errors.  err->code is EINVAL for a malformed request, EFBIG for one over a
 * limit (HTTP 400 and 413). */
int bd_submit_from_json(const struct bd_json *o, const struct bd_submit_limits *lim,
                        struct bd_submit *s, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Is @p a safe relative path for a side file (no "..", not absolute, no
 * empty components, no control characters)? */
bool bd_side_file_path_ok(const char *p);

struct bd_repo_pkg {
	char *name, *version, *arch, *file, *checksum;
	int64_t size, installed_size, job, published_at;
};

void bd_repo_pkg_free(struct bd_repo_pkg *p);
struct bd_json *bd_repo_pkg_to_json(const struct bd_repo_pkg *p);
int bd_repo_pkg_from_json(const struct bd_json *o, struct bd_repo_pkg *p, struct bd_err *err)
    __attribute__((warn_unused_result));

/* {"error": {"code": ..., "message": ...}} */
struct bd_json *bd_error_to_json(const char *code, const char *message);
