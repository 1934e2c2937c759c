/* SPDX-License-Identifier: MIT */
/* depscan: automatic runtime dependencies and provides of the packages of
 * one build, as melange's SCA does (recipe-format.md section 6.3; melange
 * pkg/sca/sca.go and pkg/build/package.go GenerateDependencies).
 *
 * Two steps, because some rules need every package of the build at once
 * (a library in one subpackage satisfies a program in another; a packaged
 * /etc/ld.so.conf.d file turns any package's directory into a library
 * directory):
 *
 *   1. bd_apk_depscan_tree() walks one package's output tree and records
 *      facts: the so:/cmd:/pc: dependencies its files need, the cmd: and
 *      pc: names it provides, every shared object with a DT_SONAME and
 *      where it lives, ld.so.conf.d directories, .so symlinks, and the
 *      python/ruby/perl/doc markers.  It reads files but never follows a
 *      symlink on disk.
 *   2. bd_apk_deps_finalize() takes the scans of all packages with their
 *      configured depends/provides and options and computes each package's
 *      final depends and provides: so: provides classified against the
 *      library directories, options applied, merged with the configured
 *      lists, sorted and deduplicated, dependencies satisfied inside the
 *      package dropped, and generated dependencies satisfied by a sibling
 *      turned into "sibling=version".
 *
 * The job runner calls, after the build steps and before packing:
 *
 *   for each package p (main first, then subpackages in recipe order):
 *       bd_apk_depscan_tree(dirfd(p), "<ver>-r<epoch>", NULL, &scan[p], err)
 *   fill pkgs[p] = { name, version, configured depends/provides, options,
 *                    &scan[p] }
 *   bd_apk_deps_finalize(pkgs, n, err)
 *   for each p: pkginfo.depends = pkgs[p].depends, pkginfo.provides =
 *       pkgs[p].provides (move or copy), then bd_apk_pack()
 *   bd_apk_depscan_pkg_free(&pkgs[p]); bd_apk_depscan_free(&scan[p])
 *
 * Every string in the final lists passes bd_apk_dep_parse(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

struct bd_apk_depscan_opts {
	uint64_t max_entries; /* 0 = 1,000,000 (as bd_apk_pack) */
	unsigned max_depth;   /* 0 = 256 */
};

/* A path of the tree that is, or resolves inside the tree to, an ELF
 * object with a DT_SONAME. */
struct bd_apk_depscan_lib {
	char *path;   /* relative to the package root, no leading "/" */
	char *soname; /* DT_SONAME */
	/* the object has a PT_INTERP: a program, or a library that also runs
	 * (libc, libcap) */
	bool interp;
};

struct bd_apk_depscan {
	/* the pkgver given to the scan */
	char *version;
	/* generated runtime dependencies that need no other package's facts:
	 * so: (DT_NEEDED, interpreter), cmd: (shebangs), pc: (Requires*) */
	struct bd_strv depends;
	/* cmd:<name>=<ver>, pc:<name>=<ver> */
	struct bd_strv provides;
	/* pc:<name>=<ver> of .pc files outside the pkgconfig dirs */
	struct bd_strv vendored;
	/* paths holding (or resolving to) an object with a DT_SONAME, by path */
	struct bd_apk_depscan_lib *libs;
	size_t nlibs;
	/* directories named by etc/ld.so.conf.d (any depth) *.conf files, in
	 * file order, relative, without trailing "/" */
	struct bd_strv ld_dirs;
	/* basenames of the targets of symlinks whose path contains ".so" */
	struct bd_strv so_links;
	/* X.Y of the last .../pythonX.Y/site-packages, X.Y of
	 * usr/lib/ruby/gems/X.Y.Z/gems, N of usr/lib/perlN/<x>_perl; or NULL */
	char *python_ver, *ruby_ver, *perl_ver;
	/* an entry directly in usr/share/man, usr/share/info */
	bool has_man, has_info;
	/* "path: what was skipped and why", at most 1000 plus one line */
	struct bd_strv warnings;
	/* tree entries seen, ELF objects parsed */
	uint64_t nentries, nelf;
};

/* Scan the package tree below @root_dirfd.  @pkgver is the full version
 * ("1.2.3-r0") used for cmd:, pc: and so-ver: provides.  Files that cannot
 * be read or parsed (hostile ELF, oversized .pc) are skipped with a line in
 * @out->warnings; what fails the scan is the tree itself (unreadable
 * directory, too many entries, too deep), as bd_apk_pack would.  @out is
 * zeroed first; free it with bd_apk_depscan_free() even on failure. */
int bd_apk_depscan_tree(int root_dirfd, const char *pkgver, const struct bd_apk_depscan_opts *opts,
                        struct bd_apk_depscan *out, struct bd_err *err)
    __attribute__((warn_unused_result));

void bd_apk_depscan_free(struct bd_apk_depscan *s);

/* One package of a build, for bd_apk_deps_finalize(). */
struct bd_apk_depscan_pkg {
	/* in */
	const char *name;    /* pkgname */
	const char *version; /* pkgver with -rN, the same for every package of a build */
	const struct bd_strv *configured_depends;  /* dependencies.runtime, or NULL */
	const struct bd_strv *configured_provides; /* dependencies.provides, or NULL */
	bool no_provides, no_depends, no_commands; /* package options */
	const struct bd_apk_depscan *scan;         /* NULL: nothing generated, lists only merged */

	/* out (owned; free with bd_apk_depscan_pkg_free) */
	struct bd_strv depends;  /* final, sorted, unique */
	struct bd_strv provides; /* final, sorted, unique */
	/* so:, so-ver:, pc: of vendored objects, for melange's "# vendored = "
	 * comments and the log */
	struct bd_strv vendored;
	/* for the build log: dependencies pinned to a sibling, names skipped */
	struct bd_strv notes;
};

/* Compute the final lists of @n packages of one build (@pkgs[0] the main
 * package, then subpackages in recipe order: the first sibling providing a
 * dependency is the one depended on).  Fails with EINVAL naming the package
 * and item if a configured dependency or provide is not a valid apk
 * dependency string. */
int bd_apk_deps_finalize(struct bd_apk_depscan_pkg *pkgs, size_t n, struct bd_err *err)
    __attribute__((warn_unused_result));

void bd_apk_depscan_pkg_free(struct bd_apk_depscan_pkg *p);

/* ------------------------------------------------------------ parsers
 * Exposed for tests and fuzzing. */

/* The module names a pkg-config file requires (Requires, Requires.private,
 * Requires.internal), in file order, version constraints parsed and
 * dropped.  pkgconf syntax: "#" comments, backslash-newline continuations,
 * "name=value" variables expanded as ${name} (undefined ones to ""),
 * "Key: value" fields, lists separated by commas and/or spaces with
 * optional "op version" (op one of < <= = != >= >).  Fails (EINVAL) on a
 * NUL byte, more than 4096 variables, a value that expands past 64 KiB, an
 * unknown operator, or an operator without a module name or a version. */
int bd_apk_pc_requires(const char *text, size_t len, struct bd_strv *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* The command a script's first line runs, from the first @n bytes of the
 * file: "#!/usr/bin/perl -w" gives "perl", "#!/usr/bin/env [-S] node ..."
 * gives "node".  *@cmd is NULL when there is no "#!" or the interpreter is
 * one melange ignores (python3, python, sh, awk, luajit).  Fails (EINVAL)
 * on an "/usr/bin/env" line without a command, as melange warns. */
int bd_apk_shebang_cmd(const char *head, size_t n, char **cmd, struct bd_err *err)
    __attribute__((warn_unused_result));
