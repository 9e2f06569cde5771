/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aggregate-auth body parser and reply writers: see xmlauth.h.
 *
 * The parser is a single forward pass over the body with an explicit stack
 * of open elements (no recursion, no allocation). It first checks that the
 * whole body is UTF-8 made of XML characters, so the markup scanner below
 * only deals with ASCII delimiters. Text is decoded straight into the
 * output field when the open element is one we extract, and only measured
 * otherwise.
 */
#include "config.h"

#include "codec/xmlauth.h"
#include "codec/hex.h"
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Characters                                                          */

/* XML 1.0 Char production. */
static bool is_xml_char(uint32_t c)
{
	if (c < 0x20)
		return c == 0x9 || c == 0xa || c == 0xd;
	if (c <= 0xd7ff)
		return true;
	if (c >= 0xe000 && c <= 0xfffd)
		return true;
	return c >= 0x10000 && c <= 0x10ffff;
}

/* The whole of s[0..n) is UTF-8 text of XML characters. */
static bool valid_text(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t l;

		if (u[i] >= 0x20 && u[i] < 0x80) { /* fast path */
			i++;
			continue;
		}
		l = utf8_decode(u + i, n - i, &cp);
		if (l == 0 || !is_xml_char(cp))
			return false;
		i += l;
	}
	return true;
}

static size_t utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || c >= 0x80;
}

static bool is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* ------------------------------------------------------------------ */
/* Result                                                              */

const char *xmlauth_strerror(int code)
{
	switch ((enum xmlauth_err)code) {
	case XMLAUTH_OK:
		return "success";
	case XMLAUTH_ERR_EMPTY:
		return "empty body";
	case XMLAUTH_ERR_SYNTAX:
		return "malformed XML";
	case XMLAUTH_ERR_TRUNCATED:
		return "XML body ends too early";
	case XMLAUTH_ERR_MISMATCH:
		return "XML end tag does not match";
	case XMLAUTH_ERR_ENTITY:
		return "unknown or malformed XML entity";
	case XMLAUTH_ERR_CHAR:
		return "invalid character";
	case XMLAUTH_ERR_DTD:
		return "XML document type declarations are not accepted";
	case XMLAUTH_ERR_DEPTH:
		return "XML nested too deeply";
	case XMLAUTH_ERR_ELEMENTS:
		return "too many XML elements";
	case XMLAUTH_ERR_ATTRS:
		return "too many XML attributes";
	case XMLAUTH_ERR_TEXT_TOO_LONG:
		return "text too long";
	case XMLAUTH_ERR_ROOT:
		return "root element is not a single config-auth";
	case XMLAUTH_ERR_TYPE:
		return "config-auth type is not init or auth-reply";
	case XMLAUTH_ERR_DUPLICATE:
		return "duplicate attribute or field";
	case XMLAUTH_ERR_NESTED:
		return "element inside a text field";
	case XMLAUTH_ERR_FORM:
		return "malformed form-urlencoded body";
	case XMLAUTH_ERR_NO_SPACE:
		return "output buffer too small";
	case XMLAUTH_ERR_INVAL:
		return "invalid argument";
	}
	return "unknown error";
}

const char *xmlauth_type_str(enum xmlauth_type type)
{
	switch (type) {
	case XMLAUTH_TYPE_NONE:
		return "none";
	case XMLAUTH_TYPE_INIT:
		return "init";
	case XMLAUTH_TYPE_AUTH_REPLY:
		return "auth-reply";
	case XMLAUTH_TYPE_FORM:
		return "form";
	}
	return "none";
}

static void field_clear(struct xmlauth_field *f)
{
	f->present = false;
	f->len = 0;
	f->text[0] = '\0';
}

static void result_clear(struct xmlauth *out)
{
	out->type = XMLAUTH_TYPE_NONE;
	field_clear(&out->version);
	field_clear(&out->device_id);
	field_clear(&out->group_access);
	field_clear(&out->group_select);
	field_clear(&out->username);
	field_clear(&out->password);
}

/* ------------------------------------------------------------------ */
/* XML parser                                                          */

enum frame_kind {
	FRAME_ROOT = 0, /* config-auth */
	FRAME_AUTH,     /* config-auth/auth */
	FRAME_FIELD,    /* an extracted text element */
	FRAME_OTHER,    /* anything else: checked and skipped */
};

struct frame {
	const char *name; /* into the body, not NUL-terminated */
	size_t name_len;
	enum frame_kind kind;
	struct xmlauth_field *field; /* FRAME_FIELD only */
};

/* Where decoded text goes: into a field, or only counted. */
struct sink {
	char *buf;  /* NULL: count only */
	size_t len;
	size_t cap;
};

struct xp {
	const char *s;
	size_t n;
	size_t i;
	struct xmlauth *out;
	unsigned depth;    /* open elements */
	unsigned elements; /* start tags seen */
	bool auth_seen;
	bool root_done;
	struct frame st[XMLAUTH_MAX_DEPTH];
};

static bool at(const struct xp *x, const char *lit)
{
	size_t l = strlen(lit);

	return x->n - x->i >= l && memcmp(x->s + x->i, lit, l) == 0;
}

/* Find lit at or after i; returns its offset or n. */
static size_t find(const struct xp *x, size_t from, const char *lit)
{
	size_t l = strlen(lit);

	for (size_t j = from; j + l <= x->n; j++) {
		if (x->s[j] == lit[0] && memcmp(x->s + j, lit, l) == 0)
			return j;
	}
	return x->n;
}

static int sink_put(struct sink *k, const char *p, size_t l)
{
	if (k->len + l > k->cap)
		return XMLAUTH_ERR_TEXT_TOO_LONG;
	if (k->buf != NULL)
		memcpy(k->buf + k->len, p, l);
	k->len += l;
	return XMLAUTH_OK;
}

/* Decode a reference starting at s[*j] == '&' within s[..end). */
static int decode_ref(const char *s, size_t *j, size_t end, struct sink *k)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		      { "quot;", '"' }, { "apos;", '\'' } };
	size_t p = *j + 1;

	if (p < end && s[p] == '#') {
		uint32_t cp = 0;
		bool hex = false, any = false;
		char enc[4];

		p++;
		if (p < end && s[p] == 'x') {
			hex = true;
			p++;
		}
		for (; p < end && s[p] != ';'; p++) {
			char c = s[p];
			unsigned d;

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (hex && c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (hex && c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return XMLAUTH_ERR_ENTITY;
			cp = cp * (hex ? 16 : 10) + d;
			if (cp > 0x10ffff)
				return XMLAUTH_ERR_CHAR;
			any = true;
		}
		if (p >= end || !any)
			return XMLAUTH_ERR_ENTITY;
		if (!is_xml_char(cp) || (cp >= 0xd800 && cp <= 0xdfff))
			return XMLAUTH_ERR_CHAR;
		*j = p + 1;
		return sink_put(k, enc, utf8_encode(cp, enc));
	}
	for (size_t e = 0; e < sizeof(named) / sizeof(named[0]); e++) {
		size_t l = strlen(named[e].name);

		if (end - p >= l && memcmp(s + p, named[e].name, l) == 0) {
			*j = p + l;
			return sink_put(k, &named[e].c, 1);
		}
	}
	return XMLAUTH_ERR_ENTITY;
}

/* Decode character data s[from..end) (text run or attribute value): refs,
 * line-end normalisation, and for attributes whitespace to spaces. */
static int decode(const char *s, size_t from, size_t end, bool attr,
		  struct sink *k)
{
	size_t j = from;

	while (j < end) {
		char c = s[j];
		int r;

		if (c == '&') {
			r = decode_ref(s, &j, end, k);
		} else if (c == '\r') {
			/* CR LF and lone CR both become LF. */
			j += (j + 1 < end && s[j + 1] == '\n') ? 2 : 1;
			r = sink_put(k, attr ? " " : "\n", 1);
		} else if (attr && (c == '\n' || c == '\t')) {
			j++;
			r = sink_put(k, " ", 1);
		} else {
			size_t run = j;

			while (run < end && s[run] != '&' && s[run] != '\r' &&
			       !(attr && (s[run] == '\n' || s[run] == '\t')))
				run++;
			r = sink_put(k, s + j, run - j);
			j = run;
		}
		if (r < 0)
			return r;
	}
	return XMLAUTH_OK;
}

static struct frame *top(struct xp *x)
{
	return x->depth > 0 ? &x->st[x->depth - 1] : NULL;
}

/* Sink for text in the current element. */
static struct sink text_sink(struct xp *x)
{
	struct frame *f = top(x);

	if (f != NULL && f->kind == FRAME_FIELD)
		return (struct sink){ f->field->text, f->field->len, XMLAUTH_MAX_TEXT };
	return (struct sink){ NULL, 0, XMLAUTH_MAX_TEXT };
}

static void text_done(struct xp *x, const struct sink *k)
{
	struct frame *f = top(x);

	if (f != NULL && f->kind == FRAME_FIELD) {
		f->field->len = k->len;
		f->field->text[k->len] = '\0';
	}
}

/* Character data up to the next '<' (or the end). */
static int parse_text(struct xp *x)
{
	size_t end = x->i;
	struct sink k;
	int r;

	while (end < x->n && x->s[end] != '<')
		end++;
	if (x->depth == 0) {
		/* Outside the root only whitespace may appear. */
		for (size_t j = x->i; j < end; j++) {
			if (!is_ws(x->s[j]))
				return XMLAUTH_ERR_ROOT;
		}
		x->i = end;
		return XMLAUTH_OK;
	}
	for (size_t j = x->i; j + 2 < end; j++) {
		if (x->s[j] == ']' && x->s[j + 1] == ']' && x->s[j + 2] == '>')
			return XMLAUTH_ERR_SYNTAX;
	}
	k = text_sink(x);
	r = decode(x->s, x->i, end, false, &k);
	if (r < 0)
		return r;
	text_done(x, &k);
	x->i = end;
	return XMLAUTH_OK;
}

/* <![CDATA[ ... ]]> : raw text, only line ends normalised. */
static int parse_cdata(struct xp *x)
{
	size_t from = x->i + 9, end = find(x, from, "]]>");
	struct sink k;
	int r = XMLAUTH_OK;

	if (end >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (x->depth == 0)
		return XMLAUTH_ERR_ROOT;
	k = text_sink(x);
	for (size_t j = from; j < end && r == XMLAUTH_OK;) {
		if (x->s[j] == '\r') {
			j += (j + 1 < end && x->s[j + 1] == '\n') ? 2 : 1;
			r = sink_put(&k, "\n", 1);
		} else {
			size_t run = j;

			while (run < end && x->s[run] != '\r')
				run++;
			r = sink_put(&k, x->s + j, run - j);
			j = run;
		}
	}
	if (r < 0)
		return r;
	text_done(x, &k);
	x->i = end + 3;
	return XMLAUTH_OK;
}

/* <!-- ... --> ; "--" may not appear inside. */
static int parse_comment(struct xp *x)
{
	size_t from = x->i + 4, end = find(x, from, "--");

	if (end >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (end + 2 >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (x->s[end + 2] != '>')
		return XMLAUTH_ERR_SYNTAX;
	x->i = end + 3;
	return XMLAUTH_OK;
}

/* <?target ... ?> ; the XML declaration is only allowed at offset 0 (after
 * a BOM) and is handled by the caller. */
static int parse_pi(struct xp *x)
{
	size_t p = x->i + 2, start = p, end;

	while (p < x->n && is_name_char((unsigned char)x->s[p]))
		p++;
	if (p == start || !is_name_start((unsigned char)x->s[start]))
		return p >= x->n ? XMLAUTH_ERR_TRUNCATED : XMLAUTH_ERR_SYNTAX;
	if (p - start == 3 && (x->s[start] | 0x20) == 'x' &&
	    (x->s[start + 1] | 0x20) == 'm' && (x->s[start + 2] | 0x20) == 'l')
		return XMLAUTH_ERR_SYNTAX; /* misplaced XML declaration */
	end = find(x, p, "?>");
	if (end >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (end > p && !is_ws(x->s[p]))
		return XMLAUTH_ERR_SYNTAX;
	x->i = end + 2;
	return XMLAUTH_OK;
}

static bool name_is(const char *name, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(name, lit, len) == 0;
}

/* Classify a new element given its parent. */
static int classify(struct xp *x, struct frame *f)
{
	struct frame *parent = top(x);
	struct xmlauth *o = x->out;

	f->field = NULL;
	if (parent == NULL) {
		if (x->root_done || !name_is(f->name, f->name_len, "config-auth"))
			return XMLAUTH_ERR_ROOT;
		f->kind = FRAME_ROOT;
		return XMLAUTH_OK;
	}
	switch (parent->kind) {
	case FRAME_FIELD:
		return XMLAUTH_ERR_NESTED;
	case FRAME_ROOT:
		if (name_is(f->name, f->name_len, "version"))
			f->field = &o->version;
		else if (name_is(f->name, f->name_len, "device-id"))
			f->field = &o->device_id;
		else if (name_is(f->name, f->name_len, "group-access"))
			f->field = &o->group_access;
		else if (name_is(f->name, f->name_len, "group-select"))
			f->field = &o->group_select;
		else if (name_is(f->name, f->name_len, "auth")) {
			if (x->auth_seen)
				return XMLAUTH_ERR_DUPLICATE;
			x->auth_seen = true;
			f->kind = FRAME_AUTH;
			return XMLAUTH_OK;
		}
		break;
	case FRAME_AUTH:
		if (name_is(f->name, f->name_len, "username"))
			f->field = &o->username;
		else if (name_is(f->name, f->name_len, "password"))
			f->field = &o->password;
		break;
	case FRAME_OTHER:
		break;
	}
	if (f->field == NULL) {
		f->kind = FRAME_OTHER;
		return XMLAUTH_OK;
	}
	if (f->field->present)
		return XMLAUTH_ERR_DUPLICATE;
	f->field->present = true;
	f->kind = FRAME_FIELD;
	return XMLAUTH_OK;
}

/* Scan a name at x->i; returns its length (0 if none). */
static size_t scan_name(const struct xp *x, size_t p)
{
	size_t start = p;

	if (p >= x->n || !is_name_start((unsigned char)x->s[p]))
		return 0;
	while (p < x->n && is_name_char((unsigned char)x->s[p]))
		p++;
	return p - start;
}

static size_t skip_ws(const struct xp *x, size_t p)
{
	while (p < x->n && is_ws(x->s[p]))
		p++;
	return p;
}

/* Root type attribute value. */
static int set_type(struct xp *x, const char *v, size_t len)
{
	if (name_is(v, len, "init"))
		x->out->type = XMLAUTH_TYPE_INIT;
	else if (name_is(v, len, "auth-reply"))
		x->out->type = XMLAUTH_TYPE_AUTH_REPLY;
	else
		return XMLAUTH_ERR_TYPE;
	return XMLAUTH_OK;
}

/* Start tag at x->i == '<' (followed by a name start). */
static int parse_start_tag(struct xp *x)
{
	struct frame f;
	size_t p = x->i + 1, an[XMLAUTH_MAX_ATTRS], al[XMLAUTH_MAX_ATTRS];
	unsigned nattr = 0;
	bool is_root, empty = false;
	int r;

	f.name = x->s + p;
	f.name_len = scan_name(x, p);
	p += f.name_len;
	if (++x->elements > XMLAUTH_MAX_ELEMENTS)
		return XMLAUTH_ERR_ELEMENTS;
	if (x->depth >= XMLAUTH_MAX_DEPTH)
		return XMLAUTH_ERR_DEPTH;
	r = classify(x, &f);
	if (r < 0)
		return r;
	is_root = f.kind == FRAME_ROOT;

	for (;;) {
		size_t q = skip_ws(x, p), nl, vs, ve;
		char quote, value[XMLAUTH_MAX_TEXT];
		struct sink k = { value, 0, sizeof(value) };

		if (q >= x->n)
			return XMLAUTH_ERR_TRUNCATED;
		if (x->s[q] == '>') {
			p = q + 1;
			break;
		}
		if (x->s[q] == '/') {
			if (q + 1 >= x->n)
				return XMLAUTH_ERR_TRUNCATED;
			if (x->s[q + 1] != '>')
				return XMLAUTH_ERR_SYNTAX;
			p = q + 2;
			empty = true;
			break;
		}
		/* An attribute must be separated from what precedes it. */
		if (q == p)
			return XMLAUTH_ERR_SYNTAX;
		nl = scan_name(x, q);
		if (nl == 0)
			return XMLAUTH_ERR_SYNTAX;
		for (unsigned a = 0; a < nattr; a++) {
			if (al[a] == nl && memcmp(x->s + an[a], x->s + q, nl) == 0)
				return XMLAUTH_ERR_DUPLICATE;
		}
		if (nattr >= XMLAUTH_MAX_ATTRS)
			return XMLAUTH_ERR_ATTRS;
		an[nattr] = q;
		al[nattr] = nl;
		nattr++;
		p = skip_ws(x, q + nl);
		if (p >= x->n)
			return XMLAUTH_ERR_TRUNCATED;
		if (x->s[p] != '=')
			return XMLAUTH_ERR_SYNTAX;
		p = skip_ws(x, p + 1);
		if (p >= x->n)
			return XMLAUTH_ERR_TRUNCATED;
		quote = x->s[p];
		if (quote != '"' && quote != '\'')
			return XMLAUTH_ERR_SYNTAX;
		vs = p + 1;
		ve = vs;
		while (ve < x->n && x->s[ve] != quote) {
			if (x->s[ve] == '<')
				return XMLAUTH_ERR_SYNTAX;
			ve++;
		}
		if (ve >= x->n)
			return XMLAUTH_ERR_TRUNCATED;
		r = decode(x->s, vs, ve, true, &k);
		if (r < 0)
			return r;
		if (is_root && name_is(x->s + q, nl, "type")) {
			r = set_type(x, value, k.len);
			if (r < 0)
				return r;
		}
		p = ve + 1;
	}
	if (is_root && x->out->type == XMLAUTH_TYPE_NONE)
		return XMLAUTH_ERR_TYPE;

	x->i = p;
	if (empty) {
		if (is_root)
			x->root_done = true;
		if (f.kind == FRAME_FIELD)
			f.field->text[0] = '\0';
		return XMLAUTH_OK;
	}
	x->st[x->depth++] = f;
	return XMLAUTH_OK;
}

/* End tag at x->i == '<', x->s[i + 1] == '/'. */
static int parse_end_tag(struct xp *x)
{
	size_t p = x->i + 2, nl = scan_name(x, p);
	struct frame *f = top(x);

	if (nl == 0)
		return p >= x->n ? XMLAUTH_ERR_TRUNCATED : XMLAUTH_ERR_SYNTAX;
	if (f == NULL)
		return XMLAUTH_ERR_ROOT;
	if (f->name_len != nl || memcmp(f->name, x->s + p, nl) != 0)
		return XMLAUTH_ERR_MISMATCH;
	p = skip_ws(x, p + nl);
	if (p >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (x->s[p] != '>')
		return XMLAUTH_ERR_SYNTAX;
	x->i = p + 1;
	x->depth--;
	if (x->depth == 0)
		x->root_done = true;
	return XMLAUTH_OK;
}

/* What is left of the body is a proper prefix of lit. */
static bool cut_short(const struct xp *x, const char *lit)
{
	size_t rem = x->n - x->i;

	return rem < strlen(lit) && memcmp(x->s + x->i, lit, rem) == 0;
}

static int parse_markup(struct xp *x)
{
	if (x->i + 1 >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	if (at(x, "<!--"))
		return parse_comment(x);
	if (at(x, "<![CDATA["))
		return parse_cdata(x);
	if (at(x, "<!DOCTYPE"))
		return XMLAUTH_ERR_DTD;
	if (at(x, "<?"))
		return parse_pi(x);
	if (x->s[x->i + 1] == '/')
		return parse_end_tag(x);
	if (is_name_start((unsigned char)x->s[x->i + 1]))
		return parse_start_tag(x);
	/* The body ending inside "<!--" etc. is truncation. */
	if (cut_short(x, "<!--") || cut_short(x, "<![CDATA[") ||
	    cut_short(x, "<!DOCTYPE"))
		return XMLAUTH_ERR_TRUNCATED;
	return XMLAUTH_ERR_SYNTAX;
}

/* <?xml ...?> at the very start: version etc. are not interpreted (the
 * body is UTF-8 whatever it says). */
static int parse_xml_decl(struct xp *x)
{
	size_t end;

	if (!at(x, "<?xml") || x->n - x->i < 6 ||
	    !(is_ws(x->s[x->i + 5]) || x->s[x->i + 5] == '?'))
		return XMLAUTH_OK;
	end = find(x, x->i + 5, "?>");
	if (end >= x->n)
		return XMLAUTH_ERR_TRUNCATED;
	x->i = end + 2;
	return XMLAUTH_OK;
}

int xmlauth_parse_xml(const char *body, size_t len, struct xmlauth *out)
{
	struct xp x = { .s = body, .n = len, .out = out };
	int r;

	if (out == NULL)
		return XMLAUTH_ERR_INVAL;
	result_clear(out);
	if (body == NULL && len > 0)
		return XMLAUTH_ERR_INVAL;
	if (len == 0)
		return XMLAUTH_ERR_EMPTY;
	if (!valid_text(body, len)) {
		r = XMLAUTH_ERR_CHAR;
		goto fail;
	}
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		x.i = 3;
	r = parse_xml_decl(&x);
	while (r == XMLAUTH_OK && x.i < x.n) {
		if (x.s[x.i] == '<') {
			if (x.root_done && x.depth == 0 && x.i + 1 < x.n &&
			    is_name_start((unsigned char)x.s[x.i + 1]))
				r = XMLAUTH_ERR_ROOT; /* a second root */
			else
				r = parse_markup(&x);
		} else {
			r = parse_text(&x);
		}
	}
	if (r == XMLAUTH_OK && x.depth > 0)
		r = XMLAUTH_ERR_TRUNCATED;
	if (r == XMLAUTH_OK && !x.root_done)
		r = skip_ws(&x, 0) >= x.n ? XMLAUTH_ERR_EMPTY : XMLAUTH_ERR_ROOT;
	if (r == XMLAUTH_OK)
		return XMLAUTH_OK;
fail:
	result_clear(out);
	return r;
}

/* ------------------------------------------------------------------ */
/* form-urlencoded                                                     */

/* Decode s[0..n) into out (capacity cap; out NULL: only check and
 * count). Returns the decoded length or an error. */
static int url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return XMLAUTH_ERR_FORM;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return XMLAUTH_ERR_FORM;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o >= cap)
			return XMLAUTH_ERR_TEXT_TOO_LONG;
		if (out != NULL)
			out[o] = c;
		o++;
	}
	return o > INT32_MAX ? XMLAUTH_ERR_TEXT_TOO_LONG : (int)o;
}

int xmlauth_parse_form(const char *body, size_t len, struct xmlauth *out)
{
	size_t i = 0;
	int r = XMLAUTH_OK;

	if (out == NULL)
		return XMLAUTH_ERR_INVAL;
	result_clear(out);
	if (body == NULL && len > 0)
		return XMLAUTH_ERR_INVAL;
	/* A line end after the last pair (curl --data @file, hand-written
	 * tests) is no part of the last value: a real one would be %0A. */
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	while (i < len && r == XMLAUTH_OK) {
		const char *pair = body + i, *amp, *eq;
		size_t plen, klen;
		char key[16];
		int kl, vl;
		struct xmlauth_field *f = NULL;

		amp = memchr(pair, '&', len - i);
		plen = amp != NULL ? (size_t)(amp - pair) : len - i;
		i += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		klen = eq != NULL ? (size_t)(eq - pair) : plen;
		kl = url_decode(pair, klen, key, sizeof(key));
		if (kl == XMLAUTH_ERR_TEXT_TOO_LONG)
			continue; /* a long key is no key of ours */
		if (kl < 0) {
			r = kl;
			break;
		}
		if (name_is(key, (size_t)kl, "username"))
			f = &out->username;
		else if (name_is(key, (size_t)kl, "password"))
			f = &out->password;
		else if (name_is(key, (size_t)kl, "group_list"))
			f = &out->group_select;
		if (f == NULL) {
			/* Unknown keys are ignored but must still be well-formed. */
			if (eq != NULL) {
				vl = url_decode(eq + 1, plen - klen - 1, NULL, SIZE_MAX);
				if (vl < 0)
					r = vl;
			}
			continue;
		}
		if (f->present) {
			r = XMLAUTH_ERR_DUPLICATE;
			break;
		}
		vl = 0;
		if (eq != NULL)
			vl = url_decode(eq + 1, plen - klen - 1, f->text, XMLAUTH_MAX_TEXT);
		if (vl < 0) {
			r = vl;
			break;
		}
		if (!valid_text(f->text, (size_t)vl)) {
			r = XMLAUTH_ERR_CHAR;
			break;
		}
		f->present = true;
		f->len = (size_t)vl;
		f->text[vl] = '\0';
	}
	if (r < 0) {
		result_clear(out);
		return r;
	}
	out->type = XMLAUTH_TYPE_FORM;
	return XMLAUTH_OK;
}

int xmlauth_parse(const char *body, size_t len, struct xmlauth *out)
{
	size_t i = 0;

	if (out == NULL)
		return XMLAUTH_ERR_INVAL;
	if (body == NULL && len > 0) {
		result_clear(out);
		return XMLAUTH_ERR_INVAL;
	}
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && is_ws(body[i]))
		i++;
	if (i >= len) {
		result_clear(out);
		return XMLAUTH_ERR_EMPTY;
	}
	if (body[i] == '<')
		return xmlauth_parse_xml(body, len, out);
	return xmlauth_parse_form(body + i, len - i, out);
}

/* ------------------------------------------------------------------ */
/* Writers                                                             */

struct wbuf {
	char *buf;
	size_t cap;
	size_t len;
	int err;
};

static void w_raw(struct wbuf *w, const char *s)
{
	size_t l;

	if (w->err < 0)
		return;
	l = strlen(s);
	if (w->cap - w->len <= l) { /* keep room for the NUL */
		w->err = XMLAUTH_ERR_NO_SPACE;
		return;
	}
	memcpy(w->buf + w->len, s, l);
	w->len += l;
	w->buf[w->len] = '\0';
}

static void w_text(struct wbuf *w, const char *s)
{
	char one[2] = { 0, 0 };

	if (w->err < 0)
		return;
	if (!valid_text(s, strlen(s))) {
		w->err = XMLAUTH_ERR_CHAR;
		return;
	}
	for (; *s != '\0' && w->err == XMLAUTH_OK; s++) {
		switch (*s) {
		case '&':
			w_raw(w, "&amp;");
			break;
		case '<':
			w_raw(w, "&lt;");
			break;
		case '>':
			w_raw(w, "&gt;");
			break;
		case '"':
			w_raw(w, "&quot;");
			break;
		case '\'':
			w_raw(w, "&apos;");
			break;
		/* Literal CR would be read back as LF, TAB and LF in an
		 * attribute as a space: send references instead. */
		case '\r':
			w_raw(w, "&#13;");
			break;
		case '\n':
			w_raw(w, "&#10;");
			break;
		case '\t':
			w_raw(w, "&#9;");
			break;
		default:
			one[0] = *s;
			w_raw(w, one);
			break;
		}
	}
}

static int w_finish(struct wbuf *w)
{
	if (w->err < 0) {
		if (w->cap > 0)
			w->buf[0] = '\0';
		return w->err;
	}
	return (int)w->len;
}

static int w_init(struct wbuf *w, char *buf, size_t buf_len)
{
	*w = (struct wbuf){ buf, buf_len, 0, XMLAUTH_OK };
	if (buf == NULL)
		return XMLAUTH_ERR_INVAL;
	if (buf_len == 0)
		return XMLAUTH_ERR_NO_SPACE;
	buf[0] = '\0';
	return XMLAUTH_OK;
}

/* Element <name>text</name> on its own line. */
static void w_elem(struct wbuf *w, const char *open, const char *text,
		   const char *close)
{
	w_raw(w, open);
	w_text(w, text);
	w_raw(w, close);
}

static void w_head(struct wbuf *w, const char *type, const char *version)
{
	w_raw(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<config-auth client=\"vpn\" type=\"");
	w_raw(w, type);
	w_raw(w, "\" aggregate-auth-version=\"2\">\n");
	w_elem(w, "<version who=\"sg\">", version != NULL ? version : PACKAGE_VERSION,
	       "</version>\n");
}

int xmlauth_write_auth_request(char *buf, size_t buf_len,
			       const struct xmlauth_request *req)
{
	struct wbuf w;
	int r = w_init(&w, buf, buf_len);

	if (r < 0)
		return r;
	if (req == NULL)
		return XMLAUTH_ERR_INVAL;
	w_head(&w, "auth-request", req->server_version);
	w_raw(&w, "<auth id=\"main\">\n");
	w_elem(&w, "<message>", req->message != NULL ? req->message :
	       "Please enter your username and password.", "</message>\n");
	if (req->banner != NULL)
		w_elem(&w, "<banner>", req->banner, "</banner>\n");
	if (req->error != NULL)
		w_elem(&w, "<error id=\"main\">", req->error, "</error>\n");
	w_raw(&w, "<form method=\"post\" action=\"/auth\">\n");
	if (!req->password_only)
		w_raw(&w, "<input type=\"text\" name=\"username\" label=\"Username:\" />\n");
	w_raw(&w, "<input type=\"password\" name=\"password\" label=\"");
	w_text(&w, req->password_label != NULL ? req->password_label : "Password:");
	w_raw(&w, "\" />\n");
	if (req->groups != NULL && req->groups[0] != NULL) {
		w_raw(&w, "<select name=\"group_list\" label=\"Group:\">\n");
		for (const char *const *g = req->groups; *g != NULL; g++) {
			w_raw(&w, "<option value=\"");
			w_text(&w, *g);
			w_raw(&w, "\">");
			w_text(&w, *g);
			w_raw(&w, "</option>\n");
		}
		w_raw(&w, "</select>\n");
	}
	w_raw(&w, "</form>\n</auth>\n</config-auth>\n");
	return w_finish(&w);
}

int xmlauth_write_complete(char *buf, size_t buf_len,
			   const struct xmlauth_complete *c)
{
	struct wbuf w;
	int r = w_init(&w, buf, buf_len);

	if (r < 0)
		return r;
	if (c == NULL)
		return XMLAUTH_ERR_INVAL;
	w_head(&w, "complete", c->server_version);
	w_raw(&w, "<auth id=\"success\">\n");
	w_elem(&w, "<title>", c->title != NULL ? c->title : "SSL VPN Service",
	       "</title>\n");
	if (c->banner != NULL)
		w_elem(&w, "<banner>", c->banner, "</banner>\n");
	w_raw(&w, "</auth>\n");
	if (c->profile_uri != NULL && c->profile_sha1 != NULL) {
		/* the client profile's manifest (doc/spec/interop.md §1.2) */
		w_raw(&w, "<config client=\"vpn\" type=\"private\">\n<vpn-profile-manifest>\n"
			  "<vpn rev=\"1.0\">\n<file type=\"profile\" service-type=\"user\">\n");
		w_elem(&w, "<uri>", c->profile_uri, "</uri>\n");
		w_elem(&w, "<hash type=\"sha1\">", c->profile_sha1, "</hash>\n");
		w_raw(&w, "</file>\n</vpn>\n</vpn-profile-manifest>\n</config>\n");
	}
	w_raw(&w, "</config-auth>\n");
	return w_finish(&w);
}

int xmlauth_escape(char *buf, size_t buf_len, const char *text)
{
	struct wbuf w;
	int r = w_init(&w, buf, buf_len);

	if (r < 0)
		return r;
	if (text == NULL)
		return XMLAUTH_ERR_INVAL;
	w_text(&w, text);
	return w_finish(&w);
}
