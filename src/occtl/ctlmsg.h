/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_CTLMSG_H
#define OCSM_CTLMSG_H

/*
 * Framing of the control protocol between occtl-modern and main
 * (src/occtl/ctl.proto). Transport: AF_UNIX SOCK_STREAM at
 * occtl-socket-file. One frame per message:
 *
 *   0      1               5
 *   +------+---------------+---------------------------+
 *   | type |    length     | packed protobuf-c message |
 *   +------+---------------+---------------------------+
 *   uint8   uint32 BE        `length` bytes (<= CTL_MAX_PAYLOAD)
 *
 * A request's type is an enum ctl_cmd and its payload a CtlRequest; the
 * reply's type is CTL_REPLY(cmd) and its payload a CtlReply. The type
 * numbers follow occtl's (doc/spec/interop.md §8) where a command exists there.
 *
 * Error convention: 0 or a length on success, -errno for system errors, or
 * a CTL_E_* code for a peer that broke the protocol (close it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#include "occtl/ctl.pb-c.h"

#define CTL_HDR_LEN 5u
/* Largest payload either side sends or accepts: room for many thousands of
 * sessions, small enough that a bogus length cannot make us allocate much. */
#define CTL_MAX_PAYLOAD (16u * 1024u * 1024u)

/* Wire type numbers: never renumber, only append. */
enum ctl_cmd {
	CTL_CMD_STATUS = 1,
	CTL_CMD_RELOAD = 2,
	CTL_CMD_STOP = 3,
	CTL_CMD_LIST_USERS = 4,        /* show users */
	CTL_CMD_USER_INFO = 5,         /* show user NAME (name) */
	CTL_CMD_ID_INFO = 6,           /* show id ID (id) */
	CTL_CMD_DISCONNECT_NAME = 7,   /* disconnect user NAME */
	CTL_CMD_DISCONNECT_ID = 8,     /* disconnect id ID */
	CTL_CMD_LIST_BANNED = 9,       /* show ip bans */
	CTL_CMD_UNBAN_IP = 10,         /* unban ip IP (name) */
	/* 11: occtl's TOP, not implemented */
	CTL_CMD_LIST_SESSIONS = 12,    /* show sessions all|valid (all) */
	CTL_CMD_SESSION_INFO = 13,     /* show session SID (name: prefix) */
	CTL_CMD_TERMINATE_SESSION = 14, /* terminate session SID (name) */
	CTL_CMD_TERMINATE_USER = 15,   /* terminate user NAME (name) */
	CTL_CMD_EVENTS = 16,           /* show events: the reply, then CTL_EVENT frames */
};
#define CTL_CMD_MAX CTL_CMD_EVENTS
/* A CtlEvent pushed to a client subscribed with CTL_CMD_EVENTS. */
#define CTL_EVENT 200u
#define CTL_REPLY_BASE 100u
#define CTL_REPLY(cmd) ((uint8_t)(CTL_REPLY_BASE + (unsigned)(cmd)))

enum ctl_error {
	CTL_E_EOF = -2001,      /* the peer closed the connection */
	CTL_E_TOO_BIG = -2002,  /* announced length above CTL_MAX_PAYLOAD */
	CTL_E_UNPACK = -2003,   /* protobuf-c could not unpack the payload */
	CTL_E_TYPE = -2004,     /* unknown or unexpected type */
	CTL_E_TIMEOUT = -2005,  /* no complete frame in time */
};

/* "status", "reload", ... for a command; "unknown" otherwise. */
const char *ctl_cmd_str(unsigned type);
/* True for a type in enum ctl_cmd. */
bool ctl_cmd_valid(unsigned type);
/* Text for any return value here: CTL_E_* or -errno. */
const char *ctl_strerror(int err);

/*
 * Frame msg as type into a new buffer (free() it). Returns the frame length,
 * or -ENOMEM, or -EMSGSIZE above CTL_MAX_PAYLOAD.
 */
ssize_t ctl_frame_encode(uint8_t type, const ProtobufCMessage *msg, uint8_t **out);

/*
 * Look for one complete frame at the start of buf[0..len). Returns the
 * frame's total length and sets *type, *payload, *plen when one is there;
 * 0 when more bytes are needed; CTL_E_TOO_BIG for a length that can never
 * be accepted. Never reads outside buf.
 */
ssize_t ctl_frame_parse(const uint8_t *buf, size_t len, uint8_t *type,
			const uint8_t **payload, size_t *plen);

/* Unpack a request / reply payload; NULL if malformed. Free with
 * ctl_request__free_unpacked / ctl_reply__free_unpacked. */
CtlRequest *ctl_request_unpack(const uint8_t *payload, size_t len);
CtlReply *ctl_reply_unpack(const uint8_t *payload, size_t len);
/* ... and an event's (free with ctl_event__free_unpacked). */
CtlEvent *ctl_event_unpack(const uint8_t *payload, size_t len);

/*
 * Client side (occtl-modern): blocking helpers with a bound. Connect to the
 * socket at path (-errno, e.g. -ENOENT, -ECONNREFUSED, -EACCES); send one
 * request; receive one reply of the expected type within timeout_ms
 * (CTL_E_TIMEOUT, CTL_E_EOF, CTL_E_TYPE, CTL_E_UNPACK, -errno).
 */
int ctl_connect(const char *path);
int ctl_send_request(int fd, enum ctl_cmd cmd, const CtlRequest *req);
int ctl_recv_reply(int fd, enum ctl_cmd cmd, int timeout_ms, CtlReply **out);

/*
 * Frames one after the other from one connection (show events: the reply
 * and the events may arrive in one read). ctl_stream_next waits at most
 * timeout_ms (< 0: no bound) for the next whole frame; *payload points into
 * the stream and stays valid until the next call. Errors as ctl_recv_reply.
 */
struct ctl_stream {
	uint8_t *buf;
	size_t len, cap, used;  /* used: bytes of the frame returned last */
};
int ctl_stream_next(int fd, struct ctl_stream *s, int timeout_ms, uint8_t *type,
		    const uint8_t **payload, size_t *plen);
void ctl_stream_free(struct ctl_stream *s);

#endif
