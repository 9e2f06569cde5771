/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The cluster's session store in the sec-mod process (session-store =
 * redis://... or redis+unix://..., doc/session-store.md): the backend of
 * struct secmod_cluster_ops on hiredis's asynchronous API, on sec-mod's
 * libev loop. Nothing here waits: a command is queued and its answer comes
 * back through a callback into the core.
 *
 * Two connections: one for commands, one subscribed to this gateway's
 * channel, where other gateways say they took over one of its sessions.
 * Each (re)connect authenticates (session-store-auth-file), selects the
 * database and loads the four Lua scripts; the store is ready once all of
 * that is answered on both, and then every session this gateway holds is
 * written again (a store that restarted empty gets them back) and the
 * deletions that could not be sent meanwhile are sent. While it is not
 * ready, logins and CONNECTs get 503 (the core asks ready()) and writes are
 * dropped (they are all made again at the reconnect); a lost connection is
 * tried again every second.
 *
 * Keys (in the configured database):
 *   ocsm:s:<cookie hash hex>  a hash: the record (common/cluster-rec.h)
 *   ocsm:ip:<a.b.c.d>         the hash hex of the session leasing the address
 * Channel: ocsm:<db>:gw:<gateway-id>, messages "takeover <hash hex> <gw>".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wdeclaration-after-statement"
#pragma GCC diagnostic ignored "-Wshadow"
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>
#pragma GCC diagnostic pop

#include "common/cluster-rec.h"
#include "common/log.h"
#include "sec-mod/sec-mod.h"
#include "sec-mod/sec-mod-cluster.h"
#include "sec-mod/store.h"
#include "vpn/ev-adapter.h"

#define REC_PREFIX CLUSTER_KEY_PREFIX "s:"
#define IP_PREFIX CLUSTER_KEY_PREFIX "ip:"
#define RETRY_S 1.0
/* A PING each second; no answer within HEALTH_MS (a Redis stopped, or a
 * partition that leaves the TCP connection open) drops both connections:
 * what waits for them is answered 503, and they are tried again. */
#define HEALTH_S 1.0
#define HEALTH_MS 3000
#define HANDSHAKE_MS 5000
#define MAX_PENDING_DELS 4096u
#define HEX_LEN (2 * STORE_HASH_LEN)

enum script { SC_PUT, SC_DEL, SC_CLAIM, SC_LEASE, SC_COUNT };

/* put: KEYS rec, lease ("" none); ARGV gw, expire ms (0 none), hash, fields...
 * 1 written, 0 another gateway holds the record, -1 the address is another's */
static const char *const scripts[SC_COUNT] = {
	[SC_PUT] =
	"local g = redis.call('HGET', KEYS[1], 'gw')\n"
	"if g and g ~= ARGV[1] then return 0 end\n"
	"if KEYS[2] ~= '' then\n"
	"  local o = redis.call('GET', KEYS[2])\n"
	"  if o and o ~= ARGV[3] then return -1 end\n"
	"  redis.call('SET', KEYS[2], ARGV[3])\n"
	"end\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('HSET', KEYS[1], unpack(ARGV, 4))\n"
	"local e = tonumber(ARGV[2])\n"
	"if e > 0 then\n"
	"  redis.call('PEXPIREAT', KEYS[1], e)\n"
	"  if KEYS[2] ~= '' then redis.call('PEXPIREAT', KEYS[2], e) end\n"
	"end\n"
	"return 1\n",
	/* del: KEYS rec, lease; ARGV gw, hash. Only the holder deletes. */
	[SC_DEL] =
	"local g = redis.call('HGET', KEYS[1], 'gw')\n"
	"if g and g ~= ARGV[1] then return 0 end\n"
	"redis.call('DEL', KEYS[1])\n"
	"if KEYS[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2] then\n"
	"  redis.call('DEL', KEYS[2])\n"
	"end\n"
	"return 1\n",
	/* claim: KEYS rec; ARGV gw. The record as it was, now this gateway's. */
	[SC_CLAIM] =
	"local r = redis.call('HGETALL', KEYS[1])\n"
	"if #r == 0 then return false end\n"
	"redis.call('HSET', KEYS[1], 'gw', ARGV[1])\n"
	"return r\n",
	/* lease: KEYS rec; ARGV gw, hash, first, count, start, expire, prefix.
	 * The first address from start on that is free (or already this
	 * session's), as ippool does; 0 none; -1 the record is not ours. */
	[SC_LEASE] =
	"if redis.call('HGET', KEYS[1], 'gw') ~= ARGV[1] then return -1 end\n"
	"local first, count = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
	"local start, e = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"for i = 0, count - 1 do\n"
	"  local a = first + (start + i) % count\n"
	"  local ip = string.format('%d.%d.%d.%d', math.floor(a / 16777216) % 256,\n"
	"    math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)\n"
	"  local k = ARGV[7] .. ip\n"
	"  local o = redis.call('GET', k)\n"
	"  if not o or o == ARGV[2] then\n"
	"    redis.call('SET', k, ARGV[2])\n"
	"    if e > 0 then redis.call('PEXPIREAT', k, e) end\n"
	"    redis.call('HSET', KEYS[1], 'ipv4', ip)\n"
	"    return ip\n"
	"  end\n"
	"end\n"
	"return 0\n",
};

struct pending_del {
	char hash[HEX_LEN + 1];
	uint32_t ipv4;
};

struct secmod_cluster {
	struct ev_loop *loop;
	struct secmod *core;
	void (*after)(void *opaque);	/* the core's deadlines may have moved */
	void *opaque;
	struct cluster_url url;
	char user[CLUSTER_CRED_MAX + 1], pass[CLUSTER_CRED_MAX + 1];
	char gw[CLUSTER_GW_MAX + 1];
	char channel[CLUSTER_GW_MAX + 32];
	redisAsyncContext *cmd, *sub;
	bool cmd_ready, sub_ready, ready;
	bool down_logged;
	char sha[SC_COUNT][41];
	ev_timer retry;
	ev_timer health;
	bool ping_out;			/* a PING is unanswered */
	vpn_ms_t ping_ms;		/* since then */
	vpn_ms_t connect_ms;		/* the last connection attempt began */
	bool closing;			/* being freed: no reconnect */
	struct pending_del dels[MAX_PENDING_DELS];
	size_t n_dels;
};

static vpn_ms_t now_ms(void)
{
	return vpn_now_ms();
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void after(struct secmod_cluster *c)
{
	if (c->after != NULL)
		c->after(c->opaque);
}

/* --- connections ------------------------------------------------------------ */

static void connect_both(struct secmod_cluster *c);
static void became_ready(struct secmod_cluster *c);

static void set_down(struct secmod_cluster *c, const char *why)
{
	if (c->closing)
		return;
	if (c->ready || !c->down_logged)
		log_err("session store %s: %s: logins and resumes get 503 until it is back",
			c->url.unix_socket ? c->url.path : c->url.host, why);
	c->down_logged = true;
	c->ready = false;
	if (!ev_is_active(&c->retry))
		ev_timer_start(c->loop, &c->retry);
}

static void check_ready(struct secmod_cluster *c)
{
	if (c->ready || !c->cmd_ready || !c->sub_ready)
		return;
	c->ready = true;
	became_ready(c);
}

/* A reply of the connection's handshake: an error drops the connection. */
static bool handshake_ok(redisAsyncContext *ac, redisReply *r, const char *what)
{
	struct secmod_cluster *c = ac->data;
	char why[300];

	if (r != NULL && r->type != REDIS_REPLY_ERROR)
		return true;
	if (r == NULL)
		return false; /* the connection went: its callback said so */
	snprintf(why, sizeof(why), "%s: %.*s", what, (int)(r->len < 200 ? r->len : 200), r->str);
	set_down(c, why);
	redisAsyncDisconnect(ac);
	return false;
}

static void auth_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)handshake_ok(ac, reply, priv != NULL ? "AUTH" : "SELECT");
}

static void script_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;
	redisReply *r = reply;
	size_t i = (size_t)(uintptr_t)priv;

	if (!handshake_ok(ac, r, "SCRIPT LOAD"))
		return;
	if (r->type == REDIS_REPLY_STRING && r->len == 40 && i < SC_COUNT)
		memcpy(c->sha[i], r->str, 41);
	if (i + 1 == SC_COUNT) {
		c->cmd_ready = true;
		check_ready(c);
	}
}

static void message_cb(redisAsyncContext *ac, void *reply, void *priv);

static void subscribe_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)priv;
	if (!handshake_ok(ac, r, "SUBSCRIBE"))
		return;
	message_cb(ac, reply, NULL);
}

/* AUTH and SELECT, queued before anything else on ac. */
static void handshake(struct secmod_cluster *c, redisAsyncContext *ac, bool subscriber)
{
	char db[16];

	if (c->pass[0] != '\0') {
		if (c->user[0] != '\0')
			redisAsyncCommand(ac, auth_cb, (void *)1, "AUTH %s %s", c->user, c->pass);
		else
			redisAsyncCommand(ac, auth_cb, (void *)1, "AUTH %s", c->pass);
	}
	if (subscriber) {
		redisAsyncCommand(ac, subscribe_cb, NULL, "SUBSCRIBE %s", c->channel);
		return;
	}
	snprintf(db, sizeof(db), "%u", c->url.db);
	redisAsyncCommand(ac, auth_cb, NULL, "SELECT %s", db);
	for (size_t i = 0; i < SC_COUNT; i++)
		redisAsyncCommand(ac, script_cb, (void *)(uintptr_t)i, "SCRIPT LOAD %s", scripts[i]);
}

static void connect_cb(const redisAsyncContext *ac, int status)
{
	struct secmod_cluster *c = ac->data;

	if (status == REDIS_OK)
		return;
	if (ac == c->cmd)
		c->cmd = NULL;
	if (ac == c->sub)
		c->sub = NULL;
	c->cmd_ready = c->cmd_ready && c->cmd != NULL;
	c->sub_ready = c->sub_ready && c->sub != NULL;
	set_down(c, ac->errstr[0] != '\0' ? ac->errstr : "cannot connect");
}

static void disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct secmod_cluster *c = ac->data;

	if (ac == c->cmd) {
		c->cmd = NULL;
		c->cmd_ready = false;
	}
	if (ac == c->sub) {
		c->sub = NULL;
		c->sub_ready = false;
	}
	set_down(c, status == REDIS_OK ? "connection closed" : ac->errstr);
	after(c);
}

static redisAsyncContext *open_one(struct secmod_cluster *c, bool subscriber)
{
	redisAsyncContext *ac = c->url.unix_socket ? redisAsyncConnectUnix(c->url.path)
						  : redisAsyncConnect(c->url.host, c->url.port);

	if (ac == NULL)
		return NULL;
	if (ac->err) {
		log_debug("session store: connecting: %s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = c;
	redisLibevAttach(c->loop, ac);
	redisAsyncSetConnectCallback(ac, connect_cb);
	redisAsyncSetDisconnectCallback(ac, disconnect_cb);
	handshake(c, ac, subscriber);
	return ac;
}

static void connect_both(struct secmod_cluster *c)
{
	c->connect_ms = now_ms();
	if (c->cmd == NULL)
		c->cmd = open_one(c, false);
	if (c->sub == NULL)
		c->sub = open_one(c, true);
	if (c->cmd == NULL || c->sub == NULL)
		set_down(c, "cannot connect");
}

static void retry_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct secmod_cluster *c = t->data;

	(void)loop;
	(void)revents;
	if (c->cmd != NULL && c->sub != NULL) {
		ev_timer_stop(c->loop, &c->retry);
		return;
	}
	connect_both(c);
}

static void ping_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;

	(void)priv;
	if (reply != NULL)
		c->ping_out = false;
}

/* Close both connections now: the callbacks of what waits on them run
 * with no reply (503 for the CONNECTs). */
static void drop_both(struct secmod_cluster *c)
{
	redisAsyncContext *cmd = c->cmd, *sub = c->sub;

	c->cmd = c->sub = NULL;
	c->cmd_ready = c->sub_ready = c->ready = false;
	c->ping_out = false;
	if (cmd != NULL)
		redisAsyncFree(cmd);
	if (sub != NULL)
		redisAsyncFree(sub);
}

static void health_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct secmod_cluster *c = t->data;

	(void)loop;
	(void)revents;
	if ((c->cmd != NULL || c->sub != NULL) && !c->ready &&
	    now_ms() - c->connect_ms >= HANDSHAKE_MS) {
		/* connected (TCP) but never answered: try again from scratch */
		set_down(c, "no answer to the connection's first commands for 5 s");
		drop_both(c);
		return;
	}
	if (c->cmd == NULL || !c->cmd_ready)
		return;
	if (!c->ping_out) {
		c->ping_out = true;
		c->ping_ms = now_ms();
		redisAsyncCommand(c->cmd, ping_cb, NULL, "PING");
		return;
	}
	if (now_ms() - c->ping_ms < HEALTH_MS)
		return;
	set_down(c, "no answer for 3 s");
	drop_both(c);
	after(c);
}

/* --- commands --------------------------------------------------------------- */

static void rec_key(char *out, size_t len, const uint8_t *hash)
{
	char hex[HEX_LEN + 1];

	cluster_hash_hex(hash, hex);
	snprintf(out, len, REC_PREFIX "%s", hex);
}

static void lease_key(char *out, size_t len, uint32_t ipv4)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = ipv4 };

	out[0] = '\0';
	if (ipv4 != 0 && inet_ntop(AF_INET, &a, ip, sizeof(ip)) != NULL)
		snprintf(out, len, IP_PREFIX "%s", ip);
}

/* EVALSHA of script sc with its keys and arguments. -1 when it could not be
 * queued (not connected). */
static int eval(struct secmod_cluster *c, enum script sc, redisCallbackFn *cb, void *priv,
		int nkeys, const char **args, int nargs)
{
	const char *argv[2 * CLUSTER_REC_FIELDS + 16];
	char nk[8];
	int n = 0;

	if (c->cmd == NULL || !c->cmd_ready || nargs + 3 > (int)(sizeof(argv) / sizeof(argv[0])))
		return -1;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[n++] = "EVALSHA";
	argv[n++] = c->sha[sc];
	argv[n++] = nk;
	for (int i = 0; i < nargs; i++)
		argv[n++] = args[i];
	return redisAsyncCommandArgv(c->cmd, cb, priv, n, argv, NULL) == REDIS_OK ? 0 : -1;
}

/* An error reply: logged; a script the server lost (SCRIPT FLUSH, a
 * restart on the same connection cannot happen) is loaded again. */
static bool reply_error(struct secmod_cluster *c, const redisReply *r, const char *what)
{
	if (r == NULL)
		return true;
	if (r->type != REDIS_REPLY_ERROR)
		return false;
	log_err("session store: %s: %.*s", what, (int)(r->len < 200 ? r->len : 200), r->str);
	if (strncmp(r->str, "NOSCRIPT", 8) == 0 && c->cmd != NULL) {
		c->cmd_ready = false;
		c->ready = false;
		for (size_t i = 0; i < SC_COUNT; i++)
			redisAsyncCommand(c->cmd, script_cb, (void *)(uintptr_t)i, "SCRIPT LOAD %s",
					  scripts[i]);
	}
	return true;
}

static void put_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;
	redisReply *r = reply;
	uint8_t *hash = priv;

	if (!reply_error(c, r, "writing a session") && r->type == REDIS_REPLY_INTEGER &&
	    r->integer != 1) {
		secmod_cluster_put_result(c->core, hash,
					  r->integer == 0 ? SECMOD_PUT_TAKEN : SECMOD_PUT_ADDRESS,
					  now_ms());
		after(c);
	}
	free(hash);
}

static void be_put(void *b, const struct store_record *r, int64_t expire_ms)
{
	struct secmod_cluster *c = b;
	struct cluster_rec_enc enc;
	const char *args[2 + 3 + 2 * CLUSTER_REC_FIELDS];
	char key[sizeof(REC_PREFIX) + HEX_LEN], lkey[sizeof(IP_PREFIX) + INET_ADDRSTRLEN];
	char exp[24];
	uint8_t *hash;
	int n = 0;

	if (!c->ready)
		return; /* written again when the store is back */
	hash = malloc(STORE_HASH_LEN);
	if (hash == NULL)
		return;
	memcpy(hash, r->cookie_hash, STORE_HASH_LEN);
	cluster_rec_encode(r, c->gw, wall_ms(), &enc);
	rec_key(key, sizeof(key), r->cookie_hash);
	lease_key(lkey, sizeof(lkey), r->ipv4);
	snprintf(exp, sizeof(exp), "%lld", expire_ms == STORE_NO_TIME ? 0LL : (long long)expire_ms);
	args[n++] = key;
	args[n++] = lkey;
	args[n++] = c->gw;
	args[n++] = exp;
	args[n++] = enc.hash_hex;
	for (size_t i = 0; i < 2 * CLUSTER_REC_FIELDS; i++)
		args[n++] = enc.argv[i];
	if (eval(c, SC_PUT, put_cb, hash, 2, args, n) < 0)
		free(hash);
}

static void del_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)priv;
	(void)reply_error(ac->data, reply, "deleting a session");
}

/* Delete the record of hex and its address if gw still holds it. */
static int send_del_as(struct secmod_cluster *c, const char *hex, uint32_t ipv4, const char *gw)
{
	char key[sizeof(REC_PREFIX) + HEX_LEN], lkey[sizeof(IP_PREFIX) + INET_ADDRSTRLEN];
	const char *args[4];

	snprintf(key, sizeof(key), REC_PREFIX "%s", hex);
	lease_key(lkey, sizeof(lkey), ipv4);
	args[0] = key;
	args[1] = lkey;
	args[2] = gw;
	args[3] = hex;
	return eval(c, SC_DEL, del_cb, NULL, 2, args, 4);
}

static int send_del(struct secmod_cluster *c, const char *hex, uint32_t ipv4)
{
	return send_del_as(c, hex, ipv4, c->gw);
}

/* An end must reach the store (else the cookie would still resume on
 * another gateway until the record expires): kept until it is back. */
static void be_del(void *b, const struct store_record *r)
{
	struct secmod_cluster *c = b;
	struct pending_del d = { .ipv4 = r->ipv4 };

	cluster_hash_hex(r->cookie_hash, d.hash);
	if (c->ready && send_del(c, d.hash, d.ipv4) == 0)
		return;
	if (c->n_dels < MAX_PENDING_DELS)
		c->dels[c->n_dels++] = d;
	else
		log_err("session store: more than %u ends while it is unreachable: session %.*s "
			"stays in it until it expires", MAX_PENDING_DELS, (int)SESSION_ID_SHORT_LEN,
			d.hash);
}

static void claim_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;
	redisReply *r = reply;
	uint64_t id = (uint64_t)(uintptr_t)priv;
	const char *kv[2 * CLUSTER_REC_FIELDS + 32];
	size_t lens[2 * CLUSTER_REC_FIELDS + 32];
	struct cluster_rec *rec;
	char err[256];

	if (reply_error(c, r, "reading a session")) {
		secmod_cluster_claimed(c->core, id, NULL, -EIO, now_ms());
	} else if (r->type != REDIS_REPLY_ARRAY) {
		secmod_cluster_claimed(c->core, id, NULL, 0, now_ms());
	} else if (r->elements > sizeof(kv) / sizeof(kv[0]) ||
		   (rec = malloc(sizeof(*rec))) == NULL) {
		log_err("session store: a record with %zu fields skipped", r->elements);
		secmod_cluster_claimed(c->core, id, NULL, 0, now_ms());
	} else {
		for (size_t i = 0; i < r->elements; i++) {
			bool str = r->element[i]->type == REDIS_REPLY_STRING;

			kv[i] = str ? r->element[i]->str : "";
			lens[i] = str ? r->element[i]->len : 0;
		}
		if (cluster_rec_decode(kv, lens, r->elements, rec, err, sizeof(err)) < 0) {
			log_err("session store: a record read back is not valid (%s): skipped", err);
			secmod_cluster_claimed(c->core, id, NULL, 0, now_ms());
		} else {
			secmod_cluster_claimed(c->core, id, rec, 0, now_ms());
		}
		free(rec);
	}
	after(c);
}

static int be_claim(void *b, const uint8_t *hash, uint64_t id)
{
	struct secmod_cluster *c = b;
	char key[sizeof(REC_PREFIX) + HEX_LEN];
	const char *args[2] = { key, c->gw };

	rec_key(key, sizeof(key), hash);
	return eval(c, SC_CLAIM, claim_cb, (void *)(uintptr_t)id, 1, args, 2);
}

static void lease_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;
	redisReply *r = reply;
	uint64_t id = (uint64_t)(uintptr_t)priv;
	struct in_addr a = { 0 };
	char ip[INET_ADDRSTRLEN];

	if (reply_error(c, r, "leasing an address")) {
		secmod_cluster_leased(c->core, id, 0, -EIO, now_ms());
	} else if (r->type == REDIS_REPLY_STRING && r->len < sizeof(ip)) {
		memcpy(ip, r->str, r->len);
		ip[r->len] = '\0';
		if (inet_pton(AF_INET, ip, &a) != 1)
			a.s_addr = 0;
		secmod_cluster_leased(c->core, id, a.s_addr, 0, now_ms());
	} else {
		if (r->type == REDIS_REPLY_INTEGER && r->integer < 0)
			log_warn("session store: a lease for a session another gateway holds refused");
		secmod_cluster_leased(c->core, id, 0, 0, now_ms());
	}
	after(c);
}

static int be_lease(void *b, const uint8_t *hash, uint32_t pool_first, uint32_t pool_count,
		    uint32_t start, int64_t expire_ms, uint64_t id)
{
	struct secmod_cluster *c = b;
	char key[sizeof(REC_PREFIX) + HEX_LEN], hex[HEX_LEN + 1];
	char first[16], count[16], st[16], exp[24];
	const char *args[8] = { key, c->gw, hex, first, count, st, exp, IP_PREFIX };

	rec_key(key, sizeof(key), hash);
	cluster_hash_hex(hash, hex);
	snprintf(first, sizeof(first), "%u", pool_first);
	snprintf(count, sizeof(count), "%u", pool_count);
	snprintf(st, sizeof(st), "%u", start);
	snprintf(exp, sizeof(exp), "%lld", expire_ms == STORE_NO_TIME ? 0LL : (long long)expire_ms);
	return eval(c, SC_LEASE, lease_cb, (void *)(uintptr_t)id, 1, args, 8);
}

static void be_tell(void *b, const char *gw, const uint8_t *hash)
{
	struct secmod_cluster *c = b;
	char ch[CLUSTER_GW_MAX + 32], msg[HEX_LEN + CLUSTER_GW_MAX + 16], hex[HEX_LEN + 1];

	if (c->cmd == NULL || !cluster_gw_valid(gw))
		return;
	cluster_hash_hex(hash, hex);
	snprintf(ch, sizeof(ch), CLUSTER_KEY_PREFIX "%u:gw:%s", c->url.db, gw);
	snprintf(msg, sizeof(msg), "takeover %s %s", hex, c->gw);
	redisAsyncCommand(c->cmd, del_cb, NULL, "PUBLISH %s %s", ch, msg);
}

/* --- the cluster's list: SCAN, then HGETALL of each record, pipelined ------ */

#define LIST_MAX 10000u         /* records one list reads at most */

struct list_job {
	struct secmod_cluster *c;
	uint64_t id;
	char match[sizeof(REC_PREFIX) + HEX_LEN + 1];	/* SCAN MATCH pattern */
	char gw[CLUSTER_GW_MAX + 1];	/* a terminate: the holder it names */
	void (*done)(struct list_job *j);
	struct cluster_rec *recs;
	size_t n, cap;
	unsigned outstanding;
	bool failed;
};

static void list_step(struct list_job *j)
{
	if (j->outstanding > 0)
		return;
	j->done(j);
	after(j->c);
	free(j->recs);
	free(j);
}

static void listed_done(struct list_job *j)
{
	secmod_cluster_listed(j->c->core, j->id, j->recs, j->n, j->failed ? -EIO : 0);
}

/* Room for one more record (grown by doubling up to LIST_MAX). */
static bool list_room(struct list_job *j)
{
	struct cluster_rec *more;

	if (j->n < j->cap)
		return true;
	if (j->cap >= LIST_MAX)
		return false;
	more = realloc(j->recs, sizeof(*more) * j->cap * 2);
	if (more == NULL)
		return false;
	j->recs = more;
	j->cap *= 2;
	return true;
}

static void list_rec_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct list_job *j = priv;
	redisReply *r = reply;
	const char *kv[2 * CLUSTER_REC_FIELDS + 32];
	size_t lens[2 * CLUSTER_REC_FIELDS + 32];
	char err[256];

	j->outstanding--;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		j->failed = j->failed || r == NULL;
	} else if (r->elements > 0 && r->elements <= sizeof(kv) / sizeof(kv[0]) && list_room(j)) {
		for (size_t i = 0; i < r->elements; i++) {
			bool str = r->element[i]->type == REDIS_REPLY_STRING;

			kv[i] = str ? r->element[i]->str : "";
			lens[i] = str ? r->element[i]->len : 0;
		}
		if (cluster_rec_decode(kv, lens, r->elements, &j->recs[j->n], err, sizeof(err)) == 0)
			j->n++;
		else
			log_warn("session store: a record read back is not valid (%s): skipped", err);
	}
	list_step(j);
}

static int list_scan(struct list_job *j, const char *cursor);

static void list_scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct list_job *j = priv;
	redisReply *r = reply, *keys;

	j->outstanding--;
	if (reply_error(j->c, r, "listing the sessions") || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
		j->failed = true;
		list_step(j);
		return;
	}
	keys = r->element[1];
	for (size_t i = 0; i < keys->elements && j->n + j->outstanding < LIST_MAX; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING || j->c->cmd == NULL)
			continue;
		if (redisAsyncCommand(j->c->cmd, list_rec_cb, j, "HGETALL %b", keys->element[i]->str,
				      keys->element[i]->len) == REDIS_OK)
			j->outstanding++;
	}
	if (strcmp(r->element[0]->str, "0") != 0 && j->n + j->outstanding < LIST_MAX &&
	    list_scan(j, r->element[0]->str) < 0)
		j->failed = true;
	list_step(j);
}

static int list_scan(struct list_job *j, const char *cursor)
{
	if (j->c->cmd == NULL ||
	    redisAsyncCommand(j->c->cmd, list_scan_cb, j, "SCAN %s MATCH %s COUNT 1000", cursor,
			      j->match) != REDIS_OK)
		return -1;
	j->outstanding++;
	return 0;
}

/* A list job over the records whose key matches REC_PREFIX + prefix + "*". */
static struct list_job *list_start(struct secmod_cluster *c, const char *prefix,
				   void (*done)(struct list_job *j))
{
	struct list_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->c = c;
	j->done = done;
	snprintf(j->match, sizeof(j->match), REC_PREFIX "%s*", prefix);
	j->cap = 64;
	j->recs = malloc(sizeof(*j->recs) * j->cap);
	if (j->recs == NULL || !c->ready || list_scan(j, "0") < 0) {
		free(j->recs);
		free(j);
		return NULL;
	}
	return j;
}

static int be_list(void *b, uint64_t id)
{
	struct list_job *j = list_start(b, "", listed_done);

	if (j == NULL)
		return -1;
	j->id = id;
	return 0;
}

/* The records of a terminate's session id read: the one still held by the
 * gateway that was told (and did not hear: it is gone) is deleted here. */
static void terminate_done(struct list_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		char hex[HEX_LEN + 1];

		if (strcmp(j->recs[i].gw, j->gw) != 0)
			continue;
		cluster_hash_hex(j->recs[i].r.cookie_hash, hex);
		(void)send_del_as(j->c, hex, j->recs[i].r.ipv4, j->gw);
		log_info("session store: session %.*s of gateway %s, which is not listening, "
			 "deleted from the store", (int)SESSION_ID_SHORT_LEN, hex, j->gw);
	}
}

static void publish_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct list_job *j = priv;
	redisReply *r = reply;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
		/* nobody listens on that gateway's channel: delete it here */
		struct list_job *k = list_start(ac->data, j->match, terminate_done);

		if (k != NULL)
			snprintf(k->gw, sizeof(k->gw), "%s", j->gw);
	}
	free(j);
}

static void be_terminate(void *b, const char *sid, const char *gw)
{
	struct secmod_cluster *c = b;
	char ch[CLUSTER_GW_MAX + 32], msg[HEX_LEN + CLUSTER_GW_MAX + 16];
	struct list_job *j;

	if (c->cmd == NULL || !cluster_gw_valid(gw) || strlen(sid) != STORE_SID_LEN)
		return;
	j = calloc(1, sizeof(*j)); /* only match (the id) and gw are used */
	if (j == NULL)
		return;
	snprintf(j->match, sizeof(j->match), "%s", sid);
	snprintf(j->gw, sizeof(j->gw), "%s", gw);
	snprintf(ch, sizeof(ch), CLUSTER_KEY_PREFIX "%u:gw:%s", c->url.db, gw);
	snprintf(msg, sizeof(msg), "terminate %s %s", sid, c->gw);
	if (redisAsyncCommand(c->cmd, publish_cb, j, "PUBLISH %s %s", ch, msg) != REDIS_OK)
		free(j);
}

static bool be_ready(void *b)
{
	return ((struct secmod_cluster *)b)->ready;
}

static const struct secmod_cluster_ops ops = {
	.ready = be_ready,
	.put = be_put,
	.del = be_del,
	.claim = be_claim,
	.lease = be_lease,
	.tell_takeover = be_tell,
	.list = be_list,
	.terminate = be_terminate,
};

/* "takeover <hash hex> <gw>" on this gateway's channel. */
static void message_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct secmod_cluster *c = ac->data;
	redisReply *r = reply;
	char text[HEX_LEN + CLUSTER_GW_MAX + 16], hex[HEX_LEN + 1], from[CLUSTER_GW_MAX + 1];
	uint8_t hash[STORE_HASH_LEN];

	(void)priv;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "subscribe") == 0) {
		c->sub_ready = true;
		check_ready(c);
		return;
	}
	if (strcmp(r->element[0]->str, "message") != 0 ||
	    r->element[2]->type != REDIS_REPLY_STRING || r->element[2]->len >= sizeof(text))
		return;
	memcpy(text, r->element[2]->str, r->element[2]->len);
	text[r->element[2]->len] = '\0';
	if (sscanf(text, "terminate %32s %64s", hex, from) == 2 && strlen(hex) == STORE_SID_LEN &&
	    cluster_gw_valid(from)) {
		secmod_cluster_terminate(c->core, hex, from, now_ms());
		after(c);
		return;
	}
	if (sscanf(text, "takeover %64s %64s", hex, from) != 2 || strlen(hex) != HEX_LEN ||
	    !cluster_gw_valid(from)) {
		log_warn("session store: a message on %s that is neither a takeover nor a "
			 "terminate: ignored", c->channel);
		return;
	}
	for (size_t i = 0; i < STORE_HASH_LEN; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return;
		hash[i] = (uint8_t)v;
	}
	secmod_cluster_taken(c->core, hash, from, now_ms());
	after(c);
}

static void became_ready(struct secmod_cluster *c)
{
	size_t n = c->n_dels;

	log_info("session store %s: connected (database %u, gateway %s)",
		 c->url.unix_socket ? c->url.path : c->url.host, c->url.db, c->gw);
	c->down_logged = false;
	c->n_dels = 0;
	for (size_t i = 0; i < n; i++)
		(void)send_del(c, c->dels[i].hash, c->dels[i].ipv4);
	secmod_cluster_republish(c->core);
}

/* --- setup ------------------------------------------------------------------ */

/* The credentials file, which must not be readable by everyone. */
static int read_auth(struct secmod_cluster *c, const char *file)
{
	char buf[1024], err[256];
	struct stat st;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc;

	if (fd < 0 || fstat(fd, &st) < 0) {
		log_err("session-store-auth-file %s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		log_err("session-store-auth-file %s is readable by everyone (mode %03o): refusing "
			"it (chmod o-r)", file, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_err("session-store-auth-file %s: %s", file, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	rc = cluster_auth_parse(buf, c->user, c->pass, err, sizeof(err));
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		log_err("session-store-auth-file %s: %s", file, err);
	return rc < 0 ? -1 : 0;
}

int secmod_cluster_setup(const char *url, const char *auth_file, const char *gw,
			 struct secmod_cluster **out)
{
	struct secmod_cluster *c = calloc(1, sizeof(*c));
	char err[512];

	*out = NULL;
	if (c == NULL)
		return -1;
	if (cluster_url_parse(url, &c->url, err, sizeof(err)) < 0 || !cluster_gw_valid(gw)) {
		log_err("%s", cluster_gw_valid(gw) ? err : "gateway-id: not a valid name");
		free(c);
		return -1;
	}
	if (auth_file != NULL && read_auth(c, auth_file) < 0) {
		free(c);
		return -1;
	}
	snprintf(c->gw, sizeof(c->gw), "%s", gw);
	snprintf(c->channel, sizeof(c->channel), CLUSTER_KEY_PREFIX "%u:gw:%s", c->url.db, gw);
	*out = c;
	return 0;
}

void secmod_cluster_start(struct secmod_cluster *c, struct ev_loop *loop, struct secmod *core,
			  void (*after_fn)(void *), void *opaque)
{
	c->loop = loop;
	c->core = core;
	c->after = after_fn;
	c->opaque = opaque;
	ev_timer_init(&c->retry, retry_cb, RETRY_S, RETRY_S);
	c->retry.data = c;
	ev_timer_init(&c->health, health_cb, HEALTH_S, HEALTH_S);
	c->health.data = c;
	ev_timer_start(loop, &c->health);
	secmod_set_cluster(core, &ops, c, c->gw);
	connect_both(c);
}

/* What is queued on the command connection goes out before it closes (the
 * ends of sessions at a stop), within FLUSH_MS; nothing waits for replies. */
#define FLUSH_MS 1000
static void flush_cmd(struct secmod_cluster *c)
{
	int done = 0, waited = 0;

	while (c->cmd != NULL && c->cmd_ready && waited < FLUSH_MS) {
		struct pollfd pfd = { .fd = c->cmd->c.fd, .events = POLLOUT };

		if (redisBufferWrite(&c->cmd->c, &done) != REDIS_OK || done)
			return;
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
			return;
		waited += 50;
	}
}

void secmod_cluster_free(struct secmod_cluster *c)
{
	if (c == NULL)
		return;
	c->closing = true;
	if (c->loop != NULL) {
		ev_timer_stop(c->loop, &c->retry);
		ev_timer_stop(c->loop, &c->health);
	}
	flush_cmd(c);
	/* their pending callbacks run with no reply: the core answers 503 */
	drop_both(c);
	explicit_bzero(c->pass, sizeof(c->pass));
	free(c);
}
