#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What many addresses can do with the default limits (doc/security.md): c1
# opens 8 TCP connections that never start TLS from each of 40 addresses
# (320). main keeps max-unauth (256) of them and closes the other 64 at
# once; while they are held a login from another address (c3) is refused at
# accept (the documented limit of max-unauth), c2's tunnel keeps answering
# pings, and once handshake-timeout (here 20 s) closed them, c3 logs in.
# ("At once": within HS/2 of c1's last connect; main takes a moment to
# start 256 workers.)
. "$(dirname "$0")/lib.sh"

HS=20
NADDR=40
it_setup 3
need_cmd python3
srcs=
for i in $(seq 100 $((100 + NADDR - 1))); do
	in_client c1 ip addr add "10.77.0.$i/24" dev eth0 || hard_error "address 10.77.0.$i on c1"
	srcs=${srcs:+$srcs,}10.77.0.$i
done
write_config
echo "handshake-timeout = $HS" >> "$CONFIG"
start_server
connect_client c2
bg_ping_start c2 0.2

t0=$(now_ms)
spawn_logged "$IT_WORK/hold.log" /dev/null ip netns exec "${CLI_NS[c1]}" \
	python3 "$IT_DIR/flood.py" --host "$SERVER_IP" --port "$PORT" --sources "$srcs" \
	--early $((HS / 2)) hold 8 $((HS + 10))
hold_pid=$SPAWN_PID
wait_log "$SERVER_LOG" "refused: max-unauth reached" 1 15 ||
	fatal "the server did not refuse connections over max-unauth"
it_log "max-unauth reached after $(fmt_ms $((WAIT_MS - t0))) s: ${WAIT_LINE#* }"
held=$(in_server ss -Htn state established "( sport = :$PORT )" | grep -c ' 10\.77\.0\.1[0-3][0-9]:')
expect_eq "connections of the 40 addresses the server holds" "$held" 256

authenticate c3
rc=$?
ok=1; [ $rc != 0 ] && ok=0
verdict "a login from another address is refused while max-unauth is full" $ok "openconnect exit $rc"
ping_ok c2 3
verdict "c2's tunnel pings while max-unauth is full" $? "$PING_RESULT"

wait_exit "$hold_pid" $((HS + 20)) || fatal "flood.py hold did not end"
line=$(grep ' OPENED ' "$IT_WORK/hold.log" | tail -n 1)
it_log "flood.py: ${line#* }"
read -r opened early late <<< \
	"$(sed -nE 's/.*OPENED ([0-9]+) CLOSED_EARLY ([0-9]+) CLOSED_LATE ([0-9]+) .*/\1 \2 \3/p' <<< "$line")"
expect_eq "connections opened" "${opened:-0}" $((8 * NADDR))
expect_eq "closed at once (over max-unauth)" "${early:-0}" $((8 * NADDR - 256))
expect_eq "closed at handshake-timeout" "${late:-0}" 256

t1=$(now_ms)
authenticate c3
verdict "c3 logs in once they are closed" $? "in $(fmt_ms $(( $(now_ms) - t1 ))) s"
bg_ping_stop c2 || fatal "c2's background pinger did not stop"
ok=1; [ "$BG_TX" -ge $((BG_SPAN_MS / 400)) ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "c2's tunnel lost no ping" $ok "$BG_RX/$BG_TX answered in $(fmt_ms "$BG_SPAN_MS") s"
