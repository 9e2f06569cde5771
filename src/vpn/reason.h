/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_REASON_H
#define VPN_REASON_H

/*
 * Why a tunnel or a session ended, and what the server says about it on the
 * wire (doc/spec/liveness.md §2.1, doc/spec/interop.md §3.4). Pure tables,
 * see reason.c.
 */

#include <stddef.h>
#include <stdint.h>

/* Why a tunnel or a session ended. Data, never a string built in a machine:
 * the adapters log vpn_end_reason_str() and occtl shows it. */
enum vpn_end_reason {
	VPN_END_NONE = 0,		/* still running */
	VPN_END_DPD_TIMEOUT,		/* CSTP silent for the DPD window */
	VPN_END_TUNNEL_LOST,		/* EOF, reset, TLS error, send queue stuck */
	VPN_END_CLIENT_RECONNECTING,	/* client DISCONNECT: empty, 0x91, 0xd1, unknown */
	VPN_END_USER_DISCONNECT,	/* client DISCONNECT 0xb0 or 0x70 */
	VPN_END_TAKEOVER,		/* a new CONNECT with the same cookie */
	VPN_END_WORKER_CRASHED,
	VPN_END_IDLE_TIMEOUT,
	VPN_END_SESSION_TIMEOUT,
	VPN_END_ADMIN_DISCONNECT,	/* occtl disconnect */
	VPN_END_ADMIN_TERMINATE,	/* occtl terminate */
	VPN_END_SERVER_SHUTDOWN,
	VPN_END_COOKIE_EXPIRED,		/* cookie-timeout ran out without a CONNECT */
	VPN_END_SUPERSEDED,		/* ended for a new login (max-same-clients) */
	VPN_END_SERVER_RESTART,		/* the server stops or died with a session store:
					 * the session waits, the client is not told */
};
#define VPN_END_REASON_COUNT (VPN_END_SERVER_RESTART + 1)

/* The occtl/log token: "dpd-timeout", "tunnel-lost", ...; "none" for NONE;
 * "unknown" for a value outside the enum. Never NULL. */
const char *vpn_end_reason_str(enum vpn_end_reason r);

/* Human text sent after the 0xb0 byte in a server DISCONNECT ("idle timeout",
 * "DPD timeout", "disconnected by administrator", ...). Never NULL. */
const char *vpn_end_reason_text(enum vpn_end_reason r);

/* What the server sends on CSTP before closing a tunnel it ends. */
enum vpn_goodbye {
	VPN_BYE_NONE = 0,	/* nothing: the peer is gone or left by itself */
	VPN_BYE_DISCONNECT,	/* DISCONNECT, payload 0xb0 + vpn_end_reason_text() */
	VPN_BYE_TERMINATE,	/* TERMINATE (server shutdown) */
};
enum vpn_goodbye vpn_end_reason_goodbye(enum vpn_end_reason r);
const char *vpn_goodbye_str(enum vpn_goodbye g);

/* The reason byte a server DISCONNECT starts with. */
#define VPN_BYE_USER_DISCONNECT 0xb0
#define VPN_BYE_LOCAL_ERROR 0x70
#define VPN_BYE_RECONNECT 0x91
#define VPN_BYE_PAUSE 0xd1

/* Classify a client DISCONNECT payload (doc/spec/interop.md §3.4): first byte 0xb0 or
 * 0x70 -> USER_DISCONNECT; empty (payload may be NULL), 0x91, 0xd1 or any
 * other byte -> CLIENT_RECONNECTING. Trailing text is ignored. */
enum vpn_end_reason vpn_end_reason_from_bye(const uint8_t *payload, size_t len);

#endif /* VPN_REASON_H */
