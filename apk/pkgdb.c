/* SPDX-License-Identifier: MIT */
/* pkgdb: the package database of the solver (see apk/pkgdb.h and the
 * bd_apk_db_* functions in apk/solve.h).
 *
 * Every index entry becomes a package once (keyed by its C:, so
 * the same file in two repositories is one package with two repository
 * bits); every name (package names, provides, dependency targets) is
 * interned once into a hash table; dependency strings are parsed once into
 * (name id, operator, version) records that point into the index's own
 * strings.  Before the first solve the name -> providers and name ->
 * install_if watchers maps are built as flat arrays, and for each
 * dependency whether any provider could ever satisfy it. */
#include "apk/pkgdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/pkginfo.h"

static uint32_t
hash_n(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static const char *
arena_strndup(struct bd_apk_chunk **head, const char *s, size_t n)
{
	struct bd_apk_chunk *c = *head;
	char *p;

	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;
		c = bd_xmalloc(sizeof(*c) + cap);
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static uint32_t
name_find(const struct bd_apk_db *db, const char *s, size_t n, uint32_t h)
{
	uint32_t mask = db->ntab_cap - 1;

	if (!db->ntab_cap)
		return BD_APK_NIL;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t id = db->ntab[i];
		const struct bd_apk_sname *nm;
		if (!id)
			return BD_APK_NIL;
		nm = &db->names[id - 1];
		if (nm->hash == h && nm->len == n && memcmp(nm->s, s, n) == 0)
			return id - 1;
	}
}

static void
ntab_insert(uint32_t *tab, uint32_t cap, uint32_t h, uint32_t id)
{
	uint32_t i = h & (cap - 1);

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = id + 1;
}

static uint32_t
name_intern(struct bd_apk_db *db, const char *s, size_t n)
{
	uint32_t h = hash_n(s, n), id = name_find(db, s, n, h);
	struct bd_apk_sname *nm;

	if (id != BD_APK_NIL)
		return id;
	if ((db->nnames + 1) * 2 > db->ntab_cap) {
		uint32_t cap = db->ntab_cap ? db->ntab_cap * 2 : 4096;
		uint32_t *tab = bd_xcalloc(cap, sizeof(*tab));
		for (uint32_t i = 0; i < db->nnames; i++)
			ntab_insert(tab, cap, db->names[i].hash, i);
		free(db->ntab);
		db->ntab = tab;
		db->ntab_cap = cap;
	}
	db->names = bd_apk_grow(db->names, &db->names_cap, db->nnames + 1, sizeof(*db->names));
	id = db->nnames++;
	nm = &db->names[id];
	memset(nm, 0, sizeof(*nm));
	nm->s = arena_strndup(&db->arena, s, n);
	nm->len = (uint32_t)n;
	nm->hash = h;
	ntab_insert(db->ntab, db->ntab_cap, h, id);
	return id;
}

static uint32_t
csum_find(const struct bd_apk_db *db, const char *csum, uint32_t h)
{
	uint32_t mask = db->ctab_cap - 1;

	if (!db->ctab_cap)
		return BD_APK_NIL;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t id = db->ctab[i];
		if (!id)
			return BD_APK_NIL;
		if (strcmp(db->pkgs[id - 1].csum, csum) == 0)
			return id - 1;
	}
}

static void
ctab_rebuild(struct bd_apk_db *db, uint32_t cap)
{
	free(db->ctab);
	db->ctab = bd_xcalloc(cap, sizeof(*db->ctab));
	db->ctab_cap = cap;
	for (uint32_t i = 0; i < db->npkgs; i++) {
		const char *c = db->pkgs[i].csum;
		ntab_insert(db->ctab, cap, hash_n(c, strlen(c)), i);
	}
}

struct bd_apk_db *
bd_apk_db_new(void)
{
	struct bd_apk_db *db = bd_xcalloc(1, sizeof(*db));

	db->tags[0] = bd_xstrdup("");
	db->ntags = 1;
	return db;
}

void
bd_apk_db_free(struct bd_apk_db *db)
{
	if (!db)
		return;
	while (db->arena) {
		struct bd_apk_chunk *c = db->arena;
		db->arena = c->next;
		free(c);
	}
	free(db->names);
	free(db->ntab);
	free(db->pkgs);
	free(db->ctab);
	free(db->deps);
	free(db->provs);
	free(db->riif);
	for (unsigned i = 0; i < db->nrepos; i++)
		free(db->repo_names[i]);
	for (unsigned i = 0; i < db->ntags; i++)
		free(db->tags[i]);
	free(db);
}

int
bd_apk_db_parse_dep(struct bd_apk_db *db, const char *text, bool world, struct bd_apk_sdep *out,
                    struct bd_err *err)
{
	struct bd_apk_dep d;
	size_t len = strlen(text), vl;

	if (bd_apk_dep_parse(text, len, &d, err) < 0)
		return -err->code;
	memset(out, 0, sizeof(*out));
	if (world)
		out->name = name_find(db, d.name, strlen(d.name), hash_n(d.name, strlen(d.name)));
	else
		out->name = name_intern(db, d.name, strlen(d.name));
	out->op = (uint8_t)d.op;
	out->conflict = d.conflict;
	out->text = text;
	if (d.op) {
		/* the version is the tail of the text: point into it */
		vl = strlen(d.version);
		out->version = text + len - vl;
		out->csum = d.op == (BD_APK_VER_LESS | BD_APK_VER_GREATER) &&
		            strncmp(d.version, "Q1", 2) == 0 && vl == 30;
	}
	if (world && d.tag[0]) {
		unsigned t;
		for (t = 1; t < db->ntags; t++)
			if (strcmp(db->tags[t], d.tag) == 0)
				break;
		if (t == db->ntags)
			return bd_err_setx(err, ENOENT, "%s: no repository is tagged @%s", text,
			                   d.tag);
		out->tag = (uint8_t)t;
	}
	return 0;
}

static int
add_list(struct bd_apk_db *db, const struct bd_strv *sv, uint32_t *count, struct bd_err *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		db->deps = bd_apk_grow(db->deps, &db->deps_cap, db->ndeps + 1, sizeof(*db->deps));
		if (bd_apk_db_parse_dep(db, sv->v[i], false, &db->deps[db->ndeps], err) < 0)
			return -err->code;
		db->ndeps++;
		(*count)++;
	}
	return 0;
}

static int
add_entry(struct bd_apk_db *db, const struct bd_apk_index_entry *e, unsigned repo, unsigned tag,
          struct bd_err *err)
{
	const struct bd_apk_pkginfo *pi = &e->pi;
	uint32_t h, id;
	struct bd_apk_spkg *p;

	if (!pi->name || !*pi->name || !pi->version || !*pi->version || !e->csum[0])
		return bd_err_setx(err, EINVAL, "index entry without name, version or C:");
	h = hash_n(e->csum, strlen(e->csum));
	id = csum_find(db, e->csum, h);
	if (id != BD_APK_NIL) {
		p = &db->pkgs[id];
		if (strcmp(db->names[p->name].s, pi->name) != 0 || strcmp(p->version, pi->version))
			return bd_err_setx(err, EINVAL, "C:%s is claimed by %s-%s and by %s-%s",
			                   e->csum, db->names[p->name].s, p->version, pi->name,
			                   pi->version);
		p->repos |= 1ull << repo;
		p->tags |= 1u << tag;
		return 0;
	}
	db->pkgs = bd_apk_grow(db->pkgs, &db->pkgs_cap, db->npkgs + 1, sizeof(*db->pkgs));
	id = db->npkgs;
	p = &db->pkgs[id];
	memset(p, 0, sizeof(*p));
	p->e = e;
	p->name = name_intern(db, pi->name, strlen(pi->name));
	p->version = pi->version;
	p->arch = pi->arch;
	p->csum = e->csum;
	p->repos = 1ull << repo;
	p->tags = 1u << tag;
	p->priority = pi->has_provider_priority ? pi->provider_priority : 0;
	p->dep_off = db->ndeps;
	if (add_list(db, &pi->depends, &p->ndep, err) < 0 ||
	    add_list(db, &pi->provides, &p->nprov, err) < 0 ||
	    add_list(db, &pi->install_if, &p->niif, err) < 0)
		return bd_err_prefix(err, "%s-%s: ", pi->name, pi->version);
	db->npkgs++;
	if ((db->npkgs + 1) * 2 > db->ctab_cap)
		ctab_rebuild(db, db->ctab_cap ? db->ctab_cap * 2 : 4096);
	else
		ntab_insert(db->ctab, db->ctab_cap, h, id);
	return 0;
}

int
bd_apk_db_add_index(struct bd_apk_db *db, const struct bd_apk_index *idx, const char *repo_name,
                    const char *tag, struct bd_err *err)
{
	uint32_t old_npkgs = db->npkgs, old_ndeps = db->ndeps;
	unsigned repo, t = 0, old_ntags = db->ntags;

	if (!repo_name)
		repo_name = "";
	if (db->nrepos >= BD_APK_MAX_REPOS)
		return bd_err_setx(err, E2BIG, "%s: more than %d repositories", repo_name,
		                   BD_APK_MAX_REPOS);
	if (tag && *tag) {
		for (t = 1; t < db->ntags; t++)
			if (strcmp(db->tags[t], tag) == 0)
				break;
		if (t == db->ntags) {
			if (db->ntags > BD_APK_MAX_TAGS)
				return bd_err_setx(err, E2BIG, "%s: more than %d repository tags",
				                   repo_name, BD_APK_MAX_TAGS);
			db->tags[db->ntags++] = bd_xstrdup(tag);
		}
	}
	repo = db->nrepos++;
	db->repo_names[repo] = bd_xstrdup(repo_name);
	db->repo_tag[repo] = (uint8_t)t;
	db->dirty = true;
	for (size_t i = 0; i < idx->n; i++) {
		if (add_entry(db, &idx->v[i], repo, t, err) < 0) {
			/* roll back, so the database stays usable */
			db->npkgs = old_npkgs;
			db->ndeps = old_ndeps;
			for (uint32_t k = 0; k < db->npkgs; k++) {
				struct bd_apk_spkg *p = &db->pkgs[k];
				p->repos &= ~(1ull << repo);
				p->tags = 0;
				for (unsigned rr = 0; rr < repo; rr++)
					if (p->repos & (1ull << rr))
						p->tags |= 1u << db->repo_tag[rr];
			}
			ctab_rebuild(db, db->ctab_cap ? db->ctab_cap : 4096);
			free(db->repo_names[repo]);
			db->nrepos--;
			while (db->ntags > old_ntags)
				free(db->tags[--db->ntags]);
			return bd_err_prefix(err, "%s: ", repo_name);
		}
	}
	return (int)repo;
}

size_t
bd_apk_db_npackages(const struct bd_apk_db *db)
{
	return db->npkgs;
}

size_t
bd_apk_db_nnames(const struct bd_apk_db *db)
{
	return db->nnames;
}

unsigned
bd_apk_db_nrepos(const struct bd_apk_db *db)
{
	return db->nrepos;
}

const char *
bd_apk_db_repo_name(const struct bd_apk_db *db, unsigned repo)
{
	return repo < db->nrepos ? db->repo_names[repo] : NULL;
}

/* Build the name -> providers and name -> install_if maps, and whether
 * each dependency has any provider at all. */
static void
finalize(struct bd_apk_db *db)
{
	uint32_t nprov = 0, nriif = 0;

	for (uint32_t i = 0; i < db->nnames; i++)
		db->names[i].nprov = db->names[i].nriif = 0;
	for (uint32_t i = 0; i < db->npkgs; i++) {
		const struct bd_apk_spkg *p = &db->pkgs[i];
		const struct bd_apk_sdep *d = &db->deps[p->dep_off + p->ndep];
		db->names[p->name].nprov++;
		for (uint32_t k = 0; k < p->nprov; k++)
			db->names[d[k].name].nprov++;
		for (uint32_t k = 0; k < p->niif; k++)
			db->names[d[p->nprov + k].name].nriif++;
	}
	for (uint32_t i = 0; i < db->nnames; i++) {
		db->names[i].prov_off = nprov;
		db->names[i].riif_off = nriif;
		nprov += db->names[i].nprov;
		nriif += db->names[i].nriif;
		db->names[i].nprov = db->names[i].nriif = 0;
	}
	free(db->provs);
	free(db->riif);
	db->provs = bd_xmalloc(((size_t)nprov + 1) * sizeof(*db->provs));
	db->riif = bd_xmalloc(((size_t)nriif + 1) * sizeof(*db->riif));
	for (uint32_t i = 0; i < db->npkgs; i++) {
		const struct bd_apk_spkg *p = &db->pkgs[i];
		const struct bd_apk_sdep *d = &db->deps[p->dep_off + p->ndep];
		struct bd_apk_sname *nm = &db->names[p->name];
		db->provs[nm->prov_off + nm->nprov++] = (struct bd_apk_sprov){ i, p->version };
		for (uint32_t k = 0; k < p->nprov; k++) {
			nm = &db->names[d[k].name];
			db->provs[nm->prov_off + nm->nprov++] =
			    (struct bd_apk_sprov){ i, d[k].version };
		}
		for (uint32_t k = 0; k < p->niif; k++) {
			nm = &db->names[d[p->nprov + k].name];
			db->riif[nm->riif_off + nm->nriif++] = i;
		}
	}
	/* a package that holds one name twice (own name and provides), other
	 * than as bare provides only */
	{
		uint32_t *seen = bd_xcalloc((size_t)db->nnames + 1, sizeof(*seen));
		bool *bare = bd_xcalloc((size_t)db->nnames + 1, sizeof(*bare));
		for (uint32_t i = 0; i < db->npkgs; i++) {
			struct bd_apk_spkg *p = &db->pkgs[i];
			const struct bd_apk_sdep *d = &db->deps[p->dep_off + p->ndep];
			p->dup_name = BD_APK_NIL;
			seen[p->name] = i + 1;
			bare[p->name] = false;
			for (uint32_t k = 0; k < p->nprov; k++) {
				uint32_t m = d[k].name;
				if (seen[m] == i + 1 && !(bare[m] && !d[k].version)) {
					p->dup_name = m;
					break;
				}
				seen[m] = i + 1;
				bare[m] = !d[k].version;
			}
		}
		free(seen);
		free(bare);
	}
	for (uint32_t i = 0; i < db->ndeps; i++) {
		struct bd_apk_sdep *d = &db->deps[i];
		const struct bd_apk_sname *nm = &db->names[d->name];
		d->sat = false;
		if (d->conflict || d->op == 0) {
			d->sat = d->conflict || nm->nprov > 0;
			continue;
		}
		for (uint32_t k = 0; k < nm->nprov && !d->sat; k++) {
			const struct bd_apk_sprov *pv = &db->provs[nm->prov_off + k];
			d->sat = bd_apk_dep_provided(db, d, pv->pkg, pv->version, 0);
		}
	}
	db->dirty = false;
}

void
bd_apk_db_prepare(struct bd_apk_db *db)
{
	if (db->dirty)
		finalize(db);
}
