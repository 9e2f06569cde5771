/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/main/ctl-access.c: who may use the control socket, and the creation of
 * the socket file with its permissions in place from the start.
 */
#include "config.h"

#include "main/ctl-access.h"
#include "occtl/ctlmsg.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test-main.h"

START_TEST(roles)
{
	const gid_t sup[] = { 100, 27, 4 };

	/* root acts, whatever its groups */
	ck_assert_int_eq(ctl_role_of(0, 0, NULL, 0, 4, (gid_t)-1), CTL_ROLE_ADMIN);
	/* the admin group, as primary or supplementary group */
	ck_assert_int_eq(ctl_role_of(1000, 27, NULL, 0, 4, 27), CTL_ROLE_ADMIN);
	ck_assert_int_eq(ctl_role_of(1000, 1000, sup, 3, 4, 27), CTL_ROLE_ADMIN);
	/* the socket's group reads */
	ck_assert_int_eq(ctl_role_of(1000, 1000, sup, 3, 4, (gid_t)-1), CTL_ROLE_READ);
	ck_assert_int_eq(ctl_role_of(1000, 4, NULL, 0, 4, 27), CTL_ROLE_READ);
	/* anyone else nothing; no admin group: nobody but root acts */
	ck_assert_int_eq(ctl_role_of(1000, 1000, sup, 3, 5, (gid_t)-1), CTL_ROLE_NONE);
	ck_assert_int_eq(ctl_role_of(1000, 1000, NULL, 0, (gid_t)-1, (gid_t)-1), CTL_ROLE_NONE);
}
END_TEST

START_TEST(commands)
{
	static const uint8_t reads[] = { CTL_CMD_STATUS, CTL_CMD_LIST_USERS, CTL_CMD_USER_INFO,
					 CTL_CMD_ID_INFO, CTL_CMD_LIST_BANNED,
					 CTL_CMD_LIST_SESSIONS, CTL_CMD_SESSION_INFO };
	static const uint8_t acts[] = { CTL_CMD_RELOAD, CTL_CMD_STOP, CTL_CMD_DISCONNECT_NAME,
					CTL_CMD_DISCONNECT_ID, CTL_CMD_UNBAN_IP,
					CTL_CMD_TERMINATE_SESSION, CTL_CMD_TERMINATE_USER, 0, 11,
					200 };

	for (size_t i = 0; i < sizeof(reads); i++) {
		ck_assert(ctl_role_allows(CTL_ROLE_ADMIN, reads[i]));
		ck_assert(ctl_role_allows(CTL_ROLE_READ, reads[i]));
		ck_assert(!ctl_role_allows(CTL_ROLE_NONE, reads[i]));
	}
	for (size_t i = 0; i < sizeof(acts); i++) {
		ck_assert(ctl_role_allows(CTL_ROLE_ADMIN, acts[i]));
		ck_assert_msg(!ctl_role_allows(CTL_ROLE_READ, acts[i]), "read-only may run %u",
			      acts[i]);
		ck_assert(!ctl_role_allows(CTL_ROLE_NONE, acts[i]));
	}
	ck_assert_str_eq(ctl_role_str(CTL_ROLE_READ), "read-only");
}
END_TEST

START_TEST(peer_credentials)
{
	struct ctl_peer p;
	int sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(ctl_peer_identify(sp[0], getegid(), (gid_t)-1, &p), 0);
	ck_assert_int_eq(p.pid, getpid());
	ck_assert_uint_eq(p.uid, geteuid());
	ck_assert_uint_eq(p.gid, getegid());
	ck_assert_int_eq(p.role, geteuid() == 0 ? CTL_ROLE_ADMIN : CTL_ROLE_READ);
	ck_assert_int_eq(ctl_peer_identify(sp[0], getegid(), getegid(), &p), 0);
	ck_assert_int_eq(p.role, CTL_ROLE_ADMIN);
	close(sp[0]);
	close(sp[1]);
	/* not a socket: no credentials, no role */
	ck_assert_int_lt(ctl_peer_identify(STDIN_FILENO == 0 ? open("/dev/null", O_RDONLY) : -1,
					   0, 0, &p), 0);
	ck_assert_int_eq(p.role, CTL_ROLE_NONE);
}
END_TEST

static char dir[256], sock[300];

static void make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test-ctl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/occtl.sock", dir);
}

/* The directory holds exactly the names given (no leftover private dir). */
static unsigned entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(socket_mode_and_group)
{
	struct stat st;
	int fd;

	make_dir();
	fd = ctl_socket_create(sock, 0660, getegid());
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0660);
	ck_assert_uint_eq(st.st_gid, getegid());
	ck_assert_uint_eq(entries(), 1);
	/* it listens at path; a second server is refused */
	ck_assert_int_eq(ctl_socket_create(sock, 0600, (gid_t)-1), -EADDRINUSE);
	close(fd);
	/* a stale socket is replaced */
	fd = ctl_socket_create(sock, 0600, (gid_t)-1);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	close(fd);
	unlink(sock);
	rmdir(dir);
}
END_TEST

START_TEST(socket_path_not_followed)
{
	char target[320];
	struct stat st;
	int fd;

	make_dir();
	snprintf(target, sizeof(target), "%s/precious", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* a regular file at path is refused, untouched */
	ck_assert_int_eq(link(target, sock), 0);
	ck_assert_int_eq(ctl_socket_create(sock, 0660, getegid()), -EEXIST);
	unlink(sock);
	/* a symlink at path is refused too; what it points to is not created */
	ck_assert_int_eq(symlink("precious-not-there", sock), 0);
	ck_assert_int_eq(ctl_socket_create(sock, 0640, getegid()), -EEXIST);
	ck_assert_uint_eq(entries(), 2);
	unlink(sock);
	/* nothing there: created, and the file it never touched is as it was */
	fd = ctl_socket_create(sock, 0640, getegid());
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_uint_eq(entries(), 2);
	close(fd);
	unlink(sock);
	unlink(target);
	rmdir(dir);
	/* no directory to create it in */
	ck_assert_int_lt(ctl_socket_create("/nonexistent-dir/occtl.sock", 0600, (gid_t)-1), 0);
	ck_assert_int_eq(ctl_socket_create("", 0600, (gid_t)-1), -EINVAL);
}
END_TEST

static Suite *ctl_access_suite(void)
{
	Suite *s = suite_create("ctl-access");
	TCase *tc = tcase_create("roles");

	tcase_add_test(tc, roles);
	tcase_add_test(tc, commands);
	tcase_add_test(tc, peer_credentials);
	suite_add_tcase(s, tc);
	tc = tcase_create("socket");
	tcase_add_test(tc, socket_mode_and_group);
	tcase_add_test(tc, socket_path_not_followed);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ctl_access_suite)
