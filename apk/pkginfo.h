/* SPDX-License-Identifier: MIT */
/* pkginfo: package metadata, the .PKGINFO text format and dependency
 * strings (apk-format.md sections 4 and 8).
 *
 * One struct carries a package's metadata through every path: the writer
 * formats it into .PKGINFO, the reader parses .PKGINFO back into it, and
 * the index writer turns it (plus the package's C: checksum and file size)
 * into an APKINDEX entry, so the index never re-reads packages. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

struct bd_apk_pkginfo {
	char *name;              /* pkgname (P:) — required */
	char *version;           /* pkgver (V:), including -rN — required */
	char *description;       /* pkgdesc (T:) */
	char *url;               /* U: */
	char *license;           /* L: */
	char *arch;              /* A: */
	char *origin;            /* o: */
	char *maintainer;        /* m: */
	char *commit;            /* c: */
	char *packager;          /* .PKGINFO only */
	uint64_t builddate;      /* t: (0 = unset) */
	uint64_t installed_size; /* size (I:) */
	long provider_priority;  /* k: */
	bool has_provider_priority;
	long replaces_priority;
	bool has_replaces_priority;
	struct bd_strv depends;    /* D: one dependency string each */
	struct bd_strv provides;   /* p: */
	struct bd_strv install_if; /* i: */
	struct bd_strv replaces;
	struct bd_strv triggers;
	char datahash[65]; /* lower-case hex sha256 of the data part, "" if none */
};

void bd_apk_pkginfo_free(struct bd_apk_pkginfo *pi);
/* Deep copy. */
void bd_apk_pkginfo_copy(struct bd_apk_pkginfo *dst, const struct bd_apk_pkginfo *src);

/* Check the fields a writer must get right: name and version present and
 * well-formed, every depends/provides/install_if/replaces item parseable
 * (a malformed one makes apk refuse the whole package).  The message names
 * the field and value. */
int bd_apk_pkginfo_validate(const struct bd_apk_pkginfo *pi, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Append .PKGINFO text (validated first).  The datahash line is written
 * last when set, as abuild appends it after the data part exists. */
int bd_apk_pkginfo_format(const struct bd_apk_pkginfo *pi, const char *generator,
                          struct bd_buf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Parse .PKGINFO text into @pi (which must be zeroed).  Follows apk: lines
 * split at the first " = ", '#' lines and unknown keys ignored, the last
 * scalar wins, lists accumulate; malformed dependency values are errors. */
int bd_apk_pkginfo_parse(const char *text, size_t len, struct bd_apk_pkginfo *pi,
                         struct bd_err *err) __attribute__((warn_unused_result));

/* A parsed dependency: [!]name[@tag][op version]. */
struct bd_apk_dep {
	bool conflict;
	char name[256];
	char tag[64];
	int op; /* BD_APK_VER_* mask, 0 = any version */
	char version[128];
};

/* Parse one dependency item of @len bytes (no spaces).  Versions after an
 * operator must be valid apk versions (or Q1 checksums for "><"). */
int bd_apk_dep_parse(const char *s, size_t len, struct bd_apk_dep *dep, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Is @name a valid package name for pkgname (what abuild/melange accept)? */
bool bd_apk_name_valid(const char *name);

/* Parse a space-separated list ("a b>=1 !c") into @out, validating each. */
int bd_apk_deps_split(const char *list, struct bd_strv *out, struct bd_err *err)
    __attribute__((warn_unused_result));
