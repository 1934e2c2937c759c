/* SPDX-License-Identifier: MIT */
/* builderctl retry: queue a failed or cancelled job again. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl retry [--socket PATH] [--json] JOB\n"
    "\n"
    "Queue a new job with the recipe, side files, arch and priority of a failed\n"
    "or cancelled JOB and print its id. Only the submitter or root may retry.\n";

static void
print(int64_t id, const struct bd_json *o)
{
	(void)id;
	printf("%lld\n", (long long)bd_json_int_value(bd_json_get(bd_json_get(o, "job"), "id")));
}

static int
run(int argc, char **argv)
{
	return bctl_job_verb(argc, argv, "POST", "/retry", print);
}

BCTL_VERB(retry, "retry", "queue a failed or cancelled job again", usage, run)
