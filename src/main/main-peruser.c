/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Per-user and per-group files, read for a session (main-peruser.h). */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "main/main-peruser.h"

static void on_warn(void *opaque, unsigned line, const char *key, const char *msg)
{
	(void)opaque;
	(void)line;
	(void)key;
	log_warn("%s", msg);
}

/* A file name of our own for name: not empty, no '/', no leading '.'. */
static bool own_file_name(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* "dpd, idle-timeout" for the keys u sets. */
static const char *keys_text(const struct config_user *u, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = 0; k < CONFIG_USER_N_KEYS && used < len; k++) {
		if (!(u->set & (1u << k)))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
				 config_user_key_name((enum config_user_key)k));

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf[0] != '\0' ? buf : "nothing";
}

/* 0: loaded (or a broken file, logged), -ENOENT: no such file. */
static int load_path(const char *what, const char *name, const char *path,
		     struct config_user *out)
{
	struct config_diag d = { .warn = on_warn };
	char keys[128];
	int r = config_user_load(path, out, &d);

	if (r == -ENOENT)
		return r;
	if (r < 0)
		log_err("%s file of '%s' not used: %s", what, LOG_ESC(name), d.msg);
	else
		log_info("%s file %s for '%s': %s", what, path, LOG_ESC(name),
			 keys_text(out, keys, sizeof(keys)));
	return 0;
}

static void load_one(const char *what, const char *dir, const char *name, const char *fallback,
		     struct config_user *out)
{
	char path[PATH_MAX + 256];

	memset(out, 0, sizeof(*out));
	if (dir != NULL && own_file_name(name) &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
	    load_path(what, name, path, out) == 0)
		return;
	if (fallback != NULL && load_path(what, name, fallback, out) == -ENOENT)
		log_err("%s file of '%s' not used: %s: no such file", what, LOG_ESC(name), fallback);
}

void main_peruser_load(const struct config *cfg, const char *username, const char *group,
		       struct config_user *user, struct config_user *grp)
{
	load_one("per-user", cfg->config_per_user, username, cfg->default_user_config, user);
	memset(grp, 0, sizeof(*grp));
	if (group != NULL && group[0] != '\0')
		load_one("per-group", cfg->config_per_group, group, cfg->default_group_config, grp);
}
