# SPDX-License-Identifier: GPL-2.0-or-later
# src/vpn: the liveness engine (pure state machines) and its libev adapter.
#
# libvpn.a   pure engine: no I/O, no clock reads, no libev (link it anywhere)
# libvpnev.a the libev adapter (clock + one lazily re-armed ev_timer per owner);
#            link it before libvpn.a and add $(LIBEV_LIBS)

noinst_LIBRARIES += src/vpn/libvpn.a src/vpn/libvpnev.a
src_vpn_libvpn_a_SOURCES = \
	src/vpn/time.h \
	src/vpn/dpd.c src/vpn/dpd.h \
	src/vpn/keepalive.c src/vpn/keepalive.h \
	src/vpn/idle.c src/vpn/idle.h \
	src/vpn/dtls.c src/vpn/dtls.h \
	src/vpn/session.c src/vpn/session.h \
	src/vpn/tunnel.c src/vpn/tunnel.h
src_vpn_libvpnev_a_SOURCES = src/vpn/ev-adapter.c src/vpn/ev-adapter.h

# --- unit tests (check), one program per machine ---------------------------
VPN_UNIT_TESTS = \
	tests/unit/test-vpn-time \
	tests/unit/test-vpn-dpd \
	tests/unit/test-vpn-keepalive \
	tests/unit/test-vpn-idle \
	tests/unit/test-vpn-dtls \
	tests/unit/test-vpn-session \
	tests/unit/test-vpn-tunnel \
	tests/unit/test-vpn-ev
check_PROGRAMS += $(VPN_UNIT_TESTS)
TESTS += $(VPN_UNIT_TESTS)
UNIT_TESTS += $(VPN_UNIT_TESTS)

VPN_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
VPN_TEST_LDADD = src/vpn/libvpn.a $(CHECK_LIBS)

tests_unit_test_vpn_time_SOURCES = tests/unit/test-vpn-time.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_time_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_time_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_dpd_SOURCES = tests/unit/test-vpn-dpd.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_dpd_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_dpd_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_keepalive_SOURCES = tests/unit/test-vpn-keepalive.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_keepalive_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_keepalive_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_idle_SOURCES = tests/unit/test-vpn-idle.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_idle_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_idle_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_dtls_SOURCES = tests/unit/test-vpn-dtls.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_dtls_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_dtls_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_session_SOURCES = tests/unit/test-vpn-session.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_session_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_session_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_tunnel_SOURCES = tests/unit/test-vpn-tunnel.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_tunnel_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_tunnel_LDADD = $(VPN_TEST_LDADD)

tests_unit_test_vpn_ev_SOURCES = tests/unit/test-vpn-ev.c tests/unit/vpn-test-util.h
tests_unit_test_vpn_ev_CFLAGS = $(VPN_TEST_CFLAGS)
tests_unit_test_vpn_ev_LDADD = src/vpn/libvpnev.a src/vpn/libvpn.a $(LIBEV_LIBS) $(CHECK_LIBS)

# --- fuzz targets (configure CC=clang --enable-fuzzing; make fuzz) ----------
# Built from the sources, not from libvpn.a, so the code under test carries
# the fuzzer's instrumentation.
VPN_FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-vpn-packet tests/fuzz/fuzz-vpn-tunnel
tests_fuzz_fuzz_vpn_packet_SOURCES = tests/fuzz/fuzz-vpn-packet.c \
	src/vpn/idle.c src/vpn/idle.h src/vpn/time.h
tests_fuzz_fuzz_vpn_packet_CFLAGS = $(AM_CFLAGS) $(VPN_FUZZ_FLAGS)
tests_fuzz_fuzz_vpn_packet_LDFLAGS = $(AM_LDFLAGS) $(VPN_FUZZ_FLAGS)
tests_fuzz_fuzz_vpn_tunnel_SOURCES = tests/fuzz/fuzz-vpn-tunnel.c $(src_vpn_libvpn_a_SOURCES)
tests_fuzz_fuzz_vpn_tunnel_CFLAGS = $(AM_CFLAGS) $(VPN_FUZZ_FLAGS)
tests_fuzz_fuzz_vpn_tunnel_LDFLAGS = $(AM_LDFLAGS) $(VPN_FUZZ_FLAGS)
endif
EXTRA_DIST += tests/fuzz/fuzz-vpn-packet.c tests/fuzz/fuzz-vpn-tunnel.c \
	tests/fuzz/seeds/fuzz-vpn-packet tests/fuzz/seeds/fuzz-vpn-tunnel
