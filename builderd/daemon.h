/* SPDX-License-Identifier: MIT */
/* daemon: the state shared by builderd's modules, all on one libevent loop.
 *
 *   api.c      HTTP routes on the UNIX socket, SO_PEERCRED authorisation
 *   sched.c    worker slots: claim, spawn a runner per job, watch it through
 *              a pidfd, time it out, cancel it, renew its lease; recovery at
 *              start; graceful shutdown
 *   publish.c  the single repository writer: packages in, index regenerated
 *              from the database, signed, fsynced, renamed
 *   logs.c     live log followers served from the log files
 *   metrics.c  Prometheus counters and histograms
 *   runner.c   the job runner, a separate process per job
 *
 * Nothing here blocks for long: the heavy work (compiling recipes' builds,
 * compressing packages) happens in runner processes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "apk/crypto.h"
#include "builderd/config.h"
#include "builderd/db.h"
#include "common/log.h"
#include "common/util.h"

struct event_base;
struct event;
struct evhttp;
struct evhttp_request;
struct evconnlistener;

/* Exit status of a runner that reports a build failure (not a crash). */
#define BD_RUNNER_EXIT_FAILED 1
/* Exit status of a runner whose job was cancelled or timed out. */
#define BD_RUNNER_EXIT_KILLED 2

struct bd_daemon;

struct bd_slot {
	struct bd_daemon *owner;
	bool busy;
	int64_t job;
	pid_t pid;
	int pidfd;
	struct event *ev_exit;
	int status_fd; /* runner -> daemon progress lines */
	struct event *ev_status;
	struct bd_buf status_buf;
	time_t started;
	uint64_t started_ns;
	time_t deadline; /* job timeout */
	time_t kill_at;  /* SIGKILL escalation after SIGTERM, 0 = none */
	bool cancel;     /* cancel requested */
	bool timed_out;
	bool shutdown;      /* killed by a graceful stop: requeue */
	int64_t rebuild_of; /* a rebuild check: compare instead of publishing */
	char step_name[128];
};

struct bd_follower;

#define BD_HIST_BUCKETS 12

struct bd_histogram {
	uint64_t buckets[BD_HIST_BUCKETS]; /* cumulative at render time */
	uint64_t count;
	double sum;
};

struct bd_metrics {
	uint64_t builds[BD_JOB_NSTATES]; /* by terminal result */
	uint64_t published_bytes, published_packages;
	struct bd_histogram queue_wait, run_time;
};

struct bd_daemon {
	struct bd_config cfg;
	struct bd_log log;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener;
	struct event *ev_signal, *ev_tick, *ev_inotify;
	int sigfd, inofd, inowd;
	struct bd_db *db;
	struct bd_apk_privkey *key;
	char *self_exe;
	char *logs_dir, *work_dir, *repo_dir, *cache_dir, *keys_dir;
	char *rootfs; /* resolved base layer directory */
	struct bd_slot *slots;
	int nslots;
	struct bd_follower *followers;
	size_t nfollowers;
	bool accepting; /* false while stopping */
	bool stopping;
	time_t stop_deadline;
	gid_t allowed_gid;
	bool have_allowed_gid;
	struct bd_metrics metrics;
	int exit_code;
};

/* api.c */
int bd_api_start(struct bd_daemon *d, struct bd_err *err) __attribute__((warn_unused_result));
void bd_api_stop(struct bd_daemon *d);

/* sched.c */
/* Requeue jobs whose runner is gone, finish interrupted publications,
 * remove leftovers (workspaces, stale cgroups, temp files).  At start. */
int bd_sched_recover(struct bd_daemon *d, struct bd_err *err) __attribute__((warn_unused_result));
int bd_sched_start(struct bd_daemon *d, struct bd_err *err) __attribute__((warn_unused_result));
/* Claim and start jobs while slots are free. */
void bd_sched_kick(struct bd_daemon *d);
/* Cancel @job: a queued one at once, a running one by killing its runner. */
int bd_sched_cancel(struct bd_daemon *d, int64_t job, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Begin a graceful stop (SIGTERM). */
void bd_sched_stop(struct bd_daemon *d);
/* Number of busy slots. */
int bd_sched_running(const struct bd_daemon *d);
struct bd_slot *bd_sched_slot_of(struct bd_daemon *d, int64_t job);

/* publish.c */
/* Publish the staged packages of @job (files into repo/<arch>/, index
 * regenerated and signed).  Idempotent: used again after a crash. */
int bd_publish_job(struct bd_daemon *d, int64_t job, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Rewrite repo/<arch>/APKINDEX.tar.gz from the database. */
int bd_publish_index(struct bd_daemon *d, const char *arch, struct bd_err *err)
    __attribute__((warn_unused_result));

/* logs.c */
int bd_logs_start(struct bd_daemon *d, struct bd_err *err) __attribute__((warn_unused_result));
void bd_logs_stop(struct bd_daemon *d);
/* Serve GET /v1/jobs/ID/log (follow or not). */
void bd_logs_serve(struct bd_daemon *d, struct evhttp_request *req, int64_t job, uint64_t offset,
                   bool follow, uid_t uid);
/* The job's log grew or the job ended: wake its followers. */
void bd_logs_notify(struct bd_daemon *d, int64_t job);
/* Path of a job's log (malloc'd). */
char *bd_logs_path(const struct bd_daemon *d, int64_t job);
/* Append a line the daemon writes itself (publication steps). */
void bd_logs_append(struct bd_daemon *d, int64_t job, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t bd_logs_size(const struct bd_daemon *d, int64_t job);

/* metrics.c */
void bd_metrics_observe(struct bd_histogram *h, double seconds);
void bd_metrics_render(struct bd_daemon *d, struct bd_buf *out);

/* runner.c: the runner process's entry (builderd --run-job DIR). */
int bd_runner_main(const char *jobdir);
