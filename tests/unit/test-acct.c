/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Accounting records and their queue (src/sec-mod/acct.h): order, retries
 * with backoff for ever, what is dropped when full. Time is injected. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/acct.h"
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

static Suite *acct_suite(void)
{
	Suite *s = suite_create("acct");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_order_and_in_flight);
	tcase_add_test(tc, test_retry_backoff_for_ever);
	tcase_add_test(tc, test_full_drops_interim_first);
	tcase_add_test(tc, test_full_head_not_in_flight);
	tcase_add_test(tc, test_record_of_session);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(acct_suite)
