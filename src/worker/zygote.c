/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* pipe2 */

/* The worker zygote (zygote.h): ocserv-modern-worker -Z. */

#include "worker/zygote.h"
#include "worker/sandbox.h"
#include "worker/worker.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* One request: 1, 0 when main closed the socket, or -errno. fds get the
 * three descriptors (close-on-exec); a malformed request is -EBADMSG with
 * whatever came with it closed. */
static int recv_request(int ctl, struct zygote_request *rq, int fds[ZYGOTE_NFDS])
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * ZYGOTE_NFDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = rq, .iov_len = sizeof(*rq) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	size_t nfds = 0;
	ssize_t n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);

	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (nfds < ZYGOTE_NFDS)
				fds[nfds++] = fd;
			else
				close(fd);
		}
	}
	if (n != (ssize_t)sizeof(*rq) || rq->magic != ZYGOTE_MAGIC || nfds != ZYGOTE_NFDS ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    memchr(rq->client, '\0', sizeof(rq->client)) == NULL) {
		while (nfds > 0)
			close(fds[--nfds]);
		return -EBADMSG;
	}
	return 1;
}

static void send_reply(int ctl, int32_t pid)
{
	struct zygote_reply rp = { .magic = ZYGOTE_MAGIC, .pid = pid };

	if (send(ctl, &rp, sizeof(rp), MSG_NOSIGNAL) < 0)
		log_err("zygote: reply to main: %s", strerror(errno));
}

/* In the worker: the connection's descriptors on 3, 4 and 5 (moved out of
 * the way first, so dup2 cannot clobber one with another), the name an
 * exec'd worker has, then the connection. Never returns. */
static void serve(struct worker *w, int ctl, const struct zygote_request *rq,
		  const int fds[ZYGOTE_NFDS])
{
	int high[ZYGOTE_NFDS];

	close(ctl);
	for (int i = 0; i < ZYGOTE_NFDS; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		if (high[i] < 0) {
			log_err("worker setup: %s", strerror(errno));
			_exit(127);
		}
		close(fds[i]);
	}
	for (int i = 0; i < ZYGOTE_NFDS; i++) {
		if (dup2(high[i], WORKER_TCP_FD + i) < 0) {
			log_err("worker setup: %s", strerror(errno));
			_exit(127);
		}
		close(high[i]);
	}
	(void)prctl(PR_SET_NAME, "ocserv-modern-worker", 0, 0, 0);
	log_set_level((enum log_level)rq->log_level);
	exit(worker_serve(w, rq->client[0] != '\0' ? rq->client : NULL));
}

/* In the middle process: the worker's PID (or -errno) to the zygote, then
 * its exit, which hands the worker to main. Never returns. */
static void middle(struct worker *w, int ctl, const struct zygote_request *rq,
		   const int fds[ZYGOTE_NFDS], const int pfd[2])
{
	pid_t pid;
	int32_t v;

	close(pfd[0]);
	pid = fork();
	if (pid == 0) {
		close(pfd[1]);
		serve(w, ctl, rq, fds);
	}
	v = pid < 0 ? -errno : pid;
	_exit(write(pfd[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
}

/*
 * A worker for the request: its PID, or -errno. The middle process writes
 * the PID to a pipe and exits; the zygote replies only once it has reaped
 * the middle one, when the kernel has made the worker main's child
 * already: main checks that what it is told is its child (main-zygote.c)
 * and would refuse the PID of a worker not yet handed over.
 */
static int32_t fork_worker(struct worker *w, int ctl, const struct zygote_request *rq,
			   const int fds[ZYGOTE_NFDS])
{
	pid_t mid;
	int32_t v = -ECHILD;
	int pfd[2], st;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	/* nothing buffered may be written twice */
	fflush(NULL);
	mid = fork();
	if (mid < 0) {
		v = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return v;
	}
	if (mid == 0)
		middle(w, ctl, rq, fds, pfd);
	close(pfd[1]);
	do
		n = read(pfd[0], &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(mid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	/* no PID, or a middle process that failed: a worker may exist that
	 * nobody can name */
	if (n != (ssize_t)sizeof(v) || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || v == 0)
		return -ECHILD;
	return v;
}

/* The zygote holds no secret, but it is the image of every worker: no core
 * dump, no ptrace by another process of run-as-user, no gain of
 * privileges by whatever it or a worker could ever execute. */
static int harden(void)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    setrlimit(RLIMIT_CORE, &rl) < 0) {
		log_err("zygote: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* main's socket on fd ZYGOTE_CTL_FD, moved above the worker's 3-5. */
static int take_ctl(void)
{
	int type = 0, ctl;
	socklen_t len = sizeof(type);

	if (getsockopt(ZYGOTE_CTL_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		log_err("fd %d is not main's zygote socket", ZYGOTE_CTL_FD);
		return -1;
	}
	ctl = fcntl(ZYGOTE_CTL_FD, F_DUPFD_CLOEXEC, 10);
	if (ctl < 0) {
		log_err("zygote: fcntl: %s", strerror(errno));
		return -1;
	}
	close(ZYGOTE_CTL_FD);
	return ctl;
}

#ifdef ENABLE_TEST_HOOKS
/*
 * Test builds only (--enable-test-hooks; test-worker-zygote-forged.sh):
 * while the file OCSM_TEST_ZYGOTE_FORGED_PID names holds a PID, the zygote
 * makes no worker and replies with that PID, as a compromised zygote could.
 */
static int32_t test_forged_pid(void)
{
	const char *path = getenv("OCSM_TEST_ZYGOTE_FORGED_PID");
	FILE *f = path != NULL ? fopen(path, "r") : NULL;
	long pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT32_MAX)
		pid = 0;
	fclose(f);
	if (pid > 0)
		log_info("test hook: the zygote names pid %ld as its worker", pid);
	return (int32_t)pid;
}
#else
static int32_t test_forged_pid(void)
{
	return 0;
}
#endif

int zygote_run(const char *cfg_path)
{
	struct worker *w;
	int ctl;

	/* told from the workers by its name (ocserv-modern-z) as early as it can */
	(void)prctl(PR_SET_NAME, "ocserv-modern-zygote", 0, 0, 0);
	ctl = take_ctl();
	if (ctl < 0)
		return 1;
	w = worker_prepare(cfg_path, true);
	if (w == NULL || harden() < 0)
		return 1;
	/* compiled here once, loaded by each worker (sandbox.h) */
	if (w->cfg.isolate_workers && sandbox_prepare() < 0)
		return 1;
	log_debug("zygote ready");
	for (;;) {
		struct zygote_request rq;
		int fds[ZYGOTE_NFDS];
		int32_t r;
		int n = recv_request(ctl, &rq, fds);

		if (n == 0)
			break;
		if (n == -EINTR)
			continue;
		if (n == -EBADMSG) {
			log_err("zygote: malformed request from main: refused");
			send_reply(ctl, -EBADMSG);
			continue;
		}
		if (n < 0) {
			log_err("zygote: socket to main: %s", strerror(-n));
			return 1;
		}
		r = test_forged_pid();
		if (r == 0)
			r = fork_worker(w, ctl, &rq, fds);
		for (int i = 0; i < ZYGOTE_NFDS; i++)
			close(fds[i]);
		send_reply(ctl, r);
	}
	log_debug("zygote: main closed its socket: exiting");
	return 0;
}
