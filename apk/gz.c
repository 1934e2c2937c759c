/* SPDX-License-Identifier: MIT */
/* gz: zlib behind member-at-a-time gzip writer and reader (see gz.h). */
#include "apk/gz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "common/util.h"

#define GZ_CHUNK (128 * 1024)

struct bd_gz_writer {
	z_stream z;
	gz_header hdr;
	bd_gz_sink_fn sink;
	void *ctx;
	unsigned char out[GZ_CHUNK];
};

struct bd_gz_reader {
	z_stream z;
	int fd;
	const char *what;
	uint64_t max_out, total_out, raw_off;
	int member;
	bool member_done, eof;
	bd_gz_raw_fn raw;
	void *raw_ctx;
	unsigned char in[GZ_CHUNK];
};

int
bd_gz_sink_buf(void *ctx, const void *data, size_t n, struct bd_err *err)
{
	(void)err;
	bd_buf_append(ctx, data, n);
	return 0;
}

struct bd_gz_writer *
bd_gz_writer_new(int level, bd_gz_sink_fn sink, void *ctx)
{
	struct bd_gz_writer *w = bd_xcalloc(1, sizeof(*w));

	if (level < 1 || level > 9)
		level = 6;
	/* windowBits 15+16: gzip wrapper; memLevel 8 is zlib's default */
	if (deflateInit2(&w->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "builderd: out of memory (deflateInit2)\n");
		abort();
	}
	/* explicit header: no name, no comment, time 0, OS unix.  Header bytes
	 * are hashed, so they must never depend on the environment. */
	w->hdr.time = 0;
	w->hdr.os = 3;
	(void)deflateSetHeader(&w->z, &w->hdr);
	w->sink = sink;
	w->ctx = ctx;
	return w;
}

static int
deflate_run(struct bd_gz_writer *w, int flush, struct bd_err *err)
{
	int zr;

	do {
		w->z.next_out = w->out;
		w->z.avail_out = sizeof(w->out);
		zr = deflate(&w->z, flush);
		if (zr == Z_STREAM_ERROR)
			return bd_err_setx(err, EIO, "gzip: deflate failed");
		size_t have = sizeof(w->out) - w->z.avail_out;
		if (have) {
			int r = w->sink(w->ctx, w->out, have, err);
			if (r < 0)
				return r;
		}
	} while (w->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

int
bd_gz_write(struct bd_gz_writer *w, const void *data, size_t n, struct bd_err *err)
{
	const unsigned char *p = data;

	while (n > 0) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
		w->z.next_in = (unsigned char *)(uintptr_t)p;
		w->z.avail_in = chunk;
		int r = deflate_run(w, Z_NO_FLUSH, err);
		if (r < 0)
			return r;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

int
bd_gz_finish(struct bd_gz_writer *w, struct bd_err *err)
{
	int r;

	w->z.next_in = NULL;
	w->z.avail_in = 0;
	r = deflate_run(w, Z_FINISH, err);
	bd_gz_writer_free(w);
	return r;
}

void
bd_gz_writer_free(struct bd_gz_writer *w)
{
	if (!w)
		return;
	deflateEnd(&w->z);
	free(w);
}

struct bd_gz_reader *
bd_gz_reader_new(int fd, const char *what, uint64_t max_out, bd_gz_raw_fn raw, void *raw_ctx)
{
	struct bd_gz_reader *r = bd_xcalloc(1, sizeof(*r));

	/* 15+32: accept gzip or zlib headers, as apk's inflater does */
	if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
		fprintf(stderr, "builderd: out of memory (inflateInit2)\n");
		abort();
	}
	r->fd = fd;
	r->what = what;
	r->max_out = max_out;
	r->raw = raw;
	r->raw_ctx = raw_ctx;
	return r;
}

void
bd_gz_reader_free(struct bd_gz_reader *r)
{
	if (!r)
		return;
	inflateEnd(&r->z);
	free(r);
}

/* Refill the input buffer; returns bytes read, 0 at EOF, -errno. */
static ssize_t
fill(struct bd_gz_reader *r, struct bd_err *err)
{
	ssize_t n;

	if (r->z.avail_in > 0)
		return (ssize_t)r->z.avail_in;
	if (r->eof)
		return 0;
	do
		n = read(r->fd, r->in, sizeof(r->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bd_err_set(err, errno, "read %s", r->what);
	if (n == 0)
		r->eof = true;
	r->z.next_in = r->in;
	r->z.avail_in = (uInt)n;
	return n;
}

ssize_t
bd_gz_read(struct bd_gz_reader *r, void *buf, size_t n, struct bd_err *err)
{
	if (r->member_done || n == 0)
		return 0;
	if (n > GZ_CHUNK * 8)
		n = GZ_CHUNK * 8;
	r->z.next_out = buf;
	r->z.avail_out = (uInt)n;
	while (r->z.avail_out == n) {
		ssize_t f = fill(r, err);
		if (f < 0)
			return f;
		if (f == 0)
			return bd_err_setx(
			    err, EIO, "%s: truncated gzip data (member %d ends early at byte %llu)",
			    r->what, r->member, (unsigned long long)r->raw_off);
		unsigned char *before = r->z.next_in;
		int zr = inflate(&r->z, Z_NO_FLUSH);
		size_t used = (size_t)(r->z.next_in - before);
		if (used && r->raw)
			r->raw(r->raw_ctx, r->member, before, used);
		r->raw_off += used;
		if (zr == Z_STREAM_END) {
			r->member_done = true;
			break;
		}
		if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT)
			return bd_err_setx(err, EIO,
			                   "%s: corrupt gzip data in member %d near byte %llu%s%s",
			                   r->what, r->member, (unsigned long long)r->raw_off,
			                   r->z.msg ? ": " : "", r->z.msg ? r->z.msg : "");
		if (zr == Z_MEM_ERROR)
			return bd_err_setx(err, ENOMEM, "%s: inflate: out of memory", r->what);
		if (zr == Z_BUF_ERROR && used == 0 && r->z.avail_in > 0)
			return bd_err_setx(err, EIO, "%s: gzip data makes no progress", r->what);
	}
	size_t got = n - r->z.avail_out;
	r->total_out += got;
	if (r->total_out > r->max_out)
		return bd_err_setx(err, EFBIG, "%s: decompresses to more than %llu bytes", r->what,
		                   (unsigned long long)r->max_out);
	return (ssize_t)got;
}

int
bd_gz_next_member(struct bd_gz_reader *r, struct bd_err *err)
{
	ssize_t f;

	if (!r->member_done)
		return bd_err_setx(err, EINVAL, "%s: member %d not finished", r->what, r->member);
	f = fill(r, err);
	if (f < 0)
		return (int)f;
	if (f == 0)
		return 0;
	/* the next bytes must start a gzip (or zlib) member */
	if (r->z.avail_in >= 1 && r->z.next_in[0] != 0x1f && r->z.next_in[0] != 0x78)
		return bd_err_setx(err, EIO, "%s: garbage after gzip member %d at byte %llu",
		                   r->what, r->member, (unsigned long long)r->raw_off);
	if (inflateReset(&r->z) != Z_OK)
		return bd_err_setx(err, EIO, "%s: inflateReset failed", r->what);
	r->member++;
	r->member_done = false;
	return 1;
}

int
bd_gz_member(const struct bd_gz_reader *r)
{
	return r->member;
}

uint64_t
bd_gz_raw_offset(const struct bd_gz_reader *r)
{
	return r->raw_off;
}
