/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* accept4 */

/*
 * main's control socket for occtl-modern; see main-ctl.h.
 *
 *   occtl ---CtlRequest--> client: read, one request at a time
 *                            |  show users/user/id/session: TunnelStatsRequest
 *                            |  to the workers concerned, wait <= 1 s for
 *                            |  their TunnelStats (ev_timer, never blocking)
 *                            v
 *   occtl <--CtlReply----- reply built from the session table, main's
 *                          session records, the workers and their snapshots
 *
 * Times: main's clock is CLOCK_MONOTONIC (vpn_now_ms), the workers' too;
 * every time goes out as wall-clock epoch ms, converted once per reply with
 * the same offset, so differences (remaining, ago) are exact.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cluster-rec.h"
#include "common/log.h"
#include "common/privs.h"
#include "main/ctl-access.h"
#include "main/main-config.h"
#include "main/main-ctl.h"
#include "main/main-events.h"
#include "main/main-secmod.h"
#include "main/main-lease6.h"
#include "main/main-session.h"
#include "main/main.h"
#include "main/worker-proc.h"
#include "occtl/ctlmsg.h"
#include "vpn/counters.h"

/* A request is tiny: anything bigger is not occtl. */
#define CTL_MAX_REQUEST 4096u

/* The last liveness report of one worker. */
/* A worker's last report, reached from the worker (w->ctl_live) in one
 * step: with thousands of tunnels, a search per report and per row made
 * `show users` quadratic. The list is only for freeing them all. */
struct ctl_live {
	struct worker_proc *w;       /* the worker it belongs to */
	TunnelStats *st;             /* a private copy (protobuf-c allocated) */
	vpn_ms_t received_ms;
	struct ctl_live *prev, *next;
};

struct ctl_client {
	struct main_ctl *ctl;
	int fd;
	ev_io r, w;
	ev_timer idle;               /* closes a client that stalls */
	ev_timer gather;             /* bounds the wait for worker snapshots */
	uint8_t in[CTL_MAX_REQUEST + CTL_HDR_LEN];
	size_t in_len;
	uint8_t *out;                /* the reply being written */
	size_t out_len, out_off;
	/* a request waiting for worker snapshots */
	bool gathering;
	uint8_t cmd;
	CtlRequest *req;
	uint64_t gather_id;
	unsigned gather_pending;
	SmSession **remote;          /* other gateways' sessions (a Redis store) */
	size_t n_remote;
	const char *bad;             /* the request cannot run: answer this error */
	struct ctl_peer peer;        /* who connected, and what it may do */
	struct ctl_client *prev, *next;
};

struct main_ctl {
	struct server *srv;
	int fd;
	ev_io accept_w;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool bound;                  /* we created path: remove it at the end */
	gid_t sock_gid;              /* its group: members may read */
	gid_t admin_gid;             /* occtl-admin-group: members may act; -1: none */
	struct ctl_client *clients;
	unsigned n_clients;
	uint64_t next_gather_id;
	struct ctl_live *live;

	vpn_ms_t started_ms;
	int64_t started_wall_ms;
};

/* --- time ----------------------------------------------------------------- */

static int64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One reply's view of time: monotonic ms -> epoch ms with one offset. */
struct ctl_clock {
	vpn_ms_t mono;
	int64_t wall;
};

static int64_t to_wall(const struct ctl_clock *c, vpn_ms_t t)
{
	if (t == VPN_NEVER || t == 0)
		return 0;
	return c->wall + ((int64_t)t - (int64_t)c->mono);
}

/* --- setup ------------------------------------------------------------------ */

int main_ctl_init(struct server *srv)
{
	struct main_ctl *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL)
		return -ENOMEM;
	ctl->srv = srv;
	ctl->fd = -1;
	ctl->admin_gid = (gid_t)-1;
	ctl->sock_gid = (gid_t)-1;
	ctl->started_ms = vpn_now_ms();
	ctl->started_wall_ms = wall_now_ms();
	ctl->next_gather_id = 1;
	srv->ctl = ctl;
	return 0;
}

/* --- worker snapshots ------------------------------------------------------- */

static struct worker_proc *worker_by_pid(struct server *srv, uint32_t pid)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if ((uint32_t)w->pid == pid && !w->exited)
			return w;
	return NULL;
}

static struct ctl_live *live_of(const struct worker_proc *w)
{
	return w->ctl_live;
}

static void live_free(struct main_ctl *ctl, struct ctl_live *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		ctl->live = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->w->ctl_live = NULL;
	tunnel_stats__free_unpacked(l->st, NULL);
	free(l);
}

void main_ctl_worker_gone(struct server *srv, struct worker_proc *w)
{
	if (srv->ctl != NULL && w->ctl_live != NULL)
		live_free(srv->ctl, w->ctl_live);
}

/* A deep copy of a protobuf-c message through its wire form. */
static TunnelStats *stats_copy(const TunnelStats *st)
{
	size_t n = tunnel_stats__get_packed_size(st);
	uint8_t *buf = malloc(n ? n : 1);
	TunnelStats *c;

	if (buf == NULL)
		return NULL;
	tunnel_stats__pack(st, buf);
	c = tunnel_stats__unpack(NULL, n, buf);
	free(buf);
	return c;
}

static void gather_done(struct ctl_client *c);

void main_ctl_on_tunnel_stats(struct server *srv, struct worker_proc *w, const TunnelStats *st)
{
	struct main_ctl *ctl = srv->ctl;
	struct ctl_live *l;
	TunnelStats *copy;

	if (ctl == NULL)
		return;
	if (st->live != NULL && (copy = stats_copy(st)) != NULL) {
		l = live_of(w);
		if (l == NULL) {
			l = calloc(1, sizeof(*l));
			if (l == NULL) {
				tunnel_stats__free_unpacked(copy, NULL);
				goto answered;
			}
			l->w = w;
			w->ctl_live = l;
			l->next = ctl->live;
			if (l->next != NULL)
				l->next->prev = l;
			ctl->live = l;
		} else {
			tunnel_stats__free_unpacked(l->st, NULL);
		}
		l->st = copy;
		l->received_ms = vpn_now_ms();
	}
answered:
	if (!st->has_request_id || st->request_id == 0)
		return;
	for (struct ctl_client *c = ctl->clients; c != NULL; c = c->next) {
		if (c->gathering && c->gather_id == st->request_id) {
			if (c->gather_pending > 0)
				c->gather_pending--;
			if (c->gather_pending == 0)
				gather_done(c);
			return;
		}
	}
}

/* --- building replies ------------------------------------------------------- */

/*
 * Everything a reply points to is allocated from one arena and freed after
 * packing: protobuf-c messages hold plain pointers.
 */
struct arena {
	void **p;
	size_t n, cap;
	bool oom;
};

static void *arena_alloc(struct arena *a, size_t size)
{
	void *m;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		void **np = realloc(a->p, ncap * sizeof(*np));

		if (np == NULL) {
			a->oom = true;
			return NULL;
		}
		a->p = np;
		a->cap = ncap;
	}
	m = calloc(1, size ? size : 1);
	if (m == NULL) {
		a->oom = true;
		return NULL;
	}
	a->p[a->n++] = m;
	return m;
}

static char *arena_strdup(struct arena *a, const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = arena_alloc(a, strlen(s) + 1);
	if (d != NULL)
		memcpy(d, s, strlen(s) + 1);
	return d;
}

static void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
	memset(a, 0, sizeof(*a));
}

struct build {
	struct main_ctl *ctl;
	struct arena a;
	struct ctl_clock clk;
	CtlReply rep;
	uint64_t gather_id;          /* fresh = answered this id */
	SmSession *const *remote;    /* other gateways' sessions to list */
	size_t n_remote;
	size_t cap_conns, cap_sessions, cap_bans;
};

#define PUSH(b, field, n_field, cap_field, item)                                     \
	do {                                                                         \
		if ((b)->rep.n_field == (b)->cap_field) {                            \
			size_t nc_ = (b)->cap_field ? (b)->cap_field * 2 : 16;       \
			__typeof__((b)->rep.field) np_ =                              \
				arena_alloc(&(b)->a, nc_ * sizeof(*(b)->rep.field));  \
			if (np_ == NULL)                                             \
				break;                                               \
			if ((b)->rep.n_field)                                        \
				memcpy(np_, (b)->rep.field,                          \
				       (b)->rep.n_field * sizeof(*np_));             \
			(b)->rep.field = np_;                                        \
			(b)->cap_field = nc_;                                        \
		}                                                                    \
		(b)->rep.field[(b)->rep.n_field++] = (item);                         \
	} while (0)

static const char *worker_status(const struct worker_proc *w)
{
	switch (w->state) {
	case WORKER_AUTH:
		return "authenticating";
	case WORKER_OPENING:
		return "connecting";
	case WORKER_TUNNEL:
		return "connected";
	case WORKER_DOWN:
		return "disconnecting";
	}
	return "unknown";
}

static CtlChannel *channel_from(struct build *b, const char *name, const TunnelLivenessChannel *lc)
{
	CtlChannel *c = arena_alloc(&b->a, sizeof(*c));

	if (c == NULL)
		return NULL;
	ctl_channel__init(c);
	c->name = (char *)name;
	c->has_last_rx_ms = lc->last_rx_ms != 0;
	c->last_rx_ms = to_wall(&b->clk, lc->last_rx_ms);
	c->dpd_state = arena_strdup(&b->a, lc->dpd_state);
	c->has_next_probe_ms = lc->next_probe_ms != 0;
	c->next_probe_ms = to_wall(&b->clk, lc->next_probe_ms);
	c->has_probes_sent = c->has_probes_answered = true;
	c->probes_sent = lc->probes_sent;
	c->probes_answered = lc->probes_answered;
	c->has_last_rtt_ms = true;
	c->last_rtt_ms = lc->has_last_rtt_ms ? lc->last_rtt_ms : -1;
	c->has_keepalives_received = c->has_keepalives_answered = true;
	c->keepalives_received = lc->keepalives_received;
	c->keepalives_answered = lc->keepalives_answered;
	return c;
}

static uint32_t ms_to_s(uint32_t ms)
{
	return ms / 1000;
}

/* Where the tunnel's dpd, keepalive and idle timeout came from: the
 * session's RADIUS reply, per-user and per-group files (m; NULL: none),
 * else the global set or its mobile-* variant; and the session's session-
 * and cookie-timeout when they are not the global ones. */
static void timers_from(struct build *b, CtlTunnel *t, const struct main_lease *m, bool mobile)
{
	struct config_tunnel_timers tt;
	struct config_timer_origins o = { 0 };
	enum config_origin st_from = CONFIG_ORIGIN_GLOBAL, ct_from = CONFIG_ORIGIN_GLOBAL;
	const struct secmod_session *s =
		m != NULL ? session_table_find_serial(b->ctl->srv->sessions, m->serial) : NULL;
	char text[192];
	int n;

	if (m != NULL)
		config_tunnel_timers_user(&b->ctl->srv->cfg, &m->group_cfg, &m->user_cfg, mobile,
					  &tt, &o);
	t->dpd_from = (char *)config_origin_str(o.dpd);
	t->keepalive_from = (char *)config_origin_str(o.keepalive);
	t->idle_timeout_from = (char *)config_origin_str(o.idle_timeout);
	/* the session and cookie timeouts are sec-mod's, fixed at the login */
	if (s != NULL && s->attrs != NULL) {
		st_from = (enum config_origin)s->attrs->session_timeout_from;
		ct_from = (enum config_origin)s->attrs->cookie_timeout_from;
	}
	if (o.dpd == CONFIG_ORIGIN_GLOBAL && o.keepalive == CONFIG_ORIGIN_GLOBAL &&
	    o.idle_timeout == CONFIG_ORIGIN_GLOBAL && st_from == CONFIG_ORIGIN_GLOBAL &&
	    ct_from == CONFIG_ORIGIN_GLOBAL) {
		t->timers_from = mobile ? "mobile" : "global";
		return;
	}
	n = snprintf(text, sizeof(text), "%sdpd %s, keepalive %s, idle-timeout %s",
		     mobile ? "mobile: " : "", t->dpd_from, t->keepalive_from, t->idle_timeout_from);
	if (st_from != CONFIG_ORIGIN_GLOBAL && n > 0 && (size_t)n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, ", session-timeout %s",
			      config_origin_str(st_from));
	if (ct_from != CONFIG_ORIGIN_GLOBAL && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, ", cookie-timeout %s",
			 config_origin_str(ct_from));
	t->timers_from = arena_strdup(&b->a, text);
}

static CtlTunnel *tunnel_from(struct build *b, const struct ctl_live *l,
			      const struct main_lease *m)
{
	const TunnelStats *st = l->st;
	const TunnelLiveness *lv = st->live;
	CtlTunnel *t = arena_alloc(&b->a, sizeof(*t));
	CtlChannel **ch = arena_alloc(&b->a, 2 * sizeof(*ch));

	if (t == NULL || ch == NULL)
		return NULL;
	ctl_tunnel__init(t);
	t->has_stats_ms = true;
	t->stats_ms = to_wall(&b->clk, lv->now_ms);
	t->data_path = arena_strdup(&b->a, lv->data_path);
	t->dtls_state = arena_strdup(&b->a, lv->dtls_state);
	t->channels = ch;
	if (lv->cstp != NULL && (ch[t->n_channels] = channel_from(b, "cstp", lv->cstp)) != NULL)
		t->n_channels++;
	if (lv->dtls != NULL && (ch[t->n_channels] = channel_from(b, "dtls", lv->dtls)) != NULL)
		t->n_channels++;
	t->has_dpd = t->has_dpd_retries = t->has_keepalive = t->has_idle_timeout = true;
	t->has_switch_to_tcp_timeout = true;
	t->dpd = ms_to_s(lv->dpd_ms);
	t->dpd_retries = lv->dpd_retries;
	t->keepalive = ms_to_s(lv->keepalive_ms);
	t->idle_timeout = ms_to_s(lv->idle_ms);
	t->switch_to_tcp_timeout = ms_to_s(lv->switch_to_tcp_ms);
	timers_from(b, t, m, lv->mobile);
	t->has_session_deadline_ms = lv->session_deadline_ms != 0;
	t->session_deadline_ms = to_wall(&b->clk, lv->session_deadline_ms);
	t->has_idle_deadline_ms = lv->idle_deadline_ms != 0;
	t->idle_deadline_ms = to_wall(&b->clk, lv->idle_deadline_ms);
	t->has_send_blocked_ms = lv->send_blocked_ms != 0;
	t->send_blocked_ms = to_wall(&b->clk, lv->send_blocked_ms);
	t->has_started_ms = lv->started_ms != 0;
	t->started_ms = to_wall(&b->clk, lv->started_ms);
	t->has_rx_bytes = t->has_tx_bytes = t->has_rx_packets = t->has_tx_packets = true;
	t->rx_bytes = st->bytes_in;
	t->tx_bytes = st->bytes_out;
	t->rx_packets = st->packets_in;
	t->tx_packets = st->packets_out;
	t->has_spoofed = st->has_spoofed;
	t->spoofed = st->spoofed;
	t->has_restricted = st->has_restricted;
	t->restricted = st->restricted;
	t->has_restricted_ports = st->has_restricted_ports;
	t->restricted_ports = st->restricted_ports;
	t->has_rate_dropped_rx = st->has_rate_dropped_rx;
	t->rate_dropped_rx = st->rate_dropped_rx;
	t->has_rate_dropped_tx = st->has_rate_dropped_tx;
	t->rate_dropped_tx = st->rate_dropped_tx;
	t->tls_cipher = arena_strdup(&b->a, lv->tls_cipher);
	t->has_fresh = true;
	t->fresh = b->gather_id != 0 && st->has_request_id && st->request_id == b->gather_id;
	return t;
}

static CtlConn *conn_from(struct build *b, const struct worker_proc *w)
{
	struct server *srv = b->ctl->srv;
	CtlConn *c = arena_alloc(&b->a, sizeof(*c));
	struct secmod_session *s = w->session_serial
			    ? session_table_find_serial(srv->sessions, w->session_serial) : NULL;
	struct main_lease *m = main_lease_find(srv, w->session_serial);
	struct ctl_live *l = live_of(w);
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN], ptp6[INET6_ADDRSTRLEN];

	if (c == NULL)
		return NULL;
	ctl_conn__init(c);
	c->id = (uint32_t)w->pid;
	c->status = (char *)worker_status(w);
	if (s != NULL) {
		c->username = arena_strdup(&b->a, s->username);
		c->groupname = arena_strdup(&b->a, s->group);
		c->session_id = arena_strdup(&b->a, s->sid);
		c->session_state = (char *)vpn_session_state_str(vpn_session_get_state(&s->m));
	} else {
		c->username = arena_strdup(&b->a, w->username);
	}
	c->remote_ip = arena_strdup(&b->a, w->remote_ip);
	c->has_remote_port = true;
	c->remote_port = w->remote_port;
	c->has_connected_ms = true;
	c->connected_ms = to_wall(&b->clk, w->started_ms);
	if (m != NULL && m->has_lease && w->state != WORKER_AUTH) {
		struct in_addr ptp = ippool_server_addr(m->pool);

		inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
		c->vpn_ipv4 = arena_strdup(&b->a, ip);
		inet_ntop(AF_INET, &ptp, ip, sizeof(ip));
		c->ptp_ipv4 = arena_strdup(&b->a, ip);
		if (main_lease6_text(srv, m, ip6, ptp6) != 0) {
			c->vpn_ipv6 = arena_strdup(&b->a, ip6);
			c->ptp_ipv6 = arena_strdup(&b->a, ptp6);
		}
	}
	if (w->state != WORKER_AUTH && w->tun.name[0] != '\0')
		c->device = arena_strdup(&b->a, w->tun.name);
	if (l != NULL && l->st->live != NULL && w->state == WORKER_TUNNEL) {
		const TunnelLiveness *lv = l->st->live;

		if (lv->has_mtu) {
			c->has_mtu = true;
			c->mtu = lv->mtu;
		}
		c->hostname = arena_strdup(&b->a, lv->hostname);
		c->tunnel = tunnel_from(b, l, m);
		if (c->tunnel != NULL && w->dtls_cipher[0] != '\0')
			c->tunnel->dtls_cipher = arena_strdup(&b->a, w->dtls_cipher);
		if (c->tunnel != NULL && w->dtls_peer[0] != '\0')
			c->tunnel->dtls_peer = arena_strdup(&b->a, w->dtls_peer);
	}
	return c;
}

static CtlSession *session_from(struct build *b, const struct secmod_session *s, bool with_conn)
{
	struct server *srv = b->ctl->srv;
	CtlSession *o = arena_alloc(&b->a, sizeof(*o));
	const struct vpn_session *vs = &s->m;
	struct main_lease *m = main_lease_find(srv, s->serial);
	vpn_ms_t resume = vpn_session_resume_deadline(vs), sdl = vpn_session_deadline(vs);
	vpn_ms_t exp = vpn_session_expiry(vs), drop = vpn_session_drop_ms(vs);
	vpn_ms_t ended = vpn_session_ended_ms(vs);
	enum vpn_session_state state = vpn_session_get_state(vs);
	const struct vpn_session_cfg *cfg = vpn_session_get_cfg(vs);
	char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN], ptp6[INET6_ADDRSTRLEN];

	if (o == NULL)
		return NULL;
	ctl_session__init(o);
	o->session_id = arena_strdup(&b->a, s->sid);
	o->username = arena_strdup(&b->a, s->username);
	o->groupname = arena_strdup(&b->a, s->group);
	o->state = (char *)vpn_session_state_str(state);
	o->remote_ip = arena_strdup(&b->a, s->remote_ip);
	if (m != NULL && m->has_lease) {
		inet_ntop(AF_INET, &m->ipv4, ip, sizeof(ip));
		o->vpn_ipv4 = arena_strdup(&b->a, ip);
	}
	if (m != NULL && main_lease6_text(srv, m, ip6, ptp6) != 0)
		o->vpn_ipv6 = arena_strdup(&b->a, ip6);
	o->has_created_ms = true;
	o->created_ms = to_wall(&b->clk, vpn_session_created_ms(vs));
	o->has_last_drop_ms = drop != VPN_NEVER;
	o->last_drop_ms = to_wall(&b->clk, drop);
	o->drop_reason = (char *)vpn_end_reason_str(vpn_session_drop_reason(vs));
	o->end_reason = (char *)vpn_end_reason_str(vpn_session_end_reason(vs));
	o->has_ended_ms = ended != VPN_NEVER;
	o->ended_ms = to_wall(&b->clk, ended);
	o->has_resume_deadline_ms = resume != VPN_NEVER;
	o->resume_deadline_ms = to_wall(&b->clk, resume);
	o->has_session_deadline_ms = sdl != VPN_NEVER && state != VPN_SESSION_ENDED;
	o->session_deadline_ms = to_wall(&b->clk, sdl);
	o->has_expires_ms = exp != VPN_NEVER;
	o->expires_ms = to_wall(&b->clk, exp);
	o->has_resumes = o->has_attaches = true;
	o->resumes = vpn_session_resumes(vs);
	o->attaches = vpn_session_attaches(vs);
	o->has_restarts = true;
	o->restarts = s->restarts;
	o->has_cookie_timeout = o->has_session_timeout = o->has_persistent_cookies = true;
	o->cookie_timeout = (uint32_t)(cfg->cookie_timeout_ms / 1000);
	o->session_timeout = (uint32_t)(cfg->session_timeout_ms / 1000);
	o->persistent_cookies = cfg->persistent_cookies;
	if (cluster_is_url(srv->cfg.session_store))
		o->gateway = (char *)main_gateway_id(srv);
	if (s->worker_pid != 0) {
		struct worker_proc *w = worker_by_pid(srv, (uint32_t)s->worker_pid);

		o->has_worker_id = true;
		o->worker_id = (uint32_t)s->worker_pid;
		if (with_conn && w != NULL)
			o->conn = conn_from(b, w);
	}
	return o;
}

static void add_conn(struct build *b, const struct worker_proc *w)
{
	CtlConn *c = conn_from(b, w);

	if (c != NULL)
		PUSH(b, conns, n_conns, cap_conns, c);
}

static void add_session(struct build *b, const struct secmod_session *s, bool with_conn)
{
	CtlSession *o = session_from(b, s, with_conn);

	if (o != NULL)
		PUSH(b, sessions, n_sessions, cap_sessions, o);
}

struct ban_visit {
	struct build *b;
	bool all;
};

static void ban_cb(void *opaque, const struct ban_addr *a, uint32_t score, vpn_ms_t until)
{
	struct ban_visit *v = opaque;
	struct build *b = v->b;
	CtlBan *o;
	char ip[INET6_ADDRSTRLEN];

	if (until == 0 && !v->all)
		return;
	o = arena_alloc(&b->a, sizeof(*o));
	if (o == NULL)
		return;
	ctl_ban__init(o);
	o->ip = arena_strdup(&b->a, ban_addr_str(a, ip, sizeof(ip)));
	o->has_score = true;
	o->score = score;
	o->has_banned_until_ms = until != 0;
	o->banned_until_ms = to_wall(&b->clk, until);
	PUSH(b, bans, n_bans, cap_bans, o);
}

static CtlStatus *status_from(struct build *b)
{
	struct main_ctl *ctl = b->ctl;
	struct server *srv = ctl->srv;
	CtlStatus *st = arena_alloc(&b->a, sizeof(*st));
	const struct main_counters *c = main_session_counters(srv);
	unsigned tunnels = 0;

	if (st == NULL)
		return NULL;
	ctl_status__init(st);
	st->pid = (uint32_t)getpid();
	if (srv->secmod_pid > 0) {
		st->has_sec_mod_pid = true;
		st->sec_mod_pid = (uint32_t)srv->secmod_pid;
	}
	st->started_ms = ctl->started_wall_ms;
	st->has_sessions_authenticated = st->has_sessions_active = st->has_sessions_waiting = true;
	st->has_sessions_ended = st->has_connections = st->has_tunnels = true;
	st->sessions_authenticated =
		(uint32_t)session_table_count_state(srv->sessions, VPN_SESSION_AUTHENTICATED);
	st->sessions_active = (uint32_t)session_table_count_state(srv->sessions, VPN_SESSION_ACTIVE);
	st->sessions_waiting = (uint32_t)session_table_count_state(srv->sessions, VPN_SESSION_WAITING);
	st->sessions_ended = (uint32_t)session_table_count_state(srv->sessions, VPN_SESSION_ENDED);
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		tunnels += w->state == WORKER_TUNNEL;
	st->connections = srv->n_workers;
	st->tunnels = tunnels;
	st->has_banned_ips = st->has_ban_entries = true;
	st->banned_ips = (uint32_t)ban_banned_count(srv->bans, b->clk.mono);
	st->ban_entries = (uint32_t)ban_entries(srv->bans);
	st->has_dpd_timeouts = st->has_resumes = st->has_expiries = st->has_takeovers = true;
	st->has_idle_timeouts = st->has_session_timeouts = true;
	st->dpd_timeouts = c->liveness.dpd_timeouts;
	st->resumes = c->liveness.resumes;
	st->expiries = c->liveness.expiries;
	st->takeovers = c->liveness.takeovers;
	st->idle_timeouts = c->liveness.idle_timeouts;
	st->session_timeouts = c->liveness.session_timeouts;
	st->has_sessions_handled = st->has_auth_failures = st->has_tunnels_handled = true;
	st->sessions_handled = c->sessions_handled;
	st->auth_failures = c->auth_failures;
	st->tunnels_handled = c->tunnels_handled;
	st->config_file = srv->config_path;
	return st;
}

/* --- commands --------------------------------------------------------------- */

/* Longest error or message text of a reply. */
#define REPLY_TEXT_MAX 512

/* The text in the reply's arena; NULL when out of memory (the reply then
 * goes without it). */
static char *reply_text(struct build *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static char *reply_text(struct build *b, const char *fmt, va_list ap)
{
	char *msg = arena_alloc(&b->a, REPLY_TEXT_MAX);

	if (msg != NULL)
		vsnprintf(msg, REPLY_TEXT_MAX, fmt, ap);
	return msg;
}

/* The command failed: the reply says why. */
static void fail(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct build *b, const char *fmt, ...)
{
	va_list ap;

	b->rep.ok = false;
	va_start(ap, fmt);
	b->rep.error = reply_text(b, fmt, ap);
	va_end(ap);
}

/* An action succeeded on count objects: the reply says what it did. */
static void say(struct build *b, unsigned count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct build *b, unsigned count, const char *fmt, ...)
{
	va_list ap;

	b->rep.has_count = true;
	b->rep.count = count;
	va_start(ap, fmt);
	b->rep.message = reply_text(b, fmt, ap);
	va_end(ap);
}

static bool user_matches(const struct server *srv, const struct worker_proc *w, const char *name)
{
	struct secmod_session *s = w->session_serial
			    ? session_table_find_serial(srv->sessions, w->session_serial) : NULL;
	const char *u = s != NULL ? s->username : w->username;

	return u != NULL && strcmp(u, name) == 0;
}

/* Is the request about worker w (for the snapshot requests)? */
static bool concerns(const struct server *srv, uint8_t cmd, const CtlRequest *req,
		     const struct worker_proc *w)
{
	struct secmod_session *s;

	if (w->state != WORKER_TUNNEL || w->exited || w->ipc_fd < 0)
		return false;
	switch (cmd) {
	case CTL_CMD_LIST_USERS:
		return true;
	case CTL_CMD_USER_INFO:
		return req->name != NULL && user_matches(srv, w, req->name);
	case CTL_CMD_ID_INFO:
		return req->has_id && (uint32_t)w->pid == req->id;
	case CTL_CMD_SESSION_INFO:
		s = req->name != NULL ? session_table_find_sid(srv->sessions, req->name) : NULL;
		return s != NULL && s->serial == w->session_serial;
	default:
		return false;
	}
}

/* disconnect: end the tunnel of w with admin-disconnect (the session then
 * ends, or waits with persistent-cookies, doc/spec/liveness.md §2.1). */
static bool disconnect_worker(struct server *srv, struct worker_proc *w)
{
	Terminate t = TERMINATE__INIT;
	int r;

	if (w->exited || w->state == WORKER_DOWN || w->sigterm_sent)
		return false;
	t.reason = VPN_END_ADMIN_DISCONNECT;
	r = w->ipc_fd >= 0 ? ipc_send(w->ipc_fd, IPC_TERMINATE, &t.base, -1) : -EPIPE;
	if (r == -EPIPE)
		return false;	/* it is exiting already */
	if (r < 0) {
		worker_proc_kill(srv, w, "could not pass on an admin disconnect");
		return true;
	}
	w->terminate_sent = true;
	log_info("occtl: disconnecting worker %ld (user '%s', %s)", (long)w->pid,
		 LOG_ESC(w->username ? w->username : "?"), w->remote_ip);
	return true;
}

/* The session whose id starts with id (at least SESSION_ID_SHORT_LEN
 * characters, and unambiguous), or NULL after failing the reply. */
static struct secmod_session *session_by_id(struct build *b, const char *id)
{
	struct secmod_session *s;

	if (strlen(id) < SESSION_ID_SHORT_LEN) {
		fail(b, "session id '%s': give at least %u characters", id,
		     (unsigned)SESSION_ID_SHORT_LEN);
		return NULL;
	}
	s = session_table_find_sid(b->ctl->srv->sessions, id);
	if (s == NULL)
		fail(b, "no session '%s' (or the prefix is ambiguous)", id);
	return s;
}

/* terminate: end the live session s with admin-terminate, whatever its
 * state. The mirror's on_end hook (main_session_mirror_end) tells sec-mod, whose
 * answer makes main end the tunnel if one is attached. */
static void terminate_session(struct server *srv, struct secmod_session *s, vpn_ms_t now)
{
	log_info("occtl: terminating session %.*s of user '%s' (%s)", (int)SESSION_ID_SHORT_LEN,
		 s->sid, LOG_ESC(s->username), vpn_session_state_str(vpn_session_get_state(&s->m)));
	session_table_terminate(srv->sessions, s, VPN_END_ADMIN_TERMINATE, now);
}

/* The commands that only read: true if cmd is one (answered in b). */
/* A session another gateway holds, for the reply. */
static void add_remote(struct build *b, const SmSession *s)
{
	CtlSession *o = arena_alloc(&b->a, sizeof(*o));
	struct in_addr a = { .s_addr = s->ipv4 };
	char ip[INET_ADDRSTRLEN];

	if (o == NULL)
		return;
	ctl_session__init(o);
	o->session_id = arena_strdup(&b->a, s->session_id);
	o->username = arena_strdup(&b->a, s->username ? s->username : "");
	o->groupname = arena_strdup(&b->a, s->group ? s->group : "");
	o->state = (char *)vpn_session_state_str((enum vpn_session_state)s->state);
	o->remote_ip = arena_strdup(&b->a, s->remote_ip ? s->remote_ip : "");
	if (s->has_ipv4 && s->ipv4 != 0 && inet_ntop(AF_INET, &a, ip, sizeof(ip)) != NULL)
		o->vpn_ipv4 = arena_strdup(&b->a, ip);
	o->has_created_ms = s->has_created_ms;
	o->created_ms = to_wall(&b->clk, s->created_ms);
	o->has_last_drop_ms = s->has_drop_ms;
	o->last_drop_ms = to_wall(&b->clk, s->drop_ms);
	o->drop_reason = (char *)vpn_end_reason_str((enum vpn_end_reason)s->drop_reason);
	o->end_reason = (char *)vpn_end_reason_str(VPN_END_NONE);
	o->has_resumes = o->has_attaches = o->has_restarts = true;
	o->resumes = s->resumes;
	o->attaches = s->attaches;
	o->restarts = s->restarts;
	o->has_cookie_timeout = o->has_session_timeout = true;
	o->cookie_timeout = (uint32_t)(s->cookie_timeout_ms / 1000);
	o->session_timeout = (uint32_t)(s->session_timeout_ms / 1000);
	o->gateway = arena_strdup(&b->a, s->gateway);
	PUSH(b, sessions, n_sessions, cap_sessions, o);
}

/* The session of another gateway whose id starts with id (at least the
 * short form), or NULL. */
static const SmSession *remote_by_id(const struct build *b, const char *id)
{
	if (strlen(id) < SESSION_ID_SHORT_LEN)
		return NULL;
	for (size_t i = 0; i < b->n_remote; i++)
		if (strncmp(b->remote[i]->session_id, id, strlen(id)) == 0)
			return b->remote[i];
	return NULL;
}

/* Ask the gateway holding r (another one) to end it, through sec-mod and
 * Redis. 0 or a negative code. */
static int ask_remote_end(struct server *srv, const SmSession *r)
{
	SmTerminate t = SM_TERMINATE__INIT;

	t.serial = 0;
	t.reason = VPN_END_ADMIN_TERMINATE;
	t.session_id = r->session_id;
	t.gateway = r->gateway;
	return main_secmod_send(srv, IPC_SM_TERMINATE, &t.base);
}

/* terminate ID of another gateway's session: that gateway is asked. True
 * if id named one. */
static bool terminate_remote(struct build *b, const char *id)
{
	const SmSession *r = remote_by_id(b, id);

	if (r == NULL || r->gateway == NULL)
		return false;
	if (ask_remote_end(b->ctl->srv, r) < 0)
		fail(b, "session %.*s of gateway %s: sec-mod cannot be asked", (int)SESSION_ID_SHORT_LEN,
		     r->session_id, r->gateway);
	else
		say(b, 1, "session %.*s terminated (asked its gateway, %s)", (int)SESSION_ID_SHORT_LEN,
		    r->session_id, r->gateway);
	return true;
}

/* show session ID: this gateway's, else (a Redis store) another gateway's. */
static void session_info(struct build *b, const char *id)
{
	struct secmod_session *s;

	if (strlen(id) >= SESSION_ID_SHORT_LEN) {
		s = session_table_find_sid(b->ctl->srv->sessions, id);
		if (s != NULL) {
			add_session(b, s, true);
			return;
		}
		if (remote_by_id(b, id) != NULL) {
			add_remote(b, remote_by_id(b, id));
			return;
		}
	}
	(void)session_by_id(b, id); /* the error */
}

static bool run_show(struct build *b, uint8_t cmd, const CtlRequest *req)
{
	struct server *srv = b->ctl->srv;
	vpn_ms_t now = b->clk.mono;

	switch (cmd) {
	case CTL_CMD_STATUS:
		b->rep.status = status_from(b);
		break;
	case CTL_CMD_LIST_USERS:
		for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
			if (!w->exited)
				add_conn(b, w);
		break;
	case CTL_CMD_USER_INFO:
		for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
			if (!w->exited && user_matches(srv, w, req->name))
				add_conn(b, w);
		if (b->rep.n_conns == 0)
			fail(b, "user '%s' has no connection", req->name);
		break;
	case CTL_CMD_ID_INFO: {
		struct worker_proc *w = worker_by_pid(srv, req->id);

		if (w == NULL)
			fail(b, "no connection with id %u", req->id);
		else
			add_conn(b, w);
		break;
	}
	case CTL_CMD_LIST_SESSIONS:
		for (struct secmod_session *s = session_table_first(srv->sessions); s != NULL; s = s->next)
			if (req->all || vpn_session_get_state(&s->m) != VPN_SESSION_ENDED)
				add_session(b, s, false);
		for (size_t i = 0; i < b->n_remote; i++)
			add_remote(b, b->remote[i]);
		break;
	case CTL_CMD_SESSION_INFO:
		session_info(b, req->name);
		break;
	case CTL_CMD_LIST_BANNED: {
		struct ban_visit v = { b, req->all };

		ban_foreach(srv->bans, now, ban_cb, &v);
		break;
	}
	default:
		return false;
	}
	return true;
}

/* The commands that act: true if cmd is one (answered in b). */
static bool run_action(struct build *b, uint8_t cmd, const CtlRequest *req)
{
	struct server *srv = b->ctl->srv;
	vpn_ms_t now = b->clk.mono;
	unsigned n = 0;

	switch (cmd) {
	case CTL_CMD_UNBAN_IP: {
		struct ban_addr a;

		if (ban_addr_parse(req->name, &a) < 0)
			fail(b, "'%s' is not an IP address", req->name);
		else if (!ban_forget(srv->bans, &a))
			fail(b, "%s is not in the ban list", req->name);
		else {
			log_info("occtl: %s unbanned", LOG_ESC(req->name));
			say(b, 1, "%s unbanned", req->name);
		}
		break;
	}
	case CTL_CMD_DISCONNECT_NAME:
		for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
			if (user_matches(srv, w, req->name) && disconnect_worker(srv, w))
				n++;
		if (n == 0)
			fail(b, "user '%s' has no connection", req->name);
		else
			say(b, n, "%u connection%s of user '%s' disconnected", n, n == 1 ? "" : "s",
			    req->name);
		break;
	case CTL_CMD_DISCONNECT_ID: {
		struct worker_proc *w = worker_by_pid(srv, req->id);

		if (w == NULL || !disconnect_worker(srv, w))
			fail(b, "no connection with id %u%s", req->id,
			     w != NULL ? " that is not already ending" : "");
		else
			say(b, 1, "connection %u disconnected", req->id);
		break;
	}
	case CTL_CMD_TERMINATE_SESSION: {
		struct secmod_session *s = session_table_find_sid(srv->sessions, req->name);

		if (s == NULL && terminate_remote(b, req->name))
			break;
		if (s == NULL)
			s = session_by_id(b, req->name);
		if (s == NULL)
			break;
		if (vpn_session_get_state(&s->m) == VPN_SESSION_ENDED) {
			fail(b, "no live session '%s'", req->name);
			break;
		}
		terminate_session(srv, s, now);
		say(b, 1, "session %.*s terminated", (int)SESSION_ID_SHORT_LEN, s->sid);
		break;
	}
	case CTL_CMD_TERMINATE_USER:
		for (struct secmod_session *s = session_table_first(srv->sessions); s != NULL; s = s->next) {
			if (vpn_session_get_state(&s->m) == VPN_SESSION_ENDED ||
			    strcmp(s->username, req->name) != 0)
				continue;
			terminate_session(srv, s, now);
			n++;
		}
		/* and the user's sessions on the other gateways of a cluster */
		for (size_t i = 0; i < b->n_remote; i++)
			if (b->remote[i]->gateway != NULL && b->remote[i]->username != NULL &&
			    strcmp(b->remote[i]->username, req->name) == 0 &&
			    ask_remote_end(srv, b->remote[i]) == 0)
				n++;
		if (n == 0)
			fail(b, "user '%s' has no live session", req->name);
		else
			say(b, n, "%u session%s of user '%s' terminated", n, n == 1 ? "" : "s",
			    req->name);
		break;
	case CTL_CMD_RELOAD:
		if (main_reload(srv) < 0)
			fail(b, "reload failed: the configuration has errors (see the log); "
				"the current one stays");
		else
			say(b, 1, "configuration reloaded");
		break;
	case CTL_CMD_STOP:
		log_info("occtl: stop now");
		say(b, 1, "stopping the server");
		/* after this reply is queued: the SIGTERM path, as kill(1) would,
		 * but every session ends, also with a session store */
		srv->stop_ends_sessions = true;
		kill(getpid(), SIGTERM);
		break;
	default:
		return false;
	}
	return true;
}

static void run_command(struct build *b, uint8_t cmd, const CtlRequest *req)
{
	b->rep.ok = true;
	if (!run_show(b, cmd, req) && !run_action(b, cmd, req))
		fail(b, "unknown command %u", cmd);
}

/* --- clients ---------------------------------------------------------------- */

static void remote_free(struct ctl_client *c)
{
	for (size_t i = 0; i < c->n_remote; i++)
		sm_session__free_unpacked(c->remote[i], NULL);
	free(c->remote);
	c->remote = NULL;
	c->n_remote = 0;
}

static void client_close(struct ctl_client *c)
{
	struct main_ctl *ctl = c->ctl;
	struct ev_loop *loop = ctl->srv->loop;

	ev_io_stop(loop, &c->r);
	ev_io_stop(loop, &c->w);
	ev_timer_stop(loop, &c->idle);
	ev_timer_stop(loop, &c->gather);
	if (c->fd >= 0)
		close(c->fd);
	if (c->req != NULL)
		ctl_request__free_unpacked(c->req, NULL);
	remote_free(c);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->n_clients--;
	free(c);
}

static void touch(struct ctl_client *c)
{
	ev_timer_again(c->ctl->srv->loop, &c->idle);
}

static void client_read_cb(struct ev_loop *loop, ev_io *io, int revents);

/* Write what can be written; when done, read the next request. */
static void flush_out(struct ctl_client *c)
{
	struct ev_loop *loop = c->ctl->srv->loop;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_io_start(loop, &c->w);
				return;
			}
			log_debug("occtl client: %s", strerror(errno));
			client_close(c);
			return;
		}
		c->out_off += (size_t)n;
		touch(c);
	}
	ev_io_stop(loop, &c->w);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	ev_io_start(loop, &c->r);
	/* a pipelined request may already wait in the buffer */
	if (c->in_len >= CTL_HDR_LEN)
		client_read_cb(loop, &c->r, EV_CUSTOM);
}

static void client_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	flush_out(io->data);
}

/* Build, pack and send the reply to the client's current request. */
static void answer(struct ctl_client *c)
{
	struct build b = { .ctl = c->ctl };
	ssize_t n;

	ctl_reply__init(&b.rep);
	b.clk.mono = vpn_now_ms();
	b.clk.wall = wall_now_ms();
	b.rep.now_ms = b.clk.wall;
	b.gather_id = c->gather_id;
	b.remote = c->remote;
	b.n_remote = c->n_remote;
	if (c->bad != NULL)
		fail(&b, "%s (%s, type %u)", c->bad, ctl_cmd_str(c->cmd), c->cmd);
	else
		run_command(&b, c->cmd, c->req);
	c->bad = NULL;
	if (b.a.oom) {
		arena_free(&b.a);
		ctl_reply__init(&b.rep);
		b.rep.now_ms = b.clk.wall;
		b.rep.ok = false;
		b.rep.error = "out of memory in the server";
	}
	n = ctl_frame_encode(CTL_REPLY(c->cmd), &b.rep.base, &c->out);
	arena_free(&b.a);
	remote_free(c);
	ctl_request__free_unpacked(c->req, NULL);
	c->req = NULL;
	c->gathering = false;
	c->gather_id = 0;
	if (n < 0) {
		log_err("occtl reply to %s: %s", ctl_cmd_str(c->cmd), strerror((int)-n));
		client_close(c);
		return;
	}
	c->out_len = (size_t)n;
	c->out_off = 0;
	flush_out(c);
}

static void gather_done(struct ctl_client *c)
{
	ev_timer_stop(c->ctl->srv->loop, &c->gather);
	answer(c);
}

static void gather_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_client *c = t->data;

	log_debug("occtl %s: %u worker%s did not send a snapshot in time", ctl_cmd_str(c->cmd),
		  c->gather_pending, c->gather_pending == 1 ? "" : "s");
	answer(c);
}

/* --- the cluster's other gateways (session-store = redis://...) ------------ */

struct remote_req {
	struct main_ctl *ctl;
	uint64_t gather_id;
};

static struct ctl_client *client_by_gather(struct main_ctl *ctl, uint64_t id)
{
	for (struct ctl_client *c = ctl->clients; c != NULL; c = c->next)
		if (c->gathering && c->gather_id == id)
			return c;
	return NULL;
}

/* A deep copy of s (packed and unpacked again), or NULL. */
static SmSession *session_copy(const SmSession *s)
{
	size_t len = sm_session__get_packed_size(s);
	uint8_t *buf = malloc(len ? len : 1);
	SmSession *cp = NULL;

	if (buf != NULL) {
		sm_session__pack(s, buf);
		cp = sm_session__unpack(NULL, len, buf);
		free(buf);
	}
	return cp;
}

static void remote_cb(void *opaque, const SmSession *const *ss, size_t n, bool last)
{
	struct remote_req *q = opaque;
	struct ctl_client *c = client_by_gather(q->ctl, q->gather_id);
	SmSession **more;

	if (c != NULL && n > 0) {
		more = realloc(c->remote, (c->n_remote + n) * sizeof(*more));
		if (more != NULL) {
			c->remote = more;
			for (size_t i = 0; i < n; i++)
				if ((more[c->n_remote] = session_copy(ss[i])) != NULL)
					c->n_remote++;
		}
	}
	if (!last)
		return;
	free(q);
	if (c == NULL)
		return;
	if (c->gather_pending > 0)
		c->gather_pending--;
	if (c->gather_pending == 0)
		gather_done(c);
}

/* show sessions / show session with a Redis store: the sessions of the
 * other gateways come from sec-mod, which reads them from the store. */
static bool remote_ask(struct ctl_client *c)
{
	struct server *srv = c->ctl->srv;
	struct remote_req *q;

	if ((c->cmd != CTL_CMD_LIST_SESSIONS && c->cmd != CTL_CMD_SESSION_INFO &&
	     c->cmd != CTL_CMD_TERMINATE_SESSION && c->cmd != CTL_CMD_TERMINATE_USER) ||
	    !cluster_is_url(srv->cfg.session_store))
		return false;
	q = malloc(sizeof(*q));
	if (q == NULL)
		return false;
	*q = (struct remote_req){ .ctl = c->ctl, .gather_id = c->gather_id };
	c->gathering = true; /* remote_cb finds the client by its gather id */
	if (main_secmod_list(srv, false, true, remote_cb, q) < 0) {
		free(q);
		c->gathering = false;
		return false;
	}
	return true;
}

/* A complete request: ask the workers concerned for a fresh snapshot, or
 * answer at once. */
static void on_request(struct ctl_client *c)
{
	struct main_ctl *ctl = c->ctl;
	struct server *srv = ctl->srv;
	TunnelStatsRequest tr = TUNNEL_STATS_REQUEST__INIT;

	/* what changes something is on the record, with who asked */
	log_msg(ctl_role_allows(CTL_ROLE_READ, c->cmd) ? LOG_LVL_DEBUG : LOG_LVL_INFO,
		"occtl: %s%s%s (uid %ld, pid %ld)", ctl_cmd_str(c->cmd), c->req->name ? " " : "",
		LOG_ESC(c->req->name ? c->req->name : ""), (long)c->peer.uid, (long)c->peer.pid);
	ev_io_stop(srv->loop, &c->r); /* one request at a time */
	c->gather_id = ctl->next_gather_id++;
	c->gather_pending = 0;
	tr.request_id = c->gather_id;
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next) {
		if (!concerns(srv, c->cmd, c->req, w))
			continue;
		/* never wait: a worker whose socket is full is shown as last seen */
		if (ipc_send(w->ipc_fd, IPC_TUNNEL_STATS_REQUEST, &tr.base, -1) == 0)
			c->gather_pending++;
	}
	if (remote_ask(c))
		c->gather_pending++;
	if (c->gather_pending == 0) {
		answer(c);
		return;
	}
	c->gathering = true;
	ev_timer_set(&c->gather, MAIN_CTL_GATHER_TIMEOUT_S, 0.);
	ev_timer_start(srv->loop, &c->gather);
}

/* The request's arguments are present where the command needs them. */
static bool request_complete(uint8_t cmd, const CtlRequest *req)
{
	switch (cmd) {
	case CTL_CMD_USER_INFO:
	case CTL_CMD_SESSION_INFO:
	case CTL_CMD_DISCONNECT_NAME:
	case CTL_CMD_TERMINATE_SESSION:
	case CTL_CMD_TERMINATE_USER:
	case CTL_CMD_UNBAN_IP:
		return req->name != NULL && req->name[0] != '\0';
	case CTL_CMD_ID_INFO:
	case CTL_CMD_DISCONNECT_ID:
		return req->has_id;
	default:
		return true;
	}
}

/* Why the request cannot run (logged when it is not allowed), or NULL. */
static const char *refusal(const struct ctl_client *c, uint8_t type)
{
	if (!ctl_cmd_valid(type))
		return "unknown command";
	if (!request_complete(type, c->req))
		return "the command lacks its argument";
	if (ctl_role_allows(c->peer.role, type))
		return NULL;
	log_warn("occtl: %s refused to uid %ld (pid %ld, %s): permission denied", ctl_cmd_str(type),
		 (long)c->peer.uid, (long)c->peer.pid, ctl_role_str(c->peer.role));
	return c->peer.role == CTL_ROLE_READ
		? "permission denied: members of the socket's group may only run show commands"
		: "permission denied: only root, occtl-admin-group and the socket's group may "
		  "use this socket";
}

static void client_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ctl_client *c = io->data;
	const uint8_t *payload;
	size_t plen;
	uint8_t type;
	ssize_t got;

	if (c->gathering || c->out != NULL)
		return;
	if (revents & EV_READ) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
				client_close(c);
			return;
		}
		if (n == 0) {
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
		touch(c);
	}
	got = ctl_frame_parse(c->in, c->in_len, &type, &payload, &plen);
	if (got == 0 && c->in_len == sizeof(c->in))
		got = CTL_E_TOO_BIG;
	if (got < 0 || (got > 0 && plen > CTL_MAX_REQUEST)) {
		log_warn("occtl client sent a malformed request: closing it");
		client_close(c);
		return;
	}
	if (got == 0)
		return;
	c->cmd = type;
	c->req = ctl_request_unpack(payload, plen);
	memmove(c->in, c->in + got, c->in_len - (size_t)got);
	c->in_len -= (size_t)got;
	if (c->req == NULL) {
		log_warn("occtl client sent an undecodable request: closing it");
		client_close(c);
		return;
	}
	c->bad = refusal(c, type);
	if (c->bad == NULL && type == CTL_CMD_EVENTS) {
		/* a stream from now on: the connection is main-events.c's */
		main_events_subscribe(c->ctl->srv, c->fd, c->peer.uid, c->peer.pid);
		c->fd = -1;
		client_close(c);
		return;
	}
	if (c->bad != NULL) {
		/* answer anyway, so the client gets a clear error */
		c->gather_id = 0;
		ev_io_stop(loop, &c->r);
		answer(c);
		return;
	}
	on_request(c);
}

static void client_idle_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_client *c = t->data;

	if (c->gathering)
		return; /* the gather timer answers first */
	log_debug("occtl client idle for %.0f s: closing it", MAIN_CTL_CLIENT_TIMEOUT_S);
	client_close(c);
}

static void accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct main_ctl *ctl = io->data;

	for (int i = 0; i < 8; i++) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), r;
		struct ctl_client *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("occtl socket: accept: %s", strerror(errno));
			return;
		}
		if (ctl->n_clients >= MAIN_CTL_MAX_CLIENTS ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			log_warn("occtl socket: %u clients already: connection refused",
				 ctl->n_clients);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		r = ctl_peer_identify(fd, ctl->sock_gid, ctl->admin_gid, &c->peer);
		if (r < 0)
			log_warn("occtl client: credentials unknown (%s): it may run nothing",
				 strerror(-r));
		ev_io_init(&c->r, client_read_cb, fd, EV_READ);
		ev_io_init(&c->w, client_write_cb, fd, EV_WRITE);
		ev_init(&c->idle, client_idle_cb);
		c->idle.repeat = MAIN_CTL_CLIENT_TIMEOUT_S;
		ev_init(&c->gather, gather_timeout_cb);
		c->r.data = c->w.data = c->idle.data = c->gather.data = c;
		ev_io_start(loop, &c->r);
		ev_timer_again(loop, &c->idle);
		c->next = ctl->clients;
		if (ctl->clients)
			ctl->clients->prev = c;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

/* --- the socket ------------------------------------------------------------- */

int main_ctl_start(struct server *srv)
{
	struct main_ctl *ctl = srv->ctl;
	const char *path = srv->cfg.occtl_socket_file;
	const char *group = srv->cfg.occtl_socket_group, *admin = srv->cfg.occtl_admin_group;
	gid_t gid = (gid_t)-1;
	int fd;

	if (ctl == NULL)
		return -ENOMEM;
	if (path == NULL || path[0] == '\0') {
		log_err("occtl-socket-file: not a usable socket path");
		return -EINVAL;
	}
	if ((group != NULL && privs_group_id(group, &gid) < 0) ||
	    (admin != NULL && privs_group_id(admin, &ctl->admin_gid) < 0)) {
		log_err("%s %s: no such group: no control socket",
			group != NULL && gid == (gid_t)-1 ? "occtl-socket-group" : "occtl-admin-group",
			group != NULL && gid == (gid_t)-1 ? group : admin);
		return -ENOENT;
	}
	ctl->sock_gid = gid != (gid_t)-1 ? gid : getegid();
	fd = ctl_socket_create(path, (mode_t)srv->cfg.occtl_socket_mode, gid);
	if (fd < 0) {
		log_err("occtl-socket-file %s: %s: no control socket", path,
			fd == -EEXIST	     ? "exists and is not a socket"
			: fd == -EADDRINUSE ? "in use by another server"
					     : strerror(-fd));
		return fd;
	}
	ctl->bound = true;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->fd = fd;
	ev_io_init(&ctl->accept_w, accept_cb, fd, EV_READ);
	ctl->accept_w.data = ctl;
	ev_io_start(srv->loop, &ctl->accept_w);
	log_info("occtl socket %s (mode %04o, group %ld: show commands; root%s%s: all)", path,
		 (unsigned)srv->cfg.occtl_socket_mode, (long)ctl->sock_gid,
		 admin != NULL ? " and group " : "", admin != NULL ? admin : "");
	return 0;
}

void main_ctl_stop(struct server *srv)
{
	struct main_ctl *ctl = srv->ctl;

	if (ctl == NULL)
		return;
	while (ctl->clients != NULL)
		client_close(ctl->clients);
	if (ctl->fd >= 0) {
		ev_io_stop(srv->loop, &ctl->accept_w);
		close(ctl->fd);
	}
	if (ctl->bound)
		unlink(ctl->path);
	while (ctl->live != NULL)
		live_free(ctl, ctl->live);
	free(ctl);
	srv->ctl = NULL;
}
