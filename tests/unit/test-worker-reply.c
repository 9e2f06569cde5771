/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the worker's HTTP answer builders (src/worker/worker-reply.c). */
#include "config.h"

#include "worker/worker-reply.h"

#include "codec/http.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test-main.h"

/* doc/spec/interop.md §1.2: the failure answer openconnect reads as "auth failed". */
START_TEST(test_auth_failed)
{
	char buf[512];
	int n = worker_reply_empty(buf, sizeof(buf), "401 Authentication failed", NULL);

	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_str_eq(buf, "HTTP/1.1 401 Authentication failed\r\n"
			      "Content-Length: 0\r\n"
			      "Connection: close\r\n"
			      "\r\n");
}
END_TEST

/* doc/spec/interop.md §1.3 / §5.4: a rejected cookie must start with "HTTP/1.1 401 ". */
START_TEST(test_cookie_rejected)
{
	char buf[512];

	ck_assert_int_gt(worker_reply_empty(buf, sizeof(buf), "401 Cookie is not acceptable", NULL),
			 0);
	ck_assert(strncmp(buf, "HTTP/1.1 401 ", 13) == 0);
	ck_assert_str_eq(buf, "HTTP/1.1 401 Cookie is not acceptable\r\n"
			      "Content-Length: 0\r\n"
			      "Connection: close\r\n"
			      "\r\n");
}
END_TEST

/* 503 with X-Reason: the client logs "VPN service unavailable; reason: x".
 * The reason is reduced to printable ASCII and cut to 200 bytes. */
START_TEST(test_unavailable_reason)
{
	char buf[1024], expect[1024], long_reason[400];

	ck_assert_int_gt(worker_reply_empty(buf, sizeof(buf), "503 Service Unavailable",
					    "pool\r\nX-Evil: 1\texhausted"), 0);
	ck_assert_str_eq(buf, "HTTP/1.1 503 Service Unavailable\r\n"
			      "X-Reason: pool  X-Evil: 1 exhausted\r\n"
			      "Content-Length: 0\r\n"
			      "Connection: close\r\n"
			      "\r\n");
	/* Non-ASCII bytes too. */
	ck_assert_int_gt(worker_reply_empty(buf, sizeof(buf), "503 Service Unavailable", "caf\xc3\xa9"),
			 0);
	ck_assert_ptr_nonnull(strstr(buf, "X-Reason: caf  \r\n"));

	memset(long_reason, 'r', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	ck_assert_int_gt(worker_reply_empty(buf, sizeof(buf), "503 Service Unavailable",
					    long_reason), 0);
	snprintf(expect, sizeof(expect), "X-Reason: %.200s\r\n", long_reason);
	ck_assert_ptr_nonnull(strstr(buf, expect));
	ck_assert_ptr_null(strstr(buf, "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
				       "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
				       "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"));
	/* An empty reason still gives the header. */
	ck_assert_int_gt(worker_reply_empty(buf, sizeof(buf), "503 Service Unavailable", ""), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nX-Reason: \r\n"));
}
END_TEST

START_TEST(test_empty_errors)
{
	char buf[64];

	ck_assert_int_eq(worker_reply_empty(buf, 0, "400 Bad Request", NULL), -ENOSPC);
	ck_assert_int_eq(worker_reply_empty(buf, sizeof(buf), NULL, NULL), -EINVAL);
	ck_assert_int_eq(worker_reply_empty(buf, sizeof(buf), "", NULL), -EINVAL);
	ck_assert_int_eq(worker_reply_empty(buf, sizeof(buf), "400 Bad\r\nX: y", NULL), -EINVAL);
	ck_assert_str_eq(buf, "");
	/* 63 bytes of room: the 66-byte answer does not fit. */
	ck_assert_int_eq(worker_reply_empty(buf, sizeof(buf), "400 Bad Request", NULL), -ENOSPC);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* doc/spec/interop.md §1.2 step 3: Set-Cookie exactly as the client expects it. */
START_TEST(test_xml_head_with_cookie)
{
	char buf[1024];
	int n = worker_reply_xml_head(buf, sizeof(buf), 217, "0123abcdEF-_", true);

	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\n"
			      "Content-Type: text/xml\r\n"
			      "X-Transcend-Version: 1\r\n"
			      "Set-Cookie: webvpn=0123abcdEF-_; Secure; HttpOnly\r\n"
			      "Content-Length: 217\r\n"
			      "Connection: Keep-Alive\r\n"
			      "\r\n");
}
END_TEST

START_TEST(test_xml_head_form)
{
	char buf[1024];

	ck_assert_int_gt(worker_reply_xml_head(buf, sizeof(buf), 0, NULL, false), 0);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\n"
			      "Content-Type: text/xml\r\n"
			      "X-Transcend-Version: 1\r\n"
			      "Content-Length: 0\r\n"
			      "Connection: close\r\n"
			      "\r\n");
	ck_assert_int_eq(worker_reply_xml_head(buf, 20, 0, NULL, false), -ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(worker_reply_xml_head(buf, sizeof(buf), 1, "a;b", true), -EINVAL);
}
END_TEST

static const char *const bad_cookies[] = {
	"", "a;b", "a,b", "a b", "a\"b", "a\\b", "a\rb", "a\nb", "a\tb", "caf\xc3\xa9", "a\x7f",
};

START_TEST(test_cookie_bad)
{
	ck_assert(!worker_cookie_is_safe(bad_cookies[_i]));
}
END_TEST

START_TEST(test_cookie_limits)
{
	char c[WORKER_COOKIE_MAX + 2];

	ck_assert(!worker_cookie_is_safe(NULL));
	ck_assert(worker_cookie_is_safe("x"));
	/* '=' is legal in a cookie value (ocserv's base64 cookies end in it). */
	ck_assert(worker_cookie_is_safe("abc="));
	memset(c, 'a', WORKER_COOKIE_MAX);
	c[WORKER_COOKIE_MAX] = '\0';
	ck_assert(worker_cookie_is_safe(c));
	c[WORKER_COOKIE_MAX] = 'a';
	c[WORKER_COOKIE_MAX + 1] = '\0';
	ck_assert(!worker_cookie_is_safe(c));
}
END_TEST

START_TEST(test_error_status)
{
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_BAD_REQLINE), "400 Bad Request");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_CTRL_CHAR), "400 Bad Request");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_CONNECT_BODY), "400 Bad Request");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_REQLINE_TOO_LONG), "414 URI Too Long");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_HEADERS_TOO_LARGE),
			 "431 Request Header Fields Too Large");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_TOO_MANY_HEADERS),
			 "431 Request Header Fields Too Large");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_BODY_TOO_LARGE), "413 Content Too Large");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_METHOD), "501 Not Implemented");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_TRANSFER_ENCODING), "501 Not Implemented");
	ck_assert_str_eq(worker_http_error_status(HTTP_ERR_VERSION),
			 "505 HTTP Version Not Supported");
	ck_assert_str_eq(worker_http_error_status(-12345), "400 Bad Request");
}
END_TEST

START_TEST(test_base_mtu)
{
	ck_assert_uint_eq(worker_parse_base_mtu("1500"), 1500);
	ck_assert_uint_eq(worker_parse_base_mtu("65535"), 65535);
	ck_assert_uint_eq(worker_parse_base_mtu("1"), 1);
	ck_assert_uint_eq(worker_parse_base_mtu("01406"), 1406);
	ck_assert_uint_eq(worker_parse_base_mtu("65536"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("0"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("000000"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("99999999999999999999"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("-1500"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("+1500"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu(" 1500"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("1500 "), 0);
	ck_assert_uint_eq(worker_parse_base_mtu("15x0"), 0);
	ck_assert_uint_eq(worker_parse_base_mtu(""), 0);
	ck_assert_uint_eq(worker_parse_base_mtu(NULL), 0);
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("worker-reply");
	TCase *tc = tcase_create("empty");

	tcase_add_test(tc, test_auth_failed);
	tcase_add_test(tc, test_cookie_rejected);
	tcase_add_test(tc, test_unavailable_reason);
	tcase_add_test(tc, test_empty_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("xml");
	tcase_add_test(tc, test_xml_head_with_cookie);
	tcase_add_test(tc, test_xml_head_form);
	tcase_add_loop_test(tc, test_cookie_bad, 0, sizeof(bad_cookies) / sizeof(bad_cookies[0]));
	tcase_add_test(tc, test_cookie_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_test(tc, test_error_status);
	tcase_add_test(tc, test_base_mtu);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(reply_suite)
