/* SPDX-License-Identifier: MIT */
/* extract: secure extraction of packages and tarballs with libarchive.
 * The only file that uses libarchive.
 *
 * Used by `builderctl` and by the job runner for sources and base layers.
 * Extraction is relative to a destination directory fd and runs with
 * libarchive's SECURE_SYMLINKS, SECURE_NODOTDOT and SECURE_NOABSOLUTEPATHS
 * flags; owners are never restored, xattrs/ACLs/flags never applied, and
 * device nodes are refused unless asked for. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

struct bd_extract_opts {
	unsigned strip_components; /* drop this many leading path components */
	bool apk;                  /* APK semantics: skip ".SIGN.*", ".PKGINFO", scripts
				    * and every other entry whose name starts with '.' */
	bool allow_special;        /* create FIFOs (device nodes are never created) */
	uint64_t max_bytes;        /* 0 = 64 GiB */
	uint64_t max_entries;      /* 0 = 4,000,000 */
};

struct bd_extract_stats {
	uint64_t entries;
	uint64_t bytes;
};

/* Extract the archive read from @fd (not owned; any format and compression
 * libarchive knows, or an APK with opts->apk) into @dest_dirfd.  Changes
 * the process's working directory for the duration (libarchive's disk
 * writer works on paths), so callers must be single-threaded. */
int bd_extract_fd(int fd, const char *what, int dest_dirfd, const struct bd_extract_opts *opts,
                  struct bd_extract_stats *stats, struct bd_err *err)
    __attribute__((warn_unused_result));
