/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the CSTP/DTLS packet codec (src/codec/cstp.c). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codec/cstp.h"
#include "test-main.h"

static uint8_t big_in[CSTP_MAX_RECORD + 16];
static uint8_t big_out[CSTP_MAX_RECORD + 16];

/* Deterministic filler so payload comparisons catch shifted bytes. */
static void fill(uint8_t *p, size_t n, unsigned seed)
{
	uint32_t x = 2463534242u ^ seed;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* ---- decode: every error code ---- */

START_TEST(test_decode_short)
{
	const uint8_t rec[8] = { 'S', 'T', 'F', 1, 0, 0, 7, 0 };
	struct cstp_packet pkt = { .type = 0xaa };

	for (size_t n = 0; n < 8; n++)
		ck_assert_int_eq(cstp_decode(rec, n, &pkt), CSTP_ERR_SHORT);
	ck_assert_uint_eq(pkt.type, 0xaa); /* untouched on error */
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_KEEPALIVE);
	ck_assert_uint_eq(pkt.len, 0);
}
END_TEST

START_TEST(test_decode_magic)
{
	const uint8_t good[8] = { 'S', 'T', 'F', 1, 0, 0, 0, 0 };
	struct cstp_packet pkt;

	for (int i = 0; i < 3; i++) {
		uint8_t rec[8];

		memcpy(rec, good, 8);
		rec[i] ^= 0x20; /* "stF", "StF", ... */
		ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_MAGIC);
	}
}
END_TEST

START_TEST(test_decode_version)
{
	uint8_t rec[8] = { 'S', 'T', 'F', 0, 0, 0, 0, 0 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_VERSION);
	rec[3] = 2;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_VERSION);
	rec[3] = 0xff;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_VERSION);
}
END_TEST

START_TEST(test_decode_length)
{
	/* Header says 4 bytes of payload. */
	uint8_t rec[16] = { 'S', 'T', 'F', 1, 0, 4, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(rec, 11, &pkt), CSTP_ERR_LENGTH); /* split */
	ck_assert_int_eq(cstp_decode(rec, 13, &pkt), CSTP_ERR_LENGTH); /* extra */
	ck_assert_int_eq(cstp_decode(rec, 16, &pkt), CSTP_ERR_LENGTH); /* coalesced */
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_LENGTH);
	ck_assert_int_eq(cstp_decode(rec, 12, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.len, 4);
	ck_assert_ptr_eq(pkt.payload, rec + 8);
	/* High length byte matters: 0x0104 is not 4. */
	rec[4] = 1;
	ck_assert_int_eq(cstp_decode(rec, 12, &pkt), CSTP_ERR_LENGTH);

	/* Two keepalives in one record are rejected, not half-parsed. */
	uint8_t two[16];
	ck_assert_int_eq(cstp_encode_keepalive(two, 8), 8);
	ck_assert_int_eq(cstp_encode_keepalive(two + 8, 8), 8);
	ck_assert_int_eq(cstp_decode(two, 16, &pkt), CSTP_ERR_LENGTH);
}
END_TEST

START_TEST(test_decode_reserved)
{
	uint8_t rec[8] = { 'S', 'T', 'F', 1, 0, 0, 3, 1 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_RESERVED);
	rec[7] = 0x80;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_RESERVED);
}
END_TEST

START_TEST(test_decode_order)
{
	/* Bad everything: the first failing check wins, in the documented
	 * order magic, version, length, reserved. */
	uint8_t rec[8] = { 'X', 'T', 'F', 9, 0, 9, 3, 1 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_MAGIC);
	rec[0] = 'S';
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_VERSION);
	rec[3] = 1;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_LENGTH);
	rec[5] = 0;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_ERR_RESERVED);
	rec[7] = 0;
	ck_assert_int_eq(cstp_decode(rec, 8, &pkt), CSTP_OK);
}
END_TEST

START_TEST(test_decode_inval)
{
	uint8_t rec[8] = { 'S', 'T', 'F', 1, 0, 0, 3, 0 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(NULL, 8, &pkt), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_decode(rec, 8, NULL), CSTP_ERR_INVAL);
	ck_assert_int_eq(dtls_decode(NULL, 1, &pkt), CSTP_ERR_INVAL);
	ck_assert_int_eq(dtls_decode(rec, 1, NULL), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_encode(NULL, 8, 0, NULL, 0), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_encode(rec, 8, 0, NULL, 1), CSTP_ERR_INVAL);
	ck_assert_int_eq(dtls_encode(NULL, 8, 0, NULL, 0), CSTP_ERR_INVAL);
	ck_assert_int_eq(dtls_encode(rec, 8, 0, NULL, 1), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_write_header(NULL, 8, 0, 0), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_encode_disconnect(NULL, 8, 0xb0, "x"), CSTP_ERR_INVAL);
	ck_assert_int_eq(cstp_dpd_echo(rec, 8, NULL, 8), CSTP_ERR_INVAL);
	ck_assert_int_eq(dtls_dpd_echo(rec, 8, NULL, 8), CSTP_ERR_INVAL);
}
END_TEST

START_TEST(test_decode_unknown_type)
{
	/* Framing is valid: the decoder hands out the type, the caller decides. */
	uint8_t rec[9] = { 'S', 'T', 'F', 1, 0, 1, 6, 0, 0x41 };
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_decode(rec, 9, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, 6);
	ck_assert(!cstp_type_known(pkt.type));
	ck_assert_str_eq(cstp_type_str(pkt.type), "UNKNOWN");
}
END_TEST

/* ---- boundary lengths 0, 1, 65535 ---- */

static const size_t boundary_lens[] = { 0, 1, 2, 255, 256, 1400, 65534, 65535 };

START_TEST(test_boundary_roundtrip)
{
	size_t len = boundary_lens[_i];
	struct cstp_packet pkt;
	int n;

	fill(big_in, len, (unsigned)len);
	n = cstp_encode(big_out, sizeof(big_out), CSTP_DATA, big_in, len);
	ck_assert_int_eq(n, (int)(CSTP_HEADER_LEN + len));
	ck_assert_uint_eq(big_out[4], (len >> 8) & 0xff);
	ck_assert_uint_eq(big_out[5], len & 0xff);
	ck_assert_int_eq(cstp_decode(big_out, (size_t)n, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DATA);
	ck_assert_uint_eq(pkt.len, len);
	ck_assert_int_eq(memcmp(pkt.payload, big_in, len), 0);

	/* Exactly-sized buffer works, one byte less does not. */
	ck_assert_int_eq(cstp_encode(big_out, CSTP_HEADER_LEN + len, CSTP_DATA,
				     big_in, len), n);
	ck_assert_int_eq(cstp_encode(big_out, CSTP_HEADER_LEN + len - 1,
				     CSTP_DATA, big_in, len), CSTP_ERR_NO_SPACE);

	n = dtls_encode(big_out, sizeof(big_out), CSTP_DATA, big_in, len);
	ck_assert_int_eq(n, (int)(1 + len));
	ck_assert_int_eq(dtls_decode(big_out, (size_t)n, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DATA);
	ck_assert_uint_eq(pkt.len, len);
	ck_assert_int_eq(memcmp(pkt.payload, big_in, len), 0);
	ck_assert_int_eq(dtls_encode(big_out, len, CSTP_DATA, big_in, len),
			 CSTP_ERR_NO_SPACE);
}
END_TEST

START_TEST(test_too_big)
{
	ck_assert_int_eq(cstp_encode(big_out, sizeof(big_out), CSTP_DATA, big_in,
				     65536), CSTP_ERR_TOO_BIG);
	ck_assert_int_eq(cstp_encode_dpd_req(big_out, sizeof(big_out), big_in,
					     65536), CSTP_ERR_TOO_BIG);
	ck_assert_int_eq(cstp_write_header(big_out, sizeof(big_out), CSTP_DATA,
					   65536), CSTP_ERR_TOO_BIG);
	ck_assert_int_eq(cstp_encode_data_header(big_out, sizeof(big_out), 65536),
			 CSTP_ERR_TOO_BIG);
	ck_assert_int_eq(dtls_encode(big_out, sizeof(big_out), CSTP_DATA, big_in,
				     65536), CSTP_ERR_TOO_BIG);
	ck_assert_int_eq(dtls_encode_dpd_req(big_out, sizeof(big_out), big_in,
					     65536), CSTP_ERR_TOO_BIG);
	/* TOO_BIG wins over NO_SPACE: the size is wrong whatever the buffer. */
	ck_assert_int_eq(cstp_encode(big_out, 4, CSTP_DATA, big_in, 70000),
			 CSTP_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_data_header)
{
	/* Zero-copy: caller writes the IP packet behind the header. */
	uint8_t buf[8 + 3];
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_encode_data_header(buf, sizeof(buf), 3), 8);
	memcpy(buf + 8, "\x45\x00\x01", 3);
	ck_assert_int_eq(cstp_decode(buf, sizeof(buf), &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DATA);
	ck_assert_uint_eq(pkt.len, 3);
	ck_assert_int_eq(pkt.payload[0], 0x45);
	ck_assert_int_eq(cstp_encode_data_header(buf, sizeof(buf), 4),
			 CSTP_ERR_NO_SPACE);
	ck_assert_int_eq(cstp_encode_data_header(buf, 7, 0), CSTP_ERR_NO_SPACE);
	ck_assert_int_eq(cstp_write_header(buf, 7, CSTP_DATA, 0), CSTP_ERR_NO_SPACE);
	/* write_header alone does not need room for the payload. */
	ck_assert_int_eq(cstp_write_header(buf, 8, CSTP_DATA, 1000), 8);
	ck_assert_uint_eq(buf[4], 0x03);
	ck_assert_uint_eq(buf[5], 0xe8);
}
END_TEST

/* ---- the fixed packets, byte for byte ---- */

START_TEST(test_fixed_packets)
{
	uint8_t buf[16];
	static const uint8_t ka[8] = { 'S', 'T', 'F', 1, 0, 0, 0x07, 0 };
	static const uint8_t term[8] = { 'S', 'T', 'F', 1, 0, 0, 0x09, 0 };
	static const uint8_t dpd[10] = { 'S', 'T', 'F', 1, 0, 2, 0x03, 0, 'h', 'i' };

	ck_assert_int_eq(cstp_encode_keepalive(buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, ka, 8), 0);
	ck_assert_int_eq(cstp_encode_terminate(buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, term, 8), 0);
	ck_assert_int_eq(cstp_encode_dpd_req(buf, sizeof(buf),
					     (const uint8_t *)"hi", 2), 10);
	ck_assert_int_eq(memcmp(buf, dpd, 10), 0);
	ck_assert_int_eq(cstp_encode_keepalive(buf, 7), CSTP_ERR_NO_SPACE);
	ck_assert_int_eq(cstp_encode_terminate(buf, 7), CSTP_ERR_NO_SPACE);

	ck_assert_int_eq(dtls_encode_keepalive(buf, sizeof(buf)), 1);
	ck_assert_uint_eq(buf[0], 0x07);
	ck_assert_int_eq(dtls_encode_keepalive(buf, 0), CSTP_ERR_NO_SPACE);
	ck_assert_int_eq(dtls_encode_dpd_req(buf, sizeof(buf), NULL, 0), 1);
	ck_assert_uint_eq(buf[0], 0x03);
}
END_TEST

START_TEST(test_disconnect)
{
	static const uint8_t want[] = { 'S', 'T', 'F', 1, 0, 13, 0x05, 0, 0xb0,
		'i', 'd', 'l', 'e', ' ', 't', 'i', 'm', 'e', 'o', 'u', 't' };
	uint8_t buf[64];
	struct cstp_packet pkt;

	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0xb0,
						"idle timeout"), (int)sizeof(want));
	ck_assert_int_eq(memcmp(buf, want, sizeof(want)), 0);
	ck_assert_int_eq(cstp_decode(buf, sizeof(want), &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DISCONNECT);
	ck_assert_uint_eq(pkt.payload[0], CSTP_REASON_USER_DISCONNECT);

	/* Exact fit and one short. */
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(want), 0xb0,
						"idle timeout"), (int)sizeof(want));
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(want) - 1, 0xb0,
						"idle timeout"), CSTP_ERR_NO_SPACE);

	/* Reason byte only. */
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0x91, NULL), 9);
	ck_assert_uint_eq(buf[5], 1);
	ck_assert_uint_eq(buf[8], 0x91);
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0x70, ""), 9);
	ck_assert_uint_eq(buf[8], 0x70);

	/* Control bytes and non-ASCII are refused. */
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0xb0, "a\nb"),
			 CSTP_ERR_BAD_TEXT);
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0xb0, "\x7f"),
			 CSTP_ERR_BAD_TEXT);
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0xb0, "caf\xc3\xa9"),
			 CSTP_ERR_BAD_TEXT);
}
END_TEST

START_TEST(test_disconnect_long)
{
	char *text = malloc(70000);

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', 70000);
	text[65534] = '\0'; /* 1 + 65534 = 65535: the largest payload */
	ck_assert_int_eq(cstp_encode_disconnect(big_out, sizeof(big_out), 0xb0, text),
			 (int)CSTP_MAX_RECORD);
	text[65534] = 'x';
	text[65535] = '\0';
	ck_assert_int_eq(cstp_encode_disconnect(big_out, sizeof(big_out), 0xb0, text),
			 CSTP_ERR_TOO_BIG);
	text[65535] = 'x';
	text[69999] = '\0';
	ck_assert_int_eq(cstp_encode_disconnect(big_out, sizeof(big_out), 0xb0, text),
			 CSTP_ERR_TOO_BIG);
	free(text);
}
END_TEST

/* ---- round trips of every type ---- */

static const uint8_t all_types[] = { CSTP_DATA, CSTP_DPD_REQ, CSTP_DPD_RESP,
	CSTP_DISCONNECT, CSTP_KEEPALIVE, CSTP_COMPRESSED, CSTP_TERMINATE };

START_TEST(test_type_roundtrip)
{
	uint8_t type = all_types[_i];
	uint8_t payload[37], buf[64];
	struct cstp_packet pkt;

	fill(payload, sizeof(payload), type);
	ck_assert(cstp_type_known(type));
	ck_assert_str_ne(cstp_type_str(type), "UNKNOWN");
	ck_assert_int_eq(cstp_encode(buf, sizeof(buf), type, payload, sizeof(payload)), 45);
	ck_assert_int_eq(cstp_decode(buf, 45, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, type);
	ck_assert_uint_eq(pkt.len, sizeof(payload));
	ck_assert_int_eq(memcmp(pkt.payload, payload, sizeof(payload)), 0);
	ck_assert_int_eq(dtls_encode(buf, sizeof(buf), type, payload, sizeof(payload)), 38);
	ck_assert_int_eq(dtls_decode(buf, 38, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, type);
	ck_assert_uint_eq(pkt.len, sizeof(payload));
	ck_assert_int_eq(memcmp(pkt.payload, payload, sizeof(payload)), 0);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(cstp_type_str(CSTP_DATA), "DATA");
	ck_assert_str_eq(cstp_type_str(CSTP_DPD_REQ), "DPD-REQ");
	ck_assert_str_eq(cstp_type_str(CSTP_DPD_RESP), "DPD-RESP");
	ck_assert_str_eq(cstp_type_str(CSTP_DISCONNECT), "DISCONNECT");
	ck_assert_str_eq(cstp_type_str(CSTP_KEEPALIVE), "KEEPALIVE");
	ck_assert_str_eq(cstp_type_str(CSTP_COMPRESSED), "COMPRESSED");
	ck_assert_str_eq(cstp_type_str(CSTP_TERMINATE), "TERMINATE");
	for (unsigned t = 0; t < 256; t++) {
		bool known = t == 0 || t == 3 || t == 4 || t == 5 || t == 7 ||
			     t == 8 || t == 9;
		ck_assert_int_eq(cstp_type_known(t), known);
	}
	ck_assert(!cstp_type_known(0x100));
}
END_TEST

START_TEST(test_payload_overlap)
{
	/* Payload already sitting where the header goes: memmove semantics. */
	uint8_t buf[32];

	memcpy(buf, "abcdefghij", 10);
	ck_assert_int_eq(cstp_encode(buf, sizeof(buf), CSTP_DATA, buf, 10), 18);
	ck_assert_int_eq(memcmp(buf + 8, "abcdefghij", 10), 0);
	memcpy(buf, "abcdefghij", 10);
	ck_assert_int_eq(dtls_encode(buf, sizeof(buf), CSTP_DATA, buf, 10), 11);
	ck_assert_int_eq(memcmp(buf + 1, "abcdefghij", 10), 0);
	memcpy(buf + 8, "xyz", 4);
	ck_assert_int_eq(cstp_encode_disconnect(buf, sizeof(buf), 0xb0,
						(const char *)buf + 8), 12);
	ck_assert_int_eq(memcmp(buf + 8, "\xb0xyz", 4), 0);
}
END_TEST

/* ---- DPD echo ---- */

static const size_t echo_lens[] = { 0, 1, 4, 100, 1399, 1400, 1401, 65535 };

START_TEST(test_cstp_echo)
{
	size_t len = echo_lens[_i];
	size_t rl = CSTP_HEADER_LEN + len;
	struct cstp_packet pkt;

	fill(big_in, len, 7 + (unsigned)len);
	ck_assert_int_eq(cstp_encode_dpd_req(big_in, sizeof(big_in), big_in, len),
			 (int)rl);
	memcpy(big_out, big_in, rl);

	/* Into a separate buffer: identical but for byte 6. */
	static uint8_t other[CSTP_MAX_RECORD];

	ck_assert_int_eq(cstp_dpd_echo(big_in, rl, other, rl), (int)rl);
	ck_assert_uint_eq(other[6], CSTP_DPD_RESP);
	ck_assert_int_eq(memcmp(other, big_in, 6), 0);
	ck_assert_int_eq(memcmp(other + 7, big_in + 7, rl - 7), 0);
	ck_assert_int_eq(cstp_decode(other, rl, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DPD_RESP);
	ck_assert_uint_eq(pkt.len, len);
	ck_assert_uint_eq(big_in[6], CSTP_DPD_REQ); /* source untouched */

	/* In place. */
	ck_assert_int_eq(cstp_dpd_echo(big_out, rl, big_out, rl), (int)rl);
	ck_assert_int_eq(memcmp(big_out, other, rl), 0);

	/* Too small an output. */
	ck_assert_int_eq(cstp_dpd_echo(big_in, rl, other, rl - 1), CSTP_ERR_NO_SPACE);
}
END_TEST

START_TEST(test_dtls_echo)
{
	size_t len = echo_lens[_i];
	size_t rl = 1 + len;
	static uint8_t other[DTLS_MAX_RECORD];

	/* The client's MTU probe: 0x03, 4 id bytes, filler. */
	fill(big_in, rl, 99 + (unsigned)len);
	big_in[0] = CSTP_DPD_REQ;
	memcpy(big_out, big_in, rl);
	ck_assert_int_eq(dtls_dpd_echo(big_in, rl, other, rl), (int)rl);
	ck_assert_uint_eq(other[0], CSTP_DPD_RESP);
	ck_assert_int_eq(memcmp(other + 1, big_in + 1, len), 0);
	ck_assert_uint_eq(big_in[0], CSTP_DPD_REQ);
	ck_assert_int_eq(dtls_dpd_echo(big_out, rl, big_out, rl), (int)rl);
	ck_assert_int_eq(memcmp(big_out, other, rl), 0);
	ck_assert_int_eq(dtls_dpd_echo(big_in, rl, other, rl - 1), CSTP_ERR_NO_SPACE);
}
END_TEST

START_TEST(test_echo_errors)
{
	uint8_t buf[64], out[64];

	/* Not a DPD request: DPD-RESP, KEEPALIVE, DATA. */
	ck_assert_int_eq(cstp_encode_keepalive(buf, sizeof(buf)), 8);
	ck_assert_int_eq(cstp_dpd_echo(buf, 8, out, sizeof(out)), CSTP_ERR_NOT_DPD_REQ);
	ck_assert_int_eq(cstp_encode(buf, sizeof(buf), CSTP_DPD_RESP, NULL, 0), 8);
	ck_assert_int_eq(cstp_dpd_echo(buf, 8, out, sizeof(out)), CSTP_ERR_NOT_DPD_REQ);
	buf[0] = CSTP_DATA;
	ck_assert_int_eq(dtls_dpd_echo(buf, 5, out, sizeof(out)), CSTP_ERR_NOT_DPD_REQ);
	buf[0] = CSTP_DPD_RESP;
	ck_assert_int_eq(dtls_dpd_echo(buf, 1, out, sizeof(out)), CSTP_ERR_NOT_DPD_REQ);

	/* Malformed records report the decoder's error. */
	ck_assert_int_eq(cstp_encode_dpd_req(buf, sizeof(buf), NULL, 0), 8);
	ck_assert_int_eq(cstp_dpd_echo(buf, 7, out, sizeof(out)), CSTP_ERR_SHORT);
	ck_assert_int_eq(cstp_dpd_echo(buf, 9, out, sizeof(out)), CSTP_ERR_LENGTH);
	buf[7] = 1;
	ck_assert_int_eq(cstp_dpd_echo(buf, 8, out, sizeof(out)), CSTP_ERR_RESERVED);
	ck_assert_int_eq(dtls_dpd_echo(buf, 0, out, sizeof(out)), CSTP_ERR_DTLS_EMPTY);

	/* A DTLS probe beyond the bound. */
	static uint8_t huge[DTLS_MAX_RECORD + 1];
	huge[0] = CSTP_DPD_REQ;
	ck_assert_int_eq(dtls_dpd_echo(huge, sizeof(huge), huge, sizeof(huge)),
			 CSTP_ERR_TOO_BIG);
}
END_TEST

START_TEST(test_dtls_decode)
{
	uint8_t rec[3] = { 0x03, 0xaa, 0xbb };
	struct cstp_packet pkt = { .type = 0x55 };

	ck_assert_int_eq(dtls_decode(rec, 0, &pkt), CSTP_ERR_DTLS_EMPTY);
	ck_assert_uint_eq(pkt.type, 0x55);
	ck_assert_int_eq(dtls_decode(rec, 1, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.type, CSTP_DPD_REQ);
	ck_assert_uint_eq(pkt.len, 0);
	ck_assert_int_eq(dtls_decode(rec, 3, &pkt), CSTP_OK);
	ck_assert_uint_eq(pkt.len, 2);
	ck_assert_ptr_eq(pkt.payload, rec + 1);
}
END_TEST

START_TEST(test_strerror)
{
	static const int codes[] = { CSTP_OK, CSTP_ERR_SHORT, CSTP_ERR_MAGIC,
		CSTP_ERR_VERSION, CSTP_ERR_LENGTH, CSTP_ERR_RESERVED,
		CSTP_ERR_DTLS_EMPTY, CSTP_ERR_TOO_BIG, CSTP_ERR_NO_SPACE,
		CSTP_ERR_NOT_DPD_REQ, CSTP_ERR_BAD_TEXT, CSTP_ERR_INVAL };
	const size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++) {
		ck_assert_str_ne(cstp_strerror(codes[i]), "unknown error");
		for (size_t j = 0; j < i; j++) {
			ck_assert_int_ne(codes[i], codes[j]);
			ck_assert_str_ne(cstp_strerror(codes[i]), cstp_strerror(codes[j]));
		}
	}
	ck_assert_str_eq(cstp_strerror(-1000), "unknown error");
	ck_assert_str_eq(cstp_strerror(1), "unknown error");
}
END_TEST

static Suite *cstp_suite(void)
{
	Suite *s = suite_create("cstp");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_decode_short);
	tcase_add_test(tc, test_decode_magic);
	tcase_add_test(tc, test_decode_version);
	tcase_add_test(tc, test_decode_length);
	tcase_add_test(tc, test_decode_reserved);
	tcase_add_test(tc, test_decode_order);
	tcase_add_test(tc, test_decode_inval);
	tcase_add_test(tc, test_decode_unknown_type);
	tcase_add_test(tc, test_dtls_decode);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_boundary_roundtrip, 0,
			    sizeof(boundary_lens) / sizeof(boundary_lens[0]));
	tcase_add_loop_test(tc, test_type_roundtrip, 0, sizeof(all_types));
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_data_header);
	tcase_add_test(tc, test_fixed_packets);
	tcase_add_test(tc, test_disconnect);
	tcase_add_test(tc, test_disconnect_long);
	tcase_add_test(tc, test_payload_overlap);
	suite_add_tcase(s, tc);

	tc = tcase_create("echo");
	tcase_add_loop_test(tc, test_cstp_echo, 0,
			    sizeof(echo_lens) / sizeof(echo_lens[0]));
	tcase_add_loop_test(tc, test_dtls_echo, 0,
			    sizeof(echo_lens) / sizeof(echo_lens[0]));
	tcase_add_test(tc, test_echo_errors);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cstp_suite)
