/* SPDX-License-Identifier: MIT */
/* base64: standard alphabet, padded (RFC 4648 section 4). */
#include "common/base64.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
bd_base64_encode(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *out = bd_xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

long
bd_base64_decode(const char *in, size_t n, char **out)
{
	char *buf, *o;

	*out = NULL;
	if (n % 4 != 0)
		return -1;
	buf = o = bd_xmalloc(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i += 4) {
		int a = b64val(in[i]), b = b64val(in[i + 1]);
		int c = in[i + 2] == '=' ? -2 : b64val(in[i + 2]);
		int d = in[i + 3] == '=' ? -2 : b64val(in[i + 3]);
		bool last = i + 4 == n;
		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    ((c == -2 || d == -2) && !last)) {
			free(buf);
			return -1;
		}
		unsigned v = (unsigned)a << 18 | (unsigned)b << 12 |
		             (c >= 0 ? (unsigned)c << 6 : 0) | (d >= 0 ? (unsigned)d : 0);
		*o++ = (char)(v >> 16);
		if (c >= 0)
			*o++ = (char)(v >> 8);
		if (d >= 0)
			*o++ = (char)v;
	}
	*o = '\0';
	*out = buf;
	return o - buf;
}
