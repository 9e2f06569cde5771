/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the worker's buffered TLS transport (src/worker/worker-tlsio.c)
 * over a non-blocking socketpair: one recv() serves many pulls, pushes gather
 * until a flush, a full socket turns into EAGAIN only when the out buffer has
 * no room either, and nothing is lost or reordered. No sleeps, no clock.
 */
#include "config.h"

#include "worker/worker-tlsio.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "test-main.h"

static int sv[2];	/* sv[0]: the worker's end (non-blocking), sv[1]: the peer */
static struct tlsio io;

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(tlsio_init(&io, sv[0]), 0);
}

static void teardown(void)
{
	tlsio_free(&io);
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* Read everything the peer can read now into buf (at most max). */
static size_t peer_drain(uint8_t *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = recv(sv[1], buf + got, max - got, 0)) > 0)
		got += (size_t)n;
	return got;
}

START_TEST(test_pull_one_recv_many_pulls)
{
	uint8_t data[3000], out[3000];
	size_t got = 0;

	fill(data, sizeof(data), 1);
	ck_assert_int_eq(send(sv[1], data, sizeof(data), 0), (ssize_t)sizeof(data));
	/* a record header first, as GnuTLS asks: the whole lot is read at once */
	ck_assert_int_eq(tlsio_pull(&io, out, 5), 5);
	ck_assert_uint_eq(io.in_end, sizeof(data));
	ck_assert(tlsio_in_pending(&io));
	got = 5;
	while (got < sizeof(data)) {
		ssize_t n = tlsio_pull(&io, out + got, 1000);

		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(out, data, sizeof(data));
	ck_assert(!tlsio_in_pending(&io));
	/* nothing more: the socket's EAGAIN, which GnuTLS turns into its own */
	errno = 0;
	ck_assert_int_eq(tlsio_pull(&io, out, 10), -1);
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
}
END_TEST

START_TEST(test_pull_timeout_and_eof)
{
	uint8_t b[4];

	ck_assert_int_eq(tlsio_pull_timeout(&io, 0), 0);
	ck_assert_int_eq(send(sv[1], "abcd", 4, 0), 4);
	ck_assert_int_eq(tlsio_pull_timeout(&io, 0), 1);
	ck_assert_int_eq(tlsio_pull(&io, b, 1), 1);
	/* three bytes are in the buffer, none in the socket: still readable */
	ck_assert_int_eq(tlsio_pull_timeout(&io, 0), 1);
	ck_assert_int_eq(tlsio_pull(&io, b, 4), 3);
	ck_assert_mem_eq(b, "bcd", 3);
	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(tlsio_pull(&io, b, 4), 0);
}
END_TEST

START_TEST(test_push_gathers_until_flush)
{
	uint8_t rec[3][1500], got[4500];

	for (int i = 0; i < 3; i++) {
		fill(rec[i], sizeof(rec[i]), (unsigned)i * 50);
		ck_assert_int_eq(tlsio_push(&io, rec[i], sizeof(rec[i])), (ssize_t)sizeof(rec[i]));
	}
	/* nothing left yet: the records wait for the flush */
	ck_assert_uint_eq(peer_drain(got, sizeof(got)), 0);
	ck_assert(tlsio_out_pending(&io));
	ck_assert_int_eq(tlsio_flush(&io), 0);
	ck_assert(!tlsio_out_pending(&io));
	ck_assert_uint_eq(io.sends, 1);
	ck_assert_uint_eq(peer_drain(got, sizeof(got)), sizeof(got));
	ck_assert_mem_eq(got, rec[0], 1500);
	ck_assert_mem_eq(got + 1500, rec[1], 1500);
	ck_assert_mem_eq(got + 3000, rec[2], 1500);
	/* an empty buffer flushes to nothing */
	ck_assert_int_eq(tlsio_flush(&io), 0);
	ck_assert_uint_eq(io.sends, 1);
}
END_TEST

/*
 * A peer that reads nothing: pushes go on while the out buffer has room or a
 * send() can make some, then EAGAIN; the refused record is offered again
 * after the peer read, and the peer gets every accepted byte in order.
 */
START_TEST(test_full_socket_back_pressure)
{
	enum { REC = 1469 };
	static uint8_t sent[8u << 20], got[8u << 20];
	uint8_t rec[REC];
	size_t accepted = 0, received = 0;
	int sndbuf = 4096;
	unsigned seq = 0;
	ssize_t r;

	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	for (;;) {
		fill(rec, REC, seq);
		r = tlsio_push(&io, rec, REC);
		if (r < 0)
			break;
		ck_assert_int_eq(r, REC);
		ck_assert_uint_le(accepted + REC, sizeof(sent));
		memcpy(sent + accepted, rec, REC);
		accepted += REC;
		seq++;
	}
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
	/* the buffer is full: the record did not fit, and the socket took none */
	ck_assert_uint_gt(io.out_end - io.out_off + REC, TLSIO_OUT_SIZE);
	ck_assert_int_eq(tlsio_flush(&io), 1);
	/* the peer reads; the same record (GnuTLS keeps it) now goes in */
	received = peer_drain(got, sizeof(got));
	ck_assert_uint_gt(received, 0);
	ck_assert_int_eq(tlsio_push(&io, rec, REC), REC);
	memcpy(sent + accepted, rec, REC);
	accepted += REC;
	/* and everything arrives, once, in order */
	while (tlsio_out_pending(&io)) {
		ck_assert_int_ge(tlsio_flush(&io), 0);
		received += peer_drain(got + received, sizeof(got) - received);
	}
	received += peer_drain(got + received, sizeof(got) - received);
	ck_assert_uint_eq(received, accepted);
	ck_assert_mem_eq(got, sent, accepted);
}
END_TEST

START_TEST(test_flush_error_drops)
{
	uint8_t rec[100] = { 0 };

	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(tlsio_push(&io, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	ck_assert_int_lt(tlsio_flush(&io), 0);
	ck_assert(!tlsio_out_pending(&io));
	tlsio_out_clear(&io);
	ck_assert(!tlsio_out_pending(&io));
}
END_TEST

START_TEST(test_push_too_big)
{
	static uint8_t big[TLSIO_OUT_SIZE + 1];

	ck_assert_int_eq(tlsio_push(&io, big, sizeof(big)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert(!tlsio_out_pending(&io));
}
END_TEST

static Suite *tlsio_suite(void)
{
	Suite *s = suite_create("worker-tlsio");
	TCase *tc = tcase_create("pull");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pull_one_recv_many_pulls);
	tcase_add_test(tc, test_pull_timeout_and_eof);
	suite_add_tcase(s, tc);

	tc = tcase_create("push");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_push_gathers_until_flush);
	tcase_add_test(tc, test_full_socket_back_pressure);
	tcase_add_test(tc, test_flush_error_drops);
	tcase_add_test(tc, test_push_too_big);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tlsio_suite)
