/* SPDX-License-Identifier: MIT */
/* builderctl: command-line entry point; dispatches to the registered verbs.
 *
 * `builderctl VERB [OPTIONS] ARGS`.  Every verb prints its usage on --help
 * (exit 0), exits 2 on bad usage with a message, 1 on failure. */
#include "builderctl/builderctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct bctl_verb *verbs;
const struct bctl_verb *bctl_current;

void
bctl_register(struct bctl_verb *verb)
{
	/* keep the list sorted by name for --help */
	struct bctl_verb **p = &verbs;

	while (*p && strcmp((*p)->name, verb->name) < 0)
		p = &(*p)->next;
	verb->next = *p;
	*p = verb;
}

void
bctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("builderctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
bctl_usage_error(const struct bctl_verb *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "builderctl %s: ", verb->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'builderctl %s --help'.\n", verb->name);
	return BCTL_EXIT_USAGE;
}

int
bctl_getopt_default(const struct bctl_verb *verb, int c)
{
	switch (c) {
	case 'h':
		fputs(verb->usage, stdout);
		return BCTL_EXIT_OK;
	default:
		/* getopt already printed which option */
		fprintf(stderr, "Try 'builderctl %s --help'.\n", verb->name);
		return BCTL_EXIT_USAGE;
	}
}

static void
print_help(FILE *f)
{
	fputs("Usage: builderctl VERB [OPTIONS] [ARGS]\n\n"
	      "builderd's command-line client: APK package tools, recipe tools and\n"
	      "(with a running builderd) job submission and monitoring.\n\nVerbs:\n",
	      f);
	for (const struct bctl_verb *v = verbs; v; v = v->next)
		fprintf(f, "  %-14s %s\n", v->name, v->summary);
	fputs("\nRun 'builderctl VERB --help' for a verb's options.\n", f);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return BCTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_help(stdout);
		return BCTL_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("builderctl " BD_VERSION);
		return BCTL_EXIT_OK;
	}
	for (const struct bctl_verb *v = verbs; v; v = v->next) {
		if (strcmp(v->name, argv[1]) == 0) {
			bctl_current = v;
			/* the verb sees argv starting at its own name, getopt-ready */
			optind = 1;
			return v->run(argc - 1, argv + 1);
		}
	}
	bctl_error("unknown verb '%s'; see 'builderctl --help'", argv[1]);
	return BCTL_EXIT_USAGE;
}
