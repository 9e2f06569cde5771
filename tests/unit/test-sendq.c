/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the bounded send queue (src/common/sendq.c). */
#include "config.h"

#include "common/sendq.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "test-main.h"

#define C(len) ((size_t)(len) + SENDQ_ITEM_OVERHEAD)

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i);
}

START_TEST(test_empty)
{
	struct sendq q;
	const uint8_t *p = NULL;
	size_t len = 99;

	sendq_init(&q, 1000, 100);
	ck_assert(sendq_empty(&q));
	ck_assert(!sendq_peek(&q, &p, &len));
	ck_assert_uint_eq(len, 99);
	sendq_pop(&q);		/* no-op on an empty queue */
	ck_assert(sendq_empty(&q));
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(q.charged, 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, "x", 0), -EINVAL);
	ck_assert(sendq_empty(&q));
	sendq_clear(&q);
}
END_TEST

START_TEST(test_fifo_order_and_copy)
{
	struct sendq q;
	uint8_t a[10], b[20], c[30], ea[10], eb[20], ec[30];
	const uint8_t *p;
	size_t len;

	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 50);
	fill(c, sizeof(c), 100);
	sendq_init(&q, 10000, 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, a, sizeof(a)), 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, b, sizeof(b)), 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, c, sizeof(c)), 0);
	/* The queue holds copies: scribbling on the caller's buffers is harmless. */
	memset(a, 0xee, sizeof(a));
	memset(b, 0xee, sizeof(b));
	memset(c, 0xee, sizeof(c));
	fill(ea, sizeof(ea), 1);
	fill(eb, sizeof(eb), 50);
	fill(ec, sizeof(ec), 100);
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(q.charged, C(10) + C(20) + C(30));

	ck_assert(sendq_peek(&q, &p, &len));
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(p, ea, 10);
	ck_assert_int_eq(sendq_peek_class(&q), SENDQ_DATA);
	/* Peeking twice gives the same pending record (GnuTLS retry rule). */
	{
		const uint8_t *p2;
		size_t len2;

		ck_assert(sendq_peek(&q, &p2, &len2));
		ck_assert_ptr_eq(p2, p);
		ck_assert_uint_eq(len2, len);
	}
	sendq_pop(&q);
	ck_assert(sendq_peek(&q, &p, &len));
	ck_assert_uint_eq(len, 20);
	ck_assert_mem_eq(p, eb, 20);
	ck_assert_int_eq(sendq_peek_class(&q), SENDQ_CONTROL);
	sendq_pop(&q);
	ck_assert(sendq_peek(&q, &p, &len));
	ck_assert_uint_eq(len, 30);
	ck_assert_mem_eq(p, ec, 30);
	sendq_pop(&q);
	ck_assert(sendq_empty(&q));
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(q.charged, 0);
	ck_assert_ptr_null(q.tail);

	/* Reusable after draining. */
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, ec, 5), 0);
	ck_assert(sendq_peek(&q, &p, &len));
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(p, ec, 5);
	sendq_clear(&q);
}
END_TEST

/* DATA is refused exactly when it would cross data_limit: a packet that
 * lands on the limit fits, one byte more does not. */
START_TEST(test_data_limit_boundary)
{
	struct sendq q;
	uint8_t buf[200] = {0};

	sendq_init(&q, C(100) + C(50), 1000);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 100), 0);
	ck_assert(sendq_data_fits(&q, 50));
	ck_assert(!sendq_data_fits(&q, 51));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 51), -ENOBUFS);
	ck_assert_uint_eq(q.dropped_data, 1);
	ck_assert_uint_eq(q.count, 1);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 50), 0);
	ck_assert_uint_eq(q.charged, C(100) + C(50));
	ck_assert(!sendq_data_fits(&q, 1));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 1), -ENOBUFS);
	ck_assert_uint_eq(q.dropped_data, 2);
	ck_assert_uint_eq(q.dropped_control, 0);

	/* Freeing the head makes room again. */
	sendq_pop(&q);
	ck_assert(sendq_data_fits(&q, 100));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 100), 0);
	sendq_clear(&q);
	ck_assert(sendq_empty(&q));
	ck_assert_uint_eq(q.charged, 0);
	/* Counters survive a clear. */
	ck_assert_uint_eq(q.dropped_data, 2);
}
END_TEST

/* CONTROL packets may use the reserve on top of a full data queue, DATA may
 * not; the reserve has a hard end too. */
START_TEST(test_control_reserve)
{
	struct sendq q;
	uint8_t buf[64] = {0};

	sendq_init(&q, C(64), C(16) + C(8));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 64), 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 1), -ENOBUFS);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, 16), 0);
	/* Over the data limit now: DATA stays refused even for tiny packets. */
	ck_assert(!sendq_data_fits(&q, 0));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 1), -ENOBUFS);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, 9), -ENOBUFS);
	ck_assert_uint_eq(q.dropped_control, 1);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, 8), 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, 1), -ENOBUFS);
	ck_assert_uint_eq(q.dropped_control, 2);
	ck_assert_uint_eq(q.dropped_data, 2);
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(q.charged, C(64) + C(16) + C(8));
	sendq_clear(&q);
}
END_TEST

START_TEST(test_zero_data_limit)
{
	struct sendq q;
	uint8_t buf[4] = {1, 2, 3, 4};

	sendq_init(&q, 0, C(4));
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 4), -ENOBUFS);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, 4), 0);
	sendq_clear(&q);
}
END_TEST

/* Huge lengths must be refused without overflowing the accounting. */
START_TEST(test_overflow_safe)
{
	struct sendq q;
	uint8_t buf[1] = {0};

	sendq_init(&q, SIZE_MAX - 10, 5);
	ck_assert(!sendq_data_fits(&q, SIZE_MAX));
	ck_assert(!sendq_data_fits(&q, SIZE_MAX - SENDQ_ITEM_OVERHEAD));
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, buf, SIZE_MAX), -ENOBUFS);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, buf, 1), 0);
	sendq_clear(&q);
}
END_TEST

/* Many pushes and pops interleaved keep count/charged consistent and the
 * order intact (a small model check against a ring of expected lengths). */
START_TEST(test_interleaved_model)
{
	struct sendq q;
	uint8_t buf[300];
	size_t model[4096];
	size_t mh = 0, mt = 0, charged = 0;
	unsigned seed = 12345;

	sendq_init(&q, 20000, 2000);
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3 != 0) {
			size_t len = 1 + (seed >> 8) % 300;
			enum sendq_class cls = (seed & 1) ? SENDQ_CONTROL : SENDQ_DATA;
			size_t limit = cls == SENDQ_CONTROL ? 22000 : 20000;
			bool expect_ok = charged + C(len) <= limit;

			fill(buf, len, (uint8_t)len);
			ck_assert_int_eq(sendq_push(&q, cls, buf, len), expect_ok ? 0 : -ENOBUFS);
			if (expect_ok) {
				model[mt++ % 4096] = len;
				charged += C(len);
			}
		} else if (mh != mt) {
			const uint8_t *p;
			size_t len;

			ck_assert(sendq_peek(&q, &p, &len));
			ck_assert_uint_eq(len, model[mh % 4096]);
			ck_assert_uint_eq(p[0], (uint8_t)len);
			ck_assert_uint_eq(p[len - 1], (uint8_t)(len + len - 1));
			sendq_pop(&q);
			mh++;
			charged -= C(len);
		}
		ck_assert_uint_eq(q.count, mt - mh);
		ck_assert_uint_eq(q.charged, charged);
		ck_assert(q.charged <= 22000);
	}
	sendq_clear(&q);
}
END_TEST

/* Purging keeps the head whatever its class, keeps every CONTROL packet in
 * order, and leaves the queue consistent for further pushes. */
START_TEST(test_purge_data)
{
	static const struct { enum sendq_class cls; uint8_t tag; } in[] = {
		{ SENDQ_DATA, 1 }, { SENDQ_DATA, 2 }, { SENDQ_CONTROL, 3 }, { SENDQ_DATA, 4 },
		{ SENDQ_DATA, 5 }, { SENDQ_CONTROL, 6 }, { SENDQ_DATA, 7 },
	};
	static const uint8_t expect[] = { 1, 3, 6, 8 };
	struct sendq q;
	const uint8_t *p;
	size_t len, i;
	uint8_t b;

	sendq_init(&q, 10000, 100);
	ck_assert_uint_eq(sendq_purge_data(&q), 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ck_assert_int_eq(sendq_push(&q, in[i].cls, &in[i].tag, 1), 0);
	ck_assert_uint_eq(sendq_purge_data(&q), 4);
	ck_assert_uint_eq(q.dropped_data, 4);
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(q.charged, 3 * C(1));
	b = 8;
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, &b, 1), 0);
	for (i = 0; i < sizeof(expect); i++) {
		ck_assert(sendq_peek(&q, &p, &len));
		ck_assert_uint_eq(p[0], expect[i]);
		sendq_pop(&q);
	}
	ck_assert(sendq_empty(&q));

	/* Trailing DATA only: the tail moves back to the head. */
	b = 9;
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, &b, 1), 0);
	ck_assert_int_eq(sendq_push(&q, SENDQ_DATA, &b, 1), 0);
	ck_assert_uint_eq(sendq_purge_data(&q), 1);
	ck_assert_ptr_eq(q.head, q.tail);
	ck_assert_int_eq(sendq_push(&q, SENDQ_CONTROL, &b, 1), 0);
	ck_assert_uint_eq(q.count, 2);
	sendq_clear(&q);
}
END_TEST

static Suite *sendq_suite(void)
{
	Suite *s = suite_create("sendq");
	TCase *tc = tcase_create("fifo");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_fifo_order_and_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_data_limit_boundary);
	tcase_add_test(tc, test_control_reserve);
	tcase_add_test(tc, test_zero_data_limit);
	tcase_add_test(tc, test_overflow_safe);
	tcase_add_test(tc, test_interleaved_model);
	tcase_add_test(tc, test_purge_data);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(sendq_suite)
