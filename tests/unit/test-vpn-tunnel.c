/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/tunnel.c: the composition a worker runs
 * (doc/spec/liveness.md §3-§7, §10). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/counters.h"
#include "vpn/tunnel.h"
#include "vpn-test-util.h"

/* --- scenario plumbing ---------------------------------------------------- */

enum {
	EV_RX = 1,	/* arg: RX(ch, kind, payload) */
	EV_TX,		/* arg: TX(ch, kind, len) */
	EV_TUN,		/* arg: 1 = user data, 0 = chatter */
	EV_BLOCK,
	EV_DRAIN,
	EV_DTLS_UP,
	EV_END,		/* arg: reason */
};

enum payload {
	PL_NONE = 0,	/* NULL, 0 */
	PL_USER,	/* an IPv4 TCP packet */
	PL_CHATTER,	/* an IGMP report */
	PL_ECHO,	/* echo of our latest probe on that channel */
	PL_BYE_B0,	/* 0xb0 "bye" */
	PL_BYE_91,	/* 0x91 */
	PL_JUNK,	/* 3 arbitrary bytes */
};

#define RX(ch, k, pl) ((uint64_t)(ch) | (uint64_t)(k) << 4 | (uint64_t)(pl) << 8)
#define TX(ch, k, len) ((uint64_t)(ch) | (uint64_t)(k) << 4 | (uint64_t)(len) << 8)

static const uint8_t pkt_user[40] = { 0x45, 0, 0, 40, [8] = 64, [9] = 6, [12] = 10, [15] = 2,
				      [16] = 10, [19] = 1 };
static const uint8_t pkt_igmp[28] = { 0x45, 0, 0, 28, [8] = 1, [9] = 2, [16] = 224, [19] = 22 };
static const uint8_t bye_b0[] = { 0xb0, 'b', 'y', 'e' }, bye_91[] = { 0x91 };

static unsigned t_rx(struct vpn_tunnel *t, uint64_t arg, vpn_ms_t now)
{
	enum vpn_chan ch = (enum vpn_chan)(arg & 0xf);
	enum vpn_frame_kind k = (enum vpn_frame_kind)((arg >> 4) & 0xf);
	uint8_t echo[VPN_DPD_PAYLOAD_LEN];

	switch ((enum payload)(arg >> 8)) {
	case PL_NONE:
		return vpn_tunnel_on_rx(t, ch, k, NULL, 0, now);
	case PL_USER:
		return vpn_tunnel_on_rx(t, ch, k, pkt_user, sizeof(pkt_user), now);
	case PL_CHATTER:
		return vpn_tunnel_on_rx(t, ch, k, pkt_igmp, sizeof(pkt_igmp), now);
	case PL_ECHO:
		vpn_tunnel_probe_payload(t, ch, echo);
		return vpn_tunnel_on_rx(t, ch, k, echo, sizeof(echo), now);
	case PL_BYE_B0:
		return vpn_tunnel_on_rx(t, ch, k, bye_b0, sizeof(bye_b0), now);
	case PL_BYE_91:
		return vpn_tunnel_on_rx(t, ch, k, bye_91, sizeof(bye_91), now);
	case PL_JUNK:
		return vpn_tunnel_on_rx(t, ch, k, (const uint8_t *)"xyz", 3, now);
	}
	ck_abort_msg("bad payload selector");
	return 0;
}

static unsigned t_event(void *m, int ev, uint64_t arg, vpn_ms_t now)
{
	struct vpn_tunnel *t = m;

	switch (ev) {
	case EV_RX:
		return t_rx(t, arg, now);
	case EV_TX:
		vpn_tunnel_on_tx(t, (enum vpn_chan)(arg & 0xf), (enum vpn_frame_kind)((arg >> 4) & 0xf),
				 (size_t)(arg >> 8), now);
		return 0;
	case EV_TUN:
		vpn_tunnel_on_tun_rx(t, arg != 0, 100, now);
		return 0;
	case EV_BLOCK:
		vpn_tunnel_on_send_blocked(t, now);
		return 0;
	case EV_DRAIN:
		vpn_tunnel_on_send_drained(t, now);
		return 0;
	case EV_DTLS_UP:
		vpn_tunnel_on_dtls_up(t, now);
		return 0;
	case EV_END:
		vpn_tunnel_end(t, (enum vpn_end_reason)arg, now);
		return 0;
	}
	ck_abort_msg("unknown event %d", ev);
	return 0;
}

static unsigned t_handle(void *m, vpn_ms_t now)
{
	return vpn_tunnel_handle_expiry(m, now);
}

static vpn_ms_t t_expiry(const void *m)
{
	return vpn_tunnel_expiry(m);
}

static bool t_is_rx(int ev)
{
	return ev == EV_RX || ev == EV_TUN;
}

/* The composed deadline is the minimum of the parts (NEVER once ended), and
 * the DTLS DPD only runs while DTLS is up. */
static void t_check(const void *m)
{
	const struct vpn_tunnel *t = m;
	vpn_ms_t want = VPN_NEVER;

	if (t->end_reason == VPN_END_NONE) {
		want = vpn_ms_min(want, t->cfg.session_deadline_ms);
		want = vpn_ms_min(want, vpn_idle_expiry(&t->idle));
		want = vpn_ms_min(want, vpn_dpd_expiry(&t->dpd[VPN_CHAN_CSTP]));
		want = vpn_ms_min(want, vpn_dpd_expiry(&t->dpd[VPN_CHAN_DTLS]));
		if (t->send_blocked_ms != VPN_NEVER)
			want = vpn_ms_min(want, t->send_blocked_ms + t->send_stall_ms);
	}
	ck_assert_uint_eq(vpn_tunnel_expiry(t), want);
	if (t->dtls.state != VPN_DTLS_UP)
		ck_assert_uint_eq(vpn_dpd_expiry(&t->dpd[VPN_CHAN_DTLS]), VPN_NEVER);
}

static const struct vpn_machine_ops tunnel_ops = {
	.size = sizeof(struct vpn_tunnel),
	.handle = t_handle,
	.event = t_event,
	.expiry = t_expiry,
	.is_rx = t_is_rx,
	.check = t_check,
};

#define CSTP VPN_CHAN_CSTP
#define DTLS VPN_CHAN_DTLS
#define NEVER VPN_NEVER
#define END VPN_ACT_END
#define REQ_C VPN_ACT_SEND_DPD_REQ_CSTP
#define REQ_D VPN_ACT_SEND_DPD_REQ_DTLS
#define RESP VPN_ACT_SEND_DPD_RESP
#define KA VPN_ACT_SEND_KEEPALIVE
#define INACT VPN_ACT_DTLS_INACTIVE
#define UP VPN_ACT_DTLS_UP

static struct vpn_tunnel_cfg base_cfg(void)
{
	return (struct vpn_tunnel_cfg){
		.dpd_ms = 30000,
		.dpd_retries = 2,
		.keepalive_ms = 20000,
		.idle_ms = 0,
		.session_deadline_ms = NEVER,
		.switch_to_tcp_ms = 0,
		.dtls_enabled = true,
	};
}

static void init(struct vpn_tunnel *t, const struct vpn_tunnel_cfg *cfg, vpn_ms_t now)
{
	ck_assert_int_eq(vpn_tunnel_cfg_check(cfg), 0);
	vpn_tunnel_init(t, cfg, now);
	t_check(t);
}

/* --- scenarios ------------------------------------------------------------ */

/* A peer that goes silent on CSTP: two probes, then dpd-timeout at 3D. */
START_TEST(silent_peer_cstp_only)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 59999, VPN_EV_EXPIRY, 0, 0, 60000 },
		{ 60000, VPN_EV_EXPIRY, 0, REQ_C, 75000 },
		{ 60000, EV_TX, TX(CSTP, VPN_FRAME_DPD_REQ, 8), 0, 75000 },
		{ 74999, VPN_EV_EXPIRY, 0, 0, 75000 },
		{ 75000, VPN_EV_EXPIRY, 0, REQ_C, 90000 },
		{ 89999, VPN_EV_EXPIRY, 0, 0, 90000 },
		{ 90000, VPN_EV_EXPIRY, 0, END, NEVER },
		{ 90001, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), 0, NEVER }, /* ended: no-op */
	};

	cfg.dtls_enabled = false;
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_DPD_TIMEOUT);
	ck_assert_int_eq(vpn_end_reason_goodbye(vpn_tunnel_end_reason(&t)), VPN_BYE_NONE);
	ck_assert_uint_eq(t.ended_ms, 90000);
	ck_assert_int_eq(t.dpd[CSTP].state, VPN_DPD_DEAD);
}
END_TEST

/* Both channels silent: probes on both, CSTP dead wins at 3D. */
START_TEST(silent_peer_both_channels)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 60000, VPN_EV_EXPIRY, 0, REQ_C | REQ_D, 75000 },
		{ 75000, VPN_EV_EXPIRY, 0, REQ_C | REQ_D, 90000 },
		{ 90000, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_DPD_TIMEOUT);
}
END_TEST

/* The openconnect pattern: CSTP DPD every D while DTLS carries data; then
 * DTLS goes silent: DTLS probes, DTLS inactive at 3D, CSTP lives on; a DTLS
 * record brings it back. */
START_TEST(dtls_dies_cstp_lives)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 1000, EV_DTLS_UP, 0, 0, 60000 },
		{ 30000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 61000 },
		{ 60000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 61000 },
		{ 60999, VPN_EV_EXPIRY, 0, 0, 61000 },
		{ 61000, VPN_EV_EXPIRY, 0, REQ_D, 76000 },
		{ 76000, VPN_EV_EXPIRY, 0, REQ_D, 91000 },
		{ 90000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 91000 },
		{ 90999, VPN_EV_EXPIRY, 0, 0, 91000 },
		{ 91000, VPN_EV_EXPIRY, 0, INACT, 150000 },
		{ 95000, EV_RX, RX(DTLS, VPN_FRAME_DPD_REQ, PL_NONE), UP | RESP, 150000 },
		{ 95001, EV_RX, RX(DTLS, VPN_FRAME_DATA, PL_USER), 0, 150000 },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(t.dtls.state, VPN_DTLS_UP);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 95001), DTLS);
	ck_assert_uint_eq(vpn_tunnel_expiry(&t), 150000);
	ck_assert_uint_eq(vpn_dpd_expiry(&t.dpd[DTLS]), 155001);
}
END_TEST

/* CSTP DATA while DTLS is up: the client switched to TLS. */
START_TEST(cstp_data_demotes_dtls)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 10000, EV_RX, RX(DTLS, VPN_FRAME_DATA, PL_USER), 0, 60000 },
		{ 20000, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_USER), INACT, 80000 },
		{ 20001, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_USER), 0, 80001 },
		{ 80001, VPN_EV_EXPIRY, 0, REQ_C, 95001 },	/* no DTLS probe any more */
		{ 81000, EV_DTLS_UP, 0, 0, 95001 },		/* re-handshake */
		{ 95001, VPN_EV_EXPIRY, 0, REQ_C, 110001 },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(t.dtls.state, VPN_DTLS_UP);
	ck_assert_uint_eq(t.dtls.inactivations, 1);
}
END_TEST

/* Idle counts user data only: DPD, keepalives and chatter do not. */
START_TEST(idle_counts_user_data_only)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, 10000 },
		{ 5000, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_USER), 0, 15000 },
		{ 6000, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_CHATTER), 0, 15000 },
		{ 7000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 15000 },
		{ 8000, EV_RX, RX(CSTP, VPN_FRAME_KEEPALIVE, PL_NONE), KA, 15000 },
		{ 8000, EV_TX, TX(CSTP, VPN_FRAME_KEEPALIVE, 0), 0, 15000 },
		{ 9000, EV_TUN, 0, 0, 15000 },
		{ 9500, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_NONE), 0, 15000 },	/* empty DATA */
		{ 10000, EV_TX, TX(CSTP, VPN_FRAME_DATA, 1400), 0, 15000 },
		{ 11000, EV_TUN, 1, 0, 21000 },
		{ 20999, VPN_EV_EXPIRY, 0, 0, 21000 },
		{ 21000, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	cfg.dpd_ms = 0;
	cfg.idle_ms = 10000;
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_IDLE_TIMEOUT);
	ck_assert_int_eq(vpn_end_reason_goodbye(VPN_END_IDLE_TIMEOUT), VPN_BYE_DISCONNECT);
	ck_assert_uint_eq(t.rx_packets, 3);
	ck_assert_uint_eq(t.rx_bytes, sizeof(pkt_user) + sizeof(pkt_igmp));
	ck_assert_uint_eq(t.tx_packets, 1);
	ck_assert_uint_eq(t.tx_bytes, 1400);
	ck_assert_uint_eq(t.tun_packets, 2);
	ck_assert_uint_eq(t.tun_chatter, 1);
}
END_TEST

START_TEST(session_deadline_ends)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 40000, EV_RX, RX(CSTP, VPN_FRAME_KEEPALIVE, PL_NONE), KA, 50000 },
		{ 49999, VPN_EV_EXPIRY, 0, 0, 50000 },
		{ 50000, VPN_EV_EXPIRY, 0, END, NEVER },
		{ 50001, VPN_EV_EXPIRY, 0, 0, NEVER },
	};

	cfg.session_deadline_ms = 50000;
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_SESSION_TIMEOUT);
}
END_TEST

/* Everything due at the same ms: the documented order decides the reason. */
START_TEST(evaluation_order)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();

	/* session deadline = idle = CSTP dead = stall, all at 90000 */
	cfg.idle_ms = 90000;
	cfg.session_deadline_ms = 90000;
	init(&t, &cfg, 0);
	vpn_tunnel_on_send_blocked(&t, 0);
	t.send_stall_ms = 90000;
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 90000), END);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_SESSION_TIMEOUT);

	cfg.session_deadline_ms = NEVER;
	init(&t, &cfg, 0);
	vpn_tunnel_on_send_blocked(&t, 0);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 90000), END);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_IDLE_TIMEOUT);

	cfg.idle_ms = 0;
	init(&t, &cfg, 0);
	vpn_tunnel_on_send_blocked(&t, 0);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 90000), END);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_DPD_TIMEOUT);
	ck_assert_uint_eq(t.dpd[CSTP].probes_sent, 0);	/* no probe on the way out */

	/* stall before DTLS dead and probes: only END */
	init(&t, &cfg, 0);
	vpn_tunnel_on_dtls_up(&t, 0);
	vpn_tunnel_on_send_blocked(&t, 0);
	vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_KEEPALIVE, NULL, 0, 30000);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 90000), END);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_TUNNEL_LOST);
	ck_assert_uint_eq(t.dpd[CSTP].probes_sent, 0);
	ck_assert_uint_eq(t.dpd[DTLS].probes_sent, 0);

	/* DTLS dead and a CSTP probe at the same ms: both reported */
	init(&t, &cfg, 0);
	vpn_tunnel_on_dtls_up(&t, 0);
	vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_KEEPALIVE, NULL, 0, 30000);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 90000), INACT | REQ_C);
	vpn_check_after_expiry(&tunnel_ops, &t, 90000, "dtls dead + probe");
}
END_TEST

/* §6: a CSTP socket that does not drain for 3D ends the tunnel. */
START_TEST(send_stall)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 10000, EV_BLOCK, 0, 0, 60000 },
		{ 20000, EV_BLOCK, 0, 0, 60000 },	/* keeps the first time */
		{ 30000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 90000 },
		{ 60000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 100000 },
		{ 90000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 100000 },
		{ 99999, VPN_EV_EXPIRY, 0, 0, 100000 },
		{ 100000, VPN_EV_EXPIRY, 0, END, NEVER },
	};
	static const struct vpn_step drained[] = {
		{ 10000, EV_BLOCK, 0, 0, 60000 },
		{ 30000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 90000 },
		{ 50000, EV_DRAIN, 0, 0, 90000 },
		{ 60000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 120000 },
		{ 100000, VPN_EV_EXPIRY, 0, 0, 120000 },
		{ 110000, EV_BLOCK, 0, 0, 120000 },
		{ 115000, EV_RX, RX(CSTP, VPN_FRAME_DPD_REQ, PL_NONE), RESP, 175000 },
		{ 175000, VPN_EV_EXPIRY, 0, REQ_C, 190000 },
		{ 190000, VPN_EV_EXPIRY, 0, REQ_C, 200000 },
		{ 200000, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	cfg.dtls_enabled = false;
	init(&t, &cfg, 0);
	ck_assert_uint_eq(t.send_stall_ms, 90000);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_TUNNEL_LOST);

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, drained);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_TUNNEL_LOST);
	ck_assert_uint_eq(t.ended_ms, 200000);
}
END_TEST

START_TEST(send_stall_without_dpd)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 5, EV_BLOCK, 0, 0, 5 + VPN_SEND_STALL_FALLBACK_MS },
		{ 4 + VPN_SEND_STALL_FALLBACK_MS, VPN_EV_EXPIRY, 0, 0, 5 + VPN_SEND_STALL_FALLBACK_MS },
		{ 5 + VPN_SEND_STALL_FALLBACK_MS, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	cfg.dpd_ms = 0;
	ck_assert_uint_eq(vpn_tunnel_cfg_send_stall_ms(&cfg), VPN_SEND_STALL_FALLBACK_MS);
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
}
END_TEST

START_TEST(dpd_echo_and_answers)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	struct vpn_tunnel_snapshot snap;
	static const struct vpn_step steps[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 60000, VPN_EV_EXPIRY, 0, REQ_C | REQ_D, 75000 },
		{ 60040, EV_RX, RX(DTLS, VPN_FRAME_DPD_RESP, PL_ECHO), 0, 75000 },
		{ 60100, EV_RX, RX(CSTP, VPN_FRAME_DPD_RESP, PL_NONE), 0, 120040 },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	vpn_tunnel_snapshot(&t, 60100, &snap);
	ck_assert_uint_eq(snap.probes_sent[CSTP], 1);
	ck_assert_uint_eq(snap.probes_sent[DTLS], 1);
	ck_assert_uint_eq(snap.probes_answered[CSTP], 1);
	ck_assert_uint_eq(snap.probes_answered[DTLS], 1);
	ck_assert_uint_eq(snap.last_rtt_ms[CSTP], NEVER);	/* empty answer: no RTT */
	ck_assert_uint_eq(snap.last_rtt_ms[DTLS], 40);
	ck_assert_uint_eq(snap.last_rx_ms[CSTP], 60100);
	ck_assert_uint_eq(snap.last_rx_ms[DTLS], 60040);
	ck_assert_uint_eq(snap.next_probe_ms[CSTP], 120100);
	ck_assert_uint_eq(snap.next_probe_ms[DTLS], 120040);
}
END_TEST

/* Keepalive answers follow the K/2 rule per channel. */
START_TEST(keepalive_per_channel)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 1000, EV_TX, TX(DTLS, VPN_FRAME_DATA, 100), 0, 60000 },
		{ 2000, EV_RX, RX(CSTP, VPN_FRAME_KEEPALIVE, PL_NONE), KA, 60000 },
		{ 2000, EV_TX, TX(CSTP, VPN_FRAME_KEEPALIVE, 0), 0, 60000 },
		{ 3000, EV_RX, RX(DTLS, VPN_FRAME_KEEPALIVE, PL_NONE), 0, 62000 },
		{ 11000, EV_RX, RX(DTLS, VPN_FRAME_KEEPALIVE, PL_NONE), KA, 62000 },
		{ 11999, EV_RX, RX(CSTP, VPN_FRAME_KEEPALIVE, PL_NONE), 0, 71000 },
		{ 12000, EV_RX, RX(CSTP, VPN_FRAME_KEEPALIVE, PL_NONE), KA, 71000 },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_uint_eq(t.ka[CSTP].received, 3);
	ck_assert_uint_eq(t.ka[CSTP].answered, 2);
	ck_assert_uint_eq(t.ka[DTLS].received, 2);
	ck_assert_uint_eq(t.ka[DTLS].answered, 1);
}
END_TEST

START_TEST(client_disconnect)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step logout[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 100, EV_RX, RX(DTLS, VPN_FRAME_DISCONNECT, PL_BYE_B0), 0, 60000 }, /* DTLS: ignored */
		{ 200, EV_RX, RX(DTLS, VPN_FRAME_TERMINATE, PL_NONE), 0, 60000 },
		{ 300, EV_RX, RX(CSTP, VPN_FRAME_TERMINATE, PL_NONE), 0, 60200 },
		{ 400, EV_RX, RX(CSTP, VPN_FRAME_OTHER, PL_JUNK), 0, 60200 },
		{ 500, EV_RX, RX(CSTP, VPN_FRAME_DISCONNECT, PL_BYE_B0), END, NEVER },
		{ 600, EV_RX, RX(CSTP, VPN_FRAME_DISCONNECT, PL_BYE_91), 0, NEVER },
		{ 700, EV_END, VPN_END_ADMIN_DISCONNECT, 0, NEVER },
		{ 800, VPN_EV_EXPIRY, 0, 0, NEVER },
	};
	static const struct vpn_step reconnect[] = {
		{ 100, EV_RX, RX(CSTP, VPN_FRAME_DISCONNECT, PL_BYE_91), END, NEVER },
	};
	static const struct vpn_step empty[] = {
		{ 100, EV_RX, RX(CSTP, VPN_FRAME_DISCONNECT, PL_NONE), END, NEVER },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, logout);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_USER_DISCONNECT);
	ck_assert_uint_eq(t.ended_ms, 500);
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, reconnect);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_CLIENT_RECONNECTING);
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, empty);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_CLIENT_RECONNECTING);
}
END_TEST

START_TEST(external_end)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 100, EV_END, VPN_END_NONE, 0, 60000 },
		{ 200, EV_END, VPN_END_TUNNEL_LOST, 0, NEVER },
		{ 300, EV_END, VPN_END_TAKEOVER, 0, NEVER },
		{ 400, EV_TUN, 1, 0, NEVER },
		{ 500, EV_BLOCK, 0, 0, NEVER },
		{ 600, EV_DTLS_UP, 0, 0, NEVER },
		{ 700, EV_TX, TX(CSTP, VPN_FRAME_DATA, 9), 0, NEVER },
	};

	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_TUNNEL_LOST);
	ck_assert_uint_eq(t.ended_ms, 200);
	ck_assert_uint_eq(t.tun_packets, 0);
	ck_assert_uint_eq(t.tx_packets, 0);
	ck_assert_uint_eq(t.send_blocked_ms, NEVER);
	ck_assert_int_eq(t.dtls.state, VPN_DTLS_NONE);
}
END_TEST

/* DTLS not negotiated: DTLS frames and events are ignored. */
START_TEST(dtls_disabled)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 100, EV_DTLS_UP, 0, 0, 60000 },
		{ 200, EV_RX, RX(DTLS, VPN_FRAME_DPD_REQ, PL_NONE), 0, 60000 },
		{ 300, EV_TX, TX(DTLS, VPN_FRAME_DATA, 50), 0, 60000 },
	};

	cfg.dtls_enabled = false;
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_uint_eq(t.last_rx_ms[DTLS], NEVER);
	ck_assert_uint_eq(t.tx_packets, 0);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 300), CSTP);
}
END_TEST

/* Out-of-range channel values are ignored, never used as an index. */
START_TEST(bad_channel)
{
	struct vpn_tunnel t, before;
	struct vpn_tunnel_cfg cfg = base_cfg();
	uint8_t p[VPN_DPD_PAYLOAD_LEN];
	static const uint8_t zero[VPN_DPD_PAYLOAD_LEN];

	init(&t, &cfg, 0);
	memcpy(&before, &t, sizeof(t));
	ck_assert_uint_eq(vpn_tunnel_on_rx(&t, (enum vpn_chan)5, VPN_FRAME_DPD_REQ, NULL, 0, 10), 0);
	vpn_tunnel_on_tx(&t, (enum vpn_chan)5, VPN_FRAME_DATA, 10, 10);
	ck_assert_mem_eq(&t, &before, sizeof(t));
	memset(p, 0xaa, sizeof(p));
	vpn_tunnel_probe_payload(&t, (enum vpn_chan)5, p);
	ck_assert_mem_eq(p, zero, sizeof(p));
}
END_TEST

/* switch-to-tcp-timeout through the tunnel. */
START_TEST(switch_to_tcp)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();

	cfg.switch_to_tcp_ms = 5000;
	init(&t, &cfg, 0);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 0), CSTP);
	vpn_tunnel_on_dtls_up(&t, 1000);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 5999), DTLS);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 6000), CSTP);
	ck_assert_uint_eq(vpn_tunnel_on_rx(&t, DTLS, VPN_FRAME_KEEPALIVE, NULL, 0, 7000), KA);
	ck_assert_int_eq(vpn_tunnel_data_path(&t, 7000), DTLS);
}
END_TEST

/* A non-monotonic rx stamp never moves a deadline earlier. */
START_TEST(old_stamps)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	static const struct vpn_step steps[] = {
		{ 0, EV_DTLS_UP, 0, 0, 60000 },
		{ 50000, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_USER), VPN_ACT_DTLS_INACTIVE, 110000 },
		{ 40000, EV_RX, RX(CSTP, VPN_FRAME_DATA, PL_USER), 0, 110000 },
		{ 40000, EV_RX, RX(DTLS, VPN_FRAME_DATA, PL_USER), UP, 110000 },
		{ 40000, EV_TUN, 1, 0, 110000 },
	};

	cfg.idle_ms = 100000;
	init(&t, &cfg, 0);
	VPN_STEPS(&tunnel_ops, &t, steps);
	ck_assert_uint_eq(t.last_rx_ms[CSTP], 50000);
	ck_assert_uint_eq(t.last_rx_ms[DTLS], 50000);
	ck_assert_uint_eq(vpn_dpd_expiry(&t.dpd[DTLS]), 110000);	/* restarted at 50000 */
	ck_assert_uint_eq(vpn_idle_expiry(&t.idle), 150000);

	/* a tun packet stamped before the latest timer run counts at that run */
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 60000), 0);
	vpn_tunnel_on_tun_rx(&t, true, 100, 55000);
	ck_assert_uint_eq(vpn_idle_expiry(&t.idle), 160000);
}
END_TEST

static const vpn_ms_t loop_d_s[] = { 2, 10, 90, 1800 };
static const unsigned loop_r[] = { 1, 2, 7 };
#define LOOP_N 12

/* Every probe slot and the dead time, both sides, both channels, each D and R. */
START_TEST(silent_sweep)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	vpn_ms_t d = vpn_s_to_ms((uint32_t)loop_d_s[_i / 3]), l = 1000;
	unsigned r = loop_r[_i % 3];

	cfg.dpd_ms = d;
	cfg.dpd_retries = r;
	init(&t, &cfg, l);
	vpn_tunnel_on_dtls_up(&t, l);
	for (unsigned k = 0; k < r; k++) {
		vpn_ms_t slot = l + 2 * d + k * d / r;
		uint8_t p[VPN_DPD_PAYLOAD_LEN];

		ck_assert_uint_eq(vpn_tunnel_expiry(&t), slot);
		ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, slot - 1), 0);
		vpn_check_after_expiry(&tunnel_ops, &t, slot - 1, "slot-1");
		ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, slot), REQ_C | REQ_D);
		vpn_check_after_expiry(&tunnel_ops, &t, slot, "slot");
		t_check(&t);
		vpn_tunnel_probe_payload(&t, CSTP, p);
		ck_assert_uint_eq(p[3], k + 1);
		vpn_tunnel_on_tx(&t, CSTP, VPN_FRAME_DPD_REQ, sizeof(p), slot);
		vpn_tunnel_on_tx(&t, DTLS, VPN_FRAME_DPD_REQ, sizeof(p), slot);
	}
	ck_assert_uint_eq(vpn_tunnel_expiry(&t), l + 3 * d);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, l + 3 * d - 1), 0);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, l + 3 * d), END);
	vpn_check_after_expiry(&tunnel_ops, &t, l + 3 * d, "dead");
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_DPD_TIMEOUT);
}
END_TEST

/* A client behaving like openconnect 9.01 (CSTP DPD every D, DTLS DPD every
 * D, data now and then) is never probed and never ended. */
START_TEST(healthy_client_sweep)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	vpn_ms_t d = vpn_s_to_ms((uint32_t)loop_d_s[_i / 3]);
	unsigned r = loop_r[_i % 3];
	vpn_ms_t now = 0;

	cfg.dpd_ms = d;
	cfg.dpd_retries = r;
	cfg.idle_ms = 5 * d;
	init(&t, &cfg, 0);
	vpn_tunnel_on_dtls_up(&t, 0);
	for (int i = 1; i <= 40; i++) {
		unsigned acts;

		now = (vpn_ms_t)i * d;
		acts = vpn_tunnel_handle_expiry(&t, now);
		ck_assert_uint_eq(acts, 0);
		ck_assert_uint_eq(vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_DPD_REQ, NULL, 0, now), RESP);
		vpn_tunnel_on_tx(&t, CSTP, VPN_FRAME_DPD_RESP, 0, now);
		ck_assert_uint_eq(vpn_tunnel_on_rx(&t, DTLS, VPN_FRAME_DPD_REQ, NULL, 0, now), RESP);
		if (i % 4 == 0)
			vpn_tunnel_on_rx(&t, DTLS, VPN_FRAME_DATA, pkt_user, sizeof(pkt_user), now);
		t_check(&t);
	}
	ck_assert_int_eq(vpn_tunnel_end_reason(&t), VPN_END_NONE);
	ck_assert_uint_eq(t.dpd[CSTP].probes_sent + t.dpd[DTLS].probes_sent, 0);
}
END_TEST

/* --- snapshot, config, counters, names ------------------------------------ */

START_TEST(snapshot_fields)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	struct vpn_tunnel_snapshot s;

	cfg.idle_ms = 600000;
	cfg.session_deadline_ms = 7200000;
	cfg.switch_to_tcp_ms = 4000;
	init(&t, &cfg, 1000);
	vpn_tunnel_on_dtls_up(&t, 2000);
	vpn_tunnel_on_rx(&t, DTLS, VPN_FRAME_DATA, pkt_user, sizeof(pkt_user), 3000);
	vpn_tunnel_on_tx(&t, DTLS, VPN_FRAME_DATA, 1300, 3001);
	vpn_tunnel_on_tun_rx(&t, false, 60, 3002);
	vpn_tunnel_on_send_blocked(&t, 3003);
	vpn_tunnel_snapshot(&t, 3500, &s);

	ck_assert(!s.ended);
	ck_assert_int_eq(s.end_reason, VPN_END_NONE);
	ck_assert_uint_eq(s.started_ms, 1000);
	ck_assert_uint_eq(s.ended_ms, NEVER);
	ck_assert_uint_eq(s.dpd_ms, 30000);
	ck_assert_uint_eq(s.dpd_retries, 2);
	ck_assert_uint_eq(s.keepalive_ms, 20000);
	ck_assert_uint_eq(s.idle_ms, 600000);
	ck_assert_uint_eq(s.switch_to_tcp_ms, 4000);
	ck_assert_uint_eq(s.send_stall_ms, 90000);
	ck_assert_uint_eq(s.session_deadline_ms, 7200000);
	ck_assert_uint_eq(s.last_rx_ms[CSTP], 1000);
	ck_assert_uint_eq(s.last_rx_ms[DTLS], 3000);
	ck_assert_int_eq(s.dpd_state[CSTP], VPN_DPD_WATCHING);
	ck_assert_int_eq(s.dpd_state[DTLS], VPN_DPD_WATCHING);
	ck_assert_uint_eq(s.next_probe_ms[CSTP], 61000);
	ck_assert_uint_eq(s.next_probe_ms[DTLS], 63000);
	ck_assert_int_eq(s.dtls_state, VPN_DTLS_UP);
	ck_assert_int_eq(s.data_path, DTLS);
	ck_assert_uint_eq(s.idle_deadline_ms, 603000);
	ck_assert_uint_eq(s.send_blocked_ms, 3003);
	ck_assert_uint_eq(s.expiry_ms, 61000);
	ck_assert_uint_eq(s.rx_packets, 1);
	ck_assert_uint_eq(s.rx_bytes, sizeof(pkt_user));
	ck_assert_uint_eq(s.tx_packets, 1);
	ck_assert_uint_eq(s.tx_bytes, 1300);
	ck_assert_uint_eq(s.tun_packets, 1);
	ck_assert_uint_eq(s.tun_chatter, 1);

	vpn_tunnel_snapshot(&t, 7000, &s);
	ck_assert_int_eq(s.data_path, CSTP);	/* 4 s of DTLS silence */

	vpn_tunnel_end(&t, VPN_END_ADMIN_DISCONNECT, 8000);
	vpn_tunnel_snapshot(&t, 8000, &s);
	ck_assert(s.ended);
	ck_assert_int_eq(s.end_reason, VPN_END_ADMIN_DISCONNECT);
	ck_assert_uint_eq(s.ended_ms, 8000);
	ck_assert_uint_eq(s.expiry_ms, NEVER);
}
END_TEST

START_TEST(accessors)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	struct vpn_tunnel_snapshot s;

	init(&t, &cfg, 1000);
	ck_assert(vpn_tunnel_dtls_enabled(&t));
	ck_assert_int_eq(vpn_tunnel_dtls_state(&t), VPN_DTLS_NONE);
	ck_assert_uint_eq(vpn_tunnel_last_rx(&t, CSTP), 1000);	/* the CONNECT */
	ck_assert_uint_eq(vpn_tunnel_last_rx(&t, DTLS), NEVER);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, CSTP), 0);

	vpn_tunnel_on_dtls_up(&t, 2000);
	ck_assert_int_eq(vpn_tunnel_dtls_state(&t), VPN_DTLS_UP);
	ck_assert_uint_eq(vpn_tunnel_last_rx(&t, DTLS), 2000);
	/* CSTP probes at L + 2D and L + 2D + D/2; DTLS one second later */
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 61000), VPN_ACT_SEND_DPD_REQ_CSTP);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, CSTP), 1);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 62000), VPN_ACT_SEND_DPD_REQ_DTLS);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, 76000), VPN_ACT_SEND_DPD_REQ_CSTP);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, CSTP), 2);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, DTLS), 1);
	vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_KEEPALIVE, NULL, 0, 76500);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, CSTP), 0);
	ck_assert_uint_eq(vpn_tunnel_last_rx(&t, CSTP), 76500);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, DTLS), 1);

	/* the accessors agree with the snapshot */
	vpn_tunnel_snapshot(&t, 76500, &s);
	ck_assert_int_eq(s.dtls_state, vpn_tunnel_dtls_state(&t));
	ck_assert_uint_eq(s.last_rx_ms[DTLS], vpn_tunnel_last_rx(&t, DTLS));

	/* a channel outside the enum */
	ck_assert_uint_eq(vpn_tunnel_last_rx(&t, (enum vpn_chan)7), NEVER);
	ck_assert_uint_eq(vpn_tunnel_unanswered_probes(&t, (enum vpn_chan)7), 0);

	cfg.dtls_enabled = false;
	init(&t, &cfg, 1000);
	ck_assert(!vpn_tunnel_dtls_enabled(&t));
}
END_TEST

/* The activity count moves with what TunnelStats reports (DATA, DPD
 * probes sent and answered) and with nothing an idle tunnel does. */
START_TEST(activity)
{
	struct vpn_tunnel t;
	struct vpn_tunnel_cfg cfg = base_cfg();
	uint8_t pl[VPN_DPD_PAYLOAD_LEN];
	vpn_ms_t at;

	cfg.dtls_enabled = false;
	init(&t, &cfg, 1000);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 0);
	/* keepalives and their answers, the client's DPD and our echo: none */
	ck_assert_uint_eq(vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_KEEPALIVE, NULL, 0, 12000), KA);
	vpn_tunnel_on_tx(&t, CSTP, VPN_FRAME_KEEPALIVE, 0, 12000);
	ck_assert_uint_eq(vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_DPD_REQ, NULL, 0, 13000), RESP);
	vpn_tunnel_on_tx(&t, CSTP, VPN_FRAME_DPD_RESP, 0, 13000);
	vpn_tunnel_on_tun_rx(&t, false, 60, 13500);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 0);
	/* DATA either way: one each */
	vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_DATA, pkt_user, sizeof(pkt_user), 14000);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 1);
	vpn_tunnel_on_tx(&t, CSTP, VPN_FRAME_DATA, 1300, 14000);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 2);
	/* a probe of ours, and its answer */
	at = vpn_tunnel_expiry(&t);
	ck_assert_uint_eq(vpn_tunnel_handle_expiry(&t, at), REQ_C);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 3);
	vpn_tunnel_probe_payload(&t, CSTP, pl);
	vpn_tunnel_on_rx(&t, CSTP, VPN_FRAME_DPD_RESP, pl, sizeof(pl), at + 20);
	ck_assert_uint_eq(vpn_tunnel_activity(&t), 4);
}
END_TEST

START_TEST(cfg_checks)
{
	struct vpn_tunnel_cfg cfg = base_cfg();

	ck_assert_int_eq(vpn_tunnel_cfg_check(NULL), -EINVAL);
	ck_assert_int_eq(vpn_tunnel_cfg_check(&cfg), 0);
	cfg.dpd_retries = 0;
	ck_assert_int_eq(vpn_tunnel_cfg_check(&cfg), -EINVAL);
	cfg.dpd_retries = 11;
	ck_assert_int_eq(vpn_tunnel_cfg_check(&cfg), -EINVAL);
	cfg.dpd_ms = 0;
	ck_assert_int_eq(vpn_tunnel_cfg_check(&cfg), 0);
	ck_assert_uint_eq(vpn_tunnel_cfg_send_stall_ms(&cfg), VPN_SEND_STALL_FALLBACK_MS);
	cfg.dpd_ms = 2000;
	ck_assert_uint_eq(vpn_tunnel_cfg_send_stall_ms(&cfg), 6000);
	cfg.dpd_ms = VPN_NEVER / 2;
	ck_assert_uint_eq(vpn_tunnel_cfg_send_stall_ms(&cfg), NEVER);
}
END_TEST

START_TEST(counters)
{
	struct vpn_counters c;

	memset(&c, 0, sizeof(c));
	for (int r = 0; r < VPN_END_REASON_COUNT; r++)
		vpn_counters_count_end(&c, (enum vpn_end_reason)r);
	vpn_counters_count_end(&c, VPN_END_DPD_TIMEOUT);
	vpn_counters_count_end(&c, (enum vpn_end_reason)77);
	vpn_counters_count_connect(&c, VPN_CONNECT_FIRST);
	vpn_counters_count_connect(&c, VPN_CONNECT_RESUME);
	vpn_counters_count_connect(&c, VPN_CONNECT_RESUME);
	vpn_counters_count_connect(&c, VPN_CONNECT_TAKEOVER);
	vpn_counters_count_connect(&c, VPN_CONNECT_REFUSED);
	ck_assert_uint_eq(c.dpd_timeouts, 2);
	ck_assert_uint_eq(c.takeovers, 1);
	ck_assert_uint_eq(c.idle_timeouts, 1);
	ck_assert_uint_eq(c.session_timeouts, 1);
	ck_assert_uint_eq(c.expiries, 1);
	ck_assert_uint_eq(c.resumes, 2);
}
END_TEST

START_TEST(frame_names)
{
	static const char *const names[] = { "data", "dpd-req", "dpd-resp", "keepalive",
					     "disconnect", "terminate", "other" };

	for (int k = VPN_FRAME_DATA; k <= VPN_FRAME_OTHER; k++)
		ck_assert_str_eq(vpn_frame_kind_str((enum vpn_frame_kind)k), names[k]);
	ck_assert_str_eq(vpn_frame_kind_str((enum vpn_frame_kind)99), "unknown");
}
END_TEST

static Suite *tunnel_suite(void)
{
	Suite *s = suite_create("vpn-tunnel");
	TCase *tc;

	tc = tcase_create("dpd");
	tcase_add_test(tc, silent_peer_cstp_only);
	tcase_add_test(tc, silent_peer_both_channels);
	tcase_add_test(tc, dtls_dies_cstp_lives);
	tcase_add_test(tc, dpd_echo_and_answers);
	tcase_add_loop_test(tc, silent_sweep, 0, LOOP_N);
	tcase_add_loop_test(tc, healthy_client_sweep, 0, LOOP_N);
	suite_add_tcase(s, tc);

	tc = tcase_create("ends");
	tcase_add_test(tc, idle_counts_user_data_only);
	tcase_add_test(tc, session_deadline_ends);
	tcase_add_test(tc, evaluation_order);
	tcase_add_test(tc, send_stall);
	tcase_add_test(tc, send_stall_without_dpd);
	tcase_add_test(tc, client_disconnect);
	tcase_add_test(tc, external_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("channels");
	tcase_add_test(tc, cstp_data_demotes_dtls);
	tcase_add_test(tc, keepalive_per_channel);
	tcase_add_test(tc, dtls_disabled);
	tcase_add_test(tc, bad_channel);
	tcase_add_test(tc, switch_to_tcp);
	tcase_add_test(tc, old_stamps);
	suite_add_tcase(s, tc);

	tc = tcase_create("visibility");
	tcase_add_test(tc, snapshot_fields);
	tcase_add_test(tc, accessors);
	tcase_add_test(tc, activity);
	tcase_add_test(tc, cfg_checks);
	tcase_add_test(tc, counters);
	tcase_add_test(tc, frame_names);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tunnel_suite)
