/* SPDX-License-Identifier: MIT */
/* keyring: the public keys an index or package signature may be checked
 * against, held in memory by name.
 *
 * apk looks a signature's key up by the file name recorded in the
 * signature entry (".SIGN.RSA.<name>") in /etc/apk/keys.  A keyring is the
 * same lookup without a directory: keys come from files, buffers or (in
 * apk/repo.c) URLs, each known by its base name.  Keys are validated when
 * added, so a bad keyring entry is an error at configuration time, not a
 * puzzling "UNTRUSTED" later. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "apk/crypto.h"
#include "common/err.h"

struct bd_apk_keyring_key {
	char name[256]; /* file name, as signature entries name it */
	char *pem;
	size_t len;
};

struct bd_apk_keyring {
	struct bd_apk_keyring_key *v;
	size_t n, cap;
};

/* Add a PEM public key named @name (a file name: no '/', not "." or "..").
 * Adding the same name twice is accepted when the bytes are equal and an
 * error otherwise (two different keys cannot share a name). */
int bd_apk_keyring_add_pem(struct bd_apk_keyring *kr, const char *name, const void *pem, size_t n,
                           struct bd_err *err) __attribute__((warn_unused_result));

/* Add the key file @path, named by its base name. */
int bd_apk_keyring_add_file(struct bd_apk_keyring *kr, const char *path, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Add every regular file of directory @dir (as /etc/apk/keys is read);
 * files that are not PEM public keys are errors. */
int bd_apk_keyring_add_dir(struct bd_apk_keyring *kr, const char *dir, struct bd_err *err)
    __attribute__((warn_unused_result));

/* A new public key for @name (free with bd_apk_pubkey_free()), or NULL
 * with err->code ENOENT when the keyring has no such key. */
struct bd_apk_pubkey *bd_apk_keyring_load(const struct bd_apk_keyring *kr, const char *name,
                                          struct bd_err *err);

/* Is @name a usable key name (a plain file name)? */
bool bd_apk_keyring_name_ok(const char *name);

void bd_apk_keyring_free(struct bd_apk_keyring *kr);
