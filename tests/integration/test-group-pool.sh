#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ipv4-network and ipv4-netmask in a per-group file (doc/config-reference.md,
# "Per-user and per-group files"): the group "users" has its own pool
# 192.168.88.0 with ipv4-netmask 255.255.255.128, the global one is
# 192.168.77.0/24. With the real client, at the same time:
#  - the test user (group users) gets an address in 192.168.88.0/25, the
#    netmask 255.255.255.128 (X-CSTP-Netmask), and a ping to the gateway's
#    side of that pool (192.168.88.1) through the tunnel is answered;
#  - a user of another group without a file gets an address of the global
#    pool and his pings to 192.168.77.1 are answered;
#  - the gateway logged the group's pool once.
. "$(dirname "$0")/occtl-lib.sh"

occtl_preconditions
it_setup 2
write_config
mkdir -p "$IT_WORK/groups" || hard_error "mkdir"
printf 'ipv4-network = 192.168.88.0\nipv4-netmask = 255.255.255.128\n' > "$IT_WORK/groups/users"
printf 'config-per-group = %s/groups\n' "$IT_WORK" >> "$CONFIG"
# a second user (same password) in another group
sed -n "s/^$TEST_USER:users:/other:staff:/p" "$IT_WORK/passwd" >> "$IT_WORK/passwd"
start_server

connect_client c1
ip1=${CLI_VPNIP[c1]}
case $ip1 in 192.168.88.*) in_pool=0 ;; *) in_pool=1 ;; esac
[ "$in_pool" = 0 ] && [ "${ip1##*.}" -ge 2 ] && [ "${ip1##*.}" -le 126 ]
verdict "group users: address $ip1 in 192.168.88.0/25 (clients .2 to .126)" $?
expect_eq "group users: X-CSTP-Netmask" "$(cstp_option c1 X-CSTP-Netmask)" 255.255.255.128
in_client c1 ip route replace 192.168.88.0/25 dev tun0 || hard_error "client route"
out=$(in_client c1 ping -n -q -c 3 -i 0.2 -W 2 192.168.88.1 2>&1)
verdict "group users: ping to 192.168.88.1 (the gateway's side of the group's pool)" $? \
	"$(echo "$out" | grep 'packets transmitted')"

authenticate c2 other "$TEST_PASSWORD" || fatal "login of other failed"
start_client c2
wait_connected c2
ip2=${CLI_VPNIP[c2]}
case $ip2 in 192.168.77.*) r=0 ;; *) r=1 ;; esac
verdict "group staff (no file): address $ip2 in the global 192.168.77.0/24" $r
expect_eq "group staff: X-CSTP-Netmask" "$(cstp_option c2 X-CSTP-Netmask)" 255.255.255.0
ping_ok c2 3
verdict "group staff: ping to 192.168.77.1" $? "$PING_RESULT"
expect_eq "the group's pool logged once" "$(server_count 'address pool 192.168.88.0/25')" 1
