/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/pack, apk/reader (packages) and apk/extract:
 * real vectors verify, our packages verify and are reproducible, the output
 * policy rejects what it must with the path named, tampering is caught. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/crypto.h"
#include "apk/extract.h"
#include "apk/pack.h"
#include "apk/reader.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/shared.h"

struct fixture {
	char *dir;      /* temp dir: keys, root/, out files */
	char root[512]; /* the tree to package */
	struct bd_apk_privkey *key;
	int keys_fd;
};

static int
setup(void **state)
{
	struct fixture *fx = bd_xcalloc(1, sizeof(*fx));
	struct bd_err err = { 0 };
	char path[600];

	fx->dir = bd_test_mkdtemp();
	snprintf(fx->root, sizeof(fx->root), "%s/root", fx->dir);
	if (bd_apk_key_generate(fx->dir, "unit", 2048, &err) < 0) {
		printf("# %s\n", err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/unit.rsa", fx->dir);
	fx->key = bd_apk_privkey_load(path, &err);
	fx->keys_fd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = fx;
	return fx->key && fx->keys_fd >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	bd_apk_privkey_free(fx->key);
	close(fx->keys_fd);
	bd_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *root, const char *rel, const char *content, mode_t mode)
{
	char path[1024];
	struct bd_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (bd_write_file_atomic(path, content, strlen(content), mode, &err) < 0)
		fail_msg("%s", err.msg);
}

static void
mkdirs(const char *root, const char *rel)
{
	char path[1024];
	struct bd_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (bd_mkdir_p(path, 0755, &err) < 0)
		fail_msg("%s", err.msg);
}

/* A fresh tree with files, a symlink and a hardlink pair. */
static void
make_tree(struct fixture *fx)
{
	char a[1024], b[1024];

	bd_test_rmtree(fx->root);
	mkdirs(fx->root, "usr/bin");
	mkdirs(fx->root, "usr/share/doc/x");
	mkdirs(fx->root, "etc");
	write_file(fx->root, "usr/bin/tool", "#!/bin/sh\necho tool\n", 0755);
	write_file(fx->root, "etc/tool.conf", "key = value\n", 0644);
	write_file(fx->root, "usr/share/doc/x/README", "", 0644);
	snprintf(a, sizeof(a), "%s/usr/bin/tool", fx->root);
	snprintf(b, sizeof(b), "%s/usr/bin/tool-alias", fx->root);
	assert_int_equal(link(a, b), 0);
	snprintf(b, sizeof(b), "%s/usr/bin/t", fx->root);
	assert_int_equal(symlink("tool", b), 0);
}

static int
pack_tree(struct fixture *fx, const char *out, const struct bd_apk_pack_policy *pol,
          struct bd_apk_pack_result *res, struct bd_err *err)
{
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_apk_pack_opts o = {
		.info = &pi,
		.key = fx->key,
		.sig_alg = BD_HASH_SHA256,
		.mtime = 1700000000,
		.generator = "unit",
	};
	char path[600];
	int r, fd;

	if (pol)
		o.policy = *pol;
	else
		o.policy.expect_uid = -1;
	pi.name = "tool";
	pi.version = "1.0-r0";
	pi.arch = "x86_64";
	pi.license = "MIT";
	fd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/%s", fx->dir, out);
	r = bd_apk_pack(fd, &o, path, res, err);
	close(fd);
	return r;
}

static int
read_pkg(struct fixture *fx, const char *out, struct bd_apk_file *f, struct bd_err *err)
{
	char path[600];
	struct bd_apk_read_opts ro = { .keys_dirfd = fx->keys_fd, .list_entries = true };

	snprintf(path, sizeof(path), "%s/%s", fx->dir, out);
	return bd_apk_read_path(path, &ro, f, err);
}

static void
packed_tree_verifies(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_result res;
	struct bd_apk_file f;
	struct bd_err err = { 0 };

	make_tree(fx);
	if (pack_tree(fx, "a.apk", NULL, &res, &err) < 0)
		fail_msg("%s", err.msg);
	if (read_pkg(fx, "a.apk", &f, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f.status, BD_APK_OK);
	assert_string_equal(f.signer, "unit.rsa.pub");
	assert_string_equal(f.identity, res.identity);
	assert_string_equal(f.datahash, res.datahash);
	assert_string_equal(f.pkginfo.datahash, res.datahash);
	assert_int_equal(f.file_size, res.file_size);
	/* hardlinked content counted once */
	assert_int_equal(f.pkginfo.installed_size,
	                 strlen("#!/bin/sh\necho tool\n") + strlen("key = value\n"));
	/* ancestors first, sorted, no leading ./ */
	static const char *const want[] = { "etc",
		                            "etc/tool.conf",
		                            "usr",
		                            "usr/bin",
		                            "usr/bin/t",
		                            "usr/bin/tool",
		                            "usr/bin/tool-alias",
		                            "usr/share",
		                            "usr/share/doc",
		                            "usr/share/doc/x",
		                            "usr/share/doc/x/README" };
	assert_int_equal(f.nentries, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < f.nentries; i++) {
		assert_string_equal(f.entries[i].name, want[i]);
		assert_int_equal(f.entries[i].uid, 0);
		assert_int_equal(f.entries[i].mtime, 1700000000);
	}
	assert_int_equal(f.entries[4].type, '2');
	assert_string_equal(f.entries[4].linkname, "tool");
	assert_true(f.entries[4].has_sha1);
	assert_int_equal(f.entries[6].type, '1');
	assert_string_equal(f.entries[6].linkname, "usr/bin/tool");
	assert_int_equal(f.entries[5].mode, 0755);
	bd_apk_file_free(&f);
	bd_apk_pkginfo_free(&res.info);
}

static void
packing_is_reproducible(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_result r1, r2;
	struct bd_buf a = { 0 }, b = { 0 };
	struct bd_err err = { 0 };
	char p1[600], p2[600];

	make_tree(fx);
	assert_int_equal(pack_tree(fx, "r1.apk", NULL, &r1, &err), 0);
	/* touch everything: new mtimes must not matter */
	sleep(1);
	make_tree(fx);
	assert_int_equal(pack_tree(fx, "r2.apk", NULL, &r2, &err), 0);
	snprintf(p1, sizeof(p1), "%s/r1.apk", fx->dir);
	snprintf(p2, sizeof(p2), "%s/r2.apk", fx->dir);
	assert_int_equal(bd_read_file_at(AT_FDCWD, p1, 1 << 20, &a, &err), 0);
	assert_int_equal(bd_read_file_at(AT_FDCWD, p2, 1 << 20, &b, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_string_equal(r1.identity, r2.identity);
	bd_buf_free(&a);
	bd_buf_free(&b);
	bd_apk_pkginfo_free(&r1.info);
	bd_apk_pkginfo_free(&r2.info);
}

static void
expect_reject(struct fixture *fx, const struct bd_apk_pack_policy *pol, const char *needle)
{
	struct bd_apk_pack_result res;
	struct bd_err err = { 0 };
	char out[600];

	if (pack_tree(fx, "bad.apk", pol, &res, &err) >= 0)
		fail_msg("packing succeeded; expected an error containing '%s'", needle);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' does not contain '%s'", err.msg, needle);
	/* nothing is left at the output path */
	snprintf(out, sizeof(out), "%s/bad.apk", fx->dir);
	assert_int_equal(access(out, F_OK), -1);
}

static void
policy_rejects_special_files(void **state)
{
	struct fixture *fx = *state;
	char path[1024];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/usr/bin/fifo", fx->root);
	assert_int_equal(mkfifo(path, 0644), 0);
	expect_reject(fx, NULL, "usr/bin/fifo: FIFO");

	make_tree(fx);
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%.90s/etc/sock", fx->root) >=
	    sizeof(sa.sun_path))
		skip();
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	expect_reject(fx, NULL, "etc/sock: socket");

	if (geteuid() == 0) {
		make_tree(fx);
		snprintf(path, sizeof(path), "%s/etc/null", fx->root);
		assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
		expect_reject(fx, NULL, "etc/null: character device");
	}
}

static void
policy_rejects_setuid_unless_allowed(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_policy pol = { .expect_uid = -1, .allow_setuid = true };
	struct bd_apk_pack_result res;
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	char path[1024];

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/usr/bin/tool", fx->root);
	assert_int_equal(chmod(path, 04755), 0);
	expect_reject(fx, NULL, "usr/bin/tool: setuid/setgid bit set (mode 4755)");
	assert_int_equal(pack_tree(fx, "suid.apk", &pol, &res, &err), 0);
	assert_int_equal(read_pkg(fx, "suid.apk", &f, &err), 0);
	assert_int_equal(f.entries[5].mode, 04755);
	bd_apk_file_free(&f);
	bd_apk_pkginfo_free(&res.info);
}

static void
policy_rejects_escaping_symlinks(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_policy strict = { .expect_uid = -1, .forbid_absolute_symlinks = true };
	struct bd_apk_pack_result res;
	struct bd_err err = { 0 };
	char path[1024];

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/usr/bin/up", fx->root);
	assert_int_equal(symlink("../../../etc/passwd", path), 0);
	expect_reject(fx, NULL, "usr/bin/up: symlink target ../../../etc/passwd escapes");

	/* staying inside is fine, even through ".." */
	make_tree(fx);
	assert_int_equal(symlink("../../etc/tool.conf", path), 0);
	assert_int_equal(pack_tree(fx, "ok.apk", NULL, &res, &err), 0);
	bd_apk_pkginfo_free(&res.info);

	/* absolute: allowed by default (stored as a link), refused when strict */
	make_tree(fx);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(pack_tree(fx, "abs.apk", NULL, &res, &err), 0);
	bd_apk_pkginfo_free(&res.info);
	expect_reject(fx, &strict, "usr/bin/up: symlink to absolute path /etc/passwd");
}

static void
policy_rejects_hardlinks_leaving_tree(void **state)
{
	struct fixture *fx = *state;
	char a[1024], b[1024];

	make_tree(fx);
	snprintf(a, sizeof(a), "%s/etc/tool.conf", fx->root);
	snprintf(b, sizeof(b), "%s/outside", fx->dir);
	assert_int_equal(link(a, b), 0);
	expect_reject(fx, NULL, "etc/tool.conf: hard link count 2 but 1 link(s) inside the tree");
	unlink(b);
}

static void
policy_rejects_bad_names_and_owners(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_policy owner = { .expect_uid = 4242 };
	struct bd_apk_pack_policy modes = { .expect_uid = -1, .reject_writable = true };
	char path[1024];

	make_tree(fx);
	write_file(fx->root, "etc/bad\nname", "x", 0644);
	expect_reject(fx, NULL, "control character in file name");

	make_tree(fx);
	write_file(fx->root, ".hidden", "x", 0644);
	expect_reject(fx, NULL, ".hidden: top-level dot entry");

	make_tree(fx);
	expect_reject(fx, &owner, "expected 4242");

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/etc/tool.conf", fx->root);
	assert_int_equal(chmod(path, 0666), 0);
	expect_reject(fx, &modes, "etc/tool.conf: group or world writable");
}

static void
bad_metadata_is_rejected(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_apk_pack_opts o = { .info = &pi, .key = fx->key, .policy.expect_uid = -1 };
	struct bd_apk_pack_result res;
	struct bd_err err = { 0 };
	char out[600];
	int fd;

	make_tree(fx);
	fd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(out, sizeof(out), "%s/meta.apk", fx->dir);
	pi.name = "tool";
	pi.version = "1.0-1";
	assert_true(bd_apk_pack(fd, &o, out, &res, &err) < 0);
	assert_non_null(strstr(err.msg, "version '1.0-1' is not a valid apk version"));
	pi.version = "1.0-r0";
	pi.name = "bad name";
	assert_true(bd_apk_pack(fd, &o, out, &res, &err) < 0);
	assert_non_null(strstr(err.msg, "package name 'bad name' is invalid"));
	pi.name = "tool";
	bd_strv_push(&pi.depends, "foo>=");
	assert_true(bd_apk_pack(fd, &o, out, &res, &err) < 0);
	assert_non_null(strstr(err.msg, "depends: dependency 'foo>=': operator without a version"));
	bd_strv_free(&pi.depends);
	close(fd);
}

/* Flip one byte at @off of file @rel. */
static void
flip_byte(struct fixture *fx, const char *rel, off_t off)
{
	char path[600];
	unsigned char c;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void
tampering_is_detected(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_result res;
	struct bd_apk_file f;
	struct bd_err err = { 0 };

	make_tree(fx);
	assert_int_equal(pack_tree(fx, "t.apk", NULL, &res, &err), 0);
	/* last byte of the file: the data member's gzip trailer (ISIZE) */
	flip_byte(fx, "t.apk", (off_t)res.file_size - 1);
	assert_true(read_pkg(fx, "t.apk", &f, &err) < 0);
	assert_true(f.status == BD_APK_BAD_SIGNATURE || f.status == BD_APK_IO_ERROR);
	printf("# data byte: %s: %s\n", bd_apk_status_str(f.status), err.msg);
	bd_apk_file_free(&f);

	/* a byte inside the compressed data, not the trailer */
	bd_apk_pkginfo_free(&res.info);
	assert_int_equal(pack_tree(fx, "t.apk", NULL, &res, &err), 0);
	flip_byte(fx, "t.apk", (off_t)res.file_size - 40);
	assert_true(read_pkg(fx, "t.apk", &f, &err) < 0);
	printf("# data byte 2: %s: %s\n", bd_apk_status_str(f.status), err.msg);
	bd_apk_file_free(&f);

	/* byte 600 lies in the control member (signature member is ~370 bytes
	 * for a 2048-bit key): the signature breaks */
	bd_apk_pkginfo_free(&res.info);
	assert_int_equal(pack_tree(fx, "t.apk", NULL, &res, &err), 0);
	flip_byte(fx, "t.apk", 500);
	assert_true(read_pkg(fx, "t.apk", &f, &err) < 0);
	printf("# control byte: %s: %s\n", bd_apk_status_str(f.status), err.msg);
	assert_true(f.status != BD_APK_OK);
	bd_apk_file_free(&f);
	bd_apk_pkginfo_free(&res.info);
}

static void
real_packages_verify(void **state)
{
	static const char *const vec[][2] = {
		{ "vectors/alpine-3.16/alpine-baselayout-3.2.0-r23.apk", "vectors/keys-alpine" },
		{ "vectors/melange-repo/x86_64/custom-ca-certs-1-1.0.0-r0.apk",
		  "vectors/melange-repo/keys" },
		{ "vectors/melange-repo/x86_64/custom-ca-certs-2-1.0.0-r0.apk",
		  "vectors/melange-repo/keys" },
		{ "vectors/melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk",
		  "vectors/melange-repo/keys" },
		{ "vectors/melange-repo/x86_64/replayout-1.0.0-r0.apk",
		  "vectors/melange-repo/keys" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		char path[4096], keys[4096];
		struct bd_apk_file f;
		struct bd_err err = { 0 };

		if (!bd_test_shared_path(path, sizeof(path), vec[i][0]) ||
		    !bd_test_shared_path(keys, sizeof(keys), vec[i][1]))
			skip();
		int kfd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
		if (bd_apk_read_path(path, &ro, &f, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(f.status, BD_APK_OK);
		assert_string_equal(f.datahash, f.pkginfo.datahash);
		bd_apk_file_free(&f);
		close(kfd);
	}
}

static void
wolfi_package_with_wrong_key_is_bad(void **state)
{
	char path[4096], keys[4096];
	struct bd_apk_file f;
	struct bd_err err = { 0 };

	(void)state;
	if (!bd_test_shared_path(path, sizeof(path),
	                         "vectors/wolfi-unverifiable/hello-wolfi-2.12.1-r0.apk") ||
	    !bd_test_shared_path(keys, sizeof(keys), "vectors/melange-repo/keys"))
		skip();
	int kfd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
	assert_int_equal(bd_apk_read_path(path, &ro, &f, &err), -EKEYREJECTED);
	assert_int_equal(f.status, BD_APK_BAD_SIGNATURE);
	/* the structure is fine: without keys it reads */
	bd_apk_file_free(&f);
	ro.keys_dirfd = -1;
	assert_int_equal(bd_apk_read_path(path, &ro, &f, &err), 0);
	assert_int_equal(f.status, BD_APK_NOT_CHECKED);
	assert_string_equal(f.pkginfo.name, "hello-wolfi");
	bd_apk_file_free(&f);
	close(kfd);
}

static void
extract_package_matches_tree(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_result res;
	struct bd_extract_opts eo = { .apk = true };
	struct bd_extract_stats st;
	struct bd_err err = { 0 };
	struct bd_buf got = { 0 };
	char path[1024], dest[600];
	struct stat sa, sb;
	int fd, dfd;

	make_tree(fx);
	assert_int_equal(pack_tree(fx, "x.apk", NULL, &res, &err), 0);
	snprintf(dest, sizeof(dest), "%s/dest", fx->dir);
	assert_int_equal(mkdir(dest, 0755), 0);
	snprintf(path, sizeof(path), "%s/x.apk", fx->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bd_extract_fd(fd, "x.apk", dfd, &eo, &st, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	close(dfd);
	assert_int_equal(st.entries, 11);
	snprintf(path, sizeof(path), "%s/usr/bin/tool", dest);
	assert_int_equal(bd_read_file_at(AT_FDCWD, path, 4096, &got, &err), 0);
	assert_string_equal(got.data, "#!/bin/sh\necho tool\n");
	assert_int_equal(stat(path, &sa), 0);
	assert_int_equal(sa.st_mode & 07777, 0755);
	snprintf(path, sizeof(path), "%s/usr/bin/tool-alias", dest);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sa.st_ino, sb.st_ino);
	snprintf(path, sizeof(path), "%s/usr/bin/t", dest);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	/* no control files land in the tree */
	snprintf(path, sizeof(path), "%s/.PKGINFO", dest);
	assert_int_equal(access(path, F_OK), -1);
	bd_buf_free(&got);
	bd_apk_pkginfo_free(&res.info);
}

static void
large_file_streams(void **state)
{
	struct fixture *fx = *state;
	struct bd_apk_pack_result res;
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	char path[1024];
	int fd;

	make_tree(fx);
	snprintf(path, sizeof(path), "%s/usr/share/big", fx->root);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	/* 3 MiB of varied bytes: beyond the read-once threshold */
	unsigned char buf[4096];
	for (int i = 0; i < 768; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (unsigned char)(k * 31 + (size_t)i * 7);
		assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	}
	close(fd);
	assert_int_equal(pack_tree(fx, "big.apk", NULL, &res, &err), 0);
	if (read_pkg(fx, "big.apk", &f, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f.status, BD_APK_OK);
	bd_apk_file_free(&f);
	bd_apk_pkginfo_free(&res.info);
}

/* Install scripts come back by type, byte for byte, with keep_scripts;
 * without it only their presence is recorded. */
static void
scripts_are_kept_by_type(void **state)
{
	struct fixture *fx = *state;
	static const char post[] = "#!/bin/sh\n/bin/busybox --install -s\n";
	static const char trig[] = "#!/bin/sh\necho \"$@\"\n";
	const struct bd_apk_script sc[] = {
		{ ".post-install", post, sizeof(post) - 1 },
		{ ".trigger", trig, sizeof(trig) - 1 },
	};
	struct bd_apk_pkginfo pi = { .name = "s", .version = "1-r0", .arch = "x86_64" };
	struct bd_apk_pack_opts o = { .info = &pi,
		                      .key = fx->key,
		                      .sig_alg = BD_HASH_SHA256,
		                      .mtime = 1,
		                      .scripts = sc,
		                      .nscripts = 2 };
	struct bd_apk_pack_result res = { 0 };
	struct bd_apk_read_opts ro = { .keys_dirfd = fx->keys_fd, .keep_scripts = true };
	struct bd_apk_file f = { 0 };
	struct bd_err err = { 0 };
	char path[600];
	int fd;

	o.policy.expect_uid = -1;
	bd_strv_push(&pi.triggers, "/usr/share/x/*");
	make_tree(fx);
	fd = open(fx->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/s.apk", fx->dir);
	if (bd_apk_pack(fd, &o, path, &res, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	if (bd_apk_read_path(path, &ro, &f, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(f.status, BD_APK_OK);
	assert_true(f.has_script[BD_APK_POST_INSTALL] && f.has_script[BD_APK_TRIGGER]);
	assert_false(f.has_script[BD_APK_PRE_INSTALL]);
	assert_int_equal(f.script_body[BD_APK_POST_INSTALL].len, sizeof(post) - 1);
	assert_memory_equal(f.script_body[BD_APK_POST_INSTALL].data, post, sizeof(post) - 1);
	assert_string_equal(f.script_body[BD_APK_TRIGGER].data, trig);
	assert_int_equal(f.pkginfo.triggers.n, 1);
	assert_string_equal(f.pkginfo.triggers.v[0], "/usr/share/x/*");
	assert_string_equal(bd_apk_script_type(BD_APK_POST_INSTALL), "post-install");
	bd_apk_file_free(&f);
	memset(&f, 0, sizeof(f));
	ro.keep_scripts = false;
	if (bd_apk_read_path(path, &ro, &f, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(f.has_script[BD_APK_TRIGGER]);
	assert_int_equal(f.script_body[BD_APK_TRIGGER].len, 0);
	bd_apk_file_free(&f);
	bd_apk_pkginfo_free(&res.info);
	bd_strv_free(&pi.triggers);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(packed_tree_verifies),
		cmocka_unit_test(packing_is_reproducible),
		cmocka_unit_test(policy_rejects_special_files),
		cmocka_unit_test(policy_rejects_setuid_unless_allowed),
		cmocka_unit_test(policy_rejects_escaping_symlinks),
		cmocka_unit_test(policy_rejects_hardlinks_leaving_tree),
		cmocka_unit_test(policy_rejects_bad_names_and_owners),
		cmocka_unit_test(bad_metadata_is_rejected),
		cmocka_unit_test(tampering_is_detected),
		cmocka_unit_test(real_packages_verify),
		cmocka_unit_test(wolfi_package_with_wrong_key_is_bad),
		cmocka_unit_test(extract_package_matches_tree),
		cmocka_unit_test(large_file_streams),
		cmocka_unit_test(scripts_are_kept_by_type),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
