/* SPDX-License-Identifier: MIT */
/* arena: bump allocator (see arena.h).
 *
 * Chunks grow geometrically from 16 KiB to 1 MiB; a request larger than a
 * chunk gets a chunk of its own, so no size is refused and waste stays low. */
#include "recipe/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct bd_arena_chunk {
	struct bd_arena_chunk *next;
	size_t size; /* usable bytes in data[] */
	size_t used;
	_Alignas(16) unsigned char data[];
};

#define ARENA_MIN_CHUNK ((size_t)16 << 10)
#define ARENA_MAX_CHUNK ((size_t)1 << 20)

void *
bd_arena_alloc(struct bd_arena *a, size_t n)
{
	struct bd_arena_chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;

	if (need < n)
		BD_ASSERT(!"arena allocation size overflow");
	if (!c || c->size - c->used < need) {
		size_t size = c ? c->size * 2 : ARENA_MIN_CHUNK;
		if (size > ARENA_MAX_CHUNK)
			size = ARENA_MAX_CHUNK;
		if (size < need)
			size = need;
		c = bd_xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		/* a big one-off chunk goes behind the current one so the
		 * current chunk's free space is not abandoned */
		if (a->head && need > ARENA_MAX_CHUNK / 4) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

void *
bd_arena_array(struct bd_arena *a, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		BD_ASSERT(!"arena array size overflow");
	return bd_arena_alloc(a, nmemb * size);
}

char *
bd_arena_strndup(struct bd_arena *a, const char *s, size_t n)
{
	char *p = bd_arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
bd_arena_strdup(struct bd_arena *a, const char *s)
{
	return bd_arena_strndup(a, s, strlen(s));
}

char *
bd_arena_printf(struct bd_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *tmp, *r;

	va_start(ap, fmt);
	tmp = bd_xvasprintf(fmt, ap);
	va_end(ap);
	r = bd_arena_strdup(a, tmp);
	free(tmp);
	return r;
}

void
bd_arena_free(struct bd_arena *a)
{
	struct bd_arena_chunk *c = a->head;

	while (c) {
		struct bd_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
