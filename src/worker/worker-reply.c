/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "worker/worker-reply.h"

#include "codec/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X_REASON_MAX 200u

static bool printable(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

/* snprintf's result as ours: the length, or -ENOSPC with buf emptied. */
static int finish(char *buf, size_t size, int n)
{
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return n < 0 ? -EINVAL : -ENOSPC;
	}
	return n;
}

int worker_reply_empty(char *buf, size_t size, const char *status, const char *x_reason)
{
	char reason[X_REASON_MAX + 1];
	size_t n = 0;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!printable(status))
		return -EINVAL;
	if (x_reason != NULL) {
		for (const char *p = x_reason; *p != '\0' && n < X_REASON_MAX; p++)
			reason[n++] = ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f) ? *p
											 : ' ';
	}
	reason[n] = '\0';
	return finish(buf, size,
		      snprintf(buf, size,
			       "HTTP/1.1 %s\r\n"
			       "%s%s%s"
			       "Content-Length: 0\r\n"
			       "Connection: close\r\n"
			       "\r\n",
			       status, x_reason != NULL ? "X-Reason: " : "", reason,
			       x_reason != NULL ? "\r\n" : ""));
}

bool worker_cookie_is_safe(const char *c)
{
	size_t n = 0;

	if (c == NULL || *c == '\0')
		return false;
	for (; *c != '\0'; c++, n++) {
		unsigned char ch = (unsigned char)*c;

		if (n >= WORKER_COOKIE_MAX || ch <= 0x20 || ch >= 0x7f || ch == ';' ||
		    ch == ',' || ch == '"' || ch == '\\')
			return false;
	}
	return true;
}

int worker_reply_xml_head(char *buf, size_t size, size_t body_len, const char *cookie,
			  bool keep_alive)
{
	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (cookie != NULL && !worker_cookie_is_safe(cookie))
		return -EINVAL;
	return finish(buf, size,
		      snprintf(buf, size,
			       "HTTP/1.1 200 OK\r\n"
			       "Content-Type: text/xml\r\n"
			       "X-Transcend-Version: 1\r\n"
			       "%s%s%s"
			       "Content-Length: %zu\r\n"
			       "Connection: %s\r\n"
			       "\r\n",
			       cookie != NULL ? "Set-Cookie: webvpn=" : "",
			       cookie != NULL ? cookie : "",
			       cookie != NULL ? "; Secure; HttpOnly\r\n" : "", body_len,
			       keep_alive ? "Keep-Alive" : "close"));
}

const char *worker_http_error_status(int err)
{
	switch (err) {
	case HTTP_ERR_REQLINE_TOO_LONG:
		return "414 URI Too Long";
	case HTTP_ERR_HEADERS_TOO_LARGE:
	case HTTP_ERR_TOO_MANY_HEADERS:
		return "431 Request Header Fields Too Large";
	case HTTP_ERR_BODY_TOO_LARGE:
		return "413 Content Too Large";
	case HTTP_ERR_METHOD:
	case HTTP_ERR_TRANSFER_ENCODING:
		return "501 Not Implemented";
	case HTTP_ERR_VERSION:
		return "505 HTTP Version Not Supported";
	default:
		return "400 Bad Request";
	}
}

unsigned worker_parse_base_mtu(const char *s)
{
	unsigned long v = 0;

	if (s == NULL || *s == '\0')
		return 0;
	/* Digits only, at most 5 of them: no sign, no spaces, no overflow. */
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (unsigned)v : 0;
}
