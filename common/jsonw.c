/* SPDX-License-Identifier: MIT */
/* json: streaming JSON writer (see json.h). */
#include "common/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
bd_jw_init(struct bd_jw *j, struct bd_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

static void
indent(struct bd_jw *j)
{
	bd_buf_putc(j->b, '\n');
	for (int i = 0; i < j->depth; i++)
		bd_buf_puts(j->b, "  ");
}

/* Separator and indentation before a value or a key. */
static void
before(struct bd_jw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->empty[j->depth - 1])
			bd_buf_putc(j->b, ',');
		j->empty[j->depth - 1] = false;
		indent(j);
	}
}

static void
open_c(struct bd_jw *j, char ch)
{
	before(j);
	bd_buf_putc(j->b, ch);
	BD_ASSERT(j->depth < BD_JSON_MAX_DEPTH);
	j->empty[j->depth++] = true;
}

static void
close_c(struct bd_jw *j, char ch)
{
	BD_ASSERT(j->depth > 0);
	bool was_empty = j->empty[--j->depth];
	if (!was_empty)
		indent(j);
	bd_buf_putc(j->b, ch);
	if (j->depth == 0)
		bd_buf_putc(j->b, '\n');
}

void
bd_jw_obj(struct bd_jw *j)
{
	open_c(j, '{');
}

void
bd_jw_obj_end(struct bd_jw *j)
{
	close_c(j, '}');
}

void
bd_jw_arr(struct bd_jw *j)
{
	open_c(j, '[');
}

void
bd_jw_arr_end(struct bd_jw *j)
{
	close_c(j, ']');
}

void
bd_jw_key(struct bd_jw *j, const char *key)
{
	before(j);
	bd_jw_escape(j->b, key);
	bd_buf_puts(j->b, ": ");
	j->after_key = true;
}

void
bd_jw_escape(struct bd_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	bd_buf_putc(b, '"');
	while (*p) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\') {
			bd_buf_putc(b, '\\');
			bd_buf_putc(b, (char)ch);
			p++;
		} else if (ch < 0x20 || ch == 0x7f) {
			switch (ch) {
			case '\b':
				bd_buf_puts(b, "\\b");
				break;
			case '\f':
				bd_buf_puts(b, "\\f");
				break;
			case '\n':
				bd_buf_puts(b, "\\n");
				break;
			case '\r':
				bd_buf_puts(b, "\\r");
				break;
			case '\t':
				bd_buf_puts(b, "\\t");
				break;
			default:
				bd_buf_puts(b, "\\u00");
				bd_buf_putc(b, hex[ch >> 4]);
				bd_buf_putc(b, hex[ch & 15]);
				break;
			}
			p++;
		} else if (ch < 0x80) {
			bd_buf_putc(b, (char)ch);
			p++;
		} else {
			/* copy a well-formed UTF-8 sequence, else U+FFFD */
			size_t n = 0;
			unsigned cp = 0;
			if (ch >= 0xc2 && ch <= 0xdf) {
				n = 2;
				cp = ch & 0x1f;
			} else if (ch >= 0xe0 && ch <= 0xef) {
				n = 3;
				cp = ch & 0x0f;
			} else if (ch >= 0xf0 && ch <= 0xf4) {
				n = 4;
				cp = ch & 0x07;
			}
			bool ok = n > 0;
			for (size_t i = 1; ok && i < n; i++) {
				if ((p[i] & 0xc0) != 0x80)
					ok = false;
				else
					cp = (cp << 6) | (p[i] & 0x3f);
			}
			if (ok && ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			           (n == 4 && (cp < 0x10000 || cp > 0x10ffff))))
				ok = false;
			if (ok) {
				bd_buf_append(b, p, n);
				p += n;
			} else {
				bd_buf_puts(b, "\\ufffd");
				p++;
			}
		}
	}
	bd_buf_putc(b, '"');
}

void
bd_jw_str(struct bd_jw *j, const char *s)
{
	before(j);
	if (!s)
		bd_buf_puts(j->b, "null");
	else
		bd_jw_escape(j->b, s);
}

void
bd_jw_u64(struct bd_jw *j, uint64_t v)
{
	before(j);
	bd_buf_printf(j->b, "%" PRIu64, v);
}

void
bd_jw_i64(struct bd_jw *j, int64_t v)
{
	before(j);
	bd_buf_printf(j->b, "%" PRId64, v);
}

void
bd_jw_bool(struct bd_jw *j, bool v)
{
	before(j);
	bd_buf_puts(j->b, v ? "true" : "false");
}

void
bd_jw_null(struct bd_jw *j)
{
	before(j);
	bd_buf_puts(j->b, "null");
}
