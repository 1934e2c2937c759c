/* SPDX-License-Identifier: MIT */
/* builderctl verify: check packages and indexes against trusted keys.
 *
 * One line per file: "FILE: OK" or "FILE: <verdict>: <reason>" with apk
 * verify's verdicts (UNTRUSTED, BAD signature, BAD archive, IO ERROR).
 * Beyond apk verify, per-file checksums and install-time structure are
 * checked too (apk/reader.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apk/reader.h"
#include "builderctl/builderctl.h"
#include "common/cleanup.h"

static const char usage[] =
    "Usage: builderctl verify --keys-dir DIR FILE...\n"
    "\n"
    "Verify APK packages and APKINDEX.tar.gz files: signatures against the\n"
    "public keys in DIR (file name = key name, as /etc/apk/keys), the package\n"
    "identity and datahash, every file's checksum, and the archive structure.\n"
    "Prints one line per file and exits 0 only if every file verifies.\n"
    "\n"
    "  --keys-dir DIR   directory of trusted public keys (required)\n"
    "  -q, --quiet      print only failures\n";

static const char *
strip_prefix(const char *msg, const char *what)
{
	size_t n = strlen(what);

	if (strncmp(msg, what, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keys-dir", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keys_dir = NULL;
	_cleanup_close_ int kfd = -1;
	bool quiet = false;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "hqk:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keys_dir = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if (!keys_dir)
		return bctl_usage_error(bctl_current, "--keys-dir is required");
	if (optind == argc)
		return bctl_usage_error(bctl_current, "no file to verify");
	kfd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (kfd < 0) {
		bctl_error("verify: keys directory %s: %s", keys_dir, strerror(errno));
		return BCTL_EXIT_FAIL;
	}
	for (int i = optind; i < argc; i++) {
		struct bd_apk_read_opts ro = { .keys_dirfd = kfd };
		struct bd_apk_file f;
		struct bd_err err = { 0 };

		if (bd_apk_read_path(argv[i], &ro, &f, &err) < 0) {
			failed++;
			printf("%s: %s: %s\n", argv[i], bd_apk_status_str(f.status),
			       strip_prefix(err.msg, argv[i]));
		} else if (!quiet) {
			if (f.kind == BD_APK_KIND_PACKAGE)
				printf("%s: OK (package %s-%s, key %s)\n", argv[i], f.pkginfo.name,
				       f.pkginfo.version, f.signer);
			else
				printf("%s: OK (index, %zu packages, key %s)\n", argv[i], f.index.n,
				       f.signer);
		}
		bd_apk_file_free(&f);
	}
	fflush(stdout);
	return failed ? BCTL_EXIT_FAIL : BCTL_EXIT_OK;
}

BCTL_VERB(verify, "verify", "verify packages and indexes against trusted keys", usage, run)
