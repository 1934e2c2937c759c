/* SPDX-License-Identifier: MIT */
/* base64: standard alphabet with '=' padding (RFC 4648 section 4), used for
 * APK checksums ("Q1" + base64) and for side files in API requests. */
#pragma once

#include <stddef.h>

/* Encode @n bytes; returns a malloc'd NUL-terminated string. */
char *bd_base64_encode(const void *data, size_t n);
/* Decode @n characters into a malloc'd buffer (*out, NUL-terminated for
 * convenience).  Returns the decoded length, or -1 (and *out NULL) for
 * anything that is not canonical padded base64. */
long bd_base64_decode(const char *in, size_t n, char **out);
