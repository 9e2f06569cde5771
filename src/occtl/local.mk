# SPDX-License-Identifier: GPL-2.0-or-later
# src/occtl/local.mk: occtl-modern, the control tool, and the control
# protocol it shares with main (src/proto/ctl.proto, src/occtl/ctlmsg.c,
# linked into main as src/occtl/libctl.a). The JSON writer, the renderer and
# the command parser are pure and unit-tested.

# --- protobuf-c code generation (build dir, VPATH/distcheck-safe) ---------
CTL_PROTO_GEN = src/proto/ctl.pb-c.c src/proto/ctl.pb-c.h
BUILT_SOURCES += $(CTL_PROTO_GEN)
CLEANFILES += $(CTL_PROTO_GEN) src/proto/ctl.stamp
EXTRA_DIST += src/proto/ctl.proto

src/proto/ctl.stamp: $(top_srcdir)/src/proto/ctl.proto
	@$(MKDIR_P) $(top_builddir)/src/proto
	$(AM_V_GEN)$(PROTOC_C) --proto_path=$(top_srcdir)/src/proto \
	  --c_out=$(top_builddir)/src/proto $(top_srcdir)/src/proto/ctl.proto
	@touch $@

$(CTL_PROTO_GEN): src/proto/ctl.stamp
	@test -f $@ || { rm -f src/proto/ctl.stamp; \
	  $(MAKE) $(AM_MAKEFLAGS) src/proto/ctl.stamp; }

# --- libctl.a: framing + messages, linked by main and occtl-modern --------
noinst_LIBRARIES += src/occtl/libctl.a
src_occtl_libctl_a_SOURCES = src/occtl/ctlmsg.c src/occtl/ctlmsg.h
nodist_src_occtl_libctl_a_SOURCES = $(CTL_PROTO_GEN)
src_occtl_libctl_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)

# --- libocctl.a: the tool's pure parts (JSON, rendering, command words) ---
noinst_LIBRARIES += src/occtl/libocctl.a
src_occtl_libocctl_a_SOURCES = \
	src/occtl/json.c src/occtl/json.h \
	src/occtl/render.c src/occtl/render.h \
	src/occtl/cmdline.c src/occtl/cmdline.h
src_occtl_libocctl_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
src/occtl/libocctl_a-render.$(OBJEXT) src/occtl/libocctl_a-cmdline.$(OBJEXT): $(CTL_PROTO_GEN)

# --- the tool ---------------------------------------------------------------
bin_PROGRAMS += src/occtl/occtl-modern
src_occtl_occtl_modern_SOURCES = src/occtl/occtl.c
src_occtl_occtl_modern_CPPFLAGS = $(AM_CPPFLAGS) \
	-DOCCTL_DEFAULT_SOCKET=\"$(OCCTL_DEFAULT_SOCKET)\"
src_occtl_occtl_modern_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS)
src_occtl_occtl_modern_LDADD = src/occtl/libocctl.a src/occtl/libctl.a $(PROTOBUF_C_LIBS) $(LIBEDIT_LIBS)
src/occtl/occtl_modern-occtl.$(OBJEXT): $(CTL_PROTO_GEN)
# The config default of occtl-socket-file (src/conf.c).
OCCTL_DEFAULT_SOCKET = /run/occtl-modern.socket

dist_man_MANS += doc/occtl-modern.8

# --- unit tests -------------------------------------------------------------
OCCTL_UNIT_TESTS = tests/unit/test-occtl-json tests/unit/test-occtl-cmd \
	tests/unit/test-occtl-render
check_PROGRAMS += $(OCCTL_UNIT_TESTS)
TESTS += $(OCCTL_UNIT_TESTS)
UNIT_TESTS += $(OCCTL_UNIT_TESTS)

tests_unit_test_occtl_json_SOURCES = tests/unit/test-occtl-json.c
tests_unit_test_occtl_json_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_occtl_json_LDADD = src/occtl/libocctl.a $(CHECK_LIBS)

tests_unit_test_occtl_cmd_SOURCES = tests/unit/test-occtl-cmd.c
tests_unit_test_occtl_cmd_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_occtl_cmd_LDADD = src/occtl/libocctl.a src/occtl/libctl.a \
	$(PROTOBUF_C_LIBS) $(CHECK_LIBS)

tests_unit_test_occtl_render_SOURCES = tests/unit/test-occtl-render.c tests/unit/json-check.h
tests_unit_test_occtl_render_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_occtl_render_LDADD = src/occtl/libocctl.a src/occtl/libctl.a \
	$(PROTOBUF_C_LIBS) $(CHECK_LIBS)
tests/unit/test_occtl_cmd-test-occtl-cmd.$(OBJEXT) \
tests/unit/test_occtl_render-test-occtl-render.$(OBJEXT): $(CTL_PROTO_GEN)

# main links libctl.a (src/main.mk); its control code needs the header first.
src/ocserv_modern-main-ctl.$(OBJEXT): $(CTL_PROTO_GEN)

# --- integration tests (real openconnect in namespaces, as root; lib.sh) ----
OCCTL_INTEGRATION_TESTS = tests/integration/test-occtl-session.sh \
	tests/integration/test-occtl-actions.sh \
	tests/integration/test-occtl-dtls.sh
if ENABLE_INTEGRATION
TESTS += $(OCCTL_INTEGRATION_TESTS)
endif
EXTRA_DIST += $(OCCTL_INTEGRATION_TESTS) tests/integration/occtl-lib.sh
check-occtl: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(OCCTL_INTEGRATION_TESTS)'
.PHONY: check-occtl

# --- fuzz target: control frames, requests, and rendering any reply --------
if ENABLE_FUZZING
FUZZ_TARGETS += tests/fuzz/fuzz-occtl
tests_fuzz_fuzz_occtl_SOURCES = tests/fuzz/fuzz-occtl.c tests/unit/json-check.h \
	src/occtl/ctlmsg.c src/occtl/ctlmsg.h src/occtl/json.c src/occtl/json.h \
	src/occtl/render.c src/occtl/render.h
nodist_tests_fuzz_fuzz_occtl_SOURCES = $(CTL_PROTO_GEN)
tests_fuzz_fuzz_occtl_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_occtl_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_occtl_LDADD = $(PROTOBUF_C_LIBS)
endif
# `make fuzz` builds FUZZ_TARGETS directly, without BUILT_SOURCES first.
tests/fuzz/fuzz_occtl-fuzz-occtl.$(OBJEXT) src/occtl/tests_fuzz_fuzz_occtl-render.$(OBJEXT) \
src/occtl/tests_fuzz_fuzz_occtl-ctlmsg.$(OBJEXT): $(CTL_PROTO_GEN)
EXTRA_DIST += tests/fuzz/fuzz-occtl.c tests/fuzz/seeds/fuzz-occtl
