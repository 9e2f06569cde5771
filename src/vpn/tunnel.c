/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The liveness engine of one tunnel: every timer a worker runs, composed
 * behind one expiry (doc/spec/liveness.md §3-§7).
 *
 * Timers (each described in its own machine's file):
 *  - session deadline: the absolute created + S handed over by sec-mod; ends
 *    the tunnel with session-timeout (the session ends too).
 *  - idle (idle.c): last user data + I; ends with idle-timeout.
 *  - CSTP DPD (dpd.c): probes from L + 2D, dead at L + 3D; ends with
 *    dpd-timeout and no DISCONNECT (nobody is listening).
 *  - send stall (§6): the CSTP socket stopped draining at B; at B + 3D (or
 *    B + VPN_SEND_STALL_FALLBACK_MS without DPD) the tunnel ends with
 *    tunnel-lost. Timers keep running while a send is pending.
 *  - DTLS DPD (dpd.c), only while DTLS is up: probes on DTLS, and dead makes
 *    DTLS inactive (data to CSTP); the tunnel lives on.
 *  Keepalive (keepalive.c) and switch-to-tcp (dtls.c) need no timer: they
 *  are decided when a keepalive arrives or data is to be sent.
 *
 *   D = 30 s, R = 2, I = 1800 s, everything silent after t = 0
 *
 *   0        60 s      75 s      90 s                       1800 s
 *   |--------|---------|---------|--------------------------|
 *   start    CSTP+DTLS  CSTP+DTLS CSTP dead: end             (idle would be here)
 *            probe 1    probe 2   dpd-timeout
 *
 * Evaluation order in vpn_tunnel_handle_expiry() when several are due at the
 * same now, most final first: session deadline, idle, CSTP DPD dead, send
 * stall (each ends the tunnel and nothing else is evaluated, so the reason
 * is deterministic), then DTLS DPD dead, then the probes. A call before the
 * composed deadline, or a second call at the same now, does nothing.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vpn/tunnel.h"

const char *vpn_frame_kind_str(enum vpn_frame_kind k)
{
	switch (k) {
	case VPN_FRAME_DATA:
		return "data";
	case VPN_FRAME_DPD_REQ:
		return "dpd-req";
	case VPN_FRAME_DPD_RESP:
		return "dpd-resp";
	case VPN_FRAME_KEEPALIVE:
		return "keepalive";
	case VPN_FRAME_DISCONNECT:
		return "disconnect";
	case VPN_FRAME_TERMINATE:
		return "terminate";
	case VPN_FRAME_OTHER:
		return "other";
	}
	return "unknown";
}

static struct vpn_dpd_cfg dpd_cfg(const struct vpn_tunnel_cfg *cfg)
{
	return (struct vpn_dpd_cfg){ .interval_ms = cfg->dpd_ms, .retries = cfg->dpd_retries };
}

int vpn_tunnel_cfg_check(const struct vpn_tunnel_cfg *cfg)
{
	struct vpn_dpd_cfg dc;

	if (cfg == NULL)
		return -EINVAL;
	dc = dpd_cfg(cfg);
	return vpn_dpd_cfg_check(&dc);
}

vpn_ms_t vpn_tunnel_cfg_send_stall_ms(const struct vpn_tunnel_cfg *cfg)
{
	if (cfg->dpd_ms == 0)
		return VPN_SEND_STALL_FALLBACK_MS;
	return vpn_ms_add(vpn_ms_add(cfg->dpd_ms, cfg->dpd_ms), cfg->dpd_ms);
}

static bool chan_ok(const struct vpn_tunnel *t, enum vpn_chan ch)
{
	switch (ch) {
	case VPN_CHAN_CSTP:
		return true;
	case VPN_CHAN_DTLS:
		return t->dtls.enabled;
	}
	return false;	/* not a channel: ignore rather than index out of bounds */
}

static bool ended(const struct vpn_tunnel *t)
{
	return t->end_reason != VPN_END_NONE;
}

/* Keep time monotonic for the sub-machines: a stale stamp becomes the latest
 * now seen. */
static vpn_ms_t clamp_now(struct vpn_tunnel *t, vpn_ms_t now)
{
	if (now > t->latest_ms)
		t->latest_ms = now;
	return t->latest_ms;
}

void vpn_tunnel_init(struct vpn_tunnel *t, const struct vpn_tunnel_cfg *cfg, vpn_ms_t now)
{
	struct vpn_dpd_cfg dc = dpd_cfg(cfg);

	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->send_stall_ms = vpn_tunnel_cfg_send_stall_ms(cfg);
	t->started_ms = now;
	t->latest_ms = now;
	for (int ch = 0; ch < VPN_CHAN_COUNT; ch++) {
		vpn_dpd_init(&t->dpd[ch], &dc, now);
		vpn_keepalive_init(&t->ka[ch], cfg->keepalive_ms);
	}
	/* DTLS DPD runs only while DTLS is up. */
	vpn_dpd_stop(&t->dpd[VPN_CHAN_DTLS]);
	vpn_idle_init(&t->idle, cfg->idle_ms, now);
	vpn_dtls_init(&t->dtls, cfg->dtls_enabled, cfg->switch_to_tcp_ms);
	t->send_blocked_ms = VPN_NEVER;
	t->end_reason = VPN_END_NONE;
	t->ended_ms = VPN_NEVER;
	t->last_rx_ms[VPN_CHAN_CSTP] = now;	/* the CONNECT request itself */
	t->last_rx_ms[VPN_CHAN_DTLS] = VPN_NEVER;
}

void vpn_tunnel_end(struct vpn_tunnel *t, enum vpn_end_reason r, vpn_ms_t now)
{
	if (ended(t) || r == VPN_END_NONE)
		return;
	now = clamp_now(t, now);
	t->end_reason = r;
	t->ended_ms = now;
}

static void note_rx(struct vpn_tunnel *t, enum vpn_chan ch, vpn_ms_t now)
{
	if (t->last_rx_ms[ch] == VPN_NEVER || now > t->last_rx_ms[ch])
		t->last_rx_ms[ch] = now;
}

unsigned vpn_tunnel_on_rx(struct vpn_tunnel *t, enum vpn_chan ch, enum vpn_frame_kind k,
			  const uint8_t *payload, size_t len, vpn_ms_t now)
{
	unsigned acts = 0;

	if (ended(t) || !chan_ok(t, ch))
		return 0;
	if (payload == NULL)
		len = 0;
	now = clamp_now(t, now);

	/* Any valid frame proves the channel alive. */
	note_rx(t, ch, now);
	if (ch == VPN_CHAN_DTLS && vpn_dtls_on_rx(&t->dtls, now)) {
		vpn_dpd_restart(&t->dpd[ch], now);
		acts |= VPN_ACT_DTLS_UP;
	}
	if (k == VPN_FRAME_DPD_RESP)
		vpn_dpd_on_probe_reply(&t->dpd[ch], payload, len, now);
	else
		vpn_dpd_on_rx(&t->dpd[ch], now);

	switch (k) {
	case VPN_FRAME_DATA:
		t->rx_packets++;
		t->rx_bytes += len;
		if (ch == VPN_CHAN_CSTP && vpn_dtls_on_cstp_data(&t->dtls)) {
			vpn_dpd_stop(&t->dpd[VPN_CHAN_DTLS]);
			acts |= VPN_ACT_DTLS_INACTIVE;
		}
		if (vpn_packet_is_user_data(payload, len))
			vpn_idle_on_user_data(&t->idle, now);
		break;
	case VPN_FRAME_DPD_REQ:
		acts |= VPN_ACT_SEND_DPD_RESP;
		break;
	case VPN_FRAME_KEEPALIVE:
		if (vpn_keepalive_on_keepalive_rx(&t->ka[ch], now))
			acts |= VPN_ACT_SEND_KEEPALIVE;
		break;
	case VPN_FRAME_DISCONNECT:
		/* The client never sends DISCONNECT over DTLS (doc/spec/interop.md §3.5);
		 * only the CSTP one ends the tunnel. */
		if (ch == VPN_CHAN_CSTP) {
			vpn_tunnel_end(t, vpn_end_reason_from_bye(payload, len), now);
			acts |= VPN_ACT_END;
		}
		break;
	case VPN_FRAME_DPD_RESP:
	case VPN_FRAME_TERMINATE:	/* clients never send it: proof of life only */
	case VPN_FRAME_OTHER:
		break;
	}
	return acts;
}

void vpn_tunnel_on_tx(struct vpn_tunnel *t, enum vpn_chan ch, enum vpn_frame_kind k, size_t len,
		      vpn_ms_t now)
{
	if (ended(t) || !chan_ok(t, ch))
		return;
	now = clamp_now(t, now);
	vpn_keepalive_on_tx(&t->ka[ch], now);
	if (k == VPN_FRAME_DATA) {
		t->tx_packets++;
		t->tx_bytes += len;
	}
}

void vpn_tunnel_on_tun_rx(struct vpn_tunnel *t, bool user_data, size_t len, vpn_ms_t now)
{
	(void)len;	/* bytes are counted when the DATA frame is sent (on_tx) */
	if (ended(t))
		return;
	now = clamp_now(t, now);
	t->tun_packets++;
	if (user_data)
		vpn_idle_on_user_data(&t->idle, now);
	else
		t->tun_chatter++;
}

void vpn_tunnel_on_send_blocked(struct vpn_tunnel *t, vpn_ms_t now)
{
	if (ended(t) || t->send_blocked_ms != VPN_NEVER)
		return;
	t->send_blocked_ms = clamp_now(t, now);
}

void vpn_tunnel_on_send_drained(struct vpn_tunnel *t, vpn_ms_t now)
{
	(void)now;
	t->send_blocked_ms = VPN_NEVER;
}

void vpn_tunnel_on_dtls_up(struct vpn_tunnel *t, vpn_ms_t now)
{
	if (ended(t) || !t->dtls.enabled)
		return;
	now = clamp_now(t, now);
	note_rx(t, VPN_CHAN_DTLS, now);
	/* A (re)handshake proves the channel alive whatever the state was. */
	vpn_dtls_on_up(&t->dtls, now);
	vpn_dpd_restart(&t->dpd[VPN_CHAN_DTLS], now);
}

static vpn_ms_t stall_deadline(const struct vpn_tunnel *t)
{
	return vpn_ms_add(t->send_blocked_ms, t->send_stall_ms);
}

vpn_ms_t vpn_tunnel_expiry(const struct vpn_tunnel *t)
{
	vpn_ms_t d;

	if (ended(t))
		return VPN_NEVER;
	d = t->cfg.session_deadline_ms;
	d = vpn_ms_min(d, vpn_idle_expiry(&t->idle));
	d = vpn_ms_min(d, vpn_dpd_expiry(&t->dpd[VPN_CHAN_CSTP]));
	d = vpn_ms_min(d, stall_deadline(t));
	d = vpn_ms_min(d, vpn_dpd_expiry(&t->dpd[VPN_CHAN_DTLS]));
	return d;
}

unsigned vpn_tunnel_handle_expiry(struct vpn_tunnel *t, vpn_ms_t now)
{
	unsigned acts = 0, d;

	if (ended(t))
		return 0;
	/* Evaluated at the given now (a stale call just finds nothing due),
	 * but later events are never stamped before it. */
	clamp_now(t, now);

	/* 1-4: whatever ends the tunnel, most final reason first */
	if (vpn_ms_reached(t->cfg.session_deadline_ms, now)) {
		vpn_tunnel_end(t, VPN_END_SESSION_TIMEOUT, now);
		return VPN_ACT_END;
	}
	if (vpn_idle_handle_expiry(&t->idle, now) & VPN_IDLE_ACT_TIMEOUT) {
		vpn_tunnel_end(t, VPN_END_IDLE_TIMEOUT, now);
		return VPN_ACT_END;
	}
	if (vpn_ms_reached(vpn_dpd_dead_at(&t->dpd[VPN_CHAN_CSTP]), now)) {
		vpn_dpd_handle_expiry(&t->dpd[VPN_CHAN_CSTP], now); /* -> DEAD */
		vpn_tunnel_end(t, VPN_END_DPD_TIMEOUT, now);
		return VPN_ACT_END;
	}
	if (vpn_ms_reached(stall_deadline(t), now)) {
		vpn_tunnel_end(t, VPN_END_TUNNEL_LOST, now);
		return VPN_ACT_END;
	}

	/* 5: DTLS dead only moves the data to CSTP */
	d = vpn_dpd_handle_expiry(&t->dpd[VPN_CHAN_DTLS], now);
	if ((d & VPN_DPD_ACT_DEAD) && vpn_dtls_on_dead(&t->dtls))
		acts |= VPN_ACT_DTLS_INACTIVE;
	if (d & VPN_DPD_ACT_SEND_PROBE)
		acts |= VPN_ACT_SEND_DPD_REQ_DTLS;

	/* 6: CSTP probes (dead was handled above) */
	if (vpn_dpd_handle_expiry(&t->dpd[VPN_CHAN_CSTP], now) & VPN_DPD_ACT_SEND_PROBE)
		acts |= VPN_ACT_SEND_DPD_REQ_CSTP;
	return acts;
}

enum vpn_end_reason vpn_tunnel_end_reason(const struct vpn_tunnel *t)
{
	return t->end_reason;
}

void vpn_tunnel_probe_payload(const struct vpn_tunnel *t, enum vpn_chan ch,
			      uint8_t out[VPN_DPD_PAYLOAD_LEN])
{
	switch (ch) {
	case VPN_CHAN_CSTP:
	case VPN_CHAN_DTLS:
		vpn_dpd_probe_payload(&t->dpd[ch], out);
		return;
	}
	memset(out, 0, VPN_DPD_PAYLOAD_LEN);
}

enum vpn_chan vpn_tunnel_data_path(const struct vpn_tunnel *t, vpn_ms_t now)
{
	return vpn_dtls_data_path(&t->dtls, now);
}

vpn_ms_t vpn_tunnel_last_rx(const struct vpn_tunnel *t, enum vpn_chan ch)
{
	switch (ch) {
	case VPN_CHAN_CSTP:
	case VPN_CHAN_DTLS:
		return t->last_rx_ms[ch];
	}
	return VPN_NEVER;
}

unsigned vpn_tunnel_unanswered_probes(const struct vpn_tunnel *t, enum vpn_chan ch)
{
	switch (ch) {
	case VPN_CHAN_CSTP:
	case VPN_CHAN_DTLS:
		return t->dpd[ch].round_probes;
	}
	return 0;
}

bool vpn_tunnel_dtls_enabled(const struct vpn_tunnel *t)
{
	return t->cfg.dtls_enabled;
}

enum vpn_dtls_state vpn_tunnel_dtls_state(const struct vpn_tunnel *t)
{
	return t->dtls.state;
}

uint64_t vpn_tunnel_activity(const struct vpn_tunnel *t)
{
	uint64_t n = t->rx_packets + t->tx_packets;

	for (int ch = 0; ch < VPN_CHAN_COUNT; ch++)
		n += t->dpd[ch].probes_sent + t->dpd[ch].probes_answered;
	return n;
}

void vpn_tunnel_snapshot(const struct vpn_tunnel *t, vpn_ms_t now,
			 struct vpn_tunnel_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	out->ended = ended(t);
	out->end_reason = t->end_reason;
	out->started_ms = t->started_ms;
	out->ended_ms = t->ended_ms;

	out->dpd_ms = t->cfg.dpd_ms;
	out->dpd_retries = t->dpd[VPN_CHAN_CSTP].cfg.retries;
	out->keepalive_ms = t->cfg.keepalive_ms;
	out->idle_ms = t->cfg.idle_ms;
	out->switch_to_tcp_ms = t->cfg.switch_to_tcp_ms;
	out->send_stall_ms = t->send_stall_ms;
	out->session_deadline_ms = t->cfg.session_deadline_ms;

	for (int ch = 0; ch < VPN_CHAN_COUNT; ch++) {
		const struct vpn_dpd *m = &t->dpd[ch];

		out->last_rx_ms[ch] = t->last_rx_ms[ch];
		out->dpd_state[ch] = m->state;
		out->next_probe_ms[ch] = vpn_dpd_next_probe(m);
		out->probes_sent[ch] = m->probes_sent;
		out->probes_answered[ch] = m->probes_answered;
		out->last_rtt_ms[ch] = m->last_rtt_ms;
		out->keepalives_received[ch] = t->ka[ch].received;
		out->keepalives_answered[ch] = t->ka[ch].answered;
	}

	out->dtls_state = t->dtls.state;
	out->data_path = vpn_tunnel_data_path(t, now);
	out->idle_deadline_ms = vpn_idle_expiry(&t->idle);
	out->send_blocked_ms = t->send_blocked_ms;
	out->expiry_ms = vpn_tunnel_expiry(t);

	out->rx_packets = t->rx_packets;
	out->rx_bytes = t->rx_bytes;
	out->tx_packets = t->tx_packets;
	out->tx_bytes = t->tx_bytes;
	out->tun_packets = t->tun_packets;
	out->tun_chatter = t->tun_chatter;
}
