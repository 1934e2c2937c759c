/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/depscan: package trees built here (binaries compiled
 * from tests/data/depscan with the host compiler, synthetic ELF files of
 * any class and byte order, scripts, .pc files, ld.so.conf.d files) are
 * scanned and merged, and the final depends/provides are compared with
 * what melange's rules give (recipe-format.md 6.3): dependencies satisfied
 * in the package dropped, those satisfied by a sibling pinned to it,
 * vendored libraries, the 0555 rule for cmd:, shebangs, pkg-config,
 * options, the language and doc extras, and hostile trees.  Every final
 * list must make a valid .PKGINFO. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/depscan.h"
#include "apk/elf.h"
#include "apk/pkginfo.h"
#include "common/util.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/shared.h"

#define VER "1.0-r0"

/* ------------------------------------------------------------ fixture */

static char *built; /* compiled binaries: libfoo.so.1, prog */
static bool have_cc;
static struct bd_strv prog_deps; /* what prog needs besides libfoo: so:... */

static int
group_setup(void **state)
{
	char src[4096], lib[4096], out[4096], ldir[4096];
	const char *cc = bd_test_cc();
	struct bd_apk_elf e;
	struct bd_err err = { 0 };
	int fd;

	(void)state;
	built = bd_test_mkdtemp();
	if (!cc)
		return 0;
	bd_test_data_path(src, sizeof(src), "depscan/libfoo.c");
	snprintf(lib, sizeof(lib), "%s/libfoo.so.1", built);
	if (bd_test_run((const char *[]){ cc, "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o",
	                                  lib, src, NULL }) != 0)
		return 0;
	snprintf(out, sizeof(out), "%s/libfoo.so", built);
	if (symlink("libfoo.so.1", out) < 0)
		return -1;
	snprintf(ldir, sizeof(ldir), "-L%s", built);
	bd_test_data_path(src, sizeof(src), "depscan/prog.c");
	snprintf(out, sizeof(out), "%s/prog", built);
	if (bd_test_run((const char *[]){ cc, "-o", out, src, ldir, "-lfoo", NULL }) != 0)
		return 0;
	/* the host's own libraries prog needs (the C library, the loader) */
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || bd_apk_elf_parse_fd(fd, &e, &err) < 0)
		return -1;
	close(fd);
	for (size_t i = 0; i < e.needed.n; i++)
		if (strstr(e.needed.v[i], ".so.") && strcmp(e.needed.v[i], "libfoo.so.1") != 0)
			bd_strv_push_owned(&prog_deps, bd_xasprintf("so:%s", e.needed.v[i]));
	if (e.interp) {
		const char *b = strrchr(e.interp, '/');
		b = b ? b + 1 : e.interp;
		if (strncmp(b, "ld-musl", 7) == 0)
			bd_strv_push_owned(&prog_deps, bd_xasprintf("so:libc.musl%s", b + 7));
		else
			bd_strv_push_owned(&prog_deps, bd_xasprintf("so:%s", b));
	}
	bd_apk_elf_free(&e);
	have_cc = true;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	bd_test_rmtree(built);
	free(built);
	bd_strv_free(&prog_deps);
	return 0;
}

/* ------------------------------------------------------------ tree helpers */

static void
mkparents(const char *root, const char *rel)
{
	char path[4096];
	struct bd_err err = { 0 };
	const char *s = strrchr(rel, '/');

	if (!s)
		return;
	snprintf(path, sizeof(path), "%s/%.*s", root, (int)(s - rel), rel);
	if (bd_mkdir_p(path, 0755, &err) < 0)
		fail_msg("%s", err.msg);
}

static void
put(const char *root, const char *rel, const char *text, unsigned mode)
{
	char path[4096];

	mkparents(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	bd_test_write_file(path, text, strlen(text), mode);
}

static void
mkdir_in(const char *root, const char *rel)
{
	char path[4096];
	struct bd_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (bd_mkdir_p(path, 0755, &err) < 0)
		fail_msg("%s", err.msg);
}

static void
link_in(const char *root, const char *rel, const char *target)
{
	char path[4096];

	mkparents(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static void
put_elf(const char *root, const char *rel, struct bd_test_elf_spec s, unsigned mode)
{
	struct bd_buf b = { 0 };
	struct bd_test_elf_layout lay;
	char path[4096];

	if (!s.elf_class)
		s.elf_class = 64;
	bd_test_elf_build(&s, &b, &lay);
	mkparents(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	bd_test_write_file(path, b.data, b.len, mode);
	bd_buf_free(&b);
}

static void
put_built(const char *root, const char *rel, const char *name, unsigned mode)
{
	char path[4096];
	struct bd_buf b = { 0 };
	struct bd_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", built, name);
	if (bd_read_file_at(AT_FDCWD, path, 64u << 20, &b, &err) < 0)
		fail_msg("%s", err.msg);
	mkparents(root, rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	bd_test_write_file(path, b.data, b.len, mode);
	bd_buf_free(&b);
}

/* A build of up to 4 packages, each in <tmp>/<name>. */
struct build {
	char *tmp;
	size_t n;
	char *roots[4];
	struct bd_apk_depscan scans[4];
	struct bd_apk_depscan_pkg pkgs[4];
	struct bd_strv cdeps[4], cprov[4];
};

static const char *
add_pkg(struct build *b, const char *name)
{
	size_t i = b->n++;

	if (!b->tmp)
		b->tmp = bd_test_mkdtemp();
	b->roots[i] = bd_xasprintf("%s/%s", b->tmp, name);
	mkdir_in(b->tmp, name);
	b->pkgs[i].name = name;
	b->pkgs[i].version = VER;
	b->pkgs[i].configured_depends = &b->cdeps[i];
	b->pkgs[i].configured_provides = &b->cprov[i];
	return b->roots[i];
}

static void
scan_all(struct build *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct bd_err err = { 0 };
		int fd = open(b->roots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		assert_true(fd >= 0);
		if (bd_apk_depscan_tree(fd, VER, NULL, &b->scans[i], &err) < 0)
			fail_msg("scan %s: %s", b->pkgs[i].name, err.msg);
		close(fd);
		b->pkgs[i].scan = &b->scans[i];
	}
}

/* The final lists must make a .PKGINFO that validates and parses back. */
static void
check_pkginfo(const struct bd_apk_depscan_pkg *p)
{
	struct bd_apk_pkginfo pi = { 0 }, back = { 0 };
	struct bd_buf text = { 0 };
	struct bd_err err = { 0 };

	pi.name = (char *)(uintptr_t)p->name;
	pi.version = (char *)(uintptr_t)p->version;
	pi.depends = p->depends;
	pi.provides = p->provides;
	if (bd_apk_pkginfo_format(&pi, "test", &text, &err) < 0)
		fail_msg("%s: %s", p->name, err.msg);
	if (bd_apk_pkginfo_parse(text.data, text.len, &back, &err) < 0)
		fail_msg("%s: %s", p->name, err.msg);
	assert_int_equal(back.depends.n, p->depends.n);
	assert_int_equal(back.provides.n, p->provides.n);
	bd_apk_pkginfo_free(&back);
	bd_buf_free(&text);
}

static void
finalize(struct build *b)
{
	struct bd_err err = { 0 };

	if (bd_apk_deps_finalize(b->pkgs, b->n, &err) < 0)
		fail_msg("finalize: %s", err.msg);
	for (size_t i = 0; i < b->n; i++) {
		for (size_t k = 1; k < b->pkgs[i].depends.n; k++)
			assert_true(strcmp(b->pkgs[i].depends.v[k - 1], b->pkgs[i].depends.v[k]) <
			            0);
		for (size_t k = 1; k < b->pkgs[i].provides.n; k++)
			assert_true(strcmp(b->pkgs[i].provides.v[k - 1], b->pkgs[i].provides.v[k]) <
			            0);
		check_pkginfo(&b->pkgs[i]);
	}
}

static void
build_free(struct build *b)
{
	for (size_t i = 0; i < b->n; i++) {
		bd_apk_depscan_pkg_free(&b->pkgs[i]);
		bd_apk_depscan_free(&b->scans[i]);
		bd_strv_free(&b->cdeps[i]);
		bd_strv_free(&b->cprov[i]);
		free(b->roots[i]);
	}
	if (b->tmp) {
		bd_test_rmtree(b->tmp);
		free(b->tmp);
	}
	memset(b, 0, sizeof(*b));
}

static void
print_list(const char *what, const struct bd_strv *sv)
{
	printf("# %s:", what);
	for (size_t i = 0; i < sv->n; i++)
		printf(" %s", sv->v[i]);
	printf("\n");
}

/* @sv must be exactly the space-separated @want (plus the strings of
 * @also, if given), in sorted order. */
static void
assert_list_plus(const struct bd_strv *sv, const char *want, const struct bd_strv *also)
{
	struct bd_strv w = { 0 };
	bool ok;

	if (bd_apk_deps_split(want, &w, &(struct bd_err){ 0 }) < 0)
		fail_msg("bad expectation '%s'", want);
	for (size_t i = 0; also && i < also->n; i++)
		if (!bd_strv_contains(&w, also->v[i]))
			bd_strv_push(&w, also->v[i]);
	bd_strv_sort(&w);
	ok = w.n == sv->n;
	for (size_t i = 0; ok && i < w.n; i++)
		ok = strcmp(w.v[i], sv->v[i]) == 0;
	if (!ok) {
		print_list("got", sv);
		print_list("want", &w);
		fail_msg("lists differ");
	}
	bd_strv_free(&w);
}

static void
assert_list(const struct bd_strv *sv, const char *want)
{
	assert_list_plus(sv, want, NULL);
}

static bool
has_note(const struct bd_strv *sv, const char *needle)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strstr(sv->v[i], needle))
			return true;
	return false;
}

/* ------------------------------------------------------------ compiled */

/* Library and program in one package: the library's dependency is dropped. */
static void
depscan_compiled_same_package(void **state)
{
	struct build b = { 0 };
	const char *r;

	(void)state;
	if (!have_cc)
		skip();
	r = add_pkg(&b, "foo");
	put_built(r, "usr/lib/libfoo.so.1", "libfoo.so.1", 0755);
	link_in(r, "usr/lib/libfoo.so", "libfoo.so.1");
	put_built(r, "usr/bin/prog", "prog", 0755);
	scan_all(&b);
	assert_true(bd_strv_contains(&b.scans[0].depends, "so:libfoo.so.1"));
	finalize(&b);
	assert_list(&b.pkgs[0].provides,
	            "cmd:prog=" VER " so-ver:libfoo.so.1=" VER " so:libfoo.so.1=1");
	assert_list_plus(&b.pkgs[0].depends, "", &prog_deps);
	assert_false(bd_strv_contains(&b.pkgs[0].depends, "so:libfoo.so.1"));
	build_free(&b);
}

/* Library in a subpackage: the program depends on that subpackage; the
 * -dev package's libfoo.so symlink makes it depend on it too. */
static void
depscan_compiled_sibling_subpackages(void **state)
{
	struct build b = { 0 };
	const char *main_, *libs, *dev;

	(void)state;
	if (!have_cc)
		skip();
	main_ = add_pkg(&b, "foo");
	libs = add_pkg(&b, "foo-libs");
	dev = add_pkg(&b, "foo-dev");
	put_built(main_, "usr/bin/prog", "prog", 0755);
	put_built(libs, "usr/lib/libfoo.so.1", "libfoo.so.1", 0755);
	link_in(dev, "usr/lib/libfoo.so", "libfoo.so.1");
	put(dev, "usr/lib/pkgconfig/foo.pc", "Name: foo\nVersion: 1.0\nRequires: zlib\n", 0644);
	scan_all(&b);
	finalize(&b);
	assert_list_plus(&b.pkgs[0].depends, "foo-libs=" VER, &prog_deps);
	assert_list(&b.pkgs[0].provides, "cmd:prog=" VER);
	assert_true(has_note(&b.pkgs[0].notes, "so:libfoo.so.1: provided by sibling foo-libs"));
	assert_list(&b.pkgs[1].provides, "so-ver:libfoo.so.1=" VER " so:libfoo.so.1=1");
	assert_list(&b.pkgs[1].depends, "");
	assert_list(&b.pkgs[2].depends, "foo-libs=" VER " pc:zlib");
	assert_list(&b.pkgs[2].provides, "pc:foo=" VER);
	build_free(&b);
}

/* A library outside the library dirs is vendored: no provide, and the
 * dependency it satisfies is dropped; an ld.so.conf.d file anywhere in the
 * build makes that directory a library dir. */
static void
depscan_compiled_vendored_and_ld_so_conf(void **state)
{
	struct build b = { 0 };
	const char *r, *conf;

	(void)state;
	if (!have_cc)
		skip();
	r = add_pkg(&b, "app");
	put_built(r, "opt/app/lib/libfoo.so.1", "libfoo.so.1", 0755);
	put_built(r, "opt/app/bin/prog", "prog", 0755);
	scan_all(&b);
	finalize(&b);
	assert_list(&b.pkgs[0].provides, "");
	assert_list_plus(&b.pkgs[0].depends, "", &prog_deps);
	assert_list(&b.pkgs[0].vendored, "so-ver:libfoo.so.1=" VER " so:libfoo.so.1=1");
	build_free(&b);

	r = add_pkg(&b, "app");
	conf = add_pkg(&b, "app-ldconf");
	put_built(r, "opt/app/lib/libfoo.so.1", "libfoo.so.1", 0755);
	put_built(r, "opt/app/bin/prog", "prog", 0755);
	put(conf, "etc/ld.so.conf.d/app.conf",
	    "# the app's libraries\n/opt/app/lib/\ninclude /etc/other/*.conf\nrelative/dir\n"
	    "  /opt/../etc  \n",
	    0644);
	scan_all(&b);
	assert_list(&b.scans[1].ld_dirs, "opt/app/lib");
	finalize(&b);
	assert_list(&b.pkgs[0].provides, "so-ver:libfoo.so.1=" VER " so:libfoo.so.1=1");
	assert_list(&b.pkgs[0].vendored, "");
	assert_list_plus(&b.pkgs[0].depends, "", &prog_deps);
	build_free(&b);
}

/* ------------------------------------------------------------ synthetic ELF */

static const char *const musl_needed[] = { "libz.so.1", "libc.musl-x86_64.so.1", "libfoo.so",
	                                   "libcuda.so.1", NULL };

static void
depscan_elf_rules(void **state)
{
	struct build b = { 0 };
	const char *r;

	(void)state;
	r = add_pkg(&b, "elfy");
	/* musl program: ld-musl is named libc.musl; "libfoo.so" has no ".so."
	 * and the NVIDIA host library is skipped */
	put_elf(r, "usr/bin/a",
	        (struct bd_test_elf_spec){
	            .type = ET_DYN, .interp = "/lib/ld-musl-x86_64.so.1", .needed = musl_needed },
	        0755);
	/* the same from a 32-bit big-endian object */
	put_elf(r, "usr/libexec/b",
	        (struct bd_test_elf_spec){ .elf_class = 32,
	                                   .big_endian = true,
	                                   .interp = "/lib/ld.so.1",
	                                   .needed = (const char *const[]){ "libm.so.6", NULL } },
	        0755);
	/* library versions from the SONAME */
	put_elf(r, "usr/lib/libbar.so.2.1.0", (struct bd_test_elf_spec){ .soname = "libbar.so.2" },
	        0755);
	put_elf(r, "usr/lib/libweird.so.1a",
	        (struct bd_test_elf_spec){ .soname = "libweird.so.1a" }, 0644);
	put_elf(r, "lib64/libnover.so", (struct bd_test_elf_spec){ .soname = "libnover.so" }, 0644);
	put_elf(r, "usr/lib64/libdot.so", (struct bd_test_elf_spec){ .soname = "libdot.so." },
	        0644);
	put_elf(r, "lib/libdouble.so.3.so.4",
	        (struct bd_test_elf_spec){ .soname = "libdouble.so.3.so.4" }, 0644);
	/* never provided: the host's NVIDIA library; unusable names */
	put_elf(r, "usr/lib/libnvidia-ml.so.1",
	        (struct bd_test_elf_spec){ .soname = "libnvidia-ml.so.1" }, 0644);
	put_elf(r, "usr/lib/libeq.so.1", (struct bd_test_elf_spec){ .soname = "lib=eq.so.1" },
	        0644);
	/* a library with an interpreter still provides (libc.so.6 --about);
	 * a program with a SONAME (jlink) does not */
	put_elf(r, "usr/lib/libc.so.6",
	        (struct bd_test_elf_spec){ .soname = "libc.so.6", .interp = "/lib/ld.so.1" }, 0755);
	put_elf(r, "usr/bin/jprog",
	        (struct bd_test_elf_spec){ .soname = "libjprog.so.9", .interp = "/lib/ld.so.1" },
	        0755);
	/* a static binary: nothing */
	put_elf(r, "usr/bin/static",
	        (struct bd_test_elf_spec){ .type = ET_EXEC, .no_dynamic = true }, 0755);
	/* ELF magic and garbage: skipped with a warning */
	put(r, "usr/lib/libjunk.so.1", "\177ELF\002\001\001junk-junk-junk-junk-junk", 0644);
	scan_all(&b);
	assert_int_equal(b.scans[0].nelf, 12);
	assert_true(has_note(&b.scans[0].warnings, "usr/lib/libjunk.so.1: ELF not scanned"));
	finalize(&b);
	assert_list(&b.pkgs[0].depends,
	            "so:ld.so.1 so:libc.musl-x86_64.so.1 so:libm.so.6 so:libz.so.1");
	assert_list(&b.pkgs[0].provides,
	            "cmd:a=" VER " cmd:jprog=" VER " cmd:static=" VER " so-ver:libbar.so.2=" VER
	            " so-ver:libc.so.6=" VER " so-ver:libdot.so.=" VER
	            " so-ver:libdouble.so.3.so.4=" VER " so-ver:libnover.so=" VER
	            " so-ver:libweird.so.1a=" VER " so:libbar.so.2=2 so:libc.so.6=6"
	            " so:libdot.so.=0 so:libdouble.so.3.so.4=3 so:libnover.so=0"
	            " so:libweird.so.1a=0");
	assert_true(has_note(&b.pkgs[0].notes, "'so:lib=eq.so.1' is not usable"));
	build_free(&b);
}

/* A symlink in a library dir to an object elsewhere provides it; a symlink
 * loop and a dangling link are harmless. */
static void
depscan_symlinks_resolved_in_tree(void **state)
{
	struct build b = { 0 };
	const char *r;

	(void)state;
	r = add_pkg(&b, "linky");
	put_elf(r, "opt/foo/libfoo.so.1.2", (struct bd_test_elf_spec){ .soname = "libfoo.so.1" },
	        0755);
	link_in(r, "usr/lib/libfoo.so.1", "../../opt/foo/libfoo.so.1.2");
	/* through a symlinked directory and an absolute target */
	link_in(r, "opt/cur", "foo");
	put_elf(r, "opt/foo/libq.so.5.0", (struct bd_test_elf_spec){ .soname = "libq.so.5" }, 0755);
	link_in(r, "usr/lib64/libq.so.5", "/opt/cur/libq.so.5.0");
	link_in(r, "usr/lib/loop1.so", "loop2.so");
	link_in(r, "usr/lib/loop2.so", "loop1.so");
	link_in(r, "usr/lib/libdangling.so.1", "nowhere/libx.so.1");
	link_in(r, "usr/lib/up.so.1", "../../../../../../etc/passwd");
	scan_all(&b);
	finalize(&b);
	assert_list(&b.pkgs[0].provides, "so-ver:libfoo.so.1=" VER " so-ver:libq.so.5=" VER
	                                 " so:libfoo.so.1=1 so:libq.so.5=5");
	assert_list(&b.pkgs[0].vendored, "so-ver:libfoo.so.1=" VER " so-ver:libq.so.5=" VER
	                                 " so:libfoo.so.1=1 so:libq.so.5=5");
	assert_list(&b.pkgs[0].depends, "");
	build_free(&b);
}

/* ------------------------------------------------------------ commands */

static void
depscan_cmd_provides_0555_rule(void **state)
{
	struct build b = { 0 };
	const char *r;

	(void)state;
	r = add_pkg(&b, "cmds");
	put(r, "usr/bin/a", "x\n", 0755);
	put(r, "usr/bin/b", "x\n", 0700);  /* not world-executable */
	put(r, "usr/bin/bb", "x\n", 0554); /* not others-executable */
	put(r, "usr/sbin/c", "x\n", 0555);
	put(r, "bin/d", "x\n", 0775);
	put(r, "sbin/e", "", 0755);           /* empty files count */
	put(r, "usr/bin/sub/f", "x\n", 0755); /* not directly in a bin dir */
	put(r, "usr/libexec/g", "x\n", 0755);
	put(r, "usr/local/bin/h", "x\n", 0755);
	put(r, "usr/bin/[", "x\n", 0755);
	put(r, "usr/bin/bad=name", "x\n", 0755);
	link_in(r, "usr/bin/i", "a");
	mkdir_in(r, "usr/bin/dir");
	scan_all(&b);
	finalize(&b);
	assert_list(&b.pkgs[0].provides,
	            "cmd:[=" VER " cmd:a=" VER " cmd:c=" VER " cmd:d=" VER " cmd:e=" VER);
	assert_true(has_note(&b.scans[0].warnings, "usr/bin/bad=name"));
	build_free(&b);
}

static void
check_shebang(const char *line, const char *want, bool fails)
{
	char *cmd = NULL;
	struct bd_err err = { 0 };
	int r = bd_apk_shebang_cmd(line, strlen(line), &cmd, &err);

	if (fails) {
		assert_int_equal(r, -EINVAL);
		assert_null(cmd);
		return;
	}
	assert_int_equal(r, 0);
	if (!want) {
		if (cmd)
			fail_msg("'%s' gave %s, expected nothing", line, cmd);
		return;
	}
	assert_non_null(cmd);
	assert_string_equal(cmd, want);
	free(cmd);
}

static void
depscan_shebang_parser(void **state)
{
	char longline[400];

	(void)state;
	check_shebang("#!/usr/bin/perl -w\nprint 1;\n", "perl", false);
	check_shebang("#! /usr/bin/tclsh8.6\n", "tclsh8.6", false);
	check_shebang("#!/usr/bin/env bash\n", "bash", false);
	check_shebang("#!/usr/bin/env bash\r\n", "bash", false);
	check_shebang("#!/usr/bin/env -S node --max-old-space-size=100\n", "node", false);
	check_shebang("#!/usr/bin/env -Sdeno run\n", "deno", false);
	check_shebang("#!/usr/bin/env -S -i node\n", NULL, true);
	check_shebang("#!/usr/bin/env perl -w\n", NULL, true); /* "perl -w" is one argument */
	check_shebang("#!/usr/bin/env\n", NULL, true);
	check_shebang("#!/usr/bin/env -i\n", NULL, true);
	check_shebang("#!/bin/sh -e\n", NULL, false);
	check_shebang("#!/usr/bin/env python3\n", NULL, false);
	check_shebang("#!/usr/bin/python\n", NULL, false);
	check_shebang("#!/usr/bin/awk -f\n", NULL, false);
	check_shebang("#!/usr/bin/env luajit\n", NULL, false);
	check_shebang("#!/bin/env ruby\n", "env", false); /* only /usr/bin/env is special */
	check_shebang("#!\n", NULL, false);
	check_shebang("#!   \n", NULL, false);
	check_shebang("#", NULL, false);
	check_shebang("no shebang\n", NULL, false);
	check_shebang("#!/usr/bin/", "bin", false);
	check_shebang("#!lua", "lua", false);
	check_shebang("#!/", NULL, false);
	check_shebang("#!..", NULL, false);
	check_shebang("#!/usr/bin/env ./", NULL, false);
	{
		char *cmd = NULL;
		struct bd_err err = { 0 };
		/* a NUL ends the line, as for the kernel */
		assert_int_equal(bd_apk_shebang_cmd("#!/bin/bash\0x", 14, &cmd, &err), 0);
		assert_string_equal(cmd, "bash");
		free(cmd);
		assert_int_equal(bd_apk_shebang_cmd("#!\0/bin/bash", 13, &cmd, &err), 0);
		assert_null(cmd);
	}
	/* the kernel reads 256 bytes: a longer line is cut there */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "#!/", 3);
	longline[sizeof(longline) - 1] = '\0';
	{
		char *cmd = NULL;
		struct bd_err err = { 0 };
		assert_int_equal(bd_apk_shebang_cmd(longline, strlen(longline), &cmd, &err), 0);
		assert_non_null(cmd);
		assert_int_equal(strlen(cmd), 256 - 3);
		free(cmd);
	}
}

static void
depscan_shebang_dependencies(void **state)
{
	struct build b = { 0 };
	const char *r;

	(void)state;
	r = add_pkg(&b, "scripts");
	put(r, "usr/bin/p", "#!/usr/bin/perl -w\n", 0755);
	put(r, "usr/bin/q", "#!/usr/bin/env bash\n", 0755);
	put(r, "usr/bin/sub/n", "#!/usr/bin/env -S node --x\n", 0644); /* any depth, any mode */
	put(r, "usr/bin/s", "#!/bin/sh\n", 0755);
	put(r, "usr/bin/py", "#!/usr/bin/env python3\n", 0755);
	put(r, "usr/local/sbin/rb", "#!/usr/bin/ruby\n", 0755);
	put(r, "usr/local/bin/tcl", "#!/usr/bin/tclsh\n", 0755);
	put(r, "bin/notscanned", "#!/usr/bin/zsh\n", 0755);
	put(r, "usr/share/x/notscanned", "#!/usr/bin/fish\n", 0755);
	put(r, "usr/bin/broken", "#!/usr/bin/env\n", 0755);
	put(r, "usr/bin/broken2", "#!/usr/bin/env perl -w\n", 0755);
	/* satisfied by the package's own command */
	put(r, "usr/bin/mytool", "binary", 0755);
	put(r, "usr/bin/uses-mytool", "#!/usr/bin/mytool\n", 0755);
	link_in(r, "usr/bin/link", "p");
	scan_all(&b);
	assert_int_equal(b.scans[0].warnings.n, 2);
	assert_true(has_note(&b.scans[0].warnings, "usr/bin/broken: a shebang of only"));
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "cmd:bash cmd:node cmd:perl cmd:ruby cmd:tclsh");
	build_free(&b);
}

/* ------------------------------------------------------------ pkg-config */

static void
assert_pc_fails(const char *text, const char *err_has)
{
	struct bd_strv got = { 0 };
	struct bd_err err = { 0 };

	assert_int_equal(bd_apk_pc_requires(text, strlen(text), &got, &err), -EINVAL);
	if (!strstr(err.msg, err_has))
		fail_msg("'%s' does not contain '%s'", err.msg, err_has);
	bd_strv_free(&got);
}

static void
assert_pc(const char *text, const char *want)
{
	struct bd_strv got = { 0 }, w = { 0 };
	struct bd_err err = { 0 };

	if (bd_apk_pc_requires(text, strlen(text), &got, &err) < 0)
		fail_msg("%s", err.msg);
	if (bd_apk_deps_split(want, &w, &err) < 0)
		fail_msg("bad expectation");
	/* file order, not sorted */
	if (got.n != w.n) {
		print_list("got", &got);
		fail_msg("want %s", want);
	}
	for (size_t i = 0; i < w.n; i++)
		assert_string_equal(got.v[i], w.v[i]);
	bd_strv_free(&got);
	bd_strv_free(&w);
}

static void
depscan_pc_parser(void **state)
{
	struct bd_buf bomb = { 0 };

	(void)state;
	assert_pc("prefix=/usr\n"
	          "libdir=${prefix}/lib\n"
	          "deps=glib-2.0 >= 2.50\n"
	          "Name: foo\n"
	          "Version: 1.2\n"
	          "Requires: ${deps}, gobject-2.0,zlib>=1.2 \\\n"
	          "   libpng\n"
	          "Requires.private: bar < 2 , baz != 3 # a comment\n"
	          "Requires.internal: qux\n"
	          "requires: notakey\n"
	          "Libs: -L${libdir} -lfoo\n"
	          "Cflags: -I${includedir} # ${undefined}\n",
	          "glib-2.0 gobject-2.0 zlib libpng bar baz qux");
	assert_pc("Requires: gtk+-3.0>=3.0,atk   pango=1.4\r\n", "gtk+-3.0 atk pango");
	assert_pc("Requires:\nRequires.private: ,, ,\n", "");
	assert_pc("a=x\\#y\nRequires: ${a}\n", "x#y");
	assert_pc("Requires: ${undefined} real\n", "real");
	assert_pc("Requires: a ${unclosed\n", "a ${unclosed");
	assert_pc("# only comments\n\n   \n", "");
	assert_pc("Requires: first\nRequires: second\n", "first second");
	assert_pc("v = spaced\nRequires : ${v}\n", "spaced");
	assert_pc_fails("Requires: >= 1.0\n", "without a module name");
	assert_pc_fails("Requires: foo >=\n", "without a version");
	assert_pc_fails("Requires: foo >= , bar\n", "without a version");
	assert_pc_fails("Requires: foo => 1\n", "unknown version operator");
	assert_pc_fails("Requires: foo <> 1\n", "unknown version operator");
	{
		struct bd_strv got = { 0 };
		struct bd_err err = { 0 };
		assert_int_equal(bd_apk_pc_requires("Requires: a\0b\n", 14, &got, &err), -EINVAL);
		bd_strv_free(&got);
	}
	/* doubling variables: capped, never exponential */
	bd_buf_puts(&bomb, "a0=xxxxxxxxxxxxxxxx\n");
	for (int i = 1; i < 40; i++)
		bd_buf_printf(&bomb, "a%d=${a%d}${a%d}\n", i, i - 1, i - 1);
	bd_buf_puts(&bomb, "Requires: ${a39}\n");
	assert_pc_fails(bomb.data, "expands past");
	bd_buf_free(&bomb);
}

static void
depscan_pc_provides_depends_vendored(void **state)
{
	struct build b = { 0 };
	const char *dev, *other;

	(void)state;
	dev = add_pkg(&b, "foo-dev");
	other = add_pkg(&b, "bar-dev");
	put(dev, "usr/lib/pkgconfig/foo.pc",
	    "prefix=/usr\ndeps=glib-2.0 >= 2.50\nName: foo\nVersion: 9.9\n"
	    "Requires: ${deps}, zlib>=1.2 \\\n  bar\nRequires.private: vend < 2, foo2\n",
	    0644);
	put(dev, "usr/share/pkgconfig/foo2.pc", "Name: foo2\n", 0644);
	put(dev, "usr/share/pkgconfig/empty.pc", "", 0644);
	put(dev, "usr/local/lib/pkgconfig/loc.pc", "Name: loc\n", 0644);
	put(dev, "opt/x/lib/pkgconfig/vend.pc", "Name: vend\nRequires: hidden\n", 0644);
	put(dev, "usr/lib/pkgconfig/sub/deeper.pc", "Name: deeper\n", 0644);
	put(dev, "usr/lib/pkgconfig/broken.pc", "Requires: a >=\n", 0644);
	link_in(dev, "usr/lib/pkgconfig/alias.pc", "foo.pc");
	put(other, "usr/lib64/pkgconfig/bar.pc", "Name: bar\n", 0644);
	scan_all(&b);
	assert_true(has_note(&b.scans[0].warnings, "broken.pc: pkg-config file not scanned"));
	finalize(&b);
	/* vend.pc is vendored: its Requires are not read, and "pc:vend" is
	 * satisfied by it; bar.pc is in the sibling bar-dev */
	assert_list(&b.pkgs[0].provides,
	            "pc:empty=" VER " pc:foo2=" VER " pc:foo=" VER " pc:loc=" VER);
	assert_list(&b.pkgs[0].vendored, "pc:deeper=" VER " pc:vend=" VER);
	assert_list(&b.pkgs[0].depends, "bar-dev=" VER " pc:glib-2.0 pc:zlib");
	assert_list(&b.pkgs[1].provides, "pc:bar=" VER);
	build_free(&b);
}

/* ------------------------------------------------------------ options, merge */

static void
make_optree(struct build *b)
{
	const char *r = add_pkg(b, "opt");

	put_elf(r, "usr/lib/libo.so.3", (struct bd_test_elf_spec){ .soname = "libo.so.3" }, 0755);
	put_elf(r, "usr/bin/o",
	        (struct bd_test_elf_spec){
	            .interp = "/lib/ld-linux-x86-64.so.2",
	            .needed = (const char *const[]){ "libo.so.3", "libc.so.6", NULL } },
	        0755);
	put(r, "usr/bin/script", "#!/usr/bin/perl\n", 0755);
	put(r, "usr/lib/pkgconfig/o.pc", "Requires: zlib\n", 0644);
}

static void
depscan_options(void **state)
{
	struct build b = { 0 };

	(void)state;
	make_optree(&b);
	scan_all(&b);
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "cmd:perl pc:zlib so:ld-linux-x86-64.so.2 so:libc.so.6");
	assert_list(&b.pkgs[0].provides, "cmd:o=" VER " cmd:script=" VER " pc:o=" VER
	                                 " so-ver:libo.so.3=" VER " so:libo.so.3=3");

	/* no-provides: generated provides gone, configured kept; what the
	 * package holds still satisfies its own dependencies */
	b.pkgs[0].no_provides = true;
	bd_strv_push(&b.cprov[0], "opt-compat=1");
	finalize(&b);
	assert_list(&b.pkgs[0].provides, "opt-compat=1");
	assert_list(&b.pkgs[0].depends, "cmd:perl pc:zlib so:ld-linux-x86-64.so.2 so:libc.so.6");

	/* no-depends: generated depends gone, configured kept */
	b.pkgs[0].no_provides = false;
	b.pkgs[0].no_depends = true;
	bd_strv_push(&b.cdeps[0], "tzdata");
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "tzdata");
	assert_list(&b.pkgs[0].provides, "cmd:o=" VER " cmd:script=" VER " opt-compat=1 pc:o=" VER
	                                 " so-ver:libo.so.3=" VER " so:libo.so.3=3");

	/* no-commands: cmd: gone from both lists */
	b.pkgs[0].no_depends = false;
	b.pkgs[0].no_commands = true;
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "pc:zlib so:ld-linux-x86-64.so.2 so:libc.so.6 tzdata");
	assert_list(&b.pkgs[0].provides,
	            "opt-compat=1 pc:o=" VER " so-ver:libo.so.3=" VER " so:libo.so.3=3");
	build_free(&b);
}

static void
depscan_merge_with_configured(void **state)
{
	struct build b = { 0 };
	struct bd_err err = { 0 };

	(void)state;
	make_optree(&b);
	scan_all(&b);
	/* duplicates collapse; self-provided configured deps go, but only
	 * when the provided version meets the constraint; conflicts stay */
	bd_strv_push(&b.cdeps[0], "zlib");
	bd_strv_push(&b.cdeps[0], "so:libc.so.6");
	bd_strv_push(&b.cdeps[0], "cmd:o");
	bd_strv_push(&b.cdeps[0], "opt-compat>=0.5");
	bd_strv_push(&b.cdeps[0], "opt-compat>=2");
	bd_strv_push(&b.cdeps[0], "!opt-compat");
	bd_strv_push(&b.cdeps[0], "zlib");
	bd_strv_push(&b.cprov[0], "opt-compat=1.0");
	bd_strv_push(&b.cprov[0], "cmd:o=" VER);
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "!opt-compat cmd:perl opt-compat>=2 pc:zlib "
	                                "so:ld-linux-x86-64.so.2 so:libc.so.6 zlib");
	assert_list(&b.pkgs[0].provides, "cmd:o=" VER " cmd:script=" VER " opt-compat=1.0 pc:o=" VER
	                                 " so-ver:libo.so.3=" VER " so:libo.so.3=3");

	/* invalid configured items are errors naming the package */
	bd_strv_push(&b.cdeps[0], "bad dep");
	assert_int_equal(bd_apk_deps_finalize(b.pkgs, b.n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "package opt: depends"));
	bd_strv_free(&b.cdeps[0]);
	bd_strv_push(&b.cdeps[0], "x>=");
	assert_int_equal(bd_apk_deps_finalize(b.pkgs, b.n, &err), -EINVAL);
	bd_strv_free(&b.cdeps[0]);
	bd_strv_push(&b.cprov[0], "!nope");
	assert_int_equal(bd_apk_deps_finalize(b.pkgs, b.n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a conflict is not a provide"));
	build_free(&b);

	/* no scan at all: the configured lists are merged and checked */
	struct bd_strv d = { 0 }, p = { 0 };
	bd_strv_push(&d, "b");
	bd_strv_push(&d, "a");
	bd_strv_push(&d, "b");
	bd_strv_push(&p, "x=1");
	struct bd_apk_depscan_pkg one = {
		.name = "plain", .version = VER, .configured_depends = &d, .configured_provides = &p
	};
	assert_int_equal(bd_apk_deps_finalize(&one, 1, &err), 0);
	assert_list(&one.depends, "a b");
	assert_list(&one.provides, "x=1");
	{
		struct bd_apk_depscan_pkg two[2] = { 0 };
		for (int k = 0; k < 2; k++) {
			two[k].name = "same";
			two[k].version = VER;
		}
		assert_int_equal(bd_apk_deps_finalize(two, 2, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "appears twice"));
		bd_apk_depscan_pkg_free(&two[0]);
		bd_apk_depscan_pkg_free(&two[1]);
	}
	bd_apk_depscan_pkg_free(&one);
	bd_strv_free(&d);
	bd_strv_free(&p);
}

/* ------------------------------------------------------------ extras */

static void
depscan_language_and_doc_extras(void **state)
{
	struct build b = { 0 };
	const char *py, *rb, *pl, *doc, *plain;

	(void)state;
	py = add_pkg(&b, "py-mod");
	rb = add_pkg(&b, "rb-gem");
	pl = add_pkg(&b, "pl-mod");
	doc = add_pkg(&b, "foo-doc");
	put(py, "usr/lib/python3.12/site-packages/mod/__init__.py", "", 0644);
	put(rb, "usr/lib/ruby/gems/3.3.0/gems/x-1.0/lib/x.rb", "", 0644);
	put(pl, "usr/lib/perl5/vendor_perl/X.pm", "1;\n", 0644);
	put(doc, "usr/share/man/man1/foo.1", ".TH foo\n", 0644);
	put(doc, "usr/share/info/foo.info", "info\n", 0644);
	scan_all(&b);
	assert_string_equal(b.scans[0].python_ver, "3.12");
	assert_string_equal(b.scans[1].ruby_ver, "3.3");
	assert_string_equal(b.scans[2].perl_ver, "5");
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "python-3.12-base");
	assert_list(&b.pkgs[1].depends, "ruby-3.3");
	assert_list(&b.pkgs[2].depends, "perl~5");
	assert_list(&b.pkgs[3].depends, "man-db texinfo");

	/* already named in the recipe: not generated */
	bd_strv_push(&b.cdeps[0], "python3");
	bd_strv_push(&b.cdeps[1], "ruby");
	bd_strv_push(&b.cdeps[2], "perl>=5.36");
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "python3");
	assert_list(&b.pkgs[1].depends, "ruby");
	assert_list(&b.pkgs[2].depends, "perl>=5.36");
	build_free(&b);

	/* man pages outside a -doc package need nothing */
	plain = add_pkg(&b, "foo");
	put(plain, "usr/share/man/man1/foo.1", ".TH foo\n", 0644);
	scan_all(&b);
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "");
	build_free(&b);
}

/* ------------------------------------------------------------ hostile */

static void
depscan_hostile_tree(void **state)
{
	struct build b = { 0 };
	struct bd_apk_depscan s;
	struct bd_apk_depscan_opts o = { 0 };
	struct bd_err err = { 0 };
	const char *r;
	char path[4096];
	int fd;

	(void)state;
	r = add_pkg(&b, "hostile");
	/* a FIFO where a script would be: never opened, so never blocks */
	mkdir_in(r, "usr/bin");
	snprintf(path, sizeof(path), "%s/usr/bin/fifo", r);
	assert_int_equal(mkfifo(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/usr/lib/pkgconfig", r);
	mkdir_in(r, "usr/lib/pkgconfig");
	snprintf(path, sizeof(path), "%s/usr/lib/pkgconfig/fifo.pc", r);
	assert_int_equal(mkfifo(path, 0644), 0);
	/* a .pc file over the size limit */
	{
		struct bd_buf big = { 0 };
		for (int i = 0; i < (1 << 20) / 16 + 1; i++)
			bd_buf_puts(&big, "# padding.......\n");
		put(r, "usr/lib/pkgconfig/huge.pc", big.data, 0644);
		bd_buf_free(&big);
	}
	/* symlink loops and escapes */
	link_in(r, "usr/lib/a.so", "b.so");
	link_in(r, "usr/lib/b.so", "a.so");
	link_in(r, "usr/lib/self.so.1", "self.so.1");
	link_in(r, "usr/lib/abs.so.1", "/usr/lib/abs.so.1");
	scan_all(&b);
	assert_true(has_note(&b.scans[0].warnings, "huge.pc: pkg-config file not scanned"));
	finalize(&b);
	assert_list(&b.pkgs[0].depends, "");
	assert_list(&b.pkgs[0].provides, "");

	/* limits on the tree itself fail the scan */
	fd = open(r, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	o.max_entries = 3;
	assert_int_equal(bd_apk_depscan_tree(fd, VER, &o, &s, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "more than 3 entries"));
	bd_apk_depscan_free(&s);
	o.max_entries = 0;
	o.max_depth = 2;
	assert_int_equal(bd_apk_depscan_tree(fd, VER, &o, &s, &err), -ELOOP);
	bd_apk_depscan_free(&s);
	assert_int_equal(bd_apk_depscan_tree(fd, "not a version", NULL, &s, &err), -EINVAL);
	bd_apk_depscan_free(&s);
	close(fd);
	build_free(&b);
}

/* Bounded outputs: warnings, ld.so.conf.d directories, symlink hops. */
static void
depscan_limits(void **state)
{
	struct build b = { 0 };
	struct bd_buf conf = { 0 };
	const char *r;
	char rel[64], target[64];

	(void)state;
	r = add_pkg(&b, "limits");
	for (int i = 0; i < 1100; i++) {
		snprintf(rel, sizeof(rel), "usr/lib/junk%04d.so.1", i);
		put(r, rel, "\177ELF\002\001\001 not really", 0644);
	}
	for (int i = 0; i < 300; i++)
		bd_buf_printf(&conf, "/opt/d%d\n", i);
	put(r, "etc/ld.so.conf.d/many.conf", conf.data, 0644);
	bd_buf_free(&conf);
	/* usr/lib/libchainN.so.1 -> c1 -> ... -> cN -> the library */
	put_elf(r, "opt/real/libchain.so.1", (struct bd_test_elf_spec){ .soname = "libchain.so.1" },
	        0755);
	for (int i = 1; i <= 41; i++) {
		snprintf(rel, sizeof(rel), "opt/c/c%d", i);
		if (i == 41)
			snprintf(target, sizeof(target), "../real/libchain.so.1");
		else
			snprintf(target, sizeof(target), "c%d", i + 1);
		link_in(r, rel, target);
	}
	link_in(r, "usr/lib/libchain41.so.1", "../../opt/c/c1");   /* 42 links: too many */
	link_in(r, "usr/lib64/libchain40.so.1", "../../opt/c/c2"); /* 41 links: also */
	link_in(r, "lib/libchain39.so.1", "../opt/c/c3");          /* 40: the limit */
	scan_all(&b);
	assert_int_equal(b.scans[0].warnings.n, 1001);
	assert_string_equal(b.scans[0].warnings.v[1000], "(more warnings were dropped)");
	assert_int_equal(b.scans[0].ld_dirs.n, 256);
	finalize(&b);
	assert_list(&b.pkgs[0].provides, "so-ver:libchain.so.1=" VER " so:libchain.so.1=1");
	{
		bool c39 = false, c40 = false, c41 = false, opt_c1 = false;
		for (size_t i = 0; i < b.scans[0].nlibs; i++) {
			const char *p = b.scans[0].libs[i].path;
			c39 |= strcmp(p, "lib/libchain39.so.1") == 0;
			c40 |= strcmp(p, "usr/lib64/libchain40.so.1") == 0;
			c41 |= strcmp(p, "usr/lib/libchain41.so.1") == 0;
			opt_c1 |= strcmp(p, "opt/c/c1") == 0;
		}
		assert_true(c39);
		assert_false(c40);
		assert_false(c41);
		assert_false(opt_c1);
	}
	build_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(depscan_compiled_same_package),
		cmocka_unit_test(depscan_compiled_sibling_subpackages),
		cmocka_unit_test(depscan_compiled_vendored_and_ld_so_conf),
		cmocka_unit_test(depscan_elf_rules),
		cmocka_unit_test(depscan_symlinks_resolved_in_tree),
		cmocka_unit_test(depscan_cmd_provides_0555_rule),
		cmocka_unit_test(depscan_shebang_parser),
		cmocka_unit_test(depscan_shebang_dependencies),
		cmocka_unit_test(depscan_pc_parser),
		cmocka_unit_test(depscan_pc_provides_depends_vendored),
		cmocka_unit_test(depscan_options),
		cmocka_unit_test(depscan_merge_with_configured),
		cmocka_unit_test(depscan_language_and_doc_extras),
		cmocka_unit_test(depscan_hostile_tree),
		cmocka_unit_test(depscan_limits),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
