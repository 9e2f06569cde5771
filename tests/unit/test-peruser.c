/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * Which per-user and per-group files main reads for a session
 * (src/main/main-peruser.h): the user's and the group's own files, the
 * default files when they are missing, none for a user without a group, no
 * own file for a name with '/' or a leading '.', a broken file not used.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "main/main-peruser.h"
#include "test-main.h"

static char dir[] = "/tmp/test-peruser-XXXXXX";
static char users[64], groups[64], def_user[64], def_group[64];
static struct config cfg;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void put_in(const char *d, const char *name, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	put(path, text);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(groups, sizeof(groups), "%s/groups", dir);
	snprintf(def_user, sizeof(def_user), "%s/user.conf", dir);
	snprintf(def_group, sizeof(def_group), "%s/group.conf", dir);
	ck_assert_int_eq(mkdir(users, 0700), 0);
	ck_assert_int_eq(mkdir(groups, 0700), 0);
	put_in(users, "alice", "dpd = 2\n");
	put_in(users, "broken", "dpd = 1\n");
	put_in(groups, "staff", "idle-timeout = 7\n");
	put(def_user, "keepalive = 11\n");
	put(def_group, "keepalive = 22\n");
	/* a file outside the directory that "../" would reach */
	put_in(dir, "evil", "dpd = 3\n");
	memset(&cfg, 0, sizeof(cfg));
	cfg.config_per_user = users;
	cfg.config_per_group = groups;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(own_files)
{
	struct config_user u, g;

	main_peruser_load(&cfg, "alice", "staff", &u, &g);
	ck_assert_uint_eq(u.set, 1u << CONFIG_USER_DPD);
	ck_assert_uint_eq(u.dpd_s, 2);
	ck_assert_uint_eq(g.set, 1u << CONFIG_USER_IDLE_TIMEOUT);
	ck_assert_uint_eq(g.idle_timeout_s, 7);
	config_user_free(&u);
	config_user_free(&g);
}
END_TEST

START_TEST(defaults)
{
	struct config_user u, g;

	/* no own file, no default: nothing */
	main_peruser_load(&cfg, "bob", "others", &u, &g);
	ck_assert_uint_eq(u.set, 0);
	ck_assert_uint_eq(g.set, 0);
	cfg.default_user_config = def_user;
	cfg.default_group_config = def_group;
	main_peruser_load(&cfg, "bob", "others", &u, &g);
	ck_assert_uint_eq(u.keepalive_s, 11);
	ck_assert_uint_eq(g.keepalive_s, 22);
	/* a user without a group gets no group file, not even the default */
	main_peruser_load(&cfg, "bob", "", &u, &g);
	ck_assert_uint_eq(u.keepalive_s, 11);
	ck_assert_uint_eq(g.set, 0);
	/* an own file that is broken is not used, and the default is not either */
	main_peruser_load(&cfg, "broken", "staff", &u, &g);
	ck_assert_uint_eq(u.set, 0);
	ck_assert_uint_eq(g.idle_timeout_s, 7);
	/* without the directories only the defaults apply */
	cfg.config_per_user = cfg.config_per_group = NULL;
	main_peruser_load(&cfg, "alice", "staff", &u, &g);
	ck_assert_uint_eq(u.keepalive_s, 11);
	ck_assert_uint_eq(g.keepalive_s, 22);
}
END_TEST

START_TEST(unsafe_names)
{
	struct config_user u, g;
	static const char *const names[] = { "../evil", "..", ".", ".hidden", "a/b", "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		main_peruser_load(&cfg, names[i], names[i], &u, &g);
		ck_assert_msg(u.set == 0 && g.set == 0, "'%s' read a file", names[i]);
	}
	cfg.default_user_config = def_user;
	main_peruser_load(&cfg, "../evil", "", &u, &g);
	ck_assert_uint_eq(u.set, 1u << CONFIG_USER_KEEPALIVE);  /* the default, not ../evil */
}
END_TEST

static Suite *peruser_suite(void)
{
	Suite *s = suite_create("peruser");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, own_files);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, unsafe_names);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(peruser_suite)
