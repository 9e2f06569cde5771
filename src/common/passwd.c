/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ocpasswd-format password file checks (see passwd.h).
 */
#include "config.h"

#include "common/passwd.h"

#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

/* Hash of no real password, verified when the user is unknown or locked so
 * that those answers take about as long as a wrong password (SHA-512, 5000
 * rounds, as ocpasswd makes by default). */
static const char dummy_hash[] =
	"$6$dummysaltdummysa$.YyK8/PacERLHjvoYsPahbs84qAYUaqIA0t/gMO/pJjDqJA8iVQNJgF4UfpAB8VEaJ96GELcq2JBBtR4tZGNS0";

/* Constant time in the contents; the lengths (public hash format) may show. */
static bool equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static bool is_locked(const char *hash)
{
	return !hash[0] || hash[0] == '*' || hash[0] == '!';
}

int passwd_verify(const char *hash, const char *password)
{
	struct crypt_data *cd;
	const char *out;
	bool locked = is_locked(hash);
	int r;

	if (!password)
		return -EINVAL;
	/* struct crypt_data is about 32 KiB: not for the stack. */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	out = crypt_r(password, locked ? dummy_hash : hash, cd);
	if (locked)
		r = -EACCES;
	else if (!out || out[0] == '*')
		r = -EINVAL;  /* libxcrypt's failure token: unknown method or bad salt */
	else
		r = equal_ct(out, hash) ? 0 : -EACCES;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

/* Split "user:group:hash" in place. false: not three fields. */
static bool split_line(char *line, char **user, char **group, char **hash)
{
	char *c1 = strchr(line, ':'), *c2;

	if (!c1)
		return false;
	c2 = strchr(c1 + 1, ':');
	if (!c2 || strchr(c2 + 1, ':'))
		return false;
	*c1 = *c2 = '\0';
	*user = line;
	*group = c1 + 1;
	*hash = c2 + 1;
	return **user != '\0';
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static bool skip_line(const char *s)
{
	return !s[0] || s[0] == '#';
}

static bool bad_arguments(const char *user, const char *password)
{
	return !user || !*user || strpbrk(user, ":\r\n") || !password;
}

/* passwd_check on an open file, from where it stands. */
static int check_stream(FILE *f, const char *user, const char *password, char *group_out,
			size_t group_len)
{
	char *line = NULL;
	size_t cap = 0, ulen = strlen(user);
	int r = -ENOENT;

	while (getline(&line, &cap, f) >= 0) {
		char *u, *g, *h;

		chomp(line);
		if (skip_line(line))
			continue;
		if (!split_line(line, &u, &g, &h)) {
			/* Only the user's own broken line is its problem. */
			if (!strncmp(line, user, ulen) && (line[ulen] == ':' || !line[ulen])) {
				r = -EINVAL;
				break;
			}
			continue;
		}
		if (strcmp(u, user))
			continue;
		r = passwd_verify(h, password);
		if (r == 0 && group_out) {
			if (strlen(g) >= group_len)
				r = -ERANGE;
			else
				memcpy(group_out, g, strlen(g) + 1);
		}
		break;
	}
	if (r == -ENOENT && ferror(f))
		r = -EIO;
	if (r == -ENOENT)
		(void)passwd_verify(dummy_hash, password);  /* same cost as a known user */
	if (line)
		explicit_bzero(line, cap);
	free(line);
	return r;
}

int passwd_check(const char *file, const char *user, const char *password,
		 char *group_out, size_t group_len)
{
	FILE *f;
	int r;

	if (bad_arguments(user, password))
		return -EINVAL;
	f = fopen(file, "re");
	if (!f)  /* never -ENOENT: that answer means "unknown user" */
		return errno == ENOENT ? -EIO : -errno;
	r = check_stream(f, user, password, group_out, group_len);
	fclose(f);
	return r;
}

int passwd_check_fd(int fd, const char *user, const char *password, char *group_out,
		    size_t group_len)
{
	FILE *f;
	int d, r;

	if (bad_arguments(user, password))
		return -EINVAL;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -errno;
	if (lseek(d, 0, SEEK_SET) < 0 || (f = fdopen(d, "r")) == NULL) {
		r = errno == ESPIPE ? -EIO : -errno;
		close(d);
		return r;
	}
	r = check_stream(f, user, password, group_out, group_len);
	fclose(f);
	return r;
}

int passwd_validate(const char *file, char *err, size_t err_len)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	unsigned n = 0;
	int r = 0;

	f = fopen(file, "re");
	if (!f) {
		r = -errno;
		if (err)
			snprintf(err, err_len, "%s: %s", file, strerror(-r));
		return r;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *u, *g, *h;

		n++;
		chomp(line);
		if (skip_line(line))
			continue;
		if (!split_line(line, &u, &g, &h)) {
			if (err)
				snprintf(err, err_len, "%s:%u: expected user:group:hash", file, n);
			r = -EINVAL;
			break;
		}
		if (!is_locked(h) && h[0] != '$' && strlen(h) != 13) {
			if (err)
				snprintf(err, err_len, "%s:%u: user '%s': the hash is not in "
					 "crypt(3) format (use ocpasswd)", file, n, u);
			r = -EINVAL;
			break;
		}
	}
	if (!r && ferror(f)) {
		r = -EIO;
		if (err)
			snprintf(err, err_len, "%s: read error", file);
	}
	if (line)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	return r;
}
