/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_H
#define OCSM_MAIN_H

/*
 * The main process, ocserv-modern: shared state of main.c (options, config,
 * listeners, signals, the event loop) and main-worker.c (worker processes
 * and what they ask over IPC). See doc/ocserv-modern.8.
 */

#include <ev.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "main/ban.h"
#include "common/conf.h"
#include "common/ipc.h"
#include "main/ippool.h"
#include "main/metrics.h"
#include "sec-mod/session-table.h"
#include "main/tun-netlink.h"
#include "vpn/ev-adapter.h"

#define MAIN_MAX_LISTENERS 8
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
/* Ban table housekeeping period. */
#define MAIN_MAINTENANCE_S 60.0

enum worker_state {
	WORKER_AUTH = 0,    /* connected: HTTP and authentication */
	WORKER_OPENING,     /* session opened, tun sent, TunnelUp pending */
	WORKER_TUNNEL,      /* TunnelUp received */
	WORKER_DOWN,        /* TunnelDown received, the process is finishing */
};

struct worker_proc {
	pid_t pid;
	int ipc_fd;
	ev_io ipc_w;
	ev_timer timer_w;            /* auth backstop, then SIGKILL after SIGTERM */
	enum worker_state state;
	struct ban_addr addr;
	char remote_ip[INET6_ADDRSTRLEN];
	uint16_t remote_port;
	uint64_t session_serial;     /* attached session; 0: none */
	char *username;              /* of the last session opened, for logs; NULL: none */
	struct tun tun;              /* the session's device, for display only: name, ifindex
				      * and MTU; fd is always -1 (main_lease owns the fd) */
	bool sigterm_sent;
	bool terminate_sent;         /* told to finish over IPC */
	bool exited;                 /* reaped: its PID may be reused, never signal it */
	vpn_ms_t started_ms;
	uint64_t bytes_in, bytes_out; /* last TunnelStats */
	uint64_t packets_in, packets_out;
	/* DTLS channel as the worker last reported it (main-udp.c) */
	uint32_t dtls_state;         /* enum vpn_dtls_state: 0 none, 1 up, 2 inactive */
	char dtls_peer[INET6_ADDRSTRLEN + 8]; /* "address:port"; "" before the first handshake */
	char dtls_cipher[128];       /* e.g. "(DTLS1.2)-(PSK)-(AES-256-GCM)"; "": none */
	/* sec-mod (main-secmod.h) */
	uint64_t sm_request;         /* its SmAuthRequest/SmOpenRequest in flight; 0: none */
	bool open_mobile;            /* the CONNECT waiting for sec-mod's answer: */
	unsigned open_base_mtu;      /* X-CSTP-Base-MTU (0: not sent) */
	char open_requested_ipv4[INET_ADDRSTRLEN]; /* X-CSTP-Address hint ("": none) */
	uint32_t attach;             /* the session's attach count when it got the tunnel */
	uint64_t taken_serial;       /* session taken over from this worker; 0: none */
	uint64_t probe_request;      /* Probe in flight (max-same-clients); 0: none */
	uint64_t probe_serial;       /* ... for this session */
	char local_ip[INET6_ADDRSTRLEN]; /* the server address the client connected to */
	char open_hostname[256];     /* X-CSTP-Hostname of its CONNECT ("": none) */
	/* its CONNECT, answered once the session's connect-script let it in */
	bool script_pending;
	enum vpn_connect_result open_result;
	uint32_t open_remaining;     /* s of session-timeout left, from sec-mod */
	bool open_new_tun;
	struct metrics_seen metrics_seen; /* its last counters as metrics.c saw them */
	struct worker_proc *prev, *next;
};

/*
 * Main's side of a session (doc/spec/liveness.md §2): what must outlive its tunnels.
 * Created by the first CONNECT of a session, freed when the session ends.
 * While the session waits to resume, the IPv4 lease stays and, with
 * keep-tun-on-resume, so does the tun device: main keeps its fd open, so the
 * device, its address and every route or firewall rule on it stay in place,
 * and the next worker of the session gets the very same fd.
 */
struct main_lease {
	uint64_t serial;             /* the session table's serial (never 0) */
	char sid[SESSION_ID_LEN + 1];
	char *username;
	char *group;
	bool has_lease;
	struct in_addr ipv4;         /* the lease while has_lease */
	struct tun tun;              /* main's copy of the device (fd -1: none) */
	pid_t worker_pid;            /* worker holding the tunnel; 0: none */
	unsigned tunnels;            /* tunnels attached so far */
	/* Counters of the tunnels that ended; the current one's are in its
	 * worker_proc. The session's totals are the sum (they continue
	 * across resumes). */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	vpn_ms_t first_attach_ms;    /* first CONNECT; VPN_NEVER before */
	bool waiting;                /* sec-mod said waiting-to-resume since the last attach */
	bool scripts_connected;      /* connect-script let it in (or there is none): the
				      * disconnect-script runs at its end */
	char last_remote_ip[INET6_ADDRSTRLEN]; /* of its latest tunnel, for the scripts */
	char local_ip[INET6_ADDRSTRLEN];
	char hostname[256];
	struct main_lease *prev, *next;
};

struct listener {
	int fd;
	ev_io w;
	char name[INET6_ADDRSTRLEN + 8];
};

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

	struct ban_table *bans;
	struct ippool pool;
	struct secmod_session_table *sessions;
	struct tun_ctx *tun;
	struct main_lease *msessions; /* main's side of the sessions with a lease */
	struct main_ctl *ctl;          /* occtl control socket and counters (main-ctl.c) */
	struct main_udp *udp;          /* DTLS: UDP listener and routing (main-udp.c) */
	struct main_metrics *metrics;  /* Prometheus counters and endpoint (main-metrics.c) */
	struct main_notify *notify;    /* sd_notify state, NULL: not under systemd (main-notify.c) */
	struct main_events *events;    /* occtl show events subscribers (main-events.c) */
	/* sec-mod (main-secmod.c): the session records live there; srv->sessions
	 * is main's mirror of them (sec-mod.h) */
	pid_t secmod_pid;              /* 0: not running */
	int secmod_fd;                 /* -1: closed */
	ev_io secmod_w;
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

	ev_signal sigterm_w, sigint_w, sighup_w;
	ev_child child_w;
	ev_timer maint_w;
	ev_timer accept_pause_w;
	ev_timer shutdown_w;
	bool shutting_down;
	bool stop_ends_sessions;       /* occtl stop now: end every session, even with a store */
	bool sessions_kept;            /* shutting down with a session store: the sessions
					* wait in it, nobody is told (doc/session-store.md) */
};

/* main-worker.c */

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
/* Ask every worker to finish and sec-mod to end every session
 * (server-shutdown: the clients are told); with srv->sessions_kept the
 * workers close their tunnels without a word (server-restart) and the
 * sessions wait in the session store. */
void main_terminate_all(struct server *srv);
/* SIGTERM a worker by PID and arm the SIGKILL backstop. */
void main_kill_worker(struct server *srv, struct worker_proc *w, const char *why);
/* Free every worker record and main's session records, closing their
 * devices and releasing their leases (at exit; the processes are not
 * waited for). */
void main_forget_workers(struct server *srv);

/* main.c */

/* Reload the configuration (SIGHUP, occtl reload). 0, or -EINVAL when the
 * file has errors (the current configuration stays). */
int main_reload(struct server *srv);

/* Stop the server as SIGTERM does (end the sessions, wait for the workers
 * a bounded time, leave the loop); main then exits with exit_code. */
void main_shutdown(struct server *srv, int exit_code);

/* A socket main listens on (tcp-port, or udp-port for DTLS). */
struct main_socket {
	int fd;
	int family;                        /* AF_INET or AF_INET6 */
	char name[INET6_ADDRSTRLEN + 8];   /* "192.0.2.1:443", "[2001:db8::1]:443" */
};

/*
 * Open a socket of socktype (SOCK_STREAM or SOCK_DGRAM) on each address of
 * listen-host (every address when unset: 0.0.0.0 and ::, the latter
 * IPV6_V6ONLY so both can coexist) and port, at most max: non-blocking,
 * close-on-exec, SO_REUSEADDR, bound; a stream socket also listens, a
 * datagram socket reports the local address of each datagram (IP_PKTINFO,
 * IPV6_RECVPKTINFO). An address that cannot be had is logged and skipped
 * (at debug level: an IPv6 address the host lacks when listen-host is
 * unset). Returns how many went into out[] (0 is possible), or -EINVAL when
 * listen-host does not resolve (logged).
 */
int main_open_sockets(const struct config *cfg, int socktype, unsigned port,
		      struct main_socket *out, int max);

/* Stop accepting for MAIN_ACCEPT_PAUSE_S. */
void main_pause_listeners(struct server *srv);
/* The ban / session settings of a configuration. */
void main_ban_cfg(const struct config *cfg, struct ban_cfg *out);
void main_session_cfg(const struct config *cfg, struct vpn_session_cfg *out);

#endif
