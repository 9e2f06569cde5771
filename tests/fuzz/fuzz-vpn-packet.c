/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for vpn_packet_is_user_data() (src/vpn/idle.c), the
 * parser that walks IPv4 headers and IPv6 extension-header chains of every
 * packet read from tun or received as DATA. It must never read out of
 * bounds (the input is copied to an exact-size heap buffer for ASan) and
 * must give the same answer for the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/idle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	bool a, b;

	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);
	a = vpn_packet_is_user_data(copy, size);
	b = vpn_packet_is_user_data(copy, size);
	if (a != b)
		abort();
	free(copy);
	return 0;
}
