/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_TUN_H
#define OCSM_TUN_H

/*
 * tun devices for the clients' tunnels: the ioctl side, shared by main and
 * the worker (nothing here needs libnl).
 *
 * One device per tunnel: /dev/net/tun opened with IFF_TUN | IFF_NO_PI,
 * named from the `device` prefix by the kernel ("vpns" -> vpns0, vpns1, ...,
 * the first free number). main creates it (it has CAP_NET_ADMIN), configures
 * it over rtnetlink (main/tun-netlink.h) and hands it to the worker as an fd.
 * The MTU is read and set by name: the worker sets it to the tunnel's data
 * MTU before it drops its privileges, main when the DTLS path MTU changes.
 *
 * The device lives as long as some process holds its fd: main closes its copy
 * with tun_close() and the worker's copy goes with the worker. Keeping a
 * device across a resume (doc/spec/liveness.md §2, waiting-to-resume) is then a matter
 * of keeping the struct tun with the session instead of the worker.
 */

#include <net/if.h>
#include <stdbool.h>

struct tun {
	int fd;                 /* -1 when closed */
	char name[IFNAMSIZ];    /* as the kernel named it */
	int ifindex;
	unsigned mtu;
};

/* True if prefix is usable as a `device` prefix. */
bool tun_prefix_valid(const char *prefix);

/*
 * Create a device named from prefix (tun_prefix_valid) and open it
 * non-blocking and close-on-exec: *out gets the fd and the kernel's name
 * (ifindex and mtu 0). Returns 0, or a negative errno after logging.
 */
int tun_open(const char *prefix, struct tun *out);

/* Close this process's copy of the fd. Idempotent. */
void tun_close(struct tun *t);

/* The MTU of the device called name, or 0 when it cannot be read. */
unsigned tun_get_mtu(const char *name);

/* Set the MTU of the device called name (needs CAP_NET_ADMIN). Returns 0,
 * -EINVAL for a name no device can have, or the ioctl's -errno. */
int tun_set_mtu(const char *name, unsigned mtu);

#endif
