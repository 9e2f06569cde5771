/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/main-notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/log.h"
#include "main/main.h"
#include "sec-mod/session-table.h"

struct main_notify {
	ev_timer rate_w;        /* running: a STATUS= went out less than
				   MAIN_NOTIFY_STATUS_S ago */
	char status[128];       /* the last STATUS= sent */
};

static void send_state(const char *msg)
{
#ifdef HAVE_LIBSYSTEMD
	int r = sd_notify(0, msg);

	if (r < 0)
		log_debug("sd_notify: %s", strerror(-r));
#else
	(void)msg;
#endif
}

static void status_text(const struct server *srv, char *out, size_t len)
{
	size_t active = session_table_count_state(srv->sessions, VPN_SESSION_ACTIVE);
	size_t waiting = session_table_count_state(srv->sessions, VPN_SESSION_WAITING);
	size_t n = active + waiting +
		   session_table_count_state(srv->sessions, VPN_SESSION_AUTHENTICATED);

	snprintf(out, len, "STATUS=%zu session%s: %zu active, %zu waiting to resume", n,
		 n == 1 ? "" : "s", active, waiting);
}

/* No STATUS= for MAIN_NOTIFY_STATUS_S from now: from the real time, not the
 * loop's (which can be older than this callback's work). */
static void quiet_time(struct server *srv)
{
	struct main_notify *n = srv->notify;

	ev_timer_stop(srv->loop, &n->rate_w);
	ev_now_update(srv->loop);
	ev_timer_set(&n->rate_w, MAIN_NOTIFY_STATUS_S, 0.);
	ev_timer_start(srv->loop, &n->rate_w);
}

/* Send STATUS= if it changed, and start the quiet time after it. */
static void status_flush(struct server *srv)
{
	struct main_notify *n = srv->notify;
	char text[sizeof(n->status)];

	status_text(srv, text, sizeof(text));
	if (strcmp(text, n->status) == 0)
		return;
	memcpy(n->status, text, sizeof(text));
	send_state(text);
	quiet_time(srv);
}

static void rate_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	status_flush(ev_userdata(loop));
}

static bool notify_wanted(void)
{
#ifdef HAVE_LIBSYSTEMD
	return getenv("NOTIFY_SOCKET") != NULL;
#else
	return false;
#endif
}

int main_notify_init(struct server *srv)
{
	struct main_notify *n;

	if (!notify_wanted())
		return 0;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	ev_init(&n->rate_w, rate_cb);
	srv->notify = n;
	log_debug("sd_notify: telling the service manager at %s", getenv("NOTIFY_SOCKET"));
	return 0;
}

void main_notify_free(struct server *srv)
{
	if (srv->notify == NULL)
		return;
	ev_timer_stop(srv->loop, &srv->notify->rate_w);
	free(srv->notify);
	srv->notify = NULL;
}

/* msg with the current STATUS= after it, then the quiet time. */
static void send_with_status(struct server *srv, const char *msg)
{
	struct main_notify *n = srv->notify;
	char buf[256];

	status_text(srv, n->status, sizeof(n->status));
	snprintf(buf, sizeof(buf), "%s\n%s", msg, n->status);
	send_state(buf);
	quiet_time(srv);
}

void main_notify_ready(struct server *srv)
{
	if (srv->notify != NULL)
		send_with_status(srv, "READY=1");
}

void main_notify_reloading(struct server *srv)
{
	if (srv->notify != NULL)
		send_state("RELOADING=1");
}

void main_notify_stopping(struct server *srv)
{
	if (srv->notify != NULL)
		send_state("STOPPING=1");
}

void main_notify_sessions(struct server *srv)
{
	if (srv->notify != NULL && !ev_is_active(&srv->notify->rate_w))
		status_flush(srv);
}
