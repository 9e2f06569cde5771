#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One address cannot take the gateway's connection slots (doc/security.md):
# c1 opens 100 TCP connections that never start TLS. With the default
# max-unauth-per-ip (8), main closes all but 8 of them at once, and
# handshake-timeout (here 4 s) closes those 8 later. Meanwhile a user from
# another address (c3) logs in within a few seconds, and c2's tunnel, up
# before the flood, keeps answering pings.
. "$(dirname "$0")/lib.sh"

HS=4
N=100
it_setup 3
need_cmd python3
write_config
echo "handshake-timeout = $HS" >> "$CONFIG"
start_server
connect_client c2
bg_ping_start c2 0.2

spawn_logged "$IT_WORK/hold.log" /dev/null ip netns exec "${CLI_NS[c1]}" \
	python3 "$IT_DIR/flood.py" --host "$SERVER_IP" --port "$PORT" --early $((HS / 2)) \
	hold "$N" $((HS + 8))
hold_pid=$SPAWN_PID
wait_log -E "$SERVER_LOG" "refused: max-unauth-per-ip reached" 1 10 ||
	fatal "the server did not refuse c1's connections over max-unauth-per-ip"
it_log "server: ${WAIT_LINE#* }"

# another address logs in while c1 holds its 8 connections
t0=$(now_ms)
authenticate c3
rc=$?
t_login=$(( $(now_ms) - t0 ))
verdict "c3 logs in while c1 holds its connections" $rc "in $(fmt_ms "$t_login") s"
expect_range "c3's login time" "$t_login" 0 5000 "a few seconds"
unauth=$(in_server ss -Htn state established "( sport = :$PORT and dst ${CLI_IP[c1]} )" | wc -l)
ok=1; [ "$unauth" -ge 1 ] && [ "$unauth" -le 8 ] && ok=0
verdict "c1's connections the server holds during the login: 1..8" $ok "$unauth"

wait_exit "$hold_pid" $((HS + 15)) || fatal "flood.py hold did not end"
line=$(grep '^.* OPENED ' "$IT_WORK/hold.log" | tail -n 1)
it_log "flood.py: ${line#* }"
read -r opened early late first <<< \
	"$(sed -nE 's/.*OPENED ([0-9]+) CLOSED_EARLY ([0-9]+) CLOSED_LATE ([0-9]+) FIRST_CLOSE_MS (-?[0-9]+).*/\1 \2 \3 \4/p' <<< "$line")"
expect_eq "connections c1 opened" "${opened:-0}" "$N"
expect_eq "closed at once (over max-unauth-per-ip)" "${early:-0}" $((N - 8))
expect_eq "closed later (handshake-timeout)" "${late:-0}" 8
expect_range "first handshake-timeout close after the last connect" "${first:--1}" \
	$(( (HS - 2) * 1000 )) $(( (HS + 4) * 1000 )) "handshake-timeout = $HS s"
n=$(server_count "handshake-timeout ($HS s)")
expect_eq "workers that logged handshake-timeout" "$n" 8

connect_client c3
ping_ok c3 3
verdict "c3's tunnel pings" $? "$PING_RESULT"
bg_ping_stop c2 || fatal "c2's background pinger did not stop"
ok=1; [ "$BG_TX" -ge $((BG_SPAN_MS / 400)) ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "c2's tunnel lost no ping during the flood" $ok \
	"$BG_RX/$BG_TX answered in $(fmt_ms "$BG_SPAN_MS") s"
alive "$SERVER_PID"
verdict "the server is running" $?
