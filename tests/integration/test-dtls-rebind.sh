#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# DTLS test 3 (doc/spec/interop.md §6.2): the client's DTLS source port changes in the
# middle of the session without a new handshake, as behind a NAT that
# rebinds (here: an nftables SNAT in the client's namespace, added while
# the channel runs). The server accepts the new port because the records
# from it decrypt under the channel's session, moves the channel there, and
# the tunnel keeps working on DTLS: no new handshake, no fallback, no
# reconnect. A forged record from another port of the same address (it
# cannot decrypt) is refused and changes nothing.
. "$(dirname "$0")/dtls-lib.sh"

it_setup 1
dtls_config DPD=10 KEEPALIVE=20
start_server
connect_dtls_client c1

ping_ok c1 5
verdict "ping on DTLS before the port change" $? "$PING_RESULT"
port0=$(grep -F 'DTLS up: client' "$SERVER_LOG" | head -n 1 | sed -nE 's/.*client [0-9.]+:([0-9]+),.*/\1/p')
[ -n "$port0" ] || fatal "no client DTLS port in the server log"
it_log "client's DTLS port: $port0"

# A forged record from another port of the client's address: handed to the
# worker as a rebinding candidate, refused because it does not decrypt.
in_client c1 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 0))
rec = bytes([23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0x10, 0]) + (48).to_bytes(2, "big") + bytes(48)
s.sendto(rec, (sys.argv[1], int(sys.argv[2])))
' "$SERVER_IP" "$PORT" || hard_error "sending the forged record"
wait_log "$SERVER_LOG" 'does not decrypt' 1 5
verdict "server: a record that does not decrypt does not move the channel" $? \
	"$(grep -F 'does not decrypt' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS: //')"
ping_ok c1 5
verdict "ping on DTLS after the forged record" $? "$PING_RESULT"

# The NAT rebinds: every datagram of the channel now leaves from another
# port (the rebinding limit is one per 3 s, the forged record used it).
sleep 3
lo=45000
[ "$port0" -ge 45000 ] && [ "$port0" -le 45100 ] && lo=46000
in_client c1 nft -f - <<-EOF || hard_error "nft nat in ${CLI_NS[c1]}"
	table ip ocsm_nat {
		chain post { type nat hook postrouting priority srcnat; policy accept; ip daddr $SERVER_IP udp dport $PORT snat to ${CLI_IP[c1]}:$lo-$((lo + 100)); }
	}
EOF
it_log "client's DTLS datagrams now leave from ports $lo-$((lo + 100))"
ping_ok c1 10
verdict "ping through the tunnel after the port change" $? "$PING_RESULT"
wait_log "$SERVER_LOG" 'DTLS client moved from' 1 5
verdict "server: the channel moved to the new port" $? \
	"$(grep -F 'DTLS client moved from' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS client //')"
port1=$(grep -F 'DTLS client moved from' "$SERVER_LOG" | head -n 1 |
	sed -nE 's/.* to [0-9.]+:([0-9]+) .*/\1/p')
ok=1; [ -n "$port1" ] && [ "$port1" -ge "$lo" ] && [ "$port1" -le $((lo + 100)) ] && ok=0
verdict "the new port is the NAT's" $ok "$port0 -> ${port1:-?}"
expect_eq "no new DTLS handshake" "$(dtls_established c1)" 1
expect_eq "client: no DTLS dead peer" "$(client_count c1 'DTLS Dead Peer Detection')" 0
expect_eq "server: DTLS never inactive" "$(server_count 'DTLS inactive')" 0
expect_eq "client did not reconnect" "$(client_count c1 'CSTP connected.')" 1

kill -TERM "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || verdict "client c1 exits after SIGTERM" 1
server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1 on the server"
[[ $END_LINE =~ dtls\ [a-z]+\ \(([0-9]+)\ handshakes?,\ ([0-9]+)\ rebinds?,\ rx\ ([0-9]+)\ pkts ]] &&
	hs=${BASH_REMATCH[1]} rb=${BASH_REMATCH[2]} drx=${BASH_REMATCH[3]}
expect_eq "one handshake, one rebinding" "${hs:-?}/${rb:-?}" 1/1
verdict "all 20 pings came over DTLS" "$([ "${drx:-0}" -ge 20 ]; echo $?)" "${drx:-0} DTLS data packets"
