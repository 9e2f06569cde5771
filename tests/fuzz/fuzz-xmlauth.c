/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the aggregate-auth body parser and writers
 * (src/codec/xmlauth.c).
 *
 * The input is a login body. Invariants checked (abort on violation):
 *  - on error the result is empty; on success every field is a NUL-free
 *    string of its stated length within XMLAUTH_MAX_TEXT;
 *  - the extracted fields, escaped with xmlauth_escape() into a fresh
 *    auth-reply document, parse back to the very same fields (parser and
 *    escaper agree on every accepted text);
 *  - the input used as a message in the writers either is refused with a
 *    clear error or yields a document our parser accepts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/xmlauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static struct xmlauth first, second;
/* Six fields of up to 4096 bytes, each escaped to at most 6 bytes a byte. */
static char doc[6 * 6 * XMLAUTH_MAX_TEXT + 1024];
static char esc[6 * XMLAUTH_MAX_TEXT + 1];

static void check_field(const struct xmlauth_field *f)
{
	if (!f->present) {
		CHECK(f->len == 0);
		return;
	}
	CHECK(f->len <= XMLAUTH_MAX_TEXT);
	CHECK(strlen(f->text) == f->len);
}

static size_t put(size_t off, const char *s)
{
	size_t l = strlen(s);

	CHECK(off + l < sizeof(doc));
	memcpy(doc + off, s, l + 1);
	return off + l;
}

static size_t put_field(size_t off, const char *name, const struct xmlauth_field *f)
{
	if (!f->present)
		return off;
	CHECK(xmlauth_escape(esc, sizeof(esc), f->text) >= 0);
	off = put(off, "<");
	off = put(off, name);
	off = put(off, ">");
	off = put(off, esc);
	off = put(off, "</");
	off = put(off, name);
	return put(off, ">");
}

static void same_field(const struct xmlauth_field *a, const struct xmlauth_field *b)
{
	CHECK(a->present == b->present);
	CHECK(a->len == b->len);
	CHECK(memcmp(a->text, b->text, a->len) == 0);
}

static void roundtrip(const struct xmlauth *x)
{
	size_t off = 0;

	off = put(off, "<config-auth type=\"auth-reply\">");
	off = put_field(off, "version", &x->version);
	off = put_field(off, "device-id", &x->device_id);
	off = put_field(off, "group-access", &x->group_access);
	off = put_field(off, "group-select", &x->group_select);
	if (x->username.present || x->password.present) {
		off = put(off, "<auth>");
		off = put_field(off, "username", &x->username);
		off = put_field(off, "password", &x->password);
		off = put(off, "</auth>");
	}
	off = put(off, "</config-auth>");
	CHECK(xmlauth_parse(doc, off, &second) == XMLAUTH_OK);
	CHECK(second.type == XMLAUTH_TYPE_AUTH_REPLY);
	same_field(&x->version, &second.version);
	same_field(&x->device_id, &second.device_id);
	same_field(&x->group_access, &second.group_access);
	same_field(&x->group_select, &second.group_select);
	same_field(&x->username, &second.username);
	same_field(&x->password, &second.password);
}

static void writers(const uint8_t *data, size_t size)
{
	static char text[1024];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	struct xmlauth_request req = { .server_version = "1" };
	struct xmlauth_complete c = { .server_version = "1" };
	int r;
	char *t;

	memcpy(text, data, n);
	text[n] = '\0';
	req.message = text;
	req.error = text;
	c.banner = text;
	r = xmlauth_write_auth_request(doc, sizeof(doc), &req);
	CHECK(r == XMLAUTH_ERR_CHAR || (r > 0 && (size_t)r == strlen(doc)));
	if (r > 0) {
		/* Well-formed: swap the type and parse it. */
		t = strstr(doc, "type=\"auth-request\"");
		CHECK(t != NULL);
		memmove(t + 11, t + 19, strlen(t + 19) + 1);
		memcpy(t, "type=\"init\"", 11);
		CHECK(xmlauth_parse(doc, strlen(doc), &second) == XMLAUTH_OK);
		CHECK(strcmp(second.version.text, "1") == 0);
	}
	r = xmlauth_write_complete(doc, sizeof(doc), &c);
	CHECK(r == XMLAUTH_ERR_CHAR || (r > 0 && (size_t)r == strlen(doc)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = xmlauth_parse((const char *)data, size, &first);

	CHECK(r <= 0 && r >= XMLAUTH_ERR_INVAL);
	CHECK(xmlauth_strerror(r) != NULL);
	check_field(&first.version);
	check_field(&first.device_id);
	check_field(&first.group_access);
	check_field(&first.group_select);
	check_field(&first.username);
	check_field(&first.password);
	if (r < 0) {
		CHECK(first.type == XMLAUTH_TYPE_NONE);
		CHECK(!first.username.present && !first.password.present &&
		      !first.version.present && !first.group_select.present);
	} else {
		CHECK(first.type != XMLAUTH_TYPE_NONE);
		roundtrip(&first);
	}
	writers(data, size);
	return 0;
}
