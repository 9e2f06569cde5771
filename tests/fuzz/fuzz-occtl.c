/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the control protocol: the frame parser and request
 * decoding main runs on what a control client sends, and occtl-modern's
 * rendering of whatever reply or show events event it decodes. Every rendered
 * JSON document must pass the strict validator of the unit tests: --json is
 * always valid, and an event is one line.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "occtl/ctlmsg.h"
#include "occtl/render.h"
#include "../unit/json-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render ev (an event) or kind of rep as text and JSON; the JSON must be
 * valid, an event exactly one line. */
static void render_both(const CtlEvent *ev, enum render_kind kind, const CtlReply *rep)
{
	for (int json = 0; json <= 1; json++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int r;

		if (f == NULL)
			return;
		r = ev != NULL ? render_event(f, json, ev) : render_reply(f, kind, json, rep);
		fclose(f);
		if (ev != NULL && r == 0 && (len == 0 || memchr(buf, '\n', len) != buf + len - 1))
			abort(); /* not exactly one line */
		if (json && r == 0 && json_check(buf, len) != NULL) {
			fprintf(stderr, "invalid JSON (%s):\n%.*s\n", json_check(buf, len), (int)len,
				buf);
			abort();
		}
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CtlEvent *ev = ctl_event_unpack(data, size);
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
	if (ev != NULL) {
		render_both(ev, RENDER_EVENTS, NULL);
		ctl_event__free_unpacked(ev, NULL);
	}
	rep = ctl_reply_unpack(data, size);
	if (rep == NULL)
		return 0;
	for (int k = RENDER_STATUS; k <= RENDER_RESET; k++)
		render_both(NULL, (enum render_kind)k, rep);
	ctl_reply__free_unpacked(rep, NULL);
	return 0;
}
