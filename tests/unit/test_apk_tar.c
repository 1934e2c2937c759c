/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/tar, apk/pkginfo and apk/crypto helpers: headers
 * round-trip (long names through PAX, checksums), hostile headers fail
 * with their offset, .PKGINFO and dependency syntax follow apk. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apk/crypto.h"
#include "apk/pkginfo.h"
#include "apk/tar.h"
#include "apk/version.h"
#include "common/base64.h"
#include "common/util.h"

struct mem_src {
	const char *data;
	size_t len, off;
};

static int
mem_src(void *ctx, void *buf, size_t n, struct bd_err *err)
{
	struct mem_src *m = ctx;

	if (m->off == m->len)
		return 0;
	if (m->len - m->off < n)
		return bd_err_setx(err, EIO, "short");
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	return 1;
}

static void
tar_round_trip_with_long_names(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_err err = { 0 };
	char longname[300], longlink[200];
	struct bd_tar_entry e;
	struct bd_tar_reader r;
	char content[64];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[50] = '/';
	memset(longlink, 'b', sizeof(longlink) - 1);
	longlink[sizeof(longlink) - 1] = '\0';

	struct bd_tar_hdr f = { .name = longname,
		                .type = '0',
		                .mode = 04755,
		                .size = 5,
		                .mtime = 42,
		                .uname = "root",
		                .gname = "root",
		                .sha1_hex = "0123456789abcdef0123456789abcdef01234567" };
	assert_int_equal(bd_tar_write_header(&b, &f, BD_TAR_POSIX, &err), 0);
	bd_buf_append(&b, "hello", 5);
	bd_tar_write_padding(&b, 5);
	struct bd_tar_hdr l = { .name = "short", .type = '2', .mode = 0777, .linkname = longlink };
	assert_int_equal(bd_tar_write_header(&b, &l, BD_TAR_GNU, &err), 0);
	bd_tar_write_end(&b);
	assert_int_equal(b.len % 512, 0);

	struct mem_src m = { b.data, b.len, 0 };
	bd_tar_reader_init(&r, mem_src, &m, "mem");
	assert_int_equal(bd_tar_next(&r, &e, &err), 1);
	assert_string_equal(e.name, longname);
	assert_int_equal(e.type, '0');
	assert_int_equal(e.mode, 04755);
	assert_int_equal(e.size, 5);
	assert_int_equal(e.mtime, 42);
	assert_true(e.has_sha1);
	assert_string_equal(e.sha1_hex, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(bd_tar_read(&r, content, sizeof(content), &err), 5);
	assert_memory_equal(content, "hello", 5);
	assert_int_equal(bd_tar_next(&r, &e, &err), 1);
	assert_string_equal(e.name, "short");
	assert_string_equal(e.linkname, longlink);
	assert_false(e.has_sha1); /* PAX records do not leak to the next entry */
	assert_int_equal(bd_tar_next(&r, &e, &err), 0);
	bd_buf_free(&b);
}

static void
expect_bad(const char *data, size_t len, const char *needle)
{
	struct mem_src m = { data, len, 0 };
	struct bd_tar_reader r;
	struct bd_tar_entry e;
	struct bd_err err = { 0 };
	int rc;

	bd_tar_reader_init(&r, mem_src, &m, "t.tar");
	while ((rc = bd_tar_next(&r, &e, &err)) > 0)
		;
	if (rc >= 0 || !strstr(err.msg, needle))
		fail_msg("rc=%d msg='%s' want '%s'", rc, err.msg, needle);
}

/* Recompute a ustar header's checksum after editing it. */
static void
fix_checksum(char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void
tar_hostile_headers(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_err err = { 0 };
	struct bd_tar_hdr f = { .name = "x", .type = '0', .mode = 0644, .size = 3 };

	(void)state;
	assert_int_equal(bd_tar_write_header(&b, &f, BD_TAR_POSIX, &err), 0);
	bd_buf_append(&b, "abc", 3);
	bd_tar_write_padding(&b, 3);

	/* checksum mismatch */
	char *c = bd_xmalloc(b.len);
	memcpy(c, b.data, b.len);
	c[0] = 'y';
	expect_bad(c, b.len, "offset 0: header checksum mismatch");
	/* bad magic */
	memcpy(c, b.data, b.len);
	memcpy(c + 257, "xxxxx", 5);
	fix_checksum(c);
	expect_bad(c, b.len, "bad magic");
	/* base-256 size (apk cannot read it) */
	memcpy(c, b.data, b.len);
	c[124] = (char)0x80;
	fix_checksum(c);
	expect_bad(c, b.len, "bad size field");
	/* truncated content */
	expect_bad(b.data, 512 + 100, "short");
	/* a non-zero header with an empty name */
	memset(c, 0, b.len);
	c[100] = '1';
	expect_bad(c, 512, "header with an empty name");
	free(c);

	/* PAX record whose length overruns the header */
	struct bd_buf p = { 0 };
	struct bd_tar_hdr x = { .name = "p", .type = 'x', .mode = 0644, .size = 20 };
	assert_int_equal(bd_tar_write_header(&p, &x, BD_TAR_POSIX, &err), 0);
	bd_buf_append(&p, "99 path=aaaaaaaaaaa\n", 20);
	bd_tar_write_padding(&p, 20);
	expect_bad(p.data, p.len, "malformed PAX record");
	/* a checksum record that is not 40 hex digits */
	bd_buf_reset(&p);
	x.size = 32;
	assert_int_equal(bd_tar_write_header(&p, &x, BD_TAR_POSIX, &err), 0);
	bd_buf_append(&p, "32 APK-TOOLS.checksum.SHA1=zzzz\n", 32);
	bd_tar_write_padding(&p, 32);
	expect_bad(p.data, p.len, "not 40 hex digits");
	bd_buf_free(&p);
	bd_buf_free(&b);

	/* names the writer cannot carry */
	char huge[5000];
	memset(huge, 'n', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	struct bd_tar_hdr h = { .name = huge, .type = '0' };
	struct bd_buf o = { 0 };
	assert_int_equal(bd_tar_write_header(&o, &h, BD_TAR_POSIX, &err), -ENAMETOOLONG);
	struct bd_tar_hdr big = { .name = "big", .type = '0', .size = BD_TAR_SIZE_MAX + 1 };
	assert_int_equal(bd_tar_write_header(&o, &big, BD_TAR_POSIX, &err), -EFBIG);
	bd_buf_free(&o);
}

static void
pkginfo_round_trip(void **state)
{
	struct bd_apk_pkginfo a = { 0 }, b = { 0 };
	struct bd_buf t = { 0 }, t2 = { 0 };
	struct bd_err err = { 0 };

	(void)state;
	a.name = bd_xstrdup("foo-bar");
	a.version = bd_xstrdup("1.2.3_rc1-r4");
	a.description = bd_xstrdup("Foo = bar, baz");
	a.url = bd_xstrdup("https://example.org/");
	a.license = bd_xstrdup("MIT AND Apache-2.0");
	a.arch = bd_xstrdup("aarch64");
	a.origin = bd_xstrdup("foo");
	a.builddate = 1700000000;
	a.installed_size = 4096;
	a.has_provider_priority = true;
	a.provider_priority = 100;
	bd_strv_push(&a.depends, "so:libc.musl-aarch64.so.1");
	bd_strv_push(&a.depends, "!conflicting");
	bd_strv_push(&a.depends, "bar>=2.0");
	bd_strv_push(&a.provides, "cmd:foo=1.2.3_rc1-r4");
	bd_strv_push(&a.install_if, "foo-core=1.2.3_rc1-r4");
	bd_strv_push(&a.install_if, "docs");
	bd_strv_push(&a.replaces, "old-foo");
	memset(a.datahash, 'a', 64);
	assert_int_equal(bd_apk_pkginfo_format(&a, "unit", &t, &err), 0);
	assert_non_null(strstr(t.data, "install_if = foo-core=1.2.3_rc1-r4 docs\n"));
	assert_non_null(strstr(t.data, "\ndatahash = aaaa"));
	assert_int_equal(bd_apk_pkginfo_parse(t.data, t.len, &b, &err), 0);
	assert_int_equal(bd_apk_pkginfo_format(&b, "unit", &t2, &err), 0);
	assert_string_equal(t.data, t2.data);
	assert_int_equal(b.depends.n, 3);
	assert_int_equal(b.install_if.n, 2);
	assert_string_equal(b.description, "Foo = bar, baz");
	bd_apk_pkginfo_free(&a);
	bd_apk_pkginfo_free(&b);
	bd_buf_free(&t);
	bd_buf_free(&t2);
}

static void
pkginfo_parse_rules(void **state)
{
	const char *text = "# comment\npkgname = a\npkgname = b\nnonsense line\nunknown = x\n"
	                   "pkgver = 1.0-r0\ndepend = x\ndepend = y>1\nsize = 12\n"
	                   "triggers = /a/* /b/*\ntriggers = /c/*\n";
	struct bd_apk_pkginfo p = { 0 };
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_apk_pkginfo_parse(text, strlen(text), &p, &err), 0);
	assert_string_equal(p.name, "b"); /* the last scalar wins */
	assert_int_equal(p.depends.n, 2); /* lists accumulate */
	assert_int_equal(p.installed_size, 12);
	/* triggers: the last line replaces, as apk's read_info_line() does */
	assert_int_equal(p.triggers.n, 1);
	assert_string_equal(p.triggers.v[0], "/c/*");
	bd_apk_pkginfo_free(&p);

	/* a malformed dependency is fatal, as in apk */
	const char *bad = "pkgname = a\npkgver = 1\ndepend = x>=\n";
	memset(&p, 0, sizeof(p));
	assert_true(bd_apk_pkginfo_parse(bad, strlen(bad), &p, &err) < 0);
	assert_non_null(strstr(err.msg, "depend"));
	bd_apk_pkginfo_free(&p);
	const char *noname = "pkgver = 1\n";
	memset(&p, 0, sizeof(p));
	assert_true(bd_apk_pkginfo_parse(noname, strlen(noname), &p, &err) < 0);
	assert_non_null(strstr(err.msg, "no pkgname"));
	bd_apk_pkginfo_free(&p);
}

static void
dependency_syntax(void **state)
{
	struct bd_apk_dep d;
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_apk_dep_parse("so:libc.musl-x86_64.so.1", 24, &d, &err), 0);
	assert_string_equal(d.name, "so:libc.musl-x86_64.so.1");
	assert_int_equal(d.op, 0);
	assert_int_equal(bd_apk_dep_parse("!foo@edge>=1.2", 14, &d, &err), 0);
	assert_true(d.conflict);
	assert_string_equal(d.name, "foo");
	assert_string_equal(d.tag, "edge");
	assert_int_equal(d.op, BD_APK_VER_GREATER | BD_APK_VER_EQUAL);
	assert_string_equal(d.version, "1.2");
	assert_int_equal(bd_apk_dep_parse("/bin/sh", 7, &d, &err), 0);
	assert_int_equal(bd_apk_dep_parse("x~1.2", 5, &d, &err), 0);
	assert_int_equal(d.op, BD_APK_VER_FUZZY | BD_APK_VER_EQUAL);
	assert_true(bd_apk_dep_parse("x=>1", 4, &d, &err) == 0); /* apk accepts any mix */
	assert_true(bd_apk_dep_parse(">=1", 3, &d, &err) < 0);
	assert_true(bd_apk_dep_parse("x=1.0_foo", 9, &d, &err) < 0);
	assert_non_null(strstr(err.msg, "invalid version '1.0_foo'"));
	assert_true(bd_apk_dep_parse("x=", 2, &d, &err) < 0);
	assert_true(bd_apk_name_valid("py3-foo.bar_baz+1"));
	assert_false(bd_apk_name_valid("-x"));
	assert_false(bd_apk_name_valid("a/b"));
	assert_false(bd_apk_name_valid(""));
}

static void
base64_and_hashes(void **state)
{
	unsigned char d[BD_HASH_MAX], back[32];
	char b64[64];

	(void)state;
	assert_int_equal(bd_hash_buf(BD_HASH_SHA1, "abc", 3, d), 20);
	bd_hex(d, 20, b64);
	assert_string_equal(b64, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_int_equal(bd_hash_buf(BD_HASH_SHA256, "", 0, d), 32);
	char *enc = bd_base64_encode("hello", 5), *dec = NULL;
	assert_string_equal(enc, "aGVsbG8=");
	assert_int_equal(bd_base64_decode(enc, 8, &dec), 5);
	assert_memory_equal(dec, "hello", 5);
	free(enc);
	free(dec);
	assert_int_equal(bd_base64_decode("aGVsbG8", 7, &dec), -1);
	assert_int_equal(bd_base64_decode("aGV=bG8=", 8, &dec), -1);
	assert_null(dec);
	(void)back;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tar_round_trip_with_long_names),
		cmocka_unit_test(tar_hostile_headers),
		cmocka_unit_test(pkginfo_round_trip),
		cmocka_unit_test(pkginfo_parse_rules),
		cmocka_unit_test(dependency_syntax),
		cmocka_unit_test(base64_and_hashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
