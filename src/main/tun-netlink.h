/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_TUN_NETLINK_H
#define OCSM_TUN_NETLINK_H

/*
 * main's side of the tun devices (common/tun.h): configured over rtnetlink
 * with libnl-3's route API: local address = the server's pool address,
 * peer = the client's address (a /32 point-to-point link, so the kernel
 * routes the client's address into this device), the same for IPv6 with
 * the client's subnet (ipv6-network), MTU, then link up.
 */

#include <netinet/in.h>

#include "common/conf.h"
#include "common/tun.h"

struct tun_ctx;

/* Open the rtnetlink socket main keeps for all devices. Returns 0 or a
 * negative errno (logged). */
int tun_ctx_open(struct tun_ctx **out);
void tun_ctx_close(struct tun_ctx *ctx);

/* The IPv6 side of a device: local/128 with peer/peer_prefix (the client's
 * subnet) as its point-to-point peer, without duplicate address detection. */
struct tun_v6 {
	struct in6_addr local, peer;
	unsigned peer_prefix;   /* 1..128 */
};

/*
 * Create (tun_open) and configure one device. prefix must leave room for
 * the number (tun_prefix_valid); mtu 0 keeps the kernel default; v6 NULL:
 * no IPv6 address. Returns 0 with *out filled, or a negative errno after
 * logging which step failed; nothing is left behind on failure.
 */
int tun_create(struct tun_ctx *ctx, const char *prefix, struct in_addr local,
	       struct in_addr peer, const struct tun_v6 *v6, unsigned mtu, struct tun *out);

/* A route to r's network through the device t (iroute: a network behind
 * the client). 0 or a negative errno (logged). The kernel removes it with
 * the device. */
int tun_add_route(struct tun_ctx *ctx, const struct tun *t, const struct config_route *r);

#endif
