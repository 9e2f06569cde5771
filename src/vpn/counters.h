/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_COUNTERS_H
#define VPN_COUNTERS_H

/*
 * Server-wide liveness counters (doc/spec/liveness.md §10): main keeps one
 * set and counts every tunnel end and CONNECT result it learns of.
 */

#include <stdint.h>

#include "vpn/reason.h"
#include "vpn/session.h"

/* Server-wide counters (doc/spec/liveness.md §10), kept by whoever sees the ends. */
struct vpn_counters {
	uint64_t dpd_timeouts;		/* tunnels ended with dpd-timeout */
	uint64_t resumes;		/* sessions resumed from waiting-to-resume */
	uint64_t expiries;		/* sessions ended with cookie-expired */
	uint64_t takeovers;		/* tunnels ended with takeover */
	uint64_t idle_timeouts;		/* tunnels ended with idle-timeout */
	uint64_t session_timeouts;	/* sessions/tunnels ended with session-timeout */
};

/* Count one end with reason r (reasons without a counter are ignored). */
void vpn_counters_count_end(struct vpn_counters *c, enum vpn_end_reason r);
/* Count one CONNECT result (RESUME counts as a resume). */
void vpn_counters_count_connect(struct vpn_counters *c, enum vpn_connect_result r);

#endif /* VPN_COUNTERS_H */
