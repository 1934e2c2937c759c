/* SPDX-License-Identifier: MIT */
/* builderctl vercmp: compare two apk version strings as apk-tools does. */
#include <stdio.h>
#include <string.h>

#include "apk/version.h"
#include "builderctl/builderctl.h"

static const char usage[] = "Usage: builderctl vercmp A B\n"
                            "\n"
                            "Compare apk versions A and B and print '<', '=' or '>'.\n"
                            "Invalid versions still compare (as apk does); a warning says so.\n";

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		return bctl_getopt_default(bctl_current, c);
	if (argc - optind != 2)
		return bctl_usage_error(bctl_current, "expected two versions");
	for (int i = optind; i < argc; i++)
		if (!bd_apk_version_valid(argv[i]))
			fprintf(stderr,
			        "builderctl vercmp: warning: '%s' is not a valid apk version\n",
			        argv[i]);
	puts(bd_apk_version_op_str(bd_apk_version_compare(argv[optind], argv[optind + 1])));
	return BCTL_EXIT_OK;
}

BCTL_VERB(vercmp, "vercmp", "compare two apk version strings", usage, run)
