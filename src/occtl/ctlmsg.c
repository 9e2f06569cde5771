/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Control protocol framing; see ctlmsg.h. */

#include <errno.h>
#include <poll.h>
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

int ctl_recv_reply(int fd, enum ctl_cmd cmd, int timeout_ms, CtlReply **out)
{
	int64_t deadline = mono_ms() + timeout_ms;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	*out = NULL;
	for (;;) {
		const uint8_t *payload;
		size_t plen;
		uint8_t type;
		ssize_t got = ctl_frame_parse(buf, len, &type, &payload, &plen);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left;

		if (got < 0) {
			r = (int)got;
			break;
		}
		if (got > 0) {
			if (type != CTL_REPLY(cmd)) {
				r = CTL_E_TYPE;
				break;
			}
			*out = ctl_reply_unpack(payload, plen);
			r = *out != NULL ? 0 : CTL_E_UNPACK;
			break;
		}
		left = deadline - mono_ms();
		if (left <= 0) {
			r = CTL_E_TIMEOUT;
			break;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (r <= 0)
			continue;
		if (cap - len < 65536 && cap < CTL_HDR_LEN + CTL_MAX_PAYLOAD) {
			size_t ncap = cap ? cap * 2 : 131072;
			uint8_t *nb;

			if (ncap > CTL_HDR_LEN + CTL_MAX_PAYLOAD)
				ncap = CTL_HDR_LEN + CTL_MAX_PAYLOAD;
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		{
			ssize_t n = recv(fd, buf + len, cap - len, 0);

			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				r = -errno;
				break;
			}
			if (n == 0) {
				r = CTL_E_EOF;
				break;
			}
			len += (size_t)n;
		}
	}
	free(buf);
	return r;
}
