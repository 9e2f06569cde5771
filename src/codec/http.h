/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_HTTP_H
#define OCSM_HTTP_H

/*
 * Incremental HTTP/1.x request parser for the worker (login POSTs, GETs and
 * the CONNECT that starts the tunnel).
 *
 * The worker feeds bytes as TLS hands them over, in pieces of any size:
 *
 *   struct http_parser *p = malloc(sizeof(*p));   // ~90 KiB, no further allocation
 *   http_parser_init(p);
 *   r = http_parser_feed(p, buf, n, &used);
 *     HTTP_NEED_MORE   all n bytes consumed, feed more
 *     HTTP_COMPLETE    one whole request parsed; `used` bytes of buf belong
 *                      to it, buf + used is the start of a pipelined request
 *                      (after http_parser_init() again)
 *     < 0              HTTP_ERR_*: answer 400 (413/501 as fits) and close;
 *                      the error is sticky
 *
 * Accepted: request line `METHOD SP target SP HTTP/1.1|HTTP/1.0` with method
 * GET, POST or CONNECT (case-sensitive, RFC 9110); empty lines before the
 * request line are skipped; header lines `name: value` with lines ending in
 * CRLF or a bare LF; a body of exactly Content-Length bytes (no
 * Content-Length = no body).
 *
 * Rejected, each with its own code: request line over 8 KiB, header section
 * over 16 KiB, more than 64 headers, body over 64 KiB; any Transfer-Encoding
 * (chunked included); a duplicate or non-numeric Content-Length; a body on
 * CONNECT; NUL anywhere before the body; control characters (other than HTAB)
 * in header values; a CR not followed by LF; obs-fold continuation lines;
 * whitespace before the colon.
 *
 * Byte limits count line terminators: the request line limit covers the
 * line with its CRLF and any empty lines before it; the header limit covers
 * every header line and the empty line ending the section.
 *
 * Every accessor below is meaningful only after HTTP_COMPLETE; before it
 * they return NULL / 0 / HTTP_METHOD_NONE. Strings they return live in the
 * parser and stay valid until the next http_parser_init().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_REQLINE 8192u
#define HTTP_MAX_HEADER_BYTES 16384u
#define HTTP_MAX_HEADERS 64u
#define HTTP_MAX_BODY 65536u
/* Every stored byte is a counted input byte (a line's LF slot holds its
 * terminating NUL), plus one NUL after the body. */
#define HTTP_ARENA_SIZE (HTTP_MAX_REQLINE + HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY + 1u)

enum http_method {
	HTTP_METHOD_NONE = 0,
	HTTP_METHOD_GET,
	HTTP_METHOD_POST,
	HTTP_METHOD_CONNECT,
};

enum http_result {
	HTTP_COMPLETE = 0,
	HTTP_NEED_MORE = 1,
	HTTP_ERR_REQLINE_TOO_LONG = -1,    /* request line over 8 KiB */
	HTTP_ERR_BAD_REQLINE = -2,         /* not METHOD SP target SP version */
	HTTP_ERR_METHOD = -3,              /* method other than GET/POST/CONNECT */
	HTTP_ERR_VERSION = -4,             /* not HTTP/1.1 or HTTP/1.0 */
	HTTP_ERR_HEADERS_TOO_LARGE = -5,   /* header section over 16 KiB */
	HTTP_ERR_TOO_MANY_HEADERS = -6,    /* more than 64 header lines */
	HTTP_ERR_HEADER_NAME = -7,         /* no colon, empty or invalid name */
	HTTP_ERR_HEADER_FOLD = -8,         /* obs-fold continuation line */
	HTTP_ERR_CTRL_CHAR = -9,           /* control char in a header value, bare CR */
	HTTP_ERR_NUL = -10,                /* NUL byte in request line or headers */
	HTTP_ERR_TRANSFER_ENCODING = -11,  /* any Transfer-Encoding header */
	HTTP_ERR_CONTENT_LENGTH = -12,     /* Content-Length not a decimal number */
	HTTP_ERR_DUP_CONTENT_LENGTH = -13, /* more than one Content-Length */
	HTTP_ERR_BODY_TOO_LARGE = -14,     /* Content-Length over 64 KiB */
	HTTP_ERR_CONNECT_BODY = -15,       /* CONNECT with Content-Length > 0 */
	HTTP_ERR_INVAL = -16,              /* NULL parser or data */
};

/* One header: offsets into the arena (name and value are NUL-terminated). */
struct http_header {
	uint32_t name;
	uint32_t value;
};

/* Treat as opaque; fields are private to http.c. */
struct http_parser {
	int state;            /* enum http_state in http.c */
	int error;            /* sticky HTTP_ERR_* once state is the error state */
	size_t pos;           /* bytes of arena in use */
	size_t line_start;    /* arena offset where the current line began */
	size_t reqline_bytes; /* input bytes counted against HTTP_MAX_REQLINE */
	size_t header_bytes;  /* input bytes counted against HTTP_MAX_HEADER_BYTES */
	size_t consumed;      /* input bytes of this request so far */
	size_t body_off;      /* arena offset of the body */
	size_t body_len;      /* Content-Length (0 without one) */
	size_t body_got;      /* body bytes received */
	bool has_content_length;
	enum http_method method;
	unsigned version;     /* 10 or 11 */
	uint32_t target;      /* arena offset of the request target */
	unsigned nheaders;
	struct http_header headers[HTTP_MAX_HEADERS];
	char arena[HTTP_ARENA_SIZE];
};

/* Prepare p for a new request (also after COMPLETE or an error). */
void http_parser_init(struct http_parser *p);

/* Feed len bytes. *consumed (may be NULL) receives how many of them were used:
 * all of them for NEED_MORE; those up to the end of the request for
 * COMPLETE; for an error, those up to and including the offending byte.
 * Feeding after COMPLETE consumes nothing and returns COMPLETE again;
 * after an error, consumes nothing and returns the same error. */
int http_parser_feed(struct http_parser *p, const void *data, size_t len,
		     size_t *consumed);

/* Text for an enum http_result value ("unknown error" otherwise). */
const char *http_strerror(int code);
/* "GET", "POST", "CONNECT", or "NONE". */
const char *http_method_str(enum http_method m);

enum http_method http_req_method(const struct http_parser *p);
/* Request target exactly as sent, e.g. "/" or "/CSCOSSLC/tunnel". */
const char *http_req_target(const struct http_parser *p);
/* 11 for HTTP/1.1, 10 for HTTP/1.0. */
unsigned http_req_version(const struct http_parser *p);
/* Input bytes the whole request occupied (request line, headers, body,
 * skipped leading empty lines). */
size_t http_req_size(const struct http_parser *p);
/* The body (NUL-terminated for convenience; it may itself hold NULs) and its
 * length; an empty body is "" with *len 0. */
const char *http_req_body(const struct http_parser *p, size_t *len);
/* True if the connection may serve another request: HTTP/1.1 unless
 * "Connection: close", HTTP/1.0 only with "Connection: keep-alive". */
bool http_keep_alive(const struct http_parser *p);

/* Header access. Names are matched case-insensitively; values have leading
 * and trailing spaces/tabs removed. */
size_t http_header_count(const struct http_parser *p);
/* i-th header in arrival order; returns false when i is out of range. */
bool http_header_at(const struct http_parser *p, size_t i, const char **name,
		    const char **value);
/* Value of the first header called name, or NULL. */
const char *http_header_get(const struct http_parser *p, const char *name);
/* Iterate over every header called name: start with *iter = 0, call until
 * NULL. */
const char *http_header_next(const struct http_parser *p, const char *name,
			     size_t *iter);

/* Value of the cookie called name (case-sensitive) from all Cookie: headers
 * (each a list split on ';', pairs split at the first '='; spaces and tabs
 * around name and value and one pair of double quotes around the value are
 * removed, as RFC 6265 5.2 does). Not
 * NUL-terminated: *len gets its length. NULL when absent. The first match
 * wins. */
const char *http_cookie_get(const struct http_parser *p, const char *name,
			    size_t *len);
/* The `webvpn` cookie: http_cookie_get(p, "webvpn", len). */
const char *http_webvpn_cookie(const struct http_parser *p, size_t *len);

#endif
