/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The PAM backend of sec-mod (auth.h): each login is a conversation
 * process of the PAM helper (pam-helper.h), driven from sec-mod's loop
 * through the login's own socket, never waiting for it:
 *
 *   start(password)  START to the helper with the login's socket
 *   PROMPT           the first hidden one is answered with the login form's
 *                    password; any later one is a further form (AUTH_CONTINUE,
 *                    with the INFO/ERROR texts that came before it)
 *   answer(text)     ANSWER
 *   ACCEPT/REJECT/FAIL, or the socket closing: the verdict
 */

#include "sec-mod/auth.h"
#include "sec-mod/pam-helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Conversations at once; more logins are refused as busy. */
#define PAM_MAX_CONVERSATIONS 128u

static unsigned n_conversations;

struct pam_conv_state {
	struct auth_step *st;
	struct ev_loop *loop;
	ev_io io;
	int fd;
	char *first;			/* the form's password, until PAM asks for it */
	char info[AUTH_MESSAGE_MAX];	/* texts for the next further form */
};

static void append_info(struct pam_conv_state *c, const char *text)
{
	size_t used = strlen(c->info);

	snprintf(c->info + used, sizeof(c->info) - used, "%s%s", used > 0 ? "\n" : "", text);
}

static void wipe_first(struct pam_conv_state *c)
{
	if (c->first != NULL) {
		explicit_bzero(c->first, strlen(c->first));
		free(c->first);
		c->first = NULL;
	}
}

/* A verdict: after auth_step_done() the state may be gone. */
static void verdict(struct pam_conv_state *c, enum auth_verdict v, const char *text)
{
	struct auth_result r = { .verdict = v };

	if (v == AUTH_ACCEPT)
		r.groups = text;
	else if (v == AUTH_CONTINUE)
		r = (struct auth_result){ .verdict = v, .prompt = text,
					  .message = c->info[0] != '\0' ? c->info : NULL };
	else
		r.message = text;
	auth_step_done(c->st, &r);
}

/* One message of the conversation; true when a verdict was given (stop:
 * the state may be gone). */
static bool on_msg(struct pam_conv_state *c, enum pamh_type t, const char *text)
{
	switch (t) {
	case PAMH_INFO:
	case PAMH_ERROR:
		append_info(c, text);
		return false;
	case PAMH_PROMPT:
		if (c->first != NULL) {
			int r = pamh_send(c->fd, PAMH_ANSWER, c->first, strlen(c->first), -1);

			wipe_first(c);
			if (r == 0)
				return false;
			verdict(c, AUTH_ERROR, r == -EPIPE || r == -ECONNRESET
				? "the PAM conversation ended" : strerror(-r));
			return true;
		}
		/* a further form */
		verdict(c, AUTH_CONTINUE, text);
		return true;
	case PAMH_PROMPT_ECHO:
		verdict(c, AUTH_CONTINUE, text);
		return true;
	case PAMH_ACCEPT:
		verdict(c, AUTH_ACCEPT, text);
		return true;
	case PAMH_REJECT:
		verdict(c, AUTH_REJECT, text);
		return true;
	default:
		verdict(c, AUTH_ERROR, text);
		return true;
	}
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pam_conv_state *c = w->data;
	char buf[PAMH_MAX_MSG + 1];

	(void)loop;
	(void)revents;
	for (;;) {
		enum pamh_type t;
		ssize_t n = pamh_recv(c->fd, &t, buf, sizeof(buf), NULL);

		if (n == -EAGAIN || n == -EINTR)
			return;
		if (n < 0) {
			verdict(c, AUTH_ERROR, "the PAM conversation ended without a verdict");
			return;
		}
		if (on_msg(c, t, buf)) {
			explicit_bzero(buf, sizeof(buf));
			return;
		}
	}
}

static void pam_release(struct auth_step *st)
{
	struct pam_conv_state *c = *auth_step_state(st);

	if (c == NULL)
		return;
	ev_io_stop(c->loop, &c->io);
	/* the conversation process sees the end of its socket and exits */
	close(c->fd);
	wipe_first(c);
	free(c);
	n_conversations--;
}

/* Ask the helper for a conversation; 0 or -errno (-EAGAIN: the helper is
 * behind). */
static int conversation_start(struct pam_conv_state *c, const struct auth_pam_cfg *cfg,
			      const struct auth_info *info)
{
	char start[PAMH_MAX_MSG + 1];
	int sp[2], n, r;

	n = snprintf(start, sizeof(start), "%s%c%s%c%u", info->username, '\0', info->remote_ip,
		     '\0', cfg->gid_min);
	if (n < 0 || (size_t)n >= sizeof(start))
		return -EMSGSIZE;
	/* the conversation's end blocks: it waits for our answers */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(sp[0]);
		close(sp[1]);
		return r;
	}
	r = pamh_send(cfg->helper_fd, PAMH_START, start, (size_t)n, sp[1]);
	close(sp[1]);
	if (r < 0) {
		close(sp[0]);
		return r;
	}
	c->fd = sp[0];
	return 0;
}

static void pam_start_step(struct auth_step *st, const char *answer)
{
	const struct auth_pam_cfg *cfg = auth_step_config(st);
	struct ev_loop *loop = auth_step_loop(st);
	struct pam_conv_state *c;
	struct auth_result r = { .verdict = AUTH_ERROR, .message = "no PAM helper (auth = pam "
						      "needs a restart)" };
	int rc;

	if (cfg->helper_fd < 0 || loop == NULL) {
		auth_step_done(st, &r);
		return;
	}
	if (n_conversations >= PAM_MAX_CONVERSATIONS) {
		r = (struct auth_result){ .verdict = AUTH_BUSY, .message = "too many PAM logins" };
		auth_step_done(st, &r);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (answer != NULL && (c->first = strdup(answer)) == NULL)) {
		free(c);
		r.message = "out of memory";
		auth_step_done(st, &r);
		return;
	}
	rc = conversation_start(c, cfg, auth_step_info(st));
	if (rc < 0) {
		wipe_first(c);
		free(c);
		r = (struct auth_result){ .verdict = rc == -EAGAIN ? AUTH_BUSY : AUTH_ERROR,
					  .message = strerror(-rc) };
		auth_step_done(st, &r);
		return;
	}
	c->st = st;
	c->loop = loop;
	n_conversations++;
	*auth_step_state(st) = c;
	ev_io_init(&c->io, io_cb, c->fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
}

static void pam_answer(struct auth_step *st, const char *answer)
{
	struct pam_conv_state *c = *auth_step_state(st);

	c->info[0] = '\0';
	if (pamh_send(c->fd, PAMH_ANSWER, answer, strnlen(answer, PAMH_MAX_MSG), -1) < 0)
		verdict(c, AUTH_ERROR, "the PAM conversation ended");
}

const struct auth_backend auth_backend_pam = {
	.name = "pam",
	.start = pam_start_step,
	.answer = pam_answer,
	.release = pam_release,
};
