/* SPDX-License-Identifier: MIT */
/* env: build environments made of APK packages (see env.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

/* How install scripts run: @run executes @argv (argv[0] is a path inside
 * the root) as root in a sandbox with no network whose root filesystem is
 * the directory @root under an overlay with its upper dir in @ovl/upper
 * (kept after the run).  It returns 0 with the exit status in *status, or
 * a negative errno with @err when the sandbox could not run. */
struct bd_env_scripts {
	int (*run)(void *ctx, const char *root, const char *ovl, const char *const *argv,
	           int *status, struct bd_err *err);
	void *ctx;
	uint64_t id_base; /* host id of root inside: what upper dir owners are shifted by */
};

struct bd_env_spec {
	const char *arch;
	const struct bd_strv *repositories;   /* URLs or paths, "@tag URL" allowed */
	const struct bd_strv *keyring;        /* public key files (or URLs) */
	const struct bd_strv *packages;       /* the world */
	const char *pkg_cache;                /* downloaded packages and indexes */
	const char *layer_cache;              /* extracted layers (cache/layers) */
	const struct bd_env_scripts *scripts; /* NULL: install scripts are not run */
};

struct bd_env_result {
	char *layer;             /* the layer directory (read-only use) */
	char digest[65];         /* sha256 of the resolved set */
	bool cached;             /* the layer was already there */
	struct bd_strv resolved; /* "name version checksum", install order */
	/* where a built environment's time went (ns) */
	uint64_t solve_ns;   /* indexes loaded and verified, world resolved */
	uint64_t fetch_ns;   /* packages downloaded or found in the cache, verified */
	uint64_t install_ns; /* extraction, scripts, the apk database */
	uint64_t scripts_ns; /* of install_ns: install scripts and triggers */
	unsigned nscripts;
};

int bd_env_build(const struct bd_env_spec *spec, struct bd_env_result *res, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_env_result_free(struct bd_env_result *res);
