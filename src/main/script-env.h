/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SCRIPT_ENV_H
#define OCSM_SCRIPT_ENV_H

/*
 * The environment of connect-script and disconnect-script (pure: builds
 * strings, runs nothing; main-script.c runs the scripts).
 *
 * Names and meanings are ocserv's (its ocserv.conf documents them), so
 * existing scripts keep working:
 *
 *   REASON           "connect" or "disconnect"
 *   VHOST            "default" (no virtual hosts here)
 *   USERNAME, GROUPNAME
 *   DEVICE           the session's tun device
 *   IP_REAL          the client's address (of the latest tunnel)
 *   IP_REAL_LOCAL    the server address that client connected to
 *   REMOTE_HOSTNAME  the client's X-CSTP-Hostname ("" if none)
 *   IP_LOCAL         the server's end of the point-to-point link
 *   IP_REMOTE        the client's VPN address
 *   ID               a unique number: the session's serial, stable across
 *                    resumes (ocserv: the worker's id, new per connection)
 *   OCSERV_ROUTES, OCSERV_ROUTES4, OCSERV_ROUTES6, OCSERV_NO_ROUTES (4, 6),
 *   OCSERV_DNS (4, 6)  space-separated lists
 *   disconnect only:
 *   STATS_BYTES_IN   bytes from the client, over all the session's tunnels
 *   STATS_BYTES_OUT  bytes to the client
 *   STATS_DURATION   seconds from the session's first tunnel to its end
 *
 * and ours, for sessions that outlive their tunnels (doc/sessions.md):
 *
 *   SESSION_ID         the session id occtl shows (32 hex digits)
 *   DISCONNECT_REASON  disconnect only: why the session ended, as occtl
 *                      and the log say it (user-disconnect, cookie-expired,
 *                      session-timeout, idle-timeout, superseded, ...)
 *   SESSION_RESUMES    disconnect only: how often it was resumed
 *
 *   IPV6_LOCAL, IPV6_REMOTE, IPV6_PREFIX  only for a session with an IPv6
 *                    lease (ipv6-network): the server's and the client's
 *                    IPv6 addresses and the client's prefix length
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"

struct script_info {
	bool disconnect;		/* REASON=disconnect, else connect */
	const char *username;
	const char *group;
	const char *device;
	const char *ip_real;
	const char *ip_real_local;
	const char *remote_hostname;	/* NULL: "" */
	const char *ip_local;
	const char *ip_remote;
	const char *ipv6_local;		/* NULL: no IPv6 lease, the IPV6_* are not set */
	const char *ipv6_remote;
	unsigned ipv6_prefix;
	uint64_t id;
	const char *session_id;
	const struct config *cfg;	/* routes, no-routes, dns; NULL: none */
	/* the session's own routes, no-routes and dns (per-user files); NULL: cfg's */
	const struct config_session_lists *lists;
	/* disconnect only */
	uint64_t bytes_in, bytes_out;
	uint64_t duration_s;
	const char *end_reason;
	unsigned resumes;
};

/*
 * A NULL-terminated array of "NAME=value" strings for info, in one
 * allocation (free() it). Values are copied as they are, except that a
 * control character (a newline in a user or host name, say) becomes '?',
 * so a script reading the variables line by line cannot be misled.
 * Returns NULL with errno ENOMEM.
 */
char **script_env_build(const struct script_info *info);

/* The value of name in env, or NULL (tests, logs). */
const char *script_env_get(char *const *env, const char *name);

#endif
