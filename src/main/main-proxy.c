/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Reading the PROXY protocol header of each connection (main-proxy.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codec/proxy.h"
#include "common/log.h"
#include "main/main-proxy.h"
#include "main/main.h"

struct main_proxy_conn {
	struct main_proxy_conn *next, *prev;
	main_proxy_done_fn *done;
	ev_io io;
	ev_timer timer;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	size_t got;                     /* header bytes taken off the socket */
	uint8_t buf[PROXY_HEADER_MAX];
};

static void conn_free(struct server *srv, struct main_proxy_conn *c)
{
	ev_io_stop(srv->loop, &c->io);
	ev_timer_stop(srv->loop, &c->timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->proxy_conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_proxy_conns--;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* Hand the connection to the done callback: with h, the header read; else
 * refused for why. c is freed. */
static void finish(struct server *srv, struct main_proxy_conn *c, const struct proxy_header *h,
		   const char *why)
{
	main_proxy_done_fn *done = c->done;
	struct sockaddr_storage peer = c->peer, me;
	socklen_t melen = sizeof(me);
	struct main_proxy_result r = { .fd = c->fd, .peer = &peer, .peer_len = c->peer_len,
				       .why = why };

	if (h != NULL && h->local) {
		/* the front's own connection: its real endpoints count */
		if (getsockname(c->fd, (struct sockaddr *)&me, &melen) == 0) {
			r.local = &me;
			r.local_len = melen;
		}
		r.client = &peer;
		r.client_len = c->peer_len;
		r.front_local = true;
	} else if (h != NULL) {
		r.client = &h->src;
		r.client_len = h->src_len;
		r.local = &h->dst;
		r.local_len = h->dst_len;
	}
	c->fd = -1;
	conn_free(srv, c);
	done(srv, &r);
}

/* Peek at what arrived, take off the socket the bytes that belong to the
 * header (all of them while it is incomplete, proxy.h), never one more. */
static void read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct server *srv = ev_userdata(loop);
	struct main_proxy_conn *c = io->data;
	struct proxy_header h;
	char why[96];
	ssize_t n, taken;
	size_t take;
	int st;

	n = recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0 && c->got == 0) {
			finish(srv, c, NULL, NULL);
			return;
		}
		snprintf(why, sizeof(why), "%s after %zu bytes of a PROXY header",
			 n == 0 ? "closed" : strerror(errno), c->got);
		finish(srv, c, NULL, why);
		return;
	}
	st = proxy_parse(c->buf, c->got + (size_t)n, &h);
	if (st != PROXY_OK && st != PROXY_NEED_MORE) {
		finish(srv, c, NULL, proxy_strerror(st));
		return;
	}
	take = st == PROXY_OK ? h.len - c->got : (size_t)n;
	taken = recv(c->fd, c->buf + c->got, take, 0);
	if (taken != (ssize_t)take) {
		snprintf(why, sizeof(why), "reading the PROXY header: %s",
			 taken < 0 ? strerror(errno) : "short read");
		finish(srv, c, NULL, why);
		return;
	}
	c->got += take;
	if (st == PROXY_OK)
		finish(srv, c, &h, NULL);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);
	struct main_proxy_conn *c = t->data;
	char why[96];

	snprintf(why, sizeof(why), "no complete PROXY header within %.0f s (%zu bytes came)",
		 MAIN_PROXY_TIMEOUT_S, c->got);
	finish(srv, c, NULL, why);
}

int main_proxy_start(struct server *srv, int fd, const struct sockaddr_storage *peer,
		     socklen_t peer_len, main_proxy_done_fn *done)
{
	struct main_proxy_conn *c;

	if (srv->n_proxy_conns >= MAIN_PROXY_PENDING_MAX)
		return -EAGAIN;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = fd;
	c->done = done;
	c->peer = *peer;
	c->peer_len = peer_len;
	ev_io_init(&c->io, read_cb, fd, EV_READ);
	ev_timer_init(&c->timer, timeout_cb, MAIN_PROXY_TIMEOUT_S, 0.);
	c->io.data = c->timer.data = c;
	ev_io_start(srv->loop, &c->io);
	ev_timer_start(srv->loop, &c->timer);
	c->next = srv->proxy_conns;
	if (srv->proxy_conns)
		srv->proxy_conns->prev = c;
	srv->proxy_conns = c;
	srv->n_proxy_conns++;
	return 0;
}

void main_proxy_close_all(struct server *srv)
{
	while (srv->proxy_conns != NULL)
		conn_free(srv, srv->proxy_conns);
}
