/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The JSON writer of occtl-modern: escaping, structure, misuse. Every
 * document it accepts is checked with a strict validator (json-check.h). */

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "occtl/json.h"
#include "json-check.h"
#include "test-main.h"

/* The finished compact document of j, validated. */
static const char *doc(struct json *j)
{
	const char *t;
	size_t n;
	const char *bad;

	ck_assert_int_eq(json_finish(j, &t, &n), 0);
	ck_assert_uint_eq(strlen(t), n);
	bad = json_check(t, n);
	ck_assert_msg(bad == NULL, "invalid JSON (%s): %s", bad, t);
	return t;
}

static const char *escape(const char *s, size_t n, struct json *j)
{
	json_init(j, false);
	json_string_n(j, s, n);
	return doc(j);
}

START_TEST(escapes_specials)
{
	struct json j;

	ck_assert_str_eq(escape("a\"b\\c", 5, &j), "\"a\\\"b\\\\c\"");
	json_free(&j);
	ck_assert_str_eq(escape("\n\r\t\b\f", 5, &j), "\"\\n\\r\\t\\b\\f\"");
	json_free(&j);
	ck_assert_str_eq(escape("\x01\x1f\x7f", 3, &j), "\"\\u0001\\u001f\\u007f\"");
	json_free(&j);
	ck_assert_str_eq(escape("a\0b", 3, &j), "\"a\\u0000b\"");
	json_free(&j);
	ck_assert_str_eq(escape("/", 1, &j), "\"/\"");
	json_free(&j);
	ck_assert_str_eq(escape("", 0, &j), "\"\"");
	json_free(&j);
}
END_TEST

START_TEST(utf8_kept_or_replaced)
{
	struct json j;

	/* valid 2, 3 and 4 byte sequences pass through */
	ck_assert_str_eq(escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &j),
			 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	json_free(&j);
	/* a lone continuation byte, a truncated sequence, an overlong '/', a
	 * surrogate, a code point above U+10FFFF, 0xff */
	ck_assert_str_eq(escape("a\x80z", 3, &j), "\"a\\ufffdz\"");
	json_free(&j);
	ck_assert_str_eq(escape("\xe2\x82", 2, &j), "\"\\ufffd\\ufffd\"");
	json_free(&j);
	ck_assert_str_eq(escape("\xc0\xaf", 2, &j), "\"\\ufffd\\ufffd\"");
	json_free(&j);
	ck_assert_str_eq(escape("\xed\xa0\x80", 3, &j), "\"\\ufffd\\ufffd\\ufffd\"");
	json_free(&j);
	ck_assert_str_eq(escape("\xf4\x90\x80\x80", 4, &j), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	json_free(&j);
	ck_assert_str_eq(escape("\xff", 1, &j), "\"\\ufffd\"");
	json_free(&j);
}
END_TEST

/* Every byte value at every position of a short string still gives valid
 * JSON. */
START_TEST(every_byte_valid)
{
	unsigned b = (unsigned)_i;
	char s[5] = { 'x', (char)b, (char)b, '"', '\0' };
	struct json j;

	json_init(&j, false);
	json_begin_object(&j);
	json_kv_string(&j, "k", "v");
	json_key(&j, s);
	json_string_n(&j, s, sizeof(s) - 1);
	json_end_object(&j);
	doc(&j);
	json_free(&j);
}
END_TEST

START_TEST(structure_compact)
{
	struct json j;

	json_init(&j, false);
	json_begin_array(&j);
	json_begin_object(&j);
	json_kv_string(&j, "Username", "test");
	json_kv_int(&j, "ID", -5);
	json_kv_uint(&j, "big", UINT64_MAX);
	json_kv_bool(&j, "in_use", false);
	json_key(&j, "none");
	json_null(&j);
	json_key(&j, "nul");
	json_string(&j, NULL);
	json_key(&j, "list");
	json_begin_array(&j);
	json_int(&j, 1);
	json_begin_array(&j);
	json_end_array(&j);
	json_begin_object(&j);
	json_end_object(&j);
	json_end_array(&j);
	json_end_object(&j);
	json_begin_object(&j);
	json_end_object(&j);
	json_end_array(&j);
	ck_assert_str_eq(doc(&j), "[{\"Username\":\"test\",\"ID\":-5,\"big\":18446744073709551615,"
				  "\"in_use\":false,\"none\":null,\"nul\":null,"
				  "\"list\":[1,[],{}]},{}]");
	json_free(&j);
}
END_TEST

START_TEST(structure_pretty)
{
	struct json j;

	json_init(&j, true);
	json_begin_array(&j);
	json_begin_object(&j);
	json_kv_string(&j, "a", "b");
	json_kv_int(&j, "c", 1);
	json_end_object(&j);
	json_end_array(&j);
	ck_assert_str_eq(doc(&j), "[\n  {\n    \"a\": \"b\",\n    \"c\": 1\n  }\n]\n");
	json_free(&j);

	json_init(&j, true);
	json_begin_array(&j);
	json_end_array(&j);
	ck_assert_str_eq(doc(&j), "[]\n");
	json_free(&j);
}
END_TEST

/* Misuse never yields a document. */
enum misuse_case {
	M_VALUE_WITHOUT_KEY, M_KEY_IN_ARRAY, M_KEY_TWICE, M_UNCLOSED, M_WRONG_CLOSE,
	M_CLOSE_AT_TOP, M_TWO_VALUES, M_EMPTY, M_KEY_AT_TOP, M_DANGLING_KEY, M_TOO_DEEP,
	M_NULL_KEY, M_COUNT
};

START_TEST(misuse_reported)
{
	struct json j;
	const char *t = NULL;
	size_t n = 0;

	json_init(&j, _i % 2 == 0);
	switch ((enum misuse_case)_i) {
	case M_VALUE_WITHOUT_KEY:
		json_begin_object(&j);
		json_int(&j, 1);
		json_end_object(&j);
		break;
	case M_KEY_IN_ARRAY:
		json_begin_array(&j);
		json_key(&j, "a");
		json_int(&j, 1);
		json_end_array(&j);
		break;
	case M_KEY_TWICE:
		json_begin_object(&j);
		json_key(&j, "a");
		json_key(&j, "b");
		json_int(&j, 1);
		json_end_object(&j);
		break;
	case M_UNCLOSED:
		json_begin_array(&j);
		json_begin_object(&j);
		json_end_object(&j);
		break;
	case M_WRONG_CLOSE:
		json_begin_array(&j);
		json_end_object(&j);
		break;
	case M_CLOSE_AT_TOP:
		json_end_array(&j);
		break;
	case M_TWO_VALUES:
		json_int(&j, 1);
		json_int(&j, 2);
		break;
	case M_EMPTY:
		break;
	case M_KEY_AT_TOP:
		json_key(&j, "a");
		break;
	case M_DANGLING_KEY:
		json_begin_object(&j);
		json_key(&j, "a");
		json_end_object(&j);
		break;
	case M_TOO_DEEP:
		for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
			json_begin_array(&j);
		for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
			json_end_array(&j);
		break;
	case M_NULL_KEY:
		json_begin_object(&j);
		json_key(&j, NULL);
		json_int(&j, 1);
		json_end_object(&j);
		break;
	case M_COUNT:
		break;
	}
	ck_assert_int_eq(json_finish(&j, &t, &n), -EINVAL);
	ck_assert_ptr_null(t);
	json_free(&j);
}
END_TEST

/* The validator itself rejects what the writer must never produce. */
START_TEST(validator_rejects)
{
	static const char *const bad[] = {
		"", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "[\"\x01\"]", "\"\\x\"", "01",
		"[1] [2]", "{a:1}", "\"\xc0\xaf\"", "[1.]", "nul", "\"abc",
	};
	static const char *const good[] = {
		"[]", "{}", "0", "-1.5e3", "\"\\u00e9\"", "{\"a\":[null,true,false]}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(json_check(bad[i], strlen(bad[i])) != NULL, "accepted: %s", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(json_check(good[i], strlen(good[i])) == NULL, "rejected: %s", good[i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("occtl-json");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, escapes_specials);
	tcase_add_test(tc, utf8_kept_or_replaced);
	tcase_add_loop_test(tc, every_byte_valid, 0, 256);
	suite_add_tcase(s, tc);
	tc = tcase_create("structure");
	tcase_add_test(tc, structure_compact);
	tcase_add_test(tc, structure_pretty);
	tcase_add_loop_test(tc, misuse_reported, 0, M_COUNT);
	tcase_add_test(tc, validator_rejects);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
