# tests/integration: the real openconnect 9.01 client against the real
# gateway, in network namespaces created per test (root, real tun devices).
# lib.sh is the harness (dtls-lib.sh, resume-lib.sh and occtl-lib.sh build
# on it); each test-*.sh is one scenario and prints its measured figures
# next to the contract's bounds.
#
#   make check                      unit + integration tests (as root)
#   make check-integration          only the integration tests
#   OCSM_SERVER=ocserv make check-integration   against Debian's ocserv 1.1.6
#
# Not root, or openconnect/nft/ip missing: the tests SKIP (exit 77).
# make distcheck's copy runs without them (AM_DISTCHECK_CONFIGURE_FLAGS):
# they need root and network namespaces, and CI runs them once.

INTEGRATION_TESTS += \
	tests/integration/test-connect.sh \
	tests/integration/test-dns-headers.sh \
	tests/integration/test-ipv6-tunnel.sh \
	tests/integration/test-ipv6-transport.sh \
	tests/integration/test-ipv6-idle.sh \
	tests/integration/test-ipv6-restart.sh \
	tests/integration/test-ipv6-bypass.sh \
	tests/integration/test-ipv6-mtu.sh \
	tests/integration/test-restrict-routes.sh \
	tests/integration/test-restrict-ports.sh \
	tests/integration/test-rate-limit.sh \
	tests/integration/test-user-profile.sh \
	tests/integration/test-group-pool.sh \
	tests/integration/test-iroute.sh \
	tests/integration/test-auth-fail.sh \
	tests/integration/test-auth-otp.sh \
	tests/integration/test-cert-login.sh \
	tests/integration/test-cert-refused.sh \
	tests/integration/test-cert-2fa.sh \
	tests/integration/test-auth-pam.sh \
	tests/integration/test-auth-storm.sh \
	tests/integration/test-auth-keyops.sh \
	tests/integration/test-dpd-frozen.sh \
	tests/integration/test-idle-timeout.sh \
	tests/integration/test-peruser.sh \
	tests/integration/test-radius-login.sh \
	tests/integration/test-radius-causes.sh \
	tests/integration/test-radius-restart.sh \
	tests/integration/test-radius-challenge.sh \
	tests/integration/test-radius-down.sh \
	tests/integration/test-radius-acct.sh \
	tests/integration/test-radius-session-timeout.sh \
	tests/integration/test-session-timeout.sh \
	tests/integration/test-malformed.sh \
	tests/integration/test-sigterm.sh \
	tests/integration/test-drain.sh \
	tests/integration/test-frozen-flood.sh \
	tests/integration/test-dtls-connect.sh \
	tests/integration/test-dtls-fallback.sh \
	tests/integration/test-dtls-rebind.sh \
	tests/integration/test-dtls-switch.sh \
	tests/integration/test-dtls-mtu.sh \
	tests/integration/test-dtls-legacy.sh \
	tests/integration/test-dtls-legacy-dpd.sh \
	tests/integration/test-dtls-legacy-refused.sh \
	tests/integration/test-tls-priorities.sh \
	tests/integration/test-resume-sighup.sh \
	tests/integration/test-resume-cut.sh \
	tests/integration/test-resume-expire.sh \
	tests/integration/test-keep-tun-expire-many.sh \
	tests/integration/test-resume-sigint.sh \
	tests/integration/test-resume-sigusr2.sh \
	tests/integration/test-resume-worker-kill.sh \
	tests/integration/test-resume-takeover.sh \
	tests/integration/test-resume-session-timeout.sh \
	tests/integration/test-resume-max-same.sh \
	tests/integration/test-resume-secmod.sh \
	tests/integration/test-resume-scripts.sh \
	tests/integration/test-resume-persistent.sh \
	tests/integration/test-store-restart.sh \
	tests/integration/test-store-kill.sh \
	tests/integration/test-cluster-failover.sh \
	tests/integration/test-cluster-takeover.sh \
	tests/integration/test-cluster-redis-down.sh \
	tests/integration/test-cluster-ocload.sh \
	tests/integration/test-cluster-occtl.sh \
	tests/integration/test-store-expire.sh \
	tests/integration/test-store-stop.sh \
	tests/integration/test-store-corrupt.sh \
	tests/integration/test-store-many.sh \
	tests/integration/test-occtl-session.sh \
	tests/integration/test-occtl-actions.sh \
	tests/integration/test-occtl-dtls.sh \
	tests/integration/test-ocload.sh \
	tests/integration/test-store-ocload.sh \
	tests/integration/test-metrics.sh \
	tests/integration/test-systemd-notify.sh \
	tests/integration/test-occtl-events.sh \
	tests/integration/test-occtl-events-slow.sh

# the security tests (doc/security.md)
INTEGRATION_TESTS += \
	tests/integration/test-sec-keyscan.sh \
	tests/integration/test-sec-log.sh \
	tests/integration/test-sec-occtl.sh \
	tests/integration/test-sec-privs.sh \
	tests/integration/test-sec-worker-privs.sh \
	tests/integration/test-worker-zygote.sh \
	tests/integration/test-worker-zygote-forged.sh \
	tests/integration/test-sec-seccomp.sh \
	tests/integration/test-limits-unauth.sh \
	tests/integration/test-limits-unauth-many.sh \
	tests/integration/test-limits-rate.sh \
	tests/integration/test-limits-login-flood.sh \
	tests/integration/test-limits-roaming.sh \
	tests/integration/test-limits-spoof.sh

# the cluster front (doc/cluster.md)
INTEGRATION_TESTS += \
	tests/integration/test-proxy-haproxy.sh \
	tests/integration/test-proxy-dtls.sh \
	tests/integration/test-proxy-pending.sh \
	tests/integration/test-cluster-haproxy.sh

if ENABLE_INTEGRATION
TESTS += $(INTEGRATION_TESTS)
endif
AM_DISTCHECK_CONFIGURE_FLAGS = --disable-integration-tests

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
# check(1) ends a test case after CK_DEFAULT_TIMEOUT s (4 by default); the
# unit tests take milliseconds, but a loaded build machine may be slow, and
# the bound is there to catch a hang, not to time anything.
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60}; \
	export top_srcdir top_builddir CK_DEFAULT_TIMEOUT;

EXTRA_DIST += $(INTEGRATION_TESTS) \
	tests/integration/lib.sh \
	tests/integration/dtls-lib.sh \
	tests/integration/ipv6-lib.sh \
	tests/integration/nd-chatter.py \
	tests/integration/resume-lib.sh \
	tests/integration/store-lib.sh \
	tests/integration/cluster-lib.sh \
	tests/integration/occtl-lib.sh \
	tests/integration/cert-lib.sh \
	tests/integration/radius-lib.sh \
	tests/integration/vpn-script.sh \
	tests/integration/rawtls.py \
	tests/integration/legacyconnect.py \
	tests/integration/sec-lib.sh \
	tests/integration/keyscan.py \
	tests/integration/tlshold.py \
	tests/integration/flood.py \
	tests/integration/front-lib.sh \
	tests/integration/proxysend.py \
	tests/data/test.conf.in \
	tests/data/gen-credentials.sh

# make check-integration [T='dtls resume']: every integration test, or those
# whose names contain one of the words in T.
T =
check-integration: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(if $(T),$(sort $(foreach w,$(T),$(foreach t,$(INTEGRATION_TESTS),$(if $(findstring $(w),$(notdir $(t))),$(t))))),$(INTEGRATION_TESTS))'
.PHONY: check-integration
