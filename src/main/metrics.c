/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * main's Prometheus counters and their text rendering; see metrics.h and
 * doc/metrics.md. The format: https://prometheus.io/docs/instrumenting/exposition_formats/
 * (text format 0.0.4): a "# HELP" and a "# TYPE" line per family, then one
 * line per sample; label values escaped (\\, \", \n).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "main/metrics.h"

const uint32_t metrics_rtt_bounds_ms[METRICS_RTT_BUCKETS] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
};

static const char *const chan_name[METRICS_CHANS] = { "cstp", "dtls" };

/* --- counting ---------------------------------------------------------------- */

void metrics_login(struct metrics *m, bool ok)
{
	if (m == NULL)
		return;
	if (ok)
		m->logins_succeeded++;
	else
		m->logins_failed++;
}

void metrics_tunnel_end(struct metrics *m, enum vpn_end_reason r)
{
	if (m == NULL)
		return;
	if (r > VPN_END_NONE && r < VPN_END_REASON_COUNT)
		m->tunnel_ends[r]++;
}

void metrics_session_end(struct metrics *m, enum vpn_end_reason r)
{
	if (m == NULL)
		return;
	if (r > VPN_END_NONE && r < VPN_END_REASON_COUNT)
		m->session_ends[r]++;
}

void metrics_connect(struct metrics *m, enum vpn_connect_result r)
{
	if (m == NULL)
		return;
	if (r == VPN_CONNECT_RESUME)
		m->resumes++;
	else if (r == VPN_CONNECT_TAKEOVER)
		m->takeovers++;
}

void metrics_rtt(struct metrics *m, enum metrics_chan c, uint64_t rtt_ms)
{
	struct metrics_hist *h = &m->rtt[c];

	for (unsigned i = 0; i < METRICS_RTT_BUCKETS; i++) {
		if (rtt_ms <= metrics_rtt_bounds_ms[i]) {
			h->bucket[i]++;
			break;
		}
	}
	h->count++;
	h->sum_ms += rtt_ms;
}

/* Add what a running total grew by since *seen, and remember it. A total
 * that went down (never, from a sane worker) adds nothing. Returns true when
 * it grew. */
static bool grow(uint64_t *counter, uint64_t *seen, bool has, uint64_t now)
{
	bool grew;

	if (!has)
		return false;
	grew = now > *seen;
	if (grew)
		*counter += now - *seen;
	*seen = now;
	return grew;
}

void metrics_store_errors(struct metrics *m, uint64_t *seen, uint64_t total)
{
	if (m == NULL)
		return;
	if (total < *seen)
		*seen = 0; /* sec-mod was started again: its count too */
	(void)grow(&m->store_errors, seen, true, total);
}

/* The latest round trip of channel c in st, or -1. */
static int64_t last_rtt(const TunnelStats *st, enum metrics_chan c)
{
	const TunnelLivenessChannel *lc = NULL;

	if (st->live != NULL)
		lc = c == METRICS_CSTP ? st->live->cstp : st->live->dtls;
	if (lc != NULL && lc->has_last_rtt_ms)
		return lc->last_rtt_ms;
	if (c == METRICS_CSTP && st->has_last_dpd_rtt_ms)
		return st->last_dpd_rtt_ms;
	return -1;
}

void metrics_tunnel_stats(struct metrics *m, struct metrics_seen *seen, const TunnelStats *st)
{
	bool answered[METRICS_CHANS];

	grow(&m->rx_bytes, &seen->rx_bytes, st->has_bytes_in, st->bytes_in);
	grow(&m->tx_bytes, &seen->tx_bytes, st->has_bytes_out, st->bytes_out);
	grow(&m->rx_packets, &seen->rx_packets, st->has_packets_in, st->packets_in);
	grow(&m->tx_packets, &seen->tx_packets, st->has_packets_out, st->packets_out);
	grow(&m->dpd_sent[METRICS_CSTP], &seen->dpd_sent[METRICS_CSTP], st->has_dpd_probes_sent,
	     st->dpd_probes_sent);
	grow(&m->dpd_sent[METRICS_DTLS], &seen->dpd_sent[METRICS_DTLS],
	     st->has_dtls_dpd_probes_sent, st->dtls_dpd_probes_sent);
	answered[METRICS_CSTP] = grow(&m->dpd_answered[METRICS_CSTP],
				      &seen->dpd_answered[METRICS_CSTP],
				      st->has_dpd_probes_answered, st->dpd_probes_answered);
	answered[METRICS_DTLS] = grow(&m->dpd_answered[METRICS_DTLS],
				      &seen->dpd_answered[METRICS_DTLS],
				      st->has_dtls_dpd_probes_answered, st->dtls_dpd_probes_answered);
	grow(&m->dropped[METRICS_DROP_SPOOFED], &seen->dropped[METRICS_DROP_SPOOFED],
	     st->has_spoofed, st->spoofed);
	grow(&m->dropped[METRICS_DROP_ROUTES], &seen->dropped[METRICS_DROP_ROUTES],
	     st->has_restricted, st->restricted);
	grow(&m->dropped[METRICS_DROP_PORTS], &seen->dropped[METRICS_DROP_PORTS],
	     st->has_restricted_ports, st->restricted_ports);
	grow(&m->dropped[METRICS_DROP_RATE_RX], &seen->dropped[METRICS_DROP_RATE_RX],
	     st->has_rate_dropped_rx, st->rate_dropped_rx);
	grow(&m->dropped[METRICS_DROP_RATE_TX], &seen->dropped[METRICS_DROP_RATE_TX],
	     st->has_rate_dropped_tx, st->rate_dropped_tx);
	for (int c = 0; c < METRICS_CHANS; c++) {
		int64_t rtt = last_rtt(st, (enum metrics_chan)c);

		if (answered[c] && rtt >= 0)
			metrics_rtt(m, (enum metrics_chan)c, (uint64_t)rtt);
	}
}

/* --- rendering ----------------------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP " METRICS_PREFIX "%s %s\n# TYPE " METRICS_PREFIX "%s %s\n", name, help,
		name, type);
}

static void sample(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, METRICS_PREFIX "%s %" PRIu64 "\n", name, v);
}

/* A label value as the format wants it: \, " and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void sample_l(FILE *f, const char *name, const char *label, const char *value, uint64_t v)
{
	fprintf(f, METRICS_PREFIX "%s{%s=\"", name, label);
	label_value(f, value);
	fprintf(f, "\"} %" PRIu64 "\n", v);
}

/* A family of one sample without labels. */
static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "counter", help);
	sample(f, name, v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "gauge", help);
	sample(f, name, v);
}

static void per_chan(FILE *f, const char *name, const char *help, const uint64_t v[METRICS_CHANS])
{
	family(f, name, "counter", help);
	for (int c = 0; c < METRICS_CHANS; c++)
		sample_l(f, name, "channel", chan_name[c], v[c]);
}

static void per_reason(FILE *f, const char *name, const char *help,
		       const uint64_t v[VPN_END_REASON_COUNT])
{
	family(f, name, "counter", help);
	for (int r = VPN_END_NONE + 1; r < VPN_END_REASON_COUNT; r++)
		sample_l(f, name, "reason", vpn_end_reason_str((enum vpn_end_reason)r), v[r]);
}

static void rtt_hist(FILE *f, const struct metrics_hist h[METRICS_CHANS])
{
	static const char name[] = METRICS_PREFIX "dpd_rtt_seconds";

	family(f, "dpd_rtt_seconds", "histogram",
	       "Round-trip time of answered DPD probes, by channel.");
	for (int c = 0; c < METRICS_CHANS; c++) {
		uint64_t cum = 0;

		for (unsigned i = 0; i < METRICS_RTT_BUCKETS; i++) {
			cum += h[c].bucket[i];
			fprintf(f, "%s_bucket{channel=\"%s\",le=\"%g\"} %" PRIu64 "\n", name,
				chan_name[c], metrics_rtt_bounds_ms[i] / 1000.0, cum);
		}
		fprintf(f, "%s_bucket{channel=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
			chan_name[c], h[c].count);
		fprintf(f, "%s_sum{channel=\"%s\"} %.3f\n", name, chan_name[c],
			(double)h[c].sum_ms / 1000.0);
		fprintf(f, "%s_count{channel=\"%s\"} %" PRIu64 "\n", name, chan_name[c],
			h[c].count);
	}
}

static void render_gauges(FILE *f, const struct metrics_gauges *g)
{
	family(f, "build_info", "gauge", "Always 1; the version of the running ocserv-modern.");
	sample_l(f, "build_info", "version", g->version != NULL ? g->version : "", 1);
	family(f, "start_time_seconds", "gauge", "When main started, in seconds since the epoch.");
	fprintf(f, METRICS_PREFIX "start_time_seconds %.3f\n", g->start_time_s);
	family(f, "sessions", "gauge", "Sessions by state.");
	sample_l(f, "sessions", "state", "authenticated", g->sessions_authenticated);
	sample_l(f, "sessions", "state", "active", g->sessions_active);
	sample_l(f, "sessions", "state", "waiting-to-resume", g->sessions_waiting);
	family(f, "tunnels", "gauge",
	       "Tunnels up, by the path their data takes (dtls: the DTLS channel is up).");
	sample_l(f, "tunnels", "path", "dtls", g->tunnels[METRICS_DTLS]);
	sample_l(f, "tunnels", "path", "tls", g->tunnels[METRICS_CSTP]);
	gauge(f, "workers", "Worker processes (one per TCP connection).", g->workers);
	gauge(f, "banned_addresses", "Client addresses banned now.", g->banned_addresses);
	gauge(f, "secmod_queue_messages", "Messages from main waiting for sec-mod to read them.",
	      g->secmod_queue);
}

static void dropped(FILE *f, const uint64_t v[METRICS_DROPS])
{
	static const char *const reason[METRICS_DROPS] = {
		"spoofed", "outside-routes", "restricted-ports", "rate-rx", "rate-tx",
	};

	family(f, "dropped_packets_total", "counter",
	       "Tunnel packets the workers dropped by policy, by reason.");
	for (int r = 0; r < METRICS_DROPS; r++)
		sample_l(f, "dropped_packets_total", "reason", reason[r], v[r]);
}

static void render_counters(FILE *f, const struct metrics *m)
{
	counter(f, "logins_succeeded_total", "Logins accepted.", m->logins_succeeded);
	counter(f, "logins_failed_total", "Logins refused.", m->logins_failed);
	counter(f, "bans_total", "Client addresses banned (ban score reached).", m->bans);
	counter(f, "resumes_total",
		"Sessions resumed from waiting-to-resume (a CONNECT with their cookie).", m->resumes);
	counter(f, "takeovers_total", "CONNECTs that took over a session whose tunnel was still up.",
		m->takeovers);
	per_reason(f, "tunnel_ends_total", "Tunnels ended, by reason.", m->tunnel_ends);
	per_reason(f, "session_ends_total", "Sessions ended, by reason.", m->session_ends);
	counter(f, "dpd_timeouts_total", "Tunnels ended by dead peer detection.",
		m->tunnel_ends[VPN_END_DPD_TIMEOUT]);
	per_chan(f, "dpd_probes_sent_total", "DPD probes sent to clients, by channel.",
		 m->dpd_sent);
	per_chan(f, "dpd_probes_answered_total", "DPD probes the clients answered, by channel.",
		 m->dpd_answered);
	rtt_hist(f, m->rtt);
	counter(f, "rx_bytes_total", "Bytes received from clients in tunnels.", m->rx_bytes);
	counter(f, "tx_bytes_total", "Bytes sent to clients in tunnels.", m->tx_bytes);
	counter(f, "rx_packets_total", "Packets received from clients in tunnels.", m->rx_packets);
	counter(f, "tx_packets_total", "Packets sent to clients in tunnels.", m->tx_packets);
	counter(f, "store_errors_total", "Errors of the session store.", m->store_errors);
	dropped(f, m->dropped);
}

int metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out,
		   size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL)
		return -ENOMEM;
	render_gauges(f, g);
	render_counters(f, m);
	if (ferror(f) || fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}
