/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Incremental HTTP/1.x request parser: see http.h for what is accepted and
 * rejected.
 *
 * Input bytes are copied into the parser's arena as they arrive; a line is
 * examined when its LF arrives, in place: separators become NULs and the
 * headers table records offsets. So a request split at any byte boundary
 * parses exactly like the same request fed at once, and nothing is ever
 * re-scanned. Limits are checked per byte, before a byte is stored, so an
 * endless line is refused as soon as it crosses the limit.
 */
#include "config.h"

#include "codec/http.h"

#include <string.h>

enum http_state {
	HTTP_ST_REQLINE = 0, /* before and in the request line */
	HTTP_ST_HEADERS,     /* header lines up to the empty line */
	HTTP_ST_BODY,        /* Content-Length bytes */
	HTTP_ST_DONE,        /* HTTP_COMPLETE returned */
	HTTP_ST_ERROR,       /* p->error returned */
};

void http_parser_init(struct http_parser *p)
{
	/* The arena is not cleared: only bytes written in this request are
	 * ever read back. */
	memset(p, 0, offsetof(struct http_parser, arena));
	p->state = HTTP_ST_REQLINE;
	p->arena[0] = '\0';
}

const char *http_strerror(int code)
{
	switch ((enum http_result)code) {
	case HTTP_COMPLETE:
		return "request complete";
	case HTTP_NEED_MORE:
		return "request incomplete";
	case HTTP_ERR_REQLINE_TOO_LONG:
		return "request line too long";
	case HTTP_ERR_BAD_REQLINE:
		return "malformed request line";
	case HTTP_ERR_METHOD:
		return "unsupported method";
	case HTTP_ERR_VERSION:
		return "unsupported HTTP version";
	case HTTP_ERR_HEADERS_TOO_LARGE:
		return "header section too large";
	case HTTP_ERR_TOO_MANY_HEADERS:
		return "too many header lines";
	case HTTP_ERR_HEADER_NAME:
		return "malformed header line";
	case HTTP_ERR_HEADER_FOLD:
		return "folded header line";
	case HTTP_ERR_CTRL_CHAR:
		return "control character in header";
	case HTTP_ERR_NUL:
		return "NUL byte in request head";
	case HTTP_ERR_TRANSFER_ENCODING:
		return "Transfer-Encoding not supported";
	case HTTP_ERR_CONTENT_LENGTH:
		return "invalid Content-Length";
	case HTTP_ERR_DUP_CONTENT_LENGTH:
		return "duplicate Content-Length";
	case HTTP_ERR_BODY_TOO_LARGE:
		return "request body too large";
	case HTTP_ERR_CONNECT_BODY:
		return "CONNECT request with a body";
	case HTTP_ERR_INVAL:
		return "invalid argument";
	}
	return "unknown error";
}

const char *http_method_str(enum http_method m)
{
	switch (m) {
	case HTTP_METHOD_NONE:
		return "NONE";
	case HTTP_METHOD_GET:
		return "GET";
	case HTTP_METHOD_POST:
		return "POST";
	case HTTP_METHOD_CONNECT:
		return "CONNECT";
	}
	return "NONE";
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of s[0..n) with the NUL-terminated word. */
static bool ci_eq_n(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (word[i] == '\0' || ascii_lower((unsigned char)s[i]) !=
		    ascii_lower((unsigned char)word[i]))
			return false;
	}
	return word[i] == '\0';
}

static bool ci_eq(const char *a, const char *b)
{
	return ci_eq_n(a, strlen(a), b);
}

static int fail(struct http_parser *p, int code)
{
	p->state = HTTP_ST_ERROR;
	p->error = code;
	return code;
}

/* The request line, NUL-terminated at line[len], without its terminator. */
static int parse_request_line(struct http_parser *p, size_t start, size_t len)
{
	char *line = p->arena + start;
	char *sp1, *sp2, *version;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			return fail(p, HTTP_ERR_BAD_REQLINE);
	}
	sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line)
		return fail(p, HTTP_ERR_BAD_REQLINE);
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return fail(p, HTTP_ERR_BAD_REQLINE);
	version = sp2 + 1;
	if (*version == '\0' || strchr(version, ' ') != NULL)
		return fail(p, HTTP_ERR_BAD_REQLINE);
	*sp1 = '\0';
	*sp2 = '\0';
	for (const char *t = sp1 + 1; *t != '\0'; t++) {
		if ((unsigned char)*t > 0x7e)
			return fail(p, HTTP_ERR_BAD_REQLINE);
	}
	for (const char *m = line; *m != '\0'; m++) {
		if (!is_tchar((unsigned char)*m))
			return fail(p, HTTP_ERR_BAD_REQLINE);
	}

	if (strcmp(line, "GET") == 0)
		p->method = HTTP_METHOD_GET;
	else if (strcmp(line, "POST") == 0)
		p->method = HTTP_METHOD_POST;
	else if (strcmp(line, "CONNECT") == 0)
		p->method = HTTP_METHOD_CONNECT;
	else
		return fail(p, HTTP_ERR_METHOD);

	if (strcmp(version, "HTTP/1.1") == 0)
		p->version = 11;
	else if (strcmp(version, "HTTP/1.0") == 0)
		p->version = 10;
	else
		return fail(p, HTTP_ERR_VERSION);

	p->target = (uint32_t)(sp1 + 1 - p->arena);
	p->state = HTTP_ST_HEADERS;
	return HTTP_NEED_MORE;
}

static int parse_content_length(struct http_parser *p, const char *v)
{
	size_t n = 0;
	bool too_big = false;

	if (p->has_content_length)
		return fail(p, HTTP_ERR_DUP_CONTENT_LENGTH);
	if (*v == '\0')
		return fail(p, HTTP_ERR_CONTENT_LENGTH);
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9')
			return fail(p, HTTP_ERR_CONTENT_LENGTH);
		if (!too_big) {
			n = n * 10 + (size_t)(*v - '0');
			too_big = n > HTTP_MAX_BODY;
		}
	}
	if (too_big)
		return fail(p, HTTP_ERR_BODY_TOO_LARGE);
	p->has_content_length = true;
	p->body_len = n;
	return HTTP_NEED_MORE;
}

/* The empty line: decide whether a body follows. */
static int end_of_headers(struct http_parser *p)
{
	if (p->method == HTTP_METHOD_CONNECT && p->body_len > 0)
		return fail(p, HTTP_ERR_CONNECT_BODY);
	p->body_off = p->pos;
	p->arena[p->pos] = '\0';
	if (p->body_len == 0) {
		p->state = HTTP_ST_DONE;
		return HTTP_COMPLETE;
	}
	p->state = HTTP_ST_BODY;
	return HTTP_NEED_MORE;
}

/* One header line, NUL-terminated at line[len], without its terminator. */
static int parse_header_line(struct http_parser *p, size_t start, size_t len)
{
	char *line = p->arena + start;
	char *colon, *value, *end;

	if (len == 0)
		return end_of_headers(p);
	if (is_ows(line[0]))
		return fail(p, HTTP_ERR_HEADER_FOLD);
	if (p->nheaders >= HTTP_MAX_HEADERS)
		return fail(p, HTTP_ERR_TOO_MANY_HEADERS);
	colon = memchr(line, ':', len);
	if (colon == NULL || colon == line)
		return fail(p, HTTP_ERR_HEADER_NAME);
	for (const char *c = line; c < colon; c++) {
		if (!is_tchar((unsigned char)*c))
			return fail(p, HTTP_ERR_HEADER_NAME);
	}
	*colon = '\0';

	value = colon + 1;
	end = line + len;
	while (value < end && is_ows(*value))
		value++;
	while (end > value && is_ows(end[-1]))
		end--;
	*end = '\0';
	for (const char *c = value; c < end; c++) {
		unsigned char u = (unsigned char)*c;

		if ((u < 0x20 && u != '\t') || u == 0x7f)
			return fail(p, HTTP_ERR_CTRL_CHAR);
	}

	if (ci_eq(line, "Transfer-Encoding"))
		return fail(p, HTTP_ERR_TRANSFER_ENCODING);
	if (ci_eq(line, "Content-Length")) {
		int r = parse_content_length(p, value);

		if (r < 0)
			return r;
	}
	p->headers[p->nheaders].name = (uint32_t)start;
	p->headers[p->nheaders].value = (uint32_t)(value - p->arena);
	p->nheaders++;
	return HTTP_NEED_MORE;
}

/* The LF of a line arrived: its bytes are arena[line_start, pos). */
static int end_of_line(struct http_parser *p)
{
	size_t start = p->line_start;
	size_t len = p->pos - start;

	if (len > 0 && p->arena[p->pos - 1] == '\r')
		len--;
	p->arena[start + len] = '\0';
	/* The LF takes a slot too, so the arena never holds more than the
	 * counted input. */
	p->pos++;
	p->line_start = p->pos;
	if (memchr(p->arena + start, '\r', len) != NULL)
		return fail(p, HTTP_ERR_CTRL_CHAR);

	if (p->state == HTTP_ST_REQLINE) {
		if (len == 0) {
			/* Empty line before the request line: skip it
			 * (RFC 9112 2.2), its bytes still count. */
			p->pos = start;
			p->line_start = start;
			return HTTP_NEED_MORE;
		}
		return parse_request_line(p, start, len);
	}
	return parse_header_line(p, start, len);
}

int http_parser_feed(struct http_parser *p, const void *data, size_t len,
		     size_t *consumed)
{
	const unsigned char *in = data;
	size_t i = 0;
	int r = HTTP_NEED_MORE;

	if (consumed != NULL)
		*consumed = 0;
	if (p == NULL || (data == NULL && len > 0))
		return HTTP_ERR_INVAL;
	if (p->state == HTTP_ST_ERROR)
		return p->error;
	if (p->state == HTTP_ST_DONE)
		return HTTP_COMPLETE;

	while (i < len && r == HTTP_NEED_MORE) {
		if (p->state == HTTP_ST_BODY) {
			size_t n = p->body_len - p->body_got;

			if (n > len - i)
				n = len - i;
			memcpy(p->arena + p->pos, in + i, n);
			p->pos += n;
			p->body_got += n;
			i += n;
			if (p->body_got == p->body_len) {
				p->arena[p->pos] = '\0';
				p->state = HTTP_ST_DONE;
				r = HTTP_COMPLETE;
			}
			continue;
		}

		unsigned char c = in[i++];

		if (p->state == HTTP_ST_REQLINE) {
			if (++p->reqline_bytes > HTTP_MAX_REQLINE) {
				r = fail(p, HTTP_ERR_REQLINE_TOO_LONG);
				break;
			}
		} else if (++p->header_bytes > HTTP_MAX_HEADER_BYTES) {
			r = fail(p, HTTP_ERR_HEADERS_TOO_LARGE);
			break;
		}
		if (c == '\n') {
			r = end_of_line(p);
		} else if (c == '\0') {
			r = fail(p, HTTP_ERR_NUL);
		} else {
			p->arena[p->pos++] = (char)c;
		}
	}
	p->consumed += i;
	if (consumed != NULL)
		*consumed = i;
	return r;
}

static bool done(const struct http_parser *p)
{
	return p != NULL && p->state == HTTP_ST_DONE;
}

enum http_method http_req_method(const struct http_parser *p)
{
	return done(p) ? p->method : HTTP_METHOD_NONE;
}

const char *http_req_target(const struct http_parser *p)
{
	return done(p) ? p->arena + p->target : NULL;
}

unsigned http_req_version(const struct http_parser *p)
{
	return done(p) ? p->version : 0;
}

size_t http_req_size(const struct http_parser *p)
{
	return done(p) ? p->consumed : 0;
}

const char *http_req_body(const struct http_parser *p, size_t *len)
{
	if (!done(p)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = p->body_len;
	return p->arena + p->body_off;
}

size_t http_header_count(const struct http_parser *p)
{
	return done(p) ? p->nheaders : 0;
}

bool http_header_at(const struct http_parser *p, size_t i, const char **name,
		    const char **value)
{
	if (!done(p) || i >= p->nheaders)
		return false;
	if (name != NULL)
		*name = p->arena + p->headers[i].name;
	if (value != NULL)
		*value = p->arena + p->headers[i].value;
	return true;
}

const char *http_header_next(const struct http_parser *p, const char *name,
			     size_t *iter)
{
	if (!done(p) || name == NULL || iter == NULL)
		return NULL;
	while (*iter < p->nheaders) {
		const struct http_header *h = &p->headers[(*iter)++];

		if (ci_eq(p->arena + h->name, name))
			return p->arena + h->value;
	}
	return NULL;
}

const char *http_header_get(const struct http_parser *p, const char *name)
{
	size_t iter = 0;

	return http_header_next(p, name, &iter);
}

bool http_keep_alive(const struct http_parser *p)
{
	bool close = false, keep = false;
	size_t iter = 0;
	const char *v;

	if (!done(p))
		return false;
	while ((v = http_header_next(p, "Connection", &iter)) != NULL) {
		while (*v != '\0') {
			size_t n = strcspn(v, ",");
			const char *t = v, *e = v + n;

			while (t < e && is_ows(*t))
				t++;
			while (e > t && is_ows(e[-1]))
				e--;
			if (ci_eq_n(t, (size_t)(e - t), "close"))
				close = true;
			else if (ci_eq_n(t, (size_t)(e - t), "keep-alive"))
				keep = true;
			v += n;
			if (*v == ',')
				v++;
		}
	}
	if (close)
		return false;
	return p->version == 11 || keep;
}

const char *http_cookie_get(const struct http_parser *p, const char *name,
			    size_t *len)
{
	size_t iter = 0, name_len;
	const char *v;

	if (len != NULL)
		*len = 0;
	if (!done(p) || name == NULL)
		return NULL;
	name_len = strlen(name);
	while ((v = http_header_next(p, "Cookie", &iter)) != NULL) {
		while (*v != '\0') {
			size_t n = strcspn(v, ";");
			const char *t = v, *e = v + n, *eq, *ne;

			v += n;
			if (*v == ';')
				v++;
			while (t < e && is_ows(*t))
				t++;
			while (e > t && is_ows(e[-1]))
				e--;
			eq = memchr(t, '=', (size_t)(e - t));
			if (eq == NULL)
				continue;
			ne = eq;
			while (ne > t && is_ows(ne[-1]))
				ne--;
			if ((size_t)(ne - t) != name_len ||
			    memcmp(t, name, name_len) != 0)
				continue;
			t = eq + 1;
			while (t < e && is_ows(*t))
				t++;
			if (e - t >= 2 && *t == '"' && e[-1] == '"') {
				t++;
				e--;
			}
			if (len != NULL)
				*len = (size_t)(e - t);
			return t;
		}
	}
	return NULL;
}

const char *http_webvpn_cookie(const struct http_parser *p, size_t *len)
{
	return http_cookie_get(p, "webvpn", len);
}
