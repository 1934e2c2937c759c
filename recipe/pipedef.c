/* SPDX-License-Identifier: MIT */
/* pipedef: loading `uses:` pipeline definitions, with a cache.
 *
 * `uses: NAME` is DIR/NAME.yaml in the first directory that has it: every
 * --pipeline-dir in order, then the built-in directory (melange's order,
 * with our built-ins in place of its embedded copies).  A file that is
 * missing, or is not a regular file, means "look further", as with
 * os.ReadFile failing in melange.  Loaded definitions (and misses) are
 * cached by path, so linting thousands of recipes reads each pipeline file
 * once.  A definition is decoded leniently, as melange's yaml.Unmarshal
 * does (Wolfi's files carry `description:` and `test:` keys). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "recipe/internal.h"

#define MISSING ((struct pipedef *)1)

struct bd_pipeline_cache {
	struct bd_strmap by_path; /* path -> struct pipedef *, or MISSING */
	struct bd_arena keys;     /* the path strings */
	struct pipedef **all;
	size_t n, cap;
};

struct bd_pipeline_cache *
bd_pipeline_cache_new(void)
{
	return bd_xcalloc(1, sizeof(struct bd_pipeline_cache));
}

void
bd_pipeline_cache_free(struct bd_pipeline_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		bd_arena_free(&c->all[i]->a);
		bd_strmap_free(&c->all[i]->inputs);
		free(c->all[i]);
	}
	free(c->all);
	bd_strmap_free(&c->by_path);
	bd_arena_free(&c->keys);
	free(c);
}

static struct pipedef *
load(const char *path, const char *name, bool builtin, const struct bd_yaml_limits *lim)
{
	struct pipedef *p = bd_xcalloc(1, sizeof(*p));
	struct bd_buf buf = { 0 };
	struct bd_err err = { 0 };
	struct bd_diags d = { .max = 20 };

	p->name = bd_arena_strdup(&p->a, name);
	p->path = bd_arena_strdup(&p->a, path);
	p->builtin = builtin;
	if (bd_read_file_at(AT_FDCWD, path,
	                    lim && lim->max_bytes ? lim->max_bytes : BD_YAML_MAX_BYTES, &buf,
	                    &err) < 0) {
		p->error = bd_arena_strdup(&p->a, err.msg);
		bd_buf_free(&buf);
		return p;
	}
	if (bd_yaml_parse(&p->a, path, buf.data ? buf.data : "", buf.len, lim, &p->doc, &d) == 0) {
		struct decode_ctx dc = { .a = &p->a, .doc = &p->doc, .d = &d, .lenient = true };
		bd_decode_pipedef(&dc, p->doc.root, &p->def);
	}
	bd_buf_free(&buf);
	if (d.n_errors) {
		char msg[BD_ERR_MSG_MAX];
		for (size_t i = 0; i < d.n; i++)
			if (d.v[i].severity == BD_DIAG_ERROR) {
				bd_diag_format(&d.v[i], msg, sizeof(msg));
				break;
			}
		p->error = bd_arena_strdup(&p->a, msg);
	} else {
		p->ok = true;
		for (size_t i = 0; i < p->def.inputs.n; i++) {
			struct m_input *in = RARR_AT(p->def.inputs, struct m_input, i);
			bd_strmap_put(&p->inputs, in->h.key.s, strlen(in->h.key.s), in);
		}
	}
	bd_diags_free(&d);
	return p;
}

static struct pipedef *
lookup_path(struct bd_pipeline_cache *c, const char *dir, const char *name, bool builtin,
            const struct bd_yaml_limits *lim)
{
	struct bd_buf b = { 0 };
	struct stat st;
	struct pipedef *p;

	bd_buf_printf(&b, "%s/%s.yaml", dir, name);
	p = bd_strmap_get(&c->by_path, b.data, b.len);
	if (p) {
		bd_buf_free(&b);
		return p == MISSING ? NULL : p;
	}
	const char *key = bd_arena_strndup(&c->keys, b.data, b.len);
	bd_buf_free(&b);
	if (stat(key, &st) < 0 || !S_ISREG(st.st_mode)) {
		bd_strmap_put(&c->by_path, key, strlen(key), MISSING);
		return NULL;
	}
	p = load(key, name, builtin, lim);
	c->all = bd_grow(c->all, &c->cap, c->n + 1, sizeof(*c->all), 32);
	c->all[c->n++] = p;
	bd_strmap_put(&c->by_path, key, strlen(key), p);
	return p;
}

struct pipedef *
bd_pipedef_find(struct recipe *r, const char *name)
{
	const struct bd_recipe_opts *o = r->o;

	for (size_t i = 0; i < o->n_pipeline_dirs; i++) {
		struct pipedef *p =
		    lookup_path(r->cache, o->pipeline_dirs[i], name, false, o->limits);
		if (p)
			return p;
	}
	if (r->builtin_dir && *r->builtin_dir)
		return lookup_path(r->cache, r->builtin_dir, name, true, o->limits);
	return NULL;
}
