/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keepalive answers on one channel (doc/spec/liveness.md §4).
 *
 * The server never sends a keepalive on its own. A KEEPALIVE received is
 * answered with a KEEPALIVE on the same channel (the protocol draft says a
 * peer must), but only if nothing at all was sent on that channel during the
 * last K/2: any frame we sent recently already told the peer we are alive,
 * and a peer that also answers every keepalive would otherwise ping-pong
 * with us forever. Boundary: a frame sent at t blocks answers up to t+K/2-1;
 * at t+K/2 we answer again. Whatever the peer does, we therefore send at most
 * two answers per K per channel.
 *
 *   K = 20 s
 *
 *   tx          tx+10 s
 *   |-----------|------------------->
 *    keepalives  keepalives
 *    ignored     answered (each answer is a tx and closes the window again)
 *
 * No timer: the rule only needs the time of the last tx. K = 0 (keepalive
 * off) never answers, so a misbehaving peer cannot make us send at will.
 */
#include "config.h"

#include "vpn/keepalive.h"

void vpn_keepalive_init(struct vpn_keepalive *k, vpn_ms_t interval_ms)
{
	k->interval_ms = interval_ms;
	k->last_tx_ms = VPN_NEVER;
	k->received = 0;
	k->answered = 0;
}

void vpn_keepalive_on_tx(struct vpn_keepalive *k, vpn_ms_t now)
{
	if (k->last_tx_ms == VPN_NEVER || now > k->last_tx_ms)
		k->last_tx_ms = now;
}

bool vpn_keepalive_should_answer(const struct vpn_keepalive *k, vpn_ms_t now)
{
	if (k->interval_ms == 0)
		return false;
	if (k->last_tx_ms == VPN_NEVER)
		return true;
	return vpn_ms_reached(vpn_ms_add(k->last_tx_ms, k->interval_ms / 2), now);
}

bool vpn_keepalive_on_keepalive_rx(struct vpn_keepalive *k, vpn_ms_t now)
{
	bool answer = vpn_keepalive_should_answer(k, now);

	k->received++;
	if (answer)
		k->answered++;
	return answer;
}
