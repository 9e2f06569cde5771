/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The DTLS channel of a worker's tunnel: PSK-NEGOTIATE (doc/spec/interop.md §6.2),
 * the data path, the per-channel liveness of doc/spec/liveness.md §3/§7 and the MTU.
 *
 * Associations. Every client handshake comes from a new UDP port (or, with
 * --dtls-local-port, again from the same one); main hands us a socket
 * connected to that port with the ClientHello it read. A worker holds at
 * most two associations, each a GnuTLS DTLS server session on a socket:
 *
 *   cur   the established one, carrying the channel
 *   pend  a handshake in progress; it replaces cur when it completes, and a
 *         newer ClientHello replaces it (the client gave up on it). cur
 *         stays in service until then (doc/spec/interop.md §6.2), so a forged hello
 *         carrying our App-ID cannot take the channel down.
 *
 * A ClientHello arriving on cur's own socket (same port) starts a pend that
 * shares cur's socket: handshake records (types 20, 22) go to pend,
 * protected application records (23) to cur, until pend completes and
 * takes the socket over.
 *
 * NAT rebinding: main hands a socket connected to the client's new port with
 * a record that came from it; if cur's session decrypts the record (GnuTLS
 * also rejects replays), cur moves to the new socket, else the socket is
 * closed and nothing changes.
 *
 * GnuTLS reads through our pull function: each datagram is read here first
 * (to classify it), then offered to the session it belongs to, once. Sends
 * never block: a send the kernel refuses is reported as sent to GnuTLS (DTLS
 * tolerates loss) and its errno is kept, so the data packet goes over CSTP
 * instead; EMSGSIZE (try-mtu-discovery, DF set) also lowers the DTLS MTU.
 *
 * Liveness is the engine's (vpn/tunnel.h): every valid DTLS record is
 * reported with vpn_tunnel_on_rx(DTLS, ...); a completed handshake with
 * vpn_tunnel_on_dtls_up(); the engine answers with the data path
 * (vpn_tunnel_data_path: DTLS while up and, with switch-to-tcp-timeout,
 * heard from recently) and asks for DTLS probes or declares DTLS inactive.
 *
 * Right after a handshake the client probes the MTU with a DPD-REQ of
 * MTU + 1 bytes and drops every other DTLS record until it sees the exact
 * echo (doc/spec/interop.md §6.6): DPD-REQs are echoed byte for byte at once, even
 * above our current DTLS MTU, and data stays on CSTP until the client sends
 * anything other than a probe (at most WORKER_DTLS_QUIET_MS).
 */
#include "config.h"

#include "worker/worker-dtls.h"
#include "worker/worker.h"

#include "codec/cstp.h"
#include "codec/dtls-legacy.h"
#include "codec/dtls-record.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Appended to tls-priorities: DTLS 1.2 with PSK key exchange only. */
#define DTLS_PRIORITIES_SUFFIX ":-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+PSK"
/* Largest UDP datagram, and the largest DTLS record plaintext (2^14). */
#define DGRAM_MAX 65536u
#define PLAINTEXT_MAX (16384u + 256u)
/* Datagrams read per readiness callback before yielding to the loop. */
#define RX_BATCH 64

struct assoc {
	struct worker_dtls *d;
	int fd;
	bool owns_fd;		/* false while a pend shares cur's socket */
	bool reading;		/* io watcher started (the fd's one reader) */
	gnutls_session_t s;
	bool established;
	ev_io io;
	ev_timer hs_timer;	/* our retransmission and the handshake deadline */
	char peer[INET6_ADDRSTRLEN + 8];
	const uint8_t *in;	/* the datagram offered to GnuTLS; NULL: none */
	size_t in_len;
	int push_errno;		/* errno of a refused send since last cleared; 0: none */
};

struct worker_dtls {
	struct worker *w;
	uint8_t psk[WORKER_DTLS_PSK_LEN];
	uint8_t app_id[WORKER_DTLS_APP_ID_LEN];	/* legacy: the X-DTLS-Session-ID */
	const struct dtls_legacy_cipher *legacy;	/* legacy resume; NULL: PSK */
	uint8_t master[DTLS_LEGACY_MASTER_LEN];	/* legacy: the client's master secret */
	unsigned port;
	gnutls_psk_server_credentials_t cred;
	gnutls_priority_t prio;
	struct assoc *cur, *pend;
	bool started;
	bool try_mtu;		/* try-mtu-discovery: DF set, EMSGSIZE lowers the MTU */
	bool ipv6;
	unsigned link_payload;	/* UDP payload we let a record fill (gnutls_dtls_set_mtu) */
	unsigned max_data_mtu;	/* the tunnel's data MTU: the ceiling */
	unsigned data_mtu;	/* IP packets up to this go on DTLS */
	vpn_ms_t last_raise_ms;	/* last try to raise data_mtu; VPN_NEVER: none */
	vpn_ms_t quiet_until_ms; /* no data on DTLS before (MTU probe window) */
	bool switched;		/* data on CSTP because of switch-to-tcp-timeout */
	uint8_t *dgram;		/* DGRAM_MAX: one received datagram */
	uint8_t *pt;		/* PLAINTEXT_MAX: one decrypted record */
	char cipher[128];
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	uint64_t handshakes, rebinds, fallbacks;
};

static void assoc_free(struct assoc *a);
static void on_datagram(struct worker_dtls *d, struct assoc *from, uint8_t *buf, size_t n,
			vpn_ms_t now);

/* --- GnuTLS transport ------------------------------------------------------ */

static ssize_t pull_fn(gnutls_transport_ptr_t p, void *buf, size_t size)
{
	struct assoc *a = p;
	size_t n;

	if (a->in == NULL) {
		errno = EAGAIN;
		return -1;
	}
	n = a->in_len < size ? a->in_len : size;
	memcpy(buf, a->in, n);
	a->in = NULL;	/* offered once */
	return (ssize_t)n;
}

static int pull_timeout_fn(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct assoc *a = p;

	return a->in != NULL ? 1 : 0;
}

/* Never blocks and never fails towards GnuTLS: DTLS tolerates loss, and a
 * refused send must not make GnuTLS give the session up. The errno tells
 * the caller what happened to its record. */
static ssize_t push_fn(gnutls_transport_ptr_t p, const void *buf, size_t size)
{
	struct assoc *a = p;
	ssize_t n;

	do
		n = send(a->fd, buf, size, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		a->push_errno = errno;
	return (ssize_t)size;
}

static int psk_cb(gnutls_session_t s, const char *username, gnutls_datum_t *key)
{
	struct worker_dtls *d = gnutls_session_get_ptr(s);

	/* Any identity (openconnect says "psk"): the key is this tunnel's. */
	key->data = gnutls_malloc(WORKER_DTLS_PSK_LEN);
	if (key->data == NULL)
		return -1;
	memcpy(key->data, d->psk, WORKER_DTLS_PSK_LEN);
	key->size = WORKER_DTLS_PSK_LEN;
	return 0;
}

/* --- small helpers ---------------------------------------------------------- */

static void peer_text(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/* The kernel's path MTU towards the peer of a connected socket, or 0. */
static unsigned kernel_path_mtu(const struct assoc *a)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);
	int r;

	if (a->d->ipv6)
		r = getsockopt(a->fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len);
	else
		r = getsockopt(a->fd, IPPROTO_IP, IP_MTU, &mtu, &len);
	return r < 0 || mtu <= 0 ? 0 : (unsigned)mtu;
}

static unsigned ip_udp_hdr(const struct worker_dtls *d)
{
	return (d->ipv6 ? CSTP_IPV6_HDR : CSTP_IPV4_HDR) + DTLS_UDP_HDR;
}

/* DTLS data MTU (IP packet bytes) a session gives for a UDP payload. */
static unsigned data_mtu_for(struct assoc *a, unsigned payload)
{
	unsigned m;

	gnutls_dtls_set_mtu(a->s, payload);
	m = gnutls_dtls_get_data_mtu(a->s);
	return m > DTLS_TYPE_HDR ? m - DTLS_TYPE_HDR : 0;
}

static void send_status(struct worker_dtls *d, unsigned tun_mtu)
{
	struct worker *w = d->w;
	DtlsStatus st = DTLS_STATUS__INIT;

	st.state = (uint32_t)vpn_tunnel_dtls_state(&w->t);
	if (d->cur != NULL)
		st.peer = d->cur->peer;
	if (d->cipher[0] != '\0')
		st.cipher = d->cipher;
	if (tun_mtu != 0) {
		st.has_tun_mtu = true;
		st.tun_mtu = tun_mtu;
	}
	/* In order behind what waits for main (never waited for): main routes
	 * by the state and must apply an MTU change. */
	(void)worker_ipc_send(w, IPC_DTLS_STATUS, &st.base);
}

/* One record out on association a. Returns 0 when the kernel took it,
 * else the errno it refused it with (or EIO for a GnuTLS error). */
static int send_record(struct assoc *a, const uint8_t *rec, size_t len)
{
	ssize_t r;

	a->push_errno = 0;
	r = gnutls_record_send(a->s, rec, len);
	if (r < 0) {
		log_debug("DTLS send of %zu bytes to %s: %s", len, a->peer, gnutls_strerror((int)r));
		return r == GNUTLS_E_LARGE_PACKET ? EMSGSIZE : EIO;
	}
	return a->push_errno;
}

/* --- MTU (try-mtu-discovery) ------------------------------------------------ */

static void set_data_mtu(struct worker_dtls *d, unsigned mtu, const char *why, size_t refused)
{
	unsigned old = d->data_mtu;

	if (mtu == old)
		return;
	d->data_mtu = mtu;
	if (refused != 0)
		log_info("DTLS to %s: a %zu-byte packet was refused (%s): DTLS data MTU %u -> %u",
			 d->cur != NULL ? d->cur->peer : "?", refused, why, old, mtu);
	else
		log_info("DTLS to %s: %s: DTLS data MTU %u -> %u",
			 d->cur != NULL ? d->cur->peer : "?", why, old, mtu);
	/* main applies it to the tun device, which then hands us nothing
	 * larger (doc/spec/liveness.md §7). */
	send_status(d, mtu);
}

/* The kernel refused a DTLS record carrying an IP packet of `size` bytes as
 * too large for the path: lower the DTLS MTU to what the path takes. */
static void path_mtu_refused(struct worker_dtls *d, struct assoc *a, size_t size,
			     vpn_ms_t now)
{
	/* IPv6 in use, on the path or in the tunnel (a tun device under 1280
	 * loses its IPv6 address) */
	unsigned floor = d->ipv6 || d->w->lease6_prefix != 0 ? WORKER_DTLS_MTU_FLOOR_V6
							     : WORKER_DTLS_MTU_FLOOR_V4;
	unsigned pmtu = kernel_path_mtu(a), mtu;
	char why[64];

	if (pmtu > ip_udp_hdr(d)) {
		mtu = data_mtu_for(a, pmtu - ip_udp_hdr(d));
		gnutls_dtls_set_mtu(a->s, d->link_payload);
		snprintf(why, sizeof(why), "EMSGSIZE, path MTU %u", pmtu);
	} else {
		mtu = (unsigned)(size * 2 / 3);	/* as ocserv, when the kernel does not say */
		snprintf(why, sizeof(why), "EMSGSIZE");
	}
	if (mtu >= size)
		mtu = size > 1 ? (unsigned)size - 1 : 1;
	if (mtu < floor)
		mtu = floor;
	if (mtu > d->max_data_mtu)
		mtu = d->max_data_mtu;
	d->last_raise_ms = now;
	set_data_mtu(d, mtu, why, size);
}

/* A full-size packet went out: maybe the path takes more again (the
 * kernel's path MTU entry expired or the route changed). */
static void maybe_raise_mtu(struct worker_dtls *d, struct assoc *a, vpn_ms_t now)
{
	unsigned pmtu, mtu;

	if (d->data_mtu >= d->max_data_mtu ||
	    (d->last_raise_ms != VPN_NEVER &&
	     !vpn_ms_reached(vpn_ms_add(d->last_raise_ms, WORKER_DTLS_MTU_RAISE_MS), now)))
		return;
	d->last_raise_ms = now;
	pmtu = kernel_path_mtu(a);
	if (pmtu <= ip_udp_hdr(d))
		return;
	mtu = data_mtu_for(a, pmtu - ip_udp_hdr(d));
	gnutls_dtls_set_mtu(a->s, d->link_payload);
	if (mtu > d->max_data_mtu)
		mtu = d->max_data_mtu;
	if (mtu > d->data_mtu)
		set_data_mtu(d, mtu, "the path takes more again", 0);
}

/* --- associations ---------------------------------------------------------- */

static void assoc_io_cb(struct ev_loop *loop, ev_io *io, int revents);
static void hs_timer_cb(struct ev_loop *loop, ev_timer *t, int revents);

static void assoc_read(struct assoc *a, bool on)
{
	struct ev_loop *loop = a->d->w->loop;

	if (on == a->reading)
		return;
	a->reading = on;
	if (on)
		ev_io_start(loop, &a->io);
	else
		ev_io_stop(loop, &a->io);
}

/* The legacy mode (doc/spec/interop.md §6.4): the session the client
 * "resumes", made of our X-DTLS-Session-ID, its master secret and the
 * suite the CONNECT reply named. A ClientHello with that session_id gets
 * the abbreviated handshake; nothing else can complete one. */
static int legacy_session(struct worker_dtls *d, gnutls_session_t s)
{
	const struct dtls_legacy_cipher *c = d->legacy;
	gnutls_datum_t master = { .data = d->master, .size = sizeof(d->master) };
	gnutls_datum_t sid = { .data = d->app_id, .size = sizeof(d->app_id) };

	return gnutls_session_set_premaster(s, GNUTLS_SERVER, c->version, c->kx, c->cipher, c->mac,
					    GNUTLS_COMP_NULL, &master, &sid);
}

static struct assoc *assoc_new(struct worker_dtls *d, int fd, bool owns_fd)
{
	struct assoc *a = calloc(1, sizeof(*a));
	int r;

	if (a == NULL)
		return NULL;
	a->d = d;
	a->fd = fd;
	a->owns_fd = owns_fd;
	peer_text(fd, a->peer, sizeof(a->peer));
	r = gnutls_init(&a->s, GNUTLS_SERVER | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK |
				   GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS);
	if (r == 0)
		r = gnutls_priority_set(a->s, d->prio);
	if (r == 0 && d->legacy == NULL)
		r = gnutls_credentials_set(a->s, GNUTLS_CRD_PSK, d->cred);
	if (r == 0 && d->legacy != NULL)
		r = legacy_session(d, a->s);
	if (r < 0) {
		log_err("DTLS session for %s: %s", a->peer, gnutls_strerror(r));
		if (a->s != NULL)
			gnutls_deinit(a->s);
		free(a);
		return NULL;
	}
	gnutls_session_set_ptr(a->s, d);
	gnutls_transport_set_ptr(a->s, a);
	gnutls_transport_set_push_function(a->s, push_fn);
	gnutls_transport_set_pull_function(a->s, pull_fn);
	gnutls_transport_set_pull_timeout_function(a->s, pull_timeout_fn);
	gnutls_dtls_set_mtu(a->s, d->link_payload);
	gnutls_dtls_set_timeouts(a->s, WORKER_DTLS_RETRANS_MS, WORKER_DTLS_HANDSHAKE_MS);
	ev_io_init(&a->io, assoc_io_cb, fd, EV_READ);
	a->io.data = a;
	ev_init(&a->hs_timer, hs_timer_cb);
	a->hs_timer.data = a;
	return a;
}

static void assoc_free(struct assoc *a)
{
	struct worker_dtls *d;
	struct assoc *p;

	if (a == NULL)
		return;
	d = a->d;
	p = d->pend;
	if (d->w->loop != NULL) {
		assoc_read(a, false);
		ev_timer_stop(d->w->loop, &a->hs_timer);
	}
	gnutls_deinit(a->s);
	if (a->owns_fd && p != NULL && p != a && !p->owns_fd && p->fd == a->fd) {
		/* a handshake shares this socket: it keeps it, and reads it */
		p->owns_fd = true;
		a->owns_fd = false;
		if (d->w->loop != NULL && d->started)
			assoc_read(p, true);
	}
	if (a->owns_fd)
		close(a->fd);
	if (d->cur == a)
		d->cur = NULL;
	if (d->pend == a)
		d->pend = NULL;
	free(a);
}

/* pend completed its handshake: it becomes the channel. */
static void handshake_done(struct worker_dtls *d, struct assoc *a, vpn_ms_t now)
{
	struct worker *w = d->w;
	struct assoc *old = d->cur;
	char *desc;
	unsigned mtu;

	ev_timer_stop(w->loop, &a->hs_timer);
	a->established = true;
	desc = gnutls_session_get_desc(a->s);
	snprintf(d->cipher, sizeof(d->cipher), "%s", desc != NULL ? desc : "?");
	gnutls_free(desc);
	if (old != NULL && old != a) {
		if (old->fd == a->fd) {
			/* same port: the socket passes to the new session */
			a->owns_fd = old->owns_fd;
			old->owns_fd = false;
			assoc_read(old, false);
		}
		assoc_free(old);
	}
	d->cur = a;
	d->pend = NULL;
	assoc_read(a, true);
	d->handshakes++;

	/* The suite fixes the record overhead: what fits one record now. A
	 * lowered MTU (try-mtu-discovery) stays lowered. */
	mtu = data_mtu_for(a, d->link_payload);
	if (mtu > d->max_data_mtu)
		mtu = d->max_data_mtu;
	if (d->data_mtu == 0 || mtu < d->data_mtu)
		d->data_mtu = mtu;

	vpn_tunnel_on_dtls_up(&w->t, now);
	d->quiet_until_ms = vpn_ms_add(now, WORKER_DTLS_QUIET_MS);
	d->switched = false;
	log_info("DTLS up: client %s, %s, DTLS data MTU %u%s: data on DTLS", a->peer, d->cipher,
		 d->data_mtu, d->handshakes > 1 ? " (new association)" : "");
	send_status(d, 0);
	vpn_ev_timer_update(&w->timer);
}

/* Drive pend's handshake (a datagram may be offered in a->in) at now. */
static void handshake_step(struct worker_dtls *d, struct assoc *a, vpn_ms_t now)
{
	for (int i = 0; i < 8; i++) {
		int r = gnutls_handshake(a->s);
		unsigned ms;

		if (r == GNUTLS_E_SUCCESS) {
			handshake_done(d, a, now);
			return;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			ms = gnutls_dtls_get_timeout(a->s);
			ev_timer_stop(d->w->loop, &a->hs_timer);
			ev_timer_set(&a->hs_timer, (ms > 0 ? ms : 1) / 1000.0, 0.);
			ev_timer_start(d->w->loop, &a->hs_timer);
			return;
		}
		if (gnutls_error_is_fatal(r)) {
			log_info("DTLS handshake with %s failed: %s", a->peer, gnutls_strerror(r));
			assoc_free(a);
			return;
		}
		log_debug("DTLS handshake with %s: %s", a->peer, gnutls_strerror(r));
	}
}

static void hs_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct assoc *a = t->data;

	/* retransmit our flight, or give up past the deadline */
	handshake_step(a->d, a, vpn_now_ms());
}

/* Offer one datagram to a's handshake. a may be gone afterwards (the
 * handshake failed) or be cur (it completed); the datagram is offered once. */
static void handshake_offer(struct worker_dtls *d, struct assoc *a, const uint8_t *buf, size_t n,
			    vpn_ms_t now)
{
	a->in = buf;
	a->in_len = n;
	handshake_step(d, a, now);
	if (d->pend == a || d->cur == a)
		a->in = NULL;
}

/* A ClientHello with our App-ID arrived on `from` (or came from main with a
 * new socket): start or continue the handshake. */
static void hello(struct worker_dtls *d, struct assoc *from, uint8_t *buf, size_t n,
		  vpn_ms_t now)
{
	struct assoc *p = d->pend;

	if (p != NULL && (p == from || (!p->owns_fd && p->fd == from->fd))) {
		/* a retransmission of the hello we are answering */
		handshake_offer(d, p, buf, n, now);
		return;
	}
	/* the client starts over on cur's port: a new session on that socket */
	assoc_free(d->pend);
	p = assoc_new(d, from->fd, false);
	if (p == NULL)
		return;
	d->pend = p;
	log_debug("DTLS: new handshake from %s on the current association's port", p->peer);
	handshake_offer(d, p, buf, n, now);
}

/* --- records --------------------------------------------------------------- */

/* Answer a DPD-REQ: the whole record, byte for byte, type 0x04. */
static void echo_dpd(struct worker_dtls *d, struct assoc *a, uint8_t *rec, size_t n,
		     vpn_ms_t now)
{
	int len = dtls_dpd_echo(rec, n, rec, n);
	unsigned room;
	int err;

	if (len < 0)
		return;
	/* A probe above our record size still gets its exact echo: the
	 * client's MTU detection needs it (doc/spec/interop.md §6.6). */
	room = gnutls_dtls_get_data_mtu(a->s);
	if ((unsigned)len > room)
		(void)gnutls_dtls_set_data_mtu(a->s, (unsigned)len);
	err = send_record(a, rec, (size_t)len);
	if ((unsigned)len > room)
		gnutls_dtls_set_mtu(a->s, d->link_payload);
	if (err == EMSGSIZE && len > 1) {
		static const uint8_t resp = CSTP_DPD_RESP;

		if (d->try_mtu && (size_t)len - 1 <= d->data_mtu)
			path_mtu_refused(d, a, (size_t)len - 1, now);
		/* the path cannot carry the echo: a plain answer keeps the
		 * channel alive (the probe then finds a smaller MTU) */
		(void)send_record(a, &resp, 1);
		len = 1;
	}
	vpn_tunnel_on_tx(&d->w->t, VPN_CHAN_DTLS, VPN_FRAME_DPD_RESP, (size_t)len - 1, now);
}

static void on_record(struct worker_dtls *d, struct assoc *a, uint8_t *rec, size_t n,
		      vpn_ms_t now)
{
	struct worker *w = d->w;
	struct cstp_packet pkt;
	enum vpn_frame_kind kind;
	unsigned acts;

	if (dtls_decode(rec, n, &pkt) != CSTP_OK)
		return;
	kind = worker_frame_kind(pkt.type);
	switch (kind) {
	case VPN_FRAME_DATA:
		d->packets_in++;
		d->bytes_in += pkt.len;
		worker_tunnel_tun_write(w, pkt.payload, pkt.len, now);
		break;
	case VPN_FRAME_DPD_REQ:
	case VPN_FRAME_DPD_RESP:
	case VPN_FRAME_KEEPALIVE:
		log_trace("DTLS %s from %s (%zu bytes)", cstp_type_str(pkt.type), a->peer, pkt.len);
		break;
	case VPN_FRAME_DISCONNECT:
	case VPN_FRAME_TERMINATE:
	case VPN_FRAME_OTHER:
		/* never sent over DTLS by clients: proof of life only */
		log_debug("DTLS %s (type 0x%02x, %zu bytes) from %s: ignored",
			  cstp_type_str(pkt.type), pkt.type, pkt.len, a->peer);
		break;
	}
	/* The client's MTU probes are DPD-REQs with a payload (its own DPDs
	 * are 1 byte): while it probes, data waits; anything else ends the
	 * quiet window. */
	if (kind == VPN_FRAME_DPD_REQ && pkt.len > 0)
		d->quiet_until_ms = vpn_ms_min(d->quiet_until_ms,
					       vpn_ms_add(now, WORKER_DTLS_PROBE_GRACE_MS));
	else
		d->quiet_until_ms = 0;

	acts = vpn_tunnel_on_rx(&w->t, VPN_CHAN_DTLS, kind, pkt.payload, pkt.len, now);
	if (acts & VPN_ACT_SEND_DPD_RESP)
		echo_dpd(d, a, rec, n, now);
	if (acts & VPN_ACT_SEND_KEEPALIVE) {
		static const uint8_t ka = CSTP_KEEPALIVE;

		(void)send_record(a, &ka, 1);
		vpn_tunnel_on_tx(&w->t, VPN_CHAN_DTLS, VPN_FRAME_KEEPALIVE, 0, now);
	}
	if (acts & VPN_ACT_DTLS_UP) {
		log_info("DTLS active again: %s from %s: data on DTLS", vpn_frame_kind_str(kind),
			 a->peer);
		d->switched = false;
		send_status(d, 0);
	}
}

/* Offer one datagram to cur's session and handle what it decrypts to.
 * Returns the number of valid records (0: nothing decrypted). */
static unsigned feed_records(struct worker_dtls *d, struct assoc *a, uint8_t *buf, size_t n,
			     vpn_ms_t now)
{
	unsigned records = 0;

	a->in = buf;
	a->in_len = n;
	for (int i = 0; i < 32 && d->cur == a; i++) {
		ssize_t r = gnutls_record_recv(a->s, d->pt, PLAINTEXT_MAX);

		if (r > 0) {
			records++;
			on_record(d, a, d->pt, (size_t)r, now);
			continue;
		}
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			break;
		if (r == 0) {
			/* openconnect never sends close_notify; another
			 * client may: the channel waits for a new handshake */
			log_info("DTLS: %s closed the association", a->peer);
			assoc_free(a);
			return records;
		}
		if (gnutls_error_is_fatal((int)r)) {
			log_info("DTLS receive from %s: %s: association dropped", a->peer,
				 gnutls_strerror((int)r));
			assoc_free(a);
			return records;
		}
		log_debug("DTLS receive from %s: %s", a->peer, gnutls_strerror((int)r));
	}
	if (d->cur == a)
		a->in = NULL;
	return records;
}

static void on_datagram(struct worker_dtls *d, struct assoc *from, uint8_t *buf, size_t n,
			vpn_ms_t now)
{
	uint8_t id[DTLS_APP_ID_MAX];
	size_t id_len = 0;
	struct dtls_record_hdr h;

	if (dtls_record_peek(buf, n, &h) != DTLS_REC_OK)
		return;
	if (h.type == DTLS_CT_HANDSHAKE && h.epoch == 0 &&
	    dtls_client_hello_app_id(buf, n, id, &id_len) == DTLS_REC_OK) {
		if (id_len == WORKER_DTLS_APP_ID_LEN && memcmp(id, d->app_id, id_len) == 0)
			hello(d, from, buf, n, now);
		else
			log_debug("DTLS: ClientHello from %s with another App-ID: dropped", from->peer);
		return;
	}
	if (from == d->pend ||
	    (d->pend != NULL && !d->pend->owns_fd && d->pend->fd == from->fd &&
	     (h.type == DTLS_CT_HANDSHAKE || h.type == DTLS_CT_CHANGE_CIPHER_SPEC))) {
		handshake_offer(d, d->pend, buf, n, now);
		return;
	}
	if (from == d->cur)
		(void)feed_records(d, from, buf, n, now);
}

static void assoc_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct assoc *a = io->data;
	struct worker_dtls *d = a->d;
	struct worker *w = d->w;
	vpn_ms_t now = vpn_now_ms();

	for (int i = 0; i < RX_BATCH && w->phase == W_TUNNEL; i++) {
		ssize_t n;

		/* on_datagram may free a (a handshake failed, cur replaced) */
		if (a != d->cur && a != d->pend)
			return;
		n = recv(a->fd, d->dgram, DGRAM_MAX, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* ICMP errors of earlier sends (port unreachable after
			 * the client closed that socket, ...): not fatal here,
			 * DPD judges the channel. */
			log_debug("DTLS socket of %s: %s", a->peer, strerror(errno));
			continue;
		}
		on_datagram(d, a, d->dgram, (size_t)n, now);
	}
	if (w->phase == W_TUNNEL)
		vpn_ev_timer_update(&w->timer);
}

/* --- main's sockets -------------------------------------------------------- */

static void socket_options(struct worker_dtls *d, int fd)
{
	int v = d->try_mtu ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
	int r;

	/* DF only with try-mtu-discovery; without, the kernel fragments. */
	if (d->ipv6)
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
	else
		r = setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	if (r < 0)
		log_debug("DTLS socket: MTU discovery option: %s", strerror(errno));
}

/* A record from a new port: the new socket replaces cur's if the record
 * decrypts under cur's session. Takes fd. */
static void rebind(struct worker_dtls *d, int fd, uint8_t *buf, size_t n, const char *peer,
		   vpn_ms_t now)
{
	struct assoc *a = d->cur;
	int old_fd;
	bool old_owned;
	char old_peer[sizeof(a->peer)];
	unsigned ok;

	if (a == NULL || !a->established) {
		log_debug("DTLS: record from %s but no established association: ignored", peer);
		close(fd);
		return;
	}
	if (d->pend != NULL && d->pend->fd == a->fd && !d->pend->owns_fd) {
		/* a handshake shares the old socket: keep it simple */
		close(fd);
		return;
	}
	/* Try it on the old session with the new socket in place: the reply
	 * to anything it carries (a DPD echo) must go to the new port. */
	old_fd = a->fd;
	old_owned = a->owns_fd;
	memcpy(old_peer, a->peer, sizeof(old_peer));
	assoc_read(a, false);
	a->fd = fd;
	a->owns_fd = true;
	peer_text(fd, a->peer, sizeof(a->peer));
	ok = feed_records(d, a, buf, n, now);
	if (d->cur != a) {
		/* the session broke while reading: old socket goes too */
		if (old_owned)
			close(old_fd);
		return;
	}
	if (ok == 0) {
		log_info("DTLS: record from %s does not decrypt (not our client, or a replay): "
			 "kept %s", a->peer, old_peer);
		close(fd);
		a->fd = old_fd;
		a->owns_fd = old_owned;
		memcpy(a->peer, old_peer, sizeof(a->peer));
		ev_io_set(&a->io, a->fd, EV_READ);
		assoc_read(a, true);
		return;
	}
	if (old_owned)
		close(old_fd);
	ev_io_set(&a->io, a->fd, EV_READ);
	assoc_read(a, true);
	d->rebinds++;
	log_info("DTLS client moved from %s to %s (NAT rebinding: its record decrypted)", old_peer,
		 a->peer);
	send_status(d, 0);
}

void worker_dtls_on_socket(struct worker *w, struct ipc_msg *m)
{
	struct worker_dtls *d = w->dtls;
	const DtlsSocket *ds = m->dtls_socket;
	vpn_ms_t now = vpn_now_ms();
	int fd = m->fd;
	struct assoc *a;

	if (fd < 0) {
		log_warn("DtlsSocket from main without a socket: ignored");
		return;
	}
	if (d == NULL || !d->started || w->phase != W_TUNNEL) {
		log_debug("DtlsSocket from main while %s: closed", d == NULL ? "DTLS is off"
							       : "the tunnel is not up");
		return;	/* ipc_msg_free closes it */
	}
	m->fd = -1;
	socket_options(d, fd);
	if (ds->kind == 2) {
		rebind(d, fd, ds->datagram.data, ds->datagram.len, ds->peer, now);
		vpn_ev_timer_update(&w->timer);
		return;
	}
	if (ds->kind != 1) {
		log_warn("DtlsSocket of unknown kind %u: closed", ds->kind);
		close(fd);
		return;
	}
	/* A ClientHello on a new port: a new pending association, which
	 * replaces one that may still be pending (the client gave up on it). */
	a = assoc_new(d, fd, true);
	if (a == NULL) {
		close(fd);
		return;
	}
	assoc_free(d->pend);
	d->pend = a;
	assoc_read(a, true);
	log_debug("DTLS: handshake from %s (new association)", a->peer);
	on_datagram(d, a, ds->datagram.data, ds->datagram.len, now);
	vpn_ev_timer_update(&w->timer);
}

/* --- the tunnel's use ---------------------------------------------------- */

/* Release d and all it holds: a half-made one (worker_dtls_prepare failed
 * part-way; the unset members are NULL) or a used one (cleanup). */
static void dtls_free(struct worker_dtls *d)
{
	assoc_free(d->pend);
	assoc_free(d->cur);
	if (d->prio != NULL)
		gnutls_priority_deinit(d->prio);
	if (d->cred != NULL)
		gnutls_psk_free_server_credentials(d->cred);
	explicit_bzero(d->psk, sizeof(d->psk));
	explicit_bzero(d->master, sizeof(d->master));
	free(d->dgram);
	free(d->pt);
	free(d);
}

/* The DTLS priority string: tls-priorities (its ciphers, MACs, curves and
 * %SERVER_PRECEDENCE apply as they do to TLS) restricted to DTLS 1.2 with
 * PSK, and with match-tls-dtls-ciphers to the cipher this tunnel's TLS
 * connection negotiated. 0, or -ENAMETOOLONG. */
static int dtls_priorities(const struct worker *w, char *buf, size_t len)
{
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(w->tls));
	int n;

	if (w->cfg.match_tls_dtls_ciphers && cipher != NULL)
		n = snprintf(buf, len, "%s" DTLS_PRIORITIES_SUFFIX ":-CIPHER-ALL:+%s",
			     w->cfg.tls_priorities, cipher);
	else
		n = snprintf(buf, len, "%s" DTLS_PRIORITIES_SUFFIX, w->cfg.tls_priorities);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* PSK-NEGOTIATE: this tunnel's key, exported from this very TLS connection
 * (doc/spec/interop.md §6.2, no context), the credentials and the priorities. */
static int prepare_psk(struct worker *w, struct worker_dtls *d)
{
	static const char label[] = WORKER_DTLS_PSK_LABEL;
	char prio[1280];
	const char *err_pos = NULL;
	int r;

	r = gnutls_prf_rfc5705(w->tls, sizeof(label) - 1, label, 0, NULL, sizeof(d->psk),
			       (char *)d->psk);
	if (r < 0)
		return r;
	r = gnutls_psk_allocate_server_credentials(&d->cred);
	if (r < 0)
		return r;
	gnutls_psk_set_server_credentials_function(d->cred, psk_cb);
	if (dtls_priorities(w, prio, sizeof(prio)) < 0)
		return GNUTLS_E_INVALID_REQUEST;
	r = gnutls_priority_init(&d->prio, prio, &err_pos);
	if (r < 0) {
		log_err("DTLS priorities \"%s\": %s at \"%s\"", prio, gnutls_strerror(r),
			err_pos != NULL ? err_pos : "");
		return r;
	}
	log_debug("DTLS priorities for %s: %s", w->remote_ip, prio);
	return 0;
}

/* Legacy resume: the client's secret and the suite's own priorities
 * (tls-priorities does not apply: the suite is the one the reply names). */
static int prepare_legacy(struct worker *w, struct worker_dtls *d, const struct dtls_choice *ch)
{
	int r;

	d->legacy = ch->cipher;
	memcpy(d->master, ch->master, sizeof(d->master));
	r = gnutls_priority_init(&d->prio, d->legacy->priority, NULL);
	if (r < 0)
		log_err("DTLS priorities \"%s\" of %s: %s", d->legacy->priority, d->legacy->name,
			gnutls_strerror(r));
	else
		log_debug("legacy DTLS for %s: %s (%s)", w->remote_ip, d->legacy->name,
			  gnutls_protocol_get_name(d->legacy->version));
	return r;
}

int worker_dtls_prepare(struct worker *w, unsigned port, const struct dtls_choice *ch)
{
	struct worker_dtls *d;
	int r;

	if (ch->mode == DTLS_MODE_NONE || (ch->mode == DTLS_MODE_LEGACY && ch->cipher == NULL))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->w = w;
	d->port = port;
	d->try_mtu = w->cfg.try_mtu_discovery;
	d->ipv6 = w->tcp_ipv6;
	d->last_raise_ms = VPN_NEVER;
	d->dgram = malloc(DGRAM_MAX);
	d->pt = malloc(PLAINTEXT_MAX);
	if (d->dgram == NULL || d->pt == NULL) {
		r = GNUTLS_E_MEMORY_ERROR;
		goto fail;
	}
	/* The App-ID, or the legacy X-DTLS-Session-ID: either way the
	 * session_id of the client's hellos, which main routes by. */
	r = gnutls_rnd(GNUTLS_RND_NONCE, d->app_id, sizeof(d->app_id));
	if (r < 0)
		goto fail;
	r = ch->mode == DTLS_MODE_PSK ? prepare_psk(w, d) : prepare_legacy(w, d, ch);
	if (r < 0)
		goto fail;
	w->dtls = d;
	return 0;
fail:
	log_err("DTLS setup for %s: %s: the tunnel runs without DTLS", w->remote_ip,
		gnutls_strerror(r));
	dtls_free(d);
	return -EIO;
}

unsigned worker_dtls_overhead(const struct worker *w)
{
	const struct worker_dtls *d = w->dtls;

	return d != NULL && d->legacy != NULL ? d->legacy->overhead : DTLS_OVERHEAD_AES_GCM;
}

const char *worker_dtls_legacy_name(const struct worker *w, bool *dtls12)
{
	const struct worker_dtls *d = w->dtls;

	if (d == NULL || d->legacy == NULL)
		return NULL;
	*dtls12 = d->legacy->dtls12_header;
	return d->legacy->name;
}

void worker_dtls_mode_text(const struct worker *w, char *buf, size_t len)
{
	const struct worker_dtls *d = w->dtls;
	const struct dtls_choice *ch = &w->conn.dtls;

	if (d != NULL && d->legacy != NULL)
		snprintf(buf, len, "legacy %s (%s%s)", d->legacy->name,
			 gnutls_protocol_get_name(d->legacy->version),
			 d->legacy->dtls12_header ? ", X-DTLS12-CipherSuite" : "");
	else if (d != NULL)
		snprintf(buf, len, "psk-negotiate");
	else if (ch->mode != DTLS_MODE_NONE)
		snprintf(buf, len, "off (no UDP port)");
	else if (ch->why == DTLS_WHY_NOT_OFFERED)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "off (%s)", dtls_choice_why_str(ch->why));
}

const uint8_t *worker_dtls_app_id(const struct worker *w)
{
	return w->dtls != NULL ? w->dtls->app_id : NULL;
}

void worker_dtls_start(struct worker *w, unsigned link_payload)
{
	struct worker_dtls *d = w->dtls;

	if (d == NULL)
		return;
	d->link_payload = link_payload;
	d->max_data_mtu = w->mtu.data;
	d->started = true;
}

bool worker_dtls_send_data(struct worker *w, uint8_t *pkt, size_t len, vpn_ms_t now)
{
	struct worker_dtls *d = w->dtls;
	struct assoc *a;
	enum vpn_chan path;
	int err;

	if (d == NULL || (a = d->cur) == NULL || !a->established)
		return false;
	path = vpn_tunnel_data_path(&w->t, now);
	if (vpn_tunnel_dtls_state(&w->t) == VPN_DTLS_UP && path != VPN_CHAN_DTLS && !d->switched) {
		d->switched = true;
		log_info("switch-to-tcp-timeout: no DTLS record from %s for %" PRIu64
			 " ms: data on CSTP until one arrives", a->peer,
			 now - vpn_tunnel_last_rx(&w->t, VPN_CHAN_DTLS));
	} else if (path == VPN_CHAN_DTLS && d->switched) {
		d->switched = false;
		log_info("DTLS record from %s: data back on DTLS", a->peer);
	}
	if (path != VPN_CHAN_DTLS || now < d->quiet_until_ms || len > d->data_mtu)
		return false;
	pkt[-1] = CSTP_DATA;
	err = send_record(a, pkt - 1, len + 1);
	if (err != 0) {
		d->fallbacks++;
		if (err == EMSGSIZE && d->try_mtu)
			path_mtu_refused(d, a, len, now);
		else if (d->fallbacks == 1 || log_get_level() >= LOG_LVL_DEBUG)
			log_info("DTLS send to %s: %s: packet sent over CSTP%s", a->peer,
				 strerror(err), log_get_level() >= LOG_LVL_DEBUG ? ""
									    : " (not logged again)");
		return false;
	}
	d->packets_out++;
	d->bytes_out += len;
	vpn_tunnel_on_tx(&w->t, VPN_CHAN_DTLS, VPN_FRAME_DATA, len, now);
	if (d->try_mtu && len == d->data_mtu)
		maybe_raise_mtu(d, a, now);
	return true;
}

void worker_dtls_send_probe(struct worker *w, vpn_ms_t now)
{
	struct worker_dtls *d = w->dtls;
	uint8_t payload[VPN_DPD_PAYLOAD_LEN];
	uint8_t rec[DTLS_HEADER_LEN + VPN_DPD_PAYLOAD_LEN];
	int len;

	if (d == NULL || d->cur == NULL)
		return;
	vpn_tunnel_probe_payload(&w->t, VPN_CHAN_DTLS, payload);
	len = dtls_encode_dpd_req(rec, sizeof(rec), payload, sizeof(payload));
	if (len < 0)
		return;
	log_debug("DTLS %s silent for %" PRIu64 " ms: sending DPD probe", d->cur->peer,
		  now - vpn_tunnel_last_rx(&w->t, VPN_CHAN_DTLS));
	(void)send_record(d->cur, rec, (size_t)len);
	vpn_tunnel_on_tx(&w->t, VPN_CHAN_DTLS, VPN_FRAME_DPD_REQ, sizeof(payload), now);
}

void worker_dtls_on_inactive(struct worker *w, const char *why, vpn_ms_t now)
{
	struct worker_dtls *d = w->dtls;
	vpn_ms_t last = vpn_tunnel_last_rx(&w->t, VPN_CHAN_DTLS);
	unsigned probes = vpn_tunnel_unanswered_probes(&w->t, VPN_CHAN_DTLS);

	if (d == NULL)
		return;
	log_info("DTLS inactive: reason=%s client=%s last DTLS rx %" PRIu64
		 " ms ago, %u DPD probe%s unanswered: data on CSTP, the tunnel stays up", why,
		 d->cur != NULL ? d->cur->peer : w->remote_ip,
		 last != VPN_NEVER && now >= last ? now - last : 0,
		 probes, probes == 1 ? "" : "s");
	send_status(d, 0);
}

void worker_dtls_stats(const struct worker *w, const struct vpn_tunnel_snapshot *sn,
		       TunnelStats *st, vpn_ms_t now)
{
	const struct worker_dtls *d = w->dtls;
	vpn_ms_t last = sn->last_rx_ms[VPN_CHAN_DTLS];

	if (d == NULL)
		return;
	st->has_dtls_state = true;
	st->dtls_state = (uint32_t)sn->dtls_state;
	if (last != VPN_NEVER && now >= last) {
		st->has_dtls_last_rx_age_ms = true;
		st->dtls_last_rx_age_ms = now - last;
	}
	st->has_dtls_dpd_probes_sent = st->has_dtls_dpd_probes_answered = true;
	st->dtls_dpd_probes_sent = sn->probes_sent[VPN_CHAN_DTLS];
	st->dtls_dpd_probes_answered = sn->probes_answered[VPN_CHAN_DTLS];
	st->has_dtls_bytes_in = st->has_dtls_bytes_out = true;
	st->has_dtls_packets_in = st->has_dtls_packets_out = true;
	st->dtls_bytes_in = d->bytes_in;
	st->dtls_bytes_out = d->bytes_out;
	st->dtls_packets_in = d->packets_in;
	st->dtls_packets_out = d->packets_out;
}

void worker_dtls_describe(const struct worker *w, char *buf, size_t len, vpn_ms_t now)
{
	const struct worker_dtls *d = w->dtls;
	vpn_ms_t last = vpn_tunnel_last_rx(&w->t, VPN_CHAN_DTLS);
	char ago[32];

	if (d == NULL) {
		snprintf(buf, len, "off");
		return;
	}
	if (last == VPN_NEVER || now < last)
		snprintf(ago, sizeof(ago), "never");
	else
		snprintf(ago, sizeof(ago), "%" PRIu64 " ms ago", now - last);
	snprintf(buf, len,
		 "%s (%" PRIu64 " handshake%s, %" PRIu64 " rebind%s, rx %" PRIu64 " pkts/%" PRIu64
		 " B, tx %" PRIu64 " pkts/%" PRIu64 " B, heard %s)",
		 vpn_dtls_state_str(vpn_tunnel_dtls_state(&w->t)), d->handshakes,
		 d->handshakes == 1 ? "" : "s", d->rebinds, d->rebinds == 1 ? "" : "s",
		 d->packets_in, d->bytes_in, d->packets_out, d->bytes_out, ago);
}

void worker_dtls_stop(struct worker *w)
{
	struct worker_dtls *d = w->dtls;

	if (d == NULL)
		return;
	d->started = false;
	if (d->pend != NULL) {
		assoc_read(d->pend, false);
		ev_timer_stop(w->loop, &d->pend->hs_timer);
	}
	if (d->cur != NULL) {
		assoc_read(d->cur, false);
		ev_timer_stop(w->loop, &d->cur->hs_timer);
	}
}

void worker_dtls_cleanup(struct worker *w)
{
	struct worker_dtls *d = w->dtls;

	if (d == NULL)
		return;
	dtls_free(d);
	w->dtls = NULL;
}
