/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cluster's session store, pure parts (src/sec-mod/cluster-rec.c): the
 * session-store URL, the auth file, and a record encoded as Redis hash
 * fields decoding to the very same record; every kind of bad record read
 * back from Redis is refused with a sentence naming the field.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cluster-rec.h"

START_TEST(test_url)
{
	struct cluster_url u;
	char err[512];

	ck_assert(cluster_is_url("redis://h"));
	ck_assert(cluster_is_url("redis+unix:///run/redis.sock"));
	ck_assert(!cluster_is_url("/var/lib/x.db"));
	ck_assert(!cluster_is_url("memory"));
	ck_assert_int_eq(cluster_url_parse("redis://10.0.0.1:6380/3", &u, err, sizeof(err)), 0);
	ck_assert(!u.unix_socket);
	ck_assert_str_eq(u.host, "10.0.0.1");
	ck_assert_uint_eq(u.port, 6380);
	ck_assert_uint_eq(u.db, 3);
	ck_assert_int_eq(cluster_url_parse("redis://redis.example", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "redis.example");
	ck_assert_uint_eq(u.port, 6379);
	ck_assert_uint_eq(u.db, 0);
	ck_assert_int_eq(cluster_url_parse("redis://[fd00::1]:7000/", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "fd00::1");
	ck_assert_uint_eq(u.port, 7000);
	ck_assert_int_eq(cluster_url_parse("redis+unix:///run/r.sock?db=2", &u, err, sizeof(err)), 0);
	ck_assert(u.unix_socket);
	ck_assert_str_eq(u.path, "/run/r.sock");
	ck_assert_uint_eq(u.db, 2);
	ck_assert_int_eq(cluster_url_parse("redis+unix:///run/r.sock", &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.db, 0);
}
END_TEST

START_TEST(test_url_bad)
{
	static const char *const bad[] = {
		"redis://", "redis://:6379", "redis://h:0", "redis://h:65536", "redis://h:x/1",
		"redis://h/abc", "redis://h:1/2/3", "redis://user:pw@h", "redis://[fd00::1",
		"redis+unix://relative", "redis+unix:///s?db=x", "redis+unix:///s?x=1",
		"redis+unix://", "http://h", "redis://h x",
	};
	struct cluster_url u;
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(cluster_url_parse(bad[i], &u, err, sizeof(err)) == -EINVAL, "%s", bad[i]);
		ck_assert_msg(strstr(err, "session-store") != NULL, "%s: %s", bad[i], err);
	}
}
END_TEST

START_TEST(test_auth)
{
	char user[CLUSTER_CRED_MAX + 1], pass[CLUSTER_CRED_MAX + 1], err[256];

	ck_assert_int_eq(cluster_auth_parse("# comment\n\nocsm s3cret\n", user, pass, err,
					    sizeof(err)), 0);
	ck_assert_str_eq(user, "ocsm");
	ck_assert_str_eq(pass, "s3cret");
	ck_assert_int_eq(cluster_auth_parse("onlypass\r\n", user, pass, err, sizeof(err)), 0);
	ck_assert_str_eq(user, "");
	ck_assert_str_eq(pass, "onlypass");
	ck_assert_int_eq(cluster_auth_parse("", user, pass, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(cluster_auth_parse("a SECRETX c\n", user, pass, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(strstr(err, "SECRETX"));
	ck_assert_int_eq(cluster_auth_parse("a\x01 b\n", user, pass, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_gw)
{
	ck_assert(cluster_gw_valid("gw-a.example_1"));
	ck_assert(!cluster_gw_valid(""));
	ck_assert(!cluster_gw_valid("a b"));
	ck_assert(!cluster_gw_valid("a:b"));
	ck_assert(!cluster_gw_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

static struct store_record sample(void)
{
	struct store_record r = {
		.serial = 77,
		.username = "alice",
		.group = "staff",
		.remote_ip = "10.1.2.3",
		.last_remote_ip = "fd00::9",
		.state = VPN_SESSION_WAITING,
		.drop_reason = VPN_END_DPD_TIMEOUT,
		.authenticated_ms = 1764700000123,
		.drop_ms = 1764700005000,
		.resumes = 3,
		.attaches = 4,
		.restarts = 1,
		.cfg = { .cookie_timeout_ms = 300000, .session_timeout_ms = 0,
			 .persistent_cookies = true },
		.totals = { UINT64_MAX, 2, 3, 4 },
	};
	char hex[2 * STORE_HASH_LEN + 1];

	for (size_t i = 0; i < STORE_HASH_LEN; i++)
		r.cookie_hash[i] = (uint8_t)(i * 37 + 5);
	cluster_hash_hex(r.cookie_hash, hex);
	memcpy(r.sid, hex, STORE_SID_LEN);
	r.sid[STORE_SID_LEN] = '\0';
	inet_pton(AF_INET, "192.168.77.83", &r.ipv4);
	return r;
}

static int decode_enc(const struct cluster_rec_enc *e, size_t n, struct cluster_rec *o, char *err,
		      size_t len)
{
	size_t lens[2 * CLUSTER_REC_FIELDS + 2];

	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(e->argv[i]);
	return cluster_rec_decode(e->argv, lens, n, o, err, len);
}

START_TEST(test_round_trip)
{
	struct store_record r = sample();
	struct cluster_rec_enc e;
	struct cluster_rec *o = malloc(sizeof(*o));
	char err[256];

	cluster_rec_encode(&r, "gw-a", 1764700009999, &e);
	ck_assert_int_eq(decode_enc(&e, 2 * CLUSTER_REC_FIELDS, o, err, sizeof(err)), 0);
	ck_assert_str_eq(o->gw, "gw-a");
	ck_assert_int_eq(o->seen_ms, 1764700009999);
	ck_assert_uint_eq(o->r.serial, 77);
	ck_assert_str_eq(o->r.sid, r.sid);
	ck_assert_mem_eq(o->r.cookie_hash, r.cookie_hash, STORE_HASH_LEN);
	ck_assert_str_eq(o->r.username, "alice");
	ck_assert_str_eq(o->r.group, "staff");
	ck_assert_str_eq(o->r.remote_ip, "10.1.2.3");
	ck_assert_str_eq(o->r.last_remote_ip, "fd00::9");
	ck_assert_uint_eq(o->r.ipv4, r.ipv4);
	ck_assert_int_eq(o->r.state, VPN_SESSION_WAITING);
	ck_assert_int_eq(o->r.drop_reason, VPN_END_DPD_TIMEOUT);
	ck_assert_int_eq(o->r.authenticated_ms, r.authenticated_ms);
	ck_assert_int_eq(o->r.drop_ms, r.drop_ms);
	ck_assert_uint_eq(o->r.resumes, 3);
	ck_assert_uint_eq(o->r.attaches, 4);
	ck_assert_uint_eq(o->r.restarts, 1);
	ck_assert_uint_eq(o->r.cfg.cookie_timeout_ms, 300000);
	ck_assert(o->r.cfg.persistent_cookies);
	ck_assert_uint_eq(o->r.totals.bytes_in, UINT64_MAX);
	ck_assert_uint_eq(o->r.totals.packets_out, 4);
	/* no drop yet, no lease, no seen time */
	r.drop_ms = STORE_NO_TIME;
	r.ipv4 = 0;
	r.state = VPN_SESSION_AUTHENTICATED;
	cluster_rec_encode(&r, "b", STORE_NO_TIME, &e);
	ck_assert_int_eq(decode_enc(&e, 2 * CLUSTER_REC_FIELDS, o, err, sizeof(err)), 0);
	ck_assert_int_eq(o->r.drop_ms, STORE_NO_TIME);
	ck_assert_int_eq(o->seen_ms, STORE_NO_TIME);
	ck_assert_uint_eq(o->r.ipv4, 0);
	free(o);
}
END_TEST

/* The record with field f's value replaced by v must be refused, the
 * error naming the field. */
static void refused(const char *f, const char *v)
{
	struct store_record r = sample();
	struct cluster_rec_enc e;
	struct cluster_rec *o = malloc(sizeof(*o));
	char err[256] = "";

	cluster_rec_encode(&r, "gw-a", 1, &e);
	for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS; i += 2)
		if (strcmp(e.argv[i], f) == 0)
			e.argv[i + 1] = v;
	ck_assert_msg(decode_enc(&e, 2 * CLUSTER_REC_FIELDS, o, err, sizeof(err)) == -EINVAL,
		      "%s=%s accepted", f, v);
	ck_assert_msg(strstr(err, f) != NULL || strstr(err, "version") != NULL, "%s: %s", f, err);
	free(o);
}

START_TEST(test_bad_values)
{
	refused("v", "2");
	refused("gw", "");
	refused("gw", "a b");
	refused("serial", "0");
	refused("serial", "-1");
	refused("serial", "99999999999999999999999");
	refused("sid", "0123");
	refused("sid", "ffffffffffffffffffffffffffffffff");
	refused("hash", "zz");
	refused("user", "al\nice");
	refused("ipv4", "300.1.1.1");
	refused("ipv4", "0.0.0.0");
	refused("state", "3");
	refused("dreason", "9999");
	refused("auth", "");
	refused("auth", "12x");
	refused("drop", "-9223372036854775808");
	refused("resumes", "4294967296");
	refused("pc", "2");
	refused("bi", "18446744073709551616");
}
END_TEST

START_TEST(test_bad_shape)
{
	struct store_record r = sample();
	struct cluster_rec_enc e;
	struct cluster_rec *o = malloc(sizeof(*o));
	const char *kv[4] = { "v", "1", "v", "1" };
	size_t lens[4] = { 1, 1, 1, 1 };
	char err[256];

	/* odd count, repeated field, missing fields */
	ck_assert_int_eq(cluster_rec_decode(kv, lens, 3, o, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(cluster_rec_decode(kv, lens, 4, o, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "repeated"));
	ck_assert_int_eq(cluster_rec_decode(kv, lens, 2, o, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	ck_assert_int_eq(cluster_rec_decode(kv, lens, 0, o, err, sizeof(err)), -EINVAL);
	/* a NUL inside a text */
	cluster_rec_encode(&r, "gw-a", 1, &e);
	{
		size_t l[2 * CLUSTER_REC_FIELDS];

		for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS; i++)
			l[i] = strlen(e.argv[i]);
		for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS; i += 2)
			if (strcmp(e.argv[i], "user") == 0)
				l[i + 1] += 1;
		ck_assert_int_eq(cluster_rec_decode(e.argv, l, 2 * CLUSTER_REC_FIELDS, o, err,
						    sizeof(err)), -EINVAL);
	}
	/* an unknown field is ignored */
	{
		const char *kv2[2 * CLUSTER_REC_FIELDS + 2];
		size_t l[2 * CLUSTER_REC_FIELDS + 2];

		memcpy(kv2, e.argv, sizeof(e.argv));
		kv2[2 * CLUSTER_REC_FIELDS] = "future";
		kv2[2 * CLUSTER_REC_FIELDS + 1] = "\x01\x02";
		for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS + 2; i++)
			l[i] = strlen(kv2[i]);
		ck_assert_int_eq(cluster_rec_decode(kv2, l, 2 * CLUSTER_REC_FIELDS + 2, o, err,
						    sizeof(err)), 0);
	}
	free(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cluster-rec");
	TCase *tc = tcase_create("cluster-rec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_url_bad);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_gw);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_bad_shape);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
