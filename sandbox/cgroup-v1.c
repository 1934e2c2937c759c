/* SPDX-License-Identifier: MIT */
/* cgroup-v1: a group in one v1 controller hierarchy (memory, pids, cpu or
 * freezer); the freezer group is the kill mechanism on hosts without v2.
 *
 * Files as crun's cgroup-resources.c uses them: memory.limit_in_bytes, then
 * memory.memsw.limit_in_bytes (memsw must stay >= the limit, so it goes
 * second; absent when swap accounting is off); pids.max; cpu.cfs_quota_us
 * against the default 100 ms period.  OOM kills are counted in the
 * oom_kill line of memory.oom_control, fork failures in pids.events. */
#include "sandbox/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
v1_limit(struct bd_cg_dir *d, const struct bd_cgroup_limits *lim, struct bd_err *err)
{
	if (d->ctrls & BD_CG_MEMORY) {
		if (bd_cg_write_u64(d, "memory.limit_in_bytes", lim->memory, err) < 0)
			return -err->code;
		/* swap counts against the same limit: no escape into swap */
		if (bd_cg_write_u64(d, "memory.memsw.limit_in_bytes", lim->memory, err) < 0 &&
		    err->code != ENOENT)
			return -err->code;
	}
	if ((d->ctrls & BD_CG_PIDS) && bd_cg_write_u64(d, "pids.max", lim->pids, err) < 0)
		return -err->code;
	/* new groups start with cfs_period_us = 100000 (100 ms) */
	if ((d->ctrls & BD_CG_CPU) &&
	    bd_cg_write_u64(d, "cpu.cfs_quota_us", lim->cpu_millis * 100, err) < 0)
		return -err->code;
	return 0;
}

static bool
v1_populated(struct bd_cg_dir *d)
{
	char buf[16];

	return bd_cg_read(d->fd, "cgroup.procs", buf, sizeof(buf)) > 0;
}

/* freeze, kill every task, thaw: a frozen group cannot fork new tasks
 * between our read of cgroup.procs and the kills (crun's
 * cgroup_killall_path()).  Thaw always, or the SIGKILLs stay pending. */
static int
v1_kill(struct bd_cg_dir *d, struct bd_err *err)
{
	const struct timespec ms = { 0, 1000000 };
	char state[32];

	if (!(d->ctrls & BD_CG_FREEZER)) {
		(void)bd_cg_kill_procs(d->fd);
		return 0;
	}
	for (int round = 0; round < 100 && v1_populated(d); round++) {
		if (bd_cg_write(d, "freezer.state", "FROZEN", err) < 0)
			return -err->code;
		for (int i = 0; i < 100; i++) {
			if (bd_cg_read(d->fd, "freezer.state", state, sizeof(state)) > 0 &&
			    strncmp(state, "FROZEN", 6) == 0)
				break;
			nanosleep(&ms, NULL);
		}
		(void)bd_cg_kill_procs(d->fd);
		if (bd_cg_write(d, "freezer.state", "THAWED", err) < 0)
			return -err->code;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void
v1_stats(struct bd_cg_dir *d, struct bd_cgroup_stats *st)
{
	char buf[1024];
	uint64_t v;

	if ((d->ctrls & BD_CG_MEMORY)) {
		if (bd_cg_read(d->fd, "memory.oom_control", buf, sizeof(buf)) > 0 &&
		    bd_cgroup_keyed(buf, "oom_kill", &v) == 0 && v > 0)
			st->oom = true;
		if (bd_cg_read(d->fd, "memory.max_usage_in_bytes", buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%" SCNu64, &st->peak_memory) == 1)
			st->have_peak = true;
	}
	bd_cg_pids_stats(d, st);
}

const struct bd_cgroup_ops bd_cg_v1_ops = {
	.name = "v1",
	.limit = v1_limit,
	.attach = bd_cg_attach,
	.kill = v1_kill,
	.populated = v1_populated,
	.stats = v1_stats,
};
