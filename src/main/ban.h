/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_BAN_H
#define OCSM_BAN_H

/*
 * Per-source-address ban scores, as in ocserv (doc/spec/interop.md §7.9). Pure: time
 * is passed in (monotonic ms), nothing is logged.
 *
 * Every event from an address adds points to its score: each TCP connection
 * BAN_POINTS_CONNECTION, each wrong password BAN_POINTS_WRONG_PASSWORD, each
 * login whose user name or group has control characters (or is not UTF-8)
 * BAN_POINTS_CONTROL_CHARS.
 * Scores are kept in windows of ban-reset-time: the first point after a
 * window ended starts a new window at score 0. When the score reaches
 * max-ban-score the address is banned for min-reauth-time (ocserv's
 * ban time) and its score starts again from 0. While banned, connections are
 * refused and add no points (a ban is never extended by knocking).
 *
 *   t=0      connection (+1)          score 1, window ends at t=R
 *   t=1..    7 wrong passwords (+70)  score 71
 *   t=9      wrong password (+10)     score 81 >= 80: banned until t=9+T
 *   t=9+T    ban over                 score 0, next point opens a new window
 *
 * max-ban-score = 0 disables banning altogether (points are not recorded).
 * Defaults of the ocserv sample config: max 80, reset 1200 s, ban 300 s;
 * the point values are fixed (ocserv's built-in defaults).
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "vpn/time.h"

#define BAN_POINTS_WRONG_PASSWORD 10u
#define BAN_POINTS_CONNECTION 1u
/* A login whose user name or group holds control characters. */
#define BAN_POINTS_CONTROL_CHARS 10u

struct ban_cfg {
	uint32_t max_score; /* max-ban-score; 0: banning disabled */
	vpn_ms_t reset_ms;  /* ban-reset-time: length of a scoring window */
	vpn_ms_t ban_ms;    /* min-reauth-time: how long a ban lasts */
};

/* An address as bans see it: IPv4 (also when it arrived as v4-mapped
 * IPv6) or IPv6, without port. */
struct ban_addr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* 4 or 16 significant bytes, rest zero */
};

/* From a socket address (AF_INET / AF_INET6). 0 or -EAFNOSUPPORT. */
int ban_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ban_addr *out);
/* From text ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"). 0 or -EINVAL. */
int ban_addr_parse(const char *text, struct ban_addr *out);
/* Same family and address. */
bool ban_addr_equal(const struct ban_addr *a, const struct ban_addr *b);
/* Text form into buf (at least INET6_ADDRSTRLEN bytes); returns buf. */
const char *ban_addr_str(const struct ban_addr *a, char *buf, size_t len);

struct ban_table;

/* A new, empty table; NULL on allocation failure. */
struct ban_table *ban_new(const struct ban_cfg *cfg);
void ban_free(struct ban_table *t);

/* Replace the configuration (SIGHUP). Existing bans keep their end time;
 * with max_score 0 every ban is lifted at once. */
void ban_set_cfg(struct ban_table *t, const struct ban_cfg *cfg);

/* Add points for an event at now. Returns true iff this event made the
 * address banned. On allocation failure the points are dropped (fail open:
 * refusing service for lack of memory would be worse) and false returned. */
bool ban_add_points(struct ban_table *t, const struct ban_addr *a, uint32_t points, vpn_ms_t now);

/* True iff a is banned at now (ban end > now). */
bool ban_is_banned(const struct ban_table *t, const struct ban_addr *a, vpn_ms_t now);

/* Current score of a (0 if unknown or its window ended). */
uint32_t ban_score(const struct ban_table *t, const struct ban_addr *a, vpn_ms_t now);

/* Lift the ban and forget the score of a (occtl unban). True if known. */
bool ban_forget(struct ban_table *t, const struct ban_addr *a);

/* Free the entries that carry nothing anymore at now (no ban, window over).
 * Returns how many were freed. Call it periodically. */
size_t ban_expire(struct ban_table *t, vpn_ms_t now);

/* Entries held / addresses banned at now. */
size_t ban_entries(const struct ban_table *t);
size_t ban_banned_count(const struct ban_table *t, vpn_ms_t now);
/* Addresses banned since the table was made (ban_add_points returned true). */
uint64_t ban_total(const struct ban_table *t);

/* Visit every entry (order unspecified). banned_until_ms is 0 when the
 * address is not banned at now. Do not modify the table from the callback. */
typedef void ban_visit_fn(void *opaque, const struct ban_addr *a, uint32_t score,
			  vpn_ms_t banned_until_ms);
void ban_foreach(const struct ban_table *t, vpn_ms_t now, ban_visit_fn *fn, void *opaque);

#endif
