/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the incremental HTTP request parser (src/codec/http.c).
 *
 * The input is a byte stream as it would arrive over TLS, possibly holding
 * several pipelined requests. It is parsed twice: fed at once, and fed in
 * pseudo-random chunks. Invariants checked (abort on violation):
 *  - both ways give the same results, the same consumed counts and the same
 *    parsed requests (incremental parsing is split-invariant);
 *  - consumed never exceeds what was fed; NEED_MORE consumes everything;
 *  - after COMPLETE: http_req_size() equals the bytes consumed, the body is
 *    Content-Length bytes within the limit, header values carry no control
 *    characters but HTAB, a cookie value lies inside its header value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct http_parser pa, pb;

static void check_request(const struct http_parser *p, size_t used)
{
	size_t n = http_header_count(p), blen, clen;
	const char *name, *value, *body, *cookie;

	CHECK(http_req_size(p) == used);
	CHECK(http_req_method(p) != HTTP_METHOD_NONE);
	CHECK(http_req_target(p) != NULL && *http_req_target(p) != '\0');
	CHECK(http_req_version(p) == 10 || http_req_version(p) == 11);
	CHECK(n <= HTTP_MAX_HEADERS);
	for (size_t i = 0; i < n; i++) {
		CHECK(http_header_at(p, i, &name, &value));
		CHECK(*name != '\0');
		for (const char *c = value; *c != '\0'; c++)
			CHECK((unsigned char)*c >= 0x20 || *c == '\t');
		CHECK(http_header_get(p, name) != NULL);
	}
	CHECK(!http_header_at(p, n, &name, &value));
	body = http_req_body(p, &blen);
	CHECK(body != NULL && blen <= HTTP_MAX_BODY && body[blen] == '\0');
	CHECK(blen < used);
	if (http_req_method(p) == HTTP_METHOD_CONNECT)
		CHECK(blen == 0);
	cookie = http_webvpn_cookie(p, &clen);
	if (cookie != NULL) {
		size_t iter = 0;
		const char *v;
		bool inside = false;

		while ((v = http_header_next(p, "cookie", &iter)) != NULL) {
			if (cookie >= v && cookie + clen <= v + strlen(v))
				inside = true;
		}
		CHECK(inside);
	}
	(void)http_keep_alive(p);
}

static void check_same(const struct http_parser *a, const struct http_parser *b)
{
	size_t n = http_header_count(a), la, lb;
	const char *na, *va, *nb, *vb, *ba, *bb;

	CHECK(http_req_method(a) == http_req_method(b));
	CHECK(strcmp(http_req_target(a), http_req_target(b)) == 0);
	CHECK(http_req_version(a) == http_req_version(b));
	CHECK(n == http_header_count(b));
	for (size_t i = 0; i < n; i++) {
		CHECK(http_header_at(a, i, &na, &va));
		CHECK(http_header_at(b, i, &nb, &vb));
		CHECK(strcmp(na, nb) == 0 && strcmp(va, vb) == 0);
	}
	ba = http_req_body(a, &la);
	bb = http_req_body(b, &lb);
	CHECK(la == lb && memcmp(ba, bb, la) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off_a = 0, off_b = 0;
	uint32_t rng = 0x9e3779b9u;

	for (size_t i = 0; i < size && i < 4; i++)
		rng = rng * 31 + data[i];

	/* Up to 8 pipelined requests. */
	for (int req = 0; req < 8; req++) {
		size_t used_a = 0, used_b = 0, used;
		int ra, rb = HTTP_NEED_MORE;

		http_parser_init(&pa);
		http_parser_init(&pb);

		ra = http_parser_feed(&pa, data + off_a, size - off_a, &used_a);
		CHECK(used_a <= size - off_a);
		CHECK(ra == HTTP_COMPLETE || ra == HTTP_NEED_MORE ||
		      (ra < 0 && ra >= HTTP_ERR_INVAL && ra != HTTP_ERR_INVAL));
		if (ra == HTTP_NEED_MORE)
			CHECK(used_a == size - off_a);
		if (ra == HTTP_COMPLETE)
			check_request(&pa, used_a);

		while (off_b + used_b < size && rb == HTTP_NEED_MORE) {
			size_t left = size - off_b - used_b, chunk;

			rng ^= rng << 13;
			rng ^= rng >> 17;
			rng ^= rng << 5;
			chunk = 1 + rng % 97;
			if (chunk > left)
				chunk = left;
			rb = http_parser_feed(&pb, data + off_b + used_b, chunk, &used);
			CHECK(used <= chunk);
			if (rb == HTTP_NEED_MORE)
				CHECK(used == chunk);
			used_b += used;
		}
		CHECK(ra == rb);
		CHECK(used_a == used_b);
		/* Sticky: feeding again consumes nothing and repeats. */
		if (ra != HTTP_NEED_MORE) {
			CHECK(http_parser_feed(&pa, data, size, &used) == ra);
			CHECK(used == 0);
		}
		if (ra != HTTP_COMPLETE)
			break;
		check_same(&pa, &pb);
		off_a += used_a;
		off_b += used_b;
		if (off_a >= size)
			break;
	}
	return 0;
}
