#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# restrict-user-to-routes (doc/config-reference.md): with route = the VPN
# network, a ping through the tunnel to the server's tun address is
# answered, while a ping the client sends through the tunnel to an address
# outside the routes is dropped by the worker and counted (occtl-modern's
# "Restricted packets").
. "$(dirname "$0")/occtl-lib.sh"

FORBIDDEN=10.99.0.1
occtl_preconditions
it_setup 1
write_config DPD=10 KEEPALIVE=30
{
	echo "route = $VPN_NET/$VPN_PREFIX"
	echo "restrict-user-to-routes = true"
} >> "$CONFIG"
start_server
start_client_password c1
wait_connected c1
ping_ok c1 3
verdict "ping to the server's tun address (inside the routes)" $? "$PING_RESULT"

# The client sends traffic for $FORBIDDEN into its tunnel too.
in_client c1 ip route add "$FORBIDDEN/32" dev tun0 || hard_error "client route to $FORBIDDEN"
in_client c1 timeout 10 ping -n -c 5 -i 0.2 -W 1 "$FORBIDDEN" > "$IT_WORK/forbidden-ping.log" 2>&1
rx=$(sed -nE 's/.* ([0-9]+) (packets )?received.*/\1/p' "$IT_WORK/forbidden-ping.log")
expect_eq "ping to $FORBIDDEN (outside the routes): no reply" "${rx:-?}" 0

occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
n=0
deadline=$(deadline_after 5)
while [ "$(now_ms)" -lt "$deadline" ]; do
	occtl -j show id "$id" && n=$(jget 'd[0].get("Restricted packets", 0)')
	[ "$n" = 5 ] && break
	sleep 0.2
done
expect_eq "occtl-modern: the 5 echo requests to $FORBIDDEN dropped and counted" "$n" 5
wait_log "$SERVER_LOG" 'outside the routes' 1 1
verdict "the worker logged the first dropped packet" $? "$WAIT_LINE"
ping_ok c1 3
verdict "the tunnel still carries traffic inside the routes" $? "$PING_RESULT"
