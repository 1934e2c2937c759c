/* SPDX-License-Identifier: MIT */
/* regex: var-transforms, i.e. Go's regexp.ReplaceAllString over PCRE2.
 *
 * melange compiles `match` with Go's RE2 and expands `replace` with
 * Regexp.Expand rules ($1, ${1}, $name, ${name}, $$; `$1_x` names the
 * group "1_x").  PCRE2 is a superset of RE2's syntax, so constructs RE2
 * refuses (backreferences, lookaround, atomic groups, ...) are refused
 * here too, with the reason; `$` means end of text as in RE2
 * (PCRE2_DOLLAR_ENDONLY).  Because PCRE2 backtracks, matching runs under
 * match and depth limits so a hostile pattern fails instead of hanging.
 * The replace loop follows Go's: an empty match right after a previous
 * match is not replaced, and the scan always advances by one character. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "recipe/subst.h"

#define MATCH_LIMIT 2000000
#define DEPTH_LIMIT 10000

static int rfail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap); /* truncation is fine */
	va_end(ap);
	return -1;
}

/* Find syntax that Go's RE2 rejects but PCRE2 would accept. */
static const char *
non_re2_construct(const char *p)
{
	bool in_class = false;

	for (; *p; p++) {
		if (*p == '\\') {
			char e = p[1];
			if (!e)
				return NULL;
			if (!in_class) {
				if (e >= '1' && e <= '9')
					return "backreferences";
				switch (e) {
				case 'g':
				case 'k':
					return "backreferences";
				case 'K':
					return "\\K";
				case 'G':
					return "\\G";
				case 'Z':
					return "\\Z (use \\z)";
				case 'R':
				case 'X':
					return "\\R and \\X";
				default:
					break;
				}
			}
			p++;
			continue;
		}
		if (in_class) {
			if (*p == ']')
				in_class = false;
			continue;
		}
		if (*p == '[') {
			in_class = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++; /* a leading ] is literal */
			continue;
		}
		if (*p == '(' && p[1] == '?') {
			const char *q = p + 2;
			if (*q == '=' || *q == '!')
				return "lookahead";
			if (*q == '<' && (q[1] == '=' || q[1] == '!'))
				return "lookbehind";
			if (*q == '>')
				return "atomic groups";
			if (*q == '(' || *q == 'R' || *q == '&' || *q == '|' || *q == '+' ||
			    (*q >= '0' && *q <= '9'))
				return "conditionals and recursion";
			if (*q == '#')
				return "comments";
			continue;
		}
		if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '+')
			return "possessive quantifiers";
	}
	return NULL;
}

struct names {
	uint32_t count, entry_size;
	PCRE2_SPTR table;
};

static bool
is_name_char(unsigned char ch)
{
	/* unicode.IsLetter/IsDigit or '_'; bytes >= 0x80 belong to letters */
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch >= 0x80;
}

/* Append the group named @name (or numbered) of the match. */
static void
append_group(struct bd_buf *b, const char *subject, const PCRE2_SIZE *ov, uint32_t ngroups,
             const struct names *nm, const char *name, size_t nlen)
{
	long num = 0;
	bool numeric = true;

	for (size_t i = 0; i < nlen; i++) {
		if (name[i] < '0' || name[i] > '9' || num >= 100000000) {
			numeric = false;
			break;
		}
		num = num * 10 + (name[i] - '0');
	}
	if (name[0] == '0' && nlen > 1)
		numeric = false; /* Go disallows leading zeros */
	if (numeric) {
		if ((uint32_t)num < ngroups && ov[2 * num] != PCRE2_UNSET)
			bd_buf_append(b, subject + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
		return;
	}
	for (uint32_t i = 0; i < nm->count; i++) {
		PCRE2_SPTR e = nm->table + (size_t)i * nm->entry_size;
		uint32_t g = ((uint32_t)e[0] << 8) | e[1];
		const char *gname = (const char *)e + 2;
		if (strlen(gname) == nlen && !memcmp(gname, name, nlen)) {
			if (g < ngroups && ov[2 * g] != PCRE2_UNSET)
				bd_buf_append(b, subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
			return;
		}
	}
}

/* Go's Regexp.expand of @tmpl for one match. */
static void
expand(struct bd_buf *b, const char *tmpl, const char *subject, const PCRE2_SIZE *ov,
       uint32_t ngroups, const struct names *nm)
{
	while (*tmpl) {
		const char *dollar = strchr(tmpl, '$');
		if (!dollar) {
			bd_buf_puts(b, tmpl);
			return;
		}
		bd_buf_append(b, tmpl, (size_t)(dollar - tmpl));
		tmpl = dollar + 1;
		if (*tmpl == '$') {
			bd_buf_putc(b, '$');
			tmpl++;
			continue;
		}
		bool brace = *tmpl == '{';
		const char *s = brace ? tmpl + 1 : tmpl;
		size_t i = 0;
		while (s[i] && is_name_char((unsigned char)s[i]))
			i++;
		if (i == 0 || (brace && s[i] != '}')) {
			/* malformed: the $ is literal text */
			bd_buf_putc(b, '$');
			continue;
		}
		append_group(b, subject, ov, ngroups, nm, s, i);
		tmpl = s + i + (brace ? 1 : 0);
	}
}

static size_t
utf8_width(const char *s, size_t pos, size_t len)
{
	unsigned char ch = (unsigned char)s[pos];
	size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;

	return pos + n <= len ? n : 1;
}

int
bd_regex_replace_all(const char *pattern, const char *subject, const char *repl, char **out,
                     char *err, size_t errlen)
{
	const char *bad = non_re2_construct(pattern);
	pcre2_code *re;
	pcre2_match_data *md = NULL;
	pcre2_match_context *mc = NULL;
	int ecode;
	PCRE2_SIZE eoff;
	struct bd_buf b = { 0 };
	struct names nm = { 0 };
	uint32_t ncap = 0;
	size_t len = strlen(subject), last_end = 0, pos = 0;
	int rc = -1;

	*out = NULL;
	if (bad)
		return rfail(err, errlen,
		             "regular expression \"%s\" uses %s, which Go's RE2 syntax (used by "
		             "melange) does not support",
		             pattern, bad);
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ecode, &eoff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ecode, msg, sizeof(msg));
		return rfail(err, errlen, "invalid regular expression \"%s\": %s at offset %zu",
		             pattern, (const char *)msg, (size_t)eoff);
	}
	(void)pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	(void)pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &nm.count);
	(void)pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &nm.entry_size);
	(void)pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &nm.table);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc)
		BD_ASSERT(!"pcre2 out of memory");
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);

	while (pos <= len) {
		int m = pcre2_match(re, (PCRE2_SPTR)subject, len, pos, 0, md, mc);
		if (m == PCRE2_ERROR_NOMATCH)
			break;
		if (m < 0) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(m, msg, sizeof(msg));
			rfail(err, errlen, "matching \"%s\": %s", pattern, (const char *)msg);
			goto out;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t a0 = ov[0], a1 = ov[1];
		if (a1 < a0) {
			rfail(err, errlen, "matching \"%s\": \\K is not supported", pattern);
			goto out;
		}
		bd_buf_append(&b, subject + last_end, a0 - last_end);
		/* no replacement for an empty match right after a match */
		if (a1 > last_end || a0 == 0)
			expand(&b, repl, subject, ov, ncap + 1, &nm);
		last_end = a1;
		size_t w = pos < len ? utf8_width(subject, pos, len) : 1;
		if (pos + w > a1)
			pos += w;
		else if (pos + 1 > a1)
			pos++;
		else
			pos = a1;
	}
	bd_buf_append(&b, subject + last_end, len - last_end);
	*out = bd_buf_steal(&b);
	rc = 0;
out:
	bd_buf_free(&b);
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc;
}
