/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SEC_MOD_CLUSTER_H
#define OCSM_SEC_MOD_CLUSTER_H

/*
 * The cluster's session store in the sec-mod process: Redis through
 * hiredis's asynchronous API on sec-mod's libev loop (sec-mod-cluster.c,
 * doc/session-store.md). It implements struct secmod_cluster_ops for the
 * core.
 */

#include <ev.h>

struct secmod;
struct secmod_cluster;

/* Before sec-mod gives up root: parse the store's URL and read
 * auth_file (NULL: none; a file readable by everyone is refused), for
 * gateway gw. 0 and *out, or -1 (logged). No connection yet. */
int secmod_cluster_setup(const char *url, const char *auth_file, const char *gw,
			 struct secmod_cluster **out);

/* Hand the backend to core and connect on loop; after_fn(opaque) runs
 * after each answer that reached the core (its deadlines may have moved). */
void secmod_cluster_start(struct secmod_cluster *c, struct ev_loop *loop, struct secmod *core,
			  void (*after_fn)(void *), void *opaque);

/* Close the connections (pending requests are answered 503) and free. */
void secmod_cluster_free(struct secmod_cluster *c);

#endif
