#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RADIUS Session-Timeout (doc/radius.md): the global configuration has no
# session-timeout; FreeRADIUS answers the test user with Session-Timeout =
# 20. sec-mod enforces it from the login: the client is made to reconnect at
# 10 s (SIGUSR2), the reconnect does not extend it, and the session ends at
# 20 s +- 1 s after the login with DISCONNECT 0xb0 "session timeout".
# occtl-modern names radius as the origin of the session-timeout, and the
# accounting has one Start (the reconnect is the same accounting session)
# and one Stop with Acct-Terminate-Cause Session-Timeout.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/radius-lib.sh"

S=20
radius_preconditions
occtl_preconditions
it_setup 1
write_config DPD=10 KEEPALIVE=30 SESSION_TIMEOUT=0 COOKIE_TIMEOUT=60
radius_setup
radius_user "$TEST_USER" "$TEST_PASSWORD" "Session-Timeout = $S" 'Acct-Interim-Interval = 60'
radius_auth_config
radius_start
start_server
t_auth0=$(now_ms)
get_cookie c1
t_auth1=$(now_ms)
connect_client c1
expect_eq "X-CSTP-Session-Timeout is the RADIUS Session-Timeout" \
	"$(cstp_option c1 X-CSTP-Session-Timeout)" $S
occtl_json show user "$TEST_USER" || fatal "show user failed"
expect_eq "occtl: timers from" "$(jget 'd[0]["Timers from"]')" \
	"dpd global, keepalive global, idle-timeout global, session-timeout radius"

now=$(now_ms)
sleep "$(fmt_ms $((t_auth1 + 10000 - now)))"
kill -USR2 "${CLI_PID[c1]}"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 5 || fatal "no reconnect within 5 s of SIGUSR2"
it_log "reconnected $(fmt_ms $((WAIT_MS - t_auth1))) s after the login"
ping_ok c1 2
verdict "ping after the reconnect" $? "$PING_RESULT"

want=$(server_disconnect_line "session timeout")
wait_log "${CLI_LOG[c1]}" "$want" 1 $((S + 5)) || fatal "no \"$want\" within $((S + 5)) s"
t_end=$(line_ms "$WAIT_LINE")
expect_range "Session-Timeout, not before S after login" $((t_end - t_auth0)) $((S * 1000)) "" \
	"from just before the login started"
expect_range "Session-Timeout, on time despite the reconnect" $((t_end - t_auth1)) "" \
	$((S * 1000 + 1000)) "from just after the login returned"
wait_log -E "$SERVER_LOG" 'session [0-9a-f]{6} of user .* ended: session-timeout \(1 resume\)' 1 2
verdict "server: the session ended with session-timeout after 1 resume" $?

deadline=$(deadline_after 5)
until [ "$(radius_acct_count Stop)" = 1 ] || [ "$(now_ms)" -gt "$deadline" ]; do sleep 0.1; done
expect_eq "accounting: one Start across the reconnect" "$(radius_acct_count Start)" 1
expect_eq "accounting: one Stop" "$(radius_acct_count Stop)" 1
expect_eq "accounting: Stop's Acct-Terminate-Cause" \
	"$(radius_acct_field Stop Acct-Terminate-Cause)" Session-Timeout
t=$(radius_acct_field Stop Acct-Session-Time)
[ "${t:-0}" -ge $((S - 1)) ] && [ "${t:-0}" -le $((S + 1)) ]
verdict "accounting: Acct-Session-Time ${t}s (S = $S)" $?
