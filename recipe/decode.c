/* SPDX-License-Identifier: MIT */
/* decode: YAML node tree to the recipe model, strictly, as melange does.
 *
 * One table per configuration type lists its keys, the kind of value and
 * where it goes; a single generic walker applies them.  As with melange's
 * yaml.v3 KnownFields(true), an unknown key anywhere is an error (pipeline
 * definition files are decoded leniently, as melange does).  Scalars keep
 * their source text; integers, booleans and durations follow yaml.v3's
 * rules (a quoted "1" is not an integer).  Decoding continues after a
 * problem so that one lint run shows every bad key. */
#include "recipe/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum fkind {
	FK_STR,
	FK_BOOL,
	FK_INT,
	FK_UINT,
	FK_DURATION,
	FK_LIST,
	FK_MAP,
	FK_OBJ,
	FK_OBJP,
	FK_OBJLIST,
	FK_OBJMAP,
};

struct schema;

struct field {
	const char *key;
	enum fkind kind;
	size_t off;
	const struct schema *sub;
};

struct schema {
	const char *name;
	size_t size;
	const struct field *fields;
	size_t nfields;
};

#define F(k, kind, type, member)                      \
	{                                             \
		k, kind, offsetof(type, member), NULL \
	}
#define FS(k, kind, type, member, sub)                \
	{                                             \
		k, kind, offsetof(type, member), &sub \
	}
#define SCHEMA(var, type, fields) \
	static const struct schema var = { #type, sizeof(type), fields, BD_ARRAY_SIZE(fields) }

/* ------------------------------------------------------------ tables */

static const struct schema s_pipeline;

static const struct field f_input[] = {
	F("description", FK_STR, struct m_input, description),
	F("default", FK_STR, struct m_input, def),
	F("required", FK_BOOL, struct m_input, required),
};
SCHEMA(s_input, struct m_input, f_input);

static const struct field f_needs[] = {
	F("packages", FK_LIST, struct m_needs, packages),
};
SCHEMA(s_needs, struct m_needs, f_needs);

static const struct field f_assertions[] = {
	F("required-steps", FK_INT, struct m_assertions, required_steps),
};
SCHEMA(s_assertions, struct m_assertions, f_assertions);

static const struct field f_pipeline[] = {
	F("if", FK_STR, struct m_pipeline, if_),
	F("name", FK_STR, struct m_pipeline, name),
	F("uses", FK_STR, struct m_pipeline, uses),
	F("with", FK_MAP, struct m_pipeline, with),
	F("runs", FK_STR, struct m_pipeline, runs),
	FS("pipeline", FK_OBJLIST, struct m_pipeline, pipeline, s_pipeline),
	FS("inputs", FK_OBJMAP, struct m_pipeline, inputs, s_input),
	FS("needs", FK_OBJP, struct m_pipeline, needs, s_needs),
	F("label", FK_STR, struct m_pipeline, label),
	FS("assertions", FK_OBJP, struct m_pipeline, assertions, s_assertions),
	F("working-directory", FK_STR, struct m_pipeline, workdir),
	F("environment", FK_MAP, struct m_pipeline, environment),
};
static const struct schema s_pipeline = { "pipeline step", sizeof(struct m_pipeline), f_pipeline,
	                                  BD_ARRAY_SIZE(f_pipeline) };

static const struct field f_user[] = {
	F("username", FK_STR, struct m_user, username), F("uid", FK_UINT, struct m_user, uid),
	F("gid", FK_UINT, struct m_user, gid),          F("shell", FK_STR, struct m_user, shell),
	F("homedir", FK_STR, struct m_user, homedir),
};
SCHEMA(s_user, struct m_user, f_user);

static const struct field f_group[] = {
	F("groupname", FK_STR, struct m_group, groupname),
	F("gid", FK_UINT, struct m_group, gid),
	F("members", FK_LIST, struct m_group, members),
};
SCHEMA(s_group, struct m_group, f_group);

static const struct field f_accounts[] = {
	F("run-as", FK_STR, struct m_accounts, run_as),
	FS("users", FK_OBJLIST, struct m_accounts, users, s_user),
	FS("groups", FK_OBJLIST, struct m_accounts, groups, s_group),
};
SCHEMA(s_accounts, struct m_accounts, f_accounts);

static const struct field f_baseimage[] = {
	F("image", FK_STR, struct m_baseimage, image),
	F("apkindex", FK_STR, struct m_baseimage, apkindex),
};
SCHEMA(s_baseimage, struct m_baseimage, f_baseimage);

static const struct field f_contents[] = {
	F("repositories", FK_LIST, struct m_contents, repositories),
	F("build_repositories", FK_LIST, struct m_contents, build_repositories),
	F("runtime_repositories", FK_LIST, struct m_contents, runtime_repositories),
	F("keyring", FK_LIST, struct m_contents, keyring),
	F("packages", FK_LIST, struct m_contents, packages),
	FS("baseimage", FK_OBJ, struct m_contents, baseimage, s_baseimage),
};
SCHEMA(s_contents, struct m_contents, f_contents);

static const struct field f_entrypoint[] = {
	F("type", FK_STR, struct m_entrypoint, type),
	F("command", FK_STR, struct m_entrypoint, command),
	F("shell-fragment", FK_STR, struct m_entrypoint, shell_fragment),
	F("services", FK_MAP, struct m_entrypoint, services),
};
SCHEMA(s_entrypoint, struct m_entrypoint, f_entrypoint);

static const struct field f_pathmut[] = {
	F("path", FK_STR, struct m_pathmut, path),
	F("type", FK_STR, struct m_pathmut, type),
	F("uid", FK_UINT, struct m_pathmut, uid),
	F("gid", FK_UINT, struct m_pathmut, gid),
	F("permissions", FK_UINT, struct m_pathmut, permissions),
	F("source", FK_STR, struct m_pathmut, source),
	F("recursive", FK_BOOL, struct m_pathmut, recursive),
};
SCHEMA(s_pathmut, struct m_pathmut, f_pathmut);

static const struct field f_layering[] = {
	F("strategy", FK_STR, struct m_layering, strategy),
	F("budget", FK_INT, struct m_layering, budget),
};
SCHEMA(s_layering, struct m_layering, f_layering);

static const struct field f_cert[] = {
	F("name", FK_STR, struct m_cert, name),
	F("content", FK_STR, struct m_cert, content),
};
SCHEMA(s_cert, struct m_cert, f_cert);

static const struct field f_certs[] = {
	FS("additional", FK_OBJLIST, struct m_certs, additional, s_cert),
	F("providers", FK_LIST, struct m_certs, providers),
};
SCHEMA(s_certs, struct m_certs, f_certs);

static const struct field f_imgconf[] = {
	FS("contents", FK_OBJ, struct m_imgconf, contents, s_contents),
	FS("entrypoint", FK_OBJ, struct m_imgconf, entrypoint, s_entrypoint),
	F("cmd", FK_STR, struct m_imgconf, cmd),
	F("stop-signal", FK_STR, struct m_imgconf, stop_signal),
	F("work-dir", FK_STR, struct m_imgconf, work_dir),
	FS("accounts", FK_OBJ, struct m_imgconf, accounts, s_accounts),
	F("archs", FK_LIST, struct m_imgconf, archs),
	F("environment", FK_MAP, struct m_imgconf, environment),
	FS("paths", FK_OBJLIST, struct m_imgconf, paths, s_pathmut),
	F("vcs-url", FK_STR, struct m_imgconf, vcs_url),
	F("annotations", FK_MAP, struct m_imgconf, annotations),
	F("include", FK_STR, struct m_imgconf, include),
	F("volumes", FK_LIST, struct m_imgconf, volumes),
	FS("layering", FK_OBJ, struct m_imgconf, layering, s_layering),
	FS("certificates", FK_OBJ, struct m_imgconf, certificates, s_certs),
};
static const struct schema s_imgconf = { "environment", sizeof(struct m_imgconf), f_imgconf,
	                                 BD_ARRAY_SIZE(f_imgconf) };

static const struct field f_copyright[] = {
	F("paths", FK_LIST, struct m_copyright, paths),
	F("attestation", FK_STR, struct m_copyright, attestation),
	F("license", FK_STR, struct m_copyright, license),
	F("license-path", FK_STR, struct m_copyright, license_path),
	F("detection-override", FK_STR, struct m_copyright, detection_override),
};
SCHEMA(s_copyright, struct m_copyright, f_copyright);

static const struct field f_deps[] = {
	F("runtime", FK_LIST, struct m_deps, runtime),
	F("provides", FK_LIST, struct m_deps, provides),
	F("replaces", FK_LIST, struct m_deps, replaces),
	F("provider-priority", FK_STR, struct m_deps, provider_priority),
	F("replaces-priority", FK_STR, struct m_deps, replaces_priority),
};
SCHEMA(s_deps, struct m_deps, f_deps);

static const struct field f_pkgopts[] = {
	F("no-provides", FK_BOOL, struct m_pkgopts, no_provides),
	F("no-depends", FK_BOOL, struct m_pkgopts, no_depends),
	F("no-commands", FK_BOOL, struct m_pkgopts, no_commands),
	F("no-versioned-shlib-deps", FK_BOOL, struct m_pkgopts, no_versioned_shlib_deps),
};
SCHEMA(s_pkgopts, struct m_pkgopts, f_pkgopts);

static const struct field f_trigger[] = {
	F("script", FK_STR, struct m_trigger, script),
	F("paths", FK_LIST, struct m_trigger, paths),
};
SCHEMA(s_trigger, struct m_trigger, f_trigger);

static const struct field f_scriptlets[] = {
	FS("trigger", FK_OBJ, struct m_scriptlets, trigger, s_trigger),
	F("pre-install", FK_STR, struct m_scriptlets, pre_install),
	F("post-install", FK_STR, struct m_scriptlets, post_install),
	F("pre-deinstall", FK_STR, struct m_scriptlets, pre_deinstall),
	F("post-deinstall", FK_STR, struct m_scriptlets, post_deinstall),
	F("pre-upgrade", FK_STR, struct m_scriptlets, pre_upgrade),
	F("post-upgrade", FK_STR, struct m_scriptlets, post_upgrade),
};
SCHEMA(s_scriptlets, struct m_scriptlets, f_scriptlets);

static const struct field f_checks[] = {
	F("disabled", FK_LIST, struct m_checks, disabled),
};
SCHEMA(s_checks, struct m_checks, f_checks);

static const struct field f_cpe[] = {
	F("part", FK_STR, struct m_cpe, part),
	F("vendor", FK_STR, struct m_cpe, vendor),
	F("product", FK_STR, struct m_cpe, product),
	F("edition", FK_STR, struct m_cpe, edition),
	F("language", FK_STR, struct m_cpe, language),
	F("sw_edition", FK_STR, struct m_cpe, sw_edition),
	F("target_sw", FK_STR, struct m_cpe, target_sw),
	F("target_hw", FK_STR, struct m_cpe, target_hw),
	F("other", FK_STR, struct m_cpe, other),
};
SCHEMA(s_cpe, struct m_cpe, f_cpe);

static const struct field f_setcap[] = {
	F("path", FK_STR, struct m_setcap, path),
	F("add", FK_MAP, struct m_setcap, add),
	F("reason", FK_STR, struct m_setcap, reason),
};
SCHEMA(s_setcap, struct m_setcap, f_setcap);

static const struct field f_resources[] = {
	F("cpu", FK_STR, struct m_resources, cpu),
	F("cpumodel", FK_STR, struct m_resources, cpumodel),
	F("memory", FK_STR, struct m_resources, memory),
	F("disk", FK_STR, struct m_resources, disk),
};
SCHEMA(s_resources, struct m_resources, f_resources);

static const struct field f_test[] = {
	FS("environment", FK_OBJ, struct m_test, environment, s_imgconf),
	FS("pipeline", FK_OBJLIST, struct m_test, pipeline, s_pipeline),
};
static const struct schema s_test = { "test", sizeof(struct m_test), f_test,
	                              BD_ARRAY_SIZE(f_test) };

static const struct field f_package[] = {
	F("name", FK_STR, struct m_package, name),
	F("version", FK_STR, struct m_package, version),
	F("epoch", FK_UINT, struct m_package, epoch),
	F("description", FK_STR, struct m_package, description),
	F("annotations", FK_MAP, struct m_package, annotations),
	F("url", FK_STR, struct m_package, url),
	F("commit", FK_STR, struct m_package, commit),
	F("target-architecture", FK_LIST, struct m_package, target_architecture),
	FS("copyright", FK_OBJLIST, struct m_package, copyright, s_copyright),
	FS("dependencies", FK_OBJ, struct m_package, dependencies, s_deps),
	FS("options", FK_OBJP, struct m_package, options, s_pkgopts),
	FS("scriptlets", FK_OBJP, struct m_package, scriptlets, s_scriptlets),
	FS("checks", FK_OBJ, struct m_package, checks, s_checks),
	FS("cpe", FK_OBJ, struct m_package, cpe, s_cpe),
	FS("setcap", FK_OBJLIST, struct m_package, setcap, s_setcap),
	F("timeout", FK_DURATION, struct m_package, timeout),
	FS("resources", FK_OBJP, struct m_package, resources, s_resources),
	FS("test-resources", FK_OBJP, struct m_package, test_resources, s_resources),
};
SCHEMA(s_package, struct m_package, f_package);

static const struct field f_subpackage[] = {
	F("if", FK_STR, struct m_subpackage, if_),
	F("range", FK_STR, struct m_subpackage, range),
	F("name", FK_STR, struct m_subpackage, name),
	FS("pipeline", FK_OBJLIST, struct m_subpackage, pipeline, s_pipeline),
	FS("dependencies", FK_OBJ, struct m_subpackage, dependencies, s_deps),
	FS("options", FK_OBJP, struct m_subpackage, options, s_pkgopts),
	FS("scriptlets", FK_OBJP, struct m_subpackage, scriptlets, s_scriptlets),
	F("description", FK_STR, struct m_subpackage, description),
	F("annotations", FK_MAP, struct m_subpackage, annotations),
	F("url", FK_STR, struct m_subpackage, url),
	F("commit", FK_STR, struct m_subpackage, commit),
	FS("checks", FK_OBJ, struct m_subpackage, checks, s_checks),
	FS("test", FK_OBJP, struct m_subpackage, test, s_test),
	FS("setcap", FK_OBJLIST, struct m_subpackage, setcap, s_setcap),
};
static const struct schema s_subpackage = { "subpackage", sizeof(struct m_subpackage), f_subpackage,
	                                    BD_ARRAY_SIZE(f_subpackage) };

static const struct field f_rangedata[] = {
	F("name", FK_STR, struct m_rangedata, name),
	F("items", FK_MAP, struct m_rangedata, items),
};
SCHEMA(s_rangedata, struct m_rangedata, f_rangedata);

static const struct field f_vartransform[] = {
	F("from", FK_STR, struct m_vartransform, from),
	F("match", FK_STR, struct m_vartransform, match),
	F("replace", FK_STR, struct m_vartransform, replace),
	F("to", FK_STR, struct m_vartransform, to),
};
SCHEMA(s_vartransform, struct m_vartransform, f_vartransform);

static const struct field f_pkglistopt[] = {
	F("add", FK_LIST, struct m_pkglistopt, add),
	F("remove", FK_LIST, struct m_pkglistopt, remove),
};
SCHEMA(s_pkglistopt, struct m_pkglistopt, f_pkglistopt);

static const struct field f_contentsopt[] = {
	FS("packages", FK_OBJ, struct m_contentsopt, packages, s_pkglistopt),
};
SCHEMA(s_contentsopt, struct m_contentsopt, f_contentsopt);

static const struct field f_envopt[] = {
	FS("contents", FK_OBJ, struct m_envopt, contents, s_contentsopt),
};
SCHEMA(s_envopt, struct m_envopt, f_envopt);

static const struct field f_buildopt[] = {
	F("vars", FK_MAP, struct m_buildopt, vars),
	FS("environment", FK_OBJ, struct m_buildopt, environment, s_envopt),
};
SCHEMA(s_buildopt, struct m_buildopt, f_buildopt);

static const struct field f_caps[] = {
	F("add", FK_LIST, struct m_caps, add),
	F("drop", FK_LIST, struct m_caps, drop),
};
SCHEMA(s_caps, struct m_caps, f_caps);

static const struct field f_relmon[] = {
	F("identifier", FK_INT, struct m_relmon, identifier),
	F("strip-prefix", FK_STR, struct m_relmon, strip_prefix),
	F("strip-suffix", FK_STR, struct m_relmon, strip_suffix),
	F("version-filter-contains", FK_STR, struct m_relmon, version_filter_contains),
	F("version-filter-prefix", FK_STR, struct m_relmon, version_filter_prefix),
};
SCHEMA(s_relmon, struct m_relmon, f_relmon);

static const struct field f_ghmon[] = {
	F("identifier", FK_STR, struct m_ghmon, identifier),
	F("strip-prefix", FK_STR, struct m_ghmon, strip_prefix),
	F("strip-suffix", FK_STR, struct m_ghmon, strip_suffix),
	F("tag-filter", FK_STR, struct m_ghmon, tag_filter),
	F("tag-filter-prefix", FK_STR, struct m_ghmon, tag_filter_prefix),
	F("tag-filter-contains", FK_STR, struct m_ghmon, tag_filter_contains),
	F("use-tag", FK_BOOL, struct m_ghmon, use_tag),
};
SCHEMA(s_ghmon, struct m_ghmon, f_ghmon);

static const struct field f_gitmon[] = {
	F("strip-prefix", FK_STR, struct m_gitmon, strip_prefix),
	F("strip-suffix", FK_STR, struct m_gitmon, strip_suffix),
	F("tag-filter-prefix", FK_STR, struct m_gitmon, tag_filter_prefix),
	F("tag-filter-contains", FK_STR, struct m_gitmon, tag_filter_contains),
};
SCHEMA(s_gitmon, struct m_gitmon, f_gitmon);

static const struct field f_ocimon[] = {
	F("identifier", FK_STR, struct m_ocimon, identifier),
	F("strip-prefix", FK_STR, struct m_ocimon, strip_prefix),
	F("strip-suffix", FK_STR, struct m_ocimon, strip_suffix),
	F("tag-filter-prefix", FK_STR, struct m_ocimon, tag_filter_prefix),
	F("tag-filter-contains", FK_STR, struct m_ocimon, tag_filter_contains),
};
SCHEMA(s_ocimon, struct m_ocimon, f_ocimon);

static const struct field f_vdsource[] = {
	F("name", FK_STR, struct m_vdsource, name),
	F("stream", FK_STR, struct m_vdsource, stream),
	F("ignore", FK_LIST, struct m_vdsource, ignore),
	F("commit_source", FK_STR, struct m_vdsource, commit_source),
	F("use_release", FK_BOOL, struct m_vdsource, use_release),
};
SCHEMA(s_vdsource, struct m_vdsource, f_vdsource);

static const struct field f_vdmon[] = {
	F("version_format", FK_STR, struct m_vdmon, version_format),
	FS("sources", FK_OBJLIST, struct m_vdmon, sources, s_vdsource),
};
SCHEMA(s_vdmon, struct m_vdmon, f_vdmon);

static const struct field f_vtransform[] = {
	F("match", FK_STR, struct m_vtransform, match),
	F("replace", FK_STR, struct m_vtransform, replace),
};
SCHEMA(s_vtransform, struct m_vtransform, f_vtransform);

static const struct field f_schedule[] = {
	F("reason", FK_STR, struct m_schedule, reason),
	F("period", FK_STR, struct m_schedule, period),
};
SCHEMA(s_schedule, struct m_schedule, f_schedule);

static const struct field f_update[] = {
	F("enabled", FK_BOOL, struct m_update, enabled),
	F("manual", FK_BOOL, struct m_update, manual),
	F("require-sequential", FK_BOOL, struct m_update, require_sequential),
	F("shared", FK_BOOL, struct m_update, shared),
	F("version-separator", FK_STR, struct m_update, version_separator),
	F("ignore-regex-patterns", FK_LIST, struct m_update, ignore_regex_patterns),
	FS("release-monitor", FK_OBJP, struct m_update, release_monitor, s_relmon),
	FS("github", FK_OBJP, struct m_update, github, s_ghmon),
	FS("git", FK_OBJP, struct m_update, git, s_gitmon),
	FS("oci", FK_OBJP, struct m_update, oci, s_ocimon),
	FS("version_data", FK_OBJP, struct m_update, version_data, s_vdmon),
	FS("version-transform", FK_OBJLIST, struct m_update, version_transform, s_vtransform),
	F("exclude-reason", FK_STR, struct m_update, exclude_reason),
	FS("schedule", FK_OBJP, struct m_update, schedule, s_schedule),
	F("enable-prerelease-tags", FK_BOOL, struct m_update, enable_prerelease_tags),
};
SCHEMA(s_update, struct m_update, f_update);

static const struct field f_config[] = {
	FS("package", FK_OBJ, struct m_config, package, s_package),
	FS("environment", FK_OBJ, struct m_config, environment, s_imgconf),
	FS("capabilities", FK_OBJ, struct m_config, capabilities, s_caps),
	FS("pipeline", FK_OBJLIST, struct m_config, pipeline, s_pipeline),
	FS("subpackages", FK_OBJLIST, struct m_config, subpackages, s_subpackage),
	FS("data", FK_OBJLIST, struct m_config, data, s_rangedata),
	FS("update", FK_OBJ, struct m_config, update, s_update),
	F("vars", FK_MAP, struct m_config, vars),
	FS("var-transforms", FK_OBJLIST, struct m_config, var_transforms, s_vartransform),
	FS("options", FK_OBJMAP, struct m_config, options, s_buildopt),
	FS("test", FK_OBJP, struct m_config, test, s_test),
};
static const struct schema s_config = { "recipe", sizeof(struct m_config), f_config,
	                                BD_ARRAY_SIZE(f_config) };

static const struct field f_pipedef[] = {
	F("name", FK_STR, struct m_pipedef, name),
	F("description", FK_STR, struct m_pipedef, description),
	FS("needs", FK_OBJP, struct m_pipedef, needs, s_needs),
	FS("inputs", FK_OBJMAP, struct m_pipedef, inputs, s_input),
	FS("pipeline", FK_OBJLIST, struct m_pipedef, pipeline, s_pipeline),
	F("runs", FK_STR, struct m_pipedef, runs),
	F("if", FK_STR, struct m_pipedef, if_),
	F("working-directory", FK_STR, struct m_pipedef, workdir),
	F("label", FK_STR, struct m_pipedef, label),
	F("environment", FK_MAP, struct m_pipedef, environment),
};
static const struct schema s_pipedef = { "pipeline definition", sizeof(struct m_pipedef), f_pipedef,
	                                 BD_ARRAY_SIZE(f_pipedef) };

/* ------------------------------------------------------------ messages */

void
bd_model_diag(struct bd_diags *d, struct bd_ydoc *doc, enum bd_diag_severity sev,
              const struct bd_ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);
	bd_diags_add(d, sev, doc->file, n ? n->line : 1, n ? n->col : 1, "%s", msg);
	free(msg);
}

static void derr(struct decode_ctx *c, const struct bd_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
derr(struct decode_ctx *c, const struct bd_ynode *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = bd_xvasprintf(fmt, ap);
	va_end(ap);
	bd_diags_add(c->d, BD_DIAG_ERROR, c->doc->file, n ? n->line : 1, n ? n->col : 1, "%s%s%s",
	             c->path[0] ? c->path : "", c->path[0] ? ": " : "", msg);
	free(msg);
	c->errors++;
}

static size_t path_push(struct decode_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t
path_push(struct decode_ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap); /* truncation is fine */
	va_end(ap);
	return old;
}

static void
path_pop(struct decode_ctx *c, size_t old)
{
	c->path[old] = '\0';
}

/* Levenshtein distance, capped: for "did you mean" hints. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			cur[j] = del < ins ? del : ins;
			if (sub < cur[j])
				cur[j] = sub;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

static void
unknown_key(struct decode_ctx *c, const struct schema *s, const struct bd_ynode *k)
{
	const char *best = NULL;
	size_t bestd = 99;
	char where[600];

	for (size_t i = 0; i < s->nfields; i++) {
		size_t dd = edit_distance(k->s, s->fields[i].key);
		if (dd < bestd) {
			bestd = dd;
			best = s->fields[i].key;
		}
	}
	if (c->path[0])
		snprintf(where, sizeof(where), "in %s", c->path);
	else
		snprintf(where, sizeof(where), "at the top level of the %s", s->name);
	size_t len = strlen(k->s);
	if (best && bestd <= (len > 6 ? 2u : 1u))
		bd_diags_add(c->d, BD_DIAG_ERROR, c->doc->file, k->line, k->col,
		             "unknown key \"%s\" %s (did you mean \"%s\"?)", k->s, where, best);
	else
		bd_diags_add(c->d, BD_DIAG_ERROR, c->doc->file, k->line, k->col,
		             "unknown key \"%s\" %s", k->s, where);
	c->unknown_keys++;
}

/* ------------------------------------------------------------ scalars */

static bool
want_scalar(struct decode_ctx *c, const struct bd_ynode *n, const char *what)
{
	if (n->kind == BD_Y_SCALAR)
		return true;
	derr(c, n, "expected %s, found %s", what, bd_ynode_kind_name(n));
	return false;
}

static void
dec_str(struct decode_ctx *c, const struct bd_ynode *n, struct rstr *out)
{
	out->node = n;
	out->s = "";
	if (!want_scalar(c, n, "a string"))
		return;
	if (!n->null)
		out->s = n->s;
}

static bool
quoted(const struct bd_ynode *n)
{
	return n->style != BD_YS_PLAIN || (n->tag && strcmp(n->tag, "tag:yaml.org,2002:str") == 0);
}

static void
dec_bool(struct decode_ctx *c, const struct bd_ynode *n, struct rbool *out)
{
	static const char *const yes11[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no11[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF" };

	out->node = n;
	if (!want_scalar(c, n, "true or false"))
		return;
	if (n->null)
		return;
	/* yaml.v3: plain true/false resolve to booleans; YAML 1.1 words are
	 * accepted (even quoted) when the target is a bool */
	if (!quoted(n)) {
		if (!strcmp(n->s, "true") || !strcmp(n->s, "True") || !strcmp(n->s, "TRUE")) {
			out->v = out->set = true;
			return;
		}
		if (!strcmp(n->s, "false") || !strcmp(n->s, "False") || !strcmp(n->s, "FALSE")) {
			out->v = false;
			out->set = true;
			return;
		}
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(yes11); i++)
		if (!strcmp(n->s, yes11[i])) {
			out->v = out->set = true;
			return;
		}
	for (size_t i = 0; i < BD_ARRAY_SIZE(no11); i++)
		if (!strcmp(n->s, no11[i])) {
			out->v = false;
			out->set = true;
			return;
		}
	derr(c, n, "expected true or false, found \"%s\"", n->s);
}

/* Go's strconv.ParseInt(s, 0, 64) (which yaml.v3 uses): sign, 0x/0o/0b
 * prefixes, a leading 0 for octal, underscores between digits. */
static bool
parse_go_int(const char *s, bool allow_neg, int64_t *iv, uint64_t *uv)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0;
	bool digits = false, prev_us = false;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s += 1;
		digits = true;
	}
	for (; *s; s++) {
		unsigned dv;
		if (*s == '_') {
			if (prev_us)
				return false;
			prev_us = true;
			continue;
		}
		prev_us = false;
		if (*s >= '0' && *s <= '9')
			dv = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			dv = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			dv = (unsigned)(*s - 'A' + 10);
		else
			return false;
		if (dv >= base)
			return false;
		if (v > (UINT64_MAX - dv) / base)
			return false;
		v = v * base + dv;
		digits = true;
	}
	if (!digits || prev_us)
		return false;
	if (neg) {
		if (!allow_neg || v > (uint64_t)INT64_MAX + 1)
			return false;
		*iv = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		*uv = 0;
		return true;
	}
	if (allow_neg && v > INT64_MAX)
		return false;
	*iv = (int64_t)v;
	*uv = v;
	return true;
}

static void
dec_num(struct decode_ctx *c, const struct bd_ynode *n, struct rnum *out, bool is_signed)
{
	const char *what = is_signed ? "an integer" : "a non-negative integer";

	out->node = n;
	if (!want_scalar(c, n, what))
		return;
	if (n->null)
		return;
	if (quoted(n)) {
		derr(c, n, "expected %s, found the quoted string \"%s\"", what, n->s);
		return;
	}
	if (!parse_go_int(n->s, is_signed, &out->i, &out->u)) {
		derr(c, n, "expected %s, found \"%s\"", what, n->s);
		return;
	}
	out->set = true;
}

/* Go's time.ParseDuration, to nanoseconds. */
static bool
parse_go_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1ull },           { "us", 1000ull },         { "\xc2\xb5s", 1000ull },
		{ "\xce\xbcs", 1000ull }, { "ms", 1000000ull },      { "s", 1000000000ull },
		{ "m", 60000000000ull },  { "h", 3600000000000ull },
	};
	bool neg = false;
	double total = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out = 0;
		return true;
	}
	if (!*s)
		return false;
	while (*s) {
		double v = 0, scale = 1;
		bool any = false;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s++ - '0');
			any = true;
		}
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				scale /= 10;
				v += (*s++ - '0') * scale;
				any = true;
			}
		}
		if (!any)
			return false;
		size_t best = 0;
		uint64_t mult = 0;
		for (size_t i = 0; i < BD_ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (l > best && !strncmp(s, units[i].unit, l)) {
				best = l;
				mult = units[i].ns;
			}
		}
		if (!best)
			return false;
		s += best;
		total += v * (double)mult;
		if (total > 9.2e18)
			return false;
	}
	*out = (int64_t)(neg ? -total : total);
	return true;
}

static void
dec_duration(struct decode_ctx *c, const struct bd_ynode *n, struct rnum *out)
{
	out->node = n;
	if (!want_scalar(c, n, "a duration"))
		return;
	if (n->null)
		return;
	/* yaml.v3: a string goes through time.ParseDuration, an integer is
	 * a number of nanoseconds */
	if (!quoted(n) && parse_go_int(n->s, true, &out->i, &out->u)) {
		out->set = true;
		return;
	}
	if (!parse_go_duration(n->s, &out->i)) {
		derr(c, n, "expected a duration such as \"90m\" or \"2h\", found \"%s\"", n->s);
		return;
	}
	out->set = true;
}

static void
dec_list(struct decode_ctx *c, const struct bd_ynode *n, struct rlist *out)
{
	out->node = n;
	if (n->kind == BD_Y_SCALAR && n->null)
		return;
	if (n->kind != BD_Y_SEQ) {
		derr(c, n, "expected a sequence of strings, found %s", bd_ynode_kind_name(n));
		return;
	}
	out->v = bd_arena_array(c->a, n->n ? n->n : 1, sizeof(*out->v));
	for (uint32_t i = 0; i < n->n; i++) {
		const struct bd_ynode *it = n->items[i];
		size_t old = path_push(c, "[%u]", i);
		dec_str(c, it, &out->v[out->n]);
		path_pop(c, old);
		out->n++;
	}
}

static void
dec_map(struct decode_ctx *c, const struct bd_ynode *n, struct rmap *out)
{
	if (n->kind == BD_Y_SCALAR && n->null)
		return;
	if (n->kind != BD_Y_MAP) {
		derr(c, n, "expected a mapping of strings, found %s", bd_ynode_kind_name(n));
		return;
	}
	out->node = n;
	out->v = bd_arena_array(c->a, n->n ? n->n : 1, sizeof(*out->v));
	for (uint32_t i = 0; i < n->n; i++) {
		const struct bd_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
		struct rkv *kv = &out->v[out->n++];
		kv->key.s = k->s;
		kv->key.node = k;
		size_t old = path_push(c, ".%s", k->s);
		dec_str(c, v, &kv->val);
		path_pop(c, old);
	}
}

/* ------------------------------------------------------------ structs */

static void dec_struct(struct decode_ctx *c, const struct bd_ynode *n, const struct schema *s,
                       void *dst);

static void
dec_field(struct decode_ctx *c, const struct field *f, const struct bd_ynode *v, void *base)
{
	void *dst = (char *)base + f->off;

	switch (f->kind) {
	case FK_STR:
		dec_str(c, v, dst);
		break;
	case FK_BOOL:
		dec_bool(c, v, dst);
		break;
	case FK_INT:
		dec_num(c, v, dst, true);
		break;
	case FK_UINT:
		dec_num(c, v, dst, false);
		break;
	case FK_DURATION:
		dec_duration(c, v, dst);
		break;
	case FK_LIST:
		dec_list(c, v, dst);
		break;
	case FK_MAP:
		dec_map(c, v, dst);
		break;
	case FK_OBJ:
		dec_struct(c, v, f->sub, dst);
		break;
	case FK_OBJP: {
		void **pp = dst;
		if (v->kind == BD_Y_SCALAR && v->null)
			break; /* `test:` with nothing: stays absent, as a nil pointer */
		*pp = bd_arena_alloc(c->a, f->sub->size);
		dec_struct(c, v, f->sub, *pp);
		break;
	}
	case FK_OBJLIST: {
		struct rarr *arr = dst;
		arr->node = v;
		if (v->kind == BD_Y_SCALAR && v->null)
			break;
		if (v->kind != BD_Y_SEQ) {
			derr(c, v, "expected a sequence, found %s", bd_ynode_kind_name(v));
			break;
		}
		arr->v = bd_arena_array(c->a, v->n ? v->n : 1, f->sub->size);
		for (uint32_t i = 0; i < v->n; i++) {
			size_t old = path_push(c, "[%u]", i);
			dec_struct(c, v->items[i], f->sub,
			           (char *)arr->v + (size_t)i * f->sub->size);
			path_pop(c, old);
		}
		arr->n = v->n;
		break;
	}
	case FK_OBJMAP: {
		struct rarr *arr = dst;
		arr->node = v;
		if (v->kind == BD_Y_SCALAR && v->null)
			break;
		if (v->kind != BD_Y_MAP) {
			derr(c, v, "expected a mapping, found %s", bd_ynode_kind_name(v));
			break;
		}
		arr->v = bd_arena_array(c->a, v->n ? v->n : 1, f->sub->size);
		for (uint32_t i = 0; i < v->n; i++) {
			const struct bd_ynode *k = v->items[2 * i];
			struct rhdr *h = (struct rhdr *)((char *)arr->v + (size_t)i * f->sub->size);
			size_t old = path_push(c, ".%s", k->s);
			dec_struct(c, v->items[2 * i + 1], f->sub, h);
			h->key.s = k->s;
			h->key.node = k;
			path_pop(c, old);
		}
		arr->n = v->n;
		break;
	}
	default:
		BD_ASSERT(!"unknown field kind");
	}
}

/* Absent strings read as "" everywhere, so give every string field of
 * @dst (and of its embedded structs) that value before decoding. */
static void
init_struct(const struct schema *s, void *dst)
{
	((struct rhdr *)dst)->key.s = "";
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		if (f->kind == FK_STR)
			((struct rstr *)(void *)((char *)dst + f->off))->s = "";
		else if (f->kind == FK_OBJ)
			init_struct(f->sub, (char *)dst + f->off);
	}
}

static void
dec_struct(struct decode_ctx *c, const struct bd_ynode *n, const struct schema *s, void *dst)
{
	struct rhdr *h = dst;

	init_struct(s, dst);
	if (n->kind == BD_Y_SCALAR && n->null)
		return; /* an empty key: the zero value, as in Go */
	if (n->kind != BD_Y_MAP) {
		derr(c, n, "expected a mapping, found %s", bd_ynode_kind_name(n));
		return;
	}
	h->node = n;
	for (uint32_t i = 0; i < n->n; i++) {
		const struct bd_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
		const struct field *f = NULL;
		for (size_t j = 0; j < s->nfields; j++)
			if (!strcmp(s->fields[j].key, k->s)) {
				f = &s->fields[j];
				break;
			}
		if (!f) {
			if (!c->lenient)
				unknown_key(c, s, k);
			continue;
		}
		size_t old = path_push(c, "%s%s", c->path[0] ? "." : "", k->s);
		dec_field(c, f, v, dst);
		path_pop(c, old);
	}
}

size_t
bd_decode_config(struct decode_ctx *c, const struct bd_ynode *root, struct m_config *cfg)
{
	size_t before = c->errors;

	memset(cfg, 0, sizeof(*cfg));
	init_struct(&s_config, cfg);
	c->path[0] = '\0';
	if (!root || (root->kind == BD_Y_SCALAR && root->null)) {
		bd_diags_add(c->d, BD_DIAG_ERROR, c->doc->file, 1, 1, "empty recipe");
		c->errors++;
		return c->errors - before;
	}
	if (root->kind != BD_Y_MAP) {
		derr(c, root, "a recipe must be a mapping, found %s", bd_ynode_kind_name(root));
		return c->errors - before;
	}
	dec_struct(c, root, &s_config, cfg);
	return c->errors - before;
}

size_t
bd_decode_pipedef(struct decode_ctx *c, const struct bd_ynode *root, struct m_pipedef *def)
{
	size_t before = c->errors;

	memset(def, 0, sizeof(*def));
	init_struct(&s_pipedef, def);
	c->path[0] = '\0';
	if (!root || (root->kind == BD_Y_SCALAR && root->null))
		return 0; /* an empty definition does nothing */
	if (root->kind != BD_Y_MAP) {
		derr(c, root, "a pipeline definition must be a mapping, found %s",
		     bd_ynode_kind_name(root));
		return c->errors - before;
	}
	dec_struct(c, root, &s_pipedef, def);
	return c->errors - before;
}
