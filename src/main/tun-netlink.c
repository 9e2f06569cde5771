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
#include <netlink/route/route.h>

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

/* An address of family (AF_INET or AF_INET6) with its prefix length, as
 * libnl wants it. */
static struct nl_addr *nladdr(int family, const void *a, unsigned prefix)
{
	struct nl_addr *n = nl_addr_build(family, a, family == AF_INET6 ? 16 : 4);

	if (n != NULL)
		nl_addr_set_prefixlen(n, (int)prefix);
	return n;
}

/* Add local (a host address) to t, with peer/peer_prefix as its
 * point-to-point peer for IPv4 (libnl sets a peer for IPv4 only: an IPv6
 * peer gets its route from add_route6). 0 or a negative NLE_* code
 * (logged). */
static int add_addr(struct tun_ctx *ctx, const struct tun *t, int family, const void *local,
		    const void *peer, unsigned peer_prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *nl_local = nladdr(family, local, family == AF_INET6 ? 128 : 32);
	struct nl_addr *nl_peer = nladdr(family, peer, peer_prefix);
	char l[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];
	int r = -NLE_NOMEM;

	inet_ntop(family, local, l, sizeof(l));
	inet_ntop(family, peer, p, sizeof(p));
	if (ra != NULL && nl_local != NULL && nl_peer != NULL) {
		rtnl_addr_set_ifindex(ra, t->ifindex);
		rtnl_addr_set_family(ra, family);
		rtnl_addr_set_local(ra, nl_local);
		r = family == AF_INET ? rtnl_addr_set_peer(ra, nl_peer) : 0;
		/* usable at once: nobody else is on a point-to-point link */
		if (family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		if (r == 0)
			r = rtnl_addr_add(ctx->sk, ra, 0);
	}
	if (r < 0)
		log_err("%s: setting address %s peer %s/%u: %s", t->name, l, p, peer_prefix,
			nl_geterror(r));
	rtnl_addr_put(ra);
	nl_addr_put(nl_local);
	nl_addr_put(nl_peer);
	return r;
}

/* The route of the client's IPv6 subnet into t. 0 or a negative NLE_* code
 * (logged). */
/* A route to addr/prefix (family's) through the device t; a libnl error. */
static int add_route(struct tun_ctx *ctx, const struct tun *t, int family, const void *addr,
		     unsigned prefix)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nladdr(family, addr, prefix);
	char p[INET6_ADDRSTRLEN];
	int r = -NLE_NOMEM;

	if (rt != NULL && nh != NULL && dst != NULL) {
		rtnl_route_set_family(rt, (uint8_t)family);
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
		r = rtnl_route_set_dst(rt, dst);
		rtnl_route_nh_set_ifindex(nh, t->ifindex);
		rtnl_route_add_nexthop(rt, nh);
		nh = NULL; /* the route's now */
		if (r == 0)
			r = rtnl_route_add(ctx->sk, rt, NLM_F_CREATE | NLM_F_REPLACE);
	}
	if (r < 0) {
		inet_ntop(family, addr, p, sizeof(p));
		log_err("%s: route to %s/%u: %s", t->name, p, prefix, nl_geterror(r));
	}
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	rtnl_route_put(rt);
	nl_addr_put(dst);
	return r;
}

static int add_route6(struct tun_ctx *ctx, const struct tun *t, const struct tun_v6 *v6)
{
	return add_route(ctx, t, AF_INET6, &v6->peer, v6->peer_prefix);
}

int tun_add_route(struct tun_ctx *ctx, const struct tun *t, const struct config_route *r)
{
	int e = add_route(ctx, t, r->family, &r->net, r->prefix);

	return e < 0 ? nl_to_errno(e) : 0;
}

static int configure(struct tun_ctx *ctx, struct tun *t, struct in_addr local,
		     struct in_addr peer, const struct tun_v6 *v6, unsigned mtu)
{
	struct rtnl_link *link = NULL, *change = NULL;
	int r;

	r = rtnl_link_get_kernel(ctx->sk, 0, t->name, &link);
	if (r < 0) {
		log_err("%s: looking up the new device: %s", t->name, nl_geterror(r));
		goto out;
	}
	t->ifindex = rtnl_link_get_ifindex(link);
	r = add_addr(ctx, t, AF_INET, &local, &peer, 32);
	if (r == 0 && v6 != NULL)
		r = add_addr(ctx, t, AF_INET6, &v6->local, &v6->peer, v6->peer_prefix);
	if (r < 0)
		goto out;

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
	if (v6 != NULL && (r = add_route6(ctx, t, v6)) < 0)
		goto out;
	t->mtu = mtu;
	log_debug("%s: configured%s, mtu %u, up", t->name, v6 != NULL ? " (with IPv6)" : "", mtu);
	r = 0;
out:
	rtnl_link_put(change);
	rtnl_link_put(link);
	return r < 0 ? nl_to_errno(r) : 0;
}

int tun_create(struct tun_ctx *ctx, const char *prefix, struct in_addr local,
	       struct in_addr peer, const struct tun_v6 *v6, unsigned mtu, struct tun *out)
{
	int r = tun_open(prefix, out);

	if (r < 0)
		return r;
	r = configure(ctx, out, local, peer, v6, mtu);
	if (r < 0) {
		/* closing the only fd of a non-persistent device deletes it */
		tun_close(out);
		return r;
	}
	return 0;
}
