/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_PROXY_H
#define OCSM_PROXY_H

/*
 * The PROXY protocol header a TCP front (haproxy `send-proxy` or
 * `send-proxy-v2`) puts at the start of each connection, before the
 * client's first byte (doc/cluster.md): the client's address and port, and
 * the address it connected to. Pure: no I/O, no allocation; every function
 * reads only buf[0..n) and is safe on any input (fuzzed:
 * tests/fuzz/fuzz-proxy).
 *
 * Version 1, one text line of at most 107 bytes:
 *
 *   PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n
 *   PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n
 *
 * Version 2, binary, 16 bytes then `len` bytes:
 *
 *   0           12       13         14        16
 *   +-----------+--------+----------+---------+-----------------------+
 *   | signature | ver|cmd| fam|proto| len (BE)| addresses, then TLVs  |
 *   +-----------+--------+----------+---------+-----------------------+
 *   signature 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A; version 2; command
 *   0 LOCAL or 1 PROXY; family 1 INET (12 address bytes: source, destination,
 *   source port, destination port) or 2 INET6 (36 bytes); protocol 1 STREAM.
 *
 * What is accepted: v1 TCP4/TCP6 and v2 PROXY over INET/INET6 STREAM give
 * the client's address; v2 LOCAL (the front's own connections, health
 * checks) carries no address and means "use the connection's own". Refused
 * as an unsupported family: v1 UNKNOWN, v2 PROXY with family UNSPEC or UNIX
 * or protocol other than STREAM (a gateway must not take the front's
 * address for a client's: bans and limits would hit every client).
 *
 * proxy_parse is meant for a reader that must not consume a byte past the
 * header (TLS follows it): PROXY_NEED_MORE means buf[0..n) is a valid start
 * of a header that is longer than n, so every byte seen so far belongs to
 * it and the reader may take them off the socket.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest v1 line, CRLF included. */
#define PROXY_V1_MAX 107u
/* The fixed part of a v2 header. */
#define PROXY_V2_FIXED 16u
/* Longest header accepted (a v2 header with TLVs up to this size). */
#define PROXY_HEADER_MAX 1024u

enum proxy_status {
	PROXY_OK = 0,            /* a whole header: *out filled, out->len bytes */
	PROXY_NEED_MORE = 1,     /* a valid start of a header longer than n */
	PROXY_E_NOT_PROXY = -1,  /* does not start like a PROXY header */
	PROXY_E_MALFORMED = -2,  /* starts like one, but a field is wrong */
	PROXY_E_FAMILY = -3,     /* unsupported family or protocol (see above) */
	PROXY_E_VERSION = -4,    /* v2 signature with another version or command */
	PROXY_E_TOO_LONG = -5,   /* longer than PROXY_HEADER_MAX */
};

struct proxy_header {
	unsigned version;               /* 1 or 2 */
	bool local;                     /* v2 LOCAL: no addresses, src/dst unset */
	struct sockaddr_storage src;    /* the client (AF_INET or AF_INET6, port set) */
	struct sockaddr_storage dst;    /* the address the client connected to */
	socklen_t src_len, dst_len;
	size_t len;                     /* bytes of the header, TLVs included */
};

/* Parse the header at the start of buf[0..n): PROXY_OK with *out filled,
 * PROXY_NEED_MORE, or a PROXY_E_* code (*out then holds nothing useful). */
int proxy_parse(const uint8_t *buf, size_t n, struct proxy_header *out);

/* Text for a proxy_status. */
const char *proxy_strerror(int status);

#endif
