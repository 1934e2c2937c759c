/* SPDX-License-Identifier: MIT */
/* pack: tree walk, output policy and the three-segment package writer.
 *
 * Order of work: (1) walk the tree from its dirfd, collecting entries and
 * applying the policy, so a rejected tree costs no compression; (2) write
 * the data segment to an unlinked temporary file, hashing its compressed
 * bytes (datahash) as they are produced; (3) build .PKGINFO with size and
 * datahash, compress the control segment, sign it; (4) write signature,
 * control and data to a temporary name and rename it into place.
 *
 * Segment layout facts: apk-format.md sections 0-5. */
#include "apk/pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/gz.h"
#include "apk/index.h"
#include "apk/reader.h"
#include "apk/tar.h"
#include "common/cleanup.h"
#include "common/util.h"

#define DEFAULT_MAX_ENTRIES 1000000
#define DEFAULT_MAX_BYTES (64ull << 30)
#define DEFAULT_MAX_DEPTH 256
/* files up to this size are read once into memory; larger ones twice */
#define SMALL_FILE (1u << 20)

struct ent {
	char *path;    /* relative, no leading "./" */
	char *link;    /* symlink target, or hardlink target path */
	char type;     /* tar type */
	unsigned mode; /* permission bits */
	uint64_t size;
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
};

struct walk {
	const struct bd_apk_pack_policy *pol;
	uint64_t max_entries, max_bytes;
	unsigned max_depth;
	dev_t root_dev;
	struct ent *v;
	size_t n, cap;
	uint64_t total_bytes;
};

bool
bd_apk_script_type_valid(const char *type)
{
	static const char *const types[] = { ".pre-install",    ".post-install", ".pre-deinstall",
		                             ".post-deinstall", ".pre-upgrade",  ".post-upgrade",
		                             ".trigger" };

	for (size_t i = 0; i < BD_ARRAY_SIZE(types); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

static struct ent *
push_ent(struct walk *w)
{
	w->v = bd_grow(w->v, &w->cap, w->n + 1, sizeof(*w->v), 256);
	memset(&w->v[w->n], 0, sizeof(w->v[0]));
	return &w->v[w->n++];
}

static void
free_walk(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].link);
	}
	free(w->v);
}

/* Does relative symlink @target, placed in directory @dir (relative to the
 * package root), stay inside the root when resolved lexically? */
static bool
symlink_escapes(const char *dir, const char *target)
{
	long depth = 0;

	if (target[0] == '/')
		return false; /* absolute targets are judged by the policy */
	for (const char *p = dir; *p;) {
		const char *s = strchr(p, '/');
		depth++;
		p = s ? s + 1 : p + strlen(p);
	}
	for (const char *p = target; *p;) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return false;
}

static int
check_name(const char *path, const char *name, unsigned depth, const struct walk *w,
           struct bd_err *err)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return bd_err_setx(err, EINVAL,
			                   "%s: control character in file name (apk rejects it)",
			                   path);
	if (depth == 0 && name[0] == '.')
		return bd_err_setx(
		    err, EINVAL, "%s: top-level dot entry would be silently skipped by apk", path);
	if (strlen(path) > BD_TAR_PATH_MAX)
		return bd_err_setx(err, ENAMETOOLONG, "%.64s...: path longer than %d bytes", path,
		                   BD_TAR_PATH_MAX);
	if (depth >= w->max_depth)
		return bd_err_setx(err, ELOOP, "%s: deeper than %u directories", path,
		                   w->max_depth);
	return 0;
}

static int
check_mode(const char *path, const struct stat *st, const struct walk *w, struct bd_err *err)
{
	const struct bd_apk_pack_policy *pol = w->pol;

	if (pol->expect_uid >= 0 && (long)st->st_uid != pol->expect_uid)
		return bd_err_setx(err, EPERM, "%s: owned by uid %u, expected %ld", path,
		                   (unsigned)st->st_uid, pol->expect_uid);
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) && !pol->allow_setuid)
		return bd_err_setx(err, EPERM,
		                   "%s: setuid/setgid bit set (mode %04o); not allowed by the "
		                   "output policy",
		                   path, (unsigned)(st->st_mode & 07777));
	if (pol->reject_writable) {
		if (S_ISREG(st->st_mode) && (st->st_mode & 022))
			return bd_err_setx(err, EPERM, "%s: group or world writable (mode %04o)",
			                   path, (unsigned)(st->st_mode & 07777));
		if (S_ISDIR(st->st_mode) && (st->st_mode & 002) && !(st->st_mode & S_ISVTX))
			return bd_err_setx(err, EPERM,
			                   "%s: world-writable directory without sticky bit", path);
	}
	return 0;
}

static int
walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth, struct bd_err *err)
{
	struct bd_strv names = { 0 };
	int r;

	/* byte order: reproducible whatever the filesystem returns */
	r = bd_dir_names_sorted(dfd, *prefix ? prefix : ".", &names, err);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < names.n; i++) {
		const char *name = names.v[i];
		_cleanup_free_ char *path =
		    *prefix ? bd_xasprintf("%s/%s", prefix, name) : bd_xstrdup(name);
		struct stat st;
		struct ent *e;

		r = check_name(path, name, depth, w, err);
		if (r < 0)
			goto out;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bd_err_set(err, errno, "stat %s", path);
			goto out;
		}
		if (w->n >= w->max_entries) {
			r = bd_err_setx(err, E2BIG, "%s: more than %llu entries in the tree", path,
			                (unsigned long long)w->max_entries);
			goto out;
		}
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) {
			r = check_mode(path, &st, w, err);
			if (r < 0)
				goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = -1;

			if (st.st_dev != w->root_dev) {
				r = bd_err_setx(err, EXDEV, "%s: a mount point inside the tree",
				                path);
				goto out;
			}
			e = push_ent(w);
			e->path = bd_xstrdup(path);
			e->type = '5';
			e->mode = st.st_mode & 07777;
			sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				r = bd_err_set(err, errno, "open directory %s", path);
				goto out;
			}
			r = walk_dir(w, sub, path, depth + 1, err);
			if (r < 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			e = push_ent(w);
			e->path = bd_xstrdup(path);
			e->type = '0';
			e->mode = st.st_mode & 07777;
			e->size = (uint64_t)st.st_size;
			e->dev = st.st_dev;
			e->ino = st.st_ino;
			e->nlink = st.st_nlink;
			if (e->size > BD_TAR_SIZE_MAX) {
				r = bd_err_setx(err, EFBIG,
				                "%s: %llu bytes, larger than a tar entry "
				                "apk can read",
				                path, (unsigned long long)e->size);
				goto out;
			}
			w->total_bytes += e->size;
			if (w->total_bytes > w->max_bytes) {
				r = bd_err_setx(err, EFBIG,
				                "%s: the tree holds more than %llu bytes", path,
				                (unsigned long long)w->max_bytes);
				goto out;
			}
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX + 1];
			ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
			if (n < 0) {
				r = bd_err_set(err, errno, "readlink %s", path);
				goto out;
			}
			target[n] = '\0';
			if (n == 0) {
				r = bd_err_setx(err, EINVAL, "%s: empty symlink", path);
				goto out;
			}
			if (target[0] == '/' && w->pol->forbid_absolute_symlinks) {
				r = bd_err_setx(
				    err, EPERM,
				    "%s: symlink to absolute path %s is forbidden by the "
				    "output policy",
				    path, target);
				goto out;
			}
			if (symlink_escapes(prefix, target)) {
				r = bd_err_setx(err, EPERM,
				                "%s: symlink target %s escapes the package root",
				                path, target);
				goto out;
			}
			if ((size_t)n > BD_TAR_PATH_MAX) {
				r = bd_err_setx(err, ENAMETOOLONG, "%s: symlink target too long",
				                path);
				goto out;
			}
			e = push_ent(w);
			e->path = bd_xstrdup(path);
			e->link = bd_xstrdup(target);
			e->type = '2';
			e->mode = 0777;
		} else {
			const char *kind = S_ISCHR(st.st_mode)    ? "character device"
			                   : S_ISBLK(st.st_mode)  ? "block device"
			                   : S_ISFIFO(st.st_mode) ? "FIFO"
			                   : S_ISSOCK(st.st_mode) ? "socket"
			                                          : "special file";
			r = bd_err_setx(err, EPERM,
			                "%s: %s; only regular files, directories, symlinks and "
			                "hardlinks may be packaged",
			                path, kind);
			goto out;
		}
	}
out:
	bd_strv_free(&names);
	return r;
}

static int
ino_cmp(const void *a, const void *b)
{
	const struct ent *const *x = a, *const *y = b;

	if ((*x)->dev != (*y)->dev)
		return (*x)->dev < (*y)->dev ? -1 : 1;
	if ((*x)->ino != (*y)->ino)
		return (*x)->ino < (*y)->ino ? -1 : 1;
	/* walk order: the earliest path is the one the others link to */
	return *x < *y ? -1 : (*x > *y);
}

/* Turn files sharing an inode into hardlinks to the first one, and reject
 * inodes that have links outside the tree (threats.md row 36). */
static int
resolve_hardlinks(struct walk *w, uint64_t *installed, struct bd_err *err)
{
	struct ent **multi = NULL;
	size_t nmulti = 0;
	int r = 0;

	*installed = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].type != '0')
			continue;
		if (w->v[i].nlink > 1)
			nmulti++;
		else
			*installed += w->v[i].size;
	}
	if (nmulti == 0)
		return 0;
	multi = bd_xmalloc(nmulti * sizeof(*multi));
	nmulti = 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].type == '0' && w->v[i].nlink > 1)
			multi[nmulti++] = &w->v[i];
	qsort(multi, nmulti, sizeof(*multi), ino_cmp);
	for (size_t i = 0; i < nmulti;) {
		size_t j = i + 1;
		while (j < nmulti && multi[j]->dev == multi[i]->dev &&
		       multi[j]->ino == multi[i]->ino)
			j++;
		if ((nlink_t)(j - i) != multi[i]->nlink) {
			r = bd_err_setx(err, EPERM,
			                "%s: hard link count %lu but %zu link(s) inside the tree; "
			                "hardlinks leaving the tree are not allowed",
			                multi[i]->path, (unsigned long)multi[i]->nlink, j - i);
			goto out;
		}
		*installed += multi[i]->size;
		for (size_t k = i + 1; k < j; k++) {
			multi[k]->type = '1';
			multi[k]->link = bd_xstrdup(multi[i]->path);
			multi[k]->size = 0;
		}
		i = j;
	}
out:
	free(multi);
	return r;
}

/* ------------------------------------------------------------ writing */

struct data_sink {
	int fd;
	const char *what;
	struct bd_hash *sha256;
	uint64_t bytes;
};

static int
data_sink_write(void *ctx, const void *data, size_t n, struct bd_err *err)
{
	struct data_sink *s = ctx;
	int r = bd_write_all(s->fd, data, n);

	if (r < 0)
		return bd_err_set(err, -r, "write %s", s->what);
	bd_hash_update(s->sha256, data, n);
	s->bytes += n;
	return 0;
}

/* Open entry @path below @root without following symlinks anywhere, and
 * make sure it is still the file the walk saw. */
static int
open_entry(int root, const struct ent *e, struct bd_err *err)
{
	struct stat st;
	int fd = bd_openat_beneath(root, e->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0, err);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int x = errno;
		close(fd);
		return bd_err_set(err, x, "stat %s", e->path);
	}
	if (!S_ISREG(st.st_mode) || st.st_ino != e->ino || st.st_dev != e->dev ||
	    (uint64_t)st.st_size != e->size) {
		close(fd);
		return bd_err_setx(err, EAGAIN, "%s: changed while being packaged", e->path);
	}
	return fd;
}

static int
read_exact(int fd, void *buf, size_t n, const char *path, struct bd_err *err)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return bd_err_set(err, errno, "read %s", path);
		if (r == 0)
			return bd_err_setx(err, EAGAIN, "%s: shrank while being packaged", path);
		got += (size_t)r;
	}
	return 0;
}

static int
sha1_fd(int fd, uint64_t size, const char *path, unsigned char *out, struct bd_err *err)
{
	struct bd_hash *h = bd_hash_new(BD_HASH_SHA1);
	static unsigned char buf[1 << 17];
	int r = 0;

	for (uint64_t left = size; left > 0;) {
		size_t n = left > sizeof(buf) ? sizeof(buf) : (size_t)left;
		r = read_exact(fd, buf, n, path, err);
		if (r < 0)
			break;
		bd_hash_update(h, buf, n);
		left -= n;
	}
	bd_hash_final(h, out);
	bd_hash_free(h);
	return r;
}

static int
emit_header(struct bd_gz_writer *gz, struct bd_buf *hb, const struct bd_tar_hdr *h,
            struct bd_err *err)
{
	bd_buf_reset(hb);
	int r = bd_tar_write_header(hb, h, BD_TAR_POSIX, err);
	if (r < 0)
		return r;
	return bd_gz_write(gz, hb->data, hb->len, err);
}

static int
emit_padding(struct bd_gz_writer *gz, uint64_t size, struct bd_err *err)
{
	static const char zeros[BD_TAR_BLOCK];
	size_t rem = (size_t)(size % BD_TAR_BLOCK);

	return rem ? bd_gz_write(gz, zeros, BD_TAR_BLOCK - rem, err) : 0;
}

static int
write_file_entry(int root, const struct ent *e, const struct bd_tar_hdr *base,
                 struct bd_gz_writer *gz, struct bd_buf *hb, struct bd_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ unsigned char *small = NULL;
	unsigned char sha1[BD_HASH_MAX], again[BD_HASH_MAX];
	char hex[41];
	struct bd_tar_hdr h = *base;
	int r;

	fd = open_entry(root, e, err);
	if (fd < 0)
		return fd;
	if (e->size <= SMALL_FILE) {
		small = bd_xmalloc(e->size ? e->size : 1);
		r = read_exact(fd, small, (size_t)e->size, e->path, err);
		if (r < 0)
			return r;
		bd_hash_buf(BD_HASH_SHA1, small, (size_t)e->size, sha1);
	} else {
		/* the checksum header precedes the content: hash first, then
		 * stream, and make sure the content did not change between */
		r = sha1_fd(fd, e->size, e->path, sha1, err);
		if (r < 0)
			return r;
		if (lseek(fd, 0, SEEK_SET) < 0)
			return bd_err_set(err, errno, "seek %s", e->path);
	}
	bd_hex(sha1, 20, hex);
	h.sha1_hex = hex;
	r = emit_header(gz, hb, &h, err);
	if (r < 0)
		return r;
	if (small) {
		r = bd_gz_write(gz, small, (size_t)e->size, err);
	} else {
		struct bd_hash *hh = bd_hash_new(BD_HASH_SHA1);
		static unsigned char buf[1 << 17];
		for (uint64_t left = e->size; left > 0 && r == 0;) {
			size_t n = left > sizeof(buf) ? sizeof(buf) : (size_t)left;
			r = read_exact(fd, buf, n, e->path, err);
			if (r == 0) {
				bd_hash_update(hh, buf, n);
				r = bd_gz_write(gz, buf, n, err);
			}
			left -= n;
		}
		bd_hash_final(hh, again);
		bd_hash_free(hh);
		if (r == 0 && memcmp(sha1, again, 20) != 0)
			r = bd_err_setx(err, EAGAIN, "%s: changed while being packaged", e->path);
	}
	if (r < 0)
		return r;
	return emit_padding(gz, e->size, err);
}

static int
write_data(int root, const struct walk *w, const struct bd_apk_pack_opts *o, struct data_sink *sink,
           struct bd_err *err)
{
	struct bd_gz_writer *gz = bd_gz_writer_new(o->level ? o->level : 6, data_sink_write, sink);
	struct bd_buf hb = { 0 };
	int r = 0;

	for (size_t i = 0; i < w->n && r == 0; i++) {
		const struct ent *e = &w->v[i];
		struct bd_tar_hdr h = {
			.name = e->path,
			.type = e->type,
			.mode = e->mode,
			.mtime = o->mtime,
			.size = e->type == '0' ? e->size : 0,
			.uname = "root",
			.gname = "root",
		};
		unsigned char sha1[BD_HASH_MAX];
		char hex[41];

		switch (e->type) {
		case '0':
			r = write_file_entry(root, e, &h, gz, &hb, err);
			break;
		case '2':
			/* apk-tools hashes a symlink's target string */
			bd_hash_buf(BD_HASH_SHA1, e->link, strlen(e->link), sha1);
			bd_hex(sha1, 20, hex);
			h.linkname = e->link;
			h.sha1_hex = hex;
			r = emit_header(gz, &hb, &h, err);
			break;
		case '1':
			h.linkname = e->link;
			r = emit_header(gz, &hb, &h, err);
			break;
		case '5':
		default:
			r = emit_header(gz, &hb, &h, err);
			break;
		}
	}
	if (r == 0) {
		bd_buf_reset(&hb);
		bd_tar_write_end(&hb);
		r = bd_gz_write(gz, hb.data, hb.len, err);
	}
	bd_buf_free(&hb);
	if (r < 0) {
		bd_gz_writer_free(gz);
		return r;
	}
	return bd_gz_finish(gz, err);
}

static int
build_control(const struct bd_apk_pkginfo *pi, const struct bd_apk_pack_opts *o, struct bd_buf *out,
              struct bd_err *err)
{
	struct bd_buf text = { 0 }, tar = { 0 };
	struct bd_gz_writer *gz;
	int r;

	r = bd_apk_pkginfo_format(pi, o->generator ? o->generator : "builderd", &text, err);
	if (r < 0)
		goto out;
	struct bd_tar_hdr h = {
		.name = ".PKGINFO",
		.type = '0',
		.mode = 0644,
		.size = text.len,
		.mtime = o->mtime,
		.uname = "root",
		.gname = "root",
	};
	r = bd_tar_write_entry(&tar, &h, text.data, BD_TAR_POSIX, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < o->nscripts; i++) {
		const struct bd_apk_script *s = &o->scripts[i];
		struct bd_tar_hdr sh = {
			.name = s->type,
			.type = '0',
			.mode = 0755,
			.size = s->len,
			.mtime = o->mtime,
			.uname = "root",
			.gname = "root",
		};
		r = bd_tar_write_entry(&tar, &sh, s->content, BD_TAR_POSIX, err);
		if (r < 0)
			goto out;
	}
	/* no end-of-archive blocks: the data tar continues the stream (§0.2) */
	gz = bd_gz_writer_new(9, bd_gz_sink_buf, out);
	r = bd_gz_write(gz, tar.data, tar.len, err);
	if (r < 0)
		bd_gz_writer_free(gz);
	else
		r = bd_gz_finish(gz, err);
out:
	bd_buf_free(&text);
	bd_buf_free(&tar);
	return r;
}

static int
open_tmp_in_dir_of(const char *path, char **tmp_name, struct bd_err *err)
{
	_cleanup_free_ char *dir = bd_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd;

	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (tmp_name) {
		*tmp_name = bd_xasprintf("%s.tmp.XXXXXX", path);
		fd = mkostemp(*tmp_name, O_CLOEXEC);
		if (fd < 0)
			return bd_err_set(err, errno, "create temporary file for %s", path);
		return fd;
	}
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == ENOENT)) {
		_cleanup_free_ char *t = bd_xasprintf("%s.data.XXXXXX", path);
		fd = mkostemp(t, O_CLOEXEC);
		if (fd >= 0)
			(void)unlink(t);
	}
	if (fd < 0)
		return bd_err_set(err, errno, "create temporary file in %s", dir);
	return fd;
}

static int
copy_fd(int in, int out, uint64_t n, const char *what, struct bd_err *err)
{
	off_t off = 0;

	while ((uint64_t)off < n) {
		size_t chunk =
		    n - (uint64_t)off > (1u << 30) ? (1u << 30) : (size_t)(n - (uint64_t)off);
		ssize_t r = copy_file_range(in, &off, out, NULL, chunk, 0);
		if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL))
			r = sendfile(out, in, &off, chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bd_err_set(err, errno, "write %s", what);
		}
		if (r == 0)
			return bd_err_setx(err, EIO, "write %s: short copy", what);
	}
	return 0;
}

int
bd_apk_pack(int root_dirfd, const struct bd_apk_pack_opts *o, const char *out_path,
            struct bd_apk_pack_result *res, struct bd_err *err)
{
	struct walk w = { .pol = &o->policy };
	struct bd_apk_pkginfo pi;
	struct bd_buf head = { 0 }, control = { 0 };
	struct data_sink sink = { .fd = -1, .what = out_path };
	_cleanup_close_ int out = -1;
	_cleanup_free_ char *tmp = NULL;
	struct stat rst;
	unsigned char d[BD_HASH_MAX];
	uint64_t installed = 0;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&pi, 0, sizeof(pi));
	w.max_entries = o->policy.max_entries ? o->policy.max_entries : DEFAULT_MAX_ENTRIES;
	w.max_bytes = o->policy.max_total_bytes ? o->policy.max_total_bytes : DEFAULT_MAX_BYTES;
	w.max_depth = o->policy.max_depth ? o->policy.max_depth : DEFAULT_MAX_DEPTH;
	for (size_t i = 0; i < o->nscripts; i++)
		if (!bd_apk_script_type_valid(o->scripts[i].type))
			return bd_err_setx(err, EINVAL, "unknown install script type '%s'",
			                   o->scripts[i].type);
	r = bd_apk_pkginfo_validate(o->info, err);
	if (r < 0)
		return r;
	if (fstat(root_dirfd, &rst) < 0)
		return bd_err_set(err, errno, "stat package root");
	if (!S_ISDIR(rst.st_mode))
		return bd_err_setx(err, ENOTDIR, "package root is not a directory");
	w.root_dev = rst.st_dev;

	/* 1: walk and police the tree */
	r = walk_dir(&w, root_dirfd, "", 0, err);
	if (r == 0)
		r = resolve_hardlinks(&w, &installed, err);
	if (r < 0)
		goto out;

	/* 2: data segment to an anonymous temporary file */
	sink.fd = open_tmp_in_dir_of(out_path, NULL, err);
	if (sink.fd < 0) {
		r = sink.fd;
		goto out;
	}
	sink.sha256 = bd_hash_new(BD_HASH_SHA256);
	r = write_data(root_dirfd, &w, o, &sink, err);
	if (r < 0)
		goto out;

	/* 3: control with size and datahash, signed */
	bd_apk_pkginfo_copy(&pi, o->info);
	/* apk unpacks nothing when size is 0 (§0.5); abuild forces 1 */
	pi.installed_size = installed ? installed : (w.n || o->nscripts ? 1 : 0);
	bd_hash_final(sink.sha256, d);
	bd_hex(d, 32, pi.datahash);
	if (!pi.builddate)
		pi.builddate = o->mtime;
	r = build_control(&pi, o, &control, err);
	if (r < 0)
		goto out;
	if (o->key) {
		r = bd_apk_signature_member(o->key, o->sig_alg, control.data, control.len, o->mtime,
		                            &head, err);
		if (r < 0)
			goto out;
	}
	bd_buf_append(&head, control.data, control.len);

	/* 4: assemble under a temporary name, then rename into place */
	out = open_tmp_in_dir_of(out_path, &tmp, err);
	if (out < 0) {
		r = out;
		goto out;
	}
	r = bd_write_all(out, head.data, head.len);
	if (r < 0) {
		r = bd_err_set(err, -r, "write %s", tmp);
		goto out;
	}
	r = copy_fd(sink.fd, out, sink.bytes, tmp, err);
	if (r < 0)
		goto out;
	if (fchmod(out, 0644) < 0 || fsync(out) < 0) {
		r = bd_err_set(err, errno, "write %s", tmp);
		goto out;
	}
	if (rename(tmp, out_path) < 0) {
		r = bd_err_set(err, errno, "rename %s to %s", tmp, out_path);
		goto out;
	}
	free(tmp);
	tmp = NULL;

	bd_hash_buf(BD_HASH_SHA1, control.data, control.len, d);
	bd_apk_q1_encode(d, res->identity);
	res->file_size = head.len + sink.bytes;
	res->installed_size = pi.installed_size;
	memcpy(res->datahash, pi.datahash, sizeof(res->datahash));
	res->nentries = w.n;
	res->info = pi;
	memset(&pi, 0, sizeof(pi));
out:
	if (tmp)
		(void)unlink(tmp);
	bd_apk_pkginfo_free(&pi);
	bd_buf_free(&head);
	bd_buf_free(&control);
	if (sink.fd >= 0)
		close(sink.fd);
	bd_hash_free(sink.sha256);
	free_walk(&w);
	return r;
}
