/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/ev-adapter.c: injected clock, re-arming once per
 * loop iteration, early wake-ups. The callbacks are driven directly
 * (ev_invoke) or through ev_run(EVRUN_NOWAIT); nothing blocks or sleeps. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "vpn/ev-adapter.h"
#include "vpn/tunnel.h"
#include "vpn-test-util.h"

static vpn_ms_t fake_now;

static vpn_ms_t fake_clock(void)
{
	return fake_now;
}

struct owner {
	struct vpn_ev_timer timer;
	vpn_ms_t deadline;		/* what expiry() reports */
	vpn_ms_t after_fire;		/* deadline fire() installs */
	int fired;
	vpn_ms_t fired_at;
	bool stop_in_fire;
	bool update_in_fire;
};

static vpn_ms_t owner_expiry(void *o)
{
	return ((struct owner *)o)->deadline;
}

static void owner_fire(void *o, vpn_ms_t now)
{
	struct owner *w = o;

	w->fired++;
	w->fired_at = now;
	w->deadline = w->after_fire;
	if (w->update_in_fire)
		vpn_ev_timer_update(&w->timer);
	if (w->stop_in_fire)
		vpn_ev_timer_stop(&w->timer);
}

static struct ev_loop *loop;

static void setup(void)
{
	loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(loop);
	fake_now = 0;
	vpn_set_clock(fake_clock);
}

static void teardown(void)
{
	vpn_set_clock(NULL);
	ev_loop_destroy(loop);
	loop = NULL;
}

static void owner_init(struct owner *w, vpn_ms_t deadline)
{
	memset(w, 0, sizeof(*w));
	w->deadline = deadline;
	w->after_fire = VPN_NEVER;
	vpn_ev_timer_init(&w->timer, loop, owner_expiry, owner_fire, w);
}

static void fire_cb(struct owner *w)
{
	ev_invoke(loop, &w->timer.w, EV_TIMER);
}

/* What libev does before the loop sleeps, if the ev_prepare is active. */
static void before_sleep(struct vpn_ev_timer *t)
{
	if (ev_is_active(&t->later))
		ev_invoke(loop, &t->later, EV_PREPARE);
}

#define ck_assert_repeat(t, secs)                                                     \
	ck_assert_msg((t)->w.repeat - (secs) < 1e-9 && (secs) - (t)->w.repeat < 1e-9,     \
		      "repeat %f, want %f", (t)->w.repeat, (double)(secs))

START_TEST(clock_injection)
{
	vpn_ms_t a, b;

	fake_now = 4242;
	ck_assert_uint_eq(vpn_now_ms(), 4242);
	vpn_set_clock(NULL);
	a = vpn_now_ms();
	b = vpn_now_ms();
	ck_assert_uint_ge(b, a);
	ck_assert_uint_gt(a, 0);
	vpn_set_clock(fake_clock);
	ck_assert_uint_eq(vpn_now_ms(), 4242);
}
END_TEST

START_TEST(arms_lazily)
{
	struct owner w;

	owner_init(&w, 1000);
	ck_assert(!ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, VPN_NEVER);

	vpn_ev_timer_update(&w.timer);
	ck_assert(ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, 1000);
	ck_assert_repeat(&w.timer, 1.0);
	ck_assert_uint_eq(w.timer.arms, 1);

	/* equal deadline: nothing at all */
	vpn_ev_timer_update(&w.timer);
	ck_assert(!ev_is_active(&w.timer.later));
	ck_assert_uint_eq(w.timer.arms, 1);

	/* later deadline (an rx): no clock read, no re-arm yet; the
	 * ev_prepare waits for the end of the loop iteration */
	w.deadline = 2000;
	fake_now = 10;
	vpn_ev_timer_update(&w.timer);
	ck_assert_uint_eq(w.timer.arms, 1);
	ck_assert_uint_eq(w.timer.armed_ms, 1000);
	ck_assert(ev_is_active(&w.timer.later));
	/* it comes back to the armed one within the same iteration: the
	 * ev_prepare finds nothing to do */
	w.deadline = 1000;
	vpn_ev_timer_update(&w.timer);
	before_sleep(&w.timer);
	ck_assert(!ev_is_active(&w.timer.later));
	ck_assert_uint_eq(w.timer.arms, 1);
	ck_assert_uint_eq(w.timer.deferred, 0);

	/* earlier deadline: re-armed from the clock */
	w.deadline = 500;
	fake_now = 100;
	vpn_ev_timer_update(&w.timer);
	ck_assert_uint_eq(w.timer.arms, 2);
	ck_assert_uint_eq(w.timer.armed_ms, 500);
	ck_assert_repeat(&w.timer, 0.4);

	/* a deadline already passed is armed minimally, never with repeat 0 */
	w.deadline = 50;
	vpn_ev_timer_update(&w.timer);
	ck_assert(ev_is_active(&w.timer.w));
	ck_assert(w.timer.w.repeat > 0);
	ck_assert(w.timer.w.repeat < 0.001);
}
END_TEST

/* A batch of events moving the deadline later: one re-arm, before the
 * loop sleeps, at the deadline the last event left. */
START_TEST(later_armed_once_per_iteration)
{
	struct owner w;

	owner_init(&w, 1000);
	vpn_ev_timer_update(&w.timer);
	fake_now = 10;
	for (vpn_ms_t d = 1100; d <= 2500; d += 100) {
		w.deadline = d;
		vpn_ev_timer_update(&w.timer);
	}
	ck_assert_uint_eq(w.timer.arms, 1);
	ck_assert_uint_eq(w.timer.armed_ms, 1000);
	fake_now = 20;
	before_sleep(&w.timer);
	ck_assert(!ev_is_active(&w.timer.later));
	ck_assert_uint_eq(w.timer.arms, 2);
	ck_assert_uint_eq(w.timer.deferred, 1);
	ck_assert_uint_eq(w.timer.armed_ms, 2500);
	ck_assert_repeat(&w.timer, 2.48);
	ck_assert(ev_is_active(&w.timer.w));

	/* later, then earlier in the same iteration: armed at once, and the
	 * ev_prepare then finds it armed */
	w.deadline = 3000;
	vpn_ev_timer_update(&w.timer);
	w.deadline = 500;
	vpn_ev_timer_update(&w.timer);
	ck_assert_uint_eq(w.timer.arms, 3);
	ck_assert_uint_eq(w.timer.armed_ms, 500);
	before_sleep(&w.timer);
	ck_assert_uint_eq(w.timer.arms, 3);
	ck_assert_uint_eq(w.timer.deferred, 1);

	/* no deadline left: the ev_prepare stops the timer */
	w.deadline = VPN_NEVER;
	vpn_ev_timer_update(&w.timer);
	before_sleep(&w.timer);
	ck_assert(!ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, VPN_NEVER);
	ck_assert_uint_eq(w.timer.wakeups, 0);

	/* stop() cancels a re-arm that waits */
	w.deadline = 4000;
	vpn_ev_timer_update(&w.timer);
	ck_assert(ev_is_active(&w.timer.w));
	w.deadline = 5000;
	vpn_ev_timer_update(&w.timer);
	ck_assert(ev_is_active(&w.timer.later));
	vpn_ev_timer_stop(&w.timer);
	ck_assert(!ev_is_active(&w.timer.later));
	ck_assert(!ev_is_active(&w.timer.w));
}
END_TEST

/* libev itself runs the ev_prepare before it would sleep. */
START_TEST(later_through_libev)
{
	struct owner w;

	owner_init(&w, 1000);
	vpn_ev_timer_update(&w.timer);
	w.deadline = 60000;
	vpn_ev_timer_update(&w.timer);
	ev_run(loop, EVRUN_NOWAIT);
	ck_assert(!ev_is_active(&w.timer.later));
	ck_assert_uint_eq(w.timer.armed_ms, 60000);
	ck_assert_uint_eq(w.timer.deferred, 1);
	ck_assert_uint_eq(w.timer.wakeups, 0);
	vpn_ev_timer_stop(&w.timer);
}
END_TEST

START_TEST(early_wakeup_is_noop)
{
	struct owner w;

	owner_init(&w, 1000);
	vpn_ev_timer_update(&w.timer);
	/* the timer wakes before the owner's deadline (libev's clock and ours
	 * disagreeing, or an update whose re-arm never ran) */
	w.deadline = 1500;
	fake_now = 1000;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 0);
	ck_assert_uint_eq(w.timer.wakeups, 1);
	ck_assert_uint_eq(w.timer.early, 1);
	ck_assert_uint_eq(w.timer.armed_ms, 1500);
	ck_assert_repeat(&w.timer, 0.5);
	ck_assert(ev_is_active(&w.timer.w));

	/* one ms early (clock disagreement): still nothing */
	fake_now = 1499;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 0);
	ck_assert_repeat(&w.timer, 0.001);

	/* on time: fire once with the clock's now, re-arm at the new deadline */
	w.after_fire = 4000;
	fake_now = 1500;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 1);
	ck_assert_uint_eq(w.fired_at, 1500);
	ck_assert_uint_eq(w.timer.armed_ms, 4000);
	ck_assert_repeat(&w.timer, 2.5);
	ck_assert_uint_eq(w.timer.fired, 1);

	/* late: fire with the late now */
	w.after_fire = VPN_NEVER;
	fake_now = 4300;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 2);
	ck_assert_uint_eq(w.fired_at, 4300);
	/* no deadline left: stopped */
	ck_assert(!ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, VPN_NEVER);
}
END_TEST

START_TEST(stop_and_rearm)
{
	struct owner w;

	owner_init(&w, 1000);
	vpn_ev_timer_update(&w.timer);
	vpn_ev_timer_stop(&w.timer);
	ck_assert(!ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, VPN_NEVER);
	vpn_ev_timer_update(&w.timer);
	ck_assert(ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, 1000);

	/* the owner stops the timer from fire(): it stays stopped */
	w.stop_in_fire = true;
	w.after_fire = 9000;
	fake_now = 1000;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 1);
	ck_assert(!ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, VPN_NEVER);

	/* an update from inside fire() is fine: re-armed at the new deadline */
	w.stop_in_fire = false;
	w.update_in_fire = true;
	w.deadline = 9000;
	vpn_ev_timer_update(&w.timer);
	w.after_fire = 12000;
	fake_now = 9000;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 2);
	ck_assert(ev_is_active(&w.timer.w));
	ck_assert_uint_eq(w.timer.armed_ms, 12000);
	ck_assert_repeat(&w.timer, 3.0);

	/* a NEVER deadline after an early wake-up stops the timer too */
	w.deadline = VPN_NEVER;
	fake_now = 9500;
	fire_cb(&w);
	ck_assert_int_eq(w.fired, 2);
	ck_assert(!ev_is_active(&w.timer.w));
	vpn_ev_timer_stop(&w.timer);
}
END_TEST

/* The watcher is wired to the callback through libev itself. */
START_TEST(through_libev)
{
	struct owner w;

	owner_init(&w, 100);
	vpn_ev_timer_update(&w.timer);
	fake_now = 100;
	ev_feed_event(loop, &w.timer.w, EV_TIMER);
	ev_run(loop, EVRUN_NOWAIT);
	ck_assert_int_eq(w.fired, 1);
	ck_assert(!ev_is_active(&w.timer.w));
}
END_TEST

/* A worker's tunnel driven through the adapter. */
struct tun_owner {
	struct vpn_ev_timer timer;
	struct vpn_tunnel t;
	unsigned acts;
};

static vpn_ms_t tun_expiry(void *o)
{
	return vpn_tunnel_expiry(&((struct tun_owner *)o)->t);
}

static void tun_fire(void *o, vpn_ms_t now)
{
	struct tun_owner *w = o;

	w->acts = vpn_tunnel_handle_expiry(&w->t, now);
}

START_TEST(drives_a_tunnel)
{
	struct tun_owner w;
	struct vpn_tunnel_cfg cfg = {
		.dpd_ms = 30000, .dpd_retries = 2, .keepalive_ms = 20000,
		.session_deadline_ms = VPN_NEVER,
	};

	fake_now = 0;
	vpn_tunnel_init(&w.t, &cfg, vpn_now_ms());
	vpn_ev_timer_init(&w.timer, loop, tun_expiry, tun_fire, &w);
	vpn_ev_timer_update(&w.timer);
	ck_assert_uint_eq(w.timer.armed_ms, 60000);

	/* per-packet path: rx moves the deadline later, no re-arm; the loop
	 * re-arms before it sleeps */
	fake_now = 20000;
	vpn_tunnel_on_rx(&w.t, VPN_CHAN_CSTP, VPN_FRAME_KEEPALIVE, NULL, 0, vpn_now_ms());
	vpn_ev_timer_update(&w.timer);
	ck_assert_uint_eq(w.timer.arms, 1);
	before_sleep(&w.timer);
	ck_assert_uint_eq(w.timer.armed_ms, 80000);
	ck_assert_uint_eq(w.timer.wakeups, 0);

	fake_now = 80000;
	ev_invoke(loop, &w.timer.w, EV_TIMER);
	ck_assert_uint_eq(w.acts, VPN_ACT_SEND_DPD_REQ_CSTP);
	ck_assert_uint_eq(w.timer.armed_ms, 95000);
	fake_now = 95000;
	ev_invoke(loop, &w.timer.w, EV_TIMER);
	ck_assert_uint_eq(w.acts, VPN_ACT_SEND_DPD_REQ_CSTP);
	fake_now = 110000;
	ev_invoke(loop, &w.timer.w, EV_TIMER);
	ck_assert_uint_eq(w.acts, VPN_ACT_END);
	ck_assert_int_eq(vpn_tunnel_end_reason(&w.t), VPN_END_DPD_TIMEOUT);
	ck_assert(!ev_is_active(&w.timer.w));
}
END_TEST

/*
 * bench/README.md §2: an idle tunnel (D = 10 s, K = 5 s) whose client sends
 * a KEEPALIVE on each channel every 5 s. Each one is answered on its own
 * wake-up (the K/2 rule, doc/spec/liveness.md §4) and re-arms the timer
 * before the loop sleeps: in 10 minutes the timer never wakes.
 */
START_TEST(idle_tunnel_never_wakes)
{
	struct tun_owner w;
	struct vpn_tunnel_cfg cfg = {
		.dpd_ms = 10000, .dpd_retries = 2, .keepalive_ms = 5000,
		.session_deadline_ms = VPN_NEVER, .dtls_enabled = true,
	};
	unsigned answered = 0;

	fake_now = 1000;
	vpn_tunnel_init(&w.t, &cfg, vpn_now_ms());
	vpn_tunnel_on_dtls_up(&w.t, vpn_now_ms());
	vpn_ev_timer_init(&w.timer, loop, tun_expiry, tun_fire, &w);
	vpn_ev_timer_update(&w.timer);
	for (vpn_ms_t t = 5000; t <= 600000; t += 5000) {
		for (int ch = VPN_CHAN_CSTP; ch <= VPN_CHAN_DTLS; ch++) {
			unsigned acts;

			/* the channels' keepalives come a little apart */
			fake_now = t + (vpn_ms_t)ch * 700;
			ck_assert_msg(fake_now < w.timer.armed_ms, "timer due at %llu",
				      (unsigned long long)fake_now);
			acts = vpn_tunnel_on_rx(&w.t, (enum vpn_chan)ch, VPN_FRAME_KEEPALIVE, NULL,
						0, fake_now);
			if (acts & VPN_ACT_SEND_KEEPALIVE) {
				vpn_tunnel_on_tx(&w.t, (enum vpn_chan)ch, VPN_FRAME_KEEPALIVE, 0,
						 fake_now);
				answered++;
			}
			vpn_ev_timer_update(&w.timer);
			before_sleep(&w.timer);
			ck_assert_uint_eq(w.timer.armed_ms, vpn_tunnel_expiry(&w.t));
		}
	}
	ck_assert_uint_eq(w.timer.wakeups, 0);
	ck_assert_uint_eq(answered, 2 * 120);
	ck_assert_uint_eq(vpn_tunnel_end_reason(&w.t), VPN_END_NONE);
	vpn_ev_timer_stop(&w.timer);
}
END_TEST

static Suite *ev_suite(void)
{
	Suite *s = suite_create("vpn-ev-adapter");
	TCase *tc = tcase_create("timer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clock_injection);
	tcase_add_test(tc, arms_lazily);
	tcase_add_test(tc, later_armed_once_per_iteration);
	tcase_add_test(tc, later_through_libev);
	tcase_add_test(tc, early_wakeup_is_noop);
	tcase_add_test(tc, stop_and_rearm);
	tcase_add_test(tc, through_libev);
	tcase_add_test(tc, drives_a_tunnel);
	tcase_add_test(tc, idle_tunnel_never_wakes);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ev_suite)
