/* SPDX-License-Identifier: MIT */
/* sbom: an SPDX 2.3 JSON document for one package (recipe-format.md 6.4).
 *
 * Each package a build produces carries its SBOM at
 * /var/lib/db/sbom/<name>-<version>.spdx.json: the package itself (name,
 * version, licence, purl), the recipe it was built from (DESCRIBED_BY),
 * every source (fetch URI and checksum, git repository and commit;
 * GENERATED_FROM) and what the build environment was made of
 * (BUILD_DEPENDENCY_OF).  The document is deterministic: its namespace is
 * derived from the package's identity and the build inputs, and its
 * creation time is SOURCE_DATE_EPOCH. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

struct bd_sbom_source {
	const char *kind;   /* "fetch" or "git" */
	const char *uri;    /* download URI or repository */
	const char *sha256; /* fetch: checksums (either may be NULL) */
	const char *sha512;
	const char *commit;  /* git: the checked-out commit */
	const char *name;    /* purl name */
	const char *version; /* purl version (fetch) or tag/commit (git) */
};

struct bd_sbom_envpkg {
	const char *name;
	const char *version;
	const char *checksum; /* sha256 hex of the layer, or an APK Q1 checksum */
};

struct bd_sbom_input {
	const char *namespace_;            /* distribution name in purls ("builderd") */
	const char *name, *version, *arch; /* the package, version with -rN */
	const char *license;               /* SPDX expression, or NULL */
	const char *description, *url;
	const char *origin;                      /* the main package of the build */
	const char *recipe_name, *recipe_sha256; /* the build configuration */
	uint64_t source_date_epoch;
	const struct bd_sbom_source *sources;
	size_t nsources;
	const struct bd_sbom_envpkg *env;
	size_t nenv;
};

/* Write the document to @out (pretty-printed, trailing newline). */
int bd_sbom_spdx(const struct bd_sbom_input *in, struct bd_buf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The path inside the package: "var/lib/db/sbom/<name>-<version>.spdx.json". */
char *bd_sbom_path(const char *name, const char *version);
