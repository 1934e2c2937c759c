/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/sbom: valid, deterministic SPDX 2.3 JSON. */
#include <setjmp.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sbom_is_deterministic_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
