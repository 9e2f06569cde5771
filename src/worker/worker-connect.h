/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_CONNECT_H
#define OCSM_WORKER_CONNECT_H

/*
 * Pure pieces of the CONNECT answer (doc/spec/interop.md §2): the tunnel MTU and the
 * header block of `HTTP/1.1 200 CONNECTED`. No I/O, no clock, no logging, so
 * both are unit tested byte for byte (tests/unit/test-connect-reply.c).
 */

#include <stdbool.h>
#include <stddef.h>

/* Headers of the TCP connection the CSTP packets ride on. */
#define CSTP_IPV4_HDR 20u
#define CSTP_IPV6_HDR 40u
#define CSTP_TCP_HDR 20u
#define CSTP_HDR 8u
/* One CSTP packet per TLS record, and a TLS record carries at most 2^14
 * plaintext bytes: the largest IP packet CSTP can carry. */
#define CSTP_MTU_MAX (16384u - CSTP_HDR)
/* Smallest link MTU we compute with (the IPv4 minimum datagram size). */
#define CSTP_LINK_MTU_MIN 576u
/* Link MTU assumed when neither the tun device nor the config gives one. */
#define CSTP_LINK_MTU_DEFAULT 1500u

struct cstp_mtu {
	unsigned base;	/* X-CSTP-Base-MTU: the link MTU we settled on */
	unsigned data;	/* X-CSTP-MTU: the largest IP packet in the tunnel */
};

/*
 * The tunnel MTU when no DTLS channel is negotiated (doc/spec/interop.md
 * §6.7, the ocserv computation with the CSTP/TCP overhead in place of the
 * DTLS/UDP one, since every packet then rides CSTP; dtls_mtu_compute() below
 * is the one for a tunnel with DTLS):
 *
 *   base = min(link_mtu, client_base_mtu, tcp_pmtu), each 0 = unknown/ignored,
 *          link_mtu 0 meaning CSTP_LINK_MTU_DEFAULT, and base >= 576
 *   data = base - IP header of the TCP connection (20 IPv4, 40 IPv6)
 *               - 20 (TCP) - tls_overhead (GnuTLS record overhead of the
 *               negotiated cipher) - 8 (CSTP header)
 *          capped at CSTP_MTU_MAX.
 *
 * link_mtu is the configured `mtu` if set, else the tun device's MTU;
 * client_base_mtu is the client's X-CSTP-Base-MTU; tcp_pmtu the kernel's
 * path MTU of the CSTP socket. A packet of `data` bytes then leaves as one
 * TCP segment of at most `base` bytes on the client's link.
 */
struct cstp_mtu cstp_mtu_compute(unsigned link_mtu, unsigned client_base_mtu,
				 unsigned tcp_pmtu, bool tcp_over_ipv6,
				 unsigned tls_overhead);

/*
 * The DTLS channel (doc/spec/interop.md §6.7, doc/spec/liveness.md §7). The datagrams of the
 * tunnel ride on UDP over the same IP path as the TCP connection, and the
 * PSK-NEGOTIATE handshake normally settles on AES-GCM, whose DTLS 1.2 record
 * adds a 13-byte header, an 8-byte explicit nonce and a 16-byte tag; the
 * tunnel's own type byte comes on top:
 *
 *   base = as cstp_mtu_compute()
 *   data = base - IP header (20 IPv4, 40 IPv6) - 8 (UDP)
 *               - dtls_overhead - 1 (type byte)
 *
 * With base 1500 over IPv4 and the GCM overhead this is 1434, what ocserv
 * advertises and what openconnect 9.01 computes for its own DTLS data MTU
 * from X-CSTP-Base-MTU (base - 28, minus GnuTLS's record overhead, minus 1),
 * so the client keeps the advertised X-CSTP-MTU as its tunnel MTU and its
 * MTU probe of data + 1 bytes fits one record on our side too. A suite with
 * more overhead makes the client lower its own MTU ("DTLS MTU reduced");
 * the server then sends the packets that do not fit over CSTP.
 */
#define DTLS_UDP_HDR 8u
#define DTLS_OVERHEAD_AES_GCM (13u + 8u + 16u)
#define DTLS_TYPE_HDR 1u
struct cstp_mtu dtls_mtu_compute(unsigned link_mtu, unsigned client_base_mtu,
				 unsigned tcp_pmtu, bool ipv6, unsigned dtls_overhead);

/* True when the client's X-DTLS-CipherSuite value (NULL: header absent, as
 * with --no-dtls) offers PSK-NEGOTIATE: one of its ':'-separated names,
 * exactly. Only then is the DTLS block sent. */
bool dtls_psk_offered(const char *ciphersuites);

/* Hex digits of the largest X-DTLS-App-ID (32 bytes). */
#define CSTP_APP_ID_HEX_MAX 64u

/* Everything the 200 CONNECTED header block says. Strings must not contain
 * CR, LF or other control characters (the builder refuses them). */
struct cstp_reply {
	const char *server_name;	/* X-CSTP-Server-Name; NULL = omit */
	const char *hostname;		/* X-CSTP-Hostname echo; NULL = omit */
	unsigned dpd_s;			/* X-CSTP-DPD; 0 = omit (client never probes) */
	const char *ipv4;		/* X-CSTP-Address; required */
	const char *ipv4_netmask;	/* X-CSTP-Netmask; required */
	/* The client's IPv6 address and prefix (ipv6-network); NULL = none.
	 * full_ipv6 (it sent X-CSTP-Full-IPv6-Capability: true): one
	 * X-CSTP-Address-IP6: ADDR/PREFIX; otherwise the older form, a second
	 * X-CSTP-Address: ADDR and X-CSTP-Netmask: ADDR/PREFIX. */
	const char *ipv6;
	unsigned ipv6_prefix;		/* 1..128 */
	bool full_ipv6;
	/* The client asked for no IPv6 (X-CSTP-Address-Type without IPv6):
	 * IPv6 DNS and NBNS servers and IPv6 routes are left out. */
	bool no_ipv6;
	bool client_bypass_protocol;	/* X-CSTP-Client-Bypass-Protocol: true, else false */
	const char *const *dns;		/* X-CSTP-DNS, one header each */
	size_t n_dns;
	const char *const *nbns;	/* X-CSTP-NBNS, one header each */
	size_t n_nbns;
	const char *const *split_dns;	/* X-CSTP-Split-DNS, one domain each */
	size_t n_split_dns;
	bool tunnel_all_dns;		/* X-CSTP-Tunnel-All-DNS: true; false = omit */
	/* X-CSTP-Split-Include(-IP6), one per route, "net/mask" or "net/prefix"
	 * (IPv4 prefixes are written as dotted masks); "default" and
	 * 0.0.0.0/0 are skipped: no Split-Include = default route. */
	const char *const *routes;
	size_t n_routes;
	const char *const *no_routes;	/* X-CSTP-Split-Exclude(-IP6), same form */
	size_t n_no_routes;
	const char *default_domain;	/* X-CSTP-Default-Domain; NULL/"" = omit */
	unsigned keepalive_s;		/* X-CSTP-Keepalive */
	unsigned idle_timeout_s;	/* X-CSTP-Idle-Timeout; 0 = none */
	unsigned rekey_time_s;		/* X-CSTP-Rekey-Time, method new-tunnel; 0 = method none */
	unsigned session_timeout_s;	/* X-CSTP-Session-Timeout; 0 = none */
	unsigned session_remaining_s;	/* X-CSTP-Session-Timeout-Remaining */
	unsigned cookie_timeout_s;	/* X-CSTP-Disconnected-Timeout */
	struct cstp_mtu mtu;		/* X-CSTP-Base-MTU, X-CSTP-MTU */
	/* The X-DTLS-* block (doc/spec/interop.md §2.3, §6.2); nothing when !enabled
	 * (a client without DTLS, or a server without a UDP port). */
	struct {
		bool enabled;
		unsigned port;			/* X-DTLS-Port: main's UDP port, 1..65535 */
		unsigned dpd_s;			/* X-DTLS-DPD; 0 = omit */
		unsigned keepalive_s;		/* X-DTLS-Keepalive */
		const unsigned char *app_id;	/* X-DTLS-App-ID, app_id_len bytes in hex;
						 * legacy: X-DTLS-Session-ID */
		size_t app_id_len;		/* 1..32; legacy: 32 */
		/* Legacy resume (doc/spec/interop.md §6.4): the picked suite's name,
		 * answered in X-DTLS12-CipherSuite (legacy_dtls12) or
		 * X-DTLS-CipherSuite, then X-DTLS-MTU; NULL: PSK-NEGOTIATE. */
		const char *legacy_cipher;
		bool legacy_dtls12;
	} dtls;
};

/*
 * Write the complete reply (status line, headers, the empty line; CRLF line
 * endings, no body) to buf. The caller sends it as ONE TLS record.
 * Returns its length (buf is also NUL-terminated), -ENOSPC when it does not
 * fit in size bytes, -EINVAL for a missing address/netmask, a bad IPv6
 * address or prefix, a malformed
 * route, a string with control characters, or a DTLS block without a port
 * or with an App-ID that is not 1..32 bytes.
 *
 * With DTLS the block carries, before the MTU headers: X-DTLS-DPD,
 * X-DTLS-Port, X-DTLS-Rekey-Time (CSTP rekey-time + 10 s, as ocserv, so the
 * CSTP new-tunnel rekey and its fresh App-ID come first; no X-DTLS-Rekey-
 * Method, as ocserv unless it renegotiates), X-DTLS-Keepalive,
 * X-DTLS-App-ID (fresh per CONNECT, lower-case hex) and
 * X-DTLS-CipherSuite: PSK-NEGOTIATE. In the legacy mode X-DTLS-Session-ID
 * (32 bytes, 64 hex digits) takes the App-ID's place, the suite goes in the
 * header its name was offered in, and X-DTLS-MTU (= X-CSTP-MTU) follows.
 */
int cstp_connect_reply(char *buf, size_t size, const struct cstp_reply *r);

#endif
