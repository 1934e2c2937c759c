/* SPDX-License-Identifier: MIT */
/* yaml: libyaml events to a bounded node tree (see yaml.h).
 *
 * The parser keeps a stack of open collections; each finished node records
 * its weight (1 + the weight of its children, an alias counting as the
 * whole anchored subtree).  The running total is checked on every node and
 * every alias, so the cost of a document is bounded by the limits before
 * anything downstream walks it.  Anchors live in a hash map, so documents
 * with many anchors stay linear. */
#include "recipe/yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/util.h"
#include "recipe/strmap.h"

struct yframe {
	struct bd_ynode *node;
	struct bd_ynode **items;
	size_t n, cap;
	const char *anchor; /* anchor being defined by this collection */
};

struct yanchor {
	struct bd_ynode *node;
	bool done; /* false while the anchored collection is still open */
};

struct yparse {
	struct bd_arena *a;
	struct bd_ydoc *doc;
	struct bd_diags *d;
	size_t max_depth, max_nodes;
	struct yframe *stack;
	size_t depth, stack_cap;
	struct bd_strmap anchors;
	uint64_t total;
	bool failed;
};

static void yerr(struct yparse *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
yerr(struct yparse *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);
	bd_diags_add(p->d, BD_DIAG_ERROR, p->doc->file, line, col, "%s", msg);
	free(msg);
	p->failed = true;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static bool
charge(struct yparse *p, uint64_t w, const yaml_mark_t *m, bool alias)
{
	p->total = sat_add(p->total, w);
	if (p->total <= p->max_nodes)
		return true;
	if (alias)
		yerr(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
		     "alias expansion makes the document larger than the limit of %zu nodes "
		     "(a \"billion laughs\" document?)",
		     p->max_nodes);
	else
		yerr(p, (unsigned)m->line + 1, (unsigned)m->column + 1,
		     "document has more than the limit of %zu nodes", p->max_nodes);
	return false;
}

static bool
is_null_scalar(const struct bd_ynode *n)
{
	if (n->tag)
		return strcmp(n->tag, "tag:yaml.org,2002:null") == 0;
	if (n->style != BD_YS_PLAIN)
		return false;
	return n->len == 0 || strcmp(n->s, "~") == 0 || strcmp(n->s, "null") == 0 ||
	       strcmp(n->s, "Null") == 0 || strcmp(n->s, "NULL") == 0;
}

static const char *
std_tag(struct yparse *p, const yaml_char_t *tag, bool implicit)
{
	if (!tag || implicit)
		return NULL;
	/* the non-specific tag "!" only forces a string */
	if (strcmp((const char *)tag, "!") == 0)
		return NULL;
	return bd_arena_strdup(p->a, (const char *)tag);
}

/* Add a finished node to the collection on top of the stack (or make it
 * the root). */
static void
attach(struct yparse *p, struct bd_ynode *n)
{
	if (!p->depth) {
		p->doc->root = n;
		return;
	}
	struct yframe *f = &p->stack[p->depth - 1];
	f->items = bd_grow(f->items, &f->cap, f->n + 1, sizeof(*f->items), 8);
	f->items[f->n++] = n;
	f->node->weight = sat_add(f->node->weight, n->weight);
}

static const char *
define_anchor(struct yparse *p, const yaml_char_t *anchor, struct bd_ynode *n, bool done)
{
	if (!anchor)
		return NULL;
	const char *name = bd_arena_strdup(p->a, (const char *)anchor);
	struct yanchor *an = bd_arena_alloc(p->a, sizeof(*an));
	an->node = n;
	an->done = done;
	/* redefinition is allowed in YAML: the newest wins */
	bd_strmap_put(&p->anchors, name, strlen(name), an);
	return name;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct bd_ynode *x = *(struct bd_ynode *const *)a;
	const struct bd_ynode *y = *(struct bd_ynode *const *)b;

	return strcmp(x->s, y->s);
}

static bool
is_merge_key(const struct bd_ynode *k)
{
	return k->kind == BD_Y_SCALAR && k->style == BD_YS_PLAIN && !k->tag && k->len == 2 &&
	       memcmp(k->s, "<<", 2) == 0;
}

/* Look for duplicate keys among @n pairs; O(n log n) for big mappings. */
static bool
check_duplicates(struct yparse *p, struct bd_ynode **items, size_t n)
{
	if (n < 2)
		return true;
	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (strcmp(items[2 * i]->s, items[2 * j]->s) == 0) {
					const struct bd_ynode *k = items[2 * j];
					yerr(p, k->line, k->col,
					     "mapping key \"%s\" already defined at line %u", k->s,
					     items[2 * i]->line);
					return false;
				}
		return true;
	}
	struct bd_ynode **keys = bd_xmalloc(n * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = items[2 * i];
	qsort(keys, n, sizeof(*keys), key_cmp);
	bool ok = true;
	for (size_t i = 1; i < n && ok; i++)
		if (strcmp(keys[i - 1]->s, keys[i]->s) == 0) {
			const struct bd_ynode *k =
			    keys[i]->line > keys[i - 1]->line ? keys[i] : keys[i - 1];
			yerr(p, k->line, k->col, "mapping key \"%s\" already defined", k->s);
			ok = false;
		}
	free(keys);
	return ok;
}

static bool
has_key(struct bd_ynode **items, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[2 * i]->s, key) == 0)
			return true;
	return false;
}

/* Finish a mapping: reject complex keys and duplicates, apply `<<`. */
static void
finish_mapping(struct yparse *p, struct yframe *f)
{
	struct bd_ynode *m = f->node;
	size_t npairs = f->n / 2;
	struct bd_ynode **own = bd_arena_array(p->a, f->n ? f->n : 1, sizeof(*own));
	struct bd_ynode *merges[64];
	size_t nown = 0, nmerge = 0;

	for (size_t i = 0; i < npairs; i++) {
		struct bd_ynode *k = f->items[2 * i], *v = f->items[2 * i + 1];
		if (k->kind != BD_Y_SCALAR) {
			yerr(p, k->line, k->col, "mapping keys must be scalars, not %s",
			     bd_ynode_kind_name(k));
			continue;
		}
		if (is_merge_key(k)) {
			if (v->kind == BD_Y_MAP) {
				if (nmerge < BD_ARRAY_SIZE(merges))
					merges[nmerge++] = v;
			} else if (v->kind == BD_Y_SEQ) {
				for (uint32_t j = 0; j < v->n; j++) {
					if (v->items[j]->kind != BD_Y_MAP) {
						yerr(p, v->items[j]->line, v->items[j]->col,
						     "merge key \"<<\" needs mappings, not %s",
						     bd_ynode_kind_name(v->items[j]));
						continue;
					}
					if (nmerge < BD_ARRAY_SIZE(merges))
						merges[nmerge++] = v->items[j];
				}
			} else {
				yerr(p, v->line, v->col,
				     "merge key \"<<\" needs a mapping or a sequence of mappings");
			}
			continue;
		}
		own[2 * nown] = k;
		own[2 * nown + 1] = v;
		nown++;
	}
	if (!check_duplicates(p, own, nown))
		return;
	if (nmerge) {
		size_t extra = 0;
		for (size_t i = 0; i < nmerge; i++)
			extra += merges[i]->n;
		struct bd_ynode **all = bd_arena_array(p->a, 2 * (nown + extra), sizeof(*all));
		memcpy(all, own, 2 * nown * sizeof(*all));
		size_t nall = nown;
		/* explicit keys win; among merged maps the first one wins */
		for (size_t i = 0; i < nmerge; i++)
			for (uint32_t j = 0; j < merges[i]->n; j++) {
				struct bd_ynode *k = merges[i]->items[2 * j];
				if (has_key(all, nall, k->s))
					continue;
				all[2 * nall] = k;
				all[2 * nall + 1] = merges[i]->items[2 * j + 1];
				nall++;
			}
		own = all;
		nown = nall;
	}
	m->items = own;
	m->n = (uint32_t)nown;
}

static void
finish_sequence(struct yparse *p, struct yframe *f)
{
	struct bd_ynode *s = f->node;

	s->items = bd_arena_array(p->a, f->n ? f->n : 1, sizeof(*s->items));
	if (f->n)
		memcpy(s->items, f->items, f->n * sizeof(*s->items));
	s->n = (uint32_t)f->n;
}

static void
push(struct yparse *p, struct bd_ynode *n, const yaml_char_t *anchor)
{
	p->stack = bd_grow(p->stack, &p->stack_cap, p->depth + 1, sizeof(*p->stack), 16);
	p->stack[p->depth++] = (struct yframe){ .node = n };
	p->stack[p->depth - 1].anchor = define_anchor(p, anchor, n, false);
}

static struct bd_ynode *
new_node(struct yparse *p, enum bd_ykind kind, const yaml_mark_t *m)
{
	struct bd_ynode *n = bd_arena_alloc(p->a, sizeof(*n));

	n->kind = (uint8_t)kind;
	n->line = (uint32_t)m->line + 1;
	n->col = (uint32_t)m->column + 1;
	n->weight = 1;
	n->s = "";
	return n;
}

static void
handle_alias(struct yparse *p, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct yanchor *an = bd_strmap_get(&p->anchors, name, strlen(name));
	unsigned line = (unsigned)ev->start_mark.line + 1,
	         col = (unsigned)ev->start_mark.column + 1;

	if (!an) {
		yerr(p, line, col, "unknown anchor \"*%s\"", name);
		return;
	}
	if (!an->done) {
		yerr(p, line, col, "alias \"*%s\" refers to a node that contains it", name);
		return;
	}
	if (!charge(p, an->node->weight, &ev->start_mark, true))
		return;
	attach(p, an->node);
}

static void
handle_scalar(struct yparse *p, const yaml_event_t *ev)
{
	struct bd_ynode *n = new_node(p, BD_Y_SCALAR, &ev->start_mark);

	if (!charge(p, 1, &ev->start_mark, false))
		return;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = BD_YS_SINGLE;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = BD_YS_DOUBLE;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = BD_YS_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = BD_YS_FOLDED;
		break;
	case YAML_ANY_SCALAR_STYLE:
	case YAML_PLAIN_SCALAR_STYLE:
	default:
		n->style = BD_YS_PLAIN;
		break;
	}
	if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
		/* "\0" escapes: C strings would silently cut the value short */
		yerr(p, n->line, n->col, "a NUL character in a string is not supported");
		return;
	}
	n->s = bd_arena_strndup(p->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	n->len = ev->data.scalar.length;
	/* a plain scalar's implicit tag is resolved from its text; keep explicit
	 * tags only (they decide nullness, nothing else) */
	n->tag = std_tag(p, ev->data.scalar.tag,
	                 ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit);
	n->null = is_null_scalar(n);
	(void)define_anchor(p, ev->data.scalar.anchor, n, true);
	attach(p, n);
}

static void
handle_start(struct yparse *p, const yaml_event_t *ev, enum bd_ykind kind)
{
	struct bd_ynode *n = new_node(p, kind, &ev->start_mark);
	const yaml_char_t *anchor, *tag;
	bool implicit, flow;

	if (!charge(p, 1, &ev->start_mark, false))
		return;
	if (p->depth >= p->max_depth) {
		yerr(p, n->line, n->col, "nesting deeper than the limit of %zu levels",
		     p->max_depth);
		return;
	}
	if (kind == BD_Y_MAP) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		implicit = ev->data.mapping_start.implicit;
		flow = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		implicit = ev->data.sequence_start.implicit;
		flow = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
	}
	n->style = flow ? BD_YS_FLOWCOLL : BD_YS_BLOCK;
	n->tag = std_tag(p, tag, implicit);
	push(p, n, anchor);
}

static void
handle_end(struct yparse *p)
{
	struct yframe *f = &p->stack[p->depth - 1];
	struct bd_ynode *n = f->node;

	if (n->kind == BD_Y_MAP)
		finish_mapping(p, f);
	else
		finish_sequence(p, f);
	free(f->items);
	if (f->anchor) {
		/* the anchor may have been redefined inside; only complete ours */
		struct yanchor *an = bd_strmap_get(&p->anchors, f->anchor, strlen(f->anchor));
		if (an && an->node == n)
			an->done = true;
	}
	p->depth--;
	attach(p, n);
}

static void
syntax_error(struct yparse *p, const yaml_parser_t *yp, const char *buf, size_t len)
{
	unsigned line = (unsigned)yp->problem_mark.line + 1;
	unsigned col = (unsigned)yp->problem_mark.column + 1;
	const char *problem = yp->problem ? yp->problem : "unknown problem";

	switch (yp->error) {
	case YAML_READER_ERROR: {
		/* the reader reports a byte offset, not a mark */
		line = 1;
		col = 1;
		for (size_t i = 0; i < yp->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		yerr(p, line, col, "invalid input: %s", problem);
		return;
	}
	case YAML_MEMORY_ERROR:
		yerr(p, 1, 1, "out of memory while parsing");
		return;
	case YAML_NO_ERROR:
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
	case YAML_COMPOSER_ERROR:
	case YAML_WRITER_ERROR:
	case YAML_EMITTER_ERROR:
	default:
		break;
	}
	if (yp->context)
		yerr(p, line, col, "YAML syntax error: %s %s that starts at line %zu, column %zu",
		     problem, yp->context, yp->context_mark.line + 1, yp->context_mark.column + 1);
	else
		yerr(p, line, col, "YAML syntax error: %s", problem);
}

int
bd_yaml_parse(struct bd_arena *a, const char *file, const char *buf, size_t len,
              const struct bd_yaml_limits *lim, struct bd_ydoc *doc, struct bd_diags *d)
{
	struct yparse p = {
		.a = a,
		.doc = doc,
		.d = d,
		.max_depth = lim && lim->max_depth ? lim->max_depth : BD_YAML_MAX_DEPTH,
		.max_nodes = lim && lim->max_nodes ? lim->max_nodes : BD_YAML_MAX_NODES,
	};
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : BD_YAML_MAX_BYTES;
	yaml_parser_t yp;
	yaml_event_t ev;
	int docs = 0;
	bool done = false;

	memset(doc, 0, sizeof(*doc));
	doc->arena = a;
	doc->file = bd_arena_strdup(a, file);
	if (len > max_bytes) {
		bd_diags_add(d, BD_DIAG_ERROR, file, 1, 1,
		             "file is %zu bytes, larger than the limit of %zu", len, max_bytes);
		return -1;
	}
	doc->src = bd_arena_strndup(a, buf, len);
	doc->len = len;

	if (!yaml_parser_initialize(&yp))
		BD_ASSERT(!"yaml_parser_initialize");
	yaml_parser_set_input_string(&yp, (const unsigned char *)doc->src, len);
	while (!done && !p.failed) {
		if (!yaml_parser_parse(&yp, &ev)) {
			syntax_error(&p, &yp, doc->src, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				yerr(&p, (unsigned)ev.start_mark.line + 1,
				     (unsigned)ev.start_mark.column + 1,
				     "a recipe must be a single YAML document; found a second one");
			break;
		case YAML_SCALAR_EVENT:
			handle_scalar(&p, &ev);
			break;
		case YAML_ALIAS_EVENT:
			handle_alias(&p, &ev);
			break;
		case YAML_MAPPING_START_EVENT:
			handle_start(&p, &ev, BD_Y_MAP);
			break;
		case YAML_SEQUENCE_START_EVENT:
			handle_start(&p, &ev, BD_Y_SEQ);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			handle_end(&p);
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	for (size_t i = 0; i < p.depth; i++)
		free(p.stack[i].items);
	free(p.stack);
	bd_strmap_free(&p.anchors);
	doc->nodes = (size_t)p.total;
	if (p.failed) {
		doc->root = NULL;
		return -1;
	}
	return 0;
}

const struct bd_ynode *
bd_ynode_get(const struct bd_ynode *map, const char *key)
{
	if (!map || map->kind != BD_Y_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->n; i++)
		if (strcmp(map->items[2 * i]->s, key) == 0)
			return map->items[2 * i + 1];
	return NULL;
}

const char *
bd_ynode_kind_name(const struct bd_ynode *n)
{
	if (!n)
		return "nothing";
	switch ((enum bd_ykind)n->kind) {
	case BD_Y_MAP:
		return "a mapping";
	case BD_Y_SEQ:
		return "a sequence";
	case BD_Y_SCALAR:
	default:
		return n->null ? "null" : "a string";
	}
}

static void
build_line_index(struct bd_ydoc *doc)
{
	size_t n = 1;

	for (size_t i = 0; i < doc->len; i++)
		if (doc->src[i] == '\n')
			n++;
	doc->line_off = bd_arena_array(doc->arena, n, sizeof(*doc->line_off));
	doc->nlines = 0;
	doc->line_off[doc->nlines++] = 0;
	for (size_t i = 0; i < doc->len; i++)
		if (doc->src[i] == '\n')
			doc->line_off[doc->nlines++] = i + 1;
}

/* Indentation (in bytes) of the first non-blank line from @line (1-based). */
static size_t
content_indent(struct bd_ydoc *doc, size_t line)
{
	for (size_t l = line; l <= doc->nlines; l++) {
		const char *s = doc->src + doc->line_off[l - 1];
		const char *end =
		    l < doc->nlines ? doc->src + doc->line_off[l] : doc->src + doc->len;
		size_t ind = 0;
		while (s + ind < end && s[ind] == ' ')
			ind++;
		if (s + ind < end && s[ind] != '\n' && s[ind] != '\r')
			return ind;
	}
	return 0;
}

void
bd_ydoc_value_pos(struct bd_ydoc *doc, const struct bd_ynode *n, size_t off, unsigned *line,
                  unsigned *col)
{
	*line = n->line;
	*col = n->col;
	if (n->kind != BD_Y_SCALAR || off > n->len || !doc->src)
		return;
	if (!doc->line_off)
		build_line_index(doc);
	if (n->style == BD_YS_LITERAL) {
		/* every value line is one source line below the header */
		size_t k = 0, ls = 0;
		for (size_t i = 0; i < off; i++)
			if (n->s[i] == '\n') {
				k++;
				ls = i + 1;
			}
		size_t l = n->line + 1 + k;
		if (l > doc->nlines)
			return;
		*line = (unsigned)l;
		*col = (unsigned)(content_indent(doc, n->line + 1) + (off - ls) + 1);
		return;
	}
	if (memchr(n->s, '\n', n->len))
		return;
	/* single-line scalar: map directly if the source holds the value verbatim */
	size_t start = n->style == BD_YS_SINGLE || n->style == BD_YS_DOUBLE ? 1 : 0;
	if (n->line > doc->nlines)
		return;
	size_t base = doc->line_off[n->line - 1] + (n->col - 1) + start;
	if (base + n->len <= doc->len && memcmp(doc->src + base, n->s, n->len) == 0)
		*col = (unsigned)(n->col + start + off);
}
