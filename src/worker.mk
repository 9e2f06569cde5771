# worker.mk: ocserv-modern-worker, one process per TCP connection: TLS, the
# HTTP login, CONNECT and the CSTP data path, driven by the liveness engine.
# The pure pieces (bounded send queue, CONNECT reply builder and MTU, the
# HTTP answer builders) live in libworker.a so their unit tests link exactly
# the code the worker runs.

noinst_LIBRARIES += src/libworker.a
src_libworker_a_SOURCES = \
	src/sendq.c src/sendq.h \
	src/worker-connect.c src/worker-connect.h \
	src/worker-reply.c src/worker-reply.h \
	src/dtls-record.c src/dtls-record.h

WORKER_UNIT_TESTS = tests/unit/test-sendq tests/unit/test-connect-reply \
	tests/unit/test-worker-reply
check_PROGRAMS += $(WORKER_UNIT_TESTS)
TESTS += $(WORKER_UNIT_TESTS)
UNIT_TESTS += $(WORKER_UNIT_TESTS)

tests_unit_test_sendq_SOURCES = tests/unit/test-sendq.c
tests_unit_test_sendq_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sendq_LDADD = src/libworker.a $(CHECK_LIBS)

tests_unit_test_connect_reply_SOURCES = tests/unit/test-connect-reply.c
tests_unit_test_connect_reply_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_connect_reply_LDADD = src/libworker.a $(CHECK_LIBS)

tests_unit_test_worker_reply_SOURCES = tests/unit/test-worker-reply.c
tests_unit_test_worker_reply_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_worker_reply_LDADD = src/libworker.a $(CHECK_LIBS)

# --- the worker program ------------------------------------------------------
sbin_PROGRAMS += src/ocserv-modern-worker
src_ocserv_modern_worker_SOURCES = \
	src/worker.c src/worker.h \
	src/worker-dtls.c src/worker-dtls.h \
	src/worker-http.c \
	src/worker-tunnel.c
src_ocserv_modern_worker_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS) $(PROTOBUF_C_CFLAGS)
src_ocserv_modern_worker_LDADD = \
	src/libworker.a src/libcodec.a src/libipc.a src/libconfig.a \
	src/vpn/libvpnev.a src/vpn/libvpn.a src/libcommon.a \
	$(GNUTLS_LIBS) $(PROTOBUF_C_LIBS) $(LIBEV_LIBS) $(CRYPT_LIBS)
# The generated IPC header must exist before the worker's objects compile.
src/ocserv_modern_worker-worker.$(OBJEXT) src/ocserv_modern_worker-worker-http.$(OBJEXT) \
src/ocserv_modern_worker-worker-tunnel.$(OBJEXT) \
src/ocserv_modern_worker-worker-dtls.$(OBJEXT): $(IPC_PROTO_GEN)

# --- the DTLS channel (issue 6): integration scenarios with the real client
# (tests/integration/dtls-lib.sh on top of lib.sh; run by make check as root,
# skipped otherwise). `make check-dtls` runs only these.
DTLS_INTEGRATION_TESTS = \
	tests/integration/test-dtls-connect.sh \
	tests/integration/test-dtls-fallback.sh \
	tests/integration/test-dtls-rebind.sh \
	tests/integration/test-dtls-switch.sh \
	tests/integration/test-dtls-mtu.sh
if ENABLE_INTEGRATION
TESTS += $(DTLS_INTEGRATION_TESTS)
endif
EXTRA_DIST += $(DTLS_INTEGRATION_TESTS) tests/integration/dtls-lib.sh
check-dtls: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(DTLS_INTEGRATION_TESTS)'
.PHONY: check-dtls
