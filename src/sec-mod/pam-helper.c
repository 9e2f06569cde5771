/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* close_range, getgrouplist */

/*
 * The PAM helper process and its conversation processes (pam-helper.h).
 */

#include "sec-mod/pam-helper.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

/* Groups of a user we look at. */
#define PAMH_MAX_GROUPS 256

/* --- messages -------------------------------------------------------------------- */

int pamh_send(int sock, enum pamh_type type, const char *text, size_t len, int fd)
{
	char buf[PAMH_MAX_MSG + 1];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len + 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (len > PAMH_MAX_MSG)
		return -EMSGSIZE;
	buf[0] = (char)type;
	memcpy(buf + 1, text, len);
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

ssize_t pamh_recv(int sock, enum pamh_type *type, char *buf, size_t cap, int *fd)
{
	char raw[PAMH_MAX_MSG + 2];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = raw, .iov_len = sizeof(raw) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	int got = -1;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (fd != NULL)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (n == 0)
		return -EPIPE;
	if ((size_t)n > PAMH_MAX_MSG + 1 || (size_t)n > cap || (mh.msg_flags & MSG_TRUNC)) {
		if (fd != NULL && got >= 0)
			close(got);
		if (fd != NULL)
			*fd = -1;
		return -EPROTO;
	}
	*type = (enum pamh_type)raw[0];
	memcpy(buf, raw + 1, (size_t)n - 1);
	buf[n - 1] = '\0';
	return n - 1;
}

/* --- a conversation ---------------------------------------------------------------- */

struct conv_ctx {
	int sock;
};

static void free_responses(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

/* One message of PAM to sec-mod (and, for a prompt, its answer back into
 * *resp). 0 or -1. */
static int conv_one(int sock, const struct pam_message *m, struct pam_response *resp)
{
	char buf[PAMH_MAX_MSG + 1];
	const char *text = m->msg != NULL ? m->msg : "";
	size_t len = strnlen(text, PAMH_MAX_MSG);
	enum pamh_type t;
	ssize_t n;

	switch (m->msg_style) {
	case PAM_TEXT_INFO:
		return pamh_send(sock, PAMH_INFO, text, len, -1) < 0 ? -1 : 0;
	case PAM_ERROR_MSG:
		return pamh_send(sock, PAMH_ERROR, text, len, -1) < 0 ? -1 : 0;
	case PAM_PROMPT_ECHO_OFF:
	case PAM_PROMPT_ECHO_ON:
		break;
	default:
		return -1;
	}
	if (pamh_send(sock, m->msg_style == PAM_PROMPT_ECHO_OFF ? PAMH_PROMPT : PAMH_PROMPT_ECHO,
		      text, len, -1) < 0)
		return -1;
	n = pamh_recv(sock, &t, buf, sizeof(buf), NULL);
	if (n < 0 || t != PAMH_ANSWER)
		return -1; /* the login went away */
	resp->resp = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return resp->resp != NULL ? 0 : -1;
}

static int conv_cb(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	const struct conv_ctx *c = data;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (conv_one(c->sock, msg[i], &r[i]) < 0) {
			free_responses(r, n);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* "g1,g2": user's groups of the group database with gid >= gid_min. */
static void user_groups(const char *user, gid_t gid_min, char *out, size_t len)
{
	gid_t gids[PAMH_MAX_GROUPS];
	int n = PAMH_MAX_GROUPS;
	const struct passwd *pw = getpwnam(user);
	size_t used = 0;

	out[0] = '\0';
	if (pw == NULL)
		return;
	if (getgrouplist(user, pw->pw_gid, gids, &n) < 0)
		n = PAMH_MAX_GROUPS; /* more: the first ones */
	for (int i = 0; i < n; i++) {
		const struct group *g = gids[i] >= gid_min ? getgrgid(gids[i]) : NULL;
		int w;

		if (g == NULL || strchr(g->gr_name, ',') != NULL)
			continue;
		w = snprintf(out + used, len - used, "%s%s", used > 0 ? "," : "", g->gr_name);
		if (w < 0 || (size_t)w >= len - used) {
			out[used] = '\0';
			return;
		}
		used += (size_t)w;
	}
}

static bool pam_rejects(int rc)
{
	return rc == PAM_AUTH_ERR || rc == PAM_USER_UNKNOWN || rc == PAM_MAXTRIES ||
	       rc == PAM_CRED_INSUFFICIENT || rc == PAM_ACCT_EXPIRED || rc == PAM_PERM_DENIED ||
	       rc == PAM_NEW_AUTHTOK_REQD || rc == PAM_AUTHTOK_EXPIRED;
}

/* The conversation process of one login. */
static void conversation(int sock, const char *user, const char *rhost, gid_t gid_min)
{
	struct conv_ctx ctx = { .sock = sock };
	const struct pam_conv conv = { conv_cb, &ctx };
	pam_handle_t *ph = NULL;
	char groups[PAMH_MAX_MSG + 1];
	const void *who = NULL;
	int rc;

	alarm(PAMH_CONV_TIMEOUT_S);
	rc = pam_start(PAMH_SERVICE, user, &conv, &ph);
	if (rc == PAM_SUCCESS)
		rc = pam_set_item(ph, PAM_RHOST, rhost);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(ph, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(ph, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS) {
		/* a module may have mapped the name */
		if (pam_get_item(ph, PAM_USER, &who) != PAM_SUCCESS || who == NULL)
			who = user;
		user_groups(who, gid_min, groups, sizeof(groups));
		(void)pamh_send(sock, PAMH_ACCEPT, groups, strlen(groups), -1);
	} else {
		const char *why = ph != NULL ? pam_strerror(ph, rc) : "pam_start failed";

		(void)pamh_send(sock, pam_rejects(rc) ? PAMH_REJECT : PAMH_FAIL, why,
				strnlen(why, PAMH_MAX_MSG), -1);
	}
	if (ph != NULL)
		pam_end(ph, rc);
	_exit(0);
}

/* --- the helper ---------------------------------------------------------------------- */

/* Keep uid 0, give up every capability for good (also for what a PAM
 * module executes: SECBIT_NOROOT). 0 or -1 (logged). */
static int helper_drop_caps(void)
{
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) < 0) {
		log_err("PAM helper: securebits: %s", strerror(errno));
		return -1;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) != 0) {
		log_err("PAM helper: giving up capabilities failed");
		return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("PAM helper: %s", strerror(errno));
		return -1;
	}
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

int pamh_parse_start(const char *buf, size_t n, const char **user, const char **rhost,
		     gid_t *gid_min)
{
	const char *p = buf, *end = buf + n;
	const char *f[3];
	char *e;
	unsigned long v;

	for (int i = 0; i < 3; i++) {
		f[i] = p;
		p += strnlen(p, (size_t)(end - p)) + 1;
		if (p > end + 1 || (i < 2 && p > end))
			return -1;
	}
	errno = 0;
	v = strtoul(f[2], &e, 10);
	if (f[0][0] == '\0' || errno != 0 || *e != '\0' || e == f[2] || v > (gid_t)-1)
		return -1;
	*user = f[0];
	*rhost = f[1];
	*gid_min = (gid_t)v;
	return 0;
}

static void helper_main(int sock)
{
	char buf[PAMH_MAX_MSG + 1];

	for (;;) {
		const char *user, *rhost;
		enum pamh_type t;
		gid_t gid_min;
		int lfd = -1;
		ssize_t n = pamh_recv(sock, &t, buf, sizeof(buf), &lfd);
		pid_t pid;

		if (n == -EINTR)
			continue;
		if (n < 0 && n != -EPROTO)
			_exit(0); /* sec-mod is gone */
		if (n < 0 || t != PAMH_START || lfd < 0 ||
		    pamh_parse_start(buf, (size_t)n, &user, &rhost, &gid_min) < 0) {
			log_warn("PAM helper: a malformed request from sec-mod ignored");
			if (lfd >= 0)
				close(lfd);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			close(sock);
			signal(SIGCHLD, SIG_DFL); /* pam_exec waits for its program */
			conversation(lfd, user, rhost, gid_min);
		}
		if (pid < 0) {
			const char *why = "fork failed";

			(void)pamh_send(lfd, PAMH_FAIL, why, strlen(why), -1);
		}
		close(lfd);
	}
}

pid_t pamh_fork(int log_level, int *fd)
{
	int sp[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		err = errno;
		log_err("PAM helper socketpair: %s", strerror(err));
		return -err;
	}
	pid = fork();
	if (pid < 0) {
		err = errno;
		log_err("forking the PAM helper: %s", strerror(err));
		close(sp[0]);
		close(sp[1]);
		return -err;
	}
	if (pid == 0) {
		log_init("ocserv-modern-pam", (enum log_level)log_level);
		(void)prctl(PR_SET_NAME, "ocserv-pam", 0, 0, 0);
		/* only its own socket, as fd 3 */
		if (dup2(sp[1], 3) < 0 || close_range(4, ~0U, 0) < 0)
			_exit(1);
		(void)fcntl(3, F_SETFD, FD_CLOEXEC);
		signal(SIGCHLD, SIG_IGN); /* conversations reap themselves */
		if (helper_drop_caps() < 0)
			_exit(1);
		helper_main(3);
	}
	close(sp[1]);
	(void)fcntl(sp[0], F_SETFL, O_NONBLOCK);
	*fd = sp[0];
	log_debug("PAM helper started: pid %ld", (long)pid);
	return pid;
}
