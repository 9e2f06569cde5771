/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_H
#define OCSM_MAIN_H

/*
 * The main process, ocserv-modern: the state its modules share (struct
 * server). See doc/ocserv-modern.8.
 *
 * Its modules call each other one way only, from the top down; nothing
 * below calls back up. What must go up (sec-mod's messages, a script's
 * end, a readable listener) goes through a function pointer the caller
 * above registered:
 *
 *   main.c           main(), signals, shutdown: sets everything up and wires
 *    |               the handlers (main_secmod_start, main_listen_open)
 *    +- main-ctl     occtl's control socket: reads main-session (records,
 *    |               counters) and the mirror; reloads (main-config); ends
 *    |               sessions through the mirror and tunnels (worker-proc)
 *    +- main-worker  accept, spawn, reap, decode worker messages: calls
 *    |               main-session, main-udp, main-ctl (a worker's stats for
 *    |               a waiting show command), main-metrics, main-secmod (a
 *    |               new worker's key channel), main-listen (pause),
 *    |               worker-proc
 *    +- main-session main's side of a session (main_lease), sec-mod's
 *    |               replies, lease and device, scripts, probes, counters:
 *    |               calls main-secmod, main-script, main-udp (the DTLS
 *    |               port), main-metrics, worker-proc
 *    +- main-config  configuration load and reload: calls main-secmod,
 *    |               main-notify
 *    +- main-udp     DTLS routing: calls main-listen
 *    +- main-secmod, main-script, main-listen, main-metrics, main-notify,
 *                    main-events, worker-proc: call no module of main (the
 *                    hooks of main-metrics and main-events are called from
 *                    main-ctl, main-worker, main-session and main-udp)
 *
 * The leaf helpers (ban, ippool, tun-netlink, dtls-route, script-env,
 * ctl-access, metrics) know nothing of struct server.
 */

#include <ev.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/conf.h"
#include "common/ipc.h"
#include "main/ban.h"
#include "main/ip6pool.h"
#include "main/ippool.h"
#include "main/main-listen.h"
#include "main/main-session.h"
#include "main/metrics.h"
#include "main/tun-netlink.h"
#include "main/worker-proc.h"
#include "sec-mod/session-table.h"
#include "vpn/ev-adapter.h"

/* How long SIGTERM waits for the workers to say goodbye. */
#define MAIN_SHUTDOWN_GRACE_S 5.0
/* A worker we sent SIGTERM gets this long before SIGKILL. */
#define MAIN_KILL_GRACE_S 5.0
/* Slack over auth-timeout before main kills a worker that never opened a
 * session (the worker enforces auth-timeout itself; this is a backstop). */
#define MAIN_AUTH_SLACK_S 10.0
/* accept() out of descriptors or memory: listeners rest this long. */
#define MAIN_ACCEPT_PAUSE_S 1.0
/* A worker still running this long after its tunnel ended, or after main
 * sent it Terminate, gets SIGTERM. */
#define MAIN_EXIT_GRACE_S 10.0
/* Ban table housekeeping period (only while the table holds entries). */
#define MAIN_MAINTENANCE_S 60.0

struct server {
	struct ev_loop *loop;
	char config_path[PATH_MAX];
	struct config cfg;
	int log_level;                 /* passed to workers as -d */
	char worker_path[PATH_MAX];
	bool foreground;
	bool pid_file_written;

	struct listener listeners[MAIN_MAX_LISTENERS];
	int n_listeners;
	struct main_proxy_conn *proxy_conns; /* waiting for their PROXY header (main-proxy.c) */
	unsigned n_proxy_conns;

	struct ban_table *bans;
	struct ippool pool;
	struct main_pool *pools;      /* per-user/per-group ipv4-network (main-pools.c) */
	struct ip6pool pool6;         /* ipv6-network; not enabled without one */
	struct secmod_session_table *sessions;
	struct tun_ctx *tun;
	struct tun_closer *tun_closer; /* closes devices off the loop (tun-closer.h); NULL: on it */
	struct main_lease *msessions; /* main's side of the sessions with a lease (main-session.c) */
	struct main_counters counters; /* server-wide (main-session.c) */
	struct main_ctl *ctl;          /* occtl control socket (main-ctl.c) */
	struct main_udp *udp;          /* DTLS: UDP listener and routing (main-udp.c) */
	struct main_metrics *metrics;  /* Prometheus counters and endpoint (main-metrics.c) */
	struct main_notify *notify;    /* sd_notify state, NULL: not under systemd (main-notify.c) */
	struct main_events *events;    /* occtl show events subscribers (main-events.c) */
	/* sec-mod (main-secmod.c): the session records live there; srv->sessions
	 * is main's mirror of them (sec-mod.h) */
	pid_t secmod_pid;              /* 0: not running */
	int secmod_fd;                 /* -1: closed */
	ev_io secmod_w;
	const struct main_secmod_handlers *secmod_h; /* where its messages go */
	struct ipc_outq secmod_q;      /* messages its full socket could not take yet */
	ev_io secmod_wr;               /* writable: only while secmod_q is not empty */
	ev_timer secmod_stall_w;       /* ... and it took nothing for MAIN_SECMOD_STALL_S */
	uint64_t secmod_next_request;
	struct main_sm_list *secmod_lists; /* list requests in flight */
	bool secmod_stopping;          /* main is ending it (exit) */
	struct main_script *scripts;   /* connect/disconnect scripts running (main-script.c) */
	int exit_code;                 /* of main, once the loop ends */

	struct worker_proc *workers;
	unsigned n_workers;
	/* the worker zygote (main-zygote.c) */
	pid_t zygote_pid;              /* 0: none running */
	pid_t zygote_retired;          /* the last one main stopped, until reaped; 0: none */
	int zygote_fd;                 /* -1: none */
	vpn_ms_t zygote_started_ms;    /* of the last start attempt; 0: never */
	bool subreaper;                /* PR_SET_CHILD_SUBREAPER is set */

	ev_signal sigterm_w, sigint_w, sighup_w;
	ev_child child_w;
	ev_timer maint_w;
	ev_timer accept_pause_w;
	ev_timer shutdown_w;
	ev_timer drain_w;              /* server-drain-ms: listeners closed, tunnels go on */
	bool draining;
	bool shutting_down;
	bool stop_ends_sessions;       /* occtl stop now: end every session, even with a store */
	bool sessions_kept;            /* shutting down with a session store: the sessions
					* wait in it, nobody is told (doc/session-store.md) */
};

/* main-worker.c */

/* Descriptors main_worker_exec places, from fd 3 on. */
#define MAIN_WORKER_MAX_FDS 3

/* In a child of main: fds[0..n-1] on fds 3.. (whatever numbers they have
 * now), signals reset, run-as-user/run-as-group taken (privs_drop), and
 * srv->worker_path executed with argv: a worker, or the worker zygote
 * (main-zygote.h). Never returns. */
void main_worker_exec(const struct server *srv, char *const argv[], const int *fds, int n);

/* Start serving worker w (calloc'd; addr, remote_ip, remote_port and
 * local_ip set; tun.fd -1), process pid, whose end of the IPC socketpair
 * is ipc_fd: read its messages on srv->loop, arm its auth backstop, count
 * it. spawn_worker does this right after the fork; the fuzz target of
 * main's handling of worker messages adopts workers of its own. */
void main_worker_adopt(struct server *srv, struct worker_proc *w, pid_t pid, int ipc_fd);
/* Accept callback for a listening socket (w->data is the struct server). */
void main_accept_cb(struct ev_loop *loop, ev_io *w, int revents);
/* A child process ended (libev reaped it): if it is a worker, log how,
 * end its tunnel (worker-crashed without TunnelDown) and free it. */
void main_worker_exited(struct server *srv, pid_t pid, int status);
/* Free every worker record (at exit; the processes are not waited for). */
void main_forget_workers(struct server *srv);
/* Ban points were added: the housekeeping timer (srv->maint_w) runs while
 * the ban table holds entries, and stops when it is empty, so an idle
 * gateway has no timer of its own in main. */
void main_bans_touched(struct server *srv);

#endif
