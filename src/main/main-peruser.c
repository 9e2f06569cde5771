/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Per-user and per-group files, read for a session (main-peruser.h). */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <stdlib.h>

#include "common/log.h"
#include "main/main-peruser.h"
#include "sec-mod/session-table.h"

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

static void take(struct config_user *u, enum config_user_key k)
{
	u->set |= 1u << k;
	u->radius_set |= 1u << k;
}

static int attrs_lists(struct config_user *u, const struct session_attrs *a)
{
	struct config_route *r = NULL;
	struct config_addr *d = NULL;

	if ((a->set & SESSION_ATTR_ROUTES) && a->n_routes > 0 &&
	    (r = calloc(a->n_routes, sizeof(*r))) == NULL)
		return -ENOMEM;
	if ((a->set & SESSION_ATTR_DNS) && a->n_dns > 0 && (d = calloc(a->n_dns, sizeof(*d))) == NULL) {
		free(r);
		return -ENOMEM;
	}
	if (r != NULL) {
		for (size_t i = 0; i < a->n_routes; i++)
			config_route_ipv4(a->routes[i].net, a->routes[i].prefix, &r[i]);
		free(u->routes);
		u->routes = r;
		u->n_routes = a->n_routes;
		u->route_default = false;
		take(u, CONFIG_USER_ROUTE);
	}
	if (d != NULL) {
		for (size_t i = 0; i < a->n_dns; i++) {
			d[i].family = AF_INET;
			d[i].addr.v4 = a->dns[i];
			inet_ntop(AF_INET, &d[i].addr.v4, d[i].text, sizeof(d[i].text));
		}
		free(u->dns);
		u->dns = d;
		u->n_dns = a->n_dns;
		take(u, CONFIG_USER_DNS);
	}
	return 0;
}

int main_peruser_apply_attrs(struct config_user *user, const struct session_attrs *a)
{
	if (a == NULL)
		return 0;
	if (a->set & SESSION_ATTR_IPV4) {
		user->explicit_ipv4 = a->ipv4;
		take(user, CONFIG_USER_EXPLICIT_IPV4);
	}
	if (a->set & SESSION_ATTR_IDLE_TIMEOUT) {
		user->idle_timeout_s = user->mobile_idle_timeout_s = a->idle_timeout_s;
		take(user, CONFIG_USER_IDLE_TIMEOUT);
		take(user, CONFIG_USER_MOBILE_IDLE_TIMEOUT);
	}
	return attrs_lists(user, a);
}
