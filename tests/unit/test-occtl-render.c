/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* occtl-modern's rendering: every kind of reply as text and as JSON; the JSON
 * is always valid (strict validator), whatever the strings contain, and
 * carries the keys the documentation promises. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "occtl/render.h"
#include "json-check.h"
#include "test-main.h"

#define NOW 1700000000000LL /* 2023-11-14 22:13:20 UTC */

static char *render(enum render_kind k, bool json, const CtlReply *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(render_reply(f, k, json, r), 0);
	fclose(f);
	if (json) {
		const char *bad = json_check(buf, len);

		ck_assert_msg(bad == NULL, "invalid JSON (%s):\n%s", bad, buf);
	}
	return buf;
}

static void has(const char *out, const char *needle)
{
	ck_assert_msg(strstr(out, needle) != NULL, "'%s' not in:\n%s", needle, out);
}

static void lacks(const char *out, const char *needle)
{
	ck_assert_msg(strstr(out, needle) == NULL, "'%s' unexpectedly in:\n%s", needle, out);
}

/* A fixture: one waiting session, one active with a tunnel; hostile text. */
static CtlChannel cstp = CTL_CHANNEL__INIT;
static CtlChannel *chans[1] = { &cstp };
static CtlTunnel tun = CTL_TUNNEL__INIT;
static CtlConn conn = CTL_CONN__INIT, conn2 = CTL_CONN__INIT;
static CtlConn *conns[2] = { &conn, &conn2 };
static CtlSession waiting = CTL_SESSION__INIT, active = CTL_SESSION__INIT;
static CtlSession *sessions[2] = { &waiting, &active };
static CtlStatus status = CTL_STATUS__INIT;
static CtlBan ban1 = CTL_BAN__INIT, ban2 = CTL_BAN__INIT;
static CtlBan *bans[2] = { &ban1, &ban2 };
static CtlReply rep = CTL_REPLY__INIT;

static void setup(void)
{
	cstp.name = "cstp";
	cstp.has_last_rx_ms = true;
	cstp.last_rx_ms = NOW - 2500;
	cstp.dpd_state = "watching";
	cstp.has_next_probe_ms = true;
	cstp.next_probe_ms = NOW + 57000;
	cstp.has_probes_sent = cstp.has_probes_answered = true;
	cstp.probes_sent = 3;
	cstp.probes_answered = 2;
	cstp.has_last_rtt_ms = true;
	cstp.last_rtt_ms = 12;
	tun.data_path = "cstp";
	tun.dtls_state = "none";
	tun.n_channels = 1;
	tun.channels = chans;
	tun.has_dpd = tun.has_keepalive = tun.has_idle_timeout = true;
	tun.dpd = 30;
	tun.keepalive = 0;
	tun.idle_timeout = 1200;
	tun.timers_from = "mobile: dpd user, keepalive global, idle-timeout group";
	tun.dpd_from = "user";
	tun.keepalive_from = "global";
	tun.idle_timeout_from = "group";
	tun.has_rx_bytes = true;
	tun.rx_bytes = 123456;
	tun.tls_cipher = "(TLS1.3)-(ECDHE-X25519)-(AES-256-GCM)";
	tun.has_stats_ms = true;
	tun.stats_ms = NOW - 100;
	tun.has_fresh = true;
	tun.fresh = true;

	conn.id = 4242;
	conn.status = "connected";
	conn.username = "t\"e\\s\nt\x01\xff";
	conn.remote_ip = "10.77.0.2";
	conn.vpn_ipv4 = "192.168.77.10";
	conn.device = "vpns0";
	conn.has_mtu = true;
	conn.mtu = 1399;
	conn.has_connected_ms = true;
	conn.connected_ms = NOW - 65000;
	conn.session_id = "AbCdEfGhIjKl";
	conn.session_state = "active";
	conn.tunnel = &tun;
	conn2.id = 7;
	conn2.status = "authenticating";
	conn2.remote_ip = "10.77.0.3";

	waiting.session_id = "QwErTyUiOp";
	waiting.username = "alice";
	waiting.state = "waiting-to-resume";
	waiting.has_created_ms = true;
	waiting.created_ms = NOW - 600000;
	waiting.has_last_drop_ms = true;
	waiting.last_drop_ms = NOW - 13000;
	waiting.drop_reason = "dpd-timeout";
	waiting.end_reason = "none";
	waiting.has_resume_deadline_ms = true;
	waiting.resume_deadline_ms = NOW + 287400;
	waiting.has_expires_ms = true;
	waiting.expires_ms = NOW + 287400;
	waiting.has_resumes = true;
	waiting.resumes = 2;
	waiting.has_cookie_timeout = true;
	waiting.cookie_timeout = 300;

	active.session_id = "AbCdEfGhIjKl";
	active.username = conn.username;
	active.state = "active";
	active.has_worker_id = true;
	active.worker_id = 4242;
	active.conn = &conn;
	active.has_session_deadline_ms = true;
	active.session_deadline_ms = NOW + 3600000;

	status.pid = 100;
	status.started_ms = NOW - 7200000;
	status.has_dpd_timeouts = true;
	status.dpd_timeouts = 5;
	status.has_sessions_waiting = true;
	status.sessions_waiting = 1;

	ban1.ip = "10.0.0.9";
	ban1.has_score = true;
	ban1.score = 80;
	ban1.has_banned_until_ms = true;
	ban1.banned_until_ms = NOW + 299999;
	ban2.ip = "2001:db8::1";
	ban2.has_score = true;
	ban2.score = 3;

	rep.ok = true;
	rep.now_ms = NOW;
	rep.status = &status;
	rep.n_conns = 2;
	rep.conns = conns;
	rep.n_sessions = 2;
	rep.sessions = sessions;
	rep.n_bans = 2;
	rep.bans = bans;
	rep.message = "1 session terminated";
	rep.has_count = true;
	rep.count = 1;
	setenv("TZ", "UTC", 1);
}

START_TEST(every_kind_valid_json)
{
	char *out = render((enum render_kind)_i, true, &rep);

	free(out);
	/* and text renders too */
	out = render((enum render_kind)_i, false, &rep);
	free(out);
}
END_TEST

START_TEST(empty_replies_valid_json)
{
	CtlReply e = CTL_REPLY__INIT;
	char *out;

	e.ok = true;
	e.now_ms = NOW;
	e.status = &status;
	for (int k = RENDER_USERS; k <= RENDER_BANS; k++) {
		out = render((enum render_kind)k, true, &e);
		ck_assert_str_eq(out, "[]\n");
		free(out);
		/* no users, no sessions: no text at all, not even a header */
		out = render((enum render_kind)k, false, &e);
		ck_assert_str_eq(out, "");
		free(out);
	}
}
END_TEST

START_TEST(session_waiting_fields)
{
	char *j = render(RENDER_SESSION_INFO, true, &rep), *t;

	has(j, "\"State\": \"waiting-to-resume\"");
	has(j, "\"Drop reason\": \"dpd-timeout\"");
	has(j, "\"Resume remaining\": \"4m 47s\"");
	has(j, "\"raw_resume_remaining\": 287");
	has(j, "\"raw_resume_deadline\": 1700000287");
	has(j, "\"Resume deadline\": \"2023-11-14 22:18:07\"");
	has(j, "\"raw_last_drop\": 1699999987");
	has(j, "\"_Last drop\": \"13s ago\"");
	has(j, "\"Resumes\": 2");
	has(j, "\"Session\": \"QwErTy\"");
	has(j, "\"Full session\": \"QwErTyUiOp\"");
	has(j, "\"in_use\": false");
	/* the active one: session deadline, no resume deadline, its connection */
	has(j, "\"raw_session_remaining\": 3600");
	has(j, "\"raw_resume_remaining\": null");
	has(j, "\"Connection\": {");
	has(j, "\"raw_cstp_next_dpd\": 1700000057");
	has(j, "\"CSTP DPD probes sent\": 3");
	has(j, "\"raw_cstp_dpd_rtt_ms\": 12");
	has(j, "\"Timers from\": \"mobile: dpd user, keepalive global, idle-timeout group\"");
	has(j, "\"DPD from\": \"user\"");
	has(j, "\"KeepAlive from\": \"global\"");
	has(j, "\"Idle timeout from\": \"group\"");
	has(j, "\"DPD\": \"30\"");
	has(j, "\"raw_dpd\": 30");
	/* hostile user name: escaped, invalid byte replaced */
	has(j, "t\\\"e\\\\s\\nt\\u0001\\ufffd");
	free(j);

	t = render(RENDER_SESSION_INFO, false, &rep);
	has(t, "\tState: waiting-to-resume\n");
	has(t, "\tResume remaining: 4m 47s (287 s)\n");
	has(t, "\tDrop reason: dpd-timeout\n");
	has(t, "\tConnection:\n");
	has(t, "\t\tCSTP DPD probes: 3 sent, 2 answered\n");
	has(t, "\t\tKeepAlive: off\n");
	lacks(t, "Ended at");
	free(t);
}
END_TEST

START_TEST(users_and_status)
{
	char *t = render(RENDER_USERS, false, &rep), *j;

	has(t, "      id ");
	has(t, "    4242 ");
	has(t, " authenticating ");
	has(t, " AbCdEf ");
	free(t);
	j = render(RENDER_USER_INFO, true, &rep);
	has(j, "\"ID\": 4242");
	has(j, "\"MTU\": \"1399\"");
	has(j, "\"RX\": \"123456\"");
	has(j, "\"_RX\": \"123.5 KB\"");
	has(j, "\"raw_connected_at\": 1699999935");
	has(j, "\"_Connected at\": \"1m 05s ago\"");
	has(j, "\"Stats fresh\": true");
	free(j);
	j = render(RENDER_STATUS, true, &rep);
	has(j, "\"Status\": \"online\"");
	has(j, "\"raw_up_since\": 1699992800");
	has(j, "\"uptime\": 7200");
	has(j, "\"DPD timeouts\": 5");
	has(j, "\"Sessions waiting to resume\": 1");
	free(j);
	j = render(RENDER_BANS, true, &rep);
	has(j, "\"raw_ban_remaining\": 299");
	has(j, "\"raw_banned_until\": null");
	free(j);
}
END_TEST

START_TEST(stale_stats_said)
{
	char *t;

	tun.fresh = false;
	t = render(RENDER_USER_INFO, false, &rep);
	has(t, "did not answer in time");
	free(t);
}
END_TEST

/* Absurd numbers from a server are still rendered, and validly. */
START_TEST(extreme_times)
{
	rep.now_ms = INT64_MIN + 1;
	waiting.resume_deadline_ms = INT64_MAX;
	conn.connected_ms = INT64_MAX;
	status.started_ms = INT64_MAX;
	cstp.last_rtt_ms = INT64_MIN;
	for (int k = RENDER_STATUS; k <= RENDER_ACTION; k++) {
		free(render((enum render_kind)k, true, &rep));
		free(render((enum render_kind)k, false, &rep));
	}
	rep.now_ms = INT64_MAX;
	for (int k = RENDER_STATUS; k <= RENDER_ACTION; k++)
		free(render((enum render_kind)k, true, &rep));
}
END_TEST

START_TEST(formats)
{
	char b[32];

	ck_assert_str_eq(render_duration(0, b, sizeof(b)), "0s");
	ck_assert_str_eq(render_duration(-5000, b, sizeof(b)), "0s");
	ck_assert_str_eq(render_duration(59999, b, sizeof(b)), "59s");
	ck_assert_str_eq(render_duration(60000, b, sizeof(b)), "1m 00s");
	ck_assert_str_eq(render_duration(3599000, b, sizeof(b)), "59m 59s");
	ck_assert_str_eq(render_duration(3600000, b, sizeof(b)), "1h 00m");
	ck_assert_str_eq(render_duration(86400000LL * 3 + 3600000 * 4, b, sizeof(b)), "3d 04h");
	ck_assert_str_eq(render_bytes(999, b, sizeof(b)), "999 bytes");
	ck_assert_str_eq(render_bytes(1500000, b, sizeof(b)), "1.5 MB");
	setenv("TZ", "UTC", 1);
	ck_assert_str_eq(render_time(NOW, b, sizeof(b)), "2023-11-14 22:13:20");
}
END_TEST

static char *event_line(bool json, const CtlEvent *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(render_event(f, json, e), 0);
	fclose(f);
	/* one line, ending in a newline */
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + len - 1);
	if (json) {
		const char *bad = json_check(buf, len);

		ck_assert_msg(bad == NULL, "invalid JSON (%s):\n%s", bad, buf);
	}
	return buf;
}

START_TEST(events)
{
	CtlEvent e = CTL_EVENT__INIT;
	char *j, *t;

	e.event = "waiting";
	e.time_ms = NOW + 250;
	e.session_id = "AbCdEfGhIjKl";
	e.username = "t\"e\\s\nt\x01\xff";   /* hostile: still one line, valid JSON */
	e.remote_ip = "10.77.0.2";
	e.has_id = true;
	e.id = 4242;
	e.reason = "dpd-timeout";
	e.has_deadline_ms = true;
	e.deadline_ms = NOW + 60250;
	j = event_line(true, &e);
	has(j, "{\"Event\":\"waiting\",\"Time\":\"2023-11-14 22:13:20\",\"raw_time_ms\":1700000000250,");
	has(j, "\"Session\":\"AbCdEf\",\"Full session\":\"AbCdEfGhIjKl\",\"ID\":4242,");
	has(j, "\"Reason\":\"dpd-timeout\"");
	has(j, "\"Deadline\":\"2023-11-14 22:14:20\",\"_Deadline\":\"in 1m 00s\",\"raw_deadline\":1700000060");
	lacks(j, "Resumes");
	t = event_line(false, &e);
	has(t, "2023-11-14 22:13:20.250 waiting       user=");
	has(t, " session=AbCdEf id=4242 from=10.77.0.2 reason=dpd-timeout "
	       "deadline=2023-11-14 22:14:20 (in 1m 00s)\n");
	free(j);
	free(t);
	memset(&e, 0, sizeof(e));
	ctl_event__init(&e);
	e.event = "resume";
	e.time_ms = NOW;
	e.has_resumes = true;
	e.resumes = 2;
	j = event_line(true, &e);
	has(j, "\"Resumes\":2}");
	t = event_line(false, &e);
	ck_assert_str_eq(t, "2023-11-14 22:13:20.000 resume        resumes=2\n");
	free(j);
	free(t);
}
END_TEST

START_TEST(iroutes)
{
	CtlReply e = CTL_REPLY__INIT;
	char *out;

	out = render(RENDER_IROUTES, true, &e);
	ck_assert_str_eq(out, "[]\n");
	free(out);
	out = render(RENDER_IROUTES, false, &e);
	ck_assert_str_eq(out, "    id     user    vhost device           vpn-ip                       iroute\n");
	free(out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("occtl-render");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, every_kind_valid_json, RENDER_STATUS, RENDER_RESET + 1);
	tcase_add_test(tc, events);
	tcase_add_test(tc, iroutes);
	tcase_add_test(tc, empty_replies_valid_json);
	tcase_add_test(tc, session_waiting_fields);
	tcase_add_test(tc, users_and_status);
	tcase_add_test(tc, stale_stats_said);
	tcase_add_test(tc, extreme_times);
	tcase_add_test(tc, formats);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
