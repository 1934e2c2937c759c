/* SPDX-License-Identifier: MIT */
/* libFuzzer target: APKINDEX text and .PKGINFO text parsers, plus the
 * re-serialisation of whatever parses (it must parse again). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apk/index.h"
#include "apk/pkginfo.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bd_apk_index idx = { 0 }, again = { 0 };
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_err err;

	if (bd_apk_index_parse((const char *)data, size, "fuzz", &idx, &err) == 0) {
		struct bd_buf b = { 0 };
		for (size_t i = 0; i < idx.n; i++)
			bd_apk_index_format_entry_as_read(&idx.v[i], &b);
		/* what we write from a parsed index must parse back */
		if (bd_apk_index_parse(b.data ? b.data : "", b.len, "again", &again, &err) != 0 ||
		    again.n != idx.n)
			abort();
		bd_buf_free(&b);
	}
	bd_apk_index_free(&idx);
	bd_apk_index_free(&again);
	(void)bd_apk_pkginfo_parse((const char *)data, size, &pi, &err);
	bd_apk_pkginfo_free(&pi);
	return 0;
}
