/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* RADIUS reply attributes -> a session's values, and end reasons ->
 * Acct-Terminate-Cause (src/sec-mod/radius-map.h). */

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/radius-map.h"
#include "test-main.h"

/* Attributes built by the tests: values in one static buffer. */
static uint8_t vals[4096];
static size_t vals_used;

static struct radius_avp avp(uint32_t vendor, uint32_t type, const void *v, size_t len)
{
	uint8_t *p = vals + vals_used;

	ck_assert_uint_le(vals_used + len, sizeof(vals));
	memcpy(p, v, len);
	vals_used += len;
	return (struct radius_avp){ .vendor = vendor, .type = type, .val = p, .len = len };
}

static struct radius_avp u32(uint32_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return avp(0, type, b, 4);
}

static struct radius_avp text(uint32_t type, const char *t)
{
	return avp(0, type, t, strlen(t));
}

static struct radius_avp ip(uint32_t vendor, uint32_t type, const char *a)
{
	struct in_addr in;

	ck_assert_int_eq(inet_pton(AF_INET, a, &in), 1);
	return avp(vendor, type, &in, 4);
}

START_TEST(test_accept_values)
{
	struct radius_avp a[] = {
		ip(0, RADIUS_FRAMED_IP_ADDRESS, "192.168.77.50"),
		ip(0, RADIUS_FRAMED_IP_NETMASK, "255.255.255.0"),
		u32(RADIUS_SESSION_TIMEOUT, 20),
		u32(RADIUS_IDLE_TIMEOUT, 7),
		u32(RADIUS_ACCT_INTERIM_INTERVAL, 3),
		text(RADIUS_CLASS, "OU=admins;OU=ops"),
		text(RADIUS_FRAMED_ROUTE, "10.10.0.0/16 0.0.0.0 1"),
		text(RADIUS_FRAMED_ROUTE, "10.20.30.40"),
		ip(RADIUS_VENDOR_MICROSOFT, RADIUS_MS_PRIMARY_DNS, "10.0.0.53"),
		ip(RADIUS_VENDOR_MICROSOFT, RADIUS_MS_SECONDARY_DNS, "10.0.1.53"),
		text(RADIUS_FILTER_ID, "vpn-users"),
		text(RADIUS_REPLY_MESSAGE, "Welcome"),
	};
	static struct radius_reply r;
	char t[INET_ADDRSTRLEN];

	vals_used = 0;
	radius_reply_map(a, sizeof(a) / sizeof(a[0]), true, &r);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.set, RADIUS_HAS_IPV4 | RADIUS_HAS_NETMASK | RADIUS_HAS_SESSION_TIMEOUT |
				 RADIUS_HAS_IDLE_TIMEOUT | RADIUS_HAS_INTERIM | RADIUS_HAS_ROUTES |
				 RADIUS_HAS_DNS);
	ck_assert_str_eq(inet_ntop(AF_INET, &r.ipv4, t, sizeof(t)), "192.168.77.50");
	ck_assert_str_eq(inet_ntop(AF_INET, &r.netmask, t, sizeof(t)), "255.255.255.0");
	ck_assert_uint_eq(r.session_timeout_s, 20);
	ck_assert_uint_eq(r.idle_timeout_s, 7);
	ck_assert_uint_eq(r.interim_s, 3);
	ck_assert_uint_eq(r.n_class, 1);
	ck_assert_uint_eq(r.cls[0].len, strlen("OU=admins;OU=ops"));
	ck_assert_uint_eq(r.n_groups, 3);
	ck_assert_str_eq(r.groups[0], "admins");
	ck_assert_str_eq(r.groups[1], "ops");
	ck_assert_str_eq(r.groups[2], "vpn-users");
	ck_assert_uint_eq(r.n_routes, 2);
	ck_assert_str_eq(r.routes[0].text, "10.10.0.0/255.255.0.0");
	ck_assert_uint_eq(r.routes[0].prefix, 16);
	ck_assert_str_eq(r.routes[1].text, "10.20.30.40/255.255.255.255");
	ck_assert_uint_eq(r.n_dns, 2);
	ck_assert_str_eq(r.dns[0].text, "10.0.0.53");
	ck_assert_str_eq(r.dns[1].text, "10.0.1.53");
	ck_assert_str_eq(r.message, "Welcome");
}
END_TEST

START_TEST(test_groups_only_with_groupconfig)
{
	struct radius_avp a[] = {
		text(RADIUS_CLASS, " OU=a ; ou=b;CN=x;OU=;OU=../etc"),
		text(RADIUS_FILTER_ID, "f"),
	};
	static struct radius_reply r;

	vals_used = 0;
	radius_reply_map(a, 2, false, &r);
	ck_assert_uint_eq(r.n_groups, 0);
	ck_assert_uint_eq(r.n_class, 1);    /* still echoed in accounting */
	radius_reply_map(a, 2, true, &r);
	ck_assert_uint_eq(r.n_groups, 3);
	ck_assert_str_eq(r.groups[0], "a");
	ck_assert_str_eq(r.groups[1], "b");
	ck_assert_str_eq(r.groups[2], "f");
	ck_assert_uint_eq(r.bad, 1);          /* "../etc" names no file of ours */
}
END_TEST

START_TEST(test_bad_values)
{
	uint8_t three[3] = { 1, 2, 3 };
	struct radius_avp a[] = {
		avp(0, RADIUS_SESSION_TIMEOUT, three, 3),
		u32(RADIUS_IDLE_TIMEOUT, 0),
		u32(RADIUS_ACCT_INTERIM_INTERVAL, 0x80000000u),
		ip(0, RADIUS_FRAMED_IP_NETMASK, "255.0.255.0"),
		text(RADIUS_FRAMED_ROUTE, "10.0.0.0/33"),
		text(RADIUS_FRAMED_ROUTE, "not-a-net/8"),
		text(RADIUS_FRAMED_ROUTE, "10.0.0.0/x"),
		avp(0, RADIUS_FRAMED_ROUTE, "1.2.3.4\0", 8),
		avp(RADIUS_VENDOR_MICROSOFT, RADIUS_MS_PRIMARY_DNS, three, 3),
		avp(0, RADIUS_CLASS, three, 0),
		avp(0, RADIUS_STATE, three, 0),
	};
	static struct radius_reply r;

	vals_used = 0;
	radius_reply_map(a, sizeof(a) / sizeof(a[0]), true, &r);
	ck_assert_uint_eq(r.set, 0);
	ck_assert_uint_eq(r.bad, sizeof(a) / sizeof(a[0]));
}
END_TEST

START_TEST(test_nas_chooses_address)
{
	struct radius_avp a[] = {
		ip(0, RADIUS_FRAMED_IP_ADDRESS, "255.255.255.254"),
		ip(0, RADIUS_FRAMED_IP_ADDRESS, "255.255.255.255"),
		u32(12345, 1),                                     /* unknown: ignored */
		avp(9, 1, "x", 1),                                 /* Cisco VSA: ignored */
	};
	static struct radius_reply r;

	vals_used = 0;
	radius_reply_map(a, 4, true, &r);
	ck_assert_uint_eq(r.set, 0);
	ck_assert_uint_eq(r.bad, 0);
}
END_TEST

START_TEST(test_challenge_state_and_message)
{
	struct radius_avp a[] = {
		text(RADIUS_REPLY_MESSAGE, "Enter\tyour OTP"),
		text(RADIUS_REPLY_MESSAGE, "code:"),
		avp(0, RADIUS_STATE, "\x01\x00\xff", 3),
	};
	static struct radius_reply r;

	vals_used = 0;
	radius_reply_map(a, 3, false, &r);
	ck_assert_str_eq(r.message, "Enteryour OTP\ncode:");
	ck_assert_uint_eq(r.state_len, 3);
	ck_assert_mem_eq(r.state, "\x01\x00\xff", 3);
}
END_TEST

START_TEST(test_limits)
{
	static struct radius_avp a[RADIUS_MAX_ROUTES + 10];
	static struct radius_reply r;
	size_t n = 0;

	vals_used = 0;
	for (; n < RADIUS_MAX_ROUTES + 2; n++)
		a[n] = text(RADIUS_FRAMED_ROUTE, "10.1.0.0/16");
	for (int i = 0; i < 6; i++)
		a[n++] = text(RADIUS_CLASS, "c");
	radius_reply_map(a, n, false, &r);
	ck_assert_uint_eq(r.n_routes, RADIUS_MAX_ROUTES);
	ck_assert_uint_eq(r.n_class, RADIUS_MAX_CLASS);
	ck_assert_uint_eq(r.dropped, 2 + 6 - RADIUS_MAX_CLASS);
}
END_TEST

START_TEST(test_from_wire)
{
	/* Session-Timeout 20, a Microsoft VSA with two DNS servers, Class */
	static const uint8_t w[] = {
		27, 6, 0, 0, 0, 20,
		26, 18, 0, 0, 0x01, 0x37, 28, 6, 10, 0, 0, 53, 29, 6, 10, 0, 1, 53,
		25, 5, 'O', 'U', '=',
	};
	struct radius_avp a[8];
	static struct radius_reply r;
	int n = radius_avps_from_wire(w, sizeof(w), a, 8);

	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(a[1].vendor, RADIUS_VENDOR_MICROSOFT);
	radius_reply_map(a, (size_t)n, true, &r);
	ck_assert_uint_eq(r.session_timeout_s, 20);
	ck_assert_uint_eq(r.n_dns, 2);
	ck_assert_uint_eq(r.n_class, 1);
	/* truncated, zero length, VSA too short */
	ck_assert_int_eq(radius_avps_from_wire(w, 5, a, 8), -1);
	ck_assert_int_eq(radius_avps_from_wire((const uint8_t *)"\x1b\x00", 2, a, 8), -1);
	ck_assert_int_eq(radius_avps_from_wire((const uint8_t *)"\x1a\x04\x00\x00", 4, a, 8), -1);
	/* more than max: counted up to max */
	ck_assert_int_eq(radius_avps_from_wire(w, sizeof(w), a, 2), 2);
}
END_TEST

START_TEST(test_terminate_cause)
{
	ck_assert_int_eq(radius_terminate_cause(VPN_END_USER_DISCONNECT, false), 1);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_IDLE_TIMEOUT, false), 4);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_SESSION_TIMEOUT, true), 5);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_COOKIE_EXPIRED, true), 2);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_ADMIN_TERMINATE, false), 6);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_ADMIN_DISCONNECT, false), 6);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_SERVER_SHUTDOWN, false), 11);
	ck_assert_int_eq(radius_terminate_cause(VPN_END_SUPERSEDED, false), 10);
	ck_assert_str_eq(radius_terminate_cause_str(RADIUS_TC_LOST_CARRIER), "Lost-Carrier");
	ck_assert_str_eq(radius_terminate_cause_str(radius_terminate_cause(VPN_END_NONE, false)),
			 "NAS-Error");
}
END_TEST

static Suite *radius_map_suite(void)
{
	Suite *s = suite_create("radius-map");
	TCase *tc = tcase_create("map");

	tcase_add_test(tc, test_accept_values);
	tcase_add_test(tc, test_groups_only_with_groupconfig);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_nas_chooses_address);
	tcase_add_test(tc, test_challenge_state_and_message);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_from_wire);
	tcase_add_test(tc, test_terminate_cause);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(radius_map_suite)
