/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_TUNNEL_H
#define VPN_TUNNEL_H

/*
 * The liveness engine of one tunnel (one CSTP connection and its optional
 * DTLS channel), as a worker runs it: DPD per channel, keepalive answers,
 * idle timeout, the session deadline, the send-stall window and the DTLS
 * data-path choice, composed behind one expiry. See tunnel.c for the
 * evaluation order and the timeline.
 *
 * Usage (all times from vpn_now_ms(), see ev-adapter.h):
 *
 *   vpn_tunnel_init(&t, &cfg, now);
 *   per frame received:   acts = vpn_tunnel_on_rx(&t, ch, kind, payload, len, now);
 *   per frame sent:       vpn_tunnel_on_tx(&t, ch, kind, len, now);
 *   per tun packet read:  vpn_tunnel_on_tun_rx(&t, vpn_packet_is_user_data(p, n), n, now);
 *   timer:                acts = vpn_tunnel_handle_expiry(&t, now);
 *                         re-arm at vpn_tunnel_expiry(&t);
 *   after VPN_ACT_END:    reason = vpn_tunnel_end_reason(&t); every call is then a no-op.
 *
 * The machine never does I/O, never logs, never reads a clock, never allocates.
 * Times must come from one monotonic clock; an event stamped earlier than a
 * previous call's now is treated as happening at that previous now, so a
 * caller's stale timestamp can never pull a deadline earlier.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn/time.h"
#include "vpn/dpd.h"
#include "vpn/dtls.h"
#include "vpn/idle.h"
#include "vpn/keepalive.h"
#include "vpn/reason.h"

/* Send-stall window when DPD is off (dpd_ms = 0): 3 x the Cisco default D
 * of 30 s, the same window a default DPD configuration gives. */
#define VPN_SEND_STALL_FALLBACK_MS 90000u

struct vpn_tunnel_cfg {
	vpn_ms_t dpd_ms;		/* D, both channels (mobile-dpd already applied); 0 = off */
	unsigned dpd_retries;		/* R, 1..10 */
	vpn_ms_t keepalive_ms;		/* K; 0 = never answer keepalives */
	vpn_ms_t idle_ms;		/* I (mobile-idle-timeout already applied); 0 = none */
	vpn_ms_t session_deadline_ms;	/* absolute created + S, or VPN_NEVER */
	vpn_ms_t switch_to_tcp_ms;	/* W; 0 = off */
	bool dtls_enabled;		/* DTLS negotiated on CONNECT */
};

/* Frame types as the codec reports them (COMPRESSED is reported as DATA with
 * the decompressed packet). */
enum vpn_frame_kind {
	VPN_FRAME_DATA = 0,
	VPN_FRAME_DPD_REQ,
	VPN_FRAME_DPD_RESP,
	VPN_FRAME_KEEPALIVE,
	VPN_FRAME_DISCONNECT,
	VPN_FRAME_TERMINATE,
	VPN_FRAME_OTHER,
};
/* "data", "dpd-req", "dpd-resp", "keepalive", "disconnect", "terminate", "other". */
const char *vpn_frame_kind_str(enum vpn_frame_kind k);

/* Action bits returned by vpn_tunnel_on_rx() and vpn_tunnel_handle_expiry(). */
enum vpn_tunnel_action {
	VPN_ACT_SEND_DPD_RESP = 1u << 0,	/* on_rx: echo the DPD-REQ payload byte for
						 * byte as DPD-RESP on the same channel */
	VPN_ACT_SEND_KEEPALIVE = 1u << 1,	/* on_rx: send a KEEPALIVE on the same channel */
	VPN_ACT_END = 1u << 2,			/* the tunnel ended: see vpn_tunnel_end_reason()
						 * and vpn_end_reason_goodbye() */
	VPN_ACT_SEND_DPD_REQ_CSTP = 1u << 3,	/* send a DPD-REQ on CSTP carrying
						 * vpn_tunnel_probe_payload(CSTP) */
	VPN_ACT_SEND_DPD_REQ_DTLS = 1u << 4,	/* the same on DTLS */
	VPN_ACT_DTLS_INACTIVE = 1u << 5,	/* DTLS went up -> inactive: data to CSTP */
	VPN_ACT_DTLS_UP = 1u << 6,		/* on_rx: DTLS became up again (informational) */
};

struct vpn_tunnel {
	struct vpn_tunnel_cfg cfg;
	vpn_ms_t send_stall_ms;		/* effective send-stall window: 3D or fallback */
	vpn_ms_t started_ms;		/* vpn_tunnel_init time */
	vpn_ms_t latest_ms;		/* latest now seen by any call; events stamped
					 * earlier are taken as happening at it */

	struct vpn_dpd dpd[VPN_CHAN_COUNT];
	struct vpn_keepalive ka[VPN_CHAN_COUNT];
	struct vpn_idle idle;
	struct vpn_dtls dtls;

	vpn_ms_t send_blocked_ms;	/* CSTP stopped draining at; VPN_NEVER = draining */
	enum vpn_end_reason end_reason;	/* VPN_END_NONE while the tunnel runs */
	vpn_ms_t ended_ms;		/* VPN_NEVER while the tunnel runs */

	vpn_ms_t last_rx_ms[VPN_CHAN_COUNT]; /* last valid frame per channel; VPN_NEVER = none */
	uint64_t rx_packets, rx_bytes;	/* DATA frames from the client (payload bytes) */
	uint64_t tx_packets, tx_bytes;	/* DATA frames to the client (payload bytes) */
	uint64_t tun_packets, tun_chatter; /* packets read from tun; those not user data */
};

/* Everything occtl shows about a tunnel's liveness (doc/spec/liveness.md §10). */
struct vpn_tunnel_snapshot {
	bool ended;
	enum vpn_end_reason end_reason;
	vpn_ms_t started_ms, ended_ms;

	/* effective timer values */
	vpn_ms_t dpd_ms, keepalive_ms, idle_ms, switch_to_tcp_ms, send_stall_ms;
	unsigned dpd_retries;
	vpn_ms_t session_deadline_ms;

	/* per channel, indexed by enum vpn_chan */
	vpn_ms_t last_rx_ms[VPN_CHAN_COUNT];
	enum vpn_dpd_state dpd_state[VPN_CHAN_COUNT];
	vpn_ms_t next_probe_ms[VPN_CHAN_COUNT];
	uint64_t probes_sent[VPN_CHAN_COUNT];
	uint64_t probes_answered[VPN_CHAN_COUNT];
	vpn_ms_t last_rtt_ms[VPN_CHAN_COUNT];	/* VPN_NEVER = no sample */
	uint64_t keepalives_received[VPN_CHAN_COUNT];
	uint64_t keepalives_answered[VPN_CHAN_COUNT];

	enum vpn_dtls_state dtls_state;
	enum vpn_chan data_path;		/* at the snapshot's now */
	vpn_ms_t idle_deadline_ms;		/* VPN_NEVER = none */
	vpn_ms_t send_blocked_ms;		/* VPN_NEVER = not blocked */
	vpn_ms_t expiry_ms;			/* the composed deadline */

	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tun_packets, tun_chatter;
};

/* Return 0 if cfg is usable, -EINVAL if not (dpd_retries outside 1..10 while
 * DPD is on). The machine trusts a checked cfg. */
int vpn_tunnel_cfg_check(const struct vpn_tunnel_cfg *cfg);

/* The send-stall window cfg gives: 3 * dpd_ms, or VPN_SEND_STALL_FALLBACK_MS
 * when DPD is off. */
vpn_ms_t vpn_tunnel_cfg_send_stall_ms(const struct vpn_tunnel_cfg *cfg);

/* The tunnel attached (CONNECT answered) at now. Every timer starts at now;
 * DTLS starts in state none until on_dtls_up() or a DTLS record. */
void vpn_tunnel_init(struct vpn_tunnel *t, const struct vpn_tunnel_cfg *cfg, vpn_ms_t now);

/* A valid frame of kind k arrived on ch at now. payload/len: the DPD-REQ
 * payload, the DPD-RESP payload, the DISCONNECT payload or, for DATA, the IP
 * packet (classified with vpn_packet_is_user_data() for the idle timer);
 * payload may be NULL when len is 0. Any frame proves the channel alive.
 * Returns VPN_ACT_SEND_DPD_RESP (DPD_REQ), VPN_ACT_SEND_KEEPALIVE (KEEPALIVE
 * and the §4 rule allows it), VPN_ACT_END (DISCONNECT on CSTP; the end reason
 * comes from the BYE byte), VPN_ACT_DTLS_INACTIVE (CSTP DATA while DTLS was
 * up), VPN_ACT_DTLS_UP (a DTLS record brought DTLS up). DISCONNECT and
 * TERMINATE on DTLS, TERMINATE on CSTP and OTHER only count as proof of life.
 * A frame on DTLS when DTLS is not enabled is ignored. After the end: 0. */
unsigned vpn_tunnel_on_rx(struct vpn_tunnel *t, enum vpn_chan ch, enum vpn_frame_kind k,
			  const uint8_t *payload, size_t len, vpn_ms_t now);

/* A frame of kind k (len payload bytes) was handed to ch at now. Feeds the
 * keepalive rule and the counters; DATA also counts as user data for idle
 * only through vpn_tunnel_on_tun_rx() (where it was read). */
void vpn_tunnel_on_tx(struct vpn_tunnel *t, enum vpn_chan ch, enum vpn_frame_kind k, size_t len,
		      vpn_ms_t now);

/* A packet of len bytes was read from tun for this client at now;
 * user_data = vpn_packet_is_user_data() of it. */
void vpn_tunnel_on_tun_rx(struct vpn_tunnel *t, bool user_data, size_t len, vpn_ms_t now);

/* The CSTP socket stopped draining at now (§6). A second call while blocked
 * keeps the first time. */
void vpn_tunnel_on_send_blocked(struct vpn_tunnel *t, vpn_ms_t now);

/* The CSTP send queue drained at now: the stall window is cancelled. */
void vpn_tunnel_on_send_drained(struct vpn_tunnel *t, vpn_ms_t now);

/* The DTLS handshake completed at now: DTLS up, its DPD starts at now. */
void vpn_tunnel_on_dtls_up(struct vpn_tunnel *t, vpn_ms_t now);

/* End the tunnel from outside the engine at now (EOF/TLS error: TUNNEL_LOST,
 * admin disconnect, takeover, shutdown, ...). The first reason wins;
 * VPN_END_NONE is ignored. */
void vpn_tunnel_end(struct vpn_tunnel *t, enum vpn_end_reason r, vpn_ms_t now);

/* Minimum over every sub-deadline; VPN_NEVER once ended. Pure. */
vpn_ms_t vpn_tunnel_expiry(const struct vpn_tunnel *t);

/* Run the timers at now in this fixed order: session deadline, idle, CSTP
 * DPD dead, send stall (each ends the tunnel: VPN_ACT_END alone, nothing else
 * is evaluated), then DTLS DPD dead (VPN_ACT_DTLS_INACTIVE), then the probes
 * (VPN_ACT_SEND_DPD_REQ_CSTP / _DTLS). Before the deadline, and a second call
 * at the same now, return 0 and change nothing. */
unsigned vpn_tunnel_handle_expiry(struct vpn_tunnel *t, vpn_ms_t now);

/* VPN_END_NONE while running. */
enum vpn_end_reason vpn_tunnel_end_reason(const struct vpn_tunnel *t);

/* Payload of the DPD-REQ the last handle_expiry asked to send on ch. */
void vpn_tunnel_probe_payload(const struct vpn_tunnel *t, enum vpn_chan ch,
			      uint8_t out[VPN_DPD_PAYLOAD_LEN]);

/* Channel for user data at now (vpn_dtls_data_path()). */
enum vpn_chan vpn_tunnel_data_path(const struct vpn_tunnel *t, vpn_ms_t now);

/*
 * Accessors: the adapters read the machine through these and
 * vpn_tunnel_snapshot(), never through the struct's fields. Pure; a channel
 * outside enum vpn_chan gives VPN_NEVER / 0.
 */
/* When the last valid frame arrived on ch (for CSTP at least the start);
 * VPN_NEVER = none yet. */
vpn_ms_t vpn_tunnel_last_rx(const struct vpn_tunnel *t, enum vpn_chan ch);
/* DPD probes sent on ch since it was last heard from (0..dpd_retries). */
unsigned vpn_tunnel_unanswered_probes(const struct vpn_tunnel *t, enum vpn_chan ch);
/* DTLS was negotiated for the tunnel (cfg.dtls_enabled). */
bool vpn_tunnel_dtls_enabled(const struct vpn_tunnel *t);
/* The DTLS channel's state. */
enum vpn_dtls_state vpn_tunnel_dtls_state(const struct vpn_tunnel *t);
/* A count that grows with every DATA packet either way and every DPD probe
 * sent or answered on either channel, and with nothing else (keepalives,
 * timers): two equal counts mean the tunnel's statistics did not change in
 * between, so an idle tunnel has nothing to report. */
uint64_t vpn_tunnel_activity(const struct vpn_tunnel *t);

void vpn_tunnel_snapshot(const struct vpn_tunnel *t, vpn_ms_t now,
			 struct vpn_tunnel_snapshot *out);

#endif /* VPN_TUNNEL_H */
