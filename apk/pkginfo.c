/* SPDX-License-Identifier: MIT */
/* pkginfo: .PKGINFO formatting and parsing, dependency syntax. */
#include "apk/pkginfo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apk/version.h"
#include "common/cleanup.h"

void
bd_apk_pkginfo_free(struct bd_apk_pkginfo *pi)
{
	char **scalars[] = {
		&pi->name, &pi->version, &pi->description, &pi->url,    &pi->license,
		&pi->arch, &pi->origin,  &pi->maintainer,  &pi->commit, &pi->packager
	};

	for (size_t i = 0; i < BD_ARRAY_SIZE(scalars); i++) {
		free(*scalars[i]);
		*scalars[i] = NULL;
	}
	bd_strv_free(&pi->depends);
	bd_strv_free(&pi->provides);
	bd_strv_free(&pi->install_if);
	bd_strv_free(&pi->replaces);
	bd_strv_free(&pi->triggers);
}

static char *
dup_or_null(const char *s)
{
	return s ? bd_xstrdup(s) : NULL;
}

static void
copy_strv(struct bd_strv *dst, const struct bd_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		bd_strv_push(dst, src->v[i]);
}

void
bd_apk_pkginfo_copy(struct bd_apk_pkginfo *dst, const struct bd_apk_pkginfo *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->name = dup_or_null(src->name);
	dst->version = dup_or_null(src->version);
	dst->description = dup_or_null(src->description);
	dst->url = dup_or_null(src->url);
	dst->license = dup_or_null(src->license);
	dst->arch = dup_or_null(src->arch);
	dst->origin = dup_or_null(src->origin);
	dst->maintainer = dup_or_null(src->maintainer);
	dst->commit = dup_or_null(src->commit);
	dst->packager = dup_or_null(src->packager);
	dst->builddate = src->builddate;
	dst->installed_size = src->installed_size;
	dst->provider_priority = src->provider_priority;
	dst->has_provider_priority = src->has_provider_priority;
	dst->replaces_priority = src->replaces_priority;
	dst->has_replaces_priority = src->has_replaces_priority;
	copy_strv(&dst->depends, &src->depends);
	copy_strv(&dst->provides, &src->provides);
	copy_strv(&dst->install_if, &src->install_if);
	copy_strv(&dst->replaces, &src->replaces);
	copy_strv(&dst->triggers, &src->triggers);
	memcpy(dst->datahash, src->datahash, sizeof(dst->datahash));
}

bool
bd_apk_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return false;
	/* abuild: must start with an alphanumeric; melange names follow it */
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static bool
is_op_char(char c)
{
	return c == '<' || c == '>' || c == '=' || c == '~';
}

int
bd_apk_dep_parse(const char *s, size_t len, struct bd_apk_dep *dep, struct bd_err *err)
{
	size_t i = 0, start;

	memset(dep, 0, sizeof(*dep));
	if (len > 0 && s[0] == '!') {
		dep->conflict = true;
		i++;
	}
	start = i;
	while (i < len && !is_op_char(s[i]) && s[i] != '@')
		i++;
	if (i == start)
		return bd_err_setx(err, EINVAL, "dependency '%.*s': empty name", (int)len, s);
	if (i - start >= sizeof(dep->name))
		return bd_err_setx(err, EINVAL, "dependency '%.*s': name too long", (int)len, s);
	memcpy(dep->name, s + start, i - start);
	for (size_t k = start; k < i; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c <= ' ' || c == 0x7f)
			return bd_err_setx(err, EINVAL, "dependency '%.*s': bad character in name",
			                   (int)len, s);
	}
	if (i < len && s[i] == '@') {
		start = ++i;
		while (i < len && !is_op_char(s[i]))
			i++;
		if (i == start || i - start >= sizeof(dep->tag))
			return bd_err_setx(err, EINVAL, "dependency '%.*s': bad repository tag",
			                   (int)len, s);
		memcpy(dep->tag, s + start, i - start);
	}
	if (i == len)
		return 0;
	start = i;
	while (i < len && is_op_char(s[i]))
		i++;
	/* "><" is the checksum operator: the version is then a Q1 checksum */
	if (i - start == 2 && s[start] == '>' && s[start + 1] == '<') {
		dep->op = BD_APK_VER_LESS | BD_APK_VER_GREATER;
	} else {
		dep->op = bd_apk_version_op_parse(s + start, i - start);
		if (dep->op == 0)
			return bd_err_setx(err, EINVAL,
			                   "dependency '%.*s': unknown operator '%.*s'", (int)len,
			                   s, (int)(i - start), s + start);
	}
	if (i == len)
		return bd_err_setx(err, EINVAL, "dependency '%.*s': operator without a version",
		                   (int)len, s);
	if (len - i >= sizeof(dep->version))
		return bd_err_setx(err, EINVAL, "dependency '%.*s': version too long", (int)len, s);
	memcpy(dep->version, s + i, len - i);
	if (dep->op == (BD_APK_VER_LESS | BD_APK_VER_GREATER)) {
		if (strncmp(dep->version, "Q1", 2) != 0 || strlen(dep->version) != 30)
			return bd_err_setx(err, EINVAL,
			                   "dependency '%.*s': '><' needs a Q1 checksum", (int)len,
			                   s);
	} else if (!bd_apk_version_valid(dep->version)) {
		return bd_err_setx(err, EINVAL, "dependency '%.*s': invalid version '%s'", (int)len,
		                   s, dep->version);
	}
	return 0;
}

int
bd_apk_deps_split(const char *list, struct bd_strv *out, struct bd_err *err)
{
	const char *p = list;

	while (*p) {
		struct bd_apk_dep dep;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		n = strcspn(p, " \t\n");
		if (n == 0)
			break;
		if (bd_apk_dep_parse(p, n, &dep, err) < 0)
			return -err->code;
		bd_strv_push_owned(out, bd_xstrndup(p, n));
		p += n;
	}
	return 0;
}

static int
check_line_value(const char *field, const char *v, struct bd_err *err)
{
	for (const char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			return bd_err_setx(err, EINVAL, "%s: value contains a line break", field);
	return 0;
}

static int
validate_deps(const char *field, const struct bd_strv *sv, bool allow_conflict, struct bd_err *err)
{
	for (size_t i = 0; i < sv->n; i++) {
		struct bd_apk_dep dep;
		if (strpbrk(sv->v[i], " \t\n"))
			return bd_err_setx(err, EINVAL, "%s '%s': one item per entry, no spaces",
			                   field, sv->v[i]);
		if (bd_apk_dep_parse(sv->v[i], strlen(sv->v[i]), &dep, err) < 0)
			return bd_err_prefix(err, "%s: ", field);
		if (dep.conflict && !allow_conflict)
			return bd_err_setx(err, EINVAL, "%s '%s': '!' is only allowed in depends",
			                   field, sv->v[i]);
	}
	return 0;
}

int
bd_apk_pkginfo_validate(const struct bd_apk_pkginfo *pi, struct bd_err *err)
{
	const char *scalars[][2] = {
		{ "pkgdesc", pi->description }, { "url", pi->url },
		{ "license", pi->license },     { "arch", pi->arch },
		{ "origin", pi->origin },       { "maintainer", pi->maintainer },
		{ "commit", pi->commit },       { "packager", pi->packager },
	};

	if (!pi->name || !bd_apk_name_valid(pi->name))
		return bd_err_setx(err, EINVAL,
		                   "package name '%s' is invalid (letters, digits and . _ + -, "
		                   "starting with a letter or digit)",
		                   pi->name ? pi->name : "");
	if (!pi->version || !*pi->version || !bd_apk_version_valid(pi->version))
		return bd_err_setx(err, EINVAL,
		                   "package %s: version '%s' is not a valid apk version", pi->name,
		                   pi->version ? pi->version : "");
	for (size_t i = 0; i < BD_ARRAY_SIZE(scalars); i++)
		if (scalars[i][1] && check_line_value(scalars[i][0], scalars[i][1], err) < 0)
			return bd_err_prefix(err, "package %s: ", pi->name);
	if (pi->arch && (strpbrk(pi->arch, " /") || !*pi->arch))
		return bd_err_setx(err, EINVAL, "package %s: invalid arch '%s'", pi->name,
		                   pi->arch);
	if (validate_deps("depends", &pi->depends, true, err) < 0 ||
	    validate_deps("provides", &pi->provides, false, err) < 0 ||
	    validate_deps("install_if", &pi->install_if, true, err) < 0 ||
	    validate_deps("replaces", &pi->replaces, false, err) < 0)
		return bd_err_prefix(err, "package %s: ", pi->name);
	for (size_t i = 0; i < pi->triggers.n; i++)
		if (check_line_value("triggers", pi->triggers.v[i], err) < 0 ||
		    strchr(pi->triggers.v[i], ' '))
			return bd_err_setx(err, EINVAL, "package %s: bad trigger '%s'", pi->name,
			                   pi->triggers.v[i]);
	return 0;
}

int
bd_apk_pkginfo_format(const struct bd_apk_pkginfo *pi, const char *generator, struct bd_buf *out,
                      struct bd_err *err)
{
	int r = bd_apk_pkginfo_validate(pi, err);

	if (r < 0)
		return r;
	/* abuild's field order (apk-format.md section 4) */
	bd_buf_printf(out, "# Generated by %s\n", generator);
	bd_buf_printf(out, "pkgname = %s\n", pi->name);
	bd_buf_printf(out, "pkgver = %s\n", pi->version);
	if (pi->description)
		bd_buf_printf(out, "pkgdesc = %s\n", pi->description);
	if (pi->url)
		bd_buf_printf(out, "url = %s\n", pi->url);
	if (pi->builddate)
		bd_buf_printf(out, "builddate = %llu\n", (unsigned long long)pi->builddate);
	if (pi->packager)
		bd_buf_printf(out, "packager = %s\n", pi->packager);
	bd_buf_printf(out, "size = %llu\n", (unsigned long long)pi->installed_size);
	if (pi->arch)
		bd_buf_printf(out, "arch = %s\n", pi->arch);
	if (pi->origin)
		bd_buf_printf(out, "origin = %s\n", pi->origin);
	if (pi->commit)
		bd_buf_printf(out, "commit = %s\n", pi->commit);
	if (pi->maintainer)
		bd_buf_printf(out, "maintainer = %s\n", pi->maintainer);
	if (pi->license)
		bd_buf_printf(out, "license = %s\n", pi->license);
	for (size_t i = 0; i < pi->replaces.n; i++)
		bd_buf_printf(out, "replaces = %s\n", pi->replaces.v[i]);
	if (pi->has_replaces_priority)
		bd_buf_printf(out, "replaces_priority = %ld\n", pi->replaces_priority);
	if (pi->has_provider_priority)
		bd_buf_printf(out, "provider_priority = %ld\n", pi->provider_priority);
	for (size_t i = 0; i < pi->depends.n; i++)
		bd_buf_printf(out, "depend = %s\n", pi->depends.v[i]);
	for (size_t i = 0; i < pi->provides.n; i++)
		bd_buf_printf(out, "provides = %s\n", pi->provides.v[i]);
	if (pi->install_if.n) {
		/* one line, space separated, as abuild writes it */
		bd_buf_puts(out, "install_if =");
		for (size_t i = 0; i < pi->install_if.n; i++)
			bd_buf_printf(out, " %s", pi->install_if.v[i]);
		bd_buf_putc(out, '\n');
	}
	if (pi->triggers.n) {
		bd_buf_puts(out, "triggers =");
		for (size_t i = 0; i < pi->triggers.n; i++)
			bd_buf_printf(out, " %s", pi->triggers.v[i]);
		bd_buf_putc(out, '\n');
	}
	if (pi->datahash[0])
		bd_buf_printf(out, "datahash = %s\n", pi->datahash);
	return 0;
}

static void
set_scalar(char **dst, const char *v, size_t n)
{
	free(*dst);
	*dst = bd_xstrndup(v, n);
}

static int
parse_number(const char *key, const char *v, size_t n, uint64_t *out, struct bd_err *err)
{
	char tmp[32];

	if (n == 0 || n >= sizeof(tmp))
		return bd_err_setx(err, EINVAL, ".PKGINFO: %s: not a number", key);
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (bd_parse_u64(tmp, UINT64_MAX, out) < 0)
		return bd_err_setx(err, EINVAL, ".PKGINFO: %s: '%s' is not a number", key, tmp);
	return 0;
}

static int
parse_signed(const char *key, const char *v, size_t n, long *out, struct bd_err *err)
{
	uint64_t u;
	bool neg = n > 0 && v[0] == '-';

	if (parse_number(key, v + neg, n - neg, &u, err) < 0)
		return -err->code;
	if (u > (uint64_t)1 << 31)
		return bd_err_setx(err, ERANGE, ".PKGINFO: %s out of range", key);
	*out = neg ? -(long)u : (long)u;
	return 0;
}

static int
add_deps(const char *key, struct bd_strv *sv, const char *v, size_t n, struct bd_err *err)
{
	_cleanup_free_ char *tmp = bd_xstrndup(v, n);

	if (bd_apk_deps_split(tmp, sv, err) < 0)
		return bd_err_prefix(err, ".PKGINFO: %s: ", key);
	return 0;
}

int
bd_apk_pkginfo_parse(const char *text, size_t len, struct bd_apk_pkginfo *pi, struct bd_err *err)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *sep;
		size_t klen, vlen;
		const char *k, *v;

		lineno++;
		if (p == line_end || *p == '#')
			goto next;
		sep = NULL;
		for (const char *q = p; q + 3 <= line_end; q++)
			if (q[0] == ' ' && q[1] == '=' && q[2] == ' ') {
				sep = q;
				break;
			}
		if (!sep)
			goto next; /* apk ignores lines without " = " */
		k = p;
		klen = (size_t)(sep - p);
		v = sep + 3;
		vlen = (size_t)(line_end - v);
		if (memchr(v, '\0', vlen))
			return bd_err_setx(err, EINVAL, ".PKGINFO line %u: NUL byte", lineno);
#define K(s) (klen == sizeof(s) - 1 && memcmp(k, s, klen) == 0)
		if (K("pkgname"))
			set_scalar(&pi->name, v, vlen);
		else if (K("pkgver"))
			set_scalar(&pi->version, v, vlen);
		else if (K("pkgdesc"))
			set_scalar(&pi->description, v, vlen);
		else if (K("url"))
			set_scalar(&pi->url, v, vlen);
		else if (K("license"))
			set_scalar(&pi->license, v, vlen);
		else if (K("arch"))
			set_scalar(&pi->arch, v, vlen);
		else if (K("origin"))
			set_scalar(&pi->origin, v, vlen);
		else if (K("maintainer"))
			set_scalar(&pi->maintainer, v, vlen);
		else if (K("commit"))
			set_scalar(&pi->commit, v, vlen);
		else if (K("packager"))
			set_scalar(&pi->packager, v, vlen);
		else if (K("builddate")) {
			if (parse_number("builddate", v, vlen, &pi->builddate, err) < 0)
				return -err->code;
		} else if (K("size")) {
			if (parse_number("size", v, vlen, &pi->installed_size, err) < 0)
				return -err->code;
		} else if (K("provider_priority")) {
			if (parse_signed("provider_priority", v, vlen, &pi->provider_priority,
			                 err) < 0)
				return -err->code;
			pi->has_provider_priority = true;
		} else if (K("replaces_priority")) {
			if (parse_signed("replaces_priority", v, vlen, &pi->replaces_priority,
			                 err) < 0)
				return -err->code;
			pi->has_replaces_priority = true;
		} else if (K("depend")) {
			if (add_deps("depend", &pi->depends, v, vlen, err) < 0)
				return -err->code;
		} else if (K("provides")) {
			if (add_deps("provides", &pi->provides, v, vlen, err) < 0)
				return -err->code;
		} else if (K("install_if")) {
			if (add_deps("install_if", &pi->install_if, v, vlen, err) < 0)
				return -err->code;
		} else if (K("replaces")) {
			if (add_deps("replaces", &pi->replaces, v, vlen, err) < 0)
				return -err->code;
		} else if (K("triggers")) {
			/* the last line wins, as in apk's read_info_line() */
			_cleanup_free_ char *tmp = bd_xstrndup(v, vlen);
			bd_strv_free(&pi->triggers);
			for (char *save = NULL, *t = strtok_r(tmp, " ", &save); t;
			     t = strtok_r(NULL, " ", &save))
				bd_strv_push(&pi->triggers, t);
		} else if (K("datahash")) {
			if (vlen != 64 || strspn(v, "0123456789abcdef") < 64)
				return bd_err_setx(
				    err, EINVAL,
				    ".PKGINFO: datahash is not 64 lower-case hex digits");
			memcpy(pi->datahash, v, 64);
			pi->datahash[64] = '\0';
		}
#undef K
	next:
		p = nl ? nl + 1 : end;
	}
	if (!pi->name || !*pi->name)
		return bd_err_setx(err, EINVAL, ".PKGINFO: no pkgname");
	if (!pi->version || !*pi->version)
		return bd_err_setx(err, EINVAL, ".PKGINFO: no pkgver");
	return 0;
}
