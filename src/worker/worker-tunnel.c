/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CSTP data path of the worker and the liveness engine that drives it.
 *
 *   TLS record --cstp_decode--> DATA        -> tun (user data for idle)
 *                               DPD-REQ     -> DPD-RESP at once, payload echoed
 *                               DPD-RESP    -> engine (RTT sample)
 *                               KEEPALIVE   -> engine decides on an answer
 *                               DISCONNECT  -> engine ends the tunnel (BYE byte)
 *                               other       -> logged, proof of life only
 *   tun packet  --------------> CSTP DATA, one packet per TLS record
 *   engine timer -------------> DPD probe with the engine's 8-byte payload,
 *                               or the end: DISCONNECT 0xb0 + text /
 *                               TERMINATE / nothing, then TunnelDown, exit
 *
 * Time: one vpn_now_ms() per callback, shared by every packet it handles.
 * The engine's single ev_timer is re-armed lazily by the adapter.
 */
#include "config.h"

#include "worker/worker.h"

#include "codec/cstp.h"
#include "common/log.h"
#include "common/tun.h"
#include "vpn/idle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void tunnel_finish(struct worker *w, vpn_ms_t now);

/* --- setup helpers ------------------------------------------------------- */

/* Path MTU the kernel knows for the CSTP socket, or 0. */
static unsigned tcp_path_mtu(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_pmtu;
}

/*
 * doc/spec/liveness.md §4/§6: the kernel gives up on a peer that stops acknowledging
 * after 3D (TCP_USER_TIMEOUT, the DPD window; the send-stall window when DPD
 * is off) and probes an idle connection every D (SO_KEEPALIVE).
 */
static void tcp_liveness_options(struct worker *w, vpn_ms_t dpd_ms, vpn_ms_t stall_ms)
{
	unsigned user_timeout = (unsigned)(dpd_ms != 0 ? 3 * dpd_ms : stall_ms);
	int one = 1;

	if (setsockopt(w->tcp_fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0)
		log_warn("SO_KEEPALIVE: %s", strerror(errno));
	if (setsockopt(w->tcp_fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout,
		       sizeof(user_timeout)) < 0)
		log_warn("TCP_USER_TIMEOUT: %s", strerror(errno));
	if (dpd_ms != 0) {
		int idle = (int)(dpd_ms / 1000), intvl = idle / 2 > 0 ? idle / 2 : 1;

		if (setsockopt(w->tcp_fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
		    setsockopt(w->tcp_fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0)
			log_warn("TCP keepalive timing: %s", strerror(errno));
	}
}

/* X-CSTP-Hostname is echoed only when it is a plain host name. */
static const char *safe_hostname(const char *h)
{
	if (h[0] == '\0')
		return NULL;
	for (const char *p = h; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return NULL;
	}
	return h;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* --- liveness timer ------------------------------------------------------ */

static vpn_ms_t timer_expiry(void *owner)
{
	struct worker *w = owner;

	return vpn_tunnel_expiry(&w->t);
}

/* Queue a control packet of the tunnel and tell the engine it left. */
static void send_control(struct worker *w, const uint8_t *pkt, int len,
			 enum vpn_frame_kind kind, vpn_ms_t now)
{
	if (len < 0) {
		log_err("encoding a CSTP %s: %s", vpn_frame_kind_str(kind), cstp_strerror(len));
		return;
	}
	if (worker_send_record(w, SENDQ_CONTROL, pkt, (size_t)len) == 0)
		vpn_tunnel_on_tx(&w->t, VPN_CHAN_CSTP, kind, (size_t)len - CSTP_HEADER_LEN, now);
	else if (w->phase == W_TUNNEL)
		log_debug("send queue full: CSTP %s to %s dropped", vpn_frame_kind_str(kind),
			  w->remote_ip);
}

static void send_probe(struct worker *w, vpn_ms_t now)
{
	uint8_t payload[VPN_DPD_PAYLOAD_LEN];
	uint8_t pkt[CSTP_HEADER_LEN + VPN_DPD_PAYLOAD_LEN];

	vpn_tunnel_probe_payload(&w->t, VPN_CHAN_CSTP, payload);
	log_debug("%s silent for %" PRIu64 " ms: sending DPD probe", w->remote_ip,
		  now - vpn_tunnel_last_rx(&w->t, VPN_CHAN_CSTP));
	send_control(w, pkt, cstp_encode_dpd_req(pkt, sizeof(pkt), payload, sizeof(payload)),
		     VPN_FRAME_DPD_REQ, now);
}

static void timer_fire(void *owner, vpn_ms_t now)
{
	struct worker *w = owner;
	unsigned acts = vpn_tunnel_handle_expiry(&w->t, now);

	if (acts & VPN_ACT_END) {
		tunnel_finish(w, now);
		return;
	}
	if (acts & VPN_ACT_SEND_DPD_REQ_CSTP)
		send_probe(w, now);
	/* DTLS dead (L + 3D) only moves the data to CSTP (doc/spec/liveness.md §3). */
	if (acts & VPN_ACT_DTLS_INACTIVE)
		worker_dtls_on_inactive(w, "dpd-timeout", now);
	if (acts & VPN_ACT_SEND_DPD_REQ_DTLS)
		worker_dtls_send_probe(w, now);
}

/* --- start --------------------------------------------------------------- */

/* The counters of a TunnelStats, from the engine's snapshot sn at now. */
static void stats_fill(const struct worker *w, const struct vpn_tunnel_snapshot *sn,
		       TunnelStats *st, vpn_ms_t now)
{
	st->has_bytes_in = st->has_bytes_out = true;
	st->has_packets_in = st->has_packets_out = true;
	st->has_dpd_probes_sent = st->has_dpd_probes_answered = true;
	st->bytes_in = sn->rx_bytes;
	st->bytes_out = sn->tx_bytes;
	st->packets_in = sn->rx_packets;
	st->packets_out = sn->tx_packets;
	st->dpd_probes_sent = sn->probes_sent[VPN_CHAN_CSTP];
	st->dpd_probes_answered = sn->probes_answered[VPN_CHAN_CSTP];
	st->has_spoofed = true;
	st->spoofed = w->spoofed;
	st->has_restricted = w->cfg.restrict_user_to_routes;
	st->restricted = w->restricted;
	st->has_restricted_ports = w->ports != NULL;
	st->restricted_ports = w->restricted_ports;
	st->has_rate_dropped_rx = w->rx_rate.rate != 0;
	st->rate_dropped_rx = w->rx_rate.dropped_packets;
	st->has_rate_dropped_tx = w->tx_rate.rate != 0;
	st->rate_dropped_tx = w->tx_rate.dropped_packets;
	if (sn->last_rtt_ms[VPN_CHAN_CSTP] != VPN_NEVER) {
		st->has_last_dpd_rtt_ms = true;
		st->last_dpd_rtt_ms = (uint32_t)sn->last_rtt_ms[VPN_CHAN_CSTP];
	}
	worker_dtls_stats(w, sn, st, now);
}

/* occtl's view of one DPD channel (0 stands for VPN_NEVER on the wire). */
static void live_channel(const struct vpn_tunnel_snapshot *sn, enum vpn_chan ch,
			 TunnelLivenessChannel *c)
{
#define T(v) ((v) == VPN_NEVER ? 0 : (v))
	c->has_last_rx_ms = c->has_next_probe_ms = c->has_probes_sent = true;
	c->has_probes_answered = c->has_last_rtt_ms = true;
	c->has_keepalives_received = c->has_keepalives_answered = true;
	c->last_rx_ms = T(sn->last_rx_ms[ch]);
	c->dpd_state = (char *)vpn_dpd_state_str(sn->dpd_state[ch]);
	c->next_probe_ms = T(sn->next_probe_ms[ch]);
	c->probes_sent = sn->probes_sent[ch];
	c->probes_answered = sn->probes_answered[ch];
	c->last_rtt_ms = sn->last_rtt_ms[ch] == VPN_NEVER ? -1 : (int64_t)sn->last_rtt_ms[ch];
	c->keepalives_received = sn->keepalives_received[ch];
	c->keepalives_answered = sn->keepalives_answered[ch];
}

/*
 * The engine's snapshot for occtl (doc/spec/liveness.md §10). tls_desc receives the
 * gnutls description the message points to: gnutls_free() it after sending.
 */
static void live_fill(const struct worker *w, const struct vpn_tunnel_snapshot *sn,
		      TunnelLiveness *l, TunnelLivenessChannel ch[2], char **tls_desc, vpn_ms_t now)
{
	l->has_now_ms = l->has_started_ms = l->has_dpd_ms = l->has_dpd_retries = true;
	l->has_keepalive_ms = l->has_idle_ms = l->has_switch_to_tcp_ms = true;
	l->has_session_deadline_ms = l->has_idle_deadline_ms = l->has_send_blocked_ms = true;
	l->has_mobile = l->has_mtu = l->has_tun_packets = l->has_tun_chatter = true;
	l->now_ms = now;
	l->started_ms = sn->started_ms;
	l->dpd_ms = (uint32_t)sn->dpd_ms;
	l->dpd_retries = sn->dpd_retries;
	l->keepalive_ms = (uint32_t)sn->keepalive_ms;
	l->idle_ms = (uint32_t)sn->idle_ms;
	l->switch_to_tcp_ms = (uint32_t)sn->switch_to_tcp_ms;
	l->session_deadline_ms = T(sn->session_deadline_ms);
	l->idle_deadline_ms = T(sn->idle_deadline_ms);
	l->send_blocked_ms = T(sn->send_blocked_ms);
#undef T
	l->data_path = sn->data_path == VPN_CHAN_DTLS ? "cstp+dtls" : "cstp";
	l->dtls_state = (char *)vpn_dtls_state_str(sn->dtls_state);
	live_channel(sn, VPN_CHAN_CSTP, &ch[0]);
	l->cstp = &ch[0];
	if (vpn_tunnel_dtls_enabled(&w->t)) {
		live_channel(sn, VPN_CHAN_DTLS, &ch[1]);
		l->dtls = &ch[1];
	}
	l->mobile = w->conn.mobile;
	*tls_desc = gnutls_session_get_desc(w->tls);
	l->tls_cipher = *tls_desc;
	l->hostname = w->conn.hostname[0] != '\0' ? (char *)w->conn.hostname : NULL;
	l->mtu = w->mtu.data;
	l->tun_packets = sn->tun_packets;
	l->tun_chatter = sn->tun_chatter;
}

/* Everything a TunnelStats counts, summed: it changes iff one of them
 * grew (they only grow). */
static uint64_t stats_activity(const struct worker *w)
{
	return vpn_tunnel_activity(&w->t) + w->spoofed + w->restricted + w->restricted_ports +
	       w->rx_rate.dropped_packets + w->tx_rate.dropped_packets;
}

/* A TunnelStats with the liveness snapshot; request_id 0: unasked. Once one
 * left, the timer of the next unasked one waits for a change again. */
static void stats_send_live(struct worker *w, uint64_t request_id)
{
	TunnelStats st = TUNNEL_STATS__INIT;
	TunnelLiveness l = TUNNEL_LIVENESS__INIT;
	TunnelLivenessChannel ch[2] = { TUNNEL_LIVENESS_CHANNEL__INIT,
					TUNNEL_LIVENESS_CHANNEL__INIT };
	char *desc = NULL;
	uint64_t activity = 0;
	int r;

	if (w->phase == W_TUNNEL) {
		vpn_ms_t now = vpn_now_ms();
		struct vpn_tunnel_snapshot sn;

		activity = stats_activity(w);
		vpn_tunnel_snapshot(&w->t, now, &sn);
		stats_fill(w, &sn, &st, now);
		live_fill(w, &sn, &l, ch, &desc, now);
		st.live = &l;
	}
	if (request_id != 0) {
		st.has_request_id = true;
		st.request_id = request_id;
	}
	/* Replaceable: nothing waits for main. A dropped one leaves stats_sent
	 * behind, so the next loop iteration arms the timer again. */
	r = worker_ipc_send_replaceable(w, IPC_TUNNEL_STATS, &st.base);
	if (r < 0)
		log_debug("TunnelStats to main: %s", ipc_strerror(r));
	else if (w->phase == W_TUNNEL) {
		w->stats_sent = activity;
		ev_timer_stop(w->loop, &w->stats_timer);
	}
	gnutls_free(desc);
}

/* --- main's Probe (max-same-clients) ----------------------------------------- */

static void probe_answer(struct worker *w, bool alive)
{
	ProbeReply r = PROBE_REPLY__INIT;

	ev_timer_stop(w->loop, &w->probe_timer);
	if (w->probe_request == 0)
		return;
	r.request_id = w->probe_request;
	r.alive = alive;
	r.has_silent_ms = true;
	r.silent_ms = w->probe_silent_ms;
	w->probe_request = 0;
	log_info("probe for main: client %s %s (CSTP silent for %" PRIu64 " ms)", w->remote_ip,
		 alive ? "alive" : "silent", r.silent_ms);
	(void)worker_ipc_send(w, IPC_PROBE_REPLY, &r.base);
}

static void probe_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;
	vpn_ms_t last = w->tunnel_up ? vpn_tunnel_last_rx(&w->t, VPN_CHAN_CSTP) : VPN_NEVER;

	probe_answer(w, last != VPN_NEVER && last >= w->probe_sent_ms);
}

void worker_tunnel_probe(struct worker *w, const Probe *p)
{
	vpn_ms_t now = vpn_now_ms(), last;

	ev_timer_stop(w->loop, &w->probe_timer);
	w->probe_request = p->request_id;
	if (!w->tunnel_up) {
		w->probe_silent_ms = 0;
		probe_answer(w, false);
		return;
	}
	last = vpn_tunnel_last_rx(&w->t, VPN_CHAN_CSTP);
	if (last == VPN_NEVER || last < w->tunnel_start_ms)
		last = w->tunnel_start_ms;
	w->probe_silent_ms = now >= last ? now - last : 0;
	if (w->probe_silent_ms < p->min_silence_ms) {
		probe_answer(w, true);
		return;
	}
	/* Silent for D or more: ask the client now (any frame in reply, or
	 * anything else, proves it alive). */
	w->probe_sent_ms = now;
	send_probe(w, now);
	ev_timer_init(&w->probe_timer, probe_timer_cb, p->grace_ms / 1000.0, 0.);
	w->probe_timer.data = w;
	ev_timer_start(w->loop, &w->probe_timer);
}

void worker_tunnel_stats_request(struct worker *w, uint64_t request_id)
{
	stats_send_live(w, request_id);
}

/*
 * Statistics: main (metrics, occtl's last-seen view) and, through it,
 * sec-mod (RADIUS Interim-Updates, session totals) see a tunnel's counters
 * from TunnelStats. One goes WORKER_STATS_INTERVAL_S after the first change
 * since the previous one, carrying every change until then; a tunnel whose
 * counters stand still sends nothing, and wakes neither main nor sec-mod
 * (bench/README.md §2). So every count reaches them at most that late, as
 * with a periodic report. occtl asks for a fresh one
 * (worker_tunnel_stats_request), and TunnelDown carries the final counters.
 *
 *   first DATA after a report       report (the timer is not re-armed)
 *   |------ WORKER_STATS_INTERVAL_S ------|
 *
 * The check is one ev_prepare per loop iteration (a sum and a comparison),
 * not a hook in every place that counts.
 */
static void stats_cb(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct worker *w = timer->data;

	if (w->phase != W_TUNNEL)
		return;
	stats_send_live(w, 0);
}

static void stats_check_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct worker *w = p->data;

	if (w->phase != W_TUNNEL || ev_is_active(&w->stats_timer) ||
	    stats_activity(w) == w->stats_sent)
		return;
	ev_timer_set(&w->stats_timer, WORKER_STATS_INTERVAL_S, 0.);
	ev_timer_start(loop, &w->stats_timer);
}

static void tun_cb(struct ev_loop *loop, ev_io *io, int revents);

/* Step 1, the session reply taken over: the tun fd (non-blocking from now
 * on) and the names the logs and TunnelUp use. */
static int start_take_session(struct worker *w, const SessionOpenReply *r, int tun_fd)
{
	w->tun_fd = tun_fd;
	if (fcntl(tun_fd, F_SETFL, fcntl(tun_fd, F_GETFL) | O_NONBLOCK) < 0) {
		log_err("tun fd: %s", strerror(errno));
		return -errno;
	}
	w->session_id = dup_or_null(r->session_id);
	w->username = dup_or_null(r->username);
	snprintf(w->ipv4, sizeof(w->ipv4), "%s", r->ipv4 != NULL ? r->ipv4 : "");
	snprintf(w->tun_name, sizeof(w->tun_name), "%s", r->tun_name != NULL ? r->tun_name : "");
	if (r->ipv4 == NULL || r->ipv4_netmask == NULL || inet_pton(AF_INET, r->ipv4, &w->lease) != 1) {
		log_err("session reply for %s without an IPv4 address", w->remote_ip);
		return -EINVAL;
	}
	/* the IPv6 address is given only to a client that wants IPv6 */
	w->lease6_prefix = 0;
	if (r->ipv6 != NULL && !w->conn.no_ipv6) {
		if (inet_pton(AF_INET6, r->ipv6, &w->lease6) != 1 || !r->has_ipv6_prefix ||
		    r->ipv6_prefix == 0 || r->ipv6_prefix > 128) {
			log_err("session reply for %s with a bad IPv6 address", w->remote_ip);
			return -EINVAL;
		}
		w->lease6_prefix = r->ipv6_prefix;
	}
	return 0;
}

/* Step 2, DTLS prepared (when offered and main listens on UDP) and the MTU
 * chosen: the tunnel MTU is the DTLS data MTU when DTLS is on
 * (worker-connect.h), and the tun device gets it. */
static void start_choose_mtu(struct worker *w, const SessionOpenReply *r)
{
	unsigned link_mtu;
	size_t maxrec;

	/* MTU (worker-connect.h): the configured cap, else the tun's MTU. */
	link_mtu = r->has_mtu && r->mtu > 0 ? r->mtu : tun_get_mtu(w->tun_name);
	if (w->conn.dtls.mode != DTLS_MODE_NONE && r->has_dtls_port && r->dtls_port != 0)
		(void)worker_dtls_prepare(w, r->dtls_port, &w->conn.dtls);
	/* the legacy master secret now lives in the DTLS channel only */
	explicit_bzero(w->conn.dtls.master, sizeof(w->conn.dtls.master));
	if (w->dtls != NULL)
		w->mtu = dtls_mtu_compute(link_mtu, w->conn.client_base_mtu,
					  tcp_path_mtu(w->tcp_fd), w->tcp_ipv6,
					  worker_dtls_overhead(w));
	else
		w->mtu = cstp_mtu_compute(link_mtu, w->conn.client_base_mtu,
					  tcp_path_mtu(w->tcp_fd), w->tcp_ipv6,
					  (unsigned)gnutls_record_overhead_size(w->tls));
	/* A client that negotiated smaller TLS records gets smaller packets:
	 * one CSTP packet must still fit one record. */
	maxrec = gnutls_record_get_max_size(w->tls);
	if (maxrec > CSTP_HEADER_LEN && w->mtu.data > maxrec - CSTP_HEADER_LEN)
		w->mtu.data = (unsigned)(maxrec - CSTP_HEADER_LEN);
	/* The tun device's MTU becomes the tunnel's data MTU, so the kernel
	 * never hands us a packet the client cannot take: main sets it when
	 * TunnelUp carries it (the worker has no privileges). */
}

/* Step 3, the engine's configuration: the effective values main sent, and
 * the TCP socket's own liveness options that follow from them. */
static void start_engine_cfg(struct worker *w, const SessionOpenReply *r, vpn_ms_t now,
			     struct vpn_tunnel_cfg *tcfg)
{
	*tcfg = (struct vpn_tunnel_cfg){ 0 };
	tcfg->dpd_ms = vpn_s_to_ms(r->has_dpd ? r->dpd : 0);
	tcfg->dpd_retries = r->has_dpd_retries && r->dpd_retries != 0 ? r->dpd_retries
								      : VPN_DPD_RETRIES_DEFAULT;
	tcfg->keepalive_ms = vpn_s_to_ms(r->has_keepalive ? r->keepalive : 0);
	tcfg->idle_ms = vpn_s_to_ms(r->has_idle_timeout ? r->idle_timeout : 0);
	tcfg->session_deadline_ms = VPN_NEVER;
	if (r->has_session_timeout && r->session_timeout != 0)
		tcfg->session_deadline_ms = vpn_ms_add(now, vpn_s_to_ms(r->has_session_remaining
									? r->session_remaining
									: r->session_timeout));
	tcfg->switch_to_tcp_ms = vpn_s_to_ms(r->has_switch_to_tcp_timeout
					     ? r->switch_to_tcp_timeout : 0);
	tcfg->dtls_enabled = w->dtls != NULL;
	if (vpn_tunnel_cfg_check(tcfg) < 0) {
		log_warn("dpd-retries %u out of range: using %u", tcfg->dpd_retries,
			 VPN_DPD_RETRIES_DEFAULT);
		tcfg->dpd_retries = VPN_DPD_RETRIES_DEFAULT;
	}
	tcp_liveness_options(w, tcfg->dpd_ms, vpn_tunnel_cfg_send_stall_ms(tcfg));
}

/* The n routes of a session reply (text forms) into a new *out array
 * (none: NULL); -EINVAL (logged) for one the worker cannot read. */
static int take_routes(const char *what, char **text, size_t n, struct config_route **out,
		       size_t *n_out)
{
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	for (*n_out = 0; *n_out < n; (*n_out)++)
		if (config_route_from_text(text[*n_out], &(*out)[*n_out]) < 0) {
			log_err("%s %s from main: not understood", what, LOG_ESC(text[*n_out]));
			return -EINVAL;
		}
	return 0;
}

/* Step 3b, the data-path policy main sent: the port list (checked by main's
 * configuration parser: a list the worker cannot parse is an error) and the
 * rate buckets, full at now. */
static int start_policy(struct worker *w, const SessionOpenReply *r, vpn_ms_t now)
{
	char err[PORTS_ERR_MAX];

	rate_bucket_init(&w->rx_rate, r->has_rx_data_per_sec ? r->rx_data_per_sec : 0, now);
	rate_bucket_init(&w->tx_rate, r->has_tx_data_per_sec ? r->tx_data_per_sec : 0, now);
	/* iroute: networks behind the client, whose sources it may use;
	 * restrict-user-to-routes: the session's own routes (its files' over
	 * the configuration's; none: full tunnel, nothing restricted) */
	if (take_routes("iroute", r->iroutes, r->n_iroutes, &w->iroutes, &w->n_iroutes) < 0 ||
	    (w->cfg.restrict_user_to_routes &&
	     take_routes("route", r->routes, r->n_routes, &w->routes, &w->n_routes) < 0))
		return -EINVAL;
	if (r->restrict_ports == NULL)
		return 0;
	w->ports = malloc(sizeof(*w->ports));
	if (w->ports == NULL)
		return -ENOMEM;
	if (ports_parse(r->restrict_ports, w->ports, err, sizeof(err)) < 0) {
		log_err("restrict-user-to-ports from main: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* Step 4, what the CONNECT reply says (worker-connect.h), DTLS block
 * included when DTLS is offered. */
static void start_reply_fill(const struct worker *w, const SessionOpenReply *r,
			     struct cstp_reply *rep)
{
	*rep = (struct cstp_reply){ 0 };
	rep->server_name = PACKAGE_NAME " " PACKAGE_VERSION;
	rep->hostname = safe_hostname(w->conn.hostname);
	rep->dpd_s = r->has_dpd ? r->dpd : 0;
	rep->ipv4 = r->ipv4;
	rep->ipv4_netmask = r->ipv4_netmask;
	if (w->lease6_prefix != 0) {
		rep->ipv6 = r->ipv6;
		rep->ipv6_prefix = w->lease6_prefix;
		rep->full_ipv6 = w->conn.full_ipv6;
	}
	rep->client_bypass_protocol = r->has_client_bypass_protocol && r->client_bypass_protocol;
	rep->no_ipv6 = w->conn.no_ipv6;
	rep->dns = (const char *const *)r->dns;
	rep->n_dns = r->n_dns;
	rep->nbns = (const char *const *)r->nbns;
	rep->n_nbns = r->n_nbns;
	rep->split_dns = (const char *const *)r->split_dns;
	rep->n_split_dns = r->n_split_dns;
	rep->tunnel_all_dns = r->has_tunnel_all_dns && r->tunnel_all_dns;
	rep->routes = (const char *const *)r->routes;
	rep->n_routes = r->n_routes;
	rep->no_routes = (const char *const *)r->no_routes;
	rep->n_no_routes = r->n_no_routes;
	rep->default_domain = r->default_domain;
	rep->keepalive_s = r->has_keepalive ? r->keepalive : 0;
	rep->idle_timeout_s = r->has_idle_timeout ? r->idle_timeout : 0;
	rep->rekey_time_s = w->cfg.rekey_time_s;
	rep->session_timeout_s = r->has_session_timeout ? r->session_timeout : 0;
	rep->session_remaining_s = r->has_session_remaining ? r->session_remaining
							    : rep->session_timeout_s;
	rep->cookie_timeout_s = r->has_cookie_timeout ? r->cookie_timeout
						      : w->cfg.cookie_timeout_s;
	rep->mtu = w->mtu;
	if (w->dtls != NULL) {
		rep->dtls.enabled = true;
		rep->dtls.port = r->dtls_port;
		rep->dtls.dpd_s = rep->dpd_s;
		rep->dtls.keepalive_s = rep->keepalive_s;
		rep->dtls.app_id = worker_dtls_app_id(w);
		rep->dtls.app_id_len = WORKER_DTLS_APP_ID_LEN;
		rep->dtls.legacy_cipher = worker_dtls_legacy_name(w, &rep->dtls.legacy_dtls12);
	}
}

/* Step 5, the reply built and handed to TLS. */
static int start_reply_send(struct worker *w, const struct cstp_reply *rep)
{
	char *reply = malloc(65536);
	int n, ret;

	if (reply == NULL)
		return -ENOMEM;
	n = cstp_connect_reply(reply, 65536, rep);
	if (n < 0) {
		log_err("building the CONNECT reply for %s: %s", w->remote_ip, strerror(-n));
		free(reply);
		return n;
	}
	/* The header block ends its own record: CSTP packets start afresh. */
	ret = worker_send_http(w, reply, (size_t)n);
	free(reply);
	return ret;
}

/* Step 6, the engine started at now with the DTLS channel, the liveness
 * timer, the tun reader, TLS reading and the statistics check armed. */
static void start_engine_and_watchers(struct worker *w, const struct vpn_tunnel_cfg *tcfg,
				      vpn_ms_t now)
{
	vpn_tunnel_init(&w->t, tcfg, now);
	/* A DTLS record may fill the link MTU less the IP and UDP headers. */
	worker_dtls_start(w, w->mtu.base - (w->tcp_ipv6 ? CSTP_IPV6_HDR : CSTP_IPV4_HDR) -
				     DTLS_UDP_HDR);
	if (!sendq_empty(&w->sq))
		vpn_tunnel_on_send_blocked(&w->t, now);
	w->tunnel_start_ms = now;
	w->tunnel_up = true;
	w->phase = W_TUNNEL;
	ev_timer_stop(w->loop, &w->auth_timer);

	vpn_ev_timer_init(&w->timer, w->loop, timer_expiry, timer_fire, w);
	vpn_ev_timer_update(&w->timer);
	ev_io_init(&w->tun_r, tun_cb, w->tun_fd, EV_READ);
	w->tun_r.data = w;
	ev_io_start(w->loop, &w->tun_r);
	worker_tcp_read_enable(w, true);
	ev_timer_init(&w->stats_timer, stats_cb, WORKER_STATS_INTERVAL_S, 0.);
	w->stats_timer.data = w;
	w->stats_sent = stats_activity(w);
	ev_prepare_init(&w->stats_check, stats_check_cb);
	w->stats_check.data = w;
	ev_prepare_start(w->loop, &w->stats_check);
}

/* Step 7, main told (TunnelUp, with the App-ID when DTLS is offered: from
 * this message on main routes our ClientHellos to us) and the line logged. */
static void start_announce(struct worker *w, const struct cstp_reply *rep)
{
	TunnelUp up = TUNNEL_UP__INIT;
	char *desc = gnutls_session_get_desc(w->tls);
	char remaining[16], dtls[96];

	up.session_id = w->session_id != NULL ? w->session_id : (char *)"";
	up.tls_cipher = desc;
	/* main sets the tun device's MTU: the worker has no privileges */
	up.has_tun_mtu = w->tun_name[0] != '\0';
	up.tun_mtu = w->mtu.data;
	if (w->dtls != NULL) {
		up.has_dtls_app_id = true;
		up.dtls_app_id.data = (uint8_t *)worker_dtls_app_id(w);
		up.dtls_app_id.len = WORKER_DTLS_APP_ID_LEN;
	}
	(void)worker_ipc_send(w, IPC_TUNNEL_UP, &up.base);
	worker_dtls_mode_text(w, dtls, sizeof(dtls));
	/* No session timeout: nothing remains to count down. */
	if (rep->session_timeout_s != 0)
		snprintf(remaining, sizeof(remaining), "%us", rep->session_remaining_s);
	else
		snprintf(remaining, sizeof(remaining), "none");
	log_info("tunnel up: user=%s session=%s client=%s ip=%s tun=%s mtu=%u base-mtu=%u "
		 "dpd=%us keepalive=%us idle-timeout=%us session-remaining=%s%s tls=%s dtls=%s",
		 LOG_ESC(w->username != NULL ? w->username : "?"),
		 w->session_id != NULL ? w->session_id : "?", w->remote_ip, w->ipv4,
		 w->tun_name[0] != '\0' ? w->tun_name : "?", w->mtu.data, w->mtu.base,
		 rep->dpd_s, rep->keepalive_s, rep->idle_timeout_s, remaining,
		 w->conn.mobile ? " mobile" : "", desc != NULL ? desc : "?",
		 dtls);
	gnutls_free(desc);
}

int worker_tunnel_start(struct worker *w, const SessionOpenReply *r, int tun_fd)
{
	struct vpn_tunnel_cfg tcfg;
	struct cstp_reply rep;
	vpn_ms_t now;
	int ret;

	ret = start_take_session(w, r, tun_fd);
	if (ret < 0)
		return ret;
	start_choose_mtu(w, r);
	now = vpn_now_ms();
	start_engine_cfg(w, r, now, &tcfg);
	ret = start_policy(w, r, now);
	if (ret < 0)
		return ret;
	start_reply_fill(w, r, &rep);
	ret = start_reply_send(w, &rep);
	if (ret < 0)
		return ret;
	start_engine_and_watchers(w, &tcfg, now);
	start_announce(w, &rep);
	return 0;
}

/* --- CSTP in ------------------------------------------------------------- */

enum vpn_frame_kind worker_frame_kind(uint8_t type)
{
	switch (type) {
	case CSTP_DATA:
		return VPN_FRAME_DATA;
	case CSTP_DPD_REQ:
		return VPN_FRAME_DPD_REQ;
	case CSTP_DPD_RESP:
		return VPN_FRAME_DPD_RESP;
	case CSTP_KEEPALIVE:
		return VPN_FRAME_KEEPALIVE;
	case CSTP_DISCONNECT:
		return VPN_FRAME_DISCONNECT;
	case CSTP_TERMINATE:
		return VPN_FRAME_TERMINATE;
	default:
		/* COMPRESSED is never negotiated: like any unknown type. */
		return VPN_FRAME_OTHER;
	}
}

/* Whether the first prefix bits of a and b are equal. */
static bool same_prefix(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, bits = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return bits == 0 || ((a[full] ^ b[full]) & (0xffu << (8 - bits)) & 0xffu) == 0;
}

/* Whether one of the n routes rt of family covers addr (alen bytes). */
static bool in_routes(const struct config_route *rt, size_t n, int family, size_t alen,
		      const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (rt[i].family == family && rt[i].prefix <= alen * 8 &&
		    same_prefix(addr, (const uint8_t *)&rt[i].net, rt[i].prefix))
			return true;
	return false;
}

/* A packet whose source is not the client's (nor in a network behind it,
 * its iroutes): an IPv4 one not from the lease, an IPv6 one from neither the client's subnet nor a link-local or
 * unspecified address (the client's kernel sends router and neighbour
 * solicitations and MLD reports from those); any IPv6 packet but those when
 * the client was given no IPv6 address. */
static bool spoofed(const struct worker *w, const uint8_t *pkt, size_t len)
{
	static const uint8_t unspec[16];
	const uint8_t *src = pkt + 8;

	if ((pkt[0] >> 4) == 4)
		return len < 20 || (memcmp(pkt + 12, &w->lease, 4) != 0 &&
				    !in_routes(w->iroutes, w->n_iroutes, AF_INET, 4, pkt + 12));
	if ((pkt[0] >> 4) != 6)
		return false;
	if (len < 40)
		return true;
	if (in_routes(w->iroutes, w->n_iroutes, AF_INET6, 16, src))
		return false;
	if ((src[0] == 0xfe && (src[1] & 0xc0) == 0x80) || memcmp(src, unspec, 16) == 0)
		return false;
	return w->lease6_prefix == 0 || !same_prefix(src, w->lease6.s6_addr, w->lease6_prefix);
}

/* restrict-user-to-routes: a packet whose destination no route of its
 * family covers (no routes, or route = default: every destination is
 * allowed). A loop over the session's routes (its per-user or per-group
 * files' when they set route), no system call. */
static bool outside_routes(const struct worker *w, const uint8_t *pkt, size_t len)
{
	int family = (pkt[0] >> 4) == 6 ? AF_INET6 : AF_INET;
	size_t alen = family == AF_INET6 ? 16 : 4;
	const uint8_t *dst = pkt + (family == AF_INET6 ? 24 : 16);

	if (w->n_routes == 0)
		return false;
	if (len < (family == AF_INET6 ? 40u : 20u))
		return true;
	return !in_routes(w->routes, w->n_routes, family, alen, dst);
}

/* Log the first packet a policy drops (every one at debug level). */
static void log_policy_drop(const struct worker *w, uint64_t count, const char *what)
{
	if (count == 1 || log_get_level() >= LOG_LVL_DEBUG)
		log_info("%s (%s) sent a packet %s (dropped and counted%s)", w->remote_ip,
			 LOG_ESC(w->username ? w->username : "?"), what,
			 log_get_level() >= LOG_LVL_DEBUG ? "" : "; not logged again");
}

void worker_tunnel_tun_write(struct worker *w, const uint8_t *pkt, size_t len, vpn_ms_t now)
{
	ssize_t n;

	if (len == 0)
		return;
	if (spoofed(w, pkt, len)) {
		if (w->spoofed++ == 0 || log_get_level() >= LOG_LVL_DEBUG)
			log_info("%s (%s) sent a packet from another source than its address %s "
				 "(dropped and counted%s)", w->remote_ip,
				 LOG_ESC(w->username ? w->username : "?"),
				 w->ipv4, log_get_level() >= LOG_LVL_DEBUG ? "" : "; not logged again");
		return;
	}
	if (outside_routes(w, pkt, len)) {
		log_policy_drop(w, ++w->restricted, "to a destination outside the routes "
				"(restrict-user-to-routes)");
		return;
	}
	if (w->ports != NULL && !ports_allow(w->ports, pkt, len)) {
		log_policy_drop(w, ++w->restricted_ports, "to a port restrict-user-to-ports does "
				"not allow");
		return;
	}
	if (!rate_bucket_take(&w->rx_rate, len, now)) {
		log_policy_drop(w, w->rx_rate.dropped_packets, "over rx-data-per-sec");
		return;
	}
	do
		n = write(w->tun_fd, pkt, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return;
	/* A full or refusing tun drops the packet, as a router would. */
	if (w->tun_write_errors++ == 0 || log_get_level() >= LOG_LVL_DEBUG)
		log_info("writing %zu bytes to %s: %s (dropped%s)", len, w->tun_name,
			 strerror(errno), log_get_level() >= LOG_LVL_DEBUG ? "" : "; not logged again");
}

static void log_disconnect(const struct worker *w, const struct cstp_packet *pkt)
{
	if (pkt->len == 0) {
		log_info("client %s sent DISCONNECT without reason", w->remote_ip);
		return;
	}
	log_info("client %s sent DISCONNECT: %02x '%s'", w->remote_ip, pkt->payload[0],
		 LOG_ESC_N((const char *)pkt->payload + 1, pkt->len - 1));
}

void worker_tunnel_rx(struct worker *w, uint8_t *rec, size_t len, vpn_ms_t now)
{
	struct cstp_packet pkt;
	enum vpn_frame_kind kind;
	unsigned acts;
	int r;

	if (w->phase != W_TUNNEL)
		return;
	r = cstp_decode(rec, len, &pkt);
	if (r != CSTP_OK) {
		log_warn("malformed CSTP record from %s (%zu bytes): %s: ending the tunnel",
			 w->remote_ip, len, cstp_strerror(r));
		worker_tunnel_end(w, VPN_END_TUNNEL_LOST, now);
		return;
	}
	kind = worker_frame_kind(pkt.type);
	switch (pkt.type) {
	case CSTP_DATA:
		worker_tunnel_tun_write(w, pkt.payload, pkt.len, now);
		break;
	case CSTP_DISCONNECT:
		log_disconnect(w, &pkt);
		break;
	case CSTP_DPD_REQ:
	case CSTP_DPD_RESP:
	case CSTP_KEEPALIVE:
		log_trace("CSTP %s from %s (%zu bytes)", cstp_type_str(pkt.type), w->remote_ip,
			  pkt.len);
		break;
	default:
		log_info("CSTP %s (type 0x%02x, %zu bytes) from %s: ignored",
			 cstp_type_str(pkt.type), pkt.type, pkt.len, w->remote_ip);
		break;
	}

	acts = vpn_tunnel_on_rx(&w->t, VPN_CHAN_CSTP, kind, pkt.payload, pkt.len, now);
	if (acts & VPN_ACT_END) {
		tunnel_finish(w, now);
		return;
	}
	/* CSTP DATA while DTLS was up: the client switched to TLS (§7). */
	if (acts & VPN_ACT_DTLS_INACTIVE)
		worker_dtls_on_inactive(w, "cstp-data", now);
	if (acts & VPN_ACT_SEND_DPD_RESP) {
		/* Byte for byte, only the type changes (doc/spec/liveness.md §3, doc/spec/interop.md §6.6): the
		 * record is turned into its answer in place. */
		send_control(w, rec, cstp_dpd_echo(rec, len, rec, len), VPN_FRAME_DPD_RESP, now);
	}
	if (acts & VPN_ACT_SEND_KEEPALIVE) {
		uint8_t ka[CSTP_HEADER_LEN];

		send_control(w, ka, cstp_encode_keepalive(ka, sizeof(ka)), VPN_FRAME_KEEPALIVE,
			     now);
	}
	if (w->phase == W_TUNNEL)
		vpn_ev_timer_update(&w->timer);
}

/* --- tun in, CSTP out ---------------------------------------------------- */

static void tun_pause(struct worker *w, bool pause)
{
	if (pause == w->tun_paused || w->phase != W_TUNNEL)
		return;
	w->tun_paused = pause;
	if (pause)
		ev_io_stop(w->loop, &w->tun_r);
	else
		ev_io_start(w->loop, &w->tun_r);
	log_debug("send queue to %s %s: tun reading %s (%zu records, %zu bytes queued)",
		  w->remote_ip, pause ? "full" : "has room", pause ? "paused" : "resumed",
		  w->sq.count, w->sq.charged);
}

static bool room_for_data(const struct worker *w)
{
	return sendq_empty(&w->sq) || sendq_data_fits(&w->sq, CSTP_HEADER_LEN + w->mtu.data);
}

static void tun_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	uint8_t *pkt = w->txbuf + CSTP_HEADER_LEN;
	vpn_ms_t now = vpn_now_ms();

	for (int i = 0; i < WORKER_TUN_BATCH && w->phase == W_TUNNEL; i++) {
		ssize_t n;

		if (!room_for_data(w)) {
			tun_pause(w, true);
			break;
		}
		n = read(w->tun_fd, pkt, CSTP_MTU_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_err("reading %s: %s: ending the tunnel", w->tun_name, strerror(errno));
			worker_tunnel_end(w, VPN_END_TUNNEL_LOST, now);
			return;
		}
		if (n == 0)
			continue;
		vpn_tunnel_on_tun_rx(&w->t, vpn_packet_is_user_data(pkt, (size_t)n), (size_t)n,
				     now);
		if ((size_t)n > w->mtu.data) {
			/* Only if the tun MTU could not be lowered to ours. */
			w->tun_rx_dropped++;
			log_trace("tun packet of %zd bytes over MTU %u: dropped", n, w->mtu.data);
			continue;
		}
		/* tx-data-per-sec: over the rate, dropped (counted by the bucket) */
		if (!rate_bucket_take(&w->tx_rate, (size_t)n, now))
			continue;
		/* DTLS carries the data when it is up (and the packet fits). */
		if (w->dtls != NULL && worker_dtls_send_data(w, pkt, (size_t)n, now))
			continue;
		cstp_encode_data_header(w->txbuf, CSTP_HEADER_LEN + (size_t)n, (size_t)n);
		if (worker_send_record(w, SENDQ_DATA, w->txbuf, CSTP_HEADER_LEN + (size_t)n) == 0)
			vpn_tunnel_on_tx(&w->t, VPN_CHAN_CSTP, VPN_FRAME_DATA, (size_t)n, now);
		else
			w->tun_rx_dropped++;
	}
	if (w->phase == W_TUNNEL)
		vpn_ev_timer_update(&w->timer);
}

void worker_tunnel_on_blocked(struct worker *w, vpn_ms_t now)
{
	if (w->phase != W_TUNNEL)
		return;
	vpn_tunnel_on_send_blocked(&w->t, now);
	vpn_ev_timer_update(&w->timer);
}

void worker_tunnel_on_room(struct worker *w)
{
	if (w->tun_paused && room_for_data(w))
		tun_pause(w, false);
}

void worker_tunnel_on_drained(struct worker *w, vpn_ms_t now)
{
	if (w->phase != W_TUNNEL)
		return;
	vpn_tunnel_on_send_drained(&w->t, now);
	tun_pause(w, false);
	vpn_ev_timer_update(&w->timer);
}

/* --- the end ------------------------------------------------------------- */

void worker_tunnel_end(struct worker *w, enum vpn_end_reason r, vpn_ms_t now)
{
	if (!w->tunnel_up)
		return;
	vpn_tunnel_end(&w->t, r, now);
	tunnel_finish(w, now);
}

static void tunnel_finish(struct worker *w, vpn_ms_t now)
{
	enum vpn_end_reason reason = vpn_tunnel_end_reason(&w->t);
	enum vpn_goodbye bye = vpn_end_reason_goodbye(reason);
	struct vpn_tunnel_snapshot snap;
	TunnelDown down = TUNNEL_DOWN__INIT;
	TunnelStats st = TUNNEL_STATS__INIT;
	uint8_t pkt[CSTP_HEADER_LEN + 256];
	vpn_ms_t last_rx;
	int len = 0;
	char rtt[32], blocked[64], dtls[256];

	/* Once only: a send failing below must not end the tunnel again. */
	if (!w->tunnel_up)
		return;
	w->tunnel_up = false;
	ev_io_stop(w->loop, &w->tun_r);
	ev_io_stop(w->loop, &w->tcp_r);
	ev_timer_stop(w->loop, &w->stats_timer);
	ev_prepare_stop(w->loop, &w->stats_check);
	vpn_ev_timer_stop(&w->timer);
	worker_dtls_stop(w);

	/* The goodbye goes right behind the pending record, not behind a
	 * queue of data the client no longer needs. */
	if (bye != VPN_BYE_NONE)
		sendq_purge_data(&w->sq);
	if (bye == VPN_BYE_DISCONNECT)
		len = cstp_encode_disconnect(pkt, sizeof(pkt), VPN_BYE_USER_DISCONNECT,
					     w->bye_text[0] != '\0' ? w->bye_text
								    : vpn_end_reason_text(reason));
	else if (bye == VPN_BYE_TERMINATE)
		len = cstp_encode_terminate(pkt, sizeof(pkt));
	if (len < 0)
		log_err("encoding the goodbye: %s", cstp_strerror(len));
	else if (len > 0)
		(void)worker_send_record(w, SENDQ_CONTROL, pkt, (size_t)len);

	vpn_tunnel_snapshot(&w->t, now, &snap);
	worker_dtls_describe(w, dtls, sizeof(dtls), now);
	last_rx = snap.last_rx_ms[VPN_CHAN_CSTP];
	if (last_rx == VPN_NEVER || last_rx < w->tunnel_start_ms)
		last_rx = w->tunnel_start_ms;
	if (snap.last_rtt_ms[VPN_CHAN_CSTP] != VPN_NEVER)
		snprintf(rtt, sizeof(rtt), "%" PRIu64 " ms", snap.last_rtt_ms[VPN_CHAN_CSTP]);
	else
		snprintf(rtt, sizeof(rtt), "none");
	if (snap.send_blocked_ms != VPN_NEVER && now >= snap.send_blocked_ms)
		snprintf(blocked, sizeof(blocked), "%" PRIu64 " ms (%zu records queued)",
			 now - snap.send_blocked_ms, w->sq.count);
	else
		snprintf(blocked, sizeof(blocked), "no");
	log_info("tunnel ended: reason=%s user=%s session=%s client=%s ip=%s last rx %" PRIu64
		 " ms ago, up %" PRIu64 " ms, rx %" PRIu64 " pkts/%" PRIu64 " B, tx %" PRIu64
		 " pkts/%" PRIu64 " B, dpd probes %" PRIu64 "/%" PRIu64 " answered, rtt %s, "
		 "send blocked %s, dropped %" PRIu64 ", goodbye %s, dtls %s",
		 vpn_end_reason_str(reason), LOG_ESC(w->username != NULL ? w->username : "?"),
		 w->session_id != NULL ? w->session_id : "?", w->remote_ip, w->ipv4,
		 now >= last_rx ? now - last_rx : 0,
		 now - w->tunnel_start_ms, snap.rx_packets, snap.rx_bytes, snap.tx_packets,
		 snap.tx_bytes, snap.probes_answered[VPN_CHAN_CSTP],
		 snap.probes_sent[VPN_CHAN_CSTP], rtt, blocked, w->tun_rx_dropped + w->sq.dropped_data,
		 vpn_goodbye_str(bye), dtls);

	down.reason = (uint32_t)reason;
	down.reason_text = (char *)vpn_end_reason_str(reason);
	stats_fill(w, &snap, &st, now);
	down.stats = &st;
	(void)worker_ipc_send(w, IPC_TUNNEL_DOWN, &down.base);
	worker_close(w, bye != VPN_BYE_NONE, 0);
}

void worker_tunnel_cleanup(struct worker *w)
{
	if (w->loop != NULL && w->timer.loop != NULL)
		vpn_ev_timer_stop(&w->timer);
	if (w->tun_fd >= 0) {
		close(w->tun_fd);
		w->tun_fd = -1;
	}
	worker_dtls_cleanup(w);
	free(w->session_id);
	free(w->username);
	free(w->ports);
	w->ports = NULL;
	free(w->routes);
	w->routes = NULL;
	w->n_routes = 0;
	free(w->iroutes);
	w->iroutes = NULL;
	w->n_iroutes = 0;
	w->session_id = w->username = NULL;
}
