/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Main's DTLS routing table (src/main/dtls-route.h): ClientHellos go to the tunnel
 * with their App-ID, records from a new port to the one established tunnel
 * of that address, everything else is dropped with a reason; the rate limits
 * at their exact boundaries.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "main/dtls-route.h"
#include "test-main.h"

static struct ban_addr ADDR(const char *s)
{
	struct ban_addr a;

	ck_assert_int_eq(ban_addr_parse(s, &a), 0);
	return a;
}

/* A minimal first-flight ClientHello whose session_id is id[0..n). */
static size_t hello(uint8_t *b, const uint8_t *id, size_t n)
{
	size_t len = 0, body;

	memset(b, 0, 256);
	b[0] = 22;
	b[1] = 0xfe;
	b[2] = 0xff;
	len = 13;
	b[len] = 1;		/* ClientHello */
	len += 12;
	body = len;
	b[len++] = 0xfe;
	b[len++] = 0xfd;
	len += 32;		/* random */
	b[len++] = (uint8_t)n;
	memcpy(b + len, id, n);
	len += n;
	b[len++] = 0;		/* cookie */
	b[len++] = 0;
	b[len++] = 2;
	b[len++] = 0x00;
	b[len++] = 0xa9;	/* PSK-AES256-GCM-SHA384 */
	b[len++] = 1;
	b[len++] = 0;		/* null compression, no extensions */
	b[13 + 3] = (uint8_t)(len - body);	/* message length (< 256) */
	b[13 + 11] = (uint8_t)(len - body);	/* fragment length */
	b[12] = (uint8_t)(len - 13);		/* record length */
	return len;
}

/* An application data record (epoch 1). */
static size_t appdata(uint8_t *b)
{
	memset(b, 0, 64);
	b[0] = 23;
	b[1] = 0xfe;
	b[2] = 0xfd;
	b[4] = 1;
	b[12] = 40;
	return 53;
}

static const uint8_t ID1[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t ID2[32] = { 0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static int owner1, owner2, owner3;

START_TEST(test_add_remove)
{
	struct dtls_route r;
	struct ban_addr a = ADDR("10.0.0.2");

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &a), 0);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID2, 32, &a), -EEXIST);
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID1, 32, &a), -EEXIST);
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID1, 0, &a), -EINVAL);
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID1, 33, &a), -EINVAL);
	ck_assert_int_eq(dtls_route_add(&r, NULL, ID2, 32, &a), -EINVAL);
	/* a prefix of another App-ID is another App-ID */
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID1, 16, &a), 0);
	ck_assert_uint_eq(r.used, 2);
	ck_assert_ptr_nonnull(dtls_route_find(&r, &owner2));
	dtls_route_remove(&r, &owner2);
	dtls_route_remove(&r, &owner2);
	dtls_route_remove(&r, &owner3);
	ck_assert_ptr_null(dtls_route_find(&r, &owner2));
	ck_assert_uint_eq(r.used, 1);
	/* the slot is reused */
	ck_assert_int_eq(dtls_route_add(&r, &owner3, ID2, 32, &a), 0);
	ck_assert_uint_eq(r.cap, 16);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_grows)
{
	struct dtls_route r;
	struct ban_addr a = ADDR("10.0.0.2");
	static int owners[100];
	uint8_t id[32] = { 0 }, b[256];
	void *who;

	dtls_route_init(&r);
	for (int i = 0; i < 100; i++) {
		id[0] = (uint8_t)i;
		ck_assert_int_eq(dtls_route_add(&r, &owners[i], id, 32, &a), 0);
	}
	id[0] = 77;
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, id, 32), &a, 0, &who),
			 DTLS_ROUTE_ASSOC);
	ck_assert_ptr_eq(who, &owners[77]);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_hello_routes_by_app_id)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2"), c2 = ADDR("10.0.0.3"), other = ADDR("192.0.2.9");
	uint8_t b[256];
	void *who;

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &c1), 0);
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID2, 32, &c2), 0);
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, ID2, 32), &c2, 1000, &who),
			 DTLS_ROUTE_ASSOC);
	ck_assert_ptr_eq(who, &owner2);
	/* the PSK authenticates the handshake: any source address */
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, ID1, 32), &other, 1000, &who),
			 DTLS_ROUTE_ASSOC);
	ck_assert_ptr_eq(who, &owner1);
	/* an App-ID nobody has */
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, ID1, 31), &c1, 5000, &who),
			 DTLS_ROUTE_DROP_UNKNOWN_APP_ID);
	ck_assert_ptr_null(who);
	/* a tunnel that ended */
	dtls_route_remove(&r, &owner2);
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, ID2, 32), &c2, 5000, &who),
			 DTLS_ROUTE_DROP_UNKNOWN_APP_ID);
	ck_assert_uint_eq(r.verdicts[DTLS_ROUTE_ASSOC], 2);
	ck_assert_uint_eq(r.verdicts[DTLS_ROUTE_DROP_UNKNOWN_APP_ID], 2);
	dtls_route_free(&r);
}
END_TEST

/* Legacy DTLS (doc/spec/interop.md §6.4): the client resumes the session
 * named by X-DTLS-Session-ID, which its hello carries as session_id; main
 * routes it like an App-ID, also in the pre-standard DTLS 0.9 (record and
 * client version 0x0100). */
START_TEST(test_legacy_hello_routes_by_session_id)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2");
	uint8_t b[256];
	void *who;
	size_t n;

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &c1), 0);
	n = hello(b, ID1, 32);
	b[1] = 0x01;		/* DTLS 0.9 record version */
	b[2] = 0x00;
	b[25] = 0x01;		/* and client_version */
	b[26] = 0x00;
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 1000, &who), DTLS_ROUTE_ASSOC);
	ck_assert_ptr_eq(who, &owner1);
	/* a DTLS 1.2 resume (ECDHE-RSA-AES256-GCM-SHA384 offered) */
	n = hello(b, ID1, 32);
	b[n - 4] = 0xc0;
	b[n - 3] = 0x30;
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 2000, &who), DTLS_ROUTE_ASSOC);
	ck_assert_ptr_eq(who, &owner1);
	/* another session ID: nobody's */
	n = hello(b, ID2, 32);
	b[1] = 0x01;
	b[2] = 0x00;
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 3000, &who),
			 DTLS_ROUTE_DROP_UNKNOWN_APP_ID);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_hello_rate)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2");
	uint8_t b[256];
	size_t n;
	void *who;

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &c1), 0);
	n = hello(b, ID1, 32);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 10000, &who), DTLS_ROUTE_ASSOC);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 10000 + DTLS_ROUTE_ASSOC_INTERVAL_MS - 1,
					   &who), DTLS_ROUTE_DROP_RATE);
	ck_assert_ptr_null(who);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 10000 + DTLS_ROUTE_ASSOC_INTERVAL_MS,
					   &who), DTLS_ROUTE_ASSOC);
	/* a clock that went back never blocks for ever */
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 5, &who), DTLS_ROUTE_ASSOC);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_global_budget)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2");
	static int owners[DTLS_ROUTE_GLOBAL_BURST + 1];
	uint8_t id[32] = { 0 }, b[256];
	void *who;

	dtls_route_init(&r);
	for (unsigned i = 0; i <= DTLS_ROUTE_GLOBAL_BURST; i++) {
		id[0] = (uint8_t)i;
		id[1] = (uint8_t)(i >> 8);
		ck_assert_int_eq(dtls_route_add(&r, &owners[i], id, 32, &c1), 0);
	}
	for (unsigned i = 0; i < DTLS_ROUTE_GLOBAL_BURST; i++) {
		id[0] = (uint8_t)i;
		id[1] = (uint8_t)(i >> 8);
		ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, id, 32), &c1, 7000 + i % 999,
						   &who), DTLS_ROUTE_ASSOC);
	}
	id[0] = (uint8_t)DTLS_ROUTE_GLOBAL_BURST;
	id[1] = (uint8_t)(DTLS_ROUTE_GLOBAL_BURST >> 8);
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, id, 32), &c1, 7999, &who),
			 DTLS_ROUTE_DROP_RATE);
	/* the rate drop did not charge the tunnel: the next window takes it */
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, id, 32), &c1, 8000, &who),
			 DTLS_ROUTE_ASSOC);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_rebind)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2"), c2 = ADDR("10.0.0.3"), v6 = ADDR("2001:db8::2");
	uint8_t b[256];
	size_t n = appdata(b);
	void *who;

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &c1), 0);
	ck_assert_int_eq(dtls_route_add(&r, &owner2, ID2, 32, &c2), 0);
	/* no established channel yet: nobody can read it */
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 0, &who), DTLS_ROUTE_DROP_NO_PEER);
	dtls_route_set_established(&r, &owner1, true);
	dtls_route_set_established(&r, &owner3, true);	/* unknown: ignored */
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c2, 0, &who), DTLS_ROUTE_DROP_NO_PEER);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &v6, 0, &who), DTLS_ROUTE_DROP_NO_PEER);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 0, &who), DTLS_ROUTE_REBIND);
	ck_assert_ptr_eq(who, &owner1);
	/* one candidate per 3 s */
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, DTLS_ROUTE_REBIND_INTERVAL_MS - 1, &who),
			 DTLS_ROUTE_DROP_RATE);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, DTLS_ROUTE_REBIND_INTERVAL_MS, &who),
			 DTLS_ROUTE_REBIND);
	/* the rebind limit does not hold back a handshake */
	ck_assert_int_eq(dtls_route_decide(&r, b, hello(b, ID1, 32), &c1,
					   DTLS_ROUTE_REBIND_INTERVAL_MS + 1, &who),
			 DTLS_ROUTE_ASSOC);
	/* two established tunnels of one address (one NAT): cannot tell */
	ck_assert_int_eq(dtls_route_add(&r, &owner3, ID1, 8, &c1), 0);
	dtls_route_set_established(&r, &owner3, true);
	ck_assert_int_eq(dtls_route_decide(&r, b, appdata(b), &c1, 100000, &who),
			 DTLS_ROUTE_DROP_AMBIGUOUS);
	dtls_route_set_established(&r, &owner3, false);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 100000, &who), DTLS_ROUTE_REBIND);
	ck_assert_ptr_eq(who, &owner1);
	dtls_route_free(&r);
}
END_TEST

START_TEST(test_drops)
{
	struct dtls_route r;
	struct ban_addr c1 = ADDR("10.0.0.2");
	uint8_t b[256];
	size_t n;
	void *who = &owner3;

	dtls_route_init(&r);
	ck_assert_int_eq(dtls_route_add(&r, &owner1, ID1, 32, &c1), 0);
	dtls_route_set_established(&r, &owner1, true);
	ck_assert_int_eq(dtls_route_decide(&r, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &c1,
					   0, &who), DTLS_ROUTE_DROP_NOT_DTLS);
	ck_assert_ptr_null(who);
	ck_assert_int_eq(dtls_route_decide(&r, b, 0, &c1, 0, &who), DTLS_ROUTE_DROP_NOT_DTLS);
	/* an epoch-0 handshake record that is no ClientHello */
	n = hello(b, ID1, 32);
	b[13] = 16;
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 0, &who), DTLS_ROUTE_DROP_HANDSHAKE);
	/* a hello without App-ID, and a broken one */
	n = hello(b, ID1, 0);
	ck_assert_int_eq(dtls_route_decide(&r, b, n, &c1, 0, &who), DTLS_ROUTE_DROP_BAD_HELLO);
	n = hello(b, ID1, 32);
	ck_assert_int_eq(dtls_route_decide(&r, b, n - 3, &c1, 0, &who), DTLS_ROUTE_DROP_BAD_HELLO);
	ck_assert_uint_eq(r.verdicts[DTLS_ROUTE_DROP_NOT_DTLS], 2);
	ck_assert_uint_eq(r.verdicts[DTLS_ROUTE_DROP_BAD_HELLO], 2);
	for (int v = 0; v < DTLS_ROUTE_VERDICT_COUNT; v++)
		ck_assert_str_ne(dtls_route_verdict_str((enum dtls_route_verdict)v), "unknown");
	ck_assert_str_eq(dtls_route_verdict_str((enum dtls_route_verdict)99), "unknown");
	dtls_route_free(&r);
}
END_TEST

/* --- early hellos --------------------------------------------------------- */

START_TEST(test_early_put_take)
{
	static struct dtls_early_set s;
	const struct dtls_early *e;
	uint8_t b[256];
	const char meta[] = "addresses";
	size_t n;

	memset(&s, 0, sizeof(s));
	n = hello(b, ID1, 32);
	ck_assert_int_eq(dtls_early_put(&s, b, n, meta, sizeof(meta), 1000), 0);
	ck_assert_int_eq(dtls_early_put(&s, b, n, meta, sizeof(meta), 1200), 0); /* retransmission */
	ck_assert_int_eq(dtls_early_put(&s, b, hello(b, ID2, 32), NULL, 0, 1100), 0);
	/* another App-ID: nothing */
	ck_assert_ptr_null(dtls_early_take(&s, ID1, 31, 1300));
	/* the oldest first, with its data and meta; then the next; then none */
	e = dtls_early_take(&s, ID1, 32, 1300);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->at_ms, 1000);
	ck_assert_uint_eq(e->len, n);
	ck_assert_uint_eq(e->meta_len, sizeof(meta));
	ck_assert_str_eq((const char *)e->meta, meta);
	ck_assert_uint_eq(e->data[60], ID1[0]);
	e = dtls_early_take(&s, ID1, 32, 1300);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->at_ms, 1200);
	ck_assert_ptr_null(dtls_early_take(&s, ID1, 32, 1300));
	e = dtls_early_take(&s, ID2, 32, 1300);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->meta_len, 0);
}
END_TEST

START_TEST(test_early_expiry)
{
	static struct dtls_early_set s;
	uint8_t b[256];
	size_t n = hello(b, ID1, 32);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(dtls_early_put(&s, b, n, NULL, 0, 5000), 0);
	/* kept for less than DTLS_EARLY_MS: gone at exactly 1000 ms */
	ck_assert_ptr_null(dtls_early_take(&s, ID1, 32, 5000 + DTLS_EARLY_MS));
	ck_assert_int_eq(dtls_early_put(&s, b, n, NULL, 0, 5000), 0);
	ck_assert_ptr_nonnull(dtls_early_take(&s, ID1, 32, 5000 + DTLS_EARLY_MS - 1));
	/* a clock that went back forgets it too */
	ck_assert_int_eq(dtls_early_put(&s, b, n, NULL, 0, 5000), 0);
	ck_assert_ptr_null(dtls_early_take(&s, ID1, 32, 4999));
	ck_assert_ptr_null(dtls_early_take(&s, ID1, 32, 5001));
}
END_TEST

START_TEST(test_early_full_and_refused)
{
	static struct dtls_early_set s;
	uint8_t b[256], id[32] = { 0 }, big[DTLS_EARLY_DATA_MAX + 1];
	char meta[DTLS_EARLY_META_MAX + 1] = { 0 };

	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i <= DTLS_EARLY_MAX; i++) {
		id[0] = (uint8_t)i;
		ck_assert_int_eq(dtls_early_put(&s, b, hello(b, id, 32), NULL, 0, 100 + i), 0);
	}
	/* the oldest (id 0) made room for the last */
	id[0] = 0;
	ck_assert_ptr_null(dtls_early_take(&s, id, 32, 200));
	for (unsigned i = 1; i <= DTLS_EARLY_MAX; i++) {
		id[0] = (uint8_t)i;
		ck_assert_ptr_nonnull(dtls_early_take(&s, id, 32, 200));
	}
	/* only ClientHellos with an App-ID, within the sizes */
	ck_assert_int_eq(dtls_early_put(&s, b, appdata(b), NULL, 0, 1), -EINVAL);
	ck_assert_int_eq(dtls_early_put(&s, b, hello(b, ID1, 0), NULL, 0, 1), -EINVAL);
	ck_assert_int_eq(dtls_early_put(&s, b, hello(b, ID1, 32), meta, sizeof(meta), 1), -EINVAL);
	ck_assert_int_eq(dtls_early_put(&s, b, hello(b, ID1, 32), NULL, 4, 1), -EINVAL);
	memset(big, 0, sizeof(big));
	memcpy(big, b, hello(b, ID1, 32));
	ck_assert_int_eq(dtls_early_put(&s, big, sizeof(big), NULL, 0, 1), -EINVAL);
	for (unsigned i = 0; i < DTLS_EARLY_MAX; i++)
		ck_assert(!s.e[i].used);
}
END_TEST

static Suite *dtls_route_suite(void)
{
	Suite *s = suite_create("dtls-route");
	TCase *tc = tcase_create("route");

	tcase_add_test(tc, test_add_remove);
	tcase_add_test(tc, test_grows);
	tcase_add_test(tc, test_hello_routes_by_app_id);
	tcase_add_test(tc, test_legacy_hello_routes_by_session_id);
	tcase_add_test(tc, test_hello_rate);
	tcase_add_test(tc, test_global_budget);
	tcase_add_test(tc, test_rebind);
	tcase_add_test(tc, test_drops);
	suite_add_tcase(s, tc);
	tc = tcase_create("early-hellos");
	tcase_add_test(tc, test_early_put_take);
	tcase_add_test(tc, test_early_expiry);
	tcase_add_test(tc, test_early_full_and_refused);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dtls_route_suite)
