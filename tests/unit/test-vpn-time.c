/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/time.h: the NEVER sentinel and overflow-safe helpers. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "vpn/time.h"
#include "vpn-test-util.h"

START_TEST(add_plain_and_saturating)
{
	ck_assert_uint_eq(vpn_ms_add(0, 0), 0);
	ck_assert_uint_eq(vpn_ms_add(1000, 2000), 3000);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER, 0), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER, 5), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_add(5, VPN_NEVER), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER - 10, 10), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER - 10, 9), VPN_NEVER - 1);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER - 10, 11), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_add(VPN_NEVER / 2 + 1, VPN_NEVER / 2 + 1), VPN_NEVER);
}
END_TEST

START_TEST(reached_boundary)
{
	/* "at least d has passed": t + d <= now */
	ck_assert(!vpn_ms_reached(100, 99));
	ck_assert(vpn_ms_reached(100, 100));
	ck_assert(vpn_ms_reached(100, 101));
	ck_assert(vpn_ms_reached(0, 0));
	ck_assert(!vpn_ms_reached(VPN_NEVER, 0));
	ck_assert(!vpn_ms_reached(VPN_NEVER, VPN_NEVER));
	ck_assert(!vpn_ms_reached(VPN_NEVER, VPN_NEVER - 1));
	ck_assert(vpn_ms_reached(VPN_NEVER - 1, VPN_NEVER - 1));
}
END_TEST

START_TEST(min_max)
{
	ck_assert_uint_eq(vpn_ms_min(3, 4), 3);
	ck_assert_uint_eq(vpn_ms_min(4, 3), 3);
	ck_assert_uint_eq(vpn_ms_min(VPN_NEVER, 7), 7);
	ck_assert_uint_eq(vpn_ms_min(7, VPN_NEVER), 7);
	ck_assert_uint_eq(vpn_ms_min(VPN_NEVER, VPN_NEVER), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_max(3, 4), 4);
	ck_assert_uint_eq(vpn_ms_max(VPN_NEVER, 4), VPN_NEVER);
}
END_TEST

START_TEST(seconds)
{
	ck_assert_uint_eq(vpn_s_to_ms(0), 0);
	ck_assert_uint_eq(vpn_s_to_ms(30), 30000);
	ck_assert_uint_eq(vpn_s_to_ms(UINT32_MAX), (vpn_ms_t)UINT32_MAX * 1000u);
	ck_assert(vpn_s_to_ms(UINT32_MAX) != VPN_NEVER);
}
END_TEST

START_TEST(until)
{
	ck_assert_uint_eq(vpn_ms_until(VPN_NEVER, 0), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_until(VPN_NEVER, VPN_NEVER - 1), VPN_NEVER);
	ck_assert_uint_eq(vpn_ms_until(100, 99), 1);
	ck_assert_uint_eq(vpn_ms_until(100, 100), 0);
	ck_assert_uint_eq(vpn_ms_until(100, 5000), 0);
	ck_assert_uint_eq(vpn_ms_until(5000, 0), 5000);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("vpn-time");
	TCase *tc = tcase_create("helpers");

	tcase_add_test(tc, add_plain_and_saturating);
	tcase_add_test(tc, reached_boundary);
	tcase_add_test(tc, min_max);
	tcase_add_test(tc, seconds);
	tcase_add_test(tc, until);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(time_suite)
