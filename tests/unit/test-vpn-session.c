/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/vpn/session.c: session states and deadlines, end reasons,
 * the §2.1 table and max-same-clients (doc/spec/liveness.md §2, §5, §9). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/session.h"
#include "vpn-test-util.h"

enum {
	EV_CONNECT = 1,		/* returns enum vpn_connect_result */
	EV_TUNNEL_END,		/* arg: reason; returns the new state */
	EV_TERMINATE,		/* returns the previous state */
	EV_SUPERSEDED,
	EV_SHUTDOWN,
};

static unsigned s_handle(void *m, vpn_ms_t now)
{
	return vpn_session_handle_expiry(m, now);
}

static unsigned s_event(void *m, int ev, uint64_t arg, vpn_ms_t now)
{
	switch (ev) {
	case EV_CONNECT:
		return vpn_session_on_connect(m, now);
	case EV_TUNNEL_END:
		return vpn_session_on_tunnel_end(m, (enum vpn_end_reason)arg, now);
	case EV_TERMINATE:
		return vpn_session_on_admin_terminate(m, now);
	case EV_SUPERSEDED:
		return vpn_session_on_superseded(m, now);
	case EV_SHUTDOWN:
		return vpn_session_on_shutdown(m, now);
	}
	ck_abort_msg("unknown event %d", ev);
	return 0;
}

static vpn_ms_t s_expiry(const void *m)
{
	return vpn_session_expiry(m);
}

static const struct vpn_machine_ops session_ops = {
	.size = sizeof(struct vpn_session),
	.handle = s_handle,
	.event = s_event,
	.expiry = s_expiry,
	.is_rx = NULL,
};

#define END VPN_SESSION_ACT_END
#define NEVER VPN_NEVER
#define ACTIVE VPN_SESSION_ACTIVE
#define WAITING VPN_SESSION_WAITING
#define ENDED VPN_SESSION_ENDED

static void init(struct vpn_session *s, vpn_ms_t c, vpn_ms_t st, bool persistent, vpn_ms_t now)
{
	struct vpn_session_cfg cfg = {
		.cookie_timeout_ms = c, .session_timeout_ms = st, .persistent_cookies = persistent,
	};

	ck_assert_int_eq(vpn_session_cfg_check(&cfg), 0);
	vpn_session_init(s, &cfg, now);
}

/* C = 300 s, S = 3600 s: connect, drop, resume, drop, session timeout. */
START_TEST(lifecycle)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 0, VPN_EV_EXPIRY, 0, 0, 300000 },
		{ 10000, EV_CONNECT, 0, VPN_CONNECT_FIRST, 3600000 },
		{ 100000, EV_TUNNEL_END, VPN_END_DPD_TIMEOUT, WAITING, 400000 },
		{ 399999, VPN_EV_EXPIRY, 0, 0, 400000 },
		{ 399999, EV_CONNECT, 0, VPN_CONNECT_RESUME, 3600000 },
		{ 3500000, EV_TUNNEL_END, VPN_END_TUNNEL_LOST, WAITING, 3600000 },
		{ 3599999, VPN_EV_EXPIRY, 0, 0, 3600000 },
		{ 3600000, VPN_EV_EXPIRY, 0, END, NEVER },
		{ 3600001, EV_CONNECT, 0, VPN_CONNECT_REFUSED, NEVER },
	};

	init(&s, 300000, 3600000, false, 0);
	ck_assert_int_eq(s.state, VPN_SESSION_AUTHENTICATED);
	VPN_STEPS(&session_ops, &s, steps);
	ck_assert_int_eq(s.state, ENDED);
	ck_assert_int_eq(s.end_reason, VPN_END_SESSION_TIMEOUT);
	ck_assert_int_eq(s.drop_reason, VPN_END_TUNNEL_LOST);
	ck_assert_uint_eq(s.drop_ms, 3500000);
	ck_assert_uint_eq(s.ended_ms, 3600000);
	ck_assert_uint_eq(s.resumes, 1);
	ck_assert_uint_eq(s.attaches, 2);
}
END_TEST

/* The accessors read what the lifecycle above checks field by field. */
START_TEST(accessors)
{
	struct vpn_session s;

	init(&s, 300000, 3600000, true, 1000);
	ck_assert_int_eq(vpn_session_get_state(&s), VPN_SESSION_AUTHENTICATED);
	ck_assert_uint_eq(vpn_session_get_cfg(&s)->cookie_timeout_ms, 300000);
	ck_assert_uint_eq(vpn_session_get_cfg(&s)->session_timeout_ms, 3600000);
	ck_assert(vpn_session_get_cfg(&s)->persistent_cookies);
	ck_assert_uint_eq(vpn_session_created_ms(&s), 1000);
	ck_assert_uint_eq(vpn_session_drop_ms(&s), NEVER);
	ck_assert_uint_eq(vpn_session_ended_ms(&s), NEVER);
	ck_assert_int_eq(vpn_session_drop_reason(&s), VPN_END_NONE);
	ck_assert_int_eq(vpn_session_end_reason(&s), VPN_END_NONE);

	ck_assert_int_eq(vpn_session_on_connect(&s, 2000), VPN_CONNECT_FIRST);
	ck_assert_int_eq(vpn_session_on_tunnel_end(&s, VPN_END_DPD_TIMEOUT, 3000), WAITING);
	ck_assert_int_eq(vpn_session_on_connect(&s, 4000), VPN_CONNECT_RESUME);
	ck_assert_int_eq(vpn_session_get_state(&s), ACTIVE);
	ck_assert_uint_eq(vpn_session_resumes(&s), 1);
	ck_assert_uint_eq(vpn_session_attaches(&s), 2);
	ck_assert_int_eq(vpn_session_drop_reason(&s), VPN_END_DPD_TIMEOUT);
	ck_assert_uint_eq(vpn_session_drop_ms(&s), 3000);

	ck_assert_int_eq(vpn_session_on_admin_terminate(&s, 5000), ACTIVE);
	ck_assert_int_eq(vpn_session_get_state(&s), ENDED);
	ck_assert_int_eq(vpn_session_end_reason(&s), VPN_END_ADMIN_TERMINATE);
	ck_assert_uint_eq(vpn_session_ended_ms(&s), 5000);
}
END_TEST

START_TEST(cookie_expires_before_first_connect)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 299999, VPN_EV_EXPIRY, 0, 0, 300000 },
		{ 300000, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	init(&s, 300000, 0, false, 0);
	ck_assert_uint_eq(vpn_session_deadline(&s), NEVER);
	VPN_STEPS(&session_ops, &s, steps);
	ck_assert_int_eq(s.end_reason, VPN_END_COOKIE_EXPIRED);
}
END_TEST

/* S shorter than C: the session timeout ends even an unused cookie. */
START_TEST(session_timeout_before_first_connect)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 1099, VPN_EV_EXPIRY, 0, 0, 1100 },
		{ 1100, VPN_EV_EXPIRY, 0, END, NEVER },
	};

	init(&s, 300000, 100, false, 1000);
	VPN_STEPS(&session_ops, &s, steps);
	ck_assert_int_eq(s.end_reason, VPN_END_SESSION_TIMEOUT);
}
END_TEST

/* A CONNECT exactly at the deadline is refused (the deadline is reached). */
START_TEST(connect_at_deadline_refused)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 1000, EV_CONNECT, 0, VPN_CONNECT_FIRST, NEVER },
		{ 6000, EV_TUNNEL_END, VPN_END_CLIENT_RECONNECTING, WAITING, 8000 },
		{ 8000, EV_CONNECT, 0, VPN_CONNECT_REFUSED, NEVER },
	};

	init(&s, 2000, 0, false, 0);
	VPN_STEPS(&session_ops, &s, steps);
	ck_assert_int_eq(s.end_reason, VPN_END_COOKIE_EXPIRED);
	ck_assert_uint_eq(s.ended_ms, 8000);
}
END_TEST

/* drop + C and created + S on the same ms: session-timeout wins. */
START_TEST(tie_goes_to_session_timeout)
{
	struct vpn_session s;

	init(&s, 1000, 10000, false, 0);
	ck_assert_int_eq(vpn_session_on_connect(&s, 1), VPN_CONNECT_FIRST);
	ck_assert_int_eq(vpn_session_on_tunnel_end(&s, VPN_END_TUNNEL_LOST, 9000), WAITING);
	ck_assert_uint_eq(vpn_session_expiry(&s), 10000);
	ck_assert_uint_eq(vpn_session_resume_deadline(&s), 10000);
	ck_assert_uint_eq(vpn_session_handle_expiry(&s, 10000), END);
	ck_assert_int_eq(s.end_reason, VPN_END_SESSION_TIMEOUT);
}
END_TEST

static const vpn_ms_t sweep_s[] = { 2, 10, 90, 1800 };

/* Resumes never push the session deadline: reconnect every C-1 until S. */
START_TEST(resumes_do_not_reset_session_timeout)
{
	struct vpn_session s;
	vpn_ms_t c = vpn_s_to_ms((uint32_t)sweep_s[_i]), st = 10 * c + 7, t = 0;
	uint32_t resumes = 0;

	init(&s, c, st, false, 0);
	ck_assert_int_eq(vpn_session_on_connect(&s, 0), VPN_CONNECT_FIRST);
	for (;;) {
		vpn_ms_t dl;

		t += 1;
		ck_assert_int_eq(vpn_session_on_tunnel_end(&s, VPN_END_DPD_TIMEOUT, t), WAITING);
		dl = vpn_session_expiry(&s);
		ck_assert_uint_eq(dl, vpn_ms_min(t + c, st));
		if (dl <= t + c - 1) {
			/* the session deadline comes first: walk it from both sides */
			ck_assert_uint_eq(vpn_session_handle_expiry(&s, dl - 1), 0);
			ck_assert_uint_eq(vpn_session_handle_expiry(&s, dl), END);
			break;
		}
		t += c - 1;
		ck_assert_uint_eq(vpn_session_handle_expiry(&s, t), 0);
		vpn_check_after_expiry(&session_ops, &s, t, "resume-sweep");
		ck_assert_int_eq(vpn_session_on_connect(&s, t), VPN_CONNECT_RESUME);
		resumes++;
		ck_assert_uint_eq(vpn_session_expiry(&s), st);
	}
	ck_assert_int_eq(s.state, ENDED);
	ck_assert_int_eq(s.end_reason, VPN_END_SESSION_TIMEOUT);
	ck_assert_uint_eq(s.ended_ms, st);
	ck_assert_uint_eq(s.resumes, resumes);
	ck_assert_uint_ge(resumes, 9);
}
END_TEST

/* The waiting deadline walked from both sides for each C. */
START_TEST(waiting_cookie_sweep)
{
	struct vpn_session s;
	vpn_ms_t c = vpn_s_to_ms((uint32_t)sweep_s[_i]), drop = 123456;

	init(&s, c, 0, false, 0);
	vpn_session_on_connect(&s, 1);
	vpn_session_on_tunnel_end(&s, VPN_END_WORKER_CRASHED, drop);
	ck_assert_uint_eq(vpn_session_expiry(&s), drop + c);
	ck_assert_uint_eq(vpn_session_handle_expiry(&s, drop + c - 1), 0);
	vpn_check_after_expiry(&session_ops, &s, drop + c - 1, "c-1");
	ck_assert_uint_eq(vpn_session_handle_expiry(&s, drop + c), END);
	vpn_check_after_expiry(&session_ops, &s, drop + c, "c");
	ck_assert_int_eq(s.end_reason, VPN_END_COOKIE_EXPIRED);
}
END_TEST

/* The §2.1 table, both values of persistent-cookies. */
static const struct {
	enum vpn_end_reason r;
	enum vpn_session_fate plain, persistent;
} fate_table[] = {
	{ VPN_END_DPD_TIMEOUT, VPN_FATE_WAIT, VPN_FATE_WAIT },
	{ VPN_END_TUNNEL_LOST, VPN_FATE_WAIT, VPN_FATE_WAIT },
	{ VPN_END_CLIENT_RECONNECTING, VPN_FATE_WAIT, VPN_FATE_WAIT },
	{ VPN_END_USER_DISCONNECT, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_TAKEOVER, VPN_FATE_STAY, VPN_FATE_STAY },
	{ VPN_END_WORKER_CRASHED, VPN_FATE_WAIT, VPN_FATE_WAIT },
	{ VPN_END_IDLE_TIMEOUT, VPN_FATE_END, VPN_FATE_WAIT },
	{ VPN_END_SESSION_TIMEOUT, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_ADMIN_DISCONNECT, VPN_FATE_END, VPN_FATE_WAIT },
	{ VPN_END_ADMIN_TERMINATE, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_SERVER_SHUTDOWN, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_COOKIE_EXPIRED, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_SUPERSEDED, VPN_FATE_END, VPN_FATE_END },
	{ VPN_END_SERVER_RESTART, VPN_FATE_WAIT, VPN_FATE_WAIT },
	{ VPN_END_NONE, VPN_FATE_END, VPN_FATE_END },
};
#define FATE_N (sizeof(fate_table) / sizeof(fate_table[0]))

static enum vpn_session_state fate_state(enum vpn_session_fate f)
{
	switch (f) {
	case VPN_FATE_WAIT:
		return WAITING;
	case VPN_FATE_END:
		return ENDED;
	case VPN_FATE_STAY:
		return ACTIVE;
	}
	return ENDED;
}

START_TEST(fate_of_each_reason)
{
	unsigned i = (unsigned)_i / 2;
	bool persistent = _i % 2;
	enum vpn_end_reason r = fate_table[i].r;
	enum vpn_session_fate want = persistent ? fate_table[i].persistent : fate_table[i].plain;
	struct vpn_session s;
	enum vpn_session_state st;

	ck_assert_int_eq(vpn_end_reason_fate(r, persistent), want);

	init(&s, 300000, 0, persistent, 0);
	vpn_session_on_connect(&s, 10);
	st = vpn_session_on_tunnel_end(&s, r, 500);
	if (r == VPN_END_NONE) {	/* not an end: ignored */
		ck_assert_int_eq(st, ACTIVE);
		return;
	}
	ck_assert_int_eq(st, fate_state(want));
	ck_assert_int_eq(s.state, st);
	switch (want) {
	case VPN_FATE_WAIT:
		ck_assert_uint_eq(s.drop_ms, 500);
		ck_assert_int_eq(s.drop_reason, r);
		ck_assert_uint_eq(vpn_session_resume_deadline(&s), 300500);
		ck_assert_int_eq(s.end_reason, VPN_END_NONE);
		break;
	case VPN_FATE_END:
		ck_assert_int_eq(s.end_reason, r);
		ck_assert_uint_eq(s.ended_ms, 500);
		ck_assert_uint_eq(vpn_session_expiry(&s), NEVER);
		break;
	case VPN_FATE_STAY:
		ck_assert_uint_eq(s.drop_ms, NEVER);
		break;
	}
}
END_TEST

START_TEST(takeover)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 100, EV_CONNECT, 0, VPN_CONNECT_FIRST, 3600000 },
		{ 200, EV_CONNECT, 0, VPN_CONNECT_TAKEOVER, 3600000 },
		{ 201, EV_TUNNEL_END, VPN_END_TAKEOVER, ACTIVE, 3600000 },
	};

	init(&s, 300000, 3600000, false, 0);
	VPN_STEPS(&session_ops, &s, steps);
	ck_assert_uint_eq(s.attaches, 2);
	ck_assert_uint_eq(s.resumes, 0);
	ck_assert_int_eq(s.drop_reason, VPN_END_NONE);
}
END_TEST

/* Reports that arrive when no tunnel is attached change nothing. */
START_TEST(late_tunnel_end_ignored)
{
	struct vpn_session s;
	static const struct vpn_step steps[] = {
		{ 100, EV_TUNNEL_END, VPN_END_USER_DISCONNECT, VPN_SESSION_AUTHENTICATED, 300000 },
		{ 200, EV_CONNECT, 0, VPN_CONNECT_FIRST, NEVER },
		{ 300, EV_TUNNEL_END, VPN_END_TUNNEL_LOST, WAITING, 300300 },
		{ 400, EV_TUNNEL_END, VPN_END_USER_DISCONNECT, WAITING, 300300 },
	};

	init(&s, 300000, 0, false, 0);
	VPN_STEPS(&session_ops, &s, steps);
}
END_TEST

START_TEST(session_level_ends)
{
	struct vpn_session s;
	static const struct vpn_step terminate_waiting[] = {
		{ 1, EV_CONNECT, 0, VPN_CONNECT_FIRST, NEVER },
		{ 2, EV_TUNNEL_END, VPN_END_TUNNEL_LOST, WAITING, 300002 },
		{ 3, EV_TERMINATE, 0, WAITING, NEVER },
		{ 4, EV_TERMINATE, 0, ENDED, NEVER },
		{ 5, EV_CONNECT, 0, VPN_CONNECT_REFUSED, NEVER },
	};
	static const struct vpn_step terminate_active[] = {
		{ 1, EV_CONNECT, 0, VPN_CONNECT_FIRST, NEVER },
		{ 3, EV_TERMINATE, 0, ACTIVE, NEVER },
	};
	static const struct vpn_step superseded[] = {
		{ 1, EV_SUPERSEDED, 0, VPN_SESSION_AUTHENTICATED, NEVER },
		{ 2, EV_SHUTDOWN, 0, ENDED, NEVER },
	};
	static const struct vpn_step shutdown[] = {
		{ 1, EV_CONNECT, 0, VPN_CONNECT_FIRST, NEVER },
		{ 2, EV_SHUTDOWN, 0, ACTIVE, NEVER },
	};

	init(&s, 300000, 0, false, 0);
	VPN_STEPS(&session_ops, &s, terminate_waiting);
	ck_assert_int_eq(s.end_reason, VPN_END_ADMIN_TERMINATE);
	ck_assert_uint_eq(s.ended_ms, 3);

	init(&s, 300000, 0, true, 0);
	VPN_STEPS(&session_ops, &s, terminate_active);
	ck_assert_int_eq(s.end_reason, VPN_END_ADMIN_TERMINATE);

	init(&s, 300000, 0, false, 0);
	VPN_STEPS(&session_ops, &s, superseded);
	ck_assert_int_eq(s.end_reason, VPN_END_SUPERSEDED);
	ck_assert_uint_eq(s.ended_ms, 1);

	init(&s, 300000, 0, false, 0);
	VPN_STEPS(&session_ops, &s, shutdown);
	ck_assert_int_eq(s.end_reason, VPN_END_SERVER_SHUTDOWN);
}
END_TEST

START_TEST(zero_cookie_timeout)
{
	struct vpn_session s;

	init(&s, 0, 0, false, 50);
	ck_assert_uint_eq(vpn_session_expiry(&s), 50);
	ck_assert_int_eq(vpn_session_on_connect(&s, 50), VPN_CONNECT_REFUSED);
	ck_assert_int_eq(s.end_reason, VPN_END_COOKIE_EXPIRED);
}
END_TEST

START_TEST(cfg_check)
{
	ck_assert_int_eq(vpn_session_cfg_check(NULL), -EINVAL);
}
END_TEST

/* --- end reasons ---------------------------------------------------------- */

START_TEST(reason_strings)
{
	static const char *const tokens[VPN_END_REASON_COUNT] = {
		"none", "dpd-timeout", "tunnel-lost", "client-reconnecting", "user-disconnect",
		"takeover", "worker-crashed", "idle-timeout", "session-timeout",
		"admin-disconnect", "admin-terminate", "server-shutdown", "cookie-expired",
		"superseded", "server-restart",
	};

	for (int r = 0; r < VPN_END_REASON_COUNT; r++) {
		const char *text = vpn_end_reason_text((enum vpn_end_reason)r);

		ck_assert_str_eq(vpn_end_reason_str((enum vpn_end_reason)r), tokens[r]);
		ck_assert_ptr_nonnull(text);
		ck_assert_uint_ge(strlen(text), 2);	/* the client prints >= 2 bytes */
		for (int q = 0; q < r; q++)
			ck_assert_str_ne(text, vpn_end_reason_text((enum vpn_end_reason)q));
	}
	ck_assert_str_eq(vpn_end_reason_text(VPN_END_IDLE_TIMEOUT), "idle timeout");
	ck_assert_str_eq(vpn_end_reason_text(VPN_END_SESSION_TIMEOUT), "session timeout");
	ck_assert_str_eq(vpn_end_reason_text(VPN_END_DPD_TIMEOUT), "DPD timeout");
	ck_assert_str_eq(vpn_end_reason_text(VPN_END_ADMIN_DISCONNECT),
			 "disconnected by administrator");
	ck_assert_str_eq(vpn_end_reason_str((enum vpn_end_reason)99), "unknown");
	ck_assert_str_eq(vpn_end_reason_text((enum vpn_end_reason)99), "unknown reason");
}
END_TEST

START_TEST(enum_strings)
{
	ck_assert_str_eq(vpn_session_state_str(VPN_SESSION_AUTHENTICATED), "authenticated");
	ck_assert_str_eq(vpn_session_state_str(ACTIVE), "active");
	ck_assert_str_eq(vpn_session_state_str(WAITING), "waiting-to-resume");
	ck_assert_str_eq(vpn_session_state_str(ENDED), "ended");
	ck_assert_str_eq(vpn_session_state_str((enum vpn_session_state)9), "unknown");
	ck_assert_str_eq(vpn_session_fate_str(VPN_FATE_WAIT), "wait");
	ck_assert_str_eq(vpn_session_fate_str(VPN_FATE_END), "end");
	ck_assert_str_eq(vpn_session_fate_str(VPN_FATE_STAY), "stay");
	ck_assert_str_eq(vpn_session_fate_str((enum vpn_session_fate)9), "unknown");
	ck_assert_str_eq(vpn_connect_result_str(VPN_CONNECT_FIRST), "first");
	ck_assert_str_eq(vpn_connect_result_str(VPN_CONNECT_RESUME), "resume");
	ck_assert_str_eq(vpn_connect_result_str(VPN_CONNECT_TAKEOVER), "takeover");
	ck_assert_str_eq(vpn_connect_result_str(VPN_CONNECT_REFUSED), "refused");
	ck_assert_str_eq(vpn_connect_result_str((enum vpn_connect_result)9), "unknown");
	ck_assert_str_eq(vpn_goodbye_str(VPN_BYE_NONE), "none");
	ck_assert_str_eq(vpn_goodbye_str(VPN_BYE_DISCONNECT), "disconnect");
	ck_assert_str_eq(vpn_goodbye_str(VPN_BYE_TERMINATE), "terminate");
	ck_assert_str_eq(vpn_goodbye_str((enum vpn_goodbye)9), "unknown");
	ck_assert_str_eq(vpn_same_action_str(VPN_SAME_KEEP), "keep");
	ck_assert_str_eq(vpn_same_action_str(VPN_SAME_END), "end");
	ck_assert_str_eq(vpn_same_action_str(VPN_SAME_PROBE), "probe");
	ck_assert_str_eq(vpn_same_action_str((enum vpn_same_action)9), "unknown");
	ck_assert_str_eq(vpn_same_verdict_str(VPN_SAME_ALLOW), "allow");
	ck_assert_str_eq(vpn_same_verdict_str(VPN_SAME_WAIT), "wait");
	ck_assert_str_eq(vpn_same_verdict_str(VPN_SAME_REFUSE), "refuse");
	ck_assert_str_eq(vpn_same_verdict_str((enum vpn_same_verdict)9), "unknown");
}
END_TEST

START_TEST(goodbye_per_reason)
{
	static const enum vpn_goodbye want[VPN_END_REASON_COUNT] = {
		[VPN_END_NONE] = VPN_BYE_NONE,
		[VPN_END_DPD_TIMEOUT] = VPN_BYE_NONE,
		[VPN_END_TUNNEL_LOST] = VPN_BYE_NONE,
		[VPN_END_CLIENT_RECONNECTING] = VPN_BYE_NONE,
		[VPN_END_USER_DISCONNECT] = VPN_BYE_NONE,
		[VPN_END_TAKEOVER] = VPN_BYE_DISCONNECT,
		[VPN_END_WORKER_CRASHED] = VPN_BYE_NONE,
		[VPN_END_IDLE_TIMEOUT] = VPN_BYE_DISCONNECT,
		[VPN_END_SESSION_TIMEOUT] = VPN_BYE_DISCONNECT,
		[VPN_END_ADMIN_DISCONNECT] = VPN_BYE_DISCONNECT,
		[VPN_END_ADMIN_TERMINATE] = VPN_BYE_DISCONNECT,
		[VPN_END_SERVER_SHUTDOWN] = VPN_BYE_TERMINATE,
		[VPN_END_COOKIE_EXPIRED] = VPN_BYE_DISCONNECT,
		[VPN_END_SUPERSEDED] = VPN_BYE_DISCONNECT,
		[VPN_END_SERVER_RESTART] = VPN_BYE_NONE,
	};

	for (int r = 0; r < VPN_END_REASON_COUNT; r++)
		ck_assert_msg(vpn_end_reason_goodbye((enum vpn_end_reason)r) == want[r], "%s",
			      vpn_end_reason_str((enum vpn_end_reason)r));
	ck_assert_int_eq(vpn_end_reason_goodbye((enum vpn_end_reason)99), VPN_BYE_NONE);
	ck_assert_int_eq(vpn_end_reason_fate((enum vpn_end_reason)99, true), VPN_FATE_END);
}
END_TEST

START_TEST(bye_byte)
{
	static const uint8_t logout[] = { 0xb0, 'b', 'y', 'e' }, err[] = { 0x70 };
	static const uint8_t reconnect[] = { 0x91 }, pause_[] = { 0xd1 }, odd[] = { 0x42, 'x' };

	ck_assert_int_eq(vpn_end_reason_from_bye(logout, sizeof(logout)), VPN_END_USER_DISCONNECT);
	ck_assert_int_eq(vpn_end_reason_from_bye(logout, 1), VPN_END_USER_DISCONNECT);
	ck_assert_int_eq(vpn_end_reason_from_bye(err, 1), VPN_END_USER_DISCONNECT);
	ck_assert_int_eq(vpn_end_reason_from_bye(reconnect, 1), VPN_END_CLIENT_RECONNECTING);
	ck_assert_int_eq(vpn_end_reason_from_bye(pause_, 1), VPN_END_CLIENT_RECONNECTING);
	ck_assert_int_eq(vpn_end_reason_from_bye(odd, 2), VPN_END_CLIENT_RECONNECTING);
	ck_assert_int_eq(vpn_end_reason_from_bye(logout, 0), VPN_END_CLIENT_RECONNECTING);
	ck_assert_int_eq(vpn_end_reason_from_bye(NULL, 0), VPN_END_CLIENT_RECONNECTING);
	ck_assert_int_eq(vpn_end_reason_from_bye(NULL, 5), VPN_END_CLIENT_RECONNECTING);
}
END_TEST

/* --- max-same-clients ----------------------------------------------------- */

#define W(drop) { .state = WAITING, .drop_ms = (drop), .probed_ms = NEVER }
#define A(rx, d) { .state = ACTIVE, .cstp_last_rx_ms = (rx), .dpd_ms = (d), .probed_ms = NEVER }
#define AP(rx, d, p) { .state = ACTIVE, .cstp_last_rx_ms = (rx), .dpd_ms = (d), .probed_ms = (p) }
#define E { .state = ENDED, .probed_ms = NEVER }
#define AU { .state = VPN_SESSION_AUTHENTICATED, .probed_ms = NEVER }

static void check_plan(const struct vpn_same_entry *e, size_t n, unsigned max, vpn_ms_t now,
		       enum vpn_same_verdict verdict, const enum vpn_same_action *want)
{
	enum vpn_same_action out[16];

	ck_assert_uint_le(n, 16);
	ck_assert_str_eq(vpn_same_verdict_str(vpn_same_clients_plan(e, n, max, now, out)),
			 vpn_same_verdict_str(verdict));
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(out[i] == want[i], "entry %zu: %s, want %s", i,
			      vpn_same_action_str(out[i]), vpn_same_action_str(want[i]));
}

#define K VPN_SAME_KEEP
#define XE VPN_SAME_END
#define PR VPN_SAME_PROBE

START_TEST(same_under_limit)
{
	const struct vpn_same_entry e[] = { A(0, 30000), W(5), E, E };

	check_plan(e, 4, 3, 100000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ K, K, K, K });
	check_plan(e, 4, 0, 100000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ K, K, K, K });
	check_plan(e, 0, 1, 100000, VPN_SAME_ALLOW, NULL);
}
END_TEST

START_TEST(same_ends_oldest_waiting)
{
	const struct vpn_same_entry e[] = { W(500), A(99000, 30000), W(100), W(300) };

	/* 4 live and the new login makes 5; max 3: two must go, the oldest drops */
	check_plan(e, 4, 3, 100000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ K, K, XE, XE });
	/* max 2: all three waiting */
	check_plan(e, 4, 2, 100000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ XE, K, XE, XE });
	/* max 4: one */
	check_plan(e, 4, 4, 100000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ K, K, XE, K });
	/* max 1: would need the fresh active one too: refused, nothing touched */
	check_plan(e, 4, 1, 100000, VPN_SAME_REFUSE, (enum vpn_same_action[]){ K, K, K, K });
}
END_TEST

START_TEST(same_probes_stale_active)
{
	/* D = 30 s; silent "more than D": stale at now > rx + D */
	const struct vpn_same_entry fresh[] = { A(70000, 30000) };
	const struct vpn_same_entry stale[] = { A(69999, 30000) };
	const struct vpn_same_entry nodpd[] = { A(0, 0) };

	check_plan(fresh, 1, 1, 100000, VPN_SAME_REFUSE, (enum vpn_same_action[]){ K });
	check_plan(stale, 1, 1, 100000, VPN_SAME_WAIT, (enum vpn_same_action[]){ PR });
	check_plan(nodpd, 1, 1, 100000, VPN_SAME_REFUSE, (enum vpn_same_action[]){ K });
}
END_TEST

START_TEST(same_probe_grace)
{
	/* probed at 100000: within 2 s pending, at +2 s ended, answered -> kept */
	const struct vpn_same_entry silent[] = { AP(69999, 30000, 100000) };
	const struct vpn_same_entry answered[] = { AP(100050, 30000, 100000) };

	check_plan(silent, 1, 1, 101999, VPN_SAME_WAIT, (enum vpn_same_action[]){ K });
	check_plan(silent, 1, 1, 102000, VPN_SAME_ALLOW, (enum vpn_same_action[]){ XE });
	check_plan(answered, 1, 1, 102000, VPN_SAME_REFUSE, (enum vpn_same_action[]){ K });

	/* the answered one is skipped, the next stale one is probed instead */
	{
		const struct vpn_same_entry two[] = { AP(100050, 30000, 100000), A(1000, 30000) };

		check_plan(two, 2, 2, 102000, VPN_SAME_WAIT, (enum vpn_same_action[]){ K, PR });
	}
}
END_TEST

START_TEST(same_mixed)
{
	/* live 5 (authenticated counts, ended does not); max 3: need 3 = the
	 * waiting one + both stale active ones probed */
	const struct vpn_same_entry e[] = {
		A(99000, 30000), W(10), A(1000, 30000), AU, A(2000, 30000), E,
	};

	check_plan(e, 6, 3, 100000, VPN_SAME_WAIT, (enum vpn_same_action[]){ K, XE, PR, K, PR, K });
	/* max 2: need 4, only 3 freeable -> refuse, touch nothing */
	check_plan(e, 6, 2, 100000, VPN_SAME_REFUSE, (enum vpn_same_action[]){ K, K, K, K, K, K });
	/* max 4: need 2 = the waiting one + one probe, the second stale one is spared */
	check_plan(e, 6, 4, 100000, VPN_SAME_WAIT, (enum vpn_same_action[]){ K, XE, PR, K, K, K });
}
END_TEST

static Suite *session_suite(void)
{
	Suite *s = suite_create("vpn-session");
	TCase *tc;

	tc = tcase_create("deadlines");
	tcase_add_test(tc, lifecycle);
	tcase_add_test(tc, accessors);
	tcase_add_test(tc, cookie_expires_before_first_connect);
	tcase_add_test(tc, session_timeout_before_first_connect);
	tcase_add_test(tc, connect_at_deadline_refused);
	tcase_add_test(tc, tie_goes_to_session_timeout);
	tcase_add_loop_test(tc, resumes_do_not_reset_session_timeout, 0,
			    (int)(sizeof(sweep_s) / sizeof(sweep_s[0])));
	tcase_add_loop_test(tc, waiting_cookie_sweep, 0, (int)(sizeof(sweep_s) / sizeof(sweep_s[0])));
	tcase_add_test(tc, zero_cookie_timeout);
	tcase_add_test(tc, cfg_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("tunnel-ends");
	tcase_add_loop_test(tc, fate_of_each_reason, 0, (int)(2 * FATE_N));
	tcase_add_test(tc, takeover);
	tcase_add_test(tc, late_tunnel_end_ignored);
	tcase_add_test(tc, session_level_ends);
	suite_add_tcase(s, tc);

	tc = tcase_create("reasons");
	tcase_add_test(tc, reason_strings);
	tcase_add_test(tc, enum_strings);
	tcase_add_test(tc, goodbye_per_reason);
	tcase_add_test(tc, bye_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("max-same-clients");
	tcase_add_test(tc, same_under_limit);
	tcase_add_test(tc, same_ends_oldest_waiting);
	tcase_add_test(tc, same_probes_stale_active);
	tcase_add_test(tc, same_probe_grace);
	tcase_add_test(tc, same_mixed);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(session_suite)
