#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One openconnect process logs in with --passwd-on-stdin and connects; the
# CONNECT reply carries what openconnect 9.01 needs (doc/spec/interop.md
# rule 2); traffic passes both ways through the real tun devices.
. "$(dirname "$0")/lib.sh"

it_setup 1
write_config DPD=10 KEEPALIVE=20
start_server

start_client_password c1
wait_connected c1

# The reply headers as the client parsed them (CISCO_CSTP_OPTIONS).
addr=$(cstp_option c1 X-CSTP-Address)
expect_eq "X-CSTP-Address is the address the tun got" "$addr" "${CLI_VPNIP[c1]}"
ok=1; [[ $addr == 192.168.77.* ]] && [ "$addr" != "$SERVER_VPN_IP" ] && ok=0
verdict "the address comes from the pool 192.168.77.0/24 and is not the server's" $ok "$addr"
expect_eq "X-CSTP-Netmask" "$(cstp_option c1 X-CSTP-Netmask)" "$VPN_MASK"
expect_eq "X-CSTP-DPD advertises dpd" "$(cstp_option c1 X-CSTP-DPD)" 10
expect_eq "X-CSTP-Keepalive advertises keepalive" "$(cstp_option c1 X-CSTP-Keepalive)" 20
mtu=$(cstp_option c1 X-CSTP-MTU)
ok=1; [[ $mtu =~ ^[0-9]+$ ]] && [ "$mtu" -ge 576 ] && [ "$mtu" -le 1500 ] && ok=0
verdict "X-CSTP-MTU is a sane data MTU" $ok "$mtu"
tun_mtu=$(in_client c1 cat /sys/class/net/tun0/mtu)
expect_eq "client tun0 MTU follows X-CSTP-MTU" "$tun_mtu" "$mtu"

# Client -> server tun address, through the tunnel.
ping_ok c1 10
verdict "ping client tun -> server tun $SERVER_VPN_IP" $? "$PING_RESULT"

# Server -> client VPN address: the server's tun routes it into the tunnel.
server_ping_ok c1 5
verdict "ping server -> client VPN address ${CLI_VPNIP[c1]}" $? "$PING_RESULT"

# A user who stops the client logs out cleanly.
kill -TERM "${CLI_PID[c1]}"
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "client exit status after SIGTERM" "$EXIT_RC" 0
else
	verdict "client exits within 10 s of SIGTERM" 1
fi
alive "$SERVER_PID"
verdict "server still running" $?
