/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Main's reader of PROXY headers (src/main/main-proxy.h) on a real socket
 * pair and a real libev loop, run without waiting (EVRUN_NOWAIT): a header
 * arriving byte by byte is taken whole and the bytes behind it stay on the
 * socket for the worker; garbage, an unsupported family and a connection
 * closed early are handed back refused; the cap on waiting connections.
 * The 5 s timer is shown by tests/integration/test-proxy-haproxy.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "main/main-proxy.h"
#include "main/main.h"
#include "test-main.h"

static struct {
	int calls;
	int fd;
	char client[INET6_ADDRSTRLEN];
	unsigned port;
	bool front_local;
	char why[128];
	bool why_null;
} got;

static void done(struct server *srv, const struct main_proxy_result *r)
{
	got.calls++;
	got.fd = r->fd;
	got.front_local = r->front_local;
	got.why_null = r->why == NULL;
	snprintf(got.why, sizeof(got.why), "%s", r->why ? r->why : "");
	got.client[0] = '\0';
	if (r->client != NULL && r->client->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)r->client;

		inet_ntop(AF_INET, &sin->sin_addr, got.client, sizeof(got.client));
		got.port = ntohs(sin->sin_port);
	}
}

static struct server srv;
static int ours, theirs; /* the accepted end, the front's end */

static void setup(void)
{
	struct sockaddr_storage peer = { .ss_family = AF_INET };
	int sp[2];

	memset(&got, 0, sizeof(got));
	got.fd = -1;
	memset(&srv, 0, sizeof(srv));
	srv.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(srv.loop);
	ev_set_userdata(srv.loop, &srv);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	ours = sp[0];
	theirs = sp[1];
	ck_assert_int_eq(main_proxy_start(&srv, ours, &peer, sizeof(struct sockaddr_in), done), 0);
	ck_assert_uint_eq(srv.n_proxy_conns, 1);
}

static void teardown(void)
{
	main_proxy_close_all(&srv);
	if (got.fd >= 0)
		close(got.fd);
	close(theirs);
	ev_loop_destroy(srv.loop);
}

static void send_bytes(const void *p, size_t n)
{
	ck_assert_int_eq(write(theirs, p, n), (ssize_t)n);
	ev_run(srv.loop, EVRUN_NOWAIT);
}

START_TEST(test_byte_by_byte)
{
	const char *hdr = "PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n";
	const char hello[] = "\x16\x03\x01";
	char rest[16];

	for (size_t i = 0; i + 1 < strlen(hdr); i++) {
		send_bytes(hdr + i, 1);
		ck_assert_int_eq(got.calls, 0);
	}
	/* the last byte comes with the ClientHello behind it */
	ck_assert_int_eq(write(theirs, hdr + strlen(hdr) - 1, 1), 1);
	send_bytes(hello, 3);
	ck_assert_int_eq(got.calls, 1);
	ck_assert_str_eq(got.client, "192.0.2.7");
	ck_assert_uint_eq(got.port, 51234);
	ck_assert(got.why_null);
	ck_assert_int_eq(got.fd, ours);
	ck_assert_uint_eq(srv.n_proxy_conns, 0);
	/* the worker gets the socket right after the header */
	ck_assert_int_eq(read(got.fd, rest, sizeof(rest)), 3);
	ck_assert_mem_eq(rest, hello, 3);
}
END_TEST

START_TEST(test_v2_local)
{
	static const uint8_t local[16] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
					   0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00 };

	send_bytes(local, sizeof(local));
	ck_assert_int_eq(got.calls, 1);
	ck_assert(got.front_local);
	ck_assert(got.why_null);
}
END_TEST

START_TEST(test_no_header)
{
	send_bytes("\x16\x03\x01\x02\x00", 5);
	ck_assert_int_eq(got.calls, 1);
	ck_assert_str_eq(got.client, "");
	ck_assert_str_eq(got.why, "no PROXY header");
	ck_assert_uint_eq(srv.n_proxy_conns, 0);
}
END_TEST

START_TEST(test_unknown_family)
{
	send_bytes("PROXY UNKNOWN\r\n", 15);
	ck_assert_int_eq(got.calls, 1);
	ck_assert_str_eq(got.why, "PROXY header with an unsupported address family or protocol");
}
END_TEST

START_TEST(test_closed_early)
{
	send_bytes("PROXY TCP4 192", 14);
	ck_assert_int_eq(got.calls, 0);
	shutdown(theirs, SHUT_WR);
	ev_run(srv.loop, EVRUN_NOWAIT);
	ck_assert_int_eq(got.calls, 1);
	ck_assert_str_eq(got.why, "closed after 14 bytes of a PROXY header");
}
END_TEST

/* A connection closed before its first byte: no reason (a health check). */
START_TEST(test_closed_at_once)
{
	shutdown(theirs, SHUT_WR);
	ev_run(srv.loop, EVRUN_NOWAIT);
	ck_assert_int_eq(got.calls, 1);
	ck_assert(got.why_null);
	ck_assert_str_eq(got.client, "");
}
END_TEST

START_TEST(test_cap_and_close_all)
{
	struct sockaddr_storage peer = { .ss_family = AF_INET };

	srv.n_proxy_conns = MAIN_PROXY_PENDING_MAX;
	ck_assert_int_eq(main_proxy_start(&srv, theirs, &peer, sizeof(struct sockaddr_in), done),
			 -EAGAIN);
	srv.n_proxy_conns = 1;
	main_proxy_close_all(&srv);
	ck_assert_uint_eq(srv.n_proxy_conns, 0);
	ck_assert_ptr_null(srv.proxy_conns);
	ck_assert_int_eq(fcntl(ours, F_GETFD), -1); /* closed */
	ck_assert_int_eq(got.calls, 0);
}
END_TEST

static Suite *main_proxy_suite(void)
{
	Suite *s = suite_create("main-proxy");
	TCase *tc = tcase_create("reader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_v2_local);
	tcase_add_test(tc, test_no_header);
	tcase_add_test(tc, test_unknown_family);
	tcase_add_test(tc, test_closed_early);
	tcase_add_test(tc, test_closed_at_once);
	tcase_add_test(tc, test_cap_and_close_all);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(main_proxy_suite)
