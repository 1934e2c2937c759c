/* SPDX-License-Identifier: MIT */
/* cgroup: limits, kill-all and accounting for one sandbox run, on cgroup v1,
 * v2 or a hybrid of both (threats.md rows 11, 12, 15–17).
 *
 * The layout is detected at run time.  Each controller the limits need
 * (memory, pids, cpu) goes to the v2 hierarchy when v2 has it, else to its
 * v1 hierarchy; a v2 group is always created when a v2 hierarchy exists,
 * because its cgroup.kill kills a whole tree atomically and its
 * cgroup.events says when the tree is empty.  Without v2, the v1 freezer
 * does the killing (freeze, kill every task, thaw), as crun does.
 *
 *   v2 host (controllers in cgroup2):   everything in one v2 group
 *   hybrid host (this VM, sandbox.md §5): v1 memory/pids/cpu + v2 kill group
 *   v1-only host:                        v1 memory/pids/cpu + v1 freezer
 *
 * Groups are named sb-<pid>-<starttime> after the builder-sandbox process
 * that owns them, so a later run can tell a crashed run's groups (owner
 * gone) from a live one's and sweep them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct bd_cgroup_limits {
	uint64_t memory;     /* bytes, 0 = none */
	uint64_t pids;       /* 0 = none */
	uint64_t cpu_millis; /* 1000 = one CPU, 0 = none */
};

struct bd_cgroup_stats {
	bool oom;          /* the memory cgroup's OOM killer killed something */
	bool pids_max_hit; /* a fork failed at pids.max */
	bool have_peak;
	uint64_t peak_memory;
	bool have_cpu; /* CPU time of every process that ran in the group */
	uint64_t user_usec, system_usec;
};

struct bd_cgroup;

/* Root of the cgroup filesystems (/sys/fs/cgroup; the test build of
 * builder-sandbox can point it elsewhere). */
extern const char *bd_cgroup_root;

/* "v2", "hybrid", "v1" or "none", for the result. */
const char *bd_cgroup_layout(const struct bd_cgroup *cg);

/* Create the groups for run @name below @parent (absolute: from each
 * hierarchy's root; relative: below this process's own group) and write
 * the limits.  Returns NULL with @err set on failure (nothing left behind). */
struct bd_cgroup *bd_cgroup_create(const char *parent, const char *name,
                                   const struct bd_cgroup_limits *lim, struct bd_err *err);

/* fd of the v2 group for clone3(CLONE_INTO_CGROUP), or -1. */
int bd_cgroup_v2_fd(const struct bd_cgroup *cg);

/* Move @pid into every group; @in_v2 says clone3 already put it in the v2 one. */
int bd_cgroup_attach(struct bd_cgroup *cg, pid_t pid, bool in_v2, struct bd_err *err)
    __attribute__((warn_unused_result));

/* SIGKILL every process in the groups (cgroup.kill, or freeze/kill/thaw). */
int bd_cgroup_kill(struct bd_cgroup *cg, struct bd_err *err) __attribute__((warn_unused_result));

void bd_cgroup_stats(struct bd_cgroup *cg, struct bd_cgroup_stats *st);

/* Kill what is left, wait until empty, rmdir every group, free @cg. */
int bd_cgroup_destroy(struct bd_cgroup *cg, struct bd_err *err);

/* Remove groups below @parent left by runs whose owner is gone.  Returns
 * the number removed, or -errno. */
int bd_cgroup_sweep(const char *parent, struct bd_err *err);

/* Name for a run owned by this process: "sb-<pid>-<starttime>". */
int bd_cgroup_run_name(char *out, size_t n, struct bd_err *err);

/* --- pure helpers, exposed for unit tests --- */

/* Find the path of @controller ("memory"; "" for the v2 line "0::") in the
 * text of /proc/self/cgroup.  Returns 0 or -ENOENT. */
int bd_cgroup_self_path(const char *proc_cgroup, const char *controller, char *out, size_t n);

/* Value of "key N" in a flat keyed file (memory.events, pids.events,
 * memory.oom_control).  Returns 0 or -ENOENT. */
int bd_cgroup_keyed(const char *text, const char *key, uint64_t *out);

/* Is @word an item of the space-separated @list ("cpuset cpu io" has
 * "cpu", "cpuset cpuacct" does not)? */
bool bd_cgroup_list_has(const char *list, const char *word);

/* Parse "sb-<pid>-<starttime>".  Returns 0 or -EINVAL. */
int bd_cgroup_parse_run_name(const char *name, pid_t *pid, uint64_t *start);

/* Start time (clock ticks since boot, field 22) from a /proc/PID/stat text. */
int bd_cgroup_stat_starttime(const char *stat, uint64_t *out);

/* Join @root, @self (own group path, for a relative @parent), @parent
 * into @out: "/sys/fs/cgroup/memory" + "/a" + "builderd".  -ENAMETOOLONG. */
int bd_cgroup_join(char *out, size_t n, const char *root, const char *self, const char *parent);
