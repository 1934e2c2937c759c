/* SPDX-License-Identifier: MIT */
/* cleanup: scope-bound release of memory, fds and streams.
 *
 * gcc/clang's cleanup attribute runs a function on the variable's address
 * when it leaves scope, so error paths need no hand-written free/close.
 * Ownership leaves a cleanup variable through bd_steal_ptr()/bd_steal_fd(). */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
bd_cleanup_free_fn(void *p)
{
	free(*(void **)p);
}

static inline void
bd_cleanup_close_fn(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd); /* nothing useful to do on error */
		errno = saved;
	}
}

static inline void
bd_cleanup_fclose_fn(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

static inline void
bd_cleanup_closedir_fn(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

#define _cleanup_free_ __attribute__((cleanup(bd_cleanup_free_fn)))
#define _cleanup_close_ __attribute__((cleanup(bd_cleanup_close_fn)))
#define _cleanup_fclose_ __attribute__((cleanup(bd_cleanup_fclose_fn)))
#define _cleanup_closedir_ __attribute__((cleanup(bd_cleanup_closedir_fn)))

/* Return *pp and set it to NULL: hands a pointer out of a cleanup variable.
 * @pp is the address of any object pointer. */
static inline void *
bd_steal_ptr(void *pp)
{
	void **p = (void **)pp;
	void *r = *p;

	*p = NULL;
	return r;
}

/* Return *fd and set it to -1. */
static inline int
bd_steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* Close *fd if open and set it to -1. */
static inline void
bd_close_reset(int *fd)
{
	bd_cleanup_close_fn(fd);
	*fd = -1;
}
