/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rx-data-per-sec / tx-data-per-sec: the token bucket (src/common/ratelimit.c),
 * with injected time. */
#include "config.h"

#include <check.h>

#include "common/ratelimit.h"
#include "test-main.h"

START_TEST(unlimited)
{
	struct rate_bucket b;

	rate_bucket_init(&b, 0, 1000);
	for (int i = 0; i < 100000; i++)
		ck_assert(rate_bucket_take(&b, 65535, 1000));
	ck_assert_uint_eq(b.dropped_packets, 0);
}
END_TEST

/* Sending as fast as the bucket allows for ten seconds at 1 ms steps: what
 * passes is rate * 10 s plus the full bucket at the start. */
START_TEST(long_run_rate)
{
	struct rate_bucket b;
	const uint32_t rate = 250000; /* 2 Mbit/s */
	uint64_t passed = 0, t = 5000;

	rate_bucket_init(&b, rate, t);
	ck_assert_uint_eq(b.depth, (uint64_t)rate / 2 * 1000);
	for (; t <= 15000; t++)
		for (int i = 0; i < 50; i++)
			if (rate_bucket_take(&b, 1400, t))
				passed += 1400;
	ck_assert_uint_le(passed, (uint64_t)rate * 10 + rate / 2 + 1400);
	ck_assert_uint_ge(passed, (uint64_t)rate * 10 + rate / 2 - 1400);
	ck_assert_uint_gt(b.dropped_packets, 0);
	ck_assert_uint_eq(b.dropped_bytes, b.dropped_packets * 1400);
}
END_TEST

START_TEST(refill_and_cap)
{
	struct rate_bucket b;

	rate_bucket_init(&b, 1000, 0); /* depth: the minimum, 64 KiB */
	ck_assert_uint_eq(b.depth, RATE_DEPTH_MIN * 1000ull);
	ck_assert(rate_bucket_take(&b, RATE_DEPTH_MIN, 0));
	ck_assert(!rate_bucket_take(&b, 1, 0));
	/* 1000 B/s: 1 byte per ms */
	ck_assert(!rate_bucket_take(&b, 10, 9));
	ck_assert(rate_bucket_take(&b, 10, 10));
	ck_assert(!rate_bucket_take(&b, 1, 10));
	/* a long pause fills the bucket, no more */
	ck_assert(rate_bucket_take(&b, RATE_DEPTH_MIN, 10 + 3600u * 1000u));
	ck_assert(!rate_bucket_take(&b, 1, 10 + 3600u * 1000u));
	/* a packet larger than the whole bucket never passes */
	ck_assert(!rate_bucket_take(&b, RATE_DEPTH_MIN + 1, UINT64_C(1) << 40));
	ck_assert_uint_eq(b.dropped_packets, 5);
}
END_TEST

START_TEST(time_backwards)
{
	struct rate_bucket b;

	rate_bucket_init(&b, 1000, 100000);
	ck_assert(rate_bucket_take(&b, RATE_DEPTH_MIN, 100000));
	/* earlier time: no tokens, and the later refill starts from 100000 */
	ck_assert(!rate_bucket_take(&b, 1, 50));
	ck_assert(!rate_bucket_take(&b, 6, 100005));
	ck_assert(rate_bucket_take(&b, 5, 100005));
}
END_TEST

START_TEST(huge_rate)
{
	struct rate_bucket b;

	rate_bucket_init(&b, UINT32_MAX, 0);
	ck_assert(rate_bucket_take(&b, UINT32_MAX / 2, 0));
	ck_assert(rate_bucket_take(&b, UINT32_MAX / 2, 1000));
	ck_assert(rate_bucket_take(&b, UINT32_MAX / 2, UINT64_C(1) << 50));
}
END_TEST

static Suite *rate_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("bucket");

	tcase_add_test(tc, unlimited);
	tcase_add_test(tc, long_run_rate);
	tcase_add_test(tc, refill_and_cap);
	tcase_add_test(tc, time_backwards);
	tcase_add_test(tc, huge_rate);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(rate_suite)
