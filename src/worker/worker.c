/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ocserv-modern-worker: the process, TLS, the send path and the close
 * sequence. See worker.h for the phases.
 *
 * Sending: every record goes through worker_send_record(). With nothing
 * pending it is handed to gnutls_record_send() at once; when that returns
 * GNUTLS_E_AGAIN, GnuTLS holds the encrypted record and must be called
 * again with the same data, so the plaintext becomes the head of the send
 * queue and later records queue behind it (sendq.h). The write watcher runs
 * only while the queue is not empty. Nothing here ever waits for the peer:
 * the liveness timer keeps running while a send is pending.
 *
 * GnuTLS writes its records into the transport's out buffer
 * (worker-tlsio.h), which goes to the socket in one send() before the loop
 * sleeps (tx_prepare_cb) or when it is full; GNUTLS_E_AGAIN then means
 * "out buffer full and the socket full too". A socket that takes only part
 * of the buffer counts as a blocked send like a GNUTLS_E_AGAIN.
 */
#include "config.h"

#include "worker/worker.h"
#include "worker/worker-key.h"
#include "worker/sandbox.h"
#include "worker/zygote.h"

#include "common/log.h"
#include "vpn/ev-adapter.h"
#include "codec/xmlauth.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

static void handshake_step(struct worker *w);
static void flush_queue(struct worker *w);
static void close_progress(struct worker *w);
static void read_again_if_buffered(struct worker *w);

/* --- helpers ------------------------------------------------------------- */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static int socket_type(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	return type;
}

/* Text form of the peer address; notes whether the TCP connection runs over
 * IPv6 proper (a v4-mapped address counts as IPv4: its packets carry an IPv4
 * header). */
static void peer_address(struct worker *w)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(w->remote_ip, sizeof(w->remote_ip), "unknown");
	if (getpeername(w->tcp_fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, w->remote_ip, sizeof(w->remote_ip));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], w->remote_ip,
				  sizeof(w->remote_ip));
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, w->remote_ip, sizeof(w->remote_ip));
			w->tcp_ipv6 = true;
		}
	}
}

static bool tls_would_block(ssize_t ret)
{
	return ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED;
}

/* A fatal TLS error on the connection: the tunnel (if any) is lost. */
static void tls_failed(struct worker *w, const char *what, int err)
{
	if (w->phase == W_CLOSING) {
		/* Nothing more can leave on TLS: stop lingering for it. */
		sendq_clear(&w->sq);
		tlsio_out_clear(&w->io);
		worker_close(w, false, w->exit_code);
		return;
	}
	if (w->tunnel_up) {
		log_info("TLS %s failed (%s): connection to %s lost", what, gnutls_strerror(err),
			 w->remote_ip);
		worker_tunnel_end(w, VPN_END_TUNNEL_LOST, vpn_now_ms());
		return;
	}
	log_info("TLS %s with %s failed: %s", what, w->remote_ip, gnutls_strerror(err));
	sendq_clear(&w->sq);
	tlsio_out_clear(&w->io);
	worker_close(w, false, 0);
}

/* --- sending ------------------------------------------------------------- */

/*
 * Send what the transport gathered. 0: all of it left; 1: the socket is
 * full, the write watcher runs and the tunnel counts as blocked (as for a
 * record GnuTLS could not send); -1: the connection failed (handled here).
 */
static int tx_flush(struct worker *w)
{
	int r = tlsio_flush(&w->io);

	if (r == 0)
		return 0;
	if (r > 0) {
		ev_io_start(w->loop, &w->tcp_w);
		if (w->tunnel_up)
			worker_tunnel_on_blocked(w, vpn_now_ms());
		return 1;
	}
	log_debug("sending to %s: %s", w->remote_ip, strerror(-r));
	tls_failed(w, "send", GNUTLS_E_PUSH_ERROR);
	return -1;
}

/* Before the loop sleeps: the records this iteration's callbacks made leave
 * in one send(). Nothing to do while the write watcher waits for room. */
static void tx_prepare_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct worker *w = p->data;

	if (!tlsio_out_pending(&w->io) || ev_is_active(&w->tcp_w))
		return;
	if (w->phase == W_CLOSING && !w->close_clean) {
		tlsio_out_clear(&w->io);
		return;
	}
	(void)tx_flush(w);
}

int worker_send_record(struct worker *w, enum sendq_class cls, const void *buf, size_t len)
{
	ssize_t ret;
	int r;

	if (w->phase == W_CLOSING || len == 0)
		return -EPIPE;
	if (!sendq_empty(&w->sq)) {
		r = sendq_push(&w->sq, cls, buf, len);
		return r == 0 ? 0 : -ENOBUFS;
	}
	ret = gnutls_record_send(w->tls, buf, len);
	if (ret == (ssize_t)len)
		return 0;
	if (tls_would_block(ret)) {
		/* GnuTLS keeps the encrypted record; the same plaintext must be
		 * offered again, so it becomes the pending head whatever its
		 * class (the queue is empty: it always fits). */
		r = sendq_push(&w->sq, SENDQ_CONTROL, buf, len);
		if (r < 0) {
			log_err("cannot keep a pending TLS record: %s", strerror(-r));
			tls_failed(w, "send", GNUTLS_E_MEMORY_ERROR);
			return -EPIPE;
		}
		ev_io_start(w->loop, &w->tcp_w);
		if (w->tunnel_up)
			worker_tunnel_on_blocked(w, vpn_now_ms());
		return 0;
	}
	if (ret >= 0) {
		/* Only a record over the negotiated maximum is cut: a bug here. */
		log_err("TLS sent %zd of %zu bytes: record too large", ret, len);
		tls_failed(w, "send", GNUTLS_E_INTERNAL_ERROR);
		return -EPIPE;
	}
	tls_failed(w, "send", (int)ret);
	return -EPIPE;
}

int worker_send_http(struct worker *w, const char *buf, size_t len)
{
	size_t max = gnutls_record_get_max_size(w->tls);

	if (max == 0 || max > 16384)
		max = 16384;
	while (len > 0) {
		size_t n = len > max ? max : len;
		int r = worker_send_record(w, SENDQ_CONTROL, buf, n);

		if (r < 0)
			return r;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Retry the pending head, then the rest, until GnuTLS would block again. */
static void flush_queue(struct worker *w)
{
	const uint8_t *p;
	size_t len;
	bool popped = false;

	while (sendq_peek(&w->sq, &p, &len)) {
		ssize_t ret = gnutls_record_send(w->tls, p, len);

		if (ret == (ssize_t)len) {
			sendq_pop(&w->sq);
			popped = true;
			continue;
		}
		if (tls_would_block(ret)) {
			if (popped && w->tunnel_up)
				worker_tunnel_on_room(w);
			return;
		}
		tls_failed(w, "send", ret < 0 ? (int)ret : GNUTLS_E_INTERNAL_ERROR);
		return;
	}
	/* the queue went into the out buffer: drained once that left too */
	if (tx_flush(w) != 0)
		return;
	ev_io_stop(w->loop, &w->tcp_w);
	if (w->phase == W_CLOSING) {
		close_progress(w);
		return;
	}
	if (w->tunnel_up)
		worker_tunnel_on_drained(w, vpn_now_ms());
}

/* --- IPC ----------------------------------------------------------------- */

int worker_ipc_send(struct worker *w, enum ipc_type type, const ProtobufCMessage *msg)
{
	bool was_empty = ipc_outq_empty(&w->ipcq);
	int r = ipc_outq_send(&w->ipcq, w->ipc_fd, type, msg);

	if (r < 0) {
		log_err("sending %s to main: %s", ipc_type_str(type), ipc_strerror(r));
		return r;
	}
	if (was_empty && !ipc_outq_empty(&w->ipcq)) {
		/* main is busy: no waiting here, the loop sends the rest */
		log_debug("main is busy: %s waits for room on the IPC socket", ipc_type_str(type));
		ev_io_start(w->loop, &w->ipc_w);
	}
	return 0;
}

int worker_ipc_send_replaceable(struct worker *w, enum ipc_type type,
				const ProtobufCMessage *msg)
{
	/* never ahead of what waits, never queued */
	if (!ipc_outq_empty(&w->ipcq))
		return -EAGAIN;
	return ipc_send(w->ipc_fd, type, msg, -1);
}

static void main_gone(struct worker *w);

/* main's socket has room: what waits goes, oldest first. */
static void ipc_w_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	int n = ipc_outq_flush(&w->ipcq, w->ipc_fd);

	if (n < 0) {
		log_err("sending %zu queued message(s) to main: %s", w->ipcq.count,
			ipc_strerror(n));
		ipc_outq_clear(&w->ipcq);
	}
	if (!ipc_outq_empty(&w->ipcq))
		return;
	ev_io_stop(loop, io);
	if (w->phase == W_CLOSING)
		close_progress(w);
	else if (n < 0)
		main_gone(w);
}

/* Why the tunnel ends when the server stops under it (main gone, SIGTERM):
 * with a session store the session outlives the daemon, so the client is
 * not told; it reconnects and resumes once the daemon is back
 * (doc/session-store.md). Without one the session ends and the client is
 * told (TERMINATE). */
static enum vpn_end_reason stop_reason(const struct worker *w)
{
	return config_session_store(&w->cfg) != NULL ? VPN_END_SERVER_RESTART
						     : VPN_END_SERVER_SHUTDOWN;
}

/* main is gone or broke the protocol: nobody can attach us any more. */
static void main_gone(struct worker *w)
{
	if (w->tunnel_up) {
		worker_tunnel_end(w, stop_reason(w), vpn_now_ms());
		return;
	}
	worker_close(w, false, 1);
}

static void on_terminate(struct worker *w, uint32_t reason, const char *text)
{
	enum vpn_end_reason r = reason < VPN_END_REASON_COUNT && reason != VPN_END_NONE
				? (enum vpn_end_reason)reason : VPN_END_SERVER_SHUTDOWN;

	/* main's own text for the goodbye (printable, bounded: it goes on the wire) */
	w->bye_text[0] = '\0';
	if (text != NULL && strlen(text) < sizeof(w->bye_text) && !log_text_suspect(text))
		snprintf(w->bye_text, sizeof(w->bye_text), "%s", text);
	if (w->tunnel_up) {
		log_debug("main asks to end the tunnel: %s", vpn_end_reason_str(r));
		worker_tunnel_end(w, r, vpn_now_ms());
		return;
	}
	log_info("main asks to close the connection from %s before its tunnel is up (%s)",
		 w->remote_ip, vpn_end_reason_str(r));
	worker_close(w, false, 0);
}

static void ipc_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;

	while (w->phase != W_CLOSING) {
		struct ipc_msg m;
		int r = ipc_recv(w->ipc_fd, &m);

		if (r == -EAGAIN)
			return;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			if (r == IPC_E_EOF)
				log_info("main closed the IPC socket");
			else
				log_err("message from main: %s", ipc_strerror(r));
			main_gone(w);
			return;
		}
		switch (m.type) {
		case IPC_AUTH_REPLY:
			if (w->phase == W_WAIT_AUTH)
				worker_http_on_auth_reply(w, &m);
			else
				log_warn("unexpected %s from main: ignored", ipc_type_str(m.type));
			break;
		case IPC_SESSION_OPEN_REPLY:
			if (w->phase == W_WAIT_SESSION)
				worker_http_on_session_reply(w, &m);
			else
				log_warn("unexpected %s from main: ignored", ipc_type_str(m.type));
			break;
		case IPC_TERMINATE:
			on_terminate(w, m.terminate->reason, m.terminate->text);
			break;
		case IPC_DTLS_SOCKET:
			worker_dtls_on_socket(w, &m);
			break;
		case IPC_TUNNEL_STATS_REQUEST:
			worker_tunnel_stats_request(w, m.tunnel_stats_request->request_id);
			break;
		case IPC_PROBE:
			worker_tunnel_probe(w, m.probe);
			break;
		default:
			log_warn("unexpected %s from main: ignored", ipc_type_str(m.type));
			break;
		}
		ipc_msg_free(&m);
	}
}

/* --- reading TLS --------------------------------------------------------- */

void worker_tcp_read_enable(struct worker *w, bool on)
{
	if (!on) {
		ev_io_stop(w->loop, &w->tcp_r);
		return;
	}
	ev_io_start(w->loop, &w->tcp_r);
	read_again_if_buffered(w);
}

/* GnuTLS may hold decrypted bytes, and the transport bytes read from the
 * socket, that the socket will not signal again. */
static void read_again_if_buffered(struct worker *w)
{
	if (!ev_is_active(&w->tcp_r))
		return;
	if (tlsio_in_pending(&w->io) || gnutls_record_check_pending(w->tls) > 0)
		ev_feed_event(w->loop, &w->tcp_r, EV_READ);
}

static void tls_eof(struct worker *w, bool clean)
{
	if (w->tunnel_up) {
		log_info("client %s closed the TLS connection%s", w->remote_ip,
			 clean ? "" : " without close_notify");
		worker_tunnel_end(w, VPN_END_TUNNEL_LOST, vpn_now_ms());
		return;
	}
	log_debug("client %s closed the connection", w->remote_ip);
	worker_close(w, false, 0);
}

static void tls_read(struct worker *w)
{
	vpn_ms_t now = w->tunnel_up ? vpn_now_ms() : 0;

	for (int i = 0; i < WORKER_RX_BATCH; i++) {
		ssize_t n = gnutls_record_recv(w->tls, w->rxbuf, WORKER_RECORD_MAX);

		if (n > 0) {
			if (w->phase == W_TUNNEL)
				worker_tunnel_rx(w, w->rxbuf, (size_t)n, now);
			else if (w->phase == W_HTTP)
				worker_http_input(w, w->rxbuf, (size_t)n);
			/* The record may have changed the phase or paused reading. */
			if (w->phase == W_CLOSING || !ev_is_active(&w->tcp_r))
				return;
			continue;
		}
		if (n == 0) {
			tls_eof(w, true);
			return;
		}
		if (tls_would_block(n))
			return;
		if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			tls_eof(w, false);
			return;
		}
		if (n == GNUTLS_E_REHANDSHAKE) {
			/* We advertise new-tunnel rekeying; TLS 1.2 renegotiation
			 * is refused with a warning alert and the tunnel goes on. */
			log_info("client %s asked for TLS renegotiation: refused", w->remote_ip);
			(void)gnutls_alert_send(w->tls, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
			continue;
		}
		if (!gnutls_error_is_fatal((int)n)) {
			log_debug("TLS receive from %s: %s", w->remote_ip, gnutls_strerror((int)n));
			continue;
		}
		tls_failed(w, "receive", (int)n);
		return;
	}
	/* Batch used up: let the other watchers run, then come back; the
	 * socket signals again by itself unless GnuTLS or the transport holds
	 * the bytes. */
	read_again_if_buffered(w);
}

static void tcp_r_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;

	if (w->phase == W_HANDSHAKE)
		handshake_step(w);
	else if (w->phase != W_CLOSING)
		tls_read(w);
}

static void tcp_w_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;

	/* what the transport holds is older than anything queued */
	if (tx_flush(w) != 0)
		return;
	if (w->phase == W_HANDSHAKE) {
		handshake_step(w);
		return;
	}
	flush_queue(w);
}

/* --- TLS handshake ------------------------------------------------------- */

static void handshake_step(struct worker *w)
{
	int ret;

	for (;;) {
		ret = gnutls_handshake(w->tls);
		if (ret == GNUTLS_E_SUCCESS)
			break;
		if (tls_would_block(ret)) {
			/* Wait for whichever direction GnuTLS is stuck on. */
			if (gnutls_record_get_direction(w->tls) == 1)
				ev_io_start(w->loop, &w->tcp_w);
			else
				ev_io_stop(w->loop, &w->tcp_w);
			return;
		}
		if (gnutls_error_is_fatal(ret)) {
			tls_failed(w, "handshake", ret);
			return;
		}
		log_debug("TLS handshake with %s: %s", w->remote_ip, gnutls_strerror(ret));
	}
	ev_io_stop(w->loop, &w->tcp_w);
	/* before the first byte of HTTP: no more private-key operations */
	worker_key_close();
	if (log_get_level() >= LOG_LVL_DEBUG) {
		char *desc = gnutls_session_get_desc(w->tls);

		log_debug("TLS up with %s: %s", w->remote_ip, desc != NULL ? desc : "?");
		gnutls_free(desc);
	}
	w->phase = W_HTTP;
	worker_http_start(w);
	/* the request may have come in the same read as the handshake's end */
	if (w->phase == W_HTTP)
		read_again_if_buffered(w);
}

/* What every connection's TLS shares: the certificate chain (the key stays
 * in sec-mod: its operations go over the key channel, fd WORKER_KEY_FD once
 * the connection's sockets are in place) and the parsed priorities. */
static int tls_load(struct worker *w, bool zygote)
{
	const char *prio = w->cfg.tls_priorities;	/* checked at load */
	const char *err_pos = NULL;
	int ret;

	if (worker_key_creds(&w->creds, w->cfg.server_cert, WORKER_KEY_FD, !zygote) < 0)
		return -1;
	ret = gnutls_priority_init(&w->prio, prio, &err_pos);
	if (ret < 0) {
		log_err("tls-priorities \"%s\": %s at \"%s\"", prio, gnutls_strerror(ret),
			err_pos != NULL ? err_pos : "");
		return -1;
	}
	return 0;
}

/* The connection's own TLS session on the loaded credentials. */
static int tls_session(struct worker *w)
{
	int ret;

	ret = gnutls_init(&w->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (ret < 0)
		goto fail;
	ret = gnutls_priority_set(w->tls, w->prio);
	if (ret < 0)
		goto fail;
	ret = gnutls_credentials_set(w->tls, GNUTLS_CRD_CERTIFICATE, w->creds);
	if (ret < 0)
		goto fail;
	/* auth = certificate, enable-auth = certificate: ask for the client's
	 * certificate; a client without one still gets through the handshake
	 * (its login is refused with a reason, or goes the password way). The
	 * handshake proves the client holds the key; sec-mod checks the rest. */
	gnutls_certificate_server_set_request(w->tls, w->cfg.auth_certificate ||
							      w->cfg.enable_auth_certificate
							      ? GNUTLS_CERT_REQUEST
							      : GNUTLS_CERT_IGNORE);
	if (tlsio_init(&w->io, w->tcp_fd) < 0) {
		ret = GNUTLS_E_MEMORY_ERROR;
		goto fail;
	}
	tlsio_attach(&w->io, w->tls);
	return 0;
fail:
	log_err("TLS setup: %s", gnutls_strerror(ret));
	return -1;
}

/* --- closing ------------------------------------------------------------- */

static void finish_close(struct worker *w)
{
	ev_timer_stop(w->loop, &w->linger_timer);
	ev_io_stop(w->loop, &w->tcp_w);
	ev_io_stop(w->loop, &w->ipc_w);
	/* One non-blocking attempt at close_notify: never wait for the peer. */
	if (w->close_clean && w->tls != NULL && sendq_empty(&w->sq) &&
	    !tlsio_out_pending(&w->io)) {
		(void)gnutls_bye(w->tls, GNUTLS_SHUT_WR);
		(void)tlsio_flush(&w->io);
	}
	ev_break(w->loop, EVBREAK_ALL);
}

/* What the close sequence still waits for: the TLS records it flushes, and
 * the messages for main (TunnelDown above all). */
static bool close_pending(const struct worker *w)
{
	return (w->close_clean && (!sendq_empty(&w->sq) || tlsio_out_pending(&w->io))) ||
	       !ipc_outq_empty(&w->ipcq);
}

/* Something left: exit once nothing is pending. */
static void close_progress(struct worker *w)
{
	if (!close_pending(w))
		finish_close(w);
}

static void linger_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	if (w->close_clean && (!sendq_empty(&w->sq) || tlsio_out_pending(&w->io)))
		log_debug("%zu record(s) and %zu bytes for %s still unsent after %d ms: "
			  "closing anyway", w->sq.count, w->io.out_end - w->io.out_off,
			  w->remote_ip, WORKER_LINGER_MS);
	if (!ipc_outq_empty(&w->ipcq))
		log_err("%zu message(s) for main still unsent after %d ms: dropped",
			w->ipcq.count, WORKER_LINGER_MS);
	w->close_clean = false;
	finish_close(w);
}

void worker_close(struct worker *w, bool flush, int exit_code)
{
	if (w->phase == W_CLOSING) {
		if (!flush) {
			w->close_clean = false;
			tlsio_out_clear(&w->io);
			ev_io_stop(w->loop, &w->tcp_w);
			close_progress(w);
		}
		return;
	}
	w->phase = W_CLOSING;
	w->exit_code = exit_code;
	w->close_clean = flush;
	ev_io_stop(w->loop, &w->tcp_r);
	ev_io_stop(w->loop, &w->tun_r);
	ev_io_stop(w->loop, &w->ipc_r);
	ev_timer_stop(w->loop, &w->auth_timer);
	ev_timer_stop(w->loop, &w->stats_timer);
	ev_prepare_stop(w->loop, &w->stats_check);
	if (!flush)
		tlsio_out_clear(&w->io);
	else if (!sendq_empty(&w->sq) || tlsio_out_pending(&w->io))
		ev_io_start(w->loop, &w->tcp_w);
	if (close_pending(w)) {
		ev_timer_set(&w->linger_timer, WORKER_LINGER_MS / 1000.0, 0.0);
		ev_timer_start(w->loop, &w->linger_timer);
		return;
	}
	finish_close(w);
}

/* --- timers and signals -------------------------------------------------- */

/* The first deadline: handshake-timeout, unless auth-timeout is sooner. */
static double first_deadline_s(const struct worker *w)
{
	return (double)(w->cfg.handshake_timeout_s < w->cfg.auth_timeout_s
				? w->cfg.handshake_timeout_s : w->cfg.auth_timeout_s);
}

void worker_first_request(struct worker *w)
{
	double left = (double)w->cfg.auth_timeout_s - (ev_now(w->loop) - w->auth_started);

	/* in time: what remains of auth-timeout from now on */
	ev_timer_stop(w->loop, &w->auth_timer);
	ev_timer_set(&w->auth_timer, left > 0 ? left : 0.0, 0.0);
	ev_timer_start(w->loop, &w->auth_timer);
}

static void auth_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	if (w->tunnel_up)
		return;
	if (w->requests == 0 && w->cfg.handshake_timeout_s < w->cfg.auth_timeout_s) {
		log_info("handshake-timeout (%u s): %s sent no complete request; closing",
			 w->cfg.handshake_timeout_s, w->remote_ip);
		worker_close(w, false, 0);
		return;
	}
	log_info("auth-timeout (%u s): %s did not complete login and CONNECT; closing",
		 w->cfg.auth_timeout_s, w->remote_ip);
	worker_close(w, false, 0);
}

static void signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct worker *w = s->data;

	log_debug("signal %d", s->signum);
	on_terminate(w, stop_reason(w), NULL);
}

/* --- process ------------------------------------------------------------- */

static int parse_level(const char *s, enum log_level *out)
{
	static const char *const names[] = { "err", "warn", "info", "debug", "trace" };
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0)
		return -1;
	*out = v > LOG_LVL_TRACE ? LOG_LVL_TRACE : (enum log_level)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ocserv-modern-worker -c CONFIG [-d LEVEL] [-a ADDRESS]\n"
		   "       ocserv-modern-worker -Z -c CONFIG [-d LEVEL]\n"
		   "  started by ocserv-modern with the client's TCP socket as fd %d,\n"
		   "  the IPC socket as fd %d and the key channel to sec-mod as fd %d;\n"
		   "  LEVEL is 0-4 or err|warn|info|debug|trace; ADDRESS: the client's\n"
		   "  address when the TCP peer is a front (listen-proxy-proto);\n"
		   "  -Z: the worker zygote (worker-zygote), its socket to main as fd %d\n",
		WORKER_TCP_FD, WORKER_IPC_FD, WORKER_KEY_FD, ZYGOTE_CTL_FD);
}

static void warn_cb(void *opaque, unsigned line, const char *key, const char *msg)
{
	/* main already showed the configuration warnings once. */
	log_debug("%s", msg);
}

static int check_fds(struct worker *w)
{
	int t = socket_type(w->tcp_fd);

	if (t != SOCK_STREAM) {
		log_err("fd %d is not the client's TCP socket (%s)", w->tcp_fd,
			t < 0 ? strerror(-t) : "wrong socket type");
		return -1;
	}
	t = socket_type(w->ipc_fd);
	if (t != SOCK_SEQPACKET) {
		log_err("fd %d is not the IPC socket (%s)", w->ipc_fd,
			t < 0 ? strerror(-t) : "wrong socket type");
		return -1;
	}
	t = socket_type(WORKER_KEY_FD);
	if (t != SOCK_SEQPACKET) {
		log_err("fd %d is not the key channel to sec-mod (%s)", WORKER_KEY_FD,
			t < 0 ? strerror(-t) : "wrong socket type");
		return -1;
	}
	if (set_nonblock_cloexec(w->tcp_fd) < 0 || set_nonblock_cloexec(w->ipc_fd) < 0 ||
	    set_nonblock_cloexec(WORKER_KEY_FD) < 0) {
		log_err("fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void worker_free(struct worker *w)
{
	worker_tunnel_cleanup(w);
	sendq_clear(&w->sq);
	ipc_outq_clear(&w->ipcq);
	if (w->tls != NULL)
		gnutls_deinit(w->tls);
	tlsio_free(&w->io);
	if (w->prio != NULL)
		gnutls_priority_deinit(w->prio);
	if (w->creds != NULL)
		gnutls_certificate_free_credentials(w->creds);
	worker_key_close();
	if (w->tcp_fd >= 0)
		close(w->tcp_fd);
	if (w->ipc_fd >= 0)
		close(w->ipc_fd);
	config_free(&w->cfg);
	free(w->http);
	free(w->http_pending);
	free(w->xml);
	free(w->rxbuf);
	free(w->txbuf);
	worker_profile_free(&w->profile);
	free(w);
}

/* The command line: -c CONFIG [-d LEVEL] [-a ADDRESS] [-Z]. Returns -1 to
 * go on with *cfg_path (and *client when given, *zygote) set, else the exit
 * code (after usage() where it applies). */
static int parse_args(int argc, char **argv, const char **cfg_path, const char **client,
		      bool *zygote)
{
	enum log_level level = LOG_LVL_INFO;
	struct in6_addr ignored;
	int opt;

	while ((opt = getopt(argc, argv, "a:c:d:hZ")) != -1) {
		switch (opt) {
		case 'Z':
			*zygote = true;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &ignored) != 1 &&
			    inet_pton(AF_INET6, optarg, &ignored) != 1) {
				fprintf(stderr, "ocserv-modern-worker: bad -a address '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			*client = optarg;
			break;
		case 'c':
			*cfg_path = optarg;
			break;
		case 'd':
			if (parse_level(optarg, &level) < 0) {
				fprintf(stderr, "ocserv-modern-worker: bad -d level '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			log_set_level(level);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (*cfg_path == NULL || optind != argc || (*zygote && *client != NULL)) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* A worker's state with its buffers, its configuration and what its TLS
 * shares with every connection (tls_load): all that does not depend on the
 * connection, so the zygote (zygote.h) prepares it once (zygote: true; no
 * key channel, so GnuTLS's key-certificate check is skipped). No socket
 * yet. NULL after logging why not. */
struct worker *worker_prepare(const char *cfg_path, bool zygote)
{
	struct config_diag diag = { .warn = warn_cb };
	struct worker *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return NULL;
	w->tcp_fd = -1;
	w->ipc_fd = -1;
	w->tun_fd = -1;
	sendq_init(&w->sq, SENDQ_DEFAULT_DATA_LIMIT, SENDQ_DEFAULT_CONTROL_RESERVE);
	ipc_outq_init(&w->ipcq, WORKER_IPC_QUEUE_MAX);
	w->http = malloc(sizeof(*w->http));
	w->xml = malloc(sizeof(*w->xml));
	w->rxbuf = malloc(WORKER_RECORD_MAX);
	w->txbuf = malloc(CSTP_HDR + CSTP_MTU_MAX);
	if (w->http == NULL || w->xml == NULL || w->rxbuf == NULL || w->txbuf == NULL) {
		log_err("out of memory");
		goto fail;
	}
	rc = config_load(cfg_path, &w->cfg, &diag);
	if (rc < 0) {
		log_err("%s", diag.msg[0] != '\0' ? diag.msg : strerror(-rc));
		goto fail;
	}
	if (w->cfg.user_profile != NULL) {
		char err[PATH_MAX + 128];

		if (worker_profile_load(w->cfg.user_profile, &w->profile, err, sizeof(err)) < 0)
			log_err("%s: not offered to clients", err);
	}
	if (tls_load(w, zygote) < 0)
		goto fail;
	return w;
fail:
	worker_free(w);
	return NULL;
}

/* The connection on fds 3, 4 and 5 (checked first: not ours to close
 * before), its peer's address (client: the one main read from a PROXY
 * header, or NULL) and its TLS session. 0, or -1 after logging why. */
static int worker_attach(struct worker *w, const char *client)
{
	int one = 1;

	w->tcp_fd = WORKER_TCP_FD;
	w->ipc_fd = WORKER_IPC_FD;
	if (check_fds(w) < 0) {
		w->tcp_fd = w->ipc_fd = -1;
		return -1;
	}
	peer_address(w);
	if (client != NULL) /* the TCP peer is the front: main read the client's address */
		snprintf(w->remote_ip, sizeof(w->remote_ip), "%s", client);
	if (setsockopt(w->tcp_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_warn("TCP_NODELAY: %s", strerror(errno));
	return tls_session(w);
}

/* The loop and every watcher of the connection; the TLS reader, main's
 * socket, the auth timeout and the signals start now. */
static int loop_setup(struct worker *w)
{
	w->loop = ev_default_loop(EVFLAG_AUTO);
	if (w->loop == NULL) {
		log_err("cannot initialise libev");
		return -1;
	}
	ev_io_init(&w->tcp_r, tcp_r_cb, w->tcp_fd, EV_READ);
	ev_io_init(&w->tcp_w, tcp_w_cb, w->tcp_fd, EV_WRITE);
	ev_io_init(&w->ipc_r, ipc_cb, w->ipc_fd, EV_READ);
	ev_io_init(&w->ipc_w, ipc_w_cb, w->ipc_fd, EV_WRITE);
	ev_timer_init(&w->auth_timer, auth_timeout_cb, first_deadline_s(w), 0.0);
	w->auth_started = ev_now(w->loop);
	ev_timer_init(&w->linger_timer, linger_cb, WORKER_LINGER_MS / 1000.0, 0.0);
	ev_signal_init(&w->sig_term, signal_cb, SIGTERM);
	ev_signal_init(&w->sig_int, signal_cb, SIGINT);
	ev_prepare_init(&w->tx_prepare, tx_prepare_cb);
	w->tx_prepare.data = w;
	w->tcp_r.data = w->tcp_w.data = w->ipc_r.data = w->ipc_w.data = w;
	w->auth_timer.data = w->linger_timer.data = w;
	w->sig_term.data = w->sig_int.data = w;
	ev_io_start(w->loop, &w->tcp_r);
	ev_io_start(w->loop, &w->ipc_r);
	ev_timer_start(w->loop, &w->auth_timer);
	ev_signal_start(w->loop, &w->sig_term);
	ev_signal_start(w->loop, &w->sig_int);
	/* never stopped; it alone does not keep the loop running */
	ev_prepare_start(w->loop, &w->tx_prepare);
	ev_unref(w->loop);
	return 0;
}

int worker_serve(struct worker *w, const char *client)
{
	int rc;

	if (worker_attach(w, client) < 0) {
		worker_free(w);
		return 1;
	}
	/* once everything is loaded: confine the worker before the first
	 * client byte */
	if (loop_setup(w) < 0 || sandbox_apply(w->cfg.isolate_workers, w->ipc_fd) < 0) {
		worker_free(w);
		return 1;
	}
	log_debug("connection from %s", w->remote_ip);
	w->phase = W_HANDSHAKE;
	handshake_step(w);
	if (w->phase != W_CLOSING || ev_is_active(&w->linger_timer))
		ev_run(w->loop, 0);

	rc = w->exit_code;
	worker_free(w);
	return rc;
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL, *client = NULL;
	bool zygote = false;
	struct worker *w;
	int rc;

	log_init("ocserv-modern-worker", LOG_LVL_INFO);
	rc = parse_args(argc, argv, &cfg_path, &client, &zygote);
	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	if (zygote)
		return zygote_run(cfg_path);

	w = worker_prepare(cfg_path, false);
	if (w == NULL)
		return 1;
	return worker_serve(w, client);
}
