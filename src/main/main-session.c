/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * main's side of the sessions (main-session.h): what main does when a
 * worker's request needs sec-mod, when sec-mod answers, and when a tunnel
 * or a session ends.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "common/cluster-rec.h"
#include "common/ipc.h"
#include "common/log.h"
#include "main/main-events.h"
#include "main/main-lease6.h"
#include "main/main-metrics.h"
#include "main/main-peruser.h"
#include "main/main-pools.h"
#include "main/main-script.h"
#include "main/main-secmod.h"
#include "main/main-session.h"
#include "main/main-udp.h"
#include "main/tun-closer.h"
#include "main/main.h"
#include "main/script-env.h"
#include "main/worker-proc.h"
#include "sec-mod/sec-mod.h"

/* Link MTU when the config sets none (the tun default). */
#define MAIN_LINK_MTU_DEFAULT 1500u
/* A client base MTU below this is ignored (the IPv4 minimum datagram). */
#define MAIN_LINK_MTU_MIN 576u

/* --- main's session records ------------------------------------------------ */

struct main_lease *main_lease_find(struct server *srv, uint64_t serial)
{
	for (struct main_lease *m = srv->msessions; m != NULL; m = m->next)
		if (serial != 0 && m->serial == serial)
			return m;
	return NULL;
}

/* A new record for s, which has none yet. NULL: out of memory. */
static struct main_lease *lease_new(struct server *srv, const struct secmod_session *s)
{
	struct main_lease *m = calloc(1, sizeof(*m));

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
	m->srv = srv;
	m->serial = s->serial;
	memcpy(m->sid, s->sid, sizeof(m->sid));
	m->tun.fd = -1;
	m->first_attach_ms = VPN_NEVER;
	main_peruser_load(&srv->cfg, m->username, m->group, &m->user_cfg, &m->group_cfg);
	m->pool = main_pool_for(srv, &m->user_cfg, &m->group_cfg, m->username);
	if (main_peruser_apply_attrs(&m->user_cfg, s->attrs) < 0)
		log_err("session %.*s: its RADIUS routes and DNS servers not applied: out of memory",
			(int)SESSION_ID_SHORT_LEN, s->sid);
	m->next = srv->msessions;
	if (srv->msessions != NULL)
		srv->msessions->prev = m;
	srv->msessions = m;
	return m;
}

/* The record of s, created on its first CONNECT. NULL: out of memory. */
static struct main_lease *lease_get(struct server *srv, const struct secmod_session *s)
{
	struct main_lease *m = main_lease_find(srv, s->serial);

	return m != NULL ? m : lease_new(srv, s);
}

/* main's copy of t's fd goes to the closer thread: the kernel's teardown of
 * the device (tens of ms) must not stop the loop (tun-closer.h). done(arg)
 * runs once the device is gone. */
static void tun_hand_over(struct server *srv, struct tun *t, tun_closer_done_fn done, void *arg)
{
	int fd = t->fd;

	t->fd = -1;
	if (fd >= 0)
		tun_closer_close(srv->tun_closer, fd, done, arg);
	else if (done != NULL)
		done(arg);
}

/* The end of a record whose device is gone: only now may its addresses go
 * to another session, or the new device's route to the client would
 * compete with the old one's. */
static void lease_gone(void *arg)
{
	struct main_lease *m = arg;

	if (m->has_lease)
		ippool_release(m->pool, m->serial);
	main_lease6_release(m->srv, m);
	config_user_free(&m->user_cfg);
	config_user_free(&m->group_cfg);
	free(m->username);
	free(m->group);
	free(m);
}

/* Forget the record; the device closes off the loop, then the lease and
 * the record go (lease_gone). */
static void lease_free(struct server *srv, struct main_lease *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		srv->msessions = m->next;
	if (m->next)
		m->next->prev = m->prev;
	m->prev = m->next = NULL;
	tun_hand_over(srv, &m->tun, lease_gone, m);
}

/* The session of m waits to resume: the lease stays; the device too, with
 * keep-tun-on-resume. */
static void lease_detach(struct server *srv, struct main_lease *m, const struct secmod_session *s)
{
	char ip[INET_ADDRSTRLEN] = "?", kept[IFNAMSIZ + 32];

	m->worker_pid = 0;
	if (!srv->cfg.keep_tun_on_resume)
		tun_hand_over(srv, &m->tun, NULL, NULL);
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

/* --- counters ---------------------------------------------------------------- */

const struct main_counters *main_session_counters(const struct server *srv)
{
	return &srv->counters;
}

static void count_tunnel_end(struct server *srv, enum vpn_end_reason r)
{
	metrics_tunnel_end(main_metrics(srv), r);
	/* session-timeout and cookie-expired are session ends: counted once,
	 * by count_session_end */
	if (r != VPN_END_SESSION_TIMEOUT && r != VPN_END_COOKIE_EXPIRED)
		vpn_counters_count_end(&srv->counters.liveness, r);
}

static void count_session_end(struct server *srv, enum vpn_end_reason r)
{
	metrics_session_end(main_metrics(srv), r);
	if (r == VPN_END_SESSION_TIMEOUT || r == VPN_END_COOKIE_EXPIRED)
		vpn_counters_count_end(&srv->counters.liveness, r);
}

static void count_connect(struct server *srv, enum vpn_connect_result r)
{
	metrics_connect(main_metrics(srv), r);
	if (r == VPN_CONNECT_REFUSED)
		return;
	vpn_counters_count_connect(&srv->counters.liveness, r);
	srv->counters.tunnels_handled++;
}

static void count_auth(struct server *srv, bool ok)
{
	metrics_login(main_metrics(srv), ok);
	if (ok)
		srv->counters.sessions_handled++;
	else
		srv->counters.auth_failures++;
}

/* --- to sec-mod ---------------------------------------------------------------- */

/* Ask sec-mod to end the session serial (0: every session) for reason. */
static void sm_terminate(struct server *srv, uint64_t serial, enum vpn_end_reason reason)
{
	SmTerminate t = SM_TERMINATE__INIT;

	t.serial = serial;
	t.reason = (uint32_t)reason;
	(void)main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
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

/* The tunnel attach of the session serial ended for reason; st: its
 * counters (NULL: none, it never carried traffic). */
static void sm_tunnel_down(struct server *srv, uint64_t serial, uint32_t attach,
			   enum vpn_end_reason reason, TunnelStats *st)
{
	SmTunnelDown d = SM_TUNNEL_DOWN__INIT;

	d.serial = serial;
	d.reason = (uint32_t)reason;
	d.stats = st;
	d.has_attach = true;
	d.attach = attach;
	(void)main_secmod_send(srv, IPC_SM_TUNNEL_DOWN, &d.base);
}

static void probe_result(struct server *srv, uint64_t serial, bool alive)
{
	SmProbeResult r = SM_PROBE_RESULT__INIT;

	r.serial = serial;
	r.alive = alive;
	(void)main_secmod_send(srv, IPC_SM_PROBE_RESULT, &r.base);
}

/* w's tunnel ended for reason (TunnelDown, or the worker died, or its
 * CONNECT was refused after sec-mod attached it). sec-mod's session machine
 * decides (doc/spec/liveness.md §2.1) and tells main with an SmSession:
 * waiting keeps the lease and, with keep-tun-on-resume, the device; ended
 * frees them. A tunnel taken over from w only hands in its counters. */
static void tunnel_detached(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason)
{
	TunnelStats st;
	uint64_t serial = w->session_serial ? w->session_serial : w->taken_serial;
	struct main_lease *m = main_lease_find(srv, serial);
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
		/* its counters join the session's */
		m->bytes_in += w->bytes_in;
		m->bytes_out += w->bytes_out;
		m->packets_in += w->packets_in;
		m->packets_out += w->packets_out;
		if (m->worker_pid == w->pid)
			m->worker_pid = 0;
	}
	stats_of(w, &st);
	sm_tunnel_down(srv, serial, w->attach, reason, &st);
}

/* --- scripts ----------------------------------------------------------------- */

static void open_continue(struct server *srv, uint64_t serial, pid_t worker_pid, bool ok);

/* The IPV6_* of the scripts, when m has an IPv6 lease (buffers of
 * INET6_ADDRSTRLEN). */
static void script_ipv6(const struct server *srv, const struct main_lease *m,
			struct script_info *in, char *ip6, char *local6)
{
	in->ipv6_prefix = main_lease6_text(srv, m, ip6, local6);
	if (in->ipv6_prefix != 0) {
		in->ipv6_remote = ip6;
		in->ipv6_local = local6;
	}
}

/* The session's connect-script for w's CONNECT (main-script.h). */
static int run_connect_script(struct server *srv, struct worker_proc *w,
			      const struct secmod_session *s, const struct main_lease *m)
{
	char ip[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	char ip6[INET6_ADDRSTRLEN], local6[INET6_ADDRSTRLEN];
	struct in_addr l = ippool_server_addr(m->pool);
	struct config_session_lists lists;
	struct script_info in = {
		.username = s->username, .group = s->group, .device = m->tun.name,
		.ip_real = w->remote_ip, .ip_real_local = w->local_ip,
		.remote_hostname = w->open_hostname, .ip_local = local, .ip_remote = ip,
		.id = s->serial, .session_id = s->sid, .cfg = &srv->cfg, .lists = &lists,
	};
	char **env;
	int r;

	config_session_lists(&srv->cfg, &m->group_cfg, &m->user_cfg, &lists);
	inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
	inet_ntop(AF_INET, &l, local, sizeof(local));
	script_ipv6(srv, m, &in, ip6, local6);
	env = script_env_build(&in);
	if (env == NULL)
		return -ENOMEM;
	r = main_script_run(srv, MAIN_SCRIPT_CONNECT, srv->cfg.connect_script, env, s->serial,
			    w->pid, open_continue);
	free(env);
	return r;
}

/* The session's disconnect-script, at its end (s: sec-mod's last word). */
static void run_disconnect_script(struct server *srv, const struct main_lease *m,
				  const struct secmod_session *s, uint64_t bytes_in, uint64_t bytes_out)
{
	char ip[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	char ip6[INET6_ADDRSTRLEN], local6[INET6_ADDRSTRLEN];
	struct in_addr l = ippool_server_addr(m->pool);
	vpn_ms_t now = vpn_now_ms();
	struct config_session_lists lists;
	struct script_info in = {
		.disconnect = true,
		.username = m->username, .group = m->group, .device = m->tun.name,
		.ip_real = m->last_remote_ip, .ip_real_local = m->local_ip,
		.remote_hostname = m->hostname, .ip_local = local, .ip_remote = ip,
		.id = m->serial, .session_id = m->sid, .cfg = &srv->cfg, .lists = &lists,
		.bytes_in = bytes_in, .bytes_out = bytes_out,
		.duration_s = m->first_attach_ms != VPN_NEVER && now > m->first_attach_ms
			      ? (now - m->first_attach_ms) / 1000 : 0,
		.end_reason = vpn_end_reason_str(vpn_session_end_reason(&s->m)),
		.resumes = vpn_session_resumes(&s->m),
	};
	char **env;

	if (srv->cfg.disconnect_script == NULL || !m->scripts_connected)
		return;
	config_session_lists(&srv->cfg, &m->group_cfg, &m->user_cfg, &lists);
	inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
	inet_ntop(AF_INET, &l, local, sizeof(local));
	script_ipv6(srv, m, &in, ip6, local6);
	env = script_env_build(&in);
	if (env == NULL) {
		log_err("disconnect-script of session %.*s: out of memory",
			(int)SESSION_ID_SHORT_LEN, m->sid);
		return;
	}
	(void)main_script_run(srv, MAIN_SCRIPT_DISCONNECT, srv->cfg.disconnect_script, env,
			      m->serial, 0, NULL);
	free(env);
}

/* --- refusing a CONNECT -------------------------------------------------------- */

static void open_reply_refuse(struct server *srv, struct worker_proc *w, uint32_t status,
			      const char *reason)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;

	r.status = status;
	r.reason = (char *)reason;
	worker_proc_send(srv, w, IPC_SESSION_OPEN_REPLY, &r.base, -1);
}

/* w was attached to its session but its CONNECT waited (connect-script)
 * and will not be let in: 401, its (never started) tunnel ends, and the
 * worker finishes. */
static void open_drop(struct server *srv, struct worker_proc *w)
{
	open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
	tunnel_detached(srv, w, VPN_END_TUNNEL_LOST);
	w->state = WORKER_DOWN;
	worker_proc_exit_deadline(srv, w);
}

/* The connect-script did not let w in: 401, and the session ends (the
 * disconnect-script does not run for a session that was never let in). */
static void connect_refused(struct server *srv, struct worker_proc *w, const char *why)
{
	log_info("CONNECT from %s (user '%s'): %s: 401", w->remote_ip,
		 LOG_ESC(w->username != NULL ? w->username : "?"), why);
	/* end the session first, then its tunnel, so that it does not wait
	 * to be resumed in between */
	sm_terminate(srv, w->session_serial, VPN_END_ADMIN_TERMINATE);
	open_drop(srv, w);
}

/* --- sessions ending -------------------------------------------------------- */

/* sec-mod ended the session s (a snapshot): free what main holds for it,
 * run the disconnect-script, and tell its worker, if one still has the
 * tunnel, to say goodbye. */
static void session_released(struct server *srv, const struct secmod_session *s,
			     const char *bye_text)
{
	struct worker_proc *w = worker_proc_by_session(srv, s->serial);
	struct main_lease *m = main_lease_find(srv, s->serial);

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
			 vpn_end_reason_str(vpn_session_end_reason(&s->m)), (unsigned long long)in,
			 (unsigned long long)out);
		run_disconnect_script(srv, m, s, in, out);
		lease_free(srv, m);
	}
	if (w != NULL) {
		if (w->script_pending) {
			/* ended while its connect-script ran: the CONNECT waits */
			w->script_pending = false;
			open_drop(srv, w);
		} else if (w->state != WORKER_DOWN && !w->terminate_sent) {
			/* A session-level end (session-timeout, admin, shutdown,
			 * superseded) while a tunnel is attached: the worker says
			 * goodbye to the client. It stays attached until its
			 * TunnelDown, which tells sec-mod that no worker holds the
			 * ended record any more (it is then reaped). */
			worker_proc_terminate_text(srv, w, vpn_session_end_reason(&s->m), bye_text);
		}
	}
}

void main_session_terminate_all(struct server *srv)
{
	enum vpn_end_reason r = srv->sessions_kept ? VPN_END_SERVER_RESTART
						   : VPN_END_SERVER_SHUTDOWN;

	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->state != WORKER_DOWN && !w->sigterm_sent && !w->exited)
			worker_proc_terminate(srv, w, r);
	if (srv->sessions_kept)
		return; /* they wait in the store, for the next start */
	/* the sessions without a tunnel end too */
	sm_terminate(srv, 0, VPN_END_SERVER_SHUTDOWN);
}

void main_session_mirror_end(void *opaque, struct secmod_session *s)
{
	s->ended_locally = true;
	sm_terminate(opaque, s->serial, vpn_session_end_reason(&s->m));
}

/* Lease exactly want (in the pool) to serial: 0, -EADDRINUSE when it is
 * taken, or the pool's error. */
static int lease_exact(struct ippool *pool, uint64_t serial, struct in_addr want,
		       struct in_addr *got)
{
	/* the seed that makes the pool start its search at this address */
	int rc = ippool_lease(pool, serial, ntohl(want.s_addr) - pool->first, got);

	if (rc == 0 && got->s_addr != want.s_addr) {
		ippool_release(pool, serial);
		rc = -EADDRINUSE;
	}
	return rc;
}

/* A session sec-mod restored from the session store at start (main has no
 * record of it: the caller looked): its address
 * is reserved before any new session can take it (sec-mod sends these
 * before it answers anything). No device yet: the resume creates one. The
 * connect-script let it in before the restart: it does not run again, the
 * disconnect-script runs at its end. */
static void lease_restore(struct server *srv, const struct secmod_session *s)
{
	struct in_addr want = { .s_addr = s->ipv4 }, got;
	char ip[INET_ADDRSTRLEN];
	struct main_lease *m;
	int rc;

	if (vpn_session_attaches(&s->m) == 0)
		return; /* never let in: nothing to keep yet */
	m = lease_new(srv, s);
	if (m == NULL) {
		log_err("restoring session %.*s: out of memory", (int)SESSION_ID_SHORT_LEN, s->sid);
		return;
	}
	m->scripts_connected = true;
	m->waiting = true;
	m->tunnels = vpn_session_attaches(&s->m);
	m->bytes_in = s->done.bytes_in;
	m->bytes_out = s->done.bytes_out;
	m->packets_in = s->done.packets_in;
	m->packets_out = s->done.packets_out;
	snprintf(m->last_remote_ip, sizeof(m->last_remote_ip), "%s", s->last_remote_ip);
	main_lease6_restore(srv, m, &s->ipv6);
	inet_ntop(AF_INET, &want, ip, sizeof(ip));
	if (s->ipv4 == 0 || !ippool_contains(m->pool, want)) {
		log_warn("session %.*s of user '%s' restored without its address %s (%s): a "
			 "resume gets a new one", (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username),
			 s->ipv4 != 0 ? ip : "none", s->ipv4 != 0 ? "not in ipv4-network" : "unknown");
		return;
	}
	rc = lease_exact(m->pool, s->serial, want, &got);
	if (rc < 0) {
		log_warn("session %.*s of user '%s' restored without its address %s: %s",
			 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), ip, strerror(-rc));
		return;
	}
	m->has_lease = true;
	m->ipv4 = got;
	/* sec-mod logged the restore: only the detail here */
	log_debug("session %.*s of user '%s' restored: %s reserved", (int)SESSION_ID_SHORT_LEN,
		  s->sid, LOG_ESC(s->username), ip);
}

/* A record from sec-mod: update the mirror (a session restored from the
 * session store gets its lease back first), then act on the state. */
int main_session_on_sm_session(struct server *srv, const SmSession *msg)
{
	struct secmod_session snap, *s = session_table_find_serial(srv->sessions, msg->serial);
	struct worker_proc *w = worker_proc_by_session(srv, msg->serial);
	/* main leases only for a session it mirrors: a record it has never
	 * seen (a new login, one restored at start) has no lease to look for */
	struct main_lease *m = s != NULL ? main_lease_find(srv, msg->serial) : NULL;
	bool was_ended = s != NULL && vpn_session_get_state(&s->m) == VPN_SESSION_ENDED &&
			 !s->ended_locally;

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
		lease_restore(srv, &snap);
		m = main_lease_find(srv, msg->serial);
	}
	switch (vpn_session_get_state(&snap.m)) {
	case VPN_SESSION_ENDED:
		if (!was_ended)
			count_session_end(srv, vpn_session_end_reason(&snap.m));
		session_released(srv, &snap, msg->end_text);
		break;
	case VPN_SESSION_WAITING:
		if (m != NULL && m->worker_pid == 0 && !m->waiting) {
			m->waiting = true;
			lease_detach(srv, m, &snap);
		}
		break;
	case VPN_SESSION_AUTHENTICATED:
	case VPN_SESSION_ACTIVE:
		break;
	}
	return 0;
}

void main_session_forget_all(struct server *srv)
{
	while (srv->msessions != NULL) {
		struct main_lease *m = srv->msessions;
		const struct secmod_session *mirror = session_table_find_serial(srv->sessions, m->serial);
		struct secmod_session s = { .serial = m->serial };

		/* main stops before sec-mod's last word about it: the session
		 * ends with the server, unless it waits in the session store */
		s.m.end_reason = VPN_END_SERVER_SHUTDOWN;
		s.m.resumes = mirror != NULL ? vpn_session_resumes(&mirror->m) : 0;
		if (!srv->sessions_kept)
			run_disconnect_script(srv, m, &s, m->bytes_in, m->bytes_out);
		lease_free(srv, m);
	}
}

/* --- authentication ---------------------------------------------------------- */

/* A refused login: 401 (busy: 503, not tried) with msg. */
static void auth_reply_refuse(struct server *srv, struct worker_proc *w, const char *msg,
			      bool banned, bool busy)
{
	AuthReply r = AUTH_REPLY__INIT;

	r.ok = false;
	r.message = (char *)msg;
	r.has_banned = banned;
	r.banned = banned;
	r.has_busy = busy;
	r.busy = busy;
	worker_proc_send(srv, w, IPC_AUTH_REPLY, &r.base, -1);
}

static void auth_reply_fail(struct server *srv, struct worker_proc *w, const char *msg, bool banned)
{
	auth_reply_refuse(srv, w, msg, banned, false);
}

/* Points for w's address; true when they banned it (logged). */
static bool add_ban_points(struct server *srv, struct worker_proc *w, uint32_t points)
{
	bool banned = ban_add_points(srv->bans, &w->addr, points, vpn_now_ms());

	main_bans_touched(srv);
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
	if (strlen(req->username) > IPC_USERNAME_MAX || strlen(req->password) > IPC_PASSWORD_MAX ||
	    (req->group != NULL && strlen(req->group) > IPC_GROUP_MAX)) {
		/* the worker refuses these itself: this one is not ours */
		log_warn("login from %s refused: user name, password or group too long", w->remote_ip);
		count_auth(srv, false);
		auth_reply_fail(srv, w, "Authentication failed",
				add_ban_points(srv, w, BAN_POINTS_WRONG_PASSWORD));
		return true;
	}
	if (!log_text_suspect(req->username) && !log_text_suspect(req->group))
		return false;
	log_warn("login from %s refused: user name '%s' or group '%s' has control characters "
		 "(+%u ban points)", w->remote_ip, LOG_ESC(req->username),
		 LOG_ESC(req->group != NULL ? req->group : ""), BAN_POINTS_CONTROL_CHARS);
	count_auth(srv, false);
	auth_reply_fail(srv, w, "Authentication failed",
			add_ban_points(srv, w, BAN_POINTS_CONTROL_CHARS));
	return true;
}

/* Bans are main's (it sees the connections); the password, max-same-clients
 * and the new session are sec-mod's. */
void main_session_auth(struct server *srv, struct worker_proc *w, AuthRequest *req)
{
	SmAuthRequest q = SM_AUTH_REQUEST__INIT;
	AuthRequest a = *req;
	int r;

	if (ban_is_banned(srv->bans, &w->addr, vpn_now_ms())) {
		log_info("login of '%s' from %s refused: address banned", LOG_ESC(req->username),
			 w->remote_ip);
		auth_reply_fail(srv, w, "banned", true);
		return;
	}
	if (login_text_refused(srv, w, req))
		return;
	if (main_secmod_busy(srv)) {
		/* a login flood: the ones sec-mod cannot keep up with wait
		 * nowhere, their clients try again later */
		explicit_bzero(req->password, strlen(req->password));
		auth_reply_refuse(srv, w, "Server busy", false, true);
		return;
	}
	/* the address main accepted, not what the worker says; sec-mod has no
	 * use for the User-Agent */
	a.remote_ip = w->remote_ip;
	a.user_agent = NULL;
	q.request_id = main_secmod_request_id(srv);
	q.auth = &a;
	r = main_secmod_send_login(srv, &q);
	/* passed on: no copy of the password stays in main's memory */
	explicit_bzero(req->password, strlen(req->password));
	if (r < 0) {
		auth_reply_refuse(srv, w, "Server not ready", false, true);
		return;
	}
	w->sm_request = q.request_id;
}

/* The value of key k (a session or cookie timeout) of the user's file,
 * else the group's, into *val and *from; false when neither sets it. */
static bool file_timer(const struct config_user *u, const struct config_user *g,
		       enum config_user_key k, uint32_t *val, uint32_t *from)
{
	const struct config_user *f = (u->set & (1u << k)) ? u : (g->set & (1u << k)) ? g : NULL;

	if (f == NULL)
		return false;
	*val = k == CONFIG_USER_SESSION_TIMEOUT ? f->session_timeout_s : f->cookie_timeout_s;
	*from = f == u ? CONFIG_ORIGIN_USER : CONFIG_ORIGIN_GROUP;
	return true;
}

/* A new session's session-timeout and cookie-timeout from its per-user or
 * per-group file: sec-mod enforces them, so it hears of them before the
 * cookie reaches the worker (nothing can use the cookie earlier). */
static void send_session_timers(struct server *srv, const SmAuthReply *r)
{
	const struct config *c = &srv->cfg;
	SmSessionTimers t = SM_SESSION_TIMERS__INIT;
	struct config_user u, g;

	if (!r->has_serial || (c->config_per_user == NULL && c->default_user_config == NULL &&
			       c->config_per_group == NULL && c->default_group_config == NULL))
		return;
	main_peruser_load(c, r->reply->username, r->reply->group, &u, &g);
	t.serial = r->serial;
	t.has_session_timeout = t.has_session_timeout_from =
		file_timer(&u, &g, CONFIG_USER_SESSION_TIMEOUT, &t.session_timeout,
			   &t.session_timeout_from);
	t.has_cookie_timeout = t.has_cookie_timeout_from =
		file_timer(&u, &g, CONFIG_USER_COOKIE_TIMEOUT, &t.cookie_timeout,
			   &t.cookie_timeout_from);
	if (t.has_session_timeout || t.has_cookie_timeout)
		(void)main_secmod_send(srv, IPC_SM_SESSION_TIMERS, &t.base);
	config_user_free(&u);
	config_user_free(&g);
}

void main_session_on_sm_auth_reply(struct server *srv, const SmAuthReply *r)
{
	struct worker_proc *w = worker_proc_by_request(srv, r->request_id);

	if (w == NULL) {
		log_debug("sec-mod answered login %llu of a worker that is gone",
			  (unsigned long long)r->request_id);
		return;
	}
	w->sm_request = 0;
	if (w->exited || w->sigterm_sent)
		return;
	w->login_token[0] = '\0';
	if (!r->reply->ok && r->reply->has_more && r->reply->more) {
		/* another login form: neither a success nor a failure yet */
		if (r->reply->login_token != NULL)
			snprintf(w->login_token, sizeof(w->login_token), "%s", r->reply->login_token);
		worker_proc_send(srv, w, IPC_AUTH_REPLY, &r->reply->base, -1);
		return;
	}
	if (!r->reply->ok && r->reply->has_busy && r->reply->busy) {
		auth_reply_refuse(srv, w, "Server busy", false, true);
		return;
	}
	if (!r->reply->ok) {
		bool banned = false;

		if (r->has_bad_credentials && r->bad_credentials)
			banned = add_ban_points(srv, w, BAN_POINTS_WRONG_PASSWORD);
		if (!(r->has_too_many && r->too_many))
			count_auth(srv, false);
		auth_reply_fail(srv, w, r->reply->message != NULL ? r->reply->message
								   : "Authentication failed", banned);
		return;
	}
	count_auth(srv, true);
	send_session_timers(srv, r);
	worker_proc_send(srv, w, IPC_AUTH_REPLY, &r->reply->base, -1);
}

/* --- CONNECT -------------------------------------------------------------------- */

/* Workers holding a tunnel (max-clients counts these, not connections). */
static unsigned tunnels_held(const struct server *srv)
{
	unsigned n = 0;

	for (const struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		n += w->state == WORKER_OPENING || w->state == WORKER_TUNNEL;
	return n;
}

void main_session_open(struct server *srv, struct worker_proc *w, const SessionOpenRequest *req)
{
	SmOpenRequest q = SM_OPEN_REQUEST__INIT;

	if (srv->cfg.max_clients != 0 && tunnels_held(srv) >= srv->cfg.max_clients) {
		log_warn("CONNECT from %s refused: max-clients (%u) tunnels up", w->remote_ip,
			 srv->cfg.max_clients);
		open_reply_refuse(srv, w, 503, "server full");
		return;
	}
	w->open_mobile = req->has_mobile && req->mobile;
	snprintf(w->open_hostname, sizeof(w->open_hostname), "%s",
		 req->hostname != NULL ? req->hostname : "");
	w->open_base_mtu = req->has_client_base_mtu ? req->client_base_mtu : 0;
	snprintf(w->open_requested_ipv4, sizeof(w->open_requested_ipv4), "%s",
		 req->requested_ipv4 != NULL ? req->requested_ipv4 : "");
	snprintf(w->open_requested_ipv6, sizeof(w->open_requested_ipv6), "%s",
		 req->requested_ipv6 != NULL ? req->requested_ipv6 : "");
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

static uint32_t sat_u32(vpn_ms_t ms)
{
	vpn_ms_t s = ms / 1000;

	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* The configuration's lists, as the reply's NULL-terminated arrays of
 * strings (pointing into srv->cfg; free the arrays only). -ENOMEM: none
 * allocated. */
static int reply_lists(const struct server *srv, const struct main_lease *m,
		       SessionOpenReply *r)
{
	const struct config *c = &srv->cfg;
	struct config_session_lists l;
	char **dns, **nbns, **routes, **no_routes;

	/* dns, route and no-route: the session's files over the configuration */
	config_session_lists(c, &m->group_cfg, &m->user_cfg, &l);
	dns = calloc(l.n_dns + 1, sizeof(*dns));
	nbns = calloc(c->n_nbns + 1, sizeof(*nbns));
	routes = calloc(l.n_routes + 1, sizeof(*routes));
	no_routes = calloc(l.n_no_routes + 1, sizeof(*no_routes));

	if (dns == NULL || nbns == NULL || routes == NULL || no_routes == NULL) {
		free(dns);
		free(nbns);
		free(routes);
		free(no_routes);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l.n_dns; i++)
		dns[i] = (char *)l.dns[i].text;
	for (size_t i = 0; i < c->n_nbns; i++)
		nbns[i] = c->nbns[i].text;
	for (size_t i = 0; i < l.n_routes; i++)
		routes[i] = (char *)l.routes[i].text;
	for (size_t i = 0; i < l.n_no_routes; i++)
		no_routes[i] = (char *)l.no_routes[i].text;
	r->n_dns = l.n_dns;
	r->dns = dns;
	r->n_nbns = c->n_nbns;
	r->nbns = nbns;
	r->n_routes = l.n_routes;
	r->routes = routes;
	r->n_no_routes = l.n_no_routes;
	r->no_routes = no_routes;
	/* the configuration's own array: nothing to free */
	r->n_split_dns = c->n_split_dns;
	r->split_dns = c->split_dns;
	r->has_tunnel_all_dns = true;
	r->tunnel_all_dns = c->tunnel_all_dns;
	return 0;
}

/* The tunnel's timers: the configuration's for this client with the
 * session's per-user and per-group values over them (m), and the session's
 * own values (fixed at authentication), not the current config: a reload
 * does not change a running session. */
static void reply_timers(const struct server *srv, const struct worker_proc *w,
			 const struct secmod_session *s, const struct main_lease *m,
			 SessionOpenReply *r, bool *mobile)
{
	const struct vpn_session_cfg *scfg = vpn_session_get_cfg(&s->m);
	struct config_tunnel_timers tt;

	config_tunnel_timers_user(&srv->cfg, &m->group_cfg, &m->user_cfg, w->open_mobile, &tt,
				  NULL);
	*mobile = tt.mobile;
	r->has_dpd = r->has_dpd_retries = r->has_keepalive = r->has_idle_timeout = true;
	r->has_session_timeout = r->has_session_remaining = r->has_cookie_timeout = true;
	r->has_switch_to_tcp_timeout = r->has_persistent_cookies = true;
	r->dpd = tt.dpd_s;
	r->dpd_retries = tt.dpd_retries;
	r->keepalive = tt.keepalive_s;
	r->idle_timeout = tt.idle_timeout_s;
	r->session_timeout = sat_u32(scfg->session_timeout_ms);
	/* counted from authentication by sec-mod, rounded up */
	r->session_remaining = w->open_remaining;
	r->cookie_timeout = sat_u32(scfg->cookie_timeout_ms);
	r->switch_to_tcp_timeout = tt.switch_to_tcp_timeout_s;
	r->persistent_cookies = scfg->persistent_cookies;
}

/* The session's iroutes: the user file's, else the group file's; NULL: none. */
static const struct config_user *iroutes_of(const struct main_lease *m)
{
	const unsigned bit = 1u << CONFIG_USER_IROUTE;

	if (m->user_cfg.set & bit)
		return &m->user_cfg;
	return (m->group_cfg.set & bit) ? &m->group_cfg : NULL;
}

/* The tunnel's data-path policy: the session's files over the configuration.
 * r->iroutes is allocated: free it after sending. */
static void reply_datapath(const struct server *srv, const struct main_lease *m,
			   SessionOpenReply *r)
{
	const struct config_user *u = iroutes_of(m);
	struct config_datapath dp;

	if (u != NULL && (r->iroutes = calloc(u->n_iroutes, sizeof(*r->iroutes))) != NULL) {
		r->n_iroutes = u->n_iroutes;
		for (size_t i = 0; i < u->n_iroutes; i++)
			r->iroutes[i] = (char *)u->iroutes[i].text;
	}

	config_session_datapath(&srv->cfg, &m->group_cfg, &m->user_cfg, &dp);
	r->restrict_ports = (char *)dp.restrict_ports;
	r->has_rx_data_per_sec = r->has_tx_data_per_sec = true;
	r->rx_data_per_sec = dp.rx_data_per_sec;
	r->tx_data_per_sec = dp.tx_data_per_sec;
}

/* The IPv6 address a client asked for (its previous one: X-CSTP-Address),
 * logged when it is not the session's (has: NULL when none). */
static void log_asked_ipv6(const struct worker_proc *w, const struct secmod_session *s,
			   const char *has)
{
	struct in6_addr x, y;
	char t[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, w->open_requested_ipv6, &x) != 1 ||
	    (has != NULL && inet_pton(AF_INET6, has, &y) == 1 && IN6_ARE_ADDR_EQUAL(&x, &y)))
		return;
	inet_ntop(AF_INET6, &x, t, sizeof(t));
	log_info("client %s asked for %s, session %.*s has %s", w->remote_ip, t,
		 (int)SESSION_ID_SHORT_LEN, s->sid, has != NULL ? has : "no IPv6 address");
}

/* Answer w's CONNECT with 200 and the session's device (it is attached:
 * w->session_serial, its main_lease). */
static void send_open_reply(struct server *srv, struct worker_proc *w)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;
	char ipv4[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], local[INET_ADDRSTRLEN];
	char ipv6[INET6_ADDRSTRLEN], local6[INET6_ADDRSTRLEN];
	struct secmod_session *s = session_table_find_serial(srv->sessions, w->session_serial);
	struct main_lease *m = main_lease_find(srv, w->session_serial);
	struct in_addr nm, l;
	bool mobile;

	if (s == NULL || m == NULL || vpn_session_get_state(&s->m) == VPN_SESSION_ENDED ||
	    m->tun.fd < 0) {
		/* ended while its connect-script ran */
		log_info("CONNECT from %s: the session ended meanwhile: 401", w->remote_ip);
		w->session_serial = 0;
		open_reply_refuse(srv, w, 401, "Cookie is not acceptable");
		return;
	}
	if (reply_lists(srv, m, &r) < 0) {
		log_err("session reply for %s: out of memory", w->remote_ip);
		worker_proc_kill(srv, w, "out of memory");
		return;
	}
	nm = ippool_netmask(m->pool);
	l = ippool_server_addr(m->pool);
	if (s->attrs != NULL && (s->attrs->set & SESSION_ATTR_NETMASK))
		nm = s->attrs->netmask;  /* Framed-IP-Netmask */
	inet_ntop(AF_INET, &m->ipv4, ipv4, sizeof(ipv4));
	inet_ntop(AF_INET, &nm, mask, sizeof(mask));
	inet_ntop(AF_INET, &l, local, sizeof(local));
	r.status = 200;
	r.reason = "CONNECTED";
	r.session_id = s->sid;
	r.username = s->username;
	r.group = s->group;
	r.tun_name = m->tun.name;
	r.ipv4 = ipv4;
	r.ipv4_netmask = mask;
	r.ipv4_local = local;
	r.default_domain = srv->cfg.default_domain;
	r.has_mtu = true;
	r.mtu = m->tun.mtu;
	r.has_dtls_port = true;
	r.dtls_port = main_udp_port(srv);
	r.ipv6_prefix = main_lease6_text(srv, m, ipv6, local6);
	r.has_ipv6_prefix = r.ipv6_prefix != 0;
	r.ipv6 = r.has_ipv6_prefix ? ipv6 : NULL;
	r.ipv6_local = r.has_ipv6_prefix ? local6 : NULL;
	r.has_client_bypass_protocol = true;
	r.client_bypass_protocol = srv->cfg.client_bypass_protocol;
	reply_timers(srv, w, s, m, &r, &mobile);
	reply_datapath(srv, m, &r);

	if (w->open_requested_ipv4[0] != '\0' && strcmp(w->open_requested_ipv4, ipv4) != 0)
		log_info("client %s asked for %s, session %.*s has %s", w->remote_ip,
			 w->open_requested_ipv4, (int)SESSION_ID_SHORT_LEN, s->sid, ipv4);
	log_asked_ipv6(w, s, r.ipv6);
	log_info("%s session %.*s of user '%s' from %s: %s %s peer %s%s%s, mtu %u%s%s",
		 vpn_connect_result_str(w->open_result), (int)SESSION_ID_SHORT_LEN, s->sid,
		 LOG_ESC(s->username), w->remote_ip, m->tun.name, local, ipv4,
		 r.ipv6 != NULL ? " and " : "", r.ipv6 != NULL ? ipv6 : "", m->tun.mtu,
		 w->open_new_tun ? "" : " (kept device)", mobile ? " (mobile)" : "");
	worker_proc_send(srv, w, IPC_SESSION_OPEN_REPLY, &r.base, m->tun.fd);
	free(r.dns);
	free(r.nbns);
	free(r.routes);
	free(r.no_routes);
	free(r.iroutes);
}

/* The connect-script of serial, started for worker_pid, ended: ok = exit
 * status 0 (main_script_done_fn). */
static void open_continue(struct server *srv, uint64_t serial, pid_t worker_pid, bool ok)
{
	struct worker_proc *w = worker_proc_by_pid(srv, worker_pid);
	struct main_lease *m = main_lease_find(srv, serial);

	if (w == NULL || !w->script_pending || w->session_serial != serial || w->exited) {
		/* the worker went (or the session ended) while the script ran */
		if (w != NULL)
			w->script_pending = false;
		if (!ok && m != NULL)
			sm_terminate(srv, serial, VPN_END_ADMIN_TERMINATE);
		else if (m != NULL)
			m->scripts_connected = true;
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

static uint32_t lease_seed(const struct server *srv, const struct secmod_session *s)
{
	uint32_t seed;

	if (srv->cfg.predictable_ips)
		return ippool_user_seed(s->username);
	if (gnutls_rnd(GNUTLS_RND_NONCE, &seed, sizeof(seed)) < 0)
		seed = (uint32_t)s->serial * 2654435761u;
	return seed;
}

/* The explicit-ipv4 of the session's user (else group) file, if any. */
static const struct config_user *explicit_ipv4_of(const struct main_lease *m)
{
	const unsigned bit = 1u << CONFIG_USER_EXPLICIT_IPV4;

	if (m->user_cfg.set & bit)
		return &m->user_cfg;
	return (m->group_cfg.set & bit) ? &m->group_cfg : NULL;
}

/* A new IPv4 lease for s into m->ipv4: its explicit-ipv4 when it has one
 * that is in the pool and free, else the pool's choice. */
static int lease_new_ipv4(struct server *srv, const struct secmod_session *s,
			  struct main_lease *m)
{
	const struct config_user *u = explicit_ipv4_of(m);
	struct in_addr given = { .s_addr = s->ipv4 };
	char ip[INET_ADDRSTRLEN];
	int rc;

	if (given.s_addr != 0 && cluster_is_url(srv->cfg.session_store)) {
		/* sec-mod leased it in the cluster's session store: that one
		 * or none (another would be another gateway's) */
		inet_ntop(AF_INET, &given, ip, sizeof(ip));
		rc = ippool_contains(m->pool, given) ? lease_exact(m->pool, s->serial, given, &m->ipv4)
							: -EDOM;
		if (rc < 0)
			log_warn("address %s of user '%s' from the session store %s", ip,
				 LOG_ESC(s->username), rc == -EDOM ? "is not in ipv4-network"
				 : rc == -EADDRINUSE ? "is taken here" : strerror(-rc));
		return rc;
	}
	if (u != NULL) {
		inet_ntop(AF_INET, &u->explicit_ipv4, ip, sizeof(ip));
		if (!ippool_contains(m->pool, u->explicit_ipv4))
			rc = -EDOM;
		else
			rc = lease_exact(m->pool, s->serial, u->explicit_ipv4, &m->ipv4);
		if (rc == 0)
			return 0;
		log_warn("%s %s of user '%s' %s: the pool chooses its address",
			 (u->radius_set & (1u << CONFIG_USER_EXPLICIT_IPV4)) ? "Framed-IP-Address"
									      : "explicit-ipv4", ip,
			 LOG_ESC(s->username), rc == -EDOM ? "is not in ipv4-network"
				: rc == -EADDRINUSE ? "is taken" : strerror(-rc));
	}
	return ippool_lease(m->pool, s->serial, lease_seed(srv, s), &m->ipv4);
}

/* iroute: the networks behind the client, routed through its new device
 * (the kernel drops the routes with the device). */
static void add_iroutes(struct server *srv, const struct main_lease *m)
{
	const struct config_user *u = iroutes_of(m);

	for (size_t i = 0; u != NULL && i < u->n_iroutes; i++)
		if (tun_add_route(srv->tun, &m->tun, &u->iroutes[i]) == 0)
			log_info("iroute %s of user '%s' through %s", u->iroutes[i].text,
				 LOG_ESC(m->username), m->tun.name);
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

/* The IPv4 lease and the device for w's CONNECT to the session s (m: main's
 * record of it). The lease (and a kept device) of a resumed session are
 * reused as they are: same address, same netmask, same device
 * (doc/spec/interop.md §0 rule 8). Returns NULL, with *new_tun saying
 * whether the device is new, or the reason of the 503 (logged); a lease
 * made here is then released. */
static const char *lease_and_tun(struct server *srv, const struct worker_proc *w,
				 const struct secmod_session *s, struct main_lease *m, bool *new_tun)
{
	bool new_lease = false, new_lease6;
	const char *fail = NULL;
	struct tun_v6 v6;
	int rc;

	*new_tun = false;
	if (!m->has_lease) {
		rc = lease_new_ipv4(srv, s, m);
		if (rc < 0) {
			log_warn("no IPv4 address for user '%s': %s", LOG_ESC(s->username),
				 rc == -ENOSPC ? "the pool is exhausted" : strerror(-rc));
			return "no free IP address";
		}
		m->has_lease = true;
		new_lease = true;
	}
	new_lease6 = !m->has_lease6;
	rc = main_lease6_acquire(srv, m, lease_seed(srv, s));
	if (rc < 0) {
		log_warn("no IPv6 address for user '%s': %s", LOG_ESC(s->username),
			 rc == -ENOSPC ? "the pool is exhausted" : strerror(-rc));
		fail = "no free IP address";
	} else if (m->tun.fd < 0) {
		rc = tun_create(srv->tun, srv->cfg.device, ippool_server_addr(m->pool), m->ipv4,
				main_lease6_tun(srv, m, &v6) ? &v6 : NULL,
				link_mtu(srv, w->open_base_mtu), &m->tun);
		if (rc < 0)
			fail = "could not create the tun device";
		*new_tun = rc == 0;
		if (rc == 0)
			add_iroutes(srv, m);
	}
	if (fail != NULL) {
		if (new_lease) {
			ippool_release(m->pool, s->serial);
			m->has_lease = false;
		}
		if (new_lease6)
			main_lease6_release(srv, m);
	}
	return fail;
}

/* sec-mod attached w to the session of rep: find it in the mirror, count the
 * CONNECT, and get main's record, the lease and the device. Returns NULL
 * with *sp, *mp and *new_tun set, or the reason of the 503 (logged). */
static const char *open_acquire(struct server *srv, struct worker_proc *w, const SmOpenReply *rep,
				struct secmod_session **sp, struct main_lease **mp, bool *new_tun)
{
	uint64_t serial = rep->session->serial;
	struct secmod_session *s;

	/* sec-mod sent the record before its reply: the mirror has it */
	s = session_table_find_serial(srv->sessions, serial);
	if (s == NULL || vpn_session_get_state(&s->m) != VPN_SESSION_ACTIVE) {
		log_err("CONNECT from %s: session %llu is not in main's mirror as active",
			w->remote_ip, (unsigned long long)serial);
		return "internal error";
	}
	count_connect(srv, rep->has_result ? (enum vpn_connect_result)rep->result
					   : VPN_CONNECT_FIRST);
	*sp = s;
	*mp = lease_get(srv, s);
	if (*mp == NULL) {
		log_err("CONNECT from %s: out of memory", w->remote_ip);
		return "out of memory";
	}
	return lease_and_tun(srv, w, s, *mp, new_tun);
}

/* Another worker held the session of s: it is taken over by w. */
static void take_over(struct server *srv, struct worker_proc *w, const struct secmod_session *s)
{
	struct worker_proc *old = worker_proc_by_session(srv, s->serial);

	if (old == NULL || old == w)
		return;
	log_info("session %.*s of user '%s' taken over by %s (worker %ld replaces %ld)",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), w->remote_ip,
		 (long)w->pid, (long)old->pid);
	old->session_serial = 0;
	old->taken_serial = s->serial;
	if (old->state != WORKER_DOWN)
		worker_proc_terminate(srv, old, VPN_END_TAKEOVER);
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
		m->first_attach_ms = vpn_now_ms();
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

void main_session_on_sm_open_reply(struct server *srv, const SmOpenReply *rep)
{
	struct worker_proc *w = worker_proc_by_request(srv, rep->request_id);
	uint64_t serial = rep->session != NULL ? rep->session->serial : 0;
	uint32_t attach = rep->session != NULL ? rep->session->attaches : 0;
	struct secmod_session *s = NULL;
	struct main_lease *m = NULL;
	const char *fail;
	bool new_tun, let_in;

	if (w != NULL)
		w->sm_request = 0;
	if (w == NULL || w->exited || w->sigterm_sent || w->state != WORKER_AUTH) {
		/* sec-mod attached a tunnel that will never come */
		if (rep->status == 200 && serial != 0)
			sm_tunnel_down(srv, serial, attach, VPN_END_WORKER_CRASHED, NULL);
		return;
	}
	if (rep->status == 503) {
		log_info("CONNECT from %s: %s: 503", w->remote_ip,
			 rep->reason != NULL ? rep->reason : "refused for now");
		open_reply_refuse(srv, w, 503, "Session store unreachable");
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
		/* the one way back: nothing of this CONNECT stays, and the
		 * tunnel sec-mod attached ends */
		if (m != NULL && m->worker_pid == 0 && m->tunnels == 0)
			lease_free(srv, m);
		open_reply_refuse(srv, w, 503, fail);
		sm_tunnel_down(srv, serial, attach, VPN_END_TUNNEL_LOST, NULL);
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

/* --- tunnels -------------------------------------------------------------------- */

void main_session_tunnel_up(struct server *srv, struct worker_proc *w)
{
	SmTunnelUp u = SM_TUNNEL_UP__INIT;
	struct main_lease *m = main_lease_find(srv, w->session_serial);

	if (w->session_serial == 0)
		return;
	u.serial = w->session_serial;
	u.remote_ip = w->remote_ip;
	u.has_worker_pid = true;
	u.worker_pid = (uint32_t)w->pid;
	/* the lease goes to the session store: a restart gives it back */
	u.has_ipv4 = m != NULL && m->has_lease;
	u.ipv4 = u.has_ipv4 ? m->ipv4.s_addr : 0;
	u.has_ipv6 = m != NULL && m->has_lease6;
	u.ipv6.len = u.has_ipv6 ? sizeof(m->ipv6) : 0;
	u.ipv6.data = u.has_ipv6 ? m->ipv6.s6_addr : NULL;
	(void)main_secmod_send(srv, IPC_SM_TUNNEL_UP, &u.base);
}

void main_session_tunnel_stats(struct server *srv, struct worker_proc *w)
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

void main_session_tunnel_down(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason)
{
	count_tunnel_end(srv, reason);
	main_events_tunnel_down(srv, w, reason);
	tunnel_detached(srv, w, reason);
}

/* --- probes (max-same-clients, for sec-mod) ---------------------------------- */

void main_session_on_sm_probe(struct server *srv, const SmProbe *p)
{
	struct worker_proc *w = worker_proc_by_session(srv, p->serial);
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
	if (worker_proc_send(srv, w, IPC_PROBE, &q.base, -1) < 0) {
		probe_result(srv, p->serial, false);
		return;
	}
	w->probe_request = q.request_id;
	w->probe_serial = p->serial;
}

void main_session_probe_reply(struct server *srv, struct worker_proc *w, const ProbeReply *r)
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

/* A worker that goes away while its login is checked, or waits for the
 * answer to a further form: sec-mod drops that login (its check or PAM
 * conversation ends now rather than at its deadline). */
static void auth_cancel(struct server *srv, struct worker_proc *w)
{
	SmAuthRequest q = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;

	if (w->state != WORKER_AUTH || (w->sm_request == 0 && w->login_token[0] == '\0'))
		return;
	a.username = "";
	a.password = "";
	a.remote_ip = w->remote_ip;
	a.login_token = w->login_token[0] != '\0' ? w->login_token : NULL;
	a.has_cancel = a.cancel = true;
	q.request_id = w->sm_request;
	q.auth = &a;
	(void)main_secmod_send(srv, IPC_SM_AUTH_REQUEST, &q.base);
}

void main_session_worker_gone(struct server *srv, struct worker_proc *w)
{
	auth_cancel(srv, w);
	if (w->state == WORKER_OPENING || w->state == WORKER_TUNNEL) {
		count_tunnel_end(srv, VPN_END_WORKER_CRASHED);
		main_events_tunnel_down(srv, w, VPN_END_WORKER_CRASHED);
	}
	if (w->state != WORKER_DOWN)
		tunnel_detached(srv, w, VPN_END_WORKER_CRASHED);
	/* a probe unanswered: its client counts as silent */
	if (w->probe_request != 0) {
		w->probe_request = 0;
		probe_result(srv, w->probe_serial, false);
	}
}
