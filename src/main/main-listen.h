/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_LISTEN_H
#define OCSM_MAIN_LISTEN_H

/*
 * The sockets main listens on: opening them (tcp-port for the listeners
 * here, udp-port for main-udp.c), and the TCP listeners' life: started once
 * the loop exists, paused for MAIN_ACCEPT_PAUSE_S when accept() runs out of
 * descriptors or memory, closed at shutdown. What a connection becomes is
 * the accept callback's business (main-worker.c, passed in by main.c): this
 * file calls no other module of main.
 */

#include <ev.h>
#include <netinet/in.h>

#include "common/conf.h"

#define MAIN_MAX_LISTENERS 8

struct server;

struct listener {
	int fd;
	ev_io w;
	char name[INET6_ADDRSTRLEN + 8];
};

/* A socket main listens on (tcp-port, or udp-port for DTLS). */
struct main_socket {
	int fd;
	int family;                        /* AF_INET or AF_INET6 */
	char name[INET6_ADDRSTRLEN + 8];   /* "192.0.2.1:443", "[2001:db8::1]:443" */
};

/*
 * Open a socket of socktype (SOCK_STREAM or SOCK_DGRAM) on each address of
 * listen-host (every address when unset: 0.0.0.0 and ::, the latter
 * IPV6_V6ONLY so both can coexist) and port, at most max: non-blocking,
 * close-on-exec, SO_REUSEADDR, bound; a stream socket also listens, a
 * datagram socket reports the local address of each datagram (IP_PKTINFO,
 * IPV6_RECVPKTINFO). An address that cannot be had is logged and skipped
 * (at debug level: an IPv6 address the host lacks when listen-host is
 * unset). Returns how many went into out[] (0 is possible), or -EINVAL when
 * listen-host does not resolve (logged).
 */
int main_open_sockets(const struct config *cfg, int socktype, unsigned port,
		      struct main_socket *out, int max);

typedef void main_accept_fn(struct ev_loop *loop, ev_io *w, int revents);

/* Open the TCP listeners (srv->listeners) on tcp-port; accept_cb runs when
 * one is readable (w->data: the server). 0, or a negative errno (logged)
 * when none could be opened. Before the event loop exists. */
int main_listen_open(struct server *srv, main_accept_fn *accept_cb);
/* Start them on srv->loop. */
void main_listen_start(struct server *srv);
/* Stop accepting for this many seconds (not past a shutdown): the
 * connections wait in the kernel's backlog. */
void main_pause_listeners(struct server *srv, double seconds);
/* Close them (shutdown, exit). */
void main_listen_close(struct server *srv);

#endif
