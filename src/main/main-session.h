/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_SESSION_H
#define OCSM_MAIN_SESSION_H

/*
 * main's side of the sessions. sec-mod holds the session records
 * (sec-mod/sec-mod.h) and main a mirror of them (srv->sessions); this module
 * owns what main keeps per session (struct main_lease: the IPv4 lease, the
 * tun device, the scripts' view), and everything main does between a
 * worker's request and sec-mod's answer:
 *
 *   worker request (main-worker.c)    here                     sec-mod
 *   AuthRequest      main_session_auth  bans -> SmAuthRequest   ->
 *                                       <- SmAuthReply: AuthReply, counters
 *   SessionOpenRequest main_session_open  -> SmOpenRequest      ->
 *                                       <- SmOpenReply: lease and device (one
 *                                          way back if either fails), takeover,
 *                                          connect-script, SessionOpenReply
 *   TunnelUp/Stats/Down main_session_tunnel_*  -> SmTunnelUp/Stats/Down
 *   (worker exits)   main_session_worker_gone  -> SmTunnelDown (worker-crashed)
 *                                       <- SmSession: the mirror; a session
 *                                          waiting keeps its lease (and with
 *                                          keep-tun-on-resume its device); an
 *                                          ended one frees them and runs the
 *                                          disconnect-script
 *   ProbeReply       main_session_probe_reply  <- SmProbe -> SmProbeResult
 *
 * It also keeps the server-wide counters (doc/spec/liveness.md §10), read by
 * main-ctl.c through main_session_counters().
 *
 * Calls go one way (see main.h): main-worker.c and main.c call in here; this
 * module calls main-secmod.c, main-script.c, main-udp.c (the DTLS port) and
 * worker-proc.c, never back. What sec-mod and the scripts say comes in
 * through the functions main.c registers with them (main_secmod_start,
 * main_script_run).
 */

#include "common/conf.h"
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"
#include "common/tun.h"
#include "sec-mod/session-table.h"
#include "vpn/counters.h"

struct server;
struct worker_proc;

/*
 * Main's side of a session (doc/spec/liveness.md §2): what must outlive its
 * tunnels. Created by the first CONNECT of a session, freed when the session
 * ends.
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
	struct ippool *pool;         /* whose: the global one or a file's (main-pools.h) */
	bool has_lease6;
	struct in6_addr ipv6;        /* the IPv6 lease while has_lease6 (ipv6-network) */
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
	/* The session's per-user and per-group files, read when this record was
	 * made (main-peruser.h): kept for the session's life. */
	struct config_user user_cfg, group_cfg;
	struct server *srv;          /* for its end, which may come from the tun closer */
	struct main_lease *prev, *next;
};

/* Server-wide counters (doc/spec/liveness.md §10 and occtl's status). */
struct main_counters {
	struct vpn_counters liveness;  /* ends by reason, resumes, takeovers */
	uint64_t auth_failures;        /* logins refused (not max-same-clients) */
	uint64_t sessions_handled;     /* logins accepted */
	uint64_t tunnels_handled;      /* CONNECTs accepted */
};

/* Read-only, for the other modules: the record of the session serial (NULL:
 * none), and the counters. */
struct main_lease *main_lease_find(struct server *srv, uint64_t serial);
const struct main_counters *main_session_counters(const struct server *srv);

/* From main-worker.c, once it checked that the message came in turn. */
void main_session_auth(struct server *srv, struct worker_proc *w, AuthRequest *req);
void main_session_open(struct server *srv, struct worker_proc *w, const SessionOpenRequest *req);
/* w's TunnelUp: tell sec-mod. */
void main_session_tunnel_up(struct server *srv, struct worker_proc *w);
/* w's periodic counters (in w): sec-mod keeps the session's running totals. */
void main_session_tunnel_stats(struct server *srv, struct worker_proc *w);
/* w's tunnel ended for reason (TunnelDown, w's counters are final): count
 * it; sec-mod decides whether the session waits or ends. */
void main_session_tunnel_down(struct server *srv, struct worker_proc *w,
			      enum vpn_end_reason reason);
void main_session_probe_reply(struct server *srv, struct worker_proc *w, const ProbeReply *r);
/* w exited: a tunnel it held without TunnelDown ends (and is counted) as
 * worker-crashed (the session waits to resume), a probe it did not answer
 * counts as silent. */
void main_session_worker_gone(struct server *srv, struct worker_proc *w);

/* What sec-mod says (main.c registers these with main_secmod_start).
 * main_session_on_sm_session returns -EINVAL for a record that is not
 * valid (sec-mod is then broken). */
void main_session_on_sm_auth_reply(struct server *srv, const SmAuthReply *r);
void main_session_on_sm_open_reply(struct server *srv, const SmOpenReply *r);
int main_session_on_sm_session(struct server *srv, const SmSession *msg);
void main_session_on_sm_probe(struct server *srv, const SmProbe *p);

/* The mirror's end hook (session_table_new in main.c, opaque: the server):
 * ask sec-mod to end s; the mirror shows it ended at once. */
void main_session_mirror_end(void *opaque, struct secmod_session *s);

/* Shutdown: ask every worker to finish and sec-mod to end every session
 * (server-shutdown: the clients are told); with srv->sessions_kept the
 * workers close their tunnels without a word (server-restart) and the
 * sessions wait in the session store. */
void main_session_terminate_all(struct server *srv);
/* At exit, after the workers are forgotten: free every record, releasing
 * its lease and closing its device; the disconnect-script runs for each
 * session that was let in (ended by server-shutdown), unless the sessions
 * wait in the session store (srv->sessions_kept). */
void main_session_forget_all(struct server *srv);

#endif
