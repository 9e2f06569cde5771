/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* RADIUS reply attributes -> a session's values (radius-map.h). */

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sec-mod/radius-map.h"

static bool get_u32(const struct radius_avp *a, uint32_t *out)
{
	if (a->len != 4)
		return false;
	*out = (uint32_t)a->val[0] << 24 | (uint32_t)a->val[1] << 16 | (uint32_t)a->val[2] << 8 |
	       a->val[3];
	return true;
}

/* A text value as a C string; false when it holds a NUL or is empty. */
static bool get_text(const struct radius_avp *a, char *out, size_t len)
{
	if (a->len == 0 || a->len >= len || memchr(a->val, '\0', a->len) != NULL)
		return false;
	memcpy(out, a->val, a->len);
	out[a->len] = '\0';
	return true;
}

bool radius_group_ok(const char *g, size_t len)
{
	if (len == 0 || len > RADIUS_TEXT_MAX || g[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (g[i] <= ' ' || g[i] > '~' || g[i] == '/')
			return false;
	return true;
}

static void add_group(struct radius_reply *r, const char *g, size_t len)
{
	if (!radius_group_ok(g, len)) {
		r->bad++;
		return;
	}
	for (size_t i = 0; i < r->n_groups; i++)
		if (strlen(r->groups[i]) == len && memcmp(r->groups[i], g, len) == 0)
			return;
	if (r->n_groups == RADIUS_MAX_GROUPS) {
		r->dropped++;
		return;
	}
	memcpy(r->groups[r->n_groups], g, len);
	r->groups[r->n_groups++][len] = '\0';
}

/* Class "OU=g1;OU=g2" (each item may carry spaces around it): the groups. */
static void class_groups(struct radius_reply *r, const uint8_t *v, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i, b, e;

		while (j < len && v[j] != ';')
			j++;
		for (b = i; b < j && v[b] == ' '; b++)
			;
		for (e = j; e > b && v[e - 1] == ' '; e--)
			;
		if (e - b > 3 && strncasecmp((const char *)v + b, "OU=", 3) == 0)
			add_group(r, (const char *)v + b + 3, e - b - 3);
		i = j + 1;
	}
}

/* Framed-Route "NET/PREFIX [GATEWAY [METRIC ...]]" or "NET [...]" (a host);
 * host bits are cleared. IPv4 only (Framed-IPv6-Route is another
 * attribute). */
static bool parse_framed_route(const char *t, struct config_route *out)
{
	char net[INET_ADDRSTRLEN + 4];
	size_t n = strcspn(t, " ");
	char *slash, *end;
	unsigned long pfx = 32;
	struct in_addr a;

	if (n == 0 || n >= sizeof(net))
		return false;
	memcpy(net, t, n);
	net[n] = '\0';
	slash = strchr(net, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return false;
		pfx = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || pfx > 32)
			return false;
	}
	if (inet_pton(AF_INET, net, &a) != 1)
		return false;
	config_route_ipv4(a, (unsigned)pfx, out);
	return true;
}

static void add_message(struct radius_reply *r, const struct radius_avp *a)
{
	size_t used = strlen(r->message);

	if (used > 0 && used + 1 < sizeof(r->message))
		r->message[used++] = '\n';
	for (size_t i = 0; i < a->len && used + 1 < sizeof(r->message); i++) {
		uint8_t c = a->val[i];

		if (c >= ' ' || c == '\n')
			r->message[used++] = (char)c;
	}
	r->message[used] = '\0';
}

static void add_dns(struct radius_reply *r, const struct radius_avp *a)
{
	struct config_addr d = { .family = AF_INET };

	if (a->len != 4) {
		r->bad++;
		return;
	}
	if (r->n_dns == RADIUS_MAX_DNS) {
		r->dropped++;
		return;
	}
	memcpy(&d.addr.v4, a->val, 4);
	inet_ntop(AF_INET, &d.addr.v4, d.text, sizeof(d.text));
	r->dns[r->n_dns++] = d;
	r->set |= RADIUS_HAS_DNS;
}

/* A positive 32-bit seconds value into *dst, its bit into set. */
static void set_seconds(struct radius_reply *r, const struct radius_avp *a, uint32_t *dst,
			uint32_t bit)
{
	uint32_t v;

	if (!get_u32(a, &v) || v == 0 || v > INT32_MAX) {
		r->bad++;
		return;
	}
	*dst = v;
	r->set |= bit;
}

static void map_address(struct radius_reply *r, const struct radius_avp *a, bool netmask)
{
	uint32_t v;

	if (!get_u32(a, &v)) {
		r->bad++;
		return;
	}
	if (netmask) {
		/* a contiguous mask only */
		if (v != 0 && (~v & (~v + 1)) != 0) {
			r->bad++;
			return;
		}
		r->netmask.s_addr = htonl(v);
		r->set |= RADIUS_HAS_NETMASK;
	} else if (v != 0xfffffffeu && v != 0xffffffffu && v != 0) {
		r->ipv4.s_addr = htonl(v);
		r->set |= RADIUS_HAS_IPV4;
	}
}

static void map_class(struct radius_reply *r, const struct radius_avp *a, bool groupconfig)
{
	if (a->len == 0 || a->len > RADIUS_TEXT_MAX) {
		r->bad++;
		return;
	}
	if (r->n_class == RADIUS_MAX_CLASS) {
		r->dropped++;
	} else {
		memcpy(r->cls[r->n_class].v, a->val, a->len);
		r->cls[r->n_class++].len = a->len;
	}
	if (groupconfig)
		class_groups(r, a->val, a->len);
}

static void map_route(struct radius_reply *r, const struct radius_avp *a)
{
	char t[RADIUS_TEXT_MAX + 1];

	if (!get_text(a, t, sizeof(t)) || r->n_routes == RADIUS_MAX_ROUTES ||
	    !parse_framed_route(t, &r->routes[r->n_routes])) {
		if (r->n_routes == RADIUS_MAX_ROUTES)
			r->dropped++;
		else
			r->bad++;
		return;
	}
	r->n_routes++;
	r->set |= RADIUS_HAS_ROUTES;
}

static void map_one(struct radius_reply *r, const struct radius_avp *a, bool groupconfig)
{
	if (a->vendor == RADIUS_VENDOR_MICROSOFT) {
		if (a->type == RADIUS_MS_PRIMARY_DNS || a->type == RADIUS_MS_SECONDARY_DNS)
			add_dns(r, a);
		return;
	}
	if (a->vendor != 0)
		return;
	switch (a->type) {
	case RADIUS_FRAMED_IP_ADDRESS:
	case RADIUS_FRAMED_IP_NETMASK:
		map_address(r, a, a->type == RADIUS_FRAMED_IP_NETMASK);
		break;
	case RADIUS_SESSION_TIMEOUT:
		set_seconds(r, a, &r->session_timeout_s, RADIUS_HAS_SESSION_TIMEOUT);
		break;
	case RADIUS_IDLE_TIMEOUT:
		set_seconds(r, a, &r->idle_timeout_s, RADIUS_HAS_IDLE_TIMEOUT);
		break;
	case RADIUS_ACCT_INTERIM_INTERVAL:
		set_seconds(r, a, &r->interim_s, RADIUS_HAS_INTERIM);
		break;
	case RADIUS_CLASS:
		map_class(r, a, groupconfig);
		break;
	case RADIUS_FILTER_ID:
		if (groupconfig)
			add_group(r, (const char *)a->val, a->len);
		break;
	case RADIUS_FRAMED_ROUTE:
		map_route(r, a);
		break;
	case RADIUS_REPLY_MESSAGE:
		add_message(r, a);
		break;
	case RADIUS_STATE:
		if (a->len == 0 || a->len > RADIUS_TEXT_MAX) {
			r->bad++;
			break;
		}
		memcpy(r->state, a->val, a->len);
		r->state_len = a->len;
		break;
	default:
		break;
	}
}

void radius_reply_map(const struct radius_avp *a, size_t n, bool groupconfig,
		      struct radius_reply *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		map_one(out, &a[i], groupconfig);
}

static int vsa_from_wire(const uint8_t *v, size_t len, struct radius_avp *out, size_t max,
			 size_t n)
{
	uint32_t vendor;
	size_t i = 4;

	if (len < 4)
		return -1;
	vendor = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	while (i < len) {
		if (len - i < 2 || v[i + 1] < 2 || v[i + 1] > len - i)
			return -1;
		if (n < max)
			out[n++] = (struct radius_avp){ .vendor = vendor, .type = v[i],
							.val = v + i + 2, .len = v[i + 1] - 2u };
		i += v[i + 1];
	}
	return (int)n;
}

int radius_avps_from_wire(const uint8_t *buf, size_t len, struct radius_avp *out, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t alen;

		if (len - i < 2 || buf[i + 1] < 2 || buf[i + 1] > len - i)
			return -1;
		alen = buf[i + 1] - 2u;
		if (buf[i] == RADIUS_VENDOR_SPECIFIC) {
			int r = vsa_from_wire(buf + i + 2, alen, out, max, n);

			if (r < 0)
				return -1;
			n = (size_t)r;
		} else if (n < max) {
			out[n++] = (struct radius_avp){ .type = buf[i], .val = buf + i + 2,
							.len = alen };
		}
		i += buf[i + 1];
	}
	return (int)n;
}

enum radius_terminate_cause radius_terminate_cause(enum vpn_end_reason end, bool dropped)
{
	switch (end) {
	case VPN_END_USER_DISCONNECT:
		return RADIUS_TC_USER_REQUEST;
	case VPN_END_IDLE_TIMEOUT:
		return RADIUS_TC_IDLE_TIMEOUT;
	case VPN_END_SESSION_TIMEOUT:
		return RADIUS_TC_SESSION_TIMEOUT;
	case VPN_END_ADMIN_DISCONNECT:
	case VPN_END_ADMIN_TERMINATE:
		return RADIUS_TC_ADMIN_RESET;
	case VPN_END_SERVER_SHUTDOWN:
	case VPN_END_SERVER_RESTART:
		return RADIUS_TC_NAS_REBOOT;
	case VPN_END_SUPERSEDED:
		return RADIUS_TC_NAS_REQUEST;
	case VPN_END_COOKIE_EXPIRED:
		return dropped ? RADIUS_TC_LOST_CARRIER : RADIUS_TC_NAS_REQUEST;
	case VPN_END_DPD_TIMEOUT:
	case VPN_END_TUNNEL_LOST:
	case VPN_END_WORKER_CRASHED:
	case VPN_END_CLIENT_RECONNECTING:
		return RADIUS_TC_LOST_CARRIER;
	default:
		return RADIUS_TC_NAS_ERROR;
	}
}

const char *radius_terminate_cause_str(enum radius_terminate_cause c)
{
	switch (c) {
	case RADIUS_TC_USER_REQUEST: return "User-Request";
	case RADIUS_TC_LOST_CARRIER: return "Lost-Carrier";
	case RADIUS_TC_IDLE_TIMEOUT: return "Idle-Timeout";
	case RADIUS_TC_SESSION_TIMEOUT: return "Session-Timeout";
	case RADIUS_TC_ADMIN_RESET: return "Admin-Reset";
	case RADIUS_TC_NAS_ERROR: return "NAS-Error";
	case RADIUS_TC_NAS_REQUEST: return "NAS-Request";
	case RADIUS_TC_NAS_REBOOT: return "NAS-Reboot";
	}
	return "NAS-Error";
}
