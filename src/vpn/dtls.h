/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_DTLS_H
#define VPN_DTLS_H

/*
 * State of a tunnel's DTLS channel and the data-path choice, doc/spec/liveness.md §7.
 * See dtls.c for the rules and the timeline.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vpn/time.h"

enum vpn_chan {
	VPN_CHAN_CSTP = 0,
	VPN_CHAN_DTLS = 1,
};
#define VPN_CHAN_COUNT 2
/* "cstp", "dtls". */
const char *vpn_chan_str(enum vpn_chan ch);

enum vpn_dtls_state {
	VPN_DTLS_NONE = 0,	/* DTLS not negotiated, or never came up yet */
	VPN_DTLS_UP,		/* carries the data */
	VPN_DTLS_INACTIVE,	/* was up; data on CSTP until a DTLS record arrives */
};
/* "none", "up", "inactive". */
const char *vpn_dtls_state_str(enum vpn_dtls_state s);

struct vpn_dtls {
	bool enabled;		/* DTLS negotiated for this tunnel */
	enum vpn_dtls_state state;
	vpn_ms_t switch_to_tcp_ms; /* W; 0 = off */
	vpn_ms_t last_rx_ms;	/* last valid DTLS record; VPN_NEVER = none yet */
	uint32_t ups;		/* transitions to up */
	uint32_t inactivations;	/* transitions up -> inactive */
};

void vpn_dtls_init(struct vpn_dtls *m, bool enabled, vpn_ms_t switch_to_tcp_ms);

/* The DTLS handshake completed at now. Returns true iff the state changed to
 * up. Ignored when DTLS is not enabled. */
bool vpn_dtls_on_up(struct vpn_dtls *m, vpn_ms_t now);

/* Any valid DTLS record at now: the channel is up. Returns true iff the state
 * changed to up (the caller restarts the DTLS DPD). Ignored when not enabled. */
bool vpn_dtls_on_rx(struct vpn_dtls *m, vpn_ms_t now);

/* CSTP DATA received while DTLS is up: the client switched to TLS, inactive
 * at once. Returns true iff the state changed. */
bool vpn_dtls_on_cstp_data(struct vpn_dtls *m);

/* DTLS DPD declared the channel dead: up -> inactive. Returns true iff the
 * state changed. */
bool vpn_dtls_on_dead(struct vpn_dtls *m);

/* Where data goes at now: DTLS iff it is up and, with W != 0, a DTLS record
 * arrived less than W ago; CSTP otherwise. Pure: "until a DTLS record
 * arrives" follows from last_rx only moving on a DTLS record. */
enum vpn_chan vpn_dtls_data_path(const struct vpn_dtls *m, vpn_ms_t now);

#endif /* VPN_DTLS_H */
