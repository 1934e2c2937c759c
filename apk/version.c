/* SPDX-License-Identifier: MIT */
/* version: apk-tools compatible version validation and ordering.
 *
 * A version is read as a sequence of tokens, each with a kind and its
 * text.  Two versions are compared token by token while the kinds agree;
 * the first token whose value differs decides.  When one version runs out
 * or changes kind first, the kinds decide: the kinds are ordered so that a
 * version that ends is older than one that goes on with a letter, digit
 * group or revision, but newer than one that goes on with a pre-release
 * suffix (alpha, beta, pre, rc).
 *
 * Behaviour of apk-tools 2.14 src/version.c, read for facts and checked
 * against its test/version.data and the validity table of apk-format.md:
 * - the first token is the leading digit run, possibly empty ("v1.0" is
 *   accepted: an empty number, the letter v, then 1 and 0);
 * - a digit group after '.' is compared as a string when either side has
 *   a leading zero ("1.05" < "1.5", "1.0" < "1.06"), else as a number;
 * - one lower-case letter may follow a digit group, and digits may follow
 *   the letter ("1.0a1"), but not a second letter ("1.0aa");
 * - suffixes must be one of the known names exactly; "-r" introduces the
 *   revision and any other '-' is invalid.
 */
#include "apk/version.h"

#include <string.h>

#include "common/util.h"

enum tok {
	TOK_INITIAL_DIGIT,
	TOK_DIGIT,
	TOK_LETTER,
	TOK_SUFFIX,
	TOK_SUFFIX_NO,
	TOK_REVISION_NO,
	TOK_END,
	TOK_INVALID,
};

/* Suffix ranks: pre-release ones sort below SUF_NONE (no suffix). */
enum {
	SUF_INVALID = 0,
	SUF_ALPHA,
	SUF_BETA,
	SUF_PRE,
	SUF_RC,
	SUF_NONE,
	SUF_CVS,
	SUF_SVN,
	SUF_GIT,
	SUF_HG,
	SUF_P,
};

struct token {
	enum tok kind;
	int suffix;
	const char *val; /* the token's text (digits, letter, suffix name) */
	size_t len;
};

struct cursor {
	const char *p;
	size_t n;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static size_t
span(const struct cursor *c, bool (*pred)(char))
{
	size_t i = 0;

	while (i < c->n && pred(c->p[i]))
		i++;
	return i;
}

static void
take(struct token *t, struct cursor *c, size_t len)
{
	t->val = c->p;
	t->len = len;
	c->p += len;
	c->n -= len;
}

static int
suffix_rank(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int rank;
	} table[] = {
		{ "alpha", SUF_ALPHA }, { "beta", SUF_BETA }, { "pre", SUF_PRE },
		{ "rc", SUF_RC },       { "cvs", SUF_CVS },   { "svn", SUF_SVN },
		{ "git", SUF_GIT },     { "hg", SUF_HG },     { "p", SUF_P },
	};

	for (size_t i = 0; i < BD_ARRAY_SIZE(table); i++)
		if (strlen(table[i].name) == n && memcmp(table[i].name, s, n) == 0)
			return table[i].rank;
	return SUF_INVALID;
}

static void
token_first(struct token *t, struct cursor *c)
{
	t->kind = TOK_INITIAL_DIGIT;
	t->suffix = SUF_NONE;
	take(t, c, span(c, is_digit));
}

/* Advance to the next token; the previous kind decides what may follow. */
static void
token_next(struct token *t, struct cursor *c)
{
	enum tok prev = t->kind;
	char ch;

	if (c->n == 0) {
		t->kind = TOK_END;
		return;
	}
	ch = c->p[0];
	if (is_lower(ch)) {
		if (prev > TOK_DIGIT)
			goto invalid;
		t->kind = TOK_LETTER;
		take(t, c, 1);
		return;
	}
	if (ch == '.' || is_digit(ch)) {
		if (ch == '.') {
			if (prev > TOK_DIGIT)
				goto invalid;
			c->p++;
			c->n--;
		}
		if (prev == TOK_INITIAL_DIGIT || prev == TOK_DIGIT || prev == TOK_LETTER)
			t->kind = TOK_DIGIT;
		else if (prev == TOK_SUFFIX)
			t->kind = TOK_SUFFIX_NO;
		else
			goto invalid;
		take(t, c, span(c, is_digit));
		return;
	}
	if (ch == '_') {
		if (prev > TOK_SUFFIX_NO)
			goto invalid;
		c->p++;
		c->n--;
		take(t, c, span(c, is_lower));
		t->suffix = suffix_rank(t->val, t->len);
		if (t->suffix == SUF_INVALID)
			goto invalid;
		t->kind = TOK_SUFFIX;
		return;
	}
	if (ch == '-') {
		if (prev >= TOK_REVISION_NO || c->n < 2 || c->p[1] != 'r')
			goto invalid;
		c->p += 2;
		c->n -= 2;
		t->kind = TOK_REVISION_NO;
		take(t, c, span(c, is_digit));
		return;
	}
invalid:
	t->kind = TOK_INVALID;
}

static int
sign_to_result(int r)
{
	return r < 0 ? BD_APK_VER_LESS : r > 0 ? BD_APK_VER_GREATER : BD_APK_VER_EQUAL;
}

/* Byte-wise string order, shorter first on a common prefix. */
static int
string_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	if (r == 0)
		r = (an > bn) - (an < bn);
	return r;
}

/* Numeric order of two digit strings of any length (no overflow). */
static int
number_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 0 && a[0] == '0')
		a++, an--;
	while (bn > 0 && b[0] == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	return memcmp(a, b, an);
}

static int
token_cmp(const struct token *a, const struct token *b)
{
	switch (a->kind) {
	case TOK_DIGIT:
		if ((a->len && a->val[0] == '0') || (b->len && b->val[0] == '0'))
			return string_cmp(a->val, a->len, b->val, b->len);
		return number_cmp(a->val, a->len, b->val, b->len);
	case TOK_INITIAL_DIGIT:
	case TOK_SUFFIX_NO:
	case TOK_REVISION_NO:
		return number_cmp(a->val, a->len, b->val, b->len);
	case TOK_LETTER:
		return (unsigned char)a->val[0] - (unsigned char)b->val[0];
	case TOK_SUFFIX:
		return a->suffix - b->suffix;
	case TOK_END:
	case TOK_INVALID:
	default:
		return string_cmp(a->val, a->len, b->val, b->len);
	}
}

bool
bd_apk_version_valid_n(const char *v, size_t n)
{
	struct cursor c = { v, n };
	struct token t;

	for (token_first(&t, &c); t.kind < TOK_END; token_next(&t, &c))
		;
	return t.kind == TOK_END;
}

bool
bd_apk_version_valid(const char *v)
{
	return bd_apk_version_valid_n(v, strlen(v));
}

static int
compare(const char *a, size_t an, const char *b, size_t bn, bool fuzzy)
{
	struct cursor ca = { a, an }, cb = { b, bn };
	struct token ta, tb;

	for (token_first(&ta, &ca), token_first(&tb, &cb); ta.kind == tb.kind && ta.kind < TOK_END;
	     token_next(&ta, &ca), token_next(&tb, &cb)) {
		int r = token_cmp(&ta, &tb);
		if (r != 0)
			return sign_to_result(r);
	}
	if (ta.kind == tb.kind)
		return BD_APK_VER_EQUAL;
	/* fuzzy: @b is a prefix of @a */
	if (tb.kind == TOK_END && fuzzy)
		return BD_APK_VER_EQUAL;
	/* one side goes on: it is newer unless it goes on with a pre-release */
	if (ta.kind == TOK_SUFFIX && ta.suffix < SUF_NONE)
		return BD_APK_VER_LESS;
	if (tb.kind == TOK_SUFFIX && tb.suffix < SUF_NONE)
		return BD_APK_VER_GREATER;
	if (ta.kind > tb.kind)
		return BD_APK_VER_LESS;
	if (tb.kind > ta.kind)
		return BD_APK_VER_GREATER;
	return BD_APK_VER_EQUAL;
}

int
bd_apk_version_compare_n(const char *a, size_t an, const char *b, size_t bn)
{
	return compare(a, an, b, bn, false);
}

int
bd_apk_version_compare(const char *a, const char *b)
{
	return compare(a, strlen(a), b, strlen(b), false);
}

bool
bd_apk_version_match(const char *v, int op, const char *want)
{
	/* with "~" a version that has @want as its leading tokens compares
	 * equal ("1.2.3" ~ "1.2"); "<~" and ">~" also accept the ordering */
	bool fuzzy = (op & BD_APK_VER_FUZZY) != 0;

	return (compare(v, strlen(v), want, strlen(want), fuzzy) & op) != 0;
}

int
bd_apk_version_op_parse(const char *s, size_t len)
{
	int r = 0;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '<':
			r |= BD_APK_VER_LESS;
			break;
		case '>':
			r |= BD_APK_VER_GREATER;
			break;
		case '=':
			r |= BD_APK_VER_EQUAL;
			break;
		case '~':
			r |= BD_APK_VER_FUZZY | BD_APK_VER_EQUAL;
			break;
		default:
			return 0;
		}
	}
	return r;
}

const char *
bd_apk_version_op_str(int op)
{
	switch (op) {
	case BD_APK_VER_LESS:
		return "<";
	case BD_APK_VER_LESS | BD_APK_VER_EQUAL:
		return "<=";
	case BD_APK_VER_EQUAL:
		return "=";
	case BD_APK_VER_GREATER | BD_APK_VER_EQUAL:
		return ">=";
	case BD_APK_VER_GREATER:
		return ">";
	case BD_APK_VER_FUZZY | BD_APK_VER_EQUAL:
		return "~";
	case BD_APK_VER_LESS | BD_APK_VER_FUZZY | BD_APK_VER_EQUAL:
		return "<~";
	case BD_APK_VER_GREATER | BD_APK_VER_FUZZY | BD_APK_VER_EQUAL:
		return ">~";
	case 0:
		return "";
	default:
		return "?";
	}
}
