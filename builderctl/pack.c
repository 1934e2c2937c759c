/* SPDX-License-Identifier: MIT */
/* builderctl pack: build a signed APK v2 package from a directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apk/pack.h"
#include "builderctl/common.h"
#include "common/cleanup.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl pack --root DIR --name N --version V --key KEY.rsa -o OUT.apk\n"
    "                       [OPTIONS]\n"
    "\n"
    "Package the tree below DIR as an APK v2 package signed with KEY.rsa\n"
    "(key name KEY.rsa.pub). Entries are sorted, owned by root, and dated\n"
    "SOURCE_DATE_EPOCH (default: now): the same tree, key and epoch always give\n"
    "the same bytes. Only regular files, directories, symlinks and hardlinks\n"
    "within DIR are accepted.\n"
    "\n"
    "Metadata:\n"
    "  --name N               package name (required)\n"
    "  --version V            version with revision, e.g. 1.2.3-r0 (required)\n"
    "  --arch A               architecture (default: the host's)\n"
    "  --description D        --license L   --url U   --origin O\n"
    "  --maintainer M         --commit C\n"
    "  --depends \"a b>=1\"     runtime dependencies (repeatable)\n"
    "  --provides \"x=1 y\"     provides (repeatable)\n"
    "  --replaces \"p\"         packages whose files this one may overwrite\n"
    "  --install-if \"a b\"     install automatically when all are installed\n"
    "  --provider-priority N  priority among providers of the same name\n"
    "  --script TYPE=FILE     install script, TYPE one of pre-install,\n"
    "                         post-install, pre-deinstall, post-deinstall,\n"
    "                         pre-upgrade, post-upgrade, trigger (repeatable)\n"
    "  --triggers \"/dir/*\"    directories whose changes run the trigger script\n"
    "Signing and output:\n"
    "  --key KEY.rsa          private key (required)\n"
    "  --sign-type T          RSA256 (default), RSA (SHA-1, abuild's default) or RSA512\n"
    "  -o, --output OUT.apk   output file (required)\n"
    "  --compression-level N  gzip level of the data part, 1-9 (default 6)\n"
    "Output policy:\n"
    "  --allow-setuid         keep setuid/setgid bits instead of failing\n"
    "  --no-absolute-symlinks fail on symlinks to absolute paths\n"
    "  --strict-modes         fail on group/world-writable files\n"
    "  --owner UID            fail on entries not owned by UID\n";

enum {
	O_ROOT = 256,
	O_NAME,
	O_VERSION,
	O_ARCH,
	O_DESC,
	O_LICENSE,
	O_URL,
	O_ORIGIN,
	O_MAINT,
	O_COMMIT,
	O_DEPENDS,
	O_PROVIDES,
	O_REPLACES,
	O_INSTALL_IF,
	O_PRIO,
	O_SCRIPT,
	O_TRIGGERS,
	O_KEY,
	O_SIGNTYPE,
	O_LEVEL,
	O_SETUID,
	O_NOABS,
	O_STRICT,
	O_OWNER,
};

static int
add_list(const char *what, const char *arg, struct bd_strv *sv)
{
	struct bd_err err = { 0 };

	if (bd_apk_deps_split(arg, sv, &err) < 0)
		return bctl_usage_error(bctl_current, "--%s: %s", what, err.msg);
	return 0;
}

static void
free_scripts(struct bd_apk_script *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)(uintptr_t)s[i].type);
		free((char *)(uintptr_t)s[i].content);
	}
}

static int
add_script(const char *arg, struct bd_apk_script *scripts, size_t *n)
{
	const char *eq = strchr(arg, '=');
	struct bd_buf content = { 0 };
	struct bd_err err = { 0 };
	char type[64];

	if (!eq || eq == arg || (size_t)(eq - arg) + 2 > sizeof(type))
		return bctl_usage_error(bctl_current, "--script: expected TYPE=FILE, got '%s'",
		                        arg);
	snprintf(type, sizeof(type), ".%.*s", (int)(eq - arg), arg);
	if (!bd_apk_script_type_valid(type))
		return bctl_usage_error(bctl_current, "--script: unknown type '%.*s'",
		                        (int)(eq - arg), arg);
	for (size_t i = 0; i < *n; i++)
		if (strcmp(scripts[i].type, type) == 0)
			return bctl_usage_error(bctl_current, "--script: %s given twice", type + 1);
	if (*n >= 7)
		return bctl_usage_error(bctl_current, "--script: too many scripts");
	if (bd_read_file_at(AT_FDCWD, eq + 1, 4u << 20, &content, &err) < 0) {
		bctl_error("pack: script %s", err.msg);
		bd_buf_free(&content);
		return BCTL_EXIT_FAIL;
	}
	if (content.len < 2 || memcmp(content.data, "#!", 2) != 0)
		fprintf(stderr,
		        "builderctl pack: warning: %s has no #! line; apk executes scripts "
		        "directly\n",
		        eq + 1);
	scripts[*n].type = bd_xstrdup(type);
	scripts[*n].len = content.len;
	scripts[*n].content = bd_buf_steal(&content);
	(*n)++;
	return 0;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, O_ROOT },
		{ "name", required_argument, NULL, O_NAME },
		{ "version", required_argument, NULL, O_VERSION },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "description", required_argument, NULL, O_DESC },
		{ "license", required_argument, NULL, O_LICENSE },
		{ "url", required_argument, NULL, O_URL },
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "maintainer", required_argument, NULL, O_MAINT },
		{ "commit", required_argument, NULL, O_COMMIT },
		{ "depends", required_argument, NULL, O_DEPENDS },
		{ "provides", required_argument, NULL, O_PROVIDES },
		{ "replaces", required_argument, NULL, O_REPLACES },
		{ "install-if", required_argument, NULL, O_INSTALL_IF },
		{ "provider-priority", required_argument, NULL, O_PRIO },
		{ "script", required_argument, NULL, O_SCRIPT },
		{ "triggers", required_argument, NULL, O_TRIGGERS },
		{ "key", required_argument, NULL, O_KEY },
		{ "sign-type", required_argument, NULL, O_SIGNTYPE },
		{ "output", required_argument, NULL, 'o' },
		{ "compression-level", required_argument, NULL, O_LEVEL },
		{ "allow-setuid", no_argument, NULL, O_SETUID },
		{ "no-absolute-symlinks", no_argument, NULL, O_NOABS },
		{ "strict-modes", no_argument, NULL, O_STRICT },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bd_apk_pkginfo pi = { 0 };
	struct bd_apk_script scripts[8];
	size_t nscripts = 0;
	struct bd_apk_pack_opts po = { .sig_alg = BD_HASH_SHA256, .policy.expect_uid = -1 };
	const char *root = NULL, *keypath = NULL, *out = NULL;
	struct bd_apk_privkey *key = NULL;
	struct bd_apk_pack_result res;
	struct bd_err err = { 0 };
	_cleanup_close_ int rootfd = -1;
	uint64_t v;
	int c, ret = BCTL_EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case O_ROOT:
			root = optarg;
			break;
		case O_NAME:
			free(pi.name);
			pi.name = bd_xstrdup(optarg);
			break;
		case O_VERSION:
			free(pi.version);
			pi.version = bd_xstrdup(optarg);
			break;
		case O_ARCH:
			free(pi.arch);
			pi.arch = bd_xstrdup(optarg);
			break;
		case O_DESC:
			free(pi.description);
			pi.description = bd_xstrdup(optarg);
			break;
		case O_LICENSE:
			free(pi.license);
			pi.license = bd_xstrdup(optarg);
			break;
		case O_URL:
			free(pi.url);
			pi.url = bd_xstrdup(optarg);
			break;
		case O_ORIGIN:
			free(pi.origin);
			pi.origin = bd_xstrdup(optarg);
			break;
		case O_MAINT:
			free(pi.maintainer);
			pi.maintainer = bd_xstrdup(optarg);
			break;
		case O_COMMIT:
			free(pi.commit);
			pi.commit = bd_xstrdup(optarg);
			break;
		case O_DEPENDS:
			r = add_list("depends", optarg, &pi.depends);
			break;
		case O_PROVIDES:
			r = add_list("provides", optarg, &pi.provides);
			break;
		case O_REPLACES:
			r = add_list("replaces", optarg, &pi.replaces);
			break;
		case O_INSTALL_IF:
			r = add_list("install-if", optarg, &pi.install_if);
			break;
		case O_TRIGGERS:
			for (char *save = NULL, *t = strtok_r(optarg, " ", &save); t;
			     t = strtok_r(NULL, " ", &save))
				bd_strv_push(&pi.triggers, t);
			break;
		case O_PRIO: {
			bool neg = optarg[0] == '-';
			if (bd_parse_u64(optarg + neg, 1u << 30, &v) < 0) {
				r = bctl_usage_error(bctl_current,
				                     "--provider-priority: not a number");
				break;
			}
			pi.provider_priority = neg ? -(long)v : (long)v;
			pi.has_provider_priority = true;
			break;
		}
		case O_SCRIPT:
			r = add_script(optarg, scripts, &nscripts);
			break;
		case O_KEY:
			keypath = optarg;
			break;
		case O_SIGNTYPE:
			if (bctl_parse_sign_type(optarg, &po.sig_alg) < 0)
				r = bctl_usage_error(bctl_current,
				                     "--sign-type: expected RSA, RSA256 or RSA512");
			break;
		case 'o':
			out = optarg;
			break;
		case O_LEVEL:
			if (bd_parse_u64(optarg, 9, &v) < 0 || v < 1)
				r = bctl_usage_error(bctl_current, "--compression-level: 1 to 9");
			else
				po.level = (int)v;
			break;
		case O_SETUID:
			po.policy.allow_setuid = true;
			break;
		case O_NOABS:
			po.policy.forbid_absolute_symlinks = true;
			break;
		case O_STRICT:
			po.policy.reject_writable = true;
			break;
		case O_OWNER:
			if (bd_parse_u64(optarg, UINT32_MAX, &v) < 0)
				r = bctl_usage_error(bctl_current, "--owner: not a uid");
			else
				po.policy.expect_uid = (long)v;
			break;
		default:
			r = bctl_getopt_default(bctl_current, c);
			if (r == 0)
				r = -1; /* --help: done */
			break;
		}
		if (r != 0) {
			ret = r < 0 ? BCTL_EXIT_OK : r;
			goto out;
		}
	}
	if (optind != argc) {
		ret = bctl_usage_error(bctl_current, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!root || !pi.name || !pi.version || !keypath || !out) {
		ret = bctl_usage_error(bctl_current, "--root, --name, --version, --key and -o are "
		                                     "required");
		goto out;
	}
	if (!pi.arch)
		pi.arch = bd_xstrdup(bd_host_arch());
	if (bctl_source_date_epoch(&po.mtime) < 0) {
		ret = BCTL_EXIT_USAGE;
		goto out;
	}
	pi.builddate = po.mtime;
	ret = BCTL_EXIT_FAIL;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		bctl_error("pack: --root %s: %s", root, strerror(errno));
		goto out;
	}
	key = bd_apk_privkey_load(keypath, &err);
	if (!key) {
		bctl_error("pack: %s", err.msg);
		goto out;
	}
	po.info = &pi;
	po.key = key;
	po.scripts = scripts;
	po.nscripts = nscripts;
	po.generator = "builderctl " BD_VERSION;
	if (bd_apk_pack(rootfd, &po, out, &res, &err) < 0) {
		bctl_error("pack: %s", err.msg);
		goto out;
	}
	printf("%s: %s-%s (%llu entries, %llu bytes installed) C:%s\n", out, res.info.name,
	       res.info.version, (unsigned long long)res.nentries,
	       (unsigned long long)res.installed_size, res.identity);
	bd_apk_pkginfo_free(&res.info);
	ret = BCTL_EXIT_OK;
out:
	bd_apk_privkey_free(key);
	bd_apk_pkginfo_free(&pi);
	free_scripts(scripts, nscripts);
	return ret;
}

BCTL_VERB(pack, "pack", "build a signed APK package from a directory", usage, run)
