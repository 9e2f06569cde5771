/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_EV_ADAPTER_H
#define VPN_EV_ADAPTER_H

/*
 * The bridge between the pure machines and libev (src/vpn/libvpnev.a): the
 * monotonic clock and one ev_timer per owner (a worker's tunnel, sec-mod's
 * session table, ...), re-armed once per loop iteration when events moved
 * its deadline later. See ev-adapter.c.
 *
 *   static vpn_ms_t my_expiry(void *o) { return vpn_tunnel_expiry(&((struct w *)o)->t); }
 *   static void my_fire(void *o, vpn_ms_t now) {
 *           unsigned acts = vpn_tunnel_handle_expiry(&((struct w *)o)->t, now);
 *           ... perform acts ...
 *   }
 *   vpn_ev_timer_init(&w->timer, loop, my_expiry, my_fire, w);
 *   vpn_ev_timer_update(&w->timer);          after init and after any event
 *   vpn_ev_timer_stop(&w->timer);            before freeing the owner
 */

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "vpn/time.h"

/* A clock: monotonic milliseconds. */
typedef vpn_ms_t (*vpn_clock_fn)(void);

/* Replace the clock (tests); NULL restores CLOCK_MONOTONIC. */
void vpn_set_clock(vpn_clock_fn fn);

/* Now, from the current clock (CLOCK_MONOTONIC by default). */
vpn_ms_t vpn_now_ms(void);

/* The owner's composed deadline (pure, e.g. vpn_tunnel_expiry). */
typedef vpn_ms_t (*vpn_ev_expiry_fn)(void *owner);
/* The deadline was reached: the owner runs handle_expiry(now) and performs
 * the actions. It may call vpn_ev_timer_update() or vpn_ev_timer_stop() but
 * must not free the vpn_ev_timer. */
typedef void (*vpn_ev_fire_fn)(void *owner, vpn_ms_t now);

struct vpn_ev_timer {
	ev_timer w;
	ev_prepare later;	/* active while a later deadline waits to be armed */
	struct ev_loop *loop;
	vpn_ev_expiry_fn expiry;
	vpn_ev_fire_fn fire;
	void *owner;
	vpn_ms_t armed_ms;	/* deadline the ev_timer is armed for; VPN_NEVER = none */
	bool stopped;		/* vpn_ev_timer_stop() called (or never armed) */
	uint64_t wakeups;	/* timer callbacks */
	uint64_t early;		/* ... that found the deadline not reached (no-ops) */
	uint64_t fired;		/* ... that called fire */
	uint64_t arms;		/* ev_timer_again calls */
	uint64_t deferred;	/* later deadlines armed before the loop slept */
};

/* Prepare, not armed. Call vpn_ev_timer_update() to arm. */
void vpn_ev_timer_init(struct vpn_ev_timer *t, struct ev_loop *loop, vpn_ev_expiry_fn expiry,
		       vpn_ev_fire_fn fire, void *owner);

/* Re-arm at once if the owner's deadline is now earlier than the armed one.
 * A later deadline (the per-packet path: an rx) costs two comparisons and,
 * for the first event of a loop iteration, starting the ev_prepare: the
 * timer is re-armed once, just before the loop sleeps. */
void vpn_ev_timer_update(struct vpn_ev_timer *t);

/* Stop the timer (and any re-arm waiting); vpn_ev_timer_update() arms it
 * again. */
void vpn_ev_timer_stop(struct vpn_ev_timer *t);

/* The timer's callback, exported so tests can drive it directly; libev calls
 * it through the ev_timer. Reads the clock once; a wake-up before the owner's
 * deadline only re-arms; otherwise calls fire(owner, now) and re-arms at the
 * new deadline (or stops at VPN_NEVER). */
void vpn_ev_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* The ev_prepare's callback, exported for the same reason: libev runs it
 * before the loop sleeps when an update found a later deadline. Reads the
 * clock once and arms the timer at the owner's deadline as it is now. */
void vpn_ev_timer_later_cb(struct ev_loop *loop, ev_prepare *p, int revents);

#endif /* VPN_EV_ADAPTER_H */
