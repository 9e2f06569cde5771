/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "main/metrics.h"
#include "test-main.h"

static char *render(const struct metrics *m, const struct metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;

	ck_assert_int_eq(metrics_render(m, g, &text, &len), 0);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

/* The text holds this exact line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	ck_abort_msg("no line '%s' in:\n%s", line, text);
}

START_TEST(test_empty)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { .version = "1.2.3", .start_time_s = 1700000000.25 };
	char *t = render(&m, &g);

	has_line(t, "# TYPE ocserv_modern_build_info gauge");
	has_line(t, "ocserv_modern_build_info{version=\"1.2.3\"} 1");
	has_line(t, "ocserv_modern_start_time_seconds 1700000000.250");
	has_line(t, "ocserv_modern_sessions{state=\"authenticated\"} 0");
	has_line(t, "ocserv_modern_sessions{state=\"active\"} 0");
	has_line(t, "ocserv_modern_sessions{state=\"waiting-to-resume\"} 0");
	has_line(t, "ocserv_modern_tunnels{path=\"dtls\"} 0");
	has_line(t, "ocserv_modern_tunnels{path=\"tls\"} 0");
	has_line(t, "# TYPE ocserv_modern_logins_succeeded_total counter");
	has_line(t, "ocserv_modern_logins_failed_total 0");
	has_line(t, "ocserv_modern_store_errors_total 0");
	/* every reason is there from the start, at 0 */
	for (int r = VPN_END_NONE + 1; r < VPN_END_REASON_COUNT; r++) {
		char line[128];

		snprintf(line, sizeof(line), "ocserv_modern_tunnel_ends_total{reason=\"%s\"} 0",
			 vpn_end_reason_str((enum vpn_end_reason)r));
		has_line(t, line);
		snprintf(line, sizeof(line), "ocserv_modern_session_ends_total{reason=\"%s\"} 0",
			 vpn_end_reason_str((enum vpn_end_reason)r));
		has_line(t, line);
	}
	ck_assert_ptr_null(strstr(t, "reason=\"none\""));
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"+Inf\"} 0");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_count{channel=\"dtls\"} 0");
	free(t);
}
END_TEST

/* Each family: one HELP, one TYPE, then its samples; every sample line is
 * NAME[{labels}] VALUE with a name of the family. */
START_TEST(test_format)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { .version = "v" };
	char *t = render(&m, &g), *save = NULL, fam[128] = "";
	unsigned families = 0;

	for (char *line = strtok_r(t, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			ck_assert_str_ne(name, fam); /* no family twice in a row */
			ck_assert_int_eq(strncmp(name, METRICS_PREFIX, strlen(METRICS_PREFIX)), 0);
			snprintf(fam, sizeof(fam), "%s", name);
			families++;
			continue;
		}
		if (sscanf(line, "# TYPE %127s %31s", name, type) == 2) {
			ck_assert_str_eq(name, fam);
			ck_assert(!strcmp(type, "counter") || !strcmp(type, "gauge") ||
				  !strcmp(type, "histogram"));
			if (!strcmp(type, "counter"))
				ck_assert_str_eq(name + strlen(name) - 6, "_total");
			continue;
		}
		ck_assert_msg(strncmp(line, fam, strlen(fam)) == 0, "'%s' outside %s", line, fam);
		ck_assert_msg(strchr(line, ' ') != NULL && strchr(line, ' ')[1] != '\0', "%s", line);
	}
	ck_assert_uint_ge(families, 20);
	free(t);
}
END_TEST

START_TEST(test_label_escaping)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { .version = "a\"b\\c\nd" };
	char *t = render(&m, &g);

	has_line(t, "ocserv_modern_build_info{version=\"a\\\"b\\\\c\\nd\"} 1");
	free(t);
}
END_TEST

START_TEST(test_events)
{
	struct metrics m = { 0 };
	struct metrics_gauges g = { .sessions_active = 1, .sessions_waiting = 2,
				    .tunnels = { 3, 4 }, .workers = 5, .banned_addresses = 6,
				    .secmod_queue = 7 };
	char *t;

	metrics_login(&m, true);
	metrics_login(&m, false);
	metrics_login(&m, false);
	metrics_tunnel_end(&m, VPN_END_DPD_TIMEOUT);
	metrics_tunnel_end(&m, VPN_END_NONE);          /* ignored */
	metrics_tunnel_end(&m, VPN_END_REASON_COUNT);  /* ignored */
	metrics_session_end(&m, VPN_END_USER_DISCONNECT);
	metrics_connect(&m, VPN_CONNECT_FIRST);
	metrics_connect(&m, VPN_CONNECT_RESUME);
	metrics_connect(&m, VPN_CONNECT_TAKEOVER);
	metrics_connect(&m, VPN_CONNECT_REFUSED);
	metrics_login(NULL, true);                     /* no counters yet: nothing */
	m.bans = 2;
	t = render(&m, &g);
	has_line(t, "ocserv_modern_logins_succeeded_total 1");
	has_line(t, "ocserv_modern_logins_failed_total 2");
	has_line(t, "ocserv_modern_tunnel_ends_total{reason=\"dpd-timeout\"} 1");
	has_line(t, "ocserv_modern_dpd_timeouts_total 1");
	has_line(t, "ocserv_modern_session_ends_total{reason=\"user-disconnect\"} 1");
	has_line(t, "ocserv_modern_resumes_total 1");
	has_line(t, "ocserv_modern_takeovers_total 1");
	has_line(t, "ocserv_modern_bans_total 2");
	has_line(t, "ocserv_modern_sessions{state=\"active\"} 1");
	has_line(t, "ocserv_modern_sessions{state=\"waiting-to-resume\"} 2");
	has_line(t, "ocserv_modern_tunnels{path=\"tls\"} 3");
	has_line(t, "ocserv_modern_tunnels{path=\"dtls\"} 4");
	has_line(t, "ocserv_modern_workers 5");
	has_line(t, "ocserv_modern_banned_addresses 6");
	has_line(t, "ocserv_modern_secmod_queue_messages 7");
	free(t);
}
END_TEST

/* Running totals from two workers: what grew is added, across reports and
 * tunnels; a total that went down adds nothing. */
START_TEST(test_tunnel_stats)
{
	struct metrics m = { 0 };
	struct metrics_seen a = { 0 }, b = { 0 };
	TunnelStats st = TUNNEL_STATS__INIT;

	st.has_bytes_in = st.has_bytes_out = st.has_packets_in = st.has_packets_out = true;
	st.bytes_in = 1000;
	st.bytes_out = 2000;
	st.packets_in = 10;
	st.packets_out = 20;
	metrics_tunnel_stats(&m, &a, &st);
	metrics_tunnel_stats(&m, &a, &st); /* the same report again: nothing new */
	ck_assert_uint_eq(m.rx_bytes, 1000);
	ck_assert_uint_eq(m.tx_packets, 20);
	st.bytes_in = 1500;
	metrics_tunnel_stats(&m, &a, &st);
	ck_assert_uint_eq(m.rx_bytes, 1500);
	st.bytes_in = 100;                 /* another worker */
	metrics_tunnel_stats(&m, &b, &st);
	ck_assert_uint_eq(m.rx_bytes, 1600);
	ck_assert_uint_eq(m.tx_bytes, 4000);
	st.bytes_in = 50;                  /* went down: nothing added */
	metrics_tunnel_stats(&m, &b, &st);
	ck_assert_uint_eq(m.rx_bytes, 1600);
	st.bytes_in = 60;
	metrics_tunnel_stats(&m, &b, &st);
	ck_assert_uint_eq(m.rx_bytes, 1610);
	/* a report without a field leaves that counter alone */
	st.has_bytes_out = false;
	st.bytes_out = 999999;
	metrics_tunnel_stats(&m, &b, &st);
	ck_assert_uint_eq(m.tx_bytes, 4000);
}
END_TEST

/* DPD probes by channel, and one RTT sample per report whose answered count
 * grew: CSTP from last_dpd_rtt_ms or the snapshot, DTLS from the snapshot. */
START_TEST(test_dpd_rtt)
{
	struct metrics m = { 0 };
	struct metrics_seen a = { 0 };
	struct metrics_gauges g = { 0 };
	TunnelStats st = TUNNEL_STATS__INIT;
	TunnelLiveness l = TUNNEL_LIVENESS__INIT;
	TunnelLivenessChannel dt = TUNNEL_LIVENESS_CHANNEL__INIT;
	char *t;

	st.has_dpd_probes_sent = st.has_dpd_probes_answered = true;
	st.dpd_probes_sent = 2;
	st.dpd_probes_answered = 1;
	st.has_last_dpd_rtt_ms = true;
	st.last_dpd_rtt_ms = 3;
	metrics_tunnel_stats(&m, &a, &st);
	st.dpd_probes_sent = 3;            /* no answer since: no new sample */
	metrics_tunnel_stats(&m, &a, &st);
	ck_assert_uint_eq(m.dpd_sent[METRICS_CSTP], 3);
	ck_assert_uint_eq(m.dpd_answered[METRICS_CSTP], 1);
	ck_assert_uint_eq(m.rtt[METRICS_CSTP].count, 1);

	st.has_dtls_dpd_probes_sent = st.has_dtls_dpd_probes_answered = true;
	st.dtls_dpd_probes_sent = 1;
	st.dtls_dpd_probes_answered = 1;
	dt.has_last_rtt_ms = true;
	dt.last_rtt_ms = 7000;             /* beyond the last bound: +Inf only */
	l.dtls = &dt;
	st.live = &l;
	metrics_tunnel_stats(&m, &a, &st);
	ck_assert_uint_eq(m.rtt[METRICS_DTLS].count, 1);
	dt.last_rtt_ms = -1;               /* answered but no sample: none counted */
	st.dtls_dpd_probes_answered = 2;
	metrics_tunnel_stats(&m, &a, &st);
	ck_assert_uint_eq(m.rtt[METRICS_DTLS].count, 1);
	ck_assert_uint_eq(m.dpd_answered[METRICS_DTLS], 2);

	metrics_rtt(&m, METRICS_CSTP, 30);
	t = render(&m, &g);
	has_line(t, "ocserv_modern_dpd_probes_sent_total{channel=\"cstp\"} 3");
	has_line(t, "ocserv_modern_dpd_probes_answered_total{channel=\"dtls\"} 2");
	/* buckets are cumulative: 3 ms from le=0.005 on, 30 ms from le=0.05 on */
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"0.002\"} 0");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"0.005\"} 1");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"0.025\"} 1");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"0.05\"} 2");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"cstp\",le=\"+Inf\"} 2");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_sum{channel=\"cstp\"} 0.033");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_count{channel=\"cstp\"} 2");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"dtls\",le=\"5\"} 0");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_bucket{channel=\"dtls\",le=\"+Inf\"} 1");
	has_line(t, "ocserv_modern_dpd_rtt_seconds_sum{channel=\"dtls\"} 7.000");
	free(t);
}
END_TEST

/* sec-mod's running count of store errors: what grew is added; a smaller
 * count is a new sec-mod's, all of it new. */
START_TEST(test_store_errors)
{
	struct metrics m = { 0 };
	uint64_t seen = 0;

	metrics_store_errors(&m, &seen, 0);
	ck_assert_uint_eq(m.store_errors, 0);
	metrics_store_errors(&m, &seen, 2);
	metrics_store_errors(&m, &seen, 2);
	ck_assert_uint_eq(m.store_errors, 2);
	metrics_store_errors(&m, &seen, 3);
	ck_assert_uint_eq(m.store_errors, 3);
	metrics_store_errors(&m, &seen, 0);   /* sec-mod started again */
	metrics_store_errors(&m, &seen, 1);
	ck_assert_uint_eq(m.store_errors, 4);
	metrics_store_errors(NULL, &seen, 9); /* no counters: nothing */
	ck_assert_uint_eq(seen, 1);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_tunnel_stats);
	tcase_add_test(tc, test_dpd_rtt);
	tcase_add_test(tc, test_store_errors);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(metrics_suite)
