/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ocserv.conf-syntax parser (see conf.h for the syntax).
 *
 * One table (keys[] below) drives everything: the default of every supported
 * key, its accepted range, how it is parsed, and how config_write prints it.
 * Defaults are applied by running their text through the same parsers before
 * the file is read, so a default cannot silently disagree with what the file
 * syntax accepts; doc/config-reference.md and doc/sample.config mirror the
 * table and tests/unit/test-config.c checks that they still do.
 *
 * Loading is one pass over the lines, then a pass of cross-key checks
 * (required keys, ipv4-network with its netmask, mobile-dpd resolution).
 * Nothing here logs: warnings go to the caller's callback, the fatal error to
 * struct config_diag.
 */
#include "config.h"

#include "common/cluster-rec.h"
#include "common/conf.h"
#include "common/cert.h"
#include "common/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Accepted timeouts go up to INT32_MAX seconds (68 years): the engine turns
 * them into 64-bit milliseconds, so any such value is safe there. */
#define TIME_MAX INT32_MAX

struct parser;
struct key_def;

typedef int key_parse_fn(struct parser *p, const struct key_def *k, const char *v);
typedef int key_write_fn(const struct config *c, const struct key_def *k, FILE *f);

enum key_kind {
	KEY_U32 = 0,  /* uint32_t at off, in [min, max], or 0 when zero_ok */
	KEY_PORT,     /* uint16_t at off, same range rules */
	KEY_BOOL,     /* bool at off */
	KEY_STR,      /* char * at off; max = longest accepted length (0: any);
		       * parse, when set, checks the value first */
	KEY_SPECIAL,  /* parse/write callbacks */
};

struct key_def {
	struct config_key_info info;
	enum key_kind kind;
	size_t off;
	uint32_t min, max;
	bool zero_ok;
	key_parse_fn *parse;  /* KEY_SPECIAL; KEY_STR: an optional check */
	key_write_fn *write;  /* KEY_SPECIAL only */
};

static key_parse_fn parse_auth, parse_acct, parse_enable_auth, check_oid, parse_device, parse_ipv4_network, parse_ipv4_netmask,
	parse_ipv6_network, parse_ipv6_prefix,
	parse_dns, parse_split_dns, parse_select_group, parse_route, parse_rekey_method, parse_socket_mode, parse_metrics_listen,
	check_tls_priorities, check_session_store, check_gateway_id, check_ports;
static key_write_fn write_auth, write_acct, write_enable_auth, write_device, write_ipv4_network, write_ipv4_netmask, write_dns,
	write_ipv6_network, write_nothing,
	write_strings, write_route, write_rekey_method, write_socket_mode, write_metrics_listen;

#define OFF(field) offsetof(struct config, field)
#define U32(n, def, field, lo, hi, zero, rng) \
	{ .info = { .name = n, .default_value = def, .range = rng }, .kind = KEY_U32, \
	  .off = OFF(field), .min = lo, .max = hi, .zero_ok = zero }
#define PORT(n, def, field, lo, zero, rng) \
	{ .info = { .name = n, .default_value = def, .range = rng }, .kind = KEY_PORT, \
	  .off = OFF(field), .min = lo, .max = 65535, .zero_ok = zero }
#define BOOL(n, def, field) \
	{ .info = { .name = n, .default_value = def, .range = "true, false (also yes/no, 1/0)" }, \
	  .kind = KEY_BOOL, .off = OFF(field) }
#define STR(n, def, field, req, maxlen, rng) \
	{ .info = { .name = n, .default_value = def, .range = rng, .required = req }, \
	  .kind = KEY_STR, .off = OFF(field), .max = maxlen }
#define STR_CHECKED(n, def, field, maxlen, rng, check) \
	{ .info = { .name = n, .default_value = def, .range = rng }, \
	  .kind = KEY_STR, .off = OFF(field), .max = maxlen, .parse = check }
#define SPECIAL(n, def, req, rep, maxn, rng, p, w) \
	{ .info = { .name = n, .default_value = def, .range = rng, .required = req, .repeated = rep }, \
	  .kind = KEY_SPECIAL, .max = maxn, .parse = p, .write = w }

/* sun_path holds 108 bytes with the NUL; main appends ".<pid>" to socket-file
 * as ocserv does, so that one keeps room for 11 more bytes. */
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define DEVICE_MAX 11  /* + up to 4 digits of the index fits IFNAMSIZ - 1 */

/*
 * THE table of supported keys and their defaults. Order = order of
 * config_write and of the documentation.
 */
static const struct key_def keys[] = {
	SPECIAL("auth", NULL, true, false, 0,
		"plain[passwd=FILE,otp=FILE], pam[gid-min=N], certificate, "
		"radius[config=FILE,groupconfig=BOOL,nas-identifier=NAME]", parse_auth, write_auth),
	SPECIAL("acct", NULL, false, false, 0, "radius[config=FILE]; unset: no accounting",
		parse_acct, write_acct),
	SPECIAL("enable-auth", NULL, false, false, 0, "certificate; unset: none",
		parse_enable_auth, write_enable_auth),
	STR("ca-cert", NULL, ca_cert, false, PATH_MAX, "file name; unset: none"),
	STR("crl", NULL, crl, false, PATH_MAX, "file name; unset: none"),
	STR_CHECKED("cert-user-oid", NULL, cert_user_oid, 128,
		    "an OID, e.g. 0.9.2342.19200300.100.1.1 (UID) or 2.5.4.3 (CN)", check_oid),
	STR_CHECKED("cert-group-oid", NULL, cert_group_oid, 128,
		    "an OID, e.g. 2.5.4.11 (OU); unset: none", check_oid),
	STR("listen-host", NULL, listen_host, false, 255, "host name or address; unset: all addresses"),
	PORT("tcp-port", "443", tcp_port, 1, false, "1..65535"),
	PORT("udp-port", "443", udp_port, 1, true, "0 (no DTLS) or 1..65535"),
	BOOL("listen-proxy-proto", "false", listen_proxy_proto),
	STR("server-cert", NULL, server_cert, true, PATH_MAX, "file name"),
	STR("server-key", NULL, server_key, true, PATH_MAX, "file name or GnuTLS key URL"),
	STR_CHECKED("tls-priorities", "NORMAL:%SERVER_PRECEDENCE", tls_priorities, 1024,
		    "a GnuTLS priority string, checked at load", check_tls_priorities),
	BOOL("match-tls-dtls-ciphers", "false", match_tls_dtls_ciphers),
	BOOL("dtls-psk", "true", dtls_psk),
	BOOL("dtls-legacy", "true", dtls_legacy),
	BOOL("cisco-client-compat", "false", cisco_client_compat),
	STR("run-as-user", "nobody", run_as_user, false, 255, "user name or uid"),
	STR("run-as-group", "nogroup", run_as_group, false, 255, "group name or gid"),
	STR("socket-file", "/run/ocserv-modern.socket", socket_file, false, SUN_PATH_MAX - 11,
	    "path, at most 96 bytes"),
	STR("occtl-socket-file", "/run/occtl-modern.socket", occtl_socket_file, false, SUN_PATH_MAX,
	    "path, at most 107 bytes"),
	SPECIAL("occtl-socket-mode", "0600", false, false, 0,
		"octal permissions 0000..0777, not writable by others",
		parse_socket_mode, write_socket_mode),
	STR("occtl-socket-group", NULL, occtl_socket_group, false, 255,
	    "group name or gid; unset: main's group"),
	STR("occtl-admin-group", NULL, occtl_admin_group, false, 255,
	    "group name or gid; unset: only root may act"),
	SPECIAL("metrics-listen", NULL, false, false, 0,
		"ADDRESS:PORT or [IPv6]:PORT, a numeric address; unset: no metrics",
		parse_metrics_listen, write_metrics_listen),
	STR("pid-file", "/run/ocserv-modern.pid", pid_file, false, PATH_MAX, "path"),
	U32("server-drain-ms", "0", server_drain_ms, 0, 3600000, false, "0..3600000 (0: none)"),
	STR("connect-script", NULL, connect_script, false, PATH_MAX, "path; unset: none"),
	STR("disconnect-script", NULL, disconnect_script, false, PATH_MAX, "path; unset: none"),
	STR("config-per-user", NULL, config_per_user, false, PATH_MAX,
	    "directory of files named after the users; unset: none"),
	STR("config-per-group", NULL, config_per_group, false, PATH_MAX,
	    "directory of files named after the groups; unset: none"),
	STR("default-user-config", NULL, default_user_config, false, PATH_MAX,
	    "file for users without their own; unset: none"),
	STR("default-group-config", NULL, default_group_config, false, PATH_MAX,
	    "file for groups without their own; unset: none"),
	SPECIAL("select-group", NULL, false, true, 64,
		"a group name of the password file, up to 64 lines; unset: no group list",
		parse_select_group, write_strings),
	STR("default-select-group", NULL, default_select_group, false, 255,
	    "the list's first choice, meaning the user's first group; unset: none"),
	SPECIAL("device", "vpns", false, false, 0, "1..11 characters of A-Z a-z 0-9 _ . -",
		parse_device, write_device),
	SPECIAL("ipv4-network", NULL, true, false, 0, "A.B.C.D, A.B.C.D/N or A.B.C.D/MASK; N 1..30",
		parse_ipv4_network, write_ipv4_network),
	SPECIAL("ipv4-netmask", NULL, false, false, 0, "dotted contiguous mask; unset: from ipv4-network",
		parse_ipv4_netmask, write_ipv4_netmask),
	SPECIAL("ipv6-network", NULL, false, false, 0,
		"an IPv6 network ADDR/N (N 1..127), or ADDR with ipv6-prefix; unset: no IPv6",
		parse_ipv6_network, write_ipv6_network),
	SPECIAL("ipv6-prefix", NULL, false, false, 0,
		"1..127: the /N of an ipv6-network written without one (older ocserv form)",
		parse_ipv6_prefix, write_nothing),
	U32("ipv6-subnet-prefix", "128", ipv6_subnet_prefix, 1, 128, false,
	    "1..128, longer than the ipv6-network's prefix"),
	BOOL("client-bypass-protocol", "false", client_bypass_protocol),
	SPECIAL("dns", NULL, false, true, 32, "IPv4 or IPv6 address, up to 32 lines",
		parse_dns, write_dns),
	SPECIAL("nbns", NULL, false, true, 32, "IPv4 or IPv6 address, up to 32 lines",
		parse_dns, write_dns),
	SPECIAL("split-dns", NULL, false, true, 64, "a DNS domain, up to 64 lines",
		parse_split_dns, write_strings),
	BOOL("tunnel-all-dns", "false", tunnel_all_dns),
	BOOL("restrict-user-to-routes", "false", restrict_user_to_routes),
	STR_CHECKED("restrict-user-to-ports", NULL, restrict_user_to_ports, 4096,
		    "tcp(PORT), udp(PORT), sctp(PORT), icmp(), icmpv6(), comma-separated, or !(...) "
		    "for all but these; unset: no restriction", check_ports),
	U32("rx-data-per-sec", "0", rx_data_per_sec, 0, UINT32_MAX, false,
	    "0 (unlimited) or bytes per second up to 4294967295"),
	U32("tx-data-per-sec", "0", tx_data_per_sec, 0, UINT32_MAX, false,
	    "0 (unlimited) or bytes per second up to 4294967295"),
	STR("user-profile", NULL, user_profile, false, PATH_MAX,
	    "file name of the XML client profile; unset: none"),
	SPECIAL("route", NULL, false, true, 1024,
		"default, NET/MASK, NET/PREFIX (IPv4 or IPv6), up to 1024 lines", parse_route, write_route),
	SPECIAL("no-route", NULL, false, true, 1024, "NET/MASK, NET/PREFIX (IPv4 or IPv6), up to 1024 lines",
		parse_route, write_route),
	STR("default-domain", NULL, default_domain, false, 255, "domain name(s), space separated"),
	STR("banner", NULL, banner, false, 1024, "text, at most 1024 bytes"),
	U32("mtu", "0", mtu, 576, 65535, true, "0 (tun default) or 576..65535"),
	BOOL("predictable-ips", "true", predictable_ips),
	BOOL("keep-tun-on-resume", "true", keep_tun_on_resume),
	STR_CHECKED("session-store", NULL, session_store, PATH_MAX,
		    "file path, memory, redis://HOST:PORT/DB or redis+unix:///PATH; unset: "
		    "LOCALSTATEDIR/lib/ocserv-modern/sessions.db", check_session_store),
	STR("session-store-auth-file", NULL, session_store_auth_file, false, PATH_MAX,
	    "file name (not world-readable); unset: no AUTH"),
	STR_CHECKED("gateway-id", NULL, gateway_id, CLUSTER_GW_MAX,
		    "1..64 of A-Z a-z 0-9 . _ -; unset: the host name", check_gateway_id),
	U32("max-clients", "16", max_clients, 1, 1000000, true, "0 (unlimited) or 1..1000000"),
	U32("max-same-clients", "2", max_same_clients, 1, 1000000, true, "0 (unlimited) or 1..1000000"),
	U32("max-unauth", "256", max_unauth, 1, 1000000, true, "0 (unlimited) or 1..1000000"),
	U32("max-unauth-per-ip", "8", max_unauth_per_ip, 1, 1000000, true,
	    "0 (unlimited) or 1..1000000"),
	U32("rate-limit-ms", "0", rate_limit_ms, 0, 60000, false, "0..60000 (0: no limit)"),
	U32("ban-points-connection", "1", ban_points_connection, 0, 1000000, false, "0..1000000"),
	BOOL("deny-roaming", "false", deny_roaming),
	U32("max-ban-score", "80", max_ban_score, 1, 1000000, true, "0 (no banning) or 1..1000000"),
	U32("ban-reset-time", "1200", ban_reset_time_s, 1, TIME_MAX, false, "1..2147483647"),
	U32("min-reauth-time", "300", min_reauth_time_s, 0, 86400, false, "0..86400"),
	U32("auth-timeout", "240", auth_timeout_s, 1, 86400, false, "1..86400"),
	U32("handshake-timeout", "10", handshake_timeout_s, 1, 86400, false, "1..86400"),
	U32("dpd", "90", dpd_s, 2, 86400, true, "0 (off) or 2..86400"),
	U32("mobile-dpd", "1800", mobile_dpd_s, 2, 86400, true, "0 (same as dpd) or 2..86400"),
	U32("dpd-retries", "2", dpd_retries, 1, 10, false, "1..10"),
	U32("keepalive", "32400", keepalive_s, 0, 86400, false, "0..86400 (0: not advertised)"),
	U32("idle-timeout", "1200", idle_timeout_s, 0, TIME_MAX, false, "0..2147483647 (0: none)"),
	U32("mobile-idle-timeout", "1800", mobile_idle_timeout_s, 0, TIME_MAX, false,
	    "0..2147483647 (0: none)"),
	U32("session-timeout", "0", session_timeout_s, 0, TIME_MAX, false, "0..2147483647 (0: none)"),
	U32("cookie-timeout", "300", cookie_timeout_s, 1, TIME_MAX, false, "1..2147483647"),
	BOOL("persistent-cookies", "false", persistent_cookies),
	U32("switch-to-tcp-timeout", "25", switch_to_tcp_timeout_s, 0, 86400, false, "0..86400 (0: off)"),
	BOOL("try-mtu-discovery", "false", try_mtu_discovery),
	BOOL("isolate-workers", "true", isolate_workers),
	BOOL("worker-zygote", "true", worker_zygote),
	U32("rekey-time", "172800", rekey_time_s, 0, TIME_MAX, false, "0..2147483647 (0: no rekey)"),
	SPECIAL("rekey-method", "ssl", false, false, 0, "ssl, new-tunnel",
		parse_rekey_method, write_rekey_method),
};

#define N_KEYS ARRAY_SIZE(keys)

/*
 * ocserv options we recognise but do not implement: a warning, not an error,
 * so an ocserv.conf loads. doc/spec/interop.md §7.9 (reference config, per-user keys)
 * plus the accounting/RADIUS, camouflage and renamed ones.
 */
static const char *const ocserv_only[] = {
	"udp-listen-host", "listen-host-is-dyndns", "listen-netns",
	"listen-clear-file", "dh-params",
	"pin-file", "srk-pin-file", "key-pin", "srk-pin", "ocsp-response", "compression",
	"no-compress-limit", "server-stats-reset-time", "stats-report-time",
	"sec-mod-scale", "pre-login-banner",
	"host-update-script", "use-utmp", "use-dbus", "use-occtl", "log-level", "net-priority",
	"cgroup",
	"ping-leases", "output-buffer", "expose-iroutes", "hostname", "no-udp",
	"select-group-by-url", "auto-select-group", "route-add-cmd",
	"route-del-cmd", "proxy-url", "kkdcp",
	"cisco-svc-client-compat",
	"custom-header", "included-http-headers", "camouflage", "camouflage_secret",
	"camouflage_realm", "ban-time", "ban-points-wrong-password",
	"ban-points-kkdcp", "always-require-cert", "cookie-validity", "ipv4-dns", "ipv6-dns",
	"ipv4-nbns", "ipv6-nbns", "use-seccomp", "session-control", "append-routes",
	"compression-algo-priority", "debug-no-secmod-stats",
};

struct parser {
	const char *file;
	unsigned line;               /* current line; 0 while applying defaults */
	struct config *cfg;
	struct config_diag *diag;
	struct config_user *user;    /* a per-user/per-group file: only its keys */
	unsigned seen[N_KEYS];       /* line a key was (last) set on; 0: not in the file */
	int net_prefix;              /* /N given with ipv4-network, -1: none */
	int mask_prefix;             /* prefix of ipv4-netmask, -1: none */
	int v6_net_prefix;           /* /N given with ipv6-network, -1: none */
	int v6_key_prefix;           /* ipv6-prefix, -1: none */
	size_t cap_dns, cap_nbns, cap_split_dns, cap_select_groups, cap_routes, cap_no_routes;
};

/* ---------------------------------------------------------------- messages */

static void set_key(struct config_diag *d, const char *key)
{
	size_t n = key ? strlen(key) : 0;

	if (n >= sizeof(d->key))
		n = sizeof(d->key) - 1;
	if (n)
		memcpy(d->key, key, n);
	d->key[n] = '\0';
}

static void vformat(char *buf, size_t len, const char *file, unsigned line,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vformat(char *buf, size_t len, const char *file, unsigned line,
		    const char *fmt, va_list ap)
{
	int n;

	if (line)
		n = snprintf(buf, len, "%s:%u: ", file, line);
	else
		n = snprintf(buf, len, "%s: ", file);
	if (n < 0 || (size_t)n >= len)
		return;
	vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

/* Record the fatal error (only the first one counts) and return -EINVAL. */
static int perr_at(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr_at(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
{
	struct config_diag *d = p->diag;
	va_list ap;

	if (!d || d->msg[0])
		return -EINVAL;
	d->line = line;
	set_key(d, key);
	va_start(ap, fmt);
	vformat(d->msg, sizeof(d->msg), p->file, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define perr(p, key, ...) perr_at(p, (p)->line, key, __VA_ARGS__)

static void pwarn_at(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void pwarn_at(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
{
	struct config_diag *d = p->diag;
	char msg[CONFIG_MSG_MAX];
	va_list ap;

	if (!d)
		return;
	d->n_warnings++;
	if (!d->warn)
		return;
	va_start(ap, fmt);
	vformat(msg, sizeof(msg), p->file, line, fmt, ap);
	va_end(ap);
	d->warn(d->opaque, line, key ? key : "", msg);
}

/* ---------------------------------------------------------------- helpers */

static void *field(struct config *c, const struct key_def *k)
{
	return (char *)c + k->off;
}

static const void *cfield(const struct config *c, const struct key_def *k)
{
	return (const char *)c + k->off;
}

static size_t key_index(const struct key_def *k)
{
	return (size_t)(k - keys);
}

/* Strict unsigned decimal: digits only, no sign, no blanks. */
static bool parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* All digits (a number that may be too large), for a better message. */
/* true/false, yes/no (any case), 1/0: 0, else -EINVAL. */
static int parse_bool_text(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static uint32_t prefix_to_mask(unsigned prefix)
{
	return prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
}

void config_route_ipv4(struct in_addr net, unsigned prefix, struct config_route *out)
{
	struct in_addr m = { .s_addr = prefix_to_mask(prefix > 32 ? 32 : prefix) };
	char a[INET_ADDRSTRLEN], mk[INET_ADDRSTRLEN];

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->prefix = prefix > 32 ? 32 : prefix;
	out->net.v4.s_addr = net.s_addr & m.s_addr;
	inet_ntop(AF_INET, &out->net.v4, a, sizeof(a));
	inet_ntop(AF_INET, &m, mk, sizeof(mk));
	snprintf(out->text, sizeof(out->text), "%s/%s", a, mk);
}

/* Prefix length of a contiguous dotted netmask, or -1. */
static int mask_to_prefix(struct in_addr m)
{
	uint32_t h = ntohl(m.s_addr);
	int n = 0;

	while (n < 32 && (h & (0x80000000u >> n)))
		n++;
	return (n < 32 && (h << n)) ? -1 : n;
}

static bool v6_host_bits_zero(const struct in6_addr *a, unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8 : (prefix > i * 8 ? prefix - i * 8 : 0);
		uint8_t m = keep ? (uint8_t)(0xffu << (8 - keep)) : 0;

		if (a->s6_addr[i] & (uint8_t)~m)
			return false;
	}
	return true;
}

static void v6_apply_prefix(struct in6_addr *a, unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8 : (prefix > i * 8 ? prefix - i * 8 : 0);

		a->s6_addr[i] &= keep ? (uint8_t)(0xffu << (8 - keep)) : 0;
	}
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *np;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	np = realloc(*arr, ncap * elem);
	if (!np)
		return -ENOMEM;
	*arr = np;
	*cap = ncap;
	return 0;
}

static int set_string(struct parser *p, char **dst, const char *v, const char *key)
{
	char *s = strdup(v);

	if (!s) {
		perr(p, key, "out of memory");
		return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* ---------------------------------------------------------------- key parsers */

static int parse_generic(struct parser *p, const struct key_def *k, const char *v)
{
	const char *name = k->info.name;
	uint32_t n;

	switch (k->kind) {
	case KEY_U32:
	case KEY_PORT:
		if (!parse_uint(v, UINT32_MAX, &n)) {
			if (all_digits(v))
				return perr(p, name, "%s = %s: out of range, expected %s",
					    name, v, k->info.range);
			return perr(p, name, "%s = %s: not a number (expected %s)%s", name, v,
				    k->info.range,
				    strchr(v, '#') ? "; '#' starts a comment only at the "
						     "beginning of a line" : "");
		}
		if (!(k->zero_ok && n == 0) && (n < k->min || n > k->max))
			return perr(p, name, "%s = %s: out of range, expected %s",
				    name, v, k->info.range);
		if (k->kind == KEY_PORT)
			*(uint16_t *)field(p->cfg, k) = (uint16_t)n;
		else
			*(uint32_t *)field(p->cfg, k) = n;
		return 0;
	case KEY_BOOL:
		if (parse_bool_text(v, (bool *)field(p->cfg, k)))
			return perr(p, name, "%s = %s: not a boolean (expected true/false, yes/no or 1/0)%s",
				    name, v,
				    strchr(v, '#') ? "; '#' starts a comment only at the "
						     "beginning of a line" : "");
		return 0;
	case KEY_STR:
		if (k->max && strlen(v) > k->max)
			return perr(p, name, "%s: value is %zu bytes long, the limit is %" PRIu32,
				    name, strlen(v), k->max);
		if (k->parse != NULL) {
			int r = k->parse(p, k, v);

			if (r < 0)
				return r;
		}
		return set_string(p, (char **)field(p->cfg, k), v, name);
	case KEY_SPECIAL:
		return k->parse(p, k, v);
	}
	return perr(p, name, "internal error: bad key kind");
}

/* One option NAME=VALUE of plain[...]: passwd or otp, each a file name
 * (ocserv's older plain[FILE] as the first option: passwd). */
static int plain_opt(struct parser *p, const char *name, const char *v, const char *o, bool first,
		     char **passwd, char **otp)
{
	const char *eq = strchr(o, '=');
	const char *f = eq != NULL ? eq + 1 : o;
	char **dst;

	if (eq && eq - o == 6 && !strncmp(o, "passwd", 6))
		dst = passwd;
	else if (eq && eq - o == 3 && !strncmp(o, "otp", 3))
		dst = otp;
	else if (!eq && first)
		dst = passwd;  /* ocserv's older plain[FILE] */
	else
		return perr(p, name, "auth = %s: option '%.*s' of plain is not supported "
			    "(passwd=FILE, otp=FILE)", v, eq ? (int)(eq - o) : (int)strlen(o), o);
	if (*dst)
		return perr(p, name, "auth = %s: %s given twice", v, dst == otp ? "otp" : "passwd");
	if (!*f)
		return perr(p, name, "auth = %s: empty file name", v);
	if (strlen(f) > PATH_MAX)
		return perr(p, name, "auth: file name longer than %d bytes", PATH_MAX);
	*dst = strdup(f);
	return *dst ? 0 : perr(p, name, "out of memory");
}

/* The options between [ and the final ] of v (open: the '['), in a copy to
 * split; NULL after an error (reported). */
static char *method_opts(struct parser *p, const char *name, const char *v, const char *open)
{
	char *opts;

	if (v[strlen(v) - 1] != ']') {
		perr(p, name, "auth = %s: missing ']' at the end", v);
		return NULL;
	}
	opts = strndup(open + 1, strlen(open + 1) - 1);
	if (!opts)
		perr(p, name, "out of memory");
	return opts;
}

/* A second auth line: ocserv ANDs several, we take one method. */
static int auth_twice(struct parser *p, const struct key_def *k)
{
	if ((p->cfg->auth_passwd_file || p->cfg->auth_otp_file || p->cfg->auth_pam ||
	     p->cfg->auth_radius_config) && p->line)
		return perr(p, k->info.name, "auth given twice (first at line %u); only one method "
			    "is supported", p->seen[key_index(k)]);
	return 0;
}

/* pam or pam[gid-min=N]. */
static int parse_auth_pam(struct parser *p, const struct key_def *k, const char *v,
			  const char *open)
{
	const char *name = k->info.name;
	uint32_t gid_min = 0;
	char *opts = NULL, *save = NULL;
	int r = auth_twice(p, k);

	if (r == 0 && open != NULL) {
		opts = method_opts(p, name, v, open);
		r = opts == NULL ? -EINVAL : 0;
	}
	for (char *o = opts != NULL ? strtok_r(opts, ",", &save) : NULL; o && !r;
	     o = strtok_r(NULL, ",", &save)) {
		if (strncmp(o, "gid-min=", 8) != 0)
			r = perr(p, name, "auth = %s: option '%s' of pam is not supported (gid-min=N)",
				 v, o);
		else if (!parse_uint(o + 8, UINT32_MAX - 1, &gid_min))
			r = perr(p, name, "auth = %s: gid-min: expected a number", v);
	}
	free(opts);
	if (r)
		return r;
	free(p->cfg->auth_passwd_file);
	free(p->cfg->auth_otp_file);
	p->cfg->auth_passwd_file = p->cfg->auth_otp_file = NULL;
	p->cfg->auth_pam = true;
	p->cfg->auth_pam_gid_min = gid_min;
	return 0;
}

/* auth = certificate: a factor of its own, required with the others. */
static int parse_auth_certificate(struct parser *p, const struct key_def *k)
{
	if (p->cfg->auth_certificate && p->line)
		return perr(p, k->info.name, "auth = certificate given twice");
	p->cfg->auth_certificate = true;
	return 0;
}

/* The options of radius[...] (auth, or acct when out->groupconfig is NULL):
 * config=FILE (required), and for auth groupconfig=BOOL and
 * nas-identifier=NAME. */
struct radius_opts {
	char *config, *nas_id;
	bool *groupconfig;
};

static int radius_opt(struct parser *p, const char *name, const char *v, char *o,
		      struct radius_opts *out)
{
	char *eq = strchr(o, '=');
	size_t klen = eq ? (size_t)(eq - o) : strlen(o);
	char **dst = NULL;

	if (!eq || !eq[1])
		return perr(p, name, "%s = %s: option '%s' needs a value (NAME=VALUE)", name, v, o);
	if (klen == 6 && !strncmp(o, "config", 6))
		dst = &out->config;
	else if (out->groupconfig && klen == 14 && !strncmp(o, "nas-identifier", 14))
		dst = &out->nas_id;
	else if (out->groupconfig && klen == 11 && !strncmp(o, "groupconfig", 11)) {
		bool b;

		if (parse_bool_text(eq + 1, &b))
			return perr(p, name, "%s = %s: groupconfig: expected true or false", name, v);
		*out->groupconfig = b;
		return 0;
	}
	if (!dst)
		return perr(p, name, "%s = %s: option '%.*s' of radius is not supported (%s)", name, v,
			    (int)klen, o, out->groupconfig ? "config, groupconfig, nas-identifier"
							   : "config");
	if (*dst)
		return perr(p, name, "%s = %s: '%.*s' given twice", name, v, (int)klen, o);
	if (strlen(eq + 1) > PATH_MAX)
		return perr(p, name, "%s: '%.*s' longer than %d bytes", name, (int)klen, o, PATH_MAX);
	*dst = strdup(eq + 1);
	return *dst ? 0 : perr(p, name, "out of memory");
}

static int parse_radius_opts(struct parser *p, const char *name, const char *v,
			     const char *open, struct radius_opts *out)
{
	char *opts, *save = NULL;
	int r = 0;

	if (!open || v[strlen(v) - 1] != ']')
		return perr(p, name, "%s = %s: expected radius[config=FILE%s]", name, v,
			    out->groupconfig ? ",..." : "");
	opts = strndup(open + 1, strlen(open + 1) - 1);
	if (!opts)
		return perr(p, name, "out of memory");
	for (char *o = strtok_r(opts, ",", &save); o && !r; o = strtok_r(NULL, ",", &save))
		r = radius_opt(p, name, v, o, out);
	free(opts);
	if (!r && !out->config)
		r = perr(p, name, "%s = %s: radius needs its radcli configuration: config=FILE", name, v);
	if (r) {
		free(out->config);
		free(out->nas_id);
		out->config = out->nas_id = NULL;
	}
	return r;
}

static int parse_auth_radius(struct parser *p, const struct key_def *k, const char *v,
			     const char *open)
{
	struct config *c = p->cfg;
	bool groupconfig = false;
	struct radius_opts o = { .groupconfig = &groupconfig };

	if (auth_twice(p, k) || parse_radius_opts(p, k->info.name, v, open, &o))
		return -EINVAL;
	c->auth_radius_config = o.config;
	c->auth_radius_nas_id = o.nas_id;
	c->auth_radius_groupconfig = groupconfig;
	return 0;
}

static int parse_acct(struct parser *p, const struct key_def *k, const char *v)
{
	const char *open = strchr(v, '[');
	struct radius_opts o = { 0 };

	if (!open || open - v != 6 || strncmp(v, "radius", 6))
		return perr(p, k->info.name, "acct = %s: method not supported; the only method is "
			    "radius[config=FILE]", v);
	if (parse_radius_opts(p, k->info.name, v, open, &o))
		return -EINVAL;
	free(p->cfg->acct_radius_config);
	p->cfg->acct_radius_config = o.config;
	return 0;
}

static int write_acct(const struct config *c, const struct key_def *k, FILE *f)
{
	if (!c->acct_radius_config)
		return fprintf(f, "#%s =\n", k->info.name) < 0 ? -EIO : 0;
	return fprintf(f, "%s = \"radius[config=%s]\"\n", k->info.name, c->acct_radius_config) < 0
		? -EIO : 0;
}

/* auth = plain[passwd=FILE,otp=FILE] (also ocserv's older plain[FILE]),
 * pam[gid-min=N], certificate or radius[...]; a certificate line and one of the others
 * are both required. */
static int parse_auth(struct parser *p, const struct key_def *k, const char *v)
{
	const char *name = k->info.name;
	const char *open = strchr(v, '[');
	size_t mlen = open ? (size_t)(open - v) : strlen(v);
	char *opts, *save = NULL, *file = NULL, *otp = NULL;
	int r = 0;

	if (!strcmp(v, "certificate"))
		return parse_auth_certificate(p, k);
	if (mlen == 3 && !strncmp(v, "pam", 3))
		return parse_auth_pam(p, k, v, open);
	if (mlen == 6 && !strncmp(v, "radius", 6))
		return parse_auth_radius(p, k, v, open);
	if (mlen != 5 || strncmp(v, "plain", 5))
		return perr(p, name, "auth = %s: method '%.*s' is not supported; the methods are "
			    "plain[passwd=FILE,otp=FILE], pam[gid-min=N], certificate and "
			    "radius[config=FILE,...]", v,
			    (int)mlen, v);
	if (!open)
		return perr(p, name, "auth = %s: the plain method needs its password file: "
			    "plain[passwd=FILE]", v);
	opts = method_opts(p, name, v, open);
	if (!opts)
		return -EINVAL;
	for (char *o = strtok_r(opts, ",", &save); o && !r; o = strtok_r(NULL, ",", &save))
		r = plain_opt(p, name, v, o, o == opts, &file, &otp);
	if (!r && !file && !otp)
		r = perr(p, name, "auth = %s: the plain method needs its password file: "
			 "plain[passwd=FILE] (or an OTP file: otp=FILE)", v);
	if (!r)
		r = auth_twice(p, k);
	free(opts);
	if (r) {
		free(file);
		free(otp);
		return r;
	}
	free(p->cfg->auth_passwd_file);
	free(p->cfg->auth_otp_file);
	p->cfg->auth_passwd_file = file;
	p->cfg->auth_otp_file = otp;
	p->cfg->auth_pam = false;
	return 0;
}

static int write_auth(const struct config *c, const struct key_def *k, FILE *f)
{
	int r = 0;

	if (c->auth_certificate)
		r = fprintf(f, "%s = \"certificate\"\n", k->info.name);
	if (r < 0)
		return -EIO;
	if (c->auth_radius_config)
		r = fprintf(f, "%s = \"radius[config=%s,groupconfig=%s%s%s]\"\n", k->info.name,
			    c->auth_radius_config, c->auth_radius_groupconfig ? "true" : "false",
			    c->auth_radius_nas_id ? ",nas-identifier=" : "",
			    c->auth_radius_nas_id ? c->auth_radius_nas_id : "");
	else if (c->auth_pam)
		r = fprintf(f, "%s = \"pam[gid-min=%u]\"\n", k->info.name, c->auth_pam_gid_min);
	else if (!c->auth_passwd_file && !c->auth_otp_file && !c->auth_certificate)
		r = fprintf(f, "#%s =\n", k->info.name);
	else if (c->auth_passwd_file || c->auth_otp_file)
		r = fprintf(f, "%s = \"plain[%s%s%s%s%s]\"\n", k->info.name,
			    c->auth_passwd_file ? "passwd=" : "",
			    c->auth_passwd_file ? c->auth_passwd_file : "",
			    c->auth_passwd_file && c->auth_otp_file ? "," : "",
			    c->auth_otp_file ? "otp=" : "", c->auth_otp_file ? c->auth_otp_file : "");
	return r < 0 ? -EIO : 0;
}

static int parse_device(struct parser *p, const struct key_def *k, const char *v)
{
	size_t n = strlen(v);

	if (n > DEVICE_MAX)
		return perr(p, k->info.name, "device = %s: longer than %d characters "
			    "(the kernel limits interface names to 15 with the index)", v, DEVICE_MAX);
	for (const char *s = v; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return perr(p, k->info.name, "device = %s: invalid character '%c' "
				    "(allowed: letters, digits, '_', '-', '.')", v, *s);
	return set_string(p, &p->cfg->device, v, k->info.name);
}

/* GnuTLS parses the string exactly as the workers will; its error position
 * points into v, so the message shows the rest of the string from there. */
/* enable-auth: a method sufficient alone, whatever the auth lines ask;
 * only certificate here. */
static int parse_enable_auth(struct parser *p, const struct key_def *k, const char *v)
{
	if (strcmp(v, "certificate"))
		return perr(p, k->info.name, "enable-auth = %s: not supported; the only "
			    "alternative method is certificate", v);
	p->cfg->enable_auth_certificate = true;
	return 0;
}

static int write_enable_auth(const struct config *c, const struct key_def *k, FILE *f)
{
	return fprintf(f, c->enable_auth_certificate ? "%s = \"certificate\"\n" : "#%s =\n",
		       k->info.name) < 0 ? -EIO : 0;
}

static int check_oid(struct parser *p, const struct key_def *k, const char *v)
{
	if (!cert_oid_valid(v))
		return perr(p, k->info.name, "%s = %s: not an OID in dotted form "
			    "(e.g. 2.5.4.3 for CN)", k->info.name, v);
	return 0;
}

static int check_tls_priorities(struct parser *p, const struct key_def *k, const char *v)
{
	gnutls_priority_t prio;
	const char *err_pos = NULL;
	int r = gnutls_priority_init(&prio, v, &err_pos);

	if (r < 0)
		return perr(p, k->info.name, "%s = %s: not a valid GnuTLS priority string at \"%s\" (%s)",
			    k->info.name, v, err_pos != NULL ? err_pos : "", gnutls_strerror(r));
	gnutls_priority_deinit(prio);
	return 0;
}

/* A Redis store's address is checked at load; a file path is sec-mod's. */
static int check_session_store(struct parser *p, const struct key_def *k, const char *v)
{
	struct cluster_url u;
	char err[512];

	if (cluster_is_url(v) && cluster_url_parse(v, &u, err, sizeof(err)) < 0)
		return perr(p, k->info.name, "%s", err);
	return 0;
}

static int check_gateway_id(struct parser *p, const struct key_def *k, const char *v)
{
	if (!cluster_gw_valid(v))
		return perr(p, k->info.name, "%s = %s: 1 to %u of the characters A-Z a-z 0-9 . _ -",
			    k->info.name, v, CLUSTER_GW_MAX);
	return 0;
}

/* restrict-user-to-ports: the worker's parser (ports.h) must take it. */
static int check_ports(struct parser *p, const struct key_def *k, const char *v)
{
	struct ports_filter *f = malloc(sizeof(*f));
	char err[PORTS_ERR_MAX];
	int r;

	if (f == NULL)
		return perr(p, k->info.name, "out of memory");
	r = ports_parse(v, f, err, sizeof(err));
	free(f);
	if (r < 0)
		return perr(p, k->info.name, "%s = %s: %s", k->info.name, v, err);
	return 0;
}

static int write_device(const struct config *c, const struct key_def *k, FILE *f)
{
	return fprintf(f, "%s = \"%s\"\n", k->info.name, c->device ? c->device : "") < 0 ? -EIO : 0;
}

/* "A.B.C.D/MASK", "A.B.C.D/N" or the bare address; *prefix = -1 for the latter. */
static int parse_v4_net(struct parser *p, const char *key, const char *v,
			struct in_addr *addr, int *prefix)
{
	char buf[64];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);

	*prefix = -1;
	if (alen >= sizeof(buf))
		return perr(p, key, "%s = %s: not an IPv4 address", key, v);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1)
		return perr(p, key, "%s = %s: not an IPv4 address", key, v);
	if (!slash)
		return 0;
	if (strchr(slash + 1, '.')) {
		struct in_addr m;

		if (inet_pton(AF_INET, slash + 1, &m) != 1)
			return perr(p, key, "%s = %s: bad netmask after '/'", key, v);
		*prefix = mask_to_prefix(m);
		if (*prefix < 0)
			return perr(p, key, "%s = %s: netmask %s is not contiguous", key, v, slash + 1);
		return 0;
	}
	uint32_t n;

	if (!parse_uint(slash + 1, 32, &n))
		return perr(p, key, "%s = %s: bad prefix length after '/' (expected 0..32 or a netmask)",
			    key, v);
	*prefix = (int)n;
	return 0;
}

static int parse_ipv4_network(struct parser *p, const struct key_def *k, const char *v)
{
	return parse_v4_net(p, k->info.name, v, &p->cfg->ipv4_network, &p->net_prefix);
}

static int write_ipv4_network(const struct config *c, const struct key_def *k, FILE *f)
{
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &c->ipv4_network, a, sizeof(a)))
		return -EIO;
	return fprintf(f, "%s = %s\n", k->info.name, a) < 0 ? -EIO : 0;
}

static int parse_ipv4_netmask(struct parser *p, const struct key_def *k, const char *v)
{
	struct in_addr m;
	int pfx;

	if (inet_pton(AF_INET, v, &m) != 1)
		return perr(p, k->info.name, "ipv4-netmask = %s: not a dotted netmask "
			    "such as 255.255.255.0", v);
	pfx = mask_to_prefix(m);
	if (pfx < 0)
		return perr(p, k->info.name, "ipv4-netmask = %s: netmask is not contiguous", v);
	p->mask_prefix = pfx;
	return 0;
}

static int write_ipv4_netmask(const struct config *c, const struct key_def *k, FILE *f)
{
	char a[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &c->ipv4_netmask, a, sizeof(a)))
		return -EIO;
	return fprintf(f, "%s = %s\n", k->info.name, a) < 0 ? -EIO : 0;
}

static int parse_ipv6_network(struct parser *p, const struct key_def *k, const char *v)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	uint32_t n;

	p->v6_net_prefix = -1;
	if (alen >= sizeof(buf))
		return perr(p, k->info.name, "ipv6-network = %s: not an IPv6 address", v);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, &p->cfg->ipv6_network) != 1)
		return perr(p, k->info.name, "ipv6-network = %s: not an IPv6 address", v);
	if (slash == NULL)
		return 0;
	if (!parse_uint(slash + 1, 128, &n))
		return perr(p, k->info.name, "ipv6-network = %s: bad prefix length after '/' "
			    "(expected 1..127)", v);
	p->v6_net_prefix = (int)n;
	return 0;
}

static int write_ipv6_network(const struct config *c, const struct key_def *k, FILE *f)
{
	char a[INET6_ADDRSTRLEN];

	if (c->ipv6_prefix == 0)
		return 0;
	if (!inet_ntop(AF_INET6, &c->ipv6_network, a, sizeof(a)))
		return -EIO;
	return fprintf(f, "%s = %s/%u\n", k->info.name, a, c->ipv6_prefix) < 0 ? -EIO : 0;
}

static int parse_ipv6_prefix(struct parser *p, const struct key_def *k, const char *v)
{
	uint32_t n;

	if (!parse_uint(v, 128, &n))
		return perr(p, k->info.name, "ipv6-prefix = %s: expected 1..127", v);
	p->v6_key_prefix = (int)n;
	return 0;
}

/* A key whose value lives in another one's (ipv6-prefix: in ipv6-network). */
static int write_nothing(const struct config *c, const struct key_def *k, FILE *f)
{
	return 0;
}

/* dns and nbns: a list of addresses each. */
static int parse_dns(struct parser *p, const struct key_def *k, const char *v)
{
	struct config *c = p->cfg;
	bool is_nbns = !strcmp(k->info.name, "nbns");
	struct config_addr **arr = is_nbns ? &c->nbns : &c->dns;
	size_t *n = is_nbns ? &c->n_nbns : &c->n_dns;
	size_t *cap = is_nbns ? &p->cap_nbns : &p->cap_dns;
	struct config_addr a = { 0 };

	if (inet_pton(AF_INET, v, &a.addr.v4) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, v, &a.addr.v6) == 1)
		a.family = AF_INET6;
	else
		return perr(p, k->info.name, "%s = %s: not an IPv4 or IPv6 address", k->info.name, v);
	inet_ntop(a.family, &a.addr, a.text, sizeof(a.text));
	if (*n >= k->max)
		return perr(p, k->info.name, "%s: more than %" PRIu32 " servers", k->info.name, k->max);
	if (grow((void **)arr, cap, *n, sizeof(**arr)))
		return perr(p, k->info.name, "out of memory");
	(*arr)[(*n)++] = a;
	return 0;
}

static int write_dns(const struct config *c, const struct key_def *k, FILE *f)
{
	bool is_nbns = !strcmp(k->info.name, "nbns");
	const struct config_addr *arr = is_nbns ? c->nbns : c->dns;
	size_t n = is_nbns ? c->n_nbns : c->n_dns;

	for (size_t i = 0; i < n; i++)
		if (fprintf(f, "%s = %s\n", k->info.name, arr[i].text) < 0)
			return -EIO;
	return 0;
}

/* A copy of v appended to the list *arr of *n strings (at most k->max). */
static int add_string(struct parser *p, const struct key_def *k, const char *v, char ***arr,
		      size_t *n, size_t *cap)
{
	char *d;

	if (*n >= k->max)
		return perr(p, k->info.name, "%s: more than %" PRIu32 " lines", k->info.name, k->max);
	if (grow((void **)arr, cap, *n, sizeof(**arr)))
		return perr(p, k->info.name, "out of memory");
	d = strdup(v);
	if (d == NULL)
		return perr(p, k->info.name, "out of memory");
	(*arr)[(*n)++] = d;
	return 0;
}

/* split-dns: one DNS domain per line (letters, digits, '-', '_', '.'). */
static int parse_split_dns(struct parser *p, const struct key_def *k, const char *v)
{
	struct config *c = p->cfg;

	if (strlen(v) > 253)
		return perr(p, k->info.name, "split-dns = %s: longer than 253 characters", v);
	for (const char *s = v; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return perr(p, k->info.name, "split-dns = %s: invalid character '%c' "
				    "(one domain per line: letters, digits, '-', '_', '.')", v, *s);
	return add_string(p, k, v, &c->split_dns, &c->n_split_dns, &p->cap_split_dns);
}

/* select-group: a group name the login form offers (no ',' ':' '[' ']'). */
static int parse_select_group(struct parser *p, const struct key_def *k, const char *v)
{
	struct config *c = p->cfg;
	const char *bad = strpbrk(v, ",:[]");

	if (strlen(v) > 255)
		return perr(p, k->info.name, "select-group = %s: longer than 255 characters", v);
	if (bad != NULL)
		return perr(p, k->info.name, "select-group = %s: invalid character '%c' (a group "
			    "name of the password file; labels in [...] are not supported)", v, *bad);
	return add_string(p, k, v, &c->select_groups, &c->n_select_groups,
			  &p->cap_select_groups);
}

/* split-dns and select-group: one string per line. */
static int write_strings(const struct config *c, const struct key_def *k, FILE *f)
{
	bool groups = !strcmp(k->info.name, "select-group");
	char *const *arr = groups ? c->select_groups : c->split_dns;
	size_t n = groups ? c->n_select_groups : c->n_split_dns;

	for (size_t i = 0; i < n; i++)
		if (fprintf(f, "%s = %s\n", k->info.name, arr[i]) < 0)
			return -EIO;
	return 0;
}

int config_route_from_text(const char *text, struct config_route *out)
{
	const char *slash = strchr(text, '/');
	char a[INET6_ADDRSTRLEN];
	struct in_addr net, mask;
	uint32_t pfx;
	int mp;

	memset(out, 0, sizeof(*out));
	if (slash == NULL || (size_t)(slash - text) >= sizeof(a))
		return -EINVAL;
	memcpy(a, text, (size_t)(slash - text));
	a[slash - text] = '\0';
	if (inet_pton(AF_INET, a, &net) == 1) {
		if (inet_pton(AF_INET, slash + 1, &mask) != 1 || (mp = mask_to_prefix(mask)) < 0)
			return -EINVAL;
		config_route_ipv4(net, (unsigned)mp, out);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &out->net.v6) != 1 || !parse_uint(slash + 1, 128, &pfx))
		return -EINVAL;
	out->family = AF_INET6;
	out->prefix = pfx;
	v6_apply_prefix(&out->net.v6, pfx);
	snprintf(out->text, sizeof(out->text), "%s", text);
	return 0;
}

static int parse_route(struct parser *p, const struct key_def *k, const char *v)
{
	const char *name = k->info.name;
	bool is_no = !strcmp(name, "no-route");
	struct config *c = p->cfg;
	struct config_route r = { 0 };
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : 0;
	struct config_route **arr = is_no ? &c->no_routes : &c->routes;
	size_t *n = is_no ? &c->n_no_routes : &c->n_routes;
	size_t *cap = is_no ? &p->cap_no_routes : &p->cap_routes;

	if (!strcmp(v, "default")) {
		if (is_no)
			return perr(p, name, "no-route = default: excluding everything makes no sense");
		c->route_default = true;
		return 0;
	}
	if (!slash)
		return perr(p, name, "%s = %s: expected NET/MASK or NET/PREFIX (or 'default')", name, v);
	if (alen >= sizeof(buf))
		return perr(p, name, "%s = %s: not an IPv4 or IPv6 network", name, v);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &r.net.v4) == 1) {
		int pfx;
		uint32_t m;

		if (parse_v4_net(p, name, v, &r.net.v4, &pfx))
			return -EINVAL;
		m = prefix_to_mask((unsigned)pfx);
		struct in_addr fix = { .s_addr = r.net.v4.s_addr & m };
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &fix, a, sizeof(a));
		if (fix.s_addr != r.net.v4.s_addr)
			return perr(p, name, "%s = %s: host bits are set (the network is %s/%d)",
				    name, v, a, pfx);
		config_route_ipv4(fix, (unsigned)pfx, &r);
	} else if (inet_pton(AF_INET6, buf, &r.net.v6) == 1) {
		uint32_t pfx;
		char a[INET6_ADDRSTRLEN];

		if (!parse_uint(slash + 1, 128, &pfx))
			return perr(p, name, "%s = %s: bad IPv6 prefix length (expected 0..128)", name, v);
		r.family = AF_INET6;
		r.prefix = pfx;
		if (!v6_host_bits_zero(&r.net.v6, r.prefix)) {
			struct in6_addr fix = r.net.v6;

			v6_apply_prefix(&fix, r.prefix);
			inet_ntop(AF_INET6, &fix, a, sizeof(a));
			return perr(p, name, "%s = %s: host bits are set (the network is %s/%u)",
				    name, v, a, r.prefix);
		}
		inet_ntop(AF_INET6, &r.net.v6, a, sizeof(a));
		snprintf(r.text, sizeof(r.text), "%s/%u", a, r.prefix);
	} else {
		return perr(p, name, "%s = %s: not an IPv4 or IPv6 network", name, v);
	}
	if (*n >= k->max)
		return perr(p, name, "%s: more than %" PRIu32 " entries", name, k->max);
	if (grow((void **)arr, cap, *n, sizeof(**arr)))
		return perr(p, name, "out of memory");
	(*arr)[(*n)++] = r;
	return 0;
}

static int write_route(const struct config *c, const struct key_def *k, FILE *f)
{
	bool is_no = !strcmp(k->info.name, "no-route");
	const struct config_route *arr = is_no ? c->no_routes : c->routes;
	size_t n = is_no ? c->n_no_routes : c->n_routes;

	if (!is_no && c->route_default && fprintf(f, "route = default\n") < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		if (fprintf(f, "%s = %s\n", k->info.name, arr[i].text) < 0)
			return -EIO;
	return 0;
}

static int parse_rekey_method(struct parser *p, const struct key_def *k, const char *v)
{
	if (!strcmp(v, "ssl"))
		p->cfg->rekey_method = CONFIG_REKEY_SSL;
	else if (!strcmp(v, "new-tunnel"))
		p->cfg->rekey_method = CONFIG_REKEY_NEW_TUNNEL;
	else
		return perr(p, k->info.name, "rekey-method = %s: expected ssl or new-tunnel", v);
	return 0;
}

static int write_rekey_method(const struct config *c, const struct key_def *k, FILE *f)
{
	return fprintf(f, "%s = %s\n", k->info.name, config_rekey_method_str(c->rekey_method)) < 0
		? -EIO : 0;
}

/* occtl-socket-mode: octal permissions of the control socket, as chmod
 * takes them ("0660", "660"). */
static int parse_socket_mode(struct parser *p, const struct key_def *k, const char *v)
{
	unsigned long m = 0;
	size_t n = strlen(v);

	if (n == 0 || n > 4)
		return perr(p, k->info.name, "%s = %s: expected octal permissions 0000..0777",
			    k->info.name, v);
	for (const char *s = v; *s; s++) {
		if (*s < '0' || *s > '7')
			return perr(p, k->info.name, "%s = %s: expected octal permissions 0000..0777",
				    k->info.name, v);
		m = m * 8 + (unsigned long)(*s - '0');
	}
	if (m > 0777)
		return perr(p, k->info.name, "%s = %s: only the permission bits (at most 0777)",
			    k->info.name, v);
	if (m & 0002)
		return perr(p, k->info.name,
			    "%s = %s: a control socket anyone may write to lets every local user "
			    "talk to the server; use occtl-socket-group with a mode such as 0660",
			    k->info.name, v);
	p->cfg->occtl_socket_mode = (uint32_t)m;
	return 0;
}

static int write_socket_mode(const struct config *c, const struct key_def *k, FILE *f)
{
	return fprintf(f, "%s = %04o\n", k->info.name, (unsigned)c->occtl_socket_mode) < 0
		? -EIO : 0;
}

int config_parse_hostport(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *h = text;
	size_t hlen;
	unsigned long port;
	char *end;

	if (text == NULL || (colon = strrchr(text, ':')) == NULL)
		return -EINVAL;
	hlen = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hlen < 2 || text[hlen - 1] != ']')
			return -EINVAL;
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (h == text && inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
	} else if (h != text &&
		   inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int parse_metrics_listen(struct parser *p, const struct key_def *k, const char *v)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (config_parse_hostport(v, &ss, &len) < 0)
		return perr(p, k->info.name, "%s = %s: expected ADDRESS:PORT such as 127.0.0.1:9617 "
			    "or [::1]:9617 (a numeric address, port 1..65535)", k->info.name, v);
	return set_string(p, &p->cfg->metrics_listen, v, k->info.name);
}

static int write_metrics_listen(const struct config *c, const struct key_def *k, FILE *f)
{
	int r = c->metrics_listen != NULL ? fprintf(f, "%s = %s\n", k->info.name, c->metrics_listen)
					  : fprintf(f, "#%s =\n", k->info.name);

	return r < 0 ? -EIO : 0;
}

const char *config_rekey_method_str(enum config_rekey_method m)
{
	switch (m) {
	case CONFIG_REKEY_SSL:
		return "ssl";
	case CONFIG_REKEY_NEW_TUNNEL:
		return "new-tunnel";
	}
	return "?";
}

/* ---------------------------------------------------------------- key lookup */

static const struct key_def *find_key(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].info.name, name))
			return &keys[i];
	return NULL;
}

bool config_auth_has_form(const struct config *cfg)
{
	return cfg->auth_passwd_file != NULL || cfg->auth_otp_file != NULL || cfg->auth_pam;
}

bool config_key_is_ocserv_only(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ocserv_only); i++)
		if (!strcmp(ocserv_only[i], name))
			return true;
	return false;
}

const char *config_ocserv_only_key_at(size_t i)
{
	return i < ARRAY_SIZE(ocserv_only) ? ocserv_only[i] : NULL;
}

const struct config_key_info *config_key_at(size_t i)
{
	return i < N_KEYS ? &keys[i].info : NULL;
}

/* Optimal string alignment distance (Levenshtein + adjacent transposition),
 * for "did you mean"; any value above limit is reported as limit + 1.
 * Strings longer than 63 bytes get no suggestion. */
#define EDIT_MAX 64
static unsigned edit_distance(const char *a, const char *b, unsigned limit)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[EDIT_MAX][EDIT_MAX], prev_min = 0;

	if (la >= EDIT_MAX || lb >= EDIT_MAX)
		return limit + 1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned row_min = d[i][0];

		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
			if (v < row_min)
				row_min = v;
		}
		/* A cell comes from the row above, the same row, or (transposition)
		 * two rows above: once two rows in a row exceed limit, all later
		 * ones do, and so does the result. */
		if (row_min > limit && prev_min > limit)
			return limit + 1;
		prev_min = row_min;
	}
	return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

/* The known key closest to name, or NULL when nothing is close enough. */
static const char *suggest_key(const char *name)
{
	const char *best = NULL;
	unsigned best_d = UINT32_MAX, limit;
	size_t len = strlen(name);

	/* Keys are case-sensitive; a case slip is the likeliest mistake. */
	for (size_t i = 0; i < N_KEYS; i++)
		if (!strcasecmp(keys[i].info.name, name))
			return keys[i].info.name;
	for (size_t i = 0; i < ARRAY_SIZE(ocserv_only); i++)
		if (!strcasecmp(ocserv_only[i], name))
			return ocserv_only[i];

	limit = len <= 3 ? 1 : (len <= 8 ? 2 : 3);
	for (size_t i = 0; i < N_KEYS + ARRAY_SIZE(ocserv_only); i++) {
		const char *cand = i < N_KEYS ? keys[i].info.name : ocserv_only[i - N_KEYS];
		size_t cl = strlen(cand);
		unsigned d;

		/* The distance is at least the length difference: skip the DP. */
		if ((cl > len ? cl - len : len - cl) > limit)
			continue;
		d = edit_distance(name, cand, limit);

		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	return best_d <= limit ? best : NULL;
}

/* ---------------------------------------------------------------- lines */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/* 1: inside an ignored [vhost:...] section from now on, 0: not, <0: error */
static int section_header(struct parser *p, const char *s)
{
	size_t n = strlen(s);

	if (s[n - 1] != ']')
		return perr(p, NULL, "section header '%s' lacks its closing ']'", s);
	if (strncmp(s, "[vhost:", 7))
		return perr(p, NULL, "unknown section '%s' (ocserv only has [vhost:NAME])", s);
	pwarn_at(p, p->line, NULL, "%s: virtual hosts are not supported; the lines of this "
		 "section are ignored", s);
	return 1;
}

/* The value as the key gets it: one pair of quotes removed, no control
 * characters, not empty. */
static int clean_value(struct parser *p, const char *key, char **valp)
{
	char *val = *valp;
	size_t vlen = strlen(val);

	if (vlen && val[0] == '"') {
		if (vlen < 2 || val[vlen - 1] != '"')
			return perr(p, key, "%s: unterminated quote in value", key);
		val[vlen - 1] = '\0';
		val++;
		vlen -= 2;
	}
	for (size_t i = 0; i < vlen; i++) {
		unsigned char ch = (unsigned char)val[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return perr(p, key, "%s: control character 0x%02x in value", key, ch);
	}
	if (!vlen)
		return perr(p, key, "%s: missing value (comment the line out to use the default)", key);
	*valp = val;
	return 0;
}

/* The error for a key nobody knows, with the closest known one. */
static int unknown_key(struct parser *p, const char *key)
{
	const char *hint = suggest_key(key);

	if (hint)
		return perr(p, key, "unknown key '%s' (did you mean '%s'?)", key, hint);
	return perr(p, key, "unknown key '%s'", key);
}

/* ---------------------------------------------------------------- per-user files */

/* The keys of a per-user file, in enum config_user_key order; the global
 * key of the same name gives range and parser (NULL: special). */
static const char *const user_keys[CONFIG_USER_N_KEYS] = {
	"dpd", "mobile-dpd", "keepalive", "idle-timeout", "mobile-idle-timeout", "explicit-ipv4",
	"route", "no-route", "dns", "explicit-ipv6", "rx-data-per-sec", "tx-data-per-sec",
	"restrict-user-to-ports",
	"session-timeout", "cookie-timeout", "ipv4-network", "iroute",
};

const char *config_user_key_name(enum config_user_key k)
{
	return (unsigned)k < CONFIG_USER_N_KEYS ? user_keys[k] : NULL;
}

static int user_key_index(const char *key)
{
	for (int i = 0; i < CONFIG_USER_N_KEYS; i++)
		if (!strcmp(user_keys[i], key))
			return i;
	return -1;
}

static uint32_t *user_field(struct config_user *u, enum config_user_key k)
{
	switch (k) {
	case CONFIG_USER_DPD:
		return &u->dpd_s;
	case CONFIG_USER_MOBILE_DPD:
		return &u->mobile_dpd_s;
	case CONFIG_USER_KEEPALIVE:
		return &u->keepalive_s;
	case CONFIG_USER_IDLE_TIMEOUT:
		return &u->idle_timeout_s;
	case CONFIG_USER_MOBILE_IDLE_TIMEOUT:
		return &u->mobile_idle_timeout_s;
	case CONFIG_USER_RX_DATA_PER_SEC:
		return &u->rx_data_per_sec;
	case CONFIG_USER_TX_DATA_PER_SEC:
		return &u->tx_data_per_sec;
	case CONFIG_USER_SESSION_TIMEOUT:
		return &u->session_timeout_s;
	case CONFIG_USER_COOKIE_TIMEOUT:
		return &u->cookie_timeout_s;
	default:
		return NULL;
	}
}

#define USER_IROUTES_MAX 64

/* iroute = NET/PREFIX or NET/MASK (IPv4 or IPv6, host bits zero): a
 * network behind the client. */
static int user_iroute(struct parser *p, const char *key, const char *v)
{
	struct config_user *u = p->user;
	struct config_route r, *grown;
	struct in_addr a;
	int pfx;

	if (u->n_iroutes == USER_IROUTES_MAX)
		return perr(p, key, "%s: more than %d lines", key, USER_IROUTES_MAX);
	if (strchr(v, ':') != NULL) {
		char addr[INET6_ADDRSTRLEN];
		struct in6_addr given;
		size_t n = strcspn(v, "/");

		if (config_route_from_text(v, &r) < 0 || n >= sizeof(addr))
			return perr(p, key, "%s = %s: expected NET/PREFIX", key, v);
		memcpy(addr, v, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET6, addr, &given) != 1 || memcmp(&given, &r.net.v6, 16) != 0)
			return perr(p, key, "%s = %s: host bits are set", key, v);
	} else {
		if (parse_v4_net(p, key, v, &a, &pfx) < 0)
			return -EINVAL;
		if (pfx < 0)
			return perr(p, key, "%s = %s: expected NET/PREFIX or NET/MASK", key, v);
		config_route_ipv4(a, (unsigned)pfx, &r);
		if (r.net.v4.s_addr != a.s_addr)
			return perr(p, key, "%s = %s: host bits are set", key, v);
	}
	grown = realloc(u->iroutes, (u->n_iroutes + 1) * sizeof(*grown));
	if (grown == NULL)
		return perr(p, key, "out of memory");
	u->iroutes = grown;
	u->iroutes[u->n_iroutes++] = r;
	u->set |= 1u << CONFIG_USER_IROUTE;
	return 0;
}

/* One "key = value" line of a per-user or per-group file. */
static int user_kv(struct parser *p, const char *key, char *val)
{
	int i = user_key_index(key);
	const struct key_def *k = find_key(key);

	/* ipv4-netmask goes with ipv4-network (its line checked at the end) */
	if (i < 0 && k != NULL && strcmp(key, "ipv4-netmask") == 0) {
		if (clean_value(p, key, &val) || parse_generic(p, k, val))
			return -EINVAL;
		p->seen[key_index(k)] = p->line;
		return 0;
	}

	if (i < 0) {
		if (k || config_key_is_ocserv_only(key)) {
			pwarn_at(p, p->line, key, "%s: not accepted in a per-user or per-group "
				 "file; ignored", key);
			return 0;
		}
		return unknown_key(p, key);
	}
	if (clean_value(p, key, &val))
		return -EINVAL;
	if (i == CONFIG_USER_IROUTE)
		return user_iroute(p, key, val);
	if ((p->user->set & (1u << i)) && !(k != NULL && k->info.repeated))
		pwarn_at(p, p->line, key, "%s: set again; this value replaces the earlier one", key);
	if (i == CONFIG_USER_EXPLICIT_IPV4) {
		if (inet_pton(AF_INET, val, &p->user->explicit_ipv4) != 1)
			return perr(p, key, "%s = %s: not an IPv4 address", key, val);
	} else if (i == CONFIG_USER_EXPLICIT_IPV6) {
		if (inet_pton(AF_INET6, val, &p->user->explicit_ipv6) != 1)
			return perr(p, key, "%s = %s: not an IPv6 address", key, val);
	} else if (k->kind == KEY_SPECIAL || k->kind == KEY_STR) {
		/* the lists and strings: into p->cfg, moved at the end */
		if (parse_generic(p, k, val))
			return -EINVAL;
	} else {
		if (parse_generic(p, k, val))
			return -EINVAL;
		*user_field(p->user, (enum config_user_key)i) = *(uint32_t *)field(p->cfg, k);
	}
	p->user->set |= 1u << i;
	if (k != NULL)
		p->seen[key_index(k)] = p->line;
	return 0;
}

static int line_kv(struct parser *p, char *s)
{
	char *eq = strchr(s, '='), *key, *val;
	const struct key_def *k;
	size_t idx;

	if (!eq) {
		char *sp = s;

		while (*sp && !is_blank(*sp))
			sp++;
		*sp = '\0';
		if (find_key(s) || config_key_is_ocserv_only(s))
			return perr(p, s, "expected '%s = value': missing '='", s);
		return perr(p, NULL, "expected 'key = value', got '%s'", s);
	}
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return perr(p, NULL, "missing key before '='");

	if (p->user)
		return user_kv(p, key, val);
	k = find_key(key);
	if (!k) {
		if (!strcmp(key, "chroot-dir"))
			return perr(p, key, "chroot-dir is not supported: workers start as run-as-user "
				    "with no capabilities, confined by isolate-workers (doc/security.md); "
				    "remove the line");
		if (config_key_is_ocserv_only(key)) {
			pwarn_at(p, p->line, key, "%s: ocserv option not implemented by this server; "
				 "ignored", key);
			return 0;
		}
		if (user_key_index(key) >= 0) {
			pwarn_at(p, p->line, key, "%s: accepted only in a per-user or per-group file "
				 "(config-per-user, config-per-group); ignored here", key);
			return 0;
		}
		return unknown_key(p, key);
	}
	if (clean_value(p, key, &val))
		return -EINVAL;
	idx = key_index(k);
	if (p->seen[idx] && !k->info.repeated && strcmp(key, "auth"))
		pwarn_at(p, p->line, key, "%s: set again; this value replaces the one from line %u",
			 key, p->seen[idx]);
	if (parse_generic(p, k, val))
		return -EINVAL;
	p->seen[idx] = p->line;
	return 0;
}

/* ---------------------------------------------------------------- whole file */

static int apply_defaults(struct parser *p)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].info.default_value &&
		    parse_generic(p, &keys[i], keys[i].info.default_value))
			return -EINVAL;
	return 0;
}

static unsigned seen_line(const struct parser *p, const char *name)
{
	const struct key_def *k = find_key(name);

	return k ? p->seen[key_index(k)] : 0;
}

/* ipv6-network with its prefix (its /N or ipv6-prefix) and
 * ipv6-subnet-prefix: the network's prefix, or an error naming the line. */
static int finish_ipv6(struct parser *p)
{
	struct config *c = p->cfg;
	unsigned net_line = seen_line(p, "ipv6-network"), pfx_line = seen_line(p, "ipv6-prefix");
	char a[INET6_ADDRSTRLEN];
	int pfx = p->v6_net_prefix >= 0 ? p->v6_net_prefix : p->v6_key_prefix;

	c->ipv6_prefix = 0;
	if (net_line == 0) {
		if (pfx_line != 0)
			pwarn_at(p, pfx_line, "ipv6-prefix", "ipv6-prefix without ipv6-network: "
				 "ignored");
		return 0;
	}
	if (p->v6_net_prefix >= 0 && p->v6_key_prefix >= 0 && p->v6_net_prefix != p->v6_key_prefix)
		return perr_at(p, pfx_line, "ipv6-prefix", "ipv6-prefix (%d) contradicts the /%d "
			       "of ipv6-network on line %u", p->v6_key_prefix, p->v6_net_prefix,
			       net_line);
	if (pfx < 1 || pfx > 127)
		return perr_at(p, net_line, "ipv6-network", "ipv6-network needs a prefix of 1..127: "
			       "write ADDR/N (or add ipv6-prefix)");
	if (!v6_host_bits_zero(&c->ipv6_network, (unsigned)pfx)) {
		struct in6_addr fix = c->ipv6_network;

		v6_apply_prefix(&fix, (unsigned)pfx);
		inet_ntop(AF_INET6, &fix, a, sizeof(a));
		return perr_at(p, net_line, "ipv6-network", "ipv6-network: host bits are set "
			       "(the network is %s/%d)", a, pfx);
	}
	/* room for N, the server's N + 1 and at least one client subnet */
	if (c->ipv6_subnet_prefix <= (unsigned)pfx ||
	    (c->ipv6_subnet_prefix == 128 && pfx > 126))
		return perr_at(p, seen_line(p, "ipv6-subnet-prefix") ? seen_line(p, "ipv6-subnet-prefix")
								      : net_line,
			       "ipv6-subnet-prefix", "ipv6-subnet-prefix = %u leaves no client subnet "
			       "in a /%d ipv6-network (it must be longer than the network's, and "
			       "/128 needs a network of /126 or shorter)", c->ipv6_subnet_prefix, pfx);
	c->ipv6_prefix = (unsigned)pfx;
	return 0;
}

/* Certificate authentication needs its CAs and where the user name is. */
static int finish_cert(struct parser *p)
{
	const struct config *c = p->cfg;
	const char *how = c->auth_certificate ? "auth = certificate" : "enable-auth = certificate";

	if (!c->auth_certificate && !c->enable_auth_certificate)
		return 0;
	if (c->ca_cert == NULL)
		return perr_at(p, 0, "ca-cert", "%s needs ca-cert (the CAs "
			       "that sign the client certificates)", how);
	if (c->cert_user_oid == NULL)
		return perr_at(p, 0, "cert-user-oid", "%s needs cert-user-oid "
			       "(where the certificate names its user, e.g. 2.5.4.3 for CN)", how);
	if (c->auth_certificate && (c->auth_pam || c->auth_radius_config))
		return perr_at(p, 0, "auth", "auth = certificate with %s is not supported; "
			       "certificate goes with plain[...]", c->auth_pam ? "pam" : "radius");
	if (c->auth_certificate && c->enable_auth_certificate)
		pwarn_at(p, seen_line(p, "enable-auth"), "enable-auth", "enable-auth = certificate "
			 "changes nothing: auth = certificate already requires a certificate");
	return 0;
}

/* Cross-key checks and derived values, after the last line. */
/* ipv4-network and ipv4-netmask: one prefix 1..30, host bits zero. */
static int finish_ipv4(struct parser *p)
{
	struct config *c = p->cfg;
	unsigned net_line = seen_line(p, "ipv4-network"), mask_line = seen_line(p, "ipv4-netmask");
	int pfx;

	if (p->net_prefix >= 0 && p->mask_prefix >= 0 && p->net_prefix != p->mask_prefix)
		return perr_at(p, mask_line, "ipv4-netmask", "ipv4-netmask (/%d) contradicts "
			       "the /%d of ipv4-network on line %u", p->mask_prefix, p->net_prefix,
			       net_line);
	pfx = p->net_prefix >= 0 ? p->net_prefix : p->mask_prefix;
	if (pfx < 0)
		return perr_at(p, net_line, "ipv4-network", "ipv4-network has no netmask: write "
			       "A.B.C.D/N or add ipv4-netmask");
	if (pfx < 1 || pfx > 30) {
		bool from_net = p->net_prefix >= 0;

		return perr_at(p, from_net ? net_line : mask_line,
			       from_net ? "ipv4-network" : "ipv4-netmask",
			       "%s: prefix /%d leaves no room for clients (expected /1 to /30)",
			       from_net ? "ipv4-network" : "ipv4-netmask", pfx);
	}
	c->ipv4_prefix = (unsigned)pfx;
	c->ipv4_netmask.s_addr = prefix_to_mask(c->ipv4_prefix);
	if (c->ipv4_network.s_addr & ~c->ipv4_netmask.s_addr) {
		struct in_addr fix = { .s_addr = c->ipv4_network.s_addr & c->ipv4_netmask.s_addr };
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &fix, a, sizeof(a));
		return perr_at(p, net_line, "ipv4-network", "ipv4-network: host bits are set "
			       "(the network is %s/%u)", a, c->ipv4_prefix);
	}
	return 0;
}

static int finish(struct parser *p)
{
	struct config *c = p->cfg;

	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].info.required && !p->seen[i])
			return perr_at(p, 0, keys[i].info.name, "required key '%s' is missing (%s)",
				       keys[i].info.name, keys[i].info.range);
	if (finish_cert(p) < 0)
		return -EINVAL;
	if (finish_ipv4(p) < 0)
		return -EINVAL;
	if (finish_ipv6(p))
		return -EINVAL;
	if (c->mobile_dpd_s == 0)
		c->mobile_dpd_s = c->dpd_s;

	if (c->route_default && c->n_routes) {
		pwarn_at(p, seen_line(p, "route"), "route", "route = default sends all traffic "
			 "through the VPN; the %zu other route lines are ignored", c->n_routes);
		free(c->routes);
		c->routes = NULL;
		c->n_routes = 0;
	}
	if (c->try_mtu_discovery && c->dpd_s == 0)
		pwarn_at(p, seen_line(p, "try-mtu-discovery"), "try-mtu-discovery",
			 "try-mtu-discovery needs DPD, but dpd = 0");
	if (c->max_clients && c->max_same_clients > c->max_clients)
		pwarn_at(p, seen_line(p, "max-same-clients") ? seen_line(p, "max-same-clients")
							      : seen_line(p, "max-clients"),
			 "max-same-clients",
			 "max-same-clients (%" PRIu32 ") is above max-clients (%" PRIu32 ")",
			 c->max_same_clients, c->max_clients);
	return 0;
}

/* Every line of buf into p (struct parser), up to the end or the first error. */
static int parse_lines(struct parser *p, const char *buf, size_t len)
{
	const char *pos = buf, *end = buf + len;
	char line[CONFIG_MAX_LINE + 1];
	bool in_vhost = false;
	int r = 0;

	if (len > CONFIG_MAX_FILE_SIZE)
		return perr_at(p, 0, NULL, "file is larger than %u bytes", CONFIG_MAX_FILE_SIZE);
	/* A UTF-8 byte order mark from an editor is not part of the first key. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos += 3;

	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		size_t n = (size_t)((nl ? nl : end) - pos);
		char *s;

		p->line++;
		if (n > CONFIG_MAX_LINE)
			return perr(p, NULL, "line longer than %u bytes", CONFIG_MAX_LINE);
		if (memchr(pos, '\0', n))
			return perr(p, NULL, "NUL byte in line");
		memcpy(line, pos, n);
		line[n] = '\0';
		pos = nl ? nl + 1 : end;

		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			r = section_header(p, s);
			if (r < 0)
				return r;
			in_vhost = r == 1;
			r = 0;
			continue;
		}
		if (in_vhost)
			continue;
		r = line_kv(p, s);
		if (r)
			return r;
	}
	return 0;
}

static void diag_reset(struct config_diag *diag)
{
	if (diag) {
		diag->n_warnings = 0;
		diag->line = 0;
		diag->key[0] = '\0';
		diag->msg[0] = '\0';
	}
}

int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct config *out, struct config_diag *diag)
{
	struct parser *p;
	int r = 0;

	diag_reset(diag);
	memset(out, 0, sizeof(*out));
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->file = name ? name : "(config)";
	p->cfg = out;
	p->diag = diag;
	p->net_prefix = p->mask_prefix = -1;
	p->v6_net_prefix = p->v6_key_prefix = -1;

	out->path = strdup(p->file);
	if (!out->path) {
		r = -ENOMEM;
		goto out;
	}
	r = apply_defaults(p);  /* fails only for a broken table: see the unit tests */
	if (r)
		goto out;
	r = parse_lines(p, buf, len);
	if (r)
		goto out;
	r = finish(p);
out:
	if (r && diag && !diag->msg[0])
		snprintf(diag->msg, sizeof(diag->msg), "%s: %s", p->file, strerror(-r));
	if (r)
		config_free(out);
	free(p);
	return r;
}

/* The whole file at path into *bufp (malloc'd, *lenp bytes). 0 or a negative
 * errno with diag->msg set. */
static int read_file(const char *path, char **bufp, size_t *lenp, struct config_diag *diag)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	/* O_NONBLOCK: a FIFO must not hang the load before fstat rejects it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		if (diag)
			snprintf(diag->msg, sizeof(diag->msg), "%s: not a regular file", path);
		return r;
	}
	if ((uint64_t)st.st_size > CONFIG_MAX_FILE_SIZE) {
		close(fd);
		if (diag)
			snprintf(diag->msg, sizeof(diag->msg), "%s: file is larger than %u bytes",
				 path, CONFIG_MAX_FILE_SIZE);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		r = -ENOMEM;
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			close(fd);
			free(buf);
			goto fail;
		}
		if (n == 0)
			break;  /* shrank while reading: parse what is there */
		len += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	if (diag)
		snprintf(diag->msg, sizeof(diag->msg), "%s: cannot read: %s", path, strerror(-r));
	return r;
}

/* The file at path into out (out_len bytes, zeroed first): a global
 * configuration, or the values of a per-user file when user. */
static int load_file(const char *path, void *out, size_t out_len, bool user,
		     struct config_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, out_len);
	diag_reset(diag);
	r = read_file(path, &buf, &len, diag);
	if (r)
		return r;
	r = user ? config_user_parse_buffer(path, buf, len, out, diag)
		 : config_parse_buffer(path, buf, len, out, diag);
	free(buf);
	return r;
}

int config_load(const char *path, struct config *out, struct config_diag *diag)
{
	return load_file(path, out, sizeof(*out), false, diag);
}

/* The lists the parsers built in p->cfg become out's; "route = default"
 * drops the other route lines, as in the global file. */
static void user_take_lists(struct parser *p, struct config_user *out)
{
	struct config *c = p->cfg;

	if (c->route_default && c->n_routes)
		pwarn_at(p, 0, "route", "route = default sends all traffic through the VPN; the "
			 "%zu other route lines are ignored", c->n_routes);
	out->route_default = c->route_default;
	if (!c->route_default) {
		out->routes = c->routes;
		out->n_routes = c->n_routes;
		c->routes = NULL;
	}
	out->no_routes = c->no_routes;
	out->n_no_routes = c->n_no_routes;
	c->no_routes = NULL;
	out->dns = c->dns;
	out->n_dns = c->n_dns;
	c->dns = NULL;
	out->restrict_ports = c->restrict_user_to_ports;
	c->restrict_user_to_ports = NULL;
}

void config_user_free(struct config_user *u)
{
	if (u == NULL)
		return;
	free(u->routes);
	free(u->no_routes);
	free(u->dns);
	free(u->restrict_ports);
	free(u->iroutes);
	memset(u, 0, sizeof(*u));
}

/* The user's file if it sets key k, else the group's, else NULL (global). */
static const struct config_user *user_or_group(const struct config_user *group,
					       const struct config_user *user,
					       enum config_user_key k)
{
	if (user != NULL && (user->set & (1u << k)))
		return user;
	return group != NULL && (group->set & (1u << k)) ? group : NULL;
}

void config_session_lists(const struct config *c, const struct config_user *group,
			  const struct config_user *user, struct config_session_lists *out)
{
	const struct config_user *u = user_or_group(group, user, CONFIG_USER_ROUTE);

	out->routes = u != NULL ? u->routes : c->routes;
	out->n_routes = u != NULL ? u->n_routes : c->n_routes;
	u = user_or_group(group, user, CONFIG_USER_NO_ROUTE);
	out->no_routes = u != NULL ? u->no_routes : c->no_routes;
	out->n_no_routes = u != NULL ? u->n_no_routes : c->n_no_routes;
	u = user_or_group(group, user, CONFIG_USER_DNS);
	out->dns = u != NULL ? u->dns : c->dns;
	out->n_dns = u != NULL ? u->n_dns : c->n_dns;
}

void config_session_datapath(const struct config *c, const struct config_user *group,
			     const struct config_user *user, struct config_datapath *out)
{
	const struct config_user *u = user_or_group(group, user, CONFIG_USER_RX_DATA_PER_SEC);

	out->rx_data_per_sec = u != NULL ? u->rx_data_per_sec : c->rx_data_per_sec;
	u = user_or_group(group, user, CONFIG_USER_TX_DATA_PER_SEC);
	out->tx_data_per_sec = u != NULL ? u->tx_data_per_sec : c->tx_data_per_sec;
	u = user_or_group(group, user, CONFIG_USER_RESTRICT_PORTS);
	out->restrict_ports = u != NULL ? u->restrict_ports : c->restrict_user_to_ports;
}

/* A file's ipv4-network (with its netmask): the session's own pool. */
static int user_pool(struct parser *p, struct config_user *out)
{
	unsigned mask_line = seen_line(p, "ipv4-netmask");

	if (!(out->set & (1u << CONFIG_USER_IPV4_NETWORK))) {
		if (mask_line != 0)
			pwarn_at(p, mask_line, "ipv4-netmask", "ipv4-netmask without ipv4-network: "
				 "ignored");
		return 0;
	}
	if (finish_ipv4(p) < 0)
		return -EINVAL;
	out->ipv4_network = p->cfg->ipv4_network;
	out->ipv4_prefix = p->cfg->ipv4_prefix;
	return 0;
}

int config_user_parse_buffer(const char *name, const char *buf, size_t len,
			     struct config_user *out, struct config_diag *diag)
{
	struct parser *p;
	struct config scratch = { 0 };
	int r;

	diag_reset(diag);
	memset(out, 0, sizeof(*out));
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->file = name ? name : "(per-user config)";
	p->cfg = &scratch;  /* the global parsers write here; copied to *out */
	p->diag = diag;
	p->user = out;
	p->net_prefix = p->mask_prefix = -1;
	p->v6_net_prefix = p->v6_key_prefix = -1;
	r = parse_lines(p, buf, len);
	if (r == 0)
		r = user_pool(p, out);
	if (r && diag && !diag->msg[0])
		snprintf(diag->msg, sizeof(diag->msg), "%s: %s", p->file, strerror(-r));
	if (r == 0)
		user_take_lists(p, out);
	else
		config_user_free(out);
	config_free(&scratch);
	free(p);
	return r;
}

int config_user_load(const char *path, struct config_user *out, struct config_diag *diag)
{
	return load_file(path, out, sizeof(*out), true, diag);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->auth_passwd_file);
	free(c->auth_otp_file);
	free(c->ca_cert);
	free(c->crl);
	free(c->cert_user_oid);
	free(c->cert_group_oid);
	free(c->auth_radius_config);
	free(c->auth_radius_nas_id);
	free(c->acct_radius_config);
	free(c->listen_host);
	free(c->server_cert);
	free(c->server_key);
	free(c->run_as_user);
	free(c->run_as_group);
	free(c->socket_file);
	free(c->occtl_socket_file);
	free(c->occtl_socket_group);
	free(c->occtl_admin_group);
	free(c->metrics_listen);
	free(c->pid_file);
	free(c->tls_priorities);
	free(c->restrict_user_to_ports);
	free(c->user_profile);
	free(c->session_store);
	free(c->session_store_auth_file);
	free(c->gateway_id);
	free(c->connect_script);
	free(c->disconnect_script);
	free(c->config_per_user);
	free(c->config_per_group);
	free(c->default_user_config);
	free(c->default_group_config);
	free(c->device);
	free(c->dns);
	free(c->nbns);
	for (size_t i = 0; i < c->n_split_dns; i++)
		free(c->split_dns[i]);
	free(c->split_dns);
	for (size_t i = 0; i < c->n_select_groups; i++)
		free(c->select_groups[i]);
	free(c->select_groups);
	free(c->default_select_group);
	free(c->routes);
	free(c->no_routes);
	free(c->default_domain);
	free(c->banner);
	memset(c, 0, sizeof(*c));
}

int config_write(const struct config *c, FILE *f)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];
		const char *name = k->info.name;
		int r = 0;

		switch (k->kind) {
		case KEY_U32:
			r = fprintf(f, "%s = %" PRIu32 "\n", name, *(const uint32_t *)cfield(c, k));
			break;
		case KEY_PORT:
			r = fprintf(f, "%s = %u\n", name, (unsigned)*(const uint16_t *)cfield(c, k));
			break;
		case KEY_BOOL:
			r = fprintf(f, "%s = %s\n", name, *(const bool *)cfield(c, k) ? "true" : "false");
			break;
		case KEY_STR: {
			const char *s = *(char *const *)cfield(c, k);

			r = s ? fprintf(f, "%s = \"%s\"\n", name, s) : fprintf(f, "#%s =\n", name);
			break;
		}
		case KEY_SPECIAL:
			r = k->write(c, k, f) ? -1 : 0;
			break;
		}
		if (r < 0)
			return -EIO;
	}
	return 0;
}

/* ---------------------------------------------------------------- per tunnel */

bool config_platform_is_mobile(const char *platform)
{
	if (!platform)
		return false;
	return !strncasecmp(platform, "android", 7) || !strncasecmp(platform, "apple-ios", 9);
}

void config_tunnel_timers(const struct config *c, bool mobile, struct config_tunnel_timers *out)
{
	config_tunnel_timers_user(c, NULL, NULL, mobile, out, NULL);
}

const char *config_origin_str(enum config_origin o)
{
	switch (o) {
	case CONFIG_ORIGIN_GROUP:
		return "group";
	case CONFIG_ORIGIN_USER:
		return "user";
	case CONFIG_ORIGIN_RADIUS:
		return "radius";
	case CONFIG_ORIGIN_GLOBAL:
		break;
	}
	return "global";
}

/* *val: the user's value of key k, else the group's, else unchanged (the
 * global one); *from says which. */
static void pick_user(const struct config_user *group, const struct config_user *user,
		      enum config_user_key k, uint32_t *val, enum config_origin *from)
{
	const struct config_user *u = user_or_group(group, user, k);

	*from = u == NULL ? CONFIG_ORIGIN_GLOBAL
		: u == user ? ((user->radius_set & (1u << k)) ? CONFIG_ORIGIN_RADIUS : CONFIG_ORIGIN_USER)
		: CONFIG_ORIGIN_GROUP;
	if (u != NULL)
		*val = *user_field((struct config_user *)u, k);
}

void config_tunnel_timers_user(const struct config *c, const struct config_user *group,
			       const struct config_user *user, bool mobile,
			       struct config_tunnel_timers *out, struct config_timer_origins *from)
{
	struct config_timer_origins o;
	uint32_t dpd = c->dpd_s;
	enum config_origin dpd_from;

	out->mobile = mobile;
	pick_user(group, user, CONFIG_USER_DPD, &dpd, &dpd_from);
	out->dpd_s = dpd;
	o.dpd = dpd_from;
	if (mobile) {
		out->dpd_s = c->mobile_dpd_s;
		pick_user(group, user, CONFIG_USER_MOBILE_DPD, &out->dpd_s, &o.dpd);
		if (o.dpd != CONFIG_ORIGIN_GLOBAL && out->dpd_s == 0) {
			out->dpd_s = dpd;  /* "mobile-dpd = 0": the session's dpd */
			o.dpd = dpd_from;
		}
	}
	out->dpd_retries = c->dpd_retries;
	out->keepalive_s = c->keepalive_s;
	pick_user(group, user, CONFIG_USER_KEEPALIVE, &out->keepalive_s, &o.keepalive);
	out->idle_timeout_s = mobile ? c->mobile_idle_timeout_s : c->idle_timeout_s;
	pick_user(group, user, mobile ? CONFIG_USER_MOBILE_IDLE_TIMEOUT : CONFIG_USER_IDLE_TIMEOUT,
		  &out->idle_timeout_s, &o.idle_timeout);
	out->session_timeout_s = c->session_timeout_s;
	out->switch_to_tcp_timeout_s = c->switch_to_tcp_timeout_s;
	out->cookie_timeout_s = c->cookie_timeout_s;
	if (from)
		*from = o;
}

const char *config_session_store(const struct config *c)
{
	if (c->session_store == NULL)
		return CONFIG_SESSION_STORE_DEFAULT;
	return strcmp(c->session_store, "memory") == 0 ? NULL : c->session_store;
}
