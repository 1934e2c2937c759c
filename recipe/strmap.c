/* SPDX-License-Identifier: MIT */
/* strmap: hash map (see strmap.h). */
#include "recipe/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

uint64_t
bd_strmap_hash(const char *key, size_t klen)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < klen; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct bd_strmap_ent *
bd_strmap_find(const struct bd_strmap *m, const char *key, size_t klen)
{
	if (!m->cap)
		return NULL;
	uint64_t h = bd_strmap_hash(key, klen);
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct bd_strmap_ent *e = &m->v[i];
		if (!e->key)
			return NULL;
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	}
}

void *
bd_strmap_get(const struct bd_strmap *m, const char *key, size_t klen)
{
	struct bd_strmap_ent *e = bd_strmap_find(m, key, klen);

	return e ? e->val : NULL;
}

static void
strmap_grow(struct bd_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	struct bd_strmap_ent *nv = bd_xcalloc(ncap, sizeof(*nv));

	for (size_t i = 0; i < m->cap; i++) {
		struct bd_strmap_ent *e = &m->v[i];
		if (!e->key)
			continue;
		size_t j = (size_t)e->hash & (ncap - 1);
		while (nv[j].key)
			j = (j + 1) & (ncap - 1);
		nv[j] = *e;
	}
	free(m->v);
	m->v = nv;
	m->cap = ncap;
}

void *
bd_strmap_put(struct bd_strmap *m, const char *key, size_t klen, void *val)
{
	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	uint64_t h = bd_strmap_hash(key, klen);
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct bd_strmap_ent *e = &m->v[i];
		if (!e->key) {
			*e = (struct bd_strmap_ent){
				.key = key, .klen = klen, .hash = h, .val = val
			};
			m->n++;
			return NULL;
		}
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0) {
			void *old = e->val;
			e->val = val;
			return old;
		}
	}
}

void
bd_strmap_free(struct bd_strmap *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}
