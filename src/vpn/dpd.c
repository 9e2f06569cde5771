/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dead peer detection on one channel (doc/spec/liveness.md §3).
 *
 * Timers, with L the time of the last valid frame received on the channel,
 * D the interval and R the retries (1..10):
 *
 *  - A healthy client probes every D by itself, so silence up to 2D is
 *    normal: nothing is sent before L + 2D.
 *  - Probe k+1 (k = 0..R-1) is due at L + 2D + k*D/R (integer ms, rounded
 *    down). With the default R = 2 that is 2D and 2.5D: "it tries once more"
 *    before giving up, as the Cisco gateway does.
 *  - The channel is dead at exactly L + 3D (ocserv uses the same window but
 *    notices it up to 40 s late; we have a timer on it).
 *  - Any valid frame sets L = now and starts a new round. Probes already
 *    sent stay outstanding: a late echo still gives an RTT sample.
 *
 *   D = 30 s, R = 2
 *
 *   L            L+60 s        L+75 s        L+90 s
 *   |-------------|-------------|-------------|
 *   last rx       probe 1       probe 2       dead
 *
 *   D = 30 s, R = 3: probes at L+60 s, L+70 s, L+80 s, dead at L+90 s.
 *
 * A late call (the loop was busy) sends one probe for all the slots that
 * passed instead of a burst, and never a probe once L + 3D is reached: the
 * dead check comes first. This also keeps "after handle_expiry(now) the next
 * deadline is later than now" true when D/R rounds to slots at the same ms.
 *
 * Our probe's payload is 8 bytes: the probe's sequence number and the low 32
 * bits of its send time in ms, both big-endian. A peer that echoes it
 * (ocserv-style) gives an RTT sample; the ring of the last VPN_DPD_TRACK send
 * times lets a reply match any outstanding probe of the round, checked by
 * sequence and time so a stray or forged payload never makes a sample. An
 * openconnect client answers a CSTP probe with an empty DPD-RESP: that counts
 * as an answer and as proof of life, without RTT.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vpn/dpd.h"

/* Largest D accepted: keeps 3D and k*D (k <= 10) far from overflowing. */
#define VPN_DPD_INTERVAL_MAX_MS (UINT64_MAX / 64)

const char *vpn_dpd_state_str(enum vpn_dpd_state s)
{
	switch (s) {
	case VPN_DPD_OFF:
		return "off";
	case VPN_DPD_WATCHING:
		return "watching";
	case VPN_DPD_PROBING:
		return "probing";
	case VPN_DPD_DEAD:
		return "dead";
	}
	return "unknown";
}

int vpn_dpd_cfg_check(const struct vpn_dpd_cfg *cfg)
{
	if (cfg == NULL)
		return -EINVAL;
	if (cfg->interval_ms == 0)
		return 0;
	if (cfg->interval_ms > VPN_DPD_INTERVAL_MAX_MS)
		return -EINVAL;
	if (cfg->retries < VPN_DPD_RETRIES_MIN || cfg->retries > VPN_DPD_RETRIES_MAX)
		return -EINVAL;
	return 0;
}

/* Time of probe slot k (0-based) of the current round. */
static vpn_ms_t slot_ms(const struct vpn_dpd *m, unsigned k)
{
	vpn_ms_t d = m->cfg.interval_ms;

	return vpn_ms_add(vpn_ms_add(m->last_rx_ms, 2 * d), (k * d) / m->cfg.retries);
}

static vpn_ms_t dead_ms(const struct vpn_dpd *m)
{
	return vpn_ms_add(m->last_rx_ms, 3 * m->cfg.interval_ms);
}

static bool running(const struct vpn_dpd *m)
{
	switch (m->state) {
	case VPN_DPD_OFF:
	case VPN_DPD_DEAD:
		return false;
	case VPN_DPD_WATCHING:
	case VPN_DPD_PROBING:
		return true;
	}
	return false;
}

void vpn_dpd_init(struct vpn_dpd *m, const struct vpn_dpd_cfg *cfg, vpn_ms_t now)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	/* The machine trusts a checked cfg, but a division by zero is not an
	 * acceptable way to find out it was not checked. */
	if (m->cfg.interval_ms > VPN_DPD_INTERVAL_MAX_MS)
		m->cfg.interval_ms = VPN_DPD_INTERVAL_MAX_MS;
	if (m->cfg.retries < VPN_DPD_RETRIES_MIN)
		m->cfg.retries = VPN_DPD_RETRIES_MIN;
	if (m->cfg.retries > VPN_DPD_RETRIES_MAX)
		m->cfg.retries = VPN_DPD_RETRIES_MAX;
	m->last_rx_ms = now;
	m->last_rtt_ms = VPN_NEVER;
	m->state = m->cfg.interval_ms != 0 ? VPN_DPD_WATCHING : VPN_DPD_OFF;
}

void vpn_dpd_stop(struct vpn_dpd *m)
{
	m->state = VPN_DPD_OFF;
	m->round_probes = 0;
}

void vpn_dpd_restart(struct vpn_dpd *m, vpn_ms_t now)
{
	m->round_probes = 0;
	m->last_rx_ms = vpn_ms_max(m->last_rx_ms, now);
	m->state = m->cfg.interval_ms != 0 ? VPN_DPD_WATCHING : VPN_DPD_OFF;
}

vpn_ms_t vpn_dpd_expiry(const struct vpn_dpd *m)
{
	if (!running(m))
		return VPN_NEVER;
	if (m->round_probes < m->cfg.retries)
		return slot_ms(m, m->round_probes); /* always < dead_ms */
	return dead_ms(m);
}

vpn_ms_t vpn_dpd_dead_at(const struct vpn_dpd *m)
{
	return running(m) ? dead_ms(m) : VPN_NEVER;
}

vpn_ms_t vpn_dpd_next_probe(const struct vpn_dpd *m)
{
	if (!running(m) || m->round_probes >= m->cfg.retries)
		return VPN_NEVER;
	return slot_ms(m, m->round_probes);
}

unsigned vpn_dpd_handle_expiry(struct vpn_dpd *m, vpn_ms_t now)
{
	unsigned n;
	struct vpn_dpd_sent *e;

	if (!running(m))
		return 0;
	if (vpn_ms_reached(dead_ms(m), now)) {
		m->state = VPN_DPD_DEAD;
		return VPN_DPD_ACT_DEAD;
	}

	n = m->round_probes;
	while (n < m->cfg.retries && vpn_ms_reached(slot_ms(m, n), now))
		n++;
	if (n == m->round_probes)
		return 0;

	m->round_probes = n;
	m->state = VPN_DPD_PROBING;
	m->seq++;		/* wraps after 2^32 probes; the ring copes */
	e = &m->sent[m->seq % VPN_DPD_TRACK];
	e->seq = m->seq;
	e->sent_ms = now;
	if (m->outstanding < VPN_DPD_TRACK)
		m->outstanding++;
	m->probes_sent++;
	return VPN_DPD_ACT_SEND_PROBE;
}

void vpn_dpd_on_rx(struct vpn_dpd *m, vpn_ms_t now)
{
	/* A timestamp older than L would re-anchor the round in the past and
	 * pull the deadline earlier: ignore it. */
	if (now < m->last_rx_ms)
		return;
	m->last_rx_ms = now;
	if (running(m)) {
		m->state = VPN_DPD_WATCHING;
		m->round_probes = 0;
	}
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool vpn_dpd_on_probe_reply(struct vpn_dpd *m, const uint8_t *payload, size_t len,
			    vpn_ms_t now)
{
	bool sample = false;

	if (m->outstanding > 0) {
		if (payload != NULL && len == VPN_DPD_PAYLOAD_LEN) {
			uint32_t seq = get_be32(payload);
			uint32_t t32 = get_be32(payload + 4);
			uint32_t newer = m->seq - seq; /* probes sent after this one */
			const struct vpn_dpd_sent *e = &m->sent[seq % VPN_DPD_TRACK];

			if (newer < m->outstanding && e->seq == seq && (uint32_t)e->sent_ms == t32) {
				m->last_rtt_ms = now >= e->sent_ms ? now - e->sent_ms : 0;
				m->outstanding = newer;
				sample = true;
			}
		}
		/* Empty or foreign payload: an answer, to the latest probe. */
		if (!sample)
			m->outstanding = 0;
		m->probes_answered++;
	}
	vpn_dpd_on_rx(m, now);
	return sample;
}

void vpn_dpd_probe_payload(const struct vpn_dpd *m, uint8_t out[VPN_DPD_PAYLOAD_LEN])
{
	if (m->probes_sent == 0) {
		memset(out, 0, VPN_DPD_PAYLOAD_LEN);
		return;
	}
	put_be32(out, m->seq);
	put_be32(out + 4, (uint32_t)m->sent[m->seq % VPN_DPD_TRACK].sent_ms);
}
