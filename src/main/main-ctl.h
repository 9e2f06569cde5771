/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_CTL_H
#define OCSM_MAIN_CTL_H

/*
 * main's control socket for occtl-modern (occtl-socket-file): the protocol
 * of src/occtl/ctl.proto, framed by src/occtl/ctlmsg.h.
 *
 * Nothing here waits on a peer. Control clients are non-blocking, bounded in
 * number (MAIN_CTL_MAX_CLIENTS) and in time (a client silent or not reading
 * for MAIN_CTL_CLIENT_TIMEOUT_S is closed). A show command that needs the
 * tunnels' liveness asks the workers concerned for a fresh snapshot
 * (TunnelStatsRequest) and answers when all of them replied or after
 * MAIN_CTL_GATHER_TIMEOUT_S, whichever comes first; a worker that did not
 * answer is shown with its last periodic report, marked as such.
 *
 * It reads the workers (worker-proc.h), main's session records and the
 * server-wide counters (main-session.h) and the mirror of sec-mod's
 * records; it ends sessions through the mirror (session_table_terminate,
 * whose hook asks sec-mod) and tunnels by telling their worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/ipc.h"
#include "vpn/session.h"

#define MAIN_CTL_MAX_CLIENTS 16
#define MAIN_CTL_CLIENT_TIMEOUT_S 30.0
#define MAIN_CTL_GATHER_TIMEOUT_S 1.0

struct server;
struct worker_proc;

/* Allocate the control state (the start time occtl shows is from here).
 * Returns 0 or -ENOMEM. Call once. */
int main_ctl_init(struct server *srv);

/* Open occtl-socket-file (with occtl-socket-mode and occtl-socket-group) and
 * start accepting on srv->loop. A failure is logged and returned (-errno);
 * the gateway runs on without its control socket. */
int main_ctl_start(struct server *srv);

/* Close every client and the socket, remove the socket file, free all. */
void main_ctl_stop(struct server *srv);

/* A TunnelStats from w (periodic, final, or the answer to a request). */
void main_ctl_on_tunnel_stats(struct server *srv, struct worker_proc *w, const TunnelStats *st);
/* w is being freed: its last report goes with it. */
void main_ctl_worker_gone(struct server *srv, struct worker_proc *w);

#endif
