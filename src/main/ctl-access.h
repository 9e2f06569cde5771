/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_CTL_ACCESS_H
#define OCSM_CTL_ACCESS_H

/*
 * Who may use main's control socket (doc/security.md, "The control socket").
 *
 * Two gates. The file: the socket is created with occtl-socket-mode and
 * occtl-socket-group already in place before anyone can reach it, so only
 * root and (with a mode such as 0660) the socket's group can connect. The
 * peer: main reads the connecting process's credentials from the kernel
 * (SO_PEERCRED, SO_PEERGROUPS: what it was when it connected, not what it
 * claims) and gives it a role:
 *
 *   CTL_ROLE_ADMIN   uid 0, or a member of occtl-admin-group: every command
 *   CTL_ROLE_READ    a member of the socket's group: the show commands only
 *   CTL_ROLE_NONE    anyone else (who got a descriptor somehow): nothing
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum ctl_role {
	CTL_ROLE_NONE = 0,
	CTL_ROLE_READ,
	CTL_ROLE_ADMIN,
};

/* A connected peer as the kernel describes it. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	enum ctl_role role;
};

/* The role of the peer of connected AF_UNIX socket fd; sock_gid is the
 * socket's group, admin_gid occtl-admin-group ((gid_t)-1: none). Fills
 * *peer (role CTL_ROLE_NONE when the credentials cannot be read). 0 or
 * -errno. */
int ctl_peer_identify(int fd, gid_t sock_gid, gid_t admin_gid, struct ctl_peer *peer);

/* The role from the credentials: uid, primary gid and supplementary groups. */
enum ctl_role ctl_role_of(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups,
			  gid_t sock_gid, gid_t admin_gid);

/* May role run command cmd (enum ctl_cmd of occtl/ctlmsg.h)? */
bool ctl_role_allows(enum ctl_role role, uint8_t cmd);

const char *ctl_role_str(enum ctl_role role);

/*
 * Create a listening AF_UNIX stream socket at path whose file has mode and
 * group gid ((gid_t)-1: the caller's) from the moment it appears at path.
 * Non-blocking and close-on-exec. Returns the descriptor or -errno.
 *
 * How: fchmod() on an AF_UNIX socket's descriptor does not change the file
 * bind() creates (Linux), and chmod()/chown() by name after bind() follow
 * whatever sits at that name by then, which someone who can write to the
 * directory may have swapped for a symlink. So the socket is bound inside
 * a new directory of its own (mkdtemp: mode 0700, owner root) next to path,
 * under a umask that leaves no permission; its mode and group are set there,
 * where nobody else can reach it, without following symlinks; then rename()
 * puts it at path in one step (rename replaces a symlink or a stale socket
 * at path itself, never what a symlink points to) and the directory is
 * removed. The bind uses a name relative to the directory of path (main is
 * single-threaded when it calls this), so path may be as long as sun_path
 * allows. An existing path that is not a socket (a symlink too) is refused
 * (-EEXIST), one a live server answers on too (-EADDRINUSE); a stale socket
 * is replaced.
 */
int ctl_socket_create(const char *path, mode_t mode, gid_t gid);

#endif
