/* SPDX-License-Identifier: MIT */
/* compile: melange's compile-time phase for one architecture, into a plan.
 *
 * Follows pkg/build/compile.go: each step gets a scope of `${{inputs.*}}`
 * over its parent's (a child's own inputs win), built from `with:` and the
 * used pipeline's declared inputs (an empty value means the default,
 * undeclared keys and missing required inputs are errors, checksum and
 * commit inputs are length-checked); every input value is substituted,
 * then `needs`, `working-directory`, `runs` and the Go-quoted `if:`.  Needs
 * are gathered only from steps whose `if:` holds.  Substitution errors
 * name the variable and point at the recipe text; problems inside a used
 * pipeline file point at the using step and name the file and line.
 *
 * Emission walks the same tree: a step's own `runs` comes before its
 * children, children inherit the working directory and environment, and
 * `fetch`/`git-checkout` from the built-in directory become source steps.
 * Assertions (`required-steps`) are checked here, since every `if:` is
 * known at compile time. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recipe/internal.h"
#include "recipe/subst.h"

/* ------------------------------------------------------------ scopes */

enum var_state {
	V_OK = 0,
	V_PENDING = 1,
	V_BUSY = 2,
	V_POISON = 3,
};

struct var {
	const char *val;
	const char *raw;
	const struct bd_ynode *node; /* where @raw was written */
	const struct pipedef *def;   /* ... in this pipeline file (NULL: the recipe) */
	const char *what;            /* "input \"x\"" for messages */
	enum var_state state;
};

struct scope {
	const struct scope *parent;
	struct bd_strmap tab; /* name -> struct var * */
};

struct envv {
	struct bd_plan_kv *v; /* sorted by key */
	size_t n;
};

struct stepvec {
	struct bd_plan_step *v;
	size_t n, cap;
};

struct strvec {
	char **v;
	size_t n, cap;
};

/* Bounds on what `uses:` can expand to (pipelines using pipelines). */
#define MAX_USES_DEPTH 32
#define MAX_STEPS 100000

struct cc {
	struct recipe *r;
	struct bd_arena *pa; /* plan strings */
	struct bd_arena ta;  /* temporaries */
	bool skip_asserts;   /* arch excluded by target-architecture */
	size_t steps;        /* steps compiled so far */
	bool too_many;       /* MAX_STEPS reached and reported */
};

/* The `uses:` being expanded, innermost first (for cycles). */
struct usechain {
	const struct pipedef *pd;
	const struct usechain *next;
	int depth;
};

/* Per package context (main or a subpackage; build or test). */
struct pctx {
	const char *pkg;
	const struct scope *base;
	const struct envv *genv; /* global environment, PATH included */
	struct stepvec *out;     /* where steps go */
	struct strvec *needs;    /* where needed packages go */
	bool emit;               /* emit steps (false: compile and gather only) */
};

/* What a step inherits from its parents. */
struct inh {
	const char *workdir;          /* substituted, or NULL */
	struct envv env;              /* step environment so far */
	const char *name;             /* display name */
	const char *uses;             /* innermost uses */
	const struct bd_ynode *loc;   /* recipe step responsible */
	const struct pipedef *def;    /* the file the step is written in (NULL: recipe) */
	const struct usechain *chain; /* pipelines being expanded */
};

static void
scope_init(struct scope *s, const struct scope *parent)
{
	s->parent = parent;
	memset(&s->tab, 0, sizeof(s->tab));
}

static void
scope_free(struct scope *s)
{
	bd_strmap_free(&s->tab);
}

static struct var *
scope_put(struct cc *c, struct scope *s, const char *name, const char *val)
{
	struct var *v = bd_arena_alloc(&c->ta, sizeof(*v));

	v->val = val;
	v->state = val == BD_POISON ? V_POISON : V_OK;
	if (v->state == V_POISON)
		v->val = NULL;
	bd_strmap_put(&s->tab, name, strlen(name), v);
	return v;
}

static struct var *
scope_find(const struct scope *s, const char *name, size_t len, const struct scope **where)
{
	for (; s; s = s->parent) {
		struct var *v = bd_strmap_get(&s->tab, name, len);
		if (v) {
			if (where)
				*where = s;
			return v;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ messages */

static void cdiag(struct cc *c, enum bd_diag_severity sev, const struct inh *in,
                  const struct pipedef *def, const struct bd_ynode *n, size_t off, const char *fmt,
                  ...) __attribute__((format(printf, 7, 8)));

/* A problem in a step's text.  In the recipe: at the text.  In a pipeline
 * file: at the recipe step using it, naming the file position. */
static void
cdiag(struct cc *c, enum bd_diag_severity sev, const struct inh *in, const struct pipedef *def,
      const struct bd_ynode *n, size_t off, const char *fmt, ...)
{
	struct recipe *r = c->r;
	va_list ap;
	char *msg;
	unsigned line = 1, col = 1;

	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);
	if (!def) {
		if (n)
			bd_ydoc_value_pos(&r->doc, n, off, &line, &col);
		else if (in && in->loc) {
			line = in->loc->line;
			col = in->loc->col;
		}
		bd_diags_add(r->d, sev, r->doc.file, line, col, "%s", msg);
	} else {
		unsigned dl = 1, dcol = 1;
		if (n)
			bd_ydoc_value_pos((struct bd_ydoc *)(uintptr_t)&def->doc, n, off, &dl,
			                  &dcol);
		if (in && in->loc) {
			line = in->loc->line;
			col = in->loc->col;
		}
		bd_diags_add(r->d, sev, r->doc.file, line, col, "pipeline %s (%s:%u:%u): %s",
		             def->name, def->path, dl, dcol, msg);
	}
	free(msg);
	if (sev == BD_DIAG_ERROR)
		r->errors++;
}

#define cerr(c, in, def, n, off, ...) cdiag(c, BD_DIAG_ERROR, in, def, n, off, __VA_ARGS__)
#define cwarn(c, in, def, n, off, ...) cdiag(c, BD_DIAG_WARNING, in, def, n, off, __VA_ARGS__)

/* ------------------------------------------------------------ substitution */

struct lctx {
	struct cc *c;
	const struct scope *s;
	const struct inh *in;
};

static void resolve(struct cc *c, const struct scope *s, struct var *v, const struct inh *in);

static const char *
scope_lookup(void *vctx, const char *name, size_t len, enum bd_subst_status *st)
{
	struct lctx *l = vctx;
	const struct scope *where = NULL;
	struct var *v = scope_find(l->s, name, len, &where);

	if (!v) {
		*st = BD_SUBST_UNDEFINED;
		return NULL;
	}
	if (v->state == V_PENDING)
		resolve(l->c, where, v, l->in);
	if (v->state == V_BUSY) {
		cerr(l->c, l->in, v->def, v->node, 0, "%s refers to itself", v->what);
		v->state = V_POISON;
	}
	if (v->state == V_POISON) {
		*st = BD_SUBST_POISONED;
		return NULL;
	}
	return v->val;
}

static void
report_problems(struct cc *c, const struct inh *in, const struct pipedef *def,
                const struct bd_ynode *n, const char *what, const struct bd_subst_problem *p,
                int np)
{
	for (int i = 0; i < np; i++) {
		size_t off = bd_ref_offset(n, p[i].name, p[i].len);
		if (p[i].malformed)
			cerr(c, in, def, n, off,
			     "%s: malformed variable reference (expected ${{ name }})", what);
		else
			cerr(c, in, def, n, off, "%s: variable %.*s not defined", what,
			     (int)p[i].len, p[i].name);
	}
}

/* Compile-time substitution of @in (written at @n in @def); NULL on error. */
static const char *
subst(struct cc *c, const struct scope *s, const struct inh *in, const struct pipedef *def,
      const char *text, const struct bd_ynode *n, const char *what, bool quote)
{
	struct bd_subst_problem probs[BD_SUBST_MAX_PROBLEMS];
	struct lctx l = { c, s, in };
	struct bd_buf b = { 0 };
	const char *res = NULL;

	if (!quote && !bd_subst_has_ref(text))
		return bd_arena_strdup(c->pa, text);
	int np = bd_subst(text, scope_lookup, &l, quote, &b, probs);
	if (np == 0)
		res = bd_arena_strndup(c->pa, b.data ? b.data : "", b.len);
	else if (np > 0)
		report_problems(c, in, def, n, what, probs, np);
	bd_buf_free(&b);
	return res;
}

static void
resolve(struct cc *c, const struct scope *s, struct var *v, const struct inh *in)
{
	v->state = V_BUSY;
	const char *val = subst(c, s, in, v->def, v->raw, v->node, v->what, false);
	if (v->state != V_BUSY)
		return; /* a cycle was found and reported meanwhile */
	if (val) {
		v->val = val;
		v->state = V_OK;
	} else {
		v->state = V_POISON;
	}
}

/* ------------------------------------------------------------ helpers */

static void
strvec_push(struct strvec *sv, char *s)
{
	sv->v = bd_grow(sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v), 16);
	sv->v[sv->n++] = s;
}

static void
stepvec_push(struct stepvec *sv, const struct bd_plan_step *st)
{
	sv->v = bd_grow(sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v), 16);
	sv->v[sv->n++] = *st;
}

static size_t
env_find(const struct envv *e, const char *key, bool *found)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(e->v[mid].key, key);
		if (!cmp) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* A copy of @base with @key set to @value (in @a). */
static struct envv
env_set(struct bd_arena *a, const struct envv *base, const char *key, const char *value)
{
	bool found;
	size_t i = env_find(base, key, &found);
	struct envv e = { .n = base->n + (found ? 0 : 1) };

	e.v = bd_arena_array(a, e.n ? e.n : 1, sizeof(*e.v));
	if (base->n)
		memcpy(e.v, base->v, i * sizeof(*e.v));
	e.v[i].key = (char *)(uintptr_t)key;
	e.v[i].value = (char *)(uintptr_t)value;
	if (found)
		memcpy(e.v + i + 1, base->v + i + 1, (base->n - i - 1) * sizeof(*e.v));
	else if (base->n > i)
		memcpy(e.v + i + 1, base->v + i, (base->n - i) * sizeof(*e.v));
	return e;
}

static struct envv
env_merge(struct bd_arena *a, const struct envv *base, const struct envv *over)
{
	struct envv e = *base;

	for (size_t i = 0; i < over->n; i++)
		e = env_set(a, &e, over->v[i].key, over->v[i].value);
	return e;
}

static struct bd_plan_env
env_to_plan(struct bd_arena *pa, const struct envv *e)
{
	struct bd_plan_env pe = { .n = e->n };

	pe.v = bd_arena_array(pa, e->n ? e->n : 1, sizeof(*pe.v));
	for (size_t i = 0; i < e->n; i++) {
		pe.v[i].key = bd_arena_strdup(pa, e->v[i].key);
		pe.v[i].value = bd_arena_strdup(pa, e->v[i].value);
	}
	return pe;
}

void
bd_shell_quote(struct bd_buf *b, const char *s)
{
	bd_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			bd_buf_puts(b, "'\\''");
		else
			bd_buf_putc(b, *s);
	}
	bd_buf_putc(b, '\'');
}

char *
bd_path_clean(struct bd_arena *a, const char *p)
{
	size_t len = strlen(p);
	bool rooted = p[0] == '/';
	char *out = bd_arena_alloc(a, len + 2);
	size_t w = 0, dotdot = 0;

	if (!len)
		return bd_arena_strdup(a, ".");
	if (rooted) {
		out[w++] = '/';
		dotdot = 1;
	}
	for (size_t i = rooted ? 1 : 0; i < len;) {
		if (p[i] == '/') {
			i++;
		} else if (p[i] == '.' && (i + 1 == len || p[i + 1] == '/')) {
			i++;
		} else if (p[i] == '.' && p[i + 1] == '.' && (i + 2 == len || p[i + 2] == '/')) {
			i += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; i < len && p[i] != '/'; i++)
				out[w++] = p[i];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

static char *
abs_workdir(struct cc *c, const char *wd)
{
	if (!wd || !*wd)
		return bd_arena_strdup(c->pa, BD_PLAN_HOME);
	if (wd[0] == '/')
		return bd_path_clean(c->pa, wd);
	char *j = bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_HOME, wd);
	return bd_path_clean(c->pa, j);
}

static bool
is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static bool
is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

static char *
lower(struct bd_arena *a, const char *s)
{
	char *r = bd_arena_strdup(a, s);

	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

static const struct rkv *
find_with(const struct m_pipeline *st, const char *name)
{
	for (size_t i = 0; i < st->with.n; i++)
		if (!strcmp(st->with.v[i].key.s, name))
			return &st->with.v[i];
	return NULL;
}

/* ------------------------------------------------------------ source steps */

static const char *
inval(const struct scope *s, const char *input)
{
	char key[128];

	snprintf(key, sizeof(key), "inputs.%s", input);
	struct var *v = scope_find(s, key, strlen(key), NULL);
	return v && v->state == V_OK ? v->val : "";
}

static const struct var *
invar(const struct scope *s, const char *input)
{
	char key[128];

	snprintf(key, sizeof(key), "inputs.%s", input);
	return scope_find(s, key, strlen(key), NULL);
}

static bool
get_uint(struct cc *c, const struct inh *in, const struct scope *s, const char *input,
         unsigned *out)
{
	const char *v = inval(s, input);
	uint64_t u;

	if (bd_parse_u64(v, UINT32_MAX, &u) < 0) {
		const struct var *vr = invar(s, input);
		cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
		     "input \"%s\" must be a non-negative integer, found \"%s\"", input, v);
		return false;
	}
	*out = (unsigned)u;
	return true;
}

static bool
get_bool(struct cc *c, const struct inh *in, const struct scope *s, const char *input, bool *out)
{
	const char *v = inval(s, input);

	if (!strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "false"))
		*out = false;
	else {
		const struct var *vr = invar(s, input);
		cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
		     "input \"%s\" must be true or false, found \"%s\"", input, v);
		return false;
	}
	return true;
}

static char *
opt(struct cc *c, const char *s)
{
	return s && *s ? bd_arena_strdup(c->pa, s) : NULL;
}

static bool
build_fetch(struct cc *c, const struct inh *in, const struct scope *s, struct bd_plan_fetch *f)
{
	bool ok = true;
	const char *uri = inval(s, "uri");
	const char *sha256 = inval(s, "expected-sha256");
	const char *sha512 = inval(s, "expected-sha512");
	const char *none = inval(s, "expected-none");

	f->uri = bd_arena_strdup(c->pa, uri);
	f->sha256 = *sha256 ? lower(c->pa, sha256) : NULL;
	f->sha512 = *sha512 ? lower(c->pa, sha512) : NULL;
	f->expected_none = *none != '\0';
	if (!f->sha256 && !f->sha512 && !f->expected_none) {
		cerr(c, in, NULL, NULL, 0,
		     "fetch of %s needs expected-sha256 or expected-sha512 (or expected-none)",
		     uri);
		ok = false;
	} else if (!f->sha256 && !f->sha512) {
		cwarn(c, in, NULL, NULL, 0,
		      "fetch of %s has no checksum (expected-none): the download cannot be "
		      "verified",
		      uri);
	}
	/* melange downloads to basename(uri) in the working directory */
	const char *end = uri + strcspn(uri, "?#");
	const char *slash = end;
	while (slash > uri && slash[-1] != '/')
		slash--;
	f->filename = bd_arena_strndup(c->pa, slash, (size_t)(end - slash));
	if (!*f->filename || !strcmp(f->filename, ".") || !strcmp(f->filename, "..")) {
		cerr(c, in, NULL, NULL, 0, "fetch: cannot derive a file name from uri \"%s\"", uri);
		ok = false;
	}
	ok &= get_uint(c, in, s, "strip-components", &f->strip_components);
	f->directory = bd_arena_strdup(c->pa, inval(s, "directory"));
	ok &= get_bool(c, in, s, "extract", &f->extract);
	ok &= get_bool(c, in, s, "delete", &f->delete_after);
	ok &= get_uint(c, in, s, "timeout", &f->timeout);
	ok &= get_uint(c, in, s, "dns-timeout", &f->dns_timeout);
	ok &= get_uint(c, in, s, "retry-limit", &f->retry_limit);
	f->purl_name = opt(c, inval(s, "purl-name"));
	f->purl_version = opt(c, inval(s, "purl-version"));
	f->reason = opt(c, inval(s, "reason"));
	return ok;
}

static bool
parse_cherry_picks(struct cc *c, const struct inh *in, const struct scope *s, struct bd_plan_git *g)
{
	const char *text = inval(s, "cherry-picks");
	const struct var *vr = invar(s, "cherry-picks");
	size_t cap = 4;
	bool ok = true;

	g->cherry_picks = bd_arena_array(c->pa, cap, sizeof(*g->cherry_picks));
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		char *l = bd_arena_strndup(&c->ta, line, len);
		line += len + (line[len] == '\n');
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		if (is_blank(l))
			continue;
		char *colon = strchr(l, ':');
		if (!colon) {
			cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
			     "cherry-picks: expected \"[branch/]commit: comment\", found \"%s\"",
			     l);
			ok = false;
			continue;
		}
		*colon = '\0';
		char *comment = colon + 1;
		while (*comment == ' ' || *comment == '\t')
			comment++;
		size_t cl = strlen(comment);
		while (cl && (comment[cl - 1] == ' ' || comment[cl - 1] == '\t' ||
		              comment[cl - 1] == '\r'))
			comment[--cl] = '\0';
		char *ref = l;
		while (*ref == ' ' || *ref == '\t')
			ref++;
		if (!*comment) {
			cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
			     "cherry-picks: %s needs a comment explaining it", ref);
			ok = false;
			continue;
		}
		char *sl = strrchr(ref, '/');
		if (g->n_cherry_picks == cap) {
			struct bd_plan_cherry_pick *nv =
			    bd_arena_array(c->pa, cap * 2, sizeof(*nv));
			memcpy(nv, g->cherry_picks, cap * sizeof(*nv));
			g->cherry_picks = nv;
			cap *= 2;
		}
		struct bd_plan_cherry_pick *cp = &g->cherry_picks[g->n_cherry_picks++];
		cp->branch = sl ? bd_arena_strndup(c->pa, ref, (size_t)(sl - ref)) : NULL;
		cp->commit = bd_arena_strdup(c->pa, sl ? sl + 1 : ref);
		cp->comment = bd_arena_strdup(c->pa, comment);
		if (!*cp->commit) {
			cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
			     "cherry-picks: empty commit in \"%s\"", ref);
			ok = false;
		}
	}
	return ok;
}

static bool
build_git(struct cc *c, const struct inh *in, const struct scope *s, struct bd_plan_git *g)
{
	bool ok = true;
	const char *depth = inval(s, "depth");

	g->repository = bd_arena_strdup(c->pa, inval(s, "repository"));
	g->destination =
	    bd_arena_strdup(c->pa, *inval(s, "destination") ? inval(s, "destination") : ".");
	g->branch = opt(c, inval(s, "branch"));
	g->tag = opt(c, inval(s, "tag"));
	g->expected_commit =
	    *inval(s, "expected-commit") ? lower(c->pa, inval(s, "expected-commit")) : NULL;
	ok &=
	    get_bool(c, in, s, "expected-commit-is-branch-tip", &g->expected_commit_is_branch_tip);
	ok &= get_bool(c, in, s, "recurse-submodules", &g->recurse_submodules);
	ok &= get_bool(c, in, s, "shallow-submodules", &g->shallow_submodules);
	ok &= get_uint(c, in, s, "submodule-jobs", &g->submodule_jobs);
	ok &= get_uint(c, in, s, "max-retries", &g->max_retries);
	ok &= get_uint(c, in, s, "initial-backoff", &g->initial_backoff);
	ok &= get_uint(c, in, s, "max-backoff", &g->max_backoff);
	g->type_hint = opt(c, inval(s, "type-hint"));
	g->reason = opt(c, inval(s, "reason"));
	if (g->branch && g->tag) {
		cerr(c, in, NULL, NULL, 0, "git-checkout: branch (%s) and tag (%s) are exclusive",
		     g->branch, g->tag);
		ok = false;
	}
	if (g->expected_commit_is_branch_tip && (!g->branch || g->tag || !g->expected_commit)) {
		cerr(
		    c, in, NULL, NULL, 0,
		    "git-checkout: expected-commit-is-branch-tip needs branch and expected-commit, "
		    "and no tag");
		ok = false;
	}
	if (!strcmp(depth, "unset") || !*depth) {
		/* melange: full history when a commit on a branch must be found */
		g->depth =
		    g->branch && g->expected_commit && !g->expected_commit_is_branch_tip ? -1 : 1;
	} else if (!strcmp(depth, "-1")) {
		g->depth = -1;
	} else {
		uint64_t u;
		if (bd_parse_u64(depth, INT32_MAX, &u) < 0 || u == 0) {
			const struct var *vr = invar(s, "depth");
			cerr(c, in, vr ? vr->def : NULL, vr ? vr->node : NULL, 0,
			     "git-checkout: depth must be a positive integer or -1, found \"%s\"",
			     depth);
			ok = false;
		}
		g->depth = (int)u;
	}
	ok &= parse_cherry_picks(c, in, s, g);
	const char *sp = inval(s, "sparse-paths");
	size_t cap = 4;
	g->sparse_paths.v = bd_arena_array(c->pa, cap, sizeof(char *));
	while (*sp) {
		sp += strspn(sp, " \t\r\n");
		size_t len = strcspn(sp, " \t\r\n");
		if (!len)
			break;
		if (g->sparse_paths.n == cap) {
			char **nv = bd_arena_array(c->pa, cap * 2, sizeof(char *));
			memcpy(nv, g->sparse_paths.v, cap * sizeof(char *));
			g->sparse_paths.v = nv;
			cap *= 2;
		}
		g->sparse_paths.v[g->sparse_paths.n++] = bd_arena_strndup(c->pa, sp, len);
		sp += len;
	}
	if (!g->expected_commit)
		cwarn(c, in, NULL, NULL, 0,
		      "git-checkout of %s has no expected-commit: the checkout cannot be verified",
		      g->repository);
	return ok;
}

/* ------------------------------------------------------------ steps */

static const char *const checksum_inputs[][2] = {
	{ "expected-sha256", "64" },
	{ "expected-sha512", "128" },
	{ "expected-commit", "40" },
};

static bool
check_checksum(struct cc *c, const struct inh *in, const struct pipedef *def,
               const struct bd_ynode *n, const char *name, const char *v)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(checksum_inputs); i++) {
		if (strcmp(name, checksum_inputs[i][0]))
			continue;
		size_t want = (size_t)atoi(checksum_inputs[i][1]);
		if (strlen(v) != want || !is_hex(v)) {
			if (!is_hex(v))
				cerr(c, in, def, n, 0,
				     "%s must be %zu hexadecimal digits; \"%s\" is not hexadecimal",
				     name, want, v);
			else
				cerr(c, in, def, n, 0,
				     "%s must be %zu hexadecimal digits, found %zu", name, want,
				     strlen(v));
			return false;
		}
	}
	return true;
}

static const char *
inputs_list(struct cc *c, const struct rarr *inputs)
{
	struct bd_buf b = { 0 };

	for (size_t i = 0; i < inputs->n; i++) {
		const struct m_input *ip = RARR_AT(*inputs, struct m_input, i);
		bd_buf_printf(&b, "%s%s", i ? ", " : "", ip->h.key.s);
	}
	const char *r = bd_arena_strndup(&c->ta, b.data ? b.data : "", b.len);
	bd_buf_free(&b);
	return r;
}

static void compile_steps(struct cc *c, struct pctx *px, const struct rarr *steps,
                          const struct scope *s, const struct inh *in, bool active, size_t *ran);

/* Compile one step (and its children).  Returns whether its `if:` holds. */
static bool
compile_step(struct cc *c, struct pctx *px, const struct m_pipeline *st, const struct scope *ps,
             const struct inh *pin, bool active)
{
	struct recipe *r = c->r;
	struct inh in = *pin;
	const struct pipedef *here = pin->def; /* the file @st is written in */
	const struct pipedef *used = NULL;
	const struct rarr *inputs = &st->inputs, *children = &st->pipeline;
	const struct m_needs *needs = st->needs;
	struct rstr runs = st->runs, if_ = st->if_, wdir = st->workdir;
	const struct pipedef *runs_def = here, *if_def = here, *wdir_def = here;
	const struct rmap *def_env = NULL;
	const char *uses = st->uses.s;
	bool failed = false, is_source = false, if_true = true;
	struct scope s;

	if (++c->steps > MAX_STEPS) {
		if (!c->too_many)
			cerr(
			    c, pin, NULL, NULL, 0,
			    "the recipe expands to more than %d steps (pipelines using pipelines?)",
			    MAX_STEPS);
		c->too_many = true;
		return false;
	}
	if (!here)
		in.loc = st->h.node ? st->h.node : pin->loc;
	if (*st->name.s)
		in.name = st->name.s;

	/* uses: load the definition (unless the step already spells out its
	 * pipeline, which melange treats as compiled) */
	if (*uses && !st->pipeline.n) {
		if (bd_bad_uses_name(uses)) {
			if (here)
				cerr(c, &in, here, st->uses.node, 0,
				     "uses \"%s\": a pipeline name must be relative and must not "
				     "contain \"..\"",
				     uses);
			return false; /* reported by validation for recipe steps */
		}
		const struct pipedef *pd = bd_pipedef_find(r, uses);
		int depth = pin->chain ? pin->chain->depth + 1 : 1;
		for (const struct usechain *u = pin->chain; pd && u; u = u->next)
			if (u->pd == pd) {
				cerr(c, &in, here, st->uses.node, 0,
				     "pipeline \"%s\" uses itself (through %s)", uses,
				     pin->chain->pd->name);
				return false;
			}
		if (depth > MAX_USES_DEPTH) {
			cerr(c, &in, here, st->uses.node, 0,
			     "pipelines using pipelines nest deeper than %d levels",
			     MAX_USES_DEPTH);
			return false;
		}
		if (!pd) {
			struct bd_buf b = { 0 };
			for (size_t i = 0; i < r->o->n_pipeline_dirs; i++)
				bd_buf_printf(&b, "%s, ", r->o->pipeline_dirs[i]);
			bd_buf_puts(&b, r->builtin_dir && *r->builtin_dir
			                    ? r->builtin_dir
			                    : "(no built-in directory)");
			cerr(c, &in, here, st->uses.node, 0,
			     "pipeline \"%s\" not found (looked for %s.yaml in %s)", uses, uses,
			     b.data);
			bd_buf_free(&b);
			return false;
		}
		if (!pd->ok) {
			cerr(c, &in, here, st->uses.node, 0, "cannot load pipeline \"%s\": %s",
			     uses, pd->error);
			return false;
		}
		used = pd;
		for (size_t i = 0; i < st->with.n; i++) {
			const struct rkv *kv = &st->with.v[i];
			if (!bd_strmap_get(&pd->inputs, kv->key.s, strlen(kv->key.s))) {
				const char *known = inputs_list(c, &pd->def.inputs);
				cerr(c, &in, here, kv->key.node, 0,
				     "undefined input \"%s\" to pipeline \"%s\" (its inputs: %s)",
				     kv->key.s, uses, *known ? known : "none");
				failed = true;
			}
		}
		if (failed)
			return false;
		inputs = &pd->def.inputs;
		children = &pd->def.pipeline;
		needs = pd->def.needs;
		if (*pd->def.runs.s) {
			runs = pd->def.runs;
			runs_def = pd;
		}
		if (!*if_.s && *pd->def.if_.s) {
			if_ = pd->def.if_;
			if_def = pd;
		}
		if (!*wdir.s && *pd->def.workdir.s) {
			wdir = pd->def.workdir;
			wdir_def = pd;
		}
		def_env = &pd->def.environment;
		is_source =
		    pd->builtin && (!strcmp(uses, "fetch") || !strcmp(uses, "git-checkout"));
		in.uses = pd->name;
	}

	/* inputs: the step's own with, defaults for empty values */
	scope_init(&s, ps);
	const struct pipedef *inputs_def = used ? used : here;
	for (size_t i = 0; i < inputs->n; i++) {
		const struct m_input *ip = RARR_AT(*inputs, struct m_input, i);
		const char *name = ip->h.key.s;
		const struct rkv *w = find_with(st, name);
		struct var *v;
		const char *val;
		const struct bd_ynode *node;
		const struct pipedef *vdef;
		if (w && *w->val.s) {
			val = w->val.s;
			node = w->val.node;
			vdef = here;
		} else {
			val = ip->def.s;
			node = ip->def.node ? ip->def.node : ip->h.node;
			vdef = inputs_def;
		}
		if (*val && !check_checksum(c, &in, vdef, node, name, val))
			failed = true;
		if (ip->required.v && !*val) {
			cerr(c, &in, here, st->h.node, 0,
			     "required input \"%s\" for pipeline \"%s\" is "
			     "missing",
			     name, *uses ? uses : "(inline)");
			failed = true;
		}
		v = scope_put(c, &s, bd_arena_printf(&c->ta, "inputs.%s", name), NULL);
		v->state = V_PENDING;
		v->raw = val;
		v->node = node;
		v->def = vdef;
		v->what = bd_arena_printf(&c->ta, "input \"%s\"%s", name,
		                          vdef == here ? "" : " (its default)");
	}
	if (!used) {
		/* without a definition every with key is an input as written */
		for (size_t i = 0; i < st->with.n; i++) {
			const struct rkv *kv = &st->with.v[i];
			char *key = bd_arena_printf(&c->ta, "inputs.%s", kv->key.s);
			if (bd_strmap_get(&s.tab, key, strlen(key)))
				continue;
			struct var *v = scope_put(c, &s, key, NULL);
			v->state = V_PENDING;
			v->raw = kv->val.s;
			v->node = kv->val.node;
			v->def = here;
			v->what = bd_arena_printf(&c->ta, "input \"%s\"", kv->key.s);
		}
	}
	if (failed) {
		scope_free(&s);
		return false;
	}
	/* MutateWith: every input value is substituted, used or not */
	for (size_t i = 0; i < s.tab.cap; i++) {
		struct var *v = s.tab.v[i].key ? s.tab.v[i].val : NULL;
		if (v && v->state == V_PENDING)
			resolve(c, &s, v, &in);
	}

	/* needs */
	struct strvec my_needs = { 0 };
	if (needs)
		for (size_t i = 0; i < needs->packages.n; i++) {
			const struct rstr *p = &needs->packages.v[i];
			const char *v = subst(c, &s, &in, needs == st->needs ? here : used, p->s,
			                      p->node, "needs.packages", false);
			if (v && *v)
				strvec_push(&my_needs, (char *)(uintptr_t)v);
		}

	/* working directory: own, else the definition's, else inherited */
	const char *wd = pin->workdir;
	if (*wdir.s) {
		const char *v =
		    subst(c, &s, &in, wdir_def, wdir.s, wdir.node, "working-directory", false);
		if (v)
			wd = v;
	}

	/* environment: inherited, the definition's, then the step's own */
	struct envv env = pin->env;
	for (int pass = 0; pass < 2; pass++) {
		const struct rmap *m = pass ? &st->environment : def_env;
		const struct pipedef *mdef = pass ? here : used;
		if (!m)
			continue;
		for (size_t i = 0; i < m->n; i++) {
			const char *v = subst(c, &s, &in, mdef, m->v[i].val.s, m->v[i].val.node,
			                      "environment", false);
			if (v)
				env = env_set(&c->ta, &env, m->v[i].key.s, v);
		}
	}

	/* runs */
	const char *runs_s = NULL;
	if (*runs.s)
		runs_s = subst(c, &s, &in, runs_def, runs.s, runs.node, "runs", false);

	/* if: values are Go-quoted, then the expression is evaluated */
	if (*if_.s) {
		const char *e = subst(c, &s, &in, if_def, if_.s, if_.node, "if", true);
		if (e) {
			char msg[256];
			if (bd_cond_eval(e, &if_true, msg, sizeof(msg)) < 0) {
				cerr(c, &in, if_def, if_.node, 0,
				     "invalid if expression: %s, in: %s", msg, e);
				if_true = true;
			}
		} else {
			if_true = true;
		}
	}
	bool self = active && if_true;

	if (self)
		for (size_t i = 0; i < my_needs.n; i++)
			strvec_push(px->needs, bd_arena_strdup(c->pa, my_needs.v[i]));
	free(my_needs.v);

	struct bd_plan_step ps_step = {
		.package = (char *)(uintptr_t)px->pkg,
		.name = in.name ? bd_arena_strdup(c->pa, in.name) : NULL,
		.uses = in.uses ? bd_arena_strdup(c->pa, in.uses) : NULL,
		.loc = { r->plan->file, in.loc ? in.loc->line : 1, in.loc ? in.loc->col : 1 },
	};

	if (is_source) {
		bool ok;
		ps_step.workdir = abs_workdir(c, wd);
		if (!strcmp(uses, "fetch")) {
			ps_step.kind = BD_PLAN_FETCH;
			ps_step.fetch = bd_arena_alloc(c->pa, sizeof(*ps_step.fetch));
			ok = build_fetch(c, &in, &s, ps_step.fetch);
		} else {
			ps_step.kind = BD_PLAN_GIT;
			ps_step.git = bd_arena_alloc(c->pa, sizeof(*ps_step.git));
			ok = build_git(c, &in, &s, ps_step.git);
		}
		struct envv full = env_merge(&c->ta, px->genv, &env);
		ps_step.env = env_to_plan(c->pa, &full);
		if (ok && self && px->emit)
			stepvec_push(px->out, &ps_step);
	} else if (runs_s && !is_blank(runs_s) && self && px->emit) {
		struct bd_buf b = { 0 };
		ps_step.kind = BD_PLAN_SHELL;
		ps_step.workdir = abs_workdir(c, wd);
		struct envv full = env_merge(&c->ta, px->genv, &env);
		ps_step.env = env_to_plan(c->pa, &full);
		ps_step.runs = (char *)(uintptr_t)runs_s;
		bd_buf_puts(&b, "set -eo pipefail\n[ -d ");
		bd_shell_quote(&b, ps_step.workdir);
		bd_buf_puts(&b, " ] || mkdir -p ");
		bd_shell_quote(&b, ps_step.workdir);
		bd_buf_puts(&b, "\ncd ");
		bd_shell_quote(&b, ps_step.workdir);
		bd_buf_putc(&b, '\n');
		bd_buf_puts(&b, runs_s);
		if (b.len && b.data[b.len - 1] != '\n')
			bd_buf_putc(&b, '\n');
		bd_buf_puts(&b, "exit 0\n");
		ps_step.script = bd_arena_strndup(c->pa, b.data, b.len);
		bd_buf_free(&b);
		stepvec_push(px->out, &ps_step);
	}

	/* children */
	if (!is_source && children->n) {
		struct inh cin = in;
		size_t ran = 0;
		cin.workdir = wd;
		cin.env = env;
		cin.def = children == &st->pipeline ? here : used;
		struct usechain link;
		if (used) {
			link.pd = used;
			link.next = pin->chain;
			link.depth = pin->chain ? pin->chain->depth + 1 : 1;
			cin.chain = &link;
		}
		compile_steps(c, px, children, &s, &cin, self, &ran);
		if (st->assertions && st->assertions->required_steps.set && self && px->emit &&
		    !c->skip_asserts && (int64_t)ran != st->assertions->required_steps.i)
			cerr(c, &in, here, st->assertions->h.node, 0,
			     "assertion failed: %" PRId64 " of the nested steps must run, but %zu "
			     "would run on %s",
			     st->assertions->required_steps.i, ran, r->arch->apk);
	}
	scope_free(&s);
	return if_true;
}

/* Compile @steps in order; *ran counts those whose `if:` holds. */
static void
compile_steps(struct cc *c, struct pctx *px, const struct rarr *steps, const struct scope *s,
              const struct inh *in, bool active, size_t *ran)
{
	for (size_t i = 0; i < steps->n; i++)
		if (compile_step(c, px, RARR_AT(*steps, struct m_pipeline, i), s, in, active))
			(*ran)++;
}

/* ------------------------------------------------------------ plan parts */

static struct bd_plan_strv
to_strv(struct cc *c, const struct rlist *l)
{
	struct bd_plan_strv v = { .n = 0 };

	v.v = bd_arena_array(c->pa, l->n ? l->n : 1, sizeof(char *));
	for (size_t i = 0; i < l->n; i++)
		v.v[v.n++] = bd_arena_strdup(c->pa, l->v[i].s);
	return v;
}

static struct bd_plan_env
map_to_env(struct cc *c, const struct rmap *m)
{
	struct envv e = { 0 };

	for (size_t i = 0; i < m->n; i++)
		e = env_set(&c->ta, &e, m->v[i].key.s, m->v[i].val.s);
	return env_to_plan(c->pa, &e);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted and unique (test environments, as melange does). */
static struct bd_plan_strv
sorted_unique(struct cc *c, char **v, size_t n)
{
	struct bd_plan_strv out = { .n = 0 };

	qsort(v, n, sizeof(*v), str_cmp);
	out.v = bd_arena_array(c->pa, n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (!out.n || strcmp(out.v[out.n - 1], v[i]))
			out.v[out.n++] = v[i];
	return out;
}

/* In order, first occurrence kept (the build environment). */
static struct bd_plan_strv
ordered_unique(struct cc *c, char **v, size_t n)
{
	struct bd_plan_strv out = { .n = 0 };
	struct bd_strmap seen = { 0 };

	out.v = bd_arena_array(c->pa, n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		if (bd_strmap_get(&seen, v[i], strlen(v[i])))
			continue;
		bd_strmap_put(&seen, v[i], strlen(v[i]), v[i]);
		out.v[out.n++] = v[i];
	}
	bd_strmap_free(&seen);
	return out;
}

static void
fill_accounts(struct cc *c, const struct m_accounts *a, struct bd_plan_accounts *out)
{
	bool have_user = false, have_group = false;

	out->run_as = opt(c, a->run_as.s);
	out->users = bd_arena_array(c->pa, a->users.n + 1, sizeof(*out->users));
	for (size_t i = 0; i < a->users.n; i++) {
		const struct m_user *u = RARR_AT(a->users, struct m_user, i);
		struct bd_plan_user *pu = &out->users[out->n_users++];
		pu->username = bd_arena_strdup(c->pa, u->username.s);
		pu->uid = (uint32_t)u->uid.u;
		pu->has_gid = u->gid.set;
		pu->gid = (uint32_t)u->gid.u;
		pu->shell = opt(c, u->shell.s);
		pu->homedir = opt(c, u->homedir.s);
		if (!strcmp(u->username.s, "build"))
			have_user = true;
		if (u->uid.u > UINT32_MAX || u->gid.u > UINT32_MAX)
			bd_rerr(c->r, u->h.node, "user %s: uid and gid must fit in 32 bits",
			        u->username.s);
	}
	out->groups = bd_arena_array(c->pa, a->groups.n + 1, sizeof(*out->groups));
	for (size_t i = 0; i < a->groups.n; i++) {
		const struct m_group *g = RARR_AT(a->groups, struct m_group, i);
		struct bd_plan_group *pg = &out->groups[out->n_groups++];
		pg->groupname = bd_arena_strdup(c->pa, g->groupname.s);
		pg->gid = (uint32_t)g->gid.u;
		pg->members = to_strv(c, &g->members);
		if (!strcmp(g->groupname.s, "build"))
			have_group = true;
	}
	/* melange always provides the build user and group (uid/gid 1000) */
	if (!have_group) {
		struct bd_plan_group *pg = &out->groups[out->n_groups++];
		pg->groupname = bd_arena_strdup(c->pa, "build");
		pg->gid = 1000;
		pg->members.v = bd_arena_array(c->pa, 1, sizeof(char *));
		pg->members.v[0] = bd_arena_strdup(c->pa, "build");
		pg->members.n = 1;
	}
	if (!have_user) {
		struct bd_plan_user *pu = &out->users[out->n_users++];
		pu->username = bd_arena_strdup(c->pa, "build");
		pu->uid = 1000;
		pu->has_gid = true;
		pu->gid = 1000;
	}
}

static void
fill_repos(struct cc *c, const struct m_contents *ct, struct bd_plan_imgenv *out)
{
	size_t n = ct->repositories.n + ct->build_repositories.n;
	char **v = bd_arena_array(&c->ta, n + 1, sizeof(char *));
	size_t k = 0;

	for (size_t i = 0; i < ct->repositories.n; i++)
		v[k++] = bd_arena_strdup(c->pa, ct->repositories.v[i].s);
	for (size_t i = 0; i < ct->build_repositories.n; i++)
		v[k++] = bd_arena_strdup(c->pa, ct->build_repositories.v[i].s);
	out->repositories = ordered_unique(c, v, k);
	out->keyring = to_strv(c, &ct->keyring);
}

/* environment.environment with melange's defaults, compile-time
 * substituted in @s. */
static struct envv
build_genv(struct cc *c, const struct scope *s, const struct rmap *m, const struct envv *base)
{
	static const char *const defaults[][2] = {
		{ "HOME", "/home/build" },
		{ "GOPATH", "/home/build/.cache/go" },
		{ "GOMODCACHE", "/var/cache/melange/gomodcache" },
		{ "UV_CACHE_DIR", "/var/cache/melange/uv" },
		{ "PIP_CACHE_DIR", "/var/cache/melange/pip" },
		{ "COMPOSER_CACHE_DIR", "/var/cache/melange/composer" },
		{ "npm_config_cache", "/var/cache/melange/npm" },
	};
	struct envv e = base ? *base : (struct envv){ 0 };
	struct inh in = { 0 };

	for (size_t i = 0; i < m->n; i++) {
		in.loc = m->v[i].val.node;
		const char *v =
		    subst(c, s, &in, NULL, m->v[i].val.s, m->v[i].val.node, "environment", false);
		if (v)
			e = env_set(&c->ta, &e, m->v[i].key.s, v);
	}
	if (!base)
		for (size_t i = 0; i < BD_ARRAY_SIZE(defaults); i++) {
			bool found;
			size_t j = env_find(&e, defaults[i][0], &found);
			if (!found || !*e.v[j].value)
				e = env_set(&c->ta, &e, defaults[i][0], defaults[i][1]);
		}
	return e;
}

static void
fill_deps(struct cc *c, const struct m_deps *d, struct bd_plan_deps *out)
{
	out->runtime = to_strv(c, &d->runtime);
	out->provides = to_strv(c, &d->provides);
	out->replaces = to_strv(c, &d->replaces);
	out->provider_priority = opt(c, d->provider_priority.s);
	out->replaces_priority = opt(c, d->replaces_priority.s);
}

static void
fill_scriptlets(struct cc *c, const struct m_scriptlets *s, struct bd_plan_scriptlets *out)
{
	if (!s)
		return;
	out->pre_install = opt(c, s->pre_install.s);
	out->post_install = opt(c, s->post_install.s);
	out->pre_deinstall = opt(c, s->pre_deinstall.s);
	out->post_deinstall = opt(c, s->post_deinstall.s);
	out->pre_upgrade = opt(c, s->pre_upgrade.s);
	out->post_upgrade = opt(c, s->post_upgrade.s);
	out->trigger = opt(c, s->trigger.script.s);
	out->trigger_paths = to_strv(c, &s->trigger.paths);
}

static void
fill_opts(const struct m_pkgopts *o, struct bd_plan_package *p)
{
	if (!o)
		return;
	p->no_provides = o->no_provides.v;
	p->no_depends = o->no_depends.v;
	p->no_commands = o->no_commands.v;
	p->no_versioned_shlib_deps = o->no_versioned_shlib_deps.v;
}

static void
warn_literal_ref(struct cc *c, const struct rstr *s, const char *what)
{
	if (s->s && strstr(s->s, "${{"))
		bd_rwarn(c->r, s->node,
		         "%s contains \"%s\": melange does not substitute %s at compile time, so "
		         "the text stays as written",
		         what, s->s, what);
}

static char *
license_expr(struct cc *c)
{
	const struct rarr *cr = &c->r->cfg.package.copyright;
	struct bd_buf b = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < cr->n; i++) {
		const char *l = RARR_AT(*cr, struct m_copyright, i)->license.s;
		bool dup = false;
		if (!*l)
			continue;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(RARR_AT(*cr, struct m_copyright, j)->license.s, l))
				dup = true;
		if (dup)
			continue;
		bd_buf_printf(&b, "%s%s", n++ ? " AND " : "", l);
	}
	char *r = n ? bd_arena_strndup(c->pa, b.data, b.len) : NULL;
	bd_buf_free(&b);
	return r;
}

static void
fill_resources(struct cc *c, const struct m_resources *m, struct bd_plan_resources *out)
{
	if (!m)
		return;
	out->cpu = opt(c, m->cpu.s);
	out->cpumodel = opt(c, m->cpumodel.s);
	out->memory = opt(c, m->memory.s);
	out->disk = opt(c, m->disk.s);
}

static void
fill_main(struct cc *c)
{
	struct bd_plan *pl = c->r->plan;
	const struct m_package *p = &c->r->cfg.package;
	struct bd_plan_package *pp = &pl->pkg;

	pp->name = bd_arena_strdup(c->pa, p->name.s);
	pp->version = bd_arena_strdup(c->pa, p->version.s);
	pp->epoch = p->epoch.u;
	pp->full_version = bd_arena_printf(c->pa, "%s-r%" PRIu64, p->version.s, p->epoch.u);
	pp->description = opt(c, p->description.s);
	pp->url = opt(c, p->url.s);
	pp->commit = opt(c, p->commit.s);
	pp->license = license_expr(c);
	fill_deps(c, &p->dependencies, &pp->deps);
	fill_opts(p->options, pp);
	fill_scriptlets(c, p->scriptlets, &pp->scriptlets);
	pp->checks_disabled = to_strv(c, &p->checks.disabled);
	pp->annotations = map_to_env(c, &p->annotations);
	pp->outdir = bd_arena_printf(c->pa, "%s/%s", BD_PLAN_OUTDIR, p->name.s);
	warn_literal_ref(c, &p->description, "package.description");
	warn_literal_ref(c, &p->url, "package.url");

	pl->copyright = bd_arena_array(c->pa, p->copyright.n + 1, sizeof(*pl->copyright));
	for (size_t i = 0; i < p->copyright.n; i++) {
		const struct m_copyright *m = RARR_AT(p->copyright, struct m_copyright, i);
		struct bd_plan_copyright *o = &pl->copyright[pl->n_copyright++];
		o->license = bd_arena_strdup(c->pa, m->license.s);
		o->license_path = opt(c, m->license_path.s);
		o->attestation = opt(c, m->attestation.s);
		o->detection_override = opt(c, m->detection_override.s);
		o->paths = to_strv(c, &m->paths);
	}
	pl->setcap = bd_arena_array(c->pa, p->setcap.n + 1, sizeof(*pl->setcap));
	for (size_t i = 0; i < p->setcap.n; i++) {
		const struct m_setcap *m = RARR_AT(p->setcap, struct m_setcap, i);
		struct bd_plan_setcap *o = &pl->setcap[pl->n_setcap++];
		o->path = bd_arena_strdup(c->pa, m->path.s);
		o->add = map_to_env(c, &m->add);
		o->reason = bd_arena_strdup(c->pa, m->reason.s);
	}
	const struct m_cpe *cp = &p->cpe;
	pl->cpe = (struct bd_plan_cpe){
		opt(c, cp->part.s),      opt(c, cp->vendor.s),    opt(c, cp->product.s),
		opt(c, cp->edition.s),   opt(c, cp->language.s),  opt(c, cp->sw_edition.s),
		opt(c, cp->target_sw.s), opt(c, cp->target_hw.s), opt(c, cp->other.s),
	};
	pl->target_architecture = to_strv(c, &p->target_architecture);
	pl->cap_add = to_strv(c, &c->r->cfg.capabilities.add);
	pl->cap_drop = to_strv(c, &c->r->cfg.capabilities.drop);
	fill_resources(c, p->resources, &pl->resources);
	fill_resources(c, p->test_resources, &pl->test_resources);
	if (p->timeout.set && p->timeout.i > 0)
		pl->timeout_seconds = ((uint64_t)p->timeout.i + 999999999u) / 1000000000u;
}

static void
fill_sub(struct cc *c, const struct m_subpackage *sp, struct bd_plan_package *pp)
{
	const struct bd_plan_package *m = &c->r->plan->pkg;

	pp->name = bd_arena_strdup(c->pa, sp->name.s);
	pp->version = m->version;
	pp->epoch = m->epoch;
	pp->full_version = m->full_version;
	pp->description = opt(c, sp->description.s); /* not inherited */
	pp->url = opt(c, sp->url.s);
	pp->commit = *sp->commit.s ? bd_arena_strdup(c->pa, sp->commit.s) : m->commit;
	pp->license = m->license;
	fill_deps(c, &sp->dependencies, &pp->deps);
	fill_opts(sp->options, pp);
	fill_scriptlets(c, sp->scriptlets, &pp->scriptlets);
	pp->checks_disabled = to_strv(c, &sp->checks.disabled);
	pp->annotations = map_to_env(c, &sp->annotations);
	pp->outdir = bd_arena_printf(c->pa, "%s/%s", BD_PLAN_OUTDIR, sp->name.s);
	warn_literal_ref(c, &sp->description, "the subpackage description");
}

/* ------------------------------------------------------------ driver */

static void
put_static(struct cc *c, struct scope *s)
{
	struct recipe *r = c->r;
	const struct m_package *p = &r->cfg.package;
	const char *name = p->name.s;

	scope_put(c, s, "package.name", name);
	scope_put(c, s, "package.version", p->version.s);
	scope_put(c, s, "package.epoch", bd_arena_printf(&c->ta, "%" PRIu64, p->epoch.u));
	scope_put(c, s, "package.full-version",
	          bd_arena_printf(&c->ta, "%s-r%" PRIu64, p->version.s, p->epoch.u));
	scope_put(c, s, "package.srcdir", BD_PLAN_HOME);
	scope_put(c, s, "targets.outdir", BD_PLAN_OUTDIR);
	scope_put(c, s, "targets.destdir", bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_OUTDIR, name));
	scope_put(c, s, "targets.contextdir",
	          bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_OUTDIR, name));
	scope_put(c, s, "context.name", name);
	scope_put(c, s, "host.triplet.gnu", r->arch->gnu);
	scope_put(c, s, "host.triplet.rust", r->arch->rust_gnu);
	scope_put(c, s, "cross.triplet.gnu.glibc", r->arch->gnu);
	scope_put(c, s, "cross.triplet.gnu.musl", r->arch->musl);
	scope_put(c, s, "cross.triplet.rust.glibc", r->arch->rust_gnu);
	scope_put(c, s, "cross.triplet.rust.musl", r->arch->rust_musl);
	scope_put(c, s, "build.arch", r->arch->apk);
	scope_put(c, s, "build.goarch", r->arch->oci);

	/* vars (resolved), then var-transforms on top */
	for (size_t i = 0; i < r->cvars.cap; i++) {
		const struct bd_strmap_ent *e = &r->cvars.v[i];
		if (e->key)
			scope_put(c, s, bd_arena_printf(&c->ta, "vars.%.*s", (int)e->klen, e->key),
			          e->val);
	}
	for (size_t i = 0; i < r->cfg.var_transforms.n; i++) {
		const struct m_vartransform *vt =
		    RARR_AT(r->cfg.var_transforms, struct m_vartransform, i);
		char *key = bd_arena_printf(&c->ta, "vars.%s", vt->to.s);
		const char *v = bd_strmap_get(&r->pvars, key, strlen(key));
		if (v)
			scope_put(c, s, key, v);
	}
	scope_put(c, s, bd_arena_printf(&c->ta, "targets.package.%s", name),
	          bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_OUTDIR, name));
	for (size_t i = 0; i < r->nsubs; i++)
		scope_put(c, s, bd_arena_printf(&c->ta, "targets.package.%s", r->subs[i].name.s),
		          bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_OUTDIR, r->subs[i].name.s));
	for (size_t i = 0; i < r->cfg.options.n; i++) {
		const struct m_buildopt *bo = RARR_AT(r->cfg.options, struct m_buildopt, i);
		scope_put(c, s, bd_arena_printf(&c->ta, "options.%s.enabled", bo->h.key.s),
		          "false");
	}
}

static void
sub_scope(struct cc *c, struct scope *s, const struct scope *base, const char *name)
{
	char *dir = bd_arena_printf(&c->ta, "%s/%s", BD_PLAN_OUTDIR, name);

	scope_init(s, base);
	scope_put(c, s, "subpkg.name", name);
	scope_put(c, s, "context.name", name);
	scope_put(c, s, "targets.subpkgdir", dir);
	scope_put(c, s, "targets.contextdir", dir);
}

static struct bd_plan_step *
steps_to_plan(struct cc *c, struct stepvec *sv, size_t *n)
{
	struct bd_plan_step *v = bd_arena_array(c->pa, sv->n ? sv->n : 1, sizeof(*v));

	if (sv->n)
		memcpy(v, sv->v, sv->n * sizeof(*v));
	*n = sv->n;
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
	return v;
}

/* Compile a test section into @t (when @keep). */
static void
compile_test(struct cc *c, const struct m_test *test, const char *pkg, const struct scope *s,
             const struct envv *build_env, bool keep, struct bd_plan_test *t)
{
	struct stepvec steps = { 0 };
	struct strvec needs = { 0 };
	struct envv tenv = build_genv(c, s, &test->environment.environment, build_env);
	struct envv genv;
	bool found;
	size_t i = env_find(&tenv, "HOME", &found);

	if (!found || !*tenv.v[i].value)
		tenv = env_set(&c->ta, &tenv, "HOME", "/home/build");
	genv = env_set(&c->ta, &tenv, "PATH", BD_PLAN_PATH);

	struct pctx px = {
		.pkg = bd_arena_strdup(c->pa, pkg),
		.base = s,
		.genv = &genv,
		.out = &steps,
		.needs = &needs,
		.emit = keep,
	};
	struct inh in = { 0 };
	size_t ran = 0;
	compile_steps(c, &px, &test->pipeline, s, &in, true, &ran);

	/* packages: the test environment's, the package under test and the
	 * needs, sorted and unique */
	const struct rlist *pk = &test->environment.contents.packages;
	for (size_t j = 0; j < pk->n; j++)
		strvec_push(&needs, bd_arena_strdup(c->pa, pk->v[j].s));
	strvec_push(&needs, (char *)(uintptr_t)px.pkg);
	if (keep) {
		t->package = (char *)(uintptr_t)px.pkg;
		t->env.packages = sorted_unique(c, needs.v, needs.n);
		fill_repos(c, &test->environment.contents, &t->env);
		t->env.environment = env_to_plan(c->pa, &tenv);
		fill_accounts(c, &test->environment.accounts, &t->env.accounts);
		t->steps = steps_to_plan(c, &steps, &t->n_steps);
	}
	free(steps.v);
	free(needs.v);
}

static bool
arch_listed(struct recipe *r)
{
	const struct rlist *ta = &r->cfg.package.target_architecture;

	if (!ta->n)
		return true;
	for (size_t i = 0; i < ta->n; i++) {
		const char *a = ta->v[i].s;
		if (!strcmp(a, "all"))
			return true;
		const char *apk = bd_recipe_arch(a);
		if (apk && !strcmp(apk, r->arch->apk))
			return true;
	}
	return false;
}

size_t
bd_compile(struct recipe *r)
{
	struct cc c = { .r = r, .pa = r->pa };
	struct bd_plan *pl = r->plan;
	struct scope base;
	struct stepvec steps = { 0 };
	struct strvec needs = { 0 };
	size_t before = r->errors;

	pl->arch_skipped = !arch_listed(r);
	c.skip_asserts = pl->arch_skipped;
	scope_init(&base, NULL);
	put_static(&c, &base);
	fill_main(&c);

	/* the build environment */
	struct envv benv = build_genv(&c, &base, &r->cfg.environment.environment, NULL);
	struct envv bgenv = env_set(&c.ta, &benv, "PATH", BD_PLAN_PATH);

	struct pctx px = {
		.pkg = pl->pkg.name,
		.base = &base,
		.genv = &bgenv,
		.out = &steps,
		.needs = &needs,
		.emit = true,
	};
	struct inh in = { 0 };
	size_t ran = 0;
	compile_steps(&c, &px, &r->cfg.pipeline, &base, &in, true, &ran);

	/* subpackages: compiled (and their needs gathered) even when their
	 * `if:` removes them, as melange does before removing them */
	bool *keep = bd_arena_array(&c.ta, r->nsubs + 1, sizeof(bool));
	struct scope *subsc = bd_arena_array(&c.ta, r->nsubs + 1, sizeof(*subsc));
	pl->subpkgs = bd_arena_array(c.pa, r->nsubs + 1, sizeof(*pl->subpkgs));
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct m_subpackage *sp = &r->subs[i];
		sub_scope(&c, &subsc[i], &base, sp->name.s);
		keep[i] = true;
		if (*sp->if_.s) {
			struct inh sin = { .loc = sp->if_.node };
			const char *e =
			    subst(&c, &subsc[i], &sin, NULL, sp->if_.s, sp->if_.node, "if", true);
			char msg[256];
			if (e && bd_cond_eval(e, &keep[i], msg, sizeof(msg)) < 0) {
				bd_rerr(r, sp->if_.node, "invalid if expression: %s, in: %s", msg,
				        e);
				keep[i] = true;
			}
		}
		px.pkg = bd_arena_strdup(c.pa, sp->name.s);
		px.base = &subsc[i];
		px.emit = keep[i];
		compile_steps(&c, &px, &sp->pipeline, &subsc[i], &in, true, &ran);
		if (keep[i])
			fill_sub(&c, sp, &pl->subpkgs[pl->n_subpkgs++]);
	}

	/* the build environment's packages: the recipe's, then the needs */
	const struct rlist *pk = &r->cfg.environment.contents.packages;
	char **all = bd_arena_array(&c.ta, pk->n + needs.n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < pk->n; i++)
		all[k++] = bd_arena_strdup(c.pa, pk->v[i].s);
	for (size_t i = 0; i < needs.n; i++)
		all[k++] = needs.v[i];
	pl->build_env.packages = ordered_unique(&c, all, k);
	fill_repos(&c, &r->cfg.environment.contents, &pl->build_env);
	pl->build_env.environment = env_to_plan(c.pa, &benv);
	fill_accounts(&c, &r->cfg.environment.accounts, &pl->build_env.accounts);
	pl->steps = steps_to_plan(&c, &steps, &pl->n_steps);

	/* tests: the main package's, then each kept subpackage's */
	pl->tests = bd_arena_array(c.pa, r->nsubs + 2, sizeof(*pl->tests));
	/* melange runs a test only when it has a pipeline */
	if (r->cfg.test && r->cfg.test->pipeline.n)
		compile_test(&c, r->cfg.test, pl->pkg.name, &base, &benv, true,
		             &pl->tests[pl->n_tests++]);
	for (size_t i = 0; i < r->nsubs; i++) {
		const struct m_subpackage *sp = &r->subs[i];
		if (!sp->test || !sp->test->pipeline.n)
			continue;
		struct bd_plan_test *t = keep[i] ? &pl->tests[pl->n_tests] : NULL;
		struct bd_plan_test scratch;
		compile_test(&c, sp->test, sp->name.s, &subsc[i], &benv, keep[i], t ? t : &scratch);
		if (keep[i])
			pl->n_tests++;
	}

	for (size_t i = 0; i < r->nsubs; i++)
		scope_free(&subsc[i]);
	scope_free(&base);
	free(steps.v);
	free(needs.v);
	bd_arena_free(&c.ta);
	return r->errors - before;
}
