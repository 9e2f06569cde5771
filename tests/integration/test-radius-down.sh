#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A RADIUS server that stops answering (doc/radius.md): radcli's requests
# wait radius_timeout = 3 s, on sec-mod's pool threads, never on its loop.
# FreeRADIUS answers c1's login and accounting Start, then is stopped:
#  - a new login (c2) is refused with 401 and the server logs why ("no
#    RADIUS server answered (timeout)"), no ban points;
#  - while that login waits for the dead server, sec-mod goes on: occtl-modern
#    show sessions (main asks sec-mod) answers within 1 s, and c1's tunnel,
#    already up, keeps carrying pings;
#  - c1's Interim-Updates and, after its logout, its Stop get no answer:
#    each try is logged and retried;
#  - once FreeRADIUS is back, the Stop arrives (late, Acct-Delay-Time > 0,
#    Acct-Terminate-Cause User-Request) and a new login works again.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/radius-lib.sh"

radius_preconditions
occtl_preconditions
it_setup 2
write_config DPD=10 KEEPALIVE=30 MAX_BAN_SCORE=30
radius_setup
sed -i 's/^radius_timeout .*/radius_timeout 3/' "$RADIUS_CONF"
radius_user "$TEST_USER" "$TEST_PASSWORD" 'Acct-Interim-Interval = 2'
radius_auth_config
radius_start
start_server
connect_client c1
radius_wait_acct Start "$TEST_USER" 1 5
verdict "the Start reached FreeRADIUS" $?
ping_ok c1 2
verdict "c1: ping while FreeRADIUS runs" $? "$PING_RESULT"

radius_stop
authenticate c2 > /dev/null 2>&1 &
login_pid=$!
sleep 1
t0=$(now_ms)
occtl show sessions all
t1=$(now_ms)
expect_eq "occtl show sessions all while a login waits for RADIUS: exit status" "$OCCTL_RC" 0
expect_range "... and it answers at once" $((t1 - t0)) "" 1000 "sec-mod's loop is free"
ping_ok c1 3
verdict "c1: ping while the login waits for the dead server" $? "$PING_RESULT"
wait "$login_pid"
rc=$?
[ $rc != 0 ]
verdict "c2: the login is refused (openconnect exit $rc)" $?
grep -q "401" "$IT_WORK"/c2-auth-*.log
verdict "c2: the refusal is a 401" $?
wait_log -E "$SERVER_LOG" "checking the login of '$TEST_USER' from .*: no RADIUS server answered \(timeout\)" 1 5
verdict "the server logs why" $?
[ "$(line_ms "$WAIT_LINE")" -gt "$t1" ]
verdict "the login was still waiting for RADIUS when occtl got its answer" $?

wait_log -E "$SERVER_LOG" "accounting: Interim-Update of session [0-9a-f]{6} of user '$TEST_USER' not answered" 1 15
verdict "an unanswered Interim-Update is logged" $?
kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "c1 still running 10 s after SIGINT"
wait_log -E "$SERVER_LOG" "accounting: Stop of session .* User-Request" 1 5
verdict "the Stop is queued" $?
sleep 4
expect_eq "no Stop reached the stopped server" "$(radius_acct_count Stop)" 0

radius_start
radius_wait_acct Stop "$TEST_USER" 1 40
verdict "the Stop arrives once FreeRADIUS is back" $?
expect_eq "its Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause)" User-Request
delay=$(radius_acct_field Stop Acct-Delay-Time)
[ "${delay:-0}" -gt 0 ]
verdict "its Acct-Delay-Time says how late it is (${delay} s)" $?
authenticate c2
verdict "a login works again" $?
alive "$SERVER_PID"
verdict "server still running" $?
