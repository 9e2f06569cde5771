/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * sec-mod's core (src/sec-mod/sec-mod.c), driven with messages as main sends them
 * and integer time; every output is framed with ipc_encode() and decoded
 * again with ipc_decode(), so a message that could not cross the socket
 * (a required field unset, too large) fails here.
 */

#include <check.h>
#include <errno.h>
#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "sec-mod/sec-mod.h"
#include "test-main.h"

#define C_S 300u  /* cookie-timeout */
#define S_S 3600u /* session-timeout */
#define D_S 10u   /* dpd */
#define T0 1000000u /* a realistic monotonic start */

/* --- capture ---------------------------------------------------------------- */

#define MAX_OUT 256
static struct ipc_msg out[MAX_OUT];
static size_t n_out;
static int pw_calls;

static void send_cb(void *opaque, enum ipc_type type, const ProtobufCMessage *msg)
{
	static uint8_t buf[IPC_MAX_MSG];
	ssize_t n = ipc_encode(type, msg, buf, sizeof(buf));

	ck_assert_msg(n > 0, "%s does not encode: %zd", ipc_type_str(type), n);
	ck_assert_uint_lt(n_out, MAX_OUT);
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &out[n_out]), 0);
	n_out++;
}

/* alice/secret (groups staff,ops), bob/hunter2 (no group) */
static int check_pw(void *opaque, const char *file, int fd, const char *user, const char *pw,
		    char *groups, size_t len)
{
	pw_calls++;
	ck_assert_str_eq(file, "/etc/test-passwd");
	if (strcmp(user, "alice") == 0) {
		snprintf(groups, len, "staff,ops");
		return strcmp(pw, "secret") == 0 ? 0 : -EACCES;
	}
	if (strcmp(user, "bob") == 0) {
		groups[0] = '\0';
		return strcmp(pw, "hunter2") == 0 ? 0 : -EACCES;
	}
	if (strcmp(user, "broken") == 0)
		return -EIO;
	return -ENOENT;
}

static const struct secmod_ops ops = { .send = send_cb, .check_password = check_pw };
static struct secmod *sm;

static void clear_out(void)
{
	for (size_t i = 0; i < n_out; i++)
		ipc_msg_free(&out[i]);
	n_out = 0;
}

/* The i-th output of type t (0-based among that type), or NULL. */
static struct ipc_msg *nth(enum ipc_type t, size_t i)
{
	for (size_t k = 0; k < n_out; k++)
		if (out[k].type == t && i-- == 0)
			return &out[k];
	return NULL;
}

static size_t count(enum ipc_type t)
{
	size_t n = 0;

	for (size_t k = 0; k < n_out; k++)
		n += out[k].type == t;
	return n;
}

/* Feed a message the way the process does: encode, decode, dispatch. */
static int feed(enum ipc_type type, const ProtobufCMessage *msg, vpn_ms_t now)
{
	static uint8_t buf[IPC_MAX_MSG];
	struct ipc_msg m;
	ssize_t n = ipc_encode(type, msg, buf, sizeof(buf));
	int r;

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &m), 0);
	r = secmod_on_message(sm, &m, now);
	ipc_msg_free(&m);
	return r;
}

static void configure(unsigned max_same, bool persistent)
{
	SmConfig c = SM_CONFIG__INIT;

	c.passwd_file = "/etc/test-passwd";
	c.cookie_timeout = C_S;
	c.session_timeout = S_S;
	c.persistent_cookies = persistent;
	c.max_same_clients = max_same;
	c.dpd = D_S;
	ck_assert_int_eq(feed(IPC_SM_CONFIG, &c.base, 0), 0);
}

static void setup(void)
{
	n_out = 0;
	pw_calls = 0;
	sm = secmod_new(&ops, NULL);
	ck_assert_ptr_nonnull(sm);
	configure(0, false);
}

static void teardown(void)
{
	clear_out();
	secmod_free(sm);
	sm = NULL;
}

/* --- helpers ------------------------------------------------------------------ */

static void auth(uint64_t id, const char *user, const char *pw, const char *group, vpn_ms_t now)
{
	SmAuthRequest r = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;

	a.username = (char *)user;
	a.password = (char *)pw;
	a.group = (char *)group;
	a.remote_ip = "192.0.2.7";
	r.request_id = id;
	r.auth = &a;
	ck_assert_int_eq(feed(IPC_SM_AUTH_REQUEST, &r.base, now), 0);
}

/* Log alice in at now; returns her cookie (static buffer per call site). */
static const char *login_ok(uint64_t id, vpn_ms_t now, char cookie[COOKIE_LEN + 1],
			    uint64_t *serial)
{
	struct ipc_msg *m;

	clear_out();
	auth(id, "alice", "secret", NULL, now);
	m = nth(IPC_SM_AUTH_REPLY, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->sm_auth_reply->request_id, id);
	ck_assert(m->sm_auth_reply->reply->ok);
	ck_assert(cookie_is_wellformed(m->sm_auth_reply->reply->cookie));
	snprintf(cookie, COOKIE_LEN + 1, "%s", m->sm_auth_reply->reply->cookie);
	*serial = m->sm_auth_reply->serial;
	return cookie;
}

static struct ipc_msg *open_cookie(uint64_t id, const char *cookie, vpn_ms_t now)
{
	SmOpenRequest r = SM_OPEN_REQUEST__INIT;

	clear_out();
	r.request_id = id;
	r.cookie = (char *)cookie;
	r.remote_ip = "198.51.100.9";
	r.has_worker_pid = true;
	r.worker_pid = 4242;
	ck_assert_int_eq(feed(IPC_SM_OPEN_REQUEST, &r.base, now), 0);
	return nth(IPC_SM_OPEN_REPLY, 0);
}

static void tunnel_down(uint64_t serial, enum vpn_end_reason r, uint64_t bytes_in,
			int attach, vpn_ms_t now)
{
	SmTunnelDown d = SM_TUNNEL_DOWN__INIT;
	TunnelStats st = TUNNEL_STATS__INIT;

	clear_out();
	d.serial = serial;
	d.reason = (uint32_t)r;
	st.has_bytes_in = true;
	st.bytes_in = bytes_in;
	d.stats = &st;
	if (attach >= 0) {
		d.has_attach = true;
		d.attach = (uint32_t)attach;
	}
	ck_assert_int_eq(feed(IPC_SM_TUNNEL_DOWN, &d.base, now), 0);
}

/* The last SmSession sent about serial. */
static const SmSession *last_session(uint64_t serial)
{
	const SmSession *found = NULL;

	for (size_t k = 0; k < n_out; k++)
		if (out[k].type == IPC_SM_SESSION && out[k].sm_session->serial == serial)
			found = out[k].sm_session;
	return found;
}

/* --- tests ------------------------------------------------------------------- */

START_TEST(test_login)
{
	struct ipc_msg *m;
	const SmSession *ss;

	auth(7, "alice", "secret", "ops", T0);
	ck_assert_uint_eq(n_out, 2);
	/* the record first, then the reply */
	ck_assert_int_eq(out[0].type, IPC_SM_SESSION);
	ck_assert_int_eq(out[1].type, IPC_SM_AUTH_REPLY);
	ss = out[0].sm_session;
	m = &out[1];
	ck_assert(m->sm_auth_reply->reply->ok);
	ck_assert_str_eq(m->sm_auth_reply->reply->username, "alice");
	ck_assert_str_eq(m->sm_auth_reply->reply->group, "ops");
	ck_assert_uint_eq(m->sm_auth_reply->serial, ss->serial);
	ck_assert_uint_eq(ss->state, VPN_SESSION_AUTHENTICATED);
	ck_assert_str_eq(ss->username, "alice");
	ck_assert_uint_eq(ss->created_ms, T0);
	ck_assert_uint_eq(ss->cookie_timeout_ms, C_S * 1000);
	ck_assert_uint_eq(ss->session_timeout_ms, S_S * 1000);
	/* the record never carries the cookie: its id is a hash */
	ck_assert_str_ne(ss->session_id, m->sm_auth_reply->reply->cookie);
	ck_assert_uint_eq(strlen(ss->session_id), SESSION_ID_LEN);

	/* default group: the first of the user's */
	clear_out();
	auth(8, "alice", "secret", NULL, T0);
	ck_assert_str_eq(nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply->reply->group, "staff");
	ck_assert_uint_eq(session_table_count(secmod_sessions(sm)), 2);
}
END_TEST

START_TEST(test_login_failures)
{
	const SmAuthReply *r;

	auth(1, "alice", "wrong", NULL, T0);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok);
	ck_assert(r->has_bad_credentials && r->bad_credentials);
	ck_assert_uint_eq(count(IPC_SM_SESSION), 0);

	clear_out();
	auth(2, "mallory", "x", NULL, T0);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok && r->bad_credentials);

	/* not a member of the requested group: refused as a bad login */
	clear_out();
	auth(3, "alice", "secret", "admins", T0);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok && r->bad_credentials);

	/* the backend failing is not the user's fault: no ban points */
	clear_out();
	auth(4, "broken", "x", NULL, T0);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok);
	ck_assert(!r->bad_credentials);
	ck_assert_uint_eq(session_table_count(secmod_sessions(sm)), 0);
}
END_TEST

/* The answer to a further form (login_token) at now. */
static void answer(uint64_t id, const char *user, const char *text, const char *token,
		   vpn_ms_t now)
{
	SmAuthRequest r = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;

	a.username = (char *)user;
	a.password = (char *)text;
	a.login_token = (char *)token;
	a.remote_ip = "192.0.2.7";
	r.request_id = id;
	r.auth = &a;
	ck_assert_int_eq(feed(IPC_SM_AUTH_REQUEST, &r.base, now), 0);
}

/* The reply to request id, which asks a further form; its token. */
static void expect_more(uint64_t id, char token[SECMOD_LOGIN_TOKEN_LEN + 1])
{
	const SmAuthReply *r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;

	ck_assert_uint_eq(r->request_id, id);
	ck_assert(!r->reply->ok && r->reply->has_more && r->reply->more);
	ck_assert_str_eq(r->reply->prompt, "OTP:");
	ck_assert_uint_eq(strlen(r->reply->login_token), SECMOD_LOGIN_TOKEN_LEN);
	ck_assert(!r->has_bad_credentials || !r->bad_credentials);
	snprintf(token, SECMOD_LOGIN_TOKEN_LEN + 1, "%s", r->reply->login_token);
	ck_assert_uint_eq(count(IPC_SM_SESSION), 0);
	clear_out();
}

static void expect_refused(uint64_t id, bool bad_credentials, const char *message)
{
	const SmAuthReply *r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;

	ck_assert_uint_eq(r->request_id, id);
	ck_assert(!r->reply->ok && !r->reply->more);
	ck_assert_int_eq(r->has_bad_credentials && r->bad_credentials, bad_credentials);
	ck_assert_str_eq(r->reply->message, message);
	clear_out();
}

/* plain[passwd=FILE,otp=FILE]: the password, then the OTP in a further
 * round tied to its login by a token; liboath checks a real users file
 * (the unit tests' executor runs the checks at once). */
START_TEST(test_multi_round_otp)
{
	const char *secret = "3132333435363738393031323334353637383930";
	char dir[] = "/tmp/test-sec-mod-otp.XXXXXX", file[80], code[16], t1[40], t2[40], t3[40];
	SmConfig c = SM_CONFIG__INIT;
	FILE *f;
	const SmAuthReply *r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/users.oath", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "HOTP/T30 alice - %s\n", secret);
	fclose(f);
	c.passwd_file = "/etc/test-passwd";
	c.otp_file = file;
	c.cookie_timeout = C_S;
	c.dpd = D_S;
	ck_assert_int_eq(feed(IPC_SM_CONFIG, &c.base, 0), 0);
	clear_out();

	/* a wrong password: refused at once, no further form */
	auth(1, "alice", "wrong", NULL, T0);
	expect_refused(1, true, "Authentication failed");
	/* the right one: the OTP form */
	auth(2, "alice", "secret", "ops", T0);
	expect_more(2, t1);
	/* a token nobody gave out */
	answer(3, "alice", "123456", "00000000000000000000000000000000", T0);
	expect_refused(3, false, "Login expired");
	/* the wrong code ends the login */
	answer(4, "alice", "000000", t1, T0);
	expect_refused(4, true, "Authentication failed");
	answer(5, "alice", "000000", t1, T0);
	expect_refused(5, false, "Login expired");

	/* the right code: the session, in the group asked for at the start */
	auth(6, "alice", "secret", "ops", T0);
	expect_more(6, t2);
	ck_assert_str_ne(t1, t2);
	ck_assert_int_eq(oath_init(), OATH_OK);
	ck_assert_int_eq(oath_totp_generate((const char *)"12345678901234567890", 20, time(NULL),
					    30, 0, 6, code), OATH_OK);
	/* the answer carries the first form's user name */
	answer(7, "bob", code, t2, T0);
	expect_refused(7, false, "Login expired");
	answer(8, "alice", code, t2, T0);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert_uint_eq(r->request_id, 8);
	ck_assert(r->reply->ok);
	ck_assert_str_eq(r->reply->group, "ops");
	ck_assert_uint_eq(session_table_count(secmod_sessions(sm)), 1);
	clear_out();

	/* main cancels a login whose worker went away */
	auth(11, "alice", "secret", NULL, T0);
	expect_more(11, t3);
	{
		SmAuthRequest q = SM_AUTH_REQUEST__INIT;
		AuthRequest a = AUTH_REQUEST__INIT;

		a.username = "";
		a.password = "";
		a.remote_ip = "192.0.2.7";
		a.login_token = t3;
		a.has_cancel = a.cancel = true;
		q.request_id = 0;
		q.auth = &a;
		ck_assert_int_eq(feed(IPC_SM_AUTH_REQUEST, &q.base, T0), 0);
	}
	ck_assert_uint_eq(count(IPC_SM_AUTH_REPLY), 0); /* no reply */
	answer(12, "alice", "000000", t3, T0);
	expect_refused(12, false, "Login expired");

	/* a further form left unanswered expires */
	auth(9, "alice", "secret", NULL, T0);
	expect_more(9, t3);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + SECMOD_AUTH_ROUND_MS);
	secmod_handle_expiry(sm, T0 + SECMOD_AUTH_ROUND_MS);
	answer(10, "alice", "000000", t3, T0 + SECMOD_AUTH_ROUND_MS);
	expect_refused(10, false, "Login expired");
	oath_done();
	unlink(file);
	strcat(file, ".lock"); /* liboath's */
	unlink(file);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_not_configured)
{
	struct secmod *fresh = secmod_new(&ops, NULL);
	struct secmod *keep = sm;
	SmAuthRequest r = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;

	sm = fresh;
	a.username = "alice";
	a.password = "secret";
	a.remote_ip = "192.0.2.7";
	r.request_id = 1;
	r.auth = &a;
	ck_assert_int_eq(feed(IPC_SM_AUTH_REQUEST, &r.base, T0), 0);
	ck_assert(!nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply->reply->ok);
	ck_assert_int_eq(pw_calls, 0);
	secmod_free(fresh);
	sm = keep;
}
END_TEST

START_TEST(test_open_resume_and_401)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;
	struct ipc_msg *m;
	const SmOpenReply *r;

	login_ok(1, T0, cookie, &serial);
	m = open_cookie(2, cookie, T0 + 1000);
	ck_assert_ptr_nonnull(m);
	r = m->sm_open_reply;
	ck_assert_uint_eq(r->status, 200);
	ck_assert_uint_eq(r->result, VPN_CONNECT_FIRST);
	ck_assert_uint_eq(r->session->serial, serial);
	ck_assert_uint_eq(r->session->state, VPN_SESSION_ACTIVE);
	/* S - 1 s left, rounded up */
	ck_assert_uint_eq(r->session_remaining, S_S - 1);
	/* the mirror update came first */
	ck_assert_int_eq(out[0].type, IPC_SM_SESSION);
	ck_assert_uint_eq(out[0].sm_session->state, VPN_SESSION_ACTIVE);
	ck_assert_str_eq(out[0].sm_session->last_remote_ip, "198.51.100.9");

	/* DPD death: waiting, deadline drop + C */
	tunnel_down(serial, VPN_END_DPD_TIMEOUT, 500, 1, T0 + 10000);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_WAITING);
	ck_assert_uint_eq(last_session(serial)->drop_ms, T0 + 10000);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + 10000 + C_S * 1000);

	/* resume just before the deadline: same session, counters continue */
	m = open_cookie(3, cookie, T0 + 10000 + C_S * 1000 - 1);
	r = m->sm_open_reply;
	ck_assert_uint_eq(r->status, 200);
	ck_assert_uint_eq(r->result, VPN_CONNECT_RESUME);
	ck_assert_uint_eq(r->session->resumes, 1);
	ck_assert_uint_eq(r->session->totals->bytes_in, 500);
	/* remaining counts from authentication, not from the reconnect:
	 * S - 310 s + 1 ms left, rounded up */
	ck_assert_uint_eq(r->session_remaining, S_S - 10 - C_S + 1);

	/* logout: ended, the cookie is refused */
	tunnel_down(serial, VPN_END_USER_DISCONNECT, 100, 2, T0 + 400000);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(last_session(serial)->end_reason, VPN_END_USER_DISCONNECT);
	ck_assert_uint_eq(last_session(serial)->totals->bytes_in, 600);
	m = open_cookie(4, cookie, T0 + 400001);
	ck_assert_uint_eq(m->sm_open_reply->status, 401);
	ck_assert_uint_eq(count(IPC_SM_SESSION), 0);
	/* unknown and malformed cookies */
	cookie[3] = cookie[3] == 'A' ? 'B' : 'A';
	ck_assert_uint_eq(open_cookie(5, cookie, T0 + 400002)->sm_open_reply->status, 401);
	ck_assert_uint_eq(open_cookie(6, "short", T0 + 400002)->sm_open_reply->status, 401);
}
END_TEST

START_TEST(test_waiting_expires)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;
	vpn_ms_t drop = T0 + 5000;

	login_ok(1, T0, cookie, &serial);
	open_cookie(2, cookie, T0 + 100);
	tunnel_down(serial, VPN_END_TUNNEL_LOST, 0, 1, drop);
	clear_out();
	secmod_handle_expiry(sm, drop + C_S * 1000 - 1);
	ck_assert_uint_eq(n_out, 0);
	secmod_handle_expiry(sm, drop + C_S * 1000);
	ck_assert_uint_eq(n_out, 1);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(last_session(serial)->end_reason, VPN_END_COOKIE_EXPIRED);
	ck_assert(!last_session(serial)->forget);
	/* reaped later: main is told to forget it */
	clear_out();
	secmod_handle_expiry(sm, drop + C_S * 1000 + SESSIONS_ENDED_KEEP_MS);
	ck_assert_uint_eq(n_out, 1);
	ck_assert(last_session(serial)->forget);
	ck_assert_uint_eq(session_table_count(secmod_sessions(sm)), 0);
	ck_assert_uint_eq(secmod_expiry(sm), VPN_NEVER);
}
END_TEST

START_TEST(test_session_timeout_not_extended)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;

	login_ok(1, T0, cookie, &serial);
	open_cookie(2, cookie, T0 + 1000);
	tunnel_down(serial, VPN_END_CLIENT_RECONNECTING, 0, 1, T0 + 2000);
	ck_assert_uint_eq(open_cookie(3, cookie, T0 + 2500)->sm_open_reply->result,
			  VPN_CONNECT_RESUME);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + S_S * 1000);
	clear_out();
	secmod_handle_expiry(sm, T0 + S_S * 1000);
	ck_assert_uint_eq(last_session(serial)->end_reason, VPN_END_SESSION_TIMEOUT);
	ck_assert_uint_eq(last_session(serial)->resumes, 1);
}
END_TEST

START_TEST(test_takeover_and_old_tunnel)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;
	struct ipc_msg *m;

	login_ok(1, T0, cookie, &serial);
	open_cookie(2, cookie, T0 + 100);            /* attach 1 */
	m = open_cookie(3, cookie, T0 + 200);        /* attach 2: takeover */
	ck_assert_uint_eq(m->sm_open_reply->result, VPN_CONNECT_TAKEOVER);
	ck_assert_uint_eq(m->sm_open_reply->session->attaches, 2);
	/* the old tunnel's end, whatever it says, only adds counters */
	tunnel_down(serial, VPN_END_TUNNEL_LOST, 70, 1, T0 + 300);
	ck_assert_uint_eq(session_table_count_state(secmod_sessions(sm), VPN_SESSION_ACTIVE), 1);
	tunnel_down(serial, VPN_END_TAKEOVER, 30, -1, T0 + 300);
	ck_assert_uint_eq(session_table_count_state(secmod_sessions(sm), VPN_SESSION_ACTIVE), 1);
	/* the current one's end counts */
	tunnel_down(serial, VPN_END_TUNNEL_LOST, 5, 2, T0 + 400);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_WAITING);
	ck_assert_uint_eq(last_session(serial)->totals->bytes_in, 105);
	/* a late report about a session gone long ago is ignored */
	tunnel_down(999, VPN_END_TUNNEL_LOST, 5, 1, T0 + 500);
	ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_terminate)
{
	char c1[COOKIE_LEN + 1], c2[COOKIE_LEN + 1];
	uint64_t s1, s2;
	SmTerminate t = SM_TERMINATE__INIT;

	login_ok(1, T0, c1, &s1);
	login_ok(2, T0, c2, &s2);
	open_cookie(3, c1, T0 + 1);
	clear_out();
	t.serial = s2;
	t.reason = VPN_END_ADMIN_TERMINATE;
	ck_assert_int_eq(feed(IPC_SM_TERMINATE, &t.base, T0 + 2), 0);
	ck_assert_uint_eq(n_out, 1);
	ck_assert_uint_eq(last_session(s2)->end_reason, VPN_END_ADMIN_TERMINATE);
	/* serial 0: every live one (shutdown) */
	clear_out();
	t.serial = 0;
	t.reason = VPN_END_SERVER_SHUTDOWN;
	ck_assert_int_eq(feed(IPC_SM_TERMINATE, &t.base, T0 + 3), 0);
	ck_assert_uint_eq(n_out, 1);
	ck_assert_uint_eq(last_session(s1)->end_reason, VPN_END_SERVER_SHUTDOWN);
	/* any other reason is an admin terminate */
	login_ok(4, T0, c2, &s2);
	clear_out();
	t.serial = s2;
	t.reason = VPN_END_IDLE_TIMEOUT;
	feed(IPC_SM_TERMINATE, &t.base, T0 + 4);
	ck_assert_uint_eq(last_session(s2)->end_reason, VPN_END_ADMIN_TERMINATE);
}
END_TEST

START_TEST(test_max_same_waiting_superseded)
{
	char c1[COOKIE_LEN + 1], c2[COOKIE_LEN + 1];
	uint64_t s1, s2;

	configure(1, false);
	login_ok(1, T0, c1, &s1);
	open_cookie(2, c1, T0 + 10);
	tunnel_down(s1, VPN_END_TUNNEL_LOST, 0, 1, T0 + 20);
	/* the waiting one goes, the login succeeds, no probe */
	login_ok(3, T0 + 30, c2, &s2);
	ck_assert_uint_eq(count(IPC_SM_PROBE), 0);
	ck_assert_uint_eq(last_session(s1)->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(last_session(s1)->end_reason, VPN_END_SUPERSEDED);
	ck_assert_uint_eq(open_cookie(4, c1, T0 + 40)->sm_open_reply->status, 401);
}
END_TEST

/* An active session: probed; the answer decides. */
static uint64_t active_alice(char cookie[COOKIE_LEN + 1])
{
	uint64_t s;

	configure(1, false);
	login_ok(1, T0, cookie, &s);
	open_cookie(2, cookie, T0 + 10);
	return s;
}

static void probe_result(uint64_t serial, bool alive, vpn_ms_t now)
{
	SmProbeResult r = SM_PROBE_RESULT__INIT;

	clear_out();
	r.serial = serial;
	r.alive = alive;
	ck_assert_int_eq(feed(IPC_SM_PROBE_RESULT, &r.base, now), 0);
}

START_TEST(test_max_same_probe_silent)
{
	char c1[COOKIE_LEN + 1];
	uint64_t s1 = active_alice(c1);
	const SmProbe *p;
	const SmAuthReply *r;

	clear_out();
	auth(5, "alice", "secret", NULL, T0 + 60000);
	/* no answer yet: the active session is probed */
	ck_assert_uint_eq(count(IPC_SM_AUTH_REPLY), 0);
	p = nth(IPC_SM_PROBE, 0)->sm_probe;
	ck_assert_uint_eq(p->serial, s1);
	ck_assert_uint_eq(p->min_silence_ms, D_S * 1000);
	ck_assert_uint_eq(p->grace_ms, VPN_SAME_PROBE_GRACE_MS);
	ck_assert_uint_eq(secmod_expiry(sm),
			  T0 + 60000 + VPN_SAME_PROBE_GRACE_MS + SECMOD_PROBE_SLACK_MS);
	/* the worker answers "silent" after the grace: superseded, accepted */
	probe_result(s1, false, T0 + 60000 + VPN_SAME_PROBE_GRACE_MS);
	ck_assert_uint_eq(last_session(s1)->end_reason, VPN_END_SUPERSEDED);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert_uint_eq(r->request_id, 5);
	ck_assert(r->reply->ok);
	ck_assert_uint_eq(session_table_count_state(secmod_sessions(sm), VPN_SESSION_AUTHENTICATED), 1);
}
END_TEST

START_TEST(test_max_same_probe_alive)
{
	char c1[COOKIE_LEN + 1];
	uint64_t s1 = active_alice(c1);
	const SmAuthReply *r;

	clear_out();
	auth(5, "alice", "secret", NULL, T0 + 60000);
	ck_assert_uint_eq(count(IPC_SM_PROBE), 1);
	probe_result(s1, true, T0 + 60005);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok);
	ck_assert(r->too_many);
	ck_assert(!r->bad_credentials);
	ck_assert_uint_eq(count(IPC_SM_SESSION), 0);
	ck_assert_uint_eq(session_table_count_state(secmod_sessions(sm), VPN_SESSION_ACTIVE), 1);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + S_S * 1000);
	/* another user is not limited by alice's sessions */
	clear_out();
	auth(6, "bob", "hunter2", NULL, T0 + 60006);
	ck_assert(nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply->reply->ok);
}
END_TEST

START_TEST(test_max_same_probe_unanswered)
{
	char c1[COOKIE_LEN + 1];
	uint64_t s1 = active_alice(c1);
	vpn_ms_t deadline = T0 + 60000 + VPN_SAME_PROBE_GRACE_MS + SECMOD_PROBE_SLACK_MS;

	clear_out();
	auth(5, "alice", "secret", NULL, T0 + 60000);
	clear_out();
	secmod_handle_expiry(sm, deadline - 1);
	ck_assert_uint_eq(n_out, 0);
	/* no answer by the deadline: silent, superseded, accepted */
	secmod_handle_expiry(sm, deadline);
	ck_assert_uint_eq(last_session(s1)->end_reason, VPN_END_SUPERSEDED);
	ck_assert(nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply->reply->ok);
	/* left: the new session's cookie-timeout and the old one's reaping */
	ck_assert_uint_eq(secmod_expiry(sm),
			  deadline + (C_S * 1000 < SESSIONS_ENDED_KEEP_MS ? C_S * 1000
									: SESSIONS_ENDED_KEEP_MS));
	/* a late answer for it changes nothing */
	probe_result(s1, true, deadline + 1);
	ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_max_same_authenticated_counts)
{
	char c1[COOKIE_LEN + 1], c2[COOKIE_LEN + 1];
	uint64_t s1;
	const SmAuthReply *r;

	configure(1, false);
	login_ok(1, T0, c1, &s1);
	/* a cookie issued but never used is neither stale nor probed */
	clear_out();
	auth(2, "alice", "secret", NULL, T0 + 1000);
	r = nth(IPC_SM_AUTH_REPLY, 0)->sm_auth_reply;
	ck_assert(!r->reply->ok && r->too_many);
	ck_assert_uint_eq(count(IPC_SM_PROBE), 0);
	(void)c2;
}
END_TEST

START_TEST(test_list)
{
	char c[COOKIE_LEN + 1];
	uint64_t s;
	SmListRequest q = SM_LIST_REQUEST__INIT;
	size_t total = 0;

	for (int i = 0; i < 150; i++)
		login_ok((uint64_t)i + 1, T0, c, &s);
	open_cookie(500, c, T0 + 1);
	tunnel_down(s, VPN_END_USER_DISCONNECT, 0, 1, T0 + 2);
	clear_out();
	q.request_id = 77;
	ck_assert_int_eq(feed(IPC_SM_LIST_REQUEST, &q.base, T0 + 3), 0);
	/* 149 live records in chunks, the last one marked */
	for (size_t k = 0; k < n_out; k++) {
		ck_assert_int_eq(out[k].type, IPC_SM_LIST_REPLY);
		ck_assert_uint_eq(out[k].sm_list_reply->request_id, 77);
		ck_assert_uint_le(out[k].sm_list_reply->n_sessions, SECMOD_LIST_CHUNK);
		ck_assert(out[k].sm_list_reply->last == (k + 1 == n_out));
		total += out[k].sm_list_reply->n_sessions;
	}
	ck_assert_uint_eq(total, 149);
	ck_assert_uint_eq(n_out, 3);
	/* all: the ended one too */
	clear_out();
	q.has_all = q.all = true;
	feed(IPC_SM_LIST_REQUEST, &q.base, T0 + 3);
	total = 0;
	for (size_t k = 0; k < n_out; k++)
		total += out[k].sm_list_reply->n_sessions;
	ck_assert_uint_eq(total, 150);
	/* an empty table still answers, once */
	secmod_free(sm);
	sm = secmod_new(&ops, NULL);
	clear_out();
	feed(IPC_SM_LIST_REQUEST, &q.base, T0);
	ck_assert_uint_eq(n_out, 1);
	ck_assert(out[0].sm_list_reply->last);
	ck_assert_uint_eq(out[0].sm_list_reply->n_sessions, 0);
}
END_TEST

START_TEST(test_wrong_direction)
{
	SmAuthReply r = SM_AUTH_REPLY__INIT;
	AuthReply a = AUTH_REPLY__INIT;
	Terminate t = TERMINATE__INIT;

	r.request_id = 1;
	r.reply = &a;
	ck_assert_int_eq(feed(IPC_SM_AUTH_REPLY, &r.base, T0), -EPROTO);
	t.reason = 1;
	ck_assert_int_eq(feed(IPC_TERMINATE, &t.base, T0), -EPROTO);
	ck_assert_uint_eq(n_out, 0);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
	char c[COOKIE_LEN + 1];
	uint64_t s;
	struct secmod_session back;
	const struct secmod_session *orig;
	SmSession bad;
	TunnelStats tot;

	login_ok(1, T0, c, &s);
	open_cookie(2, c, T0 + 5);
	tunnel_down(s, VPN_END_DPD_TIMEOUT, 42, 1, T0 + 9);
	orig = session_table_find_serial(secmod_sessions(sm), s);
	ck_assert_int_eq(secmod_session_from_msg(last_session(s), &back), 0);
	ck_assert_uint_eq(back.serial, s);
	ck_assert_str_eq(back.sid, orig->sid);
	ck_assert_str_eq(back.username, "alice");
	ck_assert_int_eq(back.m.state, VPN_SESSION_WAITING);
	ck_assert_int_eq(back.m.drop_reason, VPN_END_DPD_TIMEOUT);
	ck_assert_uint_eq(back.m.drop_ms, T0 + 9);
	ck_assert_uint_eq(back.m.ended_ms, VPN_NEVER);
	ck_assert_uint_eq(vpn_session_expiry(&back.m), vpn_session_expiry(&orig->m));
	ck_assert_uint_eq(back.done.bytes_in, 42);
	ck_assert_str_eq(back.cookie, "");
	/* invalid snapshots */
	secmod_session_to_msg(orig, &bad, &tot);
	bad.serial = 0;
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), -EINVAL);
	secmod_session_to_msg(orig, &bad, &tot);
	bad.session_id = "not-hex";
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), -EINVAL);
	secmod_session_to_msg(orig, &bad, &tot);
	bad.state = 4;
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), -EINVAL);
	secmod_session_to_msg(orig, &bad, &tot);
	bad.end_reason = VPN_END_REASON_COUNT;
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), -EINVAL);
	/* an IPv6 lease is 16 bytes or nothing */
	secmod_session_to_msg(orig, &bad, &tot);
	ck_assert(!bad.has_ipv6);
	bad.has_ipv6 = true;
	bad.ipv6.len = 4;
	bad.ipv6.data = (uint8_t *)"\xfd\0\0\1";
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), -EINVAL);
	bad.ipv6.len = 0;
	ck_assert_int_eq(secmod_session_from_msg(&bad, &back), 0);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&back.ipv6));
}
END_TEST

START_TEST(test_ended_record_reaped_after_its_tunnel)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;

	login_ok(1, T0, cookie, &serial);
	open_cookie(2, cookie, T0 + 1000);
	/* session-timeout while the tunnel is up: ended, but a worker still
	 * holds it, so the record is not reaped yet */
	clear_out();
	secmod_handle_expiry(sm, T0 + S_S * 1000);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(secmod_expiry(sm), VPN_NEVER);
	/* the worker's goodbye done, its tunnel end arrives: reaped later */
	tunnel_down(serial, VPN_END_SESSION_TIMEOUT, 10, 1, T0 + S_S * 1000 + 50);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(last_session(serial)->end_reason, VPN_END_SESSION_TIMEOUT);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + S_S * 1000 + SESSIONS_ENDED_KEEP_MS);
	clear_out();
	secmod_handle_expiry(sm, T0 + S_S * 1000 + SESSIONS_ENDED_KEEP_MS);
	ck_assert(last_session(serial)->forget);
	ck_assert_uint_eq(session_table_count(secmod_sessions(sm)), 0);
}
END_TEST

/* --- the session store: a restart ------------------------------------------ */

static int64_t wall_now;

static int64_t wall_cb(void *opaque)
{
	return wall_now;
}

static const struct secmod_ops store_ops = {
	.send = send_cb, .check_password = check_pw, .wall_ms = wall_cb,
};

/* A sec-mod with its records in the file path, configured at mono now
 * (wall clock wall_now), as a new daemon starts. */
static struct secmod *start_with_store(const char *path, vpn_ms_t now)
{
	SmConfig c = SM_CONFIG__INIT;
	struct secmod *n = secmod_new(&store_ops, NULL);

	ck_assert_ptr_nonnull(n);
	c.passwd_file = "/etc/test-passwd";
	c.cookie_timeout = C_S;
	c.session_timeout = S_S;
	c.max_same_clients = 0;
	c.dpd = D_S;
	c.session_store = (char *)path;
	clear_out();
	secmod_free(sm);
	sm = n;
	ck_assert_int_eq(feed(IPC_SM_CONFIG, &c.base, now), 0);
	return n;
}

/* Alice connected (her tunnel up with 192.168.77.83) under one sec-mod;
 * it stops (main closed its end: the restart), a new one starts with the
 * same file, on another monotonic clock: the session is back, waiting, its
 * address reported to main, and her cookie resumes it. A start after the
 * resume deadline ends it instead, and the cookie gets 401. */
START_TEST(test_store_restart)
{
	char dir[] = "/tmp/test-sec-mod-XXXXXX", path[64], cookie[COOKIE_LEN + 1];
	const vpn_ms_t T1 = 7000000; /* the new process's clock */
	const int64_t W0 = 1764700000000;
	SmTunnelUp up = SM_TUNNEL_UP__INIT;
	/* fd00:77::5 */
	uint8_t v6[16] = { 0xfd, 0, 0, 0x77, [15] = 5 };
	const SmSession *ss;
	struct ipc_msg *m;
	uint64_t serial;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s/sessions.db", dir);
	wall_now = W0;
	start_with_store(path, T0);
	/* the wall clock moves with the monotonic one: W0 at T0 */
	login_ok(1, T0, cookie, &serial);
	wall_now = W0 + 1000;
	ck_assert_uint_eq(open_cookie(2, cookie, T0 + 1000)->sm_open_reply->status, 200);
	up.serial = serial;
	up.has_ipv4 = true;
	up.ipv4 = 0x534da8c0u;
	up.has_ipv6 = true;
	up.ipv6.len = sizeof(v6);
	up.ipv6.data = v6;
	wall_now = W0 + 1100;
	ck_assert_int_eq(feed(IPC_SM_TUNNEL_UP, &up.base, T0 + 1100), 0);
	wall_now = W0 + 5000;
	tunnel_down(serial, VPN_END_SERVER_RESTART, 700, 1, T0 + 5000);
	ck_assert_uint_eq(last_session(serial)->state, VPN_SESSION_WAITING);
	wall_now = W0 + 6000;
	secmod_store_close(sm, T0 + 6000);

	/* 20 s after the drop, another process */
	wall_now = W0 + 25000;
	start_with_store(path, T1);
	ss = last_session(serial);
	ck_assert_ptr_nonnull(ss);
	ck_assert_uint_eq(ss->state, VPN_SESSION_WAITING);
	ck_assert_uint_eq(ss->drop_reason, VPN_END_SERVER_RESTART);
	ck_assert_uint_eq(ss->restarts, 1);
	ck_assert_uint_eq(ss->ipv4, 0x534da8c0u);
	/* the IPv6 lease came back with it */
	ck_assert(ss->has_ipv6);
	ck_assert_uint_eq(ss->ipv6.len, sizeof(v6));
	ck_assert_mem_eq(ss->ipv6.data, v6, sizeof(v6));
	ck_assert_uint_eq(ss->totals->bytes_in, 700);
	/* dropped 20 s ago on the new clock: drop + C */
	ck_assert_uint_eq(ss->drop_ms, T1 - 20000);
	ck_assert_uint_eq(secmod_expiry(sm), T1 - 20000 + C_S * 1000);
	wall_now = W0 + 26000;
	m = open_cookie(3, cookie, T1 + 1000);
	ck_assert_uint_eq(m->sm_open_reply->status, 200);
	ck_assert_uint_eq(m->sm_open_reply->result, VPN_CONNECT_RESUME);
	ck_assert_uint_eq(m->sm_open_reply->session->resumes, 1);
	ck_assert_uint_eq(m->sm_open_reply->session->serial, serial);
	/* session-timeout still counts from the login, 25 s before the start */
	ck_assert_uint_eq(m->sm_open_reply->session_remaining, S_S - 26);
	/* a new login gets a serial above the restored ones */
	{
		char c2[COOKIE_LEN + 1];
		uint64_t s2;

		wall_now = W0 + 27000;
		login_ok(4, T1 + 2000, c2, &s2);
		ck_assert_uint_gt(s2, serial);
	}
	/* the daemon dies with the session active: it waits from the last
	 * alive time, and a start after drop + C ends it */
	wall_now = W0 + 30000;
	secmod_store_alive(sm);
	secmod_free(sm); /* no orderly close: as a crash */
	sm = NULL;
	wall_now = W0 + 30000 + C_S * 1000;
	start_with_store(path, T1);
	ss = last_session(serial);
	ck_assert_ptr_nonnull(ss);
	ck_assert_uint_eq(ss->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(ss->end_reason, VPN_END_COOKIE_EXPIRED);
	ck_assert_uint_eq(open_cookie(5, cookie, T1 + 10)->sm_open_reply->status, 401);
	{
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* A file written by a newer version: sec-mod refuses to run. */
START_TEST(test_store_newer_refused)
{
	char dir[] = "/tmp/test-sec-mod-XXXXXX", path[64], cmd[160];
	SmConfig c = SM_CONFIG__INIT;
	struct secmod *n = secmod_new(&store_ops, NULL);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sessions.db", dir);
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'PRAGMA user_version = 9' 2>/dev/null", path);
	if (system(cmd) != 0) {
		secmod_free(n);
		return; /* no sqlite3 tool: test-store covers the refusal */
	}
	c.passwd_file = "/etc/test-passwd";
	c.cookie_timeout = C_S;
	c.dpd = D_S;
	c.session_store = path;
	secmod_free(sm);
	sm = n;
	ck_assert_int_eq(feed(IPC_SM_CONFIG, &c.base, T0), SECMOD_E_STORE);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* session-timeout and cookie-timeout of a per-user or per-group file: main
 * sends them right after the login; sec-mod enforces them from then on. */
START_TEST(test_session_timers_from_files)
{
	char cookie[COOKIE_LEN + 1];
	uint64_t serial;
	SmSessionTimers t = SM_SESSION_TIMERS__INIT;
	const SmSession *s;

	login_ok(1, T0, cookie, &serial);
	clear_out();
	t.serial = serial;
	t.has_session_timeout = t.has_session_timeout_from = true;
	t.session_timeout = 100;
	t.session_timeout_from = CONFIG_ORIGIN_USER;
	t.has_cookie_timeout = t.has_cookie_timeout_from = true;
	t.cookie_timeout = 50;
	t.cookie_timeout_from = CONFIG_ORIGIN_GROUP;
	ck_assert_int_eq(feed(IPC_SM_SESSION_TIMERS, &t.base, T0 + 10), 0);
	s = last_session(serial);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->session_timeout_ms, 100000);
	ck_assert_uint_eq(s->cookie_timeout_ms, 50000);
	ck_assert_ptr_nonnull(s->attrs);
	ck_assert_uint_eq(s->attrs->session_timeout_from, CONFIG_ORIGIN_USER);
	ck_assert_uint_eq(s->attrs->cookie_timeout_from, CONFIG_ORIGIN_GROUP);
	ck_assert(!s->attrs->radius);
	/* a CONNECT, then the session's own timeout, counted from the login */
	ck_assert_uint_eq(open_cookie(2, cookie, T0 + 1000)->sm_open_reply->status, 200);
	ck_assert_uint_eq(secmod_expiry(sm), T0 + 100000);
	clear_out();
	secmod_handle_expiry(sm, T0 + 100000);
	s = last_session(serial);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->state, VPN_SESSION_ENDED);
	ck_assert_uint_eq(s->end_reason, VPN_END_SESSION_TIMEOUT);
	/* an unknown or ended session: nothing */
	clear_out();
	t.serial = 999;
	ck_assert_int_eq(feed(IPC_SM_SESSION_TIMERS, &t.base, T0 + 100001), 0);
	t.serial = serial;
	ck_assert_int_eq(feed(IPC_SM_SESSION_TIMERS, &t.base, T0 + 100002), 0);
	ck_assert_uint_eq(n_out, 0);
}
END_TEST

static Suite *sec_mod_suite(void)
{
	Suite *s = suite_create("sec-mod");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_login_failures);
	tcase_add_test(tc, test_multi_round_otp);
	tcase_add_test(tc, test_not_configured);
	tcase_add_test(tc, test_open_resume_and_401);
	tcase_add_test(tc, test_waiting_expires);
	tcase_add_test(tc, test_session_timeout_not_extended);
	tcase_add_test(tc, test_takeover_and_old_tunnel);
	tcase_add_test(tc, test_terminate);
	tcase_add_test(tc, test_ended_record_reaped_after_its_tunnel);
	tcase_add_test(tc, test_max_same_waiting_superseded);
	tcase_add_test(tc, test_max_same_probe_silent);
	tcase_add_test(tc, test_max_same_probe_alive);
	tcase_add_test(tc, test_max_same_probe_unanswered);
	tcase_add_test(tc, test_max_same_authenticated_counts);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_wrong_direction);
	tcase_add_test(tc, test_snapshot_roundtrip);
	tcase_add_test(tc, test_store_restart);
	tcase_add_test(tc, test_store_newer_refused);
	tcase_add_test(tc, test_session_timers_from_files);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(sec_mod_suite)
