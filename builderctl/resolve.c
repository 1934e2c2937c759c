/* SPDX-License-Identifier: MIT */
/* builderctl resolve: resolve a world against signed APK repositories and
 * print the packages an environment would get, dependencies first.
 *
 * Reads file:// URLs and paths only: http(s) repositories need the
 * daemon's fetcher (the CLI links no HTTP client for apk/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/repo.h"
#include "apk/solve.h"
#include "builderctl/builderctl.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl resolve --repo URL|PATH... --keyring KEY... [--arch ARCH]\n"
    "                          [--deps] [--cache DIR [--fetch]] PACKAGE...\n"
    "\n"
    "Resolve PACKAGEs (apk dependency syntax: name, name>=1.2, name~1.2, !name,\n"
    "name@tag) against the repositories, in priority order, as apk would, and\n"
    "print the resolved set in install order, one package per line:\n"
    "  NAME VERSION ARCH SIZE CHECKSUM REPOSITORY\n"
    "Every index must be signed by a key of the keyring. Remote (http/https)\n"
    "repositories need the daemon's fetcher; here only file:// URLs and paths.\n"
    "\n"
    "  --repo SPEC        a repository: PATH, file:///PATH or \"@tag PATH\"\n"
    "                     (repeatable; earlier repositories win ties)\n"
    "  --keyring KEY      a trusted public key file or a directory of them\n"
    "                     (repeatable; keys are known by their file name)\n"
    "  --arch ARCH        index directory (default: the host's)\n"
    "  --deps             also print each package's dependency edges\n"
    "  --cache DIR        package cache directory\n"
    "  --fetch            copy the packages into the cache as <hex of C:>.apk,\n"
    "                     verified against the index, and print their paths\n"
    "  --bench N          resolve N times and print load and median resolve\n"
    "                     times in ms to stderr (for tests/bench/solve)\n";

enum { O_REPO = 256, O_KEYRING, O_ARCH, O_DEPS, O_CACHE, O_FETCH, O_BENCH };

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bench(const struct bd_apk_repos *rs, const char *const *world, size_t n, unsigned runs,
      double load_ms)
{
	double *t = bd_xcalloc(runs, sizeof(*t));
	struct bd_apk_db *db = rs->db, *again = bd_apk_db_new();
	struct bd_err err = { 0 };
	uint64_t t0 = bd_now_ns();
	double db_ms;

	/* the database part of loading, measured again on its own */
	for (size_t i = 0; i < rs->n; i++)
		if (bd_apk_db_add_index(again, &rs->v[i].file.index, rs->v[i].url, rs->v[i].tag,
		                        &err) < 0)
			break;
	bd_apk_db_prepare(again);
	db_ms = (double)(bd_now_ns() - t0) / 1e6;
	bd_apk_db_free(again);
	for (unsigned i = 0; i < runs; i++) {
		struct bd_apk_solution sol;
		int r;
		t0 = bd_now_ns();
		r = bd_apk_solve(db, world, n, NULL, &sol, &err);
		t[i] = (double)(bd_now_ns() - t0) / 1e6;
		bd_apk_solution_free(&sol);
		if (r < 0)
			break;
	}
	qsort(t, runs, sizeof(*t), dcmp);
	fprintf(stderr,
	        "bench: packages=%zu names=%zu load_ms=%.3f db_ms=%.3f resolve_median_ms=%.4f "
	        "runs=%u\n",
	        bd_apk_db_npackages(db), bd_apk_db_nnames(db), load_ms, db_ms, t[runs / 2], runs);
	free(t);
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, O_REPO },
		{ "keyring", required_argument, NULL, O_KEYRING },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "deps", no_argument, NULL, O_DEPS },
		{ "cache", required_argument, NULL, O_CACHE },
		{ "fetch", no_argument, NULL, O_FETCH },
		{ "bench", required_argument, NULL, O_BENCH },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bd_strv repos = { 0 }, keys = { 0 }, paths = { 0 };
	const char *arch = NULL, *cache = NULL;
	bool deps = false, fetch = false;
	uint64_t runs = 0;
	struct bd_apk_repos rs = { 0 };
	struct bd_apk_solution sol = { 0 };
	struct bd_err err = { 0 };
	uint64_t total = 0, t0;
	int c, ret = BCTL_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_REPO:
			bd_strv_push(&repos, optarg);
			break;
		case O_KEYRING:
			bd_strv_push(&keys, optarg);
			break;
		case O_ARCH:
			arch = optarg;
			break;
		case O_DEPS:
			deps = true;
			break;
		case O_CACHE:
			cache = optarg;
			break;
		case O_FETCH:
			fetch = true;
			break;
		case O_BENCH:
			if (bd_parse_u64(optarg, 100000, &runs) < 0 || runs == 0) {
				ret = bctl_usage_error(bctl_current, "--bench: expected 1..100000");
				goto out;
			}
			break;
		default:
			ret = bctl_getopt_default(bctl_current, c);
			goto out;
		}
	}
	if (!repos.n) {
		ret = bctl_usage_error(bctl_current, "at least one --repo is required");
		goto out;
	}
	if (!keys.n) {
		ret = bctl_usage_error(
		    bctl_current,
		    "at least one --keyring key is required (indexes must be signed)");
		goto out;
	}
	if (fetch && !cache) {
		ret = bctl_usage_error(bctl_current, "--fetch needs --cache DIR");
		goto out;
	}
	if (optind == argc) {
		ret = bctl_usage_error(bctl_current, "no package given");
		goto out;
	}

	struct bd_apk_repos_opts ro = { .arch = arch, .cache_dir = cache };
	bd_apk_repos_init(&rs, &ro);
	for (size_t i = 0; i < repos.n; i++)
		if (bd_apk_repos_add(&rs, repos.v[i], &err) < 0) {
			ret = bctl_usage_error(bctl_current, "--repo: %s", err.msg);
			goto out;
		}
	for (size_t i = 0; i < keys.n; i++)
		if (bd_apk_repos_add_key(&rs, keys.v[i], &err) < 0) {
			bctl_error("resolve: keyring: %s", err.msg);
			goto out;
		}
	t0 = bd_now_ns();
	if (bd_apk_repos_load(&rs, &err) < 0) {
		bctl_error("resolve: %s", err.msg);
		goto out;
	}
	if (runs)
		bench(&rs, (const char *const *)argv + optind, (size_t)(argc - optind),
		      (unsigned)runs, (double)(bd_now_ns() - t0) / 1e6);
	if (bd_apk_solve(rs.db, (const char *const *)argv + optind, (size_t)(argc - optind), NULL,
	                 &sol, &err) < 0) {
		bctl_error("resolve: %s", err.msg);
		goto out;
	}
	if (fetch && bd_apk_repos_fetch_solution(&rs, &sol, &paths, &err) < 0) {
		bctl_error("resolve: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < sol.n; i++) {
		const struct bd_apk_solved_pkg *p = &sol.pkgs[i];
		printf("%s %s %s %llu %s %s", p->name, p->version, p->arch ? p->arch : "-",
		       (unsigned long long)p->file_size, p->csum, p->repo_name);
		if (fetch)
			printf(" %s", paths.v[i]);
		putchar('\n');
		total += p->file_size;
		if (deps)
			for (size_t k = 0; k < p->ndeps; k++) {
				const struct bd_apk_solved_pkg *q = &sol.pkgs[p->deps[k].provider];
				printf("  %s -> %s-%s\n", p->deps[k].dep, q->name, q->version);
			}
	}
	fflush(stdout);
	fprintf(stderr, "%zu packages, %llu bytes%s\n", sol.n, (unsigned long long)total,
	        fetch ? ", verified in the cache" : "");
	ret = BCTL_EXIT_OK;
out:
	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
	bd_strv_free(&repos);
	bd_strv_free(&keys);
	bd_strv_free(&paths);
	return ret;
}

BCTL_VERB(resolve, "resolve", "resolve packages against signed APK repositories", usage, run)
