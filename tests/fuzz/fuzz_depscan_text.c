/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the text parsers of the dependency scan, pkg-config
 * files (variables, continuations, dependency lists) and shebang lines.
 * What they return must be what the scan can use: module names without
 * separators, a command name without a slash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apk/depscan.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bd_strv req = { 0 };
	struct bd_err err;
	char *cmd = NULL;

	if (bd_apk_pc_requires((const char *)data, size, &req, &err) == 0)
		for (size_t i = 0; i < req.n; i++)
			if (!*req.v[i] || strpbrk(req.v[i], ", \t\n<>=!"))
				abort();
	bd_strv_free(&req);

	if (bd_apk_shebang_cmd((const char *)data, size, &cmd, &err) == 0 && cmd) {
		if (!*cmd || strchr(cmd, '/') || strlen(cmd) > 256 || strcmp(cmd, ".") == 0 ||
		    strcmp(cmd, "..") == 0)
			abort();
	} else if (cmd) {
		abort(); /* no command on failure */
	}
	free(cmd);
	return 0;
}
