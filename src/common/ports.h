/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_PORTS_H
#define OCSM_PORTS_H

/*
 * restrict-user-to-ports (doc/config-reference.md): which protocols and
 * destination ports a client's packets may go to, in ocserv's syntax:
 *
 *   tcp(443), tcp(80), udp(443), sctp(99), icmp(), icmpv6()
 *                    only these pass (an allow list)
 *   !(tcp(443), tcp(80))
 *                    everything but these passes (a deny list)
 *
 * Items are separated by commas and/or blanks; protocol names are
 * case-insensitive; tcp, udp and sctp take one port 1..65535, icmp and
 * icmpv6 take none. Pure code: no allocation, no I/O, no clock.
 *
 * The packet side reads the IPv4 or IPv6 header (IPv6 extension headers
 * included) of a packet the client sent and decides with the filter:
 *   - a packet whose transport header is not complete (a first fragment
 *     shorter than the destination port) is judged as a packet of its
 *     protocol without a port: it matches no port item;
 *   - a non-first fragment carries no port: it passes when its protocol has
 *     an item in an allow list, and always passes a deny list (the first
 *     fragment decides; without it the datagram is never reassembled);
 *   - a packet that is not IPv4 or IPv6, or whose IP header is cut short,
 *     never passes an allow list and always passes a deny list.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORTS_MAX_RULES 128
#define PORTS_ERR_MAX 160

/* IANA protocol numbers of the items. */
enum ports_proto {
	PORTS_ICMP = 1,
	PORTS_TCP = 6,
	PORTS_UDP = 17,
	PORTS_ICMPV6 = 58,
	PORTS_SCTP = 132,
};

struct ports_rule {
	uint8_t proto;     /* enum ports_proto */
	uint16_t port;     /* destination port; 0 for icmp and icmpv6 */
};

struct ports_filter {
	bool negate;       /* "!(...)": the items are denied, the rest passes */
	size_t n;
	struct ports_rule rules[PORTS_MAX_RULES];
};

/* Parse text (NUL-terminated) into *out. 0, or -EINVAL with a message in
 * err (errlen bytes, may be 0) naming what is wrong. An empty list (no item)
 * is an error. */
int ports_parse(const char *text, struct ports_filter *out, char *err, size_t errlen);

/* The canonical text of f ("tcp(443), udp(53)", "!(icmp())") into buf; the
 * length written, or -ENOSPC when buf is too small. ports_parse gives back
 * the same filter from it. */
int ports_format(const struct ports_filter *f, char *buf, size_t len);

/* What the filter needs of a packet: its transport protocol and port. */
struct ports_l4 {
	bool ip;           /* an IPv4 or IPv6 header was read */
	bool later_fragment; /* a non-first fragment: no transport header */
	uint8_t proto;     /* transport protocol (IPv6: after the extension headers) */
	bool has_port;     /* a tcp, udp or sctp header with its destination port */
	uint16_t dport;
};

/* Read the IP header of pkt (len bytes). Never reads past len. */
void ports_packet_l4(const uint8_t *pkt, size_t len, struct ports_l4 *out);

/* True when the filter lets the packet pass. */
bool ports_allow(const struct ports_filter *f, const uint8_t *pkt, size_t len);

#endif
