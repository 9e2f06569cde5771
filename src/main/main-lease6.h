/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_LEASE6_H
#define OCSM_MAIN_LEASE6_H

/*
 * The IPv6 side of main's session records (main-session.h: struct
 * main_lease): the lease from ipv6-network (main/ip6pool.h), its
 * explicit-ipv6, its return after a restart, and what the tun device and
 * the CONNECT reply get of it. Without ipv6-network every call is a no-op
 * and a session has no IPv6 lease.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct server;
struct main_lease;
struct tun_v6;

/* Lease an IPv6 address to m unless it has one: its explicit-ipv6 when that
 * is a free client address of the pool (else logged, and the pool chooses),
 * else the pool's choice from seed. 0 (also without ipv6-network), or the
 * pool's -errno. */
int main_lease6_acquire(struct server *srv, struct main_lease *m, uint32_t seed);

/* A session restored from the session store with the IPv6 address a (::
 * none): reserve it for m if it is a free client address of the pool;
 * logged otherwise (the resume then gets a new one). */
void main_lease6_restore(struct server *srv, struct main_lease *m, const struct in6_addr *a);

/* Release m's IPv6 lease, if any. */
void main_lease6_release(struct server *srv, struct main_lease *m);

/* The IPv6 side of m's tun device: false when m has no IPv6 lease. */
bool main_lease6_tun(const struct server *srv, const struct main_lease *m, struct tun_v6 *out);

/* m's address, its prefix length and the server's address as text (""
 * and 0 without an IPv6 lease); each buffer INET6_ADDRSTRLEN bytes. */
unsigned main_lease6_text(const struct server *srv, const struct main_lease *m, char *addr,
			  char *local);

#endif
