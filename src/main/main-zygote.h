/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_ZYGOTE_H
#define OCSM_MAIN_ZYGOTE_H

/*
 * main's side of the worker zygote (worker-zygote = true; the zygote
 * itself: src/worker/zygote.h). main starts it at its start and after each
 * reload (a new one, with the new configuration; the old one is told to
 * go), asks it for a worker per connection, and falls back to fork + exec
 * of ocserv-modern-worker (logged) whenever it has none: the option is off,
 * the zygote died (main starts a new one at the next connection, at most
 * once per MAIN_ZYGOTE_RETRY_S), or it did not answer in time or named
 * as its worker a PID that is not main's new child (it is stopped, and
 * that one connection closed: a worker of the zygote may hold it
 * already). main is the workers' parent either way: it is a child
 * subreaper, and the zygote's workers are orphans given to it.
 */

#include <stdbool.h>
#include <sys/types.h>

struct server;

/* Between two start attempts of a zygote that died or failed. */
#define MAIN_ZYGOTE_RETRY_S 5
/* How long main waits for the zygote's answer to one request. */
#define MAIN_ZYGOTE_REPLY_MS 1000

/* Start the zygote if worker-zygote is on (logged either way when it
 * cannot be). */
void main_zygote_start(struct server *srv);
/* Tell it to go (its socket is closed; SIGTERM); nothing if none. */
void main_zygote_stop(struct server *srv);
/* After a reload: a new zygote with the new configuration, or none. */
void main_zygote_reload(struct server *srv);

/* main_zygote_spawn's answers besides a PID */
#define MAIN_ZYGOTE_NONE (-1)   /* no worker, and none can have the connection:
				 * fork and exec one */
#define MAIN_ZYGOTE_FAILED (-2) /* the zygote failed after it got the request
				 * (logged, stopped): close the connection */

/* A worker from the zygote for the connection tcp, with ipc and key as its
 * fds 4 and 5 and client (listen-proxy-proto, else NULL) as its client's
 * address: its PID, MAIN_ZYGOTE_NONE or MAIN_ZYGOTE_FAILED. main keeps
 * its descriptors in every case. */
pid_t main_zygote_spawn(struct server *srv, int tcp, int ipc, int key, const char *client);

/* pid (reaped with status) was a zygote: logged, and true. */
bool main_zygote_exited(struct server *srv, pid_t pid, int status);

#endif
