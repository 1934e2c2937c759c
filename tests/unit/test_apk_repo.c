/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/repo: repositories as paths, file:// URLs and (via a
 * fake fetch callback) https URLs; index trust (right key, wrong key,
 * unsigned, a look-alike key), the index cache keyed by sha256 of the URL
 * and its re-verification; @tag repositories; package downloads into the
 * cache verified against C: and datahash, and corrupted copies refused.
 * Uses the melange-built repository in ../shared and repositories made
 * here with our own packer (for A:noarch). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/crypto.h"
#include "apk/index.h"
#include "apk/pack.h"
#include "apk/repo.h"
#include "common/util.h"
#include "tests/unit/shared.h"

struct fx {
	char *dir;      /* scratch */
	char vec[4096]; /* ../shared/vectors/melange-repo */
	char key[4096]; /* its key */
	bool have_vec;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->dir = bd_test_mkdtemp();
	fx->have_vec = bd_test_shared_path(fx->vec, sizeof(fx->vec), "vectors/melange-repo") &&
	               bd_test_shared_path(fx->key, sizeof(fx->key),
	                                   "vectors/melange-repo/keys/melange.rsa.pub");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	bd_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void
run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static bool
exists(const char *fmt, ...)
{
	char path[4096];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

static void
flip_byte(const char *path, off_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	if (off < 0)
		off += lseek(fd, 0, SEEK_END);
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* A repository loaded with @spec and @key into @rs, cache in fx->dir/cache. */
static int
load(struct fx *fx, struct bd_apk_repos *rs, const char *spec, const char *key, struct bd_err *err)
{
	char cache[4200];
	struct bd_apk_repos_opts o = { .arch = "x86_64", .cache_dir = cache };

	snprintf(cache, sizeof(cache), "%s/cache", fx->dir);
	bd_apk_repos_init(rs, &o);
	if (bd_apk_repos_add(rs, spec, err) < 0)
		return -err->code;
	if (key && bd_apk_repos_add_key(rs, key, err) < 0)
		return -err->code;
	return bd_apk_repos_load(rs, err);
}

static void
melange_as_path_and_url(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_err err = { 0 };
	char url[4200];

	if (!fx->have_vec) {
		skip();
		return;
	}
	if (load(fx, &rs, fx->vec, fx->key, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rs.n, 1);
	assert_false(rs.v[0].remote);
	assert_string_equal(rs.v[0].file.signer, "melange.rsa.pub");
	assert_int_equal(rs.v[0].file.index.n, 4);
	assert_int_equal(bd_apk_db_npackages(rs.db), 4);
	assert_string_equal(bd_apk_db_repo_name(rs.db, 0), fx->vec);
	bd_apk_repos_free(&rs);

	snprintf(url, sizeof(url), "file://%s/", fx->vec);
	if (load(fx, &rs, url, fx->key, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bd_apk_db_npackages(rs.db), 4);
	/* the trailing slash is dropped, the name is the URL */
	url[strlen(url) - 1] = '\0';
	assert_string_equal(rs.v[0].url, url);
	bd_apk_repos_free(&rs);

	/* file://localhost/ and a key given as a directory */
	snprintf(url, sizeof(url), "file://localhost%s", fx->vec);
	char keydir[4200];
	snprintf(keydir, sizeof(keydir), "%s/keys", fx->vec);
	if (load(fx, &rs, url, keydir, &err) < 0)
		fail_msg("%s", err.msg);
	bd_apk_repos_free(&rs);
}

static void
wrong_or_missing_keys_fail(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_err err = { 0 };
	char alpine_key[4096], fake[4200];

	if (!fx->have_vec ||
	    !bd_test_shared_path(alpine_key, sizeof(alpine_key),
	                         "vectors/keys-alpine/"
	                         "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub")) {
		skip();
		return;
	}
	/* a keyring without the signer's key */
	assert_true(load(fx, &rs, fx->vec, alpine_key, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "repository "));
	assert_non_null(strstr(err.msg, "x86_64/APKINDEX.tar.gz: UNTRUSTED: signed by "
	                                "melange.rsa.pub, no such public key in the keyring"));
	assert_null(rs.db);
	bd_apk_repos_free(&rs);

	/* no keyring at all */
	assert_true(load(fx, &rs, fx->vec, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "no trusted keys"));
	bd_apk_repos_free(&rs);

	/* a different key under the signer's name: BAD signature */
	assert_int_equal(bd_apk_key_generate(fx->dir, "melange", 2048, &err), 0);
	snprintf(fake, sizeof(fake), "%s/melange.rsa.pub", fx->dir);
	assert_true(load(fx, &rs, fx->vec, fake, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "BAD signature"));
	bd_apk_repos_free(&rs);

	/* a key file that is not a key */
	snprintf(fake, sizeof(fake), "%s/x86_64/APKINDEX.tar.gz", fx->vec);
	assert_true(load(fx, &rs, fx->vec, fake, &err) < 0);
	assert_non_null(strstr(err.msg, "not a PEM public key"));
	bd_apk_repos_free(&rs);
}

/* Our own repository: a signing key, packages (one A:noarch), an index
 * signed or not.  Returns the repository directory. */
struct own {
	char repo[4200], key[4200], pub[4200];
	struct bd_apk_index idx;
};

static void
pack_one(struct fx *fx, struct own *o, const struct bd_apk_privkey *key, const char *name,
         const char *arch, const char *depends)
{
	char root[4200], out[4300];
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_apk_pack_result res;
	struct bd_err err = { 0 };
	int fd;

	snprintf(root, sizeof(root), "%s/root-%s", fx->dir, name);
	run("mkdir -p '%s/usr/share/%s' && echo %s > '%s/usr/share/%s/file'", root, name, name,
	    root, name);
	pi.name = bd_xstrdup(name);
	pi.version = bd_xstrdup("1.0-r0");
	pi.arch = bd_xstrdup(arch);
	pi.license = bd_xstrdup("MIT");
	if (depends)
		assert_int_equal(bd_apk_deps_split(depends, &pi.depends, &err), 0);
	struct bd_apk_pack_opts po = { .info = &pi, .key = key, .mtime = 1 };
	run("mkdir -p '%s/%s'", o->repo, arch);
	snprintf(out, sizeof(out), "%s/%s/%s-1.0-r0.apk", o->repo, arch, name);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bd_apk_pack(fd, &po, out, &res, &err) < 0)
		fail_msg("%s", err.msg);
	close(fd);
	bd_apk_index_add(&o->idx, &res.info, res.identity, res.file_size);
	bd_apk_pkginfo_free(&res.info);
	bd_apk_pkginfo_free(&pi);
}

static void
make_own(struct fx *fx, struct own *o, bool sign)
{
	struct bd_apk_privkey *key;
	struct bd_buf out = { 0 };
	struct bd_err err = { 0 };
	char path[4300];

	memset(o, 0, sizeof(*o));
	snprintf(o->repo, sizeof(o->repo), "%s/own", fx->dir);
	snprintf(o->key, sizeof(o->key), "%s/own.rsa", fx->dir);
	snprintf(o->pub, sizeof(o->pub), "%s/own.rsa.pub", fx->dir);
	if (!exists("%s", o->key))
		assert_int_equal(bd_apk_key_generate(fx->dir, "own", 2048, &err), 0);
	key = bd_apk_privkey_load(o->key, &err);
	assert_non_null(key);
	pack_one(fx, o, key, "app", "x86_64", "data-files");
	pack_one(fx, o, key, "data-files", "noarch", NULL);
	bd_apk_index_sort(&o->idx);
	assert_int_equal(
	    bd_apk_index_write(&o->idx, sign ? key : NULL, BD_HASH_SHA256, 1, &out, &err), 0);
	run("mkdir -p '%s/x86_64'", o->repo);
	snprintf(path, sizeof(path), "%s/x86_64/APKINDEX.tar.gz", o->repo);
	assert_int_equal(bd_write_file_atomic(path, out.data, out.len, 0644, &err), 0);
	bd_buf_free(&out);
	bd_apk_privkey_free(key);
}

static void
unsigned_index_fails(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_err err = { 0 };
	struct own o;

	make_own(fx, &o, false);
	assert_true(load(fx, &rs, o.repo, o.pub, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "UNTRUSTED: not signed"));
	bd_apk_repos_free(&rs);
	bd_apk_index_free(&o.idx);
}

static void
noarch_download(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_apk_solution sol;
	struct bd_strv paths = { 0 };
	struct bd_err err = { 0 };
	const char *world[] = { "app" };
	struct own o;
	char *url;

	make_own(fx, &o, true);
	if (load(fx, &rs, o.repo, o.pub, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bd_apk_solve(rs.db, world, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	assert_string_equal(sol.pkgs[0].name, "data-files");
	assert_string_equal(sol.pkgs[0].arch, "noarch");
	url = bd_apk_repos_package_url(&rs, &sol.pkgs[0]);
	assert_non_null(strstr(url, "/own/noarch/data-files-1.0-r0.apk"));
	free(url);
	if (bd_apk_repos_fetch_solution(&rs, &sol, &paths, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(paths.n, 2);
	for (size_t i = 0; i < paths.n; i++) {
		char name[64];
		assert_int_equal(bd_apk_cache_name(sol.pkgs[i].csum, name, sizeof(name)), 0);
		assert_non_null(strstr(paths.v[i], name));
		assert_true(exists("%s", paths.v[i]));
	}
	bd_strv_free(&paths);
	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
	bd_apk_index_free(&o.idx);
}

/* Copy the melange repository to fx->dir/copy. */
static void
copy_vec(struct fx *fx, char *copy, size_t size)
{
	snprintf(copy, size, "%s/copy", fx->dir);
	run("rm -rf '%s' && cp -r '%s' '%s' && chmod -R u+w '%s'", copy, fx->vec, copy, copy);
}

static const struct bd_apk_solved_pkg *
find(const struct bd_apk_solution *sol, const char *name)
{
	for (size_t i = 0; i < sol->n; i++)
		if (strcmp(sol->pkgs[i].name, name) == 0)
			return &sol->pkgs[i];
	fail_msg("%s not resolved", name);
	return NULL;
}

static void
download_verifies_and_caches(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	const char *world[] = { "replayout" };
	char copy[4200], src[4400], cached[4400], name[64];
	const struct bd_apk_solved_pkg *p;
	char *path = NULL;

	if (!fx->have_vec) {
		skip();
		return;
	}
	copy_vec(fx, copy, sizeof(copy));
	if (load(fx, &rs, copy, fx->key, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bd_apk_solve(rs.db, world, 1, NULL, &sol, &err), 0);
	p = find(&sol, "replayout");
	assert_int_equal(bd_apk_cache_name(p->csum, name, sizeof(name)), 0);
	/* C:Q11/HhSewwwOXgl0r0ffb0O0BRtYc= */
	assert_string_equal(name, "d7f1e149ec30c0e5e0974af47df6f43b4051b587.apk");
	snprintf(cached, sizeof(cached), "%s/cache/%s", fx->dir, name);
	snprintf(src, sizeof(src), "%s/x86_64/replayout-1.0.0-r0.apk", copy);

	/* leftovers of a crashed run are swept, a fresh temporary file is not */
	run("mkdir -p '%s/cache' && touch -d '2 days ago' '%s/cache/.tmp.1.2.3' && "
	    "touch '%s/cache/.tmp.4.5.6'",
	    fx->dir, fx->dir, fx->dir);
	if (bd_apk_repos_fetch_package(&rs, p, &path, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(path, cached);
	assert_false(exists("%s/cache/.tmp.1.2.3", fx->dir));
	assert_true(exists("%s/cache/.tmp.4.5.6", fx->dir));
	free(path);
	run("cmp -s '%s' '%s'", src, cached);

	/* the cached copy is used: the source can go */
	run("mv '%s' '%s.away'", src, src);
	assert_int_equal(bd_apk_repos_fetch_package(&rs, p, NULL, &err), 0);
	/* a damaged cached copy is not trusted; with no source, that fails */
	flip_byte(cached, -100);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "package replayout-1.0.0-r0: open "));
	assert_false(exists("%s", cached));
	/* and with the source back, it is fetched again */
	run("mv '%s.away' '%s'", src, src);
	assert_int_equal(bd_apk_repos_fetch_package(&rs, p, NULL, &err), 0);
	run("cmp -s '%s' '%s'", src, cached);

	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
}

static void
corrupt_packages_are_refused(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	const char *world[] = { "replayout" };
	char copy[4200], src[4400], cached[4400], name[64];
	const struct bd_apk_solved_pkg *p;

	if (!fx->have_vec) {
		skip();
		return;
	}
	copy_vec(fx, copy, sizeof(copy));
	if (load(fx, &rs, copy, fx->key, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bd_apk_solve(rs.db, world, 1, NULL, &sol, &err), 0);
	p = find(&sol, "replayout");
	assert_int_equal(bd_apk_cache_name(p->csum, name, sizeof(name)), 0);
	snprintf(cached, sizeof(cached), "%s/cache/%s", fx->dir, name);
	snprintf(src, sizeof(src), "%s/x86_64/replayout-1.0.0-r0.apk", copy);

	/* another (valid, signed) package under this name: C: differs */
	run("cp '%s/x86_64/pretend-baselayout-1.0.0-r0.apk' '%s'", copy, src);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "package replayout-1.0.0-r0: "));
	assert_non_null(strstr(err.msg, "x86_64/replayout-1.0.0-r0.apk: checksum mismatch: the "
	                                "index says C:Q11/HhSewwwOXgl0r0ffb0O0BRtYc=, the package "
	                                "is C:Q1m6wB0UFePGN8Drz82pC8y2uAiu8="));
	assert_false(exists("%s", cached));

	/* one file's content changed, recompressed: control intact, datahash not */
	run("python3 '%s/tests/e2e/apktamper.py' data '%s/x86_64/replayout-1.0.0-r0.apk' '%s'",
	    getenv("BUILDERD_TOP") ? getenv("BUILDERD_TOP") : ".", fx->vec, src);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "package replayout-1.0.0-r0: "));
	assert_non_null(strstr(err.msg, "replayout-1.0.0-r0.apk: etc/os-release: file checksum "
	                                "mismatch"));
	assert_false(exists("%s", cached));

	/* same files, recompressed: only the datahash can tell */
	run("python3 '%s/tests/e2e/apktamper.py' recompress '%s/x86_64/replayout-1.0.0-r0.apk' "
	    "'%s'",
	    getenv("BUILDERD_TOP") ? getenv("BUILDERD_TOP") : ".", fx->vec, src);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(
	    strstr(err.msg, "replayout-1.0.0-r0.apk: datahash mismatch: .PKGINFO says "));
	assert_false(exists("%s", cached));

	/* one raw byte flipped in the compressed data */
	run("cp '%s/x86_64/replayout-1.0.0-r0.apk' '%s'", fx->vec, src);
	flip_byte(src, -200);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "package replayout-1.0.0-r0: "));
	assert_false(exists("%s", cached));

	/* a missing file */
	run("rm '%s'", src);
	assert_true(bd_apk_repos_fetch_package(&rs, p, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "No such file"));

	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
}

/* ------------------------------------------------ a fake http fetcher */

struct fake {
	const char *prefix; /* "https://repo.test/melange" */
	const char *root;   /* served directory */
	unsigned calls;
	bool fail;
};

static int
fake_fetch(void *ctx, const char *url, int out_fd, struct bd_err *err)
{
	struct fake *f = ctx;
	size_t pl = strlen(f->prefix);
	char path[4400];
	struct bd_buf body = { 0 };
	int r;

	f->calls++;
	if (f->fail)
		return bd_err_setx(err, EIO, "HTTP 503");
	if (strncmp(url, f->prefix, pl) != 0)
		return bd_err_setx(err, ENOENT, "HTTP 404");
	snprintf(path, sizeof(path), "%s%s", f->root, url + pl);
	path[strcspn(path, "?")] = '\0';
	if (bd_read_file_at(AT_FDCWD, path, 64u << 20, &body, err) < 0) {
		bd_buf_free(&body);
		return bd_err_setx(err, ENOENT, "HTTP 404");
	}
	r = bd_write_all(out_fd, body.data, body.len);
	bd_buf_free(&body);
	return r < 0 ? bd_err_set(err, -r, "write") : 0;
}

static void
remote_index_cache(void **state)
{
	struct fx *fx = *state;
	struct fake fk = { .prefix = "https://repo.test/melange" };
	struct bd_apk_repos rs;
	struct bd_apk_repos_opts o = { .arch = "x86_64", .fetch = fake_fetch, .fetch_ctx = &fk };
	struct bd_err err = { 0 };
	char cache[4200], copy[4200], cfile[4400];
	unsigned char d[BD_HASH_MAX];
	char hex[65];
	const char *url = "https://repo.test/melange/x86_64/APKINDEX.tar.gz";

	if (!fx->have_vec) {
		skip();
		return;
	}
	copy_vec(fx, copy, sizeof(copy));
	fk.root = copy;
	snprintf(cache, sizeof(cache), "%s/rcache", fx->dir);
	o.cache_dir = cache;
	bd_hash_buf(BD_HASH_SHA256, url, strlen(url), d);
	bd_hex(d, 32, hex);
	snprintf(cfile, sizeof(cfile), "%s/APKINDEX.%s.tar.gz", cache, hex);

	/* the key too comes through the fetcher */
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/melange/", &err), 0);
	if (bd_apk_repos_add_key(&rs, "https://repo.test/melange/keys/melange.rsa.pub?x=1", &err) <
	    0)
		fail_msg("%s", err.msg);
	assert_string_equal(rs.keyring.v[0].name, "melange.rsa.pub");
	if (bd_apk_repos_load(&rs, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fk.calls, 2);
	assert_true(rs.v[0].remote);
	assert_false(rs.v[0].from_cache);
	assert_true(exists("%s", cfile));
	bd_apk_repos_free(&rs);

	/* young enough: from the cache, re-verified, no fetch */
	o.index_max_age = 3600;
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/melange", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	if (bd_apk_repos_load(&rs, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fk.calls, 2);
	assert_true(rs.v[0].from_cache);
	bd_apk_repos_free(&rs);

	/* a tampered cached index is replaced from the network */
	flip_byte(cfile, -30);
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/melange", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	if (bd_apk_repos_load(&rs, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(fk.calls, 3);
	assert_false(rs.v[0].from_cache);
	bd_apk_repos_free(&rs);

	/* ... and refused offline */
	flip_byte(cfile, -30);
	o.offline = true;
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/melange", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	assert_true(bd_apk_repos_load(&rs, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "(cached as "));
	bd_apk_repos_free(&rs);
	o.offline = false;

	/* fetch failures and a bad served index never reach the cache */
	run("rm -f '%s'", cfile);
	fk.fail = true;
	o.index_max_age = 0;
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/melange", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	assert_true(bd_apk_repos_load(&rs, &err) < 0);
	assert_non_null(strstr(err.msg,
	                       "repository https://repo.test/melange: fetch "
	                       "https://repo.test/melange/x86_64/APKINDEX.tar.gz: HTTP 503"));
	bd_apk_repos_free(&rs);
	fk.fail = false;
}

static void
remote_download_and_errors(void **state)
{
	struct fx *fx = *state;
	struct fake fk = { .prefix = "https://repo.test/m" };
	struct bd_apk_repos rs;
	struct bd_apk_repos_opts o = { .arch = "x86_64", .fetch = fake_fetch, .fetch_ctx = &fk };
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	struct bd_strv paths = { 0 };
	const char *world[] = { "replayout" };
	char cache[4200], copy[4200], idx[4400];

	if (!fx->have_vec) {
		skip();
		return;
	}
	copy_vec(fx, copy, sizeof(copy));
	fk.root = copy;
	snprintf(cache, sizeof(cache), "%s/dcache", fx->dir);
	o.cache_dir = cache;
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/m", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	if (bd_apk_repos_load(&rs, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(bd_apk_solve(rs.db, world, 1, NULL, &sol, &err), 0);
	if (bd_apk_repos_fetch_solution(&rs, &sol, &paths, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(paths.n, 2);
	assert_int_equal(fk.calls, 3);
	bd_strv_free(&paths);
	/* cached now: no more fetches */
	assert_int_equal(bd_apk_repos_fetch_solution(&rs, &sol, NULL, &err), 0);
	assert_int_equal(fk.calls, 3);
	/* a served package that does not match is refused */
	run("rm -f '%s'/*.apk && cp '%s/x86_64/pretend-baselayout-1.0.0-r0.apk' "
	    "'%s/x86_64/replayout-1.0.0-r0.apk'",
	    cache, copy, copy);
	assert_true(bd_apk_repos_fetch_solution(&rs, &sol, NULL, &err) < 0);
	printf("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, "package replayout-1.0.0-r0: "
	                                "https://repo.test/m/x86_64/replayout-1.0.0-r0.apk: "
	                                "checksum mismatch"));
	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);

	/* an index signed by nobody we trust is not cached */
	run("rm -rf '%s'", cache);
	bd_apk_repos_init(&rs, &o);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/m", &err), 0);
	char other[4200];
	assert_int_equal(bd_apk_key_generate(fx->dir, "other", 2048, &err), 0);
	snprintf(other, sizeof(other), "%s/other.rsa.pub", fx->dir);
	assert_int_equal(bd_apk_repos_add_key(&rs, other, &err), 0);
	assert_true(bd_apk_repos_load(&rs, &err) < 0);
	assert_non_null(strstr(err.msg, "UNTRUSTED"));
	snprintf(idx, sizeof(idx), "%s", cache);
	run("test -z \"$(ls -A '%s' 2>/dev/null)\"", idx);
	bd_apk_repos_free(&rs);

	/* no fetcher: remote repositories are refused with a reason */
	struct bd_apk_repos_opts o2 = { .arch = "x86_64", .cache_dir = cache };
	bd_apk_repos_init(&rs, &o2);
	assert_int_equal(bd_apk_repos_add(&rs, "https://repo.test/m", &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	assert_true(bd_apk_repos_load(&rs, &err) < 0);
	assert_non_null(strstr(err.msg, "remote repositories need a fetcher"));
	assert_true(bd_apk_repos_add_key(&rs, "https://repo.test/k.rsa.pub", &err) < 0);
	assert_non_null(strstr(err.msg, "remote repositories need a fetcher"));
	bd_apk_repos_free(&rs);
}

static void
tagged_repositories(void **state)
{
	struct fx *fx = *state;
	struct bd_apk_repos rs;
	struct bd_apk_repos_opts o = { .arch = "x86_64" };
	struct bd_apk_solution sol;
	struct bd_err err = { 0 };
	const char *w1[] = { "replayout" };
	const char *w2[] = { "replayout@test" };
	char list[8400];
	struct own own;

	if (!fx->have_vec) {
		skip();
		return;
	}
	make_own(fx, &own, true);
	snprintf(list, sizeof(list),
	         "# our own repository first\n%s\n\n  @test   file://%s  \r\n# the end\n", own.repo,
	         fx->vec);
	bd_apk_repos_init(&rs, &o);
	if (bd_apk_repos_add_list(&rs, list, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rs.n, 2);
	assert_null(rs.v[0].tag);
	assert_string_equal(rs.v[1].tag, "test");
	assert_int_equal(bd_apk_repos_add_key(&rs, fx->key, &err), 0);
	assert_int_equal(bd_apk_repos_add_key(&rs, own.pub, &err), 0);
	if (bd_apk_repos_load(&rs, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(bd_apk_solve(rs.db, w1, 1, NULL, &sol, &err) < 0);
	assert_non_null(
	    strstr(err.msg, "only in repositories tagged @test (pin it: replayout@test)"));
	bd_apk_solution_free(&sol);
	assert_int_equal(bd_apk_solve(rs.db, w2, 1, NULL, &sol, &err), 0);
	assert_int_equal(sol.n, 2);
	assert_int_equal(sol.pkgs[0].repo, 1);
	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
	bd_apk_index_free(&own.idx);
}

static void
specs_and_names(void **state)
{
	struct bd_apk_repos rs;
	struct bd_err err = { 0 };
	char name[64];

	(void)state;
	bd_apk_repos_init(&rs, NULL);
	assert_string_equal(rs.arch, bd_host_arch());
	assert_true(bd_apk_repos_add(&rs, "ftp://mirror/alpine", &err) < 0);
	assert_non_null(strstr(err.msg, "unsupported URL scheme"));
	assert_true(bd_apk_repos_add(&rs, "file://host/srv/repo", &err) < 0);
	assert_non_null(strstr(err.msg, "only file:///PATH"));
	assert_true(bd_apk_repos_add(&rs, "@edge", &err) < 0);
	assert_true(bd_apk_repos_add(&rs, "https://", &err) < 0);
	assert_true(bd_apk_repos_add(&rs, "file:///a%2", &err) < 0);
	assert_true(bd_apk_repos_add(&rs, "/srv/a b", &err) < 0);
	assert_int_equal(bd_apk_repos_add(&rs, "file:///srv/my%20repo/", &err), 0);
	assert_string_equal(rs.v[0].path, "/srv/my repo");
	assert_string_equal(rs.v[0].url, "file:///srv/my%20repo");
	assert_int_equal(
	    bd_apk_repos_add(&rs, "@edge https://dl-cdn.alpinelinux.org/alpine/edge/main", &err),
	    0);
	assert_string_equal(rs.v[1].tag, "edge");
	assert_true(rs.v[1].remote);
	assert_string_equal(rs.v[1].index_url, "https://dl-cdn.alpinelinux.org/alpine/edge/main/"
	                                       "x86_64/APKINDEX.tar.gz");
	assert_true(bd_apk_repos_add_list(&rs, "/ok\nftp://no\n", &err) < 0);
	assert_non_null(strstr(err.msg, "line 2: "));
	bd_apk_repos_free(&rs);

	assert_int_equal(bd_apk_cache_name("Q1OdcsTvvaYN0eGcSC33X2A7baB/E=", name, sizeof(name)),
	                 0);
	assert_string_equal(name, "39d72c4efbda60dd1e19c482df75f603b6da07f1.apk");
	assert_int_equal(bd_apk_cache_name("Q2OdcsTvvaYN0eGcSC33X2A7baB/E=", name, sizeof(name)),
	                 -EINVAL);
	assert_int_equal(bd_apk_cache_name("Q1abc", name, sizeof(name)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(melange_as_path_and_url, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_or_missing_keys_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(unsigned_index_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(noarch_download, setup, teardown),
		cmocka_unit_test_setup_teardown(download_verifies_and_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_packages_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_index_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_download_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(tagged_repositories, setup, teardown),
		cmocka_unit_test(specs_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
