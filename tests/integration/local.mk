# tests/integration: the real openconnect 9.01 client against the real
# gateway, in network namespaces created per test (root, real tun devices).
# lib.sh is the harness; each test-*.sh is one scenario of the issue list and
# prints its measured figures next to the contract's bounds.
#
#   make check                      unit + integration tests (as root)
#   make check-integration          every integration test (also DTLS, resume, occtl)
#   OCSM_SERVER=ocserv make check-integration   against Debian's ocserv 1.1.6
#
# Not root, or openconnect/nft/ip missing: the tests SKIP (exit 77).

INTEGRATION_TESTS = \
	tests/integration/test-connect.sh \
	tests/integration/test-auth-fail.sh \
	tests/integration/test-dpd-frozen.sh \
	tests/integration/test-idle-timeout.sh \
	tests/integration/test-session-timeout.sh \
	tests/integration/test-malformed.sh \
	tests/integration/test-sigterm.sh \
	tests/integration/test-frozen-flood.sh

if ENABLE_INTEGRATION
TESTS += $(INTEGRATION_TESTS)
endif

EXTRA_DIST += $(INTEGRATION_TESTS) \
	tests/integration/lib.sh \
	tests/integration/vpn-script.sh \
	tests/integration/rawtls.py \
	tests/data/test.conf.in \
	tests/data/gen-credentials.sh

# Every integration test of the tree: the CSTP gateway's here, the DTLS ones
# (src/worker.mk), the resume ones (src/main.mk) and occtl's
# (src/occtl/local.mk). Each of those fragments also has its own check-* target.
ALL_INTEGRATION_TESTS = $(INTEGRATION_TESTS) $(DTLS_INTEGRATION_TESTS) \
	$(RESUME_INTEGRATION_TESTS) $(OCCTL_INTEGRATION_TESTS)
check-integration: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(ALL_INTEGRATION_TESTS)'
.PHONY: check-integration
