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

/* For --root-caps, in the child as sandbox root: keep only the file
 * capabilities package install scripts use as root (CAP_CHOWN,
 * CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
 * CAP_SETUID, CAP_SETGID), all of them confined to the sandbox's user
 * namespace: the bounding set is cut to them, ambient raising is locked
 * off, uid and gid stay 0 (so the command keeps them across execve, as root
 * does), and the result is checked (no CAP_SYS_ADMIN, nothing outside the
 * set).  Returns 0 or -errno with @err naming the step. */
int bd_caps_keep_root_files(const struct bd_caps *caps, struct bd_err *err)
    __attribute__((warn_unused_result));
