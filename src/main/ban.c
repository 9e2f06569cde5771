/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/ban.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ban_entry {
	struct ban_entry *next;  /* hash chain */
	struct ban_addr addr;
	uint32_t score;          /* points in the current window */
	vpn_ms_t window_end_ms;  /* the score is forgotten at this time */
	vpn_ms_t banned_until_ms; /* banned while now < this; 0: never banned */
};

struct ban_table {
	struct ban_cfg cfg;
	struct ban_entry **buckets;
	size_t n_buckets; /* power of two */
	size_t n_entries;
	uint64_t bans;    /* addresses banned so far */
};

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void addr_from_v6(const struct in6_addr *in6, struct ban_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (memcmp(in6->s6_addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		out->family = AF_INET;
		memcpy(out->bytes, in6->s6_addr + 12, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->bytes, in6->s6_addr, 16);
	}
}

int ban_addr_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct ban_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		addr_from_v6(&((const struct sockaddr_in6 *)sa)->sin6_addr, out);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int ban_addr_parse(const char *text, struct ban_addr *out)
{
	struct in6_addr in6;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6) == 1) {
		addr_from_v6(&in6, out);
		return 0;
	}
	return -EINVAL;
}

const char *ban_addr_str(const struct ban_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (inet_ntop(a->family, a->bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

static size_t addr_hash(const struct ban_addr *a)
{
	uint64_t h = 1469598103934665603ull;
	size_t n = a->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++) {
		h ^= a->bytes[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

bool ban_addr_equal(const struct ban_addr *a, const struct ban_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

struct ban_table *ban_new(const struct ban_cfg *cfg)
{
	struct ban_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->n_buckets = 64;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	t->cfg = *cfg;
	return t;
}

static void free_all(struct ban_table *t)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct ban_entry *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		t->buckets[i] = NULL;
	}
	t->n_entries = 0;
}

void ban_free(struct ban_table *t)
{
	if (t == NULL)
		return;
	free_all(t);
	free(t->buckets);
	free(t);
}

void ban_set_cfg(struct ban_table *t, const struct ban_cfg *cfg)
{
	t->cfg = *cfg;
	if (cfg->max_score == 0)
		free_all(t);
}

static struct ban_entry *lookup(const struct ban_table *t, const struct ban_addr *a)
{
	struct ban_entry *e = t->buckets[addr_hash(a) & (t->n_buckets - 1)];

	for (; e != NULL; e = e->next)
		if (ban_addr_equal(&e->addr, a))
			return e;
	return NULL;
}

/* Double the bucket array once chains average more than two entries; a
 * failed allocation just keeps the longer chains. */
static void maybe_grow(struct ban_table *t)
{
	struct ban_entry **nb;
	size_t nn;

	if (t->n_entries <= 2 * t->n_buckets)
		return;
	nn = 2 * t->n_buckets;
	nb = calloc(nn, sizeof(*nb));
	if (nb == NULL)
		return;
	for (size_t i = 0; i < t->n_buckets; i++) {
		struct ban_entry *e = t->buckets[i], *next;

		for (; e != NULL; e = next) {
			size_t h = addr_hash(&e->addr) & (nn - 1);

			next = e->next;
			e->next = nb[h];
			nb[h] = e;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->n_buckets = nn;
}

static bool banned(const struct ban_entry *e, vpn_ms_t now)
{
	return e->banned_until_ms > now;
}

bool ban_add_points(struct ban_table *t, const struct ban_addr *a, uint32_t points, vpn_ms_t now)
{
	struct ban_entry *e;

	if (t->cfg.max_score == 0 || points == 0)
		return false;
	e = lookup(t, a);
	if (e == NULL) {
		size_t h;

		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return false;
		e->addr = *a;
		h = addr_hash(a) & (t->n_buckets - 1);
		e->next = t->buckets[h];
		t->buckets[h] = e;
		t->n_entries++;
		maybe_grow(t);
	} else if (banned(e, now)) {
		return false;
	}
	if (now >= e->window_end_ms) {
		e->score = 0;
		e->window_end_ms = vpn_ms_add(now, t->cfg.reset_ms);
	}
	e->score = points > UINT32_MAX - e->score ? UINT32_MAX : e->score + points;
	if (e->score < t->cfg.max_score)
		return false;
	e->score = 0;
	e->banned_until_ms = vpn_ms_add(now, t->cfg.ban_ms);
	e->window_end_ms = e->banned_until_ms;
	if (t->cfg.ban_ms == 0)
		return false;
	t->bans++;
	return true;
}

uint64_t ban_total(const struct ban_table *t)
{
	return t->bans;
}

bool ban_is_banned(const struct ban_table *t, const struct ban_addr *a, vpn_ms_t now)
{
	const struct ban_entry *e;

	if (t->cfg.max_score == 0)
		return false;
	e = lookup(t, a);
	return e != NULL && banned(e, now);
}

uint32_t ban_score(const struct ban_table *t, const struct ban_addr *a, vpn_ms_t now)
{
	const struct ban_entry *e = lookup(t, a);

	if (e == NULL || now >= e->window_end_ms)
		return 0;
	return e->score;
}

bool ban_forget(struct ban_table *t, const struct ban_addr *a)
{
	struct ban_entry **pp = &t->buckets[addr_hash(a) & (t->n_buckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		if (ban_addr_equal(&(*pp)->addr, a)) {
			struct ban_entry *e = *pp;

			*pp = e->next;
			free(e);
			t->n_entries--;
			return true;
		}
	}
	return false;
}

size_t ban_expire(struct ban_table *t, vpn_ms_t now)
{
	size_t freed = 0;

	for (size_t i = 0; i < t->n_buckets; i++) {
		struct ban_entry **pp = &t->buckets[i];

		while (*pp != NULL) {
			struct ban_entry *e = *pp;

			if (!banned(e, now) && now >= e->window_end_ms) {
				*pp = e->next;
				free(e);
				t->n_entries--;
				freed++;
			} else {
				pp = &e->next;
			}
		}
	}
	return freed;
}

size_t ban_entries(const struct ban_table *t)
{
	return t->n_entries;
}

size_t ban_banned_count(const struct ban_table *t, vpn_ms_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_buckets; i++)
		for (const struct ban_entry *e = t->buckets[i]; e != NULL; e = e->next)
			n += banned(e, now);
	return n;
}

void ban_foreach(const struct ban_table *t, vpn_ms_t now, ban_visit_fn *fn, void *opaque)
{
	for (size_t i = 0; i < t->n_buckets; i++)
		for (const struct ban_entry *e = t->buckets[i]; e != NULL; e = e->next)
			fn(opaque, &e->addr, now >= e->window_end_ms ? 0 : e->score,
			   banned(e, now) ? e->banned_until_ms : 0);
}
