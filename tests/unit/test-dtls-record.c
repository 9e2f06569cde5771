/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DTLS datagram inspection (src/codec/dtls-record.h): the ClientHello layout that
 * openconnect 9.01 sends (doc/spec/interop.md §6.3), the App-ID in the session_id or
 * in extension 48018, and every way a datagram can fail to be one.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dtls-record.h"
#include "test-main.h"

struct buf {
	uint8_t b[2048];
	size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
	ck_assert_uint_le(o->n + n, sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void u8(struct buf *o, unsigned v)
{
	uint8_t c = (uint8_t)v;

	put(o, &c, 1);
}

static void u16(struct buf *o, unsigned v)
{
	u8(o, v >> 8);
	u8(o, v);
}

static void u24(struct buf *o, unsigned v)
{
	u8(o, v >> 16);
	u16(o, v);
}

static void set16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set24(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 16);
	set16(p + 1, v);
}

struct hello_opts {
	size_t sid_len;		/* session_id length, filled with 0xA0 + i */
	int ext_app_id_len;	/* -1: no 48018 extension, else its ID length (0xC0 + i) */
	bool no_extensions;	/* stop after the compression methods */
	unsigned cookie_len;
};

/*
 * A first-flight ClientHello as openconnect 9.01 sends it: record version
 * FE FF, epoch 0, client_version FE FD, the session_id, no cookie, the PSK
 * suites, null compression, signature_algorithms, session_ticket,
 * renegotiation_info, record_size_limit (and optionally 48018).
 */
static void build_hello(struct buf *o, const struct hello_opts *op)
{
	static const unsigned suites[] = { 0x00a9, 0xccab, 0xc0a5, 0x008d,
					   0x00a8, 0xc0a4, 0x008c, 0x00ae };
	size_t rec_len_at, hs_at, ext_len_at, body_at;

	o->n = 0;
	u8(o, 22);
	u16(o, 0xfeff);
	u16(o, 0);		/* epoch */
	u16(o, 0);
	u16(o, 0);
	u16(o, 0);		/* sequence 0 */
	rec_len_at = o->n;
	u16(o, 0);
	hs_at = o->n;
	u8(o, 1);		/* ClientHello */
	u24(o, 0);		/* length, set below */
	u16(o, 0);		/* message_seq */
	u24(o, 0);		/* fragment_offset */
	u24(o, 0);		/* fragment_length, set below */
	body_at = o->n;
	u16(o, 0xfefd);
	for (int i = 0; i < 32; i++)
		u8(o, 0x11 * (i % 15));
	u8(o, op->sid_len);
	for (size_t i = 0; i < op->sid_len; i++)
		u8(o, 0xa0 + i);
	u8(o, op->cookie_len);
	for (unsigned i = 0; i < op->cookie_len; i++)
		u8(o, 0x55);
	u16(o, sizeof(suites) / sizeof(suites[0]) * 2);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		u16(o, suites[i]);
	u8(o, 1);
	u8(o, 0);
	if (!op->no_extensions) {
		ext_len_at = o->n;
		u16(o, 0);
		u16(o, 13);	/* signature_algorithms */
		u16(o, 6);
		u16(o, 4);
		u16(o, 0x0401);
		u16(o, 0x0804);
		u16(o, 35);	/* session_ticket, empty */
		u16(o, 0);
		u16(o, 0xff01);	/* renegotiation_info */
		u16(o, 1);
		u8(o, 0);
		if (op->ext_app_id_len >= 0) {
			u16(o, DTLS_EXT_APP_ID);
			u16(o, (unsigned)op->ext_app_id_len + 1);
			u8(o, (unsigned)op->ext_app_id_len);
			for (int i = 0; i < op->ext_app_id_len; i++)
				u8(o, 0xc0 + (unsigned)i);
		}
		u16(o, 28);	/* record_size_limit */
		u16(o, 2);
		u16(o, 16384);
		set16(o->b + ext_len_at, o->n - ext_len_at - 2);
	}
	set24(o->b + hs_at + 1, o->n - body_at);
	set24(o->b + hs_at + 9, o->n - body_at);
	set16(o->b + rec_len_at, o->n - hs_at);
}

static void default_hello(struct buf *o)
{
	const struct hello_opts op = { .sid_len = 32, .ext_app_id_len = -1 };

	build_hello(o, &op);
}

START_TEST(test_openconnect_layout)
{
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0;

	default_hello(&o);
	/* doc/spec/interop.md §6.3 offsets */
	ck_assert_uint_eq(o.b[0], 22);
	ck_assert_uint_eq(o.b[13], 1);
	ck_assert_uint_eq(o.b[25], 0xfe);
	ck_assert_uint_eq(o.b[26], 0xfd);
	ck_assert_uint_eq(o.b[59], 32);
	ck_assert_uint_eq(o.b[60], 0xa0);
	ck_assert_uint_eq(o.b[91], 0xa0 + 31);
	ck_assert_uint_eq(o.b[92], 0);

	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_OK);
	ck_assert_uint_eq(n, 32);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(id[i], 0xa0 + i);
	ck_assert(dtls_record_is_epoch0_handshake(o.b, o.n));
}
END_TEST

START_TEST(test_peek)
{
	struct buf o;
	struct dtls_record_hdr h;
	static const uint8_t appdata[13] = { 23, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00,
					     0x00, 0x00, 0x01, 0x02, 0x00, 0x20 };
	static const uint8_t dtls09[13] = { 23, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 7, 0, 0 };
	uint8_t bad[13];

	default_hello(&o);
	ck_assert_int_eq(dtls_record_peek(o.b, o.n, &h), DTLS_REC_OK);
	ck_assert_uint_eq(h.type, DTLS_CT_HANDSHAKE);
	ck_assert_uint_eq(h.version, 0xfeff);
	ck_assert_uint_eq(h.epoch, 0);
	ck_assert_uint_eq(h.length, o.n - 13);

	ck_assert_int_eq(dtls_record_peek(appdata, sizeof(appdata), &h), DTLS_REC_OK);
	ck_assert_uint_eq(h.type, DTLS_CT_APPLICATION_DATA);
	ck_assert_uint_eq(h.epoch, 1);
	ck_assert_uint_eq(h.seq, 0x0102);
	ck_assert_uint_eq(h.length, 0x20);
	ck_assert(!dtls_record_is_epoch0_handshake(appdata, sizeof(appdata)));
	ck_assert_int_eq(dtls_record_peek(dtls09, sizeof(dtls09), &h), DTLS_REC_OK);
	ck_assert_uint_eq(h.version, 0x0100);

	ck_assert_int_eq(dtls_record_peek(appdata, 12, &h), DTLS_REC_SHORT);
	ck_assert_int_eq(dtls_record_peek(NULL, 100, &h), DTLS_REC_SHORT);
	memcpy(bad, appdata, 13);
	bad[0] = 24;
	ck_assert_int_eq(dtls_record_peek(bad, 13, &h), DTLS_REC_NOT_DTLS);
	bad[0] = 19;
	ck_assert_int_eq(dtls_record_peek(bad, 13, &h), DTLS_REC_NOT_DTLS);
	memcpy(bad, appdata, 13);
	bad[1] = 0x03;		/* TLS, not DTLS */
	bad[2] = 0x03;
	ck_assert_int_eq(dtls_record_peek(bad, 13, &h), DTLS_REC_NOT_DTLS);
	ck_assert(!dtls_record_is_epoch0_handshake(bad, 13));
}
END_TEST

START_TEST(test_extension_wins)
{
	const struct hello_opts op = { .sid_len = 32, .ext_app_id_len = 16 };
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0;

	build_hello(&o, &op);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_OK);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(id[0], 0xc0);
	ck_assert_uint_eq(id[15], 0xc0 + 15);
}
END_TEST

START_TEST(test_extension_only)
{
	const struct hello_opts op = { .sid_len = 0, .ext_app_id_len = 32 };
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0;

	build_hello(&o, &op);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_OK);
	ck_assert_uint_eq(n, 32);
	ck_assert_uint_eq(id[31], 0xc0 + 31);
}
END_TEST

START_TEST(test_no_app_id)
{
	/* PSK-NEGOTIATE with only X-DTLS-Session-ID: 9.01 sends an empty
	 * session_id (doc/spec/interop.md §6.2), nothing can match. */
	const struct hello_opts a = { .sid_len = 0, .ext_app_id_len = -1 };
	const struct hello_opts b = { .sid_len = 0, .ext_app_id_len = -1, .no_extensions = true };
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 99;

	build_hello(&o, &a);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NO_APP_ID);
	build_hello(&o, &b);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NO_APP_ID);
	ck_assert_uint_eq(n, 99);
}
END_TEST

START_TEST(test_cookie_and_short_ids)
{
	/* The second ClientHello after a HelloVerifyRequest carries a cookie;
	 * an App-ID may be 1..32 bytes. */
	const struct hello_opts op = { .sid_len = 1, .ext_app_id_len = -1, .cookie_len = 32 };
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0;

	build_hello(&o, &op);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(id[0], 0xa0);
}
END_TEST

START_TEST(test_not_hello)
{
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0;

	default_hello(&o);
	o.b[13] = 16;	/* ClientKeyExchange */
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NOT_HELLO);
	default_hello(&o);
	o.b[4] = 1;	/* epoch 1: encrypted Finished */
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NOT_HELLO);
	ck_assert(!dtls_record_is_epoch0_handshake(o.b, o.n));
	default_hello(&o);
	o.b[0] = 23;
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NOT_HELLO);
	default_hello(&o);
	o.b[13 + 8] = 1;	/* fragment_offset 1: a later fragment */
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_NOT_HELLO);
	/* a record header and a cut handshake header */
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, 20, id, &n), DTLS_REC_NOT_HELLO);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, 5, id, &n), DTLS_REC_SHORT);
}
END_TEST

START_TEST(test_fragmented_hello)
{
	/* Only the first fragment in this record: routed by session_id, the
	 * extensions are not looked at. */
	const struct hello_opts op = { .sid_len = 32, .ext_app_id_len = 8 };
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0, frag = 80;

	build_hello(&o, &op);
	set24(o.b + 13 + 9, frag);
	set16(o.b + 11, 12 + frag);
	o.n = 13 + 12 + frag;
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_OK);
	ck_assert_uint_eq(n, 32);
	ck_assert_uint_eq(id[0], 0xa0);
	/* a fragment that ends inside the session_id */
	set24(o.b + 13 + 9, 40);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
}
END_TEST

START_TEST(test_malformed)
{
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n = 0, full;
	struct hello_opts op = { .sid_len = 32, .ext_app_id_len = 4 };

	default_hello(&o);
	full = o.n;
	/* session_id longer than 32 */
	o.b[59] = 33;
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* datagram cut inside the hello (the record says more) */
	default_hello(&o);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, full - 10, id, &n), DTLS_REC_MALFORMED);
	/* fragment_length beyond the message length */
	default_hello(&o);
	set24(o.b + 13 + 9, full);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* odd cipher suite length */
	default_hello(&o);
	o.b[60 + 32 + 1 + 1] = 15;
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* extension block length that overruns */
	default_hello(&o);
	o.b[60 + 32 + 1 + 2 + 16 + 2] = 0xff;
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* 48018 whose length byte disagrees with the extension length */
	build_hello(&o, &op);
	for (size_t i = 0; i + 4 < o.n; i++) {
		if (o.b[i] == 0xbb && o.b[i + 1] == 0x92) {
			o.b[i + 4] = 5;
			break;
		}
	}
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* 48018 with an empty ID */
	op.ext_app_id_len = 0;
	build_hello(&o, &op);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
	/* no compression method */
	op = (struct hello_opts){ .sid_len = 32, .ext_app_id_len = -1, .no_extensions = true };
	build_hello(&o, &op);
	o.b[o.n - 2] = 0;
	o.n--;
	set24(o.b + 13 + 1, o.n - 25);
	set24(o.b + 13 + 9, o.n - 25);
	set16(o.b + 11, o.n - 13);
	ck_assert_int_eq(dtls_client_hello_app_id(o.b, o.n, id, &n), DTLS_REC_MALFORMED);
}
END_TEST

START_TEST(test_every_truncation_is_safe)
{
	struct buf o;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t n;
	const struct hello_opts op = { .sid_len = 32, .ext_app_id_len = 32 };

	build_hello(&o, &op);
	/* Any prefix: an error or the session_id, never a crash (ASan). */
	for (size_t len = 0; len <= o.n; len++) {
		uint8_t *copy = malloc(len + 1);
		int r;

		memcpy(copy, o.b, len);
		r = dtls_client_hello_app_id(copy, len, id, &n);
		ck_assert(r <= 0);
		ck_assert(r != DTLS_REC_NOT_DTLS || len < 13);
		free(copy);
	}
	ck_assert_str_eq(dtls_record_strerror(DTLS_REC_NO_APP_ID), "ClientHello without an App-ID");
	ck_assert_str_eq(dtls_record_strerror(42), "unknown error");
}
END_TEST

static Suite *dtls_record_suite(void)
{
	Suite *s = suite_create("dtls-record");
	TCase *tc = tcase_create("client-hello");

	tcase_add_test(tc, test_openconnect_layout);
	tcase_add_test(tc, test_peek);
	tcase_add_test(tc, test_extension_wins);
	tcase_add_test(tc, test_extension_only);
	tcase_add_test(tc, test_no_app_id);
	tcase_add_test(tc, test_cookie_and_short_ids);
	tcase_add_test(tc, test_not_hello);
	tcase_add_test(tc, test_fragmented_hello);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_every_truncation_is_safe);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(dtls_record_suite)
