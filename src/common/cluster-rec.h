/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_CLUSTER_REC_H
#define OCSM_CLUSTER_REC_H

/*
 * The session store of a cluster of gateways (session-store =
 * redis://HOST:PORT/DB or redis+unix:///PATH, doc/session-store.md): what
 * sec-mod writes to Redis and reads back, as pure functions (no I/O, no
 * clock), so that the unit tests and the fuzz target drive them directly.
 *
 *  - the store's address (cluster_url_parse) and the credentials of
 *    session-store-auth-file (cluster_auth_parse);
 *  - a session record as the field/value pairs of a Redis hash
 *    (cluster_rec_encode), and back from an HGETALL reply
 *    (cluster_rec_decode). The fields are the embedded store's record
 *    (sec-mod/store.h: the cookie's SHA-256, never the cookie, absolute Unix
 *    ms times) plus the gateway that holds the session ("gw") and when that
 *    gateway last wrote it ("seen").
 *
 * Anyone who can write to the Redis database can hand a gateway any record:
 * the decoder takes nothing on trust (every number in range, every text
 * bounded and free of control characters, the session id the hash's
 * prefix), and a record that fails is refused with a sentence saying why.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec-mod/store.h"

#define CLUSTER_REC_VERSION 1
#define CLUSTER_GW_MAX 64u          /* longest gateway-id */
#define CLUSTER_HOST_MAX 255u
#define CLUSTER_CRED_MAX 255u       /* longest ACL user or password */
#define CLUSTER_KEY_PREFIX "ocsm:"  /* every key sec-mod uses starts so */

struct cluster_url {
	bool unix_socket;
	char host[CLUSTER_HOST_MAX + 1];  /* host name or address ([] removed) */
	uint16_t port;                    /* 6379 when not given */
	char path[108];                   /* redis+unix: the socket */
	unsigned db;                      /* /DB or ?db=N; 0 when not given */
};

/* True if s names a Redis store (redis:// or redis+unix://), not a file. */
bool cluster_is_url(const char *s);

/* redis://HOST[:PORT][/DB] (HOST may be [IPv6]) or
 * redis+unix:///PATH[?db=N]. 0, or -EINVAL with a sentence in err. */
int cluster_url_parse(const char *s, struct cluster_url *out, char *err, size_t errlen);

/* The contents of session-store-auth-file: one line "USER PASSWORD" (an
 * ACL user) or "PASSWORD" alone (the default user); '#' lines and blank
 * lines are skipped. 0 (user "" for the default one), or -EINVAL with a
 * sentence in err (the password is never part of it). */
int cluster_auth_parse(const char *text, char user[CLUSTER_CRED_MAX + 1],
		       char pass[CLUSTER_CRED_MAX + 1], char *err, size_t errlen);

/* A valid gateway-id: 1..CLUSTER_GW_MAX of [A-Za-z0-9._-]. */
bool cluster_gw_valid(const char *gw);

/* Lower-case hex of a cookie hash (the record's key suffix). */
void cluster_hash_hex(const uint8_t hash[STORE_HASH_LEN], char out[2 * STORE_HASH_LEN + 1]);

/* --- records --------------------------------------------------------------- */

#define CLUSTER_REC_FIELDS 25u

/* A record encoded: CLUSTER_REC_FIELDS field/value pairs, in argv form
 * (argv[2i] the field, argv[2i+1] its value, NUL-terminated strings that
 * point into the struct or into the record's own texts). */
struct cluster_rec_enc {
	const char *argv[2 * CLUSTER_REC_FIELDS];
	char num[CLUSTER_REC_FIELDS][24];
	char hash_hex[2 * STORE_HASH_LEN + 1];
};

/* Encode r, held by gateway gw, written at seen_ms (Unix ms). The record's
 * texts must stay valid while enc is used. */
void cluster_rec_encode(const struct store_record *r, const char *gw, int64_t seen_ms,
			struct cluster_rec_enc *enc);

/* A decoded record: the record (its texts point into the struct) and who
 * holds it. */
struct cluster_rec {
	struct store_record r;
	char gw[CLUSTER_GW_MAX + 1];
	int64_t seen_ms;                  /* STORE_NO_TIME: not given */
	char username[STORE_TEXT_MAX + 1], group[STORE_TEXT_MAX + 1];
	char remote_ip[STORE_TEXT_MAX + 1], last_remote_ip[STORE_TEXT_MAX + 1];
};

/* Decode n strings (field, value, field, value, ...; lens[i] their lengths:
 * they may hold NULs) from an HGETALL reply. Unknown fields are ignored
 * (a newer writer may add some); a missing required one, a repeated one, a
 * value out of range or a version other than CLUSTER_REC_VERSION refuses
 * the record: -EINVAL with a sentence in err. 0 on success. */
int cluster_rec_decode(const char *const *kv, const size_t *lens, size_t n,
		       struct cluster_rec *out, char *err, size_t errlen);

#endif
