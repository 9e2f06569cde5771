#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DTLS test 4 (doc/spec/liveness.md §7, switch-to-tcp-timeout = W): when the server
# has data for the client and nothing came in on DTLS for W seconds, the
# data goes over CSTP, until any DTLS record arrives; the channel itself
# stays up (no DPD verdict, no new handshake).
#
# With dpd = keepalive = 30 an idle client is silent on DTLS for 30 s. After
# W = 2 s of that silence the server pings the client: the first request
# leaves over CSTP, the client answers over DTLS (its channel is fine), and
# from that record on the server's requests go over DTLS again.
. "$(dirname "$0")/dtls-lib.sh"

W=2

it_setup 1
dtls_config DPD=30 KEEPALIVE=30 -- "switch-to-tcp-timeout = $W"
start_server
connect_dtls_client c1

# Idle for more than W (the handshake and the MTU probe were the last
# DTLS records; the client's first DPD is due only after 30 s).
sleep $((W + 1))
server_ping_ok c1 3 -i 1
verdict "server pings the client" $? "$PING_RESULT"

line=$(grep -F 'switch-to-tcp-timeout: no DTLS record' "$SERVER_LOG" | head -n 1)
[[ $line =~ for\ ([0-9]+)\ ms ]] && silent=${BASH_REMATCH[1]}
verdict "server: data on CSTP after W of DTLS silence" "$([ -n "$line" ]; echo $?)" \
	"${line#*switch-to-tcp-timeout: }"
expect_range "DTLS silence when the data moved to CSTP" "${silent:-}" $((W * 1000)) ""
back=$(grep -F 'data back on DTLS' "$SERVER_LOG" | head -n 1)
verdict "server: back on DTLS with the client's answer" "$([ -n "$back" ]; echo $?)" \
	"${back#*info: }"
expect_eq "the channel stayed up (no inactive verdict)" "$(server_count 'DTLS inactive')" 0
expect_eq "no new DTLS handshake" "$(dtls_established c1)" 1

kill -TERM "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || verdict "client c1 exits after SIGTERM" 1
server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1 on the server"
[[ $END_LINE =~ \ tx\ ([0-9]+)\ pkts/ ]] && total_tx=${BASH_REMATCH[1]}
[[ $END_LINE =~ dtls\ [a-z]+\ \([^\)]*,\ tx\ ([0-9]+)\ pkts ]] && dtls_tx=${BASH_REMATCH[1]}
it_log "server: $total_tx data packets out, ${dtls_tx:-?} over DTLS"
expect_eq "the first request over CSTP, the two others over DTLS" \
	"$(( ${total_tx:-0} - ${dtls_tx:-0} ))/${dtls_tx:-?}" 1/2
