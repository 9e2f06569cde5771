/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* main's configuration: loading and reloading (main-config.h). */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/cert.h"
#include "common/passwd.h"
#include "main/main-config.h"
#include "main/main-notify.h"
#include "main/main-secmod.h"
#include "main/main.h"
#include "main/main-zygote.h"

/* --- configuration -------------------------------------------------------- */

static void config_warn(void *opaque, unsigned line, const char *key, const char *msg)
{
	log_warn("%s", msg);
}

/* Load path into *cfg; on failure log (or print, for -t) file:line. */
int main_config_load(const char *path, struct config *cfg, bool to_stderr)
{
	struct config_diag diag = { .warn = config_warn };
	int r = config_load(path, cfg, &diag);

	if (r < 0) {
		const char *msg = diag.msg[0] ? diag.msg : strerror(-r);

		if (to_stderr)
			fprintf(stderr, "ocserv-modern: %s\n", msg);
		else
			log_err("%s", msg);
		return r;
	}
	return 0;
}

/* ca-cert and crl make a trust list (certificate authentication only). */
static int check_cert_files(const struct config *cfg, char *err, size_t len)
{
	gnutls_datum_t ca, crl;
	int r;

	if (!cfg->auth_certificate && !cfg->enable_auth_certificate)
		return 0;
	r = cert_files_read(cfg->ca_cert, cfg->crl, &ca, &crl, err, len);
	if (r < 0)
		return -EINVAL;
	gnutls_free(ca.data);
	gnutls_free(crl.data);
	return 0;
}

/* The files the logins need: the password file (plain) and the CAs and
 * CRLs (certificate). */
int main_config_check_passwd(const struct config *cfg, bool to_stderr)
{
	char err[512];
	int r = cfg->auth_passwd_file != NULL ? passwd_validate(cfg->auth_passwd_file, err,
								 sizeof(err)) : 0;

	if (r == 0)
		r = check_cert_files(cfg, err, sizeof(err));

	if (r < 0) {
		if (to_stderr)
			fprintf(stderr, "ocserv-modern: %s\n", err);
		else
			log_err("%s", err);
	}
	return r;
}

void main_ban_cfg(const struct config *cfg, struct ban_cfg *out)
{
	out->max_score = cfg->max_ban_score;
	out->reset_ms = vpn_s_to_ms(cfg->ban_reset_time_s);
	out->ban_ms = vpn_s_to_ms(cfg->min_reauth_time_s);
}

void main_session_cfg(const struct config *cfg, struct vpn_session_cfg *out)
{
	out->cookie_timeout_ms = vpn_s_to_ms(cfg->cookie_timeout_s);
	out->session_timeout_ms = vpn_s_to_ms(cfg->session_timeout_s);
	out->persistent_cookies = cfg->persistent_cookies;
}

/* --- reload (SIGHUP) ------------------------------------------------------ */

static bool str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* A list of the configuration (dns, route, no-route) seen as the texts of
 * its items: n items of size bytes each, with a text member at off. */
struct text_list {
	const char *base;
	size_t n, size, off;
};
#define TEXT_LIST(a, count)                                                   \
	((struct text_list){ (const char *)(a), (count), sizeof(*(a)),         \
			     offsetof(__typeof__(*(a)), text) })

static const char *item_text(const struct text_list *l, size_t i)
{
	return l->base + i * l->size + l->off;
}

static bool lists_differ(struct text_list a, struct text_list b)
{
	if (a.n != b.n)
		return true;
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(item_text(&a, i), item_text(&b, i)) != 0)
			return true;
	return false;
}

/* "a, b, c" (or "none"), cut with "..." when it does not fit. */
#define LIST_TEXT_MAX 512
static const char *list_text(struct text_list l, char *buf, size_t len)
{
	size_t used = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < l.n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", item_text(&l, i));

		if (w < 0 || (size_t)w >= len - used) {
			snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			break;
		}
		used += (size_t)w;
	}
	return buf;
}

/* The reload comparisons below: each logs one difference and counts it in
 * the caller's `changes`; `kept` is the suffix of a value main keeps. */
#define U32(field, key)                                                            \
	if (o->field != n->field) {                                                \
		changes++;                                                         \
		log_info("reload: %s %lu -> %lu%s", key, (unsigned long)o->field,  \
			 (unsigned long)n->field, kept);                           \
	}
#define BOOL(field, key)                                                         \
	if (o->field != n->field) {                                              \
		changes++;                                                       \
		log_info("reload: %s %s -> %s%s", key, o->field ? "true" : "false", \
			 n->field ? "true" : "false", kept);                     \
	}
#define STR(field, key)                                                             \
	if (str_differs(o->field, n->field)) {                                      \
		changes++;                                                          \
		log_info("reload: %s '%s' -> '%s'%s", key, o->field ? o->field : "", \
			 n->field ? n->field : "", kept);                           \
	}

/* The values main cannot change while running (they are kept): how many
 * differ, each logged. */
static unsigned log_restart_changes(const struct config *o, const struct config *n)
{
	const char *kept = " (needs a restart: kept)";
	unsigned changes = 0;

	STR(listen_host, "listen-host");
	U32(tcp_port, "tcp-port");
	U32(udp_port, "udp-port");
	BOOL(listen_proxy_proto, "listen-proxy-proto");
	U32(ipv4_network.s_addr, "ipv4-network");
	U32(ipv4_prefix, "ipv4-netmask prefix");
	U32(ipv6_prefix, "ipv6-network prefix");
	U32(ipv6_subnet_prefix, "ipv6-subnet-prefix");
	if (memcmp(&o->ipv6_network, &n->ipv6_network, sizeof(o->ipv6_network)) != 0) {
		changes++;
		log_info("reload: ipv6-network changed%s", kept);
	}
	STR(device, "device");
	STR(pid_file, "pid-file");
	STR(occtl_socket_file, "occtl-socket-file");
	if (o->occtl_socket_mode != n->occtl_socket_mode) {
		changes++;
		log_info("reload: occtl-socket-mode %04o -> %04o%s", (unsigned)o->occtl_socket_mode,
			 (unsigned)n->occtl_socket_mode, kept);
	}
	STR(occtl_socket_group, "occtl-socket-group");
	STR(occtl_admin_group, "occtl-admin-group");
	STR(metrics_listen, "metrics-listen");
	STR(session_store, "session-store");
	if (o->auth_pam != n->auth_pam || (o->auth_pam && o->auth_pam_gid_min != n->auth_pam_gid_min)) {
		changes++;
		log_info("reload: auth %s -> %s (the PAM helper starts with sec-mod: needs a "
			 "restart: kept)", o->auth_pam ? "pam" : "plain", n->auth_pam ? "pam" : "plain");
	}
	STR(session_store_auth_file, "session-store-auth-file");
	STR(gateway_id, "gateway-id");
	STR(auth_radius_config, "auth radius config");
	STR(auth_radius_nas_id, "auth radius nas-identifier");
	STR(acct_radius_config, "acct radius config");
	return changes;
}

/* One list of values, "a, b" -> "c" (or "default" for a default route). */
static unsigned log_list_change(const char *key, struct text_list a, bool a_default,
				struct text_list b, bool b_default)
{
	char ta[LIST_TEXT_MAX], tb[LIST_TEXT_MAX];

	if (a_default == b_default && !lists_differ(a, b))
		return 0;
	log_info("reload: %s %s -> %s", key, a_default ? "default" : list_text(a, ta, sizeof(ta)),
		 b_default ? "default" : list_text(b, tb, sizeof(tb)));
	return 1;
}

/* The values a reload changes (for new sessions): how many differ, each
 * logged. */
static unsigned log_live_changes(const struct config *o, const struct config *n)
{
	const char *kept = "";
	unsigned changes = 0;

	STR(auth_passwd_file, "auth passwd file");
	STR(auth_otp_file, "auth otp file");
	STR(connect_script, "connect-script");
	STR(disconnect_script, "disconnect-script");
	STR(config_per_user, "config-per-user");
	STR(config_per_group, "config-per-group");
	STR(default_user_config, "default-user-config");
	STR(default_group_config, "default-group-config");
	changes += log_list_change("dns", TEXT_LIST(o->dns, o->n_dns), false,
				   TEXT_LIST(n->dns, n->n_dns), false);
	changes += log_list_change("route", TEXT_LIST(o->routes, o->n_routes), o->route_default,
				   TEXT_LIST(n->routes, n->n_routes), n->route_default);
	changes += log_list_change("no-route", TEXT_LIST(o->no_routes, o->n_no_routes), false,
				   TEXT_LIST(n->no_routes, n->n_no_routes), false);
	STR(default_domain, "default-domain");
	U32(mtu, "mtu");
	BOOL(predictable_ips, "predictable-ips");
	BOOL(keep_tun_on_resume, "keep-tun-on-resume");
	U32(max_clients, "max-clients");
	U32(max_same_clients, "max-same-clients");
	U32(max_unauth, "max-unauth");
	U32(max_unauth_per_ip, "max-unauth-per-ip");
	U32(rate_limit_ms, "rate-limit-ms");
	U32(ban_points_connection, "ban-points-connection");
	BOOL(deny_roaming, "deny-roaming");
	U32(max_ban_score, "max-ban-score");
	U32(ban_reset_time_s, "ban-reset-time");
	U32(min_reauth_time_s, "min-reauth-time");
	U32(auth_timeout_s, "auth-timeout");
	U32(handshake_timeout_s, "handshake-timeout");
	U32(dpd_s, "dpd");
	U32(mobile_dpd_s, "mobile-dpd");
	U32(dpd_retries, "dpd-retries");
	U32(keepalive_s, "keepalive");
	U32(idle_timeout_s, "idle-timeout");
	U32(mobile_idle_timeout_s, "mobile-idle-timeout");
	U32(session_timeout_s, "session-timeout");
	U32(cookie_timeout_s, "cookie-timeout");
	BOOL(persistent_cookies, "persistent-cookies");
	U32(switch_to_tcp_timeout_s, "switch-to-tcp-timeout");
	BOOL(dtls_psk, "dtls-psk");
	BOOL(dtls_legacy, "dtls-legacy");
	BOOL(cisco_client_compat, "cisco-client-compat");
	return changes;
}
#undef U32
#undef BOOL
#undef STR

/* Log every difference; return how many. restart_only: the values main
 * cannot change while running (they are kept). */
static unsigned log_changes(const struct config *o, const struct config *n, bool restart_only)
{
	return restart_only ? log_restart_changes(o, n) : log_live_changes(o, n);
}

#define SWAP(a, b)                         \
	do {                               \
		__typeof__(a) tmp_ = (a);  \
		(a) = (b);                 \
		(b) = tmp_;                \
	} while (0)

static int reload_config(struct server *srv)
{
	struct config n = { 0 };
	struct ban_cfg bc;
	struct vpn_session_cfg sc;
	unsigned changes;

	log_info("SIGHUP: reloading %s", srv->config_path);
	if (main_config_load(srv->config_path, &n, false) < 0) {
		log_err("reload failed: keeping the current configuration");
		return -EINVAL;
	}
	if (main_config_check_passwd(&n, false) < 0)
		log_warn("reload: the password file has errors (logins may fail)");
	log_changes(&srv->cfg, &n, true);
	changes = log_changes(&srv->cfg, &n, false);
	/* What main built its sockets (the control socket too), pool and
	 * devices from stays. */
	SWAP(srv->cfg.listen_host, n.listen_host);
	SWAP(srv->cfg.tcp_port, n.tcp_port);
	SWAP(srv->cfg.udp_port, n.udp_port);
	SWAP(srv->cfg.listen_proxy_proto, n.listen_proxy_proto);
	SWAP(srv->cfg.ipv4_network, n.ipv4_network);
	SWAP(srv->cfg.ipv4_netmask, n.ipv4_netmask);
	SWAP(srv->cfg.ipv4_prefix, n.ipv4_prefix);
	SWAP(srv->cfg.ipv6_network, n.ipv6_network);
	SWAP(srv->cfg.ipv6_prefix, n.ipv6_prefix);
	SWAP(srv->cfg.ipv6_subnet_prefix, n.ipv6_subnet_prefix);
	SWAP(srv->cfg.device, n.device);
	SWAP(srv->cfg.pid_file, n.pid_file);
	SWAP(srv->cfg.occtl_socket_file, n.occtl_socket_file);
	SWAP(srv->cfg.occtl_socket_mode, n.occtl_socket_mode);
	SWAP(srv->cfg.occtl_socket_group, n.occtl_socket_group);
	SWAP(srv->cfg.occtl_admin_group, n.occtl_admin_group);
	SWAP(srv->cfg.metrics_listen, n.metrics_listen);
	SWAP(srv->cfg.session_store, n.session_store);
	SWAP(srv->cfg.session_store_auth_file, n.session_store_auth_file);
	SWAP(srv->cfg.gateway_id, n.gateway_id);
	/* sec-mod read the radcli files at its start: the method stays */
	SWAP(srv->cfg.auth_radius_config, n.auth_radius_config);
	SWAP(srv->cfg.auth_radius_nas_id, n.auth_radius_nas_id);
	SWAP(srv->cfg.auth_radius_groupconfig, n.auth_radius_groupconfig);
	SWAP(srv->cfg.acct_radius_config, n.acct_radius_config);
	/* likewise PAM, whose helper sec-mod forked at its start */
	if (srv->cfg.auth_pam || n.auth_pam) {
		SWAP(srv->cfg.auth_pam, n.auth_pam);
		SWAP(srv->cfg.auth_pam_gid_min, n.auth_pam_gid_min);
	}
	if (srv->cfg.auth_radius_config != NULL || n.auth_radius_config != NULL ||
	    srv->cfg.auth_pam || n.auth_pam) {
		SWAP(srv->cfg.auth_passwd_file, n.auth_passwd_file);
		SWAP(srv->cfg.auth_otp_file, n.auth_otp_file);
	}
	SWAP(srv->cfg, n);
	config_free(&n);

	main_ban_cfg(&srv->cfg, &bc);
	ban_set_cfg(srv->bans, &bc);
	main_session_cfg(&srv->cfg, &sc);
	session_table_set_cfg(srv->sessions, &sc);
	main_secmod_config(srv);
	log_info("reload done: %u change%s (session timers and the per-user and per-group "
		 "files apply to new sessions, tunnel settings to new tunnels, bans at once)",
		 changes, changes == 1 ? "" : "s");
	return 0;
}

int main_reload(struct server *srv)
{
	int r;

	main_notify_reloading(srv);
	r = reload_config(srv);
	if (r == 0)
		main_zygote_reload(srv);
	main_notify_ready(srv); /* also after a failure: the old configuration runs on */
	return r;
}
