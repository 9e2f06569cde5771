#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A RADIUS session survives a restart of the daemon with its own values
# (doc/radius.md, doc/session-store.md): FreeRADIUS gives the test user
# Framed-IP-Address, Session-Timeout = 600, Idle-Timeout = 50, Class and
# Acct-Interim-Interval = 2; the session store keeps them (its attrs column).
# After SIGTERM and a new start, the same openconnect process resumes by
# itself, without a login (RADIUS is not asked again), and:
#  - gets the same address, X-CSTP-Session-Timeout 600 and
#    X-CSTP-Idle-Timeout 50 again, occtl-modern still naming radius;
#  - its accounting goes on: Interim-Updates with the same Acct-Session-Id
#    and the Class, no second Start and no Stop.
. "$(dirname "$0")/store-lib.sh"
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/radius-lib.sh"

WANT_IP=192.168.77.60
radius_preconditions
occtl_preconditions
it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60 SESSION_TIMEOUT=0 IDLE_TIMEOUT=0
radius_setup
radius_user "$TEST_USER" "$TEST_PASSWORD" "Framed-IP-Address = $WANT_IP" 'Session-Timeout = 600' \
	'Idle-Timeout = 50' 'Class = "OU=admins"' 'Acct-Interim-Interval = 2'
radius_auth_config
radius_start
start_server
login_connect c1
posts=$LC_POSTS sid=$LC_SID
expect_eq "the tun address is the Framed-IP-Address" "$LC_IP" "$WANT_IP"
expect_eq "the store keeps the session's own values" \
	"$(store_sql "SELECT attrs IS NOT NULL FROM sessions")" 1
radius_wait_acct Interim-Update "$sid" 1 5
verdict "an Interim-Update before the restart" $?
auth_requests=$(grep -c 'Received Access-Request' "$RADIUS_LOG")

stop_server_term
n0=$(radius_acct_count Interim-Update "$sid")
start_server
expect_resumed 2 c1 "$WANT_IP" "${sid:0:6}" "$posts"
expect_eq "RADIUS was not asked again" "$(grep -c 'Received Access-Request' "$RADIUS_LOG")" \
	"$auth_requests"
expect_eq "resumed: X-CSTP-Session-Timeout" "$(cstp_option c1 X-CSTP-Session-Timeout)" 600
expect_eq "resumed: X-CSTP-Idle-Timeout" "$(cstp_option c1 X-CSTP-Idle-Timeout)" 50
occtl_json show user "$TEST_USER" || fatal "show user failed"
expect_eq "occtl: timers from" "$(jget 'd[0]["Timers from"]')" \
	"dpd global, keepalive global, idle-timeout radius, session-timeout radius"

radius_wait_acct Interim-Update "$sid" $((n0 + 2)) 8
verdict "Interim-Updates go on after the restart, same Acct-Session-Id" $?
expect_eq "... with the Class" "$(radius_acct_field Interim-Update Class)" 0x4f553d61646d696e73
expect_eq "one Start in all" "$(radius_acct_count Start)" 1
expect_eq "no Stop" "$(radius_acct_count Stop)" 0
