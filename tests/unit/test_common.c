/* SPDX-License-Identifier: MIT */
/* Unit tests for common/: errors, buffers, size parsing, fs helpers. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

static void
err_set_appends_strerror(void **state)
{
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_err_set(&err, ENOENT, "open %s", "/x"), -ENOENT);
	assert_string_equal(err.msg, "open /x: No such file or directory");
	assert_int_equal(err.code, ENOENT);
}

static void
err_setx_and_prefix(void **state)
{
	struct bd_err err = { 0 };

	(void)state;
	assert_int_equal(bd_err_setx(&err, EINVAL, "bad %d", 7), -EINVAL);
	assert_string_equal(err.msg, "bad 7");
	assert_int_equal(bd_err_prefix(&err, "job %d: ", 42), -EINVAL);
	assert_string_equal(err.msg, "job 42: bad 7");
	/* a zero code still yields a failure */
	assert_int_equal(bd_err_setx(&err, 0, "x"), -EIO);
}

static void
err_prefix_truncates_safely(void **state)
{
	struct bd_err err = { 0 };
	char big[600];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bd_err_setx(&err, E2BIG, "%s", big);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	bd_err_prefix(&err, "ctx: ");
	assert_int_equal(strncmp(err.msg, "ctx: aaa", 8), 0);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
}

static void
buf_grows(void **state)
{
	struct bd_buf b = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		bd_buf_printf(&b, "%d,", i);
	assert_true(b.len > 3000);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	assert_int_equal(b.data[b.len], '\0');
	_cleanup_free_ char *s = bd_buf_steal(&b);
	assert_null(b.data);
	assert_int_equal(strncmp(s, "0,1,", 4), 0);
}

/* bd_grow: one row per call, from a capacity of @cap to @want when @need
 * elements are asked for; the contents survive and the new room is usable. */
static void
grow_doubles_to_fit(void **state)
{
	static const struct {
		size_t cap, need, initial, want;
	} cases[] = {
		{ 0, 1, 16, 16 },  /* from empty: the initial capacity */
		{ 0, 0, 16, 0 },   /* nothing asked for: nothing allocated */
		{ 0, 40, 16, 64 }, /* from empty, more than the initial: doubled from it */
		{ 0, 3, 0, 4 },    /* an initial of 0 counts as 1 */
		{ 4, 4, 16, 4 },   /* room enough: unchanged, not moved */
		{ 4, 5, 16, 8 },   /* one more than the room: doubled once */
		{ 8, 10, 16, 16 }, /* two more (a NULL-terminated vector) */
		{ 4, 20, 16, 32 }, /* more than double: doubled until it fits */
		{ 3, 7, 16, 12 },  /* a capacity that is no power of two */
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		size_t cap = cases[i].cap;
		uint64_t *v = cap ? bd_xmalloc(cap * sizeof(*v)) : NULL, *old = v;

		for (size_t k = 0; k < cap; k++)
			v[k] = k * 7 + i;
		v = bd_grow(v, &cap, cases[i].need, sizeof(*v), cases[i].initial);
		if (cap != cases[i].want)
			fail_msg("case %zu: capacity %zu, not %zu", i, cap, cases[i].want);
		if (cases[i].need <= cases[i].cap)
			assert_ptr_equal(v, old);
		for (size_t k = 0; k < cases[i].cap; k++)
			assert_int_equal(v[k], k * 7 + i);
		if (cap)
			v[cap - 1] = 1; /* ASan checks the room is there */
		free(v);
	}
}

/* bd_grow aborts (SIGABRT, with a message) when doubling the capacity or
 * its size in bytes would overflow size_t.  The call runs in a child: the
 * abort is the behaviour under test.  The last row is one where unchecked
 * arithmetic would wrap to a small, successful allocation. */
static void
grow_overflow_aborts(void **state)
{
	static const struct {
		size_t cap, need, size;
	} cases[] = {
		{ 0, SIZE_MAX, 1 },                        /* doubling passes SIZE_MAX */
		{ SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, 1 }, /* doubling a huge capacity */
		{ 4, SIZE_MAX / 8 + 1, 8 },                /* elements * size */
		{ 0, SIZE_MAX / 16 + 2, 16 },              /* 2^61 * 16 wraps to 0 */
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++) {
		char msg[256] = { 0 };
		int p[2], status;
		ssize_t got;
		pid_t pid;

		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			size_t cap = cases[i].cap;

			alarm(10); /* a runaway doubling loop fails instead of hanging */
			dup2(p[1], 2);
			/* fake capacities: bd_grow must stop before touching NULL */
			void *v = bd_grow(NULL, &cap, cases[i].need, cases[i].size, 16);
			free(v);
			_exit(0);
		}
		close(p[1]);
		got = read(p[0], msg, sizeof(msg) - 1);
		close(p[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || got <= 0 ||
		    !strstr(msg, "builderd: out of memory (growing an array") ||
		    !strstr(msg, "overflows size_t"))
			fail_msg("case %zu: wait status %#x, stderr '%s'", i, (unsigned)status,
			         msg);
	}
}

static void
parse_size_suffixes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(bd_parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(bd_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(bd_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(bd_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(bd_parse_size("", &v), -EINVAL);
	assert_int_equal(bd_parse_size("12X", &v), -EINVAL);
	assert_int_equal(bd_parse_size("-1", &v), -EINVAL);
	assert_int_equal(bd_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(bd_parse_size("17179869184G", &v), -ERANGE);
}

static void
openat_beneath_refuses_escapes(void **state)
{
	char tmpl[] = "/tmp/bd-test-XXXXXX";
	struct bd_err err = { 0 };
	_cleanup_close_ int dfd = -1;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(symlinkat("/etc/passwd", dfd, "link"), 0);
	fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);

	fd = bd_openat_beneath(dfd, "file", O_RDONLY, 0, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bd_openat_beneath(dfd, "link", O_RDONLY, 0, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "open link"));
	assert_int_equal(bd_openat_beneath(dfd, "../etc/passwd", O_RDONLY, 0, &err), -EXDEV);
	assert_int_equal(bd_openat_beneath(dfd, "/etc/passwd", O_RDONLY, 0, &err), -EXDEV);

	assert_int_equal(bd_rm_rf_at(AT_FDCWD, tmpl, &err), 0);
	assert_int_equal(access(tmpl, F_OK), -1);
}

static void
rm_rf_removes_unwritable_trees(void **state)
{
	char tmpl[] = "/tmp/bd-test-XXXXXX";
	char path[256];
	struct bd_err err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/a/b/c", tmpl);
	assert_int_equal(bd_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/a/b/c/f", tmpl);
	assert_int_equal(bd_write_file_atomic(path, "hi", 2, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/a/b", tmpl);
	assert_int_equal(chmod(path, 0500), 0);
	assert_int_equal(bd_rm_rf_at(AT_FDCWD, tmpl, &err), 0);
	assert_int_equal(access(tmpl, F_OK), -1);
	/* a missing path is fine */
	assert_int_equal(bd_rm_rf_at(AT_FDCWD, tmpl, &err), 0);
}

static void
read_file_limits(void **state)
{
	char tmpl[] = "/tmp/bd-test-XXXXXX";
	char path[256];
	struct bd_err err = { 0 };
	struct bd_buf b = { 0 };

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/f", tmpl);
	assert_int_equal(bd_write_file_atomic(path, "0123456789", 10, 0600, &err), 0);
	assert_int_equal(bd_read_file_at(AT_FDCWD, path, 10, &b, &err), 0);
	assert_int_equal(b.len, 10);
	bd_buf_reset(&b);
	assert_int_equal(bd_read_file_at(AT_FDCWD, path, 9, &b, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "larger than the limit"));
	assert_int_equal(bd_read_file_at(AT_FDCWD, tmpl, 9, &b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	bd_buf_free(&b);
	assert_int_equal(bd_rm_rf_at(AT_FDCWD, tmpl, &err), 0);
}

static void
log_one_line_per_event(void **state)
{
	struct bd_log log;
	int p[2];
	char out[256] = { 0 };

	(void)state;
	assert_int_equal(pipe(p), 0);
	bd_log_init(&log, "test", p[1], BD_LOG_INFO);
	bd_log_set_ctx(&log, "job=%d", 42);
	bd_info(&log, "hello\nworld");
	bd_debug(&log, "filtered %d", 1);
	close(p[1]);
	assert_true(read(p[0], out, sizeof(out) - 1) > 0);
	close(p[0]);
	assert_string_equal(out, "test: level=info job=42 hello world\n");
	assert_int_equal(bd_log_parse_level("debug"), BD_LOG_DEBUG);
	assert_int_equal(bd_log_parse_level("loud"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(err_set_appends_strerror),
		cmocka_unit_test(err_setx_and_prefix),
		cmocka_unit_test(err_prefix_truncates_safely),
		cmocka_unit_test(buf_grows),
		cmocka_unit_test(grow_doubles_to_fit),
		cmocka_unit_test(grow_overflow_aborts),
		cmocka_unit_test(parse_size_suffixes),
		cmocka_unit_test(openat_beneath_refuses_escapes),
		cmocka_unit_test(rm_rf_removes_unwritable_trees),
		cmocka_unit_test(read_file_limits),
		cmocka_unit_test(log_one_line_per_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
