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

#endif
