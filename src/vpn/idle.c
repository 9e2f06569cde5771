/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Idle timeout (doc/spec/liveness.md §5) and the user-data classifier (§1).
 *
 * Timer:
 *  - The tunnel is idle-timed-out when no user data moved in either
 *    direction for I: deadline = last user data + I, anchored at the tunnel's
 *    start. It fires once, at exactly that time; I = 0 means no idle timeout.
 *  - Only user data moves the anchor. DPD, keepalives and the chatter hosts
 *    emit on their own (ND, MLD, IGMP, link-local multicast) do not: an
 *    openconnect client probes and keeps alive forever, so counting those
 *    would mean no client is ever idled out (doc/spec/interop.md §4.5).
 *
 *   I = 1800 s
 *
 *   start/data      data            data+1800 s
 *   |---------------|---------------|
 *                   ^ re-anchors    idle-timeout (ends the tunnel)
 *
 * Which I applies (idle-timeout or mobile-idle-timeout, per-user and
 * per-group values) is decided by the caller when the tunnel attaches.
 */
#include "config.h"

#include "vpn/idle.h"

void vpn_idle_init(struct vpn_idle *m, vpn_ms_t idle_ms, vpn_ms_t now)
{
	m->idle_ms = idle_ms;
	m->last_user_ms = now;
	m->expired = false;
}

void vpn_idle_on_user_data(struct vpn_idle *m, vpn_ms_t now)
{
	if (m->expired || now < m->last_user_ms)
		return;
	m->last_user_ms = now;
}

vpn_ms_t vpn_idle_expiry(const struct vpn_idle *m)
{
	if (m->idle_ms == 0 || m->expired)
		return VPN_NEVER;
	return vpn_ms_add(m->last_user_ms, m->idle_ms);
}

unsigned vpn_idle_handle_expiry(struct vpn_idle *m, vpn_ms_t now)
{
	if (!vpn_ms_reached(vpn_idle_expiry(m), now))
		return 0;
	m->expired = true;
	return VPN_IDLE_ACT_TIMEOUT;
}

/* --- classifier ----------------------------------------------------------- */

#define IPPROTO_V4_IGMP 2

#define IP6_HDR_LEN 40
#define IP6_NH_HOPOPTS 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH 51
#define IP6_NH_ICMPV6 58
#define IP6_NH_DSTOPTS 60
/* A legitimate packet has a handful of extension headers; a longer chain is
 * treated as malformed rather than walked. */
#define IP6_MAX_EXT_HEADERS 16

static bool icmpv6_is_chatter(uint8_t type)
{
	switch (type) {
	case 130: /* MLD query */
	case 131: /* MLDv1 report */
	case 132: /* MLDv1 done */
	case 133: /* router solicitation */
	case 134: /* router advertisement */
	case 135: /* neighbor solicitation */
	case 136: /* neighbor advertisement */
	case 137: /* redirect */
	case 143: /* MLDv2 report */
		return true;
	default:
		return false;
	}
}

static bool ipv4_is_user_data(const uint8_t *ip, size_t len)
{
	size_t ihl, total;

	if (len < 20)
		return false;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = (size_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || ihl > len || total < ihl || total > len)
		return false;
	if (ip[9] == IPPROTO_V4_IGMP)
		return false;
	/* 224.0.0.0/24: local network control block, never forwarded */
	if (ip[16] == 224 && ip[17] == 0 && ip[18] == 0)
		return false;
	return true;
}

static bool ipv6_is_user_data(const uint8_t *ip, size_t len)
{
	size_t end, off = IP6_HDR_LEN;
	uint8_t nh;

	if (len < IP6_HDR_LEN)
		return false;
	end = IP6_HDR_LEN + ((size_t)ip[4] << 8 | ip[5]);
	if (end > len)
		return false;
	/* multicast with interface-local (1) or link-local (2) scope: ff01::/16,
	 * ff02::/16 and the flagged variants (ff12::, ...) */
	if (ip[24] == 0xff && ((ip[25] & 0x0f) == 0x01 || (ip[25] & 0x0f) == 0x02))
		return false;

	nh = ip[6];
	for (int i = 0; i <= IP6_MAX_EXT_HEADERS; i++) {
		switch (nh) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_ROUTING:
		case IP6_NH_DSTOPTS:
			if (end - off < 8)
				return false;
			nh = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
			break;
		case IP6_NH_AH:
			if (end - off < 8)
				return false;
			nh = ip[off];
			off += ((size_t)ip[off + 1] + 2) * 4;
			break;
		case IP6_NH_FRAGMENT:
			if (end - off < 8)
				return false;
			/* not the first fragment: the upper layer is elsewhere, and ND and
			 * MLD are never fragmented */
			if ((((size_t)ip[off + 2] << 8 | ip[off + 3]) & 0xfff8) != 0)
				return true;
			nh = ip[off];
			off += 8;
			break;
		case IP6_NH_ICMPV6:
			if (end - off < 4)
				return false;
			return !icmpv6_is_chatter(ip[off]);
		default:
			return true;	/* TCP, UDP, ESP, no-next-header, ... */
		}
		if (off > end)
			return false;
	}
	return false;
}

bool vpn_packet_is_user_data(const uint8_t *ip, size_t len)
{
	if (ip == NULL || len < 1)
		return false;
	switch (ip[0] >> 4) {
	case 4:
		return ipv4_is_user_data(ip, len);
	case 6:
		return ipv6_is_user_data(ip, len);
	default:
		return false;
	}
}
