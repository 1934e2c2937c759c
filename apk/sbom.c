/* SPDX-License-Identifier: MIT */
/* sbom: SPDX 2.3 JSON documents (see sbom.h).  Field choices follow
 * melange's SPDX output (recipe-format.md 6.4), with builderd's names. */
#include "apk/sbom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apk/crypto.h"
#include "common/jsonw.h"

/* 9999-12-31T23:59:59Z, the last time an SPDX date can hold */
#define SBOM_MAX_EPOCH 253402300799ULL

char *
bd_sbom_path(const char *name, const char *version)
{
	return bd_xasprintf("var/lib/db/sbom/%s-%s.spdx.json", name, version);
}

/* SPDX identifiers are "SPDXRef-" and then letters, digits, '.' and '-'
 * only (SPDX 2.3 clause 3.2).  Other bytes become '-', and then a name
 * that needed that gets the first 8 hex digits of its SHA-256 appended, so
 * that "py3_foo", "py3-foo" and "py3@foo" stay three identifiers, while a
 * name that is already fine keeps its readable identifier.  @used holds the
 * identifiers handed out so far: should two still meet, the later one gets
 * "-2", "-3", ..., so the identifiers of a document are always unique and
 * depend only on its input. */
static char *
spdx_id(struct bd_strset *used, const char *prefix, const char *s)
{
	struct bd_buf b = { 0 };
	bool replaced = !*s;

	bd_buf_puts(&b, prefix);
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '.' || c == '-';
		bd_buf_putc(&b, ok ? c : '-');
		replaced |= !ok;
	}
	if (replaced) {
		unsigned char d[BD_HASH_MAX];
		char hex[9];
		bd_hash_buf(BD_HASH_SHA256, s, strlen(s), d);
		bd_hex(d, 4, hex);
		bd_buf_printf(&b, "-%s", hex);
	}
	size_t base = b.len;
	for (unsigned n = 2; !bd_strset_add(used, b.data); n++) {
		b.len = base;
		b.data[base] = '\0';
		bd_buf_printf(&b, "-%u", n);
	}
	return bd_buf_steal(&b);
}

/* @s is @len lower-case hexadecimal digits (SPDX checksum values are) */
static bool
is_hex_digest(const char *s, size_t len)
{
	return s && strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

/* @s looks like an absolute URI: a scheme, ':', no white space */
static bool
is_uri(const char *s)
{
	size_t n =
	    s ? strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") : 0;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	return s[n] == ':' && s[n + 1] && !strpbrk(s + n, " \t\r\n\f\v");
}

/* purl components: percent-encode everything but unreserved characters */
static void
purl_escape(struct bd_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_' || c == '~')
			bd_buf_putc(b, (char)c);
		else
			bd_buf_printf(b, "%%%02X", c);
	}
}

static void
kv(struct bd_jw *j, const char *k, const char *v)
{
	bd_jw_key(j, k);
	bd_jw_str(j, v);
}

static void
purl_ref(struct bd_jw *j, const char *purl)
{
	bd_jw_key(j, "externalRefs");
	bd_jw_arr(j);
	bd_jw_obj(j);
	kv(j, "referenceCategory", "PACKAGE-MANAGER");
	kv(j, "referenceType", "purl");
	kv(j, "referenceLocator", purl);
	bd_jw_obj_end(j);
	bd_jw_arr_end(j);
}

static void
checksum(struct bd_jw *j, const char *alg, const char *hex)
{
	bd_jw_obj(j);
	kv(j, "algorithm", alg);
	kv(j, "checksumValue", hex);
	bd_jw_obj_end(j);
}

static void
relationship(struct bd_jw *j, const char *a, const char *type, const char *b)
{
	bd_jw_obj(j);
	kv(j, "spdxElementId", a);
	kv(j, "relationshipType", type);
	kv(j, "relatedSpdxElement", b);
	bd_jw_obj_end(j);
}

int
bd_sbom_spdx(const struct bd_sbom_input *in, struct bd_buf *out, struct bd_err *err)
{
	struct bd_jw j;
	struct bd_buf tmp = { 0 };
	char created[32], nshex[65];
	unsigned char d[BD_HASH_MAX];
	struct tm tm;
	time_t t = (time_t)in->source_date_epoch;
	const char *ns = in->namespace_ ? in->namespace_ : "builderd";
	char *pkg_id, **src_ids, **env_ids;
	struct bd_strset used = { 0 };

	if (!in->name || !*in->name || !in->version || !in->arch)
		return bd_err_setx(err, EINVAL,
		                   "sbom: package name, version and arch are required");
	/* SPDX dates are YYYY-MM-DDThh:mm:ssZ: four-digit years only */
	if (in->source_date_epoch > SBOM_MAX_EPOCH || !gmtime_r(&t, &tm))
		return bd_err_setx(err, ERANGE,
		                   "sbom: SOURCE_DATE_EPOCH %llu is past 9999-12-31T23:59:59Z",
		                   (unsigned long long)in->source_date_epoch);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bd_strset_add(&used, "SPDXRef-DOCUMENT");
	bd_strset_add(&used, "SPDXRef-Recipe");
	pkg_id = spdx_id(&used, "SPDXRef-Package-", in->name);
	src_ids = bd_xcalloc(in->nsources ? in->nsources : 1, sizeof(char *));
	env_ids = bd_xcalloc(in->nenv ? in->nenv : 1, sizeof(char *));
	/* a namespace unique to this package build and stable across rebuilds */
	bd_buf_printf(&tmp, "%s\n%s\n%s\n%s\n%s\n", ns, in->name, in->version, in->arch,
	              in->recipe_sha256 ? in->recipe_sha256 : "");
	for (size_t i = 0; i < in->nsources; i++)
		bd_buf_printf(&tmp, "%s %s %s %s\n", in->sources[i].uri,
		              in->sources[i].sha256 ? in->sources[i].sha256 : "",
		              in->sources[i].sha512 ? in->sources[i].sha512 : "",
		              in->sources[i].commit ? in->sources[i].commit : "");
	bd_hash_buf(BD_HASH_SHA256, tmp.data, tmp.len, d);
	bd_hex(d, 32, nshex);
	bd_buf_free(&tmp);

	bd_jw_init(&j, out);
	bd_jw_obj(&j);
	kv(&j, "spdxVersion", "SPDX-2.3");
	kv(&j, "dataLicense", "CC0-1.0");
	kv(&j, "SPDXID", "SPDXRef-DOCUMENT");
	bd_buf_printf(&tmp, "apk-%s-%s", in->name, in->version);
	kv(&j, "name", tmp.data);
	bd_buf_reset(&tmp);
	/* an absolute URI with no '#' part, whatever the name holds */
	bd_buf_puts(&tmp, "https://spdx.org/spdxdocs/builderd/");
	purl_escape(&tmp, in->name);
	bd_buf_putc(&tmp, '-');
	purl_escape(&tmp, in->version);
	bd_buf_printf(&tmp, "-%s", nshex);
	kv(&j, "documentNamespace", tmp.data);
	bd_buf_reset(&tmp);
	bd_jw_key(&j, "creationInfo");
	bd_jw_obj(&j);
	kv(&j, "created", created);
	bd_jw_key(&j, "creators");
	bd_jw_arr(&j);
	bd_jw_str(&j, "Tool: builderd-" BD_VERSION);
	bd_jw_str(&j, "Organization: builderd");
	bd_jw_arr_end(&j);
	kv(&j, "licenseListVersion", "3.22");
	bd_jw_obj_end(&j);
	bd_jw_key(&j, "documentDescribes");
	bd_jw_arr(&j);
	bd_jw_str(&j, pkg_id);
	bd_jw_arr_end(&j);

	bd_jw_key(&j, "packages");
	bd_jw_arr(&j);
	/* the package */
	bd_jw_obj(&j);
	kv(&j, "SPDXID", pkg_id);
	kv(&j, "name", in->name);
	kv(&j, "versionInfo", in->version);
	kv(&j, "downloadLocation", "NOASSERTION");
	bd_jw_key(&j, "filesAnalyzed");
	bd_jw_bool(&j, false);
	kv(&j, "licenseConcluded", "NOASSERTION");
	kv(&j, "licenseDeclared", in->license && *in->license ? in->license : "NOASSERTION");
	kv(&j, "copyrightText", "NOASSERTION");
	if (in->description)
		kv(&j, "description", in->description);
	if (is_uri(in->url))
		kv(&j, "homepage", in->url);
	bd_buf_printf(&tmp, "Organization: %s", ns);
	kv(&j, "supplier", tmp.data);
	kv(&j, "originator", tmp.data);
	bd_buf_reset(&tmp);
	bd_buf_puts(&tmp, "pkg:apk/");
	purl_escape(&tmp, ns);
	bd_buf_putc(&tmp, '/');
	purl_escape(&tmp, in->name);
	bd_buf_putc(&tmp, '@');
	purl_escape(&tmp, in->version);
	bd_buf_puts(&tmp, "?arch=");
	purl_escape(&tmp, in->arch);
	bd_buf_puts(&tmp, "&distro=");
	purl_escape(&tmp, ns);
	purl_ref(&j, tmp.data);
	bd_buf_reset(&tmp);
	kv(&j, "primaryPackagePurpose", "APPLICATION");
	bd_jw_obj_end(&j);

	/* the recipe */
	bd_jw_obj(&j);
	kv(&j, "SPDXID", "SPDXRef-Recipe");
	kv(&j, "name", in->recipe_name ? in->recipe_name : "recipe.yaml");
	kv(&j, "versionInfo", in->recipe_sha256 ? in->recipe_sha256 : "NOASSERTION");
	kv(&j, "downloadLocation", "NOASSERTION");
	bd_jw_key(&j, "filesAnalyzed");
	bd_jw_bool(&j, false);
	if (is_hex_digest(in->recipe_sha256, 64)) {
		bd_jw_key(&j, "checksums");
		bd_jw_arr(&j);
		checksum(&j, "SHA256", in->recipe_sha256);
		bd_jw_arr_end(&j);
	}
	kv(&j, "licenseConcluded", "NOASSERTION");
	kv(&j, "licenseDeclared", "NOASSERTION");
	kv(&j, "copyrightText", "NOASSERTION");
	kv(&j, "primaryPackagePurpose", "INSTALL");
	bd_jw_obj_end(&j);

	/* sources */
	for (size_t i = 0; i < in->nsources; i++) {
		const struct bd_sbom_source *s = &in->sources[i];
		bool git = strcmp(s->kind, "git") == 0;
		const char *sha256 = is_hex_digest(s->sha256, 64) ? s->sha256 : NULL;
		const char *sha512 = is_hex_digest(s->sha512, 128) ? s->sha512 : NULL;
		bd_buf_reset(&tmp);
		bd_buf_printf(&tmp, "SPDXRef-Source-%zu-", i + 1);
		src_ids[i] = spdx_id(&used, tmp.data, s->name ? s->name : "source");
		bd_jw_obj(&j);
		kv(&j, "SPDXID", src_ids[i]);
		kv(&j, "name", s->name && *s->name ? s->name : s->uri);
		kv(&j, "versionInfo",
		   s->version ? s->version : (s->commit ? s->commit : "NOASSERTION"));
		/* a URI, or for git the VCS form git+<transport>://...@<commit>
		 * (SPDX 2.3 7.7); NOASSERTION for what is neither (scp-like
		 * "host:path" repositories) */
		bd_buf_reset(&tmp);
		if (!is_uri(s->uri))
			bd_buf_puts(&tmp, "NOASSERTION");
		else if (git)
			bd_buf_printf(&tmp, "%s%s%s%s",
			              bd_str_has_prefix(s->uri, "git+") ? "" : "git+", s->uri,
			              s->commit ? "@" : "", s->commit ? s->commit : "");
		else
			bd_buf_puts(&tmp, s->uri);
		kv(&j, "downloadLocation", tmp.data);
		bd_jw_key(&j, "filesAnalyzed");
		bd_jw_bool(&j, false);
		if (sha256 || sha512) {
			bd_jw_key(&j, "checksums");
			bd_jw_arr(&j);
			if (sha256)
				checksum(&j, "SHA256", sha256);
			if (sha512)
				checksum(&j, "SHA512", sha512);
			bd_jw_arr_end(&j);
		}
		kv(&j, "licenseConcluded", "NOASSERTION");
		kv(&j, "licenseDeclared", "NOASSERTION");
		kv(&j, "copyrightText", "NOASSERTION");
		bd_buf_reset(&tmp);
		bd_buf_puts(&tmp, "pkg:generic/");
		purl_escape(&tmp, s->name ? s->name : "source");
		bd_buf_putc(&tmp, '@');
		purl_escape(&tmp, s->version ? s->version : (s->commit ? s->commit : "unknown"));
		if (git) {
			bd_buf_puts(&tmp, "?vcs_url=");
			struct bd_buf v = { 0 };
			bd_buf_printf(&v, "git+%s@%s", s->uri, s->commit ? s->commit : "");
			purl_escape(&tmp, v.data);
			bd_buf_free(&v);
		} else {
			if (sha256) {
				bd_buf_puts(&tmp, "?checksum=sha256:");
				purl_escape(&tmp, sha256);
				bd_buf_puts(&tmp, "&download_url=");
			} else {
				bd_buf_puts(&tmp, "?download_url=");
			}
			purl_escape(&tmp, s->uri);
		}
		purl_ref(&j, tmp.data);
		kv(&j, "primaryPackagePurpose", "SOURCE");
		bd_jw_obj_end(&j);
	}

	/* the build environment */
	for (size_t i = 0; i < in->nenv; i++) {
		const struct bd_sbom_envpkg *e = &in->env[i];
		env_ids[i] = spdx_id(&used, "SPDXRef-Environment-", e->name ? e->name : "");
		bd_jw_obj(&j);
		kv(&j, "SPDXID", env_ids[i]);
		kv(&j, "name", e->name && *e->name ? e->name : "unknown");
		kv(&j, "versionInfo", e->version ? e->version : "NOASSERTION");
		kv(&j, "downloadLocation", "NOASSERTION");
		bd_jw_key(&j, "filesAnalyzed");
		bd_jw_bool(&j, false);
		if (is_hex_digest(e->checksum, 64)) {
			bd_jw_key(&j, "checksums");
			bd_jw_arr(&j);
			checksum(&j, "SHA256", e->checksum);
			bd_jw_arr_end(&j);
		}
		kv(&j, "licenseConcluded", "NOASSERTION");
		kv(&j, "licenseDeclared", "NOASSERTION");
		kv(&j, "copyrightText", "NOASSERTION");
		bd_jw_obj_end(&j);
	}
	bd_jw_arr_end(&j);

	bd_jw_key(&j, "relationships");
	bd_jw_arr(&j);
	relationship(&j, "SPDXRef-DOCUMENT", "DESCRIBES", pkg_id);
	relationship(&j, pkg_id, "DESCRIBED_BY", "SPDXRef-Recipe");
	for (size_t i = 0; i < in->nsources; i++)
		relationship(&j, pkg_id, "GENERATED_FROM", src_ids[i]);
	for (size_t i = 0; i < in->nenv; i++)
		relationship(&j, env_ids[i], "BUILD_DEPENDENCY_OF", pkg_id);
	bd_jw_arr_end(&j);
	bd_jw_obj_end(&j);
	bd_buf_putc(out, '\n');

	for (size_t i = 0; i < in->nsources; i++)
		free(src_ids[i]);
	for (size_t i = 0; i < in->nenv; i++)
		free(env_ids[i]);
	free(src_ids);
	free(env_ids);
	free(pkg_id);
	bd_strset_free(&used);
	bd_buf_free(&tmp);
	return 0;
}
