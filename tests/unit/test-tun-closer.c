/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* pipe2 */

/*
 * The tun closer (main/tun-closer.h) with pipes standing in for devices:
 * the thread closes the write end, and the read end then reads EOF, so a
 * done callback can check that its fd really is closed when it runs. No
 * sleeps: the loop waits for the thread's ev_async.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "main/tun-closer.h"
#include "test-main.h"

#define N 64

struct probe {
	int rd;			/* read end, kept by the test */
	int order;		/* position among the done callbacks; -1: not run */
	bool was_closed;	/* the write end was closed when done ran */
};

static int done_count;

static void probe_done(void *arg)
{
	struct probe *p = arg;
	char c;

	p->order = done_count++;
	p->was_closed = read(p->rd, &c, 1) == 0;
}

static void probes_open(struct probe *p, int *wr, int n)
{
	done_count = 0;
	for (int i = 0; i < n; i++) {
		int fds[2];

		ck_assert_int_eq(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
		p[i] = (struct probe){ .rd = fds[0], .order = -1 };
		wr[i] = fds[1];
	}
}

static void probes_check(struct probe *p, const int *wr, int n)
{
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(p[i].order, i); /* in the order handed over */
		ck_assert(p[i].was_closed);
		/* the number is free again: the thread closed it */
		ck_assert_int_eq(fcntl(wr[i], F_GETFD), -1);
		close(p[i].rd);
	}
}

START_TEST(test_closes_in_order_then_done)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tun_closer *c = tun_closer_new(loop);
	struct probe p[N];
	int wr[N];

	ck_assert_ptr_nonnull(c);
	probes_open(p, wr, N);
	for (int i = 0; i < N; i++)
		tun_closer_close(c, wr[i], probe_done, &p[i]);
	/* done never runs inside tun_closer_close */
	ck_assert_int_eq(done_count, 0);
	ck_assert_uint_eq(tun_closer_pending(c), N);
	while (done_count < N)
		ev_run(loop, EVRUN_ONCE);
	ck_assert_uint_eq(tun_closer_pending(c), 0);
	probes_check(p, wr, N);
	tun_closer_free(c);
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_free_drains)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tun_closer *c = tun_closer_new(loop);
	struct probe p[N];
	int wr[N];

	ck_assert_ptr_nonnull(c);
	probes_open(p, wr, N);
	for (int i = 0; i < N; i++)
		tun_closer_close(c, wr[i], i % 2 ? probe_done : NULL, &p[i]);
	/* the loop never runs: free closes everything and runs every done */
	tun_closer_free(c);
	ck_assert_int_eq(done_count, N / 2);
	for (int i = 0; i < N; i++) {
		char ch;

		ck_assert_int_eq(read(p[i].rd, &ch, 1), 0);
		ck_assert_int_eq(fcntl(wr[i], F_GETFD), -1);
		if (i % 2)
			ck_assert_int_eq(p[i].order, i / 2);
		close(p[i].rd);
	}
	ev_loop_destroy(loop);
}
END_TEST

START_TEST(test_no_thread_closes_on_the_spot)
{
	struct probe p[1];
	int wr[1];

	probes_open(p, wr, 1);
	tun_closer_close(NULL, wr[0], probe_done, &p[0]);
	ck_assert_int_eq(done_count, 1);
	ck_assert_uint_eq(tun_closer_pending(NULL), 0);
	probes_check(p, wr, 1);
	tun_closer_free(NULL);
}
END_TEST

START_TEST(test_idle_free)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tun_closer *c = tun_closer_new(loop);

	ck_assert_ptr_nonnull(c);
	tun_closer_free(c);
	ev_loop_destroy(loop);
}
END_TEST

static Suite *tun_closer_suite(void)
{
	Suite *s = suite_create("tun-closer");
	TCase *tc = tcase_create("tun-closer");

	tcase_add_test(tc, test_closes_in_order_then_done);
	tcase_add_test(tc, test_free_drains);
	tcase_add_test(tc, test_no_thread_closes_on_the_spot);
	tcase_add_test(tc, test_idle_free);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tun_closer_suite)
