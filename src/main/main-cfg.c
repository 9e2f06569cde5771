/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The settings main's tables take from the configuration (main.h). */

#include "main/main.h"

void main_ban_cfg(const struct config *cfg, struct ban_cfg *out)
{
	out->max_score = cfg->max_ban_score;
	out->reset_ms = vpn_s_to_ms(cfg->ban_reset_time_s);
	out->ban_ms = vpn_s_to_ms(cfg->min_reauth_time_s);
}

void main_session_cfg(const struct config *cfg, struct vpn_session_cfg *out)
{
	out->cookie_timeout_ms = vpn_s_to_ms(cfg->cookie_timeout_s);
	out->session_timeout_ms = vpn_s_to_ms(cfg->session_timeout_s);
	out->persistent_cookies = cfg->persistent_cookies;
}
