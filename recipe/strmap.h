/* SPDX-License-Identifier: MIT */
/* strmap: open-addressing hash map from byte strings to pointers.
 *
 * Used for YAML anchors, substitution scopes and the pipeline cache.  Keys
 * are not copied: the caller keeps them alive (usually in an arena) for the
 * map's lifetime.  FNV-1a hashing with linear probing; the table doubles at
 * 50% load, so lookups stay O(1) even for hostile inputs with many keys. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bd_strmap_ent {
	const char *key; /* NULL = empty slot */
	size_t klen;
	uint64_t hash;
	void *val;
};

struct bd_strmap {
	struct bd_strmap_ent *v;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

uint64_t bd_strmap_hash(const char *key, size_t klen);

/* The value for @key, or NULL. */
void *bd_strmap_get(const struct bd_strmap *m, const char *key, size_t klen);
/* The entry for @key, or NULL. */
struct bd_strmap_ent *bd_strmap_find(const struct bd_strmap *m, const char *key, size_t klen);
/* Insert or replace; returns the previous value or NULL. */
void *bd_strmap_put(struct bd_strmap *m, const char *key, size_t klen, void *val);
void bd_strmap_free(struct bd_strmap *m);
