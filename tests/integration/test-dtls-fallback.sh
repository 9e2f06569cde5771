#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DTLS test 2 (doc/spec/liveness.md §3, §7; doc/spec/interop.md §4.6, §9.8 "cut UDP only"):
# with dpd = 3 the UDP path of an idle client is black-holed (nftables drop
# in its namespace, both ways). The server's DTLS DPD declares the channel
# dead L + 3D after its last DTLS record (within 3D + 1 s of the cut); data
# then flows over CSTP, the tunnel and the session stay up. When UDP comes
# back, the client's next handshake (a new source port, routed by its
# App-ID) succeeds, its MTU probe keeps the MTU, and data is on DTLS again.
# A second client, c2, runs the same scenario alongside with a fixed DTLS
# port (--dtls-local-port): its new handshake arrives on the socket of the
# association it replaces, which the server serves until the new one is
# complete. A third client, c3, keeps pinging through the outage: once its
# own DTLS DPD gives up it sends the data over CSTP, and CSTP DATA while DTLS
# is up makes the server's DTLS inactive at once (doc/spec/liveness.md §7).
. "$(dirname "$0")/dtls-lib.sh"
. "$(dirname "$0")/occtl-lib.sh"

D=3

C2_PORT=40443

it_setup 3
dtls_config DPD=$D KEEPALIVE=30
start_server
connect_dtls_client c1
connect_dtls_client c2 --dtls-local-port $C2_PORT
connect_dtls_client c3
mtu=$(cstp_option c1 X-CSTP-MTU)
expect_eq "X-DTLS-DPD" "$(sed -n 's/.*\] X-DTLS-DPD: //p' "${CLI_LOG[c1]}" | head -n 1)" $D

# Let the channel settle (probe window, first DPDs), then cut UDP only.
sleep 4
in_client c3 ping -n -q -c 100 -i 0.2 -W 2 "$SERVER_VPN_IP" > "$IT_WORK/c3-ping.log" 2>&1 &
track $!
c3_ping=$!
udp_blackhole_on c1
udp_blackhole_on c2
udp_blackhole_on c3
cut_ms=$(now_ms)
it_log "UDP between c1 and the server dropped"

# The server's DTLS DPD: dead at L + 3D, L = its last DTLS record.
check_dtls_dpd_inactive "${CLI_IP[c1]}" "$cut_ms" $D
line=$INACTIVE_LINE
# R = 2 (the default dpd-retries): probes at L + 2D and L + 2.5D first.
# c2 and c3 have their own L (their DPD timers run from their own
# connections): their verdicts are due by the same bound after the cut.
left_s=$(fmt_ms $(( cut_ms + (3 * D + 5) * 1000 - $(now_ms) )))
wait_log -E "$SERVER_LOG" 'DTLS inactive: reason=dpd-timeout client=10\.77\.0\.3:' 1 "$left_s"
verdict "server: c2's DTLS inactive too" $? "$(grep -F 'client=10.77.0.3:' "$SERVER_LOG" | grep -F 'DTLS inactive' | sed 's/.*DTLS inactive: //')"
wait_log -E "$SERVER_LOG" 'DTLS inactive: reason=[a-z-]+ client=10\.77\.0\.4:' 1 "$left_s"
line3=$(grep -E 'DTLS inactive: reason=[a-z-]+ client=10\.77\.0\.4:' "$SERVER_LOG" | head -n 1)
t3=$(line_ms "$line3")
expect_eq "c3 (sending data): DTLS inactive because data came over CSTP" \
	"$(sed -nE 's/.*DTLS inactive: reason=([a-z-]+).*/\1/p' <<< "$line3")" cstp-data
expect_range "c3: DTLS inactive after the cut" $((${t3:-0} - cut_ms)) 0 $((3 * D * 1000)) \
	"before the server's own DPD verdict at 3D"
probes=$(sed -nE 's/.*, ([0-9]+) DPD probes? unanswered.*/\1/p' <<< "$line")
expect_eq "the server probed DTLS twice before giving up" "$probes" 2

# The tunnel lives on: data over CSTP (the client's own DTLS DPD gave up
# on DTLS too), no reconnect, no tunnel end.
ping_ok c1 10
verdict "ping over CSTP while UDP is cut" $? "$PING_RESULT"
expect_eq "client did not reconnect CSTP" "$(client_count c1 'CSTP connected.')" 1
expect_eq "server did not end the tunnel" "$(server_count 'tunnel ended:')" 0
ok=1; grep -qF 'DTLS Dead Peer Detection detected dead peer!' "${CLI_LOG[c1]}" && ok=0
verdict "client: DTLS dead peer detected" $ok
# The session, as occtl-modern shows it: still active, DTLS inactive. A
# missing occtl-modern, a session id not found or a failing command is a
# failure, never a skip.
sid=$(sed -nE 's/.*tunnel up: user=[^ ]+ session=([0-9a-f]{6}).* client=10\.77\.0\.2 .*/\1/p' "$SERVER_LOG" | head -n 1)
if [ ! -x "$OCCTL_BIN" ]; then
	verdict "occtl: $OCCTL_BIN is there" 1 "not built"
elif [ -z "$sid" ]; then
	verdict "occtl: c1's session id in the server's tunnel-up line" 1
else
	occtl show session "$sid"
	verdict "occtl: show session $sid exits 0" $? "$(head -c 300 "$OCCTL_ERR")"
	state=$(sed -nE 's/^[[:space:]]*State: //p' "$OCCTL_OUT" | head -n 1)
	expect_eq "occtl: session $sid state while UDP is cut" "$state" active
	if occtl_json show users; then
		expect_eq "occtl: the three tunnels' DTLS inactive" \
			"$(jget '" ".join(u.get("DTLS state", "?") for u in d)')" "inactive inactive inactive"
	fi
fi

# UDP back: the client's pending handshake (retransmitted from its new
# port) or its next attempt gets through.
udp_blackhole_off c1
udp_blackhole_off c2
udp_blackhole_off c3
restore_ms=$(now_ms)
it_log "UDP restored"
wait_dtls_again c1 || fatal "client: no second DTLS handshake after restoring UDP"
it_log "client: DTLS established again $(fmt_ms $((WAIT_MS - restore_ms))) s after the restore"
wait_log "$SERVER_LOG" 'DTLS up: client 10.77.0.2:' 2 5
verdict "server: DTLS up again (a new association)" $? \
	"$(grep -F 'DTLS up: client 10.77.0.2:' "$SERVER_LOG" | tail -n 1 | sed 's/.*DTLS up: client //')"
p1=$(grep -F 'DTLS up: client 10.77.0.2:' "$SERVER_LOG" | head -n 1 | sed -nE 's/.*client [0-9.]+:([0-9]+),.*/\1/p')
p2=$(grep -F 'DTLS up: client 10.77.0.2:' "$SERVER_LOG" | sed -n 2p | sed -nE 's/.*client [0-9.]+:([0-9]+),.*/\1/p')
ok=1; [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$p2" ] && ok=0
verdict "the new association comes from a new client port" $ok "$p1 -> $p2"
check_mtu_probe c1 "$mtu"
ok=1; [ "$(client_count c1 'Detected MTU of')" = 0 ] && ok=0
verdict "no MTU collapse after the second handshake" $ok

# c2: the new handshake from the same port replaced the association.
wait_dtls_again c2
verdict "c2 (fixed port): DTLS established again" $?
wait_log "$SERVER_LOG" "DTLS up: client 10.77.0.3:$C2_PORT" 2 5
verdict "server: c2's new association on the same port $C2_PORT" $? \
	"$(grep -F 'DTLS up: client 10.77.0.3:' "$SERVER_LOG" | tail -n 1 | sed 's/.*DTLS up: client //')"
check_mtu_probe c2 "$mtu"
ping_ok c2 10
verdict "c2: ping after the restore" $? "$PING_RESULT"
expect_eq "c2: one CSTP connection" "$(client_count c2 'CSTP connected.')" 1

# c3's pings went on through the outage (over CSTP once its client gave
# up on DTLS: only the first DPD window of them is lost).
wait_exit "$c3_ping" 30
read -r tx3 rx3 <<< "$(ping_summary "$IT_WORK/c3-ping.log")"
verdict "c3: pings during and after the outage" "$([ "${rx3:-0}" -ge 50 ]; echo $?)" \
	"${rx3:-0}/${tx3:-0} answered"

# Data on DTLS again: these pings are counted on the DTLS channel.
sleep 1
ping_ok c1 20
verdict "ping after the restore" $? "$PING_RESULT"
expect_eq "still one CSTP connection" "$(client_count c1 'CSTP connected.')" 1

kill -TERM "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || verdict "client c1 exits after SIGTERM" 1
server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1 on the server"
[[ $END_LINE =~ \ rx\ ([0-9]+)\ pkts/ ]] && total_rx=${BASH_REMATCH[1]}
[[ $END_LINE =~ dtls\ [a-z]+\ \(([0-9]+)\ handshakes?,\ [0-9]+\ rebinds?,\ rx\ ([0-9]+)\ pkts ]] &&
	hs=${BASH_REMATCH[1]} dtls_rx=${BASH_REMATCH[2]}
it_log "server: $total_rx data packets in, $dtls_rx of them over DTLS; $hs handshakes"
expect_eq "two DTLS handshakes on one tunnel" "${hs:-}" 2
verdict "the 10 pings during the cut came over CSTP" \
	"$([ $(( ${total_rx:-0} - ${dtls_rx:-0} )) -ge 10 ]; echo $?)" \
	"$(( ${total_rx:-0} - ${dtls_rx:-0} )) CSTP data packets"
verdict "the 20 pings after the restore came over DTLS" \
	"$([ "${dtls_rx:-0}" -ge 19 ]; echo $?)" "${dtls_rx:-0} DTLS data packets"
