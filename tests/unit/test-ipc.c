/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc.h"
#include "test-main.h"

static int sp[2];

static void setup_pair(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
}

static void teardown_pair(void)
{
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
}

/* Build a raw datagram: header fields as given, then `plen` payload bytes. */
static size_t raw_frame(uint8_t *buf, uint16_t type, uint16_t rsv, uint32_t hlen,
			const uint8_t *payload, size_t plen)
{
	buf[0] = (uint8_t)(type >> 8);
	buf[1] = (uint8_t)type;
	buf[2] = (uint8_t)(rsv >> 8);
	buf[3] = (uint8_t)rsv;
	buf[4] = (uint8_t)(hlen >> 24);
	buf[5] = (uint8_t)(hlen >> 16);
	buf[6] = (uint8_t)(hlen >> 8);
	buf[7] = (uint8_t)hlen;
	if (plen)
		memcpy(buf + 8, payload, plen);
	return 8 + plen;
}

/* --- encode/decode ------------------------------------------------------ */

START_TEST(test_roundtrip_auth_request)
{
	AuthRequest req = AUTH_REQUEST__INIT;
	uint8_t buf[512];
	struct ipc_msg m;
	ssize_t n;

	req.username = "alice";
	req.password = "s3cret";
	req.remote_ip = "192.0.2.7";
	req.user_agent = "Open AnyConnect VPN Agent v9.01-3";
	n = ipc_encode(IPC_AUTH_REQUEST, &req.base, buf, sizeof(buf));
	ck_assert_int_gt(n, 8);
	/* header: type 1, reserved 0, big-endian payload length */
	ck_assert_int_eq(buf[0], 0);
	ck_assert_int_eq(buf[1], IPC_AUTH_REQUEST);
	ck_assert_int_eq(buf[2] | buf[3], 0);
	ck_assert_int_eq(((uint32_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7]),
			 (uint32_t)n - 8);
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &m), 0);
	ck_assert_int_eq(m.type, IPC_AUTH_REQUEST);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_str_eq(m.auth_request->username, "alice");
	ck_assert_str_eq(m.auth_request->password, "s3cret");
	ck_assert_str_eq(m.auth_request->remote_ip, "192.0.2.7");
	ck_assert_ptr_null(m.auth_request->group);
	ipc_msg_free(&m);
	ck_assert_ptr_null(m.base);
	ipc_msg_free(&m); /* idempotent */
}
END_TEST

START_TEST(test_roundtrip_every_type)
{
	/* One minimal valid message per type: the type number selects the
	 * descriptor on both sides. */
	AuthRequest a = AUTH_REQUEST__INIT;
	AuthReply b = AUTH_REPLY__INIT;
	SessionOpenRequest c = SESSION_OPEN_REQUEST__INIT;
	SessionOpenReply d = SESSION_OPEN_REPLY__INIT;
	TunnelUp e = TUNNEL_UP__INIT;
	TunnelStats f = TUNNEL_STATS__INIT;
	TunnelDown g = TUNNEL_DOWN__INIT;
	Terminate h = TERMINATE__INIT;
	DtlsSocket i9 = DTLS_SOCKET__INIT;
	DtlsStatus j10 = DTLS_STATUS__INIT;
	const struct {
		enum ipc_type t;
		ProtobufCMessage *m;
	} cases[] = {
		{ IPC_AUTH_REQUEST, &a.base }, { IPC_AUTH_REPLY, &b.base },
		{ IPC_SESSION_OPEN_REQUEST, &c.base }, { IPC_SESSION_OPEN_REPLY, &d.base },
		{ IPC_TUNNEL_UP, &e.base }, { IPC_TUNNEL_STATS, &f.base },
		{ IPC_TUNNEL_DOWN, &g.base }, { IPC_TERMINATE, &h.base },
		{ IPC_DTLS_SOCKET, &i9.base }, { IPC_DTLS_STATUS, &j10.base },
	};
	uint8_t buf[256];

	a.username = a.password = a.remote_ip = "";
	c.cookie = "c";
	c.remote_ip = "::1";
	d.status = 401;
	e.session_id = "abc";
	f.has_bytes_in = 1;
	f.bytes_in = 1234567890123ull;
	g.reason = 7;
	h.reason = 9;
	i9.kind = 1;
	i9.datagram.data = (uint8_t *)"\x16\xfe\xff";
	i9.datagram.len = 3;
	i9.peer = "10.0.0.2:40000";
	j10.state = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_msg m;
		ssize_t n = ipc_encode(cases[i].t, cases[i].m, buf, sizeof(buf));

		ck_assert_int_ge(n, 8);
		ck_assert_int_eq(ipc_decode(buf, (size_t)n, &m), 0);
		ck_assert_int_eq(m.type, cases[i].t);
		ck_assert_ptr_eq(m.base->descriptor, ipc_type_descriptor(cases[i].t));
		ipc_msg_free(&m);
	}
}
END_TEST

START_TEST(test_encode_refuses_mismatch)
{
	AuthReply r = AUTH_REPLY__INIT;
	AuthRequest q = AUTH_REQUEST__INIT;
	uint8_t buf[256];

	/* descriptor of another type */
	ck_assert_int_eq(ipc_encode(IPC_AUTH_REQUEST, &r.base, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ipc_encode(IPC_INVALID, &r.base, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(ipc_encode((enum ipc_type)99, &r.base, buf, sizeof(buf)), -EINVAL);
	/* required strings unset: refused before pack() would crash on them */
	ck_assert_int_eq(ipc_encode(IPC_AUTH_REQUEST, &q.base, buf, sizeof(buf)), -EINVAL);
	/* buffer too small for the header */
	ck_assert_int_eq(ipc_encode(IPC_AUTH_REPLY, &r.base, buf, 4), -EMSGSIZE);
}
END_TEST

START_TEST(test_encode_too_big)
{
	AuthRequest q = AUTH_REQUEST__INIT;
	size_t big = IPC_MAX_MSG;
	char *s = malloc(big + 1);
	uint8_t *buf = malloc(IPC_MAX_MSG * 2);

	memset(s, 'x', big);
	s[big] = 0;
	q.username = s;
	q.password = "";
	q.remote_ip = "";
	/* even with a larger buffer, the 64 KiB datagram limit holds */
	ck_assert_int_eq(ipc_encode(IPC_AUTH_REQUEST, &q.base, buf, IPC_MAX_MSG * 2),
			 -EMSGSIZE);
	free(s);
	free(buf);
}
END_TEST

START_TEST(test_decode_errors)
{
	Terminate t = TERMINATE__INIT;
	uint8_t ok[64], buf[128];
	struct ipc_msg m;
	ssize_t n;
	size_t len;
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff };

	t.reason = 3;
	n = ipc_encode(IPC_TERMINATE, &t.base, ok, sizeof(ok));
	ck_assert_int_gt(n, 8);

	ck_assert_int_eq(ipc_decode(ok, 0, &m), IPC_E_SHORT_HEADER);
	ck_assert_int_eq(ipc_decode(ok, 7, &m), IPC_E_SHORT_HEADER);
	ck_assert_ptr_null(m.base);

	memcpy(buf, ok, (size_t)n);
	buf[3] = 1;
	ck_assert_int_eq(ipc_decode(buf, (size_t)n, &m), IPC_E_RESERVED);

	/* header length one more / one less than what follows */
	ck_assert_int_eq(ipc_decode(ok, (size_t)n - 1, &m), IPC_E_LENGTH);
	memcpy(buf, ok, (size_t)n);
	buf[n] = 0;
	ck_assert_int_eq(ipc_decode(buf, (size_t)n + 1, &m), IPC_E_LENGTH);
	len = raw_frame(buf, IPC_TERMINATE, 0, 0xffffffffu, NULL, 0);
	ck_assert_int_eq(ipc_decode(buf, len, &m), IPC_E_LENGTH);

	for (unsigned ty = 0; ty <= 0xffff; ty += (ty < 16 ? 1 : 4093)) {
		len = raw_frame(buf, (uint16_t)ty, 0, (uint32_t)(n - 8), ok + 8, (size_t)n - 8);
		if (ty >= IPC_AUTH_REQUEST && ty <= IPC_TYPE_MAX)
			continue;
		ck_assert_int_eq(ipc_decode(buf, len, &m), IPC_E_UNKNOWN_TYPE);
	}

	/* payload that is not protobuf */
	len = raw_frame(buf, IPC_TERMINATE, 0, sizeof(garbage), garbage, sizeof(garbage));
	ck_assert_int_eq(ipc_decode(buf, len, &m), IPC_E_UNPACK);
	/* valid protobuf (empty) but the required `reason` is missing */
	len = raw_frame(buf, IPC_TERMINATE, 0, 0, NULL, 0);
	ck_assert_int_eq(ipc_decode(buf, len, &m), IPC_E_UNPACK);
	ck_assert_ptr_null(m.base);
	/* AuthReply has one required field too: ok; TunnelStats has none */
	len = raw_frame(buf, IPC_TUNNEL_STATS, 0, 0, NULL, 0);
	ck_assert_int_eq(ipc_decode(buf, len, &m), 0);
	ipc_msg_free(&m);
}
END_TEST

START_TEST(test_strings)
{
	const int errs[] = { IPC_E_EOF, IPC_E_TRUNC, IPC_E_CTRUNC, IPC_E_SHORT_HEADER,
			     IPC_E_RESERVED, IPC_E_LENGTH, IPC_E_UNKNOWN_TYPE,
			     IPC_E_UNPACK, IPC_E_UNEXPECTED_FD, IPC_E_BAD_CMSG };
	size_t n = sizeof(errs) / sizeof(errs[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_str_ne(ipc_strerror(errs[i]), ipc_strerror(errs[j]));
	ck_assert_str_eq(ipc_strerror(-EAGAIN), strerror(EAGAIN));
	ck_assert_str_eq(ipc_type_str(IPC_TUNNEL_DOWN), "tunnel-down");
	ck_assert_str_eq(ipc_type_str((enum ipc_type)0), "unknown");
	ck_assert_str_eq(ipc_type_str((enum ipc_type)1000), "unknown");
	ck_assert(ipc_type_carries_fd(IPC_SESSION_OPEN_REPLY));
	ck_assert(ipc_type_carries_fd(IPC_DTLS_SOCKET));
	ck_assert(ipc_type_carries_fd(IPC_SM_KEY_CHANNEL));
	ck_assert(!ipc_type_carries_fd(IPC_KEY_OP_REQUEST));
	ck_assert(!ipc_type_carries_fd(IPC_DTLS_STATUS));
	ck_assert(!ipc_type_carries_fd(IPC_AUTH_REPLY));
	ck_assert_str_eq(ipc_type_str(IPC_DTLS_SOCKET), "dtls-socket");
}
END_TEST

/* --- over a real socketpair --------------------------------------------- */

START_TEST(test_send_recv)
{
	AuthReply r = AUTH_REPLY__INIT;
	struct ipc_msg m;

	r.ok = 1;
	r.cookie = "AbC-_09";
	ck_assert_int_eq(ipc_send(sp[0], IPC_AUTH_REPLY, &r.base, -1), 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
	ck_assert_int_eq(m.type, IPC_AUTH_REPLY);
	ck_assert(m.auth_reply->ok);
	ck_assert_str_eq(m.auth_reply->cookie, "AbC-_09");
	ck_assert_int_eq(m.fd, -1);
	ipc_msg_free(&m);
}
END_TEST

START_TEST(test_send_recv_fd)
{
	SessionOpenReply r = SESSION_OPEN_REPLY__INIT;
	struct ipc_msg m;
	int p[2];
	char c = 0;

	ck_assert_int_eq(pipe(p), 0);
	r.status = 200;
	r.ipv4 = "10.0.0.2";
	ck_assert_int_eq(ipc_send(sp[0], IPC_SESSION_OPEN_REPLY, &r.base, p[1]), 0);
	close(p[1]); /* the sender's copy; the receiver's is the only writer left */
	ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
	ck_assert_int_eq(m.type, IPC_SESSION_OPEN_REPLY);
	ck_assert_int_eq(m.session_open_reply->status, 200);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(fcntl(m.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(m.fd, "z", 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'z');
	ipc_msg_free(&m); /* closes the fd: the pipe has no writer now */
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

/* sendmsg() a raw datagram with `nfds` copies of fd attached. */
static void send_raw(int s, const void *data, size_t len, int fd, int nfds)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cm) + (size_t)i * sizeof(int), &fd, sizeof(int));
	}
	ck_assert_int_eq(sendmsg(s, &mh, 0), (ssize_t)len);
}

/* A receiver must close an fd it did not ask for: check that the write end
 * of a pipe has no holder left once the message was rejected. */
static void check_fd_rejected(enum ipc_type type, int nfds, int expect)
{
	AuthReply ar = AUTH_REPLY__INIT;
	SessionOpenReply sr = SESSION_OPEN_REPLY__INIT;
	uint8_t buf[128];
	struct ipc_msg m;
	ssize_t n;
	int p[2];
	char c;

	ck_assert_int_eq(pipe(p), 0);
	sr.status = 200;
	n = ipc_encode(type, type == IPC_AUTH_REPLY ? &ar.base : &sr.base, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	send_raw(sp[0], buf, (size_t)n, p[1], nfds);
	close(p[1]);
	ck_assert_int_eq(ipc_recv(sp[1], &m), expect);
	ck_assert_ptr_null(m.base);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(read(p[0], &c, 1), 0); /* EOF: every copy was closed */
	close(p[0]);
}

START_TEST(test_unexpected_fd_closed)
{
	check_fd_rejected(IPC_AUTH_REPLY, 1, IPC_E_UNEXPECTED_FD);
}
END_TEST

START_TEST(test_two_fds_closed)
{
	check_fd_rejected(IPC_SESSION_OPEN_REPLY, 2, IPC_E_UNEXPECTED_FD);
}
END_TEST

START_TEST(test_many_fds_ctrunc)
{
	/* more fds than the receive buffer holds: MSG_CTRUNC, nothing leaks */
	check_fd_rejected(IPC_SESSION_OPEN_REPLY, 8, IPC_E_CTRUNC);
}
END_TEST

START_TEST(test_garbage_with_fd_closed)
{
	static const uint8_t junk[] = { 0, 4, 0, 0, 0, 0, 0, 9 }; /* length lies */
	struct ipc_msg m;
	int p[2];
	char c;

	ck_assert_int_eq(pipe(p), 0);
	send_raw(sp[0], junk, sizeof(junk), p[1], 1);
	close(p[1]);
	ck_assert_int_eq(ipc_recv(sp[1], &m), IPC_E_LENGTH);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_truncated)
{
	size_t len = IPC_MAX_MSG + 100;
	uint8_t *buf = calloc(1, len);
	int sz = 4 * 1024 * 1024;
	struct ipc_msg m;

	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	raw_frame(buf, IPC_AUTH_REQUEST, 0, (uint32_t)(len - 8), NULL, 0);
	send_raw(sp[0], buf, len, -1, 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m), IPC_E_TRUNC);
	ck_assert_ptr_null(m.base);
	free(buf);
}
END_TEST

START_TEST(test_eof_and_eagain)
{
	struct ipc_msg m;

	ck_assert_int_eq(fcntl(sp[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(ipc_recv(sp[1], &m), -EAGAIN);
	close(sp[0]);
	sp[0] = -1;
	ck_assert_int_eq(ipc_recv(sp[1], &m), IPC_E_EOF);
}
END_TEST

START_TEST(test_send_full_and_peer_gone)
{
	TunnelStats st = TUNNEL_STATS__INIT;
	int rc, i;

	ck_assert_int_eq(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	/* fill the peer's queue: a non-blocking sender gets -EAGAIN, not a hang */
	for (i = 0; i < 100000; i++) {
		rc = ipc_send(sp[0], IPC_TUNNEL_STATS, &st.base, -1);
		if (rc != 0)
			break;
	}
	ck_assert_int_eq(rc, -EAGAIN);
	close(sp[1]);
	sp[1] = -1;
	/* peer gone (with our messages unread): -EPIPE, never SIGPIPE (which
	 * would kill this test), and the same the next time */
	rc = ipc_send(sp[0], IPC_TUNNEL_STATS, &st.base, -1);
	ck_assert_int_eq(rc, -EPIPE);
	rc = ipc_send(sp[0], IPC_TUNNEL_STATS, &st.base, -1);
	ck_assert_int_eq(rc, -EPIPE);
}
END_TEST

/* A worker that ends its tunnel while main's Terminate is on its way sends
 * TunnelDown and exits with the Terminate unread: main must still read the
 * TunnelDown, then EOF, and no error (the kernel reports the unread
 * message as ECONNRESET ahead of the TunnelDown). */
START_TEST(test_peer_closed_with_ours_unread)
{
	Terminate t = TERMINATE__INIT;
	TunnelDown d = TUNNEL_DOWN__INIT;
	struct ipc_msg m;

	ck_assert_int_eq(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	t.reason = 7;
	d.reason = 5;
	d.reason_text = "idle-timeout";
	ck_assert_int_eq(ipc_send(sp[0], IPC_TERMINATE, &t.base, -1), 0);
	ck_assert_int_eq(ipc_send(sp[1], IPC_TUNNEL_DOWN, &d.base, -1), 0);
	close(sp[1]);
	sp[1] = -1;
	ck_assert_int_eq(ipc_recv(sp[0], &m), 0);
	ck_assert_int_eq(m.type, IPC_TUNNEL_DOWN);
	ck_assert_uint_eq(m.tunnel_down->reason, 5);
	ipc_msg_free(&m);
	ck_assert_int_eq(ipc_recv(sp[0], &m), IPC_E_EOF);
	ck_assert_int_eq(ipc_recv(sp[0], &m), IPC_E_EOF);
}
END_TEST

/* The same when nothing of theirs is left: EOF at once. */
START_TEST(test_peer_closed_with_ours_unread_nothing_left)
{
	Terminate t = TERMINATE__INIT;
	struct ipc_msg m;

	ck_assert_int_eq(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(ipc_send(sp[0], IPC_TERMINATE, &t.base, -1), 0);
	close(sp[1]);
	sp[1] = -1;
	ck_assert_int_eq(ipc_recv(sp[0], &m), IPC_E_EOF);
}
END_TEST

/* --- the outgoing queue -------------------------------------------------- */

/* Fill sp[0]'s way to sp[1] (nobody reads sp[1]) until the socket is full;
 * returns how many messages went in. */
static int fill_socket(void)
{
	TunnelStats st = TUNNEL_STATS__INIT;
	int n = 0;

	ck_assert_int_eq(fcntl(sp[0], F_SETFL, O_NONBLOCK), 0);
	while (ipc_send(sp[0], IPC_TUNNEL_STATS, &st.base, -1) == 0)
		n++;
	ck_assert_int_gt(n, 0);
	return n;
}

static int outq_send_id(struct ipc_outq *q, uint64_t id)
{
	TunnelStatsRequest r = TUNNEL_STATS_REQUEST__INIT;

	r.request_id = id;
	return ipc_outq_send(q, sp[0], IPC_TUNNEL_STATS_REQUEST, &r.base);
}

/* Read from sp[1] until the next TunnelStatsRequest; its id. */
static uint64_t next_request_id(void)
{
	struct ipc_msg m;
	uint64_t id;

	for (;;) {
		ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
		if (m.type == IPC_TUNNEL_STATS_REQUEST)
			break;
		ipc_msg_free(&m);
	}
	id = m.tunnel_stats_request->request_id;
	ipc_msg_free(&m);
	return id;
}

START_TEST(test_outq_sends_at_once)
{
	struct ipc_outq q;

	ipc_outq_init(&q, 4096);
	ck_assert_int_eq(outq_send_id(&q, 7), 0);
	ck_assert(ipc_outq_empty(&q));
	ck_assert_uint_eq(next_request_id(), 7);
}
END_TEST

/* A full socket never makes the sender wait or fail: the messages wait in
 * the queue, in order, and leave as the peer reads. */
START_TEST(test_outq_queues_in_order)
{
	struct ipc_outq q;
	int fillers = fill_socket();

	ipc_outq_init(&q, 1u << 20);
	for (uint64_t id = 1; id <= 5; id++)
		ck_assert_int_eq(outq_send_id(&q, id), 0);
	ck_assert_uint_eq(q.count, 5);
	ck_assert_int_eq(ipc_outq_flush(&q, sp[0]), 0); /* still full */
	ck_assert_uint_eq(q.count, 5);

	/* the peer reads one filler: room for one; a new message must still
	 * go behind the five waiting ones */
	{
		struct ipc_msg m;

		ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
		ipc_msg_free(&m);
		fillers--;
	}
	ck_assert_int_eq(outq_send_id(&q, 6), 0);
	ck_assert_uint_eq(q.count, 6);
	ck_assert_int_eq(ipc_outq_flush(&q, sp[0]), 1);
	ck_assert_uint_eq(q.count, 5);

	/* the peer catches up: everything leaves, oldest first */
	for (int i = 0; i < fillers; i++) {
		struct ipc_msg m;

		ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
		ck_assert_int_eq(m.type, IPC_TUNNEL_STATS);
		ipc_msg_free(&m);
	}
	ck_assert_int_eq(ipc_outq_flush(&q, sp[0]), 5);
	ck_assert(ipc_outq_empty(&q));
	ck_assert_uint_eq(q.bytes, 0);
	for (uint64_t id = 1; id <= 6; id++)
		ck_assert_uint_eq(next_request_id(), id);
}
END_TEST

START_TEST(test_outq_bounded)
{
	struct ipc_outq q;
	size_t one;

	(void)fill_socket();
	ipc_outq_init(&q, 1u << 20);
	ck_assert_int_eq(outq_send_id(&q, 1), 0);
	one = q.bytes;
	ipc_outq_clear(&q);
	ck_assert(ipc_outq_empty(&q));

	ipc_outq_init(&q, 3 * one);
	for (uint64_t id = 1; id <= 3; id++)
		ck_assert_int_eq(outq_send_id(&q, id), 0);
	ck_assert_int_eq(outq_send_id(&q, 4), -ENOBUFS);
	ck_assert_uint_eq(q.count, 3);
	ck_assert_uint_eq(q.bytes, 3 * one);
	ipc_outq_clear(&q);
}
END_TEST

/* A login waits in the queue with its own copy of the password file's
 * descriptor: the caller closes its own at once, the peer still gets one
 * that reads the file. */
START_TEST(test_outq_keeps_fd)
{
	SmAuthRequest q = SM_AUTH_REQUEST__INIT;
	AuthRequest a = AUTH_REQUEST__INIT;
	struct ipc_outq oq;
	struct ipc_msg m;
	char buf[8] = { 0 };
	int fillers = fill_socket(), pipefd[2];

	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(write(pipefd[1], "passwd", 6), 6);
	close(pipefd[1]);
	a.username = "u";
	a.password = "p";
	a.remote_ip = "192.0.2.1";
	q.request_id = 9;
	q.auth = &a;
	ipc_outq_init(&oq, 1u << 20);
	ck_assert_int_eq(ipc_outq_send_fd(&oq, sp[0], IPC_SM_AUTH_REQUEST, &q.base, pipefd[0]), 0);
	ck_assert_uint_eq(oq.count, 1);
	close(pipefd[0]);
	/* a type that carries none refuses one */
	ck_assert_int_eq(ipc_outq_send_fd(&oq, sp[0], IPC_TUNNEL_STATS_REQUEST, &q.base, 0),
			 -EINVAL);
	for (int i = 0; i < fillers; i++) {
		ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
		ipc_msg_free(&m);
	}
	ck_assert_int_eq(ipc_outq_flush(&oq, sp[0]), 1);
	ck_assert_int_eq(ipc_recv(sp[1], &m), 0);
	ck_assert_int_eq(m.type, IPC_SM_AUTH_REQUEST);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(read(m.fd, buf, sizeof(buf) - 1), 6);
	ck_assert_str_eq(buf, "passwd");
	ipc_msg_free(&m);
}
END_TEST

START_TEST(test_outq_peer_gone)
{
	struct ipc_outq q;

	(void)fill_socket();
	ipc_outq_init(&q, 1u << 20);
	ck_assert_int_eq(outq_send_id(&q, 1), 0);
	close(sp[1]);
	sp[1] = -1;
	ck_assert_int_eq(ipc_outq_flush(&q, sp[0]), -EPIPE);
	ck_assert_uint_eq(q.count, 1);
	ipc_outq_clear(&q);
	ck_assert_int_eq(outq_send_id(&q, 2), -EPIPE);
	ck_assert(ipc_outq_empty(&q));
}
END_TEST

START_TEST(test_outq_refuses_bad_message)
{
	struct ipc_outq q;
	AuthReply r = AUTH_REPLY__INIT;

	ipc_outq_init(&q, 4096);
	/* a message of another type than announced: nothing sent or queued */
	ck_assert_int_eq(ipc_outq_send(&q, sp[0], IPC_TERMINATE, &r.base), -EINVAL);
	ck_assert(ipc_outq_empty(&q));
}
END_TEST

static Suite *ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_roundtrip_auth_request);
	tcase_add_test(tc, test_roundtrip_every_type);
	tcase_add_test(tc, test_encode_refuses_mismatch);
	tcase_add_test(tc, test_encode_too_big);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, setup_pair, teardown_pair);
	tcase_add_test(tc, test_send_recv);
	tcase_add_test(tc, test_send_recv_fd);
	tcase_add_test(tc, test_unexpected_fd_closed);
	tcase_add_test(tc, test_two_fds_closed);
	tcase_add_test(tc, test_many_fds_ctrunc);
	tcase_add_test(tc, test_garbage_with_fd_closed);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_eof_and_eagain);
	tcase_add_test(tc, test_send_full_and_peer_gone);
	tcase_add_test(tc, test_peer_closed_with_ours_unread);
	tcase_add_test(tc, test_peer_closed_with_ours_unread_nothing_left);
	suite_add_tcase(s, tc);

	tc = tcase_create("outq");
	tcase_add_checked_fixture(tc, setup_pair, teardown_pair);
	tcase_add_test(tc, test_outq_sends_at_once);
	tcase_add_test(tc, test_outq_queues_in_order);
	tcase_add_test(tc, test_outq_bounded);
	tcase_add_test(tc, test_outq_peer_gone);
	tcase_add_test(tc, test_outq_keeps_fd);
	tcase_add_test(tc, test_outq_refuses_bad_message);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ipc_suite)
