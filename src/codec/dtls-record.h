/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_DTLS_RECORD_H
#define OCSM_DTLS_RECORD_H

/*
 * A look at DTLS datagrams from outside the DTLS library (doc/spec/interop.md §6.2,
 * §6.3): main routes each datagram that reaches its UDP listener by what it
 * is, and a worker tells a new ClientHello from the records of its running
 * association. Nothing here decrypts or allocates; every function reads only
 * buf[0..len) and is safe on any input (fuzzed: tests/fuzz/fuzz-dtls-record).
 *
 * The first record of a datagram (RFC 6347 §4.1, 13-byte header):
 *
 *   0      1        3       5              11       13
 *   +------+--------+-------+--------------+--------+----------
 *   | type | version| epoch | sequence (48)| length | fragment
 *   +------+--------+-------+--------------+--------+----------
 *
 * A first-flight ClientHello of openconnect 9.01 (GnuTLS 3.7.9), offsets in
 * the UDP payload:
 *
 *   0 type 22 | 1-2 FE FF | 3-4 epoch 0 | 13 msg type 1 | 25-26 FE FD
 *   27-58 random | 59 session_id length (32) | 60-91 session_id = App-ID
 *   92 cookie length | cipher suites | compression | extensions
 *
 * The App-ID travels in the session_id, or (other clients, as ocserv
 * accepts) in extension 48018 whose data is one length byte and the ID;
 * the extension wins when both are there.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTLS_RECORD_HEADER_LEN 13u
#define DTLS_HANDSHAKE_HEADER_LEN 12u
/* Largest App-ID (X-DTLS-App-ID is 1..32 bytes, doc/spec/interop.md §2.3). */
#define DTLS_APP_ID_MAX 32u
/* The ClientHello extension carrying the App-ID (ocserv, newer clients). */
#define DTLS_EXT_APP_ID 48018u

enum dtls_content_type {
	DTLS_CT_CHANGE_CIPHER_SPEC = 20,
	DTLS_CT_ALERT = 21,
	DTLS_CT_HANDSHAKE = 22,
	DTLS_CT_APPLICATION_DATA = 23,
};

/* The header of the first record of a datagram. */
struct dtls_record_hdr {
	uint8_t type;		/* enum dtls_content_type, or anything else */
	uint16_t version;	/* 0xfeff DTLS 1.0, 0xfefd DTLS 1.2, 0x0100 DTLS 0.9 */
	uint16_t epoch;		/* 0 before the first ChangeCipherSpec */
	uint64_t seq;		/* 48-bit record sequence number */
	uint16_t length;	/* fragment length (the fragment may be cut short) */
};

enum dtls_record_err {
	DTLS_REC_OK = 0,
	DTLS_REC_SHORT = -1,	   /* shorter than a record header */
	DTLS_REC_NOT_DTLS = -2,	   /* content type or version no DTLS record has */
	DTLS_REC_NOT_HELLO = -3,   /* a valid record, but no first-flight ClientHello */
	DTLS_REC_MALFORMED = -4,   /* a ClientHello whose fields do not add up */
	DTLS_REC_NO_APP_ID = -5,   /* a ClientHello with an empty session_id and no extension */
};

/* Text for a DTLS_REC_* code. */
const char *dtls_record_strerror(int err);

/* Parse the header of the first record in buf. DTLS_REC_OK with *out filled,
 * DTLS_REC_SHORT, or DTLS_REC_NOT_DTLS (content type not 20..23, or a version
 * byte pair that is neither 0xfe.. nor DTLS 0.9's 0x0100). */
int dtls_record_peek(const uint8_t *buf, size_t len, struct dtls_record_hdr *out);

/* True if buf starts with a handshake record of epoch 0: the plaintext part
 * of a handshake (ClientHello, its retransmissions, the client's second
 * flight before its ChangeCipherSpec). */
bool dtls_record_is_epoch0_handshake(const uint8_t *buf, size_t len);

/*
 * If buf starts with a ClientHello (handshake record, epoch 0, handshake type
 * 1, fragment offset 0), copy its App-ID to id[0..DTLS_APP_ID_MAX) and its
 * length to *id_len. Returns DTLS_REC_OK, or DTLS_REC_SHORT, _NOT_DTLS,
 * _NOT_HELLO, _MALFORMED, _NO_APP_ID. The session_id must lie inside the
 * first record; the extensions are read only if the whole ClientHello is
 * in that record (a fragmented hello is routed by its session_id).
 */
int dtls_client_hello_app_id(const uint8_t *buf, size_t len, uint8_t id[DTLS_APP_ID_MAX],
			     size_t *id_len);

#endif
