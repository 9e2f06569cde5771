/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_WORKER_PROFILE_H
#define OCSM_WORKER_PROFILE_H

/*
 * user-profile (doc/config-reference.md): the XML client profile that
 * AnyConnect-style clients download after their login.
 *
 * The login's success page names it (doc/spec/interop.md §1.2):
 *
 *   <config client="vpn" type="private"><vpn-profile-manifest><vpn rev="1.0">
 *   <file type="profile" service-type="user"><uri>/profiles/NAME</uri>
 *   <hash type="sha1">SHA-1 of the file, 40 hex digits</hash></file>
 *   </vpn></vpn-profile-manifest></config>
 *
 * and GET /profiles/NAME (NAME: the file's base name) answers it as
 * text/xml. The worker reads the file once, when it starts (before its
 * sandbox), as run-as-user.
 */

#include <stddef.h>

#define WORKER_PROFILE_MAX (1024u * 1024u)   /* bytes */
#define WORKER_PROFILE_PREFIX "/profiles/"

struct worker_profile {
	char *data;
	size_t len;
	char uri[256];        /* WORKER_PROFILE_PREFIX + the base name */
	char sha1[41];        /* lowercase hex */
};

/* Read path into *p. 0, or a negative errno with a message in err (the
 * file is then not offered). A base name that does not fit uri, or with
 * characters other than A-Z a-z 0-9 . _ -, is -EINVAL. */
int worker_profile_load(const char *path, struct worker_profile *p, char *err, size_t errlen);

void worker_profile_free(struct worker_profile *p);

#endif
