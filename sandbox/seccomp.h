/* SPDX-License-Identifier: MIT */
/* seccomp: the sandbox's syscall filter (threats.md rows 10, 21, 23, 24,
 * 26, 30–33).  The only file that uses libseccomp.
 *
 * The filter is a default-allow denylist modelled on Docker's profile
 * (sandbox.md §4), for the native architecture only: any other ABI (i386
 * `int $0x80`, x32) kills the process.  It is compiled once into classic BPF
 * in the parent; the child loads the raw program with seccomp(2) as the very
 * last step before exec, so the filter never has to allow setup syscalls. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum bd_seccomp_cmp {
	BD_SC_ALWAYS = 0, /* the whole syscall */
	BD_SC_MASKED_EQ,  /* (arg & mask) == value */
};

struct bd_seccomp_rule {
	const char *name; /* syscall name as libseccomp knows it */
	int fallback_nr;  /* native number if libseccomp is older than the syscall; -1 */
	int errno_ret;    /* errno returned to the caller */
	enum bd_seccomp_cmp cmp;
	unsigned arg; /* argument index for BD_SC_MASKED_EQ */
	uint64_t mask, value;
};

/* The table, for tests and docs; the personality rules are generated. */
extern const struct bd_seccomp_rule bd_seccomp_rules[];
extern const size_t bd_seccomp_n_rules;

struct bd_seccomp_prog {
	const struct sock_filter *insns;
	unsigned short len;
};

/* The filter compiled at build time by seccomp-gen (linked into
 * builder-sandbox, not into the library). */
extern const struct bd_seccomp_prog bd_seccomp_native;

/* Compile the filter.  Returns 0 or -errno with @err naming the rule. */
int bd_seccomp_build(struct bd_seccomp_prog *prog, struct bd_err *err)
    __attribute__((warn_unused_result));
void bd_seccomp_prog_free(struct bd_seccomp_prog *prog);

/* Install @prog on the calling thread with seccomp(SECCOMP_SET_MODE_FILTER).
 * Needs no_new_privs (or CAP_SYS_ADMIN).  No allocation: safe in the child.
 * Returns 0 or -errno. */
int bd_seccomp_load(const struct bd_seccomp_prog *prog);
