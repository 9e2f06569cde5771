/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_DPD_H
#define VPN_DPD_H

/*
 * Dead peer detection for one channel (CSTP or DTLS), doc/spec/liveness.md §3.
 * The schedule and its timeline are described at the top of dpd.c.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "vpn/time.h"

#define VPN_DPD_RETRIES_MIN 1
#define VPN_DPD_RETRIES_MAX 10
#define VPN_DPD_RETRIES_DEFAULT 2

/* Size of the payload of our own DPD-REQ: uint32 sequence number followed by
 * the low 32 bits of the send time in ms, both big-endian. */
#define VPN_DPD_PAYLOAD_LEN 8

/* How many of our latest probes are remembered to match echoes (more than
 * VPN_DPD_RETRIES_MAX, so every probe of one round can be matched). */
#define VPN_DPD_TRACK 16

struct vpn_dpd_cfg {
	vpn_ms_t interval_ms;	/* D; 0 = DPD off on this channel */
	unsigned retries;	/* R, probes per round, VPN_DPD_RETRIES_MIN..MAX */
};

enum vpn_dpd_state {
	VPN_DPD_OFF = 0,	/* D = 0, or stopped by the owner: no timer */
	VPN_DPD_WATCHING,	/* no probe sent since the last rx */
	VPN_DPD_PROBING,	/* at least one probe sent since the last rx */
	VPN_DPD_DEAD,		/* silent for 3D; no timer until restarted */
};

/* Action bits returned by vpn_dpd_handle_expiry(). */
enum vpn_dpd_action {
	VPN_DPD_ACT_SEND_PROBE = 1u << 0, /* send a DPD-REQ with vpn_dpd_probe_payload() */
	VPN_DPD_ACT_DEAD = 1u << 1,	  /* the channel is dead (3D of silence) */
};

struct vpn_dpd_sent {
	uint32_t seq;		/* sequence number carried in the payload */
	vpn_ms_t sent_ms;	/* when handle_expiry asked for it */
};

struct vpn_dpd {
	struct vpn_dpd_cfg cfg;
	enum vpn_dpd_state state;
	vpn_ms_t last_rx_ms;	/* L: last valid frame on the channel (or start) */
	unsigned round_probes;	/* probe slots used since L, 0..R */

	uint32_t seq;		/* sequence number of the latest probe; 0 = none yet */
	uint32_t outstanding;	/* probes sent and not answered, newest first;
				 * only the newest VPN_DPD_TRACK can be matched */
	struct vpn_dpd_sent sent[VPN_DPD_TRACK]; /* ring indexed by seq % TRACK */

	uint64_t probes_sent;	  /* total DPD-REQs we asked to send */
	uint64_t probes_answered; /* DPD-RESPs that answered an outstanding probe */
	vpn_ms_t last_rtt_ms;	  /* RTT of the latest echoed probe; VPN_NEVER = none */
};

/* Return 0 if cfg is usable, -EINVAL if not (retries outside 1..10 while
 * DPD is on). Config loading calls this once; the machine trusts cfg. */
int vpn_dpd_cfg_check(const struct vpn_dpd_cfg *cfg);

/* Start watching at now (L = now). D = 0 gives a machine that stays OFF and
 * only records rx times. */
void vpn_dpd_init(struct vpn_dpd *m, const struct vpn_dpd_cfg *cfg, vpn_ms_t now);

/* Stop the timer (channel not in use); the machine stays OFF until
 * vpn_dpd_restart(). Counters are kept. */
void vpn_dpd_stop(struct vpn_dpd *m);

/* Start a fresh round at now (L = now, no probe sent), from any state; used
 * when a channel comes (back) up. Does nothing to an OFF machine whose D is 0.
 * Counters are kept. */
void vpn_dpd_restart(struct vpn_dpd *m, vpn_ms_t now);

/* The next deadline: the next probe slot or the dead time, VPN_NEVER when
 * OFF or DEAD. Pure. */
vpn_ms_t vpn_dpd_expiry(const struct vpn_dpd *m);

/* When the channel will be declared dead (L + 3D), VPN_NEVER when OFF or
 * DEAD. Pure; lets a composition rank "dead" before other timers. */
vpn_ms_t vpn_dpd_dead_at(const struct vpn_dpd *m);

/* Time of the next scheduled probe (for occtl), VPN_NEVER if no probe is
 * left in this round or the machine is OFF/DEAD. Pure. */
vpn_ms_t vpn_dpd_next_probe(const struct vpn_dpd *m);

/* Run the schedule at now. Returns VPN_DPD_ACT_DEAD once when L + 3D is
 * reached (the machine then stays DEAD), else VPN_DPD_ACT_SEND_PROBE when one
 * or more probe slots became due (one probe is sent however many slots a late
 * call skipped), else 0. A call before the deadline, or a second call at the
 * same now, returns 0. */
unsigned vpn_dpd_handle_expiry(struct vpn_dpd *m, vpn_ms_t now);

/* Any valid frame received on the channel at now: L = now and the round
 * restarts. A DEAD or OFF machine only records the time. Never moves the
 * deadline earlier (a now older than L is ignored). */
void vpn_dpd_on_rx(struct vpn_dpd *m, vpn_ms_t now);

/* A DPD-RESP received at now with its payload (may be empty or NULL with
 * len 0). Counts as rx. If it echoes one of our outstanding probes (exact
 * sequence and time) it yields an RTT sample; any DPD-RESP while probes are
 * outstanding counts as answered. Returns true iff an RTT sample was taken. */
bool vpn_dpd_on_probe_reply(struct vpn_dpd *m, const uint8_t *payload, size_t len,
			    vpn_ms_t now);

/* The payload of the latest probe (the one the last handle_expiry asked to
 * send); all zeroes if no probe was ever sent. */
void vpn_dpd_probe_payload(const struct vpn_dpd *m, uint8_t out[VPN_DPD_PAYLOAD_LEN]);

const char *vpn_dpd_state_str(enum vpn_dpd_state s);

#endif /* VPN_DPD_H */
