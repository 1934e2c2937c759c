/* SPDX-License-Identifier: MIT */
/* json: thin ownership-safe wrapper over jansson (see json.h).
 * struct bd_json is jansson's json_t; the cast stays in this file. */
#include "proto/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/util.h"

#define J(x) ((json_t *)(x))
#define CJ(x) ((const json_t *)(x))
#define B(x) ((struct bd_json *)(x))

static json_t *
checked(json_t *j)
{
	if (!j) {
		fprintf(stderr, "builderd: out of memory (json)\n");
		abort();
	}
	return j;
}

struct bd_json *
bd_json_object(void)
{
	return B(checked(json_object()));
}

struct bd_json *
bd_json_array(void)
{
	return B(checked(json_array()));
}

/* Copy @s replacing every byte sequence that is not UTF-8 with U+FFFD. */
static char *
sanitize_utf8(const char *s, size_t n, size_t *outlen)
{
	struct bd_buf b = { 0 };
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p;
		size_t len = c < 0x80         ? 1
		             : (c >> 5) == 6  ? 2
		             : (c >> 4) == 14 ? 3
		             : (c >> 3) == 30 ? 4
		                              : 0;
		bool ok = len > 0 && (size_t)(end - p) >= len && c != 0;
		for (size_t i = 1; ok && i < len; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (ok && len == 2 && c < 0xc2)
			ok = false; /* overlong */
		if (ok && len == 3) {
			unsigned cp = ((c & 0x0f) << 12) | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);
			ok = cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff);
		}
		if (ok && len == 4) {
			unsigned cp = ((c & 0x07) << 18) | ((p[1] & 0x3f) << 12) |
			              ((p[2] & 0x3f) << 6) | (p[3] & 0x3f);
			ok = cp >= 0x10000 && cp <= 0x10ffff;
		}
		if (ok) {
			bd_buf_append(&b, p, len);
			p += len;
		} else {
			bd_buf_append(&b, "\xef\xbf\xbd", 3);
			p++;
		}
	}
	*outlen = b.len;
	return bd_buf_steal(&b);
}

struct bd_json *
bd_json_stringn(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);

	if (!j) {
		size_t len;
		char *clean = sanitize_utf8(s, n, &len);
		j = json_stringn(clean, len);
		free(clean);
	}
	return B(checked(j));
}

struct bd_json *
bd_json_string(const char *s)
{
	return bd_json_stringn(s, strlen(s));
}

struct bd_json *
bd_json_int(int64_t v)
{
	return B(checked(json_integer((json_int_t)v)));
}

struct bd_json *
bd_json_real(double v)
{
	return B(checked(json_real(v)));
}

struct bd_json *
bd_json_bool(bool v)
{
	return B(json_boolean(v));
}

struct bd_json *
bd_json_null(void)
{
	return B(json_null());
}

void
bd_json_set(struct bd_json *obj, const char *key, struct bd_json *val)
{
	if (json_object_set_new(J(obj), key, J(val)) < 0) {
		fprintf(stderr, "builderd: json: cannot set key %s\n", key);
		abort();
	}
}

void
bd_json_append(struct bd_json *arr, struct bd_json *val)
{
	if (json_array_append_new(J(arr), J(val)) < 0) {
		fprintf(stderr, "builderd: json: cannot append\n");
		abort();
	}
}

struct bd_json *
bd_json_strv(const struct bd_strv *sv)
{
	struct bd_json *a = bd_json_array();

	for (size_t i = 0; i < sv->n; i++)
		bd_json_append(a, bd_json_string(sv->v[i]));
	return a;
}

void
bd_json_set_str(struct bd_json *obj, const char *key, const char *s)
{
	bd_json_set(obj, key, s ? bd_json_string(s) : bd_json_null());
}

void
bd_json_set_int(struct bd_json *obj, const char *key, int64_t v)
{
	bd_json_set(obj, key, bd_json_int(v));
}

void
bd_json_set_bool(struct bd_json *obj, const char *key, bool v)
{
	bd_json_set(obj, key, bd_json_bool(v));
}

char *
bd_json_dump(const struct bd_json *j, bool pretty)
{
	size_t flags =
	    JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
	char *s = json_dumps(CJ(j), flags);

	if (!s) {
		fprintf(stderr, "builderd: out of memory (json dump)\n");
		abort();
	}
	return s;
}

void
bd_json_free(struct bd_json *j)
{
	json_decref(J(j));
}

struct bd_json *
bd_json_parse(const char *text, size_t len, struct bd_err *err)
{
	json_error_t je;
	json_t *j;

	/* jansson bounds nesting depth itself (JSON_PARSER_MAX_DEPTH) */
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		bd_err_setx(err, EINVAL, "invalid JSON at line %d column %d: %s", je.line,
		            je.column, je.text);
		return NULL;
	}
	return B(j);
}

const struct bd_json *
bd_json_get(const struct bd_json *obj, const char *key)
{
	if (!obj || !json_is_object(CJ(obj)))
		return NULL;
	return B(json_object_get(CJ(obj), key));
}

bool
bd_json_is_object(const struct bd_json *j)
{
	return j && json_is_object(CJ(j));
}

bool
bd_json_is_array(const struct bd_json *j)
{
	return j && json_is_array(CJ(j));
}

bool
bd_json_is_string(const struct bd_json *j)
{
	return j && json_is_string(CJ(j));
}

bool
bd_json_is_int(const struct bd_json *j)
{
	return j && json_is_integer(CJ(j));
}

bool
bd_json_is_bool(const struct bd_json *j)
{
	return j && json_is_boolean(CJ(j));
}

bool
bd_json_is_null(const struct bd_json *j)
{
	return j && json_is_null(CJ(j));
}

const char *
bd_json_str(const struct bd_json *j)
{
	return j && json_is_string(CJ(j)) ? json_string_value(CJ(j)) : NULL;
}

size_t
bd_json_str_len(const struct bd_json *j)
{
	return j && json_is_string(CJ(j)) ? json_string_length(CJ(j)) : 0;
}

int64_t
bd_json_int_value(const struct bd_json *j)
{
	return j && json_is_integer(CJ(j)) ? (int64_t)json_integer_value(CJ(j)) : 0;
}

double
bd_json_number_value(const struct bd_json *j)
{
	return j && json_is_number(CJ(j)) ? json_number_value(CJ(j)) : 0.0;
}

bool
bd_json_bool_value(const struct bd_json *j)
{
	return j && json_is_true(CJ(j));
}

size_t
bd_json_array_size(const struct bd_json *j)
{
	return j && json_is_array(CJ(j)) ? json_array_size(CJ(j)) : 0;
}

const struct bd_json *
bd_json_array_get(const struct bd_json *j, size_t i)
{
	return j && json_is_array(CJ(j)) ? B(json_array_get(CJ(j), i)) : NULL;
}

const char *
bd_json_object_key(const struct bd_json *obj, size_t i, const struct bd_json **val)
{
	const char *key;
	json_t *v;
	size_t k = 0;

	if (!obj || !json_is_object(CJ(obj)))
		return NULL;
	json_object_foreach((json_t *)(uintptr_t)CJ(obj), key, v)
	{
		if (k++ == i) {
			if (val)
				*val = B(v);
			return key;
		}
	}
	return NULL;
}
