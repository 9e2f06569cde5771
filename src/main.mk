# SPDX-License-Identifier: GPL-2.0-or-later
# main.mk: the main process ocserv-modern and what it shares with the worker:
# the IPC framing (src/libipc.a, with the protobuf-c code generated from
# src/proto/ipc.proto into the build directory).

# --- protobuf-c code generation (build dir, VPATH/distcheck-safe) ---------
# One stamp so a parallel make runs protoc-c once for both outputs.
IPC_PROTO_GEN = src/proto/ipc.pb-c.c src/proto/ipc.pb-c.h
BUILT_SOURCES += $(IPC_PROTO_GEN)
CLEANFILES += $(IPC_PROTO_GEN) src/proto/ipc.stamp
EXTRA_DIST += src/proto/ipc.proto

src/proto/ipc.stamp: $(top_srcdir)/src/proto/ipc.proto
	@$(MKDIR_P) $(top_builddir)/src/proto
	$(AM_V_GEN)$(PROTOC_C) --proto_path=$(top_srcdir)/src/proto \
	  --c_out=$(top_builddir)/src/proto $(top_srcdir)/src/proto/ipc.proto
	@touch $@

$(IPC_PROTO_GEN): src/proto/ipc.stamp
	@test -f $@ || { rm -f src/proto/ipc.stamp; \
	  $(MAKE) $(AM_MAKEFLAGS) src/proto/ipc.stamp; }

# --- libipc.a: framing + generated messages, linked by main and worker ----
# Users link src/libipc.a $(PROTOBUF_C_LIBS) and compile with $(PROTOBUF_C_CFLAGS).
noinst_LIBRARIES += src/libipc.a
src_libipc_a_SOURCES = src/ipc.c src/ipc.h
nodist_src_libipc_a_SOURCES = $(IPC_PROTO_GEN)
src_libipc_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)

# --- libmaincore.a: main's pure modules (no I/O, no libev, injected time) --
# Link with src/vpn/libvpn.a (the session machine) and $(GNUTLS_LIBS)
# (cookie minting and hashing).
noinst_LIBRARIES += src/libmaincore.a
src_libmaincore_a_SOURCES = \
	src/ban.c src/ban.h \
	src/cookie.c src/cookie.h \
	src/ippool.c src/ippool.h \
	src/sessions.c src/sessions.h
src_libmaincore_a_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS)

# --- unit tests -----------------------------------------------------------
MAIN_UNIT_TESTS = \
	tests/unit/test-ipc \
	tests/unit/test-ban \
	tests/unit/test-cookie \
	tests/unit/test-ippool \
	tests/unit/test-sessions
check_PROGRAMS += $(MAIN_UNIT_TESTS)
TESTS += $(MAIN_UNIT_TESTS)
UNIT_TESTS += $(MAIN_UNIT_TESTS)
tests_unit_test_ipc_SOURCES = tests/unit/test-ipc.c
tests_unit_test_ipc_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ipc_LDADD = src/libipc.a $(PROTOBUF_C_LIBS) $(CHECK_LIBS)

tests_unit_test_ban_SOURCES = tests/unit/test-ban.c
tests_unit_test_ban_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ban_LDADD = src/libmaincore.a $(CHECK_LIBS)

tests_unit_test_cookie_SOURCES = tests/unit/test-cookie.c
tests_unit_test_cookie_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_cookie_LDADD = src/libmaincore.a $(GNUTLS_LIBS) $(CHECK_LIBS)

tests_unit_test_ippool_SOURCES = tests/unit/test-ippool.c
tests_unit_test_ippool_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ippool_LDADD = src/libmaincore.a $(CHECK_LIBS)

tests_unit_test_sessions_SOURCES = tests/unit/test-sessions.c
tests_unit_test_sessions_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sessions_LDADD = src/libmaincore.a src/vpn/libvpn.a $(GNUTLS_LIBS) $(CHECK_LIBS)

# --- fuzz targets ---------------------------------------------------------
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-ipc
tests_fuzz_fuzz_ipc_SOURCES = tests/fuzz/fuzz-ipc.c src/ipc.c src/ipc.h
nodist_tests_fuzz_fuzz_ipc_SOURCES = $(IPC_PROTO_GEN)
tests_fuzz_fuzz_ipc_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_ipc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_ipc_LDADD = $(PROTOBUF_C_LIBS)
endif
# `make fuzz` builds FUZZ_TARGETS directly, without BUILT_SOURCES first.
tests/fuzz/fuzz_ipc-fuzz-ipc.$(OBJEXT) src/tests_fuzz_fuzz_ipc-ipc.$(OBJEXT): $(IPC_PROTO_GEN)
EXTRA_DIST += tests/fuzz/fuzz-ipc.c tests/fuzz/seeds/fuzz-ipc

# --- the main process -------------------------------------------------------
sbin_PROGRAMS += src/ocserv-modern
src_ocserv_modern_SOURCES = \
	src/main.c src/main.h \
	src/main-worker.c \
	src/main-ctl.c src/main-ctl.h \
	src/main-secmod.c src/main-secmod.h src/sec-mod-proc.c \
	src/main-script.c src/main-script.h \
	src/tun.c src/tun.h
src_ocserv_modern_CFLAGS = $(AM_CFLAGS) $(GNUTLS_CFLAGS) $(PROTOBUF_C_CFLAGS) $(LIBNL_CFLAGS)
src_ocserv_modern_LDADD = src/libsecmod.a src/libscriptenv.a src/libmaincore.a src/libipc.a src/occtl/libctl.a src/libconfig.a \
	src/vpn/libvpnev.a src/vpn/libvpn.a src/libcommon.a \
	$(GNUTLS_LIBS) $(PROTOBUF_C_LIBS) $(LIBNL_LIBS) $(LIBEV_LIBS) $(CRYPT_LIBS)

dist_man_MANS += doc/ocserv-modern.8

# --- sessions that survive their tunnels: integration scenarios -------------
# (real openconnect in namespaces, like tests/integration/local.mk; run by
# make check as root, skipped otherwise)
RESUME_INTEGRATION_TESTS = \
	tests/integration/test-resume-sighup.sh \
	tests/integration/test-resume-cut.sh \
	tests/integration/test-resume-expire.sh \
	tests/integration/test-resume-sigint.sh \
	tests/integration/test-resume-sigusr2.sh \
	tests/integration/test-resume-worker-kill.sh \
	tests/integration/test-resume-takeover.sh \
	tests/integration/test-resume-session-timeout.sh \
	tests/integration/test-resume-max-same.sh \
	tests/integration/test-resume-secmod.sh \
	tests/integration/test-resume-scripts.sh \
	tests/integration/test-resume-persistent.sh
if ENABLE_INTEGRATION
TESTS += $(RESUME_INTEGRATION_TESTS)
endif
EXTRA_DIST += $(RESUME_INTEGRATION_TESTS) tests/integration/resume-lib.sh
check-resume: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(RESUME_INTEGRATION_TESTS)'
.PHONY: check-resume

# --- DTLS in main (issue 6): the UDP listener and the routing of datagrams
# to workers (main-udp.c), over pure pieces in libmaincore.a with unit tests:
# the look into DTLS records (dtls-record.c, shared with the worker) and the
# routing table (dtls-route.c).
src_libmaincore_a_SOURCES += \
	src/dtls-record.c src/dtls-record.h \
	src/dtls-route.c src/dtls-route.h
src_ocserv_modern_SOURCES += src/main-udp.c src/main-udp.h
DTLS_MAIN_UNIT_TESTS = tests/unit/test-dtls-record tests/unit/test-dtls-route
check_PROGRAMS += $(DTLS_MAIN_UNIT_TESTS)
TESTS += $(DTLS_MAIN_UNIT_TESTS)
UNIT_TESTS += $(DTLS_MAIN_UNIT_TESTS)
tests_unit_test_dtls_record_SOURCES = tests/unit/test-dtls-record.c
tests_unit_test_dtls_record_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_dtls_record_LDADD = src/libmaincore.a $(CHECK_LIBS)
tests_unit_test_dtls_route_SOURCES = tests/unit/test-dtls-route.c
tests_unit_test_dtls_route_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_dtls_route_LDADD = src/libmaincore.a $(CHECK_LIBS)
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-dtls-record
tests_fuzz_fuzz_dtls_record_SOURCES = tests/fuzz/fuzz-dtls-record.c \
	src/dtls-record.c src/dtls-record.h src/dtls-route.c src/dtls-route.h \
	src/ban.c src/ban.h
tests_fuzz_fuzz_dtls_record_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_dtls_record_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
endif
EXTRA_DIST += tests/fuzz/fuzz-dtls-record.c tests/fuzz/seeds/fuzz-dtls-record

# --- sec-mod (src/sec-mod.h): the core as a library, so its unit test links
# exactly the code the process runs; the process itself is part of main.
noinst_LIBRARIES += src/libsecmod.a
src_libsecmod_a_SOURCES = src/sec-mod.c src/sec-mod.h
src_libsecmod_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
src/libsecmod_a-sec-mod.$(OBJEXT): $(IPC_PROTO_GEN)

check_PROGRAMS += tests/unit/test-sec-mod
TESTS += tests/unit/test-sec-mod
UNIT_TESTS += tests/unit/test-sec-mod
tests_unit_test_sec_mod_SOURCES = tests/unit/test-sec-mod.c
tests_unit_test_sec_mod_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sec_mod_LDADD = src/libsecmod.a src/libmaincore.a src/libipc.a \
	src/vpn/libvpn.a src/libcommon.a $(GNUTLS_LIBS) $(PROTOBUF_C_LIBS) $(CHECK_LIBS)
tests/unit/test_sec_mod-test-sec-mod.$(OBJEXT): $(IPC_PROTO_GEN)

# --- connect-script / disconnect-script: the environment as a pure piece
noinst_LIBRARIES += src/libscriptenv.a
src_libscriptenv_a_SOURCES = src/script-env.c src/script-env.h
check_PROGRAMS += tests/unit/test-script-env
TESTS += tests/unit/test-script-env
UNIT_TESTS += tests/unit/test-script-env
tests_unit_test_script_env_SOURCES = tests/unit/test-script-env.c
tests_unit_test_script_env_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_script_env_LDADD = src/libscriptenv.a $(CHECK_LIBS)

# --- the sessions guide for administrators
dist_doc_DATA += doc/sessions.md

# --- libFuzzer target over sec-mod's core (any sequence of main's messages)
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-secmod
tests_fuzz_fuzz_secmod_SOURCES = tests/fuzz/fuzz-secmod.c src/sec-mod.c src/sec-mod.h \
	src/sessions.c src/sessions.h src/cookie.c src/cookie.h src/ipc.c src/ipc.h \
	src/vpn/session.c src/vpn/session.h src/log.h
nodist_tests_fuzz_fuzz_secmod_SOURCES = $(IPC_PROTO_GEN)
tests_fuzz_fuzz_secmod_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(GNUTLS_CFLAGS) \
	-fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_secmod_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_secmod_LDADD = $(PROTOBUF_C_LIBS) $(GNUTLS_LIBS)
endif
tests/fuzz/fuzz_secmod-fuzz-secmod.$(OBJEXT) src/tests_fuzz_fuzz_secmod-sec-mod.$(OBJEXT) \
src/tests_fuzz_fuzz_secmod-ipc.$(OBJEXT): $(IPC_PROTO_GEN)
EXTRA_DIST += tests/fuzz/fuzz-secmod.c tests/fuzz/seeds/fuzz-secmod
