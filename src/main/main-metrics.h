/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_METRICS_H
#define OCSM_MAIN_METRICS_H

/*
 * main's Prometheus endpoint (metrics-listen, doc/metrics.md): a plain-HTTP
 * listener on main's event loop that answers GET /metrics with the text of
 * src/main/metrics.h, and the hooks that feed the counters.
 *
 * A scraper never makes main wait: the socket is non-blocking; a request is
 * read as it arrives, parsed by src/codec/http.h and bounded to
 * MAIN_METRICS_MAX_REQUEST bytes; the answer is written as far as the socket
 * takes it and the rest when it is writable again; a connection is closed
 * after its answer, at an error, or MAIN_METRICS_TIMEOUT_S after it was
 * accepted, whichever comes first. At most MAIN_METRICS_MAX_SCRAPERS are
 * served at once: a connection beyond that is closed at once.
 */

#include <stdbool.h>

#include "common/ipc.h"
#include "main/metrics.h"
#include "vpn/session.h"

#define MAIN_METRICS_MAX_SCRAPERS 4
#define MAIN_METRICS_MAX_REQUEST 8192u
#define MAIN_METRICS_TIMEOUT_S 10.0

struct server;
struct worker_proc;

/* Allocate the counters (they count from here on, endpoint or not).
 * 0 or -ENOMEM. */
int main_metrics_init(struct server *srv);
/* Bind metrics-listen (when set): 0, or -errno after logging why. */
int main_metrics_open(struct server *srv);
/* Start accepting on srv->loop (after main_metrics_open). */
void main_metrics_start(struct server *srv);
/* Close the listener and every scraper, free all. */
void main_metrics_stop(struct server *srv);

/* The counters (NULL before main_metrics_init). */
struct metrics *main_metrics(struct server *srv);
/* A session record from sec-mod (its store error count). */
void main_metrics_secmod_session(struct server *srv, const SmSession *msg);
/* A TunnelStats of w (periodic, answer or final). */
void main_metrics_tunnel_stats(struct server *srv, struct worker_proc *w, const TunnelStats *st);

#endif
