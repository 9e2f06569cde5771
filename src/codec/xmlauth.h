/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_XMLAUTH_H
#define OCSM_XMLAUTH_H

/*
 * The aggregate-auth login bodies (doc/spec/interop.md §1.2): a strict, bounded
 * parser for what the client POSTs, and writers for what the server answers.
 *
 * Client → server, parsed by xmlauth_parse():
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <config-auth client="vpn" type="init|auth-reply" aggregate-auth-version="2">
 *     <version who="vpn">v9.01-3</version>
 *     <device-id>linux-64</device-id>
 *     <group-access>https://gw/</group-access>
 *     <group-select>staff</group-select>              (optional)
 *     <auth><username>u</username><password>p</password></auth>  (auth-reply)
 *   </config-auth>
 *
 * or, as ocserv also accepts, a form-urlencoded body
 * `username=u&password=p[&group_list=g]` (%XX and '+' decoded).
 *
 * Extracted: the root's type attribute; the text of the root's children
 * version, device-id, group-access, group-select; the text of the children
 * username and password of the root's <auth>. Every other element
 * (capabilities, opaque, ...) is checked for well-formedness and skipped.
 * Text is entity-decoded (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;), CDATA
 * sections are included, comments are skipped, line ends are normalised to
 * LF as XML requires; nothing is trimmed (a password may begin or end with
 * a space).
 *
 * Strict: the input must be UTF-8 made of XML characters; no DTD (so no
 * entity expansion of any kind); one root; matching end tags; no duplicate
 * attribute in an element; no extracted field twice; no element inside an
 * extracted field; nesting depth <= 16, <= 256 elements, <= 32 attributes
 * per element, each text run, attribute value and extracted field
 * <= 4096 bytes after decoding.
 */

#include <stdbool.h>
#include <stddef.h>

#define XMLAUTH_MAX_DEPTH 16u
#define XMLAUTH_MAX_ELEMENTS 256u
#define XMLAUTH_MAX_ATTRS 32u
#define XMLAUTH_MAX_TEXT 4096u

enum xmlauth_type {
	XMLAUTH_TYPE_NONE = 0,
	XMLAUTH_TYPE_INIT,       /* config-auth type="init" */
	XMLAUTH_TYPE_AUTH_REPLY, /* config-auth type="auth-reply" */
	XMLAUTH_TYPE_FORM,       /* form-urlencoded body */
};

enum xmlauth_err {
	XMLAUTH_OK = 0,
	XMLAUTH_ERR_EMPTY = -1,         /* empty or whitespace-only body */
	XMLAUTH_ERR_SYNTAX = -2,        /* malformed markup */
	XMLAUTH_ERR_TRUNCATED = -3,     /* body ends inside markup or an element */
	XMLAUTH_ERR_MISMATCH = -4,      /* end tag does not match its start tag */
	XMLAUTH_ERR_ENTITY = -5,        /* unknown or malformed entity reference */
	XMLAUTH_ERR_CHAR = -6,          /* bad UTF-8, NUL, control or non-XML character */
	XMLAUTH_ERR_DTD = -7,           /* <!DOCTYPE>: not accepted */
	XMLAUTH_ERR_DEPTH = -8,         /* nesting deeper than 16 */
	XMLAUTH_ERR_ELEMENTS = -9,      /* more than 256 elements */
	XMLAUTH_ERR_ATTRS = -10,        /* more than 32 attributes on an element */
	XMLAUTH_ERR_TEXT_TOO_LONG = -11, /* a text or value over 4096 bytes */
	XMLAUTH_ERR_ROOT = -12,         /* no root, root not config-auth, or content after it */
	XMLAUTH_ERR_TYPE = -13,         /* type attribute missing or not init/auth-reply */
	XMLAUTH_ERR_DUPLICATE = -14,    /* attribute or extracted field given twice */
	XMLAUTH_ERR_NESTED = -15,       /* element inside an extracted text field */
	XMLAUTH_ERR_FORM = -16,         /* bad %XX escape in a form-urlencoded body */
	XMLAUTH_ERR_NO_SPACE = -17,     /* writer: output buffer too small */
	XMLAUTH_ERR_INVAL = -18,        /* NULL argument */
};

/* One extracted text. */
struct xmlauth_field {
	bool present;                      /* the element (or form key) was there */
	size_t len;                        /* bytes in text, excluding the NUL */
	char text[XMLAUTH_MAX_TEXT + 1];   /* decoded, NUL-terminated (no NUL inside) */
};

/* The parse result (~25 KiB: allocate it, or keep one per worker). */
struct xmlauth {
	enum xmlauth_type type;
	struct xmlauth_field version;      /* <version> text; not in forms */
	struct xmlauth_field device_id;    /* <device-id>; not in forms */
	struct xmlauth_field group_access; /* <group-access>; not in forms */
	struct xmlauth_field group_select; /* <group-select>, form key group_list */
	struct xmlauth_field username;     /* <auth><username>, form key username */
	struct xmlauth_field password;     /* <auth><password>, form key password */
};

/* Text for an enum xmlauth_err code ("unknown error" otherwise). */
const char *xmlauth_strerror(int code);
/* "none", "init", "auth-reply", "form". */
const char *xmlauth_type_str(enum xmlauth_type type);

/* Parse a login body: XML if its first byte after an optional UTF-8 BOM and
 * whitespace is '<', else form-urlencoded from that byte on. Returns
 * XMLAUTH_OK with *out filled, or a negative XMLAUTH_ERR_*; on error *out is
 * emptied (type NONE, nothing present).
 *
 * Form bodies: pairs split on '&', key and value at the first '=', '+' and
 * %XX decoded; keys username, password, group_list (into group_select) are
 * kept, others checked for bad escapes and ignored; raw CR/LF at the end of
 * the body are dropped (encoded ones, %0D %0A, are kept); a kept key twice is
 * XMLAUTH_ERR_DUPLICATE; decoded values obey the XML character rules
 * (XMLAUTH_ERR_CHAR for %00 and control characters but TAB, CR, LF). */
int xmlauth_parse(const char *body, size_t len, struct xmlauth *out);
/* The two parsers on their own, same contract. */
int xmlauth_parse_xml(const char *body, size_t len, struct xmlauth *out);
int xmlauth_parse_form(const char *body, size_t len, struct xmlauth *out);

/* The server's auth-request form. Every string is XML-escaped on output. */
struct xmlauth_request {
	const char *server_version; /* <version who="sg">; NULL: PACKAGE_VERSION */
	const char *message;        /* NULL: "Please enter your username and password." */
	const char *error;          /* NULL: no <error> (e.g. "Login failed.") */
	const char *banner;         /* NULL: no <banner> */
	bool password_only;         /* omit the username input (later rounds) */
	const char *password_label; /* NULL: "Password:" */
	/* Optional group choice: NULL-terminated list, NULL or empty = none.
	 * Each becomes <option>; the client answers with <group-select>. */
	const char *const *groups;
};

/* The success body: config-auth type="complete" with <auth id="success">. */
struct xmlauth_complete {
	const char *server_version; /* NULL: PACKAGE_VERSION */
	const char *title;          /* NULL: "SSL VPN Service" */
	const char *banner;         /* NULL: no <banner> */
	const char *profile_uri;    /* user-profile: its download path; NULL: none */
	const char *profile_sha1;   /* ... and its SHA-1 in hex (with profile_uri) */
};

/* Writers: write the whole body, NUL-terminated, into buf. Return its length
 * (without the NUL), XMLAUTH_ERR_NO_SPACE (buf too small: buf then holds an
 * empty string if buf_len > 0), XMLAUTH_ERR_CHAR (a string is not UTF-8
 * text made of XML characters) or XMLAUTH_ERR_INVAL. */
int xmlauth_write_auth_request(char *buf, size_t buf_len,
			       const struct xmlauth_request *req);
int xmlauth_write_complete(char *buf, size_t buf_len,
			   const struct xmlauth_complete *c);

/* XML-escape text (& < > " ' and CR) into buf, NUL-terminated; same return
 * values as the writers. Usable in element text and quoted attributes. */
int xmlauth_escape(char *buf, size_t buf_len, const char *text);

#endif
