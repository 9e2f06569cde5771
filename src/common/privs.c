/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* Giving up privileges; see privs.h. */

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privs.h"

/* A decimal id, as "65534"; false when s is not one. */
static bool numeric_id(const char *s, unsigned long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *out < (unsigned long)(uid_t)-1;
}

int privs_user_id(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);
	unsigned long v;

	if (pw == NULL && numeric_id(user, &v))
		pw = getpwuid((uid_t)v);
	if (pw != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	if (!numeric_id(user, &v))
		return -ENOENT;
	/* a uid without a passwd entry: its group is the same number */
	*uid = (uid_t)v;
	*gid = (gid_t)v;
	return 0;
}

int privs_group_id(const char *group, gid_t *gid)
{
	struct group *gr = getgrnam(group);
	unsigned long v;

	if (gr != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!numeric_id(group, &v))
		return -ENOENT;
	*gid = (gid_t)v;
	return 0;
}

int privs_drop(const char *who, const char *user, const char *group)
{
	capng_flags_t bounding;
	uid_t uid;
	gid_t gid;
	int r;

	if (geteuid() != 0) {
		log_warn("%s: not running as root: keeping uid %ld (run-as-user ignored)", who,
			 (long)geteuid());
		return 0;
	}
	if (user == NULL) {
		log_warn("%s: no run-as-user: it keeps running as root", who);
		return 0;
	}
	if (privs_user_id(user, &uid, &gid) < 0) {
		log_err("%s: run-as-user %s: no such user", who, user);
		return -ENOENT;
	}
	if (group != NULL && privs_group_id(group, &gid) < 0) {
		log_err("%s: run-as-group %s: no such group", who, group);
		return -ENOENT;
	}
	if (uid == 0) {
		log_warn("%s: run-as-user %s is root: it keeps running as root", who, user);
		return 0;
	}
	/* no supplementary group, setgid, setuid; no capability left, and the
	 * bounding set cleared while still root when we may (CAP_SETPCAP: a
	 * worker, executed by a main that gave it up, keeps main's short one) */
	capng_get_caps_process();
	bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) ? CAPNG_CLEAR_BOUNDING
								       : CAPNG_NO_FLAG;
	capng_clear(CAPNG_SELECT_BOTH);
	r = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | bounding);
	if (r != 0) {
		log_err("%s: dropping privileges to %s: libcap-ng step %d failed (%s)", who, user, r,
			strerror(errno));
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		log_warn("%s: no_new_privs: %s", who, strerror(errno));
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != uid || geteuid() != uid) {
		log_err("%s: privileges could be regained after dropping them", who);
		return -EPERM;
	}
	return 0;
}

int privs_main_limit(void)
{
	static const unsigned kept[] = { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_KILL, CAP_SETUID,
					 CAP_SETGID };
	capng_select_t what = CAPNG_SELECT_CAPS;
	bool have[sizeof(kept) / sizeof(kept[0])];

	if (geteuid() != 0) {
		log_debug("not running as root: no capabilities to give up");
		return 0;
	}
	capng_get_caps_process();
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		what = CAPNG_SELECT_BOTH;
	else
		log_info("no CAP_SETPCAP: the capability bounding set stays as it was given");
	/* only what we hold can be kept (a container may have given less) */
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, kept[i]);
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (have[i])
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				     kept[i]);
	if (capng_apply(what) != 0) {
		log_err("giving up capabilities: %s", strerror(errno));
		return -EPERM;
	}
	log_info("capabilities kept: cap_net_admin, cap_net_bind_service, cap_kill, cap_setuid, "
		 "cap_setgid");
	return 0;
}
