/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the package/index reader (apk/reader.c) and everything
 * below it (gzip members, tar parser, .PKGINFO and APKINDEX parsers,
 * signature lookup).  Input: any bytes, read as a file.  A keys directory
 * with one public key is created once so the key-loading and verification
 * paths run too. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "apk/crypto.h"
#include "apk/reader.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int keys_fd = -1;

static void
init_keys(void)
{
	char tmpl[] = "/tmp/bd-fuzz-keys-XXXXXX";
	struct bd_err err;

	if (!mkdtemp(tmpl))
		abort();
	/* signatures name their key; seeds made by tests/fuzz/replay use "fuzz" */
	if (bd_apk_key_generate(tmpl, "fuzz", 2048, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	keys_fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bd_apk_file f;
	struct bd_err err;
	int fd;

	if (keys_fd < 0)
		init_keys();
	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	struct bd_apk_read_opts ro = { .keys_dirfd = (size & 1) ? keys_fd : -1,
		                       .list_entries = (size & 2) != 0,
		                       .keep_index_text = (size & 4) != 0,
		                       .keep_scripts = (size & 8) != 0 };
	(void)bd_apk_read(fd, "fuzz", &ro, &f, &err);
	bd_apk_file_free(&f);
	close(fd);
	return 0;
}
