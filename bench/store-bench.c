/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/store-bench: what the session store (src/sec-mod/store.c) costs.
 *
 *   store-bench [-n SESSIONS] [-w WRITES] [DIR]
 *
 * In a fresh file under DIR (default $TMPDIR or /tmp):
 *  1. write cost: WRITES state changes (store_put of one record, as sec-mod
 *     does for a login, a CONNECT or a drop: one transaction each), then as
 *     many deletes (a session's end), each timed; prints the median, the 99th
 *     percentile and the mean;
 *  2. SESSIONS records written (as many logins), then what sec-mod does with
 *     them at start: store_open (migration check, PRAGMA quick_check),
 *     store_load with each record turned into an engine machine
 *     (store_to_machine) and put in a session table (sessions_restore), and
 *     the one statement that marks the restart in the file
 *     (store_mark_restart). The page cache is warm: it measures our work, not the disk.
 * Prints figures only; asserts nothing (bench/store runs it).
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sec-mod/store.h"
#include "sec-mod/session-table.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: what the figures cost us, whatever else the
 * machine runs (wall time on a busy machine includes waiting for a core). */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp_double);
	printf("%-34s n=%zu  median %.1f us  p99 %.1f us  mean %.1f us\n", what, n,
	       t[n / 2] * 1e6, t[(n * 99) / 100] * 1e6, sum / (double)n * 1e6);
}

static struct store_record record(uint64_t serial, char names[2][32])
{
	struct store_record r = {
		.serial = serial,
		.username = names[0],
		.group = "users",
		.remote_ip = "198.51.100.7",
		.last_remote_ip = "203.0.113.9",
		.ipv4 = (uint32_t)serial,
		.state = VPN_SESSION_ACTIVE,
		.drop_reason = VPN_END_NONE,
		.authenticated_ms = 1764700000000 + (int64_t)serial,
		.drop_ms = STORE_NO_TIME,
		.attaches = 1,
		.cfg = { .cookie_timeout_ms = 300000, .session_timeout_ms = 86400000 },
	};

	snprintf(names[0], 32, "user%llu", (unsigned long long)serial);
	snprintf(r.sid, sizeof(r.sid), "%032llx", (unsigned long long)serial);
	for (size_t i = 0; i < STORE_HASH_LEN; i++)
		r.cookie_hash[i] = (uint8_t)(serial >> (i % 8));
	return r;
}

static struct store *open_or_die(const char *path)
{
	struct store *st;
	char err[512];

	if (store_open(&st, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "store-bench: %s\n", err);
		exit(1);
	}
	return st;
}

static void bench_writes(const char *path, size_t writes)
{
	struct store *st = open_or_die(path);
	double *t = calloc(writes, sizeof(*t));
	char names[2][32];

	if (t == NULL)
		exit(1);
	for (size_t i = 0; i < writes; i++) {
		struct store_record r = record(i + 1, names);
		double t0 = now_s();

		r.state = (enum vpn_session_state)(i % 3);
		if (store_put(st, &r) != 0) {
			fprintf(stderr, "store-bench: put: %s\n", store_errmsg(st));
			exit(1);
		}
		t[i] = now_s() - t0;
	}
	report("state change (store_put)", t, writes);
	for (size_t i = 0; i < writes; i++) {
		double t0 = now_s();

		if (store_delete(st, i + 1) != 0)
			exit(1);
		t[i] = now_s() - t0;
	}
	report("session end (store_delete)", t, writes);
	store_close(st);
	free(t);
}

struct loaded {
	size_t n;
	struct store_clock now;
	struct secmod_session_table *table;
};

/* As sec-mod's restore: a record of the table from each stored one. */
static int load_cb(void *opaque, const struct store_record *r)
{
	struct loaded *l = opaque;
	struct secmod_session snap = { .serial = r->serial, .username = (char *)r->username,
				.group = (char *)r->group, .ipv4 = r->ipv4,
				.restarts = r->restarts + 1 };

	memcpy(snap.sid, r->sid, sizeof(snap.sid));
	memcpy(snap.cookie_hash, r->cookie_hash, sizeof(snap.cookie_hash));
	snprintf(snap.remote_ip, sizeof(snap.remote_ip), "%s", r->remote_ip);
	(void)store_to_machine(r, STORE_NO_TIME, l->now, &snap.m);
	if (session_table_restore(l->table, &snap) == NULL)
		exit(1);
	l->n++;
	return 0;
}

static void bench_startup(const char *path, size_t n)
{
	struct store *st = open_or_die(path);
	struct loaded l = { .now = { .wall_ms = 1764700100000, .mono_ms = 1000000 } };
	struct vpn_session_cfg none = { 0 };
	char names[2][32];
	double t0, t1, t2, t3, c0;
	size_t skipped;

	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		struct store_record r = record(i + 1, names);

		if (store_put(st, &r) != 0)
			exit(1);
	}
	t1 = now_s();
	printf("%-34s %zu records in %.2f s (%.1f us each)\n", "filling the store", n, t1 - t0,
	       (t1 - t0) / (double)n * 1e6);
	store_close(st);

	l.table = session_table_new(&none, NULL, NULL);
	if (l.table == NULL)
		exit(1);
	t0 = now_s();
	c0 = cpu_s();
	st = open_or_die(path);
	t1 = now_s();
	if (store_load(st, load_cb, &l, &skipped) != 0 || l.n != n)
		exit(1);
	t2 = now_s();
	if (store_mark_restart(st, STORE_NO_TIME, l.now.wall_ms) != 0)
		exit(1);
	t3 = now_s();
	store_close(st);
	printf("%-34s %.3f s (open + quick_check %.3f s, load + restore %.3f s, mark restart "
	       "%.3f s) for %zu sessions; CPU %.3f s\n", "start-up", t3 - t0, t1 - t0, t2 - t1,
	       t3 - t2, l.n, cpu_s() - c0);
	session_table_free(l.table);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	size_t n = 100000, writes = 5000;
	char dir[512], path[600];
	int opt;

	while ((opt = getopt(argc, argv, "n:w:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (opt == 'w')
			writes = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	snprintf(dir, sizeof(dir), "%s/store-bench-XXXXXX",
		 optind < argc ? argv[optind] : tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || n == 0 || writes == 0) {
		fprintf(stderr, "store-bench: %s\n", n && writes ? strerror(errno) : "usage");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/sessions.db", dir);
	printf("session store: %s (SQLite %s, WAL, synchronous=NORMAL)\n", path,
	       sqlite3_libversion());
	bench_writes(path, writes);
	unlink(path);
	bench_startup(path, n);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	return system(path) == 0 ? 0 : 1;
}
