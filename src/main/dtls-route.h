/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_DTLS_ROUTE_H
#define OCSM_DTLS_ROUTE_H

/*
 * Main's routing of DTLS datagrams to workers (doc/spec/interop.md §6.2), as a pure
 * table: no sockets, no clock, no logging. main-udp.c asks it what to do
 * with each datagram its UDP listener receives and performs the verdict.
 *
 * A datagram reaches main's listener only when no worker holds a socket
 * connected to its source address and port, so it is one of:
 *
 *  - a ClientHello carrying an App-ID (a client starting a DTLS handshake,
 *    from a new UDP port every time): ASSOC to the tunnel with that App-ID,
 *    whatever the source address, since the PSK authenticates the
 *    handshake. Only tunnels whose CONNECT was answered are in the table.
 *  - any other record from a new port of a client address (NAT rebinding of
 *    an established channel): REBIND to the tunnel whose client (TCP peer)
 *    address it is, if exactly one such tunnel has an established DTLS
 *    channel; the worker accepts the new port only if its DTLS session
 *    decrypts the record.
 *  - anything else: dropped, with a reason (for counters and debug logs).
 *
 * Rate limits, all per tunnel unless stated:
 *
 *   ClientHello handovers    one per DTLS_ROUTE_ASSOC_INTERVAL_MS; the client
 *                            retransmits from the same port after >= 1 s, so
 *                            a real client is never held back, and a flood
 *                            of hellos carrying a known App-ID costs one new
 *                            socket per interval
 *   rebinding candidates     one per DTLS_ROUTE_REBIND_INTERVAL_MS (ocserv: 3 s)
 *   all handovers            DTLS_ROUTE_GLOBAL_BURST per second, server-wide
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "main/ban.h"
#include "codec/dtls-record.h"
#include "vpn/time.h"

#define DTLS_ROUTE_ASSOC_INTERVAL_MS 500u
#define DTLS_ROUTE_REBIND_INTERVAL_MS 3000u
#define DTLS_ROUTE_GLOBAL_BURST 200u

enum dtls_route_verdict {
	DTLS_ROUTE_ASSOC = 0,		/* hand a new socket + the hello to the owner */
	DTLS_ROUTE_REBIND,		/* hand a new socket + the record to the owner */
	DTLS_ROUTE_DROP_NOT_DTLS,	/* not a DTLS record at all */
	DTLS_ROUTE_DROP_BAD_HELLO,	/* a malformed ClientHello, or one without App-ID */
	DTLS_ROUTE_DROP_UNKNOWN_APP_ID,	/* no answered tunnel has this App-ID */
	DTLS_ROUTE_DROP_HANDSHAKE,	/* another handshake record from an unknown port */
	DTLS_ROUTE_DROP_NO_PEER,	/* a record from an address with no DTLS tunnel */
	DTLS_ROUTE_DROP_AMBIGUOUS,	/* several tunnels of that address: cannot tell */
	DTLS_ROUTE_DROP_RATE,		/* over a rate limit */
};
#define DTLS_ROUTE_VERDICT_COUNT (DTLS_ROUTE_DROP_RATE + 1)

/* "assoc", "rebind", "not-dtls", ... */
const char *dtls_route_verdict_str(enum dtls_route_verdict v);

struct dtls_route_entry {
	void *owner;			/* the caller's tunnel record; NULL: free slot */
	uint8_t app_id[DTLS_APP_ID_MAX];
	uint8_t app_id_len;
	struct ban_addr client;		/* the tunnel's TCP peer address */
	bool established;		/* a DTLS session exists (up or inactive) */
	vpn_ms_t last_assoc_ms;		/* last ClientHello handed over; VPN_NEVER: none */
	vpn_ms_t last_rebind_ms;	/* last rebinding candidate; VPN_NEVER: none */
};

struct dtls_route {
	struct dtls_route_entry *e;	/* slots; free ones have owner NULL */
	size_t cap, used;
	vpn_ms_t window_ms;		/* start of the current 1 s global window */
	unsigned window_count;		/* handovers in it */
	uint64_t verdicts[DTLS_ROUTE_VERDICT_COUNT];	/* counters */
};

void dtls_route_init(struct dtls_route *r);
void dtls_route_free(struct dtls_route *r);

/* Start routing App-ID app_id[0..len) (1..DTLS_APP_ID_MAX bytes) to owner,
 * a tunnel whose client is at `client`. Returns 0, -EINVAL (bad length or
 * NULL owner), -EEXIST (App-ID or owner already present) or -ENOMEM. */
int dtls_route_add(struct dtls_route *r, void *owner, const uint8_t *app_id, size_t len,
		   const struct ban_addr *client);

/* Stop routing to owner (tunnel ended). Unknown owners are ignored. */
void dtls_route_remove(struct dtls_route *r, const void *owner);

/* The owner's DTLS channel has a session now (established) or none. */
void dtls_route_set_established(struct dtls_route *r, const void *owner, bool established);

/* The entry of owner, or NULL. */
const struct dtls_route_entry *dtls_route_find(const struct dtls_route *r, const void *owner);

/* What to do at now with the datagram buf[0..len) that arrived from `src`.
 * For ASSOC and REBIND *owner is set and the rate limits are charged; for a
 * drop *owner is NULL. The verdict is also counted in r->verdicts. */
enum dtls_route_verdict dtls_route_decide(struct dtls_route *r, const uint8_t *buf, size_t len,
					  const struct ban_addr *src, vpn_ms_t now, void **owner);

/*
 * Early ClientHellos. A client may answer the CONNECT reply faster than main
 * reads the worker's TunnelUp: its ClientHello then carries an App-ID the
 * table does not have yet. Rather than drop it (the client would retransmit
 * only a second later), main keeps the latest few such hellos for
 * DTLS_EARLY_MS and hands one over as soon as its App-ID is added. Each
 * kept hello carries an opaque blob of the caller's (its addresses).
 */
#define DTLS_EARLY_MAX 8
#define DTLS_EARLY_MS 1000u
#define DTLS_EARLY_DATA_MAX 2048u
#define DTLS_EARLY_META_MAX 320u

struct dtls_early {
	bool used;
	vpn_ms_t at_ms;			/* when it arrived */
	uint8_t app_id[DTLS_APP_ID_MAX];
	size_t app_id_len;
	uint8_t data[DTLS_EARLY_DATA_MAX];
	size_t len;
	uint8_t meta[DTLS_EARLY_META_MAX];
	size_t meta_len;
};

struct dtls_early_set {
	struct dtls_early e[DTLS_EARLY_MAX];
};

/* Keep the ClientHello buf[0..n) that arrived at now, with meta[0..meta_len).
 * When all slots are taken the oldest is replaced. Returns 0, or -EINVAL
 * for anything but a ClientHello with an App-ID, or data or meta too large. */
int dtls_early_put(struct dtls_early_set *s, const uint8_t *buf, size_t n, const void *meta,
		   size_t meta_len, vpn_ms_t now);

/* Take the oldest kept hello carrying App-ID id[0..len) that is less than
 * DTLS_EARLY_MS old at now; hellos that old or older are forgotten on the
 * way. The entry is no longer kept: copy what you need before the next call
 * on s. NULL when there is none. */
const struct dtls_early *dtls_early_take(struct dtls_early_set *s, const uint8_t *id, size_t len,
					 vpn_ms_t now);

#endif
