/* SPDX-License-Identifier: MIT */
/* env: build environments made of APK packages (environment.contents).
 *
 * For a recipe whose environment names repositories, the runner resolves
 * environment.contents.packages (plus the steps' `needs`) against those
 * signed repositories (apk/repo.c, apk/solve.c), downloads the resolved
 * packages into the package cache (each verified against the index's C:
 * and its datahash), and extracts them in install order into a layer
 * directory that also gets what makes it a real apk root:
 * lib/apk/db/installed (with every file and its checksum), etc/apk/world,
 * etc/apk/repositories, etc/apk/arch and etc/apk/keys.  The resolved set
 * (names, versions, checksums) is the layer's cache key, so a second build
 * with the same set reuses it at once.  The layer replaces the base rootfs.
 *
 * Not done yet: packages' .pre-install and .post-install scripts are not
 * run (packages whose setup needs them, such as busybox's --install, must
 * ship their links as files). */
#include "builderd/env.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/extract.h"
#include "apk/reader.h"
#include "apk/repo.h"
#include "apk/solve.h"
#include "common/base64.h"
#include "common/cleanup.h"
#include "proto/http.h"

static int
fetch_cb(void *ctx, const char *url, int out_fd, struct bd_err *err)
{
	struct bd_fetch_opts fo = { .retries = 2 };

	(void)ctx;
	return bd_fetch(url, out_fd, &fo, err);
}

/* lib/apk/db/installed entry for one package, with its files. */
static int
installed_entry(const struct bd_apk_solved_pkg *p, const char *apk, struct bd_buf *out,
                struct bd_err *err)
{
	struct bd_apk_read_opts ro = { .keys_dirfd = -1, .list_entries = true };
	struct bd_apk_file f;
	char cur_dir[4096] = "";
	int r;

	r = bd_apk_read_path(apk, &ro, &f, err);
	if (r < 0) {
		bd_apk_file_free(&f);
		return r;
	}
	bd_apk_index_format_entry(p->entry, out);
	/* drop the blank line: the file list belongs to the same entry */
	out->len--;
	out->data[out->len] = '\0';
	for (size_t i = 0; i < f.nentries; i++) {
		const struct bd_apk_entry *e = &f.entries[i];
		if (e->name[0] == '.')
			continue;
		if (e->type == '5') {
			bd_buf_printf(out, "F:%s\n", e->name);
			snprintf(cur_dir, sizeof(cur_dir), "%s", e->name);
			continue;
		}
		const char *slash = strrchr(e->name, '/');
		size_t dl = slash ? (size_t)(slash - e->name) : 0;
		if (strlen(cur_dir) != dl || strncmp(cur_dir, e->name, dl) != 0) {
			snprintf(cur_dir, sizeof(cur_dir), "%.*s", (int)dl, e->name);
			bd_buf_printf(out, "F:%s\n", cur_dir);
		}
		bd_buf_printf(out, "R:%s\n", slash ? slash + 1 : e->name);
		if (e->has_sha1) {
			unsigned char raw[20];
			for (int k = 0; k < 20; k++) {
				unsigned v;
				sscanf(e->sha1_hex + 2 * k, "%2x", &v);
				raw[k] = (unsigned char)v;
			}
			char *b64 = bd_base64_encode(raw, 20);
			bd_buf_printf(out, "Z:Q1%s\n", b64);
			free(b64);
		}
	}
	bd_buf_putc(out, '\n');
	bd_apk_file_free(&f);
	return 0;
}

static int
write_file(const char *root, const char *rel, const char *data, size_t n, struct bd_err *err)
{
	_cleanup_free_ char *p = bd_xasprintf("%s/%s", root, rel);
	char *slash = strrchr(p, '/');
	int r;

	*slash = '\0';
	r = bd_mkdir_p(p, 0755, err);
	*slash = '/';
	if (r == 0)
		r = bd_write_file_atomic(p, data, n, 0644, err);
	return r;
}

/* Make the layer for @sol in @dir (which must not exist). */
static int
make_layer(struct bd_apk_repos *rs, const struct bd_apk_solution *sol, const struct bd_strv *paths,
           const struct bd_env_spec *spec, const char *dir, struct bd_err *err)
{
	struct bd_buf installed = { 0 }, text = { 0 };
	_cleanup_close_ int dfd = -1;
	int r;

	if (bd_mkdir_p(dir, 0755, err) < 0)
		return -err->code;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bd_err_set(err, errno, "open %s", dir);
	for (size_t i = 0; i < sol->n; i++) {
		_cleanup_close_ int in = open(paths->v[i], O_RDONLY | O_CLOEXEC);
		struct bd_extract_opts eo = { .apk = true };
		if (in < 0)
			return bd_err_set(err, errno, "open %s", paths->v[i]);
		r = bd_extract_fd(in, paths->v[i], dfd, &eo, NULL, err);
		if (r < 0)
			return bd_err_prefix(err, "install %s-%s: ", sol->pkgs[i].name,
			                     sol->pkgs[i].version);
		r = installed_entry(&sol->pkgs[i], paths->v[i], &installed, err);
		if (r < 0)
			goto out;
	}
	r = write_file(dir, "lib/apk/db/installed", installed.data ? installed.data : "",
	               installed.len, err);
	for (size_t i = 0; r == 0 && i < spec->packages->n; i++)
		bd_buf_printf(&text, "%s\n", spec->packages->v[i]);
	if (r == 0)
		r = write_file(dir, "etc/apk/world", text.data ? text.data : "", text.len, err);
	bd_buf_reset(&text);
	for (size_t i = 0; r == 0 && i < rs->n; i++)
		bd_buf_printf(&text, "%s%s%s\n", rs->v[i].tag ? "@" : "",
		              rs->v[i].tag ? rs->v[i].tag : "", rs->v[i].url);
	if (r == 0)
		r = write_file(dir, "etc/apk/repositories", text.data ? text.data : "", text.len,
		               err);
	bd_buf_reset(&text);
	bd_buf_printf(&text, "%s\n", rs->arch);
	if (r == 0)
		r = write_file(dir, "etc/apk/arch", text.data, text.len, err);
	/* the keyring, under the file names signatures use */
	for (size_t i = 0; r == 0 && i < spec->keyring->n; i++) {
		const char *k = spec->keyring->v[i];
		const char *base = strrchr(k, '/');
		struct bd_buf kb = { 0 };
		base = base ? base + 1 : k;
		if (strstr(k, "://") == NULL &&
		    bd_read_file_at(AT_FDCWD, k, 65536, &kb, err) == 0) {
			_cleanup_free_ char *rel = bd_xasprintf("etc/apk/keys/%s", base);
			r = write_file(dir, rel, kb.data, kb.len, err);
		}
		bd_buf_free(&kb);
		bd_err_clear(err);
	}
out:
	bd_buf_free(&installed);
	bd_buf_free(&text);
	return r;
}

int
bd_env_build(const struct bd_env_spec *spec, struct bd_env_result *res, struct bd_err *err)
{
	struct bd_apk_repos_opts ro = {
		.arch = spec->arch,
		.cache_dir = spec->pkg_cache,
		.fetch = fetch_cb,
		.index_max_age = 300,
	};
	struct bd_apk_repos rs;
	struct bd_apk_solution sol = { 0 };
	struct bd_strv paths = { 0 };
	struct bd_buf key = { 0 };
	unsigned char d[BD_HASH_MAX];
	char hex[65];
	struct stat st;
	int r;

	memset(res, 0, sizeof(*res));
	bd_apk_repos_init(&rs, &ro);
	for (size_t i = 0; i < spec->repositories->n; i++)
		if ((r = bd_apk_repos_add(&rs, spec->repositories->v[i], err)) < 0)
			goto out;
	for (size_t i = 0; i < spec->keyring->n; i++)
		if ((r = bd_apk_repos_add_key(&rs, spec->keyring->v[i], err)) < 0)
			goto out;
	r = bd_apk_repos_load(&rs, err);
	if (r < 0)
		goto out;
	r = bd_apk_solve(rs.db, (const char *const *)(void *)spec->packages->v, spec->packages->n,
	                 NULL, &sol, err);
	if (r < 0)
		goto out;
	r = bd_apk_repos_fetch_solution(&rs, &sol, &paths, err);
	if (r < 0)
		goto out;
	/* the resolved set is the layer's identity */
	bd_buf_printf(&key, "arch %s\n", rs.arch);
	for (size_t i = 0; i < sol.n; i++) {
		bd_buf_printf(&key, "%s %s %s\n", sol.pkgs[i].name, sol.pkgs[i].version,
		              sol.pkgs[i].csum);
		bd_strv_push_owned(&res->resolved,
		                   bd_xasprintf("%s %s %s", sol.pkgs[i].name, sol.pkgs[i].version,
		                                sol.pkgs[i].csum));
	}
	bd_hash_buf(BD_HASH_SHA256, key.data, key.len, d);
	bd_hex(d, 32, hex);
	snprintf(res->digest, sizeof(res->digest), "%s", hex);
	res->layer = bd_xasprintf("%s/apk-%s", spec->layer_cache, hex);
	if (stat(res->layer, &st) == 0) {
		res->cached = true;
		goto out;
	}
	{
		_cleanup_free_ char *tmp = bd_xasprintf("%s.tmp.%ld", res->layer, (long)getpid());
		struct bd_err e2 = { 0 };
		(void)!bd_rm_rf_at(AT_FDCWD, tmp, &e2);
		r = make_layer(&rs, &sol, &paths, spec, tmp, err);
		if (r == 0 && rename(tmp, res->layer) < 0) {
			if (errno == EEXIST || errno == ENOTEMPTY) /* another job made it first */
				(void)!bd_rm_rf_at(AT_FDCWD, tmp, &e2);
			else
				r = bd_err_set(err, errno, "rename %s", tmp);
		}
		if (r < 0)
			(void)!bd_rm_rf_at(AT_FDCWD, tmp, &e2);
	}
out:
	if (r < 0) {
		free(res->layer);
		res->layer = NULL;
		bd_err_prefix(err, "environment: ");
	}
	bd_buf_free(&key);
	bd_strv_free(&paths);
	bd_apk_solution_free(&sol);
	bd_apk_repos_free(&rs);
	return r;
}

void
bd_env_result_free(struct bd_env_result *res)
{
	free(res->layer);
	bd_strv_free(&res->resolved);
	memset(res, 0, sizeof(*res));
}
