/* SPDX-License-Identifier: MIT */
/* recipeopts: option handling shared by the recipe verbs (lint, render). */
#pragma once

#include <stddef.h>

#include "builderctl/builderctl.h"

/* Handle getopt result @c with argument @arg: 'p' appends a pipeline
 * directory to *dirs (realloc'd), 'a' sets *arch; anything else goes to
 * bctl_getopt_default().  Returns -1 when handled, else an exit status. */
int bctl_recipe_opts(const struct bctl_verb *v, int c, const char *arg, const char ***dirs,
                     size_t *ndirs, const char **arch);
