/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libev adapter: the only file in src/vpn that includes <ev.h> or reads a
 * clock.
 *
 * One ev_timer per owner, armed at the owner's composed deadline with
 * ev_timer_again and a repeat value:
 *
 *  - vpn_ev_timer_update() is called after every event. A deadline earlier
 *    than the armed one (a send stall starting, a DTLS channel coming up)
 *    reads the clock and re-arms at once. Most events move the deadline
 *    later (an rx re-anchors DPD and idle): those only start an ev_prepare,
 *    once per loop iteration however many packets the iteration handled;
 *    libev runs it just before it sleeps, and it re-arms at the deadline as
 *    the whole batch left it. So the timer never wakes for a deadline an rx
 *    has moved: a tunnel whose client sends a keepalive every K < D wakes
 *    only for those keepalives, never for its timer.
 *  - The callback reads CLOCK_MONOTONIC once. If the owner's deadline is not
 *    reached (libev's clock and ours disagreeing by a fraction of a ms) it
 *    only re-arms; otherwise it calls the owner's fire(now) and re-arms at
 *    the new deadline, or stops the timer when there is none.
 *
 *   armed 60 s    rx at 10 s moves the deadline to 70 s: the ev_prepare
 *   |----------   re-arms before the loop sleeps again
 *   0         |-------------|
 *             10 s          70 s: fire(now), re-arm at the next deadline
 *
 * Re-arming before the sleep rather than per packet keeps the data path at
 * two comparisons per packet; waking at the old deadline and re-arming
 * then (libev's "be smart about timeouts", which this file did before)
 * cost a wake-up that did nothing each time an rx had moved the deadline.
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
	ev_prepare_init(&t->later, vpn_ev_timer_later_cb);
	t->later.data = t;
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
	t->deferred = 0;
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

	if (deadline < t->armed_ms) {
		arm(t, deadline, vpn_now_ms());
		return;
	}
	/* Later: armed once, before the loop sleeps (vpn_ev_timer_later_cb). */
	if (deadline != t->armed_ms && !ev_is_active(&t->later))
		ev_prepare_start(t->loop, &t->later);
}

void vpn_ev_timer_stop(struct vpn_ev_timer *t)
{
	t->armed_ms = VPN_NEVER;
	t->stopped = true;
	ev_timer_stop(t->loop, &t->w);
	ev_prepare_stop(t->loop, &t->later);
}

void vpn_ev_timer_later_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct vpn_ev_timer *t = p->data;
	vpn_ms_t deadline = t->expiry(t->owner);

	(void)revents;
	ev_prepare_stop(loop, p);
	if (deadline == t->armed_ms)
		return;		/* moved back meanwhile (or armed since) */
	/* libev's own time is as old as the last poll: refresh it, or the
	 * timer would be armed that much early and wake before its deadline. */
	ev_now_update(loop);
	t->deferred++;
	arm(t, deadline, vpn_now_ms());
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
