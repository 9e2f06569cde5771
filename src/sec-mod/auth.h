/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_AUTH_H
#define OCSM_AUTH_H

/*
 * Authentication backends of sec-mod, and the chain that runs a login
 * through them.
 *
 * A login is the user name and password of the login form, then the
 * answers to any further forms. The chain holds one or more factors, each
 * a backend with its configuration, all required, in order: the first
 * gets the form's password, the later ones start without an answer (they
 * usually ask for one). A backend answers each step asynchronously with an
 * auth_result:
 *
 *   AUTH_ACCEPT    this factor is satisfied (with the user's groups, if it
 *                  knows them); the next factor starts, or the login is
 *                  accepted after the last
 *   AUTH_CONTINUE  show another form: a password-type field labelled
 *                  prompt, with message above it; its answer comes back to
 *                  the same factor (answer())
 *   AUTH_REJECT    wrong credentials (the client's address gets ban points)
 *   AUTH_ERROR     the backend could not decide (file unreadable, helper
 *                  gone): refused without ban points
 *   AUTH_BUSY      refused before trying (the work queue is full)
 *
 * Anything that may block (crypt, a conversation with a helper process, a
 * network request, a file rewrite) runs through auth_step_submit(), off
 * sec-mod's event loop (offload.h). A backend may also answer at once,
 * from inside start() or answer(): the chain allows it.
 *
 * Life of a login: auth_login_new(), auth_login_start(password), then
 * auth_login_answer() after each AUTH_CONTINUE; the owner frees it with
 * auth_login_free() (also from inside its done callback, and at any time:
 * work still running for it is cancelled and its result dropped).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sec-mod/offload.h"

/* What the login says about itself (copied by auth_login_new()). */
struct auth_info {
	const char *username;
	const char *group;	/* the group asked for; NULL: none */
	const char *remote_ip;
	int passwd_fd;		/* the password file as main opened it for this
				 * login (plain); -1: none. Owned by the login
				 * from auth_login_new() on. */
};

enum auth_verdict {
	AUTH_ACCEPT,
	AUTH_CONTINUE,
	AUTH_REJECT,
	AUTH_ERROR,
	AUTH_BUSY,
};

/* Longest prompt and message of a further form. */
#define AUTH_PROMPT_MAX 256u
#define AUTH_MESSAGE_MAX 512u

struct session_attrs;
struct auth_result {
	enum auth_verdict verdict;
	const char *groups;	/* ACCEPT: "g1,g2", the user's groups; NULL: not known */
	/* ACCEPT: the session's own values this factor gives (RADIUS reply
	 * attributes, session-table.h); NULL: none. The chain keeps the first
	 * factor's and hands them to its final ACCEPT. */
	const struct session_attrs *attrs;
	const char *prompt;	/* CONTINUE: the field's label; NULL: "Password:" */
	const char *message;	/* CONTINUE: shown on the form; otherwise: why, for the log */
};

/* One factor of one login, as its backend sees it. */
struct auth_step;

struct auth_backend {
	const char *name;
	/* Begin this factor: answer is the login form's password for the
	 * first factor, NULL for the later ones. */
	void (*start)(struct auth_step *st, const char *answer);
	/* The answer to this factor's last AUTH_CONTINUE. */
	void (*answer)(struct auth_step *st, const char *answer);
	/* The login is gone: free *auth_step_state(st). NULL: nothing to free. */
	void (*release)(struct auth_step *st);
};

/* For backends. */
const struct auth_info *auth_step_info(const struct auth_step *st);
void *auth_step_config(const struct auth_step *st);
/* A slot for the backend's state of this login (NULL at start). */
void **auth_step_state(struct auth_step *st);
/* Run work(arg) off the loop, then done(arg, cancelled) on it (offload.h's
 * contract: on cancelled, done frees arg and must not touch st, the login
 * is gone). One job per login at a time. 0, or -EBUSY/-ENOMEM (then
 * nothing runs and arg stays the caller's). */
int auth_step_submit(struct auth_step *st, offload_work_fn work, offload_done_fn done, void *arg);
/* The step's answer (strings are copied before this returns). */
void auth_step_done(struct auth_step *st, const struct auth_result *r);

/* How auth_step_submit() runs work: on sec-mod's pool, or (submit NULL,
 * unit tests) at once: work then done, inside auth_step_submit(). loop:
 * sec-mod's event loop, for a backend that waits for a socket (PAM); NULL
 * in the unit tests. */
struct auth_exec {
	int (*submit)(void *opaque, offload_work_fn work, offload_done_fn done, void *arg,
		      uint64_t *id);
	void (*cancel)(void *opaque, uint64_t id);
	void *opaque;
	struct ev_loop *loop;
};

/* The loop of the chain's auth_exec (NULL: none). A backend that watches a
 * descriptor answers from its watcher's callback with auth_step_done(),
 * and must not touch its state after that call (the login may be gone). */
struct ev_loop *auth_step_loop(const struct auth_step *st);

struct auth_factor {
	const struct auth_backend *backend;
	void *config;		/* the caller's, for the backend */
};

#define AUTH_MAX_FACTORS 4u

struct auth_chain;

/* A chain of n (1..AUTH_MAX_FACTORS) factors; f and exec are copied, the
 * configs are not. NULL on bad arguments or no memory. */
struct auth_chain *auth_chain_new(const struct auth_factor *f, size_t n,
				  const struct auth_exec *exec);
/* Drop the chain: it is freed once the last login that uses it is (a
 * reload builds a new chain while logins on the old one go on). */
void auth_chain_free(struct auth_chain *c);

struct auth_login;
/* The chain's verdict on a login: CONTINUE (the login goes on), or the
 * final one. r and its strings are valid during the call only. */
typedef void (*auth_done_fn)(void *opaque, struct auth_login *l, const struct auth_result *r);

/* NULL on no memory (info->passwd_fd is closed then too). */
struct auth_login *auth_login_new(struct auth_chain *c, const struct auth_info *info,
				  auth_done_fn done, void *opaque);
void auth_login_start(struct auth_login *l, const char *password);
void auth_login_answer(struct auth_login *l, const char *answer);
void auth_login_free(struct auth_login *l);

/* --- the plain backend: auth = plain[passwd=FILE] ----------------------------- */

/* Its config: the password file (read at every check, from the login's
 * passwd_fd when it has one), checked by check() on a pool thread
 * (passwd.h's contract: 0 and groups, -ENOENT, -EACCES, other -errno). */
struct auth_plain_cfg {
	const char *passwd_file;
	int (*check)(void *opaque, const char *file, int fd, const char *user,
		     const char *password, char *groups, size_t len);
	void *opaque;
};
extern const struct auth_backend auth_backend_plain;

/* --- the OTP factor: auth = plain[otp=FILE] (auth-otp.c) -------------------------- */

/* Its config: liboath's users file, rewritten at each check (counter,
 * last OTP): the file and its directory must be writable by sec-mod. */
struct auth_otp_cfg {
	const char *users_file;
};
extern const struct auth_backend auth_backend_otp;

/* --- PAM: auth = pam[gid-min=N] (auth-pam.c, pam-helper.h) ------------------------- */

struct auth_pam_cfg {
	int helper_fd;		/* sec-mod's socket to the PAM helper; -1: none */
	unsigned gid_min;	/* the session's groups: gid >= gid_min */
};
extern const struct auth_backend auth_backend_pam;

#endif
