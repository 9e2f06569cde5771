/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_KEEPALIVE_H
#define VPN_KEEPALIVE_H

/*
 * Keepalive answers for one channel, doc/spec/liveness.md §4. See keepalive.c for the
 * rule and its timeline. No timer: the server never sends a keepalive on its
 * own, it only decides whether to answer one.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vpn/time.h"

struct vpn_keepalive {
	vpn_ms_t interval_ms;	/* K; 0 = keepalive off, never answer */
	vpn_ms_t last_tx_ms;	/* last frame of any type sent; VPN_NEVER = none yet */
	uint64_t received;	/* KEEPALIVEs received */
	uint64_t answered;	/* ... answered with a KEEPALIVE */
};

/* Set K (ms) and forget any earlier tx. */
void vpn_keepalive_init(struct vpn_keepalive *k, vpn_ms_t interval_ms);

/* Any frame was sent on the channel at now (DATA, DPD, KEEPALIVE, ...).
 * A now older than the recorded one is ignored. */
void vpn_keepalive_on_tx(struct vpn_keepalive *k, vpn_ms_t now);

/* Pure rule: true iff a KEEPALIVE received at now must be answered, i.e.
 * K != 0 and nothing was sent during the last K/2 (last_tx + K/2 <= now). */
bool vpn_keepalive_should_answer(const struct vpn_keepalive *k, vpn_ms_t now);

/* A KEEPALIVE was received at now: counts it and returns
 * vpn_keepalive_should_answer(). When true the caller sends a KEEPALIVE on
 * the same channel and reports it with vpn_keepalive_on_tx(). */
bool vpn_keepalive_on_keepalive_rx(struct vpn_keepalive *k, vpn_ms_t now);

#endif /* VPN_KEEPALIVE_H */
