/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* The PROXY protocol header, versions 1 and 2 (proxy.h). */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "codec/proxy.h"

static const uint8_t v2_signature[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					  0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
static const char v1_signature[] = "PROXY ";

enum { V2_CMD_LOCAL = 0, V2_CMD_PROXY = 1 };
enum { V2_FAM_INET = 1, V2_FAM_INET6 = 2 };
enum { V2_PROTO_STREAM = 1 };

/* Does buf[0..n) start like sig[0..sig_len)? (as far as n goes) */
static bool prefix_matches(const uint8_t *buf, size_t n, const void *sig, size_t sig_len)
{
	return memcmp(buf, sig, n < sig_len ? n : sig_len) == 0;
}

/* Put address bytes and a port (host order) into a socket address. */
static socklen_t set_addr(struct sockaddr_storage *ss, int family, const void *addr,
			  uint16_t port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, addr, 16);
	sin6->sin6_port = htons(port);
	return sizeof(*sin6);
}

/* --- version 1 ------------------------------------------------------------- */

/* A port: 1 to 5 decimal digits, no leading zero (but "0"), at most 65535. */
static bool v1_port(const char *s, uint16_t *out)
{
	size_t len = strlen(s);
	unsigned long v = 0;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* Split line (NUL-terminated, modified) at single spaces into at most max
 * fields; an empty field (two spaces, a space at either end) is an error. */
static int v1_split(char *line, char **field, int max)
{
	int n = 0;

	for (char *p = line;;) {
		char *sp = strchr(p, ' ');

		if (n == max || *p == '\0' || p == sp)
			return -1;
		field[n++] = p;
		if (sp == NULL)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

/* The whole line buf[0..len), CRLF included. */
static int v1_line(const uint8_t *buf, size_t len, struct proxy_header *out)
{
	char line[PROXY_V1_MAX + 1];
	char *f[6];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int family, n;

	memcpy(line, buf, len - 2);
	line[len - 2] = '\0';
	n = v1_split(line, f, 6);
	if (n >= 2 && strcmp(f[1], "UNKNOWN") == 0)
		return PROXY_E_FAMILY;
	if (n != 6)
		return PROXY_E_MALFORMED;
	if (strcmp(f[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		family = AF_INET6;
	else
		return PROXY_E_MALFORMED;
	if (inet_pton(family, f[2], src) != 1 || inet_pton(family, f[3], dst) != 1 ||
	    !v1_port(f[4], &sport) || !v1_port(f[5], &dport))
		return PROXY_E_MALFORMED;
	out->version = 1;
	out->src_len = set_addr(&out->src, family, src, sport);
	out->dst_len = set_addr(&out->dst, family, dst, dport);
	out->len = len;
	return PROXY_OK;
}

static int parse_v1(const uint8_t *buf, size_t n, struct proxy_header *out)
{
	size_t sig_len = sizeof(v1_signature) - 1;

	if (!prefix_matches(buf, n, v1_signature, sig_len))
		return PROXY_E_NOT_PROXY;
	for (size_t i = sig_len; i < n && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\r') {
			if (i + 1 < n && buf[i + 1] != '\n')
				return PROXY_E_MALFORMED;
			if (i + 1 < n)
				return i + 2 <= PROXY_V1_MAX ? v1_line(buf, i + 2, out)
							     : PROXY_E_MALFORMED;
		} else if (buf[i] < 0x20 || buf[i] > 0x7e) {
			return PROXY_E_MALFORMED; /* a bare LF among them */
		}
	}
	/* no CRLF yet: only a line that can still end within the limit */
	return n >= PROXY_V1_MAX ? PROXY_E_MALFORMED : PROXY_NEED_MORE;
}

/* --- version 2 ------------------------------------------------------------- */

/* The TLVs in buf[0..len) follow one another exactly to the end. */
static bool v2_tlvs_fit(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 3)
			return false;
		off += 3 + ((size_t)buf[off + 1] << 8 | buf[off + 2]);
		if (off > len)
			return false;
	}
	return true;
}

static int parse_v2(const uint8_t *buf, size_t n, struct proxy_header *out)
{
	unsigned cmd, fam;
	size_t len, addr_len;
	const uint8_t *a;

	if (!prefix_matches(buf, n, v2_signature, sizeof(v2_signature)))
		return PROXY_E_NOT_PROXY;
	if (n < PROXY_V2_FIXED)
		return PROXY_NEED_MORE;
	cmd = buf[12] & 0x0f;
	if (buf[12] >> 4 != 2 || (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY))
		return PROXY_E_VERSION;
	len = (size_t)buf[14] << 8 | buf[15];
	if (PROXY_V2_FIXED + len > PROXY_HEADER_MAX)
		return PROXY_E_TOO_LONG;
	fam = buf[13] >> 4;
	addr_len = fam == V2_FAM_INET ? 12 : 36;
	if (cmd == V2_CMD_PROXY) {
		/* refused as soon as it is known, not when the rest came */
		if ((fam != V2_FAM_INET && fam != V2_FAM_INET6) ||
		    (buf[13] & 0x0f) != V2_PROTO_STREAM)
			return PROXY_E_FAMILY;
		if (len < addr_len)
			return PROXY_E_MALFORMED;
	}
	if (n < PROXY_V2_FIXED + len)
		return PROXY_NEED_MORE;
	out->version = 2;
	out->len = PROXY_V2_FIXED + len;
	if (cmd == V2_CMD_LOCAL) {
		/* the front's own connection: whatever follows is ignored */
		out->local = true;
		return PROXY_OK;
	}
	if (!v2_tlvs_fit(buf + PROXY_V2_FIXED + addr_len, len - addr_len))
		return PROXY_E_MALFORMED;
	a = buf + PROXY_V2_FIXED;
	if (fam == V2_FAM_INET) {
		out->src_len = set_addr(&out->src, AF_INET, a, (uint16_t)(a[8] << 8 | a[9]));
		out->dst_len = set_addr(&out->dst, AF_INET, a + 4, (uint16_t)(a[10] << 8 | a[11]));
	} else {
		out->src_len = set_addr(&out->src, AF_INET6, a, (uint16_t)(a[32] << 8 | a[33]));
		out->dst_len = set_addr(&out->dst, AF_INET6, a + 16,
					(uint16_t)(a[34] << 8 | a[35]));
	}
	return PROXY_OK;
}

/* --- both -------------------------------------------------------------------- */

int proxy_parse(const uint8_t *buf, size_t n, struct proxy_header *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return PROXY_NEED_MORE;
	if (buf[0] == (uint8_t)v1_signature[0])
		return parse_v1(buf, n, out);
	if (buf[0] == v2_signature[0])
		return parse_v2(buf, n, out);
	return PROXY_E_NOT_PROXY;
}

const char *proxy_strerror(int status)
{
	switch (status) {
	case PROXY_OK:
		return "a PROXY header";
	case PROXY_NEED_MORE:
		return "an incomplete PROXY header";
	case PROXY_E_NOT_PROXY:
		return "no PROXY header";
	case PROXY_E_MALFORMED:
		return "malformed PROXY header";
	case PROXY_E_FAMILY:
		return "PROXY header with an unsupported address family or protocol";
	case PROXY_E_VERSION:
		return "PROXY header of an unsupported version or command";
	case PROXY_E_TOO_LONG:
		return "PROXY header longer than 1024 bytes";
	default:
		return "unknown error";
	}
}
