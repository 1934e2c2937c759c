/* SPDX-License-Identifier: MIT */
/* builderctl status: one job in detail. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl status [--socket PATH] [--json] JOB\n"
    "\n"
    "Show a job: state, package, attempts, current step, error, resources,\n"
    "artifacts and its state history.\n";

static void
print(int64_t id, const struct bd_json *o)
{
	struct bd_job j;
	struct bd_err err = { 0 };

	(void)id;
	if (bd_job_from_json(o, &j, &err) == 0) {
		bctl_print_job(&j, true);
		bd_job_free(&j);
	}
}

static int
run(int argc, char **argv)
{
	return bctl_job_verb(argc, argv, "GET", "", print);
}

BCTL_VERB(status, "status", "show one job in detail", usage, run)
