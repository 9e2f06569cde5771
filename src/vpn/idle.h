/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_IDLE_H
#define VPN_IDLE_H

/*
 * Idle timeout of one tunnel and the "is this user data?" classifier,
 * doc/spec/liveness.md §5 and §1. See idle.c for the timer and its timeline.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn/time.h"

/* Action bit returned by vpn_idle_handle_expiry(). */
enum vpn_idle_action {
	VPN_IDLE_ACT_TIMEOUT = 1u << 0,	/* no user data for I: end with idle-timeout */
};

struct vpn_idle {
	vpn_ms_t idle_ms;	/* I; 0 = no idle timeout */
	vpn_ms_t last_user_ms;	/* last user data either way (or start) */
	bool expired;		/* the timeout fired; no timer any more */
};

/* Start at now. idle_ms is the effective value the caller chose: the
 * per-user/group/global idle-timeout, or mobile-idle-timeout instead for a
 * mobile client (doc/spec/liveness.md §5, §8); the machine does not know about mobiles. */
void vpn_idle_init(struct vpn_idle *m, vpn_ms_t idle_ms, vpn_ms_t now);

/* User data moved (either direction) at now. Ignored once expired, and a now
 * older than the recorded one is ignored. */
void vpn_idle_on_user_data(struct vpn_idle *m, vpn_ms_t now);

/* last_user + I, or VPN_NEVER when I = 0 or once expired. Pure. */
vpn_ms_t vpn_idle_expiry(const struct vpn_idle *m);

/* Returns VPN_IDLE_ACT_TIMEOUT once, at the first call with now >= the
 * deadline; 0 otherwise (before it, or again afterwards). */
unsigned vpn_idle_handle_expiry(struct vpn_idle *m, vpn_ms_t now);

/*
 * Pure classifier for an IP packet (IPv4 or IPv6, no link header) read from
 * the tun device or carried in a client DATA frame. False for traffic that
 * hosts emit on their own and that therefore says nothing about a user:
 *   - IPv6 Neighbor Discovery: RS, RA, NS, NA, Redirect (ICMPv6 133..137);
 *   - MLD: query (130), v1 report (131), v1 done (132), v2 report (143);
 *   - IGMP (IPv4 protocol 2);
 *   - anything sent to link-local or interface-local scope multicast:
 *     IPv6 ff01::/16, ff02::/16 (and their flagged variants ff11::, ff12::,
 *     ... with the same scope nibble), IPv4 224.0.0.0/24;
 * and false for a truncated or malformed packet. True for everything else
 * (unicast, broadcast, wider-scope multicast, ICMP echo, ...).
 * IPv6 extension headers (hop-by-hop, routing, destination options, AH,
 * fragment) are walked with bounds checks; a non-first fragment is user data.
 */
bool vpn_packet_is_user_data(const uint8_t *ip, size_t len);

#endif /* VPN_IDLE_H */
