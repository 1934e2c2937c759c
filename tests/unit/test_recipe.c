/* SPDX-License-Identifier: MIT */
/* Unit tests for recipe/: the YAML loader and its limits, the decoder's
 * yaml.v3 rules, both substitution engines, if: conditions, Go regexp
 * replacement, and compiling recipes to plans (struct API), plus the whole
 * Wolfi corpus when ../shared is present (also run under ASan/UBSan). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "recipe/internal.h"
#include "recipe/subst.h"
#include "recipe/yaml.h"

/* ------------------------------------------------------------ helpers */

static const char *
top(void)
{
	const char *t = getenv("BUILDERD_TOP");

	return t && *t ? t : ".";
}

static char builtin[4096];

static const char *
builtin_dir(void)
{
	snprintf(builtin, sizeof(builtin), "%s/pipelines", top());
	return builtin;
}

struct parsed {
	struct bd_arena a;
	struct bd_ydoc doc;
	struct bd_diags d;
	int rc;
};

static void
parse(struct parsed *p, const char *text, const struct bd_yaml_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->rc = bd_yaml_parse(&p->a, "t.yaml", text, strlen(text), lim, &p->doc, &p->d);
}

static void
parsed_free(struct parsed *p)
{
	bd_arena_free(&p->a);
	bd_diags_free(&p->d);
}

/* The first diagnostic as "LINE:COL: message". */
static const char *
first_diag(const struct bd_diags *d)
{
	static char buf[1024];

	if (!d->n)
		return "";
	snprintf(buf, sizeof(buf), "%u:%u: %s", d->v[0].line, d->v[0].col, d->v[0].msg);
	return buf;
}

/* Compile @text for @arch; returns the plan or NULL (diagnostics in @d). */
static struct bd_plan *
compile(const char *text, const char *arch, struct bd_diags *d)
{
	struct bd_recipe_opts o = {
		.arch = arch,
		.builtin_dir = builtin_dir(),
		.diags = d,
	};
	struct bd_plan *plan = NULL;
	struct bd_err err = { 0 };
	int rc = bd_recipe_compile_buffer("r.yaml", text, strlen(text), &o, &plan, &err);

	if (rc < 0)
		assert_null(plan);
	return plan;
}

#define HDR "package:\n  name: p\n  version: 1.0\n  epoch: 2\n"

/* ------------------------------------------------------------ yaml */

static void
yaml_keeps_scalar_text(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "version: 1.10\nextract: false\nn: 0\nq: '010'\nz: ~\ne:\nlit: |\n  a\n   b\n",
	      NULL);
	assert_int_equal(p.rc, 0);
	const struct bd_ynode *r = p.doc.root;
	assert_string_equal(bd_ynode_get(r, "version")->s, "1.10");
	assert_string_equal(bd_ynode_get(r, "extract")->s, "false");
	assert_string_equal(bd_ynode_get(r, "n")->s, "0");
	assert_string_equal(bd_ynode_get(r, "q")->s, "010");
	assert_true(bd_ynode_get(r, "z")->null);
	assert_true(bd_ynode_get(r, "e")->null);
	assert_false(bd_ynode_get(r, "q")->null);
	assert_string_equal(bd_ynode_get(r, "lit")->s, "a\n b\n");
	assert_int_equal(bd_ynode_get(r, "n")->line, 3);
	assert_int_equal(bd_ynode_get(r, "n")->col, 4);
	parsed_free(&p);
}

static void
yaml_value_positions(void **state)
{
	struct parsed p;
	unsigned line, col;

	(void)state;
	parse(&p, "a:\n  runs: |\n    echo one\n      echo two\nb: \"x y\"\nc: 'it''s'\n", NULL);
	assert_int_equal(p.rc, 0);
	const struct bd_ynode *runs = bd_ynode_get(bd_ynode_get(p.doc.root, "a"), "runs");
	/* "two" is on line 4, after 6 spaces of indentation plus "echo " */
	bd_ydoc_value_pos(&p.doc, runs, strlen("echo one\n  echo "), &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 12);
	bd_ydoc_value_pos(&p.doc, bd_ynode_get(p.doc.root, "b"), 2, &line, &col);
	assert_int_equal(line, 5);
	assert_int_equal(col, 7);
	/* escapes make the mapping inexact: the scalar's own position */
	bd_ydoc_value_pos(&p.doc, bd_ynode_get(p.doc.root, "c"), 3, &line, &col);
	assert_int_equal(col, 4);
	parsed_free(&p);
}

static void
yaml_aliases_and_merge_keys(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "base: &b\n  x: 1\n  y: 2\nd:\n  <<: *b\n  y: 3\nl: [*b, *b]\n", NULL);
	assert_int_equal(p.rc, 0);
	const struct bd_ynode *d = bd_ynode_get(p.doc.root, "d");
	assert_string_equal(bd_ynode_get(d, "x")->s, "1");
	assert_string_equal(bd_ynode_get(d, "y")->s, "3"); /* explicit keys win */
	assert_int_equal(d->n, 2);
	assert_int_equal(bd_ynode_get(p.doc.root, "l")->n, 2);
	parsed_free(&p);

	parse(&p, "a: *nope\n", NULL);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d), "1:4: unknown anchor \"*nope\"");
	parsed_free(&p);

	parse(&p, "a: &x [1, *x]\n", NULL);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d),
	                    "1:11: alias \"*x\" refers to a node that contains it");
	parsed_free(&p);
}

static void
yaml_limits(void **state)
{
	struct bd_yaml_limits small = { .max_bytes = 64, .max_depth = 3, .max_nodes = 20 };
	struct parsed p;

	(void)state;
	parse(&p, "a: [[[x]]]\n", &small);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d), "1:6: nesting deeper than the limit of 3 levels");
	parsed_free(&p);

	parse(&p, "a: &a [1, 2, 3, 4]\nb: [*a, *a, *a, *a]\n", &small);
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(first_diag(&p.d), "alias expansion makes the document larger"));
	parsed_free(&p);

	parse(&p, "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\nj: 10\nk: 11\n", &small);
	assert_int_equal(p.rc, -1);
	assert_non_null(strstr(first_diag(&p.d), "more than the limit of 20 nodes"));
	parsed_free(&p);

	char big[100];
	memset(big, '#', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	parse(&p, big, &small);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d), "1:1: file is 99 bytes, larger than the limit of 64");
	parsed_free(&p);
}

static void
yaml_rejects_what_recipes_cannot_be(void **state)
{
	struct parsed p;

	(void)state;
	parse(&p, "a: 1\n---\nb: 2\n", NULL);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d),
	                    "2:1: a recipe must be a single YAML document; found a second one");
	parsed_free(&p);

	parse(&p, "a: 1\nb: 2\na: 3\n", NULL);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d), "3:1: mapping key \"a\" already defined at line 1");
	parsed_free(&p);

	parse(&p, "? [a]\n: 1\n", NULL);
	assert_int_equal(p.rc, -1);
	assert_string_equal(first_diag(&p.d), "1:3: mapping keys must be scalars, not a sequence");
	parsed_free(&p);

	parse(&p, "a: \"\\x00\"\n\x01", NULL);
	assert_int_equal(p.rc, -1);
	parsed_free(&p);
}

/* ------------------------------------------------------------ decode */

static void
decode_follows_yaml_v3(void **state)
{
	struct bd_diags d = { 0 };
	struct bd_plan *plan;

	(void)state;
	/* YAML 1.1 booleans are accepted for bool fields; quoted integers are not */
	plan = compile(HDR "  options:\n    no-provides: yes\n    no-depends: \"off\"\n"
	                   "  timeout: 90m\n",
	               "x86_64", &d);
	assert_non_null(plan);
	assert_true(plan->pkg.no_provides);
	assert_false(plan->pkg.no_depends);
	assert_int_equal(plan->timeout_seconds, 5400);
	assert_int_equal(plan->pkg.epoch, 2);
	assert_string_equal(plan->pkg.version, "1.0");
	bd_plan_free(plan);

	plan = compile("package:\n  name: p\n  version: 1\n  epoch: 0x10\n  timeout: 2h30m\n", NULL,
	               &d);
	assert_non_null(plan);
	assert_int_equal(plan->pkg.epoch, 16);
	assert_int_equal(plan->timeout_seconds, 9000);
	bd_plan_free(plan);

	bd_diags_clear(&d);
	plan = compile("package:\n  name: p\n  version: 1\n  epoch: -1\n  timeout: soon\n"
	               "  options:\n    no-commands: \"true\"\n",
	               NULL, &d);
	assert_null(plan);
	assert_int_equal(d.n_errors, 3);
	bd_diags_sort(&d);
	assert_string_equal(first_diag(&d),
	                    "4:10: package.epoch: expected a non-negative integer, found \"-1\"");
	assert_string_equal(d.v[1].msg, "package.timeout: expected a duration such as \"90m\" or "
	                                "\"2h\", found \"soon\"");
	assert_string_equal(d.v[2].msg,
	                    "package.options.no-commands: expected true or false, found \"true\"");
	bd_diags_free(&d);
}

static void
decode_unknown_keys_everywhere(void **state)
{
	struct bd_diags d = { 0 };

	(void)state;
	assert_null(compile(HDR "pipeline:\n  - runs: x\n    pipeline:\n      - run: y\n"
	                        "update:\n  enabled: true\n  githb: {}\n",
	                    NULL, &d));
	bd_diags_sort(&d);
	assert_int_equal(d.n_errors, 2);
	assert_string_equal(first_diag(&d), "8:9: unknown key \"run\" in pipeline[0].pipeline[0] "
	                                    "(did you mean \"runs\"?)");
	assert_string_equal(d.v[1].msg,
	                    "unknown key \"githb\" in update (did you mean \"github\"?)");
	bd_diags_free(&d);
}

/* ------------------------------------------------------------ substitution */

static const char *
lookup_abc(void *ctx, const char *name, size_t len, enum bd_subst_status *st)
{
	(void)ctx;
	if (len == 1 && *name == 'a')
		return "A\"q";
	if (len == 3 && !memcmp(name, "b.c", 3))
		return "BC";
	if (len == 1 && *name == 'p') {
		*st = BD_SUBST_POISONED;
		return NULL;
	}
	*st = BD_SUBST_UNDEFINED;
	return NULL;
}

static void
subst_compile_time(void **state)
{
	struct bd_subst_problem probs[BD_SUBST_MAX_PROBLEMS];
	struct bd_buf b = { 0 };

	(void)state;
	assert_int_equal(bd_subst("x ${{a}} ${{  b.c }} y", lookup_abc, NULL, false, &b, probs), 0);
	assert_string_equal(b.data, "x A\"q BC y");
	bd_buf_reset(&b);
	assert_int_equal(bd_subst("${{a}} == 'x'", lookup_abc, NULL, true, &b, probs), 0);
	assert_string_equal(b.data, "\"A\\\"q\" == 'x'");
	bd_buf_reset(&b);
	/* one problem per distinct name, at its first offset */
	assert_int_equal(bd_subst("${{z}} ${{z}} ${{y}}", lookup_abc, NULL, false, &b, probs), 2);
	assert_int_equal(probs[0].off, 0);
	assert_int_equal(probs[1].off, 14);
	bd_buf_reset(&b);
	assert_int_equal(bd_subst("ok ${{ a | b }}", lookup_abc, NULL, false, &b, probs), 1);
	assert_true(probs[0].malformed);
	assert_int_equal(probs[0].off, 3);
	bd_buf_reset(&b);
	/* a poisoned variable fails quietly */
	assert_int_equal(bd_subst("${{p}}", lookup_abc, NULL, false, &b, probs), -1);
	bd_buf_free(&b);
}

static void
subst_parse_time(void **state)
{
	struct bd_arena a = { 0 };
	struct bd_strmap m = { 0 };

	(void)state;
	bd_strmap_put(&m, "package.name", 12, (void *)(uintptr_t) "hello");
	bd_strmap_put(&m, "vars.bad", 8, (void *)(uintptr_t)BD_POISON);
	const char *in = "${{package.name}} ${{ package.name }} ${{vars.x}} ${{vars.bad}}";
	assert_string_equal(bd_subst_exact(&a, in, &m),
	                    "hello ${{ package.name }} ${{vars.x}} ${{vars.bad}}");
	const char *same = "no refs";
	assert_ptr_equal(bd_subst_exact(&a, same, &m), same);
	bd_strmap_free(&m);
	bd_arena_free(&a);
}

static void
go_quote_matches_strconv(void **state)
{
	struct bd_buf b = { 0 };

	(void)state;
	bd_go_quote("a\"b\\c\n\t\x01\xc3\xa9\xc2\x85\xff", &b);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\t\\x01\xc3\xa9\\u0085\\xff\"");
	bd_buf_free(&b);
}

static void
cond_left_to_right(void **state)
{
	char err[256];
	bool r;

	(void)state;
	assert_int_equal(bd_cond_eval("'a' == 'a'", &r, err, sizeof(err)), 0);
	assert_true(r);
	/* no precedence: (false || true) && false */
	assert_int_equal(
	    bd_cond_eval("'a' == 'b' || 'a' == 'a' && 'b' == 'c'", &r, err, sizeof(err)), 0);
	assert_false(r);
	assert_int_equal(
	    bd_cond_eval("'a' == 'b' || ('a' == 'a' && 'b' != 'c')", &r, err, sizeof(err)), 0);
	assert_true(r);
	assert_int_equal(
	    bd_cond_eval("\"it\\'s\" == 'it\\'s' && \"a\\\\b\" != \"ab\"", &r, err, sizeof(err)),
	    0);
	assert_true(r);
	assert_int_equal(bd_cond_eval("\"x\\n\" == 'x\n'", &r, err, sizeof(err)), 0);
	assert_true(r);
	assert_int_equal(bd_cond_eval("'a' = 'a'", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "expected '==' or '!=' at position 4");
	assert_int_equal(bd_cond_eval("'a' == 'a' junk", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "unexpected \"junk\" at position 11");
	assert_int_equal(bd_cond_eval("x86_64 == 'x86_64'", &r, err, sizeof(err)), -1);
	assert_string_equal(err, "expected a quoted value at position 0, found 'x'");
	assert_int_equal(bd_cond_eval("('a' == 'a'", &r, err, sizeof(err)), -1);
	assert_int_equal(bd_cond_eval("'open == 'x", &r, err, sizeof(err)), -1);
	assert_int_equal(bd_cond_eval("", &r, err, sizeof(err)), -1);
}

static void
regex_follows_go(void **state)
{
	char err[256];
	char *out;

	(void)state;
	assert_int_equal(bd_regex_replace_all("^(\\d+)\\.(\\d+).*", "1.22.3", "${1}_${2}x", &out,
	                                      err, sizeof(err)),
	                 0);
	assert_string_equal(out, "1_22x");
	free(out);
	/* "$1_" names the group "1_", which does not exist */
	assert_int_equal(bd_regex_replace_all("^(\\d+)\\.(\\d+).*", "1.22.3", "$1_${2}x", &out, err,
	                                      sizeof(err)),
	                 0);
	assert_string_equal(out, "22x");
	free(out);
	/* $1x names group "1x" (absent: empty); $$ is a dollar */
	assert_int_equal(bd_regex_replace_all("(\\d+)", "v7", "$1x$$", &out, err, sizeof(err)), 0);
	assert_string_equal(out, "v$");
	free(out);
	assert_int_equal(bd_regex_replace_all("(?P<maj>\\d+)\\.(?P<min>\\d+)", "3.12",
	                                      "${min}-$maj", &out, err, sizeof(err)),
	                 0);
	assert_string_equal(out, "12-3");
	free(out);
	/* empty matches: not right after a match, and the scan advances */
	assert_int_equal(bd_regex_replace_all("a*", "baaac", "X", &out, err, sizeof(err)), 0);
	assert_string_equal(out, "XbXcX");
	free(out);
	/* a malformed $ stays literal */
	assert_int_equal(bd_regex_replace_all("b", "abc", "${x", &out, err, sizeof(err)), 0);
	assert_string_equal(out, "a${xc");
	free(out);
	/* $ is the end of the text, not of a final line */
	assert_int_equal(bd_regex_replace_all("c$", "abc\n", "X", &out, err, sizeof(err)), 0);
	assert_string_equal(out, "abc\n");
	free(out);
	assert_int_equal(bd_regex_replace_all("(a)\\1", "aa", "", &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "uses backreferences"));
	assert_int_equal(bd_regex_replace_all("a(?!b)", "ab", "", &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "uses lookahead"));
	assert_int_equal(bd_regex_replace_all("(", "x", "", &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invalid regular expression \"(\""));
	/* catastrophic backtracking stops at the match limit */
	assert_int_equal(bd_regex_replace_all("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "",
	                                      &out, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "limit"));
}

static void
path_clean_like_go(void **state)
{
	struct bd_arena a = { 0 };
	static const char *const cases[][2] = {
		{ "/home/build/./src/", "/home/build/src" },
		{ "/home/build/a/../b", "/home/build/b" },
		{ "/../x", "/x" },
		{ "a/../../b", "../b" },
		{ "a//b/.", "a/b" },
		{ "", "." },
		{ "/", "/" },
	};

	(void)state;
	for (size_t i = 0; i < BD_ARRAY_SIZE(cases); i++)
		assert_string_equal(bd_path_clean(&a, cases[i][0]), cases[i][1]);
	bd_arena_free(&a);
}

/* ------------------------------------------------------------ compile */

static const struct bd_plan_step *
step(const struct bd_plan *p, size_t i)
{
	assert_true(i < p->n_steps);
	return &p->steps[i];
}

static const char *
env(const struct bd_plan_env *e, const char *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].key, key))
			return e->v[i].value;
	return NULL;
}

static void
compile_steps_and_sources(void **state)
{
	struct bd_diags d = { 0 };
	struct bd_plan *p;

	(void)state;
	p = compile(HDR "environment:\n  contents:\n    packages: [busybox]\n"
	                "  environment:\n    CC: cc-${{package.version}}\n"
	                "pipeline:\n"
	                "  - uses: git-checkout\n    with:\n      repository: https://x/y\n"
	                "      tag: v${{package.version}}\n"
	                "      expected-commit: ABCDEF0123456789abcdef0123456789abcdef01\n"
	                "  - working-directory: src\n    environment:\n      A: \"1\"\n"
	                "    pipeline:\n"
	                "      - runs: echo ${{targets.destdir}} ${{targets.contextdir}}\n"
	                "      - uses: autoconf/make\n        with:\n          opts: ''\n"
	                "        environment:\n          B: ${{build.arch}}\n",
	            "aarch64", &d);
	assert_non_null(p);
	assert_string_equal(p->arch, "aarch64");
	assert_string_equal(p->pkg.full_version, "1.0-r2");
	assert_int_equal(p->n_steps, 3);
	const struct bd_plan_step *g = step(p, 0);
	assert_int_equal(g->kind, BD_PLAN_GIT);
	assert_string_equal(g->git->tag, "v1.0");
	assert_string_equal(g->git->expected_commit, "abcdef0123456789abcdef0123456789abcdef01");
	assert_int_equal(g->git->depth, 1);
	assert_int_equal(g->loc.line, 11);
	const struct bd_plan_step *s = step(p, 1);
	assert_int_equal(s->kind, BD_PLAN_SHELL);
	assert_string_equal(s->workdir, "/home/build/src");
	assert_string_equal(s->runs, "echo /home/build/melange-out/p /home/build/melange-out/p");
	assert_string_equal(env(&s->env, "A"), "1");
	assert_string_equal(env(&s->env, "CC"), "cc-1.0");
	assert_string_equal(env(&s->env, "HOME"), "/home/build");
	assert_string_equal(env(&s->env, "PATH"), BD_PLAN_PATH);
	assert_non_null(strstr(s->script,
	                       "set -eo pipefail\n[ -d '/home/build/src' ] || "
	                       "mkdir -p '/home/build/src'\ncd '/home/build/src'\necho "));
	s = step(p, 2);
	assert_string_equal(s->uses, "autoconf/make");
	assert_string_equal(env(&s->env, "B"), "aarch64");
	assert_string_equal(env(&s->env, "A"), "1");
	/* needs: the recipe's packages first, then git and make */
	assert_int_equal(p->build_env.packages.n, 3);
	assert_string_equal(p->build_env.packages.v[1], "git");
	assert_string_equal(p->build_env.packages.v[2], "make");
	/* the build user and group are always there */
	assert_string_equal(p->build_env.accounts.users[0].username, "build");
	assert_int_equal(p->build_env.accounts.groups[0].gid, 1000);
	char **envp = bd_plan_step_envp(s);
	assert_string_equal(envp[0], "A=1");
	free(envp);
	bd_plan_free(p);
	bd_diags_free(&d);
}

static void
compile_subpackages_and_tests(void **state)
{
	struct bd_diags d = { 0 };
	struct bd_plan *p;

	(void)state;
	p = compile(HDR
	            "data:\n  - name: d\n    items:\n      zz: last\n      aa: first\n"
	            "subpackages:\n"
	            "  - range: d\n    name: p-${{range.key}}\n    description: ${{range.value}}\n"
	            "    pipeline:\n      - runs: mv x ${{targets.subpkgdir}}/${{subpkg.name}}\n"
	            "    test:\n      pipeline:\n        - uses: python/import\n"
	            "          with:\n            import: foo\n"
	            "  - name: p-gone\n    if: ${{build.arch}} == 'x86_64'\n"
	            "    pipeline:\n      - uses: strip\n"
	            "test:\n  environment:\n    contents:\n      packages: [zsh, bash]\n"
	            "  pipeline:\n    - runs: p --version\n",
	            "aarch64", &d);
	assert_non_null(p);
	assert_int_equal(p->n_subpkgs, 2);
	assert_string_equal(p->subpkgs[0].name, "p-aa");
	assert_string_equal(p->subpkgs[0].description, "first");
	assert_string_equal(p->subpkgs[1].name, "p-zz");
	assert_string_equal(p->subpkgs[1].full_version, "1.0-r2");
	assert_int_equal(p->n_steps, 2);
	assert_string_equal(step(p, 0)->runs, "mv x /home/build/melange-out/p-aa/p-aa");
	assert_string_equal(step(p, 1)->package, "p-zz");
	/* the removed subpackage's needs still count, as in melange */
	assert_string_equal(p->build_env.packages.v[0], "binutils");
	/* tests: main first; packages sorted with the package under test */
	assert_int_equal(p->n_tests, 3);
	assert_string_equal(p->tests[0].package, "p");
	assert_int_equal(p->tests[0].env.packages.n, 3);
	assert_string_equal(p->tests[0].env.packages.v[0], "bash");
	assert_string_equal(p->tests[0].env.packages.v[1], "p");
	assert_string_equal(p->tests[0].env.packages.v[2], "zsh");
	assert_string_equal(p->tests[1].package, "p-aa");
	assert_string_equal(p->tests[1].env.packages.v[0], "p-aa");
	assert_string_equal(p->tests[1].env.packages.v[1], "wolfi-base");
	bd_plan_free(p);
	bd_diags_free(&d);
}

static void
compile_inputs(void **state)
{
	struct bd_diags d = { 0 };
	struct bd_plan *p;

	(void)state;
	/* empty means default; defaults are substituted in the step's scope */
	p = compile(HDR "pipeline:\n  - uses: autoconf/configure\n    with:\n      host: ''\n"
	                "      opts: --with-x=${{host.triplet.gnu}}\n",
	            "x86_64", &d);
	assert_non_null(p);
	assert_non_null(strstr(step(p, 0)->runs, "--host=x86_64-pc-linux-gnu"));
	assert_non_null(strstr(step(p, 0)->runs, "--with-x=x86_64-pc-linux-gnu"));
	bd_plan_free(p);

	/* an input default that cannot be resolved here is an error at the step */
	p = compile(HDR "pipeline:\n  - uses: npm/install\n    with:\n      package: x\n"
	                "      version: '1'\n      prefix: ${{targets.subpkgdir}}\n",
	            "x86_64", &d);
	assert_null(p);
	assert_string_equal(first_diag(&d),
	                    "10:15: input \"prefix\": variable targets.subpkgdir not defined");
	bd_diags_free(&d);
}

static void
compile_errors_are_positioned(void **state)
{
	struct bd_diags d = { 0 };

	(void)state;
	assert_null(compile(HDR "vars:\n  a: ${{vars.b}}\n  b: ${{vars.a}}\n"
	                        "pipeline:\n  - runs: echo ${{vars.a}}\n",
	                    "x86_64", &d));
	/* one error for the cycle; its uses stay quiet */
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(first_diag(&d), "6:6: vars.a: its value refers back to itself");
	bd_diags_clear(&d);

	assert_null(
	    compile(HDR "vars:\n  a: x-${{vars.b}}\n  b: ${{package.name}}\n", "x86_64", &d));
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(first_diag(&d), "7:6: vars.b: variable package.name not defined (the "
	                                    "value of a var may only refer to other vars)");
	bd_diags_clear(&d);

	assert_null(
	    compile(HDR "subpackages:\n  - name: p-x\n    if: ${{build.arch}}\n", "x86_64", &d));
	assert_string_equal(first_diag(&d), "7:9: invalid if expression: expected '==' or '!=' at "
	                                    "position 8, in: \"x86_64\"");
	bd_diags_clear(&d);

	assert_null(compile(HDR "pipeline:\n  - uses: fetch\n    with:\n"
	                        "      uri: https://x/\n      expected-sha256: '%s'\n",
	                    "x86_64", &d));
	/* the step is not looked at further once an input is bad */
	assert_int_equal(d.n_errors, 1);
	assert_string_equal(first_diag(&d), "9:25: expected-sha256 must be 64 hexadecimal digits; "
	                                    "\"%s\" is not hexadecimal");
	bd_diags_clear(&d);

	assert_null(compile(HDR "pipeline:\n  - uses: fetch\n    with:\n"
	                        "      uri: https://x/\n      expected-none: yes\n",
	                    "x86_64", &d));
	assert_int_equal(d.n_errors, 1);
	assert_int_equal(d.n_warnings, 1);
	bd_diags_sort(&d);
	assert_string_equal(d.v[1].msg, "fetch: cannot derive a file name from uri \"https://x/\"");
	bd_diags_free(&d);
}

static void
compile_keeps_melange_metadata_rules(void **state)
{
	struct bd_diags d = { 0 };
	struct bd_plan *p;

	(void)state;
	p = compile("package:\n  name: p\n  version: 2.0\n  epoch: 1\n  description: main\n"
	            "  commit: abc\n  copyright:\n    - license: MIT\n    - license: Apache-2.0\n"
	            "    - license: MIT\n  target-architecture: [aarch64]\n"
	            "  dependencies:\n    provides: ['p-compat=${{package.full-version}}']\n"
	            "    provider-priority: 5\n"
	            "subpackages:\n  - name: p-sub\n    dependencies:\n"
	            "      runtime: ['${{ package.name }}']\n",
	            "x86_64", &d);
	assert_non_null(p);
	assert_true(p->arch_skipped);
	assert_string_equal(p->pkg.license, "MIT AND Apache-2.0");
	assert_string_equal(p->pkg.deps.provides.v[0], "p-compat=2.0-r1");
	assert_string_equal(p->pkg.deps.provider_priority, "5");
	/* subpackages: no description inherited, origin's license and commit */
	assert_null(p->subpkgs[0].description);
	assert_string_equal(p->subpkgs[0].license, "MIT AND Apache-2.0");
	assert_string_equal(p->subpkgs[0].commit, "abc");
	assert_string_equal(p->subpkgs[0].deps.runtime.v[0], "p");
	bd_plan_free(p);
	bd_diags_free(&d);
}

/* ------------------------------------------------------------ corpus */

static void
corpus_compiles_and_renders(void **state)
{
	const char *shared = getenv("BUILDERD_SHARED");
	char dir[4096], pipes[4096];
	struct dirent **ents = NULL;
	int n;

	(void)state;
	if (!shared || !*shared) {
		skip(); /* BUILDERD_SHARED is not set: no Wolfi corpus to test against */
		return;
	}
	snprintf(dir, sizeof(dir), "%s/corpus/wolfi/recipes", shared);
	snprintf(pipes, sizeof(pipes), "%s/corpus/wolfi/pipelines", shared);
	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n > 0);
	const char *dirs[] = { pipes };
	struct bd_pipeline_cache *cache = bd_pipeline_cache_new();
	size_t compiled = 0;
	for (int i = 0; i < n; i++) {
		if (!bd_str_has_suffix(ents[i]->d_name, ".yaml"))
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		for (int a = 0; a < 2; a++) {
			struct bd_diags d = { 0 };
			struct bd_recipe_opts o = {
				.arch = a ? "aarch64" : "x86_64",
				.pipeline_dirs = dirs,
				.n_pipeline_dirs = 1,
				.builtin_dir = builtin_dir(),
				.diags = &d,
				.cache = cache,
			};
			struct bd_plan *p = NULL;
			struct bd_err err = { 0 };
			if (bd_recipe_compile_file(path, &o, &p, &err) < 0)
				fail_msg("%s", err.msg);
			struct bd_buf b = { 0 };
			bd_plan_to_json(p, &b);
			bd_plan_to_shell(p, &b);
			assert_true(b.len > 0);
			bd_buf_free(&b);
			bd_plan_free(p);
			bd_diags_free(&d);
			compiled++;
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	bd_pipeline_cache_free(cache);
	assert_true(compiled > 4000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(yaml_keeps_scalar_text),
		cmocka_unit_test(yaml_value_positions),
		cmocka_unit_test(yaml_aliases_and_merge_keys),
		cmocka_unit_test(yaml_limits),
		cmocka_unit_test(yaml_rejects_what_recipes_cannot_be),
		cmocka_unit_test(decode_follows_yaml_v3),
		cmocka_unit_test(decode_unknown_keys_everywhere),
		cmocka_unit_test(subst_compile_time),
		cmocka_unit_test(subst_parse_time),
		cmocka_unit_test(go_quote_matches_strconv),
		cmocka_unit_test(cond_left_to_right),
		cmocka_unit_test(regex_follows_go),
		cmocka_unit_test(path_clean_like_go),
		cmocka_unit_test(compile_steps_and_sources),
		cmocka_unit_test(compile_subpackages_and_tests),
		cmocka_unit_test(compile_inputs),
		cmocka_unit_test(compile_errors_are_positioned),
		cmocka_unit_test(compile_keeps_melange_metadata_rules),
		cmocka_unit_test(corpus_compiles_and_renders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
