/* SPDX-License-Identifier: MIT */
/* builderctl cancel: stop a queued or running job. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl cancel [--socket PATH] [--json] JOB\n"
    "\n"
    "Cancel a queued or running job: its runner and sandbox are killed and\n"
    "its workspace removed. Only the submitter or root may cancel.\n";

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
	snprintf(path, sizeof(path), "/v1/jobs/%lld/cancel", (long long)id);
	r = bctl_call(&cn, "POST", path, NULL, &o);
	if (r == 0) {
		if (cn.json)
			bctl_print_json(o);
		else
			printf("job %lld: cancel requested (state %s)\n", (long long)id,
			       bd_json_str(bd_json_get(o, "state")));
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(cancel, "cancel", "cancel a queued or running job", usage, run)
