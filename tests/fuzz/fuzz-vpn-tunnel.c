/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the tunnel liveness engine (src/vpn/tunnel.c and the
 * machines under it). The input is a configuration followed by a sequence
 * of events with time steps; after every step the engine invariants are
 * checked and any violation aborts:
 *   - after handle_expiry(now) the next deadline is later than now (or NEVER);
 *   - a second handle_expiry at the same now returns nothing and changes
 *     nothing;
 *   - the composed deadline is the minimum of the parts;
 *   - once ended, nothing produces actions and the end reason never changes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct reader *r)
{
	uint8_t v;

	if (r->n == 0)
		return 0;
	v = *r->p++;
	r->n--;
	return v;
}

static uint16_t next16(struct reader *r)
{
	uint16_t hi = next(r);

	return (uint16_t)(hi << 8 | next(r));
}

static void check(const struct vpn_tunnel *t)
{
	vpn_ms_t want = VPN_NEVER;

	if (t->end_reason == VPN_END_NONE) {
		want = vpn_ms_min(want, t->cfg.session_deadline_ms);
		want = vpn_ms_min(want, vpn_idle_expiry(&t->idle));
		want = vpn_ms_min(want, vpn_dpd_expiry(&t->dpd[VPN_CHAN_CSTP]));
		want = vpn_ms_min(want, vpn_dpd_expiry(&t->dpd[VPN_CHAN_DTLS]));
		want = vpn_ms_min(want, vpn_ms_add(t->send_blocked_ms, t->send_stall_ms));
	}
	if (vpn_tunnel_expiry(t) != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct vpn_tunnel t, copy;
	struct vpn_tunnel_cfg cfg;
	vpn_ms_t now = next16(&r);
	enum vpn_end_reason ended = VPN_END_NONE;
	uint8_t buf[64];

	/* small values so deadlines are actually reached */
	cfg.dpd_ms = next(&r) % 8 * 100;
	cfg.dpd_retries = 1 + next(&r) % 10;
	cfg.keepalive_ms = next(&r) % 8 * 100;
	cfg.idle_ms = next(&r) % 8 * 500;
	cfg.session_deadline_ms = next(&r) < 128 ? VPN_NEVER : now + next16(&r);
	cfg.switch_to_tcp_ms = next(&r) % 4 * 100;
	cfg.dtls_enabled = next(&r) & 1;
	if (vpn_tunnel_cfg_check(&cfg) != 0)
		abort();
	vpn_tunnel_init(&t, &cfg, now);

	while (r.n > 0) {
		uint8_t op = next(&r);
		enum vpn_chan ch = (enum vpn_chan)((op >> 6) % 3); /* 2: not a channel */
		size_t len;
		unsigned acts;

		now += next(&r) * 7u;	/* time moves forward, sometimes not at all */
		switch (op & 7) {
		case 0:
			acts = vpn_tunnel_handle_expiry(&t, now);
			if (ended != VPN_END_NONE && acts != 0)
				abort();
			if (vpn_tunnel_expiry(&t) != VPN_NEVER && vpn_tunnel_expiry(&t) <= now)
				abort();
			memcpy(&copy, &t, sizeof(t));
			if (vpn_tunnel_handle_expiry(&copy, now) != 0 || memcmp(&copy, &t, sizeof(t)) != 0)
				abort();
			break;
		case 1:
		case 2:
			len = next(&r) % sizeof(buf);
			for (size_t i = 0; i < len; i++)
				buf[i] = next(&r);
			acts = vpn_tunnel_on_rx(&t, ch, (enum vpn_frame_kind)((op >> 3) % 8), buf, len,
						now);
			if (ended != VPN_END_NONE && acts != 0)
				abort();
			break;
		case 3:
			vpn_tunnel_on_tx(&t, ch, (enum vpn_frame_kind)((op >> 3) % 8), next(&r), now);
			break;
		case 4:
			vpn_tunnel_on_tun_rx(&t, op & 8, 100, now);
			break;
		case 5:
			if (op & 8)
				vpn_tunnel_on_send_blocked(&t, now);
			else
				vpn_tunnel_on_send_drained(&t, now);
			break;
		case 6:
			vpn_tunnel_on_dtls_up(&t, now);
			break;
		case 7:
			vpn_tunnel_end(&t, (enum vpn_end_reason)(next(&r) % VPN_END_REASON_COUNT), now);
			break;
		}
		if (ended != VPN_END_NONE && vpn_tunnel_end_reason(&t) != ended)
			abort();
		ended = vpn_tunnel_end_reason(&t);
		check(&t);
		{
			struct vpn_tunnel_snapshot s;
			uint8_t p[VPN_DPD_PAYLOAD_LEN];

			vpn_tunnel_snapshot(&t, now, &s);
			vpn_tunnel_probe_payload(&t, ch, p);
			if (s.expiry_ms != vpn_tunnel_expiry(&t))
				abort();
		}
	}
	return 0;
}
