/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SENDQ_H
#define OCSM_SENDQ_H

/*
 * Bounded FIFO of complete CSTP packets waiting for the TLS socket.
 *
 * The worker never blocks on a peer (doc/spec/liveness.md §6, doc/spec/interop.md §7.6): it
 * sends each packet with one gnutls_record_send() and, when that returns
 * GNUTLS_E_AGAIN, keeps the packet here. The head of the queue is the
 * "pending record": GnuTLS has already encrypted it and must be called
 * again with the same data, so the head is never dropped or changed until
 * sendq_pop(). Packets behind it wait their turn.
 *
 * Two classes share one byte budget:
 *
 *   0 ........................ data_limit ........... data_limit + reserve
 *   |<- DATA and CONTROL packets ->|<- CONTROL only (DPD, DISCONNECT, ...) ->|
 *
 * A DATA packet that does not fit is refused (tail drop: the newest packet
 * goes, as a router queue would drop it); a CONTROL packet may also use the
 * reserve, so a DPD answer or a DISCONNECT still gets queued behind a full
 * data queue. Every packet is charged its length plus SENDQ_ITEM_OVERHEAD so
 * the bound is on memory, not just on payload bytes.
 *
 * Pure data structure: no I/O, no clock, no logging.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sendq_class {
	SENDQ_DATA = 0,		/* IP packets from the tun device: droppable */
	SENDQ_CONTROL = 1,	/* DPD, KEEPALIVE, DISCONNECT, TERMINATE, HTTP */
};

/* Bytes charged per queued packet on top of its length. */
#define SENDQ_ITEM_OVERHEAD 32u

/* Defaults used by the worker: 256 KiB for data, 16 KiB more for control. */
#define SENDQ_DEFAULT_DATA_LIMIT (256u * 1024u)
#define SENDQ_DEFAULT_CONTROL_RESERVE (16u * 1024u)

struct sendq_item;

struct sendq {
	struct sendq_item *head;	/* oldest; the pending record; NULL when empty */
	struct sendq_item *tail;	/* newest; NULL when empty */
	size_t count;			/* packets queued */
	size_t charged;			/* sum of len + SENDQ_ITEM_OVERHEAD */
	size_t data_limit;		/* DATA accepted while charged stays <= this */
	size_t total_limit;		/* CONTROL accepted while charged stays <= this */
	uint64_t dropped_data;		/* DATA packets refused because full */
	uint64_t dropped_control;	/* CONTROL packets refused because full */
};

/* Initialise an empty queue. data_limit and control_reserve are in bytes
 * (charged as described above); data_limit 0 refuses every DATA packet. */
void sendq_init(struct sendq *q, size_t data_limit, size_t control_reserve);

/* Free every queued packet; the queue is empty and reusable afterwards
 * (limits and drop counters are kept). */
void sendq_clear(struct sendq *q);

/*
 * Append a copy of buf[0..len) to the queue.
 * Returns 0 on success, -ENOBUFS when the class's budget is exhausted (the
 * packet is dropped and counted), -EINVAL when len is 0, -ENOMEM when the
 * allocation fails (also counted as a drop). Never fatal for the caller.
 */
int sendq_push(struct sendq *q, enum sendq_class cls, const void *buf, size_t len);

/* The head packet (the one to hand to gnutls_record_send next), or false
 * when the queue is empty. The pointer stays valid until sendq_pop(). */
bool sendq_peek(const struct sendq *q, const uint8_t **buf, size_t *len);

/* The class of the head packet; the queue must not be empty. */
enum sendq_class sendq_peek_class(const struct sendq *q);

/* Remove the head packet after it has been fully sent. No-op when empty. */
void sendq_pop(struct sendq *q);

/* Drop every DATA packet behind the head (the head may be a pending record
 * and always stays), so a final DISCONNECT does not wait behind a full data
 * queue. Returns how many were dropped (also added to dropped_data). */
size_t sendq_purge_data(struct sendq *q);

static inline bool sendq_empty(const struct sendq *q)
{
	return q->head == NULL;
}

/* Would a DATA packet of len bytes be accepted right now? The worker stops
 * reading the tun device while a full-MTU packet would not fit. */
bool sendq_data_fits(const struct sendq *q, size_t len);

#endif
