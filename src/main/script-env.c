/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "main/script-env.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ENV_MAX_VARS 40

/*
 * Built in two passes over the same code: the first (buf NULL) measures,
 * the second writes. One allocation holds the pointer array and the
 * strings, so the caller frees one block.
 */
struct env_builder {
	char **vars;		/* NULL while measuring */
	char *buf;
	size_t used;		/* bytes of strings */
	size_t n;		/* variables */
};

static void put_char(struct env_builder *b, char c)
{
	if (b->buf != NULL)
		b->buf[b->used] = c;
	b->used++;
}

/* Start "NAME=": the value follows with put_value/put_list_item. */
static void begin(struct env_builder *b, const char *name)
{
	if (b->vars != NULL)
		b->vars[b->n] = b->buf + b->used;
	b->n++;
	for (const char *p = name; *p != '\0'; p++)
		put_char(b, *p);
	put_char(b, '=');
}

static void put_value(struct env_builder *b, const char *v)
{
	for (const unsigned char *p = (const unsigned char *)(v != NULL ? v : ""); *p; p++)
		put_char(b, *p < 0x20 || *p == 0x7f ? '?' : (char)*p);
}

static void end(struct env_builder *b)
{
	put_char(b, '\0');
}

static void var(struct env_builder *b, const char *name, const char *value)
{
	begin(b, name);
	put_value(b, value);
	end(b);
}

static void var_u64(struct env_builder *b, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	var(b, name, num);
}

/* family: AF_INET, AF_INET6, or 0 for both. */
static void routes(struct env_builder *b, const char *name, const struct config_route *r,
		   size_t n, int family)
{
	bool first = true;

	begin(b, name);
	for (size_t i = 0; i < n; i++) {
		if (family != 0 && r[i].family != family)
			continue;
		if (!first)
			put_char(b, ' ');
		put_value(b, r[i].text);
		first = false;
	}
	end(b);
}

static void dns(struct env_builder *b, const char *name, const struct config_addr *a, size_t n,
		int family)
{
	bool first = true;

	begin(b, name);
	for (size_t i = 0; i < n; i++) {
		if (family != 0 && a[i].family != family)
			continue;
		if (!first)
			put_char(b, ' ');
		put_value(b, a[i].text);
		first = false;
	}
	end(b);
}

static void build(struct env_builder *b, const struct script_info *in)
{
	static const struct config none = { 0 };
	const struct config *c = in->cfg != NULL ? in->cfg : &none;
	struct config_session_lists own;
	const struct config_session_lists *l = in->lists;
	static const struct {
		const char *suffix;
		int family;
	} fam[] = { { "", 0 }, { "4", AF_INET }, { "6", AF_INET6 } };

	var(b, "REASON", in->disconnect ? "disconnect" : "connect");
	var(b, "VHOST", "default");
	var(b, "USERNAME", in->username);
	var(b, "GROUPNAME", in->group);
	var(b, "DEVICE", in->device);
	var(b, "IP_REAL", in->ip_real);
	var(b, "IP_REAL_LOCAL", in->ip_real_local);
	var(b, "REMOTE_HOSTNAME", in->remote_hostname);
	var(b, "IP_LOCAL", in->ip_local);
	var(b, "IP_REMOTE", in->ip_remote);
	if (in->ipv6_remote != NULL) {
		var(b, "IPV6_LOCAL", in->ipv6_local);
		var(b, "IPV6_REMOTE", in->ipv6_remote);
		var_u64(b, "IPV6_PREFIX", in->ipv6_prefix);
	}
	var_u64(b, "ID", in->id);
	var(b, "SESSION_ID", in->session_id);
	if (l == NULL) {
		config_session_lists(c, NULL, NULL, &own);
		l = &own;
	}
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "OCSERV_ROUTES%s", fam[i].suffix);
		routes(b, name, l->routes, l->n_routes, fam[i].family);
		snprintf(name, sizeof(name), "OCSERV_NO_ROUTES%s", fam[i].suffix);
		routes(b, name, l->no_routes, l->n_no_routes, fam[i].family);
		snprintf(name, sizeof(name), "OCSERV_DNS%s", fam[i].suffix);
		dns(b, name, l->dns, l->n_dns, fam[i].family);
	}
	if (in->disconnect) {
		var_u64(b, "STATS_BYTES_IN", in->bytes_in);
		var_u64(b, "STATS_BYTES_OUT", in->bytes_out);
		var_u64(b, "STATS_DURATION", in->duration_s);
		var(b, "DISCONNECT_REASON", in->end_reason);
		var_u64(b, "SESSION_RESUMES", in->resumes);
	}
}

char **script_env_build(const struct script_info *info)
{
	struct env_builder b = { 0 };
	size_t ptrs;
	char **out;

	build(&b, info);
	if (b.n >= ENV_MAX_VARS) {
		errno = EINVAL; /* a bug: the table above grew */
		return NULL;
	}
	ptrs = (b.n + 1) * sizeof(char *);
	out = malloc(ptrs + b.used);
	if (out == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b = (struct env_builder){ .vars = out, .buf = (char *)out + ptrs };
	build(&b, info);
	out[b.n] = NULL;
	return out;
}

const char *script_env_get(char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}
