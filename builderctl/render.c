/* SPDX-License-Identifier: MIT */
/* render: show the build plan a recipe compiles to.
 *
 * Without --json the plan is printed as a commented shell script for
 * people; with --json as the builderd-plan/1 document (docs/recipe.md)
 * that programs and golden tests compare.  Problems go to stderr as
 * FILE:LINE:COL: message; exit 1 if the recipe does not compile. */
#include <stdio.h>
#include <stdlib.h>

#include "builderctl/builderctl.h"
#include "builderctl/recipeopts.h"
#include "recipe/plan.h"

static const char render_usage[] =
    "Usage: builderctl render [--pipeline-dir DIR]... [--arch ARCH] [--json] FILE\n"
    "\n"
    "Compile a melange recipe and print its build plan: the packages, the build\n"
    "environment, every step with its script, working directory and environment,\n"
    "and the tests.\n"
    "\n"
    "  -p, --pipeline-dir DIR  look for `uses:` pipelines in DIR first (repeatable)\n"
    "  -a, --arch ARCH         target architecture (default: the host's)\n"
    "  -j, --json              print the plan as JSON (schema builderd-plan/1)\n"
    "  -h, --help              show this help\n";

static int render_run(int argc, char **argv);

BCTL_VERB(render, "render", "show the build plan a recipe compiles to", render_usage, render_run)

static int
render_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pipeline-dir", required_argument, NULL, 'p' },
		{ "arch", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **dirs = NULL;
	size_t ndirs = 0;
	const char *arch = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "+p:a:jh", longopts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		int r = bctl_recipe_opts(bctl_current, c, optarg, &dirs, &ndirs, &arch);
		if (r >= 0) {
			free(dirs);
			return r;
		}
	}
	if (optind >= argc || optind + 1 < argc) {
		free(dirs);
		return bctl_usage_error(bctl_current, optind >= argc ? "no recipe given"
		                                                     : "only one recipe at a time");
	}

	struct bd_diags d = { .max = 1000 };
	struct bd_recipe_opts o = {
		.arch = arch,
		.pipeline_dirs = dirs,
		.n_pipeline_dirs = ndirs,
		.diags = &d,
	};
	struct bd_plan *plan = NULL;
	struct bd_err err = { 0 };
	int rc = BCTL_EXIT_OK;

	if (bd_recipe_compile_file(argv[optind], &o, &plan, &err) < 0) {
		if (!d.n)
			fprintf(stderr, "%s\n", err.msg);
		rc = BCTL_EXIT_FAIL;
	}
	bd_diags_sort(&d);
	bd_diags_print(&d, stderr, true);
	if (plan) {
		struct bd_buf out = { 0 };
		if (json)
			bd_plan_to_json(plan, &out);
		else
			bd_plan_to_shell(plan, &out);
		if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
			bctl_error("writing the plan: output error");
			rc = BCTL_EXIT_FAIL;
		}
		bd_buf_free(&out);
	}
	bd_diags_free(&d);
	bd_plan_free(plan);
	free(dirs);
	return rc;
}
