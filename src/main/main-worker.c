/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* accept4 */

/*
 * Worker processes, seen from main: one per accepted TCP connection, with
 * the TCP socket as fd 3, its end of a SOCK_SEQPACKET socketpair as fd 4
 * and its end of the key channel to sec-mod as fd 5
 * (sec-mod/sec-mod-key.h): forked by the worker zygote (main-zygote.h), or,
 * without one, fork + exec of ocserv-modern-worker. Either way main is its
 * parent. This file accepts, spawns, reaps,
 * and reads what a worker says over IPC (src/common/ipc.h): it checks that
 * each message comes in turn and updates the worker's record; what the
 * message means for the session (sec-mod, lease, device, scripts) is
 * main-session.c's:
 *
 *   AuthRequest         -> main_session_auth
 *   SessionOpenRequest  -> main_session_open
 *   TunnelUp            the CONNECT was answered: DTLS routing (main-udp.c),
 *                       main_session_tunnel_up
 *   TunnelStats         counters: main_session_tunnel_stats, the metrics
 *                       (main-metrics.c), and occtl's show commands
 *                       (main_ctl_on_tunnel_stats)
 *   TunnelDown          the tunnel ended: main_session_tunnel_down
 *   DtlsStatus          main-udp.c
 *   ProbeReply          main_session_probe_reply
 *
 * A worker that exits without TunnelDown while holding a session counts as
 * worker-crashed (main_session_worker_gone). Main never blocks on a
 * worker: its IPC socket is non-blocking, and a worker that sends garbage,
 * or whose socket is full, is logged and sent SIGTERM (SIGKILL
 * MAIN_KILL_GRACE_S later; worker-proc.c).
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

#include "common/ipc.h"
#include "common/log.h"
#include "common/privs.h"
#include "main/main-ctl.h"
#include "main/main-events.h"
#include "main/main-listen.h"
#include "main/main-metrics.h"
#include "main/main-proxy.h"
#include "main/main-secmod.h"
#include "main/main-session.h"
#include "main/main-zygote.h"
#include "worker/sandbox.h"
#include "main/main-udp.h"
#include "main/main.h"
#include "main/worker-proc.h"

/* --- what a worker says ---------------------------------------------------- */

/* An AuthRequest or a SessionOpenRequest comes once, before any session,
 * and not while the last one waits for sec-mod. */
static bool request_in_turn(struct server *srv, struct worker_proc *w, const char *what)
{
	char why[64];

	if (w->session_serial == 0 && w->state == WORKER_AUTH && w->sm_request == 0)
		return true;
	snprintf(why, sizeof(why), "%s out of turn", what);
	worker_proc_kill(srv, w, why);
	return false;
}

static struct secmod_session *worker_session(struct server *srv, struct worker_proc *w)
{
	return w->session_serial ? session_table_find_serial(srv->sessions, w->session_serial) : NULL;
}

static void on_tunnel_up(struct server *srv, struct worker_proc *w, const TunnelUp *up)
{
	struct secmod_session *s = worker_session(srv, w);

	if (w->state != WORKER_OPENING) {
		worker_proc_kill(srv, w, "TunnelUp without an opened session");
		return;
	}
	if (s != NULL && strcmp(up->session_id, s->sid) != 0) {
		worker_proc_kill(srv, w, "TunnelUp for another session");
		return;
	}
	w->state = WORKER_TUNNEL;
	main_udp_tunnel_up(srv, w, up);
	main_events_tunnel_up(srv, w, up);
	log_info("tunnel up: user '%s' from %s on %s%s%s",
		 LOG_ESC(w->username ? w->username : "?"), w->remote_ip, w->tun.name,
		 up->tls_cipher ? ", " : "", up->tls_cipher ? up->tls_cipher : "");
	main_session_tunnel_up(srv, w);
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

static void on_tunnel_down(struct server *srv, struct worker_proc *w, const TunnelDown *d)
{
	enum vpn_end_reason reason = (enum vpn_end_reason)d->reason;

	if (w->state != WORKER_OPENING && w->state != WORKER_TUNNEL) {
		worker_proc_kill(srv, w, "TunnelDown without a tunnel");
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
	worker_proc_exit_deadline(srv, w);
	log_info("user '%s' disconnected from %s (reason: %s, rx: %llu, tx: %llu)",
		 LOG_ESC(w->username ? w->username : "?"), w->remote_ip, vpn_end_reason_str(reason),
		 (unsigned long long)w->bytes_in, (unsigned long long)w->bytes_out);
	main_session_tunnel_down(srv, w, reason);
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
			worker_proc_kill(srv, w, why);
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
			if (request_in_turn(srv, w, "AuthRequest"))
				main_session_auth(srv, w, m.auth_request);
			break;
		case IPC_SESSION_OPEN_REQUEST:
			if (request_in_turn(srv, w, "a SessionOpenRequest"))
				main_session_open(srv, w, m.session_open_request);
			break;
		case IPC_TUNNEL_UP:
			on_tunnel_up(srv, w, m.tunnel_up);
			break;
		case IPC_TUNNEL_STATS:
			on_tunnel_stats(w, m.tunnel_stats);
			main_metrics_tunnel_stats(srv, w, m.tunnel_stats);
			main_session_tunnel_stats(srv, w);
			main_ctl_on_tunnel_stats(srv, w, m.tunnel_stats);
			break;
		case IPC_TUNNEL_DOWN:
			on_tunnel_down(srv, w, m.tunnel_down);
			break;
		case IPC_DTLS_STATUS:
			main_udp_on_status(srv, w, m.dtls_status);
			break;
		case IPC_PROBE_REPLY:
			main_session_probe_reply(srv, w, m.probe_reply);
			break;
		case IPC_SANDBOX_VIOLATION:
			w->forbidden_syscall = (int)m.sandbox_violation->syscall;
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
		case IPC_SM_SESSION_TIMERS:
		case IPC_KEY_OP_REQUEST:
		case IPC_KEY_OP_REPLY:
		case IPC_INVALID:
			ipc_msg_free(&m);
			worker_proc_kill(srv, w, "sent a message only main sends");
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

void main_worker_exec(const struct server *srv, char *const argv[], const int *fds, int n)
{
	int high[MAIN_WORKER_MAX_FDS];
	sigset_t all;

	/* Move them out of the way first, so dup2 onto 3, 4, ... cannot
	 * clobber one with another; dup2 clears close-on-exec on the targets. */
	for (int i = 0; i < n; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		if (high[i] < 0) {
			log_err("worker setup: %s", strerror(errno));
			_exit(127);
		}
	}
	for (int i = 0; i < n; i++) {
		if (dup2(high[i], 3 + i) < 0) {
			log_err("worker setup: %s", strerror(errno));
			_exit(127);
		}
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* the worker never runs as root nor with a capability */
	if (privs_drop("worker", srv->cfg.run_as_user, srv->cfg.run_as_group) < 0)
		_exit(127);
	execv(srv->worker_path, argv);
	log_err("exec %s: %s", srv->worker_path, strerror(errno));
	_exit(127);
}

/* In the child: tcp on fd 3, ipc on fd 4 and the key channel on fd 5, and
 * the worker executed. With listen-proxy-proto the worker's TCP peer is the
 * front: -a tells it the client's address (w->remote_ip, from the PROXY
 * header) for its log. Never returns. */
static void exec_worker(const struct server *srv, const struct worker_proc *w, int tcp, int ipc,
			int key)
{
	char level[16];
	char *argv[] = { "ocserv-modern-worker", "-c", (char *)srv->config_path, "-d", level,
			 srv->cfg.listen_proxy_proto ? "-a" : NULL, (char *)w->remote_ip, NULL };
	const int fds[] = { tcp, ipc, key };

	snprintf(level, sizeof(level), "%d", srv->log_level);
	main_worker_exec(srv, argv, fds, 3);
}

/* The text form of a socket address, without port ("" if none). */
static void sockaddr_ip(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t size)
{
	struct ban_addr a;

	out[0] = '\0';
	if (ss != NULL && ban_addr_from_sockaddr((const struct sockaddr *)ss, len, &a) == 0)
		ban_addr_str(&a, out, size);
}

/* A worker for the connection tcp from the client ss, from the zygote or
 * else forked and executed; local: the address it connected to (NULL: the
 * socket's own). */
static void spawn_worker(struct server *srv, int tcp, const struct sockaddr_storage *ss,
			 socklen_t sslen, const struct sockaddr_storage *local, socklen_t local_len)
{
	struct sockaddr_storage me;
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
	if (local == NULL) {
		local_len = sizeof(me);
		if (getsockname(tcp, (struct sockaddr *)&me, &local_len) == 0)
			local = &me;
	}
	sockaddr_ip(local, local_len, w->local_ip, sizeof(w->local_ip));
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
	pid = main_zygote_spawn(srv, tcp, sp[1], kp[1],
				srv->cfg.listen_proxy_proto ? w->remote_ip : NULL);
	if (pid == MAIN_ZYGOTE_NONE)
		pid = fork();
	else if (pid == MAIN_ZYGOTE_FAILED)
		errno = ECONNABORTED;
	if (pid < 0) {
		log_err("no worker for %s: %s", w->remote_ip, strerror(errno));
		close(sp[0]);
		close(sp[1]);
		close(kp[0]);
		close(kp[1]);
		close(tcp);
		free(w);
		return;
	}
	if (pid == 0)
		exec_worker(srv, w, tcp, sp[1], kp[1]);

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
	w->forbidden_syscall = -1;
	w->state = WORKER_AUTH;
	w->started_ms = vpn_now_ms();
	ev_io_init(&w->ipc_w, ipc_cb, w->ipc_fd, EV_READ);
	w->ipc_w.data = w;
	ev_io_start(srv->loop, &w->ipc_w);
	worker_proc_timer_start(srv, w, srv->cfg.auth_timeout_s + MAIN_AUTH_SLACK_S);

	w->next = srv->workers;
	if (srv->workers)
		srv->workers->prev = w;
	srv->workers = w;
	srv->n_workers++;
	log_info("connection from %s port %u: worker %ld", w->remote_ip, w->remote_port, (long)pid);
}

/* Connections without a session yet (still logging in), in all and from
 * address a: max-unauth and max-unauth-per-ip count these, max-clients the
 * tunnels (main_session_open). */
static void count_unauth(const struct server *srv, const struct ban_addr *a, unsigned *all,
			 unsigned *same)
{
	*all = *same = 0;
	for (const struct worker_proc *w = srv->workers; w != NULL; w = w->next) {
		if (w->state != WORKER_AUTH || w->exited)
			continue;
		(*all)++;
		*same += ban_addr_equal(&w->addr, a);
	}
}

/* Over max-unauth or max-unauth-per-ip: why (the connection is closed at
 * once), or NULL. */
static const char *unauth_limit(const struct server *srv, const struct ban_addr *a)
{
	unsigned all, same;

	if (srv->cfg.max_unauth == 0 && srv->cfg.max_unauth_per_ip == 0)
		return NULL;
	count_unauth(srv, a, &all, &same);
	if (srv->cfg.max_unauth != 0 && all >= srv->cfg.max_unauth)
		return "max-unauth";
	if (srv->cfg.max_unauth_per_ip != 0 && same >= srv->cfg.max_unauth_per_ip)
		return "max-unauth-per-ip";
	return NULL;
}

/* A refused connection is logged at most once a second (with how many
 * were refused since the last line): a flood must not flood the log. */
static void log_refused(const char *who, const char *why, vpn_ms_t now)
{
	static vpn_ms_t last;
	static unsigned long quiet;

	if (last != 0 && now - last < 1000) {
		quiet++;
		return;
	}
	if (quiet != 0)
		log_warn("connection from %s refused: %s (and %lu more since the last such line)",
			 who, why, quiet);
	else
		log_warn("connection from %s refused: %s", who, why);
	last = now;
	quiet = 0;
}

void main_bans_touched(struct server *srv)
{
	if (ban_entries(srv->bans) > 0 && !ev_is_active(&srv->maint_w))
		ev_timer_again(srv->loop, &srv->maint_w);
}

/* Banned, or over a limit: closed at once (true). points: ban points the
 * connection costs. */
static bool accept_refused(struct server *srv, const struct ban_addr *a, unsigned points,
			   vpn_ms_t now)
{
	char ip[INET6_ADDRSTRLEN], reached[64];
	const char *why;
	bool banned;

	ban_addr_str(a, ip, sizeof(ip));
	if (ban_is_banned(srv->bans, a, now)) {
		log_info("connection from %s refused: address banned", ip);
		return true;
	}
	banned = ban_add_points(srv->bans, a, points, now);
	main_bans_touched(srv);
	if (banned) {
		log_warn("address %s banned for %u s (ban score reached %u)", ip,
			 srv->cfg.min_reauth_time_s, srv->cfg.max_ban_score);
		return true;
	}
	why = unauth_limit(srv, a);
	if (why != NULL) {
		snprintf(reached, sizeof(reached), "%s reached", why);
		log_refused(ip, reached, now);
		return true;
	}
	return false;
}

/* The connection fd from client (bans, limits): a worker, or closed. local:
 * the address the client connected to (NULL: the socket's own). */
static void admit(struct server *srv, int fd, const struct sockaddr_storage *client,
		  socklen_t client_len, const struct sockaddr_storage *local, socklen_t local_len,
		  unsigned points)
{
	struct ban_addr a;

	if (ban_addr_from_sockaddr((const struct sockaddr *)client, client_len, &a) < 0 ||
	    accept_refused(srv, &a, points, vpn_now_ms())) {
		close(fd);
		return;
	}
	spawn_worker(srv, fd, client, client_len, local, local_len);
}

/* listen-proxy-proto: the header was read (main-proxy.h). The front's own
 * LOCAL connections (health checks) cost no ban points: they would ban the
 * front. */
static void proxy_done(struct server *srv, const struct main_proxy_result *r)
{
	char who[INET6_ADDRSTRLEN + 32];
	uint16_t port = ntohs(r->peer->ss_family == AF_INET6
			      ? ((const struct sockaddr_in6 *)r->peer)->sin6_port
			      : ((const struct sockaddr_in *)r->peer)->sin_port);
	size_t n;

	if (r->client != NULL) {
		admit(srv, r->fd, r->client, r->client_len, r->local, r->local_len,
		      r->front_local ? 0 : srv->cfg.ban_points_connection);
		return;
	}
	sockaddr_ip(r->peer, r->peer_len, who, sizeof(who));
	n = strlen(who);
	snprintf(who + n, sizeof(who) - n, " port %u", port);
	if (r->why == NULL)
		log_debug("connection from %s closed before its PROXY header (a health check?)", who);
	else
		log_refused(who, r->why, vpn_now_ms());
	close(r->fd);
}

void main_accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct server *srv = ev_userdata(loop);

	/* A few per wake-up: a flood on one listener must not starve IPC. */
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the connection stays queued and the listener readable:
				 * pause instead of spinning on it */
				log_err("accept: %s: not accepting for %.0f s", strerror(errno),
					MAIN_ACCEPT_PAUSE_S);
				main_pause_listeners(srv, MAIN_ACCEPT_PAUSE_S);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_err("accept: %s", strerror(errno));
			}
			return;
		}
		if (!srv->cfg.listen_proxy_proto) {
			admit(srv, fd, &ss, sslen, NULL, 0, srv->cfg.ban_points_connection);
		} else if (main_proxy_start(srv, fd, &ss, sslen, proxy_done) < 0) {
			char ip[INET6_ADDRSTRLEN];

			sockaddr_ip(&ss, sslen, ip, sizeof(ip));
			log_refused(ip, "too many connections waiting for their PROXY header",
				    vpn_now_ms());
			close(fd);
		}
		if (srv->cfg.rate_limit_ms != 0) {
			/* one connection per rate-limit-ms: the next wait in the
			 * kernel's backlog, the loop goes on */
			main_pause_listeners(srv, srv->cfg.rate_limit_ms / 1000.0);
			return;
		}
	}
}

/* --- reaping -------------------------------------------------------------- */

static void free_worker(struct server *srv, struct worker_proc *w)
{
	main_udp_worker_gone(srv, w);
	main_ctl_worker_gone(srv, w);
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
	char how[96];
	bool clean;

	w->exited = true;
	ev_timer_stop(srv->loop, &w->timer_w);
	/* Read what it managed to say before dying (TunnelDown, stats, the
	 * system call its sandbox trapped). */
	if (w->ipc_fd >= 0)
		ipc_cb(srv->loop, &w->ipc_w, EV_READ);
	if (WIFEXITED(status)) {
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
		clean = WEXITSTATUS(status) == 0;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		char name[64];

		/* its seccomp filter (worker/sandbox.h) trapped a system call */
		snprintf(how, sizeof(how), "killed by SIGSYS: forbidden system call %s",
			 w->forbidden_syscall >= 0
			 ? sandbox_syscall_name(w->forbidden_syscall, name, sizeof(name))
			 : "(not reported)");
		clean = false;
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
	s = worker_session(srv, w);
	if (w->session_serial != 0) {
		/* attached to a session and no TunnelDown: doc/spec/liveness.md §2.1 */
		log_warn("worker %ld of user '%s' died without reporting its tunnel end: %s",
			 (long)w->pid, LOG_ESC(s != NULL ? s->username : "?"),
			 vpn_end_reason_str(VPN_END_WORKER_CRASHED));
	}
	main_session_worker_gone(srv, w);
	free_worker(srv, w);
}

void main_worker_exited(struct server *srv, pid_t pid, int status)
{
	struct worker_proc *w = worker_proc_by_pid(srv, pid);

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
}
