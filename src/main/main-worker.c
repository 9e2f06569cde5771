/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* accept4 */

/*
 * Worker processes, seen from main: one per accepted TCP connection,
 * fork + exec of ocserv-modern-worker with the TCP socket as fd 3, its end
 * of a SOCK_SEQPACKET socketpair as fd 4 and its end of the key channel to
 * sec-mod as fd 5 (sec-mod/sec-mod-key.h). Then main answers what the worker
 * asks over IPC (src/common/ipc.h), with sec-mod's help (main-secmod.h):
 *
 *   AuthRequest         bans here; password, max-same-clients and the new
 *                       session in sec-mod -> AuthReply (cookie)
 *   SessionOpenRequest  cookie -> session in sec-mod; here the IPv4 lease
 *                       and the tun device (kept ones reused)
 *                       -> SessionOpenReply (+ tun fd) or 401/503
 *   TunnelUp            the CONNECT was answered
 *   TunnelStats         counters (passed on to sec-mod)
 *   TunnelDown          the tunnel ended: sec-mod's session machine decides
 *                       (doc/spec/liveness.md §2.1) whether the session waits or
 *                       ends; main keeps or frees the lease and the device
 *                       when it hears which (SmSession)
 *   ProbeReply          is the client alive (max-same-clients, for sec-mod)
 *
 * A worker that exits without TunnelDown while holding a session counts as
 * worker-crashed (the session waits to resume). Main never blocks on a
 * worker: its IPC socket is non-blocking, and a worker that sends garbage,
 * or whose socket is full, is logged and sent SIGTERM (SIGKILL
 * MAIN_KILL_GRACE_S later).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "common/ipc.h"
#include "common/log.h"
#include "main/main-ctl.h"
#include "main/main-events.h"
#include "main/main-metrics.h"
#include "main/main-script.h"
#include "main/main-secmod.h"
#include "main/main.h"
#include "main/main-udp.h"
#include "main/script-env.h"
#include "sec-mod/sec-mod.h"

/* Link MTU when the config sets none (the tun default). */
#define MAIN_LINK_MTU_DEFAULT 1500u
/* A client base MTU below this is ignored (the IPv4 minimum datagram). */
#define MAIN_LINK_MTU_MIN 576u

static vpn_ms_t now_ms(void)
{
	return vpn_now_ms();
}

static struct worker_proc *find_pid(struct server *srv, pid_t pid)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->pid == pid)
			return w;
	return NULL;
}

static struct worker_proc *find_request(struct server *srv, uint64_t id)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (id != 0 && w->sm_request == id)
			return w;
	return NULL;
}

static struct worker_proc *find_by_session(struct server *srv, uint64_t serial)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (serial != 0 && w->session_serial == serial)
			return w;
	return NULL;
}

/* One timer per worker, three uses: the auth backstop while it has no
 * session, the exit deadline once its tunnel ended or it was told to go,
 * and SIGKILL after SIGTERM. */
static void kill_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker_proc *w = t->data;

	if (w->exited)
		return;
	if (w->sigterm_sent) {
		log_warn("worker %ld did not exit after SIGTERM: SIGKILL", (long)w->pid);
		kill(w->pid, SIGKILL);
		return;
	}
	if (w->state == WORKER_DOWN || w->terminate_sent)
		log_warn("worker %ld (%s) still running %.0f s after %s", (long)w->pid,
			 w->remote_ip, MAIN_EXIT_GRACE_S,
			 w->state == WORKER_DOWN ? "its tunnel ended" : "it was told to finish");
	else
		log_info("worker %ld (%s) did not open a session in time: closing it",
			 (long)w->pid, w->remote_ip);
	main_kill_worker(ev_userdata(loop), w, NULL);
}

static void arm_timer(struct server *srv, struct worker_proc *w, double seconds)
{
	ev_timer_stop(srv->loop, &w->timer_w);
	ev_timer_set(&w->timer_w, seconds, 0.);
	ev_timer_start(srv->loop, &w->timer_w);
}

void main_kill_worker(struct server *srv, struct worker_proc *w, const char *why)
{
	if (w->sigterm_sent || w->exited)
		return;
	if (why != NULL)
		log_warn("worker %ld (%s): %s: terminating it", (long)w->pid, w->remote_ip, why);
	w->sigterm_sent = true;
	if (kill(w->pid, SIGTERM) < 0 && errno != ESRCH)
		log_err("kill(%ld, SIGTERM): %s", (long)w->pid, strerror(errno));
	arm_timer(srv, w, MAIN_KILL_GRACE_S);
}

/* Send or kill: a worker that cannot take a message is of no use (one that
 * is exiting is left to exit). */
static int send_to(struct server *srv, struct worker_proc *w, enum ipc_type type,
		   const ProtobufCMessage *msg, int fd)
{
	int r;

	if (w->ipc_fd < 0)
		return -EPIPE;
	r = ipc_send(w->ipc_fd, type, msg, fd);
	if (r == -EPIPE) {
		/* It closed its end: it is exiting (told to, or its tunnel
		 * ended). Not an error: what it sent before is still read
		 * (ipc_cb), and its exit is reaped as usual. */
		log_debug("worker %ld is exiting: %s not sent", (long)w->pid, ipc_type_str(type));
		return r;
	}
	if (r < 0) {
		char why[128];

		snprintf(why, sizeof(why), "sending %s: %s", ipc_type_str(type), ipc_strerror(r));
		main_kill_worker(srv, w, why);
	}
	return r;
}

static void send_terminate(struct server *srv, struct worker_proc *w, enum vpn_end_reason r)
{
	Terminate t = TERMINATE__INIT;

	t.reason = (uint32_t)r;
	if (send_to(srv, w, IPC_TERMINATE, &t.base, -1) == 0 && !w->sigterm_sent) {
		w->terminate_sent = true;
		arm_timer(srv, w, MAIN_EXIT_GRACE_S);
	}
}

/* --- main's session records ------------------------------------------------ */

static struct main_lease *msess_find(struct server *srv, uint64_t serial)
{
	for (struct main_lease *m = srv->msessions; m != NULL; m = m->next)
		if (serial != 0 && m->serial == serial)
			return m;
	return NULL;
}

/* The record of s, created on its first CONNECT. NULL: out of memory. */
static struct main_lease *msess_get(struct server *srv, const struct secmod_session *s)
{
	struct main_lease *m = msess_find(srv, s->serial);

	if (m != NULL)
		return m;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->username = strdup(s->username);
	m->group = strdup(s->group);
	if (m->username == NULL || m->group == NULL) {
		free(m->username);
		free(m->group);
		free(m);
		return NULL;
	}
	m->serial = s->serial;
	memcpy(m->sid, s->sid, sizeof(m->sid));
	m->tun.fd = -1;
	m->first_attach_ms = VPN_NEVER;
	m->next = srv->msessions;
	if (srv->msessions != NULL)
		srv->msessions->prev = m;
	srv->msessions = m;
	return m;
}

/* Release the lease, close main's copy of the device, free the record. */
static void msess_free(struct server *srv, struct main_lease *m)
{
	if (m->has_lease)
		ippool_release(&srv->pool, m->serial);
	tun_close(&m->tun);
	if (m->prev)
		m->prev->next = m->next;
	else
		srv->msessions = m->next;
	if (m->next)
		m->next->prev = m->prev;
	free(m->username);
	free(m->group);
	free(m);
}

/* A tunnel of m ended: its counters join the session's. */
static void msess_add_tunnel_stats(struct main_lease *m, const struct worker_proc *w)
{
	m->bytes_in += w->bytes_in;
	m->bytes_out += w->bytes_out;
	m->packets_in += w->packets_in;
	m->packets_out += w->packets_out;
}

/* The session of m waits to resume: the lease stays; the device too, with
 * keep-tun-on-resume. */
static void msess_detach(struct server *srv, struct main_lease *m, const struct secmod_session *s)
{
	char ip[INET_ADDRSTRLEN] = "?", kept[IFNAMSIZ + 32];

	m->worker_pid = 0;
	if (!srv->cfg.keep_tun_on_resume)
		tun_close(&m->tun);
	if (m->has_lease)
		inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
	if (m->tun.fd >= 0)
		snprintf(kept, sizeof(kept), "%s and device %s kept", ip, m->tun.name);
	else
		snprintf(kept, sizeof(kept), "%s kept, device closed", ip);
	log_info("session %.*s of user '%s' waits to resume (%s, for %u s at most)",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), kept,
		 (unsigned)(vpn_ms_until(vpn_session_expiry(&s->m), vpn_now_ms()) / 1000));
}

/* --- sessions ending -------------------------------------------------------- */

static void run_disconnect_script(struct server *srv, const struct main_lease *m,
				  const struct secmod_session *s, uint64_t bytes_in, uint64_t bytes_out);
static void open_reply_refuse(struct server *srv, struct worker_proc *w, uint32_t status,
			      const char *reason);
static void tunnel_detached(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason);

/* sec-mod ended the session s (a snapshot): free what main holds for it,
 * run the disconnect-script, and tell its worker, if one still has the
 * tunnel, to say goodbye. */
static void session_released(struct server *srv, const struct secmod_session *s)
{
	struct worker_proc *w = find_by_session(srv, s->serial);
	struct main_lease *m = msess_find(srv, s->serial);

	if (m != NULL) {
		char ip[INET_ADDRSTRLEN] = "no address", dev[IFNAMSIZ + 16] = "no device";
		uint64_t in = m->bytes_in + (w != NULL ? w->bytes_in : 0);
		uint64_t out = m->bytes_out + (w != NULL ? w->bytes_out : 0);

		if (m->has_lease)
			inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
		if (m->tun.fd >= 0)
			snprintf(dev, sizeof(dev), "device %s", m->tun.name);
		log_info("session %.*s of user '%s' released %s, %s (%s, rx %llu B, tx %llu B)",
			 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), ip, dev,
			 vpn_end_reason_str(s->m.end_reason), (unsigned long long)in,
			 (unsigned long long)out);
		run_disconnect_script(srv, m, s, in, out);
		msess_free(srv, m);
	}
	if (w != NULL) {
		if (w->script_pending) {
			/* ended while its connect-script ran: the CONNECT waits */
			w->script_pending = false;
			open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
			tunnel_detached(srv, w, VPN_END_TUNNEL_LOST);
			w->state = WORKER_DOWN;
			if (!w->sigterm_sent && !w->exited)
				arm_timer(srv, w, MAIN_EXIT_GRACE_S);
		} else if (w->state != WORKER_DOWN && !w->terminate_sent) {
			/* A session-level end (session-timeout, admin, shutdown,
			 * superseded) while a tunnel is attached: the worker says
			 * goodbye to the client. It stays attached until its
			 * TunnelDown, which tells sec-mod that no worker holds the
			 * ended record any more (it is then reaped). */
			send_terminate(srv, w, s->m.end_reason);
		}
	}
}

void main_terminate_all(struct server *srv)
{
	SmTerminate t = SM_TERMINATE__INIT;
	enum vpn_end_reason r = srv->sessions_kept ? VPN_END_SERVER_RESTART
						   : VPN_END_SERVER_SHUTDOWN;

	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->state != WORKER_DOWN && !w->sigterm_sent && !w->exited)
			send_terminate(srv, w, r);
	if (srv->sessions_kept)
		return; /* they wait in the store, for the next start */
	/* the sessions without a tunnel end too */
	t.serial = 0;
	t.reason = VPN_END_SERVER_SHUTDOWN;
	(void)main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
}

void main_mirror_end(void *opaque, struct secmod_session *s)
{
	struct server *srv = opaque;
	SmTerminate t = SM_TERMINATE__INIT;

	s->ended_locally = true;
	t.serial = s->serial;
	t.reason = (uint32_t)s->m.end_reason;
	(void)main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
}

/* A session sec-mod restored from the session store at start: its address
 * is reserved before any new session can take it (sec-mod sends these
 * before it answers anything). No device yet: the resume creates one. The
 * connect-script let it in before the restart: it does not run again, the
 * disconnect-script runs at its end. */
static void msess_restore(struct server *srv, const struct secmod_session *s)
{
	struct in_addr want = { .s_addr = s->ipv4 }, got;
	char ip[INET_ADDRSTRLEN];
	struct main_lease *m;
	int rc;

	if (s->m.attaches == 0 || msess_find(srv, s->serial) != NULL)
		return; /* never let in: nothing to keep yet */
	m = msess_get(srv, s);
	if (m == NULL) {
		log_err("restoring session %.*s: out of memory", (int)SESSION_ID_SHORT_LEN, s->sid);
		return;
	}
	m->scripts_connected = true;
	m->waiting = true;
	m->tunnels = s->m.attaches;
	m->bytes_in = s->done.bytes_in;
	m->bytes_out = s->done.bytes_out;
	m->packets_in = s->done.packets_in;
	m->packets_out = s->done.packets_out;
	snprintf(m->last_remote_ip, sizeof(m->last_remote_ip), "%s", s->last_remote_ip);
	inet_ntop(AF_INET, &want, ip, sizeof(ip));
	if (s->ipv4 == 0 || !ippool_contains(&srv->pool, want)) {
		log_warn("session %.*s of user '%s' restored without its address %s (%s): a "
			 "resume gets a new one", (int)SESSION_ID_SHORT_LEN, s->sid, s->username,
			 s->ipv4 != 0 ? ip : "none", s->ipv4 != 0 ? "not in ipv4-network" : "unknown");
		return;
	}
	/* the seed that makes the pool start its search at this address */
	rc = ippool_lease(&srv->pool, s->serial, ntohl(want.s_addr) - srv->pool.first, &got);
	if (rc == 0 && got.s_addr != want.s_addr) {
		ippool_release(&srv->pool, s->serial);
		rc = -EADDRINUSE;
	}
	if (rc < 0) {
		log_warn("session %.*s of user '%s' restored without its address %s: %s",
			 (int)SESSION_ID_SHORT_LEN, s->sid, s->username, ip, strerror(-rc));
		return;
	}
	m->has_lease = true;
	m->ipv4 = got;
	log_info("session %.*s of user '%s' restored: %s reserved", (int)SESSION_ID_SHORT_LEN,
		 s->sid, s->username, ip);
}

/* A record from sec-mod: update the mirror, then act on the state. */
int main_on_sm_session(struct server *srv, const SmSession *msg)
{
	struct secmod_session snap, *s = session_table_find_serial(srv->sessions, msg->serial);
	struct worker_proc *w = find_by_session(srv, msg->serial);
	struct main_lease *m = msess_find(srv, msg->serial);
	bool was_ended = s != NULL && s->m.state == VPN_SESSION_ENDED && !s->ended_locally;

	if (secmod_session_from_msg(msg, &snap) < 0) {
		log_err("sec-mod sent an invalid session record (serial %llu)",
			(unsigned long long)msg->serial);
		return -EINVAL;
	}
	if (msg->has_forget && msg->forget) {
		if (s != NULL)
			session_table_forget(srv->sessions, s);
		return 0;
	}
	snap.worker_pid = w != NULL ? w->pid : 0;
	main_events_session(srv, s, was_ended, &snap);
	if (session_table_mirror_update(srv->sessions, &snap) == NULL)
		log_err("mirroring session %.*s: %s", (int)SESSION_ID_SHORT_LEN, snap.sid,
			strerror(errno));
	if (m == NULL && snap.restarts > 0 && s == NULL) {
		msess_restore(srv, &snap);
		m = msess_find(srv, msg->serial);
	}
	switch (snap.m.state) {
	case VPN_SESSION_ENDED:
		if (!was_ended)
			main_ctl_count_session_end(srv, snap.m.end_reason);
		session_released(srv, &snap);
		break;
	case VPN_SESSION_WAITING:
		if (m != NULL && m->worker_pid == 0 && !m->waiting) {
			m->waiting = true;
			msess_detach(srv, m, &snap);
		}
		break;
	case VPN_SESSION_AUTHENTICATED:
	case VPN_SESSION_ACTIVE:
		break;
	}
	return 0;
}

/* --- AuthRequest ---------------------------------------------------------- */

static void auth_reply_fail(struct server *srv, struct worker_proc *w, const char *msg, bool banned)
{
	AuthReply r = AUTH_REPLY__INIT;

	r.ok = false;
	r.message = (char *)msg;
	if (banned) {
		r.has_banned = true;
		r.banned = true;
	}
	send_to(srv, w, IPC_AUTH_REPLY, &r.base, -1);
}

/* Points for w's address; true when they banned it (logged). */
static bool add_ban_points(struct server *srv, struct worker_proc *w, uint32_t points)
{
	bool banned = ban_add_points(srv->bans, &w->addr, points, now_ms());

	if (banned)
		log_warn("address %s banned for %u s (ban score reached %u)", w->remote_ip,
			 srv->cfg.min_reauth_time_s, srv->cfg.max_ban_score);
	return banned;
}

/* A user name or group with control characters (or bytes that are not
 * UTF-8) is no login but an attempt at the logs or the password file:
 * refused here, with ban points. */
static bool login_text_refused(struct server *srv, struct worker_proc *w, const AuthRequest *req)
{
	if (!log_text_suspect(req->username) && !log_text_suspect(req->group))
		return false;
	log_warn("login from %s refused: user name '%s' or group '%s' has control characters "
		 "(+%u ban points)", w->remote_ip, LOG_ESC(req->username),
		 LOG_ESC(req->group != NULL ? req->group : ""), BAN_POINTS_CONTROL_CHARS);
	main_ctl_count_auth(srv, false);
	auth_reply_fail(srv, w, "Authentication failed",
			add_ban_points(srv, w, BAN_POINTS_CONTROL_CHARS));
	return true;
}

/* Bans are main's (it sees the connections); the password, max-same-clients
 * and the new session are sec-mod's. */
static void on_auth_request(struct server *srv, struct worker_proc *w, AuthRequest *req)
{
	SmAuthRequest q = SM_AUTH_REQUEST__INIT;
	AuthRequest a = *req;
	int r;

	if (w->session_serial != 0 || w->state != WORKER_AUTH || w->sm_request != 0) {
		main_kill_worker(srv, w, "AuthRequest out of turn");
		return;
	}
	if (ban_is_banned(srv->bans, &w->addr, now_ms())) {
		log_info("login of '%s' from %s refused: address banned", LOG_ESC(req->username), w->remote_ip);
		auth_reply_fail(srv, w, "banned", true);
		return;
	}
	if (login_text_refused(srv, w, req))
		return;
	/* the address main accepted, not what the worker says */
	a.remote_ip = w->remote_ip;
	q.request_id = main_secmod_request_id(srv);
	q.auth = &a;
	r = main_secmod_send_login(srv, &q);
	/* passed on: no copy of the password stays in main's memory */
	explicit_bzero(req->password, strlen(req->password));
	if (r < 0) {
		auth_reply_fail(srv, w, "Server not ready", false);
		return;
	}
	w->sm_request = q.request_id;
}

void main_on_sm_auth_reply(struct server *srv, const SmAuthReply *r)
{
	struct worker_proc *w = find_request(srv, r->request_id);

	if (w == NULL) {
		log_debug("sec-mod answered login %llu of a worker that is gone",
			  (unsigned long long)r->request_id);
		return;
	}
	w->sm_request = 0;
	if (w->exited || w->sigterm_sent)
		return;
	if (!r->reply->ok) {
		bool banned = false;

		if (r->has_bad_credentials && r->bad_credentials)
			banned = add_ban_points(srv, w, BAN_POINTS_WRONG_PASSWORD);
		if (!(r->has_too_many && r->too_many))
			main_ctl_count_auth(srv, false);
		auth_reply_fail(srv, w, r->reply->message != NULL ? r->reply->message
								   : "Authentication failed", banned);
		return;
	}
	main_ctl_count_auth(srv, true);
	send_to(srv, w, IPC_AUTH_REPLY, &r->reply->base, -1);
}

/* --- SessionOpenRequest --------------------------------------------------- */

static void open_reply_refuse(struct server *srv, struct worker_proc *w, uint32_t status,
			      const char *reason)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;

	r.status = status;
	r.reason = (char *)reason;
	send_to(srv, w, IPC_SESSION_OPEN_REPLY, &r.base, -1);
}

static uint32_t lease_seed(const struct server *srv, const struct secmod_session *s)
{
	uint32_t seed;

	if (srv->cfg.predictable_ips)
		return ippool_user_seed(s->username);
	if (gnutls_rnd(GNUTLS_RND_NONCE, &seed, sizeof(seed)) < 0)
		seed = (uint32_t)s->serial * 2654435761u;
	return seed;
}

/* Link MTU for the tun device: `mtu`, else 1500, capped by the client's
 * X-CSTP-Base-MTU (0: not sent). The worker lowers the device to the data
 * MTU once it knows its TLS overhead (worker-connect.h: cstp_mtu_compute). */
static unsigned link_mtu(const struct server *srv, unsigned client_base_mtu)
{
	unsigned mtu = srv->cfg.mtu ? srv->cfg.mtu : MAIN_LINK_MTU_DEFAULT;

	if (client_base_mtu >= MAIN_LINK_MTU_MIN && client_base_mtu < mtu)
		mtu = client_base_mtu;
	return mtu;
}

static uint32_t sat_u32(vpn_ms_t ms)
{
	vpn_ms_t s = ms / 1000;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* A CONNECT: the cookie goes to sec-mod; main_on_sm_open_reply goes on. */
static void on_session_open(struct server *srv, struct worker_proc *w,
			    const SessionOpenRequest *req)
{
	SmOpenRequest q = SM_OPEN_REQUEST__INIT;

	if (w->session_serial != 0 || w->state != WORKER_AUTH || w->sm_request != 0) {
		main_kill_worker(srv, w, "a SessionOpenRequest out of turn");
		return;
	}
	w->open_mobile = req->has_mobile && req->mobile;
	snprintf(w->open_hostname, sizeof(w->open_hostname), "%s",
		 req->hostname != NULL ? req->hostname : "");
	w->open_base_mtu = req->has_client_base_mtu ? req->client_base_mtu : 0;
	snprintf(w->open_requested_ipv4, sizeof(w->open_requested_ipv4), "%s",
		 req->requested_ipv4 != NULL ? req->requested_ipv4 : "");
	q.request_id = main_secmod_request_id(srv);
	q.cookie = req->cookie;
	q.remote_ip = w->remote_ip;
	q.has_worker_pid = true;
	q.worker_pid = (uint32_t)w->pid;
	if (main_secmod_send(srv, IPC_SM_OPEN_REQUEST, &q.base) < 0) {
		open_reply_refuse(srv, w, 503, "server not ready");
		return;
	}
	w->sm_request = q.request_id;
}

/* sec-mod attached a tunnel that will never come (the worker is gone, or
 * main could not give it an address or a device): end it as reason. */
static void open_abandoned(struct server *srv, uint64_t serial, uint32_t attach,
			   enum vpn_end_reason reason)
{
	SmTunnelDown d = SM_TUNNEL_DOWN__INIT;

	d.serial = serial;
	d.reason = (uint32_t)reason;
	d.has_attach = true;
	d.attach = attach;
	(void)main_secmod_send(srv, IPC_SM_TUNNEL_DOWN, &d.base);
}

/* The session's connect-script for w's CONNECT (main-script.h). */
static int run_connect_script(struct server *srv, struct worker_proc *w, const struct secmod_session *s,
			      const struct main_lease *m)
{
	char ip[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	struct in_addr l = ippool_server_addr(&srv->pool);
	struct script_info in = {
		.username = s->username, .group = s->group, .device = m->tun.name,
		.ip_real = w->remote_ip, .ip_real_local = w->local_ip,
		.remote_hostname = w->open_hostname, .ip_local = local, .ip_remote = ip,
		.id = s->serial, .session_id = s->sid, .cfg = &srv->cfg,
	};
	char **env;
	int r;

	inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
	inet_ntop(AF_INET, &l, local, sizeof(local));
	env = script_env_build(&in);
	if (env == NULL)
		return -ENOMEM;
	r = main_script_run(srv, MAIN_SCRIPT_CONNECT, srv->cfg.connect_script, env, s->serial,
			    w->pid);
	free(env);
	return r;
}

/* The session's disconnect-script, at its end (s: sec-mod's last word). */
static void run_disconnect_script(struct server *srv, const struct main_lease *m,
				  const struct secmod_session *s, uint64_t bytes_in, uint64_t bytes_out)
{
	char ip[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	struct in_addr l = ippool_server_addr(&srv->pool);
	vpn_ms_t now = now_ms();
	struct script_info in = {
		.disconnect = true,
		.username = m->username, .group = m->group, .device = m->tun.name,
		.ip_real = m->last_remote_ip, .ip_real_local = m->local_ip,
		.remote_hostname = m->hostname, .ip_local = local, .ip_remote = ip,
		.id = m->serial, .session_id = m->sid, .cfg = &srv->cfg,
		.bytes_in = bytes_in, .bytes_out = bytes_out,
		.duration_s = m->first_attach_ms != VPN_NEVER && now > m->first_attach_ms
			      ? (now - m->first_attach_ms) / 1000 : 0,
		.end_reason = vpn_end_reason_str(s->m.end_reason),
		.resumes = s->m.resumes,
	};
	char **env;

	if (srv->cfg.disconnect_script == NULL || !m->scripts_connected)
		return;
	inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
	inet_ntop(AF_INET, &l, local, sizeof(local));
	env = script_env_build(&in);
	if (env == NULL) {
		log_err("disconnect-script of session %.*s: out of memory",
			(int)SESSION_ID_SHORT_LEN, m->sid);
		return;
	}
	(void)main_script_run(srv, MAIN_SCRIPT_DISCONNECT, srv->cfg.disconnect_script, env,
			      m->serial, 0);
	free(env);
}

/* The connect-script did not let w in: 401, and the session ends (the
 * disconnect-script does not run for a session that was never let in). */
static void connect_refused(struct server *srv, struct worker_proc *w, const char *why)
{
	SmTerminate t = SM_TERMINATE__INIT;
	uint64_t serial = w->session_serial;

	log_info("CONNECT from %s (user '%s'): %s: 401", w->remote_ip,
		 LOG_ESC(w->username != NULL ? w->username : "?"), why);
	open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
	/* end the session first, then its (never started) tunnel, so that it
	 * does not wait to be resumed in between */
	t.serial = serial;
	t.reason = VPN_END_ADMIN_TERMINATE;
	(void)main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
	tunnel_detached(srv, w, VPN_END_TUNNEL_LOST);
	w->state = WORKER_DOWN;
	if (!w->sigterm_sent && !w->exited)
		arm_timer(srv, w, MAIN_EXIT_GRACE_S);
}

/* Answer w's CONNECT with 200 and the session's device (it is attached:
 * w->session_serial, its main_lease). */
static void send_open_reply(struct server *srv, struct worker_proc *w)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;
	struct config_tunnel_timers tt;
	char ipv4[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	char **dns = NULL, **routes = NULL, **no_routes = NULL;
	struct secmod_session *s = session_table_find_serial(srv->sessions, w->session_serial);
	struct main_lease *m = msess_find(srv, w->session_serial);
	enum vpn_connect_result cr = w->open_result;
	bool new_tun = w->open_new_tun;

	if (s == NULL || m == NULL || s->m.state == VPN_SESSION_ENDED || m->tun.fd < 0) {
		/* ended while its connect-script ran */
		log_info("CONNECT from %s: the session ended meanwhile: 401", w->remote_ip);
		w->session_serial = 0;
		open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
		return;
	}
	config_tunnel_timers(&srv->cfg, w->open_mobile, &tt);
	inet_ntop(AF_INET, &m->ipv4, ipv4, sizeof(ipv4));
	{
		struct in_addr nm = ippool_netmask(&srv->pool), l = ippool_server_addr(&srv->pool);

		inet_ntop(AF_INET, &nm, mask, sizeof(mask));
		inet_ntop(AF_INET, &l, local, sizeof(local));
	}
	r.status = 200;
	r.reason = "CONNECTED";
	r.session_id = s->sid;
	r.username = s->username;
	r.group = s->group;
	r.tun_name = m->tun.name;
	r.ipv4 = ipv4;
	r.ipv4_netmask = mask;
	r.ipv4_local = local;
	dns = calloc(srv->cfg.n_dns + 1, sizeof(*dns));
	routes = calloc(srv->cfg.n_routes + 1, sizeof(*routes));
	no_routes = calloc(srv->cfg.n_no_routes + 1, sizeof(*no_routes));
	if (dns == NULL || routes == NULL || no_routes == NULL) {
		log_err("session reply for %s: out of memory", w->remote_ip);
		free(dns);
		free(routes);
		free(no_routes);
		main_kill_worker(srv, w, "out of memory");
		return;
	}
	for (size_t i = 0; i < srv->cfg.n_dns; i++)
		dns[i] = srv->cfg.dns[i].text;
	for (size_t i = 0; i < srv->cfg.n_routes; i++)
		routes[i] = srv->cfg.routes[i].text;
	for (size_t i = 0; i < srv->cfg.n_no_routes; i++)
		no_routes[i] = srv->cfg.no_routes[i].text;
	r.n_dns = srv->cfg.n_dns;
	r.dns = dns;
	r.n_routes = srv->cfg.n_routes;
	r.routes = routes;
	r.n_no_routes = srv->cfg.n_no_routes;
	r.no_routes = no_routes;
	r.default_domain = srv->cfg.default_domain;
	r.has_mtu = true;
	r.mtu = m->tun.mtu;
	r.has_dtls_port = true;
	r.dtls_port = main_udp_port(srv);
	r.has_dpd = r.has_dpd_retries = r.has_keepalive = r.has_idle_timeout = true;
	r.has_session_timeout = r.has_session_remaining = r.has_cookie_timeout = true;
	r.has_switch_to_tcp_timeout = r.has_persistent_cookies = true;
	r.dpd = tt.dpd_s;
	r.dpd_retries = tt.dpd_retries;
	r.keepalive = tt.keepalive_s;
	r.idle_timeout = tt.idle_timeout_s;
	/* the session's own values (fixed at authentication), not the
	 * current config: a reload does not change a running session */
	r.session_timeout = sat_u32(s->m.cfg.session_timeout_ms);
	/* counted from authentication by sec-mod, rounded up */
	r.session_remaining = w->open_remaining;
	r.cookie_timeout = sat_u32(s->m.cfg.cookie_timeout_ms);
	r.switch_to_tcp_timeout = tt.switch_to_tcp_timeout_s;
	r.persistent_cookies = s->m.cfg.persistent_cookies;

	if (w->open_requested_ipv4[0] != '\0' && strcmp(w->open_requested_ipv4, ipv4) != 0)
		log_info("client %s asked for %s, session %.*s has %s", w->remote_ip,
			 w->open_requested_ipv4, (int)SESSION_ID_SHORT_LEN, s->sid, ipv4);
	log_info("%s session %.*s of user '%s' from %s: %s %s peer %s, mtu %u%s%s",
		 vpn_connect_result_str(cr), (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username),
		 w->remote_ip, m->tun.name, local, ipv4, m->tun.mtu,
		 new_tun ? "" : " (kept device)", tt.mobile ? " (mobile)" : "");
	send_to(srv, w, IPC_SESSION_OPEN_REPLY, &r.base, m->tun.fd);
	free(dns);
	free(routes);
	free(no_routes);
}


void main_open_continue(struct server *srv, uint64_t serial, pid_t worker_pid, bool ok)
{
	struct worker_proc *w = find_pid(srv, worker_pid);
	struct main_lease *m = msess_find(srv, serial);

	if (w == NULL || !w->script_pending || w->session_serial != serial || w->exited) {
		/* the worker went (or the session ended) while the script ran */
		if (w != NULL)
			w->script_pending = false;
		if (!ok && m != NULL) {
			SmTerminate t = SM_TERMINATE__INIT;

			t.serial = serial;
			t.reason = VPN_END_ADMIN_TERMINATE;
			(void)main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
		} else if (m != NULL) {
			m->scripts_connected = true;
		}
		return;
	}
	w->script_pending = false;
	if (!ok) {
		connect_refused(srv, w, "refused by the connect-script");
		return;
	}
	if (m != NULL)
		m->scripts_connected = true;
	send_open_reply(srv, w);
}

/* The IPv4 lease and the device for w's CONNECT to the session s (m: main's
 * record of it). The lease (and a kept device) of a resumed session are
 * reused as they are: same address, same netmask, same device
 * (doc/spec/interop.md §0 rule 8). Returns NULL, with *new_tun saying
 * whether the device is new, or the reason of the 503 (logged); a lease
 * made here is then released. */
static const char *lease_and_tun(struct server *srv, const struct worker_proc *w,
				 const struct secmod_session *s, struct main_lease *m, bool *new_tun)
{
	bool new_lease = false;
	int rc;

	*new_tun = false;
	if (!m->has_lease) {
		rc = ippool_lease(&srv->pool, s->serial, lease_seed(srv, s), &m->ipv4);
		if (rc < 0) {
			log_warn("no IPv4 address for user '%s': %s", LOG_ESC(s->username),
				 rc == -ENOSPC ? "the pool is exhausted" : strerror(-rc));
			return "no free IP address";
		}
		m->has_lease = true;
		new_lease = true;
	}
	if (m->tun.fd < 0) {
		rc = tun_create(srv->tun, srv->cfg.device, ippool_server_addr(&srv->pool), m->ipv4,
				link_mtu(srv, w->open_base_mtu), &m->tun);
		if (rc < 0) {
			if (new_lease) {
				ippool_release(&srv->pool, s->serial);
				m->has_lease = false;
			}
			return "could not create the tun device";
		}
		*new_tun = true;
	}
	return NULL;
}

/* sec-mod attached w to the session serial: find it in the mirror, count the
 * CONNECT, and get main's record, the lease and the device. Returns NULL
 * with *sp, *mp and *new_tun set, or the reason of the 503 (logged). */
static const char *open_acquire(struct server *srv, struct worker_proc *w, const SmOpenReply *rep,
				struct secmod_session **sp, struct main_lease **mp, bool *new_tun)
{
	uint64_t serial = rep->session->serial;
	struct secmod_session *s;

	/* sec-mod sent the record before its reply: the mirror has it */
	s = session_table_find_serial(srv->sessions, serial);
	if (s == NULL || s->m.state != VPN_SESSION_ACTIVE) {
		log_err("CONNECT from %s: session %llu is not in main's mirror as active",
			w->remote_ip, (unsigned long long)serial);
		return "internal error";
	}
	main_ctl_count_connect(srv, rep->has_result ? (enum vpn_connect_result)rep->result
						    : VPN_CONNECT_FIRST);
	*sp = s;
	*mp = msess_get(srv, s);
	if (*mp == NULL) {
		log_err("CONNECT from %s: out of memory", w->remote_ip);
		return "out of memory";
	}
	return lease_and_tun(srv, w, s, *mp, new_tun);
}

/* Another worker held the session of s: it is taken over by w. */
static void take_over(struct server *srv, struct worker_proc *w, const struct secmod_session *s)
{
	struct worker_proc *old = find_by_session(srv, s->serial);

	if (old == NULL || old == w)
		return;
	log_info("session %.*s of user '%s' taken over by %s (worker %ld replaces %ld)",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), w->remote_ip,
		 (long)w->pid, (long)old->pid);
	old->session_serial = 0;
	old->taken_serial = s->serial;
	if (old->state != WORKER_DOWN)
		send_terminate(srv, old, VPN_END_TAKEOVER);
}

/* w holds the tunnel of s (m) from now on. */
static void attach_worker(struct server *srv, struct worker_proc *w, const SmOpenReply *rep,
			  struct secmod_session *s, struct main_lease *m, bool new_tun)
{
	s->worker_pid = w->pid;
	m->worker_pid = w->pid;
	m->waiting = false;
	m->tunnels++;
	snprintf(m->last_remote_ip, sizeof(m->last_remote_ip), "%s", w->remote_ip);
	snprintf(m->local_ip, sizeof(m->local_ip), "%s", w->local_ip);
	snprintf(m->hostname, sizeof(m->hostname), "%s", w->open_hostname);
	if (m->first_attach_ms == VPN_NEVER)
		m->first_attach_ms = now_ms();
	w->session_serial = s->serial;
	w->attach = rep->session->attaches;
	free(w->username);
	w->username = strdup(s->username);
	w->state = WORKER_OPENING;
	w->tun = m->tun;
	w->tun.fd = -1; /* display copy: the fd is the session's */
	w->bytes_in = w->bytes_out = w->packets_in = w->packets_out = 0;
	ev_timer_stop(srv->loop, &w->timer_w); /* the auth backstop is done */
	w->open_result = rep->has_result ? (enum vpn_connect_result)rep->result : VPN_CONNECT_FIRST;
	w->open_remaining = rep->has_session_remaining ? rep->session_remaining : 0;
	w->open_new_tun = new_tun;
}

void main_on_sm_open_reply(struct server *srv, const SmOpenReply *rep)
{
	struct worker_proc *w = find_request(srv, rep->request_id);
	uint64_t serial = rep->session != NULL ? rep->session->serial : 0;
	uint32_t attach = rep->session != NULL ? rep->session->attaches : 0;
	struct secmod_session *s = NULL;
	struct main_lease *m = NULL;
	const char *fail;
	bool new_tun, let_in;

	if (w != NULL)
		w->sm_request = 0;
	if (w == NULL || w->exited || w->sigterm_sent || w->state != WORKER_AUTH) {
		if (rep->status == 200 && serial != 0)
			open_abandoned(srv, serial, attach, VPN_END_WORKER_CRASHED);
		return;
	}
	if (rep->status != 200 || serial == 0) {
		log_info("CONNECT from %s: cookie not acceptable (%s): 401", w->remote_ip,
			 rep->reason != NULL ? rep->reason : "unknown, expired or ended session");
		open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
		return;
	}
	fail = open_acquire(srv, w, rep, &s, &m, &new_tun);
	if (fail != NULL) {
		/* the one way back: nothing of this CONNECT stays */
		if (m != NULL && m->worker_pid == 0 && m->tunnels == 0)
			msess_free(srv, m);
		open_reply_refuse(srv, w, 503, fail);
		open_abandoned(srv, serial, attach, VPN_END_TUNNEL_LOST);
		return;
	}
	take_over(srv, w, s);
	/* the connect-script runs until it has let the session in once (a
	 * second CONNECT while it runs must not slip past it) */
	let_in = m->scripts_connected;
	attach_worker(srv, w, rep, s, m, new_tun);
	if (!let_in && srv->cfg.connect_script != NULL) {
		/* the CONNECT is answered when the script has let the user in */
		if (run_connect_script(srv, w, s, m) == 0) {
			w->script_pending = true;
			return;
		}
		connect_refused(srv, w, "could not run the connect-script");
		return;
	}
	m->scripts_connected = true;
	send_open_reply(srv, w);
}

/* --- TunnelUp / TunnelStats / TunnelDown ---------------------------------- */

static struct secmod_session *worker_session(struct server *srv, struct worker_proc *w)
{
	return w->session_serial ? session_table_find_serial(srv->sessions, w->session_serial) : NULL;
}

static void on_tunnel_up(struct server *srv, struct worker_proc *w, const TunnelUp *up)
{
	struct secmod_session *s = worker_session(srv, w);
	SmTunnelUp u = SM_TUNNEL_UP__INIT;

	if (w->state != WORKER_OPENING) {
		main_kill_worker(srv, w, "TunnelUp without an opened session");
		return;
	}
	if (s != NULL && strcmp(up->session_id, s->sid) != 0) {
		main_kill_worker(srv, w, "TunnelUp for another session");
		return;
	}
	w->state = WORKER_TUNNEL;
	main_udp_tunnel_up(srv, w, up);
	main_events_tunnel_up(srv, w, up);
	log_info("tunnel up: user '%s' from %s on %s%s%s",
		 LOG_ESC(w->username ? w->username : "?"), w->remote_ip, w->tun.name,
		 up->tls_cipher ? ", " : "", up->tls_cipher ? up->tls_cipher : "");
	if (w->session_serial != 0) {
		struct main_lease *m = msess_find(srv, w->session_serial);

		u.serial = w->session_serial;
		u.remote_ip = w->remote_ip;
		u.has_worker_pid = true;
		u.worker_pid = (uint32_t)w->pid;
		/* the lease goes to the session store: a restart gives it back */
		u.has_ipv4 = m != NULL && m->has_lease;
		u.ipv4 = u.has_ipv4 ? m->ipv4.s_addr : 0;
		(void)main_secmod_send(srv, IPC_SM_TUNNEL_UP, &u.base);
	}
}

static void on_tunnel_stats(struct worker_proc *w, const TunnelStats *st)
{
	if (st->has_bytes_in)
		w->bytes_in = st->bytes_in;
	if (st->has_bytes_out)
		w->bytes_out = st->bytes_out;
	if (st->has_packets_in)
		w->packets_in = st->packets_in;
	if (st->has_packets_out)
		w->packets_out = st->packets_out;
}

/* The counters of w's tunnel, as sec-mod wants them. */
static void stats_of(const struct worker_proc *w, TunnelStats *st)
{
	tunnel_stats__init(st);
	st->has_bytes_in = st->has_bytes_out = st->has_packets_in = st->has_packets_out = true;
	st->bytes_in = w->bytes_in;
	st->bytes_out = w->bytes_out;
	st->packets_in = w->packets_in;
	st->packets_out = w->packets_out;
}

/* A periodic report: sec-mod keeps the session's running totals. */
static void pass_on_stats(struct server *srv, struct worker_proc *w)
{
	SmTunnelStats m = SM_TUNNEL_STATS__INIT;
	TunnelStats st;

	if (w->session_serial == 0 || w->state != WORKER_TUNNEL)
		return;
	stats_of(w, &st);
	m.serial = w->session_serial;
	m.stats = &st;
	m.has_attach = true;
	m.attach = w->attach;
	(void)main_secmod_send(srv, IPC_SM_TUNNEL_STATS, &m.base);
}

/* w's tunnel ended for reason (TunnelDown, or the worker died). sec-mod's
 * session machine decides (doc/spec/liveness.md §2.1) and tells main with an
 * SmSession: waiting keeps the lease and, with keep-tun-on-resume, the
 * device; ended frees them. A tunnel taken over from w only hands in its
 * counters. */
static void tunnel_detached(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason)
{
	SmTunnelDown d = SM_TUNNEL_DOWN__INIT;
	TunnelStats st;
	uint64_t serial = w->session_serial ? w->session_serial : w->taken_serial;
	struct main_lease *m = msess_find(srv, serial);
	struct secmod_session *s = session_table_find_serial(srv->sessions, serial);

	if (serial == 0)
		return;
	if (w->session_serial == 0)
		reason = VPN_END_TAKEOVER;
	w->session_serial = 0;
	w->taken_serial = 0;
	if (s != NULL && s->worker_pid == w->pid)
		s->worker_pid = 0;
	if (m != NULL) {
		msess_add_tunnel_stats(m, w);
		if (m->worker_pid == w->pid)
			m->worker_pid = 0;
	}
	stats_of(w, &st);
	d.serial = serial;
	d.reason = (uint32_t)reason;
	d.stats = &st;
	d.has_attach = true;
	d.attach = w->attach;
	(void)main_secmod_send(srv, IPC_SM_TUNNEL_DOWN, &d.base);
}

static void on_tunnel_down(struct server *srv, struct worker_proc *w, const TunnelDown *d)
{
	enum vpn_end_reason reason = (enum vpn_end_reason)d->reason;

	if (w->state != WORKER_OPENING && w->state != WORKER_TUNNEL) {
		main_kill_worker(srv, w, "TunnelDown without a tunnel");
		return;
	}
	if (d->reason == VPN_END_NONE || d->reason >= VPN_END_REASON_COUNT) {
		log_warn("worker %ld reported an unknown tunnel end reason %u: taken as %s",
			 (long)w->pid, d->reason, vpn_end_reason_str(VPN_END_TUNNEL_LOST));
		reason = VPN_END_TUNNEL_LOST;
	}
	if (d->stats != NULL) {
		on_tunnel_stats(w, d->stats);
		main_metrics_tunnel_stats(srv, w, d->stats);
	}
	w->state = WORKER_DOWN;
	main_udp_worker_gone(srv, w);
	if (!w->sigterm_sent && !w->exited)
		arm_timer(srv, w, MAIN_EXIT_GRACE_S);
	main_ctl_count_tunnel_end(srv, reason);
	main_events_tunnel_down(srv, w, reason);
	log_info("user '%s' disconnected from %s (reason: %s, rx: %llu, tx: %llu)",
		 LOG_ESC(w->username ? w->username : "?"), w->remote_ip, vpn_end_reason_str(reason),
		 (unsigned long long)w->bytes_in, (unsigned long long)w->bytes_out);
	tunnel_detached(srv, w, reason);
}

/* --- probes (max-same-clients, for sec-mod) ---------------------------------- */

static void probe_result(struct server *srv, uint64_t serial, bool alive)
{
	SmProbeResult r = SM_PROBE_RESULT__INIT;

	r.serial = serial;
	r.alive = alive;
	(void)main_secmod_send(srv, IPC_SM_PROBE_RESULT, &r.base);
}

void main_on_sm_probe(struct server *srv, const SmProbe *p)
{
	struct worker_proc *w = find_by_session(srv, p->serial);
	Probe q = PROBE__INIT;

	if (w != NULL && w->probe_request != 0)
		return; /* the probe in flight answers this one too */
	if (w == NULL || w->state != WORKER_TUNNEL || w->exited || w->sigterm_sent) {
		/* no tunnel up to ask (being attached, or ending): sec-mod's
		 * view of the session will change anyway; say "alive" so that
		 * nothing is ended on a guess */
		probe_result(srv, p->serial, true);
		return;
	}
	q.request_id = main_secmod_request_id(srv);
	q.min_silence_ms = p->min_silence_ms;
	q.grace_ms = p->grace_ms;
	if (send_to(srv, w, IPC_PROBE, &q.base, -1) < 0) {
		probe_result(srv, p->serial, false);
		return;
	}
	w->probe_request = q.request_id;
	w->probe_serial = p->serial;
}

static void on_probe_reply(struct server *srv, struct worker_proc *w, const ProbeReply *r)
{
	if (w->probe_request == 0 || r->request_id != w->probe_request) {
		log_debug("worker %ld: stray %s", (long)w->pid, ipc_type_str(IPC_PROBE_REPLY));
		return;
	}
	log_info("worker %ld (user '%s'): client %s (CSTP silent for %llu ms)", (long)w->pid,
		 LOG_ESC(w->username ? w->username : "?"), r->alive ? "alive" : "silent",
		 (unsigned long long)(r->has_silent_ms ? r->silent_ms : 0));
	w->probe_request = 0;
	probe_result(srv, w->probe_serial, r->alive);
}

/* w is going away with a probe unanswered: its client counts as silent. */
static void probe_abandon(struct server *srv, struct worker_proc *w)
{
	if (w->probe_request == 0)
		return;
	w->probe_request = 0;
	probe_result(srv, w->probe_serial, false);
}

/* --- IPC ------------------------------------------------------------------ */

static void stop_ipc(struct server *srv, struct worker_proc *w)
{
	if (w->ipc_fd < 0)
		return;
	ev_io_stop(srv->loop, &w->ipc_w);
	close(w->ipc_fd);
	w->ipc_fd = -1;
}

static void ipc_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker_proc *w = io->data;
	struct server *srv = ev_userdata(loop);

	/* Bounded batch: one chatty worker does not starve the others. */
	for (int i = 0; i < 32 && w->ipc_fd >= 0; i++) {
		struct ipc_msg m;
		int r = ipc_recv(w->ipc_fd, &m);

		if (r == -EAGAIN)
			return;
		if (r == -EINTR)
			continue;
		if (r == IPC_E_EOF) {
			/* after all it sent: an exiting worker, not an error */
			log_debug("worker %ld closed its IPC socket", (long)w->pid);
			stop_ipc(srv, w);
			return;
		}
		if (r < 0) {
			char why[160];

			snprintf(why, sizeof(why), "bad IPC message: %s", ipc_strerror(r));
			main_kill_worker(srv, w, why);
			stop_ipc(srv, w);
			return;
		}
		log_trace("worker %ld: %s", (long)w->pid, ipc_type_str(m.type));
		if (w->exited && (m.type == IPC_AUTH_REQUEST || m.type == IPC_SESSION_OPEN_REQUEST)) {
			/* read after its death: nobody is left to take the answer */
			log_debug("worker %ld died with a %s pending", (long)w->pid,
				  ipc_type_str(m.type));
			ipc_msg_free(&m);
			continue;
		}
		switch (m.type) {
		case IPC_AUTH_REQUEST:
			on_auth_request(srv, w, m.auth_request);
			break;
		case IPC_SESSION_OPEN_REQUEST:
			on_session_open(srv, w, m.session_open_request);
			break;
		case IPC_TUNNEL_UP:
			on_tunnel_up(srv, w, m.tunnel_up);
			break;
		case IPC_TUNNEL_STATS:
			on_tunnel_stats(w, m.tunnel_stats);
			main_metrics_tunnel_stats(srv, w, m.tunnel_stats);
			pass_on_stats(srv, w);
			main_ctl_on_tunnel_stats(srv, w, m.tunnel_stats);
			break;
		case IPC_TUNNEL_DOWN:
			on_tunnel_down(srv, w, m.tunnel_down);
			break;
		case IPC_DTLS_STATUS:
			main_udp_on_status(srv, w, m.dtls_status);
			break;
		case IPC_PROBE_REPLY:
			on_probe_reply(srv, w, m.probe_reply);
			break;
		case IPC_AUTH_REPLY:
		case IPC_SESSION_OPEN_REPLY:
		case IPC_TERMINATE:
		case IPC_TUNNEL_STATS_REQUEST:
		case IPC_DTLS_SOCKET:
		case IPC_PROBE:
		case IPC_SM_CONFIG:
		case IPC_SM_AUTH_REQUEST:
		case IPC_SM_AUTH_REPLY:
		case IPC_SM_OPEN_REQUEST:
		case IPC_SM_OPEN_REPLY:
		case IPC_SM_TUNNEL_UP:
		case IPC_SM_TUNNEL_DOWN:
		case IPC_SM_TUNNEL_STATS:
		case IPC_SM_SESSION:
		case IPC_SM_TERMINATE:
		case IPC_SM_PROBE:
		case IPC_SM_PROBE_RESULT:
		case IPC_SM_LIST_REQUEST:
		case IPC_SM_LIST_REPLY:
		case IPC_SM_KEY_CHANNEL:
		case IPC_KEY_OP_REQUEST:
		case IPC_KEY_OP_REPLY:
		case IPC_INVALID:
			ipc_msg_free(&m);
			main_kill_worker(srv, w, "sent a message only main sends");
			stop_ipc(srv, w);
			return;
		}
		ipc_msg_free(&m);
		if (w->sigterm_sent) {
			stop_ipc(srv, w);
			return;
		}
	}
}

/* --- spawning ------------------------------------------------------------- */

/* In the child: put tcp on fd 3, ipc on fd 4 and the key channel on fd 5
 * (whatever numbers they have now), reset what exec keeps, and exec the
 * worker. Never returns. */
static void exec_worker(const struct server *srv, int tcp, int ipc, int key)
{
	char level[16];
	char *argv[] = { "ocserv-modern-worker", "-c", (char *)srv->config_path, "-d", level, NULL };
	sigset_t all;
	int t, i, k;

	snprintf(level, sizeof(level), "%d", srv->log_level);
	/* Move them out of the way first, so dup2 onto 3/4/5 cannot clobber
	 * one with another; dup2 clears close-on-exec on the targets. */
	t = fcntl(tcp, F_DUPFD_CLOEXEC, 10);
	i = fcntl(ipc, F_DUPFD_CLOEXEC, 10);
	k = fcntl(key, F_DUPFD_CLOEXEC, 10);
	if (t < 0 || i < 0 || k < 0 || dup2(t, 3) < 0 || dup2(i, 4) < 0 || dup2(k, 5) < 0) {
		log_err("worker setup: %s", strerror(errno));
		_exit(127);
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	execv(srv->worker_path, argv);
	log_err("exec %s: %s", srv->worker_path, strerror(errno));
	_exit(127);
}

static void spawn_worker(struct server *srv, int tcp, const struct sockaddr_storage *ss,
			 socklen_t sslen)
{
	struct worker_proc *w;
	int sp[2] = { -1, -1 }, kp[2] = { -1, -1 };
	pid_t pid;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		log_err("accept: out of memory");
		close(tcp);
		return;
	}
	w->ipc_fd = -1;
	w->tun.fd = -1;
	(void)ban_addr_from_sockaddr((const struct sockaddr *)ss, sslen, &w->addr);
	ban_addr_str(&w->addr, w->remote_ip, sizeof(w->remote_ip));
	{
		struct sockaddr_storage me;
		socklen_t melen = sizeof(me);
		struct ban_addr la;

		w->local_ip[0] = '\0';
		if (getsockname(tcp, (struct sockaddr *)&me, &melen) == 0 &&
		    ban_addr_from_sockaddr((const struct sockaddr *)&me, melen, &la) == 0)
			ban_addr_str(&la, w->local_ip, sizeof(w->local_ip));
	}
	w->remote_port = ntohs(ss->ss_family == AF_INET6
			       ? ((const struct sockaddr_in6 *)ss)->sin6_port
			       : ((const struct sockaddr_in *)ss)->sin_port);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, kp) < 0) {
		log_err("socketpair: %s", strerror(errno));
		if (kp[0] < 0 && sp[0] >= 0) {
			close(sp[0]);
			close(sp[1]);
		}
		close(tcp);
		free(w);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		close(kp[0]);
		close(kp[1]);
		close(tcp);
		free(w);
		return;
	}
	if (pid == 0)
		exec_worker(srv, tcp, sp[1], kp[1]);

	close(sp[1]);
	close(kp[1]);
	close(tcp);
	(void)main_secmod_key_channel(srv, pid, kp[0]);
	main_worker_adopt(srv, w, pid, sp[0]);
}

void main_worker_adopt(struct server *srv, struct worker_proc *w, pid_t pid, int ipc_fd)
{
	if (fcntl(ipc_fd, F_SETFL, O_NONBLOCK) < 0)
		log_warn("IPC socket of worker %ld: O_NONBLOCK: %s", (long)pid, strerror(errno));
	w->pid = pid;
	w->ipc_fd = ipc_fd;
	w->state = WORKER_AUTH;
	w->started_ms = now_ms();
	ev_io_init(&w->ipc_w, ipc_cb, w->ipc_fd, EV_READ);
	w->ipc_w.data = w;
	ev_io_start(srv->loop, &w->ipc_w);
	ev_timer_init(&w->timer_w, kill_timer_cb, srv->cfg.auth_timeout_s + MAIN_AUTH_SLACK_S, 0.);
	w->timer_w.data = w;
	ev_timer_start(srv->loop, &w->timer_w);

	w->next = srv->workers;
	if (srv->workers)
		srv->workers->prev = w;
	srv->workers = w;
	srv->n_workers++;
	log_info("connection from %s port %u: worker %ld", w->remote_ip, w->remote_port, (long)pid);
}

void main_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct server *srv = ev_userdata(loop);

	/* A few per wake-up: a flood on one listener must not starve IPC. */
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		struct ban_addr a;
		char ip[INET6_ADDRSTRLEN];
		vpn_ms_t now;
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the connection stays queued and the listener readable:
				 * pause instead of spinning on it */
				log_err("accept: %s: not accepting for %.0f s", strerror(errno),
					MAIN_ACCEPT_PAUSE_S);
				main_pause_listeners(srv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_err("accept: %s", strerror(errno));
			}
			return;
		}
		now = now_ms();
		if (ban_addr_from_sockaddr((struct sockaddr *)&ss, sslen, &a) < 0) {
			close(fd);
			continue;
		}
		ban_addr_str(&a, ip, sizeof(ip));
		if (ban_is_banned(srv->bans, &a, now)) {
			log_info("connection from %s refused: address banned", ip);
			close(fd);
			continue;
		}
		if (ban_add_points(srv->bans, &a, BAN_POINTS_CONNECTION, now)) {
			log_warn("address %s banned for %u s (ban score reached %u)", ip,
				 srv->cfg.min_reauth_time_s, srv->cfg.max_ban_score);
			close(fd);
			continue;
		}
		if (srv->cfg.max_clients != 0 && srv->n_workers >= srv->cfg.max_clients) {
			log_warn("connection from %s refused: max-clients (%u) reached", ip,
				 srv->cfg.max_clients);
			close(fd);
			continue;
		}
		spawn_worker(srv, fd, &ss, sslen);
	}
}

/* --- reaping -------------------------------------------------------------- */

static void free_worker(struct server *srv, struct worker_proc *w)
{
	main_udp_worker_gone(srv, w);
	stop_ipc(srv, w);
	ev_timer_stop(srv->loop, &w->timer_w);
	if (w->prev)
		w->prev->next = w->next;
	else
		srv->workers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	srv->n_workers--;
	free(w->username);
	free(w);
}

static void worker_exited(struct server *srv, struct worker_proc *w, int status)
{
	struct secmod_session *s;
	char how[64];
	bool clean;

	if (WIFEXITED(status)) {
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		clean = WEXITSTATUS(status) == 0;
	} else if (WIFSIGNALED(status)) {
		snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		clean = false;
	} else {
		snprintf(how, sizeof(how), "ended (status 0x%x)", status);
		clean = false;
	}
	if (clean || w->sigterm_sent)
		log_debug("worker %ld (%s) %s", (long)w->pid, w->remote_ip, how);
	else
		log_warn("worker %ld (%s) %s", (long)w->pid, w->remote_ip, how);

	w->exited = true;
	ev_timer_stop(srv->loop, &w->timer_w);
	/* Read what it managed to say before dying (TunnelDown, stats). */
	if (w->ipc_fd >= 0)
		ipc_cb(srv->loop, &w->ipc_w, EV_READ);
	s = worker_session(srv, w);
	if (w->session_serial != 0) {
		/* attached to a session and no TunnelDown: doc/spec/liveness.md §2.1 */
		log_warn("worker %ld of user '%s' died without reporting its tunnel end: %s",
			 (long)w->pid, LOG_ESC(s != NULL ? s->username : "?"),
			 vpn_end_reason_str(VPN_END_WORKER_CRASHED));
	}
	if (w->state == WORKER_OPENING || w->state == WORKER_TUNNEL) {
		main_ctl_count_tunnel_end(srv, VPN_END_WORKER_CRASHED);
		main_events_tunnel_down(srv, w, VPN_END_WORKER_CRASHED);
	}
	if (w->state != WORKER_DOWN)
		tunnel_detached(srv, w, VPN_END_WORKER_CRASHED);
	probe_abandon(srv, w);
	free_worker(srv, w);
}

void main_worker_exited(struct server *srv, pid_t pid, int status)
{
	struct worker_proc *w = find_pid(srv, pid);

	if (w == NULL) {
		log_debug("reaped unknown child %ld", (long)pid);
		return;
	}
	worker_exited(srv, w, status);
}

void main_forget_workers(struct server *srv)
{
	while (srv->workers != NULL)
		free_worker(srv, srv->workers);
	while (srv->msessions != NULL) {
		struct main_lease *m = srv->msessions;
		const struct secmod_session *mirror = session_table_find_serial(srv->sessions, m->serial);
		struct secmod_session s = { .serial = m->serial };

		/* main stops before sec-mod's last word about it: the session
		 * ends with the server, unless it waits in the session store */
		s.m.end_reason = VPN_END_SERVER_SHUTDOWN;
		s.m.resumes = mirror != NULL ? mirror->m.resumes : 0;
		if (!srv->sessions_kept)
			run_disconnect_script(srv, m, &s, m->bytes_in, m->bytes_out);
		msess_free(srv, m);
	}
}
