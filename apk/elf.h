/* SPDX-License-Identifier: MIT */
/* elf: a bounded reader for the parts of an ELF file that dependency
 * detection needs: the interpreter (PT_INTERP) and the dynamic section's
 * DT_NEEDED, DT_SONAME, DT_RPATH and DT_RUNPATH strings.
 *
 * Both classes (ELFCLASS32, ELFCLASS64) and both byte orders are read on
 * any host.  The input is a build's output, so it is hostile: every offset
 * and size is checked against the file size before it is used, every count
 * is bounded, strings must end inside their string table, and nothing is
 * read twice in a way that could grow with the square of the input.  A file
 * that breaks a rule fails with ENOEXEC and a message naming the rule; the
 * reader never reads out of bounds and never allocates more than the file
 * size (plus small fixed buffers).
 *
 * The dynamic section is found through the program headers (PT_DYNAMIC, its
 * DT_STRTAB address mapped to a file offset through the PT_LOAD segments),
 * which is what the dynamic loader uses, so stripped section headers do not
 * matter.  Section headers are the fallback: for a DT_STRTAB that no PT_LOAD
 * maps, and for files with a SHT_DYNAMIC section but no PT_DYNAMIC (Go's
 * debug/elf, which melange uses, only reads the section). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

/* Limits (hostile input): real files stay far below them. */
#define BD_APK_ELF_MAX_PHDRS 65536u /* program headers */
#define BD_APK_ELF_MAX_DYN 65536u   /* dynamic entries read before DT_NULL */
#define BD_APK_ELF_MAX_NEEDED 1024u /* DT_NEEDED entries */
#define BD_APK_ELF_MAX_STR 4096u    /* bytes of one string, NUL excluded */

struct bd_apk_elf {
	unsigned elf_class;    /* 32 or 64 */
	bool big_endian;       /* ELFDATA2MSB */
	uint16_t type;         /* e_type: ET_EXEC, ET_DYN, ET_REL, ... */
	uint16_t machine;      /* e_machine */
	char *interp;          /* PT_INTERP up to its first NUL; NULL if none */
	bool dynamic;          /* has a dynamic section (a static binary has none) */
	bool via_sections;     /* the dynamic section was found through section headers */
	char *soname;          /* first DT_SONAME; NULL if none */
	struct bd_strv needed; /* DT_NEEDED in file order */
	char *rpath;           /* DT_RPATH, for information; NULL if none */
	char *runpath;         /* DT_RUNPATH, for information; NULL if none */
};

/* Does @buf (@n bytes, n >= 4 needed) start with the ELF magic? */
bool bd_apk_elf_magic(const void *buf, size_t n);

/* Parse the ELF image in @buf (@len bytes) into @out (zeroed first).
 * Returns 0, or -ENOEXEC with @err naming what is wrong. */
int bd_apk_elf_parse_buf(const void *buf, size_t len, struct bd_apk_elf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The same for an open regular file, read with pread() at the offsets the
 * headers name (never mapped: a file truncated under us is an error, not a
 * SIGBUS).  The file size comes from fstat(). */
int bd_apk_elf_parse_fd(int fd, struct bd_apk_elf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

void bd_apk_elf_free(struct bd_apk_elf *e);
