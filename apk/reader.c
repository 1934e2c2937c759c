/* SPDX-License-Identifier: MIT */
/* reader: one-pass parse and verification of packages and indexes.
 *
 * Segment rules (apk-format.md sections 1, 3, 6, 7; apk-tools'
 * apk_sign_ctx_process_file / apk_sign_ctx_mpart_cb read for behaviour):
 * - leading gzip members whose tar entries are all ".SIGN.*" form the
 *   signature segment;
 * - the first other entry starts the control segment (".PKGINFO", a
 *   package) or the index body ("DESCRIPTION"/"APKINDEX", an index);
 * - a package's control segment ends with its gzip member; the package's
 *   identity is sha1 of that member's compressed bytes, its signature
 *   covers exactly those bytes, and datahash is sha256 of every compressed
 *   byte after it;
 * - an index's signature covers every byte after the signature segment.
 * We are stricter than apk where apk's leniency only hides breakage: a
 * member mixing signature and control entries, control and data in one
 * member, or data that `apk add` would refuse (unsafe names, missing
 * parent directories, dangling hardlinks, missing file checksums) fail
 * verification with a message saying which entry and why. */
#include "apk/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apk/gz.h"
#include "apk/tar.h"
#include "common/base64.h"
#include "common/cleanup.h"
#include "common/util.h"

enum phase {
	PH_SIG,     /* before the first non-signature entry */
	PH_CONTROL, /* inside the control member of a package */
	PH_DATA,    /* after the control member */
	PH_INDEX,   /* inside an index body */
};

struct rd {
	const char *what;
	const struct bd_apk_read_opts *opts;
	struct bd_apk_file *out;
	struct bd_gz_reader *gz;
	enum phase phase;
	int sig_member;         /* member holding signature entries, -1 if none yet */
	struct bd_buf memb_raw; /* raw bytes of the current member (before data) */
	bool raw_overflow;
	/* the signature chosen for verification (first with a key file) */
	struct bd_apk_pubkey *key;
	enum bd_hash_alg key_alg;
	unsigned char sig[BD_APK_MAX_SIG];
	size_t siglen;
	int sig_ok; /* -1 not evaluated, 0 bad, 1 good */
	char untrusted_why[BD_ERR_MSG_MAX];
	/* streaming hashes over raw bytes after the control member */
	struct bd_hash *datahash;
	struct bd_apk_sigcheck *stream_sig; /* legacy packages and indexes */
	struct bd_hash *stream_id;          /* legacy identity */
	bool legacy;
	bool data_seen;
	/* control / index contents */
	struct bd_buf pkginfo;
	bool have_pkginfo;
	struct bd_buf apkindex;
	bool have_apkindex;
	/* structure checks on data entries */
	struct bd_strset dirs;
	struct bd_strset files;
};

/* Are signatures to be checked, against a keys directory or a keyring? */
static bool
checking_keys(const struct bd_apk_read_opts *opts)
{
	return opts->keyring != NULL || opts->keys_dirfd >= 0;
}

const char *
bd_apk_status_str(enum bd_apk_status s)
{
	switch (s) {
	case BD_APK_OK:
		return "OK";
	case BD_APK_UNTRUSTED:
		return "UNTRUSTED";
	case BD_APK_BAD_SIGNATURE:
		return "BAD signature";
	case BD_APK_BAD_ARCHIVE:
		return "BAD archive";
	case BD_APK_IO_ERROR:
		return "IO ERROR";
	case BD_APK_NOT_CHECKED:
		return "OK (signature not checked)";
	default:
		return "?";
	}
}

void
bd_apk_q1_encode(const unsigned char *sha1, char *out)
{
	char *b = bd_base64_encode(sha1, 20);

	snprintf(out, 32, "Q1%s", b);
	free(b);
}

/* Record a failure verdict with its message; returns -code. */
static int failst(struct rd *rd, enum bd_apk_status st, struct bd_err *err, int code,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
failst(struct rd *rd, enum bd_apk_status st, struct bd_err *err, int code, const char *fmt, ...)
{
	char msg[BD_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rd->out->status = st;
	return bd_err_setx(err, code, "%s: %s", rd->what, msg);
}

/* Classify an error that came up from the gzip or tar layer. */
static int
lower_fail(struct rd *rd, int r, struct bd_err *err)
{
	if (rd->out->status == BD_APK_OK || rd->out->status == BD_APK_NOT_CHECKED)
		rd->out->status = err->code == EIO ? BD_APK_IO_ERROR : BD_APK_BAD_ARCHIVE;
	return r;
}

static void
on_raw(void *ctx, int member, const void *raw, size_t n)
{
	struct rd *rd = ctx;

	(void)member;
	switch (rd->phase) {
	case PH_DATA:
		rd->data_seen = true;
		bd_hash_update(rd->datahash, raw, n);
		if (rd->legacy) {
			if (rd->stream_sig)
				bd_apk_sigcheck_update(rd->stream_sig, raw, n);
			bd_hash_update(rd->stream_id, raw, n);
		}
		break;
	case PH_INDEX:
		if (rd->stream_sig)
			bd_apk_sigcheck_update(rd->stream_sig, raw, n);
		break;
	case PH_SIG:
	case PH_CONTROL:
	default:
		if (rd->memb_raw.len + n > BD_APK_MAX_CONTROL) {
			rd->raw_overflow = true;
			return;
		}
		bd_buf_append(&rd->memb_raw, raw, n);
		break;
	}
}

/* The control member just ended: identity, signature, switch to data. */
/* Start checking the signature over a stream that begins with the member
 * just read (rd->memb_raw): legacy packages sign control and data, indexes
 * everything after the signature member. */
static int
start_stream_sig(struct rd *rd, struct bd_err *err)
{
	rd->stream_sig = bd_apk_sigcheck_new(rd->key, rd->key_alg, err);
	if (!rd->stream_sig)
		return failst(rd, BD_APK_BAD_SIGNATURE, err, EKEYREJECTED, "%s", err->msg);
	bd_apk_sigcheck_update(rd->stream_sig, rd->memb_raw.data, rd->memb_raw.len);
	return 0;
}

static int
finish_control(struct rd *rd, struct bd_err *err)
{
	struct bd_apk_file *out = rd->out;
	unsigned char sha1[BD_HASH_MAX];
	int r;

	if (rd->raw_overflow)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EFBIG,
		              "control segment larger than %u bytes", BD_APK_MAX_CONTROL);
	if (!rd->have_pkginfo)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "control segment has no .PKGINFO entry");
	if (bd_apk_pkginfo_parse(rd->pkginfo.data, rd->pkginfo.len, &out->pkginfo, err) < 0) {
		out->status = BD_APK_BAD_ARCHIVE;
		return bd_err_prefix(err, "%s: ", rd->what);
	}
	rd->datahash = bd_hash_new(BD_HASH_SHA256);
	if (out->pkginfo.datahash[0]) {
		/* identity and signature cover exactly the control member */
		bd_hash_buf(BD_HASH_SHA1, rd->memb_raw.data, rd->memb_raw.len, sha1);
		bd_apk_q1_encode(sha1, out->identity);
		if (rd->key) {
			struct bd_apk_sigcheck *sc = bd_apk_sigcheck_new(rd->key, rd->key_alg, err);
			if (!sc)
				return failst(rd, BD_APK_BAD_SIGNATURE, err, EKEYREJECTED, "%s",
				              err->msg);
			bd_apk_sigcheck_update(sc, rd->memb_raw.data, rd->memb_raw.len);
			rd->sig_ok = bd_apk_sigcheck_final(sc, rd->sig, rd->siglen) ? 1 : 0;
			bd_apk_sigcheck_free(sc);
		}
	} else {
		/* legacy (no datahash): signature and identity cover control+data */
		rd->legacy = true;
		rd->stream_id = bd_hash_new(BD_HASH_SHA1);
		bd_hash_update(rd->stream_id, rd->memb_raw.data, rd->memb_raw.len);
		if (rd->key && (r = start_stream_sig(rd, err)) < 0)
			return r;
	}
	bd_buf_reset(&rd->memb_raw);
	rd->phase = PH_DATA;
	return 0;
}

static int
member_boundary(struct rd *rd, struct bd_err *err)
{
	int m = bd_gz_member(rd->gz);

	switch (rd->phase) {
	case PH_SIG:
		if (rd->sig_member != m)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
			              "gzip member %d holds no tar entry", m);
		/* the signature segment ended; its bytes are not signed */
		bd_buf_reset(&rd->memb_raw);
		rd->raw_overflow = false;
		return 0;
	case PH_CONTROL:
		return finish_control(rd, err);
	case PH_DATA:
	case PH_INDEX:
	default:
		return 0;
	}
}

/* Tar source: exactly @n decompressed bytes, crossing member boundaries. */
static int
tar_src(void *ctx, void *buf, size_t n, struct bd_err *err)
{
	struct rd *rd = ctx;
	size_t got = 0;

	while (got < n) {
		ssize_t r = bd_gz_read(rd->gz, (char *)buf + got, n - got, err);
		if (r < 0)
			return (int)r;
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		int b = member_boundary(rd, err);
		if (b < 0)
			return b;
		int nx = bd_gz_next_member(rd->gz, err);
		if (nx < 0)
			return nx;
		if (nx == 0) {
			if (got == 0)
				return 0;
			return bd_err_setx(err, EINVAL, "%s: file ends inside a tar block",
			                   rd->what);
		}
	}
	return 1;
}

/* Read the whole content of the current entry into @out (reset first). */
static int
slurp(struct rd *rd, struct bd_tar_reader *tr, const struct bd_tar_entry *e, size_t max,
      struct bd_buf *out, struct bd_err *err)
{
	if (e->size > max)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EFBIG, "%s: %llu bytes, limit is %zu",
		              e->name, (unsigned long long)e->size, max);
	bd_buf_reset(out);
	bd_buf_reserve(out, (size_t)e->size);
	for (;;) {
		ssize_t r =
		    bd_tar_read(tr, out->data + out->len, (size_t)e->size - out->len + 1, err);
		if (r < 0)
			return lower_fail(rd, (int)r, err);
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	out->data[out->len] = '\0';
	return 0;
}

static int
handle_sig_entry(struct rd *rd, struct bd_tar_reader *tr, const struct bd_tar_entry *e,
                 struct bd_err *err)
{
	static const struct {
		const char *prefix;
		enum bd_hash_alg alg;
	} types[] = {
		/* apk-tools' lookup order */
		{ ".SIGN.RSA512.", BD_HASH_SHA512 },
		{ ".SIGN.RSA256.", BD_HASH_SHA256 },
		{ ".SIGN.RSA.", BD_HASH_SHA1 },
	};
	struct bd_apk_file *out = rd->out;
	struct bd_apk_sig_entry *s;
	struct bd_buf content = { 0 };
	int m = bd_gz_member(rd->gz);
	int r;

	if (rd->sig_member >= 0 && rd->sig_member != m)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "signature entries spread over several gzip members");
	rd->sig_member = m;
	if (out->nsigs >= BD_APK_MAX_SIGS)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, E2BIG, "more than %d signature entries",
		              BD_APK_MAX_SIGS);
	if (e->type != '0' || strchr(e->name, '/'))
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL, "%s: malformed signature entry",
		              e->name);
	s = &out->sigs[out->nsigs++];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < BD_ARRAY_SIZE(types); i++) {
		size_t pl = strlen(types[i].prefix);
		if (strncmp(e->name, types[i].prefix, pl) == 0) {
			s->alg = types[i].alg;
			s->known_type = true;
			snprintf(s->keyname, sizeof(s->keyname), "%s", e->name + pl);
			break;
		}
	}
	if (!s->known_type) {
		/* .SIGN.DSA. and friends: listed, never used */
		const char *dot = strchr(e->name + 6, '.');
		snprintf(s->keyname, sizeof(s->keyname), "%s", dot ? dot + 1 : "");
	}
	r = slurp(rd, tr, e, BD_APK_MAX_SIG, &content, err);
	if (r < 0) {
		bd_buf_free(&content);
		return r;
	}
	/* apk uses the first signature whose key file exists and parses */
	if (s->known_type && !rd->key && checking_keys(rd->opts) && s->keyname[0]) {
		struct bd_err kerr = { 0 };
		if (rd->opts->keyring)
			rd->key = bd_apk_keyring_load(rd->opts->keyring, s->keyname, &kerr);
		else
			rd->key = bd_apk_pubkey_load_at(rd->opts->keys_dirfd, s->keyname, &kerr);
		if (rd->key) {
			rd->key_alg = s->alg;
			memcpy(rd->sig, content.data, content.len);
			rd->siglen = content.len;
			snprintf(out->signer, sizeof(out->signer), "%s", s->keyname);
		} else if (kerr.code != ENOENT) {
			snprintf(rd->untrusted_why, sizeof(rd->untrusted_why), "%s", kerr.msg);
		}
	}
	bd_buf_free(&content);
	return 0;
}

static const char *const script_types[BD_APK_NSCRIPTS] = {
	[BD_APK_PRE_INSTALL] = "pre-install",
	[BD_APK_POST_INSTALL] = "post-install",
	[BD_APK_PRE_DEINSTALL] = "pre-deinstall",
	[BD_APK_POST_DEINSTALL] = "post-deinstall",
	[BD_APK_PRE_UPGRADE] = "pre-upgrade",
	[BD_APK_POST_UPGRADE] = "post-upgrade",
	[BD_APK_TRIGGER] = "trigger",
};

const char *
bd_apk_script_type(enum bd_apk_script_kind s)
{
	return (unsigned)s < BD_APK_NSCRIPTS ? script_types[s] : "?";
}

/* The script type of control entry @n, or -1. */
static int
script_of(const char *n)
{
	if (n[0] != '.')
		return -1;
	for (size_t i = 0; i < BD_APK_NSCRIPTS; i++)
		if (strcmp(n + 1, script_types[i]) == 0)
			return (int)i;
	return -1;
}

static int
handle_control_entry(struct rd *rd, struct bd_tar_reader *tr, const struct bd_tar_entry *e,
                     struct bd_err *err)
{
	if (strncmp(e->name, ".SIGN.", 6) == 0)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "%s: signature entry inside the control segment", e->name);
	if (strcmp(e->name, ".PKGINFO") == 0) {
		if (rd->have_pkginfo)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL, "two .PKGINFO entries");
		rd->have_pkginfo = true;
		return slurp(rd, tr, e, BD_APK_MAX_PKGINFO, &rd->pkginfo, err);
	}
	int type = script_of(e->name);
	if (type >= 0) {
		if (e->size > BD_APK_MAX_PKGINFO)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EFBIG, "%s: script too large",
			              e->name);
		rd->out->has_script[type] = true;
		if (rd->opts->keep_scripts) {
			int r =
			    slurp(rd, tr, e, BD_APK_MAX_PKGINFO, &rd->out->script_body[type], err);
			if (r < 0)
				return r;
		}
	}
	bd_strv_push(&rd->out->scripts, e->name);
	return 0;
}

/* What `apk add` rejects as a malicious name (apk-format.md section 5). */
static const char *
unsafe_name(const char *n)
{
	if (n[0] == '/')
		return "absolute path";
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "control character in name";
	if (strncmp(n, "./", 2) == 0 || strncmp(n, "../", 3) == 0 || strcmp(n, "..") == 0 ||
	    strstr(n, "/./") || strstr(n, "/../") || bd_str_has_suffix(n, "/.."))
		return "'.' or '..' path component";
	return NULL;
}

static void
add_entry(struct rd *rd, const struct bd_tar_entry *e, const char *name)
{
	struct bd_apk_file *out = rd->out;
	struct bd_apk_entry *x;

	out->entries =
	    bd_grow(out->entries, &out->entries_cap, out->nentries + 1, sizeof(*out->entries), 64);
	x = &out->entries[out->nentries++];
	x->name = bd_xstrdup(name);
	x->linkname = e->linkname[0] ? bd_xstrdup(e->linkname) : NULL;
	x->type = e->type;
	x->mode = e->mode;
	x->size = e->size;
	x->mtime = e->mtime;
	x->uid = e->uid;
	x->gid = e->gid;
	x->has_sha1 = e->has_sha1;
	memcpy(x->sha1_hex, e->sha1_hex, sizeof(x->sha1_hex));
}

static int
handle_data_entry(struct rd *rd, struct bd_tar_reader *tr, const struct bd_tar_entry *e,
                  struct bd_err *err)
{
	char name[BD_TAR_PATH_MAX + 1];
	const char *why;
	size_t len;

	if (++rd->out->nfiles > BD_APK_MAX_ENTRIES)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, E2BIG, "more than %d data entries",
		              BD_APK_MAX_ENTRIES);
	why = unsafe_name(e->name);
	if (why)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL, "unsafe entry '%s': %s", e->name,
		              why);
	/* directories may carry a trailing '/' */
	snprintf(name, sizeof(name), "%s", e->name);
	len = strlen(name);
	while (len > 1 && name[len - 1] == '/')
		name[--len] = '\0';
	if (rd->opts->list_entries)
		add_entry(rd, e, name);
	/* apk skips top-level dot entries silently; nothing to check */
	if (name[0] == '.')
		return 0;
	const char *slash = strrchr(name, '/');
	if (slash) {
		char parent[BD_TAR_PATH_MAX + 1];
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - name), name);
		if (!bd_strset_has(&rd->dirs, parent))
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
			              "%s: parent directory %s has no earlier entry "
			              "(apk add: no dirent in archive)",
			              name, parent);
	}
	switch (e->type) {
	case '5':
		bd_strset_add(&rd->dirs, name);
		return 0;
	case '1':
		if (!bd_strset_has(&rd->files, e->linkname))
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
			              "%s: hardlink target %s is not an earlier file", name,
			              e->linkname);
		return 0;
	case '2':
	case '0':
		break;
	default:
		/* device nodes and fifos: apk creates them; nothing to hash */
		return 0;
	}
	if (!e->has_sha1)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "%s: no APK-TOOLS.checksum.SHA1 record", name);
	if (e->type == '0')
		bd_strset_add(&rd->files, name);
	if (rd->opts->skip_file_checksums)
		return 0;

	unsigned char sha1[BD_HASH_MAX];
	char hex[41];
	if (e->type == '2') {
		/* a symlink's checksum is over its target string */
		bd_hash_buf(BD_HASH_SHA1, e->linkname, strlen(e->linkname), sha1);
	} else {
		struct bd_hash *h = bd_hash_new(BD_HASH_SHA1);
		unsigned char buf[65536];
		ssize_t r;
		while ((r = bd_tar_read(tr, buf, sizeof(buf), err)) > 0)
			bd_hash_update(h, buf, (size_t)r);
		bd_hash_final(h, sha1);
		bd_hash_free(h);
		if (r < 0)
			return lower_fail(rd, (int)r, err);
	}
	bd_hex(sha1, 20, hex);
	if (strcmp(hex, e->sha1_hex) != 0)
		return failst(rd, BD_APK_BAD_SIGNATURE, err, EBADMSG,
		              "%s: file checksum mismatch (APK-TOOLS.checksum.SHA1 %s, content %s)",
		              name, e->sha1_hex, hex);
	return 0;
}

static int
handle_index_entry(struct rd *rd, struct bd_tar_reader *tr, const struct bd_tar_entry *e,
                   struct bd_err *err)
{
	struct bd_buf tmp = { 0 };
	int r;

	if (strcmp(e->name, "DESCRIPTION") == 0) {
		r = slurp(rd, tr, e, 65536, &tmp, err);
		if (r == 0) {
			free(rd->out->index.description);
			rd->out->index.description = bd_buf_steal(&tmp);
		}
		bd_buf_free(&tmp);
		return r;
	}
	if (strcmp(e->name, "APKINDEX") == 0) {
		if (rd->have_apkindex)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL, "two APKINDEX entries");
		rd->have_apkindex = true;
		return slurp(rd, tr, e, BD_APK_INDEX_MAX_TEXT, &rd->apkindex, err);
	}
	if (strncmp(e->name, ".SIGN.", 6) == 0)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "%s: signature entry after the index body started", e->name);
	return 0; /* other entries are ignored, as apk does */
}

/* The first entry that is not a signature decides what the file is. */
static int
start_body(struct rd *rd, const struct bd_tar_entry *e, struct bd_err *err)
{
	int m = bd_gz_member(rd->gz);
	int r;

	if (rd->sig_member == m)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		              "signature and %s share gzip member %d (the signature tar must be "
		              "its own member)",
		              e->name, m);
	if (rd->raw_overflow)
		return failst(rd, BD_APK_BAD_ARCHIVE, err, EFBIG, "first segment too large");
	if (e->name[0] == '.' && !strchr(e->name, '/')) {
		rd->out->kind = BD_APK_KIND_PACKAGE;
		rd->phase = PH_CONTROL;
		return 0;
	}
	if (strcmp(e->name, "DESCRIPTION") == 0 || strcmp(e->name, "APKINDEX") == 0) {
		rd->out->kind = BD_APK_KIND_INDEX;
		/* everything after the signature member is signed */
		if (rd->key && (r = start_stream_sig(rd, err)) < 0)
			return r;
		bd_buf_reset(&rd->memb_raw);
		rd->phase = PH_INDEX;
		return 0;
	}
	return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
	              "neither a package nor an index: first entry is '%s' (no data entry may "
	              "precede .PKGINFO)",
	              e->name);
}

/* After the end-of-archive marker: only zeros may follow, to EOF. */
static int
drain(struct rd *rd, struct bd_err *err)
{
	unsigned char buf[65536];

	for (;;) {
		ssize_t r = bd_gz_read(rd->gz, buf, sizeof(buf), err);
		if (r < 0)
			return lower_fail(rd, (int)r, err);
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (buf[i])
					return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
					              "data after the end of the tar archive");
			continue;
		}
		int b = member_boundary(rd, err);
		if (b < 0)
			return b;
		int nx = bd_gz_next_member(rd->gz, err);
		if (nx < 0)
			return lower_fail(rd, nx, err);
		if (nx == 0)
			return 0;
	}
}

static int
conclude(struct rd *rd, struct bd_err *err)
{
	struct bd_apk_file *out = rd->out;
	unsigned char d[BD_HASH_MAX];

	if (out->kind == BD_APK_KIND_PACKAGE) {
		if (rd->phase != PH_DATA)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
			              "package ends inside its control segment");
		bd_hash_final(rd->datahash, d);
		bd_hex(d, 32, out->datahash);
		if (rd->legacy) {
			bd_hash_final(rd->stream_id, d);
			bd_apk_q1_encode(d, out->identity);
			if (rd->stream_sig)
				rd->sig_ok =
				    bd_apk_sigcheck_final(rd->stream_sig, rd->sig, rd->siglen);
		} else if (strcmp(out->datahash, out->pkginfo.datahash) != 0) {
			return failst(rd, BD_APK_BAD_SIGNATURE, err, EBADMSG,
			              "datahash mismatch: .PKGINFO says %s, data is %s",
			              out->pkginfo.datahash, out->datahash);
		}
	} else {
		if (!rd->have_apkindex)
			return failst(rd, BD_APK_BAD_ARCHIVE, err, ENOMSG,
			              "index has no APKINDEX entry");
		if (bd_apk_index_parse(rd->apkindex.data, rd->apkindex.len, rd->what, &out->index,
		                       err) < 0) {
			out->status = BD_APK_BAD_ARCHIVE;
			return -err->code;
		}
		if (rd->stream_sig)
			rd->sig_ok = bd_apk_sigcheck_final(rd->stream_sig, rd->sig, rd->siglen);
		if (rd->opts->keep_index_text) {
			out->index_text_len = rd->apkindex.len;
			out->index_text = bd_buf_steal(&rd->apkindex);
		}
	}

	/* trust verdict, once the structure and hashes are known good */
	if (!checking_keys(rd->opts)) {
		out->status = BD_APK_NOT_CHECKED;
		return 0;
	}
	if (out->nsigs == 0)
		return failst(rd, BD_APK_UNTRUSTED, err, ENOKEY, "not signed");
	if (!rd->key) {
		char names[512] = "";
		for (size_t i = 0; i < out->nsigs; i++) {
			size_t l = strlen(names);
			snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "",
			         out->sigs[i].keyname);
		}
		if (rd->untrusted_why[0])
			return failst(rd, BD_APK_UNTRUSTED, err, ENOKEY, "signed by %s; %s", names,
			              rd->untrusted_why);
		return failst(rd, BD_APK_UNTRUSTED, err, ENOKEY,
		              "signed by %s, no such public key in %s", names,
		              rd->opts->keyring ? "the keyring" : "the keys directory");
	}
	if (rd->sig_ok != 1)
		return failst(rd, BD_APK_BAD_SIGNATURE, err, EKEYREJECTED,
		              "signature does not verify with key %s", out->signer);
	out->status = BD_APK_OK;
	return 0;
}

int
bd_apk_read(int fd, const char *what, const struct bd_apk_read_opts *opts, struct bd_apk_file *out,
            struct bd_err *err)
{
	struct bd_tar_reader tr;
	struct bd_tar_entry *e = bd_xmalloc(sizeof(*e));
	struct rd rd = {
		.what = what,
		.opts = opts,
		.out = out,
		.sig_member = -1,
		.sig_ok = -1,
	};
	int r;

	memset(out, 0, sizeof(*out));
	out->status = BD_APK_OK;
	{
		off_t sz = lseek(fd, 0, SEEK_END);
		if (sz >= 0) {
			out->file_size = (uint64_t)sz;
			(void)lseek(fd, 0, SEEK_SET);
		}
	}
	rd.gz = bd_gz_reader_new(fd, what, BD_APK_MAX_TOTAL, on_raw, &rd);
	bd_tar_reader_init(&tr, tar_src, &rd, what);
	for (;;) {
		r = bd_tar_next(&tr, e, err);
		if (r < 0) {
			r = lower_fail(&rd, r, err);
			goto out;
		}
		if (r == 0)
			break;
		if (rd.phase == PH_SIG) {
			if (strncmp(e->name, ".SIGN.", 6) == 0) {
				r = handle_sig_entry(&rd, &tr, e, err);
				if (r < 0)
					goto out;
				continue;
			}
			r = start_body(&rd, e, err);
			if (r < 0)
				goto out;
		}
		switch (rd.phase) {
		case PH_CONTROL:
			if (e->name[0] != '.' || strchr(e->name, '/')) {
				r = failst(&rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
				           "data entry '%s' inside the control gzip member (legacy "
				           "layout; data must start a new member)",
				           e->name);
				goto out;
			}
			r = handle_control_entry(&rd, &tr, e, err);
			break;
		case PH_DATA:
			r = handle_data_entry(&rd, &tr, e, err);
			break;
		case PH_INDEX:
			r = handle_index_entry(&rd, &tr, e, err);
			break;
		case PH_SIG:
		default:
			r = 0;
			break;
		}
		if (r < 0)
			goto out;
	}
	if (rd.phase == PH_SIG) {
		r = failst(&rd, BD_APK_BAD_ARCHIVE, err, EINVAL,
		           out->nsigs ? "only signature entries, no package or index content"
		                      : "empty archive");
		goto out;
	}
	r = drain(&rd, err);
	if (r < 0)
		goto out;
	r = conclude(&rd, err);
out:
	free(e);
	bd_gz_reader_free(rd.gz);
	bd_buf_free(&rd.memb_raw);
	bd_buf_free(&rd.pkginfo);
	bd_buf_free(&rd.apkindex);
	bd_hash_free(rd.datahash);
	bd_hash_free(rd.stream_id);
	bd_apk_sigcheck_free(rd.stream_sig);
	bd_apk_pubkey_free(rd.key);
	bd_strset_free(&rd.dirs);
	bd_strset_free(&rd.files);
	return r;
}

int
bd_apk_read_path(const char *path, const struct bd_apk_read_opts *opts, struct bd_apk_file *out,
                 struct bd_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		memset(out, 0, sizeof(*out));
		out->status = BD_APK_IO_ERROR;
		return bd_err_set(err, errno, "open %s", path);
	}
	return bd_apk_read(fd, path, opts, out, err);
}

void
bd_apk_file_free(struct bd_apk_file *f)
{
	bd_apk_pkginfo_free(&f->pkginfo);
	bd_strv_free(&f->scripts);
	for (size_t i = 0; i < BD_APK_NSCRIPTS; i++)
		bd_buf_free(&f->script_body[i]);
	for (size_t i = 0; i < f->nentries; i++) {
		free(f->entries[i].name);
		free(f->entries[i].linkname);
	}
	free(f->entries);
	f->entries = NULL;
	f->nentries = f->entries_cap = 0;
	bd_apk_index_free(&f->index);
	free(f->index_text);
	f->index_text = NULL;
}
