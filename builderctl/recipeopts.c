/* SPDX-License-Identifier: MIT */
/* recipeopts: option handling shared by the recipe verbs (lint, render).
 *
 * Both take --pipeline-dir (repeatable, checked to be a directory) and
 * --arch (normalized to its apk name, rejected when unknown), with the
 * same messages and exit statuses. */
#include "builderctl/recipeopts.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "common/util.h"
#include "recipe/plan.h"

/* Shared option handling of lint and render: -p and -a.  Returns -1 when
 * handled, else an exit status. */
int
bctl_recipe_opts(const struct bctl_verb *v, int c, const char *arg, const char ***dirs,
                 size_t *ndirs, const char **arch)
{
	struct stat st;

	switch (c) {
	case 'p':
		if (stat(arg, &st) < 0 || !S_ISDIR(st.st_mode))
			return bctl_usage_error(v, "--pipeline-dir %s: not a directory", arg);
		*dirs = bd_xrealloc(*dirs, (*ndirs + 1) * sizeof(**dirs));
		(*dirs)[(*ndirs)++] = arg;
		return -1;
	case 'a':
		*arch = bd_recipe_arch(arg);
		if (!*arch)
			return bctl_usage_error(
			    v,
			    "unknown architecture \"%s\" (known: x86_64, "
			    "aarch64, x86, armhf, armv7, ppc64le, riscv64, s390x)",
			    arg);
		return -1;
	default:
		return bctl_getopt_default(v, c);
	}
}
