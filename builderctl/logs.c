/* SPDX-License-Identifier: MIT */
/* builderctl logs: print a job's log, or follow it live. */
#include <stdio.h>

#include "builderctl/client.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl logs [-f] [--from-offset N] [--socket PATH] JOB\n"
    "\n"
    "Print the job's log. With -f, keep streaming until the job finishes: the\n"
    "output is then exactly the log file from the offset on, however slow the\n"
    "reader.\n"
    "\n"
    "  -f, --follow          stream until the job ends\n"
    "  --from-offset N       start at byte N\n";

enum { O_OFFSET = 256 };

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "from-offset", required_argument, NULL, O_OFFSET },
		BCTL_CLIENT_OPTIONS,
		{ 0 },
	};
	struct bctl_conn cn = { 0 };
	bool follow = false;
	uint64_t off = 0;
	int64_t id;
	int c, r;

	while ((c = getopt_long(argc, argv, "hf", opts, NULL)) != -1) {
		if (bctl_client_option(&cn, c, optarg))
			continue;
		if (c == 'f')
			follow = true;
		else if (c == O_OFFSET) {
			if (bd_parse_u64(optarg, INT64_MAX, &off) < 0)
				return bctl_usage_error(bctl_current,
				                        "--from-offset: a byte offset");
		} else {
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if ((r = bctl_one_job_id(argc, argv, &id)) != 0)
		return r;
	bctl_connect(&cn);
	/* check the job exists first: a clear error instead of an empty log */
	struct bd_job j;
	r = bctl_get_job(&cn, id, &j);
	if (r == 0) {
		bd_job_free(&j);
		r = bctl_stream_log(&cn, id, off, follow, false);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(logs, "logs", "print or follow a job's log", usage, run)
