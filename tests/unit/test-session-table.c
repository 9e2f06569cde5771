/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/session-table.h"
#include "test-main.h"

/* C = 300 s, S = 3600 s, in ms */
#define C 300000u
#define S 3600000u

static const struct vpn_session_cfg cfg = {
	.cookie_timeout_ms = C, .session_timeout_ms = S, .persistent_cookies = false,
};

/* The on_end hook records what it saw. */
static struct {
	int calls;
	struct secmod_session *last;
	enum vpn_end_reason reason;
} ended;

static void on_end(void *opaque, struct secmod_session *s)
{
	ck_assert_ptr_eq(opaque, &ended);
	ck_assert_int_eq(s->m.state, VPN_SESSION_ENDED);
	ended.calls++;
	ended.last = s;
	ended.reason = s->m.end_reason;
}

static struct secmod_session_table *t;

static void setup(void)
{
	memset(&ended, 0, sizeof(ended));
	t = session_table_new(&cfg, on_end, &ended);
	ck_assert_ptr_nonnull(t);
}

static void teardown(void)
{
	session_table_free(t);
	t = NULL;
}

START_TEST(test_create_and_find)
{
	struct secmod_session *a = session_table_create(t, "alice", "staff", "192.0.2.1", 1000);
	struct secmod_session *b = session_table_create(t, "bob", NULL, "192.0.2.2", 1000);
	char wrong[COOKIE_LEN + 1];

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(cookie_is_wellformed(a->cookie));
	ck_assert_str_ne(a->cookie, b->cookie);
	ck_assert_str_ne(a->sid, b->sid);
	ck_assert_uint_ne(a->serial, 0);
	ck_assert_uint_ne(a->serial, b->serial);
	ck_assert_str_eq(a->group, "staff");
	ck_assert_str_eq(b->group, "");
	ck_assert_int_eq(a->m.state, VPN_SESSION_AUTHENTICATED);
	ck_assert_uint_eq(session_table_count(t), 2);

	ck_assert_ptr_eq(session_table_find_cookie(t, a->cookie), a);
	ck_assert_ptr_eq(session_table_find_cookie(t, b->cookie), b);
	/* unknown, malformed, NULL */
	memcpy(wrong, a->cookie, sizeof(wrong));
	wrong[5] = wrong[5] == 'x' ? 'y' : 'x';
	ck_assert_ptr_null(session_table_find_cookie(t, wrong));
	ck_assert_ptr_null(session_table_find_cookie(t, "short"));
	ck_assert_ptr_null(session_table_find_cookie(t, NULL));

	ck_assert_ptr_eq(session_table_find_sid(t, a->sid), a);
	{
		char prefix[SESSION_ID_SHORT_LEN + 1];

		memcpy(prefix, b->sid, SESSION_ID_SHORT_LEN);
		prefix[SESSION_ID_SHORT_LEN] = 0;
		ck_assert_ptr_eq(session_table_find_sid(t, prefix), b);
		prefix[SESSION_ID_SHORT_LEN - 1] = 0; /* too short */
		ck_assert_ptr_null(session_table_find_sid(t, prefix));
	}
	ck_assert_ptr_eq(session_table_find_serial(t, b->serial), b);
	ck_assert_ptr_null(session_table_find_serial(t, 0));
	ck_assert_ptr_eq(session_table_first(t), a);
	ck_assert_ptr_eq(a->next, b);
}
END_TEST

/* Enough records to grow the indexes several times; then half of them
 * forgotten: every remaining one is found by cookie, id, short id (unless
 * two share it) and serial, and no forgotten one is. */
#define MANY 5000
START_TEST(test_many_indexed)
{
	static struct secmod_session *r[MANY];
	static char cookie[MANY][COOKIE_LEN + 1];
	static uint64_t serial[MANY];
	char prefix[SESSION_ID_SHORT_LEN + 1];

	for (size_t i = 0; i < MANY; i++) {
		r[i] = session_table_create(t, "u", NULL, "192.0.2.9", 1000 + i);
		ck_assert_ptr_nonnull(r[i]);
		memcpy(cookie[i], r[i]->cookie, sizeof(cookie[i]));
		serial[i] = r[i]->serial;
	}
	ck_assert_uint_eq(session_table_count(t), MANY);
	for (size_t i = 0; i < MANY; i += 2)
		session_table_forget(t, r[i]);
	ck_assert_uint_eq(session_table_count(t), MANY / 2);
	for (size_t i = 0; i < MANY; i++) {
		bool kept = i % 2 == 1;

		ck_assert_ptr_eq(session_table_find_cookie(t, cookie[i]), kept ? r[i] : NULL);
		ck_assert_ptr_eq(session_table_find_serial(t, serial[i]), kept ? r[i] : NULL);
		if (!kept)
			continue;
		ck_assert_ptr_eq(session_table_find_sid(t, r[i]->sid), r[i]);
		memcpy(prefix, r[i]->sid, SESSION_ID_SHORT_LEN);
		prefix[SESSION_ID_SHORT_LEN] = '\0';
		{
			struct secmod_session *f = session_table_find_sid(t, prefix);
			size_t same = 0;

			for (struct secmod_session *s = session_table_first(t); s != NULL; s = s->next)
				same += strncmp(s->sid, prefix, SESSION_ID_SHORT_LEN) == 0;
			/* unique short id: found; shared: ambiguous, none */
			ck_assert_ptr_eq(f, same == 1 ? r[i] : NULL);
		}
	}
	/* the list order (oldest first) is kept */
	ck_assert_ptr_eq(session_table_first(t), r[1]);
	ck_assert_ptr_eq(r[1]->next, r[3]);
}
END_TEST

START_TEST(test_cookie_expires_unused)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);

	ck_assert_uint_eq(session_table_expiry(t), C);
	ck_assert_uint_eq(session_table_handle_expiry(t, C - 1), 0);
	ck_assert_int_eq(ended.calls, 0);
	ck_assert_uint_eq(session_table_handle_expiry(t, C), 1);
	ck_assert_int_eq(ended.calls, 1);
	ck_assert_ptr_eq(ended.last, a);
	ck_assert_int_eq(ended.reason, VPN_END_COOKIE_EXPIRED);
	/* the ended record answers 401 until it is reaped */
	ck_assert_ptr_eq(session_table_find_cookie(t, a->cookie), a);
	ck_assert_uint_eq(session_table_expiry(t), C + SESSIONS_ENDED_KEEP_MS);
	ck_assert_uint_eq(session_table_handle_expiry(t, C + SESSIONS_ENDED_KEEP_MS - 1), 0);
	ck_assert_uint_eq(session_table_count(t), 1);
	ck_assert_uint_eq(session_table_handle_expiry(t, C + SESSIONS_ENDED_KEEP_MS), 0);
	ck_assert_uint_eq(session_table_count(t), 0);
	ck_assert_uint_eq(session_table_expiry(t), VPN_NEVER);
	ck_assert_int_eq(ended.calls, 1);
}
END_TEST

START_TEST(test_connect_drop_resume)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);
	char cookie[COOKIE_LEN + 1];

	memcpy(cookie, a->cookie, sizeof(cookie));
	ck_assert_int_eq(session_table_connect(t, a, 1000), VPN_CONNECT_FIRST);
	ck_assert_int_eq(a->m.state, VPN_SESSION_ACTIVE);
	ck_assert_uint_eq(session_table_expiry(t), S); /* only the session deadline */
	/* DPD death: resumable */
	ck_assert_int_eq(session_table_tunnel_end(t, a, VPN_END_DPD_TIMEOUT, 10000), VPN_SESSION_WAITING);
	ck_assert_int_eq(ended.calls, 0);
	ck_assert_uint_eq(session_table_expiry(t), 10000 + C);
	ck_assert_ptr_eq(session_table_find_cookie(t, cookie), a);
	ck_assert_int_eq(session_table_connect(t, a, 10000 + C - 1), VPN_CONNECT_RESUME);
	/* a second CONNECT while active is a takeover */
	ck_assert_int_eq(session_table_connect(t, a, 20000), VPN_CONNECT_TAKEOVER);
	ck_assert_int_eq(session_table_tunnel_end(t, a, VPN_END_TAKEOVER, 20001), VPN_SESSION_ACTIVE);
	/* logout ends it */
	ck_assert_int_eq(session_table_tunnel_end(t, a, VPN_END_USER_DISCONNECT, 30000), VPN_SESSION_ENDED);
	ck_assert_int_eq(ended.calls, 1);
	ck_assert_int_eq(ended.reason, VPN_END_USER_DISCONNECT);
	ck_assert_int_eq(session_table_connect(t, a, 30001), VPN_CONNECT_REFUSED);
	ck_assert_int_eq(ended.calls, 1); /* no second hook */
}
END_TEST

START_TEST(test_connect_at_deadline_ends)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);

	ck_assert_int_eq(session_table_connect(t, a, 0), VPN_CONNECT_FIRST);
	ck_assert_int_eq(session_table_tunnel_end(t, a, VPN_END_TUNNEL_LOST, 5000), VPN_SESSION_WAITING);
	/* a CONNECT exactly at drop + C: expired, refused, and the hook ran */
	ck_assert_int_eq(session_table_connect(t, a, 5000 + C), VPN_CONNECT_REFUSED);
	ck_assert_int_eq(ended.calls, 1);
	ck_assert_int_eq(ended.reason, VPN_END_COOKIE_EXPIRED);
}
END_TEST

START_TEST(test_session_timeout_while_active)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);

	ck_assert_int_eq(session_table_connect(t, a, 10), VPN_CONNECT_FIRST);
	session_table_set_worker(t, a, 4242);
	ck_assert_uint_eq(session_table_handle_expiry(t, S), 1);
	ck_assert_int_eq(ended.reason, VPN_END_SESSION_TIMEOUT);
	/* with a worker still attached the record is never reaped */
	ck_assert_uint_eq(session_table_expiry(t), VPN_NEVER);
	session_table_handle_expiry(t, S + 10 * SESSIONS_ENDED_KEEP_MS);
	ck_assert_uint_eq(session_table_count(t), 1);
	session_table_set_worker(t, a, 0);
	ck_assert_uint_eq(session_table_expiry(t), S + SESSIONS_ENDED_KEEP_MS);
	session_table_handle_expiry(t, S + SESSIONS_ENDED_KEEP_MS);
	ck_assert_uint_eq(session_table_count(t), 0);
}
END_TEST

START_TEST(test_terminate)
{
	struct secmod_session *a = session_table_create(t, "a", NULL, "", 0);
	struct secmod_session *b = session_table_create(t, "b", NULL, "", 0);
	struct secmod_session *c = session_table_create(t, "c", NULL, "", 0);

	ck_assert_int_eq(session_table_connect(t, a, 1), VPN_CONNECT_FIRST);
	ck_assert_int_eq(session_table_terminate(t, a, VPN_END_SERVER_SHUTDOWN, 2), VPN_SESSION_ACTIVE);
	ck_assert_int_eq(ended.reason, VPN_END_SERVER_SHUTDOWN);
	ck_assert_int_eq(session_table_terminate(t, b, VPN_END_ADMIN_TERMINATE, 2),
			 VPN_SESSION_AUTHENTICATED);
	ck_assert_int_eq(ended.reason, VPN_END_ADMIN_TERMINATE);
	ck_assert_int_eq(session_table_terminate(t, c, VPN_END_SUPERSEDED, 2), VPN_SESSION_AUTHENTICATED);
	ck_assert_int_eq(ended.reason, VPN_END_SUPERSEDED);
	ck_assert_int_eq(ended.calls, 3);
	/* again: already ended, no hook */
	ck_assert_int_eq(session_table_terminate(t, c, VPN_END_ADMIN_TERMINATE, 3), VPN_SESSION_ENDED);
	ck_assert_int_eq(ended.calls, 3);
	ck_assert_uint_eq(session_table_count_state(t, VPN_SESSION_ENDED), 3);
}
END_TEST

START_TEST(test_reload_applies_to_new)
{
	struct vpn_session_cfg c2 = cfg;
	struct secmod_session *a, *b;

	a = session_table_create(t, "a", NULL, "", 0);
	c2.cookie_timeout_ms = 1000;
	c2.session_timeout_ms = 0;
	session_table_set_cfg(t, &c2);
	b = session_table_create(t, "b", NULL, "", 0);
	ck_assert_uint_eq(vpn_session_expiry(&a->m), C);
	ck_assert_uint_eq(vpn_session_expiry(&b->m), 1000);
	ck_assert_uint_eq(session_table_expiry(t), 1000);
}
END_TEST

START_TEST(test_no_hook)
{
	struct secmod_session_table *t2 = session_table_new(&cfg, NULL, NULL);
	struct secmod_session *a = session_table_create(t2, "a", NULL, "", 0);

	ck_assert_uint_eq(session_table_handle_expiry(t2, C), 1);
	ck_assert_int_eq(a->m.state, VPN_SESSION_ENDED);
	session_table_free(t2);
}
END_TEST


static int freed_calls;
static uint64_t freed_serial;

static void on_free(void *opaque, const struct secmod_session *s)
{
	ck_assert_ptr_eq(opaque, &ended);
	freed_calls++;
	freed_serial = s->serial;
}

START_TEST(test_free_hook)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);
	uint64_t serial = a->serial;

	freed_calls = 0;
	session_table_set_free_hook(t, on_free);
	session_table_handle_expiry(t, C);
	ck_assert_int_eq(freed_calls, 0);
	session_table_handle_expiry(t, C + SESSIONS_ENDED_KEEP_MS);
	ck_assert_int_eq(freed_calls, 1);
	ck_assert_uint_eq(freed_serial, serial);
	ck_assert_uint_eq(session_table_count(t), 0);
}
END_TEST

START_TEST(test_counters_continue)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);
	struct session_table_counters c = { .bytes_in = 10, .bytes_out = 20, .packets_in = 1,
				       .packets_out = 2 };
	struct session_table_counters tot;

	session_table_connect(t, a, 1);
	session_table_tunnel_counters(a, &c);
	tot = session_table_totals(a);
	ck_assert_uint_eq(tot.bytes_in, 10);
	/* the tunnel ends with a bit more: final replaces the periodic value */
	c.bytes_in = 15;
	session_table_tunnel_counters_final(a, &c, true);
	session_table_tunnel_end(t, a, VPN_END_TUNNEL_LOST, 2);
	ck_assert_uint_eq(session_table_totals(a).bytes_in, 15);
	/* resumed: the new tunnel adds on top */
	session_table_connect(t, a, 3);
	c.bytes_in = 5;
	session_table_tunnel_counters(a, &c);
	tot = session_table_totals(a);
	ck_assert_uint_eq(tot.bytes_in, 20);
	ck_assert_uint_eq(tot.bytes_out, 40);
	ck_assert_uint_eq(tot.packets_out, 4);
	/* a takeover: the current counters restart (they are the new
	 * tunnel's), the old tunnel's final ones only add */
	session_table_connect(t, a, 4);
	ck_assert_uint_eq(session_table_totals(a).bytes_in, 15);
	c.bytes_in = 7;
	session_table_tunnel_counters(a, &c);
	c.bytes_in = 6;
	session_table_tunnel_counters_final(a, &c, false);
	ck_assert_uint_eq(session_table_totals(a).bytes_in, 15 + 7 + 6);
}
END_TEST

START_TEST(test_mirror)
{
	struct secmod_session_table *m = session_table_new(&cfg, on_end, &ended);
	struct secmod_session *a = session_table_create(t, "alice", "staff", "192.0.2.1", 100);
	struct secmod_session *copy, *again;
	struct secmod_session snap;

	ck_assert_ptr_nonnull(m);
	session_table_connect(t, a, 200);
	a->worker_pid = 77;
	snprintf(a->last_remote_ip, sizeof(a->last_remote_ip), "198.51.100.1");
	copy = session_table_mirror_update(m, a);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_ne(copy, a);
	ck_assert_uint_eq(copy->serial, a->serial);
	ck_assert_str_eq(copy->sid, a->sid);
	ck_assert_str_eq(copy->username, "alice");
	ck_assert_str_eq(copy->group, "staff");
	ck_assert_str_eq(copy->remote_ip, "192.0.2.1");
	ck_assert_str_eq(copy->last_remote_ip, "198.51.100.1");
	ck_assert_int_eq(copy->m.state, VPN_SESSION_ACTIVE);
	ck_assert_int_eq(copy->worker_pid, 77);
	/* never the cookie: the mirror cannot answer a CONNECT */
	ck_assert_str_eq(copy->cookie, "");
	ck_assert_ptr_null(session_table_find_cookie(m, a->cookie));
	ck_assert_ptr_eq(session_table_find_sid(m, a->sid), copy);
	ck_assert_ptr_eq(session_table_find_serial(m, a->serial), copy);

	/* an update changes the same record; no hook runs in the mirror */
	session_table_tunnel_end(t, a, VPN_END_USER_DISCONNECT, 300);
	ended.calls = 0;
	again = session_table_mirror_update(m, a);
	ck_assert_ptr_eq(again, copy);
	ck_assert_int_eq(copy->m.state, VPN_SESSION_ENDED);
	ck_assert_int_eq(ended.calls, 0);
	ck_assert_uint_eq(session_table_count(m), 1);

	/* same serial, other session id: refused */
	snap = *a;
	snap.sid[0] = snap.sid[0] == 'a' ? 'b' : 'a';
	errno = 0;
	ck_assert_ptr_null(session_table_mirror_update(m, &snap));
	ck_assert_int_eq(errno, EINVAL);
	snap = *a;
	snap.serial = 0;
	ck_assert_ptr_null(session_table_mirror_update(m, &snap));

	session_table_forget(m, copy);
	ck_assert_uint_eq(session_table_count(m), 0);
	ck_assert_ptr_null(session_table_find_serial(m, a->serial));
	session_table_free(m);
}
END_TEST

/* A record from the session store has no cookie, only its hash: the
 * cookie still finds it, a wrong one does not, and new serials go above. */
START_TEST(test_restore_found_by_hash)
{
	struct secmod_session *a = session_table_create(t, "alice", "staff", "192.0.2.1", 1000);
	struct secmod_session snap = { 0 }, *r, *n;
	char cookie[COOKIE_LEN + 1], wrong[COOKIE_LEN + 1];

	ck_assert_ptr_nonnull(a);
	memcpy(cookie, a->cookie, sizeof(cookie));
	snap = *a;
	snap.username = "alice"; /* a's own strings go with it */
	snap.group = "staff";
	snap.serial = 40;
	snap.restarts = 1;
	snap.ipv4 = 0x0a00000au;
	snap.done.bytes_in = 9;
	session_table_forget(t, a); /* as a new process: only the stored copy is left */
	r = session_table_restore(t, &snap);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->cookie, "");
	ck_assert_str_eq(r->username, "alice");
	ck_assert_uint_eq(r->restarts, 1);
	ck_assert_uint_eq(r->ipv4, 0x0a00000au);
	ck_assert_uint_eq(session_table_totals(r).bytes_in, 9);
	ck_assert_ptr_eq(session_table_find_cookie(t, cookie), r);
	memcpy(wrong, cookie, sizeof(wrong));
	wrong[7] = wrong[7] == 'x' ? 'y' : 'x';
	ck_assert_ptr_null(session_table_find_cookie(t, wrong));
	n = session_table_create(t, "bob", NULL, "192.0.2.2", 2000);
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_gt(n->serial, 40);
	snap.serial = 0;
	ck_assert_ptr_null(session_table_restore(t, &snap));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* A per-user file's or RADIUS's timeouts, set after the login, move the
 * deadline both ways. */
START_TEST(test_set_timeouts)
{
	struct secmod_session *a = session_table_create(t, "alice", NULL, "", 0);
	struct secmod_session *b = session_table_create(t, "bob", NULL, "", 0);

	ck_assert_uint_eq(session_table_expiry(t), C);
	session_table_set_timeouts(t, a, 1000, S);
	ck_assert_uint_eq(session_table_expiry(t), 1000);
	session_table_set_timeouts(t, b, 2 * C, S);
	ck_assert_uint_eq(session_table_handle_expiry(t, 1000), 1);
	ck_assert_ptr_eq(ended.last, a);
	ck_assert_uint_eq(session_table_expiry(t), 1000 + SESSIONS_ENDED_KEEP_MS);
	ck_assert_uint_eq(session_table_handle_expiry(t, 2 * C - 1), 0);
	ck_assert_uint_eq(session_table_handle_expiry(t, 2 * C), 1);
	ck_assert_ptr_eq(ended.last, b);
	ck_assert_int_eq(session_table_check(t), 0);
}
END_TEST

/* The earliest time of every record, the slow way: what the heap's top
 * must equal. */
static vpn_ms_t expiry_by_walk(void)
{
	vpn_ms_t e = VPN_NEVER;

	for (const struct secmod_session *s = session_table_first(t); s != NULL; s = s->next) {
		vpn_ms_t x = s->m.state != VPN_SESSION_ENDED ? vpn_session_expiry(&s->m)
			: s->worker_pid ? VPN_NEVER : s->m.ended_ms + SESSIONS_ENDED_KEEP_MS;

		e = vpn_ms_min(e, x);
	}
	return e;
}

static uint32_t rng_state = 2463534242u;

static uint32_t rng(uint32_t n)
{
	rng_state ^= rng_state << 13;	/* xorshift32: the same run every time */
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state % n;
}

/* Random logins, CONNECTs, drops, terminations, workers, timeouts and
 * forgets on up to 600 records, time moving on by random steps: after
 * every step the heap is in order with every record's current time, its
 * top is the walk's minimum, and an expiry pass leaves nothing due and
 * ends exactly the sessions that were due. */
START_TEST(test_deadline_heap_random)
{
	static struct secmod_session *r[600];
	size_t n = 0;
	vpn_ms_t now = 1000;

	for (int step = 0; step < 20000; step++) {
		struct secmod_session *s = n > 0 ? r[rng((uint32_t)n)] : NULL;
		uint32_t op = rng(10);

		if (s == NULL || (op == 0 && n < 600)) {
			r[n] = session_table_create(t, "u", NULL, "192.0.2.1", now);
			ck_assert_ptr_nonnull(r[n]);
			n++;
		} else if (op == 1 || op == 2) {
			if (session_table_connect(t, s, now) != VPN_CONNECT_REFUSED)
				session_table_set_worker(t, s, 100 + (pid_t)rng(1000));
		} else if (op == 3 && s->m.state == VPN_SESSION_ACTIVE) {
			session_table_set_worker(t, s, 0);
			session_table_tunnel_end(t, s, VPN_END_TUNNEL_LOST, now);
		} else if (op == 4) {
			session_table_terminate(t, s, VPN_END_ADMIN_TERMINATE, now);
		} else if (op == 5) {
			session_table_set_worker(t, s, rng(2) ? 0 : 4242);
		} else if (op == 6 && s->m.state != VPN_SESSION_ENDED) {
			session_table_set_timeouts(t, s, 1 + rng(2 * C), rng(3) ? rng(2 * S) : 0);
		} else if (op == 7) {
			size_t i = 0;

			while (r[i] != s)
				i++;
			session_table_forget(t, s);
			r[i] = r[--n];
		} else {
			size_t due = 0, gone = 0, before = session_table_count(t);
			size_t ends;

			now += rng(op == 8 ? 1000 : 200000);
			for (const struct secmod_session *x = session_table_first(t); x != NULL; x = x->next) {
				if (x->m.state != VPN_SESSION_ENDED)
					due += vpn_ms_reached(vpn_session_expiry(&x->m), now);
				else if (x->worker_pid == 0)
					gone += vpn_ms_reached(x->m.ended_ms + SESSIONS_ENDED_KEEP_MS, now);
			}
			ends = session_table_handle_expiry(t, now);
			ck_assert_uint_eq(ends, due);
			ck_assert_uint_eq(session_table_count(t), before - gone);
			ck_assert(!vpn_ms_reached(session_table_expiry(t), now));
			/* the freed ones leave r */
			for (size_t i = 0; i < n;) {
				bool found = false;

				for (const struct secmod_session *x = session_table_first(t); x != NULL && !found;
				     x = x->next)
					found = x == r[i];
				if (found)
					i++;
				else
					r[i] = r[--n];
			}
		}
		ck_assert_int_eq(session_table_check(t), 0);
		ck_assert_uint_eq(session_table_expiry(t), expiry_by_walk());
	}
}
END_TEST

static Suite *sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("sessions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_and_find);
	tcase_add_test(tc, test_cookie_expires_unused);
	tcase_add_test(tc, test_connect_drop_resume);
	tcase_add_test(tc, test_connect_at_deadline_ends);
	tcase_add_test(tc, test_session_timeout_while_active);
	tcase_add_test(tc, test_terminate);
	tcase_add_test(tc, test_reload_applies_to_new);
	tcase_add_test(tc, test_no_hook);
	tcase_add_test(tc, test_free_hook);
	tcase_add_test(tc, test_counters_continue);
	tcase_add_test(tc, test_mirror);
	tcase_add_test(tc, test_restore_found_by_hash);
	tcase_add_test(tc, test_many_indexed);
	tcase_add_test(tc, test_set_timeouts);
	tcase_add_test(tc, test_deadline_heap_random);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(sessions_suite)
