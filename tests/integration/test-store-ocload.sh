#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Fifty sessions across a restart of the daemon (doc/session-store.md):
# bench/ocload runs 50 real libopenconnect clients from 10 source addresses
# with a trickle of pings; main gets SIGTERM and is started again with the
# same configuration and store. Every client reconnects by itself with its
# cookie (the library's own reconnect), the gateway resumes each session
# with the address it had and sees no new login, and the pings go on.
. "$(dirname "$0")/store-lib.sh"

OCLOAD=$top_builddir/bench/ocload/ocload
[ -x "$OCLOAD" ] || skip "bench/ocload not built (libopenconnect-dev missing)"

N=50
it_setup 1
for i in $(seq 0 9); do
	in_client c1 ip addr add "10.77.0.$((100 + i))/24" dev eth0 || hard_error "address alias"
done
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120
sed -i "s/^max-clients = .*/max-clients = $((N + 10))/" "$CONFIG"
start_server

out=$IT_WORK/ocload.out
in_client c1 "$OCLOAD" --url "$URL" -n $N -u "$TEST_USER" -p "$TEST_PASSWORD" \
	--source "10.77.0.100+10" --ramp 25 --trickle 500 --duration 55 \
	-o "$IT_WORK/ocload.json" > "$out" 2> "$IT_WORK/ocload.err" &
OCLOAD_PID=$!
track "$OCLOAD_PID"
wait_log "$out" " of $N clients in " 1 60 || fatal "ocload did not bring its clients up"
grep '^up: ' "$out"
expect_eq "clients up" "$(sed -n 's/^up: \([0-9]*\) of.*/\1/p' "$out")" "$N"
expect_eq "$N sessions in the store" "$(store_sql "SELECT count(*) FROM sessions")" "$N"
logins_before=$(logins)

stop_server_term
expect_eq "all $N wait in the store" "$(store_sql "SELECT count(*) FROM sessions WHERE state = 2")" "$N"
start_server
t_start=$(now_ms)
wait_exit "$OCLOAD_PID" 90 || fatal "ocload did not finish"
expect_eq "ocload: no client failed" "$EXIT_RC" 0
cat "$out"

python3 - "$IT_WORK/ocload.json" "$out" "$t_start" > "$IT_WORK/check.out" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
epoch = int(re.search(r"start: epoch_ms (\d+)", open(sys.argv[2]).read()).group(1))
start = int(sys.argv[3])
back = [epoch + r["last_connect_ms"] - start for r in rows if r["connects"] >= 2]
print("reconnected", len(back), len(rows))
print("after_start_ms", min(back, default=-1), max(back, default=-1))
late = [r for r in rows if r["connects"] >= 2 and r["last_rx_ms"] <= r["last_connect_ms"]]
print("pinging_after", len(back) - len(late))
PY
cat "$IT_WORK/check.out"
read -r _ got total < <(grep '^reconnected' "$IT_WORK/check.out")
expect_eq "every client reconnected with its cookie" "$got" "$total"
read -r _ first last < <(grep '^after_start_ms' "$IT_WORK/check.out")
ok=1; [ "$first" -ge 0 ] && [ "$last" -le 30000 ] && ok=0
verdict "all reconnected within 30 s of the start" $ok "first ${first} ms, last ${last} ms after the start"
read -r _ pinging < <(grep '^pinging_after' "$IT_WORK/check.out")
expect_eq "every resumed client got ping replies afterwards" "$pinging" "$N"
expect_eq "no new login on the server" "$(logins)" "$logins_before"
resumed=$(grep -c 'resume session ' "$SERVER_LOG")
ok=1; [ "$resumed" -ge "$N" ] && ok=0
verdict "the gateway resumed every session" $ok "$resumed resume lines"
python3 - "$SERVER_LOG" > "$IT_WORK/addr.out" <<'PY'
import re, sys
first, same, moved = {}, 0, 0
for line in open(sys.argv[1]):
    m = re.search(r"tunnel up: .*session=(\w{6})\w* .*ip=(\S+)", line)
    if m and m.group(1) not in first:
        first[m.group(1)] = m.group(2)
    m = re.search(r"resume session (\w{6}) .* peer (\S+),", line)
    if m and m.group(1) in first:
        if first[m.group(1)] == m.group(2):
            same += 1
        else:
            moved += 1
print("same", same, "moved", moved)
PY
read -r _ same _ moved < "$IT_WORK/addr.out"
expect_eq "resumed sessions kept their addresses" "$moved" 0
ok=1; [ "$same" -ge "$N" ] && ok=0
verdict "resumes on the address each had" $ok "$same"
