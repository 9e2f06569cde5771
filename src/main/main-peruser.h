/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_PERUSER_H
#define OCSM_MAIN_PERUSER_H

/*
 * Per-user and per-group files (config-per-user, config-per-group,
 * default-user-config, default-group-config; doc/config-reference.md):
 * main reads them when it makes its record of a session (its first CONNECT,
 * or its restore from the session store) and the record keeps the values
 * for the session's life, across resumes; a reload applies to new sessions.
 *
 *   user file   config-per-user/USERNAME, else default-user-config
 *   group file  config-per-group/GROUP, else default-group-config
 *               (no group: no group file)
 *
 * A file that cannot be read (other than missing) or has an error is not
 * used (logged); its warnings are logged. A name with '/' or starting with
 * '.' has no file of its own (the default applies).
 */

#include "common/conf.h"

void main_peruser_load(const struct config *cfg, const char *username, const char *group,
		       struct config_user *user, struct config_user *grp);

/* The session's own values (its RADIUS reply: doc/radius.md) over the
 * user's file: Framed-IP-Address as explicit-ipv4, Idle-Timeout as
 * idle-timeout and mobile-idle-timeout, Framed-Route as route, the DNS
 * servers as dns; each key taken is marked in user->radius_set (origin
 * radius). NULL a: nothing. -ENOMEM (user unchanged for the lists). */
struct session_attrs;
int main_peruser_apply_attrs(struct config_user *user, const struct session_attrs *a);

#endif
