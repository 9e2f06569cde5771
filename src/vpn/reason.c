/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * End reasons (doc/spec/liveness.md §2.1): their occtl/log tokens, the text
 * of a server DISCONNECT, the goodbye each one gets, and the reason a client
 * DISCONNECT's first byte gives.
 */
#include "config.h"

#include "vpn/reason.h"

const char *vpn_end_reason_str(enum vpn_end_reason r)
{
	switch (r) {
	case VPN_END_NONE:
		return "none";
	case VPN_END_DPD_TIMEOUT:
		return "dpd-timeout";
	case VPN_END_TUNNEL_LOST:
		return "tunnel-lost";
	case VPN_END_CLIENT_RECONNECTING:
		return "client-reconnecting";
	case VPN_END_USER_DISCONNECT:
		return "user-disconnect";
	case VPN_END_TAKEOVER:
		return "takeover";
	case VPN_END_WORKER_CRASHED:
		return "worker-crashed";
	case VPN_END_IDLE_TIMEOUT:
		return "idle-timeout";
	case VPN_END_SESSION_TIMEOUT:
		return "session-timeout";
	case VPN_END_ADMIN_DISCONNECT:
		return "admin-disconnect";
	case VPN_END_ADMIN_TERMINATE:
		return "admin-terminate";
	case VPN_END_SERVER_SHUTDOWN:
		return "server-shutdown";
	case VPN_END_COOKIE_EXPIRED:
		return "cookie-expired";
	case VPN_END_SUPERSEDED:
		return "superseded";
	case VPN_END_SERVER_RESTART:
		return "server-restart";
	}
	return "unknown";
}

const char *vpn_end_reason_text(enum vpn_end_reason r)
{
	switch (r) {
	case VPN_END_NONE:
		return "no reason";
	case VPN_END_DPD_TIMEOUT:
		return "DPD timeout";
	case VPN_END_TUNNEL_LOST:
		return "tunnel lost";
	case VPN_END_CLIENT_RECONNECTING:
		return "client reconnecting";
	case VPN_END_USER_DISCONNECT:
		return "user disconnected";
	case VPN_END_TAKEOVER:
		return "session taken over by a new connection";
	case VPN_END_WORKER_CRASHED:
		return "worker crashed";
	case VPN_END_IDLE_TIMEOUT:
		return "idle timeout";
	case VPN_END_SESSION_TIMEOUT:
		return "session timeout";
	case VPN_END_ADMIN_DISCONNECT:
		return "disconnected by administrator";
	case VPN_END_ADMIN_TERMINATE:
		return "terminated by administrator";
	case VPN_END_SERVER_SHUTDOWN:
		return "server shutting down";
	case VPN_END_COOKIE_EXPIRED:
		return "cookie expired";
	case VPN_END_SUPERSEDED:
		return "superseded by a new login";
	case VPN_END_SERVER_RESTART:
		return "server restarting";
	}
	return "unknown reason";
}

/* The server says goodbye when it ends a tunnel on purpose and someone is
 * listening: not after DPD timeout or a lost/crashed tunnel (nobody there),
 * not when the client left by itself. */
enum vpn_goodbye vpn_end_reason_goodbye(enum vpn_end_reason r)
{
	switch (r) {
	case VPN_END_NONE:
	case VPN_END_DPD_TIMEOUT:
	case VPN_END_TUNNEL_LOST:
	case VPN_END_CLIENT_RECONNECTING:
	case VPN_END_USER_DISCONNECT:
	case VPN_END_WORKER_CRASHED:
	case VPN_END_SERVER_RESTART:	/* silent: the client must come back */
		return VPN_BYE_NONE;
	case VPN_END_TAKEOVER:
	case VPN_END_IDLE_TIMEOUT:
	case VPN_END_SESSION_TIMEOUT:
	case VPN_END_ADMIN_DISCONNECT:
	case VPN_END_ADMIN_TERMINATE:
	case VPN_END_COOKIE_EXPIRED:
	case VPN_END_SUPERSEDED:
		return VPN_BYE_DISCONNECT;
	case VPN_END_SERVER_SHUTDOWN:
		return VPN_BYE_TERMINATE;
	}
	return VPN_BYE_NONE;
}

const char *vpn_goodbye_str(enum vpn_goodbye g)
{
	switch (g) {
	case VPN_BYE_NONE:
		return "none";
	case VPN_BYE_DISCONNECT:
		return "disconnect";
	case VPN_BYE_TERMINATE:
		return "terminate";
	}
	return "unknown";
}

enum vpn_end_reason vpn_end_reason_from_bye(const uint8_t *payload, size_t len)
{
	if (payload == NULL || len == 0)
		return VPN_END_CLIENT_RECONNECTING;
	switch (payload[0]) {
	case VPN_BYE_USER_DISCONNECT:
	case VPN_BYE_LOCAL_ERROR:
		return VPN_END_USER_DISCONNECT;
	default:	/* 0x91 reconnect, 0xd1 pause, anything unknown */
		return VPN_END_CLIENT_RECONNECTING;
	}
}
