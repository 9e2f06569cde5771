/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/dpd.c: the per-channel DPD schedule (doc/spec/liveness.md §3). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "vpn/dpd.h"
#include "vpn-test-util.h"

enum {
	EV_RX = 1,		/* any valid frame */
	EV_REPLY,		/* DPD-RESP; arg: REPLY_* */
	EV_RESTART,
	EV_STOP,
};
enum {
	REPLY_EMPTY = 0,
	REPLY_ECHO,		/* echo of the latest probe */
	REPLY_FOREIGN,		/* 8 bytes that are not ours */
};

static unsigned dpd_handle(void *m, vpn_ms_t now)
{
	return vpn_dpd_handle_expiry(m, now);
}

static unsigned dpd_event(void *vm, int ev, uint64_t arg, vpn_ms_t now)
{
	struct vpn_dpd *m = vm;
	uint8_t p[VPN_DPD_PAYLOAD_LEN];

	switch (ev) {
	case EV_RX:
		vpn_dpd_on_rx(m, now);
		return 0;
	case EV_REPLY:
		if (arg == REPLY_EMPTY)
			return vpn_dpd_on_probe_reply(m, NULL, 0, now);
		if (arg == REPLY_ECHO)
			vpn_dpd_probe_payload(m, p);
		else
			memcpy(p, "ABCDEFGH", sizeof(p));
		return vpn_dpd_on_probe_reply(m, p, sizeof(p), now);
	case EV_RESTART:
		vpn_dpd_restart(m, now);
		return 0;
	case EV_STOP:
		vpn_dpd_stop(m);
		return 0;
	}
	ck_abort_msg("unknown event %d", ev);
	return 0;
}

static vpn_ms_t dpd_expiry(const void *m)
{
	return vpn_dpd_expiry(m);
}

static bool dpd_is_rx(int ev)
{
	return ev == EV_RX || ev == EV_REPLY;
}

static const struct vpn_machine_ops dpd_ops = {
	.size = sizeof(struct vpn_dpd),
	.handle = dpd_handle,
	.event = dpd_event,
	.expiry = dpd_expiry,
	.is_rx = dpd_is_rx,
};

#define P VPN_DPD_ACT_SEND_PROBE
#define DEAD VPN_DPD_ACT_DEAD
#define NEVER VPN_NEVER

static void init(struct vpn_dpd *m, vpn_ms_t d, unsigned r, vpn_ms_t now)
{
	struct vpn_dpd_cfg cfg = { .interval_ms = d, .retries = r };

	ck_assert_int_eq(vpn_dpd_cfg_check(&cfg), 0);
	vpn_dpd_init(m, &cfg, now);
}

START_TEST(cfg_check)
{
	struct vpn_dpd_cfg c = { 0 };

	ck_assert_int_eq(vpn_dpd_cfg_check(NULL), -EINVAL);
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), 0);	/* off: retries irrelevant */
	c.interval_ms = 30000;
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), -EINVAL);
	c.retries = 1;
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), 0);
	c.retries = 10;
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), 0);
	c.retries = 11;
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), -EINVAL);
	c.retries = 2;
	c.interval_ms = VPN_NEVER;
	ck_assert_int_eq(vpn_dpd_cfg_check(&c), -EINVAL);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(vpn_dpd_state_str(VPN_DPD_OFF), "off");
	ck_assert_str_eq(vpn_dpd_state_str(VPN_DPD_WATCHING), "watching");
	ck_assert_str_eq(vpn_dpd_state_str(VPN_DPD_PROBING), "probing");
	ck_assert_str_eq(vpn_dpd_state_str(VPN_DPD_DEAD), "dead");
	ck_assert_str_eq(vpn_dpd_state_str((enum vpn_dpd_state)42), "unknown");
}
END_TEST

/* The schedule of doc/spec/liveness.md §3 with D = 30 s, R = 2, probes at 2D and 2.5D, dead at 3D. */
START_TEST(default_schedule)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, 60000 },
		{ 59999, VPN_EV_EXPIRY, 0, 0, 60000 },
		{ 60000, VPN_EV_EXPIRY, 0, P, 75000 },
		{ 74999, VPN_EV_EXPIRY, 0, 0, 75000 },
		{ 75000, VPN_EV_EXPIRY, 0, P, 90000 },
		{ 89999, VPN_EV_EXPIRY, 0, 0, 90000 },
		{ 90000, VPN_EV_EXPIRY, 0, DEAD, NEVER },
		{ 95000, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 95000, EV_RX, 0, 0, NEVER },		/* dead stays dead */
		{ 100000, EV_RESTART, 0, 0, 160000 },	/* channel back: new round */
		{ 159999, VPN_EV_EXPIRY, 0, 0, 160000 },
		{ 160000, VPN_EV_EXPIRY, 0, P, 175000 },
	};

	init(&m, 30000, 2, 0);
	ck_assert_int_eq(m.state, VPN_DPD_WATCHING);
	VPN_STEPS(&dpd_ops, &m, steps);
	ck_assert_uint_eq(m.probes_sent, 3);
	ck_assert_uint_eq(m.probes_answered, 0);
	ck_assert_uint_eq(m.last_rtt_ms, NEVER);
	ck_assert_int_eq(m.state, VPN_DPD_PROBING);
}
END_TEST

/* Any frame re-anchors the schedule; replies count as answers. */
START_TEST(rx_resets_round)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 1000, EV_RX, 0, 0, 61000 },
		{ 61000, VPN_EV_EXPIRY, 0, P, 76000 },
		{ 62000, EV_RX, 0, 0, 122000 },		/* data: round over, probe still out */
		{ 121999, VPN_EV_EXPIRY, 0, 0, 122000 },
		{ 122000, VPN_EV_EXPIRY, 0, P, 137000 },
		{ 123000, EV_REPLY, REPLY_EMPTY, 0, 183000 },	/* openconnect: empty */
		{ 183000, VPN_EV_EXPIRY, 0, P, 198000 },
		{ 183010, EV_REPLY, REPLY_ECHO, 1, 243010 },	/* ocserv-style echo */
		{ 243010, VPN_EV_EXPIRY, 0, P, 258010 },
		{ 258010, VPN_EV_EXPIRY, 0, P, 273010 },
		{ 258015, EV_REPLY, REPLY_FOREIGN, 0, 318015 },
		{ 258016, EV_REPLY, REPLY_EMPTY, 0, 318016 },	/* nothing outstanding */
		{ 318016, VPN_EV_EXPIRY, 0, P, 333016 },
		{ 333016, VPN_EV_EXPIRY, 0, P, 348016 },
		{ 348015, VPN_EV_EXPIRY, 0, 0, 348016 },
		{ 348016, VPN_EV_EXPIRY, 0, DEAD, NEVER },
	};

	init(&m, 30000, 2, 0);
	VPN_STEPS(&dpd_ops, &m, steps);
	ck_assert_uint_eq(m.probes_sent, 7);
	/* empty at 123000, echo at 183010, foreign at 258015 */
	ck_assert_uint_eq(m.probes_answered, 3);
	ck_assert_uint_eq(m.last_rtt_ms, 10);
	ck_assert_uint_eq(m.last_rx_ms, 258016);
}
END_TEST

static const vpn_ms_t loop_d_s[] = { 2, 10, 90, 1800 };
static const unsigned loop_r[] = { 1, 2, 7 };
#define LOOP_N (sizeof(loop_d_s) / sizeof(loop_d_s[0]) * sizeof(loop_r) / sizeof(loop_r[0]))

static void loop_params(int i, vpn_ms_t *d, unsigned *r)
{
	*d = vpn_s_to_ms((uint32_t)loop_d_s[i / 3]);
	*r = loop_r[i % 3];
}

/* Walk every probe slot and the dead time from both sides, for each D and R. */
START_TEST(schedule_sweep)
{
	struct vpn_dpd m;
	vpn_ms_t d, l = 5000;
	unsigned r;

	loop_params(_i, &d, &r);
	init(&m, d, r, l);
	for (unsigned k = 0; k < r; k++) {
		vpn_ms_t slot = l + 2 * d + k * d / r;
		uint8_t p[VPN_DPD_PAYLOAD_LEN];

		ck_assert_uint_eq(vpn_dpd_expiry(&m), slot);
		ck_assert_uint_eq(vpn_dpd_next_probe(&m), slot);
		ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, slot - 1), 0);
		vpn_check_after_expiry(&dpd_ops, &m, slot - 1, "slot-1");
		ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, slot), P);
		vpn_check_after_expiry(&dpd_ops, &m, slot, "slot");
		ck_assert_uint_eq(m.round_probes, k + 1);
		ck_assert_uint_eq(m.probes_sent, k + 1);
		vpn_dpd_probe_payload(&m, p);
		ck_assert_uint_eq(p[3], k + 1);	/* sequence */
	}
	ck_assert_uint_eq(vpn_dpd_next_probe(&m), NEVER);
	ck_assert_uint_eq(vpn_dpd_expiry(&m), l + 3 * d);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, l + 3 * d - 1), 0);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, l + 3 * d), DEAD);
	vpn_check_after_expiry(&dpd_ops, &m, l + 3 * d, "dead");
	ck_assert_int_eq(m.state, VPN_DPD_DEAD);
	ck_assert_uint_eq(vpn_dpd_expiry(&m), NEVER);
}
END_TEST

/* A healthy client (a frame every D) is never probed, whatever D and R. */
START_TEST(healthy_peer_never_probed)
{
	struct vpn_dpd m;
	vpn_ms_t d;
	unsigned r;

	loop_params(_i, &d, &r);
	init(&m, d, r, 0);
	for (vpn_ms_t t = d; t <= 50 * d; t += d) {
		ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, t), 0);
		vpn_dpd_on_rx(&m, t);
		ck_assert_uint_eq(vpn_dpd_expiry(&m), t + 2 * d);
	}
	ck_assert_uint_eq(m.probes_sent, 0);
}
END_TEST

/* A peer that answers only the last probe of every round survives. */
START_TEST(answer_last_probe_survives)
{
	struct vpn_dpd m;
	vpn_ms_t d, t = 0;
	unsigned r;

	loop_params(_i, &d, &r);
	init(&m, d, r, 0);
	for (int round = 0; round < 5; round++) {
		for (unsigned k = 0; k < r; k++) {
			t = vpn_dpd_expiry(&m);
			ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, t), P);
		}
		ck_assert_uint_eq(vpn_dpd_expiry(&m), m.last_rx_ms + 3 * d);
		t += 1;
		{
			uint8_t p[VPN_DPD_PAYLOAD_LEN];

			vpn_dpd_probe_payload(&m, p);
			ck_assert(vpn_dpd_on_probe_reply(&m, p, sizeof(p), t));
		}
		ck_assert_uint_eq(m.last_rtt_ms, 1);
		ck_assert_int_eq(m.state, VPN_DPD_WATCHING);
	}
	ck_assert_uint_eq(m.probes_sent, 5 * r);
	ck_assert_uint_eq(m.probes_answered, 5);
}
END_TEST

/* A late timer sends one probe for all passed slots, and none at dead time. */
START_TEST(late_call_coalesces)
{
	struct vpn_dpd m;

	init(&m, 10000, 7, 0);
	/* slots: 20000, 21428, 22857, 24285, 25714, 27142, 28571; dead 30000 */
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 24285), P);
	ck_assert_uint_eq(m.round_probes, 4);
	ck_assert_uint_eq(m.probes_sent, 1);
	ck_assert_uint_eq(vpn_dpd_expiry(&m), 25714);
	vpn_check_after_expiry(&dpd_ops, &m, 24285, "late");
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 29999), P);
	ck_assert_uint_eq(m.round_probes, 7);
	ck_assert_uint_eq(vpn_dpd_expiry(&m), 30000);

	init(&m, 10000, 7, 0);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 30000), DEAD);
	ck_assert_uint_eq(m.probes_sent, 0);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 99999), 0);
}
END_TEST

/* D/R rounding to 0 puts every slot at L + 2D: one probe, then dead. */
START_TEST(tiny_interval)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 1, VPN_EV_EXPIRY, 0, 0, 2 },
		{ 2, VPN_EV_EXPIRY, 0, P, 3 },
		{ 3, VPN_EV_EXPIRY, 0, DEAD, NEVER },
	};

	init(&m, 1, 10, 0);
	VPN_STEPS(&dpd_ops, &m, steps);
}
END_TEST

START_TEST(off_when_zero)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 1000000, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 1000001, EV_RX, 0, 0, NEVER },
		{ 1000002, EV_REPLY, REPLY_ECHO, 0, NEVER },
		{ 1000003, EV_RESTART, 0, 0, NEVER },	/* D = 0 stays off */
	};

	init(&m, 0, 0, 0);
	ck_assert_int_eq(m.state, VPN_DPD_OFF);
	VPN_STEPS(&dpd_ops, &m, steps);
	ck_assert_int_eq(m.state, VPN_DPD_OFF);
	ck_assert_uint_eq(m.last_rx_ms, 1000003);
	ck_assert_uint_eq(vpn_dpd_next_probe(&m), NEVER);
}
END_TEST

START_TEST(stop_and_restart)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 4000, VPN_EV_EXPIRY, 0, P, 5000 },
		{ 4500, EV_STOP, 0, 0, NEVER },
		{ 9000, VPN_EV_EXPIRY, 0, 0, NEVER },
		{ 9100, EV_RX, 0, 0, NEVER },		/* records the time only */
		{ 9200, EV_RESTART, 0, 0, 13200 },
		{ 13200, VPN_EV_EXPIRY, 0, P, 14200 },
		{ 13300, EV_RESTART, 0, 0, 17300 },	/* restart from probing */
	};

	init(&m, 2000, 2, 0);
	VPN_STEPS(&dpd_ops, &m, steps);
	ck_assert_uint_eq(m.round_probes, 0);
	ck_assert_uint_eq(m.probes_sent, 2);
}
END_TEST

/* An rx stamped before L (a caller's clock glitch) changes nothing. */
START_TEST(old_rx_ignored)
{
	struct vpn_dpd m;
	static const struct vpn_step steps[] = {
		{ 10000, EV_RX, 0, 0, 70000 },
		{ 70000, VPN_EV_EXPIRY, 0, P, 85000 },
		{ 9000, EV_RX, 0, 0, 85000 },
		{ 9000, EV_REPLY, REPLY_EMPTY, 0, 85000 },
		{ 9000, EV_RESTART, 0, 0, 70000 },	/* restart re-anchors at L, not before */
	};

	init(&m, 30000, 2, 0);
	VPN_STEPS(&dpd_ops, &m, steps);
	ck_assert_uint_eq(m.last_rx_ms, 10000);
	ck_assert_uint_eq(m.probes_answered, 1);
}
END_TEST

START_TEST(bad_cfg_clamped)
{
	struct vpn_dpd m;
	struct vpn_dpd_cfg c = { .interval_ms = 1000, .retries = 0 };

	vpn_dpd_init(&m, &c, 0);
	ck_assert_uint_eq(m.cfg.retries, 1);
	ck_assert_uint_eq(vpn_dpd_expiry(&m), 2000);
	c.retries = 99;
	vpn_dpd_init(&m, &c, 0);
	ck_assert_uint_eq(m.cfg.retries, 10);
	c.interval_ms = VPN_NEVER - 5;
	c.retries = 2;
	vpn_dpd_init(&m, &c, 0);
	ck_assert(vpn_dpd_expiry(&m) < NEVER);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, NEVER - 1), DEAD);
}
END_TEST

/* Payload layout: big-endian sequence, big-endian low 32 bits of send time. */
START_TEST(payload_layout)
{
	struct vpn_dpd m;
	uint8_t p[VPN_DPD_PAYLOAD_LEN];
	static const uint8_t zero[VPN_DPD_PAYLOAD_LEN];
	vpn_ms_t l = 0x123456789aULL;	/* beyond 32 bits */

	init(&m, 1000, 1, l);
	vpn_dpd_probe_payload(&m, p);
	ck_assert_mem_eq(p, zero, sizeof(p));
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, l + 2000), P);
	vpn_dpd_probe_payload(&m, p);
	{
		vpn_ms_t s = l + 2000;
		const uint8_t want[VPN_DPD_PAYLOAD_LEN] = {
			0, 0, 0, 1,
			(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s,
		};

		ck_assert_mem_eq(p, want, sizeof(p));
	}
}
END_TEST

/* Echoes of older outstanding probes still give samples; bad ones do not. */
START_TEST(echo_matching)
{
	struct vpn_dpd m;
	uint8_t p1[VPN_DPD_PAYLOAD_LEN], p2[VPN_DPD_PAYLOAD_LEN], bad[VPN_DPD_PAYLOAD_LEN];

	init(&m, 1000, 2, 0);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 2000), P);
	vpn_dpd_probe_payload(&m, p1);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 2500), P);
	vpn_dpd_probe_payload(&m, p2);
	ck_assert_uint_eq(m.outstanding, 2);

	/* wrong length, NULL, wrong time, unknown sequence: no sample */
	{
		struct vpn_dpd c = m;

		ck_assert(!vpn_dpd_on_probe_reply(&c, p1, 7, 2600));
		ck_assert_uint_eq(c.outstanding, 0);
		ck_assert_uint_eq(c.probes_answered, 1);
		c = m;
		ck_assert(!vpn_dpd_on_probe_reply(&c, NULL, 8, 2600));
		c = m;
		memcpy(bad, p1, sizeof(bad));
		bad[7] ^= 1;
		ck_assert(!vpn_dpd_on_probe_reply(&c, bad, sizeof(bad), 2600));
		c = m;
		memcpy(bad, p2, sizeof(bad));
		bad[3] += 1;	/* a probe not sent yet */
		ck_assert(!vpn_dpd_on_probe_reply(&c, bad, sizeof(bad), 2600));
		ck_assert_uint_eq(c.last_rtt_ms, NEVER);
	}

	/* the older probe first: the newer stays outstanding */
	ck_assert(vpn_dpd_on_probe_reply(&m, p1, sizeof(p1), 2700));
	ck_assert_uint_eq(m.last_rtt_ms, 700);
	ck_assert_uint_eq(m.outstanding, 1);
	ck_assert(vpn_dpd_on_probe_reply(&m, p2, sizeof(p2), 2710));
	ck_assert_uint_eq(m.last_rtt_ms, 210);
	ck_assert_uint_eq(m.outstanding, 0);
	ck_assert_uint_eq(m.probes_answered, 2);
	/* a duplicate echo is not an answer any more */
	ck_assert(!vpn_dpd_on_probe_reply(&m, p2, sizeof(p2), 2720));
	ck_assert_uint_eq(m.probes_answered, 2);
	ck_assert_uint_eq(m.last_rtt_ms, 210);
	ck_assert_uint_eq(m.last_rx_ms, 2720);
}
END_TEST

/* Only the newest VPN_DPD_TRACK probes can be matched; sequence wraps. */
START_TEST(echo_ring_and_wrap)
{
	struct vpn_dpd m;
	uint8_t first[VPN_DPD_PAYLOAD_LEN], p[VPN_DPD_PAYLOAD_LEN];
	vpn_ms_t t = 0;

	init(&m, 10, 1, 0);
	m.seq = UINT32_MAX - 2;	/* as if 2^32 - 3 probes had been sent */
	for (int i = 0; i < VPN_DPD_TRACK + 4; i++) {
		t = vpn_dpd_expiry(&m);
		ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, t), P);
		if (i == 0)
			vpn_dpd_probe_payload(&m, first);
		vpn_dpd_on_rx(&m, t);	/* keep it alive without answering */
	}
	ck_assert_uint_eq(m.outstanding, VPN_DPD_TRACK);
	ck_assert(m.seq < 100);	/* wrapped */
	ck_assert(!vpn_dpd_on_probe_reply(&m, first, sizeof(first), t + 1));
	ck_assert_uint_eq(m.outstanding, 0);

	t = vpn_dpd_expiry(&m);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, t), P);
	vpn_dpd_probe_payload(&m, p);
	ck_assert(vpn_dpd_on_probe_reply(&m, p, sizeof(p), t + 3));
	ck_assert_uint_eq(m.last_rtt_ms, 3);
}
END_TEST

/* An echo stamped before its send time (clock glitch) gives RTT 0, not 2^64. */
START_TEST(echo_clock_glitch)
{
	struct vpn_dpd m;
	uint8_t p[VPN_DPD_PAYLOAD_LEN];

	init(&m, 1000, 1, 0);
	ck_assert_uint_eq(vpn_dpd_handle_expiry(&m, 2000), P);
	vpn_dpd_probe_payload(&m, p);
	ck_assert(vpn_dpd_on_probe_reply(&m, p, sizeof(p), 1999));
	ck_assert_uint_eq(m.last_rtt_ms, 0);
}
END_TEST

static Suite *dpd_suite(void)
{
	Suite *s = suite_create("vpn-dpd");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_test(tc, cfg_check);
	tcase_add_test(tc, state_names);
	tcase_add_test(tc, bad_cfg_clamped);
	suite_add_tcase(s, tc);

	tc = tcase_create("schedule");
	tcase_add_test(tc, default_schedule);
	tcase_add_test(tc, rx_resets_round);
	tcase_add_loop_test(tc, schedule_sweep, 0, (int)LOOP_N);
	tcase_add_loop_test(tc, healthy_peer_never_probed, 0, (int)LOOP_N);
	tcase_add_loop_test(tc, answer_last_probe_survives, 0, (int)LOOP_N);
	tcase_add_test(tc, late_call_coalesces);
	tcase_add_test(tc, tiny_interval);
	tcase_add_test(tc, off_when_zero);
	tcase_add_test(tc, stop_and_restart);
	tcase_add_test(tc, old_rx_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("probe-payload");
	tcase_add_test(tc, payload_layout);
	tcase_add_test(tc, echo_matching);
	tcase_add_test(tc, echo_ring_and_wrap);
	tcase_add_test(tc, echo_clock_glitch);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dpd_suite)
