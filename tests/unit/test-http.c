/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the incremental HTTP request parser (src/codec/http.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/http.h"
#include "test-main.h"

static struct http_parser *P;

static void setup(void)
{
	P = malloc(sizeof(*P));
	ck_assert_ptr_nonnull(P);
	http_parser_init(P);
}

static void teardown(void)
{
	free(P);
	P = NULL;
}

/* Feed a whole string; return the result, the bytes used in *used. */
static int feed_str(const char *s, size_t *used)
{
	return http_parser_feed(P, s, strlen(s), used);
}

/* The CONNECT openconnect 9.01 sends (doc/spec/interop.md 2.1), CRLF endings. */
static const char oc_connect[] =
	"CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n"
	"Host: 10.77.0.1:4443\r\n"
	"User-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
	"Cookie: webvpn=AbCdEf0123456789_-AbCdEf0123456789\r\n"
	"X-CSTP-Version: 1\r\n"
	"X-CSTP-Hostname: client1\r\n"
	"X-CSTP-Accept-Encoding: oc-lz4,lzs\r\n"
	"X-CSTP-Base-MTU: 1500\r\n"
	"X-CSTP-MTU: 1390\r\n"
	"X-CSTP-Address-Type: IPv6,IPv4\r\n"
	"X-CSTP-Full-IPv6-Capability: true\r\n"
	"X-DTLS-Master-Secret: 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\r\n"
	"X-DTLS-CipherSuite: PSK-NEGOTIATE:OC-DTLS1_2-AES256-GCM:OC2-DTLS1_2-CHACHA20-POLY1305\r\n"
	"X-DTLS12-CipherSuite: ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA\r\n"
	"X-DTLS-Accept-Encoding: oc-lz4,lzs\r\n"
	"\r\n";

static const char xml_body[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\">\n"
	"<version who=\"vpn\">v9.01-3</version>\n"
	"<device-id>linux-64</device-id>\n"
	"<group-access>https://10.77.0.1:4443/</group-access>\n"
	"</config-auth>";

static char *post_request(const char *eol)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "POST / HTTP/1.1%sHost: gw%sX-Transcend-Version: 1%s"
		 "X-Aggregate-Auth: 1%s"
		 "Content-Type: application/xml; charset=utf-8%s"
		 "Content-Length: %zu%s%s%s",
		 eol, eol, eol, eol, eol, strlen(xml_body), eol, eol, xml_body);
	return buf;
}

/* ---- well-formed requests ---- */

START_TEST(test_connect)
{
	size_t used, len;
	const char *c;

	ck_assert_int_eq(feed_str(oc_connect, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(used, strlen(oc_connect));
	ck_assert_uint_eq(http_req_size(P), strlen(oc_connect));
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_CONNECT);
	ck_assert_str_eq(http_req_target(P), "/CSCOSSLC/tunnel");
	ck_assert_uint_eq(http_req_version(P), 11);
	ck_assert_uint_eq(http_header_count(P), 14);
	ck_assert_str_eq(http_header_get(P, "host"), "10.77.0.1:4443");
	ck_assert_str_eq(http_header_get(P, "X-CSTP-MTU"), "1390");
	ck_assert_str_eq(http_header_get(P, "x-cstp-base-mtu"), "1500");
	ck_assert_str_eq(http_header_get(P, "USER-AGENT"),
			 "Open AnyConnect VPN Agent v9.01-3");
	ck_assert_ptr_null(http_header_get(P, "X-CSTP-Address"));
	ck_assert_ptr_null(http_header_get(P, "X-CSTP"));
	ck_assert_ptr_null(http_header_get(P, "Content-Length"));
	c = http_webvpn_cookie(P, &len);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(len, 34);
	ck_assert_int_eq(memcmp(c, "AbCdEf0123456789_-AbCdEf0123456789", len), 0);
	ck_assert_ptr_nonnull(http_req_body(P, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert(http_keep_alive(P));
}
END_TEST

START_TEST(test_post_body)
{
	const char *req = post_request("\r\n");
	size_t used, len;
	const char *body;

	ck_assert_int_eq(feed_str(req, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(used, strlen(req));
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_POST);
	ck_assert_str_eq(http_req_target(P), "/");
	ck_assert_str_eq(http_header_get(P, "content-type"),
			 "application/xml; charset=utf-8");
	body = http_req_body(P, &len);
	ck_assert_uint_eq(len, strlen(xml_body));
	ck_assert_str_eq(body, xml_body);
	ck_assert_ptr_null(http_webvpn_cookie(P, &len));
	ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_bare_lf)
{
	const char *req = post_request("\n");
	size_t len;

	ck_assert_int_eq(feed_str(req, NULL), HTTP_COMPLETE);
	ck_assert_str_eq(http_header_get(P, "X-Aggregate-Auth"), "1");
	ck_assert_str_eq(http_req_body(P, &len), xml_body);

	/* Mixed endings in one request. */
	http_parser_init(P);
	ck_assert_int_eq(feed_str("GET /x HTTP/1.0\nA: 1\r\nB: 2\n\r\n", NULL),
			 HTTP_COMPLETE);
	ck_assert_uint_eq(http_req_version(P), 10);
	ck_assert_str_eq(http_header_get(P, "a"), "1");
	ck_assert_str_eq(http_header_get(P, "b"), "2");
}
END_TEST

/* Feeding in chunks of every size gives what feeding at once gives. */
START_TEST(test_incremental)
{
	const char *req = post_request("\r\n");
	size_t total = strlen(req), chunk = (size_t)_i, off = 0, used;
	int r = HTTP_NEED_MORE;
	size_t len;

	while (off < total) {
		size_t n = total - off < chunk ? total - off : chunk;

		/* Nothing is available before completion. */
		ck_assert_ptr_null(http_req_target(P));
		ck_assert_uint_eq(http_header_count(P), 0);
		r = http_parser_feed(P, req + off, n, &used);
		off += used;
		if (r != HTTP_NEED_MORE)
			break;
		ck_assert_uint_eq(used, n);
	}
	ck_assert_int_eq(r, HTTP_COMPLETE);
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(http_req_size(P), total);
	ck_assert_str_eq(http_req_target(P), "/");
	ck_assert_uint_eq(http_header_count(P), 5);
	ck_assert_str_eq(http_req_body(P, &len), xml_body);
}
END_TEST

START_TEST(test_pipelined)
{
	char buf[4096];
	const char *post = post_request("\r\n");
	size_t used, plen = strlen(post);

	snprintf(buf, sizeof(buf), "%s%s", post, oc_connect);
	ck_assert_int_eq(feed_str(buf, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(used, plen);
	/* More input after COMPLETE is not consumed. */
	ck_assert_int_eq(feed_str(buf + used, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_POST);

	http_parser_init(P);
	ck_assert_int_eq(feed_str(buf + plen, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(used, strlen(oc_connect));
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_CONNECT);

	/* Two GETs back to back, the second split. */
	http_parser_init(P);
	ck_assert_int_eq(feed_str("GET /a HTTP/1.1\r\n\r\nGET /b HT", &used),
			 HTTP_COMPLETE);
	ck_assert_uint_eq(used, 19);
	ck_assert_str_eq(http_req_target(P), "/a");
	http_parser_init(P);
	ck_assert_int_eq(feed_str("GET /b HT", &used), HTTP_NEED_MORE);
	ck_assert_int_eq(feed_str("TP/1.1\r\n\r\n", &used), HTTP_COMPLETE);
	ck_assert_str_eq(http_req_target(P), "/b");
}
END_TEST

START_TEST(test_leading_empty_lines)
{
	size_t used;

	ck_assert_int_eq(feed_str("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n", &used),
			 HTTP_COMPLETE);
	ck_assert_uint_eq(used, 23);
	ck_assert_uint_eq(http_req_size(P), 23);
	ck_assert_str_eq(http_req_target(P), "/");
}
END_TEST

START_TEST(test_header_values)
{
	const char *v, *n;
	size_t iter = 0;

	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n"
				  "X-A:   spaced \t \r\n"
				  "x-a:tight\r\n"
				  "Empty:\r\n"
				  "Tabs: a\tb\r\n"
				  "Utf8: caf\xc3\xa9\r\n"
				  "X-A: third\r\n"
				  "\r\n", NULL), HTTP_COMPLETE);
	ck_assert_uint_eq(http_header_count(P), 6);
	ck_assert_str_eq(http_header_get(P, "X-a"), "spaced");
	ck_assert_str_eq(http_header_next(P, "X-A", &iter), "spaced");
	ck_assert_str_eq(http_header_next(P, "X-A", &iter), "tight");
	ck_assert_str_eq(http_header_next(P, "X-A", &iter), "third");
	ck_assert_ptr_null(http_header_next(P, "X-A", &iter));
	ck_assert_ptr_null(http_header_next(P, "X-A", &iter));
	ck_assert_str_eq(http_header_get(P, "empty"), "");
	ck_assert_str_eq(http_header_get(P, "tabs"), "a\tb");
	ck_assert_str_eq(http_header_get(P, "utf8"), "caf\xc3\xa9");
	ck_assert(http_header_at(P, 1, &n, &v));
	ck_assert_str_eq(n, "x-a");
	ck_assert_str_eq(v, "tight");
	ck_assert(http_header_at(P, 5, NULL, &v));
	ck_assert_str_eq(v, "third");
	ck_assert(!http_header_at(P, 6, &n, &v));
	ck_assert_ptr_null(http_header_get(P, NULL));
	ck_assert_ptr_null(http_header_next(P, "X-A", NULL));
}
END_TEST

START_TEST(test_cookies)
{
	size_t len;
	const char *c;

	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n"
				  "Cookie: webvpncontext=ctx; webvpnc=\r\n"
				  "Cookie:  a=1;b=2 ;  webvpn = \"quoted\" ; webvpn=second\r\n"
				  "\r\n", NULL), HTTP_COMPLETE);
	/* webvpncontext and webvpnc are other cookies; the first webvpn wins;
	 * spaces around name and value and the quotes go. */
	c = http_webvpn_cookie(P, &len);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(c, "quoted", 6), 0);
	c = http_cookie_get(P, "webvpncontext", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(c, "ctx", 3), 0);
	c = http_cookie_get(P, "webvpnc", &len);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(len, 0);
	c = http_cookie_get(P, "b", &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(*c, '2');
	ck_assert_ptr_null(http_cookie_get(P, "B", &len));
	ck_assert_ptr_null(http_cookie_get(P, "webvpn ", &len)); /* wrong name */
	ck_assert_ptr_null(http_cookie_get(P, NULL, &len));

	http_parser_init(P);
	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n"
				  "cookie: webvpn=\"abc\"\r\n\r\n", NULL), HTTP_COMPLETE);
	c = http_webvpn_cookie(P, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(c, "abc", 3), 0);

	/* A value with '=' keeps everything after the first '='. */
	http_parser_init(P);
	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n"
				  "Cookie: webvpn=YWJj==;x\r\n\r\n", NULL), HTTP_COMPLETE);
	c = http_webvpn_cookie(P, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(c, "YWJj==", 6), 0);
	ck_assert_ptr_null(http_cookie_get(P, "x", NULL));
}
END_TEST

START_TEST(test_keep_alive)
{
	static const struct {
		const char *req;
		bool keep;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n", true },
		{ "GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\n\r\n", false },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: x\r\nConnection: keep-alive , y\r\n\r\n", true },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n", false },
		{ "GET / HTTP/1.1\r\nConnection:\r\n\r\n", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_parser_init(P);
		ck_assert_int_eq(feed_str(cases[i].req, NULL), HTTP_COMPLETE);
		ck_assert_msg(http_keep_alive(P) == cases[i].keep, "case %zu", i);
	}
}
END_TEST

START_TEST(test_accessors_before_complete)
{
	size_t len = 99;

	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\nCookie: webvpn=x\r\n", NULL),
			 HTTP_NEED_MORE);
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_NONE);
	ck_assert_ptr_null(http_req_target(P));
	ck_assert_uint_eq(http_req_version(P), 0);
	ck_assert_uint_eq(http_req_size(P), 0);
	ck_assert_ptr_null(http_req_body(P, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(http_header_count(P), 0);
	ck_assert(!http_header_at(P, 0, NULL, NULL));
	ck_assert_ptr_null(http_header_get(P, "cookie"));
	ck_assert_ptr_null(http_webvpn_cookie(P, &len));
	ck_assert(!http_keep_alive(P));
	ck_assert_ptr_null(http_req_target(NULL));
	ck_assert_int_eq(feed_str("\r\n", NULL), HTTP_COMPLETE);
	ck_assert_ptr_nonnull(http_webvpn_cookie(P, &len));
}
END_TEST

START_TEST(test_methods)
{
	ck_assert_str_eq(http_method_str(HTTP_METHOD_GET), "GET");
	ck_assert_str_eq(http_method_str(HTTP_METHOD_POST), "POST");
	ck_assert_str_eq(http_method_str(HTTP_METHOD_CONNECT), "CONNECT");
	ck_assert_str_eq(http_method_str(HTTP_METHOD_NONE), "NONE");
	ck_assert_int_eq(feed_str("GET /?a=b HTTP/1.1\r\n\r\n", NULL), HTTP_COMPLETE);
	ck_assert_int_eq(http_req_method(P), HTTP_METHOD_GET);
	ck_assert_str_eq(http_req_target(P), "/?a=b");
}
END_TEST

/* ---- limits at their exact boundaries ---- */

START_TEST(test_reqline_limit)
{
	static char buf[HTTP_MAX_REQLINE + 64];
	size_t used;
	/* "GET " + target + " HTTP/1.1\r\n" == 8192 bytes exactly. */
	size_t tlen = HTTP_MAX_REQLINE - 4 - 11;

	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', tlen - 1);
	strcpy(buf + 4 + tlen, " HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(feed_str(buf, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(strlen(http_req_target(P)), tlen);

	/* One byte more. */
	http_parser_init(P);
	memset(buf + 5, 'a', tlen);
	strcpy(buf + 5 + tlen, " HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(feed_str(buf, &used), HTTP_ERR_REQLINE_TOO_LONG);
	ck_assert_uint_eq(used, HTTP_MAX_REQLINE + 1);

	/* An endless line is refused at byte 8193, without any LF. */
	http_parser_init(P);
	memset(buf, 'G', sizeof(buf));
	ck_assert_int_eq(http_parser_feed(P, buf, sizeof(buf), &used),
			 HTTP_ERR_REQLINE_TOO_LONG);
	ck_assert_uint_eq(used, HTTP_MAX_REQLINE + 1);

	/* Leading empty lines count too. */
	http_parser_init(P);
	memset(buf, '\n', sizeof(buf));
	ck_assert_int_eq(http_parser_feed(P, buf, sizeof(buf), &used),
			 HTTP_ERR_REQLINE_TOO_LONG);
}
END_TEST

START_TEST(test_header_bytes_limit)
{
	static char buf[HTTP_MAX_HEADER_BYTES + 256];
	const char *rl = "GET / HTTP/1.1\r\n";
	/* One header "X: aaa...\r\n" then "\r\n": 16384 bytes together. */
	size_t vlen = HTTP_MAX_HEADER_BYTES - 2 - 3 - 2;
	size_t off = strlen(rl), used;

	memcpy(buf, rl, off);
	memcpy(buf + off, "X: ", 3);
	memset(buf + off + 3, 'v', vlen);
	memcpy(buf + off + 3 + vlen, "\r\n\r\n", 5);
	ck_assert_int_eq(feed_str(buf, &used), HTTP_COMPLETE);
	ck_assert_uint_eq(strlen(http_header_get(P, "x")), vlen);

	http_parser_init(P);
	memset(buf + off + 3, 'v', vlen + 1);
	memcpy(buf + off + 3 + vlen + 1, "\r\n\r\n", 5);
	ck_assert_int_eq(feed_str(buf, &used), HTTP_ERR_HEADERS_TOO_LARGE);
	ck_assert_uint_eq(used, off + HTTP_MAX_HEADER_BYTES + 1);
}
END_TEST

START_TEST(test_header_count_limit)
{
	char buf[4096];
	size_t off = 0;

	off += (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	for (unsigned i = 0; i < HTTP_MAX_HEADERS; i++)
		off += (size_t)sprintf(buf + off, "H%u: %u\r\n", i, i);
	strcpy(buf + off, "\r\n");
	ck_assert_int_eq(feed_str(buf, NULL), HTTP_COMPLETE);
	ck_assert_uint_eq(http_header_count(P), HTTP_MAX_HEADERS);
	ck_assert_str_eq(http_header_get(P, "h63"), "63");

	http_parser_init(P);
	strcpy(buf + off, "One-Too-Many: x\r\n\r\n");
	ck_assert_int_eq(feed_str(buf, NULL), HTTP_ERR_TOO_MANY_HEADERS);
}
END_TEST

START_TEST(test_body_limit)
{
	static char buf[HTTP_MAX_BODY + 256];
	size_t len, off;

	off = (size_t)sprintf(buf, "POST /auth HTTP/1.1\r\nContent-Length: %u\r\n\r\n",
			      HTTP_MAX_BODY);
	memset(buf + off, 'b', HTTP_MAX_BODY);
	ck_assert_int_eq(http_parser_feed(P, buf, off + HTTP_MAX_BODY, NULL),
			 HTTP_COMPLETE);
	ck_assert_ptr_nonnull(http_req_body(P, &len));
	ck_assert_uint_eq(len, HTTP_MAX_BODY);

	http_parser_init(P);
	ck_assert_int_eq(feed_str("POST / HTTP/1.1\r\nContent-Length: 65537\r\n", NULL),
			 HTTP_ERR_BODY_TOO_LARGE);
	http_parser_init(P);
	ck_assert_int_eq(feed_str("POST / HTTP/1.1\r\nContent-Length: "
				  "99999999999999999999999999999\r\n", NULL),
			 HTTP_ERR_BODY_TOO_LARGE);
	/* Leading zeros are a number like any other. */
	http_parser_init(P);
	ck_assert_int_eq(feed_str("POST / HTTP/1.1\r\nContent-Length: 0003\r\n\r\nabcd",
				  &len), HTTP_COMPLETE);
	ck_assert_str_eq(http_req_body(P, NULL), "abc");
}
END_TEST

START_TEST(test_body_binary)
{
	/* The body is opaque: NUL and CR are fine there. */
	static const char req[] = "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\na\0\rb";
	size_t len;
	const char *b;

	ck_assert_int_eq(http_parser_feed(P, req, sizeof(req) - 1, NULL), HTTP_COMPLETE);
	b = http_req_body(P, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(b, "a\0\rb", 4), 0);
}
END_TEST

/* ---- every error code ---- */

static const struct {
	const char *req;
	int want;
} bad[] = {
	{ "GET / HTTP/1.1 \r\n", HTTP_ERR_BAD_REQLINE },
	{ " GET / HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET  / HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET /\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET / \r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET /a b HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET /\t HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET /\x7f HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "GET /caf\xc3\xa9 HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "G(T / HTTP/1.1\r\n", HTTP_ERR_BAD_REQLINE },
	{ "PUT / HTTP/1.1\r\n", HTTP_ERR_METHOD },
	{ "get / HTTP/1.1\r\n", HTTP_ERR_METHOD },
	{ "OPTIONS * HTTP/1.1\r\n", HTTP_ERR_METHOD },
	{ "GET / HTTP/2.0\r\n", HTTP_ERR_VERSION },
	{ "GET / HTTP/1.2\r\n", HTTP_ERR_VERSION },
	{ "GET / http/1.1\r\n", HTTP_ERR_VERSION },
	{ "GET / HTTP/1.10\r\n", HTTP_ERR_VERSION },
	{ "GET / HTTP/0.9\r\n", HTTP_ERR_VERSION },
	{ "GET / HTTP/1.1\r\nNoColon\r\n", HTTP_ERR_HEADER_NAME },
	{ "GET / HTTP/1.1\r\nName : v\r\n", HTTP_ERR_HEADER_NAME },
	{ "GET / HTTP/1.1\r\n: v\r\n", HTTP_ERR_HEADER_NAME },
	{ "GET / HTTP/1.1\r\nNa(me: v\r\n", HTTP_ERR_HEADER_NAME },
	{ "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n", HTTP_ERR_HEADER_FOLD },
	{ "GET / HTTP/1.1\r\nA: 1\r\n\tfolded\r\n", HTTP_ERR_HEADER_FOLD },
	{ "GET / HTTP/1.1\r\nA: x\001y\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\nA: x\x7fy\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\nA: x\ry\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\nA: x\r\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\nA: x\x1b[2J\r\n", HTTP_ERR_CTRL_CHAR },
	{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", HTTP_ERR_TRANSFER_ENCODING },
	{ "POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n", HTTP_ERR_TRANSFER_ENCODING },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
	  HTTP_ERR_TRANSFER_ENCODING },
	{ "POST / HTTP/1.1\r\nContent-Length: abc\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length:\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: +5\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: 5,5\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n", HTTP_ERR_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
	  HTTP_ERR_DUP_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\ncontent-length: 5\r\nCONTENT-LENGTH: 6\r\n",
	  HTTP_ERR_DUP_CONTENT_LENGTH },
	{ "POST / HTTP/1.1\r\nContent-Length: 70000\r\n", HTTP_ERR_BODY_TOO_LARGE },
	{ "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\nContent-Length: 1\r\n\r\n",
	  HTTP_ERR_CONNECT_BODY },
};

START_TEST(test_errors)
{
	const char *req = bad[_i].req;
	size_t used;
	int r;

	r = feed_str(req, &used);
	ck_assert_msg(r == bad[_i].want, "case %d \"%s\": got %d (%s), want %d",
		      _i, req, r, http_strerror(r), bad[_i].want);
	/* The error comes with the line that caused it: nothing after it is
	 * consumed. */
	ck_assert_uint_eq(used, strlen(req));
	/* Sticky, consumes nothing. */
	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n\r\n", &used), r);
	ck_assert_uint_eq(used, 0);
	ck_assert_ptr_null(http_req_target(P));

	/* Byte by byte gives the same error at the same byte. */
	http_parser_init(P);
	size_t i;
	for (i = 0; i < strlen(req); i++) {
		r = http_parser_feed(P, req + i, 1, &used);
		if (r != HTTP_NEED_MORE)
			break;
	}
	ck_assert_int_eq(r, bad[_i].want);
	ck_assert_uint_eq(i, strlen(req) - 1);
	ck_assert_uint_eq(used, 1);
}
END_TEST

START_TEST(test_nul)
{
	static const char r1[] = "GET /\0 HTTP/1.1\r\n\r\n";
	static const char r2[] = "GET / HTTP/1.1\r\nA: \0\r\n\r\n";
	static const char r3[] = "\0";
	size_t used;

	ck_assert_int_eq(http_parser_feed(P, r1, sizeof(r1) - 1, &used), HTTP_ERR_NUL);
	ck_assert_uint_eq(used, 6);
	http_parser_init(P);
	ck_assert_int_eq(http_parser_feed(P, r2, sizeof(r2) - 1, &used), HTTP_ERR_NUL);
	ck_assert_uint_eq(used, 20);
	http_parser_init(P);
	ck_assert_int_eq(http_parser_feed(P, r3, 1, &used), HTTP_ERR_NUL);
}
END_TEST

START_TEST(test_inval)
{
	size_t used = 5;

	ck_assert_int_eq(http_parser_feed(NULL, "x", 1, &used), HTTP_ERR_INVAL);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(http_parser_feed(P, NULL, 1, &used), HTTP_ERR_INVAL);
	/* An empty feed is harmless. */
	ck_assert_int_eq(http_parser_feed(P, NULL, 0, &used), HTTP_NEED_MORE);
	ck_assert_int_eq(feed_str("GET / HTTP/1.1\r\n\r\n", NULL), HTTP_COMPLETE);
}
END_TEST

START_TEST(test_strerror)
{
	for (int a = -16; a <= 1; a++) {
		ck_assert_str_ne(http_strerror(a), "unknown error");
		for (int b = -16; b < a; b++)
			ck_assert_str_ne(http_strerror(a), http_strerror(b));
	}
	ck_assert_int_eq(HTTP_ERR_INVAL, -16);
	ck_assert_str_eq(http_strerror(-17), "unknown error");
	ck_assert_str_eq(http_strerror(2), "unknown error");
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_post_body);
	tcase_add_test(tc, test_bare_lf);
	tcase_add_loop_test(tc, test_incremental, 1, 64);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_leading_empty_lines);
	tcase_add_test(tc, test_header_values);
	tcase_add_test(tc, test_cookies);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_accessors_before_complete);
	tcase_add_test(tc, test_methods);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reqline_limit);
	tcase_add_test(tc, test_header_bytes_limit);
	tcase_add_test(tc, test_header_count_limit);
	tcase_add_test(tc, test_body_limit);
	tcase_add_test(tc, test_body_binary);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_inval);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(http_suite)
