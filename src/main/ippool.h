/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_IPPOOL_H
#define OCSM_IPPOOL_H

/*
 * The IPv4 pool clients get their VPN address from. Pure: no I/O, no clock,
 * no randomness (the caller passes the seed).
 *
 * Layout of a pool for network N with broadcast B (prefix 1..30):
 *
 *   N        network address            never leased
 *   N+1      the server's own address   local end of every P-t-P tun device
 *   N+2..B-1 client addresses           leased, one per session
 *   B        broadcast                  never leased
 *
 * A lease is keyed by the session (a non-zero 64-bit key the caller picks,
 * e.g. a session serial): asking again with the same key returns the same
 * address, so a session that resumes gets its address back (doc/spec/interop.md §0
 * rule 8). The lease lives until ippool_release(), i.e. until the session
 * ends, not when its tunnel drops.
 *
 * Choosing a new address: candidate = N + 2 + (seed mod number of client
 * addresses), then the next free one upwards, wrapping around. With
 * `predictable-ips` the seed is ippool_user_seed(username), so a user whose
 * session ended and who logs in again gets the same address if nobody took
 * it meanwhile; otherwise the caller passes a random seed.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ippool_lease {
	uint32_t addr; /* host byte order */
	uint64_t key;
};

struct ippool {
	uint32_t network;   /* host byte order, host bits zero */
	uint32_t broadcast; /* host byte order */
	uint32_t first;     /* first client address (network + 2) */
	uint32_t count;     /* number of client addresses */
	struct ippool_lease *leases; /* sorted by addr, n_leases entries */
	size_t n_leases;
	size_t cap;
};

/* Set up an empty pool for network/prefix (prefix 1..30; host bits of
 * network must be zero). Returns 0 or -EINVAL. */
int ippool_init(struct ippool *p, struct in_addr network, unsigned prefix);

/*
 * The same pool over plain slot numbers first..first+count-1 (count >= 1,
 * first + count <= 2^32): the IPv6 pool (ip6pool.h) numbers its client
 * subnets this way. network and broadcast stay 0; use the _slot calls.
 * Returns 0 or -EINVAL.
 */
int ippool_init_slots(struct ippool *p, uint32_t first, uint32_t count);
/* ippool_lease and ippool_find in slot numbers. */
int ippool_lease_slot(struct ippool *p, uint64_t key, uint32_t seed, uint32_t *slot);
bool ippool_find_slot(const struct ippool *p, uint64_t key, uint32_t *slot);

/* Drop every lease and free memory. The pool can be ippool_init()ed again. */
void ippool_destroy(struct ippool *p);

/* The server side (P-t-P local) address, network byte order. */
struct in_addr ippool_server_addr(const struct ippool *p);
/* The netmask, network byte order. */
struct in_addr ippool_netmask(const struct ippool *p);

/*
 * The address of session `key` (key != 0): its existing lease, else a new
 * one chosen from seed as described above. Returns 0 and sets *out (network
 * byte order); -EINVAL for key 0; -ENOSPC when every client address is
 * leased; -ENOMEM.
 */
int ippool_lease(struct ippool *p, uint64_t key, uint32_t seed, struct in_addr *out);

/* The lease of key, if any: true and *out set (out may be NULL). */
bool ippool_find(const struct ippool *p, uint64_t key, struct in_addr *out);

/* Release the lease of key. Returns true if there was one. */
bool ippool_release(struct ippool *p, uint64_t key);

/* Number of leased addresses. */
size_t ippool_used(const struct ippool *p);

/* True if addr (network byte order) is a client address of this pool. */
bool ippool_contains(const struct ippool *p, struct in_addr addr);

/* Seed for predictable-ips: a hash (FNV-1a, 32 bit) of the username. */
uint32_t ippool_user_seed(const char *username);

#endif
