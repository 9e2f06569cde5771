/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* accept4 */

/*
 * Worker processes, seen from main: one per accepted TCP connection,
 * fork + exec of ocserv-modern-worker with the TCP socket as fd 3 and its end
 * of a SOCK_SEQPACKET socketpair as fd 4. Then main answers what the worker
 * asks over IPC (src/ipc.h):
 *
 *   AuthRequest         password check, bans, new session + cookie -> AuthReply
 *   SessionOpenRequest  cookie -> session, IPv4 lease, tun device
 *                       -> SessionOpenReply (+ tun fd) or 401/503
 *   TunnelUp            the CONNECT was answered
 *   TunnelStats         counters
 *   TunnelDown          the tunnel ended: the session machine decides
 *                       (liveness.md §2.1) whether the session waits or ends
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

#include "ipc.h"
#include "log.h"
#include "main-ctl.h"
#include "main.h"
#include "main-udp.h"
#include "passwd.h"

/* Link MTU when the config sets none (the tun default). */
#define MAIN_LINK_MTU_DEFAULT 1500u
/* A client base MTU below this is ignored (the IPv4 minimum datagram). */
#define MAIN_LINK_MTU_MIN 576u

static vpn_ms_t now_ms(void)
{
	return vpn_now_ms();
}

static void sessions_changed(struct server *srv)
{
	vpn_ev_timer_update(&srv->sessions_timer);
}

static struct worker_proc *find_pid(struct server *srv, pid_t pid)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->pid == pid)
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

/* Send or kill: a worker that cannot take a message is of no use. */
static int send_to(struct server *srv, struct worker_proc *w, enum ipc_type type,
		   const ProtobufCMessage *msg, int fd)
{
	int r;

	if (w->ipc_fd < 0)
		return -EPIPE;
	r = ipc_send(w->ipc_fd, type, msg, fd);
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

static struct main_session *msess_find(struct server *srv, uint64_t serial)
{
	for (struct main_session *m = srv->msessions; m != NULL; m = m->next)
		if (serial != 0 && m->serial == serial)
			return m;
	return NULL;
}

/* The record of s, created on its first CONNECT. NULL: out of memory. */
static struct main_session *msess_get(struct server *srv, const struct session *s)
{
	struct main_session *m = msess_find(srv, s->serial);

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
static void msess_free(struct server *srv, struct main_session *m)
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
static void msess_add_tunnel_stats(struct main_session *m, const struct worker_proc *w)
{
	m->bytes_in += w->bytes_in;
	m->bytes_out += w->bytes_out;
	m->packets_in += w->packets_in;
	m->packets_out += w->packets_out;
}

/* The session of m waits to resume: the lease stays; the device too, with
 * keep-tun-on-resume. */
static void msess_detach(struct server *srv, struct main_session *m, const struct session *s)
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
		 (int)SESSION_ID_SHORT_LEN, s->sid, s->username, kept,
		 (unsigned)(vpn_ms_until(vpn_session_expiry(&s->m), vpn_now_ms()) / 1000));
}

/* --- sessions ending -------------------------------------------------------- */

void main_session_ended(void *opaque, struct session *s)
{
	struct server *srv = opaque;
	struct worker_proc *w = find_by_session(srv, s->serial);
	struct main_session *m = msess_find(srv, s->serial);
	char lease[INET_ADDRSTRLEN + IFNAMSIZ + 32] = "no IPv4 lease";
	uint64_t in = 0, out = 0;

	main_ctl_count_session_end(srv, s->m.end_reason);
	if (m != NULL) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
		if (m->has_lease && m->tun.fd >= 0)
			snprintf(lease, sizeof(lease), "%s released, %s closed", ip, m->tun.name);
		else if (m->has_lease)
			snprintf(lease, sizeof(lease), "%s released", ip);
		in = m->bytes_in + (w != NULL ? w->bytes_in : 0);
		out = m->bytes_out + (w != NULL ? w->bytes_out : 0);
		msess_free(srv, m);
	}
	log_info("session %.*s of user '%s' ended: %s (%s, %u resume%s, rx %llu B, tx %llu B)",
		 (int)SESSION_ID_SHORT_LEN, s->sid, s->username, vpn_end_reason_str(s->m.end_reason),
		 lease, s->m.resumes, s->m.resumes == 1 ? "" : "s", (unsigned long long)in,
		 (unsigned long long)out);
	if (w != NULL) {
		/* A session-level end (session-timeout, admin, shutdown,
		 * superseded) while a tunnel is attached: the worker says goodbye
		 * to the client. Its later TunnelDown concerns no session. */
		w->session_serial = 0;
		s->worker_pid = 0;
		if (w->state != WORKER_DOWN)
			send_terminate(srv, w, s->m.end_reason);
	}
}

void main_terminate_all(struct server *srv)
{
	vpn_ms_t now = now_ms();

	/* Workers without a session first: ending the sessions detaches the
	 * others (main_session_ended sends them their Terminate). */
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->session_serial == 0 && w->state != WORKER_DOWN && !w->sigterm_sent)
			send_terminate(srv, w, VPN_END_SERVER_SHUTDOWN);
	for (struct session *s = sessions_first(srv->sessions); s != NULL; s = s->next)
		sessions_terminate(srv->sessions, s, VPN_END_SERVER_SHUTDOWN, now);
	sessions_changed(srv);
}

/* --- AuthRequest ---------------------------------------------------------- */

/* Pick the session's group from the user's groups ("g1,g2" from the
 * password file): the requested one if it is among them, else the first.
 * Returns false if a group was requested that the user is not in. */
static bool choose_group(const char *groups, const char *requested, char *out, size_t len)
{
	const char *p = groups;

	out[0] = '\0';
	if (requested != NULL && requested[0] != '\0') {
		size_t rl = strlen(requested);

		while (*p) {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);

			if (n == rl && strncmp(p, requested, n) == 0) {
				snprintf(out, len, "%s", requested);
				return true;
			}
			p += n + (end != NULL);
		}
		return false;
	}
	snprintf(out, len, "%.*s", (int)strcspn(groups, ","), groups);
	return true;
}

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

/*
 * max-same-clients (liveness.md §9): sessions of this user waiting to resume
 * are ended (superseded) oldest first to make room. Active sessions are kept:
 * probing a silent one needs its worker's CSTP state, which main does not
 * have yet, so they count as alive. Returns false if the login is refused.
 */
static bool make_room_for(struct server *srv, const char *user, vpn_ms_t now)
{
	struct vpn_same_entry e[256];
	enum vpn_same_action act[256];
	struct session *who[256];
	size_t n = 0;
	enum vpn_same_verdict v;

	if (srv->cfg.max_same_clients == 0)
		return true;
	for (struct session *s = sessions_first(srv->sessions); s != NULL; s = s->next) {
		if (s->m.state == VPN_SESSION_ENDED || strcmp(s->username, user) != 0)
			continue;
		if (n == sizeof(e) / sizeof(e[0]))
			return false;
		e[n] = (struct vpn_same_entry){
			.state = s->m.state,
			.drop_ms = s->m.drop_ms,
			.cstp_last_rx_ms = now, /* unknown to main: assume alive */
			.dpd_ms = vpn_s_to_ms(srv->cfg.dpd_s),
			.probed_ms = VPN_NEVER,
		};
		who[n++] = s;
	}
	v = vpn_same_clients_plan(e, n, srv->cfg.max_same_clients, now, act);
	if (v == VPN_SAME_REFUSE)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (act[i] != VPN_SAME_END)
			continue;
		log_info("session %.*s of user '%s' superseded by a new login",
			 (int)SESSION_ID_SHORT_LEN, who[i]->sid, user);
		sessions_terminate(srv->sessions, who[i], VPN_END_SUPERSEDED, now);
	}
	/* VPN_SAME_WAIT only follows a probe, which main never asks for. */
	return v == VPN_SAME_ALLOW;
}

static void on_auth_request(struct server *srv, struct worker_proc *w, const AuthRequest *req)
{
	AuthReply r = AUTH_REPLY__INIT;
	vpn_ms_t now = now_ms();
	char groups[512], group[256];
	struct session *s;
	int rc;

	if (w->session_serial != 0 || w->state != WORKER_AUTH) {
		main_kill_worker(srv, w, "AuthRequest after the session was opened");
		return;
	}
	if (ban_is_banned(srv->bans, &w->addr, now)) {
		log_info("login of '%s' from %s refused: address banned", req->username, w->remote_ip);
		auth_reply_fail(srv, w, "banned", true);
		return;
	}
	rc = passwd_check(srv->cfg.auth_passwd_file, req->username, req->password, groups,
			  sizeof(groups));
	if (rc == 0 && !choose_group(groups, req->group, group, sizeof(group))) {
		log_info("login of '%s' from %s refused: not a member of group '%s'", req->username,
			 w->remote_ip, req->group);
		rc = -EACCES;
	} else if (rc == -ENOENT || rc == -EACCES) {
		log_info("login of '%s' from %s failed: %s", req->username, w->remote_ip,
			 rc == -ENOENT ? "no such user" : "wrong password or locked account");
	} else if (rc < 0) {
		log_err("checking the password of '%s' in %s: %s", req->username,
			srv->cfg.auth_passwd_file, strerror(-rc));
	}
	if (rc < 0) {
		bool banned = false;

		if (rc == -ENOENT || rc == -EACCES) {
			banned = ban_add_points(srv->bans, &w->addr, BAN_POINTS_WRONG_PASSWORD, now);
			if (banned)
				log_warn("address %s banned for %u s (ban score reached %u)", w->remote_ip,
					 srv->cfg.min_reauth_time_s, srv->cfg.max_ban_score);
		}
		main_ctl_count_auth(srv, false);
		auth_reply_fail(srv, w, "Authentication failed", banned);
		return;
	}
	if (!make_room_for(srv, req->username, now)) {
		log_info("login of '%s' from %s refused: max-same-clients (%u) reached",
			 req->username, w->remote_ip, srv->cfg.max_same_clients);
		auth_reply_fail(srv, w, "Too many sessions for this user", false);
		sessions_changed(srv);
		return;
	}
	s = sessions_create(srv->sessions, req->username, group, w->remote_ip, now);
	if (s == NULL) {
		log_err("creating a session for '%s': %s", req->username, strerror(errno));
		auth_reply_fail(srv, w, "Internal error", false);
		return;
	}
	sessions_changed(srv);
	main_ctl_count_auth(srv, true);
	log_info("user '%s' (group '%s') authenticated from %s: session %.*s", s->username,
		 s->group, w->remote_ip, (int)SESSION_ID_SHORT_LEN, s->sid);
	r.ok = true;
	r.cookie = s->cookie;
	r.username = s->username;
	r.group = s->group;
	send_to(srv, w, IPC_AUTH_REPLY, &r.base, -1);
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

static uint32_t lease_seed(const struct server *srv, const struct session *s)
{
	uint32_t seed;

	if (srv->cfg.predictable_ips)
		return ippool_user_seed(s->username);
	if (gnutls_rnd(GNUTLS_RND_NONCE, &seed, sizeof(seed)) < 0)
		seed = (uint32_t)s->serial * 2654435761u;
	return seed;
}

/* Link MTU for the tun device: `mtu`, else 1500, capped by the client's
 * X-CSTP-Base-MTU. The worker lowers the device to the data MTU once it
 * knows its TLS overhead (worker-connect.h: cstp_mtu_compute). */
static unsigned link_mtu(const struct server *srv, const SessionOpenRequest *req)
{
	unsigned mtu = srv->cfg.mtu ? srv->cfg.mtu : MAIN_LINK_MTU_DEFAULT;

	if (req->has_client_base_mtu && req->client_base_mtu >= MAIN_LINK_MTU_MIN &&
	    req->client_base_mtu < mtu)
		mtu = req->client_base_mtu;
	return mtu;
}

static uint32_t sat_u32(vpn_ms_t ms)
{
	vpn_ms_t s = ms / 1000;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void on_session_open(struct server *srv, struct worker_proc *w,
			    const SessionOpenRequest *req)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;
	struct config_tunnel_timers tt;
	char ipv4[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	char **dns = NULL, **routes = NULL, **no_routes = NULL;
	vpn_ms_t now = now_ms(), deadline;
	struct session *s;
	struct main_session *m;
	struct worker_proc *old;
	enum vpn_connect_result cr;
	bool new_lease = false, new_tun = false;
	int rc;

	if (w->session_serial != 0 || w->state != WORKER_AUTH) {
		main_kill_worker(srv, w, "a second SessionOpenRequest");
		return;
	}
	s = sessions_find_cookie(srv->sessions, req->cookie);
	if (s == NULL || s->m.state == VPN_SESSION_ENDED) {
		log_info("CONNECT from %s with %s cookie: 401", w->remote_ip,
			 s == NULL ? "an unknown" : "an ended session's");
		open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
		return;
	}
	m = msess_get(srv, s);
	if (m == NULL) {
		log_err("CONNECT from %s: out of memory", w->remote_ip);
		open_reply_refuse(srv, w, 503, "out of memory");
		return;
	}
	/* The lease (and a kept device) of a resumed session are reused as
	 * they are: same address, same netmask, same device (interop.md §0
	 * rule 8). */
	if (!m->has_lease) {
		rc = ippool_lease(&srv->pool, s->serial, lease_seed(srv, s), &m->ipv4);
		if (rc < 0) {
			log_warn("no IPv4 address for user '%s': %s", s->username,
				 rc == -ENOSPC ? "the pool is exhausted" : strerror(-rc));
			if (m->worker_pid == 0 && m->tunnels == 0)
				msess_free(srv, m);
			open_reply_refuse(srv, w, 503, "no free IP address");
			return;
		}
		m->has_lease = true;
		new_lease = true;
	}
	if (m->tun.fd < 0) {
		rc = tun_create(srv->tun, srv->cfg.device, ippool_server_addr(&srv->pool), m->ipv4,
				link_mtu(srv, req), &m->tun);
		if (rc < 0) {
			if (new_lease) {
				ippool_release(&srv->pool, s->serial);
				m->has_lease = false;
			}
			if (m->worker_pid == 0 && m->tunnels == 0)
				msess_free(srv, m);
			open_reply_refuse(srv, w, 503, "could not create the tun device");
			return;
		}
		new_tun = true;
	}

	cr = sessions_connect(srv->sessions, s, now);
	sessions_changed(srv);
	main_ctl_count_connect(srv, cr);
	if (cr == VPN_CONNECT_REFUSED) {
		/* expired this very moment: main_session_ended freed the record,
		 * the lease and the device */
		log_info("CONNECT from %s: session %.*s expired: 401", w->remote_ip,
			 (int)SESSION_ID_SHORT_LEN, s->sid);
		open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
		return;
	}
	old = find_by_session(srv, s->serial);
	if (cr == VPN_CONNECT_TAKEOVER && old != NULL) {
		log_info("session %.*s of user '%s' taken over by %s (worker %ld replaces %ld)",
			 (int)SESSION_ID_SHORT_LEN, s->sid, s->username, w->remote_ip,
			 (long)w->pid, (long)old->pid);
		old->session_serial = 0;
		msess_add_tunnel_stats(m, old);
		send_terminate(srv, old, VPN_END_TAKEOVER);
	}
	s->worker_pid = w->pid;
	m->worker_pid = w->pid;
	m->tunnels++;
	if (m->first_attach_ms == VPN_NEVER)
		m->first_attach_ms = now;
	w->session_serial = s->serial;
	free(w->username);
	w->username = strdup(s->username);
	w->state = WORKER_OPENING;
	w->tun = m->tun;
	w->tun.fd = -1; /* display copy: the fd is the session's */
	w->bytes_in = w->bytes_out = w->packets_in = w->packets_out = 0;
	ev_timer_stop(srv->loop, &w->timer_w); /* the auth backstop is done */

	config_tunnel_timers(&srv->cfg, req->has_mobile && req->mobile, &tt);
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
	deadline = vpn_session_deadline(&s->m);
	/* Rounded up: a worker that rounds its deadline from whole seconds
	 * must not end the session before created + S; main's own session
	 * timer ends it on time (Terminate) in any case. */
	r.session_remaining = deadline == VPN_NEVER
			      ? 0 : sat_u32(vpn_ms_add(vpn_ms_until(deadline, now), 999));
	r.cookie_timeout = sat_u32(s->m.cfg.cookie_timeout_ms);
	r.switch_to_tcp_timeout = tt.switch_to_tcp_timeout_s;
	r.persistent_cookies = s->m.cfg.persistent_cookies;

	if (req->requested_ipv4 != NULL && strcmp(req->requested_ipv4, ipv4) != 0)
		log_info("client %s asked for %s, session %.*s has %s", w->remote_ip,
			 req->requested_ipv4, (int)SESSION_ID_SHORT_LEN, s->sid, ipv4);
	log_info("%s session %.*s of user '%s' from %s: %s %s peer %s, mtu %u%s%s",
		 vpn_connect_result_str(cr), (int)SESSION_ID_SHORT_LEN, s->sid, s->username,
		 w->remote_ip, m->tun.name, local, ipv4, m->tun.mtu,
		 new_tun ? "" : " (kept device)", tt.mobile ? " (mobile)" : "");
	send_to(srv, w, IPC_SESSION_OPEN_REPLY, &r.base, m->tun.fd);
	free(dns);
	free(routes);
	free(no_routes);
}

/* --- TunnelUp / TunnelStats / TunnelDown ---------------------------------- */

static struct session *worker_session(struct server *srv, struct worker_proc *w)
{
	return w->session_serial ? sessions_find_serial(srv->sessions, w->session_serial) : NULL;
}

static void on_tunnel_up(struct server *srv, struct worker_proc *w, const TunnelUp *up)
{
	struct session *s = worker_session(srv, w);

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
	log_info("tunnel up: user '%s' from %s on %s%s%s",
		 w->username ? w->username : "?", w->remote_ip, w->tun.name,
		 up->tls_cipher ? ", " : "", up->tls_cipher ? up->tls_cipher : "");
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

/* w's tunnel of s ended for reason (TunnelDown, or the worker died): the
 * session machine decides (liveness.md §2.1); a waiting session keeps its
 * lease and, with keep-tun-on-resume, its device. */
static void tunnel_detached(struct server *srv, struct worker_proc *w, struct session *s,
			    enum vpn_end_reason reason)
{
	struct main_session *m = msess_find(srv, s->serial);
	enum vpn_session_state st;

	w->session_serial = 0;
	s->worker_pid = 0;
	if (m != NULL) {
		msess_add_tunnel_stats(m, w);
		m->worker_pid = 0;
	}
	/* An ended session's record, lease and device go in main_session_ended. */
	st = sessions_tunnel_end(srv->sessions, s, reason, now_ms());
	sessions_changed(srv);
	if (st == VPN_SESSION_WAITING && m != NULL)
		msess_detach(srv, m, s);
}

static void on_tunnel_down(struct server *srv, struct worker_proc *w, const TunnelDown *d)
{
	enum vpn_end_reason reason = (enum vpn_end_reason)d->reason;
	struct session *s = worker_session(srv, w);

	if (w->state != WORKER_OPENING && w->state != WORKER_TUNNEL) {
		main_kill_worker(srv, w, "TunnelDown without a tunnel");
		return;
	}
	if (d->reason == VPN_END_NONE || d->reason >= VPN_END_REASON_COUNT) {
		log_warn("worker %ld reported an unknown tunnel end reason %u: taken as %s",
			 (long)w->pid, d->reason, vpn_end_reason_str(VPN_END_TUNNEL_LOST));
		reason = VPN_END_TUNNEL_LOST;
	}
	if (d->stats != NULL)
		on_tunnel_stats(w, d->stats);
	w->state = WORKER_DOWN;
	main_udp_worker_gone(srv, w);
	if (!w->sigterm_sent && !w->exited)
		arm_timer(srv, w, MAIN_EXIT_GRACE_S);
	main_ctl_count_tunnel_end(srv, reason);
	log_info("user '%s' disconnected from %s (reason: %s, rx: %llu, tx: %llu)",
		 w->username ? w->username : "?", w->remote_ip, vpn_end_reason_str(reason),
		 (unsigned long long)w->bytes_in, (unsigned long long)w->bytes_out);
	if (s == NULL)
		return; /* taken over or ended meanwhile: not this worker's business */
	tunnel_detached(srv, w, s, reason);
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
			main_ctl_on_tunnel_stats(srv, w, m.tunnel_stats);
			break;
		case IPC_TUNNEL_DOWN:
			on_tunnel_down(srv, w, m.tunnel_down);
			break;
		case IPC_DTLS_STATUS:
			main_udp_on_status(srv, w, m.dtls_status);
			break;
		case IPC_PROBE_REPLY:
			/* main sends no Probe yet: a late or stray answer */
			log_debug("worker %ld: unexpected %s: ignored", (long)w->pid,
				  ipc_type_str(m.type));
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

/* In the child: put tcp on fd 3 and ipc on fd 4 (whatever numbers they
 * have now), reset what exec keeps, and exec the worker. Never returns. */
static void exec_worker(const struct server *srv, int tcp, int ipc)
{
	char level[16];
	char *argv[] = { "ocserv-modern-worker", "-c", (char *)srv->config_path, "-d", level, NULL };
	sigset_t all;
	int t, i;

	snprintf(level, sizeof(level), "%d", srv->log_level);
	/* Move both out of the way first, so dup2 onto 3/4 cannot clobber one
	 * with the other; dup2 clears close-on-exec on the targets. */
	t = fcntl(tcp, F_DUPFD_CLOEXEC, 10);
	i = fcntl(ipc, F_DUPFD_CLOEXEC, 10);
	if (t < 0 || i < 0 || dup2(t, 3) < 0 || dup2(i, 4) < 0) {
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
	int sp[2];
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
	w->remote_port = ntohs(ss->ss_family == AF_INET6
			       ? ((const struct sockaddr_in6 *)ss)->sin6_port
			       : ((const struct sockaddr_in *)ss)->sin_port);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err("socketpair: %s", strerror(errno));
		close(tcp);
		free(w);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		close(tcp);
		free(w);
		return;
	}
	if (pid == 0)
		exec_worker(srv, tcp, sp[1]);

	close(sp[1]);
	close(tcp);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0)
		log_warn("IPC socket of worker %ld: O_NONBLOCK: %s", (long)pid, strerror(errno));
	w->pid = pid;
	w->ipc_fd = sp[0];
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
	struct session *s;
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
	if (s != NULL) {
		/* attached to a session and no TunnelDown: liveness.md §2.1 */
		log_warn("worker %ld of user '%s' died without reporting its tunnel end: %s",
			 (long)w->pid, s->username, vpn_end_reason_str(VPN_END_WORKER_CRASHED));
		tunnel_detached(srv, w, s, VPN_END_WORKER_CRASHED);
	}
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
	while (srv->msessions != NULL)
		msess_free(srv, srv->msessions);
}
