/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "sec-mod/session-table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A doubly linked list, oldest first, for iteration, and two chained hash
 * indexes for lookups: by session id and by serial. Linear lookups made a
 * login cost O(sessions) in sec-mod and each update of main's mirror too:
 * with 100,000 sessions logins fell from 250/s to 22/s (bench/README.md,
 * bench/waiting). The session id index hashes only the id's first
 * SESSION_ID_SHORT_LEN characters, so that every id a prefix of that length
 * or longer can name (occtl's short ids) is in one chain. Lookups compare
 * the non-secret session id (SHA-256 of the cookie) first, so no timing of
 * a walk depends on the cookie's bytes. The indexes double when the
 * records outnumber their buckets; if that allocation fails, the chains
 * just get longer.
 *
 * A binary min-heap orders every record by its next deadline or reap time
 * (record_expiry), so that sec-mod finds its next wake-up in O(1) and ends
 * what is due in O(log n) each: with 100,000 sessions a walk of all of them
 * on every loop iteration was most of sec-mod's time. Each function below
 * that changes a record's machine or worker re-keys it (rekey).
 */
struct secmod_session_table {
	struct vpn_session_cfg cfg;
	session_table_end_fn *on_end;
	session_table_free_fn *on_free;
	void *opaque;
	struct secmod_session *head, *tail;
	size_t count;
	uint64_t next_serial;
	struct secmod_session **by_sid, **by_serial;
	size_t nbuckets;		/* of each index: a power of two */
	struct secmod_session **heap;	/* heap[0]: the earliest heap_key */
	size_t heap_cap;		/* its slots; t->count are used */
};

#define INDEX_MIN_BUCKETS 64u

static size_t sid_hash(const char *sid)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < SESSION_ID_SHORT_LEN && sid[i] != '\0'; i++)
		h = (h ^ (uint8_t)sid[i]) * 16777619u;
	return h;
}

static size_t serial_hash(uint64_t serial)
{
	return (size_t)((serial * 0x9e3779b97f4a7c15ull) >> 32);
}

static void index_insert(struct secmod_session_table *t, struct secmod_session *s)
{
	size_t i = sid_hash(s->sid) & (t->nbuckets - 1);
	size_t j = serial_hash(s->serial) & (t->nbuckets - 1);

	s->hnext_sid = t->by_sid[i];
	t->by_sid[i] = s;
	s->hnext_serial = t->by_serial[j];
	t->by_serial[j] = s;
}

static void index_remove(struct secmod_session_table *t, struct secmod_session *s)
{
	struct secmod_session **pp;

	for (pp = &t->by_sid[sid_hash(s->sid) & (t->nbuckets - 1)]; *pp != NULL; pp = &(*pp)->hnext_sid)
		if (*pp == s) {
			*pp = s->hnext_sid;
			break;
		}
	for (pp = &t->by_serial[serial_hash(s->serial) & (t->nbuckets - 1)]; *pp != NULL;
	     pp = &(*pp)->hnext_serial)
		if (*pp == s) {
			*pp = s->hnext_serial;
			break;
		}
}

/* Indexes of n buckets holding every record of the list; -ENOMEM leaves
 * the old ones. */
static int index_build(struct secmod_session_table *t, size_t n)
{
	struct secmod_session **a = calloc(n, sizeof(*a)), **b = calloc(n, sizeof(*b));

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	free(t->by_sid);
	free(t->by_serial);
	t->by_sid = a;
	t->by_serial = b;
	t->nbuckets = n;
	for (struct secmod_session *s = t->head; s != NULL; s = s->next)
		index_insert(t, s);
	return 0;
}

/* --- the deadline heap -------------------------------------------------------- */

static vpn_ms_t record_expiry(const struct secmod_session *s)
{
	if (s->m.state == VPN_SESSION_ENDED)
		return s->worker_pid ? VPN_NEVER : vpn_ms_add(s->m.ended_ms, SESSIONS_ENDED_KEEP_MS);
	return vpn_session_expiry(&s->m);
}

static void heap_place(struct secmod_session_table *t, struct secmod_session *s, size_t i)
{
	t->heap[i] = s;
	s->heap_idx = i;
}

static void heap_up(struct secmod_session_table *t, size_t i)
{
	struct secmod_session *s = t->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (t->heap[parent]->heap_key <= s->heap_key)
			break;
		heap_place(t, t->heap[parent], i);
		i = parent;
	}
	heap_place(t, s, i);
}

static void heap_down(struct secmod_session_table *t, size_t i)
{
	struct secmod_session *s = t->heap[i];
	size_t n = t->count;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && t->heap[c + 1]->heap_key < t->heap[c]->heap_key)
			c++;
		if (s->heap_key <= t->heap[c]->heap_key)
			break;
		heap_place(t, t->heap[c], i);
		i = c;
	}
	heap_place(t, s, i);
}

/* s's time may have moved: its place in the heap follows. */
static void rekey(struct secmod_session_table *t, struct secmod_session *s)
{
	vpn_ms_t old = s->heap_key;

	s->heap_key = record_expiry(s);
	if (s->heap_key < old)
		heap_up(t, s->heap_idx);
	else if (s->heap_key > old)
		heap_down(t, s->heap_idx);
}

/* Room for one more record: -ENOMEM if it cannot be had. */
static int heap_reserve(struct secmod_session_table *t)
{
	struct secmod_session **h;
	size_t cap;

	if (t->count < t->heap_cap)
		return 0;
	cap = t->heap_cap ? 2 * t->heap_cap : INDEX_MIN_BUCKETS;
	h = realloc(t->heap, cap * sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	t->heap = h;
	t->heap_cap = cap;
	return 0;
}

/* s, already counted in t->count, joins the heap's last slot. */
static void heap_insert(struct secmod_session_table *t, struct secmod_session *s)
{
	s->heap_key = record_expiry(s);
	heap_place(t, s, t->count - 1);
	heap_up(t, t->count - 1);
}

/* s leaves the heap; t->count still counts it. */
static void heap_remove(struct secmod_session_table *t, struct secmod_session *s)
{
	size_t i = s->heap_idx, last = t->count - 1;
	struct secmod_session *moved = t->heap[last];

	if (i == last)
		return;
	heap_place(t, moved, i);
	if (i > 0 && moved->heap_key < t->heap[(i - 1) / 2]->heap_key)
		heap_up(t, i);
	else
		heap_down(t, i);
}

int session_table_check(const struct secmod_session_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		const struct secmod_session *s = t->heap[i];

		if (s->heap_idx != i || s->heap_key != record_expiry(s))
			return -1;
		if (i > 0 && t->heap[(i - 1) / 2]->heap_key > s->heap_key)
			return -1;
	}
	return 0;
}

struct secmod_session_table *session_table_new(const struct vpn_session_cfg *cfg, session_table_end_fn *on_end,
			      void *opaque)
{
	struct secmod_session_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	t->on_end = on_end;
	t->opaque = opaque;
	t->next_serial = 1;
	if (index_build(t, INDEX_MIN_BUCKETS) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void free_record(struct secmod_session *s)
{
	/* the cookie is a credential: do not leave it in freed memory */
	memset(s->cookie, 0, sizeof(s->cookie));
	free(s->attrs);
	free(s->username);
	free(s->group);
	free(s);
}

void session_table_free(struct secmod_session_table *t)
{
	struct secmod_session *s, *next;

	if (t == NULL)
		return;
	for (s = t->head; s != NULL; s = next) {
		next = s->next;
		free_record(s);
	}
	free(t->heap);
	free(t->by_sid);
	free(t->by_serial);
	free(t);
}

void session_table_set_free_hook(struct secmod_session_table *t, session_table_free_fn *on_free)
{
	t->on_free = on_free;
}

void session_table_set_cfg(struct secmod_session_table *t, const struct vpn_session_cfg *cfg)
{
	t->cfg = *cfg;
}

/* Append s, the newest record, at the tail (iteration is oldest first),
 * index it (its sid and serial are set and never change) and place it in
 * the deadline heap (its machine is set). -ENOMEM: not linked. */
static int link_record(struct secmod_session_table *t, struct secmod_session *s)
{
	if (heap_reserve(t) < 0)
		return -ENOMEM;
	s->next = NULL;
	s->prev = t->tail;
	if (t->tail)
		t->tail->next = s;
	else
		t->head = s;
	t->tail = s;
	t->count++;
	/* a rebuild indexes s with the rest */
	if (t->count <= t->nbuckets || index_build(t, 2 * t->nbuckets) < 0)
		index_insert(t, s);
	heap_insert(t, s);
	return 0;
}

static void unlink_record(struct secmod_session_table *t, struct secmod_session *s)
{
	heap_remove(t, s);
	index_remove(t, s);
	if (s->prev)
		s->prev->next = s->next;
	else
		t->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		t->tail = s->prev;
	t->count--;
}

struct secmod_session *session_table_create(struct secmod_session_table *t, const char *username, const char *group,
				const char *remote_ip, vpn_ms_t now)
{
	struct secmod_session *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	s->username = strdup(username);
	s->group = strdup(group ? group : "");
	if (s->username == NULL || s->group == NULL) {
		free_record(s);
		errno = ENOMEM;
		return NULL;
	}
	/* A fresh cookie colliding with a live one is a 2^-256 event, but a
	 * duplicate would hand one user another's session: check anyway. */
	do {
		if (cookie_mint(s->cookie) < 0 || cookie_hash(s->cookie, s->cookie_hash) < 0) {
			free_record(s);
			errno = EIO;
			return NULL;
		}
		cookie_hash_session_id(s->cookie_hash, s->sid);
	} while (session_table_find_sid(t, s->sid) != NULL);
	snprintf(s->remote_ip, sizeof(s->remote_ip), "%s", remote_ip ? remote_ip : "");
	s->serial = t->next_serial++;
	vpn_session_init(&s->m, &t->cfg, now);
	if (link_record(t, s) < 0) {
		free_record(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

struct secmod_session *session_table_find_cookie(const struct secmod_session_table *t, const char *cookie)
{
	uint8_t hash[COOKIE_HASH_LEN];
	char sid[SESSION_ID_LEN + 1];
	struct secmod_session *s;

	if (!cookie_is_wellformed(cookie) || cookie_hash(cookie, hash) < 0)
		return NULL;
	cookie_hash_session_id(hash, sid);
	for (s = t->by_sid[sid_hash(sid) & (t->nbuckets - 1)]; s != NULL; s = s->hnext_sid)
		if (strcmp(s->sid, sid) == 0)
			return cookie_hash_equal(s->cookie_hash, hash) ? s : NULL;
	return NULL;
}

struct secmod_session *session_table_find_sid(const struct secmod_session_table *t, const char *prefix)
{
	struct secmod_session *s, *found = NULL;
	size_t len = strlen(prefix);

	if (len < SESSION_ID_SHORT_LEN || len > SESSION_ID_LEN)
		return NULL;
	/* every id with this prefix is in the prefix's chain (sid_hash) */
	for (s = t->by_sid[sid_hash(prefix) & (t->nbuckets - 1)]; s != NULL; s = s->hnext_sid) {
		if (strncmp(s->sid, prefix, len) != 0)
			continue;
		if (found != NULL)
			return NULL; /* ambiguous */
		found = s;
	}
	return found;
}

struct secmod_session *session_table_find_serial(const struct secmod_session_table *t, uint64_t serial)
{
	for (struct secmod_session *s = t->by_serial[serial_hash(serial) & (t->nbuckets - 1)]; s != NULL;
	     s = s->hnext_serial)
		if (s->serial == serial)
			return s;
	return NULL;
}

/* Run the hook if s went from not-ended to ended. */
static void notice_end(struct secmod_session_table *t, struct secmod_session *s, enum vpn_session_state before)
{
	if (before != VPN_SESSION_ENDED && s->m.state == VPN_SESSION_ENDED && t->on_end)
		t->on_end(t->opaque, s);
}

enum vpn_connect_result session_table_connect(struct secmod_session_table *t, struct secmod_session *s, vpn_ms_t now)
{
	enum vpn_session_state before = s->m.state;
	enum vpn_connect_result r = vpn_session_on_connect(&s->m, now);

	rekey(t, s);
	notice_end(t, s, before);
	if (r != VPN_CONNECT_REFUSED)
		s->cur = (struct session_table_counters){ 0 };
	return r;
}

enum vpn_session_state session_table_tunnel_end(struct secmod_session_table *t, struct secmod_session *s,
					   enum vpn_end_reason r, vpn_ms_t now)
{
	enum vpn_session_state before = s->m.state;
	enum vpn_session_state after = vpn_session_on_tunnel_end(&s->m, r, now);

	rekey(t, s);
	notice_end(t, s, before);
	return after;
}

enum vpn_session_state session_table_terminate(struct secmod_session_table *t, struct secmod_session *s,
					  enum vpn_end_reason r, vpn_ms_t now)
{
	enum vpn_session_state before;

	switch (r) {
	case VPN_END_SERVER_SHUTDOWN:
		before = vpn_session_on_shutdown(&s->m, now);
		break;
	case VPN_END_SUPERSEDED:
		before = vpn_session_on_superseded(&s->m, now);
		break;
	default:
		before = vpn_session_on_admin_terminate(&s->m, now);
		break;
	}
	rekey(t, s);
	notice_end(t, s, before);
	return before;
}

vpn_ms_t session_table_expiry(const struct secmod_session_table *t)
{
	return t->count > 0 ? t->heap[0]->heap_key : VPN_NEVER;
}

/* Earliest first. A record whose time is reached either is reaped (ended,
 * no worker) or has its machine handle it; either way it leaves the top
 * (freed, or re-keyed to a later time: a machine's expiry that does
 * nothing at its own time would be a bug in it, so at most one pass per
 * record is made, counted by n). The hooks do not change the table. */
size_t session_table_handle_expiry(struct secmod_session_table *t, vpn_ms_t now)
{
	size_t ended = 0;

	for (size_t n = t->count; n > 0 && t->count > 0; n--) {
		struct secmod_session *s = t->heap[0];

		if (!vpn_ms_reached(s->heap_key, now))
			break;
		if (s->m.state == VPN_SESSION_ENDED) {
			if (t->on_free)
				t->on_free(t->opaque, s);
			unlink_record(t, s);
			free_record(s);
			continue;
		}
		if (vpn_session_handle_expiry(&s->m, now) & VPN_SESSION_ACT_END) {
			ended++;
			if (t->on_end)
				t->on_end(t->opaque, s);
		}
		rekey(t, s);
	}
	return ended;
}

void session_table_set_worker(struct secmod_session_table *t, struct secmod_session *s, pid_t pid)
{
	s->worker_pid = pid;
	rekey(t, s);
}

void session_table_set_timeouts(struct secmod_session_table *t, struct secmod_session *s,
				vpn_ms_t cookie_timeout_ms, vpn_ms_t session_timeout_ms)
{
	s->m.cfg.cookie_timeout_ms = cookie_timeout_ms;
	s->m.cfg.session_timeout_ms = session_timeout_ms;
	rekey(t, s);
}

void session_table_tunnel_counters(struct secmod_session *s, const struct session_table_counters *c)
{
	s->cur = *c;
}

void session_table_tunnel_counters_final(struct secmod_session *s, const struct session_table_counters *c,
				    bool was_current)
{
	s->done.bytes_in += c->bytes_in;
	s->done.bytes_out += c->bytes_out;
	s->done.packets_in += c->packets_in;
	s->done.packets_out += c->packets_out;
	if (was_current)
		s->cur = (struct session_table_counters){ 0 };
}

struct session_table_counters session_table_totals(const struct secmod_session *s)
{
	return (struct session_table_counters){
		.bytes_in = s->done.bytes_in + s->cur.bytes_in,
		.bytes_out = s->done.bytes_out + s->cur.bytes_out,
		.packets_in = s->done.packets_in + s->cur.packets_in,
		.packets_out = s->done.packets_out + s->cur.packets_out,
	};
}

/* Make s look like snap: identity, state, counters, lease (the cookie and
 * its hash are not copied). 0, or -ENOMEM (s unchanged). */
int session_table_set_attrs(struct secmod_session *s, const struct session_attrs *a)
{
	if (a == NULL) {
		free(s->attrs);
		s->attrs = NULL;
		return 0;
	}
	if (s->attrs == NULL && (s->attrs = malloc(sizeof(*s->attrs))) == NULL)
		return -ENOMEM;
	if (s->attrs != a)
		*s->attrs = *a;
	return 0;
}

static int record_fill(struct secmod_session *s, const struct secmod_session *snap)
{
	char *u = strdup(snap->username ? snap->username : "");
	char *g = strdup(snap->group ? snap->group : "");

	if (u == NULL || g == NULL || session_table_set_attrs(s, snap->attrs) < 0) {
		free(u);
		free(g);
		return -ENOMEM;
	}
	free(s->username);
	free(s->group);
	s->username = u;
	s->group = g;
	s->serial = snap->serial;
	memcpy(s->sid, snap->sid, sizeof(s->sid));
	s->sid[SESSION_ID_LEN] = '\0';
	memcpy(s->remote_ip, snap->remote_ip, sizeof(s->remote_ip));
	s->remote_ip[sizeof(s->remote_ip) - 1] = '\0';
	memcpy(s->last_remote_ip, snap->last_remote_ip, sizeof(s->last_remote_ip));
	s->last_remote_ip[sizeof(s->last_remote_ip) - 1] = '\0';
	s->m = snap->m;
	s->worker_pid = snap->worker_pid;
	s->ended_locally = false;
	s->done = snap->done;
	s->cur = snap->cur;
	s->ipv4 = snap->ipv4;
	s->ipv6 = snap->ipv6;
	s->restarts = snap->restarts;
	return 0;
}

/* A new record filled from snap, linked as the newest. */
static struct secmod_session *record_add(struct secmod_session_table *t, const struct secmod_session *snap)
{
	struct secmod_session *s = calloc(1, sizeof(*s));

	if (s == NULL || record_fill(s, snap) < 0 || link_record(t, s) < 0) {
		if (s != NULL)
			free_record(s);
		errno = ENOMEM;
		return NULL;
	}
	if (snap->serial >= t->next_serial)
		t->next_serial = snap->serial + 1;
	return s;
}

/* A mirror record: no cookie, identity and state from the snapshot. */
struct secmod_session *session_table_mirror_update(struct secmod_session_table *t, const struct secmod_session *snap)
{
	struct secmod_session *s;

	if (snap->serial == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = session_table_find_serial(t, snap->serial);
	if (s == NULL)
		return record_add(t, snap);
	if (strcmp(s->sid, snap->sid) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if (record_fill(s, snap) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	rekey(t, s);
	return s;
}

struct secmod_session *session_table_restore(struct secmod_session_table *t, const struct secmod_session *snap)
{
	struct secmod_session *s;

	if (snap->serial == 0) {
		errno = EINVAL;
		return NULL;
	}
	s = record_add(t, snap);
	if (s != NULL)
		memcpy(s->cookie_hash, snap->cookie_hash, sizeof(s->cookie_hash));
	return s;
}

void session_table_forget(struct secmod_session_table *t, struct secmod_session *s)
{
	unlink_record(t, s);
	free_record(s);
}

size_t session_table_count(const struct secmod_session_table *t)
{
	return t->count;
}

size_t session_table_count_state(const struct secmod_session_table *t, enum vpn_session_state st)
{
	size_t n = 0;

	for (const struct secmod_session *s = t->head; s != NULL; s = s->next)
		n += s->m.state == st;
	return n;
}

struct secmod_session *session_table_first(const struct secmod_session_table *t)
{
	return t->head;
}

uint64_t session_table_next_serial(const struct secmod_session_table *t)
{
	return t->next_serial;
}
