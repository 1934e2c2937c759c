/* SPDX-License-Identifier: MIT */
/* err: the error value carried up every call chain in builderd.
 *
 * A function that can fail returns an int (>= 0 on success, -errno on
 * failure) or a pointer (NULL on failure) and fills a caller-owned
 * struct bd_err.  The struct lives on the caller's stack, so setting an
 * error never allocates: it works on the out-of-memory path and in a child
 * between clone() and execve(). */
#pragma once

#include <stddef.h>

#define BD_ERR_MSG_MAX 512

struct bd_err {
	int code;                 /* errno value (positive); 0 = no error */
	char msg[BD_ERR_MSG_MAX]; /* "context: context: what failed[: strerror]" */
};

/* Record an error, appending ": strerror(code)".  Returns -code (EIO when
 * code <= 0) so call sites read `return bd_err_set(err, errno, "open %s", p);` */
int bd_err_set(struct bd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like bd_err_set() but without the strerror suffix: for errors whose
 * message already says everything ("bad checksum", "unknown key"). */
int bd_err_setx(struct bd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context to an error already set; returns -err->code.  If the
 * message would overflow, the tail of the old message is truncated. */
int bd_err_prefix(struct bd_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget an error that is being deliberately ignored. */
void bd_err_clear(struct bd_err *err);
