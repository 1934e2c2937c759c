/* SPDX-License-Identifier: MIT */
/* builderctl list: jobs, newest first. */
#include <stdio.h>
#include <string.h>

#include "builderctl/client.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl list [--state S] [--limit N] [--socket PATH] [--json]\n"
    "\n"
    "List jobs, newest first. S: queued, running, succeeded, failed or\n"
    "cancelled. N: 1..1000 (default 50).\n";

enum { O_STATE = 256, O_LIMIT };

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "limit", required_argument, NULL, O_LIMIT },
		BCTL_CLIENT_OPTIONS,
		{ 0 },
	};
	struct bctl_conn cn = { 0 };
	const char *state = NULL;
	uint64_t limit = 50;
	struct bd_json *o;
	char path[128];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (bctl_client_option(&cn, c, optarg))
			continue;
		if (c == O_STATE) {
			if (bd_job_state_parse(optarg) < 0)
				return bctl_usage_error(bctl_current,
				                        "--state: queued, running, "
				                        "succeeded, failed or cancelled");
			state = optarg;
		} else if (c == O_LIMIT) {
			if (bd_parse_u64(optarg, 1000, &limit) < 0 || limit == 0)
				return bctl_usage_error(bctl_current, "--limit: 1..1000");
		} else {
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if (optind != argc)
		return bctl_usage_error(bctl_current, "unexpected argument '%s'", argv[optind]);
	bctl_connect(&cn);
	snprintf(path, sizeof(path), "/v1/jobs?limit=%llu%s%s", (unsigned long long)limit,
	         state ? "&state=" : "", state ? state : "");
	r = bctl_call(&cn, "GET", path, NULL, &o);
	if (r == 0) {
		if (cn.json) {
			bctl_print_json(o);
		} else {
			const struct bd_json *a = bd_json_get(o, "jobs");
			for (size_t i = 0; i < bd_json_array_size(a); i++) {
				struct bd_job j;
				struct bd_err err = { 0 };
				if (bd_job_from_json(bd_json_array_get(a, i), &j, &err) == 0) {
					bctl_print_job(&j, false);
					bd_job_free(&j);
				}
			}
		}
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(list, "list", "list jobs", usage, run)
