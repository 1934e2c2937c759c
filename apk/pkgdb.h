/* SPDX-License-Identifier: MIT */
/* pkgdb: the layout of struct bd_apk_db, shared by apk/pkgdb.c (which
 * builds it) and apk/solve.c (which reads it).  Internal to apk/: the
 * public interface is apk/solve.h.
 *
 * Every index entry is one package (keyed by C:), every name (package
 * names, provides, dependency targets) one interned id, every dependency
 * string one record pointing into the index's own strings.  After
 * bd_apk_db_prepare() the providers and install_if watchers of each name
 * are ranges of flat arrays. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "apk/index.h"
#include "apk/solve.h"
#include "apk/version.h"
#include "common/err.h"
#include "common/util.h"

#define BD_APK_NIL UINT32_MAX

/* a block of the arena that holds interned name strings */
struct bd_apk_chunk {
	struct bd_apk_chunk *next;
	size_t used, cap;
	char data[];
};

/* an interned name and, once prepared, its providers and watchers */
struct bd_apk_sname {
	const char *s;
	uint32_t len, hash;
	uint32_t prov_off, nprov;
	uint32_t riif_off, nriif;
};

/* a parsed dependency, provide or install_if condition */
struct bd_apk_sdep {
	uint32_t name;       /* BD_APK_NIL: a world entry naming nothing we know */
	uint8_t op;          /* BD_APK_VER_* mask, 0 = any version */
	uint8_t tag;         /* world entries: repository tag, 0 = none */
	bool conflict;       /* "!name" */
	bool csum;           /* "><Q1...": the package checksum */
	bool sat;            /* some provider could satisfy it (precomputed) */
	const char *version; /* NULL when op == 0 */
	const char *text;    /* as written */
};

/* a package: one index entry, possibly in several repositories */
struct bd_apk_spkg {
	const struct bd_apk_index_entry *e;
	const char *version, *arch, *csum;
	uint64_t repos; /* bit per repository holding this file */
	uint32_t tags;  /* bit per tag of those repositories (bit 0: untagged) */
	uint32_t name;
	uint32_t dep_off, ndep, nprov, niif; /* deps, then provides, then install_if */
	long priority;
	/* holds a name twice, not both times as a bare provide: apk's
	 * assign_name() calls that "same name provided"; never installable */
	uint32_t dup_name; /* BD_APK_NIL when not */
};

/* one provider of a name */
struct bd_apk_sprov {
	uint32_t pkg;
	const char *version; /* NULL: a virtual (bare) provide */
};

struct bd_apk_db {
	struct bd_apk_chunk *arena;
	struct bd_apk_sname *names;
	uint32_t nnames, names_cap;
	uint32_t *ntab; /* name id + 1, open addressing */
	uint32_t ntab_cap;
	struct bd_apk_spkg *pkgs;
	uint32_t npkgs, pkgs_cap;
	uint32_t *ctab; /* package id + 1 by C: */
	uint32_t ctab_cap;
	struct bd_apk_sdep *deps;
	uint32_t ndeps, deps_cap;
	struct bd_apk_sprov *provs;
	uint32_t *riif;
	char *repo_names[BD_APK_MAX_REPOS];
	uint8_t repo_tag[BD_APK_MAX_REPOS];
	unsigned nrepos;
	char *tags[BD_APK_MAX_TAGS + 1]; /* [0] is the untagged default */
	unsigned ntags;
	bool dirty;
};

static inline void *
bd_apk_grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t c = *cap;

	if (need <= c)
		return p;
	if (need > UINT32_MAX / 2 || (size_t)need * 2 > SIZE_MAX / elem)
		bd_assert_fail(__FILE__, __LINE__, "solver table too large");
	while (c < need)
		c = c ? c * 2 : 16;
	*cap = c;
	return bd_xrealloc(p, (size_t)c * elem);
}

/* Does provider (@pkg providing the name at version @pver, NULL for a bare
 * provide) satisfy @d, required by @req (package id + 1, 0 for the world)?
 * For a conflict "satisfied" means "does not conflict".  apk-tools:
 * apk_dep_is_provided(). */
static inline bool
bd_apk_dep_provided(const struct bd_apk_db *db, const struct bd_apk_sdep *d, uint32_t pkg,
                    const char *pver, uint32_t req)
{
	bool match;

	if (d->conflict && req == pkg + 1)
		return true; /* a package never conflicts with itself */
	if (d->op == 0)
		match = true;
	else if (d->csum)
		match = strcmp(db->pkgs[pkg].csum, d->version) == 0;
	else if (!pver)
		return d->conflict; /* bare provides satisfy only unversioned deps */
	else
		match = bd_apk_version_match(pver, d->op, d->version);
	return d->conflict ? !match : match;
}

/* Parse one dependency @text (NUL-terminated, owned by the caller and
 * outliving the record) into @out.  World entries (@world) look names up
 * instead of interning them (BD_APK_NIL when unknown) and may carry a
 * repository tag, which must exist. */
int bd_apk_db_parse_dep(struct bd_apk_db *db, const char *text, bool world, struct bd_apk_sdep *out,
                        struct bd_err *err) __attribute__((warn_unused_result));
