/* SPDX-License-Identifier: MIT */
/* logs: job logs on disk and their live followers.
 *
 * A job's log is logs/<id>.log, appended to by its runner (and by the
 * publisher).  A follower is a chunked HTTP response that reads the file
 * from its own offset: it sends one chunk at a time and asks for the next
 * only when libevent reports the previous one written, so a slow reader
 * costs a file offset and one buffered chunk, never memory proportional to
 * its lag, and the build never waits for it.  New bytes are noticed through
 * inotify on the logs directory (plus the scheduler's one-second tick as a
 * fallback); a follower ends when its job is finished and it has sent every
 * byte of the file, so the chunks concatenate to exactly the log. */
#include "builderd/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "proto/json.h"

#define CHUNK (64 * 1024)

struct bd_follower {
	struct bd_follower *next, **pprev;
	struct bd_daemon *d;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int64_t job;
	int fd; /* the log, or -1 until it exists */
	uint64_t off;
	bool busy; /* a chunk is being written */
	uid_t uid;
};

char *
bd_logs_path(const struct bd_daemon *d, int64_t job)
{
	return bd_xasprintf("%s/%lld.log", d->logs_dir, (long long)job);
}

uint64_t
bd_logs_size(const struct bd_daemon *d, int64_t job)
{
	char *p = bd_logs_path(d, job);
	struct stat st;
	uint64_t n = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;

	free(p);
	return n;
}

void
bd_logs_append(struct bd_daemon *d, int64_t job, const char *fmt, ...)
{
	char line[4096];
	char *p = bd_logs_path(d, job);
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd >= 0) {
		if (bd_write_all(fd, line, (size_t)n) < 0)
			bd_warn(&d->log, "job=%lld cannot append to %s", (long long)job, p);
		close(fd);
	}
	free(p);
	bd_logs_notify(d, job);
}

static void
follower_free(struct bd_follower *f)
{
	struct bd_daemon *d = f->d;

	if (f->pprev) {
		*f->pprev = f->next;
		if (f->next)
			f->next->pprev = f->pprev;
		d->nfollowers--;
	}
	if (f->conn)
		evhttp_connection_set_closecb(f->conn, NULL, NULL);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static void pump(struct bd_follower *f);

static void
on_sent(struct evhttp_connection *c, void *arg)
{
	struct bd_follower *f = arg;

	(void)c;
	f->busy = false;
	pump(f);
}

static void
on_close(struct evhttp_connection *c, void *arg)
{
	struct bd_follower *f = arg;

	(void)c;
	/* the client went away: the request is gone with the connection */
	f->conn = NULL;
	f->req = NULL;
	follower_free(f);
}

static bool
job_finished(struct bd_daemon *d, int64_t job)
{
	struct bd_job j;
	struct bd_err err = { 0 };
	bool fin;

	if (bd_db_job_get(d->db, job, false, &j, &err) < 0)
		return true; /* vanished: nothing more will come */
	fin = bd_job_state_terminal(j.state);
	bd_job_free(&j);
	return fin;
}

static bool
open_log(struct bd_follower *f)
{
	char *p;

	if (f->fd >= 0)
		return true;
	p = bd_logs_path(f->d, f->job);
	f->fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	return f->fd >= 0;
}

static void
pump(struct bd_follower *f)
{
	char buf[CHUNK];
	ssize_t n = 0;

	if (f->busy || !f->req)
		return;
	if (open_log(f)) {
		do
			n = pread(f->fd, buf, sizeof(buf), (off_t)f->off);
		while (n < 0 && errno == EINTR);
	}
	if (n > 0) {
		struct evbuffer *eb = evbuffer_new();
		evbuffer_add(eb, buf, (size_t)n);
		f->off += (uint64_t)n;
		f->busy = true;
		evhttp_send_reply_chunk_with_cb(f->req, eb, on_sent, f);
		evbuffer_free(eb);
		return;
	}
	if (!job_finished(f->d, f->job))
		return; /* wait for more (inotify or the tick) */
	/* finished: anything written before the state change is there now */
	if (open_log(f)) {
		do
			n = pread(f->fd, buf, 1, (off_t)f->off);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			pump(f);
			return;
		}
	}
	evhttp_send_reply_end(f->req);
	f->req = NULL;
	follower_free(f);
}

void
bd_logs_notify(struct bd_daemon *d, int64_t job)
{
	struct bd_follower *f = d->followers, *next;

	for (; f; f = next) {
		next = f->next;
		if (f->job == job || job == 0)
			pump(f);
	}
}

void
bd_logs_serve(struct bd_daemon *d, struct evhttp_request *req, int64_t job, uint64_t offset,
              bool follow, uid_t uid)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct bd_job j;
	struct bd_err err = { 0 };
	char size_s[32];
	uint64_t size;
	size_t per_uid = 0;

	if (bd_db_job_get(d->db, job, false, &j, &err) < 0) {
		struct bd_json *e =
		    bd_error_to_json(err.code == ENOENT ? "not_found" : "internal", err.msg);
		char *s = bd_json_dump(e, false);
		struct evbuffer *eb = evbuffer_new();
		evbuffer_add_printf(eb, "%s\n", s);
		evhttp_add_header(h, "Content-Type", "application/json");
		evhttp_send_reply(req, err.code == ENOENT ? 404 : 500, NULL, eb);
		evbuffer_free(eb);
		free(s);
		bd_json_free(e);
		return;
	}
	size = bd_logs_size(d, job);
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "X-Builderd-Log-Size", size_s);
	evhttp_add_header(h, "X-Builderd-Job-State", bd_job_state_str(j.state));
	bd_job_free(&j);

	if (!follow) {
		struct evbuffer *eb = evbuffer_new();
		char *p = bd_logs_path(d, job);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		free(p);
		/* evbuffer_add_file sends with sendfile and takes the fd */
		if (fd >= 0 && offset < size) {
			if (evbuffer_add_file(eb, fd, (ev_off_t)offset, (ev_off_t)(size - offset)) <
			    0)
				close(fd);
		} else if (fd >= 0) {
			close(fd);
		}
		evhttp_send_reply(req, 200, "OK", eb);
		evbuffer_free(eb);
		return;
	}
	for (struct bd_follower *f = d->followers; f; f = f->next)
		per_uid += f->uid == uid;
	if (d->nfollowers >= d->cfg.max_followers || per_uid >= d->cfg.max_followers_per_uid) {
		struct bd_json *e = bd_error_to_json("too_many_requests",
		                                     "too many log followers; try again later");
		char *s = bd_json_dump(e, false);
		struct evbuffer *eb = evbuffer_new();
		evbuffer_add_printf(eb, "%s\n", s);
		evhttp_remove_header(h, "Content-Type");
		evhttp_add_header(h, "Content-Type", "application/json");
		evhttp_send_reply(req, 429, NULL, eb);
		evbuffer_free(eb);
		free(s);
		bd_json_free(e);
		return;
	}
	struct bd_follower *f = bd_xcalloc(1, sizeof(*f));
	f->d = d;
	f->req = req;
	f->conn = evhttp_request_get_connection(req);
	f->job = job;
	f->fd = -1;
	f->off = offset;
	f->uid = uid;
	f->next = d->followers;
	if (d->followers)
		d->followers->pprev = &f->next;
	f->pprev = &d->followers;
	d->followers = f;
	d->nfollowers++;
	/* a follow may stay quiet for as long as a build step is silent */
	evhttp_connection_set_timeout(f->conn, 7 * 86400);
	evhttp_connection_set_closecb(f->conn, on_close, f);
	evhttp_send_reply_start(req, 200, "OK");
	pump(f);
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct bd_daemon *d = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			uint64_t id;
			char name[64];
			if (ev->len && sscanf(ev->name, "%63[0-9]", name) == 1 &&
			    bd_parse_u64(name, INT64_MAX, &id) == 0)
				bd_logs_notify(d, (int64_t)id);
			p += sizeof(*ev) + ev->len;
		}
	}
}

int
bd_logs_start(struct bd_daemon *d, struct bd_err *err)
{
	d->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->inofd < 0)
		return bd_err_set(err, errno, "inotify_init1");
	d->inowd = inotify_add_watch(d->inofd, d->logs_dir, IN_MODIFY | IN_CLOSE_WRITE);
	if (d->inowd < 0)
		return bd_err_set(err, errno, "watch %s", d->logs_dir);
	d->ev_inotify = event_new(d->base, d->inofd, EV_READ | EV_PERSIST, on_inotify, d);
	if (!d->ev_inotify || event_add(d->ev_inotify, NULL) < 0)
		return bd_err_setx(err, ENOMEM, "cannot watch the logs directory");
	return 0;
}

void
bd_logs_stop(struct bd_daemon *d)
{
	while (d->followers) {
		struct bd_follower *f = d->followers;
		if (f->req)
			evhttp_send_reply_end(f->req);
		f->req = NULL;
		follower_free(f);
	}
	if (d->ev_inotify)
		event_free(d->ev_inotify);
	d->ev_inotify = NULL;
	if (d->inofd >= 0)
		close(d->inofd);
	d->inofd = -1;
}
