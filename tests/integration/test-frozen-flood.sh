#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A frozen client under load. c1 is stopped (SIGSTOP) and the server
# namespace ping-floods its VPN address, so the worker has data to send to a
# peer that reads nothing: TCP windows fill and every write would block. The
# worker must not hang: its tunnel ends on schedule by dpd-timeout at L + 3D
# (doc/spec/liveness.md §3), L being the client's last packet. A stuck send
# queue ends a tunnel only 3D after it blocked (tunnel-lost,
# doc/spec/liveness.md §6), and it blocked after L, so the end reason must
# be dpd-timeout, not before L + 3D and at most 1 s after it.
#
# Small TCP buffers (client c1's receive side, the server's send side) make
# the windows fill within a moment of the flood, whatever this machine's
# speed: the worker's tunnel-end line must report its send as blocked, and
# the flooder must have sent at least 25 packets per second of flooding
# (ping -f paces itself by its own timer: with no reply coming back it
# sends one request per 10 ms, 100 a second).
# Meanwhile c2 keeps passing traffic and new logins keep working.
. "$(dirname "$0")/lib.sh"

D=3
it_setup 2
in_client c1 sysctl -qw net.ipv4.tcp_rmem="4096 16384 65536" || hard_error "tcp_rmem in c1"
in_server sysctl -qw net.ipv4.tcp_wmem="4096 16384 131072" || hard_error "tcp_wmem in the server"
write_config DPD=$D KEEPALIVE=30
start_server
connect_client c1
connect_client c2
client_ping c1 2 || verdict "c1 pings before the freeze" 1
t_ping=$(reply_ms "$IT_WORK/c1-ping.log")

bg_ping_start c2 0.2
sleep 1

t_stop=$(now_ms)
kill -STOP "${CLI_PID[c1]}"
it_log "client c1 frozen (SIGSTOP); flooding ${CLI_VPNIP[c1]} from the server namespace"
spawn_logged "$IT_WORK/flood.log" /dev/null \
	ip netns exec "$NS_S" timeout 40 ping -n -q -f -s 1300 -c 200000 "${CLI_VPNIP[c1]}"
flood_pid=$SPAWN_PID
t_flood0=$(now_ms)

# The server answers logins while the frozen peer is being flooded.
sleep 2
t0=$(now_ms)
authenticate c2
rc=$?
verdict "a login during the flood succeeds" $rc "took $(fmt_ms $(( $(now_ms) - t0 ))) s"

if ! server_tunnel_end '[a-z-]+' $((3 * D + 6)) "${CLI_VPNIP[c1]}"; then
	fatal "the frozen client's tunnel did not end within $(wait_s $((3 * D + 6))) of the SIGSTOP"
fi
it_log "server: $END_LINE"
reason=$(sed -nE 's/.*tunnel ended: reason=([a-z-]+) .*/\1/p' <<< "$END_LINE")
expect_eq "end reason (the DPD verdict comes before the stuck send's)" "$reason" dpd-timeout
expect_at_l_plus_3d "tunnel end" "$END_MS" "$D" c1 "$t_stop" "$t_ping"
expect_range "tunnel end after the SIGSTOP" $((END_MS - t_stop)) \
	$((2 * D * 1000)) $((3 * D * 1000 + 1000)) "L is in [SIGSTOP-D, SIGSTOP]"

# The flood ran, and the worker's writes did block.
t_flood1=$(now_ms)
kill -INT "$flood_pid" 2> /dev/null
wait_exit "$flood_pid" 5 || verdict "the flooder stops" 1
read -r ftx _ <<< "$(ping_summary "$IT_WORK/flood.log")"
want=$(( (t_flood1 - t_flood0) / 40 ))
ok=1; [ "${ftx:-0}" -ge "$want" ] && ok=0
verdict "the flooder sent at least 25 packets a second" $ok \
	"${ftx:-0} sent in $(fmt_ms $((t_flood1 - t_flood0))) s, want >= $want"
blocked=$(sed -nE 's/.*, send blocked ([0-9]+) ms \(([0-9]+) records queued\).*/\1 ms, \2 records queued/p' \
	<<< "$END_LINE")
ok=1; [ -n "$blocked" ] && ok=0
verdict "the worker's send was blocked when the tunnel ended" $ok "${blocked:-send not blocked}"

client_ping c2 5
verdict "c2 still pings after the frozen tunnel ended" $?
bg_ping_stop c2 || fatal "c2's background pinger did not stop"
ok=1; [ "$BG_TX" -ge $((BG_SPAN_MS / 400)) ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "c2's background ping lost nothing during the freeze and flood" $ok \
	"$BG_RX/$BG_TX answered in $(fmt_ms "$BG_SPAN_MS") s"

alive "$SERVER_PID"
verdict "server still running" $?
