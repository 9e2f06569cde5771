/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Accounting records and their queue (acct.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sec-mod/acct.h"
#include "sec-mod/radius-map.h"

struct acct_item {
	struct acct_record r;
	struct acct_item *next;
};

struct acct_queue {
	struct acct_item *head, *tail;
	size_t n, max;
	bool in_flight;
	unsigned attempts;      /* of the head */
	vpn_ms_t not_before;    /* the head's next try */
};

void acct_record_of(const struct secmod_session *s, enum acct_kind kind, uint32_t cause,
		    vpn_ms_t now, struct acct_record *out)
{
	vpn_ms_t start = s->m.created_ms;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	memcpy(out->sid, s->sid, sizeof(out->sid));
	snprintf(out->username, sizeof(out->username), "%s", s->username);
	snprintf(out->remote_ip, sizeof(out->remote_ip), "%s",
		 s->last_remote_ip[0] != '\0' ? s->last_remote_ip : s->remote_ip);
	out->ipv4.s_addr = s->ipv4;
	out->session_time_s = now > start ? (uint32_t)((now - start) / 1000) : 0;
	out->tot = session_table_totals(s);
	out->cause = kind == ACCT_STOP ? cause : 0;
	out->waiting = s->m.state == VPN_SESSION_WAITING;
	if (s->attrs != NULL) {
		for (size_t i = 0; i < s->attrs->n_class; i++) {
			memcpy(out->cls[i].v, s->attrs->cls[i].v, s->attrs->cls[i].len);
			out->cls[i].len = s->attrs->cls[i].len;
		}
		out->n_class = s->attrs->n_class;
	}
	out->event_ms = now;
}

const char *acct_kind_str(enum acct_kind k)
{
	switch (k) {
	case ACCT_START: return "Start";
	case ACCT_STOP: return "Stop";
	case ACCT_INTERIM: return "Interim-Update";
	}
	return "?";
}

struct acct_queue *acct_queue_new(size_t max)
{
	struct acct_queue *q = calloc(1, sizeof(*q));

	if (q != NULL)
		q->max = max > 0 ? max : 1;
	return q;
}

void acct_queue_free(struct acct_queue *q)
{
	struct acct_item *i, *next;

	if (q == NULL)
		return;
	for (i = q->head; i != NULL; i = next) {
		next = i->next;
		free(i);
	}
	free(q);
}

/* Unlink the item after prev (NULL: the head). */
static struct acct_item *unlink_after(struct acct_queue *q, struct acct_item *prev)
{
	struct acct_item *i = prev != NULL ? prev->next : q->head;

	if (prev != NULL)
		prev->next = i->next;
	else
		q->head = i->next;
	if (q->tail == i)
		q->tail = prev;
	q->n--;
	return i;
}

/* Make room for one: the oldest Interim-Update (not the one in flight),
 * else the oldest record not in flight. */
static int make_room(struct acct_queue *q, struct acct_record *dropped)
{
	struct acct_item *prev = NULL, *i, *victim_prev = NULL;
	bool found = false;

	for (i = q->head; i != NULL; prev = i, i = i->next) {
		if (i == q->head && q->in_flight)
			continue;
		if (i->r.kind == ACCT_INTERIM) {
			victim_prev = prev;
			found = true;
			break;
		}
	}
	if (!found) {
		if (q->in_flight && q->head->next == NULL)
			return -ENOSPC;
		victim_prev = q->in_flight ? q->head : NULL;
	}
	if (victim_prev == NULL && !q->in_flight) {
		/* the head goes: the next one starts afresh */
		q->attempts = 0;
		q->not_before = 0;
	}
	i = unlink_after(q, victim_prev);
	*dropped = i->r;
	free(i);
	return (int)dropped->kind;
}

int acct_queue_push(struct acct_queue *q, const struct acct_record *r, struct acct_record *dropped)
{
	struct acct_item *i = malloc(sizeof(*i));
	int d = 0;

	if (i == NULL)
		return -ENOMEM;
	if (q->n >= q->max) {
		d = make_room(q, dropped);
		if (d < 0) {
			/* max 1 and that one in flight: the new one is the dropped one */
			*dropped = *r;
			free(i);
			return (int)r->kind;
		}
	}
	i->r = *r;
	i->next = NULL;
	if (q->tail != NULL)
		q->tail->next = i;
	else
		q->head = i;
	q->tail = i;
	q->n++;
	return d;
}

const struct acct_record *acct_queue_next(struct acct_queue *q, vpn_ms_t now)
{
	if (q->head == NULL || q->in_flight || !vpn_ms_reached(q->not_before, now))
		return NULL;
	q->in_flight = true;
	return &q->head->r;
}

vpn_ms_t acct_queue_done(struct acct_queue *q, bool ok, vpn_ms_t now)
{
	vpn_ms_t backoff = ACCT_RETRY_MIN_MS;

	if (!q->in_flight || q->head == NULL)
		return 0;
	q->in_flight = false;
	if (ok) {
		free(unlink_after(q, NULL));
		q->attempts = 0;
		q->not_before = 0;
		return 0;
	}
	for (unsigned a = 0; a < q->attempts && backoff < ACCT_RETRY_MAX_MS; a++)
		backoff *= 2;
	if (backoff > ACCT_RETRY_MAX_MS)
		backoff = ACCT_RETRY_MAX_MS;
	q->attempts++;
	q->not_before = vpn_ms_add(now, backoff);
	return backoff;
}

vpn_ms_t acct_queue_expiry(const struct acct_queue *q)
{
	if (q->head == NULL || q->in_flight)
		return VPN_NEVER;
	return q->not_before;
}

size_t acct_queue_len(const struct acct_queue *q)
{
	return q->n;
}

unsigned acct_queue_head_attempts(const struct acct_queue *q)
{
	return q->attempts;
}

/* --- sec-mod's accounting ------------------------------------------------------- */

int acct_init(struct acct *a, acct_send_fn *send, void *opaque)
{
	a->q = acct_queue_new(ACCT_QUEUE_MAX);
	a->send = send;
	a->opaque = opaque;
	return a->q != NULL ? 0 : -ENOMEM;
}

void acct_fini(struct acct *a)
{
	acct_queue_free(a->q);
	a->q = NULL;
}

static void pump(struct acct *a, vpn_ms_t now)
{
	const struct acct_record *r = acct_queue_next(a->q, now);

	if (r == NULL)
		return;
	a->in_flight = *r;
	a->send(a->opaque, r);
}

static void emit(struct acct *a, const struct secmod_session *s, enum acct_kind k, uint32_t cause,
		 vpn_ms_t now)
{
	struct acct_record r, d;
	int rc;

	acct_record_of(s, k, cause, now, &r);
	rc = acct_queue_push(a->q, &r, &d);
	if (rc < 0)
		log_err("accounting: %s of session %.*s of user '%s' lost: out of memory",
			acct_kind_str(k), (int)SESSION_ID_SHORT_LEN, s->sid, LOG_ESC(s->username));
	else if (rc > 0)
		log_err("accounting: %zu records wait for the server: %s of session %.*s of user "
			"'%s' dropped", acct_queue_len(a->q), acct_kind_str(d.kind),
			(int)SESSION_ID_SHORT_LEN, d.sid, LOG_ESC(d.username));
	log_debug("accounting: %s of session %.*s queued", acct_kind_str(k), (int)SESSION_ID_SHORT_LEN,
		  s->sid);
	pump(a, now);
}

bool acct_session_start(struct acct *a, struct secmod_session *s, vpn_ms_t now)
{
	static const struct session_attrs none;

	if (!acct_on(a) || (s->attrs != NULL && s->attrs->acct_started))
		return false;
	if (s->attrs == NULL && session_table_set_attrs(s, &none) < 0) {
		log_err("accounting: session %.*s not accounted: out of memory",
			(int)SESSION_ID_SHORT_LEN, s->sid);
		return false;
	}
	s->attrs->acct_started = true;
	s->attrs->next_interim_ms = s->attrs->interim_s > 0
		? vpn_ms_add(now, vpn_s_to_ms(s->attrs->interim_s)) : VPN_NEVER;
	emit(a, s, ACCT_START, 0, now);
	return true;
}

void acct_session_stop(struct acct *a, struct secmod_session *s, vpn_ms_t now)
{
	enum radius_terminate_cause c;

	if (!acct_on(a) || s->attrs == NULL || !s->attrs->acct_started)
		return;
	c = radius_terminate_cause(s->m.end_reason, s->m.drop_ms != VPN_NEVER);
	log_info("accounting: Stop of session %.*s of user '%s': %s", (int)SESSION_ID_SHORT_LEN,
		 s->sid, LOG_ESC(s->username), radius_terminate_cause_str(c));
	s->attrs->acct_started = false;
	emit(a, s, ACCT_STOP, (uint32_t)c, now);
}

/* A session whose Interim-Updates run. */
static bool interim_runs(const struct secmod_session *s)
{
	return s->attrs != NULL && s->attrs->acct_started && s->attrs->interim_s > 0 &&
	       s->m.state != VPN_SESSION_ENDED;
}

void acct_tick(struct acct *a, struct secmod_session_table *t, vpn_ms_t now)
{
	if (!acct_on(a))
		return;
	for (struct secmod_session *s = session_table_first(t); s != NULL; s = s->next) {
		vpn_ms_t every;

		if (!interim_runs(s) || !vpn_ms_reached(s->attrs->next_interim_ms, now))
			continue;
		every = vpn_s_to_ms(s->attrs->interim_s);
		s->attrs->next_interim_ms = vpn_ms_add(s->attrs->next_interim_ms, every);
		if (vpn_ms_reached(s->attrs->next_interim_ms, now))
			s->attrs->next_interim_ms = vpn_ms_add(now, every);
		emit(a, s, ACCT_INTERIM, 0, now);
	}
	pump(a, now);
}

vpn_ms_t acct_expiry(const struct acct *a, const struct secmod_session_table *t)
{
	vpn_ms_t e;

	if (!acct_on(a))
		return VPN_NEVER;
	e = acct_queue_expiry(a->q);
	for (const struct secmod_session *s = session_table_first(t); s != NULL; s = s->next)
		if (interim_runs(s))
			e = vpn_ms_min(e, s->attrs->next_interim_ms);
	return e;
}

void acct_sent(struct acct *a, bool ok, vpn_ms_t now)
{
	vpn_ms_t backoff;

	if (!acct_on(a))
		return;
	backoff = acct_queue_done(a->q, ok, now);
	if (!ok)
		log_warn("accounting: %s of session %.*s of user '%s' not answered (attempt %u, %zu "
			 "waiting): next try in %llu s", acct_kind_str(a->in_flight.kind),
			 (int)SESSION_ID_SHORT_LEN, a->in_flight.sid, LOG_ESC(a->in_flight.username),
			 acct_queue_head_attempts(a->q), acct_queue_len(a->q),
			 (unsigned long long)(backoff / 1000));
	pump(a, now);
}
