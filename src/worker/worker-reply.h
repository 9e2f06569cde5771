/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_REPLY_H
#define OCSM_WORKER_REPLY_H

/*
 * Pure pieces of the worker's HTTP answers (doc/spec/interop.md §1.2, §2.2, §5.4):
 * the header blocks, and the checks on what goes into them. No I/O, no
 * logging; unit tested in tests/unit/test-worker-reply.c.
 */

#include <stdbool.h>
#include <stddef.h>

/* Longest webvpn cookie value we accept from a client or hand out. */
#define WORKER_COOKIE_MAX 512u

/*
 * An answer without a body that ends the connection:
 *
 *   HTTP/1.1 <status>\r\n
 *   [X-Reason: <reason>\r\n]        only when x_reason is not NULL
 *   Content-Length: 0\r\n
 *   Connection: close\r\n
 *   \r\n
 *
 * status is e.g. "401 Authentication failed", "401 Cookie is not
 * acceptable", "503 Service Unavailable". x_reason is reduced to printable
 * ASCII (anything else becomes a space) and cut to 200 bytes.
 * Returns the length written (NUL-terminated) or -ENOSPC / -EINVAL (status
 * NULL, empty or with control characters).
 */
int worker_reply_empty(char *buf, size_t size, const char *status, const char *x_reason);

/*
 * The header block of a 200 with an XML login body of body_len bytes:
 *
 *   HTTP/1.1 200 OK\r\n
 *   Content-Type: text/xml\r\n
 *   X-Transcend-Version: 1\r\n
 *   [Set-Cookie: webvpn=<cookie>; Secure; HttpOnly\r\n]   when cookie != NULL
 *   Content-Length: <body_len>\r\n
 *   Connection: Keep-Alive | close\r\n
 *   \r\n
 *
 * Returns the length or -ENOSPC; -EINVAL when the cookie is not
 * worker_cookie_is_safe().
 */
int worker_reply_xml_head(char *buf, size_t size, size_t body_len, const char *cookie,
			  bool keep_alive);

/* True when a cookie value can go into Set-Cookie as is (doc/spec/interop.md §1.3):
 * 1..WORKER_COOKIE_MAX visible ASCII characters without ; , " \ or space. */
bool worker_cookie_is_safe(const char *cookie);

/* The status line text for an http_parser_feed() error (HTTP_ERR_*): 400 by
 * default, 413/414/431 for the size limits, 501 for an unsupported method
 * or transfer coding, 505 for the version. */
const char *worker_http_error_status(int http_err);

/* X-CSTP-Base-MTU: a decimal number 1..65535, else 0 (= not sent). */
unsigned worker_parse_base_mtu(const char *value);

#endif
