/* SPDX-License-Identifier: MIT */
/* cgroup-v2: a group in the unified hierarchy.  Holds whichever of memory,
 * pids and cpu the host's cgroup2 offers (none on a hybrid host, where it
 * is only the kill-and-track group), and always does the killing.
 *
 * Files: memory.max, memory.swap.max = 0, pids.max, cpu.max
 * ("<quota> <period>"); cgroup.kill (Linux >= 5.14) kills every task at
 * once, including ones forking right then; cgroup.events says whether the
 * group is still populated; memory.events counts oom_kill, memory.peak
 * (Linux >= 5.19) gives the peak. */
#include "sandbox/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int
v2_limit(struct bd_cg_dir *d, const struct bd_cgroup_limits *lim, struct bd_err *err)
{
	char v[48];

	if (d->ctrls & BD_CG_MEMORY) {
		if (bd_cg_write_u64(d, "memory.max", lim->memory, err) < 0)
			return -err->code;
		/* no swap: the limit is the whole budget (absent without swap) */
		if (bd_cg_write(d, "memory.swap.max", "0", err) < 0 && err->code != ENOENT)
			return -err->code;
	}
	if ((d->ctrls & BD_CG_PIDS) && bd_cg_write_u64(d, "pids.max", lim->pids, err) < 0)
		return -err->code;
	if (d->ctrls & BD_CG_CPU) {
		snprintf(v, sizeof(v), "%" PRIu64 " 100000", lim->cpu_millis * 100);
		if (bd_cg_write(d, "cpu.max", v, err) < 0)
			return -err->code;
	}
	return 0;
}

static bool
v2_populated(struct bd_cg_dir *d)
{
	char buf[256];
	uint64_t v;

	if (bd_cg_read(d->fd, "cgroup.events", buf, sizeof(buf)) <= 0 ||
	    bd_cgroup_keyed(buf, "populated", &v) < 0)
		return bd_cg_read(d->fd, "cgroup.procs", buf, sizeof(buf)) > 0;
	return v != 0;
}

static int
v2_kill(struct bd_cg_dir *d, struct bd_err *err)
{
	const struct timespec ms = { 0, 1000000 };

	if (bd_cg_write(d, "cgroup.kill", "1", err) == 0)
		return 0;
	if (err->code != ENOENT)
		return -err->code;
	/* before 5.14: freeze, kill each task, thaw */
	for (int round = 0; round < 100 && v2_populated(d); round++) {
		if (bd_cg_write(d, "cgroup.freeze", "1", err) < 0)
			return -err->code;
		(void)bd_cg_kill_procs(d->fd);
		if (bd_cg_write(d, "cgroup.freeze", "0", err) < 0)
			return -err->code;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void
v2_stats(struct bd_cg_dir *d, struct bd_cgroup_stats *st)
{
	char buf[1024];
	uint64_t v;

	if (d->ctrls & BD_CG_MEMORY) {
		if (bd_cg_read(d->fd, "memory.events", buf, sizeof(buf)) > 0 &&
		    bd_cgroup_keyed(buf, "oom_kill", &v) == 0 && v > 0)
			st->oom = true;
		if (bd_cg_read(d->fd, "memory.peak", buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%" SCNu64, &st->peak_memory) == 1)
			st->have_peak = true;
	}
	bd_cg_pids_stats(d, st);
	/* cpu.stat's usage lines exist on every v2 group, controller or not;
	 * unlike rusage they include processes killed with the namespace */
	if (bd_cg_read(d->fd, "cpu.stat", buf, sizeof(buf)) > 0 &&
	    bd_cgroup_keyed(buf, "user_usec", &st->user_usec) == 0 &&
	    bd_cgroup_keyed(buf, "system_usec", &st->system_usec) == 0)
		st->have_cpu = true;
}

const struct bd_cgroup_ops bd_cg_v2_ops = {
	.name = "v2",
	.limit = v2_limit,
	.attach = bd_cg_attach,
	.kill = v2_kill,
	.populated = v2_populated,
	.stats = v2_stats,
};
