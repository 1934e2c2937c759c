/* SPDX-License-Identifier: MIT */
/* builder-sandbox: run one build step in a sandbox, like bwrap, with limits.
 *
 *   builder-sandbox [options] -- CMD ARGS...
 *
 * Exit status: the step's own, 128+N when signal N killed it, 125 when the
 * sandbox failed (stderr names the failing operation and path).  With
 * --result-fd N a one-line JSON result goes to fd N (docs/sandbox.md). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/util.h"
#include "sandbox/cgroup.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

int
main(int argc, char **argv)
{
	struct bd_sandbox_spec spec;
	struct bd_sandbox_result res;
	struct bd_err err = { 0 };
	struct bd_buf json = { 0 };
	pid_t ppid = getppid();
	int r;

#ifdef BD_SANDBOX_TESTING
	/* test build only: another cgroup root, to exercise a v1-only layout
	 * on a hybrid host */
	if (getenv("BD_SANDBOX_TEST_CGROUP_ROOT"))
		bd_cgroup_root = getenv("BD_SANDBOX_TEST_CGROUP_ROOT");
#endif
	bd_sandbox_spec_init(&spec);
	r = bd_sandbox_parse_args(argc, argv, &spec, &err);
	if (r != 0) {
		bd_sandbox_spec_free(&spec);
		if (r > 0)
			return 0;
		fprintf(stderr, "builder-sandbox: %s\n", err.msg);
		return BD_SANDBOX_EXIT_SETUP;
	}
	spec.seccomp = &bd_seccomp_native; /* compiled at build time */
	if (spec.result_fd >= 0 && fcntl(spec.result_fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "builder-sandbox: --result-fd %d: %s\n", spec.result_fd,
		        strerror(errno));
		bd_sandbox_spec_free(&spec);
		return BD_SANDBOX_EXIT_SETUP;
	}
	/* If whoever started us dies, treat it as a cancel: SIGTERM makes us
	 * kill the whole tree and clean up.  Check for the race where it died
	 * before the prctl took effect. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != ppid)
		(void)kill(getpid(), SIGTERM);
	/* a caller's SIG_IGN for SIGCHLD would make the kernel reap pid 1
	 * behind our back (bwrap resets it first thing, too) */
	(void)signal(SIGCHLD, SIG_DFL);
	/* a reader of --result-fd that went away must not kill us (the step
	 * gets every signal back at SIG_DFL) */
	(void)signal(SIGPIPE, SIG_IGN);

	bd_sandbox_run(&spec, &res);
	if (res.setup_failed)
		fprintf(stderr, "builder-sandbox: %s\n", res.error.msg);
	else if (res.reason[0])
		fprintf(stderr, "builder-sandbox: %s\n", res.reason);
	if (spec.result_fd >= 0) {
		bd_sandbox_result_json(&res, &json);
		if (bd_write_all(spec.result_fd, json.data, json.len) < 0)
			fprintf(stderr, "builder-sandbox: write result to fd %d: %s\n",
			        spec.result_fd, strerror(errno));
		bd_buf_free(&json);
	}
	bd_sandbox_spec_free(&spec);
	return res.exit_code;
}
