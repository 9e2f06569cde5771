/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the PAM helper's messages (src/sec-mod/pam-helper.c):
 * the input is one datagram as it would arrive on a PAM socket (through a
 * real SOCK_SEQPACKET socketpair); pamh_recv() either refuses it or gives a
 * type and a NUL-terminated text shorter than its buffer, and a START's text
 * either is refused by pamh_parse_start() or splits into a non-empty user
 * and an address inside the text, with a gid-min in range.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sec-mod/pam-helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sp[2] = { -1, -1 };
	char buf[PAMH_MAX_MSG + 1];
	const char *user, *rhost;
	enum pamh_type t;
	gid_t gid_min;
	ssize_t n;

	if (sp[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		abort();
	if (size == 0 || size > PAMH_MAX_MSG + 64)
		return 0; /* an empty datagram reads as the end; a huge one is not sent */
	if (send(sp[1], data, size, 0) != (ssize_t)size)
		abort();
	n = pamh_recv(sp[0], &t, buf, sizeof(buf), NULL);
	if (n == -EPROTO)
		return 0;
	if (n < 0 || (size_t)n >= sizeof(buf) || buf[n] != '\0' || (size_t)n != size - 1 ||
	    (char)t != (char)data[0])
		abort();
	if (pamh_parse_start(buf, (size_t)n, &user, &rhost, &gid_min) == 0) {
		if (user[0] == '\0' || user < buf || rhost <= user || rhost > buf + n)
			abort();
	}
	return 0;
}
