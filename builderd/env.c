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
 * Install scripts run as apk-tools runs them (apk-format.md section 4):
 * for each package in install order, .pre-install before its files are
 * extracted and .post-install after, each as
 * /lib/apk/exec/NAME-VERSION.TYPE VERSION; then, once everything is in,
 * each package's .trigger with the installed directories its `triggers`
 * globs match (fnmatch with FNM_PATHNAME on "/dir" names; a fresh install
 * fires every match, as apk's run_all_triggers does).  A script runs as
 * root in the caller's sandbox (no network) over the layer being built,
 * with an overlay upper dir that is merged into the layer afterwards
 * (whiteouts remove, opaque directories replace, owners shift back from
 * the sandbox's host ids).  A script that fails fails the environment,
 * naming the package and the script.  lib/apk/db/scripts.tar and
 * lib/apk/db/triggers record them as apk does. */
#include "builderd/env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "apk/extract.h"
#include "apk/reader.h"
#include "apk/repo.h"
#include "apk/solve.h"
#include "apk/tar.h"
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
static void
installed_entry(const struct bd_apk_solved_pkg *p, const struct bd_apk_file *f, struct bd_buf *out)
{
	char cur_dir[4096] = "";

	bd_apk_index_format_entry(p->entry, out);
	/* drop the blank line: the file list belongs to the same entry */
	out->len--;
	out->data[out->len] = '\0';
	for (size_t i = 0; i < f->nentries; i++) {
		const struct bd_apk_entry *e = &f->entries[i];
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
			char q1[32];
			bd_apk_q1_encode(raw, q1);
			bd_buf_printf(out, "Z:%s\n", q1);
		}
	}
	bd_buf_putc(out, '\n');
}

/* Open (creating as needed) directory @rel of the layer @root as the
 * packages' own tools would see it from inside: symlinks a package shipped
 * (usr-merge's lib -> usr/lib, or an absolute /usr/lib) resolve within the
 * layer, never on the host, and ".." stops at the layer's root.  Returns an
 * O_PATH fd or -errno. */
static int
layer_dir(const char *root, const char *rel, bool create, struct bd_err *err)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *copy = bd_xstrdup(rel);
	struct bd_buf prefix = { 0 };
	char *save = NULL;
	int cur;

	if (rootfd < 0)
		return bd_err_set(err, errno, "open %s", root);
	cur = dup(rootfd);
	if (cur < 0)
		return bd_err_set(err, errno, "dup");
	for (char *c = strtok_r(copy, "/", &save); cur >= 0 && c; c = strtok_r(NULL, "/", &save)) {
		/* a single component below a resolved directory: never follows */
		if (create && mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
			close(cur);
			cur = bd_err_set(err, errno, "mkdir %s in the layer", rel);
			break;
		}
		close(cur);
		bd_buf_printf(&prefix, "/%s", c);
		cur = bd_openat_in_root(rootfd, prefix.data, O_PATH | O_DIRECTORY, 0, err);
	}
	if (cur < 0)
		bd_err_prefix(err, "layer %s: ", root);
	bd_buf_free(&prefix);
	return cur;
}

/* Write @rel below the layer @root (replacing what is there), as layer_dir. */
static int
write_file_mode(const char *root, const char *rel, const char *data, size_t n, mode_t mode,
                struct bd_err *err)
{
	_cleanup_free_ char *dir = bd_xstrdup(rel);
	char *slash = strrchr(dir, '/');
	const char *base = slash ? rel + (slash - dir) + 1 : rel;
	_cleanup_close_ int dfd = -1, fd = -1;

	if (slash)
		*slash = '\0';
	dfd =
	    slash ? layer_dir(root, dir, true, err) : open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return slash ? dfd : bd_err_set(err, errno, "open %s", root);
	if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
		return bd_err_set(err, errno, "replace %s in the layer", rel);
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return bd_err_set(err, errno, "create %s in the layer", rel);
	if (bd_write_all(fd, data, n) < 0 || fchmod(fd, mode) < 0)
		return bd_err_set(err, errno, "write %s in the layer", rel);
	return 0;
}

static int
write_file(const char *root, const char *rel, const char *data, size_t n, struct bd_err *err)
{
	return write_file_mode(root, rel, data, n, 0644, err);
}

/* Host owner @id of a file the sandbox wrote, back to the id inside
 * (--root-caps maps ids 0..65535 to base + id). */
static unsigned
unshift(uint64_t id, uint64_t base)
{
	return id >= base && id < base + 65536 ? (unsigned)(id - base) : (unsigned)id;
}

/* overlayfs marks a deleted lower entry with a 0:0 character device or,
 * on newer kernels, an xattr; with userxattr mounts the names are user.* */
static bool
is_whiteout(int dfd, const char *name, const struct stat *st)
{
	char v[4];

	if (S_ISCHR(st->st_mode) && st->st_rdev == 0)
		return true;
	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return false;
	_cleanup_free_ char *p = bd_xasprintf("/proc/self/fd/%d/%s", dfd, name);
	return lgetxattr(p, "user.overlay.whiteout", v, sizeof(v)) >= 0;
}

static bool
is_opaque(int dfd, const char *name)
{
	char v[4] = "";
	_cleanup_free_ char *p = bd_xasprintf("/proc/self/fd/%d/%s", dfd, name);
	ssize_t n = lgetxattr(p, "user.overlay.opaque", v, sizeof(v) - 1);
	return n > 0 && v[0] == 'y';
}

/* Drop the overlay's own user.overlay.* attributes from an entry that
 * moves into the layer: a later overlay with this layer below must not
 * read them as its own. */
static int
strip_overlay_xattrs(int dfd, const char *name, const char *path, struct bd_err *err)
{
	_cleanup_free_ char *p = bd_xasprintf("/proc/self/fd/%d/%s", dfd, name);
	char list[4096];
	ssize_t n = llistxattr(p, list, sizeof(list));

	if (n < 0)
		return errno == ENOTSUP ? 0 : bd_err_set(err, errno, "list xattrs of %s", path);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
		if (strncmp(list + i, "user.overlay.", 13) == 0 && lremovexattr(p, list + i) < 0)
			return bd_err_set(err, errno, "remove %s from %s", list + i, path);
	return 0;
}

#define MERGE_MAX_DEPTH 1024       /* below bd_rm_rf_at's 4096 */
#define MERGE_MAX_ENTRIES 4000000u /* as many as one package may hold */

struct merge {
	uint64_t base;    /* the sandbox's host id base */
	uint64_t entries; /* seen so far */
};

/* Merge the overlay upper dir @src into the layer @dst (both dir fds) as
 * the overlay showed it: entries move over, whiteouts delete, opaque
 * directories replace what was below, owners shift back from host ids.
 * Nothing is followed: every operation is relative to a directory fd,
 * directories are opened O_NOFOLLOW, renameat() and fchownat() act on the
 * link.  @path is the directory inside the environment, for messages. */
static int
merge_upper(struct merge *m, int src, int dst, const char *path, unsigned depth, struct bd_err *err)
{
	struct bd_strv names = { 0 };
	int r;

	if (depth > MERGE_MAX_DEPTH)
		return bd_err_setx(err, ELOOP,
		                   "the script left a tree deeper than %d levels: %.100s...",
		                   MERGE_MAX_DEPTH, path);
	r = bd_dir_names_sorted(src, path, &names, err);
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		_cleanup_free_ char *sub = bd_xasprintf("%s%s%s", path, path[1] ? "/" : "", n);
		struct stat st, dt;
		bool there;

		if (++m->entries > MERGE_MAX_ENTRIES) {
			r = bd_err_setx(err, EFBIG, "the script left more than %u entries",
			                MERGE_MAX_ENTRIES);
			break;
		}
		if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bd_err_set(err, errno, "stat %s", sub);
			break;
		}
		there = fstatat(dst, n, &dt, AT_SYMLINK_NOFOLLOW) == 0;
		if (is_whiteout(src, n, &st)) {
			r = bd_rm_rf_at(dst, n, err);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			/* what extraction refuses in packages (FIFOs, sockets) */
			r = bd_err_setx(err, EINVAL, "%s: the script made a %s", sub,
			                S_ISFIFO(st.st_mode) ? "FIFO" : "special file");
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (there && (!S_ISDIR(dt.st_mode) || is_opaque(src, n))) {
				if ((r = bd_rm_rf_at(dst, n, err)) < 0)
					break;
				there = false;
			}
			if (!there && mkdirat(dst, n, 0700) < 0) {
				r = bd_err_set(err, errno, "mkdir %s in the layer", sub);
				break;
			}
			_cleanup_close_ int s2 =
			    openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0) {
				r = bd_err_set(err, errno, "open %s in the upper dir", sub);
				break;
			}
			_cleanup_close_ int d2 =
			    openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (d2 < 0) {
				r = bd_err_set(err, errno, "open %s in the layer", sub);
				break;
			}
			if (fchown(d2, unshift(st.st_uid, m->base), unshift(st.st_gid, m->base)) <
			    0)
				r = bd_err_set(err, errno, "chown %s in the layer", sub);
			else if (fchmod(d2, st.st_mode & 01777) < 0)
				r = bd_err_set(err, errno, "chmod %s in the layer", sub);
			else
				r = merge_upper(m, s2, d2, sub, depth + 1, err);
			continue;
		}
		if (there && S_ISDIR(dt.st_mode) && (r = bd_rm_rf_at(dst, n, err)) < 0)
			break;
		if ((r = strip_overlay_xattrs(src, n, sub, err)) < 0)
			break;
		if (renameat(src, n, dst, n) < 0)
			r = bd_err_set(err, errno, "move %s into the layer", sub);
		else if (fchownat(dst, n, unshift(st.st_uid, m->base), unshift(st.st_gid, m->base),
		                  AT_SYMLINK_NOFOLLOW) < 0)
			r = bd_err_set(err, errno, "chown %s in the layer", sub);
		/* chown cleared set-id bits already; say so rather than rely on it */
		else if (!S_ISLNK(st.st_mode) && fchmodat(dst, n, st.st_mode & 01777, 0) < 0)
			r = bd_err_set(err, errno, "chmod %s in the layer", sub);
	}
	bd_strv_free(&names);
	return r;
}

/* Run script @type of package @p (body @body) over the layer @dir with
 * @args after the script's path, and merge what it changed. */
static int
run_script(const struct bd_env_spec *spec, struct bd_env_result *res, const char *dir,
           const struct bd_apk_solved_pkg *p, enum bd_apk_script_kind type,
           const struct bd_buf *body, const struct bd_strv *args, struct bd_err *err)
{
	uint64_t t0 = bd_now_ns();
	_cleanup_free_ char *rel =
	    bd_xasprintf("lib/apk/exec/%s-%s.%s", p->name, p->version, bd_apk_script_type(type));
	_cleanup_free_ char *inside = bd_xasprintf("/%s", rel);
	/* a fresh overlay dir each time: an upper left from an earlier run
	 * would replay its whiteouts */
	_cleanup_free_ char *ovl = bd_xasprintf("%s.ovl.XXXXXX", dir);
	const char **argv = bd_xcalloc(args->n + 2, sizeof(*argv));
	struct bd_err e2 = { 0 };
	bool made_ovl = false;
	int status = 0, r;

	argv[0] = inside;
	for (size_t i = 0; i < args->n; i++)
		argv[i + 1] = args->v[i];
	r = write_file_mode(dir, rel, body->data ? body->data : "", body->len, 0755, err);
	if (r == 0) {
		/* apk keeps lib/apk/exec/ at 0700 (apk_make_dirs(..., 0700, 0755)) */
		_cleanup_close_ int x = layer_dir(dir, "lib/apk/exec", false, err);
		_cleanup_free_ char *px = x >= 0 ? bd_xasprintf("/proc/self/fd/%d", x) : NULL;
		_cleanup_close_ int xd = px ? open(px, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (x < 0)
			r = x;
		else if (xd < 0 || fchmod(xd, 0700) < 0)
			r = bd_err_set(err, errno, "chmod lib/apk/exec in the layer");
	}
	if (r == 0) {
		if (mkdtemp(ovl))
			made_ovl = true;
		else
			r = bd_err_set(err, errno, "mkdtemp %s", ovl);
	}
	if (r == 0)
		r = spec->scripts->run(spec->scripts->ctx, dir, ovl, argv, &status, err);
	if (r == 0 && status != 0)
		r = bd_err_setx(err, EIO, "%s exited with status %d", inside + 1, status);
	if (r == 0) {
		_cleanup_free_ char *upper = bd_xasprintf("%s/upper", ovl);
		_cleanup_close_ int s =
		    open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct merge m = { .base = spec->scripts->id_base };
		if (s < 0 || d < 0)
			r = bd_err_set(err, errno, "open %s", s < 0 ? upper : dir);
		else
			r = merge_upper(&m, s, d, "/", 0, err);
	}
	/* apk leaves lib/apk/exec/ behind, empty */
	_cleanup_close_ int xfd = layer_dir(dir, "lib/apk/exec", false, &e2);
	if (xfd >= 0)
		(void)unlinkat(xfd, strrchr(rel, '/') + 1, 0);
	/* a leftover would be used by nothing, but must not go unnoticed */
	if (made_ovl && bd_rm_rf_at(AT_FDCWD, ovl, &e2) < 0 && r == 0)
		r = bd_err_set(err, e2.code, "remove %s: %s", ovl, e2.msg);
	free(argv);
	res->scripts_ns += bd_now_ns() - t0;
	res->nscripts++;
	if (r < 0)
		bd_err_prefix(err, "%s-%s.%s: ", p->name, p->version, bd_apk_script_type(type));
	return r;
}

/* Every directory the packages installed, as apk's rooted names ("/usr"),
 * parents included, sorted. */
static void
installed_dirs(const struct bd_apk_file *files, size_t n, struct bd_strv *out)
{
	struct bd_strset seen = { 0 };

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < files[i].nentries; k++) {
			const struct bd_apk_entry *e = &files[i].entries[k];
			_cleanup_free_ char *d = bd_xasprintf("/%s", e->name);
			char *slash;
			if (e->name[0] == '.')
				continue;
			if (e->type != '5' && (slash = strrchr(d, '/')) != NULL)
				*slash = '\0';
			/* the directory and each parent */
			while (d[0] && bd_strset_add(&seen, d)) {
				bd_strv_push(out, d);
				if (!(slash = strrchr(d, '/')))
					break;
				*slash = '\0';
			}
		}
	bd_strset_free(&seen);
	bd_strv_sort(out);
}

/* lib/apk/db/scripts.tar: every script, named NAME-VERSION.Q1CSUM.TYPE. */
static int
scripts_tar(const struct bd_apk_solution *sol, const struct bd_apk_file *files, const char *dir,
            struct bd_err *err)
{
	struct bd_buf tar = { 0 };
	int r = 0;

	for (size_t i = 0; r == 0 && i < sol->n; i++)
		for (int t = 0; r == 0 && t < BD_APK_NSCRIPTS; t++) {
			if (!files[i].has_script[t])
				continue;
			const struct bd_buf *b = &files[i].script_body[t];
			_cleanup_free_ char *name =
			    bd_xasprintf("%s-%s.%s.%s", sol->pkgs[i].name, sol->pkgs[i].version,
			                 sol->pkgs[i].csum, bd_apk_script_type(t));
			struct bd_tar_hdr h = {
				.name = name, .type = '0', .mode = 0755, .size = b->len
			};
			r = bd_tar_write_entry(&tar, &h, b->data, BD_TAR_POSIX, err);
		}
	if (r == 0) { /* an empty archive when no package has scripts, as apk writes */
		bd_tar_write_end(&tar);
		r = write_file(dir, "lib/apk/db/scripts.tar", tar.data, tar.len, err);
	}
	bd_buf_free(&tar);
	return r;
}

/* Fire the triggers (after every package is in) and write lib/apk/db/triggers. */
static int
run_triggers(const struct bd_env_spec *spec, struct bd_env_result *res,
             const struct bd_apk_solution *sol, const struct bd_apk_file *files, const char *dir,
             struct bd_err *err)
{
	struct bd_strv dirs = { 0 };
	struct bd_buf db = { 0 };
	int r = 0;

	installed_dirs(files, sol->n, &dirs);
	for (size_t i = 0; r == 0 && i < sol->n; i++) {
		const struct bd_strv *globs = &files[i].pkginfo.triggers;
		struct bd_strv args = { 0 };
		if (globs->n == 0)
			continue;
		/* apk lists every package with triggers, script or not */
		bd_buf_puts(&db, sol->pkgs[i].csum);
		for (size_t g = 0; g < globs->n; g++)
			bd_buf_printf(&db, " %s", globs->v[g]);
		bd_buf_putc(&db, '\n');
		if (!files[i].has_script[BD_APK_TRIGGER])
			continue;
		for (size_t d = 0; d < dirs.n; d++)
			for (size_t g = 0; g < globs->n; g++)
				if (globs->v[g][0] == '/' &&
				    fnmatch(globs->v[g], dirs.v[d], FNM_PATHNAME) == 0) {
					bd_strv_push(&args, dirs.v[d]);
					break;
				}
		if (args.n && spec->scripts)
			r = run_script(spec, res, dir, &sol->pkgs[i], BD_APK_TRIGGER,
			               &files[i].script_body[BD_APK_TRIGGER], &args, err);
		bd_strv_free(&args);
	}
	/* written even when empty, as apk does */
	if (r == 0)
		r = write_file(dir, "lib/apk/db/triggers", db.data ? db.data : "", db.len, err);
	bd_strv_free(&dirs);
	bd_buf_free(&db);
	return r;
}

/* Make the layer for @sol in @dir (which must not exist). */
static int
make_layer(struct bd_apk_repos *rs, const struct bd_apk_solution *sol, const struct bd_strv *paths,
           const struct bd_env_spec *spec, struct bd_env_result *res, const char *dir,
           struct bd_err *err)
{
	struct bd_buf installed = { 0 }, text = { 0 };
	struct bd_apk_file *files = bd_xcalloc(sol->n ? sol->n : 1, sizeof(*files));
	_cleanup_close_ int dfd = -1;
	int r = 0;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = bd_err_set(err, errno, "open %s", dir);
		goto out;
	}
	for (size_t i = 0; i < sol->n; i++) {
		const struct bd_apk_solved_pkg *p = &sol->pkgs[i];
		struct bd_apk_read_opts ro = { .keys_dirfd = -1,
			                       .list_entries = true,
			                       .keep_scripts = true,
			                       .skip_file_checksums = true };
		struct bd_extract_opts eo = { .apk = true };
		struct bd_strv ver = { 0 };
		_cleanup_close_ int in = -1;

		/* apk unpacks nothing of a package whose installed size is 0: no
		 * files, no scripts (apk-format.md section 0.5) */
		if (p->installed_size == 0) {
			installed_entry(p, &files[i], &installed);
			continue;
		}
		/* verified (each file's checksum too) when it was fetched: this
		 * pass only lists entries and keeps the scripts */
		r = bd_apk_read_path(paths->v[i], &ro, &files[i], err);
		if (r < 0)
			goto out;
		bd_strv_push(&ver, p->version);
		if (files[i].has_script[BD_APK_PRE_INSTALL] && spec->scripts)
			r = run_script(spec, res, dir, p, BD_APK_PRE_INSTALL,
			               &files[i].script_body[BD_APK_PRE_INSTALL], &ver, err);
		if (r == 0 && (in = open(paths->v[i], O_RDONLY | O_CLOEXEC)) < 0)
			r = bd_err_set(err, errno, "open %s", paths->v[i]);
		if (r == 0 && (r = bd_extract_fd(in, paths->v[i], dfd, &eo, NULL, err)) < 0)
			bd_err_prefix(err, "install %s-%s: ", p->name, p->version);
		if (r == 0 && files[i].has_script[BD_APK_POST_INSTALL] && spec->scripts)
			r = run_script(spec, res, dir, p, BD_APK_POST_INSTALL,
			               &files[i].script_body[BD_APK_POST_INSTALL], &ver, err);
		bd_strv_free(&ver);
		if (r < 0)
			goto out;
		installed_entry(p, &files[i], &installed);
	}
	r = run_triggers(spec, res, sol, files, dir, err);
	if (r == 0)
		r = scripts_tar(sol, files, dir, err);
	if (r == 0)
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
	for (size_t i = 0; i < sol->n; i++)
		bd_apk_file_free(&files[i]);
	free(files);
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
	uint64_t t = bd_now_ns();
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
	res->solve_ns = bd_now_ns() - t;
	if (r < 0)
		goto out;
	/* the resolved set is the layer's identity: a layer in the cache was
	 * made from packages verified against these very C: checksums, so a
	 * warm environment needs neither a download nor a re-verification.
	 * "layout 2": install scripts run (layers made before are not reused). */
	bd_buf_printf(&key, "layout 2\narch %s\n", rs.arch);
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
	t = bd_now_ns();
	r = bd_apk_repos_fetch_solution(&rs, &sol, &paths, err);
	res->fetch_ns = bd_now_ns() - t;
	if (r < 0)
		goto out;
	{
		/* a directory of our own (never one a crashed runner left: the
		 * daemon sweeps those at start), renamed into place when whole */
		_cleanup_free_ char *tmp = bd_xasprintf("%s.tmp.XXXXXX", res->layer);
		struct bd_err e2 = { 0 };
		uint64_t t1 = bd_now_ns();
		if (!mkdtemp(tmp) || chmod(tmp, 0755) < 0) {
			r = bd_err_set(err, errno, "make %s", tmp);
			goto out;
		}
		r = make_layer(&rs, &sol, &paths, spec, res, tmp, err);
		res->install_ns = bd_now_ns() - t1;
		if (r == 0 && rename(tmp, res->layer) < 0 && errno != EEXIST && errno != ENOTEMPTY)
			r = bd_err_set(err, errno, "rename %s", tmp);
		/* failed, or another job made the same layer first */
		if (access(tmp, F_OK) == 0 && bd_rm_rf_at(AT_FDCWD, tmp, &e2) < 0 && r == 0)
			r = bd_err_set(err, e2.code, "remove %s: %s", tmp, e2.msg);
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
