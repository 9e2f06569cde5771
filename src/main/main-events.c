/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * occtl-modern show events; see main-events.h.
 *
 *   hook (main-worker.c, main-udp.c) --CtlEvent--> frame, once
 *        --> appended to each subscriber's queue --> sent as the socket takes it
 *   a queue over MAIN_EVENTS_QUEUE_MAX: that subscriber is dropped
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "main/main-events.h"
#include "main/main.h"
#include "occtl/ctlmsg.h"
#include "vpn/dtls.h"

struct sub {
	struct main_events *ev;
	int fd;
	ev_io r, w;
	uint8_t *q;                  /* frames waiting: q[off..len) */
	size_t len, off, cap;
	long uid, pid;               /* for the logs */
	struct sub *prev, *next;
};

struct main_events {
	struct server *srv;
	struct sub *subs;
	unsigned n_subs;
	size_t queue_max;            /* MAIN_EVENTS_QUEUE_MAX */
};

int main_events_init(struct server *srv)
{
	struct main_events *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return -ENOMEM;
	ev->srv = srv;
	ev->queue_max = MAIN_EVENTS_QUEUE_MAX;
#ifdef ENABLE_TEST_HOOKS
	{
		/* a test build's integration test fills a smaller queue sooner */
		const char *q = getenv("OCSERV_MODERN_TEST_EVENTS_QUEUE");

		if (q != NULL && atol(q) > 0)
			ev->queue_max = (size_t)atol(q);
	}
#endif
	srv->events = ev;
	return 0;
}

/* --- subscribers -------------------------------------------------------------- */

static void sub_close(struct sub *s)
{
	struct main_events *ev = s->ev;

	ev_io_stop(ev->srv->loop, &s->r);
	ev_io_stop(ev->srv->loop, &s->w);
	close(s->fd);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ev->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	ev->n_subs--;
	free(s->q);
	free(s);
}

/* Send what the socket takes. Returns -1 when s was closed. */
static int sub_flush(struct sub *s)
{
	while (s->off < s->len) {
		ssize_t n = send(s->fd, s->q + s->off, s->len - s->off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(s->ev->srv->loop, &s->w);
			return 0;
		}
		if (n < 0) {
			log_debug("occtl show events (pid %ld): %s", s->pid, strerror(errno));
			sub_close(s);
			return -1;
		}
		s->off += (size_t)n;
	}
	s->off = s->len = 0;
	ev_io_stop(s->ev->srv->loop, &s->w);
	return 0;
}

/* Queue one frame for s and send what can be sent now. */
static void sub_push(struct sub *s, const uint8_t *frame, size_t n)
{
	if (s->len - s->off + n > s->ev->queue_max) {
		log_warn("occtl show events (uid %ld, pid %ld) does not read: %zu bytes waiting, "
			 "dropped", s->uid, s->pid, s->len - s->off);
		sub_close(s);
		return;
	}
	if (s->off > 0) {
		memmove(s->q, s->q + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->cap - s->len < n) {
		size_t ncap = s->len + n > 4096 ? s->len + n : 4096;
		uint8_t *nq = realloc(s->q, ncap);

		if (nq == NULL) {
			log_warn("occtl show events (pid %ld): out of memory, dropped", s->pid);
			sub_close(s);
			return;
		}
		s->q = nq;
		s->cap = ncap;
	}
	memcpy(s->q + s->len, frame, n);
	s->len += n;
	(void)sub_flush(s);
}

static void sub_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	(void)sub_flush(io->data);
}

/* occtl sends nothing more: anything is read and dropped, the end closes. */
static void sub_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct sub *s = io->data;
	char buf[512];
	ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

	(void)loop;
	(void)revents;
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
		log_debug("occtl show events (pid %ld) left", s->pid);
		sub_close(s);
	}
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void main_events_subscribe(struct server *srv, int fd, uid_t uid, pid_t pid)
{
	struct main_events *ev = srv->events;
	CtlReply rep = CTL_REPLY__INIT;
	struct sub *s = calloc(1, sizeof(*s));
	uint8_t *frame = NULL;
	ssize_t n;

	if (s == NULL) {
		close(fd);
		return;
	}
	s->ev = ev;
	s->fd = fd;
	/* the kernel's share of a slow reader's backlog stays small too */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ MAIN_EVENTS_SNDBUF }, sizeof(int));
	s->uid = (long)uid;
	s->pid = (long)pid;
	ev_io_init(&s->r, sub_read_cb, fd, EV_READ);
	ev_io_init(&s->w, sub_write_cb, fd, EV_WRITE);
	s->r.data = s->w.data = s;
	s->next = ev->subs;
	if (ev->subs != NULL)
		ev->subs->prev = s;
	ev->subs = s;
	ev->n_subs++;
	rep.now_ms = wall_ms();
	rep.ok = ev->n_subs <= MAIN_EVENTS_MAX_SUBSCRIBERS;
	rep.error = rep.ok ? NULL : "too many show events already";
	rep.message = rep.ok ? "events follow" : NULL;
	n = ctl_frame_encode(CTL_REPLY(CTL_CMD_EVENTS), &rep.base, &frame);
	if (n < 0 || !rep.ok) {
		if (n > 0)
			(void)send(fd, frame, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(frame);
		log_info("occtl show events (uid %ld, pid %ld) refused: %s", s->uid, s->pid,
			 n < 0 ? strerror((int)-n) : rep.error);
		sub_close(s);
		return;
	}
	log_info("occtl show events: uid %ld, pid %ld subscribed", s->uid, s->pid);
	ev_io_start(srv->loop, &s->r);
	sub_push(s, frame, (size_t)n);
	free(frame);
}

void main_events_stop(struct server *srv)
{
	struct main_events *ev = srv->events;

	if (ev == NULL)
		return;
	while (ev->subs != NULL)
		sub_close(ev->subs);
	free(ev);
	srv->events = NULL;
}

/* --- events ---------------------------------------------------------------------- */

static bool listening(const struct server *srv)
{
	return srv->events != NULL && srv->events->n_subs > 0;
}

/* Send e to every subscriber. */
static void publish(struct server *srv, CtlEvent *e)
{
	struct sub *s, *next;
	uint8_t *frame = NULL;
	ssize_t n;

	e->time_ms = wall_ms();
	n = ctl_frame_encode(CTL_EVENT, &e->base, &frame);
	if (n < 0) {
		log_warn("show events: %s event: %s", e->event, strerror((int)-n));
		return;
	}
	for (s = srv->events->subs; s != NULL; s = next) {
		next = s->next;
		sub_push(s, frame, (size_t)n);
	}
	free(frame);
}

static const struct main_lease *lease_of(const struct server *srv, uint64_t serial)
{
	for (const struct main_lease *m = srv->msessions; m != NULL; m = m->next)
		if (m->serial == serial)
			return m;
	return NULL;
}

/* The session's identity and address into e (ip: room for the address). */
static void with_session(const struct server *srv, const struct secmod_session *s, CtlEvent *e,
			 char ip[INET_ADDRSTRLEN])
{
	const struct main_lease *m = lease_of(srv, s->serial);

	e->session_id = (char *)s->sid;
	e->username = s->username;
	e->groupname = s->group;
	e->remote_ip = (char *)(s->last_remote_ip[0] != '\0' ? s->last_remote_ip : s->remote_ip);
	if (m != NULL && m->has_lease && inet_ntop(AF_INET, &m->ipv4, ip, INET_ADDRSTRLEN))
		e->vpn_ipv4 = ip;
	if (m != NULL && m->tun.fd >= 0)
		e->device = (char *)m->tun.name;
}

void main_events_session(struct server *srv, const struct secmod_session *old, bool was_ended,
			 const struct secmod_session *now)
{
	enum vpn_session_state before = old != NULL ? vpn_session_get_state(&old->m)
						    : VPN_SESSION_ENDED;
	enum vpn_session_state state = vpn_session_get_state(&now->m);
	CtlEvent e = CTL_EVENT__INIT;
	char ip[INET_ADDRSTRLEN];

	if (!listening(srv))
		return;
	with_session(srv, now, &e, ip);
	if (old == NULL && state == VPN_SESSION_AUTHENTICATED) {
		e.event = "login";
		e.remote_ip = (char *)now->remote_ip;
	} else if (state == VPN_SESSION_WAITING && before != VPN_SESSION_WAITING) {
		e.event = "waiting";
		e.reason = (char *)vpn_end_reason_str(vpn_session_drop_reason(&now->m));
		e.has_deadline_ms = true;
		e.deadline_ms = e.time_ms = wall_ms();
		e.deadline_ms += (int64_t)vpn_session_expiry(&now->m) - (int64_t)vpn_now_ms();
	} else if (state == VPN_SESSION_ACTIVE && before == VPN_SESSION_WAITING) {
		e.event = "resume";
		e.has_resumes = true;
		e.resumes = vpn_session_resumes(&now->m);
	} else if (state == VPN_SESSION_ENDED && !was_ended) {
		e.event = "session-end";
		e.reason = (char *)vpn_end_reason_str(vpn_session_end_reason(&now->m));
	} else {
		return;
	}
	publish(srv, &e);
}

/* The connection's identity into e. */
static void with_worker(const struct server *srv, const struct worker_proc *w, CtlEvent *e,
			char ip[INET_ADDRSTRLEN])
{
	const struct secmod_session *s = w->session_serial != 0
		? session_table_find_serial(srv->sessions, w->session_serial) : NULL;

	if (s != NULL)
		with_session(srv, s, e, ip);
	e->username = w->username;
	e->remote_ip = (char *)w->remote_ip;
	e->has_id = true;
	e->id = (uint32_t)w->pid;
	if (w->tun.name[0] != '\0')
		e->device = (char *)w->tun.name;
}

/* An event of w's tunnel: name, with reason and cipher when set. */
static void tunnel_event(struct server *srv, const struct worker_proc *w, const char *name,
			 const char *reason, const char *cipher)
{
	CtlEvent e = CTL_EVENT__INIT;
	char ip[INET_ADDRSTRLEN];

	if (!listening(srv))
		return;
	with_worker(srv, w, &e, ip);
	e.event = (char *)name;
	e.reason = (char *)reason;
	e.cipher = (char *)cipher;
	if (strcmp(name, "dtls-up") == 0)
		e.dtls_peer = (char *)w->dtls_peer;
	publish(srv, &e);
}

void main_events_tunnel_up(struct server *srv, const struct worker_proc *w, const TunnelUp *up)
{
	tunnel_event(srv, w, "tunnel-up", NULL, up->tls_cipher);
}

void main_events_tunnel_down(struct server *srv, const struct worker_proc *w,
			     enum vpn_end_reason r)
{
	tunnel_event(srv, w, "tunnel-down", vpn_end_reason_str(r), NULL);
}

void main_events_dtls(struct server *srv, const struct worker_proc *w, uint32_t old_state)
{
	if (w->dtls_state == old_state)
		return;
	if (w->dtls_state == VPN_DTLS_UP)
		tunnel_event(srv, w, "dtls-up", NULL,
			     w->dtls_cipher[0] != '\0' ? w->dtls_cipher : NULL);
	else if (w->dtls_state == VPN_DTLS_INACTIVE)
		tunnel_event(srv, w, "dtls-inactive", NULL, NULL);
}
