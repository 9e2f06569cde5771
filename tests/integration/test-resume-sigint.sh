#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Logout (doc/spec/interop.md §3.4, §9.5): openconnect on SIGINT sends the
# BYE 0xb0 "Aborted by caller" and exits 0. That ends the session
# (user-disconnect): its address and device are released at once and a
# later CONNECT with the same cookie gets 401, so a new client exits 2 after
# "Cookie was rejected by server".
. "$(dirname "$0")/resume-lib.sh"

it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
ping_ok c1 2
verdict "ping before the logout" $? "$PING_RESULT"

kill -INT "${CLI_PID[c1]}"
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "client exit status after SIGINT" "$EXIT_RC" 0
else
	fatal "client still running 10 s after SIGINT"
fi
grep -q 'Send BYE packet: Aborted by caller' "${CLI_LOG[c1]}"
verdict "client sent its BYE" $?
if wait_log -E "$SERVER_LOG" 'session [0-9a-f]{6} of user .* ended: user-disconnect' 1 5; then
	verdict "the server ended the session (user-disconnect)" 0
else
	verdict "the server ended the session (user-disconnect)" 1
fi
grep -q 'waits to resume' "$SERVER_LOG"
[ $? = 1 ]
verdict "the session did not wait to resume" $?
wait_no_dev "$ip1" 3
verdict "address and device released" $? "$(server_dev_of "$ip1")"

start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "reusing the cookie: client exit status" "$EXIT_RC" 2
else
	fatal "reusing the cookie: client still running after 15 s"
fi
grep -q 'Cookie was rejected by server' "${CLI_LOG[c1]}"
verdict "reusing the cookie: Cookie was rejected by server" $?
grep -q 'HTTP/1.1 401 Cookie is not acceptable' "${CLI_LOG[c1]}"
verdict "reusing the cookie: 401 Cookie is not acceptable" $?
alive "$SERVER_PID"
verdict "server still running" $?
