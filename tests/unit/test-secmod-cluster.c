/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * sec-mod's core with the cluster's store backend (secmod_cluster_ops,
 * doc/session-store.md), the backend replaced by a recorder whose answers
 * the tests give: logins refused with 503 while the store is unreachable,
 * a login written as held by this gateway, the first CONNECT leasing its
 * address from the cluster's pool (predictable-ips: the user's seed), a
 * CONNECT with a cookie this gateway does not know claiming the record and
 * telling the previous gateway, 401 for an unknown cookie, 503 when the
 * store does not answer, and a session that another gateway takes, or
 * whose address the store gives to another session, ending here; a cluster
 * listing of the other gateways' sessions, and a terminate asked by another
 * gateway.
 */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cluster-rec.h"
#include "sec-mod/sec-mod.h"
#include "test-main.h"

#define T0 1000000u

/* --- the outputs to main ---------------------------------------------------- */

#define MAX_OUT 64
static struct ipc_msg outs[MAX_OUT];
static size_t n_outs;

static void capture(void *opaque, enum ipc_type type, const ProtobufCMessage *msg)
{
	static uint8_t buf[IPC_MAX_MSG];
	ssize_t n = ipc_encode(type, msg, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt(n_outs, MAX_OUT);
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &outs[n_outs++]), 0);
}

static void reset_outs(void)
{
	while (n_outs > 0)
		ipc_msg_free(&outs[--n_outs]);
}

static const struct ipc_msg *last_of(enum ipc_type t)
{
	for (size_t k = n_outs; k-- > 0;)
		if (outs[k].type == t)
			return &outs[k];
	return NULL;
}

static int password(void *opaque, const char *file, int fd, const char *user, const char *pw,
		    char *groups, size_t len)
{
	groups[0] = '\0';
	return strcmp(pw, "pw") == 0 ? 0 : -EACCES;
}

static uint32_t seed_of(const char *user)
{
	return strcmp(user, "carol") == 0 ? 1007u : 0u;
}

/* The wall clock at T0 on the monotonic one. */
#define WALL0 1764700000000
static int64_t wall_now(void *opaque)
{
	return WALL0 + 1000;
}

static const struct secmod_ops ops = {
	.send = capture, .check_password = password, .user_seed = seed_of, .wall_ms = wall_now,
};

/* --- the backend's recorder --------------------------------------------------- */

static struct {
	bool ready;
	unsigned puts, dels, claims, leases, tells;
	struct store_record put;	/* the last one (texts not kept) */
	int64_t put_expire;
	uint8_t hash[STORE_HASH_LEN];	/* of the last claim or lease */
	uint64_t id;
	uint32_t start, first, count;
	char told[CLUSTER_GW_MAX + 1];
	int fail;			/* claim/lease return this */
} be;

static bool be_ready(void *b) { return be.ready; }
static void be_put(void *b, const struct store_record *r, int64_t e)
{
	be.puts++;
	be.put = *r;
	be.put_expire = e;
}
static void be_del(void *b, const struct store_record *r) { be.dels++; }
static int be_claim(void *b, const uint8_t *hash, uint64_t id)
{
	be.claims++;
	memcpy(be.hash, hash, STORE_HASH_LEN);
	be.id = id;
	return be.fail;
}
static int be_lease(void *b, const uint8_t *hash, uint32_t first, uint32_t count, uint32_t start,
		    int64_t e, uint64_t id)
{
	be.leases++;
	memcpy(be.hash, hash, STORE_HASH_LEN);
	be.id = id;
	be.first = first;
	be.count = count;
	be.start = start;
	return be.fail;
}
static void be_tell(void *b, const char *gw, const uint8_t *hash)
{
	be.tells++;
	snprintf(be.told, sizeof(be.told), "%s", gw);
}

static const struct secmod_cluster_ops be_ops = {
	.ready = be_ready, .put = be_put, .del = be_del, .claim = be_claim,
	.lease = be_lease, .tell_takeover = be_tell,
};

static struct secmod *sm;

static void feed(enum ipc_type type, const ProtobufCMessage *msg, vpn_ms_t now)
{
	static uint8_t buf[IPC_MAX_MSG];
	struct ipc_msg m;
	ssize_t n = ipc_encode(type, msg, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &m), 0);
	ck_assert_int_eq(secmod_on_message(sm, &m, now), 0);
	ipc_msg_free(&m);
}

static void setup(void)
{
	SmConfig c = SM_CONFIG__INIT;

	memset(&be, 0, sizeof(be));
	be.ready = true;
	sm = secmod_new(&ops, NULL);
	ck_assert_ptr_nonnull(sm);
	secmod_set_cluster(sm, &be_ops, NULL, "gw-b");
	c.passwd_file = "/etc/test-passwd";
	c.cookie_timeout = 300;
	c.session_timeout = 3600;
	c.dpd = 10;
	c.session_store = "redis://127.0.0.1:6379/0";
	c.has_pool_first = c.has_pool_count = c.has_predictable_ips = true;
	c.pool_first = 0xc0a84d02;	/* 192.168.77.2 */
	c.pool_count = 253;
	c.predictable_ips = true;
	feed(IPC_SM_CONFIG, &c.base, T0);
	reset_outs();
}

static void teardown(void)
{
	reset_outs();
	secmod_free(sm);
}

static const AuthReply *login(const char *user, char cookie[COOKIE_LEN + 1])
{
	SmAuthRequest r = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;
	const struct ipc_msg *m;

	a.username = (char *)user;
	a.password = "pw";
	a.remote_ip = "192.0.2.7";
	r.request_id = 1;
	r.auth = &a;
	reset_outs();
	feed(IPC_SM_AUTH_REQUEST, &r.base, T0);
	m = last_of(IPC_SM_AUTH_REPLY);
	ck_assert_ptr_nonnull(m);
	if (cookie != NULL && m->sm_auth_reply->reply->ok)
		snprintf(cookie, COOKIE_LEN + 1, "%s", m->sm_auth_reply->reply->cookie);
	return m->sm_auth_reply->reply;
}

static void open_req(uint64_t id, const char *cookie, vpn_ms_t now)
{
	SmOpenRequest r = SM_OPEN_REQUEST__INIT;

	r.request_id = id;
	r.cookie = (char *)cookie;
	r.remote_ip = "198.51.100.9";
	reset_outs();
	feed(IPC_SM_OPEN_REQUEST, &r.base, now);
}

static const SmOpenReply *open_reply(void)
{
	const struct ipc_msg *m = last_of(IPC_SM_OPEN_REPLY);

	return m != NULL ? m->sm_open_reply : NULL;
}

/* --- tests --------------------------------------------------------------------- */

START_TEST(test_login_store_down)
{
	const AuthReply *a;

	be.ready = false;
	a = login("carol", NULL);
	ck_assert(!a->ok);
	ck_assert(a->has_busy && a->busy);
	ck_assert_uint_eq(be.puts, 0);
}
END_TEST

START_TEST(test_login_then_first_connect_leases)
{
	char cookie[COOKIE_LEN + 1];
	const SmOpenReply *r;
	struct in_addr ip;

	ck_assert(login("carol", cookie)->ok);
	ck_assert_uint_eq(be.puts, 1);
	ck_assert_int_eq(be.put.state, VPN_SESSION_AUTHENTICATED);
	ck_assert_int_ne(be.put_expire, STORE_NO_TIME);
	open_req(7, cookie, T0 + 1000);
	ck_assert_ptr_null(open_reply()); /* waits for the lease */
	ck_assert_uint_eq(be.claims, 0);  /* known here: no claim */
	ck_assert_uint_eq(be.leases, 1);
	ck_assert_uint_eq(be.first, 0xc0a84d02);
	ck_assert_uint_eq(be.count, 253);
	ck_assert_uint_eq(be.start, 1007u % 253u);
	inet_pton(AF_INET, "192.168.77.9", &ip);
	reset_outs();
	secmod_cluster_leased(sm, be.id, ip.s_addr, 0, T0 + 1010);
	r = open_reply();
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->status, 200);
	ck_assert_uint_eq(r->request_id, 7);
	ck_assert_uint_eq(r->session->ipv4, ip.s_addr);
	ck_assert_int_eq(be.put.state, VPN_SESSION_ACTIVE);
	ck_assert_uint_eq(be.put.ipv4, ip.s_addr);
	/* a late answer for nobody is ignored */
	reset_outs();
	secmod_cluster_leased(sm, be.id, ip.s_addr, 0, T0 + 1020);
	ck_assert_uint_eq(n_outs, 0);
}
END_TEST

START_TEST(test_lease_fails)
{
	char cookie[COOKIE_LEN + 1];

	ck_assert(login("carol", cookie)->ok);
	open_req(7, cookie, T0 + 1000);
	secmod_cluster_leased(sm, be.id, 0, 0, T0 + 1010); /* pool exhausted */
	ck_assert_uint_eq(open_reply()->status, 503);
	open_req(8, cookie, T0 + 2000);
	secmod_cluster_leased(sm, be.id, 0, -EIO, T0 + 2010);
	ck_assert_uint_eq(open_reply()->status, 503);
	be.fail = -1; /* not even sent */
	open_req(9, cookie, T0 + 3000);
	ck_assert_uint_eq(open_reply()->status, 503);
}
END_TEST

/* A record as gateway gw-a wrote it, for the cookie "C". */
static void record_of_a(struct cluster_rec *rec, const char *cookie, enum vpn_session_state st)
{
	char hex[2 * STORE_HASH_LEN + 1];

	memset(rec, 0, sizeof(*rec));
	ck_assert_int_eq(cookie_hash(cookie, rec->r.cookie_hash), 0);
	cluster_hash_hex(rec->r.cookie_hash, hex);
	memcpy(rec->r.sid, hex, STORE_SID_LEN);
	snprintf(rec->gw, sizeof(rec->gw), "gw-a");
	snprintf(rec->username, sizeof(rec->username), "dave");
	rec->r.username = rec->username;
	rec->r.group = rec->group;
	rec->r.remote_ip = rec->remote_ip;
	rec->r.last_remote_ip = rec->last_remote_ip;
	rec->r.serial = 99;
	rec->r.state = st;
	rec->r.authenticated_ms = 1764700000000;
	rec->r.drop_ms = STORE_NO_TIME;
	rec->r.attaches = 1;
	rec->r.cfg.cookie_timeout_ms = 300000;
	inet_pton(AF_INET, "192.168.77.50", &rec->r.ipv4);
	rec->seen_ms = 1764700000000;
}

static const char COOKIE_A[] = "dtIY2ilTWMFBN5wEPWdn-aRUAi_Wuua-13wfb6ZpkSY";

START_TEST(test_claim_takes_over)
{
	struct cluster_rec rec;
	uint8_t h[STORE_HASH_LEN];
	const SmOpenReply *r;

	open_req(5, COOKIE_A, T0);
	ck_assert_uint_eq(be.claims, 1);
	ck_assert_int_eq(cookie_hash(COOKIE_A, h), 0);
	ck_assert_mem_eq(be.hash, h, STORE_HASH_LEN);
	ck_assert_ptr_null(open_reply());
	record_of_a(&rec, COOKIE_A, VPN_SESSION_ACTIVE);
	secmod_cluster_claimed(sm, be.id, &rec, 0, T0 + 5);
	ck_assert_uint_eq(be.tells, 1);
	ck_assert_str_eq(be.told, "gw-a");
	ck_assert_uint_eq(be.leases, 0); /* it has its address */
	r = open_reply();
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->status, 200);
	ck_assert_uint_eq(r->session->ipv4, rec.r.ipv4);
	ck_assert_str_eq(r->session->username, "dave");
	ck_assert_uint_eq(r->result, VPN_CONNECT_RESUME);
	ck_assert_uint_ne(r->session->serial, 99); /* a serial of this gateway */
	/* known here from now on: a second CONNECT does not claim */
	open_req(6, COOKIE_A, T0 + 100);
	ck_assert_uint_eq(be.claims, 1);
}
END_TEST

START_TEST(test_claim_unknown_or_silent)
{
	open_req(5, COOKIE_A, T0);
	secmod_cluster_claimed(sm, be.id, NULL, 0, T0 + 5);
	ck_assert_uint_eq(open_reply()->status, 401);
	open_req(6, COOKIE_A, T0 + 10);
	secmod_cluster_claimed(sm, be.id, NULL, -EIO, T0 + 15);
	ck_assert_uint_eq(open_reply()->status, 503);
	open_req(7, "not a cookie", T0 + 20);
	ck_assert_uint_eq(open_reply()->status, 401);
	be.ready = false;
	open_req(8, COOKIE_A, T0 + 30);
	ck_assert_uint_eq(open_reply()->status, 503);
}
END_TEST

/* The session of COOKIE_A active here, then ended from the store's side
 * (taken, or its address another's): its end goes to main, and the next
 * CONNECT with its cookie asks the store again. */
static void ended_by_store(bool taken)
{
	struct cluster_rec rec;
	const struct ipc_msg *m;
	bool ended = false, forgot = false;

	open_req(5, COOKIE_A, T0);
	record_of_a(&rec, COOKIE_A, VPN_SESSION_WAITING);
	rec.r.drop_ms = 1764700000000;
	secmod_cluster_claimed(sm, be.id, &rec, 0, T0 + 5);
	ck_assert_uint_eq(open_reply()->status, 200);
	reset_outs();
	if (taken)
		secmod_cluster_taken(sm, rec.r.cookie_hash, "gw-c", T0 + 1000);
	else
		secmod_cluster_put_result(sm, rec.r.cookie_hash, SECMOD_PUT_ADDRESS, T0 + 1000);
	for (size_t k = 0; k < n_outs; k++) {
		if (outs[k].type != IPC_SM_SESSION)
			continue;
		m = &outs[k];
		ended = ended || (m->sm_session->state == VPN_SESSION_ENDED &&
				  m->sm_session->end_reason == VPN_END_SUPERSEDED);
		forgot = forgot || (m->sm_session->has_forget && m->sm_session->forget);
	}
	ck_assert(ended);
	ck_assert(forgot);
	open_req(6, COOKIE_A, T0 + 2000);
	ck_assert_uint_eq(be.claims, 2);
}

START_TEST(test_taken_by_another_gateway)
{
	ended_by_store(true);
}
END_TEST

START_TEST(test_address_conflict)
{
	ended_by_store(false);
}
END_TEST

START_TEST(test_end_deletes)
{
	char cookie[COOKIE_LEN + 1];
	SmTerminate t = SM_TERMINATE__INIT;

	ck_assert(login("carol", cookie)->ok);
	t.serial = 0;
	t.reason = VPN_END_ADMIN_TERMINATE;
	feed(IPC_SM_TERMINATE, &t.base, T0 + 10);
	ck_assert_uint_eq(be.dels, 1);
	/* the store came back: what this gateway holds is written again */
	ck_assert(login("carol", cookie)->ok);
	be.puts = 0;
	secmod_cluster_republish(sm);
	ck_assert_uint_eq(be.puts, 1);
}
END_TEST

/* A cluster listing: the other gateways' records, each with its gateway and
 * the state it was written in; this gateway's own are left to main. */
START_TEST(test_listed)
{
	struct cluster_rec recs[2];
	const struct ipc_msg *m;
	const SmListReply *l;

	record_of_a(&recs[0], COOKIE_A, VPN_SESSION_ACTIVE);
	record_of_a(&recs[1], "another-cookie-of-this-gateway-b-000000000", VPN_SESSION_WAITING);
	snprintf(recs[1].gw, sizeof(recs[1].gw), "gw-b");
	reset_outs();
	secmod_cluster_listed(sm, 77, recs, 2, 0);
	m = last_of(IPC_SM_LIST_REPLY);
	ck_assert_ptr_nonnull(m);
	l = m->sm_list_reply;
	ck_assert_uint_eq(l->request_id, 77);
	ck_assert(l->last);
	ck_assert_uint_eq(l->n_sessions, 1);
	ck_assert_str_eq(l->sessions[0]->gateway, "gw-a");
	ck_assert_uint_eq(l->sessions[0]->state, VPN_SESSION_ACTIVE);
	ck_assert_str_eq(l->sessions[0]->username, "dave");
	ck_assert_uint_eq(l->sessions[0]->ipv4, recs[0].r.ipv4);
	/* the store did not answer: an empty last reply all the same */
	reset_outs();
	secmod_cluster_listed(sm, 78, NULL, 0, -EIO);
	m = last_of(IPC_SM_LIST_REPLY);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->sm_list_reply->last);
	ck_assert_uint_eq(m->sm_list_reply->n_sessions, 0);
}
END_TEST

/* Another gateway's occtl asks for one of this gateway's sessions by its
 * full id: it ends (admin-terminate) and leaves the store; a prefix or an
 * unknown id does nothing. */
START_TEST(test_terminate_from_another_gateway)
{
	char cookie[COOKIE_LEN + 1], sid[SESSION_ID_LEN + 1] = "", part[SESSION_ID_SHORT_LEN + 1];
	const struct ipc_msg *m;

	ck_assert(login("carol", cookie)->ok);
	m = last_of(IPC_SM_SESSION);
	ck_assert_ptr_nonnull(m);
	snprintf(sid, sizeof(sid), "%s", m->sm_session->session_id);
	snprintf(part, sizeof(part), "%s", sid);
	reset_outs();
	secmod_cluster_terminate(sm, "0123456789abcdef0123456789abcdef", "gw-a", T0 + 5);
	secmod_cluster_terminate(sm, part, "gw-a", T0 + 6);
	ck_assert_uint_eq(n_outs, 0);
	ck_assert_uint_eq(be.dels, 0);
	secmod_cluster_terminate(sm, sid, "gw-a", T0 + 7);
	m = last_of(IPC_SM_SESSION);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->sm_session->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(m->sm_session->end_reason, VPN_END_ADMIN_TERMINATE);
	ck_assert_uint_eq(be.dels, 1);
}
END_TEST

static Suite *cluster_suite(void)
{
	Suite *s = suite_create("secmod-cluster");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_login_store_down);
	tcase_add_test(tc, test_login_then_first_connect_leases);
	tcase_add_test(tc, test_lease_fails);
	tcase_add_test(tc, test_claim_takes_over);
	tcase_add_test(tc, test_claim_unknown_or_silent);
	tcase_add_test(tc, test_taken_by_another_gateway);
	tcase_add_test(tc, test_address_conflict);
	tcase_add_test(tc, test_end_deletes);
	tcase_add_test(tc, test_listed);
	tcase_add_test(tc, test_terminate_from_another_gateway);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cluster_suite)
