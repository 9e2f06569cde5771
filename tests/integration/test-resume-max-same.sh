#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# max-same-clients = 1 and stale sessions (doc/spec/liveness.md §9): a new
# login of the same user is not refused because of a session nobody uses.
#  1. A session waiting to resume (its client detached with SIGHUP) is ended
#     with reason superseded and the login succeeds; the old cookie then
#     gets 401.
#  2. A healthy active session still counts: a second login is refused.
#  3. An active session whose client froze (SIGSTOP) more than dpd = D ago is
#     probed at once and ended (superseded) when it stays silent for 2 s:
#     the login succeeds in about 2 s, long before the DPD timeout would
#     have freed the slot.
. "$(dirname "$0")/resume-lib.sh"

D=5
it_setup 2
write_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=120
sed -i 's/^max-same-clients = .*/max-same-clients = 1/' "$CONFIG"
start_server

# --- 1. waiting-to-resume
connect_client c1
kill -HUP "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "c1 still running 10 s after SIGHUP"
wait_log "$SERVER_LOG" 'waits to resume' 1 5 || fatal "c1's session is not waiting to resume"
old_cookie=${CLI_COOKIE[c1]}
authenticate c2
expect_eq "1. login over a waiting session: exit status" "$?" 0
grep -qE "session [0-9a-f]{6} of user 'test' ended: superseded" "$SERVER_LOG"
verdict "1. the waiting session was ended (superseded)" $?
start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "1. the superseded session's cookie: client exit status" "$EXIT_RC" 2
else
	verdict "1. the superseded session's cookie is refused" 1 "client still running"
fi
connect_client c2

# --- 2. a healthy active session
CLI_COOKIE[c1]=
authenticate c1
rc=$?
expect_eq "2. login over a healthy active session: refused (exit status)" "$rc" 1
grep -q "max-same-clients (1) reached" "$SERVER_LOG"
verdict "2. the server refused for max-same-clients" $?
ping_ok c2 2
verdict "2. the active session is untouched" $? "$PING_RESULT"

# --- 3. an active session whose client froze
client_ping c2 1 > /dev/null
kill -STOP "${CLI_PID[c2]}"
t_stop=$(now_ms)
it_log "c2 frozen (SIGSTOP)"
# silent for more than D: its CSTP last heard at most D before the stop
sleep $((D + 1))
CLI_COOKIE[c1]=
authenticate c1
rc=$?
expect_eq "3. login over a frozen active session: exit status" "$rc" 0
# When, by the server's own stamps (the client's login adds its own time).
t_probe=$(grep -E "over max-same-clients \(1\): probing session" "$SERVER_LOG" | tail -n 1)
t_probe=$(line_ms "$t_probe") || t_probe=
t_super=$(grep -E "session [0-9a-f]{6} of user 'test' \(active\) superseded by a new login" "$SERVER_LOG" | tail -n 1)
t_super=$(line_ms "$t_super") || t_super=
[ -n "$t_super" ]
verdict "3. the frozen session was superseded" $?
[ -n "$t_probe" ]
verdict "3. the server probed the frozen session first" $?
expect_range "3. superseded after the probe's grace, not after DPD" \
	"$([ -n "$t_probe" ] && [ -n "$t_super" ] && echo $((t_super - t_probe)))" 1990 3200 \
	"2 s of silence (the worker's verdict), 3 s at the latest (sec-mod's); DPD would take until L + 3D"
grep -qE 'tunnel ended: reason=superseded ' "$SERVER_LOG"
verdict "3. its tunnel ended as superseded" $?
grep -qE 'tunnel ended: reason=dpd-timeout ' "$SERVER_LOG"
[ $? = 1 ]
verdict "3. not by a DPD timeout" $?
expect_range "3. superseded before the DPD window ran out" "$([ -n "$t_super" ] && echo $((t_super - t_stop)))" \
	"" $((3 * D * 1000)) "from the SIGSTOP"
kill -CONT "${CLI_PID[c2]}"
connect_client c1
ping_ok c1 2
verdict "3. the new session works" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
