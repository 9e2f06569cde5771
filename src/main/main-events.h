/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_EVENTS_H
#define OCSM_MAIN_EVENTS_H

/*
 * occtl-modern show events: main pushes a CtlEvent (src/occtl/ctl.proto) to
 * every control connection that subscribed, as it learns of logins, tunnels,
 * DTLS changes, drops, resumes and session ends.
 *
 * A subscriber never makes main wait: its connection is non-blocking, its
 * socket buffer MAIN_EVENTS_SNDBUF, and its frames wait in a queue of at most
 * MAIN_EVENTS_QUEUE_MAX bytes; a reader too slow to keep that bound is
 * dropped, with a log line. (A test build takes the bound from
 * OCSERV_MODERN_TEST_EVENTS_QUEUE, so that a test fills it sooner.) At most
 * MAIN_EVENTS_MAX_SUBSCRIBERS at once; a subscriber does not count against
 * the control socket's other clients and is never closed for being idle.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"
#include "vpn/reason.h"

#define MAIN_EVENTS_MAX_SUBSCRIBERS 8
#define MAIN_EVENTS_QUEUE_MAX (256u * 1024u)
/* SO_SNDBUF of a subscriber's socket (the kernel doubles it). */
#define MAIN_EVENTS_SNDBUF (64 * 1024)

struct server;
struct worker_proc;
struct secmod_session;

/* 0 or -ENOMEM. */
int main_events_init(struct server *srv);
/* Close every subscriber, free all. */
void main_events_stop(struct server *srv);

/* A control client (connection fd, peer uid and pid for the logs) asked for
 * show events: from now on fd is this module's; it gets the reply, then
 * the events. */
void main_events_subscribe(struct server *srv, int fd, uid_t uid, pid_t pid);

/* Hooks. A session record from sec-mod, before main's mirror takes it (old:
 * the mirror's record, NULL for a new session; was_ended: the mirror already
 * had it ended as sec-mod said). */
void main_events_session(struct server *srv, const struct secmod_session *old, bool was_ended,
			 const struct secmod_session *now);
void main_events_tunnel_up(struct server *srv, const struct worker_proc *w, const TunnelUp *up);
void main_events_tunnel_down(struct server *srv, const struct worker_proc *w,
			     enum vpn_end_reason r);
/* w's DTLS channel was in old_state before its latest DtlsStatus. */
void main_events_dtls(struct server *srv, const struct worker_proc *w, uint32_t old_state);

#endif
