/* SPDX-License-Identifier: MIT */
/* http: the HTTP client side, over libcurl.  The only file that uses
 * libcurl: builderctl talks to the daemon through it (HTTP/1.1 on the
 * UNIX socket) and the job runner downloads sources with it.
 *
 * libcurl lives in proto/ rather than builderctl/ (DESIGN.md's first
 * sketch) because two top-level programs need it and a library must sit
 * behind exactly one folder; see docs/architecture.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/util.h"

/* ---- downloads (runner) ---- */

struct bd_fetch_opts {
	long connect_timeout; /* seconds; 0 = 30 */
	long timeout;         /* whole transfer, seconds; 0 = none */
	long low_speed_time;  /* abort below 1 KiB/s for this long; 0 = 60 */
	unsigned retries;     /* extra attempts on transient failures */
	uint64_t max_bytes;   /* 0 = 64 GiB */
};

/* Download @url (http, https or file; redirects only to http/https) into
 * @fd from its current offset, which is truncated first on each attempt.
 * Errors name the URL and say what failed (DNS, connect, HTTP status, size
 * limit). */
int bd_fetch(const char *url, int fd, const struct bd_fetch_opts *o, struct bd_err *err)
    __attribute__((warn_unused_result));

/* ---- the API client (builderctl) ---- */

struct bd_client;

/* A client for the daemon at UNIX socket @socket_path. */
struct bd_client *bd_client_new(const char *socket_path);
void bd_client_free(struct bd_client *c);

/* One request: @method "GET"/"POST", @path "/v1/...", @body JSON text or
 * NULL.  On success *status is the HTTP status and @out holds the body.
 * Returns -ECONNREFUSED / -ENOENT / -EACCES when the socket cannot be
 * reached (err says which socket), -EIO on other transport errors. */
int bd_client_request(struct bd_client *c, const char *method, const char *path, const char *body,
                      long *status, struct bd_buf *out, struct bd_err *err)
    __attribute__((warn_unused_result));

/* A streaming GET: @cb receives the body as it arrives (return false to
 * stop); @tick, if set, is called about once a second while the transfer
 * runs, data or not (for progress lines).  *status as above; @headers
 * (optional) receives the raw response headers. */
typedef bool (*bd_client_stream_fn)(void *ctx, const char *data, size_t n);
typedef void (*bd_client_tick_fn)(void *ctx);
int bd_client_stream(struct bd_client *c, const char *path, bd_client_stream_fn cb,
                     bd_client_tick_fn tick, void *ctx, long *status, struct bd_buf *headers,
                     struct bd_err *err) __attribute__((warn_unused_result));
