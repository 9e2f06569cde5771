#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# try-mtu-discovery with IPv6 inside the tunnel (doc/spec/liveness.md §7:
# never below 1280 when IPv6 is in use): as in test-dtls-mtu.sh the path to
# the client shrinks to 1200 and a full-size DTLS send is refused with
# EMSGSIZE, but this session has an IPv6 address, so the DTLS data MTU and
# the tun device's MTU stop at 1280 instead of 1200 - 66 = 1134: a tun
# device under 1280 would lose its IPv6 address. The server's tun keeps it
# and IPv6 still goes through the tunnel.
. "$(dirname "$0")/ipv6-lib.sh"

SMALL=1200
ipv6_setup 1
ipv6_config DPD=10 KEEPALIVE=20 -- "try-mtu-discovery = true"
start_server
connect_dtls_client c1
wait_ipv6 c1
mtu=$(cstp_option c1 X-CSTP-MTU)
stun=$(server_tun_of c1)
it_log "tunnel MTU $mtu on $stun; path MTU to the client becomes $SMALL"
in_server ip route replace "${CLI_IP[c1]}/32" dev br0 mtu "$SMALL" ||
	hard_error "route MTU in the server namespace"
server_ping_ok c1 3 -i 0.5 -s 1300
verdict "large pings from the server are answered" $? "$PING_RESULT"
line=$(grep -F 'was refused (EMSGSIZE' "$SERVER_LOG" | head -n 1)
[[ $line =~ DTLS\ data\ MTU\ ([0-9]+)\ -\>\ ([0-9]+) ]] && from=${BASH_REMATCH[1]} to=${BASH_REMATCH[2]}
expect_eq "DTLS data MTU: down to the IPv6 floor, not $((SMALL - 66))" "${from:-?} -> ${to:-?}" "$mtu -> 1280"
wait_log "$SERVER_LOG" "$stun: MTU $mtu -> 1280" 1 5
verdict "main set the tun device's MTU to 1280" $? "$(grep -F "$stun: MTU" "$SERVER_LOG" | head -n 1 | sed 's/.*info: //')"
ok=1; in_server ip -6 addr show dev "$stun" | grep -qF "$SERVER_VPN_IP6/128" && ok=0
verdict "the server's $stun keeps $SERVER_VPN_IP6" $ok
ping6_ok c1 5
verdict "IPv6 through the tunnel after the MTU change" $? "$PING_RESULT"
ping6_ok c1 3 from-server
verdict "IPv6 from the server after the MTU change" $? "$PING_RESULT"
