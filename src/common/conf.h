/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_CONF_H
#define OCSM_CONF_H

/*
 * The configuration file: ocserv.conf syntax, validated once at load.
 *
 * (This header is conf.h, not config.h: every .c file starts with
 * #include "config.h" for autoconf's header, and a src/config.h would be
 * found first by every file in src/.)
 *
 * Syntax, as in ocserv:
 *   key = value          whitespace around key and value is dropped
 *   key = "value"        one pair of surrounding double quotes is removed;
 *                        the inside is kept byte for byte
 *   # comment            only when '#' is the first non-blank character;
 *                        "dpd = 90 # s" is the value "90 # s" (an error)
 *   route = ...          some keys may repeat (route, no-route, dns)
 *   [vhost:name]         not supported: a warning, and every line up to the
 *                        next section header is ignored
 * Keys are case-sensitive. Times are whole seconds and stay seconds in
 * struct config; the liveness engine converts them to milliseconds.
 *
 * Every supported key has one documented default (the table in conf.c,
 * mirrored in doc/config-reference.md and doc/sample.config) that applies
 * whether or not the key is present. Errors are fatal and name file:line and
 * the key; options of ocserv that we do not implement give a warning and are
 * ignored; a key nobody knows is an error that suggests the closest known key.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#ifdef SYSCONFDIR
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/ocserv-modern/ocserv.conf"
#endif

/* Limits on the input; beyond them the load fails with a clear error. */
#define CONFIG_MAX_FILE_SIZE (1024u * 1024u)  /* bytes */
#define CONFIG_MAX_LINE      4096u            /* bytes, without the newline */

enum config_rekey_method {
	CONFIG_REKEY_SSL = 0,        /* "ssl": TLS renegotiation on the live tunnel */
	CONFIG_REKEY_NEW_TUNNEL = 1, /* "new-tunnel": the client reconnects with its cookie */
};

/* One IPv4 or IPv6 address (dns). */
struct config_addr {
	int family;                       /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	char text[INET6_ADDRSTRLEN];      /* canonical text, e.g. "192.0.2.1" */
};

/* One route or no-route, host bits guaranteed zero. */
struct config_route {
	int family;                       /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} net;
	unsigned prefix;                  /* 0..32 or 0..128 */
	/* The form the X-CSTP-Split-Include/-Exclude headers carry:
	 * "10.0.0.0/255.0.0.0" for IPv4, "2001:db8::/32" for IPv6. */
	char text[INET6_ADDRSTRLEN + 20];
};

/*
 * The whole configuration. Strings are owned (freed by config_free); a NULL
 * string means "not set" and is only possible where the field says so.
 * Times are seconds; 0 means "off"/"none" where the field says so.
 */
struct config {
	char *path;                     /* file it was loaded from ("<buffer name>" for buffers) */

	/* authentication (required): auth = plain[passwd=FILE,otp=FILE],
	 * pam[gid-min=N] or radius[config=FILE,...] */
	char *auth_passwd_file;         /* the ocpasswd file; NULL: none */
	char *auth_otp_file;            /* plain's liboath users file; NULL: none */
	bool auth_pam;                  /* pam: the PAM service ocserv-modern */
	uint32_t auth_pam_gid_min;      /* pam: groups with a gid >= this one */
	/* client certificates (doc/security.md): auth = certificate (a
	 * required factor), enable-auth = certificate (sufficient alone) */
	bool auth_certificate;
	bool enable_auth_certificate;
	char *ca_cert;                  /* CAs that sign client certificates; NULL: none */
	char *crl;                      /* their revocation lists; NULL: none */
	char *cert_user_oid;            /* subject attribute naming the user */
	char *cert_group_oid;           /* ... the user's groups; NULL: none */
	char *auth_radius_config;       /* radius: the radcli configuration file; NULL: none */
	bool auth_radius_groupconfig;   /* radius: groups from Class (OU=) and Filter-Id */
	char *auth_radius_nas_id;       /* radius: NAS-Identifier; NULL: none sent */
	/* accounting: acct = radius[config=FILE] */
	char *acct_radius_config;       /* the radcli configuration file; NULL: no accounting */

	/* listening */
	char *listen_host;              /* NULL: every address */
	uint16_t tcp_port;              /* 1..65535 */
	uint16_t udp_port;              /* 0: no DTLS (no X-DTLS-* headers) */
	bool listen_proxy_proto;        /* each TCP connection starts with a PROXY header */
	char *server_cert;              /* required */
	char *server_key;               /* required (file or GnuTLS URL) */
	char *tls_priorities;           /* GnuTLS priority string of TLS (and the base of DTLS's) */
	bool match_tls_dtls_ciphers;    /* DTLS only with the cipher TLS negotiated */
	bool dtls_psk;                  /* offer PSK-NEGOTIATE DTLS */
	bool dtls_legacy;               /* offer Cisco's legacy (resumed) DTLS */
	bool cisco_client_compat;       /* implies dtls_legacy */

	/* processes and sockets */
	char *run_as_user;              /* workers drop to this user */
	char *run_as_group;
	char *socket_file;              /* main <-> worker IPC */
	char *occtl_socket_file;        /* occtl-modern control socket */
	uint32_t occtl_socket_mode;     /* its permission bits, 0..0777 */
	char *occtl_socket_group;       /* its group; NULL: main's */
	char *occtl_admin_group;        /* its members may act, as root; NULL: root only */
	char *metrics_listen;           /* "ADDRESS:PORT" of /metrics; NULL: none */
	char *pid_file;
	uint32_t server_drain_ms;       /* SIGTERM: refuse new connections this long first; 0: none */
	char *connect_script;           /* NULL: none */
	char *disconnect_script;        /* NULL: none */
	char *config_per_user;          /* directory of per-user files; NULL: none */
	char *config_per_group;         /* directory of per-group files; NULL: none */
	char *default_user_config;      /* file for a user without one; NULL: none */
	char *default_group_config;     /* file for a group without one; NULL: none */
	char **select_groups;           /* select-group (repeated): the login form's group list */
	size_t n_select_groups;
	char *default_select_group;     /* first choice of that list: the user's first group;
					 * NULL: none */

	/* network given to clients */
	char *device;                   /* tun name prefix, "vpns" -> vpns0, vpns1... */
	struct in_addr ipv4_network;    /* required; host bits zero */
	struct in_addr ipv4_netmask;    /* from ipv4-netmask or the /N of ipv4-network */
	unsigned ipv4_prefix;           /* 1..30, same mask as ipv4_netmask */
	struct in6_addr ipv6_network;   /* host bits zero; meaningful when ipv6_prefix != 0 */
	unsigned ipv6_prefix;           /* 1..127 from ipv6-network's /N or ipv6-prefix;
					 * 0: no ipv6-network, no IPv6 in the tunnel */
	uint32_t ipv6_subnet_prefix;    /* each client's IPv6 prefix, > ipv6_prefix, <= 128 */
	bool client_bypass_protocol;    /* X-CSTP-Client-Bypass-Protocol: true */
	struct config_addr *dns;        /* dns = ... (repeated), n_dns entries */
	size_t n_dns;
	struct config_addr *nbns;       /* nbns = ... (repeated): X-CSTP-NBNS */
	size_t n_nbns;
	char **split_dns;               /* split-dns = DOMAIN (repeated): X-CSTP-Split-DNS */
	size_t n_split_dns;
	bool tunnel_all_dns;            /* X-CSTP-Tunnel-All-DNS: true */
	bool restrict_user_to_routes;   /* the worker drops client packets to other destinations */
	char *restrict_user_to_ports;   /* ports.h syntax, checked at load; NULL: no restriction */
	uint32_t rx_data_per_sec;       /* bytes/s from each client; 0: unlimited */
	uint32_t tx_data_per_sec;       /* bytes/s to each client; 0: unlimited */
	char *user_profile;             /* the XML client profile offered at login; NULL: none */
	bool route_default;             /* "route = default" was given: full tunnel, routes[] empty */
	struct config_route *routes;    /* route = ... ; none and !route_default: full tunnel too */
	size_t n_routes;
	struct config_route *no_routes; /* no-route = ... */
	size_t n_no_routes;
	char *default_domain;           /* NULL: none */
	char *banner;                   /* NULL: none; never contains control characters */
	uint32_t mtu;                   /* link MTU cap; 0: the tun device's default */
	bool predictable_ips;           /* same user -> same IPv4 when free */
	bool keep_tun_on_resume;        /* keep the tun device while waiting to resume */
	char *session_store_auth_file;  /* Redis ACL user and password; NULL: none */
	char *gateway_id;               /* this gateway in a cluster; NULL: the host name */
	char *session_store;            /* NULL: the default file; "memory": none
					 * (use config_session_store) */

	/* limits */
	uint32_t max_clients;           /* 0: unlimited */
	uint32_t max_same_clients;      /* per user; 0: unlimited */
	uint32_t max_unauth;            /* connections without a session yet; 0: unlimited */
	uint32_t max_unauth_per_ip;     /* ... from one address; 0: unlimited */
	uint32_t rate_limit_ms;         /* between accepted connections; 0: no limit */
	uint32_t ban_points_connection; /* ban points per connection */
	bool deny_roaming;              /* a cookie works only from the login's address */
	uint32_t max_ban_score;         /* 0: no banning */
	uint32_t ban_reset_time_s;
	uint32_t min_reauth_time_s;

	/* liveness (doc/spec/liveness.md §3-§9) */
	uint32_t auth_timeout_s;        /* >= 1 */
	uint32_t handshake_timeout_s;   /* TLS handshake + first request; >= 1 */
	uint32_t dpd_s;                 /* 0: DPD off, else >= 2 */
	uint32_t mobile_dpd_s;          /* already resolved: "mobile-dpd = 0" stores dpd_s */
	uint32_t dpd_retries;           /* 1..10 */
	uint32_t keepalive_s;           /* 0: not advertised */
	uint32_t idle_timeout_s;        /* 0: none */
	uint32_t mobile_idle_timeout_s; /* 0: none */
	uint32_t session_timeout_s;     /* 0: none */
	uint32_t cookie_timeout_s;      /* >= 1 */
	bool persistent_cookies;
	bool isolate_workers;           /* seccomp filter in workers (worker/sandbox.h) */
	bool worker_zygote;             /* workers forked by the zygote (worker/zygote.h) */
	uint32_t switch_to_tcp_timeout_s; /* 0: off */
	bool try_mtu_discovery;
	uint32_t rekey_time_s;          /* 0: no rekey (method none is advertised) */
	enum config_rekey_method rekey_method;
};

/*
 * Diagnostics. Every field may be left zero; diag itself may be NULL.
 * Messages have the form "FILE:LINE: text" ("FILE: text" when no line applies).
 */
#define CONFIG_MSG_MAX 640
typedef void config_warn_fn(void *opaque, unsigned line, const char *key, const char *msg);

struct config_diag {
	config_warn_fn *warn;       /* in: called once per warning; NULL: only counted */
	void *opaque;               /* in: passed to warn */
	unsigned n_warnings;        /* out */
	unsigned line;              /* out: line of the fatal error; 0 when it concerns the whole file */
	char key[64];               /* out: key of the fatal error; "" when none */
	char msg[CONFIG_MSG_MAX];   /* out: the fatal error; "" when none */
};

/*
 * Load and validate the file at path into *out. Returns 0, or a negative
 * errno: -EINVAL for any content error, -ENOENT/-EACCES/... when the file
 * cannot be read, -EFBIG above CONFIG_MAX_FILE_SIZE, -ENOMEM. On failure
 * diag->msg says why and *out holds nothing (config_free on it is harmless).
 * Files named in the configuration (certificates, the password file) are
 * not opened here.
 */
int config_load(const char *path, struct config *out, struct config_diag *diag);

/* The same on a memory buffer of len bytes (need not be NUL-terminated; a NUL
 * byte is an error). name is used as FILE in messages. */
int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct config *out, struct config_diag *diag);

/* Release everything *cfg owns and zero it. NULL and zeroed configs are fine. */
void config_free(struct config *cfg);

/*
 * Write cfg in ocserv.conf syntax, one line per value, every supported key
 * (unset optional strings as a comment). Loading the output gives back an
 * equal configuration. Returns 0 or -EIO.
 */
int config_write(const struct config *cfg, FILE *f);

/* ---- per tunnel ---- */

/* True when an X-AnyConnect-Identifier-Platform value marks a mobile client:
 * it starts with "android" or "apple-ios", case-insensitively. NULL: false. */
bool config_platform_is_mobile(const char *platform);

/* The auth lines name a method that asks for the login form (plain or pam),
 * besides or instead of a certificate. */
bool config_auth_has_form(const struct config *cfg);

/* "A.B.C.D:PORT" or "[IPv6]:PORT" (numeric, port 1..65535) into *ss and
 * *len. 0 or -EINVAL. */
int config_parse_hostport(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/* The timer values one tunnel runs with, in seconds (doc/spec/liveness.md §3-§8). */
struct config_tunnel_timers {
	bool mobile;                    /* input echoed: which set was chosen */
	uint32_t dpd_s;                 /* dpd, or mobile-dpd for a mobile client; 0: off */
	uint32_t dpd_retries;
	uint32_t keepalive_s;
	uint32_t idle_timeout_s;        /* idle-timeout, or mobile-idle-timeout; 0: none */
	uint32_t session_timeout_s;     /* 0: none */
	uint32_t switch_to_tcp_timeout_s;
	uint32_t cookie_timeout_s;
};

/* Effective values for a client (mobile: see config_platform_is_mobile),
 * from the global configuration alone (config_tunnel_timers_user below
 * applies a session's per-user and per-group files). */
void config_tunnel_timers(const struct config *cfg, bool mobile, struct config_tunnel_timers *out);

/* ---- per-user and per-group files ---- */

/*
 * A per-user or per-group file has the syntax of ocserv.conf and is read by
 * the same tokenizer, but accepts only the keys below; every other key of
 * ocserv.conf or of ocserv's per-user files is a warning and is ignored, a
 * key nobody knows or a bad value is an error (the whole file is then not
 * used). Values have the ranges of the global keys.
 */
enum config_user_key {
	CONFIG_USER_DPD = 0,
	CONFIG_USER_MOBILE_DPD,            /* 0: the session's dpd */
	CONFIG_USER_KEEPALIVE,
	CONFIG_USER_IDLE_TIMEOUT,
	CONFIG_USER_MOBILE_IDLE_TIMEOUT,
	CONFIG_USER_EXPLICIT_IPV4,         /* explicit-ipv4 = A.B.C.D */
	CONFIG_USER_ROUTE,                 /* route lines: replace the group's or global list */
	CONFIG_USER_NO_ROUTE,              /* no-route lines: likewise */
	CONFIG_USER_DNS,                   /* dns lines: likewise */
	CONFIG_USER_EXPLICIT_IPV6,         /* explicit-ipv6 = an IPv6 address */
	CONFIG_USER_RX_DATA_PER_SEC,
	CONFIG_USER_TX_DATA_PER_SEC,
	CONFIG_USER_RESTRICT_PORTS,        /* restrict-user-to-ports */
	CONFIG_USER_SESSION_TIMEOUT,       /* enforced by sec-mod from the login */
	CONFIG_USER_COOKIE_TIMEOUT,        /* likewise */
	CONFIG_USER_IPV4_NETWORK,          /* ipv4-network (+ ipv4-netmask): the session's own pool */
	CONFIG_USER_IROUTE,                /* iroute lines: networks behind the client */
	CONFIG_USER_N_KEYS,
};

/* Owns its lists: release with config_user_free. */
struct config_user {
	uint32_t set;                      /* bit (1u << CONFIG_USER_*) per key the file sets */
	uint32_t radius_set;               /* the keys among them whose value RADIUS gave
					    * (the user file's values replaced: origin radius) */
	uint32_t dpd_s, mobile_dpd_s, keepalive_s, idle_timeout_s, mobile_idle_timeout_s;
	uint32_t session_timeout_s, cookie_timeout_s;
	struct in_addr explicit_ipv4;
	struct in6_addr explicit_ipv6;
	bool route_default;                /* "route = default": full tunnel, routes[] empty */
	struct config_route *routes, *no_routes;
	size_t n_routes, n_no_routes;
	struct config_addr *dns;
	size_t n_dns;
	uint32_t rx_data_per_sec, tx_data_per_sec;
	char *restrict_ports;              /* restrict-user-to-ports, checked */
	struct config_route *iroutes;      /* CONFIG_USER_IROUTE, up to 64 */
	size_t n_iroutes;
	struct in_addr ipv4_network;       /* CONFIG_USER_IPV4_NETWORK: host bits zero */
	unsigned ipv4_prefix;              /* ... its prefix, 1..30 */
};

/* Release the lists of *u and zero it. NULL is fine. */
void config_user_free(struct config_user *u);

/* The lists a session's tunnels get (pointing into the configuration or
 * the files; valid while they are): per list, user > group > global. */
struct config_session_lists {
	const struct config_route *routes, *no_routes;
	size_t n_routes, n_no_routes;
	const struct config_addr *dns;
	size_t n_dns;
};
void config_session_lists(const struct config *cfg, const struct config_user *group,
			  const struct config_user *user, struct config_session_lists *out);

/* The data-path policy of a session's tunnels (per value: user > group >
 * global; pointing into the configuration or the files). */
struct config_datapath {
	uint32_t rx_data_per_sec, tx_data_per_sec;  /* 0: unlimited */
	const char *restrict_ports;                 /* NULL: no restriction */
};
void config_session_datapath(const struct config *cfg, const struct config_user *group,
			     const struct config_user *user, struct config_datapath *out);

/* The name of a per-user key as written in a file ("dpd", ...), NULL past
 * the last one. */
const char *config_user_key_name(enum config_user_key k);

/* Parse a per-user/per-group buffer (not NUL-terminated, len bytes) or file
 * into *out (zeroed first). Same return values and diagnostics as
 * config_parse_buffer/config_load; on failure *out is empty (set == 0). */
int config_user_parse_buffer(const char *name, const char *buf, size_t len,
			     struct config_user *out, struct config_diag *diag);
int config_user_load(const char *path, struct config_user *out, struct config_diag *diag);

/* Where one of a session's values comes from: precedence user > group > global. */
enum config_origin {
	CONFIG_ORIGIN_GLOBAL = 0,
	CONFIG_ORIGIN_GROUP,
	CONFIG_ORIGIN_USER,
	CONFIG_ORIGIN_RADIUS,              /* the RADIUS server's reply (doc/radius.md) */
};
/* "global", "group", "user", "radius" */
const char *config_origin_str(enum config_origin o);

/* The route NET/PREFIX (host bits cleared) with its text form. */
void config_route_ipv4(struct in_addr net, unsigned prefix, struct config_route *out);

/* The route of its text form (struct config_route's text: "NET/MASK" for
 * IPv4, "NET/PREFIX" for IPv6, as the session reply carries them) into
 * *out. 0, or -EINVAL for anything else. */
int config_route_from_text(const char *text, struct config_route *out);

struct config_timer_origins {
	enum config_origin dpd, keepalive, idle_timeout;
};

/* config_tunnel_timers with the session's group and user files applied
 * (either may be NULL: none); *from (may be NULL) says where dpd,
 * keepalive and the idle timeout came from. */
void config_tunnel_timers_user(const struct config *cfg, const struct config_user *group,
			       const struct config_user *user, bool mobile,
			       struct config_tunnel_timers *out, struct config_timer_origins *from);

const char *config_rekey_method_str(enum config_rekey_method m);

/* The session store file sec-mod keeps its records in (session-store;
 * doc/session-store.md): the configured path, CONFIG_SESSION_STORE_DEFAULT
 * when unset, NULL for "memory" (no file). */
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#define CONFIG_SESSION_STORE_DEFAULT LOCALSTATEDIR "/lib/ocserv-modern/sessions.db"
const char *config_session_store(const struct config *cfg);

/* ---- the key table, for documentation checks and tools ---- */

struct config_key_info {
	const char *name;
	const char *default_value;  /* as written in a file; NULL: no default (see required) */
	const char *range;          /* human-readable accepted values */
	bool required;              /* the file must set it */
	bool repeated;              /* may appear several times, values accumulate */
};

/* The i-th supported key (0-based), or NULL past the last one. */
const struct config_key_info *config_key_at(size_t i);

/* True when name is an ocserv option that this server recognises but does
 * not implement (a warning at load). */
bool config_key_is_ocserv_only(const char *name);

/* The i-th such ocserv-only name, or NULL past the last one. */
const char *config_ocserv_only_key_at(size_t i);

#endif
