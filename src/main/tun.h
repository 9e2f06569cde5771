/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_TUN_H
#define OCSM_TUN_H

/*
 * tun devices for the clients' tunnels, created by main (it has
 * CAP_NET_ADMIN) and handed to the worker as an fd.
 *
 * One device per tunnel: /dev/net/tun opened with IFF_TUN | IFF_NO_PI,
 * named from the `device` prefix by the kernel ("vpns" -> vpns0, vpns1, ...,
 * the first free number), configured over rtnetlink with libnl-3's route
 * API: local address = the server's pool address, peer = the client's
 * address (a /32 point-to-point link, so the kernel routes the client's
 * address into this device), MTU, then link up.
 *
 * The device lives as long as some process holds its fd: main closes its copy
 * with tun_close() and the worker's copy goes with the worker. Keeping a
 * device across a resume (doc/spec/liveness.md §2, waiting-to-resume) is then a matter
 * of keeping the struct tun with the session instead of the worker.
 */

#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>

struct tun {
	int fd;                 /* -1 when closed */
	char name[IFNAMSIZ];    /* as the kernel named it */
	int ifindex;
	unsigned mtu;
};

struct tun_ctx;

/* Open the rtnetlink socket main keeps for all devices. Returns 0 or a
 * negative errno (logged). */
int tun_ctx_open(struct tun_ctx **out);
void tun_ctx_close(struct tun_ctx *ctx);

/*
 * Create and configure one device (see above). prefix must leave room for
 * the number (at most IFNAMSIZ - 4 characters, no '%' or '/'); mtu 0 keeps
 * the kernel default. Returns 0 with *out filled, or a negative errno after
 * logging which step failed; nothing is left behind on failure.
 */
int tun_create(struct tun_ctx *ctx, const char *prefix, struct in_addr local,
	       struct in_addr peer, unsigned mtu, struct tun *out);

/* Close main's copy of the fd. Idempotent. */
void tun_close(struct tun *t);

/* True if prefix is usable as a `device` prefix. */
bool tun_prefix_valid(const char *prefix);

#endif
