/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_IPC_H
#define OCSM_IPC_H

/*
 * Messages between main (ocserv-modern) and a worker (ocserv-modern-worker).
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET socketpair per worker (the worker
 * gets its end as fd 4). One message per datagram:
 *
 *   0       2       4               8
 *   +-------+-------+---------------+---------------------------+
 *   | type  |   0   |    length     | packed protobuf-c message |
 *   +-------+-------+---------------+---------------------------+
 *   uint16 BE uint16  uint32 BE       `length` bytes
 *
 * The datagram must be exactly 8 + length bytes, at most IPC_MAX_MSG in
 * total. A file descriptor (the tun device with SessionOpenReply, a UDP
 * socket with DtlsSocket) rides on the same datagram as SCM_RIGHTS. The
 * messages themselves are defined in src/common/ipc.proto.
 *
 * Error convention: functions return 0 (or a length) on success, -errno for
 * system errors (-EAGAIN: non-blocking socket full/empty, try later) and one
 * of the IPC_E_* codes below for a peer that broke the protocol. Every
 * IPC_E_* code means "close this peer"; ipc_strerror() names any of them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "common/ipc.pb-c.h"

#define IPC_HDR_LEN 8u
/* Largest datagram (header included) either side sends or accepts. */
#define IPC_MAX_MSG (64u * 1024u)

/* The longest user name, group and password a login may carry (bytes): the
 * worker refuses longer ones with 401, main refuses any it is sent anyway,
 * so what waits for sec-mod stays small. */
#define IPC_USERNAME_MAX 256u
#define IPC_GROUP_MAX 256u
#define IPC_PASSWORD_MAX 256u

/* Wire type numbers: never renumber, only append. */
enum ipc_type {
	IPC_INVALID = 0,
	IPC_AUTH_REQUEST = 1,         /* worker -> main, AuthRequest */
	IPC_AUTH_REPLY = 2,           /* main -> worker, AuthReply */
	IPC_SESSION_OPEN_REQUEST = 3, /* worker -> main, SessionOpenRequest */
	IPC_SESSION_OPEN_REPLY = 4,   /* main -> worker, SessionOpenReply (+ tun fd) */
	IPC_TUNNEL_UP = 5,            /* worker -> main, TunnelUp */
	IPC_TUNNEL_STATS = 6,         /* worker -> main, TunnelStats */
	IPC_TUNNEL_DOWN = 7,          /* worker -> main, TunnelDown */
	IPC_TERMINATE = 8,            /* main -> worker, Terminate */
	IPC_DTLS_SOCKET = 9,          /* main -> worker, DtlsSocket (+ UDP socket fd) */
	IPC_DTLS_STATUS = 10,         /* worker -> main, DtlsStatus */
	IPC_TUNNEL_STATS_REQUEST = 11, /* main -> worker, TunnelStatsRequest (occtl) */
	IPC_PROBE = 12,               /* main -> worker, Probe (max-same-clients) */
	IPC_PROBE_REPLY = 13,         /* worker -> main, ProbeReply */
	/* main <-> sec-mod (src/sec-mod/sec-mod.h), on their own socketpair */
	IPC_SM_CONFIG = 14,           /* main -> sec-mod, SmConfig */
	IPC_SM_AUTH_REQUEST = 15,     /* main -> sec-mod, SmAuthRequest */
	IPC_SM_AUTH_REPLY = 16,       /* sec-mod -> main, SmAuthReply */
	IPC_SM_OPEN_REQUEST = 17,     /* main -> sec-mod, SmOpenRequest */
	IPC_SM_OPEN_REPLY = 18,       /* sec-mod -> main, SmOpenReply */
	IPC_SM_TUNNEL_UP = 19,        /* main -> sec-mod, SmTunnelUp */
	IPC_SM_TUNNEL_DOWN = 20,      /* main -> sec-mod, SmTunnelDown */
	IPC_SM_TUNNEL_STATS = 21,     /* main -> sec-mod, SmTunnelStats */
	IPC_SM_SESSION = 22,          /* sec-mod -> main, SmSession (a record changed) */
	IPC_SM_TERMINATE = 23,        /* main -> sec-mod, SmTerminate */
	IPC_SM_PROBE = 24,            /* sec-mod -> main, SmProbe */
	IPC_SM_PROBE_RESULT = 25,     /* main -> sec-mod, SmProbeResult */
	IPC_SM_LIST_REQUEST = 26,     /* main -> sec-mod, SmListRequest */
	IPC_SM_LIST_REPLY = 27,       /* sec-mod -> main, SmListReply */
	/* the private key (sec-mod only; worker <-> sec-mod on the key channel) */
	IPC_SM_KEY_CHANNEL = 28,      /* main -> sec-mod, SmKeyChannel (+ channel fd) */
	IPC_KEY_OP_REQUEST = 29,      /* worker -> sec-mod, KeyOpRequest */
	IPC_KEY_OP_REPLY = 30,        /* sec-mod -> worker, KeyOpReply */
	IPC_SANDBOX_VIOLATION = 31,   /* worker -> main, SandboxViolation */
	IPC_SM_SESSION_TIMERS = 32,   /* main -> sec-mod, SmSessionTimers */
	/* the next new type is 33 */
};
#define IPC_TYPE_MAX IPC_SM_SESSION_TIMERS

/* Protocol errors: far below the errno range so both share one int. */
enum ipc_error {
	IPC_E_EOF = -1001,          /* peer closed its end (or sent a 0-byte datagram) */
	IPC_E_TRUNC = -1002,        /* datagram larger than IPC_MAX_MSG (MSG_TRUNC) */
	IPC_E_CTRUNC = -1003,       /* ancillary data truncated (MSG_CTRUNC) */
	IPC_E_SHORT_HEADER = -1004, /* fewer than IPC_HDR_LEN bytes */
	IPC_E_RESERVED = -1005,     /* header bytes 2..3 not zero */
	IPC_E_LENGTH = -1006,       /* header length != bytes that followed */
	IPC_E_UNKNOWN_TYPE = -1007, /* type not in enum ipc_type */
	IPC_E_UNPACK = -1008,       /* protobuf-c could not unpack the payload */
	IPC_E_UNEXPECTED_FD = -1009, /* fd(s) on a type that carries none, or > 1 fd */
	IPC_E_BAD_CMSG = -1010,     /* ancillary data other than one SCM_RIGHTS */
};

/* A received (or decoded) message. `base` points to the unpacked message,
 * whose concrete type follows `type`; the named members are the same pointer
 * seen through the right type. Free with ipc_msg_free(). */
struct ipc_msg {
	enum ipc_type type;
	union {
		ProtobufCMessage *base;
		AuthRequest *auth_request;
		AuthReply *auth_reply;
		SessionOpenRequest *session_open_request;
		SessionOpenReply *session_open_reply;
		TunnelUp *tunnel_up;
		TunnelStats *tunnel_stats;
		TunnelDown *tunnel_down;
		Terminate *terminate;
		DtlsSocket *dtls_socket;
		DtlsStatus *dtls_status;
		TunnelStatsRequest *tunnel_stats_request;
		Probe *probe;
		ProbeReply *probe_reply;
		SmConfig *sm_config;
		SmAuthRequest *sm_auth_request;
		SmAuthReply *sm_auth_reply;
		SmOpenRequest *sm_open_request;
		SmOpenReply *sm_open_reply;
		SmTunnelUp *sm_tunnel_up;
		SmTunnelDown *sm_tunnel_down;
		SmTunnelStats *sm_tunnel_stats;
		SmSession *sm_session;
		SmTerminate *sm_terminate;
		SmProbe *sm_probe;
		SmProbeResult *sm_probe_result;
		SmListRequest *sm_list_request;
		SmListReply *sm_list_reply;
		SmKeyChannel *sm_key_channel;
		KeyOpRequest *key_op_request;
		KeyOpReply *key_op_reply;
		SandboxViolation *sandbox_violation;
		SmSessionTimers *sm_session_timers;
	};
	int fd; /* received descriptor (O_CLOEXEC), or -1; owned by the receiver */
};

/* "auth-request", ..., or "unknown" for a value outside the enum. */
const char *ipc_type_str(enum ipc_type type);

/* Text for a return value of any function here: an IPC_E_* code or -errno. */
const char *ipc_strerror(int err);

/* The protobuf-c descriptor of `type`'s message, or NULL if unknown. */
const ProtobufCMessageDescriptor *ipc_type_descriptor(enum ipc_type type);

/* True for the types that may carry a descriptor (SessionOpenReply,
 * DtlsSocket, SmKeyChannel). */
bool ipc_type_carries_fd(enum ipc_type type);

/*
 * Frame `msg` as `type` into buf[0..cap). Returns the datagram length, or
 * -EINVAL if msg's descriptor is not the one of `type` or a required field
 * is unset, -EMSGSIZE if the datagram would exceed min(cap, IPC_MAX_MSG).
 */
ssize_t ipc_encode(enum ipc_type type, const ProtobufCMessage *msg,
		   uint8_t *buf, size_t cap);

/*
 * Parse one complete datagram. On success fills out->type and out->base
 * (out->fd = -1) and returns 0; on failure returns an IPC_E_* code and
 * leaves out->base NULL. Never reads outside buf[0..len).
 */
int ipc_decode(const uint8_t *buf, size_t len, struct ipc_msg *out);

/*
 * Send one message on `sock`, with `fd` as SCM_RIGHTS unless fd < 0 (the fd
 * stays open in the caller). Never raises SIGPIPE. A datagram either goes
 * whole or not at all: -EAGAIN on a full non-blocking socket, -EPIPE when
 * the peer has closed its end (whether or not it read what we sent before;
 * its messages to us can still be received), -EINVAL / -EMSGSIZE as
 * ipc_encode().
 */
int ipc_send(int sock, enum ipc_type type, const ProtobufCMessage *msg, int fd);

/*
 * A queue of messages for a non-blocking socket whose peer may be slow to
 * read, for a process that must never wait for it (main towards sec-mod):
 * what the socket does not take at once waits here, encoded and in order,
 * and leaves with ipc_outq_flush() when the socket is writable again.
 * A message that carries a descriptor keeps a duplicate of it while it
 * waits (ipc_outq_send_fd).
 *
 *   ipc_outq_send()   nothing waiting and the socket takes it: sent now;
 *                     else queued behind the others (bounded by max_bytes)
 *   socket writable   ipc_outq_flush(): oldest first, until full again
 */
struct ipc_outq_item;
struct ipc_outq {
	struct ipc_outq_item *head, *tail;	/* oldest, newest; NULL when empty */
	size_t count;				/* messages waiting */
	size_t bytes;				/* their encoded bytes */
	size_t max_bytes;			/* ipc_outq_send refuses beyond this */
};

/* An empty queue holding at most max_bytes of encoded messages. */
void ipc_outq_init(struct ipc_outq *q, size_t max_bytes);

/*
 * Send msg as type on sock now if nothing waits and the socket takes it,
 * else queue it. Returns 0 (sent or queued), -ENOBUFS (the queue would
 * exceed max_bytes: not queued), -EPIPE (the peer closed its end),
 * -ENOMEM, or ipc_encode's -EINVAL / -EMSGSIZE; on an error nothing is
 * queued.
 */
int ipc_outq_send(struct ipc_outq *q, int sock, enum ipc_type type, const ProtobufCMessage *msg);
/* The same with fd as SCM_RIGHTS (fd < 0: none). The caller keeps fd; a
 * queued message holds its own duplicate (close-on-exec) until sent or
 * cleared. -EINVAL for a type that carries no descriptor. */
int ipc_outq_send_fd(struct ipc_outq *q, int sock, enum ipc_type type,
		     const ProtobufCMessage *msg, int fd);

/* Send what waits, oldest first, until the socket is full or the queue
 * empty. Returns how many messages left (0: none could), or -EPIPE /
 * another -errno when the socket failed (the queue then stays as it is). */
int ipc_outq_flush(struct ipc_outq *q, int sock);

static inline bool ipc_outq_empty(const struct ipc_outq *q)
{
	return q->head == NULL;
}

/* Drop every waiting message; the queue stays usable. */
void ipc_outq_clear(struct ipc_outq *q);

/*
 * Receive and decode one datagram from `sock`. Returns 0 and a message to
 * free with ipc_msg_free(); -EAGAIN when nothing is queued (non-blocking
 * socket); -EINTR; IPC_E_EOF when the peer closed, after every message it
 * sent before closing (also when it left some of ours unread: the kernel's
 * ECONNRESET for that is not an error here); another IPC_E_* code for a
 * protocol violation. A received fd is opened close-on-exec; on any error,
 * and when the type carries no fd, every received fd is closed here.
 */
int ipc_recv(int sock, struct ipc_msg *out);

/* Release the unpacked message and close the fd if still set. Idempotent. */
void ipc_msg_free(struct ipc_msg *m);

#endif
