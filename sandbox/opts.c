/* SPDX-License-Identifier: MIT */
/* opts: the builder-sandbox command line, parsed into a struct bd_sandbox_spec.
 *
 * bwrap-style: `--option VALUE`, some options take two values (--bind SRC
 * DST), the command follows `--`.  Everything here is pure (no syscalls), so
 * it is unit-tested under ASan.  Usage errors name the option and the value. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

const char bd_sandbox_usage[] =
    "usage: builder-sandbox [options] -- CMD [ARGS...]\n"
    "\n"
    "Root filesystem:\n"
    "  --layer DIR            read-only base layer (repeatable, lowest first), overlaid\n"
    "  --rootfs DIR           same as --layer DIR\n"
    "  --ro-root              no upper dir: the root filesystem is read-only\n"
    "  --overlay-dir DIR      host dir for the overlay upper/ and work/ (default: tmpfs)\n"
    "  --keep-upper           keep DIR/upper after the run (needs --overlay-dir)\n"
    "  --ro-bind SRC DST      bind host SRC read-only, nosuid, nodev on DST\n"
    "  --bind SRC DST         bind host SRC read-write, nosuid, nodev on DST\n"
    "  --tmpfs-size SIZE      size of /tmp and /dev/shm (default 512M)\n"
    "  --tmpfs-inodes N       inodes of /tmp (default 65536)\n"
    "Limits (0 or absent: none):\n"
    "  --memory SIZE          memory limit, swap included (K/M/G suffixes)\n"
    "  --pids N               process limit\n"
    "  --cpu N                CPU quota in CPUs (1.5 = one and a half)\n"
    "  --timeout SECONDS      wall-clock limit; the whole tree is killed\n"
    "  --cgroup-parent PATH   cgroup parent (default /builderd; relative = below ours)\n"
    "Identity and environment:\n"
    "  --uid N, --gid N       ids inside for the step (default 1000)\n"
    "  --host-id-base N       host uid/gid of sandbox id 0; id U maps to N+U (default 100000)\n"
    "  --root-caps            run as root with ids 0-65535 mapped and the file capabilities\n"
    "                         (chown, dac_override, dac_read_search, fowner, fsetid, setuid,\n"
    "                         setgid) kept in the sandbox's user namespace: for install scripts\n"
    "  --network              share the host network (default: own netns with lo only)\n"
    "  --hostname NAME        hostname inside (default builder)\n"
    "  --env K=V              set a variable (repeatable; the environment starts clean)\n"
    "  --chdir DIR            working directory inside (default /)\n"
    "  --result-fd N          write a JSON result to fd N at the end\n"
    "  --verbose              log setup steps on stderr\n"
    "  --help, --version\n"
#ifdef BD_SANDBOX_TESTING
    "Test build only:\n"
    "  --test-disable LIST    switch protections off: seccomp,caps,close-fds,setsid,\n"
    "                         keyring,proc-cover\n"
#endif
    "\n"
    "Exit status: the step's own, 128+N when signal N killed it, 125 when the\n"
    "sandbox itself failed (the message names the operation and the path).\n";

void
bd_sandbox_spec_init(struct bd_sandbox_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->tmpfs_size = BD_SANDBOX_DEFAULT_TMPFS_SIZE;
	spec->tmpfs_inodes = BD_SANDBOX_DEFAULT_TMPFS_INODES;
	spec->uid = BD_SANDBOX_DEFAULT_UID;
	spec->gid = BD_SANDBOX_DEFAULT_UID;
	spec->host_id_base = BD_SANDBOX_DEFAULT_HOST_ID_BASE;
	spec->hostname = BD_SANDBOX_DEFAULT_HOSTNAME;
	spec->chdir = "/";
	spec->result_fd = -1;
	spec->cgroup_parent = BD_SANDBOX_DEFAULT_CGROUP_PARENT;
}

void
bd_sandbox_spec_free(struct bd_sandbox_spec *spec)
{
	for (size_t i = 0; i < spec->n_binds; i++)
		free((void *)(uintptr_t)spec->binds[i].dst);
	for (size_t i = 0; i < spec->n_env; i++)
		free((void *)(uintptr_t)spec->env[i]);
	if (spec->chdir && strcmp(spec->chdir, "/") != 0)
		free((void *)(uintptr_t)spec->chdir);
	free(spec->binds);
	free((void *)(uintptr_t)spec->env);
	free((void *)(uintptr_t)spec->layers);
	memset(spec, 0, sizeof(*spec));
}

char *
bd_sandbox_norm_path(const char *path)
{
	char *out, *o;
	const char *p = path;

	if (!path || path[0] != '/')
		return NULL;
	out = bd_xmalloc(strlen(path) + 2);
	o = out;
	while (*p) {
		const char *comp;
		size_t len;

		while (*p == '/')
			p++;
		comp = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - comp);
		if (len == 0 || (len == 1 && comp[0] == '.'))
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			free(out);
			return NULL;
		}
		*o++ = '/';
		memcpy(o, comp, len);
		o += len;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* "1", "1.5", "0.25": a decimal with up to 3 fractional digits, in 1/1000. */
static int
parse_millis(const char *s, uint64_t max_units, uint64_t *out)
{
	char ipart[24];
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t whole = 0, frac = 0;
	int r;

	if (ilen == 0 || ilen >= sizeof(ipart))
		return -EINVAL;
	memcpy(ipart, s, ilen);
	ipart[ilen] = '\0';
	r = bd_parse_u64(ipart, max_units, &whole);
	if (r < 0)
		return r;
	if (dot) {
		const char *f = dot + 1;
		size_t flen = strlen(f);
		uint64_t scale = 100;

		if (flen == 0 || flen > 3)
			return -EINVAL;
		for (; *f; f++, scale /= 10) {
			if (*f < '0' || *f > '9')
				return -EINVAL;
			frac += (uint64_t)(*f - '0') * scale;
		}
	}
	*out = whole * 1000 + frac;
	return 0;
}

static bool
valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* cgroup parent: components of [A-Za-z0-9._-], never "." or "..". */
static bool
valid_cgroup_parent(const char *s)
{
	const char *p = s[0] == '/' ? s + 1 : s;
	size_t comp = 0;

	if (strlen(s) > 200)
		return false;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			if (comp == 0 && !(*p == '\0' && p == s + 1))
				return false;
			if (comp > 0 && p[-1] == '.' && (comp == 1 || (comp == 2 && p[-2] == '.')))
				return false;
			if (*p == '\0')
				return true;
			comp = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
		comp++;
	}
}

static void
env_set(struct bd_sandbox_spec *spec, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv);

	for (size_t i = 0; i < spec->n_env; i++) {
		if (strncmp(spec->env[i], kv, klen + 1) == 0) {
			free((void *)(uintptr_t)spec->env[i]);
			spec->env[i] = bd_xstrdup(kv);
			return;
		}
	}
	spec->env = bd_xrealloc(spec->env, (spec->n_env + 2) * sizeof(*spec->env));
	spec->env[spec->n_env++] = bd_xstrdup(kv);
	spec->env[spec->n_env] = NULL;
}

#ifdef BD_SANDBOX_TESTING
static int
parse_unsafe(const char *list, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "seccomp", BD_UNSAFE_SECCOMP },     { "caps", BD_UNSAFE_CAPS },
		{ "close-fds", BD_UNSAFE_CLOSE_FDS }, { "setsid", BD_UNSAFE_SETSID },
		{ "keyring", BD_UNSAFE_KEYRING },     { "proc-cover", BD_UNSAFE_PROC_COVER },
	};
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < BD_ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == len && strncmp(names[i].name, p, len) == 0)
				break;
		if (i == BD_ARRAY_SIZE(names))
			return -EINVAL;
		*out |= names[i].bit;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}
#endif

#define NEED(n)                                                                             \
	do {                                                                                \
		if (i + (n) >= argc)                                                        \
			return bd_err_setx(err, EINVAL, "%s needs %d argument%s", opt, (n), \
			                   (n) > 1 ? "s" : "");                             \
	} while (0)

static int
parse_uint_opt(const char *opt, const char *val, uint64_t max, uint64_t *out, struct bd_err *err)
{
	if (bd_parse_u64(val, max, out) < 0)
		return bd_err_setx(err, EINVAL, "%s: invalid number '%s'", opt, val);
	return 0;
}

static int
parse_size_opt(const char *opt, const char *val, uint64_t *out, struct bd_err *err)
{
	if (bd_parse_size(val, out) < 0)
		return bd_err_setx(err, EINVAL, "%s: invalid size '%s' (use e.g. 64M, 2G)", opt,
		                   val);
	return 0;
}

int
bd_sandbox_parse_args(int argc, char **argv, struct bd_sandbox_spec *spec, struct bd_err *err)
{
	uint64_t v;
	bool uid_given = false, gid_given = false;
	int i;

	env_set(spec, "PATH=" BD_SANDBOX_DEFAULT_PATH);
	env_set(spec, "HOME=/home/build");
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(opt, "--", 2) != 0)
			break; /* the command starts here, as with bwrap */
		if (strcmp(opt, "--help") == 0) {
			fputs(bd_sandbox_usage, stdout);
			return 1;
		} else if (strcmp(opt, "--version") == 0) {
			printf("builder-sandbox %s\n", BD_VERSION);
			return 1;
		} else if (strcmp(opt, "--layer") == 0 || strcmp(opt, "--rootfs") == 0) {
			NEED(1);
			spec->layers =
			    bd_xrealloc(spec->layers, (spec->n_layers + 1) * sizeof(*spec->layers));
			spec->layers[spec->n_layers++] = argv[++i];
		} else if (strcmp(opt, "--ro-root") == 0) {
			spec->ro_root = true;
		} else if (strcmp(opt, "--overlay-dir") == 0) {
			NEED(1);
			spec->overlay_dir = argv[++i];
		} else if (strcmp(opt, "--keep-upper") == 0) {
			spec->keep_upper = true;
		} else if (strcmp(opt, "--ro-bind") == 0 || strcmp(opt, "--bind") == 0) {
			struct bd_sandbox_bind *b;
			char *dst;

			NEED(2);
			if (spec->n_binds >= BD_SANDBOX_MAX_BINDS)
				return bd_err_setx(err, E2BIG, "more than %d binds",
				                   BD_SANDBOX_MAX_BINDS);
			dst = bd_sandbox_norm_path(argv[i + 2]);
			if (!dst || strcmp(dst, "/") == 0) {
				free(dst);
				return bd_err_setx(err, EINVAL,
				                   "%s: destination '%s' must be an absolute path "
				                   "below / without '..'",
				                   opt, argv[i + 2]);
			}
			spec->binds =
			    bd_xrealloc(spec->binds, (spec->n_binds + 1) * sizeof(*spec->binds));
			b = &spec->binds[spec->n_binds++];
			b->src = argv[i + 1];
			b->dst = dst;
			b->readonly = strcmp(opt, "--ro-bind") == 0;
			b->is_dir = true;
			i += 2;
		} else if (strcmp(opt, "--tmpfs-size") == 0) {
			NEED(1);
			if (parse_size_opt(opt, argv[++i], &spec->tmpfs_size, err) < 0)
				return -err->code;
			if (spec->tmpfs_size < 4096)
				return bd_err_setx(err, EINVAL, "%s: at least 4K", opt);
		} else if (strcmp(opt, "--tmpfs-inodes") == 0) {
			NEED(1);
			if (parse_uint_opt(opt, argv[++i], UINT32_MAX, &spec->tmpfs_inodes, err) <
			    0)
				return -err->code;
			if (spec->tmpfs_inodes < 16)
				return bd_err_setx(err, EINVAL, "%s: at least 16", opt);
		} else if (strcmp(opt, "--network") == 0) {
			spec->network = true;
		} else if (strcmp(opt, "--root-caps") == 0) {
			spec->root_caps = true;
		} else if (strcmp(opt, "--memory") == 0) {
			NEED(1);
			if (parse_size_opt(opt, argv[++i], &spec->memory, err) < 0)
				return -err->code;
			if (spec->memory && spec->memory < (1u << 20))
				return bd_err_setx(err, EINVAL, "%s: at least 1M", opt);
		} else if (strcmp(opt, "--pids") == 0) {
			NEED(1);
			if (parse_uint_opt(opt, argv[++i], 1u << 22, &spec->pids, err) < 0)
				return -err->code;
		} else if (strcmp(opt, "--cpu") == 0) {
			NEED(1);
			if (parse_millis(argv[++i], 4096, &spec->cpu_millis) < 0)
				return bd_err_setx(err, EINVAL, "%s: invalid CPU count '%s'", opt,
				                   argv[i]);
		} else if (strcmp(opt, "--timeout") == 0) {
			NEED(1);
			if (parse_millis(argv[++i], 365ull * 86400, &spec->timeout_ms) < 0)
				return bd_err_setx(err, EINVAL, "%s: invalid seconds '%s'", opt,
				                   argv[i]);
		} else if (strcmp(opt, "--uid") == 0 || strcmp(opt, "--gid") == 0) {
			NEED(1);
			if (parse_uint_opt(opt, argv[++i], 65533, &v, err) < 0)
				return -err->code;
			if (opt[2] == 'u') {
				spec->uid = (uint32_t)v;
				uid_given = true;
			} else {
				spec->gid = (uint32_t)v;
				gid_given = true;
			}
		} else if (strcmp(opt, "--host-id-base") == 0) {
			NEED(1);
			if (parse_uint_opt(opt, argv[++i], UINT32_MAX - 65536, &v, err) < 0)
				return -err->code;
			/* never map the sandbox onto host root or system accounts */
			if (v < 1000)
				return bd_err_setx(err, EINVAL, "%s: %s is below 1000", opt,
				                   argv[i]);
			spec->host_id_base = (uint32_t)v;
		} else if (strcmp(opt, "--hostname") == 0) {
			NEED(1);
			if (!valid_hostname(argv[++i]))
				return bd_err_setx(err, EINVAL, "%s: invalid hostname '%s'", opt,
				                   argv[i]);
			spec->hostname = argv[i];
		} else if (strcmp(opt, "--env") == 0) {
			const char *eq;

			NEED(1);
			eq = strchr(argv[++i], '=');
			if (!eq || eq == argv[i])
				return bd_err_setx(err, EINVAL, "%s: expected K=V, got '%s'", opt,
				                   argv[i]);
			env_set(spec, argv[i]);
		} else if (strcmp(opt, "--chdir") == 0) {
			char *d;

			NEED(1);
			d = bd_sandbox_norm_path(argv[++i]);
			if (!d)
				return bd_err_setx(err, EINVAL,
				                   "%s: '%s' must be absolute, without '..'", opt,
				                   argv[i]);
			if (strcmp(spec->chdir, "/") != 0)
				free((void *)(uintptr_t)spec->chdir);
			if (strcmp(d, "/") == 0) {
				free(d);
				spec->chdir = "/";
			} else {
				spec->chdir = d;
			}
		} else if (strcmp(opt, "--result-fd") == 0) {
			NEED(1);
			if (parse_uint_opt(opt, argv[++i], 65535, &v, err) < 0)
				return -err->code;
			spec->result_fd = (int)v;
		} else if (strcmp(opt, "--cgroup-parent") == 0) {
			NEED(1);
			if (!valid_cgroup_parent(argv[++i]))
				return bd_err_setx(err, EINVAL, "%s: invalid cgroup path '%s'", opt,
				                   argv[i]);
			spec->cgroup_parent = argv[i];
		} else if (strcmp(opt, "--verbose") == 0) {
			spec->verbose = true;
#ifdef BD_SANDBOX_TESTING
		} else if (strcmp(opt, "--test-disable") == 0) {
			NEED(1);
			if (parse_unsafe(argv[++i], &spec->unsafe) < 0)
				return bd_err_setx(err, EINVAL, "%s: unknown protection in '%s'",
				                   opt, argv[i]);
#endif
		} else {
			return bd_err_setx(err, EINVAL, "unknown option %s (see --help)", opt);
		}
	}
	if (i >= argc)
		return bd_err_setx(err, EINVAL, "no command given (see --help)");
	spec->argv = &argv[i];
	if (spec->n_layers == 0)
		return bd_err_setx(err, EINVAL, "no root filesystem: give at least one --layer");
	if (spec->keep_upper && !spec->overlay_dir)
		return bd_err_setx(err, EINVAL, "--keep-upper needs --overlay-dir");
	if (spec->ro_root && spec->overlay_dir)
		return bd_err_setx(err, EINVAL, "--ro-root and --overlay-dir exclude each other");
	if (spec->root_caps) {
		if ((uid_given && spec->uid != 0) || (gid_given && spec->gid != 0))
			return bd_err_setx(err, EINVAL, "--root-caps runs as uid and gid 0");
		spec->uid = spec->gid = 0;
	}
	if ((uint64_t)spec->host_id_base + spec->uid > UINT32_MAX - 1 ||
	    (uint64_t)spec->host_id_base + spec->gid > UINT32_MAX - 1)
		return bd_err_setx(err, ERANGE, "--host-id-base: ids overflow");
	return 0;
}
