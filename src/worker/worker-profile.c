/* SPDX-License-Identifier: GPL-2.0-or-later */
/* user-profile: the XML client profile, read and hashed (worker-profile.h). */
#include "config.h"

#include "worker/worker-profile.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The base name of path when it can go into a URI as is, else NULL. */
static const char *uri_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;

	if (name[0] == '\0' || name[0] == '.')
		return NULL;
	for (const char *c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '.' || *c == '_' || *c == '-'))
			return NULL;
	return name;
}

/* The whole file at path into a new buffer of *len bytes. */
static int read_all(const char *path, char **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	size_t got = 0;
	char *buf = NULL;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > (off_t)WORKER_PROFILE_MAX)
		r = -EFBIG;
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		r = -ENOMEM;
	while (r == 0 && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else
			got += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = got;
	return 0;
}

int worker_profile_load(const char *path, struct worker_profile *p, char *err, size_t errlen)
{
	const char *name = uri_name(path);
	uint8_t digest[20];
	int r;

	memset(p, 0, sizeof(*p));
	if (name == NULL || strlen(WORKER_PROFILE_PREFIX) + strlen(name) >= sizeof(p->uri)) {
		snprintf(err, errlen, "user-profile %s: the file name must be at most %zu of the "
			 "characters A-Z a-z 0-9 . _ - (it becomes the download URI)", path,
			 sizeof(p->uri) - strlen(WORKER_PROFILE_PREFIX) - 1);
		return -EINVAL;
	}
	r = read_all(path, &p->data, &p->len);
	if (r < 0) {
		snprintf(err, errlen, "user-profile %s: %s", path,
			 r == -EFBIG ? "larger than 1 MiB" : r == -EINVAL ? "not a regular file"
							       : strerror(-r));
		return r;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, p->data, p->len, digest) < 0) {
		snprintf(err, errlen, "user-profile %s: SHA-1 not available", path);
		worker_profile_free(p);
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(p->sha1 + 2 * i, 3, "%02x", digest[i]);
	snprintf(p->uri, sizeof(p->uri), "%s%s", WORKER_PROFILE_PREFIX, name);
	return 0;
}

void worker_profile_free(struct worker_profile *p)
{
	free(p->data);
	memset(p, 0, sizeof(*p));
}
