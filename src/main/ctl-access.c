/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#define _GNU_SOURCE 1 /* struct ucred, SO_PEERCRED, SO_PEERGROUPS */

/* Who may use main's control socket; see ctl-access.h. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "main/ctl-access.h"
#include "occtl/ctlmsg.h"

/* --- roles ------------------------------------------------------------------ */

static bool in_groups(gid_t want, gid_t gid, const gid_t *groups, size_t n)
{
	if (want == (gid_t)-1)
		return false;
	if (gid == want)
		return true;
	for (size_t i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

enum ctl_role ctl_role_of(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
			  gid_t sock_gid, gid_t admin_gid)
{
	if (uid == 0 || in_groups(admin_gid, gid, groups, n_groups))
		return CTL_ROLE_ADMIN;
	if (in_groups(sock_gid, gid, groups, n_groups))
		return CTL_ROLE_READ;
	return CTL_ROLE_NONE;
}

bool ctl_role_allows(enum ctl_role role, uint8_t cmd)
{
	switch (role) {
	case CTL_ROLE_ADMIN:
		return true;
	case CTL_ROLE_READ:
		switch (cmd) {
		case CTL_CMD_STATUS:
		case CTL_CMD_LIST_USERS:
		case CTL_CMD_USER_INFO:
		case CTL_CMD_ID_INFO:
		case CTL_CMD_LIST_BANNED:
		case CTL_CMD_LIST_SESSIONS:
		case CTL_CMD_SESSION_INFO:
		case CTL_CMD_EVENTS:
			return true;
		default:
			return false;
		}
	default:
		return false;
	}
}

const char *ctl_role_str(enum ctl_role role)
{
	switch (role) {
	case CTL_ROLE_ADMIN:
		return "admin";
	case CTL_ROLE_READ:
		return "read-only";
	default:
		return "none";
	}
}

int ctl_peer_identify(int fd, gid_t sock_gid, gid_t admin_gid, struct ctl_peer *peer)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	gid_t some[64], *groups = some;
	socklen_t glen = sizeof(some);
	int r = 0;

	memset(peer, 0, sizeof(*peer));
	peer->role = CTL_ROLE_NONE;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	peer->pid = cr.pid;
	peer->uid = cr.uid;
	peer->gid = cr.gid;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0) {
		if (errno != ERANGE)
			return -errno;
		/* glen now says how much it takes */
		groups = malloc(glen);
		if (groups == NULL)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
			r = -errno;
	}
	if (r == 0)
		peer->role = ctl_role_of(cr.uid, cr.gid, groups, glen / sizeof(gid_t), sock_gid,
					 admin_gid);
	if (groups != some)
		free(groups);
	return r;
}

/* --- the socket file -------------------------------------------------------- */

/* Is something at path that we must not replace? 0: nothing, or a stale
 * socket. */
static int check_existing(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int probe, live;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	/* a live server answers: never steal its socket */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	live = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(probe);
	return live ? -EADDRINUSE : 0;
}

/* Bind fd as "tmp/s" inside dfd (the current directory), set its mode and
 * group there and move it to base. */
static int bind_private(int fd, int dfd, const char *tmp, const char *base, mode_t mode,
			gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", tmp);
	old = umask(0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return -errno;
	if ((gid != (gid_t)-1 && fchownat(dfd, sa.sun_path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) ||
	    fchmodat(dfd, sa.sun_path, mode, 0) < 0 || listen(fd, 16) < 0 ||
	    renameat(dfd, sa.sun_path, dfd, base) < 0) {
		r = -errno;
		(void)unlinkat(dfd, sa.sun_path, 0);
	}
	return r;
}

int ctl_socket_create(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX], tmp[] = ".occtl-XXXXXX";
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	int dfd = -1, cwd = -1, fd = -1, r;

	if (path[0] == '\0' || base[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : slash == path ? 1 : (int)(slash - path),
		 slash == NULL ? "." : path);
	r = check_existing(path);
	if (r < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (dfd < 0 || cwd < 0 || fd < 0 || fchdir(dfd) < 0) {
		r = -errno;
		goto out;
	}
	if (mkdtemp(tmp) == NULL) {
		r = -errno;
	} else {
		r = bind_private(fd, dfd, tmp, base, mode, gid);
		(void)unlinkat(dfd, tmp, AT_REMOVEDIR);
	}
	if (fchdir(cwd) < 0 && r == 0)
		r = -errno;
out:
	if (dfd >= 0)
		close(dfd);
	if (cwd >= 0)
		close(cwd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}
