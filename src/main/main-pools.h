/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_POOLS_H
#define OCSM_MAIN_POOLS_H

/*
 * The address pools of per-user and per-group files: a session whose user
 * file (else group file) sets ipv4-network gets its IPv4 address, netmask
 * and the server's side of its tun device from that network's pool, as in
 * ocserv. Sessions naming the same network share one pool; pools live as
 * long as main. A network that overlaps the global ipv4-network or another
 * file's (without being the same), or a file's network while the session
 * store is a cluster (whose pool is the global one), is not used: logged,
 * and the session takes the global pool.
 */

#include "common/conf.h"
#include "main/ippool.h"

struct server;

/* The pool of a session with these files (either may be NULL). */
struct ippool *main_pool_for(struct server *srv, const struct config_user *user,
			     const struct config_user *group, const char *username);

/* Free every file's pool (at exit). */
void main_pools_free(struct server *srv);

#endif
