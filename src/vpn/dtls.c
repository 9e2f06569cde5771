/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DTLS channel state and data-path choice (doc/spec/liveness.md §3, §7).
 *
 * States: none (never up on this tunnel, or not negotiated), up (carries the
 * data), inactive (was up; data on CSTP). CSTP always carries control.
 *
 *  - The handshake completing, or any valid DTLS record, makes it up.
 *  - CSTP DATA received while up means the client switched to TLS (its DTLS
 *    is down or being re-established): inactive at once.
 *  - The DTLS DPD declaring the channel dead (its own timer, dpd.c): inactive.
 *  - switch-to-tcp-timeout W: while up, data goes to DTLS only if a DTLS
 *    record arrived less than W ago; after W of DTLS silence the server's
 *    data goes to CSTP until the next DTLS record. This is evaluated when the
 *    server has data to send (vpn_dtls_data_path), so it needs no timer.
 *
 *   W = 5 s
 *
 *   dtls rx        dtls rx+5 s            dtls rx
 *   |--------------|----------------------|-------->
 *    data on DTLS    data on CSTP           data on DTLS
 */
#include "config.h"

#include "vpn/dtls.h"

const char *vpn_chan_str(enum vpn_chan ch)
{
	switch (ch) {
	case VPN_CHAN_CSTP:
		return "cstp";
	case VPN_CHAN_DTLS:
		return "dtls";
	}
	return "unknown";
}

const char *vpn_dtls_state_str(enum vpn_dtls_state s)
{
	switch (s) {
	case VPN_DTLS_NONE:
		return "none";
	case VPN_DTLS_UP:
		return "up";
	case VPN_DTLS_INACTIVE:
		return "inactive";
	}
	return "unknown";
}

void vpn_dtls_init(struct vpn_dtls *m, bool enabled, vpn_ms_t switch_to_tcp_ms)
{
	m->enabled = enabled;
	m->state = VPN_DTLS_NONE;
	m->switch_to_tcp_ms = switch_to_tcp_ms;
	m->last_rx_ms = VPN_NEVER;
	m->ups = 0;
	m->inactivations = 0;
}

static void note_rx(struct vpn_dtls *m, vpn_ms_t now)
{
	if (m->last_rx_ms == VPN_NEVER || now > m->last_rx_ms)
		m->last_rx_ms = now;
}

static bool become_up(struct vpn_dtls *m)
{
	switch (m->state) {
	case VPN_DTLS_UP:
		return false;
	case VPN_DTLS_NONE:
	case VPN_DTLS_INACTIVE:
		m->state = VPN_DTLS_UP;
		m->ups++;
		return true;
	}
	return false;
}

static bool become_inactive(struct vpn_dtls *m)
{
	switch (m->state) {
	case VPN_DTLS_UP:
		m->state = VPN_DTLS_INACTIVE;
		m->inactivations++;
		return true;
	case VPN_DTLS_NONE:
	case VPN_DTLS_INACTIVE:
		return false;
	}
	return false;
}

bool vpn_dtls_on_up(struct vpn_dtls *m, vpn_ms_t now)
{
	if (!m->enabled)
		return false;
	note_rx(m, now);
	return become_up(m);
}

bool vpn_dtls_on_rx(struct vpn_dtls *m, vpn_ms_t now)
{
	if (!m->enabled)
		return false;
	note_rx(m, now);
	return become_up(m);
}

bool vpn_dtls_on_cstp_data(struct vpn_dtls *m)
{
	return become_inactive(m);
}

bool vpn_dtls_on_dead(struct vpn_dtls *m)
{
	return become_inactive(m);
}

enum vpn_chan vpn_dtls_data_path(const struct vpn_dtls *m, vpn_ms_t now)
{
	switch (m->state) {
	case VPN_DTLS_NONE:
	case VPN_DTLS_INACTIVE:
		return VPN_CHAN_CSTP;
	case VPN_DTLS_UP:
		if (m->switch_to_tcp_ms != 0 &&
		    vpn_ms_reached(vpn_ms_add(m->last_rx_ms, m->switch_to_tcp_ms), now))
			return VPN_CHAN_CSTP;
		return VPN_CHAN_DTLS;
	}
	return VPN_CHAN_CSTP;
}
