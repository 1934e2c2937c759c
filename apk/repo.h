/* SPDX-License-Identifier: MIT */
/* repo: the APK repository client.  Loads signed indexes from http(s)
 * URLs, file:// URLs and plain paths, verifies them against a keyring,
 * caches remote ones, builds the solver's package database from them, and
 * downloads resolved packages into a content-addressed cache, verified.
 *
 * Layout (apk-format.md section 7): REPO/<arch>/APKINDEX.tar.gz and
 * REPO/<A:>/<P:>-<V:>.apk, where a package's own A: picks the directory
 * (so A:noarch packages are fetched from REPO/noarch, section 0.11).
 *
 * Trust, stricter than apk on purpose: an index that is unsigned, signed
 * by a key outside the keyring or badly signed is an error for every kind
 * of repository (apk only warns for local ones, section 0.8).  A package is
 * accepted when sha1 of its control member equals the signed index's C:
 * and its data matches the datahash that control member declares, which is
 * what apk checks when installing from a repository (section 0.7); its own
 * signature is not required.
 *
 * Network: apk/ does not link an HTTP client.  http(s) URLs go through the
 * caller's fetch callback (the daemon has one; without it remote
 * repositories are an error), file:// URLs and paths are read here.
 *
 * Cache (a directory chosen by the caller):
 *   APKINDEX.<sha256 hex of the index URL>.tar.gz   remote indexes, re-verified on every load
 *   <hex of the sha1 in C:>.apk                      packages, re-verified on every use
 * Files enter the cache only after verification, through a temporary file
 * renamed into place, so a reader never sees a partial or unverified file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "apk/keyring.h"
#include "apk/reader.h"
#include "apk/solve.h"
#include "common/err.h"
#include "common/util.h"

/* Fetch @url and write the body to @out_fd (a fresh, empty regular file).
 * Returns 0, or -errno with @err set (HTTP errors included: a 404 is a
 * failure, not a body).  The callback should bound what it accepts. */
typedef int (*bd_apk_fetch_fn)(void *ctx, const char *url, int out_fd, struct bd_err *err);

struct bd_apk_repos_opts {
	const char *arch;      /* index directory; NULL: the host's (bd_host_arch) */
	const char *cache_dir; /* needed for remote indexes and for downloads */
	bd_apk_fetch_fn fetch; /* NULL: only file:// URLs and paths work */
	void *fetch_ctx;
	/* A cached remote index younger than this many seconds is used
	 * without fetching; 0 fetches every time. */
	unsigned index_max_age;
	bool offline; /* never fetch; cached remote indexes of any age only */
};

struct bd_apk_repo {
	char *url;       /* as given, without trailing '/'; names the repository */
	char *tag;       /* "edge" for "@edge URL", NULL when untagged */
	char *path;      /* local repositories: the directory */
	char *index_url; /* URL/<arch>/APKINDEX.tar.gz */
	bool remote;
	bool from_cache;         /* the index came from the cache, not the network */
	struct bd_apk_file file; /* the verified index: file.index, file.signer */
};

struct bd_apk_repos {
	struct bd_apk_repo *v; /* in priority order, earlier first */
	size_t n, cap;
	struct bd_apk_keyring keyring;
	char *arch;
	char *cache_dir;
	bd_apk_fetch_fn fetch;
	void *fetch_ctx;
	unsigned index_max_age;
	bool offline;
	struct bd_apk_db *db; /* after bd_apk_repos_load() */
	bool swept;           /* stale temporary files removed from the cache */
};

void bd_apk_repos_init(struct bd_apk_repos *rs, const struct bd_apk_repos_opts *opts);
void bd_apk_repos_free(struct bd_apk_repos *rs);

/* Add a repository: "URL", "PATH", "file:///PATH" or "@tag URL" (a line of
 * /etc/apk/repositories).  Only http, https and file URLs are accepted. */
int bd_apk_repos_add(struct bd_apk_repos *rs, const char *spec, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Add every repository of /etc/apk/repositories-style @text: one per
 * line, blank lines and '#' comments ignored. */
int bd_apk_repos_add_list(struct bd_apk_repos *rs, const char *text, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Trust a public key: a key file, a directory of key files (as
 * /etc/apk/keys), a file:// URL or an http(s) URL (fetched through the
 * callback; trusting what a URL serves is the caller's decision).  The key
 * is known by its file name, which signatures refer to. */
int bd_apk_repos_add_key(struct bd_apk_repos *rs, const char *spec, struct bd_err *err)
    __attribute__((warn_unused_result));

/* Fetch (or take from the cache), verify and parse every repository's
 * index, then build rs->db for bd_apk_solve().  Any repository that fails
 * fails the whole load, with the repository, the index URL and the
 * verdict in the message. */
int bd_apk_repos_load(struct bd_apk_repos *rs, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The URL (or path) a resolved package is fetched from; malloc'd. */
char *bd_apk_repos_package_url(const struct bd_apk_repos *rs, const struct bd_apk_solved_pkg *p);

/* Make @p available in the cache as <Q1 hex>.apk, verified: a cached copy
 * is checked again, a missing or bad one fetched (or copied from a local
 * repository).  *path (optional) gets the cached file's path, malloc'd.
 * A corrupt or mismatching download is an error naming the package, its
 * URL and what did not match; it never enters the cache. */
int bd_apk_repos_fetch_package(struct bd_apk_repos *rs, const struct bd_apk_solved_pkg *p,
                               char **path, struct bd_err *err) __attribute__((warn_unused_result));

/* bd_apk_repos_fetch_package() for every package of @sol, in order;
 * @paths (optional) gets one path per package. */
int bd_apk_repos_fetch_solution(struct bd_apk_repos *rs, const struct bd_apk_solution *sol,
                                struct bd_strv *paths, struct bd_err *err)
    __attribute__((warn_unused_result));

/* "<hex>.apk" for checksum @csum ("Q1" + base64 of 20 bytes) into @out
 * (46 bytes); -EINVAL if @csum is not such a checksum. */
int bd_apk_cache_name(const char *csum, char *out, size_t size);
