#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A session store that cannot be used (doc/session-store.md):
#  1. a damaged file (not a database) is moved aside to FILE.corrupt-TIME,
#     the error names both files, and the daemon starts empty and serves;
#  2. a file written by a newer ocserv-modern (a higher schema version) is
#     refused: a clear error, the daemon does not start, the file is left
#     as it is.
. "$(dirname "$0")/store-lib.sh"

it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
mkdir -m 700 "$IT_WORK/state"

# --- 1
head -c 20000 /dev/zero | tr '\0' 'x' > "$STORE_DB"
start_server
line=$(grep -E 'session store .*sessions\.db' "$SERVER_LOG" | grep -F corrupt | head -n 1)
it_log "server said: ${line:24}"
[[ $line == *"$STORE_DB"* ]] && [[ $line == *"$STORE_DB.corrupt-"* ]]
verdict "1. the error names the file and where it went" $?
moved=$(ls "$STORE_DB".corrupt-* 2> /dev/null | head -n 1)
ok=1; [ -n "$moved" ] && [ "$(head -c 4 "$moved")" = xxxx ] && ok=0
verdict "1. the damaged file was moved aside, unchanged" $ok "$moved"
connect_client c1
ping_ok c1 2
verdict "1. the daemon started empty and serves" $? "$PING_RESULT"
expect_eq "1. the new store holds the new session" "$(store_sql "SELECT count(*) FROM sessions")" 1
"$top_builddir/src/occtl/occtl-modern" -s "$IT_WORK/occtl.sock" stop now > /dev/null 2>&1
wait_exit "$SERVER_PID" 10 || fatal "main still running 10 s after stop now"

# --- 2
rm -f "$STORE_DB" "$STORE_DB"-wal "$STORE_DB"-shm
sqlite3 "$STORE_DB" "CREATE TABLE later (x); PRAGMA user_version = 99;" ||
	hard_error "sqlite3 could not write $STORE_DB"
spawn_logged "$SERVER_LOG" /dev/null ip netns exec "$NS_S" env \
	OCSERV_MODERN_WORKER="$OCSERV_MODERN_WORKER" "$SERVER_BIN" -f -c "$CONFIG"
SERVER_PID=$SPAWN_PID
if wait_exit "$SERVER_PID" 10; then
	ok=1; [ "$EXIT_RC" != 0 ] && ok=0
	verdict "2. the daemon does not start" $ok "exit status $EXIT_RC"
else
	verdict "2. the daemon does not start" 1 "still running after 10 s"
fi
line=$(grep -E "session store $STORE_DB has schema version 99" "$SERVER_LOG" | head -n 1)
it_log "server said: ${line:24}"
[[ $line == *newer* ]]
verdict "2. a clear error: a newer schema" $?
expect_eq "2. the file is left as it is" "$(sqlite3 "$STORE_DB" 'PRAGMA user_version')" 99
