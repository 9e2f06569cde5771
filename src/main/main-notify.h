/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_NOTIFY_H
#define OCSM_MAIN_NOTIFY_H

/*
 * What main tells the service manager (sd_notify(3), for a Type=notify
 * unit): READY=1 once it listens, RELOADING=1 when a reload (SIGHUP, occtl
 * reload) starts and READY=1 when it is done, STOPPING=1 when it shuts down,
 * and STATUS= with the number of sessions: sent when it changes, at most
 * once per MAIN_NOTIFY_STATUS_S (a change within that time is sent when it
 * ends; nothing wakes main up while nothing changes).
 *
 * Without libsystemd at build time (configure --without-systemd) or without
 * $NOTIFY_SOCKET (not started by systemd) every call does nothing.
 */

#include <stdbool.h>

struct server;

#define MAIN_NOTIFY_STATUS_S 1.0

/* After srv->loop exists. -ENOMEM, or 0. */
int main_notify_init(struct server *srv);
void main_notify_free(struct server *srv);

void main_notify_ready(struct server *srv);
void main_notify_reloading(struct server *srv);
void main_notify_stopping(struct server *srv);
/* The session counts may have changed. */
void main_notify_sessions(struct server *srv);

#endif
