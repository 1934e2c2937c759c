/* SPDX-License-Identifier: MIT */
/* probe: a static program that tries one thing a hostile build step would
 * try and prints "<what>: ok" or "<what>: <ERRNO NAME>" per attempt, for
 * tests/escape/ (the model is bwrap's tests/try-syscall.c).  A few
 * subcommands run on the host to set a case up (listeners, a keyring).
 *
 *   probe CHECK [ARGS...]     see usage() for the list
 *
 * Every attempt is harmless when it succeeds: nothing reboots, swaps, loads
 * or mounts over anything that matters, and no packet ever leaves loopback
 * (the UDP "connect" to a TEST-NET address only asks for a route). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static void
report(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
	else
		printf("%s: ok\n", what);
	fflush(stdout);
}

static int
check_read(const char *path)
{
	char buf[256], what[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	snprintf(what, sizeof(what), "read %s", path);
	report(what, fd < 0 ? -1 : n);
	return 0;
}

static int
check_write(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		char what[512];
		int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		snprintf(what, sizeof(what), "write %s", argv[i]);
		report(what, fd);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* Walk @dir (not into /proc, /sys, /dev) and look for @marker in files. */
static int
scan(const char *dir, const char *marker, int depth)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (depth > 32 || strcmp(dir, "/proc") == 0 || strcmp(dir, "/sys") == 0 ||
	    strcmp(dir, "/dev") == 0)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found += scan(path, marker, depth + 1);
		} else if (S_ISREG(st.st_mode) && st.st_size < (1 << 20)) {
			static char buf[1 << 20];
			int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

			if (fd >= 0)
				close(fd);
			if (n > 0) {
				buf[n] = '\0';
				if (memmem(buf, (size_t)n, marker, strlen(marker))) {
					printf("scan: found %s\n", path);
					found++;
				}
			}
		}
	}
	closedir(d);
	return found;
}

static int
connect_inet(const char *ip, const char *port, int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	char what[128];
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int rc = -1;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (s >= 0)
		rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	snprintf(what, sizeof(what), "connect %s %s:%s", type == SOCK_STREAM ? "tcp" : "udp", ip,
	         port);
	report(what, s < 0 ? -1 : rc);
	if (s >= 0)
		close(s);
	return 0;
}

static socklen_t
abstract_addr(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strncpy(sa->sun_path + 1, name, sizeof(sa->sun_path) - 2);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

__attribute__((noreturn)) static void
listen_loop(int s)
{
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static int
netinfo(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char line[512];
	FILE *f;
	int routes = 0;

	printf("interfaces:");
	for (i = ifs; i && i->if_index; i++)
		printf(" %s", i->if_name);
	printf("\n");
	if (ifs)
		if_freenameindex(ifs);
	/* IPv4 routes (header line skipped) and IPv6 routes not on lo */
	f = fopen("/proc/net/route", "re");
	if (f) {
		if (fgets(line, sizeof(line), f))
			while (fgets(line, sizeof(line), f))
				routes++;
		fclose(f);
	}
	f = fopen("/proc/net/ipv6_route", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *dev = strrchr(line, ' ');
			if (dev && strncmp(dev + 1, "lo", 2) != 0)
				routes++;
		}
		fclose(f);
	}
	printf("routes beyond lo: %d\n", routes);
	report("resolv.conf", access("/etc/resolv.conf", F_OK));
	return 0;
}

static int
memhog(long mib)
{
	for (long i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("memhog: malloc failed at %ld MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20);
	}
	printf("memhog: survived %ld MiB\n", mib);
	return 0;
}

static int
check_ptrace(void)
{
	char buf[16];
	struct iovec local = { buf, sizeof(buf) }, remote = { (void *)0x400000, sizeof(buf) };
	pid_t child;
	int st;

	report("ptrace attach pid 1", ptrace(PTRACE_ATTACH, 1, NULL, NULL));
	report("process_vm_readv pid 1", process_vm_readv(1, &local, 1, &remote, 1, 0));
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	report("ptrace attach own child", ptrace(PTRACE_ATTACH, child, NULL, NULL));
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return 0;
}

static int
check_mount(void)
{
	report("mount tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
	report("umount2 /proc", umount2("/proc", MNT_DETACH));
	/* paths that do not exist: allowed means ENOENT, refused means EPERM */
	report("pivot_root", syscall(SYS_pivot_root, "/nonexistent-bd", "/nonexistent-bd"));
	report("chroot", chroot("/nonexistent-bd"));
	report("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
	report("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/tmp", 1 /* OPEN_TREE_CLONE */));
	report("move_mount", syscall(SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/mnt", 0));
	return 0;
}

/* Each attempt in its own child: a successful unshare() would move the
 * probe itself into the new namespace and change what the next one sees. */
static void
in_child(const char *what, long (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		report(what, fn());
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static long
try_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

static long
try_unshare_ns(void)
{
	return unshare(CLONE_NEWNS);
}

static long
try_clone_user(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static long
try_clone3(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static long
try_setns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -1 : setns(fd, 0);
}

static int
check_unshare(void)
{
	in_child("unshare CLONE_NEWUSER", try_unshare_user);
	in_child("unshare CLONE_NEWNS", try_unshare_ns);
	in_child("clone CLONE_NEWUSER", try_clone_user);
	in_child("clone3", try_clone3);
	in_child("setns", try_setns);
	return 0;
}

static int
check_keyring(void)
{
	char buf[256];
	long id =
	    syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", "bd-test", 0);
	long n;

	if (id < 0) {
		report("keyring search", -1);
		return 0;
	}
	n = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof(buf) - 1);
	if (n < 0) {
		report("keyring read", -1);
		return 0;
	}
	buf[n < (long)sizeof(buf) ? n : (long)sizeof(buf) - 1] = '\0';
	printf("keyring read: payload %s\n", buf);
	return 0;
}

/* host side: a new session keyring holding a user key, then exec CMD */
static int
keyring_exec(const char *payload, char **cmd)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ||
	    syscall(SYS_add_key, "user", "bd-test", payload, strlen(payload),
	            KEY_SPEC_SESSION_KEYRING) < 0) {
		perror("probe keyring-exec");
		return 1;
	}
	execvp(cmd[0], cmd);
	perror("probe keyring-exec: exec");
	return 1;
}

static int
check_procsys(void)
{
	static const char *const files[] = { "/proc/sys/kernel/hostname",
		                             "/proc/sys/net/ipv4/ip_forward",
		                             "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char what[128];
		int fd = open(files[i], O_WRONLY | O_CLOEXEC);
		/* a value that changes nothing: the current hostname, 0, 0, "" */
		const char *val = i == 0 ? "builder\n" : i == 3 ? "" : "0\n";
		long rc = fd < 0 ? -1 : write(fd, val, strlen(val));

		snprintf(what, sizeof(what), "write %s", files[i]);
		report(what, rc);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int
list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	printf("fds:");
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		printf(" %s", de->d_name);
	}
	printf("\n");
	if (d)
		closedir(d);
	return 0;
}

static int
check_tty(void)
{
	char c = '\n';
	char sub = 0;

	report("isatty 0", isatty(0) ? 0 : -1);
	report("TIOCSTI", ioctl(0, TIOCSTI, &c));
	report("TIOCLINUX", ioctl(0, TIOCLINUX, &sub));
	report("open /dev/tty", open("/dev/tty", O_RDWR | O_CLOEXEC));
	return 0;
}

static int
int80(void)
{
#if defined(__x86_64__)
	long ret;
	/* i386 keyctl (288): KEYCTL_GET_KEYRING_ID of the session keyring */
	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(288L), "b"((long)KEYCTL_GET_KEYRING_ID),
	                   "c"((long)KEY_SPEC_SESSION_KEYRING), "d"(0L)
	                 : "memory");
	printf("int80: survived, returned %ld\n", ret);
#else
	printf("int80: not x86_64\n");
#endif
	return 0;
}

static int
check_chmod(const char *dir)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/probe-suid", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		report("create", -1);
		return 1;
	}
	report("chmod 0755", chmod(path, 0755));
	report("chmod 04755", chmod(path, 04755));
	report("fchmod 02755", fchmod(fd, 02755));
	report("fchmodat 06755", fchmodat(AT_FDCWD, path, 06755, 0));
	close(fd);
	return 0;
}

static int
check_xattr(const char *dir)
{
	/* VFS_CAP_REVISION_2 with CAP_NET_RAW permitted */
	struct {
		uint32_t magic;
		struct {
			uint32_t permitted, inheritable;
		} data[2];
	} cap = { 0x02000000 | 0x000001, { { 1u << 13, 0 }, { 0, 0 } } };
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/probe-xattr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		report("create", -1);
		return 1;
	}
	close(fd);
	report("setxattr user.x", setxattr(path, "user.x", "1", 1, 0));
	report("setxattr security.capability",
	       setxattr(path, "security.capability", &cap, sizeof(cap), 0));
	return 0;
}

static int
check_kernel(void)
{
	struct timeval tv = { 0, 0 };
	unsigned long persona;

	report("bpf", syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0));
	report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	report("userfaultfd", syscall(SYS_userfaultfd, 0));
	report("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
	report("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	report("init_module", syscall(SYS_init_module, NULL, 0, ""));
	report("finit_module", syscall(SYS_finit_module, -1, "", 0));
	report("delete_module", syscall(SYS_delete_module, "bd_none", 0));
	/* a bad magic: even a successful call does nothing */
	report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	report("swapon", syscall(SYS_swapon, "/nonexistent", 0));
	report("swapoff", syscall(SYS_swapoff, "/nonexistent"));
	report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
	report("settimeofday", syscall(SYS_settimeofday, NULL, NULL));
	(void)tv;
	report("acct", syscall(SYS_acct, NULL));
	persona = (unsigned long)personality(0xffffffff);
	report("personality READ_IMPLIES_EXEC", personality(READ_IMPLIES_EXEC));
	(void)personality(persona);
	report("personality query", personality(0xffffffff) < 0 ? -1 : 0);
	report("personality PER_LINUX32", personality(PER_LINUX32));
	(void)personality(persona);
	return 0;
}

static void
usage(void)
{
	fputs(
	    "usage: probe CHECK [ARGS]\n"
	    "  in the sandbox: read PATH | write PATH... | scan DIR MARKER |\n"
	    "    connect-tcp IP PORT | connect-udp IP PORT | netinfo | abstract-connect NAME |\n"
	    "    vsock | memhog MIB | ptrace | mount | mknod DIR | keyring | unshare | procsys |\n"
	    "    fds | tty | int80 | chmod DIR | xattr DIR | kernel | shm | link SRC DST | exe\n"
	    "  on the host: listen-tcp PORT | listen-abstract NAME |\n"
	    "    keyring-exec PAYLOAD CMD...\n",
	    stderr);
}

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	char what[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(c, "read") == 0 && argc == 3)
		return check_read(argv[2]);
	if (strcmp(c, "write") == 0 && argc >= 3)
		return check_write(argc, argv);
	if (strcmp(c, "scan") == 0 && argc == 4) {
		if (scan(argv[2], argv[3], 0) == 0)
			printf("scan: not found\n");
		return 0;
	}
	if (strcmp(c, "connect-tcp") == 0 && argc == 4)
		return connect_inet(argv[2], argv[3], SOCK_STREAM);
	if (strcmp(c, "connect-udp") == 0 && argc == 4)
		return connect_inet(argv[2], argv[3], SOCK_DGRAM);
	if (strcmp(c, "netinfo") == 0)
		return netinfo();
	if (strcmp(c, "abstract-connect") == 0 && argc == 3) {
		struct sockaddr_un sa;
		socklen_t len = abstract_addr(&sa, argv[2]);
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		report("abstract connect", s < 0 ? -1 : connect(s, (struct sockaddr *)&sa, len));
		return 0;
	}
	if (strcmp(c, "vsock") == 0) {
		report("socket AF_VSOCK", socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
		report("socket AF_ALG", socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
		return 0;
	}
	if (strcmp(c, "memhog") == 0 && argc == 3)
		return memhog(atol(argv[2]));
	if (strcmp(c, "ptrace") == 0)
		return check_ptrace();
	if (strcmp(c, "mount") == 0)
		return check_mount();
	if (strcmp(c, "mknod") == 0 && argc == 3) {
		snprintf(what, sizeof(what), "%s/probe-null", argv[2]);
		report("mknod c 1 3", mknod(what, S_IFCHR | 0666, makedev(1, 3)));
		snprintf(what, sizeof(what), "%s/probe-sda", argv[2]);
		report("mknod b 8 0", mknod(what, S_IFBLK | 0666, makedev(8, 0)));
		snprintf(what, sizeof(what), "%s/probe-fifo", argv[2]);
		report("mkfifo", mkfifo(what, 0644));
		return 0;
	}
	if (strcmp(c, "keyring") == 0)
		return check_keyring();
	if (strcmp(c, "keyring-exec") == 0 && argc >= 4)
		return keyring_exec(argv[2], &argv[3]);
	if (strcmp(c, "unshare") == 0)
		return check_unshare();
	if (strcmp(c, "procsys") == 0)
		return check_procsys();
	if (strcmp(c, "fds") == 0)
		return list_fds();
	if (strcmp(c, "tty") == 0)
		return check_tty();
	if (strcmp(c, "int80") == 0)
		return int80();
	if (strcmp(c, "chmod") == 0 && argc == 3)
		return check_chmod(argv[2]);
	if (strcmp(c, "xattr") == 0 && argc == 3)
		return check_xattr(argv[2]);
	if (strcmp(c, "kernel") == 0)
		return check_kernel();
	if (strcmp(c, "getxattr") == 0 && argc == 4) {
		char buf[256];
		snprintf(what, sizeof(what), "getxattr %s", argv[3]);
		report(what, getxattr(argv[2], argv[3], buf, sizeof(buf)));
		return 0;
	}
	if (strcmp(c, "shm") == 0) {
		report("shmget 0x42424242", shmget(0x42424242, 4096, IPC_CREAT | 0600));
		return 0;
	}
	if (strcmp(c, "link") == 0 && argc == 4) {
		snprintf(what, sizeof(what), "link %s", argv[2]);
		report(what, link(argv[2], argv[3]));
		return 0;
	}
	if (strcmp(c, "exe") == 0) {
		char buf[256];
		report("readlink /proc/1/exe", readlink("/proc/1/exe", buf, sizeof(buf)));
		report("open /proc/1/mem", open("/proc/1/mem", O_RDONLY | O_CLOEXEC));
		report("open /proc/1/environ", open("/proc/1/environ", O_RDONLY | O_CLOEXEC));
		report("open /proc/1/exe", open("/proc/1/exe", O_RDONLY | O_CLOEXEC));
		return 0;
	}
	if (strcmp(c, "listen-tcp") == 0 && argc == 3) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
			                  .sin_port = htons((uint16_t)atoi(argv[2])) };
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
			perror("probe listen-tcp");
			return 1;
		}
		listen_loop(s);
	}
	if (strcmp(c, "listen-abstract") == 0 && argc == 3) {
		struct sockaddr_un sa;
		socklen_t len = abstract_addr(&sa, argv[2]);
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (bind(s, (struct sockaddr *)&sa, len) < 0 || listen(s, 16) < 0) {
			perror("probe listen-abstract");
			return 1;
		}
		listen_loop(s);
	}
	usage();
	return 2;
}
