/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tun device's ioctl side (common/tun.h) that needs no privileges: the
 * device prefix rule, names no device can have, and reading the MTU of the
 * loopback device every network namespace has.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "common/tun.h"
#include "test-main.h"

START_TEST(test_prefix_rule)
{
	char longest[IFNAMSIZ - 3], too_long[IFNAMSIZ - 2];

	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	ck_assert(tun_prefix_valid("vpns"));
	ck_assert(tun_prefix_valid(longest));
	ck_assert(!tun_prefix_valid(too_long));
	ck_assert(!tun_prefix_valid(NULL));
	ck_assert(!tun_prefix_valid(""));
	ck_assert(!tun_prefix_valid("vp%d"));
	ck_assert(!tun_prefix_valid("a/b"));
	ck_assert(!tun_prefix_valid("a:b"));
	ck_assert(!tun_prefix_valid("a b"));
	ck_assert(!tun_prefix_valid("a\x7f"));
}
END_TEST

START_TEST(test_bad_names)
{
	char too_long[IFNAMSIZ + 1];

	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	ck_assert_uint_eq(tun_get_mtu(NULL), 0);
	ck_assert_uint_eq(tun_get_mtu(""), 0);
	ck_assert_uint_eq(tun_get_mtu(too_long), 0);
	ck_assert_int_eq(tun_set_mtu(NULL, 1400), -EINVAL);
	ck_assert_int_eq(tun_set_mtu("", 1400), -EINVAL);
	ck_assert_int_eq(tun_set_mtu(too_long, 1400), -EINVAL);
}
END_TEST

START_TEST(test_loopback_mtu)
{
	/* lo exists in every namespace and has a positive MTU; a device that
	 * does not exist has none, and its MTU cannot be set. */
	ck_assert_uint_gt(tun_get_mtu("lo"), 0);
	ck_assert_uint_eq(tun_get_mtu("ocsm-none0"), 0);
	ck_assert_int_lt(tun_set_mtu("ocsm-none0", 1400), 0);
}
END_TEST

START_TEST(test_close_idempotent)
{
	struct tun t = { .fd = -1 };

	tun_close(&t);
	tun_close(&t);
	ck_assert_int_eq(t.fd, -1);
}
END_TEST

START_TEST(test_open_refuses_bad_prefix)
{
	struct tun t;

	ck_assert_int_eq(tun_open("bad%prefix", &t), -EINVAL);
	ck_assert_int_eq(t.fd, -1);
}
END_TEST

static Suite *tun_suite(void)
{
	Suite *s = suite_create("tun");
	TCase *tc = tcase_create("ioctl");

	tcase_add_test(tc, test_prefix_rule);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_loopback_mtu);
	tcase_add_test(tc, test_close_idempotent);
	tcase_add_test(tc, test_open_refuses_bad_prefix);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tun_suite)
