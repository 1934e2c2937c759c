/* SPDX-License-Identifier: MIT */
/* config: builderd's settings, from defaults, a config file and the
 * command line (in that order of precedence, lowest first).
 *
 * The file format is one "key = value" per line, '#' comments, repeated
 * keys for lists (extra_ro_path, mirror, pipeline_dir).  Every key is
 * documented in docs/operations.md and in contrib/builderd.conf. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/util.h"

struct bd_config {
	char *state_dir;      /* /var/lib/builderd */
	char *socket_path;    /* /run/builderd/builderd.sock */
	char *socket_group;   /* group allowed to submit (NULL: root only) */
	unsigned socket_mode; /* 0660 */
	int workers;          /* concurrent jobs; 0 = queue only */
	char *rootfs;         /* base layer: directory or tarball (NULL: built-in busybox) */
	char *rootfs_sha256;  /* pin for a tarball rootfs */
	char *key;            /* signing key (NULL: state_dir/keys/builderd.rsa) */
	struct bd_strv extra_ro_paths; /* host paths bound read-only into every sandbox */
	struct bd_strv mirrors;        /* source mirrors, consulted by digest first */
	struct bd_strv pipeline_dirs;  /* extra pipeline directories for recipes */
	char *arch;                    /* default target arch (the host's) */
	char *sandbox;                 /* path of builder-sandbox */
	uint64_t memory_limit;         /* bytes per job (0 = none) */
	uint64_t pids_limit;
	uint64_t cpu_limit;     /* in 1/1000 CPUs (0 = none) */
	uint64_t tmpfs_size;    /* /tmp inside the sandbox */
	uint64_t job_timeout;   /* seconds per job */
	int max_attempts;       /* runs of a job whose runner got lost */
	uint64_t grace_period;  /* seconds to let jobs finish on SIGTERM */
	uint64_t lease_seconds; /* lease length, renewed while a runner lives */
	uint64_t max_body;      /* bytes per API request body */
	uint64_t max_recipe;    /* bytes per recipe */
	uint64_t max_files;     /* bytes of side files per job */
	uint64_t max_followers; /* concurrent log followers */
	uint64_t max_followers_per_uid;
	uint64_t source_date_epoch; /* default when a job has none (0: submission time) */
	bool allow_no_checksum;     /* accept fetch steps without a checksum */
	int log_level;
	bool foreground;
	char *config_path; /* the file read, or NULL */
};

/* Defaults that work out of the box. */
void bd_config_defaults(struct bd_config *c);
/* Apply @path.  Errors name the file and line. */
int bd_config_load(struct bd_config *c, const char *path, struct bd_err *err)
    __attribute__((warn_unused_result));
/* Apply one "key = value" setting (also used for command-line options). */
int bd_config_set(struct bd_config *c, const char *key, const char *value, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_config_free(struct bd_config *c);
