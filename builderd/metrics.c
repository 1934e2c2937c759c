/* SPDX-License-Identifier: MIT */
/* metrics: Prometheus text exposition of the queue and the builds.
 * Counters live in memory (they restart with the daemon, as Prometheus
 * counters may); gauges are read from the database at scrape time. */
#include "builderd/daemon.h"

#include <string.h>

static const double bounds[BD_HIST_BUCKETS - 1] = {
	0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600
};

void
bd_metrics_observe(struct bd_histogram *h, double seconds)
{
	size_t i = 0;

	while (i < BD_HIST_BUCKETS - 1 && seconds > bounds[i])
		i++;
	h->buckets[i]++;
	h->count++;
	h->sum += seconds;
}

static void
render_hist(struct bd_buf *b, const char *name, const char *help, const struct bd_histogram *h)
{
	uint64_t cum = 0;

	bd_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < BD_HIST_BUCKETS - 1; i++) {
		cum += h->buckets[i];
		bd_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
		              (unsigned long long)cum);
	}
	cum += h->buckets[BD_HIST_BUCKETS - 1];
	bd_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	bd_buf_printf(b, "%s_sum %.3f\n%s_count %llu\n", name, h->sum, name,
	              (unsigned long long)h->count);
}

void
bd_metrics_render(struct bd_daemon *d, struct bd_buf *b)
{
	int64_t counts[BD_JOB_NSTATES];
	struct bd_err err = { 0 };

	if (bd_db_counts(d->db, counts, &err) < 0)
		memset(counts, 0, sizeof(counts));
	bd_buf_puts(b, "# HELP builderd_jobs Jobs by state.\n# TYPE builderd_jobs gauge\n");
	for (int s = 0; s < BD_JOB_NSTATES; s++)
		bd_buf_printf(b, "builderd_jobs{state=\"%s\"} %lld\n",
		              bd_job_state_str((enum bd_job_state)s), (long long)counts[s]);
	render_hist(b, "builderd_queue_wait_seconds", "Time from submission to start.",
	            &d->metrics.queue_wait);
	render_hist(b, "builderd_job_run_seconds", "Time from start to the end of a job.",
	            &d->metrics.run_time);
	bd_buf_puts(b, "# HELP builderd_builds_total Finished builds by result.\n"
	               "# TYPE builderd_builds_total counter\n");
	for (int s = BD_JOB_SUCCEEDED; s < BD_JOB_NSTATES; s++)
		bd_buf_printf(b, "builderd_builds_total{result=\"%s\"} %llu\n",
		              bd_job_state_str((enum bd_job_state)s),
		              (unsigned long long)d->metrics.builds[s]);
	bd_buf_printf(b,
	              "# HELP builderd_published_bytes_total Bytes of packages published.\n"
	              "# TYPE builderd_published_bytes_total counter\n"
	              "builderd_published_bytes_total %llu\n"
	              "# HELP builderd_published_packages_total Packages published.\n"
	              "# TYPE builderd_published_packages_total counter\n"
	              "builderd_published_packages_total %llu\n"
	              "# HELP builderd_log_followers Attached log followers.\n"
	              "# TYPE builderd_log_followers gauge\n"
	              "builderd_log_followers %zu\n"
	              "# HELP builderd_workers Configured worker slots.\n"
	              "# TYPE builderd_workers gauge\n"
	              "builderd_workers %d\n"
	              "# HELP builderd_running Busy worker slots.\n"
	              "# TYPE builderd_running gauge\n"
	              "builderd_running %d\n",
	              (unsigned long long)d->metrics.published_bytes,
	              (unsigned long long)d->metrics.published_packages, d->nfollowers,
	              d->cfg.workers, bd_sched_running(d));
}
