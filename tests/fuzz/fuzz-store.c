/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the session store (src/sec-mod/store.c).
 *
 * The first byte picks what the rest of the input is:
 *  - even: a database file. store_open() on it either fails with a clear
 *    error naming the file (newer schema, corrupt, I/O) or opens it; then
 *    every record store_load() hands out is valid (state, reason, id, hash,
 *    texts in range), turns into an engine machine at a fixed clock whose
 *    state is never ended or active, and can be written back (or fails to,
 *    cleanly, on a damaged file);
 *  - odd: a record blob. Its bytes fill a record's fields (numbers, times,
 *    texts); store_put() + store_load() give back the very same record or
 *    skip it as invalid, never anything else.
 * Never crashes, leaks or reads out of bounds (ASan/UBSan).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sec-mod/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_files(void)
{
	char p[96];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static const struct store_clock CLOCK = { .wall_ms = 1764700000000, .mono_ms = 1000000 };

static int check_record(void *opaque, const struct store_record *r)
{
	struct vpn_session m;

	if (r->serial == 0 || strlen(r->sid) != STORE_SID_LEN || r->username == NULL ||
	    r->group == NULL || r->remote_ip == NULL || r->last_remote_ip == NULL ||
	    strlen(r->username) > STORE_TEXT_MAX || r->drop_reason >= VPN_END_REASON_COUNT ||
	    (r->state != VPN_SESSION_AUTHENTICATED && r->state != VPN_SESSION_ACTIVE &&
	     r->state != VPN_SESSION_WAITING))
		abort();
	(void)store_to_machine(r, r->drop_ms, CLOCK, &m);
	if (m.state == VPN_SESSION_ENDED || m.state == VPN_SESSION_ACTIVE)
		abort();
	(void)vpn_session_handle_expiry(&m, CLOCK.mono_ms);
	if (opaque != NULL)
		(void)store_put(opaque, r); /* may fail on a damaged file, cleanly */
	return 0;
}

static int count_cb(void *opaque, const struct store_record *r)
{
	++*(size_t *)opaque;
	return check_record(NULL, r);
}

/* The record read back is the one written, field for field. */
static int same_cb(void *opaque, const struct store_record *r)
{
	const struct store_record *w = opaque;

	if (check_record(NULL, r) != 0 || r->serial != w->serial || strcmp(r->sid, w->sid) ||
	    memcmp(r->cookie_hash, w->cookie_hash, STORE_HASH_LEN) ||
	    strcmp(r->username, w->username) || strcmp(r->group, w->group) ||
	    strcmp(r->remote_ip, w->remote_ip) || strcmp(r->last_remote_ip, w->last_remote_ip) ||
	    r->ipv4 != w->ipv4 || memcmp(r->ipv6, w->ipv6, STORE_IPV6_LEN) || r->state != w->state || r->drop_reason != w->drop_reason ||
	    r->authenticated_ms != w->authenticated_ms || r->drop_ms != w->drop_ms ||
	    r->resumes != w->resumes || r->attaches != w->attaches ||
	    r->restarts != w->restarts || r->cfg.cookie_timeout_ms != w->cfg.cookie_timeout_ms ||
	    r->cfg.session_timeout_ms != w->cfg.session_timeout_ms ||
	    r->cfg.persistent_cookies != w->cfg.persistent_cookies)
		abort();
	return 1;
}

static void fuzz_file(const uint8_t *data, size_t size)
{
	struct store *st;
	char err[512];
	size_t skipped, n = 0;
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	rc = store_open(&st, path, err, sizeof(err));
	if (rc != 0) {
		if (st != NULL || strstr(err, path) == NULL)
			abort();
		return;
	}
	if (store_load(st, check_record, st, &skipped) == 0 &&
	    store_load(st, count_cb, &n, &skipped) != 0)
		abort();
	(void)store_alive(st);
	store_close(st);
}

/* Take len bytes from the input (zeros past its end). */
static void take(const uint8_t **p, const uint8_t *end, void *out, size_t len)
{
	size_t have = (size_t)(end - *p) < len ? (size_t)(end - *p) : len;

	memset(out, 0, len);
	memcpy(out, *p, have);
	*p += have;
}

static void fuzz_record(const uint8_t *p, const uint8_t *end)
{
	struct store_record r = { 0 };
	char text[4][24];
	struct store *st;
	char err[512];
	size_t skipped, n = 0;
	uint32_t st32, rs32;
	uint8_t pc;

	take(&p, end, &r.serial, sizeof(r.serial));
	take(&p, end, r.sid, STORE_SID_LEN);
	take(&p, end, r.cookie_hash, STORE_HASH_LEN);
	for (int i = 0; i < 4; i++) {
		take(&p, end, text[i], sizeof(text[i]) - 1);
		text[i][sizeof(text[i]) - 1] = '\0';
	}
	r.username = text[0];
	r.group = text[1];
	r.remote_ip = text[2];
	r.last_remote_ip = text[3];
	take(&p, end, &r.ipv4, sizeof(r.ipv4));
	take(&p, end, r.ipv6, sizeof(r.ipv6));
	take(&p, end, &st32, sizeof(st32));
	take(&p, end, &rs32, sizeof(rs32));
	r.state = (enum vpn_session_state)(st32 % 5);
	r.drop_reason = (enum vpn_end_reason)(rs32 % (VPN_END_REASON_COUNT + 2));
	take(&p, end, &r.authenticated_ms, sizeof(r.authenticated_ms));
	take(&p, end, &r.drop_ms, sizeof(r.drop_ms));
	take(&p, end, &r.resumes, sizeof(r.resumes));
	take(&p, end, &r.attaches, sizeof(r.attaches));
	take(&p, end, &r.restarts, sizeof(r.restarts));
	take(&p, end, &r.cfg.cookie_timeout_ms, sizeof(r.cfg.cookie_timeout_ms));
	take(&p, end, &r.cfg.session_timeout_ms, sizeof(r.cfg.session_timeout_ms));
	take(&p, end, &pc, 1);
	r.cfg.persistent_cookies = pc & 1;
	take(&p, end, &r.totals, sizeof(r.totals));
	r.sid[STORE_SID_LEN] = '\0';

	remove_files();
	if (store_open(&st, path, err, sizeof(err)) != 0)
		abort();
	if (store_put(st, &r) != 0) {
		/* only what SQLite's signed integers cannot hold is refused */
		if (r.serial != 0 && r.serial <= INT64_MAX && r.cfg.cookie_timeout_ms <= INT64_MAX &&
		    r.cfg.session_timeout_ms <= INT64_MAX)
			abort();
		store_close(st);
		return;
	}
	if (store_load(st, count_cb, &n, &skipped) != 0 || n + skipped != 1)
		abort();
	/* counters above INT64_MAX are capped: compare the rest */
	if (n == 1 && store_load(st, same_cb, &r, &skipped) != 1)
		abort();
	store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (path[0] == '\0') /* a tmpfs when there is one: many more runs per second */
		snprintf(path, sizeof(path), "%s/fuzz-store-%ld.db",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	remove_files();
	if (size > 0 && (data[0] & 1) == 0)
		fuzz_file(data + 1, size - 1);
	else if (size > 0)
		fuzz_record(data + 1, data + size);
	remove_files();
	return 0;
}
