/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_COOKIE_H
#define OCSM_COOKIE_H

/*
 * The webvpn cookie and the session id derived from it (doc/spec/interop.md §1.3).
 *
 * Cookie: 32 bytes from gnutls_rnd(GNUTLS_RND_KEY) (256 bits, as ocserv),
 * written as unpadded base64url: always COOKIE_LEN characters from
 * [A-Za-z0-9_-], so never ';' or '=' and safe to pass bare to
 * `openconnect --cookie`. It is a bearer token that indexes server state;
 * it holds no secret of its own.
 *
 * Session id: what occtl shows instead of the cookie (the cookie must never
 * be logged or listed). Lower-case hex of the first 16 bytes of
 * SHA-256(cookie): SESSION_ID_LEN characters, stable for the life of the
 * session (across reconnects); the first SESSION_ID_SHORT_LEN characters are
 * the short form (occtl's "Session" column). Hex so that an id typed on a
 * command line never starts with '-'.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COOKIE_RAW_LEN 32u
#define COOKIE_LEN 43u /* ceil(32 * 4 / 3), no padding */
#define SESSION_ID_RAW_LEN 16u
#define SESSION_ID_LEN (2u * SESSION_ID_RAW_LEN)
#define SESSION_ID_SHORT_LEN 6u
#define COOKIE_HASH_LEN 32u /* SHA-256 */

/* Encode raw bytes as a cookie string (pure; out gets COOKIE_LEN + NUL). */
void cookie_encode(const uint8_t raw[COOKIE_RAW_LEN], char out[COOKIE_LEN + 1]);

/* Mint a fresh cookie. Returns 0, or -EIO if the random generator failed
 * (then out is an empty string and must not be used). */
int cookie_mint(char out[COOKIE_LEN + 1]);

/* True iff s is exactly COOKIE_LEN characters of the cookie alphabet and the
 * last character encodes no stray bits (so one cookie has one spelling).
 * NULL is false. Cheap check before any table lookup. */
bool cookie_is_wellformed(const char *s);

/* The session id of a cookie (pure). Returns 0, or -EIO if hashing failed. */
int cookie_session_id(const char *cookie, char out[SESSION_ID_LEN + 1]);

/* SHA-256 of a cookie: what sec-mod keeps to find a session again after a
 * restart (the session store never holds the cookie itself). The session id
 * is its first SESSION_ID_RAW_LEN bytes in hex (cookie_hash_session_id).
 * Returns 0, or -EIO if hashing failed. */
int cookie_hash(const char *cookie, uint8_t out[COOKIE_HASH_LEN]);
void cookie_hash_session_id(const uint8_t hash[COOKIE_HASH_LEN], char out[SESSION_ID_LEN + 1]);

/* Compare two cookie hashes without an early exit. True if equal. */
bool cookie_hash_equal(const uint8_t a[COOKIE_HASH_LEN], const uint8_t b[COOKIE_HASH_LEN]);

/* Compare two NUL-terminated strings of equal expected length without an
 * early exit on the first difference. True if equal. */
bool cookie_equal(const char *a, const char *b);

#endif
