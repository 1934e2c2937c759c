/* SPDX-License-Identifier: MIT */
/* elf: bounded ELF reader (interpreter, DT_NEEDED, DT_SONAME, rpaths).
 *
 * Layout facts are from the System V gABI ("ELF Header", "Program Header",
 * "Sections", "Dynamic Section") and glibc's <elf.h>, whose constants are
 * used here; the structures are decoded by hand from their byte offsets so
 * that both classes and both byte orders read the same way on any host.
 *
 * Every read goes through src_read(), which checks offset and length against
 * the file size before touching anything.  Tables are read once each
 * (program headers whole, bounded by BD_APK_ELF_MAX_PHDRS; dynamic entries
 * and section headers in fixed-size chunks), and each string is read once
 * with at most BD_APK_ELF_MAX_STR + 1 bytes, for at most
 * BD_APK_ELF_MAX_NEEDED + 3 strings: the work is linear in the file size. */
#include "apk/elf.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"

/* sizes of the on-disk structures, per class */
#define EHDR32 52u
#define EHDR64 64u
#define PHDR32 32u
#define PHDR64 56u
#define SHDR32 40u
#define SHDR64 64u
#define DYN32 8u
#define DYN64 16u
#define CHUNK 64u /* entries per read when walking dynamic or section tables */

struct src {
	const uint8_t *buf; /* buffer mode, or NULL */
	int fd;             /* fd mode */
	uint64_t size;
};

struct ctx {
	struct src src;
	bool is64, be;
	uint64_t phoff, shoff;
	uint64_t phnum, shnum;
	uint8_t *phdrs; /* phnum entries, raw */
	struct bd_apk_elf *out;
};

struct seg {
	uint64_t off, size; /* file range */
};

static uint16_t
rd16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t
rd32(const uint8_t *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
	          : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t
rd64(const uint8_t *p, bool be)
{
	return be ? (uint64_t)rd32(p, true) << 32 | rd32(p + 4, true)
	          : (uint64_t)rd32(p + 4, false) << 32 | rd32(p, false);
}

/* a word of the file's class: 4 bytes in ELFCLASS32, 8 in ELFCLASS64 */
static uint64_t
rdw(const struct ctx *c, const uint8_t *p)
{
	return c->is64 ? rd64(p, c->be) : rd32(p, c->be);
}

/* Is [off, off + n) inside the file? */
static bool
in_file(const struct src *s, uint64_t off, uint64_t n)
{
	return off <= s->size && n <= s->size - off;
}

static int
src_read(const struct src *s, uint64_t off, void *dst, size_t n, const char *what,
         struct bd_err *err)
{
	size_t done = 0;

	if (!in_file(s, off, n))
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: %s (offset %llu, %zu bytes) is past the end of the file "
		                   "(%llu bytes)",
		                   what, (unsigned long long)off, n, (unsigned long long)s->size);
	if (s->buf) {
		memcpy(dst, s->buf + off, n);
		return 0;
	}
	while (done < n) {
		ssize_t r = pread(s->fd, (char *)dst + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bd_err_set(err, errno, "ELF: read %s", what);
		}
		if (r == 0)
			return bd_err_setx(err, ENOEXEC, "ELF: file shrank while reading %s", what);
		done += (size_t)r;
	}
	return 0;
}

/* Read the NUL-terminated string at @str_off of the string table [@tab_off,
 * @tab_off + @tab_size) into a new allocation. */
static int
read_str(const struct ctx *c, uint64_t tab_off, uint64_t tab_size, uint64_t str_off,
         const char *what, char **out, struct bd_err *err)
{
	char buf[BD_APK_ELF_MAX_STR + 1];
	uint64_t avail;
	size_t n;
	const char *nul;

	if (str_off >= tab_size)
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: %s string offset %llu is outside the string table "
		                   "(%llu bytes)",
		                   what, (unsigned long long)str_off, (unsigned long long)tab_size);
	avail = tab_size - str_off;
	n = avail < sizeof(buf) ? (size_t)avail : sizeof(buf);
	if (src_read(&c->src, tab_off + str_off, buf, n, what, err) < 0)
		return -err->code;
	nul = memchr(buf, '\0', n);
	if (!nul)
		return bd_err_setx(err, ENOEXEC,
		                   n == avail ? "ELF: %s string is not terminated inside its "
		                                "string table"
		                              : "ELF: %s string is longer than the limit",
		                   what);
	*out = bd_xstrndup(buf, (size_t)(nul - buf));
	return 0;
}

/* ------------------------------------------------------------ headers */

static int
parse_ehdr(struct ctx *c, struct bd_err *err)
{
	uint8_t h[EHDR64];
	uint16_t ehsize, phentsize, shentsize, phnum16, shnum16;
	uint32_t version;

	if (c->src.size < EI_NIDENT)
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: file too short for an ELF header (%llu bytes)",
		                   (unsigned long long)c->src.size);
	if (src_read(&c->src, 0, h, EI_NIDENT, "identification", err) < 0)
		return -err->code;
	if (!bd_apk_elf_magic(h, EI_NIDENT))
		return bd_err_setx(err, ENOEXEC, "ELF: bad magic (not an ELF file)");
	if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
		return bd_err_setx(err, ENOEXEC, "ELF: unknown class %u", h[EI_CLASS]);
	if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
		return bd_err_setx(err, ENOEXEC, "ELF: unknown data encoding %u", h[EI_DATA]);
	if (h[EI_VERSION] != EV_CURRENT)
		return bd_err_setx(err, ENOEXEC, "ELF: unknown identification version %u",
		                   h[EI_VERSION]);
	c->is64 = h[EI_CLASS] == ELFCLASS64;
	c->be = h[EI_DATA] == ELFDATA2MSB;
	if (src_read(&c->src, 0, h, c->is64 ? EHDR64 : EHDR32, "ELF header", err) < 0)
		return -err->code;

	c->out->elf_class = c->is64 ? 64 : 32;
	c->out->big_endian = c->be;
	c->out->type = rd16(h + 16, c->be);
	c->out->machine = rd16(h + 18, c->be);
	version = rd32(h + 20, c->be);
	if (version != EV_CURRENT)
		return bd_err_setx(err, ENOEXEC, "ELF: unknown version %u", version);
	if (c->is64) {
		c->phoff = rd64(h + 32, c->be);
		c->shoff = rd64(h + 40, c->be);
		ehsize = rd16(h + 52, c->be);
		phentsize = rd16(h + 54, c->be);
		phnum16 = rd16(h + 56, c->be);
		shentsize = rd16(h + 58, c->be);
		shnum16 = rd16(h + 60, c->be);
	} else {
		c->phoff = rd32(h + 28, c->be);
		c->shoff = rd32(h + 32, c->be);
		ehsize = rd16(h + 40, c->be);
		phentsize = rd16(h + 42, c->be);
		phnum16 = rd16(h + 44, c->be);
		shentsize = rd16(h + 46, c->be);
		shnum16 = rd16(h + 48, c->be);
	}
	/* A header of the other class decodes to nonsense sizes: refuse it
	 * here rather than read tables with the wrong layout. */
	if (ehsize != (c->is64 ? EHDR64 : EHDR32))
		return bd_err_setx(err, ENOEXEC, "ELF: header size %u does not match ELFCLASS%u",
		                   ehsize, c->out->elf_class);

	c->phnum = phnum16;
	c->shnum = shnum16;
	if (c->shoff != 0 && (shnum16 == 0 || phnum16 == PN_XNUM)) {
		/* extended numbering: the real counts live in section 0 */
		uint8_t s0[SHDR64];
		if (shentsize != (c->is64 ? SHDR64 : SHDR32))
			return bd_err_setx(err, ENOEXEC,
			                   "ELF: section header size %u does not match ELFCLASS%u",
			                   shentsize, c->out->elf_class);
		if (src_read(&c->src, c->shoff, s0, shentsize, "section header 0", err) < 0)
			return -err->code;
		if (shnum16 == 0)
			c->shnum = c->is64 ? rd64(s0 + 32, c->be) : rd32(s0 + 20, c->be);
		if (phnum16 == PN_XNUM)
			c->phnum = rd32(s0 + (c->is64 ? 44 : 28), c->be);
	} else if (phnum16 == PN_XNUM) {
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: extended program header count without section headers");
	}
	if (c->shoff == 0)
		c->shnum = 0;
	if (c->phoff == 0)
		c->phnum = 0;

	if (c->phnum > 0) {
		if (phentsize != (c->is64 ? PHDR64 : PHDR32))
			return bd_err_setx(err, ENOEXEC,
			                   "ELF: program header size %u does not match ELFCLASS%u",
			                   phentsize, c->out->elf_class);
		if (c->phnum > BD_APK_ELF_MAX_PHDRS)
			return bd_err_setx(err, ENOEXEC, "ELF: %llu program headers (limit %u)",
			                   (unsigned long long)c->phnum, BD_APK_ELF_MAX_PHDRS);
		if (!in_file(&c->src, c->phoff, c->phnum * phentsize))
			return bd_err_setx(
			    err, ENOEXEC,
			    "ELF: program header table (offset %llu, %llu entries) is "
			    "past the end of the file",
			    (unsigned long long)c->phoff, (unsigned long long)c->phnum);
	}
	if (c->shnum > 0) {
		if (shentsize != (c->is64 ? SHDR64 : SHDR32))
			return bd_err_setx(err, ENOEXEC,
			                   "ELF: section header size %u does not match ELFCLASS%u",
			                   shentsize, c->out->elf_class);
		/* shnum may come from a 64-bit sh_size: divide, never multiply */
		if (c->shoff > c->src.size || c->shnum > (c->src.size - c->shoff) / shentsize)
			return bd_err_setx(
			    err, ENOEXEC,
			    "ELF: section header table (offset %llu, %llu entries) is "
			    "past the end of the file",
			    (unsigned long long)c->shoff, (unsigned long long)c->shnum);
	}
	return 0;
}

/* Program header @i decoded: type, file range, vaddr. */
static void
phdr(const struct ctx *c, uint64_t i, uint32_t *type, uint64_t *off, uint64_t *filesz,
     uint64_t *vaddr)
{
	const uint8_t *p = c->phdrs + i * (c->is64 ? PHDR64 : PHDR32);

	*type = rd32(p, c->be);
	if (c->is64) {
		*off = rd64(p + 8, c->be);
		*vaddr = rd64(p + 16, c->be);
		*filesz = rd64(p + 32, c->be);
	} else {
		*off = rd32(p + 4, c->be);
		*vaddr = rd32(p + 8, c->be);
		*filesz = rd32(p + 16, c->be);
	}
}

/* Section header @i: type, file range, link. */
static int
shdr(const struct ctx *c, uint64_t i, uint32_t *type, uint64_t *off, uint64_t *size, uint32_t *link,
     struct bd_err *err)
{
	uint8_t s[SHDR64];
	size_t n = c->is64 ? SHDR64 : SHDR32;

	if (src_read(&c->src, c->shoff + i * n, s, n, "section header", err) < 0)
		return -err->code;
	*type = rd32(s + 4, c->be);
	*off = c->is64 ? rd64(s + 24, c->be) : rd32(s + 16, c->be);
	*size = c->is64 ? rd64(s + 32, c->be) : rd32(s + 20, c->be);
	*link = rd32(s + (c->is64 ? 40 : 24), c->be);
	return 0;
}

/* First section of @want type; *idx = shnum if none.  Reads the table in
 * chunks, so a huge (but in-file) table costs time linear in its size. */
static int
find_section(const struct ctx *c, uint32_t want, uint64_t *idx, struct bd_err *err)
{
	size_t es = c->is64 ? SHDR64 : SHDR32;
	uint8_t chunk[CHUNK * SHDR64];

	for (uint64_t i = 0; i < c->shnum; i += CHUNK) {
		uint64_t k = c->shnum - i < CHUNK ? c->shnum - i : CHUNK;
		if (src_read(&c->src, c->shoff + i * es, chunk, (size_t)(k * es),
		             "section header table", err) < 0)
			return -err->code;
		for (uint64_t j = 0; j < k; j++)
			if (rd32(chunk + j * es + 4, c->be) == want) {
				*idx = i + j;
				return 0;
			}
	}
	*idx = c->shnum;
	return 0;
}

/* The string table linked from the SHT_DYNAMIC section @dyn_idx. */
static int
linked_strtab(const struct ctx *c, uint64_t dyn_idx, struct seg *tab, struct bd_err *err)
{
	uint32_t type, link, ltype, llink;
	uint64_t off, size;

	if (shdr(c, dyn_idx, &type, &off, &size, &link, err) < 0)
		return -err->code;
	if (link == 0 || link >= c->shnum)
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: dynamic section links to string table section %u, outside "
		                   "the %llu sections",
		                   link, (unsigned long long)c->shnum);
	if (shdr(c, link, &ltype, &tab->off, &tab->size, &llink, err) < 0)
		return -err->code;
	if (ltype != SHT_STRTAB)
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: dynamic section links to section %u of type %u, not a "
		                   "string table",
		                   link, ltype);
	if (!in_file(&c->src, tab->off, tab->size))
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: dynamic string table section (offset %llu, %llu bytes) is "
		                   "past the end of the file",
		                   (unsigned long long)tab->off, (unsigned long long)tab->size);
	return 0;
}

/* ------------------------------------------------------------ dynamic */

struct dyn_refs {
	uint64_t needed[BD_APK_ELF_MAX_NEEDED];
	size_t nneeded;
	bool has_soname, has_rpath, has_runpath, has_strtab, has_strsz;
	uint64_t soname, rpath, runpath, strtab, strsz;
};

/* Read the dynamic entries in @dyn up to DT_NULL, keeping what we need. */
static int
read_dynamic(const struct ctx *c, const struct seg *dyn, struct dyn_refs *r, struct bd_err *err)
{
	size_t es = c->is64 ? DYN64 : DYN32;
	uint64_t n = dyn->size / es;
	uint8_t chunk[CHUNK * DYN64];

	if (!in_file(&c->src, dyn->off, dyn->size))
		return bd_err_setx(err, ENOEXEC,
		                   "ELF: dynamic section (offset %llu, %llu bytes) is past the end "
		                   "of the file",
		                   (unsigned long long)dyn->off, (unsigned long long)dyn->size);
	for (uint64_t i = 0; i < n; i += CHUNK) {
		uint64_t k = n - i < CHUNK ? n - i : CHUNK;
		if (src_read(&c->src, dyn->off + i * es, chunk, (size_t)(k * es), "dynamic section",
		             err) < 0)
			return -err->code;
		for (uint64_t j = 0; j < k; j++) {
			const uint8_t *e = chunk + j * es;
			/* d_tag is signed; the tags we want are small positive numbers */
			uint64_t tag = rdw(c, e), val = rdw(c, e + es / 2);

			if (i + j >= BD_APK_ELF_MAX_DYN)
				return bd_err_setx(
				    err, ENOEXEC, "ELF: no DT_NULL in the first %u dynamic entries",
				    BD_APK_ELF_MAX_DYN);
			switch (tag) {
			case DT_NULL:
				return 0;
			case DT_NEEDED:
				if (r->nneeded == BD_APK_ELF_MAX_NEEDED)
					return bd_err_setx(err, ENOEXEC,
					                   "ELF: more than %u DT_NEEDED entries",
					                   BD_APK_ELF_MAX_NEEDED);
				r->needed[r->nneeded++] = val;
				break;
			case DT_SONAME:
				if (!r->has_soname)
					r->soname = val;
				r->has_soname = true;
				break;
			case DT_RPATH:
				if (!r->has_rpath)
					r->rpath = val;
				r->has_rpath = true;
				break;
			case DT_RUNPATH:
				if (!r->has_runpath)
					r->runpath = val;
				r->has_runpath = true;
				break;
			case DT_STRTAB:
				if (!r->has_strtab)
					r->strtab = val;
				r->has_strtab = true;
				break;
			case DT_STRSZ:
				if (!r->has_strsz)
					r->strsz = val;
				r->has_strsz = true;
				break;
			default:
				break;
			}
		}
	}
	/* ran off the end without DT_NULL: the loader would read past the
	 * segment; treat the entries seen as the whole table, as binutils'
	 * readelf does, since every one of them was inside the file */
	return 0;
}

/* Map virtual address @addr to a file range through the PT_LOAD segments:
 * the range runs from the mapped offset to the end of that segment's file
 * image.  Returns false if no PT_LOAD maps it. */
static bool
map_vaddr(const struct ctx *c, uint64_t addr, struct seg *out)
{
	for (uint64_t i = 0; i < c->phnum; i++) {
		uint32_t type;
		uint64_t off, filesz, vaddr;

		phdr(c, i, &type, &off, &filesz, &vaddr);
		if (type != PT_LOAD || addr < vaddr || addr - vaddr >= filesz)
			continue;
		if (!in_file(&c->src, off, filesz))
			continue; /* a segment past EOF maps nothing we can read */
		out->off = off + (addr - vaddr);
		out->size = filesz - (addr - vaddr);
		return true;
	}
	return false;
}

static int
parse_dynamic(struct ctx *c, const struct seg *dyn, bool have_sect_strtab,
              const struct seg *sect_strtab, struct bd_err *err)
{
	_cleanup_free_ struct dyn_refs *r = bd_xcalloc(1, sizeof(*r));
	struct seg tab;
	struct bd_apk_elf *o = c->out;

	if (read_dynamic(c, dyn, r, err) < 0)
		return -err->code;
	if (r->nneeded == 0 && !r->has_soname && !r->has_rpath && !r->has_runpath)
		return 0; /* e.g. a static PIE: nothing to look up */

	if (r->has_strtab && map_vaddr(c, r->strtab, &tab)) {
		/* DT_STRSZ narrows the table; it can never widen it past the segment */
		if (r->has_strsz && r->strsz < tab.size)
			tab.size = r->strsz;
	} else if (have_sect_strtab) {
		tab = *sect_strtab;
	} else if (r->has_strtab) {
		uint64_t idx;
		if (find_section(c, SHT_DYNAMIC, &idx, err) < 0)
			return -err->code;
		if (idx == c->shnum)
			return bd_err_setx(err, ENOEXEC,
			                   "ELF: DT_STRTAB address 0x%llx is in no PT_LOAD segment",
			                   (unsigned long long)r->strtab);
		if (linked_strtab(c, idx, &tab, err) < 0)
			return -err->code;
	} else {
		return bd_err_setx(err, ENOEXEC, "ELF: dynamic section without DT_STRTAB");
	}

	for (size_t i = 0; i < r->nneeded; i++) {
		char *s;
		if (read_str(c, tab.off, tab.size, r->needed[i], "DT_NEEDED", &s, err) < 0)
			return -err->code;
		bd_strv_push_owned(&o->needed, s);
	}
	if (r->has_soname &&
	    read_str(c, tab.off, tab.size, r->soname, "DT_SONAME", &o->soname, err) < 0)
		return -err->code;
	if (r->has_rpath &&
	    read_str(c, tab.off, tab.size, r->rpath, "DT_RPATH", &o->rpath, err) < 0)
		return -err->code;
	if (r->has_runpath &&
	    read_str(c, tab.off, tab.size, r->runpath, "DT_RUNPATH", &o->runpath, err) < 0)
		return -err->code;
	return 0;
}

static int
parse(struct ctx *c, struct bd_err *err)
{
	bool have_dyn = false, have_interp = false;
	struct seg dyn = { 0, 0 };

	if (parse_ehdr(c, err) < 0)
		return -err->code;

	if (c->phnum > 0) {
		size_t n = (size_t)c->phnum * (c->is64 ? PHDR64 : PHDR32);
		c->phdrs = bd_xmalloc(n);
		if (src_read(&c->src, c->phoff, c->phdrs, n, "program header table", err) < 0)
			return -err->code;
	}
	for (uint64_t i = 0; i < c->phnum; i++) {
		uint32_t type;
		uint64_t off, filesz, vaddr;

		phdr(c, i, &type, &off, &filesz, &vaddr);
		if (type == PT_INTERP && !have_interp) {
			char buf[BD_APK_ELF_MAX_STR];
			size_t len;

			have_interp = true; /* the first one counts, as for the loader */
			/* separate debug info (.debug files) keeps the program
			 * headers but no file data: no interpreter to read */
			if (filesz == 0)
				continue;
			if (filesz > sizeof(buf))
				return bd_err_setx(err, ENOEXEC, "ELF: PT_INTERP of %llu bytes",
				                   (unsigned long long)filesz);
			if (src_read(&c->src, off, buf, (size_t)filesz, "PT_INTERP", err) < 0)
				return -err->code;
			/* the loader reads up to the NUL; melange trims NULs, so an
			 * interpreter of only NULs is none */
			len = strnlen(buf, (size_t)filesz);
			if (len > 0)
				c->out->interp = bd_xstrndup(buf, len);
		} else if (type == PT_DYNAMIC && !have_dyn) {
			have_dyn = true;
			dyn.off = off;
			dyn.size = filesz;
		}
	}

	if (have_dyn && dyn.size > 0) {
		c->out->dynamic = true;
		return parse_dynamic(c, &dyn, false, NULL, err);
	}
	if (c->shnum > 0) {
		/* no PT_DYNAMIC: what Go's debug/elf (melange) would read */
		uint64_t idx;
		uint32_t type, link;
		struct seg tab;

		if (find_section(c, SHT_DYNAMIC, &idx, err) < 0)
			return -err->code;
		if (idx == c->shnum)
			return 0;
		if (shdr(c, idx, &type, &dyn.off, &dyn.size, &link, err) < 0)
			return -err->code;
		if (dyn.size == 0)
			return 0;
		if (linked_strtab(c, idx, &tab, err) < 0)
			return -err->code;
		c->out->dynamic = true;
		c->out->via_sections = true;
		return parse_dynamic(c, &dyn, true, &tab, err);
	}
	return 0;
}

/* ------------------------------------------------------------ API */

bool
bd_apk_elf_magic(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	return n >= SELFMAG && memcmp(p, ELFMAG, SELFMAG) == 0;
}

static int
run(struct ctx *c, struct bd_apk_elf *out, struct bd_err *err)
{
	int r;

	memset(out, 0, sizeof(*out));
	c->out = out;
	r = parse(c, err);
	free(c->phdrs);
	if (r < 0)
		bd_apk_elf_free(out);
	return r;
}

int
bd_apk_elf_parse_buf(const void *buf, size_t len, struct bd_apk_elf *out, struct bd_err *err)
{
	struct ctx c = { .src = { .buf = buf ? buf : (const uint8_t *)"", .fd = -1, .size = len } };

	return run(&c, out, err);
}

int
bd_apk_elf_parse_fd(int fd, struct bd_apk_elf *out, struct bd_err *err)
{
	struct stat st;
	struct ctx c = { .src = { .buf = NULL, .fd = fd } };

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) < 0)
		return bd_err_set(err, errno, "ELF: fstat");
	if (!S_ISREG(st.st_mode))
		return bd_err_setx(err, EINVAL, "ELF: not a regular file");
	c.src.size = (uint64_t)st.st_size;
	return run(&c, out, err);
}

void
bd_apk_elf_free(struct bd_apk_elf *e)
{
	free(e->interp);
	free(e->soname);
	free(e->rpath);
	free(e->runpath);
	bd_strv_free(&e->needed);
	memset(e, 0, sizeof(*e));
}
