/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* gettid */

/*
 * The pool of offload.h: one mutex guards three lists (queued, running,
 * finished); threads take from the queue's head, the loop's ev_async
 * watcher empties the finished list. Lists are short (the queue is
 * bounded, running jobs are at most one per thread), so a cancel looks
 * an id up by walking them.
 */

#include "sec-mod/offload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"

#define OFFLOAD_MAX_THREADS 64u

struct job {
	struct job *next;
	uint64_t id;
	offload_work_fn work;
	offload_done_fn done;
	void *arg;
	bool cancelled;
};

/* A singly linked list with a tail, for FIFO order. */
struct jlist {
	struct job *head, *tail;
	unsigned n;
};

struct offload {
	struct ev_loop *loop;
	ev_async async;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jlist queued, running, finished;
	unsigned max_queued;
	uint64_t next_id;
	bool stopping;
	unsigned n_threads;
	pthread_t threads[OFFLOAD_MAX_THREADS];
};

static void jl_push(struct jlist *l, struct job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static struct job *jl_pop(struct jlist *l)
{
	struct job *j = l->head;

	if (j == NULL)
		return NULL;
	l->head = j->next;
	if (l->head == NULL)
		l->tail = NULL;
	l->n--;
	return j;
}

/* Unlink j from l (it must be there). */
static void jl_remove(struct jlist *l, struct job *j)
{
	struct job *prev = NULL;

	for (struct job *c = l->head; c != NULL; prev = c, c = c->next) {
		if (c != j)
			continue;
		if (prev != NULL)
			prev->next = c->next;
		else
			l->head = c->next;
		if (l->tail == c)
			l->tail = prev;
		l->n--;
		return;
	}
}

static struct job *jl_find(const struct jlist *l, uint64_t id)
{
	for (struct job *c = l->head; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void *thread_main(void *opaque)
{
	struct offload *o = opaque;

	/* behind the loop's key operations when the CPUs are busy */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(),
			  getpriority(PRIO_PROCESS, (id_t)gettid()) + OFFLOAD_NICE);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		struct job *j;

		while (!o->stopping && o->queued.head == NULL)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stopping)
			break;
		j = jl_pop(&o->queued);
		jl_push(&o->running, j);
		pthread_mutex_unlock(&o->mu);
		j->work(j->arg);
		pthread_mutex_lock(&o->mu);
		jl_remove(&o->running, j);
		jl_push(&o->finished, j);
		ev_async_send(o->loop, &o->async);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

/* Run the done callbacks of the jobs finished so far (on the loop,
 * unlocked: a callback may submit or cancel, also a job of this batch,
 * which therefore stays on the list until its turn). */
static void deliver(struct offload *o, bool all_cancelled)
{
	unsigned n;

	pthread_mutex_lock(&o->mu);
	n = o->finished.n;
	pthread_mutex_unlock(&o->mu);
	while (n-- > 0) {
		struct job *j;
		bool cancelled;

		pthread_mutex_lock(&o->mu);
		j = jl_pop(&o->finished);
		cancelled = j != NULL && (j->cancelled || all_cancelled);
		pthread_mutex_unlock(&o->mu);
		if (j == NULL)
			break;
		j->done(j->arg, cancelled);
		free(j);
	}
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	deliver(w->data, false);
}

struct offload *offload_new(struct ev_loop *loop, unsigned threads, unsigned max_queued)
{
	struct offload *o;
	sigset_t all, old;
	int r = 0;

	if (threads == 0 || threads > OFFLOAD_MAX_THREADS || max_queued == 0) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->loop = loop;
	o->max_queued = max_queued;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	ev_async_init(&o->async, async_cb);
	o->async.data = o;
	ev_async_start(loop, &o->async);
	/* signals are the loop's: the threads block them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; o->n_threads < threads && r == 0; o->n_threads++)
		r = pthread_create(&o->threads[o->n_threads], NULL, thread_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		o->n_threads--;
		log_err("sec-mod: starting the offload threads: %s", strerror(r));
		offload_free(o);
		errno = r;
		return NULL;
	}
	return o;
}

void offload_free(struct offload *o)
{
	struct job *j;

	if (o == NULL)
		return;
	pthread_mutex_lock(&o->mu);
	o->stopping = true;
	while ((j = jl_pop(&o->queued)) != NULL)
		jl_push(&o->finished, j);
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	for (unsigned i = 0; i < o->n_threads; i++)
		pthread_join(o->threads[i], NULL);
	/* the running ones are finished now */
	deliver(o, true);
	ev_async_stop(o->loop, &o->async);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

int offload_submit(struct offload *o, offload_work_fn work, offload_done_fn done, void *arg,
		   uint64_t *id)
{
	struct job *j;

	pthread_mutex_lock(&o->mu);
	if (o->queued.n >= o->max_queued || o->stopping) {
		pthread_mutex_unlock(&o->mu);
		return -EBUSY;
	}
	pthread_mutex_unlock(&o->mu);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&o->mu);
	j->id = ++o->next_id;
	jl_push(&o->queued, j);
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	*id = j->id;
	return 0;
}

void offload_cancel(struct offload *o, uint64_t id)
{
	struct job *j;

	pthread_mutex_lock(&o->mu);
	j = jl_find(&o->queued, id);
	if (j != NULL) {
		/* never runs: straight to the finished list */
		jl_remove(&o->queued, j);
		jl_push(&o->finished, j);
		ev_async_send(o->loop, &o->async);
	} else {
		j = jl_find(&o->running, id);
		if (j == NULL)
			j = jl_find(&o->finished, id);
	}
	if (j != NULL)
		j->cancelled = true;
	pthread_mutex_unlock(&o->mu);
}

unsigned offload_pending(struct offload *o)
{
	unsigned n;

	pthread_mutex_lock(&o->mu);
	n = o->queued.n + o->running.n;
	pthread_mutex_unlock(&o->mu);
	return n;
}
