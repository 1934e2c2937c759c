/* SPDX-License-Identifier: MIT */
/* subst: `${{...}}` substitution, Go quoting and `if:` evaluation (see
 * subst.h).
 *
 * The compile-time scanner mirrors melange's cond.Subst grammar: literal
 * text runs up to the next `${{`; a reference is `${{`, spaces, a name of
 * [A-Za-z0-9._-], spaces, `}}`.  Anything else after `${{` stops melange's
 * parser with an error, so it is reported as a malformed reference. */
#include "recipe/subst.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool
is_var_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '-' || ch == '_';
}

bool
bd_subst_has_ref(const char *s)
{
	return strstr(s, "${{") != NULL;
}

const char *
bd_subst_exact(struct bd_arena *a, const char *in, const struct bd_strmap *vars)
{
	const char *p = strstr(in, "${{");
	struct bd_buf b = { 0 };
	const char *last = in;
	bool changed = false;

	while (p) {
		const char *end = strstr(p + 3, "}}");
		if (!end)
			break;
		const char *val = bd_strmap_get(vars, p + 3, (size_t)(end - (p + 3)));
		if (val && val != BD_POISON) {
			bd_buf_append(&b, last, (size_t)(p - last));
			bd_buf_puts(&b, val);
			last = end + 2;
			changed = true;
			p = strstr(last, "${{");
		} else {
			p = strstr(p + 1, "${{");
		}
	}
	if (!changed)
		return in;
	bd_buf_puts(&b, last);
	const char *r = bd_arena_strndup(a, b.data, b.len);
	bd_buf_free(&b);
	return r;
}

void
bd_go_quote(const char *s, struct bd_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	bd_buf_putc(out, '"');
	while (*p) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\') {
			bd_buf_putc(out, '\\');
			bd_buf_putc(out, (char)ch);
			p++;
			continue;
		}
		if (ch >= 0x20 && ch < 0x7f) {
			bd_buf_putc(out, (char)ch);
			p++;
			continue;
		}
		if (ch < 0x80) {
			switch (ch) {
			case '\a':
				bd_buf_puts(out, "\\a");
				break;
			case '\b':
				bd_buf_puts(out, "\\b");
				break;
			case '\f':
				bd_buf_puts(out, "\\f");
				break;
			case '\n':
				bd_buf_puts(out, "\\n");
				break;
			case '\r':
				bd_buf_puts(out, "\\r");
				break;
			case '\t':
				bd_buf_puts(out, "\\t");
				break;
			case '\v':
				bd_buf_puts(out, "\\v");
				break;
			default:
				bd_buf_puts(out, "\\x");
				bd_buf_putc(out, hex[ch >> 4]);
				bd_buf_putc(out, hex[ch & 15]);
				break;
			}
			p++;
			continue;
		}
		/* multi-byte UTF-8: copy a valid sequence, escape C1 controls
		 * and invalid bytes as Go does */
		size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 0;
		bool valid = n > 0 && ch < 0xf5;
		for (size_t i = 1; valid && i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				valid = false;
		if (!valid) {
			bd_buf_puts(out, "\\x");
			bd_buf_putc(out, hex[ch >> 4]);
			bd_buf_putc(out, hex[ch & 15]);
			p++;
			continue;
		}
		if (n == 2 && ch == 0xc2 && p[1] < 0xa0) {
			char tmp[8];
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)p[1]);
			bd_buf_puts(out, tmp);
		} else {
			bd_buf_append(out, p, n);
		}
		p += n;
	}
	bd_buf_putc(out, '"');
}

static void
add_problem(struct bd_subst_problem *probs, int *n, size_t off, const char *name, size_t len,
            bool malformed)
{
	for (int i = 0; i < *n; i++)
		if (!malformed && !probs[i].malformed && probs[i].len == len &&
		    memcmp(probs[i].name, name, len) == 0)
			return;
	if (*n >= BD_SUBST_MAX_PROBLEMS)
		return;
	probs[*n] = (struct bd_subst_problem){
		.off = off, .name = name, .len = len, .malformed = malformed
	};
	(*n)++;
}

int
bd_subst(const char *in, bd_subst_lookup lookup, void *ctx, bool quote, struct bd_buf *out,
         struct bd_subst_problem *probs)
{
	const char *p = in;
	int nprob = 0;
	bool poisoned = false;

	for (;;) {
		const char *ref = strstr(p, "${{");
		if (!ref) {
			bd_buf_puts(out, p);
			break;
		}
		bd_buf_append(out, p, (size_t)(ref - p));
		const char *q = ref + 3;
		while (*q == ' ')
			q++;
		const char *name = q;
		while (is_var_char(*q))
			q++;
		size_t len = (size_t)(q - name);
		while (*q == ' ')
			q++;
		if (!len || q[0] != '}' || q[1] != '}') {
			/* melange's parser cannot go past this point */
			add_problem(probs, &nprob, (size_t)(ref - in), NULL, 0, true);
			bd_buf_puts(out, ref);
			break;
		}
		enum bd_subst_status st = BD_SUBST_OK;
		const char *val = lookup(ctx, name, len, &st);
		if (val) {
			if (quote)
				bd_go_quote(val, out);
			else
				bd_buf_puts(out, val);
		} else if (st == BD_SUBST_POISONED) {
			poisoned = true;
		} else {
			add_problem(probs, &nprob, (size_t)(ref - in), name, len, false);
		}
		p = q + 2;
	}
	if (nprob)
		return nprob;
	return poisoned ? -1 : 0;
}

/* ------------------------------------------------------------ if: */

struct cparser {
	const char *in;
	size_t pos;
	char *err;
	size_t errlen;
	int depth;
};

static void
cskip(struct cparser *p)
{
	while (p->in[p->pos] == ' ' || p->in[p->pos] == '\t' || p->in[p->pos] == '\n' ||
	       p->in[p->pos] == '\r')
		p->pos++;
}

static int cfail(struct cparser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
cfail(struct cparser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->err, p->errlen, fmt, ap); /* truncation is fine */
	va_end(ap);
	return -1;
}

static int
cvalue(struct cparser *p, struct bd_buf *out)
{
	cskip(p);
	char q = p->in[p->pos];
	if (!q)
		return cfail(p, "unexpected end of expression at position %zu", p->pos);
	if (q == '\'' || q == '"') {
		size_t start = p->pos++;
		while (p->in[p->pos] && p->in[p->pos] != q) {
			char ch = p->in[p->pos];
			if (ch == '\\' && p->in[p->pos + 1]) {
				char e = p->in[++p->pos];
				switch (e) {
				case '\\':
				case '\'':
				case '"':
					bd_buf_putc(out, e);
					break;
				case 'n':
					bd_buf_putc(out, '\n');
					break;
				case 't':
					bd_buf_putc(out, '\t');
					break;
				default:
					bd_buf_putc(out, '\\');
					bd_buf_putc(out, e);
					break;
				}
			} else {
				bd_buf_putc(out, ch);
			}
			p->pos++;
		}
		if (!p->in[p->pos])
			return cfail(p, "unterminated string starting at position %zu", start);
		p->pos++;
		return 0;
	}
	if (!strncmp(p->in + p->pos, "${{", 3))
		return cfail(p, "unresolved variable reference at position %zu", p->pos);
	return cfail(p, "expected a quoted value at position %zu, found '%c'", p->pos, q);
}

static int cexpr(struct cparser *p, bool *result);

static int
catom(struct cparser *p, bool *result)
{
	cskip(p);
	if (p->in[p->pos] == '(') {
		if (++p->depth > 100)
			return cfail(p, "parentheses nested too deeply");
		p->pos++;
		if (cexpr(p, result) < 0)
			return -1;
		cskip(p);
		if (p->in[p->pos] != ')')
			return cfail(p, "expected ')' at position %zu", p->pos);
		p->pos++;
		p->depth--;
		return 0;
	}
	struct bd_buf l = { 0 }, r = { 0 };
	int rc = -1;
	if (cvalue(p, &l) < 0)
		goto out;
	cskip(p);
	bool eq;
	if (!strncmp(p->in + p->pos, "==", 2))
		eq = true;
	else if (!strncmp(p->in + p->pos, "!=", 2))
		eq = false;
	else {
		cfail(p, "expected '==' or '!=' at position %zu", p->pos);
		goto out;
	}
	p->pos += 2;
	if (cvalue(p, &r) < 0)
		goto out;
	bool same = l.len == r.len && (l.len == 0 || memcmp(l.data, r.data, l.len) == 0);
	*result = eq ? same : !same;
	rc = 0;
out:
	bd_buf_free(&l);
	bd_buf_free(&r);
	return rc;
}

static int
cexpr(struct cparser *p, bool *result)
{
	if (catom(p, result) < 0)
		return -1;
	for (;;) {
		cskip(p);
		bool and;
		if (!strncmp(p->in + p->pos, "&&", 2))
			and = true;
		else if (!strncmp(p->in + p->pos, "||", 2))
			and = false;
		else
			return 0;
		p->pos += 2;
		bool rhs;
		if (catom(p, &rhs) < 0)
			return -1;
		/* no precedence: strictly left to right */
		*result = and? (*result && rhs) : (*result || rhs);
	}
}

int
bd_cond_eval(const char *expr, bool *result, char *err, size_t errlen)
{
	struct cparser p = { .in = expr, .err = err, .errlen = errlen };

	if (cexpr(&p, result) < 0)
		return -1;
	cskip(&p);
	if (p.in[p.pos])
		return cfail(&p, "unexpected \"%s\" at position %zu", p.in + p.pos, p.pos);
	return 0;
}
