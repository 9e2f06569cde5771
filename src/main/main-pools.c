/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The pools of per-user and per-group ipv4-network (main-pools.h). */

#include <arpa/inet.h>
#include <stdlib.h>

#include "common/cluster-rec.h"
#include "common/log.h"
#include "main/main-pools.h"
#include "main/main.h"

struct main_pool {
	struct ippool pool;
	unsigned prefix;
	struct main_pool *next;
};

/* Do the networks a/pa and b/pb share an address? */
static bool overlap(uint32_t a, unsigned pa, uint32_t b, unsigned pb)
{
	unsigned p = pa < pb ? pa : pb;
	uint32_t m = p != 0 ? 0xffffffffu << (32 - p) : 0;

	return (a & m) == (b & m);
}

/* The files' network: the user's, else the group's; NULL: none. */
static const struct config_user *pool_file(const struct config_user *user,
					   const struct config_user *group)
{
	const unsigned bit = 1u << CONFIG_USER_IPV4_NETWORK;

	if (user != NULL && (user->set & bit))
		return user;
	return group != NULL && (group->set & bit) ? group : NULL;
}

/* Why the network net/prefix cannot have a pool of its own (NULL: it can);
 * *same: the existing pool of exactly that network, if any. */
static const char *pool_conflict(struct server *srv, uint32_t net, unsigned prefix,
				 struct ippool **same)
{
	*same = NULL;
	if (cluster_is_url(srv->cfg.session_store))
		return "the cluster's session store leases from the global ipv4-network only";
	if (net == srv->pool.network && prefix == srv->cfg.ipv4_prefix) {
		*same = &srv->pool;
		return NULL;
	}
	if (overlap(net, prefix, srv->pool.network, srv->cfg.ipv4_prefix))
		return "it overlaps the global ipv4-network";
	for (struct main_pool *p = srv->pools; p != NULL; p = p->next) {
		if (p->pool.network == net && p->prefix == prefix) {
			*same = &p->pool;
			return NULL;
		}
		if (overlap(net, prefix, p->pool.network, p->prefix))
			return "it overlaps another file's ipv4-network";
	}
	return NULL;
}

struct ippool *main_pool_for(struct server *srv, const struct config_user *user,
			     const struct config_user *group, const char *username)
{
	const struct config_user *f = pool_file(user, group);
	struct main_pool *p;
	struct ippool *same;
	const char *why;
	char a[INET_ADDRSTRLEN];

	if (f == NULL)
		return &srv->pool;
	inet_ntop(AF_INET, &f->ipv4_network, a, sizeof(a));
	why = pool_conflict(srv, ntohl(f->ipv4_network.s_addr), f->ipv4_prefix, &same);
	if (same != NULL)
		return same;
	p = why == NULL ? calloc(1, sizeof(*p)) : NULL;
	if (why == NULL && p == NULL)
		why = "out of memory";
	if (why == NULL && ippool_init(&p->pool, f->ipv4_network, f->ipv4_prefix) < 0) {
		free(p);
		why = "not a usable network";
	}
	if (why != NULL) {
		log_err("ipv4-network %s/%u of the %s file of '%s' not used (%s): the global pool "
			"applies", a, f->ipv4_prefix, f == user ? "user" : "group", LOG_ESC(username), why);
		return &srv->pool;
	}
	p->prefix = f->ipv4_prefix;
	p->next = srv->pools;
	srv->pools = p;
	log_info("address pool %s/%u for the sessions of %s files naming it", a, f->ipv4_prefix,
		 f == user ? "user" : "group");
	return &p->pool;
}

void main_pools_free(struct server *srv)
{
	while (srv->pools != NULL) {
		struct main_pool *p = srv->pools;

		srv->pools = p->next;
		ippool_destroy(&p->pool);
		free(p);
	}
}
