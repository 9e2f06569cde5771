/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* accept4 */

/*
 * main's Prometheus endpoint; see main-metrics.h.
 *
 *   listener --accept--> scraper: read (bounded) -> http_parser_feed
 *                          | COMPLETE: GET /metrics -> 200 + metrics_render()
 *                          |           anything else -> 404 / 405 / 400 / 431
 *                          v
 *                        write what the socket takes, the rest on EV_WRITE,
 *                        then close; a timer closes it in any case
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec/http.h"
#include "common/log.h"
#include "main/main-metrics.h"
#include "main/main.h"
#include "vpn/dtls.h"

struct scraper {
	struct main_metrics *mm;
	int fd;
	ev_io io;                    /* EV_READ until the request is whole, then EV_WRITE */
	ev_timer deadline;
	struct http_parser *parser;  /* while reading */
	size_t got;                  /* request bytes read */
	char *out;                   /* the answer */
	size_t out_len, out_off;
	struct scraper *prev, *next;
};

struct main_metrics {
	struct server *srv;
	struct metrics m;
	double start_time_s;
	uint64_t store_errors_seen;  /* sec-mod's count in its latest SmSession */
	int fd;                      /* the listener; -1: none */
	ev_io accept_w;
	char name[INET6_ADDRSTRLEN + 8];
	struct scraper *scrapers;
	unsigned n_scrapers;
};

/* --- counters ------------------------------------------------------------------ */

int main_metrics_init(struct server *srv)
{
	struct main_metrics *mm = calloc(1, sizeof(*mm));
	struct timespec ts;

	if (mm == NULL)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	mm->srv = srv;
	mm->fd = -1;
	mm->start_time_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	srv->metrics = mm;
	return 0;
}

struct metrics *main_metrics(struct server *srv)
{
	return srv->metrics != NULL ? &srv->metrics->m : NULL;
}

void main_metrics_tunnel_stats(struct server *srv, struct worker_proc *w, const TunnelStats *st)
{
	if (srv->metrics != NULL)
		metrics_tunnel_stats(&srv->metrics->m, &w->metrics_seen, st);
}

void main_metrics_secmod_session(struct server *srv, const SmSession *msg)
{
	if (srv->metrics != NULL && msg->has_store_errors)
		metrics_store_errors(&srv->metrics->m, &srv->metrics->store_errors_seen,
				     msg->store_errors);
}

/* The gauges, read from main's tables now. */
static void gauges(struct server *srv, struct metrics_gauges *g)
{
	memset(g, 0, sizeof(*g));
	g->version = PACKAGE_VERSION;
	g->start_time_s = srv->metrics->start_time_s;
	g->sessions_authenticated =
		(unsigned)session_table_count_state(srv->sessions, VPN_SESSION_AUTHENTICATED);
	g->sessions_active = (unsigned)session_table_count_state(srv->sessions, VPN_SESSION_ACTIVE);
	g->sessions_waiting = (unsigned)session_table_count_state(srv->sessions, VPN_SESSION_WAITING);
	for (const struct worker_proc *w = srv->workers; w != NULL; w = w->next)
		if (w->state == WORKER_TUNNEL)
			g->tunnels[w->dtls_state == VPN_DTLS_UP ? METRICS_DTLS : METRICS_CSTP]++;
	g->workers = srv->n_workers;
	g->banned_addresses = (unsigned)ban_banned_count(srv->bans, vpn_now_ms());
	srv->metrics->m.bans = ban_total(srv->bans); /* the ban table counts them */
	g->secmod_queue = srv->secmod_q.count;
}

/* --- scrapers ---------------------------------------------------------------- */

static void scraper_close(struct scraper *s)
{
	struct main_metrics *mm = s->mm;
	struct ev_loop *loop = mm->srv->loop;

	ev_io_stop(loop, &s->io);
	ev_timer_stop(loop, &s->deadline);
	close(s->fd);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		mm->scrapers = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	mm->n_scrapers--;
	free(s->parser);
	free(s->out);
	free(s);
}

static void scraper_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct scraper *s = io->data;

	(void)loop;
	(void)revents;
	while (s->out_off < s->out_len) {
		ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the rest when the socket is writable again */
		if (n <= 0) {
			log_debug("metrics: writing to a scraper: %s", strerror(errno));
			break;
		}
		s->out_off += (size_t)n;
	}
	scraper_close(s);
}

/* Answer with status and body (NULL: the status line's text), then close. */
static void answer(struct scraper *s, unsigned status, const char *reason, const char *type,
		   const char *body, size_t body_len)
{
	char *out = NULL;
	int n;

	if (body == NULL) {
		body = reason;
		body_len = strlen(reason);
		type = "text/plain; charset=utf-8";
	}
	n = asprintf(&out, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%.*s", status, reason, type, body_len,
		     (int)body_len, body);
	free(s->parser);
	s->parser = NULL;
	if (n < 0) {
		scraper_close(s);
		return;
	}
	s->out = out;
	s->out_len = (size_t)n;
	ev_io_stop(s->mm->srv->loop, &s->io);
	ev_io_init(&s->io, scraper_write_cb, s->fd, EV_WRITE);
	s->io.data = s;
	ev_io_start(s->mm->srv->loop, &s->io);
	scraper_write_cb(s->mm->srv->loop, &s->io, EV_WRITE);
}

/* "/metrics", possibly with a query (Prometheus sends none by default). */
static bool is_metrics_path(const char *target)
{
	size_t n = strlen("/metrics");

	return strncmp(target, "/metrics", n) == 0 && (target[n] == '\0' || target[n] == '?');
}

static void on_request(struct scraper *s)
{
	struct server *srv = s->mm->srv;
	struct metrics_gauges g;
	char *text;
	size_t len;

	if (!is_metrics_path(http_req_target(s->parser))) {
		answer(s, 404, "Not Found", NULL, NULL, 0);
		return;
	}
	if (http_req_method(s->parser) != HTTP_METHOD_GET) {
		answer(s, 405, "Method Not Allowed", NULL, NULL, 0);
		return;
	}
	gauges(srv, &g);
	if (metrics_render(&s->mm->m, &g, &text, &len) < 0) {
		answer(s, 500, "Internal Server Error", NULL, NULL, 0);
		return;
	}
	answer(s, 200, "OK", METRICS_CONTENT_TYPE, text, len);
	free(text);
}

static void scraper_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct scraper *s = io->data;
	char buf[2048];
	size_t room = MAIN_METRICS_MAX_REQUEST - s->got;
	ssize_t n;
	int r;

	(void)loop;
	(void)revents;
	n = recv(s->fd, buf, room < sizeof(buf) ? room : sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		scraper_close(s); /* gone before its request was whole */
		return;
	}
	s->got += (size_t)n;
	r = http_parser_feed(s->parser, buf, (size_t)n, NULL);
	if (r == HTTP_COMPLETE)
		on_request(s);
	else if (r < 0)
		answer(s, 400, "Bad Request", NULL, NULL, 0);
	else if (s->got >= MAIN_METRICS_MAX_REQUEST)
		answer(s, 431, "Request Header Fields Too Large", NULL, NULL, 0);
}

static void scraper_deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct scraper *s = t->data;

	(void)loop;
	(void)revents;
	log_debug("metrics: a scraper took over %.0f s: closed", MAIN_METRICS_TIMEOUT_S);
	scraper_close(s);
}

static void scraper_new(struct main_metrics *mm, int fd)
{
	struct scraper *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->parser = malloc(sizeof(*s->parser));
	if (s == NULL || s->parser == NULL) {
		free(s);
		close(fd);
		return;
	}
	http_parser_init(s->parser);
	s->mm = mm;
	s->fd = fd;
	ev_io_init(&s->io, scraper_read_cb, fd, EV_READ);
	s->io.data = s;
	ev_timer_init(&s->deadline, scraper_deadline_cb, MAIN_METRICS_TIMEOUT_S, 0.);
	s->deadline.data = s;
	s->next = mm->scrapers;
	if (mm->scrapers != NULL)
		mm->scrapers->prev = s;
	mm->scrapers = s;
	mm->n_scrapers++;
	ev_io_start(mm->srv->loop, &s->io);
	ev_timer_start(mm->srv->loop, &s->deadline);
}

static void accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct main_metrics *mm = io->data;

	(void)loop;
	(void)revents;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(mm->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics: accept: %s", strerror(errno));
			return;
		}
		if (mm->n_scrapers >= MAIN_METRICS_MAX_SCRAPERS) {
			log_debug("metrics: %u scrapers already: connection closed",
				  MAIN_METRICS_MAX_SCRAPERS);
			close(fd);
			continue;
		}
		scraper_new(mm, fd);
	}
}

/* --- the listener -------------------------------------------------------------- */

int main_metrics_open(struct server *srv)
{
	struct main_metrics *mm = srv->metrics;
	const char *text = srv->cfg.metrics_listen;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd, err;

	if (text == NULL)
		return 0;
	if (config_parse_hostport(text, &ss, &len) < 0) {
		log_err("metrics-listen %s: not ADDRESS:PORT", text);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		err = errno;
		log_err("metrics-listen %s: %s", text, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	mm->fd = fd;
	snprintf(mm->name, sizeof(mm->name), "%s", text);
	return 0;
}

void main_metrics_start(struct server *srv)
{
	struct main_metrics *mm = srv->metrics;

	if (mm == NULL || mm->fd < 0)
		return;
	ev_io_init(&mm->accept_w, accept_cb, mm->fd, EV_READ);
	mm->accept_w.data = mm;
	ev_io_start(srv->loop, &mm->accept_w);
	log_info("metrics: serving http://%s/metrics", mm->name);
}

void main_metrics_stop(struct server *srv)
{
	struct main_metrics *mm = srv->metrics;

	if (mm == NULL)
		return;
	while (mm->scrapers != NULL)
		scraper_close(mm->scrapers);
	if (mm->fd >= 0) {
		if (srv->loop != NULL)
			ev_io_stop(srv->loop, &mm->accept_w);
		close(mm->fd);
	}
	free(mm);
	srv->metrics = NULL;
}
