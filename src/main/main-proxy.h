/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_PROXY_H
#define OCSM_MAIN_PROXY_H

/*
 * listen-proxy-proto: the PROXY protocol header (codec/proxy.h) a trusted
 * TCP front such as haproxy (`send-proxy`, `send-proxy-v2`) writes at the
 * start of each connection, read by main before anything else happens to
 * the connection (doc/cluster.md).
 *
 * Why main reads it, and not the worker: the client's address decides
 * whether the connection is served at all (bans, ban points,
 * max-unauth-per-ip), and main decides that before it forks a worker; a
 * worker reading the header would cost a fork and an exec per connection
 * from a banned address, and would have to report the address back before
 * any of those checks. Main must never wait for a client, so each
 * connection waits for its header on its own non-blocking watcher and
 * timer: the header is peeked at (MSG_PEEK) as it arrives and only its own
 * bytes are taken off the socket, the TLS ClientHello behind it stays there
 * for the worker. A connection that sends nothing, too little or garbage
 * costs one descriptor and about 1 KiB until MAIN_PROXY_TIMEOUT_S, and
 * never delays another; at most MAIN_PROXY_PENDING_MAX wait at once.
 *
 * Calls no other module of main: what a connection becomes is the done
 * callback's business (main-worker.c).
 */

#include <stdbool.h>
#include <sys/socket.h>

/* A connection's whole header must arrive within this long. */
#define MAIN_PROXY_TIMEOUT_S 5.0
/* Connections waiting for their header at once; more are refused. */
#define MAIN_PROXY_PENDING_MAX 1024u

struct server;
struct main_proxy_conn;

/* What came of a connection's header. */
struct main_proxy_result {
	int fd;                                 /* the connection: now the callback's */
	const struct sockaddr_storage *peer;    /* its TCP peer: the front */
	socklen_t peer_len;
	const struct sockaddr_storage *client;  /* the client; NULL: refused */
	socklen_t client_len;
	const struct sockaddr_storage *local;   /* the address the client connected to */
	socklen_t local_len;
	bool front_local;                       /* v2 LOCAL: the front's own connection
						 * (client is the peer) */
	const char *why;                        /* refused: why; NULL when the connection
						 * closed before its first byte */
};

typedef void main_proxy_done_fn(struct server *srv, const struct main_proxy_result *r);

/* Wait on fd (non-blocking, just accepted from peer) for its header, then
 * call done once, with the connection positioned right after the header.
 * -EAGAIN (MAIN_PROXY_PENDING_MAX connections wait already) or -ENOMEM: fd
 * is still the caller's. */
int main_proxy_start(struct server *srv, int fd, const struct sockaddr_storage *peer,
		     socklen_t peer_len, main_proxy_done_fn *done);

/* Close every connection still waiting for its header (shutdown, drain). */
void main_proxy_close_all(struct server *srv);

#endif
