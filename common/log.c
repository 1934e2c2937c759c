/* SPDX-License-Identifier: MIT */
/* log: line-oriented logger (see log.h). */
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
bd_log_init(struct bd_log *log, const char *prog, int fd, int level)
{
	log->level = level;
	log->fd = fd;
	log->prog = prog;
	log->ctx[0] = '\0';
}

void
bd_log_set_ctx(struct bd_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(log->ctx, sizeof(log->ctx), fmt, ap); /* truncation is fine */
	va_end(ap);
}

void
bd_log_write(const struct bd_log *log, int level, const char *fmt, ...)
{
	char line[1024];
	size_t n = 0;
	va_list ap;
	int r;

	if (level < BD_LOG_ERROR)
		level = BD_LOG_ERROR;
	if (level > BD_LOG_DEBUG)
		level = BD_LOG_DEBUG;
	r = snprintf(line, sizeof(line), "%s: level=%s%s%s ", log->prog ? log->prog : "builderd",
	             level_names[level], log->ctx[0] ? " " : "", log->ctx);
	if (r > 0)
		n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* one write() so concurrent writers do not interleave within a line */
	(void)!write(log->fd, line, n);
}

int
bd_log_parse_level(const char *s)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}
