/* SPDX-License-Identifier: MIT */
/* crypto: OpenSSL behind builderd's own types (see crypto.h).
 *
 * OpenSSL errors are drained from its error queue into the bd_err message
 * at this boundary, so callers never see OpenSSL types or codes. */
#include "apk/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Keys are small; anything larger than this is not a PEM key. */
#define KEY_FILE_MAX (64 * 1024)

struct bd_hash {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

struct bd_apk_privkey {
	EVP_PKEY *pkey;
	char name[256];
};

struct bd_apk_pubkey {
	EVP_PKEY *pkey;
};

struct bd_apk_sigcheck {
	EVP_MD_CTX *ctx;
};

static const EVP_MD *
md_of(enum bd_hash_alg alg)
{
	switch (alg) {
	case BD_HASH_SHA1:
		return EVP_sha1();
	case BD_HASH_SHA256:
		return EVP_sha256();
	case BD_HASH_SHA512:
		return EVP_sha512();
	default:
		BD_ASSERT(!"unknown hash algorithm");
		return NULL;
	}
}

/* Append OpenSSL's queued errors to @err's message and clear the queue. */
static int
ssl_err(struct bd_err *err, int code, const char *what)
{
	char buf[256];
	unsigned long e;
	size_t n;

	bd_err_setx(err, code, "%s", what);
	while ((e = ERR_get_error()) != 0) {
		n = strlen(err->msg);
		if (n + 4 >= sizeof(err->msg))
			continue;
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", buf);
	}
	return -err->code;
}

struct bd_hash *
bd_hash_new(enum bd_hash_alg alg)
{
	struct bd_hash *h = bd_xcalloc(1, sizeof(*h));

	h->md = md_of(alg);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1) {
		fprintf(stderr, "builderd: out of memory (digest context)\n");
		abort();
	}
	return h;
}

void
bd_hash_update(struct bd_hash *h, const void *data, size_t n)
{
	if (n)
		(void)EVP_DigestUpdate(h->ctx, data, n); /* cannot fail for software digests */
}

size_t
bd_hash_final(struct bd_hash *h, unsigned char *out)
{
	unsigned int len = 0;

	(void)EVP_DigestFinal_ex(h->ctx, out, &len);
	(void)EVP_DigestInit_ex(h->ctx, h->md, NULL);
	return len;
}

void
bd_hash_free(struct bd_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

size_t
bd_hash_len(enum bd_hash_alg alg)
{
	return (size_t)EVP_MD_get_size(md_of(alg));
}

size_t
bd_hash_buf(enum bd_hash_alg alg, const void *data, size_t n, unsigned char *out)
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, out, &len, md_of(alg), NULL) != 1) {
		fprintf(stderr, "builderd: digest failed\n");
		abort();
	}
	return len;
}

static int
write_pem_file(const char *path, mode_t mode, int (*emit)(BIO *, EVP_PKEY *), EVP_PKEY *pkey,
               struct bd_err *err)
{
	_cleanup_close_ int fd = -1;
	BIO *bio;
	char *data;
	long len;
	int r;

	bio = BIO_new(BIO_s_mem());
	if (!bio || emit(bio, pkey) != 1) {
		BIO_free(bio);
		return ssl_err(err, EIO, "encode key");
	}
	len = BIO_get_mem_data(bio, &data);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		BIO_free(bio);
		return bd_err_set(err, errno, "create %s", path);
	}
	r = bd_write_all(fd, data, (size_t)len);
	BIO_free(bio);
	if (r < 0 || fsync(fd) < 0) {
		int e = r < 0 ? -r : errno;
		(void)unlink(path);
		return bd_err_set(err, e, "write %s", path);
	}
	return 0;
}

static int
emit_private(BIO *bio, EVP_PKEY *pkey)
{
	/* PKCS#8, unencrypted: what `openssl genrsa` writes with OpenSSL 3 */
	return PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
}

static int
emit_public(BIO *bio, EVP_PKEY *pkey)
{
	/* SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"): the only form apk reads */
	return PEM_write_bio_PUBKEY(bio, pkey);
}

int
bd_apk_key_generate(const char *dir, const char *name, int bits, struct bd_err *err)
{
	_cleanup_free_ char *priv = NULL;
	_cleanup_free_ char *pub = NULL;
	EVP_PKEY *pkey;
	int r;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return bd_err_setx(err, EINVAL, "invalid key name '%s'", name);
	if (bits < 2048 || bits > 16384)
		return bd_err_setx(err, EINVAL, "RSA key size %d out of range (2048..16384)", bits);
	priv = bd_xasprintf("%s/%s.rsa", dir, name);
	pub = bd_xasprintf("%s/%s.rsa.pub", dir, name);
	if (access(priv, F_OK) == 0)
		return bd_err_setx(err, EEXIST, "%s already exists", priv);
	if (access(pub, F_OK) == 0)
		return bd_err_setx(err, EEXIST, "%s already exists", pub);
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!pkey)
		return ssl_err(err, EIO, "generate RSA key");
	r = write_pem_file(priv, 0600, emit_private, pkey, err);
	if (r == 0) {
		r = write_pem_file(pub, 0644, emit_public, pkey, err);
		if (r < 0)
			(void)unlink(priv);
	}
	EVP_PKEY_free(pkey);
	return r;
}

static int
read_key_file(int dirfd, const char *path, struct bd_buf *out, struct bd_err *err)
{
	return bd_read_file_at(dirfd, path, KEY_FILE_MAX, out, err);
}

struct bd_apk_privkey *
bd_apk_privkey_load(const char *path, struct bd_err *err)
{
	struct bd_buf pem = { 0 };
	struct bd_apk_privkey *key;
	const char *base;
	BIO *bio;
	EVP_PKEY *pkey;

	if (read_key_file(AT_FDCWD, path, &pem, err) < 0) {
		bd_buf_free(&pem);
		return NULL;
	}
	bio = BIO_new_mem_buf(pem.data, (int)pem.len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	explicit_bzero(pem.data, pem.len);
	bd_buf_free(&pem);
	if (!pkey) {
		ssl_err(err, EINVAL, "not a PEM private key");
		bd_err_prefix(err, "%s: ", path);
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		bd_err_setx(err, EINVAL, "%s: not an RSA key (APK v2 signatures are RSA)", path);
		return NULL;
	}
	key = bd_xcalloc(1, sizeof(*key));
	key->pkey = pkey;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(key->name, sizeof(key->name), "%s.pub", base);
	return key;
}

void
bd_apk_privkey_free(struct bd_apk_privkey *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *
bd_apk_privkey_name(const struct bd_apk_privkey *key)
{
	return key->name;
}

size_t
bd_apk_privkey_sig_len(const struct bd_apk_privkey *key)
{
	return (size_t)EVP_PKEY_get_size(key->pkey);
}

int
bd_apk_privkey_public_pem(const struct bd_apk_privkey *key, struct bd_buf *out, struct bd_err *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (!bio || emit_public(bio, key->pkey) != 1) {
		BIO_free(bio);
		return ssl_err(err, EIO, "encode public key");
	}
	len = BIO_get_mem_data(bio, &data);
	bd_buf_append(out, data, (size_t)len);
	BIO_free(bio);
	return 0;
}

int
bd_apk_sign(const struct bd_apk_privkey *key, enum bd_hash_alg alg, const void *data, size_t n,
            unsigned char *sig, size_t *siglen, struct bd_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = bd_apk_privkey_sig_len(key);
	int ok;

	if (!ctx)
		return ssl_err(err, ENOMEM, "sign");
	/* RSA keys sign with PKCS#1 v1.5 padding by default, as apk expects */
	ok = EVP_DigestSignInit(ctx, NULL, md_of(alg), NULL, key->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &len, data, n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return ssl_err(err, EIO, "sign");
	*siglen = len;
	return 0;
}

static struct bd_apk_pubkey *
pubkey_from_pem(const void *pem, size_t n, struct bd_err *err)
{
	struct bd_apk_pubkey *key;
	EVP_PKEY *pkey;
	BIO *bio;

	if (n > KEY_FILE_MAX) {
		bd_err_setx(err, EINVAL, "public key too large");
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)n);
	pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!pkey) {
		ssl_err(err, EINVAL, "not a PEM public key (BEGIN PUBLIC KEY)");
		return NULL;
	}
	key = bd_xcalloc(1, sizeof(*key));
	key->pkey = pkey;
	return key;
}

struct bd_apk_pubkey *
bd_apk_pubkey_from_pem(const void *pem, size_t n, struct bd_err *err)
{
	return pubkey_from_pem(pem, n, err);
}

struct bd_apk_pubkey *
bd_apk_pubkey_load_at(int keys_dirfd, const char *name, struct bd_err *err)
{
	struct bd_buf pem = { 0 };
	struct bd_apk_pubkey *key;

	/* the name comes from a signature entry: never let it leave the dir */
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		bd_err_setx(err, EINVAL, "invalid key name '%s'", name);
		return NULL;
	}
	if (read_key_file(keys_dirfd, name, &pem, err) < 0) {
		bd_buf_free(&pem);
		return NULL;
	}
	key = pubkey_from_pem(pem.data, pem.len, err);
	if (!key)
		bd_err_prefix(err, "key %s: ", name);
	bd_buf_free(&pem);
	return key;
}

void
bd_apk_pubkey_free(struct bd_apk_pubkey *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

struct bd_apk_sigcheck *
bd_apk_sigcheck_new(const struct bd_apk_pubkey *key, enum bd_hash_alg alg, struct bd_err *err)
{
	struct bd_apk_sigcheck *sc = bd_xcalloc(1, sizeof(*sc));

	sc->ctx = EVP_MD_CTX_new();
	if (!sc->ctx || EVP_DigestVerifyInit(sc->ctx, NULL, md_of(alg), NULL, key->pkey) != 1) {
		ssl_err(err, EINVAL, "cannot verify with this key");
		bd_apk_sigcheck_free(sc);
		return NULL;
	}
	return sc;
}

void
bd_apk_sigcheck_update(struct bd_apk_sigcheck *sc, const void *data, size_t n)
{
	if (n)
		(void)EVP_DigestVerifyUpdate(sc->ctx, data, n);
}

bool
bd_apk_sigcheck_final(struct bd_apk_sigcheck *sc, const unsigned char *sig, size_t siglen)
{
	bool ok = EVP_DigestVerifyFinal(sc->ctx, sig, siglen) == 1;

	ERR_clear_error();
	return ok;
}

void
bd_apk_sigcheck_free(struct bd_apk_sigcheck *sc)
{
	if (!sc)
		return;
	EVP_MD_CTX_free(sc->ctx);
	free(sc);
}
