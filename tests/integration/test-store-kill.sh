#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A crash of the whole daemon with a persistent session store
# (doc/session-store.md): every server process (main, sec-mod, the worker)
# killed with SIGKILL at once, by PID. Nobody says goodbye: the kernel
# closes the client's TCP connection.
#  1. the store file still opens and passes PRAGMA quick_check; it holds the
#     session as sec-mod last wrote it (active);
#  2. main started again with the same configuration: the same openconnect
#     process reconnects by itself within 15 s of the start, same IPv4
#     address, no second login, and ping works; the session was dropped at
#     sec-mod's last sign of life, with reason server-restart.
. "$(dirname "$0")/store-lib.sh"

it_setup 1
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
start_client_password c1
wait_connected c1
ip1=${CLI_VPNIP[c1]}
ping_ok c1 2
verdict "traffic before the crash" $? "$PING_RESULT"
posts=$(client_auth_posts c1)
sid=$(store_sql "SELECT sid FROM sessions")

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
expect_eq "1. the session is in it, active" "$(store_sql "SELECT state FROM sessions")" 1

# --- 2
start_server
expect_resumed 2 c1 "$ip1" "${sid:0:6}" "$posts"
grep -qE "restored session ${sid:0:6} .*waiting \(server-restart" "$SERVER_LOG"
verdict "2. sec-mod restored it as dropped by the restart" $? \
	"$(grep -E 'restored session' "$SERVER_LOG" | tail -n 1 | cut -c 25-)"
