/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/version: apk-tools' own version.data vectors, plus
 * validation and operator cases from apk-format.md section 9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apk/version.h"
#include "tests/unit/shared.h"

static int
op_from_text(const char *s)
{
	if (strcmp(s, "<") == 0)
		return BD_APK_VER_LESS;
	if (strcmp(s, ">") == 0)
		return BD_APK_VER_GREATER;
	if (strcmp(s, "=") == 0)
		return BD_APK_VER_EQUAL;
	return -1;
}

/* All 733 cases of apk-tools 2.14.10 test/version.data ("a op b"). */
static void
version_data_vectors(void **state)
{
	char path[4096], line[512];
	FILE *f;
	int cases = 0, bad = 0;

	(void)state;
	if (!bd_test_shared_path(path, sizeof(path), "vectors/apk-tools/version.data"))
		skip();
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char a[200], op[8], b[200];
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (sscanf(line, "%199s %7s %199s", a, op, b) != 3)
			continue;
		int want = op_from_text(op);
		assert_true(want > 0);
		int got = bd_apk_version_compare(a, b);
		/* the relation must also hold the other way round */
		int rev = bd_apk_version_compare(b, a);
		int want_rev = want == BD_APK_VER_LESS      ? BD_APK_VER_GREATER
		               : want == BD_APK_VER_GREATER ? BD_APK_VER_LESS
		                                            : BD_APK_VER_EQUAL;
		cases++;
		if (got != want || rev != want_rev) {
			bad++;
			printf("# mismatch: %s %s %s (got %s, reverse %s)\n", a, op, b,
			       bd_apk_version_op_str(got), bd_apk_version_op_str(rev));
		}
	}
	fclose(f);
	printf("# %d version.data cases, %d mismatches\n", cases, bad);
	assert_int_equal(cases, 733);
	assert_int_equal(bad, 0);
}

static void
version_validation(void **state)
{
	static const char *const valid[] = { "1.0",
		                             "1.0-r0",
		                             "1.0_rc1",
		                             "1.0a",
		                             "1.0a1",
		                             "1.0_p1_rc2-r3",
		                             "1.0_git20240101",
		                             "v1.0" /* quirk */,
		                             "1.0.a" /* quirk */,
		                             "0",
		                             "2.34" };
	static const char *const invalid[] = { "1.0_foo", "1.0-r1a", "1.0-1", "1_0", "1.0+git",
		                               "1.0~rc1", "1.0aa",   "1.0-",  "1.0_" };

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		if (!bd_apk_version_valid(valid[i]))
			fail_msg("%s should be valid", valid[i]);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (bd_apk_version_valid(invalid[i]))
			fail_msg("%s should be invalid", invalid[i]);
	}
}

static void
version_documented_orderings(void **state)
{
	static const struct {
		const char *a, *b;
		int r;
	} cases[] = {
		{ "2", "10", BD_APK_VER_LESS },
		{ "1.10", "1.9", BD_APK_VER_GREATER },
		{ "1.05", "1.5", BD_APK_VER_LESS },
		{ "1.005", "1.05", BD_APK_VER_LESS },
		{ "1.010", "1.9", BD_APK_VER_LESS },
		{ "1.0", "1.0.0", BD_APK_VER_LESS },
		{ "1.0", "1.0-r0", BD_APK_VER_LESS },
		{ "1.0-r0", "1.0.0-r0", BD_APK_VER_LESS },
		{ "1.0a", "1.0b", BD_APK_VER_LESS },
		{ "1.0b", "1.0.1", BD_APK_VER_LESS },
		{ "1.2.3-r10", "1.2.3-r9", BD_APK_VER_GREATER },
		{ "1.0_rc1", "1.0", BD_APK_VER_LESS },
		{ "1.0_p1", "1.0", BD_APK_VER_GREATER },
		{ "1.0_p1", "1.0.1", BD_APK_VER_LESS },
		{ "1.0_rc10", "1.0_rc9", BD_APK_VER_GREATER },
		{ "1.0_rc", "1.0_rc0", BD_APK_VER_LESS },
		{ "1.0_rc1", "1.0_rc1_p1", BD_APK_VER_LESS },
		{ "0.9", "1.0_alpha", BD_APK_VER_LESS },
		{ "1.0-r0", "1.0_p0", BD_APK_VER_LESS },
		{ "1.0_foo", "1.0", BD_APK_VER_LESS },
		{ "1.0", "1.0", BD_APK_VER_EQUAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = bd_apk_version_compare(cases[i].a, cases[i].b);
		if (r != cases[i].r)
			fail_msg("%s vs %s: got %s want %s", cases[i].a, cases[i].b,
			         bd_apk_version_op_str(r), bd_apk_version_op_str(cases[i].r));
	}
}

static void
version_operators(void **state)
{
	(void)state;
	assert_int_equal(bd_apk_version_op_parse(">=", 2), BD_APK_VER_GREATER | BD_APK_VER_EQUAL);
	assert_int_equal(bd_apk_version_op_parse("~", 1), BD_APK_VER_FUZZY | BD_APK_VER_EQUAL);
	assert_int_equal(bd_apk_version_op_parse("x", 1), 0);
	assert_string_equal(bd_apk_version_op_str(bd_apk_version_op_parse("<=", 2)), "<=");
	assert_true(bd_apk_version_match("1.2.3-r1", BD_APK_VER_GREATER | BD_APK_VER_EQUAL, "1.2"));
	assert_false(bd_apk_version_match("1.1", BD_APK_VER_GREATER | BD_APK_VER_EQUAL, "1.2"));
	assert_true(bd_apk_version_match("1.2.3", bd_apk_version_op_parse("~", 1), "1.2"));
	assert_false(bd_apk_version_match("1.3.0", bd_apk_version_op_parse("~", 1), "1.2"));
	assert_true(bd_apk_version_match("1.1", BD_APK_VER_LESS, "1.2"));
	assert_true(bd_apk_version_match("1.2-r0", BD_APK_VER_EQUAL, "1.2-r0"));
	assert_false(bd_apk_version_match("1.2", BD_APK_VER_EQUAL, "1.2-r0"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_data_vectors),
		cmocka_unit_test(version_validation),
		cmocka_unit_test(version_documented_orderings),
		cmocka_unit_test(version_operators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
