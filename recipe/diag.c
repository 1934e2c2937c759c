/* SPDX-License-Identifier: MIT */
/* diag: problem lists (see diag.h). */
#include "recipe/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define DIAG_DEFAULT_MAX 200

void
bd_diags_add(struct bd_diags *d, enum bd_diag_severity sev, const char *file, unsigned line,
             unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);

	for (size_t i = 0; i < d->n; i++) {
		const struct bd_diag *g = &d->v[i];
		if (g->line == line && g->col == col && g->severity == sev &&
		    strcmp(g->msg, msg) == 0 && strcmp(g->file, file ? file : "") == 0) {
			free(msg);
			return;
		}
	}
	if (sev == BD_DIAG_ERROR)
		d->n_errors++;
	else
		d->n_warnings++;
	if (d->n >= (d->max ? d->max : DIAG_DEFAULT_MAX)) {
		d->dropped++;
		free(msg);
		return;
	}
	d->v = bd_grow(d->v, &d->cap, d->n + 1, sizeof(*d->v), 8);
	d->v[d->n++] = (struct bd_diag){
		.severity = sev,
		.file = bd_xstrdup(file ? file : ""),
		.line = line,
		.col = col,
		.msg = msg,
	};
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct bd_diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

void
bd_diags_sort(struct bd_diags *d)
{
	/* insertion sort: stable, and the lists are short */
	for (size_t i = 1; i < d->n; i++) {
		struct bd_diag tmp = d->v[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&d->v[j - 1], &tmp) > 0) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = tmp;
	}
}

void
bd_diag_format(const struct bd_diag *g, char *buf, size_t size)
{
	const char *sev = g->severity == BD_DIAG_WARNING ? "warning: " : "";

	if (g->line && g->col)
		snprintf(buf, size, "%s:%u:%u: %s%s", g->file, g->line, g->col, sev, g->msg);
	else if (g->line)
		snprintf(buf, size, "%s:%u: %s%s", g->file, g->line, sev, g->msg);
	else
		snprintf(buf, size, "%s: %s%s", g->file, sev, g->msg);
}

size_t
bd_diags_print(const struct bd_diags *d, FILE *f, bool warnings)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct bd_diag *g = &d->v[i];
		const char *sev = g->severity == BD_DIAG_WARNING ? "warning: " : "";
		if (g->severity == BD_DIAG_WARNING && !warnings)
			continue;
		if (g->line && g->col)
			fprintf(f, "%s:%u:%u: %s%s\n", g->file, g->line, g->col, sev, g->msg);
		else if (g->line)
			fprintf(f, "%s:%u: %s%s\n", g->file, g->line, sev, g->msg);
		else
			fprintf(f, "%s: %s%s\n", g->file, sev, g->msg);
		n++;
	}
	if (d->dropped) {
		fprintf(f, "%s: %zu more problems not shown\n", d->n ? d->v[d->n - 1].file : "",
		        d->dropped);
		n++;
	}
	return n;
}

void
bd_diags_clear(struct bd_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	d->n = 0;
	d->n_errors = d->n_warnings = 0;
	d->dropped = 0;
}

void
bd_diags_free(struct bd_diags *d)
{
	bd_diags_clear(d);
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}
