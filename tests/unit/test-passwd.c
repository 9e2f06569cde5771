/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/common/passwd.c: the ocpasswd-format file of auth = plain[passwd=FILE].
 * The SHA-512 and SHA-256 hashes were made with `openssl passwd -6 / -5`;
 * the yescrypt one is made here with libxcrypt.
 */
#include "config.h"

#include "common/passwd.h"

#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test-main.h"

/* openssl passwd -6 -salt Ab3dEf5hIj7lMn9p 'S3cret-512' */
#define H512 "$6$Ab3dEf5hIj7lMn9p$RytUFG84lwQDDFlpJU2eUxIvgllQYJxqfNRgr3wSGhTfBpERCfAhrgsP1CxjV5VbZCs3KoZYiB3PlycrOVnQa0"
/* openssl passwd -5 -salt Qr5tUv7xYz9bCd1f 'S3cret-256' */
#define H256 "$5$Qr5tUv7xYz9bCd1f$BwEChdysO0omH5xEXTOpY9mOcLO2uX7nJ0UhakTi165"
/* openssl passwd -6 -salt LockedSaltLocked 'locked-pw' */
#define HLOCK "$6$LockedSaltLocked$7QIdGkCEUSvYXtPI7sYPOHc85Xupb2NiHBfV4bbFbZw7b4WM9RoUbOuNScEMARmsykvuXc.lQTHGQLfBOwAKE1"

static char path[256];

static void write_file(const char *text)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(path, sizeof(path), "%s/test-passwd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void remove_file(void)
{
	if (path[0])
		unlink(path);
	path[0] = '\0';
}

static const char *const good_file =
	"# comment lines and blank lines are skipped\n"
	"\n"
	"alice:staff:" H512 "\n"
	"bob::" H256 "\n"
	"carol:ops,dev,admins:" H512 "\r\n"
	"locked1:staff:!" HLOCK "\n"
	"locked2:staff:*" HLOCK "\n"
	"nohash:staff:\n"
	"broken-other-line\n"
	"too:many:fields:here\n"
	"dave:first:" H256 "\n"
	"dave:second:" H512 "\n"
	"weird:staff:$9$unknown-method$abc\n"
	"brokenuser\n";

START_TEST(sha512_and_sha256)
{
	char group[64];

	write_file(good_file);
	memset(group, 'x', sizeof(group));
	ck_assert_int_eq(passwd_check(path, "alice", "S3cret-512", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "staff");
	ck_assert_int_eq(passwd_check(path, "bob", "S3cret-256", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "");
	ck_assert_int_eq(passwd_check(path, "carol", "S3cret-512", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "ops,dev,admins");
	/* group_out is optional */
	ck_assert_int_eq(passwd_check(path, "alice", "S3cret-512", NULL, 0), 0);
	remove_file();
}
END_TEST

/* The file as main opens it for sec-mod: read from its start every time. */
START_TEST(check_by_descriptor)
{
	char group[64];
	int fd;

	write_file(good_file);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(passwd_check_fd(fd, "alice", "S3cret-512", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "staff");
	ck_assert_int_eq(passwd_check_fd(fd, "bob", "S3cret-256", group, sizeof(group)), 0);
	ck_assert_int_eq(passwd_check_fd(fd, "alice", "wrong", group, sizeof(group)), -EACCES);
	ck_assert_int_eq(passwd_check_fd(fd, "nobody-here", "x", group, sizeof(group)), -ENOENT);
	ck_assert_int_eq(passwd_check_fd(fd, "bad\nname", "x", group, sizeof(group)), -EINVAL);
	close(fd);
	ck_assert_int_eq(passwd_check_fd(fd, "alice", "S3cret-512", group, sizeof(group)), -EBADF);
	remove_file();
}
END_TEST

START_TEST(wrong_password)
{
	char group[64] = "untouched";

	write_file(good_file);
	ck_assert_int_eq(passwd_check(path, "alice", "S3cret-256", group, sizeof(group)), -EACCES);
	ck_assert_int_eq(passwd_check(path, "alice", "", group, sizeof(group)), -EACCES);
	ck_assert_int_eq(passwd_check(path, "alice", "S3cret-5120", group, sizeof(group)), -EACCES);
	ck_assert_int_eq(passwd_check(path, "bob", "s3cret-256", group, sizeof(group)), -EACCES);
	ck_assert_str_eq(group, "untouched");
	remove_file();
}
END_TEST

START_TEST(unknown_user)
{
	write_file(good_file);
	ck_assert_int_eq(passwd_check(path, "mallory", "S3cret-512", NULL, 0), -ENOENT);
	/* a prefix or an extension of a real name is another name */
	ck_assert_int_eq(passwd_check(path, "alic", "S3cret-512", NULL, 0), -ENOENT);
	ck_assert_int_eq(passwd_check(path, "alice2", "S3cret-512", NULL, 0), -ENOENT);
	/* comment lines are not users */
	ck_assert_int_eq(passwd_check(path, "# comment lines and blank lines are skipped", "x",
				      NULL, 0), -ENOENT);
	remove_file();
}
END_TEST

START_TEST(locked_users)
{
	write_file(good_file);
	/* the right password of a locked account is still refused */
	ck_assert_int_eq(passwd_check(path, "locked1", "locked-pw", NULL, 0), -EACCES);
	ck_assert_int_eq(passwd_check(path, "locked2", "locked-pw", NULL, 0), -EACCES);
	/* no hash at all: never a passwordless login */
	ck_assert_int_eq(passwd_check(path, "nohash", "", NULL, 0), -EACCES);
	ck_assert_int_eq(passwd_check(path, "nohash", "anything", NULL, 0), -EACCES);
	remove_file();
}
END_TEST

START_TEST(malformed_lines)
{
	write_file(good_file);
	/* the user's own line is broken */
	ck_assert_int_eq(passwd_check(path, "brokenuser", "x", NULL, 0), -EINVAL);
	ck_assert_int_eq(passwd_check(path, "too", "x", NULL, 0), -EINVAL);
	/* a method crypt(3) does not know */
	ck_assert_int_eq(passwd_check(path, "weird", "x", NULL, 0), -EINVAL);
	/* other users' broken lines do not matter (dave comes after them) */
	ck_assert_int_eq(passwd_check(path, "dave", "S3cret-256", NULL, 0), 0);
	remove_file();
}
END_TEST

START_TEST(first_line_wins)
{
	char group[16];

	write_file(good_file);
	ck_assert_int_eq(passwd_check(path, "dave", "S3cret-256", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "first");
	ck_assert_int_eq(passwd_check(path, "dave", "S3cret-512", group, sizeof(group)), -EACCES);
	remove_file();
}
END_TEST

START_TEST(group_buffer)
{
	char group[15];  /* "ops,dev,admins" needs 15 with the NUL */

	write_file(good_file);
	ck_assert_int_eq(passwd_check(path, "carol", "S3cret-512", group, sizeof(group)), 0);
	ck_assert_str_eq(group, "ops,dev,admins");
	ck_assert_int_eq(passwd_check(path, "carol", "S3cret-512", group, 14), -ERANGE);
	ck_assert_int_eq(passwd_check(path, "carol", "S3cret-512", group, 0), -ERANGE);
	/* wrong password: -EACCES, not -ERANGE */
	ck_assert_int_eq(passwd_check(path, "carol", "nope", group, 0), -EACCES);
	remove_file();
}
END_TEST

START_TEST(bad_arguments)
{
	write_file(good_file);
	ck_assert_int_eq(passwd_check(path, "", "x", NULL, 0), -EINVAL);
	ck_assert_int_eq(passwd_check(path, NULL, "x", NULL, 0), -EINVAL);
	ck_assert_int_eq(passwd_check(path, "alice", NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(passwd_check(path, "alice:staff", "S3cret-512", NULL, 0), -EINVAL);
	ck_assert_int_eq(passwd_check(path, "alice\n", "S3cret-512", NULL, 0), -EINVAL);
	remove_file();
}
END_TEST

START_TEST(missing_file)
{
	/* not -ENOENT, which would read as "unknown user" */
	ck_assert_int_eq(passwd_check("/nonexistent/ocpasswd", "alice", "x", NULL, 0), -EIO);
	ck_assert_int_eq(passwd_check("/", "alice", "x", NULL, 0) < 0, 1);
}
END_TEST

START_TEST(yescrypt)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], line[512];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;

	ck_assert_ptr_nonnull(cd);
	ck_assert_ptr_nonnull(crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)));
	h = crypt_r("yes-crypt", salt, cd);
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "$y$", 3) == 0);
	snprintf(line, sizeof(line), "erin:vpn:%s\n", h);
	free(cd);
	write_file(line);
	ck_assert_int_eq(passwd_check(path, "erin", "yes-crypt", NULL, 0), 0);
	ck_assert_int_eq(passwd_check(path, "erin", "yes-crypt!", NULL, 0), -EACCES);
	remove_file();
}
END_TEST

START_TEST(verify_direct)
{
	ck_assert_int_eq(passwd_verify(H512, "S3cret-512"), 0);
	ck_assert_int_eq(passwd_verify(H256, "S3cret-256"), 0);
	ck_assert_int_eq(passwd_verify(H256, "S3cret-25"), -EACCES);
	ck_assert_int_eq(passwd_verify("!" H512, "S3cret-512"), -EACCES);
	ck_assert_int_eq(passwd_verify("*", "S3cret-512"), -EACCES);
	ck_assert_int_eq(passwd_verify("", ""), -EACCES);
	ck_assert_int_eq(passwd_verify("$9$abc", "x"), -EINVAL);  /* unknown method */
	ck_assert_int_eq(passwd_verify("$y$", "x"), -EINVAL);     /* no parameters */
	ck_assert_int_eq(passwd_verify("$6$", "x"), -EACCES);     /* a salt but no digest */
	ck_assert_int_eq(passwd_verify("$5$Qr5tUv7xYz9bCd1f$", "S3cret-256"), -EACCES);
	ck_assert_int_eq(passwd_verify(H512, NULL), -EINVAL);
	/* a hash that is the crypt output of another password with the same salt */
	ck_assert_int_eq(passwd_verify(H512 "x", "S3cret-512"), -EACCES);
}
END_TEST

START_TEST(validate_file)
{
	char err[256] = "";

	write_file("alice:staff:" H512 "\n# c\n\nbob::!" H256 "\nx::\n");
	ck_assert_int_eq(passwd_validate(path, err, sizeof(err)), 0);
	remove_file();

	write_file("alice:staff:" H512 "\n\nno-colons-here\n");
	ck_assert_int_eq(passwd_validate(path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":3: expected user:group:hash"));
	ck_assert(strncmp(err, path, strlen(path)) == 0);
	remove_file();

	write_file("alice:staff:plaintext\n");
	ck_assert_int_eq(passwd_validate(path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":1: user 'alice'"));
	remove_file();

	write_file(":staff:" H512 "\n");
	ck_assert_int_eq(passwd_validate(path, err, sizeof(err)), -EINVAL);
	remove_file();

	ck_assert_int_eq(passwd_validate("/nonexistent/ocpasswd", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ocpasswd: "));
	ck_assert_int_eq(passwd_validate("/nonexistent/ocpasswd", NULL, 0), -ENOENT);
}
END_TEST

static Suite *passwd_suite(void)
{
	Suite *s = suite_create("passwd");
	TCase *tc = tcase_create("check");

	tcase_add_test(tc, sha512_and_sha256);
	tcase_add_test(tc, wrong_password);
	tcase_add_test(tc, unknown_user);
	tcase_add_test(tc, locked_users);
	tcase_add_test(tc, malformed_lines);
	tcase_add_test(tc, first_line_wins);
	tcase_add_test(tc, group_buffer);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, yescrypt);
	tcase_add_test(tc, check_by_descriptor);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, verify_direct);
	tcase_add_test(tc, validate_file);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(passwd_suite)
