/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the X-DTLS-* headers of a CONNECT
 * (src/codec/dtls-legacy.c): the input is split at its first two NUL bytes
 * into X-DTLS-CipherSuite, X-DTLS12-CipherSuite and X-DTLS-Master-Secret
 * (a part left out is an absent header), and the first byte's low bits
 * choose dtls-psk and dtls-legacy.
 *
 * Invariants checked (abort on violation):
 *  - PSK only when allowed and PSK-NEGOTIATE is one of the first list's names;
 *  - legacy only when allowed, with a suite named in the list of its own
 *    header and a secret of exactly 96 hex digits that parses to the bytes
 *    kept;
 *  - no mode: no suite, and a zeroed secret.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dtls-legacy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *part[3] = { NULL, NULL, NULL }, *p;
	bool psk_on, legacy_on;
	struct dtls_choice c;
	uint8_t m[DTLS_LEGACY_MASTER_LEN];

	if (size < 1)
		return 0;
	psk_on = data[0] & 1;
	legacy_on = data[0] & 2;
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	p = buf;
	for (int i = 0; i < 3 && p < buf + size - 1; i++) {
		part[i] = p;
		p += strlen(p) + 1;
	}
	if (data[0] & 4)
		part[1] = NULL;

	dtls_choose(part[0], part[1], part[2], psk_on, legacy_on, &c);
	CHECK(dtls_choice_why_str(c.why) != NULL);
	switch (c.mode) {
	case DTLS_MODE_PSK:
		CHECK(psk_on && dtls_cipher_list_has(part[0], "PSK-NEGOTIATE"));
		CHECK(c.cipher == NULL);
		break;
	case DTLS_MODE_LEGACY:
		CHECK(legacy_on && c.cipher != NULL);
		CHECK(dtls_cipher_list_has(c.cipher->dtls12_header ? part[1] : part[0],
					   c.cipher->name));
		CHECK(part[2] != NULL && strlen(part[2]) == 2 * DTLS_LEGACY_MASTER_LEN);
		CHECK(dtls_legacy_parse_master(part[2], m) == DTLS_MASTER_OK);
		CHECK(memcmp(m, c.master, sizeof(m)) == 0);
		break;
	case DTLS_MODE_NONE:
		CHECK(c.cipher == NULL && all_zero(c.master, sizeof(c.master)));
		if (c.why == DTLS_WHY_BAD_MASTER)
			CHECK(dtls_legacy_parse_master(part[2], m) == c.master_err &&
			      c.master_err != DTLS_MASTER_OK && all_zero(m, sizeof(m)));
		break;
	}
	free(buf);
	return 0;
}
