/* SPDX-License-Identifier: MIT */
/* elfgen: helpers linked into every unit-test binary for the ELF and
 * dependency-scan tests: synthetic ELF images of either class and byte
 * order (no big-endian compiler is installed, so MSB coverage is built by
 * hand), and running the host C compiler on tests/data sources. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct bd_test_elf_spec {
	unsigned elf_class; /* 32 or 64 */
	bool big_endian;
	uint16_t type;      /* e_type; 0 = ET_DYN */
	const char *interp; /* PT_INTERP, or NULL */
	const char *soname;
	const char *const *needed; /* NULL-terminated, or NULL */
	const char *rpath, *runpath;
	bool no_dynamic;    /* static: neither PT_DYNAMIC nor SHT_DYNAMIC */
	bool no_sections;   /* no section header table */
	bool no_pt_dynamic; /* SHT_DYNAMIC only (the section fallback) */
};

/* Where things landed, for tests that corrupt one field. */
struct bd_test_elf_layout {
	size_t phoff, phentsize, phnum;
	size_t load_ph, interp_ph, dynamic_ph; /* phdr indices; SIZE_MAX if absent */
	size_t interp_off;
	size_t dynoff, dynentsize, ndyn; /* ndyn includes DT_NULL */
	size_t stroff, strsize;
	size_t shoff, shentsize, shnum; /* sections: 0 null, 1 .dynamic, 2 .dynstr */
	uint64_t base;                  /* vaddr of file offset 0 */
};

/* Build an ELF image from @s into @out (appended to an empty buffer). */
void bd_test_elf_build(const struct bd_test_elf_spec *s, struct bd_buf *out,
                       struct bd_test_elf_layout *lay);

/* Store a 16/32/64-bit value, or a class-sized word, at @p. */
void bd_test_put16(uint8_t *p, uint16_t v, bool be);
void bd_test_put32(uint8_t *p, uint32_t v, bool be);
void bd_test_put64(uint8_t *p, uint64_t v, bool be);
void bd_test_putw(uint8_t *p, uint64_t v, unsigned elf_class, bool be);

/* Offset of dynamic entry @i's d_tag / d_val inside the image. */
size_t bd_test_dyn_tag_off(const struct bd_test_elf_layout *lay, size_t i);
size_t bd_test_dyn_val_off(const struct bd_test_elf_layout *lay, size_t i, unsigned elf_class);

/* The C compiler for test binaries: $CC, else "cc" if on PATH; NULL (with
 * a TAP comment) if there is none, so the caller can skip(). */
const char *bd_test_cc(void);

/* Run @argv (argv[0] looked up on PATH) and return its exit status, or -1
 * if it could not run or was killed.  Output goes to the test's stderr. */
int bd_test_run(const char *const *argv);

/* "$BUILDERD_TOP/tests/data/<rel>", or "tests/data/<rel>" from the current
 * directory when BUILDERD_TOP is unset. */
void bd_test_data_path(char *buf, size_t size, const char *rel);

/* Write @n bytes to @path (created or truncated) with @mode. */
void bd_test_write_file(const char *path, const void *data, size_t n, unsigned mode);
