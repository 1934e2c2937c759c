/* SPDX-License-Identifier: MIT */
/* yaml: libyaml event stream to a node tree that keeps every scalar's text.
 *
 * No type resolution happens here: `version: 1.10` is the scalar "1.10",
 * `extract: false` is "false" (melange decodes recipes into Go strings, which
 * keep the source text).  Every node carries its 1-based line and column.
 * Hostile input is bounded before it can cost much: the file size, the
 * nesting depth and the number of nodes (alias expansions included, so a
 * "billion laughs" document stops at the first alias that would exceed the
 * budget) are limited.  Aliases share the anchored node instead of copying
 * it, and `<<` merge keys are applied as yaml.v3 does.  libyaml is used
 * only in this file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recipe/arena.h"
#include "recipe/diag.h"

enum bd_ykind {
	BD_Y_SCALAR = 0,
	BD_Y_MAP = 1,
	BD_Y_SEQ = 2,
};

enum bd_ystyle {
	BD_YS_PLAIN = 0,
	BD_YS_SINGLE = 1,   /* 'single quoted' */
	BD_YS_DOUBLE = 2,   /* "double quoted" */
	BD_YS_LITERAL = 3,  /* | block */
	BD_YS_FOLDED = 4,   /* > block */
	BD_YS_BLOCK = 5,    /* block collection */
	BD_YS_FLOWCOLL = 6, /* {flow} or [flow] collection */
};

struct bd_ynode {
	uint8_t kind;  /* enum bd_ykind */
	uint8_t style; /* enum bd_ystyle */
	bool null;     /* ~, null, an empty plain scalar, or !!null */
	uint32_t line, col;
	uint32_t n;              /* sequence items, or mapping pairs */
	uint64_t weight;         /* nodes in this subtree, alias expansions included */
	const char *s;           /* scalar value, NUL-terminated ("" for collections) */
	size_t len;              /* scalar length */
	const char *tag;         /* explicit tag, or NULL */
	struct bd_ynode **items; /* sequence: n items; mapping: key0, value0, key1, ... */
};

struct bd_yaml_limits {
	size_t max_bytes; /* 0 = BD_YAML_MAX_BYTES */
	size_t max_depth; /* 0 = BD_YAML_MAX_DEPTH */
	size_t max_nodes; /* 0 = BD_YAML_MAX_NODES */
};

#define BD_YAML_MAX_BYTES ((size_t)4 << 20) /* the largest Wolfi recipe is 68 KB */
#define BD_YAML_MAX_DEPTH 64                /* Wolfi's deepest recipe nests 11 levels */
#define BD_YAML_MAX_NODES 250000            /* Wolfi's largest recipe has about 6,000 */

struct bd_ydoc {
	struct bd_arena *arena; /* owns everything below */
	const char *file;       /* name used in messages */
	const char *src;        /* the source bytes (arena copy, NUL-terminated) */
	size_t len;
	struct bd_ynode *root; /* NULL for an empty document */
	size_t nodes;          /* weight of the whole document */
	size_t *line_off;      /* line start offsets, built on demand */
	size_t nlines;
};

/* Parse @buf into @doc (allocated in @a).  Problems go to @d with @file
 * positions.  Returns 0, or -1 if the document could not be loaded. */
int bd_yaml_parse(struct bd_arena *a, const char *file, const char *buf, size_t len,
                  const struct bd_yaml_limits *lim, struct bd_ydoc *doc, struct bd_diags *d);

/* Mapping lookup: the value node for @key, or NULL. */
const struct bd_ynode *bd_ynode_get(const struct bd_ynode *map, const char *key);

/* The source position of byte @off of scalar @n's value: exact for literal
 * block scalars and for single-line scalars without escapes, otherwise the
 * scalar's own position. */
void bd_ydoc_value_pos(struct bd_ydoc *doc, const struct bd_ynode *n, size_t off, unsigned *line,
                       unsigned *col);

/* "a mapping", "a sequence", "a string", for messages. */
const char *bd_ynode_kind_name(const struct bd_ynode *n);
