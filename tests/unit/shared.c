/* SPDX-License-Identifier: MIT */
/* shared: helpers linked into every unit-test binary (see shared.h). */
#include "tests/unit/shared.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/util.h"

bool
bd_test_shared_path(char *buf, size_t size, const char *rel)
{
	const char *root = getenv("BUILDERD_SHARED");
	struct stat st;

	if (!root || !*root) {
		printf("# BUILDERD_SHARED is not set and ../shared is absent: skipping %s\n", rel);
		return false;
	}
	snprintf(buf, size, "%s/%s", root, rel);
	if (stat(buf, &st) < 0) {
		printf("# %s not found: skipping\n", buf);
		return false;
	}
	return true;
}

char *
bd_test_mkdtemp(void)
{
	char *p = bd_xstrdup("/tmp/bd-unit-XXXXXX");

	if (!mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

void
bd_test_rmtree(const char *path)
{
	struct bd_err err;

	if (bd_rm_rf_at(AT_FDCWD, path, &err) < 0)
		printf("# cleanup of %s failed: %s\n", path, err.msg);
}
