/* SPDX-License-Identifier: MIT */
/* reader: parse and verify APK v2 packages and APKINDEX files.
 *
 * One streaming pass over the file, as apk-tools does it: gzip members are
 * split at their boundaries and the raw (compressed) bytes of each are
 * hashed for what they are (signature, control, data), while the tar
 * stream that runs through them is parsed.  For a package this checks the
 * signature over the control member, the identity (C: = sha1 of the
 * control member), the datahash over the data members and, beyond what
 * `apk verify` does, every file's APK-TOOLS.checksum.SHA1 and the
 * structure `apk add` needs (parent directories, hardlink targets, safe
 * names).  For an index it checks the signature over everything after the
 * signature member and parses the entries.
 *
 * Everything is bounded (see the BD_APK_MAX_* limits) and every error
 * names the file, the entry and what is wrong. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "apk/crypto.h"
#include "apk/index.h"
#include "apk/keyring.h"
#include "apk/pkginfo.h"
#include "common/err.h"

#define BD_APK_MAX_SIG 8192            /* one signature entry */
#define BD_APK_MAX_SIGS 16             /* signature entries */
#define BD_APK_MAX_CONTROL (16u << 20) /* raw control member */
#define BD_APK_MAX_PKGINFO (4u << 20)  /* .PKGINFO / one script */
#define BD_APK_MAX_TOTAL (64ull << 30) /* decompressed bytes per file */
#define BD_APK_MAX_ENTRIES 4000000     /* data entries per package */

enum bd_apk_kind {
	BD_APK_KIND_PACKAGE,
	BD_APK_KIND_INDEX,
};

/* The verdict, with apk verify's wording. */
enum bd_apk_status {
	BD_APK_OK,
	BD_APK_UNTRUSTED,     /* unsigned, or no key for any signature */
	BD_APK_BAD_SIGNATURE, /* signature, datahash or file checksum mismatch */
	BD_APK_BAD_ARCHIVE,   /* malformed structure */
	BD_APK_IO_ERROR,
	BD_APK_NOT_CHECKED, /* parsed, signatures not checked (no keys given) */
};

const char *bd_apk_status_str(enum bd_apk_status s);

struct bd_apk_sig_entry {
	char keyname[256];
	enum bd_hash_alg alg;
	bool known_type; /* RSA, RSA256 or RSA512 */
};

struct bd_apk_entry {
	char *name;
	char *linkname;
	char type; /* '0' file '1' hardlink '2' symlink '5' dir, others as read */
	unsigned mode;
	uint64_t size, mtime;
	unsigned uid, gid;
	bool has_sha1;
	char sha1_hex[41];
};

struct bd_apk_keyring;

struct bd_apk_read_opts {
	int keys_dirfd; /* -1: do not check signatures (unless @keyring is set) */
	/* Trusted keys in memory (apk/keyring.h); used instead of keys_dirfd
	 * when set.  Keys are looked up by the name in the signature entry,
	 * exactly as in a keys directory. */
	const struct bd_apk_keyring *keyring;
	bool skip_file_checksums; /* do not recompute per-file SHA1s */
	bool list_entries;        /* fill entries[] */
	bool keep_index_text;     /* keep the raw APKINDEX text in index_text */
	bool keep_scripts;        /* keep install scripts' contents in script_body[] */
};

/* The install scripts apk-tools knows (package.c apk_script_types[]). */
enum bd_apk_script_kind {
	BD_APK_PRE_INSTALL,
	BD_APK_POST_INSTALL,
	BD_APK_PRE_DEINSTALL,
	BD_APK_POST_DEINSTALL,
	BD_APK_PRE_UPGRADE,
	BD_APK_POST_UPGRADE,
	BD_APK_TRIGGER,
	BD_APK_NSCRIPTS,
};

/* "pre-install" ... "trigger": the control entry's name without its dot. */
const char *bd_apk_script_type(enum bd_apk_script_kind s);

struct bd_apk_file {
	enum bd_apk_kind kind;
	enum bd_apk_status status;
	uint64_t file_size;
	struct bd_apk_sig_entry sigs[BD_APK_MAX_SIGS];
	size_t nsigs;
	char signer[256]; /* key that verified (or failed) the signature */
	/* package */
	struct bd_apk_pkginfo pkginfo;
	char identity[32];                          /* "Q1..." for the index's C: */
	char datahash[65];                          /* computed */
	struct bd_strv scripts;                     /* control entries other than .PKGINFO */
	struct bd_buf script_body[BD_APK_NSCRIPTS]; /* with keep_scripts; len 0 = none */
	bool has_script[BD_APK_NSCRIPTS];
	struct bd_apk_entry *entries;
	size_t nentries, entries_cap;
	uint64_t nfiles; /* data entries seen (also without list_entries) */
	/* index */
	struct bd_apk_index index;
	char *index_text; /* with keep_index_text */
	size_t index_text_len;
};

/* Read and verify @fd (not owned), named @what in messages.  On success
 * (0) @out->status is BD_APK_OK, or BD_APK_NOT_CHECKED when no keys were
 * given.  On failure returns -errno, sets @out->status to the verdict and
 * @err to the reason; @out holds whatever was parsed.  Free @out with
 * bd_apk_file_free() in every case. */
int bd_apk_read(int fd, const char *what, const struct bd_apk_read_opts *opts,
                struct bd_apk_file *out, struct bd_err *err) __attribute__((warn_unused_result));

/* Open @path and bd_apk_read() it. */
int bd_apk_read_path(const char *path, const struct bd_apk_read_opts *opts, struct bd_apk_file *out,
                     struct bd_err *err) __attribute__((warn_unused_result));

void bd_apk_file_free(struct bd_apk_file *f);

/* "Q1" + base64(sha1) for 20 digest bytes; @out has 32 bytes. */
void bd_apk_q1_encode(const unsigned char *sha1, char *out);
