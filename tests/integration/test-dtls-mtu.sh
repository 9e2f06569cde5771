#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DTLS test 5 (doc/spec/liveness.md §7, try-mtu-discovery): DTLS datagrams carry DF;
# when the path to the client shrinks (here: a route MTU of 1200 towards the
# client in the server's namespace), the kernel refuses a full-size DTLS
# send with EMSGSIZE: the packet goes over CSTP instead (nothing is lost),
# the DTLS data MTU drops to what the path takes (1200 - 28 - 37 - 1 =
# 1134), and main sets the tun device's MTU to it. When the path grows
# again, a full-size send raises the MTU back to the tunnel's.
. "$(dirname "$0")/dtls-lib.sh"

SMALL=1200

it_setup 1
dtls_config DPD=10 KEEPALIVE=20 -- "try-mtu-discovery = true"
start_server
connect_dtls_client c1
mtu=$(cstp_option c1 X-CSTP-MTU)
stun=$(server_tun_of c1)
want=$((SMALL - 20 - 8 - 37 - 1))
it_log "tunnel MTU $mtu on $stun; path MTU to the client becomes $SMALL"

in_server ip route replace "${CLI_IP[c1]}/32" dev br0 mtu "$SMALL" ||
	hard_error "route MTU in the server namespace"
# 1300 bytes of ICMP: a 1328-byte packet, over the path once in DTLS.
server_ping_ok c1 3 -i 0.5 -s 1300
verdict "large pings from the server are answered" $? "$PING_RESULT"
line=$(grep -F 'was refused (EMSGSIZE' "$SERVER_LOG" | head -n 1)
verdict "worker: EMSGSIZE lowered the DTLS data MTU" "$([ -n "$line" ]; echo $?)" "${line#*DTLS to }"
[[ $line =~ DTLS\ data\ MTU\ ([0-9]+)\ -\>\ ([0-9]+) ]] && from=${BASH_REMATCH[1]} to=${BASH_REMATCH[2]}
expect_eq "DTLS data MTU from the path MTU" "${from:-?} -> ${to:-?}" "$mtu -> $want"
wait_log "$SERVER_LOG" "$stun: MTU $mtu -> $want" 1 5
verdict "main set the tun device's MTU" $? "$(grep -F "$stun: MTU" "$SERVER_LOG" | head -n 1 | sed 's/.*info: //')"
expect_eq "server tun MTU" "$(in_server cat "/sys/class/net/$stun/mtu")" "$want"

# Packets that fit the path go over DTLS; nothing fell back to CSTP but
# the refused one.
server_ping_ok c1 5 -s $((want - 28))
verdict "full-size pings at the new MTU" $? "$PING_RESULT"

# The path grows again: after WORKER_DTLS_MTU_RAISE_MS (5 s) a full-size
# send finds the kernel's path MTU back at 1500.
in_server ip route del "${CLI_IP[c1]}/32" dev br0 || hard_error "route del"
sleep 5
server_ping_ok c1 3 -i 0.5 -s $((want - 28))
wait_log "$SERVER_LOG" "$stun: MTU $want -> $mtu" 1 5
verdict "the MTU grows back with the path" $? \
	"$(grep -F 'the path takes more again' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS to //')"
expect_eq "server tun MTU back" "$(in_server cat "/sys/class/net/$stun/mtu")" "$mtu"
expect_eq "the channel stayed up" "$(server_count 'DTLS inactive')" 0
expect_eq "no new DTLS handshake" "$(dtls_established c1)" 1
