/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session (Parent-Tunnel) machine (doc/spec/liveness.md §2, §2.1, §5, §9).
 *
 * A session is created by a successful authentication and outlives its
 * tunnels. Timers, with C = cookie-timeout and S = session-timeout:
 *
 *  - authenticated (cookie issued, no CONNECT yet): ends with cookie-expired
 *    at created + C, or with session-timeout at created + S if that is
 *    earlier.
 *  - active (a tunnel attached): only the session deadline created + S runs;
 *    everything else is the tunnel's business (tunnel.c).
 *  - waiting-to-resume (the tunnel ended for a resumable reason): ends with
 *    cookie-expired at drop + C, or with session-timeout at created + S if
 *    that is earlier. A CONNECT with the cookie before then resumes it: same
 *    IP, no re-authentication, one more resume counted.
 *  - ended: terminal, no timer; a CONNECT gets 401.
 *  - created + S is never moved: resumes do not reset it and time spent
 *    waiting counts. When both deadlines fall on the same ms, session-timeout
 *    wins (it is the session-level reason that always ends the session).
 *
 *   C = 300 s, S = 3600 s
 *
 *   auth   CONNECT        drop          CONNECT (resume)      created+S
 *   |------|--------------|-------------|---------------------|
 *    auth'd  active         waiting        active               ended
 *                           (deadline drop+300 s)               session-timeout
 *
 * How a tunnel end affects the session is the §2.1 table, implemented as the
 * pure vpn_end_reason_fate(); persistent-cookies turns idle-timeout and
 * admin-disconnect from "end" into "wait".
 */
#include "config.h"

#include <errno.h>

#include "vpn/session.h"

enum vpn_session_fate vpn_end_reason_fate(enum vpn_end_reason r, bool persistent_cookies)
{
	switch (r) {
	case VPN_END_DPD_TIMEOUT:
	case VPN_END_TUNNEL_LOST:
	case VPN_END_CLIENT_RECONNECTING:
	case VPN_END_WORKER_CRASHED:
	case VPN_END_SERVER_RESTART:
		return VPN_FATE_WAIT;
	case VPN_END_TAKEOVER:
		return VPN_FATE_STAY;
	case VPN_END_IDLE_TIMEOUT:
	case VPN_END_ADMIN_DISCONNECT:
		return persistent_cookies ? VPN_FATE_WAIT : VPN_FATE_END;
	case VPN_END_NONE:	/* not an end; callers filter it, be safe */
	case VPN_END_USER_DISCONNECT:
	case VPN_END_SESSION_TIMEOUT:
	case VPN_END_ADMIN_TERMINATE:
	case VPN_END_SERVER_SHUTDOWN:
	case VPN_END_COOKIE_EXPIRED:
	case VPN_END_SUPERSEDED:
		return VPN_FATE_END;
	}
	return VPN_FATE_END;
}

const char *vpn_session_fate_str(enum vpn_session_fate f)
{
	switch (f) {
	case VPN_FATE_WAIT:
		return "wait";
	case VPN_FATE_END:
		return "end";
	case VPN_FATE_STAY:
		return "stay";
	}
	return "unknown";
}

const char *vpn_session_state_str(enum vpn_session_state s)
{
	switch (s) {
	case VPN_SESSION_AUTHENTICATED:
		return "authenticated";
	case VPN_SESSION_ACTIVE:
		return "active";
	case VPN_SESSION_WAITING:
		return "waiting-to-resume";
	case VPN_SESSION_ENDED:
		return "ended";
	}
	return "unknown";
}

const char *vpn_connect_result_str(enum vpn_connect_result r)
{
	switch (r) {
	case VPN_CONNECT_FIRST:
		return "first";
	case VPN_CONNECT_RESUME:
		return "resume";
	case VPN_CONNECT_TAKEOVER:
		return "takeover";
	case VPN_CONNECT_REFUSED:
		return "refused";
	}
	return "unknown";
}

int vpn_session_cfg_check(const struct vpn_session_cfg *cfg)
{
	/* Every C and S is meaningful (C = 0: no grace at all); only the
	 * pointer can be wrong. */
	return cfg == NULL ? -EINVAL : 0;
}

void vpn_session_init(struct vpn_session *s, const struct vpn_session_cfg *cfg, vpn_ms_t now)
{
	s->cfg = *cfg;
	s->state = VPN_SESSION_AUTHENTICATED;
	s->end_reason = VPN_END_NONE;
	s->drop_reason = VPN_END_NONE;
	s->created_ms = now;
	s->drop_ms = VPN_NEVER;
	s->ended_ms = VPN_NEVER;
	s->resumes = 0;
	s->attaches = 0;
}

vpn_ms_t vpn_session_deadline(const struct vpn_session *s)
{
	if (s->cfg.session_timeout_ms == 0)
		return VPN_NEVER;
	return vpn_ms_add(s->created_ms, s->cfg.session_timeout_ms);
}

vpn_ms_t vpn_session_resume_deadline(const struct vpn_session *s)
{
	if (s->state != VPN_SESSION_WAITING)
		return VPN_NEVER;
	return vpn_ms_add(s->drop_ms, s->cfg.cookie_timeout_ms);
}

enum vpn_session_state vpn_session_get_state(const struct vpn_session *s)
{
	return s->state;
}

const struct vpn_session_cfg *vpn_session_get_cfg(const struct vpn_session *s)
{
	return &s->cfg;
}

enum vpn_end_reason vpn_session_end_reason(const struct vpn_session *s)
{
	return s->end_reason;
}

enum vpn_end_reason vpn_session_drop_reason(const struct vpn_session *s)
{
	return s->drop_reason;
}

vpn_ms_t vpn_session_created_ms(const struct vpn_session *s)
{
	return s->created_ms;
}

vpn_ms_t vpn_session_drop_ms(const struct vpn_session *s)
{
	return s->drop_ms;
}

vpn_ms_t vpn_session_ended_ms(const struct vpn_session *s)
{
	return s->ended_ms;
}

uint32_t vpn_session_resumes(const struct vpn_session *s)
{
	return s->resumes;
}

uint32_t vpn_session_attaches(const struct vpn_session *s)
{
	return s->attaches;
}

/* The cookie deadline of the current state: first CONNECT or resume. */
static vpn_ms_t cookie_deadline(const struct vpn_session *s)
{
	switch (s->state) {
	case VPN_SESSION_AUTHENTICATED:
		return vpn_ms_add(s->created_ms, s->cfg.cookie_timeout_ms);
	case VPN_SESSION_WAITING:
		return vpn_ms_add(s->drop_ms, s->cfg.cookie_timeout_ms);
	case VPN_SESSION_ACTIVE:
	case VPN_SESSION_ENDED:
		return VPN_NEVER;
	}
	return VPN_NEVER;
}

vpn_ms_t vpn_session_expiry(const struct vpn_session *s)
{
	if (s->state == VPN_SESSION_ENDED)
		return VPN_NEVER;
	return vpn_ms_min(cookie_deadline(s), vpn_session_deadline(s));
}

static void end(struct vpn_session *s, enum vpn_end_reason r, vpn_ms_t now)
{
	s->state = VPN_SESSION_ENDED;
	s->end_reason = r;
	s->ended_ms = now;
}

unsigned vpn_session_handle_expiry(struct vpn_session *s, vpn_ms_t now)
{
	if (s->state == VPN_SESSION_ENDED)
		return 0;
	if (vpn_ms_reached(vpn_session_deadline(s), now)) {
		end(s, VPN_END_SESSION_TIMEOUT, now);
		return VPN_SESSION_ACT_END;
	}
	if (vpn_ms_reached(cookie_deadline(s), now)) {
		end(s, VPN_END_COOKIE_EXPIRED, now);
		return VPN_SESSION_ACT_END;
	}
	return 0;
}

enum vpn_connect_result vpn_session_on_connect(struct vpn_session *s, vpn_ms_t now)
{
	enum vpn_connect_result res = VPN_CONNECT_REFUSED;

	vpn_session_handle_expiry(s, now);
	switch (s->state) {
	case VPN_SESSION_AUTHENTICATED:
		res = VPN_CONNECT_FIRST;
		break;
	case VPN_SESSION_WAITING:
		s->resumes++;
		res = VPN_CONNECT_RESUME;
		break;
	case VPN_SESSION_ACTIVE:
		res = VPN_CONNECT_TAKEOVER;
		break;
	case VPN_SESSION_ENDED:
		return VPN_CONNECT_REFUSED;
	}
	s->state = VPN_SESSION_ACTIVE;
	s->attaches++;
	return res;
}

enum vpn_session_state vpn_session_on_tunnel_end(struct vpn_session *s, enum vpn_end_reason r,
						 vpn_ms_t now)
{
	if (s->state != VPN_SESSION_ACTIVE || r == VPN_END_NONE)
		return s->state;
	switch (vpn_end_reason_fate(r, s->cfg.persistent_cookies)) {
	case VPN_FATE_STAY:
		break;
	case VPN_FATE_WAIT:
		s->state = VPN_SESSION_WAITING;
		s->drop_ms = now;
		s->drop_reason = r;
		break;
	case VPN_FATE_END:
		s->drop_ms = now;
		s->drop_reason = r;
		end(s, r, now);
		break;
	}
	return s->state;
}

static enum vpn_session_state end_from_any(struct vpn_session *s, enum vpn_end_reason r,
					   vpn_ms_t now)
{
	enum vpn_session_state was = s->state;

	if (was != VPN_SESSION_ENDED)
		end(s, r, now);
	return was;
}

enum vpn_session_state vpn_session_on_admin_terminate(struct vpn_session *s, vpn_ms_t now)
{
	return end_from_any(s, VPN_END_ADMIN_TERMINATE, now);
}

enum vpn_session_state vpn_session_on_superseded(struct vpn_session *s, vpn_ms_t now)
{
	return end_from_any(s, VPN_END_SUPERSEDED, now);
}

enum vpn_session_state vpn_session_on_shutdown(struct vpn_session *s, vpn_ms_t now)
{
	return end_from_any(s, VPN_END_SERVER_SHUTDOWN, now);
}

/* --- max-same-clients (§9) ------------------------------------------------ */

const char *vpn_same_action_str(enum vpn_same_action a)
{
	switch (a) {
	case VPN_SAME_KEEP:
		return "keep";
	case VPN_SAME_END:
		return "end";
	case VPN_SAME_PROBE:
		return "probe";
	}
	return "unknown";
}

const char *vpn_same_verdict_str(enum vpn_same_verdict v)
{
	switch (v) {
	case VPN_SAME_ALLOW:
		return "allow";
	case VPN_SAME_WAIT:
		return "wait";
	case VPN_SAME_REFUSE:
		return "refuse";
	}
	return "unknown";
}

/* An active session counts as stale when its CSTP was silent for more than
 * its D (strictly; no DPD means we cannot tell, so never stale). */
static bool active_is_stale(const struct vpn_same_entry *e, vpn_ms_t now)
{
	if (e->dpd_ms == 0)
		return false;
	return now > vpn_ms_add(e->cstp_last_rx_ms, e->dpd_ms);
}

enum vpn_same_verdict vpn_same_clients_plan(const struct vpn_same_entry *e, size_t n,
					    unsigned max_same, vpn_ms_t now,
					    enum vpn_same_action *out)
{
	size_t live = 0, need, freeable = 0, pending = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = VPN_SAME_KEEP;
		if (e[i].state != VPN_SESSION_ENDED)
			live++;
	}
	if (max_same == 0 || live < max_same)
		return VPN_SAME_ALLOW;
	need = live - max_same + 1;

	/* What could be freed at most: every waiting one, every stale or
	 * already probed active one whose probe is not answered. */
	for (size_t i = 0; i < n; i++) {
		switch (e[i].state) {
		case VPN_SESSION_WAITING:
			freeable++;
			break;
		case VPN_SESSION_ACTIVE:
			if (e[i].probed_ms != VPN_NEVER ? e[i].cstp_last_rx_ms < e[i].probed_ms
							 : active_is_stale(&e[i], now))
				freeable++;
			break;
		case VPN_SESSION_AUTHENTICATED:
		case VPN_SESSION_ENDED:
			break;
		}
	}
	if (freeable < need)
		return VPN_SAME_REFUSE;

	/* Waiting sessions, oldest drop first. n is a user's handful of
	 * sessions, so a selection pass per pick is fine. */
	while (need > 0) {
		size_t pick = n;

		for (size_t i = 0; i < n; i++) {
			if (e[i].state != VPN_SESSION_WAITING || out[i] != VPN_SAME_KEEP)
				continue;
			if (pick == n || e[i].drop_ms < e[pick].drop_ms)
				pick = i;
		}
		if (pick == n)
			break;
		out[pick] = VPN_SAME_END;
		need--;
	}

	/* Then active ones: an unanswered probe past its grace ends it, a
	 * probe within its grace is pending, a stale unprobed one is probed. */
	for (size_t i = 0; i < n && need > pending; i++) {
		if (e[i].state != VPN_SESSION_ACTIVE)
			continue;
		if (e[i].probed_ms != VPN_NEVER) {
			if (e[i].cstp_last_rx_ms >= e[i].probed_ms)
				continue;	/* it answered: alive */
			if (vpn_ms_reached(vpn_ms_add(e[i].probed_ms, VPN_SAME_PROBE_GRACE_MS), now)) {
				out[i] = VPN_SAME_END;
				need--;
			} else {
				pending++;
			}
		} else if (active_is_stale(&e[i], now)) {
			out[i] = VPN_SAME_PROBE;
			pending++;
		}
	}
	return need == 0 ? VPN_SAME_ALLOW : VPN_SAME_WAIT;
}
