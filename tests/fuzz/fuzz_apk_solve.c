/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the dependency solver.  Input: a world line, then up
 * to three APKINDEX texts separated by "\n----\n" (the third repository
 * is tagged "t").  Whatever resolves must be a consistent closure (every
 * dependency met inside the set, no conflict, no name twice), and
 * resolving again must give the same packages in the same order; a small
 * backtrack budget must end in a result or an error, never a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/index.h"
#include "apk/pkginfo.h"
#include "apk/solve.h"
#include "apk/version.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
meets(const struct bd_apk_dep *d, const struct bd_apk_solved_pkg *p)
{
	const struct bd_apk_pkginfo *pi = &p->entry->pi;
	bool csum = d->op == (BD_APK_VER_LESS | BD_APK_VER_GREATER) &&
	            strncmp(d->version, "Q1", 2) == 0 && strlen(d->version) == 30;

	if (strcmp(d->name, p->name) == 0) {
		if (!d->op)
			return true;
		if (csum)
			return strcmp(d->version, p->csum) == 0;
		return bd_apk_version_match(p->version, d->op, d->version);
	}
	for (size_t i = 0; i < pi->provides.n; i++) {
		struct bd_apk_dep pv;
		struct bd_err err;
		if (bd_apk_dep_parse(pi->provides.v[i], strlen(pi->provides.v[i]), &pv, &err) < 0 ||
		    strcmp(pv.name, d->name) != 0)
			continue;
		if (!d->op)
			return true;
		if (csum)
			return strcmp(d->version, p->csum) == 0;
		if (pv.op && bd_apk_version_match(pv.version, d->op, d->version))
			return true;
	}
	return false;
}

static void
check(const struct bd_apk_solution *sol)
{
	for (size_t i = 0; i < sol->n; i++) {
		const struct bd_apk_solved_pkg *p = &sol->pkgs[i];
		const struct bd_apk_pkginfo *pi = &p->entry->pi;
		for (size_t k = 0; k < pi->depends.n; k++) {
			struct bd_apk_dep d;
			struct bd_err err;
			bool met = false, clash = false;
			if (bd_apk_dep_parse(pi->depends.v[k], strlen(pi->depends.v[k]), &d, &err) <
			    0)
				abort();
			for (size_t j = 0; j < sol->n; j++) {
				if (!meets(&d, &sol->pkgs[j]))
					continue;
				met = true;
				clash |= j != i;
			}
			if (d.conflict ? clash : !met) {
				fprintf(stderr, "%s-%s: %s violated\n", p->name, p->version,
				        pi->depends.v[k]);
				abort();
			}
		}
		for (size_t j = i + 1; j < sol->n; j++)
			if (strcmp(p->name, sol->pkgs[j].name) == 0)
				abort();
		for (size_t k = 0; k < p->ndeps; k++)
			if (p->deps[k].provider >= sol->n)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bd_apk_index idx[3] = { 0 };
	struct bd_apk_db *db;
	struct bd_apk_solution a, b;
	struct bd_err err;
	char *text, *world, *p;
	const char *w[1];
	int nidx = 0;

	if (size > 65536)
		return 0;
	text = bd_xstrndup((const char *)data, size);
	if (strlen(text) != size) {
		free(text);
		return 0;
	}
	world = text;
	p = strchr(text, '\n');
	if (p)
		*p++ = '\0';
	db = bd_apk_db_new();
	while (p && nidx < 3) {
		char *next = strstr(p, "\n----\n");
		if (next) {
			*next = '\0';
			next += 6;
		}
		if (bd_apk_index_parse(p, strlen(p), "fuzz", &idx[nidx], &err) == 0) {
			char name[8];
			snprintf(name, sizeof(name), "r%d", nidx);
			(void)bd_apk_db_add_index(db, &idx[nidx], name, nidx == 2 ? "t" : NULL,
			                          &err);
		}
		nidx++;
		p = next;
	}
	w[0] = world;
	if (bd_apk_solve(db, w, 1, NULL, &a, &err) == 0) {
		check(&a);
		if (bd_apk_solve(db, w, 1, NULL, &b, &err) != 0 || a.n != b.n)
			abort();
		for (size_t i = 0; i < a.n; i++)
			if (strcmp(a.pkgs[i].csum, b.pkgs[i].csum) != 0)
				abort();
		bd_apk_solution_free(&b);
	} else if (!err.msg[0]) {
		abort(); /* a failure always says why */
	}
	bd_apk_solution_free(&a);
	{
		struct bd_apk_solve_opts o = { .max_backtracks = 3 };
		if (bd_apk_solve(db, w, 1, &o, &a, &err) == 0)
			check(&a);
		bd_apk_solution_free(&a);
	}
	bd_apk_db_free(db);
	for (int i = 0; i < 3; i++)
		bd_apk_index_free(&idx[i]);
	free(text);
	return 0;
}
