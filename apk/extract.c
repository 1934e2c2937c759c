/* SPDX-License-Identifier: MIT */
/* extract: libarchive read + disk write with the secure flags (extract.h). */
#include "apk/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/util.h"

#define DEFAULT_MAX_BYTES (64ull << 30)
#define DEFAULT_MAX_ENTRIES 4000000

/* Remove @n leading components of @p ("a/b/c", 1 -> "b/c"); NULL if none
 * remain. */
static const char *
strip_path(const char *p, unsigned n)
{
	while (n > 0) {
		while (*p == '/')
			p++;
		const char *s = strchr(p, '/');
		if (!s)
			return NULL;
		p = s + 1;
		n--;
	}
	while (*p == '/')
		p++;
	if (*p == '\0' || (p[0] == '.' && p[1] == '\0'))
		return NULL;
	return p;
}

static int
extract_loop(struct archive *a, struct archive *disk, const char *what,
             const struct bd_extract_opts *o, struct bd_extract_stats *st, struct bd_err *err)
{
	uint64_t max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
	uint64_t max_entries = o->max_entries ? o->max_entries : DEFAULT_MAX_ENTRIES;
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(e);
		const char *stripped;
		mode_t type = archive_entry_filetype(e);

		if (!name)
			return bd_err_setx(err, EINVAL, "%s: entry without a name", what);
		if (o->apk && name[0] == '.')
			continue; /* control entries, and what apk skips (§5) */
		stripped = strip_path(name, o->strip_components);
		if (!stripped)
			continue;
		if (++st->entries > max_entries)
			return bd_err_setx(err, E2BIG, "%s: more than %llu entries", what,
			                   (unsigned long long)max_entries);
		if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK)
			return bd_err_setx(err, EPERM, "%s: %s: device node or socket refused",
			                   what, name);
		if (type == AE_IFIFO && !o->allow_special)
			return bd_err_setx(err, EPERM, "%s: %s: FIFO refused", what, name);
		if (stripped != name)
			archive_entry_set_pathname(e, stripped);
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			const char *hs = strip_path(hl, o->strip_components);
			if (!hs)
				return bd_err_setx(err, EINVAL,
				                   "%s: %s: hardlink target %s stripped away", what,
				                   name, hl);
			if (hs != hl)
				archive_entry_set_hardlink(e, hs);
		}
		/* never restore owners or extended attributes from the archive */
		archive_entry_set_uid(e, getuid());
		archive_entry_set_gid(e, getgid());
		archive_entry_xattr_clear(e);
		archive_entry_acl_clear(e);
		archive_entry_set_fflags(e, 0, 0);
		/* no setuid/setgid bits on extracted files */
		archive_entry_set_perm(e, archive_entry_perm(e) & 01777);

		if (archive_entry_size_is_set(e)) {
			int64_t sz = archive_entry_size(e);
			if (sz < 0 || (uint64_t)sz > max_bytes - st->bytes)
				return bd_err_setx(err, EFBIG, "%s: more than %llu bytes extracted",
				                   what, (unsigned long long)max_bytes);
		}
		r = archive_write_header(disk, e);
		if (r < ARCHIVE_WARN)
			return bd_err_setx(err, EINVAL, "%s: %s: %s", what, stripped,
			                   archive_error_string(disk));
		if (archive_entry_size(e) > 0 && type == AE_IFREG) {
			const void *buf;
			size_t len;
			int64_t off;
			while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
				st->bytes += len;
				if (st->bytes > max_bytes)
					return bd_err_setx(err, EFBIG,
					                   "%s: more than %llu bytes extracted",
					                   what, (unsigned long long)max_bytes);
				if (archive_write_data_block(disk, buf, len, off) < ARCHIVE_WARN)
					return bd_err_setx(err, EIO, "%s: write %s: %s", what,
					                   stripped, archive_error_string(disk));
			}
			if (r != ARCHIVE_EOF)
				return bd_err_setx(err, EIO, "%s: read %s: %s", what, stripped,
				                   archive_error_string(a));
		}
		if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
			return bd_err_setx(err, EIO, "%s: finish %s: %s", what, stripped,
			                   archive_error_string(disk));
	}
	if (r != ARCHIVE_EOF)
		return bd_err_setx(err, EINVAL, "%s: %s", what, archive_error_string(a));
	return 0;
}

int
bd_extract_fd(int fd, const char *what, int dest_dirfd, const struct bd_extract_opts *o,
              struct bd_extract_stats *stats, struct bd_err *err)
{
	struct bd_extract_stats st = { 0 };
	_cleanup_close_ int cwd = -1;
	struct archive *a = NULL, *disk = NULL;
	int r;

	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return bd_err_set(err, errno, "open current directory");
	a = archive_read_new();
	disk = archive_write_disk_new();
	if (!a || !disk) {
		r = bd_err_setx(err, ENOMEM, "libarchive: out of memory");
		goto out;
	}
	archive_read_support_filter_all(a);
	if (o->apk)
		archive_read_support_format_tar(a);
	else
		archive_read_support_format_all(a);
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	                                         ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	                                         ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
	                                         ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		r = bd_err_setx(err, EINVAL, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	/* libarchive's disk writer resolves paths from the working directory */
	if (fchdir(dest_dirfd) < 0) {
		r = bd_err_set(err, errno, "enter extraction directory");
		goto out;
	}
	r = extract_loop(a, disk, what, o, &st, err);
	if (r == 0 && archive_write_close(disk) != ARCHIVE_OK)
		r = bd_err_setx(err, EIO, "%s: %s", what, archive_error_string(disk));
	if (fchdir(cwd) < 0 && r == 0)
		r = bd_err_set(err, errno, "return to working directory");
out:
	if (a)
		archive_read_free(a);
	if (disk)
		archive_write_free(disk);
	if (stats)
		*stats = st;
	return r;
}
