/* SPDX-License-Identifier: MIT */
/* crypto: hashes, RSA keys and APK signatures.  The only file that uses
 * OpenSSL; its types never leave apk/crypto.c.
 *
 * APK v2 signatures are RSASSA-PKCS1-v1_5 over SHA-1 (".SIGN.RSA."),
 * SHA-256 (".SIGN.RSA256.") or SHA-512 (".SIGN.RSA512."), computed over
 * compressed gzip bytes (apk-format.md sections 3 and 6). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum bd_hash_alg {
	BD_HASH_SHA1,
	BD_HASH_SHA256,
	BD_HASH_SHA512,
};

#define BD_HASH_MAX 64

struct bd_hash;

struct bd_hash *bd_hash_new(enum bd_hash_alg alg);
void bd_hash_update(struct bd_hash *h, const void *data, size_t n);
/* Write the digest to @out (BD_HASH_MAX bytes) and return its length.
 * The context is reset and can be reused for the same algorithm. */
size_t bd_hash_final(struct bd_hash *h, unsigned char *out);
void bd_hash_free(struct bd_hash *h);
size_t bd_hash_len(enum bd_hash_alg alg);
/* One-shot digest. */
size_t bd_hash_buf(enum bd_hash_alg alg, const void *data, size_t n, unsigned char *out);

/* Private (signing) key.  Its name is the file name of the matching public
 * key (private path + ".pub"), which is what signature entries record. */
struct bd_apk_privkey;
/* Public key read from a keys directory. */
struct bd_apk_pubkey;

/* Generate an RSA key of @bits and write DIR/NAME.rsa (0600, PKCS#8 PEM)
 * and DIR/NAME.rsa.pub (0644, SubjectPublicKeyInfo PEM).  Refuses to
 * overwrite existing files. */
int bd_apk_key_generate(const char *dir, const char *name, int bits, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Load a PEM private key from @path.  The key name is basename(@path) +
 * ".pub" (abuild's convention). */
struct bd_apk_privkey *bd_apk_privkey_load(const char *path, struct bd_err *err);
void bd_apk_privkey_free(struct bd_apk_privkey *key);
const char *bd_apk_privkey_name(const struct bd_apk_privkey *key);
/* Size of a signature made with this key, in bytes. */
size_t bd_apk_privkey_sig_len(const struct bd_apk_privkey *key);
/* Write the public half as SPKI PEM into @out (appended). */
struct bd_buf;
int bd_apk_privkey_public_pem(const struct bd_apk_privkey *key, struct bd_buf *out,
                              struct bd_err *err) __attribute__((warn_unused_result));

/* Sign @n bytes; writes the raw signature to @sig (bd_apk_privkey_sig_len
 * bytes) and stores its length in *siglen. */
int bd_apk_sign(const struct bd_apk_privkey *key, enum bd_hash_alg alg, const void *data, size_t n,
                unsigned char *sig, size_t *siglen, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Load the public key file @name below @keys_dirfd (no path separators in
 * @name).  Returns NULL with err->code ENOENT when the file does not
 * exist, EINVAL when it is not a PEM public key. */
struct bd_apk_pubkey *bd_apk_pubkey_load_at(int keys_dirfd, const char *name, struct bd_err *err);
/* Load a public key from a PEM buffer (for tests and --pubkey). */
struct bd_apk_pubkey *bd_apk_pubkey_from_pem(const void *pem, size_t n, struct bd_err *err);
void bd_apk_pubkey_free(struct bd_apk_pubkey *key);

/* Streaming signature verification. */
struct bd_apk_sigcheck;
struct bd_apk_sigcheck *bd_apk_sigcheck_new(const struct bd_apk_pubkey *key, enum bd_hash_alg alg,
                                            struct bd_err *err);
void bd_apk_sigcheck_update(struct bd_apk_sigcheck *sc, const void *data, size_t n);
/* True when @sig is a valid signature over everything fed so far. */
bool bd_apk_sigcheck_final(struct bd_apk_sigcheck *sc, const unsigned char *sig, size_t siglen);
void bd_apk_sigcheck_free(struct bd_apk_sigcheck *sc);
