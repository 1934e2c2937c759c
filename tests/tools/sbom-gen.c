/* SPDX-License-Identifier: MIT */
/* sbom-gen: write the SPDX documents apk/sbom.c makes for a build, without
 * the daemon, so that the e2e tests can validate them (tests/e2e/sbom.bats).
 *
 *   sbom-gen BUILD.json OUTDIR
 *
 * BUILD.json describes one build the way the job runner hands it to
 * bd_sbom_spdx() (builderd/runner.c, write_sboms): the packages it makes
 * (the first is the main package, the others its subpackages), the sources,
 * the build environment and the recipe:
 *
 *   {"arch": "x86_64", "source_date_epoch": 1700000000,
 *    "recipe": {"name": "x.yaml", "sha256": "<hex>"},
 *    "packages": [{"name": "x", "version": "1.0-r0", "license": "MIT",
 *                  "description": "...", "url": "https://..."}, ...],
 *    "sources": [{"kind": "fetch", "uri": "...", "sha256": "...",
 *                 "sha512": "...", "name": "...", "version": "..."},
 *                {"kind": "git", "uri": "...", "commit": "...", ...}],
 *    "env": [{"name": "busybox", "version": "1.36.1-r0",
 *             "checksum": "<hex or Q1...>"}]}
 *
 * Writes OUTDIR/<name>-<version>.spdx.json for each package and prints the
 * paths.  Exit 0, 1 on failure, 2 on bad usage.  A test tool: never
 * installed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/sbom.h"
#include "common/cleanup.h"
#include "proto/json.h"

/* a string member, or NULL when absent or not a string */
static const char *
str(const struct bd_json *obj, const char *key)
{
	return bd_json_str(bd_json_get(obj, key));
}

static int
gen(const char *spec_path, const char *outdir, struct bd_err *err)
{
	struct bd_buf text = { 0 };
	_cleanup_close_ int fd = open(spec_path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return bd_err_set(err, errno, "open %s", spec_path);
	rc = bd_read_all(fd, 1 << 20, &text, spec_path, err);
	if (rc < 0) {
		bd_buf_free(&text);
		return rc;
	}
	rc = 0;
	struct bd_json *spec = bd_json_parse(text.data, text.len, err);
	bd_buf_free(&text);
	if (!spec)
		return bd_err_prefix(err, "%s: ", spec_path);

	const struct bd_json *pkgs = bd_json_get(spec, "packages");
	const struct bd_json *srcs = bd_json_get(spec, "sources");
	const struct bd_json *envs = bd_json_get(spec, "env");
	const struct bd_json *recipe = bd_json_get(spec, "recipe");
	size_t npkgs = bd_json_array_size(pkgs), ns = bd_json_array_size(srcs);
	size_t nenv = bd_json_array_size(envs);
	struct bd_sbom_source *src = bd_xcalloc(ns ? ns : 1, sizeof(*src));
	struct bd_sbom_envpkg *env = bd_xcalloc(nenv ? nenv : 1, sizeof(*env));

	for (size_t i = 0; i < ns; i++) {
		const struct bd_json *s = bd_json_array_get(srcs, i);
		src[i] = (struct bd_sbom_source){
			.kind = str(s, "kind") ? str(s, "kind") : "fetch",
			.uri = str(s, "uri"),
			.sha256 = str(s, "sha256"),
			.sha512 = str(s, "sha512"),
			.commit = str(s, "commit"),
			.name = str(s, "name"),
			.version = str(s, "version"),
		};
		if (!src[i].uri)
			rc = bd_err_setx(err, EINVAL, "%s: sources[%zu] has no uri", spec_path, i);
	}
	for (size_t i = 0; i < nenv; i++) {
		const struct bd_json *e = bd_json_array_get(envs, i);
		env[i] = (struct bd_sbom_envpkg){
			.name = str(e, "name"),
			.version = str(e, "version"),
			.checksum = str(e, "checksum"),
		};
	}
	if (rc == 0 && npkgs == 0)
		rc = bd_err_setx(err, EINVAL, "%s: no packages", spec_path);
	for (size_t i = 0; i < npkgs && rc == 0; i++) {
		const struct bd_json *p = bd_json_array_get(pkgs, i);
		struct bd_sbom_input in = {
			.namespace_ = "builderd",
			.name = str(p, "name"),
			.version = str(p, "version"),
			.arch = str(spec, "arch"),
			.license = str(p, "license"),
			.description = str(p, "description"),
			.url = str(p, "url"),
			.origin = str(bd_json_array_get(pkgs, 0), "name"),
			.recipe_name = str(recipe, "name"),
			.recipe_sha256 = str(recipe, "sha256"),
			.source_date_epoch =
			    (uint64_t)bd_json_int_value(bd_json_get(spec, "source_date_epoch")),
			.sources = src,
			.nsources = ns,
			.env = env,
			.nenv = nenv,
		};
		struct bd_buf doc = { 0 };
		rc = bd_sbom_spdx(&in, &doc, err);
		if (rc == 0) {
			_cleanup_free_ char *rel = bd_sbom_path(in.name, in.version);
			_cleanup_free_ char *path =
			    bd_xasprintf("%s/%s", outdir, strrchr(rel, '/') + 1);
			rc = bd_write_file_atomic(path, doc.data, doc.len, 0644, err);
			if (rc == 0)
				printf("%s\n", path);
		}
		bd_buf_free(&doc);
	}
	free(src);
	free(env);
	bd_json_free(spec);
	return rc;
}

int
main(int argc, char **argv)
{
	struct bd_err err = { 0 };

	if (argc != 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: sbom-gen BUILD.json OUTDIR\n");
		return 2;
	}
	if (gen(argv[1], argv[2], &err) < 0) {
		fprintf(stderr, "sbom-gen: %s\n", err.msg);
		return 1;
	}
	return 0;
}
