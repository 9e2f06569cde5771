/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "common/sendq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sendq_item {
	struct sendq_item *next;
	size_t len;
	enum sendq_class cls;
	uint8_t data[];
};

_Static_assert(sizeof(struct sendq_item) <= SENDQ_ITEM_OVERHEAD,
	      "SENDQ_ITEM_OVERHEAD must cover the item header");

void sendq_init(struct sendq *q, size_t data_limit, size_t control_reserve)
{
	*q = (struct sendq){
		.data_limit = data_limit,
		.total_limit = data_limit + control_reserve,
	};
}

void sendq_clear(struct sendq *q)
{
	struct sendq_item *it = q->head;

	while (it != NULL) {
		struct sendq_item *next = it->next;

		free(it);
		it = next;
	}
	q->head = q->tail = NULL;
	q->count = 0;
	q->charged = 0;
}

/* Charged size of a packet, or SIZE_MAX when that would overflow. */
static size_t charge_of(size_t len)
{
	if (len > SIZE_MAX - SENDQ_ITEM_OVERHEAD)
		return SIZE_MAX;
	return len + SENDQ_ITEM_OVERHEAD;
}

/* Does a packet of the given charge fit under limit? Overflow-safe. */
static bool fits(const struct sendq *q, size_t charge, size_t limit)
{
	return q->charged <= limit && charge <= limit - q->charged;
}

bool sendq_data_fits(const struct sendq *q, size_t len)
{
	return fits(q, charge_of(len), q->data_limit);
}

int sendq_push(struct sendq *q, enum sendq_class cls, const void *buf, size_t len)
{
	size_t charge = charge_of(len);
	size_t limit = cls == SENDQ_CONTROL ? q->total_limit : q->data_limit;
	struct sendq_item *it;

	if (len == 0)
		return -EINVAL;
	if (!fits(q, charge, limit)) {
		if (cls == SENDQ_CONTROL)
			q->dropped_control++;
		else
			q->dropped_data++;
		return -ENOBUFS;
	}
	it = malloc(sizeof(*it) + len);
	if (it == NULL) {
		if (cls == SENDQ_CONTROL)
			q->dropped_control++;
		else
			q->dropped_data++;
		return -ENOMEM;
	}
	it->next = NULL;
	it->len = len;
	it->cls = cls;
	memcpy(it->data, buf, len);

	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->count++;
	q->charged += charge;
	return 0;
}

bool sendq_peek(const struct sendq *q, const uint8_t **buf, size_t *len)
{
	if (q->head == NULL)
		return false;
	*buf = q->head->data;
	*len = q->head->len;
	return true;
}

enum sendq_class sendq_peek_class(const struct sendq *q)
{
	return q->head->cls;
}

void sendq_pop(struct sendq *q)
{
	struct sendq_item *it = q->head;

	if (it == NULL)
		return;
	q->head = it->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	q->charged -= charge_of(it->len);
	free(it);
}

size_t sendq_purge_data(struct sendq *q)
{
	struct sendq_item *prev = q->head, *it;
	size_t dropped = 0;

	if (prev == NULL)
		return 0;
	while ((it = prev->next) != NULL) {
		if (it->cls != SENDQ_DATA) {
			prev = it;
			continue;
		}
		prev->next = it->next;
		q->count--;
		q->charged -= charge_of(it->len);
		free(it);
		dropped++;
	}
	q->tail = prev;
	q->dropped_data += dropped;
	return dropped;
}
