# tests/integration: the real openconnect 9.01 client against the real
# gateway, in network namespaces created per test (root, real tun devices).
# lib.sh is the harness; each test-*.sh is one scenario of the issue list and
# prints its measured figures next to the contract's bounds.
#
#   make check                      unit + integration tests (as root)
#   make check-integration          only these
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

check-integration: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(INTEGRATION_TESTS)'
.PHONY: check-integration
