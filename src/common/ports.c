/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * restrict-user-to-ports: the parser of ocserv's port list and the check of
 * one packet against it (ports.h).
 */
#include "config.h"

#include "common/ports.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	uint8_t proto;
	bool port;         /* takes a port */
} protos[] = {
	{ "tcp", PORTS_TCP, true },
	{ "udp", PORTS_UDP, true },
	{ "sctp", PORTS_SCTP, true },
	{ "icmp", PORTS_ICMP, false },
	{ "icmpv6", PORTS_ICMPV6, false },
};

#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *s)
{
	while (blank(*s))
		s++;
	return s;
}

/* The protocol table entry whose name is s[0..n), or -1. */
static int proto_index(const char *s, size_t n)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (strlen(protos[i].name) == n && strncasecmp(protos[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

/* One item "name(port)" or "name()" at *sp; *sp moves past it. */
static int parse_item(const char **sp, struct ports_rule *r, char *err, size_t errlen)
{
	const char *s = *sp, *name = s;
	unsigned long port = 0;
	int pi;

	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
		s++;
	if (s == name)
		return fail(err, errlen, "expected a protocol (tcp, udp, sctp, icmp, icmpv6) at '%.20s'",
			    name);
	pi = proto_index(name, (size_t)(s - name));
	if (pi < 0)
		return fail(err, errlen, "unknown protocol '%.*s' (tcp, udp, sctp, icmp, icmpv6)",
			    (int)(s - name) > 20 ? 20 : (int)(s - name), name);
	s = skip_blanks(s);
	if (*s++ != '(')
		return fail(err, errlen, "%s: expected '(' after the protocol", protos[pi].name);
	s = skip_blanks(s);
	if (*s >= '0' && *s <= '9' && !protos[pi].port)
		return fail(err, errlen, "%s() takes no port", protos[pi].name);
	while (*s >= '0' && *s <= '9') {
		port = port * 10 + (unsigned long)(*s++ - '0');
		if (port > 65535)
			return fail(err, errlen, "%s: port above 65535", protos[pi].name);
	}
	if (protos[pi].port && port == 0)
		return fail(err, errlen, "%s: expected a port 1..65535, e.g. %s(443)", protos[pi].name,
			    protos[pi].name);
	s = skip_blanks(s);
	if (*s++ != ')')
		return fail(err, errlen, "%s: expected ')' after %s", protos[pi].name,
			    protos[pi].port ? "the port" : "'('");
	r->proto = protos[pi].proto;
	r->port = (uint16_t)port;
	*sp = s;
	return 0;
}

/* The items of s up to its end (or to the ')' closing "!(" when neg). */
static int parse_items(const char *s, bool neg, struct ports_filter *out, char *err, size_t errlen)
{
	for (;;) {
		s = skip_blanks(s);
		while (*s == ',' || blank(*s))
			s++;
		if (*s == '\0' || (neg && *s == ')'))
			break;
		if (out->n == PORTS_MAX_RULES)
			return fail(err, errlen, "more than %d items", PORTS_MAX_RULES);
		if (parse_item(&s, &out->rules[out->n], err, errlen) < 0)
			return -EINVAL;
		out->n++;
		if (*s != ',' && *s != '\0' && !(neg && *s == ')') && !blank(*s))
			return fail(err, errlen, "expected ',' between items at '%.20s'", s);
	}
	if (neg) {
		if (*s != ')')
			return fail(err, errlen, "'!(' without its closing ')'");
		s = skip_blanks(s + 1);
		if (*s != '\0')
			return fail(err, errlen, "text after the closing ')': '%.20s'", s);
	}
	if (out->n == 0)
		return fail(err, errlen, "no protocol given (e.g. tcp(443), udp(53), icmp())");
	return 0;
}

int ports_parse(const char *text, struct ports_filter *out, char *err, size_t errlen)
{
	const char *s = skip_blanks(text);

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (*s == '!') {
		s = skip_blanks(s + 1);
		if (*s != '(')
			return fail(err, errlen, "expected '(' after '!': !(tcp(443), ...)");
		out->negate = true;
		s++;
	}
	if (parse_items(s, out->negate, out, err, errlen) < 0) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < N_PROTOS; i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return "?";
}

int ports_format(const struct ports_filter *f, char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	n = snprintf(buf, len, "%s", f->negate ? "!(" : "");
	for (size_t i = 0; n >= 0 && (size_t)n < len - used && i < f->n; i++) {
		used += (size_t)n;
		if (f->rules[i].port != 0)
			n = snprintf(buf + used, len - used, "%s%s(%u)", i ? ", " : "",
				     proto_name(f->rules[i].proto), f->rules[i].port);
		else
			n = snprintf(buf + used, len - used, "%s%s()", i ? ", " : "",
				     proto_name(f->rules[i].proto));
	}
	if (n >= 0 && (size_t)n < len - used && f->negate) {
		used += (size_t)n;
		n = snprintf(buf + used, len - used, ")");
	}
	if (n < 0 || (size_t)n >= len - used)
		return -ENOSPC;
	return (int)(used + (size_t)n);
}

/* ---- the packet side */

/* IPv6 extension headers we walk past (RFC 8200 §4): hop-by-hop, routing,
 * destination options; the fragment header is handled on its own. */
static bool v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

#define V6_FRAGMENT 44
#define V6_MAX_EXT 8   /* extension headers walked before giving up */

/* The transport header's offset in an IPv6 packet, its protocol in *proto;
 * -1 when the headers are cut short or too many. */
static long v6_transport(const uint8_t *pkt, size_t len, uint8_t *proto, bool *later_frag)
{
	size_t off = 40;
	uint8_t nh = pkt[6];

	for (int i = 0; i < V6_MAX_EXT; i++) {
		if (nh == V6_FRAGMENT) {
			if (off + 8 > len)
				return -1;
			/* offset (13 bits) in bytes 2-3, above the 3 flag bits */
			*later_frag = ((pkt[off + 2] << 8 | pkt[off + 3]) & 0xfff8) != 0;
			nh = pkt[off];
			off += 8;
		} else if (v6_ext(nh)) {
			if (off + 8 > len)
				return -1;
			nh = pkt[off];
			off += 8 + (size_t)pkt[off + 1] * 8;
		} else {
			*proto = nh;
			return (long)off;
		}
	}
	return -1;
}

void ports_packet_l4(const uint8_t *pkt, size_t len, struct ports_l4 *out)
{
	long off = -1;

	memset(out, 0, sizeof(*out));
	if (len >= 20 && pkt[0] >> 4 == 4 && (pkt[0] & 0x0f) >= 5) {
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;

		out->proto = pkt[9];
		out->later_fragment = ((pkt[6] << 8 | pkt[7]) & 0x1fff) != 0;
		off = ihl <= len ? (long)ihl : -1;
		out->ip = off >= 0;
	} else if (len >= 40 && pkt[0] >> 4 == 6) {
		off = v6_transport(pkt, len, &out->proto, &out->later_fragment);
		out->ip = off >= 0;
	}
	if (!out->ip || out->later_fragment)
		return;
	if ((out->proto == PORTS_TCP || out->proto == PORTS_UDP || out->proto == PORTS_SCTP) &&
	    (size_t)off + 4 <= len) {
		out->has_port = true;
		out->dport = (uint16_t)(pkt[off + 2] << 8 | pkt[off + 3]);
	}
}

/* An item of f that the packet l matches. */
static bool matches(const struct ports_filter *f, const struct ports_l4 *l)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct ports_rule *r = &f->rules[i];

		if (r->proto != l->proto)
			continue;
		if (r->port == 0 || l->later_fragment || (l->has_port && r->port == l->dport))
			return true;
	}
	return false;
}

bool ports_allow(const struct ports_filter *f, const uint8_t *pkt, size_t len)
{
	struct ports_l4 l;

	ports_packet_l4(pkt, len, &l);
	if (!l.ip)
		return f->negate;
	if (f->negate)
		return l.later_fragment || !matches(f, &l);
	return matches(f, &l);
}
