/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "worker/worker-connect.h"

#include "codec/dtls-legacy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned min_known(unsigned a, unsigned b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

struct cstp_mtu cstp_mtu_compute(unsigned link_mtu, unsigned client_base_mtu,
				 unsigned tcp_pmtu, bool tcp_over_ipv6,
				 unsigned tls_overhead)
{
	unsigned base = link_mtu != 0 ? link_mtu : CSTP_LINK_MTU_DEFAULT;
	unsigned overhead;
	struct cstp_mtu m;

	base = min_known(base, client_base_mtu);
	base = min_known(base, tcp_pmtu);
	if (base < CSTP_LINK_MTU_MIN)
		base = CSTP_LINK_MTU_MIN;

	overhead = (tcp_over_ipv6 ? CSTP_IPV6_HDR : CSTP_IPV4_HDR) + CSTP_TCP_HDR + CSTP_HDR;
	/* A bogus overhead must not wrap the result: it may take at most half
	 * of the link. */
	if (tls_overhead > base / 2)
		tls_overhead = base / 2;
	m.base = base;
	m.data = base - overhead - tls_overhead;
	if (m.data > CSTP_MTU_MAX)
		m.data = CSTP_MTU_MAX;
	return m;
}

struct cstp_mtu dtls_mtu_compute(unsigned link_mtu, unsigned client_base_mtu,
				 unsigned tcp_pmtu, bool ipv6, unsigned dtls_overhead)
{
	unsigned base = link_mtu != 0 ? link_mtu : CSTP_LINK_MTU_DEFAULT;
	unsigned ip = ipv6 ? CSTP_IPV6_HDR : CSTP_IPV4_HDR;
	struct cstp_mtu m;

	base = min_known(base, client_base_mtu);
	base = min_known(base, tcp_pmtu);
	if (base < CSTP_LINK_MTU_MIN)
		base = CSTP_LINK_MTU_MIN;
	/* As for CSTP: a bogus overhead takes at most half of the link. */
	if (dtls_overhead > base / 2)
		dtls_overhead = base / 2;
	m.base = base;
	m.data = base - ip - DTLS_UDP_HDR - dtls_overhead - DTLS_TYPE_HDR;
	if (m.data > CSTP_MTU_MAX)
		m.data = CSTP_MTU_MAX;
	return m;
}

bool dtls_psk_offered(const char *ciphersuites)
{
	return dtls_cipher_list_has(ciphersuites, "PSK-NEGOTIATE");
}

/* --- the header block ---------------------------------------------------- */

struct out {
	char *buf;
	size_t size;
	size_t len;
	int err;	/* first error, sticky */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->err = -EINVAL;
		return;
	}
	if ((size_t)n >= o->size - o->len) {
		o->err = -ENOSPC;
		return;
	}
	o->len += (size_t)n;
}

/* Header values come from the config file and main: refuse anything that
 * could end a header line or smuggle a second one. */
static bool safe_value(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static void put_str(struct out *o, const char *name, const char *value)
{
	if (o->err != 0)
		return;
	if (!safe_value(value)) {
		o->err = -EINVAL;
		return;
	}
	put(o, "%s: %s\r\n", name, value);
}

/* "none" for 0, else the number. */
static void put_secs_or_none(struct out *o, const char *name, unsigned v)
{
	if (v == 0)
		put(o, "%s: none\r\n", name);
	else
		put(o, "%s: %u\r\n", name, v);
}

static bool is_default_route(const char *r)
{
	return strcmp(r, "default") == 0 || strcmp(r, "0.0.0.0/0") == 0 ||
	       strcmp(r, "0.0.0.0/0.0.0.0") == 0 || strcmp(r, "::/0") == 0;
}

/*
 * One Split-Include/Exclude header for route r ("net/mask" or "net/prefix",
 * IPv4 or IPv6). IPv4 prefixes become dotted masks, the form Cisco
 * gateways send; IPv6 routes go to the -IP6 variant as addr/prefix.
 */
static void put_route(struct out *o, const char *name, const char *r)
{
	char net[INET6_ADDRSTRLEN], mask_txt[INET_ADDRSTRLEN];
	const char *slash, *mask;
	struct in6_addr a6;
	struct in_addr a4, m4;
	size_t nlen;
	char *end;
	long prefix;

	if (o->err != 0)
		return;
	if (!safe_value(r))
		goto bad;
	if (is_default_route(r))
		return;
	slash = strchr(r, '/');
	if (slash == NULL || slash == r)
		goto bad;
	nlen = (size_t)(slash - r);
	if (nlen >= sizeof(net))
		goto bad;
	memcpy(net, r, nlen);
	net[nlen] = '\0';
	mask = slash + 1;

	if (inet_pton(AF_INET, net, &a4) == 1) {
		if (inet_pton(AF_INET, mask, &m4) == 1) {
			put(o, "%s: %s/%s\r\n", name, net, mask);
			return;
		}
		errno = 0;
		prefix = strtol(mask, &end, 10);
		if (*mask == '\0' || *end != '\0' || errno != 0 || prefix < 0 || prefix > 32)
			goto bad;
		if (prefix == 0)
			return;		/* a /0 is the default route */
		m4.s_addr = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
		inet_ntop(AF_INET, &m4, mask_txt, sizeof(mask_txt));
		put(o, "%s: %s/%s\r\n", name, net, mask_txt);
		return;
	}
	if (inet_pton(AF_INET6, net, &a6) == 1) {
		errno = 0;
		prefix = strtol(mask, &end, 10);
		if (*mask == '\0' || *end != '\0' || errno != 0 || prefix < 0 || prefix > 128)
			goto bad;
		if (prefix == 0)
			return;
		put(o, "%s-IP6: %s/%ld\r\n", name, net, prefix);
		return;
	}
bad:
	o->err = -EINVAL;
}

/* The X-DTLS-* block: PSK-NEGOTIATE (doc/spec/interop.md §6.2) or the
 * legacy resume (§6.4), whose ID is the session_id the client resumes. */
static void put_dtls(struct out *o, const struct cstp_reply *r)
{
	static const char hex[] = "0123456789abcdef";
	char id[CSTP_APP_ID_HEX_MAX + 1];
	bool legacy = r->dtls.legacy_cipher != NULL;

	if (r->dtls.port == 0 || r->dtls.port > 65535 || r->dtls.app_id == NULL ||
	    r->dtls.app_id_len == 0 || r->dtls.app_id_len * 2 > CSTP_APP_ID_HEX_MAX ||
	    (legacy && (r->dtls.app_id_len != DTLS_LEGACY_SESSION_ID_LEN ||
			!safe_value(r->dtls.legacy_cipher)))) {
		o->err = -EINVAL;
		return;
	}
	for (size_t i = 0; i < r->dtls.app_id_len; i++) {
		id[2 * i] = hex[r->dtls.app_id[i] >> 4];
		id[2 * i + 1] = hex[r->dtls.app_id[i] & 0xf];
	}
	id[2 * r->dtls.app_id_len] = '\0';
	if (r->dtls.dpd_s != 0)
		put(o, "X-DTLS-DPD: %u\r\n", r->dtls.dpd_s);
	put(o, "X-DTLS-Port: %u\r\n", r->dtls.port);
	/* 10 s after the CSTP rekey, as ocserv, and no X-DTLS-Rekey-Method:
	 * the client's DTLS rekey method stays none, so the CSTP new-tunnel
	 * rekey (a new App-ID) re-handshakes DTLS from a new port first, and
	 * a DTLS "new-tunnel" rekey (which 9.01 only logs) never comes up. */
	if (r->rekey_time_s != 0)
		put(o, "X-DTLS-Rekey-Time: %u\r\n",
		    r->rekey_time_s > UINT_MAX - 10 ? UINT_MAX : r->rekey_time_s + 10);
	put(o, "X-DTLS-Keepalive: %u\r\n", r->dtls.keepalive_s);
	if (!legacy) {
		put(o, "X-DTLS-App-ID: %s\r\n", id);
		put(o, "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n");
		return;
	}
	put(o, "X-DTLS-Session-ID: %s\r\n", id);
	put(o, "%s: %s\r\n", r->dtls.legacy_dtls12 ? "X-DTLS12-CipherSuite" : "X-DTLS-CipherSuite",
	    r->dtls.legacy_cipher);
	/* The client makes its DTLS data MTU the tunnel MTU + 1 in this mode
	 * (doc/spec/interop.md §6.4, §6.7): the same value as X-CSTP-MTU. */
	put(o, "X-DTLS-MTU: %u\r\n", r->mtu.data);
}

/* An IPv6 value (an address or a route): it has a ':'. */
static bool is_v6(const char *v)
{
	return strchr(v, ':') != NULL;
}

/* The headers of a list of addresses or routes, IPv6 ones left out for a
 * client that wants no IPv6. */
static void put_list(struct out *o, const char *name, const char *const *v, size_t n,
		     bool route, bool no_ipv6)
{
	for (size_t i = 0; i < n; i++) {
		if (no_ipv6 && is_v6(v[i]))
			continue;
		if (route)
			put_route(o, name, v[i]);
		else
			put_str(o, name, v[i]);
	}
}

/* The client's IPv6 address (doc/spec/interop.md §2.2). */
static void put_ipv6(struct out *o, const struct cstp_reply *r)
{
	struct in6_addr a;

	if (r->ipv6 == NULL)
		return;
	if (inet_pton(AF_INET6, r->ipv6, &a) != 1 || r->ipv6_prefix == 0 || r->ipv6_prefix > 128) {
		o->err = -EINVAL;
		return;
	}
	if (r->full_ipv6) {
		put(o, "X-CSTP-Address-IP6: %s/%u\r\n", r->ipv6, r->ipv6_prefix);
	} else {
		put(o, "X-CSTP-Address: %s\r\n", r->ipv6);
		put(o, "X-CSTP-Netmask: %s/%u\r\n", r->ipv6, r->ipv6_prefix);
	}
}

int cstp_connect_reply(char *buf, size_t size, const struct cstp_reply *r)
{
	struct out o = { .buf = buf, .size = size };

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (!safe_value(r->ipv4) || !safe_value(r->ipv4_netmask))
		return -EINVAL;

	/* The client requires these exact 13 bytes first (doc/spec/interop.md §2.2). */
	put(&o, "HTTP/1.1 200 CONNECTED\r\n");
	put(&o, "X-CSTP-Version: 1\r\n");
	if (r->server_name != NULL)
		put_str(&o, "X-CSTP-Server-Name", r->server_name);
	if (r->hostname != NULL)
		put_str(&o, "X-CSTP-Hostname", r->hostname);
	if (r->dpd_s != 0)
		put(&o, "X-CSTP-DPD: %u\r\n", r->dpd_s);
	put_str(&o, "X-CSTP-Address", r->ipv4);
	put_str(&o, "X-CSTP-Netmask", r->ipv4_netmask);
	put_ipv6(&o, r);
	put_list(&o, "X-CSTP-DNS", r->dns, r->n_dns, false, r->no_ipv6);
	put_list(&o, "X-CSTP-NBNS", r->nbns, r->n_nbns, false, r->no_ipv6);
	for (size_t i = 0; i < r->n_split_dns; i++)
		put_str(&o, "X-CSTP-Split-DNS", r->split_dns[i]);
	put_list(&o, "X-CSTP-Split-Include", r->routes, r->n_routes, true, r->no_ipv6);
	if (r->tunnel_all_dns)
		put(&o, "X-CSTP-Tunnel-All-DNS: true\r\n");
	put(&o, "X-CSTP-Client-Bypass-Protocol: %s\r\n",
	    r->client_bypass_protocol ? "true" : "false");
	put_list(&o, "X-CSTP-Split-Exclude", r->no_routes, r->n_no_routes, true, r->no_ipv6);
	if (r->default_domain != NULL && r->default_domain[0] != '\0')
		put_str(&o, "X-CSTP-Default-Domain", r->default_domain);
	put(&o, "X-CSTP-Keepalive: %u\r\n", r->keepalive_s);
	put_secs_or_none(&o, "X-CSTP-Idle-Timeout", r->idle_timeout_s);
	if (r->rekey_time_s != 0) {
		put(&o, "X-CSTP-Rekey-Time: %u\r\n", r->rekey_time_s);
		put(&o, "X-CSTP-Rekey-Method: new-tunnel\r\n");
	} else {
		put(&o, "X-CSTP-Rekey-Method: none\r\n");
	}
	put_secs_or_none(&o, "X-CSTP-Session-Timeout", r->session_timeout_s);
	if (r->session_timeout_s != 0)
		put(&o, "X-CSTP-Session-Timeout-Remaining: %u\r\n", r->session_remaining_s);
	else
		put(&o, "X-CSTP-Session-Timeout-Remaining: none\r\n");
	put(&o, "X-CSTP-Disconnected-Timeout: %u\r\n", r->cookie_timeout_s);
	put(&o, "X-CSTP-Keep: true\r\n");
	put(&o, "X-CSTP-TCP-Keepalive: true\r\n");
	put(&o, "X-CSTP-License: accept\r\n");
	if (r->dtls.enabled)
		put_dtls(&o, r);
	put(&o, "X-CSTP-Base-MTU: %u\r\n", r->mtu.base);
	put(&o, "X-CSTP-MTU: %u\r\n", r->mtu.data);
	put(&o, "\r\n");

	if (o.err != 0) {
		buf[0] = '\0';
		return o.err;
	}
	return (int)o.len;
}
