/* SPDX-License-Identifier: MIT */
/* shared: helpers linked into every unit-test binary. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Build "$BUILDERD_SHARED/<rel>" into @buf.  Returns false (after printing
 * a TAP comment saying why) when the reference folder is absent, so the
 * caller can skip(). */
bool bd_test_shared_path(char *buf, size_t size, const char *rel);

/* Make a fresh temporary directory; returns a malloc'd path. */
char *bd_test_mkdtemp(void);

/* rm -rf @path (test cleanup). */
void bd_test_rmtree(const char *path);
