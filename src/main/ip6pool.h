/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_IP6POOL_H
#define OCSM_IP6POOL_H

/*
 * The IPv6 pool (ipv6-network, ipv6-subnet-prefix). Pure: no I/O, no clock,
 * no randomness (the caller passes the seed).
 *
 * The network N/P is cut into client subnets of prefix S (S > P, default
 * 128: one address each), numbered 0, 1, ... from N:
 *
 *   N + 1                the server's own address (local end of every tun)
 *   the subnet(s) holding N and N + 1: never leased
 *   every other subnet   one per session; the client's address is the
 *                        subnet's first address, or its second when S < 128
 *                        (the first, all zero host bits, is the subnet-router
 *                        anycast address)
 *
 * The client is told ADDRESS/S (X-CSTP-Address-IP6). At most 2^32 - 2
 * subnets of a very large network are used.
 *
 * Leases are keyed by the session like the IPv4 pool's (ippool.h, which
 * does the bookkeeping over subnet numbers): the same key gets the same
 * address back until ip6pool_release().
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "main/ippool.h"

struct ip6pool {
	struct in6_addr network;  /* host bits zero */
	unsigned prefix;          /* P; 0: no IPv6 pool */
	unsigned subnet_prefix;   /* S, P < S <= 128 */
	struct ippool slots;      /* the subnets, by number */
};

/* An empty pool for network/prefix cut into /subnet_prefix subnets.
 * prefix 1..127, prefix < subnet_prefix <= 128, host bits of network zero,
 * and at least one client subnet. Returns 0 or -EINVAL. */
int ip6pool_init(struct ip6pool *p, const struct in6_addr *network, unsigned prefix,
		 unsigned subnet_prefix);
void ip6pool_destroy(struct ip6pool *p);

/* Whether the pool was set up (an ipv6-network is configured). */
bool ip6pool_enabled(const struct ip6pool *p);

/* The server's address, N + 1. */
struct in6_addr ip6pool_server_addr(const struct ip6pool *p);

/* The address of session key (!= 0): its lease, else a new one from seed
 * (as ippool_lease). 0 and *out; -EINVAL (key 0 or no pool), -ENOSPC,
 * -ENOMEM. */
int ip6pool_lease(struct ip6pool *p, uint64_t key, uint32_t seed, struct in6_addr *out);

/* Lease exactly want to key: 0; -EDOM when want is no client address of the
 * pool, -EADDRINUSE when another session holds it, or ip6pool_lease's
 * errors. A key that holds another address keeps it (-EADDRINUSE). */
int ip6pool_lease_exact(struct ip6pool *p, uint64_t key, const struct in6_addr *want);

bool ip6pool_find(const struct ip6pool *p, uint64_t key, struct in6_addr *out);
bool ip6pool_release(struct ip6pool *p, uint64_t key);
size_t ip6pool_used(const struct ip6pool *p);

/* True if a is the client address of one of the pool's client subnets. */
bool ip6pool_contains(const struct ip6pool *p, const struct in6_addr *a);

#endif
