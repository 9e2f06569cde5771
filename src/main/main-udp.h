/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_UDP_H
#define OCSM_MAIN_UDP_H

/*
 * DTLS in main (doc/spec/interop.md §6.2): the UDP listener on udp-port, and the
 * routing of what it receives to the workers (src/main/dtls-route.h decides,
 * this file performs). A datagram for a tunnel becomes a UDP socket bound
 * to our address and port and connected to the client's, handed to the
 * worker over SCM_RIGHTS (DtlsSocket) with the datagram itself; from then
 * on the kernel delivers that client's datagrams straight to the worker.
 *
 * A tunnel enters the routing table with its TunnelUp (which carries the
 * App-ID of its CONNECT reply), so nothing is handed over before the
 * CONNECT is answered, and leaves it with its TunnelDown or its exit.
 */

#include <stdbool.h>
#include <stdint.h>

#include "common/ipc.h"

struct server;
struct worker_proc;

/* Open the UDP sockets on listen-host:udp-port (none when udp-port is 0).
 * Returns 0, or a negative errno after logging (main then exits: a
 * configured DTLS port that cannot be had is a configuration error). */
int main_udp_open(struct server *srv);

/* Start reading them (the event loop exists now). */
void main_udp_start(struct server *srv);

/* Close everything (exit). */
void main_udp_close(struct server *srv);

/* The port to advertise as X-DTLS-Port; 0 when main has no UDP socket. */
unsigned main_udp_port(const struct server *srv);

/* A worker's TunnelUp: set the tun device's MTU to its tun_mtu (the worker
 * has no privileges) and route its App-ID (if it has DTLS) to it. */
void main_udp_tunnel_up(struct server *srv, struct worker_proc *w, const TunnelUp *up);

/* The worker's tunnel ended or the worker is gone: stop routing to it.
 * Idempotent. */
void main_udp_worker_gone(struct server *srv, struct worker_proc *w);

/* A worker's DtlsStatus: its DTLS state, peer and cipher (kept in the
 * worker_proc for occtl and logs); tun_mtu changes the tun device's MTU. */
void main_udp_on_status(struct server *srv, struct worker_proc *w, const DtlsStatus *st);

#endif
