/* SPDX-License-Identifier: MIT */
/* builderctl cancel: stop a queued or running job. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl cancel [--socket PATH] [--json] JOB\n"
    "\n"
    "Cancel a queued or running job: its runner and sandbox are killed and\n"
    "its workspace removed. Only the submitter or root may cancel.\n";

static void
print(int64_t id, const struct bd_json *o)
{
	printf("job %lld: cancel requested (state %s)\n", (long long)id,
	       bd_json_str(bd_json_get(o, "state")));
}

static int
run(int argc, char **argv)
{
	return bctl_job_verb(argc, argv, "POST", "/cancel", print);
}

BCTL_VERB(cancel, "cancel", "cancel a queued or running job", usage, run)
