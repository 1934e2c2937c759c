/* SPDX-License-Identifier: MIT */
/* plan: the build plan a melange recipe compiles to, the job runner's input.
 *
 * bd_recipe_compile_file() loads a recipe, applies melange's parse-time and
 * compile-time substitutions for one architecture, expands every `uses:`
 * through the pipeline directories and returns a struct bd_plan: package
 * metadata for the main package and each subpackage, the build environment
 * (packages, repositories, keyring, environment variables, accounts), the
 * ordered build steps, and the test sections compiled separately.
 *
 * Steps are either shell steps (run by the runner inside the sandbox as
 * `/bin/sh -c step->script`, in step->workdir, with exactly step->env) or
 * source steps (`fetch`, `git-checkout` from the built-in pipelines), which
 * the runner performs itself outside the sandbox, verifying checksums and
 * commits, at their place in the order.  No `${{...}}` survives in scripts,
 * working directories, environments, package lists or source steps.
 *
 * Everything a plan points to is owned by the plan: bd_plan_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"
#include "recipe/diag.h"
#include "recipe/yaml.h"

#define BD_PLAN_HOME "/home/build"               /* the workspace inside the guest */
#define BD_PLAN_OUTDIR "/home/build/melange-out" /* one directory per package below */
#define BD_PLAN_PATH "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin"

struct bd_plan_strv {
	char **v;
	size_t n;
};

struct bd_plan_kv {
	char *key;
	char *value;
};

/* Key/value list, sorted by key, keys unique. */
struct bd_plan_env {
	struct bd_plan_kv *v;
	size_t n;
};

/* Where in which file something was written. */
struct bd_plan_loc {
	const char *file;
	unsigned line, col;
};

enum bd_plan_step_kind {
	BD_PLAN_SHELL = 0, /* run a script in the sandbox */
	BD_PLAN_FETCH = 1, /* download, verify, extract (runner, outside the sandbox) */
	BD_PLAN_GIT = 2,   /* clone, check out, verify the commit (runner) */
};

/* `uses: fetch`.  The download lands in the step's workdir under
 * @filename; with @extract it is unpacked into workdir/@directory. */
struct bd_plan_fetch {
	char *uri;
	char *filename;     /* basename of the URI path */
	char *sha256;       /* 64 lower-case hex digits, or NULL */
	char *sha512;       /* 128 lower-case hex digits, or NULL */
	bool expected_none; /* no checksum given (expected-none): runner policy decides */
	bool extract;       /* tar -x the download */
	bool delete_after;  /* remove the download after extracting */
	unsigned strip_components;
	char *directory;                /* extraction directory, relative to the workdir */
	unsigned timeout;               /* connect/read timeout, seconds */
	unsigned dns_timeout;           /* seconds */
	unsigned retry_limit;           /* attempts */
	char *purl_name, *purl_version; /* for the SBOM */
	char *reason;                   /* free text, or NULL */
};

struct bd_plan_cherry_pick {
	char *branch; /* branch on origin to fetch first, or NULL */
	char *commit;
	char *comment;
};

/* `uses: git-checkout`. */
struct bd_plan_git {
	char *repository;
	char *destination;     /* relative to the workdir (absolute if written so) */
	char *branch, *tag;    /* at most one is set */
	char *expected_commit; /* 40 hex digits, or NULL */
	int depth;             /* clone depth; -1 = full history */
	bool expected_commit_is_branch_tip;
	bool recurse_submodules, shallow_submodules;
	unsigned submodule_jobs;
	unsigned max_retries, initial_backoff, max_backoff; /* clone retries, seconds */
	struct bd_plan_cherry_pick *cherry_picks;
	size_t n_cherry_picks;
	struct bd_plan_strv sparse_paths; /* cone-mode sparse checkout */
	char *type_hint, *reason;         /* or NULL */
};

struct bd_plan_step {
	enum bd_plan_step_kind kind;
	char *package;               /* the package whose pipeline (or test) this is */
	char *name;                  /* the step's name, else the enclosing uses step's; or NULL */
	char *uses;                  /* innermost `uses:` pipeline this step comes from, or NULL */
	struct bd_plan_loc loc;      /* the recipe step that produced it */
	char *workdir;               /* absolute guest path */
	struct bd_plan_env env;      /* the complete environment of the process */
	char *runs;                  /* SHELL: the substituted fragment */
	char *script;                /* SHELL: the whole `/bin/sh -c` argument */
	struct bd_plan_fetch *fetch; /* FETCH */
	struct bd_plan_git *git;     /* GIT */
};

struct bd_plan_user {
	char *username;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
	char *shell, *homedir; /* or NULL */
};

struct bd_plan_group {
	char *groupname;
	uint32_t gid;
	struct bd_plan_strv members;
};

struct bd_plan_accounts {
	char *run_as; /* user name or number, or NULL */
	struct bd_plan_user *users;
	size_t n_users;
	struct bd_plan_group *groups;
	size_t n_groups;
};

/* An APK environment to build (environment: or test.environment:). */
struct bd_plan_imgenv {
	struct bd_plan_strv repositories; /* repositories + build_repositories */
	struct bd_plan_strv keyring;
	struct bd_plan_strv packages; /* with the `needs` of the steps */
	struct bd_plan_env environment;
	struct bd_plan_accounts accounts;
};

struct bd_plan_copyright {
	char *license;
	char *license_path, *attestation, *detection_override; /* or NULL */
	struct bd_plan_strv paths;
};

struct bd_plan_deps {
	struct bd_plan_strv runtime, provides, replaces;
	char *provider_priority, *replaces_priority; /* integer text, or NULL */
};

struct bd_plan_scriptlets {
	char *pre_install, *post_install, *pre_deinstall, *post_deinstall, *pre_upgrade,
	    *post_upgrade; /* or NULL */
	char *trigger;     /* trigger script, or NULL */
	struct bd_plan_strv trigger_paths;
};

struct bd_plan_setcap {
	char *path;
	struct bd_plan_env add; /* "cap_a,cap_b" -> "+ep" */
	char *reason;
};

struct bd_plan_package {
	char *name;
	char *version; /* the origin's, for subpackages too */
	uint64_t epoch;
	char *full_version; /* version-rEPOCH */
	char *description;  /* not inherited by subpackages; may be NULL */
	char *url, *commit; /* or NULL */
	char *license;      /* the origin's licenses joined with " AND ", or NULL */
	struct bd_plan_deps deps;
	bool no_provides, no_depends, no_commands, no_versioned_shlib_deps;
	struct bd_plan_scriptlets scriptlets;
	struct bd_plan_strv checks_disabled;
	struct bd_plan_env annotations;
	char *outdir; /* BD_PLAN_OUTDIR/<name> */
};

struct bd_plan_cpe {
	char *part, *vendor, *product, *edition, *language, *sw_edition, *target_sw, *target_hw,
	    *other; /* or NULL */
};

struct bd_plan_resources {
	char *cpu, *cpumodel, *memory, *disk; /* or NULL */
};

/* A test: a fresh guest from @env (which contains the package under test)
 * running @steps. */
struct bd_plan_test {
	char *package;
	struct bd_plan_imgenv env;
	struct bd_plan_step *steps;
	size_t n_steps;
};

struct bd_plan {
	char *file;        /* the recipe path as given */
	char *source_dir;  /* side files (patches ...): <recipe dir>/<package name>, or NULL */
	char *arch;        /* apk architecture the plan is for */
	bool arch_skipped; /* package.target-architecture excludes @arch */

	struct bd_plan_package pkg;          /* the main (origin) package */
	struct bd_plan_copyright *copyright; /* the origin's, for every package */
	size_t n_copyright;
	struct bd_plan_setcap *setcap; /* main package only, as in melange */
	size_t n_setcap;
	struct bd_plan_cpe cpe;
	struct bd_plan_package *subpkgs; /* after range expansion and `if:` */
	size_t n_subpkgs;

	struct bd_plan_imgenv build_env;
	struct bd_plan_strv target_architecture;
	struct bd_plan_strv cap_add, cap_drop; /* capabilities: */
	struct bd_plan_resources resources, test_resources;
	uint64_t timeout_seconds; /* package.timeout, 0 = none */

	struct bd_plan_step *steps; /* main pipeline, then each subpackage's */
	size_t n_steps;
	struct bd_plan_test *tests; /* main test first, then subpackage tests */
	size_t n_tests;

	void *priv;
};

struct bd_pipeline_cache;

struct bd_recipe_opts {
	const char *arch;                 /* apk or OCI name; NULL = the host's */
	const char *const *pipeline_dirs; /* searched in order before the built-ins */
	size_t n_pipeline_dirs;
	const char *builtin_dir;             /* NULL = bd_recipe_builtin_dir() */
	struct bd_diags *diags;              /* optional: receives every problem */
	struct bd_pipeline_cache *cache;     /* optional: share loaded pipelines */
	const struct bd_yaml_limits *limits; /* NULL = defaults */
};

/* Compile the recipe at @path.  On failure returns -EINVAL for problems in
 * the recipe (or an unknown opts->arch), -EFBIG for a file over the size
 * limit, -errno if it cannot be read; sets @err to the first problem as
 * "FILE:LINE:COL: message" (plus how many more there are) and records
 * every problem in opts->diags when given.  Warnings do not fail. */
int bd_recipe_compile_file(const char *path, const struct bd_recipe_opts *opts,
                           struct bd_plan **out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Same for a recipe in memory; @name is used in messages and for the
 * side-file directory (it may be a path). */
int bd_recipe_compile_buffer(const char *name, const char *buf, size_t len,
                             const struct bd_recipe_opts *opts, struct bd_plan **out,
                             struct bd_err *err) __attribute__((warn_unused_result));

void bd_plan_free(struct bd_plan *plan);

/* The built-in pipeline directory: $BUILDERD_PIPELINE_DIR if set, else
 * <dir of the running binary>/../../pipelines if that exists (a build
 * tree), else BD_DATADIR "/pipelines".  The string is static. */
const char *bd_recipe_builtin_dir(void);

/* Map an architecture name (x86_64/amd64, aarch64/arm64, x86/386,
 * armhf/arm/v6, armv7/arm/v7, ppc64le, riscv64, s390x) to its apk name;
 * NULL if unknown. */
const char *bd_recipe_arch(const char *name);

/* The host's apk architecture. */
const char *bd_recipe_host_arch(void);

/* A cache of loaded pipeline definitions, for compiling many recipes. */
struct bd_pipeline_cache *bd_pipeline_cache_new(void);
void bd_pipeline_cache_free(struct bd_pipeline_cache *cache);

/* A NULL-terminated "KEY=VALUE" array of @step's environment for
 * execve(); free with free() (one allocation). */
char **bd_plan_step_envp(const struct bd_plan_step *step);

/* The plan as JSON (schema in docs/recipe.md), appended to @out. */
void bd_plan_to_json(const struct bd_plan *plan, struct bd_buf *out);

/* The plan as a commented shell script for people, appended to @out. */
void bd_plan_to_shell(const struct bd_plan *plan, struct bd_buf *out);
