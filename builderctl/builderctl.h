/* SPDX-License-Identifier: MIT */
/* builderctl: shared declarations for the CLI's verbs.
 *
 * Each verb lives in its own file and registers itself with BCTL_VERB()
 * (a constructor, as apk-tools' APK_DEFINE_APPLET), so adding a verb
 * touches no other file.  Exit statuses are the same for every verb. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

enum {
	BCTL_EXIT_OK = 0,
	BCTL_EXIT_FAIL = 1,        /* the operation failed (verify, job failed, ...) */
	BCTL_EXIT_USAGE = 2,       /* bad command line */
	BCTL_EXIT_UNREACHABLE = 3, /* daemon verbs: socket not reachable */
};

struct bctl_verb {
	const char *name;
	const char *summary; /* one line for `builderctl --help` */
	const char *usage;   /* full text for `builderctl VERB --help` */
	int (*run)(int argc, char **argv);
	struct bctl_verb *next;
};

void bctl_register(struct bctl_verb *verb);

#define BCTL_VERB(id, vname, vsummary, vusage, fn)                             \
	static struct bctl_verb bctl_verb_##id = {                             \
		.name = vname,                                                 \
		.summary = vsummary,                                           \
		.usage = vusage,                                               \
		.run = fn,                                                     \
	};                                                                     \
	__attribute__((constructor)) static void bctl_verb_register_##id(void) \
	{                                                                      \
		bctl_register(&bctl_verb_##id);                                \
	}

/* Print "builderctl VERB: message" and the usage hint to stderr; returns
 * BCTL_EXIT_USAGE so callers can `return bctl_usage_error(v, "...")`. */
int bctl_usage_error(const struct bctl_verb *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "builderctl: message" to stderr. */
void bctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The verb being run (for messages). */
extern const struct bctl_verb *bctl_current;

/* Common handling of getopt results for unknown options / missing args
 * and --help.  Returns -1 to continue, otherwise an exit status. */
int bctl_getopt_default(const struct bctl_verb *verb, int c);
