/* SPDX-License-Identifier: MIT */
/* builderctl retry: queue a failed or cancelled job again. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl retry [--socket PATH] [--json] JOB\n"
    "\n"
    "Queue a new job with the recipe, side files, arch and priority of a failed\n"
    "or cancelled JOB and print its id. Only the submitter or root may retry.\n";

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
	snprintf(path, sizeof(path), "/v1/jobs/%lld/retry", (long long)id);
	r = bctl_call(&cn, "POST", path, NULL, &o);
	if (r == 0) {
		if (cn.json)
			bctl_print_json(o);
		else
			printf("%lld\n", (long long)bd_json_int_value(
			                     bd_json_get(bd_json_get(o, "job"), "id")));
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(retry, "retry", "queue a failed or cancelled job again", usage, run)
