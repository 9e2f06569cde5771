/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/dtls-route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *dtls_route_verdict_str(enum dtls_route_verdict v)
{
	switch (v) {
	case DTLS_ROUTE_ASSOC:
		return "assoc";
	case DTLS_ROUTE_REBIND:
		return "rebind";
	case DTLS_ROUTE_DROP_NOT_DTLS:
		return "not-dtls";
	case DTLS_ROUTE_DROP_BAD_HELLO:
		return "bad-hello";
	case DTLS_ROUTE_DROP_UNKNOWN_APP_ID:
		return "unknown-app-id";
	case DTLS_ROUTE_DROP_HANDSHAKE:
		return "stray-handshake";
	case DTLS_ROUTE_DROP_NO_PEER:
		return "no-peer";
	case DTLS_ROUTE_DROP_AMBIGUOUS:
		return "ambiguous";
	case DTLS_ROUTE_DROP_RATE:
		return "rate-limited";
	}
	return "unknown";
}

void dtls_route_init(struct dtls_route *r)
{
	memset(r, 0, sizeof(*r));
	r->window_ms = VPN_NEVER;
}

void dtls_route_free(struct dtls_route *r)
{
	free(r->e);
	dtls_route_init(r);
}

static struct dtls_route_entry *find_owner(const struct dtls_route *r, const void *owner)
{
	if (owner == NULL)
		return NULL;
	for (size_t i = 0; i < r->cap; i++)
		if (r->e[i].owner == owner)
			return &r->e[i];
	return NULL;
}

static struct dtls_route_entry *find_app_id(const struct dtls_route *r, const uint8_t *id,
					    size_t len)
{
	for (size_t i = 0; i < r->cap; i++) {
		struct dtls_route_entry *e = &r->e[i];

		if (e->owner != NULL && e->app_id_len == len && memcmp(e->app_id, id, len) == 0)
			return e;
	}
	return NULL;
}

static bool same_addr(const struct ban_addr *a, const struct ban_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

int dtls_route_add(struct dtls_route *r, void *owner, const uint8_t *app_id, size_t len,
		   const struct ban_addr *client)
{
	struct dtls_route_entry *e = NULL;

	if (owner == NULL || app_id == NULL || client == NULL || len == 0 ||
	    len > DTLS_APP_ID_MAX)
		return -EINVAL;
	if (find_owner(r, owner) != NULL || find_app_id(r, app_id, len) != NULL)
		return -EEXIST;
	for (size_t i = 0; i < r->cap && e == NULL; i++)
		if (r->e[i].owner == NULL)
			e = &r->e[i];
	if (e == NULL) {
		size_t cap = r->cap != 0 ? r->cap * 2 : 16;
		struct dtls_route_entry *n = realloc(r->e, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		memset(n + r->cap, 0, (cap - r->cap) * sizeof(*n));
		e = &n[r->cap];
		r->e = n;
		r->cap = cap;
	}
	memset(e, 0, sizeof(*e));
	e->owner = owner;
	memcpy(e->app_id, app_id, len);
	e->app_id_len = (uint8_t)len;
	e->client = *client;
	e->last_assoc_ms = VPN_NEVER;
	e->last_rebind_ms = VPN_NEVER;
	r->used++;
	return 0;
}

void dtls_route_remove(struct dtls_route *r, const void *owner)
{
	struct dtls_route_entry *e = find_owner(r, owner);

	if (e == NULL)
		return;
	memset(e, 0, sizeof(*e));
	r->used--;
}

void dtls_route_set_established(struct dtls_route *r, const void *owner, bool established)
{
	struct dtls_route_entry *e = find_owner(r, owner);

	if (e != NULL)
		e->established = established;
}

const struct dtls_route_entry *dtls_route_find(const struct dtls_route *r, const void *owner)
{
	return find_owner(r, owner);
}

/* "At least interval since last" (a last of VPN_NEVER: never happened). */
static bool interval_passed(vpn_ms_t last, vpn_ms_t interval, vpn_ms_t now)
{
	return last == VPN_NEVER || last > now || vpn_ms_reached(vpn_ms_add(last, interval), now);
}

/* One handover in the server-wide budget; false when it is spent. */
static bool global_budget(struct dtls_route *r, vpn_ms_t now)
{
	if (r->window_ms == VPN_NEVER || now < r->window_ms ||
	    vpn_ms_reached(vpn_ms_add(r->window_ms, 1000), now)) {
		r->window_ms = now;
		r->window_count = 0;
	}
	if (r->window_count >= DTLS_ROUTE_GLOBAL_BURST)
		return false;
	r->window_count++;
	return true;
}

static enum dtls_route_verdict decide(struct dtls_route *r, const uint8_t *buf, size_t len,
				      const struct ban_addr *src, vpn_ms_t now,
				      struct dtls_route_entry **out)
{
	struct dtls_record_hdr h;
	struct dtls_route_entry *e = NULL;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t id_len = 0;
	int rc;

	if (dtls_record_peek(buf, len, &h) != DTLS_REC_OK)
		return DTLS_ROUTE_DROP_NOT_DTLS;

	if (h.type == DTLS_CT_HANDSHAKE && h.epoch == 0) {
		rc = dtls_client_hello_app_id(buf, len, id, &id_len);
		if (rc == DTLS_REC_NOT_HELLO)
			return DTLS_ROUTE_DROP_HANDSHAKE;
		if (rc != DTLS_REC_OK)
			return DTLS_ROUTE_DROP_BAD_HELLO;
		e = find_app_id(r, id, id_len);
		if (e == NULL)
			return DTLS_ROUTE_DROP_UNKNOWN_APP_ID;
		if (!interval_passed(e->last_assoc_ms, DTLS_ROUTE_ASSOC_INTERVAL_MS, now) ||
		    !global_budget(r, now))
			return DTLS_ROUTE_DROP_RATE;
		e->last_assoc_ms = now;
		*out = e;
		return DTLS_ROUTE_ASSOC;
	}

	/* Protected records (epoch >= 1), or handshake records of a later
	 * epoch: only an established channel of this address can read them. */
	for (size_t i = 0; i < r->cap; i++) {
		struct dtls_route_entry *c = &r->e[i];

		if (c->owner == NULL || !c->established || !same_addr(&c->client, src))
			continue;
		if (e != NULL)
			return DTLS_ROUTE_DROP_AMBIGUOUS;
		e = c;
	}
	if (e == NULL)
		return DTLS_ROUTE_DROP_NO_PEER;
	if (!interval_passed(e->last_rebind_ms, DTLS_ROUTE_REBIND_INTERVAL_MS, now) ||
	    !global_budget(r, now))
		return DTLS_ROUTE_DROP_RATE;
	e->last_rebind_ms = now;
	*out = e;
	return DTLS_ROUTE_REBIND;
}

/* --- early hellos ---------------------------------------------------------- */

static bool early_expired(const struct dtls_early *e, vpn_ms_t now)
{
	return now < e->at_ms || vpn_ms_reached(vpn_ms_add(e->at_ms, DTLS_EARLY_MS), now);
}

int dtls_early_put(struct dtls_early_set *s, const uint8_t *buf, size_t n, const void *meta,
		   size_t meta_len, vpn_ms_t now)
{
	struct dtls_early *e = &s->e[0];
	uint8_t id[DTLS_APP_ID_MAX];
	size_t id_len;

	if (n > DTLS_EARLY_DATA_MAX || meta_len > DTLS_EARLY_META_MAX ||
	    (meta_len > 0 && meta == NULL) ||
	    dtls_client_hello_app_id(buf, n, id, &id_len) != DTLS_REC_OK)
		return -EINVAL;
	for (size_t i = 0; i < DTLS_EARLY_MAX; i++) {
		if (!s->e[i].used) {
			e = &s->e[i];
			break;
		}
		if (s->e[i].at_ms < e->at_ms)
			e = &s->e[i];
	}
	e->used = true;
	e->at_ms = now;
	memcpy(e->app_id, id, id_len);
	e->app_id_len = id_len;
	memcpy(e->data, buf, n);
	e->len = n;
	if (meta_len > 0)
		memcpy(e->meta, meta, meta_len);
	e->meta_len = meta_len;
	return 0;
}

const struct dtls_early *dtls_early_take(struct dtls_early_set *s, const uint8_t *id, size_t len,
					 vpn_ms_t now)
{
	struct dtls_early *best = NULL;

	for (size_t i = 0; i < DTLS_EARLY_MAX; i++) {
		struct dtls_early *e = &s->e[i];

		if (!e->used)
			continue;
		if (early_expired(e, now)) {
			e->used = false;
			continue;
		}
		if (e->app_id_len == len && memcmp(e->app_id, id, len) == 0 &&
		    (best == NULL || e->at_ms < best->at_ms))
			best = e;
	}
	if (best != NULL)
		best->used = false;
	return best;
}

enum dtls_route_verdict dtls_route_decide(struct dtls_route *r, const uint8_t *buf, size_t len,
					  const struct ban_addr *src, vpn_ms_t now, void **owner)
{
	struct dtls_route_entry *e = NULL;
	enum dtls_route_verdict v = decide(r, buf, len, src, now, &e);

	*owner = e != NULL ? e->owner : NULL;
	r->verdicts[v]++;
	return v;
}
