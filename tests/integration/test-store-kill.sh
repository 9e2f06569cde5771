#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A crash of the whole daemon with a persistent session store
# (doc/session-store.md): every server process (main, sec-mod, the worker)
# killed with SIGKILL at once, by PID. Nobody says goodbye: the kernel
# closes the client's TCP connection.
#  1. the store file still opens and passes PRAGMA quick_check; it holds the
#     session as sec-mod last wrote it (active, or waiting when sec-mod saw
#     main die before its own SIGKILL came);
#  2. main started again with the same configuration: the same openconnect
#     process reconnects by itself within 15 s of the start, same IPv4
#     address, no second login, and ping works; the session was dropped at
#     sec-mod's last sign of life, with reason server-restart;
#  3. sec-mod alone killed: main closes the tunnel without a goodbye and
#     exits 1; after a start the client resumes as in 2;
#  4. main alone killed: its worker and sec-mod see it gone; the worker
#     closes the tunnel without a goodbye, sec-mod saves the session as
#     waiting; after a start the client resumes as in 2.
. "$(dirname "$0")/store-lib.sh"

it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
login_connect c1
ip1=$LC_IP posts=$LC_POSTS sid=$LC_SID

# --- 1
pids="$SERVER_PID $(server_children)"
n=$(echo "$pids" | wc -w)
ok=1; [ "$n" -ge 3 ] && ok=0
verdict "1. main, sec-mod and a worker found" $ok "pids $pids"
# shellcheck disable=SC2086
kill -KILL $pids
wait_exit "$SERVER_PID" 5 || fatal "main survived SIGKILL"
for p in $pids; do
	while kill -0 "$p" 2> /dev/null; do sleep 0.05; done
done
expect_eq "1. the store passes quick_check" "$(store_sql "PRAGMA quick_check")" ok
# active as sec-mod last wrote it, or waiting if sec-mod saw main go first
st=$(store_sql "SELECT state FROM sessions")
ok=1; [ "$st" = 1 ] || [ "$st" = 2 ] && ok=0
verdict "1. the session is in it, active or waiting" $ok "state $st"

# --- 2
start_server
expect_resumed 2 c1 "$ip1" "${sid:0:6}" "$posts"
grep -qE "restored session ${sid:0:6} .*waiting \(server-restart" "$SERVER_LOG"
verdict "2. sec-mod restored it as dropped by the restart" $? \
	"$(grep -E 'restored session' "$SERVER_LOG" | tail -n 1 | cut -c 25-)"

# --- 3
sm=$(secmod_pid)
kill -KILL "$sm"
wait_exit "$SERVER_PID" 10 || fatal "main still running 10 s after sec-mod was killed"
expect_eq "3. main exits 1 without sec-mod" "$EXIT_RC" 1
n=$(grep -cE 'received server terminate packet|Received server disconnect' "${CLI_LOG[c1]}")
expect_eq "3. no DISCONNECT or TERMINATE reached the client" "$n" 0
start_server
expect_resumed 3 c1 "$ip1" "${sid:0:6}" "$posts"

# --- 4
others=$(server_children)
kill -KILL "$SERVER_PID"
wait_exit "$SERVER_PID" 5 || fatal "main survived SIGKILL"
for p in $others; do
	n=0
	while kill -0 "$p" 2> /dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
done
left=0
for p in $others; do kill -0 "$p" 2> /dev/null && left=$((left + 1)); done
expect_eq "4. sec-mod and the worker end once main is gone" "$left" 0
n=$(grep -cE 'received server terminate packet|Received server disconnect' "${CLI_LOG[c1]}")
expect_eq "4. no DISCONNECT or TERMINATE reached the client" "$n" 0
expect_eq "4. sec-mod saved the session as waiting" "$(store_sql "SELECT state, drop_reason FROM sessions")" "2|14"
start_server
expect_resumed 4 c1 "$ip1" "${sid:0:6}" "$posts"
