/* SPDX-License-Identifier: MIT */
/* solve: the package database of a set of repositories and the dependency
 * solver that turns a world (a list of dependency strings) into the set of
 * packages to install.
 *
 * Semantics follow apk-tools 2.x (apk-format.md section 8; apk-tools
 * src/solver.c and src/package.c read for behaviour, not copied):
 * - a dependency is satisfied by a package of that name or by one that
 *   provides it; a versioned provide ("so:libz.so.1=1.2.12") satisfies
 *   versioned and unversioned dependencies, a bare provide (a virtual name)
 *   only unversioned ones (apk_dep_is_provided);
 * - a name is held by one package, except that any number of packages may
 *   provide the same virtual name (assign_name: "same name provided");
 * - "!name[op ver]" conflicts: no selected package may provide a matching
 *   name, except the package that declares the conflict itself;
 * - install_if: a package is added when every one of its install_if
 *   conditions is met by the selected set;
 * - among candidates (compare_providers): allowed repository tag first,
 *   preferred tag, the highest provided version of the requested name, the
 *   highest package version, the highest provider_priority (k:), the
 *   earliest repository; a virtual provider without provider_priority is
 *   not chosen automatically when the name has several providers;
 * - repository tags: packages only in tagged repositories ("@edge URL")
 *   are allowed when a world dependency pins them ("foo@edge"), and then
 *   for that package's dependencies too, which still prefer untagged
 *   repositories.
 *
 * The algorithm is ours: a greedy closure over a work queue that decides
 * dependencies with a single candidate first, takes the best candidate of
 * the others, and on a conflict backjumps to the most recent choice that
 * the conflict depends on (conflict-directed backjumping over decision
 * levels), within a bounded number of backtracks.  The result is
 * deterministic: the same database and world give the same set in the same
 * order, whatever the order of the world's entries. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apk/index.h"
#include "common/err.h"
#include "common/util.h"

#define BD_APK_MAX_REPOS 64 /* repositories in one database */
#define BD_APK_MAX_TAGS 31  /* distinct repository tags */

/* Interned packages, names and providers of a set of indexes. */
struct bd_apk_db;

struct bd_apk_db *bd_apk_db_new(void);
void bd_apk_db_free(struct bd_apk_db *db);

/* Add the entries of @idx as the next repository; repositories added
 * earlier win ties.  @repo_name names it in results and messages (its
 * URL), @tag is its tag ("edge" for "@edge URL") or NULL.  @idx is
 * borrowed: it must outlive @db.  A package (same C:) found in several
 * repositories is one package available from each.  Returns the
 * repository's number. */
int bd_apk_db_add_index(struct bd_apk_db *db, const struct bd_apk_index *idx, const char *repo_name,
                        const char *tag, struct bd_err *err) __attribute__((warn_unused_result));

/* Build the lookup maps now (bd_apk_solve() does it on first use when
 * indexes were added since): part of loading, not of resolving. */
void bd_apk_db_prepare(struct bd_apk_db *db);

size_t bd_apk_db_npackages(const struct bd_apk_db *db);
/* Distinct names: packages, provides and dependency targets. */
size_t bd_apk_db_nnames(const struct bd_apk_db *db);
unsigned bd_apk_db_nrepos(const struct bd_apk_db *db);
const char *bd_apk_db_repo_name(const struct bd_apk_db *db, unsigned repo);

struct bd_apk_solve_opts {
	unsigned max_backtracks; /* 0: the default, 10000 */
};

/* One dependency of a resolved package and the package that satisfies it. */
struct bd_apk_solved_dep {
	const char *dep; /* as written in the index ("so:libc.musl-x86_64.so.1") */
	size_t provider; /* index in bd_apk_solution.pkgs */
};

enum bd_apk_reason {
	BD_APK_REASON_WORLD,      /* a world entry asked for it */
	BD_APK_REASON_DEPENDENCY, /* required by another resolved package */
	BD_APK_REASON_INSTALL_IF, /* added because its install_if is met */
};

struct bd_apk_solved_pkg {
	const char *name, *version;
	const char *arch; /* A:, or NULL when the index has none */
	const char *csum; /* C: ("Q1" + base64 of sha1 of the control member) */
	uint64_t file_size, installed_size;
	unsigned repo;                          /* the repository to fetch it from (earliest) */
	const char *repo_name;                  /* its name as given to bd_apk_db_add_index */
	const struct bd_apk_index_entry *entry; /* borrowed from the index */
	struct bd_apk_solved_dep *deps;         /* dependency edges (not conflicts) */
	size_t ndeps;
	enum bd_apk_reason reason;
	const char *reason_dep; /* the world entry or dependency that selected it */
	size_t required_by;     /* BD_APK_REASON_DEPENDENCY: index of the requirer */
};

struct bd_apk_solution {
	/* Topological order, dependencies before dependents; ties and the
	 * members of a dependency cycle in name order. */
	struct bd_apk_solved_pkg *pkgs;
	size_t n;
	unsigned backtracks;   /* how often a choice was revisited */
	struct bd_strv owned_; /* private: copies of the world's entries */
};

/* Resolve @world (@nworld strings, each one or more space-separated
 * dependencies: "name", "name>=1.2", "name~1.2", "!name", "name@tag")
 * against @db.  On failure the message names the dependency that cannot
 * be met, who required it ("so:libfoo.so.1 (required by bar-1.2-r0 <-
 * world: bar) has no provider") and what stands in the way.  @opts may be
 * NULL.  Free @out with bd_apk_solution_free() in every case.  @db is
 * finalised on first use and not changed by solving afterwards. */
int bd_apk_solve(struct bd_apk_db *db, const char *const *world, size_t nworld,
                 const struct bd_apk_solve_opts *opts, struct bd_apk_solution *out,
                 struct bd_err *err) __attribute__((warn_unused_result));

void bd_apk_solution_free(struct bd_apk_solution *sol);
