/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_OFFLOAD_H
#define OCSM_OFFLOAD_H

/*
 * Blocking work off sec-mod's event loop.
 *
 * sec-mod signs the workers' TLS handshakes on its loop (sec-mod-key.h);
 * anything that may take long (crypt(3) of a password hash, a PAM or RADIUS
 * conversation, a file rewrite) runs here instead, on a fixed pool of
 * threads, so that a key operation never waits behind it.
 *
 *   loop: offload_submit(work, done, arg) --queue (bounded)--> thread: work(arg)
 *   loop: done(arg, cancelled)  <--ev_async-- result list <----------'
 *
 * - The queue holds at most max_queued jobs not yet started; a submit
 *   beyond that is refused with -EBUSY at once (the caller refuses the
 *   login: overload costs a clear answer, never unbounded memory).
 * - done(arg, false) runs on the loop once work(arg) has returned, exactly
 *   once per accepted job, never from inside offload_submit().
 * - offload_cancel(): a job still queued never runs; a job running goes
 *   on to its end (a thread cannot be stopped safely) but its result is
 *   dropped. Either way done(arg, true) runs on the loop once, later, so
 *   that the owner of arg frees it there; done must then not touch what
 *   the job was for (the login is gone).
 * - Pool threads run at a lower scheduling priority than the loop (nice
 *   +OFFLOAD_NICE), so on a busy machine the loop's key operations come
 *   first.
 * - work(arg) must not touch the loop or anything the loop uses without a
 *   lock: arg is the job's own.
 */

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

/* Threads of sec-mod's pool, and jobs that may wait for one. */
#define OFFLOAD_THREADS 4u
#define OFFLOAD_MAX_QUEUED 1024u
/* Pool threads' nice value relative to the process. */
#define OFFLOAD_NICE 5

typedef void (*offload_work_fn)(void *arg);
typedef void (*offload_done_fn)(void *arg, bool cancelled);

struct offload;

/* A pool of threads (1..64) delivering results on loop. NULL on failure
 * (errno set). */
struct offload *offload_new(struct ev_loop *loop, unsigned threads, unsigned max_queued);
/* Stop: queued jobs are cancelled (their done runs with true, here),
 * running ones are waited for (their done runs with true), the threads
 * joined. NULL is a no-op. */
void offload_free(struct offload *o);

/* Queue work(arg). 0 and *id (never 0) for offload_cancel; -EBUSY when the
 * queue is full; -ENOMEM. */
int offload_submit(struct offload *o, offload_work_fn work, offload_done_fn done, void *arg,
		   uint64_t *id);
/* Cancel job id (see above). Unknown or finished ids are ignored. */
void offload_cancel(struct offload *o, uint64_t id);

/* Jobs queued or running (for logs and tests). */
unsigned offload_pending(struct offload *o);

#endif
