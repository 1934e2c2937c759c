/* SPDX-License-Identifier: MIT */
/* builderctl rebuild-check: rebuild a published job and compare. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] =
    "Usage: builderctl rebuild-check [--socket PATH] [--json] JOB\n"
    "\n"
    "Rebuild the published job JOB from the same recipe, side files, arch and\n"
    "SOURCE_DATE_EPOCH, without publishing, and compare every package with the\n"
    "published one. Prints the verdict; exit 0 only if every package is\n"
    "byte-identical (same C: checksum, same datahash).\n";

static int
run(int argc, char **argv)
{
	static const struct option opts[] = { BCTL_CLIENT_OPTIONS, { 0 } };
	struct bctl_conn cn = { 0 };
	struct bd_json *o;
	struct bd_job fin;
	int64_t id, nid;
	char path[64];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (!bctl_client_option(&cn, c, optarg))
			return bctl_getopt_default(bctl_current, c);
	if ((r = bctl_one_job_id(argc, argv, &id)) != 0)
		return r;
	bctl_connect(&cn);
	snprintf(path, sizeof(path), "/v1/jobs/%lld/rebuild-check", (long long)id);
	r = bctl_call(&cn, "POST", path, NULL, &o);
	if (r)
		goto out;
	nid = bd_json_int_value(bd_json_get(bd_json_get(o, "job"), "id"));
	bd_json_free(o);
	if (!cn.json)
		fprintf(stderr, "rebuilding job %lld as job %lld\n", (long long)id, (long long)nid);
	r = bctl_wait_jobs(&cn, &nid, 1, &fin);
	if (r == BCTL_EXIT_UNREACHABLE)
		goto out;
	if (cn.json) {
		struct bd_json *j = bd_job_to_json(&fin, false);
		bctl_print_json(j);
		bd_json_free(j);
	} else if (fin.state == BD_JOB_SUCCEEDED) {
		printf("job %lld is reproducible: every package of job %lld is identical\n",
		       (long long)id, (long long)nid);
	} else {
		printf("job %lld: %s%s%s\n", (long long)id, bd_job_state_str(fin.state),
		       fin.error ? ": " : "", fin.error ? fin.error : "");
	}
	bd_job_free(&fin);
out:
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(rebuild_check, "rebuild-check", "rebuild a published job and compare its packages", usage,
          run)
