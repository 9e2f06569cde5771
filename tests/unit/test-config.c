/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/common/conf.c: the ocserv.conf-syntax parser. Every key, the defaults, each
 * class of error with its file:line and key, warnings, repeated keys, quotes,
 * CIDR forms, the mobile helper, the write/re-load round trip, and that
 * doc/sample.config and doc/config-reference.md agree with the code's table
 * and doc/ocserv-modern.8 names every key.
 */
#include "config.h"

#include "common/conf.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test-main.h"

#define NAME "test.conf"

/* The four required keys, lines 1-4; test lines start at line 5. */
#define MIN \
	"auth = plain[passwd=/etc/ocserv-modern/ocpasswd]\n" \
	"server-cert = /etc/ocserv-modern/cert.pem\n" \
	"server-key = /etc/ocserv-modern/key.pem\n" \
	"ipv4-network = 10.77.0.0/24\n"
/* Without auth (lines 1-3): the auth line is line 4. */
#define NOAUTH \
	"server-cert = /etc/ocserv-modern/cert.pem\n" \
	"server-key = /etc/ocserv-modern/key.pem\n" \
	"ipv4-network = 10.77.0.0/24\n"
/* Without the network (lines 1-3). */
#define NONET \
	"auth = plain[passwd=/etc/ocserv-modern/ocpasswd]\n" \
	"server-cert = /etc/ocserv-modern/cert.pem\n" \
	"server-key = /etc/ocserv-modern/key.pem\n"

/* Every supported key with a value other than its default. */
static const char full[] =
	"auth = \"plain[passwd=/etc/ocserv-modern/ocpasswd]\"\n"
	"enable-auth = certificate\n"
	"ca-cert = /etc/ocserv-modern/ca.pem\n"
	"crl = /etc/ocserv-modern/crl.pem\n"
	"cert-user-oid = 0.9.2342.19200300.100.1.1\n"
	"cert-group-oid = 2.5.4.11\n"
	"acct = \"radius[config=/etc/radcli/radiusclient.conf]\"\n"
	"listen-host = 192.0.2.10\n"
	"tcp-port = 4443\n"
	"udp-port = 4444\n"
	"listen-proxy-proto = true\n"
	"server-cert = /etc/ocserv-modern/cert.pem\n"
	"server-key = pkcs11:object=vpn-key\n"
	"run-as-user = ocserv\n"
	"run-as-group = ocserv-grp\n"
	"socket-file = /run/x.socket\n"
	"occtl-socket-file = /run/y.socket\n"
	"occtl-socket-mode = 660\n"
	"occtl-socket-group = adm\n"
	"occtl-admin-group = sudo\n"
	"metrics-listen = [::1]:9617\n"
	"pid-file = /run/z.pid\n"
	"connect-script = /usr/local/bin/on-connect\n"
	"disconnect-script = /usr/local/bin/on-disconnect\n"
	"config-per-user = /etc/ocserv-modern/users\n"
	"config-per-group = /etc/ocserv-modern/groups\n"
	"default-user-config = /etc/ocserv-modern/user.conf\n"
	"default-group-config = /etc/ocserv-modern/group.conf\n"
	"select-group = staff\n"
	"select-group = admins\n"
	"default-select-group = DEFAULT\n"
	"device = tun-vpn\n"
	"ipv4-network = 10.77.0.0\n"
	"ipv4-netmask = 255.255.0.0\n"
	"ipv6-network = fd00:77::\n"
	"ipv6-prefix = 64\n"
	"ipv6-subnet-prefix = 96\n"
	"client-bypass-protocol = true\n"
	"dns = 10.77.0.1\n"
	"dns = 2001:DB8::0:53\n"
	"route = 10.10.0.0/255.255.0.0\n"
	"route = 192.168.0.0/16\n"
	"route = 2001:db8:1::/48\n"
	"no-route = 10.10.5.0/24\n"
	"default-domain = \"example.com corp.example.com\"\n"
	"banner = \"Welcome, # not a comment\"\n"
	"mtu = 1400\n"
	"predictable-ips = false\n"
	"keep-tun-on-resume = no\n"
	"session-store = /var/tmp/ocsm-test/sessions.db\n"
	"session-store-auth-file = /etc/ocserv-modern/redis-auth\n"
	"gateway-id = gw-a.example\n"
	"max-clients = 100\n"
	"max-same-clients = 3\n"
	"max-unauth = 50\n"
	"max-unauth-per-ip = 0\n"
	"rate-limit-ms = 100\n"
	"ban-points-connection = 2\n"
	"deny-roaming = true\n"
	"max-ban-score = 0\n"
	"ban-reset-time = 600\n"
	"min-reauth-time = 0\n"
	"auth-timeout = 60\n"
	"handshake-timeout = 5\n"
	"dpd = 30\n"
	"mobile-dpd = 600\n"
	"dpd-retries = 7\n"
	"keepalive = 20\n"
	"idle-timeout = 0\n"
	"mobile-idle-timeout = 900\n"
	"session-timeout = 86400\n"
	"cookie-timeout = 600\n"
	"persistent-cookies = yes\n"
	"switch-to-tcp-timeout = 0\n"
	"try-mtu-discovery = 1\n"
	"isolate-workers = no\n"
	"worker-zygote = no\n"
	"rekey-time = 0\n"
	"rekey-method = new-tunnel\n"
	"tls-priorities = \"SECURE256:%SERVER_PRECEDENCE:-VERS-TLS1.3\"\n"
	"match-tls-dtls-ciphers = true\n"
	"dtls-psk = false\n"
	"dtls-legacy = false\n"
	"cisco-client-compat = true\n"
	"server-drain-ms = 2500\n"
	"nbns = 10.77.0.2\n"
	"split-dns = corp.example.com\n"
	"split-dns = lab.example\n"
	"tunnel-all-dns = true\n"
	"restrict-user-to-routes = yes\n"
	"restrict-user-to-ports = \"!(tcp(22), udp(53))\"\n"
	"rx-data-per-sec = 250000\n"
	"tx-data-per-sec = 125000\n"
	"user-profile = /etc/ocserv-modern/profile.xml\n";

/* ---- warning capture */

#define MAX_W 128
struct warnings {
	unsigned n;
	unsigned line[MAX_W];
	char key[MAX_W][64];
	char msg[MAX_W][CONFIG_MSG_MAX];
};

static void on_warn(void *opaque, unsigned line, const char *key, const char *msg)
{
	struct warnings *w = opaque;

	if (w->n < MAX_W) {
		w->line[w->n] = line;
		snprintf(w->key[w->n], sizeof(w->key[0]), "%s", key);
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", msg);
	}
	w->n++;
}

static struct warnings warns;

static int parse(const char *text, struct config *c, struct config_diag *d)
{
	memset(&warns, 0, sizeof(warns));
	memset(d, 0, sizeof(*d));
	d->warn = on_warn;
	d->opaque = &warns;
	return config_parse_buffer(NAME, text, strlen(text), c, d);
}

static void parse_ok(const char *text, struct config *c)
{
	struct config_diag d;
	int r = parse(text, c, &d);

	ck_assert_msg(r == 0, "unexpected error %d: %s", r, d.msg);
}

static char *v4(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	inet_ntop(AF_INET, &a, buf[i], sizeof(buf[i]));
	return buf[i];
}

/* ---------------------------------------------------------------- defaults */

START_TEST(defaults)
{
	struct config c;

	parse_ok(MIN, &c);
	ck_assert_uint_eq(warns.n, 0);
	ck_assert_str_eq(c.path, NAME);
	ck_assert_str_eq(c.auth_passwd_file, "/etc/ocserv-modern/ocpasswd");
	ck_assert_ptr_null(c.listen_host);
	ck_assert_uint_eq(c.tcp_port, 443);
	ck_assert_uint_eq(c.udp_port, 443);
	ck_assert_str_eq(c.server_cert, "/etc/ocserv-modern/cert.pem");
	ck_assert_str_eq(c.server_key, "/etc/ocserv-modern/key.pem");
	ck_assert_str_eq(c.tls_priorities, "NORMAL:%SERVER_PRECEDENCE");
	ck_assert(!c.match_tls_dtls_ciphers);
	ck_assert(c.dtls_psk);
	ck_assert(c.dtls_legacy);
	ck_assert(!c.cisco_client_compat);
	ck_assert_str_eq(c.run_as_user, "nobody");
	ck_assert_str_eq(c.run_as_group, "nogroup");
	ck_assert_str_eq(c.socket_file, "/run/ocserv-modern.socket");
	ck_assert_str_eq(c.occtl_socket_file, "/run/occtl-modern.socket");
	ck_assert_uint_eq(c.occtl_socket_mode, 0600);
	ck_assert_ptr_null(c.occtl_socket_group);
	ck_assert_str_eq(c.pid_file, "/run/ocserv-modern.pid");
	ck_assert_uint_eq(c.server_drain_ms, 0);
	ck_assert_uint_eq(c.n_nbns, 0);
	ck_assert_uint_eq(c.n_split_dns, 0);
	ck_assert(!c.tunnel_all_dns);
	ck_assert(!c.restrict_user_to_routes);
	ck_assert_ptr_null(c.restrict_user_to_ports);
	ck_assert_uint_eq(c.rx_data_per_sec, 0);
	ck_assert_uint_eq(c.tx_data_per_sec, 0);
	ck_assert_ptr_null(c.user_profile);
	ck_assert_ptr_null(c.connect_script);
	ck_assert_ptr_null(c.disconnect_script);
	ck_assert_ptr_null(c.config_per_user);
	ck_assert_ptr_null(c.default_group_config);
	ck_assert_str_eq(c.device, "vpns");
	ck_assert_str_eq(v4(c.ipv4_network), "10.77.0.0");
	ck_assert_str_eq(v4(c.ipv4_netmask), "255.255.255.0");
	ck_assert_uint_eq(c.ipv4_prefix, 24);
	ck_assert_uint_eq(c.n_dns, 0);
	ck_assert(!c.route_default);
	ck_assert_uint_eq(c.n_routes, 0);
	ck_assert_uint_eq(c.n_no_routes, 0);
	ck_assert_ptr_null(c.default_domain);
	ck_assert_ptr_null(c.banner);
	ck_assert_uint_eq(c.mtu, 0);
	ck_assert(c.predictable_ips);
	ck_assert(c.keep_tun_on_resume);
	ck_assert_uint_eq(c.max_clients, 16);
	ck_assert_uint_eq(c.max_same_clients, 2);
	ck_assert_uint_eq(c.max_ban_score, 80);
	ck_assert_uint_eq(c.ban_reset_time_s, 1200);
	ck_assert_uint_eq(c.min_reauth_time_s, 300);
	ck_assert_uint_eq(c.auth_timeout_s, 240);
	ck_assert_uint_eq(c.dpd_s, 90);
	ck_assert_uint_eq(c.mobile_dpd_s, 1800);
	ck_assert_uint_eq(c.dpd_retries, 2);
	ck_assert_uint_eq(c.keepalive_s, 32400);
	ck_assert_uint_eq(c.idle_timeout_s, 1200);
	ck_assert_uint_eq(c.mobile_idle_timeout_s, 1800);
	ck_assert_uint_eq(c.session_timeout_s, 0);
	ck_assert_uint_eq(c.cookie_timeout_s, 300);
	ck_assert(!c.persistent_cookies);
	ck_assert_uint_eq(c.switch_to_tcp_timeout_s, 25);
	ck_assert(!c.try_mtu_discovery);
	ck_assert(c.isolate_workers);
	ck_assert(c.worker_zygote);
	ck_assert_uint_eq(c.rekey_time_s, 172800);
	ck_assert_int_eq(c.rekey_method, CONFIG_REKEY_SSL);
	config_free(&c);
}
END_TEST

/* The table's default text is what config_write prints for an untouched key. */
START_TEST(defaults_match_table)
{
	struct config c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	parse_ok(MIN, &c);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_write(&c, f), 0);
	fclose(f);
	for (size_t i = 0; config_key_at(i); i++) {
		const struct config_key_info *k = config_key_at(i);
		char a[256], b[256];

		if (!k->default_value)
			continue;
		snprintf(a, sizeof(a), "\n%s = %s\n", k->name, k->default_value);
		snprintf(b, sizeof(b), "\n%s = \"%s\"\n", k->name, k->default_value);
		ck_assert_msg(strstr(out, a) || strstr(out, b), "default of %s not applied", k->name);
	}
	free(out);
	config_free(&c);
}
END_TEST

START_TEST(key_table_sane)
{
	size_t n = 0;

	for (size_t i = 0; config_key_at(i); i++, n++) {
		const struct config_key_info *k = config_key_at(i);

		ck_assert_ptr_nonnull(k->range);
		ck_assert_msg(!(k->required && k->default_value), "%s: required with a default", k->name);
		ck_assert_msg(!config_key_is_ocserv_only(k->name), "%s in both lists", k->name);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(config_key_at(j)->name, k->name);
		/* every key is exercised by the full configuration below */
		char needle[80];

		snprintf(needle, sizeof(needle), "\n%s = ", k->name);
		ck_assert_msg(strstr(full, needle) || !strncmp(full, needle + 1, strlen(needle) - 1),
			      "%s missing from the full test config", k->name);
	}
	ck_assert_uint_ge(n, 40);
	for (size_t i = 0; config_ocserv_only_key_at(i); i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(config_ocserv_only_key_at(j), config_ocserv_only_key_at(i));
	ck_assert_ptr_null(config_key_at(n));
}
END_TEST

/* ---------------------------------------------------------------- every key */

START_TEST(every_key)
{
	struct config c;

	parse_ok(full, &c);
	ck_assert_uint_eq(warns.n, 0);
	ck_assert_str_eq(c.auth_passwd_file, "/etc/ocserv-modern/ocpasswd");
	ck_assert_str_eq(c.listen_host, "192.0.2.10");
	ck_assert_uint_eq(c.tcp_port, 4443);
	ck_assert(c.listen_proxy_proto);
	ck_assert_uint_eq(c.udp_port, 4444);
	ck_assert_str_eq(c.server_cert, "/etc/ocserv-modern/cert.pem");
	ck_assert_str_eq(c.server_key, "pkcs11:object=vpn-key");
	ck_assert_str_eq(c.tls_priorities, "SECURE256:%SERVER_PRECEDENCE:-VERS-TLS1.3");
	ck_assert(c.match_tls_dtls_ciphers);
	ck_assert(!c.dtls_psk);
	ck_assert(!c.dtls_legacy);
	ck_assert(c.cisco_client_compat);
	ck_assert_str_eq(c.run_as_user, "ocserv");
	ck_assert_str_eq(c.run_as_group, "ocserv-grp");
	ck_assert_str_eq(c.socket_file, "/run/x.socket");
	ck_assert_str_eq(c.occtl_socket_file, "/run/y.socket");
	ck_assert_uint_eq(c.occtl_socket_mode, 0660);
	ck_assert_str_eq(c.occtl_socket_group, "adm");
	ck_assert_str_eq(c.metrics_listen, "[::1]:9617");
	ck_assert_str_eq(c.pid_file, "/run/z.pid");
	ck_assert_uint_eq(c.server_drain_ms, 2500);
	ck_assert_uint_eq(c.n_nbns, 1);
	ck_assert_str_eq(c.nbns[0].text, "10.77.0.2");
	ck_assert_uint_eq(c.n_split_dns, 2);
	ck_assert_str_eq(c.split_dns[0], "corp.example.com");
	ck_assert_str_eq(c.split_dns[1], "lab.example");
	ck_assert(c.tunnel_all_dns);
	ck_assert(c.restrict_user_to_routes);
	ck_assert_str_eq(c.restrict_user_to_ports, "!(tcp(22), udp(53))");
	ck_assert_uint_eq(c.rx_data_per_sec, 250000);
	ck_assert_uint_eq(c.tx_data_per_sec, 125000);
	ck_assert_str_eq(c.user_profile, "/etc/ocserv-modern/profile.xml");
	ck_assert_str_eq(c.connect_script, "/usr/local/bin/on-connect");
	ck_assert_str_eq(c.disconnect_script, "/usr/local/bin/on-disconnect");
	ck_assert_str_eq(c.config_per_user, "/etc/ocserv-modern/users");
	ck_assert_str_eq(c.config_per_group, "/etc/ocserv-modern/groups");
	ck_assert_str_eq(c.default_user_config, "/etc/ocserv-modern/user.conf");
	ck_assert_str_eq(c.default_group_config, "/etc/ocserv-modern/group.conf");
	ck_assert_uint_eq(c.n_select_groups, 2);
	ck_assert_str_eq(c.select_groups[1], "admins");
	ck_assert_str_eq(c.default_select_group, "DEFAULT");
	ck_assert_str_eq(c.device, "tun-vpn");
	ck_assert_str_eq(v4(c.ipv4_network), "10.77.0.0");
	ck_assert_str_eq(v4(c.ipv4_netmask), "255.255.0.0");
	ck_assert_uint_eq(c.ipv4_prefix, 16);
	ck_assert_uint_eq(c.n_dns, 2);
	ck_assert_int_eq(c.dns[0].family, AF_INET);
	ck_assert_str_eq(c.dns[0].text, "10.77.0.1");
	ck_assert_int_eq(c.dns[1].family, AF_INET6);
	ck_assert_str_eq(c.dns[1].text, "2001:db8::53");
	ck_assert_uint_eq(c.n_routes, 3);
	ck_assert_str_eq(c.routes[0].text, "10.10.0.0/255.255.0.0");
	ck_assert_uint_eq(c.routes[0].prefix, 16);
	ck_assert_str_eq(c.routes[1].text, "192.168.0.0/255.255.0.0");
	ck_assert_int_eq(c.routes[2].family, AF_INET6);
	ck_assert_str_eq(c.routes[2].text, "2001:db8:1::/48");
	ck_assert_uint_eq(c.routes[2].prefix, 48);
	ck_assert(!c.route_default);
	ck_assert_uint_eq(c.n_no_routes, 1);
	ck_assert_str_eq(c.no_routes[0].text, "10.10.5.0/255.255.255.0");
	ck_assert_str_eq(c.default_domain, "example.com corp.example.com");
	ck_assert_str_eq(c.banner, "Welcome, # not a comment");
	ck_assert_uint_eq(c.mtu, 1400);
	ck_assert(!c.predictable_ips);
	ck_assert(!c.keep_tun_on_resume);
	ck_assert_uint_eq(c.max_clients, 100);
	ck_assert_uint_eq(c.max_same_clients, 3);
	ck_assert_uint_eq(c.max_unauth, 50);
	ck_assert_uint_eq(c.max_unauth_per_ip, 0);
	ck_assert_uint_eq(c.rate_limit_ms, 100);
	ck_assert_uint_eq(c.ban_points_connection, 2);
	ck_assert(c.deny_roaming);
	ck_assert_uint_eq(c.max_ban_score, 0);
	ck_assert_uint_eq(c.ban_reset_time_s, 600);
	ck_assert_uint_eq(c.min_reauth_time_s, 0);
	ck_assert_uint_eq(c.auth_timeout_s, 60);
	ck_assert_uint_eq(c.handshake_timeout_s, 5);
	ck_assert_uint_eq(c.dpd_s, 30);
	ck_assert_uint_eq(c.mobile_dpd_s, 600);
	ck_assert_uint_eq(c.dpd_retries, 7);
	ck_assert_uint_eq(c.keepalive_s, 20);
	ck_assert_uint_eq(c.idle_timeout_s, 0);
	ck_assert_uint_eq(c.mobile_idle_timeout_s, 900);
	ck_assert_uint_eq(c.session_timeout_s, 86400);
	ck_assert_uint_eq(c.cookie_timeout_s, 600);
	ck_assert(c.persistent_cookies);
	ck_assert_uint_eq(c.switch_to_tcp_timeout_s, 0);
	ck_assert(c.try_mtu_discovery);
	ck_assert(!c.isolate_workers);
	ck_assert(!c.worker_zygote);
	ck_assert_uint_eq(c.rekey_time_s, 0);
	ck_assert_int_eq(c.rekey_method, CONFIG_REKEY_NEW_TUNNEL);
	config_free(&c);
}
END_TEST

/* Boundaries of the numeric ranges: the last accepted value on each side. */
static const struct {
	const char *line;
	size_t off;
	uint32_t want;
} bounds[] = {
#define B(l, f, w) { l, offsetof(struct config, f), w }
	B("dpd = 0", dpd_s, 0), B("dpd = 2", dpd_s, 2), B("dpd = 86400", dpd_s, 86400),
	B("mobile-dpd = 2", mobile_dpd_s, 2), B("mobile-dpd = 86400", mobile_dpd_s, 86400),
	B("dpd-retries = 1", dpd_retries, 1), B("dpd-retries = 10", dpd_retries, 10),
	B("keepalive = 0", keepalive_s, 0), B("keepalive = 86400", keepalive_s, 86400),
	B("idle-timeout = 2147483647", idle_timeout_s, 2147483647),
	B("session-timeout = 2147483647", session_timeout_s, 2147483647),
	B("cookie-timeout = 1", cookie_timeout_s, 1),
	B("auth-timeout = 1", auth_timeout_s, 1), B("auth-timeout = 86400", auth_timeout_s, 86400),
	B("mtu = 576", mtu, 576), B("mtu = 65535", mtu, 65535), B("mtu = 0", mtu, 0),
	B("max-clients = 0", max_clients, 0), B("max-same-clients = 0", max_same_clients, 0),
	B("switch-to-tcp-timeout = 86400", switch_to_tcp_timeout_s, 86400),
	B("min-reauth-time = 86400", min_reauth_time_s, 86400),
	B("rekey-time = 2147483647", rekey_time_s, 2147483647),
	B("dpd = 0007", dpd_s, 7),
#undef B
};

START_TEST(range_bounds)
{
	struct config c;
	char text[512];

	snprintf(text, sizeof(text), MIN "%s\n", bounds[_i].line);
	parse_ok(text, &c);
	ck_assert_uint_eq(*(uint32_t *)((char *)&c + bounds[_i].off), bounds[_i].want);
	config_free(&c);
}
END_TEST

START_TEST(ports)
{
	struct config c;

	parse_ok(MIN "tcp-port = 1\nudp-port = 0\n", &c);
	ck_assert_uint_eq(c.tcp_port, 1);
	ck_assert_uint_eq(c.udp_port, 0);
	config_free(&c);
	parse_ok(MIN "tcp-port = 65535\nudp-port = 65535\n", &c);
	ck_assert_uint_eq(c.tcp_port, 65535);
	ck_assert_uint_eq(c.udp_port, 65535);
	config_free(&c);
}
END_TEST

START_TEST(booleans)
{
	static const char *const yes[] = { "true", "TRUE", "True", "yes", "YES", "1" };
	static const char *const no[] = { "false", "FALSE", "no", "No", "0" };
	struct config c;
	char text[512];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), MIN "persistent-cookies = %s\n", yes[i]);
		parse_ok(text, &c);
		ck_assert_msg(c.persistent_cookies, "%s", yes[i]);
		config_free(&c);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(text, sizeof(text), MIN "predictable-ips = %s\n", no[i]);
		parse_ok(text, &c);
		ck_assert_msg(!c.predictable_ips, "%s", no[i]);
		config_free(&c);
	}
}
END_TEST

/* ---------------------------------------------------------------- syntax */

START_TEST(syntax)
{
	struct config c;

	parse_ok("\xef\xbb\xbf" "# a comment\n"
		 "   # an indented comment\n"
		 "#dpd = not-a-number (commented out)\n"
		 "\n"
		 "\t \n"
		 "auth=plain[passwd=/p]\r\n"
		 "  server-cert\t=\t/c.pem  \r\n"
		 "server-key =/k.pem\n"
		 "ipv4-network= 10.0.0.0/8\n"
		 "dpd = \"45\"\n"
		 "banner = hello # world\n"
		 "default-domain = \"  spaced  \"\n"
		 "run-as-user = \"a\"b\"\n"
		 "run-as-group = tab\there\n"
		 "keepalive = 77", &c);  /* last line without a newline */
	ck_assert_uint_eq(warns.n, 0);
	ck_assert_str_eq(c.auth_passwd_file, "/p");
	ck_assert_str_eq(c.server_cert, "/c.pem");
	ck_assert_str_eq(c.server_key, "/k.pem");
	ck_assert_uint_eq(c.ipv4_prefix, 8);
	ck_assert_uint_eq(c.dpd_s, 45);
	ck_assert_str_eq(c.banner, "hello # world");  /* '#' after a value is kept */
	ck_assert_str_eq(c.default_domain, "  spaced  ");
	ck_assert_str_eq(c.run_as_user, "a\"b");
	ck_assert_str_eq(c.run_as_group, "tab\there");
	ck_assert_uint_eq(c.keepalive_s, 77);
	config_free(&c);
}
END_TEST

START_TEST(auth_forms)
{
	struct config c;

	parse_ok(NOAUTH "auth = \"plain[passwd=/etc/ocpasswd]\"\n", &c);
	ck_assert_str_eq(c.auth_passwd_file, "/etc/ocpasswd");
	config_free(&c);
	/* ocserv's older spelling */
	parse_ok(NOAUTH "auth = plain[/etc/ocserv/ocpasswd]\n", &c);
	ck_assert_str_eq(c.auth_passwd_file, "/etc/ocserv/ocpasswd");
	config_free(&c);
	/* '=' inside the file name belongs to the name */
	parse_ok(NOAUTH "auth = plain[passwd=/etc/a=b]\n", &c);
	ck_assert_str_eq(c.auth_passwd_file, "/etc/a=b");
	config_free(&c);
	/* password then OTP; OTP alone */
	parse_ok(NOAUTH "auth = \"plain[passwd=/p,otp=/etc/users.oath]\"\n", &c);
	ck_assert_str_eq(c.auth_passwd_file, "/p");
	ck_assert_str_eq(c.auth_otp_file, "/etc/users.oath");
	ck_assert(!c.auth_pam);
	config_free(&c);
	parse_ok(NOAUTH "auth = plain[otp=/o]\n", &c);
	ck_assert_ptr_null(c.auth_passwd_file);
	ck_assert_str_eq(c.auth_otp_file, "/o");
	config_free(&c);
	parse_ok(NOAUTH "auth = pam\n", &c);
	ck_assert(c.auth_pam);
	ck_assert_uint_eq(c.auth_pam_gid_min, 0);
	ck_assert_ptr_null(c.auth_passwd_file);
	config_free(&c);
	parse_ok(NOAUTH "auth = \"pam[gid-min=1000]\"\n", &c);
	ck_assert(c.auth_pam);
	ck_assert_uint_eq(c.auth_pam_gid_min, 1000);
	config_free(&c);
	/* RADIUS, ocserv's spelling */
	parse_ok(NOAUTH "auth = \"radius[config=/etc/radcli/radiusclient.conf,groupconfig=true,"
		 "nas-identifier=vpn1]\"\nacct = \"radius[config=/etc/radcli/acct.conf]\"\n", &c);
	ck_assert_ptr_null(c.auth_passwd_file);
	ck_assert_str_eq(c.auth_radius_config, "/etc/radcli/radiusclient.conf");
	ck_assert(c.auth_radius_groupconfig);
	ck_assert_str_eq(c.auth_radius_nas_id, "vpn1");
	ck_assert_str_eq(c.acct_radius_config, "/etc/radcli/acct.conf");
	config_free(&c);
	parse_ok(NOAUTH "auth = radius[config=/r]\n", &c);
	ck_assert(!c.auth_radius_groupconfig);
	ck_assert_ptr_null(c.auth_radius_nas_id);
	ck_assert_ptr_null(c.acct_radius_config);
	config_free(&c);
}
END_TEST

START_TEST(repeated_keys)
{
	struct config c;

	parse_ok(MIN "dns = 10.0.0.1\n"
		 "route = 10.1.0.0/16\n"
		 "dns = 10.0.0.2\n"
		 "no-route = 10.1.2.0/24\n"
		 "dns = fd00::1\n"
		 "route = 10.2.0.0/16\n"
		 "no-route = 10.1.3.0/255.255.255.0\n"
		 "route = 10.1.0.0/16\n", &c);
	ck_assert_uint_eq(warns.n, 0);
	ck_assert_uint_eq(c.n_dns, 3);
	ck_assert_str_eq(c.dns[0].text, "10.0.0.1");
	ck_assert_str_eq(c.dns[1].text, "10.0.0.2");
	ck_assert_str_eq(c.dns[2].text, "fd00::1");
	ck_assert_uint_eq(c.n_routes, 3);  /* in file order, duplicates kept */
	ck_assert_str_eq(c.routes[0].text, "10.1.0.0/255.255.0.0");
	ck_assert_str_eq(c.routes[1].text, "10.2.0.0/255.255.0.0");
	ck_assert_str_eq(c.routes[2].text, "10.1.0.0/255.255.0.0");
	ck_assert_uint_eq(c.n_no_routes, 2);
	ck_assert_str_eq(c.no_routes[1].text, "10.1.3.0/255.255.255.0");
	ck_assert_uint_eq(c.no_routes[1].prefix, 24);
	config_free(&c);
}
END_TEST

START_TEST(many_routes)
{
	char *text = malloc(64 * 1100 + 512);
	size_t n;
	struct config c;
	struct config_diag d;

	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, MIN);
	for (unsigned i = 0; i < 1024; i++)
		n += (size_t)sprintf(text + n, "route = 10.%u.%u.0/24\n", i / 256, i % 256);
	parse_ok(text, &c);
	ck_assert_uint_eq(c.n_routes, 1024);
	ck_assert_str_eq(c.routes[1023].text, "10.3.255.0/255.255.255.0");
	config_free(&c);
	sprintf(text + n, "route = 11.0.0.0/8\n");
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_uint_eq(d.line, 5 + 1024);
	ck_assert_str_eq(d.key, "route");
	ck_assert_ptr_nonnull(strstr(d.msg, "more than 1024"));
	free(text);
}
END_TEST

START_TEST(too_many_dns)
{
	char text[4096];
	size_t n = (size_t)sprintf(text, MIN);
	struct config c;
	struct config_diag d;

	for (unsigned i = 0; i < 33; i++)
		n += (size_t)sprintf(text + n, "dns = 10.0.0.%u\n", i + 1);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_uint_eq(d.line, 5 + 32);
	ck_assert_str_eq(d.key, "dns");
}
END_TEST

/* ---------------------------------------------------------------- CIDR forms */

START_TEST(ipv4_network_forms)
{
	static const char *const texts[] = {
		NONET "ipv4-network = 10.1.0.0/16\n",
		NONET "ipv4-network = 10.1.0.0/255.255.0.0\n",
		NONET "ipv4-network = 10.1.0.0\nipv4-netmask = 255.255.0.0\n",
		NONET "ipv4-netmask = 255.255.0.0\nipv4-network = 10.1.0.0\n",
		NONET "ipv4-network = 10.1.0.0/16\nipv4-netmask = 255.255.0.0\n",
		NONET "ipv4-network = \"10.1.0.0/16\"\n",
	};
	struct config c;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &c);
		ck_assert_str_eq(v4(c.ipv4_network), "10.1.0.0");
		ck_assert_str_eq(v4(c.ipv4_netmask), "255.255.0.0");
		ck_assert_uint_eq(c.ipv4_prefix, 16);
		config_free(&c);
	}
	parse_ok(NONET "ipv4-network = 192.168.7.252/30\n", &c);
	ck_assert_uint_eq(c.ipv4_prefix, 30);
	ck_assert_str_eq(v4(c.ipv4_netmask), "255.255.255.252");
	config_free(&c);
	parse_ok(NONET "ipv4-network = 0.0.0.0/1\n", &c);
	ck_assert_uint_eq(c.ipv4_prefix, 1);
	config_free(&c);
}
END_TEST

START_TEST(ipv6_network_forms)
{
	static const char *const texts[] = {
		MIN "ipv6-network = fd00:77::/64\n",
		MIN "ipv6-network = fd00:77::\nipv6-prefix = 64\n",
		MIN "ipv6-prefix = 64\nipv6-network = fd00:77::\n",
		MIN "ipv6-network = fd00:77::/64\nipv6-prefix = 64\n",
		MIN "ipv6-network = \"FD00:77:0::/64\"\n",
	};
	struct config c;
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		parse_ok(texts[i], &c);
		inet_ntop(AF_INET6, &c.ipv6_network, a, sizeof(a));
		ck_assert_str_eq(a, "fd00:77::");
		ck_assert_uint_eq(c.ipv6_prefix, 64);
		ck_assert_uint_eq(c.ipv6_subnet_prefix, 128);
		ck_assert(!c.client_bypass_protocol);
		config_free(&c);
	}
	/* none: no IPv6 in the tunnel */
	parse_ok(MIN, &c);
	ck_assert_uint_eq(c.ipv6_prefix, 0);
	config_free(&c);
	parse_ok(MIN "ipv6-network = 2001:db8:77::/48\nipv6-subnet-prefix = 64\n", &c);
	ck_assert_uint_eq(c.ipv6_prefix, 48);
	ck_assert_uint_eq(c.ipv6_subnet_prefix, 64);
	config_free(&c);
	parse_ok(MIN "ipv6-network = fd00::/126\n", &c);
	ck_assert_uint_eq(c.ipv6_prefix, 126);
	config_free(&c);
}
END_TEST

START_TEST(route_forms)
{
	struct config c;

	parse_ok(MIN "route = 10.0.0.0/8\n"
		 "route = 172.16.0.0/255.240.0.0\n"
		 "route = 0.0.0.0/0\n"
		 "route = 192.168.1.7/32\n"
		 "route = 2001:DB8:0::/32\n"
		 "route = ::/0\n"
		 "route = fd00::1/128\n"
		 "no-route = 192.168.1.0/255.255.255.128\n", &c);
	ck_assert_uint_eq(c.n_routes, 7);
	ck_assert_str_eq(c.routes[0].text, "10.0.0.0/255.0.0.0");
	ck_assert_uint_eq(c.routes[0].prefix, 8);
	ck_assert_int_eq(c.routes[0].family, AF_INET);
	ck_assert_str_eq(v4(c.routes[0].net.v4), "10.0.0.0");
	ck_assert_str_eq(c.routes[1].text, "172.16.0.0/255.240.0.0");
	ck_assert_uint_eq(c.routes[1].prefix, 12);
	ck_assert_str_eq(c.routes[2].text, "0.0.0.0/0.0.0.0");
	ck_assert_uint_eq(c.routes[2].prefix, 0);
	ck_assert_str_eq(c.routes[3].text, "192.168.1.7/255.255.255.255");
	ck_assert_str_eq(c.routes[4].text, "2001:db8::/32");
	ck_assert_int_eq(c.routes[4].family, AF_INET6);
	ck_assert_str_eq(c.routes[5].text, "::/0");
	ck_assert_str_eq(c.routes[6].text, "fd00::1/128");
	ck_assert_uint_eq(c.no_routes[0].prefix, 25);
	config_free(&c);

	parse_ok(MIN "route = default\n", &c);
	ck_assert(c.route_default);
	ck_assert_uint_eq(c.n_routes, 0);
	ck_assert_uint_eq(warns.n, 0);
	config_free(&c);
}
END_TEST

/* ---------------------------------------------------------------- errors */

static const struct {
	const char *text;
	unsigned line;
	const char *key;
	const char *needle;
} errors[] = {
	/* numbers */
	{ MIN "dpd = ninety\n", 5, "dpd", "dpd = ninety: not a number (expected 0 (off) or 2..86400)" },
	{ MIN "dpd = 90 # seconds\n", 5, "dpd", "'#' starts a comment only at the beginning of a line" },
	{ MIN "dpd = 1\n", 5, "dpd", "dpd = 1: out of range, expected 0 (off) or 2..86400" },
	{ MIN "dpd = 86401\n", 5, "dpd", "out of range" },
	{ MIN "dpd = -5\n", 5, "dpd", "not a number" },
	{ MIN "dpd = +5\n", 5, "dpd", "not a number" },
	{ MIN "dpd = 0x10\n", 5, "dpd", "not a number" },
	{ MIN "dpd = 5s\n", 5, "dpd", "not a number" },
	{ MIN "mobile-dpd = 1\n", 5, "mobile-dpd", "0 (same as dpd) or 2..86400" },
	{ MIN "dpd-retries = 0\n", 5, "dpd-retries", "dpd-retries = 0: out of range, expected 1..10" },
	{ MIN "dpd-retries = 11\n", 5, "dpd-retries", "expected 1..10" },
	{ MIN "idle-timeout = 2147483648\n", 5, "idle-timeout", "out of range" },
	{ MIN "session-timeout = 99999999999999999999\n", 5, "session-timeout", "out of range" },
	{ MIN "cookie-timeout = 0\n", 5, "cookie-timeout", "expected 1..2147483647" },
	{ MIN "auth-timeout = 0\n", 5, "auth-timeout", "out of range" },
	{ MIN "keepalive = 86401\n", 5, "keepalive", "out of range" },
	{ MIN "tcp-port = 0\n", 5, "tcp-port", "expected 1..65535" },
	{ MIN "udp-port = 65536\n", 5, "udp-port", "out of range" },
	{ MIN "metrics-listen = 9617\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = localhost:9617\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = ::1:9617\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = [127.0.0.1]:9617\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = 127.0.0.1:0\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = 127.0.0.1:65536\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "metrics-listen = 127.0.0.1:+80\n", 5, "metrics-listen", "expected ADDRESS:PORT" },
	{ MIN "mtu = 100\n", 5, "mtu", "0 (tun default) or 576..65535" },
	{ MIN "max-clients = 1000001\n", 5, "max-clients", "out of range" },
	{ MIN "ban-reset-time = 0\n", 5, "ban-reset-time", "out of range" },
	/* booleans */
	{ MIN "persistent-cookies = maybe\n", 5, "persistent-cookies", "not a boolean" },
	{ MIN "try-mtu-discovery = on\n", 5, "try-mtu-discovery", "not a boolean" },
	{ MIN "predictable-ips = true # yes\n", 5, "predictable-ips", "'#' starts a comment" },
	/* addresses */
	{ MIN "dns = 10.0.0.300\n", 5, "dns", "dns = 10.0.0.300: not an IPv4 or IPv6 address" },
	{ MIN "dns = local\n", 5, "dns", "not an IPv4 or IPv6 address" },
	{ MIN "nbns = wins\n", 5, "nbns", "nbns = wins: not an IPv4 or IPv6 address" },
	{ MIN "split-dns = a.example b.example\n", 5, "split-dns",
	  "split-dns = a.example b.example: invalid character ' '" },
	{ MIN "route = 10.0.0.0\n", 5, "route", "expected NET/MASK or NET/PREFIX" },
	{ MIN "route = 10.0.0.0/33\n", 5, "route", "bad prefix length" },
	{ MIN "route = 10.0.0.0/\n", 5, "route", "bad prefix length" },
	{ MIN "route = 10.0.0.0/255.0.255.0\n", 5, "route", "not contiguous" },
	{ MIN "route = 10.0.0.0/255.0.0\n", 5, "route", "bad netmask" },
	{ MIN "route = 10.0.0.1/8\n", 5, "route", "host bits are set (the network is 10.0.0.0/8)" },
	{ MIN "route = 2001:db8::1/32\n", 5, "route", "host bits are set (the network is 2001:db8::/32)" },
	{ MIN "route = 2001:db8::/129\n", 5, "route", "bad IPv6 prefix length" },
	{ MIN "route = 2001:db8::/255.0.0.0\n", 5, "route", "bad IPv6 prefix length" },
	{ MIN "route = example.com/24\n", 5, "route", "not an IPv4 or IPv6 network" },
	{ MIN "route = Default\n", 5, "route", "expected NET/MASK" },
	{ MIN "no-route = default\n", 5, "no-route", "makes no sense" },
	{ MIN "no-route = 10.1.2.3/16\n", 5, "no-route", "host bits are set (the network is 10.1.0.0/16)" },
	{ NONET "ipv4-network = 10.0.0.0\n", 4, "ipv4-network", "ipv4-network has no netmask" },
	{ MIN "ipv6-network = fd00::\n", 5, "ipv6-network", "needs a prefix of 1..127" },
	{ MIN "ipv6-network = fd00::/128\n", 5, "ipv6-network", "needs a prefix of 1..127" },
	{ MIN "ipv6-network = fd00::/129\n", 5, "ipv6-network", "bad prefix length" },
	{ MIN "ipv6-network = 10.0.0.0/8\n", 5, "ipv6-network", "not an IPv6 address" },
	{ MIN "ipv6-network = fd00::1/64\n", 5, "ipv6-network", "host bits are set (the network is fd00::/64)" },
	{ MIN "ipv6-network = fd00::/64\nipv6-prefix = 48\n", 6, "ipv6-prefix",
	  "ipv6-prefix (48) contradicts the /64 of ipv6-network on line 5" },
	{ MIN "ipv6-network = fd00::/64\nipv6-subnet-prefix = 64\n", 6, "ipv6-subnet-prefix",
	  "leaves no client subnet" },
	{ MIN "ipv6-network = fd00::/127\n", 5, "ipv6-subnet-prefix", "leaves no client subnet" },
	{ MIN "ipv6-subnet-prefix = 0\n", 5, "ipv6-subnet-prefix", "" },
	{ NONET "ipv4-network = 10.0.0.1/24\n", 4, "ipv4-network", "host bits are set (the network is 10.0.0.0/24)" },
	{ NONET "ipv4-network = 10.0.0.0/31\n", 4, "ipv4-network", "prefix /31 leaves no room" },
	{ NONET "ipv4-network = 0.0.0.0/0\n", 4, "ipv4-network", "prefix /0 leaves no room" },
	{ NONET "ipv4-network = 300.0.0.0/8\n", 4, "ipv4-network", "not an IPv4 address" },
	{ NONET "ipv4-network = fd00::/64\n", 4, "ipv4-network", "not an IPv4 address" },
	{ NONET "ipv4-network = 10.0.0.0/24\nipv4-netmask = 255.255.0.0\n", 5, "ipv4-netmask",
	  "ipv4-netmask (/16) contradicts the /24 of ipv4-network on line 4" },
	{ NONET "ipv4-network = 10.0.0.0\nipv4-netmask = 255.0.255.0\n", 5, "ipv4-netmask", "not contiguous" },
	{ NONET "ipv4-network = 10.0.0.0\nipv4-netmask = 24\n", 5, "ipv4-netmask", "not a dotted netmask" },
	{ NONET "ipv4-network = 10.0.0.0\nipv4-netmask = 255.255.255.254\n", 5, "ipv4-netmask",
	  "ipv4-netmask: prefix /31" },
	/* strings */
	{ MIN "device = vpn s\n", 5, "device", "invalid character ' '" },
	{ MIN "device = vpn/0\n", 5, "device", "invalid character '/'" },
	{ MIN "device = averyverylongname\n", 5, "device", "longer than 11 characters" },
	{ MIN "rekey-method = renegotiate\n", 5, "rekey-method", "expected ssl or new-tunnel" },
	{ MIN "rekey-method = SSL\n", 5, "rekey-method", "expected ssl or new-tunnel" },
	/* auth */
	{ NOAUTH "auth = pamx\n", 4, "auth", "method 'pamx' is not supported; the methods are plain[passwd=FILE,otp=FILE], pam[gid-min=N], certificate and radius" },
	{ NOAUTH "auth = pam[gid-min=x]\n", 4, "auth", "gid-min: expected a number" },
	{ NOAUTH "auth = pam[service=x]\n", 4, "auth", "option 'service=x' of pam is not supported" },
	{ NOAUTH "auth = pam[gid-min=1\n", 4, "auth", "missing ']'" },
	{ MIN "auth = pam\n", 5, "auth", "auth given twice (first at line 1)" },
	{ NOAUTH "auth = certificate\n", 0, "ca-cert", "auth = certificate needs ca-cert" },
	{ NOAUTH "auth = certificate\nca-cert = /ca\n", 0, "cert-user-oid",
	  "auth = certificate needs cert-user-oid" },
	{ MIN "enable-auth = certificate\n", 0, "ca-cert", "enable-auth = certificate needs ca-cert" },
	{ MIN "enable-auth = gssapi\n", 5, "enable-auth", "the only alternative method is certificate" },
	{ MIN "cert-user-oid = CN\n", 5, "cert-user-oid", "not an OID in dotted form" },
	{ MIN "cert-group-oid = 2.5..11\n", 5, "cert-group-oid", "not an OID in dotted form" },
	{ NOAUTH "auth = certificate\nauth = certificate\n", 5, "auth",
	  "auth = certificate given twice" },
	{ NOAUTH "auth = certificate\nauth = pam\nca-cert = /ca\ncert-user-oid = 2.5.4.3\n", 0, "auth",
	  "auth = certificate with pam is not supported" },
	{ NOAUTH "auth = radius\n", 4, "auth", "expected radius[config=FILE,...]" },
	{ NOAUTH "auth = radius[groupconfig=true]\n", 4, "auth", "radius needs its radcli configuration" },
	{ NOAUTH "auth = radius[config=/r,groupconfig=maybe]\n", 4, "auth", "groupconfig: expected true or false" },
	{ NOAUTH "auth = radius[config=/r,config=/s]\n", 4, "auth", "'config' given twice" },
	{ NOAUTH "auth = radius[config=/r,override-interim-updates=true]\n", 4, "auth",
	  "option 'override-interim-updates' of radius is not supported" },
	{ NOAUTH "auth = radius[config]\n", 4, "auth", "option 'config' needs a value" },
	{ MIN "acct = pam[config=/r]\n", 5, "acct", "the only method is radius[config=FILE]" },
	{ MIN "acct = radius[config=/r,groupconfig=true]\n", 5, "acct", "option 'groupconfig' of radius is not supported (config)" },
	{ MIN "acct = radius[]\n", 5, "acct", "radius needs its radcli configuration" },
	{ NOAUTH "auth = certificate\nauth = radius[config=/r]\nca-cert = /ca\ncert-user-oid = 2.5.4.3\n", 0,
	  "auth", "auth = certificate with radius is not supported" },
	{ NOAUTH "auth = plain\n", 4, "auth", "needs its password file" },
	{ NOAUTH "auth = plain[]\n", 4, "auth", "needs its password file" },
	{ NOAUTH "auth = plainx[passwd=/p]\n", 4, "auth", "method 'plainx'" },
	{ NOAUTH "auth = plain[passwd=/x,hotp=/y]\n", 4, "auth", "option 'hotp' of plain is not supported" },
	{ NOAUTH "auth = plain[otp=/x,otp=/y]\n", 4, "auth", "otp given twice" },
	{ NOAUTH "auth = plain[passwd=/x,passwd=/y]\n", 4, "auth", "passwd given twice" },
	{ NOAUTH "auth = plain[passwd=]\n", 4, "auth", "empty file name" },
	{ NOAUTH "auth = plain[passwd=/x\n", 4, "auth", "missing ']'" },
	{ MIN "auth = plain[passwd=/other]\n", 5, "auth", "auth given twice (first at line 1)" },
	/* keys */
	{ MIN "dpd-retry = 3\n", 5, "dpd-retry", "unknown key 'dpd-retry' (did you mean 'dpd-retries'?)" },
	{ MIN "DPD = 3\n", 5, "DPD", "unknown key 'DPD' (did you mean 'dpd'?)" },
	{ MIN "keepalvie = 3\n", 5, "keepalvie", "(did you mean 'keepalive'?)" },
	{ MIN "idle_timeout = 3\n", 5, "idle_timeout", "(did you mean 'idle-timeout'?)" },
	{ MIN "ca-certs = /x\n", 5, "ca-certs", "(did you mean 'ca-cert'?)" },
	{ MIN "idle_timout = 3\n", 5, "idle_timout", "(did you mean 'idle-timeout'?)" },
	{ MIN "session-timeoutxyz = 3\n", 5, "session-timeoutxyz", "(did you mean 'session-timeout'?)" },
	{ MIN "dpd retries = 3\n", 5, "dpd retries", "(did you mean 'dpd-retries'?)" },
	{ MIN "frobnicate = 3\n", 5, "frobnicate", "unknown key 'frobnicate'" },
	/* lines */
	{ MIN "dpd 90\n", 5, "dpd", "expected 'dpd = value': missing '='" },
	{ MIN "hello\n", 5, "", "expected 'key = value', got 'hello'" },
	{ MIN "= 5\n", 5, "", "missing key before '='" },
	{ MIN "banner =\n", 5, "banner", "banner: missing value" },
	{ MIN "banner = \"\"\n", 5, "banner", "missing value" },
	{ MIN "banner = \"hello\n", 5, "banner", "unterminated quote" },
	{ MIN "banner = \"\n", 5, "banner", "unterminated quote" },
	{ MIN "banner = a\x01" "b\n", 5, "banner", "control character 0x01" },
	{ MIN "banner = a\rb\n", 5, "banner", "control character 0x0d" },
	{ MIN "banner = a\x7f" "b\n", 5, "banner", "control character 0x7f" },
	{ MIN "[global]\n", 5, "", "unknown section '[global]'" },
	{ MIN "[vhost:x\n", 5, "", "lacks its closing ']'" },
	/* required keys: no line */
	{ NOAUTH, 0, "auth", "required key 'auth' is missing" },
	{ "auth = plain[passwd=/p]\nserver-key = /k\nipv4-network = 10.0.0.0/8\n", 0, "server-cert",
	  "required key 'server-cert' is missing" },
	{ "auth = plain[passwd=/p]\nserver-cert = /c\nipv4-network = 10.0.0.0/8\n", 0, "server-key",
	  "required key 'server-key' is missing" },
	{ NONET "ipv4-netmask = 255.255.255.0\n", 0, "ipv4-network", "required key 'ipv4-network' is missing" },
	{ "", 0, "auth", "required key 'auth' is missing" },
	/* a required key in an ignored vhost section does not count */
	{ NOAUTH "[vhost:a]\nauth = plain[passwd=/p]\n", 0, "auth", "required key 'auth' is missing" },
};

START_TEST(error_cases)
{
	struct config c;
	struct config_diag d;
	char prefix[64];
	int r = parse(errors[_i].text, &c, &d);

	ck_assert_msg(r == -EINVAL, "case %d: got %d (%s)", _i, r, d.msg);
	ck_assert_msg(d.line == errors[_i].line, "case %d: line %u, want %u (%s)", _i, d.line,
		      errors[_i].line, d.msg);
	ck_assert_msg(!strcmp(d.key, errors[_i].key), "case %d: key '%s', want '%s'", _i, d.key,
		      errors[_i].key);
	if (errors[_i].line)
		snprintf(prefix, sizeof(prefix), NAME ":%u: ", errors[_i].line);
	else
		snprintf(prefix, sizeof(prefix), NAME ": ");
	ck_assert_msg(!strncmp(d.msg, prefix, strlen(prefix)), "case %d: '%s' lacks '%s'", _i, d.msg,
		      prefix);
	ck_assert_msg(strstr(d.msg, errors[_i].needle), "case %d: '%s' lacks '%s'", _i, d.msg,
		      errors[_i].needle);
	/* nothing is left behind, and freeing again is harmless */
	ck_assert_ptr_null(c.path);
	ck_assert_ptr_null(c.device);
	config_free(&c);
}
END_TEST

START_TEST(no_suggestion_far_away)
{
	struct config c;
	struct config_diag d;

	ck_assert_int_eq(parse(MIN "frobnicate = 3\n", &c, &d), -EINVAL);
	ck_assert_ptr_null(strstr(d.msg, "did you mean"));
	ck_assert_int_eq(parse(MIN "x = 3\n", &c, &d), -EINVAL);
	ck_assert_ptr_null(strstr(d.msg, "did you mean"));
	/* distance 4 from session-timeout: beyond the limit of 3 */
	ck_assert_int_eq(parse(MIN "session-timeoutwxyz = 3\n", &c, &d), -EINVAL);
	ck_assert_ptr_null(strstr(d.msg, "did you mean"));
}
END_TEST

START_TEST(binary_input)
{
	static const char nul[] = MIN "banner = a\0b\n";
	char *big;
	struct config c;
	struct config_diag d = { 0 };

	ck_assert_int_eq(config_parse_buffer(NAME, nul, sizeof(nul) - 1, &c, &d), -EINVAL);
	ck_assert_uint_eq(d.line, 5);
	ck_assert_ptr_nonnull(strstr(d.msg, "NUL byte"));

	big = malloc(CONFIG_MAX_FILE_SIZE + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', CONFIG_MAX_FILE_SIZE + 1);
	memcpy(big, MIN, strlen(MIN));
	ck_assert_int_eq(config_parse_buffer(NAME, big, CONFIG_MAX_FILE_SIZE, &c, &d), 0);
	config_free(&c);
	ck_assert_int_eq(config_parse_buffer(NAME, big, CONFIG_MAX_FILE_SIZE + 1, &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "larger than"));

	/* a line of exactly the limit is fine, one byte more is not */
	memset(big, ' ', CONFIG_MAX_LINE + strlen(MIN) + 1);
	memcpy(big, MIN "#", strlen(MIN) + 1);
	big[CONFIG_MAX_LINE + strlen(MIN)] = '\n';
	ck_assert_int_eq(config_parse_buffer(NAME, big, CONFIG_MAX_LINE + strlen(MIN) + 1, &c, &d), 0);
	config_free(&c);
	memset(big, ' ', CONFIG_MAX_LINE + strlen(MIN) + 2);
	memcpy(big, MIN "#", strlen(MIN) + 1);
	big[CONFIG_MAX_LINE + strlen(MIN) + 1] = '\n';
	ck_assert_int_eq(config_parse_buffer(NAME, big, CONFIG_MAX_LINE + strlen(MIN) + 2, &c, &d),
			 -EINVAL);
	ck_assert_uint_eq(d.line, 5);
	ck_assert_ptr_nonnull(strstr(d.msg, "line longer than 4096 bytes"));
	free(big);

	/* diag is optional */
	ck_assert_int_eq(config_parse_buffer(NAME, "x", 1, &c, NULL), -EINVAL);
	ck_assert_int_eq(config_parse_buffer(NAME, MIN, strlen(MIN), &c, NULL), 0);
	config_free(&c);
}
END_TEST

START_TEST(string_limits)
{
	char text[1024], longpath[200];
	struct config c;
	struct config_diag d;

	memset(longpath, 'x', sizeof(longpath));
	longpath[0] = '/';
	/* occtl-socket-file: up to 107 bytes, the size of sun_path without its NUL */
	snprintf(text, sizeof(text), MIN "occtl-socket-file = %.*s\n", 107, longpath);
	parse_ok(text, &c);
	config_free(&c);
	snprintf(text, sizeof(text), MIN "occtl-socket-file = %.*s\n", 108, longpath);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_str_eq(d.key, "occtl-socket-file");
	ck_assert_ptr_nonnull(strstr(d.msg, "108 bytes long, the limit is 107"));
	/* occtl-socket-mode: octal permission bits only */
	{
		static const char *const bad[] = { "", "8", "0800", "1777", "06600", "rw", "-1" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(text, sizeof(text), MIN "occtl-socket-mode = \"%s\"\n", bad[i]);
			ck_assert_msg(parse(text, &c, &d) == -EINVAL, "mode '%s' accepted", bad[i]);
			ck_assert_str_eq(d.key, "occtl-socket-mode");
		}
		snprintf(text, sizeof(text), MIN "occtl-socket-mode = 0\n");
		parse_ok(text, &c);
		ck_assert_uint_eq(c.occtl_socket_mode, 0);
		config_free(&c);
		snprintf(text, sizeof(text), MIN "occtl-socket-mode = 0770\n");
		parse_ok(text, &c);
		ck_assert_uint_eq(c.occtl_socket_mode, 0770);
		config_free(&c);
		/* writable by others: every local user could talk to main */
		static const char *const world[] = { "0777", "0666", "0602", "2" };

		for (size_t i = 0; i < sizeof(world) / sizeof(world[0]); i++) {
			snprintf(text, sizeof(text), MIN "occtl-socket-mode = %s\n", world[i]);
			ck_assert_msg(parse(text, &c, &d) == -EINVAL, "mode '%s' accepted", world[i]);
			ck_assert_str_eq(d.key, "occtl-socket-mode");
			ck_assert_ptr_nonnull(strstr(d.msg, "anyone may write to"));
		}
	}
	/* socket-file keeps room for ".<pid>" */
	snprintf(text, sizeof(text), MIN "socket-file = %.*s\n", 96, longpath);
	parse_ok(text, &c);
	config_free(&c);
	snprintf(text, sizeof(text), MIN "socket-file = %.*s\n", 97, longpath);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_str_eq(d.key, "socket-file");
	parse_ok(MIN "device = abcdefghijk\n", &c);
	ck_assert_str_eq(c.device, "abcdefghijk");
	config_free(&c);
}
END_TEST

START_TEST(long_tokens)
{
	char text[1024], longkey[101];
	struct config c;
	struct config_diag d;

	/* a 100-byte unknown key: no suggestion, truncated in diag.key */
	memset(longkey, 'k', 100);
	longkey[100] = '\0';
	snprintf(text, sizeof(text), MIN "%s = 1\n", longkey);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_uint_eq(strlen(d.key), sizeof(d.key) - 1);
	ck_assert(!strncmp(d.key, longkey, sizeof(d.key) - 1));
	ck_assert_ptr_null(strstr(d.msg, "did you mean"));
	/* address parts too long to be addresses */
	snprintf(text, sizeof(text), NONET "ipv4-network = %.70s/24\n", longkey);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "not an IPv4 address"));
	snprintf(text, sizeof(text), MIN "route = %.60s/8\n", longkey);
	ck_assert_int_eq(parse(text, &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "not an IPv4 or IPv6 network"));
	/* a case slip on an ocserv-only key is still a typo */
	ck_assert_int_eq(parse(MIN "CA-Cert = /x\n", &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "(did you mean 'ca-cert'?)"));
}
END_TEST

/* ---------------------------------------------------------------- warnings */

START_TEST(warn_ocserv_only)
{
	struct config c;

	parse_ok(MIN "dh-params = /etc/dh.pem\n"
		 "# unimplemented keys are not validated\n"
		 "use-seccomp = banana\n", &c);
	ck_assert_uint_eq(warns.n, 2);
	ck_assert_uint_eq(warns.line[0], 5);
	ck_assert_str_eq(warns.key[0], "dh-params");
	ck_assert_str_eq(warns.msg[0], NAME ":5: dh-params: ocserv option not implemented by this "
			 "server; ignored");
	ck_assert_uint_eq(warns.line[1], 7);
	ck_assert_str_eq(warns.key[1], "use-seccomp");
	config_free(&c);
}
END_TEST

/* a key of per-user files in the main configuration: said where it belongs */
START_TEST(warn_user_only_key)
{
	struct config c;

	parse_ok(MIN "explicit-ipv4 = 192.168.77.9\n"
		 "iroute = 10.9.0.0/16\n", &c);
	ck_assert_uint_eq(warns.n, 2);
	ck_assert_str_eq(warns.msg[0], NAME ":5: explicit-ipv4: accepted only in a per-user or "
			 "per-group file (config-per-user, config-per-group); ignored here");
	ck_assert_str_eq(warns.key[1], "iroute");
	config_free(&c);
}
END_TEST

START_TEST(warn_every_ocserv_only_key)
{
	char *text = malloc(16384);
	size_t n = (size_t)sprintf(text, MIN), count = 0;
	struct config c;

	for (size_t i = 0; config_ocserv_only_key_at(i); i++, count++)
		n += (size_t)sprintf(text + n, "%s = something\n", config_ocserv_only_key_at(i));
	parse_ok(text, &c);
	ck_assert_uint_eq(warns.n, count);
	/* the names doc/spec/interop.md §7.9 lists that we do not implement are among them */
	static const char *const listed[] = {
		"udp-listen-host", "listen-host-is-dyndns",
		"dh-params",
		"compression", "no-compress-limit",
		"server-stats-reset-time", "pre-login-banner", "host-update-script",
		"use-utmp", "ping-leases", "expose-iroutes", "route-add-cmd",
		"route-del-cmd", "select-group-by-url", "auto-select-group", "proxy-url", "kkdcp", "cisco-svc-client-compat",
		"custom-header", "stats-report-time",
		"output-buffer", "use-occtl", "sec-mod-scale",
		"ban-points-wrong-password", "ban-points-kkdcp", "ban-time",
		"hostname", "net-priority", "cgroup", "no-udp",
		"use-seccomp",
		"session-control", "append-routes", "compression-algo-priority",
		"debug-no-secmod-stats",
	};
	for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		ck_assert_msg(config_key_is_ocserv_only(listed[i]), "%s", listed[i]);
	ck_assert(!config_key_is_ocserv_only("dpd"));
	ck_assert(!config_key_is_ocserv_only("frobnicate"));
	/* implemented since: per-user and per-group files */
	ck_assert(!config_key_is_ocserv_only("config-per-user"));
	ck_assert(!config_key_is_ocserv_only("default-group-config"));
	ck_assert(!config_key_is_ocserv_only("select-group"));
	/* implemented since: legacy DTLS */
	ck_assert(!config_key_is_ocserv_only("dtls-psk"));
	ck_assert(!config_key_is_ocserv_only("dtls-legacy"));
	ck_assert(!config_key_is_ocserv_only("cisco-client-compat"));
	/* implemented, in per-user and per-group files only */
	ck_assert(!config_key_is_ocserv_only("iroute"));
	ck_assert(!config_key_is_ocserv_only("explicit-ipv4"));
	ck_assert(!config_key_is_ocserv_only("explicit-ipv6"));
	/* implemented since: the PROXY protocol */
	ck_assert(!config_key_is_ocserv_only("listen-proxy-proto"));
	/* implemented since: client certificates */
	ck_assert(!config_key_is_ocserv_only("ca-cert"));
	ck_assert(!config_key_is_ocserv_only("crl"));
	ck_assert(!config_key_is_ocserv_only("cert-user-oid"));
	ck_assert(!config_key_is_ocserv_only("cert-group-oid"));
	ck_assert(!config_key_is_ocserv_only("enable-auth"));
	ck_assert(!config_key_is_ocserv_only("default-select-group"));
	{
		struct config_diag d;
		struct config c2;

		ck_assert_int_eq(parse(MIN "select-group = staff[Staff members]\n", &c2, &d), -EINVAL);
		ck_assert_str_eq(d.msg, "test.conf:5: select-group = staff[Staff members]: invalid "
				 "character '[' (a group name of the password file; labels in [...] "
				 "are not supported)");
	}
	config_free(&c);
	free(text);
}
END_TEST

/* tls-priorities is parsed by GnuTLS at load: a bad string is fatal with
 * the line and the rest of the string from where GnuTLS stopped */
START_TEST(tls_priorities_checked)
{
	struct config c;
	struct config_diag d;

	parse_ok(MIN, &c);
	ck_assert_str_eq(c.tls_priorities, "NORMAL:%SERVER_PRECEDENCE");
	ck_assert(!c.match_tls_dtls_ciphers);
	config_free(&c);
	parse_ok(MIN "tls-priorities = \"NORMAL:-VERS-TLS1.3\"\nmatch-tls-dtls-ciphers = true\n", &c);
	ck_assert_str_eq(c.tls_priorities, "NORMAL:-VERS-TLS1.3");
	ck_assert(c.match_tls_dtls_ciphers);
	config_free(&c);
	ck_assert_int_eq(parse(MIN "\ntls-priorities = NORMAL:+BOGUS:-RSA\n", &c, &d), -EINVAL);
	ck_assert_str_eq(d.key, "tls-priorities");
	ck_assert_ptr_nonnull(strstr(d.msg, ":6: tls-priorities = NORMAL:+BOGUS:-RSA: "));
	ck_assert_ptr_nonnull(strstr(d.msg, "at \"+BOGUS:-RSA\""));
}
END_TEST

/* workers cannot chroot (they start unprivileged): a clear error, not a
 * warning that would leave the administrator believing they are in one */
START_TEST(chroot_dir_refused)
{
	struct config c;
	struct config_diag d;

	ck_assert_int_eq(parse(MIN "chroot-dir = /var/lib/ocserv\n", &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "chroot-dir is not supported"));
	ck_assert_ptr_nonnull(strstr(d.msg, "isolate-workers"));
}
END_TEST

START_TEST(isolate_workers_key)
{
	struct config c;

	parse_ok(MIN, &c);
	ck_assert(c.isolate_workers);
	config_free(&c);
	parse_ok(MIN "isolate-workers = false\n", &c);
	ck_assert(!c.isolate_workers);
	config_free(&c);
}
END_TEST

START_TEST(warn_duplicate)
{
	struct config c;

	parse_ok(MIN "dpd = 30\n\ndpd = 40\n", &c);
	ck_assert_uint_eq(c.dpd_s, 40);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_uint_eq(warns.line[0], 7);
	ck_assert_str_eq(warns.key[0], "dpd");
	ck_assert_ptr_nonnull(strstr(warns.msg[0], "replaces the one from line 5"));
	config_free(&c);

	parse_ok(MIN "banner = one\nbanner = two\n", &c);
	ck_assert_str_eq(c.banner, "two");
	ck_assert_uint_eq(warns.n, 1);
	config_free(&c);
}
END_TEST

START_TEST(warn_vhost)
{
	struct config c;

	parse_ok(MIN "dpd = 30\n"
		 "[vhost:www.example.com]\n"
		 "auth = certificate\n"
		 "this line is not even valid\n"
		 "dpd = not-a-number\n"
		 "[vhost:other]\n"
		 "dpd = 10\n", &c);
	ck_assert_uint_eq(c.dpd_s, 30);
	ck_assert_uint_eq(warns.n, 2);
	ck_assert_uint_eq(warns.line[0], 6);
	ck_assert_ptr_nonnull(strstr(warns.msg[0], NAME ":6: [vhost:www.example.com]: virtual hosts "
				     "are not supported"));
	ck_assert_uint_eq(warns.line[1], 10);
	config_free(&c);
}
END_TEST

START_TEST(warn_route_default)
{
	struct config c;

	parse_ok(MIN "route = 10.0.0.0/8\nroute = default\nroute = 10.1.0.0/16\n", &c);
	ck_assert(c.route_default);
	ck_assert_uint_eq(c.n_routes, 0);
	ck_assert_ptr_null(c.routes);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_str_eq(warns.key[0], "route");
	ck_assert_ptr_nonnull(strstr(warns.msg[0], "the 2 other route lines are ignored"));
	config_free(&c);
}
END_TEST

START_TEST(warn_cross_checks)
{
	struct config c;
	struct config_diag d = { 0 };

	parse_ok(MIN "dpd = 0\ntry-mtu-discovery = true\n", &c);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_uint_eq(warns.line[0], 6);
	ck_assert_ptr_nonnull(strstr(warns.msg[0], "try-mtu-discovery needs DPD"));
	config_free(&c);

	parse_ok(MIN "max-clients = 4\nmax-same-clients = 5\n", &c);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_str_eq(warns.key[0], "max-same-clients");
	config_free(&c);

	/* only max-clients in the file: the warning points at its line */
	parse_ok(MIN "max-clients = 1\n", &c);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_uint_eq(warns.line[0], 5);
	ck_assert_ptr_nonnull(strstr(warns.msg[0], NAME ":5: max-same-clients (2) is above max-clients (1)"));
	config_free(&c);

	parse_ok(MIN "max-clients = 0\nmax-same-clients = 5\n", &c);  /* unlimited */
	ck_assert_uint_eq(warns.n, 0);
	config_free(&c);

	/* without a callback warnings are still counted */
	ck_assert_int_eq(config_parse_buffer(NAME, MIN "dh-params = /x\ncgroup = y\n",
					     strlen(MIN "dh-params = /x\ncgroup = y\n"), &c, &d), 0);
	ck_assert_uint_eq(d.n_warnings, 2);
	ck_assert_str_eq(d.msg, "");
	config_free(&c);
}
END_TEST

/* ---------------------------------------------------------------- mobile */

START_TEST(mobile_platform)
{
	static const char *const mobile[] = {
		"android", "Android 14", "ANDROID", "android-tv", "apple-ios", "Apple-iOS 17.2", "APPLE-IOS",
	};
	static const char *const not_mobile[] = {
		"", "win", "mac-intel", "linux-64", "apple-macos", "iOS", "ios", " android", "andro", "apple-io",
	};

	for (size_t i = 0; i < sizeof(mobile) / sizeof(mobile[0]); i++)
		ck_assert_msg(config_platform_is_mobile(mobile[i]), "%s", mobile[i]);
	for (size_t i = 0; i < sizeof(not_mobile) / sizeof(not_mobile[0]); i++)
		ck_assert_msg(!config_platform_is_mobile(not_mobile[i]), "%s", not_mobile[i]);
	ck_assert(!config_platform_is_mobile(NULL));
}
END_TEST

/* ---- per-user and per-group files */

static int user_parse(const char *text, struct config_user *u, struct config_diag *d)
{
	memset(&warns, 0, sizeof(warns));
	memset(d, 0, sizeof(*d));
	d->warn = on_warn;
	d->opaque = &warns;
	return config_user_parse_buffer("alice", text, strlen(text), u, d);
}

START_TEST(user_keys)
{
	struct config_user u;
	struct config_diag d;
	char a[INET_ADDRSTRLEN];

	ck_assert_int_eq(user_parse("# alice\n\ndpd = 2\nmobile-dpd = 0\nkeepalive = \"30\"\n"
				    "idle-timeout = 7\nmobile-idle-timeout = 0\n"
				    "explicit-ipv4 = 10.77.0.42\nroute = 10.1.0.0/16\n"
				    "route = 10.2.0.0/255.255.0.0\nno-route = 10.2.3.0/24\n"
				    "dns = 192.0.2.53\nexplicit-ipv6 = fd00:77::2a\nrx-data-per-sec = 1000\n"
				    "tx-data-per-sec = 2000\nrestrict-user-to-ports = \"tcp(22)\"\n"
				    "session-timeout = 600\ncookie-timeout = 90\n"
				    "ipv4-network = 10.88.0.0\nipv4-netmask = 255.255.254.0\n"
				    "iroute = 10.55.0.0/16\niroute = 10.56.0.0/255.255.255.0\n"
				    "iroute = fd00:55::/48\n", &u, &d), 0);
	ck_assert_uint_eq(warns.n, 0);
	ck_assert_uint_eq(u.set, (1u << CONFIG_USER_N_KEYS) - 1);
	ck_assert_uint_eq(u.session_timeout_s, 600);
	ck_assert_uint_eq(u.cookie_timeout_s, 90);
	ck_assert_uint_eq(u.dpd_s, 2);
	ck_assert_uint_eq(u.mobile_dpd_s, 0);
	ck_assert_uint_eq(u.keepalive_s, 30);
	ck_assert_uint_eq(u.idle_timeout_s, 7);
	ck_assert_uint_eq(u.mobile_idle_timeout_s, 0);
	inet_ntop(AF_INET, &u.explicit_ipv4, a, sizeof(a));
	ck_assert_str_eq(a, "10.77.0.42");
	ck_assert_uint_eq(u.n_routes, 2);
	ck_assert_str_eq(u.routes[1].text, "10.2.0.0/255.255.0.0");
	ck_assert_uint_eq(u.n_no_routes, 1);
	ck_assert_str_eq(u.no_routes[0].text, "10.2.3.0/255.255.255.0");
	ck_assert_uint_eq(u.n_dns, 1);
	ck_assert_str_eq(u.dns[0].text, "192.0.2.53");
	char a6[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &u.explicit_ipv6, a6, sizeof(a6));
	ck_assert_str_eq(a6, "fd00:77::2a");
	ck_assert_uint_eq(u.rx_data_per_sec, 1000);
	ck_assert_uint_eq(u.tx_data_per_sec, 2000);
	ck_assert_str_eq(u.restrict_ports, "tcp(22)");
	inet_ntop(AF_INET, &u.ipv4_network, a, sizeof(a));
	ck_assert_str_eq(a, "10.88.0.0");
	ck_assert_uint_eq(u.ipv4_prefix, 23);
	ck_assert_uint_eq(u.n_iroutes, 3);
	ck_assert_str_eq(u.iroutes[1].text, "10.56.0.0/255.255.255.0");
	ck_assert_str_eq(u.iroutes[2].text, "fd00:55::/48");
	config_user_free(&u);
	ck_assert_uint_eq(u.set, 0);
	for (int k = 0; k < CONFIG_USER_N_KEYS; k++)
		ck_assert_ptr_nonnull(config_user_key_name((enum config_user_key)k));
	ck_assert_ptr_null(config_user_key_name(CONFIG_USER_N_KEYS));

	/* an empty file sets nothing */
	ck_assert_int_eq(user_parse("", &u, &d), 0);
	ck_assert_uint_eq(u.set, 0);
}
END_TEST

START_TEST(user_other_keys_warn)
{
	struct config_user u;
	struct config_diag d;

	/* a global key, an ocserv per-user key: warned and ignored */
	ck_assert_int_eq(user_parse("max-clients = 3\nrekey-time = 9\nexpose-iroutes = true\n"
				    "dpd = 5\ndpd = 6\n", &u, &d), 0);
	ck_assert_uint_eq(warns.n, 4);
	ck_assert_str_eq(warns.key[0], "max-clients");
	ck_assert_str_eq(warns.msg[0],
			 "alice:1: max-clients: not accepted in a per-user or per-group file; ignored");
	ck_assert_str_eq(warns.key[1], "rekey-time");
	ck_assert_str_eq(warns.key[2], "expose-iroutes");
	ck_assert_str_eq(warns.key[3], "dpd");
	ck_assert_uint_eq(warns.line[3], 5);
	ck_assert_uint_eq(u.set, 1u << CONFIG_USER_DPD);
	ck_assert_uint_eq(u.dpd_s, 6);

	/* route = default: full tunnel, the other route lines dropped (a warning) */
	ck_assert_int_eq(user_parse("route = 10.0.0.0/8\nroute = default\n", &u, &d), 0);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert(u.route_default);
	ck_assert_uint_eq(u.n_routes, 0);
	ck_assert_uint_eq(u.set, 1u << CONFIG_USER_ROUTE);
	config_user_free(&u);
}
END_TEST

START_TEST(user_errors)
{
	struct config_user u;
	struct config_diag d;

	ck_assert_int_eq(user_parse("dpd = 1\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: dpd = 1: out of range, expected 0 (off) or 2..86400");
	ck_assert_uint_eq(u.set, 0);
	ck_assert_int_eq(user_parse("keepalive = 3\nidle-timout = 7\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:2: unknown key 'idle-timout' (did you mean 'idle-timeout'?)");
	ck_assert_uint_eq(u.set, 0);
	ck_assert_int_eq(user_parse("route = 10.0.0.0/8\nroute = 10.0.0.1/8\n", &u, &d), -EINVAL);
	ck_assert_uint_eq(u.set, 0);
	ck_assert_ptr_null(u.routes);
	ck_assert_int_eq(user_parse("explicit-ipv4 = 10.77.0\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: explicit-ipv4 = 10.77.0: not an IPv4 address");
	ck_assert_int_eq(user_parse("dpd =\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.key, "dpd");
	ck_assert_int_eq(user_parse("dpd = 5\0x", &u, &d), 0);
	ck_assert_int_eq(config_user_parse_buffer("alice", "dpd = 5\0", 8, &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: NUL byte in line");
	ck_assert_int_eq(config_user_load("/nonexistent/alice", &u, &d), -ENOENT);
}
END_TEST

START_TEST(user_precedence)
{
	struct config c;
	struct config_user g, u;
	struct config_diag d;
	struct config_tunnel_timers t;
	struct config_timer_origins o;

	parse_ok(MIN "dpd = 20\nkeepalive = 60\nidle-timeout = 100\n", &c);
	ck_assert_int_eq(user_parse("dpd = 8\nidle-timeout = 7\nmobile-dpd = 0\n", &g, &d), 0);
	ck_assert_int_eq(user_parse("dpd = 2\n", &u, &d), 0);

	config_tunnel_timers_user(&c, NULL, NULL, false, &t, &o);
	ck_assert_uint_eq(t.dpd_s, 20);
	ck_assert_int_eq(o.dpd, CONFIG_ORIGIN_GLOBAL);
	config_tunnel_timers_user(&c, &g, NULL, false, &t, &o);
	ck_assert_uint_eq(t.dpd_s, 8);
	ck_assert_int_eq(o.dpd, CONFIG_ORIGIN_GROUP);
	config_tunnel_timers_user(&c, &g, &u, false, &t, &o);
	ck_assert_uint_eq(t.dpd_s, 2);
	ck_assert_int_eq(o.dpd, CONFIG_ORIGIN_USER);
	ck_assert_uint_eq(t.idle_timeout_s, 7);
	ck_assert_int_eq(o.idle_timeout, CONFIG_ORIGIN_GROUP);
	ck_assert_uint_eq(t.keepalive_s, 60);
	ck_assert_int_eq(o.keepalive, CONFIG_ORIGIN_GLOBAL);
	ck_assert_str_eq(config_origin_str(o.dpd), "user");
	ck_assert_str_eq(config_origin_str(o.idle_timeout), "group");
	ck_assert_str_eq(config_origin_str(o.keepalive), "global");

	/* a mobile client: the group's mobile-dpd = 0 is the session's dpd (the
	 * user's), the idle timeout the global mobile-idle-timeout */
	config_tunnel_timers_user(&c, &g, &u, true, &t, &o);
	ck_assert_uint_eq(t.dpd_s, 2);
	ck_assert_int_eq(o.dpd, CONFIG_ORIGIN_USER);
	ck_assert_uint_eq(t.idle_timeout_s, 1800);
	ck_assert_int_eq(o.idle_timeout, CONFIG_ORIGIN_GLOBAL);
	/* without the files: the global mobile values */
	config_tunnel_timers_user(&c, NULL, &u, true, &t, NULL);
	ck_assert_uint_eq(t.dpd_s, 1800);
	config_free(&c);
}
END_TEST

START_TEST(user_lists)
{
	struct config c;
	struct config_user g, u;
	struct config_diag d;
	struct config_session_lists l;

	parse_ok(MIN "route = 10.1.0.0/16\nno-route = 10.1.2.0/24\ndns = 192.0.2.1\n", &c);
	ck_assert_int_eq(user_parse("route = 10.5.0.0/16\nroute = 10.6.0.0/16\ndns = 192.0.2.7\n",
				    &g, &d), 0);
	ck_assert_int_eq(user_parse("route = default\n", &u, &d), 0);
	config_session_lists(&c, NULL, NULL, &l);
	ck_assert_uint_eq(l.n_routes, 1);
	ck_assert_str_eq(l.routes[0].text, "10.1.0.0/255.255.0.0");
	config_session_lists(&c, &g, NULL, &l);
	ck_assert_uint_eq(l.n_routes, 2);
	ck_assert_str_eq(l.routes[1].text, "10.6.0.0/255.255.0.0");
	ck_assert_uint_eq(l.n_no_routes, 1);  /* the group has none: the global one */
	ck_assert_str_eq(l.dns[0].text, "192.0.2.7");
	config_session_lists(&c, &g, &u, &l);
	ck_assert_uint_eq(l.n_routes, 0);     /* the user's route = default: full tunnel */
	ck_assert_str_eq(l.dns[0].text, "192.0.2.7");
	config_user_free(&g);
	config_user_free(&u);
	config_free(&c);
}
END_TEST

START_TEST(user_datapath)
{
	struct config c;
	struct config_user g, u;
	struct config_diag d;
	struct config_datapath dp;

	parse_ok(MIN "rx-data-per-sec = 100\nrestrict-user-to-ports = icmp()\n", &c);
	ck_assert_int_eq(user_parse("tx-data-per-sec = 7\nrestrict-user-to-ports = udp(53)\n", &g, &d),
			 0);
	ck_assert_int_eq(user_parse("rx-data-per-sec = 0\n", &u, &d), 0);
	config_session_datapath(&c, NULL, NULL, &dp);
	ck_assert_uint_eq(dp.rx_data_per_sec, 100);
	ck_assert_uint_eq(dp.tx_data_per_sec, 0);
	ck_assert_str_eq(dp.restrict_ports, "icmp()");
	config_session_datapath(&c, &g, &u, &dp);
	ck_assert_uint_eq(dp.rx_data_per_sec, 0);   /* the user's 0: unlimited */
	ck_assert_uint_eq(dp.tx_data_per_sec, 7);   /* the group's */
	ck_assert_str_eq(dp.restrict_ports, "udp(53)");
	config_user_free(&g);
	config_user_free(&u);
	/* a bad list is an error naming the line, in both kinds of file */
	ck_assert_int_eq(user_parse("restrict-user-to-ports = tcp(80), gre()\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: restrict-user-to-ports = tcp(80), gre(): unknown protocol "
				"'gre' (tcp, udp, sctp, icmp, icmpv6)");
	config_free(&c);
	ck_assert_int_eq(parse(MIN "restrict-user-to-ports = \"!(tcp(0))\"\n", &c, &d), -EINVAL);
	ck_assert_str_eq(d.key, "restrict-user-to-ports");
	ck_assert_uint_eq(d.line, 5);
}
END_TEST

START_TEST(user_pool)
{
	struct config_user u;
	struct config_diag d;

	ck_assert_int_eq(user_parse("ipv4-network = 10.88.4.0/22\n", &u, &d), 0);
	ck_assert_uint_eq(u.ipv4_prefix, 22);
	ck_assert_int_eq(user_parse("ipv4-netmask = 255.255.255.0\n", &u, &d), 0);
	ck_assert_uint_eq(u.set, 0);
	ck_assert_uint_eq(warns.n, 1);
	ck_assert_str_eq(warns.msg[0], "alice:1: ipv4-netmask without ipv4-network: ignored");
	ck_assert_int_eq(user_parse("ipv4-network = 10.88.0.0\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: ipv4-network has no netmask: write A.B.C.D/N or add "
				"ipv4-netmask");
	ck_assert_int_eq(user_parse("dpd = 5\nipv4-network = 10.88.0.0/16\nipv4-netmask = 255.255.255.0\n",
				    &u, &d), -EINVAL);
	ck_assert_uint_eq(d.line, 3);
	ck_assert_int_eq(user_parse("ipv4-network = 10.88.0.1/24\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: ipv4-network: host bits are set (the network is "
				"10.88.0.0/24)");
	ck_assert_int_eq(user_parse("ipv4-network = 10.88.0.0/31\n", &u, &d), -EINVAL);
	ck_assert_uint_eq(u.set, 0);
	/* iroute: a network, host bits zero */
	ck_assert_int_eq(user_parse("iroute = 10.55.0.1/24\n", &u, &d), -EINVAL);
	ck_assert_str_eq(d.msg, "alice:1: iroute = 10.55.0.1/24: host bits are set");
	ck_assert_int_eq(user_parse("iroute = 10.55.0.0\n", &u, &d), -EINVAL);
	ck_assert_int_eq(user_parse("iroute = fd00:55::1/48\n", &u, &d), -EINVAL);
	ck_assert_int_eq(user_parse("iroute = default\n", &u, &d), -EINVAL);
}
END_TEST

START_TEST(route_from_text)
{
	struct config_route r;

	ck_assert_int_eq(config_route_from_text("10.1.0.0/255.255.0.0", &r), 0);
	ck_assert_int_eq(r.family, AF_INET);
	ck_assert_uint_eq(r.prefix, 16);
	ck_assert_str_eq(r.text, "10.1.0.0/255.255.0.0");
	ck_assert_int_eq(config_route_from_text("2001:db8::/32", &r), 0);
	ck_assert_int_eq(r.family, AF_INET6);
	ck_assert_uint_eq(r.prefix, 32);
	ck_assert_int_eq(config_route_from_text("0.0.0.0/0.0.0.0", &r), 0);
	ck_assert_uint_eq(r.prefix, 0);
	ck_assert_int_eq(config_route_from_text("10.1.0.0/255.0.255.0", &r), -EINVAL);
	ck_assert_int_eq(config_route_from_text("10.1.0.0", &r), -EINVAL);
	ck_assert_int_eq(config_route_from_text("2001:db8::/129", &r), -EINVAL);
	ck_assert_int_eq(config_route_from_text("x/8", &r), -EINVAL);
}
END_TEST

START_TEST(user_load_file)
{
	char path[] = "/tmp/test-config-user-XXXXXX";
	int fd = mkstemp(path);
	struct config_user u;
	struct config_diag d = { 0 };
	static const char text[] = "\xef\xbb\xbfidle-timeout = 7\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	ck_assert_int_eq(config_user_load(path, &u, &d), 0);
	ck_assert_uint_eq(u.set, 1u << CONFIG_USER_IDLE_TIMEOUT);
	ck_assert_uint_eq(u.idle_timeout_s, 7);
	unlink(path);
}
END_TEST

START_TEST(mobile_timers)
{
	struct config c;
	struct config_tunnel_timers t;

	parse_ok(MIN "session-timeout = 3600\nkeepalive = 60\n", &c);
	config_tunnel_timers(&c, false, &t);
	ck_assert(!t.mobile);
	ck_assert_uint_eq(t.dpd_s, 90);
	ck_assert_uint_eq(t.idle_timeout_s, 1200);
	ck_assert_uint_eq(t.dpd_retries, 2);
	ck_assert_uint_eq(t.keepalive_s, 60);
	ck_assert_uint_eq(t.session_timeout_s, 3600);
	ck_assert_uint_eq(t.switch_to_tcp_timeout_s, 25);
	ck_assert_uint_eq(t.cookie_timeout_s, 300);
	config_tunnel_timers(&c, true, &t);
	ck_assert(t.mobile);
	ck_assert_uint_eq(t.dpd_s, 1800);
	ck_assert_uint_eq(t.idle_timeout_s, 1800);
	ck_assert_uint_eq(t.dpd_retries, 2);
	ck_assert_uint_eq(t.keepalive_s, 60);
	ck_assert_uint_eq(t.session_timeout_s, 3600);
	config_free(&c);

	/* mobile-dpd = 0 means "same as dpd" (ocserv); mobile-idle-timeout = 0 means none */
	parse_ok(MIN "dpd = 20\nmobile-dpd = 0\nidle-timeout = 60\nmobile-idle-timeout = 0\n", &c);
	ck_assert_uint_eq(c.mobile_dpd_s, 20);
	config_tunnel_timers(&c, true, &t);
	ck_assert_uint_eq(t.dpd_s, 20);
	ck_assert_uint_eq(t.idle_timeout_s, 0);
	config_tunnel_timers(&c, false, &t);
	ck_assert_uint_eq(t.idle_timeout_s, 60);
	config_free(&c);

	/* the order of dpd and mobile-dpd in the file does not matter */
	parse_ok(MIN "mobile-dpd = 0\ndpd = 0\n", &c);
	ck_assert_uint_eq(c.mobile_dpd_s, 0);
	config_free(&c);
}
END_TEST

START_TEST(rekey_str)
{
	ck_assert_str_eq(config_rekey_method_str(CONFIG_REKEY_SSL), "ssl");
	ck_assert_str_eq(config_rekey_method_str(CONFIG_REKEY_NEW_TUNNEL), "new-tunnel");
}
END_TEST

/* ---------------------------------------------------------------- files, round trip */

static char tmp_path[256];

static void write_tmp(const char *text)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "%s/test-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(load_file)
{
	struct config c;
	struct config_diag d = { 0 };
	char prefix[300];

	write_tmp(MIN "dpd = 33\n");
	ck_assert_int_eq(config_load(tmp_path, &c, &d), 0);
	ck_assert_str_eq(c.path, tmp_path);
	ck_assert_uint_eq(c.dpd_s, 33);
	config_free(&c);
	config_free(&c);  /* twice is harmless */
	unlink(tmp_path);

	write_tmp(MIN "dpd = 1\n");
	ck_assert_int_eq(config_load(tmp_path, &c, &d), -EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:5: dpd = 1: out of range", tmp_path);
	ck_assert_msg(!strncmp(d.msg, prefix, strlen(prefix)), "%s", d.msg);
	ck_assert_uint_eq(d.line, 5);
	ck_assert_str_eq(d.key, "dpd");
	unlink(tmp_path);

	ck_assert_int_eq(config_load("/nonexistent/ocserv.conf", &c, &d), -ENOENT);
	ck_assert_str_eq(d.msg, "/nonexistent/ocserv.conf: cannot read: No such file or directory");
	ck_assert_int_eq(config_load("/", &c, &d), -EISDIR);
	ck_assert_ptr_nonnull(strstr(d.msg, "not a regular file"));
	ck_assert_int_eq(config_load("/nonexistent/ocserv.conf", &c, NULL), -ENOENT);

	/* a FIFO nobody writes to is refused, not waited on */
	snprintf(tmp_path, sizeof(tmp_path), "%s/test-config-fifo-%d",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	ck_assert_int_eq(mkfifo(tmp_path, 0600), 0);
	ck_assert_int_eq(config_load(tmp_path, &c, &d), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "not a regular file"));
	unlink(tmp_path);

	/* above the size limit, checked before reading */
	write_tmp(MIN);
	ck_assert_int_eq(truncate(tmp_path, CONFIG_MAX_FILE_SIZE + 1), 0);
	ck_assert_int_eq(config_load(tmp_path, &c, &d), -EFBIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "larger than"));
	unlink(tmp_path);
}
END_TEST

static char *dump(const struct config *c)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_write(c, f), 0);
	fclose(f);
	return out;
}

static void round_trip(const char *text)
{
	struct config a, b;
	char *da, *db;

	parse_ok(text, &a);
	da = dump(&a);
	parse_ok(da, &b);
	ck_assert_uint_eq(warns.n, 0);
	db = dump(&b);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	config_free(&a);
	config_free(&b);
}

START_TEST(write_round_trip)
{
	round_trip(MIN);
	round_trip(full);
	round_trip(NOAUTH "route = default\nbanner = \"\"quoted\" and  spaced \"\n"
		   "default-domain = \" lead\"\nauth = plain[passwd=/a=b]x]\n");
}
END_TEST

START_TEST(write_unset)
{
	struct config c;
	char *out;

	parse_ok(MIN, &c);
	out = dump(&c);
	ck_assert_ptr_nonnull(strstr(out, "\n#listen-host =\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n#banner =\n"));
	ck_assert_ptr_nonnull(strstr(out, "auth = \"plain[passwd=/etc/ocserv-modern/ocpasswd]\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nipv4-network = 10.77.0.0\nipv4-netmask = 255.255.255.0\n"));
	free(out);
	config_free(&c);

	/* a zeroed struct (never loaded) can be written too */
	out = dump(&c);
	ck_assert_ptr_nonnull(strstr(out, "#auth =\n"));
	free(out);
}
END_TEST

/* ---------------------------------------------------------------- documentation */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Value of the first line "KEY = VALUE" (commented: "#KEY = VALUE") in text,
 * quotes stripped, into out; false if none. */
static bool find_setting(const char *text, const char *key, bool commented, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *s = l, *e;

		if (commented) {
			if (*s != '#')
				continue;
			s++;
		}
		if (strncmp(s, key, kl) || (s[kl] != ' ' && s[kl] != '='))
			continue;
		s += kl;
		while (*s == ' ')
			s++;
		if (*s++ != '=')
			continue;
		while (*s == ' ')
			s++;
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		if (e > s && *s == '"' && e[-1] == '"') {
			s++;
			e--;
		}
		snprintf(out, len, "%.*s", (int)(e - s), s);
		return true;
	}
	return false;
}

START_TEST(sample_config)
{
	struct config c;
	struct config_diag d = { 0 };
	char *text, val[512];

	memset(&warns, 0, sizeof(warns));
	d.warn = on_warn;
	d.opaque = &warns;
	ck_assert_msg(config_load(DOCDIR_SRC "/sample.config", &c, &d) == 0, "%s", d.msg);
	ck_assert_msg(warns.n == 0, "sample.config warns: %s", warns.msg[0]);
	config_free(&c);

	text = slurp(DOCDIR_SRC "/sample.config");
	for (size_t i = 0; config_key_at(i); i++) {
		const struct config_key_info *k = config_key_at(i);

		if (k->default_value) {
			ck_assert_msg(find_setting(text, k->name, false, val, sizeof(val)),
				      "sample.config does not set %s", k->name);
			ck_assert_msg(!strcmp(val, k->default_value),
				      "sample.config: %s = %s, but the default is %s", k->name, val,
				      k->default_value);
		} else if (k->required) {
			ck_assert_msg(find_setting(text, k->name, false, val, sizeof(val)),
				      "sample.config does not set required %s", k->name);
		} else {
			ck_assert_msg(find_setting(text, k->name, true, val, sizeof(val)),
				      "sample.config lacks a commented example of %s", k->name);
		}
	}
	free(text);
}
END_TEST

START_TEST(reference_doc)
{
	char *text = slurp(DOCDIR_SRC "/config-reference.md"), row[128];

	for (size_t i = 0; config_key_at(i); i++) {
		const struct config_key_info *k = config_key_at(i);
		const char *r, *cell, *end;
		char want[160];

		snprintf(row, sizeof(row), "\n| `%s` | ", k->name);
		r = strstr(text, row);
		ck_assert_msg(r != NULL, "config-reference.md has no row for %s", k->name);
		cell = r + strlen(row);
		end = strstr(cell, " | ");
		ck_assert_ptr_nonnull(end);
		if (k->default_value)
			snprintf(want, sizeof(want), "`%s`", k->default_value);
		else
			snprintf(want, sizeof(want), "%s", k->required ? "required" : "unset");
		ck_assert_msg((size_t)(end - cell) == strlen(want) && !strncmp(cell, want, strlen(want)),
			      "config-reference.md: default of %s is '%.*s', want '%s'", k->name,
			      (int)(end - cell), cell, want);
		cell = end + 3;
		end = strstr(cell, " | ");
		ck_assert_ptr_nonnull(end);
		ck_assert_msg((size_t)(end - cell) == strlen(k->range) && !strncmp(cell, k->range, strlen(k->range)),
			      "config-reference.md: range of %s is '%.*s', want '%s'", k->name,
			      (int)(end - cell), cell, k->range);
	}
	for (size_t i = 0; config_ocserv_only_key_at(i); i++) {
		snprintf(row, sizeof(row), "`%s`", config_ocserv_only_key_at(i));
		ck_assert_msg(strstr(text, row), "config-reference.md does not list %s",
			      config_ocserv_only_key_at(i));
	}
	free(text);
}
END_TEST

/* Where text names key as a word of its own (not inside a longer key:
 * "dpd" in "mobile-dpd" does not count). */
static bool names_key(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = strstr(text, key); p; p = strstr(p + 1, key)) {
		char before = p == text ? ' ' : p[-1], after = p[kl];

		if (before != '-' && !isalnum((unsigned char)before) && after != '-' &&
		    !isalnum((unsigned char)after))
			return true;
	}
	return false;
}

START_TEST(man_page)
{
	char *text = slurp(DOCDIR_SRC "/ocserv-modern.8"), *w = text;

	/* roff's "\-" is a hyphen too */
	for (const char *r = text; *r; r++) {
		if (r[0] == '\\' && r[1] == '-')
			r++;
		*w++ = *r;
	}
	*w = '\0';
	for (size_t i = 0; config_key_at(i); i++)
		ck_assert_msg(names_key(text, config_key_at(i)->name),
			      "ocserv-modern.8 does not name %s", config_key_at(i)->name);
	free(text);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("defaults");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, defaults_match_table);
	tcase_add_test(tc, key_table_sane);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, every_key);
	tcase_add_loop_test(tc, range_bounds, 0, (int)(sizeof(bounds) / sizeof(bounds[0])));
	tcase_add_test(tc, ports);
	tcase_add_test(tc, booleans);
	tcase_add_test(tc, auth_forms);
	tcase_add_test(tc, repeated_keys);
	tcase_add_test(tc, many_routes);
	tcase_add_test(tc, too_many_dns);
	tcase_add_test(tc, ipv4_network_forms);
	tcase_add_test(tc, ipv6_network_forms);
	tcase_add_test(tc, route_forms);
	tcase_add_test(tc, string_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("syntax");
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, binary_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, error_cases, 0, (int)(sizeof(errors) / sizeof(errors[0])));
	tcase_add_test(tc, no_suggestion_far_away);
	tcase_add_test(tc, long_tokens);
	suite_add_tcase(s, tc);

	tc = tcase_create("warnings");
	tcase_add_test(tc, warn_ocserv_only);
	tcase_add_test(tc, chroot_dir_refused);
	tcase_add_test(tc, tls_priorities_checked);
	tcase_add_test(tc, isolate_workers_key);
	tcase_add_test(tc, warn_user_only_key);
	tcase_add_test(tc, warn_every_ocserv_only_key);
	tcase_add_test(tc, warn_duplicate);
	tcase_add_test(tc, warn_vhost);
	tcase_add_test(tc, warn_route_default);
	tcase_add_test(tc, warn_cross_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("mobile");
	tcase_add_test(tc, mobile_platform);
	tcase_add_test(tc, mobile_timers);
	tcase_add_test(tc, rekey_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("per-user");
	tcase_add_test(tc, user_keys);
	tcase_add_test(tc, user_other_keys_warn);
	tcase_add_test(tc, user_errors);
	tcase_add_test(tc, user_precedence);
	tcase_add_test(tc, user_lists);
	tcase_add_test(tc, user_datapath);
	tcase_add_test(tc, route_from_text);
	tcase_add_test(tc, user_pool);
	tcase_add_test(tc, user_load_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, write_round_trip);
	tcase_add_test(tc, write_unset);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, sample_config);
	tcase_add_test(tc, reference_doc);
	tcase_add_test(tc, man_page);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(config_suite)
