#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# max-same-clients = 1 and stale sessions (issue 4, liveness.md §9): a new
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
