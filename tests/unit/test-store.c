/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session store (src/sec-mod/store.c): records survive a close and a
 * reopen field for field, a version-1 file is migrated, a newer file is
 * refused untouched, a damaged file is reported and can be moved aside, and
 * the deadlines of loaded records are recomputed from injected clocks.
 * Files live in a fresh directory under $TMPDIR; nothing sleeps.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sec-mod/store.h"

static char dir[PATH_MAX];
static char db_path[PATH_MAX + 16];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test-store-XXXXXX", tmp != NULL ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/sessions.db", dir);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct store *open_ok(void)
{
	struct store *st = NULL;
	char err[512] = "";
	int rc = store_open(&st, db_path, err, sizeof(err));

	ck_assert_msg(rc == 0, "store_open: %d %s", rc, err);
	ck_assert_ptr_nonnull(st);
	return st;
}

static struct store_record sample(uint64_t serial)
{
	struct store_record r = {
		.serial = serial,
		.username = "alice",
		.group = "staff",
		.remote_ip = "198.51.100.7",
		.last_remote_ip = "203.0.113.9",
		.ipv4 = 0x5a4da8c0u, /* an address, network byte order */
		/* 2001:db8:77::2a */
		.ipv6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x77, [15] = 0x2a },
		.attrs = (const uint8_t *)"\x08\x01",   /* radius = true */
		.attrs_len = 2,
		.state = VPN_SESSION_WAITING,
		.drop_reason = VPN_END_DPD_TIMEOUT,
		.authenticated_ms = 1764700000123,
		.drop_ms = 1764700300456,
		.resumes = 3,
		.attaches = 4,
		.restarts = 1,
		.cfg = { .cookie_timeout_ms = 300000, .session_timeout_ms = 86400000,
			 .persistent_cookies = true },
		.totals = { .bytes_in = 1u << 31, .bytes_out = 5000000000ull, .packets_in = 7,
			    .packets_out = 9 },
	};

	snprintf(r.sid, sizeof(r.sid), "%016llx%016llx", (unsigned long long)serial,
		 0xabcdef0123456789ull);
	for (size_t i = 0; i < STORE_HASH_LEN; i++)
		r.cookie_hash[i] = (uint8_t)(i * 7 + serial);
	return r;
}

/* A copy of a loaded record whose strings outlive the callback. */
struct loaded {
	size_t n;
	struct store_record r[8];
	char text[8][4][STORE_TEXT_MAX + 1];
	uint8_t attrs[8][64];
};

static int collect(void *opaque, const struct store_record *r)
{
	struct loaded *l = opaque;
	size_t i = l->n++;

	ck_assert_uint_lt(i, 8);
	l->r[i] = *r;
	snprintf(l->text[i][0], sizeof(l->text[i][0]), "%s", r->username);
	snprintf(l->text[i][1], sizeof(l->text[i][1]), "%s", r->group);
	snprintf(l->text[i][2], sizeof(l->text[i][2]), "%s", r->remote_ip);
	snprintf(l->text[i][3], sizeof(l->text[i][3]), "%s", r->last_remote_ip);
	l->r[i].username = l->text[i][0];
	l->r[i].group = l->text[i][1];
	l->r[i].remote_ip = l->text[i][2];
	l->r[i].last_remote_ip = l->text[i][3];
	ck_assert_uint_le(r->attrs_len, sizeof(l->attrs[i]));
	if (r->attrs_len > 0)
		memcpy(l->attrs[i], r->attrs, r->attrs_len);
	l->r[i].attrs = l->attrs[i];
	return 0;
}

static void assert_same(const struct store_record *a, const struct store_record *b)
{
	ck_assert_uint_eq(a->serial, b->serial);
	ck_assert_str_eq(a->sid, b->sid);
	ck_assert_mem_eq(a->cookie_hash, b->cookie_hash, STORE_HASH_LEN);
	ck_assert_str_eq(a->username, b->username);
	ck_assert_str_eq(a->group, b->group);
	ck_assert_str_eq(a->remote_ip, b->remote_ip);
	ck_assert_str_eq(a->last_remote_ip, b->last_remote_ip);
	ck_assert_uint_eq(a->ipv4, b->ipv4);
	ck_assert_mem_eq(a->ipv6, b->ipv6, STORE_IPV6_LEN);
	ck_assert(store_has_ipv6(a) == store_has_ipv6(b));
	ck_assert_uint_eq(a->attrs_len, b->attrs_len);
	if (a->attrs_len > 0)
		ck_assert_mem_eq(a->attrs, b->attrs, a->attrs_len);
	ck_assert_int_eq(a->state, b->state);
	ck_assert_int_eq(a->drop_reason, b->drop_reason);
	ck_assert_int_eq(a->authenticated_ms, b->authenticated_ms);
	ck_assert_int_eq(a->drop_ms, b->drop_ms);
	ck_assert_uint_eq(a->resumes, b->resumes);
	ck_assert_uint_eq(a->attaches, b->attaches);
	ck_assert_uint_eq(a->restarts, b->restarts);
	ck_assert_uint_eq(a->cfg.cookie_timeout_ms, b->cfg.cookie_timeout_ms);
	ck_assert_uint_eq(a->cfg.session_timeout_ms, b->cfg.session_timeout_ms);
	ck_assert_int_eq(a->cfg.persistent_cookies, b->cfg.persistent_cookies);
	ck_assert_uint_eq(a->totals.bytes_in, b->totals.bytes_in);
	ck_assert_uint_eq(a->totals.bytes_out, b->totals.bytes_out);
	ck_assert_uint_eq(a->totals.packets_in, b->totals.packets_in);
	ck_assert_uint_eq(a->totals.packets_out, b->totals.packets_out);
}

static void load(struct store *st, struct loaded *l, size_t expect_skipped)
{
	size_t skipped = 99;

	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(store_load(st, collect, l, &skipped), 0);
	ck_assert_uint_eq(skipped, expect_skipped);
}

/* Raw SQL on the file, as another program (or an older binary) would. */
static void raw_sql(const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql,
		      msg != NULL ? msg : "?");
	sqlite3_close(db);
}

static int raw_user_version(void)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

START_TEST(test_round_trip)
{
	struct store *st = open_ok();
	struct store_record a = sample(7), b = sample(9), c = sample(12);
	struct loaded l;
	struct stat sb;

	ck_assert_int_eq(store_version(st), STORE_SCHEMA_VERSION);
	b.state = VPN_SESSION_AUTHENTICATED;
	b.drop_ms = STORE_NO_TIME;
	b.drop_reason = VPN_END_NONE;
	b.cfg.session_timeout_ms = 0;
	b.cfg.persistent_cookies = false;
	b.group = "";
	b.last_remote_ip = "";
	b.ipv4 = 0;
	memset(b.ipv6, 0, sizeof(b.ipv6));
	ck_assert(!store_has_ipv6(&b));
	ck_assert(store_has_ipv6(&a));
	c.remote_ip = "2001:db8::1";
	ck_assert_int_eq(store_put(st, &a), 0);
	ck_assert_int_eq(store_put(st, &b), 0);
	ck_assert_int_eq(store_put(st, &c), 0);
	/* a state change replaces the record */
	c.state = VPN_SESSION_ACTIVE;
	c.resumes = 4;
	c.attaches = 5;
	ck_assert_int_eq(store_put(st, &c), 0);
	ck_assert_int_eq(store_delete(st, 9), 0);
	ck_assert_int_eq(store_delete(st, 999), 0);
	store_close(st);

	/* the file and its journal are for sec-mod's eyes only */
	ck_assert_int_eq(stat(db_path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);

	st = open_ok();
	load(st, &l, 0);
	ck_assert_uint_eq(l.n, 2);
	assert_same(&l.r[0], &a);
	assert_same(&l.r[1], &c);
	ck_assert_int_eq(store_put(st, &b), 0);
	load(st, &l, 0);
	ck_assert_uint_eq(l.n, 3);
	assert_same(&l.r[1], &b);
	store_close(st);
}
END_TEST

START_TEST(test_alive)
{
	struct store *st = open_ok();

	ck_assert_int_eq(store_alive(st), STORE_NO_TIME);
	ck_assert_int_eq(store_set_alive(st, 1764700000000), 0);
	ck_assert_int_eq(store_set_alive(st, 1764700010000), 0);
	store_close(st);
	st = open_ok();
	ck_assert_int_eq(store_alive(st), 1764700010000);
	store_close(st);
}
END_TEST

/* A restart on disk matches what store_to_machine() makes of each record. */
START_TEST(test_mark_restart)
{
	struct store *st = open_ok();
	struct store_record a = sample(1), w = sample(2), n = sample(3), au = sample(4);
	struct loaded l;
	const int64_t now = 1764700900000, alive = 1764700890000;

	a.state = VPN_SESSION_ACTIVE;
	a.drop_ms = STORE_NO_TIME;
	a.drop_reason = VPN_END_NONE;
	n.state = VPN_SESSION_WAITING;
	n.drop_ms = STORE_NO_TIME;             /* waiting with no drop: as active */
	n.authenticated_ms = alive + 5000;     /* logged in after the last alive */
	au.state = VPN_SESSION_AUTHENTICATED;
	au.drop_ms = STORE_NO_TIME;
	au.drop_reason = VPN_END_NONE;
	ck_assert_int_eq(store_put(st, &a), 0);
	ck_assert_int_eq(store_put(st, &w), 0);
	ck_assert_int_eq(store_put(st, &n), 0);
	ck_assert_int_eq(store_put(st, &au), 0);
	ck_assert_int_eq(store_mark_restart(st, alive, now), 0);
	load(st, &l, 0);
	ck_assert_uint_eq(l.n, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(l.r[i].restarts, (i == 3 ? au : a).restarts + 1);
	ck_assert_int_eq(l.r[0].state, VPN_SESSION_WAITING);
	ck_assert_int_eq(l.r[0].drop_reason, VPN_END_SERVER_RESTART);
	ck_assert_int_eq(l.r[0].drop_ms, alive);
	ck_assert_int_eq(l.r[1].state, w.state);        /* waiting: as it was */
	ck_assert_int_eq(l.r[1].drop_ms, w.drop_ms);
	ck_assert_int_eq(l.r[1].drop_reason, w.drop_reason);
	ck_assert_int_eq(l.r[2].drop_ms, n.authenticated_ms);
	ck_assert_int_eq(l.r[2].drop_reason, VPN_END_SERVER_RESTART);
	ck_assert_int_eq(l.r[3].state, VPN_SESSION_AUTHENTICATED);
	ck_assert_int_eq(l.r[3].drop_ms, STORE_NO_TIME);
	/* the same drop times as the machines built from the records before */
	{
		struct store_clock c = { .wall_ms = now, .mono_ms = 10000000 };
		struct vpn_session m;

		(void)store_to_machine(&a, alive, c, &m);
		ck_assert_int_eq(store_mono_to_wall(m.drop_ms, c), alive);
		(void)store_to_machine(&n, alive, c, &m);
		ck_assert_int_eq(store_mono_to_wall(m.drop_ms, c), n.authenticated_ms);
	}
	/* unknown alive time: now */
	ck_assert_int_eq(store_crash_drop(STORE_NO_TIME, now), now);
	ck_assert_int_eq(store_crash_drop(now + 1, now), now);
	store_close(st);
}
END_TEST

static int stop_at_first(void *opaque, const struct store_record *r)
{
	++*(int *)opaque;
	return 42;
}

START_TEST(test_invalid_rows_skipped)
{
	struct store *st = open_ok();
	struct store_record a = sample(1), b = sample(2);
	struct loaded l;
	size_t skipped;
	int calls = 0;

	ck_assert_int_eq(store_put(st, &a), 0);
	ck_assert_int_eq(store_put(st, &b), 0);
	store_close(st);
	/* damage that SQLite itself cannot see: values out of range */
	raw_sql("INSERT INTO sessions SELECT 3, 'ffffffffffffffffffffffffffffffff', cookie_hash,"
		" username, groupname, remote_ip, 3, drop_reason, authenticated_at, drop_at,"
		" resumes, attaches, cookie_timeout_ms, session_timeout_ms, persistent_cookies,"
		" last_remote_ip, ipv4, restarts, bytes_in, bytes_out, packets_in, packets_out, ipv6, attrs"
		" FROM sessions WHERE serial = 1;"
		"UPDATE sessions SET drop_reason = 200 WHERE serial = 2;"
		"INSERT INTO sessions SELECT 4, 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', cookie_hash,"
		" username, groupname, remote_ip, state, drop_reason, authenticated_at, drop_at,"
		" resumes, attaches, cookie_timeout_ms, session_timeout_ms, persistent_cookies,"
		" last_remote_ip, ipv4, restarts, bytes_in, bytes_out, packets_in, packets_out, ipv6, attrs"
		" FROM sessions WHERE serial = 1;"
		"INSERT INTO sessions SELECT 5, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', x'00',"
		" username, groupname, remote_ip, state, drop_reason, authenticated_at, drop_at,"
		" resumes, attaches, cookie_timeout_ms, session_timeout_ms, persistent_cookies,"
		" last_remote_ip, ipv4, restarts, bytes_in, bytes_out, packets_in, packets_out, ipv6, attrs"
		" FROM sessions WHERE serial = 1;"
		"INSERT INTO sessions SELECT 6, 'dddddddddddddddddddddddddddddddd', cookie_hash,"
		" username, groupname, remote_ip, state, drop_reason, authenticated_at, drop_at,"
		" -1, attaches, cookie_timeout_ms, session_timeout_ms, persistent_cookies,"
		" last_remote_ip, ipv4, restarts, bytes_in, bytes_out, packets_in, packets_out, ipv6, attrs"
		" FROM sessions WHERE serial = 1;");
	st = open_ok();
	load(st, &l, 5);
	ck_assert_uint_eq(l.n, 1);
	assert_same(&l.r[0], &a);
	/* a callback can stop the walk */
	ck_assert_int_eq(store_load(st, stop_at_first, &calls, &skipped), 42);
	ck_assert_int_eq(calls, 1);
	store_close(st);
}
END_TEST

/* A version-1 file as the first release wrote it, with one waiting
 * session: the current binary migrates it and loads the session. */
START_TEST(test_migrate_v1)
{
	struct store *st;
	struct loaded l;

	raw_sql("CREATE TABLE sessions ("
		" serial INTEGER PRIMARY KEY, sid TEXT NOT NULL UNIQUE, cookie_hash BLOB NOT NULL,"
		" username TEXT NOT NULL, groupname TEXT NOT NULL, remote_ip TEXT NOT NULL,"
		" state INTEGER NOT NULL, drop_reason INTEGER NOT NULL,"
		" authenticated_at INTEGER NOT NULL, drop_at INTEGER, resumes INTEGER NOT NULL,"
		" attaches INTEGER NOT NULL, cookie_timeout_ms INTEGER NOT NULL,"
		" session_timeout_ms INTEGER NOT NULL, persistent_cookies INTEGER NOT NULL);"
		"INSERT INTO sessions VALUES (17, '0123456789abcdef0123456789abcdef',"
		" x'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',"
		" 'bob', 'users', '192.0.2.5', 2, 1, 1764700000000, 1764700060000, 2, 3,"
		" 60000, 0, 0);"
		"PRAGMA user_version = 1;");
	ck_assert_int_eq(raw_user_version(), 1);
	st = open_ok();
	ck_assert_int_eq(store_version(st), STORE_SCHEMA_VERSION);
	load(st, &l, 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.r[0].serial, 17);
	ck_assert_str_eq(l.r[0].sid, "0123456789abcdef0123456789abcdef");
	ck_assert_uint_eq(l.r[0].cookie_hash[31], 0x1f);
	ck_assert_str_eq(l.r[0].username, "bob");
	ck_assert_str_eq(l.r[0].group, "users");
	ck_assert_int_eq(l.r[0].state, VPN_SESSION_WAITING);
	ck_assert_int_eq(l.r[0].drop_reason, VPN_END_DPD_TIMEOUT);
	ck_assert_int_eq(l.r[0].authenticated_ms, 1764700000000);
	ck_assert_int_eq(l.r[0].drop_ms, 1764700060000);
	ck_assert_uint_eq(l.r[0].resumes, 2);
	ck_assert_uint_eq(l.r[0].cfg.cookie_timeout_ms, 60000);
	/* what version 1 did not have starts empty */
	ck_assert_str_eq(l.r[0].last_remote_ip, "");
	ck_assert_uint_eq(l.r[0].ipv4, 0);
	ck_assert(!store_has_ipv6(&l.r[0]));
	ck_assert_uint_eq(l.r[0].restarts, 0);
	ck_assert_uint_eq(l.r[0].totals.bytes_in, 0);
	/* and the new parts work */
	ck_assert_int_eq(store_set_alive(st, 5), 0);
	l.r[0].ipv4 = 0x0100000au;
	l.r[0].ipv6[0] = 0xfd;
	l.r[0].ipv6[15] = 2;
	ck_assert_int_eq(store_put(st, &l.r[0]), 0);
	store_close(st);
	ck_assert_int_eq(raw_user_version(), STORE_SCHEMA_VERSION);
	st = open_ok();
	load(st, &l, 0);
	ck_assert_uint_eq(l.r[0].ipv4, 0x0100000au);
	ck_assert_uint_eq(l.r[0].ipv6[0], 0xfd);
	ck_assert_uint_eq(l.r[0].ipv6[15], 2);
	store_close(st);
}
END_TEST

START_TEST(test_refuse_newer)
{
	struct store *st = (struct store *)&st;
	char err[512] = "";

	raw_sql("CREATE TABLE future (x); PRAGMA user_version = 5;");
	ck_assert_int_eq(store_open(&st, db_path, err, sizeof(err)), STORE_E_NEWER);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, db_path));
	ck_assert_ptr_nonnull(strstr(err, "newer"));
	ck_assert_ptr_nonnull(strstr(err, "version 5"));
	/* left as it is */
	ck_assert_int_eq(raw_user_version(), 5);
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void assert_corrupt_then_fresh(void)
{
	struct store *st;
	char err[512] = "", moved[PATH_MAX + 64];
	struct loaded l;
	struct stat sb;

	ck_assert_int_eq(store_open(&st, db_path, err, sizeof(err)), STORE_E_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err, db_path));
	ck_assert_int_eq(store_move_aside(db_path, 1764700000, moved, sizeof(moved)), 0);
	ck_assert_ptr_nonnull(strstr(moved, ".corrupt-1764700000"));
	ck_assert_int_eq(stat(moved, &sb), 0);
	ck_assert_int_eq(stat(db_path, &sb), -1);
	st = open_ok();
	load(st, &l, 0);
	ck_assert_uint_eq(l.n, 0);
	store_close(st);
}

START_TEST(test_corrupt_garbage)
{
	static const char junk[] = "this is not an SQLite database, just some bytes on disk\n";
	char big[8192];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31 + 7);
	write_file(db_path, junk, sizeof(junk));
	assert_corrupt_then_fresh();
	write_file(db_path, big, sizeof(big));
	assert_corrupt_then_fresh();
}
END_TEST

START_TEST(test_corrupt_damaged_pages)
{
	struct store *st = open_ok();
	char *buf;
	long len;
	FILE *f;

	/* enough records for several b-tree pages */
	for (uint64_t i = 1; i <= 400; i++) {
		struct store_record r = sample(i);

		ck_assert_int_eq(store_put(st, &r), 0);
	}
	store_close(st); /* the last close checkpoints the WAL into the file */
	f = fopen(db_path, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_gt(len, 4 * 4096);
	buf = malloc(4096);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5a, 4096);
	/* overwrite the second page (the table's root) and the middle one */
	ck_assert_int_eq(fseek(f, 4096, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(buf, 1, 4096, f), 4096);
	ck_assert_int_eq(fseek(f, (len / 4096 / 2) * 4096, SEEK_SET), 0);
	ck_assert_uint_eq(fwrite(buf, 1, 4096, f), 4096);
	ck_assert_int_eq(fclose(f), 0);
	free(buf);
	assert_corrupt_then_fresh();
}
END_TEST

START_TEST(test_prepare_dir)
{
	char path[PATH_MAX + 64], sub[PATH_MAX + 64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/lib/ocserv-modern/sessions.db", dir);
	snprintf(sub, sizeof(sub), "%s/lib/ocserv-modern", dir);
	ck_assert_int_eq(store_prepare_dir(path), 0);
	ck_assert_int_eq(stat(sub, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(store_prepare_dir(path), 0); /* exists: fine */
	ck_assert_int_eq(store_prepare_dir("relative.db"), 0);
}
END_TEST

/* --- deadlines with injected clocks --------------------------------------- */

static const struct store_clock NOW = { .wall_ms = 1764700000000, .mono_ms = 50000000 };

static struct store_record timed(enum vpn_session_state st, int64_t auth_ago, int64_t drop_ago,
				 vpn_ms_t c, vpn_ms_t s)
{
	struct store_record r = sample(1);

	r.state = st;
	r.authenticated_ms = NOW.wall_ms - auth_ago;
	r.drop_ms = drop_ago < 0 ? STORE_NO_TIME : NOW.wall_ms - drop_ago;
	r.cfg.cookie_timeout_ms = c;
	r.cfg.session_timeout_ms = s;
	return r;
}

START_TEST(test_deadline_waiting)
{
	struct store_record r = timed(VPN_SESSION_WAITING, 100000, 10000, 60000, 0);
	struct vpn_session m;
	int64_t dl = store_to_machine(&r, STORE_NO_TIME, NOW, &m);

	ck_assert_int_eq(m.state, VPN_SESSION_WAITING);
	ck_assert_uint_eq(m.created_ms, NOW.mono_ms - 100000);
	ck_assert_uint_eq(m.drop_ms, NOW.mono_ms - 10000);
	ck_assert_int_eq(m.drop_reason, VPN_END_DPD_TIMEOUT);
	ck_assert_uint_eq(m.resumes, 3);
	/* drop + cookie-timeout, 50 s from now on both clocks */
	ck_assert_uint_eq(vpn_session_expiry(&m), NOW.mono_ms + 50000);
	ck_assert_int_eq(dl, NOW.wall_ms + 50000);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms + 49999), 0);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms + 50000), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_COOKIE_EXPIRED);

	/* the session-timeout comes first: authenticated + S */
	r = timed(VPN_SESSION_WAITING, 100000, 5000, 60000, 120000);
	dl = store_to_machine(&r, STORE_NO_TIME, NOW, &m);
	ck_assert_uint_eq(vpn_session_expiry(&m), NOW.mono_ms + 20000);
	ck_assert_int_eq(dl, NOW.wall_ms + 20000);
	ck_assert_uint_eq(vpn_session_deadline(&m), NOW.mono_ms + 20000);
}
END_TEST

START_TEST(test_deadline_passed_while_down)
{
	struct store_record r = timed(VPN_SESSION_WAITING, 100000, 70000, 60000, 0);
	struct vpn_session m;

	ck_assert_int_le(store_to_machine(&r, STORE_NO_TIME, NOW, &m), NOW.wall_ms);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_COOKIE_EXPIRED);

	r = timed(VPN_SESSION_WAITING, 130000, 5000, 60000, 120000);
	ck_assert_int_le(store_to_machine(&r, STORE_NO_TIME, NOW, &m), NOW.wall_ms);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_SESSION_TIMEOUT);

	/* never connected: authenticated + cookie-timeout */
	r = timed(VPN_SESSION_AUTHENTICATED, 61000, -1, 60000, 0);
	ck_assert_int_le(store_to_machine(&r, STORE_NO_TIME, NOW, &m), NOW.wall_ms);
	ck_assert_int_eq(m.state, VPN_SESSION_AUTHENTICATED);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_COOKIE_EXPIRED);

	/* both passed: session-timeout wins, as in the engine */
	r = timed(VPN_SESSION_WAITING, 500000, 400000, 60000, 120000);
	(void)store_to_machine(&r, STORE_NO_TIME, NOW, &m);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_SESSION_TIMEOUT);
}
END_TEST

START_TEST(test_deadline_active_at_crash)
{
	struct store_record r = timed(VPN_SESSION_ACTIVE, 100000, -1, 60000, 0);
	struct vpn_session m;
	int64_t dl;

	/* the writer was last alive 8 s ago: the tunnel dropped then */
	dl = store_to_machine(&r, NOW.wall_ms - 8000, NOW, &m);
	ck_assert_int_eq(m.state, VPN_SESSION_WAITING);
	ck_assert_int_eq(m.drop_reason, VPN_END_SERVER_RESTART);
	ck_assert_uint_eq(m.drop_ms, NOW.mono_ms - 8000);
	ck_assert_int_eq(dl, NOW.wall_ms + 52000);
	/* unknown (or nonsense) alive time: dropped now */
	(void)store_to_machine(&r, STORE_NO_TIME, NOW, &m);
	ck_assert_uint_eq(m.drop_ms, NOW.mono_ms);
	(void)store_to_machine(&r, NOW.wall_ms + 999999, NOW, &m);
	ck_assert_uint_eq(m.drop_ms, NOW.mono_ms);
	/* down longer than cookie-timeout since then */
	(void)store_to_machine(&r, NOW.wall_ms - 60000, NOW, &m);
	ck_assert_uint_eq(vpn_session_handle_expiry(&m, NOW.mono_ms), VPN_SESSION_ACT_END);
	ck_assert_int_eq(m.end_reason, VPN_END_COOKIE_EXPIRED);
}
END_TEST

START_TEST(test_deadline_after_reboot)
{
	/* the monotonic clock restarted 20 s ago; the login was an hour ago */
	struct store_clock boot = { .wall_ms = NOW.wall_ms, .mono_ms = 20000 };
	struct store_record r = timed(VPN_SESSION_WAITING, 3600000, 30000, 300000, 7200000);
	struct vpn_session m;
	int64_t dl = store_to_machine(&r, STORE_NO_TIME, boot, &m);

	ck_assert_uint_eq(m.created_ms, 0);
	ck_assert_uint_eq(m.drop_ms, 0);
	/* the session deadline does not move: 1 h from now */
	ck_assert_uint_eq(vpn_session_deadline(&m), boot.mono_ms + 3600000);
	/* the resume deadline counts from the boot at the latest */
	ck_assert_uint_eq(vpn_session_resume_deadline(&m), 300000);
	ck_assert_int_eq(dl, NOW.wall_ms + 270000);
	/* mono -> wall and back */
	ck_assert_int_eq(store_mono_to_wall(boot.mono_ms - 5000, boot), NOW.wall_ms - 5000);
	ck_assert_int_eq(store_mono_to_wall(boot.mono_ms + 5000, boot), NOW.wall_ms + 5000);
	ck_assert_int_eq(store_mono_to_wall(VPN_NEVER, boot), STORE_NO_TIME);
	/* a wall clock set back: the drop counts as now */
	r = timed(VPN_SESSION_WAITING, 10000, 0, 60000, 0);
	r.drop_ms = NOW.wall_ms + 60000;
	(void)store_to_machine(&r, STORE_NO_TIME, NOW, &m);
	ck_assert_uint_eq(m.drop_ms, NOW.mono_ms);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_alive);
	tcase_add_test(tc, test_mark_restart);
	tcase_add_test(tc, test_invalid_rows_skipped);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_refuse_newer);
	tcase_add_test(tc, test_corrupt_garbage);
	tcase_add_test(tc, test_corrupt_damaged_pages);
	tcase_add_test(tc, test_prepare_dir);
	tcase_add_test(tc, test_deadline_waiting);
	tcase_add_test(tc, test_deadline_passed_while_down);
	tcase_add_test(tc, test_deadline_active_at_crash);
	tcase_add_test(tc, test_deadline_after_reboot);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
