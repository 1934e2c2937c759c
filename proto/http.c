/* SPDX-License-Identifier: MIT */
/* http: libcurl behind builderd's own types (see http.h). */
#include "proto/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/cleanup.h"

#define DEFAULT_MAX_BYTES (64ull << 30)

static void
global_init(void)
{
	static bool done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = true;
	}
}

struct sink {
	int fd;
	uint64_t bytes, max;
	bool too_big;
	int werr;
};

static size_t
write_fd(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->bytes + n > s->max) {
		s->too_big = true;
		return 0;
	}
	if (bd_write_all(s->fd, data, n) < 0) {
		s->werr = errno ? errno : EIO;
		return 0;
	}
	s->bytes += n;
	return n;
}

static bool
transient(CURLcode rc, long http)
{
	/* an if-chain: libcurl's error enum is too large for -Wswitch-enum */
	if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	    rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE)
		return true;
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return http == 429 || http >= 500;
	return false;
}

int
bd_fetch(const char *url, int fd, const struct bd_fetch_opts *o, struct bd_err *err)
{
	char ebuf[CURL_ERROR_SIZE];
	unsigned attempts = 1 + (o ? o->retries : 0);
	off_t start = lseek(fd, 0, SEEK_CUR);
	CURLcode rc = CURLE_OK;
	long http = 0;

	global_init();
	for (unsigned a = 0; a < attempts; a++) {
		struct sink s = { .fd = fd,
			          .max = o && o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES };
		CURL *h = curl_easy_init();

		if (!h)
			return bd_err_setx(err, ENOMEM, "%s: cannot start a download", url);
		if (start >= 0 && (ftruncate(fd, start) < 0 || lseek(fd, start, SEEK_SET) < 0)) {
			curl_easy_cleanup(h);
			return bd_err_set(err, errno, "%s: reset download file", url);
		}
		ebuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
		curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "builderd/" BD_VERSION);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_fd);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
		                 o && o->connect_timeout ? o->connect_timeout : 30L);
		if (o && o->timeout)
			curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
		                 o && o->low_speed_time ? o->low_speed_time : 60L);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
		curl_easy_cleanup(h);
		if (rc == CURLE_OK)
			return 0;
		if (s.too_big)
			return bd_err_setx(err, EFBIG, "%s: larger than %llu bytes", url,
			                   (unsigned long long)s.max);
		if (s.werr)
			return bd_err_set(err, s.werr, "%s: write", url);
		if (!transient(rc, http) || a + 1 == attempts)
			break;
		sleep(1u << (a < 4 ? a : 4)); /* 1, 2, 4, 8, 16 s */
	}
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		return bd_err_setx(err, EIO, "%s: HTTP status %ld", url, http);
	return bd_err_setx(err, rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO, "%s: %s", url,
	                   ebuf[0] ? ebuf : curl_easy_strerror(rc));
}

/* ------------------------------------------------------------ API client */

struct bd_client {
	char *socket;
};

struct bd_client *
bd_client_new(const char *socket_path)
{
	struct bd_client *c = bd_xcalloc(1, sizeof(*c));

	global_init();
	c->socket = bd_xstrdup(socket_path);
	return c;
}

void
bd_client_free(struct bd_client *c)
{
	if (!c)
		return;
	free(c->socket);
	free(c);
}

static size_t
write_buf(char *data, size_t size, size_t nmemb, void *arg)
{
	bd_buf_append(arg, data, size * nmemb);
	return size * nmemb;
}

struct stream {
	bd_client_stream_fn cb;
	bd_client_tick_fn tick;
	void *ctx;
	bool stopped;
	uint64_t last_tick;
};

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct stream *s = arg;
	uint64_t now = bd_now_ns();

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (s->tick && now - s->last_tick >= 1000000000ull) {
		s->last_tick = now;
		s->tick(s->ctx);
	}
	return 0;
}

static size_t
write_stream(char *data, size_t size, size_t nmemb, void *arg)
{
	struct stream *s = arg;

	if (!s->cb(s->ctx, data, size * nmemb)) {
		s->stopped = true;
		return 0;
	}
	return size * nmemb;
}

static int
transport_error(struct bd_client *c, CURLcode rc, const char *ebuf, struct bd_err *err)
{
	/* find out why the socket could not be reached, for a useful message */
	if (rc == CURLE_COULDNT_CONNECT) {
		if (access(c->socket, F_OK) < 0)
			return bd_err_setx(err, ENOENT, "cannot reach builderd: %s does not exist",
			                   c->socket);
		if (access(c->socket, R_OK | W_OK) < 0)
			return bd_err_setx(err, EACCES,
			                   "cannot reach builderd at %s: permission denied (not "
			                   "in the socket's group?)",
			                   c->socket);
		return bd_err_setx(
		    err, ECONNREFUSED,
		    "cannot reach builderd at %s: connection refused (is it running?)", c->socket);
	}
	return bd_err_setx(err, EIO, "builderd at %s: %s", c->socket,
	                   ebuf[0] ? ebuf : curl_easy_strerror(rc));
}

static CURL *
setup(struct bd_client *c, const char *path, char *ebuf)
{
	CURL *h = curl_easy_init();
	char url[1024];

	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "http://builderd%s", path);
	ebuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "builderctl/" BD_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	return h;
}

int
bd_client_request(struct bd_client *c, const char *method, const char *path, const char *body,
                  long *status, struct bd_buf *out, struct bd_err *err)
{
	char ebuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	CURL *h = setup(c, path, ebuf);
	CURLcode rc;

	if (!h)
		return bd_err_setx(err, ENOMEM, "cannot start a request");
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_buf);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	if (body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK)
		return transport_error(c, rc, ebuf, err);
	return 0;
}

static size_t
header_buf(char *data, size_t size, size_t nmemb, void *arg)
{
	if (arg)
		bd_buf_append(arg, data, size * nmemb);
	return size * nmemb;
}

int
bd_client_stream(struct bd_client *c, const char *path, bd_client_stream_fn cb,
                 bd_client_tick_fn tick, void *ctx, long *status, struct bd_buf *headers,
                 struct bd_err *err)
{
	char ebuf[CURL_ERROR_SIZE];
	struct stream s = { .cb = cb, .tick = tick, .ctx = ctx };
	CURL *h = setup(c, path, ebuf);
	CURLcode rc;

	if (!h)
		return bd_err_setx(err, ENOMEM, "cannot start a request");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_stream);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_buf);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, headers);
	if (tick) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && s.stopped))
		return transport_error(c, rc, ebuf, err);
	return 0;
}
