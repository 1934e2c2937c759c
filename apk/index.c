/* SPDX-License-Identifier: MIT */
/* index: APKINDEX entries, parsing and signed writing (see index.h). */
#include "apk/index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/gz.h"
#include "apk/tar.h"
#include "apk/version.h"
#include "common/cleanup.h"

const char *
bd_apk_sig_prefix(enum bd_hash_alg alg)
{
	switch (alg) {
	case BD_HASH_SHA1:
		return ".SIGN.RSA.";
	case BD_HASH_SHA512:
		return ".SIGN.RSA512.";
	case BD_HASH_SHA256:
	default:
		return ".SIGN.RSA256.";
	}
}

int
bd_apk_signature_member(const struct bd_apk_privkey *key, enum bd_hash_alg alg,
                        const void *signed_bytes, size_t n, uint64_t mtime, struct bd_buf *out,
                        struct bd_err *err)
{
	unsigned char sig[2048];
	size_t siglen = 0;
	struct bd_buf tar = { 0 };
	struct bd_gz_writer *gz;
	char name[300];
	int r;

	if (bd_apk_privkey_sig_len(key) > sizeof(sig))
		return bd_err_setx(err, EINVAL, "signing key too large");
	r = bd_apk_sign(key, alg, signed_bytes, n, sig, &siglen, err);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "%s%s", bd_apk_sig_prefix(alg), bd_apk_privkey_name(key));
	struct bd_tar_hdr h = {
		.name = name,
		.type = '0',
		.mode = 0644,
		.size = siglen,
		.mtime = mtime,
		.uname = "root",
		.gname = "root",
	};
	r = bd_tar_write_entry(&tar, &h, sig, BD_TAR_POSIX, err);
	if (r == 0) {
		/* no end-of-archive blocks: the tar continues in the next member */
		gz = bd_gz_writer_new(9, bd_gz_sink_buf, out);
		r = bd_gz_write(gz, tar.data, tar.len, err);
		if (r < 0)
			bd_gz_writer_free(gz);
		else
			r = bd_gz_finish(gz, err);
	}
	bd_buf_free(&tar);
	return r;
}

static const char canonical_order[] = "CPVASITULomtckDpi";

static bool
is_known_letter(char c)
{
	return c && strchr(canonical_order, c) != NULL;
}

static void
put_list(struct bd_buf *out, char letter, const struct bd_strv *sv)
{
	bd_buf_printf(out, "%c:", letter);
	for (size_t i = 0; i < sv->n; i++)
		bd_buf_printf(out, i ? " %s" : "%s", sv->v[i]);
	bd_buf_putc(out, '\n');
}

static const char *
str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Write field @letter of @e; @force writes it even when apk would omit it. */
static void
put_field(const struct bd_apk_index_entry *e, char letter, bool force, struct bd_buf *out)
{
	const struct bd_apk_pkginfo *pi = &e->pi;

	switch (letter) {
	case 'C':
		bd_buf_printf(out, "C:%s\n", e->csum);
		break;
	case 'P':
		bd_buf_printf(out, "P:%s\n", str_or_empty(pi->name));
		break;
	case 'V':
		bd_buf_printf(out, "V:%s\n", str_or_empty(pi->version));
		break;
	case 'A':
		if (pi->arch || force)
			bd_buf_printf(out, "A:%s\n", str_or_empty(pi->arch));
		break;
	case 'S':
		bd_buf_printf(out, "S:%llu\n", (unsigned long long)e->file_size);
		break;
	case 'I':
		bd_buf_printf(out, "I:%llu\n", (unsigned long long)pi->installed_size);
		break;
	case 'T':
		bd_buf_printf(out, "T:%s\n", str_or_empty(pi->description));
		break;
	case 'U':
		bd_buf_printf(out, "U:%s\n", str_or_empty(pi->url));
		break;
	case 'L':
		bd_buf_printf(out, "L:%s\n", str_or_empty(pi->license));
		break;
	case 'o':
		if (pi->origin || force)
			bd_buf_printf(out, "o:%s\n", str_or_empty(pi->origin));
		break;
	case 'm':
		if (pi->maintainer || force)
			bd_buf_printf(out, "m:%s\n", str_or_empty(pi->maintainer));
		break;
	case 't':
		if (pi->builddate || force)
			bd_buf_printf(out, "t:%llu\n", (unsigned long long)pi->builddate);
		break;
	case 'c':
		if (pi->commit || force)
			bd_buf_printf(out, "c:%s\n", str_or_empty(pi->commit));
		break;
	case 'k':
		if ((pi->has_provider_priority && pi->provider_priority) || force)
			bd_buf_printf(out, "k:%ld\n", pi->provider_priority);
		break;
	case 'D':
		if (pi->depends.n || force)
			put_list(out, 'D', &pi->depends);
		break;
	case 'p':
		if (pi->provides.n || force)
			put_list(out, 'p', &pi->provides);
		break;
	case 'i':
		if (pi->install_if.n || force)
			put_list(out, 'i', &pi->install_if);
		break;
	default:
		break;
	}
}

void
bd_apk_index_format_entry(const struct bd_apk_index_entry *e, struct bd_buf *out)
{
	for (const char *l = canonical_order; *l; l++)
		put_field(e, *l, false, out);
	for (size_t i = 0; i < e->extra.n; i++)
		bd_buf_printf(out, "%s\n", e->extra.v[i]);
	bd_buf_putc(out, '\n');
}

void
bd_apk_index_format_entry_as_read(const struct bd_apk_index_entry *e, struct bd_buf *out)
{
	size_t extra = 0;

	if (!e->order[0]) {
		bd_apk_index_format_entry(e, out);
		return;
	}
	for (const char *l = e->order; *l; l++) {
		if (*l == '?') {
			if (extra < e->extra.n)
				bd_buf_printf(out, "%s\n", e->extra.v[extra++]);
		} else {
			put_field(e, *l, true, out);
		}
	}
	bd_buf_putc(out, '\n');
}

static struct bd_apk_index_entry *
new_entry(struct bd_apk_index *idx)
{
	idx->v = bd_grow(idx->v, &idx->cap, idx->n + 1, sizeof(*idx->v), 64);
	memset(&idx->v[idx->n], 0, sizeof(idx->v[0]));
	return &idx->v[idx->n++];
}

struct bd_apk_index_entry *
bd_apk_index_add(struct bd_apk_index *idx, const struct bd_apk_pkginfo *pi, const char *csum,
                 uint64_t file_size)
{
	struct bd_apk_index_entry *e = new_entry(idx);

	bd_apk_pkginfo_copy(&e->pi, pi);
	/* an index has no datahash; keep the copy clean */
	e->pi.datahash[0] = '\0';
	snprintf(e->csum, sizeof(e->csum), "%s", csum);
	e->file_size = file_size;
	return e;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct bd_apk_index_entry *x = a, *y = b;
	int r = strcmp(str_or_empty(x->pi.name), str_or_empty(y->pi.name));

	if (r)
		return r;
	r = bd_apk_version_compare(str_or_empty(x->pi.version), str_or_empty(y->pi.version));
	if (r != BD_APK_VER_EQUAL)
		return r == BD_APK_VER_LESS ? -1 : 1;
	return strcmp(str_or_empty(x->pi.arch), str_or_empty(y->pi.arch));
}

void
bd_apk_index_sort(struct bd_apk_index *idx)
{
	if (idx->n > 1)
		qsort(idx->v, idx->n, sizeof(idx->v[0]), entry_cmp);
}

void
bd_apk_index_free(struct bd_apk_index *idx)
{
	for (size_t i = 0; i < idx->n; i++) {
		bd_apk_pkginfo_free(&idx->v[i].pi);
		bd_strv_free(&idx->v[i].extra);
	}
	free(idx->v);
	free(idx->description);
	memset(idx, 0, sizeof(*idx));
}

static int
parse_u64_field(const char *v, size_t n, uint64_t *out)
{
	char tmp[32];

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	return bd_parse_u64(tmp, UINT64_MAX, out);
}

static int
index_error(struct bd_err *err, const char *what, unsigned line, const char *msg)
{
	return bd_err_setx(err, EINVAL, "%s: APKINDEX line %u: %s", what, line, msg);
}

/* Apply one "X:value" line to @e. */
static int
apply_line(struct bd_apk_index_entry *e, char letter, const char *v, size_t n, const char *what,
           unsigned line, struct bd_err *err)
{
	struct bd_apk_pkginfo *pi = &e->pi;
	char **scalar = NULL;
	struct bd_strv *list = NULL;
	uint64_t u;

	switch (letter) {
	case 'C':
		if (n >= sizeof(e->csum))
			return index_error(err, what, line, "C: checksum too long");
		memcpy(e->csum, v, n);
		e->csum[n] = '\0';
		return 0;
	case 'P':
		scalar = &pi->name;
		break;
	case 'V':
		scalar = &pi->version;
		break;
	case 'A':
		scalar = &pi->arch;
		break;
	case 'T':
		scalar = &pi->description;
		break;
	case 'U':
		scalar = &pi->url;
		break;
	case 'L':
		scalar = &pi->license;
		break;
	case 'o':
		scalar = &pi->origin;
		break;
	case 'm':
		scalar = &pi->maintainer;
		break;
	case 'c':
		scalar = &pi->commit;
		break;
	case 'S':
	case 'I':
	case 't':
		if (parse_u64_field(v, n, &u) < 0)
			return index_error(err, what, line, "expected a number");
		if (letter == 'S')
			e->file_size = u;
		else if (letter == 'I')
			pi->installed_size = u;
		else
			pi->builddate = u;
		return 0;
	case 'k': {
		bool neg = n > 0 && v[0] == '-';
		if (parse_u64_field(v + neg, n - neg, &u) < 0 || u > 1u << 30)
			return index_error(err, what, line, "k: expected a number");
		pi->provider_priority = neg ? -(long)u : (long)u;
		pi->has_provider_priority = true;
		return 0;
	}
	case 'D':
		list = &pi->depends;
		break;
	case 'p':
		list = &pi->provides;
		break;
	case 'i':
		list = &pi->install_if;
		break;
	default:
		return index_error(err, what, line, "unknown field");
	}
	if (scalar) {
		free(*scalar);
		*scalar = bd_xstrndup(v, n);
		return 0;
	}
	_cleanup_free_ char *tmp = bd_xstrndup(v, n);
	if (bd_apk_deps_split(tmp, list, err) < 0) {
		char msg[BD_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		return index_error(err, what, line, msg);
	}
	return 0;
}

static int
finish_entry(struct bd_apk_index_entry *e, const char *what, unsigned line, struct bd_err *err)
{
	if (!e->pi.name || !*e->pi.name)
		return index_error(err, what, line, "entry without P: (name)");
	if (!e->pi.version || !*e->pi.version)
		return index_error(err, what, line, "entry without V: (version)");
	if (!e->csum[0])
		return index_error(err, what, line, "entry without C: (checksum)");
	return 0;
}

int
bd_apk_index_parse(const char *text, size_t len, const char *what, struct bd_apk_index *idx,
                   struct bd_err *err)
{
	const char *p = text, *end = text + len;
	struct bd_apk_index_entry *cur = NULL;
	unsigned line = 0, start_line = 0;

	if (len > BD_APK_INDEX_MAX_TEXT)
		return bd_err_setx(err, EFBIG, "%s: APKINDEX larger than %u bytes", what,
		                   BD_APK_INDEX_MAX_TEXT);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);

		line++;
		if (n > BD_APK_INDEX_MAX_LINE)
			return index_error(err, what, line, "line too long");
		if (memchr(p, '\0', n))
			return index_error(err, what, line, "NUL byte");
		if (n < 2) {
			/* apk: a line shorter than two bytes ends the entry */
			if (cur && finish_entry(cur, what, start_line, err) < 0)
				return -err->code;
			cur = NULL;
		} else {
			if (p[1] != ':')
				return index_error(err, what, line, "expected 'X:value'");
			if (!cur) {
				cur = new_entry(idx);
				start_line = line;
			}
			char letter = p[0];
			size_t ol = strlen(cur->order);
			if (is_known_letter(letter)) {
				if (apply_line(cur, letter, p + 2, n - 2, what, line, err) < 0)
					return -err->code;
			} else if ((letter >= 'a' && letter <= 'z') ||
			           (letter >= 'A' && letter <= 'Z')) {
				/* apk: unknown fields are kept out of the way; so do we */
				bd_strv_push_owned(&cur->extra, bd_xstrndup(p, n));
				letter = '?';
			} else {
				return index_error(err, what, line, "field letter is not a letter");
			}
			if (ol + 1 < sizeof(cur->order)) {
				cur->order[ol] = letter;
				cur->order[ol + 1] = '\0';
			} else {
				return index_error(err, what, line, "too many fields in one entry");
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (cur && finish_entry(cur, what, start_line, err) < 0)
		return -err->code;
	return 0;
}

int
bd_apk_index_write(const struct bd_apk_index *idx, const struct bd_apk_privkey *key,
                   enum bd_hash_alg alg, uint64_t mtime, struct bd_buf *out, struct bd_err *err)
{
	struct bd_buf text = { 0 }, tar = { 0 }, body = { 0 };
	struct bd_gz_writer *gz;
	int r = 0;

	for (size_t i = 0; i < idx->n; i++)
		bd_apk_index_format_entry(&idx->v[i], &text);
	/* `apk index` layout: GNU magic, 0644, root/root, DESCRIPTION first */
	if (idx->description) {
		size_t dlen = strlen(idx->description);
		struct bd_tar_hdr d = {
			.name = "DESCRIPTION",
			.type = '0',
			.mode = 0644,
			.size = dlen,
			.mtime = mtime,
			.uname = "root",
			.gname = "root",
		};
		r = bd_tar_write_entry(&tar, &d, idx->description, BD_TAR_GNU, err);
		if (r < 0)
			goto out;
	}
	struct bd_tar_hdr a = {
		.name = "APKINDEX",
		.type = '0',
		.mode = 0644,
		.size = text.len,
		.mtime = mtime,
		.uname = "root",
		.gname = "root",
	};
	r = bd_tar_write_entry(&tar, &a, text.data, BD_TAR_GNU, err);
	if (r < 0)
		goto out;
	bd_tar_write_end(&tar);

	gz = bd_gz_writer_new(9, bd_gz_sink_buf, &body);
	r = bd_gz_write(gz, tar.data, tar.len, err);
	if (r < 0) {
		bd_gz_writer_free(gz);
		goto out;
	}
	r = bd_gz_finish(gz, err);
	if (r < 0)
		goto out;
	/* abuild-sign: the signature covers the whole unsigned file */
	if (key) {
		r = bd_apk_signature_member(key, alg, body.data, body.len, mtime, out, err);
		if (r < 0)
			goto out;
	}
	bd_buf_append(out, body.data, body.len);
out:
	bd_buf_free(&text);
	bd_buf_free(&tar);
	bd_buf_free(&body);
	return r;
}
