/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for restrict-user-to-ports (src/common/ports.c): the
 * parser of the port list and the check of a packet against it.
 *
 * Input: [the list's text] NUL [a packet]. Whatever the text, ports_parse
 * returns 0 or -EINVAL (with a message); a list it accepts formats into a
 * text that parses back into the same filter; whatever the packet, the
 * header reader stays within it, and a deny list and the allow list of the
 * same items never both let a packet with a transport port pass.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ports_filter f, g;
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
	char *text = malloc(tlen + 1), err[PORTS_ERR_MAX], out[PORTS_MAX_RULES * 16 + 8];
	const uint8_t *pkt = nul != NULL ? nul + 1 : data + size;
	size_t plen = nul != NULL ? size - tlen - 1 : 0;
	uint8_t *copy;
	struct ports_l4 l;
	int r;

	if (text == NULL)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	r = ports_parse(text, &f, err, sizeof(err));
	expect(r == 0 || r == -EINVAL);
	if (r < 0) {
		expect(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
		expect(ports_parse("tcp(443), udp(53), icmp()", &f, NULL, 0) == 0);
	} else {
		expect(f.n >= 1 && f.n <= PORTS_MAX_RULES);
		expect(ports_format(&f, out, sizeof(out)) > 0);
		expect(ports_parse(out, &g, NULL, 0) == 0);
		expect(memcmp(&f, &g, sizeof(f)) == 0);
	}
	free(text);

	/* the packet in a buffer of its own size: ASan sees any overread */
	copy = malloc(plen > 0 ? plen : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, pkt, plen);
	ports_packet_l4(copy, plen, &l);
	expect(!l.has_port || (l.ip && !l.later_fragment));
	{
		bool a = ports_allow(&f, copy, plen);

		f.negate = !f.negate;
		if (l.has_port)
			expect(a != ports_allow(&f, copy, plen));
	}
	free(copy);
	return 0;
}
