/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The session store (store.h): one SQLite file, sec-mod its only writer.
 *
 * Schema history (PRAGMA user_version):
 *   1  sessions(serial, sid, cookie_hash, username, groupname, remote_ip,
 *      state, drop_reason, authenticated_at, drop_at, resumes, attaches,
 *      cookie_timeout_ms, session_timeout_ms, persistent_cookies)
 *   2  + last_remote_ip, ipv4, restarts and the four counters on sessions;
 *      + meta(key, value) with the writer's last alive time
 *   3  + ipv6 on sessions (the IPv6 lease: 16 bytes, NULL when none)
 *   4  + attrs on sessions (the session's own values, a packed SessionAttrs
 *      of ipc.proto; NULL when none)
 * A new version appends a step to migrations[] and never edits an old one.
 */

#include "sec-mod/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a statement waits for a lock held by another connection (an
 * administrator's sqlite3 shell): short, sec-mod must not stall. */
#define STORE_BUSY_MS 200

enum stmt_id { ST_PUT, ST_DELETE, ST_SET_ALIVE, ST_RESTART, ST_COUNT };

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	int version;
};

static const char schema_v1[] =
	"CREATE TABLE sessions ("
	" serial INTEGER PRIMARY KEY,"
	" sid TEXT NOT NULL UNIQUE,"
	" cookie_hash BLOB NOT NULL,"
	" username TEXT NOT NULL,"
	" groupname TEXT NOT NULL,"
	" remote_ip TEXT NOT NULL,"
	" state INTEGER NOT NULL,"
	" drop_reason INTEGER NOT NULL,"
	" authenticated_at INTEGER NOT NULL,"
	" drop_at INTEGER,"
	" resumes INTEGER NOT NULL,"
	" attaches INTEGER NOT NULL,"
	" cookie_timeout_ms INTEGER NOT NULL,"
	" session_timeout_ms INTEGER NOT NULL,"
	" persistent_cookies INTEGER NOT NULL);";

static const char migrate_1_to_2[] =
	"ALTER TABLE sessions ADD COLUMN last_remote_ip TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sessions ADD COLUMN ipv4 INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN bytes_in INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN bytes_out INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN packets_in INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN packets_out INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);";

static const char migrate_2_to_3[] = "ALTER TABLE sessions ADD COLUMN ipv6 BLOB;";
static const char migrate_3_to_4[] = "ALTER TABLE sessions ADD COLUMN attrs BLOB;";

/* migrations[v] takes a file from version v to v + 1; [0] creates v1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = { schema_v1, migrate_1_to_2,
							      migrate_2_to_3, migrate_3_to_4 };

static const char *const stmt_sql[ST_COUNT] = {
	[ST_PUT] = "INSERT OR REPLACE INTO sessions (serial, sid, cookie_hash, username,"
		   " groupname, remote_ip, state, drop_reason, authenticated_at, drop_at,"
		   " resumes, attaches, cookie_timeout_ms, session_timeout_ms,"
		   " persistent_cookies, last_remote_ip, ipv4, restarts, bytes_in, bytes_out,"
		   " packets_in, packets_out, ipv6, attrs) VALUES"
		   " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_DELETE] = "DELETE FROM sessions WHERE serial = ?",
	[ST_SET_ALIVE] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('alive_at', ?)",
	/* ?1 the crash drop time, ?2 server-restart; state 1 active, 2 waiting */
	[ST_RESTART] = "UPDATE sessions SET restarts = restarts + 1,"
		       " drop_reason = CASE WHEN state = 1 OR (state = 2 AND drop_at IS NULL)"
		       "  THEN ?2 ELSE drop_reason END,"
		       " drop_at = CASE WHEN state = 1 OR (state = 2 AND drop_at IS NULL)"
		       "  THEN max(?1, authenticated_at) ELSE drop_at END,"
		       " state = CASE WHEN state = 1 THEN 2 ELSE state END",
};

static const char load_sql[] =
	"SELECT serial, sid, cookie_hash, username, groupname, remote_ip, state,"
	" drop_reason, authenticated_at, drop_at, resumes, attaches, cookie_timeout_ms,"
	" session_timeout_ms, persistent_cookies, last_remote_ip, ipv4, restarts, bytes_in,"
	" bytes_out, packets_in, packets_out, ipv6, attrs FROM sessions ORDER BY serial";

const char *store_errmsg(const struct store *st)
{
	return st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) : "no database";
}

int store_version(const struct store *st)
{
	return st->version;
}

/* --- opening --------------------------------------------------------------- */

static int user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* "ok", or the first problem PRAGMA quick_check reports. */
static int quick_check(sqlite3 *db, char *why, size_t len)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		snprintf(why, len, "%s", t != NULL ? (const char *)t : "no answer");
		rc = t != NULL && strcmp((const char *)t, "ok") == 0 ? SQLITE_OK : SQLITE_CORRUPT;
	} else {
		snprintf(why, len, "%s", sqlite3_errmsg(db));
		rc = SQLITE_CORRUPT;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Run the migration from version v to v + 1, in one transaction. */
static int migrate_step(sqlite3 *db, int v, char *why, size_t len)
{
	char *sql = sqlite3_mprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
				    migrations[v], v + 1);
	char *msg = NULL;
	int rc;

	if (sql == NULL)
		return SQLITE_NOMEM;
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		snprintf(why, len, "migrating from schema %d to %d: %s", v, v + 1,
			 msg != NULL ? msg : sqlite3_errstr(rc));
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(msg);
	return rc;
}

/* An error that says the file is damaged rather than unusable here. */
static bool is_corruption(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT ||
	       rc == SQLITE_SCHEMA || rc == SQLITE_ERROR || rc == SQLITE_MISMATCH ||
	       rc == SQLITE_CONSTRAINT || rc == SQLITE_RANGE;
}

/* Settings, version check, migration, check, statements. */
static int store_setup(struct store *st, const char *path, char *err, size_t errlen)
{
	char why[256] = "";
	int rc, v = 0;

	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			  " PRAGMA cell_size_check = ON; PRAGMA trusted_schema = OFF;",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = user_version(st->db, &v);
	if (rc != SQLITE_OK)
		goto bad;
	if (v > STORE_SCHEMA_VERSION || v < 0) {
		snprintf(err, errlen, "session store %s has schema version %d, newer than this "
			 "ocserv-modern knows (%d): written by a newer version; refusing to use it "
			 "(it is left as it is)", path, v, STORE_SCHEMA_VERSION);
		return STORE_E_NEWER;
	}
	rc = quick_check(st->db, why, sizeof(why));
	for (; rc == SQLITE_OK && v < STORE_SCHEMA_VERSION; v++)
		rc = migrate_step(st->db, v, why, sizeof(why));
	if (rc == SQLITE_OK)
		rc = quick_check(st->db, why, sizeof(why));
	for (int i = 0; rc == SQLITE_OK && i < ST_COUNT; i++)
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&st->stmt[i], NULL);
	if (rc == SQLITE_OK) {
		st->version = v;
		return 0;
	}
bad:
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "%s", sqlite3_errmsg(st->db));
	snprintf(err, errlen, "session store %s: %s", path, why);
	return is_corruption(rc) ? STORE_E_CORRUPT : -EIO;
}

int store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	int fd, rc;

	*out = NULL;
	if (st == NULL) {
		snprintf(err, errlen, "session store %s: out of memory", path);
		return -ENOMEM;
	}
	/* create it 0600 ourselves: SQLite gives its -wal and -shm files the
	 * mode of the database */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "session store %s: %s", path, strerror(errno));
		free(st);
		return rc;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "session store %s: %s", path,
			 st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		rc = is_corruption(rc) ? STORE_E_CORRUPT : -EIO;
	} else {
		rc = store_setup(st, path, err, errlen);
	}
	if (rc != 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close_v2(st->db);
	free(st);
}

/* --- writing --------------------------------------------------------------- */

/* Step a prepared statement once (autocommit: its own transaction). */
static int run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == STORE_NO_TIME)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

/* SQLite integers are signed: a counter above INT64_MAX is kept as
 * INT64_MAX (2^63 bytes will not happen in one session). */
static sqlite3_int64 u64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

int store_put(struct store *st, const struct store_record *r)
{
	sqlite3_stmt *s = st->stmt[ST_PUT];
	int i = 1;

	if (r->serial == 0 || r->serial > INT64_MAX || r->cfg.cookie_timeout_ms > INT64_MAX ||
	    r->cfg.session_timeout_ms > INT64_MAX)
		return -EINVAL;
	sqlite3_bind_int64(s, i++, u64(r->serial));
	sqlite3_bind_text(s, i++, r->sid, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, i++, r->cookie_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, r->username ? r->username : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, r->group ? r->group : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, i++, r->remote_ip ? r->remote_ip : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, i++, (int)r->state);
	sqlite3_bind_int(s, i++, (int)r->drop_reason);
	bind_time(s, i++, r->authenticated_ms);
	bind_time(s, i++, r->drop_ms);
	sqlite3_bind_int64(s, i++, r->resumes);
	sqlite3_bind_int64(s, i++, r->attaches);
	sqlite3_bind_int64(s, i++, u64(r->cfg.cookie_timeout_ms));
	sqlite3_bind_int64(s, i++, u64(r->cfg.session_timeout_ms));
	sqlite3_bind_int(s, i++, r->cfg.persistent_cookies);
	sqlite3_bind_text(s, i++, r->last_remote_ip ? r->last_remote_ip : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, i++, r->ipv4);
	sqlite3_bind_int64(s, i++, r->restarts);
	sqlite3_bind_int64(s, i++, u64(r->totals.bytes_in));
	sqlite3_bind_int64(s, i++, u64(r->totals.bytes_out));
	sqlite3_bind_int64(s, i++, u64(r->totals.packets_in));
	sqlite3_bind_int64(s, i++, u64(r->totals.packets_out));
	if (store_has_ipv6(r))
		sqlite3_bind_blob(s, i++, r->ipv6, STORE_IPV6_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i++);
	if (r->attrs_len > 0 && r->attrs_len <= STORE_ATTRS_MAX)
		sqlite3_bind_blob(s, i, r->attrs, (int)r->attrs_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
	return run(s);
}

int store_delete(struct store *st, uint64_t serial)
{
	sqlite3_bind_int64(st->stmt[ST_DELETE], 1, u64(serial));
	return run(st->stmt[ST_DELETE]);
}

int store_set_alive(struct store *st, int64_t wall_ms)
{
	sqlite3_bind_int64(st->stmt[ST_SET_ALIVE], 1, wall_ms);
	return run(st->stmt[ST_SET_ALIVE]);
}

bool store_has_ipv6(const struct store_record *r)
{
	static const uint8_t none[STORE_IPV6_LEN];

	return memcmp(r->ipv6, none, STORE_IPV6_LEN) != 0;
}

int64_t store_crash_drop(int64_t alive_ms, int64_t now_ms)
{
	return alive_ms != STORE_NO_TIME && alive_ms <= now_ms ? alive_ms : now_ms;
}

int store_mark_restart(struct store *st, int64_t alive_ms, int64_t now_ms)
{
	sqlite3_bind_int64(st->stmt[ST_RESTART], 1, store_crash_drop(alive_ms, now_ms));
	sqlite3_bind_int(st->stmt[ST_RESTART], 2, VPN_END_SERVER_RESTART);
	return run(st->stmt[ST_RESTART]);
}

int64_t store_alive(struct store *st)
{
	sqlite3_stmt *s;
	int64_t t = STORE_NO_TIME;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'alive_at'", -1, &s,
			       NULL) != SQLITE_OK)
		return STORE_NO_TIME;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
		t = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return t;
}

/* --- reading --------------------------------------------------------------- */

static bool sid_ok(const unsigned char *t)
{
	size_t n = 0;

	if (t == NULL)
		return false;
	for (; t[n] != '\0'; n++)
		if (!((t[n] >= '0' && t[n] <= '9') || (t[n] >= 'a' && t[n] <= 'f')))
			return false;
	return n == STORE_SID_LEN;
}

/* A text column, or NULL if it is missing or too long. */
static const char *text_col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	if (t == NULL || (size_t)sqlite3_column_bytes(s, i) > STORE_TEXT_MAX ||
	    strlen((const char *)t) != (size_t)sqlite3_column_bytes(s, i))
		return NULL;
	return (const char *)t;
}

static int64_t time_col(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? STORE_NO_TIME
							: sqlite3_column_int64(s, i);
}

static bool nonneg(sqlite3_stmt *s, int first, int last)
{
	for (int i = first; i <= last; i++)
		if (sqlite3_column_type(s, i) != SQLITE_INTEGER || sqlite3_column_int64(s, i) < 0)
			return false;
	return true;
}

/* Fill r from the current row; false if the row is not a valid record. */
static bool row_to_record(sqlite3_stmt *s, struct store_record *r)
{
	const unsigned char *sid = sqlite3_column_text(s, 1);
	sqlite3_int64 state = sqlite3_column_int64(s, 6), reason = sqlite3_column_int64(s, 7);

	memset(r, 0, sizeof(*r));
	if (!nonneg(s, 10, 14) || !nonneg(s, 16, 21) || sqlite3_column_int64(s, 0) <= 0 ||
	    !sid_ok(sid) || sqlite3_column_type(s, 2) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, 2) != (int)STORE_HASH_LEN ||
	    sqlite3_column_type(s, 8) != SQLITE_INTEGER ||
	    (state != VPN_SESSION_AUTHENTICATED && state != VPN_SESSION_ACTIVE &&
	     state != VPN_SESSION_WAITING) || reason < 0 || reason >= VPN_END_REASON_COUNT ||
	    sqlite3_column_int64(s, 16) > UINT32_MAX || sqlite3_column_int64(s, 10) > UINT32_MAX ||
	    sqlite3_column_int64(s, 11) > UINT32_MAX || sqlite3_column_int64(s, 17) > UINT32_MAX)
		return false;
	r->username = text_col(s, 3);
	r->group = text_col(s, 4);
	r->remote_ip = text_col(s, 5);
	r->last_remote_ip = text_col(s, 15);
	if (r->username == NULL || r->group == NULL || r->remote_ip == NULL ||
	    r->last_remote_ip == NULL)
		return false;
	r->serial = (uint64_t)sqlite3_column_int64(s, 0);
	memcpy(r->sid, sid, STORE_SID_LEN + 1);
	memcpy(r->cookie_hash, sqlite3_column_blob(s, 2), STORE_HASH_LEN);
	r->state = (enum vpn_session_state)state;
	r->drop_reason = (enum vpn_end_reason)reason;
	r->authenticated_ms = sqlite3_column_int64(s, 8);
	r->drop_ms = time_col(s, 9);
	r->resumes = (uint32_t)sqlite3_column_int64(s, 10);
	r->attaches = (uint32_t)sqlite3_column_int64(s, 11);
	r->cfg.cookie_timeout_ms = (vpn_ms_t)sqlite3_column_int64(s, 12);
	r->cfg.session_timeout_ms = (vpn_ms_t)sqlite3_column_int64(s, 13);
	r->cfg.persistent_cookies = sqlite3_column_int64(s, 14) != 0;
	r->ipv4 = (uint32_t)sqlite3_column_int64(s, 16);
	r->restarts = (uint32_t)sqlite3_column_int64(s, 17);
	r->totals.bytes_in = (uint64_t)sqlite3_column_int64(s, 18);
	r->totals.bytes_out = (uint64_t)sqlite3_column_int64(s, 19);
	r->totals.packets_in = (uint64_t)sqlite3_column_int64(s, 20);
	r->totals.packets_out = (uint64_t)sqlite3_column_int64(s, 21);
	/* anything but 16 bytes (NULL before version 3) is no lease */
	memset(r->ipv6, 0, STORE_IPV6_LEN);
	if (sqlite3_column_type(s, 22) == SQLITE_BLOB &&
	    sqlite3_column_bytes(s, 22) == (int)STORE_IPV6_LEN)
		memcpy(r->ipv6, sqlite3_column_blob(s, 22), STORE_IPV6_LEN);
	/* NULL before version 4, or none: no values of its own */
	if (sqlite3_column_type(s, 23) == SQLITE_BLOB && sqlite3_column_bytes(s, 23) > 0 &&
	    sqlite3_column_bytes(s, 23) <= (int)STORE_ATTRS_MAX) {
		r->attrs = sqlite3_column_blob(s, 23);
		r->attrs_len = (size_t)sqlite3_column_bytes(s, 23);
	}
	return true;
}

int store_load(struct store *st, store_load_fn *cb, void *opaque, size_t *skipped)
{
	sqlite3_stmt *s;
	int rc, ret = 0;

	*skipped = 0;
	if (sqlite3_prepare_v2(st->db, load_sql, -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_record r;

		if (!row_to_record(s, &r)) {
			++*skipped;
			continue;
		}
		ret = cb(opaque, &r);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = -EIO;
	sqlite3_finalize(s);
	return ret;
}

/* --- files ------------------------------------------------------------------ */

int store_prepare_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int store_move_aside(const char *path, int64_t unix_s, char *moved, size_t len)
{
	static const char *const side[] = { "-wal", "-shm" };
	char from[PATH_MAX], to[PATH_MAX];

	if (snprintf(moved, len, "%s.corrupt-%lld", path, (long long)unix_s) >= (int)len)
		return -ENAMETOOLONG;
	if (rename(path, moved) < 0)
		return -errno;
	/* a stale WAL must not be replayed into the new, empty file */
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", path, side[i]);
		snprintf(to, sizeof(to), "%s%s", moved, side[i]);
		if (rename(from, to) < 0 && errno != ENOENT)
			(void)unlink(from);
	}
	return 0;
}

/* --- time ------------------------------------------------------------------- */

int64_t store_mono_to_wall(vpn_ms_t t, struct store_clock now)
{
	if (t == VPN_NEVER)
		return STORE_NO_TIME;
	if (t >= now.mono_ms)
		return now.wall_ms + (int64_t)(t - now.mono_ms);
	return now.wall_ms - (int64_t)(now.mono_ms - t);
}

/* A Unix time to the engine's clock; *deficit gets how far before the
 * clock's origin it was (0 if not). Future times (the wall clock was set
 * back) count as now. */
static vpn_ms_t wall_to_mono(int64_t w, struct store_clock now, vpn_ms_t *deficit)
{
	uint64_t ago = w >= now.wall_ms ? 0 : (uint64_t)now.wall_ms - (uint64_t)w;

	*deficit = 0;
	if (ago > now.mono_ms) {
		*deficit = ago - now.mono_ms;
		return 0;
	}
	return now.mono_ms - ago;
}

static int64_t wall_add(int64_t t, vpn_ms_t d)
{
	return d > (uint64_t)(INT64_MAX - t) ? INT64_MAX : t + (int64_t)d;
}

int64_t store_to_machine(const struct store_record *r, int64_t alive_ms,
			 struct store_clock now, struct vpn_session *m)
{
	int64_t auth = r->authenticated_ms, drop = r->drop_ms, base, dl_s = INT64_MAX, dl_c;
	vpn_ms_t deficit, unused;

	memset(m, 0, sizeof(*m));
	m->cfg = r->cfg;
	m->state = r->state;
	m->end_reason = VPN_END_NONE;
	m->drop_reason = r->drop_reason;
	m->ended_ms = VPN_NEVER;
	m->resumes = r->resumes;
	m->attaches = r->attaches;
	if (m->state == VPN_SESSION_ACTIVE || (m->state == VPN_SESSION_WAITING &&
					       drop == STORE_NO_TIME)) {
		/* its tunnel did not end in order: it ended when the writer
		 * was last seen alive */
		drop = store_crash_drop(alive_ms, now.wall_ms);
		drop = drop > auth ? drop : auth;
		m->state = VPN_SESSION_WAITING;
		m->drop_reason = VPN_END_SERVER_RESTART;
	}
	m->created_ms = wall_to_mono(auth, now, &deficit);
	m->drop_ms = m->state == VPN_SESSION_WAITING ? wall_to_mono(drop, now, &unused) : VPN_NEVER;
	if (m->cfg.session_timeout_ms != 0) {
		dl_s = wall_add(auth, m->cfg.session_timeout_ms);
		/* a clamped login time: the same absolute session deadline */
		m->cfg.session_timeout_ms = deficit < m->cfg.session_timeout_ms
						    ? m->cfg.session_timeout_ms - deficit : 1;
	}
	base = m->state == VPN_SESSION_WAITING ? drop : auth;
	dl_c = wall_add(base, m->cfg.cookie_timeout_ms);
	if (dl_s <= now.wall_ms) {
		/* passed while down: reached now, as session-timeout */
		m->cfg.session_timeout_ms = now.mono_ms > m->created_ms
						    ? now.mono_ms - m->created_ms : 1;
	} else if (dl_c <= now.wall_ms) {
		/* as cookie-expired */
		vpn_ms_t b = m->state == VPN_SESSION_WAITING ? m->drop_ms : m->created_ms;

		m->cfg.cookie_timeout_ms = now.mono_ms - b;
	}
	return dl_s < dl_c ? dl_s : dl_c;
}
