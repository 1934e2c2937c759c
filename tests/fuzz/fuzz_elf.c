/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the bounded ELF reader.  Any bytes are parsed twice, as
 * a buffer and through a memfd (the pread path); both must agree on success
 * or failure and on every field, and a success must hold sane values. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "apk/elf.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void
check_same(const struct bd_apk_elf *a, const struct bd_apk_elf *b)
{
	if (a->elf_class != b->elf_class || a->big_endian != b->big_endian || a->type != b->type ||
	    a->machine != b->machine || a->dynamic != b->dynamic ||
	    a->via_sections != b->via_sections || !str_eq(a->interp, b->interp) ||
	    !str_eq(a->soname, b->soname) || !str_eq(a->rpath, b->rpath) ||
	    !str_eq(a->runpath, b->runpath) || a->needed.n != b->needed.n)
		abort();
	for (size_t i = 0; i < a->needed.n; i++)
		if (strcmp(a->needed.v[i], b->needed.v[i]) != 0)
			abort();
}

static void
check_sane(const struct bd_apk_elf *e)
{
	if (e->elf_class != 32 && e->elf_class != 64)
		abort();
	if (e->needed.n > BD_APK_ELF_MAX_NEEDED)
		abort();
	if (e->interp && (strlen(e->interp) == 0 || strlen(e->interp) > BD_APK_ELF_MAX_STR))
		abort();
	if (!e->dynamic && (e->soname || e->needed.n || e->rpath || e->runpath))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct bd_apk_elf a, b;
	struct bd_err err;
	int ra, rb;

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
	}
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0 || bd_write_all(fd, data, size) < 0)
		abort();

	ra = bd_apk_elf_parse_buf(data, size, &a, &err);
	rb = bd_apk_elf_parse_fd(fd, &b, &err);
	if ((ra == 0) != (rb == 0))
		abort();
	if (ra == 0) {
		check_sane(&a);
		check_same(&a, &b);
		bd_apk_elf_free(&a);
		bd_apk_elf_free(&b);
	}
	return 0;
}
