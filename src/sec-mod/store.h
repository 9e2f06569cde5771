/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_STORE_H
#define OCSM_STORE_H

/*
 * The session store (session-store = FILE, doc/session-store.md): sec-mod's
 * session records in an embedded SQLite database, so that sessions survive a
 * restart, a crash and an upgrade of the daemon.
 *
 * sec-mod is the only writer. Every change of a record is one statement in
 * its own transaction (WAL journal, synchronous = NORMAL: a killed process
 * loses nothing that was committed, a power loss may lose the last commits
 * but never leaves a file that does not open).
 *
 * A record holds what a resume needs and nothing that would let a reader of
 * the file log in: the SHA-256 of the cookie (never the cookie), who, from
 * where, the IPv4 and IPv6 leases, the times (absolute Unix milliseconds: the monotonic
 * clock does not survive a reboot), the state, the last drop, the resume
 * count, the counters and the session's own timers. Ended sessions are
 * deleted.
 *
 * Schema version in PRAGMA user_version. A file of an older version is
 * migrated when opened (one transaction per step); a file of a newer version
 * is refused (STORE_E_NEWER) and left untouched. A file that is not a
 * database, or fails PRAGMA quick_check, is STORE_E_CORRUPT: the caller
 * moves it aside (store_move_aside) and starts empty.
 *
 * No clock reads here: the callers pass wall-clock times, and the pure
 * helpers at the end convert between the file's Unix times and the engine's
 * monotonic ones with an injected "now" pair.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn/session.h"
#include "vpn/time.h"

#define STORE_SCHEMA_VERSION 4
#define STORE_HASH_LEN 32u          /* SHA-256 of the cookie */
#define STORE_SID_LEN 32u           /* the session id: lower-case hex */
#define STORE_IPV6_LEN 16u          /* an IPv6 address, network byte order */
#define STORE_TEXT_MAX 255u         /* longest user, group or address kept */
#define STORE_NO_TIME INT64_MIN
#define STORE_ATTRS_MAX 8192u       /* longest attrs blob kept */     /* "never" (SQL NULL in the file) */

/* store_open() results besides 0 and -errno. */
#define STORE_E_NEWER (-10001)      /* schema newer than this binary: refused */
#define STORE_E_CORRUPT (-10002)    /* not a database, or quick_check failed */

struct store_counters {
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
};

struct store_record {
	uint64_t serial;                     /* never 0, never reused */
	char sid[STORE_SID_LEN + 1];
	uint8_t cookie_hash[STORE_HASH_LEN];
	const char *username;                /* valid for the call (or callback) */
	const char *group;
	const char *remote_ip;               /* the address that authenticated */
	const char *last_remote_ip;          /* of the latest tunnel; "" before */
	uint32_t ipv4;                       /* the lease, network byte order; 0: none */
	const uint8_t *attrs;                /* the session's own values (packed
					      * SessionAttrs); NULL, 0: none */
	size_t attrs_len;                    /* at most STORE_ATTRS_MAX */
	uint8_t ipv6[STORE_IPV6_LEN];        /* the IPv6 lease (its first address); all
					      * zero: none */
	enum vpn_session_state state;        /* authenticated, active or waiting */
	enum vpn_end_reason drop_reason;     /* why the last tunnel ended */
	int64_t authenticated_ms;            /* Unix ms: the login (= created) */
	int64_t drop_ms;                     /* Unix ms; STORE_NO_TIME: no drop yet */
	uint32_t resumes, attaches;
	uint32_t restarts;                   /* daemon restarts the session survived */
	struct vpn_session_cfg cfg;          /* its own cookie/session timeouts */
	struct store_counters totals;        /* of all its tunnels so far */
};

struct store;

/* Open (creating it, mode 0600, when missing) and migrate the database at
 * path, then check it. 0 and *out; STORE_E_NEWER, STORE_E_CORRUPT, or
 * -errno, each with a sentence naming the file in err. */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *st);

/* The schema version of the open file (after migration). */
int store_version(const struct store *st);

/* Insert or replace the record of r->serial: one transaction. 0, -EINVAL
 * (serial 0, or a serial or timeout above INT64_MAX: SQLite integers are
 * signed), or -EIO (the reason in store_errmsg). Counters above INT64_MAX
 * are kept as INT64_MAX. */
int store_put(struct store *st, const struct store_record *r);
/* Whether r holds an IPv6 lease (not all zero). */
bool store_has_ipv6(const struct store_record *r);
/* Delete the record of serial (absent: fine). 0 or -EIO. */
int store_delete(struct store *st, uint64_t serial);

/* A restart, on disk, in one statement: every record's restart count rises
 * by one, and a session still active (or waiting with no drop time) waits,
 * dropped at max(store_crash_drop(alive_ms, now), its login) with reason
 * server-restart, as store_to_machine() has it in memory. 0 or -EIO. */
int store_mark_restart(struct store *st, int64_t alive_ms, int64_t now_ms);

/* When a session found active in the file dropped: the writer's last alive
 * time, or now if it is unknown or in the future (pure). */
int64_t store_crash_drop(int64_t alive_ms, int64_t now_ms);

/* Call cb for each valid record, oldest serial first (the record and its
 * strings are valid during the call). A record that is not valid (a state,
 * reason, id or hash out of range) is counted in *skipped and left out.
 * cb returning non-zero stops the walk and is returned. 0 or -EIO. */
typedef int store_load_fn(void *opaque, const struct store_record *r);
int store_load(struct store *st, store_load_fn *cb, void *opaque, size_t *skipped);

/* The last time sec-mod said it was alive (Unix ms; STORE_NO_TIME: never):
 * a session still active in a file whose writer was killed dropped then. */
int store_set_alive(struct store *st, int64_t wall_ms);
int64_t store_alive(struct store *st);

/* The last SQLite error of st, for logs. Never NULL. */
const char *store_errmsg(const struct store *st);

/* Create the directory of path (and its parents) mode 0700 when missing.
 * 0 or -errno. */
int store_prepare_dir(const char *path);

/* Move path (and its -wal and -shm files) aside to PATH.corrupt-<unix_s>;
 * the new name in moved. 0 or -errno. */
int store_move_aside(const char *path, int64_t unix_s, char *moved, size_t len);

/* --- time: the file's Unix ms <-> the engine's monotonic ms (pure) --------- */

struct store_clock {
	int64_t wall_ms;    /* Unix ms now */
	vpn_ms_t mono_ms;   /* the engine's clock now */
};

/* A monotonic time to Unix ms (VPN_NEVER: STORE_NO_TIME). */
int64_t store_mono_to_wall(vpn_ms_t t, struct store_clock now);

/* The engine's machine for a loaded record at now, where alive_ms is the
 * file's last alive time (STORE_NO_TIME: unknown):
 *  - authenticated and waiting keep their state; a session still active
 *    (its writer was killed, or its tunnel could not be closed in order)
 *    waits, dropped at max(store_crash_drop(alive_ms, now), its login) with
 *    reason server-restart;
 *  - deadlines are kept in absolute time: min(drop + cookie-timeout,
 *    authenticated + session-timeout). A deadline passed while the daemon
 *    was down is reached at now, with the reason the engine gives it
 *    (session-timeout first, else cookie-expired);
 *  - times before the monotonic clock's origin (a reboot) are clamped to
 *    it; the session-timeout is shortened by as much, so its deadline does
 *    not move; a waiting session's resume deadline may then come later, by
 *    at most the time between its drop and the boot.
 * Returns the wall-clock deadline the machine was given (INT64_MAX: none). */
int64_t store_to_machine(const struct store_record *r, int64_t alive_ms,
			 struct store_clock now, struct vpn_session *m);

#endif
