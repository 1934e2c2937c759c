/* SPDX-License-Identifier: MIT */
/* render: a plan as JSON (for programs and golden tests) and as a
 * commented shell script (for people).
 *
 * The JSON shape is documented in docs/recipe.md ("builderd-plan/1"): keys
 * follow melange's spelling, absent optional values are null, lists and
 * maps are always present, maps are sorted.  The shell rendering shows the
 * exact /bin/sh -c argument of each step but is not meant to be run: source
 * steps are the runner's job and every step has its own process. */
#include <inttypes.h>
#include <string.h>

#include "recipe/internal.h"
#include "common/jsonw.h"

static void
j_strv(struct bd_jw *j, const char *key, const struct bd_plan_strv *v)
{
	bd_jw_key(j, key);
	bd_jw_arr(j);
	for (size_t i = 0; i < v->n; i++)
		bd_jw_str(j, v->v[i]);
	bd_jw_arr_end(j);
}

static void
j_env(struct bd_jw *j, const char *key, const struct bd_plan_env *e)
{
	bd_jw_key(j, key);
	bd_jw_obj(j);
	for (size_t i = 0; i < e->n; i++) {
		bd_jw_key(j, e->v[i].key);
		bd_jw_str(j, e->v[i].value);
	}
	bd_jw_obj_end(j);
}

static void
j_kstr(struct bd_jw *j, const char *key, const char *v)
{
	bd_jw_key(j, key);
	bd_jw_str(j, v);
}

static void
j_kbool(struct bd_jw *j, const char *key, bool v)
{
	bd_jw_key(j, key);
	bd_jw_bool(j, v);
}

static void
j_ku64(struct bd_jw *j, const char *key, uint64_t v)
{
	bd_jw_key(j, key);
	bd_jw_u64(j, v);
}

static void
j_package(struct bd_jw *j, const struct bd_plan_package *p)
{
	bd_jw_obj(j);
	j_kstr(j, "name", p->name);
	j_kstr(j, "version", p->version);
	j_ku64(j, "epoch", p->epoch);
	j_kstr(j, "full-version", p->full_version);
	j_kstr(j, "description", p->description);
	j_kstr(j, "url", p->url);
	j_kstr(j, "commit", p->commit);
	j_kstr(j, "license", p->license);
	j_kstr(j, "outdir", p->outdir);
	bd_jw_key(j, "dependencies");
	bd_jw_obj(j);
	j_strv(j, "runtime", &p->deps.runtime);
	j_strv(j, "provides", &p->deps.provides);
	j_strv(j, "replaces", &p->deps.replaces);
	j_kstr(j, "provider-priority", p->deps.provider_priority);
	j_kstr(j, "replaces-priority", p->deps.replaces_priority);
	bd_jw_obj_end(j);
	bd_jw_key(j, "options");
	bd_jw_obj(j);
	j_kbool(j, "no-provides", p->no_provides);
	j_kbool(j, "no-depends", p->no_depends);
	j_kbool(j, "no-commands", p->no_commands);
	j_kbool(j, "no-versioned-shlib-deps", p->no_versioned_shlib_deps);
	bd_jw_obj_end(j);
	bd_jw_key(j, "scriptlets");
	bd_jw_obj(j);
	j_kstr(j, "pre-install", p->scriptlets.pre_install);
	j_kstr(j, "post-install", p->scriptlets.post_install);
	j_kstr(j, "pre-deinstall", p->scriptlets.pre_deinstall);
	j_kstr(j, "post-deinstall", p->scriptlets.post_deinstall);
	j_kstr(j, "pre-upgrade", p->scriptlets.pre_upgrade);
	j_kstr(j, "post-upgrade", p->scriptlets.post_upgrade);
	j_kstr(j, "trigger", p->scriptlets.trigger);
	j_strv(j, "trigger-paths", &p->scriptlets.trigger_paths);
	bd_jw_obj_end(j);
	j_strv(j, "checks-disabled", &p->checks_disabled);
	j_env(j, "annotations", &p->annotations);
	bd_jw_obj_end(j);
}

static void
j_imgenv(struct bd_jw *j, const char *key, const struct bd_plan_imgenv *e)
{
	bd_jw_key(j, key);
	bd_jw_obj(j);
	j_strv(j, "repositories", &e->repositories);
	j_strv(j, "keyring", &e->keyring);
	j_strv(j, "packages", &e->packages);
	j_env(j, "environment", &e->environment);
	bd_jw_key(j, "accounts");
	bd_jw_obj(j);
	j_kstr(j, "run-as", e->accounts.run_as);
	bd_jw_key(j, "users");
	bd_jw_arr(j);
	for (size_t i = 0; i < e->accounts.n_users; i++) {
		const struct bd_plan_user *u = &e->accounts.users[i];
		bd_jw_obj(j);
		j_kstr(j, "username", u->username);
		j_ku64(j, "uid", u->uid);
		bd_jw_key(j, "gid");
		if (u->has_gid)
			bd_jw_u64(j, u->gid);
		else
			bd_jw_null(j);
		j_kstr(j, "shell", u->shell);
		j_kstr(j, "homedir", u->homedir);
		bd_jw_obj_end(j);
	}
	bd_jw_arr_end(j);
	bd_jw_key(j, "groups");
	bd_jw_arr(j);
	for (size_t i = 0; i < e->accounts.n_groups; i++) {
		const struct bd_plan_group *g = &e->accounts.groups[i];
		bd_jw_obj(j);
		j_kstr(j, "groupname", g->groupname);
		j_ku64(j, "gid", g->gid);
		j_strv(j, "members", &g->members);
		bd_jw_obj_end(j);
	}
	bd_jw_arr_end(j);
	bd_jw_obj_end(j);
	bd_jw_obj_end(j);
}

static const char *
kind_name(enum bd_plan_step_kind k)
{
	switch (k) {
	case BD_PLAN_FETCH:
		return "fetch";
	case BD_PLAN_GIT:
		return "git-checkout";
	case BD_PLAN_SHELL:
	default:
		return "shell";
	}
}

/* The variables of @env that @global does not have with the same value:
 * a step's process environment is global + these. */
static void
j_env_diff(struct bd_jw *j, const char *key, const struct bd_plan_env *env,
           const struct bd_plan_env *global)
{
	bd_jw_key(j, key);
	bd_jw_obj(j);
	for (size_t i = 0, k = 0; i < env->n; i++) {
		while (k < global->n && strcmp(global->v[k].key, env->v[i].key) < 0)
			k++;
		if (k < global->n && !strcmp(global->v[k].key, env->v[i].key) &&
		    !strcmp(global->v[k].value, env->v[i].value))
			continue;
		bd_jw_key(j, env->v[i].key);
		bd_jw_str(j, env->v[i].value);
	}
	bd_jw_obj_end(j);
}

static void
j_step(struct bd_jw *j, const struct bd_plan_step *s, const struct bd_plan_env *global)
{
	struct bd_buf loc = { 0 };

	bd_jw_obj(j);
	j_kstr(j, "kind", kind_name(s->kind));
	j_kstr(j, "package", s->package);
	j_kstr(j, "name", s->name);
	j_kstr(j, "uses", s->uses);
	bd_buf_printf(&loc, "%s:%u:%u", s->loc.file, s->loc.line, s->loc.col);
	j_kstr(j, "location", loc.data);
	bd_buf_free(&loc);
	j_kstr(j, "workdir", s->workdir);
	j_env_diff(j, "environment", &s->env, global);
	if (s->kind == BD_PLAN_SHELL) {
		j_kstr(j, "runs", s->runs);
	} else if (s->kind == BD_PLAN_FETCH) {
		const struct bd_plan_fetch *f = s->fetch;
		bd_jw_key(j, "fetch");
		bd_jw_obj(j);
		j_kstr(j, "uri", f->uri);
		j_kstr(j, "filename", f->filename);
		j_kstr(j, "expected-sha256", f->sha256);
		j_kstr(j, "expected-sha512", f->sha512);
		j_kbool(j, "expected-none", f->expected_none);
		j_kbool(j, "extract", f->extract);
		j_ku64(j, "strip-components", f->strip_components);
		j_kstr(j, "directory", f->directory);
		j_kbool(j, "delete", f->delete_after);
		j_ku64(j, "timeout", f->timeout);
		j_ku64(j, "dns-timeout", f->dns_timeout);
		j_ku64(j, "retry-limit", f->retry_limit);
		j_kstr(j, "purl-name", f->purl_name);
		j_kstr(j, "purl-version", f->purl_version);
		j_kstr(j, "reason", f->reason);
		bd_jw_obj_end(j);
	} else {
		const struct bd_plan_git *g = s->git;
		bd_jw_key(j, "git-checkout");
		bd_jw_obj(j);
		j_kstr(j, "repository", g->repository);
		j_kstr(j, "destination", g->destination);
		j_kstr(j, "branch", g->branch);
		j_kstr(j, "tag", g->tag);
		j_kstr(j, "expected-commit", g->expected_commit);
		j_kbool(j, "expected-commit-is-branch-tip", g->expected_commit_is_branch_tip);
		bd_jw_key(j, "depth");
		bd_jw_i64(j, g->depth);
		j_kbool(j, "recurse-submodules", g->recurse_submodules);
		j_kbool(j, "shallow-submodules", g->shallow_submodules);
		j_ku64(j, "submodule-jobs", g->submodule_jobs);
		bd_jw_key(j, "cherry-picks");
		bd_jw_arr(j);
		for (size_t i = 0; i < g->n_cherry_picks; i++) {
			bd_jw_obj(j);
			j_kstr(j, "branch", g->cherry_picks[i].branch);
			j_kstr(j, "commit", g->cherry_picks[i].commit);
			j_kstr(j, "comment", g->cherry_picks[i].comment);
			bd_jw_obj_end(j);
		}
		bd_jw_arr_end(j);
		j_strv(j, "sparse-paths", &g->sparse_paths);
		j_ku64(j, "max-retries", g->max_retries);
		j_ku64(j, "initial-backoff", g->initial_backoff);
		j_ku64(j, "max-backoff", g->max_backoff);
		j_kstr(j, "type-hint", g->type_hint);
		j_kstr(j, "reason", g->reason);
		bd_jw_obj_end(j);
	}
	bd_jw_obj_end(j);
}

static void
j_steps(struct bd_jw *j, const struct bd_plan_step *v, size_t n, const struct bd_plan_env *global)
{
	bd_jw_key(j, "steps");
	bd_jw_arr(j);
	for (size_t i = 0; i < n; i++)
		j_step(j, &v[i], global);
	bd_jw_arr_end(j);
}

static void
j_resources(struct bd_jw *j, const char *key, const struct bd_plan_resources *r)
{
	bd_jw_key(j, key);
	bd_jw_obj(j);
	j_kstr(j, "cpu", r->cpu);
	j_kstr(j, "cpumodel", r->cpumodel);
	j_kstr(j, "memory", r->memory);
	j_kstr(j, "disk", r->disk);
	bd_jw_obj_end(j);
}

void
bd_plan_to_json(const struct bd_plan *p, struct bd_buf *out)
{
	struct bd_jw jj, *j = &jj;

	bd_jw_init(j, out);
	bd_jw_obj(j);
	j_kstr(j, "schema", "builderd-plan/1");
	j_kstr(j, "file", p->file);
	j_kstr(j, "arch", p->arch);
	j_kbool(j, "arch-skipped", p->arch_skipped);
	j_kstr(j, "source-dir", p->source_dir);
	bd_jw_key(j, "package");
	j_package(j, &p->pkg);
	bd_jw_key(j, "copyright");
	bd_jw_arr(j);
	for (size_t i = 0; i < p->n_copyright; i++) {
		const struct bd_plan_copyright *c = &p->copyright[i];
		bd_jw_obj(j);
		j_kstr(j, "license", c->license);
		j_kstr(j, "license-path", c->license_path);
		j_kstr(j, "attestation", c->attestation);
		j_kstr(j, "detection-override", c->detection_override);
		j_strv(j, "paths", &c->paths);
		bd_jw_obj_end(j);
	}
	bd_jw_arr_end(j);
	bd_jw_key(j, "setcap");
	bd_jw_arr(j);
	for (size_t i = 0; i < p->n_setcap; i++) {
		bd_jw_obj(j);
		j_kstr(j, "path", p->setcap[i].path);
		j_env(j, "add", &p->setcap[i].add);
		j_kstr(j, "reason", p->setcap[i].reason);
		bd_jw_obj_end(j);
	}
	bd_jw_arr_end(j);
	bd_jw_key(j, "cpe");
	bd_jw_obj(j);
	j_kstr(j, "part", p->cpe.part);
	j_kstr(j, "vendor", p->cpe.vendor);
	j_kstr(j, "product", p->cpe.product);
	j_kstr(j, "edition", p->cpe.edition);
	j_kstr(j, "language", p->cpe.language);
	j_kstr(j, "sw_edition", p->cpe.sw_edition);
	j_kstr(j, "target_sw", p->cpe.target_sw);
	j_kstr(j, "target_hw", p->cpe.target_hw);
	j_kstr(j, "other", p->cpe.other);
	bd_jw_obj_end(j);
	bd_jw_key(j, "subpackages");
	bd_jw_arr(j);
	for (size_t i = 0; i < p->n_subpkgs; i++)
		j_package(j, &p->subpkgs[i]);
	bd_jw_arr_end(j);
	j_strv(j, "target-architecture", &p->target_architecture);
	bd_jw_key(j, "capabilities");
	bd_jw_obj(j);
	j_strv(j, "add", &p->cap_add);
	j_strv(j, "drop", &p->cap_drop);
	bd_jw_obj_end(j);
	j_resources(j, "resources", &p->resources);
	j_resources(j, "test-resources", &p->test_resources);
	j_ku64(j, "timeout-seconds", p->timeout_seconds);
	j_imgenv(j, "environment", &p->build_env);
	j_steps(j, p->steps, p->n_steps, &p->build_env.environment);
	bd_jw_key(j, "tests");
	bd_jw_arr(j);
	for (size_t i = 0; i < p->n_tests; i++) {
		bd_jw_obj(j);
		j_kstr(j, "package", p->tests[i].package);
		j_imgenv(j, "environment", &p->tests[i].env);
		j_steps(j, p->tests[i].steps, p->tests[i].n_steps, &p->tests[i].env.environment);
		bd_jw_obj_end(j);
	}
	bd_jw_arr_end(j);
	bd_jw_obj_end(j);
}

/* ------------------------------------------------------------ shell */

static void
sh_list(struct bd_buf *b, const char *label, const struct bd_plan_strv *v)
{
	if (!v->n)
		return;
	bd_buf_printf(b, "#   %s:", label);
	for (size_t i = 0; i < v->n; i++)
		bd_buf_printf(b, " %s", v->v[i]);
	bd_buf_putc(b, '\n');
}

/* Comment lines, one per line of @text. */
static void
sh_comment(struct bd_buf *b, const char *prefix, const char *text)
{
	while (*text) {
		size_t len = strcspn(text, "\n");
		bd_buf_printf(b, "%s%.*s\n", prefix, (int)len, text);
		text += len + (text[len] == '\n');
	}
}

static void
sh_env_diff(struct bd_buf *b, const struct bd_plan_env *env, const struct bd_plan_env *global)
{
	bool any = false;

	for (size_t i = 0; i < env->n; i++) {
		bool same = false;
		for (size_t k = 0; k < global->n; k++)
			if (!strcmp(global->v[k].key, env->v[i].key) &&
			    !strcmp(global->v[k].value, env->v[i].value))
				same = true;
		if (same || !strcmp(env->v[i].key, "PATH"))
			continue;
		if (!any)
			bd_buf_puts(b, "# environment for this step:");
		any = true;
		bd_buf_printf(b, " %s=", env->v[i].key);
		bd_shell_quote(b, env->v[i].value);
	}
	if (any)
		bd_buf_putc(b, '\n');
}

static void
sh_steps(struct bd_buf *b, const struct bd_plan_step *v, size_t n, const struct bd_plan_env *global)
{
	for (size_t i = 0; i < n; i++) {
		const struct bd_plan_step *s = &v[i];
		bd_buf_printf(b, "\n# --- step %zu of %zu, package %s (%s:%u:%u)", i + 1, n,
		              s->package, s->loc.file, s->loc.line, s->loc.col);
		if (s->name)
			bd_buf_printf(b, ": %s", s->name);
		if (s->uses)
			bd_buf_printf(b, " [uses %s]", s->uses);
		bd_buf_putc(b, '\n');
		if (s->kind == BD_PLAN_FETCH) {
			const struct bd_plan_fetch *f = s->fetch;
			bd_buf_puts(b, "# source step, performed by the runner: fetch\n");
			bd_buf_printf(b, "#   uri:       %s\n", f->uri);
			bd_buf_printf(b, "#   into:      %s/%s\n", s->workdir, f->filename);
			if (f->sha256)
				bd_buf_printf(b, "#   sha256:    %s\n", f->sha256);
			if (f->sha512)
				bd_buf_printf(b, "#   sha512:    %s\n", f->sha512);
			if (f->expected_none)
				bd_buf_puts(b, "#   checksum:  none (expected-none)\n");
			if (f->extract && !strcmp(f->directory, "."))
				bd_buf_printf(
				    b, "#   extract:   into %s, strip %u leading components\n",
				    s->workdir, f->strip_components);
			else if (f->extract)
				bd_buf_printf(
				    b, "#   extract:   into %s/%s, strip %u leading components\n",
				    s->workdir, f->directory, f->strip_components);
			if (f->delete_after)
				bd_buf_puts(b, "#   delete the download after extracting\n");
		} else if (s->kind == BD_PLAN_GIT) {
			const struct bd_plan_git *g = s->git;
			bd_buf_puts(b, "# source step, performed by the runner: git-checkout\n");
			bd_buf_printf(b, "#   repository:      %s\n", g->repository);
			if (g->destination[0] == '/')
				bd_buf_printf(b, "#   destination:     %s\n", g->destination);
			else if (!strcmp(g->destination, "."))
				bd_buf_printf(b, "#   destination:     %s\n", s->workdir);
			else
				bd_buf_printf(b, "#   destination:     %s/%s\n", s->workdir,
				              g->destination);
			if (g->tag)
				bd_buf_printf(b, "#   tag:             %s\n", g->tag);
			if (g->branch)
				bd_buf_printf(b, "#   branch:          %s\n", g->branch);
			if (g->expected_commit)
				bd_buf_printf(b, "#   expected-commit: %s\n", g->expected_commit);
			bd_buf_printf(b, "#   depth:           %d\n", g->depth);
			if (g->recurse_submodules)
				bd_buf_puts(b, "#   with submodules\n");
			for (size_t k = 0; k < g->n_cherry_picks; k++)
				bd_buf_printf(
				    b, "#   cherry-pick:     %s%s%s (%s)\n",
				    g->cherry_picks[k].branch ? g->cherry_picks[k].branch : "",
				    g->cherry_picks[k].branch ? "/" : "", g->cherry_picks[k].commit,
				    g->cherry_picks[k].comment);
			sh_list(b, "sparse paths", &g->sparse_paths);
		} else {
			/* a quoted here-document shows the script verbatim */
			char tag[64];
			unsigned k = 0;
			snprintf(tag, sizeof(tag), "BUILDERD_STEP_%zu", i + 1);
			while (strstr(s->script, tag))
				snprintf(tag, sizeof(tag), "BUILDERD_STEP_%zu_%u", i + 1, ++k);
			sh_env_diff(b, &s->env, global);
			bd_buf_printf(b, "/bin/sh -c \"$(cat <<'%s'\n%s%s\n)\"\n", tag, s->script,
			              tag);
		}
	}
}

static void
sh_env(struct bd_buf *b, const struct bd_plan_imgenv *e)
{
	sh_list(b, "packages", &e->packages);
	sh_list(b, "repositories", &e->repositories);
	sh_list(b, "keyring", &e->keyring);
	for (size_t i = 0; i < e->environment.n; i++)
		bd_buf_printf(b, "#   env: %s=%s\n", e->environment.v[i].key,
		              e->environment.v[i].value);
	if (e->accounts.run_as)
		bd_buf_printf(b, "#   run as: %s\n", e->accounts.run_as);
}

void
bd_plan_to_shell(const struct bd_plan *p, struct bd_buf *b)
{
	bd_buf_printf(b, "#!/bin/sh\n# Build plan for %s-%s (%s), compiled from %s.\n", p->pkg.name,
	              p->pkg.full_version, p->arch, p->file);
	bd_buf_puts(b,
	            "# Each step runs as its own process in a fresh sandbox with the environment\n"
	            "# shown; source steps are performed by the runner outside the sandbox.\n"
	            "# This rendering is for reading, not for running.\n");
	if (p->arch_skipped)
		bd_buf_printf(b,
		              "# NOTE: target-architecture excludes %s; nothing is built for it.\n",
		              p->arch);
	if (p->pkg.description)
		sh_comment(b, "# ", p->pkg.description);
	bd_buf_puts(b, "#\n# packages:\n");
	bd_buf_printf(b, "#   %s %s%s%s\n", p->pkg.name, p->pkg.full_version,
	              p->pkg.license ? " license " : "", p->pkg.license ? p->pkg.license : "");
	for (size_t i = 0; i < p->n_subpkgs; i++)
		bd_buf_printf(b, "#   %s\n", p->subpkgs[i].name);
	bd_buf_puts(b, "#\n# build environment:\n");
	sh_env(b, &p->build_env);
	sh_steps(b, p->steps, p->n_steps, &p->build_env.environment);
	for (size_t i = 0; i < p->n_tests; i++) {
		const struct bd_plan_test *t = &p->tests[i];
		bd_buf_printf(b, "\n# ===== test of %s, in a fresh environment:\n", t->package);
		sh_env(b, &t->env);
		sh_steps(b, t->steps, t->n_steps, &t->env.environment);
	}
}
