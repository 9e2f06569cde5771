/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_ZYGOTE_H
#define OCSM_ZYGOTE_H

/*
 * The worker zygote (worker-zygote = true): one long-lived
 * ocserv-modern-worker -Z, started by main like a worker (run-as-user,
 * no capability), that loads once what every worker needs and no
 * connection owns: the configuration, the user profile, the certificate
 * chain and the parsed TLS priorities (never the private key: it stays in
 * sec-mod). For each connection main sends it one zygote_request with the
 * connection's three descriptors (SCM_RIGHTS: the client's TCP socket, the
 * worker's IPC socket, its key channel to sec-mod) and waits for one
 * zygote_reply: the new worker's PID, or -errno.
 *
 * The worker is forked twice (fork, fork, the middle one exits) so that
 * glibc's and GnuTLS's fork handlers run (GnuTLS reseeds its random
 * generator after a fork it sees) and the worker is an orphan that the
 * kernel gives to main, a child subreaper (PR_SET_CHILD_SUBREAPER): main
 * stays the parent that reaps, tracks and signals every worker. The middle
 * process tells the zygote the worker's PID over a pipe and exits; the
 * zygote replies only after it has reaped it, when the worker is main's
 * child already: main refuses a PID that is not its child (a compromised
 * zygote must not make main signal another process). The worker
 * then does what an exec'd one does from its sockets on (worker_serve):
 * sandbox included. doc/security.md: what sharing one address layout costs.
 *
 * The zygote ends when main closes its socket (or on SIGTERM). Both ends
 * are the same build: the messages are plain structures.
 */

#include <netinet/in.h>
#include <stdint.h>

#define ZYGOTE_CTL_FD 3          /* main's socket, in the zygote at exec */
#define ZYGOTE_MAGIC 0x6f637a31u /* "ocz1" */
#define ZYGOTE_NFDS 3            /* tcp, ipc, key: fds 3, 4, 5 of the worker */

struct zygote_request {
	uint32_t magic;
	int32_t log_level;              /* the worker's log level */
	char client[INET6_ADDRSTRLEN];  /* listen-proxy-proto: the client's address; "": none */
};

struct zygote_reply {
	uint32_t magic;
	int32_t pid;                    /* the worker's PID, or -errno */
};

/* The zygote's life: prepare, then serve main's requests until it closes
 * the socket. Returns the exit code; in each worker it does not return
 * (the worker exits with worker_serve's code). */
int zygote_run(const char *cfg_path);

#endif
