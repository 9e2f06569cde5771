/* SPDX-License-Identifier: GPL-2.0-or-later */
/* restrict-user-to-ports: the parser and the packet check (src/common/ports.c). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/ports.h"
#include "test-main.h"

static struct ports_filter f;
static char err[PORTS_ERR_MAX];

static int parse(const char *s)
{
	return ports_parse(s, &f, err, sizeof(err));
}

START_TEST(allow_list)
{
	ck_assert_int_eq(parse("tcp(443), tcp(80), udp(443), sctp(99), tcp(583), icmp(), icmpv6()"), 0);
	ck_assert(!f.negate);
	ck_assert_uint_eq(f.n, 7);
	ck_assert_uint_eq(f.rules[0].proto, PORTS_TCP);
	ck_assert_uint_eq(f.rules[0].port, 443);
	ck_assert_uint_eq(f.rules[2].proto, PORTS_UDP);
	ck_assert_uint_eq(f.rules[3].proto, PORTS_SCTP);
	ck_assert_uint_eq(f.rules[3].port, 99);
	ck_assert_uint_eq(f.rules[5].proto, PORTS_ICMP);
	ck_assert_uint_eq(f.rules[5].port, 0);
	ck_assert_uint_eq(f.rules[6].proto, PORTS_ICMPV6);
}
END_TEST

START_TEST(deny_list_and_spacing)
{
	ck_assert_int_eq(parse("!(tcp(443), tcp(80))"), 0);
	ck_assert(f.negate);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_int_eq(parse("  ! ( TCP ( 22 )  UDP(53),,icmp( ) )  "), 0);
	ck_assert(f.negate);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_uint_eq(f.rules[0].port, 22);
	ck_assert_uint_eq(f.rules[1].proto, PORTS_UDP);
	ck_assert_int_eq(parse("udp(65535)"), 0);
	ck_assert_uint_eq(f.rules[0].port, 65535);
}
END_TEST

START_TEST(errors)
{
	static const char *const bad[] = {
		"", "   ", "!()", "tcp", "tcp(", "tcp()", "tcp(0)", "tcp(65536)", "tcp(99999999999)",
		"icmp(1)", "gre()", "tcp(443) )", "!(tcp(443)", "!(tcp(443)) x", "!tcp(443)",
		"tcp(443)udp(53)", "tcp(-1)", "tcp(44 3)", "(tcp(443))", "tcp(443);",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i]) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
		ck_assert_uint_eq(f.n, 0);
	}
	ck_assert_int_eq(parse("gre()"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown protocol 'gre'"));
	ck_assert_int_eq(parse("tcp()"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1..65535"));
}
END_TEST

START_TEST(too_many)
{
	char buf[PORTS_MAX_RULES * 12 + 32] = "";

	for (int i = 0; i < PORTS_MAX_RULES; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "tcp(%d),", i + 1);
	ck_assert_int_eq(parse(buf), 0);
	ck_assert_uint_eq(f.n, PORTS_MAX_RULES);
	strcat(buf, "udp(1)");
	ck_assert_int_eq(parse(buf), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
}
END_TEST

START_TEST(format_round_trip)
{
	static const char *const in[] = {
		"tcp(443), udp(53), sctp(99), icmp(), icmpv6()", "!(tcp(22))", "  TCP(80)   udp(1) ",
	};
	static const char *const want[] = {
		"tcp(443), udp(53), sctp(99), icmp(), icmpv6()", "!(tcp(22))", "tcp(80), udp(1)",
	};
	char out[256], small[8];

	for (size_t i = 0; i < 3; i++) {
		struct ports_filter g;

		ck_assert_int_eq(parse(in[i]), 0);
		ck_assert_int_eq(ports_format(&f, out, sizeof(out)), (int)strlen(want[i]));
		ck_assert_str_eq(out, want[i]);
		ck_assert_int_eq(ports_parse(out, &g, NULL, 0), 0);
		ck_assert_mem_eq(&g, &f, sizeof(f));
	}
	ck_assert_int_eq(ports_format(&f, small, sizeof(small)), -ENOSPC);
	ck_assert_int_eq(ports_format(&f, small, 0), -ENOSPC);
}
END_TEST

/* ---- packets */

static uint8_t pkt[128];

/* An IPv4 packet of proto to dport (fragment offset frag, in 8-byte units). */
static size_t v4(uint8_t proto, uint16_t dport, uint16_t frag)
{
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[6] = (uint8_t)(frag >> 8);
	pkt[7] = (uint8_t)frag;
	pkt[9] = proto;
	pkt[22] = (uint8_t)(dport >> 8);
	pkt[23] = (uint8_t)dport;
	return 40;
}

/* An IPv6 packet of proto to dport, behind a hop-by-hop header when hbh,
 * and a fragment header (offset frag) when fraghdr. */
static size_t v6(uint8_t proto, uint16_t dport, bool hbh, bool fraghdr, uint16_t frag)
{
	size_t off = 40;
	uint8_t *nh = &pkt[6];

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	if (hbh) {
		*nh = 0;
		nh = &pkt[off];
		pkt[off + 1] = 1; /* 16 bytes */
		off += 16;
	}
	if (fraghdr) {
		*nh = 44;
		nh = &pkt[off];
		pkt[off + 2] = (uint8_t)((frag << 3) >> 8);
		pkt[off + 3] = (uint8_t)(frag << 3);
		off += 8;
	}
	*nh = proto;
	pkt[off + 2] = (uint8_t)(dport >> 8);
	pkt[off + 3] = (uint8_t)dport;
	return off + 8;
}

START_TEST(allow_packets)
{
	ck_assert_int_eq(parse("tcp(443), udp(53), icmp(), icmpv6()"), 0);
	ck_assert(ports_allow(&f, pkt, v4(PORTS_TCP, 443, 0)));
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_TCP, 80, 0)));
	ck_assert(ports_allow(&f, pkt, v4(PORTS_UDP, 53, 0)));
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_UDP, 443, 0)));
	ck_assert(ports_allow(&f, pkt, v4(PORTS_ICMP, 0, 0)));
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_SCTP, 443, 0)));
	ck_assert(!ports_allow(&f, pkt, v4(47, 0, 0))); /* GRE: not listed */
	/* a later fragment of a listed protocol passes, of another not */
	ck_assert(ports_allow(&f, pkt, v4(PORTS_TCP, 80, 100)));
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_SCTP, 80, 100)));
	/* IPv6, behind extension headers too */
	ck_assert(ports_allow(&f, pkt, v6(PORTS_TCP, 443, false, false, 0)));
	ck_assert(ports_allow(&f, pkt, v6(PORTS_TCP, 443, true, true, 0)));
	ck_assert(!ports_allow(&f, pkt, v6(PORTS_TCP, 22, true, false, 0)));
	ck_assert(ports_allow(&f, pkt, v6(PORTS_ICMPV6, 0, true, false, 0)));
	ck_assert(ports_allow(&f, pkt, v6(PORTS_UDP, 9, false, true, 7)));
	/* cut short: nothing to judge, never allowed */
	v4(PORTS_TCP, 443, 0);
	ck_assert(!ports_allow(&f, pkt, 19));
	ck_assert(!ports_allow(&f, pkt, 22)); /* no destination port: no port item */
	v6(PORTS_TCP, 443, true, false, 0);
	ck_assert(!ports_allow(&f, pkt, 50));
	ck_assert(!ports_allow(&f, pkt, 0));
	pkt[0] = 0x20;
	ck_assert(!ports_allow(&f, pkt, 60));
}
END_TEST

START_TEST(deny_packets)
{
	ck_assert_int_eq(parse("!(tcp(22), icmp())"), 0);
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_TCP, 22, 0)));
	ck_assert(ports_allow(&f, pkt, v4(PORTS_TCP, 23, 0)));
	ck_assert(!ports_allow(&f, pkt, v4(PORTS_ICMP, 0, 0)));
	ck_assert(ports_allow(&f, pkt, v4(PORTS_UDP, 22, 0)));
	ck_assert(ports_allow(&f, pkt, v4(PORTS_TCP, 22, 3))); /* later fragment */
	ck_assert(!ports_allow(&f, pkt, v6(PORTS_TCP, 22, true, true, 0)));
	ck_assert(ports_allow(&f, pkt, v6(PORTS_TCP, 22, true, true, 2)));
	ck_assert(ports_allow(&f, pkt, v6(PORTS_ICMPV6, 0, false, false, 0)));
	ck_assert(ports_allow(&f, pkt, 10)); /* not IP: passes a deny list */
}
END_TEST

START_TEST(l4_header)
{
	struct ports_l4 l;
	size_t n = v4(PORTS_UDP, 5353, 0);

	pkt[0] = 0x46; /* 24-byte header: the port moves */
	pkt[26] = 0x12;
	pkt[27] = 0x34;
	ports_packet_l4(pkt, n, &l);
	ck_assert(l.ip && l.has_port && !l.later_fragment);
	ck_assert_uint_eq(l.dport, 0x1234);
	pkt[0] = 0x4f; /* 60-byte header, longer than the packet */
	ports_packet_l4(pkt, n, &l);
	ck_assert(!l.ip);
	pkt[0] = 0x44; /* IHL below 5 */
	ports_packet_l4(pkt, n, &l);
	ck_assert(!l.ip);
	/* nine extension headers: too many to walk */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	ports_packet_l4(pkt, sizeof(pkt), &l);
	ck_assert(!l.ip);
}
END_TEST

static Suite *ports_suite(void)
{
	Suite *s = suite_create("ports");
	TCase *tc = tcase_create("parse");
	TCase *tp = tcase_create("packets");

	tcase_add_test(tc, allow_list);
	tcase_add_test(tc, deny_list_and_spacing);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, too_many);
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tp, allow_packets);
	tcase_add_test(tp, deny_packets);
	tcase_add_test(tp, l4_header);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tp);
	return s;
}

TEST_MAIN(ports_suite)
