/* SPDX-License-Identifier: MIT */
/* err: allocation-free error values (see err.h). */
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int
err_vset(struct bd_err *err, int code, int with_strerror, const char *fmt, va_list ap)
{
	int n;

	if (code <= 0)
		code = EIO;
	err->code = code;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0) {
		err->msg[0] = '\0';
		n = 0;
	}
	if (with_strerror && (size_t)n < sizeof(err->msg)) {
		char buf[128];
		/* GNU strerror_r returns a pointer, maybe to a static string */
		const char *s = strerror_r(code, buf, sizeof(buf));
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", s);
	}
	return -code;
}

int
bd_err_set(struct bd_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(err, code, 1, fmt, ap);
	va_end(ap);
	return r;
}

int
bd_err_setx(struct bd_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return r;
}

int
bd_err_prefix(struct bd_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	va_list ap;
	int n;

	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, "%s", old);
	if (err->code <= 0)
		err->code = EIO;
	return -err->code;
}

void
bd_err_clear(struct bd_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
