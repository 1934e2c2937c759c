/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/index and the index side of apk/reader: the real
 * Alpine, melange and apko indexes parse, verify and round-trip; our own
 * indexes verify; malformed ones fail with the line. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/crypto.h"
#include "apk/index.h"
#include "apk/reader.h"
#include "common/util.h"
#include "tests/unit/shared.h"

/* Read @rel (an index) verifying with @keys; keeps the APKINDEX text. */
static int
read_vector(const char *rel, const char *keys, struct bd_apk_file *f, struct bd_err *err)
{
	char path[4096], kpath[4096];
	int kfd, r;

	if (!bd_test_shared_path(path, sizeof(path), rel) ||
	    !bd_test_shared_path(kpath, sizeof(kpath), keys))
		return 1;
	kfd = open(kpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(kfd >= 0);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd, .keep_index_text = true };
	r = bd_apk_read_path(path, &ro, f, err);
	close(kfd);
	return r;
}

/* Split APKINDEX text into entry blocks (each ending with "\n\n"). */
static size_t
next_block(const char *text, size_t len, size_t off, size_t *blen)
{
	const char *p = text + off;
	const char *e = memmem(p, len - off, "\n\n", 2);

	*blen = e ? (size_t)(e - p) + 2 : len - off;
	return off;
}

static void
round_trip(const struct bd_apk_file *f, bool canonical_too, int *as_read_bad, int *canon_bad)
{
	size_t off = 0;

	for (size_t i = 0; i < f->index.n; i++) {
		size_t blen;
		struct bd_buf b = { 0 };

		next_block(f->index_text, f->index_text_len, off, &blen);
		bd_apk_index_format_entry_as_read(&f->index.v[i], &b);
		if (b.len != blen || memcmp(b.data, f->index_text + off, blen) != 0) {
			if ((*as_read_bad)++ < 3)
				printf("# as-read mismatch:\n# %.*s\n# ours:\n# %s\n", (int)blen,
				       f->index_text + off, b.data);
		}
		if (canonical_too) {
			bd_buf_reset(&b);
			bd_apk_index_format_entry(&f->index.v[i], &b);
			if (b.len != blen || memcmp(b.data, f->index_text + off, blen) != 0) {
				if ((*canon_bad)++ < 3)
					printf("# canonical mismatch:\n# %.*s\n# ours:\n# %s\n",
					       (int)blen, f->index_text + off, b.data);
			}
		}
		bd_buf_free(&b);
		off += blen;
	}
	assert_int_equal(off, f->index_text_len);
}

static void
alpine_index_parses_verifies_round_trips(void **state)
{
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	int as_read = 0, canon = 0, r;

	(void)state;
	r = read_vector("vectors/alpine-3.16/APKINDEX.tar.gz", "vectors/keys-alpine", &f, &err);
	if (r == 1)
		skip();
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f.status, BD_APK_OK);
	assert_int_equal(f.kind, BD_APK_KIND_INDEX);
	assert_int_equal(f.index.n, 4929);
	assert_string_equal(f.index.description, "v3.16.3-13-g4d933a1fa3");
	assert_string_equal(f.sigs[0].keyname,
	                    "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub");
	assert_int_equal(f.sigs[0].alg, BD_HASH_SHA1);
	/* apk wrote this index: our canonical writer must reproduce every
	 * entry byte for byte */
	round_trip(&f, true, &as_read, &canon);
	printf("# %zu entries: %d as-read and %d canonical mismatches\n", f.index.n, as_read,
	       canon);
	assert_int_equal(as_read, 0);
	assert_int_equal(canon, 0);
	bd_apk_file_free(&f);
}

static void
melange_and_apko_indexes_round_trip(void **state)
{
	static const char *const vec[][3] = {
		{ "vectors/melange-repo/x86_64/APKINDEX.tar.gz", "vectors/melange-repo/keys", "4" },
		{ "vectors/apko-rsa256-index/APKINDEX.tar.gz", "vectors/apko-rsa256-index", "1" },
		{ "vectors/apko-multisig-index/APKINDEX.tar.gz", "vectors/apko-multisig-index/keys",
		  "16" },
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct bd_apk_file f;
		struct bd_err err = { 0 };
		int as_read = 0, canon = 0;
		int r = read_vector(vec[i][0], vec[i][1], &f, &err);
		if (r == 1)
			skip();
		if (r < 0)
			fail_msg("%s: %s", vec[i][0], err.msg);
		assert_int_equal(f.status, BD_APK_OK);
		assert_int_equal(f.index.n, (size_t)atoi(vec[i][2]));
		round_trip(&f, false, &as_read, &canon);
		assert_int_equal(as_read, 0);
		bd_apk_file_free(&f);
	}
}

static void
melange_index_fields(void **state)
{
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	int r;

	(void)state;
	r = read_vector("vectors/melange-repo/x86_64/APKINDEX.tar.gz", "vectors/melange-repo/keys",
	                &f, &err);
	if (r == 1)
		skip();
	assert_int_equal(r, 0);
	const struct bd_apk_index_entry *e = &f.index.v[3];
	assert_string_equal(e->pi.name, "replayout");
	assert_string_equal(e->csum, "Q11/HhSewwwOXgl0r0ffb0O0BRtYc=");
	assert_int_equal(e->file_size, 2961);
	assert_int_equal(e->pi.installed_size, 3389);
	assert_int_equal(e->pi.depends.n, 1);
	assert_string_equal(e->pi.depends.v[0], "pretend-baselayout");
	assert_string_equal(f.index.v[0].pi.provides.v[0], "custom-ca-certificates");
	bd_apk_file_free(&f);
}

static void
index_with_unknown_key_is_untrusted(void **state)
{
	char path[4096], kpath[4096];
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	int kfd;

	(void)state;
	/* the melange index checked against Alpine's keys: no key file */
	if (!bd_test_shared_path(path, sizeof(path),
	                         "vectors/melange-repo/x86_64/APKINDEX.tar.gz") ||
	    !bd_test_shared_path(kpath, sizeof(kpath), "vectors/keys-alpine"))
		skip();
	kfd = open(kpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
	assert_int_equal(bd_apk_read_path(path, &ro, &f, &err), -ENOKEY);
	assert_int_equal(f.status, BD_APK_UNTRUSTED);
	assert_non_null(strstr(err.msg, "melange.rsa.pub"));
	bd_apk_file_free(&f);
	close(kfd);
}

static void
parse_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "C:Q1abc\nP:a\nV:1\nxx\n\n", "line 4: expected 'X:value'" },
		{ "C:Q1abc\nP:a\nV:1\nS:12x\n\n", "line 4: expected a number" },
		{ "C:Q1abc\nP:a\n\n", "line 1: entry without V:" },
		{ "P:a\nV:1\n\n", "entry without C:" },
		{ "C:Q1abc\nP:a\nV:1\nD:foo>=1.0_bad\n\n", "line 4: dependency 'foo>=1.0_bad'" },
		{ "C:Q1abc\nP:a\nV:1\n1:x\n\n", "field letter is not a letter" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bd_apk_index idx = { 0 };
		struct bd_err err = { 0 };
		int r = bd_apk_index_parse(cases[i].text, strlen(cases[i].text), "t", &idx, &err);
		if (r >= 0 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: r=%d msg='%s' want '%s'", i, r, err.msg, cases[i].msg);
		bd_apk_index_free(&idx);
	}
}

static void
written_index_verifies_and_reads_back(void **state)
{
	char *dir = bd_test_mkdtemp();
	char path[512];
	struct bd_err err = { 0 };
	struct bd_apk_index idx = { 0 };
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_buf out = { 0 };
	struct bd_apk_privkey *key;
	struct bd_apk_file f;
	int kfd;

	(void)state;
	assert_int_equal(bd_apk_key_generate(dir, "idx", 2048, &err), 0);
	snprintf(path, sizeof(path), "%s/idx.rsa", dir);
	key = bd_apk_privkey_load(path, &err);
	assert_non_null(key);
	assert_string_equal(bd_apk_privkey_name(key), "idx.rsa.pub");

	pi.name = bd_xstrdup("zeta");
	pi.version = bd_xstrdup("1.0-r0");
	pi.arch = bd_xstrdup("x86_64");
	pi.installed_size = 100;
	pi.builddate = 1700000000;
	bd_strv_push(&pi.depends, "so:libc.musl-x86_64.so.1");
	bd_strv_push(&pi.provides, "cmd:zeta=1.0-r0");
	pi.has_provider_priority = true;
	pi.provider_priority = 10;
	bd_apk_index_add(&idx, &pi, "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", 1234);
	free(pi.name);
	pi.name = bd_xstrdup("alpha");
	bd_apk_index_add(&idx, &pi, "Q1m6wB0UFePGN8Drz82pC8y2uAiu8=", 99);
	bd_apk_index_sort(&idx);
	assert_string_equal(idx.v[0].pi.name, "alpha");
	idx.description = bd_xstrdup("test");
	assert_int_equal(bd_apk_index_write(&idx, key, BD_HASH_SHA256, 1700000000, &out, &err), 0);
	snprintf(path, sizeof(path), "%s/APKINDEX.tar.gz", dir);
	assert_int_equal(bd_write_file_atomic(path, out.data, out.len, 0644, &err), 0);

	kfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd, .keep_index_text = true };
	if (bd_apk_read_path(path, &ro, &f, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f.status, BD_APK_OK);
	assert_int_equal(f.index.n, 2);
	assert_string_equal(f.index.description, "test");
	assert_string_equal(f.index.v[1].pi.name, "zeta");
	assert_int_equal(f.index.v[1].file_size, 1234);
	assert_int_equal(f.index.v[1].pi.provider_priority, 10);
	assert_string_equal(f.index.v[1].pi.provides.v[0], "cmd:zeta=1.0-r0");
	/* canonical order, t: and k: present, empty T/U/L written */
	assert_non_null(strstr(f.index_text,
	                       "C:Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=\nP:zeta\nV:1.0-r0\n"
	                       "A:x86_64\nS:1234\nI:100\nT:\nU:\nL:\nt:1700000000\n"
	                       "k:10\nD:so:libc.musl-x86_64.so.1\np:cmd:zeta=1.0-r0\n\n"));
	bd_apk_file_free(&f);

	/* the same index written twice is byte-identical */
	struct bd_buf again = { 0 };
	assert_int_equal(bd_apk_index_write(&idx, key, BD_HASH_SHA256, 1700000000, &again, &err),
	                 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);

	/* an unsigned index is untrusted */
	bd_buf_reset(&again);
	assert_int_equal(bd_apk_index_write(&idx, NULL, BD_HASH_SHA256, 1, &again, &err), 0);
	assert_int_equal(bd_write_file_atomic(path, again.data, again.len, 0644, &err), 0);
	assert_int_equal(bd_apk_read_path(path, &ro, &f, &err), -ENOKEY);
	assert_non_null(strstr(err.msg, "not signed"));
	bd_apk_file_free(&f);

	close(kfd);
	bd_buf_free(&again);
	bd_buf_free(&out);
	bd_apk_pkginfo_free(&pi);
	bd_apk_index_free(&idx);
	bd_apk_privkey_free(key);
	bd_test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alpine_index_parses_verifies_round_trips),
		cmocka_unit_test(melange_and_apko_indexes_round_trip),
		cmocka_unit_test(melange_index_fields),
		cmocka_unit_test(index_with_unknown_key_is_untrusted),
		cmocka_unit_test(parse_errors_name_the_line),
		cmocka_unit_test(written_index_verifies_and_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
