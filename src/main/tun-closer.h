/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_TUN_CLOSER_H
#define OCSM_TUN_CLOSER_H

/*
 * Closing tun devices off main's event loop.
 *
 * Closing the last fd of a tun device unregisters it: the kernel takes the
 * rtnl lock and waits for an RCU grace period, tens of milliseconds per
 * device. Done on the loop, a few thousand sessions ending together (a
 * wave of cookie-expired with keep-tun-on-resume, a drop storm without it)
 * stopped main for minutes: 30 to 50 devices a second (bench/README.md,
 * "Sessions waiting to resume"). So main hands the fd to this one thread:
 *
 *   loop: tun_closer_close(fd, done, arg) --FIFO--> thread: close(fd)
 *   loop: done(arg)  <--ev_async-- closed list <-------------'
 *
 * - The fd number stays taken until the thread has closed it, so main can
 *   never reuse it by mistake; the device's name too (the kernel names a
 *   new device after the first free number, and this one still exists).
 * - done(arg) runs on the loop once the device is gone: what must not be
 *   reused while it exists (the client's address on it) is released there.
 *   It runs once per call, never from inside tun_closer_close() except
 *   when nothing can be queued (out of memory, no thread): the fd is then
 *   closed on the spot, as before.
 * - The thread takes no lock but the closer's own, allocates nothing,
 *   logs nothing and blocks every signal: a child forked from main (a
 *   worker or a script, which exec) can never inherit a lock held by it.
 *   The fds waiting are close-on-exec, so an exec'd child drops its copies.
 * - A backlog of 64 devices or more is logged once it is gone ("closed N
 *   tun devices in S s"): how long the kernel took, for the operator.
 * - tun_closer_free() lets the thread close what still waits, runs the
 *   done callbacks, and joins it: no device outlives main.
 */

#include <ev.h>
#include <stddef.h>

typedef void (*tun_closer_done_fn)(void *arg);

struct tun_closer;

/* Start the thread; done callbacks run on loop. NULL on failure (logged):
 * tun_closer_close() then closes on the spot. */
struct tun_closer *tun_closer_new(struct ev_loop *loop);

/* Close fd (>= 0; the caller no longer owns it) on the thread, then run
 * done(arg) on the loop (done may be NULL). */
void tun_closer_close(struct tun_closer *c, int fd, tun_closer_done_fn done, void *arg);

/* Devices handed over and not closed yet, or closed with done still to
 * run. 0 for NULL. */
size_t tun_closer_pending(const struct tun_closer *c);

/* Close what waits, run every done, join the thread, free. NULL: no-op. */
void tun_closer_free(struct tun_closer *c);

#endif
