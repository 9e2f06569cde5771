/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * main's side of sec-mod (src/sec-mod/sec-mod.h): forking it, the socket, request
 * ids, and the dispatch of what sec-mod sends to the handlers main.c gave
 * (main_secmod_start). What main does with a reply (answer the worker,
 * lease, device, takeover) is in main-session.c.
 *
 * sec-mod is part of the server: if it dies, or breaks the protocol, or
 * takes no message for MAIN_SECMOD_STALL_S while some wait, main logs why
 * and shuts down (exit status 1) rather than run without session records.
 * A long queue is no such reason: beyond MAIN_SECMOD_LOGIN_QUEUE_MAX new
 * logins are answered 503 without asking sec-mod (main_secmod_busy), and a
 * message the full queue cannot take is refused to its sender alone.
 *
 * Nothing here waits on sec-mod. sec-mod checks passwords on its own threads
 * (sec-mod/offload.h), yet a burst of logins can still fill the socket; what it does not take waits in
 * srv->secmod_q, in order, and leaves as sec-mod reads (the write watcher).
 * Waiting in poll() instead would stop main's loop for every worker. sec-mod
 * does the same the other way (sec-mod-proc.c): neither side ever waits for
 * the other to read, so neither can hold back the other's timers.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cert.h"
#include "common/cluster-rec.h"
#include "common/log.h"
#include "main/main-metrics.h"
#include "main/main-secmod.h"
#include "main/main.h"
#include "sec-mod/sec-mod.h"

/* sec-mod taking no message for this long while some wait: it is stuck. */
#define MAIN_SECMOD_STALL_S 10.0
/* At most this many encoded bytes wait for sec-mod (tens of thousands of
 * messages: several per worker). */
#define MAIN_SECMOD_QUEUE_MAX (8u * 1024u * 1024u)
/* Queued bytes beyond which new logins are not passed on (503): the
 * rest of the queue stays for the tunnels' messages. */
#define MAIN_SECMOD_LOGIN_QUEUE_MAX (256u * 1024u)
/* ... or queued messages (a password check each: seconds of work). */
#define MAIN_SECMOD_LOGIN_QUEUE_COUNT 128u
/* How long main waits for sec-mod to exit once it closed the socket. */
#define MAIN_SECMOD_EXIT_WAIT_MS 1000
/* Messages from sec-mod per wake-up. */
#define MAIN_SECMOD_RX_BATCH 64

struct main_sm_list {
	uint64_t request_id;
	main_secmod_list_fn *cb;
	void *opaque;
	struct main_sm_list *next;
};

/* Stop writing to sec-mod and forget what waits. */
static void queue_stop(struct server *srv)
{
	if (srv->loop != NULL) {
		ev_io_stop(srv->loop, &srv->secmod_wr);
		ev_timer_stop(srv->loop, &srv->secmod_stall_w);
	}
	ipc_outq_clear(&srv->secmod_q);
}

static void secmod_broken(struct server *srv, const char *why)
{
	if (srv->secmod_fd < 0)
		return;
	log_err("sec-mod: %s: shutting down", why);
	queue_stop(srv);
	ev_io_stop(srv->loop, &srv->secmod_w);
	close(srv->secmod_fd);
	srv->secmod_fd = -1;
	if (srv->secmod_h != NULL)
		srv->secmod_h->lost(srv);
}

/* sec-mod's socket has room: what waits goes, oldest first. */
static void secmod_writable_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct server *srv = ev_userdata(loop);
	int n = ipc_outq_flush(&srv->secmod_q, srv->secmod_fd);

	if (n < 0) {
		char why[160];

		snprintf(why, sizeof(why), "sending a queued message: %s", ipc_strerror(n));
		secmod_broken(srv, why);
		return;
	}
	if (ipc_outq_empty(&srv->secmod_q)) {
		log_debug("sec-mod caught up: nothing waits for it any more");
		queue_stop(srv);
		return;
	}
	if (n > 0)
		ev_timer_again(loop, &srv->secmod_stall_w); /* it moves: not stuck */
}

static void secmod_stall_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *srv = ev_userdata(loop);
	char why[160];

	snprintf(why, sizeof(why), "it took none of the %zu messages waiting for it in %.0f s",
		 srv->secmod_q.count, MAIN_SECMOD_STALL_S);
	secmod_broken(srv, why);
}

static int send_fd(struct server *srv, enum ipc_type type, const ProtobufCMessage *msg, int fd)
{
	bool was_empty = ipc_outq_empty(&srv->secmod_q);
	int r;

	if (srv->secmod_fd < 0)
		return -EPIPE;
	r = ipc_outq_send_fd(&srv->secmod_q, srv->secmod_fd, type, msg, fd);
	if (r == -ENOBUFS) {
		/* behind, not broken: this one message is refused to its sender */
		static vpn_ms_t last_log;
		vpn_ms_t now = vpn_now_ms();

		if (last_log == 0 || now - last_log >= 1000) {
			last_log = now;
			log_warn("sec-mod is behind: %zu messages (%zu bytes) wait for it; %s refused",
				 srv->secmod_q.count, srv->secmod_q.bytes, ipc_type_str(type));
		}
		return r;
	}
	if (r < 0) {
		char why[160];

		snprintf(why, sizeof(why), "sending %s: %s", ipc_type_str(type), ipc_strerror(r));
		secmod_broken(srv, why);
		return r;
	}
	if (was_empty && !ipc_outq_empty(&srv->secmod_q)) {
		/* its socket is full: no waiting here, the loop sends the rest */
		log_debug("sec-mod is busy: %s waits for room on its socket", ipc_type_str(type));
		ev_io_start(srv->loop, &srv->secmod_wr);
		ev_timer_again(srv->loop, &srv->secmod_stall_w);
	}
	return 0;
}

int main_secmod_key_channel(struct server *srv, pid_t worker_pid, int fd)
{
	SmKeyChannel kc = SM_KEY_CHANNEL__INIT;
	int r = -EPIPE;

	kc.worker_pid = (uint32_t)worker_pid;
	/* behind the logins that wait, if any (at most 128 before new ones
	 * get 503): a busy sec-mod delays this worker's handshake, a full
	 * socket no longer fails it */
	if (srv->secmod_fd >= 0)
		r = send_fd(srv, IPC_SM_KEY_CHANNEL, &kc.base, fd);
	close(fd);
	if (r < 0)
		log_warn("worker %ld gets no key channel (sec-mod: %s): its TLS handshake will fail",
			 (long)worker_pid, ipc_strerror(r));
	return r;
}

bool main_secmod_busy(const struct server *srv)
{
	return srv->secmod_q.bytes > MAIN_SECMOD_LOGIN_QUEUE_MAX ||
	       srv->secmod_q.count > MAIN_SECMOD_LOGIN_QUEUE_COUNT;
}

int main_secmod_send(struct server *srv, enum ipc_type type, const ProtobufCMessage *msg)
{
	return send_fd(srv, type, msg, -1);
}

int main_secmod_send_login(struct server *srv, const SmAuthRequest *q)
{
	const char *file = srv->cfg.auth_passwd_file;
	int fd = file != NULL ? open(file, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1, r;

	if (fd < 0 && file != NULL)
		log_err("password file %s: %s (sec-mod tries it by name)", file, strerror(errno));
	r = send_fd(srv, IPC_SM_AUTH_REQUEST, &q->base, fd);
	if (fd >= 0)
		close(fd);
	return r;
}

uint64_t main_secmod_request_id(struct server *srv)
{
	return ++srv->secmod_next_request;
}

/* The certificate settings of c; ca and crl hold the files' text (for
 * gnutls_free). A file that cannot be used is logged and left out: sec-mod
 * keeps the trust list it has. */
static void secmod_cert_config(const struct config *cfg, SmConfig *c, gnutls_datum_t *ca,
			       gnutls_datum_t *crl)
{
	char err[512];

	*ca = *crl = (gnutls_datum_t){ 0 };
	c->has_auth_certificate = c->has_enable_auth_certificate = true;
	c->auth_certificate = cfg->auth_certificate;
	c->enable_auth_certificate = cfg->enable_auth_certificate;
	if (!cfg->auth_certificate && !cfg->enable_auth_certificate)
		return;
	c->cert_user_oid = cfg->cert_user_oid;
	c->cert_group_oid = cfg->cert_group_oid;
	if (cert_files_read(cfg->ca_cert, cfg->crl, ca, crl, err, sizeof(err)) < 0) {
		log_err("%s: sec-mod keeps the CAs and CRLs it has", err);
		return;
	}
	c->has_ca_cert = true;
	c->ca_cert.data = ca->data;
	c->ca_cert.len = ca->size;
	c->has_crl = crl->size > 0;
	c->crl.data = crl->data;
	c->crl.len = crl->size;
}

void main_secmod_config(struct server *srv)
{
	SmConfig c = SM_CONFIG__INIT;
	gnutls_datum_t ca, crl;
	int fd;

	c.passwd_file = srv->cfg.auth_passwd_file != NULL ? srv->cfg.auth_passwd_file : "";
	c.otp_file = srv->cfg.auth_otp_file;
	c.has_pam = true;
	c.pam = srv->cfg.auth_pam;
	c.has_pam_gid_min = true;
	c.pam_gid_min = srv->cfg.auth_pam_gid_min;
	secmod_cert_config(&srv->cfg, &c, &ca, &crl);
	c.has_auth_radius = c.has_acct_radius = c.has_radius_groupconfig = true;
	c.auth_radius = srv->cfg.auth_radius_config != NULL;
	c.radius_groupconfig = srv->cfg.auth_radius_groupconfig;
	c.radius_nas_identifier = srv->cfg.auth_radius_nas_id;
	c.acct_radius = srv->cfg.acct_radius_config != NULL;
	c.cookie_timeout = srv->cfg.cookie_timeout_s;
	c.session_timeout = srv->cfg.session_timeout_s;
	c.persistent_cookies = srv->cfg.persistent_cookies;
	c.max_same_clients = srv->cfg.max_same_clients;
	c.has_deny_roaming = true;
	c.deny_roaming = srv->cfg.deny_roaming;
	c.dpd = srv->cfg.dpd_s;
	c.server_key = srv->cfg.server_key;
	c.session_store = (char *)config_session_store(&srv->cfg);
	c.has_pool_first = c.has_pool_count = c.has_predictable_ips = true;
	c.pool_first = srv->pool.first;
	c.pool_count = srv->pool.count;
	c.predictable_ips = srv->cfg.predictable_ips;
	/* sec-mod, no longer root, loads the key again on a reload from the
	 * file as main opens it (main never reads it) */
	fd = c.server_key != NULL ? open(c.server_key, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
				  : -1;
	(void)send_fd(srv, IPC_SM_CONFIG, &c.base, fd);
	if (fd >= 0)
		close(fd);
	gnutls_free(ca.data);
	gnutls_free(crl.data);
}

/* gateway-id, else the host name (its characters outside A-Z a-z 0-9 . _ -
 * replaced by '-', cut at 64). */
const char *main_gateway_id(const struct server *srv)
{
	static char gw[CLUSTER_GW_MAX + 1];

	if (srv->cfg.gateway_id != NULL)
		return srv->cfg.gateway_id;
	if (gethostname(gw, sizeof(gw)) < 0 || gw[0] == '\0')
		snprintf(gw, sizeof(gw), "gateway");
	gw[CLUSTER_GW_MAX] = '\0';
	for (char *p = gw; *p != '\0'; p++)
		if (!cluster_gw_valid((char[]){ *p, '\0' }))
			*p = '-';
	return gw;
}

int main_secmod_fork(struct server *srv)
{
	int fd = -1;
	pid_t pid;

	secmod_set_cluster_params(srv->cfg.session_store_auth_file, main_gateway_id(srv));
	secmod_fork_radius(srv->cfg.auth_radius_config, srv->cfg.acct_radius_config);
	pid = secmod_fork(srv->log_level, srv->cfg.server_key,
				config_session_store(&srv->cfg), srv->cfg.run_as_user,
				srv->cfg.run_as_group, srv->cfg.auth_pam, &fd);

	if (pid < 0)
		return (int)pid;
	srv->secmod_pid = pid;
	srv->secmod_fd = fd;
	ipc_outq_init(&srv->secmod_q, MAIN_SECMOD_QUEUE_MAX);
	ev_io_init(&srv->secmod_wr, secmod_writable_cb, fd, EV_WRITE);
	ev_init(&srv->secmod_stall_w, secmod_stall_cb);
	srv->secmod_stall_w.repeat = MAIN_SECMOD_STALL_S;
	log_debug("sec-mod started: pid %ld", (long)pid);
	return 0;
}

/* --- from sec-mod ------------------------------------------------------------ */

static void on_list_reply(struct server *srv, const SmListReply *r)
{
	struct main_sm_list **pp = &srv->secmod_lists;

	for (; *pp != NULL; pp = &(*pp)->next) {
		struct main_sm_list *l = *pp;

		if (l->request_id != r->request_id)
			continue;
		l->cb(l->opaque, (const SmSession *const *)r->sessions, r->n_sessions, r->last);
		if (r->last) {
			*pp = l->next;
			free(l);
		}
		return;
	}
	log_debug("sec-mod: list reply %llu for nobody", (unsigned long long)r->request_id);
}

static int dispatch(struct server *srv, const struct ipc_msg *m)
{
	const struct main_secmod_handlers *h = srv->secmod_h;

	switch (m->type) {
	case IPC_SM_AUTH_REPLY:
		h->on_auth_reply(srv, m->sm_auth_reply);
		return 0;
	case IPC_SM_OPEN_REPLY:
		h->on_open_reply(srv, m->sm_open_reply);
		return 0;
	case IPC_SM_SESSION:
		main_metrics_secmod_session(srv, m->sm_session);
		return h->on_session(srv, m->sm_session);
	case IPC_SM_PROBE:
		h->on_probe(srv, m->sm_probe);
		return 0;
	case IPC_SM_LIST_REPLY:
		on_list_reply(srv, m->sm_list_reply);
		return 0;
	default:
		return -EPROTO;
	}
}

static void secmod_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct server *srv = ev_userdata(loop);

	for (int i = 0; i < MAIN_SECMOD_RX_BATCH && srv->secmod_fd >= 0; i++) {
		struct ipc_msg m;
		char why[160];
		int r = ipc_recv(srv->secmod_fd, &m);

		if (r == -EAGAIN)
			return;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			snprintf(why, sizeof(why), "%s",
				 r == IPC_E_EOF ? "it closed its socket" : ipc_strerror(r));
			secmod_broken(srv, why);
			return;
		}
		log_trace("sec-mod: %s", ipc_type_str(m.type));
		r = dispatch(srv, &m);
		if (r < 0) {
			snprintf(why, sizeof(why), "%s %s", r == -EPROTO ? "unexpected" : "invalid",
				 ipc_type_str(m.type));
			ipc_msg_free(&m);
			secmod_broken(srv, why);
			return;
		}
		ipc_msg_free(&m);
	}
}

void main_secmod_start(struct server *srv, const struct main_secmod_handlers *h)
{
	srv->secmod_h = h;
	ev_io_init(&srv->secmod_w, secmod_cb, srv->secmod_fd, EV_READ);
	ev_io_start(srv->loop, &srv->secmod_w);
	main_secmod_config(srv);
}

static void status_text(int status, char *why, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(why, len, "the process was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, len, "the process exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* sec-mod was reaped: say how, loudly unless main was the one to end it. */
static void reaped(struct server *srv, int status)
{
	char why[96];

	status_text(status, why, sizeof(why));
	srv->secmod_pid = 0;
	if (srv->secmod_fd >= 0) {
		/* read what it said last (its reason is in its own log line) */
		secmod_cb(srv->loop, &srv->secmod_w, EV_READ);
		secmod_broken(srv, why);
	} else if (srv->secmod_stopping && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_debug("sec-mod: %s", why);
	} else {
		log_err("sec-mod: %s", why);
	}
}

bool main_secmod_exited(struct server *srv, pid_t pid, int status)
{
	if (pid != srv->secmod_pid || pid <= 0)
		return false;
	reaped(srv, status);
	return true;
}

void main_secmod_stop(struct server *srv)
{
	struct main_sm_list *l;
	int waited = 0, limit;

	srv->secmod_stopping = true;
	while ((l = srv->secmod_lists) != NULL) {
		srv->secmod_lists = l->next;
		l->cb(l->opaque, NULL, 0, true);
		free(l);
	}
	if (srv->secmod_fd >= 0) {
		if (!ipc_outq_empty(&srv->secmod_q))
			log_debug("sec-mod: %zu messages still queued at exit: dropped",
				  srv->secmod_q.count);
		queue_stop(srv);
		if (srv->loop != NULL)
			ev_io_stop(srv->loop, &srv->secmod_w);
		close(srv->secmod_fd);
		srv->secmod_fd = -1;
	}
	/* it exits on EOF; reap it so nothing outlives main */
	/* with accounting, sec-mod may still send the last Stops for a while */
	limit = MAIN_SECMOD_EXIT_WAIT_MS +
		(srv->cfg.acct_radius_config != NULL ? SECMOD_ACCT_FLUSH_MS : 0);
	while (srv->secmod_pid > 0 && waited < limit) {
		int st;
		pid_t r = waitpid(srv->secmod_pid, &st, WNOHANG);

		if (r == srv->secmod_pid) {
			reaped(srv, st);
			break;
		}
		if (r < 0 && errno == ECHILD) {
			srv->secmod_pid = 0;
			break;
		}
		usleep(10 * 1000);
		waited += 10;
	}
	if (srv->secmod_pid > 0) {
		log_warn("sec-mod (pid %ld) still running %d ms after main closed its socket: "
			 "SIGKILL", (long)srv->secmod_pid, limit);
		kill(srv->secmod_pid, SIGKILL);
		(void)waitpid(srv->secmod_pid, NULL, 0);
		srv->secmod_pid = 0;
	}
}

int main_secmod_list(struct server *srv, bool all, bool cluster, main_secmod_list_fn *cb,
		     void *opaque)
{
	SmListRequest q = SM_LIST_REQUEST__INIT;
	struct main_sm_list *l = calloc(1, sizeof(*l));
	int r;

	if (l == NULL)
		return -ENOMEM;
	q.request_id = main_secmod_request_id(srv);
	q.has_all = true;
	q.all = all;
	q.has_cluster = cluster;
	q.cluster = cluster;
	r = main_secmod_send(srv, IPC_SM_LIST_REQUEST, &q.base);
	if (r < 0) {
		free(l);
		return r;
	}
	l->request_id = q.request_id;
	l->cb = cb;
	l->opaque = opaque;
	l->next = srv->secmod_lists;
	srv->secmod_lists = l;
	return 0;
}
