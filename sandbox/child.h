/* SPDX-License-Identifier: MIT */
/* child: what runs between clone() and execve() (sandbox.md §6 step 5).
 *
 * Everything the child needs is prepared by the parent in a struct
 * bd_child_ctx (resolved host paths, the environment, the compiled seccomp
 * program, the empty capability state), so the child only makes syscalls.
 * It never logs: a failure travels to the parent over the sync pipe as a
 * struct bd_sync_msg and the child exits 125 (style.md Example 3). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "sandbox/caps.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp.h"

enum bd_sync_type {
	BD_SYNC_ERROR = 1,  /* setup failed: err is set */
	BD_SYNC_STATUS = 2, /* the step ended: status is its wait status */
};

/* One message on the sync pipe; smaller than PIPE_BUF, so writes are atomic. */
struct bd_sync_msg {
	int type;
	int status;
	struct bd_err err;
};

/* An entry to create in the skeleton layer (a mount point the layers lack). */
struct bd_skel_entry {
	char *path; /* relative, e.g. "home/build" */
	bool is_dir;
};

struct bd_child_ctx {
	const struct bd_sandbox_spec *spec;
	int sync_fd;    /* write end, child -> parent */
	int release_fd; /* read end, parent -> child: "1" = id maps written, go;
			 * "2" = in every cgroup, the step may start; EOF = parent died */

	char **layers;                 /* absolute host paths, lowest first */
	struct bd_sandbox_bind *binds; /* src resolved to absolute host paths */
	struct bd_skel_entry *skel;
	size_t n_skel;
	const char *upper, *work; /* host paths, or NULL for the tmpfs upper */
	char **envp;

	const struct bd_seccomp_prog *seccomp; /* NULL: BD_UNSAFE_SECCOMP */
	const struct bd_caps *caps;
};

/* Work out the skeleton: which of the mount points @dsts (absolute paths
 * in the sandbox) no layer provides.  Layers lowest first.  Exposed for
 * tests; the caller frees out[i].path and *out. */
int bd_sandbox_skel(char **layers, size_t n_layers, const char *const *dsts, const bool *is_dir,
                    size_t n_dsts, struct bd_skel_entry **out, size_t *n_out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Run the child side.  Never returns. */
__attribute__((noreturn)) void bd_child_main(const struct bd_child_ctx *ctx);
