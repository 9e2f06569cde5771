/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SEC_MOD_H
#define OCSM_SEC_MOD_H

/*
 * sec-mod: the process main forks to hold the session records
 * (Parent-Tunnels, doc/spec/liveness.md §2) and authentication (doc/spec/architecture.md).
 *
 *   worker --AuthRequest-----------> main --SmAuthRequest--> sec-mod
 *          <-AuthReply (cookie)----       <-SmAuthReply-----   password file,
 *                                                              max-same-clients,
 *                                                              new session
 *   worker --SessionOpenRequest----> main --SmOpenRequest--> sec-mod
 *          <-SessionOpenReply+tun--       <-SmOpenReply-----   cookie -> session:
 *                                                              first/resume/
 *                                                              takeover or 401
 *   worker --TunnelStats/Down------> main --SmTunnelStats/--> sec-mod
 *                                         SmTunnelDown         counters, §2.1 table
 *                                         <-SmSession-------   every change of a record
 *                                         (main: lease, device, worker, scripts)
 *
 * main keeps the workers, the IPv4 leases, the tun devices and a mirror of
 * the records; sec-mod owns the records, their cookies (main never sees a
 * cookie except in transit) and their deadlines, on one timer. Every change
 * of a record is sent to main as an SmSession before any reply that follows
 * from it, and main copies it into its mirror (session_table_mirror_update).
 * main changes a mirror record itself in two ways only, both overwritten by
 * sec-mod's next SmSession for it: the worker holding the tunnel
 * (worker_pid, which main learns first), and an end asked for by occtl,
 * which the mirror shows at once (ended_locally) while SmTerminate goes to
 * sec-mod.
 *
 * This file declares two things:
 *  - the core (sec-mod.c): message in, messages out, no I/O of its own. The
 *    password check and the output are callbacks and time is passed in, so
 *    the unit tests drive it directly;
 *  - the process (sec-mod-proc.c): fork, event loop, IPC and the timer
 *    around the core.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/ipc.h"
#include "sec-mod/acct.h"
#include "sec-mod/auth.h"
#include "sec-mod/session-table.h"
#include "vpn/time.h"

/* How long sec-mod waits for the answers to the probes of a login held back
 * by max-same-clients (doc/spec/liveness.md §9), beyond the probe's grace: a worker
 * that does not answer in time counts as silent. */
#define SECMOD_PROBE_SLACK_MS 1000u
/* Logins waiting for probes at once, server-wide; more are refused. */
#define SECMOD_MAX_PENDING_LOGINS 64u
/* Logins in progress at once (checks running, further forms waiting for
 * their answer); more are refused as busy. */
#define SECMOD_MAX_AUTHS 4096u
/* How long a further login form waits for its answer. */
#define SECMOD_AUTH_ROUND_MS 120000u
/* The token that ties a further form's answer to its login (hex). */
#define SECMOD_LOGIN_TOKEN_LEN 32u
/* Records per SmListReply datagram. */
#define SECMOD_LIST_CHUNK 64u

/* Outputs of the core. */
struct secmod_ops {
	/* Send msg (of type) to main. The core does not care whether it
	 * arrived: a lost message is main's problem (it shuts down). */
	void (*send)(void *opaque, enum ipc_type type, const ProtobufCMessage *msg);
	/* Check a password: 0 and the user's groups ("g1,g2", "" for none)
	 * in groups; -ENOENT no such user; -EACCES wrong password or locked;
	 * another negative errno if the file could not be read. fd: the file
	 * as main opened it for this login, -1: none (open file by name).
	 * Runs where exec runs it: on a pool thread in the process, so it
	 * must be thread-safe. (passwd.h's passwd_check_fd in the process, a
	 * table in the tests.) */
	int (*check_password)(void *opaque, const char *file, int fd, const char *user,
			      const char *password, char *groups, size_t len);
	/* Where the authentication backends run blocking work (auth.h):
	 * submit NULL runs it at once (the unit tests). exec.opaque is its
	 * own. */
	struct auth_exec exec;
	/* The monotonic clock, for answers that come between messages (a
	 * finished job). NULL: vpn_now_ms(). */
	vpn_ms_t (*mono_ms)(void *opaque);
	/* Such an answer changed what secmod_expiry() returns (the process
	 * updates its timer). NULL: nothing to do. */
	void (*changed)(void *opaque);
	/* The wall clock, Unix ms (the session store keeps absolute times).
	 * NULL: CLOCK_REALTIME. */
	int64_t (*wall_ms)(void *opaque);
	/* predictable-ips in the cluster's pool: where a user's address search
	 * starts (main/ippool.h's ippool_user_seed in the process). NULL: the
	 * search starts at a random place. */
	uint32_t (*user_seed)(const char *username);
	/* Accounting (acct = radius[...]): send r now, off the loop, and call
	 * secmod_acct_done() with the outcome later (never from inside this
	 * call). NULL: no accounting. */
	void (*acct_send)(void *opaque, const struct acct_record *r);
};

struct secmod;

/* A core with an empty table and no configuration yet (logins are refused
 * until the first SmConfig). NULL on allocation failure. */
struct secmod *secmod_new(const struct secmod_ops *ops, void *opaque);
void secmod_free(struct secmod *sm);

/*
 * One message from main at now. Returns 0, -EPROTO for a message main never
 * sends to sec-mod (the caller closes the connection: main is broken), or
 * SECMOD_E_STORE when the first SmConfig names a session store that cannot
 * be used (newer schema, I/O error; logged): sec-mod cannot run. Messages
 * about unknown sessions or requests are answered or ignored as documented
 * in ipc.proto, never an error.
 */
#define SECMOD_E_STORE (-20001)
int secmod_on_message(struct secmod *sm, const struct ipc_msg *m, vpn_ms_t now);

/* --- RADIUS (doc/radius.md) ------------------------------------------------
 *
 * The radcli client the process opened before it gave up root for
 * auth = radius[...] (NULL: none): the first SmConfig with auth_radius
 * makes it the login chain's backend. */
struct radius_client;
void secmod_set_radius(struct secmod *sm, struct radius_client *auth);
/* When sec-mod ends (main closed its end) with accounting records not yet
 * answered, it goes on sending them this long at most. */
#define SECMOD_ACCT_FLUSH_MS 5000
/* The record acct_send was given was answered (ok) or not, at now. */
void secmod_acct_done(struct secmod *sm, bool ok, vpn_ms_t now);
/* Accounting records waiting to be sent (the process flushes them for a
 * while when it ends). */
size_t secmod_acct_pending(const struct secmod *sm);

/* --- the session store (doc/session-store.md, sec-mod/store.h) -------------
 *
 * With SmConfig.session_store, the first SmConfig opens the file (a damaged
 * one is moved aside and replaced by an empty one), restores its records
 * (each sent to main as a SmSession) and ends those whose deadline passed
 * while the daemon was down. From then on every change of a record is
 * written before the message that reports it leaves. */

struct store;

/* Open (creating its directory, 0700, when missing) the session store at
 * path, moving a damaged file aside to PATH.corrupt-UNIXTIME and starting
 * a new one; every problem is logged, naming the file. The process does it
 * before it gives up root, so that the file stays root's. 0 and *out, or
 * SECMOD_E_STORE (a newer schema, an I/O error): sec-mod cannot run. */
int secmod_store_open(const char *path, struct store **out);
/* Hand an open store to the core (before the first SmConfig, which then
 * restores its records instead of opening SmConfig.session_store). */
void secmod_set_store(struct secmod *sm, struct store *st);

/* Hand the socket to the PAM helper (pam-helper.h) to the core, before the
 * first SmConfig; auth = pam uses it. The core does not close it. */
void secmod_set_pam(struct secmod *sm, int fd);

/* How often sec-mod writes that it is alive (a session still active in the
 * file after a crash counts as dropped then). */
#define SECMOD_ALIVE_PERIOD_S 10
/* Write the alive time now (the process's timer). */
void secmod_store_alive(struct secmod *sm);
/* The alive timer has something to do: a session store or a cluster store
 * is in use (without either, a periodic timer would only wake sec-mod). */
bool secmod_wants_alive(const struct secmod *sm);
/* sec-mod is ending (main closed its end, or died): every session still
 * active waits, dropped now with reason server-restart, and the file is
 * closed. A no-op without a store. */
void secmod_store_close(struct secmod *sm, vpn_ms_t now);

/* --- the cluster's session store (session-store = redis://..., doc/session-store.md) ---
 *
 * The store backend the core drives when several gateways share their
 * sessions: every call is asynchronous (the process implements it with
 * hiredis on its event loop, sec-mod-cluster.c) and answers, when it has
 * to, through the secmod_cluster_*() entry points below with the id it was
 * given. The SQLite store (above) is the other backend; it answers at once.
 */
struct store_record;
struct cluster_rec;

struct secmod_cluster_ops {
	/* Connected and authenticated: the store can be asked. */
	bool (*ready)(void *b);
	/* Write r as held by this gateway, the record and its address
	 * expiring at expire_ms (Unix ms; STORE_NO_TIME: never). The
	 * outcome: secmod_cluster_put_result(). */
	void (*put)(void *b, const struct store_record *r, int64_t expire_ms);
	/* Delete r and its address, if this gateway still holds it. */
	void (*del)(void *b, const struct store_record *r);
	/* Take the record of hash for this gateway: secmod_cluster_claimed(). */
	int (*claim)(void *b, const uint8_t *hash, uint64_t id);
	/* An address from the cluster's pool for the record of hash, the
	 * search starting at index start (as ippool does): secmod_cluster_leased(). */
	int (*lease)(void *b, const uint8_t *hash, uint32_t pool_first, uint32_t pool_count,
		     uint32_t start, int64_t expire_ms, uint64_t id);
	/* Tell gateway gw that this one took over the session of hash. */
	void (*tell_takeover)(void *b, const char *gw, const uint8_t *hash);
	/* Every record in the store: secmod_cluster_listed(). */
	int (*list)(void *b, uint64_t id);
	/* Ask gateway gw to end its session sid (occtl-modern terminate on
	 * another gateway); a gateway that does not hear (gone) has the
	 * record deleted from the store instead. */
	void (*terminate)(void *b, const char *sid, const char *gw);
};

/* Use the cluster backend (before the first SmConfig); gw: this gateway. */
void secmod_set_cluster(struct secmod *sm, const struct secmod_cluster_ops *ops, void *b,
			const char *gw);
/* A claim's answer: rec (NULL: no such session in the cluster; err < 0:
 * the store could not answer, the CONNECT gets 503). */
void secmod_cluster_claimed(struct secmod *sm, uint64_t id, const struct cluster_rec *rec,
			    int err, vpn_ms_t now);
/* A lease's answer: the address (network byte order; 0 with err 0: the
 * pool is exhausted). */
void secmod_cluster_leased(struct secmod *sm, uint64_t id, uint32_t ipv4, int err, vpn_ms_t now);
/* A put found the record held by another gateway (SECMOD_PUT_TAKEN) or
 * its address held by another session (SECMOD_PUT_ADDRESS): the session
 * ends here. */
#define SECMOD_PUT_TAKEN 0
#define SECMOD_PUT_ADDRESS (-1)
void secmod_cluster_put_result(struct secmod *sm, const uint8_t *hash, int result, vpn_ms_t now);
/* Gateway from took over the session of hash: its tunnel here ends. */
void secmod_cluster_taken(struct secmod *sm, const uint8_t *hash, const char *from, vpn_ms_t now);
/* The answer to list (err < 0: the store did not answer; what was read
 * comes anyway): the sessions other gateways hold go to main as the
 * SmListReply of request id. */
void secmod_cluster_listed(struct secmod *sm, uint64_t id, const struct cluster_rec *recs,
			   size_t n, int err);
/* Gateway from asks this one to end its session sid (occtl-modern). */
void secmod_cluster_terminate(struct secmod *sm, const char *sid, const char *from, vpn_ms_t now);
/* The store is back (or new): write every session this gateway holds. */
void secmod_cluster_republish(struct secmod *sm);

/* The next time secmod_handle_expiry() has work (session deadlines, reaping
 * ended records, probes running out); VPN_NEVER if none. Pure. */
vpn_ms_t secmod_expiry(const struct secmod *sm);
void secmod_handle_expiry(struct secmod *sm, vpn_ms_t now);

/* The table (read-only use: tests, logs). */
const struct secmod_session_table *secmod_sessions(const struct secmod *sm);

/* --- SmSession <-> struct secmod_session (used by sec-mod and by main's mirror) --- */

/* Fill msg (SM_SESSION__INIT'ed by the function) from s; the message points
 * into s (and into tot, the counters' storage) and is valid while they are.
 * The cookie is never part of it. */
void secmod_session_to_msg(const struct secmod_session *s, SmSession *msg, TunnelStats *tot);

/* Fill *out (zeroed first; username/group point into msg) from msg.
 * Returns 0, or -EINVAL for a snapshot that is not a valid record (serial
 * 0, a session id of the wrong form, a state or reason out of range). */
int secmod_session_from_msg(const SmSession *msg, struct secmod_session *out);

/* --- the process (sec-mod-proc.c) ------------------------------------------ */

/* For a session store in Redis (a redis:// or redis+unix:// store_path):
 * session-store-auth-file (NULL: none) and this gateway's gateway-id.
 * Call before secmod_fork. */
void secmod_set_cluster_params(const char *auth_file, const char *gw);

/* Fork sec-mod. The child keeps only stdin/out/err and its end of the
 * socketpair, loads the server's private key from key_path (sec-mod-key.h;
 * it exits with status 1 if it cannot), then gives up root for good
 * (run-as-user/run-as-group: user and group, see privs_drop; it exits at
 * once if that fails), runs the core on its own event loop until main
 * closes its end, and _exits. It opens no file after the drop: main sends
 * the password file, opened, with each login, and the session store
 * (store_path, NULL: none) is opened before it (secmod_store_open; sec-mod
 * exits with status 1 if it cannot be used). In main: returns the child's
 * PID and sets *fd to main's end of the SOCK_SEQPACKET socketpair
 * (non-blocking, close-on-exec); -errno on failure (logged). Call before
 * main creates its libev loop. With pam (auth = pam), the child first forks
 * the PAM helper (pam-helper.h), before it loads the key. */
/* The radcli configuration files of auth = radius[...] and acct =
 * radius[...] (NULL: none), for the next secmod_fork(): the child reads
 * them, and the secrets they name, before it gives up root, and exits with
 * status 1 if it cannot. */
void secmod_fork_radius(const char *auth_config, const char *acct_config);

pid_t secmod_fork(int log_level, const char *key_path, const char *store_path, const char *user,
		  const char *group, bool pam, int *fd);

#endif
