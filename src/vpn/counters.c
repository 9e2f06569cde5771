/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Server-wide liveness counters (doc/spec/liveness.md §10): see counters.h. */
#include "config.h"

#include "vpn/counters.h"

void vpn_counters_count_end(struct vpn_counters *c, enum vpn_end_reason r)
{
	switch (r) {
	case VPN_END_DPD_TIMEOUT:
		c->dpd_timeouts++;
		break;
	case VPN_END_TAKEOVER:
		c->takeovers++;
		break;
	case VPN_END_IDLE_TIMEOUT:
		c->idle_timeouts++;
		break;
	case VPN_END_SESSION_TIMEOUT:
		c->session_timeouts++;
		break;
	case VPN_END_COOKIE_EXPIRED:
		c->expiries++;
		break;
	case VPN_END_NONE:
	case VPN_END_TUNNEL_LOST:
	case VPN_END_CLIENT_RECONNECTING:
	case VPN_END_USER_DISCONNECT:
	case VPN_END_WORKER_CRASHED:
	case VPN_END_ADMIN_DISCONNECT:
	case VPN_END_ADMIN_TERMINATE:
	case VPN_END_SERVER_SHUTDOWN:
	case VPN_END_SUPERSEDED:
	case VPN_END_SERVER_RESTART:
		break;
	}
}

void vpn_counters_count_connect(struct vpn_counters *c, enum vpn_connect_result r)
{
	switch (r) {
	case VPN_CONNECT_RESUME:
		c->resumes++;
		break;
	case VPN_CONNECT_FIRST:
	case VPN_CONNECT_TAKEOVER:
	case VPN_CONNECT_REFUSED:
		break;
	}
}
