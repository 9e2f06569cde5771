/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* main's record of a worker process: see worker-proc.h. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "main/main.h"
#include "main/worker-proc.h"

struct worker_proc *worker_proc_by_pid(struct server *srv, pid_t pid)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->pid == pid)
			return w;
	return NULL;
}

struct worker_proc *worker_proc_by_request(struct server *srv, uint64_t id)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (id != 0 && w->sm_request == id)
			return w;
	return NULL;
}

struct worker_proc *worker_proc_by_session(struct server *srv, uint64_t serial)
{
	for (struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (serial != 0 && w->session_serial == serial)
			return w;
	return NULL;
}

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker_proc *w = t->data;

	if (w->exited)
		return;
	if (w->sigterm_sent) {
		log_warn("worker %ld did not exit after SIGTERM: SIGKILL", (long)w->pid);
		kill(w->pid, SIGKILL);
		return;
	}
	if (w->state == WORKER_DOWN || w->terminate_sent)
		log_warn("worker %ld (%s) still running %.0f s after %s", (long)w->pid,
			 w->remote_ip, MAIN_EXIT_GRACE_S,
			 w->state == WORKER_DOWN ? "its tunnel ended" : "it was told to finish");
	else
		log_info("worker %ld (%s) did not open a session in time: closing it",
			 (long)w->pid, w->remote_ip);
	worker_proc_kill(ev_userdata(loop), w, NULL);
}

void worker_proc_timer_start(struct server *srv, struct worker_proc *w, double seconds)
{
	ev_timer_stop(srv->loop, &w->timer_w);
	ev_timer_init(&w->timer_w, timer_cb, seconds, 0.);
	w->timer_w.data = w;
	ev_timer_start(srv->loop, &w->timer_w);
}

void worker_proc_exit_deadline(struct server *srv, struct worker_proc *w)
{
	if (!w->sigterm_sent && !w->exited)
		worker_proc_timer_start(srv, w, MAIN_EXIT_GRACE_S);
}

void worker_proc_kill(struct server *srv, struct worker_proc *w, const char *why)
{
	if (w->sigterm_sent || w->exited)
		return;
	if (why != NULL)
		log_warn("worker %ld (%s): %s: terminating it", (long)w->pid, w->remote_ip, why);
	w->sigterm_sent = true;
	if (kill(w->pid, SIGTERM) < 0 && errno != ESRCH)
		log_err("kill(%ld, SIGTERM): %s", (long)w->pid, strerror(errno));
	worker_proc_timer_start(srv, w, MAIN_KILL_GRACE_S);
}

int worker_proc_send(struct server *srv, struct worker_proc *w, enum ipc_type type,
		     const ProtobufCMessage *msg, int fd)
{
	int r;

	if (w->ipc_fd < 0)
		return -EPIPE;
	r = ipc_send(w->ipc_fd, type, msg, fd);
	if (r == -EPIPE) {
		/* It closed its end: it is exiting (told to, or its tunnel
		 * ended). Not an error: what it sent before is still read
		 * (main-worker.c), and its exit is reaped as usual. */
		log_debug("worker %ld is exiting: %s not sent", (long)w->pid, ipc_type_str(type));
		return r;
	}
	if (r < 0) {
		char why[128];

		snprintf(why, sizeof(why), "sending %s: %s", ipc_type_str(type), ipc_strerror(r));
		worker_proc_kill(srv, w, why);
	}
	return r;
}

void worker_proc_terminate(struct server *srv, struct worker_proc *w, enum vpn_end_reason reason)
{
	worker_proc_terminate_text(srv, w, reason, NULL);
}

void worker_proc_terminate_text(struct server *srv, struct worker_proc *w,
				enum vpn_end_reason reason, const char *text)
{
	Terminate t = TERMINATE__INIT;

	t.reason = (uint32_t)reason;
	t.text = (char *)text;
	if (worker_proc_send(srv, w, IPC_TERMINATE, &t.base, -1) == 0 && !w->sigterm_sent) {
		w->terminate_sent = true;
		worker_proc_timer_start(srv, w, MAIN_EXIT_GRACE_S);
	}
}
