/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* A session's own values: wire, store and RADIUS forms (session-attrs.h). */

#include <errno.h>
#include <string.h>

#include "sec-mod/session-attrs.h"

void session_attrs_to_msg(const struct session_attrs *a, struct session_attrs_msg *out)
{
	SessionAttrs *m = &out->msg;

	session_attrs__init(m);
	m->has_set = m->has_ipv4 = m->has_netmask = m->has_idle_timeout = true;
	m->has_interim = m->has_radius = m->has_acct_started = true;
	m->has_session_timeout_from = m->has_cookie_timeout_from = true;
	m->set = a->set;
	m->ipv4 = a->ipv4.s_addr;
	m->netmask = a->netmask.s_addr;
	m->idle_timeout = a->idle_timeout_s;
	m->interim = a->interim_s;
	m->session_timeout_from = a->session_timeout_from;
	m->cookie_timeout_from = a->cookie_timeout_from;
	m->radius = a->radius;
	m->acct_started = a->acct_started;
	for (size_t i = 0; i < a->n_class; i++)
		out->cls[i] = (ProtobufCBinaryData){ .len = a->cls[i].len,
						     .data = (uint8_t *)a->cls[i].v };
	m->n_class_ = a->n_class;
	m->class_ = out->cls;
	for (size_t i = 0; i < a->n_routes; i++) {
		out->route_net[i] = a->routes[i].net.s_addr;
		out->route_prefix[i] = a->routes[i].prefix;
	}
	m->n_route_net = m->n_route_prefix = a->n_routes;
	m->route_net = out->route_net;
	m->route_prefix = out->route_prefix;
	for (size_t i = 0; i < a->n_dns; i++)
		out->dns[i] = a->dns[i].s_addr;
	m->n_dns = a->n_dns;
	m->dns = out->dns;
}

void session_attrs_from_msg(const SessionAttrs *m, struct session_attrs *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	out->set = m->set;
	out->ipv4.s_addr = m->ipv4;
	out->netmask.s_addr = m->netmask;
	out->idle_timeout_s = m->idle_timeout;
	out->interim_s = m->interim;
	out->session_timeout_from = (uint8_t)m->session_timeout_from;
	out->cookie_timeout_from = (uint8_t)m->cookie_timeout_from;
	out->radius = m->radius;
	out->acct_started = m->acct_started;
	for (size_t i = 0; i < m->n_class_ && out->n_class < SESSION_ATTRS_MAX_CLASS; i++) {
		if (m->class_[i].len == 0 || m->class_[i].len > SESSION_ATTRS_CLASS_MAX)
			continue;
		memcpy(out->cls[out->n_class].v, m->class_[i].data, m->class_[i].len);
		out->cls[out->n_class++].len = (uint8_t)m->class_[i].len;
	}
	n = m->n_route_net < m->n_route_prefix ? m->n_route_net : m->n_route_prefix;
	for (size_t i = 0; i < n && out->n_routes < SESSION_ATTRS_MAX_ROUTES; i++) {
		if (m->route_prefix[i] > 32)
			continue;
		out->routes[out->n_routes].net.s_addr = m->route_net[i];
		out->routes[out->n_routes++].prefix = (uint8_t)m->route_prefix[i];
	}
	for (size_t i = 0; i < m->n_dns && out->n_dns < SESSION_ATTRS_MAX_DNS; i++)
		out->dns[out->n_dns++].s_addr = m->dns[i];
}

size_t session_attrs_pack(const struct session_attrs *a, uint8_t *buf, size_t len)
{
	static struct session_attrs_msg m;

	session_attrs_to_msg(a, &m);
	if (session_attrs__get_packed_size(&m.msg) > len)
		return 0;
	return session_attrs__pack(&m.msg, buf);
}

int session_attrs_unpack(const uint8_t *buf, size_t len, struct session_attrs *out)
{
	SessionAttrs *m = session_attrs__unpack(NULL, len, buf);

	if (m == NULL)
		return -EINVAL;
	session_attrs_from_msg(m, out);
	session_attrs__free_unpacked(m, NULL);
	return 0;
}

void session_attrs_from_radius(const struct radius_reply *r, struct session_attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->radius = true;
	if (r->set & RADIUS_HAS_IPV4) {
		out->set |= SESSION_ATTR_IPV4;
		out->ipv4 = r->ipv4;
	}
	if (r->set & RADIUS_HAS_NETMASK) {
		out->set |= SESSION_ATTR_NETMASK;
		out->netmask = r->netmask;
	}
	if (r->set & RADIUS_HAS_IDLE_TIMEOUT) {
		out->set |= SESSION_ATTR_IDLE_TIMEOUT;
		out->idle_timeout_s = r->idle_timeout_s;
	}
	out->interim_s = r->interim_s;
	if (r->set & RADIUS_HAS_SESSION_TIMEOUT) {
		out->session_timeout_s = r->session_timeout_s;
		out->session_timeout_from = CONFIG_ORIGIN_RADIUS;
	}
	for (size_t i = 0; i < r->n_class && i < SESSION_ATTRS_MAX_CLASS; i++) {
		memcpy(out->cls[i].v, r->cls[i].v, r->cls[i].len);
		out->cls[i].len = (uint8_t)r->cls[i].len;
		out->n_class++;
	}
	for (size_t i = 0; i < r->n_routes && i < SESSION_ATTRS_MAX_ROUTES; i++) {
		out->routes[i].net = r->routes[i].net.v4;
		out->routes[i].prefix = (uint8_t)r->routes[i].prefix;
		out->n_routes++;
		out->set |= SESSION_ATTR_ROUTES;
	}
	for (size_t i = 0; i < r->n_dns && i < SESSION_ATTRS_MAX_DNS; i++) {
		out->dns[i] = r->dns[i].addr.v4;
		out->n_dns++;
		out->set |= SESSION_ATTR_DNS;
	}
}
