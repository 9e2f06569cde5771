/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* struct in6_pktinfo */

/*
 * main's UDP port for DTLS (see main-udp.h).
 *
 *   datagram on udp-port --dtls_route_decide--> ASSOC  (ClientHello, App-ID known)
 *                                               REBIND (record, new port of a client)
 *                                               drop   (reason counted, debug log)
 *   ASSOC/REBIND: socket(); SO_REUSEADDR; bind(our address:udp-port);
 *                 connect(client address:port); DtlsSocket + fd -> worker
 *
 * A ClientHello whose App-ID is not known yet is kept for a second in case
 * its tunnel's TunnelUp is just behind it (dtls-route.h, early hellos).
 *
 * Every socket on the port carries SO_REUSEADDR, so the per-client sockets
 * can share the listener's address and port; the kernel prefers a connected
 * socket for its peer's datagrams, so main only sees what no worker holds.
 * Our address is the one the datagram was sent to (IP_PKTINFO), so replies
 * leave from the address the client talks to (doc/spec/interop.md §6.2: the TCP peer
 * IP). Nothing here blocks: a worker whose IPC socket is full misses the
 * handover, and the client's retransmission brings the datagram again.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "main/dtls-route.h"
#include "common/log.h"
#include "common/tun.h"
#include "main/main-events.h"
#include "main/main-listen.h"
#include "main/main-udp.h"
#include "main/main.h"
#include "vpn/dtls.h"

#define UDP_BUF 65536u
/* Datagrams handled per readiness callback before yielding to the loop. */
#define UDP_BATCH 64

struct udp_listener {
	int fd;
	int family;
	ev_io w;
	struct main_udp *u;
	char name[INET6_ADDRSTRLEN + 8];
};

/* What main keeps with an early hello (dtls-route.h): its addresses. */
struct early_meta {
	struct sockaddr_storage src, local;
	socklen_t src_len, local_len;
};
_Static_assert(sizeof(struct early_meta) <= DTLS_EARLY_META_MAX, "early_meta too large");

struct main_udp {
	struct server *srv;
	struct udp_listener l[MAIN_MAX_LISTENERS];
	int n;
	uint16_t port;
	struct dtls_route route;
	uint8_t *buf;
	struct dtls_early_set early;
	uint64_t handovers, handover_failures;
};

/* --- addresses ------------------------------------------------------------- */

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", ip, port);
	} else {
		snprintf(buf, len, "?");
	}
}

static struct worker_proc *worker_of(const struct main_udp *u, void *owner)
{
	/* owners are worker_proc records that are still in the table */
	for (struct worker_proc *w = u->srv->workers; w != NULL; w = w->next)
		if (w == owner)
			return w;
	return NULL;
}

/* --- handing a socket over ------------------------------------------------- */

/* A socket on our address and port, connected to the client. -errno. */
static int peer_socket(const struct main_udp *u, const struct sockaddr_storage *local,
		       socklen_t local_len, const struct sockaddr_storage *src, socklen_t src_len)
{
	struct sockaddr_storage me = *local;
	int one = 1, fd, err;

	if (me.ss_family == AF_INET)
		((struct sockaddr_in *)&me)->sin_port = htons(u->port);
	else
		((struct sockaddr_in6 *)&me)->sin6_port = htons(u->port);
	fd = socket(me.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (me.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&me, local_len) < 0 ||
	    connect(fd, (const struct sockaddr *)src, src_len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Datagrams that reached the new socket between bind() and connect() (it
 * briefly matched any peer): they are not the worker's; dropped, their
 * senders retransmit. */
static void drain_strays(struct main_udp *u, int fd, const struct sockaddr_storage *src,
			 socklen_t src_len)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char a[INET6_ADDRSTRLEN + 8];
		ssize_t n = recvfrom(fd, u->buf, UDP_BUF, MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);

		if (n < 0)
			return;
		if (fl == src_len && memcmp(&from, src, fl) == 0)
			continue;
		addr_text(&from, a, sizeof(a));
		log_debug("DTLS: a datagram from %s slipped into a new socket: dropped", a);
	}
}

static void hand_over(struct main_udp *u, struct worker_proc *w, enum dtls_route_verdict v,
		      const uint8_t *buf, size_t n, const struct sockaddr_storage *src,
		      socklen_t src_len, const struct sockaddr_storage *local, socklen_t local_len)
{
	DtlsSocket ds = DTLS_SOCKET__INIT;
	char peer[INET6_ADDRSTRLEN + 8];
	int fd, r;

	addr_text(src, peer, sizeof(peer));
	if (w->ipc_fd < 0 || w->exited || w->sigterm_sent)
		return;
	fd = peer_socket(u, local, local_len, src, src_len);
	if (fd < 0) {
		u->handover_failures++;
		log_warn("DTLS: socket for %s (worker %ld): %s", peer, (long)w->pid, strerror(-fd));
		return;
	}
	drain_strays(u, fd, src, src_len);
	ds.kind = v == DTLS_ROUTE_ASSOC ? 1 : 2;
	ds.datagram.data = (uint8_t *)buf;
	ds.datagram.len = n;
	ds.peer = peer;
	r = ipc_send(w->ipc_fd, IPC_DTLS_SOCKET, &ds.base, fd);
	close(fd);
	if (r < 0) {
		/* a busy worker misses this one; the client sends again */
		u->handover_failures++;
		log_debug("DTLS: %s for worker %ld: %s", ipc_type_str(IPC_DTLS_SOCKET), (long)w->pid,
			  ipc_strerror(r));
		return;
	}
	u->handovers++;
	log_debug("DTLS: %s from %s handed to worker %ld (user %s)",
		  v == DTLS_ROUTE_ASSOC ? "ClientHello" : "record from a new port", peer,
		  (long)w->pid, LOG_ESC(w->username != NULL ? w->username : "?"));
}

/* --- early hellos ------------------------------------------------------------ */

static void stash_hello(struct main_udp *u, const uint8_t *buf, size_t n,
			const struct sockaddr_storage *src, socklen_t src_len,
			const struct sockaddr_storage *local, socklen_t local_len, vpn_ms_t now)
{
	struct early_meta m = { .src = *src, .local = *local, .src_len = src_len,
				.local_len = local_len };

	(void)dtls_early_put(&u->early, buf, n, &m, sizeof(m), now);
}

static void handle(struct main_udp *u, const uint8_t *buf, size_t n,
		   const struct sockaddr_storage *src, socklen_t src_len,
		   const struct sockaddr_storage *local, socklen_t local_len, vpn_ms_t now);

/* A tunnel with this App-ID just came: its hellos may be waiting. */
static void replay_early(struct main_udp *u, const uint8_t *id, size_t len, vpn_ms_t now)
{
	const struct dtls_early *e;

	while ((e = dtls_early_take(&u->early, id, len, now)) != NULL) {
		uint8_t data[DTLS_EARLY_DATA_MAX];
		struct early_meta m;
		size_t n = e->len;
		char peer[INET6_ADDRSTRLEN + 8];

		if (e->meta_len != sizeof(m))
			continue;
		memcpy(&m, e->meta, sizeof(m));
		memcpy(data, e->data, n);
		addr_text(&m.src, peer, sizeof(peer));
		log_debug("DTLS: ClientHello from %s came %llu ms before its tunnel's TunnelUp",
			  peer, (unsigned long long)(now - e->at_ms));
		handle(u, data, n, &m.src, m.src_len, &m.local, m.local_len, now);
	}
}

/* --- receiving ------------------------------------------------------------- */

static void handle(struct main_udp *u, const uint8_t *buf, size_t n,
		   const struct sockaddr_storage *src, socklen_t src_len,
		   const struct sockaddr_storage *local, socklen_t local_len, vpn_ms_t now)
{
	struct ban_addr a;
	enum dtls_route_verdict v;
	struct worker_proc *w;
	void *owner = NULL;
	char peer[INET6_ADDRSTRLEN + 8];

	if (ban_addr_from_sockaddr((const struct sockaddr *)src, src_len, &a) < 0)
		return;
	v = dtls_route_decide(&u->route, buf, n, &a, now, &owner);
	switch (v) {
	case DTLS_ROUTE_ASSOC:
	case DTLS_ROUTE_REBIND:
		w = worker_of(u, owner);
		if (w != NULL)
			hand_over(u, w, v, buf, n, src, src_len, local, local_len);
		return;
	case DTLS_ROUTE_DROP_UNKNOWN_APP_ID:
		stash_hello(u, buf, n, src, src_len, local, local_len, now);
		break;
	case DTLS_ROUTE_DROP_NOT_DTLS:
	case DTLS_ROUTE_DROP_BAD_HELLO:
	case DTLS_ROUTE_DROP_HANDSHAKE:
	case DTLS_ROUTE_DROP_NO_PEER:
	case DTLS_ROUTE_DROP_AMBIGUOUS:
	case DTLS_ROUTE_DROP_RATE:
		break;
	}
	if (log_get_level() >= LOG_LVL_DEBUG) {
		addr_text(src, peer, sizeof(peer));
		log_debug("DTLS: %zu-byte datagram from %s dropped: %s", n, peer,
			  dtls_route_verdict_str(v));
	}
}

/* Our address the datagram was sent to, from IP_PKTINFO / IPV6_PKTINFO;
 * false if the kernel did not say (then the listener's own address). */
static bool local_from_cmsg(struct msghdr *mh, uint16_t port, struct sockaddr_storage *out,
			    socklen_t *out_len)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *s4 = (struct sockaddr_in *)out;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(out, 0, sizeof(*out));
			s4->sin_family = AF_INET;
			s4->sin_addr = pi.ipi_addr;
			s4->sin_port = htons(port);
			*out_len = sizeof(*s4);
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(out, 0, sizeof(*out));
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = pi.ipi6_addr;
			s6->sin6_port = htons(port);
			*out_len = sizeof(*s6);
			return true;
		}
	}
	return false;
}

static void udp_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct udp_listener *l = io->data;
	struct main_udp *u = l->u;
	vpn_ms_t now = vpn_now_ms();

	for (int i = 0; i < UDP_BATCH; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				 CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct sockaddr_storage src, local;
		socklen_t local_len = sizeof(local);
		struct iovec iov = { .iov_base = u->buf, .iov_len = UDP_BUF };
		struct msghdr mh = { .msg_name = &src, .msg_namelen = sizeof(src),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(l->fd, &mh, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug("DTLS: receiving on %s: %s", l->name, strerror(errno));
			return;
		}
		if (!local_from_cmsg(&mh, u->port, &local, &local_len) &&
		    getsockname(l->fd, (struct sockaddr *)&local, &local_len) < 0)
			continue;
		handle(u, u->buf, (size_t)n, &src, mh.msg_namelen, &local, local_len, now);
	}
}

/* --- the tunnels' side -------------------------------------------------------- */

static void apply_tun_mtu(struct worker_proc *w, unsigned mtu, const char *why);

void main_udp_tunnel_up(struct server *srv, struct worker_proc *w, const TunnelUp *up)
{
	struct main_udp *u = srv->udp;
	int r;

	if (up->has_tun_mtu)
		apply_tun_mtu(w, up->tun_mtu, "tunnel data MTU");
	if (u == NULL || !up->has_dtls_app_id)
		return;
	r = dtls_route_add(&u->route, w, up->dtls_app_id.data, up->dtls_app_id.len, &w->addr);
	if (r < 0) {
		log_warn("DTLS for worker %ld (%s): cannot route its App-ID: %s", (long)w->pid,
			 w->remote_ip, strerror(-r));
		return;
	}
	replay_early(u, up->dtls_app_id.data, up->dtls_app_id.len, vpn_now_ms());
}

void main_udp_worker_gone(struct server *srv, struct worker_proc *w)
{
	if (srv->udp != NULL)
		dtls_route_remove(&srv->udp->route, w);
}

/* The worker asks for its tun device's MTU (it has no privileges; main has
 * CAP_NET_ADMIN): `why` names the request in the log. */
static void apply_tun_mtu(struct worker_proc *w, unsigned mtu, const char *why)
{
	unsigned old;
	int r;

	if (mtu < 576 || mtu > 65535) {
		log_warn("worker %ld asked for MTU %u on %s: out of range, ignored", (long)w->pid,
			 mtu, w->tun.name);
		return;
	}
	old = tun_get_mtu(w->tun.name);
	r = tun_set_mtu(w->tun.name, mtu);
	if (r < 0) {
		log_warn("%s: MTU %u for worker %ld's %s: %s", w->tun.name, mtu, (long)w->pid, why,
			 strerror(-r));
		return;
	}
	if (old != mtu)
		log_info("%s: MTU %u -> %u (%s of user %s)", w->tun.name, old, mtu, why,
			 LOG_ESC(w->username != NULL ? w->username : "?"));
	w->tun.mtu = mtu;
}

void main_udp_on_status(struct server *srv, struct worker_proc *w, const DtlsStatus *st)
{
	bool established = st->peer != NULL && st->state != VPN_DTLS_NONE;
	uint32_t old_state = w->dtls_state;

	w->dtls_state = st->state;
	snprintf(w->dtls_peer, sizeof(w->dtls_peer), "%s", st->peer != NULL ? st->peer : "");
	snprintf(w->dtls_cipher, sizeof(w->dtls_cipher), "%s", st->cipher != NULL ? st->cipher : "");
	if (srv->udp != NULL)
		dtls_route_set_established(&srv->udp->route, w, established);
	main_events_dtls(srv, w, old_state);
	log_debug("worker %ld: DTLS %s%s%s", (long)w->pid,
		  vpn_dtls_state_str((enum vpn_dtls_state)st->state), st->peer ? " with " : "",
		  st->peer ? st->peer : "");
	if (st->has_tun_mtu)
		apply_tun_mtu(w, st->tun_mtu, "DTLS path MTU");
}

/* --- setup ------------------------------------------------------------------ */

unsigned main_udp_port(const struct server *srv)
{
	return srv->udp != NULL && srv->udp->n > 0 ? srv->udp->port : 0;
}

int main_udp_open(struct server *srv)
{
	struct main_socket s[MAIN_MAX_LISTENERS];
	struct main_udp *u;
	int n;

	if (srv->cfg.udp_port == 0) {
		log_info("udp-port 0: no DTLS, tunnels run over CSTP only");
		return 0;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL || (u->buf = malloc(UDP_BUF)) == NULL) {
		free(u);
		log_err("out of memory");
		return -ENOMEM;
	}
	u->srv = srv;
	u->port = srv->cfg.udp_port;
	dtls_route_init(&u->route);
	srv->udp = u;
	n = main_open_sockets(&srv->cfg, SOCK_DGRAM, u->port, s, MAIN_MAX_LISTENERS);
	if (n < 0) {
		main_udp_close(srv);
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct udp_listener *l = &u->l[u->n++];

		l->fd = s[i].fd;
		l->family = s[i].family;
		l->u = u;
		snprintf(l->name, sizeof(l->name), "%s", s[i].name);
		ev_io_init(&l->w, udp_cb, l->fd, EV_READ);
		l->w.data = l;
		log_info("DTLS: listening on UDP %s", l->name);
	}
	if (u->n == 0) {
		log_err("could not listen on any address for udp-port %u (set udp-port = 0 to run "
			"without DTLS)", u->port);
		main_udp_close(srv);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

void main_udp_start(struct server *srv)
{
	struct main_udp *u = srv->udp;

	if (u == NULL)
		return;
	for (int i = 0; i < u->n; i++)
		ev_io_start(srv->loop, &u->l[i].w);
}

void main_udp_close(struct server *srv)
{
	struct main_udp *u = srv->udp;

	if (u == NULL)
		return;
	for (int i = 0; i < u->n; i++) {
		if (srv->loop != NULL)
			ev_io_stop(srv->loop, &u->l[i].w);
		close(u->l[i].fd);
	}
	if (u->handovers != 0 || u->route.verdicts[DTLS_ROUTE_DROP_RATE] != 0)
		log_debug("DTLS: %llu socket handovers, %llu failed, %llu rate-limited",
			  (unsigned long long)u->handovers, (unsigned long long)u->handover_failures,
			  (unsigned long long)u->route.verdicts[DTLS_ROUTE_DROP_RATE]);
	dtls_route_free(&u->route);
	free(u->buf);
	free(u);
	srv->udp = NULL;
}
