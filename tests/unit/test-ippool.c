/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "main/ip6pool.h"
#include "main/ippool.h"
#include "test-main.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const char *S(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(AF_INET, &a, buf[i], sizeof(buf[i]));
}

START_TEST(test_init)
{
	struct ippool p;

	ck_assert_int_eq(ippool_init(&p, A("10.10.0.0"), 24), 0);
	ck_assert_str_eq(S(ippool_server_addr(&p)), "10.10.0.1");
	ck_assert_str_eq(S(ippool_netmask(&p)), "255.255.255.0");
	ck_assert_uint_eq(p.count, 253); /* .2 .. .254 */
	ck_assert(!ippool_contains(&p, A("10.10.0.0")));
	ck_assert(!ippool_contains(&p, A("10.10.0.1")));
	ck_assert(ippool_contains(&p, A("10.10.0.2")));
	ck_assert(ippool_contains(&p, A("10.10.0.254")));
	ck_assert(!ippool_contains(&p, A("10.10.0.255")));
	ck_assert(!ippool_contains(&p, A("10.10.1.2")));
	ippool_destroy(&p);

	ck_assert_int_eq(ippool_init(&p, A("10.10.0.1"), 24), -EINVAL); /* host bits */
	ck_assert_int_eq(ippool_init(&p, A("10.0.0.0"), 0), -EINVAL);
	ck_assert_int_eq(ippool_init(&p, A("10.0.0.0"), 31), -EINVAL);
	ck_assert_int_eq(ippool_init(&p, A("10.0.0.0"), 8), 0);
	ck_assert_str_eq(S(ippool_netmask(&p)), "255.0.0.0");
	ck_assert_uint_eq(p.count, (1u << 24) - 3);
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_same_key_same_address)
{
	struct ippool p;
	struct in_addr a, b, c;

	ck_assert_int_eq(ippool_init(&p, A("192.168.77.0"), 24), 0);
	ck_assert_int_eq(ippool_lease(&p, 1, 0, &a), 0);
	ck_assert_str_eq(S(a), "192.168.77.2"); /* seed 0: first client address */
	/* any seed: the key's lease wins (a resumed session keeps its IP) */
	ck_assert_int_eq(ippool_lease(&p, 1, 12345, &b), 0);
	ck_assert_uint_eq(a.s_addr, b.s_addr);
	ck_assert_uint_eq(ippool_used(&p), 1);
	ck_assert(ippool_find(&p, 1, &c));
	ck_assert_uint_eq(a.s_addr, c.s_addr);
	ck_assert(!ippool_find(&p, 2, NULL));
	ck_assert_int_eq(ippool_lease(&p, 0, 0, &c), -EINVAL);
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_seed_and_collision)
{
	struct ippool p;
	struct in_addr a, b, c, d;

	ck_assert_int_eq(ippool_init(&p, A("10.0.0.0"), 24), 0);
	/* seed 10 -> .12; the same seed for another key -> the next free one */
	ck_assert_int_eq(ippool_lease(&p, 1, 10, &a), 0);
	ck_assert_str_eq(S(a), "10.0.0.12");
	ck_assert_int_eq(ippool_lease(&p, 2, 10, &b), 0);
	ck_assert_str_eq(S(b), "10.0.0.13");
	ck_assert_int_eq(ippool_lease(&p, 3, 10 + 253, &c), 0); /* seed wraps mod count */
	ck_assert_str_eq(S(c), "10.0.0.14");
	/* top of the range wraps to the bottom */
	ck_assert_int_eq(ippool_lease(&p, 4, 252, &d), 0);
	ck_assert_str_eq(S(d), "10.0.0.254");
	ck_assert_int_eq(ippool_lease(&p, 5, 252, &d), 0);
	ck_assert_str_eq(S(d), "10.0.0.2");
	/* release: the address comes back for whoever asks with that seed */
	ck_assert(ippool_release(&p, 1));
	ck_assert(!ippool_release(&p, 1));
	ck_assert(!ippool_find(&p, 1, NULL));
	ck_assert_int_eq(ippool_lease(&p, 6, 10, &a), 0);
	ck_assert_str_eq(S(a), "10.0.0.12");
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_exhaustion_never_reserved)
{
	/* /28: 16 addresses, 13 for clients; lease all, none is network,
	 * server or broadcast, all distinct; the 14th fails with ENOSPC */
	struct ippool p;
	struct in_addr a;
	bool used[16] = { false };

	ck_assert_int_eq(ippool_init(&p, A("172.16.5.32"), 28), 0);
	for (uint64_t k = 1; k <= 13; k++) {
		uint32_t h;

		ck_assert_int_eq(ippool_lease(&p, k, (uint32_t)(k * 7919), &a), 0);
		h = ntohl(a.s_addr) & 15;
		ck_assert_uint_ne(h, 0);
		ck_assert_uint_ne(h, 1);
		ck_assert_uint_ne(h, 15);
		ck_assert(!used[h]);
		used[h] = true;
		ck_assert(ippool_contains(&p, a));
	}
	ck_assert_int_eq(ippool_lease(&p, 14, 0, &a), -ENOSPC);
	ck_assert_int_eq(ippool_lease(&p, 14, 99, &a), -ENOSPC);
	/* an existing key still gets its address when full */
	ck_assert_int_eq(ippool_lease(&p, 13, 0, &a), 0);
	ck_assert(ippool_release(&p, 7));
	ck_assert_int_eq(ippool_lease(&p, 14, 0, &a), 0);
	ck_assert_uint_eq(ippool_used(&p), 13);
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_slash30)
{
	struct ippool p;
	struct in_addr a;

	ck_assert_int_eq(ippool_init(&p, A("10.9.9.4"), 30), 0);
	ck_assert_str_eq(S(ippool_server_addr(&p)), "10.9.9.5");
	ck_assert_int_eq(ippool_lease(&p, 1, 77, &a), 0);
	ck_assert_str_eq(S(a), "10.9.9.6");
	ck_assert_int_eq(ippool_lease(&p, 2, 0, &a), -ENOSPC);
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_predictable_seed)
{
	struct ippool p;
	struct in_addr a, b;

	/* FNV-1a reference values */
	ck_assert_uint_eq(ippool_user_seed(""), 2166136261u);
	ck_assert_uint_eq(ippool_user_seed("a"), 0xe40c292cu);
	ck_assert_uint_ne(ippool_user_seed("alice"), ippool_user_seed("bob"));

	/* alice's session ends; her next session gets the same address */
	ck_assert_int_eq(ippool_init(&p, A("192.168.0.0"), 16), 0);
	ck_assert_int_eq(ippool_lease(&p, 100, ippool_user_seed("alice"), &a), 0);
	ck_assert(ippool_release(&p, 100));
	ck_assert_int_eq(ippool_lease(&p, 101, ippool_user_seed("bob"), &b), 0);
	ck_assert_uint_ne(a.s_addr, b.s_addr);
	ck_assert_int_eq(ippool_lease(&p, 102, ippool_user_seed("alice"), &b), 0);
	ck_assert_uint_eq(a.s_addr, b.s_addr);
	ippool_destroy(&p);
}
END_TEST

START_TEST(test_many_random)
{
	/* 2000 leases with pseudo-random seeds and interleaved releases: the
	 * table stays sorted and every key keeps its one address */
	struct ippool p;
	struct in_addr a;
	uint32_t x = 12345;
	enum { N = 2000 };
	uint32_t *addr = calloc(N + 1, sizeof(*addr));

	ck_assert_int_eq(ippool_init(&p, A("10.64.0.0"), 20), 0); /* 4093 clients */
	for (uint64_t k = 1; k <= N; k++) {
		x = x * 1103515245u + 12345u;
		ck_assert_int_eq(ippool_lease(&p, k, x, &a), 0);
		addr[k] = a.s_addr;
		if (k % 3 == 0) {
			ck_assert(ippool_release(&p, k / 2));
			addr[k / 2] = 0;
		}
	}
	for (size_t i = 1; i < p.n_leases; i++)
		ck_assert_uint_lt(p.leases[i - 1].addr, p.leases[i].addr);
	for (uint64_t k = 1; k <= N; k++) {
		bool has = ippool_find(&p, k, &a);

		ck_assert(has == (addr[k] != 0));
		if (has)
			ck_assert_uint_eq(a.s_addr, addr[k]);
	}
	free(addr);
	ippool_destroy(&p);
}
END_TEST

/* --- the IPv6 pool ------------------------------------------------------- */

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void assert_a6(const struct in6_addr *a, const char *want)
{
	char t[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a, t, sizeof(t)));
	ck_assert_str_eq(t, want);
}

START_TEST(test_v6_init)
{
	struct ip6pool p;
	struct in6_addr n = a6("fd00:77::"), bad = a6("fd00:77::1");

	memset(&p, 0xff, sizeof(p));
	ck_assert_int_eq(ip6pool_init(&p, &bad, 64, 128), -EINVAL); /* host bits */
	ck_assert(!ip6pool_enabled(&p));
	ck_assert_int_eq(ip6pool_init(&p, &n, 64, 64), -EINVAL);    /* S must exceed P */
	ck_assert_int_eq(ip6pool_init(&p, &n, 0, 128), -EINVAL);
	ck_assert_int_eq(ip6pool_init(&p, &n, 64, 129), -EINVAL);
	/* /127 of /128s: only N and N + 1, no client */
	ck_assert_int_eq(ip6pool_init(&p, &n, 127, 128), -EINVAL);
	ck_assert_int_eq(ip6pool_init(&p, &n, 126, 128), 0);
	ck_assert(ip6pool_enabled(&p));
	ck_assert_uint_eq(p.slots.count, 2);
	ip6pool_destroy(&p);
	/* a /64 of /128s: capped at 2^32 - 1 subnet numbers */
	ck_assert_int_eq(ip6pool_init(&p, &n, 64, 128), 0);
	ck_assert_uint_eq(p.slots.first, 2);
	ck_assert_uint_eq(p.slots.count, UINT32_MAX - 2);
	struct in6_addr srv = ip6pool_server_addr(&p);
	assert_a6(&srv, "fd00:77::1");
	ip6pool_destroy(&p);
}
END_TEST

START_TEST(test_v6_lease_128)
{
	struct ip6pool p;
	struct in6_addr n = a6("fd00:77::"), a, b, again;

	ck_assert_int_eq(ip6pool_init(&p, &n, 64, 128), 0);
	ck_assert_int_eq(ip6pool_lease(&p, 0, 0, &a), -EINVAL);
	ck_assert_int_eq(ip6pool_lease(&p, 7, 0, &a), 0);
	assert_a6(&a, "fd00:77::2");                /* seed 0: the first client */
	ck_assert_int_eq(ip6pool_lease(&p, 8, 0, &b), 0);
	assert_a6(&b, "fd00:77::3");                /* the next free one */
	ck_assert_int_eq(ip6pool_lease(&p, 7, 12345, &again), 0);
	ck_assert(IN6_ARE_ADDR_EQUAL(&a, &again));  /* same key, same address */
	ck_assert(ip6pool_find(&p, 8, &again));
	ck_assert(IN6_ARE_ADDR_EQUAL(&b, &again));
	ck_assert_uint_eq(ip6pool_used(&p), 2);
	ck_assert(ip6pool_contains(&p, &a));
	struct in6_addr srv = ip6pool_server_addr(&p), out = a6("fd00:78::2");
	ck_assert(!ip6pool_contains(&p, &srv));
	ck_assert(!ip6pool_contains(&p, &n));
	ck_assert(!ip6pool_contains(&p, &out));
	/* a large seed lands high in the network */
	ck_assert_int_eq(ip6pool_lease(&p, 9, 0xfffffff0u, &a), 0);
	assert_a6(&a, "fd00:77::ffff:fff2");
	ck_assert(ip6pool_release(&p, 7));
	ck_assert(!ip6pool_release(&p, 7));
	ck_assert(!ip6pool_find(&p, 7, NULL));
	ip6pool_destroy(&p);
}
END_TEST

START_TEST(test_v6_subnets)
{
	struct ip6pool p;
	struct in6_addr n = a6("2001:db8:77::"), a, b, s0 = a6("2001:db8:77::1");

	/* a /48 cut into /64s: subnet 0 holds N and N + 1 */
	ck_assert_int_eq(ip6pool_init(&p, &n, 48, 64), 0);
	ck_assert_uint_eq(p.slots.first, 1);
	ck_assert_uint_eq(p.slots.count, 65535);
	ck_assert_int_eq(ip6pool_lease(&p, 1, 0, &a), 0);
	assert_a6(&a, "2001:db8:77:1::1");
	ck_assert_int_eq(ip6pool_lease(&p, 2, 65534, &b), 0);
	assert_a6(&b, "2001:db8:77:ffff::1");
	ck_assert(ip6pool_contains(&p, &a));
	ck_assert(!ip6pool_contains(&p, &s0));
	struct in6_addr base = a6("2001:db8:77:1::"), other = a6("2001:db8:77:1::2");
	ck_assert(!ip6pool_contains(&p, &base));   /* the anycast address is none */
	ck_assert(!ip6pool_contains(&p, &other));
	/* every subnet leased: the pool is full */
	for (uint64_t k = 3; k < 3 + 65533; k++)
		ck_assert_int_eq(ip6pool_lease(&p, k, (uint32_t)k, &a), 0);
	ck_assert_int_eq(ip6pool_lease(&p, 999999, 0, &a), -ENOSPC);
	ip6pool_destroy(&p);
}
END_TEST

START_TEST(test_v6_exact)
{
	struct ip6pool p;
	struct in6_addr n = a6("fd00:77::"), want = a6("fd00:77::2a"), got;
	struct in6_addr srv = a6("fd00:77::1"), far = a6("fd00:78::2a");

	ck_assert_int_eq(ip6pool_init(&p, &n, 120, 128), 0);
	ck_assert_int_eq(ip6pool_lease_exact(&p, 5, &want), 0);
	ck_assert(ip6pool_find(&p, 5, &got));
	ck_assert(IN6_ARE_ADDR_EQUAL(&got, &want));
	ck_assert_int_eq(ip6pool_lease_exact(&p, 5, &want), 0);          /* again: fine */
	ck_assert_int_eq(ip6pool_lease_exact(&p, 6, &want), -EADDRINUSE); /* taken */
	ck_assert(!ip6pool_find(&p, 6, NULL));
	ck_assert_int_eq(ip6pool_lease_exact(&p, 6, &srv), -EDOM);
	ck_assert_int_eq(ip6pool_lease_exact(&p, 6, &far), -EDOM);
	ck_assert_uint_eq(ip6pool_used(&p), 1);
	ip6pool_destroy(&p);
	/* no pool: nothing is leased */
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(ip6pool_lease(&p, 1, 0, &got), -EINVAL);
	ck_assert_int_eq(ip6pool_lease_exact(&p, 1, &want), -EDOM);
	ck_assert(!ip6pool_find(&p, 1, NULL));
}
END_TEST

static Suite *ippool_suite(void)
{
	Suite *s = suite_create("ippool");
	TCase *tc = tcase_create("ippool");

	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_same_key_same_address);
	tcase_add_test(tc, test_seed_and_collision);
	tcase_add_test(tc, test_exhaustion_never_reserved);
	tcase_add_test(tc, test_slash30);
	tcase_add_test(tc, test_predictable_seed);
	tcase_add_test(tc, test_many_random);
	tcase_add_test(tc, test_v6_init);
	tcase_add_test(tc, test_v6_lease_128);
	tcase_add_test(tc, test_v6_subnets);
	tcase_add_test(tc, test_v6_exact);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ippool_suite)
