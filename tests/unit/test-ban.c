/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "main/ban.h"
#include "test-main.h"

/* ocserv sample config values, in ms */
#define MAX 80u
#define RESET 1200000u
#define BANT 300000u

static const struct ban_cfg cfg = { .max_score = MAX, .reset_ms = RESET, .ban_ms = BANT };

static struct ban_addr ADDR(const char *s)
{
	struct ban_addr a;

	ck_assert_int_eq(ban_addr_parse(s, &a), 0);
	return a;
}

START_TEST(test_addr)
{
	struct ban_addr a, b;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	char buf[INET6_ADDRSTRLEN];

	a = ADDR("192.0.2.1");
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(ban_addr_str(&a, buf, sizeof(buf)), "192.0.2.1");
	/* v4-mapped IPv6 is the IPv4 address (dual-stack listener) */
	b = ADDR("::ffff:192.0.2.1");
	ck_assert_int_eq(b.family, AF_INET);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	b = ADDR("2001:db8::1");
	ck_assert_int_eq(b.family, AF_INET6);
	ck_assert_str_eq(ban_addr_str(&b, buf, sizeof(buf)), "2001:db8::1");
	ck_assert_int_eq(ban_addr_parse("nope", &b), -EINVAL);
	ck_assert_int_eq(ban_addr_parse("192.0.2.1:443", &b), -EINVAL);
	ck_assert_int_eq(ban_addr_parse(NULL, &b), -EINVAL);

	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	sin.sin_port = htons(5555);
	ck_assert_int_eq(ban_addr_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a)); /* port ignored */
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	ck_assert_int_eq(ban_addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &b), 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_int_eq(ban_addr_from_sockaddr((struct sockaddr *)&sin, 4, &b), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_wrong_passwords_ban)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("198.51.100.7"), other = ADDR("198.51.100.8");
	vpn_ms_t now = 1000;

	ck_assert(!ban_add_points(t, &a, BAN_POINTS_CONNECTION, now));
	/* 7 wrong passwords: 71 points, not banned */
	for (int i = 0; i < 7; i++)
		ck_assert(!ban_add_points(t, &a, BAN_POINTS_WRONG_PASSWORD, ++now));
	ck_assert_uint_eq(ban_score(t, &a, now), 71);
	ck_assert(!ban_is_banned(t, &a, now));
	/* 8th: 81 >= 80 -> banned for exactly BANT */
	ck_assert(ban_add_points(t, &a, BAN_POINTS_WRONG_PASSWORD, ++now));
	ck_assert(ban_is_banned(t, &a, now));
	ck_assert(ban_is_banned(t, &a, now + BANT - 1));
	ck_assert(!ban_is_banned(t, &a, now + BANT));
	ck_assert(!ban_is_banned(t, &other, now));
	ck_assert_uint_eq(ban_banned_count(t, now), 1);
	ck_assert_uint_eq(ban_banned_count(t, now + BANT), 0);
	ban_free(t);
}
END_TEST

START_TEST(test_exact_threshold)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("2001:db8::5");

	for (int i = 0; i < 79; i++)
		ck_assert(!ban_add_points(t, &a, BAN_POINTS_CONNECTION, 0));
	ck_assert(!ban_is_banned(t, &a, 0));
	ck_assert(ban_add_points(t, &a, BAN_POINTS_CONNECTION, 0)); /* 80: reached */
	ck_assert(ban_is_banned(t, &a, 0));
	ban_free(t);
}
END_TEST

START_TEST(test_no_extension_while_banned)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("203.0.113.9");

	ck_assert(ban_add_points(t, &a, 100, 0));
	/* knocking during the ban adds nothing and does not prolong it */
	for (vpn_ms_t now = 1; now < BANT; now += 1000)
		ck_assert(!ban_add_points(t, &a, BAN_POINTS_WRONG_PASSWORD, now));
	ck_assert(!ban_is_banned(t, &a, BANT));
	/* after the ban: a fresh window starting from 0 */
	ck_assert(!ban_add_points(t, &a, BAN_POINTS_WRONG_PASSWORD, BANT));
	ck_assert_uint_eq(ban_score(t, &a, BANT), 10);
	ban_free(t);
}
END_TEST

START_TEST(test_reset_window)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("192.0.2.55");

	ck_assert(!ban_add_points(t, &a, 70, 0));
	/* the window opened at 0 ends at RESET: one ms before, 70+10 bans */
	ck_assert_uint_eq(ban_score(t, &a, RESET - 1), 70);
	ck_assert_uint_eq(ban_score(t, &a, RESET), 0);
	ck_assert(!ban_add_points(t, &a, 5, RESET));
	ck_assert_uint_eq(ban_score(t, &a, RESET), 5);
	ck_assert(!ban_is_banned(t, &a, RESET));
	/* the boundary the other way round */
	ban_forget(t, &a);
	ck_assert(!ban_add_points(t, &a, 70, 0));
	ck_assert(ban_add_points(t, &a, 10, RESET - 1));
	ban_free(t);
}
END_TEST

START_TEST(test_disabled)
{
	struct ban_cfg off = cfg;
	struct ban_table *t;
	struct ban_addr a = ADDR("192.0.2.1");

	off.max_score = 0;
	t = ban_new(&off);
	ck_assert(!ban_add_points(t, &a, 1000000, 0));
	ck_assert(!ban_is_banned(t, &a, 0));
	ck_assert_uint_eq(ban_entries(t), 0);
	ban_free(t);

	/* ban time 0: reaching the score bans nobody */
	off = cfg;
	off.ban_ms = 0;
	t = ban_new(&off);
	ck_assert(!ban_add_points(t, &a, MAX, 0));
	ck_assert(!ban_is_banned(t, &a, 0));
	ban_free(t);
}
END_TEST

START_TEST(test_reload)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("192.0.2.1");
	struct ban_cfg c2 = cfg;

	ck_assert(ban_add_points(t, &a, MAX, 0));
	/* a lower threshold keeps the ban */
	c2.max_score = 20;
	ban_set_cfg(t, &c2);
	ck_assert(ban_is_banned(t, &a, 1));
	/* disabling lifts every ban */
	c2.max_score = 0;
	ban_set_cfg(t, &c2);
	ck_assert(!ban_is_banned(t, &a, 1));
	ck_assert_uint_eq(ban_entries(t), 0);
	ban_free(t);
}
END_TEST

START_TEST(test_forget_and_expire)
{
	struct ban_table *t = ban_new(&cfg);
	struct ban_addr a = ADDR("192.0.2.1"), b = ADDR("192.0.2.2"), c = ADDR("::1");

	ck_assert(ban_add_points(t, &a, MAX, 0));   /* banned until BANT */
	ck_assert(!ban_add_points(t, &b, 1, 0));    /* window until RESET */
	ck_assert(!ban_add_points(t, &c, 1, 5000)); /* window until RESET + 5000 */
	ck_assert_uint_eq(ban_entries(t), 3);
	ck_assert_uint_eq(ban_expire(t, BANT - 1), 0);
	ck_assert_uint_eq(ban_expire(t, BANT), 1); /* a: ban over, its window too */
	ck_assert_uint_eq(ban_expire(t, RESET), 1); /* b */
	ck_assert_uint_eq(ban_entries(t), 1);
	ck_assert(ban_forget(t, &c));
	ck_assert(!ban_forget(t, &c));
	ck_assert_uint_eq(ban_entries(t), 0);
	ban_free(t);
}
END_TEST

struct visit {
	int n, banned;
	uint32_t score_sum;
};

static void visit(void *opaque, const struct ban_addr *a, uint32_t score, vpn_ms_t until)
{
	struct visit *v = opaque;

	v->n++;
	v->score_sum += score;
	if (until)
		v->banned++;
}

START_TEST(test_many_addresses)
{
	/* enough addresses to make the table grow; each keeps its own score */
	struct ban_table *t = ban_new(&cfg);
	struct visit v = { 0 };
	enum { N = 5000 };

	for (uint32_t i = 0; i < N; i++) {
		struct ban_addr a = { .family = AF_INET };
		uint32_t ip = htonl(0x0a000000u + i);

		memcpy(a.bytes, &ip, 4);
		ck_assert(!ban_add_points(t, &a, 1 + i % 50, 0));
	}
	ck_assert_uint_eq(ban_entries(t), N);
	for (uint32_t i = 0; i < N; i += 97) {
		struct ban_addr a = { .family = AF_INET };
		uint32_t ip = htonl(0x0a000000u + i);

		memcpy(a.bytes, &ip, 4);
		ck_assert_uint_eq(ban_score(t, &a, 1), 1 + i % 50);
		ck_assert(ban_add_points(t, &a, MAX, 1));
	}
	ban_foreach(t, 2, visit, &v);
	ck_assert_int_eq(v.n, N);
	ck_assert_int_eq(v.banned, (N + 96) / 97);
	ban_free(t);
}
END_TEST

static Suite *ban_suite(void)
{
	Suite *s = suite_create("ban");
	TCase *tc = tcase_create("ban");

	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_wrong_passwords_ban);
	tcase_add_test(tc, test_exact_threshold);
	tcase_add_test(tc, test_no_extension_while_banned);
	tcase_add_test(tc, test_reset_window);
	tcase_add_test(tc, test_disabled);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_forget_and_expire);
	tcase_add_test(tc, test_many_addresses);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ban_suite)
