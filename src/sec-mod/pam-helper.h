/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_PAM_HELPER_H
#define OCSM_PAM_HELPER_H

/*
 * The PAM helper of auth = pam (doc/security.md).
 *
 * sec-mod runs as run-as-user without capabilities, and pam_unix checks
 * another user's password only as root; a PAM module may also take its
 * time (a delay after a failure, a network request). So PAM runs in a
 * helper process that sec-mod forks at start, before it loads the key and
 * gives up root: the helper keeps uid 0 but no capability at all (empty
 * effective, permitted, inheritable and bounding sets, SECBIT_NOROOT
 * locked, so that a program a module executes gets none either;
 * no_new_privs; not dumpable), and holds nothing but its socket to
 * sec-mod. For each login it forks one conversation process, so that a
 * slow module delays that login alone:
 *
 *   sec-mod --START(user, rhost, gid-min) + the login's socket--> helper
 *                                                                  | fork
 *   sec-mod <--PROMPT/INFO/ERROR-- conversation: pam_authenticate,
 *           ---ANSWER------------>               pam_acct_mgmt, then the
 *           <--ACCEPT(groups) | REJECT | FAIL--  user's groups (gid >= gid-min)
 *
 * Every message is one SOCK_SEQPACKET datagram: a type byte and a text (no
 * NUL inside except START's separators), at most PAMH_MAX_MSG bytes. The
 * conversation process ends after its verdict, when sec-mod closes the
 * login's socket (the login went away), or after PAMH_CONV_TIMEOUT_S.
 * The helper ends when sec-mod closes its socket.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The PAM service name (/etc/pam.d/ocserv-modern). */
#define PAMH_SERVICE "ocserv-modern"
#define PAMH_MAX_MSG 1024u
/* A conversation process lives at most this long. */
#define PAMH_CONV_TIMEOUT_S 300u

enum pamh_type {
	PAMH_START = 'S',	/* "user\0rhost\0gid-min", with the login's socket */
	PAMH_PROMPT = 'P',	/* a hidden prompt (PAM_PROMPT_ECHO_OFF) */
	PAMH_PROMPT_ECHO = 'E',	/* a visible one (PAM_PROMPT_ECHO_ON) */
	PAMH_INFO = 'I',	/* PAM_TEXT_INFO */
	PAMH_ERROR = 'R',	/* PAM_ERROR_MSG */
	PAMH_ANSWER = 'N',	/* sec-mod's answer to the last prompt */
	PAMH_ACCEPT = 'A',	/* authenticated, account valid: "g1,g2" */
	PAMH_REJECT = 'F',	/* wrong credentials or account refused: why */
	PAMH_FAIL = 'X',	/* PAM could not decide (module or system error): why */
};

/* Send one message (text of len bytes) on sock, with fd as SCM_RIGHTS
 * unless fd < 0. 0 or -errno (-EAGAIN on a full non-blocking socket). */
int pamh_send(int sock, enum pamh_type type, const char *text, size_t len, int fd);
/* Receive one message: its type, its text NUL-terminated in buf (cap >=
 * PAMH_MAX_MSG + 1), and in *fd a descriptor that came with it (-1: none;
 * NULL: any is closed). Returns the text's length, -EPIPE when the peer
 * closed, -EPROTO for an empty or oversized datagram, or -errno. */
ssize_t pamh_recv(int sock, enum pamh_type *type, char *buf, size_t cap, int *fd);

/* Split START's text (n bytes, NUL-terminated at buf[n] as pamh_recv
 * leaves it): a non-empty user, the client's address, gid-min in decimal.
 * 0 (the pointers into buf) or -1. */
int pamh_parse_start(const char *buf, size_t n, const char **user, const char **rhost,
		     gid_t *gid_min);

/* Fork the helper (root, in sec-mod's child before it gives up root; the
 * helper closes every descriptor but its own). Returns its PID and sets
 * *fd to sec-mod's end (non-blocking, close-on-exec); -errno on failure
 * (logged). */
pid_t pamh_fork(int log_level, int *fd);

#endif
