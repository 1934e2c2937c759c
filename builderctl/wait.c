/* SPDX-License-Identifier: MIT */
/* builderctl wait: block until jobs finish. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl wait [--socket PATH] [--json] JOB...\n"
    "\n"
    "Wait until every JOB has finished; print each final state. Exit 0 if all\n"
    "succeeded, 1 if any failed or was cancelled.\n";

static int
run(int argc, char **argv)
{
	static const struct option opts[] = { BCTL_CLIENT_OPTIONS, { 0 } };
	struct bctl_conn cn = { 0 };
	int64_t ids[256];
	struct bd_job finals[256];
	size_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!bctl_client_option(&cn, c, optarg))
			return bctl_getopt_default(bctl_current, c);
	if (optind == argc)
		return bctl_usage_error(bctl_current, "expected job ids");
	for (int i = optind; i < argc; i++) {
		if (n == 256)
			return bctl_usage_error(bctl_current, "at most 256 jobs");
		if (!bctl_parse_job_id(argv[i], &ids[n++]))
			return BCTL_EXIT_USAGE;
	}
	bctl_connect(&cn);
	r = bctl_wait_jobs(&cn, ids, n, finals);
	if (r != BCTL_EXIT_UNREACHABLE) {
		for (size_t i = 0; i < n; i++) {
			if (cn.json) {
				struct bd_json *o = bd_job_to_json(&finals[i], false);
				bctl_print_json(o);
				bd_json_free(o);
			} else {
				printf("%lld %s%s%s\n", (long long)finals[i].id,
				       bd_job_state_str(finals[i].state),
				       finals[i].error ? " " : "",
				       finals[i].error ? finals[i].error : "");
			}
			bd_job_free(&finals[i]);
		}
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(wait, "wait", "wait for jobs to finish", usage, run)
