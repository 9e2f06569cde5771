/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_CSTP_H
#define OCSM_CSTP_H

/*
 * CSTP (TLS channel) and DTLS (UDP channel) packet codec.
 *
 * Wire format (doc/spec/interop.md §3):
 *
 *   CSTP, one packet per TLS record, never coalesced or split:
 *
 *     0     3     4           6      7      8
 *     +-----+-----+-----------+------+------+-------------
 *     | STF | 01  | length BE | type | 00   | payload (length bytes)
 *     +-----+-----+-----------+------+------+-------------
 *
 *   DTLS, one packet per DTLS record:
 *
 *     +------+--------------------------
 *     | type | payload (rest of record)
 *     +------+--------------------------
 *
 * The decoders look at exactly one record and never copy: the payload
 * pointer they return points into the record. The encoders write into a
 * caller buffer, never allocate, and return the number of bytes written
 * (header + payload) or a negative CSTP_ERR_* code.
 *
 * The decoders accept any type byte: the framing is valid and it is for the
 * caller to decide what an unknown type means (our server logs and ignores
 * it, doc/spec/interop.md §3.2). cstp_type_known() tells the seven defined types.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet types shared by both channels (AC_PKT_* in the client). */
enum cstp_type {
	CSTP_DATA = 0x00,       /* an IP packet */
	CSTP_DPD_REQ = 0x03,    /* dead peer detection request (DPD-OUT) */
	CSTP_DPD_RESP = 0x04,   /* DPD response: the request's payload echoed */
	CSTP_DISCONNECT = 0x05, /* reason byte + ASCII text, or empty */
	CSTP_KEEPALIVE = 0x07,  /* empty */
	CSTP_COMPRESSED = 0x08, /* a compressed IP packet */
	CSTP_TERMINATE = 0x09,  /* server shutting down, empty */
};

/* DISCONNECT reason bytes (draft-04, doc/spec/interop.md §3.4). */
enum cstp_reason {
	CSTP_REASON_LOCAL_ERROR = 0x70,     /* session invalidated */
	CSTP_REASON_VPN_RECONNECT = 0x91,   /* session preserved */
	CSTP_REASON_USER_DISCONNECT = 0xb0, /* logout: session invalidated */
	CSTP_REASON_VPN_PAUSE = 0xd1,       /* session preserved */
};

#define CSTP_HEADER_LEN 8
#define DTLS_HEADER_LEN 1
/* The CSTP length field is 16 bits. DTLS has no length field; we apply the
 * same bound so a packet can always move between the channels. */
#define CSTP_MAX_PAYLOAD 65535u
#define DTLS_MAX_PAYLOAD CSTP_MAX_PAYLOAD
#define CSTP_MAX_RECORD (CSTP_HEADER_LEN + CSTP_MAX_PAYLOAD)
#define DTLS_MAX_RECORD (DTLS_HEADER_LEN + DTLS_MAX_PAYLOAD)

/* Error codes: every decoder and encoder returns one of these (or >= 0).
 * For a received CSTP record every decode error is fatal for the session
 * (doc/spec/interop.md §3.3: "else end the session"); a DTLS decode error only drops
 * the record. */
enum cstp_err {
	CSTP_OK = 0,
	CSTP_ERR_SHORT = -1,      /* CSTP record shorter than the 8-byte header */
	CSTP_ERR_MAGIC = -2,      /* bytes 0..2 are not "STF" */
	CSTP_ERR_VERSION = -3,    /* byte 3 is not 0x01 */
	CSTP_ERR_LENGTH = -4,     /* header length + 8 != record size */
	CSTP_ERR_RESERVED = -5,   /* byte 7 is not 0x00 */
	CSTP_ERR_DTLS_EMPTY = -6, /* DTLS record of 0 bytes */
	CSTP_ERR_TOO_BIG = -7,    /* payload over CSTP_MAX_PAYLOAD */
	CSTP_ERR_NO_SPACE = -8,   /* output buffer too small */
	CSTP_ERR_NOT_DPD_REQ = -9, /* echo asked for a record that is no DPD-REQ */
	CSTP_ERR_BAD_TEXT = -10,  /* DISCONNECT text not printable ASCII */
	CSTP_ERR_INVAL = -11,     /* NULL pointer where one is required */
};

/* One decoded packet. payload points into the decoded record (NULL only when
 * len == 0 and the record ends at the header). */
struct cstp_packet {
	uint8_t type;           /* any byte; see cstp_type_known() */
	const uint8_t *payload; /* borrowed from the record */
	size_t len;             /* payload length, <= record size - header */
};

/* Name of a packet type ("DATA", "DPD-REQ", ...), "UNKNOWN" for others. */
const char *cstp_type_str(unsigned type);
/* True for the seven types of enum cstp_type. */
bool cstp_type_known(unsigned type);
/* Human-readable text for a CSTP_ERR_* code ("unknown error" otherwise). */
const char *cstp_strerror(int code);

/* Decode one whole TLS record as one CSTP packet. Returns CSTP_OK and fills
 * *pkt, or a negative CSTP_ERR_* (SHORT, MAGIC, VERSION, LENGTH, RESERVED,
 * INVAL), checked in that order. *pkt is untouched on error. */
int cstp_decode(const uint8_t *rec, size_t rec_len, struct cstp_packet *pkt);

/* Decode one DTLS record: type byte + payload. CSTP_ERR_DTLS_EMPTY for an
 * empty record. */
int dtls_decode(const uint8_t *rec, size_t rec_len, struct cstp_packet *pkt);

/* Write the 8-byte CSTP header for a payload of payload_len bytes that the
 * caller places (or has placed) at buf + CSTP_HEADER_LEN. Returns
 * CSTP_HEADER_LEN, CSTP_ERR_TOO_BIG or CSTP_ERR_NO_SPACE (buf_len < 8). */
int cstp_write_header(uint8_t *buf, size_t buf_len, uint8_t type,
		      size_t payload_len);

/* Header + payload into buf. payload may overlap buf (it is moved, not
 * copied), and may be NULL when len is 0. Returns 8 + len or an error. */
int cstp_encode(uint8_t *buf, size_t buf_len, uint8_t type,
		const uint8_t *payload, size_t len);

/* Header for a DATA packet whose len bytes of IP packet the caller writes at
 * buf + CSTP_HEADER_LEN (zero-copy send path). Returns 8 or an error. */
int cstp_encode_data_header(uint8_t *buf, size_t buf_len, size_t len);

/* DPD-REQ carrying payload (may be empty). Returns 8 + len or an error. */
int cstp_encode_dpd_req(uint8_t *buf, size_t buf_len, const uint8_t *payload,
			size_t len);

/* KEEPALIVE and TERMINATE: empty payload. Return 8 or CSTP_ERR_NO_SPACE. */
int cstp_encode_keepalive(uint8_t *buf, size_t buf_len);
int cstp_encode_terminate(uint8_t *buf, size_t buf_len);

/* DISCONNECT with a reason byte followed by text (NUL-terminated, printable
 * ASCII 0x20..0x7e, no NUL on the wire; may be NULL or "" for a 1-byte
 * payload). The client logs "Received server disconnect: b0 'idle timeout'"
 * for reason 0xb0, text "idle timeout". Returns 8 + 1 + strlen(text),
 * CSTP_ERR_BAD_TEXT, CSTP_ERR_TOO_BIG or CSTP_ERR_NO_SPACE. */
int cstp_encode_disconnect(uint8_t *buf, size_t buf_len, uint8_t reason,
			   const char *text);

/* Turn a received CSTP DPD-REQ record into the DPD-RESP record: the whole
 * record byte for byte with only the type byte changed to 0x04. out may be
 * rec itself (in place) or a separate buffer of at least rec_len bytes.
 * Returns rec_len, a cstp_decode() error for a malformed record,
 * CSTP_ERR_NOT_DPD_REQ for a valid packet of another type, or
 * CSTP_ERR_NO_SPACE. */
int cstp_dpd_echo(const uint8_t *rec, size_t rec_len, uint8_t *out,
		  size_t out_len);

/* DTLS encoders: type byte + payload (payload may overlap buf). */
int dtls_encode(uint8_t *buf, size_t buf_len, uint8_t type,
		const uint8_t *payload, size_t len);
int dtls_encode_dpd_req(uint8_t *buf, size_t buf_len, const uint8_t *payload,
			size_t len);
int dtls_encode_keepalive(uint8_t *buf, size_t buf_len);

/* The DTLS echo, same contract as cstp_dpd_echo(): byte 0 becomes 0x04 and
 * every other byte is kept, which the client's MTU probe requires
 * (doc/spec/interop.md §6.6). Returns rec_len, CSTP_ERR_DTLS_EMPTY,
 * CSTP_ERR_NOT_DPD_REQ, CSTP_ERR_TOO_BIG or CSTP_ERR_NO_SPACE. */
int dtls_dpd_echo(const uint8_t *rec, size_t rec_len, uint8_t *out,
		  size_t out_len);

#endif
