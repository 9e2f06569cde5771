/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The closer thread (tun-closer.h). Two lists under one mutex: `todo`
 * (fds for the thread, oldest first) and `closed` (items whose fd is
 * closed, for the loop). An item moves from one to the other and back to
 * the loop, which alone allocates and frees them.
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "main/tun-closer.h"

struct closer_item {
	int fd;
	tun_closer_done_fn done;
	void *arg;
	struct closer_item *next;
};

/* A FIFO of items. */
struct closer_list {
	struct closer_item *head, *tail;
};

struct tun_closer {
	struct ev_loop *loop;
	ev_async async;			/* the thread closed something */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* todo got an item, or stopping */
	struct closer_list todo;	/* under lock */
	struct closer_list closed;	/* under lock */
	bool stopping;			/* under lock: close what waits, then exit */
	size_t pending;			/* loop only: handed over, done not run */
	size_t batch;			/* loop only: handed over since pending was 0 */
	ev_tstamp batch_start;		/* loop only: when pending left 0 */
};

/* A backlog of at least this many devices is logged when it is gone. */
#define CLOSER_LOG_BATCH 64u

static void list_push(struct closer_list *l, struct closer_item *it)
{
	it->next = NULL;
	if (l->tail != NULL)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
}

static struct closer_item *list_pop(struct closer_list *l)
{
	struct closer_item *it = l->head;

	if (it != NULL) {
		l->head = it->next;
		if (l->head == NULL)
			l->tail = NULL;
		it->next = NULL;
	}
	return it;
}

static void *closer_main(void *opaque)
{
	struct tun_closer *c = opaque;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct closer_item *it = list_pop(&c->todo);

		if (it == NULL) {
			if (c->stopping)
				break;
			pthread_cond_wait(&c->wake, &c->lock);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		/* the slow part: the device's unregistration, under rtnl */
		(void)close(it->fd);
		pthread_mutex_lock(&c->lock);
		list_push(&c->closed, it);
		if (!c->stopping)
			ev_async_send(c->loop, &c->async);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* On the loop: run done for every item the thread has closed. */
static void run_closed(struct tun_closer *c)
{
	struct closer_list done;

	pthread_mutex_lock(&c->lock);
	done = c->closed;
	c->closed = (struct closer_list){ NULL, NULL };
	pthread_mutex_unlock(&c->lock);
	for (struct closer_item *it; (it = list_pop(&done)) != NULL;) {
		c->pending--;
		if (it->done != NULL)
			it->done(it->arg);
		free(it);
	}
	if (c->pending == 0 && c->batch >= CLOSER_LOG_BATCH)
		log_info("closed %zu tun devices in %.1f s", c->batch,
			 ev_time() - c->batch_start);
	if (c->pending == 0)
		c->batch = 0;
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	run_closed(w->data);
}

struct tun_closer *tun_closer_new(struct ev_loop *loop)
{
	struct tun_closer *c = calloc(1, sizeof(*c));
	sigset_t all, old;
	int r;

	if (c == NULL) {
		log_err("tun closer: out of memory: devices are closed on the event loop");
		return NULL;
	}
	c->loop = loop;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	ev_async_init(&c->async, async_cb);
	c->async.data = c;
	ev_async_start(loop, &c->async);
	/* the thread inherits this mask: every signal stays main's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&c->thread, NULL, closer_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_err("tun closer: thread: %s: devices are closed on the event loop",
			strerror(r));
		ev_async_stop(loop, &c->async);
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	return c;
}

void tun_closer_close(struct tun_closer *c, int fd, tun_closer_done_fn done, void *arg)
{
	struct closer_item *it = c != NULL ? malloc(sizeof(*it)) : NULL;

	if (it == NULL) {
		(void)close(fd);
		if (done != NULL)
			done(arg);
		return;
	}
	*it = (struct closer_item){ .fd = fd, .done = done, .arg = arg };
	if (c->pending++ == 0)
		c->batch_start = ev_time();
	c->batch++;
	pthread_mutex_lock(&c->lock);
	list_push(&c->todo, it);
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

size_t tun_closer_pending(const struct tun_closer *c)
{
	return c != NULL ? c->pending : 0;
}

void tun_closer_free(struct tun_closer *c)
{
	if (c == NULL)
		return;
	if (c->pending > 0)
		log_info("closing the %zu tun devices still waiting to be closed", c->pending);
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	run_closed(c);
	ev_async_stop(c->loop, &c->async);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
