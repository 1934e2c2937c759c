/* SPDX-License-Identifier: MIT */
/* elfgen: synthetic ELF images and the host compiler for unit tests (see
 * elfgen.h).  Layout of a generated image: ELF header, program headers
 * (PT_LOAD covering the whole file, then PT_INTERP and PT_DYNAMIC when
 * present), the interpreter string, the dynamic string table, the dynamic
 * entries, the section headers (null, .dynamic, .dynstr). */
#include "tests/unit/elfgen.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void
bd_test_put16(uint8_t *p, uint16_t v, bool be)
{
	p[be ? 0 : 1] = (uint8_t)(v >> 8);
	p[be ? 1 : 0] = (uint8_t)v;
}

void
bd_test_put32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

void
bd_test_put64(uint8_t *p, uint64_t v, bool be)
{
	for (int i = 0; i < 8; i++)
		p[be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
}

void
bd_test_putw(uint8_t *p, uint64_t v, unsigned elf_class, bool be)
{
	if (elf_class == 64)
		bd_test_put64(p, v, be);
	else
		bd_test_put32(p, (uint32_t)v, be);
}

size_t
bd_test_dyn_tag_off(const struct bd_test_elf_layout *lay, size_t i)
{
	return lay->dynoff + i * lay->dynentsize;
}

size_t
bd_test_dyn_val_off(const struct bd_test_elf_layout *lay, size_t i, unsigned elf_class)
{
	return bd_test_dyn_tag_off(lay, i) + (elf_class == 64 ? 8 : 4);
}

static size_t
str_add(struct bd_buf *tab, const char *s)
{
	size_t off = tab->len;

	bd_buf_append(tab, s, strlen(s) + 1);
	return off;
}

void
bd_test_elf_build(const struct bd_test_elf_spec *s, struct bd_buf *out,
                  struct bd_test_elf_layout *lay)
{
	bool is64 = s->elf_class == 64, be = s->big_endian;
	unsigned cls = is64 ? 64 : 32;
	size_t ehsz = is64 ? 64 : 52, phsz = is64 ? 56 : 32, shsz = is64 ? 64 : 40;
	size_t dynsz = is64 ? 16 : 8, off, nph = 1;
	bool pt_dyn = !s->no_dynamic && !s->no_pt_dynamic;
	struct bd_buf tab = { 0 };
	uint64_t dyn[64][2]; /* up to 59 strings plus STRTAB, STRSZ, NULL */
	size_t ndyn = 0;
	uint8_t *img;

	memset(lay, 0, sizeof(*lay));
	lay->interp_ph = lay->dynamic_ph = SIZE_MAX;
	lay->load_ph = 0;
	if (s->interp)
		lay->interp_ph = nph++;
	if (pt_dyn)
		lay->dynamic_ph = nph++;
	lay->phoff = ehsz;
	lay->phentsize = phsz;
	lay->phnum = nph;
	off = ehsz + nph * phsz;
	lay->interp_off = off;
	if (s->interp)
		off += strlen(s->interp) + 1;

	bd_buf_putc(&tab, '\0');
	for (size_t i = 0; s->needed && s->needed[i] && i < 56; i++) {
		dyn[ndyn][0] = DT_NEEDED;
		dyn[ndyn++][1] = str_add(&tab, s->needed[i]);
	}
	if (s->soname) {
		dyn[ndyn][0] = DT_SONAME;
		dyn[ndyn++][1] = str_add(&tab, s->soname);
	}
	if (s->rpath) {
		dyn[ndyn][0] = DT_RPATH;
		dyn[ndyn++][1] = str_add(&tab, s->rpath);
	}
	if (s->runpath) {
		dyn[ndyn][0] = DT_RUNPATH;
		dyn[ndyn++][1] = str_add(&tab, s->runpath);
	}
	lay->stroff = off;
	lay->strsize = tab.len;
	off += tab.len;
	off = (off + 7) & ~(size_t)7;
	lay->base = is64 ? 0x400000 : 0x8048000;
	dyn[ndyn][0] = DT_STRTAB;
	dyn[ndyn++][1] = lay->base + lay->stroff;
	dyn[ndyn][0] = DT_STRSZ;
	dyn[ndyn++][1] = lay->strsize;
	dyn[ndyn][0] = DT_NULL;
	dyn[ndyn++][1] = 0;
	if (s->no_dynamic)
		ndyn = 0;
	lay->dynoff = off;
	lay->dynentsize = dynsz;
	lay->ndyn = ndyn;
	off += ndyn * dynsz;
	if (!s->no_sections) {
		off = (off + 7) & ~(size_t)7;
		lay->shoff = off;
		lay->shentsize = shsz;
		lay->shnum = 3;
		off += 3 * shsz;
	}

	bd_buf_reserve(out, off);
	img = (uint8_t *)out->data + out->len;
	memset(img, 0, off);

	/* ELF header */
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	img[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	bd_test_put16(img + 16, s->type ? s->type : ET_DYN, be);
	bd_test_put16(img + 18, is64 ? (be ? EM_S390 : EM_X86_64) : (be ? EM_PPC : EM_386), be);
	bd_test_put32(img + 20, EV_CURRENT, be);
	if (is64) {
		bd_test_put64(img + 32, lay->phoff, be);
		bd_test_put64(img + 40, lay->shoff, be);
		bd_test_put16(img + 52, (uint16_t)ehsz, be);
		bd_test_put16(img + 54, (uint16_t)phsz, be);
		bd_test_put16(img + 56, (uint16_t)nph, be);
		bd_test_put16(img + 58, (uint16_t)shsz, be);
		bd_test_put16(img + 60, (uint16_t)lay->shnum, be);
	} else {
		bd_test_put32(img + 28, (uint32_t)lay->phoff, be);
		bd_test_put32(img + 32, (uint32_t)lay->shoff, be);
		bd_test_put16(img + 40, (uint16_t)ehsz, be);
		bd_test_put16(img + 42, (uint16_t)phsz, be);
		bd_test_put16(img + 44, (uint16_t)nph, be);
		bd_test_put16(img + 46, (uint16_t)shsz, be);
		bd_test_put16(img + 48, (uint16_t)lay->shnum, be);
	}

	/* program headers */
	for (size_t i = 0; i < nph; i++) {
		uint8_t *p = img + lay->phoff + i * phsz;
		uint32_t type;
		uint64_t poff, sz;

		if (i == lay->load_ph) {
			type = PT_LOAD;
			poff = 0;
			sz = off;
		} else if (i == lay->interp_ph) {
			type = PT_INTERP;
			poff = lay->interp_off;
			sz = strlen(s->interp) + 1;
		} else {
			type = PT_DYNAMIC;
			poff = lay->dynoff;
			sz = ndyn * dynsz;
		}
		bd_test_put32(p, type, be);
		if (is64) {
			bd_test_put64(p + 8, poff, be);
			bd_test_put64(p + 16, lay->base + poff, be);
			bd_test_put64(p + 24, lay->base + poff, be);
			bd_test_put64(p + 32, sz, be);
			bd_test_put64(p + 40, sz, be);
		} else {
			bd_test_put32(p + 4, (uint32_t)poff, be);
			bd_test_put32(p + 8, (uint32_t)(lay->base + poff), be);
			bd_test_put32(p + 12, (uint32_t)(lay->base + poff), be);
			bd_test_put32(p + 16, (uint32_t)sz, be);
			bd_test_put32(p + 20, (uint32_t)sz, be);
		}
	}
	if (s->interp)
		memcpy(img + lay->interp_off, s->interp, strlen(s->interp) + 1);
	memcpy(img + lay->stroff, tab.data, tab.len);
	for (size_t i = 0; i < ndyn; i++) {
		bd_test_putw(img + bd_test_dyn_tag_off(lay, i), dyn[i][0], cls, be);
		bd_test_putw(img + bd_test_dyn_val_off(lay, i, cls), dyn[i][1], cls, be);
	}

	/* section headers: 1 = .dynamic (links to 2), 2 = .dynstr */
	if (!s->no_sections) {
		for (size_t i = 1; i < 3; i++) {
			uint8_t *p = img + lay->shoff + i * shsz;
			uint32_t type =
			    i == 1 ? (s->no_dynamic ? SHT_PROGBITS : SHT_DYNAMIC) : SHT_STRTAB;
			uint64_t soff = i == 1 ? lay->dynoff : lay->stroff;
			uint64_t sz = i == 1 ? ndyn * dynsz : lay->strsize;

			bd_test_put32(p + 4, type, be);
			if (is64) {
				bd_test_put64(p + 16, lay->base + soff, be);
				bd_test_put64(p + 24, soff, be);
				bd_test_put64(p + 32, sz, be);
				bd_test_put32(p + 40, i == 1 ? 2 : 0, be);
				bd_test_put64(p + 56, i == 1 ? dynsz : 0, be);
			} else {
				bd_test_put32(p + 12, (uint32_t)(lay->base + soff), be);
				bd_test_put32(p + 16, (uint32_t)soff, be);
				bd_test_put32(p + 20, (uint32_t)sz, be);
				bd_test_put32(p + 24, i == 1 ? 2 : 0, be);
				bd_test_put32(p + 36, i == 1 ? (uint32_t)dynsz : 0, be);
			}
		}
	}
	out->len += off;
	out->data[out->len] = '\0';
	bd_buf_free(&tab);
}

const char *
bd_test_cc(void)
{
	static char found[4096];
	const char *cc = getenv("CC");
	const char *path = getenv("PATH");

	if (cc && *cc && !strchr(cc, ' '))
		return cc;
	for (const char *p = path ? path : "/usr/bin:/bin"; p && *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		snprintf(found, sizeof(found), "%.*s/cc", (int)n, p);
		if (access(found, X_OK) == 0)
			return "cc";
		p = e ? e + 1 : NULL;
	}
	printf("# no C compiler (cc) on PATH: skipping tests that compile binaries\n");
	return NULL;
}

int
bd_test_run(const char *const *argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* stdout carries TAP: keep the tool's chatter on stderr */
		(void)dup2(2, 1);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
bd_test_data_path(char *buf, size_t size, const char *rel)
{
	const char *top = getenv("BUILDERD_TOP");

	if (top && *top)
		snprintf(buf, size, "%s/tests/data/%s", top, rel);
	else
		snprintf(buf, size, "tests/data/%s", rel);
}

void
bd_test_write_file(const char *path, const void *data, size_t n, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || bd_write_all(fd, data, n) < 0 || fchmod(fd, (mode_t)mode) < 0) {
		perror(path);
		abort();
	}
	close(fd);
}
