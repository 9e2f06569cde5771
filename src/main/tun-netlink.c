/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/tun-netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "common/log.h"

struct tun_ctx {
	struct nl_sock *sk;
};

/* libnl's negative NLE_* codes to a negative errno, for our callers. */
static int nl_to_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_BUSY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

int tun_ctx_open(struct tun_ctx **out)
{
	struct tun_ctx *ctx = calloc(1, sizeof(*ctx));
	int r;

	*out = NULL;
	if (ctx == NULL)
		return -ENOMEM;
	ctx->sk = nl_socket_alloc();
	if (ctx->sk == NULL) {
		free(ctx);
		return -ENOMEM;
	}
	r = nl_connect(ctx->sk, NETLINK_ROUTE);
	if (r < 0) {
		log_err("rtnetlink socket: %s", nl_geterror(r));
		nl_socket_free(ctx->sk);
		free(ctx);
		return nl_to_errno(r);
	}
	/* main is the only process that uses it: no fork child should keep it */
	(void)fcntl(nl_socket_get_fd(ctx->sk), F_SETFD, FD_CLOEXEC);
	*out = ctx;
	return 0;
}

void tun_ctx_close(struct tun_ctx *ctx)
{
	if (ctx == NULL)
		return;
	nl_socket_free(ctx->sk);
	free(ctx);
}

/* Address with prefix length 32 as libnl wants it. */
static struct nl_addr *addr32(struct in_addr a)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof(a));

	if (n != NULL)
		nl_addr_set_prefixlen(n, 32);
	return n;
}

static int configure(struct tun_ctx *ctx, struct tun *t, struct in_addr local,
		     struct in_addr peer, unsigned mtu)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *nl_local = NULL, *nl_peer = NULL;
	char l[INET_ADDRSTRLEN], p[INET_ADDRSTRLEN];
	int r;

	inet_ntop(AF_INET, &local, l, sizeof(l));
	inet_ntop(AF_INET, &peer, p, sizeof(p));

	r = rtnl_link_get_kernel(ctx->sk, 0, t->name, &link);
	if (r < 0) {
		log_err("%s: looking up the new device: %s", t->name, nl_geterror(r));
		goto out;
	}
	t->ifindex = rtnl_link_get_ifindex(link);

	ra = rtnl_addr_alloc();
	nl_local = addr32(local);
	nl_peer = addr32(peer);
	if (ra == NULL || nl_local == NULL || nl_peer == NULL) {
		r = -NLE_NOMEM;
		log_err("%s: %s", t->name, nl_geterror(r));
		goto out;
	}
	rtnl_addr_set_ifindex(ra, t->ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	rtnl_addr_set_local(ra, nl_local);
	rtnl_addr_set_peer(ra, nl_peer);
	r = rtnl_addr_add(ctx->sk, ra, 0);
	if (r < 0) {
		log_err("%s: setting address %s peer %s: %s", t->name, l, p, nl_geterror(r));
		goto out;
	}

	change = rtnl_link_alloc();
	if (change == NULL) {
		r = -NLE_NOMEM;
		log_err("%s: %s", t->name, nl_geterror(r));
		goto out;
	}
	if (mtu != 0)
		rtnl_link_set_mtu(change, mtu);
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(ctx->sk, link, change, 0);
	if (r < 0) {
		log_err("%s: setting MTU %u and link up: %s", t->name, mtu, nl_geterror(r));
		goto out;
	}
	t->mtu = mtu;
	log_debug("%s: %s peer %s, mtu %u, up", t->name, l, p, mtu);
	r = 0;
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	rtnl_addr_put(ra);
	nl_addr_put(nl_local);
	nl_addr_put(nl_peer);
	return r < 0 ? nl_to_errno(r) : 0;
}

int tun_create(struct tun_ctx *ctx, const char *prefix, struct in_addr local,
	       struct in_addr peer, unsigned mtu, struct tun *out)
{
	int r = tun_open(prefix, out);

	if (r < 0)
		return r;
	r = configure(ctx, out, local, peer, mtu);
	if (r < 0) {
		/* closing the only fd of a non-persistent device deletes it */
		tun_close(out);
		return r;
	}
	return 0;
}
