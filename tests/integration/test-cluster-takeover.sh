#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A takeover across gateways (doc/session-store.md): c1 is connected
# through gateway a; another openconnect process (c2) comes with c1's cookie
# through gateway b (the VIP moved). b takes the session from gw-a and tells
# a, whose tunnel of it ends (its log names gw-b; c1 gets the DISCONNECT
# "taken over by gateway gw-b"); c2 has the session's address and pings; no
# login anywhere but the first.
. "$(dirname "$0")/cluster-lib.sh"

cluster_setup 2
start_redis
gw_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120
start_gw a
start_gw b

connect_client c1
ip1=${CLI_VPNIP[c1]}
ping_ok c1 2
verdict "c1 connected through gateway a and pings" $? "$PING_RESULT"
vip_to b
CLI_COOKIE[c2]=${CLI_COOKIE[c1]}
t0=$(now_ms)
start_client c2
wait_connected c2
it_log "c2 connected through b $(( $(now_ms) - t0 )) ms after its start (measured)"
expect_eq "c2 has c1's address" "${CLI_VPNIP[c2]}" "$ip1"
ping_ok c2 3
verdict "c2 pings through gateway b" $? "$PING_RESULT"
expect_eq "b took the session from gw-a" "$(gw_count b 'taken from gateway gw-a, where it was active')" 1
if wait_log -E "${GW_LOG[a]}" 'taken over by gateway gw-b: it ends here' 1 5; then
	verdict "a was told and ended its copy" 0 "$(cut -c 25- <<< "$WAIT_LINE")"
else
	verdict "a was told and ended its copy" 1 "no log line within 5 s"
fi
if wait_log "${CLI_LOG[c1]}" "Received server disconnect: b0 'taken over by gateway gw-b'" 1 10; then
	verdict "c1 was told: taken over by gateway gw-b" 0 "$(cut -c 25- <<< "$WAIT_LINE")"
else
	verdict "c1 was told: taken over by gateway gw-b" 1 \
		"$(grep -E 'disconnect|terminate' "${CLI_LOG[c1]}" | tail -n 1)"
fi
expect_eq "one login in all (on a)" "$(( $(gw_count a 'authenticated from') + $(gw_count b 'authenticated from') ))" 1
key=$(rcli --scan --pattern 'ocsm:s:*' | head -n 1)
expect_eq "Redis: held by gw-b" "$(rcli hget "$key" gw)" gw-b
