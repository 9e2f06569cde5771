/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_TEST_JSON_CHECK_H
#define OCSM_TEST_JSON_CHECK_H

/*
 * A strict JSON (RFC 8259) validator for the unit tests: one value, optional
 * surrounding whitespace, valid UTF-8, no trailing commas, no duplicate keys
 * in an object (occtl 1.1.6's output had both kinds of fault). Returns NULL
 * when text[0..len) is valid, else a static message naming the problem.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end;
	const char *err;
	int depth;
};

static void jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool jc_fail(struct jc *c, const char *msg)
{
	if (c->err == NULL)
		c->err = msg;
	return false;
}

static bool jc_lit(struct jc *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return jc_fail(c, "bad literal");
	c->p += n;
	return true;
}

static int jc_hex(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A string; its raw bytes (escapes kept) are returned in *s, *n for the
 * duplicate-key check. */
static bool jc_string(struct jc *c, const unsigned char **s, size_t *n)
{
	if (c->p >= c->end || *c->p != '"')
		return jc_fail(c, "string expected");
	c->p++;
	*s = c->p;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = *c->p;

		if (ch < 0x20)
			return jc_fail(c, "raw control character in a string");
		if (ch == '\\') {
			c->p++;
			if (c->p >= c->end)
				return jc_fail(c, "truncated escape");
			if (*c->p == 'u') {
				if (c->end - c->p < 5)
					return jc_fail(c, "truncated \\u escape");
				for (int i = 1; i <= 4; i++)
					if (jc_hex(c->p[i]) < 0)
						return jc_fail(c, "bad \\u escape");
				c->p += 5;
				continue;
			}
			if (strchr("\"\\/bfnrt", *c->p) == NULL)
				return jc_fail(c, "bad escape");
			c->p++;
			continue;
		}
		if (ch >= 0x80) {
			int len = ch >= 0xf0 && ch <= 0xf4 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 && ch <= 0xdf ? 2 : 0;

			if (len == 0 || ch > 0xf4 || c->end - c->p < len)
				return jc_fail(c, "invalid UTF-8");
			for (int i = 1; i < len; i++)
				if ((c->p[i] & 0xc0) != 0x80)
					return jc_fail(c, "invalid UTF-8");
			if (ch == 0xed && c->p[1] >= 0xa0)
				return jc_fail(c, "UTF-8 surrogate");
			if ((ch == 0xe0 && c->p[1] < 0xa0) || (ch == 0xf0 && c->p[1] < 0x90) ||
			    (ch == 0xf4 && c->p[1] > 0x8f))
				return jc_fail(c, "overlong or out-of-range UTF-8");
			c->p += len;
			continue;
		}
		c->p++;
	}
	if (c->p >= c->end)
		return jc_fail(c, "unterminated string");
	*n = (size_t)(c->p - *s);
	c->p++;
	return true;
}

static bool jc_number(struct jc *c)
{
	const unsigned char *st;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end)
		return jc_fail(c, "bad number");
	if (*c->p == '0') {
		c->p++;
	} else if (*c->p >= '1' && *c->p <= '9') {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	} else {
		return jc_fail(c, "bad number");
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		st = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if (c->p == st)
			return jc_fail(c, "bad fraction");
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		st = c->p;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
		if (c->p == st)
			return jc_fail(c, "bad exponent");
	}
	return true;
}

#define JC_MAX_KEYS 512

static bool jc_value(struct jc *c)
{
	const unsigned char *s;
	size_t n;

	jc_ws(c);
	if (c->p >= c->end)
		return jc_fail(c, "value expected");
	if (++c->depth > 64)
		return jc_fail(c, "too deep");
	switch (*c->p) {
	case '{': {
		const unsigned char *ks[JC_MAX_KEYS];
		size_t kn[JC_MAX_KEYS], nk = 0;

		c->p++;
		jc_ws(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			break;
		}
		for (;;) {
			jc_ws(c);
			if (!jc_string(c, &s, &n))
				return false;
			for (size_t i = 0; i < nk; i++)
				if (kn[i] == n && memcmp(ks[i], s, n) == 0)
					return jc_fail(c, "duplicate key");
			if (nk < JC_MAX_KEYS) {
				ks[nk] = s;
				kn[nk++] = n;
			}
			jc_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return jc_fail(c, "':' expected");
			c->p++;
			if (!jc_value(c))
				return false;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return jc_fail(c, "',' or '}' expected");
		}
		break;
	}
	case '[':
		c->p++;
		jc_ws(c);
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			break;
		}
		for (;;) {
			if (!jc_value(c))
				return false;
			jc_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == ']') {
				c->p++;
				break;
			}
			return jc_fail(c, "',' or ']' expected");
		}
		break;
	case '"':
		if (!jc_string(c, &s, &n))
			return false;
		break;
	case 't':
		if (!jc_lit(c, "true"))
			return false;
		break;
	case 'f':
		if (!jc_lit(c, "false"))
			return false;
		break;
	case 'n':
		if (!jc_lit(c, "null"))
			return false;
		break;
	default:
		if (!jc_number(c))
			return false;
		break;
	}
	c->depth--;
	return true;
}

static inline const char *json_check(const char *text, size_t len)
{
	struct jc c = { (const unsigned char *)text, (const unsigned char *)text + len, NULL, 0 };

	if (!jc_value(&c))
		return c.err;
	jc_ws(&c);
	if (c.p != c.end)
		return "trailing bytes after the value";
	return NULL;
}

#endif
