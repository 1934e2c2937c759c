/* SPDX-License-Identifier: MIT */
/* arena: bump allocator for everything one recipe compilation owns.
 *
 * A recipe's YAML tree, its decoded model and every substituted string are
 * allocated here and released together with bd_arena_free(), so the loader
 * and the compiler never track individual lifetimes (and error paths leak
 * nothing).  Allocation never fails: out of memory aborts (bd_xmalloc). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct bd_arena_chunk;

struct bd_arena {
	struct bd_arena_chunk *head;
	size_t total; /* bytes handed out, for limits and statistics */
};

/* Zeroed, 16-byte aligned memory valid until bd_arena_free(). */
void *bd_arena_alloc(struct bd_arena *a, size_t n) __attribute__((malloc));
/* Array of @nmemb zeroed elements; aborts on overflow. */
void *bd_arena_array(struct bd_arena *a, size_t nmemb, size_t size) __attribute__((malloc));
char *bd_arena_strndup(struct bd_arena *a, const char *s, size_t n);
char *bd_arena_strdup(struct bd_arena *a, const char *s);
char *bd_arena_printf(struct bd_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bd_arena_free(struct bd_arena *a);
