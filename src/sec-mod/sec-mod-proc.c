/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* close_range */

/*
 * The sec-mod process: main forks it once at startup (secmod_fork); it runs
 * the core (sec-mod.c) on its own libev loop with one timer for every
 * session deadline, talks only to main over a SOCK_SEQPACKET socketpair with
 * the framing of ipc.h, and exits when main closes its end. It ignores
 * SIGINT, SIGTERM and SIGHUP: it ends with main, never before (a signal
 * sent to the whole process group, Ctrl-C in a terminal or systemd's
 * control-group stop, must let main end the sessions in order first).
 *
 * A message from main that does not decode, or that main never sends,
 * closes the connection with a logged error and sec-mod exits with status
 * 1: main sees it die and shuts down. sec-mod never crashes on input.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/passwd.h"
#include "common/privs.h"
#include "sec-mod/sec-mod.h"
#include "sec-mod/offload.h"
#include "sec-mod/pam-helper.h"
#include "sec-mod/radius.h"
#include "sec-mod/sec-mod-key.h"
#include "sec-mod/sec-mod-cluster.h"
#include "common/cluster-rec.h"
#include "main/ippool.h"
#include "vpn/ev-adapter.h"

/* What main has not taken yet waits in a queue of at most this many
 * encoded bytes (a session record is a few hundred: a hundred thousand
 * sessions ending together fit) ... */
#define SECMOD_OUTQ_MAX (64u * 1024u * 1024u)
/* ... and main taking none of it for this long means it is stuck. */
#define SECMOD_MAIN_STALL_S 30.0
/* Messages handled per wake-up before the timer gets its turn. */
#define SECMOD_RX_BATCH 64
#define SECMOD_ACCT_FLUSH_S (SECMOD_ACCT_FLUSH_MS / 1000.0)

/* The radcli configurations (secmod_fork_radius), read in the child before
 * it gives up root. */
static struct {
	char *auth, *acct;
} radius_paths;

struct radius_clients {
	struct radius_client *auth, *acct;
};

struct smproc {
	struct ev_loop *loop;
	int fd;
	ev_io io;
	struct vpn_ev_timer timer;
	ev_prepare rearm;		/* the timer's deadline changed: see timer_changed() */
	ev_timer alive;			/* the session store's alive time; only
					 * while a store is in use */
	struct secmod *core;
	struct secmod_keys *keys;
	int exit_code;
	bool main_gone;		/* main closed its end: it is exiting, so do we */
	struct ipc_outq outq;	/* messages main has not taken yet */
	ev_io wr;		/* the socket to main has room: send them */
	ev_timer stall;		/* main took none of them for too long */
	struct offload *pool;	/* blocking work of the logins (offload.h) */
	struct offload *acct_pool;	/* one thread: accounting requests, in order */
	struct radius_clients radius;
	bool flushing;		/* sending the last accounting records */
	bool ending;		/* the loop is over: no more timer updates */
};

static void fail(struct smproc *p, const char *what)
{
	log_err("sec-mod: %s: exiting", what);
	p->exit_code = 1;
	ev_break(p->loop, EVBREAK_ALL);
}

/* main closed its end while we still had something to say: it is exiting
 * (its last workers gone), nothing is lost, nobody is left to tell. */
static void main_gone(struct smproc *p, const char *what)
{
	log_debug("sec-mod: main is gone, %s not sent: exiting", what);
	p->main_gone = true;
	ev_io_stop(p->loop, &p->wr);
	ev_timer_stop(p->loop, &p->stall);
	ipc_outq_clear(&p->outq);
	ev_break(p->loop, EVBREAK_ALL);
}

/* The socket to main has room again: what waits goes, oldest first. */
static void writable_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct smproc *p = w->data;
	int n = ipc_outq_flush(&p->outq, p->fd);

	if (n == -EPIPE) {
		main_gone(p, "a queued message");
		return;
	}
	if (n < 0) {
		char why[160];

		snprintf(why, sizeof(why), "sending a queued message to main: %s",
			 ipc_strerror(n));
		fail(p, why);
		return;
	}
	if (ipc_outq_empty(&p->outq)) {
		log_debug("sec-mod: main caught up");
		ev_io_stop(loop, &p->wr);
		ev_timer_stop(loop, &p->stall);
	} else if (n > 0) {
		ev_timer_again(loop, &p->stall); /* it moves: not stuck */
	}
}

static void stall_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct smproc *p = t->data;
	char why[160];

	snprintf(why, sizeof(why), "main took none of the %zu messages waiting for it in %.0f s",
		 p->outq.count, SECMOD_MAIN_STALL_S);
	fail(p, why);
}

/*
 * Never waits for main: a busy main (closing tun devices, a burst of
 * logins) must not hold back our timers, or the sessions' expiries run
 * late and pile up behind it. What its socket does not take waits in
 * p->outq, in order, and leaves from writable_cb.
 */
static void send_cb(void *opaque, enum ipc_type type, const ProtobufCMessage *msg)
{
	struct smproc *p = opaque;
	bool was_empty = ipc_outq_empty(&p->outq);
	int r;

	if (p->exit_code != 0 || p->main_gone)
		return;
	r = ipc_outq_send(&p->outq, p->fd, type, msg);
	if (r == -EPIPE) {
		main_gone(p, ipc_type_str(type));
		return;
	}
	if (r < 0) {
		char why[160];

		snprintf(why, sizeof(why), "sending %s to main: %s%s", ipc_type_str(type),
			 ipc_strerror(r), r == -ENOBUFS ? " (main is stuck)" : "");
		fail(p, why);
		return;
	}
	if (was_empty && !ipc_outq_empty(&p->outq)) {
		log_debug("sec-mod: main is busy: %s waits for room on its socket",
			  ipc_type_str(type));
		ev_io_start(p->loop, &p->wr);
		ev_timer_again(p->loop, &p->stall);
	}
}

/* The file as main opened it for this login (sec-mod, no longer root, may
 * not be able to open it itself); without one (main could not open it), by
 * name. On a pool thread. */
static int check_password_cb(void *opaque, const char *file, int fd, const char *user,
			     const char *password, char *groups, size_t len)
{
	(void)opaque;
	if (fd >= 0)
		return passwd_check_fd(fd, user, password, groups, len);
	return passwd_check(file, user, password, groups, len);
}

/*
 * The next deadline (secmod_expiry) is looked for once per loop iteration,
 * just before the loop sleeps, not after every event. The session table
 * answers in O(1) from its deadline heap, but the logins in flight, the
 * further forms and, with RADIUS accounting, every session's next
 * Interim-Update are still walked. Nothing can fire in between: timers run
 * only after the loop has slept.
 */
static void rearm_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct smproc *p = w->data;

	(void)revents;
	ev_prepare_stop(loop, w);
	if (!p->ending)
		vpn_ev_timer_update(&p->timer);
}

static void timer_changed(struct smproc *p)
{
	if (!p->ending && !ev_is_active(&p->rearm))
		ev_prepare_start(p->loop, &p->rearm);
}

/* An answer of an authentication backend came between messages (a
 * finished job, the PAM helper): deadlines may have changed (a login
 * accepted creates a session, a further form waits). */
static void changed_cb(void *opaque)
{
	timer_changed(opaque);
}

static int submit_cb(void *opaque, offload_work_fn work, offload_done_fn done, void *arg,
		     uint64_t *id)
{
	struct smproc *p = opaque;

	return offload_submit(p->pool, work, done, arg, id);
}

static void cancel_cb(void *opaque, uint64_t id)
{
	struct smproc *p = opaque;

	offload_cancel(p->pool, id);
}

/* The alive timer runs while there is a store to write to: the store may
 * come with main's first SmConfig, and an idle sec-mod without one must not
 * wake every SECMOD_ALIVE_PERIOD_S for nothing (bench/README.md §2). */
static void alive_sync(struct smproc *p)
{
	bool want = secmod_wants_alive(p->core);

	if (want && !ev_is_active(&p->alive))
		ev_timer_again(p->loop, &p->alive);
	else if (!want && ev_is_active(&p->alive))
		ev_timer_stop(p->loop, &p->alive);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct smproc *p = w->data;

	for (int i = 0; i < SECMOD_RX_BATCH && p->exit_code == 0 && !p->main_gone; i++) {
		struct ipc_msg m;
		int r = ipc_recv(p->fd, &m);

		if (r == -EAGAIN)
			break;
		if (r == -EINTR)
			continue;
		if (r == IPC_E_EOF) {
			log_debug("sec-mod: main closed the connection");
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		if (r < 0) {
			char why[160];

			snprintf(why, sizeof(why), "bad message from main: %s", ipc_strerror(r));
			fail(p, why);
			return;
		}
		log_trace("sec-mod: %s", ipc_type_str(m.type));
		if (secmod_keys_on_message(p->keys, &m) > 0) {
			ipc_msg_free(&m);
			continue;
		}
		r = secmod_on_message(p->core, &m, vpn_now_ms());
		if (r < 0) {
			char why[160];

			if (r == SECMOD_E_STORE)
				snprintf(why, sizeof(why), "the session store cannot be used");
			else
				snprintf(why, sizeof(why), "main sent %s, which sec-mod never takes",
					 ipc_type_str(m.type));
			ipc_msg_free(&m);
			fail(p, why);
			return;
		}
		ipc_msg_free(&m);
	}
	alive_sync(p);
	timer_changed(p);
}

static vpn_ms_t expiry_cb(void *owner)
{
	struct smproc *p = owner;

	return secmod_expiry(p->core);
}

static void fire_cb(void *owner, vpn_ms_t now)
{
	struct smproc *p = owner;

	secmod_handle_expiry(p->core, now);
}

static void alive_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct smproc *p = t->data;

	secmod_store_alive(p->core);
}

/* The cluster's store: its credentials file and this gateway's name, set by
 * main before the fork (secmod_set_cluster_params). */
static const char *cluster_auth_file;
static char cluster_gw[CLUSTER_GW_MAX + 1];

void secmod_set_cluster_params(const char *auth_file, const char *gw)
{
	cluster_auth_file = auth_file;
	snprintf(cluster_gw, sizeof(cluster_gw), "%s", gw != NULL ? gw : "");
}

static void cluster_after_cb(void *opaque)
{
	timer_changed(opaque);
}

/* --- accounting: one request at a time on a thread of its own ------------ */

struct acct_job {
	struct smproc *p;
	struct acct_record r;
	bool ok;
	char err[128];
};

static void acct_work(void *arg)
{
	struct acct_job *j = arg;

	j->ok = radius_acct_send(j->p->radius.acct, NULL, &j->r, vpn_now_ms(), j->err,
				 sizeof(j->err));
}

static void acct_job_done(void *arg, bool cancelled)
{
	struct acct_job *j = arg;

	if (!cancelled) {
		if (!j->ok)
			log_debug("accounting: %s", j->err);
		secmod_acct_done(j->p->core, j->ok, vpn_now_ms());
		changed_cb(j->p);
	}
	free(j);
}

static void acct_retry_cb(int revents, void *arg)
{
	struct smproc *p = arg;

	secmod_acct_done(p->core, false, vpn_now_ms());
	changed_cb(p);
}

static void acct_send_cb(void *opaque, const struct acct_record *r)
{
	struct smproc *p = opaque;
	struct acct_job *j = malloc(sizeof(*j));
	uint64_t id;

	if (j != NULL) {
		*j = (struct acct_job){ .p = p, .r = *r };
		if (offload_submit(p->acct_pool, acct_work, acct_job_done, j, &id) == 0)
			return;
		free(j);
	}
	/* out of memory: a failed attempt, a second from now (never from
	 * inside this call) */
	ev_once(p->loop, -1, 0, 1.0, acct_retry_cb, p);
}

static void flush_giveup_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct smproc *p = t->data;

	p->flushing = false;
}

/* Main is gone: the accounting records still waiting (the Stops of the
 * sessions the shutdown ended) get SECMOD_ACCT_FLUSH_S more. */
static void acct_flush(struct smproc *p)
{
	ev_timer giveup;
	size_t n = secmod_acct_pending(p->core);

	if (n == 0)
		return;
	log_info("sec-mod: %zu accounting record%s to send: waiting %.0f s at most", n,
		 n == 1 ? "" : "s", SECMOD_ACCT_FLUSH_S);
	ev_io_stop(p->loop, &p->io);
	ev_timer_init(&giveup, flush_giveup_cb, SECMOD_ACCT_FLUSH_S, 0);
	giveup.data = p;
	ev_timer_start(p->loop, &giveup);
	for (p->flushing = true; p->flushing && secmod_acct_pending(p->core) > 0;)
		ev_run(p->loop, EVRUN_ONCE);
	ev_timer_stop(p->loop, &giveup);
	n = secmod_acct_pending(p->core);
	if (n > 0)
		log_err("sec-mod: %zu accounting record%s not answered by the RADIUS server: "
			"dropped", n, n == 1 ? "" : "s");
}

static int secmod_run(int fd, struct secmod_keys *keys, struct store *store,
		      struct secmod_cluster *cluster, int pam_fd, struct radius_clients radius)
{
	struct smproc p = { .fd = fd, .keys = keys, .radius = radius };
	struct secmod_ops ops = {
		.send = send_cb,
		.check_password = check_password_cb,
		.exec = { .submit = submit_cb, .cancel = cancel_cb, .opaque = &p },
		.user_seed = ippool_user_seed,
		.changed = changed_cb,
		.acct_send = radius.acct != NULL ? acct_send_cb : NULL,
	};

	p.loop = ev_default_loop(EVFLAG_AUTO);
	if (p.loop == NULL) {
		log_err("sec-mod: libev: no usable backend");
		return 1;
	}
	ops.exec.loop = p.loop;
	/* password checks and other slow work run here, never on the loop
	 * that signs the workers' handshakes */
	p.pool = offload_new(p.loop, OFFLOAD_THREADS, OFFLOAD_MAX_QUEUED);
	if (p.pool != NULL && radius.acct != NULL)
		p.acct_pool = offload_new(p.loop, 1, ACCT_QUEUE_MAX);
	p.core = p.pool != NULL && (radius.acct == NULL || p.acct_pool != NULL)
			 ? secmod_new(&ops, &p) : NULL;
	if (p.core == NULL) {
		log_err("sec-mod: %s", p.pool == NULL ? "no offload threads" : "out of memory");
		return 1;
	}
	secmod_set_store(p.core, store);
	secmod_set_pam(p.core, pam_fd);
	secmod_set_radius(p.core, radius.auth);
	secmod_keys_start(keys, p.loop);
	ev_io_init(&p.io, io_cb, fd, EV_READ);
	p.io.data = &p;
	ev_io_start(p.loop, &p.io);
	ipc_outq_init(&p.outq, SECMOD_OUTQ_MAX);
	ev_io_init(&p.wr, writable_cb, fd, EV_WRITE);
	p.wr.data = &p;
	ev_init(&p.stall, stall_cb);
	p.stall.repeat = SECMOD_MAIN_STALL_S;
	p.stall.data = &p;
	vpn_ev_timer_init(&p.timer, p.loop, expiry_cb, fire_cb, &p);
	ev_prepare_init(&p.rearm, rearm_cb);
	p.rearm.data = &p;
	if (cluster != NULL)
		secmod_cluster_start(cluster, p.loop, p.core, cluster_after_cb, &p);
	ev_init(&p.alive, alive_cb);
	p.alive.repeat = SECMOD_ALIVE_PERIOD_S;
	p.alive.data = &p;
	alive_sync(&p);
	log_debug("sec-mod running");
	ev_run(p.loop, 0);
	acct_flush(&p);
	p.ending = true;
	ev_prepare_stop(p.loop, &p.rearm);
	vpn_ev_timer_stop(&p.timer);
	secmod_keys_free(keys);
	ev_timer_stop(p.loop, &p.alive);
	/* whatever ended us, sessions still active wait for the next start */
	secmod_store_close(p.core, vpn_now_ms());
	/* the logins go (their jobs cancelled), then the pool */
	secmod_cluster_free(cluster);
	secmod_free(p.core);
	offload_free(p.pool);
	if (pam_fd >= 0)
		close(pam_fd); /* the PAM helper exits */
	offload_free(p.acct_pool);
	radius_client_close(radius.auth);
	radius_client_close(radius.acct);
	ev_io_stop(p.loop, &p.wr);
	ev_timer_stop(p.loop, &p.stall);
	/* main is gone or we failed: nobody reads what still waits */
	ipc_outq_clear(&p.outq);
	close(fd);
	return p.exit_code;
}

void secmod_fork_radius(const char *auth_config, const char *acct_config)
{
	free(radius_paths.auth);
	free(radius_paths.acct);
	radius_paths.auth = auth_config != NULL ? strdup(auth_config) : NULL;
	radius_paths.acct = acct_config != NULL ? strdup(acct_config) : NULL;
}

/* In the child, as root: the radcli clients. false: logged, sec-mod cannot
 * run. */
static bool radius_open(struct radius_clients *out)
{
	char err[PATH_MAX + 256];

	*out = (struct radius_clients){ 0 };
	if (radius_paths.auth != NULL &&
	    (out->auth = radius_client_open(radius_paths.auth, OFFLOAD_THREADS, err,
					    sizeof(err))) == NULL) {
		log_err("sec-mod: auth = radius: %s", err);
		return false;
	}
	if (radius_paths.acct != NULL &&
	    (out->acct = radius_client_open(radius_paths.acct, 1, err, sizeof(err))) == NULL) {
		log_err("sec-mod: acct = radius: %s", err);
		return false;
	}
	return true;
}

/* In the child: the socket to main becomes fd 3 and every other descriptor
 * above stderr is closed (listeners, UDP, rtnetlink, control socket: sec-mod
 * must hold none of main's). */
static int child_fds(int sock)
{
	if (sock != 3 && dup2(sock, 3) < 0)
		return -errno;
	if (close_range(4, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (long fd = 4; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			(void)close((int)fd);
	}
	return 3;
}

pid_t secmod_fork(int log_level, const char *key_path, const char *store_path, const char *user,
		  const char *group, bool pam, int *fd)
{
	int sp[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		err = errno;
		log_err("sec-mod socketpair: %s", strerror(err));
		return -err;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		log_err("forking sec-mod: %s", strerror(err));
		close(sp[0]);
		close(sp[1]);
		return -err;
	}
	if (pid == 0) {
		struct secmod_keys *keys;
		struct store *store = NULL;
		struct secmod_cluster *cluster = NULL;
		struct radius_clients radius;
		sigset_t none;
		int sock, pam_fd = -1;

		log_init("ocserv-modern-sm", (enum log_level)log_level);
		close(sp[0]);
		sock = child_fds(sp[1]);
		if (sock < 0) {
			log_err("sec-mod: %s", strerror(-sock));
			_exit(1);
		}
		(void)prctl(PR_SET_NAME, "ocserv-sm", 0, 0, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		(void)fcntl(sock, F_SETFL, O_NONBLOCK);
		(void)fcntl(sock, F_SETFD, FD_CLOEXEC);
		/* the PAM helper stays root (without capabilities): forked
		 * before the key is loaded, it never has it in its memory */
		if (pam && pamh_fork(log_level, &pam_fd) < 0)
			_exit(1);
		/* only here, in sec-mod, is the private key ever loaded */
		keys = secmod_keys_load(key_path);
		if (keys == NULL)
			_exit(1);
		/* the session store too: it stays root's, the workers (which
		 * run as the same user as sec-mod) cannot read it */
		if (cluster_is_url(store_path)) {
			/* the credentials file stays root's too */
			if (secmod_cluster_setup(store_path, cluster_auth_file, cluster_gw,
						 &cluster) != 0)
				_exit(1);
		} else if (store_path != NULL && secmod_store_open(store_path, &store) != 0) {
			_exit(1);
		}
		/* the radcli configurations and their secrets likewise */
		if (!radius_open(&radius))
			_exit(1);
		/* Whatever sec-mod needs from root is opened above this line. */
		if (privs_drop("sec-mod", user, group) < 0)
			_exit(1);
		/* no core dumps, no ptrace, no /proc/PID/mem for the workers,
		 * which run as the same user */
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		_exit(secmod_run(sock, keys, store, cluster, pam_fd, radius));
	}
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0)
		log_warn("sec-mod socket: O_NONBLOCK: %s", strerror(errno));
	*fd = sp[0];
	return pid;
}
