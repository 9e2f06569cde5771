/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/common/log.c: log_escape, the one way peer-supplied text reaches a log
 * line.
 */
#include "config.h"

#include "common/log.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "test-main.h"

static const char *esc(const char *s)
{
	static char buf[LOG_ESC_MAX];

	return log_escape(buf, sizeof(buf), s);
}

START_TEST(plain_text_unchanged)
{
	ck_assert_str_eq(esc("alice"), "alice");
	ck_assert_str_eq(esc("Mozilla/5.0 (X11; Linux) openconnect 9.01"),
			 "Mozilla/5.0 (X11; Linux) openconnect 9.01");
	ck_assert_str_eq(esc(""), "");
	ck_assert_str_eq(esc(NULL), "(null)");
	/* well-formed UTF-8 stays: é, €, 𝄞 */
	ck_assert_str_eq(esc("ren\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"),
			 "ren\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
}
END_TEST

START_TEST(controls_escaped)
{
	ck_assert_str_eq(esc("bob\nfake: info: root logged in"),
			 "bob\\x0afake: info: root logged in");
	ck_assert_str_eq(esc("a\rb\tc\x1b[31md\x7f"), "a\\x0db\\x09c\\x1b[31md\\x7f");
	ck_assert_str_eq(esc("back\\slash"), "back\\x5cslash");
	/* NUL bytes inside a counted string */
	{
		char buf[64];

		ck_assert_str_eq(log_escape_n(buf, sizeof(buf), "a\0b", 3), "a\\x00b");
	}
}
END_TEST

START_TEST(bad_utf8_escaped)
{
	/* stray continuation byte, lone lead byte, cut sequence at the end */
	ck_assert_str_eq(esc("x\x80y"), "x\\x80y");
	ck_assert_str_eq(esc("x\xc3y"), "x\\xc3y");
	ck_assert_str_eq(esc("x\xe2\x82"), "x\\xe2\\x82");
	/* overlong '/' and NUL, a surrogate, beyond U+10FFFF, 0xff */
	ck_assert_str_eq(esc("\xc0\xaf"), "\\xc0\\xaf");
	ck_assert_str_eq(esc("\xc0\x80"), "\\xc0\\x80");
	ck_assert_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	ck_assert_str_eq(esc("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	ck_assert_str_eq(esc("\xff"), "\\xff");
}
END_TEST

START_TEST(hidden_code_points_escaped)
{
	/* C1 control U+0085 (NEL), U+2028, right-to-left override U+202E */
	ck_assert_str_eq(esc("a\xc2\x85" "b"), "a\\xc2\\x85b");
	ck_assert_str_eq(esc("a\xe2\x80\xa8" "b"), "a\\xe2\\x80\\xa8b");
	ck_assert_str_eq(esc("evil\xe2\x80\xaetxt.exe"), "evil\\xe2\\x80\\xaetxt.exe");
	ck_assert_str_eq(esc("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
	/* U+00A0 (no-break space) is printable: kept */
	ck_assert_str_eq(esc("a\xc2\xa0" "b"), "a\xc2\xa0" "b");
}
END_TEST

START_TEST(truncation)
{
	char out[8];

	ck_assert_str_eq(log_escape(out, sizeof(out), "1234567"), "1234567");
	ck_assert_str_eq(log_escape(out, sizeof(out), "12345678"), "1234...");
	/* never half an escape */
	ck_assert_str_eq(log_escape(out, sizeof(out), "12\n45678"), "12...");
	/* never half a character: é is 2 bytes */
	ck_assert_str_eq(log_escape(out, sizeof(out), "123\xc3\xa9xyz"), "123...");
	ck_assert_str_eq(log_escape(out, 4, "abcdef"), "...");
	ck_assert_str_eq(log_escape(out, 4, "abc"), "abc");
}
END_TEST

START_TEST(macro_in_a_call)
{
	char line[128];

	snprintf(line, sizeof(line), "'%s' '%s'", LOG_ESC("a\nb"), LOG_ESC("c\x01"));
	ck_assert_str_eq(line, "'a\\x0ab' 'c\\x01'");
}
END_TEST

START_TEST(suspect_text)
{
	ck_assert(!log_text_suspect(NULL));
	ck_assert(!log_text_suspect(""));
	ck_assert(!log_text_suspect("alice"));
	ck_assert(!log_text_suspect("CORP\\alice"));
	ck_assert(!log_text_suspect("ren\xc3\xa9"));
	ck_assert(log_text_suspect("bob\nroot"));
	ck_assert(log_text_suspect("\x1b[2J"));
	ck_assert(log_text_suspect("x\xff"));
	ck_assert(log_text_suspect("a\xe2\x80\xae" "b"));
}
END_TEST

/* The line log_msg writes for msg, read back from stderr. */
static void logged(const char *msg, char *out, size_t len)
{
	int p[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(saved, 0);
	dup2(p[1], STDERR_FILENO);
	log_msg(LOG_LVL_ERR, "%s", msg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, len - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
}

START_TEST(backstop_in_log_msg)
{
	char line[512];
	const char *text;

	log_init("test-log", LOG_LVL_INFO);
	/* a call that forgot LOG_ESC: still one line, no raw control byte */
	logged("evil\nfake: info: root logged in\x1b[2J\r", line, sizeof(line));
	text = strstr(line, "error: ");
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "error: evil\\x0afake: info: root logged in\\x1b[2J\\x0d\n");
	/* what LOG_ESC made stays as it is: no double escaping */
	logged(LOG_ESC("a\nb"), line, sizeof(line));
	ck_assert_str_eq(strstr(line, "error: "), "error: a\\x0ab\n");
	/* text that is not ASCII stays (UTF-8 in messages from the code) */
	logged("caf\xc3\xa9", line, sizeof(line));
	ck_assert_str_eq(strstr(line, "error: "), "error: caf\xc3\xa9\n");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, plain_text_unchanged);
	tcase_add_test(tc, controls_escaped);
	tcase_add_test(tc, bad_utf8_escaped);
	tcase_add_test(tc, hidden_code_points_escaped);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, macro_in_a_call);
	tcase_add_test(tc, suspect_text);
	tcase_add_test(tc, backstop_in_log_msg);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(log_suite)
