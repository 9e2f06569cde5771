/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_METRICS_H
#define OCSM_METRICS_H

/*
 * main's Prometheus metrics (doc/metrics.md): the counters main keeps as it
 * sees logins, tunnels and sessions come and go, and a pure renderer of the
 * text exposition format, version 0.0.4.
 *
 * Counters (struct metrics) only grow. Gauges (struct metrics_gauges) are
 * read from main's tables at the moment of a scrape and handed to the
 * renderer, which reads no clock and does no I/O.
 *
 * A worker reports its tunnel's counters as running totals (TunnelStats,
 * every few seconds and at the end); metrics_tunnel_stats() adds what grew
 * since that worker's previous report (struct metrics_seen, one per worker),
 * so the sums continue across tunnels and never go down.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"
#include "vpn/session.h"

/* Every metric's name starts with this. */
#define METRICS_PREFIX "ocserv_modern_"

enum metrics_chan {
	METRICS_CSTP = 0,
	METRICS_DTLS,
	METRICS_CHANS,
};

/* Upper bounds of the DPD round-trip histogram's buckets, in ms (the
 * renderer adds +Inf and prints them in seconds). */
#define METRICS_RTT_BUCKETS 12
extern const uint32_t metrics_rtt_bounds_ms[METRICS_RTT_BUCKETS];

/* Why a worker dropped a packet of a tunnel (ocserv_modern_dropped_packets_total). */
enum metrics_drop {
	METRICS_DROP_SPOOFED = 0,      /* a client source other than its lease */
	METRICS_DROP_ROUTES,           /* restrict-user-to-routes */
	METRICS_DROP_PORTS,            /* restrict-user-to-ports */
	METRICS_DROP_RATE_RX,          /* rx-data-per-sec */
	METRICS_DROP_RATE_TX,          /* tx-data-per-sec */
	METRICS_DROPS,
};

struct metrics_hist {
	uint64_t bucket[METRICS_RTT_BUCKETS]; /* samples <= bound[i] and > bound[i-1] */
	uint64_t count;                       /* every sample, +Inf included */
	uint64_t sum_ms;
};

struct metrics {
	uint64_t logins_succeeded, logins_failed;
	uint64_t bans;                        /* addresses banned */
	uint64_t resumes, takeovers;          /* CONNECTs that resumed / took over a session */
	uint64_t tunnel_ends[VPN_END_REASON_COUNT];
	uint64_t session_ends[VPN_END_REASON_COUNT];
	uint64_t dpd_sent[METRICS_CHANS], dpd_answered[METRICS_CHANS];
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets; /* rx: from the clients */
	struct metrics_hist rtt[METRICS_CHANS];
	uint64_t store_errors;
	uint64_t dropped[METRICS_DROPS];
};

/* What one worker reported last (zero for a new worker). */
struct metrics_seen {
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t dpd_sent[METRICS_CHANS], dpd_answered[METRICS_CHANS];
	uint64_t dropped[METRICS_DROPS];
};

/* Read from main's tables when a scrape asks. */
struct metrics_gauges {
	const char *version;                  /* build_info's version label */
	double start_time_s;                  /* epoch seconds main started */
	unsigned sessions_authenticated, sessions_active, sessions_waiting;
	unsigned tunnels[METRICS_CHANS];      /* by the path their data takes */
	unsigned workers;
	unsigned banned_addresses;
	size_t secmod_queue;                  /* messages waiting for sec-mod */
};

/* The counting functions take m NULL as nothing to count. */

/* A login: sec-mod's answer, or refused by main before it asked. */
void metrics_login(struct metrics *m, bool ok);
/* A tunnel or a session ended with reason r (VPN_END_NONE is ignored). */
void metrics_tunnel_end(struct metrics *m, enum vpn_end_reason r);
void metrics_session_end(struct metrics *m, enum vpn_end_reason r);
/* A CONNECT was accepted as r. */
void metrics_connect(struct metrics *m, enum vpn_connect_result r);
/* One DPD round trip on channel c. */
void metrics_rtt(struct metrics *m, enum metrics_chan c, uint64_t rtt_ms);
/* sec-mod's count of failed session store operations, as its latest
 * SmSession says; *seen is the count it said before (0 for a new sec-mod:
 * a smaller count than *seen is a new sec-mod's and is all new). */
void metrics_store_errors(struct metrics *m, uint64_t *seen, uint64_t total);
/* A TunnelStats of the worker whose previous report is seen: add what grew,
 * and one RTT sample per channel whose answered probes grew (the latest
 * round trip the report carries). */
void metrics_tunnel_stats(struct metrics *m, struct metrics_seen *seen, const TunnelStats *st);

/*
 * The text exposition format (version 0.0.4) of m and g: a malloc'ed,
 * NUL-terminated text in *out (its length in *len, without the NUL) to
 * free(). 0, or -ENOMEM.
 */
int metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out,
		   size_t *len);

/* The Content-Type of that text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
