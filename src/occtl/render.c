/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* occtl-modern's text and JSON output; see render.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "occtl/json.h"
#include "occtl/render.h"

/* --- formatting helpers ------------------------------------------------- */

const char *render_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h %02" PRId64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%" PRId64 "d %02" PRId64 "h", s / 86400, s / 3600 % 24);
	return buf;
}

const char *render_time(int64_t epoch_ms, char *buf, size_t len)
{
	time_t t = (time_t)(epoch_ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%" PRId64, epoch_ms / 1000);
	return buf;
}

const char *render_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "KB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	int u = -1;

	if (n < 1000) {
		snprintf(buf, len, "%" PRIu64 " bytes", n);
		return buf;
	}
	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

/* a - b, saturating: the server's numbers are data, not trusted to be sane */
static int64_t sdiff(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(a, b, &d))
		return a > b ? INT64_MAX : INT64_MIN;
	return d;
}

/* Whole seconds left until deadline (floor), never negative. */
static int64_t secs_left(int64_t deadline_ms, int64_t now_ms)
{
	return deadline_ms > now_ms ? sdiff(deadline_ms, now_ms) / 1000 : 0;
}

/* --- the field sink ----------------------------------------------------- */

struct out {
	bool json;
	struct json j;
	FILE *t;            /* text: an open_memstream */
	char *tbuf;
	size_t tlen;
	int64_t now;        /* main's now, epoch ms */
	const char *indent; /* text: before every field line */
};

static void f_str(struct out *o, const char *label, const char *v)
{
	if (o->json)
		json_kv_string(&o->j, label, v != NULL ? v : "");
	else if (v != NULL && v[0] != '\0')
		fprintf(o->t, "%s%s: %s\n", o->indent, label, v);
}

/* A number occtl prints as a quoted string (compatibility). */
/* Optional text: left out in both forms when unknown (NULL). */
static void f_opt(struct out *o, const char *label, const char *v)
{
	if (v != NULL)
		f_str(o, label, v);
}

static void f_qnum(struct out *o, const char *label, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	f_str(o, label, b);
}

static void f_num(struct out *o, const char *label, int64_t v)
{
	if (o->json)
		json_kv_int(&o->j, label, v);
	else
		fprintf(o->t, "%s%s: %" PRId64 "\n", o->indent, label, v);
}

static void f_bool(struct out *o, const char *label, bool v)
{
	if (o->json)
		json_kv_bool(&o->j, label, v);
	else
		fprintf(o->t, "%s%s: %s\n", o->indent, label, v ? "True" : "False");
}

/* JSON only: a raw number, or null. */
static void raw_num(struct out *o, const char *key, bool have, int64_t v)
{
	if (!o->json)
		return;
	json_key(&o->j, key);
	if (have)
		json_int(&o->j, v);
	else
		json_null(&o->j);
}

/*
 * A point in time (epoch ms, 0 = none): text "Label: 2024-05-01 12:00:00
 * (3m 02s ago)" or "(in 4m 47s)"; JSON "Label", "_Label" and raw (epoch s).
 */
static void f_time(struct out *o, const char *label, const char *raw, int64_t ms)
{
	char t[32], d[32], rel[48] = "";

	if (ms > 0) {
		render_time(ms, t, sizeof(t));
		/* a time equal to now (same millisecond) is "0s ago", not "in 0s" */
		render_duration(ms > o->now ? sdiff(ms, o->now) : sdiff(o->now, ms), d, sizeof(d));
		snprintf(rel, sizeof(rel), ms > o->now ? "in %s" : "%s ago", d);
	}
	if (o->json) {
		char k[96];

		json_kv_string(&o->j, label, ms > 0 ? t : "");
		snprintf(k, sizeof(k), "_%s", label);
		json_kv_string(&o->j, k, rel);
		raw_num(o, raw, ms > 0, ms / 1000);
	} else if (ms > 0) {
		fprintf(o->t, "%s%s: %s (%s)\n", o->indent, label, t, rel);
	}
}

/* Time left until a deadline (epoch ms, 0 = none), to the second: text
 * "Label: 4m 47s (287 s)"; JSON "Label": "4m 47s", raw: 287 or null. */
static void f_left(struct out *o, const char *label, const char *raw, int64_t deadline_ms)
{
	char d[32];
	int64_t s = secs_left(deadline_ms, o->now);

	if (deadline_ms > 0)
		render_duration(s * 1000, d, sizeof(d));
	if (o->json) {
		json_kv_string(&o->j, label, deadline_ms > 0 ? d : "");
		raw_num(o, raw, deadline_ms > 0, s);
	} else if (deadline_ms > 0 && s >= 60) {
		fprintf(o->t, "%s%s: %s (%" PRId64 " s)\n", o->indent, label, d, s);
	} else if (deadline_ms > 0) {
		fprintf(o->t, "%s%s: %s\n", o->indent, label, d);
	}
}

/* A configured duration in seconds: text "90 s", or off_text for 0; JSON
 * "Label": "90" (occtl's form) and raw: 90. */
static void f_secs(struct out *o, const char *label, const char *raw, bool have, uint32_t s,
		   const char *off_text)
{
	char b[48];

	if (!have)
		return;
	if (o->json) {
		/* occtl's "DPD": "90": the seconds as a string */
		f_qnum(o, label, s);
		raw_num(o, raw, true, s);
		return;
	}
	if (s == 0)
		snprintf(b, sizeof(b), "%s", off_text);
	else
		snprintf(b, sizeof(b), "%" PRIu32 " s", s);
	f_str(o, label, b);
}

/* Bytes as occtl: "RX": "12345" and "_RX": "12.3 KB". */
static void f_bytes(struct out *o, const char *label, uint64_t n)
{
	char h[32], k[32];

	render_bytes(n, h, sizeof(h));
	if (o->json) {
		f_qnum(o, label, n);
		snprintf(k, sizeof(k), "_%s", label);
		json_kv_string(&o->j, k, h);
	} else {
		fprintf(o->t, "%s%s: %s (%" PRIu64 ")\n", o->indent, label, h, n);
	}
}

static const char *or_none(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "(none)";
}

/* --- blocks ------------------------------------------------------------- */

static void channel_fields(struct out *o, const CtlChannel *c)
{
	char label[64], raw[64], b[48];
	const char *up = strcmp(c->name, "dtls") == 0 ? "DTLS" : "CSTP";
	const char *lo = strcmp(c->name, "dtls") == 0 ? "dtls" : "cstp";

#define L(text) (snprintf(label, sizeof(label), "%s " text, up), label)
#define R(text) (snprintf(raw, sizeof(raw), "raw_%s_" text, lo), raw)
	f_time(o, L("last RX"), R("last_rx"), c->has_last_rx_ms ? c->last_rx_ms : 0);
	f_str(o, L("DPD state"), c->dpd_state);
	f_time(o, L("next DPD"), R("next_dpd"), c->has_next_probe_ms ? c->next_probe_ms : 0);
	if (o->json) {
		json_kv_uint(&o->j, L("DPD probes sent"), c->probes_sent);
		json_kv_uint(&o->j, L("DPD probes answered"), c->probes_answered);
	} else {
		snprintf(b, sizeof(b), "%" PRIu64 " sent, %" PRIu64 " answered", c->probes_sent,
			 c->probes_answered);
		f_str(o, L("DPD probes"), b);
	}
	if (c->has_last_rtt_ms && c->last_rtt_ms >= 0)
		snprintf(b, sizeof(b), "%" PRId64 " ms", c->last_rtt_ms);
	else
		snprintf(b, sizeof(b), "none");
	f_str(o, L("DPD RTT"), b);
	raw_num(o, R("dpd_rtt_ms"), c->has_last_rtt_ms && c->last_rtt_ms >= 0, c->last_rtt_ms);
	if (o->json) {
		json_kv_uint(&o->j, L("keepalives received"), c->keepalives_received);
		json_kv_uint(&o->j, L("keepalives answered"), c->keepalives_answered);
	} else {
		snprintf(b, sizeof(b), "%" PRIu64 " received, %" PRIu64 " answered",
			 c->keepalives_received, c->keepalives_answered);
		f_str(o, L("keepalives"), b);
	}
#undef L
#undef R
}

static void tunnel_fields(struct out *o, const CtlTunnel *t)
{
	f_str(o, "Data path", t->data_path);
	f_str(o, "DTLS state", t->dtls_state);
	f_secs(o, "DPD", "raw_dpd", t->has_dpd, t->dpd, "off");
	f_secs(o, "KeepAlive", "raw_keepalive", t->has_keepalive, t->keepalive, "off");
	if (t->has_dpd_retries)
		f_num(o, "DPD retries", t->dpd_retries);
	f_secs(o, "Idle timeout", "raw_idle_timeout", t->has_idle_timeout, t->idle_timeout, "none");
	f_secs(o, "Switch-to-TCP timeout", "raw_switch_to_tcp_timeout",
	       t->has_switch_to_tcp_timeout, t->switch_to_tcp_timeout, "off");
	f_str(o, "Timers from", t->timers_from);
	if (o->json) {
		f_opt(o, "DPD from", t->dpd_from);
		f_opt(o, "KeepAlive from", t->keepalive_from);
		f_opt(o, "Idle timeout from", t->idle_timeout_from);
	}
	f_time(o, "Tunnel started", "raw_tunnel_started", t->has_started_ms ? t->started_ms : 0);
	f_time(o, "Idle deadline", "raw_idle_deadline", t->has_idle_deadline_ms ? t->idle_deadline_ms : 0);
	f_time(o, "Send blocked since", "raw_send_blocked",
	       t->has_send_blocked_ms ? t->send_blocked_ms : 0);
	for (size_t i = 0; i < t->n_channels; i++)
		channel_fields(o, t->channels[i]);
	f_bytes(o, "RX", t->rx_bytes);
	f_bytes(o, "TX", t->tx_bytes);
	if (o->json) {
		json_kv_uint(&o->j, "RX packets", t->rx_packets);
		json_kv_uint(&o->j, "TX packets", t->tx_packets);
		if (t->has_spoofed)
			json_kv_uint(&o->j, "Spoofed packets", t->spoofed);
		if (t->has_restricted)
			json_kv_uint(&o->j, "Restricted packets", t->restricted);
		if (t->has_restricted_ports)
			json_kv_uint(&o->j, "Restricted port packets", t->restricted_ports);
		if (t->has_rate_dropped_rx)
			json_kv_uint(&o->j, "RX rate-limited packets", t->rate_dropped_rx);
		if (t->has_rate_dropped_tx)
			json_kv_uint(&o->j, "TX rate-limited packets", t->rate_dropped_tx);
	} else {
		fprintf(o->t, "%sPackets: %" PRIu64 " received, %" PRIu64 " sent\n", o->indent,
			t->rx_packets, t->tx_packets);
		if (t->has_spoofed)
			fprintf(o->t, "%sSpoofed packets: %" PRIu64 " (dropped)\n", o->indent,
				t->spoofed);
		if (t->has_restricted)
			fprintf(o->t, "%sOutside the routes: %" PRIu64 " packets (dropped)\n",
				o->indent, t->restricted);
		if (t->has_restricted_ports)
			fprintf(o->t, "%sTo ports not allowed: %" PRIu64 " packets (dropped)\n",
				o->indent, t->restricted_ports);
		if (t->has_rate_dropped_rx || t->has_rate_dropped_tx)
			fprintf(o->t, "%sOver the rate limits: %" PRIu64 " received, %" PRIu64
				" sent packets (dropped)\n", o->indent, t->rate_dropped_rx,
				t->rate_dropped_tx);
	}
	f_str(o, "TLS ciphersuite", t->tls_cipher);
	f_str(o, "DTLS cipher", t->dtls_cipher);
	f_opt(o, "DTLS peer", t->dtls_peer);
	f_time(o, "Stats taken", "raw_stats_taken", t->has_stats_ms ? t->stats_ms : 0);
	if (o->json)
		json_kv_bool(&o->j, "Stats fresh", t->fresh);
	else if (!t->fresh)
		fprintf(o->t, "%s(the worker did not answer in time: the figures above are from "
			"its last periodic report)\n", o->indent);
}

static void conn_fields(struct out *o, const CtlConn *c)
{
	char sid[8];

	if (o->json)
		json_kv_uint(&o->j, "ID", c->id);
	else
		fprintf(o->t, "%sID: %" PRIu32 "\n", o->indent, c->id);
	f_str(o, "Username", c->username);
	f_str(o, "Groupname", o->json ? c->groupname : or_none(c->groupname));
	f_str(o, "State", c->status);
	f_str(o, "Device", c->device);
	if (c->has_mtu)
		f_qnum(o, "MTU", c->mtu);
	f_str(o, "Remote IP", c->remote_ip);
	if (c->has_remote_port)
		f_num(o, "Remote port", c->remote_port);
	f_str(o, "IPv4", c->vpn_ipv4);
	f_str(o, "P-t-P IPv4", c->ptp_ipv4);
	f_opt(o, "IPv6", c->vpn_ipv6);
	f_opt(o, "P-t-P IPv6", c->ptp_ipv6);
	f_opt(o, "User-Agent", c->user_agent);
	f_opt(o, "Hostname", c->hostname);
	f_time(o, "Connected at", "raw_connected_at", c->has_connected_ms ? c->connected_ms : 0);
	snprintf(sid, sizeof(sid), "%.6s", c->session_id != NULL ? c->session_id : "");
	f_str(o, "Session", sid);
	f_str(o, "Full session", c->session_id);
	f_str(o, "Session state", c->session_state);
	if (c->tunnel != NULL)
		tunnel_fields(o, c->tunnel);
}

/* Restored from the session store by a restart of the daemon: "Restored"
 * (JSON: a boolean, and raw_restarts the count). */
static void restored_field(struct out *o, uint32_t restarts)
{
	char b[48];

	if (o->json) {
		json_kv_bool(&o->j, "Restored", restarts > 0);
		raw_num(o, "raw_restarts", true, restarts);
		return;
	}
	if (restarts == 0)
		snprintf(b, sizeof(b), "no");
	else
		snprintf(b, sizeof(b), "yes (%" PRIu32 " restart%s)", restarts,
			 restarts == 1 ? "" : "s");
	f_str(o, "Restored", b);
}

static void session_fields(struct out *o, const CtlSession *s, bool with_conn)
{
	char sid[8];
	bool in_use = s->has_worker_id && s->worker_id != 0;

	snprintf(sid, sizeof(sid), "%.6s", s->session_id);
	f_str(o, "Session", sid);
	f_str(o, "Full session", s->session_id);
	f_str(o, "Username", s->username);
	f_str(o, "Groupname", o->json ? s->groupname : or_none(s->groupname));
	f_str(o, "State", s->state);
	f_opt(o, "Gateway", s->gateway);
	f_str(o, "Remote IP", s->remote_ip);
	f_str(o, "IPv4", s->vpn_ipv4);
	f_opt(o, "IPv6", s->vpn_ipv6);
	f_opt(o, "User-Agent", s->user_agent);
	f_time(o, "Created", "raw_created", s->has_created_ms ? s->created_ms : 0);
	f_time(o, "Last drop", "raw_last_drop", s->has_last_drop_ms ? s->last_drop_ms : 0);
	f_str(o, "Drop reason", s->drop_reason);
	f_str(o, "End reason", s->end_reason);
	f_time(o, "Ended at", "raw_ended_at", s->has_ended_ms ? s->ended_ms : 0);
	f_time(o, "Resume deadline", "raw_resume_deadline",
	       s->has_resume_deadline_ms ? s->resume_deadline_ms : 0);
	f_left(o, "Resume remaining", "raw_resume_remaining",
	       s->has_resume_deadline_ms ? s->resume_deadline_ms : 0);
	f_time(o, "Session deadline", "raw_session_deadline",
	       s->has_session_deadline_ms ? s->session_deadline_ms : 0);
	f_left(o, "Session remaining", "raw_session_remaining",
	       s->has_session_deadline_ms ? s->session_deadline_ms : 0);
	f_time(o, "Expires", "raw_expires", s->has_expires_ms ? s->expires_ms : 0);
	f_num(o, "Resumes", s->resumes);
	f_num(o, "Attaches", s->attaches);
	restored_field(o, s->restarts);
	f_secs(o, "Cookie timeout", "raw_cookie_timeout", s->has_cookie_timeout, s->cookie_timeout,
	       "none");
	f_secs(o, "Session timeout", "raw_session_timeout", s->has_session_timeout,
	       s->session_timeout, "none");
	f_bool(o, "Persistent cookies", s->persistent_cookies);
	if (o->json) {
		raw_num(o, "ID", in_use, s->worker_id);
		/* occtl's session keys */
		json_kv_bool(&o->j, "in_use", in_use);
		json_kv_bool(&o->j, "session_is_open", s->attaches > 0);
		json_kv_bool(&o->j, "tls_auth_ok", true);
	} else {
		f_str(o, "In use", in_use ? "True" : "False");
		if (in_use)
			fprintf(o->t, "%sID: %" PRIu32 "\n", o->indent, s->worker_id);
	}
	if (with_conn && s->conn != NULL) {
		if (o->json) {
			json_key(&o->j, "Connection");
			json_begin_object(&o->j);
			conn_fields(o, s->conn);
			json_end_object(&o->j);
		} else {
			const char *saved = o->indent;

			fprintf(o->t, "%sConnection:\n", saved);
			o->indent = "\t\t";
			conn_fields(o, s->conn);
			o->indent = saved;
		}
	}
}

/* --- the commands ------------------------------------------------------- */

static void status_fields(struct out *o, const CtlStatus *st)
{
	f_str(o, "Status", "online");
	f_num(o, "Server PID", st->pid);
	if (st->has_sec_mod_pid && st->sec_mod_pid != 0)
		f_num(o, "Sec-mod PID", st->sec_mod_pid);
	f_time(o, "Up since", "raw_up_since", st->started_ms);
	if (o->json)
		json_kv_int(&o->j, "uptime",
			    o->now > st->started_ms ? sdiff(o->now, st->started_ms) / 1000 : 0);
	f_str(o, "Config file", st->config_file);
	f_num(o, "Active sessions", st->sessions_active);
	f_num(o, "Sessions waiting to resume", st->sessions_waiting);
	f_num(o, "Sessions authenticated", st->sessions_authenticated);
	f_num(o, "Sessions ended (history)", st->sessions_ended);
	f_num(o, "Total sessions", (int64_t)st->sessions_active + (int64_t)st->sessions_waiting +
				   (int64_t)st->sessions_authenticated);
	f_num(o, "Connections", st->connections);
	f_num(o, "Tunnels", st->tunnels);
	f_num(o, "Total authentication failures", (int64_t)st->auth_failures);
	f_num(o, "IPs in ban list", st->banned_ips);
	f_num(o, "Sessions handled", (int64_t)st->sessions_handled);
	f_num(o, "Tunnels handled", (int64_t)st->tunnels_handled);
	f_num(o, "DPD timeouts", (int64_t)st->dpd_timeouts);
	f_num(o, "Resumes", (int64_t)st->resumes);
	f_num(o, "Expiries", (int64_t)st->expiries);
	f_num(o, "Takeovers", (int64_t)st->takeovers);
	f_num(o, "Idle timeouts", (int64_t)st->idle_timeouts);
	f_num(o, "Session timeouts", (int64_t)st->session_timeouts);
}

static void users_table(struct out *o, const CtlReply *r)
{
	if (r->n_conns == 0)
		return; /* as occtl: no users, no output at all */
	fprintf(o->t, "%8s %12s %12s %16s %16s %8s %9s %12s %-14s %s\n", "id", "user", "group",
		"ip", "vpn-ip", "device", "since", "session", "status", "dtls-cipher");
	for (size_t i = 0; i < r->n_conns; i++) {
		const CtlConn *c = r->conns[i];
		char since[32] = "-", sid[8] = "-";

		if (c->has_connected_ms && c->connected_ms > 0)
			render_duration(sdiff(o->now, c->connected_ms), since, sizeof(since));
		if (c->session_id != NULL)
			snprintf(sid, sizeof(sid), "%.6s", c->session_id);
		fprintf(o->t, "%8" PRIu32 " %12s %12s %16s %16s %8s %9s %12s %-14s %s\n", c->id,
			c->username ? c->username : "(none)", or_none(c->groupname),
			c->remote_ip ? c->remote_ip : "-", c->vpn_ipv4 ? c->vpn_ipv4 : "-",
			c->device ? c->device : "-", since, sid, c->status,
			c->tunnel && c->tunnel->dtls_cipher ? c->tunnel->dtls_cipher : "(no-dtls)");
	}
}

static void sessions_table(struct out *o, const CtlReply *r)
{
	bool gw = false;

	if (r->n_sessions == 0)
		return;
	/* a gateway column with a Redis store, where a list spans the cluster */
	for (size_t i = 0; i < r->n_sessions; i++)
		gw = gw || r->sessions[i]->gateway != NULL;
	fprintf(o->t, "%-8s %12s %-18s %16s %16s %19s %10s %7s %8s %s%s\n", "session", "user",
		"state", "ip", "vpn-ip", "created", "expires in", "resumes", "restored", "reason",
		gw ? "  gateway" : "");
	for (size_t i = 0; i < r->n_sessions; i++) {
		const CtlSession *s = r->sessions[i];
		char created[32] = "-", left[32] = "-";
		const char *reason = s->end_reason && strcmp(s->end_reason, "none") != 0 ? s->end_reason
				     : s->drop_reason && strcmp(s->drop_reason, "none") != 0
				     ? s->drop_reason : "-";

		if (s->has_created_ms && s->created_ms > 0)
			render_time(s->created_ms, created, sizeof(created));
		if (s->has_expires_ms && s->expires_ms > 0)
			render_duration(secs_left(s->expires_ms, o->now) * 1000, left, sizeof(left));
		fprintf(o->t, "%-8.6s %12s %-18s %16s %16s %19s %10s %7" PRIu32 " %8s %s%s%s\n",
			s->session_id, s->username, s->state, s->remote_ip ? s->remote_ip : "-",
			s->vpn_ipv4 ? s->vpn_ipv4 : "-", created, left, s->resumes,
			s->restarts > 0 ? "yes" : "no", reason, gw ? "  " : "",
			gw ? (s->gateway != NULL ? s->gateway : "-") : "");
	}
}

static void bans_out(struct out *o, const CtlReply *r)
{
	if (o->json)
		json_begin_array(&o->j);
	for (size_t i = 0; i < r->n_bans; i++) {
		const CtlBan *b = r->bans[i];
		int64_t until = b->has_banned_until_ms ? b->banned_until_ms : 0;

		if (o->json) {
			json_begin_object(&o->j);
			f_str(o, "IP", b->ip);
			f_qnum(o, "Score", b->score);
			f_time(o, "Banned until", "raw_banned_until", until);
			f_left(o, "Ban remaining", "raw_ban_remaining", until);
			json_end_object(&o->j);
		} else {
			char left[32];

			if (until > 0)
				fprintf(o->t, "%s: banned, %s left (score %" PRIu32 ")\n", b->ip,
					render_duration(secs_left(until, o->now) * 1000, left,
							sizeof(left)), b->score);
			else
				fprintf(o->t, "%s: score %" PRIu32 "\n", b->ip, b->score);
		}
	}
	if (o->json)
		json_end_array(&o->j);
}

static void render_body(struct out *o, enum render_kind kind, const CtlReply *r)
{
	switch (kind) {
	case RENDER_STATUS:
		if (r->status == NULL)
			break;
		if (o->json)
			json_begin_object(&o->j);
		status_fields(o, r->status);
		if (o->json)
			json_end_object(&o->j);
		break;
	case RENDER_USERS:
	case RENDER_USER_INFO:
		if (!o->json && kind == RENDER_USERS) {
			users_table(o, r);
			break;
		}
		if (o->json)
			json_begin_array(&o->j);
		for (size_t i = 0; i < r->n_conns; i++) {
			if (o->json)
				json_begin_object(&o->j);
			else if (i > 0)
				fputc('\n', o->t);
			conn_fields(o, r->conns[i]);
			if (o->json)
				json_end_object(&o->j);
		}
		if (o->json)
			json_end_array(&o->j);
		break;
	case RENDER_SESSIONS:
	case RENDER_SESSION_INFO:
		if (!o->json && kind == RENDER_SESSIONS) {
			sessions_table(o, r);
			break;
		}
		if (o->json)
			json_begin_array(&o->j);
		for (size_t i = 0; i < r->n_sessions; i++) {
			if (o->json)
				json_begin_object(&o->j);
			else if (i > 0)
				fputc('\n', o->t);
			session_fields(o, r->sessions[i], kind == RENDER_SESSION_INFO);
			if (o->json)
				json_end_object(&o->j);
		}
		if (o->json)
			json_end_array(&o->j);
		break;
	case RENDER_BANS:
		bans_out(o, r);
		break;
	case RENDER_IROUTES:
		/* occtl's table head; the rows would be per-user iroutes: none */
		if (o->json) {
			json_begin_array(&o->j);
			json_end_array(&o->j);
		} else {
			fprintf(o->t, "%6s %8s %8s %6s %16s %28s\n", "id", "user", "vhost", "device",
				"vpn-ip", "iroute");
		}
		break;
	case RENDER_EVENTS:
	case RENDER_RESET:
		if (o->json)
			json_null(&o->j); /* nothing to show; never printed by occtl-modern */
		break;
	case RENDER_ACTION:
		if (o->json) {
			json_begin_object(&o->j);
			json_kv_bool(&o->j, "ok", r->ok);
			json_kv_uint(&o->j, "count", r->count);
			json_kv_string(&o->j, "message", r->message ? r->message : "");
			json_end_object(&o->j);
		} else if (r->message != NULL) {
			fprintf(o->t, "%s\n", r->message);
		}
		break;
	}
}

typedef void body_fn(struct out *o, const void *arg);

/* Build the output whole with body, then write it to f. A compact JSON
 * document gets a newline after it (a pretty one ends with one). */
static int emit(FILE *f, struct out *o, bool pretty, body_fn *body, const void *arg)
{
	const char *text;
	size_t len;
	int ret = 0;

	if (o->json) {
		json_init(&o->j, pretty);
		body(o, arg);
		ret = json_finish(&o->j, &text, &len);
		if (ret == 0 && fwrite(text, 1, len, f) != len)
			ret = -EIO;
		if (ret == 0 && !pretty && fputc('\n', f) == EOF)
			ret = -EIO;
		json_free(&o->j);
		return ret;
	}
	o->t = open_memstream(&o->tbuf, &o->tlen);
	if (o->t == NULL)
		return -ENOMEM;
	body(o, arg);
	if (ferror(o->t))
		ret = -ENOMEM;
	if (fclose(o->t) != 0 && ret == 0)
		ret = -ENOMEM;
	if (ret == 0 && o->tlen > 0 && fwrite(o->tbuf, 1, o->tlen, f) != o->tlen)
		ret = -EIO;
	free(o->tbuf);
	return ret;
}

struct reply_arg {
	enum render_kind kind;
	const CtlReply *r;
};

static void reply_body(struct out *o, const void *arg)
{
	const struct reply_arg *a = arg;

	render_body(o, a->kind, a->r);
}

int render_reply(FILE *f, enum render_kind kind, bool json, const CtlReply *r)
{
	struct out o = { .json = json, .now = r->now_ms, .indent = "\t" };
	struct reply_arg a = { kind, r };

	if (kind == RENDER_STATUS || kind == RENDER_BANS || kind == RENDER_ACTION)
		o.indent = "";
	return emit(f, &o, true, reply_body, &a);
}

/* --- show events ---------------------------------------------------------- */

/* text: " key=value" when v is set; JSON: "Label": v. */
static void ev_str(struct out *o, const char *label, const char *key, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	if (o->json) {
		json_kv_string(&o->j, label, v);
		return;
	}
	/* one event, one line: control characters as \xNN */
	fprintf(o->t, " %s=", key);
	for (const unsigned char *c = (const unsigned char *)v; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f)
			fprintf(o->t, "\\x%02x", *c);
		else
			fputc(*c, o->t);
	}
}

static void event_fields(struct out *o, const CtlEvent *e)
{
	char t[32], sid[8];

	render_time(e->time_ms, t, sizeof(t));
	snprintf(sid, sizeof(sid), "%.6s", e->session_id != NULL ? e->session_id : "");
	if (o->json) {
		json_kv_string(&o->j, "Event", e->event);
		json_kv_string(&o->j, "Time", t);
		json_kv_int(&o->j, "raw_time_ms", e->time_ms);
	} else {
		fprintf(o->t, "%s.%03d %-13s", t, (int)(((e->time_ms % 1000) + 1000) % 1000),
			e->event);
	}
	ev_str(o, "Username", "user", e->username);
	ev_str(o, "Groupname", "group", e->groupname);
	ev_str(o, "Session", "session", sid);
	ev_str(o, "Full session", "full-session", o->json ? e->session_id : NULL);
	if (e->has_id && e->id != 0) {
		if (o->json)
			json_kv_uint(&o->j, "ID", e->id);
		else
			fprintf(o->t, " id=%" PRIu32, e->id);
	}
	ev_str(o, "Remote IP", "from", e->remote_ip);
	ev_str(o, "IPv4", "ip", e->vpn_ipv4);
	ev_str(o, "Device", "device", e->device);
	ev_str(o, "Reason", "reason", e->reason);
	ev_str(o, "DTLS peer", "peer", e->dtls_peer);
	ev_str(o, "Cipher", "cipher", e->cipher);
	if (e->has_resumes) {
		if (o->json)
			json_kv_uint(&o->j, "Resumes", e->resumes);
		else
			fprintf(o->t, " resumes=%" PRIu32, e->resumes);
	}
	if (e->has_deadline_ms) {
		o->now = e->time_ms;
		if (o->json) {
			f_time(o, "Deadline", "raw_deadline", e->deadline_ms);
		} else {
			char d[32];

			render_time(e->deadline_ms, t, sizeof(t));
			render_duration(secs_left(e->deadline_ms, e->time_ms) * 1000, d, sizeof(d));
			fprintf(o->t, " deadline=%s (in %s)", t, d);
		}
	}
}

static void event_body(struct out *o, const void *arg)
{
	if (o->json)
		json_begin_object(&o->j);
	event_fields(o, arg);
	if (o->json)
		json_end_object(&o->j);
	else
		fputc('\n', o->t);
}

int render_event(FILE *f, bool json, const CtlEvent *e)
{
	struct out o = { .json = json, .now = e->time_ms, .indent = "" };

	return emit(f, &o, false, event_body, e);
}
