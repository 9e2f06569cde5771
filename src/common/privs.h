/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_PRIVS_H
#define OCSM_PRIVS_H

/*
 * Giving up root for good (sec-mod, the workers) and main's reduced
 * capability set; doc/security.md lists who keeps what.
 */

#include <stdbool.h>
#include <sys/types.h>

/*
 * Become user (run-as-user: a name or a uid) in group (run-as-group: a name
 * or a gid; NULL: the user's primary group) for good: no supplementary
 * group, then gid and uid, with every capability gone, the bounding set
 * cleared when CAP_SETPCAP allows (libcap-ng) and no_new_privs set, so no exec can
 * bring any back; then check that setuid(0) fails. who names the process in
 * the log lines. Not running as root: nothing to drop (0, logged); user
 * NULL or root itself: stays root (0, logged as a warning). -errno when the user or group
 * does not exist (-ENOENT) or a step fails: the caller must not go on.
 */
int privs_drop(const char *who, const char *user, const char *group);

/* The uid or gid a name or number in the configuration stands for. 0 or
 * -ENOENT. */
int privs_user_id(const char *user, uid_t *uid, gid_t *gid);
int privs_group_id(const char *group, gid_t *gid);

/*
 * main, once everything is open: keep only CAP_NET_ADMIN (tun devices,
 * rtnetlink), CAP_NET_BIND_SERVICE (a DTLS socket per client on udp-port),
 * CAP_KILL (signals to workers and sec-mod, which run as another user), and
 * CAP_SETUID and CAP_SETGID, with which main's child switches to
 * run-as-user (privs_drop) before it executes a worker: a worker never
 * runs as root. Effective, permitted and bounding
 * sets alike. Everything else (CAP_CHOWN once the control socket exists,
 * CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, ...) is gone for good. The bounding set
 * shrinks only with CAP_SETPCAP (systemd's CapabilityBoundingSet may have
 * shrunk it already); without it the bounding set is left alone (logged).
 * Not root: nothing to do. 0 or -EPERM (logged).
 */
int privs_main_limit(void);

#endif
