/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * ocserv-modern: the main process. It reads the configuration, listens on
 * tcp-port, starts one ocserv-modern-worker per connection (main-worker.c;
 * forked by the worker zygote, main-zygote.h, or executed), owns the session
 * table, the IPv4 pool, the tun devices and the bans, and handles the
 * signals: SIGTERM/SIGINT stop, SIGHUP reloads. One libev loop; nothing in
 * it waits on a worker (the one wait is for the zygote's reply to a
 * request, a fork's time, at most MAIN_ZYGOTE_REPLY_MS).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
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
#include "common/privs.h"
#include "main/main-config.h"
#include "main/main-pools.h"
#include "main/main-ctl.h"
#include "main/main-events.h"
#include "main/main-listen.h"
#include "main/main-metrics.h"
#include "main/main-notify.h"
#include "main/main-proxy.h"
#include "main/main-secmod.h"
#include "main/main-script.h"
#include "main/main-session.h"
#include "main/main-zygote.h"
#include "main/main-udp.h"
#include "main/main.h"
#include "main/tun-closer.h"
#include "main/worker-proc.h"

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

/* --- signals and timers --------------------------------------------------- */

static void shutdown_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);

	log_warn("%u worker%s still running after %.0f s: sending SIGTERM and exiting",
		 srv->n_workers, srv->n_workers == 1 ? "" : "s", MAIN_SHUTDOWN_GRACE_S);
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		worker_proc_kill(srv, w, NULL);
	ev_break(loop, EVBREAK_ALL);
}

/* Stop the server as SIGTERM does (end the sessions, wait for the workers
 * a bounded time, leave the loop); main then exits with exit_code. */
static void main_shutdown(struct server *srv, int exit_code)
{
	if (exit_code != 0)
		srv->exit_code = exit_code;
	if (srv->shutting_down)
		return;
	srv->shutting_down = true;
	ev_timer_stop(srv->loop, &srv->drain_w);
	main_notify_stopping(srv);
	srv->sessions_kept = config_session_store(&srv->cfg) != NULL && !srv->stop_ends_sessions;
	if (srv->sessions_kept)
		log_info("the sessions stay in the session store %s: tunnels close without a "
			 "goodbye, clients will resume", config_session_store(&srv->cfg));
	main_listen_close(srv);
	main_proxy_close_all(srv);
	main_zygote_stop(srv);
	main_session_terminate_all(srv);
	if (srv->n_workers == 0) {
		ev_break(srv->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_init(&srv->shutdown_w, shutdown_timeout_cb, MAIN_SHUTDOWN_GRACE_S, 0.);
	ev_timer_start(srv->loop, &srv->shutdown_w);
}

static void drain_done_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);

	log_info("drain over after %" PRIu32 " ms: shutting down (%u worker%s)",
		 srv->cfg.server_drain_ms, srv->n_workers, srv->n_workers == 1 ? "" : "s");
	main_shutdown(srv, 0);
}

/* server-drain-ms: close the listeners, so that new connections are refused
 * (a load balancer moves on), and let the tunnels run for that long before
 * the shutdown. False when there is no drain to start. */
static bool main_drain(struct server *srv, int signum)
{
	if (srv->cfg.server_drain_ms == 0 || srv->draining)
		return false;
	srv->draining = true;
	main_listen_close(srv);
	main_proxy_close_all(srv);
	log_info("%s: draining for %" PRIu32 " ms: new connections are refused, "
		 "the tunnels of %u worker%s go on", strsignal(signum), srv->cfg.server_drain_ms,
		 srv->n_workers, srv->n_workers == 1 ? "" : "s");
	ev_timer_init(&srv->drain_w, drain_done_cb, srv->cfg.server_drain_ms / 1000.0, 0.);
	ev_timer_start(srv->loop, &srv->drain_w);
	return true;
}

static void sigterm_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *srv = ev_userdata(loop);

	if (srv->shutting_down) {
		log_warn("%s again: exiting now", strsignal(w->signum));
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (main_drain(srv, w->signum))
		return;
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
	    !main_script_exited(srv, w->rpid, w->rstatus) &&
	    !main_zygote_exited(srv, w->rpid, w->rstatus))
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
	/* nothing left to expire: no wake-ups until points are added again */
	if (ban_entries(srv->bans) == 0)
		ev_timer_stop(loop, t);
}

/* sec-mod died, broke the protocol or got stuck: main stops (status 1). */
static void secmod_lost(struct server *srv)
{
	main_shutdown(srv, 1);
}

/* A record from sec-mod; systemd's STATUS= follows the session count. */
static int secmod_session(struct server *srv, const SmSession *msg)
{
	int r = main_session_on_sm_session(srv, msg);

	main_notify_sessions(srv);
	return r;
}

static const struct main_secmod_handlers secmod_handlers = {
	.on_auth_reply = main_session_on_sm_auth_reply,
	.on_open_reply = main_session_on_sm_open_reply,
	.on_session = secmod_session,
	.on_probe = main_session_on_sm_probe,
	.lost = secmod_lost,
};

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

/* The command line: -1 to go on, else main's exit status (-h, -v, errors). */
static int parse_args(int argc, char **argv, struct server *srv, const char **config_path,
		      bool *test_only)
{
	int opt;

	while ((opt = getopt(argc, argv, "c:fd:thv")) != -1) {
		switch (opt) {
		case 'c':
			*config_path = optarg;
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
			*test_only = true;
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
	return -1;
}

/* -t: check the configuration and say so. main's exit status. */
static int check_only(struct server *srv, const char *config_path)
{
	int r = 0;

	if (main_config_load(config_path, &srv->cfg, true) < 0 ||
	    main_config_check_passwd(&srv->cfg, true) < 0)
		r = 1;
	else
		printf("ocserv-modern: %s: configuration is valid\n", config_path);
	config_free(&srv->cfg);
	return r;
}

/* The configuration, and what it names that must be there before anything
 * starts. 0, or -1 (logged). */
static int load(struct server *srv, const char *config_path)
{
	if (main_config_load(config_path, &srv->cfg, false) < 0)
		return -1;
	/* workers are exec'd with the path and main may chdir("/") */
	if (realpath(config_path, srv->config_path) == NULL) {
		log_err("%s: %s", config_path, strerror(errno));
		return -1;
	}
	if (main_config_check_passwd(&srv->cfg, false) < 0 || find_worker(srv) < 0)
		return -1;
	if (!tun_prefix_valid(srv->cfg.device)) {
		log_err("device '%s' cannot prefix a tun device name", srv->cfg.device);
		return -1;
	}
	if (gnutls_global_init() < 0) {
		log_err("GnuTLS initialisation failed");
		return -1;
	}
	return 0;
}

/* Everything before the event loop: the pool, the tables, the sockets, the
 * daemon, sec-mod. 0, or -1 (logged). */
static int setup(struct server *srv)
{
	struct ban_cfg bc;
	struct vpn_session_cfg sc;

	signal(SIGPIPE, SIG_IGN);
	if (ippool_init(&srv->pool, srv->cfg.ipv4_network, srv->cfg.ipv4_prefix) < 0) {
		log_err("ipv4-network/ipv4-netmask: not a usable pool");
		return -1;
	}
	if (srv->cfg.ipv6_prefix != 0 &&
	    ip6pool_init(&srv->pool6, &srv->cfg.ipv6_network, srv->cfg.ipv6_prefix,
			 srv->cfg.ipv6_subnet_prefix) < 0) {
		log_err("ipv6-network/ipv6-subnet-prefix: not a usable pool");
		return -1;
	}
	main_ban_cfg(&srv->cfg, &bc);
	main_session_cfg(&srv->cfg, &sc);
	srv->bans = ban_new(&bc);
	srv->sessions = session_table_new(&sc, main_session_mirror_end, srv);
	srv->secmod_fd = -1;
	if (srv->bans == NULL || srv->sessions == NULL || main_ctl_init(srv) < 0 ||
	    main_metrics_init(srv) < 0 || main_events_init(srv) < 0) {
		log_err("out of memory");
		return -1;
	}
	if (tun_ctx_open(&srv->tun) < 0)
		return -1;
	if (main_listen_open(srv, main_accept_cb) < 0 || main_udp_open(srv) < 0 ||
	    main_metrics_open(srv) < 0)
		return -1;
	if (!srv->foreground) {
		if (daemonize() < 0)
			return -1;
		log_to_syslog();
		write_pid_file(srv);
	}
	/* before the event loop exists: the child builds its own */
	if (main_secmod_fork(srv) < 0)
		return -1;
	return 0;
}

/* The event loop and its watchers. 0, or -1 (logged). */
static int start_loop(struct server *srv)
{
	srv->loop = ev_default_loop(EVFLAG_AUTO);
	if (srv->loop == NULL) {
		log_err("libev: no usable event loop backend");
		return -1;
	}
	ev_set_userdata(srv->loop, srv);
	main_listen_start(srv);
	main_udp_start(srv);
	ev_signal_init(&srv->sigterm_w, sigterm_cb, SIGTERM);
	ev_signal_init(&srv->sigint_w, sigterm_cb, SIGINT);
	ev_signal_init(&srv->sighup_w, sighup_cb, SIGHUP);
	ev_signal_start(srv->loop, &srv->sigterm_w);
	ev_signal_start(srv->loop, &srv->sigint_w);
	ev_signal_start(srv->loop, &srv->sighup_w);
	/* libev's default loop reaps children itself: let it tell us */
	ev_child_init(&srv->child_w, child_cb, 0, 0);
	ev_child_start(srv->loop, &srv->child_w);
	/* started by the first ban points (main_bans_touched) */
	ev_timer_init(&srv->maint_w, maint_cb, MAIN_MAINTENANCE_S, MAIN_MAINTENANCE_S);
	main_secmod_start(srv, &secmod_handlers);
	(void)main_ctl_start(srv); /* logged; the gateway runs on without it */
	main_metrics_start(srv);
	if (main_notify_init(srv) < 0) {
		log_err("out of memory");
		return -1;
	}
	/* everything that needs more is open: the rest of root's power goes */
	if (privs_main_limit() < 0)
		return -1;
	/* main's one thread, with the capabilities just limited: it closes
	 * tun devices, which takes the kernel tens of ms each (tun-closer.h);
	 * NULL (logged): they close on the loop */
	srv->tun_closer = tun_closer_new(srv->loop);
	main_zygote_start(srv);
	return 0;
}

/* After the loop: close, free and reap what main holds. */
static void teardown(struct server *srv)
{
	main_listen_close(srv);
	main_proxy_close_all(srv);
	main_udp_close(srv);
	main_zygote_stop(srv);
	main_ctl_stop(srv);
	main_metrics_stop(srv);
	main_notify_free(srv);
	main_events_stop(srv);
	main_forget_workers(srv);
	main_session_forget_all(srv);
	/* the devices still waiting close now, before main exits, and their
	 * addresses return to the pools freed below */
	tun_closer_free(srv->tun_closer);
	srv->tun_closer = NULL;
	main_scripts_forget(srv);
	main_secmod_stop(srv);
	session_table_free(srv->sessions);
	ban_free(srv->bans);
	ippool_destroy(&srv->pool);
	main_pools_free(srv);
	ip6pool_destroy(&srv->pool6);
	tun_ctx_close(srv->tun);
	if (srv->pid_file_written)
		unlink(srv->cfg.pid_file);
	config_free(&srv->cfg);
	gnutls_global_deinit();
}

static struct server srv_storage;

int main(int argc, char **argv)
{
	struct server *srv = &srv_storage;
	const char *config_path = CONFIG_DEFAULT_PATH;
	bool test_only = false;
	int r;

	srv->log_level = LOG_LVL_INFO;
	srv->zygote_fd = -1;
	r = parse_args(argc, argv, srv, &config_path, &test_only);
	if (r >= 0)
		return r;
	log_init("ocserv-modern", (enum log_level)srv->log_level);
	if (test_only)
		return check_only(srv, config_path);
	if (load(srv, config_path) < 0 || setup(srv) < 0 || start_loop(srv) < 0)
		return 1;
	if (srv->shutting_down) {
		/* sec-mod was lost before the loop ran (it refused its
		 * configuration and exited at once): ev_break() before ev_run()
		 * is forgotten by libev, so stop here with its status */
		teardown(srv);
		return srv->exit_code;
	}

	log_info("ocserv-modern %s started (pid %ld, config %s, pool %s/%u, worker %s)",
		 PACKAGE_VERSION, (long)getpid(), srv->config_path,
		 inet_ntoa(srv->cfg.ipv4_network), srv->cfg.ipv4_prefix, srv->worker_path);
	main_notify_ready(srv);
	ev_run(srv->loop, 0);

	log_info("ocserv-modern stopped");
	teardown(srv);
	return srv->exit_code;
}
