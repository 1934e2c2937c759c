/* SPDX-License-Identifier: MIT */
/* common: helpers shared by several builderctl verbs. */
#include "builderctl/common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"

int
bctl_source_date_epoch(uint64_t *out)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");

	if (!s || !*s) {
		*out = (uint64_t)time(NULL);
		return 0;
	}
	if (bd_parse_u64(s, UINT64_MAX / 2, out) < 0) {
		bctl_error("SOURCE_DATE_EPOCH='%s' is not a number of seconds", s);
		return -EINVAL;
	}
	return 0;
}

int
bctl_parse_sign_type(const char *s, enum bd_hash_alg *alg)
{
	if (strcmp(s, "RSA256") == 0 || strcmp(s, "rsa256") == 0 || strcmp(s, "sha256") == 0)
		*alg = BD_HASH_SHA256;
	else if (strcmp(s, "RSA") == 0 || strcmp(s, "rsa") == 0 || strcmp(s, "sha1") == 0)
		*alg = BD_HASH_SHA1;
	else if (strcmp(s, "RSA512") == 0 || strcmp(s, "rsa512") == 0 || strcmp(s, "sha512") == 0)
		*alg = BD_HASH_SHA512;
	else
		return -EINVAL;
	return 0;
}
