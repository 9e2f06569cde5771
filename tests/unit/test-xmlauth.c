/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the aggregate-auth body parser and writers (src/codec/xmlauth.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/xmlauth.h"
#include "test-main.h"

static struct xmlauth *X;

static void setup(void)
{
	X = malloc(sizeof(*X));
	ck_assert_ptr_nonnull(X);
}

static void teardown(void)
{
	free(X);
	X = NULL;
}

static int parse(const char *s)
{
	return xmlauth_parse(s, strlen(s), X);
}

static void assert_empty_result(void)
{
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_NONE);
	ck_assert(!X->version.present && !X->device_id.present &&
		  !X->group_access.present && !X->group_select.present &&
		  !X->username.present && !X->password.present);
	ck_assert_str_eq(X->username.text, "");
	ck_assert_str_eq(X->password.text, "");
}

/* What openconnect 9.01 POSTs first (doc/spec/interop.md 1.2). */
static const char oc_init[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\">\n"
	"<version who=\"vpn\">v9.01-3</version>\n"
	"<device-id computer-name=\"host\" device-type=\"Linux\" "
	"platform-version=\"6.1\" unique-id=\"abc\">linux-64</device-id>\n"
	"<capabilities><auth-method>single-sign-on-v2</auth-method>"
	"<auth-method>multiple-cert</auth-method></capabilities>\n"
	"<group-access>https://10.77.0.1:4443/</group-access>\n"
	"<group-select>staff</group-select>\n"
	"</config-auth>\n";

static const char oc_reply[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"auth-reply\" aggregate-auth-version=\"2\">"
	"<version who=\"vpn\">v9.01-3</version>"
	"<device-id>linux-64</device-id>"
	"<session-token/><session-id/>"
	"<opaque is-for=\"sg\"><tunnel-group>x</tunnel-group>"
	"<auth-handle>1</auth-handle><config-hash>0</config-hash></opaque>"
	"<auth><username>test</username><password>te st&amp;&lt;&gt;&quot;&apos;</password></auth>"
	"<group-select>staff</group-select>"
	"</config-auth>";

/* ---- well-formed input ---- */

START_TEST(test_init)
{
	ck_assert_int_eq(parse(oc_init), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_INIT);
	ck_assert_str_eq(xmlauth_type_str(X->type), "init");
	ck_assert(X->version.present);
	ck_assert_str_eq(X->version.text, "v9.01-3");
	ck_assert_uint_eq(X->version.len, 7);
	ck_assert_str_eq(X->device_id.text, "linux-64");
	ck_assert_str_eq(X->group_access.text, "https://10.77.0.1:4443/");
	ck_assert(X->group_select.present);
	ck_assert_str_eq(X->group_select.text, "staff");
	ck_assert(!X->username.present);
	ck_assert(!X->password.present);
}
END_TEST

START_TEST(test_auth_reply)
{
	ck_assert_int_eq(parse(oc_reply), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_AUTH_REPLY);
	ck_assert_str_eq(xmlauth_type_str(X->type), "auth-reply");
	ck_assert(X->username.present);
	ck_assert_str_eq(X->username.text, "test");
	ck_assert_str_eq(X->password.text, "te st&<>\"'");
	ck_assert_uint_eq(X->password.len, 10);
	ck_assert_str_eq(X->group_select.text, "staff");
	ck_assert(!X->group_access.present);
}
END_TEST

START_TEST(test_char_refs)
{
	ck_assert_int_eq(parse("<config-auth type='auth-reply'><auth>"
			       "<username>&#65;&#x42;&#X43;</username>"
			       "<password>&#xe9;&#8364;&#x1F600;&#0000009;</password>"
			       "</auth></config-auth>"), XMLAUTH_ERR_ENTITY); /* &#X is not &#x */
}
END_TEST

START_TEST(test_char_refs_ok)
{
	ck_assert_int_eq(parse("<config-auth type='auth-reply'><auth>"
			       "<username>&#65;&#x42;&#x43;</username>"
			       "<password>&#xe9;&#8364;&#x1F600;&#0000009;</password>"
			       "</auth></config-auth>"), XMLAUTH_OK);
	ck_assert_str_eq(X->username.text, "ABC");
	ck_assert_str_eq(X->password.text, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t");
}
END_TEST

START_TEST(test_text_forms)
{
	/* CDATA, comments and PIs inside a field; spaces kept; CR LF and lone
	 * CR become LF; raw UTF-8 passes. */
	ck_assert_int_eq(parse("\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n"
			       "<!-- prolog comment --><?app data?>\n"
			       "<config-auth type=\"auth-reply\">\r\n"
			       "<auth>\n"
			       "  <username> a<!-- c -->b<?pi x?><![CDATA[<&>]]> </username>\n"
			       "  <password>x\r\ny\rz\n\xc3\xa9</password>\n"
			       "</auth>\n"
			       "<group-access><![CDATA[a\r\nb\rc]]></group-access>\n"
			       "</config-auth>\n<!-- epilog -->\n\n"), XMLAUTH_OK);
	ck_assert_str_eq(X->username.text, " ab<&> ");
	ck_assert_str_eq(X->password.text, "x\ny\nz\n\xc3\xa9");
	ck_assert_str_eq(X->group_access.text, "a\nb\nc");
	ck_assert(!X->version.present);
}
END_TEST

START_TEST(test_empty_fields)
{
	ck_assert_int_eq(parse("<config-auth type=\"auth-reply\"><auth>"
			       "<username/><password></password></auth>"
			       "<group-select />"
			       "</config-auth>"), XMLAUTH_OK);
	ck_assert(X->username.present);
	ck_assert_uint_eq(X->username.len, 0);
	ck_assert(X->password.present);
	ck_assert_str_eq(X->password.text, "");
	ck_assert(X->group_select.present);
	/* A self-closed root is a document too. */
	ck_assert_int_eq(parse("<config-auth type=\"init\"/>"), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_INIT);
}
END_TEST

START_TEST(test_only_direct_children)
{
	/* username outside <auth>, auth outside the root's children, version
	 * nested elsewhere: none is extracted. */
	ck_assert_int_eq(parse("<config-auth type=\"auth-reply\">"
			       "<username>no</username>"
			       "<opaque><auth><password>no</password></auth>"
			       "<version>no</version></opaque>"
			       "<auth><other><username>no</username></other></auth>"
			       "</config-auth>"), XMLAUTH_OK);
	ck_assert(!X->username.present);
	ck_assert(!X->password.present);
	ck_assert(!X->version.present);
}
END_TEST

START_TEST(test_attributes)
{
	/* Either quote, spaces around '=', entities and tab/LF in values,
	 * '>' inside a value. */
	ck_assert_int_eq(parse("<config-auth  client = 'v\"pn' type\n=\n\"init\" "
			       "x=\"a&amp;b&#10;c\td>\" ><version who='a>b'>1</version>"
			       "</config-auth >"), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_INIT);
	ck_assert_str_eq(X->version.text, "1");
	/* The type goes through entity decoding too. */
	ck_assert_int_eq(parse("<config-auth type=\"&#105;nit\"/>"), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_INIT);
}
END_TEST

/* ---- limits at their boundaries ---- */

static char *nest(unsigned depth)
{
	static char buf[4096];
	size_t off = 0;

	off += (size_t)sprintf(buf, "<config-auth type=\"init\">");
	for (unsigned i = 1; i < depth; i++)
		off += (size_t)sprintf(buf + off, "<e%u>", i);
	for (unsigned i = depth - 1; i >= 1; i--)
		off += (size_t)sprintf(buf + off, "</e%u>", i);
	sprintf(buf + off, "</config-auth>");
	return buf;
}

START_TEST(test_depth)
{
	ck_assert_int_eq(parse(nest(XMLAUTH_MAX_DEPTH)), XMLAUTH_OK);
	ck_assert_int_eq(parse(nest(XMLAUTH_MAX_DEPTH + 1)), XMLAUTH_ERR_DEPTH);
	assert_empty_result();
}
END_TEST

static char *many(unsigned elements, unsigned attrs)
{
	static char buf[16384];
	size_t off = 0;

	off += (size_t)sprintf(buf, "<config-auth type=\"init\"");
	for (unsigned i = 1; i < attrs; i++)
		off += (size_t)sprintf(buf + off, " a%u='%u'", i, i);
	off += (size_t)sprintf(buf + off, ">");
	for (unsigned i = 1; i < elements; i++)
		off += (size_t)sprintf(buf + off, "<x/>");
	sprintf(buf + off, "</config-auth>");
	return buf;
}

START_TEST(test_elements)
{
	ck_assert_int_eq(parse(many(XMLAUTH_MAX_ELEMENTS, 1)), XMLAUTH_OK);
	ck_assert_int_eq(parse(many(XMLAUTH_MAX_ELEMENTS + 1, 1)), XMLAUTH_ERR_ELEMENTS);
}
END_TEST

START_TEST(test_attrs)
{
	ck_assert_int_eq(parse(many(1, XMLAUTH_MAX_ATTRS)), XMLAUTH_OK);
	ck_assert_int_eq(parse(many(1, XMLAUTH_MAX_ATTRS + 1)), XMLAUTH_ERR_ATTRS);
}
END_TEST

START_TEST(test_text_limit)
{
	static char buf[6 * XMLAUTH_MAX_TEXT];
	static char big[XMLAUTH_MAX_TEXT + 2];

	memset(big, 'p', XMLAUTH_MAX_TEXT);
	big[XMLAUTH_MAX_TEXT] = '\0';
	snprintf(buf, sizeof(buf), "<config-auth type=\"auth-reply\"><auth>"
		 "<password>%s</password></auth></config-auth>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_OK);
	ck_assert_uint_eq(X->password.len, XMLAUTH_MAX_TEXT);
	ck_assert_uint_eq(strlen(X->password.text), XMLAUTH_MAX_TEXT);

	/* 4097 bytes, and 4096 + one more through a CDATA section. */
	big[XMLAUTH_MAX_TEXT] = 'p';
	big[XMLAUTH_MAX_TEXT + 1] = '\0';
	snprintf(buf, sizeof(buf), "<config-auth type=\"auth-reply\"><auth>"
		 "<password>%s</password></auth></config-auth>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_ERR_TEXT_TOO_LONG);
	big[XMLAUTH_MAX_TEXT] = '\0';
	snprintf(buf, sizeof(buf), "<config-auth type=\"auth-reply\"><auth>"
		 "<password>%s<![CDATA[x]]></password></auth></config-auth>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_ERR_TEXT_TOO_LONG);

	/* Entities count after decoding: 4096 x "&amp;" is 4096 bytes. */
	{
		size_t off = (size_t)sprintf(buf, "<config-auth type=\"auth-reply\"><auth><username>");

		for (unsigned i = 0; i < XMLAUTH_MAX_TEXT; i++)
			off += (size_t)sprintf(buf + off, "&amp;");
		sprintf(buf + off, "</username></auth></config-auth>");
		ck_assert_int_eq(parse(buf), XMLAUTH_OK);
		ck_assert_uint_eq(X->username.len, XMLAUTH_MAX_TEXT);
		ck_assert_int_eq(X->username.text[4095], '&');
	}

	/* Same limit for a skipped element's text and an attribute value. */
	big[XMLAUTH_MAX_TEXT] = 'p';
	snprintf(buf, sizeof(buf), "<config-auth type=\"init\"><x>%s</x></config-auth>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_ERR_TEXT_TOO_LONG);
	snprintf(buf, sizeof(buf), "<config-auth type=\"init\" a=\"%s\"/>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_ERR_TEXT_TOO_LONG);
	big[XMLAUTH_MAX_TEXT] = '\0';
	snprintf(buf, sizeof(buf), "<config-auth type=\"init\" a=\"%s\"/>", big);
	ck_assert_int_eq(parse(buf), XMLAUTH_OK);
}
END_TEST

/* ---- every error ---- */

/* Marks the one body the dispatcher takes as a form (see test_errors). */
enum { FORM_OR_ROOT = 1 };

static const struct {
	const char *body;
	int want;
} bad[] = {
	{ "", XMLAUTH_ERR_EMPTY },
	{ " \r\n\t", XMLAUTH_ERR_EMPTY },
	{ "<config-auth type=\"init\"><a></b></config-auth>", XMLAUTH_ERR_MISMATCH },
	{ "<config-auth type=\"init\"></config-aut>", XMLAUTH_ERR_MISMATCH },
	{ "<config-auth type=\"init\"><a><b></a></b></config-auth>", XMLAUTH_ERR_MISMATCH },
	{ "<config-auth type=\"init\">", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><auth><username>x", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"/", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"></config-auth", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><!-- x", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><![CDATA[x", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><![CDA", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><", XMLAUTH_ERR_TRUNCATED },
	{ "<?xml version=\"1.0\"", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><?pi", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><a b", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\"><a b=", XMLAUTH_ERR_TRUNCATED },
	{ "<config-auth type=\"init\">< a/></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><a b></a></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><a b=c></a></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><a b='<'/></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><a b='1'c='2'/></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><a/ ></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><!-- a -- b --></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\">]]></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><!ELEMENT x></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><?xml version=\"1.0\"?></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ " <?xml version=\"1.0\"?><config-auth type=\"init\"/>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"></ config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"></config-auth x>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><1a/></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><? pi?></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><?-pi?></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\"><?pi\"x\"?></config-auth>", XMLAUTH_ERR_SYNTAX },
	{ "<config-auth type=\"init\">&foo;</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&amp</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">a & b</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&#;</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&#x;</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&#12a;</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&#65</config-auth>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\" a=\"&nbsp;\"/>", XMLAUTH_ERR_ENTITY },
	{ "<config-auth type=\"init\">&#0;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">&#1;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">&#xD800;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">&#xFFFE;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">&#x110000;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">&#99999999999999;</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\x01</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\x7f\xff</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\xc3</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\xc0\xaf</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\xed\xa0\x80</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\xf4\x90\x80\x80</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<config-auth type=\"init\">\xef\xbf\xbe</config-auth>", XMLAUTH_ERR_CHAR },
	{ "<!DOCTYPE config-auth [<!ENTITY a \"b\">]><config-auth type=\"init\"/>",
	  XMLAUTH_ERR_DTD },
	{ "<?xml version=\"1.0\"?><!DOCTYPE x><config-auth type=\"init\"/>",
	  XMLAUTH_ERR_DTD },
	{ "<config-auth type=\"init\"/><config-auth type=\"init\"/>", XMLAUTH_ERR_ROOT },
	{ "<config-auth type=\"init\"/>x", XMLAUTH_ERR_ROOT },
	{ "<config-auth type=\"init\"/><![CDATA[x]]>", XMLAUTH_ERR_ROOT },
	{ "x<config-auth type=\"init\"/>", FORM_OR_ROOT },
	{ "<auth type=\"init\"/>", XMLAUTH_ERR_ROOT },
	{ "<config-authx type=\"init\"/>", XMLAUTH_ERR_ROOT },
	{ "<!-- only a comment -->", XMLAUTH_ERR_ROOT },
	{ "<config-auth type=\"init\"/></config-auth>", XMLAUTH_ERR_ROOT },
	{ "<config-auth/>", XMLAUTH_ERR_TYPE },
	{ "<config-auth client=\"vpn\"></config-auth>", XMLAUTH_ERR_TYPE },
	{ "<config-auth type=\"logout\"/>", XMLAUTH_ERR_TYPE },
	{ "<config-auth type=\"INIT\"/>", XMLAUTH_ERR_TYPE },
	{ "<config-auth type=\" init\"/>", XMLAUTH_ERR_TYPE },
	{ "<config-auth type=\"auth-request\"/>", XMLAUTH_ERR_TYPE },
	{ "<config-auth type=\"init\" type=\"init\"/>", XMLAUTH_ERR_DUPLICATE },
	{ "<config-auth type=\"init\"><a x='1' y='2' x='3'/></config-auth>", XMLAUTH_ERR_DUPLICATE },
	{ "<config-auth type=\"auth-reply\"><auth><username>a</username>"
	  "<username>b</username></auth></config-auth>", XMLAUTH_ERR_DUPLICATE },
	{ "<config-auth type=\"auth-reply\"><auth/><auth/></config-auth>", XMLAUTH_ERR_DUPLICATE },
	{ "<config-auth type=\"init\"><version/><version/></config-auth>", XMLAUTH_ERR_DUPLICATE },
	{ "<config-auth type=\"auth-reply\"><auth><username>a<b/></username></auth>"
	  "</config-auth>", XMLAUTH_ERR_NESTED },
	{ "<config-auth type=\"init\"><group-access><x>u</x></group-access></config-auth>",
	  XMLAUTH_ERR_NESTED },
	{ "username=a%zz", XMLAUTH_ERR_FORM },
	{ "password=%4", XMLAUTH_ERR_FORM },
	{ "password=%", XMLAUTH_ERR_FORM },
	{ "other=%g0&username=a", XMLAUTH_ERR_FORM },
	{ "user%zzname=a", XMLAUTH_ERR_FORM },
	{ "username=a&username=b", XMLAUTH_ERR_DUPLICATE },
	{ "username=a%00b", XMLAUTH_ERR_CHAR },
	{ "password=%01", XMLAUTH_ERR_CHAR },
	{ "password=%C3", XMLAUTH_ERR_CHAR },
};

START_TEST(test_errors)
{
	const char *body = bad[_i].body;
	int want = bad[_i].want, r;

	/* "x<config-auth..." is not XML to the dispatcher: a form without
	 * known keys. The XML parser alone rejects it as content before the
	 * root. */
	if (want == FORM_OR_ROOT) {
		ck_assert_int_eq(parse(body), XMLAUTH_OK);
		ck_assert_int_eq(X->type, XMLAUTH_TYPE_FORM);
		r = xmlauth_parse_xml(body, strlen(body), X);
		want = XMLAUTH_ERR_ROOT;
	} else {
		r = parse(body);
	}
	ck_assert_msg(r == want, "case %d \"%s\": got %d (%s), want %d (%s)", _i,
		      body, r, xmlauth_strerror(r), want, xmlauth_strerror(want));
	assert_empty_result();
}
END_TEST

START_TEST(test_error_clears_result)
{
	ck_assert_int_eq(parse(oc_reply), XMLAUTH_OK);
	ck_assert(X->password.present);
	ck_assert_int_eq(parse("<config-auth type=\"auth-reply\"><auth><username>u"
			       "</username><password>p</password></auth>&bad;"
			       "</config-auth>"), XMLAUTH_ERR_ENTITY);
	assert_empty_result();
	ck_assert_int_eq(parse(oc_reply), XMLAUTH_OK);
	ck_assert_int_eq(parse("username=a&username=b"), XMLAUTH_ERR_DUPLICATE);
	assert_empty_result();
}
END_TEST

START_TEST(test_nul_in_body)
{
	static const char body[] = "<config-auth type=\"init\">\0</config-auth>";

	ck_assert_int_eq(xmlauth_parse(body, sizeof(body) - 1, X), XMLAUTH_ERR_CHAR);
	/* A NUL right after the root is not ignored either. */
	static const char body2[] = "<config-auth type=\"init\"/>\0";
	ck_assert_int_eq(xmlauth_parse(body2, sizeof(body2) - 1, X), XMLAUTH_ERR_CHAR);
}
END_TEST

START_TEST(test_inval)
{
	ck_assert_int_eq(xmlauth_parse("x", 1, NULL), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_parse(NULL, 1, X), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_parse(NULL, 0, X), XMLAUTH_ERR_EMPTY);
	ck_assert_int_eq(xmlauth_parse_xml(NULL, 1, X), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_parse_xml("<", 1, NULL), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_parse_form(NULL, 1, X), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_parse_form("a", 1, NULL), XMLAUTH_ERR_INVAL);
}
END_TEST

START_TEST(test_strerror)
{
	for (int a = XMLAUTH_ERR_INVAL; a <= 0; a++) {
		ck_assert_str_ne(xmlauth_strerror(a), "unknown error");
		for (int b = XMLAUTH_ERR_INVAL; b < a; b++)
			ck_assert_str_ne(xmlauth_strerror(a), xmlauth_strerror(b));
	}
	ck_assert_str_eq(xmlauth_strerror(XMLAUTH_ERR_INVAL - 1), "unknown error");
	ck_assert_str_eq(xmlauth_strerror(1), "unknown error");
	ck_assert_str_eq(xmlauth_type_str(XMLAUTH_TYPE_NONE), "none");
	ck_assert_str_eq(xmlauth_type_str(XMLAUTH_TYPE_FORM), "form");
}
END_TEST

/* ---- form-urlencoded ---- */

START_TEST(test_form)
{
	ck_assert_int_eq(parse("username=te+st%2B&password=p%40ss%3D%26w%C3%A9rd"
			       "&group_list=staff&other=1&&flag"), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_FORM);
	ck_assert_str_eq(X->username.text, "te st+");
	ck_assert_str_eq(X->password.text, "p@ss=&w\xc3\xa9rd");
	ck_assert_str_eq(X->group_select.text, "staff");
	ck_assert(!X->version.present);

	/* Key without '=' is present and empty; leading whitespace skipped. */
	ck_assert_int_eq(parse("\r\n password&username="), XMLAUTH_OK);
	ck_assert(X->password.present);
	ck_assert_uint_eq(X->password.len, 0);
	ck_assert(X->username.present);

	/* Only unknown keys: a form with nothing in it. */
	ck_assert_int_eq(parse("a=b"), XMLAUTH_OK);
	ck_assert_int_eq(X->type, XMLAUTH_TYPE_FORM);
	ck_assert(!X->username.present);
	/* Keys are decoded before matching; a long unknown key is skipped. */
	ck_assert_int_eq(parse("user%6eame=x&aaaaaaaaaaaaaaaaaaaaaaaaaaaa=1"), XMLAUTH_OK);
	ck_assert_str_eq(X->username.text, "x");
	/* Newlines and tabs are text like in XML. */
	ck_assert_int_eq(parse("password=a%0Ab%09"), XMLAUTH_OK);
	ck_assert_str_eq(X->password.text, "a\nb\t");
	/* A raw line end closing the body is dropped, an encoded one kept. */
	ck_assert_int_eq(parse("username=u&password=p\r\n"), XMLAUTH_OK);
	ck_assert_str_eq(X->password.text, "p");
	ck_assert_int_eq(parse("username=u&password=p%0D%0A\n"), XMLAUTH_OK);
	ck_assert_str_eq(X->password.text, "p\r\n");
	/* The dispatcher alone: xmlauth_parse_form keeps leading spaces. */
	ck_assert_int_eq(xmlauth_parse_form(" username=x", 11, X), XMLAUTH_OK);
	ck_assert(!X->username.present);
}
END_TEST

START_TEST(test_form_limit)
{
	static char buf[4 * XMLAUTH_MAX_TEXT];
	size_t off = (size_t)sprintf(buf, "password=");

	for (unsigned i = 0; i < XMLAUTH_MAX_TEXT; i++)
		off += (size_t)sprintf(buf + off, "%%41");
	ck_assert_int_eq(parse(buf), XMLAUTH_OK);
	ck_assert_uint_eq(X->password.len, XMLAUTH_MAX_TEXT);
	strcpy(buf + off, "A");
	ck_assert_int_eq(parse(buf), XMLAUTH_ERR_TEXT_TOO_LONG);
}
END_TEST

/* ---- writers ---- */

static const char want_request[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"auth-request\" aggregate-auth-version=\"2\">\n"
	"<version who=\"sg\">1.2.3</version>\n"
	"<auth id=\"main\">\n"
	"<message>Please enter your username and password.</message>\n"
	"<form method=\"post\" action=\"/auth\">\n"
	"<input type=\"text\" name=\"username\" label=\"Username:\" />\n"
	"<input type=\"password\" name=\"password\" label=\"Password:\" />\n"
	"</form>\n"
	"</auth>\n"
	"</config-auth>\n";

START_TEST(test_write_request)
{
	char buf[2048];
	struct xmlauth_request req = { .server_version = "1.2.3" };
	int n = xmlauth_write_auth_request(buf, sizeof(buf), &req);

	ck_assert_int_eq(n, (int)strlen(want_request));
	ck_assert_str_eq(buf, want_request);

	/* Every buffer size below the need fails cleanly, the exact size fits. */
	for (size_t sz = 0; sz <= (size_t)n; sz++) {
		memset(buf, 'X', sizeof(buf));
		ck_assert_int_eq(xmlauth_write_auth_request(buf, sz, &req),
				 XMLAUTH_ERR_NO_SPACE);
		if (sz > 0)
			ck_assert_int_eq(buf[0], '\0');
		ck_assert_int_eq(buf[sz], 'X'); /* never past the end */
	}
	ck_assert_int_eq(xmlauth_write_auth_request(buf, (size_t)n + 1, &req), n);
	ck_assert_str_eq(buf, want_request);

	/* Default version. */
	req.server_version = NULL;
	ck_assert_int_gt(xmlauth_write_auth_request(buf, sizeof(buf), &req), 0);
	ck_assert_ptr_nonnull(strstr(buf, "<version who=\"sg\">" PACKAGE_VERSION "</version>"));
}
END_TEST

START_TEST(test_write_request_options)
{
	char buf[4096];
	const char *groups[] = { "staff", "a&b \"q\"", NULL };
	struct xmlauth_request req = {
		.server_version = "1",
		.message = "Enter <OTP>",
		.error = "Login failed: 'x' & \"y\"",
		.banner = "line1\nline2\ttab\r",
		.password_only = true,
		.password_label = "Password2:",
		.groups = groups,
	};

	ck_assert_int_gt(xmlauth_write_auth_request(buf, sizeof(buf), &req), 0);
	ck_assert_ptr_nonnull(strstr(buf, "<message>Enter &lt;OTP&gt;</message>\n"));
	ck_assert_ptr_nonnull(strstr(buf, "<error id=\"main\">Login failed: &apos;x&apos; "
				     "&amp; &quot;y&quot;</error>\n"));
	ck_assert_ptr_nonnull(strstr(buf, "<banner>line1&#10;line2&#9;tab&#13;</banner>\n"));
	ck_assert_ptr_null(strstr(buf, "name=\"username\""));
	ck_assert_ptr_nonnull(strstr(buf, "label=\"Password2:\""));
	ck_assert_ptr_nonnull(strstr(buf, "<select name=\"group_list\" label=\"Group:\">\n"
				     "<option value=\"staff\">staff</option>\n"
				     "<option value=\"a&amp;b &quot;q&quot;\">a&amp;b "
				     "&quot;q&quot;</option>\n</select>\n"));

	/* Well-formed: with the type swapped our own parser accepts it. */
	char *t = strstr(buf, "type=\"auth-request\"");
	ck_assert_ptr_nonnull(t);
	memmove(t + 11, t + 19, strlen(t + 19) + 1);
	memcpy(t, "type=\"init\"", 11);
	ck_assert_int_eq(xmlauth_parse_xml(buf, strlen(buf), X), XMLAUTH_OK);
	ck_assert_str_eq(X->version.text, "1");

	/* Bad characters are refused, not sent. */
	req.message = "bell\a";
	ck_assert_int_eq(xmlauth_write_auth_request(buf, sizeof(buf), &req), XMLAUTH_ERR_CHAR);
	ck_assert_str_eq(buf, "");
	req.message = "bad utf8 \xff";
	ck_assert_int_eq(xmlauth_write_auth_request(buf, sizeof(buf), &req), XMLAUTH_ERR_CHAR);
	req.message = NULL;
	const char *bad_groups[] = { "ok", "\x1b", NULL };
	req.groups = bad_groups;
	ck_assert_int_eq(xmlauth_write_auth_request(buf, sizeof(buf), &req), XMLAUTH_ERR_CHAR);
	const char *no_groups[] = { NULL };
	req.groups = no_groups;
	ck_assert_int_gt(xmlauth_write_auth_request(buf, sizeof(buf), &req), 0);
	ck_assert_ptr_null(strstr(buf, "<select"));

	ck_assert_int_eq(xmlauth_write_auth_request(NULL, 10, &req), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_write_auth_request(buf, sizeof(buf), NULL), XMLAUTH_ERR_INVAL);
}
END_TEST

static const char want_complete[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<config-auth client=\"vpn\" type=\"complete\" aggregate-auth-version=\"2\">\n"
	"<version who=\"sg\">0.1</version>\n"
	"<auth id=\"success\">\n"
	"<title>SSL VPN Service</title>\n"
	"</auth>\n"
	"</config-auth>\n";

START_TEST(test_write_complete)
{
	char buf[1024];
	struct xmlauth_complete c = { .server_version = "0.1" };
	int n = xmlauth_write_complete(buf, sizeof(buf), &c);

	ck_assert_int_eq(n, (int)strlen(want_complete));
	ck_assert_str_eq(buf, want_complete);
	for (size_t sz = 0; sz <= (size_t)n; sz++)
		ck_assert_int_eq(xmlauth_write_complete(buf, sz, &c), XMLAUTH_ERR_NO_SPACE);

	c.title = "Welcome & hello";
	c.banner = "Authorised <users> only";
	ck_assert_int_gt(xmlauth_write_complete(buf, sizeof(buf), &c), 0);
	ck_assert_ptr_nonnull(strstr(buf, "<auth id=\"success\">\n<title>Welcome &amp; hello"
				     "</title>\n<banner>Authorised &lt;users&gt; only"
				     "</banner>\n</auth>\n"));
	/* user-profile: the manifest after the auth element */
	c.profile_uri = "/profiles/corp.xml";
	c.profile_sha1 = "0123456789abcdef0123456789abcdef01234567";
	ck_assert_int_gt(xmlauth_write_complete(buf, sizeof(buf), &c), 0);
	ck_assert_ptr_nonnull(strstr(buf, "</auth>\n<config client=\"vpn\" type=\"private\">\n"
				     "<vpn-profile-manifest>\n<vpn rev=\"1.0\">\n"
				     "<file type=\"profile\" service-type=\"user\">\n"
				     "<uri>/profiles/corp.xml</uri>\n<hash type=\"sha1\">"
				     "0123456789abcdef0123456789abcdef01234567</hash>\n</file>\n"
				     "</vpn>\n</vpn-profile-manifest>\n</config>\n</config-auth>\n"));
	c.banner = "\x01";
	ck_assert_int_eq(xmlauth_write_complete(buf, sizeof(buf), &c), XMLAUTH_ERR_CHAR);
	ck_assert_int_eq(xmlauth_write_complete(buf, sizeof(buf), NULL), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_write_complete(NULL, 0, &c), XMLAUTH_ERR_INVAL);
}
END_TEST

/* Escaped text parses back to itself. */
static const char *const roundtrip_texts[] = {
	"", "plain", " lead and trail ", "&<>\"'", "a\r\nb\rc\nd\te",
	"]]>", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "&amp;literal",
	"<![CDATA[x]]>", "<!-- not a comment -->",
};

START_TEST(test_escape_roundtrip)
{
	const char *text = roundtrip_texts[_i];
	char esc[1024], doc[4096];
	int n = xmlauth_escape(esc, sizeof(esc), text);

	ck_assert_int_ge(n, (int)strlen(text));
	snprintf(doc, sizeof(doc), "<config-auth type=\"auth-reply\"><auth>"
		 "<username>%s</username><password>%s</password></auth></config-auth>",
		 esc, esc);
	ck_assert_int_eq(parse(doc), XMLAUTH_OK);
	ck_assert_str_eq(X->username.text, text);
	ck_assert_str_eq(X->password.text, text);
	ck_assert_uint_eq(X->password.len, strlen(text));
	/* And inside an attribute value. */
	snprintf(doc, sizeof(doc), "<config-auth type=\"init\" a=\"%s\" b='%s'/>", esc, esc);
	ck_assert_int_eq(parse(doc), XMLAUTH_OK);
}
END_TEST

START_TEST(test_escape_errors)
{
	char buf[16];

	ck_assert_int_eq(xmlauth_escape(buf, 11, "&&"), 10);
	ck_assert_str_eq(buf, "&amp;&amp;");
	ck_assert_int_eq(xmlauth_escape(buf, 10, "&&"), XMLAUTH_ERR_NO_SPACE);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(xmlauth_escape(buf, 0, "&&"), XMLAUTH_ERR_NO_SPACE);
	ck_assert_int_eq(xmlauth_escape(buf, sizeof(buf), ""), 0);
	ck_assert_int_eq(xmlauth_escape(buf, sizeof(buf), "\x7f"), 1); /* DEL is an XML Char */
	ck_assert_int_eq(xmlauth_escape(buf, sizeof(buf), "\x0b"), XMLAUTH_ERR_CHAR);
	ck_assert_int_eq(xmlauth_escape(buf, sizeof(buf), "\xed\xa0\x80"), XMLAUTH_ERR_CHAR);
	ck_assert_int_eq(xmlauth_escape(buf, sizeof(buf), NULL), XMLAUTH_ERR_INVAL);
	ck_assert_int_eq(xmlauth_escape(NULL, sizeof(buf), "x"), XMLAUTH_ERR_INVAL);
}
END_TEST

static Suite *xmlauth_suite(void)
{
	Suite *s = suite_create("xmlauth");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_auth_reply);
	tcase_add_test(tc, test_char_refs);
	tcase_add_test(tc, test_char_refs_ok);
	tcase_add_test(tc, test_text_forms);
	tcase_add_test(tc, test_empty_fields);
	tcase_add_test(tc, test_only_direct_children);
	tcase_add_test(tc, test_attributes);
	tcase_add_test(tc, test_form);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_elements);
	tcase_add_test(tc, test_attrs);
	tcase_add_test(tc, test_text_limit);
	tcase_add_test(tc, test_form_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_error_clears_result);
	tcase_add_test(tc, test_nul_in_body);
	tcase_add_test(tc, test_inval);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_request);
	tcase_add_test(tc, test_write_request_options);
	tcase_add_test(tc, test_write_complete);
	tcase_add_loop_test(tc, test_escape_roundtrip, 0,
			    sizeof(roundtrip_texts) / sizeof(roundtrip_texts[0]));
	tcase_add_test(tc, test_escape_errors);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(xmlauth_suite)
