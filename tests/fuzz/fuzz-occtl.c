/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the control protocol: the frame parser and request
 * decoding main runs on what a control client sends, and occtl-modern's
 * rendering of whatever reply it decodes. Every rendered JSON document must
 * pass the strict validator of the unit tests: --json is always valid.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "occtl/ctlmsg.h"
#include "occtl/render.h"
#include "../unit/json-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *payload;
	size_t plen;
	uint8_t type;
	ssize_t got = ctl_frame_parse(data, size, &type, &payload, &plen);
	CtlRequest *req;
	CtlReply *rep;

	if (got > 0) {
		if ((size_t)got > size || payload + plen > data + size)
			abort();
		req = ctl_request_unpack(payload, plen);
		if (req != NULL)
			ctl_request__free_unpacked(req, NULL);
	}
	rep = ctl_reply_unpack(data, size);
	if (rep == NULL)
		return 0;
	for (int k = RENDER_STATUS; k <= RENDER_ACTION; k++) {
		for (int json = 0; json <= 1; json++) {
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);
			int r;

			if (f == NULL)
				break;
			r = render_reply(f, (enum render_kind)k, json, rep);
			fclose(f);
			if (json && r == 0 && json_check(buf, len) != NULL) {
				fprintf(stderr, "invalid JSON (%s):\n%.*s\n", json_check(buf, len),
					(int)len, buf);
				abort();
			}
			free(buf);
		}
	}
	ctl_reply__free_unpacked(rep, NULL);
	return 0;
}
