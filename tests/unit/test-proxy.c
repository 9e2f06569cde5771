/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PROXY protocol header (src/codec/proxy.h): the lines and blocks
 * haproxy's send-proxy and send-proxy-v2 write, LOCAL, every way a header
 * can be refused, and the reader's rule that an incomplete header never
 * asks for a byte past its end.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/proxy.h"
#include "test-main.h"

static const uint8_t SIG[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* A v2 header: ver_cmd, fam_proto, then body[0..body_len) as the payload. */
static size_t v2(uint8_t *out, unsigned ver_cmd, unsigned fam, const uint8_t *body, size_t body_len)
{
	memcpy(out, SIG, 12);
	out[12] = (uint8_t)ver_cmd;
	out[13] = (uint8_t)fam;
	out[14] = (uint8_t)(body_len >> 8);
	out[15] = (uint8_t)body_len;
	if (body_len != 0)
		memcpy(out + 16, body, body_len);
	return 16 + body_len;
}

static const uint8_t INET_BODY[12] = { 192, 0, 2, 7, 198, 51, 100, 1, 0xc8, 0x22, 0x01, 0xbb };

static void check_addr(const struct sockaddr_storage *ss, socklen_t len, const char *ip,
		       unsigned port)
{
	char text[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		ck_assert_uint_eq(len, sizeof(*sin));
		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(sin->sin_port), port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		ck_assert_int_eq(ss->ss_family, AF_INET6);
		ck_assert_uint_eq(len, sizeof(*sin6));
		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(sin6->sin6_port), port);
	}
	ck_assert_str_eq(text, ip);
}

static int parse_str(const char *s, struct proxy_header *h)
{
	return proxy_parse((const uint8_t *)s, strlen(s), h);
}

START_TEST(test_v1_tcp4)
{
	const char *line = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n";
	char with_tls[128];
	struct proxy_header h;

	ck_assert_int_eq(parse_str(line, &h), PROXY_OK);
	ck_assert_uint_eq(h.version, 1);
	ck_assert(!h.local);
	ck_assert_uint_eq(h.len, strlen(line));
	check_addr(&h.src, h.src_len, "192.0.2.7", 51234);
	check_addr(&h.dst, h.dst_len, "198.51.100.1", 443);
	/* the TLS ClientHello right behind it is not part of it */
	snprintf(with_tls, sizeof(with_tls), "%s\x16\x03\x01", line);
	ck_assert_int_eq(parse_str(with_tls, &h), PROXY_OK);
	ck_assert_uint_eq(h.len, strlen(line));
}
END_TEST

START_TEST(test_v1_tcp6)
{
	struct proxy_header h;

	ck_assert_int_eq(parse_str("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n", &h), PROXY_OK);
	check_addr(&h.src, h.src_len, "2001:db8::7", 65535);
	check_addr(&h.dst, h.dst_len, "2001:db8::1", 0);
}
END_TEST

/* The longest line the protocol allows (107 bytes: UNKNOWN with two full
 * IPv6 addresses) is read to its end; one byte more is refused. */
START_TEST(test_v1_longest)
{
	const char *ip = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	char line[160];
	struct proxy_header h;

	snprintf(line, sizeof(line), "PROXY TCP6 %s %s 65535 65535\r\n", ip, ip);
	ck_assert_int_eq(parse_str(line, &h), PROXY_OK);
	check_addr(&h.src, h.src_len, ip, 65535);
	snprintf(line, sizeof(line), "PROXY UNKNOWN %s %s 65535 65535\r\n", ip, ip);
	ck_assert_uint_eq(strlen(line), PROXY_V1_MAX);
	ck_assert_int_eq(parse_str(line, &h), PROXY_E_FAMILY);
	snprintf(line, sizeof(line), "PROXY UNKNOWN %s %s 65535 655355\r\n", ip, ip);
	ck_assert_int_eq(parse_str(line, &h), PROXY_E_MALFORMED);
	/* 107 bytes and still no CRLF: no need to wait for more */
	memset(line, 'A', sizeof(line));
	memcpy(line, "PROXY ", 6);
	ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX - 1, &h), PROXY_NEED_MORE);
	ck_assert_int_eq(proxy_parse((const uint8_t *)line, PROXY_V1_MAX, &h), PROXY_E_MALFORMED);
}
END_TEST

START_TEST(test_v1_refused)
{
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{ "PROXY UNKNOWN\r\n", PROXY_E_FAMILY },
		{ "PROXY UNKNOWN 192.0.2.7 198.51.100.1 1 2\r\n", PROXY_E_FAMILY },
		{ "PROXY TCP5 192.0.2.7 198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 2001:db8::7 198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP6 192.0.2.7 2001:db8::1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 65536\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7  198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 2 \r\n", PROXY_E_MALFORMED },
		{ "PROXY  TCP4 192.0.2.7 198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.777 198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\rX", PROXY_E_MALFORMED },
		{ "PROXY TCP4 192.0.2.7\t198.51.100.1 1 2\r\n", PROXY_E_MALFORMED },
		{ "PROXY \r\n", PROXY_E_MALFORMED },
		{ "proxy TCP4 192.0.2.7 198.51.100.1 1 2\r\n", PROXY_E_NOT_PROXY },
		{ "PROXZ", PROXY_E_NOT_PROXY },
		{ "GET / HTTP/1.1\r\n", PROXY_E_NOT_PROXY },
		{ "\x16\x03\x01\x02\x00", PROXY_E_NOT_PROXY },
	};
	struct proxy_header h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse_str(cases[i].line, &h);

		ck_assert_msg(r == cases[i].want, "case %zu: %d, want %d", i, r, cases[i].want);
	}
}
END_TEST

START_TEST(test_v2_inet)
{
	uint8_t buf[64];
	size_t n = v2(buf, 0x21, 0x11, INET_BODY, sizeof(INET_BODY));
	struct proxy_header h;

	buf[n] = 0x16; /* the ClientHello behind it */
	ck_assert_int_eq(proxy_parse(buf, n + 1, &h), PROXY_OK);
	ck_assert_uint_eq(h.version, 2);
	ck_assert(!h.local);
	ck_assert_uint_eq(h.len, 28);
	check_addr(&h.src, h.src_len, "192.0.2.7", 51234);
	check_addr(&h.dst, h.dst_len, "198.51.100.1", 443);
}
END_TEST

START_TEST(test_v2_inet6_with_tlvs)
{
	uint8_t body[36 + 3 + 2 + 3 + 5], buf[128];
	struct in6_addr a, b;
	struct proxy_header h;
	size_t n;

	inet_pton(AF_INET6, "2001:db8::7", &a);
	inet_pton(AF_INET6, "2001:db8::1", &b);
	memcpy(body, &a, 16);
	memcpy(body + 16, &b, 16);
	body[32] = 0x30; body[33] = 0x39; body[34] = 0x01; body[35] = 0xbb;
	/* ALPN "h2", then a 5-byte NOOP */
	memcpy(body + 36, "\x01\x00\x02h2\x04\x00\x05\0\0\0\0\0", 3 + 2 + 3 + 5);
	n = v2(buf, 0x21, 0x21, body, sizeof(body));
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert_uint_eq(h.len, n);
	check_addr(&h.src, h.src_len, "2001:db8::7", 12345);
	check_addr(&h.dst, h.dst_len, "2001:db8::1", 443);
	/* a TLV running past the end */
	buf[16 + 36 + 5 + 2] = 6;
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_MALFORMED);
	/* a stray byte after the TLVs */
	n = v2(buf, 0x21, 0x21, body, 36 + 5 + 1);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_MALFORMED);
}
END_TEST

/* LOCAL (haproxy's health checks): accepted without addresses, whatever the
 * family and however long the block. */
START_TEST(test_v2_local)
{
	uint8_t buf[64];
	struct proxy_header h;
	size_t n = v2(buf, 0x20, 0x00, NULL, 0);

	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 16);
	ck_assert_uint_eq(h.src_len, 0);
	n = v2(buf, 0x20, 0x31, INET_BODY, 5);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_OK);
	ck_assert(h.local);
	ck_assert_uint_eq(h.len, 21);
}
END_TEST

START_TEST(test_v2_refused)
{
	uint8_t buf[PROXY_HEADER_MAX + 64], unix_body[216] = { 0 };
	struct proxy_header h;
	size_t n;

	/* version 1 in a v2 block, command 2 */
	n = v2(buf, 0x11, 0x11, INET_BODY, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_VERSION);
	n = v2(buf, 0x22, 0x11, INET_BODY, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_VERSION);
	/* UNSPEC, UNIX, DGRAM, UNSPEC protocol: refused from the 16 bytes on */
	n = v2(buf, 0x21, 0x00, NULL, 0);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_FAMILY);
	n = v2(buf, 0x21, 0x31, unix_body, sizeof(unix_body));
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_E_FAMILY);
	n = v2(buf, 0x21, 0x12, INET_BODY, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_FAMILY);
	n = v2(buf, 0x21, 0x10, INET_BODY, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_FAMILY);
	/* an address block too short for its family */
	n = v2(buf, 0x21, 0x11, INET_BODY, 11);
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_E_MALFORMED);
	n = v2(buf, 0x21, 0x21, INET_BODY, 12);
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_MALFORMED);
	/* longer than we take: known from the 16 bytes */
	buf[14] = (uint8_t)((PROXY_HEADER_MAX - 15) >> 8);
	buf[15] = (uint8_t)(PROXY_HEADER_MAX - 15);
	buf[13] = 0x11;
	ck_assert_int_eq(proxy_parse(buf, 16, &h), PROXY_E_TOO_LONG);
	buf[15] = (uint8_t)(PROXY_HEADER_MAX - 16);
	memset(buf + 28, 0, PROXY_HEADER_MAX - 28);
	buf[29] = (uint8_t)((PROXY_HEADER_MAX - 31) >> 8);
	buf[30] = (uint8_t)(PROXY_HEADER_MAX - 31);
	ck_assert_int_eq(proxy_parse(buf, PROXY_HEADER_MAX, &h), PROXY_OK);
	/* a broken signature */
	n = v2(buf, 0x21, 0x11, INET_BODY, 12);
	buf[11] = 0x0b;
	ck_assert_int_eq(proxy_parse(buf, n, &h), PROXY_E_NOT_PROXY);
	ck_assert_int_eq(proxy_parse(buf, 11, &h), PROXY_NEED_MORE);
}
END_TEST

/* Every strict prefix of a valid header asks for more, so a reader that
 * takes the bytes it has seen never takes one past the header. */
static void check_prefixes(const uint8_t *hdr, size_t len)
{
	struct proxy_header h;

	for (size_t k = 0; k < len; k++)
		ck_assert_msg(proxy_parse(hdr, k, &h) == PROXY_NEED_MORE, "prefix %zu of %zu", k, len);
	ck_assert_int_eq(proxy_parse(hdr, len, &h), PROXY_OK);
	ck_assert_uint_eq(h.len, len);
}

START_TEST(test_prefixes_need_more)
{
	const char *v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n";
	uint8_t buf[64];

	check_prefixes((const uint8_t *)v1, strlen(v1));
	check_prefixes(buf, v2(buf, 0x21, 0x11, INET_BODY, sizeof(INET_BODY)));
	check_prefixes(buf, v2(buf, 0x20, 0x00, NULL, 0));
}
END_TEST

/* Random and mutated input: never a crash, never a length past the input. */
START_TEST(test_garbage_is_safe)
{
	uint8_t buf[300], good[64];
	size_t n = v2(good, 0x21, 0x11, INET_BODY, sizeof(INET_BODY));
	struct proxy_header h;

	srand(7);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand() % sizeof(buf);
		int r;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (round % 2 == 0 && len >= n) {
			memcpy(buf, good, n);
			buf[(size_t)rand() % n] ^= (uint8_t)(1u << (rand() % 8));
		}
		r = proxy_parse(buf, len, &h);
		ck_assert(r >= PROXY_E_TOO_LONG && r <= PROXY_NEED_MORE);
		if (r == PROXY_OK)
			ck_assert_uint_le(h.len, len);
		ck_assert_ptr_nonnull(proxy_strerror(r));
	}
	ck_assert_str_eq(proxy_strerror(PROXY_E_FAMILY),
			 "PROXY header with an unsupported address family or protocol");
	ck_assert_str_eq(proxy_strerror(99), "unknown error");
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, test_v1_tcp4);
	tcase_add_test(tc, test_v1_tcp6);
	tcase_add_test(tc, test_v1_longest);
	tcase_add_test(tc, test_v1_refused);
	tcase_add_test(tc, test_v2_inet);
	tcase_add_test(tc, test_v2_inet6_with_tlvs);
	tcase_add_test(tc, test_v2_local);
	tcase_add_test(tc, test_v2_refused);
	tcase_add_test(tc, test_prefixes_need_more);
	tcase_add_test(tc, test_garbage_is_safe);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(proxy_suite)
