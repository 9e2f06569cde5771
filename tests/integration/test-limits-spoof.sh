#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A client that sends packets from an inner source address that is not its
# lease (doc/security.md): c1 adds a second address to its tun0 and pings
# the server's tun address from it. The worker drops those packets (no
# reply comes back, the server's tun never sees them) and counts them: occtl
# --json show user shows "Spoofed packets". Pings from the lease still pass.
. "$(dirname "$0")/occtl-lib.sh"

K=5
occtl_preconditions
it_setup 1
write_config
start_server
connect_client c1
ping_ok c1 2
verdict "c1 pings from its lease" $? "$PING_RESULT"

fake=192.168.77.250
[ "${CLI_VPNIP[c1]}" != "$fake" ] || fake=192.168.77.251
in_client c1 ip addr add "$fake/32" dev tun0 || hard_error "ip addr add $fake on c1's tun0"
in_client c1 timeout 20 ping -n -c "$K" -i 0.2 -W 1 -I "$fake" "$SERVER_VPN_IP" \
	>> "$IT_WORK/spoof-ping.log" 2>&1
read -r tx rx <<< "$(ping_summary "$IT_WORK/spoof-ping.log")"
expect_eq "pings from $fake sent" "${tx:-0}" "$K"
expect_eq "pings from $fake answered" "${rx:-0}" 0
wait_log "$SERVER_LOG" "sent a packet from another source than its address" 1 5
verdict "the worker logged the spoofed source" $? "${WAIT_LINE#* }"

occtl_json show user "$TEST_USER" || fatal "occtl show user failed"
spoofed=$(jget 'd[0]["Spoofed packets"] if isinstance(d, list) else d["Spoofed packets"]')
expect_eq "occtl: Spoofed packets" "$spoofed" "$K"
ping_ok c1 2
verdict "c1 still pings from its lease" $? "$PING_RESULT"
