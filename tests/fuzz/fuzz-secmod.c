/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for sec-mod's core (src/sec-mod/sec-mod.c): whatever sequence of
 * datagrams a broken or compromised main sends, sec-mod either handles each
 * message or rejects it, never crashes, and everything it sends back frames
 * and decodes again (no required field left unset, nothing over 64 KiB).
 *
 * Input: records of [2-byte big-endian length][1-byte time step][datagram].
 * The time step (ms, x 256) advances the clock before the datagram, so the
 * fuzzer also walks session deadlines and probe grace periods; a zero-length
 * datagram just runs the timer. Passwords: user "u" with "p" (groups "g"),
 * user "x" with a backend error, anyone else unknown.
 *
 * Cookies are random, so a fuzzer cannot guess one: an SmOpenRequest whose
 * cookie is the single digit k (0..7) gets the k-th cookie sec-mod issued
 * in this run instead, which lets it reach resumes, takeovers and ends.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sec-mod/sec-mod.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* sec-mod logs every login and session end: millions of lines per minute
 * here. Errors only. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz-secmod", LOG_LVL_ERR);
	return 0;
}

#define MAX_COOKIES 8
static char cookies[MAX_COOKIES][COOKIE_LEN + 1];
static size_t n_cookies;

static void send_cb(void *opaque, enum ipc_type type, const ProtobufCMessage *msg)
{
	static uint8_t buf[IPC_MAX_MSG];
	struct ipc_msg m;
	ssize_t n = ipc_encode(type, msg, buf, sizeof(buf));

	if (n <= 0 || ipc_decode(buf, (size_t)n, &m) != 0 || m.type != type)
		abort();
	if (type == IPC_SM_AUTH_REPLY && m.sm_auth_reply->reply->ok) {
		if (!cookie_is_wellformed(m.sm_auth_reply->reply->cookie))
			abort();
		if (n_cookies < MAX_COOKIES)
			memcpy(cookies[n_cookies++], m.sm_auth_reply->reply->cookie, COOKIE_LEN + 1);
	}
	ipc_msg_free(&m);
	(*(size_t *)opaque)++;
}

static int check_pw(void *opaque, const char *file, int fd, const char *user, const char *pw,
		    char *groups, size_t len)
{
	if (strcmp(user, "x") == 0)
		return -EIO;
	if (strcmp(user, "u") != 0)
		return -ENOENT;
	snprintf(groups, len, "g");
	return strcmp(pw, "p") == 0 ? 0 : -EACCES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct secmod_ops ops = { .send = send_cb, .check_password = check_pw };
	size_t sent = 0;
	struct secmod *sm = secmod_new(&ops, &sent);
	vpn_ms_t now = 1000000;

	if (sm == NULL)
		return 0;
	n_cookies = 0;
	while (size >= 3) {
		size_t len = (size_t)data[0] << 8 | data[1];
		struct ipc_msg m;

		now += (vpn_ms_t)data[2] * 256;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (vpn_ms_reached(secmod_expiry(sm), now))
			secmod_handle_expiry(sm, now);
		if (len > 0 && ipc_decode(data, len, &m) == 0) {
			char *own = NULL;
			int r;

			if (m.type == IPC_SM_OPEN_REQUEST) {
				const char *c = m.sm_open_request->cookie;

				if (c[0] >= '0' && c[0] < '0' + MAX_COOKIES && c[1] == '\0' &&
				    (size_t)(c[0] - '0') < n_cookies) {
					own = m.sm_open_request->cookie;
					m.sm_open_request->cookie = cookies[c[0] - '0'];
				}
			}
			r = secmod_on_message(sm, &m, now);
			if (own != NULL)
				m.sm_open_request->cookie = own; /* freed with the message */

			if (r != 0 && r != -EPROTO)
				abort();
			ipc_msg_free(&m);
		}
		/* the timer never fires early and never stays in the past */
		if (secmod_expiry(sm) != VPN_NEVER && vpn_ms_reached(secmod_expiry(sm), now)) {
			secmod_handle_expiry(sm, now);
			if (secmod_expiry(sm) != VPN_NEVER && vpn_ms_reached(secmod_expiry(sm), now))
				abort();
		}
		data += len;
		size -= len;
	}
	secmod_free(sm);
	return 0;
}
