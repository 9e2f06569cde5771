/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/ippool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int ippool_init(struct ippool *p, struct in_addr network, unsigned prefix)
{
	uint32_t net = ntohl(network.s_addr), mask;

	memset(p, 0, sizeof(*p));
	if (prefix < 1 || prefix > 30)
		return -EINVAL;
	mask = ~(uint32_t)0 << (32 - prefix);
	if (net & ~mask)
		return -EINVAL;
	p->network = net;
	p->broadcast = net | ~mask;
	p->first = net + 2;
	/* everything but network, server and broadcast: 2^(32-prefix) - 3 */
	p->count = p->broadcast - p->first;
	return 0;
}

int ippool_init_slots(struct ippool *p, uint32_t first, uint32_t count)
{
	memset(p, 0, sizeof(*p));
	if (count == 0 || first > UINT32_MAX - count)
		return -EINVAL;
	p->first = first;
	p->count = count;
	return 0;
}

void ippool_destroy(struct ippool *p)
{
	free(p->leases);
	p->leases = NULL;
	p->n_leases = p->cap = 0;
}

struct in_addr ippool_server_addr(const struct ippool *p)
{
	struct in_addr a = { .s_addr = htonl(p->network + 1) };

	return a;
}

struct in_addr ippool_netmask(const struct ippool *p)
{
	struct in_addr a = { .s_addr = htonl(~(p->broadcast - p->network)) };

	return a;
}

/* Index of the first lease with addr >= a (n_leases if none). */
static size_t lower_bound(const struct ippool *p, uint32_t a)
{
	size_t lo = 0, hi = p->n_leases;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->leases[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static ssize_t find_key(const struct ippool *p, uint64_t key)
{
	/* Linear: leases are at most max-clients sessions and this runs once
	 * per CONNECT; the sorted-by-address order serves allocation. */
	for (size_t i = 0; i < p->n_leases; i++)
		if (p->leases[i].key == key)
			return (ssize_t)i;
	return -1;
}

bool ippool_find_slot(const struct ippool *p, uint64_t key, uint32_t *slot)
{
	ssize_t i = key ? find_key(p, key) : -1;

	if (i < 0)
		return false;
	if (slot)
		*slot = p->leases[i].addr;
	return true;
}

bool ippool_find(const struct ippool *p, uint64_t key, struct in_addr *out)
{
	uint32_t a;

	if (!ippool_find_slot(p, key, &a))
		return false;
	if (out)
		out->s_addr = htonl(a);
	return true;
}

/* The first free client address at or after `from`, scanning up to `end`
 * (exclusive); 0 if the range is fully leased. *pos receives the insertion
 * index. */
static uint32_t first_free(const struct ippool *p, uint32_t from, uint32_t end, size_t *pos)
{
	size_t i = lower_bound(p, from);
	uint32_t a = from;

	while (a < end && i < p->n_leases && p->leases[i].addr == a) {
		a++;
		i++;
	}
	*pos = i;
	return a < end ? a : 0;
}

int ippool_lease(struct ippool *p, uint64_t key, uint32_t seed, struct in_addr *out)
{
	uint32_t a;
	int rc = ippool_lease_slot(p, key, seed, &a);

	if (rc == 0)
		out->s_addr = htonl(a);
	return rc;
}

int ippool_lease_slot(struct ippool *p, uint64_t key, uint32_t seed, uint32_t *out)
{
	uint32_t start, a;
	size_t pos;

	if (key == 0)
		return -EINVAL;
	if (ippool_find_slot(p, key, out))
		return 0;
	if (p->n_leases >= p->count)
		return -ENOSPC;
	start = p->first + seed % p->count;
	a = first_free(p, start, p->first + p->count, &pos);
	if (a == 0)
		a = first_free(p, p->first, start, &pos);
	if (a == 0)
		return -ENOSPC; /* not reached: n_leases < count */
	if (p->n_leases == p->cap) {
		size_t ncap = p->cap ? 2 * p->cap : 16;
		struct ippool_lease *nl = realloc(p->leases, ncap * sizeof(*nl));

		if (nl == NULL)
			return -ENOMEM;
		p->leases = nl;
		p->cap = ncap;
	}
	memmove(&p->leases[pos + 1], &p->leases[pos], (p->n_leases - pos) * sizeof(*p->leases));
	p->leases[pos].addr = a;
	p->leases[pos].key = key;
	p->n_leases++;
	*out = a;
	return 0;
}

bool ippool_release(struct ippool *p, uint64_t key)
{
	ssize_t i = key ? find_key(p, key) : -1;

	if (i < 0)
		return false;
	memmove(&p->leases[i], &p->leases[i + 1],
		(p->n_leases - (size_t)i - 1) * sizeof(*p->leases));
	p->n_leases--;
	return true;
}

size_t ippool_used(const struct ippool *p)
{
	return p->n_leases;
}

bool ippool_contains(const struct ippool *p, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	return p->count > 0 && a >= p->first && a - p->first < p->count;
}

uint32_t ippool_user_seed(const char *username)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *s = (const unsigned char *)username; *s; s++) {
		h ^= *s;
		h *= 16777619u;
	}
	return h;
}
