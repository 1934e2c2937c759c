/* SPDX-License-Identifier: MIT */
/* cgroup-internal: the ops table shared by the facade (cgroup.c) and the
 * v1 (cgroup-v1.c) and v2 (cgroup-v2.c) back ends. */
#pragma once

#include "sandbox/cgroup.h"

enum bd_cg_ctrl {
	BD_CG_MEMORY = 1u << 0,
	BD_CG_PIDS = 1u << 1,
	BD_CG_CPU = 1u << 2,
	BD_CG_FREEZER = 1u << 3, /* v1 only: the kill mechanism without v2 */
};

/* One group directory in one hierarchy. */
struct bd_cg_dir {
	const struct bd_cgroup_ops *ops;
	unsigned ctrls; /* enum bd_cg_ctrl placed here */
	bool killer;    /* this dir implements kill-all */
	int parent_fd;  /* the parent dir, for rmdir */
	int fd;         /* the group dir */
	char path[512]; /* for messages */
};

struct bd_cgroup_ops {
	const char *name;
	/* write the limits for d->ctrls (the dir exists) */
	int (*limit)(struct bd_cg_dir *d, const struct bd_cgroup_limits *lim, struct bd_err *err);
	int (*attach)(struct bd_cg_dir *d, pid_t pid, struct bd_err *err);
	int (*kill)(struct bd_cg_dir *d, struct bd_err *err);
	bool (*populated)(struct bd_cg_dir *d);
	void (*stats)(struct bd_cg_dir *d, struct bd_cgroup_stats *st);
};

extern const struct bd_cgroup_ops bd_cg_v1_ops;
extern const struct bd_cgroup_ops bd_cg_v2_ops;

/* Small file helpers relative to a group dir fd. */
int bd_cg_write(struct bd_cg_dir *d, const char *file, const char *val, struct bd_err *err);
int bd_cg_read(int dirfd, const char *file, char *buf, size_t n);
/* Write a decimal number. */
int bd_cg_write_u64(struct bd_cg_dir *d, const char *file, uint64_t val, struct bd_err *err);
/* Identical in v1 and v2: the pid into cgroup.procs, the pids.events check. */
int bd_cg_attach(struct bd_cg_dir *d, pid_t pid, struct bd_err *err);
void bd_cg_pids_stats(struct bd_cg_dir *d, struct bd_cgroup_stats *st);
/* SIGKILL every pid listed in @dirfd's cgroup.procs; returns how many. */
int bd_cg_kill_procs(int dirfd);
