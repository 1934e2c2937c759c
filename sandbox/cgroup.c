/* SPDX-License-Identifier: MIT */
/* cgroup: layout detection, controller placement, sweep (see cgroup.h).
 *
 * Detection follows crun's detect_cgroup_mode(): statfs() of the cgroup root
 * says cgroup2 (unified), or tmpfs with a cgroup2 "unified" mount below it
 * (hybrid), or tmpfs alone (v1).  Unlike crun, a hybrid host gets its limits
 * from v1 *and* its kill group from v2 (sandbox.md §5: the v2 side there has
 * cgroup.kill and cgroup.events but no memory or pids controller). */
#include "sandbox/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

const char *bd_cgroup_root = "/sys/fs/cgroup";

#define MAX_DIRS 5

struct bd_cgroup {
	struct bd_cg_dir dirs[MAX_DIRS];
	size_t n;
	char name[64];
};

static const struct {
	unsigned ctrl;
	const char *name;
} v1_names[] = {
	{ BD_CG_MEMORY, "memory" },
	{ BD_CG_PIDS, "pids" },
	{ BD_CG_CPU, "cpu" },
	{ BD_CG_FREEZER, "freezer" },
};

/* ------------------------------------------------------------ helpers */

int
bd_cg_write(struct bd_cg_dir *d, const char *file, const char *val, struct bd_err *err)
{
	_cleanup_close_ int fd = openat(d->fd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t len = strlen(val);
	ssize_t w;

	if (fd < 0)
		return bd_err_set(err, errno, "open %s/%s", d->path, file);
	w = write(fd, val, len);
	if (w != (ssize_t)len)
		return bd_err_set(err, w < 0 ? errno : EIO, "write '%s' to %s/%s", val, d->path,
		                  file);
	return 0;
}

int
bd_cg_write_u64(struct bd_cg_dir *d, const char *file, uint64_t val, struct bd_err *err)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, val);
	return bd_cg_write(d, file, v, err);
}

int
bd_cg_attach(struct bd_cg_dir *d, pid_t pid, struct bd_err *err)
{
	return bd_cg_write_u64(d, "cgroup.procs", (uint64_t)pid, err);
}

void
bd_cg_pids_stats(struct bd_cg_dir *d, struct bd_cgroup_stats *st)
{
	char buf[256];
	uint64_t v;

	if ((d->ctrls & BD_CG_PIDS) && bd_cg_read(d->fd, "pids.events", buf, sizeof(buf)) > 0 &&
	    bd_cgroup_keyed(buf, "max", &v) == 0 && v > 0)
		st->pids_max_hit = true;
}

/* Read up to @n-1 bytes of a small cgroup file.  Returns the length, or -errno. */
int
bd_cg_read(int dirfd, const char *file, char *buf, size_t n)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t r;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return (int)r;
}

int
bd_cg_kill_procs(int dirfd)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = NULL;
	int pid, n = 0;

	if (fd < 0)
		return 0;
	f = fdopen(fd, "re");
	if (!f)
		return 0;
	fd = -1;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			n++;
	return n;
}

static bool
is_fs(const char *path, long magic)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

/* The v2 hierarchy's root, or false when there is none. */
static bool
v2_root(char *out, size_t n)
{
	if (is_fs(bd_cgroup_root, CGROUP2_SUPER_MAGIC)) {
		snprintf(out, n, "%s", bd_cgroup_root);
		return true;
	}
	snprintf(out, n, "%s/unified", bd_cgroup_root);
	return is_fs(out, CGROUP2_SUPER_MAGIC);
}

static bool
v1_root(const char *ctrl, char *out, size_t n)
{
	if (is_fs(bd_cgroup_root, CGROUP2_SUPER_MAGIC))
		return false;
	snprintf(out, n, "%s/%s", bd_cgroup_root, ctrl);
	return is_fs(out, CGROUP_SUPER_MAGIC);
}

int
bd_cgroup_self_path(const char *text, const char *controller, char *out, size_t n)
{
	size_t clen = strlen(controller);

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *c1 = memchr(line, ':', end ? (size_t)(end - line) : strlen(line));
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t llen = end ? (size_t)(end - line) : strlen(line);

		if (c1 && c2 && c2 < line + llen) {
			const char *ctrls = c1 + 1;
			size_t cl = (size_t)(c2 - ctrls);
			bool match = false;

			if (clen == 0) {
				match = cl == 0 && c1 - line == 1 && line[0] == '0';
			} else {
				/* "cpu,cpuacct": look for the name as a whole item */
				for (const char *p = ctrls; p < c2;) {
					const char *q = memchr(p, ',', (size_t)(c2 - p));
					size_t il = q ? (size_t)(q - p) : (size_t)(c2 - p);

					if (il == clen && strncmp(p, controller, clen) == 0)
						match = true;
					p += il + 1;
				}
			}
			if (match) {
				size_t plen = (size_t)(line + llen - (c2 + 1));

				if (plen + 1 > n)
					return -ENAMETOOLONG;
				memcpy(out, c2 + 1, plen);
				out[plen] = '\0';
				return 0;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

int
bd_cgroup_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return sscanf(p + klen + 1, "%" SCNu64, out) == 1 ? 0 : -EINVAL;
	}
	return -ENOENT;
}

int
bd_cgroup_parse_run_name(const char *name, pid_t *pid, uint64_t *start)
{
	char pidbuf[16];
	const char *p, *dash;
	uint64_t v;

	if (strncmp(name, "sb-", 3) != 0)
		return -EINVAL;
	p = name + 3;
	dash = strchr(p, '-');
	if (!dash || dash == p || (size_t)(dash - p) >= sizeof(pidbuf))
		return -EINVAL;
	memcpy(pidbuf, p, (size_t)(dash - p));
	pidbuf[dash - p] = '\0';
	if (bd_parse_u64(pidbuf, 1u << 30, &v) < 0 || v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return bd_parse_u64(dash + 1, UINT64_MAX, start) < 0 ? -EINVAL : 0;
}

int
bd_cgroup_stat_starttime(const char *stat, uint64_t *out)
{
	/* comm may hold spaces and parens: fields resume after the last ')' */
	const char *p = strrchr(stat, ')');

	if (!p)
		return -EINVAL;
	p++;
	/* p is at the space before field 3 (state); starttime is field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	return sscanf(p + 1, "%" SCNu64, out) == 1 ? 0 : -EINVAL;
}

static int
pid_starttime(pid_t pid, uint64_t *out)
{
	char path[40], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return bd_cgroup_stat_starttime(buf, out);
}

int
bd_cgroup_run_name(char *out, size_t n, struct bd_err *err)
{
	uint64_t start;
	int r = pid_starttime(getpid(), &start);

	if (r < 0)
		return bd_err_set(err, -r, "read /proc/%d/stat", (int)getpid());
	snprintf(out, n, "sb-%d-%" PRIu64, (int)getpid(), start);
	return 0;
}

int
bd_cgroup_join(char *out, size_t n, const char *root, const char *self, const char *parent)
{
	int r;

	if (parent[0] == '/')
		r = snprintf(out, n, "%s%s", root, strcmp(parent, "/") == 0 ? "" : parent);
	else
		r = snprintf(out, n, "%s%s/%s", root, strcmp(self, "/") == 0 ? "" : self, parent);
	if (r < 0 || (size_t)r >= n)
		return -ENAMETOOLONG;
	return 0;
}

static char *
read_self_cgroup(void)
{
	struct bd_buf b = { 0 };
	struct bd_err err;

	if (bd_read_file_at(AT_FDCWD, "/proc/self/cgroup", 65536, &b, &err) < 0) {
		bd_buf_free(&b);
		return NULL;
	}
	return bd_buf_steal(&b);
}

/* Parent dir of the run's group in hierarchy @hroot ("" @ctrl = v2). */
static int
parent_path(char *out, size_t n, const char *hroot, const char *ctrl, const char *parent,
            const char *self_text, struct bd_err *err)
{
	char self[512] = "/";

	if (parent[0] != '/') {
		if (!self_text || bd_cgroup_self_path(self_text, ctrl, self, sizeof(self)) < 0)
			return bd_err_setx(err, ENOENT, "cgroup: own %s group not found",
			                   ctrl[0] ? ctrl : "v2");
	}
	if (bd_cgroup_join(out, n, hroot, self, parent) < 0)
		return bd_err_setx(err, ENAMETOOLONG, "cgroup: path too long below %s", hroot);
	return 0;
}

/* ------------------------------------------------------------ create */

bool
bd_cgroup_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static const char *
ctrl_name(unsigned ctrl)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(v1_names); i++)
		if (v1_names[i].ctrl == ctrl)
			return v1_names[i].name;
	return "?";
}

/* Make sure every level from @hroot down to @path enables @ctrls for its
 * children (cgroup.subtree_control), creating missing levels. */
static int
v2_enable(const char *hroot, const char *path, unsigned ctrls, struct bd_err *err)
{
	char cur[512];
	const char *rest = path + strlen(hroot);
	size_t len;

	snprintf(cur, sizeof(cur), "%s", hroot);
	for (;;) {
		char have[256], file[600];
		_cleanup_close_ int fd = -1;

		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", cur);
		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return bd_err_set(err, errno, "open %s", file);
		ssize_t r = read(fd, have, sizeof(have) - 1);
		have[r > 0 ? r : 0] = '\0';
		for (size_t i = 0; i < 3; i++) {
			char want[32];

			if (!(ctrls & v1_names[i].ctrl) ||
			    bd_cgroup_list_has(have, v1_names[i].name))
				continue;
			snprintf(want, sizeof(want), "+%s", v1_names[i].name);
			if (pwrite(fd, want, strlen(want), 0) < 0)
				return bd_err_set(
				    err, errno,
				    "enable %s in %s (a v2 group with processes "
				    "cannot delegate: use an absolute --cgroup-parent)",
				    v1_names[i].name, file);
		}
		while (*rest == '/')
			rest++;
		if (!*rest)
			return 0;
		len = strcspn(rest, "/");
		if (strlen(cur) + len + 2 > sizeof(cur))
			return bd_err_setx(err, ENAMETOOLONG, "cgroup path too long");
		strcat(cur, "/");
		strncat(cur, rest, len);
		rest += len;
		if (mkdir(cur, 0755) < 0 && errno != EEXIST)
			return bd_err_set(err, errno, "mkdir %s", cur);
	}
}

static int
add_dir(struct bd_cgroup *cg, const struct bd_cgroup_ops *ops, unsigned ctrls, bool killer,
        const char *hroot, const char *ppath, const struct bd_cgroup_limits *lim,
        struct bd_err *err)
{
	struct bd_cg_dir *d = &cg->dirs[cg->n];

	d->ops = ops;
	d->ctrls = ctrls;
	d->killer = killer;
	d->fd = -1;
	d->parent_fd = open(ppath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->parent_fd < 0 && errno == ENOENT) {
		if (ops == &bd_cg_v2_ops) {
			if (v2_enable(hroot, ppath, ctrls, err) < 0)
				return -err->code;
		} else if (bd_mkdir_p(ppath, 0755, err) < 0) {
			return -err->code;
		}
		d->parent_fd = open(ppath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (d->parent_fd >= 0 && ops == &bd_cg_v2_ops && ctrls) {
		if (v2_enable(hroot, ppath, ctrls, err) < 0) {
			bd_close_reset(&d->parent_fd);
			return -err->code;
		}
	}
	if (d->parent_fd < 0)
		return bd_err_set(err, errno, "open %s", ppath);
	snprintf(d->path, sizeof(d->path), "%s/%s", ppath, cg->name);
	if (mkdirat(d->parent_fd, cg->name, 0755) < 0) {
		int e = errno;
		bd_close_reset(&d->parent_fd);
		return bd_err_set(err, e, "mkdir %s", d->path);
	}
	cg->n++; /* from here on destroy() removes it */
	d->fd = openat(d->parent_fd, cg->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return bd_err_set(err, errno, "open %s", d->path);
	return ops->limit(d, lim, err);
}

struct bd_cgroup *
bd_cgroup_create(const char *parent, const char *name, const struct bd_cgroup_limits *lim,
                 struct bd_err *err)
{
	struct bd_cgroup *cg = bd_xcalloc(1, sizeof(*cg));
	_cleanup_free_ char *self = parent[0] == '/' ? NULL : read_self_cgroup();
	unsigned need = 0, v2ctrls = 0;
	char v2r[256], hroot[256], ppath[512];
	bool have_v2 = v2_root(v2r, sizeof(v2r));

	snprintf(cg->name, sizeof(cg->name), "%s", name);
	if (lim->memory)
		need |= BD_CG_MEMORY;
	if (lim->pids)
		need |= BD_CG_PIDS;
	if (lim->cpu_millis)
		need |= BD_CG_CPU;
	if (have_v2) {
		char file[300], avail[256];

		snprintf(file, sizeof(file), "%s/cgroup.controllers", v2r);
		if (bd_cg_read(AT_FDCWD, file, avail, sizeof(avail)) < 0)
			avail[0] = '\0';
		for (size_t i = 0; i < 3; i++)
			if ((need & v1_names[i].ctrl) &&
			    bd_cgroup_list_has(avail, v1_names[i].name))
				v2ctrls |= v1_names[i].ctrl;
		if (parent_path(ppath, sizeof(ppath), v2r, "", parent, self, err) < 0 ||
		    add_dir(cg, &bd_cg_v2_ops, v2ctrls, true, v2r, ppath, lim, err) < 0)
			goto fail;
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(v1_names); i++) {
		unsigned c = v1_names[i].ctrl;

		if (c == BD_CG_FREEZER ? have_v2 : !((need & ~v2ctrls) & c))
			continue;
		if (!v1_root(v1_names[i].name, hroot, sizeof(hroot))) {
			if (c == BD_CG_FREEZER)
				continue; /* no way to kill by group: pid 1 kill still works */
			bd_err_setx(err, ENOTSUP,
			            "cgroup: no %s controller on this host (needed for "
			            "the %s limit)",
			            ctrl_name(c), ctrl_name(c));
			goto fail;
		}
		if (parent_path(ppath, sizeof(ppath), hroot, v1_names[i].name, parent, self, err) <
		        0 ||
		    add_dir(cg, &bd_cg_v1_ops, c, c == BD_CG_FREEZER, hroot, ppath, lim, err) < 0)
			goto fail;
	}
	return cg;
fail:
	bd_err_prefix(err, "cgroup %s: ", name);
	{
		struct bd_err ignored;
		(void)bd_cgroup_destroy(cg, &ignored);
	}
	return NULL;
}

const char *
bd_cgroup_layout(const struct bd_cgroup *cg)
{
	bool v1 = false, v2 = false;

	for (size_t i = 0; cg && i < cg->n; i++) {
		if (cg->dirs[i].ops == &bd_cg_v2_ops)
			v2 = true;
		else
			v1 = true;
	}
	return v1 && v2 ? "hybrid" : v2 ? "v2" : v1 ? "v1" : "none";
}

int
bd_cgroup_v2_fd(const struct bd_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i].ops == &bd_cg_v2_ops)
			return cg->dirs[i].fd;
	return -1;
}

int
bd_cgroup_attach(struct bd_cgroup *cg, pid_t pid, bool in_v2, struct bd_err *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		struct bd_cg_dir *d = &cg->dirs[i];

		if (in_v2 && d->ops == &bd_cg_v2_ops)
			continue;
		if (d->ops->attach(d, pid, err) < 0)
			return -err->code;
	}
	return 0;
}

int
bd_cgroup_kill(struct bd_cgroup *cg, struct bd_err *err)
{
	int r = 0;

	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i].killer && cg->dirs[i].ops->kill(&cg->dirs[i], err) < 0)
			r = -err->code;
	/* anything still in a limits-only group (no killer hierarchy) */
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->dirs[i].killer)
			(void)bd_cg_kill_procs(cg->dirs[i].fd);
	return r;
}

void
bd_cgroup_stats(struct bd_cgroup *cg, struct bd_cgroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < cg->n; i++)
		cg->dirs[i].ops->stats(&cg->dirs[i], st);
}

static bool
any_populated(struct bd_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		if (cg->dirs[i].fd >= 0 && cg->dirs[i].ops->populated(&cg->dirs[i]))
			return true;
	return false;
}

/* rmdir with retries: a group stays busy for a moment after its last task
 * exits (crun's destroy_cgroup_path() retries too). */
static int
remove_dir(int parent_fd, const char *name, const char *path, struct bd_err *err)
{
	const struct timespec pause = { 0, 2000000 };

	for (int i = 0; i < 500; i++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	return bd_err_set(err, errno, "rmdir %s", path);
}

int
bd_cgroup_destroy(struct bd_cgroup *cg, struct bd_err *err)
{
	const struct timespec pause = { 0, 1000000 };
	int r = 0;

	if (!cg)
		return 0;
	for (int i = 0; i < 1000 && any_populated(cg); i++) {
		if (i % 100 == 0 && bd_cgroup_kill(cg, err) < 0)
			r = -err->code;
		nanosleep(&pause, NULL);
	}
	for (size_t i = cg->n; i-- > 0;) {
		struct bd_cg_dir *d = &cg->dirs[i];

		bd_close_reset(&d->fd);
		if (remove_dir(d->parent_fd, cg->name, d->path, err) < 0)
			r = -err->code;
		bd_close_reset(&d->parent_fd);
	}
	free(cg);
	return r;
}

/* ------------------------------------------------------------ sweep */

static bool
run_is_stale(const char *name)
{
	pid_t pid;
	uint64_t want, have;

	if (bd_cgroup_parse_run_name(name, &pid, &want) < 0)
		return false; /* not ours */
	if (pid_starttime(pid, &have) < 0)
		return true; /* owner gone */
	return have != want; /* pid reused by another process */
}

static int
sweep_dir(const char *ppath, const struct bd_cgroup_ops *ops, unsigned ctrls, struct bd_err *err)
{
	_cleanup_closedir_ DIR *dir = opendir(ppath);
	struct dirent *de;
	int n = 0;

	if (!dir)
		return errno == ENOENT ? 0 : bd_err_set(err, errno, "opendir %s", ppath);
	while ((de = readdir(dir)) != NULL) {
		struct bd_cg_dir d = { .ops = ops, .ctrls = ctrls, .killer = true };

		if (de->d_type != DT_DIR || !run_is_stale(de->d_name))
			continue;
		d.parent_fd = dirfd(dir);
		d.fd = openat(d.parent_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d.fd < 0)
			continue;
		snprintf(d.path, sizeof(d.path), "%s/%s", ppath, de->d_name);
		(void)ops->kill(&d, err);
		for (int i = 0; i < 1000 && ops->populated(&d); i++) {
			const struct timespec pause = { 0, 1000000 };
			nanosleep(&pause, NULL);
		}
		bd_close_reset(&d.fd);
		if (remove_dir(d.parent_fd, de->d_name, d.path, err) < 0)
			return -err->code;
		n++;
	}
	return n;
}

int
bd_cgroup_sweep(const char *parent, struct bd_err *err)
{
	_cleanup_free_ char *self = parent[0] == '/' ? NULL : read_self_cgroup();
	char hroot[256], ppath[512];
	int total = 0, r;

	if (v2_root(hroot, sizeof(hroot)) &&
	    parent_path(ppath, sizeof(ppath), hroot, "", parent, self, err) == 0) {
		r = sweep_dir(ppath, &bd_cg_v2_ops, 0, err);
		if (r < 0)
			return r;
		total += r;
	}
	for (size_t i = 0; i < BD_ARRAY_SIZE(v1_names); i++) {
		if (!v1_root(v1_names[i].name, hroot, sizeof(hroot)) ||
		    parent_path(ppath, sizeof(ppath), hroot, v1_names[i].name, parent, self, err) <
		        0)
			continue;
		r = sweep_dir(ppath, &bd_cg_v1_ops, v1_names[i].ctrl, err);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}
