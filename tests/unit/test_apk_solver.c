/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/solve: the data-driven cases in tests/data/solver
 * (one TAP line per *.test file, in the spirit of apk-tools'
 * test/solver/<case>.test), then the real Alpine v3.16 index (build-base,
 * alpine-base, a mixed world) and the melange repository's index.
 *
 * Every successful resolution is checked by an independent closure
 * checker written here (each dependency met inside the set, no conflict,
 * no name held twice) and resolved again with the world reversed, which
 * must give the same packages in the same order.
 *
 * Case file format:
 *   # comment
 *   @REPO [@tag] FILE.repo      repositories in priority order (APKINDEX text)
 *   @WORLD dep dep ...          the world (may be empty)
 *   @EXPECT                     then one "name-version [repository]" per line,
 *                               in the exact order expected
 *   @ERROR text                 resolution fails; the message contains text
 *   @BACKTRACKS n               the solver backtracked exactly n times
 *   @EDGE pkg-ver dep provider  the resolved pkg's dependency dep is met by provider */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/index.h"
#include "apk/pkginfo.h"
#include "apk/reader.h"
#include "apk/solve.h"
#include "apk/version.h"
#include "common/util.h"
#include "tests/unit/shared.h"

static const char *
top_dir(void)
{
	const char *t = getenv("BUILDERD_TOP");

	return t && *t ? t : ".";
}

/* ------------------------------------------------ independent checker */

/* Does @p meet @d (ignoring d->conflict)? */
static bool
meets(const struct bd_apk_dep *d, const struct bd_apk_solved_pkg *p)
{
	const struct bd_apk_pkginfo *pi = &p->entry->pi;
	bool csum =
	    d->op == (BD_APK_VER_LESS | BD_APK_VER_GREATER) && strncmp(d->version, "Q1", 2) == 0;

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
		if (bd_apk_dep_parse(pi->provides.v[i], strlen(pi->provides.v[i]), &pv, &err) < 0)
			continue;
		if (strcmp(pv.name, d->name) != 0)
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

/* Returns the number of problems, each printed as a TAP comment. */
static int
check_closure(const struct bd_apk_solution *sol)
{
	int bad = 0;

	for (size_t i = 0; i < sol->n; i++) {
		const struct bd_apk_solved_pkg *p = &sol->pkgs[i];
		const struct bd_apk_pkginfo *pi = &p->entry->pi;
		for (size_t k = 0; k < pi->depends.n; k++) {
			struct bd_apk_dep d;
			struct bd_err err;
			bool met = false, clash = false;
			assert_int_equal(
			    bd_apk_dep_parse(pi->depends.v[k], strlen(pi->depends.v[k]), &d, &err),
			    0);
			for (size_t j = 0; j < sol->n; j++) {
				if (!meets(&d, &sol->pkgs[j]))
					continue;
				if (d.conflict && j != i)
					clash = true;
				met = true;
			}
			if (d.conflict && clash) {
				printf("# %s-%s: conflict %s is in the set\n", p->name, p->version,
				       pi->depends.v[k]);
				bad++;
			} else if (!d.conflict && !met) {
				printf("# %s-%s: dependency %s is not met\n", p->name, p->version,
				       pi->depends.v[k]);
				bad++;
			}
		}
		for (size_t j = i + 1; j < sol->n; j++)
			if (strcmp(p->name, sol->pkgs[j].name) == 0) {
				printf("# %s is selected twice\n", p->name);
				bad++;
			}
		/* dependency edges point at earlier packages unless in a cycle */
		for (size_t k = 0; k < p->ndeps; k++)
			if (p->deps[k].provider >= sol->n) {
				printf("# %s: bad edge\n", p->name);
				bad++;
			}
	}
	return bad;
}

static bool
same_solution(const struct bd_apk_solution *a, const struct bd_apk_solution *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->pkgs[i].csum, b->pkgs[i].csum) != 0)
			return false;
	return true;
}

static int
solve_reversed(struct bd_apk_db *db, char **world, size_t n, struct bd_apk_solution *out,
               struct bd_err *err)
{
	const char **rev = calloc(n + 1, sizeof(*rev));
	int r;

	for (size_t i = 0; i < n; i++)
		rev[i] = world[n - 1 - i];
	r = bd_apk_solve(db, rev, n, NULL, out, err);
	free(rev);
	return r;
}

/* ------------------------------------------------ data-driven cases */

struct repo_file {
	struct bd_apk_index idx;
	char *name;
};

static void
load_repo(const char *dir, const char *file, struct repo_file *rf)
{
	char *path = bd_xasprintf("%s/%s", dir, file);
	struct bd_buf text = { 0 };
	struct bd_err err = { 0 };

	if (bd_read_file_at(AT_FDCWD, path, 1u << 20, &text, &err) < 0)
		fail_msg("%s", err.msg);
	memset(&rf->idx, 0, sizeof(rf->idx));
	if (bd_apk_index_parse(text.data, text.len, file, &rf->idx, &err) < 0)
		fail_msg("%s", err.msg);
	rf->name = bd_xstrdup(file);
	bd_buf_free(&text);
	free(path);
}

static void
run_case(void **state)
{
	const char *path = *state;
	char dir[4096];
	struct bd_buf text = { 0 };
	struct bd_err err = { 0 };
	struct repo_file repos[8];
	size_t nrepos = 0, nworld = 0;
	struct bd_strv world = { 0 }, expect = { 0 }, errors = { 0 }, edges = { 0 };
	bool have_expect = false, in_expect = false;
	long backtracks = -1;
	struct bd_apk_db *db = bd_apk_db_new();
	struct bd_apk_solution sol, sol2;
	int r;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	if (bd_read_file_at(AT_FDCWD, path, 1u << 20, &text, &err) < 0)
		fail_msg("%s", err.msg);
	for (char *save = NULL, *line = strtok_r(text.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (line[0] != '@') {
			if (in_expect)
				bd_strv_push(&expect, line);
			continue;
		}
		in_expect = false;
		if (strncmp(line, "@REPO ", 6) == 0) {
			char *arg = line + 6, *tag = NULL;
			assert_true(nrepos < BD_ARRAY_SIZE(repos));
			if (arg[0] == '@') {
				tag = arg + 1;
				arg = strchr(arg, ' ');
				assert_non_null(arg);
				*arg++ = '\0';
			}
			load_repo(dir, arg, &repos[nrepos]);
			r = bd_apk_db_add_index(db, &repos[nrepos].idx, repos[nrepos].name, tag,
			                        &err);
			if (r < 0)
				fail_msg("%s", err.msg);
			nrepos++;
		} else if (strncmp(line, "@WORLD", 6) == 0) {
			for (char *s2 = NULL, *w = strtok_r(line + 6, " ", &s2); w;
			     w = strtok_r(NULL, " ", &s2))
				bd_strv_push(&world, w);
		} else if (strcmp(line, "@EXPECT") == 0) {
			have_expect = in_expect = true;
		} else if (strncmp(line, "@ERROR ", 7) == 0) {
			bd_strv_push(&errors, line + 7);
		} else if (strncmp(line, "@BACKTRACKS ", 12) == 0) {
			backtracks = atol(line + 12);
		} else if (strncmp(line, "@EDGE ", 6) == 0) {
			bd_strv_push(&edges, line + 6);
		} else {
			fail_msg("%s: unknown directive %s", path, line);
		}
	}
	nworld = world.n;
	assert_true(have_expect || errors.n);

	r = bd_apk_solve(db, (const char *const *)world.v, nworld, NULL, &sol, &err);
	if (errors.n) {
		if (r == 0) {
			for (size_t i = 0; i < sol.n; i++)
				printf("# got %s-%s\n", sol.pkgs[i].name, sol.pkgs[i].version);
			fail_msg("%s: resolution succeeded, expected an error", path);
		}
		for (size_t i = 0; i < errors.n; i++)
			if (!strstr(err.msg, errors.v[i]))
				fail_msg("%s:\n#  message: %s\n# expected: %s", path, err.msg,
				         errors.v[i]);
	} else {
		if (r < 0)
			fail_msg("%s: %s", path, err.msg);
		bool ok = sol.n == expect.n;
		for (size_t i = 0; ok && i < sol.n; i++) {
			char got[512];
			snprintf(got, sizeof(got), "%s-%s", sol.pkgs[i].name, sol.pkgs[i].version);
			if (strchr(expect.v[i], ' ')) {
				size_t l = strlen(got);
				snprintf(got + l, sizeof(got) - l, " %s", sol.pkgs[i].repo_name);
			}
			ok = strcmp(got, expect.v[i]) == 0;
		}
		if (!ok) {
			for (size_t i = 0; i < sol.n; i++)
				printf("# got %s-%s %s\n", sol.pkgs[i].name, sol.pkgs[i].version,
				       sol.pkgs[i].repo_name);
			for (size_t i = 0; i < expect.n; i++)
				printf("# expected %s\n", expect.v[i]);
			fail_msg("%s: unexpected result", path);
		}
		assert_int_equal(check_closure(&sol), 0);
		for (size_t e = 0; e < edges.n; e++) {
			char from[256], dep[256], to[256];
			bool found = false;
			assert_int_equal(sscanf(edges.v[e], "%255s %255s %255s", from, dep, to), 3);
			for (size_t i = 0; i < sol.n; i++) {
				char nv[512];
				snprintf(nv, sizeof(nv), "%s-%s", sol.pkgs[i].name,
				         sol.pkgs[i].version);
				if (strcmp(nv, from) != 0)
					continue;
				for (size_t k = 0; k < sol.pkgs[i].ndeps; k++) {
					const struct bd_apk_solved_pkg *pr =
					    &sol.pkgs[sol.pkgs[i].deps[k].provider];
					snprintf(nv, sizeof(nv), "%s-%s", pr->name, pr->version);
					if (strcmp(sol.pkgs[i].deps[k].dep, dep) == 0 &&
					    strcmp(nv, to) == 0)
						found = true;
				}
			}
			if (!found)
				fail_msg("%s: no edge %s", path, edges.v[e]);
		}
		/* determinism: the world's order does not matter */
		assert_int_equal(solve_reversed(db, world.v, nworld, &sol2, &err), 0);
		assert_true(same_solution(&sol, &sol2));
		bd_apk_solution_free(&sol2);
	}
	if (backtracks >= 0 && (long)sol.backtracks != backtracks)
		fail_msg("%s: %u backtracks, expected %ld", path, sol.backtracks, backtracks);
	bd_apk_solution_free(&sol);
	bd_apk_db_free(db);
	for (size_t i = 0; i < nrepos; i++) {
		bd_apk_index_free(&repos[i].idx);
		free(repos[i].name);
	}
	bd_strv_free(&world);
	bd_strv_free(&expect);
	bd_strv_free(&errors);
	bd_strv_free(&edges);
	bd_buf_free(&text);
}

/* ------------------------------------------------ API details */

static const char mini_index[] = "C:Q1aaaaaaaaaaaaaaaaaaaaaaaaaaaa=\nP:a\nV:1.0-r0\nD:b\n\n"
                                 "C:Q1bbbbbbbbbbbbbbbbbbbbbbbbbbbb=\nP:b\nV:1.0-r0\n\n";

static void
edges_and_reasons(void **state)
{
	struct bd_apk_index idx = { 0 };
	struct bd_apk_db *db = bd_apk_db_new();
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	const char *world[] = { "a" };

	(void)state;
	assert_int_equal(bd_apk_index_parse(mini_index, strlen(mini_index), "mini", &idx, &err), 0);
	assert_int_equal(bd_apk_db_add_index(db, &idx, "file:///mini", NULL, &err), 0);
	assert_int_equal(bd_apk_db_npackages(db), 2);
	assert_int_equal(bd_apk_db_nrepos(db), 1);
	assert_string_equal(bd_apk_db_repo_name(db, 0), "file:///mini");
	assert_int_equal(bd_apk_solve(db, world, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	assert_string_equal(sol.pkgs[0].name, "b");
	assert_string_equal(sol.pkgs[1].name, "a");
	assert_int_equal(sol.pkgs[1].reason, BD_APK_REASON_WORLD);
	assert_string_equal(sol.pkgs[1].reason_dep, "a");
	assert_int_equal(sol.pkgs[0].reason, BD_APK_REASON_DEPENDENCY);
	assert_int_equal(sol.pkgs[0].required_by, 1);
	assert_int_equal(sol.pkgs[1].ndeps, 1);
	assert_string_equal(sol.pkgs[1].deps[0].dep, "b");
	assert_int_equal(sol.pkgs[1].deps[0].provider, 0);
	assert_string_equal(sol.pkgs[1].csum, "Q1aaaaaaaaaaaaaaaaaaaaaaaaaaaa=");
	assert_string_equal(sol.pkgs[1].repo_name, "file:///mini");
	bd_apk_solution_free(&sol);
	/* a world may put several items in one string */
	const char *world2[] = { " a  b ", "" };
	assert_int_equal(bd_apk_solve(db, world2, 2, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	bd_apk_solution_free(&sol);
	bd_apk_db_free(db);
	bd_apk_index_free(&idx);
}

/* A package whose dependency cannot be parsed is refused and the database
 * stays as it was. */
static void
add_index_rolls_back(void **state)
{
	struct bd_apk_index good = { 0 }, dup = { 0 };
	struct bd_apk_db *db = bd_apk_db_new();
	struct bd_err err = { 0 };
	static const char clash[] = "C:Q1aaaaaaaaaaaaaaaaaaaaaaaaaaaa=\nP:z\nV:9-r0\n\n";

	(void)state;
	assert_int_equal(bd_apk_index_parse(mini_index, strlen(mini_index), "m", &good, &err), 0);
	assert_int_equal(bd_apk_index_parse(clash, strlen(clash), "c", &dup, &err), 0);
	assert_int_equal(bd_apk_db_add_index(db, &good, "one", NULL, &err), 0);
	assert_true(bd_apk_db_add_index(db, &dup, "two", "t", &err) < 0);
	assert_non_null(strstr(err.msg, "is claimed by a-1.0-r0 and by z-9-r0"));
	assert_int_equal(bd_apk_db_nrepos(db), 1);
	assert_int_equal(bd_apk_db_npackages(db), 2);
	const char *world[] = { "a" };
	struct bd_apk_solution sol;
	assert_int_equal(bd_apk_solve(db, world, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	bd_apk_solution_free(&sol);
	bd_apk_db_free(db);
	bd_apk_index_free(&good);
	bd_apk_index_free(&dup);
}

/* Choices that only fail deeper down are revisited; the backtrack budget
 * turns a longer search into an error. */
static void
backtrack_budget(void **state)
{
	struct bd_buf text = { 0 };
	struct bd_apk_index idx = { 0 };
	struct bd_apk_db *db = bd_apk_db_new();
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	struct bd_apk_solve_opts opts = { .max_backtracks = 5 };
	const char *world[] = { "root" };
	int n = 12;

	(void)state;
	/* root needs final and c0..c11, each c in two versions; c_i-2
	 * (preferred) needs d_i, which conflicts with final: every c is
	 * first tried at version 2, found wrong one level down, and taken
	 * at version 1 */
	bd_buf_puts(&text, "C:Q1root\nP:root\nV:1-r0\nD:final");
	for (int i = 0; i < n; i++)
		bd_buf_printf(&text, " c%d", i);
	bd_buf_puts(&text, "\n\nC:Q1final\nP:final\nV:1-r0\n\n");
	for (int i = 0; i < n; i++) {
		bd_buf_printf(&text, "C:Q1c%d-1\nP:c%d\nV:1-r0\n\n", i, i);
		bd_buf_printf(&text, "C:Q1c%d-2\nP:c%d\nV:2-r0\nD:d%d\n\n", i, i, i);
		bd_buf_printf(&text, "C:Q1d%d\nP:d%d\nV:1-r0\nD:!final\n\n", i, i);
	}
	assert_int_equal(bd_apk_index_parse(text.data, text.len, "budget", &idx, &err), 0);
	assert_int_equal(bd_apk_db_add_index(db, &idx, "budget", NULL, &err), 0);
	assert_int_equal(bd_apk_solve(db, world, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, (size_t)n + 2);
	for (size_t i = 0; i < sol.n; i++)
		assert_string_equal(sol.pkgs[i].version, "1-r0");
	assert_int_equal(check_closure(&sol), 0);
	assert_int_equal(sol.backtracks, n);
	bd_apk_solution_free(&sol);

	assert_true(bd_apk_solve(db, world, 1, &opts, &sol, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "gave up after 5 backtracks; first conflict: d0 (required "
	                                "by c0-2-r0 <- root-1-r0 <- world: root)"));
	bd_apk_solution_free(&sol);
	bd_apk_db_free(db);
	bd_apk_index_free(&idx);
	bd_buf_free(&text);
}

/* Small random repositories (versioned and bare provides, conflicts,
 * version ranges; every bare provider has a provider_priority, and there
 * are no tags or install_if, whose extra rules a plain subset search does
 * not model): the solver must find a solution exactly when one exists
 * among all subsets of packages.  This checks that backjumping never
 * skips a choice that matters. */
static uint64_t rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

struct rpkg {
	int name, ver;
	int ndep, dname[3], dop[3], dver[3]; /* op: 0 any, 1 >=, 2 <, 3 conflict, 4 conflict < */
	int prov, pver;                      /* -1: none; pver 0: a bare provide */
};

/* *ver 0: held as a bare provide */
static bool
r_holds(const struct rpkg *p, int name, int *ver)
{
	if (p->name == name) {
		*ver = p->ver;
		return true;
	}
	if (p->prov == name) {
		*ver = p->pver;
		return true;
	}
	return false;
}

/* does package @p meet dependency (name, op, ver), conflicts read as positive */
static bool
r_meets(const struct rpkg *p, int name, int op, int ver)
{
	int v;

	if (!r_holds(p, name, &v))
		return false;
	if (v == 0)
		return op == 0 || op == 3; /* bare: unversioned only */
	switch (op) {
	case 1:
		return v >= ver;
	case 2:
	case 4:
		return v < ver;
	default:
		return true;
	}
}

static bool
r_consistent(const struct rpkg *pk, int n, unsigned set, const int *wn, const int *wo,
             const int *wv, int nw)
{
	for (int i = 0; i < n; i++) {
		if (!(set & (1u << i)))
			continue;
		for (int j = i + 1; j < n; j++) {
			if (!(set & (1u << j)))
				continue;
			for (int nm = 0; nm < 4; nm++) {
				int a, b;
				if (r_holds(&pk[i], nm, &a) && r_holds(&pk[j], nm, &b) && (a || b))
					return false; /* only bare provides may share */
			}
		}
		for (int k = 0; k < pk[i].ndep; k++) {
			bool met = false, clash = false;
			for (int j = 0; j < n; j++)
				if ((set & (1u << j)) &&
				    r_meets(&pk[j], pk[i].dname[k], pk[i].dop[k], pk[i].dver[k])) {
					met = true;
					clash |= j != i;
				}
			if (pk[i].dop[k] >= 3 ? clash : !met)
				return false;
		}
	}
	for (int k = 0; k < nw; k++) {
		bool met = false;
		for (int j = 0; j < n; j++)
			if ((set & (1u << j)) && r_meets(&pk[j], wn[k], wo[k], wv[k]))
				met = true;
		if (wo[k] >= 3 ? met : !met)
			return false;
	}
	return true;
}

static void
put_rdep(struct bd_buf *b, int name, int op, int ver)
{
	static const char *const ops[] = { "", ">=", "<", "", "<" };

	bd_buf_printf(b, "%sn%d", op >= 3 ? "!" : "", name);
	if (op == 1 || op == 2 || op == 4)
		bd_buf_printf(b, "%s%d", ops[op], ver);
}

static void
random_instances(void **state)
{
	unsigned agree_sat = 0, agree_unsat = 0, max_bt = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 3000; iter++) {
		struct rpkg pk[10];
		int n = 0, nw = 1 + (int)rnd(2), wn[2], wo[2], wv[2];
		struct bd_buf text = { 0 }, wb = { 0 };
		struct bd_apk_index idx = { 0 };
		struct bd_apk_db *db = bd_apk_db_new();
		struct bd_apk_solution sol;
		struct bd_err err = { 0 };
		bool exists_sol = false;
		int target = 3 + (int)rnd(8);

		while (n < target) {
			struct rpkg p = { .name = (int)rnd(4), .ver = 1 + (int)rnd(3), .prov = -1 };
			bool dup = false;
			for (int i = 0; i < n; i++)
				dup |= pk[i].name == p.name && pk[i].ver == p.ver;
			if (dup)
				continue;
			p.ndep = (int)rnd(3);
			for (int k = 0; k < p.ndep; k++) {
				p.dname[k] = (int)rnd(4);
				p.dop[k] = (int)rnd(5);
				p.dver[k] = 1 + (int)rnd(3);
			}
			if (rnd(4) == 0) {
				p.prov = (int)rnd(4);
				p.pver = (int)rnd(4);
				if (p.prov == p.name)
					p.prov = -1;
			}
			pk[n++] = p;
		}
		for (int i = 0; i < n; i++) {
			bd_buf_printf(&text, "C:Q1r%d\nP:n%d\nV:%d\n", i, pk[i].name, pk[i].ver);
			if (pk[i].ndep) {
				bd_buf_puts(&text, "D:");
				for (int k = 0; k < pk[i].ndep; k++) {
					if (k)
						bd_buf_putc(&text, ' ');
					put_rdep(&text, pk[i].dname[k], pk[i].dop[k],
					         pk[i].dver[k]);
				}
				bd_buf_putc(&text, '\n');
			}
			if (pk[i].prov >= 0 && pk[i].pver)
				bd_buf_printf(&text, "p:n%d=%d\n", pk[i].prov, pk[i].pver);
			else if (pk[i].prov >= 0)
				bd_buf_printf(&text, "k:1\np:n%d\n", pk[i].prov);
			bd_buf_putc(&text, '\n');
		}
		for (int k = 0; k < nw; k++) {
			wn[k] = (int)rnd(4);
			wo[k] = (int)rnd(5);
			wv[k] = 1 + (int)rnd(3);
			if (k)
				bd_buf_putc(&wb, ' ');
			put_rdep(&wb, wn[k], wo[k], wv[k]);
		}
		for (unsigned set = 0; set < (1u << n) && !exists_sol; set++)
			exists_sol = r_consistent(pk, n, set, wn, wo, wv, nw);

		assert_int_equal(bd_apk_index_parse(text.data, text.len, "rnd", &idx, &err), 0);
		assert_int_equal(bd_apk_db_add_index(db, &idx, "rnd", NULL, &err), 0);
		const char *w[] = { wb.data };
		int r = bd_apk_solve(db, w, 1, NULL, &sol, &err);
		if ((r == 0) != exists_sol) {
			printf("# world: %s\n# %s", wb.data, text.data);
			fail_msg("solver says %s, a subset search says %s (%s)",
			         r == 0 ? "solvable" : "unsolvable",
			         exists_sol ? "solvable" : "not", r == 0 ? "" : err.msg);
		}
		if (r == 0) {
			assert_int_equal(check_closure(&sol), 0);
			agree_sat++;
		} else {
			agree_unsat++;
		}
		if (sol.backtracks > max_bt)
			max_bt = sol.backtracks;
		bd_apk_solution_free(&sol);
		bd_apk_db_free(db);
		bd_apk_index_free(&idx);
		bd_buf_free(&text);
		bd_buf_free(&wb);
	}
	printf("# %u solvable, %u unsolvable, agreed; at most %u backtracks\n", agree_sat,
	       agree_unsat, max_bt);
}

/* ------------------------------------------------ real indexes */

struct alpine {
	struct bd_apk_file f;
	struct bd_apk_db *db;
	double load_ms, db_ms;
};

static bool
load_alpine(struct alpine *a)
{
	char path[4096], keys[4096];
	struct bd_err err = { 0 };
	uint64_t t0, t1, t2;
	int kfd;

	if (!bd_test_shared_path(path, sizeof(path), "vectors/alpine-3.16/APKINDEX.tar.gz") ||
	    !bd_test_shared_path(keys, sizeof(keys), "vectors/keys-alpine"))
		return false;
	kfd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(kfd >= 0);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
	t0 = bd_now_ns();
	if (bd_apk_read_path(path, &ro, &a->f, &err) < 0)
		fail_msg("%s", err.msg);
	t1 = bd_now_ns();
	a->db = bd_apk_db_new();
	assert_int_equal(bd_apk_db_add_index(a->db, &a->f.index, "alpine-3.16", NULL, &err), 0);
	bd_apk_db_prepare(a->db);
	t2 = bd_now_ns();
	close(kfd);
	a->load_ms = (double)(t1 - t0) / 1e6;
	a->db_ms = (double)(t2 - t1) / 1e6;
	return true;
}

static void
free_alpine(struct alpine *a)
{
	bd_apk_db_free(a->db);
	bd_apk_file_free(&a->f);
}

static bool
has(const struct bd_apk_solution *sol, const char *name)
{
	for (size_t i = 0; i < sol->n; i++)
		if (strcmp(sol->pkgs[i].name, name) == 0)
			return true;
	return false;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Resolve @world @runs times; returns the median in ms. */
static double
time_solve(struct bd_apk_db *db, const char *const *world, size_t n, int runs)
{
	double t[64];
	struct bd_err err = { 0 };

	if (runs > 64)
		runs = 64;
	for (int i = 0; i < runs; i++) {
		struct bd_apk_solution sol;
		uint64_t t0 = bd_now_ns();
		assert_int_equal(bd_apk_solve(db, world, n, NULL, &sol, &err), 0);
		t[i] = (double)(bd_now_ns() - t0) / 1e6;
		bd_apk_solution_free(&sol);
	}
	qsort(t, (size_t)runs, sizeof(t[0]), dcmp);
	return t[runs / 2];
}

static void
alpine_build_base(void **state)
{
	struct alpine a;
	struct bd_apk_solution sol, sol2;
	struct bd_err err = { 0 };
	const char *world[] = { "build-base" };
	static const char *const expect[] = {
		"gcc", "musl-dev", "binutils", "make",   "libc-dev",  "fortify-headers", "patch",
		"g++", "file",     "musl",     "libgcc", "libstdc++", "build-base"
	};

	(void)state;
	if (!load_alpine(&a)) {
		skip();
		return;
	}
	assert_int_equal(bd_apk_db_npackages(a.db), 4929);
	if (bd_apk_solve(a.db, world, 1, NULL, &sol, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < BD_ARRAY_SIZE(expect); i++)
		if (!has(&sol, expect[i]))
			fail_msg("build-base closure lacks %s", expect[i]);
	assert_int_equal(check_closure(&sol), 0);
	/* dependencies come first: build-base is last, musl before gcc */
	assert_string_equal(sol.pkgs[sol.n - 1].name, "build-base");
	assert_int_equal(sol.backtracks, 0);
	printf("# build-base: %zu packages:", sol.n);
	for (size_t i = 0; i < sol.n; i++)
		printf(" %s-%s", sol.pkgs[i].name, sol.pkgs[i].version);
	printf("\n");
	/* same again */
	assert_int_equal(bd_apk_solve(a.db, world, 1, NULL, &sol2, &err), 0);
	assert_true(same_solution(&sol, &sol2));
	bd_apk_solution_free(&sol2);
	bd_apk_solution_free(&sol);

	double med = time_solve(a.db, world, 1, 31);
	printf("# alpine v3.16 index: read+verify+parse %.2f ms, database %.2f ms; "
	       "build-base resolve median %.3f ms (budget 20 ms)\n",
	       a.load_ms, a.db_ms, med);
	free_alpine(&a);
}

static void
alpine_other_worlds(void **state)
{
	struct alpine a;
	struct bd_apk_solution sol, sol2;
	struct bd_err err = { 0 };
	const char *w1[] = { "alpine-base" };
	const char *w2[] = { "busybox", "openssl-dev", "zlib-dev" };
	const char *w2r[] = { "zlib-dev", "openssl-dev", "busybox" };
	const char *w3[] = { "build-base", "cmake",         "python3-dev", "git",      "bash",
		             "curl-dev",   "linux-headers", "perl",        "autoconf", "automake" };

	(void)state;
	if (!load_alpine(&a)) {
		skip();
		return;
	}
	assert_int_equal(bd_apk_solve(a.db, w1, 1, NULL, &sol, &err), 0);
	assert_true(has(&sol, "alpine-baselayout"));
	assert_true(has(&sol, "busybox"));
	assert_true(has(&sol, "apk-tools"));
	assert_true(has(&sol, "musl"));
	assert_int_equal(check_closure(&sol), 0);
	printf("# alpine-base: %zu packages, %.3f ms\n", sol.n, time_solve(a.db, w1, 1, 15));
	bd_apk_solution_free(&sol);

	assert_int_equal(bd_apk_solve(a.db, w2, 3, NULL, &sol, &err), 0);
	assert_true(has(&sol, "libssl1.1") || has(&sol, "libssl3"));
	assert_true(has(&sol, "zlib"));
	assert_true(has(&sol, "pkgconf"));
	assert_int_equal(check_closure(&sol), 0);
	assert_int_equal(bd_apk_solve(a.db, w2r, 3, NULL, &sol2, &err), 0);
	assert_true(same_solution(&sol, &sol2));
	printf("# busybox openssl-dev zlib-dev: %zu packages, %.3f ms\n", sol.n,
	       time_solve(a.db, w2, 3, 15));
	bd_apk_solution_free(&sol);
	bd_apk_solution_free(&sol2);

	if (bd_apk_solve(a.db, w3, BD_ARRAY_SIZE(w3), NULL, &sol, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(check_closure(&sol), 0);
	printf("# a 10-entry build world: %zu packages, %.3f ms\n", sol.n,
	       time_solve(a.db, w3, BD_ARRAY_SIZE(w3), 15));
	bd_apk_solution_free(&sol);
	free_alpine(&a);
}

static void
alpine_errors(void **state)
{
	struct alpine a;
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	const char *w1[] = { "build-base", "no-such-package" };
	const char *w2[] = { "gcc<5" };
	const char *w3[] = { "busybox", "!busybox" };

	(void)state;
	if (!load_alpine(&a)) {
		skip();
		return;
	}
	assert_true(bd_apk_solve(a.db, w1, 2, NULL, &sol, &err) < 0);
	assert_non_null(strstr(err.msg, "no-such-package (required by world) has no provider"));
	bd_apk_solution_free(&sol);
	assert_true(bd_apk_solve(a.db, w2, 1, NULL, &sol, &err) < 0);
	assert_non_null(strstr(err.msg, "gcc<5 (required by world) has no matching provider"));
	printf("# %s\n", err.msg);
	bd_apk_solution_free(&sol);
	assert_true(bd_apk_solve(a.db, w3, 2, NULL, &sol, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "excluded by !busybox (required by world)"));
	bd_apk_solution_free(&sol);
	free_alpine(&a);
}

/* Every package of the index, one at a time: each either resolves to a
 * consistent closure or fails with a message. */
static void
alpine_every_package(void **state)
{
	struct alpine a;
	size_t ok = 0, failed = 0;
	uint64_t t0;

	(void)state;
	if (!load_alpine(&a)) {
		skip();
		return;
	}
	t0 = bd_now_ns();
	for (size_t i = 0; i < a.f.index.n; i++) {
		const char *w[] = { a.f.index.v[i].pi.name };
		struct bd_apk_solution sol;
		struct bd_err err = { 0 };
		if (bd_apk_solve(a.db, w, 1, NULL, &sol, &err) == 0) {
			if (check_closure(&sol))
				fail_msg("%s: inconsistent closure", w[0]);
			ok++;
		} else {
			assert_true(err.msg[0] != '\0');
			if (failed++ < 3)
				printf("# %s: %s\n", w[0], err.msg);
		}
		bd_apk_solution_free(&sol);
	}
	printf("# %zu packages resolve, %zu do not, %.1f ms in all\n", ok, failed,
	       (double)(bd_now_ns() - t0) / 1e6);
	assert_true(ok > 4800);
	free_alpine(&a);
}

static void
melange_virtual(void **state)
{
	char path[4096], keys[4096];
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	struct bd_apk_db *db = bd_apk_db_new();
	struct bd_apk_solution sol;
	const char *w1[] = { "custom-ca-certificates" };
	const char *w2[] = { "replayout" };
	const char *w3[] = { "custom-ca-certificates", "custom-ca-certs-2" };
	int kfd;

	(void)state;
	if (!bd_test_shared_path(path, sizeof(path),
	                         "vectors/melange-repo/x86_64/APKINDEX.tar.gz") ||
	    !bd_test_shared_path(keys, sizeof(keys), "vectors/melange-repo/keys")) {
		bd_apk_db_free(db);
		skip();
		return;
	}
	kfd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
	assert_int_equal(bd_apk_read_path(path, &ro, &f, &err), 0);
	close(kfd);
	assert_int_equal(bd_apk_db_add_index(db, &f.index, "melange", NULL, &err), 0);
	assert_true(bd_apk_solve(db, w1, 1, NULL, &sol, &err) < 0);
	assert_non_null(strstr(err.msg, "is a virtual name provided by custom-ca-certs-1-1.0.0-r0, "
	                                "custom-ca-certs-2-1.0.0-r0"));
	bd_apk_solution_free(&sol);
	assert_int_equal(bd_apk_solve(db, w2, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	assert_string_equal(sol.pkgs[0].name, "pretend-baselayout");
	assert_string_equal(sol.pkgs[1].name, "replayout");
	assert_int_equal(sol.pkgs[0].file_size, 2930);
	bd_apk_solution_free(&sol);
	assert_int_equal(bd_apk_solve(db, w3, 2, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 1);
	assert_string_equal(sol.pkgs[0].name, "custom-ca-certs-2");
	bd_apk_solution_free(&sol);
	bd_apk_db_free(db);
	bd_apk_file_free(&f);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(edges_and_reasons), cmocka_unit_test(add_index_rolls_back),
		cmocka_unit_test(backtrack_budget),  cmocka_unit_test(random_instances),
		cmocka_unit_test(alpine_build_base), cmocka_unit_test(alpine_other_worlds),
		cmocka_unit_test(alpine_errors),     cmocka_unit_test(alpine_every_package),
		cmocka_unit_test(melange_virtual),
	};
	char dir[4096];
	struct bd_strv cases = { 0 };
	struct CMUnitTest *tests;
	DIR *d;
	size_t n = 0;
	int r;

	snprintf(dir, sizeof(dir), "%s/tests/data/solver", top_dir());
	d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (bd_str_has_suffix(de->d_name, ".test"))
				bd_strv_push_owned(&cases, bd_xasprintf("%s/%s", dir, de->d_name));
		closedir(d);
	}
	if (cases.n > 1)
		qsort(cases.v, cases.n, sizeof(cases.v[0]), cmp_str);
	tests = calloc(cases.n + BD_ARRAY_SIZE(fixed) + 1, sizeof(*tests));
	for (size_t i = 0; i < cases.n; i++) {
		tests[n].name = strrchr(cases.v[i], '/') + 1;
		tests[n].test_func = run_case;
		tests[n].initial_state = cases.v[i];
		n++;
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(fixed); i++)
		tests[n++] = fixed[i];
	if (!cases.n)
		printf("# no case files in %s\n", dir);
	r = _cmocka_run_group_tests("apk_solver", tests, n, NULL, NULL);
	free(tests);
	bd_strv_free(&cases);
	return r;
}
