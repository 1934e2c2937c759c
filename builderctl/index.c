/* SPDX-License-Identifier: MIT */
/* builderctl index: write a signed APKINDEX.tar.gz for a set of packages. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apk/index.h"
#include "apk/reader.h"
#include "builderctl/common.h"
#include "common/cleanup.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl index --key KEY.rsa [-o APKINDEX.tar.gz] [--description TEXT]\n"
    "                        [--keys-dir DIR] [--sign-type T] PKG.apk...\n"
    "\n"
    "Read each package (structure, identity and datahash are checked; with\n"
    "--keys-dir also its signature) and write a signed index listing them,\n"
    "sorted by name, in the format `apk index` writes. Serve the index and\n"
    "the packages from REPO/<arch>/.\n"
    "\n"
    "  --key KEY.rsa        private key to sign the index (required)\n"
    "  -o, --output FILE    output (default: APKINDEX.tar.gz)\n"
    "  --description TEXT   DESCRIPTION entry (shown by `apk update`)\n"
    "  --keys-dir DIR       also require every package's signature to verify\n"
    "  --sign-type T        RSA256 (default), RSA (SHA-1) or RSA512\n";

enum { O_KEY = 256, O_DESC, O_KEYS, O_SIGNTYPE };

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "output", required_argument, NULL, 'o' },
		{ "description", required_argument, NULL, O_DESC },
		{ "keys-dir", required_argument, NULL, O_KEYS },
		{ "sign-type", required_argument, NULL, O_SIGNTYPE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keypath = NULL, *out = "APKINDEX.tar.gz", *desc = NULL, *keys = NULL;
	enum bd_hash_alg alg = BD_HASH_SHA256;
	struct bd_apk_privkey *key = NULL;
	struct bd_apk_index idx = { 0 };
	struct bd_buf file = { 0 };
	struct bd_err err = { 0 };
	_cleanup_close_ int kfd = -1;
	uint64_t mtime;
	int c, ret = BCTL_EXIT_FAIL;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case O_KEY:
			keypath = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case O_DESC:
			desc = optarg;
			break;
		case O_KEYS:
			keys = optarg;
			break;
		case O_SIGNTYPE:
			if (bctl_parse_sign_type(optarg, &alg) < 0)
				return bctl_usage_error(
				    bctl_current, "--sign-type: expected RSA, RSA256 or RSA512");
			break;
		default:
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if (!keypath)
		return bctl_usage_error(bctl_current, "--key is required");
	if (optind == argc)
		return bctl_usage_error(bctl_current, "no package given");
	if (bctl_source_date_epoch(&mtime) < 0)
		return BCTL_EXIT_USAGE;
	if (keys) {
		kfd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (kfd < 0) {
			bctl_error("index: keys directory %s: %s", keys, strerror(errno));
			return BCTL_EXIT_FAIL;
		}
	}
	key = bd_apk_privkey_load(keypath, &err);
	if (!key) {
		bctl_error("index: %s", err.msg);
		return BCTL_EXIT_FAIL;
	}
	for (int i = optind; i < argc; i++) {
		/* per-file checksums are the package writer's business; the index
		 * needs identity, size and a datahash that matches */
		struct bd_apk_read_opts ro = { .keys_dirfd = kfd, .skip_file_checksums = true };
		struct bd_apk_file f;

		if (bd_apk_read_path(argv[i], &ro, &f, &err) < 0) {
			bctl_error("index: %s: %s", bd_apk_status_str(f.status), err.msg);
			bd_apk_file_free(&f);
			goto out;
		}
		if (f.kind != BD_APK_KIND_PACKAGE) {
			bctl_error("index: %s: is an index, not a package", argv[i]);
			bd_apk_file_free(&f);
			goto out;
		}
		for (size_t k = 0; k < idx.n; k++) {
			const struct bd_apk_pkginfo *o = &idx.v[k].pi;
			if (strcmp(o->name, f.pkginfo.name) == 0 &&
			    strcmp(o->version, f.pkginfo.version) == 0 &&
			    strcmp(o->arch ? o->arch : "", f.pkginfo.arch ? f.pkginfo.arch : "") ==
			        0) {
				bctl_error("index: %s: %s-%s is listed twice", argv[i], o->name,
				           o->version);
				bd_apk_file_free(&f);
				goto out;
			}
		}
		bd_apk_index_add(&idx, &f.pkginfo, f.identity, f.file_size);
		bd_apk_file_free(&f);
	}
	bd_apk_index_sort(&idx);
	if (desc)
		idx.description = bd_xstrdup(desc);
	if (bd_apk_index_write(&idx, key, alg, mtime, &file, &err) < 0 ||
	    bd_write_file_atomic(out, file.data, file.len, 0644, &err) < 0) {
		bctl_error("index: %s", err.msg);
		goto out;
	}
	printf("%s: %zu packages, signed with %s\n", out, idx.n, bd_apk_privkey_name(key));
	ret = BCTL_EXIT_OK;
out:
	bd_buf_free(&file);
	bd_apk_index_free(&idx);
	bd_apk_privkey_free(key);
	return ret;
}

BCTL_VERB(index, "index", "write a signed APKINDEX.tar.gz for packages", usage, run)
