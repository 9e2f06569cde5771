/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the per-user and per-group file parser
 * (config_user_parse_buffer in src/common/conf.c).
 *
 * Invariants checked on every input:
 *  - the parser never crashes, leaks or reads outside the buffer (ASan/UBSan);
 *  - a rejected input comes with a "NAME:..." error message and sets nothing;
 *  - an accepted input sets only the per-user keys, each within the range of
 *    the global key of the same name, and the precedence merge keeps those
 *    values with their origin.
 */
#include "config.h"

#include "common/conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(uint32_t v, bool zero_ok, uint32_t lo, uint32_t hi)
{
	if (!(zero_ok && v == 0) && (v < lo || v > hi))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config global;
	static bool loaded;
	static const char min[] = "auth = plain[passwd=/p]\nserver-cert = /c\nserver-key = /k\n"
				  "ipv4-network = 10.0.0.0/24\n";
	struct config_user u;
	struct config_diag d = { 0 };
	struct config_tunnel_timers t;
	struct config_timer_origins o;

	if (!loaded && config_parse_buffer("min", min, sizeof(min) - 1, &global, NULL))
		abort();
	loaded = true;
	if (config_user_parse_buffer("fuzz", (const char *)data, size, &u, &d)) {
		if (strncmp(d.msg, "fuzz", 4) || u.set)
			abort();
		return 0;
	}
	if (u.set >> CONFIG_USER_N_KEYS)
		abort();
	check_range(u.dpd_s, true, 2, 86400);
	check_range(u.mobile_dpd_s, true, 2, 86400);
	check_range(u.keepalive_s, true, 0, 86400);
	config_tunnel_timers_user(&global, NULL, &u, false, &t, &o);
	if ((u.set & (1u << CONFIG_USER_DPD)) && (t.dpd_s != u.dpd_s || o.dpd != CONFIG_ORIGIN_USER))
		abort();
	if ((u.set & (1u << CONFIG_USER_IDLE_TIMEOUT)) &&
	    (t.idle_timeout_s != u.idle_timeout_s || o.idle_timeout != CONFIG_ORIGIN_USER))
		abort();
	if ((u.route_default && u.n_routes) ||
	    (!(u.set & (1u << CONFIG_USER_ROUTE)) && (u.n_routes || u.route_default)))
		abort();
	config_user_free(&u);
	return 0;
}
