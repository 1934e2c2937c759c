/* SPDX-License-Identifier: MIT */
/* tar: the tar dialect of APK v2, written and read by our own code.
 *
 * Why not libarchive: APK data entries need a PAX extended header carrying
 * "APK-TOOLS.checksum.SHA1" for every file and symlink, and the signature
 * and control segments must end without end-of-archive blocks.  libarchive
 * has no API to add arbitrary PAX keywords, and its readers do not expose
 * unknown PAX keywords either, so a verifier could not check them.  See
 * docs/apk.md.  libarchive is still used for secure extraction
 * (apk/extract.c).
 *
 * Writer: ustar headers (POSIX "ustar\0" "00" magic, or GNU "ustar  \0"
 * as `apk index` writes), PAX "x" headers for long names and checksums.
 * Reader: a bounded pull parser for what apk-tools reads (apk-format.md
 * section 2): ustar, PAX path/linkpath/checksum keys, GNU long names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

#define BD_TAR_BLOCK 512
/* apk refuses paths of PATH_MAX-10 bytes or more */
#define BD_TAR_PATH_MAX 4085
/* largest size an ustar octal field holds (apk reads no base-256) */
#define BD_TAR_SIZE_MAX 077777777777ULL

enum bd_tar_magic {
	BD_TAR_POSIX, /* "ustar\0" "00" (abuild, melange) */
	BD_TAR_GNU,   /* "ustar  \0" (apk index) */
};

struct bd_tar_hdr {
	const char *name;
	const char *linkname; /* symlink target or hardlink target path */
	char type;            /* '0' file, '1' hardlink, '2' symlink, '5' dir */
	unsigned mode;        /* permission bits (07777) */
	uint64_t size;
	uint64_t mtime;
	unsigned uid, gid;
	const char *uname, *gname;
	const char *sha1_hex; /* APK-TOOLS.checksum.SHA1 record, or NULL */
};

/* Append the header block(s) for @h to @out: a PAX "x" header first when
 * a checksum is given or the name/link do not fit, then the ustar header.
 * Fails with EINVAL for names or sizes the format cannot carry. */
int bd_tar_write_header(struct bd_buf *out, const struct bd_tar_hdr *h, enum bd_tar_magic magic,
                        struct bd_err *err) __attribute__((warn_unused_result));
/* Append zero padding after @size content bytes. */
void bd_tar_write_padding(struct bd_buf *out, uint64_t size);
/* Append a whole in-memory file: the header for @h, its @h->size bytes
 * from @data, and the padding. */
int bd_tar_write_entry(struct bd_buf *out, const struct bd_tar_hdr *h, const void *data,
                       enum bd_tar_magic magic, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Append the end-of-archive marker (two zero blocks). */
void bd_tar_write_end(struct bd_buf *out);

/* Pull source for the reader: fill @buf with exactly @n bytes, or return
 * 0 at a clean end of stream before any byte; -errno on error or on a
 * stream that ends inside the request. */
typedef int (*bd_tar_src_fn)(void *ctx, void *buf, size_t n, struct bd_err *err);

struct bd_tar_entry {
	char name[BD_TAR_PATH_MAX + 1];
	char linkname[BD_TAR_PATH_MAX + 1];
	char type; /* normalised: '0' file, '1' hardlink, '2' symlink, '3' chr,
		    * '4' blk, '5' dir, '6' fifo; other types are reported as-is */
	unsigned mode;
	uint64_t size;
	uint64_t mtime;
	unsigned uid, gid;
	char uname[33], gname[33];
	bool has_sha1;
	char sha1_hex[41];
	uint64_t offset; /* stream offset of the (first) header block */
};

struct bd_tar_reader {
	bd_tar_src_fn src;
	void *ctx;
	const char *what;   /* names the archive in errors */
	uint64_t offset;    /* bytes consumed */
	uint64_t data_left; /* content bytes of the current entry not yet read */
	uint64_t pad_left;
	bool ended;
};

void bd_tar_reader_init(struct bd_tar_reader *r, bd_tar_src_fn src, void *ctx, const char *what);
/* Next entry: 1 with *e filled, 0 at end of archive (a zero block), -errno
 * on malformed input (named with its offset).  Unread content of the
 * previous entry is skipped. */
int bd_tar_next(struct bd_tar_reader *r, struct bd_tar_entry *e, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Read up to @n content bytes of the current entry: >0, 0 at its end. */
ssize_t bd_tar_read(struct bd_tar_reader *r, void *buf, size_t n, struct bd_err *err);
/* Skip the rest of the current entry's content and padding. */
int bd_tar_skip(struct bd_tar_reader *r, struct bd_err *err) __attribute__((warn_unused_result));
