/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The chain of authentication factors (auth.h) and the plain backend.
 *
 * A backend may answer from inside start()/answer() or from a job's done
 * callback, and the owner may free the login from inside its done
 * callback: every entry into a login counts its depth, and a free while
 * the depth is not zero only marks it; the outermost entry frees it on
 * its way out.
 */

#include "sec-mod/auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sec-mod/session-table.h"

struct auth_chain {
	struct auth_factor f[AUTH_MAX_FACTORS];
	size_t n;
	struct auth_exec exec;
	unsigned refs;		/* logins using it */
	bool dropped;		/* auth_chain_free() was called */
};

/* A job between auth_step_submit() and its done: login NULL once the login
 * is gone (the result is then dropped). */
struct job_wrap;

struct auth_step {
	struct auth_login *login;
	void *state;
};

struct auth_login {
	struct auth_chain *chain;
	struct auth_info info;
	size_t factor;		/* the one running */
	struct auth_step step;
	char *groups;		/* from the first factor that knew them */
	struct session_attrs *attrs;	/* likewise, the session's own values */
	auth_done_fn done;
	void *opaque;
	uint64_t job;		/* the job running for it; 0: none */
	struct job_wrap *wrap;	/* that job's wrapper (to detach it) */
	unsigned depth;		/* entries on the stack */
	bool doomed;		/* freed while entered: free on the way out */
	bool finished;		/* the final verdict was given */
};

/* --- the chain ----------------------------------------------------------------- */

struct auth_chain *auth_chain_new(const struct auth_factor *f, size_t n,
				  const struct auth_exec *exec)
{
	struct auth_chain *c;

	if (n == 0 || n > AUTH_MAX_FACTORS || f == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (f[i].backend == NULL || f[i].backend->start == NULL)
			return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	memcpy(c->f, f, n * sizeof(*f));
	c->n = n;
	if (exec != NULL)
		c->exec = *exec;
	return c;
}

void auth_chain_free(struct auth_chain *c)
{
	if (c == NULL)
		return;
	c->dropped = true;
	if (c->refs == 0)
		free(c);
}

static void release_step(struct auth_login *l)
{
	const struct auth_backend *b = l->chain->f[l->factor].backend;

	if (b->release != NULL)
		b->release(&l->step);
	l->step.state = NULL;
}

struct job_wrap {
	struct auth_login *login;
	offload_work_fn work;
	offload_done_fn done;
	void *arg;
};

static void login_destroy(struct auth_login *l);

static void enter(struct auth_login *l)
{
	l->depth++;
}

static void leave(struct auth_login *l)
{
	if (--l->depth == 0 && l->doomed)
		login_destroy(l);
}

struct auth_login *auth_login_new(struct auth_chain *c, const struct auth_info *info,
				  auth_done_fn done, void *opaque)
{
	struct auth_login *l = calloc(1, sizeof(*l));

	if (l != NULL) {
		l->info.username = strdup(info->username);
		l->info.group = info->group != NULL ? strdup(info->group) : NULL;
		l->info.remote_ip = strdup(info->remote_ip);
	}
	if (l == NULL || l->info.username == NULL || l->info.remote_ip == NULL ||
	    (info->group != NULL && l->info.group == NULL)) {
		if (info->passwd_fd >= 0)
			close(info->passwd_fd);
		if (l != NULL) {
			l->info.passwd_fd = -1;
			login_destroy(l);
		}
		return NULL;
	}
	l->info.passwd_fd = info->passwd_fd;
	l->chain = c;
	c->refs++;
	l->done = done;
	l->opaque = opaque;
	l->step.login = l;
	return l;
}

static void login_destroy(struct auth_login *l)
{
	if (l->job != 0) {
		l->wrap->login = NULL; /* its result is dropped */
		if (l->chain->exec.cancel != NULL)
			l->chain->exec.cancel(l->chain->exec.opaque, l->job);
	}
	if (l->chain != NULL && !l->finished)
		release_step(l);
	if (l->info.passwd_fd >= 0)
		close(l->info.passwd_fd);
	free((char *)l->info.username);
	free((char *)l->info.group);
	free((char *)l->info.remote_ip);
	free(l->groups);
	free(l->attrs);
	if (l->chain != NULL && --l->chain->refs == 0 && l->chain->dropped)
		free(l->chain);
	free(l);
}

void auth_login_free(struct auth_login *l)
{
	if (l == NULL)
		return;
	if (l->depth > 0) {
		l->doomed = true;
		return;
	}
	login_destroy(l);
}

static void start_factor(struct auth_login *l, const char *answer)
{
	l->chain->f[l->factor].backend->start(&l->step, answer);
}

void auth_login_start(struct auth_login *l, const char *password)
{
	enter(l);
	start_factor(l, password);
	leave(l);
}

void auth_login_answer(struct auth_login *l, const char *answer)
{
	const struct auth_backend *b = l->chain->f[l->factor].backend;
	const struct auth_result err = { .verdict = AUTH_ERROR, .message = "no answer expected" };

	enter(l);
	if (l->finished || l->job != 0 || b->answer == NULL)
		auth_step_done(&l->step, &err);
	else
		b->answer(&l->step, answer);
	leave(l);
}

void auth_step_done(struct auth_step *st, const struct auth_result *r)
{
	struct auth_login *l = st->login;
	struct auth_result out = *r;

	if (l->finished || l->doomed)
		return;
	enter(l);
	if (r->verdict == AUTH_ACCEPT) {
		if (l->groups == NULL && r->groups != NULL)
			l->groups = strdup(r->groups);
		if (l->attrs == NULL && r->attrs != NULL &&
		    (l->attrs = malloc(sizeof(*l->attrs))) != NULL)
			*l->attrs = *r->attrs;
		release_step(l);
		if (l->factor + 1 < l->chain->n) {
			l->factor++;
			start_factor(l, NULL);
			leave(l);
			return;
		}
		out.groups = l->groups != NULL ? l->groups : "";
		out.attrs = l->attrs;
	}
	if (r->verdict != AUTH_CONTINUE) {
		if (r->verdict != AUTH_ACCEPT)
			release_step(l);
		l->finished = true;
	}
	l->done(l->opaque, l, &out);
	leave(l);
}

const struct auth_info *auth_step_info(const struct auth_step *st)
{
	return &st->login->info;
}

void *auth_step_config(const struct auth_step *st)
{
	const struct auth_login *l = st->login;

	return l->chain->f[l->factor].config;
}

struct ev_loop *auth_step_loop(const struct auth_step *st)
{
	return st->login->chain->exec.loop;
}

void **auth_step_state(struct auth_step *st)
{
	return &st->state;
}

/* --- jobs ---------------------------------------------------------------------- */

static void wrap_work(void *opaque)
{
	struct job_wrap *w = opaque;

	w->work(w->arg);
}

static void wrap_done(void *opaque, bool cancelled)
{
	struct job_wrap *w = opaque;
	struct auth_login *l = w->login;

	if (l == NULL || cancelled) {
		w->done(w->arg, true);
		free(w);
		return;
	}
	l->job = 0;
	l->wrap = NULL;
	enter(l);
	w->done(w->arg, false);
	free(w);
	leave(l);
}

int auth_step_submit(struct auth_step *st, offload_work_fn work, offload_done_fn done, void *arg)
{
	struct auth_login *l = st->login;
	const struct auth_exec *x = &l->chain->exec;
	struct job_wrap *w;
	uint64_t id = 0;
	int r;

	if (l->job != 0)
		return -EBUSY;
	if (x->submit == NULL) {
		work(arg);
		done(arg, false);
		return 0;
	}
	w = malloc(sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	*w = (struct job_wrap){ .login = l, .work = work, .done = done, .arg = arg };
	r = x->submit(x->opaque, wrap_work, wrap_done, w, &id);
	if (r < 0) {
		free(w);
		return r;
	}
	l->job = id;
	l->wrap = w;
	return 0;
}

/* --- plain[passwd=FILE] ---------------------------------------------------------- */

struct plain_job {
	struct auth_step *st;
	const struct auth_plain_cfg *cfg;
	int fd;
	char *file;		/* a reload may change the config meanwhile */
	char *user;
	char *password;
	char groups[512];
	int rc;
};

static void plain_job_free(struct plain_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->password != NULL)
		explicit_bzero(j->password, strlen(j->password));
	free(j->password);
	free(j->file);
	free(j->user);
	free(j);
}

static void plain_work(void *arg)
{
	struct plain_job *j = arg;

	j->rc = j->cfg->check(j->cfg->opaque, j->file, j->fd, j->user, j->password,
			      j->groups, sizeof(j->groups));
	/* checked: the password has no business staying in memory */
	explicit_bzero(j->password, strlen(j->password));
}

static void plain_done(void *arg, bool cancelled)
{
	struct plain_job *j = arg;
	struct auth_result r = { .verdict = AUTH_ACCEPT, .groups = j->groups };

	if (!cancelled) {
		if (j->rc == -ENOENT) {
			r = (struct auth_result){ .verdict = AUTH_REJECT, .message = "no such user" };
		} else if (j->rc == -EACCES) {
			r = (struct auth_result){ .verdict = AUTH_REJECT,
						  .message = "wrong password or locked account" };
		} else if (j->rc < 0) {
			r = (struct auth_result){ .verdict = AUTH_ERROR,
						  .message = strerror(-j->rc) };
		}
		auth_step_done(j->st, &r);
	}
	plain_job_free(j);
}

static void plain_start(struct auth_step *st, const char *answer)
{
	const struct auth_info *info = auth_step_info(st);
	struct plain_job *j = calloc(1, sizeof(*j));
	struct auth_result busy = { .verdict = AUTH_BUSY, .message = "too many logins at once" };
	int r = -ENOMEM;

	if (j != NULL) {
		j->st = st;
		j->cfg = auth_step_config(st);
		/* the job's own: a cancelled job may outlive the login */
		j->fd = info->passwd_fd >= 0 ? dup(info->passwd_fd) : -1;
		j->user = strdup(info->username);
		j->file = strdup(j->cfg->passwd_file);
		j->password = strdup(answer != NULL ? answer : "");
		if (j->user != NULL && j->password != NULL && j->file != NULL &&
		    (info->passwd_fd < 0 || j->fd >= 0))
			r = auth_step_submit(st, plain_work, plain_done, j);
	}
	if (r == 0)
		return;
	if (j != NULL)
		plain_job_free(j);
	if (r != -EBUSY)
		busy = (struct auth_result){ .verdict = AUTH_ERROR, .message = strerror(-r) };
	auth_step_done(st, &busy);
}

const struct auth_backend auth_backend_plain = {
	.name = "plain",
	.start = plain_start,
};
