/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_PROC_H
#define OCSM_WORKER_PROC_H

/*
 * main's record of one worker process (struct worker_proc) and the few
 * things every part of main does to one: find it, send it a message, tell
 * it to finish, kill it, and its one timer. main-worker.c creates, feeds and
 * frees the records; main-session.c, main-ctl.c and main-udp.c use them
 * through this file. Nothing here calls another module of main.
 */

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"
#include "main/ban.h"
#include "main/metrics.h"
#include "common/tun.h"
#include "vpn/session.h"

struct server;

enum worker_state {
	WORKER_AUTH = 0,    /* connected: HTTP and authentication */
	WORKER_OPENING,     /* session opened, tun sent, TunnelUp pending */
	WORKER_TUNNEL,      /* TunnelUp received */
	WORKER_DOWN,        /* TunnelDown received, the process is finishing */
};

struct ctl_live;

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
	int forbidden_syscall;       /* its sandbox trapped this call (SandboxViolation); -1: none */
	vpn_ms_t started_ms;
	struct ctl_live *ctl_live;   /* its last TunnelStats, for occtl (main-ctl.c); NULL: none */
	uint64_t bytes_in, bytes_out; /* last TunnelStats */
	uint64_t packets_in, packets_out;
	/* DTLS channel as the worker last reported it (main-udp.c) */
	uint32_t dtls_state;         /* enum vpn_dtls_state: 0 none, 1 up, 2 inactive */
	char dtls_peer[INET6_ADDRSTRLEN + 8]; /* "address:port"; "" before the first handshake */
	char dtls_cipher[128];       /* e.g. "(DTLS1.2)-(PSK)-(AES-256-GCM)"; "": none */
	/* sec-mod (main-secmod.h) */
	uint64_t sm_request;         /* its SmAuthRequest/SmOpenRequest in flight; 0: none */
	char login_token[40];        /* its login waits for a further form's answer: the
				      * token sec-mod gave (to cancel it); "": none */
	bool open_mobile;            /* the CONNECT waiting for sec-mod's answer: */
	unsigned open_base_mtu;      /* X-CSTP-Base-MTU (0: not sent) */
	char open_requested_ipv4[INET_ADDRSTRLEN]; /* X-CSTP-Address hint ("": none) */
	char open_requested_ipv6[INET6_ADDRSTRLEN]; /* the IPv6 one ("": none) */
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

/* The worker with that PID, sec-mod request in flight (never 0), or
 * attached session serial (never 0); NULL if none. */
struct worker_proc *worker_proc_by_pid(struct server *srv, pid_t pid);
struct worker_proc *worker_proc_by_request(struct server *srv, uint64_t id);
struct worker_proc *worker_proc_by_session(struct server *srv, uint64_t serial);

/* Send msg (of type, with fd or -1) to w. A worker that cannot take a
 * message is of no use: it is killed (worker_proc_kill); one that closed its
 * end is exiting and is left to exit (-EPIPE, logged at debug level).
 * Returns 0 or the negative ipc_send() code. */
int worker_proc_send(struct server *srv, struct worker_proc *w, enum ipc_type type,
		     const ProtobufCMessage *msg, int fd);

/* Tell w to finish with reason (Terminate) and give it MAIN_EXIT_GRACE_S. */
void worker_proc_terminate(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason);
/* The same, the client's goodbye saying text (NULL: the reason's text). */
void worker_proc_terminate_text(struct server *srv, struct worker_proc *w,
				enum vpn_end_reason reason, const char *text);

/* SIGTERM a worker by PID and arm the SIGKILL backstop; why (or NULL) is
 * logged. Nothing for a worker already signalled or reaped. */
void worker_proc_kill(struct server *srv, struct worker_proc *w, const char *why);

/* Start w's timer, seconds from now: the auth backstop while it has no
 * session, the exit deadline once its tunnel ended or it was told to go,
 * and SIGKILL after SIGTERM. */
void worker_proc_timer_start(struct server *srv, struct worker_proc *w, double seconds);

/* w's tunnel is over: it gets MAIN_EXIT_GRACE_S to exit (unless it was
 * signalled or reaped already). */
void worker_proc_exit_deadline(struct server *srv, struct worker_proc *w);

#endif
