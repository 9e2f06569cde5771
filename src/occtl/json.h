/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_JSON_H
#define OCSM_JSON_H

/*
 * A small JSON writer for occtl-modern's --json output. Whatever the input
 * strings contain (quotes, backslashes, control characters, invalid UTF-8),
 * the output is valid JSON (RFC 8259): strings are escaped, invalid UTF-8
 * sequences become U+FFFD, and a misuse of the API (a value where a key is
 * due, unbalanced containers, too deep nesting) is recorded and reported by
 * json_finish() instead of producing broken text. Pure: writes into a
 * growable buffer, never to a file, no I/O.
 *
 *   struct json j;
 *   json_init(&j, true);
 *   json_begin_array(&j);
 *     json_begin_object(&j);
 *       json_key(&j, "Username"); json_string(&j, "test");
 *       json_kv_int(&j, "ID", 1234);
 *     json_end_object(&j);
 *   json_end_array(&j);
 *   if (json_finish(&j, &text, &len) == 0) fwrite(text, 1, len, stdout);
 *   json_free(&j);
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json {
	char *buf;
	size_t len, cap;
	int err;                     /* first error: 0, -ENOMEM, -EINVAL (misuse) */
	bool pretty;                 /* newlines and two-space indentation */
	unsigned depth;
	bool in_object[JSON_MAX_DEPTH]; /* container kind per level */
	unsigned count[JSON_MAX_DEPTH]; /* members written per level */
	bool key_pending;            /* a key was written, its value is due */
	bool done;                   /* the top-level value is complete */
};

void json_init(struct json *j, bool pretty);
void json_free(struct json *j);

void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);

/* Inside an object, before each value. */
void json_key(struct json *j, const char *key);

/* Values. json_string(NULL) writes null; json_string_n takes a length and
 * may contain NUL bytes (written as \u0000). */
void json_string(struct json *j, const char *s);
void json_string_n(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value shorthands. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/*
 * The document, NUL-terminated, with a final newline when pretty. Returns 0,
 * -ENOMEM, or -EINVAL when the calls did not make exactly one complete value.
 * The text stays owned by j.
 */
int json_finish(struct json *j, const char **text, size_t *len);

/* Append the JSON string literal of s[0..n) (quotes included) to j's buffer
 * without any structure check: for tests and for callers that build keys. */
void json_escape_append(struct json *j, const char *s, size_t n);

#endif
