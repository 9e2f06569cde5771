/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The connect/disconnect-script environment (src/main/script-env.h). */

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "main/script-env.h"
#include "test-main.h"

static struct config cfg;
static struct config_route r[3], nr[1];
static struct config_addr d[2];

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	r[0] = (struct config_route){ .family = AF_INET, .text = "10.0.0.0/255.0.0.0" };
	r[1] = (struct config_route){ .family = AF_INET6, .text = "2001:db8::/32" };
	r[2] = (struct config_route){ .family = AF_INET, .text = "172.16.0.0/255.240.0.0" };
	nr[0] = (struct config_route){ .family = AF_INET, .text = "10.9.0.0/255.255.0.0" };
	d[0] = (struct config_addr){ .family = AF_INET6, .text = "2001:db8::53" };
	d[1] = (struct config_addr){ .family = AF_INET, .text = "192.0.2.53" };
	cfg.routes = r;
	cfg.n_routes = 3;
	cfg.no_routes = nr;
	cfg.n_no_routes = 1;
	cfg.dns = d;
	cfg.n_dns = 2;
}

static struct script_info base(void)
{
	return (struct script_info){
		.username = "alice",
		.group = "staff",
		.device = "vpns3",
		.ip_real = "198.51.100.7",
		.ip_real_local = "203.0.113.1",
		.remote_hostname = "laptop",
		.ip_local = "192.168.77.1",
		.ip_remote = "192.168.77.83",
		.id = 42,
		.session_id = "0123456789abcdef0123456789abcdef",
		.cfg = &cfg,
	};
}

START_TEST(test_connect)
{
	struct script_info in = base();
	char **env = script_env_build(&in);

	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(script_env_get(env, "REASON"), "connect");
	ck_assert_str_eq(script_env_get(env, "VHOST"), "default");
	ck_assert_str_eq(script_env_get(env, "USERNAME"), "alice");
	ck_assert_str_eq(script_env_get(env, "GROUPNAME"), "staff");
	ck_assert_str_eq(script_env_get(env, "DEVICE"), "vpns3");
	ck_assert_str_eq(script_env_get(env, "IP_REAL"), "198.51.100.7");
	ck_assert_str_eq(script_env_get(env, "IP_REAL_LOCAL"), "203.0.113.1");
	ck_assert_str_eq(script_env_get(env, "REMOTE_HOSTNAME"), "laptop");
	ck_assert_str_eq(script_env_get(env, "IP_LOCAL"), "192.168.77.1");
	ck_assert_str_eq(script_env_get(env, "IP_REMOTE"), "192.168.77.83");
	ck_assert_str_eq(script_env_get(env, "ID"), "42");
	ck_assert_str_eq(script_env_get(env, "SESSION_ID"), "0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(script_env_get(env, "OCSERV_ROUTES"),
			 "10.0.0.0/255.0.0.0 2001:db8::/32 172.16.0.0/255.240.0.0");
	ck_assert_str_eq(script_env_get(env, "OCSERV_ROUTES4"),
			 "10.0.0.0/255.0.0.0 172.16.0.0/255.240.0.0");
	ck_assert_str_eq(script_env_get(env, "OCSERV_ROUTES6"), "2001:db8::/32");
	ck_assert_str_eq(script_env_get(env, "OCSERV_NO_ROUTES"), "10.9.0.0/255.255.0.0");
	ck_assert_str_eq(script_env_get(env, "OCSERV_NO_ROUTES6"), "");
	ck_assert_str_eq(script_env_get(env, "OCSERV_DNS"), "2001:db8::53 192.0.2.53");
	ck_assert_str_eq(script_env_get(env, "OCSERV_DNS4"), "192.0.2.53");
	/* disconnect-only variables are absent */
	ck_assert_ptr_null(script_env_get(env, "STATS_BYTES_IN"));
	ck_assert_ptr_null(script_env_get(env, "DISCONNECT_REASON"));
	/* no prefix confusion: "ID" is not "IP_REAL" */
	ck_assert_ptr_null(script_env_get(env, "IP"));
	/* no IPv6 lease: no IPV6_* */
	ck_assert_ptr_null(script_env_get(env, "IPV6_REMOTE"));
	ck_assert_ptr_null(script_env_get(env, "IPV6_PREFIX"));
	free(env);
	in.ipv6_local = "fd00:77::1";
	in.ipv6_remote = "fd00:77::2a";
	in.ipv6_prefix = 128;
	env = script_env_build(&in);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(script_env_get(env, "IPV6_LOCAL"), "fd00:77::1");
	ck_assert_str_eq(script_env_get(env, "IPV6_REMOTE"), "fd00:77::2a");
	ck_assert_str_eq(script_env_get(env, "IPV6_PREFIX"), "128");
	free(env);
}
END_TEST

START_TEST(test_disconnect)
{
	struct script_info in = base();
	char **env;
	size_t n = 0;

	in.disconnect = true;
	in.bytes_in = 18446744073709551615ull;
	in.bytes_out = 7;
	in.duration_s = 3600;
	in.end_reason = "cookie-expired";
	in.resumes = 2;
	env = script_env_build(&in);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(script_env_get(env, "REASON"), "disconnect");
	ck_assert_str_eq(script_env_get(env, "STATS_BYTES_IN"), "18446744073709551615");
	ck_assert_str_eq(script_env_get(env, "STATS_BYTES_OUT"), "7");
	ck_assert_str_eq(script_env_get(env, "STATS_DURATION"), "3600");
	ck_assert_str_eq(script_env_get(env, "DISCONNECT_REASON"), "cookie-expired");
	ck_assert_str_eq(script_env_get(env, "SESSION_RESUMES"), "2");
	/* every entry is NAME=value, names unique */
	for (char **p = env; *p != NULL; p++, n++) {
		size_t len = strcspn(*p, "=");

		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq((*p)[len], '=');
		for (char **q = env; q != p; q++)
			ck_assert(strncmp(*q, *p, len + 1) != 0);
	}
	ck_assert_uint_eq(n, 12 + 9 + 5);
	free(env);
}
END_TEST

START_TEST(test_control_characters_and_nulls)
{
	struct script_info in = base();
	char **env;

	in.username = "eve\nREASON=connect";
	in.remote_hostname = NULL;
	in.group = "g\x7f";
	in.cfg = NULL;
	env = script_env_build(&in);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(script_env_get(env, "USERNAME"), "eve?REASON=connect");
	ck_assert_str_eq(script_env_get(env, "GROUPNAME"), "g?");
	ck_assert_str_eq(script_env_get(env, "REMOTE_HOSTNAME"), "");
	ck_assert_str_eq(script_env_get(env, "OCSERV_ROUTES"), "");
	ck_assert_str_eq(script_env_get(env, "REASON"), "connect");
	free(env);
	ck_assert_ptr_null(script_env_get(NULL, "REASON"));
}
END_TEST

static Suite *script_env_suite(void)
{
	Suite *s = suite_create("script-env");
	TCase *tc = tcase_create("env");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_disconnect);
	tcase_add_test(tc, test_control_characters_and_nulls);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(script_env_suite)
