/* SPDX-License-Identifier: MIT */
/* builderctl submit: queue recipes on builderd, optionally follow and wait. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builderctl/client.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "recipe/arena.h"
#include "recipe/diag.h"
#include "recipe/yaml.h"

static const char usage[] =
    "Usage: builderctl submit [OPTIONS] FILE...\n"
    "\n"
    "Queue each melange recipe FILE on builderd and print the job ids. The\n"
    "recipe's side files (patches, configs) travel with it: the directory given\n"
    "by --source-dir, by default the directory named after the package beside\n"
    "the recipe (as Wolfi lays them out), if it exists.\n"
    "\n"
    "  --priority N            higher runs first (-1000..1000, default 0)\n"
    "  --arch A                target architecture (default: the daemon's)\n"
    "  --source-dir DIR        side files to send (at most 8 MiB)\n"
    "  --source-date-epoch N   SOURCE_DATE_EPOCH for the build\n"
    "  --skip-tests            do not run the recipe's tests (recorded on the job)\n"
    "  --wait                  wait for the jobs; exit 0 only if all succeeded\n"
    "  --follow                stream the log live (implies --wait)\n"
    "  --socket PATH           builderd's socket (default $BUILDERD_SOCKET or\n"
    "                          " BCTL_DEFAULT_SOCKET ")\n"
    "  --json                  print the API's JSON\n"
    "\n"
    "Exit status: 0 queued (or, with --wait, succeeded), 1 failed or cancelled,\n"
    "2 usage, 3 daemon unreachable.\n";

enum { O_PRIO = 256, O_ARCH, O_SRCDIR, O_SDE, O_SKIP, O_WAIT, O_FOLLOW };

#define MAX_FILES 256
#define MAX_FILES_BYTES (8u << 20)

/* package.name from the recipe, with the recipe loader (no compilation). */
static char *
package_name(const char *path, const char *text, size_t len)
{
	struct bd_arena a = { 0 };
	struct bd_diags dg = { 0 };
	struct bd_ydoc doc;
	char *name = NULL;

	if (bd_yaml_parse(&a, path, text, len, NULL, &doc, &dg) == 0 && doc.root) {
		const struct bd_ynode *n = bd_ynode_get(bd_ynode_get(doc.root, "package"), "name");
		if (n && n->kind == BD_Y_SCALAR && n->len && !strchr(n->s, '/'))
			name = bd_xstrdup(n->s);
	}
	bd_diags_clear(&dg);
	bd_arena_free(&a);
	return name;
}

static int
add_files(struct bd_submit *s, const char *root, const char *rel, size_t *total)
{
	_cleanup_free_ char *dir = *rel ? bd_xasprintf("%s/%s", root, rel) : bd_xstrdup(root);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	struct bd_err err = { 0 };

	if (!d) {
		bctl_error("submit: source dir %s: %s", dir, strerror(errno));
		return BCTL_EXIT_FAIL;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		_cleanup_free_ char *r =
		    *rel ? bd_xasprintf("%s/%s", rel, de->d_name) : bd_xstrdup(de->d_name);
		_cleanup_free_ char *p = bd_xasprintf("%s/%s", root, r);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int rr = add_files(s, root, r, total);
			if (rr)
				return rr;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue; /* symlinks and specials are not sent */
		if (s->nfiles >= MAX_FILES || *total + (size_t)st.st_size > MAX_FILES_BYTES) {
			bctl_error("submit: %s: more than %d side files or %u bytes", root,
			           MAX_FILES, MAX_FILES_BYTES);
			return BCTL_EXIT_FAIL;
		}
		struct bd_buf b = { 0 };
		if (bd_read_file_at(AT_FDCWD, p, MAX_FILES_BYTES, &b, &err) < 0) {
			bctl_error("submit: %s", err.msg);
			bd_buf_free(&b);
			return BCTL_EXIT_FAIL;
		}
		s->files = bd_xrealloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
		s->files[s->nfiles].path = bd_steal_ptr(&r);
		s->files[s->nfiles].mode = st.st_mode & 0755;
		s->files[s->nfiles].len = b.len;
		s->files[s->nfiles].data = bd_buf_steal(&b);
		s->nfiles++;
		*total += (size_t)st.st_size;
	}
	return 0;
}

static int
submit_one(struct bctl_conn *cn, const char *file, const struct bd_submit *tmpl,
           const char *source_dir, int64_t *id)
{
	struct bd_submit s = *tmpl;
	struct bd_buf text = { 0 };
	struct bd_err err = { 0 };
	struct bd_json *body, *resp = NULL;
	size_t total = 0;
	char *pkg = NULL, *srcdir = NULL;
	int r;

	s.files = NULL;
	s.nfiles = 0;
	if (bd_read_file_at(AT_FDCWD, file, 16u << 20, &text, &err) < 0) {
		bctl_error("submit: %s", err.msg);
		bd_buf_free(&text);
		return BCTL_EXIT_FAIL;
	}
	s.recipe = text.data;
	s.recipe_len = text.len;
	_cleanup_free_ char *base = bd_xstrdup(file);
	s.recipe_name = basename(base);
	if (source_dir) {
		srcdir = bd_xstrdup(source_dir);
	} else if ((pkg = package_name(file, text.data, text.len))) {
		_cleanup_free_ char *d = bd_xstrdup(file);
		srcdir = bd_xasprintf("%s/%s", dirname(d), pkg);
		struct stat st;
		if (stat(srcdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(srcdir);
			srcdir = NULL;
		}
	}
	if (srcdir && (r = add_files(&s, srcdir, "", &total)) != 0)
		goto out;
	body = bd_submit_to_json(&s);
	char *js = bd_json_dump(body, false);
	bd_json_free(body);
	r = bctl_call(cn, "POST", "/v1/jobs", js, &resp);
	free(js);
	if (r)
		goto out;
	const struct bd_json *jo = bd_json_get(resp, "job");
	*id = bd_json_int_value(bd_json_get(jo, "id"));
	if (cn->json) {
		bctl_print_json(resp);
	} else {
		bool attached = bd_json_bool_value(bd_json_get(resp, "attached"));
		if (isatty(1))
			printf("%lld%s\n", (long long)*id,
			       attached ? " (attached to an identical queued or running job)" : "");
		else
			printf("%lld\n", (long long)*id);
		if (attached && !isatty(1))
			fprintf(stderr, "builderctl submit: %s: attached to job %lld\n", file,
			        (long long)*id);
	}
	fflush(stdout);
	bd_json_free(resp);
out:
	for (size_t i = 0; i < s.nfiles; i++) {
		free(s.files[i].path);
		free(s.files[i].data);
	}
	free(s.files);
	free(pkg);
	free(srcdir);
	bd_buf_free(&text);
	return r;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "priority", required_argument, NULL, O_PRIO },
		{ "arch", required_argument, NULL, O_ARCH },
		{ "source-dir", required_argument, NULL, O_SRCDIR },
		{ "source-date-epoch", required_argument, NULL, O_SDE },
		{ "skip-tests", no_argument, NULL, O_SKIP },
		{ "wait", no_argument, NULL, O_WAIT },
		{ "follow", no_argument, NULL, O_FOLLOW },
		BCTL_CLIENT_OPTIONS,
		{ 0 },
	};
	struct bctl_conn cn = { 0 };
	struct bd_submit tmpl = { 0 };
	const char *source_dir = NULL;
	bool wait = false, follow = false;
	int64_t ids[256];
	size_t nids = 0;
	uint64_t v;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (bctl_client_option(&cn, c, optarg))
			continue;
		switch (c) {
		case O_PRIO: {
			bool neg = optarg[0] == '-';
			if (bd_parse_u64(optarg + neg, 1000, &v) < 0)
				return bctl_usage_error(bctl_current, "--priority: -1000..1000");
			tmpl.priority = neg ? -(int)v : (int)v;
			break;
		}
		case O_ARCH:
			tmpl.arch = optarg;
			break;
		case O_SRCDIR:
			source_dir = optarg;
			break;
		case O_SDE:
			if (bd_parse_u64(optarg, (uint64_t)1 << 40, &v) < 0)
				return bctl_usage_error(bctl_current,
				                        "--source-date-epoch: seconds");
			tmpl.source_date_epoch = (int64_t)v;
			break;
		case O_SKIP:
			tmpl.skip_tests = true;
			break;
		case O_WAIT:
			wait = true;
			break;
		case O_FOLLOW:
			follow = wait = true;
			break;
		default:
			return bctl_getopt_default(bctl_current, c);
		}
	}
	if (optind == argc)
		return bctl_usage_error(bctl_current, "no recipe given");
	if (argc - optind > (int)BD_ARRAY_SIZE(ids))
		return bctl_usage_error(bctl_current, "at most %zu recipes at once",
		                        BD_ARRAY_SIZE(ids));
	if (source_dir && argc - optind > 1)
		return bctl_usage_error(bctl_current, "--source-dir applies to a single recipe");
	bctl_connect(&cn);
	for (int i = optind; i < argc; i++) {
		r = submit_one(&cn, argv[i], &tmpl, source_dir, &ids[nids]);
		if (r)
			goto out;
		nids++;
	}
	if (follow) {
		for (size_t i = 0; i < nids; i++) {
			r = bctl_stream_log(&cn, ids[i], 0, true, true);
			if (r)
				goto out;
		}
	}
	if (wait) {
		struct bd_job finals[256];
		r = bctl_wait_jobs(&cn, ids, nids, finals);
		if (r == BCTL_EXIT_UNREACHABLE)
			goto out;
		for (size_t i = 0; i < nids; i++) {
			if (cn.json) {
				struct bd_json *o = bd_job_to_json(&finals[i], false);
				bctl_print_json(o);
				bd_json_free(o);
			} else {
				fprintf(stderr, "job %lld: %s%s%s\n", (long long)finals[i].id,
				        bd_job_state_str(finals[i].state),
				        finals[i].error ? ": " : "",
				        finals[i].error ? finals[i].error : "");
			}
			bd_job_free(&finals[i]);
		}
	}
out:
	bctl_disconnect(&cn);
	return r;
}

BCTL_VERB(submit, "submit", "queue recipes on builderd (--follow, --wait)", usage, run)
