/* SPDX-License-Identifier: MIT */
/* caps: drop every capability and switch to the build user (sandbox.md §6
 * step 5.6).  The only file that uses libcap. */
#pragma once

#include <sys/types.h>

#include "common/err.h"

/* An empty capability state, allocated in the parent so the child between
 * clone() and execve() never allocates. */
struct bd_caps;

struct bd_caps *bd_caps_prepare(struct bd_err *err);
void bd_caps_free(struct bd_caps *caps);

/* In the child, as sandbox root with a full set in its user namespace:
 * empty the bounding set (needs CAP_SETPCAP, so first), lock the
 * securebits that would let root regain caps on exec, setresgid/setresuid
 * to @uid/@gid, then clear the effective, permitted and inheritable sets
 * and the ambient set, and check the result.  Returns 0 or -errno with @err
 * naming the step. */
int bd_caps_drop_to(const struct bd_caps *caps, uid_t uid, gid_t gid, struct bd_err *err)
    __attribute__((warn_unused_result));
