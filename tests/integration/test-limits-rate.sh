#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rate-limit-ms (doc/security.md): with 500, main accepts at most one
# connection per 500 ms; the others wait in the kernel's backlog, none is
# refused. c1 opens 6 TCP connections at once: main's "connection from"
# lines for them are at least 500 ms apart (400 ms allowed: the pause is
# timed from the loop's clock, taken a moment before the log line), and an
# existing tunnel keeps answering pings meanwhile.
. "$(dirname "$0")/lib.sh"

N=6
it_setup 2
need_cmd python3
write_config
echo "rate-limit-ms = 500" >> "$CONFIG"
start_server
connect_client c2
spawn_logged "$IT_WORK/hold.log" /dev/null ip netns exec "${CLI_NS[c1]}" \
	python3 "$IT_DIR/flood.py" --host "$SERVER_IP" --port "$PORT" hold "$N" 8
hold_pid=$SPAWN_PID
wait_log "$SERVER_LOG" "connection from ${CLI_IP[c1]} port" "$N" 15 ||
	fatal "main did not accept c1's $N connections within $(wait_s 15)"
ping_ok c2 3
verdict "c2's tunnel pings meanwhile" $? "$PING_RESULT"
prev=
min=
while read -r line; do
	t=$(line_ms "$line")
	if [ -n "$prev" ]; then
		gap=$((t - prev))
		[ -z "$min" ] || [ "$gap" -lt "$min" ] && min=$gap
	fi
	prev=$t
done < <(grep -F "connection from ${CLI_IP[c1]} port" "$SERVER_LOG")
expect_range "shortest gap between accepted connections" "${min:-0}" 400 5000 "rate-limit-ms = 500"
wait_exit "$hold_pid" 20 || fatal "flood.py hold did not end"
line=$(grep ' OPENED ' "$IT_WORK/hold.log" | tail -n 1)
it_log "flood.py: ${line#* }"
early=$(sed -nE 's/.*CLOSED_EARLY ([0-9]+).*/\1/p' <<< "$line")
expect_eq "connections refused" "${early:-x}" 0
