/* SPDX-License-Identifier: MIT */
/* config: melange's parse-time phase (pkg/config/config.go) on the model.
 *
 * In order: the parse-time variables (package.*, vars.*, var-transforms);
 * the exact-key replacement over the package, pipelines, environment,
 * subpackages (ranged ones once per data item, keys sorted, with
 * range.key/range.value) and tests; the strict second pass over
 * dependencies and package lists (unknown variables are errors); then
 * validation.  Fields melange leaves alone (uses, inputs, copyright, ...)
 * are left alone here too. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/internal.h"
#include "recipe/subst.h"

/* ------------------------------------------------------------ messages */

static void rdiag(struct recipe *r, enum bd_diag_severity sev, const struct bd_ynode *n, size_t off,
                  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
rdiag(struct recipe *r, enum bd_diag_severity sev, const struct bd_ynode *n, size_t off,
      const char *fmt, va_list ap)
{
	char *msg = bd_xvasprintf(fmt, ap);
	unsigned line = 1, col = 1;

	if (n)
		bd_ydoc_value_pos(&r->doc, n, off, &line, &col);
	bd_diags_add(r->d, sev, r->doc.file, line, col, "%s", msg);
	free(msg);
	if (sev == BD_DIAG_ERROR)
		r->errors++;
}

void
bd_rerr(struct recipe *r, const struct bd_ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rdiag(r, BD_DIAG_ERROR, n, 0, fmt, ap);
	va_end(ap);
}

void
bd_rwarn(struct recipe *r, const struct bd_ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rdiag(r, BD_DIAG_WARNING, n, 0, fmt, ap);
	va_end(ap);
}

void
bd_rdiag(struct recipe *r, enum bd_diag_severity sev, const struct bd_ynode *n, const char *fmt,
         ...)
{
	va_list ap;

	va_start(ap, fmt);
	rdiag(r, sev, n, 0, fmt, ap);
	va_end(ap);
}

void
bd_rerr_at(struct recipe *r, const struct bd_ynode *n, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rdiag(r, BD_DIAG_ERROR, n, off, fmt, ap);
	va_end(ap);
}

size_t
bd_ref_offset(const struct bd_ynode *n, const char *name, size_t len)
{
	if (!n || n->kind != BD_Y_SCALAR)
		return 0;
	for (const char *p = strstr(n->s, "${{"); p; p = strstr(p + 1, "${{")) {
		const char *q = p + 3;
		while (*q == ' ')
			q++;
		if (!name)
			return (size_t)(p - n->s);
		if (!strncmp(q, name, len) && (q[len] == ' ' || q[len] == '}'))
			return (size_t)(p - n->s);
	}
	return 0;
}

/* ------------------------------------------------------------ variables */

static void
pvar_set(struct recipe *r, const char *name, const char *val)
{
	bd_strmap_put(&r->pvars, name, strlen(name), (void *)(uintptr_t)val);
}

struct strict_ctx {
	struct recipe *r;
	const struct bd_strmap *m;
};

static const char *
strict_lookup(void *vctx, const char *name, size_t len, enum bd_subst_status *st)
{
	struct strict_ctx *c = vctx;
	const char *v = bd_strmap_get(c->m, name, len);

	if (!v) {
		*st = BD_SUBST_UNDEFINED;
		return NULL;
	}
	if (v == BD_POISON) {
		*st = BD_SUBST_POISONED;
		return NULL;
	}
	return v;
}

/* melange's util.MutateStringFromMap: spaces allowed, unknown variables
 * are errors.  Reports at @node; returns NULL on failure. */
static const char *
subst_strict(struct recipe *r, const struct bd_strmap *m, const char *in,
             const struct bd_ynode *node, const char *what)
{
	struct bd_subst_problem probs[BD_SUBST_MAX_PROBLEMS];
	struct strict_ctx c = { r, m };
	struct bd_buf b = { 0 };
	const char *res = NULL;

	if (!bd_subst_has_ref(in))
		return in;
	int n = bd_subst(in, strict_lookup, &c, false, &b, probs);
	if (n == 0) {
		res = bd_arena_strndup(&r->a, b.data ? b.data : "", b.len);
	} else {
		for (int i = 0; i < n; i++) {
			size_t off = bd_ref_offset(node, probs[i].name, probs[i].len);
			if (probs[i].malformed)
				bd_rerr_at(r, node, off,
				           "%s: malformed variable reference "
				           "(expected ${{ name }})",
				           what);
			else
				bd_rerr_at(r, node, off, "%s: variable %.*s not defined", what,
				           (int)probs[i].len, probs[i].name);
		}
	}
	bd_buf_free(&b);
	return res;
}

/* vars: values may refer to other vars (resolved deterministically, where
 * melange uses Go map order); anything else is undefined, as in
 * Configuration.GetVarsFromConfig. */
static const char *resolve_var(struct recipe *r, const struct rkv *kv, int depth);

/* cvars marker: this variable is being resolved (a reference back to it
 * is a cycle) */
#define VAR_BUSY ((const char *)2)

struct varref_ctx {
	struct recipe *r;
	int depth;
};

static const struct rkv *
find_var(struct recipe *r, const char *name, size_t len)
{
	const struct rkv *found = NULL;

	for (size_t i = 0; i < r->cfg.vars.n; i++) {
		const struct rkv *kv = &r->cfg.vars.v[i];
		if (strlen(kv->key.s) == len && !memcmp(kv->key.s, name, len))
			found = kv;
	}
	return found;
}

static const char *
var_lookup(void *vctx, const char *name, size_t len, enum bd_subst_status *st)
{
	struct varref_ctx *c = vctx;

	if (len > 5 && !memcmp(name, "vars.", 5)) {
		const struct rkv *kv = find_var(c->r, name + 5, len - 5);
		if (kv) {
			const char *v = resolve_var(c->r, kv, c->depth + 1);
			if (v && v != BD_POISON)
				return v;
			*st = BD_SUBST_POISONED;
			return NULL;
		}
	}
	*st = BD_SUBST_UNDEFINED;
	return NULL;
}

static const char *
resolve_var(struct recipe *r, const struct rkv *kv, int depth)
{
	const char *done = bd_strmap_get(&r->cvars, kv->key.s, strlen(kv->key.s));
	struct bd_subst_problem probs[BD_SUBST_MAX_PROBLEMS];
	struct varref_ctx c = { r, depth };
	struct bd_buf b = { 0 };

	if (done == VAR_BUSY) {
		/* we are inside this variable's own resolution */
		bd_rerr(r, kv->val.node, "vars.%s: its value refers back to itself", kv->key.s);
		bd_strmap_put(&r->cvars, kv->key.s, strlen(kv->key.s),
		              (void *)(uintptr_t)BD_POISON);
		return BD_POISON;
	}
	if (done)
		return done;
	if (!bd_subst_has_ref(kv->val.s)) {
		bd_strmap_put(&r->cvars, kv->key.s, strlen(kv->key.s),
		              (void *)(uintptr_t)kv->val.s);
		return kv->val.s;
	}
	if (depth > 1000) {
		bd_rerr(r, kv->val.node, "vars.%s: the chain of vars referring to vars is too long",
		        kv->key.s);
		bd_strmap_put(&r->cvars, kv->key.s, strlen(kv->key.s),
		              (void *)(uintptr_t)BD_POISON);
		return BD_POISON;
	}
	bd_strmap_put(&r->cvars, kv->key.s, strlen(kv->key.s), (void *)(uintptr_t)VAR_BUSY);
	int n = bd_subst(kv->val.s, var_lookup, &c, false, &b, probs);
	const char *res = BD_POISON;
	if (n == 0) {
		res = bd_arena_strndup(&r->a, b.data ? b.data : "", b.len);
	} else {
		for (int i = 0; i < n; i++) {
			size_t off = bd_ref_offset(kv->val.node, probs[i].name, probs[i].len);
			if (probs[i].malformed)
				bd_rerr_at(r, kv->val.node, off,
				           "vars.%s: malformed variable reference", kv->key.s);
			else
				bd_rerr_at(r, kv->val.node, off,
				           "vars.%s: variable %.*s not defined (the value of a "
				           "var may only refer to other vars)",
				           kv->key.s, (int)probs[i].len, probs[i].name);
		}
	}
	bd_buf_free(&b);
	bd_strmap_put(&r->cvars, kv->key.s, strlen(kv->key.s), (void *)(uintptr_t)res);
	return res;
}

static void
build_pvars(struct recipe *r)
{
	const struct m_package *p = &r->cfg.package;
	char *epoch = bd_arena_printf(&r->a, "%" PRIu64, p->epoch.u);

	pvar_set(r, "package.name", p->name.s);
	pvar_set(r, "package.version", p->version.s);
	pvar_set(r, "package.description", p->description.s);
	pvar_set(r, "package.epoch", epoch);
	pvar_set(r, "package.full-version",
	         bd_arena_printf(&r->a, "%s-r%" PRIu64, p->version.s, p->epoch.u));
	for (size_t i = 0; i < r->cfg.vars.n; i++) {
		const struct rkv *kv = &r->cfg.vars.v[i];
		pvar_set(r, bd_arena_printf(&r->a, "vars.%s", kv->key.s), kv->val.s);
		(void)resolve_var(r, kv, 0);
	}

	/* var-transforms, in order; each `from` sees the earlier results */
	for (size_t i = 0; i < r->cfg.var_transforms.n; i++) {
		const struct m_vartransform *vt =
		    RARR_AT(r->cfg.var_transforms, struct m_vartransform, i);
		char err[512];
		char *out = NULL;
		const char *to = vt->to.s;
		const char *key = bd_arena_printf(&r->a, "vars.%s", to);
		const struct bd_ynode *where = vt->h.node;

		if (!*to) {
			bd_rerr(r, where, "var-transforms[%zu]: \"to\" is required", i);
			continue;
		}
		if (!vt->from.node || !vt->match.node || !vt->replace.node) {
			bd_rerr(r, where,
			        "var-transforms[%zu] (%s): \"from\", \"match\" and "
			        "\"replace\" are required",
			        i, to);
			pvar_set(r, key, BD_POISON);
			continue;
		}
		const char *from =
		    subst_strict(r, &r->pvars, vt->from.s, vt->from.node,
		                 bd_arena_printf(&r->a, "var-transforms[%zu].from", i));
		if (!from) {
			pvar_set(r, key, BD_POISON);
			continue;
		}
		if (bd_regex_replace_all(vt->match.s, from, vt->replace.s, &out, err, sizeof(err)) <
		    0) {
			bd_rerr(r, vt->match.node, "var-transforms[%zu] (%s): %s", i, to, err);
			pvar_set(r, key, BD_POISON);
			continue;
		}
		pvar_set(r, key, bd_arena_strdup(&r->a, out));
		free(out);
	}
}

/* ------------------------------------------------------------ pass 1 */

static void
rep_str(struct recipe *r, const struct bd_strmap *m, struct rstr *s)
{
	if (s->s && strstr(s->s, "${{"))
		s->s = bd_subst_exact(&r->a, s->s, m);
}

static void
rep_list(struct recipe *r, const struct bd_strmap *m, struct rlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		rep_str(r, m, &l->v[i]);
}

static void
rep_map(struct recipe *r, const struct bd_strmap *m, struct rmap *mp)
{
	for (size_t i = 0; i < mp->n; i++)
		rep_str(r, m, &mp->v[i].val);
}

static void
rep_pipelines(struct recipe *r, const struct bd_strmap *m, struct rarr *arr)
{
	for (size_t i = 0; i < arr->n; i++) {
		struct m_pipeline *p = RARR_AT(*arr, struct m_pipeline, i);
		rep_str(r, m, &p->name);
		rep_map(r, m, &p->with);
		rep_str(r, m, &p->runs);
		if (p->needs)
			rep_list(r, m, &p->needs->packages);
		rep_str(r, m, &p->if_);
		rep_str(r, m, &p->workdir);
		rep_map(r, m, &p->environment);
		rep_pipelines(r, m, &p->pipeline);
	}
}

static void
rep_imgconf(struct recipe *r, const struct bd_strmap *m, struct m_imgconf *ic)
{
	rep_list(r, m, &ic->contents.repositories);
	rep_list(r, m, &ic->contents.build_repositories);
	rep_list(r, m, &ic->contents.runtime_repositories);
	rep_list(r, m, &ic->contents.keyring);
	rep_list(r, m, &ic->contents.packages);
	rep_str(r, m, &ic->entrypoint.command);
	rep_str(r, m, &ic->entrypoint.shell_fragment);
	rep_map(r, m, &ic->entrypoint.services);
	rep_str(r, m, &ic->cmd);
	rep_str(r, m, &ic->stop_signal);
	rep_str(r, m, &ic->work_dir);
	rep_map(r, m, &ic->environment);
	rep_str(r, m, &ic->vcs_url);
	rep_map(r, m, &ic->annotations);
	rep_list(r, m, &ic->volumes);
}

static void
rep_deps(struct recipe *r, const struct bd_strmap *m, struct m_deps *d)
{
	rep_list(r, m, &d->runtime);
	rep_list(r, m, &d->provides);
	rep_list(r, m, &d->replaces);
	rep_str(r, m, &d->provider_priority);
	rep_str(r, m, &d->replaces_priority);
}

static void
rep_scriptlets(struct recipe *r, const struct bd_strmap *m, struct m_scriptlets *s)
{
	if (!s)
		return;
	rep_str(r, m, &s->trigger.script);
	rep_list(r, m, &s->trigger.paths);
	rep_str(r, m, &s->pre_install);
	rep_str(r, m, &s->post_install);
	rep_str(r, m, &s->pre_deinstall);
	rep_str(r, m, &s->post_deinstall);
	rep_str(r, m, &s->pre_upgrade);
	rep_str(r, m, &s->post_upgrade);
}

static void
rep_test(struct recipe *r, const struct bd_strmap *m, struct m_test *t)
{
	if (!t)
		return;
	rep_imgconf(r, m, &t->environment);
	rep_pipelines(r, m, &t->pipeline);
}

/* ------------------------------------------------------------ deep copies */

static struct rlist
copy_list(struct recipe *r, const struct rlist *l)
{
	struct rlist c = *l;

	if (l->n) {
		c.v = bd_arena_array(&r->a, l->n, sizeof(*c.v));
		memcpy(c.v, l->v, l->n * sizeof(*c.v));
	}
	return c;
}

static struct rmap
copy_map(struct recipe *r, const struct rmap *m)
{
	struct rmap c = *m;

	if (m->n) {
		c.v = bd_arena_array(&r->a, m->n, sizeof(*c.v));
		memcpy(c.v, m->v, m->n * sizeof(*c.v));
	}
	return c;
}

static struct rarr copy_pipelines(struct recipe *r, const struct rarr *arr);

static void
copy_pipeline(struct recipe *r, struct m_pipeline *p)
{
	p->with = copy_map(r, &p->with);
	p->environment = copy_map(r, &p->environment);
	if (p->needs) {
		struct m_needs *n = bd_arena_alloc(&r->a, sizeof(*n));
		*n = *p->needs;
		n->packages = copy_list(r, &p->needs->packages);
		p->needs = n;
	}
	p->pipeline = copy_pipelines(r, &p->pipeline);
}

static struct rarr
copy_pipelines(struct recipe *r, const struct rarr *arr)
{
	struct rarr c = *arr;

	if (!arr->n)
		return c;
	c.v = bd_arena_array(&r->a, arr->n, sizeof(struct m_pipeline));
	memcpy(c.v, arr->v, arr->n * sizeof(struct m_pipeline));
	for (size_t i = 0; i < arr->n; i++)
		copy_pipeline(r, RARR_AT(c, struct m_pipeline, i));
	return c;
}

static void
copy_imgconf(struct recipe *r, struct m_imgconf *ic)
{
	ic->contents.repositories = copy_list(r, &ic->contents.repositories);
	ic->contents.build_repositories = copy_list(r, &ic->contents.build_repositories);
	ic->contents.runtime_repositories = copy_list(r, &ic->contents.runtime_repositories);
	ic->contents.keyring = copy_list(r, &ic->contents.keyring);
	ic->contents.packages = copy_list(r, &ic->contents.packages);
	ic->entrypoint.services = copy_map(r, &ic->entrypoint.services);
	ic->environment = copy_map(r, &ic->environment);
	ic->annotations = copy_map(r, &ic->annotations);
	ic->volumes = copy_list(r, &ic->volumes);
}

static void
copy_deps(struct recipe *r, struct m_deps *d)
{
	d->runtime = copy_list(r, &d->runtime);
	d->provides = copy_list(r, &d->provides);
	d->replaces = copy_list(r, &d->replaces);
}

static void
copy_subpackage(struct recipe *r, struct m_subpackage *sp)
{
	sp->pipeline = copy_pipelines(r, &sp->pipeline);
	copy_deps(r, &sp->dependencies);
	if (sp->scriptlets) {
		struct m_scriptlets *s = bd_arena_alloc(&r->a, sizeof(*s));
		*s = *sp->scriptlets;
		s->trigger.paths = copy_list(r, &s->trigger.paths);
		sp->scriptlets = s;
	}
	if (sp->test) {
		struct m_test *t = bd_arena_alloc(&r->a, sizeof(*t));
		*t = *sp->test;
		copy_imgconf(r, &t->environment);
		t->pipeline = copy_pipelines(r, &t->pipeline);
		sp->test = t;
	}
}

/* ------------------------------------------------------------ subpackages */

static void
rep_subpackage(struct recipe *r, const struct bd_strmap *m, struct m_subpackage *sp)
{
	rep_str(r, m, &sp->if_);
	rep_str(r, m, &sp->name);
	rep_pipelines(r, m, &sp->pipeline);
	rep_deps(r, m, &sp->dependencies);
	rep_scriptlets(r, m, sp->scriptlets);
	rep_str(r, m, &sp->description);
	rep_str(r, m, &sp->url);
	rep_test(r, m, sp->test);
}

static int
kv_key_cmp(const void *a, const void *b)
{
	const struct rkv *x = *(const struct rkv *const *)a;
	const struct rkv *y = *(const struct rkv *const *)b;

	return strcmp(x->key.s, y->key.s);
}

static void
expand_subpackages(struct recipe *r)
{
	const struct rarr *in = &r->cfg.subpackages;
	size_t cap = in->n + 1, n = 0;
	uint64_t expanded = 0;
	struct m_subpackage *out = bd_arena_array(&r->a, cap, sizeof(*out));

	for (size_t i = 0; i < in->n; i++) {
		const struct m_subpackage *sp = RARR_AT(*in, struct m_subpackage, i);
		if (!sp->range.s || !*sp->range.s) {
			if (n == cap) {
				struct m_subpackage *nv =
				    bd_arena_array(&r->a, cap * 2, sizeof(*nv));
				memcpy(nv, out, n * sizeof(*nv));
				out = nv;
				cap *= 2;
			}
			out[n] = *sp;
			rep_subpackage(r, &r->pvars, &out[n]);
			n++;
			continue;
		}
		/* the last data entry with this name wins, as with a Go map */
		const struct m_rangedata *rd = NULL;
		for (size_t j = 0; j < r->cfg.data.n; j++) {
			const struct m_rangedata *d = RARR_AT(r->cfg.data, struct m_rangedata, j);
			if (!strcmp(d->name.s, sp->range.s))
				rd = d;
		}
		if (!rd) {
			bd_rerr(r, sp->range.node,
			        "subpackages[%zu] (%s) uses undefined range \"%s\" (no data entry "
			        "has that name)",
			        i, sp->name.s, sp->range.s);
			continue;
		}
		/* a ranged subpackage is copied once per item: bound the product
		 * like the document itself */
		uint64_t w = sp->h.node ? sp->h.node->weight : 1;
		size_t max = r->o->limits && r->o->limits->max_nodes ? r->o->limits->max_nodes
		                                                     : BD_YAML_MAX_NODES;
		if (expanded > max)
			continue; /* reported once, below */
		expanded += w * rd->items.n;
		if (expanded > max) {
			bd_rerr(
			    r, sp->range.node,
			    "range \"%s\" expands the recipe beyond the limit of %zu nodes (%zu "
			    "items)",
			    sp->range.s, max, rd->items.n);
			continue;
		}
		const struct rkv **items = bd_xmalloc((rd->items.n + 1) * sizeof(*items));
		for (size_t j = 0; j < rd->items.n; j++)
			items[j] = &rd->items.v[j];
		qsort(items, rd->items.n, sizeof(*items), kv_key_cmp);
		for (size_t j = 0; j < rd->items.n; j++) {
			if (n == cap) {
				struct m_subpackage *nv =
				    bd_arena_array(&r->a, cap * 2, sizeof(*nv));
				memcpy(nv, out, n * sizeof(*nv));
				out = nv;
				cap *= 2;
			}
			struct bd_strmap m = { 0 };
			for (size_t k = 0; k < r->pvars.cap; k++)
				if (r->pvars.v[k].key)
					bd_strmap_put(&m, r->pvars.v[k].key, r->pvars.v[k].klen,
					              r->pvars.v[k].val);
			bd_strmap_put(&m, "range.key", 9, (void *)(uintptr_t)items[j]->key.s);
			bd_strmap_put(&m, "range.value", 11, (void *)(uintptr_t)items[j]->val.s);
			out[n] = *sp;
			copy_subpackage(r, &out[n]);
			rep_subpackage(r, &m, &out[n]);
			out[n].range_key = items[j]->key.s;
			out[n].range_value = items[j]->val.s;
			bd_strmap_free(&m);
			n++;
		}
		free(items);
	}
	r->subs = out;
	r->nsubs = n;
}

/* ------------------------------------------------------------ pass 2 */

static void
strict_list(struct recipe *r, struct rlist *l, const char *what)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *v = subst_strict(r, &r->pvars, l->v[i].s, l->v[i].node, what);
		if (v)
			l->v[i].s = v;
	}
}

static void
strict_str(struct recipe *r, struct rstr *s, const char *what)
{
	const char *v = subst_strict(r, &r->pvars, s->s, s->node, what);

	if (v)
		s->s = v;
}

static void
strict_deps(struct recipe *r, struct m_deps *d)
{
	strict_list(r, &d->runtime, "dependencies.runtime");
	strict_list(r, &d->provides, "dependencies.provides");
	strict_list(r, &d->replaces, "dependencies.replaces");
	strict_str(r, &d->provider_priority, "dependencies.provider-priority");
	strict_str(r, &d->replaces_priority, "dependencies.replaces-priority");
}

/* ------------------------------------------------------------ validation */

static bool
valid_pkgname(const char *s)
{
	/* ^[a-zA-Z\d][a-zA-Z\d+_.-]*$ */
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static bool
valid_cpe_field(const char *s)
{
	/* ^[a-z\d][a-z\d+_.-]*$ */
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '+' ||
		      *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* strconv.Atoi */
static bool
go_atoi_ok(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
check_priorities(struct recipe *r, const struct m_deps *d, const char *who)
{
	if (*d->provider_priority.s && !go_atoi_ok(d->provider_priority.s))
		bd_rerr(r, d->provider_priority.node,
		        "%s: provider-priority must be an integer, found \"%s\"", who,
		        d->provider_priority.s);
	if (*d->replaces_priority.s && !go_atoi_ok(d->replaces_priority.s))
		bd_rerr(r, d->replaces_priority.node,
		        "%s: replaces-priority must be an integer, found \"%s\"", who,
		        d->replaces_priority.s);
}

bool
bd_bad_uses_name(const char *u)
{
	if (u[0] == '/')
		return true;
	for (const char *p = u; (p = strstr(p, "..")); p += 2) {
		bool start = p == u || p[-1] == '/';
		bool end = p[2] == '\0' || p[2] == '/';
		if (start && end)
			return true;
	}
	return false;
}

/* validatePipelines (config.go); @sev is a warning for test pipelines,
 * which melange does not validate. */
static void
check_pipelines(struct recipe *r, const struct rarr *arr, enum bd_diag_severity sev)
{
	for (size_t i = 0; i < arr->n; i++) {
		const struct m_pipeline *p = RARR_AT(*arr, struct m_pipeline, i);
		const struct bd_ynode *at = p->h.node;
		bool has_uses = p->uses.s && *p->uses.s;
		bool has_runs = p->runs.s && *p->runs.s;

		if (p->with.node && !has_uses)
			bd_rdiag(r, sev, p->with.node, "a step with \"with\" needs \"uses\"");
		if (has_uses && has_runs)
			bd_rdiag(r, sev, p->runs.node,
			         "a step cannot have both \"uses\" (%s) and \"runs\"", p->uses.s);
		if (p->with.n && has_runs && !has_uses)
			bd_rdiag(r, sev, p->runs.node,
			         "a step cannot have both \"with\" and \"runs\"");
		if (has_uses && bd_bad_uses_name(p->uses.s))
			bd_rerr(r, p->uses.node,
			        "uses \"%s\": a pipeline name must be relative and must not "
			        "contain \"..\"",
			        p->uses.s);
		if (has_uses && p->pipeline.n && at)
			bd_rwarn(r, p->uses.node,
			         "step has both \"uses\" (%s) and \"pipeline\": the nested steps "
			         "run and %s is not loaded (as in melange)",
			         p->uses.s, p->uses.s);
		check_pipelines(r, &p->pipeline, sev);
	}
}

static void
check_setcap(struct recipe *r, const struct rarr *arr)
{
	static const char *const allowed[] = { "cap_net_bind_service", "cap_net_admin",
		                               "cap_net_raw", "cap_ipc_lock", "cap_sys_admin" };

	for (size_t i = 0; i < arr->n; i++) {
		const struct m_setcap *s = RARR_AT(*arr, struct m_setcap, i);
		for (size_t j = 0; j < s->add.n; j++) {
			const char *caps = s->add.v[j].key.s;
			const char *p = caps;
			while (*p) {
				size_t len = strcspn(p, ",");
				bool ok = false;
				for (size_t k = 0; k < BD_ARRAY_SIZE(allowed); k++)
					if (strlen(allowed[k]) == len &&
					    !strncmp(allowed[k], p, len))
						ok = true;
				if (!ok)
					bd_rerr(r, s->add.v[j].key.node,
					        "setcap: capability \"%.*s\" for %s is not allowed "
					        "(allowed: cap_net_bind_service, cap_net_admin, "
					        "cap_net_raw, cap_ipc_lock, cap_sys_admin)",
					        (int)len, p, s->path.s);
				p += len;
				if (*p == ',')
					p++;
			}
		}
		if (!*s->reason.s)
			bd_rerr(r, s->h.node, "setcap for %s: a reason is required", s->path.s);
	}
}

static void
check_cpe(struct recipe *r, const struct m_cpe *c)
{
	const struct {
		const char *what;
		const struct rstr *s;
	} fields[] = {
		{ "vendor", &c->vendor },         { "product", &c->product },
		{ "edition", &c->edition },       { "language", &c->language },
		{ "sw_edition", &c->sw_edition }, { "target_sw", &c->target_sw },
		{ "target_hw", &c->target_hw },   { "other", &c->other },
	};

	if (*c->part.s && strcmp(c->part.s, "a"))
		bd_rerr(r, c->part.node, "cpe.part must be \"a\" (application), found \"%s\"",
		        c->part.s);
	if (!*c->vendor.s != !*c->product.s)
		bd_rerr(r, c->h.node, "cpe: vendor and product must be set together");
	if (!strcmp(c->vendor.s, "*"))
		bd_rerr(r, c->vendor.node, "cpe.vendor must not be \"*\"");
	if (!strcmp(c->product.s, "*"))
		bd_rerr(r, c->product.node, "cpe.product must not be \"*\"");
	for (size_t i = 0; i < BD_ARRAY_SIZE(fields); i++) {
		const char *s = fields[i].s->s;
		if (*s && strcmp(s, "*") && !valid_cpe_field(s))
			bd_rerr(r, fields[i].s->node,
			        "cpe.%s \"%s\" must match ^[a-z0-9][a-z0-9+_.-]*$", fields[i].what,
			        s);
	}
}

static void
check_copyright(struct recipe *r)
{
	const struct rarr *arr = &r->cfg.package.copyright;

	for (size_t i = 0; i < arr->n; i++) {
		const struct m_copyright *c = RARR_AT(*arr, struct m_copyright, i);
		if (!*c->license.s)
			bd_rerr(r, c->h.node ? c->h.node : arr->node,
			        "package.copyright[%zu]: license is required", i);
	}
}

static void
validate(struct recipe *r)
{
	const struct m_package *p = &r->cfg.package;

	if (!p->h.node)
		bd_rerr(r, NULL, "the recipe has no package section");
	else if (!valid_pkgname(p->name.s))
		bd_rerr(
		    r, p->name.node ? p->name.node : p->h.node,
		    "package name \"%s\" is invalid: it must match ^[a-zA-Z0-9][a-zA-Z0-9+_.-]*$",
		    p->name.s);
	if (p->h.node && !*p->version.s)
		bd_rerr(r, p->version.node ? p->version.node : p->h.node,
		        "package version must not be empty");
	check_priorities(r, &p->dependencies, "package");
	check_pipelines(r, &r->cfg.pipeline, BD_DIAG_ERROR);
	check_setcap(r, &p->setcap);
	check_copyright(r);
	if (r->cfg.test)
		check_pipelines(r, &r->cfg.test->pipeline, BD_DIAG_WARNING);

	struct bd_strmap seen = { 0 };
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct m_subpackage *sp = &r->subs[i];
		const struct bd_ynode *at = sp->name.node ? sp->name.node : sp->h.node;
		if (!strcmp(sp->name.s, p->name.s))
			bd_rerr(r, at, "subpackage \"%s\" has the same name as the main package",
			        sp->name.s);
		if (bd_strmap_get(&seen, sp->name.s, strlen(sp->name.s)))
			bd_rerr(r, at, "duplicate subpackage name \"%s\"", sp->name.s);
		else
			bd_strmap_put(&seen, sp->name.s, strlen(sp->name.s), (void *)(uintptr_t)sp);
		if (!*sp->name.s)
			bd_rerr(r, at, "subpackages[%zu] has no name", i);
		else if (!valid_pkgname(sp->name.s))
			bd_rerr(r, at,
			        "subpackage name \"%s\" is invalid: it must match "
			        "^[a-zA-Z0-9][a-zA-Z0-9+_.-]*$",
			        sp->name.s);
		check_priorities(r, &sp->dependencies, sp->name.s);
		/* a ranged subpackage's pipelines are checked once, on the first copy */
		if (!sp->range_key || (i == 0 || r->subs[i - 1].h.node != sp->h.node))
			check_pipelines(r, &sp->pipeline, BD_DIAG_ERROR);
		if (sp->test && (!sp->range_key || i == 0 || r->subs[i - 1].h.node != sp->h.node))
			check_pipelines(r, &sp->test->pipeline, BD_DIAG_WARNING);
		if (sp->setcap.n &&
		    (!sp->range_key || i == 0 || r->subs[i - 1].h.node != sp->h.node))
			bd_rwarn(r, sp->setcap.node,
			         "subpackage %s: setcap is ignored on subpackages (melange applies "
			         "only package.setcap)",
			         sp->name.s);
	}
	bd_strmap_free(&seen);
	check_cpe(r, &p->cpe);
	if (p->target_architecture.n == 1 && !strcmp(p->target_architecture.v[0].s, "all"))
		bd_rwarn(r, p->target_architecture.v[0].node,
		         "target-architecture \"all\" is deprecated: list the architectures");
}

/* ------------------------------------------------------------ entry */

size_t
bd_config_prepare(struct recipe *r)
{
	size_t before = r->errors;
	struct m_config *cfg = &r->cfg;

	build_pvars(r);

	/* pass 1: exact keys, unknown ones left alone */
	rep_str(r, &r->pvars, &cfg->package.name);
	rep_str(r, &r->pvars, &cfg->package.version);
	rep_str(r, &r->pvars, &cfg->package.description);
	rep_map(r, &r->pvars, &cfg->package.annotations);
	rep_str(r, &r->pvars, &cfg->package.url);
	rep_list(r, &r->pvars, &cfg->package.target_architecture);
	rep_deps(r, &r->pvars, &cfg->package.dependencies);
	rep_scriptlets(r, &r->pvars, cfg->package.scriptlets);
	rep_pipelines(r, &r->pvars, &cfg->pipeline);
	expand_subpackages(r);
	rep_imgconf(r, &r->pvars, &cfg->environment);
	rep_test(r, &r->pvars, cfg->test);

	/* pass 2: spaces allowed, unknown variables are errors */
	strict_deps(r, &cfg->package.dependencies);
	for (size_t i = 0; i < r->nsubs; i++)
		strict_deps(r, &r->subs[i].dependencies);
	strict_list(r, &cfg->environment.contents.packages, "environment.contents.packages");
	if (cfg->test)
		strict_list(r, &cfg->test->environment.contents.packages,
		            "test.environment.contents.packages");
	for (size_t i = 0; i < r->nsubs; i++)
		if (r->subs[i].test)
			strict_list(r, &r->subs[i].test->environment.contents.packages,
			            "test.environment.contents.packages");

	validate(r);
	return r->errors - before;
}
