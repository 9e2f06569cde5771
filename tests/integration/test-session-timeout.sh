#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Session-timeout = S = 6, counted from authentication (doc/spec/liveness.md
# §5). Traffic keeps flowing the whole time (it is not idle); the client
# logs
#   Received server disconnect: b0 'session timeout'
# and exits 1; the cookie is then rejected.
#
# Measurement: the session is created between t_auth0 (before
# openconnect --authenticate starts) and t_auth1 (after it returned). The
# disconnect line is stamped by the harness when read. So:
#   not early:  stamp - t_auth0 >= S
#   on time:    stamp - t_auth1 <= S + 1 (event-loop latency, delivery,
#               log reading; the same slack as the DPD bound)
. "$(dirname "$0")/lib.sh"

S=6
it_setup 1
write_config DPD=2 KEEPALIVE=30 SESSION_TIMEOUT=$S
start_server

t_auth0=$(now_ms)
get_cookie c1
t_auth1=$(now_ms)
connect_client c1

# User traffic all along: the session timeout is not an idle timeout.
bg_ping_start c1 0.5

want=$(server_disconnect_line "session timeout")
if ! wait_log "${CLI_LOG[c1]}" "$want" 1 $((S + 5)); then
	fatal "no \"$want\" within $(wait_s $((S + 5))) of login"
fi
line=$WAIT_LINE
t_end=$(line_ms "$line")
it_log "client: $line"
expect_range "session-timeout, not before S after login" $((t_end - t_auth0)) $((S * 1000)) "" \
	"from just before the login started"
expect_range "session-timeout, on time" $((t_end - t_auth1)) "" $((S * 1000 + 1000)) \
	"from just after the login returned"

if wait_exit "${CLI_PID[c1]}" 5; then
	expect_eq "client exit status" "$EXIT_RC" 1
else
	verdict "client exits after the disconnect" 1
fi
bg_ping_stop c1 || fatal "c1's background pinger did not stop"
# Answered every 0.5 s (at least one a second) up to the end (within 1.5 s:
# one interval, the round trip and the reading of the client's log).
ok=1
[ -n "$BG_FIRST_MS" ] && [ "$BG_RX" -ge $(( (BG_LAST_MS - BG_FIRST_MS) / 1000 )) ] &&
	[ "$BG_LAST_MS" -ge $((t_end - 1500)) ] && ok=0
verdict "user traffic flowed until the session ended" $ok \
	"$BG_RX/$BG_TX answered, the last $(fmt_ms $(( t_end - ${BG_LAST_MS:-0} ))) s before the end"

start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "reusing the expired session's cookie: client exit status" "$EXIT_RC" 2
	grep -q 'Cookie was rejected by server' "${CLI_LOG[c1]}"
	verdict "reusing the expired session's cookie: rejected" $?
else
	verdict "reusing the expired session's cookie: client exits" 1 "still running after 15 s"
fi
