/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_ACCT_H
#define OCSM_ACCT_H

/*
 * Accounting (acct = radius[config=FILE], doc/radius.md): the records
 * sec-mod's core emits for a session (one Start when its first tunnel is
 * up, an Interim-Update every Acct-Interim-Interval, also while it waits to
 * resume, one Stop when it ends), and the queue that sends them in order
 * and never loses a Stop to a server that does not answer.
 *
 * The queue is pure (time passed in, no I/O): the process takes the head
 * with acct_queue_next(), sends it off the loop, and reports the outcome
 * with acct_queue_done(). A failed send is retried after a backoff of
 * ACCT_RETRY_MIN_MS doubling up to ACCT_RETRY_MAX_MS, for ever; the records
 * behind it wait (the server sees them in order). The queue holds at most
 * `max` records: a new record over the limit first drops the oldest
 * Interim-Update waiting (a later one carries the same counters, newer),
 * else the oldest record; acct_queue_push() reports what it dropped, for
 * the log.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec-mod/session-table.h"
#include "vpn/time.h"

#define ACCT_QUEUE_MAX 4096u
#define ACCT_RETRY_MIN_MS 1000u
#define ACCT_RETRY_MAX_MS 60000u

/* Acct-Status-Type values (RFC 2866). */
enum acct_kind {
	ACCT_START = 1,
	ACCT_STOP = 2,
	ACCT_INTERIM = 3,
};

struct acct_record {
	enum acct_kind kind;
	char sid[SESSION_ID_LEN + 1];         /* Acct-Session-Id: the session's id */
	char username[256];
	char remote_ip[INET6_ADDRSTRLEN];     /* Calling-Station-Id */
	struct in_addr ipv4;                  /* Framed-IP-Address; 0: none */
	uint32_t session_time_s;              /* Acct-Session-Time */
	struct session_table_counters tot;    /* octets (with Gigawords) and packets */
	uint32_t cause;                       /* Stop: Acct-Terminate-Cause */
	bool waiting;                         /* waiting to resume: Connect-Info */
	struct {
		uint8_t v[SESSION_ATTRS_CLASS_MAX];
		uint8_t len;
	} cls[SESSION_ATTRS_MAX_CLASS];       /* Class, echoed */
	size_t n_class;
	vpn_ms_t event_ms;                    /* when it happened: Acct-Delay-Time */
};

/* The record of kind for s at now (cause: Stop only). */
void acct_record_of(const struct secmod_session *s, enum acct_kind kind, uint32_t cause,
		    vpn_ms_t now, struct acct_record *out);
const char *acct_kind_str(enum acct_kind k);

struct acct_queue;

struct acct_queue *acct_queue_new(size_t max);
void acct_queue_free(struct acct_queue *q);

/* Append a copy of r. Returns the kind of a record dropped to make room
 * (its copy in *dropped), or 0 when nothing was dropped; -ENOMEM (r not
 * queued). */
int acct_queue_push(struct acct_queue *q, const struct acct_record *r, struct acct_record *dropped);

/* The head, if it may be sent at now and none is in flight; it is in
 * flight until acct_queue_done(). NULL: nothing to send now. */
const struct acct_record *acct_queue_next(struct acct_queue *q, vpn_ms_t now);
/* The head in flight was answered (ok) or not: removed, or retried after
 * the backoff. Returns the backoff in ms (0 when ok). */
vpn_ms_t acct_queue_done(struct acct_queue *q, bool ok, vpn_ms_t now);

/* When the head may be sent (VPN_NEVER: empty or in flight). */
vpn_ms_t acct_queue_expiry(const struct acct_queue *q);
size_t acct_queue_len(const struct acct_queue *q);
/* Failed attempts of the head so far. */
unsigned acct_queue_head_attempts(const struct acct_queue *q);

/* --- sec-mod's accounting: the queue, the sender, the Interim-Update timers - */

typedef void acct_send_fn(void *opaque, const struct acct_record *r);

struct acct {
	struct acct_queue *q;
	acct_send_fn *send;             /* sends the head off the loop */
	void *opaque;
	struct acct_record in_flight;   /* a copy, for the logs */
};

/* Off (q NULL) until acct_init(): 0 or -ENOMEM. */
int acct_init(struct acct *a, acct_send_fn *send, void *opaque);
void acct_fini(struct acct *a);
static inline bool acct_on(const struct acct *a)
{
	return a->q != NULL;
}

/* The session's first tunnel is up: Start, once per session; its
 * Interim-Update timer starts. Returns true when s changed (persist it). */
bool acct_session_start(struct acct *a, struct secmod_session *s, vpn_ms_t now);
/* The session ended: Stop with its Acct-Terminate-Cause, if it started. */
void acct_session_stop(struct acct *a, struct secmod_session *s, vpn_ms_t now);
/* Interim-Updates due at now, and the head of the queue when it may go. */
void acct_tick(struct acct *a, struct secmod_session_table *t, vpn_ms_t now);
/* The next time acct_tick() has work. VPN_NEVER: none. */
vpn_ms_t acct_expiry(const struct acct *a, const struct secmod_session_table *t);
/* The sender's answer for the record in flight. */
void acct_sent(struct acct *a, bool ok, vpn_ms_t now);

#endif
