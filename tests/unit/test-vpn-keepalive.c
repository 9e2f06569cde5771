/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/keepalive.c: the K/2 answer rule (doc/spec/liveness.md §4). */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "vpn/keepalive.h"
#include "vpn-test-util.h"

enum { EV_TX = 1, EV_KA };

struct ka_step {
	vpn_ms_t t_ms;
	int event;
	bool answer;	/* for EV_KA: expected decision */
};

static void run(struct vpn_keepalive *k, const struct ka_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].event == EV_TX) {
			vpn_keepalive_on_tx(k, s[i].t_ms);
			continue;
		}
		ck_assert_msg(vpn_keepalive_on_keepalive_rx(k, s[i].t_ms) == s[i].answer,
			      "step %zu t=%llu: want answer=%d", i,
			      (unsigned long long)s[i].t_ms, s[i].answer);
		if (s[i].answer)
			vpn_keepalive_on_tx(k, s[i].t_ms);	/* we sent it */
	}
}

START_TEST(window_boundaries)
{
	struct vpn_keepalive k;
	static const struct ka_step steps[] = {
		{ 0, EV_KA, true },		/* nothing ever sent */
		{ 1, EV_KA, false },		/* our answer at 0 */
		{ 9999, EV_KA, false },		/* K/2 - 1 after it */
		{ 10000, EV_KA, true },		/* exactly K/2 */
		{ 12000, EV_TX, false },	/* data sent */
		{ 21999, EV_KA, false },
		{ 22000, EV_KA, true },
		{ 40000, EV_TX, false },
		{ 30000, EV_TX, false },	/* older stamp: ignored */
		{ 49999, EV_KA, false },
		{ 50000, EV_KA, true },
	};

	vpn_keepalive_init(&k, 20000);
	run(&k, steps, sizeof(steps) / sizeof(steps[0]));
	ck_assert_uint_eq(k.received, 8);
	ck_assert_uint_eq(k.answered, 4);
	ck_assert_uint_eq(k.last_tx_ms, 50000);
}
END_TEST

START_TEST(off_never_answers)
{
	struct vpn_keepalive k;

	vpn_keepalive_init(&k, 0);
	ck_assert(!vpn_keepalive_should_answer(&k, 0));
	ck_assert(!vpn_keepalive_on_keepalive_rx(&k, 1000000));
	ck_assert_uint_eq(k.received, 1);
	ck_assert_uint_eq(k.answered, 0);
}
END_TEST

START_TEST(should_answer_is_pure)
{
	struct vpn_keepalive k, copy;

	vpn_keepalive_init(&k, 4000);
	vpn_keepalive_on_tx(&k, 100);
	memcpy(&copy, &k, sizeof(k));
	ck_assert(!vpn_keepalive_should_answer(&k, 2099));
	ck_assert(vpn_keepalive_should_answer(&k, 2100));
	ck_assert_mem_eq(&k, &copy, sizeof(k));
}
END_TEST

static const vpn_ms_t k_s[] = { 2, 10, 90, 1800 };

/* A peer that sends a keepalive every ms for 10K gets at most two answers
 * per K, and at least one (the draft's "must answer" still holds). */
START_TEST(ping_pong_bounded)
{
	struct vpn_keepalive k;
	vpn_ms_t kk = vpn_s_to_ms((uint32_t)k_s[_i]);
	uint64_t answers = 0;
	vpn_ms_t step = kk / 1000;	/* keep the loop short for big K */

	vpn_keepalive_init(&k, kk);
	for (vpn_ms_t t = 0; t < 10 * kk; t += step) {
		if (vpn_keepalive_on_keepalive_rx(&k, t)) {
			answers++;
			vpn_keepalive_on_tx(&k, t);
		}
	}
	ck_assert_uint_le(answers, 2 * 10 + 1);
	ck_assert_uint_ge(answers, 10);
}
END_TEST

static Suite *keepalive_suite(void)
{
	Suite *s = suite_create("vpn-keepalive");
	TCase *tc = tcase_create("answer-rule");

	tcase_add_test(tc, window_boundaries);
	tcase_add_test(tc, off_never_answers);
	tcase_add_test(tc, should_answer_is_pure);
	tcase_add_loop_test(tc, ping_pong_bounded, 0, (int)(sizeof(k_s) / sizeof(k_s[0])));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(keepalive_suite)
