/* SPDX-License-Identifier: MIT */
/* builderctl inspect: show a package's metadata and entries, or an index's
 * entries, as text or JSON.  Signatures are listed, not checked (that is
 * `verify`); structure and hashes are checked as the file is read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apk/reader.h"
#include "builderctl/builderctl.h"
#include "common/util.h"
#include "proto/json.h"

static const char usage[] =
    "Usage: builderctl inspect [--json] FILE\n"
    "\n"
    "Print a package's .PKGINFO fields, signatures, identity (C:), datahash and\n"
    "entries, or an index's description and entries. Exits 1 when the file is\n"
    "malformed (what could be read is still printed).\n"
    "\n"
    "  --json   machine-readable output\n";

static const char *
alg_name(enum bd_hash_alg a)
{
	return a == BD_HASH_SHA1 ? "RSA" : a == BD_HASH_SHA512 ? "RSA512" : "RSA256";
}

static struct bd_json *
pkginfo_json(const struct bd_apk_pkginfo *pi)
{
	struct bd_json *o = bd_json_object();

	bd_json_set_str(o, "name", pi->name);
	bd_json_set_str(o, "version", pi->version);
	bd_json_set_str(o, "arch", pi->arch);
	bd_json_set_str(o, "description", pi->description);
	bd_json_set_str(o, "url", pi->url);
	bd_json_set_str(o, "license", pi->license);
	bd_json_set_str(o, "origin", pi->origin);
	bd_json_set_str(o, "maintainer", pi->maintainer);
	bd_json_set_str(o, "commit", pi->commit);
	bd_json_set_int(o, "builddate", (int64_t)pi->builddate);
	bd_json_set_int(o, "installed_size", (int64_t)pi->installed_size);
	if (pi->has_provider_priority)
		bd_json_set_int(o, "provider_priority", pi->provider_priority);
	bd_json_set(o, "depends", bd_json_strv(&pi->depends));
	bd_json_set(o, "provides", bd_json_strv(&pi->provides));
	bd_json_set(o, "install_if", bd_json_strv(&pi->install_if));
	bd_json_set(o, "replaces", bd_json_strv(&pi->replaces));
	bd_json_set(o, "triggers", bd_json_strv(&pi->triggers));
	if (pi->datahash[0])
		bd_json_set_str(o, "datahash", pi->datahash);
	return o;
}

static void
print_json(const struct bd_apk_file *f, const char *path, int rc, const struct bd_err *err)
{
	struct bd_json *o = bd_json_object(), *sigs = bd_json_array();
	char *s;

	bd_json_set_str(o, "file", path);
	bd_json_set_str(o, "kind", f->kind == BD_APK_KIND_PACKAGE ? "package" : "index");
	bd_json_set_int(o, "size", (int64_t)f->file_size);
	bd_json_set_bool(o, "valid", rc == 0);
	if (rc < 0)
		bd_json_set_str(o, "error", err->msg);
	for (size_t i = 0; i < f->nsigs; i++) {
		struct bd_json *so = bd_json_object();
		bd_json_set_str(so, "key", f->sigs[i].keyname);
		bd_json_set_str(so, "type",
		                f->sigs[i].known_type ? alg_name(f->sigs[i].alg) : "unknown");
		bd_json_append(sigs, so);
	}
	bd_json_set(o, "signatures", sigs);
	if (f->kind == BD_APK_KIND_PACKAGE) {
		struct bd_json *ents = bd_json_array();
		bd_json_set_str(o, "identity", f->identity[0] ? f->identity : NULL);
		bd_json_set_str(o, "datahash", f->datahash[0] ? f->datahash : NULL);
		bd_json_set(o, "pkginfo", pkginfo_json(&f->pkginfo));
		bd_json_set(o, "scripts", bd_json_strv(&f->scripts));
		for (size_t i = 0; i < f->nentries; i++) {
			const struct bd_apk_entry *e = &f->entries[i];
			struct bd_json *eo = bd_json_object();
			char mode[8], t[2] = { e->type, 0 };
			snprintf(mode, sizeof(mode), "%04o", e->mode);
			bd_json_set_str(eo, "name", e->name);
			bd_json_set_str(eo, "type", t);
			bd_json_set_str(eo, "mode", mode);
			bd_json_set_int(eo, "size", (int64_t)e->size);
			if (e->linkname)
				bd_json_set_str(eo, "link", e->linkname);
			if (e->has_sha1)
				bd_json_set_str(eo, "sha1", e->sha1_hex);
			bd_json_append(ents, eo);
		}
		bd_json_set(o, "entries", ents);
	} else {
		struct bd_json *pk = bd_json_array();
		bd_json_set_str(o, "description", f->index.description);
		for (size_t i = 0; i < f->index.n; i++) {
			struct bd_json *po = pkginfo_json(&f->index.v[i].pi);
			bd_json_set_str(po, "checksum", f->index.v[i].csum);
			bd_json_set_int(po, "file_size", (int64_t)f->index.v[i].file_size);
			bd_json_append(pk, po);
		}
		bd_json_set(o, "packages", pk);
	}
	s = bd_json_dump(o, true);
	puts(s);
	free(s);
	bd_json_free(o);
}

static void
print_list(const char *key, const struct bd_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		printf("%-12s %s\n", key, sv->v[i]);
}

static void
print_text(const struct bd_apk_file *f, const char *path)
{
	const struct bd_apk_pkginfo *pi = &f->pkginfo;

	printf("file         %s (%llu bytes, %s)\n", path, (unsigned long long)f->file_size,
	       f->kind == BD_APK_KIND_PACKAGE ? "package" : "index");
	for (size_t i = 0; i < f->nsigs; i++)
		printf("signature    %s %s\n",
		       f->sigs[i].known_type ? alg_name(f->sigs[i].alg) : "unknown",
		       f->sigs[i].keyname);
	if (f->kind == BD_APK_KIND_INDEX) {
		if (f->index.description)
			printf("description  %s\n", f->index.description);
		printf("packages     %zu\n\n", f->index.n);
		for (size_t i = 0; i < f->index.n; i++) {
			const struct bd_apk_pkginfo *p = &f->index.v[i].pi;
			printf("%s-%s %s %s\n", p->name, p->version, p->arch ? p->arch : "-",
			       f->index.v[i].csum);
		}
		return;
	}
	printf("identity     %s\n", f->identity);
	printf("datahash     %s\n", f->datahash);
	printf("name         %s\nversion      %s\n", pi->name ? pi->name : "",
	       pi->version ? pi->version : "");
	if (pi->arch)
		printf("arch         %s\n", pi->arch);
	if (pi->description)
		printf("description  %s\n", pi->description);
	if (pi->url)
		printf("url          %s\n", pi->url);
	if (pi->license)
		printf("license      %s\n", pi->license);
	if (pi->origin)
		printf("origin       %s\n", pi->origin);
	if (pi->builddate)
		printf("builddate    %llu\n", (unsigned long long)pi->builddate);
	printf("size         %llu\n", (unsigned long long)pi->installed_size);
	print_list("depend", &pi->depends);
	print_list("provides", &pi->provides);
	print_list("install_if", &pi->install_if);
	print_list("replaces", &pi->replaces);
	print_list("script", &f->scripts);
	printf("\n");
	for (size_t i = 0; i < f->nentries; i++) {
		const struct bd_apk_entry *e = &f->entries[i];
		printf("%c %04o %10llu %s%s%s\n", e->type, e->mode, (unsigned long long)e->size,
		       e->name, e->linkname ? (e->type == '1' ? " link to " : " -> ") : "",
		       e->linkname ? e->linkname : "");
	}
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else
			return bctl_getopt_default(bctl_current, c);
	}
	if (argc - optind != 1)
		return bctl_usage_error(bctl_current, "expected exactly one file");

	struct bd_apk_read_opts ro = { .keys_dirfd = -1, .list_entries = true };
	struct bd_apk_file f;
	struct bd_err err = { 0 };
	const char *path = argv[optind];

	rc = bd_apk_read_path(path, &ro, &f, &err);
	if (json)
		print_json(&f, path, rc, &err);
	else if (f.nsigs || f.pkginfo.name || f.index.n)
		print_text(&f, path);
	if (rc < 0)
		bctl_error("inspect: %s: %s", bd_apk_status_str(f.status), err.msg);
	bd_apk_file_free(&f);
	return rc < 0 ? BCTL_EXIT_FAIL : BCTL_EXIT_OK;
}

BCTL_VERB(inspect, "inspect", "show a package's or index's contents", usage, run)
