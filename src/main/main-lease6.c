/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/main-lease6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "main/main-session.h"
#include "main/main.h"
#include "main/tun-netlink.h"

/* The explicit-ipv6 of m's user (else group) file, if any. */
static const struct in6_addr *explicit_ipv6_of(const struct main_lease *m)
{
	const unsigned bit = 1u << CONFIG_USER_EXPLICIT_IPV6;

	if (m->user_cfg.set & bit)
		return &m->user_cfg.explicit_ipv6;
	return (m->group_cfg.set & bit) ? &m->group_cfg.explicit_ipv6 : NULL;
}

static const char *exact_error(int rc)
{
	return rc == -EDOM ? "is not a client address of ipv6-network"
			   : rc == -EADDRINUSE ? "is taken" : strerror(-rc);
}

int main_lease6_acquire(struct server *srv, struct main_lease *m, uint32_t seed)
{
	const struct in6_addr *want = explicit_ipv6_of(m);
	char ip[INET6_ADDRSTRLEN];
	int rc;

	if (!ip6pool_enabled(&srv->pool6) || m->has_lease6)
		return 0;
	if (want != NULL) {
		rc = ip6pool_lease_exact(&srv->pool6, m->serial, want);
		if (rc == 0) {
			m->ipv6 = *want;
			m->has_lease6 = true;
			return 0;
		}
		inet_ntop(AF_INET6, want, ip, sizeof(ip));
		log_warn("explicit-ipv6 %s of user '%s' %s: the pool chooses its address", ip,
			 LOG_ESC(m->username), exact_error(rc));
	}
	rc = ip6pool_lease(&srv->pool6, m->serial, seed, &m->ipv6);
	m->has_lease6 = rc == 0;
	return rc;
}

void main_lease6_restore(struct server *srv, struct main_lease *m, const struct in6_addr *a)
{
	char ip[INET6_ADDRSTRLEN];
	int rc;

	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return;
	inet_ntop(AF_INET6, a, ip, sizeof(ip));
	rc = ip6pool_lease_exact(&srv->pool6, m->serial, a);
	if (rc < 0) {
		log_warn("session %.*s of user '%s' restored without its IPv6 address %s (%s): a "
			 "resume gets a new one", (int)SESSION_ID_SHORT_LEN, m->sid,
			 LOG_ESC(m->username), ip, exact_error(rc));
		return;
	}
	m->ipv6 = *a;
	m->has_lease6 = true;
	log_debug("session %.*s of user '%s' restored: %s reserved", (int)SESSION_ID_SHORT_LEN,
		  m->sid, LOG_ESC(m->username), ip);
}

void main_lease6_release(struct server *srv, struct main_lease *m)
{
	if (m->has_lease6)
		ip6pool_release(&srv->pool6, m->serial);
	m->has_lease6 = false;
}

bool main_lease6_tun(const struct server *srv, const struct main_lease *m, struct tun_v6 *out)
{
	if (!m->has_lease6)
		return false;
	out->local = ip6pool_server_addr(&srv->pool6);
	out->peer = m->ipv6;
	out->peer_prefix = srv->pool6.subnet_prefix;
	return true;
}

unsigned main_lease6_text(const struct server *srv, const struct main_lease *m, char *addr,
			  char *local)
{
	struct tun_v6 t;

	addr[0] = local[0] = '\0';
	if (!main_lease6_tun(srv, m, &t))
		return 0;
	inet_ntop(AF_INET6, &t.peer, addr, INET6_ADDRSTRLEN);
	inet_ntop(AF_INET6, &t.local, local, INET6_ADDRSTRLEN);
	return t.peer_prefix;
}
