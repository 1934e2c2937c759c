/* SPDX-License-Identifier: MIT */
/* lint: check that melange recipes compile, reporting every problem.
 *
 * Each FILE is compiled for one architecture exactly as a build would
 * (parse, substitute, resolve `uses:` through the pipeline directories);
 * problems are printed to stdout as FILE:LINE:COL: message, warnings with
 * a "warning:" prefix.  Exit 0 if every file compiles, 1 otherwise, 2 on
 * bad usage.  Loaded pipeline definitions are shared between files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builderctl/builderctl.h"
#include "builderctl/recipeopts.h"
#include "recipe/plan.h"

static const char lint_usage[] =
    "Usage: builderctl lint [--pipeline-dir DIR]... [--arch ARCH] [--no-warnings] FILE...\n"
    "\n"
    "Compile melange recipes for one architecture and report every problem as\n"
    "FILE:LINE:COL: message.  Exit status 0 if every FILE compiles, 1 if not.\n"
    "\n"
    "  -p, --pipeline-dir DIR  look for `uses:` pipelines in DIR first (repeatable,\n"
    "                          searched in order, then the built-in pipelines)\n"
    "  -a, --arch ARCH         target architecture (x86_64, aarch64, ...; default:\n"
    "                          the host's)\n"
    "      --no-warnings       do not print warnings\n"
    "  -h, --help              show this help\n";

static int lint_run(int argc, char **argv);

BCTL_VERB(lint, "lint", "check melange recipes compile; report every problem", lint_usage, lint_run)

static int
lint_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pipeline-dir", required_argument, NULL, 'p' },
		{ "arch", required_argument, NULL, 'a' },
		{ "no-warnings", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **dirs = NULL;
	size_t ndirs = 0;
	const char *arch = NULL;
	bool warnings = true;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "+p:a:h", longopts, NULL)) != -1) {
		if (c == 'W') {
			warnings = false;
			continue;
		}
		int r = bctl_recipe_opts(bctl_current, c, optarg, &dirs, &ndirs, &arch);
		if (r >= 0) {
			free(dirs);
			return r;
		}
	}
	if (optind >= argc) {
		free(dirs);
		return bctl_usage_error(bctl_current, "no recipe given");
	}

	struct bd_pipeline_cache *cache = bd_pipeline_cache_new();
	for (int i = optind; i < argc; i++) {
		struct bd_diags d = { .max = 1000 };
		struct bd_recipe_opts o = {
			.arch = arch,
			.pipeline_dirs = dirs,
			.n_pipeline_dirs = ndirs,
			.diags = &d,
			.cache = cache,
		};
		struct bd_plan *plan = NULL;
		struct bd_err err = { 0 };
		if (bd_recipe_compile_file(argv[i], &o, &plan, &err) < 0) {
			failed++;
			if (!d.n) /* nothing recorded: an I/O problem */
				printf("%s\n", err.msg);
		}
		bd_diags_sort(&d);
		bd_diags_print(&d, stdout, warnings);
		bd_diags_free(&d);
		bd_plan_free(plan);
	}
	fflush(stdout);
	bd_pipeline_cache_free(cache);
	free(dirs);
	return failed ? BCTL_EXIT_FAIL : BCTL_EXIT_OK;
}
