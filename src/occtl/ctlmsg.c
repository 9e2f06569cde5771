/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Control protocol framing; see ctlmsg.h. */

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "occtl/ctlmsg.h"

static const char *const cmd_names[CTL_CMD_MAX + 1] = {
	[CTL_CMD_STATUS] = "status",
	[CTL_CMD_RELOAD] = "reload",
	[CTL_CMD_STOP] = "stop",
	[CTL_CMD_LIST_USERS] = "list-users",
	[CTL_CMD_USER_INFO] = "user-info",
	[CTL_CMD_ID_INFO] = "id-info",
	[CTL_CMD_DISCONNECT_NAME] = "disconnect-user",
	[CTL_CMD_DISCONNECT_ID] = "disconnect-id",
	[CTL_CMD_LIST_BANNED] = "list-bans",
	[CTL_CMD_UNBAN_IP] = "unban-ip",
	[CTL_CMD_LIST_SESSIONS] = "list-sessions",
	[CTL_CMD_SESSION_INFO] = "session-info",
	[CTL_CMD_TERMINATE_SESSION] = "terminate-session",
	[CTL_CMD_TERMINATE_USER] = "terminate-user",
	[CTL_CMD_EVENTS] = "events",
};

bool ctl_cmd_valid(unsigned type)
{
	return type >= 1 && type <= CTL_CMD_MAX && cmd_names[type] != NULL;
}

const char *ctl_cmd_str(unsigned type)
{
	return ctl_cmd_valid(type) ? cmd_names[type] : "unknown";
}

const char *ctl_strerror(int err)
{
	switch (err) {
	case CTL_E_EOF:
		return "the server closed the connection";
	case CTL_E_TOO_BIG:
		return "message too large";
	case CTL_E_UNPACK:
		return "malformed message";
	case CTL_E_TYPE:
		return "unexpected message type";
	case CTL_E_TIMEOUT:
		return "no answer in time";
	default:
		return err < 0 ? strerror(-err) : "success";
	}
}

ssize_t ctl_frame_encode(uint8_t type, const ProtobufCMessage *msg, uint8_t **out)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;

	*out = NULL;
	if (n > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = malloc(CTL_HDR_LEN + n);
	if (buf == NULL)
		return -ENOMEM;
	buf[0] = type;
	buf[1] = (uint8_t)(n >> 24);
	buf[2] = (uint8_t)(n >> 16);
	buf[3] = (uint8_t)(n >> 8);
	buf[4] = (uint8_t)n;
	if (protobuf_c_message_pack(msg, buf + CTL_HDR_LEN) != n) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return (ssize_t)(CTL_HDR_LEN + n);
}

ssize_t ctl_frame_parse(const uint8_t *buf, size_t len, uint8_t *type,
			const uint8_t **payload, size_t *plen)
{
	uint32_t n;

	if (len < CTL_HDR_LEN)
		return 0;
	n = (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	if (n > CTL_MAX_PAYLOAD)
		return CTL_E_TOO_BIG;
	if (len - CTL_HDR_LEN < n)
		return 0;
	*type = buf[0];
	*payload = buf + CTL_HDR_LEN;
	*plen = n;
	return (ssize_t)(CTL_HDR_LEN + n);
}

CtlRequest *ctl_request_unpack(const uint8_t *payload, size_t len)
{
	return ctl_request__unpack(NULL, len, payload);
}

CtlReply *ctl_reply_unpack(const uint8_t *payload, size_t len)
{
	return ctl_reply__unpack(NULL, len, payload);
}

CtlEvent *ctl_event_unpack(const uint8_t *payload, size_t len)
{
	return ctl_event__unpack(NULL, len, payload);
}

/* --- client side ---------------------------------------------------------- */

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

int ctl_send_request(int fd, enum ctl_cmd cmd, const CtlRequest *req)
{
	uint8_t *buf;
	ssize_t n = ctl_frame_encode((uint8_t)cmd, &req->base, &buf);
	size_t off = 0;
	int r = 0;

	if (n < 0)
		return (int)n;
	while (off < (size_t)n) {
		ssize_t w = send(fd, buf + off, (size_t)n - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(buf);
	return r;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Room for at least 64 KiB more in s (never beyond one frame's size). */
static int stream_room(struct ctl_stream *s)
{
	size_t ncap;
	uint8_t *nb;

	if (s->cap - s->len >= 65536 || s->cap >= CTL_HDR_LEN + CTL_MAX_PAYLOAD)
		return 0;
	ncap = s->cap ? s->cap * 2 : 131072;
	if (ncap > CTL_HDR_LEN + CTL_MAX_PAYLOAD)
		ncap = CTL_HDR_LEN + CTL_MAX_PAYLOAD;
	nb = realloc(s->buf, ncap);
	if (nb == NULL)
		return -ENOMEM;
	s->buf = nb;
	s->cap = ncap;
	return 0;
}

int ctl_stream_next(int fd, struct ctl_stream *s, int timeout_ms, uint8_t *type,
		    const uint8_t **payload, size_t *plen)
{
	int64_t deadline = mono_ms() + timeout_ms;

	/* drop the frame returned last */
	if (s->used > 0) {
		memmove(s->buf, s->buf + s->used, s->len - s->used);
		s->len -= s->used;
		s->used = 0;
	}
	for (;;) {
		ssize_t got = ctl_frame_parse(s->buf, s->len, type, payload, plen);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = timeout_ms < 0 ? -1 : deadline - mono_ms();
		ssize_t n;
		int r;

		if (got != 0) {
			if (got > 0)
				s->used = (size_t)got;
			return got < 0 ? (int)got : 0;
		}
		if (timeout_ms >= 0 && left <= 0)
			return CTL_E_TIMEOUT;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (stream_room(s) < 0)
			return -ENOMEM;
		n = recv(fd, s->buf + s->len, s->cap - s->len, 0);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n == 0)
			return CTL_E_EOF;
		if (n > 0)
			s->len += (size_t)n;
	}
}

void ctl_stream_free(struct ctl_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int ctl_recv_reply(int fd, enum ctl_cmd cmd, int timeout_ms, CtlReply **out)
{
	struct ctl_stream s = { 0 };
	const uint8_t *payload;
	size_t plen;
	uint8_t type;
	int r = ctl_stream_next(fd, &s, timeout_ms, &type, &payload, &plen);

	*out = NULL;
	if (r == 0 && type != CTL_REPLY(cmd))
		r = CTL_E_TYPE;
	if (r == 0) {
		*out = ctl_reply_unpack(payload, plen);
		r = *out != NULL ? 0 : CTL_E_UNPACK;
	}
	ctl_stream_free(&s);
	return r;
}
