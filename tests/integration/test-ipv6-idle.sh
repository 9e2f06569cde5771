#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The idle classifier's IPv6 rules, end to end (doc/spec/liveness.md §1 and
# §5, doc/spec/interop.md §0 rule 13): a dual-stack client (IPv6 address
# from ipv6-network) whose tun sends only what hosts send on their own after
# its last user packet: its kernel's router solicitations and MLD reports of
# a fresh IPv6 device, plus nd-chatter.py's router solicitations, neighbour
# solicitations and MLD reports every 0.25 s. None of it is user data:
# idle-timeout = I = 8 ends the tunnel on time, measured as in
# test-idle-timeout.sh (not before I after the last user packet, at most
# I + 1.5 s after its reply). The chatter reached the gateway: the server's
# tunnel received at least the solicitations nd-chatter.py sent.
. "$(dirname "$0")/ipv6-lib.sh"

I=8
ipv6_setup 1
ipv6_config DPD=2 KEEPALIVE=30 IDLE_TIMEOUT=$I
start_server
connect_dtls_client c1
wait_ipv6 c1
ping6_ok c1 2
verdict "IPv6 ping through the tunnel" $? "$PING_RESULT"

# the chatter runs longer than the idle period (it stops with the tunnel)
in_client c1 python3 "$IT_DIR/nd-chatter.py" tun0 $((I + 4)) "$SERVER_VPN_IP6" \
	> "$IT_WORK/chatter.log" 2>&1 &
chatter=$!
track "$chatter"
sleep 1
idle_end c1 $I "idle-timeout with IPv6 ND/MLD chatter"
wait "$chatter"
verdict "nd-chatter.py ran" $? "$(tail -n 1 "$IT_WORK/chatter.log")"
server_tunnel_end idle-timeout 5 "${CLI_VPNIP[c1]}"
verdict "server: the tunnel ended with idle-timeout" $?
# every solicitation nd-chatter.py sent came through (plus the pings, the
# MLD reports and the client kernel's own)
read -r rs ns <<< "$(sed -nE 's/^rs=([0-9]+) ns=([0-9]+).*/\1 \2/p' "$IT_WORK/chatter.log")"
ok=1; [[ $END_LINE =~ rx\ ([0-9]+)\ pkts ]] && [ "${BASH_REMATCH[1]}" -ge $((${rs:-1000} + ${ns:-0})) ] && ok=0
verdict "the server's tunnel received the chatter (over DTLS, >= $((${rs:-0} + ${ns:-0})) packets)" $ok \
	"$(grep -oE 'dtls [a-z]+ .*rx [0-9]+ pkts' <<< "$END_LINE" | head -n 1)"
if wait_exit "${CLI_PID[c1]}" 5; then
	expect_eq "client exit status" "$EXIT_RC" 1
else
	verdict "client exits after the disconnect" 1
fi
