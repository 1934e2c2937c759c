/* SPDX-License-Identifier: MIT */
/* subst: melange's two `${{...}}` substitution engines, `if:` conditions,
 * and var-transforms (Go regexp ReplaceAllString semantics over PCRE2).
 *
 * Parse time (config.go) replaces exact keys such as `${{package.name}}`
 * and leaves unknown ones alone.  Compile time (cond.Subst) accepts spaces
 * inside the braces, and every `${{ name }}` must name a defined variable;
 * text that starts with `${{` but is not a reference is an error too.  In
 * `if:` the substituted values are Go-quoted first.  Internal to recipe/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"
#include "recipe/arena.h"
#include "recipe/strmap.h"

/* A variable whose own definition failed: its uses stay quiet instead of
 * cascading into one error each. */
#define BD_POISON ((const char *)1)

/* Parse-time replacement: every `${{KEY}}` (no spaces) whose KEY is in
 * @vars (values are const char *, BD_POISON ones are left) is replaced.  Returns @in itself when
 * nothing changed, else a new string in @a. */
const char *bd_subst_exact(struct bd_arena *a, const char *in, const struct bd_strmap *vars);

enum bd_subst_status {
	BD_SUBST_OK = 0,
	BD_SUBST_UNDEFINED = 1, /* no such variable */
	BD_SUBST_POISONED = 2,  /* defined, but its own definition failed: stay quiet */
};

/* Resolve a variable for compile-time substitution.  Returns the value
 * (status OK) or NULL with *status set. */
typedef const char *(*bd_subst_lookup)(void *ctx, const char *name, size_t len,
                                       enum bd_subst_status *status);

struct bd_subst_problem {
	size_t off;       /* byte offset of the `${{` in the input */
	const char *name; /* variable name (points into the input), or NULL if malformed */
	size_t len;
	bool malformed;
};

#define BD_SUBST_MAX_PROBLEMS 16

/* Compile-time substitution of @in into @out (appended).  With @quote,
 * values are inserted Go-quoted (for `if:`).  Problems are recorded in
 * @probs (at most BD_SUBST_MAX_PROBLEMS; one per distinct name); returns
 * their number (poisoned variables are not problems but still fail: the
 * return is then -1 if there is nothing else to report). */
int bd_subst(const char *in, bd_subst_lookup lookup, void *ctx, bool quote, struct bd_buf *out,
             struct bd_subst_problem *probs);

/* Append Go's strconv.Quote(@s). */
void bd_go_quote(const char *s, struct bd_buf *out);

/* Does @s contain a `${{` at all? */
bool bd_subst_has_ref(const char *s);

/* Evaluate a substituted `if:` expression (melange pkg/cond grammar:
 * values are '...' or "..." literals, compared with == or !=, chained
 * with && and || strictly left to right, parentheses group).  Returns 0
 * and sets *result, or -1 with a message in @err. */
int bd_cond_eval(const char *expr, bool *result, char *err, size_t errlen);

/* Go regexp.ReplaceAllString(subject, repl) for @pattern, with PCRE2 in
 * place of RE2.  Returns 0 and a malloc'd *out, or -1 with a message. */
int bd_regex_replace_all(const char *pattern, const char *subject, const char *repl, char **out,
                         char *err, size_t errlen);
