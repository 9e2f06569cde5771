/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the RADIUS reply attribute mapping
 * (src/sec-mod/radius-map.c): the input is the attribute area of an
 * Access-Accept or Access-Challenge as a server sends it (type, length,
 * value; Vendor-Specific with sub-attributes). Whatever it holds, the split
 * either refuses it or yields attributes inside the input, and the mapping
 * gives a reply whose lists, strings and values stay within their limits:
 * groups that name a file of ours, routes with no host bits, a message
 * without control characters but line breaks.
 */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/radius-map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct radius_avp a[512];
	static struct radius_reply r;
	int n = radius_avps_from_wire(data, size, a, 512);

	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++)
		expect(a[i].val >= data && a[i].val + a[i].len <= data + size);
	for (int g = 0; g < 2; g++) {
		radius_reply_map(a, (size_t)n, g == 1, &r);
		expect(r.n_class <= RADIUS_MAX_CLASS && r.n_routes <= RADIUS_MAX_ROUTES &&
		       r.n_dns <= RADIUS_MAX_DNS && r.n_groups <= RADIUS_MAX_GROUPS);
		expect(g == 1 || r.n_groups == 0);
		for (size_t i = 0; i < r.n_groups; i++)
			expect(radius_group_ok(r.groups[i], strlen(r.groups[i])));
		for (size_t i = 0; i < r.n_routes; i++) {
			uint32_t m = r.routes[i].prefix == 0 ? 0 :
				     htonl(~(uint32_t)0 << (32 - r.routes[i].prefix));

			expect(r.routes[i].prefix <= 32 && (r.routes[i].net.v4.s_addr & ~m) == 0);
		}
		expect(memchr(r.message, '\0', sizeof(r.message)) != NULL);
		for (const char *p = r.message; *p; p++)
			expect((unsigned char)*p >= ' ' || *p == '\n');
		expect(r.state_len <= RADIUS_TEXT_MAX);
		expect(!(r.set & RADIUS_HAS_SESSION_TIMEOUT) || r.session_timeout_s > 0);
	}
	return 0;
}
