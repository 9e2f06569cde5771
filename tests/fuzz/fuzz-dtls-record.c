/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for main's look into DTLS datagrams (src/codec/dtls-record.c)
 * and the routing decision built on it (src/main/dtls-route.c): every datagram
 * that reaches main's UDP port goes through exactly these calls.
 *
 * Invariants checked (abort on violation):
 *  - an App-ID found is 1..32 bytes and lies inside the input;
 *  - a datagram routed ASSOC is a ClientHello with the table's App-ID, one
 *    routed REBIND is no epoch-0 handshake, and the owner is set exactly for
 *    those two verdicts;
 *  - the early-hello store keeps exactly the ClientHellos with an App-ID and
 *    gives each back once, unchanged.
 */
#include "config.h"

#define _GNU_SOURCE 1 /* memmem */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec/dtls-record.h"
#include "main/dtls-route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int owner;
	uint8_t id[DTLS_APP_ID_MAX];
	size_t id_len = 0;
	struct dtls_record_hdr h;
	struct dtls_route r;
	struct ban_addr a = { .family = AF_INET, .bytes = { 10, 0, 0, 2 } };
	enum dtls_route_verdict v;
	void *who = NULL;
	int rc;

	rc = dtls_record_peek(data, size, &h);
	CHECK(rc == DTLS_REC_OK || rc == DTLS_REC_SHORT || rc == DTLS_REC_NOT_DTLS);
	CHECK(dtls_record_strerror(rc) != NULL);
	(void)dtls_record_is_epoch0_handshake(data, size);
	rc = dtls_client_hello_app_id(data, size, id, &id_len);
	if (rc == DTLS_REC_OK) {
		CHECK(id_len >= 1 && id_len <= DTLS_APP_ID_MAX);
		CHECK(memmem(data, size, id, id_len) != NULL);
	}

	/* Route it with one established tunnel whose App-ID is what the
	 * datagram carries (if anything), so ASSOC is reachable. */
	dtls_route_init(&r);
	if (rc == DTLS_REC_OK)
		CHECK(dtls_route_add(&r, &owner, id, id_len, &a) == 0);
	else
		CHECK(dtls_route_add(&r, &owner, (const uint8_t *)"x", 1, &a) == 0);
	dtls_route_set_established(&r, &owner, true);
	v = dtls_route_decide(&r, data, size, &a, 1000, &who);
	CHECK((v == DTLS_ROUTE_ASSOC || v == DTLS_ROUTE_REBIND) == (who == &owner));
	if (v == DTLS_ROUTE_ASSOC)
		CHECK(rc == DTLS_REC_OK);
	if (v == DTLS_ROUTE_REBIND)
		CHECK(!dtls_record_is_epoch0_handshake(data, size));
	dtls_route_free(&r);

	/* The early-hello store takes exactly the hellos with an App-ID and
	 * gives each back once. */
	{
		static struct dtls_early_set early;
		const struct dtls_early *e;
		int put = dtls_early_put(&early, data, size, "m", 1, 5000);

		CHECK((put == 0) == (rc == DTLS_REC_OK && size <= DTLS_EARLY_DATA_MAX));
		if (put == 0) {
			e = dtls_early_take(&early, id, id_len, 5001);
			CHECK(e != NULL && e->len == size && memcmp(e->data, data, size) == 0);
			CHECK(dtls_early_take(&early, id, id_len, 5001) == NULL);
		}
	}
	return 0;
}
