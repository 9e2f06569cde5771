/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the CONNECT reply builder and the CSTP MTU (src/worker/worker-connect.c). */
#include "config.h"

#include "worker/worker-connect.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "test-main.h"

static const char *const dns2[] = { "192.168.77.1", "10.0.0.53" };

static struct cstp_reply base_reply(void)
{
	return (struct cstp_reply){
		.server_name = "ocserv-modern 0.1.0",
		.dpd_s = 30,
		.ipv4 = "192.168.77.10",
		.ipv4_netmask = "255.255.255.0",
		.dns = dns2,
		.n_dns = 2,
		.default_domain = "example.test",
		.keepalive_s = 20,
		.idle_timeout_s = 1800,
		.rekey_time_s = 172800,
		.session_timeout_s = 3600,
		.session_remaining_s = 3500,
		.cookie_timeout_s = 300,
		.mtu = { .base = 1500, .data = 1430 },
	};
}

/* The project standard reply of doc/spec/interop.md §2.4, without DTLS, byte for byte,
 * with the DNS headers in ocserv's order (NBNS, Split-DNS before the routes,
 * Tunnel-All-DNS after Split-Include). */
START_TEST(test_full_reply)
{
	static const char *const routes[] = { "10.10.0.0/255.255.0.0", "172.16.0.0/12",
					      "fd00:1::/64" };
	static const char *const no_routes[] = { "10.10.5.0/24" };
	static const char *const nbns[] = { "192.168.77.2" };
	static const char *const split_dns[] = { "corp.example", "lab.example" };
	struct cstp_reply r = base_reply();
	char buf[2048];
	int n;

	r.routes = routes;
	r.n_routes = 3;
	r.no_routes = no_routes;
	r.n_no_routes = 1;
	r.nbns = nbns;
	r.n_nbns = 1;
	r.split_dns = split_dns;
	r.n_split_dns = 2;
	r.tunnel_all_dns = true;
	n = cstp_connect_reply(buf, sizeof(buf), &r);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_str_eq(buf,
		"HTTP/1.1 200 CONNECTED\r\n"
		"X-CSTP-Version: 1\r\n"
		"X-CSTP-Server-Name: ocserv-modern 0.1.0\r\n"
		"X-CSTP-DPD: 30\r\n"
		"X-CSTP-Address: 192.168.77.10\r\n"
		"X-CSTP-Netmask: 255.255.255.0\r\n"
		"X-CSTP-DNS: 192.168.77.1\r\n"
		"X-CSTP-DNS: 10.0.0.53\r\n"
		"X-CSTP-NBNS: 192.168.77.2\r\n"
		"X-CSTP-Split-DNS: corp.example\r\n"
		"X-CSTP-Split-DNS: lab.example\r\n"
		"X-CSTP-Split-Include: 10.10.0.0/255.255.0.0\r\n"
		"X-CSTP-Split-Include: 172.16.0.0/255.240.0.0\r\n"
		"X-CSTP-Split-Include-IP6: fd00:1::/64\r\n"
		"X-CSTP-Tunnel-All-DNS: true\r\n"
		"X-CSTP-Client-Bypass-Protocol: false\r\n"
		"X-CSTP-Split-Exclude: 10.10.5.0/255.255.255.0\r\n"
		"X-CSTP-Default-Domain: example.test\r\n"
		"X-CSTP-Keepalive: 20\r\n"
		"X-CSTP-Idle-Timeout: 1800\r\n"
		"X-CSTP-Rekey-Time: 172800\r\n"
		"X-CSTP-Rekey-Method: new-tunnel\r\n"
		"X-CSTP-Session-Timeout: 3600\r\n"
		"X-CSTP-Session-Timeout-Remaining: 3500\r\n"
		"X-CSTP-Disconnected-Timeout: 300\r\n"
		"X-CSTP-Keep: true\r\n"
		"X-CSTP-TCP-Keepalive: true\r\n"
		"X-CSTP-License: accept\r\n"
		"X-CSTP-Base-MTU: 1500\r\n"
		"X-CSTP-MTU: 1430\r\n"
		"\r\n");
}
END_TEST

/* Zero means "omit" for DPD and "none" for the timeouts; no routes means no
 * Split-Include at all (default route); default routes are skipped. */
/* The client's IPv6 address: X-CSTP-Address-IP6 to a client with full IPv6
 * capability, the older Address/Netmask pair otherwise; a client that wants
 * no IPv6 gets neither, nor the IPv6 servers and routes. */
START_TEST(test_ipv6)
{
	static const char *const dns[] = { "192.168.77.1", "fd00:77::53" };
	static const char *const routes[] = { "10.10.0.0/16", "fd00:1::/64" };
	struct cstp_reply r = base_reply();
	char buf[2048];

	r.dns = dns;
	r.n_dns = 2;
	r.routes = routes;
	r.n_routes = 2;
	r.ipv6 = "fd00:77::2";
	r.ipv6_prefix = 128;
	r.full_ipv6 = true;
	r.client_bypass_protocol = true;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_nonnull(strstr(buf, "X-CSTP-Netmask: 255.255.255.0\r\n"
					  "X-CSTP-Address-IP6: fd00:77::2/128\r\n"
					  "X-CSTP-DNS: 192.168.77.1\r\n"
					  "X-CSTP-DNS: fd00:77::53\r\n"
					  "X-CSTP-Split-Include: 10.10.0.0/255.255.0.0\r\n"
					  "X-CSTP-Split-Include-IP6: fd00:1::/64\r\n"
					  "X-CSTP-Client-Bypass-Protocol: true\r\n"));
	/* an older client: a second Address and an IPv6 Netmask */
	r.full_ipv6 = false;
	r.ipv6_prefix = 64;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_nonnull(strstr(buf, "X-CSTP-Netmask: 255.255.255.0\r\n"
					  "X-CSTP-Address: fd00:77::2\r\n"
					  "X-CSTP-Netmask: fd00:77::2/64\r\n"));
	ck_assert_ptr_null(strstr(buf, "Address-IP6"));
	/* no IPv6 wanted */
	r.ipv6 = NULL;
	r.no_ipv6 = true;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_null(strstr(buf, "fd00"));
	ck_assert_ptr_nonnull(strstr(buf, "X-CSTP-DNS: 192.168.77.1\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "X-CSTP-Split-Include: 10.10.0.0/255.255.0.0\r\n"));
	/* a bad address or prefix is refused */
	r.no_ipv6 = false;
	r.ipv6 = "fd00:77::2";
	r.ipv6_prefix = 0;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r.ipv6_prefix = 129;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r.ipv6_prefix = 128;
	r.ipv6 = "192.168.77.2";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

START_TEST(test_zero_values)
{
	static const char *const routes[] = { "default", "0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0" };
	struct cstp_reply r = base_reply();
	char buf[2048];

	r.server_name = NULL;
	r.hostname = "client-host";
	r.dpd_s = 0;
	r.n_dns = 0;
	r.default_domain = "";
	r.idle_timeout_s = 0;
	r.rekey_time_s = 0;
	r.session_timeout_s = 0;
	r.session_remaining_s = 77;	/* ignored without a session timeout */
	r.routes = routes;
	r.n_routes = 4;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_str_eq(buf,
		"HTTP/1.1 200 CONNECTED\r\n"
		"X-CSTP-Version: 1\r\n"
		"X-CSTP-Hostname: client-host\r\n"
		"X-CSTP-Address: 192.168.77.10\r\n"
		"X-CSTP-Netmask: 255.255.255.0\r\n"
		"X-CSTP-Client-Bypass-Protocol: false\r\n"
		"X-CSTP-Keepalive: 20\r\n"
		"X-CSTP-Idle-Timeout: none\r\n"
		"X-CSTP-Rekey-Method: none\r\n"
		"X-CSTP-Session-Timeout: none\r\n"
		"X-CSTP-Session-Timeout-Remaining: none\r\n"
		"X-CSTP-Disconnected-Timeout: 300\r\n"
		"X-CSTP-Keep: true\r\n"
		"X-CSTP-TCP-Keepalive: true\r\n"
		"X-CSTP-License: accept\r\n"
		"X-CSTP-Base-MTU: 1500\r\n"
		"X-CSTP-MTU: 1430\r\n"
		"\r\n");
}
END_TEST

/* IPv4 prefixes become dotted masks at every length, /32 and /1 included. */
START_TEST(test_prefix_masks)
{
	static const struct { const char *route, *header; } cases[] = {
		{ "10.0.0.1/32", "X-CSTP-Split-Include: 10.0.0.1/255.255.255.255\r\n" },
		{ "128.0.0.0/1", "X-CSTP-Split-Include: 128.0.0.0/128.0.0.0\r\n" },
		{ "10.0.0.0/8", "X-CSTP-Split-Include: 10.0.0.0/255.0.0.0\r\n" },
		{ "192.168.0.0/23", "X-CSTP-Split-Include: 192.168.0.0/255.255.254.0\r\n" },
		{ "2001:db8::/32", "X-CSTP-Split-Include-IP6: 2001:db8::/32\r\n" },
	};
	struct cstp_reply r = base_reply();
	char buf[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *one[] = { cases[i].route };

		r.routes = one;
		r.n_routes = 1;
		ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
		ck_assert_msg(strstr(buf, cases[i].header) != NULL, "route %s: %s",
			      cases[i].route, buf);
		ck_assert_ptr_null(strstr(strstr(buf, cases[i].header) + strlen(cases[i].header),
					  "Split-Include"));
	}
}
END_TEST

static const char *const bad_routes[] = {
	"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/8x", "10.0.0.0/-1",
	"nonsense/8", "10.0.0.0/255.0.0.300", "fd00::/129", "fd00::/abc", "",
	"10.0.0.0/8\r\nX-Evil: 1",
};

START_TEST(test_bad_route)
{
	const char *one[] = { bad_routes[_i] };
	struct cstp_reply r = base_reply();
	char buf[2048];

	r.routes = one;
	r.n_routes = 1;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	ck_assert_str_eq(buf, "");
	r.routes = NULL;
	r.n_routes = 0;
	r.no_routes = one;
	r.n_no_routes = 1;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

/* Header injection through any string is refused. */
START_TEST(test_control_chars)
{
	static const char *const evil_dns[] = { "1.1.1.1\r\nX-CSTP-Address: 6.6.6.6" };
	struct cstp_reply r;
	char buf[2048];

	r = base_reply();
	r.default_domain = "a\nb";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = base_reply();
	r.dns = evil_dns;
	r.n_dns = 1;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = base_reply();
	r.server_name = "x\x7f";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = base_reply();
	r.hostname = "tab\there";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = base_reply();
	r.ipv4 = NULL;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = base_reply();
	r.ipv4_netmask = "";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

/* Every buffer size below the needed one gives -ENOSPC and an empty string;
 * the exact size (length + NUL) succeeds. */
START_TEST(test_buffer_sizes)
{
	struct cstp_reply r = base_reply();
	char ref[2048], buf[2048];
	int n = cstp_connect_reply(ref, sizeof(ref), &r);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(cstp_connect_reply(buf, 0, &r), -ENOSPC);
	for (size_t size = 1; size <= (size_t)n; size++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_int_eq(cstp_connect_reply(buf, size, &r), -ENOSPC);
		ck_assert_str_eq(buf, "");
	}
	ck_assert_int_eq(cstp_connect_reply(buf, (size_t)n + 1, &r), n);
	ck_assert_str_eq(buf, ref);
}
END_TEST

/* --- MTU ------------------------------------------------------------------ */

START_TEST(test_mtu_formula)
{
	struct cstp_mtu m;

	/* tun 1500, client base 1500, TLS 1.3 AES-GCM overhead 22:
	 * 1500 - 20 - 20 - 22 - 8 = 1430. */
	m = cstp_mtu_compute(1500, 1500, 0, false, 22);
	ck_assert_uint_eq(m.base, 1500);
	ck_assert_uint_eq(m.data, 1430);
	/* Same over an IPv6 TCP connection: 20 bytes less. */
	m = cstp_mtu_compute(1500, 1500, 0, true, 22);
	ck_assert_uint_eq(m.data, 1410);
	/* The smallest known value wins: the client's base MTU ... */
	m = cstp_mtu_compute(1500, 1400, 0, false, 29);
	ck_assert_uint_eq(m.base, 1400);
	ck_assert_uint_eq(m.data, 1400 - 20 - 20 - 29 - 8);
	/* ... or the TCP path MTU ... */
	m = cstp_mtu_compute(1500, 1500, 1492, false, 22);
	ck_assert_uint_eq(m.base, 1492);
	/* ... or the configured/tun MTU; 0 means unknown. */
	m = cstp_mtu_compute(1300, 0, 0, false, 22);
	ck_assert_uint_eq(m.base, 1300);
	m = cstp_mtu_compute(0, 0, 0, false, 22);
	ck_assert_uint_eq(m.base, CSTP_LINK_MTU_DEFAULT);
	/* Loopback client: Base-MTU 65535 is capped by the tun. */
	m = cstp_mtu_compute(1500, 65535, 65535, false, 22);
	ck_assert_uint_eq(m.base, 1500);
}
END_TEST

START_TEST(test_mtu_bounds)
{
	struct cstp_mtu m;

	/* Tiny link: raised to 576. */
	m = cstp_mtu_compute(100, 0, 0, false, 22);
	ck_assert_uint_eq(m.base, CSTP_LINK_MTU_MIN);
	ck_assert_uint_eq(m.data, 576 - 70);
	/* Huge link: one CSTP packet must fit one TLS record. */
	m = cstp_mtu_compute(65535, 0, 0, false, 22);
	ck_assert_uint_eq(m.base, 65535);
	ck_assert_uint_eq(m.data, CSTP_MTU_MAX);
	ck_assert_uint_eq(CSTP_MTU_MAX + CSTP_HDR, 16384);
	/* Nonsense TLS overhead cannot wrap. */
	m = cstp_mtu_compute(1500, 0, 0, true, 100000);
	ck_assert_uint_eq(m.data, 1500 - 750 - 68);
}
END_TEST

/* --- DTLS (PSK-NEGOTIATE) -------------------------------------------------- */

static const unsigned char app_id32[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0xff,
};

static struct cstp_reply dtls_reply(void)
{
	struct cstp_reply r = base_reply();

	r.dns = NULL;
	r.n_dns = 0;
	r.default_domain = NULL;
	r.mtu = (struct cstp_mtu){ .base = 1500, .data = 1434 };
	r.dtls.enabled = true;
	r.dtls.port = 443;
	r.dtls.dpd_s = 30;
	r.dtls.keepalive_s = 20;
	r.dtls.app_id = app_id32;
	r.dtls.app_id_len = 32;
	return r;
}

/* The DTLS block of doc/spec/interop.md §2.4 (ocserv's order), byte for byte. */
START_TEST(test_dtls_block)
{
	struct cstp_reply r = dtls_reply();
	char buf[2048];
	int n;

	n = cstp_connect_reply(buf, sizeof(buf), &r);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf,
		"HTTP/1.1 200 CONNECTED\r\n"
		"X-CSTP-Version: 1\r\n"
		"X-CSTP-Server-Name: ocserv-modern 0.1.0\r\n"
		"X-CSTP-DPD: 30\r\n"
		"X-CSTP-Address: 192.168.77.10\r\n"
		"X-CSTP-Netmask: 255.255.255.0\r\n"
		"X-CSTP-Client-Bypass-Protocol: false\r\n"
		"X-CSTP-Keepalive: 20\r\n"
		"X-CSTP-Idle-Timeout: 1800\r\n"
		"X-CSTP-Rekey-Time: 172800\r\n"
		"X-CSTP-Rekey-Method: new-tunnel\r\n"
		"X-CSTP-Session-Timeout: 3600\r\n"
		"X-CSTP-Session-Timeout-Remaining: 3500\r\n"
		"X-CSTP-Disconnected-Timeout: 300\r\n"
		"X-CSTP-Keep: true\r\n"
		"X-CSTP-TCP-Keepalive: true\r\n"
		"X-CSTP-License: accept\r\n"
		"X-DTLS-DPD: 30\r\n"
		"X-DTLS-Port: 443\r\n"
		"X-DTLS-Rekey-Time: 172810\r\n"
		"X-DTLS-Keepalive: 20\r\n"
		"X-DTLS-App-ID: 000102030405060708090a0b0c0d0e0ff0e1d2c3b4a5968778695a4b3c2d1eff\r\n"
		"X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n"
		"X-CSTP-Base-MTU: 1500\r\n"
		"X-CSTP-MTU: 1434\r\n"
		"\r\n");
}
END_TEST

START_TEST(test_dtls_variants)
{
	struct cstp_reply r = dtls_reply();
	char buf[2048];

	/* DPD off: no X-DTLS-DPD either; no rekeying: no DTLS rekey time;
	 * never a DTLS rekey method (the client keeps none). */
	r.dpd_s = 0;
	r.dtls.dpd_s = 0;
	r.rekey_time_s = 0;
	r.dtls.app_id_len = 1;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_null(strstr(buf, "DPD"));
	ck_assert_ptr_null(strstr(buf, "X-DTLS-Rekey-Time"));
	ck_assert_ptr_null(strstr(buf, "X-DTLS-Rekey-Method"));
	ck_assert_ptr_nonnull(strstr(buf, "X-CSTP-Rekey-Method: none\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nX-DTLS-App-ID: 00\r\n"));
	/* A rekey-time near the top cannot wrap. */
	r.rekey_time_s = UINT_MAX - 3;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_nonnull(strstr(buf, "X-DTLS-Rekey-Time: 4294967295\r\n"));
	/* Disabled: not one X-DTLS- header (doc/spec/interop.md §2.1, --no-dtls). */
	r.dtls.enabled = false;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_null(strstr(buf, "X-DTLS"));
}
END_TEST

/* The legacy block (doc/spec/interop.md §2.3, §6.4): X-DTLS-Session-ID in
 * the App-ID's place, the suite in the header it was offered in, and
 * X-DTLS-MTU equal to X-CSTP-MTU. */
START_TEST(test_dtls_legacy_block)
{
	struct cstp_reply r = dtls_reply();
	char buf[2048];
	const char *dtls;

	r.dtls.legacy_cipher = "ECDHE-RSA-AES256-GCM-SHA384";
	r.dtls.legacy_dtls12 = true;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	dtls = strstr(buf, "X-DTLS-DPD");
	ck_assert_ptr_nonnull(dtls);
	ck_assert_str_eq(dtls,
		"X-DTLS-DPD: 30\r\n"
		"X-DTLS-Port: 443\r\n"
		"X-DTLS-Rekey-Time: 172810\r\n"
		"X-DTLS-Keepalive: 20\r\n"
		"X-DTLS-Session-ID: 000102030405060708090a0b0c0d0e0ff0e1d2c3b4a5968778695a4b3c2d1eff\r\n"
		"X-DTLS12-CipherSuite: ECDHE-RSA-AES256-GCM-SHA384\r\n"
		"X-DTLS-MTU: 1434\r\n"
		"X-CSTP-Base-MTU: 1500\r\n"
		"X-CSTP-MTU: 1434\r\n"
		"\r\n");
	ck_assert_ptr_null(strstr(buf, "App-ID"));
	ck_assert_ptr_null(strstr(buf, "PSK-NEGOTIATE"));
	/* a DTLS 0.9 suite goes in X-DTLS-CipherSuite */
	r.dtls.legacy_cipher = "AES128-SHA";
	r.dtls.legacy_dtls12 = false;
	r.mtu.data = 1406;
	ck_assert_int_gt(cstp_connect_reply(buf, sizeof(buf), &r), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nX-DTLS-CipherSuite: AES128-SHA\r\nX-DTLS-MTU: 1406\r\n"));
	ck_assert_ptr_null(strstr(buf, "X-DTLS12"));
	/* the session ID is exactly 32 bytes (openconnect: exactly 64 hex) */
	r.dtls.app_id_len = 16;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	ck_assert_str_eq(buf, "");
	r.dtls.app_id_len = 32;
	r.dtls.legacy_cipher = "AES128-SHA\r\nX-Evil: 1";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r.dtls.legacy_cipher = "";
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

START_TEST(test_dtls_refused)
{
	struct cstp_reply r = dtls_reply();
	char buf[2048];

	r.dtls.port = 0;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	ck_assert_str_eq(buf, "");
	r = dtls_reply();
	r.dtls.port = 65536;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = dtls_reply();
	r.dtls.app_id_len = 0;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = dtls_reply();
	r.dtls.app_id_len = 33;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
	r = dtls_reply();
	r.dtls.app_id = NULL;
	ck_assert_int_eq(cstp_connect_reply(buf, sizeof(buf), &r), -EINVAL);
}
END_TEST

START_TEST(test_dtls_mtu)
{
	struct cstp_mtu m;

	/* doc/spec/interop.md §6.7: 1500 -> 1434 with DTLS 1.2 PSK AES-256-GCM
	 * (20 IP + 8 UDP + 13 header + 8 nonce + 16 tag + 1 type). */
	ck_assert_uint_eq(DTLS_OVERHEAD_AES_GCM, 37);
	m = dtls_mtu_compute(1500, 1500, 1500, false, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.base, 1500);
	ck_assert_uint_eq(m.data, 1434);
	/* What the client computes for its DTLS data MTU from Base-MTU:
	 * base - 28 - 37 - 1; equal over IPv4, so no "DTLS MTU reduced". */
	ck_assert_uint_eq(m.data, m.base - 28 - 37 - 1);
	/* IPv6: 20 more for the header (the client, subtracting 20 always,
	 * then keeps X-CSTP-MTU as the smaller). */
	m = dtls_mtu_compute(1500, 0, 0, true, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.data, 1414);
	/* The smallest of link, client base and path; floors and caps as CSTP. */
	m = dtls_mtu_compute(1500, 1400, 1480, false, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.base, 1400);
	ck_assert_uint_eq(m.data, 1334);
	m = dtls_mtu_compute(1500, 1500, 1300, false, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.data, 1234);
	m = dtls_mtu_compute(100, 0, 0, false, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.base, CSTP_LINK_MTU_MIN);
	ck_assert_uint_eq(m.data, 576 - 66);
	m = dtls_mtu_compute(65535, 0, 0, false, DTLS_OVERHEAD_AES_GCM);
	ck_assert_uint_eq(m.data, CSTP_MTU_MAX);
	m = dtls_mtu_compute(0, 0, 0, false, 100000);
	ck_assert_uint_eq(m.data, 1500 - 750 - 29);
}
END_TEST

START_TEST(test_dtls_psk_offered)
{
	/* openconnect 9.01's offer (doc/spec/interop.md §2.1) */
	ck_assert(dtls_psk_offered("PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:OC2-DTLS1_2-CHACHA20-POLY1305:"
				   "OC-DTLS1_2-AES128-GCM:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA:"
				   "AES256-SHA:AES128-SHA"));
	ck_assert(dtls_psk_offered("AES128-SHA:PSK-NEGOTIATE"));
	ck_assert(dtls_psk_offered("PSK-NEGOTIATE"));
	ck_assert(dtls_psk_offered("::PSK-NEGOTIATE::"));
	/* legacy-only offers (AnyConnect), near misses, --no-dtls */
	ck_assert(!dtls_psk_offered("OC-DTLS1_2-AES256-GCM:AES256-SHA"));
	ck_assert(!dtls_psk_offered("PSK-NEGOTIATEX:XPSK-NEGOTIATE"));
	ck_assert(!dtls_psk_offered("psk-negotiate"));
	ck_assert(!dtls_psk_offered("PSK-NEGOTIAT"));
	ck_assert(!dtls_psk_offered(""));
	ck_assert(!dtls_psk_offered(NULL));
}
END_TEST

static Suite *connect_suite(void)
{
	Suite *s = suite_create("connect-reply");
	TCase *tc = tcase_create("headers");

	tcase_add_test(tc, test_full_reply);
	tcase_add_test(tc, test_zero_values);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_prefix_masks);
	tcase_add_loop_test(tc, test_bad_route, 0, sizeof(bad_routes) / sizeof(bad_routes[0]));
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_buffer_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("mtu");
	tcase_add_test(tc, test_mtu_formula);
	tcase_add_test(tc, test_mtu_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("dtls");
	tcase_add_test(tc, test_dtls_block);
	tcase_add_test(tc, test_dtls_variants);
	tcase_add_test(tc, test_dtls_legacy_block);
	tcase_add_test(tc, test_dtls_refused);
	tcase_add_test(tc, test_dtls_mtu);
	tcase_add_test(tc, test_dtls_psk_offered);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(connect_suite)
