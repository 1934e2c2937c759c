/* SPDX-License-Identifier: MIT */
/* run: the parent side of one sandbox run (sandbox.md §6 steps 2–4 and 6).
 *
 * Prepare everything the child needs (resolved paths, skeleton mount
 * points, seccomp BPF, cgroups), clone the child into its namespaces (and,
 * with clone3's CLONE_INTO_CGROUP, straight into the v2 kill group), write
 * its id maps and v1 cgroup memberships, release it, then wait on a pidfd,
 * a signalfd, a timerfd and the sync pipe.  Timeout and cancel (SIGTERM)
 * kill the whole tree: cgroup.kill or the freezer, and SIGKILL to the
 * sandbox's pid 1, whose death tears down its pid namespace.  At the end the
 * cgroups and the overlay work (and upper) dirs are removed. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/child.h"

struct run {
	const struct bd_sandbox_spec *spec;
	struct bd_sandbox_result *res;
	struct bd_log log;
	struct bd_child_ctx ctx;
	struct bd_seccomp_prog prog;
	struct bd_caps *caps;
	struct bd_cgroup *cg;
	int overlay_fd; /* --overlay-dir, or -1 */
	int pidfd;
	pid_t pid;
};

/* --------------------------------------------------------- preparation */

static int
resolve_host_paths(struct run *r, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;

	r->ctx.layers = bd_xcalloc(spec->n_layers + 1, sizeof(char *));
	for (size_t i = 0; i < spec->n_layers; i++) {
		struct stat st;

		r->ctx.layers[i] = realpath(spec->layers[i], NULL);
		if (!r->ctx.layers[i])
			return bd_err_set(err, errno, "layer %s", spec->layers[i]);
		if (stat(r->ctx.layers[i], &st) < 0 || !S_ISDIR(st.st_mode))
			return bd_err_setx(err, ENOTDIR, "layer %s: not a directory",
			                   spec->layers[i]);
	}
	r->ctx.binds = bd_xcalloc(spec->n_binds + 1, sizeof(*r->ctx.binds));
	for (size_t i = 0; i < spec->n_binds; i++) {
		struct bd_sandbox_bind *b = &r->ctx.binds[i];
		struct stat st;

		*b = spec->binds[i];
		/* a writable bind must not follow a symlink: an earlier step may
		 * have planted one where the runner expects a directory it made */
		if (!b->readonly && lstat(spec->binds[i].src, &st) == 0 && S_ISLNK(st.st_mode)) {
			b->src = NULL;
			return bd_err_setx(err, ELOOP,
			                   "bind source %s: a writable bind may not be "
			                   "a symlink",
			                   spec->binds[i].src);
		}
		b->src = realpath(spec->binds[i].src, NULL);
		if (!b->src)
			return bd_err_set(err, errno, "bind source %s", spec->binds[i].src);
		if (stat(b->src, &st) < 0)
			return bd_err_set(err, errno, "bind source %s", b->src);
		b->is_dir = S_ISDIR(st.st_mode);
	}
	return 0;
}

/* Is @a equal to @b or below it? */
static bool
path_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || strcmp(b, "/") == 0);
}

static int
prepare_overlay_dir(struct run *r, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;
	uid_t root = spec->host_id_base;
	_cleanup_free_ char *real = NULL;
	struct stat st;

	if (mkdir(spec->overlay_dir, 0700) < 0 && errno != EEXIST)
		return bd_err_set(err, errno, "mkdir %s", spec->overlay_dir);
	real = realpath(spec->overlay_dir, NULL);
	if (!real)
		return bd_err_set(err, errno, "overlay dir %s", spec->overlay_dir);
	/* the step must not reach its own upper dir through a writable bind */
	for (size_t i = 0; i < spec->n_binds; i++) {
		const char *src = r->ctx.binds[i].src;

		if (!r->ctx.binds[i].readonly && (path_within(real, src) || path_within(src, real)))
			return bd_err_setx(
			    err, EINVAL, "overlay dir %s overlaps the writable bind %s", real, src);
	}
	r->overlay_fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->overlay_fd < 0)
		return bd_err_set(err, errno, "open %s", real);
	/* upper: kept from an earlier step, or new; owned by sandbox root so
	 * the overlay (mounted in the user namespace) can write it */
	if (fstatat(r->overlay_fd, "upper", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return bd_err_set(err, errno, "stat %s/upper", real);
		if (mkdirat(r->overlay_fd, "upper", 0755) < 0 ||
		    fchownat(r->overlay_fd, "upper", root, root, AT_SYMLINK_NOFOLLOW) < 0)
			return bd_err_set(err, errno, "create %s/upper", real);
	} else if (!S_ISDIR(st.st_mode)) {
		return bd_err_setx(err, ENOTDIR, "%s/upper: not a directory", real);
	}
	/* work: always fresh */
	if (bd_rm_rf_at(r->overlay_fd, "work", err) < 0)
		return -err->code;
	if (mkdirat(r->overlay_fd, "work", 0700) < 0 ||
	    fchownat(r->overlay_fd, "work", root, root, AT_SYMLINK_NOFOLLOW) < 0)
		return bd_err_set(err, errno, "create %s/work", real);
	r->ctx.upper = bd_xasprintf("%s/upper", real);
	r->ctx.work = bd_xasprintf("%s/work", real);
	return 0;
}

static void
cleanup_overlay_dir(struct run *r)
{
	struct bd_err err;

	if (r->overlay_fd < 0)
		return;
	if (bd_rm_rf_at(r->overlay_fd, "work", &err) < 0)
		bd_warn(&r->log, "cleanup: %s", err.msg);
	if (!r->spec->keep_upper && bd_rm_rf_at(r->overlay_fd, "upper", &err) < 0)
		bd_warn(&r->log, "cleanup: %s", err.msg);
	bd_close_reset(&r->overlay_fd);
}

/* What is at @rel in layer @fd, without following any symlink:
 * 1 directory, 0 something else, -ENOENT nothing. */
static int
layer_entry(int fd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int f = (int)syscall(SYS_openat2, fd, rel, &how, sizeof(how));
	struct stat st;

	if (f < 0)
		return errno == ENOENT ? -ENOENT : 0; /* a symlink on the way: not ours */
	if (fstat(f, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

/* Mount points that no layer provides go into a skeleton layer on top of
 * them: the layers belong to unmapped host users, so sandbox root cannot
 * create anything in them.  A path whose first missing component sits
 * below a symlink in a layer is left alone: it resolves inside the
 * sandbox at mount time.  Exposed for tests. */
int
bd_sandbox_skel(char **layers, size_t n_layers, const char *const *dsts, const bool *is_dir,
                size_t n_dsts, struct bd_skel_entry **out, size_t *n_out, struct bd_err *err)
{
	int fds[64];
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (n_layers > BD_ARRAY_SIZE(fds))
		return bd_err_setx(err, E2BIG, "more than %zu layers", BD_ARRAY_SIZE(fds));
	for (size_t i = 0; i < n_layers; i++) {
		fds[i] = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[i] < 0) {
			r = bd_err_set(err, errno, "open layer %s", layers[i]);
			while (i-- > 0)
				close(fds[i]);
			return r;
		}
	}
	for (size_t d = 0; d < n_dsts; d++) {
		const char *rel = dsts[d] + 1;
		char prefix[PATH_MAX];
		size_t len = strlen(rel);

		if (len >= sizeof(prefix))
			continue;
		for (size_t i = 1; i <= len; i++) {
			int kind = -ENOENT;

			if (rel[i] != '/' && rel[i] != '\0')
				continue;
			memcpy(prefix, rel, i);
			prefix[i] = '\0';
			for (size_t l = n_layers; l-- > 0 && kind == -ENOENT;)
				kind = layer_entry(fds[l], prefix);
			if (kind == 1)
				continue; /* a directory: look at the next component */
			if (kind == -ENOENT) {
				*out = bd_xrealloc(*out, (*n_out + 1) * sizeof(**out));
				(*out)[*n_out].path = bd_xstrdup(rel);
				(*out)[*n_out].is_dir = is_dir[d];
				(*n_out)++;
			}
			break; /* missing (now in the skeleton), a file, or a symlink */
		}
	}
	for (size_t i = 0; i < n_layers; i++)
		close(fds[i]);
	return 0;
}

static bool
below_any(const char *path, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(path, list[i]) != 0 && path_within(path, list[i]))
			return true;
	return false;
}

static int
compute_skel(struct run *r, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;
	size_t max = 3 + spec->n_binds, n = 0;
	const char **dsts = bd_xcalloc(max, sizeof(*dsts));
	bool *dirs = bd_xcalloc(max, sizeof(*dirs));

	dsts[n] = "/proc", dirs[n++] = true;
	dsts[n] = "/dev", dirs[n++] = true;
	dsts[n] = "/tmp", dirs[n++] = true;
	for (size_t i = 0; i < spec->n_binds; i++) {
		/* below /proc, /dev, /tmp or an earlier bind: made at mount time */
		if (below_any(r->ctx.binds[i].dst, dsts, n))
			continue;
		dsts[n] = r->ctx.binds[i].dst;
		dirs[n++] = r->ctx.binds[i].is_dir;
	}
	int rc = bd_sandbox_skel(r->ctx.layers, spec->n_layers, dsts, dirs, n, &r->ctx.skel,
	                         &r->ctx.n_skel, err);

	free((void *)(uintptr_t)dsts);
	free(dirs);
	return rc;
}

static int
prepare(struct run *r, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;
	struct bd_cgroup_limits lim = {
		.memory = spec->memory,
		.pids = spec->pids,
		.cpu_millis = spec->cpu_millis,
	};
	char name[64];
	int n;

	/* Root's supplementary groups would follow the step into the sandbox
	 * (they are host gids, checked against host files on binds), and
	 * setgroups() is denied inside: drop them now (as Nix does). */
	if (setgroups(0, NULL) < 0)
		return bd_err_set(err, errno, "setgroups (builder-sandbox must run as root)");
	if (resolve_host_paths(r, err) < 0)
		return -err->code;
	if (spec->overlay_dir && prepare_overlay_dir(r, err) < 0)
		return -err->code;
	if (compute_skel(r, err) < 0)
		return -err->code;
	r->ctx.envp = (char **)(uintptr_t)spec->env;
	if (spec->unsafe & BD_UNSAFE_SECCOMP) {
		r->ctx.seccomp = NULL;
	} else if (spec->seccomp) {
		r->ctx.seccomp = spec->seccomp; /* compiled at build time */
	} else {
		if (bd_seccomp_build(&r->prog, err) < 0)
			return -err->code;
		r->ctx.seccomp = &r->prog;
	}
	r->caps = bd_caps_prepare(err);
	if (!r->caps)
		return -err->code;
	r->ctx.caps = r->caps;
	/* another run's leftovers must not stop this one: warn and go on */
	n = bd_cgroup_sweep(spec->cgroup_parent, err);
	if (n < 0)
		bd_warn(&r->log, "sweeping stale cgroups: %s", err->msg);
	else if (n > 0)
		bd_info(&r->log, "swept %d stale cgroup(s) below %s", n, spec->cgroup_parent);
	if (bd_cgroup_run_name(name, sizeof(name), err) < 0)
		return -err->code;
	r->cg = bd_cgroup_create(spec->cgroup_parent, name, &lim, err);
	if (!r->cg)
		return -err->code;
	r->res->cgroup_layout = bd_cgroup_layout(r->cg);
	bd_debug(&r->log, "layers=%zu skeleton=%zu binds=%zu cgroup=%s/%s seccomp=%s",
	         spec->n_layers, r->ctx.n_skel, spec->n_binds, spec->cgroup_parent, name,
	         !r->ctx.seccomp ? "off"
	         : spec->seccomp ? "built-in"
	                         : "compiled");
	return 0;
}

/* --------------------------------------------------------- spawn */

static int
write_proc_file(pid_t pid, const char *file, const char *text, struct bd_err *err)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", path);
	if (write(fd, text, len) != (ssize_t)len)
		return bd_err_set(err, errno, "write %s", path);
	return 0;
}

/* Sandbox id 0 -> host base (setup runs as sandbox root and owns what it
 * creates); the build id -> base + id; with --root-caps every id 0..65535
 * -> base + id (builderd gives each slot its own 65,536 host ids).  setgroups must be denied before
 * gid_map is written (bwrap's write_uid_gid_map()). */
static int
write_id_maps(struct run *r, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;
	unsigned base = spec->host_id_base;
	char map[96];

	if (spec->root_caps)
		snprintf(map, sizeof(map), "0 %u 65536\n", base);
	else if (spec->uid)
		snprintf(map, sizeof(map), "0 %u 1\n%u %u 1\n", base, spec->uid, base + spec->uid);
	else
		snprintf(map, sizeof(map), "0 %u 1\n", base);
	if (write_proc_file(r->pid, "uid_map", map, err) < 0)
		return -err->code;
	if (write_proc_file(r->pid, "setgroups", "deny", err) < 0 && err->code != ENOENT)
		return -err->code;
	if (spec->root_caps)
		snprintf(map, sizeof(map), "0 %u 65536\n", base);
	else if (spec->gid)
		snprintf(map, sizeof(map), "0 %u 1\n%u %u 1\n", base, spec->gid, base + spec->gid);
	else
		snprintf(map, sizeof(map), "0 %u 1\n", base);
	return write_proc_file(r->pid, "gid_map", map, err);
}

/* clone3 with a pidfd, into the v2 group when there is one; the child
 * runs on a copy of our stack, like fork().  Returns the pid (0 in the
 * child) or -errno. */
static pid_t
spawn(struct run *r, bool *in_v2)
{
	uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
	                 CLONE_NEWCGROUP | CLONE_PIDFD | (r->spec->network ? 0 : CLONE_NEWNET);
	int cgfd = bd_cgroup_v2_fd(r->cg);
	struct clone_args args = {
		.flags = flags | (cgfd >= 0 ? CLONE_INTO_CGROUP : 0),
		.pidfd = (uint64_t)(uintptr_t)&r->pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)(cgfd >= 0 ? cgfd : 0),
	};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	*in_v2 = cgfd >= 0;
	if (pid < 0 && cgfd >= 0 && errno != ENOSPC && errno != EPERM && errno != EUSERS) {
		/* clone3 or CLONE_INTO_CGROUP unsupported: attach by pid later */
		args.flags = flags;
		args.cgroup = 0;
		*in_v2 = false;
		pid = syscall(SYS_clone3, &args, sizeof(args));
	}
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), 0, &r->pidfd, 0, 0);
	return pid < 0 ? -errno : (pid_t)pid;
}

static const char *
clone_hint(int e)
{
	/* bwrap's errno -> message mapping for clone() */
	switch (e) {
	case EINVAL:
		return " (no user namespace support?)";
	case EPERM:
		return " (user namespaces disabled, or not root?)";
	case ENOSPC:
	case EUSERS:
		return " (a max_*_namespaces limit was reached)";
	default:
		return "";
	}
}

/* Idmapped, read-only clones of the layers for the sandbox's user namespace
 * (Linux 5.12+; the layer's filesystem must support idmapped mounts: ext4,
 * xfs, btrfs, tmpfs...).  Through them, files of host root are sandbox
 * root's, so the overlay can copy them up; without them, copy-up of an
 * entry owned by an unmapped host id fails with EOVERFLOW.  Only host root
 * can idmap a host filesystem, hence here and not in the child.  Returns
 * the number of fds made (n_layers), or 0 when not possible. */
static size_t
idmap_layers(struct run *r, int *fds)
{
	const struct bd_sandbox_spec *spec = r->spec;
	char path[64];
	_cleanup_close_ int ns = -1;
	size_t i;

	if (spec->ro_root)
		return 0; /* nothing is ever copied up */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)r->pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return 0;
	for (i = 0; i < spec->n_layers; i++) {
		struct mount_attr ma = {
			.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
			            MOUNT_ATTR_NODEV,
			.userns_fd = (uint64_t)ns,
		};

		fds[i] = open_tree(AT_FDCWD, r->ctx.layers[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 || mount_setattr(fds[i], "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
			bd_debug(&r->log, "layer %s: no idmapped mount (%s): plain layer",
			         r->ctx.layers[i], strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			while (i-- > 0)
				close(fds[i]);
			return 0;
		}
	}
	return i;
}

/* Release the child (byte "1"), handing it the idmapped layers if any. */
static int
release_child(struct run *r, int sock, struct bd_err *err)
{
	int fds[64];
	size_t n = r->spec->n_layers <= BD_ARRAY_SIZE(fds) ? idmap_layers(r, fds) : 0;
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = "1", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t w;

	memset(&ctl, 0, sizeof(ctl));
	if (n > 0) {
		struct cmsghdr *c;

		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	}
	w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	if (w != 1)
		return bd_err_set(err, errno, "release the sandbox");
	return 0;
}

/* --------------------------------------------------------- waiting */

static void
kill_tree(struct run *r)
{
	struct bd_err err;

	if (r->cg && bd_cgroup_kill(r->cg, &err) < 0)
		bd_warn(&r->log, "kill: %s", err.msg);
	if (r->pidfd >= 0)
		(void)pidfd_send_signal(r->pidfd, SIGKILL, NULL, 0);
}

static void
read_sync(struct run *r, int *fd, int *step_status, bool *have_status)
{
	struct bd_sync_msg msg;
	ssize_t n = read(*fd, &msg, sizeof(msg));

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		bd_close_reset(fd);
		return;
	}
	if (n != (ssize_t)sizeof(msg))
		return; /* never trust the child's bytes */
	if (msg.type == BD_SYNC_ERROR && !r->res->setup_failed) {
		r->res->setup_failed = true;
		r->res->error = msg.err;
		r->res->error.msg[sizeof(r->res->error.msg) - 1] = '\0';
		if (r->res->error.code <= 0 || r->res->error.code > 4095)
			r->res->error.code = EIO;
	} else if (msg.type == BD_SYNC_STATUS) {
		*step_status = msg.status;
		*have_status = true;
	}
}

/* Wait for pid 1.  The sync pipe is read only once pid 1 is gone: it holds
 * at most two small messages (an error, the step's status), far below the
 * pipe's capacity, and not polling it saves two wake-ups per run. */
static int
wait_loop(struct run *r, int sync_fd, int sigfd, int timerfd, siginfo_t *si, int *step_status,
          bool *have_status)
{
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = r->pidfd, .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = timerfd, .events = POLLIN },
		};

		if (poll(fds, BD_ARRAY_SIZE(fds), -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo ssi;

			if (read(sigfd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi)) {
				if (ssi.ssi_signo == SIGTERM) {
					/* cancel: the runner wants the whole job gone */
					r->res->cancelled = true;
					kill_tree(r);
				} else {
					(void)pidfd_send_signal(r->pidfd, (int)ssi.ssi_signo, NULL,
					                        0);
				}
			}
		}
		if (fds[2].revents & POLLIN) {
			uint64_t ticks;

			if (read(timerfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks)) {
				r->res->timed_out = true;
				kill_tree(r);
			}
		}
		if (fds[0].revents & POLLIN) {
			memset(si, 0, sizeof(*si));
			if (waitid(P_PIDFD, (id_t)r->pidfd, si, WEXITED) < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			/* pid 1 is gone, and so is its pid namespace: every writer
			 * of the sync pipe has exited, read what it holds */
			while (sync_fd >= 0)
				read_sync(r, &sync_fd, step_status, have_status);
			return 0;
		}
	}
}

static void
format_size(char *out, size_t n, uint64_t v)
{
	if (v % (1ull << 30) == 0)
		snprintf(out, n, "%" PRIu64 " GiB", v >> 30);
	else if (v % (1ull << 20) == 0)
		snprintf(out, n, "%" PRIu64 " MiB", v >> 20);
	else
		snprintf(out, n, "%" PRIu64 " bytes", v);
}

static void
finish_result(struct run *r, const siginfo_t *si, int step_status, bool have_status)
{
	struct bd_sandbox_result *res = r->res;
	const struct bd_sandbox_spec *spec = r->spec;
	struct bd_cgroup_stats st = { 0 };
	struct rusage ru;
	char size[32];

	if (r->cg)
		bd_cgroup_stats(r->cg, &st);
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		res->user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000u +
		               (uint64_t)ru.ru_utime.tv_usec * 1000u;
		res->system_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000u +
		                 (uint64_t)ru.ru_stime.tv_usec * 1000u;
		res->peak_memory = (uint64_t)ru.ru_maxrss * 1024u;
	}
	if (st.have_peak)
		res->peak_memory = st.peak_memory;
	if (st.have_cpu) {
		res->user_ns = st.user_usec * 1000u;
		res->system_ns = st.system_usec * 1000u;
	}
	res->oom = st.oom;
	res->pids_limit_hit = st.pids_max_hit;

	if (res->setup_failed) {
		res->exit_code = BD_SANDBOX_EXIT_SETUP;
		return;
	}
	if (have_status) {
		res->exited = WIFEXITED(step_status);
		res->signal = WIFSIGNALED(step_status) ? WTERMSIG(step_status) : 0;
		res->exit_code = res->exited ? WEXITSTATUS(step_status) : 128 + res->signal;
	} else if (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED) {
		/* pid 1 itself was killed (timeout, cancel, OOM, parent death) */
		res->exited = false;
		res->signal = si->si_status;
		res->exit_code = 128 + si->si_status;
	} else {
		res->setup_failed = true;
		res->exit_code = BD_SANDBOX_EXIT_SETUP;
		bd_err_setx(&res->error, EIO,
		            "sandbox init exited with status %d before the step ran",
		            si->si_status);
		return;
	}
	if (res->cancelled) {
		snprintf(res->reason, sizeof(res->reason), "cancelled");
	} else if (res->timed_out) {
		snprintf(res->reason, sizeof(res->reason),
		         "timed out after %" PRIu64 ".%03" PRIu64 " s", spec->timeout_ms / 1000,
		         spec->timeout_ms % 1000);
	} else if (res->oom && res->exit_code != 0) {
		format_size(size, sizeof(size), spec->memory);
		snprintf(res->reason, sizeof(res->reason), "killed: out of memory (limit %s)",
		         size);
	} else if (res->pids_limit_hit && res->exit_code != 0) {
		snprintf(res->reason, sizeof(res->reason), "process limit %" PRIu64 " reached",
		         spec->pids);
	}
}

static const int handled_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static int
run_sandbox(struct run *r, int sigfd, struct bd_err *err)
{
	const struct bd_sandbox_spec *spec = r->spec;
	int sync_p[2] = { -1, -1 }, rel_p[2] = { -1, -1 };
	_cleanup_close_ int timerfd = -1;
	int step_status = 0, rc;
	bool have_status = false, in_v2;
	siginfo_t si;

	if (prepare(r, err) < 0)
		return -err->code;
	if (pipe2(sync_p, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rel_p) < 0)
		return bd_err_set(err, errno, "pipe2/socketpair");
	r->ctx.sync_fd = sync_p[1];
	r->ctx.release_fd = rel_p[0];

	r->res->wall_ns = bd_now_ns();
	r->pid = spawn(r, &in_v2);
	if (r->pid == 0) {
		close(sync_p[0]);
		close(rel_p[1]); /* so that our death shows as POLLHUP in the child */
		bd_child_main(&r->ctx);
	}
	close(sync_p[1]);
	close(rel_p[0]);
	if (r->pid < 0) {
		close(sync_p[0]);
		close(rel_p[1]);
		return bd_err_set(err, -r->pid, "clone the sandbox%s", clone_hint(-r->pid));
	}
	/* Release the child as soon as its id maps exist, so that its mount
	 * setup overlaps the v1 cgroup attach (a write to cgroup.procs can
	 * wait for an RCU grace period); the second byte tells it that the
	 * cgroups are in place, and it waits for it before it forks the step. */
	/* the clock runs from here: a setup that hangs is bounded too */
	rc = 0;
	if (spec->timeout_ms) {
		struct itimerspec its = {
			.it_value = { (time_t)(spec->timeout_ms / 1000),
			              (long)(spec->timeout_ms % 1000) * 1000000L },
		};

		timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (timerfd < 0 || timerfd_settime(timerfd, 0, &its, NULL) < 0)
			rc = bd_err_set(err, errno, "timerfd for the timeout");
	}
	if (rc == 0)
		rc = write_id_maps(r, err);
	if (rc == 0)
		rc = release_child(r, rel_p[1], err);
	if (rc == 0)
		rc = bd_cgroup_attach(r->cg, r->pid, in_v2, err);
	if (rc == 0 && send(rel_p[1], "2", 1, MSG_NOSIGNAL) != 1)
		rc = bd_err_set(err, errno, "release the sandbox");
	if (rc < 0) {
		kill_tree(r);
		(void)waitid(P_PIDFD, (id_t)r->pidfd, &si, WEXITED);
		close(sync_p[0]);
		close(rel_p[1]);
		return rc;
	}
	rc = wait_loop(r, sync_p[0], sigfd, timerfd, &si, &step_status, &have_status);
	r->res->wall_ns = bd_now_ns() - r->res->wall_ns;
	/* the child's copy is gone with it; ours kept it alive until now */
	close(rel_p[1]);
	if (rc < 0)
		return bd_err_set(err, -rc, "wait for the sandbox");
	finish_result(r, &si, step_status, have_status);
	return 0;
}

int
bd_sandbox_run(const struct bd_sandbox_spec *spec, struct bd_sandbox_result *res)
{
	struct run r = { .spec = spec, .res = res, .overlay_fd = -1, .pidfd = -1 };

	r.ctx.spec = spec;
	struct bd_err err = { 0 };
	_cleanup_close_ int sigfd = -1;
	sigset_t mask;
	int rc;

	memset(res, 0, sizeof(*res));
	res->exit_code = BD_SANDBOX_EXIT_SETUP;
	res->cgroup_layout = "none";
	bd_log_init(&r.log, "builder-sandbox", 2, spec->verbose ? BD_LOG_DEBUG : BD_LOG_WARN);
	/* From here on SIGTERM means "cancel" and is handled in the loop,
	 * even if it arrives while we are still preparing. */
	sigemptyset(&mask);
	for (size_t i = 0; i < BD_ARRAY_SIZE(handled_signals); i++)
		sigaddset(&mask, handled_signals[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0)
		rc = bd_err_set(&err, errno, "signalfd");
	else
		rc = run_sandbox(&r, sigfd, &err);
	if (rc < 0 && !res->setup_failed) {
		res->setup_failed = true;
		res->error = err;
	}
	if (res->setup_failed)
		res->exit_code = BD_SANDBOX_EXIT_SETUP;

	if (r.cg) {
		if (bd_cgroup_destroy(r.cg, &err) < 0)
			bd_warn(&r.log, "cleanup: %s", err.msg);
		r.cg = NULL;
	}
	cleanup_overlay_dir(&r);
	bd_close_reset(&r.pidfd);
	bd_seccomp_prog_free(&r.prog);
	bd_caps_free(r.caps);
	for (size_t i = 0; r.ctx.layers && i < spec->n_layers; i++)
		free(r.ctx.layers[i]);
	free(r.ctx.layers);
	for (size_t i = 0; r.ctx.binds && i < spec->n_binds; i++)
		free((void *)(uintptr_t)r.ctx.binds[i].src);
	free(r.ctx.binds);
	for (size_t i = 0; i < r.ctx.n_skel; i++)
		free(r.ctx.skel[i].path);
	free(r.ctx.skel);
	free((void *)(uintptr_t)r.ctx.upper);
	free((void *)(uintptr_t)r.ctx.work);
	/* The signals stay blocked: a SIGTERM arriving now, with the step
	 * already over, must not kill us before the caller writes the result. */
	return res->setup_failed ? -res->error.code : 0;
}
