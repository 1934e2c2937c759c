/* SPDX-License-Identifier: MIT */
/* db: the durable job queue and records, in SQLite.  The only file that
 * uses SQLite (DESIGN.md: "the only SQLite user" is the daemon).
 *
 * WAL mode with synchronous=FULL: a committed submission survives a crash
 * of the daemon or the machine.  Tables are STRICT and the schema is
 * versioned through PRAGMA user_version with forward-only migrations.
 * Every state change is one transaction and appends an event row, so a
 * job's history is always consistent with its state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apk/pkginfo.h"
#include "common/err.h"
#include "proto/job.h"

struct bd_db;

struct bd_db *bd_db_open(const char *path, struct bd_err *err);
void bd_db_close(struct bd_db *db);
/* Schema version after migrations. */
int bd_db_schema_version(struct bd_db *db);

struct bd_db_new_job {
	const char *recipe;
	size_t recipe_len;
	const char *recipe_name;
	const char *digest; /* "sha256:<hex>" of recipe + side files */
	const char *arch;
	const char *package, *version;
	int priority;
	int64_t uid;
	int max_attempts;
	const char *files_json; /* side files as the API's "files" array, or NULL */
	int64_t source_date_epoch;
	bool skip_tests;
	int64_t retry_of;
	int64_t rebuild_of; /* a rebuild check of this published job */
};

/* Queue a job, unless a queued or running job has the same digest and
 * arch: then *attached is true and *id is that job.  One transaction. */
int bd_db_job_submit(struct bd_db *db, const struct bd_db_new_job *nj, int64_t *id, bool *attached,
                     struct bd_err *err) __attribute__((warn_unused_result));

/* Load job @id (-ENOENT if none); @with_events adds its history. */
int bd_db_job_get(struct bd_db *db, int64_t id, bool with_events, struct bd_job *out,
                  struct bd_err *err) __attribute__((warn_unused_result));

/* Newest first; @state -1 for all; @before 0 for no paging bound. */
int bd_db_job_list(struct bd_db *db, int state, int limit, int64_t before, struct bd_job **out,
                   size_t *n, struct bd_err *err) __attribute__((warn_unused_result));
void bd_db_job_list_free(struct bd_job *v, size_t n);

/* Claim the next job (highest priority, then oldest) in one transaction:
 * running, attempts+1, started_at, lease until @lease_until.  Returns 1
 * with *out filled, 0 when nothing is queued. */
int bd_db_job_claim(struct bd_db *db, int64_t lease_until, struct bd_job *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The recipe text and side files (API "files" JSON, may be NULL). */
int bd_db_job_inputs(struct bd_db *db, int64_t id, char **recipe, char **files_json,
                     struct bd_err *err) __attribute__((warn_unused_result));

int bd_db_job_set_runner(struct bd_db *db, int64_t id, int pid, struct bd_err *err)
    __attribute__((warn_unused_result));
int bd_db_job_set_step(struct bd_db *db, int64_t id, int index, int total, const char *name,
                       struct bd_err *err) __attribute__((warn_unused_result));
/* Record the packages a build environment was made of. */
int bd_db_job_set_environment(struct bd_db *db, int64_t id, const struct bd_strv *env,
                              struct bd_err *err) __attribute__((warn_unused_result));
/* Record the SOURCE_DATE_EPOCH a build used. */
int bd_db_job_set_sde(struct bd_db *db, int64_t id, int64_t sde, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Extend the leases of running jobs @ids to @until. */
int bd_db_leases_renew(struct bd_db *db, const int64_t *ids, size_t n, int64_t until,
                       struct bd_err *err) __attribute__((warn_unused_result));

struct bd_db_resources {
	int64_t wall_ms, cpu_ms, peak_memory;
};

/* Move a job to a terminal state, with the reason and the step that failed
 * (both may be NULL).  A job already terminal is left alone (returns 0 and
 * sets *changed false when @changed is given). */
int bd_db_job_finish(struct bd_db *db, int64_t id, enum bd_job_state state, const char *error,
                     const char *failed_step, const struct bd_db_resources *res, bool *changed,
                     struct bd_err *err) __attribute__((warn_unused_result));

/* A running job lost its runner: back to queued if attempts remain, else
 * failed with @reason.  *requeued tells which.  With @refund the attempt
 * is given back and the job always requeued (a graceful daemon stop is not
 * the job's fault). */
int bd_db_job_lost(struct bd_db *db, int64_t id, const char *reason, bool refund, bool *requeued,
                   struct bd_err *err) __attribute__((warn_unused_result));

/* Ids of jobs in @state. */
int bd_db_jobs_in_state(struct bd_db *db, enum bd_job_state state, int64_t **ids, size_t *n,
                        struct bd_err *err) __attribute__((warn_unused_result));
/* Job counts per state, indexed by enum bd_job_state. */
int bd_db_counts(struct bd_db *db, int64_t counts[BD_JOB_NSTATES], struct bd_err *err)
    __attribute__((warn_unused_result));
int bd_db_add_event(struct bd_db *db, int64_t id, const char *message, struct bd_err *err)
    __attribute__((warn_unused_result));

/* ---- artifacts and the published repository ---- */

struct bd_db_artifact {
	struct bd_apk_pkginfo pi; /* name, version, arch, metadata for the index */
	char file[256];           /* basename in repo/<arch>/ */
	char checksum[64];        /* C: */
	int64_t size;             /* S: */
	int64_t job;
	int64_t published_at; /* 0 = staged, not published */
};

/* Record a job's staged packages (one transaction, replaces earlier staged
 * rows of the job) and mark the job as publishing.  Fails with EEXIST when a
 * package of the same arch, name and version is already published with
 * another checksum. */
int bd_db_stage(struct bd_db *db, int64_t job, const struct bd_db_artifact *a, size_t n,
                struct bd_err *err) __attribute__((warn_unused_result));
/* Staged artifacts of @job. */
int bd_db_staged(struct bd_db *db, int64_t job, struct bd_db_artifact **out, size_t *n,
                 struct bd_err *err) __attribute__((warn_unused_result));
/* Mark @job's staged artifacts published (files are in the repository). */
int bd_db_mark_published(struct bd_db *db, int64_t job, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Jobs whose publication was interrupted (staged, not finished). */
int bd_db_publishing_jobs(struct bd_db *db, int64_t **ids, size_t *n, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Published packages of @arch (NULL: all arches), one per arch/name/version,
 * sorted by arch, name, version. */
int bd_db_published(struct bd_db *db, const char *arch, struct bd_db_artifact **out, size_t *n,
                    struct bd_err *err) __attribute__((warn_unused_result));
/* Arches with published packages. */
int bd_db_published_arches(struct bd_db *db, struct bd_strv *out, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_db_artifacts_free(struct bd_db_artifact *v, size_t n);
