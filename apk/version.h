/* SPDX-License-Identifier: MIT */
/* version: apk version strings, validated and compared as apk-tools 2.x does.
 *
 * Grammar (Gentoo-like): {digit}{.digit}...{letter}{_suf{#}}...{-r#}, with
 * pre-release suffixes alpha < beta < pre < rc sorting before the bare
 * version and post-release cvs < svn < git < hg < p after it.  Invalid
 * strings still compare (apk-tools compares up to the first bad token), so
 * the comparison is total.  Verified against apk-tools' own version.data
 * (tests/unit/test_apk_version.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Result bits, combinable into a dependency operator mask. */
enum {
	BD_APK_VER_LESS = 1,
	BD_APK_VER_EQUAL = 2,
	BD_APK_VER_GREATER = 4,
	BD_APK_VER_FUZZY = 8, /* "~": prefix match */
};

/* Is @v (of length @n) a valid version?  (apk version -c) */
bool bd_apk_version_valid_n(const char *v, size_t n);
bool bd_apk_version_valid(const char *v);

/* Compare two versions: BD_APK_VER_LESS, _EQUAL or _GREATER. */
int bd_apk_version_compare(const char *a, const char *b);
int bd_apk_version_compare_n(const char *a, size_t an, const char *b, size_t bn);

/* Does version @v satisfy "@op @want"?  @op is a mask of the bits above
 * (e.g. LESS|EQUAL for "<=", EQUAL|FUZZY for "~"). */
bool bd_apk_version_match(const char *v, int op, const char *want);

/* Parse an operator ("<", "<=", "=", ">=", ">", "~", "<~", ">~", "=~");
 * returns the mask or 0 if @s is not an operator.  @len is its length. */
int bd_apk_version_op_parse(const char *s, size_t len);
/* The canonical text of an operator mask ("" for none). */
const char *bd_apk_version_op_str(int op);
