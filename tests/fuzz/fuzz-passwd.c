/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * libFuzzer target for the ocpasswd-format password file reader
 * (src/common/passwd.c): whatever the file holds, passwd_validate and
 * passwd_check (by descriptor, as sec-mod reads it) return one of their
 * documented answers, never crash, never read past a line, and a match only
 * ever comes from a line that names the user with a hash that verifies.
 *
 * Input: [1 byte: which user to ask for][the file's bytes]. The user is one
 * of a few names (among them the empty name and names with ':' and a line
 * break, which must be refused before the file is read). The file sits in a
 * memfd, read from its start.
 *
 * crypt_r is replaced here (this program's definition wins over
 * libcrypt's): a real hash costs milliseconds, and a "$6$rounds=999999999$"
 * line would cost minutes. The stand-in "verifies" the password "pw"
 * against the hash "$fake$pw" only, answers libxcrypt's failure token "*0"
 * for a setting without '$' first, and otherwise a string that never
 * matches; the parsing around it and the constant-time comparison are the
 * real ones.
 */

#define _GNU_SOURCE 1 /* memfd_create */

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

char *crypt_r(const char *phrase, const char *setting, struct crypt_data *cd)
{
	static const char failed[] = "*0";
	char *out = cd->output;

	if (setting[0] != '$') {
		memcpy(out, failed, sizeof(failed));
		return out;
	}
	if (strcmp(setting, "$fake$pw") == 0 && strcmp(phrase, "pw") == 0) {
		memcpy(out, "$fake$pw", sizeof("$fake$pw"));
		return out;
	}
	memcpy(out, "$fake$never", sizeof("$fake$never"));
	return out;
}

static const char *const users[] = { "alice", "bob", "", "a:b", "a\nb", "carol", "#x", "u" };

static void expect(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *user;
	char group[16], err[256];
	int fd, r;

	if (size < 1)
		return 0;
	user = users[data[0] % (sizeof(users) / sizeof(users[0]))];
	fd = memfd_create("fuzz-passwd", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
		abort();

	r = passwd_check_fd(fd, user, "pw", group, sizeof(group));
	expect(r == 0 || r == -ENOENT || r == -EACCES || r == -EINVAL || r == -ERANGE);
	if (user[0] == '\0' || strpbrk(user, ":\n") != NULL)
		expect(r == -EINVAL);
	if (r == 0) {
		/* a match: the file names the user with the one hash that verifies */
		expect(memmem(data + 1, size - 1, "$fake$pw", 8) != NULL);
		expect(strlen(group) < sizeof(group));
	}
	/* no group wanted: the same answer, -ERANGE aside */
	{
		int r2 = passwd_check_fd(fd, user, "pw", NULL, 0);

		expect(r2 == (r == -ERANGE ? 0 : r));
	}

	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		r = passwd_validate(path, err, sizeof(err));
		expect(r == 0 || r == -EINVAL || r == -EIO);
		if (r < 0)
			expect(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
	}
	close(fd);
	return 0;
}
