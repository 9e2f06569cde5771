#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A restart longer than cookie-timeout (doc/session-store.md): the session
# dropped at the SIGTERM, and its resume deadline (drop + cookie-timeout)
# passed while the daemon was down.
#  1. at the start sec-mod ends it with reason cookie-expired, and
#     disconnect-script runs once for it;
#  2. its cookie gets 401: openconnect with the old cookie stops at once
#     (exit status 2, "Cookie was rejected");
#  3. the store no longer holds it.
. "$(dirname "$0")/store-lib.sh"

C=6
it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=$C
echo "disconnect-script = $IT_WORK/disconnect.sh" >> "$CONFIG"
printf '#!/bin/sh\necho "disconnect $DISCONNECT_REASON $IP_REMOTE" >> "%s/calls"\n' \
	"$IT_WORK" > "$IT_WORK/disconnect.sh"
chmod 755 "$IT_WORK/disconnect.sh"
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
sid=$(store_sql "SELECT sid FROM sessions")
stop_server_term
t_down=$(now_ms)
# the client would retry for 30 s: it is not what this test looks at
kill -KILL "${CLI_PID[c1]}"
sleep $((C + 2))
expect_eq "the store still holds the waiting session" "$(store_sql "SELECT state FROM sessions")" 2

# --- 1
start_server
it_log "started again $(( $(now_ms) - t_down )) ms after the stop (cookie-timeout ${C} s)"
wait_log "$SERVER_LOG" "session ${sid:0:6} of user '$TEST_USER' ended: cookie-expired" 1 5
verdict "1. sec-mod ended it at the start: cookie-expired" $?
wait_log "$IT_WORK/calls" disconnect 1 5
expect_eq "1. disconnect-script ran once for it" "$(cat "$IT_WORK/calls")" \
	"disconnect cookie-expired $ip1"

# --- 2
expect_cookie_rejected 2 c1

# --- 3
expect_eq "3. the store is empty" "$(store_sql "SELECT count(*) FROM sessions")" 0
sleep 1
expect_eq "1. disconnect-script still ran only once" "$(grep -c disconnect "$IT_WORK/calls")" 1
