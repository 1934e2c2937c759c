/* SPDX-License-Identifier: MIT */
/* index: APKINDEX text entries and the signed APKINDEX.tar.gz
 * (apk-format.md section 7).
 *
 * Entries are parsed into struct bd_apk_pkginfo plus the fields only an
 * index has (C:, S:).  The order in which an entry's letters appeared is
 * kept, so an index written by another tool (melange writes "t:0" and
 * omits an empty "U:") re-serialises byte for byte; new indexes are written
 * in apk-tools' canonical order. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "apk/crypto.h"
#include "apk/pkginfo.h"
#include "common/err.h"
#include "common/util.h"

struct bd_apk_index_entry {
	struct bd_apk_pkginfo pi;
	char csum[64];        /* C: as written ("Q1" + base64 of sha1) */
	uint64_t file_size;   /* S: */
	char order[40];       /* letters in the order read ("" if built by us) */
	struct bd_strv extra; /* unknown "x:value" lines, kept verbatim */
};

struct bd_apk_index {
	char *description; /* DESCRIPTION entry, or NULL */
	struct bd_apk_index_entry *v;
	size_t n, cap;
};

/* Limits for hostile indexes. */
#define BD_APK_INDEX_MAX_TEXT (512u << 20)
#define BD_APK_INDEX_MAX_LINE (1u << 20)

/* Parse APKINDEX text, appending entries to @idx.  @what names the input
 * in errors, which also give the line number. */
int bd_apk_index_parse(const char *text, size_t len, const char *what, struct bd_apk_index *idx,
                       struct bd_err *err) __attribute__((warn_unused_result));

/* Append one entry in apk-tools' canonical order:
 * C P V [A] S I T U L [o] [m] [t] [c] [k] [D] [p] [i], then a blank line. */
void bd_apk_index_format_entry(const struct bd_apk_index_entry *e, struct bd_buf *out);
/* Append one entry with exactly the letters and order it was read with. */
void bd_apk_index_format_entry_as_read(const struct bd_apk_index_entry *e, struct bd_buf *out);

/* Add an entry built from a package's metadata, identity and size. */
struct bd_apk_index_entry *bd_apk_index_add(struct bd_apk_index *idx,
                                            const struct bd_apk_pkginfo *pi, const char *csum,
                                            uint64_t file_size);
/* Sort entries by name, then version, then arch. */
void bd_apk_index_sort(struct bd_apk_index *idx);

/* Write a complete APKINDEX.tar.gz into @out: a signature member for @key
 * (entry ".SIGN.<type>.<keyname>"; no member when @key is NULL) followed
 * by the tar of DESCRIPTION (when set) and APKINDEX, as `apk index` and
 * abuild-sign produce it.  Tar mtimes are @mtime. */
int bd_apk_index_write(const struct bd_apk_index *idx, const struct bd_apk_privkey *key,
                       enum bd_hash_alg alg, uint64_t mtime, struct bd_buf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

void bd_apk_index_free(struct bd_apk_index *idx);

/* Build the signature gzip member for @signed_bytes, appended to @out.
 * Shared by the package and index writers. */
int bd_apk_signature_member(const struct bd_apk_privkey *key, enum bd_hash_alg alg,
                            const void *signed_bytes, size_t n, uint64_t mtime, struct bd_buf *out,
                            struct bd_err *err) __attribute__((warn_unused_result));

/* ".SIGN.RSA.", ".SIGN.RSA256." or ".SIGN.RSA512." */
const char *bd_apk_sig_prefix(enum bd_hash_alg alg);
