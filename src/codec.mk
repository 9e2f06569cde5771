# codec.mk: the wire parsers (CSTP/DTLS frame codec, HTTP request parser,
# XML auth body parser), one library the worker links, their unit tests and
# their libFuzzer targets.

noinst_LIBRARIES += src/libcodec.a
src_libcodec_a_SOURCES = \
	src/cstp.c src/cstp.h \
	src/http.c src/http.h \
	src/xmlauth.c src/xmlauth.h

# --- unit tests (check)
check_PROGRAMS += tests/unit/test-cstp
TESTS += tests/unit/test-cstp
UNIT_TESTS += tests/unit/test-cstp
tests_unit_test_cstp_SOURCES = tests/unit/test-cstp.c
tests_unit_test_cstp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cstp_LDADD = src/libcodec.a $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-http
TESTS += tests/unit/test-http
UNIT_TESTS += tests/unit/test-http
tests_unit_test_http_SOURCES = tests/unit/test-http.c
tests_unit_test_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_http_LDADD = src/libcodec.a $(CHECK_LIBS)

check_PROGRAMS += tests/unit/test-xmlauth
TESTS += tests/unit/test-xmlauth
UNIT_TESTS += tests/unit/test-xmlauth
tests_unit_test_xmlauth_SOURCES = tests/unit/test-xmlauth.c
tests_unit_test_xmlauth_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_xmlauth_LDADD = src/libcodec.a $(CHECK_LIBS)

# --- fuzz targets (libFuzzer): the parser's sources are compiled into the
# target with the fuzz flags, not linked from libcodec.a.

FUZZ_TARGETS += tests/fuzz/fuzz-cstp
tests_fuzz_fuzz_cstp_SOURCES = tests/fuzz/fuzz-cstp.c src/cstp.c src/cstp.h
tests_fuzz_fuzz_cstp_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_cstp_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined

FUZZ_TARGETS += tests/fuzz/fuzz-http
tests_fuzz_fuzz_http_SOURCES = tests/fuzz/fuzz-http.c src/http.c src/http.h
tests_fuzz_fuzz_http_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_http_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined

FUZZ_TARGETS += tests/fuzz/fuzz-xmlauth
tests_fuzz_fuzz_xmlauth_SOURCES = tests/fuzz/fuzz-xmlauth.c src/xmlauth.c src/xmlauth.h
tests_fuzz_fuzz_xmlauth_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_xmlauth_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined

EXTRA_DIST += tests/fuzz/fuzz-cstp.c tests/fuzz/seeds/fuzz-cstp \
	tests/fuzz/fuzz-http.c tests/fuzz/seeds/fuzz-http \
	tests/fuzz/fuzz-xmlauth.c tests/fuzz/seeds/fuzz-xmlauth
