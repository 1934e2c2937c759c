/* SPDX-License-Identifier: MIT */
/* env: build environments made of APK packages (see env.c). */
#pragma once

#include <stdbool.h>

#include "common/err.h"
#include "common/util.h"

struct bd_env_spec {
	const char *arch;
	const struct bd_strv *repositories; /* URLs or paths, "@tag URL" allowed */
	const struct bd_strv *keyring;      /* public key files (or URLs) */
	const struct bd_strv *packages;     /* the world */
	const char *pkg_cache;              /* downloaded packages and indexes */
	const char *layer_cache;            /* extracted layers (cache/layers) */
};

struct bd_env_result {
	char *layer;             /* the layer directory (read-only use) */
	char digest[65];         /* sha256 of the resolved set */
	bool cached;             /* the layer was already there */
	struct bd_strv resolved; /* "name version checksum", install order */
};

int bd_env_build(const struct bd_env_spec *spec, struct bd_env_result *res, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_env_result_free(struct bd_env_result *res);
