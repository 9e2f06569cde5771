#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `occtl-modern stop now` with a persistent session store keeps its meaning
# (doc/session-store.md): it ends every session.
#  1. the client is told (TERMINATE) and exits, without reconnecting;
#  2. the store is left empty;
#  3. after a start nothing resumes: the old cookie gets 401.
. "$(dirname "$0")/store-lib.sh"

it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
connect_client c1
ping_ok c1 2
verdict "traffic before the stop" $? "$PING_RESULT"
expect_eq "the store holds the session" "$(store_sql "SELECT count(*) FROM sessions")" 1

# --- 1
"$top_builddir/src/occtl/occtl-modern" -s "$IT_WORK/occtl.sock" stop now > "$IT_WORK/stop.out" 2>&1
verdict "1. occtl-modern stop now" $? "$(cat "$IT_WORK/stop.out")"
wait_exit "$SERVER_PID" 10 || fatal "main still running 10 s after stop now"
expect_eq "1. main exits 0" "$EXIT_RC" 0
wait_log -E "${CLI_LOG[c1]}" 'received server terminate packet|Received server disconnect' 1 5
verdict "1. the client was told" $? "${WAIT_LINE#* \[*\] }"
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "1. the client exits 1" "$EXIT_RC" 1
else
	verdict "1. the client exits" 1 "still running"
fi
expect_eq "1. it did not try to reconnect (TLS handshakes)" \
	"$(grep -c 'SSL negotiation with' "${CLI_LOG[c1]}")" 1

# --- 2
expect_eq "2. the store is empty" "$(store_sql "SELECT count(*) FROM sessions")" 0

# --- 3
start_server
expect_cookie_rejected 3 c1
expect_eq "3. nothing resumed" "$(server_count 'resume session')" 0
