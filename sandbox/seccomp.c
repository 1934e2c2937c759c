/* SPDX-License-Identifier: MIT */
/* seccomp: build the denylist with libseccomp, load it raw (see seccomp.h).
 *
 * Facts this relies on (sandbox.md §4–5, libseccomp 2.5.4):
 * - libseccomp allows one comparison per argument in a rule, so a set of
 *   allowed values ("personality in {...}") is written as several deny rules
 *   that are ORed together;
 * - seccomp compares all 64 bits of an argument while the kernel reads some
 *   arguments as 32-bit ints (ioctl's cmd, socket's family, personality), so
 *   those comparisons are masked to the low 32 bits: otherwise 0x1_00005412
 *   would pass the TIOCSTI check and still reach the TIOCSTI handler;
 * - clone3 passes its flags in memory, which a filter cannot read: it fails
 *   with ENOSYS so that libc falls back to clone, whose flags we can check
 *   (Docker does the same). */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Numbers of syscalls newer than libseccomp 2.5.4's tables.  Syscalls added
 * since Linux 5.1 share one number on x86_64 and aarch64 (and most others). */
#if defined(__x86_64__) || defined(__aarch64__)
#define NR_NEW(n) (n)
#else
#define NR_NEW(n) (-1)
#endif

#define DENY(sys, e)                                 \
	{                                            \
#sys, -1, (e), BD_SC_ALWAYS, 0, 0, 0 \
	}
#define DENY_NEW(sys, nr, e)                                 \
	{                                                    \
#sys, NR_NEW(nr), (e), BD_SC_ALWAYS, 0, 0, 0 \
	}
#define DENY_IF(sys, nr, e, a, m, v)                            \
	{                                                       \
#sys, (nr), (e), BD_SC_MASKED_EQ, (a), (m), (v) \
	}

#define LOW32 0xffffffffull
#define AF_ALG_NR 38
#define AF_VSOCK_NR 40

const struct bd_seccomp_rule bd_seccomp_rules[] = {
	/* #26 kernel keyrings are not namespaced: never reachable */
	DENY(keyctl, EPERM),
	DENY(add_key, EPERM),
	DENY(request_key, EPERM),
	/* #23 mounts and root changes (caps are gone too; defence in depth) */
	DENY(mount, EPERM),
	DENY(umount2, EPERM),
	DENY(umount, EPERM),
	DENY(pivot_root, EPERM),
	DENY(chroot, EPERM),
	DENY_NEW(open_tree, 428, EPERM),
	DENY_NEW(move_mount, 429, EPERM),
	DENY_NEW(fsopen, 430, EPERM),
	DENY_NEW(fsconfig, 431, EPERM),
	DENY_NEW(fsmount, 432, EPERM),
	DENY_NEW(fspick, 433, EPERM),
	DENY_NEW(mount_setattr, 442, EPERM),
	DENY_NEW(open_tree_attr, 467, EPERM),
	/* #24 no new namespaces: a child user namespace would hand back a
	 * full capability set over fresh kernel attack surface */
	DENY(unshare, EPERM),
	DENY(setns, EPERM),
	DENY_NEW(clone3, 435, ENOSYS),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWNS, CLONE_NEWNS),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWCGROUP, CLONE_NEWCGROUP),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWUTS, CLONE_NEWUTS),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWIPC, CLONE_NEWIPC),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWUSER, CLONE_NEWUSER),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWPID, CLONE_NEWPID),
	DENY_IF(clone, -1, EPERM, 0, CLONE_NEWNET, CLONE_NEWNET),
	/* #32 kernel attack surface a build never needs */
	DENY(bpf, EPERM),
	DENY(perf_event_open, EPERM),
	DENY(userfaultfd, EPERM),
	DENY(io_uring_setup, EPERM),
	DENY(io_uring_enter, EPERM),
	DENY(io_uring_register, EPERM),
	DENY(kexec_load, EPERM),
	DENY(kexec_file_load, EPERM),
	DENY(init_module, EPERM),
	DENY(finit_module, EPERM),
	DENY(delete_module, EPERM),
	DENY(create_module, EPERM),
	DENY(reboot, EPERM),
	DENY(swapon, EPERM),
	DENY(swapoff, EPERM),
	DENY(open_by_handle_at, EPERM),
	DENY(acct, EPERM),
	DENY(quotactl, EPERM),
	DENY_NEW(quotactl_fd, 443, EPERM),
	DENY(lookup_dcookie, EPERM),
	DENY(fanotify_init, EPERM),
	DENY(syslog, EPERM),
	DENY(iopl, EPERM),
	DENY(ioperm, EPERM),
	DENY(settimeofday, EPERM),
	DENY(clock_settime, EPERM),
	DENY(vhangup, EPERM),
	DENY(uselib, EPERM),
	DENY(ustat, EPERM),
	DENY(sysfs, EPERM),
	DENY(_sysctl, EPERM),
	DENY(nfsservctl, EPERM),
	DENY(get_kernel_syms, EPERM),
	DENY(query_module, EPERM),
	DENY(afs_syscall, EPERM),
	DENY(tuxcall, EPERM),
	DENY(vm86, EPERM),
	DENY(vm86old, EPERM),
	/* #21 tracing and reading other processes' memory */
	DENY(ptrace, EPERM),
	DENY(process_vm_readv, EPERM),
	DENY(process_vm_writev, EPERM),
	DENY(kcmp, EPERM),
	DENY_NEW(pidfd_getfd, 438, EPERM),
	DENY_NEW(process_madvise, 440, EPERM),
	/* #30 pushing keystrokes into a terminal (CVE-2017-5226) */
	DENY_IF(ioctl, -1, EPERM, 1, LOW32, TIOCSTI),
	DENY_IF(ioctl, -1, EPERM, 1, LOW32, TIOCLINUX),
	/* #33 no setuid/setgid files in the outputs */
	DENY_IF(chmod, -1, EPERM, 1, S_ISUID, S_ISUID),
	DENY_IF(chmod, -1, EPERM, 1, S_ISGID, S_ISGID),
	DENY_IF(fchmod, -1, EPERM, 1, S_ISUID, S_ISUID),
	DENY_IF(fchmod, -1, EPERM, 1, S_ISGID, S_ISGID),
	DENY_IF(fchmodat, -1, EPERM, 2, S_ISUID, S_ISUID),
	DENY_IF(fchmodat, -1, EPERM, 2, S_ISGID, S_ISGID),
	DENY_IF(fchmodat2, NR_NEW(452), EPERM, 2, S_ISUID, S_ISUID),
	DENY_IF(fchmodat2, NR_NEW(452), EPERM, 2, S_ISGID, S_ISGID),
	/* #10 vsock is not confined by the network namespace; AF_ALG is the
	 * kernel crypto API, a frequent source of bugs */
	DENY_IF(socket, -1, EAFNOSUPPORT, 0, LOW32, AF_VSOCK_NR),
	DENY_IF(socket, -1, EAFNOSUPPORT, 0, LOW32, AF_ALG_NR),
};
const size_t bd_seccomp_n_rules = BD_ARRAY_SIZE(bd_seccomp_rules);

/* Syscall number for @r; a negative pseudo-number from libseccomp means
 * "not on this architecture", which seccomp_rule_add() accepts. */
static int
resolve(const struct bd_seccomp_rule *r, int *nr, struct bd_err *err)
{
	*nr = seccomp_syscall_resolve_name(r->name);
	if (*nr != __NR_SCMP_ERROR)
		return 0;
	*nr = r->fallback_nr;
	if (*nr >= 0)
		return 0;
	/* fail closed: a rule we cannot express is a hole in the filter */
	return bd_err_setx(err, ENOSYS, "seccomp: unknown syscall %s on this architecture",
	                   r->name);
}

static int
add_rule(scmp_filter_ctx ctx, const struct bd_seccomp_rule *r, struct bd_err *err)
{
	int nr, rc;

	if (resolve(r, &nr, err) < 0)
		return -err->code;
	if (r->cmp == BD_SC_ALWAYS)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->errno_ret), nr, 0);
	else
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->errno_ret), nr, 1,
		                      SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
	if (rc < 0) /* libseccomp returns -errno and leaves errno alone */
		return bd_err_set(err, -rc, "seccomp: rule for %s", r->name);
	return 0;
}

/* personality(2): allow only PER_LINUX (0), PER_LINUX32 (8), UNAME26
 * (0x20000), their combination, and the query 0xffffffff, as Docker does.
 * Everything else (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, MMAP_PAGE_ZERO,
 * foreign personalities) is denied.  With one comparison per rule:
 *   bit 31 clear and any bit other than 3 and 17 set  -> deny  (31-2 rules)
 *   bit 31 set and any of bits 0..30 clear            -> deny  (31 rules)
 * The kernel reads the argument as unsigned int, so only the low 32 bits
 * matter and the masks never look above them. */
static int
add_personality_rules(scmp_filter_ctx ctx, struct bd_err *err)
{
	const uint64_t top = 1ull << 31;
	int nr = SCMP_SYS(personality);

	for (unsigned b = 0; b < 31; b++) {
		uint64_t bit = 1ull << b;
		int rc;

		if (b != 3 && b != 17) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
			                      SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, bit));
			if (rc < 0)
				return bd_err_set(err, -rc, "seccomp: personality rule");
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
		                      SCMP_A0(SCMP_CMP_MASKED_EQ, top | bit, top));
		if (rc < 0)
			return bd_err_set(err, -rc, "seccomp: personality rule");
	}
	return 0;
}

static void
release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int
bd_seccomp_build(struct bd_seccomp_prog *prog, struct bd_err *err)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int mfd = -1;
	struct sock_filter *insns;
	struct stat st;
	ssize_t n;
	int rc;

	prog->insns = NULL;
	prog->len = 0;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return bd_err_setx(err, ENOMEM, "seccomp_init");
	/* any non-native ABI (i386 int 0x80 on x86_64, threat #31) is killed */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); /* we set NNP ourselves */
	if (rc == 0)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* optional */
	if (rc < 0)
		return bd_err_set(err, -rc, "seccomp: filter attributes");
	for (size_t i = 0; i < bd_seccomp_n_rules; i++)
		if (add_rule(ctx, &bd_seccomp_rules[i], err) < 0)
			return -err->code;
	if (add_personality_rules(ctx, err) < 0)
		return -err->code;

	/* libseccomp 2.5 exports only to an fd */
	mfd = memfd_create("bd-seccomp", MFD_CLOEXEC);
	if (mfd < 0)
		return bd_err_set(err, errno, "seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx, mfd);
	if (rc < 0)
		return bd_err_set(err, -rc, "seccomp: export BPF");
	if (fstat(mfd, &st) < 0)
		return bd_err_set(err, errno, "seccomp: stat BPF");
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return bd_err_setx(err, EINVAL, "seccomp: bad BPF size %lld",
		                   (long long)st.st_size);
	insns = bd_xmalloc((size_t)st.st_size);
	prog->insns = insns;
	n = pread(mfd, insns, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		bd_seccomp_prog_free(prog);
		return bd_err_set(err, n < 0 ? errno : EIO, "seccomp: read BPF");
	}
	prog->len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	return 0;
}

void
bd_seccomp_prog_free(struct bd_seccomp_prog *prog)
{
	free((void *)(uintptr_t)prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

int
bd_seccomp_load(const struct bd_seccomp_prog *prog)
{
	struct sock_fprog fprog = {
		.len = prog->len,
		.filter = (struct sock_filter *)(uintptr_t)prog->insns, /* the kernel copies it */
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	return 0;
}
