/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_SECMOD_H
#define OCSM_MAIN_SECMOD_H

/*
 * main's side of sec-mod (src/sec-mod/sec-mod.h). Setup order in main():
 * main_secmod_fork() before the event loop exists, main_secmod_start() once
 * it does; main_secmod_exited() from the SIGCHLD path; main_secmod_stop()
 * at exit.
 *
 * Sessions as main sees them: srv->sessions is a mirror of
 * sec-mod's records (sec-mod/session-table.h), updated by every SmSession sec-mod sends.
 * Look records up there (session_table_find_sid, session_table_first, ...). To end
 * one, call session_table_terminate() on the mirror as usual: the mirror's end
 * hook asks sec-mod to terminate it (the mirror shows it ended at once;
 * sec-mod's confirmation frees the lease, the device and the worker).
 * The hook is main_session_mirror_end (main-session.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"

struct server;

/* Fork sec-mod (srv->secmod_pid, srv->secmod_fd). 0 or -errno (logged). */
int main_secmod_fork(struct server *srv);
/*
 * Where what sec-mod says goes. main-secmod.c calls no other module of
 * main: main.c passes these (main-session.c's handlers, and its own
 * shutdown for lost) to main_secmod_start. on_session returns -EINVAL for a
 * record that is not valid.
 */
struct main_secmod_handlers {
	void (*on_auth_reply)(struct server *srv, const SmAuthReply *r);
	void (*on_open_reply)(struct server *srv, const SmOpenReply *r);
	int (*on_session)(struct server *srv, const SmSession *msg);
	void (*on_probe)(struct server *srv, const SmProbe *p);
	/* sec-mod died, broke the protocol or got stuck (logged): main
	 * cannot run without it */
	void (*lost)(struct server *srv);
};

/* Watch the socket on srv->loop and send the configuration; h (kept, not
 * copied) receives what sec-mod says. */
void main_secmod_start(struct server *srv, const struct main_secmod_handlers *h);
/* Send the configuration again (reload). */
void main_secmod_config(struct server *srv);
/* A child was reaped: true if it was sec-mod (main then shuts down). */
bool main_secmod_exited(struct server *srv, pid_t pid, int status);
/* Close the socket and reap sec-mod (bounded); pending lists get a final
 * empty callback. */
void main_secmod_stop(struct server *srv);

/* Send one message to sec-mod, never waiting: when its socket is full the
 * message is queued behind the others and sent as sec-mod reads. 0 (sent
 * or queued); -ENOBUFS: the queue is full, this message is dropped (logged
 * at most once a second) and main goes on; another negative ipc_outq_send()
 * code: main is shutting down (sec-mod gone). */
int main_secmod_send(struct server *srv, enum ipc_type type, const ProtobufCMessage *msg);
/* So many messages wait for sec-mod that a new login should be refused
 * (503) rather than queued behind them. */
bool main_secmod_busy(const struct server *srv);
/* Hand sec-mod its end (fd, closed here in any case) of the key channel of
 * a new worker (sec-mod/sec-mod-key.h), queued like any message when
 * sec-mod is behind. 0, or a negative code as main_secmod_send() (logged:
 * that worker's TLS handshake fails). */
int main_secmod_key_channel(struct server *srv, pid_t worker_pid, int fd);
/* The same for a login, with the password file, opened here (main is
 * root), passed along: sec-mod runs as run-as-user and cannot open it, and
 * reads it at every login so edits apply without a reload. When main cannot
 * open it (logged), the request goes without and sec-mod tries the name. */
int main_secmod_send_login(struct server *srv, const SmAuthRequest *q);
/* A fresh request id (never 0). */
uint64_t main_secmod_request_id(struct server *srv);

/*
 * List sec-mod's records (all: ended ones too), asynchronously. cb runs
 * once per SmListReply chunk with its records (valid during the call only),
 * last = true on the final one; if sec-mod goes away first, once with
 * sessions NULL, n 0, last true. Returns 0, or a negative code (cb is then
 * never called).
 */
typedef void main_secmod_list_fn(void *opaque, const SmSession *const *sessions, size_t n,
				 bool last);
int main_secmod_list(struct server *srv, bool all, bool cluster, main_secmod_list_fn *cb,
		     void *opaque);
/* cluster: instead, the sessions other gateways hold in the cluster's
 * session store (session-store = redis://...), SmSession.gateway set. */

/* This gateway's name in a cluster: gateway-id, else the host name. */
const char *main_gateway_id(const struct server *srv);

#endif
