/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * ocserv-modern: the main process. It reads the configuration, listens on
 * tcp-port, forks one ocserv-modern-worker per connection (main-worker.c),
 * owns the session table, the IPv4 pool, the tun devices and the bans, and
 * handles the signals: SIGTERM/SIGINT stop, SIGHUP reloads. One libev loop;
 * nothing in it waits on a worker.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/log.h"
#include "main/main-ctl.h"
#include "main/main-events.h"
#include "main/main-metrics.h"
#include "main/main-notify.h"
#include "main/main-secmod.h"
#include "main/main-script.h"
#include "main/main.h"
#include "main/main-udp.h"
#include "common/passwd.h"
#include "common/privs.h"

#ifndef CONFIG_DEFAULT_PATH
#define CONFIG_DEFAULT_PATH "/etc/ocserv-modern/ocserv.conf"
#endif
#define WORKER_NAME "ocserv-modern-worker"
#ifdef ENABLE_TEST_HOOKS
#define TEST_BUILD_NOTE " (test build: OCSERV_MODERN_WORKER chooses the worker)"
#else
#define TEST_BUILD_NOTE ""
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ocserv-modern [-f] [-d LEVEL] [-c FILE]\n"
		"       ocserv-modern -t [-c FILE]\n"
		"OpenConnect-protocol VPN gateway (main process).\n\n"
		"  -c FILE   configuration file (default %s)\n"
		"  -f        stay in the foreground (no daemon, no pid-file)\n"
		"  -d LEVEL  log level 0..4: error, warning, info (default), debug, trace\n"
		"  -t        check the configuration and exit (0: valid, 1: error)\n"
		"  -h        this help\n"
		"  -v        print the version\n",
		CONFIG_DEFAULT_PATH);
}

/* --- configuration -------------------------------------------------------- */

static void config_warn(void *opaque, unsigned line, const char *key, const char *msg)
{
	log_warn("%s", msg);
}

/* Load path into *cfg; on failure log (or print, for -t) file:line. */
static int load_config(const char *path, struct config *cfg, bool to_stderr)
{
	struct config_diag diag = { .warn = config_warn };
	int r = config_load(path, cfg, &diag);

	if (r < 0) {
		const char *msg = diag.msg[0] ? diag.msg : strerror(-r);

		if (to_stderr)
			fprintf(stderr, "ocserv-modern: %s\n", msg);
		else
			log_err("%s", msg);
		return r;
	}
	return 0;
}

static int check_passwd_file(const struct config *cfg, bool to_stderr)
{
	char err[512];
	int r = passwd_validate(cfg->auth_passwd_file, err, sizeof(err));

	if (r < 0) {
		if (to_stderr)
			fprintf(stderr, "ocserv-modern: %s\n", err);
		else
			log_err("%s", err);
	}
	return r;
}

/* --- reload (SIGHUP) ------------------------------------------------------ */

static bool str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static bool addrs_differ(const struct config_addr *a, size_t na, const struct config_addr *b,
			 size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].text, b[i].text) != 0)
			return true;
	return false;
}

static bool routes_differ(const struct config_route *a, size_t na, const struct config_route *b,
			  size_t nb)
{
	if (na != nb)
		return true;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].text, b[i].text) != 0)
			return true;
	return false;
}

/* "a, b, c" (or "none"), cut with "..." when it does not fit. */
#define LIST_TEXT_MAX 512
static const char *join_text(const char *const *items, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", items[i]);

		if (w < 0 || (size_t)w >= len - used) {
			snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			break;
		}
		used += (size_t)w;
	}
	return buf;
}

static const char *addrs_text(const struct config_addr *a, size_t n, char *buf, size_t len)
{
	const char *items[64];
	size_t k = n < 64 ? n : 64;

	for (size_t i = 0; i < k; i++)
		items[i] = a[i].text;
	return join_text(items, k, buf, len);
}

static const char *routes_text(const struct config_route *r, size_t n, char *buf, size_t len)
{
	const char *items[64];
	size_t k = n < 64 ? n : 64;

	for (size_t i = 0; i < k; i++)
		items[i] = r[i].text;
	return join_text(items, k, buf, len);
}

/* Log every difference; return how many. restart_only: the values main
 * cannot change while running (they are kept). */
static unsigned log_changes(const struct config *o, const struct config *n, bool restart_only)
{
	unsigned changes = 0;

#define U32(field, key)                                                                     \
	if (o->field != n->field) {                                                         \
		changes++;                                                                  \
		log_info("reload: %s %lu -> %lu%s", key, (unsigned long)o->field,           \
			 (unsigned long)n->field, restart_only ? " (needs a restart: kept)" : ""); \
	}
#define BOOL(field, key)                                                                  \
	if (o->field != n->field) {                                                       \
		changes++;                                                                \
		log_info("reload: %s %s -> %s", key, o->field ? "true" : "false",          \
			 n->field ? "true" : "false");                                     \
	}
#define STR(field, key)                                                                      \
	if (str_differs(o->field, n->field)) {                                               \
		changes++;                                                                   \
		log_info("reload: %s '%s' -> '%s'%s", key, o->field ? o->field : "",         \
			 n->field ? n->field : "", restart_only ? " (needs a restart: kept)" : ""); \
	}
	if (restart_only) {
		STR(listen_host, "listen-host");
		U32(tcp_port, "tcp-port");
		U32(udp_port, "udp-port");
		U32(ipv4_network.s_addr, "ipv4-network");
		U32(ipv4_prefix, "ipv4-netmask prefix");
		STR(device, "device");
		STR(pid_file, "pid-file");
		STR(occtl_socket_file, "occtl-socket-file");
		if (o->occtl_socket_mode != n->occtl_socket_mode) {
			changes++;
			log_info("reload: occtl-socket-mode %04o -> %04o (needs a restart: kept)",
				 (unsigned)o->occtl_socket_mode, (unsigned)n->occtl_socket_mode);
		}
		STR(occtl_socket_group, "occtl-socket-group");
		STR(occtl_admin_group, "occtl-admin-group");
		STR(metrics_listen, "metrics-listen");
		STR(session_store, "session-store");
		return changes;
	}
	STR(auth_passwd_file, "auth passwd file");
	STR(connect_script, "connect-script");
	STR(disconnect_script, "disconnect-script");
	if (addrs_differ(o->dns, o->n_dns, n->dns, n->n_dns)) {
		char a[LIST_TEXT_MAX], b[LIST_TEXT_MAX];

		changes++;
		log_info("reload: dns %s -> %s", addrs_text(o->dns, o->n_dns, a, sizeof(a)),
			 addrs_text(n->dns, n->n_dns, b, sizeof(b)));
	}
	if (o->route_default != n->route_default ||
	    routes_differ(o->routes, o->n_routes, n->routes, n->n_routes)) {
		char a[LIST_TEXT_MAX], b[LIST_TEXT_MAX];

		changes++;
		log_info("reload: route %s -> %s",
			 o->route_default ? "default" : routes_text(o->routes, o->n_routes, a, sizeof(a)),
			 n->route_default ? "default" : routes_text(n->routes, n->n_routes, b, sizeof(b)));
	}
	if (routes_differ(o->no_routes, o->n_no_routes, n->no_routes, n->n_no_routes)) {
		char a[LIST_TEXT_MAX], b[LIST_TEXT_MAX];

		changes++;
		log_info("reload: no-route %s -> %s",
			 routes_text(o->no_routes, o->n_no_routes, a, sizeof(a)),
			 routes_text(n->no_routes, n->n_no_routes, b, sizeof(b)));
	}
	STR(default_domain, "default-domain");
	U32(mtu, "mtu");
	BOOL(predictable_ips, "predictable-ips");
	BOOL(keep_tun_on_resume, "keep-tun-on-resume");
	U32(max_clients, "max-clients");
	U32(max_same_clients, "max-same-clients");
	U32(max_ban_score, "max-ban-score");
	U32(ban_reset_time_s, "ban-reset-time");
	U32(min_reauth_time_s, "min-reauth-time");
	U32(auth_timeout_s, "auth-timeout");
	U32(dpd_s, "dpd");
	U32(mobile_dpd_s, "mobile-dpd");
	U32(dpd_retries, "dpd-retries");
	U32(keepalive_s, "keepalive");
	U32(idle_timeout_s, "idle-timeout");
	U32(mobile_idle_timeout_s, "mobile-idle-timeout");
	U32(session_timeout_s, "session-timeout");
	U32(cookie_timeout_s, "cookie-timeout");
	BOOL(persistent_cookies, "persistent-cookies");
	U32(switch_to_tcp_timeout_s, "switch-to-tcp-timeout");
	return changes;
#undef U32
#undef BOOL
#undef STR
}

#define SWAP(a, b)                         \
	do {                               \
		__typeof__(a) tmp_ = (a);  \
		(a) = (b);                 \
		(b) = tmp_;                \
	} while (0)

static int reload_config(struct server *srv)
{
	struct config n = { 0 };
	struct ban_cfg bc;
	struct vpn_session_cfg sc;
	unsigned changes;

	log_info("SIGHUP: reloading %s", srv->config_path);
	if (load_config(srv->config_path, &n, false) < 0) {
		log_err("reload failed: keeping the current configuration");
		return -EINVAL;
	}
	if (check_passwd_file(&n, false) < 0)
		log_warn("reload: the password file has errors (logins may fail)");
	log_changes(&srv->cfg, &n, true);
	changes = log_changes(&srv->cfg, &n, false);
	/* What main built its sockets (the control socket too), pool and
	 * devices from stays. */
	SWAP(srv->cfg.listen_host, n.listen_host);
	SWAP(srv->cfg.tcp_port, n.tcp_port);
	SWAP(srv->cfg.udp_port, n.udp_port);
	SWAP(srv->cfg.ipv4_network, n.ipv4_network);
	SWAP(srv->cfg.ipv4_netmask, n.ipv4_netmask);
	SWAP(srv->cfg.ipv4_prefix, n.ipv4_prefix);
	SWAP(srv->cfg.device, n.device);
	SWAP(srv->cfg.pid_file, n.pid_file);
	SWAP(srv->cfg.occtl_socket_file, n.occtl_socket_file);
	SWAP(srv->cfg.occtl_socket_mode, n.occtl_socket_mode);
	SWAP(srv->cfg.occtl_socket_group, n.occtl_socket_group);
	SWAP(srv->cfg.occtl_admin_group, n.occtl_admin_group);
	SWAP(srv->cfg.metrics_listen, n.metrics_listen);
	SWAP(srv->cfg.session_store, n.session_store);
	SWAP(srv->cfg, n);
	config_free(&n);

	main_ban_cfg(&srv->cfg, &bc);
	ban_set_cfg(srv->bans, &bc);
	main_session_cfg(&srv->cfg, &sc);
	session_table_set_cfg(srv->sessions, &sc);
	main_secmod_config(srv);
	log_info("reload done: %u change%s (session timers apply to new sessions, tunnel "
		 "settings to new tunnels, bans at once)", changes, changes == 1 ? "" : "s");
	return 0;
}

int main_reload(struct server *srv)
{
	int r;

	main_notify_reloading(srv);
	r = reload_config(srv);
	main_notify_ready(srv); /* also after a failure: the old configuration runs on */
	return r;
}

/* --- listeners ------------------------------------------------------------ */

static void listeners_start(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++)
		ev_io_start(srv->loop, &srv->listeners[i].w);
}

static void listeners_close(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++) {
		ev_io_stop(srv->loop, &srv->listeners[i].w);
		close(srv->listeners[i].fd);
	}
	srv->n_listeners = 0;
	ev_timer_stop(srv->loop, &srv->accept_pause_w);
}

static void accept_pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (!srv->shutting_down)
		listeners_start(srv);
}

void main_pause_listeners(struct server *srv)
{
	for (int i = 0; i < srv->n_listeners; i++)
		ev_io_stop(srv->loop, &srv->listeners[i].w);
	ev_timer_stop(srv->loop, &srv->accept_pause_w);
	ev_timer_set(&srv->accept_pause_w, MAIN_ACCEPT_PAUSE_S, 0.);
	ev_timer_start(srv->loop, &srv->accept_pause_w);
}

int main_open_sockets(const struct config *cfg, int socktype, unsigned port,
		      struct main_socket *out, int max)
{
	struct addrinfo hints = { .ai_socktype = socktype,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	const char *proto = socktype == SOCK_STREAM ? "TCP" : "UDP";
	struct addrinfo *res, *ai;
	char portstr[8];
	int n = 0, r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(cfg->listen_host, portstr, &hints, &res);
	if (r != 0) {
		log_err("listen-host '%s' for %s port %u: %s",
			cfg->listen_host ? cfg->listen_host : "*", proto, port, gai_strerror(r));
		return -EINVAL;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		struct main_socket *m = &out[n];
		char host[NI_MAXHOST];
		int one = 1, fd;

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
				NI_NUMERICHOST) != 0)
			snprintf(host, sizeof(host), "?");
		snprintf(m->name, sizeof(m->name), ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
			 host, portstr);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			if (errno == EAFNOSUPPORT)
				log_debug("%s %s: address family not available", proto, m->name);
			else
				log_err("%s socket for %s: %s", proto, m->name, strerror(errno));
			continue;
		}
		/* UDP: the per-client DTLS sockets share the address and port */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (socktype == SOCK_DGRAM) {
			/* before bind: every datagram says which address it was for */
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
			else
				setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    (socktype == SOCK_STREAM && listen(fd, 1024) < 0)) {
			if (errno == EADDRNOTAVAIL && ai->ai_family == AF_INET6 &&
			    cfg->listen_host == NULL)
				log_debug("%s %s: %s", proto, m->name, strerror(errno));
			else
				log_err("listening on %s %s: %s", proto, m->name, strerror(errno));
			close(fd);
			continue;
		}
		m->fd = fd;
		m->family = ai->ai_family;
		n++;
	}
	freeaddrinfo(res);
	return n;
}

static int open_listeners(struct server *srv)
{
	struct main_socket s[MAIN_MAX_LISTENERS];
	int n = main_open_sockets(&srv->cfg, SOCK_STREAM, srv->cfg.tcp_port, s, MAIN_MAX_LISTENERS);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct listener *l = &srv->listeners[srv->n_listeners++];

		l->fd = s[i].fd;
		snprintf(l->name, sizeof(l->name), "%s", s[i].name);
		ev_io_init(&l->w, main_accept_cb, l->fd, EV_READ);
		log_info("listening on %s", l->name);
	}
	if (srv->n_listeners == 0) {
		log_err("could not listen on any address for tcp-port %u", srv->cfg.tcp_port);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

/* --- signals and timers --------------------------------------------------- */

static void shutdown_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);

	log_warn("%u worker%s still running after %.0f s: sending SIGTERM and exiting",
		 srv->n_workers, srv->n_workers == 1 ? "" : "s", MAIN_SHUTDOWN_GRACE_S);
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		main_kill_worker(srv, w, NULL);
	ev_break(loop, EVBREAK_ALL);
}

void main_shutdown(struct server *srv, int exit_code)
{
	if (exit_code != 0)
		srv->exit_code = exit_code;
	if (srv->shutting_down)
		return;
	srv->shutting_down = true;
	main_notify_stopping(srv);
	srv->sessions_kept = config_session_store(&srv->cfg) != NULL && !srv->stop_ends_sessions;
	if (srv->sessions_kept)
		log_info("the sessions stay in the session store %s: tunnels close without a "
			 "goodbye, clients will resume", config_session_store(&srv->cfg));
	listeners_close(srv);
	main_terminate_all(srv);
	if (srv->n_workers == 0) {
		ev_break(srv->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_init(&srv->shutdown_w, shutdown_timeout_cb, MAIN_SHUTDOWN_GRACE_S, 0.);
	ev_timer_start(srv->loop, &srv->shutdown_w);
}

static void sigterm_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (srv->shutting_down) {
		log_warn("%s again: exiting now", strsignal(w->signum));
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	log_info("%s: shutting down (%u worker%s)", strsignal(w->signum), srv->n_workers,
		 srv->n_workers == 1 ? "" : "s");
	main_shutdown(srv, 0);
}

static void sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (!srv->shutting_down)
		(void)main_reload(srv);
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (!main_secmod_exited(srv, w->rpid, w->rstatus) &&
	    !main_script_exited(srv, w->rpid, w->rstatus))
		main_worker_exited(srv, w->rpid, w->rstatus);
	if (srv->shutting_down && srv->n_workers == 0) {
		log_info("all workers are gone");
		ev_break(loop, EVBREAK_ALL);
	}
}

static void maint_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);
	size_t n = ban_expire(srv->bans, vpn_now_ms());

	if (n)
		log_debug("ban table: %zu expired entr%s freed", n, n == 1 ? "y" : "ies");
}

/* --- process setup -------------------------------------------------------- */

/*
 * The worker program main executes for every connection: always
 * $(sbindir)/ocserv-modern-worker, except in a test build
 * (--enable-test-hooks), which the integration tests run from the build
 * tree: there OCSERV_MODERN_WORKER names it, else the build tree's
 * src/worker/ beside main's src/main/ (found from /proc/self/exe) is
 * taken when it holds one. A release build never
 * lets its environment choose what it runs as root.
 */
static void test_worker_path(struct server *srv)
{
#ifdef ENABLE_TEST_HOOKS
	const char *env = getenv("OCSERV_MODERN_WORKER");
	char self[PATH_MAX];
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		snprintf(srv->worker_path, sizeof(srv->worker_path), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	snprintf(srv->worker_path, sizeof(srv->worker_path), "%s/../worker/%s", dirname(self),
		 WORKER_NAME);
	if (access(srv->worker_path, X_OK) != 0)
		srv->worker_path[0] = '\0';
#endif
}

static int find_worker(struct server *srv)
{
	srv->worker_path[0] = '\0';
	test_worker_path(srv);
	if (srv->worker_path[0] == '\0')
		snprintf(srv->worker_path, sizeof(srv->worker_path), "%s/%s", SBINDIR, WORKER_NAME);
	if (access(srv->worker_path, X_OK) != 0) {
		log_err("worker program %s: %s", srv->worker_path, strerror(errno));
		return -ENOENT;
	}
	log_debug("worker program: %s", srv->worker_path);
	return 0;
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		log_warn("setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		/* stderr stays: it is where the log goes */
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	return 0;
}

/* The pid file is created or rewritten without following a symlink at its
 * path (O_NOFOLLOW: one there is refused), and only when it is a plain
 * file with no other name (a hard link to another file is refused), so a
 * user who can write to its directory cannot make root write elsewhere. */
static void write_pid_file(struct server *srv)
{
	const char *path = srv->cfg.pid_file;
	char text[32];
	struct stat st;
	int fd, n;

	if (path == NULL || path[0] == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("pid-file %s: %s: not written", path,
			errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return;
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		log_err("pid-file %s: not a plain file with one name: not written", path);
	} else if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n) {
		log_warn("pid-file %s: %s", path, strerror(errno));
	} else {
		srv->pid_file_written = true;
	}
	close(fd);
}

static int parse_level(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > LOG_LVL_TRACE)
		return -1;
	return (int)v;
}

/* The event loop and everything watched in it. */
static int start_loop(struct server *srv)
{
	srv->loop = ev_default_loop(EVFLAG_AUTO);
	if (srv->loop == NULL) {
		log_err("libev: no usable event loop backend");
		return -1;
	}
	ev_set_userdata(srv->loop, srv);
	for (int i = 0; i < srv->n_listeners; i++)
		srv->listeners[i].w.data = srv;
	listeners_start(srv);
	main_udp_start(srv);
	ev_init(&srv->accept_pause_w, accept_pause_cb);
	ev_signal_init(&srv->sigterm_w, sigterm_cb, SIGTERM);
	ev_signal_init(&srv->sigint_w, sigterm_cb, SIGINT);
	ev_signal_init(&srv->sighup_w, sighup_cb, SIGHUP);
	ev_signal_start(srv->loop, &srv->sigterm_w);
	ev_signal_start(srv->loop, &srv->sigint_w);
	ev_signal_start(srv->loop, &srv->sighup_w);
	/* libev's default loop reaps children itself: let it tell us */
	ev_child_init(&srv->child_w, child_cb, 0, 0);
	ev_child_start(srv->loop, &srv->child_w);
	ev_timer_init(&srv->maint_w, maint_cb, MAIN_MAINTENANCE_S, MAIN_MAINTENANCE_S);
	ev_timer_start(srv->loop, &srv->maint_w);
	main_secmod_start(srv);
	(void)main_ctl_start(srv); /* logged; the gateway runs on without it */
	main_metrics_start(srv);
	if (main_notify_init(srv) < 0) {
		log_err("out of memory");
		return -1;
	}
	/* everything that needs more is open: the rest of root's power goes */
	return privs_main_limit();
}

static struct server srv_storage;

int main(int argc, char **argv)
{
	struct server *srv = &srv_storage;
	const char *config_path = CONFIG_DEFAULT_PATH;
	bool test_only = false;
	struct ban_cfg bc;
	struct vpn_session_cfg sc;
	int opt, r;

	srv->log_level = LOG_LVL_INFO;
	while ((opt = getopt(argc, argv, "c:fd:thv")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			srv->foreground = true;
			break;
		case 'd':
			srv->log_level = parse_level(optarg);
			if (srv->log_level < 0) {
				fprintf(stderr, "ocserv-modern: -d wants a level from 0 to 4, not '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 't':
			test_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("ocserv-modern %s%s\n", PACKAGE_VERSION, TEST_BUILD_NOTE);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ocserv-modern: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init("ocserv-modern", (enum log_level)srv->log_level);

	if (test_only) {
		if (load_config(config_path, &srv->cfg, true) < 0 ||
		    check_passwd_file(&srv->cfg, true) < 0) {
			config_free(&srv->cfg);
			return 1;
		}
		printf("ocserv-modern: %s: configuration is valid\n", config_path);
		config_free(&srv->cfg);
		return 0;
	}

	if (load_config(config_path, &srv->cfg, false) < 0)
		return 1;
	/* workers are exec'd with the path and main may chdir("/") */
	if (realpath(config_path, srv->config_path) == NULL) {
		log_err("%s: %s", config_path, strerror(errno));
		return 1;
	}
	if (check_passwd_file(&srv->cfg, false) < 0 || find_worker(srv) < 0)
		return 1;
	if (!tun_prefix_valid(srv->cfg.device)) {
		log_err("device '%s' cannot prefix a tun device name", srv->cfg.device);
		return 1;
	}
	if (gnutls_global_init() < 0) {
		log_err("GnuTLS initialisation failed");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	r = ippool_init(&srv->pool, srv->cfg.ipv4_network, srv->cfg.ipv4_prefix);
	if (r < 0) {
		log_err("ipv4-network/ipv4-netmask: not a usable pool");
		return 1;
	}
	main_ban_cfg(&srv->cfg, &bc);
	main_session_cfg(&srv->cfg, &sc);
	srv->bans = ban_new(&bc);
	srv->sessions = session_table_new(&sc, main_mirror_end, srv);
	srv->secmod_fd = -1;
	if (srv->bans == NULL || srv->sessions == NULL || main_ctl_init(srv) < 0 ||
	    main_metrics_init(srv) < 0 || main_events_init(srv) < 0) {
		log_err("out of memory");
		return 1;
	}
	if (tun_ctx_open(&srv->tun) < 0)
		return 1;
	if (open_listeners(srv) < 0 || main_udp_open(srv) < 0 || main_metrics_open(srv) < 0)
		return 1;

	if (!srv->foreground) {
		if (daemonize() < 0)
			return 1;
		log_to_syslog();
		write_pid_file(srv);
	}
	/* before the event loop exists: the child builds its own */
	if (main_secmod_fork(srv) < 0)
		return 1;

	if (start_loop(srv) < 0)
		return 1;

	log_info("ocserv-modern %s started (pid %ld, config %s, pool %s/%u, worker %s)",
		 PACKAGE_VERSION, (long)getpid(), srv->config_path,
		 inet_ntoa(srv->cfg.ipv4_network), srv->cfg.ipv4_prefix, srv->worker_path);
	main_notify_ready(srv);
	ev_run(srv->loop, 0);

	log_info("ocserv-modern stopped");
	listeners_close(srv);
	main_udp_close(srv);
	main_ctl_stop(srv);
	main_metrics_stop(srv);
	main_notify_free(srv);
	main_events_stop(srv);
	main_forget_workers(srv);
	main_scripts_forget(srv);
	main_secmod_stop(srv);
	session_table_free(srv->sessions);
	ban_free(srv->bans);
	ippool_destroy(&srv->pool);
	tun_ctx_close(srv->tun);
	if (srv->pid_file_written)
		unlink(srv->cfg.pid_file);
	config_free(&srv->cfg);
	gnutls_global_deinit();
	return srv->exit_code;
}
