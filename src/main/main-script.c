/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* close_range */

/*
 * Running connect-script and disconnect-script (main-script.h). One record
 * per running script, with a timer that kills its process group when it
 * runs too long; libev's child watcher (main.c) reaps it and
 * main_script_exited() says how it ended.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "main/main-script.h"
#include "main/main.h"

struct main_script {
	pid_t pid;
	enum main_script_kind kind;
	uint64_t serial;
	pid_t worker_pid;
	main_script_done_fn *done;
	bool timed_out;
	ev_timer timeout_w;
	struct server *srv;
	struct main_script *next;
};

static const char *kind_str(enum main_script_kind k)
{
	switch (k) {
	case MAIN_SCRIPT_CONNECT:
		return "connect-script";
	case MAIN_SCRIPT_DISCONNECT:
		return "disconnect-script";
	}
	return "script";
}

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct main_script *sc = t->data;

	log_warn("%s (pid %ld) still running after %.0f s: killing it", kind_str(sc->kind),
		 (long)sc->pid, MAIN_SCRIPT_TIMEOUT_S);
	sc->timed_out = true;
	if (kill(-sc->pid, SIGKILL) < 0 && errno == ESRCH)
		(void)kill(sc->pid, SIGKILL);
}

/* In the child: never returns. */
static void exec_script(const char *path, char *const *env)
{
	char *argv[] = { (char *)path, NULL };
	sigset_t none;
	int fd;

	(void)setpgid(0, 0);
	for (char *const *e = env; *e != NULL; e++)
		(void)putenv(*e);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		(void)dup2(fd, STDIN_FILENO);
	/* stdout: into the log stream like stderr */
	(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	if (close_range(3, ~0U, 0) < 0) {
		for (int i = 3; i < 1024; i++)
			(void)close(i);
	}
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	fprintf(stderr, "ocserv-modern: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int main_script_run(struct server *srv, enum main_script_kind kind, const char *path,
		    char *const *env, uint64_t serial, pid_t worker_pid, main_script_done_fn *done)
{
	struct main_script *sc = calloc(1, sizeof(*sc));
	pid_t pid;
	int err;

	if (sc == NULL) {
		log_err("%s: out of memory", kind_str(kind));
		return -ENOMEM;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		log_err("%s %s: fork: %s", kind_str(kind), path, strerror(err));
		free(sc);
		return -err;
	}
	if (pid == 0)
		exec_script(path, env);
	/* also here: no window where the timer's kill(-pid) misses the group */
	(void)setpgid(pid, pid);
	sc->pid = pid;
	sc->kind = kind;
	sc->serial = serial;
	sc->worker_pid = worker_pid;
	sc->done = done;
	sc->srv = srv;
	ev_timer_init(&sc->timeout_w, timeout_cb, MAIN_SCRIPT_TIMEOUT_S, 0.);
	sc->timeout_w.data = sc;
	if (srv->loop != NULL)
		ev_timer_start(srv->loop, &sc->timeout_w);
	sc->next = srv->scripts;
	srv->scripts = sc;
	log_debug("%s %s started (pid %ld) for session %llu", kind_str(kind), path, (long)pid,
		  (unsigned long long)serial);
	return 0;
}

bool main_script_owns(const struct server *srv, pid_t pid)
{
	for (const struct main_script *sc = srv->scripts; sc != NULL; sc = sc->next)
		if (sc->pid == pid)
			return true;
	return false;
}

bool main_script_exited(struct server *srv, pid_t pid, int status)
{
	struct main_script **pp, *sc = NULL;
	bool ok;

	for (pp = &srv->scripts; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			sc = *pp;
			*pp = sc->next;
			break;
		}
	}
	if (sc == NULL)
		return false;
	ev_timer_stop(srv->loop, &sc->timeout_w);
	ok = !sc->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ok)
		log_debug("%s (pid %ld) for session %llu exited with status 0", kind_str(sc->kind),
			  (long)pid, (unsigned long long)sc->serial);
	else if (WIFEXITED(status))
		log_warn("%s (pid %ld) for session %llu %s with status %d", kind_str(sc->kind),
			 (long)pid, (unsigned long long)sc->serial,
			 sc->timed_out ? "timed out" : "exited", WEXITSTATUS(status));
	else
		log_warn("%s (pid %ld) for session %llu %s by signal %d", kind_str(sc->kind),
			 (long)pid, (unsigned long long)sc->serial,
			 sc->timed_out ? "timed out, killed" : "killed",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (sc->done != NULL)
		sc->done(srv, sc->serial, sc->worker_pid, ok);
	free(sc);
	return true;
}

void main_scripts_forget(struct server *srv)
{
	while (srv->scripts != NULL) {
		struct main_script *sc = srv->scripts;

		srv->scripts = sc->next;
		if (srv->loop != NULL)
			ev_timer_stop(srv->loop, &sc->timeout_w);
		free(sc);
	}
}
