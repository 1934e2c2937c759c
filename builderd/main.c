/* SPDX-License-Identifier: MIT */
/* builderd: the build daemon.  Parses options and the config file, sets
 * up the state directory and the signing key, and runs the event loop
 * (api.c, sched.c, logs.c).  Also the entry of the job runner, which is
 * this binary started as `builderd --run-job DIR`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "apk/crypto.h"
#include "apk/extract.h"
#include "builderd/daemon.h"
#include "common/cleanup.h"

static const char usage[] =
    "Usage: builderd [OPTIONS]\n"
    "\n"
    "The build daemon: a durable queue of melange recipes, built in a sandbox\n"
    "and published as signed APK packages to state-dir/repo/<arch>/.\n"
    "\n"
    "  --config FILE          settings file (see docs/operations.md)\n"
    "  --state-dir DIR        state: database, logs, caches, repo, keys\n"
    "                         (default /var/lib/builderd)\n"
    "  --socket PATH          API socket (default /run/builderd/builderd.sock)\n"
    "  --socket-group GROUP   group whose members may submit (root always may)\n"
    "  --workers N            concurrent jobs; 0 queues without running (default 2)\n"
    "  --rootfs DIR|TARBALL   base layer of the build sandbox (default: a busybox\n"
    "                         rootfs made from the host's busybox-static)\n"
    "  --key FILE             signing key (default: generated in state-dir/keys)\n"
    "  --extra-ro-path PATH   host path bound read-only into every sandbox\n"
    "                         (repeatable; e.g. /usr for a host toolchain)\n"
    "  --pipeline-dir DIR     extra pipeline directory for recipes (repeatable)\n"
    "  --arch ARCH            default target architecture (the host's)\n"
    "  --sandbox PATH         builder-sandbox to use (default: beside builderd)\n"
    "  --log-level LEVEL      error, warn, info (default) or debug\n"
    "  --foreground           do not detach; log to stderr\n"
    "  --help, --version\n";

enum {
	O_CONFIG = 256,
	O_STATE,
	O_SOCKET,
	O_GROUP,
	O_WORKERS,
	O_ROOTFS,
	O_KEY,
	O_EXTRA,
	O_PIPEDIR,
	O_ARCH,
	O_SANDBOX,
	O_LOGLEVEL,
	O_FOREGROUND,
	O_RUNJOB,
	O_VERSION,
};

static int
setup_state(struct bd_daemon *d, struct bd_err *err)
{
	const char *sd = d->cfg.state_dir;

	d->logs_dir = bd_xasprintf("%s/logs", sd);
	d->work_dir = bd_xasprintf("%s/work", sd);
	d->repo_dir = bd_xasprintf("%s/repo", sd);
	d->cache_dir = bd_xasprintf("%s/cache", sd);
	d->keys_dir = bd_xasprintf("%s/keys", sd);
	const char *dirs[] = { sd, d->logs_dir, d->work_dir, d->repo_dir, d->cache_dir };
	for (size_t i = 0; i < BD_ARRAY_SIZE(dirs); i++)
		if (bd_mkdir_p(dirs[i], 0755, err) < 0)
			return -err->code;
	_cleanup_free_ char *src = bd_xasprintf("%s/sources/sha256", d->cache_dir);
	_cleanup_free_ char *lay = bd_xasprintf("%s/layers", d->cache_dir);
	if (bd_mkdir_p(src, 0755, err) < 0 || bd_mkdir_p(lay, 0755, err) < 0 ||
	    bd_mkdir_p(d->keys_dir, 0700, err) < 0)
		return -err->code;
	/* environment layers a runner was building when it died (env.c makes
	 * them as apk-HEX.tmp.XXXXXX, with overlay dirs beside them): no runner
	 * runs yet, so whatever is there is stale */
	{
		_cleanup_close_ int lfd = open(lay, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct bd_strv names = { 0 };
		if (lfd < 0 || bd_dir_names_sorted(lfd, lay, &names, err) < 0)
			return lfd < 0 ? bd_err_set(err, errno, "open %s", lay) : -err->code;
		for (size_t i = 0; i < names.n; i++)
			if (bd_str_has_prefix(names.v[i], "apk-") && strstr(names.v[i], ".tmp.")) {
				bd_info(&d->log, "removing %s/%s, left by an interrupted job", lay,
				        names.v[i]);
				if (bd_rm_rf_at(lfd, names.v[i], err) < 0) {
					bd_strv_free(&names);
					return -err->code;
				}
			}
		bd_strv_free(&names);
	}
	/* the key directory holds the private key: keep it private */
	if (chmod(d->keys_dir, 0700) < 0)
		return bd_err_set(err, errno, "chmod %s", d->keys_dir);
	return 0;
}

/* The signing key: --key, else the one *.rsa in state/keys, else a new one. */
static int
setup_key(struct bd_daemon *d, struct bd_err *err)
{
	if (!d->cfg.key) {
		_cleanup_closedir_ DIR *dir = opendir(d->keys_dir);
		struct dirent *de;
		char *found = NULL;

		while (dir && (de = readdir(dir))) {
			if (bd_str_has_suffix(de->d_name, ".rsa") && de->d_name[0] != '.') {
				if (found) {
					free(found);
					return bd_err_setx(
					    err, EINVAL,
					    "%s holds several *.rsa keys; choose one "
					    "with --key",
					    d->keys_dir);
				}
				found = bd_xasprintf("%s/%s", d->keys_dir, de->d_name);
			}
		}
		if (!found) {
			char name[64];
			snprintf(name, sizeof(name), "builderd-%08lx", (unsigned long)time(NULL));
			bd_info(&d->log, "generating signing key %s/%s.rsa (RSA 4096)", d->keys_dir,
			        name);
			if (bd_apk_key_generate(d->keys_dir, name, 4096, err) < 0)
				return -err->code;
			found = bd_xasprintf("%s/%s.rsa", d->keys_dir, name);
		}
		d->cfg.key = found;
	}
	d->key = bd_apk_privkey_load(d->cfg.key, err);
	if (!d->key)
		return -err->code;
	bd_info(&d->log, "signing key %s (key name %s)", d->cfg.key, bd_apk_privkey_name(d->key));
	return 0;
}

/* The default base layer: busybox-static and its applets, a build user. */
static int
default_rootfs(struct bd_daemon *d, struct bd_err *err)
{
	_cleanup_free_ char *dir = bd_xasprintf("%s/layers/busybox", d->cache_dir);
	_cleanup_free_ char *tmp = bd_xasprintf("%s/layers/.busybox.tmp", d->cache_dir);
	_cleanup_free_ char *bb = NULL;
	struct stat st;
	const char *busybox = "/bin/busybox";
	int r;

	if (stat(dir, &st) == 0) {
		d->rootfs = bd_steal_ptr(&dir);
		return 0;
	}
	if (stat(busybox, &st) < 0)
		return bd_err_setx(err, ENOENT,
		                   "no rootfs configured and %s is missing: install busybox-static "
		                   "or set rootfs",
		                   busybox);
	{
		_cleanup_close_ int lfd = open(d->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd >= 0)
			(void)!bd_rm_rf_at(lfd, "layers/.busybox.tmp", err);
	}
	const char *sub[] = { "bin",        "sbin", "usr/bin", "usr/sbin", "etc",    "tmp",
		              "home/build", "proc", "dev",     "root",     "var/tmp" };
	for (size_t i = 0; i < BD_ARRAY_SIZE(sub); i++) {
		_cleanup_free_ char *p = bd_xasprintf("%s/%s", tmp, sub[i]);
		if (bd_mkdir_p(p, 0755, err) < 0)
			return -err->code;
	}
	bb = bd_xasprintf("%s/bin/busybox", tmp);
	{
		struct bd_buf data = { 0 };
		r = bd_read_file_at(AT_FDCWD, busybox, 64u << 20, &data, err);
		if (r == 0)
			r = bd_write_file_atomic(bb, data.data, data.len, 0755, err);
		bd_buf_free(&data);
		if (r < 0)
			return r;
	}
	/* applet links from `busybox --list-full` (e.g. "usr/bin/awk") */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return bd_err_set(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl(busybox, "busybox", "--list-full", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	struct bd_buf list = { 0 };
	r = bd_read_all(pfd[0], 1u << 20, &list, "busybox --list-full", err);
	close(pfd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bd_buf_free(&list);
		return r < 0 ? r : bd_err_setx(err, EIO, "busybox --list-full failed");
	}
	for (char *save = NULL, *l = strtok_r(list.data, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strcmp(l, "bin/busybox") == 0 || strstr(l, ".."))
			continue;
		_cleanup_free_ char *link = bd_xasprintf("%s/%s", tmp, l);
		(void)!symlink("/bin/busybox", link);
	}
	bd_buf_free(&list);
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
	                             "build:x:1000:1000:build:/home/build:/bin/sh\n"
	                             "nobody:x:65534:65534:nobody:/:/sbin/nologin\n";
	static const char group[] = "root:x:0:\nbuild:x:1000:\nnogroup:x:65534:\n";
	_cleanup_free_ char *pw = bd_xasprintf("%s/etc/passwd", tmp);
	_cleanup_free_ char *gr = bd_xasprintf("%s/etc/group", tmp);
	if (bd_write_file_atomic(pw, passwd, sizeof(passwd) - 1, 0644, err) < 0 ||
	    bd_write_file_atomic(gr, group, sizeof(group) - 1, 0644, err) < 0)
		return -err->code;
	_cleanup_free_ char *t = bd_xasprintf("%s/tmp", tmp);
	(void)chmod(t, 01777);
	if (rename(tmp, dir) < 0)
		return bd_err_set(err, errno, "rename %s", tmp);
	bd_info(&d->log, "built the default busybox rootfs in %s", dir);
	d->rootfs = bd_steal_ptr(&dir);
	return 0;
}

/* --rootfs: a directory is used as it is; a tarball (pinned by sha256 when
 * rootfs_sha256 is set) is extracted once into cache/layers/<sha256>/. */
static int
setup_rootfs(struct bd_daemon *d, struct bd_err *err)
{
	struct stat st;

	if (!d->cfg.rootfs)
		return default_rootfs(d, err);
	if (stat(d->cfg.rootfs, &st) < 0)
		return bd_err_set(err, errno, "rootfs %s", d->cfg.rootfs);
	if (S_ISDIR(st.st_mode)) {
		d->rootfs = bd_xstrdup(d->cfg.rootfs);
		return 0;
	}
	/* a tarball: hash it, compare with the pin, extract once */
	_cleanup_close_ int fd = open(d->cfg.rootfs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", d->cfg.rootfs);
	struct bd_hash *h = bd_hash_new(BD_HASH_SHA256);
	unsigned char buf[1 << 16], dg[BD_HASH_MAX];
	char hex[65];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		bd_hash_update(h, buf, (size_t)n);
	bd_hash_final(h, dg);
	bd_hash_free(h);
	if (n < 0)
		return bd_err_set(err, errno, "read %s", d->cfg.rootfs);
	bd_hex(dg, 32, hex);
	if (d->cfg.rootfs_sha256 && strcmp(hex, d->cfg.rootfs_sha256) != 0)
		return bd_err_setx(err, EINVAL, "rootfs %s: sha256 %s does not match the pin %s",
		                   d->cfg.rootfs, hex, d->cfg.rootfs_sha256);
	_cleanup_free_ char *dir = bd_xasprintf("%s/layers/%s", d->cache_dir, hex);
	if (stat(dir, &st) == 0) {
		d->rootfs = bd_steal_ptr(&dir);
		return 0;
	}
	_cleanup_free_ char *tmp = bd_xasprintf("%s.tmp", dir);
	_cleanup_close_ int lfd = open(d->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *rel = bd_xasprintf("layers/%s.tmp", hex);
	if (lfd >= 0)
		(void)!bd_rm_rf_at(lfd, rel, err);
	if (bd_mkdir_p(tmp, 0755, err) < 0)
		return -err->code;
	_cleanup_close_ int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bd_extract_opts eo = { .allow_special = false };
	lseek(fd, 0, SEEK_SET);
	if (tfd < 0 || bd_extract_fd(fd, d->cfg.rootfs, tfd, &eo, NULL, err) < 0)
		return tfd < 0 ? bd_err_set(err, errno, "open %s", tmp) : -err->code;
	if (rename(tmp, dir) < 0)
		return bd_err_set(err, errno, "rename %s", tmp);
	bd_info(&d->log, "extracted rootfs %s into %s", d->cfg.rootfs, dir);
	d->rootfs = bd_steal_ptr(&dir);
	return 0;
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct bd_daemon *d = arg;
	struct signalfd_siginfo si;

	(void)what;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			bd_sched_stop(d);
			break;
		case SIGHUP:
			bd_info(&d->log,
			        "SIGHUP: nothing to reload (restart to apply config changes)");
			break;
		default:
			break;
		}
	}
}

/* Detach; the parent exits 0 once the child is listening, so
 * `builderd && builderctl submit ...` never races the socket. */
static int
daemonize(int *ready_fd, const char *logpath)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (nul < 0 || logfd < 0)
		return -1;
	dup2(nul, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	close(nul);
	close(logfd);
	*ready_fd = p[1];
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "socket-group", required_argument, NULL, O_GROUP },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "rootfs", required_argument, NULL, O_ROOTFS },
		{ "key", required_argument, NULL, O_KEY },
		{ "extra-ro-path", required_argument, NULL, O_EXTRA },
		{ "pipeline-dir", required_argument, NULL, O_PIPEDIR },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "sandbox", required_argument, NULL, O_SANDBOX },
		{ "log-level", required_argument, NULL, O_LOGLEVEL },
		{ "foreground", no_argument, NULL, O_FOREGROUND },
		{ "run-job", required_argument, NULL, O_RUNJOB },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ 0 },
	};
	static struct bd_daemon dd;
	struct bd_daemon *d = &dd;
	struct bd_err err = { 0 };
	struct bd_strv overrides = { 0 }; /* key, value pairs from the command line */
	const char *config = NULL;
	int c, ready_fd = -1;

	bd_config_defaults(&d->cfg);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case O_CONFIG:
			config = optarg;
			continue;
		case O_RUNJOB:
			return bd_runner_main(optarg);
		case O_FOREGROUND:
			d->cfg.foreground = true;
			continue;
		case O_VERSION:
			puts("builderd " BD_VERSION);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case O_STATE:
			key = "state_dir";
			break;
		case O_SOCKET:
			key = "socket";
			break;
		case O_GROUP:
			key = "socket_group";
			break;
		case O_WORKERS:
			key = "workers";
			break;
		case O_ROOTFS:
			key = "rootfs";
			break;
		case O_KEY:
			key = "key";
			break;
		case O_EXTRA:
			key = "extra_ro_path";
			break;
		case O_PIPEDIR:
			key = "pipeline_dir";
			break;
		case O_ARCH:
			key = "arch";
			break;
		case O_SANDBOX:
			key = "sandbox";
			break;
		case O_LOGLEVEL:
			key = "log_level";
			break;
		default:
			fputs("Try 'builderd --help'.\n", stderr);
			return 2;
		}
		bd_strv_push(&overrides, key);
		bd_strv_push(&overrides, optarg);
	}
	if (optind != argc) {
		fprintf(stderr, "builderd: unexpected argument '%s'\nTry 'builderd --help'.\n",
		        argv[optind]);
		return 2;
	}
	if (config && bd_config_load(&d->cfg, config, &err) < 0) {
		fprintf(stderr, "builderd: %s\n", err.msg);
		return 2;
	}
	for (size_t i = 0; i + 1 < overrides.n; i += 2) {
		if (bd_config_set(&d->cfg, overrides.v[i], overrides.v[i + 1], &err) < 0) {
			fprintf(stderr, "builderd: --%s: %s\n", overrides.v[i], err.msg);
			return 2;
		}
	}
	bd_strv_free(&overrides);
	bd_log_init(&d->log, "builderd", 2, d->cfg.log_level);
	if (geteuid() != 0) {
		fprintf(stderr,
		        "builderd: must run as root (it creates user namespaces with a range "
		        "of ids, cgroups and overlay mounts for its sandboxes)\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		fprintf(stderr, "builderd: readlink /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	d->self_exe = bd_xstrdup(exe);
	if (!d->cfg.sandbox) {
		char *slash = strrchr(exe, '/');
		*slash = '\0';
		d->cfg.sandbox = bd_xasprintf("%s/builder-sandbox", exe);
	}
	if (d->cfg.socket_group) {
		struct group *g = getgrnam(d->cfg.socket_group);
		if (!g) {
			fprintf(stderr, "builderd: socket_group: no group '%s'\n",
			        d->cfg.socket_group);
			return 2;
		}
		d->allowed_gid = g->gr_gid;
		d->have_allowed_gid = true;
	}
	if (setup_state(d, &err) < 0 || setup_key(d, &err) < 0 || setup_rootfs(d, &err) < 0) {
		fprintf(stderr, "builderd: %s\n", err.msg);
		return 1;
	}
	_cleanup_free_ char *dbpath = bd_xasprintf("%s/builderd.db", d->cfg.state_dir);
	d->db = bd_db_open(dbpath, &err);
	if (!d->db) {
		fprintf(stderr, "builderd: %s\n", err.msg);
		return 1;
	}
	if (!d->cfg.foreground) {
		_cleanup_free_ char *logpath = bd_xasprintf("%s/builderd.log", d->cfg.state_dir);
		if (daemonize(&ready_fd, logpath) < 0) {
			fprintf(stderr, "builderd: cannot detach: %s\n", strerror(errno));
			return 1;
		}
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->inofd = -1;
	d->base = event_base_new();
	if (d->sigfd < 0 || !d->base) {
		bd_error(&d->log, "cannot set up the event loop");
		return 1;
	}
	d->ev_signal = event_new(d->base, d->sigfd, EV_READ | EV_PERSIST, on_signal, d);
	event_add(d->ev_signal, NULL);
	if (bd_logs_start(d, &err) < 0 || bd_sched_recover(d, &err) < 0 ||
	    bd_api_start(d, &err) < 0 || bd_sched_start(d, &err) < 0) {
		bd_error(&d->log, "%s", err.msg);
		return 1;
	}
	bd_info(&d->log, "builderd %s ready: state %s, %d worker(s), arch %s, rootfs %s",
	        BD_VERSION, d->cfg.state_dir, d->cfg.workers, d->cfg.arch, d->rootfs);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
	}
	event_base_dispatch(d->base);

	bd_info(&d->log, "stopped");
	bd_api_stop(d);
	bd_logs_stop(d);
	bd_db_close(d->db);
	bd_apk_privkey_free(d->key);
	return d->exit_code;
}
