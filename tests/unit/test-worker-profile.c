/* SPDX-License-Identifier: GPL-2.0-or-later */
/* user-profile: the worker reads the file, hashes it and names its URI
 * (src/worker/worker-profile.c). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/worker-profile.h"
#include "test-main.h"

static char dir[] = "/tmp/test-worker-profile-XXXXXX";

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(load_and_hash)
{
	struct worker_profile p;
	char path[512], err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file("corp_profile-1.xml", "abc", path, sizeof(path));
	ck_assert_int_eq(worker_profile_load(path, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.len, 3);
	ck_assert_mem_eq(p.data, "abc", 3);
	/* SHA-1("abc") */
	ck_assert_str_eq(p.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_str_eq(p.uri, "/profiles/corp_profile-1.xml");
	worker_profile_free(&p);
	ck_assert_ptr_null(p.data);

	/* a name that cannot go into the URI as is */
	write_file("a b.xml", "x", path, sizeof(path));
	ck_assert_int_eq(worker_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "A-Z a-z 0-9 . _ -"));
	unlink(path);
	write_file(".hidden", "x", path, sizeof(path));
	ck_assert_int_eq(worker_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	unlink(path);
	/* missing, a directory */
	snprintf(path, sizeof(path), "%s/missing.xml", dir);
	ck_assert_int_eq(worker_profile_load(path, &p, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "missing.xml"));
	ck_assert_int_eq(worker_profile_load("/tmp", &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(p.data);
	snprintf(path, sizeof(path), "%s/corp_profile-1.xml", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *profile_suite(void)
{
	Suite *s = suite_create("worker-profile");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, load_and_hash);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(profile_suite)
