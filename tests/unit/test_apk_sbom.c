/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/sbom: valid, deterministic SPDX 2.3 JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apk/sbom.h"
#include "proto/json.h"

static const struct bd_sbom_source sources[] = {
	{ .kind = "fetch",
	  .uri = "https://example.org/x-1.0.tar.gz",
	  .sha256 = "8fe5c46e71dcf5352e452ca7609fb246161d8c5c51a020f7c23fdad77580bc7c",
	  .name = "x",
	  .version = "1.0" },
	{ .kind = "git",
	  .uri = "https://example.org/y.git",
	  .commit = "0123456789abcdef0123456789abcdef01234567",
	  .name = "y",
	  .version = "v2" },
};

static void
sbom_is_deterministic_json(void **state)
{
	struct bd_sbom_envpkg env = { .name = "base-layer", .version = "busybox" };
	struct bd_sbom_input in = {
		.name = "x",
		.version = "1.0-r0",
		.arch = "x86_64",
		.license = "MIT",
		.recipe_name = "x.yaml",
		.recipe_sha256 = sources[0].sha256,
		.source_date_epoch = 1700000000,
		.sources = sources,
		.nsources = 2,
		.env = &env,
		.nenv = 1,
	};
	struct bd_buf a = { 0 }, b = { 0 };
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_sbom_spdx(&in, &a, &err), 0);
	assert_int_equal(bd_sbom_spdx(&in, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	struct bd_json *j = bd_json_parse(a.data, a.len, &err);
	assert_non_null(j);
	assert_string_equal(bd_json_str(bd_json_get(j, "spdxVersion")), "SPDX-2.3");
	assert_string_equal(bd_json_str(bd_json_get(bd_json_get(j, "creationInfo"), "created")),
	                    "2023-11-14T22:13:20Z");
	assert_int_equal(bd_json_array_size(bd_json_get(j, "packages")), 5);
	assert_int_equal(bd_json_array_size(bd_json_get(j, "relationships")), 5);
	assert_non_null(strstr(a.data, "git+https://example.org/y.git@0123456789abcdef"));
	assert_non_null(strstr(a.data, "pkg:generic/x@1.0?checksum=sha256:8fe5"));
	bd_json_free(j);
	/* another input, another namespace */
	in.version = "1.0-r1";
	bd_buf_reset(&b);
	assert_int_equal(bd_sbom_spdx(&in, &b, &err), 0);
	assert_string_not_equal(a.data, b.data);
	bd_buf_free(&a);
	bd_buf_free(&b);
	char *p = bd_sbom_path("x", "1.0-r0");
	assert_string_equal(p, "var/lib/db/sbom/x-1.0-r0.spdx.json");
	free(p);
}

/* SPDX 2.3 clause 3.2: "SPDXRef-" then [a-zA-Z0-9.-]+ */
static bool
is_spdx_id(const char *s)
{
	static const char idchars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

	if (strncmp(s, "SPDXRef-", 8) != 0 || !s[8])
		return false;
	return strspn(s + 8, idchars) == strlen(s + 8);
}

/* a field of the @i-th package */
static const char *
pkg_field(const struct bd_json *pk, size_t i, const char *key)
{
	return bd_json_str(bd_json_get(bd_json_array_get(pk, i), key));
}

/* "<prefix><8 hex digits>" */
static void
assert_hashed_id(const char *id, const char *prefix)
{
	assert_non_null(id);
	assert_int_equal(strncmp(id, prefix, strlen(prefix)), 0);
	assert_int_equal(strlen(id), strlen(prefix) + 8);
	assert_int_equal(strspn(id + strlen(prefix), "0123456789abcdef"), 8);
}

/* Names with characters SPDX identifiers cannot hold ('+', '_', '@') get
 * valid identifiers that stay unique: "py3_foo" and "py3-foo", "a@b" and
 * "a-b" never share one, a name that needs no change keeps its readable
 * identifier, and even a repeated name gets its own. */
static void
sbom_ids_are_valid_and_unique(void **state)
{
	static const struct bd_sbom_envpkg env[] = {
		{ .name = "libstdc++", .version = "13.2.0-r0" },
		{ .name = "py3_foo", .version = "1" },
		{ .name = "py3-foo", .version = "1" },
		{ .name = "a@b", .version = "1" },
		{ .name = "a-b", .version = "1" },
		{ .name = "dup", .version = "1" },
		{ .name = "dup", .version = "2" },
	};
	struct bd_sbom_source src[] = { sources[0], sources[1] };
	struct bd_sbom_input in = {
		.name = "libstdc++",
		.version = "13.2.0-r0",
		.arch = "x86_64",
		.recipe_sha256 = sources[0].sha256,
		.source_date_epoch = 0,
		.sources = src,
		.nsources = 2,
		.env = env,
		.nenv = BD_ARRAY_SIZE(env),
	};
	struct bd_buf a = { 0 }, b = { 0 };
	struct bd_err err = { 0 };
	struct bd_strset seen = { 0 };

	(void)state;
	src[1].name = "py3_foo";
	assert_int_equal(bd_sbom_spdx(&in, &a, &err), 0);
	assert_int_equal(bd_sbom_spdx(&in, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	struct bd_json *j = bd_json_parse(a.data, a.len, &err);
	assert_non_null(j);
	const struct bd_json *pk = bd_json_get(j, "packages");
	assert_int_equal(bd_json_array_size(pk), 2 + 2 + BD_ARRAY_SIZE(env));
	assert_true(bd_strset_add(&seen, "SPDXRef-DOCUMENT"));
	for (size_t i = 0; i < bd_json_array_size(pk); i++) {
		const char *id = pkg_field(pk, i, "SPDXID");
		assert_true(is_spdx_id(id));
		assert_true(bd_strset_add(&seen, id)); /* unique */
	}
	/* every relationship joins two elements of the document */
	const struct bd_json *rel = bd_json_get(j, "relationships");
	assert_int_equal(bd_json_array_size(rel), 2 + 2 + BD_ARRAY_SIZE(env));
	for (size_t i = 0; i < bd_json_array_size(rel); i++) {
		const struct bd_json *r = bd_json_array_get(rel, i);
		assert_true(bd_strset_has(&seen, bd_json_str(bd_json_get(r, "spdxElementId"))));
		assert_true(
		    bd_strset_has(&seen, bd_json_str(bd_json_get(r, "relatedSpdxElement"))));
	}
	/* the package and documentDescribes agree on the rewritten identifier */
	const char *pkg = bd_json_str(bd_json_array_get(bd_json_get(j, "documentDescribes"), 0));
	assert_hashed_id(pkg, "SPDXRef-Package-libstdc---");
	assert_string_equal(pkg_field(pk, 0, "SPDXID"), pkg);
	assert_string_equal(pkg_field(pk, 0, "name"), "libstdc++");
	assert_hashed_id(pkg_field(pk, 3, "SPDXID"), "SPDXRef-Source-2-py3-foo-");
	/* environment: readable where possible, hashed where rewritten */
	assert_hashed_id(pkg_field(pk, 4, "SPDXID"), "SPDXRef-Environment-libstdc---");
	assert_hashed_id(pkg_field(pk, 5, "SPDXID"), "SPDXRef-Environment-py3-foo-");
	assert_string_equal(pkg_field(pk, 6, "SPDXID"), "SPDXRef-Environment-py3-foo");
	assert_hashed_id(pkg_field(pk, 7, "SPDXID"), "SPDXRef-Environment-a-b-");
	assert_string_equal(pkg_field(pk, 8, "SPDXID"), "SPDXRef-Environment-a-b");
	assert_string_equal(pkg_field(pk, 9, "SPDXID"), "SPDXRef-Environment-dup");
	assert_string_equal(pkg_field(pk, 10, "SPDXID"), "SPDXRef-Environment-dup-2");
	/* the namespace stays a URI: '+' is percent-encoded */
	assert_non_null(strstr(bd_json_str(bd_json_get(j, "documentNamespace")),
	                       "/builderd/libstdc%2B%2B-13.2.0-r0-"));
	bd_json_free(j);
	bd_strset_free(&seen);
	bd_buf_free(&a);
	bd_buf_free(&b);
}

/* What SPDX cannot carry is left out rather than written wrong: digests
 * that are not lower-case hex of the right length, a homepage or a
 * download location that is not a URI, a date past year 9999. */
static void
sbom_leaves_out_what_spdx_cannot_hold(void **state)
{
	struct bd_sbom_source src[] = {
		{ .kind = "fetch",
		  .uri = "https://example.org/x-1.0.tar.gz",
		  .sha256 = "8FE5C46E71DCF5352E452CA7609FB246161D8C5C51A020F7C23FDAD77580BC7C",
		  .sha512 = "abc",
		  .name = "x",
		  .version = "1.0" },
		{ .kind = "git",
		  .uri = "git@example.org:y.git",
		  .commit = "0123456789abcdef0123456789abcdef01234567",
		  .name = "y" },
		{ .kind = "git", .uri = "git+https://example.org/z.git", .name = "z" },
	};
	struct bd_sbom_envpkg env = { .name = "base-layer", .checksum = "Q1abc=" };
	struct bd_sbom_input in = {
		.name = "x",
		.version = "1.0-r0",
		.arch = "x86_64",
		.url = "example.org",
		.recipe_sha256 = "not-a-digest",
		.source_date_epoch = 253402300799ULL,
		.sources = src,
		.nsources = BD_ARRAY_SIZE(src),
		.env = &env,
		.nenv = 1,
	};
	struct bd_buf a = { 0 };
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_sbom_spdx(&in, &a, &err), 0);
	assert_null(strstr(a.data, "\"checksums\""));
	assert_null(strstr(a.data, "\"homepage\""));
	assert_null(strstr(a.data, "checksum=sha256"));
	struct bd_json *j = bd_json_parse(a.data, a.len, &err);
	assert_non_null(j);
	assert_string_equal(bd_json_str(bd_json_get(bd_json_get(j, "creationInfo"), "created")),
	                    "9999-12-31T23:59:59Z");
	const struct bd_json *pk = bd_json_get(j, "packages");
	assert_string_equal(pkg_field(pk, 3, "downloadLocation"), "NOASSERTION");
	assert_string_equal(pkg_field(pk, 4, "downloadLocation"), "git+https://example.org/z.git");
	bd_json_free(j);
	/* one second later there is no SPDX date for it */
	in.source_date_epoch++;
	bd_buf_reset(&a);
	assert_int_equal(bd_sbom_spdx(&in, &a, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
	in.source_date_epoch = UINT64_MAX;
	assert_int_equal(bd_sbom_spdx(&in, &a, &err), -ERANGE);
	bd_buf_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sbom_is_deterministic_json),
		cmocka_unit_test(sbom_ids_are_valid_and_unique),
		cmocka_unit_test(sbom_leaves_out_what_spdx_cannot_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
