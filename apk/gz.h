/* SPDX-License-Identifier: MIT */
/* gz: gzip members, written and read one at a time.  The only file that
 * uses zlib.
 *
 * APK v2 files are several gzip members back to back, and every hash and
 * signature covers *compressed* member bytes (apk-format.md section 0.1).
 * The writer therefore emits exactly one member per call sequence, and the
 * reader reports which raw bytes belong to which member. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* Where compressed bytes go.  Returns 0 or -errno with @err set. */
typedef int (*bd_gz_sink_fn)(void *ctx, const void *data, size_t n, struct bd_err *err);

struct bd_gz_writer;

/* Start a gzip member: header with no name, mtime 0, OS=3 (unix), so the
 * output depends only on the input bytes and @level (1..9). */
struct bd_gz_writer *bd_gz_writer_new(int level, bd_gz_sink_fn sink, void *ctx);
int bd_gz_write(struct bd_gz_writer *w, const void *data, size_t n, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Finish the member (trailer written to the sink) and free the writer. */
int bd_gz_finish(struct bd_gz_writer *w, struct bd_err *err) __attribute__((warn_unused_result));
/* Abandon a member (error paths). */
void bd_gz_writer_free(struct bd_gz_writer *w);

/* Sink that appends to a struct bd_buf passed as ctx. */
int bd_gz_sink_buf(void *ctx, const void *data, size_t n, struct bd_err *err);

/* Observer of raw (compressed) input: called with each run of input bytes
 * as the inflater consumes them, tagged with the member they belong to. */
typedef void (*bd_gz_raw_fn)(void *ctx, int member, const void *raw, size_t n);

struct bd_gz_reader;

/* Read gzip members from @fd (not owned).  @what names the input in
 * errors; @max_out bounds the total decompressed size (bomb guard). */
struct bd_gz_reader *bd_gz_reader_new(int fd, const char *what, uint64_t max_out, bd_gz_raw_fn raw,
                                      void *raw_ctx);
void bd_gz_reader_free(struct bd_gz_reader *r);
/* Decompressed bytes of the current member: returns >0, 0 at the end of
 * the member, or -errno. */
ssize_t bd_gz_read(struct bd_gz_reader *r, void *buf, size_t n, struct bd_err *err);
/* After bd_gz_read() returned 0: start the next member.  Returns 1 if one
 * follows, 0 at end of input, -errno on trailing garbage. */
int bd_gz_next_member(struct bd_gz_reader *r, struct bd_err *err);
/* Index of the current member (0-based). */
int bd_gz_member(const struct bd_gz_reader *r);
/* Compressed bytes consumed so far. */
uint64_t bd_gz_raw_offset(const struct bd_gz_reader *r);
