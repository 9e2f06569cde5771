/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_DTLS_H
#define OCSM_WORKER_DTLS_H

/*
 * The DTLS channel of a worker's tunnel (doc/spec/interop.md §6, doc/spec/liveness.md §3, §7).
 * See worker-dtls.c for the associations, the data path and the MTU.
 *
 *   CONNECT (the client's offer and dtls-psk/dtls-legacy chose a mode,
 *   codec/dtls-legacy.h, and main has a UDP port)
 *     worker_dtls_prepare()   PSK: the key exported from this TLS session and
 *                             a fresh App-ID; legacy: the client's master
 *                             secret, the picked suite and a fresh
 *                             X-DTLS-Session-ID; the reply carries the
 *                             X-DTLS-* block
 *   TunnelUp (+ App-ID)       from now on main routes ClientHellos to us
 *   DtlsSocket from main      worker_dtls_on_socket(): a UDP socket connected
 *                             to the client, and the datagram main read
 *   handshake done            the engine's DTLS channel is up: data on DTLS
 *   tun packet                worker_dtls_send_data() first, CSTP if refused
 *   engine actions            worker_dtls_send_probe() (VPN_ACT_SEND_DPD_REQ_DTLS),
 *                             worker_dtls_on_inactive() (VPN_ACT_DTLS_INACTIVE)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"
#include "vpn/time.h"

struct worker;
struct worker_dtls;
struct vpn_tunnel_snapshot;
struct dtls_choice;

/* PSK length and the exporter label (doc/spec/interop.md §6.2). */
#define WORKER_DTLS_PSK_LEN 32u
#define WORKER_DTLS_PSK_LABEL "EXPORTER-openconnect-psk"
/* App-ID length we issue (X-DTLS-App-ID: 64 hex digits). */
#define WORKER_DTLS_APP_ID_LEN 32u
/* Handshake timers on our side: retransmission of our flight, and how long
 * a started handshake may take (the client gives up after 12 s and starts
 * again from a new port, which replaces the pending one). */
#define WORKER_DTLS_RETRANS_MS 1000u
#define WORKER_DTLS_HANDSHAKE_MS 20000u
/* After a handshake the client runs its MTU probe and drops any other DTLS
 * record meanwhile (doc/spec/interop.md §6.6): data waits on CSTP until the client
 * sends something else on DTLS, for at most this long (and only about
 * WORKER_DTLS_PROBE_GRACE_MS after the last probe we echoed). */
#define WORKER_DTLS_QUIET_MS 1500u
#define WORKER_DTLS_PROBE_GRACE_MS 100u
/* try-mtu-discovery: smallest data MTU we lower to (doc/spec/liveness.md §7), and how
 * often a full-size send may try to raise it again. */
#define WORKER_DTLS_MTU_FLOOR_V4 800u
#define WORKER_DTLS_MTU_FLOOR_V6 1280u
#define WORKER_DTLS_MTU_RAISE_MS 5000u

/*
 * At CONNECT time, before the reply is built, for the mode ch chose (PSK or
 * legacy): draw the App-ID (legacy: the session ID), and export the PSK
 * from the TLS session or keep the client's master secret. port is main's
 * UDP port. Returns 0 (w->dtls set) or a negative errno (logged; the tunnel
 * then runs without DTLS).
 */
int worker_dtls_prepare(struct worker *w, unsigned port, const struct dtls_choice *ch);

/* The DTLS record overhead the tunnel MTU is computed with: AES-GCM's for
 * PSK, the legacy suite's own otherwise. */
unsigned worker_dtls_overhead(const struct worker *w);

/* The legacy suite's name for the reply (*dtls12: answer it in
 * X-DTLS12-CipherSuite), or NULL for PSK-NEGOTIATE. */
const char *worker_dtls_legacy_name(const struct worker *w, bool *dtls12);

/* The DTLS mode for the tunnel-up line: "psk-negotiate", "legacy NAME
 * (VERSION)", "off", "off (why)". */
void worker_dtls_mode_text(const struct worker *w, char *buf, size_t len);

/* The App-ID for the reply and TunnelUp (WORKER_DTLS_APP_ID_LEN bytes). */
const uint8_t *worker_dtls_app_id(const struct worker *w);

/* The tunnel is up: the DTLS MTU on the link is link_payload bytes of UDP
 * payload (base MTU - IP - UDP). */
void worker_dtls_start(struct worker *w, unsigned link_payload);

/* Main handed a UDP socket (m->fd, taken) with DtlsSocket m->dtls_socket. */
void worker_dtls_on_socket(struct worker *w, struct ipc_msg *m);

/*
 * Send the IP packet pkt[0..len) on DTLS if the data path is DTLS at now
 * and the packet fits; pkt[-1] must be writable (the type byte goes there).
 * Returns true when the packet went out on DTLS, false when the caller must
 * send it on CSTP.
 */
bool worker_dtls_send_data(struct worker *w, uint8_t *pkt, size_t len, vpn_ms_t now);

/* The engine asked for a DTLS DPD probe. */
void worker_dtls_send_probe(struct worker *w, vpn_ms_t now);

/* The engine made DTLS inactive (why: "dpd-timeout", "cstp-data"). */
void worker_dtls_on_inactive(struct worker *w, const char *why, vpn_ms_t now);

/* DTLS counters into a TunnelStats, from the engine's snapshot sn at now. */
void worker_dtls_stats(const struct worker *w, const struct vpn_tunnel_snapshot *sn,
		       TunnelStats *st, vpn_ms_t now);

/* One line for the tunnel-end log ("none", "up peer ... rx ..."). */
void worker_dtls_describe(const struct worker *w, char *buf, size_t len, vpn_ms_t now);

/* Stop every watcher (the tunnel ended); the sockets stay until cleanup. */
void worker_dtls_stop(struct worker *w);

/* Release everything. */
void worker_dtls_cleanup(struct worker *w);

#endif
