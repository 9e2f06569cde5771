#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue test 8: a frozen client under load (ocserv issue #638). c1 is
# stopped (SIGSTOP) and the server namespace ping-floods its VPN address, so
# the worker has data to send to a peer that reads nothing: TCP windows fill
# and every write would block. The worker must not hang: its tunnel ends on
# schedule, by dpd-timeout at L+3D or tunnel-lost (send queue stuck for the
# DPD window, doc/spec/liveness.md §6), at most 3D+1 s after the client's last packet.
# Meanwhile c2 keeps passing traffic and new logins keep working.
. "$(dirname "$0")/lib.sh"

D=3
it_setup 2
write_config DPD=$D KEEPALIVE=30
start_server
connect_client c1
connect_client c2
client_ping c1 2 || verdict "c1 pings before the freeze" 1
t_ping=$(now_ms)

spawn_logged "$IT_WORK/c2-bgping.log" /dev/null \
	ip netns exec "${CLI_NS[c2]}" ping -n -i 0.2 -W 1 -w 60 "$SERVER_VPN_IP"
ping_pid=$SPAWN_PID
sleep 1

t_stop=$(now_ms)
kill -STOP "${CLI_PID[c1]}"
it_log "client c1 frozen (SIGSTOP); flooding ${CLI_VPNIP[c1]} from the server namespace"
spawn_logged "$IT_WORK/flood.log" /dev/null \
	ip netns exec "$NS_S" timeout 40 ping -n -q -f -i 0.002 -s 1300 -c 200000 "${CLI_VPNIP[c1]}"
flood_pid=$SPAWN_PID

# The server answers logins while the frozen peer is being flooded.
sleep 2
t0=$(now_ms)
authenticate c2
rc=$?
verdict "a login during the flood succeeds" $rc "took $(fmt_ms $(( $(now_ms) - t0 ))) s"

if ! server_tunnel_end 'dpd-timeout|tunnel-lost' $((3 * D + 6)) "${CLI_VPNIP[c1]}"; then
	fatal "the frozen client's tunnel did not end within $(wait_s $((3 * D + 6))) of the SIGSTOP"
fi
it_log "server: $END_LINE"
t_last=$(client_last_tx_ms c1 "$t_stop" "$t_ping")
expect_range "tunnel end after the client's last send (client log)" \
	$((END_MS - t_last)) "" $((3 * D * 1000 + 1000)) "contract: by L+3D, within 1 s"
if [ -n "$END_LAST_RX_MS" ]; then
	expect_range "tunnel end after L as the worker reports it" \
		$((END_MS - END_LAST_RX_MS)) "" $((3 * D * 1000 + 1000)) "contract: by L+3D, within 1 s"
	expect_range "worker's L vs the client's last send" \
		$((END_LAST_RX_MS - t_last)) -200 200 "the two views of L agree"
else
	verdict "the server's tunnel-end line reports the last rx" 1 "$END_LINE"
fi
expect_range "tunnel end after the SIGSTOP" $((END_MS - t_stop)) "" $((3 * D * 1000 + 1000))

kill -INT "$flood_pid" 2> /dev/null
wait_exit "$flood_pid" 5

client_ping c2 5
verdict "c2 still pings after the frozen tunnel ended" $?
kill -INT "$ping_pid" 2> /dev/null
wait_exit "$ping_pid" 5
read -r tx rx <<< "$(ping_summary "$IT_WORK/c2-bgping.log")"
ok=1; [ -n "$tx" ] && [ "$tx" -ge 10 ] && [ "$rx" = "$tx" ] && ok=0
verdict "c2's background ping lost nothing during the freeze and flood" $ok "${rx:-0}/${tx:-0} answered"

alive "$SERVER_PID"
verdict "server still running" $?
