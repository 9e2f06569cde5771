#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A reconnect does not extend session-timeout (doc/spec/liveness.md §5):
# session-timeout = S = 20 s counted from authentication. The client is made
# to reconnect at 10 s (SIGUSR2); the reconnect's CONNECT reply advertises
# X-CSTP-Session-Timeout-Remaining of about 10 s (not 20: ocserv 1.1.6
# restarts the count, doc/spec/interop.md §7.4), and the session still ends at
# S +- 1 s after the login with DISCONNECT 0xb0 "session timeout".
. "$(dirname "$0")/resume-lib.sh"

S=20
it_setup 1
write_config DPD=10 KEEPALIVE=30 SESSION_TIMEOUT=$S COOKIE_TIMEOUT=60
start_server
t_auth0=$(now_ms)
get_cookie c1
t_auth1=$(now_ms)
connect_client c1
expect_eq "first CONNECT: X-CSTP-Session-Timeout" "$(cstp_option c1 X-CSTP-Session-Timeout)" $S

now=$(now_ms)
sleep "$(fmt_ms $((t_auth1 + 10000 - now)))"
t_usr2=$(now_ms)
kill -USR2 "${CLI_PID[c1]}"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 5 || fatal "no reconnect within 5 s of SIGUSR2"
it_log "reconnected $(fmt_ms $((WAIT_MS - t_auth1))) s after the login"
# The reply headers as the client printed them (-v): the second one.
rem=$(grep -F 'X-CSTP-Session-Timeout-Remaining:' "${CLI_LOG[c1]}" | sed -n 2p | sed -nE 's/.*Remaining: *([0-9a-z]+).*/\1/p')
# The session was created in [t_auth0, t_auth1] and the reply written in
# [t_usr2, WAIT_MS]: the remaining time lies between these, in whole
# seconds rounded either way.
lo=$(( (t_auth0 + S * 1000 - WAIT_MS) / 1000 ))
hi=$(( (t_auth1 + S * 1000 - t_usr2 + 999) / 1000 ))
ok=1; [[ $rem =~ ^[0-9]+$ ]] && [ "$rem" -ge "$lo" ] && [ "$rem" -le "$hi" ] && ok=0
verdict "reconnect: X-CSTP-Session-Timeout-Remaining counts down" $ok "got '$rem', want $lo..$hi"
ping_ok c1 2
verdict "ping after the reconnect" $? "$PING_RESULT"

want=$(server_disconnect_line "session timeout")
wait_log "${CLI_LOG[c1]}" "$want" 1 $((S + 5)) || fatal "no \"$want\" within $((S + 5)) s"
t_end=$(line_ms "$WAIT_LINE")
expect_range "session-timeout, not before S after login" $((t_end - t_auth0)) $((S * 1000)) "" \
	"from just before the login started"
expect_range "session-timeout, on time despite the reconnect" $((t_end - t_auth1)) "" \
	$((S * 1000 + 1000)) "from just after the login returned"
if wait_exit "${CLI_PID[c1]}" 5; then
	expect_eq "client exit status" "$EXIT_RC" 1
else
	verdict "client exits after the disconnect" 1
fi
wait_log -E "$SERVER_LOG" 'session [0-9a-f]{6} of user .* ended: session-timeout \(1 resume\)' 1 2
verdict "server: the session ended with session-timeout after 1 resume" $?
start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "reusing the cookie: client exit status" "$EXIT_RC" 2
else
	verdict "reusing the cookie: client exits" 1 "still running"
fi
alive "$SERVER_PID"
verdict "server still running" $?
