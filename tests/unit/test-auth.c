/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sec-mod's offload pool (offload.h) and the chain of authentication
 * factors (auth.h). The pool's tests run real threads on a real libev loop;
 * nothing sleeps: a job that must stay running waits on a gate the test
 * opens, and the test waits for results in ev_run().
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sec-mod/auth.h"
#include "sec-mod/offload.h"
#include "sec-mod/pam-helper.h"

#include "test-main.h"

/* --- the pool ---------------------------------------------------------------- */

struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	unsigned waiting;	/* jobs blocked on it */
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };

struct tjob {
	bool ran;
	bool done;
	bool cancelled;
	bool gated;
	pthread_t thread;
	unsigned *n_done;
};

static void tjob_work(void *arg)
{
	struct tjob *j = arg;

	j->thread = pthread_self();
	if (j->gated) {
		pthread_mutex_lock(&gate.mu);
		gate.waiting++;
		pthread_cond_broadcast(&gate.cv);
		while (!gate.open)
			pthread_cond_wait(&gate.cv, &gate.mu);
		pthread_mutex_unlock(&gate.mu);
	}
	j->ran = true;
}

static void tjob_done(void *arg, bool cancelled)
{
	struct tjob *j = arg;

	ck_assert(!j->done); /* exactly once */
	j->done = true;
	j->cancelled = cancelled;
	(*j->n_done)++;
}

static void gate_reset(void)
{
	gate.open = false;
	gate.waiting = 0;
}

/* Wait until n jobs block on the gate (they are running). */
static void gate_wait_running(unsigned n)
{
	pthread_mutex_lock(&gate.mu);
	while (gate.waiting < n)
		pthread_cond_wait(&gate.cv, &gate.mu);
	pthread_mutex_unlock(&gate.mu);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.open = true;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

static void run_until(struct ev_loop *loop, const unsigned *n, unsigned want)
{
	while (*n < want)
		ev_run(loop, EVRUN_ONCE);
}

START_TEST(test_offload_runs_off_the_loop)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct offload *o = offload_new(loop, 3, 100);
	struct tjob jobs[50] = { 0 };
	unsigned n_done = 0;
	uint64_t id, last = 0;

	ck_assert_ptr_nonnull(o);
	for (size_t i = 0; i < 50; i++) {
		jobs[i].n_done = &n_done;
		ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &jobs[i], &id), 0);
		ck_assert_uint_gt(id, last);
		last = id;
	}
	/* never from inside submit */
	ck_assert_uint_eq(n_done, 0);
	run_until(loop, &n_done, 50);
	for (size_t i = 0; i < 50; i++) {
		ck_assert(jobs[i].ran && jobs[i].done && !jobs[i].cancelled);
		ck_assert(!pthread_equal(jobs[i].thread, pthread_self()));
	}
	ck_assert_uint_eq(offload_pending(o), 0);
	offload_free(o);
	ev_loop_destroy(loop);
}
END_TEST

/* A full queue refuses at once; a cancelled queued job never runs; a
 * cancelled running one finishes but reports cancelled. */
START_TEST(test_offload_bound_and_cancel)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct offload *o = offload_new(loop, 1, 2);
	struct tjob run = { .gated = true }, q1 = { 0 }, q2 = { 0 }, extra = { 0 };
	unsigned n_done = 0;
	uint64_t id_run, id_q1, id_q2, id;

	gate_reset();
	run.n_done = q1.n_done = q2.n_done = extra.n_done = &n_done;
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &run, &id_run), 0);
	gate_wait_running(1);
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &q1, &id_q1), 0);
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &q2, &id_q2), 0);
	ck_assert_uint_eq(offload_pending(o), 3);
	/* two queued: the bound */
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &extra, &id), -EBUSY);
	offload_cancel(o, id_q1);
	run_until(loop, &n_done, 1);
	ck_assert(q1.done && q1.cancelled && !q1.ran);
	/* room again */
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &extra, &id), 0);
	offload_cancel(o, id_run);
	offload_cancel(o, 12345); /* unknown: ignored */
	ck_assert(!run.done);
	gate_open();
	run_until(loop, &n_done, 4);
	ck_assert(run.ran && run.done && run.cancelled);
	ck_assert(q2.ran && q2.done && !q2.cancelled);
	ck_assert(extra.ran && extra.done && !extra.cancelled);
	offload_free(o);
	ev_loop_destroy(loop);
}
END_TEST

/* Freeing the pool cancels what is queued and waits for what runs. */
START_TEST(test_offload_free_cancels)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct offload *o = offload_new(loop, 1, 8);
	struct tjob run = { .gated = true }, q = { 0 };
	unsigned n_done = 0;
	uint64_t id;

	gate_reset();
	run.n_done = q.n_done = &n_done;
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &run, &id), 0);
	gate_wait_running(1);
	ck_assert_int_eq(offload_submit(o, tjob_work, tjob_done, &q, &id), 0);
	gate_open();
	offload_free(o);
	ck_assert_uint_eq(n_done, 2);
	ck_assert(run.ran && run.cancelled);
	ck_assert(q.cancelled);
	ev_loop_destroy(loop);
	ck_assert_ptr_null(offload_new(loop, 0, 8));
}
END_TEST

/* --- the chain ----------------------------------------------------------------- */

/* "pw": accepts the password "pw" (groups g1,g2). "code": asks "Code:",
 * accepts "123", asks again after "again". */
static void pw_start(struct auth_step *st, const char *answer)
{
	struct auth_result r = { .verdict = AUTH_REJECT, .message = "wrong" };

	if (answer != NULL && strcmp(answer, "pw") == 0)
		r = (struct auth_result){ .verdict = AUTH_ACCEPT, .groups = "g1,g2" };
	auth_step_done(st, &r);
}

static const struct auth_backend pw_backend = { .name = "pw", .start = pw_start };

static void code_start(struct auth_step *st, const char *answer)
{
	const struct auth_result r = { .verdict = AUTH_CONTINUE, .prompt = "Code:",
				       .message = "Enter your code" };

	ck_assert_ptr_null(answer);
	*auth_step_state(st) = strdup("state");
	auth_step_done(st, &r);
}

static void code_answer(struct auth_step *st, const char *answer)
{
	struct auth_result r = { .verdict = AUTH_REJECT, .message = "wrong code" };

	ck_assert_str_eq(*auth_step_state(st), "state");
	if (strcmp(answer, "123") == 0)
		r = (struct auth_result){ .verdict = AUTH_ACCEPT };
	else if (strcmp(answer, "again") == 0)
		r = (struct auth_result){ .verdict = AUTH_CONTINUE, .prompt = "Code again:" };
	auth_step_done(st, &r);
}

static unsigned released;

static void code_release(struct auth_step *st)
{
	free(*auth_step_state(st));
	released++;
}

static const struct auth_backend code_backend = {
	.name = "code", .start = code_start, .answer = code_answer, .release = code_release,
};

struct verdicts {
	unsigned n;
	enum auth_verdict last;
	char prompt[64];
	char groups[64];
	bool free_in_callback;
};

static void on_done(void *opaque, struct auth_login *l, const struct auth_result *r)
{
	struct verdicts *v = opaque;

	v->n++;
	v->last = r->verdict;
	snprintf(v->prompt, sizeof(v->prompt), "%s", r->prompt != NULL ? r->prompt : "");
	snprintf(v->groups, sizeof(v->groups), "%s", r->groups != NULL ? r->groups : "");
	if (v->free_in_callback)
		auth_login_free(l);
}

static const struct auth_info info = { .username = "u", .remote_ip = "10.0.0.1", .passwd_fd = -1 };

START_TEST(test_chain_two_factors)
{
	const struct auth_factor f[] = { { &pw_backend, NULL }, { &code_backend, NULL } };
	struct auth_chain *c = auth_chain_new(f, 2, NULL);
	struct verdicts v = { 0 };
	struct auth_login *l = auth_login_new(c, &info, on_done, &v);

	released = 0;
	auth_login_start(l, "pw");
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.last, AUTH_CONTINUE);
	ck_assert_str_eq(v.prompt, "Code:");
	auth_login_answer(l, "again");
	ck_assert_int_eq(v.last, AUTH_CONTINUE);
	ck_assert_str_eq(v.prompt, "Code again:");
	auth_login_answer(l, "123");
	ck_assert_uint_eq(v.n, 3);
	ck_assert_int_eq(v.last, AUTH_ACCEPT);
	/* the first factor's groups */
	ck_assert_str_eq(v.groups, "g1,g2");
	ck_assert_uint_eq(released, 1);
	/* no answer expected any more */
	auth_login_answer(l, "123");
	ck_assert_uint_eq(v.n, 3);
	auth_login_free(l);
	auth_chain_free(c);
}
END_TEST

START_TEST(test_chain_rejects)
{
	const struct auth_factor f[] = { { &pw_backend, NULL }, { &code_backend, NULL } };
	struct auth_chain *c = auth_chain_new(f, 2, NULL);
	struct verdicts v = { 0 };
	struct auth_login *l = auth_login_new(c, &info, on_done, &v);

	/* a wrong first factor: the second never starts */
	released = 0;
	auth_login_start(l, "nope");
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.last, AUTH_REJECT);
	auth_login_free(l);
	ck_assert_uint_eq(released, 0);

	/* a wrong second factor, the login freed from its own callback */
	v = (struct verdicts){ .free_in_callback = true };
	l = auth_login_new(c, &info, on_done, &v);
	v.free_in_callback = false;
	auth_login_start(l, "pw");
	v.free_in_callback = true;
	auth_login_answer(l, "999");
	ck_assert_int_eq(v.last, AUTH_REJECT);
	ck_assert_uint_eq(released, 1);

	/* a login dropped while its second form waits: the state is released */
	v = (struct verdicts){ 0 };
	l = auth_login_new(c, &info, on_done, &v);
	auth_login_start(l, "pw");
	auth_login_free(l);
	ck_assert_uint_eq(released, 2);
	auth_chain_free(c);
	ck_assert_ptr_null(auth_chain_new(f, 0, NULL));
	ck_assert_ptr_null(auth_chain_new(f, AUTH_MAX_FACTORS + 1, NULL));
}
END_TEST

/* --- plain, on the pool ------------------------------------------------------------ */

static unsigned checks;

static int check_pw(void *opaque, const char *file, int fd, const char *user, const char *pw,
		    char *groups, size_t len)
{
	(void)opaque;
	(void)fd;
	__atomic_add_fetch(&checks, 1, __ATOMIC_SEQ_CST);
	ck_assert_str_eq(file, "/etc/x");
	if (strcmp(user, "gated") == 0) {
		pthread_mutex_lock(&gate.mu);
		gate.waiting++;
		pthread_cond_broadcast(&gate.cv);
		while (!gate.open)
			pthread_cond_wait(&gate.cv, &gate.mu);
		pthread_mutex_unlock(&gate.mu);
	}
	if (strcmp(user, "u") != 0)
		return strcmp(user, "io") == 0 ? -EIO : -ENOENT;
	snprintf(groups, len, "staff");
	return strcmp(pw, "good") == 0 ? 0 : -EACCES;
}

static struct offload *pool;

static int submit(void *opaque, offload_work_fn work, offload_done_fn done, void *arg,
		  uint64_t *id)
{
	return offload_submit(opaque, work, done, arg, id);
}

static void cancel(void *opaque, uint64_t id)
{
	offload_cancel(opaque, id);
}

START_TEST(test_plain_on_the_pool)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	const struct auth_plain_cfg cfg = { .passwd_file = "/etc/x", .check = check_pw };
	const struct auth_factor f = { &auth_backend_plain, (void *)&cfg };
	struct auth_exec x = { submit, cancel, NULL, NULL };
	struct auth_chain *c;
	struct verdicts v = { .free_in_callback = true }, v2 = { 0 };
	struct auth_info gated = info;
	struct auth_login *l;

	pool = offload_new(loop, 2, 4);
	x.opaque = pool;
	c = auth_chain_new(&f, 1, &x);
	l = auth_login_new(c, &info, on_done, &v);
	auth_login_start(l, "good");
	ck_assert_uint_eq(v.n, 0); /* not on the loop */
	run_until(loop, &v.n, 1);
	ck_assert_int_eq(v.last, AUTH_ACCEPT);
	ck_assert_str_eq(v.groups, "staff");

	l = auth_login_new(c, &info, on_done, &v);
	auth_login_start(l, "bad");
	run_until(loop, &v.n, 2);
	ck_assert_int_eq(v.last, AUTH_REJECT);

	gated.username = "io";
	l = auth_login_new(c, &gated, on_done, &v);
	auth_login_start(l, "x");
	run_until(loop, &v.n, 3);
	ck_assert_int_eq(v.last, AUTH_ERROR);

	/* a login that goes away while its check runs hears nothing */
	gate_reset();
	gated.username = "gated";
	checks = 0;
	l = auth_login_new(c, &gated, on_done, &v2);
	auth_login_start(l, "x");
	gate_wait_running(1);
	auth_login_free(l);
	gate_open();
	while (offload_pending(pool) > 0 || checks == 0)
		ev_run(loop, EVRUN_NOWAIT);
	ev_run(loop, EVRUN_NOWAIT);
	ck_assert_uint_eq(v2.n, 0);
	auth_chain_free(c);
	offload_free(pool);
	ev_loop_destroy(loop);
}
END_TEST

/* A full pool: the login is refused as busy at once. */
START_TEST(test_plain_busy)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	const struct auth_plain_cfg cfg = { .passwd_file = "/etc/x", .check = check_pw };
	const struct auth_factor f = { &auth_backend_plain, (void *)&cfg };
	struct auth_exec x = { submit, cancel, NULL, NULL };
	struct auth_chain *c;
	struct verdicts v = { 0 };
	struct auth_info gated = info;
	struct auth_login *l[3];

	gate_reset();
	pool = offload_new(loop, 1, 1);
	x.opaque = pool;
	c = auth_chain_new(&f, 1, &x);
	gated.username = "gated";
	for (size_t i = 0; i < 3; i++) {
		l[i] = auth_login_new(c, &gated, on_done, &v);
		auth_login_start(l[i], "x");
		if (i == 0)
			gate_wait_running(1);
	}
	/* one running, one queued, the third refused */
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.last, AUTH_BUSY);
	gate_open();
	run_until(loop, &v.n, 3);
	ck_assert_int_eq(v.last, AUTH_REJECT);
	for (size_t i = 0; i < 3; i++)
		auth_login_free(l[i]);
	auth_chain_free(c);
	offload_free(pool);
	ev_loop_destroy(loop);
}
END_TEST

/* The PAM helper's START text (pam-helper.h). */
START_TEST(test_pamh_parse_start)
{
	static const char good[] = "alice\0" "192.0.2.7\0" "1000";
	const char *user, *rhost;
	gid_t g;

	ck_assert_int_eq(pamh_parse_start(good, sizeof(good) - 1, &user, &rhost, &g), 0);
	ck_assert_str_eq(user, "alice");
	ck_assert_str_eq(rhost, "192.0.2.7");
	ck_assert_uint_eq(g, 1000);
	/* no user; two fields; gid-min not a number, negative, too large */
	ck_assert_int_eq(pamh_parse_start("\0" "a\0" "1", 4, &user, &rhost, &g), -1);
	ck_assert_int_eq(pamh_parse_start("u\0" "a", 3, &user, &rhost, &g), -1);
	ck_assert_int_eq(pamh_parse_start("u\0" "a\0" "x", 5, &user, &rhost, &g), -1);
	ck_assert_int_eq(pamh_parse_start("u\0" "a\0" "-1", 6, &user, &rhost, &g), -1);
	ck_assert_int_eq(pamh_parse_start("u\0" "a\0" "99999999999", 15, &user, &rhost, &g), -1);
	ck_assert_int_eq(pamh_parse_start("u\0" "a\0" "", 4, &user, &rhost, &g), -1);
}
END_TEST

/* Messages through a real socketpair, with a descriptor along. */
START_TEST(test_pamh_messages)
{
	int sp[2], fd = -1, pass[2];
	char buf[PAMH_MAX_MSG + 1], big[PAMH_MAX_MSG + 1];
	enum pamh_type t;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pass), 0);
	ck_assert_int_eq(pamh_send(sp[0], PAMH_PROMPT, "Password: ", 10, pass[1]), 0);
	ck_assert_int_eq(pamh_recv(sp[1], &t, buf, sizeof(buf), &fd), 10);
	ck_assert_int_eq(t, PAMH_PROMPT);
	ck_assert_str_eq(buf, "Password: ");
	ck_assert_int_ge(fd, 0);
	close(fd);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(pamh_send(sp[0], PAMH_INFO, big, sizeof(big), -1), -EMSGSIZE);
	ck_assert_int_eq(pamh_send(sp[0], PAMH_INFO, big, PAMH_MAX_MSG, -1), 0);
	ck_assert_int_eq(pamh_recv(sp[1], &t, buf, sizeof(buf), NULL), PAMH_MAX_MSG);
	/* a buffer too small for it */
	ck_assert_int_eq(pamh_send(sp[0], PAMH_INFO, "abc", 3, -1), 0);
	ck_assert_int_eq(pamh_recv(sp[1], &t, buf, 3, NULL), -EPROTO);
	close(sp[0]);
	ck_assert_int_eq(pamh_recv(sp[1], &t, buf, sizeof(buf), NULL), -EPIPE);
	close(sp[1]);
	close(pass[0]);
	close(pass[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_offload_runs_off_the_loop);
	tcase_add_test(tc, test_offload_bound_and_cancel);
	tcase_add_test(tc, test_offload_free_cancels);
	tcase_add_test(tc, test_chain_two_factors);
	tcase_add_test(tc, test_chain_rejects);
	tcase_add_test(tc, test_plain_on_the_pool);
	tcase_add_test(tc, test_plain_busy);
	tcase_add_test(tc, test_pamh_parse_start);
	tcase_add_test(tc, test_pamh_messages);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
