/* SPDX-License-Identifier: MIT */
/* keyring: public keys by name, in memory (see keyring.h). */
#include "apk/keyring.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/util.h"

#define KEYRING_KEY_MAX (64 * 1024)
#define KEYRING_MAX_KEYS 256

bool
bd_apk_keyring_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < sizeof(((struct bd_apk_keyring_key *)0)->name) && !strchr(name, '/') &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static struct bd_apk_keyring_key *
find(const struct bd_apk_keyring *kr, const char *name)
{
	for (size_t i = 0; i < kr->n; i++)
		if (strcmp(kr->v[i].name, name) == 0)
			return &kr->v[i];
	return NULL;
}

int
bd_apk_keyring_add_pem(struct bd_apk_keyring *kr, const char *name, const void *pem, size_t n,
                       struct bd_err *err)
{
	struct bd_apk_keyring_key *k;
	struct bd_apk_pubkey *key;

	if (!bd_apk_keyring_name_ok(name))
		return bd_err_setx(err, EINVAL, "invalid key name '%s' (a plain file name)", name);
	if (n > KEYRING_KEY_MAX)
		return bd_err_setx(err, EFBIG, "key %s: larger than %d bytes", name,
		                   KEYRING_KEY_MAX);
	/* validate now: a broken keyring entry is a configuration error */
	key = bd_apk_pubkey_from_pem(pem, n, err);
	if (!key)
		return bd_err_prefix(err, "key %s: ", name);
	bd_apk_pubkey_free(key);
	k = find(kr, name);
	if (k) {
		if (k->len == n && memcmp(k->pem, pem, n) == 0)
			return 0;
		return bd_err_setx(err, EEXIST, "two different keys are named %s", name);
	}
	if (kr->n >= KEYRING_MAX_KEYS)
		return bd_err_setx(err, E2BIG, "more than %d keys", KEYRING_MAX_KEYS);
	kr->v = bd_grow(kr->v, &kr->cap, kr->n + 1, sizeof(*kr->v), 4);
	k = &kr->v[kr->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->pem = bd_xmalloc(n + 1);
	memcpy(k->pem, pem, n);
	k->pem[n] = '\0';
	k->len = n;
	return 0;
}

int
bd_apk_keyring_add_file(struct bd_apk_keyring *kr, const char *path, struct bd_err *err)
{
	struct bd_buf pem = { 0 };
	const char *base = strrchr(path, '/');
	int r;

	base = base ? base + 1 : path;
	r = bd_read_file_at(AT_FDCWD, path, KEYRING_KEY_MAX, &pem, err);
	if (r == 0)
		r = bd_apk_keyring_add_pem(kr, base, pem.data, pem.len, err);
	bd_buf_free(&pem);
	if (r < 0 && !strstr(err->msg, path))
		bd_err_prefix(err, "%s: ", path);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
bd_apk_keyring_add_dir(struct bd_apk_keyring *kr, const char *dir, struct bd_err *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct bd_strv names = { 0 };
	struct dirent *de;
	int r = 0;

	if (!d)
		return bd_err_set(err, errno, "open keys directory %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		bd_strv_push(&names, de->d_name);
	}
	/* a stable order, so "two keys named X" errors are reproducible */
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(names.v[0]), cmp_str);
	for (size_t i = 0; i < names.n && r == 0; i++) {
		_cleanup_free_ char *p = bd_xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (stat(p, &st) < 0) {
			r = bd_err_set(err, errno, "stat %s", p);
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		r = bd_apk_keyring_add_file(kr, p, err);
	}
	bd_strv_free(&names);
	return r;
}

struct bd_apk_pubkey *
bd_apk_keyring_load(const struct bd_apk_keyring *kr, const char *name, struct bd_err *err)
{
	const struct bd_apk_keyring_key *k = find(kr, name);
	struct bd_apk_pubkey *key;

	if (!k) {
		bd_err_setx(err, ENOENT, "no key %s in the keyring", name);
		return NULL;
	}
	key = bd_apk_pubkey_from_pem(k->pem, k->len, err);
	if (!key)
		bd_err_prefix(err, "key %s: ", name);
	return key;
}

void
bd_apk_keyring_free(struct bd_apk_keyring *kr)
{
	for (size_t i = 0; i < kr->n; i++)
		free(kr->v[i].pem);
	free(kr->v);
	memset(kr, 0, sizeof(*kr));
}
