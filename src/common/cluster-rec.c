/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * Records of the cluster's session store and the store's address: pure
 * encoding and decoding (see cluster-rec.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cluster-rec.h"

/* --- the store's address ---------------------------------------------------- */

#define REDIS_SCHEME "redis://"
#define REDIS_UNIX_SCHEME "redis+unix://"

bool cluster_is_url(const char *s)
{
	return s != NULL && (strncmp(s, REDIS_SCHEME, strlen(REDIS_SCHEME)) == 0 ||
			     strncmp(s, REDIS_UNIX_SCHEME, strlen(REDIS_UNIX_SCHEME)) == 0);
}

/* A decimal number of 1..10 digits, all of s[0..n), at most max. */
static bool dec_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int url_err(char *err, size_t len, const char *s, const char *why)
{
	snprintf(err, len, "session-store %s: %s", s, why);
	return -EINVAL;
}

/* redis+unix:///PATH[?db=N] */
static int url_unix(const char *s, struct cluster_url *out, char *err, size_t len)
{
	const char *p = s + strlen(REDIS_UNIX_SCHEME), *q = strchr(p, '?');
	size_t n = q != NULL ? (size_t)(q - p) : strlen(p);
	uint32_t db = 0;

	if (n == 0 || p[0] != '/')
		return url_err(err, len, s, "expected redis+unix:///PATH (an absolute path)");
	if (n >= sizeof(out->path))
		return url_err(err, len, s, "the socket path is too long");
	if (q != NULL && (strncmp(q, "?db=", 4) != 0 || !dec_u32(q + 4, strlen(q + 4), 65535, &db)))
		return url_err(err, len, s, "expected ?db=N (a database number) after the path");
	out->unix_socket = true;
	memcpy(out->path, p, n);
	out->path[n] = '\0';
	out->db = db;
	return 0;
}

/* The host part of redis://: [v6] or a name; *rest after it. */
static int url_host(const char *s, const char *p, struct cluster_url *out, const char **rest,
		    char *err, size_t len)
{
	size_t n;

	if (*p == '[') {
		const char *e = strchr(p, ']');

		if (e == NULL)
			return url_err(err, len, s, "an IPv6 address needs its closing ']'");
		p++;
		n = (size_t)(e - p);
		*rest = e + 1;
	} else {
		n = strcspn(p, ":/?");
		*rest = p + n;
	}
	if (n == 0)
		return url_err(err, len, s, "no host");
	if (n > CLUSTER_HOST_MAX)
		return url_err(err, len, s, "the host name is too long");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == '@' || p[i] == '/' || p[i] == 0x7f)
			return url_err(err, len, s, "the host has a character no host name has "
				       "(user:password@ goes in session-store-auth-file)");
	memcpy(out->host, p, n);
	out->host[n] = '\0';
	return 0;
}

int cluster_url_parse(const char *s, struct cluster_url *out, char *err, size_t len)
{
	const char *p;
	uint32_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (s == NULL || !cluster_is_url(s))
		return url_err(err, len, s != NULL ? s : "(none)",
			       "expected redis://HOST:PORT/DB or redis+unix:///PATH");
	if (strncmp(s, REDIS_UNIX_SCHEME, strlen(REDIS_UNIX_SCHEME)) == 0)
		return url_unix(s, out, err, len);
	rc = url_host(s, s + strlen(REDIS_SCHEME), out, &p, err, len);
	if (rc < 0)
		return rc;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/");

		if (!dec_u32(p + 1, n, 65535, &v) || v == 0)
			return url_err(err, len, s, "the port must be 1..65535");
		out->port = (uint16_t)v;
		p += 1 + n;
	}
	if (*p == '/' && p[1] != '\0') {
		if (!dec_u32(p + 1, strlen(p + 1), 65535, &v))
			return url_err(err, len, s, "the database must be a number (/0, /1, ...)");
		out->db = v;
	} else if (*p != '\0' && strcmp(p, "/") != 0) {
		return url_err(err, len, s, "unexpected text after the host");
	}
	return 0;
}

/* One credential word: printable, no spaces. */
static bool cred_word(const char *p, size_t n)
{
	if (n == 0 || n > CLUSTER_CRED_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
			return false;
	return true;
}

int cluster_auth_parse(const char *text, char user[CLUSTER_CRED_MAX + 1],
		       char pass[CLUSTER_CRED_MAX + 1], char *err, size_t errlen)
{
	const char *p = text;

	user[0] = pass[0] = '\0';
	while (*p != '\0') {
		size_t n = strcspn(p, "\n"), w1, sp, w2;
		const char *line = p;

		p += n + (p[n] == '\n');
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		w1 = strcspn(line, " \t");
		w1 = w1 < n ? w1 : n;
		for (sp = w1; sp < n && (line[sp] == ' ' || line[sp] == '\t'); sp++)
			;
		w2 = n - sp;
		if (w1 == n ? !cred_word(line, n) : (!cred_word(line, w1) || !cred_word(line + sp, w2))) {
			snprintf(err, errlen, "expected one line \"USER PASSWORD\" or "
				 "\"PASSWORD\" (printable, no spaces inside, at most %u bytes each)",
				 CLUSTER_CRED_MAX);
			return -EINVAL;
		}
		if (w1 == n) {
			memcpy(pass, line, n);
			pass[n] = '\0';
		} else {
			memcpy(user, line, w1);
			user[w1] = '\0';
			memcpy(pass, line + sp, w2);
			pass[w2] = '\0';
		}
		return 0;
	}
	snprintf(err, errlen, "no credentials in it");
	return -EINVAL;
}

bool cluster_gw_valid(const char *gw)
{
	size_t n = gw != NULL ? strlen(gw) : 0;

	if (n == 0 || n > CLUSTER_GW_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = gw[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

void cluster_hash_hex(const uint8_t hash[STORE_HASH_LEN], char out[2 * STORE_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < STORE_HASH_LEN; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[2 * STORE_HASH_LEN] = '\0';
}

/* --- records --------------------------------------------------------------- */

enum rec_field {
	F_V, F_GW, F_SERIAL, F_SID, F_HASH, F_USER, F_GROUP, F_RIP, F_LRIP, F_IPV4, F_STATE,
	F_DREASON, F_AUTH, F_DROP, F_RESUMES, F_ATTACHES, F_RESTARTS, F_CT, F_ST, F_PC, F_BI,
	F_BO, F_PI, F_PO, F_SEEN, F_COUNT
};

enum field_kind { K_NUM, K_TIME, K_TEXT };

static const struct field_def {
	const char *name;
	enum field_kind kind;
	bool required;
	uint64_t max;           /* K_NUM */
} fields[F_COUNT] = {
	[F_V] = { "v", K_NUM, true, UINT32_MAX },
	[F_GW] = { "gw", K_TEXT, true, CLUSTER_GW_MAX },
	[F_SERIAL] = { "serial", K_NUM, true, INT64_MAX },
	[F_SID] = { "sid", K_TEXT, true, STORE_SID_LEN },
	[F_HASH] = { "hash", K_TEXT, true, 2 * STORE_HASH_LEN },
	[F_USER] = { "user", K_TEXT, true, STORE_TEXT_MAX },
	[F_GROUP] = { "group", K_TEXT, false, STORE_TEXT_MAX },
	[F_RIP] = { "rip", K_TEXT, false, STORE_TEXT_MAX },
	[F_LRIP] = { "lrip", K_TEXT, false, STORE_TEXT_MAX },
	[F_IPV4] = { "ipv4", K_TEXT, false, INET_ADDRSTRLEN - 1 },
	[F_STATE] = { "state", K_NUM, true, VPN_SESSION_WAITING },
	[F_DREASON] = { "dreason", K_NUM, false, VPN_END_REASON_COUNT - 1 },
	[F_AUTH] = { "auth", K_TIME, true, 0 },
	[F_DROP] = { "drop", K_TIME, false, 0 },
	[F_RESUMES] = { "resumes", K_NUM, false, UINT32_MAX },
	[F_ATTACHES] = { "attaches", K_NUM, false, UINT32_MAX },
	[F_RESTARTS] = { "restarts", K_NUM, false, UINT32_MAX },
	[F_CT] = { "ct", K_NUM, true, INT64_MAX },
	[F_ST] = { "st", K_NUM, true, INT64_MAX },
	[F_PC] = { "pc", K_NUM, false, 1 },
	[F_BI] = { "bi", K_NUM, false, UINT64_MAX },
	[F_BO] = { "bo", K_NUM, false, UINT64_MAX },
	[F_PI] = { "pi", K_NUM, false, UINT64_MAX },
	[F_PO] = { "po", K_NUM, false, UINT64_MAX },
	[F_SEEN] = { "seen", K_TIME, false, 0 },
};
_Static_assert(F_COUNT == CLUSTER_REC_FIELDS, "one entry per field");

static void put_num(struct cluster_rec_enc *e, enum rec_field f, uint64_t v)
{
	snprintf(e->num[f], sizeof(e->num[f]), "%" PRIu64, v);
	e->argv[2 * f + 1] = e->num[f];
}

static void put_time(struct cluster_rec_enc *e, enum rec_field f, int64_t t)
{
	if (t == STORE_NO_TIME)
		e->num[f][0] = '\0';
	else
		snprintf(e->num[f], sizeof(e->num[f]), "%" PRId64, t);
	e->argv[2 * f + 1] = e->num[f];
}

void cluster_rec_encode(const struct store_record *r, const char *gw, int64_t seen_ms,
			struct cluster_rec_enc *e)
{
	struct in_addr a = { .s_addr = r->ipv4 };

	for (size_t i = 0; i < F_COUNT; i++)
		e->argv[2 * i] = fields[i].name;
	put_num(e, F_V, CLUSTER_REC_VERSION);
	e->argv[2 * F_GW + 1] = gw;
	put_num(e, F_SERIAL, r->serial);
	e->argv[2 * F_SID + 1] = r->sid;
	cluster_hash_hex(r->cookie_hash, e->hash_hex);
	e->argv[2 * F_HASH + 1] = e->hash_hex;
	e->argv[2 * F_USER + 1] = r->username != NULL ? r->username : "";
	e->argv[2 * F_GROUP + 1] = r->group != NULL ? r->group : "";
	e->argv[2 * F_RIP + 1] = r->remote_ip != NULL ? r->remote_ip : "";
	e->argv[2 * F_LRIP + 1] = r->last_remote_ip != NULL ? r->last_remote_ip : "";
	e->num[F_IPV4][0] = '\0';
	if (r->ipv4 != 0)
		inet_ntop(AF_INET, &a, e->num[F_IPV4], sizeof(e->num[F_IPV4]));
	e->argv[2 * F_IPV4 + 1] = e->num[F_IPV4];
	put_num(e, F_STATE, (uint64_t)r->state);
	put_num(e, F_DREASON, (uint64_t)r->drop_reason);
	put_time(e, F_AUTH, r->authenticated_ms);
	put_time(e, F_DROP, r->drop_ms);
	put_num(e, F_RESUMES, r->resumes);
	put_num(e, F_ATTACHES, r->attaches);
	put_num(e, F_RESTARTS, r->restarts);
	put_num(e, F_CT, r->cfg.cookie_timeout_ms);
	put_num(e, F_ST, r->cfg.session_timeout_ms);
	put_num(e, F_PC, r->cfg.persistent_cookies ? 1 : 0);
	put_num(e, F_BI, r->totals.bytes_in);
	put_num(e, F_BO, r->totals.bytes_out);
	put_num(e, F_PI, r->totals.packets_in);
	put_num(e, F_PO, r->totals.packets_out);
	put_time(e, F_SEEN, seen_ms);
}

/* A decimal number (a '-' allowed when sign), all of s[0..n). */
static bool dec_64(const char *s, size_t n, bool sign, uint64_t max, int64_t *t, uint64_t *u)
{
	bool neg = sign && n > 0 && s[0] == '-';
	uint64_t v = 0;

	if (neg) {
		s++;
		n--;
	}
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint64_t d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (sign) {
		if (v > (uint64_t)INT64_MAX)
			return false;
		*t = neg ? -(int64_t)v : (int64_t)v;
		return true;
	}
	if (v > max)
		return false;
	*u = v;
	return true;
}

/* Printable text: no byte below ' ' (a NUL inside included), no DEL. */
static bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return false;
	return true;
}

struct parsed {
	bool have[F_COUNT];
	uint64_t u[F_COUNT];
	int64_t t[F_COUNT];
	const char *s[F_COUNT];
	size_t n[F_COUNT];
};

static int dec_err(char *err, size_t len, const char *what, const char *field)
{
	snprintf(err, len, "%s field '%s'", what, field);
	return -EINVAL;
}

/* One field/value pair into p (an unknown field is ignored). */
static int parse_pair(const char *k, size_t kl, const char *v, size_t vl, struct parsed *p,
		      char *err, size_t len)
{
	for (size_t f = 0; f < F_COUNT; f++) {
		const struct field_def *d = &fields[f];

		if (strlen(d->name) != kl || memcmp(d->name, k, kl) != 0)
			continue;
		if (p->have[f])
			return dec_err(err, len, "repeated", d->name);
		p->have[f] = true;
		if (d->kind == K_TIME && vl == 0) {
			p->t[f] = STORE_NO_TIME;
		} else if (d->kind != K_TEXT) {
			if (!dec_64(v, vl, d->kind == K_TIME, d->max, &p->t[f], &p->u[f]) ||
			    (d->kind == K_TIME && p->t[f] == STORE_NO_TIME))
				return dec_err(err, len, "a number out of range in", d->name);
		} else if (vl > d->max || !text_ok(v, vl)) {
			return dec_err(err, len, "too long or not printable text in", d->name);
		}
		p->s[f] = v;
		p->n[f] = vl;
		return 0;
	}
	return 0;
}

static void copy_text(char *dst, const struct parsed *p, enum rec_field f)
{
	size_t n = p->have[f] ? p->n[f] : 0;

	if (n > 0)
		memcpy(dst, p->s[f], n);
	dst[n] = '\0';
}

static bool hex_hash(const char *s, size_t n, uint8_t out[STORE_HASH_LEN])
{
	if (n != 2 * STORE_HASH_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;

		if (d == 16)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(d << 4);
		else
			out[i / 2] |= (uint8_t)d;
	}
	return true;
}

/* The identity fields: gateway, id, hash (whose prefix the id is), lease. */
static int rec_identity(const struct parsed *p, struct cluster_rec *o, char *err, size_t len)
{
	char ip[INET_ADDRSTRLEN], hex[2 * STORE_HASH_LEN + 1];
	struct in_addr a = { 0 };

	copy_text(o->gw, p, F_GW);
	if (!cluster_gw_valid(o->gw))
		return dec_err(err, len, "not a gateway-id in", "gw");
	if (p->n[F_SID] != STORE_SID_LEN || !hex_hash(p->s[F_HASH], p->n[F_HASH], o->r.cookie_hash))
		return dec_err(err, len, "not lower-case hex of the right length in", "sid' or 'hash");
	cluster_hash_hex(o->r.cookie_hash, hex);
	if (memcmp(hex, p->s[F_SID], STORE_SID_LEN) != 0)
		return dec_err(err, len, "the session id is not the hash's prefix in", "sid");
	memcpy(o->r.sid, p->s[F_SID], STORE_SID_LEN);
	o->r.sid[STORE_SID_LEN] = '\0';
	copy_text(ip, p, F_IPV4);
	if (ip[0] != '\0' && (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr == 0))
		return dec_err(err, len, "not an IPv4 address in", "ipv4");
	o->r.ipv4 = a.s_addr;
	return 0;
}

int cluster_rec_decode(const char *const *kv, const size_t *lens, size_t n,
		       struct cluster_rec *o, char *err, size_t len)
{
	struct parsed p = { 0 };
	int rc;

	memset(o, 0, sizeof(*o));
	if (n % 2 != 0)
		return snprintf(err, len, "an odd number of strings (%zu)", n), -EINVAL;
	for (size_t i = 0; i < n; i += 2)
		if ((rc = parse_pair(kv[i], lens[i], kv[i + 1], lens[i + 1], &p, err, len)) < 0)
			return rc;
	for (size_t f = 0; f < F_COUNT; f++)
		if (fields[f].required && !p.have[f])
			return dec_err(err, len, "missing", fields[f].name);
	if (p.u[F_V] != CLUSTER_REC_VERSION)
		return snprintf(err, len, "record version %" PRIu64 ", this gateway knows %d",
				p.u[F_V], CLUSTER_REC_VERSION), -EINVAL;
	if (p.u[F_SERIAL] == 0)
		return dec_err(err, len, "zero in", "serial");
	if (p.t[F_AUTH] == STORE_NO_TIME)
		return dec_err(err, len, "no time in", "auth");
	if ((rc = rec_identity(&p, o, err, len)) < 0)
		return rc;
	copy_text(o->username, &p, F_USER);
	copy_text(o->group, &p, F_GROUP);
	copy_text(o->remote_ip, &p, F_RIP);
	copy_text(o->last_remote_ip, &p, F_LRIP);
	o->r.username = o->username;
	o->r.group = o->group;
	o->r.remote_ip = o->remote_ip;
	o->r.last_remote_ip = o->last_remote_ip;
	o->r.serial = p.u[F_SERIAL];
	o->r.state = (enum vpn_session_state)p.u[F_STATE];
	o->r.drop_reason = (enum vpn_end_reason)p.u[F_DREASON];
	o->r.authenticated_ms = p.t[F_AUTH];
	o->r.drop_ms = p.have[F_DROP] ? p.t[F_DROP] : STORE_NO_TIME;
	o->r.resumes = (uint32_t)p.u[F_RESUMES];
	o->r.attaches = (uint32_t)p.u[F_ATTACHES];
	o->r.restarts = (uint32_t)p.u[F_RESTARTS];
	o->r.cfg.cookie_timeout_ms = p.u[F_CT];
	o->r.cfg.session_timeout_ms = p.u[F_ST];
	o->r.cfg.persistent_cookies = p.u[F_PC] != 0;
	o->r.totals = (struct store_counters){ p.u[F_BI], p.u[F_BO], p.u[F_PI], p.u[F_PO] };
	o->seen_ms = p.have[F_SEEN] ? p.t[F_SEEN] : STORE_NO_TIME;
	return 0;
}
