/* SPDX-License-Identifier: MIT */
/* solve: the dependency solver (see solve.h; its database is apk/pkgdb.c).
 *
 * State is per name (which package holds it, at what decision level, the
 * constraints recorded on it) and per package (selected, level, allowed
 * repository tags, why it was selected), all undone through a trail.  The world's entries are recorded as constraints and queued.
 * A queued dependency that a selected package already satisfies costs
 * nothing; otherwise its candidates are the providers that match it and
 * are viable now: they clash with no selected name, violate no recorded
 * constraint (conflicts included), their own dependencies do not clash
 * with selected packages and could be satisfied at all, their repository
 * tag is allowed, and (apk's rule) a bare virtual provider without
 * provider_priority is not picked among several providers.  One candidate
 * is selected at once; several are deferred until nothing forced is left
 * (so constraints arrive before choices, as apk resolves names without
 * options first), then the best one is taken at a new choice point.
 * Selecting a package records its dependencies as constraints and queues
 * them.  When the queues are empty, packages whose install_if is met are
 * added (each at a choice point whose last alternative is "not at all").
 *
 * Every selection carries a decision level: the highest choice point its
 * presence depends on (its requirer, the choice that picked it, the
 * packages that excluded its competitors).  A conflict's levels say which
 * choice points can matter; the search jumps back to the highest of them
 * and tries its next candidate (conflict-directed backjumping), so
 * failures that no choice can fix are reported at once instead of after
 * an exponential search.  The number of backtracks is bounded. */
#include "apk/solve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/pkgdb.h"
#include "apk/pkginfo.h"
#include "apk/version.h"
#include "common/util.h"

#define DEFAULT_MAX_BACKTRACKS 10000
#define CHAIN_MAX_HOPS 8

/* ------------------------------------------------------------ solver */

enum why {
	WHY_WORLD,
	WHY_DEP,
	WHY_IIF,
};

struct nst {
	uint32_t occ;        /* first package holding the name, + 1; 0 = free */
	uint32_t nocc;       /* packages holding it (> 1 only for bare provides) */
	uint32_t lvl;        /* highest decision level among them */
	uint32_t cons;       /* newest constraint on the name + 1, 0 = none */
	const char *occ_ver; /* version the first holder provides (NULL = bare) */
	bool iif_skip;       /* install_if candidates of this name were refused */
};

struct pst {
	uint32_t lvl, pin;
	uint32_t why_pkg;                  /* WHY_DEP: requirer + 1 */
	const struct bd_apk_sdep *why_dep; /* the dependency that selected it */
	uint8_t why;
	bool sel;
};

struct cons {
	const struct bd_apk_sdep *dep;
	uint32_t req;  /* package id + 1; 0 = the world */
	uint32_t next; /* the previous constraint on the name + 1, 0 = none */
};

struct qitem {
	const struct bd_apk_sdep *dep;
	uint32_t req;
};

enum trail_kind {
	T_SEL,
	T_OCC,
	T_CONS,
	T_PIN,
	T_SKIP,
};

struct trail {
	uint8_t kind;
	uint32_t id, a, b, c;
	const char *ver;
};

struct cand {
	uint32_t pkg, pin;
	const char *pver;
	bool pref;
};

struct cp {
	uint32_t qhead, qlen, dqhead, dqlen, iifhead, iiflen, ntr, ncons, nsel;
	uint32_t cand_off, ncand, next;
	uint32_t base, acc; /* levels this choice depends on / its failures did */
	struct qitem item;
	bool iif, skipped;
	uint32_t iif_name;
};

struct solver {
	const struct bd_apk_db *db;
	struct nst *ns;
	struct pst *ps;
	struct cons *cons;
	uint32_t ncons, cons_cap;
	struct qitem *q;
	uint32_t qhead, qlen, qcap;
	struct qitem *dq;
	uint32_t dqhead, dqlen, dqcap;
	uint32_t *iif;
	uint32_t iifhead, iiflen, iifcap;
	struct trail *tr;
	uint32_t ntr, trcap;
	uint32_t *sel;
	uint32_t nsel;
	struct cand *pool;
	uint32_t npool, poolcap;
	struct cp *cps;
	uint32_t ncp, cpcap;
	unsigned backtracks, max_backtracks;
	bool gave_up, have_first;
	struct bd_err first;
};

static void
trail_push(struct solver *S, uint8_t kind, uint32_t id, uint32_t a, uint32_t b, uint32_t c,
           const char *ver)
{
	S->tr = bd_apk_grow(S->tr, &S->trcap, S->ntr + 1, sizeof(*S->tr));
	S->tr[S->ntr++] = (struct trail){ kind, id, a, b, c, ver };
}

static uint32_t
req_level(const struct solver *S, uint32_t req)
{
	return req ? S->ps[req - 1].lvl : 0;
}

/* Repository tags a requirer allows: the untagged repositories always,
 * plus the world entry's tag, or what the requiring package inherited. */
static uint32_t
req_pin(const struct solver *S, const struct bd_apk_sdep *d, uint32_t req)
{
	return req ? S->ps[req - 1].pin : 1u | (1u << d->tag);
}

static void
add_cons(struct solver *S, const struct bd_apk_sdep *d, uint32_t req)
{
	struct nst *n = &S->ns[d->name];

	S->cons = bd_apk_grow(S->cons, &S->cons_cap, S->ncons + 1, sizeof(*S->cons));
	S->cons[S->ncons] = (struct cons){ d, req, n->cons };
	trail_push(S, T_CONS, d->name, n->cons, 0, 0, NULL);
	n->cons = ++S->ncons;
}

static void
qpush(struct solver *S, const struct bd_apk_sdep *d, uint32_t req)
{
	S->q = bd_apk_grow(S->q, &S->qcap, S->qlen + 1, sizeof(*S->q));
	S->q[S->qlen++] = (struct qitem){ d, req };
}

static void
occupy(struct solver *S, uint32_t name, uint32_t pkg, const char *ver, uint32_t lvl)
{
	const struct bd_apk_db *db = S->db;
	struct nst *n = &S->ns[name];

	if (n->occ == pkg + 1)
		return; /* the package names itself twice */
	trail_push(S, T_OCC, name, n->occ, n->nocc, n->lvl, n->occ_ver);
	if (!n->occ) {
		n->occ = pkg + 1;
		n->occ_ver = ver;
	}
	n->nocc++;
	if (lvl > n->lvl)
		n->lvl = lvl;
	if (n->nocc == 1) {
		const struct bd_apk_sname *nm = &db->names[name];
		S->iif = bd_apk_grow(S->iif, &S->iifcap, S->iiflen + nm->nriif, sizeof(*S->iif));
		for (uint32_t i = 0; i < nm->nriif; i++)
			S->iif[S->iiflen++] = db->riif[nm->riif_off + i];
	}
}

static void
select_pkg(struct solver *S, uint32_t pkg, uint32_t lvl, uint32_t pin, uint8_t why,
           uint32_t why_pkg, const struct bd_apk_sdep *why_dep)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_spkg *p = &db->pkgs[pkg];
	const struct bd_apk_sdep *d = &db->deps[p->dep_off];
	struct pst *ps = &S->ps[pkg];

	trail_push(S, T_SEL, pkg, 0, 0, 0, NULL);
	ps->sel = true;
	ps->lvl = lvl;
	ps->pin = pin;
	ps->why = why;
	ps->why_pkg = why_pkg;
	ps->why_dep = why_dep;
	S->sel[S->nsel++] = pkg;
	occupy(S, p->name, pkg, p->version, lvl);
	for (uint32_t k = 0; k < p->nprov; k++)
		occupy(S, d[p->ndep + k].name, pkg, d[p->ndep + k].version, lvl);
	for (uint32_t k = 0; k < p->ndep; k++) {
		add_cons(S, &d[k], pkg + 1);
		if (!d[k].conflict)
			qpush(S, &d[k], pkg + 1);
	}
}

/* Is @d (required by @req) met by the packages holding its name?  A free
 * name meets conflicts only. */
static bool
occ_ok(const struct solver *S, const struct bd_apk_sdep *d, uint32_t req)
{
	const struct nst *n = &S->ns[d->name];

	if (!n->occ)
		return d->conflict;
	if (d->conflict && n->nocc > 1)
		/* several bare providers: an unversioned conflict hits one that
		 * is not @req; a versioned one never matches a bare provide */
		return d->op != 0 && !d->csum;
	return bd_apk_dep_provided(S->db, d, n->occ - 1, n->occ_ver, req);
}

static bool
has_requirers(const struct solver *S, uint32_t name)
{
	for (uint32_t c = S->ns[name].cons; c; c = S->cons[c - 1].next)
		if (!S->cons[c - 1].dep->conflict)
			return true;
	return false;
}

static void put_chain(const struct solver *S, uint32_t req, struct bd_buf *b);

static void
put_pkg(const struct solver *S, uint32_t pkg, struct bd_buf *b)
{
	const struct bd_apk_spkg *p = &S->db->pkgs[pkg];

	bd_buf_printf(b, "%s-%s", S->db->names[p->name].s, p->version);
}

/* Why a candidate was refused (explain mode), and the decision level of
 * what refused it. */
enum reject {
	R_NONE,
	R_BROKEN, /* holds a name twice */
	R_STATIC, /* its dependency has no provider at all */
	R_TAG,
	R_VIRTUAL,
	R_STATE, /* a selected package or a recorded constraint */
};

/* Can @pkg, providing @name at @pver, be selected now?  @d is the
 * dependency being decided (NULL for install_if), @extra_pin tags allowed
 * beyond the constraints on @name.  On success *pin and *pref say which
 * repository tags it inherits and whether it is in a preferred one; on
 * refusal *lvl is the decision level of the reason, and with @why the
 * reason is appended. */
static enum reject
viable(const struct solver *S, uint32_t pkg, uint32_t name, const char *pver,
       const struct bd_apk_sdep *d, uint32_t extra_pin, uint32_t *pin, bool *pref, uint32_t *lvl,
       struct bd_buf *why, const struct bd_apk_sdep **unmet)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_spkg *p = &db->pkgs[pkg];
	const struct bd_apk_sdep *pd = &db->deps[p->dep_off];
	uint32_t allowed = extra_pin, prefmask = 1;

	*lvl = 0;
	if (p->dup_name != BD_APK_NIL) {
		if (why)
			bd_buf_printf(why, "it provides %s more than once",
			              db->names[p->dup_name].s);
		return R_BROKEN;
	}
	/* apk: a bare provider without provider_priority is not picked
	 * automatically among several providers, unless its own name is
	 * required anyway */
	if (d && !pver && p->priority == 0 && db->names[name].nprov > 1 &&
	    !has_requirers(S, p->name)) {
		/* refused for lack of a requirer: any choice may matter */
		*lvl = S->ncp;
		if (why)
			bd_buf_printf(why,
			              "it provides %s only as a virtual name, without a "
			              "provider_priority",
			              db->names[name].s);
		return R_VIRTUAL;
	}
	for (uint32_t k = 0; k < p->ndep; k++) {
		if (pd[k].conflict || pd[k].sat || S->ns[pd[k].name].occ)
			continue;
		if (why)
			bd_buf_printf(why, "its dependency %s cannot be met by any package",
			              pd[k].text);
		if (unmet)
			*unmet = &pd[k];
		return R_STATIC;
	}
	/* repository tags (apk: inherit_pinning_and_flags): every requirer
	 * this package would satisfy lends its allowed tags */
	for (uint32_t c = S->ns[name].cons; c; c = S->cons[c - 1].next) {
		const struct cons *cs = &S->cons[c - 1];
		if (cs->dep->conflict || !bd_apk_dep_provided(db, cs->dep, pkg, pver, cs->req))
			continue;
		allowed |= req_pin(S, cs->dep, cs->req);
		if (!cs->req && cs->dep->tag)
			prefmask = 1u << cs->dep->tag;
	}
	if (!(p->tags & allowed)) {
		/* refused for lack of a pinning requirer: any choice may matter */
		*lvl = S->ncp;
		if (why) {
			const char *tag = "";
			bd_buf_puts(why, "it is only in repositories tagged");
			for (unsigned t = 1; t < db->ntags; t++) {
				if (!(p->tags & (1u << t)))
					continue;
				bd_buf_printf(why, " @%s", db->tags[t]);
				if (!*tag)
					tag = db->tags[t];
			}
			bd_buf_printf(why, " (pin it: %s@%s)", db->names[p->name].s, tag);
		}
		return R_TAG;
	}
	/* the names it would hold: free, or all bare provides; and every
	 * constraint recorded on them must accept it */
	for (uint32_t k = 0; k <= p->nprov; k++) {
		uint32_t m = k == 0 ? p->name : pd[p->ndep + k - 1].name;
		const char *mv = k == 0 ? p->version : pd[p->ndep + k - 1].version;
		const struct nst *n = &S->ns[m];
		if (n->occ && n->occ != pkg + 1 && !(mv == NULL && n->occ_ver == NULL)) {
			*lvl = n->lvl;
			if (why) {
				bd_buf_printf(why, "%s is already provided by ", db->names[m].s);
				put_chain(S, n->occ, why);
			}
			return R_STATE;
		}
		for (uint32_t c = n->cons; c; c = S->cons[c - 1].next) {
			const struct cons *cs = &S->cons[c - 1];
			if (bd_apk_dep_provided(db, cs->dep, pkg, mv, cs->req))
				continue;
			*lvl = req_level(S, cs->req);
			if (why) {
				bd_buf_printf(why, "it is excluded by %s (required by ",
				              cs->dep->text);
				put_chain(S, cs->req, why);
				bd_buf_putc(why, ')');
			}
			return R_STATE;
		}
	}
	/* its own dependencies against what is selected */
	for (uint32_t k = 0; k < p->ndep; k++) {
		const struct nst *n = &S->ns[pd[k].name];
		if (!n->occ || occ_ok(S, &pd[k], pkg + 1))
			continue;
		*lvl = n->lvl;
		if (why) {
			if (pd[k].conflict)
				bd_buf_printf(why, "it conflicts (%s) with the selected ",
				              pd[k].text);
			else
				bd_buf_printf(why, "its dependency %s conflicts with the selected ",
				              pd[k].text);
			put_chain(S, n->occ, why);
		}
		return R_STATE;
	}
	*pin = allowed;
	*pref = (p->tags & prefmask) != 0;
	return R_NONE;
}

/* "bar-1.2-r0 <- world: bar" for requirer @req (package id + 1). */
static void
put_chain(const struct solver *S, uint32_t req, struct bd_buf *b)
{
	uint32_t p;

	if (!req) {
		bd_buf_puts(b, "world");
		return;
	}
	p = req - 1;
	for (int hops = 0; hops < CHAIN_MAX_HOPS; hops++) {
		const struct pst *ps = &S->ps[p];
		put_pkg(S, p, b);
		switch (ps->why) {
		case WHY_WORLD:
			bd_buf_printf(b, " <- world: %s", ps->why_dep->text);
			return;
		case WHY_IIF:
			bd_buf_puts(b, " <- install_if");
			return;
		case WHY_DEP:
		default:
			bd_buf_puts(b, " <- ");
			p = ps->why_pkg - 1;
			break;
		}
	}
	bd_buf_puts(b, "...");
}

static void
keep_first(struct solver *S, struct bd_buf *b)
{
	if (!S->have_first) {
		bd_err_setx(&S->first, EDEADLK, "%s", b->data ? b->data : "unsatisfiable");
		S->have_first = true;
	}
	bd_buf_free(b);
}

/* "; available: a-1.0-r0, b-2.0-r0 (provides x=2)" for name @name */
static void
put_available(const struct solver *S, uint32_t name, struct bd_buf *b)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_sname *nm = &db->names[name];

	bd_buf_puts(b, "; available:");
	for (uint32_t i = 0; i < nm->nprov && i < 6; i++) {
		const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
		bd_buf_puts(b, i ? ", " : " ");
		put_pkg(S, pv->pkg, b);
		if (db->pkgs[pv->pkg].name != name)
			bd_buf_printf(b, " (provides %s%s%s)", nm->s, pv->version ? "=" : "",
			              pv->version ? pv->version : "");
	}
	if (nm->nprov > 6)
		bd_buf_printf(b, " and %u more", nm->nprov - 6);
}

/* The first failure is the one reported: the one the preferred choices
 * ran into.  Messages are only built for it. */
static void
explain_dep(struct solver *S, const struct qitem *it)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_sdep *d = it->dep;
	struct bd_buf b = { 0 };
	const struct bd_apk_sname *nm;
	uint32_t nmatch = 0, nvirt = 0, shown = 0;

	if (S->have_first)
		return;
	bd_buf_printf(&b, "%s (required by ", d->text);
	put_chain(S, it->req, &b);
	bd_buf_putc(&b, ')');
	if (d->name == BD_APK_NIL || db->names[d->name].nprov == 0) {
		bd_buf_puts(&b, " has no provider");
		keep_first(S, &b);
		return;
	}
	nm = &db->names[d->name];
	if (S->ns[d->name].occ) {
		bd_buf_puts(&b, " conflicts with the selected ");
		put_chain(S, S->ns[d->name].occ, &b);
		keep_first(S, &b);
		return;
	}
	for (uint32_t i = 0; i < nm->nprov; i++) {
		const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
		if (bd_apk_dep_provided(db, d, pv->pkg, pv->version, it->req))
			nmatch++;
	}
	if (nmatch == 0) {
		bd_buf_puts(&b, " has no matching provider");
		put_available(S, d->name, &b);
		keep_first(S, &b);
		return;
	}
	/* every candidate was refused: say why, for the first few */
	struct bd_buf reasons = { 0 };
	for (uint32_t i = 0; i < nm->nprov; i++) {
		const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
		uint32_t pin, lvl;
		bool pref;
		if (!bd_apk_dep_provided(db, d, pv->pkg, pv->version, it->req))
			continue;
		if (shown < 3) {
			bd_buf_puts(&reasons, shown ? "; " : ": ");
			put_pkg(S, pv->pkg, &reasons);
			bd_buf_puts(&reasons, ": ");
		}
		size_t mark = reasons.len;
		const struct bd_apk_sdep *unmet = NULL;
		enum reject r = viable(S, pv->pkg, d->name, pv->version, d, 0, &pin, &pref, &lvl,
		                       &reasons, &unmet);
		if (r == R_STATIC && nmatch == 1) {
			/* the only candidate lacks a dependency: report that one,
			 * as if the candidate had been taken */
			bd_buf_reset(&b);
			bd_buf_printf(&b, "%s (required by ", unmet->text);
			put_pkg(S, pv->pkg, &b);
			if (it->req) {
				bd_buf_puts(&b, " <- ");
				put_chain(S, it->req, &b);
			} else {
				bd_buf_printf(&b, " <- world: %s", d->text);
			}
			bd_buf_putc(&b, ')');
			if (db->names[unmet->name].nprov == 0) {
				bd_buf_puts(&b, " has no provider");
			} else {
				bd_buf_puts(&b, " has no matching provider");
				put_available(S, unmet->name, &b);
			}
			bd_buf_free(&reasons);
			keep_first(S, &b);
			return;
		}
		if (shown >= 3) {
			reasons.len = mark;
			reasons.data[mark] = '\0';
		}
		nvirt += r == R_VIRTUAL;
		shown++;
	}
	if (nvirt == nmatch) {
		bd_buf_printf(&b, " is a virtual name provided by");
		for (uint32_t i = 0, k = 0; i < nm->nprov && k < 6; i++) {
			const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
			bd_buf_puts(&b, k++ ? ", " : " ");
			put_pkg(S, pv->pkg, &b);
		}
		bd_buf_puts(&b, ", none with a provider_priority: name one of them");
	} else {
		bd_buf_puts(&b, " cannot be satisfied");
		bd_buf_puts(&b, reasons.data ? reasons.data : "");
		if (shown > 3)
			bd_buf_printf(&b, "; and %u more candidates", shown - 3);
	}
	bd_buf_free(&reasons);
	keep_first(S, &b);
}

static void
undo_to(struct solver *S, const struct cp *cp)
{
	while (S->ntr > cp->ntr) {
		const struct trail *t = &S->tr[--S->ntr];
		switch (t->kind) {
		case T_SEL:
			S->ps[t->id].sel = false;
			break;
		case T_OCC:
			S->ns[t->id].occ = t->a;
			S->ns[t->id].nocc = t->b;
			S->ns[t->id].lvl = t->c;
			S->ns[t->id].occ_ver = t->ver;
			break;
		case T_CONS:
			S->ns[t->id].cons = t->a;
			break;
		case T_PIN:
			S->ps[t->id].pin = t->a;
			break;
		case T_SKIP:
			S->ns[t->id].iif_skip = false;
			break;
		default:
			break;
		}
	}
	S->ncons = cp->ncons;
	S->qhead = cp->qhead;
	S->qlen = cp->qlen;
	S->dqhead = cp->dqhead;
	S->dqlen = cp->dqlen;
	S->iifhead = cp->iifhead;
	S->iiflen = cp->iiflen;
	S->nsel = cp->nsel;
	S->npool = cp->cand_off + cp->ncand;
}

static void
take(struct solver *S, struct cp *cp, uint32_t level)
{
	const struct cand *c = &S->pool[cp->cand_off + cp->next++];

	if (cp->iif)
		select_pkg(S, c->pkg, level, c->pin, WHY_IIF, 0, NULL);
	else if (cp->item.req)
		select_pkg(S, c->pkg, level, c->pin, WHY_DEP, cp->item.req, cp->item.dep);
	else
		select_pkg(S, c->pkg, level, c->pin, WHY_WORLD, 0, cp->item.dep);
}

/* A conflict whose causes are at decision level @L at most, and also at
 * @L2 (< L) at most once choice L is set aside: jump back to choice point
 * L and try its next alternative.  Returns 0 to go on, -1 when no choice
 * can help. */
static int
backjump(struct solver *S, uint32_t L, uint32_t L2)
{
	for (;;) {
		struct cp *cp;
		uint32_t k;

		if (L == 0)
			return -1;
		if (S->backtracks >= S->max_backtracks) {
			S->gave_up = true;
			return -1;
		}
		S->backtracks++;
		k = L - 1;
		S->ncp = k + 1;
		cp = &S->cps[k];
		if (L2 > cp->acc)
			cp->acc = L2;
		undo_to(S, cp);
		if (cp->next < cp->ncand) {
			take(S, cp, L);
			return 0;
		}
		if (cp->iif && !cp->skipped) {
			/* install_if packages are optional: go on without */
			cp->skipped = true;
			trail_push(S, T_SKIP, cp->iif_name, 0, 0, 0, NULL);
			S->ns[cp->iif_name].iif_skip = true;
			return 0;
		}
		/* exhausted: the failure now depends on what this choice
		 * depended on and on what its alternatives ran into */
		L = cp->acc > cp->base ? cp->acc : cp->base;
		L2 = L ? L - 1 : 0;
		S->ncp = k;
	}
}

/* A conflict caused by packages at decision levels @lv.  A level is the
 * highest choice a package depends on; the lower ones it depends on too
 * are not recorded, so below the highest culprit every level counts
 * (sound; the gain is in skipping the choices above it, and in failing
 * at once when no choice is involved at all). */
static int
fail(struct solver *S, const uint32_t *lv, size_t n)
{
	uint32_t L = 0;

	for (size_t i = 0; i < n; i++)
		L = lv[i] > L ? lv[i] : L;
	return backjump(S, L, L ? L - 1 : 0);
}

struct db_ctx {
	const struct bd_apk_db *db;
};

static int
cand_cmp(const void *a, const void *b, void *ctx)
{
	const struct bd_apk_db *db = ((const struct db_ctx *)ctx)->db;
	const struct cand *x = a, *y = b;
	const struct bd_apk_spkg *px = &db->pkgs[x->pkg], *py = &db->pkgs[y->pkg];
	int r;

	if (x->pref != y->pref)
		return x->pref ? -1 : 1;
	/* highest version of the requested name */
	if (x->pver && y->pver) {
		r = bd_apk_version_compare(x->pver, y->pver);
		if (r != BD_APK_VER_EQUAL)
			return r == BD_APK_VER_GREATER ? -1 : 1;
	} else if (x->pver != y->pver) {
		return x->pver ? -1 : 1;
	}
	if (px->name == py->name) {
		r = bd_apk_version_compare(px->version, py->version);
		if (r != BD_APK_VER_EQUAL)
			return r == BD_APK_VER_GREATER ? -1 : 1;
	}
	if (px->priority != py->priority)
		return px->priority > py->priority ? -1 : 1;
	/* earliest repository */
	if ((px->repos & -px->repos) != (py->repos & -py->repos))
		return (px->repos & -px->repos) < (py->repos & -py->repos) ? -1 : 1;
	/* a total order, so the result never depends on index order */
	r = strcmp(db->names[px->name].s, db->names[py->name].s);
	if (r)
		return r;
	r = bd_apk_version_compare(px->version, py->version);
	if (r != BD_APK_VER_EQUAL)
		return r == BD_APK_VER_GREATER ? -1 : 1;
	return strcmp(px->csum, py->csum);
}

static void
push_cp(struct solver *S, uint32_t cand_off, uint32_t ncand, uint32_t base,
        const struct qitem *item, uint32_t iif_name)
{
	struct db_ctx ctx = { S->db };
	struct cp *cp;

	qsort_r(&S->pool[cand_off], ncand, sizeof(*S->pool), cand_cmp, &ctx);
	S->cps = bd_apk_grow(S->cps, &S->cpcap, S->ncp + 1, sizeof(*S->cps));
	cp = &S->cps[S->ncp++];
	*cp = (struct cp){
		.qhead = S->qhead,
		.qlen = S->qlen,
		.dqhead = S->dqhead,
		.dqlen = S->dqlen,
		.iifhead = S->iifhead,
		.iiflen = S->iiflen,
		.ntr = S->ntr,
		.ncons = S->ncons,
		.nsel = S->nsel,
		.cand_off = cand_off,
		.ncand = ncand,
		.base = base,
		.iif = item == NULL,
		.iif_name = iif_name,
	};
	if (item)
		cp->item = *item;
	take(S, cp, S->ncp);
}

static void
pool_push(struct solver *S, uint32_t pkg, const char *pver, uint32_t pin, bool pref)
{
	S->pool = bd_apk_grow(S->pool, &S->poolcap, S->npool + 1, sizeof(*S->pool));
	S->pool[S->npool++] = (struct cand){ pkg, pin, pver, pref };
}

static uint32_t
max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Decide one queued dependency. */
static int
process(struct solver *S, const struct qitem *it, bool may_defer)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_sdep *d = it->dep;
	uint32_t rl = req_level(S, it->req), blk = 0, c0 = S->npool, ncand;
	const struct bd_apk_sname *nm;
	const struct nst *n;

	if (d->name == BD_APK_NIL) {
		explain_dep(S, it);
		return fail(S, &rl, 1);
	}
	n = &S->ns[d->name];
	nm = &db->names[d->name];
	if (n->occ) {
		uint32_t lv[2] = { rl, n->lvl };
		if (occ_ok(S, d, it->req)) {
			struct pst *ps = &S->ps[n->occ - 1];
			uint32_t pin = req_pin(S, d, it->req);
			if ((ps->pin | pin) != ps->pin) {
				trail_push(S, T_PIN, n->occ - 1, ps->pin, 0, 0, NULL);
				ps->pin |= pin;
			}
			return 0;
		}
		explain_dep(S, it);
		return fail(S, lv, 2);
	}
	for (uint32_t i = 0; i < nm->nprov; i++) {
		const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
		uint32_t pin = 0, lvl = 0;
		bool pref = false;
		if (!bd_apk_dep_provided(db, d, pv->pkg, pv->version, it->req))
			continue;
		if (viable(S, pv->pkg, d->name, pv->version, d, 0, &pin, &pref, &lvl, NULL, NULL) !=
		    R_NONE) {
			blk = max32(blk, lvl);
			continue;
		}
		pool_push(S, pv->pkg, pv->version, pin, pref);
	}
	ncand = S->npool - c0;
	if (ncand == 0) {
		uint32_t lv[2] = { rl, blk };
		explain_dep(S, it);
		return fail(S, lv, 2);
	}
	if (ncand == 1) {
		struct cand c = S->pool[c0];
		S->npool = c0;
		select_pkg(S, c.pkg, max32(rl, blk), c.pin, it->req ? WHY_DEP : WHY_WORLD, it->req,
		           d);
		return 0;
	}
	if (may_defer) {
		S->npool = c0;
		S->dq = bd_apk_grow(S->dq, &S->dqcap, S->dqlen + 1, sizeof(*S->dq));
		S->dq[S->dqlen++] = *it;
		return 0;
	}
	push_cp(S, c0, ncand, max32(rl, blk), it, BD_APK_NIL);
	return 0;
}

/* Are all install_if conditions of @pkg met?  *lvl gets the highest level
 * of the packages that meet them, *pin the tags they allow. */
static bool
triggered(const struct solver *S, uint32_t pkg, uint32_t *lvl, uint32_t *pin)
{
	const struct bd_apk_db *db = S->db;
	const struct bd_apk_spkg *p = &db->pkgs[pkg];
	const struct bd_apk_sdep *d = &db->deps[p->dep_off + p->ndep + p->nprov];

	*lvl = 0;
	*pin = 1;
	if (!p->niif)
		return false;
	for (uint32_t k = 0; k < p->niif; k++) {
		const struct nst *n = &S->ns[d[k].name];
		if (!d[k].conflict && !n->occ)
			return false;
		if (!occ_ok(S, &d[k], pkg + 1))
			return false;
		if (n->occ) {
			*lvl = max32(*lvl, n->lvl);
			*pin |= S->ps[n->occ - 1].pin;
		}
	}
	return true;
}

static int
process_iif(struct solver *S, uint32_t q)
{
	const struct bd_apk_db *db = S->db;
	uint32_t name = db->pkgs[q].name, c0 = S->npool, base = 0, tl, tpin;
	const struct bd_apk_sname *nm = &db->names[name];

	if (S->ps[q].sel || S->ns[name].occ || S->ns[name].iif_skip)
		return 0;
	if (!triggered(S, q, &tl, &tpin))
		return 0;
	for (uint32_t i = 0; i < nm->nprov; i++) {
		const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + i];
		uint32_t pin = 0, lvl = 0, l2, p2;
		bool pref = false;
		if (db->pkgs[pv->pkg].name != name || !triggered(S, pv->pkg, &l2, &p2))
			continue;
		base = max32(base, l2);
		if (viable(S, pv->pkg, name, pv->version, NULL, p2, &pin, &pref, &lvl, NULL,
		           NULL) != R_NONE) {
			base = max32(base, lvl);
			continue;
		}
		pool_push(S, pv->pkg, pv->version, pin, pref);
	}
	if (S->npool == c0)
		return 0; /* optional: nothing installable */
	push_cp(S, c0, S->npool - c0, base, NULL, name);
	return 0;
}

static int
run(struct solver *S)
{
	for (;;) {
		struct qitem it;
		int r;

		if (S->qhead < S->qlen) {
			it = S->q[S->qhead++];
			r = process(S, &it, true);
		} else if (S->dqhead < S->dqlen) {
			it = S->dq[S->dqhead++];
			r = process(S, &it, false);
		} else if (S->iifhead < S->iiflen) {
			r = process_iif(S, S->iif[S->iifhead++]);
		} else {
			return 0;
		}
		if (r < 0)
			return r;
	}
}

/* ------------------------------------------------------------ output */

/* Strongly connected components (Tarjan, iterative) of the graph with
 * @n nodes and edges adj[off[v] .. off[v+1]); comp[v] gets the component,
 * numbered in the order they complete. */
static uint32_t
scc(uint32_t n, const uint32_t *off, const uint32_t *adj, uint32_t *comp)
{
	uint32_t *idx = bd_xmalloc((n + 1) * sizeof(*idx)),
	         *low = bd_xmalloc((n + 1) * sizeof(*low));
	uint32_t *stk = bd_xmalloc((n + 1) * sizeof(*stk)), *cs = bd_xmalloc((n + 1) * sizeof(*cs));
	uint32_t *ce = bd_xmalloc((n + 1) * sizeof(*ce));
	bool *on = bd_xcalloc(n + 1, sizeof(*on));
	uint32_t counter = 0, sp = 0, ncomp = 0;

	for (uint32_t i = 0; i < n; i++)
		idx[i] = BD_APK_NIL;
	for (uint32_t root = 0; root < n; root++) {
		uint32_t csp = 0;
		if (idx[root] != BD_APK_NIL)
			continue;
		cs[csp] = root;
		ce[csp++] = off[root];
		idx[root] = low[root] = counter++;
		stk[sp++] = root;
		on[root] = true;
		while (csp) {
			uint32_t v = cs[csp - 1];
			if (ce[csp - 1] < off[v + 1]) {
				uint32_t w = adj[ce[csp - 1]++];
				if (idx[w] == BD_APK_NIL) {
					idx[w] = low[w] = counter++;
					stk[sp++] = w;
					on[w] = true;
					cs[csp] = w;
					ce[csp++] = off[w];
				} else if (on[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			csp--;
			if (csp && low[v] < low[cs[csp - 1]])
				low[cs[csp - 1]] = low[v];
			if (low[v] == idx[v]) {
				uint32_t w;
				do {
					w = stk[--sp];
					on[w] = false;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
		}
	}
	free(idx);
	free(low);
	free(stk);
	free(cs);
	free(ce);
	free(on);
	return ncomp;
}

struct order_ctx {
	const struct bd_apk_db *db;
	const uint32_t *sel;
};

static int
node_cmp(const void *a, const void *b, void *ctx)
{
	const struct order_ctx *o = ctx;
	const struct bd_apk_spkg *x = &o->db->pkgs[o->sel[*(const uint32_t *)a]];
	const struct bd_apk_spkg *y = &o->db->pkgs[o->sel[*(const uint32_t *)b]];
	int r = strcmp(o->db->names[x->name].s, o->db->names[y->name].s);

	if (r)
		return r;
	r = bd_apk_version_compare(x->version, y->version);
	if (r != BD_APK_VER_EQUAL)
		return r == BD_APK_VER_LESS ? -1 : 1;
	return strcmp(x->csum, y->csum);
}

/* min-heap of component ids by key */
static void
heap_push(uint32_t *h, uint32_t *n, uint32_t v, const uint32_t *key)
{
	uint32_t i = (*n)++;

	h[i] = v;
	while (i && key[h[(i - 1) / 2]] > key[h[i]]) {
		uint32_t t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static uint32_t
heap_pop(uint32_t *h, uint32_t *n, const uint32_t *key)
{
	uint32_t top = h[0], i = 0;

	h[0] = h[--(*n)];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < *n && key[h[l]] < key[h[m]])
			m = l;
		if (r < *n && key[h[r]] < key[h[m]])
			m = r;
		if (m == i)
			break;
		uint32_t t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
	return top;
}

static void
build_solution(const struct solver *S, struct bd_apk_solution *out)
{
	const struct bd_apk_db *db = S->db;
	uint32_t n = S->nsel, nedge = 0, ncomp;
	uint32_t *pos = bd_xmalloc(((size_t)db->npkgs + 1) * sizeof(*pos));
	uint32_t *off = bd_xcalloc(n + 2, sizeof(*off)), *adj, *comp, *rank, *byrank, *ckey;
	uint32_t *cleft, *roff, *radj, *heap, *outpos, *moff, *mem, nh = 0, placed = 0;
	struct order_ctx oc = { db, S->sel };

	for (uint32_t i = 0; i < n; i++)
		pos[S->sel[i]] = i;
	/* edges: dependencies and install_if triggers, dependent -> provider */
	for (uint32_t i = 0; i < n; i++) {
		const struct bd_apk_spkg *p = &db->pkgs[S->sel[i]];
		const struct bd_apk_sdep *d = &db->deps[p->dep_off];
		for (uint32_t k = 0; k < p->ndep; k++)
			nedge += !d[k].conflict;
		for (uint32_t k = 0; k < p->niif; k++)
			nedge += !d[p->ndep + p->nprov + k].conflict;
	}
	adj = bd_xmalloc(((size_t)nedge + 1) * sizeof(*adj));
	nedge = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct bd_apk_spkg *p = &db->pkgs[S->sel[i]];
		const struct bd_apk_sdep *d = &db->deps[p->dep_off];
		off[i] = nedge;
		for (uint32_t k = 0; k < p->ndep + p->nprov + p->niif; k++) {
			if ((k >= p->ndep && k < p->ndep + p->nprov) || d[k].conflict)
				continue;
			if (!S->ns[d[k].name].occ)
				continue; /* a conflict-only install_if condition */
			adj[nedge++] = pos[S->ns[d[k].name].occ - 1];
		}
	}
	off[n] = nedge;

	comp = bd_xmalloc((n + 1) * sizeof(*comp));
	ncomp = scc(n, off, adj, comp);
	/* rank nodes by name, a component's key is its lowest rank */
	byrank = bd_xmalloc((n + 1) * sizeof(*byrank));
	rank = bd_xmalloc((n + 1) * sizeof(*rank));
	for (uint32_t i = 0; i < n; i++)
		byrank[i] = i;
	qsort_r(byrank, n, sizeof(*byrank), node_cmp, &oc);
	for (uint32_t i = 0; i < n; i++)
		rank[byrank[i]] = i;
	ckey = bd_xmalloc((ncomp + 1) * sizeof(*ckey));
	cleft = bd_xcalloc(ncomp + 1, sizeof(*cleft));
	roff = bd_xcalloc(ncomp + 2, sizeof(*roff));
	for (uint32_t c = 0; c < ncomp; c++)
		ckey[c] = BD_APK_NIL;
	for (uint32_t i = 0; i < n; i++)
		if (rank[i] < ckey[comp[i]])
			ckey[comp[i]] = rank[i];
	/* Kahn over components: a component is ready once every component
	 * it depends on is placed */
	for (uint32_t v = 0; v < n; v++)
		for (uint32_t e = off[v]; e < off[v + 1]; e++)
			if (comp[adj[e]] != comp[v]) {
				cleft[comp[v]]++;
				roff[comp[adj[e]] + 1]++;
			}
	for (uint32_t c = 0; c < ncomp; c++)
		roff[c + 1] += roff[c];
	radj = bd_xmalloc(((size_t)roff[ncomp] + 1) * sizeof(*radj));
	{
		uint32_t *fill = bd_xcalloc(ncomp + 1, sizeof(*fill));
		for (uint32_t v = 0; v < n; v++)
			for (uint32_t e = off[v]; e < off[v + 1]; e++) {
				uint32_t cv = comp[v], cw = comp[adj[e]];
				if (cv != cw)
					radj[roff[cw] + fill[cw]++] = cv;
			}
		free(fill);
	}
	/* members of each component, in name order */
	moff = bd_xcalloc(ncomp + 2, sizeof(*moff));
	mem = bd_xmalloc((n + 1) * sizeof(*mem));
	for (uint32_t i = 0; i < n; i++)
		moff[comp[i] + 1]++;
	for (uint32_t c = 0; c < ncomp; c++)
		moff[c + 1] += moff[c];
	{
		uint32_t *fill = bd_xcalloc(ncomp + 1, sizeof(*fill));
		for (uint32_t r = 0; r < n; r++) {
			uint32_t v = byrank[r];
			mem[moff[comp[v]] + fill[comp[v]]++] = v;
		}
		free(fill);
	}
	heap = bd_xmalloc((ncomp + 1) * sizeof(*heap));
	for (uint32_t c = 0; c < ncomp; c++)
		if (!cleft[c])
			heap_push(heap, &nh, c, ckey);
	outpos = bd_xmalloc((n + 1) * sizeof(*outpos));
	out->pkgs = bd_xcalloc(n + 1, sizeof(*out->pkgs));
	out->n = n;
	while (nh) {
		uint32_t c = heap_pop(heap, &nh, ckey);
		for (uint32_t m = moff[c]; m < moff[c + 1]; m++)
			outpos[mem[m]] = placed++;
		for (uint32_t e = roff[c]; e < roff[c + 1]; e++)
			if (--cleft[radj[e]] == 0)
				heap_push(heap, &nh, radj[e], ckey);
	}
	BD_ASSERT(placed == n);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t pk = S->sel[i];
		const struct bd_apk_spkg *p = &db->pkgs[pk];
		const struct pst *ps = &S->ps[pk];
		const struct bd_apk_sdep *d = &db->deps[p->dep_off];
		struct bd_apk_solved_pkg *o = &out->pkgs[outpos[i]];
		unsigned repo = 0;
		while (!(p->repos & (1ull << repo)))
			repo++;
		o->name = db->names[p->name].s;
		o->version = p->version;
		o->arch = p->arch;
		o->csum = p->csum;
		o->file_size = p->e->file_size;
		o->installed_size = p->e->pi.installed_size;
		o->repo = repo;
		o->repo_name = db->repo_names[repo];
		o->entry = p->e;
		o->deps = bd_xcalloc(p->ndep + 1, sizeof(*o->deps));
		for (uint32_t k = 0; k < p->ndep; k++) {
			if (d[k].conflict)
				continue;
			BD_ASSERT(S->ns[d[k].name].occ != 0);
			o->deps[o->ndeps].dep = d[k].text;
			o->deps[o->ndeps].provider = outpos[pos[S->ns[d[k].name].occ - 1]];
			o->ndeps++;
		}
		switch (ps->why) {
		case WHY_WORLD:
			/* the world's strings are the caller's: keep a copy */
			o->reason = BD_APK_REASON_WORLD;
			bd_strv_push(&out->owned_, ps->why_dep->text);
			o->reason_dep = out->owned_.v[out->owned_.n - 1];
			break;
		case WHY_DEP:
			o->reason = BD_APK_REASON_DEPENDENCY;
			o->reason_dep = ps->why_dep->text;
			o->required_by = outpos[pos[ps->why_pkg - 1]];
			break;
		case WHY_IIF:
		default:
			o->reason = BD_APK_REASON_INSTALL_IF;
			o->reason_dep = p->niif ? d[p->ndep + p->nprov].text : "";
			break;
		}
	}
	free(pos);
	free(off);
	free(adj);
	free(comp);
	free(byrank);
	free(rank);
	free(ckey);
	free(cleft);
	free(roff);
	free(radj);
	free(heap);
	free(outpos);
	free(moff);
	free(mem);
}

/* ------------------------------------------------------------ entry */

static int
world_cmp(const void *a, const void *b, void *ctx)
{
	const struct bd_apk_db *db = ctx;
	const struct bd_apk_sdep *x = a, *y = b;
	const char *nx = x->name == BD_APK_NIL ? "" : db->names[x->name].s;
	const char *ny = y->name == BD_APK_NIL ? "" : db->names[y->name].s;
	int r = strcmp(nx, ny);

	return r ? r : strcmp(x->text, y->text);
}

static void
solver_free(struct solver *S)
{
	free(S->ns);
	free(S->ps);
	free(S->cons);
	free(S->q);
	free(S->dq);
	free(S->iif);
	free(S->tr);
	free(S->sel);
	free(S->pool);
	free(S->cps);
}

int
bd_apk_solve(struct bd_apk_db *db, const char *const *world, size_t nworld,
             const struct bd_apk_solve_opts *opts, struct bd_apk_solution *out, struct bd_err *err)
{
	struct solver S = { .db = db };
	struct bd_strv items = { 0 };
	struct bd_apk_sdep *wd = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	bd_apk_db_prepare(db);
	/* the world: one record per item, sorted, so its order never matters */
	for (size_t i = 0; i < nworld; i++) {
		const char *p = world[i];
		while (*p) {
			size_t len;
			p += strspn(p, " \t\n");
			len = strcspn(p, " \t\n");
			if (len)
				bd_strv_push_owned(&items, bd_xstrndup(p, len));
			p += len;
		}
	}
	wd = bd_xcalloc(items.n + 1, sizeof(*wd));
	for (size_t i = 0; i < items.n; i++) {
		if (bd_apk_db_parse_dep(db, items.v[i], true, &wd[i], err) < 0) {
			r = bd_err_prefix(err, "world: ");
			goto out;
		}
	}
	if (items.n > 1)
		qsort_r(wd, items.n, sizeof(*wd), world_cmp, db);

	S.max_backtracks =
	    opts && opts->max_backtracks ? opts->max_backtracks : DEFAULT_MAX_BACKTRACKS;
	S.ns = bd_xcalloc((size_t)db->nnames + 1, sizeof(*S.ns));
	S.ps = bd_xcalloc((size_t)db->npkgs + 1, sizeof(*S.ps));
	S.sel = bd_xmalloc(((size_t)db->npkgs + 1) * sizeof(*S.sel));
	/* the world's entries are constraints from the start */
	for (size_t i = 0; i < items.n; i++) {
		if (wd[i].name == BD_APK_NIL) {
			if (wd[i].conflict)
				continue;
			struct qitem it = { &wd[i], 0 };
			explain_dep(&S, &it);
			r = -1;
			break;
		}
		add_cons(&S, &wd[i], 0);
		if (!wd[i].conflict)
			qpush(&S, &wd[i], 0);
	}
	if (r == 0)
		r = run(&S);
	out->backtracks = S.backtracks;
	if (r < 0) {
		if (!S.have_first)
			bd_err_setx(&S.first, EDEADLK, "unsatisfiable");
		*err = S.first;
		if (S.gave_up)
			bd_err_prefix(
			    err, "gave up after %u backtracks; first conflict: ", S.backtracks);
		else if (S.backtracks)
			bd_err_setx(err, EDEADLK, "%s (no alternative after %u backtracks)",
			            S.first.msg, S.backtracks);
		r = -EDEADLK;
		err->code = EDEADLK;
		goto out;
	}
	build_solution(&S, out);
out:
	solver_free(&S);
	free(wd);
	bd_strv_free(&items);
	return r;
}

void
bd_apk_solution_free(struct bd_apk_solution *sol)
{
	for (size_t i = 0; i < sol->n; i++)
		free(sol->pkgs[i].deps);
	free(sol->pkgs);
	bd_strv_free(&sol->owned_);
	memset(sol, 0, sizeof(*sol));
}
