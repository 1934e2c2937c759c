/* SPDX-License-Identifier: MIT */
/* child: sandbox setup from clone() to execve(), and the sandbox's pid 1.
 *
 * The cloned child is pid 1 of new user, mount, pid, net, ipc, uts and
 * cgroup namespaces.  It waits until the parent has written its uid/gid
 * maps and cgroup memberships, becomes sandbox root, builds the new root
 * with the fd-based mount API, pivots into it, drops everything, installs
 * the seccomp filter and forks the step (pid 2).  Pid 1 then only reaps
 * and forwards signals; when the step ends, pid 1 reports its status and
 * exits, and the kernel kills whatever else is left in the pid namespace
 * (threat #16).
 *
 * The new root is assembled from detached mounts (open_tree, fsopen/fsmount)
 * rather than by path: a detached bind of a host dir can take
 * mount_setattr(AT_RECURSIVE) to become read-only, nosuid and nodev on every
 * submount at once, where bwrap has to walk /proc/self/mountinfo and
 * remount each submount (bind-mount.c); and mount points inside the new
 * root are opened with openat2(RESOLVE_IN_ROOT), so a symlink in a layer
 * resolves inside the sandbox, never on the host. */
#include "sandbox/child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

extern char **environ;

/* The fixed device nodes (sandbox.md §6, bwrap's --dev). */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
/* /proc entries covered read-only (bwrap's cover_proc_dirs, threat #27). */
static const char *const proc_covers[] = { "sys", "sysrq-trigger", "irq", "bus" };

struct mounts {
	int binds[BD_SANDBOX_MAX_BINDS];
	int devs[BD_ARRAY_SIZE(dev_nodes)];
	int layers[64];    /* O_PATH fds of the layers (idmapped when the parent could) */
	size_t n_idmapped; /* layers[] holds the parent's idmapped clones */
	int upper, work;   /* O_PATH fds of --overlay-dir's upper/work, or -1 */
	int scratch;       /* tmpfs holding skel/ (and upper/, work/), or -1 */
	int root;          /* the new root, attached */
};

__attribute__((noreturn)) static void
fail(const struct bd_child_ctx *ctx, const struct bd_err *err)
{
	struct bd_sync_msg msg = { .type = BD_SYNC_ERROR, .err = *err };
	ssize_t n = write(ctx->sync_fd, &msg, sizeof(msg)); /* < PIPE_BUF: atomic */

	(void)n; /* a lost message still leaves the exit status */
	_exit(BD_SANDBOX_EXIT_SETUP);
}

#define CHECK(ctx, err, expr)               \
	do {                                \
		if ((expr) < 0)             \
			fail((ctx), (err)); \
	} while (0)

static int
open_in_root(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	return (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/* Open mount point @path inside @root, creating missing components (as
 * sandbox root: works in our tmpfs mounts and in the skeleton, fails in
 * layer dirs owned by unmapped host users).  Returns an O_PATH fd. */
static int
mount_point(int root, const char *path, bool is_dir, struct bd_err *err)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	int fd = open_in_root(root, path, is_dir ? O_DIRECTORY : 0);

	if (fd >= 0 || errno != ENOENT)
		goto out;
	if (len >= sizeof(prefix))
		return bd_err_setx(err, ENAMETOOLONG, "mount point %s", path);
	for (size_t i = 1; i <= len; i++) {
		int pfd;
		const char *name;

		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		fd = open_in_root(root, prefix, 0);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return bd_err_set(err, errno, "open %s in the new root", prefix);
		/* create the last component of prefix in its parent */
		name = strrchr(prefix, '/') + 1;
		prefix[name - prefix] = '\0';
		pfd = open_in_root(root, prefix, O_DIRECTORY);
		if (pfd < 0)
			return bd_err_set(err, errno, "open %s in the new root", prefix);
		if (i < len || is_dir) {
			if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST) {
				int e = errno;
				close(pfd);
				return bd_err_set(err, e, "create mount point %s%s", prefix, name);
			}
		} else {
			int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
			if (f < 0 && errno != EEXIST) {
				int e = errno;
				close(pfd);
				return bd_err_set(err, e, "create mount point %s%s", prefix, name);
			}
			if (f >= 0)
				close(f);
		}
		close(pfd);
	}
	fd = open_in_root(root, path, is_dir ? O_DIRECTORY : 0);
out:
	if (fd < 0)
		return bd_err_set(err, errno, "mount point %s", path);
	return fd;
}

/* move_mount(@mnt) onto @path inside @root. */
static int
attach(int mnt, int root, const char *path, bool is_dir, struct bd_err *err)
{
	int t = mount_point(root, path, is_dir, err);

	if (t < 0)
		return t;
	if (move_mount(mnt, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int e = errno;
		close(t);
		return bd_err_set(err, e, "mount on %s", path);
	}
	close(t);
	return 0;
}

/* A detached tmpfs.  @mode is the root dir's mode. */
static int
new_tmpfs(const char *what, uint64_t size, uint64_t inodes, unsigned mode, unsigned attrs,
          struct bd_err *err)
{
	char v[32];
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	int m;

	if (fs < 0)
		return bd_err_set(err, errno, "fsopen tmpfs for %s", what);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)size);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", v, 0) < 0)
		goto fail;
	if (inodes) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)inodes);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", v, 0) < 0)
			goto fail;
	}
	snprintf(v, sizeof(v), "%o", mode);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", v, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (m < 0)
		goto fail;
	close(fs);
	return m;
fail:
	bd_err_set(err, errno, "mount tmpfs for %s", what);
	close(fs);
	return -err->code;
}

/* A detached (recursive) bind of host @src with @attrs on every submount.
 * With @nofollow, @src (already resolved by the parent) is opened with
 * RESOLVE_NO_SYMLINKS, so a symlink swapped in since then is refused. */
static int
clone_tree(const char *src, bool recursive, bool nofollow, uint64_t attrs, struct bd_err *err)
{
	struct mount_attr ma = { .attr_set = attrs };
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	int fd;

	if (nofollow) {
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		int pfd = (int)syscall(SYS_openat2, AT_FDCWD, src, &how, sizeof(how));

		if (pfd < 0)
			return bd_err_set(err, errno, "bind %s", src);
		fd = open_tree(pfd, "", flags | AT_EMPTY_PATH);
		close(pfd);
	} else {
		fd = open_tree(AT_FDCWD, src, flags);
	}
	if (fd < 0)
		return bd_err_set(err, errno, "bind %s", src);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &ma, sizeof(ma)) <
	    0) {
		int e = errno;
		close(fd);
		return bd_err_set(err, e, "make the bind of %s read-only/nosuid/nodev", src);
	}
	return fd;
}

static int
mkdir_p_at(int dirfd, const char *path, bool last_is_dir, struct bd_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return bd_err_setx(err, ENAMETOOLONG, "skeleton %s", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 0; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (i == len && !last_is_dir) {
			int f =
			    openat(dirfd, buf, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
			if (f < 0)
				return bd_err_set(err, errno, "skeleton %s", buf);
			close(f);
		} else if (mkdirat(dirfd, buf, 0755) < 0 && errno != EEXIST) {
			return bd_err_set(err, errno, "skeleton %s", buf);
		}
		buf[i] = i == len ? '\0' : '/';
	}
	return 0;
}

/* The overlay (or, for one read-only layer without skeleton, a plain
 * read-only bind) that becomes "/". */
static int
make_rootfs(const struct bd_child_ctx *ctx, struct mounts *m, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = ctx->spec;
	bool need_scratch = ctx->n_skel > 0 || (!spec->ro_root && m->upper < 0) || m->n_idmapped;
	unsigned attrs =
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (spec->ro_root ? MOUNT_ATTR_RDONLY : 0);
	char path[PATH_MAX];
	int fs, root;

	if (need_scratch) {
		m->scratch = new_tmpfs("the overlay upper dir", spec->tmpfs_size, 0, 0755,
		                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
		if (m->scratch < 0)
			return m->scratch;
		if (mkdirat(m->scratch, "skel", 0755) < 0)
			return bd_err_set(err, errno, "mkdir skel");
		for (size_t i = 0; i < ctx->n_skel; i++) {
			_cleanup_close_ int sk =
			    openat(m->scratch, "skel", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sk < 0 ||
			    mkdir_p_at(sk, ctx->skel[i].path, ctx->skel[i].is_dir, err) < 0)
				return sk < 0 ? bd_err_set(err, errno, "open skel") : -err->code;
		}
		if (!spec->ro_root && m->upper < 0 &&
		    (mkdirat(m->scratch, "upper", 0755) < 0 ||
		     mkdirat(m->scratch, "work", 0755) < 0))
			return bd_err_set(err, errno, "mkdir upper/work on tmpfs");
	}
	if (m->root >= 0)
		return 0; /* one read-only layer, bound in open_host_paths() */
	if (m->n_idmapped) {
		/* overlayfs takes a layer from our own mount namespace, not from
		 * the parent's anonymous one: move the idmapped clones onto dirs
		 * of the scratch tmpfs, attached on /tmp of our private tree */
		if (move_mount(m->scratch, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return bd_err_set(err, errno, "attach the scratch tmpfs");
		for (size_t i = 0; i < m->n_idmapped; i++) {
			snprintf(path, sizeof(path), "l%zu", i);
			if (mkdirat(m->scratch, path, 0755) < 0 ||
			    move_mount(m->layers[i], "", m->scratch, path,
			               MOVE_MOUNT_F_EMPTY_PATH) < 0)
				return bd_err_set(err, errno, "attach idmapped layer %s",
				                  ctx->layers[i]);
		}
	}
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return bd_err_set(err, errno, "fsopen overlay");
	/* layers top first; the skeleton above them all.  lowerdir+ (Linux
	 * 6.8) takes one path per call, so no escaping of ':' or ','. */
	if (ctx->n_skel > 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d/skel", m->scratch);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0)
			goto fail_path;
	}
	for (size_t i = spec->n_layers; i-- > 0;) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", m->layers[i]);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", path, 0) < 0) {
			snprintf(path, sizeof(path), "%s", ctx->layers[i]);
			goto fail_path;
		}
	}
	if (!spec->ro_root) {
		if (m->upper >= 0)
			snprintf(path, sizeof(path), "/proc/self/fd/%d", m->upper);
		else
			snprintf(path, sizeof(path), "/proc/self/fd/%d/upper", m->scratch);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", path, 0) < 0)
			goto fail_path;
		if (m->work >= 0)
			snprintf(path, sizeof(path), "/proc/self/fd/%d", m->work);
		else
			snprintf(path, sizeof(path), "/proc/self/fd/%d/work", m->scratch);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "workdir", path, 0) < 0)
			goto fail_path;
	}
	/* overlay in a user namespace keeps its metadata in user.* xattrs */
	if (fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) {
		snprintf(path, sizeof(path), "userxattr");
		goto fail_path;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		snprintf(path, sizeof(path), "%s", ctx->layers[spec->n_layers - 1]);
		goto fail_path;
	}
	root = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (root < 0) {
		bd_err_set(err, errno, "fsmount overlay");
		close(fs);
		return -err->code;
	}
	close(fs);
	m->root = root;
	return 0;
fail_path:
	bd_err_set(err, errno, "overlay rootfs: %s", path);
	close(fs);
	return -err->code;
}

static int
mount_proc(const struct bd_child_ctx *ctx, int root, struct bd_err *err)
{
	int fs, p;

	fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return bd_err_set(err, errno, "fsopen proc");
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (p = fsmount(fs, FSMOUNT_CLOEXEC,
	                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
		bd_err_set(err, errno, "mount proc");
		close(fs);
		return -err->code;
	}
	close(fs);
	if (attach(p, root, "/proc", true, err) < 0) {
		close(p);
		return -err->code;
	}
	if (!(ctx->spec->unsafe & BD_UNSAFE_PROC_COVER)) {
		for (size_t i = 0; i < BD_ARRAY_SIZE(proc_covers); i++) {
			struct mount_attr ma = {
				.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				            MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			};
			int c = open_tree(p, proc_covers[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

			if (c < 0 && errno == ENOENT)
				continue; /* /proc/sysrq-trigger is absent on some kernels */
			if (c < 0 || mount_setattr(c, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0 ||
			    move_mount(c, "", p, proc_covers[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
				bd_err_set(err, errno, "cover /proc/%s read-only", proc_covers[i]);
				if (c >= 0)
					close(c);
				close(p);
				return -err->code;
			}
			close(c);
		}
	}
	close(p);
	return 0;
}

static int
mount_dev(const struct bd_child_ctx *ctx, struct mounts *m, struct bd_err *err)
{
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int d, shm;

	d = new_tmpfs("/dev", 65536, 64, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err);
	if (d < 0)
		return d;
	if (attach(d, m->root, "/dev", true, err) < 0)
		goto out;
	for (size_t i = 0; i < BD_ARRAY_SIZE(dev_nodes); i++) {
		int f = openat(d, dev_nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);

		if (f < 0) {
			bd_err_set(err, errno, "create /dev/%s", dev_nodes[i]);
			goto out;
		}
		close(f);
		if (move_mount(m->devs[i], "", d, dev_nodes[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			bd_err_set(err, errno, "bind /dev/%s", dev_nodes[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(links); i++) {
		if (symlinkat(links[i][1], d, links[i][0]) < 0) {
			bd_err_set(err, errno, "symlink /dev/%s", links[i][0]);
			goto out;
		}
	}
	if (mkdirat(d, "shm", 01777) < 0 || fchmodat(d, "shm", 01777, 0) < 0) {
		bd_err_set(err, errno, "mkdir /dev/shm");
		goto out;
	}
	shm = new_tmpfs("/dev/shm", ctx->spec->tmpfs_size, ctx->spec->tmpfs_inodes, 01777,
	                MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	if (shm < 0)
		goto out;
	if (move_mount(shm, "", d, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		bd_err_set(err, errno, "mount /dev/shm");
		close(shm);
		goto out;
	}
	close(shm);
	/* the tmpfs itself read-only; shm and the device binds keep their own flags */
	if (mount_setattr(d, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) {
		bd_err_set(err, errno, "remount /dev read-only");
		goto out;
	}
	close(d);
	return 0;
out:
	close(d);
	return -err->code;
}

/* Phase one, still with host root's uid (unmapped in our namespace, but
 * the owner of root-only dirs such as a 0700 state dir, and with full
 * capabilities over the ids we map): open every host path the sandbox
 * needs.  Sandbox root (host uid base) could not traverse those dirs.
 * Afterwards host paths are only reached through these fds. */
static void
open_host_paths(const struct bd_child_ctx *ctx, struct mounts *m)
{
	const struct bd_sandbox_spec *spec = ctx->spec;
	struct bd_err err = { 0 };

	/* Nothing we mount may propagate back to the host.  (The new mount
	 * namespace of a new user namespace is already downgraded to slave
	 * mounts; private also stops host mounts from arriving.) */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		bd_err_set(&err, errno, "make / private");
		fail(ctx, &err);
	}
	/* Detached copies of every host path: binds (directories always
	 * recursive, so nothing hidden under a host mount comes to light) and
	 * device nodes. */
	for (size_t i = 0; i < spec->n_binds; i++) {
		const struct bd_sandbox_bind *b = &ctx->binds[i];
		uint64_t attrs =
		    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (b->readonly ? MOUNT_ATTR_RDONLY : 0);

		m->binds[i] = clone_tree(b->src, b->is_dir, !b->readonly, attrs, &err);
		CHECK(ctx, &err, m->binds[i]);
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(dev_nodes); i++) {
		char src[32];

		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		m->devs[i] =
		    clone_tree(src, false, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, &err);
		CHECK(ctx, &err, m->devs[i]);
	}
	if (spec->ro_root && spec->n_layers == 1 && ctx->n_skel == 0) {
		m->root =
		    clone_tree(ctx->layers[0], true, false,
		               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &err);
		CHECK(ctx, &err, m->root);
		return;
	}
	if (spec->n_layers > BD_ARRAY_SIZE(m->layers)) {
		bd_err_setx(&err, E2BIG, "more than %zu layers", BD_ARRAY_SIZE(m->layers));
		fail(ctx, &err);
	}
	for (size_t i = 0; i < spec->n_layers && m->n_idmapped != spec->n_layers; i++) {
		m->layers[i] = open(ctx->layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (m->layers[i] < 0) {
			bd_err_set(&err, errno, "open layer %s", ctx->layers[i]);
			fail(ctx, &err);
		}
	}
	if (ctx->upper) {
		m->upper = open(ctx->upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		m->work = open(ctx->work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (m->upper < 0 || m->work < 0) {
			bd_err_set(&err, errno, "open %s", m->upper < 0 ? ctx->upper : ctx->work);
			fail(ctx, &err);
		}
	}
}

/* Phase two, as sandbox root: build the new root and pivot into it. */
static void
setup_mounts(const struct bd_child_ctx *ctx, struct mounts *mp)
{
	const struct bd_sandbox_spec *spec = ctx->spec;
	struct mounts m = *mp;
	struct bd_err err = { 0 };
	int t;

	CHECK(ctx, &err, make_rootfs(ctx, &m, &err));
	/* Attach the root somewhere so that pivot_root() can use it; /tmp of
	 * our private copy of the host tree, as bwrap does. */
	if (move_mount(m.root, "", AT_FDCWD, "/tmp", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		bd_err_set(&err, errno, "attach the new root on /tmp");
		fail(ctx, &err);
	}
	if (m.scratch >= 0)
		close(m.scratch); /* the overlay holds its own reference */

	CHECK(ctx, &err, mount_proc(ctx, m.root, &err));
	CHECK(ctx, &err, mount_dev(ctx, &m, &err));
	t = new_tmpfs("/tmp", spec->tmpfs_size, spec->tmpfs_inodes, 01777,
	              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &err);
	CHECK(ctx, &err, t);
	CHECK(ctx, &err, attach(t, m.root, "/tmp", true, &err));
	close(t);
	for (size_t i = 0; i < spec->n_binds; i++) {
		CHECK(ctx, &err,
		      attach(m.binds[i], m.root, ctx->binds[i].dst, ctx->binds[i].is_dir, &err));
		close(m.binds[i]);
	}

	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then drops the whole host tree from this namespace
	 * (runc, crun's do_pivot(), bwrap's second pivot). */
	if (fchdir(m.root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0) {
		bd_err_set(&err, errno, "pivot_root into the new root");
		fail(ctx, &err);
	}
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		bd_err_set(&err, errno, "detach the old root");
		fail(ctx, &err);
	}
	close(m.root);
}

/* lo up in the new network namespace (Nix's enterChroot() does the same
 * with SIOCSIFFLAGS); the kernel adds 127.0.0.1 and ::1 on NETDEV_UP. */
static int
loopback_up(struct bd_err *err)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return bd_err_set(err, errno, "socket for lo");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		bd_err_set(err, errno, "SIOCGIFFLAGS lo");
		close(s);
		return -err->code;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		bd_err_set(err, errno, "bring lo up");
		close(s);
		return -err->code;
	}
	close(s);
	return 0;
}

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };

/* pid 2: the step itself. */
__attribute__((noreturn)) static void
exec_step(const struct bd_child_ctx *ctx)
{
	const struct bd_sandbox_spec *spec = ctx->spec;
	struct bd_err err = { 0 };
	sigset_t none;

	/* a new session: no controlling tty, so TIOCSTI on an inherited tty
	 * is refused even without seccomp (CVE-2017-5226, threat #30) */
	if (!(spec->unsafe & BD_UNSAFE_SETSID) && setsid() < 0) {
		bd_err_set(&err, errno, "setsid");
		fail(ctx, &err);
	}
	/* the caller's ignored signals and our blocked set must not leak into
	 * the step (a daemon ignoring SIGPIPE would break `yes | head`) */
	for (int s = 1; s < NSIG; s++)
		(void)signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!(spec->unsafe & BD_UNSAFE_CLOSE_FDS) && close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		bd_err_set(&err, errno, "close_range");
		fail(ctx, &err);
	}
	environ = ctx->envp; /* execvp searches the step's PATH */
	execvp(spec->argv[0], spec->argv);
	bd_err_set(&err, errno, "execvp %s", spec->argv[0]);
	fail(ctx, &err);
}

/* Byte "1" from the parent, with the idmapped layers as SCM_RIGHTS when it
 * could make them.  Returns false when the parent is gone. */
static bool
wait_release(const struct bd_child_ctx *ctx, struct mounts *m)
{
	union {
		char buf[CMSG_SPACE(sizeof(m->layers))];
		struct cmsghdr align;
	} ctl;
	char go;
	struct iovec iov = { .iov_base = &go, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;

	if (recvmsg(ctx->release_fd, &msg, MSG_CMSG_CLOEXEC) != 1)
		return false;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		memcpy(m->layers, CMSG_DATA(c), n * sizeof(int));
		if (n == ctx->spec->n_layers)
			m->n_idmapped = n;
		else
			for (size_t i = 0; i < n; i++)
				close(m->layers[i]);
	}
	return true;
}

/* pid 1 after the fork: reap, forward, report the step's status, exit. */
__attribute__((noreturn)) static void
init_loop(const struct bd_child_ctx *ctx, pid_t step)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < BD_ARRAY_SIZE(forwarded); i++)
		sigaddset(&set, forwarded[i]);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* to the step's process group (it is a session leader) */
			(void)kill((ctx->spec->unsafe & BD_UNSAFE_SETSID) ? step : -step, sig);
			continue;
		}
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p <= 0)
				break;
			if (p == step) {
				struct bd_sync_msg msg = { .type = BD_SYNC_STATUS,
					                   .status = status };
				ssize_t n = write(ctx->sync_fd, &msg, sizeof(msg));

				(void)n;
				/* our exit tears down the pid namespace: every
				 * leftover process of the step is SIGKILLed */
				_exit(WIFEXITED(status) ? WEXITSTATUS(status)
				                        : 128 + WTERMSIG(status));
			}
		}
	}
}

void
bd_child_main(const struct bd_child_ctx *parent_ctx)
{
	struct bd_child_ctx c = *parent_ctx; /* ours to update (fd numbers) */
	const struct bd_child_ctx *ctx = &c;
	const struct bd_sandbox_spec *spec = ctx->spec;
	const struct rlimit no_core = { 0, 0 };
	struct bd_err err = { 0 };
	struct mounts m = { .upper = -1, .work = -1, .scratch = -1, .root = -1 };
	char go;
	pid_t step;

	/* wait until the parent has written our id maps */
	if (!wait_release(ctx, &m))
		_exit(BD_SANDBOX_EXIT_SETUP); /* parent died: nobody to report to */
	open_host_paths(ctx, &m);
	/* sandbox root (host uid base): owns what it creates, unlike the
	 * unmapped host root we still are (sandbox.md §5, EOVERFLOW) */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		bd_err_set(&err, errno, "become sandbox root");
		fail(ctx, &err);
	}
	setup_mounts(ctx, &m);
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		bd_err_set(&err, errno, "sethostname %s", spec->hostname);
		fail(ctx, &err);
	}
	if (!spec->network)
		CHECK(ctx, &err, loopback_up(&err));
	/* keyrings are not namespaced: leave the caller's session keyring
	 * (crun's libcrun_create_keyring(), threat #26) */
	if (!(spec->unsafe & BD_UNSAFE_KEYRING) &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
		bd_err_set(&err, errno, "join a new session keyring");
		fail(ctx, &err);
	}
	if (setrlimit(RLIMIT_CORE, &no_core) < 0) {
		bd_err_set(&err, errno, "setrlimit RLIMIT_CORE");
		fail(ctx, &err);
	}
	/* pid 1 leaves the caller's session too: terminal signals go to
	 * builder-sandbox, which forwards them */
	if (!(spec->unsafe & BD_UNSAFE_SETSID) && setsid() < 0) {
		bd_err_set(&err, errno, "setsid");
		fail(ctx, &err);
	}
	if (spec->unsafe & BD_UNSAFE_CAPS)
		;
	else if (spec->root_caps)
		CHECK(ctx, &err, bd_caps_keep_root_files(ctx->caps, &err));
	else
		CHECK(ctx, &err, bd_caps_drop_to(ctx->caps, spec->uid, spec->gid, &err));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		bd_err_set(&err, errno, "PR_SET_NO_NEW_PRIVS");
		fail(ctx, &err);
	}
	/* PDEATHSIG is cleared by credential changes, so only now; the read
	 * below catches a parent that died before it took effect */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		bd_err_set(&err, errno, "PR_SET_PDEATHSIG");
		fail(ctx, &err);
	}
	/* The second byte: the parent has put us in every cgroup.  EOF here
	 * means the parent died (before PDEATHSIG could cover it, or since). */
	if (read(ctx->release_fd, &go, 1) != 1)
		_exit(BD_SANDBOX_EXIT_SETUP);
	/* /proc/1/{mem,environ,exe} closed to the step (threat #28) */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		bd_err_set(&err, errno, "PR_SET_DUMPABLE");
		fail(ctx, &err);
	}
	if (chdir(spec->chdir) < 0) {
		bd_err_set(&err, errno, "chdir %s", spec->chdir);
		fail(ctx, &err);
	}
	/* Only 0, 1, 2 and our sync pipe survive; the step closes the sync
	 * pipe too (threat #29: nothing the caller holds leaks in). */
	if (!(spec->unsafe & BD_UNSAFE_CLOSE_FDS)) {
		if (c.sync_fd != 3) {
			if (dup3(c.sync_fd, 3, O_CLOEXEC) < 0) {
				bd_err_set(&err, errno, "dup3 sync pipe");
				fail(ctx, &err);
			}
			c.sync_fd = 3;
		}
		if (close_range(4, ~0U, 0) < 0) {
			bd_err_set(&err, errno, "close_range");
			fail(ctx, &err);
		}
		c.release_fd = -1;
	}
	/* last: the filter never has to allow any of the setup above */
	if (ctx->seccomp) {
		int r = bd_seccomp_load(ctx->seccomp);
		if (r < 0) {
			bd_err_set(&err, -r, "load the seccomp filter");
			fail(ctx, &err);
		}
	}
	/* pid 1 takes SIGCHLD and the forwarded signals with sigwaitinfo():
	 * block them before the fork so that none is lost */
	{
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGCHLD);
		for (size_t i = 0; i < BD_ARRAY_SIZE(forwarded); i++)
			sigaddset(&set, forwarded[i]);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	step = fork();
	if (step < 0) {
		bd_err_set(&err, errno, "fork the step");
		fail(ctx, &err);
	}
	if (step == 0)
		exec_step(ctx);
	init_loop(ctx, step);
}
