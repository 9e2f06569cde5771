/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_H
#define OCSM_WORKER_H

/*
 * ocserv-modern-worker: one process per TCP connection (doc/spec/architecture.md).
 *
 *   main --fork+exec--> worker -c FILE -d LEVEL
 *                       fd 3: the accepted TCP socket
 *                       fd 4: the IPC socket to main (SOCK_SEQPACKET)
 *                       fd 5: the key channel to sec-mod (worker-key.h)
 *
 * Phases, all driven by one libev loop, nothing ever blocks on the peer:
 *
 *   HANDSHAKE --> HTTP <--> WAIT_AUTH             (login: auth-request form,
 *                  |                               AuthRequest to main, cookie)
 *                  +-----> WAIT_SESSION --> TUNNEL (CONNECT: SessionOpen,
 *                                              |    tun fd, 200 CONNECTED)
 *   any phase ------------------------------> CLOSING --> exit
 *
 * worker.c owns the process, TLS, the send path, the IPC to main and the
 * close sequence; worker-http.c the HTTP dialogue (login and CONNECT);
 * worker-tunnel.c the tunnel's start, the CSTP data path and the liveness
 * engine; worker-dtls.c the DTLS channel (worker-dtls.h); worker-key.c the
 * TLS private-key operations done by sec-mod (worker-key.h). The pure helpers
 * are worker-connect.c (CONNECT reply, MTU) and worker-reply.c (HTTP
 * answers); from src/common, sendq.c (bounded send queue), ipc.c (messages
 * to main and their outgoing queue) and tun.c (the tun device's MTU).
 */

#include <ev.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "codec/http.h"
#include "common/ipc.h"
#include "common/ports.h"
#include "common/ratelimit.h"
#include "common/sendq.h"
#include "vpn/ev-adapter.h"
#include "vpn/tunnel.h"
#include "worker/worker-connect.h"
#include "worker/worker-dtls.h"
#include "worker/worker-profile.h"
#include "worker/worker-tlsio.h"
#include "codec/dtls-legacy.h"

#define WORKER_TCP_FD 3
#define WORKER_IPC_FD 4

/* HTTP requests served on one TCP connection (as ocserv, doc/spec/interop.md §1.1). */
#define WORKER_MAX_REQUESTS 16
/* How long the close sequence may wait for the last records (DISCONNECT,
 * TERMINATE, a 401) to leave before the socket is closed anyway. */
#define WORKER_LINGER_MS 2000
/* Records read per TCP readiness callback before yielding to the loop. */
#define WORKER_RX_BATCH 64
/* Packets read from tun per callback before yielding to the loop. */
#define WORKER_TUN_BATCH 64
/* Largest TLS record plaintext we read in one call (2^14 + slack). */
#define WORKER_RECORD_MAX (16384u + 256u)
/* Messages to main that its full IPC socket could not take yet wait in a
 * queue of at most this many bytes (nothing in the worker waits for main). */
#define WORKER_IPC_QUEUE_MAX (256u * 1024u)
/* A TunnelStats goes to main at most this long after the first change of
 * the tunnel's counters since the previous one; an idle tunnel sends none
 * (worker-tunnel.c, "statistics"). */
#define WORKER_STATS_INTERVAL_S 10.0

enum worker_phase {
	W_HANDSHAKE = 0,	/* TLS handshake in progress */
	W_HTTP,			/* reading an HTTP request */
	W_WAIT_AUTH,		/* AuthRequest sent, waiting for AuthReply */
	W_WAIT_SESSION,		/* SessionOpenRequest sent, waiting for the reply */
	W_TUNNEL,		/* CSTP tunnel up */
	W_CLOSING,		/* flushing the last records, then exit */
};

/* What the CONNECT request said, kept until the session reply arrives. */
struct worker_connect_req {
	bool mobile;			/* X-AnyConnect-Identifier-Platform: android or apple-ios */
	unsigned client_base_mtu;	/* X-CSTP-Base-MTU; 0 = not sent */
	char hostname[256];		/* X-CSTP-Hostname; "" = not sent */
	char requested_ipv4[INET_ADDRSTRLEN]; /* X-CSTP-Address hint; "" = none */
	char requested_ipv6[INET6_ADDRSTRLEN]; /* the IPv6 one; "" = none */
	bool no_ipv6;			/* X-CSTP-Address-Type without IPv6 (--disable-ipv6) */
	bool full_ipv6;			/* X-CSTP-Full-IPv6-Capability: true */
	struct dtls_choice dtls;	/* the DTLS mode from the X-DTLS-* headers (its
					 * master secret is wiped once the tunnel has it) */
};

struct worker {
	struct ev_loop *loop;
	struct config cfg;
	enum worker_phase phase;
	int exit_code;

	int tcp_fd;
	int ipc_fd;
	int tun_fd;			/* -1 until the session reply */
	char remote_ip[INET6_ADDRSTRLEN];
	bool tcp_ipv6;			/* TCP connection over IPv6 (not v4-mapped) */

	gnutls_session_t tls;
	struct tlsio io;		/* the TLS session's buffered transport */
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t prio;

	ev_io tcp_r;			/* TLS readable */
	ev_io tcp_w;			/* TLS writable: only while a record is pending
					 * or the socket took part of io's out buffer */
	ev_prepare tx_prepare;		/* before the loop sleeps: io's out buffer is sent */
	ev_io ipc_r;			/* a message from main */
	ev_io ipc_w;			/* main's socket writable: only while ipcq waits */
	ev_io tun_r;			/* an IP packet for the client */
	ev_timer auth_timer;		/* handshake-timeout until the first request,
					 * then auth-timeout: login + CONNECT must finish */
	ev_tstamp auth_started;		/* when auth_timer was first started */
	ev_timer linger_timer;		/* bounds the close sequence */
	ev_timer stats_timer;		/* one-shot: the next TunnelStats */
	ev_prepare stats_check;		/* per loop iteration: counters changed? */
	uint64_t stats_sent;		/* activity the last TunnelStats carried */
	ev_timer probe_timer;		/* main's Probe: the grace after our DPD request */
	ev_signal sig_term;
	ev_signal sig_int;

	struct sendq sq;		/* records waiting for the TLS socket */
	struct ipc_outq ipcq;		/* messages waiting for main's socket */
	bool handshake_wants_write;	/* gnutls_handshake blocked on write */
	bool tun_paused;		/* tun reading stopped: send queue full */
	bool close_clean;		/* closing: send close_notify once flushed */

	/* HTTP */
	struct http_parser *http;
	struct xmlauth *xml;		/* the parsed login body */
	/* a login with a further form shown: its token (from main, never
	 * sent to the client) and the first form's user name; "" otherwise */
	char login_token[64];
	char login_user[IPC_USERNAME_MAX + 1];
	uint8_t *http_pending;		/* start of a pipelined request, kept while */
	size_t http_pending_len;	/* the current one waits for main */
	unsigned requests;		/* requests answered on this connection */
	bool close_after_reply;		/* Connection: close or request limit */
	struct worker_connect_req conn;
	struct worker_profile profile;	/* user-profile; data NULL: none offered */

	/* tunnel */
	bool tunnel_up;
	char bye_text[96];		/* main's text for the goodbye; "": the reason's */
	struct vpn_tunnel t;
	struct vpn_ev_timer timer;
	struct cstp_mtu mtu;
	struct worker_dtls *dtls;	/* the DTLS channel (worker-dtls.c); NULL: none */
	char *session_id;		/* from SessionOpenReply, for logs */
	char *username;
	char ipv4[INET_ADDRSTRLEN];
	struct in_addr lease;		/* ipv4, parsed: the only IPv4 source let in */
	struct in6_addr lease6;		/* the IPv6 address the client was given, and */
	unsigned lease6_prefix;		/* its prefix: its subnet is the only global IPv6
					 * source let in; 0: none given */
	uint64_t spoofed;		/* client packets from another IPv4 source: dropped */
	uint64_t restricted;		/* client packets outside the routes: dropped */
	struct ports_filter *ports;	/* restrict-user-to-ports; NULL: none */
	struct config_route *routes;	/* restrict-user-to-routes: the session's routes */
	size_t n_routes;		/* 0: nothing restricted */
	struct config_route *iroutes;	/* iroute: networks behind the client */
	size_t n_iroutes;
	uint64_t restricted_ports;	/* client packets the port list refused: dropped */
	struct rate_bucket rx_rate;	/* rx-data-per-sec: client -> tun */
	struct rate_bucket tx_rate;	/* tx-data-per-sec: tun -> client */
	char tun_name[64];
	vpn_ms_t tunnel_start_ms;
	uint64_t probe_request;		/* main's Probe being answered; 0: none */
	vpn_ms_t probe_sent_ms;		/* when our DPD request for it left */
	uint64_t probe_silent_ms;	/* CSTP silence when it arrived */
	uint64_t tun_write_errors;
	uint64_t tun_rx_dropped;	/* tun packets dropped: queue full or too big */

	uint8_t *rxbuf;			/* WORKER_RECORD_MAX: one TLS record */
	uint8_t *txbuf;			/* CSTP_HDR + CSTP_MTU_MAX: one CSTP packet */
};

/* --- worker.c ------------------------------------------------------------ */

/*
 * Hand one complete record (a CSTP packet, or a piece of an HTTP response of
 * at most 16 KiB) to TLS. Sent at once when nothing is pending, else queued
 * under cls's budget. Returns 0 when sent or queued, -ENOBUFS when dropped
 * (queue full; only DATA is normally dropped), or -EPIPE after a fatal TLS
 * error (the worker is then already closing).
 */
int worker_send_record(struct worker *w, enum sendq_class cls, const void *buf, size_t len);

/* Send an HTTP response (any length; split into records of <= 16 KiB). */
int worker_send_http(struct worker *w, const char *buf, size_t len);

/* Send a message to main now, or queue it behind those waiting when main's
 * socket is full (it leaves when the socket is writable; the close sequence
 * waits for it, up to WORKER_LINGER_MS). Never waits. Returns 0 (sent or
 * queued) or a negative ipc_outq_send() code (logged). */
int worker_ipc_send(struct worker *w, enum ipc_type type, const ProtobufCMessage *msg);

/* Send a message main can do without (periodic stats, DTLS state): only
 * when nothing waits and the socket takes it now, else it is dropped.
 * Returns 0, -EAGAIN when dropped, or an ipc_send() error (not logged). */
int worker_ipc_send_replaceable(struct worker *w, enum ipc_type type,
				const ProtobufCMessage *msg);

/*
 * Start the close sequence: stop reading, let the queued records leave for at
 * most WORKER_LINGER_MS (flush = true; with a TLS close_notify afterwards) or
 * close at once (flush = false), then leave the loop with exit_code.
 */
void worker_close(struct worker *w, bool flush, int exit_code);

/* Resume/suspend reading the TCP socket (HTTP waits for main's replies). */
void worker_tcp_read_enable(struct worker *w, bool on);
/* The first complete HTTP request arrived (handshake-timeout met): the
 * deadline becomes what is left of auth-timeout. */
void worker_first_request(struct worker *w);

/* --- worker-http.c ------------------------------------------------------- */

/* TLS is up: start reading HTTP requests. */
void worker_http_start(struct worker *w);
/* Plaintext bytes of the HTTP phase arrived. */
void worker_http_input(struct worker *w, const uint8_t *data, size_t len);
/* Main's answers. msg ownership stays with the caller (the fd may be taken:
 * set msg->fd = -1 then). */
void worker_http_on_auth_reply(struct worker *w, struct ipc_msg *msg);
void worker_http_on_session_reply(struct worker *w, struct ipc_msg *msg);

/* --- worker-tunnel.c ----------------------------------------------------- */

/*
 * The session reply said 200: set up the tunnel and answer 200 CONNECTED.
 * Takes ownership of tun_fd. Returns 0, or a negative errno after which the
 * caller closes the connection.
 */
int worker_tunnel_start(struct worker *w, const SessionOpenReply *r, int tun_fd);
/* One TLS record arrived while the tunnel is up. */
void worker_tunnel_rx(struct worker *w, uint8_t *rec, size_t len, vpn_ms_t now);
/* End the tunnel from outside the engine (TLS EOF/error, Terminate, signal). */
void worker_tunnel_end(struct worker *w, enum vpn_end_reason r, vpn_ms_t now);
/* The send queue drained at now (called by worker.c). */
void worker_tunnel_on_drained(struct worker *w, vpn_ms_t now);
/* The first record of a send blocked at now (called by worker.c). */
void worker_tunnel_on_blocked(struct worker *w, vpn_ms_t now);
/* Records left the queue but it is not empty yet: maybe resume tun. */
void worker_tunnel_on_room(struct worker *w);
/* main asks for the liveness snapshot (occtl): send a TunnelStats with it
 * and request_id at once (without the snapshot before the tunnel is up). */
void worker_tunnel_stats_request(struct worker *w, uint64_t request_id);
/* main asks whether the client is alive (max-same-clients, doc/spec/liveness.md §9):
 * CSTP heard from within p->min_silence_ms: "alive" at once; else a DPD
 * request now and the answer after p->grace_ms (alive if anything came). */
void worker_tunnel_probe(struct worker *w, const Probe *p);
/* Release what the tunnel owns. */
void worker_tunnel_cleanup(struct worker *w);
/* What a CSTP packet type is to the engine; the DTLS channel carries the
 * same type codes (doc/spec/interop.md §3.5), so both receive paths use it. */
enum vpn_frame_kind worker_frame_kind(uint8_t cstp_type);
/* Write one IP packet from the client, received at now, to tun (a full tun
 * drops it; so do the data-path policies, counted). */
void worker_tunnel_tun_write(struct worker *w, const uint8_t *pkt, size_t len, vpn_ms_t now);

/* The worker's process (worker.c): its state without a connection (NULL
 * after logging why), then the connection on fds 3-5 served to the end
 * (client: the client's address from a PROXY header, or NULL); returns the
 * exit code and frees w. An exec'd worker calls both; the zygote
 * (zygote.h) calls worker_prepare once and worker_serve in each child. */
struct worker *worker_prepare(const char *cfg_path, bool zygote);
int worker_serve(struct worker *w, const char *client);

#endif
