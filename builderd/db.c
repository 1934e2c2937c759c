/* SPDX-License-Identifier: MIT */
/* db: SQLite-backed job queue and records (see db.h). */
#include "builderd/db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "apk/version.h"
#include "common/util.h"

#define STMT_CACHE 48

struct bd_db {
	sqlite3 *h;
	struct {
		const char *sql; /* static string: its address is the key */
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
};

/* Forward-only migrations; index i brings the schema to version i+1. */
static const char *const migrations[] = {
	/* 1: jobs, events, artifacts */
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" state TEXT NOT NULL CHECK (state IN ('queued','running','succeeded','failed','cancelled')),"
	" priority INTEGER NOT NULL DEFAULT 0,"
	" submitter_uid INTEGER NOT NULL,"
	" recipe TEXT NOT NULL,"
	" recipe_name TEXT,"
	" recipe_digest TEXT NOT NULL,"
	" files TEXT,"
	" arch TEXT NOT NULL,"
	" package TEXT,"
	" version TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_attempts INTEGER NOT NULL DEFAULT 3,"
	" lease_until INTEGER,"
	" runner_pid INTEGER,"
	" created_at INTEGER NOT NULL,"
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" step_index INTEGER,"
	" step_total INTEGER,"
	" step_name TEXT,"
	" error TEXT,"
	" failed_step TEXT,"
	" retry_of INTEGER REFERENCES jobs(id),"
	" source_date_epoch INTEGER,"
	" skip_tests INTEGER NOT NULL DEFAULT 0,"
	" wall_ms INTEGER NOT NULL DEFAULT 0,"
	" cpu_ms INTEGER NOT NULL DEFAULT 0,"
	" peak_memory INTEGER NOT NULL DEFAULT 0,"
	" publishing INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX jobs_queue ON jobs(state, priority DESC, id);"
	"CREATE INDEX jobs_active_digest ON jobs(recipe_digest, arch)"
	" WHERE state IN ('queued','running');"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id),"
	" at INTEGER NOT NULL,"
	" state TEXT NOT NULL,"
	" message TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX events_job ON events(job_id, id);"
	"CREATE TABLE artifacts ("
	" id INTEGER PRIMARY KEY,"
	" job_id INTEGER NOT NULL REFERENCES jobs(id),"
	" name TEXT NOT NULL,"
	" version TEXT NOT NULL,"
	" arch TEXT NOT NULL,"
	" file TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" installed_size INTEGER NOT NULL,"
	" checksum TEXT NOT NULL,"
	" description TEXT,"
	" url TEXT,"
	" license TEXT,"
	" origin TEXT,"
	" maintainer TEXT,"
	" commit_id TEXT,"
	" builddate INTEGER NOT NULL DEFAULT 0,"
	" provider_priority INTEGER,"
	" depends TEXT NOT NULL DEFAULT '',"
	" provides TEXT NOT NULL DEFAULT '',"
	" install_if TEXT NOT NULL DEFAULT '',"
	" replaces TEXT NOT NULL DEFAULT '',"
	" published_at INTEGER"
	") STRICT;"
	"CREATE INDEX artifacts_job ON artifacts(job_id);"
	"CREATE INDEX artifacts_pub ON artifacts(arch, name, version)"
	" WHERE published_at IS NOT NULL;",
	/* 2: rebuild checks (a job that rebuilds a published job and compares) */
	"ALTER TABLE jobs ADD COLUMN rebuild_of INTEGER REFERENCES jobs(id);",
	/* 3: the resolved build environment ("name version checksum" lines) */
	"ALTER TABLE jobs ADD COLUMN environment TEXT;",
};

static int
dberr(struct bd_db *db, struct bd_err *err, const char *what)
{
	int code = sqlite3_errcode(db->h);
	int e = code == SQLITE_FULL ? ENOSPC : code == SQLITE_BUSY ? EBUSY : EIO;

	return bd_err_setx(err, e, "database: %s: %s", what, sqlite3_errmsg(db->h));
}

static sqlite3_stmt *
stmt(struct bd_db *db, const char *sql, struct bd_err *err)
{
	size_t i;

	for (i = 0; i < STMT_CACHE && db->cache[i].sql; i++) {
		if (db->cache[i].sql == sql) {
			sqlite3_reset(db->cache[i].st);
			sqlite3_clear_bindings(db->cache[i].st);
			return db->cache[i].st;
		}
	}
	BD_ASSERT(i < STMT_CACHE);
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->cache[i].st, NULL) !=
	    SQLITE_OK) {
		dberr(db, err, "prepare");
		return NULL;
	}
	db->cache[i].sql = sql;
	return db->cache[i].st;
}

static int
exec(struct bd_db *db, const char *sql, struct bd_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = bd_err_setx(err, EIO, "database: %s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static int
begin(struct bd_db *db, struct bd_err *err)
{
	/* IMMEDIATE: take the write lock now, so a transaction never fails
	 * half-way on a lock upgrade */
	return exec(db, "BEGIN IMMEDIATE", err);
}

static int
commit(struct bd_db *db, struct bd_err *err)
{
	return exec(db, "COMMIT", err);
}

static void
rollback(struct bd_db *db)
{
	struct bd_err ignored;

	(void)exec(db, "ROLLBACK", &ignored);
}

/* Run a prepared statement that returns no rows. */
static int
step_done(struct bd_db *db, sqlite3_stmt *st, const char *what, struct bd_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(db, err, what);
	return 0;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? bd_xstrdup((const char *)s) : NULL;
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

struct bd_db *
bd_db_open(const char *path, struct bd_err *err)
{
	struct bd_db *db = bd_xcalloc(1, sizeof(*db));
	int version = 0;
	sqlite3_stmt *st;

	if (sqlite3_open_v2(path, &db->h,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
	                        SQLITE_OPEN_EXRESCODE,
	                    NULL) != SQLITE_OK) {
		bd_err_setx(err, EIO, "database %s: %s", path,
		            db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 10000);
	if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
	         err) < 0)
		goto fail;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail_db;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > (int)BD_ARRAY_SIZE(migrations)) {
		bd_err_setx(err, EPROTO,
		            "database %s has schema version %d, newer than this builderd (%zu); "
		            "refusing to touch it",
		            path, version, BD_ARRAY_SIZE(migrations));
		goto fail;
	}
	for (int v = version; v < (int)BD_ARRAY_SIZE(migrations); v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if (begin(db, err) < 0)
			goto fail;
		if (exec(db, migrations[v], err) < 0 || exec(db, pragma, err) < 0) {
			rollback(db);
			bd_err_prefix(err, "migration to schema %d: ", v + 1);
			goto fail;
		}
		if (commit(db, err) < 0)
			goto fail;
	}
	return db;
fail_db:
	dberr(db, err, "open");
fail:
	bd_err_prefix(err, "%s: ", path);
	bd_db_close(db);
	return NULL;
}

void
bd_db_close(struct bd_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < STMT_CACHE && db->cache[i].sql; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

int
bd_db_schema_version(struct bd_db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
add_event(struct bd_db *db, int64_t id, const char *state, const char *msg, struct bd_err *err)
{
	static const char sql[] = "INSERT INTO events(job_id, at, state, message) VALUES(?,?,?,?)";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now());
	bind_text(st, 3, state);
	bind_text(st, 4, msg);
	return step_done(db, st, "add event", err);
}

int
bd_db_add_event(struct bd_db *db, int64_t id, const char *message, struct bd_err *err)
{
	static const char sql[] = "SELECT state FROM jobs WHERE id=?";
	sqlite3_stmt *st = stmt(db, sql, err);
	char state[16] = "";

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(state, sizeof(state), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!state[0])
		return bd_err_setx(err, ENOENT, "job %lld does not exist", (long long)id);
	return add_event(db, id, state, message, err);
}

int
bd_db_job_submit(struct bd_db *db, const struct bd_db_new_job *nj, int64_t *id, bool *attached,
                 struct bd_err *err)
{
	static const char find[] = "SELECT id FROM jobs WHERE recipe_digest=? AND arch=?"
	                           " AND state IN ('queued','running') ORDER BY id LIMIT 1";
	static const char ins[] =
	    "INSERT INTO jobs(state, priority, submitter_uid, recipe, recipe_name, recipe_digest,"
	    " files, arch, package, version, max_attempts, created_at, source_date_epoch,"
	    " skip_tests, retry_of, rebuild_of) VALUES('queued',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *st;
	char msg[128];
	int r;

	if (begin(db, err) < 0)
		return -err->code;
	*attached = false;
	st = stmt(db, find, err);
	if (!st)
		goto fail;
	bind_text(st, 1, nj->digest);
	bind_text(st, 2, nj->arch);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*attached = true;
		sqlite3_reset(st);
		snprintf(msg, sizeof(msg), "identical submission by uid %lld attached",
		         (long long)nj->uid);
		if (add_event(db, *id, "attached", msg, err) < 0)
			goto fail;
		return commit(db, err) < 0 ? -err->code : 0;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		dberr(db, err, "look for an identical job");
		goto fail;
	}
	st = stmt(db, ins, err);
	if (!st)
		goto fail;
	sqlite3_bind_int(st, 1, nj->priority);
	sqlite3_bind_int64(st, 2, nj->uid);
	sqlite3_bind_text(st, 3, nj->recipe, (int)nj->recipe_len, SQLITE_TRANSIENT);
	bind_text(st, 4, nj->recipe_name);
	bind_text(st, 5, nj->digest);
	bind_text(st, 6, nj->files_json);
	bind_text(st, 7, nj->arch);
	bind_text(st, 8, nj->package);
	bind_text(st, 9, nj->version);
	sqlite3_bind_int(st, 10, nj->max_attempts > 0 ? nj->max_attempts : 3);
	sqlite3_bind_int64(st, 11, now());
	if (nj->source_date_epoch)
		sqlite3_bind_int64(st, 12, nj->source_date_epoch);
	else
		sqlite3_bind_null(st, 12);
	sqlite3_bind_int(st, 13, nj->skip_tests);
	if (nj->retry_of)
		sqlite3_bind_int64(st, 14, nj->retry_of);
	else
		sqlite3_bind_null(st, 14);
	if (nj->rebuild_of)
		sqlite3_bind_int64(st, 15, nj->rebuild_of);
	else
		sqlite3_bind_null(st, 15);
	if (step_done(db, st, "insert job", err) < 0)
		goto fail;
	*id = sqlite3_last_insert_rowid(db->h);
	if (nj->retry_of)
		snprintf(msg, sizeof(msg), "submitted by uid %lld (retry of job %lld)",
		         (long long)nj->uid, (long long)nj->retry_of);
	else
		snprintf(msg, sizeof(msg), "submitted by uid %lld", (long long)nj->uid);
	if (add_event(db, *id, "queued", msg, err) < 0)
		goto fail;
	return commit(db, err) < 0 ? -err->code : 0;
fail:
	rollback(db);
	return -err->code;
}

#define JOB_COLS                                                                                  \
	"id, state, priority, submitter_uid, recipe_name, recipe_digest, arch, package, version," \
	" attempts, max_attempts, created_at, started_at, finished_at, step_index, step_total,"   \
	" step_name, error, failed_step, retry_of, source_date_epoch, skip_tests, wall_ms,"       \
	" cpu_ms, peak_memory, rebuild_of, environment"

static void
split_lines(struct bd_strv *sv, const unsigned char *s)
{
	const char *p = (const char *)s;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			bd_strv_push_owned(sv, bd_xstrndup(p, n));
		p = nl ? nl + 1 : p + n;
	}
}

static void
row_to_job(sqlite3_stmt *st, struct bd_job *j)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->state = (enum bd_job_state)bd_job_state_parse((const char *)sqlite3_column_text(st, 1));
	j->priority = sqlite3_column_int(st, 2);
	j->submitter_uid = sqlite3_column_int64(st, 3);
	j->recipe_name = col_text(st, 4);
	j->recipe_digest = col_text(st, 5);
	j->arch = col_text(st, 6);
	j->package = col_text(st, 7);
	j->version = col_text(st, 8);
	j->attempts = sqlite3_column_int(st, 9);
	j->max_attempts = sqlite3_column_int(st, 10);
	j->created_at = sqlite3_column_int64(st, 11);
	j->started_at = sqlite3_column_int64(st, 12);
	j->finished_at = sqlite3_column_int64(st, 13);
	j->step_index = sqlite3_column_int(st, 14);
	j->step_total = sqlite3_column_int(st, 15);
	j->step_name = col_text(st, 16);
	j->error = col_text(st, 17);
	j->failed_step = col_text(st, 18);
	j->retry_of = sqlite3_column_int64(st, 19);
	j->source_date_epoch = sqlite3_column_int64(st, 20);
	j->skip_tests = sqlite3_column_int(st, 21) != 0;
	j->wall_ms = sqlite3_column_int64(st, 22);
	j->cpu_ms = sqlite3_column_int64(st, 23);
	j->peak_memory = sqlite3_column_int64(st, 24);
	j->rebuild_of = sqlite3_column_int64(st, 25);
	split_lines(&j->environment, sqlite3_column_text(st, 26));
}

static int
load_artifacts(struct bd_db *db, struct bd_job *j, struct bd_err *err)
{
	static const char sql[] =
	    "SELECT name, version, arch, file, checksum, size,"
	    " published_at IS NOT NULL FROM artifacts WHERE job_id=? ORDER BY id";
	sqlite3_stmt *st = stmt(db, sql, err);
	size_t cap = 0;
	int rc;

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, j->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		j->artifacts =
		    bd_grow(j->artifacts, &cap, j->nartifacts + 1, sizeof(*j->artifacts), 4);
		struct bd_artifact *a = &j->artifacts[j->nartifacts++];
		a->name = col_text(st, 0);
		a->version = col_text(st, 1);
		a->arch = col_text(st, 2);
		a->file = col_text(st, 3);
		a->checksum = col_text(st, 4);
		a->size = sqlite3_column_int64(st, 5);
		a->published = sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, err, "load artifacts");
}

static int
load_events(struct bd_db *db, struct bd_job *j, struct bd_err *err)
{
	static const char sql[] =
	    "SELECT at, state, message FROM events WHERE job_id=? ORDER BY id";
	sqlite3_stmt *st = stmt(db, sql, err);
	size_t cap = 0;
	int rc;

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, j->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		j->events = bd_grow(j->events, &cap, j->nevents + 1, sizeof(*j->events), 8);
		struct bd_job_event *e = &j->events[j->nevents++];
		e->at = sqlite3_column_int64(st, 0);
		e->state = col_text(st, 1);
		e->message = col_text(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, err, "load events");
}

int
bd_db_job_get(struct bd_db *db, int64_t id, bool with_events, struct bd_job *out,
              struct bd_err *err)
{
	static const char sql[] = "SELECT " JOB_COLS " FROM jobs WHERE id=?";
	sqlite3_stmt *st = stmt(db, sql, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return bd_err_setx(err, ENOENT, "job %lld does not exist", (long long)id);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return dberr(db, err, "get job");
	}
	row_to_job(st, out);
	sqlite3_reset(st);
	if (load_artifacts(db, out, err) < 0 || (with_events && load_events(db, out, err) < 0)) {
		bd_job_free(out);
		return -err->code;
	}
	return 0;
}

void
bd_db_job_list_free(struct bd_job *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bd_job_free(&v[i]);
	free(v);
}

int
bd_db_job_list(struct bd_db *db, int state, int limit, int64_t before, struct bd_job **out,
               size_t *n, struct bd_err *err)
{
	static const char sql[] = "SELECT " JOB_COLS " FROM jobs WHERE (?1 IS NULL OR state=?1)"
	                          " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3";
	sqlite3_stmt *st = stmt(db, sql, err);
	struct bd_job *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!st)
		return -err->code;
	if (state >= 0)
		bind_text(st, 1, bd_job_state_str((enum bd_job_state)state));
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = bd_grow(v, &cap, cnt + 1, sizeof(*v), 16);
		row_to_job(st, &v[cnt++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		bd_db_job_list_free(v, cnt);
		return dberr(db, err, "list jobs");
	}
	for (size_t i = 0; i < cnt; i++) {
		if (load_artifacts(db, &v[i], err) < 0) {
			bd_db_job_list_free(v, cnt);
			return -err->code;
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
bd_db_job_claim(struct bd_db *db, int64_t lease_until, struct bd_job *out, struct bd_err *err)
{
	static const char pick[] =
	    "SELECT id FROM jobs WHERE state='queued' ORDER BY priority DESC, id LIMIT 1";
	static const char upd[] =
	    "UPDATE jobs SET state='running', attempts=attempts+1, started_at=?, lease_until=?,"
	    " step_index=NULL, step_total=NULL, step_name=NULL, error=NULL, failed_step=NULL,"
	    " runner_pid=NULL WHERE id=?";
	sqlite3_stmt *st;
	int64_t id;
	int rc;
	char msg[64];

	if (begin(db, err) < 0)
		return -err->code;
	st = stmt(db, pick, err);
	if (!st)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		rollback(db);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		dberr(db, err, "pick a job");
		goto fail;
	}
	id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = stmt(db, upd, err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, now());
	sqlite3_bind_int64(st, 2, lease_until);
	sqlite3_bind_int64(st, 3, id);
	if (step_done(db, st, "claim job", err) < 0)
		goto fail;
	snprintf(msg, sizeof(msg), "claimed by a worker");
	if (add_event(db, id, "running", msg, err) < 0)
		goto fail;
	if (commit(db, err) < 0)
		return -err->code;
	return bd_db_job_get(db, id, false, out, err) < 0 ? -err->code : 1;
fail:
	rollback(db);
	return -err->code;
}

int
bd_db_job_inputs(struct bd_db *db, int64_t id, char **recipe, char **files_json, struct bd_err *err)
{
	static const char sql[] = "SELECT recipe, files FROM jobs WHERE id=?";
	sqlite3_stmt *st = stmt(db, sql, err);
	int rc;

	*recipe = *files_json = NULL;
	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*recipe = col_text(st, 0);
		*files_json = col_text(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return bd_err_setx(err, ENOENT, "job %lld does not exist", (long long)id);
	return rc == SQLITE_ROW ? 0 : dberr(db, err, "job inputs");
}

/* "UPDATE jobs SET <one integer column>=? WHERE id=?" (@sql) with @v. */
static int
set_job_int(struct bd_db *db, const char *sql, const char *what, int64_t id, int64_t v,
            struct bd_err *err)
{
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_int64(st, 2, id);
	return step_done(db, st, what, err);
}

int
bd_db_job_set_runner(struct bd_db *db, int64_t id, int pid, struct bd_err *err)
{
	return set_job_int(db, "UPDATE jobs SET runner_pid=? WHERE id=?", "set runner", id, pid,
	                   err);
}

int
bd_db_job_set_step(struct bd_db *db, int64_t id, int index, int total, const char *name,
                   struct bd_err *err)
{
	static const char sql[] =
	    "UPDATE jobs SET step_index=?, step_total=?, step_name=? WHERE id=? AND state='running'";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	sqlite3_bind_int(st, 1, index);
	sqlite3_bind_int(st, 2, total);
	bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, id);
	return step_done(db, st, "set step", err);
}

int
bd_db_job_set_environment(struct bd_db *db, int64_t id, const struct bd_strv *env,
                          struct bd_err *err)
{
	static const char sql[] = "UPDATE jobs SET environment=? WHERE id=?";
	sqlite3_stmt *st = stmt(db, sql, err);
	struct bd_buf b = { 0 };
	int r;

	if (!st)
		return -err->code;
	for (size_t i = 0; i < env->n; i++)
		bd_buf_printf(&b, "%s\n", env->v[i]);
	bind_text(st, 1, b.data ? b.data : "");
	sqlite3_bind_int64(st, 2, id);
	r = step_done(db, st, "set environment", err);
	bd_buf_free(&b);
	return r;
}

int
bd_db_job_set_sde(struct bd_db *db, int64_t id, int64_t sde, struct bd_err *err)
{
	return set_job_int(db, "UPDATE jobs SET source_date_epoch=? WHERE id=?",
	                   "set source_date_epoch", id, sde, err);
}

int
bd_db_leases_renew(struct bd_db *db, const int64_t *ids, size_t n, int64_t until,
                   struct bd_err *err)
{
	static const char sql[] = "UPDATE jobs SET lease_until=? WHERE id=? AND state='running'";
	sqlite3_stmt *st;

	if (n == 0)
		return 0;
	if (begin(db, err) < 0)
		return -err->code;
	for (size_t i = 0; i < n; i++) {
		st = stmt(db, sql, err);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, until);
		sqlite3_bind_int64(st, 2, ids[i]);
		if (step_done(db, st, "renew lease", err) < 0)
			goto fail;
	}
	return commit(db, err) < 0 ? -err->code : 0;
fail:
	rollback(db);
	return -err->code;
}

int
bd_db_job_finish(struct bd_db *db, int64_t id, enum bd_job_state state, const char *error,
                 const char *failed_step, const struct bd_db_resources *res, bool *changed,
                 struct bd_err *err)
{
	static const char sql[] =
	    "UPDATE jobs SET state=?, finished_at=?, error=?, failed_step=?, lease_until=NULL,"
	    " runner_pid=NULL, publishing=0, wall_ms=coalesce(?, wall_ms),"
	    " cpu_ms=coalesce(?, cpu_ms), peak_memory=coalesce(?, peak_memory)"
	    " WHERE id=? AND state IN ('queued','running')";
	sqlite3_stmt *st;
	char msg[BD_ERR_MSG_MAX + 32];

	BD_ASSERT(bd_job_state_terminal(state));
	if (changed)
		*changed = false;
	if (begin(db, err) < 0)
		return -err->code;
	st = stmt(db, sql, err);
	if (!st)
		goto fail;
	bind_text(st, 1, bd_job_state_str(state));
	sqlite3_bind_int64(st, 2, now());
	bind_text(st, 3, error);
	bind_text(st, 4, failed_step);
	if (res) {
		sqlite3_bind_int64(st, 5, res->wall_ms);
		sqlite3_bind_int64(st, 6, res->cpu_ms);
		sqlite3_bind_int64(st, 7, res->peak_memory);
	}
	sqlite3_bind_int64(st, 8, id);
	if (step_done(db, st, "finish job", err) < 0)
		goto fail;
	if (sqlite3_changes(db->h) == 0) {
		rollback(db);
		return 0;
	}
	if (error)
		snprintf(msg, sizeof(msg), "%s", error);
	else
		snprintf(msg, sizeof(msg), "%s", bd_job_state_str(state));
	if (add_event(db, id, bd_job_state_str(state), msg, err) < 0)
		goto fail;
	if (commit(db, err) < 0)
		return -err->code;
	if (changed)
		*changed = true;
	return 0;
fail:
	rollback(db);
	return -err->code;
}

int
bd_db_job_lost(struct bd_db *db, int64_t id, const char *reason, bool refund, bool *requeued,
               struct bd_err *err)
{
	static const char sql_q[] = "SELECT attempts, max_attempts FROM jobs WHERE id=?"
	                            " AND state='running'";
	static const char sql_r[] =
	    "UPDATE jobs SET state='queued', lease_until=NULL, runner_pid=NULL, started_at=NULL,"
	    " step_index=NULL, step_total=NULL, step_name=NULL, publishing=0,"
	    " attempts=max(attempts-?, 0) WHERE id=?";
	static const char sql_f[] =
	    "UPDATE jobs SET state='failed', finished_at=?, error=?, lease_until=NULL,"
	    " runner_pid=NULL, publishing=0 WHERE id=?";
	sqlite3_stmt *st;
	int attempts, max;
	char msg[BD_ERR_MSG_MAX];

	*requeued = false;
	if (begin(db, err) < 0)
		return -err->code;
	st = stmt(db, sql_q, err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		rollback(db);
		return 0; /* not running any more: nothing to do */
	}
	attempts = sqlite3_column_int(st, 0);
	max = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (attempts < max || refund) {
		st = stmt(db, sql_r, err);
		if (!st)
			goto fail;
		sqlite3_bind_int(st, 1, refund ? 1 : 0);
		sqlite3_bind_int64(st, 2, id);
		if (step_done(db, st, "requeue job", err) < 0)
			goto fail;
		if (refund)
			snprintf(msg, sizeof(msg), "%s; requeued (attempt not counted)", reason);
		else
			snprintf(msg, sizeof(msg), "%s; requeued (attempt %d of %d done)", reason,
			         attempts, max);
		if (add_event(db, id, "queued", msg, err) < 0)
			goto fail;
		*requeued = true;
	} else {
		st = stmt(db, sql_f, err);
		if (!st)
			goto fail;
		snprintf(msg, sizeof(msg), "%s; no attempts left (%d of %d)", reason, attempts,
		         max);
		sqlite3_bind_int64(st, 1, now());
		bind_text(st, 2, msg);
		sqlite3_bind_int64(st, 3, id);
		if (step_done(db, st, "fail job", err) < 0)
			goto fail;
		if (add_event(db, id, "failed", msg, err) < 0)
			goto fail;
	}
	return commit(db, err) < 0 ? -err->code : 0;
fail:
	rollback(db);
	return -err->code;
}

static int
collect_ids(struct bd_db *db, sqlite3_stmt *st, int64_t **ids, size_t *n, struct bd_err *err)
{
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids = bd_grow(*ids, &cap, *n + 1, sizeof(**ids), 16);
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return dberr(db, err, "list ids");
	}
	return 0;
}

int
bd_db_jobs_in_state(struct bd_db *db, enum bd_job_state state, int64_t **ids, size_t *n,
                    struct bd_err *err)
{
	static const char sql[] = "SELECT id FROM jobs WHERE state=? ORDER BY id";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	bind_text(st, 1, bd_job_state_str(state));
	return collect_ids(db, st, ids, n, err);
}

int
bd_db_counts(struct bd_db *db, int64_t counts[BD_JOB_NSTATES], struct bd_err *err)
{
	static const char sql[] = "SELECT state, count(*) FROM jobs GROUP BY state";
	sqlite3_stmt *st = stmt(db, sql, err);
	int rc;

	memset(counts, 0, sizeof(int64_t) * BD_JOB_NSTATES);
	if (!st)
		return -err->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int s = bd_job_state_parse((const char *)sqlite3_column_text(st, 0));
		if (s >= 0)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, err, "count jobs");
}

/* ---------------------------------------------------------------- artifacts */

static char *
join(const struct bd_strv *sv)
{
	struct bd_buf b = { 0 };

	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			bd_buf_putc(&b, ' ');
		bd_buf_puts(&b, sv->v[i]);
	}
	return bd_buf_steal(&b);
}

static void
split_into(struct bd_strv *sv, const unsigned char *s)
{
	char *copy, *save = NULL;

	if (!s || !*s)
		return;
	copy = bd_xstrdup((const char *)s);
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		bd_strv_push(sv, t);
	free(copy);
}

void
bd_db_artifacts_free(struct bd_db_artifact *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bd_apk_pkginfo_free(&v[i].pi);
	free(v);
}

int
bd_db_stage(struct bd_db *db, int64_t job, const struct bd_db_artifact *a, size_t n,
            struct bd_err *err)
{
	static const char del[] = "DELETE FROM artifacts WHERE job_id=? AND published_at IS NULL";
	static const char conflict[] =
	    "SELECT checksum, job_id FROM artifacts WHERE published_at IS NOT NULL AND arch=?"
	    " AND name=? AND version=? AND checksum<>? LIMIT 1";
	static const char ins[] =
	    "INSERT INTO artifacts(job_id, name, version, arch, file, size, installed_size,"
	    " checksum, description, url, license, origin, maintainer, commit_id, builddate,"
	    " provider_priority, depends, provides, install_if, replaces)"
	    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char mark[] = "UPDATE jobs SET publishing=1 WHERE id=?";
	sqlite3_stmt *st;

	if (begin(db, err) < 0)
		return -err->code;
	st = stmt(db, del, err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, job);
	if (step_done(db, st, "clear staged", err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const struct bd_apk_pkginfo *pi = &a[i].pi;
		st = stmt(db, conflict, err);
		if (!st)
			goto fail;
		bind_text(st, 1, pi->arch);
		bind_text(st, 2, pi->name);
		bind_text(st, 3, pi->version);
		bind_text(st, 4, a[i].checksum);
		if (sqlite3_step(st) == SQLITE_ROW) {
			bd_err_setx(err, EEXIST,
			            "%s-%s (%s) is already published by job %lld with checksum %s; "
			            "this build differs (%s): bump the package epoch to publish it",
			            pi->name, pi->version, pi->arch,
			            (long long)sqlite3_column_int64(st, 1),
			            (const char *)sqlite3_column_text(st, 0), a[i].checksum);
			sqlite3_reset(st);
			goto fail;
		}
		sqlite3_reset(st);
		st = stmt(db, ins, err);
		if (!st)
			goto fail;
		char *dep = join(&pi->depends), *prov = join(&pi->provides);
		char *iif = join(&pi->install_if), *rep = join(&pi->replaces);
		sqlite3_bind_int64(st, 1, job);
		bind_text(st, 2, pi->name);
		bind_text(st, 3, pi->version);
		bind_text(st, 4, pi->arch);
		bind_text(st, 5, a[i].file);
		sqlite3_bind_int64(st, 6, a[i].size);
		sqlite3_bind_int64(st, 7, (int64_t)pi->installed_size);
		bind_text(st, 8, a[i].checksum);
		bind_text(st, 9, pi->description);
		bind_text(st, 10, pi->url);
		bind_text(st, 11, pi->license);
		bind_text(st, 12, pi->origin);
		bind_text(st, 13, pi->maintainer);
		bind_text(st, 14, pi->commit);
		sqlite3_bind_int64(st, 15, (int64_t)pi->builddate);
		if (pi->has_provider_priority)
			sqlite3_bind_int64(st, 16, pi->provider_priority);
		bind_text(st, 17, dep);
		bind_text(st, 18, prov);
		bind_text(st, 19, iif);
		bind_text(st, 20, rep);
		int r = step_done(db, st, "stage artifact", err);
		free(dep);
		free(prov);
		free(iif);
		free(rep);
		if (r < 0)
			goto fail;
	}
	st = stmt(db, mark, err);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, job);
	if (step_done(db, st, "mark publishing", err) < 0)
		goto fail;
	if (add_event(db, job, "running", "packages staged for publication", err) < 0)
		goto fail;
	return commit(db, err) < 0 ? -err->code : 0;
fail:
	rollback(db);
	return -err->code;
}

#define ART_COLS                                                                                \
	"name, version, arch, file, size, installed_size, checksum, description, url, license," \
	" origin, maintainer, commit_id, builddate, provider_priority, depends, provides,"      \
	" install_if, replaces, job_id, coalesce(published_at, 0)"

static int
read_artifacts(struct bd_db *db, sqlite3_stmt *st, struct bd_db_artifact **out, size_t *n,
               struct bd_err *err)
{
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = bd_grow(*out, &cap, *n + 1, sizeof(**out), 16);
		struct bd_db_artifact *a = &(*out)[(*n)++];
		memset(a, 0, sizeof(*a));
		a->pi.name = col_text(st, 0);
		a->pi.version = col_text(st, 1);
		a->pi.arch = col_text(st, 2);
		snprintf(a->file, sizeof(a->file), "%s", (const char *)sqlite3_column_text(st, 3));
		a->size = sqlite3_column_int64(st, 4);
		a->pi.installed_size = (uint64_t)sqlite3_column_int64(st, 5);
		snprintf(a->checksum, sizeof(a->checksum), "%s",
		         (const char *)sqlite3_column_text(st, 6));
		a->pi.description = col_text(st, 7);
		a->pi.url = col_text(st, 8);
		a->pi.license = col_text(st, 9);
		a->pi.origin = col_text(st, 10);
		a->pi.maintainer = col_text(st, 11);
		a->pi.commit = col_text(st, 12);
		a->pi.builddate = (uint64_t)sqlite3_column_int64(st, 13);
		if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
			a->pi.has_provider_priority = true;
			a->pi.provider_priority = (long)sqlite3_column_int64(st, 14);
		}
		split_into(&a->pi.depends, sqlite3_column_text(st, 15));
		split_into(&a->pi.provides, sqlite3_column_text(st, 16));
		split_into(&a->pi.install_if, sqlite3_column_text(st, 17));
		split_into(&a->pi.replaces, sqlite3_column_text(st, 18));
		a->job = sqlite3_column_int64(st, 19);
		a->published_at = sqlite3_column_int64(st, 20);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		bd_db_artifacts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return dberr(db, err, "read artifacts");
	}
	return 0;
}

int
bd_db_staged(struct bd_db *db, int64_t job, struct bd_db_artifact **out, size_t *n,
             struct bd_err *err)
{
	static const char sql[] = "SELECT " ART_COLS " FROM artifacts WHERE job_id=? ORDER BY id";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, job);
	return read_artifacts(db, st, out, n, err);
}

int
bd_db_mark_published(struct bd_db *db, int64_t job, struct bd_err *err)
{
	static const char sql[] =
	    "UPDATE artifacts SET published_at=? WHERE job_id=? AND published_at IS NULL";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	sqlite3_bind_int64(st, 1, now());
	sqlite3_bind_int64(st, 2, job);
	return step_done(db, st, "mark published", err);
}

int
bd_db_publishing_jobs(struct bd_db *db, int64_t **ids, size_t *n, struct bd_err *err)
{
	static const char sql[] = "SELECT id FROM jobs WHERE publishing=1 AND state='running'"
	                          " ORDER BY id";
	sqlite3_stmt *st = stmt(db, sql, err);

	if (!st)
		return -err->code;
	return collect_ids(db, st, ids, n, err);
}

static int
art_cmp(const void *x, const void *y)
{
	const struct bd_db_artifact *a = x, *b = y;
	int r = strcmp(a->pi.arch, b->pi.arch);

	if (r == 0)
		r = strcmp(a->pi.name, b->pi.name);
	if (r == 0) {
		int v = bd_apk_version_compare(a->pi.version, b->pi.version);
		r = v == BD_APK_VER_LESS ? -1 : v == BD_APK_VER_GREATER ? 1 : 0;
	}
	return r;
}

int
bd_db_published(struct bd_db *db, const char *arch, struct bd_db_artifact **out, size_t *n,
                struct bd_err *err)
{
	/* the newest published row for each arch/name/version */
	static const char sql[] =
	    "SELECT " ART_COLS " FROM artifacts a WHERE published_at IS NOT NULL"
	    " AND (?1 IS NULL OR arch=?1) AND id=(SELECT max(id) FROM artifacts b"
	    " WHERE b.published_at IS NOT NULL AND b.arch=a.arch AND b.name=a.name"
	    " AND b.version=a.version)";
	sqlite3_stmt *st = stmt(db, sql, err);
	int r;

	if (!st)
		return -err->code;
	bind_text(st, 1, arch);
	r = read_artifacts(db, st, out, n, err);
	if (r == 0 && *n > 1)
		qsort(*out, *n, sizeof(**out), art_cmp);
	return r;
}

int
bd_db_published_arches(struct bd_db *db, struct bd_strv *out, struct bd_err *err)
{
	static const char sql[] =
	    "SELECT DISTINCT arch FROM artifacts WHERE published_at IS NOT NULL ORDER BY arch";
	sqlite3_stmt *st = stmt(db, sql, err);
	int rc;

	if (!st)
		return -err->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		bd_strv_push(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(db, err, "list arches");
}
