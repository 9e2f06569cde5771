/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_CONFIG_H
#define OCSM_MAIN_CONFIG_H

/*
 * main's configuration (common/conf.h): loading it at start, and reloading
 * it (SIGHUP, occtl reload) with a log line per change. What main built its
 * sockets, pool and devices from stays until a restart. Calls main-secmod.c
 * (the new settings for sec-mod) and nothing else of main.
 */

#include <stdbool.h>

#include "common/conf.h"
#include "main/ban.h"
#include "vpn/session.h"

struct server;

/* Load path into *cfg; on failure log (or print, for -t) file:line.
 * 0 or a negative errno. */
int main_config_load(const char *path, struct config *cfg, bool to_stderr);

/* Check auth's password file; on failure log (or print). 0 or -errno. */
int main_config_check_passwd(const struct config *cfg, bool to_stderr);

/* Reload the configuration (SIGHUP, occtl reload). 0, or -EINVAL when the
 * file has errors (the current configuration stays). */
int main_reload(struct server *srv);

/* The ban / session settings of a configuration. */
void main_ban_cfg(const struct config *cfg, struct ban_cfg *out);
void main_session_cfg(const struct config *cfg, struct vpn_session_cfg *out);

#endif
