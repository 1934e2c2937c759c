/* SPDX-License-Identifier: MIT */
/* Unit tests for apk/elf: real binaries compiled here from tests/data/depscan
 * with the host compiler (shared library with a SONAME, a program linked
 * against it with RUNPATH and RPATH, a static binary, a PIE), synthetic
 * images of both classes and both byte orders, and hostile images that must
 * fail with ENOEXEC and a message (every prefix of a real library, offsets
 * past EOF, overflowing sizes, huge counts, class and byte-order mix-ups,
 * string tables out of range).  Every parse runs twice, on a buffer and on
 * a file descriptor, and both must agree. */
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
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "apk/elf.h"
#include "common/util.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/shared.h"

/* ------------------------------------------------------------ fixture */

static char *tmpdir;
static bool have_cc, have_static;

static int
build(const char *const *argv)
{
	int r = bd_test_run(argv);

	if (r != 0)
		printf("# %s failed (%d)\n", argv[0], r);
	return r;
}

static int
group_setup(void **state)
{
	char src[4096], out[4096], lib[4096], ldir[4096];
	const char *cc = bd_test_cc();

	(void)state;
	tmpdir = bd_test_mkdtemp();
	if (!cc)
		return 0;
	snprintf(ldir, sizeof(ldir), "-L%s", tmpdir);
	/* libfoo.so.1 plus the libfoo.so link name the linker looks for */
	bd_test_data_path(src, sizeof(src), "depscan/libfoo.c");
	snprintf(lib, sizeof(lib), "%s/libfoo.so.1", tmpdir);
	if (build((const char *[]){ cc, "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", lib,
	                            src, NULL }) != 0)
		return 0;
	snprintf(out, sizeof(out), "%s/libfoo.so", tmpdir);
	if (symlink("libfoo.so.1", out) < 0)
		return -1;
	bd_test_data_path(src, sizeof(src), "depscan/prog.c");
	snprintf(out, sizeof(out), "%s/prog-runpath", tmpdir);
	if (build((const char *[]){ cc, "-o", out, src, ldir, "-lfoo", "-Wl,--enable-new-dtags",
	                            "-Wl,-rpath,/opt/foo/lib", NULL }) != 0)
		return 0;
	snprintf(out, sizeof(out), "%s/prog-rpath", tmpdir);
	if (build((const char *[]){ cc, "-o", out, src, ldir, "-lfoo", "-Wl,--disable-new-dtags",
	                            "-Wl,-rpath,/opt/foo/lib", NULL }) != 0)
		return 0;
	bd_test_data_path(src, sizeof(src), "depscan/hello.c");
	snprintf(out, sizeof(out), "%s/hello-pie", tmpdir);
	if (build((const char *[]){ cc, "-fPIE", "-pie", "-o", out, src, NULL }) != 0)
		return 0;
	have_cc = true;
	snprintf(out, sizeof(out), "%s/hello-static", tmpdir);
	have_static = build((const char *[]){ cc, "-static", "-o", out, src, NULL }) == 0;
	if (!have_static)
		printf("# no static C library: the static-binary test will skip\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	bd_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static void
need_cc(void)
{
	if (!have_cc)
		skip();
}

static void
read_built(const char *name, struct bd_buf *b)
{
	char path[4096];
	struct bd_err err = { 0 };

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (bd_read_file_at(AT_FDCWD, path, 64u << 20, b, &err) < 0)
		fail_msg("%s", err.msg);
}

/* ------------------------------------------------------------ helpers */

static void
assert_same(const struct bd_apk_elf *a, const struct bd_apk_elf *b)
{
	assert_int_equal(a->elf_class, b->elf_class);
	assert_int_equal(a->big_endian, b->big_endian);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->machine, b->machine);
	assert_int_equal(a->dynamic, b->dynamic);
	assert_int_equal(a->via_sections, b->via_sections);
	assert_int_equal(!!a->interp, !!b->interp);
	if (a->interp)
		assert_string_equal(a->interp, b->interp);
	assert_int_equal(!!a->soname, !!b->soname);
	if (a->soname)
		assert_string_equal(a->soname, b->soname);
	assert_int_equal(!!a->rpath, !!b->rpath);
	if (a->rpath)
		assert_string_equal(a->rpath, b->rpath);
	assert_int_equal(!!a->runpath, !!b->runpath);
	if (a->runpath)
		assert_string_equal(a->runpath, b->runpath);
	assert_int_equal(a->needed.n, b->needed.n);
	for (size_t i = 0; i < a->needed.n; i++)
		assert_string_equal(a->needed.v[i], b->needed.v[i]);
}

/* Parse @buf as a buffer and through a memfd; both must agree.  Returns the
 * result; @e is filled on success (caller frees). */
static int
parse_both(const void *buf, size_t len, struct bd_apk_elf *e, struct bd_err *err)
{
	struct bd_apk_elf e2;
	struct bd_err err2 = { 0 };
	int fd = memfd_create("elf", MFD_CLOEXEC);
	int r1, r2;

	assert_true(fd >= 0);
	assert_int_equal(bd_write_all(fd, buf, len), 0);
	r1 = bd_apk_elf_parse_buf(buf, len, e, err);
	r2 = bd_apk_elf_parse_fd(fd, &e2, &err2);
	close(fd);
	assert_int_equal(r1, r2);
	if (r1 == 0) {
		assert_same(e, &e2);
		bd_apk_elf_free(&e2);
	} else {
		assert_string_equal(err->msg, err2.msg);
	}
	return r1;
}

/* Expect ENOEXEC with @want in the message. */
static void
expect_fail(const void *buf, size_t len, const char *want)
{
	struct bd_apk_elf e;
	struct bd_err err = { 0 };
	int r = parse_both(buf, len, &e, &err);

	if (r == 0) {
		bd_apk_elf_free(&e);
		fail_msg("parse succeeded, expected an error containing '%s'", want);
	}
	assert_int_equal(r, -ENOEXEC);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
}

static void
parse_ok(const void *buf, size_t len, struct bd_apk_elf *e)
{
	struct bd_err err = { 0 };

	if (parse_both(buf, len, e, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
}

/* little-endian field of @n bytes (the host compiler's output) */
static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static const char *
basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ------------------------------------------------------------ compiled */

static void
elf_compiled_shared_library(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf e;

	(void)state;
	need_cc();
	read_built("libfoo.so.1", &b);
	parse_ok(b.data, b.len, &e);
	assert_int_equal(e.elf_class, sizeof(void *) * 8);
	assert_int_equal(e.type, ET_DYN);
	assert_true(e.dynamic);
	assert_false(e.via_sections);
	assert_null(e.interp);
	assert_non_null(e.soname);
	assert_string_equal(e.soname, "libfoo.so.1");
	/* libfoo calls nothing: it may have no DT_NEEDED at all */
	assert_null(e.rpath);
	assert_null(e.runpath);
	bd_apk_elf_free(&e);
	bd_buf_free(&b);
}

static void
elf_compiled_program_runpath_and_rpath(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf e;

	(void)state;
	need_cc();
	read_built("prog-runpath", &b);
	parse_ok(b.data, b.len, &e);
	assert_non_null(e.interp);
	assert_true(e.interp[0] == '/');
	assert_true(bd_str_has_prefix(basename_of(e.interp), "ld"));
	assert_null(e.soname);
	assert_true(e.needed.n >= 2);
	assert_string_equal(e.needed.v[0], "libfoo.so.1");
	assert_non_null(e.runpath);
	assert_string_equal(e.runpath, "/opt/foo/lib");
	assert_null(e.rpath);
	bd_apk_elf_free(&e);
	bd_buf_reset(&b);

	read_built("prog-rpath", &b);
	parse_ok(b.data, b.len, &e);
	assert_non_null(e.rpath);
	assert_string_equal(e.rpath, "/opt/foo/lib");
	assert_null(e.runpath);
	assert_true(bd_strv_contains(&e.needed, "libfoo.so.1"));
	bd_apk_elf_free(&e);
	bd_buf_free(&b);
}

static void
elf_compiled_static_binary(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf e;

	(void)state;
	need_cc();
	if (!have_static)
		skip();
	read_built("hello-static", &b);
	parse_ok(b.data, b.len, &e);
	assert_null(e.interp);
	assert_null(e.soname);
	assert_int_equal(e.needed.n, 0);
	assert_true(e.type == ET_EXEC || e.type == ET_DYN); /* static-pie toolchains */
	bd_apk_elf_free(&e);
	bd_buf_free(&b);
}

static void
elf_compiled_pie(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf e;

	(void)state;
	need_cc();
	read_built("hello-pie", &b);
	parse_ok(b.data, b.len, &e);
	assert_int_equal(e.type, ET_DYN);
	assert_non_null(e.interp);
	assert_true(e.dynamic);
	assert_null(e.soname);
	assert_true(e.needed.n >= 1);
	bd_apk_elf_free(&e);
	bd_buf_free(&b);
}

/* Section headers stripped (sstrip): the program headers still find it. */
static void
elf_compiled_without_section_headers(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf full, e;
	uint8_t *h;

	(void)state;
	need_cc();
	read_built("prog-runpath", &b);
	parse_ok(b.data, b.len, &full);
	h = (uint8_t *)b.data;
	if (h[EI_CLASS] == ELFCLASS64) {
		memset(h + 40, 0, 8); /* e_shoff */
		memset(h + 60, 0, 4); /* e_shnum, e_shstrndx */
	} else {
		memset(h + 32, 0, 4);
		memset(h + 48, 0, 4);
	}
	parse_ok(b.data, b.len, &e);
	assert_same(&full, &e);
	bd_apk_elf_free(&e);
	bd_apk_elf_free(&full);
	bd_buf_free(&b);
}

/* No PT_DYNAMIC (its type overwritten): the SHT_DYNAMIC section is read. */
static void
elf_compiled_section_fallback(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf full, e;
	uint8_t *h;
	bool is64, be;
	uint64_t phoff;
	unsigned phnum, phsz;
	bool patched = false;

	(void)state;
	need_cc();
	read_built("libfoo.so.1", &b);
	parse_ok(b.data, b.len, &full);
	h = (uint8_t *)b.data;
	is64 = h[EI_CLASS] == ELFCLASS64;
	be = h[EI_DATA] == ELFDATA2MSB;
	assert_false(be); /* the host compiler: x86 or arm64, little-endian */
	phoff = is64 ? le(h + 32, 8) : le(h + 28, 4);
	phnum = (unsigned)le(h + (is64 ? 56 : 44), 2);
	phsz = is64 ? 56 : 32;
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t *p = h + phoff + (uint64_t)i * phsz;
		if (le(p, 4) == PT_DYNAMIC) {
			bd_test_put32(p, PT_NULL, false);
			patched = true;
		}
	}
	assert_true(patched);
	parse_ok(b.data, b.len, &e);
	assert_true(e.via_sections);
	assert_string_equal(e.soname, full.soname);
	assert_int_equal(e.needed.n, full.needed.n);
	for (size_t i = 0; i < e.needed.n; i++)
		assert_string_equal(e.needed.v[i], full.needed.v[i]);
	bd_apk_elf_free(&e);
	bd_apk_elf_free(&full);
	bd_buf_free(&b);
}

/* Every proper prefix of a real library fails cleanly: its section header
 * table sits at the end, so any truncation cuts something it names. */
static void
elf_every_truncation_fails_cleanly(void **state)
{
	struct bd_buf b = { 0 };
	struct bd_apk_elf e;
	struct bd_err err = { 0 };
	size_t step;

	(void)state;
	need_cc();
	read_built("libfoo.so.1", &b);
	for (size_t n = 0; n < b.len; n += step) {
		step = n < 4096 ? 1 : 7;
		if (bd_apk_elf_parse_buf(b.data, n, &e, &err) == 0) {
			bd_apk_elf_free(&e);
			fail_msg("a %zu-byte prefix of a %zu-byte library parsed", n, b.len);
		}
		assert_int_equal(err.code, ENOEXEC);
	}
	/* and the fd path on a sample of them */
	for (size_t n = 0; n < b.len; n += 997)
		expect_fail(b.data, n, "ELF: ");
	bd_buf_free(&b);
}

/* ------------------------------------------------------------ synthetic */

static const char *const needed3[] = { "libz.so.1", "libc.musl-x86_64.so.1", "libm.so.6", NULL };

static void
make(unsigned cls, bool be, struct bd_test_elf_spec *s, struct bd_buf *b,
     struct bd_test_elf_layout *lay)
{
	s->elf_class = cls;
	s->big_endian = be;
	bd_buf_reset(b);
	bd_test_elf_build(s, b, lay);
}

static const struct {
	unsigned cls;
	bool be;
} combos[] = { { 32, false }, { 32, true }, { 64, false }, { 64, true } };

static void
elf_synthetic_all_classes_and_byte_orders(void **state)
{
	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		struct bd_test_elf_spec s = { .interp = "/lib/ld-musl-x86_64.so.1",
			                      .soname = "libbar.so.2.1",
			                      .needed = needed3,
			                      .rpath = "/opt/r",
			                      .runpath = "$ORIGIN/../lib" };
		struct bd_buf b = { 0 };
		struct bd_test_elf_layout lay;
		struct bd_apk_elf e;

		make(combos[k].cls, combos[k].be, &s, &b, &lay);
		parse_ok(b.data, b.len, &e);
		assert_int_equal(e.elf_class, combos[k].cls);
		assert_int_equal(e.big_endian, combos[k].be);
		assert_int_equal(e.type, ET_DYN);
		assert_int_equal(e.machine, combos[k].cls == 64
		                                ? (combos[k].be ? EM_S390 : EM_X86_64)
		                                : (combos[k].be ? EM_PPC : EM_386));
		assert_string_equal(e.interp, "/lib/ld-musl-x86_64.so.1");
		assert_string_equal(e.soname, "libbar.so.2.1");
		assert_int_equal(e.needed.n, 3);
		for (size_t i = 0; i < 3; i++)
			assert_string_equal(e.needed.v[i], needed3[i]);
		assert_string_equal(e.rpath, "/opt/r");
		assert_string_equal(e.runpath, "$ORIGIN/../lib");
		assert_false(e.via_sections);
		bd_apk_elf_free(&e);

		/* no section headers at all */
		s.no_sections = true;
		make(combos[k].cls, combos[k].be, &s, &b, &lay);
		parse_ok(b.data, b.len, &e);
		assert_string_equal(e.soname, "libbar.so.2.1");
		assert_int_equal(e.needed.n, 3);
		bd_apk_elf_free(&e);

		/* only the section */
		s.no_sections = false;
		s.no_pt_dynamic = true;
		make(combos[k].cls, combos[k].be, &s, &b, &lay);
		parse_ok(b.data, b.len, &e);
		assert_true(e.via_sections);
		assert_string_equal(e.needed.v[2], "libm.so.6");
		assert_string_equal(e.interp, "/lib/ld-musl-x86_64.so.1");
		bd_apk_elf_free(&e);

		/* static: nothing dynamic, no interpreter */
		struct bd_test_elf_spec st = { .type = ET_EXEC, .no_dynamic = true };
		make(combos[k].cls, combos[k].be, &st, &b, &lay);
		parse_ok(b.data, b.len, &e);
		assert_false(e.dynamic);
		assert_null(e.interp);
		assert_null(e.soname);
		assert_int_equal(e.needed.n, 0);
		assert_int_equal(e.type, ET_EXEC);
		bd_apk_elf_free(&e);
		bd_buf_free(&b);
	}
}

/* A PT_DYNAMIC whose DT_STRTAB no PT_LOAD maps: the section's link finds
 * the string table; without sections it is an error. */
static void
elf_strtab_unmapped_uses_sections(void **state)
{
	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		unsigned cls = combos[k].cls;
		bool be = combos[k].be;
		struct bd_test_elf_spec s = { .soname = "libq.so.3", .needed = needed3 };
		struct bd_buf b = { 0 };
		struct bd_test_elf_layout lay;
		struct bd_apk_elf e;
		size_t strtab_entry = 4; /* 3 NEEDED, SONAME, then STRTAB */

		make(cls, be, &s, &b, &lay);
		bd_test_putw((uint8_t *)b.data + bd_test_dyn_val_off(&lay, strtab_entry, cls),
		             0x7eadbeef, cls, be);
		parse_ok(b.data, b.len, &e);
		assert_string_equal(e.soname, "libq.so.3");
		bd_apk_elf_free(&e);

		s.no_sections = true;
		make(cls, be, &s, &b, &lay);
		bd_test_putw((uint8_t *)b.data + bd_test_dyn_val_off(&lay, strtab_entry, cls),
		             0x7eadbeef, cls, be);
		expect_fail(b.data, b.len, "is in no PT_LOAD segment");
		bd_buf_free(&b);
	}
}

static void
elf_hostile_headers(void **state)
{
	(void)state;
	expect_fail("", 0, "too short");
	expect_fail("\177ELF", 4, "too short");
	expect_fail("\177ELF\002\001\001\0\0\0\0\0\0\0\0\0", 16, "past the end");
	expect_fail("#!/bin/sh\necho hello world\n", 27, "bad magic");

	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		unsigned cls = combos[k].cls;
		bool be = combos[k].be, is64 = cls == 64;
		struct bd_test_elf_spec s = { .interp = "/lib/ld.so.1",
			                      .soname = "libx.so.1",
			                      .needed = needed3 };
		struct bd_buf b = { 0 };
		struct bd_test_elf_layout lay;
		uint8_t *h;
		size_t phoff_at = is64 ? 32 : 28, phnum_at = is64 ? 56 : 44;
		size_t phent_at = is64 ? 54 : 42, shnum_at = is64 ? 60 : 48;

#define FRESH() (make(cls, be, &s, &b, &lay), h = (uint8_t *)b.data)
		FRESH();
		h[EI_CLASS] = 3;
		expect_fail(b.data, b.len, "unknown class 3");
		FRESH();
		h[EI_DATA] = 0;
		expect_fail(b.data, b.len, "unknown data encoding");
		FRESH();
		h[EI_VERSION] = 0;
		expect_fail(b.data, b.len, "identification version");
		FRESH();
		bd_test_put32(h + 20, 2, be);
		expect_fail(b.data, b.len, "unknown version 2");

		/* the other class's layout, or the other byte order */
		FRESH();
		h[EI_CLASS] = is64 ? ELFCLASS32 : ELFCLASS64;
		expect_fail(b.data, b.len, "does not match ELFCLASS");
		FRESH();
		h[EI_DATA] = be ? ELFDATA2LSB : ELFDATA2MSB;
		expect_fail(b.data, b.len, "ELF: ");

		/* program header table */
		FRESH();
		bd_test_putw(h + phoff_at, b.len + 1, cls, be);
		expect_fail(b.data, b.len, "program header table");
		FRESH();
		bd_test_putw(h + phoff_at, b.len - 8, cls, be);
		expect_fail(b.data, b.len, "program header table");
		FRESH();
		bd_test_putw(h + phoff_at, is64 ? UINT64_MAX - 16 : UINT32_MAX - 16, cls, be);
		expect_fail(b.data, b.len, "program header table");
		FRESH();
		bd_test_put16(h + phent_at, is64 ? 32 : 56, be);
		expect_fail(b.data, b.len, "program header size");
		FRESH();
		bd_test_put16(h + phnum_at, 0xfff0, be);
		expect_fail(b.data, b.len, "program header table");

		/* extended numbering: counts from section 0 */
		FRESH();
		bd_test_put16(h + phnum_at, PN_XNUM, be);
		bd_test_put32(h + lay.shoff + (is64 ? 44 : 28), 0x7fffffff, be);
		expect_fail(b.data, b.len, "program headers (limit");
		FRESH();
		bd_test_put16(h + phnum_at, PN_XNUM, be);
		bd_test_put32(h + lay.shoff + (is64 ? 44 : 28), 3, be);
		{
			struct bd_apk_elf e;
			parse_ok(b.data, b.len, &e); /* PN_XNUM with the real count: fine */
			assert_string_equal(e.soname, "libx.so.1");
			bd_apk_elf_free(&e);
		}
		FRESH();
		bd_test_put16(h + shnum_at, 0, be);
		bd_test_putw(h + lay.shoff + (is64 ? 32 : 20), is64 ? UINT64_MAX / 2 : UINT32_MAX,
		             cls, be);
		expect_fail(b.data, b.len, "section header table");
		FRESH();
		bd_test_put16(h + phnum_at, PN_XNUM, be);
		bd_test_putw(h + (is64 ? 40 : 32), 0, cls, be); /* e_shoff */
		expect_fail(b.data, b.len, "extended program header count");
		FRESH();
		bd_test_put16(h + shnum_at - 2, is64 ? 40 : 64, be); /* e_shentsize */
		expect_fail(b.data, b.len, "section header size");
		bd_buf_free(&b);
#undef FRESH
	}
}

/* offset of field @what (0 type, 1 offset, 2 filesz) of phdr @i */
static size_t
ph_field(const struct bd_test_elf_layout *lay, unsigned cls, size_t i, int what)
{
	size_t base = lay->phoff + i * lay->phentsize;
	static const size_t f64[] = { 0, 8, 32 }, f32[] = { 0, 4, 16 };

	return base + (cls == 64 ? f64[what] : f32[what]);
}

static void
elf_hostile_segments_and_strings(void **state)
{
	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		unsigned cls = combos[k].cls;
		bool be = combos[k].be;
		struct bd_test_elf_spec s = { .interp = "/lib/ld.so.1",
			                      .soname = "libx.so.1",
			                      .needed = needed3 };
		struct bd_buf b = { 0 };
		struct bd_test_elf_layout lay;
		uint8_t *h;
		uint64_t wmax = cls == 64 ? UINT64_MAX : UINT32_MAX;

#define FRESH() (make(cls, be, &s, &b, &lay), h = (uint8_t *)b.data)
		/* PT_INTERP */
		FRESH();
		bd_test_putw(h + ph_field(&lay, cls, lay.interp_ph, 1), b.len + 100, cls, be);
		expect_fail(b.data, b.len, "PT_INTERP");
		FRESH();
		bd_test_putw(h + ph_field(&lay, cls, lay.interp_ph, 2), 1u << 20, cls, be);
		expect_fail(b.data, b.len, "PT_INTERP of");
		/* no file data (a .debug file), or only NULs: no interpreter */
		FRESH();
		bd_test_putw(h + ph_field(&lay, cls, lay.interp_ph, 2), 0, cls, be);
		bd_test_putw(h + ph_field(&lay, cls, lay.interp_ph, 1), b.len + 4096, cls, be);
		{
			struct bd_apk_elf e;
			parse_ok(b.data, b.len, &e);
			assert_null(e.interp);
			assert_string_equal(e.soname, "libx.so.1");
			bd_apk_elf_free(&e);
		}
		FRESH();
		h[lay.interp_off] = '\0';
		{
			struct bd_apk_elf e;
			parse_ok(b.data, b.len, &e);
			assert_null(e.interp);
			bd_apk_elf_free(&e);
		}

		/* PT_DYNAMIC: past EOF, wrapping around */
		FRESH();
		bd_test_putw(h + ph_field(&lay, cls, lay.dynamic_ph, 1), b.len - 4, cls, be);
		expect_fail(b.data, b.len, "dynamic section");
		FRESH();
		bd_test_putw(h + ph_field(&lay, cls, lay.dynamic_ph, 1), wmax - 7, cls, be);
		bd_test_putw(h + ph_field(&lay, cls, lay.dynamic_ph, 2), 64, cls, be);
		expect_fail(b.data, b.len, "dynamic section");

		/* strings: offset past DT_STRSZ, table cut mid-string */
		FRESH();
		bd_test_putw(h + bd_test_dyn_val_off(&lay, 1, cls), lay.strsize + 3, cls, be);
		expect_fail(b.data, b.len, "outside the string table");
		FRESH();
		bd_test_putw(h + bd_test_dyn_val_off(&lay, 5, cls), 4, cls, be); /* DT_STRSZ */
		expect_fail(b.data, b.len, "not terminated");

		/* DT_STRTAB missing (turned into DT_DEBUG) and no sections */
		s.no_sections = true;
		FRESH();
		bd_test_putw(h + bd_test_dyn_tag_off(&lay, 4), DT_DEBUG, cls, be);
		expect_fail(b.data, b.len, "without DT_STRTAB");
		s.no_sections = false;

		/* section fallback: sh_link out of range, to itself, to 0 */
		s.no_pt_dynamic = true;
#define LINK_AT() ((cls == 64 ? 40 : 24) + lay.shoff + lay.shentsize)
		FRESH();
		bd_test_put32(h + LINK_AT(), 7, be);
		expect_fail(b.data, b.len, "outside the 3 sections");
		FRESH();
		bd_test_put32(h + LINK_AT(), 1, be);
		expect_fail(b.data, b.len, "not a string table");
		FRESH();
		bd_test_put32(h + LINK_AT(), 0, be);
		expect_fail(b.data, b.len, "string table section 0");
		FRESH();
		bd_test_putw(h + lay.shoff + 2 * lay.shentsize + (cls == 64 ? 24 : 16), b.len, cls,
		             be);
		expect_fail(b.data, b.len, "dynamic string table section");
		s.no_pt_dynamic = false;
		bd_buf_free(&b);
#undef LINK_AT
#undef FRESH
	}
}

/* A string longer than the limit, and a DT_NEEDED count over the limit. */
static void
elf_hostile_limits(void **state)
{
	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		unsigned cls = combos[k].cls;
		bool be = combos[k].be;
		char *huge = bd_xmalloc(BD_APK_ELF_MAX_STR + 100);
		const char *one[] = { huge, NULL };
		struct bd_test_elf_spec s = { .needed = one };
		struct bd_buf b = { 0 }, big = { 0 };
		struct bd_test_elf_layout lay;
		size_t n, dynsz;
		uint8_t *img;

		memset(huge, 'a', BD_APK_ELF_MAX_STR + 99);
		huge[BD_APK_ELF_MAX_STR + 99] = '\0';
		make(cls, be, &s, &b, &lay);
		expect_fail(b.data, b.len, "longer than the limit");
		huge[BD_APK_ELF_MAX_STR] = '\0'; /* exactly the limit: fine */
		make(cls, be, &s, &b, &lay);
		{
			struct bd_apk_elf e;
			parse_ok(b.data, b.len, &e);
			assert_int_equal(strlen(e.needed.v[0]), BD_APK_ELF_MAX_STR);
			bd_apk_elf_free(&e);
		}
		free(huge);

		/* append a dynamic table of MAX_NEEDED + 1 DT_NEEDED entries and point
		 * PT_DYNAMIC (and PT_LOAD) at it */
		s.needed = needed3;
		s.no_sections = true;
		make(cls, be, &s, &b, &lay);
		dynsz = lay.dynentsize;
		n = BD_APK_ELF_MAX_NEEDED + 1;
		bd_buf_append(&big, b.data, b.len);
		bd_buf_reserve(&big, (n + 3) * dynsz);
		img = (uint8_t *)big.data + big.len;
		memset(img, 0, (n + 3) * dynsz);
		for (size_t i = 0; i < n; i++) {
			bd_test_putw(img + i * dynsz, DT_NEEDED, cls, be);
			bd_test_putw(img + i * dynsz + dynsz / 2, 1, cls, be);
		}
		bd_test_putw(img + n * dynsz, DT_STRTAB, cls, be);
		bd_test_putw(img + n * dynsz + dynsz / 2, lay.base + lay.stroff, cls, be);
		big.len += (n + 3) * dynsz;
		img = (uint8_t *)big.data;
		bd_test_putw(img + ph_field(&lay, cls, lay.dynamic_ph, 1), b.len, cls, be);
		bd_test_putw(img + ph_field(&lay, cls, lay.dynamic_ph, 2), (n + 3) * dynsz, cls,
		             be);
		bd_test_putw(img + ph_field(&lay, cls, lay.load_ph, 2), big.len, cls, be);
		expect_fail(big.data, big.len, "more than 1024 DT_NEEDED");

		/* the same table without DT_NULL in the first MAX_DYN entries */
		bd_buf_reset(&big);
		n = BD_APK_ELF_MAX_DYN + 1;
		bd_buf_append(&big, b.data, b.len);
		bd_buf_reserve(&big, n * dynsz);
		img = (uint8_t *)big.data + big.len;
		memset(img, 0, n * dynsz);
		for (size_t i = 0; i < n; i++)
			bd_test_putw(img + i * dynsz, DT_DEBUG, cls, be);
		big.len += n * dynsz;
		img = (uint8_t *)big.data;
		bd_test_putw(img + ph_field(&lay, cls, lay.dynamic_ph, 1), b.len, cls, be);
		bd_test_putw(img + ph_field(&lay, cls, lay.dynamic_ph, 2), n * dynsz, cls, be);
		expect_fail(big.data, big.len, "no DT_NULL");
		bd_buf_free(&big);
		bd_buf_free(&b);
	}
}

/* A dynamic segment whose size is not a multiple of the entry size, and one
 * without DT_NULL that ends at the segment end: both read what is there. */
static void
elf_tolerated_oddities(void **state)
{
	(void)state;
	for (size_t k = 0; k < BD_ARRAY_SIZE(combos); k++) {
		unsigned cls = combos[k].cls;
		bool be = combos[k].be;
		struct bd_test_elf_spec s = { .soname = "libodd.so", .needed = needed3 };
		struct bd_buf b = { 0 };
		struct bd_test_elf_layout lay;
		struct bd_apk_elf e;
		uint8_t *h;

		make(cls, be, &s, &b, &lay);
		h = (uint8_t *)b.data;
		bd_test_putw(h + ph_field(&lay, cls, lay.dynamic_ph, 2),
		             lay.ndyn * lay.dynentsize - 3, cls, be);
		parse_ok(b.data, b.len, &e);
		assert_string_equal(e.soname, "libodd.so");
		assert_int_equal(e.needed.n, 3);
		bd_apk_elf_free(&e);
		bd_buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(elf_compiled_shared_library),
		cmocka_unit_test(elf_compiled_program_runpath_and_rpath),
		cmocka_unit_test(elf_compiled_static_binary),
		cmocka_unit_test(elf_compiled_pie),
		cmocka_unit_test(elf_compiled_without_section_headers),
		cmocka_unit_test(elf_compiled_section_fallback),
		cmocka_unit_test(elf_every_truncation_fails_cleanly),
		cmocka_unit_test(elf_synthetic_all_classes_and_byte_orders),
		cmocka_unit_test(elf_strtab_unmapped_uses_sections),
		cmocka_unit_test(elf_hostile_headers),
		cmocka_unit_test(elf_hostile_segments_and_strings),
		cmocka_unit_test(elf_hostile_limits),
		cmocka_unit_test(elf_tolerated_oddities),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
