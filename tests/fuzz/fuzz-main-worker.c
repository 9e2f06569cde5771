/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for main's handling of what its workers send
 * (src/main/main-worker.c, ipc_cb and the handlers behind it): whatever
 * datagrams a broken or compromised worker writes to its IPC socket, main
 * decodes them, acts on those that belong to the worker's state, ends the
 * worker for the others, and never crashes; everything main sends back to a
 * worker or to sec-mod frames and decodes again.
 *
 * Each input runs a fresh main: its real tables (bans, session mirror, pool,
 * control counters) on a private libev loop, three workers adopted with
 * main_worker_adopt on socketpairs (no process behind them), and a
 * socketpair where sec-mod would be. Stubs: kill() (this program's
 * definition wins over libc's) only counts, so no signal leaves the
 * process; main.c (main(), signals, shutdown) is not linked: the rig wires
 * what it would (sec-mod's handlers, whose "lost" ends every worker as
 * main.c's shutdown does); nothing answers for sec-mod, so a login or a
 * CONNECT stops where main waits for sec-mod's answer (sec-mod's side is
 * fuzz-secmod).
 *
 * Input: records of [1 byte: who][2-byte big-endian length][datagram].
 * who & 3 picks the worker (3: none, the loop just runs), who & 0x80 closes
 * that worker's end after the datagram (an exiting worker).
 */

#define _GNU_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ev.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "main/main-config.h"
#include "main/main-ctl.h"
#include "main/main-secmod.h"
#include "main/main-session.h"
#include "main/main.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_WORKERS 3

static struct config cfg;
static unsigned long kills;

int kill(pid_t pid, int sig)
{
	(void)pid;
	(void)sig;
	kills++;
	return 0;
}

/* What main.c does when sec-mod is lost, as far as the workers see it. */
static void secmod_lost(struct server *srv)
{
	/* no listeners, no loop to leave */
	srv->exit_code = 1;
	if (!srv->shutting_down) {
		srv->shutting_down = true;
		main_session_terminate_all(srv);
	}
}

static const struct main_secmod_handlers secmod_handlers = {
	.on_auth_reply = main_session_on_sm_auth_reply,
	.on_open_reply = main_session_on_sm_open_reply,
	.on_session = main_session_on_sm_session,
	.on_probe = main_session_on_sm_probe,
	.lost = secmod_lost,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char text[] =
		"auth = \"plain[passwd=/dev/null]\"\n"
		"server-cert = /nonexistent/cert.pem\n"
		"server-key = /nonexistent/key.pem\n"
		"ipv4-network = 192.168.77.0\n"
		"ipv4-netmask = 255.255.255.0\n"
		"max-ban-score = 80\n"
		"max-same-clients = 2\n";
	char path[] = "/tmp/fuzz-main-worker-XXXXXX";
	struct config_diag diag = { 0 };
	int fd = mkstemp(path);

	(void)argc;
	(void)argv;
	log_init("fuzz-main-worker", LOG_LVL_ERR);
	signal(SIGPIPE, SIG_IGN);
	if (fd < 0 || write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		abort();
	close(fd);
	if (config_load(path, &cfg, &diag) < 0) {
		fprintf(stderr, "fuzz-main-worker: %s\n", diag.msg);
		abort();
	}
	unlink(path);
	return 0;
}

static void nothing_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void nothing_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

struct rig {
	struct server srv;
	int secmod_peer;
	int peer[N_WORKERS];   /* the worker's end of each IPC socketpair; -1: closed */
};

static void rig_up(struct rig *g)
{
	struct server *srv = &g->srv;
	struct ban_cfg bc;
	struct vpn_session_cfg sc;
	int sp[2];

	memset(g, 0, sizeof(*g));
	srv->cfg = cfg; /* shared, never freed per input */
	srv->loop = ev_loop_new(EVFLAG_AUTO);
	if (srv->loop == NULL)
		abort();
	ev_set_userdata(srv->loop, srv);
	main_ban_cfg(&srv->cfg, &bc);
	main_session_cfg(&srv->cfg, &sc);
	srv->bans = ban_new(&bc);
	srv->sessions = session_table_new(&sc, main_session_mirror_end, srv);
	if (srv->bans == NULL || srv->sessions == NULL || main_ctl_init(srv) < 0 ||
	    ippool_init(&srv->pool, srv->cfg.ipv4_network, srv->cfg.ipv4_prefix) < 0)
		abort();
	/* where sec-mod would be: main's end non-blocking, as main_secmod_fork leaves it */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		abort();
	srv->secmod_fd = sp[0];
	g->secmod_peer = sp[1];
	srv->secmod_pid = 1000000;
	srv->secmod_h = &secmod_handlers;
	ipc_outq_init(&srv->secmod_q, 1u << 20);
	ev_io_init(&srv->secmod_wr, nothing_cb, srv->secmod_fd, EV_WRITE);
	ev_init(&srv->secmod_stall_w, nothing_timer_cb);
	srv->secmod_stall_w.repeat = 10.;
	for (int i = 0; i < N_WORKERS; i++) {
		struct worker_proc *w = calloc(1, sizeof(*w));
		char ip[INET_ADDRSTRLEN];

		if (w == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			abort();
		w->ipc_fd = -1;
		w->tun.fd = -1;
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		if (ban_addr_parse(ip, &w->addr) < 0)
			abort();
		ban_addr_str(&w->addr, w->remote_ip, sizeof(w->remote_ip));
		snprintf(w->local_ip, sizeof(w->local_ip), "192.0.2.100");
		w->remote_port = (uint16_t)(40000 + i);
		/* pids nobody has: kill() is a stub anyway */
		main_worker_adopt(srv, w, (pid_t)(1000001 + i), sp[0]);
		(void)fcntl(sp[1], F_SETFL, O_NONBLOCK);
		g->peer[i] = sp[1];
	}
}

/* Read everything main sent on fd: it must decode. */
static void drain(int fd)
{
	for (;;) {
		struct ipc_msg m;
		int r = ipc_recv(fd, &m);

		if (r == -EAGAIN || r == IPC_E_EOF)
			return;
		if (r == -EINTR)
			continue;
		if (r < 0)
			abort(); /* main sent something that does not decode */
		ipc_msg_free(&m);
	}
}

static void rig_down(struct rig *g)
{
	struct server *srv = &g->srv;

	main_forget_workers(srv);
	main_session_forget_all(srv);
	main_ctl_stop(srv);
	session_table_free(srv->sessions);
	ban_free(srv->bans);
	ippool_destroy(&srv->pool);
	ipc_outq_clear(&srv->secmod_q);
	ev_io_stop(srv->loop, &srv->secmod_wr);
	ev_timer_stop(srv->loop, &srv->secmod_stall_w);
	if (srv->secmod_fd >= 0)
		close(srv->secmod_fd);
	close(g->secmod_peer);
	for (int i = 0; i < N_WORKERS; i++)
		if (g->peer[i] >= 0)
			close(g->peer[i]);
	ev_loop_destroy(srv->loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rig g;
	size_t off = 0;

	rig_up(&g);
	while (off + 3 <= size) {
		uint8_t who = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		int i = who & 3;

		off += 3;
		if (len > size - off)
			len = size - off;
		if (i < N_WORKERS && g.peer[i] >= 0) {
			(void)send(g.peer[i], data + off, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (who & 0x80) {
				close(g.peer[i]);
				g.peer[i] = -1;
			}
		}
		off += len;
		ev_run(g.srv.loop, EVRUN_NOWAIT);
		if (g.srv.secmod_fd >= 0)
			drain(g.secmod_peer);
		for (int k = 0; k < N_WORKERS; k++)
			if (g.peer[k] >= 0)
				drain(g.peer[k]);
	}
	rig_down(&g);
	return 0;
}
