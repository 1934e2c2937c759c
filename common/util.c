/* SPDX-License-Identifier: MIT */
/* util: shared helpers (see util.h). */
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

void
bd_assert_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "builderd: internal error: %s:%d: assertion failed: %s\n", file, line,
	        what);
	abort();
}

static __attribute__((noreturn)) void
oom(size_t n)
{
	fprintf(stderr, "builderd: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
bd_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *
bd_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *
bd_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

static __attribute__((noreturn)) void
array_too_large(size_t need, size_t size)
{
	fprintf(stderr,
	        "builderd: out of memory (growing an array to %zu elements of %zu bytes "
	        "overflows size_t)\n",
	        need, size);
	abort();
}

void *
bd_grow(void *p, size_t *cap, size_t need, size_t size, size_t initial)
{
	size_t c = *cap;

	if (need <= c)
		return p;
	if (!c)
		c = initial ? initial : 1;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			array_too_large(need, size);
		c *= 2;
	}
	if (size && c > SIZE_MAX / size)
		array_too_large(need, size);
	p = bd_xrealloc(p, c * size);
	*cap = c;
	return p;
}

char *
bd_xstrdup(const char *s)
{
	char *r = strdup(s);

	if (!r)
		oom(strlen(s) + 1);
	return r;
}

char *
bd_xstrndup(const char *s, size_t n)
{
	char *r = strndup(s, n);

	if (!r)
		oom(n + 1);
	return r;
}

char *
bd_xvasprintf(const char *fmt, va_list ap)
{
	char *r;

	if (vasprintf(&r, fmt, ap) < 0)
		oom(strlen(fmt));
	return r;
}

char *
bd_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = bd_xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

void
bd_buf_reserve(struct bd_buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		oom(SIZE_MAX);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = bd_xrealloc(b->data, cap);
	b->cap = cap;
}

void
bd_buf_append(struct bd_buf *b, const void *data, size_t n)
{
	bd_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
bd_buf_puts(struct bd_buf *b, const char *s)
{
	bd_buf_append(b, s, strlen(s));
}

void
bd_buf_putc(struct bd_buf *b, char c)
{
	bd_buf_append(b, &c, 1);
}

void
bd_buf_printf(struct bd_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	bd_buf_reserve(b, 64);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		bd_buf_reserve(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	}
	va_end(ap2);
	b->len += (size_t)n;
}

void
bd_buf_reset(struct bd_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
bd_buf_free(struct bd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
bd_buf_steal(struct bd_buf *b)
{
	char *r;

	if (!b->data) {
		bd_buf_reserve(b, 0);
		b->data[0] = '\0';
	}
	r = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return r;
}

void
bd_strv_push_owned(struct bd_strv *sv, char *s)
{
	sv->v = bd_grow(sv->v, &sv->cap, sv->n + 2, sizeof(*sv->v), 8);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
bd_strv_push(struct bd_strv *sv, const char *s)
{
	bd_strv_push_owned(sv, bd_xstrdup(s));
}

bool
bd_strv_contains(const struct bd_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void
bd_strv_free(struct bd_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

static int
strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
bd_strv_sort(struct bd_strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), strv_cmp);
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static size_t
strset_slot(char *const *slots, size_t cap, const char *s)
{
	size_t i = (size_t)fnv1a(s) & (cap - 1);

	while (slots[i] && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

bool
bd_strset_add(struct bd_strset *set, const char *s)
{
	size_t i;

	if ((set->n + 1) * 4 >= set->cap * 3) {
		size_t ncap = set->cap ? set->cap * 2 : 64;
		char **ns = bd_xcalloc(ncap, sizeof(*ns));
		for (size_t k = 0; k < set->cap; k++)
			if (set->slots[k])
				ns[strset_slot(ns, ncap, set->slots[k])] = set->slots[k];
		free(set->slots);
		set->slots = ns;
		set->cap = ncap;
	}
	i = strset_slot(set->slots, set->cap, s);
	if (set->slots[i])
		return false;
	set->slots[i] = bd_xstrdup(s);
	set->n++;
	return true;
}

bool
bd_strset_has(const struct bd_strset *set, const char *s)
{
	if (!set->cap)
		return false;
	return set->slots[strset_slot(set->slots, set->cap, s)] != NULL;
}

void
bd_strset_free(struct bd_strset *set)
{
	for (size_t k = 0; k < set->cap; k++)
		free(set->slots[k]);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

int
bd_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bd_read_all(int fd, size_t max, struct bd_buf *out, const char *what, struct bd_err *err)
{
	size_t start = out->len;

	for (;;) {
		bd_buf_reserve(out, 65536);
		ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bd_err_set(err, errno, "read %s", what);
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
		if (out->len - start > max)
			return bd_err_setx(err, EFBIG, "%s: larger than the limit of %zu bytes",
			                   what, max);
	}
	return 0;
}

int
bd_openat_beneath(int dirfd, const char *path, int flags, mode_t mode, struct bd_err *err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", path);
	return fd;
}

int
bd_openat_in_root(int rootfd, const char *path, int flags, mode_t mode, struct bd_err *err)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", path);
	return fd;
}

int
bd_read_file_at(int dirfd, const char *path, size_t max, struct bd_buf *out, struct bd_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0)
		return bd_err_set(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return bd_err_setx(err, EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return bd_err_setx(err, EFBIG, "%s: %lld bytes, larger than the limit of %zu", path,
		                   (long long)st.st_size, max);
	return bd_read_all(fd, max, out, path, err);
}

int
bd_write_file_atomic(const char *path, const void *data, size_t n, mode_t mode, struct bd_err *err)
{
	_cleanup_free_ char *tmp = bd_xasprintf("%s.tmp.%ld", path, (long)getpid());
	_cleanup_free_ char *dir = bd_xstrdup(path);
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int dfd = -1;
	char *slash;
	int r;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return bd_err_set(err, errno, "create %s", tmp);
	r = bd_write_all(fd, data, n);
	if (r < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int e = r < 0 ? -r : errno;
		(void)unlink(tmp);
		return bd_err_set(err, e, "write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		(void)unlink(tmp);
		return bd_err_set(err, e, "rename %s to %s", tmp, path);
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return bd_err_set(err, errno, "fsync directory %s", dir);
	return 0;
}

int
bd_mkdir_p(const char *path, mode_t mode, struct bd_err *err)
{
	_cleanup_free_ char *p = bd_xstrdup(path);
	size_t len = strlen(p);

	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char saved = p[i];
		p[i] = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return bd_err_set(err, errno, "mkdir %s", p);
		p[i] = saved;
	}
	return 0;
}

int
bd_dir_names_sorted(int dfd, const char *what, struct bd_strv *out, struct bd_err *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = dup(dfd);

	if (fd < 0)
		return bd_err_set(err, errno, "dup");
	d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return bd_err_set(err, e, "opendir %s", what);
	}
	rewinddir(d); /* the dup shares the offset of @dfd */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		bd_strv_push(out, de->d_name);
	}
	if (errno)
		return bd_err_set(err, errno, "readdir %s", what);
	bd_strv_sort(out);
	return 0;
}

static int
rm_rf_dir(int dfd, const char *name, dev_t dev, int depth, struct bd_err *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (depth > 4096)
		return bd_err_setx(err, ELOOP, "remove %s: directory tree too deep", name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bd_err_set(err, errno, "open %s", name);
	d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return bd_err_set(err, e, "opendir %s", name);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return bd_err_set(err, errno, "stat %s/%s", name, de->d_name);
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev)
				return bd_err_setx(err, EXDEV, "remove %s/%s: is a mount point",
				                   name, de->d_name);
			/* make sure we may enter and modify it */
			if ((st.st_mode & 0700) != 0700)
				(void)!fchmodat(dirfd(d), de->d_name, 0700, 0);
			if (rm_rf_dir(dirfd(d), de->d_name, dev, depth + 1, err) < 0)
				return bd_err_prefix(err, "%s/", name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			return bd_err_set(err, errno, "unlink %s/%s", name, de->d_name);
		}
	}
	if (errno)
		return bd_err_set(err, errno, "readdir %s", name);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return bd_err_set(err, errno, "rmdir %s", name);
	return 0;
}

int
bd_rm_rf_at(int dirfd, const char *name, struct bd_err *err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return bd_err_set(err, errno, "stat %s", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return bd_err_set(err, errno, "unlink %s", name);
		return 0;
	}
	if ((st.st_mode & 0700) != 0700)
		(void)!fchmodat(dirfd, name, 0700, 0);
	return rm_rf_dir(dirfd, name, st.st_dev, 0, err);
}

int
bd_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
bd_parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t len;
	unsigned shift = 0;
	uint64_t v;
	int r;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	if (len >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift)
		num[--len] = '\0';
	r = bd_parse_u64(num, UINT64_MAX >> shift, &v);
	if (r < 0)
		return r;
	*out = v << shift;
	return 0;
}

void
bd_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

uint64_t
bd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The APK architecture name (Alpine's) of the machine we were built for. */
const char *
bd_host_arch(void)
{
#if defined(__x86_64__)
	return "x86_64";
#elif defined(__aarch64__)
	return "aarch64";
#elif defined(__i386__)
	return "x86";
#elif defined(__arm__) && defined(__ARM_ARCH_7A__)
	return "armv7";
#elif defined(__arm__)
	return "armhf";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
	return "noarch";
#endif
}

bool
bd_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
bd_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}
