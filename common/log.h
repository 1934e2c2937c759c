/* SPDX-License-Identifier: MIT */
/* log: explicit logger objects, one line per event with key=value context.
 *
 * A struct bd_log is passed to whoever logs (the apk-tools `struct apk_out`
 * idea), so a job runner's messages carry its job id without globals.  The
 * level test sits in the macro, so a filtered message costs one compare and
 * its arguments are never evaluated.  Code between clone() and execve()
 * never logs; it reports through its sync pipe. */
#pragma once

#include <stdarg.h>

enum bd_log_level {
	BD_LOG_ERROR = 0,
	BD_LOG_WARN = 1,
	BD_LOG_INFO = 2,
	BD_LOG_DEBUG = 3,
};

struct bd_log {
	int level;        /* messages above this level are dropped */
	int fd;           /* where lines go (stderr by default) */
	const char *prog; /* "builderd", "runner", ... */
	char ctx[96];     /* extra key=value pairs, e.g. "job=42" */
};

/* Initialise @log writing to @fd with no context. */
void bd_log_init(struct bd_log *log, const char *prog, int fd, int level);

/* Set the context pairs printed on every line ("job=42 arch=x86_64"). */
void bd_log_set_ctx(struct bd_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write one line: "<prog>: level=<l> <ctx> <message>".  Newlines in the
 * message are replaced so one event stays one line.  Never allocates. */
void bd_log_write(const struct bd_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse "error|warn|info|debug"; returns the level or -1. */
int bd_log_parse_level(const char *s);

#define bd_log(log, lvl, ...)                                    \
	do {                                                     \
		if ((lvl) <= (log)->level)                       \
			bd_log_write((log), (lvl), __VA_ARGS__); \
	} while (0)

#define bd_error(log, ...) bd_log((log), BD_LOG_ERROR, __VA_ARGS__)
#define bd_warn(log, ...) bd_log((log), BD_LOG_WARN, __VA_ARGS__)
#define bd_info(log, ...) bd_log((log), BD_LOG_INFO, __VA_ARGS__)
#define bd_debug(log, ...) bd_log((log), BD_LOG_DEBUG, __VA_ARGS__)
