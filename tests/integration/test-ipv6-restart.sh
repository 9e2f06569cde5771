#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The IPv6 lease survives a restart of the daemon (session-store,
# doc/session-store.md): a dual-stack client's session is kept in the file
# with its IPv6 address (the ipv6 column, 16 bytes); after SIGTERM and a new
# start (predictable-ips off, so only the stored lease can give the same
# address again), the same openconnect process reconnects with its cookie, which it
# accepts only with the same IPv4 and IPv6 addresses (doc/spec/interop.md
# §5.4), without a new login, and IPv6 goes through the tunnel again. Each
# client gets a /112 here (ipv6-subnet-prefix), its second address, and the
# server routes the whole /112 into its tun device.
. "$(dirname "$0")/store-lib.sh"
. "$(dirname "$0")/ipv6-lib.sh"

ipv6_setup 1
STORE_DB=$IT_WORK/state/sessions.db
ipv6_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60 SESSION_STORE="$STORE_DB" -- \
	"ipv6-subnet-prefix = 112"
# random addresses: only the restored lease gives the same one again
sed -i 's/^predictable-ips = true$/predictable-ips = false/' "$CONFIG"
start_server
start_client_password c1
wait_connected c1
wait_ipv6 c1
ping6_ok c1 3
verdict "c1: IPv6 through the tunnel" $? "$PING_RESULT"
ip6=${CLI_VPNIP6[c1]}
expect_eq "c1's IPv6 subnet (ipv6-subnet-prefix = 112)" "$(cstp_option c1 X-CSTP-Address-IP6)" "$ip6/112"
ok=1; [[ $ip6 == fd00:77::*:1 ]] && ok=0
verdict "c1's address is the second one of its /112 (the first is the subnet-router anycast)" $ok "$ip6"
dev=$(server_tun_of c1)
expect_eq "the server routes c1's /112 into $dev" \
	"$(in_server ip -o -6 route show dev "$dev" | awk '$1 ~ /\/112$/ { print $1 }')" "$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Network(sys.argv[1], strict=False))' "$ip6/112")"
posts=$(client_auth_posts c1)
want=$(python3 -c 'import ipaddress, sys; print(ipaddress.IPv6Address(sys.argv[1]).packed.hex().upper())' "$ip6")
expect_eq "1. the store holds the session's IPv6 lease" "$(store_sql "SELECT hex(ipv6) FROM sessions")" "$want"

stop_server_term
sleep 0.5
alive "${CLI_PID[c1]}"
verdict "2. openconnect keeps running while the server is down" $?
start_server
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 20 ||
	fatal "c1 did not reconnect within 20 s of the start"
alive "${CLI_PID[c1]}"
verdict "3. the same openconnect process reconnected" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "3. c1 saw the same IPv4 and IPv6 addresses" $?
expect_eq "3. no new login request from the client" "$(client_auth_posts c1)" "$posts"
grep -q 'asked for .*, session .* has' "$SERVER_LOG"
[ $? = 1 ]
verdict "3. the server gave it the address it asked for (no 'asked for' line)" $?
wait_log "${CLI_ENV[c1]}.cstp" 'X-CSTP-Address-IP6' 1 5
expect_eq "3. X-CSTP-Address-IP6 after the restart" "$(cstp_option c1 X-CSTP-Address-IP6)" "$ip6/112"
ping6_ok c1 3
verdict "3. c1: IPv6 through the resumed tunnel" $? "$PING_RESULT"
ping_ok c1 3
verdict "3. c1: IPv4 through the resumed tunnel" $? "$PING_RESULT"
