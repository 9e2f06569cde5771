# worker.mk: ocserv-modern-worker, one process per TCP connection: TLS, the
# HTTP login, CONNECT and the CSTP data path, driven by the liveness engine.
# The pure pieces (bounded send queue, CONNECT reply builder and MTU) live in
# libworker.a so their unit tests link exactly the code the worker runs.

noinst_LIBRARIES += src/libworker.a
src_libworker_a_SOURCES = \
	src/sendq.c src/sendq.h \
	src/worker-connect.c src/worker-connect.h

check_PROGRAMS += tests/unit/test-sendq tests/unit/test-connect-reply
TESTS += tests/unit/test-sendq tests/unit/test-connect-reply
UNIT_TESTS += tests/unit/test-sendq tests/unit/test-connect-reply

tests_unit_test_sendq_SOURCES = tests/unit/test-sendq.c
tests_unit_test_sendq_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sendq_LDADD = src/libworker.a $(CHECK_LIBS)

tests_unit_test_connect_reply_SOURCES = tests/unit/test-connect-reply.c
tests_unit_test_connect_reply_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_connect_reply_LDADD = src/libworker.a $(CHECK_LIBS)
