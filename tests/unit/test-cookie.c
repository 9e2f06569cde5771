/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sec-mod/cookie.h"
#include "test-main.h"

static bool in_alphabet(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

START_TEST(test_encode_known)
{
	uint8_t raw[COOKIE_RAW_LEN];
	char out[COOKIE_LEN + 1];

	memset(raw, 0, sizeof(raw));
	cookie_encode(raw, out);
	ck_assert_str_eq(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	memset(raw, 0xff, sizeof(raw));
	cookie_encode(raw, out);
	/* 30 bytes -> 40 '_'; the last two bytes 0xffff -> "__8" (2 zero pad bits) */
	ck_assert_str_eq(out, "__________________________________________8");
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;
	cookie_encode(raw, out);
	/* base64 of 00 01 02 ... 1f, '+'/'/' replaced, padding dropped */
	ck_assert_str_eq(out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
	ck_assert(cookie_is_wellformed(out));
}
END_TEST

START_TEST(test_mint)
{
	char a[COOKIE_LEN + 1], b[COOKIE_LEN + 1];

	ck_assert_int_eq(cookie_mint(a), 0);
	ck_assert_int_eq(cookie_mint(b), 0);
	ck_assert_uint_eq(strlen(a), COOKIE_LEN);
	ck_assert_str_ne(a, b);
	for (size_t i = 0; i < COOKIE_LEN; i++) {
		ck_assert(in_alphabet(a[i]));
		ck_assert(a[i] != ';' && a[i] != '=');
	}
	ck_assert(cookie_is_wellformed(a));
	ck_assert(cookie_is_wellformed(b));
}
END_TEST

static int cmp_cookie(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_mint_many_distinct)
{
	/* 1000 cookies: no repeats and every alphabet position gets used,
	 * which a broken encoder (e.g. one that drops bits) would not do */
	enum { N = 1000 };
	char (*c)[COOKIE_LEN + 1] = calloc(N, sizeof(*c));
	bool seen[256] = { false };
	int distinct = 0;

	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(cookie_mint(c[i]), 0);
		for (size_t k = 0; k < COOKIE_LEN; k++)
			seen[(unsigned char)c[i][k]] = true;
	}
	/* sorted, a repeat would stand next to its twin; one check per pair
	 * (check's assertions cost a write each, so not a million of them) */
	qsort(c, N, sizeof(*c), cmp_cookie);
	for (int i = 1; i < N; i++)
		if (strcmp(c[i - 1], c[i]) == 0)
			ck_abort_msg("cookie %s minted twice", c[i]);
	for (int ch = 0; ch < 256; ch++)
		distinct += seen[ch];
	ck_assert_int_eq(distinct, 64);
	free(c);
}
END_TEST

START_TEST(test_wellformed)
{
	char good[COOKIE_LEN + 1], bad[COOKIE_LEN + 2];

	ck_assert_int_eq(cookie_mint(good), 0);
	ck_assert(cookie_is_wellformed(good));
	ck_assert(!cookie_is_wellformed(NULL));
	ck_assert(!cookie_is_wellformed(""));
	/* one short, one long */
	memcpy(bad, good, COOKIE_LEN - 1);
	bad[COOKIE_LEN - 1] = 0;
	ck_assert(!cookie_is_wellformed(bad));
	memcpy(bad, good, COOKIE_LEN);
	bad[COOKIE_LEN] = 'A';
	bad[COOKIE_LEN + 1] = 0;
	ck_assert(!cookie_is_wellformed(bad));
	/* a foreign character anywhere */
	const char foreign[] = { '=', ';', '+', '/', ' ', '.', '\n', (char)0xc3 };
	for (size_t pos = 0; pos < COOKIE_LEN; pos += 7)
		for (size_t k = 0; k < sizeof(foreign); k++) {
			memcpy(bad, good, COOKIE_LEN + 1);
			bad[pos] = foreign[k];
			ck_assert(!cookie_is_wellformed(bad));
		}
	/* last character with stray low bits: 'B' = 1 */
	memcpy(bad, good, COOKIE_LEN + 1);
	bad[COOKIE_LEN - 1] = 'B';
	ck_assert(!cookie_is_wellformed(bad));
	bad[COOKIE_LEN - 1] = 'E'; /* 4: low bits zero */
	ck_assert(cookie_is_wellformed(bad));
}
END_TEST

START_TEST(test_session_id)
{
	char id1[SESSION_ID_LEN + 1], id2[SESSION_ID_LEN + 1];
	char c[COOKIE_LEN + 1];

	/* SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ... */
	ck_assert_int_eq(cookie_session_id("abc", id1), 0);
	ck_assert_str_eq(id1, "ba7816bf8f01cfea414140de5dae2223");
	ck_assert_uint_eq(strlen(id1), SESSION_ID_LEN);

	ck_assert_int_eq(cookie_mint(c), 0);
	ck_assert_int_eq(cookie_session_id(c, id1), 0);
	ck_assert_int_eq(cookie_session_id(c, id2), 0);
	ck_assert_str_eq(id1, id2); /* stable */
	ck_assert(strstr(c, id1) == NULL);
	for (size_t i = 0; i < SESSION_ID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", id1[i]) != NULL);
	c[0] = c[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(cookie_session_id(c, id2), 0);
	ck_assert_str_ne(id1, id2);
}
END_TEST

START_TEST(test_equal)
{
	ck_assert(cookie_equal("abc", "abc"));
	ck_assert(!cookie_equal("abc", "abd"));
	ck_assert(!cookie_equal("abc", "ab"));
	ck_assert(!cookie_equal("", "a"));
	ck_assert(cookie_equal("", ""));
}
END_TEST

static Suite *cookie_suite(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("cookie");

	tcase_add_test(tc, test_encode_known);
	tcase_add_test(tc, test_mint);
	tcase_add_test(tc, test_mint_many_distinct);
	tcase_add_test(tc, test_wellformed);
	tcase_add_test(tc, test_session_id);
	tcase_add_test(tc, test_equal);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cookie_suite)
