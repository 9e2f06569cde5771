/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libev adapter: the only file in src/vpn that includes <ev.h> or reads a
 * clock.
 *
 * One ev_timer per owner, armed at the owner's composed deadline with
 * ev_timer_again and a repeat value (libev manual, "Be smart about
 * timeouts"):
 *
 *  - vpn_ev_timer_update() is called after every event. Most events move a
 *    deadline later (an rx re-anchors DPD and idle); those cost one
 *    comparison: the armed timer stays and will wake early. Only a deadline
 *    earlier than the armed one (a send stall starting, a DTLS channel coming
 *    up) reads the clock and re-arms.
 *  - The callback reads CLOCK_MONOTONIC once. If the owner's deadline is not
 *    reached (an early wake-up: a lazily kept deadline that moved later, or
 *    libev's cached time lagging ours) it only re-arms; otherwise it calls
 *    the owner's fire(now) and re-arms at the new deadline, or stops the
 *    timer when there is none.
 *
 *   armed 60 s    rx at 10 s moves the deadline to 70 s (no libev call)
 *   |-------------|
 *   0             60 s: wake, deadline 70 s not reached -> re-arm for 10 s
 *                 |---------|
 *                           70 s: fire(now), re-arm at the next deadline
 *
 * ev_now() is not used: it is wall-clock based and cached per loop
 * iteration; the machines run on our own monotonic milliseconds.
 */
#include "config.h"

#include <time.h>

#include "vpn/ev-adapter.h"

/* A deadline that is due (or past) is armed this far ahead, because
 * ev_timer_again with repeat 0 would stop the timer instead. */
#define VPN_EV_MIN_REPEAT 1e-4

static vpn_ms_t monotonic_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (vpn_ms_t)ts.tv_sec * 1000u + (vpn_ms_t)ts.tv_nsec / 1000000u;
}

static vpn_clock_fn clock_fn = monotonic_ms;

void vpn_set_clock(vpn_clock_fn fn)
{
	clock_fn = fn != NULL ? fn : monotonic_ms;
}

vpn_ms_t vpn_now_ms(void)
{
	return clock_fn();
}

void vpn_ev_timer_init(struct vpn_ev_timer *t, struct ev_loop *loop, vpn_ev_expiry_fn expiry,
		       vpn_ev_fire_fn fire, void *owner)
{
	ev_init(&t->w, vpn_ev_timer_cb);
	t->w.data = t;
	t->loop = loop;
	t->expiry = expiry;
	t->fire = fire;
	t->owner = owner;
	t->armed_ms = VPN_NEVER;
	t->stopped = true;
	t->wakeups = 0;
	t->early = 0;
	t->fired = 0;
	t->arms = 0;
}

/* Arm for deadline (or stop for VPN_NEVER), given the current time. */
static void arm(struct vpn_ev_timer *t, vpn_ms_t deadline, vpn_ms_t now)
{
	double repeat;

	t->armed_ms = deadline;
	t->stopped = false;
	if (deadline == VPN_NEVER) {
		ev_timer_stop(t->loop, &t->w);
		return;
	}
	repeat = (double)vpn_ms_until(deadline, now) / 1000.0;
	if (repeat < VPN_EV_MIN_REPEAT)
		repeat = VPN_EV_MIN_REPEAT;
	t->w.repeat = repeat;
	ev_timer_again(t->loop, &t->w);
	t->arms++;
}

void vpn_ev_timer_update(struct vpn_ev_timer *t)
{
	vpn_ms_t deadline = t->expiry(t->owner);

	if (deadline >= t->armed_ms)
		return;		/* later or equal: picked up when the timer wakes */
	arm(t, deadline, vpn_now_ms());
}

void vpn_ev_timer_stop(struct vpn_ev_timer *t)
{
	t->armed_ms = VPN_NEVER;
	t->stopped = true;
	ev_timer_stop(t->loop, &t->w);
}

void vpn_ev_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vpn_ev_timer *t = w->data;
	vpn_ms_t now = vpn_now_ms();
	vpn_ms_t deadline = t->expiry(t->owner);

	(void)loop;
	(void)revents;
	t->wakeups++;
	if (!vpn_ms_reached(deadline, now)) {
		t->early++;
		arm(t, deadline, now);
		return;
	}
	t->fired++;
	t->stopped = false;
	/* The armed deadline is consumed: anything fire() re-arms through
	 * vpn_ev_timer_update() must count as earlier. */
	t->armed_ms = VPN_NEVER;
	t->fire(t->owner, now);
	/* fire() may have stopped the timer on purpose (owner shutting down):
	 * then it stays stopped. */
	if (t->stopped)
		return;
	arm(t, t->expiry(t->owner), now);
}
