/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the PROXY protocol header (src/codec/proxy.c): the
 * first bytes of every connection main accepts with listen-proxy-proto go
 * through exactly this call, a few bytes more at a time.
 *
 * Invariants checked (abort on violation):
 *  - the status is one of enum proxy_status, with a text;
 *  - a header found is 15..PROXY_HEADER_MAX bytes and lies inside the input;
 *    it carries an IPv4 or IPv6 client address unless it is LOCAL;
 *  - the bytes after it do not change it, and each shorter prefix of it
 *    asks for more (main reads no byte past a header);
 *  - "need more" only below PROXY_HEADER_MAX bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h, again;
	int rc = proxy_parse(data, size, &h);

	CHECK(rc >= PROXY_E_TOO_LONG && rc <= PROXY_NEED_MORE);
	CHECK(proxy_strerror(rc) != NULL);
	if (rc == PROXY_NEED_MORE)
		CHECK(size < PROXY_HEADER_MAX);
	if (rc != PROXY_OK)
		return 0;
	CHECK(h.len >= 15 && h.len <= size && h.len <= PROXY_HEADER_MAX);
	CHECK(h.version == 1 || h.version == 2);
	if (h.local) {
		CHECK(h.version == 2 && h.src_len == 0);
	} else {
		CHECK(h.src.ss_family == AF_INET || h.src.ss_family == AF_INET6);
		CHECK(h.dst.ss_family == h.src.ss_family && h.src_len == h.dst_len);
	}
	CHECK(proxy_parse(data, h.len, &again) == PROXY_OK);
	CHECK(memcmp(&h, &again, sizeof(h)) == 0);
	for (size_t k = 0; k < h.len; k += 1 + h.len / 64)
		CHECK(proxy_parse(data, k, &again) == PROXY_NEED_MORE);
	CHECK(proxy_parse(data, h.len - 1, &again) == PROXY_NEED_MORE);
	return 0;
}
