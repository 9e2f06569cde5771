/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TEST_MAIN_H
#define TEST_MAIN_H

/*
 * The main() of every unit test program: run one check(1) suite with the
 * verbosity CK_VERBOSITY asks for, and exit non-zero if a test failed.
 *
 *   static Suite *foo_suite(void) { ... }
 *   TEST_MAIN(foo_suite)
 */

#include <check.h>
#include <stdlib.h>

#define TEST_MAIN(suite_fn)                                            \
	int main(void)                                                 \
	{                                                              \
		SRunner *sr = srunner_create(suite_fn());              \
		int failed;                                            \
		srunner_run_all(sr, CK_ENV);                           \
		failed = srunner_ntests_failed(sr);                    \
		srunner_free(sr);                                      \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;      \
	}

#endif /* TEST_MAIN_H */
