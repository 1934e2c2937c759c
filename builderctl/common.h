/* SPDX-License-Identifier: MIT */
/* common: helpers shared by several builderctl verbs. */
#pragma once

#include <stdint.h>

#include "apk/crypto.h"
#include "builderctl/builderctl.h"

/* SOURCE_DATE_EPOCH from the environment, or the current time when unset.
 * Prints an error and returns -EINVAL when it is malformed. */
int bctl_source_date_epoch(uint64_t *out);

/* "RSA" (SHA-1), "RSA256" or "RSA512" to a digest; -EINVAL otherwise. */
int bctl_parse_sign_type(const char *s, enum bd_hash_alg *alg);
