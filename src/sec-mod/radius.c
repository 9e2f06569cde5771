/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* RADIUS with radcli: the auth backend and the accounting sender
 * (radius.h). */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <radcli/radcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sec-mod/radius-map.h"
#include "sec-mod/radius.h"
#include "sec-mod/session-attrs.h"

#define RADIUS_MAX_HANDLES 16u
/* Attributes of one reply looked at, at most. */
#define RADIUS_MAX_AVPS 256u

struct radius_client {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rc_handle *h[RADIUS_MAX_HANDLES];
	bool busy[RADIUS_MAX_HANDLES];
	unsigned n;
};

/* --- the client: handles read before the privileges go ------------------- */

/* The secret of host in the servers file f ("host[:port] secret" lines,
 * '#' comments), or NULL. */
static char *servers_secret(FILE *f, const char *host)
{
	char line[1024];

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *name = strtok_r(line, " \t\r\n", &save);
		char *secret = name != NULL ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		size_t hl = strcspn(host, ":");

		if (name == NULL || name[0] == '#' || secret == NULL)
			continue;
		if (strcmp(name, host) == 0 ||
		    (strlen(name) == hl && strncmp(name, host, hl) == 0))
			return strdup(secret);
	}
	return NULL;
}

/* Give every server of opt (authserver, acctserver) its secret now. */
static int fill_secrets(rc_handle *h, const char *opt, FILE *f, const char *path, char *err,
			size_t errlen)
{
	SERVER *s = rc_conf_srv(h, opt);

	for (int i = 0; s != NULL && i < s->max; i++) {
		if (s->secret[i] != NULL)
			continue;
		if (f == NULL || (s->secret[i] = servers_secret(f, s->name[i])) == NULL) {
			snprintf(err, errlen, "radcli configuration %s: no secret for %s %s (in its "
				 "servers file, or as host:port:secret)", path, opt, s->name[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static rc_handle *open_one(const char *path, char *err, size_t errlen)
{
	rc_handle *h = rc_read_config(path);
	const char *servers;
	FILE *f;
	int r;

	if (h == NULL) {
		snprintf(err, errlen, "radcli configuration %s cannot be read or has an error "
			 "(radcli logs why to syslog)", path);
		return NULL;
	}
	servers = rc_conf_str(h, "servers");
	f = servers != NULL && servers[0] != '\0' ? fopen(servers, "re") : NULL;
	r = fill_secrets(h, "authserver", f, path, err, errlen);
	if (r == 0)
		r = fill_secrets(h, "acctserver", f, path, err, errlen);
	if (f != NULL)
		fclose(f);
	if (r < 0) {
		rc_destroy(h);
		return NULL;
	}
	return h;
}

struct radius_client *radius_client_open(const char *path, unsigned handles, char *err,
					 size_t errlen)
{
	struct radius_client *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (handles < 1)
		handles = 1;
	for (c->n = 0; c->n < handles && c->n < RADIUS_MAX_HANDLES; c->n++) {
		c->h[c->n] = open_one(path, err, errlen);
		if (c->h[c->n] == NULL) {
			radius_client_close(c);
			return NULL;
		}
	}
	return c;
}

void radius_client_close(struct radius_client *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n; i++)
		rc_destroy(c->h[i]);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* A free handle (waiting for one), and giving it back. */
static unsigned take(struct radius_client *c)
{
	unsigned i;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		for (i = 0; i < c->n && c->busy[i]; i++)
			;
		if (i < c->n)
			break;
		pthread_cond_wait(&c->cv, &c->mu);
	}
	c->busy[i] = true;
	pthread_mutex_unlock(&c->mu);
	return i;
}

static void give(struct radius_client *c, unsigned i)
{
	pthread_mutex_lock(&c->mu);
	c->busy[i] = false;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* --- attributes -------------------------------------------------------------- */

static bool add(rc_handle *h, VALUE_PAIR **l, int attr, const void *v, int len, int vendor)
{
	return rc_avpair_add(h, l, attr, v, len, vendor) != NULL;
}

static bool add_u32(rc_handle *h, VALUE_PAIR **l, int attr, uint32_t v)
{
	return add(h, l, attr, &v, 0, 0);
}

/* radcli's list -> struct radius_avp (values in network byte order, into
 * buf) -> the mapping. */
static void map_reply(VALUE_PAIR *vp, bool groupconfig, struct radius_reply *out)
{
	static _Thread_local struct radius_avp a[RADIUS_MAX_AVPS];
	static _Thread_local uint8_t nums[RADIUS_MAX_AVPS][4];
	size_t n = 0;

	for (; vp != NULL && n < RADIUS_MAX_AVPS; vp = vp->next) {
		struct radius_avp *x = &a[n];

		x->vendor = VENDOR(vp->attribute);
		x->type = vp->attribute & 0xffffu;
		if (vp->type == PW_TYPE_INTEGER || vp->type == PW_TYPE_IPADDR ||
		    vp->type == PW_TYPE_DATE) {
			uint32_t be = htonl(vp->lvalue);

			memcpy(nums[n], &be, 4);
			x->val = nums[n];
			x->len = 4;
		} else if (vp->type == PW_TYPE_STRING) {
			x->val = (const uint8_t *)vp->strvalue;
			x->len = vp->lvalue <= AUTH_STRING_LEN ? vp->lvalue : strlen(vp->strvalue);
		} else {
			continue;
		}
		n++;
	}
	radius_reply_map(a, n, groupconfig, out);
}

/* --- the auth backend ------------------------------------------------------------- */

struct radius_job {
	struct auth_step *st;
	struct radius_client *client;
	bool groupconfig;
	char *nas_id;
	char *user, *password;
	char remote_ip[64];
	uint8_t state[RADIUS_TEXT_MAX];
	size_t state_len;
	int rc;
	char msg[PW_MAX_MSG_SIZE];
	struct radius_reply reply;
};

/* The State of a challenge, kept for the answer (auth_step_state). */
struct radius_state {
	uint8_t v[RADIUS_TEXT_MAX];
	size_t len;
};

static void job_free(struct radius_job *j)
{
	if (j->password != NULL)
		explicit_bzero(j->password, strlen(j->password));
	free(j->password);
	free(j->user);
	free(j->nas_id);
	free(j);
}

static void radius_work(void *arg)
{
	struct radius_job *j = arg;
	unsigned i = take(j->client);
	rc_handle *h = j->client->h[i];
	VALUE_PAIR *send = NULL, *recv = NULL;
	bool ok = add(h, &send, PW_USER_NAME, j->user, -1, 0) &&
		  add(h, &send, PW_USER_PASSWORD, j->password, -1, 0) &&
		  add(h, &send, PW_CALLING_STATION_ID, j->remote_ip, -1, 0) &&
		  add_u32(h, &send, PW_SERVICE_TYPE, PW_FRAMED) &&
		  add_u32(h, &send, PW_FRAMED_PROTOCOL, PW_PPP) &&
		  add_u32(h, &send, PW_NAS_PORT_TYPE, 5 /* Virtual */) &&
		  (j->state_len == 0 ||
		   add(h, &send, PW_STATE, j->state, (int)j->state_len, 0)) &&
		  (j->nas_id == NULL || add(h, &send, PW_NAS_IDENTIFIER, j->nas_id, -1, 0));

	explicit_bzero(j->password, strlen(j->password));
	j->msg[0] = '\0';
	j->rc = ok ? rc_aaa(h, 0, send, &recv, j->msg, 0, PW_ACCESS_REQUEST) : ERROR_RC;
	give(j->client, i);
	if (j->rc == OK_RC || j->rc == CHALLENGE_RC || j->rc == REJECT_RC)
		map_reply(recv, j->groupconfig, &j->reply);
	rc_avpair_free(send);
	rc_avpair_free(recv);
}

/* "g1,g2" from the reply's groups. */
static void join_groups(const struct radius_reply *r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_groups; i++) {
		int w = snprintf(out + used, len - used, "%s%s", used ? "," : "", r->groups[i]);

		if (w < 0 || (size_t)w >= len - used) {
			out[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
}

static void challenge(struct radius_job *j)
{
	struct radius_state **sp = (struct radius_state **)auth_step_state(j->st);
	struct auth_result r = { .verdict = AUTH_CONTINUE };

	if (*sp == NULL)
		*sp = calloc(1, sizeof(**sp));
	if (*sp == NULL) {
		auth_step_done(j->st, &(struct auth_result){ .verdict = AUTH_ERROR,
							     .message = "out of memory" });
		return;
	}
	memcpy((*sp)->v, j->reply.state, j->reply.state_len);
	(*sp)->len = j->reply.state_len;
	r.prompt = j->reply.message[0] != '\0' ? j->reply.message : NULL;
	auth_step_done(j->st, &r);
}

static void radius_done(void *arg, bool cancelled)
{
	struct radius_job *j = arg;
	static char groups[RADIUS_MAX_GROUPS * (RADIUS_TEXT_MAX + 1)];
	static struct session_attrs attrs;
	struct auth_result r = { .verdict = AUTH_ERROR };

	if (cancelled) {
		job_free(j);
		return;
	}
	switch (j->rc) {
	case OK_RC:
		join_groups(&j->reply, groups, sizeof(groups));
		session_attrs_from_radius(&j->reply, &attrs);
		r = (struct auth_result){ .verdict = AUTH_ACCEPT, .groups = groups, .attrs = &attrs };
		if (j->reply.bad > 0 || j->reply.dropped > 0)
			log_warn("RADIUS Access-Accept for '%s': %u attribute%s with a bad value and %u "
				 "over a limit ignored", LOG_ESC(j->user), j->reply.bad,
				 j->reply.bad == 1 ? "" : "s", j->reply.dropped);
		break;
	case CHALLENGE_RC:
		challenge(j);
		job_free(j);
		return;
	case REJECT_RC:
		r = (struct auth_result){ .verdict = AUTH_REJECT, .message = "RADIUS Access-Reject" };
		break;
	case TIMEOUT_RC:
		r.message = "no RADIUS server answered (timeout)";
		break;
	default:
		r.message = "RADIUS request failed (bad reply or error; radcli logs why to syslog)";
		break;
	}
	auth_step_done(j->st, &r);
	job_free(j);
}

static void radius_run(struct auth_step *st, const char *answer)
{
	const struct auth_radius_cfg *cfg = auth_step_config(st);
	const struct auth_info *info = auth_step_info(st);
	struct radius_state **sp = (struct radius_state **)auth_step_state(st);
	struct radius_job *j = calloc(1, sizeof(*j));
	struct auth_result busy = { .verdict = AUTH_BUSY, .message = "too many logins at once" };
	int r = -ENOMEM;

	if (j != NULL) {
		j->st = st;
		j->client = cfg->client;
		j->groupconfig = cfg->groupconfig;
		j->nas_id = cfg->nas_id != NULL ? strdup(cfg->nas_id) : NULL;
		j->user = strdup(info->username);
		j->password = strdup(answer != NULL ? answer : "");
		snprintf(j->remote_ip, sizeof(j->remote_ip), "%s", info->remote_ip);
		if (*sp != NULL) {
			memcpy(j->state, (*sp)->v, (*sp)->len);
			j->state_len = (*sp)->len;
		}
		if (j->user != NULL && j->password != NULL &&
		    (cfg->nas_id == NULL || j->nas_id != NULL))
			r = auth_step_submit(st, radius_work, radius_done, j);
	}
	if (r == 0)
		return;
	if (j != NULL)
		job_free(j);
	if (r != -EBUSY)
		busy = (struct auth_result){ .verdict = AUTH_ERROR, .message = strerror(-r) };
	auth_step_done(st, &busy);
}

static void radius_release(struct auth_step *st)
{
	free(*auth_step_state(st));
}

const struct auth_backend auth_backend_radius = {
	.name = "radius",
	.start = radius_run,
	.answer = radius_run,
	.release = radius_release,
};

/* --- accounting ------------------------------------------------------------------- */

static bool add_counter(rc_handle *h, VALUE_PAIR **l, int octets, int giga, uint64_t v)
{
	return add_u32(h, l, octets, (uint32_t)v) && add_u32(h, l, giga, (uint32_t)(v >> 32));
}

static bool acct_attrs(rc_handle *h, VALUE_PAIR **l, const char *nas_id,
		       const struct acct_record *r, vpn_ms_t now)
{
	vpn_ms_t delay = now > r->event_ms ? (now - r->event_ms) / 1000 : 0;
	bool ok = add_u32(h, l, PW_ACCT_STATUS_TYPE, (uint32_t)r->kind) &&
		  add(h, l, PW_ACCT_SESSION_ID, r->sid, -1, 0) &&
		  add(h, l, PW_USER_NAME, r->username, -1, 0) &&
		  add(h, l, PW_CALLING_STATION_ID, r->remote_ip, -1, 0) &&
		  add_u32(h, l, PW_ACCT_AUTHENTIC, 1 /* RADIUS */) &&
		  add_u32(h, l, PW_NAS_PORT_TYPE, 5 /* Virtual */) &&
		  add_u32(h, l, PW_SERVICE_TYPE, PW_FRAMED) &&
		  add_u32(h, l, PW_ACCT_DELAY_TIME, delay > UINT32_MAX ? UINT32_MAX : (uint32_t)delay) &&
		  (nas_id == NULL || add(h, l, PW_NAS_IDENTIFIER, nas_id, -1, 0)) &&
		  (r->ipv4.s_addr == 0 ||
		   add_u32(h, l, PW_FRAMED_IP_ADDRESS, ntohl(r->ipv4.s_addr)));

	for (size_t i = 0; ok && i < r->n_class; i++)
		ok = add(h, l, PW_CLASS, r->cls[i].v, r->cls[i].len, 0);
	if (!ok || r->kind == ACCT_START)
		return ok;
	ok = add_u32(h, l, PW_ACCT_SESSION_TIME, r->session_time_s) &&
	     add_counter(h, l, PW_ACCT_INPUT_OCTETS, PW_ACCT_INPUT_GIGAWORDS, r->tot.bytes_in) &&
	     add_counter(h, l, PW_ACCT_OUTPUT_OCTETS, PW_ACCT_OUTPUT_GIGAWORDS, r->tot.bytes_out) &&
	     add_u32(h, l, PW_ACCT_INPUT_PACKETS, (uint32_t)r->tot.packets_in) &&
	     add_u32(h, l, PW_ACCT_OUTPUT_PACKETS, (uint32_t)r->tot.packets_out) &&
	     add(h, l, PW_CONNECT_INFO, r->waiting ? "waiting-to-resume" : "active", -1, 0);
	if (ok && r->kind == ACCT_STOP)
		ok = add_u32(h, l, PW_ACCT_TERMINATE_CAUSE, r->cause);
	return ok;
}

bool radius_acct_send(struct radius_client *c, const char *nas_id, const struct acct_record *r,
		      vpn_ms_t now, char *err, size_t errlen)
{
	unsigned i = take(c);
	rc_handle *h = c->h[i];
	VALUE_PAIR *send = NULL, *recv = NULL;
	char msg[PW_MAX_MSG_SIZE] = "";
	int rc = acct_attrs(h, &send, nas_id, r, now)
			 ? rc_aaa(h, 0, send, &recv, msg, 0, PW_ACCOUNTING_REQUEST) : ERROR_RC;

	give(c, i);
	rc_avpair_free(send);
	rc_avpair_free(recv);
	if (rc == OK_RC)
		return true;
	snprintf(err, errlen, "%s", rc == TIMEOUT_RC ? "no RADIUS accounting server answered"
						     : "RADIUS accounting request failed");
	return false;
}
