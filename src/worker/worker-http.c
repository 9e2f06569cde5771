/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP dialogue of the worker (doc/spec/interop.md §1, §2): the aggregate-auth
 * login and the CONNECT that starts the tunnel.
 *
 *   GET/POST without credentials  -> 200 auth-request form (username, password)
 *   POST with credentials          -> AuthRequest to main
 *        AuthReply ok              -> 200 + Set-Cookie: webvpn=...; complete body
 *        AuthReply more            -> 200 a further form (one password field)
 *   POST answering a further form  -> AuthRequest with the login's token
 *        AuthReply failed          -> 401 Authentication failed, close
 *   CONNECT /CSCOSSLC/tunnel       -> SessionOpenRequest to main
 *        200 + tun fd              -> worker_tunnel_start(): 200 CONNECTED
 *        401                       -> 401 Cookie is not acceptable, close
 *        other                     -> 503 Service Unavailable + X-Reason, close
 *   malformed HTTP or XML          -> 400 (413 when too large), close
 *
 * Keep-alive: up to WORKER_MAX_REQUESTS requests per connection. While main
 * is asked, the socket is not read; a pipelined request already received is
 * kept and handled after the answer.
 */
#include "config.h"

#include "worker/worker.h"
#include "worker/worker-reply.h"

#include "common/log.h"
#include "codec/xmlauth.h"
#include "common/cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void http_process(struct worker *w, const uint8_t *data, size_t len);

/* --- responses ----------------------------------------------------------- */

/* A response with an empty body, then the close (doc/spec/interop.md §5.4). */
static void reply_and_close(struct worker *w, const char *status, const char *x_reason)
{
	char buf[512];
	int n = worker_reply_empty(buf, sizeof(buf), status, x_reason);

	if (n > 0)
		(void)worker_send_http(w, buf, (size_t)n);
	worker_close(w, true, 0);
}

/* 200 with an XML body (the login form or the success page). */
static int reply_xml(struct worker *w, const char *body, size_t body_len, const char *cookie)
{
	char head[1024];
	int n = worker_reply_xml_head(head, sizeof(head), body_len, cookie,
				      !w->close_after_reply);

	if (n < 0)
		return n;
	if (worker_send_http(w, head, (size_t)n) < 0 || worker_send_http(w, body, body_len) < 0)
		return -EPIPE;
	return 0;
}

/* The request was answered and the connection may go on: next request. */
static void request_done(struct worker *w)
{
	uint8_t *buf = w->http_pending;
	size_t len = w->http_pending_len;

	if (w->phase == W_CLOSING)
		return;
	if (w->close_after_reply) {
		worker_close(w, true, 0);
		return;
	}
	w->phase = W_HTTP;
	http_parser_init(w->http);
	w->http_pending = NULL;
	w->http_pending_len = 0;
	if (len > 0)
		http_process(w, buf, len);
	free(buf);
	if (w->phase == W_HTTP)
		worker_tcp_read_enable(w, true);
}

/* --- login --------------------------------------------------------------- */

/* Room for the login bodies (a long banner included). */
#define XML_BODY_MAX 32768u

/*
 * Answer with the XML page an xmlauth writer put into body (n: its length,
 * or a negative XMLAUTH_ERR_* code; what names the page for the log), with
 * the cookie when not NULL, and go on with the next request; a 500 and the
 * close when the page could not be written or sent. Frees body.
 */
static void send_page(struct worker *w, char *body, int n, const char *cookie, const char *what)
{
	int r;

	if (n < 0) {
		log_err("writing %s: %s", what, xmlauth_strerror(n));
		free(body);
		reply_and_close(w, "500 Internal Server Error", NULL);
		return;
	}
	r = reply_xml(w, body, (size_t)n, cookie);
	free(body);
	if (r < 0 && w->phase != W_CLOSING) {
		reply_and_close(w, "500 Internal Server Error", NULL);
		return;
	}
	request_done(w);
}

/* The login form, with the group list of select-group (default-select-group
 * first) when there is one. */
static void send_form(struct worker *w)
{
	const struct config *c = &w->cfg;
	const char **groups = calloc(c->n_select_groups + 2, sizeof(*groups));
	struct xmlauth_request req = { .banner = c->banner, .groups = groups };
	char *body = groups != NULL ? malloc(XML_BODY_MAX) : NULL;
	size_t n = 0;

	if (groups != NULL && c->n_select_groups > 0) {
		if (c->default_select_group != NULL)
			groups[n++] = c->default_select_group;
		for (size_t i = 0; i < c->n_select_groups; i++)
			groups[n++] = c->select_groups[i];
	}
	send_page(w, body,
		  body != NULL ? xmlauth_write_auth_request(body, XML_BODY_MAX, &req)
			       : XMLAUTH_ERR_NO_SPACE,
		  NULL, "the login form");
	free(groups);
}

/* The group the client chose, NULL for none or default-select-group's
 * choice (the user's first group). */
static char *chosen_group(const struct worker *w, struct xmlauth *x)
{
	const char *def = w->cfg.default_select_group;

	if (!x->group_select.present || (def != NULL && strcmp(x->group_select.text, def) == 0))
		return NULL;
	return x->group_select.text;
}

/* A further form of the login (AuthReply more): one password field. */
static void send_more_form(struct worker *w, const AuthReply *a)
{
	struct xmlauth_request req = {
		.message = a->message != NULL ? a->message : "Please answer.",
		.password_only = true,
		.password_label = a->prompt,
	};
	char *body = malloc(XML_BODY_MAX);

	send_page(w, body,
		  body != NULL ? xmlauth_write_auth_request(body, XML_BODY_MAX, &req)
			       : XMLAUTH_ERR_NO_SPACE,
		  NULL, "a further login form");
}

/* The credentials of x are usable (not over the IPC limits). */
static bool login_fields_fit(const struct xmlauth *x)
{
	return x->username.len <= IPC_USERNAME_MAX && x->password.len <= IPC_PASSWORD_MAX &&
	       (!x->group_select.present || x->group_select.len <= IPC_GROUP_MAX);
}

/* The client's certificate chain for sec-mod (at most CERT_CHAIN_MAX,
 * CERT_FILES_MAX bytes); 0 when it sent none or the chain is too large
 * (logged: sec-mod then refuses it as missing). */
static size_t peer_chain(const struct worker *w, ProtobufCBinaryData *out)
{
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(w->tls, &n);
	size_t total = 0;

	if (peers == NULL || !(w->cfg.auth_certificate || w->cfg.enable_auth_certificate))
		return 0;
	if (n > CERT_CHAIN_MAX)
		n = CERT_CHAIN_MAX;
	for (unsigned i = 0; i < n; i++) {
		total += peers[i].size;
		out[i].data = peers[i].data;
		out[i].len = peers[i].size;
	}
	if (total > CERT_FILES_MAX) {
		log_info("client %s sent a certificate chain of %zu bytes: ignored", w->remote_ip,
			 total);
		return 0;
	}
	return n;
}

/* The certificate alone is the login (auth = certificate without a
 * password factor, or enable-auth = certificate and the client has one):
 * no form; whatever the body holds (a GET has none), sec-mod takes the
 * names from the certificate (a group the client chose still counts). */
static bool cert_login(const struct worker *w, struct xmlauth *x, size_t n_certs)
{
	const struct config *c = &w->cfg;

	if (!(c->auth_certificate && !config_auth_has_form(c)) &&
	    !(c->enable_auth_certificate && n_certs > 0))
		return false;
	explicit_bzero(x->password.text, sizeof(x->password.text));
	x->username = x->password = (struct xmlauth_field){ 0 };
	return true;
}

static void handle_login(struct worker *w)
{
	AuthRequest req = AUTH_REQUEST__INIT;
	ProtobufCBinaryData certs[CERT_CHAIN_MAX];
	struct xmlauth *x = w->xml;
	size_t body_len;
	const char *body = http_req_body(w->http, &body_len);
	bool answer, by_cert;
	int r;

	r = xmlauth_parse(body, body_len, x);
	if (r < 0 && r != XMLAUTH_ERR_EMPTY) {
		log_info("malformed login body from %s: %s", w->remote_ip, xmlauth_strerror(r));
		reply_and_close(w, "400 Bad Request", NULL);
		return;
	}
	req.n_cert_der = peer_chain(w, certs);
	req.cert_der = certs;
	by_cert = cert_login(w, x, req.n_cert_der);
	/* the answer to a further form: a password without a user name */
	answer = !by_cert && r == 0 && w->login_token[0] != '\0' && x->password.present &&
		 !x->username.present;
	if (!by_cert && !answer && (r == XMLAUTH_ERR_EMPTY || !x->username.present ||
				    !x->password.present || x->username.len == 0)) {
		/* a GET, init, or a reply without both fields: (again) the form. */
		log_debug("login %s from %s: sending the form", xmlauth_type_str(x->type),
			  w->remote_ip);
		w->login_token[0] = '\0';
		send_form(w);
		return;
	}
	if (!login_fields_fit(x)) {
		/* no such account: not worth a password check */
		log_info("login from %s refused: user name, password or group too long",
			 w->remote_ip);
		explicit_bzero(x->password.text, sizeof(x->password.text));
		reply_and_close(w, "401 Authentication failed", NULL);
		return;
	}
	if (answer) {
		req.username = w->login_user;
		req.login_token = w->login_token;
	} else {
		w->login_token[0] = '\0';
		memcpy(w->login_user, x->username.text, x->username.len + 1); /* fits: checked */
		req.username = x->username.text;
		req.group = chosen_group(w, x);
	}
	req.password = x->password.text;
	req.remote_ip = w->remote_ip;
	log_debug("login %s by '%s' from %s", answer ? "answer" : "attempt", LOG_ESC(req.username),
		  w->remote_ip);
	r = worker_ipc_send(w, IPC_AUTH_REQUEST, &req.base);
	/* The password has no business staying in memory. */
	explicit_bzero(x->password.text, sizeof(x->password.text));
	w->login_token[0] = '\0';
	if (r < 0) {
		reply_and_close(w, "503 Service Unavailable", NULL);
		return;
	}
	w->phase = W_WAIT_AUTH;
	worker_tcp_read_enable(w, false);
}

void worker_http_on_auth_reply(struct worker *w, struct ipc_msg *msg)
{
	const AuthReply *a = msg->auth_reply;
	const struct xmlauth_complete c = {
		.banner = w->cfg.banner,
		.profile_uri = w->profile.data != NULL ? w->profile.uri : NULL,
		.profile_sha1 = w->profile.sha1,
	};
	char *body;

	if (!a->ok && a->has_busy && a->busy) {
		log_info("login of '%s' from %s not tried: server busy", LOG_ESC(w->login_user),
			 w->remote_ip);
		reply_and_close(w, "503 Service Unavailable", "server busy");
		return;
	}
	if (!a->ok && a->has_more && a->more && a->login_token != NULL &&
	    strlen(a->login_token) < sizeof(w->login_token)) {
		snprintf(w->login_token, sizeof(w->login_token), "%s", a->login_token);
		send_more_form(w, a);
		return;
	}
	if (!a->ok || !worker_cookie_is_safe(a->cookie)) {
		if (a->ok)
			log_err("main sent an unusable cookie for %s", w->remote_ip);
		log_info("login of '%s' from %s failed%s%s%s", w->login_user[0] != '\0'
				 ? LOG_ESC(w->login_user) : "(certificate)",
			 w->remote_ip, a->banned ? " (banned)" : "", a->message != NULL ? ": " : "",
			 a->message != NULL ? a->message : "");
		/* the reason (e.g. "certificate revoked") for the client too */
		reply_and_close(w, "401 Authentication failed", a->ok ? NULL : a->message);
		return;
	}
	log_info("user '%s' logged in from %s", LOG_ESC(a->username != NULL ? a->username : "?"),
		 w->remote_ip);
	body = malloc(XML_BODY_MAX);
	send_page(w, body,
		  body != NULL ? xmlauth_write_complete(body, XML_BODY_MAX, &c) : XMLAUTH_ERR_NO_SPACE,
		  a->cookie, "the login reply");
}

/* The target names the profile: its URI, or (openconnect 9.01, which
 * appends the server's port to the path it was given) the URI and ":PORT". */
static bool profile_target(const struct worker *w, const char *target)
{
	size_t n = strlen(w->profile.uri);

	if (strncmp(target, w->profile.uri, n) != 0)
		return false;
	if (target[n] == '\0')
		return true;
	if (target[n] != ':' || target[n + 1] == '\0')
		return false;
	return strspn(target + n + 1, "0123456789") == strlen(target + n + 1);
}

/* GET /profiles/NAME: the user-profile file, to anyone (as the login form);
 * any other name, or none configured: 404. */
static void send_profile(struct worker *w)
{
	const char *target = http_req_target(w->http);

	if (w->profile.data == NULL || !profile_target(w, target)) {
		log_info("GET %s from %s: no such profile", LOG_ESC(target), w->remote_ip);
		reply_and_close(w, "404 Not Found", NULL);
		return;
	}
	log_info("GET %s from %s: the user-profile (%zu bytes)", LOG_ESC(target), w->remote_ip,
		 w->profile.len);
	if (reply_xml(w, w->profile.data, w->profile.len, NULL) < 0) {
		if (w->phase != W_CLOSING)
			reply_and_close(w, "500 Internal Server Error", NULL);
		return;
	}
	request_done(w);
}

/* --- CONNECT ------------------------------------------------------------- */

static void handle_connect(struct worker *w)
{
	SessionOpenRequest req = SESSION_OPEN_REQUEST__INIT;
	struct worker_connect_req *c = &w->conn;
	const char *cookie, *v;
	size_t clen, iter = 0;
	char *cookie_str;
	int r;

	if (strcmp(http_req_target(w->http), "/CSCOSSLC/tunnel") != 0) {
		log_info("CONNECT %s from %s: unknown target", LOG_ESC(http_req_target(w->http)),
			 w->remote_ip);
		reply_and_close(w, "404 Not Found", NULL);
		return;
	}
	cookie = http_webvpn_cookie(w->http, &clen);
	if (cookie == NULL || clen == 0 || clen > WORKER_COOKIE_MAX) {
		log_info("CONNECT from %s without a usable webvpn cookie", w->remote_ip);
		reply_and_close(w, "401 Cookie is not acceptable", NULL);
		return;
	}

	*c = (struct worker_connect_req){ 0 };
	c->mobile = config_platform_is_mobile(
		http_header_get(w->http, "X-AnyConnect-Identifier-Platform"));
	c->client_base_mtu = worker_parse_base_mtu(http_header_get(w->http, "X-CSTP-Base-MTU"));
	dtls_choose(http_header_get(w->http, "X-DTLS-CipherSuite"),
		    http_header_get(w->http, "X-DTLS12-CipherSuite"),
		    http_header_get(w->http, "X-DTLS-Master-Secret"), w->cfg.dtls_psk,
		    w->cfg.dtls_legacy || w->cfg.cisco_client_compat, &c->dtls);
	if (c->dtls.why == DTLS_WHY_BAD_MASTER)
		log_info("CONNECT from %s: X-DTLS-Master-Secret %s: no legacy DTLS, the tunnel "
			 "runs over TLS", w->remote_ip, dtls_master_strerror(c->dtls.master_err));
	v = http_header_get(w->http, "X-CSTP-Hostname");
	if (v != NULL)
		snprintf(c->hostname, sizeof(c->hostname), "%s", v);
	/* X-CSTP-Address comes once per family on a reconnect. */
	while ((v = http_header_next(w->http, "X-CSTP-Address", &iter)) != NULL) {
		struct in_addr a;
		struct in6_addr a6;

		if (inet_pton(AF_INET, v, &a) == 1)
			snprintf(c->requested_ipv4, sizeof(c->requested_ipv4), "%s", v);
		else if (inet_pton(AF_INET6, v, &a6) == 1)
			snprintf(c->requested_ipv6, sizeof(c->requested_ipv6), "%s", v);
	}
	/* IPv6 in the tunnel unless the client asks for other families only
	 * (openconnect --disable-ipv6 sends "IPv4"); absent: both */
	v = http_header_get(w->http, "X-CSTP-Address-Type");
	c->no_ipv6 = v != NULL && strstr(v, "IPv6") == NULL && strstr(v, "ipv6") == NULL;
	v = http_header_get(w->http, "X-CSTP-Full-IPv6-Capability");
	c->full_ipv6 = v != NULL && strcasecmp(v, "true") == 0;

	cookie_str = strndup(cookie, clen);
	if (cookie_str == NULL) {
		reply_and_close(w, "503 Service Unavailable", "out of memory");
		return;
	}
	req.cookie = cookie_str;
	req.remote_ip = w->remote_ip;
	req.has_mobile = true;
	req.mobile = c->mobile;
	req.hostname = c->hostname[0] != '\0' ? c->hostname : NULL;
	if (c->client_base_mtu != 0) {
		req.has_client_base_mtu = true;
		req.client_base_mtu = c->client_base_mtu;
	}
	req.user_agent = (char *)http_header_get(w->http, "User-Agent");
	req.requested_ipv4 = c->requested_ipv4[0] != '\0' ? c->requested_ipv4 : NULL;
	req.requested_ipv6 = c->requested_ipv6[0] != '\0' ? c->requested_ipv6 : NULL;
	r = worker_ipc_send(w, IPC_SESSION_OPEN_REQUEST, &req.base);
	free(cookie_str);
	if (r < 0) {
		reply_and_close(w, "503 Service Unavailable", "server busy");
		return;
	}
	log_debug("CONNECT from %s%s: asking main for the session", w->remote_ip,
		  c->mobile ? " (mobile)" : "");
	w->phase = W_WAIT_SESSION;
	worker_tcp_read_enable(w, false);
	/* Bytes after a CONNECT would be CSTP, which must wait for our 200. */
	free(w->http_pending);
	w->http_pending = NULL;
	w->http_pending_len = 0;
}

void worker_http_on_session_reply(struct worker *w, struct ipc_msg *msg)
{
	const SessionOpenReply *r = msg->session_open_reply;
	const char *reason;
	int fd, ret;

	if (r->status == 401) {
		log_info("CONNECT from %s: cookie not acceptable%s%s", w->remote_ip,
			 r->reason != NULL ? ": " : "", r->reason != NULL ? r->reason : "");
		reply_and_close(w, "401 Cookie is not acceptable", NULL);
		return;
	}
	if (r->status != 200 || msg->fd < 0) {
		if (r->status == 200)
			log_err("session reply for %s came without the tun device", w->remote_ip);
		reason = r->reason != NULL ? r->reason : "service unavailable";
		log_info("CONNECT from %s refused (%u): %s", w->remote_ip, r->status, reason);
		reply_and_close(w, "503 Service Unavailable", reason);
		return;
	}
	fd = msg->fd;
	msg->fd = -1;
	ret = worker_tunnel_start(w, r, fd);
	if (ret < 0 && w->phase != W_CLOSING) {
		log_err("tunnel setup for %s failed: %s", w->remote_ip, strerror(-ret));
		reply_and_close(w, "503 Service Unavailable", "tunnel setup failed");
	}
}

/* --- input --------------------------------------------------------------- */

static void handle_request(struct worker *w)
{
	enum http_method m = http_req_method(w->http);

	if (w->requests++ == 0)
		worker_first_request(w);
	if (!http_keep_alive(w->http) || w->requests >= WORKER_MAX_REQUESTS)
		w->close_after_reply = true;
	log_debug("%s %s from %s (request %u)", http_method_str(m), LOG_ESC(http_req_target(w->http)),
		  w->remote_ip, w->requests);
	if (m == HTTP_METHOD_CONNECT)
		handle_connect(w);
	else if (m == HTTP_METHOD_GET &&
		 strncmp(http_req_target(w->http), WORKER_PROFILE_PREFIX,
			 strlen(WORKER_PROFILE_PREFIX)) == 0)
		send_profile(w);
	else
		handle_login(w);
}

static void http_process(struct worker *w, const uint8_t *data, size_t len)
{
	while (len > 0 && w->phase == W_HTTP) {
		size_t used = 0;
		int r = http_parser_feed(w->http, data, len, &used);

		if (r == HTTP_NEED_MORE)
			return;
		if (r < 0) {
			log_info("malformed HTTP request from %s: %s", w->remote_ip,
				 http_strerror(r));
			reply_and_close(w, worker_http_error_status(r), NULL);
			return;
		}
		data += used;
		len -= used;
		if (len > 0) {
			/* Keep the start of the next request for after the answer. */
			uint8_t *copy = malloc(len);

			if (copy == NULL) {
				reply_and_close(w, "503 Service Unavailable", NULL);
				return;
			}
			memcpy(copy, data, len);
			free(w->http_pending);
			w->http_pending = copy;
			w->http_pending_len = len;
			len = 0;
		}
		handle_request(w);
	}
}

void worker_http_input(struct worker *w, const uint8_t *data, size_t len)
{
	http_process(w, data, len);
}

void worker_http_start(struct worker *w)
{
	http_parser_init(w->http);
	w->phase = W_HTTP;
	worker_tcp_read_enable(w, true);
}
