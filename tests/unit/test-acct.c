/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Accounting records and their queue (src/sec-mod/acct.h): order, retries
 * with backoff for ever, what is dropped when full. Time is injected. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/acct.h"
#include "sec-mod/radius-map.h"
#include "test-main.h"

static struct acct_record rec(enum acct_kind k, const char *sid)
{
	struct acct_record r;

	memset(&r, 0, sizeof(r));
	r.kind = k;
	snprintf(r.sid, sizeof(r.sid), "%s", sid);
	return r;
}

START_TEST(test_order_and_in_flight)
{
	struct acct_queue *q = acct_queue_new(8);
	struct acct_record d, a = rec(ACCT_START, "a"), b = rec(ACCT_STOP, "a");
	const struct acct_record *h;

	ck_assert_ptr_null(acct_queue_next(q, 0));
	ck_assert_uint_eq(acct_queue_expiry(q), VPN_NEVER);
	ck_assert_int_eq(acct_queue_push(q, &a, &d), 0);
	ck_assert_int_eq(acct_queue_push(q, &b, &d), 0);
	ck_assert_uint_eq(acct_queue_expiry(q), 0);
	h = acct_queue_next(q, 5);
	ck_assert_int_eq(h->kind, ACCT_START);
	/* one in flight at a time */
	ck_assert_ptr_null(acct_queue_next(q, 5));
	ck_assert_uint_eq(acct_queue_expiry(q), VPN_NEVER);
	ck_assert_uint_eq(acct_queue_done(q, true, 6), 0);
	h = acct_queue_next(q, 6);
	ck_assert_int_eq(h->kind, ACCT_STOP);
	acct_queue_done(q, true, 7);
	ck_assert_uint_eq(acct_queue_len(q), 0);
	acct_queue_free(q);
}
END_TEST

START_TEST(test_retry_backoff_for_ever)
{
	struct acct_queue *q = acct_queue_new(8);
	struct acct_record d, s = rec(ACCT_STOP, "s");
	vpn_ms_t now = 1000, want = ACCT_RETRY_MIN_MS;

	acct_queue_push(q, &s, &d);
	for (int i = 0; i < 20; i++) {
		ck_assert_ptr_nonnull(acct_queue_next(q, now));
		ck_assert_uint_eq(acct_queue_done(q, false, now), want);
		ck_assert_uint_eq(acct_queue_head_attempts(q), (unsigned)i + 1);
		/* not before the backoff */
		ck_assert_ptr_null(acct_queue_next(q, now + want - 1));
		ck_assert_uint_eq(acct_queue_expiry(q), now + want);
		now += want;
		want = want * 2 > ACCT_RETRY_MAX_MS ? ACCT_RETRY_MAX_MS : want * 2;
	}
	/* the Stop is still there, and goes once the server answers */
	ck_assert_uint_eq(acct_queue_len(q), 1);
	ck_assert_int_eq(acct_queue_next(q, now)->kind, ACCT_STOP);
	acct_queue_done(q, true, now);
	ck_assert_uint_eq(acct_queue_len(q), 0);
	ck_assert_uint_eq(acct_queue_head_attempts(q), 0);
	acct_queue_free(q);
}
END_TEST

START_TEST(test_full_drops_interim_first)
{
	struct acct_queue *q = acct_queue_new(3);
	struct acct_record d, st = rec(ACCT_START, "a"), in = rec(ACCT_INTERIM, "a"),
			      sp = rec(ACCT_STOP, "a"), st2 = rec(ACCT_START, "b");

	acct_queue_push(q, &st, &d);
	acct_queue_push(q, &in, &d);
	acct_queue_push(q, &sp, &d);
	ck_assert_ptr_nonnull(acct_queue_next(q, 0)); /* the Start in flight */
	/* full: the Interim-Update goes, not the Start in flight or the Stop */
	ck_assert_int_eq(acct_queue_push(q, &st2, &d), ACCT_INTERIM);
	ck_assert_str_eq(d.sid, "a");
	ck_assert_uint_eq(acct_queue_len(q), 3);
	/* full again, no Interim-Update: the oldest after the one in flight */
	ck_assert_int_eq(acct_queue_push(q, &in, &d), ACCT_STOP);
	acct_queue_done(q, true, 1);
	ck_assert_int_eq(acct_queue_next(q, 1)->kind, ACCT_START);
	ck_assert_str_eq(acct_queue_next(q, 1) == NULL ? "b" : "x", "b");
	acct_queue_free(q);
}
END_TEST

START_TEST(test_full_head_not_in_flight)
{
	struct acct_queue *q = acct_queue_new(1);
	struct acct_record d, a = rec(ACCT_STOP, "a"), b = rec(ACCT_STOP, "b");

	acct_queue_push(q, &a, &d);
	ck_assert_ptr_nonnull(acct_queue_next(q, 0));
	acct_queue_done(q, false, 0);                  /* waits for its retry */
	ck_assert_int_eq(acct_queue_push(q, &b, &d), ACCT_STOP);
	ck_assert_str_eq(d.sid, "a");
	/* the new head is tried at once */
	ck_assert_str_eq(acct_queue_next(q, 0)->sid, "b");
	/* in flight and the queue holds one: the new record is the one dropped */
	ck_assert_int_eq(acct_queue_push(q, &a, &d), ACCT_STOP);
	ck_assert_str_eq(d.sid, "a");
	acct_queue_free(q);
}
END_TEST

START_TEST(test_record_of_session)
{
	struct secmod_session s;
	struct session_attrs at;
	struct acct_record r;

	memset(&s, 0, sizeof(s));
	memset(&at, 0, sizeof(at));
	s.username = "alice";
	memcpy(s.sid, "0123456789abcdef0123456789abcdef", SESSION_ID_LEN + 1);
	snprintf(s.remote_ip, sizeof(s.remote_ip), "10.77.0.2");
	s.ipv4 = 0x4d4da8c0u;
	s.m.created_ms = 10000;
	s.m.state = VPN_SESSION_WAITING;
	s.done.bytes_in = 5000000000ull;
	s.cur.bytes_in = 1;
	at.n_class = 1;
	at.cls[0].len = 3;
	memcpy(at.cls[0].v, "abc", 3);
	s.attrs = &at;
	acct_record_of(&s, ACCT_STOP, 2, 31999, &r);
	ck_assert_int_eq(r.kind, ACCT_STOP);
	ck_assert_str_eq(r.sid, s.sid);
	ck_assert_str_eq(r.username, "alice");
	ck_assert_str_eq(r.remote_ip, "10.77.0.2");
	ck_assert_uint_eq(r.session_time_s, 21);
	ck_assert_uint_eq(r.tot.bytes_in, 5000000001ull);
	ck_assert_uint_eq(r.cause, 2);
	ck_assert(r.waiting);
	ck_assert_uint_eq(r.n_class, 1);
	ck_assert_mem_eq(r.cls[0].v, "abc", 3);
	acct_record_of(&s, ACCT_INTERIM, 2, 5000, &r);
	ck_assert_uint_eq(r.cause, 0);
	ck_assert_uint_eq(r.session_time_s, 0);
	ck_assert_str_eq(acct_kind_str(ACCT_INTERIM), "Interim-Update");
}
END_TEST

/* --- sec-mod's accounting on a session table ------------------------------------ */

#define ACCT_MAX_SENT 32
static struct acct_record sent[ACCT_MAX_SENT];
static size_t n_sent;

static void capture(void *opaque, const struct acct_record *r)
{
	ck_assert_uint_lt(n_sent, ACCT_MAX_SENT);
	sent[n_sent++] = *r;
}

START_TEST(test_session_accounting)
{
	struct vpn_session_cfg cfg = { .cookie_timeout_ms = 10000 };
	struct secmod_session_table *t = session_table_new(&cfg, NULL, NULL);
	struct session_attrs at = { .interim_s = 2, .radius = true };
	struct secmod_session *s;
	struct acct a = { 0 };
	vpn_ms_t t0 = 1000000;

	n_sent = 0;
	ck_assert_int_eq(acct_init(&a, capture, NULL), 0);
	s = session_table_create(t, "alice", "staff", "192.0.2.7", t0);
	ck_assert_int_eq(session_table_set_attrs(s, &at), 0);
	ck_assert_int_eq(session_table_connect(t, s, t0 + 100), VPN_CONNECT_FIRST);
	/* Start once, when the first tunnel is up */
	ck_assert(acct_session_start(&a, s, t0 + 200));
	ck_assert(!acct_session_start(&a, s, t0 + 300));
	ck_assert_uint_eq(n_sent, 1);
	ck_assert_int_eq(sent[0].kind, ACCT_START);
	/* the Start in flight: only the first Interim-Update's time */
	ck_assert_uint_eq(acct_expiry(&a, t), t0 + 2200);
	acct_sent(&a, true, t0 + 250);
	ck_assert_uint_eq(acct_expiry(&a, t), t0 + 2200);
	acct_tick(&a, t, t0 + 2200);
	ck_assert_uint_eq(n_sent, 2);
	ck_assert_int_eq(sent[1].kind, ACCT_INTERIM);
	ck_assert(!sent[1].waiting);
	/* the server does not answer: retried after 1 s, the next one waits */
	acct_sent(&a, false, t0 + 3200);
	ck_assert_uint_eq(acct_expiry(&a, t), t0 + 4200);
	acct_tick(&a, t, t0 + 4200);    /* the retry, and the next Interim-Update queued */
	ck_assert_uint_eq(n_sent, 3);
	ck_assert_int_eq(sent[2].kind, ACCT_INTERIM);
	ck_assert_uint_eq(acct_queue_len(a.q), 2);
	acct_sent(&a, true, t0 + 4300);
	acct_sent(&a, true, t0 + 4400);
	ck_assert_uint_eq(acct_queue_len(a.q), 0);
	/* the tunnel drops: the session waits, its Interim-Updates say so */
	session_table_tunnel_end(t, s, VPN_END_DPD_TIMEOUT, t0 + 5000);
	acct_tick(&a, t, t0 + 6200);
	ck_assert_int_eq(sent[n_sent - 1].kind, ACCT_INTERIM);
	ck_assert(sent[n_sent - 1].waiting);
	acct_sent(&a, true, t0 + 6300);
	/* cookie-timeout after the drop: Stop, Lost-Carrier */
	session_table_handle_expiry(t, t0 + 15000);
	ck_assert_int_eq(s->m.state, VPN_SESSION_ENDED);
	acct_session_stop(&a, s, t0 + 15000);
	ck_assert_int_eq(sent[n_sent - 1].kind, ACCT_STOP);
	ck_assert_uint_eq(sent[n_sent - 1].cause, RADIUS_TC_LOST_CARRIER);
	ck_assert_uint_eq(sent[n_sent - 1].session_time_s, 15);
	acct_sent(&a, true, t0 + 15100);
	/* once stopped: no more Interim-Update, no second Stop */
	ck_assert_uint_eq(acct_expiry(&a, t), VPN_NEVER);
	acct_session_stop(&a, s, t0 + 16000);
	ck_assert_int_eq(sent[n_sent - 1].kind, ACCT_STOP);
	ck_assert_uint_eq(acct_queue_len(a.q), 0);
	acct_fini(&a);
	session_table_free(t);
}
END_TEST

START_TEST(test_accounting_off)
{
	struct vpn_session_cfg cfg = { .cookie_timeout_ms = 10000 };
	struct secmod_session_table *t = session_table_new(&cfg, NULL, NULL);
	struct secmod_session *s = session_table_create(t, "bob", "", "192.0.2.8", 0);
	struct acct a = { 0 };

	n_sent = 0;
	ck_assert(!acct_session_start(&a, s, 10));
	acct_session_stop(&a, s, 20);
	acct_tick(&a, t, 30);
	acct_sent(&a, false, 40);
	ck_assert_uint_eq(acct_expiry(&a, t), VPN_NEVER);
	ck_assert_ptr_null(s->attrs);
	ck_assert_uint_eq(n_sent, 0);
	session_table_free(t);
}
END_TEST

static Suite *acct_suite(void)
{
	Suite *s = suite_create("acct");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_order_and_in_flight);
	tcase_add_test(tc, test_retry_backoff_for_ever);
	tcase_add_test(tc, test_full_drops_interim_first);
	tcase_add_test(tc, test_full_head_not_in_flight);
	tcase_add_test(tc, test_record_of_session);
	tcase_add_test(tc, test_session_accounting);
	tcase_add_test(tc, test_accounting_off);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(acct_suite)
