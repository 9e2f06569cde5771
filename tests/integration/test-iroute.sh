#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# iroute in a per-user file (doc/config-reference.md): a network behind the
# client. The test user's file says iroute = 10.55.0.0/24; in the client's
# namespace 10.55.0.1 is a local address (a host behind the client). With
# the real client:
#  - the gateway routes 10.55.0.0/24 through the session's tun device;
#  - a ping from the gateway's namespace to 10.55.0.1 goes through the tunnel
#    and its replies, whose source 10.55.0.1 is not the client's VPN address,
#    are let in (not counted as spoofed);
#  - a packet from 10.66.0.1 (no iroute) is still dropped as spoofed.
. "$(dirname "$0")/occtl-lib.sh"

occtl_preconditions
it_setup 1
write_config
mkdir -p "$IT_WORK/users" || hard_error "mkdir"
printf 'iroute = 10.55.0.0/24\n' > "$IT_WORK/users/$TEST_USER"
printf 'config-per-user = %s/users\n' "$IT_WORK" >> "$CONFIG"
in_client c1 ip addr add 10.55.0.1/32 dev lo || hard_error "address 10.55.0.1"
in_client c1 ip addr add 10.66.0.1/32 dev lo || hard_error "address 10.66.0.1"
start_server
connect_client c1

wait_log "$SERVER_LOG" 'iroute 10.55.0.0/255.255.255.0 of user' 1 5
verdict "the gateway logged the iroute" $? "$WAIT_LINE"
dev=$(in_server ip -4 route show 10.55.0.0/24 | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1) }')
[ -n "$dev" ] && in_server ip -4 addr show dev "$dev" | grep -q "peer ${CLI_VPNIP[c1]}/32"
verdict "10.55.0.0/24 routed through the session's device" $? "dev ${dev:-none}"
out=$(in_server ping -n -q -c 3 -i 0.2 -W 2 10.55.0.1 2>&1)
verdict "ping from the gateway's namespace to 10.55.0.1 behind the client" $? \
	"$(echo "$out" | grep 'packets transmitted')"

occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl -j show id "$id" && n=$(jget 'd[0].get("Spoofed packets", "absent")')
expect_eq "replies from 10.55.0.1 not counted as spoofed" "$n" 0
# from an address behind the client that no iroute covers: dropped
in_client c1 ping -n -q -c 2 -i 0.2 -W 1 -I 10.66.0.1 "$SERVER_VPN_IP" > /dev/null 2>&1
occtl -j show id "$id" && n=$(jget 'd[0].get("Spoofed packets", "absent")')
expect_eq "2 pings from 10.66.0.1 (no iroute): dropped as spoofed" "$n" 2
