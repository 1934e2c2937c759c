/* SPDX-License-Identifier: MIT */
/* config: defaults, config file and overrides (see config.h). */
#include "builderd/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

void
bd_config_defaults(struct bd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->state_dir = bd_xstrdup("/var/lib/builderd");
	c->socket_path = bd_xstrdup("/run/builderd/builderd.sock");
	c->socket_mode = 0660;
	c->workers = 2;
	c->arch = bd_xstrdup(bd_host_arch());
	c->memory_limit = 4ull << 30;
	c->pids_limit = 4096;
	c->tmpfs_size = 1ull << 30;
	c->job_timeout = 6 * 3600;
	c->max_attempts = 3;
	c->grace_period = 30;
	c->lease_seconds = 60;
	c->max_body = 16u << 20;
	c->max_recipe = 1u << 20;
	c->max_files = 8u << 20;
	c->max_followers = 64;
	c->max_followers_per_uid = 8;
	c->log_level = BD_LOG_INFO;
}

void
bd_config_free(struct bd_config *c)
{
	free(c->state_dir);
	free(c->socket_path);
	free(c->socket_group);
	free(c->rootfs);
	free(c->rootfs_sha256);
	free(c->key);
	free(c->arch);
	free(c->sandbox);
	free(c->config_path);
	bd_strv_free(&c->extra_ro_paths);
	bd_strv_free(&c->mirrors);
	bd_strv_free(&c->pipeline_dirs);
	memset(c, 0, sizeof(*c));
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? bd_xstrdup(v) : NULL;
}

static int
set_size(uint64_t *dst, const char *key, const char *v, struct bd_err *err)
{
	if (strcmp(v, "none") == 0 || strcmp(v, "0") == 0) {
		*dst = 0;
		return 0;
	}
	if (bd_parse_size(v, dst) < 0)
		return bd_err_setx(err, EINVAL, "%s: '%s' is not a size (e.g. 512M, 4G)", key, v);
	return 0;
}

static int
set_num(uint64_t *dst, const char *key, const char *v, uint64_t max, struct bd_err *err)
{
	if (bd_parse_u64(v, max, dst) < 0)
		return bd_err_setx(err, EINVAL, "%s: '%s' is not a number (0..%llu)", key, v,
		                   (unsigned long long)max);
	return 0;
}

static int
set_bool(bool *dst, const char *key, const char *v, struct bd_err *err)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		*dst = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		*dst = false;
	else
		return bd_err_setx(err, EINVAL, "%s: expected true or false, got '%s'", key, v);
	return 0;
}

int
bd_config_set(struct bd_config *c, const char *key, const char *v, struct bd_err *err)
{
	uint64_t n;

#define IS(k) (strcmp(key, k) == 0)
	if (IS("state_dir")) {
		if (v[0] != '/')
			return bd_err_setx(err, EINVAL, "state_dir must be an absolute path");
		set_str(&c->state_dir, v);
	} else if (IS("socket")) {
		set_str(&c->socket_path, v);
	} else if (IS("socket_group")) {
		set_str(&c->socket_group, v);
	} else if (IS("socket_mode")) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		if (*end || m > 0777)
			return bd_err_setx(err, EINVAL, "socket_mode: '%s' is not an octal mode",
			                   v);
		c->socket_mode = (unsigned)m;
	} else if (IS("workers")) {
		if (set_num(&n, key, v, 256, err) < 0)
			return -err->code;
		c->workers = (int)n;
	} else if (IS("rootfs")) {
		set_str(&c->rootfs, v);
	} else if (IS("rootfs_sha256")) {
		if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
			return bd_err_setx(err, EINVAL, "rootfs_sha256: expected 64 hex digits");
		set_str(&c->rootfs_sha256, v);
	} else if (IS("key")) {
		set_str(&c->key, v);
	} else if (IS("extra_ro_path")) {
		if (v[0] != '/')
			return bd_err_setx(err, EINVAL, "extra_ro_path: '%s' is not absolute", v);
		bd_strv_push(&c->extra_ro_paths, v);
	} else if (IS("mirror")) {
		bd_strv_push(&c->mirrors, v);
	} else if (IS("pipeline_dir")) {
		bd_strv_push(&c->pipeline_dirs, v);
	} else if (IS("arch")) {
		set_str(&c->arch, v);
	} else if (IS("sandbox")) {
		set_str(&c->sandbox, v);
	} else if (IS("memory_limit")) {
		return set_size(&c->memory_limit, key, v, err);
	} else if (IS("pids_limit")) {
		return set_num(&c->pids_limit, key, v, 1u << 22, err);
	} else if (IS("cpu_limit")) {
		/* "1.5" CPUs -> 1500 */
		double d;
		char *end;
		d = strtod(v, &end);
		if (*end || d < 0 || d > 1024)
			return bd_err_setx(err, EINVAL, "cpu_limit: '%s' is not a number of CPUs",
			                   v);
		c->cpu_limit = (uint64_t)(d * 1000 + 0.5);
	} else if (IS("tmpfs_size")) {
		return set_size(&c->tmpfs_size, key, v, err);
	} else if (IS("job_timeout")) {
		return set_num(&c->job_timeout, key, v, 30 * 86400, err);
	} else if (IS("max_attempts")) {
		if (set_num(&n, key, v, 100, err) < 0)
			return -err->code;
		if (n == 0)
			return bd_err_setx(err, EINVAL, "max_attempts must be at least 1");
		c->max_attempts = (int)n;
	} else if (IS("grace_period")) {
		return set_num(&c->grace_period, key, v, 86400, err);
	} else if (IS("lease_seconds")) {
		if (set_num(&c->lease_seconds, key, v, 86400, err) < 0)
			return -err->code;
		if (c->lease_seconds < 5)
			return bd_err_setx(err, EINVAL, "lease_seconds must be at least 5");
	} else if (IS("max_body")) {
		return set_size(&c->max_body, key, v, err);
	} else if (IS("max_recipe")) {
		return set_size(&c->max_recipe, key, v, err);
	} else if (IS("max_files")) {
		return set_size(&c->max_files, key, v, err);
	} else if (IS("max_followers")) {
		return set_num(&c->max_followers, key, v, 100000, err);
	} else if (IS("max_followers_per_uid")) {
		return set_num(&c->max_followers_per_uid, key, v, 100000, err);
	} else if (IS("source_date_epoch")) {
		return set_num(&c->source_date_epoch, key, v, (uint64_t)1 << 40, err);
	} else if (IS("allow_no_checksum")) {
		return set_bool(&c->allow_no_checksum, key, v, err);
	} else if (IS("log_level")) {
		int l = bd_log_parse_level(v);
		if (l < 0)
			return bd_err_setx(err, EINVAL,
			                   "log_level: expected error, warn, info or debug");
		c->log_level = l;
	} else {
		return bd_err_setx(err, EINVAL, "unknown setting '%s'", key);
	}
#undef IS
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
bd_config_load(struct bd_config *c, const char *path, struct bd_err *err)
{
	struct bd_buf text = { 0 };
	char *p, *line;
	unsigned lineno = 0;
	int r = 0;

	r = bd_read_file_at(AT_FDCWD, path, 1u << 20, &text, err);
	if (r < 0) {
		bd_buf_free(&text);
		return bd_err_prefix(err, "config: ");
	}
	p = text.data;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line = p;
		p = nl ? nl + 1 : NULL;
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			r = bd_err_setx(err, EINVAL, "%s:%u: expected 'key = value'", path, lineno);
			break;
		}
		*eq = '\0';
		char *key = trim(line), *val = trim(eq + 1);
		if (bd_config_set(c, key, val, err) < 0) {
			r = bd_err_prefix(err, "%s:%u: ", path, lineno);
			break;
		}
	}
	bd_buf_free(&text);
	if (r == 0)
		set_str(&c->config_path, path);
	return r;
}
