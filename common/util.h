/* SPDX-License-Identifier: MIT */
/* util: allocation that never fails, growable buffers, whole-fd I/O,
 * dirfd-relative file helpers and small parsers shared by every module.
 *
 * Out of memory is fatal (bd_x* abort with a message): builderd's processes
 * cannot do anything sensible without memory, and pretending otherwise
 * multiplies untested error paths. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define BD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BD_ASSERT(cond)                                            \
	do {                                                       \
		if (!(cond))                                       \
			bd_assert_fail(__FILE__, __LINE__, #cond); \
	} while (0)

__attribute__((noreturn)) void bd_assert_fail(const char *file, int line, const char *what);

void *bd_xmalloc(size_t n) __attribute__((malloc));
void *bd_xcalloc(size_t nmemb, size_t size) __attribute__((malloc));
void *bd_xrealloc(void *p, size_t n);
/* Grow the heap array @p, which has room for *@cap elements of @size bytes,
 * so that it holds at least @need: an empty array starts at @initial
 * elements (1 if 0) and the capacity doubles until it is large enough.
 * Returns the array, moved or not (@p itself when *@cap already suffices),
 * and updates *@cap.  Aborts with a message, as bd_xrealloc does, when the
 * doubled capacity or its size in bytes would overflow size_t, or when out
 * of memory.  To append: v = bd_grow(v, &cap, n + 1, sizeof(*v), 16); */
void *bd_grow(void *p, size_t *cap, size_t need, size_t size, size_t initial)
    __attribute__((warn_unused_result));
char *bd_xstrdup(const char *s) __attribute__((malloc));
char *bd_xstrndup(const char *s, size_t n) __attribute__((malloc));
char *bd_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc));
char *bd_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Growable byte buffer; data is always NUL-terminated (not counted in len). */
struct bd_buf {
	char *data;
	size_t len;
	size_t cap;
};

void bd_buf_reserve(struct bd_buf *b, size_t extra);
void bd_buf_append(struct bd_buf *b, const void *data, size_t n);
void bd_buf_puts(struct bd_buf *b, const char *s);
void bd_buf_putc(struct bd_buf *b, char c);
void bd_buf_printf(struct bd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bd_buf_reset(struct bd_buf *b);
void bd_buf_free(struct bd_buf *b);
/* Hand the data out (caller frees) and reset the buffer. */
char *bd_buf_steal(struct bd_buf *b);

/* NULL-terminated, growable vector of owned strings. */
struct bd_strv {
	char **v; /* v[n] == NULL when n > 0 */
	size_t n;
	size_t cap;
};

/* Append a copy of @s (or take ownership with bd_strv_push_owned). */
void bd_strv_push(struct bd_strv *sv, const char *s);
void bd_strv_push_owned(struct bd_strv *sv, char *s);
bool bd_strv_contains(const struct bd_strv *sv, const char *s);
void bd_strv_free(struct bd_strv *sv);
/* Sort in strcmp order (stable for equal strings is irrelevant). */
void bd_strv_sort(struct bd_strv *sv);

/* Set of strings (open addressing, FNV-1a); copies what it stores. */
struct bd_strset {
	char **slots;
	size_t cap, n;
};

/* Add @s; returns true if it was not there yet. */
bool bd_strset_add(struct bd_strset *set, const char *s);
bool bd_strset_has(const struct bd_strset *set, const char *s);
void bd_strset_free(struct bd_strset *set);

/* Write all @n bytes, retrying on EINTR and short writes.  -errno on failure. */
int bd_write_all(int fd, const void *data, size_t n);
/* Read until EOF into @out (appending); fails with EFBIG naming @what if
 * more than @max bytes arrive. */
int bd_read_all(int fd, size_t max, struct bd_buf *out, const char *what, struct bd_err *err)
    __attribute__((warn_unused_result));

/* openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS):
 * open @path strictly below @dirfd without following any symlink.  @flags
 * always gains O_CLOEXEC.  Returns the fd or -errno with @err naming @path. */
int bd_openat_beneath(int dirfd, const char *path, int flags, mode_t mode, struct bd_err *err)
    __attribute__((warn_unused_result));

/* openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): open
 * @path as a chroot to @rootfd would, symlinks (absolute ones included)
 * resolved inside it and ".." stopping at it.  For trees made of untrusted
 * content, such as a build environment's layer.  Returns the fd or -errno. */
int bd_openat_in_root(int rootfd, const char *path, int flags, mode_t mode, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Read a whole regular file below @dirfd (AT_FDCWD for plain paths) into
 * @out, refusing files over @max bytes. */
int bd_read_file_at(int dirfd, const char *path, size_t max, struct bd_buf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Write @data to @path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory.  @mode applies to the new file. */
int bd_write_file_atomic(const char *path, const void *data, size_t n, mode_t mode,
                         struct bd_err *err) __attribute__((warn_unused_result));

/* mkdir -p with @mode for created components. */
int bd_mkdir_p(const char *path, mode_t mode, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The entry names of directory @dfd (not "." and ".."), sorted bytewise
 * so that walks are reproducible whatever order the filesystem returns.
 * @what names the directory in errors.  @dfd is not consumed. */
int bd_dir_names_sorted(int dfd, const char *what, struct bd_strv *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* rm -rf below @dirfd of entry @name; never follows symlinks and never
 * crosses into another filesystem.  ENOENT is success. */
int bd_rm_rf_at(int dirfd, const char *name, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Parse "123", "64K", "512M", "2G" (powers of 1024) into bytes. */
int bd_parse_size(const char *s, uint64_t *out);
/* Parse a non-negative decimal integer that fits in @max. */
int bd_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* Lower-case hex of @n bytes into @out (2n+1 bytes). */
void bd_hex(const unsigned char *in, size_t n, char *out);

/* Monotonic clock in nanoseconds. */
uint64_t bd_now_ns(void);

/* Does @s start/end with @affix? */
/* The host's architecture as APK names it (x86_64, aarch64, x86, armv7,
 * armhf, ppc64le, s390x, riscv64), fixed at build time; "noarch" else. */
const char *bd_host_arch(void);

bool bd_str_has_prefix(const char *s, const char *prefix);
bool bd_str_has_suffix(const char *s, const char *suffix);
