/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SESSIONS_H
#define OCSM_SESSIONS_H

/*
 * The session table (Parent-Tunnels, doc/spec/liveness.md §2): one record per
 * successful authentication, found again by its cookie on every CONNECT.
 *
 * sec-mod (src/sec-mod/sec-mod.h) owns the table and drives it; main keeps a
 * mirror of it (session_table_mirror_update(), fed by sec-mod's
 * SmSession messages) so that it and occtl can look records up without a
 * round trip. Everything goes through this narrow API and the table does no
 * I/O: no sockets, no clock reads, no libev, no logging. Time is passed in;
 * the owner drives one timer with session_table_expiry() / session_table_handle_expiry()
 * and re-arms it after every call that changes a session.
 *
 * Each record runs the engine's session machine (src/vpn/session.h):
 * authenticated -> active -> waiting-to-resume -> ... -> ended. Whenever a
 * session reaches ended, by whatever path, the table calls the on_end hook
 * once, with the record still valid. Ended records stay
 * SESSIONS_ENDED_KEEP_MS for occtl history (their cookie gets 401), then
 * are freed by session_table_handle_expiry() (the on_free hook runs first),
 * unless a worker is still attached.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sec-mod/cookie.h"
#include "vpn/session.h"
#include "vpn/time.h"

#define SESSIONS_ENDED_KEEP_MS (300u * 1000u)

/* A session's own values from its authentication (RADIUS reply attributes,
 * doc/radius.md) and where its session and cookie timeouts came from.
 * sec-mod sets them at the login and keeps them (in the session store too);
 * main applies them over the per-user, per-group and global values. */
#define SESSION_ATTRS_MAX_CLASS 4u
#define SESSION_ATTRS_MAX_ROUTES 64u
#define SESSION_ATTRS_MAX_DNS 4u
#define SESSION_ATTRS_CLASS_MAX 253u
enum session_attr_bits {
	SESSION_ATTR_IPV4 = 1u << 0,            /* Framed-IP-Address */
	SESSION_ATTR_NETMASK = 1u << 1,         /* Framed-IP-Netmask */
	SESSION_ATTR_IDLE_TIMEOUT = 1u << 2,    /* Idle-Timeout */
	SESSION_ATTR_ROUTES = 1u << 3,          /* Framed-Route */
	SESSION_ATTR_DNS = 1u << 4,             /* MS-Primary/Secondary-DNS-Server */
};
struct session_attrs {
	uint32_t set;                           /* SESSION_ATTR_* */
	struct in_addr ipv4, netmask;
	uint32_t idle_timeout_s;
	uint32_t session_timeout_s;             /* with session_timeout_from radius: its
						 * value (the record's cfg has it too) */
	uint32_t interim_s;                     /* Acct-Interim-Interval; 0: none */
	uint8_t session_timeout_from;           /* enum config_origin of the session's */
	uint8_t cookie_timeout_from;            /* session- and cookie-timeout */
	bool radius;                            /* authenticated by RADIUS: accounted */
	bool acct_started;                      /* its Accounting-Start was queued */
	struct {
		uint8_t v[SESSION_ATTRS_CLASS_MAX];
		uint8_t len;
	} cls[SESSION_ATTRS_MAX_CLASS];         /* Class, echoed in accounting */
	size_t n_class;
	struct {
		struct in_addr net;
		uint8_t prefix;
	} routes[SESSION_ATTRS_MAX_ROUTES];
	size_t n_routes;
	struct in_addr dns[SESSION_ATTRS_MAX_DNS];
	size_t n_dns;
	vpn_ms_t next_interim_ms;               /* sec-mod only: next Interim-Update */
};

struct secmod_session {
	uint64_t serial;                 /* unique, never 0: the IP pool key */
	char cookie[COOKIE_LEN + 1];     /* the bearer token: never log or list it;
					  * "" in a restored or mirror record */
	uint8_t cookie_hash[COOKIE_HASH_LEN]; /* SHA-256 of the cookie: what a CONNECT's
					       * cookie is checked against */
	char sid[SESSION_ID_LEN + 1];    /* occtl's id; first 6 chars = short form */
	char *username;
	char *group;                     /* "" when none */
	char remote_ip[INET6_ADDRSTRLEN]; /* address that authenticated */
	struct vpn_session m;            /* the engine's state machine */

	/* Filled in by the owner: */
	pid_t worker_pid;                /* worker holding the tunnel; 0: none */
	bool ended_locally;              /* mirror: ended by a local call, not yet
					  * confirmed by sec-mod */
	char last_remote_ip[INET6_ADDRSTRLEN]; /* of the latest tunnel; "" before */
	uint32_t ipv4;                   /* its lease (network byte order); 0: none yet */
	struct in6_addr ipv6;            /* its IPv6 lease; :: (all zero): none */
	uint32_t restarts;               /* daemon restarts it survived (session store) */
	struct session_attrs *attrs;     /* its own values; NULL: none (owned) */
	/* Counters of the session's tunnels, continued across resumes: the
	 * ended tunnels' sum, and the current tunnel's latest report. */
	struct session_table_counters {
		uint64_t bytes_in, bytes_out, packets_in, packets_out;
	} done, cur;

	struct secmod_session *prev, *next;     /* table list, oldest first */
	struct secmod_session *hnext_sid, *hnext_serial; /* the table's hash chains */
	vpn_ms_t heap_key;               /* the table's: its next deadline or reap time */
	size_t heap_idx;                 /* the table's: its place in the deadline heap */
};

typedef void session_table_end_fn(void *opaque, struct secmod_session *s);
typedef void session_table_free_fn(void *opaque, const struct secmod_session *s);

struct secmod_session_table;

/* An empty table. cfg applies to sessions created from now on. on_end may
 * be NULL. NULL on allocation failure. */
struct secmod_session_table *session_table_new(const struct vpn_session_cfg *cfg, session_table_end_fn *on_end,
			      void *opaque);

/* Called with each record session_table_handle_expiry() is about to free
 * (opaque as given to session_table_new). NULL: none. */
void session_table_set_free_hook(struct secmod_session_table *t, session_table_free_fn *on_free);

/* Free every record (no hooks are called). NULL is fine. */
void session_table_free(struct secmod_session_table *t);

/* New timer values (SIGHUP): for sessions created afterwards; existing
 * sessions keep the values they were created with. */
void session_table_set_cfg(struct secmod_session_table *t, const struct vpn_session_cfg *cfg);

/*
 * A successful authentication at now: a new record in state authenticated,
 * with a freshly minted cookie. group may be NULL. Returns NULL with errno
 * ENOMEM, or EIO if no cookie could be minted.
 */
struct secmod_session *session_table_create(struct secmod_session_table *t, const char *username, const char *group,
				const char *remote_ip, vpn_ms_t now);

/* The record of a cookie, ended ones included (the caller answers 401 for
 * those); NULL for a malformed or unknown cookie. Found by the cookie's
 * hash (the session id is its prefix), so a restored record, which has no
 * cookie, is found too; the final comparison of the whole hash does not
 * stop at the first differing byte. */
struct secmod_session *session_table_find_cookie(const struct secmod_session_table *t, const char *cookie);

/* The record whose session id starts with prefix (at least
 * SESSION_ID_SHORT_LEN characters); NULL if none or ambiguous. */
struct secmod_session *session_table_find_sid(const struct secmod_session_table *t, const char *prefix);

/* The record with this serial, or NULL. */
struct secmod_session *session_table_find_serial(const struct secmod_session_table *t, uint64_t serial);

/* A CONNECT with s's cookie at now (vpn_session_on_connect). A session that
 * turns out expired right now ends here (on_end runs) and the result is
 * VPN_CONNECT_REFUSED. */
enum vpn_connect_result session_table_connect(struct secmod_session_table *t, struct secmod_session *s, vpn_ms_t now);

/* The tunnel of s ended for reason r (vpn_session_on_tunnel_end, the §2.1
 * table). Returns the new state; on_end runs if it is ended. */
enum vpn_session_state session_table_tunnel_end(struct secmod_session_table *t, struct secmod_session *s,
					   enum vpn_end_reason r, vpn_ms_t now);

/* Session-level end (r: ADMIN_TERMINATE, SERVER_SHUTDOWN or SUPERSEDED; any
 * other value is treated as ADMIN_TERMINATE). Returns the state s was in
 * (ACTIVE: the caller must end its tunnel); on_end runs unless s had ended
 * already. */
enum vpn_session_state session_table_terminate(struct secmod_session_table *t, struct secmod_session *s,
					  enum vpn_end_reason r, vpn_ms_t now);

/* The next time session_table_handle_expiry() has work: the earliest session
 * deadline or reap time. VPN_NEVER if none. Pure, O(1): the records sit in
 * a min-heap on that time, which every call of this API that changes a
 * record's machine or worker keeps in order. */
vpn_ms_t session_table_expiry(const struct secmod_session_table *t);

/* End the sessions whose deadline is reached (on_end runs for each) and free
 * ended records older than SESSIONS_ENDED_KEEP_MS with no worker attached.
 * Returns the number of sessions that ended. O(k log n) for the k records
 * due. */
size_t session_table_handle_expiry(struct secmod_session_table *t, vpn_ms_t now);

/* The worker holding s's tunnel (0: none). An ended record with a worker
 * attached is never reaped, so this goes through the table (its reap
 * time changes). */
void session_table_set_worker(struct secmod_session_table *t, struct secmod_session *s, pid_t pid);

/* s's cookie-timeout and session-timeout (C and S of its machine: a
 * per-user file or RADIUS set them after the login); its deadline moves. */
void session_table_set_timeouts(struct secmod_session_table *t, struct secmod_session *s,
				vpn_ms_t cookie_timeout_ms, vpn_ms_t session_timeout_ms);

/* Test use: 0 if the deadline heap is in order and every record's place
 * holds its current deadline, else -1. O(n). */
int session_table_check(const struct secmod_session_table *t);

/* The current tunnel's counters (a periodic report). A tunnel ended: its
 * final counters join the ended tunnels' sum, and if it was the current one
 * (not a tunnel already taken over) the current counters restart at zero.
 * session_table_connect() also restarts them: they belong to the new tunnel. */
void session_table_tunnel_counters(struct secmod_session *s, const struct session_table_counters *c);
void session_table_tunnel_counters_final(struct secmod_session *s, const struct session_table_counters *c,
				    bool was_current);
/* The session's totals: ended tunnels plus the current one. */
struct session_table_counters session_table_totals(const struct secmod_session *s);

/*
 * Mirror use (main): make the record of serial look like snap (identity,
 * machine state m, worker_pid and counters are copied; the cookie is never
 * part of a mirror record and stays empty), creating it, with the same
 * serial, if the table has none. No hook runs. Returns the record, or NULL
 * with errno ENOMEM or EINVAL (serial 0, a different session id under the
 * same serial).
 */
struct secmod_session *session_table_mirror_update(struct secmod_session_table *t, const struct secmod_session *snap);

/*
 * A record loaded from the session store (sec-mod at start): a copy of snap
 * (identity, cookie_hash, machine state m, counters as done, ipv4,
 * restarts), with no cookie, appended as the newest record; serials
 * created later are above snap->serial. No hook runs. The caller
 * guarantees unique serials and session ids (the store's keys). NULL with
 * errno ENOMEM or EINVAL (serial 0).
 */
struct secmod_session *session_table_restore(struct secmod_session_table *t, const struct secmod_session *snap);

/* The serial the next new record gets (a record taken from the cluster's
 * store is restored under it). */
uint64_t session_table_next_serial(const struct secmod_session_table *t);
/* Give s a copy of a (NULL: none). 0 or -ENOMEM (s unchanged). */
int session_table_set_attrs(struct secmod_session *s, const struct session_attrs *a);

/* Remove and free one record now (no hook runs). */
void session_table_forget(struct secmod_session_table *t, struct secmod_session *s);

/* Records in the table, and those in a given state. */
size_t session_table_count(const struct secmod_session_table *t);
size_t session_table_count_state(const struct secmod_session_table *t, enum vpn_session_state st);

/* The oldest record (iterate with s->next). Do not free records while
 * iterating; session_table_terminate() on the current one is fine. */
struct secmod_session *session_table_first(const struct secmod_session_table *t);

#endif
