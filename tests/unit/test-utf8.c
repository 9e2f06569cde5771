/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tree's one UTF-8 decoder (src/common/utf8.c). */
#include "config.h"

#include <check.h>
#include <string.h>

#include "common/utf8.h"
#include "test-main.h"

static size_t dec(const char *s, uint32_t *cp)
{
	return utf8_decode((const unsigned char *)s, strlen(s), cp);
}

START_TEST(test_well_formed)
{
	uint32_t cp;

	ck_assert_uint_eq(dec("A", &cp), 1);
	ck_assert_uint_eq(cp, 'A');
	ck_assert_uint_eq(dec("\xc3\xa9", &cp), 2);
	ck_assert_uint_eq(cp, 0xe9);
	ck_assert_uint_eq(dec("\xe2\x82\xac", &cp), 3);
	ck_assert_uint_eq(cp, 0x20ac);
	ck_assert_uint_eq(dec("\xf0\x9f\x98\x80", &cp), 4);
	ck_assert_uint_eq(cp, 0x1f600);
	ck_assert_uint_eq(dec("\xf4\x8f\xbf\xbf", &cp), 4); /* U+10FFFF */
}
END_TEST

START_TEST(test_ill_formed)
{
	uint32_t cp;

	ck_assert_uint_eq(dec("\x80", &cp), 0);             /* lone continuation */
	ck_assert_uint_eq(dec("\xc0\xaf", &cp), 0);         /* overlong '/' */
	ck_assert_uint_eq(dec("\xe0\x80\xaf", &cp), 0);     /* overlong, 3 bytes */
	ck_assert_uint_eq(dec("\xed\xa0\x80", &cp), 0);     /* surrogate U+D800 */
	ck_assert_uint_eq(dec("\xf4\x90\x80\x80", &cp), 0); /* above U+10FFFF */
	ck_assert_uint_eq(dec("\xe2\x82", &cp), 0);         /* cut short */
	ck_assert_uint_eq(dec("\xc3(", &cp), 0);            /* not a continuation */
	ck_assert_uint_eq(dec("\xff", &cp), 0);
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, test_well_formed);
	tcase_add_test(tc, test_ill_formed);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(utf8_suite)
