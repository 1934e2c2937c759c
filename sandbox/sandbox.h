/* SPDX-License-Identifier: MIT */
/* sandbox: run one untrusted build step in namespaces, an overlay rootfs,
 * seccomp, no capabilities and cgroup limits (../shared/docs/sandbox.md §6).
 *
 * The caller fills a struct bd_sandbox_spec (bd_sandbox_parse_args() does so
 * from a bwrap-like command line) and calls bd_sandbox_run(), which forks the
 * sandbox, waits for the step, kills whatever is left, cleans up cgroups and
 * the overlay upper dir, and fills a struct bd_sandbox_result.  The process
 * calling bd_sandbox_run() must be single-threaded and root on the host. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

struct bd_seccomp_prog;

/* Exit status of builder-sandbox when the sandbox, not the step, failed. */
#define BD_SANDBOX_EXIT_SETUP 125

#define BD_SANDBOX_MAX_BINDS 64
#define BD_SANDBOX_DEFAULT_UID 1000
#define BD_SANDBOX_DEFAULT_HOST_ID_BASE 100000u
#define BD_SANDBOX_DEFAULT_TMPFS_SIZE (512ull << 20)
#define BD_SANDBOX_DEFAULT_TMPFS_INODES 65536u
#define BD_SANDBOX_DEFAULT_HOSTNAME "builder"
#define BD_SANDBOX_DEFAULT_CGROUP_PARENT "/builderd"
#define BD_SANDBOX_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Protections that the test build (-DBD_SANDBOX_TESTING) can switch off to
 * prove that an escape test detects the escape.  The production binary has
 * no way to set these: the option that does is not compiled in. */
enum bd_sandbox_unsafe {
	BD_UNSAFE_SECCOMP = 1u << 0,    /* no seccomp filter */
	BD_UNSAFE_CAPS = 1u << 1,       /* stay sandbox root with all caps, no NNP */
	BD_UNSAFE_CLOSE_FDS = 1u << 2,  /* pass inherited fds to the step */
	BD_UNSAFE_SETSID = 1u << 3,     /* keep the caller's session and tty */
	BD_UNSAFE_KEYRING = 1u << 4,    /* keep the caller's session keyring */
	BD_UNSAFE_PROC_COVER = 1u << 5, /* /proc/sys etc. stay writable */
};

/* A bind of a host path (resolved on the host) onto a path in the sandbox. */
struct bd_sandbox_bind {
	const char *src;
	const char *dst; /* absolute, normalised: no "." / ".." / "//" */
	bool readonly;
	bool is_dir; /* filled by bd_sandbox_run() from the source */
};

struct bd_sandbox_spec {
	/* rootfs: read-only layers, lowest first; overlaid with an upper dir
	 * unless ro_root.  At least one layer is required. */
	const char **layers;
	size_t n_layers;
	bool ro_root;            /* no upper: the rootfs itself is read-only */
	const char *overlay_dir; /* host dir for upper/ and work/; NULL: tmpfs */
	bool keep_upper;         /* keep overlay_dir/upper after the run */

	struct bd_sandbox_bind *binds; /* in command-line order */
	size_t n_binds;

	uint64_t tmpfs_size;   /* /tmp and /dev/shm, bytes */
	uint64_t tmpfs_inodes; /* /tmp nr_inodes */
	bool network;          /* share the host network (default: own netns, lo only) */

	/* limits; 0 = none */
	uint64_t memory; /* bytes (swap is limited to the same total) */
	uint64_t pids;
	uint64_t cpu_millis; /* 1500 = 1.5 CPUs */
	uint64_t timeout_ms;

	uint32_t uid, gid; /* inside, for the step */
	/* --root-caps: run as root with every id 0..65535 mapped (host
	 * host_id_base + id) and the file capabilities of BD_SANDBOX_ROOT_CAPS
	 * kept inside the user namespace: what packages' install scripts
	 * (adduser, chown) expect from apk's root */
	bool root_caps;
	uint32_t host_id_base; /* host uid/gid of sandbox uid/gid 0 */
	const char *hostname;
	const char *chdir; /* inside; default "/" */
	const char **env;  /* "K=V" list, NULL-terminated, built by the parser */
	size_t n_env;
	char **argv;               /* the command, NULL-terminated */
	int result_fd;             /* -1: none */
	const char *cgroup_parent; /* "/builderd" (absolute) or relative to ours */
	unsigned unsafe;           /* enum bd_sandbox_unsafe, test build only */
	/* a filter compiled at build time; NULL: compile it at run time */
	const struct bd_seccomp_prog *seccomp;
	bool verbose;
};

struct bd_sandbox_result {
	bool setup_failed; /* the sandbox failed: exit_code 125, error set */
	bool exited;       /* the step exited (else it was killed by signal) */
	int exit_code;     /* builder-sandbox's exit status */
	int signal;        /* the signal that killed the step, or 0 */
	bool oom;          /* the memory cgroup killed something */
	bool timed_out;
	bool cancelled;      /* SIGTERM from the caller */
	bool pids_limit_hit; /* a fork failed at the pids limit */
	uint64_t wall_ns;
	uint64_t user_ns, system_ns;
	uint64_t peak_memory;      /* bytes; from the memory cgroup or max RSS */
	const char *cgroup_layout; /* "v2", "hybrid", "v1", "none" */
	char reason[160];          /* human-readable cause of a failure, or "" */
	struct bd_err error;       /* when setup_failed */
};

/* Parse `builder-sandbox [options] -- CMD ARGS...`.  Returns 0 on success,
 * 1 when --help or --version printed something, -errno (err set) on a usage
 * error.  Allocations are owned by @spec; free with bd_sandbox_spec_free(). */
int bd_sandbox_parse_args(int argc, char **argv, struct bd_sandbox_spec *spec, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_sandbox_spec_init(struct bd_sandbox_spec *spec);
void bd_sandbox_spec_free(struct bd_sandbox_spec *spec);
extern const char bd_sandbox_usage[];

/* Normalise an absolute sandbox path ("/a//b/./c/" -> "/a/b/c"); rejects
 * relative paths and "..".  Returns a new string or NULL. */
char *bd_sandbox_norm_path(const char *path);

/* Run the step.  Returns 0 when the step ran (whatever its status) or
 * -errno when the sandbox failed; @res is filled in both cases.  SIGTERM
 * (cancel), SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are left blocked. */
int bd_sandbox_run(const struct bd_sandbox_spec *spec, struct bd_sandbox_result *res);

/* Append the result as one line of JSON (fields in docs/sandbox.md). */
void bd_sandbox_result_json(const struct bd_sandbox_result *res, struct bd_buf *out);
