/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_RATELIMIT_H
#define OCSM_RATELIMIT_H

/*
 * rx-data-per-sec / tx-data-per-sec (doc/config-reference.md): a token
 * bucket per direction of a tunnel. Pure code: the caller passes the time in
 * monotonic milliseconds (the worker: the one clock reading of the callback
 * that handles a batch of packets), nothing here reads a clock.
 *
 * The bucket fills at rate bytes per second up to its depth, RATE_DEPTH_MS
 * of traffic (at least RATE_DEPTH_MIN bytes, so that one packet of the
 * largest size always fits a full bucket); a packet passes when the bucket
 * holds its size, which is then taken out, and is dropped otherwise (taking
 * nothing). A new bucket is full. Over any interval of T ms, what passes is
 * at most rate * T / 1000 + depth bytes.
 *
 * Time that goes backwards (it must not) counts as no time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATE_DEPTH_MS 500u
#define RATE_DEPTH_MIN (64u * 1024u)

struct rate_bucket {
	uint32_t rate;       /* bytes per second; 0: unlimited */
	uint64_t depth;      /* in millibytes (bytes * 1000) */
	uint64_t tokens;     /* millibytes */
	uint64_t last_ms;    /* the last refill */
	uint64_t dropped_packets, dropped_bytes;
};

/* A full bucket of rate bytes per second (0: every packet passes) at now. */
void rate_bucket_init(struct rate_bucket *b, uint32_t rate, uint64_t now_ms);

/* A packet of len bytes at now: true when it passes (and is charged), false
 * when it is dropped (and counted). */
bool rate_bucket_take(struct rate_bucket *b, size_t len, uint64_t now_ms);

#endif
