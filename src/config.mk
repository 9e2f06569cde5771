# src/config.mk: the ocserv.conf-syntax parser (src/conf.c; not "config.h",
# which is autoconf's) and the ocpasswd password file checker, built into
# src/libconfig.a for main and the worker. Link with $(CRYPT_LIBS).
noinst_LIBRARIES += src/libconfig.a
src_libconfig_a_SOURCES = src/conf.c src/conf.h src/passwd.c src/passwd.h

# Unit tests. test-config also loads doc/sample.config and checks that it and
# doc/config-reference.md list every key with the default the code applies.
check_PROGRAMS += tests/unit/test-config tests/unit/test-passwd
TESTS += tests/unit/test-config tests/unit/test-passwd
UNIT_TESTS += tests/unit/test-config tests/unit/test-passwd

tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DDOCDIR_SRC=\"$(abs_top_srcdir)/doc\"
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_config_LDADD = src/libconfig.a $(CHECK_LIBS)

tests_unit_test_passwd_SOURCES = tests/unit/test-passwd.c
tests_unit_test_passwd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_passwd_LDADD = src/libconfig.a $(CRYPT_LIBS) $(CHECK_LIBS)

# libFuzzer target over config_parse_buffer (+ the write/re-load round trip).
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c src/conf.c src/conf.h
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif
EXTRA_DIST += tests/fuzz/fuzz-config.c tests/fuzz/seeds/fuzz-config

dist_doc_DATA += doc/sample.config doc/config-reference.md
