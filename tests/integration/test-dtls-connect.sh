#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DTLS test 1 (doc/spec/interop.md §6): openconnect 9.01 negotiates PSK-NEGOTIATE DTLS
# with the gateway, its MTU probe keeps the advertised MTU (the DTLS DPD echo
# is byte for byte: "No change in MTU after detection", never "Detected MTU
# of 576"), a bulk series of large pings travels over DTLS (counted on the
# server's DTLS channel), and a client with --no-dtls on the same server
# gets no X-DTLS-* header and works as before. After a reconnect (SIGUSR2)
# the new tunnel has a new DTLS channel.
. "$(dirname "$0")/dtls-lib.sh"

it_setup 2
dtls_config DPD=10 KEEPALIVE=2
start_server

connect_dtls_client c1
mtu=$(cstp_option c1 X-CSTP-MTU)
base=$(cstp_option c1 X-CSTP-Base-MTU)
it_log "c1: X-CSTP-Base-MTU $base, X-CSTP-MTU $mtu"

# The handshake, as the client and the server saw it.
line=$(grep -F 'Established DTLS connection' "${CLI_LOG[c1]}" | head -n 1)
ok=1; [[ $line == *'(DTLS1.2)-(PSK)-'* ]] && ok=0
verdict "client: DTLS 1.2 with PSK" $ok "${line#*Established }"
wait_log "$SERVER_LOG" 'DTLS up: client 10.77.0.2:' 1 5
verdict "server: DTLS up for client 10.77.0.2" $? "$(grep -F 'DTLS up:' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS up: //')"
conf=$(grep -F 'Configured as' "${CLI_LOG[c1]}" | head -n 1)
ok=1; [[ $conf == *'DTLS established'* || $conf == *'DTLS connected'* ]] && ok=0
verdict "client: configured with DTLS" $ok "${conf#*Configured as }"

# The MTU: 1500 - 20 - 8 - 37 - 1 on this IPv4 path, and the probe keeps it.
expect_eq "X-CSTP-MTU is the DTLS data MTU of base $base" "$mtu" $((base - 66))
check_mtu_probe c1 "$mtu"
reduced=$(client_count c1 'DTLS MTU reduced')
expect_eq "client did not reduce its DTLS MTU" "$reduced" 0
tun_mtu=$(in_client c1 cat /sys/class/net/tun0/mtu)
expect_eq "client tun0 MTU" "$tun_mtu" "$mtu"
stun=$(server_tun_of c1)
expect_eq "server tun MTU" "$(in_server cat "/sys/class/net/$stun/mtu" 2> /dev/null)" "$mtu"

# DTLS keepalives (K = 2 < D: the idle client sends them) are answered on
# DTLS, at most one answer per K/2 (doc/spec/liveness.md §4).
wait_log "${CLI_LOG[c1]}" 'Got DTLS Keepalive' 1 6
verdict "client: its DTLS keepalive answered" $? "$(client_count c1 'Send DTLS Keepalive') sent, $(client_count c1 'Got DTLS Keepalive') answered"

# Bulk data: full-size packets (MTU - 28 bytes of ICMP payload) both ways.
bulk_ping c1 400 $((mtu - 28))
verdict "400 full-size pings ($((mtu - 28)) bytes) through the tunnel" \
	"$([ "${BULK_RX:-0}" -ge 396 ]; echo $?)" "${BULK_RX:-0}/${BULK_TX:-0} answered"
# They went over DTLS: the server's DTLS counters hold them, in the line
# that ends this tunnel. SIGUSR2 ends it: the client reconnects at once
# (sessions survive their tunnels, doc/sessions.md), and the resumed tunnel
# negotiates a new DTLS channel with a new App-ID and PSK.
kill -USR2 "${CLI_PID[c1]}"
server_tunnel_end '[a-z-]+' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1's first tunnel on the server"
if [[ $END_LINE =~ dtls\ up\ \(([0-9]+)\ handshakes?,\ [0-9]+\ rebinds?,\ rx\ ([0-9]+)\ pkts/[0-9]+\ B,\ tx\ ([0-9]+)\ pkts ]]; then
	hs=${BASH_REMATCH[1]} drx=${BASH_REMATCH[2]} dtx=${BASH_REMATCH[3]}
else
	hs=0 drx=0 dtx=0
fi
it_log "server DTLS counters: handshakes $hs, rx $drx packets, tx $dtx packets"
expect_eq "one DTLS handshake" "$hs" 1
verdict "the pings came in over DTLS" "$([ "$drx" -ge 396 ]; echo $?)" "$drx DTLS data packets in"
verdict "the replies went out over DTLS" "$([ "$dtx" -ge 396 ]; echo $?)" "$dtx DTLS data packets out"
expect_eq "no DTLS send fell back to CSTP" "$(server_count 'packet sent over CSTP')" 0

wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 15 || fatal "c1: no reconnect after SIGUSR2"
wait_log "${CLI_LOG[c1]}" 'Established DTLS connection' 2 15
verdict "c1: a new DTLS channel after the reconnect" $?
ids=$(sed -n 's/.*\] X-DTLS-App-ID: //p' "${CLI_LOG[c1]}" | sort -u | wc -l)
expect_eq "a fresh App-ID for the new CONNECT" "$ids" 2
check_mtu_probe c1 "$mtu"
ping_ok c1 10
verdict "ping after the reconnect" $? "$PING_RESULT"
kill -TERM "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || verdict "client c1 exits after SIGTERM" 1
server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1's second tunnel on the server"
ok=1; [[ $END_LINE =~ dtls\ up\ \(1\ handshake,\ 0\ rebinds,\ rx\ ([0-9]+)\ pkts ]] &&
	[ "${BASH_REMATCH[1]}" -ge 10 ] && ok=0
verdict "the second tunnel's data went over its own DTLS channel" $ok "${END_LINE##*, dtls }"

# A DTLS-less client on the same server: no X-DTLS-*, CSTP only, works.
connect_client c2
dtls_hdr=$(grep -c '^X-DTLS' "${CLI_ENV[c2]}.cstp" 2> /dev/null)
expect_eq "--no-dtls client: no X-DTLS-* header in the reply" "${dtls_hdr:-0}" 0
ok=1; grep -qE 'tunnel up: .*client=10\.77\.0\.3 .*dtls=off' "$SERVER_LOG" && ok=0
verdict "server: the --no-dtls tunnel runs without DTLS" $ok
ping_ok c2 10
verdict "--no-dtls client: ping through the tunnel" $? "$PING_RESULT"
mtu2=$(cstp_option c2 X-CSTP-MTU)
ok=1; [ -n "$mtu2" ] && [ "$mtu2" -lt "$mtu" ] && ok=0
verdict "--no-dtls client gets the CSTP MTU" $ok "$mtu2 (DTLS clients: $mtu)"

alive "$SERVER_PID"
verdict "server still running" $?
