/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_TIME_H
#define VPN_TIME_H

/*
 * Time for the liveness engine.
 *
 * Every machine in src/vpn takes "now" as an argument and never reads a clock
 * itself (only ev-adapter.c does). Time is a monotonic count of milliseconds
 * (CLOCK_MONOTONIC in the daemon, small integers in the tests); its origin is
 * irrelevant, only differences matter.
 *
 * VPN_NEVER (UINT64_MAX) means "no deadline". Every helper here treats it as
 * positive infinity, so a disabled timer can take part in a minimum and in an
 * addition without special cases at the call site:
 *
 *   vpn_ms_add(VPN_NEVER, d)   == VPN_NEVER
 *   vpn_ms_min(VPN_NEVER, t)   == t
 *   vpn_ms_reached(VPN_NEVER, now) == false, whatever now is
 *
 * Boundary convention (as ngtcp2): a timeout of d armed at t "has expired"
 * once at least d has passed, i.e. when t + d <= now. So at now = t + d - 1
 * nothing happens and at now = t + d the timer fires.
 */

#include <stdbool.h>
#include <stdint.h>

/* Monotonic milliseconds. */
typedef uint64_t vpn_ms_t;

/* "No deadline": later than any real time. */
#define VPN_NEVER UINT64_MAX

/* t + d, saturating at VPN_NEVER: adding to NEVER, adding NEVER, or an
 * addition that would overflow all give VPN_NEVER. */
static inline vpn_ms_t vpn_ms_add(vpn_ms_t t, vpn_ms_t d)
{
	if (t == VPN_NEVER || d == VPN_NEVER || d > VPN_NEVER - t)
		return VPN_NEVER;
	return t + d;
}

/* True iff the deadline is a real time and now is at or past it ("at least
 * the timeout has passed"). A VPN_NEVER deadline is never reached. */
static inline bool vpn_ms_reached(vpn_ms_t deadline, vpn_ms_t now)
{
	return deadline != VPN_NEVER && deadline <= now;
}

/* The earlier of two deadlines (VPN_NEVER loses against any real time). */
static inline vpn_ms_t vpn_ms_min(vpn_ms_t a, vpn_ms_t b)
{
	return a < b ? a : b;
}

/* The later of two times. */
static inline vpn_ms_t vpn_ms_max(vpn_ms_t a, vpn_ms_t b)
{
	return a > b ? a : b;
}

/* Configuration seconds (ocserv.conf) to engine milliseconds; cannot
 * overflow: UINT32_MAX * 1000 < 2^42. */
static inline vpn_ms_t vpn_s_to_ms(uint32_t s)
{
	return (vpn_ms_t)s * 1000u;
}

/* How long until the deadline: 0 if it is reached, VPN_NEVER if there is
 * none. Used to arm a timer and to show "seconds left" in occtl. */
static inline vpn_ms_t vpn_ms_until(vpn_ms_t deadline, vpn_ms_t now)
{
	if (deadline == VPN_NEVER)
		return VPN_NEVER;
	if (deadline <= now)
		return 0;
	return deadline - now;
}

#endif /* VPN_TIME_H */
