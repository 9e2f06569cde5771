/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The sockets main listens on (main-listen.h). */

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "main/main-listen.h"
#include "main/main.h"

static void listeners_start(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++)
		ev_io_start(srv->loop, &srv->listeners[i].w);
}

void main_listen_close(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++) {
		ev_io_stop(srv->loop, &srv->listeners[i].w);
		close(srv->listeners[i].fd);
	}
	srv->n_listeners = 0;
	ev_timer_stop(srv->loop, &srv->accept_pause_w);
}

static void accept_pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (!srv->shutting_down)
		listeners_start(srv);
}

void main_pause_listeners(struct server *srv, double seconds)
{
	for (int i = 0; i < srv->n_listeners; i++)
		ev_io_stop(srv->loop, &srv->listeners[i].w);
	ev_timer_stop(srv->loop, &srv->accept_pause_w);
	ev_timer_set(&srv->accept_pause_w, seconds, 0.);
	ev_timer_start(srv->loop, &srv->accept_pause_w);
}

int main_open_sockets(const struct config *cfg, int socktype, unsigned port,
		      struct main_socket *out, int max)
{
	struct addrinfo hints = { .ai_socktype = socktype,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	const char *proto = socktype == SOCK_STREAM ? "TCP" : "UDP";
	struct addrinfo *res, *ai;
	char portstr[8];
	int n = 0, r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(cfg->listen_host, portstr, &hints, &res);
	if (r != 0) {
		log_err("listen-host '%s' for %s port %u: %s",
			cfg->listen_host ? cfg->listen_host : "*", proto, port, gai_strerror(r));
		return -EINVAL;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		struct main_socket *m = &out[n];
		char host[NI_MAXHOST];
		int one = 1, fd;

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(host, sizeof(host), "?");
		snprintf(m->name, sizeof(m->name), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
			 host, portstr);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			if (errno == EAFNOSUPPORT)
				log_debug("%s %s: address family not available", proto, m->name);
			else
				log_err("%s socket for %s: %s", proto, m->name, strerror(errno));
			continue;
		}
		/* UDP: the per-client DTLS sockets share the address and port */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (socktype == SOCK_DGRAM) {
			/* before bind: every datagram says which address it was for */
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
			else
				setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    (socktype == SOCK_STREAM && listen(fd, 1024) < 0)) {
			if (errno == EADDRNOTAVAIL && ai->ai_family == AF_INET6 &&
			    cfg->listen_host == NULL)
				log_debug("%s %s: %s", proto, m->name, strerror(errno));
			else
				log_err("listening on %s %s: %s", proto, m->name, strerror(errno));
			close(fd);
			continue;
		}
		m->fd = fd;
		m->family = ai->ai_family;
		n++;
	}
	freeaddrinfo(res);
	return n;
}

int main_listen_open(struct server *srv, main_accept_fn *accept_cb)
{
	struct main_socket s[MAIN_MAX_LISTENERS];
	int n = main_open_sockets(&srv->cfg, SOCK_STREAM, srv->cfg.tcp_port, s, MAIN_MAX_LISTENERS);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct listener *l = &srv->listeners[srv->n_listeners++];

		l->fd = s[i].fd;
		snprintf(l->name, sizeof(l->name), "%s", s[i].name);
		ev_io_init(&l->w, accept_cb, l->fd, EV_READ);
		log_info("listening on %s", l->name);
	}
	if (srv->n_listeners == 0) {
		log_err("could not listen on any address for tcp-port %u", srv->cfg.tcp_port);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

void main_listen_start(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++)
		srv->listeners[i].w.data = srv;
	ev_init(&srv->accept_pause_w, accept_pause_cb);
	listeners_start(srv);
}
