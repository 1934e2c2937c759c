/* SPDX-License-Identifier: MIT */
/* json: builderd's JSON values, backed by jansson.  The only place jansson
 * types appear; the daemon, the CLI and the API encoders use this.
 *
 * Values are reference-free trees: a value added to an object or array is
 * owned by it (the "steal" convention), so building a document needs no
 * explicit frees except of the root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

struct bd_json;

struct bd_json *bd_json_object(void);
struct bd_json *bd_json_array(void);
/* Strings are copied; bytes that are not valid UTF-8 are replaced with
 * U+FFFD so that any file name can be reported. */
struct bd_json *bd_json_string(const char *s);
struct bd_json *bd_json_stringn(const char *s, size_t n);
struct bd_json *bd_json_int(int64_t v);
struct bd_json *bd_json_real(double v);
struct bd_json *bd_json_bool(bool v);
struct bd_json *bd_json_null(void);

/* Add @val to @obj under @key / to @arr; takes ownership of @val. */
void bd_json_set(struct bd_json *obj, const char *key, struct bd_json *val);
void bd_json_append(struct bd_json *arr, struct bd_json *val);
/* An array of the strings of @sv. */
struct bd_json *bd_json_strv(const struct bd_strv *sv);
/* Shorthands: set a string (NULL sets null) or an integer. */
void bd_json_set_str(struct bd_json *obj, const char *key, const char *s);
void bd_json_set_int(struct bd_json *obj, const char *key, int64_t v);
void bd_json_set_bool(struct bd_json *obj, const char *key, bool v);

/* Serialise: compact, or indented with 2 spaces.  Keys keep insertion
 * order.  Returns a malloc'd string. */
char *bd_json_dump(const struct bd_json *j, bool pretty);
void bd_json_free(struct bd_json *j);

/* Parse @len bytes; errors name the line and column.  Nesting is bounded. */
struct bd_json *bd_json_parse(const char *text, size_t len, struct bd_err *err);

/* Read access (NULL / defaults when absent or of another type). */
const struct bd_json *bd_json_get(const struct bd_json *obj, const char *key);
bool bd_json_is_object(const struct bd_json *j);
bool bd_json_is_array(const struct bd_json *j);
bool bd_json_is_string(const struct bd_json *j);
bool bd_json_is_int(const struct bd_json *j);
bool bd_json_is_bool(const struct bd_json *j);
bool bd_json_is_null(const struct bd_json *j);
const char *bd_json_str(const struct bd_json *j); /* NULL if not a string */
size_t bd_json_str_len(const struct bd_json *j);
int64_t bd_json_int_value(const struct bd_json *j);   /* 0 if not an integer */
double bd_json_number_value(const struct bd_json *j); /* integer or real; 0 otherwise */
bool bd_json_bool_value(const struct bd_json *j);
size_t bd_json_array_size(const struct bd_json *j);
const struct bd_json *bd_json_array_get(const struct bd_json *j, size_t i);
/* Iterate an object's keys: returns the key at position @i or NULL. */
const char *bd_json_object_key(const struct bd_json *obj, size_t i, const struct bd_json **val);
