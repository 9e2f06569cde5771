/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_PASSWD_H
#define OCSM_PASSWD_H

/*
 * The password file of auth = plain[passwd=FILE], in ocpasswd's format:
 *
 *   user:group:hash          one user per line
 *   user::hash               no group
 *   user:g1,g2:hash          several groups (passed on as "g1,g2")
 *   user:group:!hash         locked (ocpasswd -l); '*' as first character too
 *
 * hash is anything crypt(3) verifies: SHA-512 "$6$", SHA-256 "$5$", yescrypt
 * "$y$" (libxcrypt). Blank lines and lines starting with '#' are skipped.
 * The file is read at every check, so edits apply without a reload.
 */

#include <stddef.h>

/*
 * Check user's password against file. Returns
 *   0        the password matches; the group field is copied to group_out
 *            (NUL-terminated, "" when empty) unless group_out is NULL
 *   -ENOENT  no such user
 *   -EACCES  wrong password, or the account is locked (or has no hash)
 *   -EINVAL  bad arguments (empty user, user with ':' or a line break, NULL
 *            password), the user's line is malformed, or its hash is one
 *            crypt(3) cannot verify
 *   -ERANGE  the password matches but the group does not fit in group_len
 *   other    -errno from opening or reading the file; a missing file is
 *            -EIO, so -ENOENT always means an unknown user
 * The first line for a user wins. An unknown or locked user still costs one
 * hash computation so the answer time does not reveal which users exist.
 */
int passwd_check(const char *file, const char *user, const char *password,
		 char *group_out, size_t group_len);

/* passwd_check on a file opened by someone else (main opens it for
 * sec-mod, which cannot): read from its start; fd stays open (its offset
 * moves). The same results. */
int passwd_check_fd(int fd, const char *user, const char *password, char *group_out,
		    size_t group_len);

/* Verify password against one crypt(3) hash with a constant-time comparison.
 * 0: match; -EACCES: no match or locked ("*"/"!" prefix, empty); -EINVAL:
 * a hash crypt(3) does not understand; -ENOMEM. */
int passwd_verify(const char *hash, const char *password);

/* Check the file's syntax once (e.g. at startup). 0, -EINVAL with
 * "FILE:LINE: reason" in err, or -errno ("FILE: reason"). err may be NULL. */
int passwd_validate(const char *file, char *err, size_t err_len);

#endif
