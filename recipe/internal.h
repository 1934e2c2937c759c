/* SPDX-License-Identifier: MIT */
/* internal: state shared by the phases of one recipe compilation.
 *
 * recipe.c reads and decodes the file, config.c applies melange's
 * parse-time rules (config.go: exact-key substitution, ranges,
 * var-transforms, validation), compile.c applies the compile-time rules
 * (compile.go, pipeline.go) for one architecture and fills the plan, and
 * pipedef.c loads `uses:` definitions.  Problems are counted in
 * struct recipe and recorded in its diagnostics list. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "recipe/arena.h"
#include "recipe/diag.h"
#include "recipe/model.h"
#include "recipe/plan.h"
#include "recipe/strmap.h"
#include "recipe/yaml.h"

struct bd_arch {
	const char *apk;       /* x86_64 */
	const char *oci;       /* amd64 (build.goarch) */
	const char *gnu;       /* host.triplet.gnu */
	const char *musl;      /* cross.triplet.gnu.musl */
	const char *rust_gnu;  /* host.triplet.rust */
	const char *rust_musl; /* cross.triplet.rust.musl */
};

const struct bd_arch *bd_arch_lookup(const char *name);

struct recipe {
	struct bd_arena a; /* model, YAML tree, parse-time strings */
	struct bd_ydoc doc;
	struct m_config cfg;
	struct bd_diags *d;
	const struct bd_recipe_opts *o;
	const struct bd_arch *arch;
	const char *builtin_dir;
	struct bd_pipeline_cache *cache;
	size_t errors; /* errors so far (warnings do not count) */

	/* parse-time variables (names without ${{ }}) -> const char * */
	struct bd_strmap pvars;
	/* compile-time vars.* values (after resolving vars in vars) */
	struct bd_strmap cvars;

	/* expanded subpackages (range applied) */
	struct m_subpackage *subs;
	size_t nsubs;

	struct bd_plan *plan;
	struct bd_arena *pa; /* the plan's arena */
};

/* Problems at a node of the recipe (file start if NULL). */
void bd_rerr(struct recipe *r, const struct bd_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bd_rwarn(struct recipe *r, const struct bd_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bd_rdiag(struct recipe *r, enum bd_diag_severity sev, const struct bd_ynode *n,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, at byte @off of scalar @n's value. */
void bd_rerr_at(struct recipe *r, const struct bd_ynode *n, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Where `${{ name }}` first appears in @n's source value (for messages
 * about a substituted string). */
size_t bd_ref_offset(const struct bd_ynode *n, const char *name, size_t len);

/* config.c: parse-time phase.  Returns the number of errors it added. */
size_t bd_config_prepare(struct recipe *r);

/* compile.c: compile-time phase into r->plan. */
size_t bd_compile(struct recipe *r);

/* pipedef.c */
struct pipedef {
	char *name;
	char *path;
	bool builtin; /* found in the built-in directory */
	bool ok;      /* loaded and decoded without errors */
	char *error;  /* the first loading problem, "PATH:LINE:COL: msg" */
	struct bd_arena a;
	struct bd_ydoc doc;
	struct m_pipedef def;
	struct bd_strmap inputs; /* input name -> struct m_input * */
};

/* Find `uses: @name` along the pipeline directories and the built-in one.
 * Returns the definition (maybe !ok), or NULL if no directory has it. */
struct pipedef *bd_pipedef_find(struct recipe *r, const char *name);

/* Is @u unacceptable as a `uses:` name (absolute, or with a ".."
 * component)?  Such names could reach outside the pipeline directories. */
bool bd_bad_uses_name(const char *u);

/* Shell single-quoting, appended to @b. */
void bd_shell_quote(struct bd_buf *b, const char *s);

/* Go filepath.Clean of @p, in @a. */
char *bd_path_clean(struct bd_arena *a, const char *p);
