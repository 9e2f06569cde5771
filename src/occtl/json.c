/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* JSON writer; see json.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "occtl/json.h"
#include "common/utf8.h"

void json_init(struct json *j, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->pretty = pretty;
}

void json_free(struct json *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}

static void put(struct json *j, const char *s, size_t n)
{
	if (j->err)
		return;
	if (j->cap - j->len < n + 1) {
		size_t ncap = j->cap ? j->cap : 256;
		char *nb;

		while (ncap - j->len < n + 1) {
			if (ncap > SIZE_MAX / 2) {
				j->err = -ENOMEM;
				return;
			}
			ncap *= 2;
		}
		nb = realloc(j->buf, ncap);
		if (nb == NULL) {
			j->err = -ENOMEM;
			return;
		}
		j->buf = nb;
		j->cap = ncap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void misuse(struct json *j)
{
	if (!j->err)
		j->err = -EINVAL;
}

static void newline(struct json *j)
{
	if (!j->pretty)
		return;
	put(j, "\n", 1);
	for (unsigned i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* Before any value: checks that a value may come here, writes the
 * separator. Returns false (and records a misuse) if not. */
static bool value_start(struct json *j)
{
	if (j->err)
		return false;
	if (j->done) {
		misuse(j);
		return false;
	}
	if (j->depth == 0)
		return true;
	if (j->in_object[j->depth - 1]) {
		if (!j->key_pending) {
			misuse(j);
			return false;
		}
		j->key_pending = false;
		return true;
	}
	if (j->count[j->depth - 1]++ > 0)
		put(j, ",", 1);
	newline(j);
	return true;
}

/* After a scalar or a closed container. */
static void value_end(struct json *j)
{
	if (j->depth == 0)
		j->done = true;
}

static void begin(struct json *j, bool object)
{
	if (!value_start(j))
		return;
	if (j->depth >= JSON_MAX_DEPTH) {
		misuse(j);
		return;
	}
	put(j, object ? "{" : "[", 1);
	j->in_object[j->depth] = object;
	j->count[j->depth] = 0;
	j->depth++;
}

static void end(struct json *j, bool object)
{
	unsigned n;

	if (j->err)
		return;
	if (j->depth == 0 || j->in_object[j->depth - 1] != object || j->key_pending) {
		misuse(j);
		return;
	}
	n = j->count[j->depth - 1];
	j->depth--;
	if (n > 0)
		newline(j);
	put(j, object ? "}" : "]", 1);
	value_end(j);
}

void json_begin_object(struct json *j)
{
	begin(j, true);
}

void json_end_object(struct json *j)
{
	end(j, true);
}

void json_begin_array(struct json *j)
{
	begin(j, false);
}

void json_end_array(struct json *j)
{
	end(j, false);
}

void json_escape_append(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	put(j, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char u[8];
		size_t l;
		uint32_t cp;

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			esc = u;
		}
		if (esc != NULL) {
			put(j, str + i - run, run);
			run = 0;
			puts_(j, esc);
			i++;
			continue;
		}
		l = utf8_decode(s + i, n - i, &cp);
		if (l == 0) {
			put(j, str + i - run, run);
			run = 0;
			puts_(j, "\\ufffd");
			i++;
			continue;
		}
		run += l;
		i += l;
	}
	put(j, str + i - run, run);
	put(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0 || !j->in_object[j->depth - 1] || j->key_pending || key == NULL) {
		misuse(j);
		return;
	}
	if (j->count[j->depth - 1]++ > 0)
		put(j, ",", 1);
	newline(j);
	json_escape_append(j, key, strlen(key));
	put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	j->key_pending = true;
}

void json_string_n(struct json *j, const char *s, size_t n)
{
	if (!value_start(j))
		return;
	json_escape_append(j, s, n);
	value_end(j);
}

void json_string(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	char b[24];

	if (!value_start(j))
		return;
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
	value_end(j);
}

void json_uint(struct json *j, uint64_t v)
{
	char b[24];

	if (!value_start(j))
		return;
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
	value_end(j);
}

void json_bool(struct json *j, bool v)
{
	if (!value_start(j))
		return;
	puts_(j, v ? "true" : "false");
	value_end(j);
}

void json_null(struct json *j)
{
	if (!value_start(j))
		return;
	puts_(j, "null");
	value_end(j);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

int json_finish(struct json *j, const char **text, size_t *len)
{
	if (!j->err && (!j->done || j->depth != 0))
		j->err = -EINVAL;
	if (!j->err && j->pretty)
		put(j, "\n", 1);
	if (j->err)
		return j->err;
	*text = j->buf;
	*len = j->len;
	return 0;
}
