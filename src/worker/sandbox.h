/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_SANDBOX_H
#define OCSM_SANDBOX_H

/*
 * The worker's confinement (doc/security.md, "Worker sandbox"), applied once
 * everything the worker needs is loaded (configuration, certificate chain,
 * TLS and event-loop setup) and before it reads the first client byte:
 *
 *   always             PR_SET_DUMPABLE 0 (no other process of its user may
 *                      ptrace it or read its memory), PR_SET_NO_NEW_PRIVS,
 *                      RLIMIT_NPROC 0 (no new process), RLIMIT_NOFILE
 *                      SANDBOX_MAX_FDS, RLIMIT_CORE 0
 *   isolate-workers    a seccomp filter: the system calls of the list in
 *                      sandbox.c are allowed (kill and tgkill only towards
 *                      the worker itself: a prefix to the list's program), open/openat and socket fail with
 *                      EACCES, and any other system call traps: the SIGSYS
 *                      handler tells main which one (SandboxViolation on the
 *                      IPC socket), writes it to stderr and the worker dies
 *                      of SIGSYS. main logs "worker PID (ADDR) killed by
 *                      SIGSYS: forbidden system call NAME".
 *
 * With chroot-dir set, the worker first changes its root to that directory
 * (only possible while main still runs it as root: see sandbox.c).
 */

#include <stdbool.h>

/* Descriptors a worker may have open: stdio, TCP, IPC, key channel, epoll,
 * the event loop's own, tun and a few DTLS sockets. */
#define SANDBOX_MAX_FDS 64

/*
 * Compile the seccomp filter of the list (everything but the PID, which
 * each worker puts in a small prefix of its own) once: the zygote calls it,
 * so that its workers only load it; sandbox_apply calls it if nobody did.
 * Returns 0, or -errno (logged).
 */
int sandbox_prepare(void);

/*
 * Confine the calling worker; ipc_fd is where a SandboxViolation goes.
 * Returns 0, or -errno (logged) after which the worker must exit: a worker
 * is never left half-confined.
 */
int sandbox_apply(bool seccomp, int ipc_fd);

/* The name of system call nr of this architecture ("unknown" if none):
 * main's log line. Allocation-free, not for signal handlers. */
const char *sandbox_syscall_name(int nr, char *buf, unsigned len);

#endif
