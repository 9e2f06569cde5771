/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/ip6pool.h"

#include <errno.h>
#include <string.h>

typedef unsigned __int128 u128;

static u128 to_u128(const struct in6_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->s6_addr[i];
	return v;
}

static struct in6_addr from_u128(u128 v)
{
	struct in6_addr a;

	for (int i = 15; i >= 0; i--) {
		a.s6_addr[i] = (uint8_t)v;
		v >>= 8;
	}
	return a;
}

/* 2^bits, saturated at 2^64 (more subnets than ippool can number anyway). */
static uint64_t pow2_sat(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits;
}

/* The first subnet a client may get: the ones holding N and N + 1 are not. */
static uint32_t first_slot(unsigned subnet_prefix)
{
	return subnet_prefix == 128 ? 2 : 1;
}

int ip6pool_init(struct ip6pool *p, const struct in6_addr *network, unsigned prefix,
		 unsigned subnet_prefix)
{
	uint64_t total;
	uint32_t first = first_slot(subnet_prefix);
	u128 net = to_u128(network);

	memset(p, 0, sizeof(*p));
	if (prefix < 1 || prefix > 127 || subnet_prefix <= prefix || subnet_prefix > 128)
		return -EINVAL;
	if (net & ((~(u128)0) >> prefix))
		return -EINVAL;
	total = pow2_sat(subnet_prefix - prefix);
	if (total <= first)
		return -EINVAL;
	total -= first;
	if (total > UINT32_MAX - first)
		total = UINT32_MAX - first;
	if (ippool_init_slots(&p->slots, first, (uint32_t)total) < 0)
		return -EINVAL;
	p->network = *network;
	p->prefix = prefix;
	p->subnet_prefix = subnet_prefix;
	return 0;
}

void ip6pool_destroy(struct ip6pool *p)
{
	ippool_destroy(&p->slots);
}

bool ip6pool_enabled(const struct ip6pool *p)
{
	return p->prefix != 0;
}

struct in6_addr ip6pool_server_addr(const struct ip6pool *p)
{
	return from_u128(to_u128(&p->network) + 1);
}

static struct in6_addr slot_addr(const struct ip6pool *p, uint32_t slot)
{
	unsigned shift = 128 - p->subnet_prefix;
	u128 a = to_u128(&p->network) + ((u128)slot << shift);

	return from_u128(p->subnet_prefix < 128 ? a + 1 : a);
}

/* The subnet number of a client address; false when a is none. */
static bool addr_slot(const struct ip6pool *p, const struct in6_addr *a, uint32_t *slot)
{
	unsigned shift = 128 - p->subnet_prefix;
	u128 off = to_u128(a) - to_u128(&p->network);
	u128 idx;

	if (!ip6pool_enabled(p) || (to_u128(a) ^ to_u128(&p->network)) >> (128 - p->prefix))
		return false;
	if (p->subnet_prefix < 128 && (off & ((((u128)1) << shift) - 1)) != 1)
		return false;
	idx = off >> shift;
	if (idx < p->slots.first || idx - p->slots.first >= p->slots.count)
		return false;
	*slot = (uint32_t)idx;
	return true;
}

int ip6pool_lease(struct ip6pool *p, uint64_t key, uint32_t seed, struct in6_addr *out)
{
	uint32_t slot;
	int rc;

	if (!ip6pool_enabled(p))
		return -EINVAL;
	rc = ippool_lease_slot(&p->slots, key, seed, &slot);
	if (rc == 0)
		*out = slot_addr(p, slot);
	return rc;
}

int ip6pool_lease_exact(struct ip6pool *p, uint64_t key, const struct in6_addr *want)
{
	uint32_t slot, got;
	int rc;

	if (!addr_slot(p, want, &slot))
		return -EDOM;
	if (ippool_find_slot(&p->slots, key, &got))
		return got == slot ? 0 : -EADDRINUSE;
	/* the seed that makes the search start at that subnet */
	rc = ippool_lease_slot(&p->slots, key, slot - p->slots.first, &got);
	if (rc == 0 && got != slot) {
		ippool_release(&p->slots, key);
		rc = -EADDRINUSE;
	}
	return rc;
}

bool ip6pool_find(const struct ip6pool *p, uint64_t key, struct in6_addr *out)
{
	uint32_t slot;

	if (!ip6pool_enabled(p) || !ippool_find_slot(&p->slots, key, &slot))
		return false;
	if (out)
		*out = slot_addr(p, slot);
	return true;
}

bool ip6pool_release(struct ip6pool *p, uint64_t key)
{
	return ippool_release(&p->slots, key);
}

size_t ip6pool_used(const struct ip6pool *p)
{
	return ippool_used(&p->slots);
}

bool ip6pool_contains(const struct ip6pool *p, const struct in6_addr *a)
{
	uint32_t slot;

	return addr_slot(p, a, &slot);
}
