/* SPDX-License-Identifier: MIT */
/* tar: APK-dialect tar writer and bounded reader (see tar.h). */
#include "apk/tar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ustar header layout (POSIX.1-1988 + GNU magic variant) */
struct ustar {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};

_Static_assert(sizeof(struct ustar) == BD_TAR_BLOCK, "ustar header is one block");

/* PAX extended header contents are bounded: a path, a link and a few
 * checksums never need more. */
#define PAX_MAX (64 * 1024)

static void
put_octal(char *field, size_t width, uint64_t v)
{
	/* width-1 digits, zero-padded, then NUL (GNU tar and apk do the same) */
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), (unsigned long long)v);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

static void
put_str(char *field, size_t width, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	memset(field, 0, width);
	if (n > width)
		n = width;
	if (n)
		memcpy(field, s, n);
}

static void
checksum(struct ustar *h)
{
	const unsigned char *p = (const unsigned char *)h;
	unsigned sum = 0;

	memset(h->chksum, ' ', sizeof(h->chksum));
	for (size_t i = 0; i < sizeof(*h); i++)
		sum += p[i];
	/* six octal digits, NUL, space: the traditional layout */
	snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
	h->chksum[7] = ' ';
}

static void
fill_ustar(struct ustar *u, const char *name, char type, unsigned mode, uint64_t size,
           uint64_t mtime, unsigned uid, unsigned gid, const char *uname, const char *gname,
           const char *linkname, enum bd_tar_magic magic)
{
	memset(u, 0, sizeof(*u));
	put_str(u->name, sizeof(u->name), name);
	put_octal(u->mode, sizeof(u->mode), mode & 07777);
	put_octal(u->uid, sizeof(u->uid), uid);
	put_octal(u->gid, sizeof(u->gid), gid);
	put_octal(u->size, sizeof(u->size), size);
	put_octal(u->mtime, sizeof(u->mtime), mtime);
	u->typeflag = type;
	put_str(u->linkname, sizeof(u->linkname), linkname);
	if (magic == BD_TAR_GNU) {
		memcpy(u->magic, "ustar ", 6);
		memcpy(u->version, " \0", 2);
	} else {
		memcpy(u->magic, "ustar\0", 6);
		memcpy(u->version, "00", 2);
		put_octal(u->devmajor, sizeof(u->devmajor), 0);
		put_octal(u->devminor, sizeof(u->devminor), 0);
	}
	put_str(u->uname, sizeof(u->uname), uname);
	put_str(u->gname, sizeof(u->gname), gname);
	checksum(u);
}

static void
pax_record(struct bd_buf *b, const char *key, const char *value)
{
	/* "<len> key=value\n" where <len> counts its own digits too */
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1;
	size_t len = body + 1, digits = 1;

	for (;;) {
		size_t d = 0;
		for (size_t t = len; t; t /= 10)
			d++;
		if (d == digits)
			break;
		digits = d;
		len = body + digits;
	}
	bd_buf_printf(b, "%zu %s=%s\n", len, key, value);
}

/* Name for the PAX header entry: "<dir>/PaxHeaders/<base>", cut to fit. */
static void
pax_entry_name(char *out, size_t size, const char *name)
{
	const char *slash = strrchr(name, '/');

	if (slash)
		snprintf(out, size, "%.*s/PaxHeaders/%s", (int)(slash - name), name, slash + 1);
	else
		snprintf(out, size, "PaxHeaders/%s", name);
}

int
bd_tar_write_header(struct bd_buf *out, const struct bd_tar_hdr *h, enum bd_tar_magic magic,
                    struct bd_err *err)
{
	const char *link = h->linkname ? h->linkname : "";
	size_t name_len = strlen(h->name), link_len = strlen(link);
	struct ustar u;

	if (name_len == 0)
		return bd_err_setx(err, EINVAL, "tar: empty entry name");
	if (name_len > BD_TAR_PATH_MAX)
		return bd_err_setx(err, ENAMETOOLONG, "%s: path longer than %d bytes", h->name,
		                   BD_TAR_PATH_MAX);
	if (link_len > BD_TAR_PATH_MAX)
		return bd_err_setx(err, ENAMETOOLONG, "%s: link target longer than %d bytes",
		                   h->name, BD_TAR_PATH_MAX);
	if (h->size > BD_TAR_SIZE_MAX)
		return bd_err_setx(err, EFBIG,
		                   "%s: %llu bytes; APK tar entries are limited to %llu", h->name,
		                   (unsigned long long)h->size, BD_TAR_SIZE_MAX);
	if (h->sha1_hex || name_len > sizeof(u.name) || link_len > sizeof(u.linkname)) {
		struct bd_buf pax = { 0 };
		char pname[100];

		if (name_len > sizeof(u.name))
			pax_record(&pax, "path", h->name);
		if (link_len > sizeof(u.linkname))
			pax_record(&pax, "linkpath", link);
		if (h->sha1_hex)
			pax_record(&pax, "APK-TOOLS.checksum.SHA1", h->sha1_hex);
		pax_entry_name(pname, sizeof(pname), h->name);
		fill_ustar(&u, pname, 'x', 0644, pax.len, h->mtime, 0, 0, NULL, NULL, NULL, magic);
		bd_buf_append(out, &u, sizeof(u));
		bd_buf_append(out, pax.data, pax.len);
		bd_tar_write_padding(out, pax.len);
		bd_buf_free(&pax);
	}
	/* the ustar fields hold a truncated name when PAX carries the real one */
	fill_ustar(&u, h->name, h->type, h->mode, h->size, h->mtime, h->uid, h->gid, h->uname,
	           h->gname, link, magic);
	bd_buf_append(out, &u, sizeof(u));
	return 0;
}

int
bd_tar_write_entry(struct bd_buf *out, const struct bd_tar_hdr *h, const void *data,
                   enum bd_tar_magic magic, struct bd_err *err)
{
	int r = bd_tar_write_header(out, h, magic, err);

	if (r < 0)
		return r;
	if (h->size) /* an empty file may come with no buffer at all */
		bd_buf_append(out, data, (size_t)h->size);
	bd_tar_write_padding(out, h->size);
	return 0;
}

void
bd_tar_write_padding(struct bd_buf *out, uint64_t size)
{
	static const char zeros[BD_TAR_BLOCK];
	size_t rem = (size_t)(size % BD_TAR_BLOCK);

	if (rem)
		bd_buf_append(out, zeros, BD_TAR_BLOCK - rem);
}

void
bd_tar_write_end(struct bd_buf *out)
{
	static const char zeros[2 * BD_TAR_BLOCK];

	bd_buf_append(out, zeros, sizeof(zeros));
}

/* ------------------------------------------------------------------ reader */

void
bd_tar_reader_init(struct bd_tar_reader *r, bd_tar_src_fn src, void *ctx, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->src = src;
	r->ctx = ctx;
	r->what = what;
}

static int
src_read(struct bd_tar_reader *r, void *buf, size_t n, struct bd_err *err)
{
	int got = r->src(r->ctx, buf, n, err);

	if (got > 0)
		r->offset += n;
	return got;
}

/* Parse an octal field the way apk does (octal digits, ended by NUL or
 * space, leading spaces allowed).  Base-256 is rejected: apk cannot read it. */
static int
get_octal(const char *field, size_t width, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if ((unsigned char)field[0] & 0x80)
		return -1;
	while (i < width && field[i] == ' ')
		i++;
	for (; i < width; i++) {
		char c = field[i];
		if (c == '\0' || c == ' ')
			break;
		if (c < '0' || c > '7')
			return -1;
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = (v << 3) | (uint64_t)(c - '0');
	}
	*out = v;
	return 0;
}

static bool
is_zero_block(const unsigned char *b)
{
	for (size_t i = 0; i < BD_TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

static bool
checksum_ok(const struct ustar *u)
{
	const unsigned char *p = (const unsigned char *)u;
	uint64_t want;
	unsigned sum = 0;

	if (get_octal(u->chksum, sizeof(u->chksum), &want) < 0)
		return false;
	for (size_t i = 0; i < sizeof(*u); i++)
		sum += (i >= 148 && i < 156) ? ' ' : p[i];
	return sum == want;
}

static void
copy_field(char *dst, size_t dstsize, const char *src, size_t width)
{
	size_t n = strnlen(src, width);

	if (n >= dstsize)
		n = dstsize - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
fail(struct bd_tar_reader *r, struct bd_err *err, uint64_t off, const char *what)
{
	return bd_err_setx(err, EINVAL, "%s: bad tar header at offset %llu: %s", r->what,
	                   (unsigned long long)off, what);
}

static int
read_blob(struct bd_tar_reader *r, uint64_t size, size_t max, struct bd_buf *out, uint64_t off,
          struct bd_err *err)
{
	size_t padded = (size_t)((size + BD_TAR_BLOCK - 1) / BD_TAR_BLOCK * BD_TAR_BLOCK);

	if (size > max)
		return fail(r, err, off, "extended header too large");
	bd_buf_reset(out);
	bd_buf_reserve(out, padded);
	if (padded) {
		int got = src_read(r, out->data, padded, err);
		if (got < 0)
			return got;
		if (got == 0)
			return fail(r, err, off, "truncated extended header");
	}
	out->len = (size_t)size;
	out->data[size] = '\0';
	return 0;
}

/* Apply PAX records that apk understands; others are ignored as apk does. */
static int
apply_pax(struct bd_tar_reader *r, const struct bd_buf *pax, struct bd_tar_entry *e, bool *has_path,
          bool *has_link, uint64_t off, struct bd_err *err)
{
	const char *p = pax->data, *end = pax->data + pax->len;

	while (p < end) {
		uint64_t len = 0;
		const char *q = p;
		while (q < end && *q >= '0' && *q <= '9' && len < PAX_MAX)
			len = len * 10 + (uint64_t)(*q++ - '0');
		if (q >= end || *q != ' ' || len == 0 || len > (uint64_t)(end - p) ||
		    p[len - 1] != '\n')
			return fail(r, err, off, "malformed PAX record");
		const char *key = q + 1, *rec_end = p + len - 1;
		const char *eq = memchr(key, '=', (size_t)(rec_end - key));
		if (!eq)
			return fail(r, err, off, "PAX record without '='");
		size_t klen = (size_t)(eq - key), vlen = (size_t)(rec_end - eq - 1);
		const char *val = eq + 1;
#define KEY_IS(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
		if (KEY_IS("path") || KEY_IS("linkpath")) {
			char *dst = KEY_IS("path") ? e->name : e->linkname;
			if (vlen > BD_TAR_PATH_MAX)
				return fail(r, err, off, "PAX path too long");
			if (memchr(val, '\0', vlen))
				return fail(r, err, off, "NUL byte in PAX path");
			memcpy(dst, val, vlen);
			dst[vlen] = '\0';
			*(KEY_IS("path") ? has_path : has_link) = true;
		} else if (KEY_IS("APK-TOOLS.checksum.SHA1")) {
			if (vlen != 40)
				return fail(r, err, off,
				            "APK-TOOLS.checksum.SHA1 is not 40 hex digits");
			for (size_t i = 0; i < 40; i++) {
				char c = val[i];
				if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
				      (c >= 'A' && c <= 'F')))
					return fail(r, err, off,
					            "APK-TOOLS.checksum.SHA1 is not 40 hex digits");
				e->sha1_hex[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
			}
			e->sha1_hex[40] = '\0';
			e->has_sha1 = true;
		}
#undef KEY_IS
		p += len;
	}
	return 0;
}

int
bd_tar_skip(struct bd_tar_reader *r, struct bd_err *err)
{
	unsigned char buf[16384];

	while (r->data_left + r->pad_left > 0) {
		uint64_t want = r->data_left + r->pad_left;
		size_t n = want > sizeof(buf) ? sizeof(buf) : (size_t)want;
		int got = src_read(r, buf, n, err);
		if (got <= 0)
			return got < 0 ? got
			               : bd_err_setx(err, EIO, "%s: archive ends inside an entry",
			                             r->what);
		if (n <= r->data_left) {
			r->data_left -= n;
		} else {
			r->pad_left -= n - r->data_left;
			r->data_left = 0;
		}
	}
	return 0;
}

ssize_t
bd_tar_read(struct bd_tar_reader *r, void *buf, size_t n, struct bd_err *err)
{
	int got;

	if (r->data_left == 0) {
		if (r->pad_left) {
			int s = bd_tar_skip(r, err);
			if (s < 0)
				return s;
		}
		return 0;
	}
	if (n > r->data_left)
		n = (size_t)r->data_left;
	if (n > (1u << 20))
		n = 1u << 20;
	got = src_read(r, buf, n, err);
	if (got < 0)
		return got;
	if (got == 0)
		return bd_err_setx(err, EIO, "%s: archive ends inside an entry", r->what);
	r->data_left -= n;
	return (ssize_t)n;
}

int
bd_tar_next(struct bd_tar_reader *r, struct bd_tar_entry *e, struct bd_err *err)
{
	struct bd_buf ext = { 0 };
	bool has_path = false, has_link = false, have_pax_sha1 = false;
	char pax_sha1[41] = { 0 };
	unsigned char block[BD_TAR_BLOCK];
	int ret;

	if (r->ended)
		return 0;
	ret = bd_tar_skip(r, err);
	if (ret < 0)
		return ret;
	memset(e, 0, sizeof(*e));
	for (int hops = 0;; hops++) {
		struct ustar *u = (struct ustar *)block;
		uint64_t off = r->offset, size, v;
		int got;

		if (hops > 8) {
			ret = fail(r, err, off, "too many extended headers for one entry");
			goto out;
		}
		got = src_read(r, block, sizeof(block), err);
		if (got < 0) {
			ret = got;
			goto out;
		}
		if (got == 0) {
			/* no end-of-archive marker: apk accepts a data tar without one */
			if (hops == 0) {
				r->ended = true;
				ret = 0;
			} else {
				ret = fail(r, err, off, "archive ends after an extended header");
			}
			goto out;
		}
		/* apk treats a header with an empty name as the end marker */
		if (u->name[0] == '\0') {
			if (!is_zero_block(block)) {
				ret = fail(r, err, off, "header with an empty name");
				goto out;
			}
			if (hops > 0) {
				ret = fail(r, err, off, "end of archive after an extended header");
				goto out;
			}
			r->ended = true;
			ret = 0;
			goto out;
		}
		if (memcmp(u->magic, "ustar", 5) != 0) {
			ret = fail(r, err, off, "not a ustar header (bad magic)");
			goto out;
		}
		if (!checksum_ok(u)) {
			ret = fail(r, err, off, "header checksum mismatch");
			goto out;
		}
		if (get_octal(u->size, sizeof(u->size), &size) < 0) {
			ret = fail(r, err, off, "bad size field");
			goto out;
		}
		switch (u->typeflag) {
		case 'x':
			ret = read_blob(r, size, PAX_MAX, &ext, off, err);
			if (ret < 0)
				goto out;
			ret = apply_pax(r, &ext, e, &has_path, &has_link, off, err);
			if (ret < 0)
				goto out;
			if (e->has_sha1) {
				memcpy(pax_sha1, e->sha1_hex, sizeof(pax_sha1));
				have_pax_sha1 = true;
			}
			continue;
		case 'g':
			/* global headers carry nothing apk uses */
			ret = read_blob(r, size, PAX_MAX, &ext, off, err);
			if (ret < 0)
				goto out;
			continue;
		case 'L':
		case 'K': {
			/* GNU long name / long link: the next header's name */
			char *dst = u->typeflag == 'L' ? e->name : e->linkname;
			if (size > BD_TAR_PATH_MAX + 1) {
				ret = fail(r, err, off, "GNU long name too long");
				goto out;
			}
			ret = read_blob(r, size, BD_TAR_PATH_MAX + 1, &ext, off, err);
			if (ret < 0)
				goto out;
			copy_field(dst, BD_TAR_PATH_MAX + 1, ext.data, ext.len);
			*(u->typeflag == 'L' ? &has_path : &has_link) = true;
			continue;
		}
		default:
			break;
		}
		/* a regular header: take what PAX and GNU headers did not set */
		e->offset = off;
		if (!has_path) {
			if (u->prefix[0] && memcmp(u->magic, "ustar\0", 6) == 0) {
				char pre[156], nm[101];
				copy_field(pre, sizeof(pre), u->prefix, sizeof(u->prefix));
				copy_field(nm, sizeof(nm), u->name, sizeof(u->name));
				snprintf(e->name, sizeof(e->name), "%s/%s", pre, nm);
			} else {
				copy_field(e->name, sizeof(e->name), u->name, sizeof(u->name));
			}
		}
		if (!has_link)
			copy_field(e->linkname, sizeof(e->linkname), u->linkname,
			           sizeof(u->linkname));
		if (e->name[0] == '\0') {
			ret = fail(r, err, off, "empty path");
			goto out;
		}
		if (get_octal(u->mode, sizeof(u->mode), &v) < 0) {
			ret = fail(r, err, off, "bad mode field");
			goto out;
		}
		e->mode = (unsigned)(v & 07777);
		if (get_octal(u->uid, sizeof(u->uid), &v) < 0 || v > UINT32_MAX) {
			ret = fail(r, err, off, "bad uid field");
			goto out;
		}
		e->uid = (unsigned)v;
		if (get_octal(u->gid, sizeof(u->gid), &v) < 0 || v > UINT32_MAX) {
			ret = fail(r, err, off, "bad gid field");
			goto out;
		}
		e->gid = (unsigned)v;
		if (get_octal(u->mtime, sizeof(u->mtime), &e->mtime) < 0) {
			ret = fail(r, err, off, "bad mtime field");
			goto out;
		}
		copy_field(e->uname, sizeof(e->uname), u->uname, sizeof(u->uname));
		copy_field(e->gname, sizeof(e->gname), u->gname, sizeof(u->gname));
		e->type = u->typeflag == '\0' || u->typeflag == '7' ? '0' : u->typeflag;
		e->size = size;
		/* links, directories and special files have no content in apk's view */
		if (e->type == '1' || e->type == '2' || e->type == '5' || e->type == '3' ||
		    e->type == '4' || e->type == '6')
			e->size = size = 0;
		if (have_pax_sha1) {
			memcpy(e->sha1_hex, pax_sha1, sizeof(pax_sha1));
			e->has_sha1 = true;
		}
		r->data_left = size;
		r->pad_left = (BD_TAR_BLOCK - size % BD_TAR_BLOCK) % BD_TAR_BLOCK;
		ret = 1;
		goto out;
	}
out:
	bd_buf_free(&ext);
	return ret;
}
