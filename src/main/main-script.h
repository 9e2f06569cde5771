/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_MAIN_SCRIPT_H
#define OCSM_MAIN_SCRIPT_H

/*
 * connect-script and disconnect-script, run by main (it has the privileges
 * and knows the device and the address), once per session:
 *
 *   first CONNECT of a session --> connect-script; the CONNECT is answered
 *                                  when it exits: 0 lets the client in,
 *                                  anything else (or no exit within
 *                                  MAIN_SCRIPT_TIMEOUT_S) ends the session
 *                                  and the CONNECT gets 401
 *   resumes, takeovers         --> nothing: the session, its address and
 *                                  (keep-tun-on-resume) its device stay
 *   the session ends           --> disconnect-script, with the end reason,
 *   (whatever the reason)          if the session was let in; main does
 *                                  not wait for it
 *
 * The environment is script-env.h's. A script runs with main's privileges
 * and main's other environment variables, stdin from /dev/null, stdout and
 * stderr into main's log stream, in a process group of its own, which is
 * killed (SIGKILL) if it runs longer than MAIN_SCRIPT_TIMEOUT_S.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MAIN_SCRIPT_TIMEOUT_S 15.0

struct server;

enum main_script_kind {
	MAIN_SCRIPT_CONNECT = 0,
	MAIN_SCRIPT_DISCONNECT,
};

/* A script for the session serial, started for worker_pid, ended: ok = exit
 * status 0 within MAIN_SCRIPT_TIMEOUT_S. */
typedef void main_script_done_fn(struct server *srv, uint64_t serial, pid_t worker_pid, bool ok);

/* Start path with env (NULL-terminated "NAME=value"; copied, the caller
 * keeps it) for the session serial and the worker waiting for a connect
 * script (0 for disconnect). Returns 0, or -errno (logged) if it could not
 * be started. Its end calls done (NULL: nothing to call), so this module
 * calls no other module of main. */
int main_script_run(struct server *srv, enum main_script_kind kind, const char *path,
		    char *const *env, uint64_t serial, pid_t worker_pid, main_script_done_fn *done);

/* A child was reaped: true if it was one of our scripts. */
bool main_script_exited(struct server *srv, pid_t pid, int status);
/* pid is a script main started and has not reaped yet. */
bool main_script_owns(const struct server *srv, pid_t pid);

/* At exit: stop tracking the running scripts (they are left to finish). */
void main_scripts_forget(struct server *srv);

#endif
