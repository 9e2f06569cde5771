/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "common/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Ancillary space for a few fds: a peer sending more than one gets all of
 * them closed and an error, instead of MSG_CTRUNC leaking into our table. */
#define IPC_MAX_RX_FDS 4

static const struct {
	const char *name;
	const ProtobufCMessageDescriptor *desc;
} ipc_types[] = {
	[IPC_AUTH_REQUEST] = { "auth-request", &auth_request__descriptor },
	[IPC_AUTH_REPLY] = { "auth-reply", &auth_reply__descriptor },
	[IPC_SESSION_OPEN_REQUEST] = { "session-open-request", &session_open_request__descriptor },
	[IPC_SESSION_OPEN_REPLY] = { "session-open-reply", &session_open_reply__descriptor },
	[IPC_TUNNEL_UP] = { "tunnel-up", &tunnel_up__descriptor },
	[IPC_TUNNEL_STATS] = { "tunnel-stats", &tunnel_stats__descriptor },
	[IPC_TUNNEL_DOWN] = { "tunnel-down", &tunnel_down__descriptor },
	[IPC_TERMINATE] = { "terminate", &terminate__descriptor },
	[IPC_DTLS_SOCKET] = { "dtls-socket", &dtls_socket__descriptor },
	[IPC_DTLS_STATUS] = { "dtls-status", &dtls_status__descriptor },
	[IPC_TUNNEL_STATS_REQUEST] = { "tunnel-stats-request", &tunnel_stats_request__descriptor },
	[IPC_PROBE] = { "probe", &probe__descriptor },
	[IPC_PROBE_REPLY] = { "probe-reply", &probe_reply__descriptor },
	[IPC_SM_CONFIG] = { "sm-config", &sm_config__descriptor },
	[IPC_SM_AUTH_REQUEST] = { "sm-auth-request", &sm_auth_request__descriptor },
	[IPC_SM_AUTH_REPLY] = { "sm-auth-reply", &sm_auth_reply__descriptor },
	[IPC_SM_OPEN_REQUEST] = { "sm-open-request", &sm_open_request__descriptor },
	[IPC_SM_OPEN_REPLY] = { "sm-open-reply", &sm_open_reply__descriptor },
	[IPC_SM_TUNNEL_UP] = { "sm-tunnel-up", &sm_tunnel_up__descriptor },
	[IPC_SM_TUNNEL_DOWN] = { "sm-tunnel-down", &sm_tunnel_down__descriptor },
	[IPC_SM_TUNNEL_STATS] = { "sm-tunnel-stats", &sm_tunnel_stats__descriptor },
	[IPC_SM_SESSION] = { "sm-session", &sm_session__descriptor },
	[IPC_SM_TERMINATE] = { "sm-terminate", &sm_terminate__descriptor },
	[IPC_SM_PROBE] = { "sm-probe", &sm_probe__descriptor },
	[IPC_SM_PROBE_RESULT] = { "sm-probe-result", &sm_probe_result__descriptor },
	[IPC_SM_LIST_REQUEST] = { "sm-list-request", &sm_list_request__descriptor },
	[IPC_SM_LIST_REPLY] = { "sm-list-reply", &sm_list_reply__descriptor },
	[IPC_SM_KEY_CHANNEL] = { "sm-key-channel", &sm_key_channel__descriptor },
	[IPC_KEY_OP_REQUEST] = { "key-op-request", &key_op_request__descriptor },
	[IPC_KEY_OP_REPLY] = { "key-op-reply", &key_op_reply__descriptor },
	[IPC_SANDBOX_VIOLATION] = { "sandbox-violation", &sandbox_violation__descriptor },
	[IPC_SM_SESSION_TIMERS] = { "sm-session-timers", &sm_session_timers__descriptor },
};

const char *ipc_type_str(enum ipc_type type)
{
	/* numbers reserved but not wired in yet leave holes in the table */
	if (type <= IPC_INVALID || type > IPC_TYPE_MAX || ipc_types[type].name == NULL)
		return "unknown";
	return ipc_types[type].name;
}

const ProtobufCMessageDescriptor *ipc_type_descriptor(enum ipc_type type)
{
	if (type <= IPC_INVALID || type > IPC_TYPE_MAX)
		return NULL;
	return ipc_types[type].desc;
}

bool ipc_type_carries_fd(enum ipc_type type)
{
	return type == IPC_SESSION_OPEN_REPLY || type == IPC_DTLS_SOCKET ||
	       type == IPC_SM_KEY_CHANNEL || type == IPC_SM_AUTH_REQUEST ||
	       type == IPC_SM_CONFIG;
}

const char *ipc_strerror(int err)
{
	switch (err) {
	case IPC_E_EOF:
		return "peer closed the connection";
	case IPC_E_TRUNC:
		return "message larger than 64 KiB (truncated)";
	case IPC_E_CTRUNC:
		return "ancillary data truncated";
	case IPC_E_SHORT_HEADER:
		return "message shorter than the 8-byte header";
	case IPC_E_RESERVED:
		return "reserved header field is not zero";
	case IPC_E_LENGTH:
		return "header length does not match the message size";
	case IPC_E_UNKNOWN_TYPE:
		return "unknown message type";
	case IPC_E_UNPACK:
		return "malformed protobuf payload";
	case IPC_E_UNEXPECTED_FD:
		return "unexpected file descriptor";
	case IPC_E_BAD_CMSG:
		return "unexpected ancillary data";
	case 0:
		return "success";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

ssize_t ipc_encode(enum ipc_type type, const ProtobufCMessage *msg,
		   uint8_t *buf, size_t cap)
{
	const ProtobufCMessageDescriptor *desc = ipc_type_descriptor(type);
	size_t len;

	if (desc == NULL || msg == NULL || msg->descriptor != desc)
		return -EINVAL;
	/* pack() would dereference an unset required string: refuse first. */
	if (!protobuf_c_message_check(msg))
		return -EINVAL;
	len = protobuf_c_message_get_packed_size(msg);
	if (cap > IPC_MAX_MSG)
		cap = IPC_MAX_MSG;
	if (cap < IPC_HDR_LEN || len > cap - IPC_HDR_LEN)
		return -EMSGSIZE;
	put_be16(buf, (uint16_t)type);
	put_be16(buf + 2, 0);
	put_be32(buf + 4, (uint32_t)len);
	if (protobuf_c_message_pack(msg, buf + IPC_HDR_LEN) != len)
		return -EINVAL;
	return (ssize_t)(IPC_HDR_LEN + len);
}

int ipc_decode(const uint8_t *buf, size_t len, struct ipc_msg *out)
{
	const ProtobufCMessageDescriptor *desc;
	uint16_t type;
	uint32_t plen;

	out->type = IPC_INVALID;
	out->base = NULL;
	out->fd = -1;
	if (len < IPC_HDR_LEN)
		return IPC_E_SHORT_HEADER;
	type = get_be16(buf);
	if (get_be16(buf + 2) != 0)
		return IPC_E_RESERVED;
	plen = get_be32(buf + 4);
	if (plen != len - IPC_HDR_LEN)
		return IPC_E_LENGTH;
	desc = ipc_type_descriptor((enum ipc_type)type);
	if (desc == NULL)
		return IPC_E_UNKNOWN_TYPE;
	/* protobuf-c checks required fields and bounds; NULL = default allocator. */
	out->base = protobuf_c_message_unpack(desc, NULL, plen, buf + IPC_HDR_LEN);
	if (out->base == NULL)
		return IPC_E_UNPACK;
	out->type = (enum ipc_type)type;
	return 0;
}

/* One encoded datagram out on sock, with fd as SCM_RIGHTS unless fd < 0:
 * 0, -EAGAIN (full), -EPIPE (peer gone) or another -errno. */
static int send_datagram(int sock, const uint8_t *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { 0 };
	struct iovec iov;
	ssize_t n;

	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* ECONNRESET is how a peer that closed with our messages unread is
	 * reported (once); it is gone all the same: -EPIPE, as afterwards. */
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : errno == ECONNRESET ? -EPIPE : -errno;
	if ((size_t)n != len)
		return -EMSGSIZE; /* cannot happen on SEQPACKET; never report success */
	return 0;
}

/* Encode msg as type into a fresh buffer of IPC_MAX_MSG bytes: the length,
 * or a negative code (ipc_encode's, -ENOMEM) with *out NULL. */
static ssize_t encode_alloc(enum ipc_type type, const ProtobufCMessage *msg, uint8_t **out)
{
	uint8_t *buf = malloc(IPC_MAX_MSG);
	ssize_t len;

	*out = NULL;
	if (buf == NULL)
		return -ENOMEM;
	len = ipc_encode(type, msg, buf, IPC_MAX_MSG);
	if (len < 0) {
		free(buf);
		return len;
	}
	*out = buf;
	return len;
}

int ipc_send(int sock, enum ipc_type type, const ProtobufCMessage *msg, int fd)
{
	uint8_t *buf;
	ssize_t len = encode_alloc(type, msg, &buf);
	int ret;

	if (len < 0)
		return (int)len;
	ret = send_datagram(sock, buf, (size_t)len, fd);
	free(buf);
	return ret;
}

/* --- the outgoing queue ---------------------------------------------------- */

struct ipc_outq_item {
	struct ipc_outq_item *next;
	int fd;		/* a duplicate to pass along, or -1 */
	size_t len;
	uint8_t data[];
};

void ipc_outq_init(struct ipc_outq *q, size_t max_bytes)
{
	*q = (struct ipc_outq){ .max_bytes = max_bytes };
}

void ipc_outq_clear(struct ipc_outq *q)
{
	while (q->head != NULL) {
		struct ipc_outq_item *it = q->head;

		q->head = it->next;
		if (it->fd >= 0)
			close(it->fd);
		free(it);
	}
	q->tail = NULL;
	q->count = 0;
	q->bytes = 0;
}

int ipc_outq_send(struct ipc_outq *q, int sock, enum ipc_type type, const ProtobufCMessage *msg)
{
	return ipc_outq_send_fd(q, sock, type, msg, -1);
}

int ipc_outq_send_fd(struct ipc_outq *q, int sock, enum ipc_type type,
		     const ProtobufCMessage *msg, int fd)
{
	struct ipc_outq_item *it;
	uint8_t *buf;
	ssize_t len;
	int r;

	if (fd >= 0 && !ipc_type_carries_fd(type))
		return -EINVAL;
	len = encode_alloc(type, msg, &buf);
	if (len < 0)
		return (int)len;
	if (q->head == NULL) {
		r = send_datagram(sock, buf, (size_t)len, fd);
		if (r != -EAGAIN) {
			free(buf);
			return r;
		}
	}
	/* behind what waits already, or the socket is full: keep a copy */
	if ((size_t)len > q->max_bytes || q->bytes > q->max_bytes - (size_t)len) {
		free(buf);
		return -ENOBUFS;
	}
	it = malloc(sizeof(*it) + (size_t)len);
	if (it == NULL) {
		free(buf);
		return -ENOMEM;
	}
	it->next = NULL;
	it->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd >= 0 && it->fd < 0) {
		r = -errno;
		free(it);
		free(buf);
		return r;
	}
	it->len = (size_t)len;
	memcpy(it->data, buf, (size_t)len);
	free(buf);
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->count++;
	q->bytes += it->len;
	return 0;
}

int ipc_outq_flush(struct ipc_outq *q, int sock)
{
	int sent = 0;

	while (q->head != NULL) {
		struct ipc_outq_item *it = q->head;
		int r = send_datagram(sock, it->data, it->len, it->fd);

		if (r == -EAGAIN)
			break;
		if (r < 0)
			return r;
		if (it->fd >= 0)
			close(it->fd);
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->count--;
		q->bytes -= it->len;
		free(it);
		sent++;
	}
	return sent;
}

/* Gather the fds carried by the SCM_RIGHTS messages in `mh`: the first `max`
 * into fds[], any beyond closed at once. Returns how many arrived in total;
 * *foreign is set if some other kind of ancillary data came along. */
static int collect_fds(struct msghdr *mh, int *fds, int max, bool *foreign)
{
	struct cmsghdr *cm;
	int count = 0;

	*foreign = false;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			*foreign = true;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (count < max)
				fds[count] = fd;
			else
				close(fd);
			count++;
		}
	}
	return count;
}

int ipc_recv(int sock, struct ipc_msg *out)
{
	union {
		char buf[CMSG_SPACE(IPC_MAX_RX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int fds[IPC_MAX_RX_FDS];
	struct msghdr mh = { 0 };
	struct iovec iov;
	uint8_t *buf;
	ssize_t n;
	bool foreign;
	int nfds, ret, i, resets = 0;

	out->type = IPC_INVALID;
	out->base = NULL;
	out->fd = -1;
	/* One byte more than the limit so an oversized datagram is MSG_TRUNC. */
	buf = malloc(IPC_MAX_MSG + 1);
	if (buf == NULL)
		return -ENOMEM;
	iov.iov_base = buf;
	iov.iov_len = IPC_MAX_MSG + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	/* A SOCK_SEQPACKET peer that closed with messages from us unread makes
	 * the next read fail once with ECONNRESET, ahead of the messages it
	 * sent before closing. Those still count (a worker's TunnelDown, say),
	 * and the EOF comes after them: read on. */
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == ECONNRESET && resets++ == 0);
	if (n < 0) {
		ret = errno == EWOULDBLOCK ? -EAGAIN : -errno;
		free(buf);
		return ret;
	}
	nfds = collect_fds(&mh, fds, IPC_MAX_RX_FDS, &foreign);
	if (foreign)
		ret = IPC_E_BAD_CMSG;
	else if (mh.msg_flags & MSG_CTRUNC)
		ret = IPC_E_CTRUNC;
	else if (mh.msg_flags & MSG_TRUNC || (size_t)n > IPC_MAX_MSG)
		ret = IPC_E_TRUNC;
	else if (n == 0)
		ret = IPC_E_EOF;
	else
		ret = ipc_decode(buf, (size_t)n, out);
	if (ret == 0 && nfds > 0 &&
	    (nfds > 1 || !ipc_type_carries_fd(out->type)))
		ret = IPC_E_UNEXPECTED_FD;
	if (ret == 0 && nfds == 1) {
		out->fd = fds[0];
		nfds = 0;
	}
	if (ret != 0) {
		ipc_msg_free(out);
		out->type = IPC_INVALID;
	}
	for (i = 0; i < nfds && i < IPC_MAX_RX_FDS; i++)
		close(fds[i]);
	free(buf);
	return ret;
}

void ipc_msg_free(struct ipc_msg *m)
{
	if (m->base != NULL) {
		protobuf_c_message_free_unpacked(m->base, NULL);
		m->base = NULL;
	}
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
}
