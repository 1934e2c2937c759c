/* SPDX-License-Identifier: MIT */
/* repo: APK repository client (see repo.h).
 *
 * Everything that enters the cache is written to a temporary file inside
 * the cache directory, verified there (the bytes verified are the bytes
 * kept: no window in which another file could be swapped in), fsynced and
 * renamed into place.  Cached files are opened with O_NOFOLLOW and
 * verified again before use, so a cache that was tampered with or
 * truncated by a crash costs a re-download, never trust. */
#include "apk/repo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apk/crypto.h"
#include "apk/version.h"
#include "common/base64.h"
#include "common/cleanup.h"

#define KEY_URL_MAX (64 * 1024)

void
bd_apk_repos_init(struct bd_apk_repos *rs, const struct bd_apk_repos_opts *opts)
{
	memset(rs, 0, sizeof(*rs));
	rs->arch = bd_xstrdup(opts && opts->arch ? opts->arch : bd_host_arch());
	if (opts) {
		rs->cache_dir = opts->cache_dir ? bd_xstrdup(opts->cache_dir) : NULL;
		rs->fetch = opts->fetch;
		rs->fetch_ctx = opts->fetch_ctx;
		rs->index_max_age = opts->index_max_age;
		rs->offline = opts->offline;
	}
}

void
bd_apk_repos_free(struct bd_apk_repos *rs)
{
	bd_apk_db_free(rs->db);
	for (size_t i = 0; i < rs->n; i++) {
		struct bd_apk_repo *r = &rs->v[i];
		free(r->url);
		free(r->tag);
		free(r->path);
		free(r->index_url);
		bd_apk_file_free(&r->file);
	}
	free(rs->v);
	bd_apk_keyring_free(&rs->keyring);
	free(rs->arch);
	free(rs->cache_dir);
	memset(rs, 0, sizeof(*rs));
}

static bool
is_remote(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The local path of "file://[localhost]/p%20ath" or of a plain path;
 * NULL with @err set for anything else. */
static char *
local_path(const char *url, struct bd_err *err)
{
	const char *p = url;
	bool file_url = strncmp(url, "file://", 7) == 0;
	char *out, *o;

	if (file_url) {
		p = url + 7;
		if (strncmp(p, "localhost/", 10) == 0)
			p += 9;
		if (*p != '/') {
			bd_err_setx(err, EINVAL, "%s: only file:///PATH and file://localhost/PATH",
			            url);
			return NULL;
		}
	} else if (strstr(url, "://")) {
		bd_err_setx(err, EPROTONOSUPPORT,
		            "%s: unsupported URL scheme (http, https, file or a path)", url);
		return NULL;
	}
	out = o = bd_xmalloc(strlen(p) + 1);
	for (; *p; p++) {
		if (*p == '%' && file_url) {
			int a = hexval(p[1]), b = a >= 0 ? hexval(p[2]) : -1;
			if (a < 0 || b < 0 || (a == 0 && b == 0)) {
				free(out);
				bd_err_setx(err, EINVAL, "%s: bad %%-escape", url);
				return NULL;
			}
			*o++ = (char)(a << 4 | b);
			p += 2;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	if (!*out) {
		free(out);
		bd_err_setx(err, EINVAL, "empty repository path");
		return NULL;
	}
	return out;
}

static bool
has_ctl_or_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

int
bd_apk_repos_add(struct bd_apk_repos *rs, const char *spec, struct bd_err *err)
{
	_cleanup_free_ char *tmp = bd_xstrdup(spec);
	char *url = tmp, *tag = NULL, *end;
	struct bd_apk_repo r = { 0 };

	url += strspn(url, " \t");
	end = url + strlen(url);
	while (end > url && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		*--end = '\0';
	if (*url == '@') {
		tag = url + 1;
		url = tag + strcspn(tag, " \t");
		if (!*url)
			return bd_err_setx(err, EINVAL, "repository '%s': a tag needs a URL", spec);
		*url++ = '\0';
		url += strspn(url, " \t");
		if (!*tag || strpbrk(tag, "@/") || has_ctl_or_space(tag))
			return bd_err_setx(err, EINVAL, "repository '%s': bad tag", spec);
	}
	if (!*url)
		return bd_err_setx(err, EINVAL, "empty repository");
	if (has_ctl_or_space(url))
		return bd_err_setx(err, EINVAL, "repository '%s': spaces or control characters",
		                   spec);
	if (rs->n >= BD_APK_MAX_REPOS)
		return bd_err_setx(err, E2BIG, "more than %d repositories", BD_APK_MAX_REPOS);
	r.remote = is_remote(url);
	if (r.remote) {
		const char *host = strstr(url, "://") + 3;
		if (*host == '\0' || *host == '/')
			return bd_err_setx(err, EINVAL, "repository '%s': no host", spec);
	}
	end = url + strlen(url);
	while (end > url + 1 && end[-1] == '/')
		*--end = '\0';
	if (!r.remote) {
		r.path = local_path(url, err);
		if (!r.path)
			return -err->code;
	}
	r.url = bd_xstrdup(url);
	r.tag = tag ? bd_xstrdup(tag) : NULL;
	r.index_url = bd_xasprintf("%s/%s/APKINDEX.tar.gz", url, rs->arch);
	rs->v = bd_grow(rs->v, &rs->cap, rs->n + 1, sizeof(*rs->v), 4);
	rs->v[rs->n++] = r;
	return 0;
}

int
bd_apk_repos_add_list(struct bd_apk_repos *rs, const char *text, struct bd_err *err)
{
	const char *p = text;
	unsigned line = 0;

	while (*p) {
		size_t n = strcspn(p, "\n");
		_cleanup_free_ char *l = bd_xstrndup(p, n);
		char *s = l + strspn(l, " \t\r");
		line++;
		s[strcspn(s, "\r")] = '\0';
		if (*s && *s != '#' && bd_apk_repos_add(rs, s, err) < 0)
			return bd_err_prefix(err, "line %u: ", line);
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* A fresh temporary file in @dirfd; its name goes to @name (64 bytes). */
static int
tmp_create(int dirfd, char *name, struct bd_err *err)
{
	static unsigned counter;

	for (int tries = 0; tries < 100; tries++) {
		int fd;
		snprintf(name, 64, ".tmp.%ld.%u.%lx", (long)getpid(), counter++,
		         (unsigned long)bd_now_ns());
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return bd_err_set(err, errno, "create a temporary file in the cache");
	}
	return bd_err_setx(err, EEXIST, "cannot create a temporary file in the cache");
}

/* Move the verified temporary file @tmp into place as @name. */
static int
tmp_commit(int dirfd, int fd, const char *tmp, const char *name, struct bd_err *err)
{
	if (fsync(fd) < 0) {
		int e = errno;
		(void)unlinkat(dirfd, tmp, 0);
		return bd_err_set(err, e, "fsync %s", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		(void)unlinkat(dirfd, tmp, 0);
		return bd_err_set(err, e, "rename %s to %s", tmp, name);
	}
	/* the rename itself must survive a crash too */
	(void)fsync(dirfd);
	return 0;
}

/* Remove temporary files a crashed run left behind (older than a day, so
 * a concurrent download's file is never touched).  Best effort. */
static void
sweep_tmp(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	time_t now = time(NULL);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strncmp(de->d_name, ".tmp.", 5) != 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && now - st.st_mtime > 86400)
			(void)unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

static int
open_cache(struct bd_apk_repos *rs, struct bd_err *err)
{
	int fd;

	if (!rs->cache_dir)
		return bd_err_setx(err, EINVAL, "no cache directory configured");
	if (bd_mkdir_p(rs->cache_dir, 0755, err) < 0)
		return -err->code;
	fd = open(rs->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open cache directory %s", rs->cache_dir);
	if (!rs->swept) {
		sweep_tmp(fd);
		rs->swept = true;
	}
	return fd;
}

static int
do_fetch(struct bd_apk_repos *rs, const char *url, int fd, struct bd_err *err)
{
	if (rs->offline)
		return bd_err_setx(err, ENONET, "%s: offline, not fetching", url);
	if (!rs->fetch)
		return bd_err_setx(err, EPROTONOSUPPORT,
		                   "%s: remote repositories need a fetcher (the daemon's); "
		                   "only file:// URLs and paths are read directly",
		                   url);
	if (rs->fetch(rs->fetch_ctx, url, fd, err) < 0) {
		if (!err->code)
			err->code = EIO;
		return bd_err_prefix(err, "fetch %s: ", url);
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return bd_err_set(err, errno, "fetch %s", url);
	return 0;
}

int
bd_apk_repos_add_key(struct bd_apk_repos *rs, const char *spec, struct bd_err *err)
{
	struct stat st;

	if (is_remote(spec)) {
		_cleanup_close_ int fd = memfd_create("apk-key", MFD_CLOEXEC);
		struct bd_buf pem = { 0 };
		const char *base;
		char name[256];
		int r;

		if (fd < 0)
			return bd_err_set(err, errno, "memfd");
		if (do_fetch(rs, spec, fd, err) < 0)
			return -err->code;
		r = bd_read_all(fd, KEY_URL_MAX, &pem, spec, err);
		/* the key's name is the last path component, without a query */
		base = strrchr(spec, '/');
		snprintf(name, sizeof(name), "%s", base ? base + 1 : spec);
		name[strcspn(name, "?#")] = '\0';
		if (r == 0)
			r = bd_apk_keyring_add_pem(&rs->keyring, name, pem.data, pem.len, err);
		bd_buf_free(&pem);
		if (r < 0)
			return bd_err_prefix(err, "%s: ", spec);
		return 0;
	}
	{
		_cleanup_free_ char *path = local_path(spec, err);
		if (!path)
			return -err->code;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return bd_apk_keyring_add_dir(&rs->keyring, path, err);
		return bd_apk_keyring_add_file(&rs->keyring, path, err);
	}
}

/* Read and verify the index in @fd (named @what) into @r->file. */
static int
verify_index(struct bd_apk_repos *rs, struct bd_apk_repo *r, int fd, const char *what,
             struct bd_err *err)
{
	struct bd_apk_read_opts ro = { .keys_dirfd = -1, .keyring = &rs->keyring };

	bd_apk_file_free(&r->file);
	if (bd_apk_read(fd, what, &ro, &r->file, err) < 0) {
		/* "WHAT: VERDICT: reason", with apk's verdicts (UNTRUSTED,
		 * BAD signature, BAD archive, IO ERROR) */
		size_t wl = strlen(what);
		char msg[BD_ERR_MSG_MAX];
		const char *rest = err->msg;
		if (strncmp(rest, what, wl) == 0 && rest[wl] == ':' && rest[wl + 1] == ' ')
			rest += wl + 2;
		snprintf(msg, sizeof(msg), "%s", rest);
		return bd_err_setx(err, err->code, "%s: %s: %s", what,
		                   bd_apk_status_str(r->file.status), msg);
	}
	if (r->file.kind != BD_APK_KIND_INDEX)
		return bd_err_setx(err, EINVAL, "%s: a package, not an index", what);
	if (r->file.status != BD_APK_OK)
		return bd_err_setx(err, ENOKEY, "%s: signature not checked", what);
	return 0;
}

static int
load_local(struct bd_apk_repos *rs, struct bd_apk_repo *r, struct bd_err *err)
{
	_cleanup_free_ char *path = bd_xasprintf("%s/%s/APKINDEX.tar.gz", r->path, rs->arch);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return bd_err_set(err, errno, "open %s", path);
	return verify_index(rs, r, fd, path, err);
}

static void
index_cache_name(const char *url, char *out, size_t size)
{
	unsigned char d[BD_HASH_MAX];
	char hex[2 * 32 + 1];

	bd_hash_buf(BD_HASH_SHA256, url, strlen(url), d);
	bd_hex(d, 32, hex);
	snprintf(out, size, "APKINDEX.%s.tar.gz", hex);
}

static int
load_remote(struct bd_apk_repos *rs, struct bd_apk_repo *r, struct bd_err *err)
{
	char name[128], tmp[64];
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int fd = -1;
	struct stat st;
	struct bd_err cerr = { 0 };

	if (!rs->fetch && !rs->offline)
		return do_fetch(rs, r->index_url, -1, err);
	dfd = open_cache(rs, err);
	if (dfd < 0)
		return bd_err_prefix(err, "remote index %s: ", r->index_url);
	index_cache_name(r->index_url, name, sizeof(name));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (rs->offline ||
	     (rs->index_max_age && time(NULL) - st.st_mtime < (time_t)rs->index_max_age))) {
		_cleanup_free_ char *what =
		    bd_xasprintf("%s (cached as %s/%s)", r->index_url, rs->cache_dir, name);
		if (verify_index(rs, r, fd, what, &cerr) == 0) {
			r->from_cache = true;
			return 0;
		}
		if (rs->offline) {
			*err = cerr;
			return -err->code;
		}
		/* a bad cached copy is replaced below */
	}
	bd_close_reset(&fd);
	if (rs->offline)
		return bd_err_setx(err, ENOENT, "%s: offline and not in the cache", r->index_url);
	fd = tmp_create(dfd, tmp, err);
	if (fd < 0)
		return -err->code;
	if (do_fetch(rs, r->index_url, fd, err) < 0 ||
	    verify_index(rs, r, fd, r->index_url, err) < 0) {
		/* an unverified index never enters the cache */
		(void)unlinkat(dfd, tmp, 0);
		return -err->code;
	}
	r->from_cache = false;
	return tmp_commit(dfd, fd, tmp, name, err);
}

int
bd_apk_repos_load(struct bd_apk_repos *rs, struct bd_err *err)
{
	struct bd_apk_db *db;

	if (rs->n == 0)
		return bd_err_setx(err, EINVAL, "no repositories");
	if (rs->keyring.n == 0)
		return bd_err_setx(err, ENOKEY, "no trusted keys: every index must be signed");
	for (size_t i = 0; i < rs->n; i++) {
		struct bd_apk_repo *r = &rs->v[i];
		int rc = r->remote ? load_remote(rs, r, err) : load_local(rs, r, err);
		if (rc < 0)
			return bd_err_prefix(err, "repository %s: ", r->url);
	}
	db = bd_apk_db_new();
	for (size_t i = 0; i < rs->n; i++) {
		if (bd_apk_db_add_index(db, &rs->v[i].file.index, rs->v[i].url, rs->v[i].tag, err) <
		    0) {
			bd_apk_db_free(db);
			return -err->code;
		}
	}
	bd_apk_db_prepare(db);
	bd_apk_db_free(rs->db);
	rs->db = db;
	return 0;
}

int
bd_apk_cache_name(const char *csum, char *out, size_t size)
{
	char *raw = NULL;
	char hex[41];
	long n;

	if (strncmp(csum, "Q1", 2) != 0)
		return -EINVAL;
	n = bd_base64_decode(csum + 2, strlen(csum + 2), &raw);
	if (n != 20) {
		free(raw);
		return -EINVAL;
	}
	bd_hex((const unsigned char *)raw, 20, hex);
	free(raw);
	if ((size_t)snprintf(out, size, "%s.apk", hex) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* The directory below the repository: the package's A:, or the
 * repository's arch when the index has none (apk_repo_format_real_url). */
static const char *
pkg_arch_dir(const struct bd_apk_repos *rs, const struct bd_apk_solved_pkg *p)
{
	return p->arch && *p->arch ? p->arch : rs->arch;
}

char *
bd_apk_repos_package_url(const struct bd_apk_repos *rs, const struct bd_apk_solved_pkg *p)
{
	const struct bd_apk_repo *r = &rs->v[p->repo];

	return bd_xasprintf("%s/%s/%s-%s.apk", r->url, pkg_arch_dir(rs, p), p->name, p->version);
}

/* Is @fd the package the index describes?  @what names it in messages. */
static int
verify_package(int fd, const struct bd_apk_solved_pkg *p, const char *what, struct bd_err *err)
{
	/* the package's own signature is not what vouches for it: the
	 * signed index's C: is (apk-format.md section 0.7) */
	struct bd_apk_read_opts ro = { .keys_dirfd = -1 };
	struct bd_apk_file f;
	int r;

	r = bd_apk_read(fd, what, &ro, &f, err);
	if (r == 0 && f.kind != BD_APK_KIND_PACKAGE)
		r = bd_err_setx(err, EINVAL, "%s: an index, not a package", what);
	if (r == 0 && strcmp(f.identity, p->csum) != 0)
		r = bd_err_setx(err, EBADMSG,
		                "%s: checksum mismatch: the index says C:%s, the package is C:%s",
		                what, p->csum, f.identity);
	if (r == 0 && (strcmp(f.pkginfo.name, p->name) || strcmp(f.pkginfo.version, p->version)))
		r = bd_err_setx(err, EBADMSG, "%s: is %s-%s, the index says %s-%s", what,
		                f.pkginfo.name, f.pkginfo.version, p->name, p->version);
	bd_apk_file_free(&f);
	return r;
}

static int
copy_fd(int in, int out, const char *what, struct bd_err *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bd_err_set(err, errno, "read %s", what);
		if (n == 0)
			break;
		int r = bd_write_all(out, buf, (size_t)n);
		if (r < 0)
			return bd_err_set(err, -r, "copy %s into the cache", what);
	}
	if (lseek(out, 0, SEEK_SET) < 0)
		return bd_err_set(err, errno, "copy %s", what);
	return 0;
}

/* Names from a signed index still become a path or URL: refuse anything
 * that could leave the repository directory. */
static int
check_names(const struct bd_apk_solved_pkg *p, struct bd_err *err)
{
	if (!bd_apk_name_valid(p->name) || !bd_apk_version_valid(p->version) ||
	    (p->arch && (strpbrk(p->arch, "/\\") || !strcmp(p->arch, "..") || !*p->arch ||
	                 has_ctl_or_space(p->arch))))
		return bd_err_setx(err, EINVAL, "refusing package '%s' version '%s' arch '%s'",
		                   p->name, p->version, p->arch ? p->arch : "");
	return 0;
}

int
bd_apk_repos_fetch_package(struct bd_apk_repos *rs, const struct bd_apk_solved_pkg *p, char **path,
                           struct bd_err *err)
{
	char name[64], tmp[64];
	_cleanup_close_ int dfd = -1;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *url = NULL;
	const struct bd_apk_repo *r;
	int rc;

	if (path)
		*path = NULL;
	if (p->repo >= rs->n)
		return bd_err_setx(err, EINVAL, "package %s-%s: no repository %u", p->name,
		                   p->version, p->repo);
	r = &rs->v[p->repo];
	if (check_names(p, err) < 0)
		return -err->code;
	if (bd_apk_cache_name(p->csum, name, sizeof(name)) < 0)
		return bd_err_setx(err, EINVAL, "package %s-%s: C:%s is not a Q1 checksum", p->name,
		                   p->version, p->csum);
	dfd = open_cache(rs, err);
	if (dfd < 0)
		return bd_err_prefix(err, "package %s-%s: ", p->name, p->version);
	url = bd_apk_repos_package_url(rs, p);

	/* a cached copy is used only if it still verifies */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		struct bd_err cerr = { 0 };
		_cleanup_free_ char *what = bd_xasprintf("%s/%s", rs->cache_dir, name);
		if (verify_package(fd, p, what, &cerr) == 0)
			goto done;
		(void)unlinkat(dfd, name, 0);
	}
	bd_close_reset(&fd);

	fd = tmp_create(dfd, tmp, err);
	if (fd < 0)
		return bd_err_prefix(err, "package %s-%s: ", p->name, p->version);
	if (r->remote) {
		rc = do_fetch(rs, url, fd, err);
	} else {
		_cleanup_free_ char *src = bd_xasprintf("%s/%s/%s-%s.apk", r->path,
		                                        pkg_arch_dir(rs, p), p->name, p->version);
		_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		rc = in < 0 ? bd_err_set(err, errno, "open %s", src) : copy_fd(in, fd, src, err);
	}
	if (rc == 0)
		rc = verify_package(fd, p, url, err);
	if (rc < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return bd_err_prefix(err, "package %s-%s: ", p->name, p->version);
	}
	if (tmp_commit(dfd, fd, tmp, name, err) < 0)
		return bd_err_prefix(err, "package %s-%s: ", p->name, p->version);
done:
	if (path)
		*path = bd_xasprintf("%s/%s", rs->cache_dir, name);
	return 0;
}

int
bd_apk_repos_fetch_solution(struct bd_apk_repos *rs, const struct bd_apk_solution *sol,
                            struct bd_strv *paths, struct bd_err *err)
{
	for (size_t i = 0; i < sol->n; i++) {
		char *path = NULL;
		if (bd_apk_repos_fetch_package(rs, &sol->pkgs[i], paths ? &path : NULL, err) < 0)
			return -err->code;
		if (paths)
			bd_strv_push_owned(paths, path);
	}
	return 0;
}
