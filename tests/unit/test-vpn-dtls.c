/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/dtls.c: DTLS channel state and data path (doc/spec/liveness.md §7). */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "vpn/dtls.h"
#include "vpn-test-util.h"

enum { EV_UP = 1, EV_RX, EV_CSTP_DATA, EV_DEAD, EV_PATH };

struct dtls_step {
	vpn_ms_t t_ms;
	int event;
	bool changed;			/* expected return of the event */
	enum vpn_dtls_state state;	/* expected state after it */
	enum vpn_chan path;		/* expected data path at t after it */
};

static void run(struct vpn_dtls *m, const struct dtls_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool changed = false;

		switch (s[i].event) {
		case EV_UP:
			changed = vpn_dtls_on_up(m, s[i].t_ms);
			break;
		case EV_RX:
			changed = vpn_dtls_on_rx(m, s[i].t_ms);
			break;
		case EV_CSTP_DATA:
			changed = vpn_dtls_on_cstp_data(m);
			break;
		case EV_DEAD:
			changed = vpn_dtls_on_dead(m);
			break;
		case EV_PATH:
			break;
		}
		ck_assert_msg(changed == s[i].changed, "step %zu: changed %d", i, changed);
		ck_assert_msg(m->state == s[i].state, "step %zu: state %s, want %s", i,
			      vpn_dtls_state_str(m->state), vpn_dtls_state_str(s[i].state));
		ck_assert_msg(vpn_dtls_data_path(m, s[i].t_ms) == s[i].path, "step %zu: path %s", i,
			      vpn_chan_str(vpn_dtls_data_path(m, s[i].t_ms)));
	}
}

#define C VPN_CHAN_CSTP
#define D VPN_CHAN_DTLS

START_TEST(states_without_switch_timeout)
{
	struct vpn_dtls m;
	static const struct dtls_step steps[] = {
		{ 0, EV_PATH, false, VPN_DTLS_NONE, C },
		{ 0, EV_CSTP_DATA, false, VPN_DTLS_NONE, C },
		{ 0, EV_DEAD, false, VPN_DTLS_NONE, C },
		{ 100, EV_UP, true, VPN_DTLS_UP, D },
		{ 200, EV_UP, false, VPN_DTLS_UP, D },		/* re-handshake */
		{ 9000000, EV_PATH, false, VPN_DTLS_UP, D },	/* W = 0: no silence limit */
		{ 9000001, EV_CSTP_DATA, true, VPN_DTLS_INACTIVE, C },
		{ 9000002, EV_CSTP_DATA, false, VPN_DTLS_INACTIVE, C },
		{ 9000003, EV_RX, true, VPN_DTLS_UP, D },
		{ 9000004, EV_RX, false, VPN_DTLS_UP, D },
		{ 9000005, EV_DEAD, true, VPN_DTLS_INACTIVE, C },
		{ 9000006, EV_DEAD, false, VPN_DTLS_INACTIVE, C },
		{ 9000007, EV_UP, true, VPN_DTLS_UP, D },
	};

	vpn_dtls_init(&m, true, 0);
	run(&m, steps, sizeof(steps) / sizeof(steps[0]));
	ck_assert_uint_eq(m.ups, 3);
	ck_assert_uint_eq(m.inactivations, 2);
}
END_TEST

/* W = 5 s: data moves to CSTP after 5 s of DTLS silence, back on the next record. */
START_TEST(switch_to_tcp)
{
	struct vpn_dtls m;
	static const struct dtls_step steps[] = {
		{ 1000, EV_UP, true, VPN_DTLS_UP, D },
		{ 5999, EV_PATH, false, VPN_DTLS_UP, D },
		{ 6000, EV_PATH, false, VPN_DTLS_UP, C },
		{ 60000, EV_PATH, false, VPN_DTLS_UP, C },
		{ 60001, EV_RX, false, VPN_DTLS_UP, D },
		{ 65000, EV_PATH, false, VPN_DTLS_UP, D },
		{ 65001, EV_PATH, false, VPN_DTLS_UP, C },
		{ 65001, EV_RX, false, VPN_DTLS_UP, D },
		{ 2000, EV_RX, false, VPN_DTLS_UP, D },		/* older stamp ignored */
		{ 70000, EV_PATH, false, VPN_DTLS_UP, D },
		{ 70001, EV_PATH, false, VPN_DTLS_UP, C },
	};

	vpn_dtls_init(&m, true, 5000);
	run(&m, steps, sizeof(steps) / sizeof(steps[0]));
}
END_TEST

START_TEST(not_enabled)
{
	struct vpn_dtls m;
	static const struct dtls_step steps[] = {
		{ 10, EV_UP, false, VPN_DTLS_NONE, C },
		{ 20, EV_RX, false, VPN_DTLS_NONE, C },
		{ 30, EV_DEAD, false, VPN_DTLS_NONE, C },
	};

	vpn_dtls_init(&m, false, 5000);
	run(&m, steps, sizeof(steps) / sizeof(steps[0]));
	ck_assert_uint_eq(m.last_rx_ms, VPN_NEVER);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(vpn_chan_str(VPN_CHAN_CSTP), "cstp");
	ck_assert_str_eq(vpn_chan_str(VPN_CHAN_DTLS), "dtls");
	ck_assert_str_eq(vpn_chan_str((enum vpn_chan)7), "unknown");
	ck_assert_str_eq(vpn_dtls_state_str(VPN_DTLS_NONE), "none");
	ck_assert_str_eq(vpn_dtls_state_str(VPN_DTLS_UP), "up");
	ck_assert_str_eq(vpn_dtls_state_str(VPN_DTLS_INACTIVE), "inactive");
	ck_assert_str_eq(vpn_dtls_state_str((enum vpn_dtls_state)7), "unknown");
}
END_TEST

/* A corrupted state never crashes and never routes data to DTLS. */
START_TEST(corrupt_state)
{
	struct vpn_dtls m;

	vpn_dtls_init(&m, true, 0);
	m.state = (enum vpn_dtls_state)42;
	ck_assert_int_eq(vpn_dtls_data_path(&m, 0), VPN_CHAN_CSTP);
	ck_assert(!vpn_dtls_on_dead(&m));
	ck_assert(!vpn_dtls_on_rx(&m, 1));
}
END_TEST

static Suite *dtls_suite(void)
{
	Suite *s = suite_create("vpn-dtls");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, states_without_switch_timeout);
	tcase_add_test(tc, switch_to_tcp);
	tcase_add_test(tc, not_enabled);
	tcase_add_test(tc, names);
	tcase_add_test(tc, corrupt_state);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dtls_suite)
