/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_SESSION_H
#define VPN_SESSION_H

/*
 * Session (Parent-Tunnel) machine, the fate of a session when its tunnel
 * ends (the reasons are in reason.h) and the max-same-clients rule,
 * doc/spec/liveness.md §2, §2.1, §5 and §9. See session.c for the timers and
 * timeline.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn/reason.h"
#include "vpn/time.h"

/* What a tunnel end does to its session (the §2.1 table). */
enum vpn_session_fate {
	VPN_FATE_WAIT = 0,	/* session -> waiting-to-resume */
	VPN_FATE_END,		/* session -> ended with the same reason */
	VPN_FATE_STAY,		/* session stays active (takeover: a new tunnel has it) */
};
enum vpn_session_fate vpn_end_reason_fate(enum vpn_end_reason r, bool persistent_cookies);
const char *vpn_session_fate_str(enum vpn_session_fate f);

enum vpn_session_state {
	VPN_SESSION_AUTHENTICATED = 0,	/* cookie issued, no tunnel yet */
	VPN_SESSION_ACTIVE,		/* a tunnel is attached */
	VPN_SESSION_WAITING,		/* no tunnel; resumable until the deadline */
	VPN_SESSION_ENDED,		/* terminal; cookie gets 401 */
};
/* "authenticated", "active", "waiting-to-resume", "ended". */
const char *vpn_session_state_str(enum vpn_session_state s);

struct vpn_session_cfg {
	vpn_ms_t cookie_timeout_ms;	/* C: wait before first CONNECT / to resume */
	vpn_ms_t session_timeout_ms;	/* S: lifetime from authentication; 0 = none */
	bool persistent_cookies;	/* idle timeout and admin disconnect keep the session */
};

struct vpn_session {
	struct vpn_session_cfg cfg;
	enum vpn_session_state state;
	enum vpn_end_reason end_reason;	/* why it ended; NONE unless ENDED */
	enum vpn_end_reason drop_reason;/* why the last tunnel ended; NONE if none did */
	vpn_ms_t created_ms;		/* authentication time */
	vpn_ms_t drop_ms;		/* when the last tunnel ended; VPN_NEVER if none */
	vpn_ms_t ended_ms;		/* when it ended; VPN_NEVER while not ENDED */
	uint32_t resumes;		/* CONNECTs that came from waiting-to-resume */
	uint32_t attaches;		/* CONNECTs accepted (first, resumes, takeovers) */
};

/* How vpn_session_on_connect() went. */
enum vpn_connect_result {
	VPN_CONNECT_FIRST = 0,	/* authenticated -> active */
	VPN_CONNECT_RESUME,	/* waiting-to-resume -> active, same IP, no re-auth */
	VPN_CONNECT_TAKEOVER,	/* was already active: the old tunnel must end with TAKEOVER */
	VPN_CONNECT_REFUSED,	/* ended (or expired right now): answer 401 */
};
const char *vpn_connect_result_str(enum vpn_connect_result r);

/* Action bit returned by vpn_session_handle_expiry(). */
enum vpn_session_action {
	VPN_SESSION_ACT_END = 1u << 0,	/* the session just ended (end_reason says why);
					 * if it was active its tunnel must be ended too */
};

/* Return 0 if cfg is usable, -EINVAL otherwise (currently every value is). */
int vpn_session_cfg_check(const struct vpn_session_cfg *cfg);

/* A successful authentication at now: state authenticated, created = now. */
void vpn_session_init(struct vpn_session *s, const struct vpn_session_cfg *cfg, vpn_ms_t now);

/* A CONNECT presenting the cookie at now. Runs handle_expiry(now) first, so a
 * CONNECT exactly at the deadline is refused. Takeover keeps the session
 * active; the caller ends the old tunnel (its end is then reported with
 * VPN_END_TAKEOVER, which leaves the session alone). */
enum vpn_connect_result vpn_session_on_connect(struct vpn_session *s, vpn_ms_t now);

/* The session's tunnel ended at now for reason r (§2.1). Only meaningful
 * while active; otherwise (a late report) nothing changes. VPN_END_NONE is
 * ignored. Returns the resulting state. */
enum vpn_session_state vpn_session_on_tunnel_end(struct vpn_session *s, enum vpn_end_reason r,
						 vpn_ms_t now);

/* Session-level ends, from any state but ENDED (ended sessions are left as
 * they are). Return the state the session was in, so the caller knows whether
 * a tunnel must be ended too (VPN_SESSION_ACTIVE). */
enum vpn_session_state vpn_session_on_admin_terminate(struct vpn_session *s, vpn_ms_t now);
enum vpn_session_state vpn_session_on_superseded(struct vpn_session *s, vpn_ms_t now);
enum vpn_session_state vpn_session_on_shutdown(struct vpn_session *s, vpn_ms_t now);

/* authenticated: min(created + C, created + S); active: created + S;
 * waiting: min(drop + C, created + S); ended: VPN_NEVER. S = 0 contributes
 * VPN_NEVER. Pure. */
vpn_ms_t vpn_session_expiry(const struct vpn_session *s);

/* At or after the deadline: -> ended with SESSION_TIMEOUT if created + S is
 * reached (checked first: session-timeout always wins), else COOKIE_EXPIRED;
 * returns VPN_SESSION_ACT_END. Otherwise (or when already ended) 0. */
unsigned vpn_session_handle_expiry(struct vpn_session *s, vpn_ms_t now);

/* drop + C while waiting, else VPN_NEVER (occtl "resume deadline"). */
vpn_ms_t vpn_session_resume_deadline(const struct vpn_session *s);
/* created + S, or VPN_NEVER without a session timeout (the absolute value a
 * tunnel gets as its session deadline). */
vpn_ms_t vpn_session_deadline(const struct vpn_session *s);

/*
 * Accessors: the adapters (main, occtl's view) read the machine through
 * these, never through the struct's fields. Pure.
 */
enum vpn_session_state vpn_session_get_state(const struct vpn_session *s);
const struct vpn_session_cfg *vpn_session_get_cfg(const struct vpn_session *s);
/* Why it ended; VPN_END_NONE unless ended. */
enum vpn_end_reason vpn_session_end_reason(const struct vpn_session *s);
/* Why its last tunnel ended; VPN_END_NONE if none did. */
enum vpn_end_reason vpn_session_drop_reason(const struct vpn_session *s);
/* Authentication time; when the last tunnel ended (VPN_NEVER if none did);
 * when the session ended (VPN_NEVER while not ended). */
vpn_ms_t vpn_session_created_ms(const struct vpn_session *s);
vpn_ms_t vpn_session_drop_ms(const struct vpn_session *s);
vpn_ms_t vpn_session_ended_ms(const struct vpn_session *s);
/* CONNECTs that resumed it from waiting-to-resume; CONNECTs accepted. */
uint32_t vpn_session_resumes(const struct vpn_session *s);
uint32_t vpn_session_attaches(const struct vpn_session *s);

/*
 * max-same-clients (§9). A new login for a user who already has n sessions
 * (ended ones are ignored) is planned by a pure function over a description
 * of those sessions; the caller applies the per-entry actions and, after a
 * probe, calls it again (at the latest VPN_SAME_PROBE_GRACE_MS later).
 */
#define VPN_SAME_PROBE_GRACE_MS 2000

struct vpn_same_entry {
	enum vpn_session_state state;
	vpn_ms_t drop_ms;	/* waiting: when its tunnel dropped (oldest first) */
	vpn_ms_t cstp_last_rx_ms; /* active: last frame received on CSTP */
	vpn_ms_t dpd_ms;	/* active: its effective D; 0 = no DPD */
	vpn_ms_t probed_ms;	/* active: when we probed it for this login; VPN_NEVER = not yet */
};

enum vpn_same_action {
	VPN_SAME_KEEP = 0,	/* leave it */
	VPN_SAME_END,		/* end it with VPN_END_SUPERSEDED */
	VPN_SAME_PROBE,		/* send it a CSTP DPD-REQ now and set probed_ms = now */
};
const char *vpn_same_action_str(enum vpn_same_action a);

enum vpn_same_verdict {
	VPN_SAME_ALLOW = 0,	/* apply the actions, then accept the login */
	VPN_SAME_WAIT,		/* apply the actions, ask again when a probe's grace ends */
	VPN_SAME_REFUSE,	/* refuse the login; every action is KEEP */
};
const char *vpn_same_verdict_str(enum vpn_same_verdict v);

/* Decide for a login at now with max_same sessions allowed (0 = unlimited).
 * out[i] receives the action for e[i]. Waiting sessions are ended oldest
 * first (smallest drop_ms), then active ones whose CSTP was silent for more
 * than their D are probed, and a probed one still silent
 * VPN_SAME_PROBE_GRACE_MS after the probe is ended. If even all of that could
 * not make room, nothing is touched and the login is refused. */
enum vpn_same_verdict vpn_same_clients_plan(const struct vpn_same_entry *e, size_t n,
					    unsigned max_same, vpn_ms_t now,
					    enum vpn_same_action *out);

#endif /* VPN_SESSION_H */
