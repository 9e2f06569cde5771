/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The token bucket of rx-data-per-sec / tx-data-per-sec (ratelimit.h). */
#include "config.h"

#include "common/ratelimit.h"

void rate_bucket_init(struct rate_bucket *b, uint32_t rate, uint64_t now_ms)
{
	uint64_t depth = (uint64_t)rate * RATE_DEPTH_MS / 1000u;

	*b = (struct rate_bucket){ .rate = rate, .last_ms = now_ms };
	if (depth < RATE_DEPTH_MIN)
		depth = RATE_DEPTH_MIN;
	b->depth = depth * 1000u;
	b->tokens = b->depth;
}

/* Add what the elapsed time brought, up to the depth. */
static void refill(struct rate_bucket *b, uint64_t now_ms)
{
	uint64_t elapsed = now_ms > b->last_ms ? now_ms - b->last_ms : 0;

	b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
	/* ms * bytes/s = millibytes; a long pause only fills the bucket */
	if (elapsed >= b->depth / b->rate + 1) {
		b->tokens = b->depth;
		return;
	}
	b->tokens += elapsed * b->rate;
	if (b->tokens > b->depth)
		b->tokens = b->depth;
}

bool rate_bucket_take(struct rate_bucket *b, size_t len, uint64_t now_ms)
{
	uint64_t need = (uint64_t)len * 1000u;

	if (b->rate == 0)
		return true;
	refill(b, now_ms);
	if (need > b->tokens) {
		b->dropped_packets++;
		b->dropped_bytes += len;
		return false;
	}
	b->tokens -= need;
	return true;
}
