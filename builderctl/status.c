/* SPDX-License-Identifier: MIT */
/* builderctl status: one job in detail. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl status [--socket PATH] [--json] JOB\n"
    "\n"
    "Show a job: state, package, attempts, current step, error, resources,\n"
    "artifacts and its state history.\n";

static int
run(int argc, char **argv)
{
	static const struct option opts[] = { BCTL_CLIENT_OPTIONS, { 0 } };
	struct bctl_conn cn = { 0 };
	struct bd_json *o;
	int64_t id;
	char path[64];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!bctl_client_option(&cn, c, optarg))
			return bctl_getopt_default(bctl_current, c);
	if (argc - optind != 1)
		return bctl_usage_error(bctl_current, "expected one job id");
	if (!bctl_parse_job_id(argv[optind], &id))
		return BCTL_EXIT_USAGE;
	bctl_connect(&cn);
	snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)id);
	r = bctl_call(&cn, "GET", path, NULL, &o);
	if (r == 0) {
		if (cn.json) {
			bctl_print_json(o);
		} else {
			struct bd_job j;
			struct bd_err err = { 0 };
			if (bd_job_from_json(o, &j, &err) == 0) {
				bctl_print_job(&j, true);
				bd_job_free(&j);
			}
		}
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(status, "status", "show one job in detail", usage, run)
