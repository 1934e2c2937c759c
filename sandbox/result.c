/* SPDX-License-Identifier: MIT */
/* result: the --result-fd JSON object, written by hand (jansson belongs to
 * proto/).  One line, fixed field order; fields in docs/sandbox.md.
 *
 * Strings (error messages, which may quote paths given on the command line)
 * are escaped per RFC 8259: quote, backslash and control characters are
 * escaped, valid UTF-8 passes through, and every byte of an invalid UTF-8
 * sequence becomes U+FFFD, so the output is always valid JSON. */
#include "sandbox/sandbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at @s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void
json_string(struct bd_buf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	bd_buf_putc(out, '"');
	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			bd_buf_puts(out, "\\ufffd");
			s++;
		} else if (*s == '"' || *s == '\\') {
			bd_buf_putc(out, '\\');
			bd_buf_putc(out, (char)*s++);
		} else if (*s == '\n') {
			bd_buf_puts(out, "\\n");
			s++;
		} else if (*s == '\t') {
			bd_buf_puts(out, "\\t");
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			bd_buf_printf(out, "\\u%04x", *s);
			s++;
		} else {
			bd_buf_append(out, s, n);
			s += n;
		}
	}
	bd_buf_putc(out, '"');
}

static void
json_seconds(struct bd_buf *out, const char *key, uint64_t ns)
{
	bd_buf_printf(out, ",\"%s\":%" PRIu64 ".%06" PRIu64, key, ns / 1000000000u,
	              (ns % 1000000000u) / 1000u);
}

static const char *
status_name(const struct bd_sandbox_result *res)
{
	if (res->setup_failed)
		return "setup_failed";
	return res->exited ? "exited" : "signaled";
}

void
bd_sandbox_result_json(const struct bd_sandbox_result *res, struct bd_buf *out)
{
	bd_buf_printf(out, "{\"version\":1,\"status\":\"%s\",\"exit_code\":%d", status_name(res),
	              res->exit_code);
	if (res->signal)
		bd_buf_printf(out, ",\"signal\":%d", res->signal);
	else
		bd_buf_puts(out, ",\"signal\":null");
	bd_buf_printf(out, ",\"oom\":%s,\"timed_out\":%s,\"cancelled\":%s,\"pids_limit_hit\":%s",
	              res->oom ? "true" : "false", res->timed_out ? "true" : "false",
	              res->cancelled ? "true" : "false", res->pids_limit_hit ? "true" : "false");
	json_seconds(out, "wall_seconds", res->wall_ns);
	json_seconds(out, "cpu_seconds", res->user_ns + res->system_ns);
	json_seconds(out, "user_seconds", res->user_ns);
	json_seconds(out, "system_seconds", res->system_ns);
	bd_buf_printf(out, ",\"peak_memory_bytes\":%" PRIu64, res->peak_memory);
	bd_buf_puts(out, ",\"cgroup\":");
	json_string(out, res->cgroup_layout ? res->cgroup_layout : "none");
	bd_buf_puts(out, ",\"reason\":");
	if (res->reason[0])
		json_string(out, res->reason);
	else
		bd_buf_puts(out, "null");
	bd_buf_puts(out, ",\"error\":");
	if (res->setup_failed)
		json_string(out, res->error.msg);
	else
		bd_buf_puts(out, "null");
	bd_buf_puts(out, "}\n");
}
