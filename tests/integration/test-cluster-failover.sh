#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two gateways share their sessions and addresses in Redis
# (doc/session-store.md, "A cluster of gateways"); the client's server
# address is a VIP that nftables DNATs to one gateway.
#  1. openconnect logs in on gateway a (through the VIP): its record is in
#     Redis keyed by the cookie's hash, held by gw-a, with its address leased
#     there; the cookie itself is nowhere in Redis;
#  2. the VIP moves to gateway b and every process of gateway a is killed
#     (SIGKILL, by PID): the same openconnect process reconnects by itself to
#     b, with the same address and no new login, and pings through b; b's log
#     says it took the session from gw-a; Redis now names gw-b;
#  3. the client logs out on b: the record and its address leave Redis;
#  0. first of all, a session-store-auth-file readable by everyone is refused:
#     the gateway does not start, and says why.
. "$(dirname "$0")/cluster-lib.sh"

cluster_setup 1
start_redis
gw_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120

# --- 0
printf 'ocsm secret\n' > "$IT_WORK/redis-auth"
chmod 644 "$IT_WORK/redis-auth"
cp "${GW_CONF[a]}" "$IT_WORK/gw-a-open.conf"
echo "session-store-auth-file = $IT_WORK/redis-auth" >> "$IT_WORK/gw-a-open.conf"
spawn_logged "$IT_WORK/gw-a-open.log" /dev/null ip netns exec "${GW_NS[a]}" env \
	OCSERV_MODERN_WORKER="${OCSERV_MODERN_WORKER:-}" "$SERVER_BIN" -f -c "$IT_WORK/gw-a-open.conf"
if wait_exit "$SPAWN_PID" 10; then
	ok=1; [ "$EXIT_RC" != 0 ] && ok=0
	verdict "0. a gateway with a world-readable auth file does not start" $ok "exit $EXIT_RC"
else
	verdict "0. a gateway with a world-readable auth file does not start" 1 "still running"
fi
grep -q "session-store-auth-file $IT_WORK/redis-auth is readable by everyone" "$IT_WORK/gw-a-open.log"
verdict "0. and says why" $? "$(grep -m1 'readable by everyone' "$IT_WORK/gw-a-open.log" | cut -c 25-)"

start_gw a
start_gw b

# --- 1
get_cookie c1
start_client c1
wait_connected c1
ping_ok c1 2
verdict "1. c1 connected through gateway a and pings" $? "$PING_RESULT"
ip1=${CLI_VPNIP[c1]}
posts=$(log_count "${CLI_LOG[c1]}" 'POST https://')
key=$(rcli --scan --pattern 'ocsm:s:*' | head -n 1)
expect_eq "1. one session record in Redis" "$(rcli --scan --pattern 'ocsm:s:*' | wc -l)" 1
expect_eq "1. held by gw-a" "$(rcli hget "$key" gw)" gw-a
expect_eq "1. with c1's address" "$(rcli hget "$key" ipv4)" "$ip1"
expect_eq "1. the address is leased to it" "$(rcli get "ocsm:ip:$ip1")" "${key#ocsm:s:}"
cookie=$(printf '%s' "${CLI_COOKIE[c1]}" | sed 's/.*webvpn=//; s/;.*//')
expect_eq "1. the key is the cookie's SHA-256" "${key#ocsm:s:}" \
	"$(printf '%s' "$cookie" | sha256sum | cut -d' ' -f1)"
n=$(rcli --scan | while read -r k; do rcli dump "$k"; done | grep -ac -- "$cookie")
expect_eq "1. the cookie is nowhere in Redis" "$n" 0
ttl=$(rcli pttl "$key")
ok=1; [ "$ttl" -gt 0 ] && ok=0
verdict "1. the record expires by itself (absolute deadline)" $ok "pttl $ttl ms"

# --- 2
nconn=$(log_count "${CLI_LOG[c1]}" 'CSTP connected.')
vip_to b
t_kill=$(now_ms)
kill_gw a
if wait_log "${CLI_LOG[c1]}" 'CSTP connected.' $((nconn + 1)) 45; then
	it_log "c1 reconnected through gateway b $((WAIT_MS - t_kill)) ms after the kill (measured, not asserted)"
	verdict "2. c1 reconnected by itself" 0
else
	fatal "2. c1 did not reconnect within 45 s"
fi
wait_connected c1
expect_eq "2. the same address" "${CLI_VPNIP[c1]}" "$ip1"
expect_eq "2. no new login request" "$(log_count "${CLI_LOG[c1]}" 'POST https://')" "$posts"
expect_eq "2. no login on gateway b" "$(gw_count b 'authenticated from')" 0
expect_eq "2. b took the session from gw-a" "$(gw_count b 'taken from gateway gw-a')" 1
ping_ok c1 3
verdict "2. ping through gateway b" $? "$PING_RESULT"
expect_eq "2. Redis: held by gw-b" "$(rcli hget "$key" gw)" gw-b
expect_eq "2. Redis: the same lease" "$(rcli get "ocsm:ip:$ip1")" "${key#ocsm:s:}"

# --- 3
kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "openconnect did not exit on SIGINT"
deadline=$(deadline_after 5)
while [ "$(rcli exists "$key")" != 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
expect_eq "3. the record left Redis at the logout" "$(rcli exists "$key")" 0
expect_eq "3. and its address" "$(rcli exists "ocsm:ip:$ip1")" 0
