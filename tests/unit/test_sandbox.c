/* SPDX-License-Identifier: MIT */
/* Unit tests for sandbox/: option parsing, the result JSON, cgroup path and
 * file parsing, the skeleton computation, and the seccomp filter (loaded
 * in a forked child that then tries the denied calls).  The clone/mount
 * path itself needs root and is covered by tests/escape/. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "sandbox/cgroup.h"
#include "sandbox/child.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

/* ------------------------------------------------------------ options */

static int
parse(struct bd_sandbox_spec *spec, struct bd_err *err, ...)
{
	char *argv[64] = { "builder-sandbox" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, err);
	while ((a = va_arg(ap, char *)) != NULL && argc < 63)
		argv[argc++] = a;
	va_end(ap);
	bd_sandbox_spec_init(spec);
	static char *saved[64]; /* spec->argv points into argv: keep it alive */
	memcpy(saved, argv, sizeof(saved));
	return bd_sandbox_parse_args(argc, saved, spec, err);
}

static void
opts_defaults(void **state)
{
	struct bd_sandbox_spec spec;
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(parse(&spec, &err, "--layer", "/r", "--", "/bin/true", NULL), 0);
	assert_int_equal(spec.n_layers, 1);
	assert_string_equal(spec.layers[0], "/r");
	assert_int_equal(spec.uid, 1000);
	assert_int_equal(spec.gid, 1000);
	assert_int_equal(spec.host_id_base, 100000);
	assert_false(spec.network);
	assert_int_equal(spec.memory, 0);
	assert_int_equal(spec.tmpfs_size, 512ull << 20);
	assert_int_equal(spec.result_fd, -1);
	assert_string_equal(spec.chdir, "/");
	assert_string_equal(spec.argv[0], "/bin/true");
	assert_null(spec.argv[1]);
	assert_int_equal(spec.n_env, 2);
	assert_string_equal(spec.env[0], "PATH=" BD_SANDBOX_DEFAULT_PATH);
	assert_string_equal(spec.env[1], "HOME=/home/build");
	assert_null(spec.env[2]);
	bd_sandbox_spec_free(&spec);
}

static void
opts_everything(void **state)
{
	struct bd_sandbox_spec spec;
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(parse(&spec, &err, "--layer", "/a", "--rootfs", "/b", "--overlay-dir",
	                       "/o", "--keep-upper", "--ro-bind", "/usr", "/usr/", "--bind", "/ws",
	                       "//home/./build", "--tmpfs-size", "16M", "--tmpfs-inodes", "1000",
	                       "--network", "--memory", "64M", "--pids", "64", "--cpu", "1.5",
	                       "--timeout", "2.25", "--uid", "0", "--gid", "100", "--host-id-base",
	                       "200000", "--hostname", "h-1.x", "--env", "A=1", "--env", "HOME=/x",
	                       "--env", "A=2", "--chdir", "/home/build/", "--result-fd", "3",
	                       "--cgroup-parent", "builderd/job-1", "--verbose", "--", "sh", "-c",
	                       "exit 0", NULL),
	                 0);
	assert_int_equal(spec.n_layers, 2);
	assert_string_equal(spec.layers[1], "/b");
	assert_true(spec.keep_upper);
	assert_int_equal(spec.n_binds, 2);
	assert_string_equal(spec.binds[0].dst, "/usr");
	assert_true(spec.binds[0].readonly);
	assert_string_equal(spec.binds[1].dst, "/home/build");
	assert_false(spec.binds[1].readonly);
	assert_int_equal(spec.tmpfs_size, 16u << 20);
	assert_int_equal(spec.tmpfs_inodes, 1000);
	assert_true(spec.network);
	assert_int_equal(spec.memory, 64u << 20);
	assert_int_equal(spec.pids, 64);
	assert_int_equal(spec.cpu_millis, 1500);
	assert_int_equal(spec.timeout_ms, 2250);
	assert_int_equal(spec.uid, 0);
	assert_int_equal(spec.gid, 100);
	assert_int_equal(spec.host_id_base, 200000);
	assert_string_equal(spec.hostname, "h-1.x");
	/* later --env wins, in place; defaults can be overridden */
	assert_int_equal(spec.n_env, 3);
	assert_string_equal(spec.env[1], "HOME=/x");
	assert_string_equal(spec.env[2], "A=2");
	assert_string_equal(spec.chdir, "/home/build");
	assert_int_equal(spec.result_fd, 3);
	assert_string_equal(spec.cgroup_parent, "builderd/job-1");
	assert_string_equal(spec.argv[2], "exit 0");
	bd_sandbox_spec_free(&spec);
}

static void
opts_errors(void **state)
{
	static const struct {
		const char *args[8];
		const char *msg;
	} cases[] = {
		{ { "--layer", "/r", NULL }, "no command given" },
		{ { "--", "true", NULL }, "no root filesystem" },
		{ { "--layer", NULL }, "--layer needs 1 argument" },
		{ { "--bind", "/a", NULL }, "--bind needs 2 arguments" },
		{ { "--layer", "/r", "--bind", "/a", "rel", "--", "x", NULL },
		  "must be an absolute" },
		{ { "--layer", "/r", "--bind", "/a", "/x/../etc", "--", "x", NULL },
		  "without '..'" },
		{ { "--layer", "/r", "--ro-bind", "/a", "/", "--", "x", NULL },
		  "absolute path below" },
		{ { "--layer", "/r", "--memory", "12Q", "--", "x", NULL }, "invalid size '12Q'" },
		{ { "--layer", "/r", "--memory", "100K", "--", "x", NULL }, "at least 1M" },
		{ { "--layer", "/r", "--cpu", "1.2345", "--", "x", NULL }, "invalid CPU count" },
		{ { "--layer", "/r", "--timeout", "-1", "--", "x", NULL }, "invalid seconds" },
		{ { "--layer", "/r", "--uid", "70000", "--", "x", NULL }, "invalid number" },
		{ { "--layer", "/r", "--host-id-base", "0", "--", "x", NULL }, "below 1000" },
		{ { "--layer", "/r", "--hostname", "a b", "--", "x", NULL }, "invalid hostname" },
		{ { "--layer", "/r", "--env", "=x", "--", "x", NULL }, "expected K=V" },
		{ { "--layer", "/r", "--keep-upper", "--", "x", NULL }, "needs --overlay-dir" },
		{ { "--layer", "/r", "--cgroup-parent", "a/../b", "--", "x", NULL },
		  "invalid cgroup" },
		{ { "--layer", "/r", "--cgroup-parent", "a//b", "--", "x", NULL },
		  "invalid cgroup" },
		{ { "--layer", "/r", "--frobnicate", "--", "x", NULL }, "unknown option" },
		/* the production library has no way to switch protections off */
		{ { "--layer", "/r", "--test-disable", "seccomp", "--", "x", NULL },
		  "unknown option --test-disable" },
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		char *argv[10] = { "builder-sandbox" };
		struct bd_sandbox_spec spec;
		struct bd_err err = { 0 };
		int argc = 1;

		for (int j = 0; cases[i].args[j]; j++)
			argv[argc++] = (char *)(uintptr_t)cases[i].args[j];
		bd_sandbox_spec_init(&spec);
		assert_true(bd_sandbox_parse_args(argc, argv, &spec, &err) < 0);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, cases[i].msg);
		bd_sandbox_spec_free(&spec);
	}
}

static void
norm_path(void **state)
{
	static const char *const cases[][2] = {
		{ "/", "/" },    { "//", "/" },          { "/a//b/./c/", "/a/b/c" },
		{ "/./.", "/" }, { "/a/..b", "/a/..b" }, { "/a/b/..", NULL },
		{ "a/b", NULL }, { "", NULL },           { "/...", "/..." },
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *n = bd_sandbox_norm_path(cases[i][0]);

		if (cases[i][1])
			assert_string_equal(n, cases[i][1]);
		else
			assert_null(n);
	}
}

/* ------------------------------------------------------------ result */

static void
result_json_exact(void **state)
{
	struct bd_sandbox_result res = { 0 };
	struct bd_buf b = { 0 };

	(void)state;
	res.exited = true;
	res.exit_code = 3;
	res.wall_ns = 1500000000ull;
	res.user_ns = 2000;
	res.system_ns = 1000000;
	res.peak_memory = 4096;
	res.cgroup_layout = "hybrid";
	bd_sandbox_result_json(&res, &b);
	assert_string_equal(b.data,
	                    "{\"version\":1,\"status\":\"exited\",\"exit_code\":3,\"signal\":null,"
	                    "\"oom\":false,\"timed_out\":false,\"cancelled\":false,"
	                    "\"pids_limit_hit\":false,\"wall_seconds\":1.500000,"
	                    "\"cpu_seconds\":0.001002,\"user_seconds\":0.000002,"
	                    "\"system_seconds\":0.001000,\"peak_memory_bytes\":4096,"
	                    "\"cgroup\":\"hybrid\",\"reason\":null,\"error\":null}\n");
	bd_buf_free(&b);

	memset(&res, 0, sizeof(res));
	res.exit_code = 137;
	res.signal = 9;
	res.oom = true;
	snprintf(res.reason, sizeof(res.reason), "killed: out of memory (limit 64 MiB)");
	bd_sandbox_result_json(&res, &b);
	assert_non_null(strstr(b.data, "\"status\":\"signaled\",\"exit_code\":137,\"signal\":9,"
	                               "\"oom\":true,"));
	assert_non_null(strstr(b.data, "\"cgroup\":\"none\",\"reason\":\"killed: out of memory "
	                               "(limit 64 MiB)\",\"error\":null}"));
	bd_buf_free(&b);
}

static void
result_json_escapes(void **state)
{
	struct bd_sandbox_result res = { 0 };
	struct bd_buf b = { 0 };

	(void)state;
	res.setup_failed = true;
	res.exit_code = 125;
	/* quote, backslash, newline, tab, control byte, DEL, valid UTF-8,
	 * a lone continuation byte, an overlong NUL, a surrogate, truncated */
	snprintf(res.error.msg, sizeof(res.error.msg),
	         "bind \"a\\b\"\n\t\x01\x7f caf\xc3\xa9 \x80 \xc0\x80 \xed\xa0\x80 \xe2\x82");
	bd_sandbox_result_json(&res, &b);
	assert_non_null(strstr(b.data, "\"status\":\"setup_failed\",\"exit_code\":125"));
	assert_non_null(strstr(
	    b.data, "\"error\":\"bind \\\"a\\\\b\\\"\\n\\t\\u0001\\u007f caf\xc3\xa9 \\ufffd "
	            "\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"}\n"));
	bd_buf_free(&b);
}

/* ------------------------------------------------------------ cgroup */

static void
cgroup_self_path(void **state)
{
	const char *text = "9:name=systemd:/\n"
	                   "4:memory:/process_api/abc\n"
	                   "2:cpu,cpuacct:/x y\n"
	                   "1:pids:/\n"
	                   "0::/user.slice/s-1.scope\n";
	char out[64];

	(void)state;
	assert_int_equal(bd_cgroup_self_path(text, "memory", out, sizeof(out)), 0);
	assert_string_equal(out, "/process_api/abc");
	assert_int_equal(bd_cgroup_self_path(text, "cpuacct", out, sizeof(out)), 0);
	assert_string_equal(out, "/x y");
	assert_int_equal(bd_cgroup_self_path(text, "cpu", out, sizeof(out)), 0);
	assert_int_equal(bd_cgroup_self_path(text, "", out, sizeof(out)), 0);
	assert_string_equal(out, "/user.slice/s-1.scope");
	assert_int_equal(bd_cgroup_self_path(text, "freezer", out, sizeof(out)), -ENOENT);
	assert_int_equal(bd_cgroup_self_path(text, "mem", out, sizeof(out)), -ENOENT);
	assert_int_equal(bd_cgroup_self_path(text, "memory", out, 4), -ENAMETOOLONG);
	assert_int_equal(bd_cgroup_self_path("0::/", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
}

static void
cgroup_keyed(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(
	    bd_cgroup_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(bd_cgroup_keyed("max 787\n", "max", &v), 0);
	assert_int_equal(v, 787);
	assert_int_equal(bd_cgroup_keyed("populated 0\nfrozen 0\n", "populated", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(bd_cgroup_keyed("maxx 1\n", "max", &v), -ENOENT);
	assert_int_equal(bd_cgroup_keyed("", "max", &v), -ENOENT);
	assert_int_equal(bd_cgroup_keyed("max x\n", "max", &v), -EINVAL);
}

static void
cgroup_list_has(void **state)
{
	(void)state;
	assert_true(bd_cgroup_list_has("cpuset cpu io memory pids\n", "cpu"));
	assert_true(bd_cgroup_list_has("cpuset cpu io memory pids\n", "pids"));
	assert_true(bd_cgroup_list_has("memory", "memory"));
	assert_false(bd_cgroup_list_has("cpuset cpuacct\n", "cpu"));
	assert_false(bd_cgroup_list_has("hugetlb\n", "memory"));
	assert_false(bd_cgroup_list_has("", "pids"));
}

static void
cgroup_names(void **state)
{
	pid_t pid;
	uint64_t start;
	char out[128];

	(void)state;
	assert_int_equal(bd_cgroup_parse_run_name("sb-123-456789", &pid, &start), 0);
	assert_int_equal(pid, 123);
	assert_int_equal(start, 456789);
	assert_int_equal(bd_cgroup_parse_run_name("sb--1", &pid, &start), -EINVAL);
	assert_int_equal(bd_cgroup_parse_run_name("sb-0-1", &pid, &start), -EINVAL);
	assert_int_equal(bd_cgroup_parse_run_name("sb-12", &pid, &start), -EINVAL);
	assert_int_equal(bd_cgroup_parse_run_name("sb-12-x", &pid, &start), -EINVAL);
	assert_int_equal(bd_cgroup_parse_run_name("job-12-1", &pid, &start), -EINVAL);

	assert_int_equal(bd_cgroup_stat_starttime("42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 "
	                                          "1 2 0 0 20 0 1 0 98765 1000 10",
	                                          &start),
	                 0);
	assert_int_equal(start, 98765);
	assert_int_equal(bd_cgroup_stat_starttime("42 (x) S 1", &start), -EINVAL);

	assert_int_equal(
	    bd_cgroup_join(out, sizeof(out), "/sys/fs/cgroup/memory", "/a", "/builderd"), 0);
	assert_string_equal(out, "/sys/fs/cgroup/memory/builderd");
	assert_int_equal(bd_cgroup_join(out, sizeof(out), "/sys/fs/cgroup", "/a/b", "bd/job-1"), 0);
	assert_string_equal(out, "/sys/fs/cgroup/a/b/bd/job-1");
	assert_int_equal(bd_cgroup_join(out, sizeof(out), "/sys/fs/cgroup", "/", "bd"), 0);
	assert_string_equal(out, "/sys/fs/cgroup/bd");
	assert_int_equal(bd_cgroup_join(out, sizeof(out), "/sys/fs/cgroup", "/x", "/"), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	assert_int_equal(bd_cgroup_join(out, 8, "/sys/fs/cgroup", "/", "bd"), -ENAMETOOLONG);

	assert_int_equal(bd_cgroup_run_name(out, sizeof(out), &(struct bd_err){ 0 }), 0);
	assert_int_equal(bd_cgroup_parse_run_name(out, &pid, &start), 0);
	assert_int_equal(pid, getpid());
}

/* ------------------------------------------------------------ skeleton */

static void
skel_layers(void **state)
{
	char tmpl[] = "/tmp/bd-skel-XXXXXX";
	char *top = mkdtemp(tmpl);
	char l1[256], l2[256], p[512];
	char *layers[2] = { l1, l2 };
	const char *dsts[] = { "/proc",
		               "/dev",
		               "/tmp",
		               "/home/build",
		               "/lib/x",
		               "/usr/lib/y",
		               "/etc/resolv.conf",
		               "/etc/passwd/z" };
	const bool dirs[] = { true, true, true, true, true, true, false, true };
	struct bd_skel_entry *skel = NULL;
	size_t n = 0;
	struct bd_err err = { 0 };

	(void)state;
	assert_non_null(top);
	snprintf(l1, sizeof(l1), "%s/l1", top);
	snprintf(l2, sizeof(l2), "%s/l2", top);
	/* lower layer: proc, usr/lib, lib -> usr/lib, etc/passwd (a file) */
	snprintf(p, sizeof(p), "%s/usr/lib", l1);
	assert_int_equal(bd_mkdir_p(p, 0755, &err), 0);
	snprintf(p, sizeof(p), "%s/proc", l1);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/lib", l1);
	assert_int_equal(symlink("usr/lib", p), 0);
	snprintf(p, sizeof(p), "%s/etc", l1);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", l1);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	/* upper layer: tmp */
	snprintf(p, sizeof(p), "%s/tmp", l2);
	assert_int_equal(bd_mkdir_p(p, 0755, &err), 0);

	assert_int_equal(
	    bd_sandbox_skel(layers, 2, dsts, dirs, BD_ARRAY_SIZE(dsts), &skel, &n, &err), 0);
	/* /proc and /tmp exist; /lib/x goes through a symlink; /etc/passwd/z
	 * sits below a file: none of those is in the skeleton */
	assert_int_equal(n, 4);
	assert_string_equal(skel[0].path, "dev");
	assert_true(skel[0].is_dir);
	assert_string_equal(skel[1].path, "home/build");
	assert_string_equal(skel[2].path, "usr/lib/y");
	assert_string_equal(skel[3].path, "etc/resolv.conf");
	assert_false(skel[3].is_dir);
	for (size_t i = 0; i < n; i++)
		free(skel[i].path);
	free(skel);
	assert_int_equal(bd_rm_rf_at(AT_FDCWD, top, &err), 0);
}

/* ------------------------------------------------------------ seccomp */

static void
seccomp_table(void **state)
{
	bool seen_keyctl = false, seen_clone3 = false;

	(void)state;
	for (size_t i = 0; i < bd_seccomp_n_rules; i++) {
		const struct bd_seccomp_rule *r = &bd_seccomp_rules[i];

		assert_true(r->errno_ret > 0);
		if (strcmp(r->name, "keyctl") == 0)
			seen_keyctl = r->errno_ret == EPERM;
		if (strcmp(r->name, "clone3") == 0)
			seen_clone3 = r->errno_ret == ENOSYS;
		if (r->cmp == BD_SC_MASKED_EQ)
			assert_int_equal(r->value & ~r->mask, 0);
	}
	assert_true(seen_keyctl);
	assert_true(seen_clone3);
}

/* In a child: load the filter, try each call, exit with a bit per failure. */
static int
seccomp_child(const struct bd_seccomp_prog *prog, const char *file)
{
	struct {
		const char *what;
		long rc;
		int want; /* errno, or 0 for success */
	} t[24];
	int n = 0, bad = 0;
	long persona;
	char c = 'x';

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || bd_seccomp_load(prog) < 0)
		return 100;
#define TRY(w, call, e)                                     \
	do {                                                \
		errno = 0;                                  \
		t[n].what = (w);                            \
		t[n].rc = (long)(call);                     \
		t[n].want = (e);                            \
		if (t[n].rc >= 0 ? (e) != 0 : errno != (e)) \
			bad |= 1 << n;                      \
		n++;                                        \
	} while (0)
	TRY("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0),
	    EPERM);
	TRY("add_key", syscall(SYS_add_key, "user", "x", "y", 1, KEY_SPEC_SESSION_KEYRING), EPERM);
	TRY("unshare", unshare(CLONE_NEWUSER), EPERM);
	TRY("clone3", syscall(SYS_clone3, NULL, 0), ENOSYS);
	TRY("clone newns", syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM);
	TRY("vsock", socket(40, SOCK_STREAM, 0), EAFNOSUPPORT);
	/* high bits above the int argument must not sneak past the check */
	TRY("tiocsti", syscall(SYS_ioctl, 0, 0x100000000ul | TIOCSTI, &c), EPERM);
	TRY("chmod 0644", chmod(file, 0644), 0);
	TRY("chmod 04755", chmod(file, 04755), EPERM);
	TRY("chmod 02755", chmod(file, 02755), EPERM);
	TRY("fchmodat 04700", fchmodat(AT_FDCWD, file, 04700, 0), EPERM);
	persona = personality(0xffffffff);
	TRY("personality query", personality(0xffffffff), 0);
	TRY("personality linux32", personality(PER_LINUX32), 0);
	TRY("personality linux", personality(PER_LINUX), 0);
	TRY("personality RIE", personality(READ_IMPLIES_EXEC), EPERM);
	TRY("personality bit31 RIE", syscall(SYS_personality, 0x80400000ul), EPERM);
	TRY("personality norandom", personality(ADDR_NO_RANDOMIZE), EPERM);
	TRY("bpf", syscall(SYS_bpf, 0, NULL, 0), EPERM);
	TRY("ptrace", syscall(SYS_ptrace, 16 /* ATTACH */, 1, 0, 0), EPERM);
	TRY("mount", syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL), EPERM);
	TRY("getpid", getpid(), 0);
	(void)personality((unsigned long)persona);
#undef TRY
	for (int i = 0; i < n; i++)
		if (bad & (1 << i))
			fprintf(stderr, "# %s: rc %ld errno %d, wanted %d\n", t[i].what, t[i].rc,
			        errno, t[i].want);
	return bad ? 1 : 0;
}

static void
seccomp_filter_behaves(void **state)
{
	struct bd_seccomp_prog prog = { 0 };
	struct bd_err err = { 0 };
	char file[] = "/tmp/bd-seccomp-XXXXXX";
	int fd, status;
	pid_t pid;

	(void)state;
	assert_int_equal(bd_seccomp_build(&prog, &err), 0);
	assert_true(prog.len > 10);
	fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(seccomp_child(&prog, file));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(file);
	bd_seccomp_prog_free(&prog);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_defaults),
		cmocka_unit_test(opts_everything),
		cmocka_unit_test(opts_errors),
		cmocka_unit_test(norm_path),
		cmocka_unit_test(result_json_exact),
		cmocka_unit_test(result_json_escapes),
		cmocka_unit_test(cgroup_self_path),
		cmocka_unit_test(cgroup_keyed),
		cmocka_unit_test(cgroup_list_has),
		cmocka_unit_test(cgroup_names),
		cmocka_unit_test(skel_layers),
		cmocka_unit_test(seccomp_table),
		cmocka_unit_test(seccomp_filter_behaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
