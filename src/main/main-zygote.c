/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* main's side of the worker zygote: see main-zygote.h. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "main/main-zygote.h"
#include "main/main-script.h"
#include "main/main.h"
#include "main/worker-proc.h"
#include "worker/zygote.h"

/* The zygote's workers are orphans once their middle process exits: as a
 * child subreaper main gets them, to reap and signal. Without that, no
 * zygote. */
static bool subreaper(struct server *srv)
{
	if (!srv->subreaper) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
			log_warn("worker-zygote: PR_SET_CHILD_SUBREAPER: %s: workers are "
				 "forked and executed", strerror(errno));
			return false;
		}
		srv->subreaper = true;
	}
	return true;
}

void main_zygote_start(struct server *srv)
{
	char level[16];
	char *argv[] = { "ocserv-modern-worker", "-Z", "-c", (char *)srv->config_path, "-d",
			 level, NULL };
	int sp[2];
	pid_t pid;

	if (!srv->cfg.worker_zygote || srv->zygote_pid > 0 || !subreaper(srv))
		return;
	srv->zygote_started_ms = vpn_now_ms();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err("worker-zygote: socketpair: %s", strerror(errno));
		return;
	}
	snprintf(level, sizeof(level), "%d", srv->log_level);
	pid = fork();
	if (pid < 0) {
		log_err("worker-zygote: fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return;
	}
	if (pid == 0) {
		/* Every symbol bound once, in the zygote: otherwise each worker
		 * resolves the functions it calls first, writing (and copying)
		 * the pages of the GOTs it shares with the zygote. */
		setenv("LD_BIND_NOW", "1", 1);
		main_worker_exec(srv, argv, &sp[1], 1);
	}
	close(sp[1]);
	srv->zygote_pid = pid;
	srv->zygote_fd = sp[0];
	log_info("worker zygote started: pid %ld", (long)pid);
}

/* Its end of the socket reads EOF, and sig: it holds nothing that needs a
 * clean exit. */
static void zygote_end(struct server *srv, int sig)
{
	if (srv->zygote_pid <= 0)
		return;
	close(srv->zygote_fd);
	if (kill(srv->zygote_pid, sig) < 0 && errno != ESRCH)
		log_warn("worker zygote %ld: %s: %s", (long)srv->zygote_pid, strsignal(sig),
			 strerror(errno));
	srv->zygote_retired = srv->zygote_pid;
	srv->zygote_pid = 0;
	srv->zygote_fd = -1;
}

void main_zygote_stop(struct server *srv)
{
	zygote_end(srv, SIGTERM);
}

void main_zygote_reload(struct server *srv)
{
	bool had = srv->zygote_pid > 0;

	main_zygote_stop(srv);
	if (!srv->cfg.worker_zygote && had)
		log_info("reload: worker-zygote is off: workers are forked and executed");
	main_zygote_start(srv);
}

/* Send the request with the three descriptors. 0 or -errno. */
static int send_request(int fd, const struct zygote_request *rq, const int fds[ZYGOTE_NFDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * ZYGOTE_NFDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)rq, .iov_len = sizeof(*rq) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * ZYGOTE_NFDS);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * ZYGOTE_NFDS);
	for (;;) {
		if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(*rq))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* The reply, waited for at most MAIN_ZYGOTE_REPLY_MS: 0 with *pid set (the
 * worker's PID, or the zygote's -errno: it made none), or -errno when no
 * valid reply came (-ETIMEDOUT, -EPIPE when it closed its end, -EBADMSG).
 * The zygote answers once its middle process is reaped, so the wait is
 * two forks' time; main's loop, which reaps, runs only after it, so the
 * worker's exit can never come before its PID is known (and checked). */
static int recv_reply(int fd, int32_t *pid)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct zygote_reply rp;
	vpn_ms_t deadline = vpn_now_ms() + MAIN_ZYGOTE_REPLY_MS;
	ssize_t n;

	for (;;) {
		vpn_ms_t now = vpn_now_ms();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			break;
	}
	n = recv(fd, &rp, sizeof(rp), MSG_DONTWAIT);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(rp) || rp.magic != ZYGOTE_MAGIC || rp.pid == 0)
		return -EBADMSG;
	*pid = rp.pid;
	return 0;
}

/* No zygote now: start one if the last attempt is old enough. */
static bool zygote_ready(struct server *srv)
{
	if (!srv->cfg.worker_zygote)
		return false;
	if (srv->zygote_pid > 0)
		return true;
	if (srv->zygote_started_ms != 0 &&
	    vpn_now_ms() - srv->zygote_started_ms < MAIN_ZYGOTE_RETRY_S * 1000)
		return false;
	main_zygote_start(srv);
	return srv->zygote_pid > 0;
}

/*
 * Why main refuses pid as the zygote's new worker, or NULL. The zygote
 * replies once the worker is main's child (zygote.c), so anything else is
 * a lie that would have main signal, as root, a process it does not own.
 * A zombie counts (WNOWAIT: a worker that exited at once is left for the
 * loop to reap), and until main reaps it the PID names nothing else. A
 * process main already tracks (the zygote, sec-mod, a script, a live
 * worker) is main's child too: refused as well.
 */
static const char *refuse_pid(struct server *srv, pid_t pid)
{
	const struct worker_proc *w = worker_proc_by_pid(srv, pid);
	siginfo_t si;

	if (pid == srv->zygote_pid || pid == srv->zygote_retired || pid == srv->secmod_pid ||
	    main_script_owns(srv, pid) || (w != NULL && !w->exited))
		return "a process main already tracks";
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si,
		      WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) < 0) {
		if (errno == ECHILD)
			return "not a child of main";
		if (errno != EINTR)
			return strerror(errno);
	}
	return NULL;
}

pid_t main_zygote_spawn(struct server *srv, int tcp, int ipc, int key, const char *client)
{
	struct zygote_request rq = { .magic = ZYGOTE_MAGIC, .log_level = srv->log_level };
	const int fds[ZYGOTE_NFDS] = { tcp, ipc, key };
	int32_t pid = 0;
	int r;

	if (!zygote_ready(srv))
		return MAIN_ZYGOTE_NONE;
	if (client != NULL)
		snprintf(rq.client, sizeof(rq.client), "%s", client);
	r = send_request(srv->zygote_fd, &rq, fds);
	if (r < 0) {
		/* nothing went out: nobody holds the connection but main */
		log_warn("worker zygote %ld: request: %s: stopping it; forking and executing "
			 "workers until a new one starts", (long)srv->zygote_pid, strerror(-r));
		zygote_end(srv, SIGKILL);
		return MAIN_ZYGOTE_NONE;
	}
	r = recv_reply(srv->zygote_fd, &pid);
	if (r == 0 && pid > 0) {
		const char *why = refuse_pid(srv, (pid_t)pid);

		if (why == NULL)
			return (pid_t)pid;
		/* Never signalled. The zygote may hold the connection (its
		 * descriptors went to it): closed, as for any failure. */
		log_err("worker zygote %ld named pid %ld as its worker: %s: refused; stopping "
			"the zygote, this connection is closed, the next ones get executed "
			"workers until a new zygote starts", (long)srv->zygote_pid, (long)pid, why);
		zygote_end(srv, SIGKILL);
		return MAIN_ZYGOTE_FAILED;
	}
	if (r == 0 && pid != -ECHILD) {
		/* its answer: no worker was made (out of processes, say) */
		log_warn("worker zygote %ld: no worker (%s): forking and executing one",
			 (long)srv->zygote_pid, strerror((int)-pid));
		return MAIN_ZYGOTE_NONE;
	}
	/* A worker may exist with this connection's descriptors, which main
	 * cannot know: a second one must not serve it too. */
	log_warn("worker zygote %ld: %s: stopping it; this connection is closed, the next ones "
		 "get executed workers until a new zygote starts", (long)srv->zygote_pid,
		 strerror(r < 0 ? -r : ECHILD));
	/* it may be stuck, or stopped: SIGTERM might never act */
	zygote_end(srv, SIGKILL);
	return MAIN_ZYGOTE_FAILED;
}

bool main_zygote_exited(struct server *srv, pid_t pid, int status)
{
	if (pid <= 0)
		return false;
	if (pid == srv->zygote_retired) {
		srv->zygote_retired = 0;
		log_debug("worker zygote %ld ended", (long)pid);
		return true;
	}
	if (pid != srv->zygote_pid)
		return false;
	if (WIFSIGNALED(status))
		log_warn("worker zygote %ld killed by signal %d (%s): forking and executing "
			 "workers until a new one starts", (long)pid, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		log_warn("worker zygote %ld exited with status %d: forking and executing workers "
			 "until a new one starts", (long)pid,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(srv->zygote_fd);
	srv->zygote_fd = -1;
	srv->zygote_pid = 0;
	return true;
}
