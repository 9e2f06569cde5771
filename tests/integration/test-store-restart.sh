#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A restart with a persistent session store (doc/session-store.md):
#  1. SIGTERM to main closes the client's tunnel without a DISCONNECT or
#     TERMINATE: openconnect takes it for a lost connection and keeps
#     running; the store holds the session, waiting to resume, with its drop
#     time and reason server-restart;
#  2. main started again with the same configuration: the same openconnect
#     process reconnects by itself within 15 s of the start, gets the same
#     IPv4 address, without a second login (no new POST in its log, no new
#     login in the server's), and ping works;
#  3. it is an ordinary resume: connect-script does not run again, the
#     resume count is 1, and occtl-modern shows the session as restored.
. "$(dirname "$0")/store-lib.sh"

it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
echo "connect-script = $IT_WORK/connect.sh" >> "$CONFIG"
printf '#!/bin/sh\necho connect >> "%s/calls"\n' "$IT_WORK" > "$IT_WORK/connect.sh"
chmod 755 "$IT_WORK/connect.sh"
start_server
login_connect c1
ip1=$LC_IP posts=$LC_POSTS sid=$LC_SID
verdict "the store holds the session" "$([[ $sid =~ ^[0-9a-f]{32}$ ]]; echo $?)" "sid '$sid'"

# --- 1
stop_server_term
sleep 0.5
alive "${CLI_PID[c1]}"
verdict "1. openconnect keeps running" $?
n=$(grep -cE 'received server terminate packet|Received server disconnect' "${CLI_LOG[c1]}")
expect_eq "1. no DISCONNECT or TERMINATE reached the client" "$n" 0
expect_eq "1. the stored session waits to resume, dropped by the restart" \
	"$(store_sql "SELECT state, drop_reason, drop_at IS NOT NULL FROM sessions")" "2|14|1"
expect_eq "1. the store keeps a hash of the cookie, never the cookie" \
	"$(store_sql "SELECT typeof(cookie_hash), length(cookie_hash) FROM sessions")" "blob|32"

# --- 2
start_server
expect_resumed 2 c1 "$ip1" "${sid:0:6}" "$posts"

# --- 3
expect_eq "3. connect-script ran once (not at the resume)" "$(cat "$IT_WORK/calls")" connect
occtl=$top_builddir/src/occtl/occtl-modern
"$occtl" -s "$IT_WORK/occtl.sock" show session "${sid:0:6}" > "$IT_WORK/show.txt" 2>&1
grep -qE '^\s*Resumes: 1$' "$IT_WORK/show.txt"
verdict "3. one resume" $? "$(grep -E 'Resumes' "$IT_WORK/show.txt" | tr -d '\t')"
grep -qE '^\s*Restored: yes \(1 restart\)$' "$IT_WORK/show.txt"
verdict "3. occtl-modern marks the session restored" $? \
	"$(grep -E 'Restored' "$IT_WORK/show.txt" | tr -d '\t')"
"$occtl" -s "$IT_WORK/occtl.sock" -j show sessions all > "$IT_WORK/show.json" 2>&1
python3 - "$IT_WORK/show.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s) == 1 and s[0]["Restored"] is True and s[0]["raw_restarts"] == 1, s
PY
verdict "3. ... also in --json" $?
"$occtl" -s "$IT_WORK/occtl.sock" show sessions all > "$IT_WORK/list.txt" 2>&1
grep -qE "^${sid:0:6} .* yes +-?" "$IT_WORK/list.txt"
verdict "3. ... and in the sessions table" $? "$(tail -n 1 "$IT_WORK/list.txt")"
