/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for a session record read back from Redis
 * (src/sec-mod/cluster-rec.c: cluster_rec_decode), i.e. whatever anyone
 * with write access to the database put in a record's hash.
 *
 * The input is split at '\n' into the strings of an HGETALL reply (field,
 * value, field, value, ...; a string may hold NULs). The decoder either
 * refuses the record with a sentence, or hands out a record whose every
 * field is in range; that record encodes and decodes again to the same
 * record. Never crashes, leaks or reads out of bounds (ASan/UBSan).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cluster-rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STRINGS 128

static void check_same(const struct cluster_rec *a, const struct cluster_rec *b)
{
	if (strcmp(a->gw, b->gw) != 0 || a->seen_ms != b->seen_ms || a->r.serial != b->r.serial ||
	    strcmp(a->r.sid, b->r.sid) != 0 ||
	    memcmp(a->r.cookie_hash, b->r.cookie_hash, STORE_HASH_LEN) != 0 ||
	    strcmp(a->username, b->username) != 0 || strcmp(a->group, b->group) != 0 ||
	    strcmp(a->remote_ip, b->remote_ip) != 0 ||
	    strcmp(a->last_remote_ip, b->last_remote_ip) != 0 || a->r.ipv4 != b->r.ipv4 ||
	    a->r.state != b->r.state || a->r.drop_reason != b->r.drop_reason ||
	    a->r.authenticated_ms != b->r.authenticated_ms || a->r.drop_ms != b->r.drop_ms ||
	    a->r.resumes != b->r.resumes || a->r.attaches != b->r.attaches ||
	    a->r.restarts != b->r.restarts ||
	    a->r.cfg.cookie_timeout_ms != b->r.cfg.cookie_timeout_ms ||
	    a->r.cfg.session_timeout_ms != b->r.cfg.session_timeout_ms ||
	    a->r.cfg.persistent_cookies != b->r.cfg.persistent_cookies ||
	    memcmp(&a->r.totals, &b->r.totals, sizeof(a->r.totals)) != 0)
		abort();
}

static void check_valid(const struct cluster_rec *o)
{
	if (o->r.serial == 0 || o->r.serial > INT64_MAX || strlen(o->r.sid) != STORE_SID_LEN ||
	    !cluster_gw_valid(o->gw) || o->r.state > VPN_SESSION_WAITING ||
	    o->r.drop_reason >= VPN_END_REASON_COUNT || o->r.authenticated_ms == STORE_NO_TIME ||
	    strlen(o->username) > STORE_TEXT_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *kv[MAX_STRINGS];
	size_t lens[MAX_STRINGS], n = 0, start = 0;
	struct cluster_rec *o = malloc(sizeof(*o)), *o2 = malloc(sizeof(*o2));
	struct cluster_rec_enc e;
	char *copy = malloc(size + 1), err[256];

	if (o == NULL || o2 == NULL || copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i <= size && n < MAX_STRINGS; i++) {
		if (i < size && copy[i] != '\n')
			continue;
		copy[i] = '\0';
		kv[n] = copy + start;
		lens[n++] = i - start;
		start = i + 1;
	}
	if (cluster_rec_decode(kv, lens, n, o, err, sizeof(err)) == 0) {
		size_t l2[2 * CLUSTER_REC_FIELDS];

		check_valid(o);
		cluster_rec_encode(&o->r, o->gw, o->seen_ms, &e);
		for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS; i++)
			l2[i] = strlen(e.argv[i]);
		if (cluster_rec_decode(e.argv, l2, 2 * CLUSTER_REC_FIELDS, o2, err, sizeof(err)) != 0)
			abort();
		check_same(o, o2);
	} else if (err[0] == '\0') {
		abort();
	}
	free(copy);
	free(o);
	free(o2);
	return 0;
}
