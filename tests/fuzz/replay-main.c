/* SPDX-License-Identifier: MIT */
/* replay-main: run a libFuzzer target over files without libFuzzer.
 *
 * Linked with a fuzz_<name>.c by tests/fuzz/replay so that the seed corpora
 * run in every `make check` with the normal compiler and libraries (and
 * under ASan when the build is sanitized).  Prints one TAP line per file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int failed = 0;

	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf = NULL;
		size_t len = 0, cap = 0, n;

		if (!f) {
			printf("not ok %d - %s: cannot open\n", i, argv[i]);
			failed = 1;
			continue;
		}
		do {
			if (len == cap) {
				cap = cap ? cap * 2 : 65536;
				unsigned char *nb = realloc(buf, cap);
				if (!nb)
					abort();
				buf = nb;
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
		fflush(stdout);
	}
	return failed;
}
