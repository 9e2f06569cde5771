/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/idle.c: the idle timer (doc/spec/liveness.md §5) and the
 * user-data classifier (§1). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/idle.h"
#include "vpn-test-util.h"

/* --- timer ---------------------------------------------------------------- */

enum { EV_USER = 1 };

static unsigned idle_handle(void *m, vpn_ms_t now)
{
	return vpn_idle_handle_expiry(m, now);
}

static unsigned idle_event(void *m, int ev, uint64_t arg, vpn_ms_t now)
{
	ck_assert_int_eq(ev, EV_USER);
	vpn_idle_on_user_data(m, now);
	return 0;
}

static vpn_ms_t idle_expiry(const void *m)
{
	return vpn_idle_expiry(m);
}

static bool idle_is_rx(int ev)
{
	return ev == EV_USER;
}

static const struct vpn_machine_ops idle_ops = {
	.size = sizeof(struct vpn_idle),
	.handle = idle_handle,
	.event = idle_event,
	.expiry = idle_expiry,
	.is_rx = idle_is_rx,
};

#define T VPN_IDLE_ACT_TIMEOUT
#define NEVER VPN_NEVER

START_TEST(timer_table)
{
	struct vpn_idle m;
	static const struct vpn_step steps[] = {
		{ 1000, VPN_EV_EXPIRY, 0, 0, 1801000 },
		{ 1800999, VPN_EV_EXPIRY, 0, 0, 1801000 },
		{ 1000000, EV_USER, 0, 0, 2800000 },
		{ 999999, EV_USER, 0, 0, 2800000 },	/* older stamp ignored */
		{ 2799999, VPN_EV_EXPIRY, 0, 0, 2800000 },
		{ 2800000, VPN_EV_EXPIRY, 0, T, NEVER },
		{ 2800000, EV_USER, 0, 0, NEVER },	/* too late: stays expired */
		{ 9000000, VPN_EV_EXPIRY, 0, 0, NEVER },
	};

	vpn_idle_init(&m, 1800000, 1000);
	VPN_STEPS(&idle_ops, &m, steps);
	ck_assert(m.expired);
}
END_TEST

START_TEST(timer_off)
{
	struct vpn_idle m;
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 5, EV_USER, 0, 0, NEVER },
		{ NEVER - 1, VPN_EV_EXPIRY, 0, 0, NEVER },
	};

	vpn_idle_init(&m, 0, 0);
	VPN_STEPS(&idle_ops, &m, steps);
}
END_TEST

static const vpn_ms_t idle_s[] = { 2, 10, 90, 1800 };

START_TEST(timer_sweep)
{
	struct vpn_idle m;
	vpn_ms_t i = vpn_s_to_ms((uint32_t)idle_s[_i]), start = 77;

	vpn_idle_init(&m, i, start);
	/* activity every I-1 keeps it alive */
	for (vpn_ms_t t = start + i - 1; t < start + 20 * i; t += i - 1) {
		ck_assert_uint_eq(vpn_idle_handle_expiry(&m, t), 0);
		vpn_idle_on_user_data(&m, t);
		vpn_check_after_expiry(&idle_ops, &m, t, "sweep");
	}
	ck_assert_uint_eq(vpn_idle_handle_expiry(&m, m.last_user_ms + i - 1), 0);
	ck_assert_uint_eq(vpn_idle_handle_expiry(&m, m.last_user_ms + i), T);
}
END_TEST

/* --- classifier ----------------------------------------------------------- */

static size_t ip4(uint8_t *b, uint8_t proto, const uint8_t dst[4], size_t payload)
{
	size_t total = 20 + payload;

	memset(b, 0, total);
	b[0] = 0x45;
	b[2] = (uint8_t)(total >> 8);
	b[3] = (uint8_t)total;
	b[8] = 64;
	b[9] = proto;
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = 2;
	memcpy(b + 16, dst, 4);
	return total;
}

static const uint8_t v4_unicast[4] = { 10, 0, 0, 1 };

/* IPv6 header to dst with next header nh and payload bytes appended. */
static size_t ip6(uint8_t *b, uint8_t nh, const uint8_t dst[16], const uint8_t *pl, size_t n)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	b[6] = nh;
	b[7] = 255;
	b[8] = 0xfe, b[9] = 0x80, b[23] = 1;
	memcpy(b + 24, dst, 16);
	if (n)
		memcpy(b + 40, pl, n);
	return 40 + n;
}

static const uint8_t v6_unicast[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t v6_mldv2[16] = { 0xff, 0x02, [15] = 0x16 };
static const uint8_t v6_sol_node[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1 };

START_TEST(ipv4_cases)
{
	uint8_t b[128];
	size_t n;
	static const uint8_t mdns[4] = { 224, 0, 0, 251 }, igmp_all[4] = { 224, 0, 0, 22 };
	static const uint8_t wider[4] = { 224, 0, 1, 1 }, ssdp[4] = { 239, 255, 255, 250 };
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	n = ip4(b, 6, v4_unicast, 20);
	ck_assert(vpn_packet_is_user_data(b, n));
	n = ip4(b, 1, v4_unicast, 8);		/* ping */
	ck_assert(vpn_packet_is_user_data(b, n));
	n = ip4(b, 2, igmp_all, 8);
	ck_assert(!vpn_packet_is_user_data(b, n));
	n = ip4(b, 2, v4_unicast, 8);		/* IGMP whatever the address */
	ck_assert(!vpn_packet_is_user_data(b, n));
	n = ip4(b, 17, mdns, 8);
	ck_assert(!vpn_packet_is_user_data(b, n));
	n = ip4(b, 17, wider, 8);
	ck_assert(vpn_packet_is_user_data(b, n));
	n = ip4(b, 17, ssdp, 8);
	ck_assert(vpn_packet_is_user_data(b, n));
	n = ip4(b, 17, bcast, 8);
	ck_assert(vpn_packet_is_user_data(b, n));

	/* IGMP with a router-alert option (IHL 6) */
	n = ip4(b, 2, igmp_all, 12);
	b[0] = 0x46;
	ck_assert(!vpn_packet_is_user_data(b, n));
}
END_TEST

START_TEST(ipv4_malformed)
{
	uint8_t b[128];
	size_t n = ip4(b, 6, v4_unicast, 20);

	ck_assert(!vpn_packet_is_user_data(b, 19));
	ck_assert(!vpn_packet_is_user_data(b, n - 1));	/* total length > len */
	b[0] = 0x44;					/* IHL 4 */
	ck_assert(!vpn_packet_is_user_data(b, n));
	b[0] = 0x4f;					/* IHL 60 > total 40 */
	ck_assert(!vpn_packet_is_user_data(b, n));
	b[0] = 0x45;
	b[2] = 0, b[3] = 19;				/* total < IHL */
	ck_assert(!vpn_packet_is_user_data(b, n));
	b[3] = 40;
	ck_assert(vpn_packet_is_user_data(b, n + 10));	/* trailing padding is fine */
}
END_TEST

START_TEST(ipv6_nd_mld)
{
	uint8_t b[256], pl[64];
	size_t n;
	static const uint8_t chatter[] = { 130, 131, 132, 133, 134, 135, 136, 137, 143 };

	memset(pl, 0, sizeof(pl));
	for (size_t i = 0; i < sizeof(chatter); i++) {
		pl[0] = chatter[i];
		n = ip6(b, 58, v6_unicast, pl, 24);	/* unicast: type decides */
		ck_assert_msg(!vpn_packet_is_user_data(b, n), "icmpv6 type %u", chatter[i]);
	}
	pl[0] = 128;					/* echo request */
	n = ip6(b, 58, v6_unicast, pl, 16);
	ck_assert(vpn_packet_is_user_data(b, n));
	pl[0] = 1;					/* destination unreachable */
	n = ip6(b, 58, v6_unicast, pl, 48);
	ck_assert(vpn_packet_is_user_data(b, n));
	pl[0] = 135;					/* NS to the solicited-node group */
	n = ip6(b, 58, v6_sol_node, pl, 24);
	ck_assert(!vpn_packet_is_user_data(b, n));

	/* MLDv2 report behind a hop-by-hop header with router alert */
	memset(pl, 0, sizeof(pl));
	pl[0] = 58, pl[1] = 0;				/* HBH: next ICMPv6, 8 bytes */
	pl[2] = 5, pl[3] = 2;				/* router alert option */
	pl[8] = 143;
	n = ip6(b, 0, v6_mldv2, pl, 8 + 28);
	ck_assert(!vpn_packet_is_user_data(b, n));
	n = ip6(b, 0, v6_unicast, pl, 8 + 28);		/* even to unicast */
	ck_assert(!vpn_packet_is_user_data(b, n));
	pl[8] = 130;					/* MLD query */
	n = ip6(b, 0, v6_unicast, pl, 8 + 24);
	ck_assert(!vpn_packet_is_user_data(b, n));
	pl[8] = 129;					/* echo reply behind HBH */
	n = ip6(b, 0, v6_unicast, pl, 8 + 8);
	ck_assert(vpn_packet_is_user_data(b, n));
}
END_TEST

START_TEST(ipv6_multicast_scope)
{
	uint8_t b[128], pl[8] = { 0 };
	uint8_t dst[16];
	struct {
		uint8_t hi, lo;
		bool user;
	} cases[] = {
		{ 0xff, 0x02, false }, { 0xff, 0x12, false }, { 0xff, 0x32, false },
		{ 0xff, 0x01, false }, { 0xff, 0x11, false }, { 0xff, 0x05, true },
		{ 0xff, 0x08, true },  { 0xff, 0x0e, true },  { 0xff, 0x1e, true },
		{ 0xfe, 0x80, true },  { 0x20, 0x02, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;

		memset(dst, 0, sizeof(dst));
		dst[0] = cases[i].hi;
		dst[1] = cases[i].lo;
		dst[15] = 0xfb;
		n = ip6(b, 17, dst, pl, sizeof(pl));
		ck_assert_msg(vpn_packet_is_user_data(b, n) == cases[i].user, "%02x%02x::fb",
			      cases[i].hi, cases[i].lo);
	}
	{
		size_t n = ip6(b, 17, v6_all_nodes, pl, sizeof(pl));

		ck_assert(!vpn_packet_is_user_data(b, n));
	}
}
END_TEST

START_TEST(ipv6_extension_chains)
{
	uint8_t b[512], pl[400];
	size_t n, off;

	/* destination options (16 bytes) -> routing (8) -> TCP */
	memset(pl, 0, sizeof(pl));
	pl[0] = 43, pl[1] = 1;
	pl[16] = 6, pl[17] = 0;
	n = ip6(b, 60, v6_unicast, pl, 16 + 8 + 20);
	ck_assert(vpn_packet_is_user_data(b, n));

	/* AH (len field 4 -> 24 bytes) -> ICMPv6 NS */
	memset(pl, 0, sizeof(pl));
	pl[0] = 58, pl[1] = 4;
	pl[24] = 135;
	n = ip6(b, 51, v6_unicast, pl, 24 + 24);
	ck_assert(!vpn_packet_is_user_data(b, n));

	/* first fragment carrying an NS: still chatter, with or without the
	 * more-fragments flag */
	memset(pl, 0, sizeof(pl));
	pl[0] = 58;
	pl[8] = 135;
	n = ip6(b, 44, v6_unicast, pl, 8 + 24);
	ck_assert(!vpn_packet_is_user_data(b, n));
	pl[3] = 1;
	n = ip6(b, 44, v6_unicast, pl, 8 + 24);
	ck_assert(!vpn_packet_is_user_data(b, n));
	/* a later fragment: upper layer unknown, user data */
	pl[2] = 0, pl[3] = 8;
	n = ip6(b, 44, v6_unicast, pl, 8 + 24);
	ck_assert(vpn_packet_is_user_data(b, n));

	/* ESP and no-next-header */
	n = ip6(b, 50, v6_unicast, pl, 16);
	ck_assert(vpn_packet_is_user_data(b, n));
	n = ip6(b, 59, v6_unicast, pl, 0);
	ck_assert(vpn_packet_is_user_data(b, n));

	/* 16 extension headers are walked, 17 are refused */
	for (int count = 16; count <= 17; count++) {
		memset(pl, 0, sizeof(pl));
		for (off = 0; off < (size_t)count * 8; off += 8)
			pl[off] = off + 8 < (size_t)count * 8 ? 60 : 6;
		n = ip6(b, 60, v6_unicast, pl, (size_t)count * 8 + 20);
		ck_assert_msg(vpn_packet_is_user_data(b, n) == (count == 16), "%d headers", count);
	}
}
END_TEST

START_TEST(ipv6_malformed)
{
	uint8_t b[256], pl[64];
	size_t n;

	memset(pl, 0, sizeof(pl));
	n = ip6(b, 6, v6_unicast, pl, 20);
	ck_assert(!vpn_packet_is_user_data(b, 39));
	ck_assert(!vpn_packet_is_user_data(b, n - 1));	/* payload length > len */
	ck_assert(vpn_packet_is_user_data(b, n));

	/* HBH header cut short */
	n = ip6(b, 0, v6_unicast, pl, 4);
	ck_assert(!vpn_packet_is_user_data(b, n));
	/* HBH length pointing past the end */
	pl[0] = 6, pl[1] = 3;
	n = ip6(b, 0, v6_unicast, pl, 16);
	ck_assert(!vpn_packet_is_user_data(b, n));
	/* AH and fragment cut short */
	n = ip6(b, 51, v6_unicast, pl, 4);
	ck_assert(!vpn_packet_is_user_data(b, n));
	n = ip6(b, 44, v6_unicast, pl, 7);
	ck_assert(!vpn_packet_is_user_data(b, n));
	/* ICMPv6 header cut short */
	pl[0] = 135;
	n = ip6(b, 58, v6_unicast, pl, 3);
	ck_assert(!vpn_packet_is_user_data(b, n));
	/* an exactly empty HBH chain end: HBH -> ICMPv6 with nothing after */
	memset(pl, 0, sizeof(pl));
	pl[0] = 58;
	n = ip6(b, 0, v6_unicast, pl, 8);
	ck_assert(!vpn_packet_is_user_data(b, n));
}
END_TEST

START_TEST(not_ip)
{
	uint8_t b[64] = { 0 };

	ck_assert(!vpn_packet_is_user_data(NULL, 0));
	ck_assert(!vpn_packet_is_user_data(NULL, 40));
	ck_assert(!vpn_packet_is_user_data(b, 0));
	b[0] = 0x50;
	ck_assert(!vpn_packet_is_user_data(b, sizeof(b)));
	b[0] = 0x00;
	ck_assert(!vpn_packet_is_user_data(b, sizeof(b)));
}
END_TEST

static Suite *idle_suite(void)
{
	Suite *s = suite_create("vpn-idle");
	TCase *tc;

	tc = tcase_create("timer");
	tcase_add_test(tc, timer_table);
	tcase_add_test(tc, timer_off);
	tcase_add_loop_test(tc, timer_sweep, 0, (int)(sizeof(idle_s) / sizeof(idle_s[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("classifier");
	tcase_add_test(tc, ipv4_cases);
	tcase_add_test(tc, ipv4_malformed);
	tcase_add_test(tc, ipv6_nd_mld);
	tcase_add_test(tc, ipv6_multicast_scope);
	tcase_add_test(tc, ipv6_extension_chains);
	tcase_add_test(tc, ipv6_malformed);
	tcase_add_test(tc, not_ip);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(idle_suite)
