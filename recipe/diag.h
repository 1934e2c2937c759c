/* SPDX-License-Identifier: MIT */
/* diag: the list of problems found in a recipe, each "FILE:LINE:COL: message".
 *
 * Loading and compiling a recipe does not stop at the first problem: every
 * independent problem is recorded here (lint shows them all), while
 * follow-on errors are suppressed at their source (a failed var-transform
 * poisons its variable instead of producing one "undefined" error per use).
 * Warnings never make a compilation fail. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum bd_diag_severity {
	BD_DIAG_ERROR = 0,
	BD_DIAG_WARNING = 1,
};

struct bd_diag {
	enum bd_diag_severity severity;
	char *file;    /* the file the position refers to */
	unsigned line; /* 1-based; 0 = the whole file */
	unsigned col;  /* 1-based; 0 = unknown */
	char *msg;
};

struct bd_diags {
	struct bd_diag *v;
	size_t n, cap;
	size_t n_errors, n_warnings;
	size_t max;     /* record at most this many (0 = 200); more are counted */
	size_t dropped; /* problems not recorded because of @max */
};

/* Record a problem.  Exact duplicates (same file, position and text) are
 * dropped, so compiling the same shared pipeline twice reports once. */
void bd_diags_add(struct bd_diags *d, enum bd_diag_severity sev, const char *file, unsigned line,
                  unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sort by file, line and column (stable for equal positions). */
void bd_diags_sort(struct bd_diags *d);

/* Print "FILE:LINE:COL: [warning: ]message" lines; returns lines printed. */
size_t bd_diags_print(const struct bd_diags *d, FILE *f, bool warnings);

/* Format diagnostic @i like bd_diags_print() does, into @buf. */
void bd_diag_format(const struct bd_diag *g, char *buf, size_t size);

void bd_diags_clear(struct bd_diags *d);
void bd_diags_free(struct bd_diags *d);
