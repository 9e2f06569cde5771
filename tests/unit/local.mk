# tests/unit: check(1) programs, one per module, with injected time and no
# sleeps. Each is built from tests/unit/NAME.c and links the project's
# libraries (LDADD in Makefile.am). `make check-unit` runs only these.
UNIT_TESTS += \
	tests/unit/test-vpn-time \
	tests/unit/test-vpn-dpd \
	tests/unit/test-vpn-keepalive \
	tests/unit/test-vpn-idle \
	tests/unit/test-vpn-dtls \
	tests/unit/test-vpn-session \
	tests/unit/test-vpn-tunnel \
	tests/unit/test-vpn-ev \
	tests/unit/test-ipc \
	tests/unit/test-sendq \
	tests/unit/test-tun \
	tests/unit/test-tun-closer \
	tests/unit/test-config \
	tests/unit/test-ports \
	tests/unit/test-ratelimit \
	tests/unit/test-passwd \
	tests/unit/test-cert \
	tests/unit/test-log \
	tests/unit/test-utf8 \
	tests/unit/test-ctl-access \
	tests/unit/test-cstp \
	tests/unit/test-dtls-record \
	tests/unit/test-dtls-legacy \
	tests/unit/test-proxy \
	tests/unit/test-main-proxy \
	tests/unit/test-http \
	tests/unit/test-xmlauth \
	tests/unit/test-ban \
	tests/unit/test-metrics \
	tests/unit/test-ippool \
	tests/unit/test-dtls-route \
	tests/unit/test-script-env \
	tests/unit/test-peruser \
	tests/unit/test-cookie \
	tests/unit/test-session-table \
	tests/unit/test-sec-mod \
	tests/unit/test-radius-map \
	tests/unit/test-auth \
	tests/unit/test-acct \
	tests/unit/test-store \
	tests/unit/test-cluster-rec \
	tests/unit/test-secmod-cluster \
	tests/unit/test-secmod-key \
	tests/unit/test-connect-reply \
	tests/unit/test-worker-reply \
	tests/unit/test-worker-profile \
	tests/unit/test-worker-tlsio \
	tests/unit/test-occtl-json \
	tests/unit/test-occtl-cmd \
	tests/unit/test-occtl-render
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
EXTRA_DIST += tests/unit/test-main.h tests/unit/vpn-test-util.h tests/unit/json-check.h

# test-config also checks doc/sample.config and doc/config-reference.md.
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DDOCDIR_SRC=\"$(abs_top_srcdir)/doc\"

check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)'
.PHONY: check-unit
