/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the CSTP and DTLS decoders (src/codec/cstp.c).
 *
 * The input is one record, tried as both a CSTP and a DTLS record.
 * Invariants checked (abort on violation):
 *  - a decoded payload lies inside the input;
 *  - re-encoding a decoded packet reproduces the input byte for byte;
 *  - the DPD echo of a DPD-REQ differs from the input only in the type byte,
 *    and fails exactly when the record is not a valid DPD-REQ.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/cstp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[CSTP_MAX_RECORD + 16];

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void one_cstp(const uint8_t *data, size_t size)
{
	struct cstp_packet pkt;
	int r = cstp_decode(data, size, &pkt);
	int e;

	CHECK(r <= 0);
	CHECK(cstp_strerror(r) != NULL);
	e = cstp_dpd_echo(data, size, out, sizeof(out));
	if (r < 0) {
		CHECK(e == r);
		return;
	}
	CHECK(pkt.payload == data + CSTP_HEADER_LEN);
	CHECK(pkt.len == size - CSTP_HEADER_LEN);
	CHECK(pkt.len <= CSTP_MAX_PAYLOAD);
	CHECK(cstp_type_str(pkt.type) != NULL);

	r = cstp_encode(out, sizeof(out), pkt.type, pkt.payload, pkt.len);
	CHECK(r >= 0 && (size_t)r == size);
	CHECK(memcmp(out, data, size) == 0);

	e = cstp_dpd_echo(data, size, out, sizeof(out));
	if (pkt.type != CSTP_DPD_REQ) {
		CHECK(e == CSTP_ERR_NOT_DPD_REQ);
		return;
	}
	CHECK(e >= 0 && (size_t)e == size);
	CHECK(out[6] == CSTP_DPD_RESP);
	CHECK(memcmp(out, data, 6) == 0);
	CHECK(memcmp(out + 7, data + 7, size - 7) == 0);
}

static void one_dtls(const uint8_t *data, size_t size)
{
	struct cstp_packet pkt;
	int r = dtls_decode(data, size, &pkt);
	int e;

	if (r < 0) {
		CHECK(size == 0 && r == CSTP_ERR_DTLS_EMPTY);
		return;
	}
	CHECK(pkt.payload == data + 1);
	CHECK(pkt.len == size - 1);
	if (pkt.len > DTLS_MAX_PAYLOAD)
		return;
	r = dtls_encode(out, sizeof(out), pkt.type, pkt.payload, pkt.len);
	CHECK(r >= 0 && (size_t)r == size);
	CHECK(memcmp(out, data, size) == 0);

	e = dtls_dpd_echo(data, size, out, sizeof(out));
	if (pkt.type != CSTP_DPD_REQ) {
		CHECK(e == CSTP_ERR_NOT_DPD_REQ);
		return;
	}
	CHECK(e >= 0 && (size_t)e == size);
	CHECK(out[0] == CSTP_DPD_RESP);
	CHECK(memcmp(out + 1, data + 1, size - 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_cstp(data, size);
	one_dtls(data, size);

	/* The fuzzer rarely guesses a matching length field: also try the
	 * input as a payload behind a correct header, so the type byte and
	 * payload space are explored past the framing checks. */
	if (size >= 1 && size - 1 <= CSTP_MAX_PAYLOAD) {
		static uint8_t rec[CSTP_MAX_RECORD];
		int n = cstp_encode(rec, sizeof(rec), data[0], data + 1, size - 1);

		CHECK(n >= 0 && (size_t)n == size - 1 + CSTP_HEADER_LEN);
		one_cstp(rec, (size_t)n);
	}
	return 0;
}
