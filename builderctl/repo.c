/* SPDX-License-Identifier: MIT */
/* builderctl repo: what builderd has published. */
#include <stdio.h>

#include "builderctl/client.h"

static const char usage[] = "Usage: builderctl repo [--arch A] [--socket PATH] [--json]\n"
                            "\n"
                            "List the packages published in builderd's repository for arch A\n"
                            "(default: the daemon's).\n";

enum { O_ARCH = 256 };

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "arch", required_argument, NULL, O_ARCH },
		BCTL_CLIENT_OPTIONS,
		{ 0 },
	};
	struct bctl_conn cn = { 0 };
	const char *arch = NULL;
	struct bd_json *o;
	char path[128];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (bctl_client_option(&cn, c, optarg))
			continue;
		if (c == O_ARCH)
			arch = optarg;
		else
			return bctl_getopt_default(bctl_current, c);
	}
	if (optind != argc)
		return bctl_usage_error(bctl_current, "unexpected argument '%s'", argv[optind]);
	bctl_connect(&cn);
	snprintf(path, sizeof(path), "/v1/repo%s%s", arch ? "?arch=" : "", arch ? arch : "");
	r = bctl_call(&cn, "GET", path, NULL, &o);
	if (r == 0) {
		if (cn.json) {
			bctl_print_json(o);
		} else {
			const struct bd_json *a = bd_json_get(o, "packages");
			for (size_t i = 0; i < bd_json_array_size(a); i++) {
				struct bd_repo_pkg p;
				struct bd_err err = { 0 };
				if (bd_repo_pkg_from_json(bd_json_array_get(a, i), &p, &err) == 0) {
					printf("%s/%-40s %10lld bytes  %s  job %lld\n", p.arch,
					       p.file, (long long)p.size, p.checksum,
					       (long long)p.job);
					bd_repo_pkg_free(&p);
				}
			}
		}
		bd_json_free(o);
	}
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(repo, "repo", "list published packages", usage, run)
