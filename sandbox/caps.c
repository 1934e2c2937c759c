/* SPDX-License-Identifier: MIT */
/* caps: capability drop and uid switch (see caps.h).
 *
 * Order matters (crun's set_required_caps(), bwrap's drop_privs()):
 * PR_CAPBSET_DROP needs CAP_SETPCAP, so the bounding set goes first; a new
 * user namespace hands back a full bounding set, so it must be emptied in
 * the child, not inherited from the parent.  The securebits are locked so
 * that even a step running as sandbox uid 0 gains nothing from execve(). */
#include "sandbox/caps.h"

#include <errno.h>
#include <linux/securebits.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/util.h"

struct bd_caps {
	cap_t empty;
	cap_t root_files; /* effective and permitted: root_file_caps[] */
};

/* what --root-caps keeps (caps.h) */
static const cap_value_t root_file_caps[] = {
	CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
	CAP_FSETID, CAP_SETUID,       CAP_SETGID,
};

struct bd_caps *
bd_caps_prepare(struct bd_err *err)
{
	struct bd_caps *c = bd_xcalloc(1, sizeof(*c));

	c->empty = cap_init(); /* all three sets clear */
	c->root_files = cap_init();
	if (!c->empty || !c->root_files ||
	    cap_set_flag(c->root_files, CAP_EFFECTIVE, BD_ARRAY_SIZE(root_file_caps),
	                 root_file_caps, CAP_SET) < 0 ||
	    cap_set_flag(c->root_files, CAP_PERMITTED, BD_ARRAY_SIZE(root_file_caps),
	                 root_file_caps, CAP_SET) < 0) {
		bd_err_set(err, errno, "cap_init");
		bd_caps_free(c);
		return NULL;
	}
	return c;
}

void
bd_caps_free(struct bd_caps *caps)
{
	if (!caps)
		return;
	cap_free(caps->empty);
	cap_free(caps->root_files);
	free(caps);
}

int
bd_caps_drop_to(const struct bd_caps *caps, uid_t uid, gid_t gid, struct bd_err *err)
{
	/* cap_max_bits() is the running kernel's count, not the headers' */
	unsigned max = (unsigned)cap_max_bits();

	for (unsigned c = 0; c < max; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return bd_err_set(err, errno, "drop capability %u from the bounding set",
			                  c);
	/* NO_SETUID_FIXUP keeps the caps across setresuid until we clear them
	 * ourselves below; NOROOT stops uid 0 from regaining them on exec. */
	if (prctl(PR_SET_SECUREBITS,
	          SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	              SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	              SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
	          0, 0, 0) < 0)
		return bd_err_set(err, errno, "set securebits");
	if (setresgid(gid, gid, gid) < 0)
		return bd_err_set(err, errno, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return bd_err_set(err, errno, "setresuid %u", (unsigned)uid);
	if (cap_set_proc(caps->empty) < 0)
		return bd_err_set(err, errno, "clear capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return bd_err_set(err, errno, "clear ambient capabilities");
	/* check, as Nix's setUser() does: a silent partial drop is the worst case */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		return bd_err_setx(err, EPERM, "uid/gid switch to %u:%u did not take",
		                   (unsigned)uid, (unsigned)gid);
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SYS_ADMIN, 0, 0) > 0)
		return bd_err_setx(err, EPERM, "capabilities still present after the drop");
	{
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };

		if (capget(&hdr, data) < 0)
			return bd_err_set(err, errno, "capget");
		for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
			if (data[i].effective || data[i].permitted || data[i].inheritable)
				return bd_err_setx(err, EPERM, "capabilities not cleared");
	}
	return 0;
}

static bool
is_root_file_cap(unsigned c)
{
	for (size_t i = 0; i < BD_ARRAY_SIZE(root_file_caps); i++)
		if ((unsigned)root_file_caps[i] == c)
			return true;
	return false;
}

int
bd_caps_keep_root_files(const struct bd_caps *caps, struct bd_err *err)
{
	unsigned max = (unsigned)cap_max_bits();

	for (unsigned c = 0; c < max; c++)
		if (!is_root_file_cap(c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return bd_err_set(err, errno, "drop capability %u from the bounding set",
			                  c);
	if (prctl(PR_SET_SECUREBITS,
	          SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
	              SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
	          0, 0, 0) < 0)
		return bd_err_set(err, errno, "set securebits");
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return bd_err_set(err, errno, "setresuid 0");
	if (cap_set_proc(caps->root_files) < 0)
		return bd_err_set(err, errno, "set the root file capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return bd_err_set(err, errno, "clear ambient capabilities");
	for (unsigned c = 0; c < max; c++) {
		int in_bset = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in_bset > 0 && !is_root_file_cap(c))
			return bd_err_setx(err, EPERM, "capability %u still in the bounding set",
			                   c);
	}
	{
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 } };
		uint64_t allowed = 0, eff, perm;

		for (size_t i = 0; i < BD_ARRAY_SIZE(root_file_caps); i++)
			allowed |= 1ull << root_file_caps[i];
		if (capget(&hdr, data) < 0)
			return bd_err_set(err, errno, "capget");
		eff = data[0].effective | (uint64_t)data[1].effective << 32;
		perm = data[0].permitted | (uint64_t)data[1].permitted << 32;
		if ((eff | perm) & ~allowed || data[0].inheritable || data[1].inheritable)
			return bd_err_setx(err, EPERM, "capabilities beyond the root file set");
	}
	return 0;
}
