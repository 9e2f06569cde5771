/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * sec-mod's core: the session table driven by main's messages (see
 * sec-mod.h for the message flow). No I/O here: the password check and the
 * output go through struct secmod_ops, time is an argument.
 *
 * Deadlines, all on the one timer of the process (secmod_expiry):
 *  - every record's session machine (cookie-timeout while authenticated or
 *    waiting to resume, session-timeout from authentication), and the reaping
 *    of ended records SESSIONS_ENDED_KEEP_MS after their end;
 *  - logins held back by max-same-clients while the user's silent active
 *    sessions are probed (doc/spec/liveness.md §9): probe sent at P, the worker
 *    answers after VPN_SAME_PROBE_GRACE_MS (2 s) at the latest, and an
 *    answer missing at P + 2 s + SECMOD_PROBE_SLACK_MS counts as silence.
 *
 *   login over the limit      probe answers (or P + 3 s)
 *   |-- waiting sessions ended (superseded), stale active ones probed --|
 *                                    |-- silent ones ended, login accepted,
 *                                        or refused if still no room
 */

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sec-mod/cookie.h"
#include "vpn/ev-adapter.h"
#include "sec-mod/radius.h"
#include "sec-mod/sec-mod.h"
#include "sec-mod/sec-mod-cert.h"
#include "sec-mod/session-attrs.h"
#include "sec-mod/store.h"
#include "common/cluster-rec.h"

/* Probe rounds one login may go through (a probed session that answered
 * leaves room to probe the next stale one). */
#define SECMOD_MAX_PROBE_ROUNDS 3
/* Sessions of one user a login looks at (max-same-clients is per user). */
#define SECMOD_MAX_USER_SESSIONS 256

struct sm_probe {
	uint64_t serial;
	bool answered;
	bool alive;
};

/* A login waiting for probe answers. */
struct sm_login {
	uint64_t request_id;
	char *username;
	char *group;
	char *remote_ip;
	struct session_attrs *attrs;	/* the session's own values (RADIUS); NULL: none */
	vpn_ms_t probed_ms;		/* the current round's probes left at this time */
	unsigned rounds;
	size_t n_probes;
	struct sm_probe probes[SECMOD_MAX_USER_SESSIONS];
	struct sm_login *prev, *next;
};

/* A login in the authentication chain (auth.h): its check running, or a
 * further form waiting for its answer. */
struct sm_auth {
	struct secmod *sm;
	struct auth_login *login;
	uint64_t request_id;		/* the round being checked; 0: waiting for the user */
	vpn_ms_t deadline;		/* of the answer to a further form */
	char token[SECMOD_LOGIN_TOKEN_LEN + 1];	/* "" until a further form */
	char *username;
	char *group;			/* asked for; NULL: none */
	char *remote_ip;
	char *cert_groups;		/* the certificate's groups (both factors); NULL: none */
	struct sm_auth *prev, *next;
};

struct secmod {
	struct secmod_ops ops;
	void *opaque;
	struct secmod_session_table *table;
	bool configured;
	char *passwd_file;		/* "": no password factor */
	struct secmod_cert cert;	/* the certificate factor (sec-mod-cert.h) */
	unsigned max_same;
	bool deny_roaming;		/* a cookie works only from its login's address */
	vpn_ms_t dpd_ms;
	struct sm_login *logins;
	size_t n_logins;
	struct auth_plain_cfg plain;
	struct auth_otp_cfg otp;
	char *otp_file;
	struct auth_pam_cfg pam;
	struct auth_radius_cfg radius;	/* auth = radius[...]: client NULL when none */
	struct auth_chain *chain;	/* NULL until the first SmConfig */
	struct acct acct;		/* acct = radius[...]: off when none */
	struct sm_auth *auths;
	size_t n_auths;
	bool in_message;		/* now is the message's time */
	struct store *store;		/* the session store; NULL: memory only */
	bool store_tried;		/* the first SmConfig was seen */
	uint64_t store_errors;		/* failed store operations, told to main */
	bool restoring;			/* loading the store's records */
	vpn_ms_t now;			/* of the message or timer being handled */
	/* the cluster's session store (sec-mod-cluster.c); NULL: none */
	const struct secmod_cluster_ops *cl;
	void *cl_b;
	char gw[CLUSTER_GW_MAX + 1];	/* this gateway */
	uint32_t pool_first, pool_count; /* the address pool (host byte order) */
	bool predictable_ips;
	struct sm_open *opens;		/* CONNECTs waiting for the store */
	char bye_text[96];		/* the goodbye of the end being reported; "": none */
	uint64_t next_open_id;
};

/* A CONNECT waiting for the cluster's store (a claim, then a lease). */
struct sm_open {
	uint64_t id;
	uint64_t request_id;
	char remote_ip[INET6_ADDRSTRLEN];
	uint32_t worker_pid;
	uint8_t hash[COOKIE_HASH_LEN];
	uint64_t serial;		/* the session, once known here */
	struct sm_open *next;
};

static void persist(struct secmod *sm, const struct secmod_session *s);

/* The refusal of a login or CONNECT while the cluster's store is
 * unreachable (503). */
static const char SECMOD_STORE_DOWN[] = "Session store unreachable, try again later";

/* --- SmSession <-> struct secmod_session ------------------------------------------ */

void secmod_session_to_msg(const struct secmod_session *s, SmSession *msg, TunnelStats *tot)
{
	struct session_table_counters c = session_table_totals(s);

	sm_session__init(msg);
	tunnel_stats__init(tot);
	msg->serial = s->serial;
	msg->session_id = (char *)s->sid;
	msg->username = s->username;
	msg->group = s->group;
	msg->remote_ip = (char *)s->remote_ip;
	if (s->last_remote_ip[0] != '\0')
		msg->last_remote_ip = (char *)s->last_remote_ip;
	msg->state = (uint32_t)s->m.state;
	msg->has_end_reason = msg->has_drop_reason = true;
	msg->end_reason = (uint32_t)s->m.end_reason;
	msg->drop_reason = (uint32_t)s->m.drop_reason;
	msg->has_created_ms = true;
	msg->created_ms = s->m.created_ms;
	msg->has_drop_ms = s->m.drop_ms != VPN_NEVER;
	msg->drop_ms = s->m.drop_ms;
	msg->has_ended_ms = s->m.ended_ms != VPN_NEVER;
	msg->ended_ms = s->m.ended_ms;
	msg->has_resumes = msg->has_attaches = true;
	msg->resumes = s->m.resumes;
	msg->attaches = s->m.attaches;
	msg->has_cookie_timeout_ms = msg->has_session_timeout_ms = true;
	msg->cookie_timeout_ms = s->m.cfg.cookie_timeout_ms;
	msg->session_timeout_ms = s->m.cfg.session_timeout_ms;
	msg->has_persistent_cookies = true;
	msg->persistent_cookies = s->m.cfg.persistent_cookies;
	tot->has_bytes_in = tot->has_bytes_out = true;
	tot->has_packets_in = tot->has_packets_out = true;
	tot->bytes_in = c.bytes_in;
	tot->bytes_out = c.bytes_out;
	tot->packets_in = c.packets_in;
	tot->packets_out = c.packets_out;
	msg->totals = tot;
	msg->has_ipv4 = s->ipv4 != 0;
	msg->ipv4 = s->ipv4;
	msg->has_ipv6 = !IN6_IS_ADDR_UNSPECIFIED(&s->ipv6);
	msg->ipv6.data = (uint8_t *)s->ipv6.s6_addr;
	msg->ipv6.len = msg->has_ipv6 ? sizeof(s->ipv6) : 0;
	msg->has_restarts = s->restarts != 0;
	msg->restarts = s->restarts;
	if (s->attrs != NULL) {
		/* one message at a time: the core sends each before it builds
		 * the next (a listing drops them) */
		static struct session_attrs_msg am;

		session_attrs_to_msg(s->attrs, &am);
		msg->attrs = &am.msg;
	}
}

static bool sid_wellformed(const char *sid)
{
	if (sid == NULL || strlen(sid) != SESSION_ID_LEN)
		return false;
	for (const char *p = sid; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* An IPv6 lease from a message's bytes: absent or empty is none (::);
 * anything but 16 bytes is false. */
static bool ipv6_from_bytes(bool has, const ProtobufCBinaryData *b, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!has || b->len == 0)
		return true;
	if (b->len != sizeof(*out))
		return false;
	memcpy(out->s6_addr, b->data, sizeof(*out));
	return true;
}

int secmod_session_from_msg(const SmSession *msg, struct secmod_session *out)
{
	memset(out, 0, sizeof(*out));
	if (msg->serial == 0 || !sid_wellformed(msg->session_id) ||
	    msg->state > VPN_SESSION_ENDED ||
	    (msg->has_end_reason && msg->end_reason >= VPN_END_REASON_COUNT) ||
	    (msg->has_drop_reason && msg->drop_reason >= VPN_END_REASON_COUNT))
		return -EINVAL;
	out->serial = msg->serial;
	memcpy(out->sid, msg->session_id, SESSION_ID_LEN + 1);
	out->username = msg->username != NULL ? msg->username : (char *)"";
	out->group = msg->group != NULL ? msg->group : (char *)"";
	snprintf(out->remote_ip, sizeof(out->remote_ip), "%s",
		 msg->remote_ip != NULL ? msg->remote_ip : "");
	snprintf(out->last_remote_ip, sizeof(out->last_remote_ip), "%s",
		 msg->last_remote_ip != NULL ? msg->last_remote_ip : "");
	out->m.state = (enum vpn_session_state)msg->state;
	out->m.end_reason = msg->has_end_reason ? (enum vpn_end_reason)msg->end_reason
						: VPN_END_NONE;
	out->m.drop_reason = msg->has_drop_reason ? (enum vpn_end_reason)msg->drop_reason
						  : VPN_END_NONE;
	out->m.created_ms = msg->has_created_ms ? msg->created_ms : 0;
	out->m.drop_ms = msg->has_drop_ms ? msg->drop_ms : VPN_NEVER;
	out->m.ended_ms = msg->has_ended_ms ? msg->ended_ms : VPN_NEVER;
	out->m.resumes = msg->has_resumes ? msg->resumes : 0;
	out->m.attaches = msg->has_attaches ? msg->attaches : 0;
	out->m.cfg.cookie_timeout_ms = msg->has_cookie_timeout_ms ? msg->cookie_timeout_ms : 0;
	out->m.cfg.session_timeout_ms = msg->has_session_timeout_ms ? msg->session_timeout_ms : 0;
	out->m.cfg.persistent_cookies = msg->has_persistent_cookies && msg->persistent_cookies;
	if (msg->totals != NULL) {
		out->done.bytes_in = msg->totals->bytes_in;
		out->done.bytes_out = msg->totals->bytes_out;
		out->done.packets_in = msg->totals->packets_in;
		out->done.packets_out = msg->totals->packets_out;
	}
	out->ipv4 = msg->has_ipv4 ? msg->ipv4 : 0;
	if (!ipv6_from_bytes(msg->has_ipv6, &msg->ipv6, &out->ipv6))
		return -EINVAL;
	out->restarts = msg->has_restarts ? msg->restarts : 0;
	if (msg->attrs != NULL) {
		static struct session_attrs attrs;  /* valid until the next call */

		session_attrs_from_msg(msg->attrs, &attrs);
		out->attrs = &attrs;
	}
	return 0;
}

/* --- output ---------------------------------------------------------------- */

static void emit_session(struct secmod *sm, const struct secmod_session *s, bool forget)
{
	SmSession msg;
	TunnelStats tot;

	/* on disk before anyone hears of it (a record being restored is on
	 * disk already: store_mark_restart() writes what changed at once) */
	if (!forget && !sm->restoring)
		persist(sm, s);
	secmod_session_to_msg(s, &msg, &tot);
	msg.has_store_errors = true;
	msg.store_errors = sm->store_errors;
	if (!forget && s->m.state == VPN_SESSION_ENDED && sm->bye_text[0] != '\0')
		msg.end_text = sm->bye_text;
	if (forget) {
		msg.has_forget = true;
		msg.forget = true;
	}
	sm->ops.send(sm->opaque, IPC_SM_SESSION, &msg.base);
}

static void on_end_hook(void *opaque, struct secmod_session *s)
{
	struct secmod *sm = opaque;

	log_info("session %.*s of user '%s' ended: %s (%u resume%s)", (int)SESSION_ID_SHORT_LEN,
		 s->sid, LOG_ESC(s->username), vpn_end_reason_str(s->m.end_reason), s->m.resumes,
		 s->m.resumes == 1 ? "" : "s");
	acct_session_stop(&sm->acct, s, sm->now);
	emit_session(sm, s, false);
}

static void on_free_hook(void *opaque, const struct secmod_session *s)
{
	emit_session(opaque, s, true);
}

/* The answer to login request_id: its session s, or (s NULL) a refusal
 * with message: bad_credentials (ban points), too_many (max-same-clients),
 * busy (not tried: 503). */
static void auth_reply_msg(struct secmod *sm, uint64_t request_id, const struct secmod_session *s,
			   const char *message, bool bad_credentials, bool too_many, bool busy)
{
	SmAuthReply r = SM_AUTH_REPLY__INIT;
	AuthReply a = AUTH_REPLY__INIT;

	r.request_id = request_id;
	r.reply = &a;
	a.ok = s != NULL;
	if (s != NULL) {
		a.cookie = (char *)s->cookie;
		a.username = s->username;
		a.group = s->group;
		r.has_serial = true;
		r.serial = s->serial;
	} else {
		a.message = (char *)message;
		r.has_bad_credentials = bad_credentials;
		r.bad_credentials = bad_credentials;
		r.has_too_many = too_many;
		r.too_many = too_many;
		a.has_busy = busy;
		a.busy = busy;
	}
	sm->ops.send(sm->opaque, IPC_SM_AUTH_REPLY, &r.base);
}

static void auth_reply(struct secmod *sm, uint64_t request_id, const struct secmod_session *s,
		       const char *message, bool bad_credentials, bool too_many)
{
	auth_reply_msg(sm, request_id, s, message, bad_credentials, too_many, false);
}

static void auth_reply_busy(struct secmod *sm, uint64_t request_id)
{
	auth_reply_msg(sm, request_id, NULL, "Server busy", false, false, true);
}

/* --- setup ------------------------------------------------------------------ */

struct secmod *secmod_new(const struct secmod_ops *ops, void *opaque)
{
	struct secmod *sm = calloc(1, sizeof(*sm));
	struct vpn_session_cfg none = { 0 };

	if (sm == NULL)
		return NULL;
	sm->ops = *ops;
	sm->opaque = opaque;
	sm->table = session_table_new(&none, on_end_hook, sm);
	if (sm->table == NULL) {
		free(sm);
		return NULL;
	}
	session_table_set_free_hook(sm->table, on_free_hook);
	/* the chain comes with the first SmConfig */
	sm->plain = (struct auth_plain_cfg){ .passwd_file = "", .check = sm->ops.check_password,
					     .opaque = opaque };
	sm->otp.users_file = "";
	sm->pam.helper_fd = -1;
	return sm;
}

static void sm_auth_free(struct sm_auth *a)
{
	struct secmod *sm = a->sm;

	if (a->prev)
		a->prev->next = a->next;
	else
		sm->auths = a->next;
	if (a->next)
		a->next->prev = a->prev;
	sm->n_auths--;
	auth_login_free(a->login);
	free(a->username);
	free(a->group);
	free(a->remote_ip);
	free(a->cert_groups);
	free(a);
}

static void login_free(struct secmod *sm, struct sm_login *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		sm->logins = l->next;
	if (l->next)
		l->next->prev = l->prev;
	sm->n_logins--;
	free(l->attrs);
	free(l->username);
	free(l->group);
	free(l->remote_ip);
	free(l);
}

void secmod_free(struct secmod *sm)
{
	if (sm == NULL)
		return;
	while (sm->logins != NULL)
		login_free(sm, sm->logins);
	while (sm->auths != NULL)
		sm_auth_free(sm->auths);
	auth_chain_free(sm->chain);
	free(sm->otp_file);
	while (sm->opens != NULL) {
		struct sm_open *o = sm->opens;

		sm->opens = o->next;
		free(o);
	}
	acct_fini(&sm->acct);
	free((char *)sm->radius.nas_id);
	store_close(sm->store);
	session_table_free(sm->table);
	free(sm->passwd_file);
	secmod_cert_clear(&sm->cert);
	free(sm);
}

const struct secmod_session_table *secmod_sessions(const struct secmod *sm)
{
	return sm->table;
}

static int store_start(struct secmod *sm, const char *path, vpn_ms_t now);

static void acct_send_cb(void *opaque, const struct acct_record *r)
{
	struct secmod *sm = opaque;

	sm->ops.acct_send(sm->opaque, r);
}

/* The first SmConfig: accounting starts (before the store's records come
 * back: those that ended while the server was down get their Stop). */
static int acct_config(struct secmod *sm, const SmConfig *c)
{
	if (c->has_acct_radius && c->acct_radius && sm->ops.acct_send != NULL &&
	    acct_init(&sm->acct, acct_send_cb, sm) < 0) {
		log_err("sec-mod: accounting: out of memory");
		return -ENOMEM;
	}
	return 0;
}

void secmod_set_radius(struct secmod *sm, struct radius_client *auth)
{
	sm->radius.client = auth;
}

void secmod_acct_done(struct secmod *sm, bool ok, vpn_ms_t now)
{
	sm->now = now;
	acct_sent(&sm->acct, ok, now);
}

size_t secmod_acct_pending(const struct secmod *sm)
{
	return acct_on(&sm->acct) ? acct_queue_len(sm->acct.q) : 0;
}

/* auth = radius[...]: the factor on the radcli client the process read at
 * start. false (logged) without one. */
static bool radius_factor(struct secmod *sm, const SmConfig *c, struct auth_factor *f)
{
	char *nas = NULL;

	if (sm->radius.client == NULL) {
		log_err("sec-mod: auth = radius, but no radcli configuration was read at start");
		return false;
	}
	if (c->radius_nas_identifier != NULL && c->radius_nas_identifier[0] != '\0' &&
	    (nas = strdup(c->radius_nas_identifier)) == NULL)
		return false;
	free((char *)sm->radius.nas_id);
	sm->radius.nas_id = nas;
	sm->radius.groupconfig = c->has_radius_groupconfig && c->radius_groupconfig;
	*f = (struct auth_factor){ &auth_backend_radius, &sm->radius };
	return true;
}

/* The factors auth names: plain's password file, then its OTP file; or
 * PAM; none with auth = certificate alone (sm->chain NULL then). Logins in
 * progress finish on the chain they began with. Returns false (logged, the
 * previous chain kept) when none can be built. */
static bool chain_build(struct secmod *sm, const SmConfig *c)
{
	struct auth_factor f[AUTH_MAX_FACTORS];
	struct auth_chain *chain;
	char *otp = NULL;
	size_t n = 0;
	bool cert_only;

	if (c->has_pam && c->pam) {
		sm->pam.gid_min = c->has_pam_gid_min ? c->pam_gid_min : 0;
		f[n++] = (struct auth_factor){ &auth_backend_pam, &sm->pam };
	} else if (c->passwd_file[0] != '\0') {
		f[n++] = (struct auth_factor){ &auth_backend_plain, &sm->plain };
	}
	if (n < AUTH_MAX_FACTORS && c->has_auth_radius && c->auth_radius &&
	    !radius_factor(sm, c, &f[n++]))
		return false;
	if (n < AUTH_MAX_FACTORS && c->otp_file != NULL && c->otp_file[0] != '\0') {
		otp = strdup(c->otp_file);
		if (otp == NULL)
			return false;
		f[n++] = (struct auth_factor){ &auth_backend_otp, &sm->otp };
	}
	/* auth = certificate alone: no chain, the certificate is the login */
	cert_only = n == 0 && c->has_auth_certificate && c->auth_certificate &&
		    !(c->has_pam && c->pam);
	chain = cert_only ? NULL : auth_chain_new(f, n, &sm->ops.exec);
	if (chain == NULL && !cert_only) {
		log_err("sec-mod: configuration: no authentication method%s",
			sm->chain != NULL ? " (keeping the previous one)" : "");
		free(otp);
		return false;
	}
	auth_chain_free(sm->chain);
	sm->chain = chain;
	free(sm->otp_file);
	sm->otp_file = otp;
	sm->otp.users_file = otp != NULL ? otp : "";
	return true;
}

static int on_config(struct secmod *sm, const SmConfig *c, vpn_ms_t now)
{
	struct vpn_session_cfg sc = {
		.cookie_timeout_ms = vpn_s_to_ms(c->cookie_timeout),
		.session_timeout_ms = vpn_s_to_ms(c->session_timeout),
		.persistent_cookies = c->persistent_cookies,
	};
	char *file = strdup(c->passwd_file);

	if (file == NULL) {
		log_err("sec-mod: configuration: out of memory (keeping the previous one)");
		return 0;
	}
	free(sm->passwd_file);
	sm->passwd_file = file;
	sm->plain.passwd_file = file;
	secmod_cert_config(&sm->cert, c);
	if (!chain_build(sm, c) && sm->chain == NULL)
		return 0; /* logins refused until a usable one */
	session_table_set_cfg(sm->table, &sc);
	sm->max_same = c->max_same_clients;
	sm->deny_roaming = c->has_deny_roaming && c->deny_roaming;
	sm->dpd_ms = vpn_s_to_ms(c->dpd);
	sm->pool_first = c->has_pool_first ? c->pool_first : 0;
	sm->pool_count = c->has_pool_count ? c->pool_count : 0;
	sm->predictable_ips = c->has_predictable_ips && c->predictable_ips;
	if (!sm->configured)
		log_debug("sec-mod: configured (cookie-timeout %u s, session-timeout %u s, "
			  "max-same-clients %u)", c->cookie_timeout, c->session_timeout,
			  c->max_same_clients);
	sm->configured = true;
	if (sm->store_tried)
		return 0; /* a reload: the file, RADIUS and accounting stay as at start */
	sm->store_tried = true;
	if (acct_config(sm, c) < 0)
		return SECMOD_E_STORE;
	if (sm->cl != NULL)
		return 0; /* the cluster's records come when asked for */
	return c->session_store != NULL && c->session_store[0] != '\0'
		       ? store_start(sm, c->session_store, now) : 0;
}

/* --- logins ---------------------------------------------------------------- */

/* Pick the session's group from the user's groups ("g1,g2" from the
 * password file): the requested one if it is among them, else the first.
 * Returns false if a group was requested that the user is not in. */
static bool choose_group(const char *groups, const char *requested, char *out, size_t len)
{
	const char *p = groups;

	out[0] = '\0';
	if (requested != NULL && requested[0] != '\0') {
		size_t rl = strlen(requested);

		while (*p) {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);

			if (n == rl && strncmp(p, requested, n) == 0) {
				snprintf(out, len, "%s", requested);
				return true;
			}
			p += n + (end != NULL);
		}
		return false;
	}
	snprintf(out, len, "%.*s", (int)strcspn(groups, ","), groups);
	return true;
}

static struct sm_probe *login_probe(struct sm_login *l, uint64_t serial)
{
	for (size_t i = 0; i < l->n_probes; i++)
		if (l->probes[i].serial == serial)
			return &l->probes[i];
	return NULL;
}

/* A new session for the login l, with its own values (RADIUS). */
static void login_accept(struct secmod *sm, const struct sm_login *l, vpn_ms_t now)
{
	struct secmod_session *s = session_table_create(sm->table, l->username, l->group,
							l->remote_ip, now);

	if (s == NULL || session_table_set_attrs(s, l->attrs) < 0) {
		log_err("creating a session for '%s': %s", LOG_ESC(l->username),
			s == NULL ? strerror(errno) : "out of memory");
		if (s != NULL)
			session_table_forget(sm->table, s);
		auth_reply(sm, l->request_id, NULL, "Internal error", false, false);
		return;
	}
	if (s->attrs != NULL && s->attrs->session_timeout_from == CONFIG_ORIGIN_RADIUS)
		session_table_set_timeouts(sm->table, s, s->m.cfg.cookie_timeout_ms,
					   vpn_s_to_ms(s->attrs->session_timeout_s));
	log_info("user '%s' (group '%s') authenticated from %s: session %.*s", LOG_ESC(s->username),
		 LOG_ESC(s->group), l->remote_ip, (int)SESSION_ID_SHORT_LEN, s->sid);
	emit_session(sm, s, false);
	auth_reply(sm, l->request_id, s, NULL, false, false);
}

static void login_refuse_too_many(struct secmod *sm, uint64_t request_id, const char *user,
				  const char *remote_ip)
{
	log_info("login of '%s' from %s refused: max-same-clients (%u) reached", user, remote_ip,
		 sm->max_same);
	auth_reply(sm, request_id, NULL, "Too many sessions for this user", false, true);
}

enum login_outcome { LOGIN_DONE, LOGIN_PENDING };

/*
 * max-same-clients (doc/spec/liveness.md §9) for a login of l->username at now, with
 * what the probes of l said so far (l may be a stack copy for a first try).
 * Applies the plan: waiting sessions and silent probed ones end with
 * superseded; stale active ones get a probe. Answers the login unless it
 * must wait for probes.
 */
static enum login_outcome login_decide(struct secmod *sm, struct sm_login *l, vpn_ms_t now)
{
	static struct vpn_same_entry e[SECMOD_MAX_USER_SESSIONS];
	static enum vpn_same_action act[SECMOD_MAX_USER_SESSIONS];
	static struct secmod_session *who[SECMOD_MAX_USER_SESSIONS];
	enum vpn_same_verdict v;
	bool probing = false;
	size_t n = 0;

	if (sm->max_same == 0) {
		login_accept(sm, l, now);
		return LOGIN_DONE;
	}
	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next) {
		const struct sm_probe *p;

		if (s->m.state == VPN_SESSION_ENDED || strcmp(s->username, l->username) != 0)
			continue;
		if (n == SECMOD_MAX_USER_SESSIONS) {
			login_refuse_too_many(sm, l->request_id, l->username, l->remote_ip);
			return LOGIN_DONE;
		}
		/* sec-mod does not know when a tunnel last heard from its
		 * client: an unprobed active session may be stale, and the
		 * probe asks its worker (which answers "alive" at once when
		 * CSTP was heard within D). */
		e[n] = (struct vpn_same_entry){
			.state = s->m.state,
			.drop_ms = s->m.drop_ms,
			.cstp_last_rx_ms = 0,
			.dpd_ms = sm->dpd_ms,
			.probed_ms = VPN_NEVER,
		};
		p = login_probe(l, s->serial);
		if (p != NULL && s->m.state == VPN_SESSION_ACTIVE) {
			e[n].probed_ms = l->probed_ms;
			e[n].cstp_last_rx_ms = p->answered && p->alive ? now : 0;
			/* unanswered at the round's end counts as silent */
			if (!p->answered && !vpn_ms_reached(vpn_ms_add(l->probed_ms,
					VPN_SAME_PROBE_GRACE_MS + SECMOD_PROBE_SLACK_MS), now))
				e[n].probed_ms = now; /* still within its grace */
		}
		who[n++] = s;
	}
	v = vpn_same_clients_plan(e, n, sm->max_same, now, act);
	if (v == VPN_SAME_REFUSE) {
		login_refuse_too_many(sm, l->request_id, l->username, l->remote_ip);
		return LOGIN_DONE;
	}
	for (size_t i = 0; i < n; i++) {
		if (act[i] == VPN_SAME_END) {
			log_info("session %.*s of user '%s' (%s) superseded by a new login from %s",
				 (int)SESSION_ID_SHORT_LEN, who[i]->sid, LOG_ESC(l->username),
				 vpn_session_state_str(who[i]->m.state), l->remote_ip);
			session_table_terminate(sm->table, who[i], VPN_END_SUPERSEDED, now);
		} else if (act[i] == VPN_SAME_PROBE) {
			probing = true;
		}
	}
	if (v == VPN_SAME_ALLOW) {
		login_accept(sm, l, now);
		return LOGIN_DONE;
	}
	/* VPN_SAME_WAIT */
	if (!probing)
		return LOGIN_PENDING; /* probes of this round still within their grace */
	if (l->rounds >= SECMOD_MAX_PROBE_ROUNDS) {
		login_refuse_too_many(sm, l->request_id, l->username, l->remote_ip);
		return LOGIN_DONE;
	}
	l->rounds++;
	l->probed_ms = now;
	for (size_t i = 0; i < n; i++) {
		SmProbe pr = SM_PROBE__INIT;
		struct sm_probe *p;

		if (act[i] != VPN_SAME_PROBE)
			continue;
		p = login_probe(l, who[i]->serial);
		if (p == NULL)
			p = &l->probes[l->n_probes++];
		*p = (struct sm_probe){ .serial = who[i]->serial };
		pr.serial = who[i]->serial;
		pr.min_silence_ms = (uint32_t)(sm->dpd_ms > UINT32_MAX ? UINT32_MAX : sm->dpd_ms);
		pr.grace_ms = VPN_SAME_PROBE_GRACE_MS;
		log_info("login of '%s' from %s over max-same-clients (%u): probing session %.*s",
			 LOG_ESC(l->username), l->remote_ip, sm->max_same, (int)SESSION_ID_SHORT_LEN,
			 who[i]->sid);
		sm->ops.send(sm->opaque, IPC_SM_PROBE, &pr.base);
	}
	return LOGIN_PENDING;
}

/* The chain accepted user (in groups "g1,g2"): the group, then
 * max-same-clients, then the session. */
static void login_granted(struct secmod *sm, uint64_t request_id, const char *user,
			  const char *groups, const char *requested, const char *remote_ip,
			  const struct session_attrs *attrs, vpn_ms_t now)
{
	char group[256];
	struct sm_login *l;

	if (!choose_group(groups, requested, group, sizeof(group))) {
		log_info("login of '%s' from %s refused: not a member of group '%s'", LOG_ESC(user),
			 remote_ip, LOG_ESC(requested));
		auth_reply(sm, request_id, NULL, "Authentication failed", true, false);
		return;
	}
	if (sm->max_same != 0 && sm->n_logins >= SECMOD_MAX_PENDING_LOGINS) {
		log_warn("login of '%s' from %s refused: %zu logins already wait for probes",
			 LOG_ESC(user), remote_ip, sm->n_logins);
		auth_reply(sm, request_id, NULL, "Server busy", false, false);
		return;
	}
	l = calloc(1, sizeof(*l));
	if (l != NULL) {
		l->request_id = request_id;
		l->username = strdup(user);
		l->group = strdup(group);
		l->remote_ip = strdup(remote_ip);
		if (attrs != NULL && (l->attrs = malloc(sizeof(*l->attrs))) != NULL)
			*l->attrs = *attrs;
	}
	if (l == NULL || l->username == NULL || l->group == NULL || l->remote_ip == NULL ||
	    (attrs != NULL && l->attrs == NULL)) {
		if (l != NULL) {
			free(l->attrs);
			free(l->username);
			free(l->group);
			free(l->remote_ip);
		}
		free(l);
		auth_reply(sm, request_id, NULL, "Internal error", false, false);
		return;
	}
	l->next = sm->logins;
	if (sm->logins)
		sm->logins->prev = l;
	sm->logins = l;
	sm->n_logins++;
	if (login_decide(sm, l, now) == LOGIN_DONE)
		login_free(sm, l);
}

/* A further form: its token (new at the first), then the reply. */
static void auth_more(struct secmod *sm, struct sm_auth *a, const struct auth_result *r)
{
	SmAuthReply rep = SM_AUTH_REPLY__INIT;
	AuthReply ar = AUTH_REPLY__INIT;
	uint8_t raw[SECMOD_LOGIN_TOKEN_LEN / 2];

	if (a->token[0] == '\0') {
		if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) < 0) {
			auth_reply(sm, a->request_id, NULL, "Internal error", false, false);
			sm_auth_free(a);
			return;
		}
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf(a->token + 2 * i, 3, "%02x", raw[i]);
	}
	log_debug("login of '%s' from %s: a further form (%s)", LOG_ESC(a->username), a->remote_ip,
		  r->prompt != NULL ? LOG_ESC(r->prompt) : "Password:");
	rep.request_id = a->request_id;
	rep.reply = &ar;
	ar.ok = false;
	ar.has_more = ar.more = true;
	ar.login_token = a->token;
	ar.prompt = (char *)r->prompt;
	ar.message = (char *)r->message;
	a->request_id = 0;
	a->deadline = vpn_ms_add(sm->now, SECMOD_AUTH_ROUND_MS);
	sm->ops.send(sm->opaque, IPC_SM_AUTH_REPLY, &rep.base);
}

static void auth_verdict(struct secmod *sm, struct sm_auth *a, const struct auth_result *r);

/* The chain's verdict on the login of a (auth_done_fn). */
static void on_auth_done(void *opaque, struct auth_login *l, const struct auth_result *r)
{
	struct sm_auth *a = opaque;
	struct secmod *sm = a->sm;

	(void)l;
	if (!sm->in_message)
		sm->now = sm->ops.mono_ms != NULL ? sm->ops.mono_ms(sm->opaque) : vpn_now_ms();
	auth_verdict(sm, a, r);
	if (!sm->in_message && sm->ops.changed != NULL)
		sm->ops.changed(sm->opaque);
}

static void auth_verdict(struct secmod *sm, struct sm_auth *a, const struct auth_result *r)
{
	uint64_t id = a->request_id;

	if (id == 0) {
		/* while its further form waits for the user (a PAM conversation
		 * that ended on its own): nobody to answer, the login is over */
		log_info("login of '%s' from %s ended while its further form waited: %s",
			 LOG_ESC(a->username), a->remote_ip,
			 r->message != NULL ? r->message : "no reason");
		sm_auth_free(a);
		return;
	}
	switch (r->verdict) {
	case AUTH_CONTINUE:
		auth_more(sm, a, r);
		return;
	case AUTH_ACCEPT:
		login_granted(sm, id, a->username, a->cert_groups != NULL ? a->cert_groups : r->groups,
			      a->group, a->remote_ip, r->attrs, sm->now);
		break;
	case AUTH_REJECT:
		log_info("login of '%s' from %s failed: %s", LOG_ESC(a->username), a->remote_ip,
			 r->message != NULL ? r->message : "rejected");
		auth_reply(sm, id, NULL, "Authentication failed", true, false);
		break;
	case AUTH_BUSY:
		log_warn("login of '%s' from %s refused: %s", LOG_ESC(a->username), a->remote_ip,
			 r->message != NULL ? r->message : "busy");
		auth_reply_busy(sm, id);
		break;
	case AUTH_ERROR:
	default:
		log_err("checking the login of '%s' from %s: %s", LOG_ESC(a->username), a->remote_ip,
			r->message != NULL ? r->message : "error");
		auth_reply(sm, id, NULL, "Authentication failed", false, false);
		break;
	}
	sm_auth_free(a);
}

static struct sm_auth *auth_by_token(struct secmod *sm, const char *token)
{
	if (token == NULL || strlen(token) != SECMOD_LOGIN_TOKEN_LEN)
		return NULL;
	for (struct sm_auth *a = sm->auths; a != NULL; a = a->next)
		if (a->token[0] != '\0' && cookie_equal(a->token, token))
			return a;
	return NULL;
}

/* The answer to a further form. */
static void on_auth_answer(struct secmod *sm, const SmAuthRequest *r)
{
	AuthRequest *q = r->auth;
	struct sm_auth *a = auth_by_token(sm, q->login_token);

	if (a == NULL || a->request_id != 0 || strcmp(a->username, q->username) != 0) {
		log_info("login of '%s' from %s: the answer to a further form came for no login "
			 "waiting (expired?)", LOG_ESC(q->username), q->remote_ip);
		auth_reply(sm, r->request_id, NULL, "Login expired", false, false);
		return;
	}
	a->request_id = r->request_id;
	auth_login_answer(a->login, q->password);
}

static struct sm_auth *sm_auth_new(struct secmod *sm, const SmAuthRequest *r, int fd)
{
	AuthRequest *q = r->auth;
	struct sm_auth *a = calloc(1, sizeof(*a));
	struct auth_info info = { .username = q->username, .remote_ip = q->remote_ip,
				  .group = q->group != NULL && q->group[0] != '\0' ? q->group : NULL,
				  .passwd_fd = fd };

	if (a != NULL) {
		a->sm = sm;
		a->request_id = r->request_id;
		a->username = strdup(q->username);
		a->group = info.group != NULL ? strdup(info.group) : NULL;
		a->remote_ip = strdup(q->remote_ip);
	}
	if (a == NULL || a->username == NULL || a->remote_ip == NULL ||
	    (info.group != NULL && a->group == NULL)) {
		if (fd >= 0)
			close(fd);
		if (a != NULL) {
			free(a->username);
			free(a->group);
			free(a->remote_ip);
		}
		free(a);
		return NULL;
	}
	a->login = auth_login_new(sm->chain, &info, on_auth_done, a);
	if (a->login == NULL) {
		free(a->username);
		free(a->group);
		free(a->remote_ip);
		free(a);
		return NULL;
	}
	a->next = sm->auths;
	if (sm->auths)
		sm->auths->prev = a;
	sm->auths = a;
	sm->n_auths++;
	return a;
}

/* The certificate factor of a new login (sec-mod-cert.h): true when it
 * answered the login (accepted by the certificate alone, or refused), false
 * when the chain decides, with the certificate's groups in *groups (both
 * factors; NULL: none). */
static bool cert_decides(struct secmod *sm, const SmAuthRequest *r, char **groups)
{
	AuthRequest *q = r->auth;
	struct secmod_cert_id id;

	*groups = NULL;
	switch (secmod_cert_check(&sm->cert, q, sm->chain != NULL, &id)) {
	case SECMOD_CERT_UNUSED:
		return false;
	case SECMOD_CERT_ACCEPT:
		log_info("certificate of '%s' from %s accepted", LOG_ESC(id.user), q->remote_ip);
		login_granted(sm, r->request_id, id.user, id.groups, q->group, q->remote_ip, NULL,
			      sm->now);
		return true;
	case SECMOD_CERT_FACTOR:
		if (strcmp(q->username, id.user) == 0) {
			*groups = id.groups[0] != '\0' ? strdup(id.groups) : NULL;
			return false;
		}
		log_info("login from %s refused: user name '%s' is not the certificate's '%s'",
			 q->remote_ip, LOG_ESC(q->username), LOG_ESC(id.user));
		snprintf(id.reason, sizeof(id.reason), "user name does not match the certificate");
		auth_reply(sm, r->request_id, NULL, id.reason, true, false);
		return true;
	case SECMOD_CERT_REJECT:
		break;
	}
	log_info("login from %s refused: %s", q->remote_ip, id.reason);
	auth_reply(sm, r->request_id, NULL, id.reason, true, false);
	return true;
}

/* main's word that the worker of a login went away: drop it (a running
 * job is cancelled, a PAM conversation closed). No reply. */
static void on_auth_cancel(struct secmod *sm, const SmAuthRequest *r)
{
	struct sm_auth *a = auth_by_token(sm, r->auth->login_token);

	for (struct sm_auth *c = sm->auths; a == NULL && c != NULL && r->request_id != 0; c = c->next)
		if (c->request_id == r->request_id)
			a = c;
	if (a == NULL)
		return;
	log_info("login of '%s' from %s dropped: its connection is gone", LOG_ESC(a->username),
		 a->remote_ip);
	sm_auth_free(a);
}

static void on_auth(struct secmod *sm, const SmAuthRequest *r, int passwd_fd)
{
	AuthRequest *q = r->auth;
	struct sm_auth *a;
	char *cert_groups;
	int fd;

	if (q->has_cancel && q->cancel) {
		on_auth_cancel(sm, r);
	} else if (!sm->configured) {
		auth_reply(sm, r->request_id, NULL, "Server not ready", false, false);
	} else if (sm->cl != NULL && !sm->cl->ready(sm->cl_b)) {
		log_warn("login of '%s' from %s refused (503): the session store (Redis) is "
			 "unreachable", LOG_ESC(q->username), q->remote_ip);
		auth_reply_msg(sm, r->request_id, NULL, SECMOD_STORE_DOWN, false, false, true);
	} else if (q->login_token != NULL) {
		on_auth_answer(sm, r);
	} else if (sm->n_auths >= SECMOD_MAX_AUTHS) {
		log_warn("login of '%s' from %s refused: %zu logins in progress", LOG_ESC(q->username),
			 q->remote_ip, sm->n_auths);
		auth_reply_busy(sm, r->request_id);
	} else if (!cert_decides(sm, r, &cert_groups)) {
		/* the login's own copy of the file main opened for it */
		fd = passwd_fd >= 0 ? fcntl(passwd_fd, F_DUPFD_CLOEXEC, 0) : -1;
		a = sm_auth_new(sm, r, fd);
		if (a == NULL) {
			free(cert_groups);
			auth_reply(sm, r->request_id, NULL, "Internal error", false, false);
		} else {
			a->cert_groups = cert_groups;
			auth_login_start(a->login, q->password);
		}
	}
	/* passed on: the password has no business staying in memory */
	explicit_bzero(q->password, strlen(q->password));
}

static void on_probe_result(struct secmod *sm, const SmProbeResult *r, vpn_ms_t now)
{
	struct sm_login *l, *next;

	for (l = sm->logins; l != NULL; l = next) {
		struct sm_probe *p = login_probe(l, r->serial);
		bool all = true;

		next = l->next;
		if (p == NULL || p->answered)
			continue;
		p->answered = true;
		p->alive = r->alive;
		for (size_t i = 0; i < l->n_probes; i++)
			all = all && l->probes[i].answered;
		if (all && login_decide(sm, l, now) == LOGIN_DONE)
			login_free(sm, l);
	}
}

/* --- sessions ----------------------------------------------------------------- */

static void open_reply(struct secmod *sm, uint64_t request_id, const struct secmod_session *s,
		       enum vpn_connect_result cr, vpn_ms_t now)
{
	SmOpenReply r = SM_OPEN_REPLY__INIT;
	SmSession msg;
	TunnelStats tot;

	r.request_id = request_id;
	if (s == NULL) {
		r.status = 401;
		r.reason = "Cookie is not acceptable";
		sm->ops.send(sm->opaque, IPC_SM_OPEN_REPLY, &r.base);
		return;
	}
	secmod_session_to_msg(s, &msg, &tot);
	r.status = 200;
	r.has_result = true;
	r.result = (uint32_t)cr;
	r.session = &msg;
	r.has_session_remaining = true;
	if (vpn_session_deadline(&s->m) == VPN_NEVER) {
		r.session_remaining = 0;
	} else {
		/* rounded up: a worker that builds its deadline from whole
		 * seconds must not end the session before created + S; our own
		 * timer ends it on time in any case */
		vpn_ms_t left = vpn_ms_add(vpn_ms_until(vpn_session_deadline(&s->m), now), 999) / 1000;

		r.session_remaining = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
	}
	sm->ops.send(sm->opaque, IPC_SM_OPEN_REPLY, &r.base);
}

/* A CONNECT refused for now: the cluster's store cannot be asked. */
static void open_refuse_busy(struct secmod *sm, uint64_t request_id)
{
	SmOpenReply r = SM_OPEN_REPLY__INIT;

	r.request_id = request_id;
	r.status = 503;
	r.reason = (char *)SECMOD_STORE_DOWN;
	sm->ops.send(sm->opaque, IPC_SM_OPEN_REPLY, &r.base);
}

/* The CONNECT of request_id from remote_ip (worker_pid: the worker that
 * would hold the tunnel, 0 unknown) to the session s (NULL: none). */
static void open_finish(struct secmod *sm, uint64_t request_id, const char *remote_ip,
			uint32_t worker_pid, struct secmod_session *s, vpn_ms_t now)
{
	enum vpn_connect_result cr;

	if (s == NULL || s->m.state == VPN_SESSION_ENDED) {
		open_reply(sm, request_id, NULL, VPN_CONNECT_REFUSED, now);
		return;
	}
	if (sm->deny_roaming && strcmp(s->remote_ip, remote_ip) != 0) {
		/* the session goes on where it is; only this CONNECT is refused */
		log_warn("sec-mod: CONNECT for session of user '%s' from %s refused: deny-roaming "
			 "(logged in from %s)", LOG_ESC(s->username), remote_ip, s->remote_ip);
		open_reply(sm, request_id, NULL, VPN_CONNECT_REFUSED, now);
		return;
	}
	cr = session_table_connect(sm->table, s, now);
	if (cr == VPN_CONNECT_REFUSED) {
		/* expired this very moment: the end hook told main */
		open_reply(sm, request_id, NULL, cr, now);
		return;
	}
	session_table_set_worker(sm->table, s, worker_pid != 0 ? (pid_t)worker_pid : 1);
	snprintf(s->last_remote_ip, sizeof(s->last_remote_ip), "%s", remote_ip);
	emit_session(sm, s, false);
	open_reply(sm, request_id, s, cr, now);
}

static void cluster_open(struct secmod *sm, const SmOpenRequest *r, struct secmod_session *s,
			 vpn_ms_t now);

static void on_open(struct secmod *sm, const SmOpenRequest *r, vpn_ms_t now)
{
	struct secmod_session *s = session_table_find_cookie(sm->table, r->cookie);

	if (sm->cl != NULL) {
		cluster_open(sm, r, s, now);
		return;
	}
	open_finish(sm, r->request_id, r->remote_ip, r->has_worker_pid ? r->worker_pid : 0, s, now);
}

static struct session_table_counters counters_of(const TunnelStats *st)
{
	struct session_table_counters c = { 0 };

	if (st != NULL) {
		c.bytes_in = st->bytes_in;
		c.bytes_out = st->bytes_out;
		c.packets_in = st->packets_in;
		c.packets_out = st->packets_out;
	}
	return c;
}

static void on_tunnel_down(struct secmod *sm, const SmTunnelDown *d, vpn_ms_t now)
{
	struct secmod_session *s = session_table_find_serial(sm->table, d->serial);
	enum vpn_end_reason r = (enum vpn_end_reason)d->reason;
	struct session_table_counters c = counters_of(d->stats);
	enum vpn_session_state before;

	if (s == NULL)
		return; /* ended and reaped meanwhile */
	if (d->reason == VPN_END_NONE || d->reason >= VPN_END_REASON_COUNT) {
		log_warn("sec-mod: tunnel end reason %u unknown: taken as %s", d->reason,
			 vpn_end_reason_str(VPN_END_TUNNEL_LOST));
		r = VPN_END_TUNNEL_LOST;
	}
	if (r == VPN_END_TAKEOVER || (d->has_attach && d->attach != s->m.attaches)) {
		/* a tunnel replaced by a newer one: only its counters count */
		session_table_tunnel_counters_final(s, &c, false);
		return;
	}
	session_table_tunnel_counters_final(s, &c, true);
	session_table_set_worker(sm->table, s, 0);
	before = s->m.state;
	session_table_tunnel_end(sm->table, s, r, now);
	/* an end just now was sent by the hook */
	if (!(before != VPN_SESSION_ENDED && s->m.state == VPN_SESSION_ENDED))
		emit_session(sm, s, false);
}

static void on_tunnel_up(struct secmod *sm, const SmTunnelUp *u)
{
	struct secmod_session *s = session_table_find_serial(sm->table, u->serial);
	struct in6_addr a6;
	bool changed = false;

	if (s == NULL)
		return;
	if (u->remote_ip != NULL)
		snprintf(s->last_remote_ip, sizeof(s->last_remote_ip), "%s", u->remote_ip);
	if (u->has_worker_pid && u->worker_pid != 0 && s->m.state == VPN_SESSION_ACTIVE)
		session_table_set_worker(sm->table, s, (pid_t)u->worker_pid);
	if (ipv6_from_bytes(u->has_ipv6, &u->ipv6, &a6) && !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
	    !IN6_ARE_ADDR_EQUAL(&a6, &s->ipv6)) {
		s->ipv6 = a6;
		changed = true;
	}
	if (u->has_ipv4 && u->ipv4 != 0 && u->ipv4 != s->ipv4) {
		s->ipv4 = u->ipv4;
		changed = true;
	}
	/* the session begins for accounting once its first tunnel is up */
	if (s->m.state == VPN_SESSION_ACTIVE && acct_session_start(&sm->acct, s, sm->now))
		changed = true;
	if (changed)
		persist(sm, s);
}

static void on_tunnel_stats(struct secmod *sm, const SmTunnelStats *st)
{
	struct secmod_session *s = session_table_find_serial(sm->table, st->serial);
	struct session_table_counters c = counters_of(st->stats);

	if (s != NULL && s->m.state == VPN_SESSION_ACTIVE &&
	    (!st->has_attach || st->attach == s->m.attaches))
		session_table_tunnel_counters(s, &c);
}

static void on_terminate(struct secmod *sm, const SmTerminate *t, vpn_ms_t now)
{
	enum vpn_end_reason r = (enum vpn_end_reason)t->reason;

	if (t->session_id != NULL) {
		/* another gateway's session: asked there */
		if (sm->cl != NULL && t->gateway != NULL)
			sm->cl->terminate(sm->cl_b, t->session_id, t->gateway);
		return;
	}
	if (r != VPN_END_SERVER_SHUTDOWN && r != VPN_END_SUPERSEDED)
		r = VPN_END_ADMIN_TERMINATE;
	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next) {
		if (t->serial != 0 && s->serial != t->serial)
			continue;
		if (s->m.state != VPN_SESSION_ENDED)
			session_table_terminate(sm->table, s, r, now);
	}
}

/* The session's per-user or per-group file sets its session-timeout or
 * cookie-timeout (main, right after the login): applied unless RADIUS set
 * that value (RADIUS > user > group > global). */
static void on_session_timers(struct secmod *sm, const SmSessionTimers *t)
{
	struct secmod_session *s = session_table_find_serial(sm->table, t->serial);
	struct session_attrs a = { 0 };
	vpn_ms_t cookie_ms, session_ms;
	bool changed = false;

	if (s == NULL || s->m.state == VPN_SESSION_ENDED)
		return;
	if (s->attrs != NULL)
		a = *s->attrs;
	cookie_ms = s->m.cfg.cookie_timeout_ms;
	session_ms = s->m.cfg.session_timeout_ms;
	if (t->has_session_timeout_from && a.session_timeout_from != CONFIG_ORIGIN_RADIUS) {
		session_ms = vpn_s_to_ms(t->session_timeout);
		a.session_timeout_from = (uint8_t)t->session_timeout_from;
		changed = true;
	}
	if (t->has_cookie_timeout_from && t->cookie_timeout > 0) {
		cookie_ms = vpn_s_to_ms(t->cookie_timeout);
		a.cookie_timeout_from = (uint8_t)t->cookie_timeout_from;
		changed = true;
	}
	if (!changed)
		return;
	session_table_set_timeouts(sm->table, s, cookie_ms, session_ms);
	if (session_table_set_attrs(s, &a) < 0)
		log_err("session %.*s: out of memory", (int)SESSION_ID_SHORT_LEN, s->sid);
	log_info("session %.*s of user '%s': session-timeout %llu s, cookie-timeout %llu s "
		 "(from its %s file)", (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username),
		 (unsigned long long)(s->m.cfg.session_timeout_ms / 1000),
		 (unsigned long long)(s->m.cfg.cookie_timeout_ms / 1000),
		 config_origin_str((enum config_origin)(t->has_session_timeout_from
					? t->session_timeout_from : t->cookie_timeout_from)));
	emit_session(sm, s, false);
}

static void on_list_local(struct secmod *sm, const SmListRequest *q);

static void on_list(struct secmod *sm, const SmListRequest *q)
{
	if (q->has_cluster && q->cluster) {
		/* none without a store that can be asked */
		if (sm->cl == NULL || !sm->cl->ready(sm->cl_b) ||
		    sm->cl->list(sm->cl_b, q->request_id) < 0)
			secmod_cluster_listed(sm, q->request_id, NULL, 0, -EIO);
		return;
	}
	on_list_local(sm, q);
}

static void on_list_local(struct secmod *sm, const SmListRequest *q)
{
	SmSession msgs[SECMOD_LIST_CHUNK];
	TunnelStats tots[SECMOD_LIST_CHUNK];
	SmSession *ptrs[SECMOD_LIST_CHUNK];
	const struct secmod_session *s = session_table_first(sm->table);

	do {
		SmListReply r = SM_LIST_REPLY__INIT;
		size_t n = 0;

		for (; s != NULL && n < SECMOD_LIST_CHUNK; s = s->next) {
			if (s->m.state == VPN_SESSION_ENDED && !(q->has_all && q->all))
				continue;
			secmod_session_to_msg(s, &msgs[n], &tots[n]);
			/* one message at a time may carry attrs (their storage is
			 * shared); a listing does not need them */
			msgs[n].attrs = NULL;
			ptrs[n] = &msgs[n];
			n++;
		}
		/* skip trailing records the filter drops, to mark the last chunk */
		while (s != NULL && s->m.state == VPN_SESSION_ENDED && !(q->has_all && q->all))
			s = s->next;
		r.request_id = q->request_id;
		r.n_sessions = n;
		r.sessions = ptrs;
		r.last = s == NULL;
		sm->ops.send(sm->opaque, IPC_SM_LIST_REPLY, &r.base);
	} while (s != NULL);
}

int secmod_on_message(struct secmod *sm, const struct ipc_msg *m, vpn_ms_t now)
{
	sm->now = now;
	switch (m->type) {
	case IPC_SM_CONFIG:
		return on_config(sm, m->sm_config, now);
	case IPC_SM_AUTH_REQUEST:
		sm->in_message = true;
		on_auth(sm, m->sm_auth_request, m->fd);
		sm->in_message = false;
		return 0;
	case IPC_SM_OPEN_REQUEST:
		on_open(sm, m->sm_open_request, now);
		return 0;
	case IPC_SM_TUNNEL_UP:
		on_tunnel_up(sm, m->sm_tunnel_up);
		return 0;
	case IPC_SM_TUNNEL_DOWN:
		on_tunnel_down(sm, m->sm_tunnel_down, now);
		return 0;
	case IPC_SM_TUNNEL_STATS:
		on_tunnel_stats(sm, m->sm_tunnel_stats);
		return 0;
	case IPC_SM_TERMINATE:
		on_terminate(sm, m->sm_terminate, now);
		return 0;
	case IPC_SM_PROBE_RESULT:
		on_probe_result(sm, m->sm_probe_result, now);
		return 0;
	case IPC_SM_LIST_REQUEST:
		on_list(sm, m->sm_list_request);
		return 0;
	case IPC_SM_SESSION_TIMERS:
		on_session_timers(sm, m->sm_session_timers);
		return 0;
	default:
		return -EPROTO;
	}
}

/* --- time -------------------------------------------------------------------- */

static vpn_ms_t login_deadline(const struct sm_login *l)
{
	return vpn_ms_add(l->probed_ms, VPN_SAME_PROBE_GRACE_MS + SECMOD_PROBE_SLACK_MS);
}

vpn_ms_t secmod_expiry(const struct secmod *sm)
{
	vpn_ms_t e = session_table_expiry(sm->table);

	for (const struct sm_login *l = sm->logins; l != NULL; l = l->next)
		e = vpn_ms_min(e, login_deadline(l));
	for (const struct sm_auth *a = sm->auths; a != NULL; a = a->next)
		if (a->request_id == 0)
			e = vpn_ms_min(e, a->deadline);
	return vpn_ms_min(e, acct_expiry(&sm->acct, sm->table));
}

void secmod_handle_expiry(struct secmod *sm, vpn_ms_t now)
{
	struct sm_login *l, *next;

	sm->now = now;
	session_table_handle_expiry(sm->table, now);
	acct_tick(&sm->acct, sm->table, now);
	for (struct sm_auth *a = sm->auths, *an; a != NULL; a = an) {
		an = a->next;
		if (a->request_id == 0 && vpn_ms_reached(a->deadline, now)) {
			log_info("login of '%s' from %s: no answer to the further form in %u s",
				 LOG_ESC(a->username), a->remote_ip, SECMOD_AUTH_ROUND_MS / 1000);
			sm_auth_free(a);
		}
	}
	for (l = sm->logins; l != NULL; l = next) {
		next = l->next;
		if (!vpn_ms_reached(login_deadline(l), now))
			continue;
		for (size_t i = 0; i < l->n_probes; i++) {
			if (!l->probes[i].answered) {
				log_info("session probe for the login of '%s' unanswered: silent",
					 LOG_ESC(l->username));
				l->probes[i].answered = true;
				l->probes[i].alive = false;
			}
		}
		if (login_decide(sm, l, now) == LOGIN_DONE) {
			login_free(sm, l);
		} else if (vpn_ms_reached(login_deadline(l), now)) {
			/* nothing left to wait for: never hold a login forever */
			login_refuse_too_many(sm, l->request_id, l->username, l->remote_ip);
			login_free(sm, l);
		}
	}
}

/* --- the session store --------------------------------------------------------- */

static int64_t wall_clock_ms(void);

static struct store_clock store_now(const struct secmod *sm)
{
	struct store_clock c = { .mono_ms = sm->now };

	c.wall_ms = sm->ops.wall_ms != NULL ? sm->ops.wall_ms(sm->opaque) : wall_clock_ms();
	return c;
}

/* Write s as it is now (or delete it once ended): one transaction. A
 * failure is logged; the session goes on in memory. */
/* The store's record of s (its texts point into s). */
static void record_of(const struct secmod_session *s, struct store_clock now, struct store_record *r)
{
	struct session_table_counters tot = session_table_totals(s);

	*r = (struct store_record){
		.serial = s->serial,
		.username = s->username,
		.group = s->group,
		.remote_ip = s->remote_ip,
		.last_remote_ip = s->last_remote_ip,
		.ipv4 = s->ipv4,
		.state = s->m.state,
		.drop_reason = s->m.drop_reason,
		.authenticated_ms = store_mono_to_wall(s->m.created_ms, now),
		.drop_ms = store_mono_to_wall(s->m.drop_ms, now),
		.resumes = s->m.resumes,
		.attaches = s->m.attaches,
		.restarts = s->restarts,
		.cfg = s->m.cfg,
		.totals = { tot.bytes_in, tot.bytes_out, tot.packets_in, tot.packets_out },
	};
	memcpy(r->sid, s->sid, sizeof(r->sid));
	memcpy(r->cookie_hash, s->cookie_hash, sizeof(r->cookie_hash));
	memcpy(r->ipv6, s->ipv6.s6_addr, sizeof(r->ipv6));
	if (s->attrs != NULL) {
		/* valid until the next call: each record is written before the next */
		static uint8_t blob[STORE_ATTRS_MAX];

		r->attrs_len = session_attrs_pack(s->attrs, blob, sizeof(blob));
		r->attrs = blob;
	}
}

static void cluster_persist(struct secmod *sm, const struct secmod_session *s);

static void persist(struct secmod *sm, const struct secmod_session *s)
{
	struct store_record r;
	int rc;

	if (sm->cl != NULL) {
		cluster_persist(sm, s);
		return;
	}
	if (sm->store == NULL)
		return;
	if (s->m.state == VPN_SESSION_ENDED) {
		rc = store_delete(sm->store, s->serial);
	} else {
		record_of(s, store_now(sm), &r);
		rc = store_put(sm->store, &r);
	}
	if (rc < 0) {
		sm->store_errors++;
		log_err("session store: writing session %.*s: %s", (int)SESSION_ID_SHORT_LEN, s->sid,
			store_errmsg(sm->store));
	}
}

/* Restored sessions logged one by one at start; the rest at debug level. */
#define SECMOD_RESTORE_LOG_MAX 20

struct restore {
	struct secmod *sm;
	struct store_clock now;
	int64_t alive_ms;
	size_t n;
};

/* A table record (snap's texts point into r) for the stored record r, as
 * store_to_machine() has it at now; its wall-clock deadline. */
static int64_t snap_of_record(const struct store_record *r, int64_t alive_ms, struct store_clock now,
			      struct secmod_session *snap)
{
	_Static_assert(STORE_SID_LEN == SESSION_ID_LEN, "session ids");
	_Static_assert(STORE_HASH_LEN == COOKIE_HASH_LEN, "cookie hashes");
	_Static_assert(STORE_IPV6_LEN == sizeof(struct in6_addr), "IPv6 leases");
	memset(snap, 0, sizeof(*snap));
	snap->serial = r->serial;
	memcpy(snap->sid, r->sid, sizeof(snap->sid));
	memcpy(snap->cookie_hash, r->cookie_hash, sizeof(snap->cookie_hash));
	snap->username = (char *)r->username;
	snap->group = (char *)r->group;
	snprintf(snap->remote_ip, sizeof(snap->remote_ip), "%s", r->remote_ip);
	snprintf(snap->last_remote_ip, sizeof(snap->last_remote_ip), "%s", r->last_remote_ip);
	snap->ipv4 = r->ipv4;
	memcpy(snap->ipv6.s6_addr, r->ipv6, sizeof(snap->ipv6));
	snap->restarts = r->restarts;
	snap->done = (struct session_table_counters){ r->totals.bytes_in, r->totals.bytes_out,
						 r->totals.packets_in, r->totals.packets_out };
	if (r->attrs_len > 0) {
		static struct session_attrs attrs;  /* valid until the next call */

		if (session_attrs_unpack(r->attrs, r->attrs_len, &attrs) == 0)
			snap->attrs = &attrs;
	}
	return store_to_machine(r, alive_ms, now, &snap->m);
}

static int restore_cb(void *opaque, const struct store_record *r)
{
	struct restore *c = opaque;
	struct secmod_session snap, *s;
	char ip[INET_ADDRSTRLEN];
	int64_t deadline;

	deadline = snap_of_record(r, c->alive_ms, c->now, &snap);
	snap.restarts = r->restarts + 1;
	s = session_table_restore(c->sm->table, &snap);
	if (s == NULL) {
		log_err("session store: restoring session %.*s: %s", (int)SESSION_ID_SHORT_LEN,
			r->sid, strerror(errno));
		return 0;
	}
	c->n++;
	inet_ntop(AF_INET, &s->ipv4, ip, sizeof(ip));
	/* one line each for the first few, then only the summary (a large
	 * store must not flood the log at start) */
	log_msg(c->n <= SECMOD_RESTORE_LOG_MAX ? LOG_LVL_INFO : LOG_LVL_DEBUG,
		"restored session %.*s of user '%s' (%s): %s (%s, resume deadline in %lld s)",
		(int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), s->ipv4 != 0 ? ip : "no address",
		s->m.state == VPN_SESSION_WAITING ? "waiting" : "authenticated",
		vpn_end_reason_str(s->m.drop_reason),
		deadline > c->now.wall_ms ? (long long)(deadline - c->now.wall_ms + 999) / 1000 : 0LL);
	emit_session(c->sm, s, false);
	return 0;
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int secmod_store_open(const char *path, struct store **out)
{
	char err[PATH_MAX + 512], moved[PATH_MAX + 64];
	int rc = store_prepare_dir(path);

	*out = NULL;
	if (rc < 0) {
		log_err("session store %s: creating its directory: %s", path, strerror(-rc));
		return SECMOD_E_STORE;
	}
	rc = store_open(out, path, err, sizeof(err));
	if (rc == STORE_E_CORRUPT) {
		rc = store_move_aside(path, wall_clock_ms() / 1000, moved, sizeof(moved));
		if (rc < 0) {
			log_err("%s; moving it aside failed: %s", err, strerror(-rc));
			return SECMOD_E_STORE;
		}
		log_err("%s: moved aside to %s; starting with no sessions", err, moved);
		rc = store_open(out, path, err, sizeof(err));
	}
	if (rc != 0) {
		log_err("%s", err);
		return SECMOD_E_STORE;
	}
	return 0;
}

void secmod_set_pam(struct secmod *sm, int fd)
{
	sm->pam.helper_fd = fd;
}

void secmod_set_store(struct secmod *sm, struct store *st)
{
	sm->store = st;
}

static int store_start(struct secmod *sm, const char *path, vpn_ms_t now)
{
	struct restore c = { .sm = sm };
	size_t skipped = 0, ended;
	int rc;

	sm->now = now;
	c.now = store_now(sm);
	if (sm->store == NULL && secmod_store_open(path, &sm->store) != 0)
		return SECMOD_E_STORE;
	c.alive_ms = store_alive(sm->store);
	sm->restoring = true;
	rc = store_load(sm->store, restore_cb, &c, &skipped);
	sm->restoring = false;
	if (rc != 0) {
		sm->store_errors++;
		log_err("session store %s: reading it stopped early: %s", path,
			store_errmsg(sm->store));
	}
	if (skipped > 0)
		log_warn("session store %s: %zu invalid record%s skipped", path, skipped,
			 skipped == 1 ? "" : "s");
	/* what became of the active ones, and the restart count, on disk too:
	 * one statement for the whole restart */
	if (store_mark_restart(sm->store, c.alive_ms, c.now.wall_ms) < 0) {
		sm->store_errors++;
		log_err("session store %s: %s", path, store_errmsg(sm->store));
	}
	ended = session_table_handle_expiry(sm->table, now);
	(void)store_set_alive(sm->store, c.now.wall_ms);
	log_info("session store %s: %zu session%s restored, %zu ended while the server was down",
		 path, c.n, c.n == 1 ? "" : "s", ended);
	return 0;
}

static void cluster_refresh(struct secmod *sm);

void secmod_store_alive(struct secmod *sm)
{
	if (sm->cl != NULL)
		cluster_refresh(sm);
	if (sm->store != NULL && store_set_alive(sm->store, store_now(sm).wall_ms) < 0) {
		sm->store_errors++;
		log_err("session store: %s", store_errmsg(sm->store));
	}
}

bool secmod_wants_alive(const struct secmod *sm)
{
	return sm->cl != NULL || sm->store != NULL;
}

void secmod_store_close(struct secmod *sm, vpn_ms_t now)
{
	size_t n = 0;

	if (sm->store == NULL)
		return;
	sm->now = now;
	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next) {
		if (s->m.state != VPN_SESSION_ACTIVE)
			continue;
		session_table_tunnel_end(sm->table, s, VPN_END_SERVER_RESTART, now);
		persist(sm, s);
		n++;
	}
	secmod_store_alive(sm);
	if (n > 0)
		log_info("session store: %zu session%s still active saved as waiting to resume", n,
			 n == 1 ? "" : "s");
	store_close(sm->store);
	sm->store = NULL;
}

/* --- the cluster's session store ----------------------------------------------- */

void secmod_set_cluster(struct secmod *sm, const struct secmod_cluster_ops *ops, void *b,
			const char *gw)
{
	sm->cl = ops;
	sm->cl_b = b;
	snprintf(sm->gw, sizeof(sm->gw), "%s", gw);
}

/* When the record of s expires in the store (Unix ms): its session
 * deadline. An active session's record is pushed on by its gateway every
 * alive period (cluster_refresh), so one whose gateway died expires at
 * most cookie-timeout and three periods after that gateway last wrote it. */
static int64_t cluster_expire(const struct secmod_session *s, struct store_clock now)
{
	int64_t e = store_mono_to_wall(vpn_session_deadline(&s->m), now);
	int64_t cap;

	if (s->m.state != VPN_SESSION_ACTIVE)
		return e;
	cap = now.wall_ms + (int64_t)s->m.cfg.cookie_timeout_ms + 3 * SECMOD_ALIVE_PERIOD_S * 1000;
	return e == STORE_NO_TIME || e > cap ? cap : e;
}

static void cluster_persist(struct secmod *sm, const struct secmod_session *s)
{
	struct store_clock now = store_now(sm);
	struct store_record r;

	record_of(s, now, &r);
	if (s->m.state == VPN_SESSION_ENDED)
		sm->cl->del(sm->cl_b, &r);
	else
		sm->cl->put(sm->cl_b, &r, cluster_expire(s, now));
}

static void cluster_refresh(struct secmod *sm)
{
	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next)
		if (s->m.state == VPN_SESSION_ACTIVE)
			cluster_persist(sm, s);
}

void secmod_cluster_republish(struct secmod *sm)
{
	size_t n = 0;

	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next) {
		if (s->m.state == VPN_SESSION_ENDED)
			continue;
		cluster_persist(sm, s);
		n++;
	}
	log_info("session store: %zu session%s of this gateway (%s) written again", n,
		 n == 1 ? "" : "s", sm->gw);
}

static struct secmod_session *find_hash(const struct secmod *sm, const uint8_t *hash)
{
	for (struct secmod_session *s = session_table_first(sm->table); s != NULL; s = s->next)
		if (cookie_hash_equal(s->cookie_hash, hash))
			return s;
	return NULL;
}

/* This gateway no longer holds s: its tunnel here ends (main is told), and
 * the record goes at once, so that a CONNECT here asks the store again. */
static void cluster_drop_local(struct secmod *sm, struct secmod_session *s, const char *bye,
			       vpn_ms_t now)
{
	snprintf(sm->bye_text, sizeof(sm->bye_text), "%s", bye != NULL ? bye : "");
	if (s->m.state != VPN_SESSION_ENDED)
		session_table_terminate(sm->table, s, VPN_END_SUPERSEDED, now);
	sm->bye_text[0] = '\0';
	emit_session(sm, s, true);
	session_table_forget(sm->table, s);
}

void secmod_cluster_taken(struct secmod *sm, const uint8_t *hash, const char *from, vpn_ms_t now)
{
	struct secmod_session *s = find_hash(sm, hash);
	char bye[96];

	sm->now = now;
	if (s == NULL)
		return;
	log_info("session %.*s of user '%s' (%s) taken over by gateway %s: it ends here",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username),
		 vpn_session_state_str(s->m.state), from);
	snprintf(bye, sizeof(bye), "taken over by gateway %s", from);
	cluster_drop_local(sm, s, bye, now);
}

void secmod_cluster_put_result(struct secmod *sm, const uint8_t *hash, int result, vpn_ms_t now)
{
	struct secmod_session *s = find_hash(sm, hash);
	char ip[INET_ADDRSTRLEN];

	sm->now = now;
	if (s == NULL || s->m.state == VPN_SESSION_ENDED)
		return;
	inet_ntop(AF_INET, &s->ipv4, ip, sizeof(ip));
	if (result == SECMOD_PUT_TAKEN)
		log_warn("session %.*s of user '%s': another gateway holds it in the session store: "
			 "it ends here", (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username));
	else
		log_warn("session %.*s of user '%s': its address %s is another session's in the "
			 "session store (the store lost its data meanwhile): it ends here",
			 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), ip);
	cluster_drop_local(sm, s, NULL, now);
}

static struct sm_open *open_find(struct secmod *sm, uint64_t id, struct sm_open ***link)
{
	for (struct sm_open **pp = &sm->opens; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			*link = pp;
			return *pp;
		}
	}
	return NULL;
}

/* The end of a waiting CONNECT: 503 when busy, else answered for s. */
static void open_end(struct secmod *sm, struct sm_open *o, struct secmod_session *s, bool busy,
		     vpn_ms_t now)
{
	struct sm_open **link;

	if (open_find(sm, o->id, &link) != NULL)
		*link = o->next;
	if (busy)
		open_refuse_busy(sm, o->request_id);
	else
		open_finish(sm, o->request_id, o->remote_ip, o->worker_pid, s, now);
	free(o);
}

/* A session about to be let in needs its address from the cluster's pool
 * (predictable-ips: the search starts at the user's hashed address). */
static void open_lease(struct secmod *sm, struct sm_open *o, struct secmod_session *s, vpn_ms_t now)
{
	uint32_t seed;

	if (s->ipv4 != 0 || sm->pool_count == 0) {
		open_end(sm, o, s, false, now);
		return;
	}
	if (sm->predictable_ips && sm->ops.user_seed != NULL)
		seed = sm->ops.user_seed(s->username);
	else
		memcpy(&seed, s->cookie_hash, sizeof(seed)); /* random: the cookie is */
	if (sm->cl->lease(sm->cl_b, s->cookie_hash, sm->pool_first, sm->pool_count,
			  seed % sm->pool_count,
			  cluster_expire(s, store_now(sm)), o->id) < 0)
		open_end(sm, o, NULL, true, now);
}

static void cluster_open(struct secmod *sm, const SmOpenRequest *r, struct secmod_session *s,
			 vpn_ms_t now)
{
	struct sm_open *o;

	if (!sm->cl->ready(sm->cl_b)) {
		log_warn("CONNECT from %s refused (503): the session store (Redis) is unreachable",
			 r->remote_ip);
		open_refuse_busy(sm, r->request_id);
		return;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		open_refuse_busy(sm, r->request_id);
		return;
	}
	o->id = ++sm->next_open_id;
	o->request_id = r->request_id;
	snprintf(o->remote_ip, sizeof(o->remote_ip), "%s", r->remote_ip);
	o->worker_pid = r->has_worker_pid ? r->worker_pid : 0;
	o->next = sm->opens;
	sm->opens = o;
	if (s != NULL) {
		o->serial = s->serial;
		if (s->m.state == VPN_SESSION_ENDED)
			open_end(sm, o, s, false, now);
		else
			open_lease(sm, o, s, now);
		return;
	}
	if (!cookie_is_wellformed(r->cookie) || cookie_hash(r->cookie, o->hash) < 0)
		open_end(sm, o, NULL, false, now); /* no use asking the store */
	else if (sm->cl->claim(sm->cl_b, o->hash, o->id) < 0)
		open_end(sm, o, NULL, true, now);
}

/* A record another gateway (or this one, before a restart) wrote: a new
 * local record for it, under a serial of this gateway. */
static struct secmod_session *cluster_import(struct secmod *sm, const struct cluster_rec *rec)
{
	struct secmod_session snap, *s;

	(void)snap_of_record(&rec->r, rec->seen_ms, store_now(sm), &snap);
	snap.serial = session_table_next_serial(sm->table);
	s = session_table_restore(sm->table, &snap);
	if (s == NULL) {
		log_err("session store: taking session %.*s: %s", (int)SESSION_ID_SHORT_LEN,
			rec->r.sid, strerror(errno));
		return NULL;
	}
	log_info("session %.*s of user '%s' taken from gateway %s, where it was %s",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), rec->gw,
		 vpn_session_state_str(rec->r.state));
	if (strcmp(rec->gw, sm->gw) != 0)
		sm->cl->tell_takeover(sm->cl_b, rec->gw, s->cookie_hash);
	emit_session(sm, s, false);
	return s;
}

void secmod_cluster_claimed(struct secmod *sm, uint64_t id, const struct cluster_rec *rec,
			    int err, vpn_ms_t now)
{
	struct sm_open **link, *o = open_find(sm, id, &link);
	struct secmod_session *s;

	if (o == NULL)
		return;
	sm->now = now;
	if (err < 0) {
		log_warn("CONNECT from %s refused (503): the session store did not answer",
			 o->remote_ip);
		open_end(sm, o, NULL, true, now);
		return;
	}
	if (rec == NULL || !cookie_hash_equal(rec->r.cookie_hash, o->hash)) {
		open_end(sm, o, NULL, false, now);
		return;
	}
	s = find_hash(sm, o->hash);
	if (s == NULL)
		s = cluster_import(sm, rec);
	if (s == NULL) {
		open_end(sm, o, NULL, true, now);
		return;
	}
	o->serial = s->serial;
	open_lease(sm, o, s, now);
}

void secmod_cluster_leased(struct secmod *sm, uint64_t id, uint32_t ipv4, int err, vpn_ms_t now)
{
	struct sm_open **link, *o = open_find(sm, id, &link);
	struct secmod_session *s;

	if (o == NULL)
		return;
	sm->now = now;
	s = session_table_find_serial(sm->table, o->serial);
	if (err < 0 || ipv4 == 0) {
		log_warn("CONNECT from %s refused (503): %s", o->remote_ip,
			 err < 0 ? "the session store did not answer"
				 : "no free address in the cluster's pool");
		open_end(sm, o, NULL, true, now);
		return;
	}
	if (s != NULL && s->m.state != VPN_SESSION_ENDED)
		s->ipv4 = ipv4;
	open_end(sm, o, s, false, now);
}

/* A stored record as a list entry: its state as written (an active one is
 * not taken for dropped, as a claim would), its times on this clock. */
static void listed_msg(struct secmod *sm, const struct cluster_rec *rec, struct secmod_session *snap,
		       SmSession *msg, TunnelStats *tot)
{
	(void)snap_of_record(&rec->r, rec->seen_ms, store_now(sm), snap);
	snap->m.state = rec->r.state;
	snap->m.drop_reason = rec->r.drop_reason;
	if (rec->r.state == VPN_SESSION_ACTIVE)
		snap->m.drop_ms = VPN_NEVER;
	secmod_session_to_msg(snap, msg, tot);
	msg->attrs = NULL; /* a listing does not carry them (shared storage) */
	msg->gateway = (char *)rec->gw;
}

void secmod_cluster_listed(struct secmod *sm, uint64_t id, const struct cluster_rec *recs,
			   size_t n, int err)
{
	static struct secmod_session snaps[SECMOD_LIST_CHUNK];
	SmSession msgs[SECMOD_LIST_CHUNK];
	TunnelStats tots[SECMOD_LIST_CHUNK];
	SmSession *ptrs[SECMOD_LIST_CHUNK];
	size_t i = 0;

	if (err < 0)
		log_warn("session store: listing the cluster's sessions: the store did not answer "
			 "(%zu read)", n);
	do {
		SmListReply r = SM_LIST_REPLY__INIT;
		size_t k = 0;

		for (; i < n && k < SECMOD_LIST_CHUNK; i++) {
			if (strcmp(recs[i].gw, sm->gw) == 0)
				continue; /* main shows its own from its mirror */
			listed_msg(sm, &recs[i], &snaps[k], &msgs[k], &tots[k]);
			ptrs[k] = &msgs[k];
			k++;
		}
		r.request_id = id;
		r.n_sessions = k;
		r.sessions = ptrs;
		r.last = i >= n;
		sm->ops.send(sm->opaque, IPC_SM_LIST_REPLY, &r.base);
	} while (i < n);
}

void secmod_cluster_terminate(struct secmod *sm, const char *sid, const char *from, vpn_ms_t now)
{
	struct secmod_session *s = session_table_find_sid(sm->table, sid);

	sm->now = now;
	if (s == NULL || s->m.state == VPN_SESSION_ENDED || strcmp(s->sid, sid) != 0)
		return;
	log_info("session %.*s of user '%s' terminated by occtl-modern on gateway %s",
		 (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username), from);
	session_table_terminate(sm->table, s, VPN_END_ADMIN_TERMINATE, now);
}
