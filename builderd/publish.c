/* SPDX-License-Identifier: MIT */
/* publish: the one writer of repo/<arch>/.
 *
 * Order, so that a crash at any point leaves a consistent repository (every
 * index entry's file exists and has the entry's checksum):
 *   1. the runner staged the packages in work/<job>/out and the database
 *      lists them for the job (bd_db_stage; the job is "publishing");
 *   2. each package is moved into repo/<arch>/ under a temporary name,
 *      fsynced and renamed to its final name; the directory is fsynced;
 *   3. the database marks them published (one transaction);
 *   4. the index of each affected arch is regenerated from the database
 *      (never by re-reading packages), signed, written to a temporary name,
 *      fsynced and renamed over APKINDEX.tar.gz;
 *   5. the caller marks the job succeeded.
 * A restart finds jobs still "publishing" and runs this again: every step
 * is idempotent (a package already in place with the right checksum is
 * kept).  Overwriting a published name-version with different bytes is
 * refused at staging time (bd_db_stage), as Alpine and Wolfi refuse it. */
#include "builderd/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apk/index.h"
#include "apk/reader.h"
#include "common/cleanup.h"

static int
fsync_dir(const char *dir, struct bd_err *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return bd_err_set(err, errno, "fsync %s", dir);
	return 0;
}

/* Is @path a package whose identity is @checksum? */
static bool
has_identity(const char *path, const char *checksum)
{
	struct bd_apk_read_opts ro = { .keys_dirfd = -1, .skip_file_checksums = true };
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	bool ok;

	ok = bd_apk_read_path(path, &ro, &f, &err) == 0 && strcmp(f.identity, checksum) == 0;
	bd_apk_file_free(&f);
	return ok;
}

static int
copy_to(int in, int out, const char *what, struct bd_err *err)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bd_err_set(err, errno, "read %s", what);
		}
		int r = bd_write_all(out, buf, (size_t)n);
		if (r < 0)
			return bd_err_set(err, -r, "write %s", what);
	}
	return 0;
}

/* Put @src into @dir as @file: temporary name, fsync, rename. */
static int
install_file(const char *src, const char *dir, const char *file, struct bd_err *err)
{
	_cleanup_free_ char *dst = bd_xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *tmp = bd_xasprintf("%s/.%s.tmp.%ld", dir, file, (long)getpid());
	_cleanup_close_ int in = -1, out = -1;
	int r;

	/* same filesystem: rename the staged file in; else copy */
	if (rename(src, tmp) == 0) {
		out = open(tmp, O_RDONLY | O_CLOEXEC);
		if (out < 0 || fsync(out) < 0)
			return bd_err_set(err, errno, "fsync %s", tmp);
	} else if (errno == EXDEV) {
		in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (in < 0)
			return bd_err_set(err, errno, "open %s", src);
		out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (out < 0)
			return bd_err_set(err, errno, "create %s", tmp);
		r = copy_to(in, out, tmp, err);
		if (r < 0 || fsync(out) < 0) {
			(void)unlink(tmp);
			return r < 0 ? r : bd_err_set(err, errno, "fsync %s", tmp);
		}
	} else {
		return bd_err_set(err, errno, "move %s to %s", src, tmp);
	}
	if (fchmod(out, 0644) < 0 || rename(tmp, dst) < 0) {
		r = bd_err_set(err, errno, "rename %s to %s", tmp, dst);
		(void)unlink(tmp);
		return r;
	}
	return 0;
}

int
bd_publish_index(struct bd_daemon *d, const char *arch, struct bd_err *err)
{
	_cleanup_free_ char *dir = bd_xasprintf("%s/%s", d->repo_dir, arch);
	_cleanup_free_ char *path = bd_xasprintf("%s/APKINDEX.tar.gz", dir);
	struct bd_apk_index idx = { 0 };
	struct bd_db_artifact *v = NULL;
	struct bd_buf out = { 0 };
	size_t n = 0;
	int r;

	r = bd_db_published(d->db, arch, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		bd_apk_index_add(&idx, &v[i].pi, v[i].checksum, (uint64_t)v[i].size);
	bd_apk_index_sort(&idx);
	idx.description = bd_xasprintf("builderd %s repository", arch);
	r = bd_mkdir_p(dir, 0755, err);
	if (r == 0)
		r = bd_apk_index_write(&idx, d->key, BD_HASH_SHA256, (uint64_t)time(NULL), &out,
		                       err);
	if (r == 0)
		r = bd_write_file_atomic(path, out.data, out.len, 0644, err);
	if (r == 0)
		bd_info(&d->log, "index %s: %zu packages", path, n);
	else
		bd_err_prefix(err, "index for %s: ", arch);
	bd_buf_free(&out);
	bd_apk_index_free(&idx);
	bd_db_artifacts_free(v, n);
	return r;
}

int
bd_publish_job(struct bd_daemon *d, int64_t job, struct bd_err *err)
{
	struct bd_db_artifact *v = NULL;
	struct bd_strv arches = { 0 };
	size_t n = 0;
	int r;

	r = bd_db_staged(d->db, job, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct bd_db_artifact *a = &v[i];
		_cleanup_free_ char *dir = bd_xasprintf("%s/%s", d->repo_dir, a->pi.arch);
		_cleanup_free_ char *dst = bd_xasprintf("%s/%s", dir, a->file);
		_cleanup_free_ char *src =
		    bd_xasprintf("%s/%lld/out/%s", d->work_dir, (long long)job, a->file);
		struct stat st;

		if (!bd_strv_contains(&arches, a->pi.arch))
			bd_strv_push(&arches, a->pi.arch);
		if (a->published_at)
			continue;
		r = bd_mkdir_p(dir, 0755, err);
		if (r < 0)
			break;
		if (stat(src, &st) < 0) {
			/* after a crash the file may already be in place */
			if (errno == ENOENT && has_identity(dst, a->checksum))
				continue;
			r = bd_err_set(err, errno, "staged package %s", src);
			break;
		}
		r = install_file(src, dir, a->file, err);
		if (r == 0) {
			bd_logs_append(d, job, "    published %s/%s (%lld bytes, %s)", a->pi.arch,
			               a->file, (long long)a->size, a->checksum);
			d->metrics.published_bytes += (uint64_t)a->size;
			d->metrics.published_packages++;
		}
	}
	for (size_t i = 0; i < arches.n && r == 0; i++) {
		_cleanup_free_ char *dir = bd_xasprintf("%s/%s", d->repo_dir, arches.v[i]);
		r = fsync_dir(dir, err);
	}
	if (r == 0)
		r = bd_db_mark_published(d->db, job, err);
	for (size_t i = 0; i < arches.n && r == 0; i++)
		r = bd_publish_index(d, arches.v[i], err);
	bd_strv_free(&arches);
	bd_db_artifacts_free(v, n);
	if (r < 0)
		bd_err_prefix(err, "publish job %lld: ", (long long)job);
	return r;
}
