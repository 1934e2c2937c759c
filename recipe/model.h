/* SPDX-License-Identifier: MIT */
/* model: the decoded recipe, one C struct per melange configuration type.
 *
 * Internal to recipe/.  Every string remembers the YAML node it came from
 * (for FILE:LINE:COL messages, even after substitution changed its text),
 * and every struct starts with a struct rhdr so the table-driven decoder
 * (decode.c) can record presence and mapping keys generically.  All memory
 * belongs to the recipe's arena. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recipe/arena.h"
#include "recipe/diag.h"
#include "recipe/yaml.h"

/* A string with its origin.  s is never NULL after decoding (absent = "");
 * node is NULL for absent or synthesized values. */
struct rstr {
	const char *s;
	const struct bd_ynode *node;
};

struct rlist {
	struct rstr *v;
	size_t n;
	const struct bd_ynode *node;
};

struct rkv {
	struct rstr key, val;
};

/* A mapping in source order (Go maps have no order; users sort). */
struct rmap {
	struct rkv *v;
	size_t n;
	const struct bd_ynode *node; /* NULL if absent or null */
};

struct rbool {
	bool v;
	bool set;
	const struct bd_ynode *node;
};

struct rnum {
	int64_t i;  /* signed fields */
	uint64_t u; /* unsigned fields */
	bool set;
	const struct bd_ynode *node;
};

/* Every decoded struct starts with this. */
struct rhdr {
	const struct bd_ynode *node; /* the mapping, NULL if absent */
	struct rstr key;             /* for entries of a mapping of structs */
};

struct rarr {
	void *v;
	size_t n;
	const struct bd_ynode *node;
};

#define RARR_AT(arr, type, i) (&((type *)(arr).v)[i])

struct m_input {
	struct rhdr h; /* h.key = the input name */
	struct rstr description, def;
	struct rbool required;
};

struct m_needs {
	struct rhdr h;
	struct rlist packages;
};

struct m_assertions {
	struct rhdr h;
	struct rnum required_steps;
};

struct m_pipeline {
	struct rhdr h;
	struct rstr if_, name, uses, runs, label, workdir;
	struct rmap with;
	struct rarr pipeline; /* struct m_pipeline */
	struct rarr inputs;   /* struct m_input */
	struct m_needs *needs;
	struct m_assertions *assertions;
	struct rmap environment;
};

struct m_user {
	struct rhdr h;
	struct rstr username, shell, homedir;
	struct rnum uid, gid;
};

struct m_group {
	struct rhdr h;
	struct rstr groupname;
	struct rnum gid;
	struct rlist members;
};

struct m_accounts {
	struct rhdr h;
	struct rstr run_as;
	struct rarr users;  /* struct m_user */
	struct rarr groups; /* struct m_group */
};

struct m_baseimage {
	struct rhdr h;
	struct rstr image, apkindex;
};

struct m_contents {
	struct rhdr h;
	struct rlist repositories, build_repositories, runtime_repositories, keyring, packages;
	struct m_baseimage baseimage;
};

struct m_entrypoint {
	struct rhdr h;
	struct rstr type, command, shell_fragment;
	struct rmap services;
};

struct m_pathmut {
	struct rhdr h;
	struct rstr path, type, source;
	struct rnum uid, gid, permissions;
	struct rbool recursive;
};

struct m_layering {
	struct rhdr h;
	struct rstr strategy;
	struct rnum budget;
};

struct m_cert {
	struct rhdr h;
	struct rstr name, content;
};

struct m_certs {
	struct rhdr h;
	struct rarr additional; /* struct m_cert */
	struct rlist providers;
};

struct m_imgconf {
	struct rhdr h;
	struct m_contents contents;
	struct m_entrypoint entrypoint;
	struct rstr cmd, stop_signal, work_dir, vcs_url, include;
	struct m_accounts accounts;
	struct rlist archs, volumes;
	struct rmap environment, annotations;
	struct rarr paths; /* struct m_pathmut */
	struct m_layering layering;
	struct m_certs certificates;
};

struct m_copyright {
	struct rhdr h;
	struct rlist paths;
	struct rstr attestation, license, license_path, detection_override;
};

struct m_deps {
	struct rhdr h;
	struct rlist runtime, provides, replaces;
	struct rstr provider_priority, replaces_priority;
};

struct m_pkgopts {
	struct rhdr h;
	struct rbool no_provides, no_depends, no_commands, no_versioned_shlib_deps;
};

struct m_trigger {
	struct rhdr h;
	struct rstr script;
	struct rlist paths;
};

struct m_scriptlets {
	struct rhdr h;
	struct m_trigger trigger;
	struct rstr pre_install, post_install, pre_deinstall, post_deinstall, pre_upgrade,
	    post_upgrade;
};

struct m_checks {
	struct rhdr h;
	struct rlist disabled;
};

struct m_cpe {
	struct rhdr h;
	struct rstr part, vendor, product, edition, language, sw_edition, target_sw, target_hw,
	    other;
};

struct m_setcap {
	struct rhdr h;
	struct rstr path, reason;
	struct rmap add;
};

struct m_resources {
	struct rhdr h;
	struct rstr cpu, cpumodel, memory, disk;
};

struct m_test {
	struct rhdr h;
	struct m_imgconf environment;
	struct rarr pipeline; /* struct m_pipeline */
};

struct m_package {
	struct rhdr h;
	struct rstr name, version, description, url, commit;
	struct rnum epoch;
	struct rmap annotations;
	struct rlist target_architecture;
	struct rarr copyright; /* struct m_copyright */
	struct m_deps dependencies;
	struct m_pkgopts *options;
	struct m_scriptlets *scriptlets;
	struct m_checks checks;
	struct m_cpe cpe;
	struct rarr setcap;  /* struct m_setcap */
	struct rnum timeout; /* nanoseconds in i */
	struct m_resources *resources, *test_resources;
};

struct m_subpackage {
	struct rhdr h;
	struct rstr if_, range, name, description, url, commit;
	struct rarr pipeline; /* struct m_pipeline */
	struct m_deps dependencies;
	struct m_pkgopts *options;
	struct m_scriptlets *scriptlets;
	struct rmap annotations;
	struct m_checks checks;
	struct m_test *test;
	struct rarr setcap; /* struct m_setcap (accepted, ignored as melange does) */
	/* set by range expansion */
	const char *range_key, *range_value;
};

struct m_rangedata {
	struct rhdr h;
	struct rstr name;
	struct rmap items;
};

struct m_vartransform {
	struct rhdr h;
	struct rstr from, match, replace, to;
};

struct m_pkglistopt {
	struct rhdr h;
	struct rlist add, remove;
};

struct m_contentsopt {
	struct rhdr h;
	struct m_pkglistopt packages;
};

struct m_envopt {
	struct rhdr h;
	struct m_contentsopt contents;
};

struct m_buildopt {
	struct rhdr h; /* h.key = option name */
	struct rmap vars;
	struct m_envopt environment;
};

struct m_caps {
	struct rhdr h;
	struct rlist add, drop;
};

/* update: validated for unknown keys and types, not used by the build */
struct m_relmon {
	struct rhdr h;
	struct rnum identifier;
	struct rstr strip_prefix, strip_suffix, version_filter_contains, version_filter_prefix;
};

struct m_ghmon {
	struct rhdr h;
	struct rstr identifier, strip_prefix, strip_suffix, tag_filter, tag_filter_prefix,
	    tag_filter_contains;
	struct rbool use_tag;
};

struct m_gitmon {
	struct rhdr h;
	struct rstr strip_prefix, strip_suffix, tag_filter_prefix, tag_filter_contains;
};

struct m_ocimon {
	struct rhdr h;
	struct rstr identifier, strip_prefix, strip_suffix, tag_filter_prefix, tag_filter_contains;
};

struct m_vdsource {
	struct rhdr h;
	struct rstr name, stream, commit_source;
	struct rlist ignore;
	struct rbool use_release;
};

struct m_vdmon {
	struct rhdr h;
	struct rstr version_format;
	struct rarr sources; /* struct m_vdsource */
};

struct m_vtransform {
	struct rhdr h;
	struct rstr match, replace;
};

struct m_schedule {
	struct rhdr h;
	struct rstr reason, period;
};

struct m_update {
	struct rhdr h;
	struct rbool enabled, manual, require_sequential, shared, enable_prerelease_tags;
	struct rstr version_separator, exclude_reason;
	struct rlist ignore_regex_patterns;
	struct m_relmon *release_monitor;
	struct m_ghmon *github;
	struct m_gitmon *git;
	struct m_ocimon *oci;
	struct m_vdmon *version_data;
	struct rarr version_transform; /* struct m_vtransform */
	struct m_schedule *schedule;
};

struct m_config {
	struct rhdr h;
	struct m_package package;
	struct m_imgconf environment;
	struct m_caps capabilities;
	struct rarr pipeline;    /* struct m_pipeline */
	struct rarr subpackages; /* struct m_subpackage */
	struct rarr data;        /* struct m_rangedata */
	struct m_update update;
	struct rmap vars;
	struct rarr var_transforms; /* struct m_vartransform */
	struct rarr options;        /* struct m_buildopt */
	struct m_test *test;
};

/* A pipeline definition file (`uses: NAME` → DIR/NAME.yaml).  melange
 * decodes these leniently (unknown keys such as `description` are
 * ignored), on top of the using step. */
struct m_pipedef {
	struct rhdr h;
	struct rstr name, description;
	struct m_needs *needs;
	struct rarr inputs;   /* struct m_input */
	struct rarr pipeline; /* struct m_pipeline */
	struct rstr runs, if_, workdir, label;
	struct rmap environment;
};

/* Decoding context. */
struct decode_ctx {
	struct bd_arena *a;
	struct bd_ydoc *doc;
	struct bd_diags *d;
	bool lenient;        /* ignore unknown keys (pipeline definitions) */
	size_t errors;       /* problems that make the model unreliable */
	size_t unknown_keys; /* unknown keys (the rest still decoded) */
	char path[512];      /* "package.dependencies" for messages */
};

/* Decode a whole recipe / a pipeline definition.  Return the number of
 * errors (0 = fine). */
size_t bd_decode_config(struct decode_ctx *c, const struct bd_ynode *root, struct m_config *cfg);
size_t bd_decode_pipedef(struct decode_ctx *c, const struct bd_ynode *root, struct m_pipedef *def);

/* Report a problem at node @n (the file's start if NULL). */
void bd_model_diag(struct bd_diags *d, struct bd_ydoc *doc, enum bd_diag_severity sev,
                   const struct bd_ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
