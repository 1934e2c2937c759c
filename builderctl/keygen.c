/* SPDX-License-Identifier: MIT */
/* builderctl keygen: create an RSA signing key pair for packages and
 * indexes, named as abuild-keygen and melange keygen name theirs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apk/crypto.h"
#include "builderctl/builderctl.h"
#include "common/util.h"

static const char usage[] =
    "Usage: builderctl keygen [--name NAME] [--dir DIR] [--bits N]\n"
    "\n"
    "Generate an RSA key pair: DIR/NAME.rsa (private, mode 0600) and\n"
    "DIR/NAME.rsa.pub (public, SubjectPublicKeyInfo PEM). The public key's\n"
    "file name is the key name recorded in signatures: trust it by copying it\n"
    "to /etc/apk/keys/NAME.rsa.pub.\n"
    "\n"
    "  --name NAME  key name (default: $PACKAGER's e-mail, else $USER, else\n"
    "               'builderd', followed by '-' and the hex unix time)\n"
    "  --dir DIR    output directory, created (0700) if missing (default: .)\n"
    "  --bits N     RSA modulus size (default: 4096)\n";

static void
default_name(char *buf, size_t size)
{
	const char *packager = getenv("PACKAGER");
	const char *user = getenv("USER");
	char who[128] = "builderd";

	/* abuild-keygen: the e-mail inside "Name <mail>", else the user name */
	if (packager && strchr(packager, '<')) {
		const char *lt = strchr(packager, '<') + 1;
		const char *gt = strchr(lt, '>');
		if (gt && gt > lt && (size_t)(gt - lt) < sizeof(who))
			snprintf(who, sizeof(who), "%.*s", (int)(gt - lt), lt);
	} else if (user && *user && !strchr(user, '/')) {
		snprintf(who, sizeof(who), "%s", user);
	}
	snprintf(buf, size, "%s-%08lx", who, (unsigned long)time(NULL));
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "bits", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char name[256] = "";
	const char *dir = ".";
	uint64_t bits = 4096;
	struct bd_err err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			snprintf(name, sizeof(name), "%s", optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			if (bd_parse_u64(optarg, 65536, &bits) < 0)
				return bctl_usage_error(bctl_current,
				                        "--bits: '%s' is not a number", optarg);
			break;
		default:
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if (optind != argc)
		return bctl_usage_error(bctl_current, "unexpected argument '%s'", argv[optind]);
	if (!name[0])
		default_name(name, sizeof(name));
	/* accept NAME.rsa as well as NAME */
	if (bd_str_has_suffix(name, ".rsa"))
		name[strlen(name) - 4] = '\0';
	/* a directory we create holds a private key: keep it private */
	if (bd_mkdir_p(dir, 0700, &err) < 0 ||
	    bd_apk_key_generate(dir, name, (int)bits, &err) < 0) {
		bctl_error("keygen: %s", err.msg);
		return err.code == EINVAL ? BCTL_EXIT_USAGE : BCTL_EXIT_FAIL;
	}
	printf("%s/%s.rsa\n%s/%s.rsa.pub\n", dir, name, dir, name);
	return BCTL_EXIT_OK;
}

BCTL_VERB(keygen, "keygen", "generate an RSA signing key pair", usage, run)
