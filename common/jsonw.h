/* SPDX-License-Identifier: MIT */
/* jsonw: a small streaming JSON writer, for modules that only emit JSON
 * (recipe/'s plan rendering, apk/'s SBOM).
 *
 * jansson belongs to proto/ (one library per module), and these outputs
 * need no parsing, so they share this writer: objects, arrays, strings,
 * integers and booleans, pretty-printed with two-space indents.  Strings
 * are escaped per RFC 8259; bytes that are not valid UTF-8 become U+FFFD,
 * so the output is always valid JSON. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

#define BD_JSON_MAX_DEPTH 32

struct bd_jw {
	struct bd_buf *b;
	int depth;
	bool empty[BD_JSON_MAX_DEPTH]; /* nothing written yet in this container */
	bool after_key;
};

void bd_jw_init(struct bd_jw *j, struct bd_buf *b);
void bd_jw_obj(struct bd_jw *j);
void bd_jw_obj_end(struct bd_jw *j);
void bd_jw_arr(struct bd_jw *j);
void bd_jw_arr_end(struct bd_jw *j);
void bd_jw_key(struct bd_jw *j, const char *key);
/* A string, or null for NULL. */
void bd_jw_str(struct bd_jw *j, const char *s);
void bd_jw_u64(struct bd_jw *j, uint64_t v);
void bd_jw_i64(struct bd_jw *j, int64_t v);
void bd_jw_bool(struct bd_jw *j, bool v);
void bd_jw_null(struct bd_jw *j);
/* Append @s as a quoted, escaped JSON string. */
void bd_jw_escape(struct bd_buf *b, const char *s);
