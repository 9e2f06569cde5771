#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A gateway of a cluster dies and its client goes on on another one
# (doc/cluster.md): redis-server (no persistence, its own namespace and
# port, the ACL of doc/cluster.md), gateways A (g1) and B (g2) with
# different gateway-id and the same session-store = redis://..., and the
# front of tests/integration/front-lib.sh: haproxy (send-proxy-v2, A first,
# B when A is down) and the nftables DNAT of UDP to A.
#  1. the real openconnect client logs in through the front, on A, with DTLS;
#  2. every process of A is stopped, then killed with SIGKILL (main first), by
#     PID; then the test moves the UDP front to B (what a failover script of
#     the front does);
#  3. the same openconnect process reconnects through haproxy (which sends it
#     to B at once: A refuses, option redispatch) within 10 s of its first
#     reconnect attempt: one more "CSTP connected.", the same address, no new
#     login (its log and B's); ping works;
#  4. DTLS comes up on B behind the UDP front (the client's log; occtl-modern
#     on B shows the tunnel on cstp+dtls with the client's address), at once
#     or, when the client's first handshake went to dead A before the front
#     moved, at openconnect's next DTLS attempt 60 s later.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/front-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "the cluster store is ocserv-modern's"
occtl_preconditions
it_setup 1
front_setup 2
start_redis
STORE_URL="redis://$REDIS_IP:$REDIS_PORT/0"
for g in g1 g2; do
	gw_config "$g" DPD=10 KEEPALIVE=20 COOKIE_TIMEOUT=60 SESSION_STORE="$STORE_URL" -- \
		"gateway-id = gw-$g" "session-store-auth-file = $IT_WORK/redis.auth"
done
start_gateway g1
start_gateway g2
start_haproxy check inter 1s fall 2 rise 2 -- g1 g2
front_udp_to g1

logins_on() { log_count "${GW_LOG[$1]}" ') authenticated from '; }
posts() { log_count "${CLI_LOG[c1]}" 'POST https://'; }

# --- 1
start_client_password c1 --dtls
wait_connected c1 30
wait_log "${CLI_LOG[c1]}" 'Established DTLS connection' 1 15 ||
	fatal "c1: no DTLS on A within 15 s"
ip1=${CLI_VPNIP[c1]}
posts1=$(posts)
ping_ok c1 3
verdict "1. c1 on A through the front, DTLS up, ping" $? "$PING_RESULT"
expect_eq "1. A logged c1 in" "$(logins_on g1)" 1
n=$(redis_cli --scan --pattern 'ocsm:s:*' | wc -l)
expect_eq "1. the session is in Redis" "$n" 1

# --- 2
pids=$(ip netns pids "${GW_NS[g1]}" | tr '\n' ' ')
n=$(echo "$pids" | wc -w)
ok=1; [ "$n" -ge 3 ] && ok=0
verdict "2. A's processes: main, sec-mod, the worker" $ok "pids $pids"
# All at once as far as the client can tell: every process of A is stopped
# first, then main is killed (its listener goes, so a reconnect cannot reach
# a half-dead A), then the others. Then the UDP front moves to B, as a
# failover script of the front would once it saw A dead: the client's
# reconnect may come before that.
# shellcheck disable=SC2086
kill -STOP $pids
t_kill=$(now_ms)
kill -KILL "${GW_PID[g1]}"
while kill -0 "${GW_PID[g1]}" 2> /dev/null; do sleep 0.02; done
# shellcheck disable=SC2086
kill -KILL $pids 2> /dev/null
for p in $pids; do
	# gone, or a zombie nobody reaped yet
	while kill -0 "$p" 2> /dev/null && [ "$(ps -o stat= -p "$p" | cut -c 1)" != Z ]; do
		sleep 0.02
	done
done
front_udp_to g2
t_udp=$(now_ms)

# --- 3
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40 ||
	fatal "c1: no second 'CSTP connected.' within 40 s of the kill"
t_up=$(line_ms "$WAIT_LINE")
first=$(awk -v a="$(ms_stamp "$t_kill")" 'substr($0, 1, 23) > a && /SSL negotiation with/ { print; exit }' \
	"${CLI_LOG[c1]}")
t_try=$(line_ms "$first") || t_try=$t_kill
it_log "kill at $(ms_stamp "$t_kill"), UDP front on B at $(ms_stamp "$t_udp"), first reconnect attempt: ${first:0:80}"
expect_range "3. c1 connected to B after its first reconnect attempt" $((t_up - t_try)) "" 10000
log_has "$HAPROXY_LOG" "10\.77\.0\.2:[0-9]+ .* gateways/g2 " "3. haproxy sent the reconnect to B"
log_has "${GW_LOG[g2]}" "resume session [0-9a-f]+ .*peer $ip1," \
	"3. B resumed the session with the same address $ip1"
expect_eq "3. no new login request from the client" "$(posts)" "$posts1"
expect_eq "3. no login on B" "$(logins_on g2)" 0
ip2=$(sed -n 's/^INTERNAL_IP4_ADDRESS=//p' "${CLI_ENV[c1]}")
expect_eq "3. the client's tun keeps its address" "$ip2" "$ip1"
ping_ok c1 3
verdict "3. ping through the tunnel on B" $? "$PING_RESULT"

# --- 4
# If the reconnect's DTLS handshake came before the UDP front moved, it went
# to dead A and openconnect tries DTLS again 60 s later: 75 s covers that.
if wait_log "${CLI_LOG[c1]}" 'Established DTLS connection' 2 75; then
	verdict "4. DTLS established again, on B" 0 "$(fmt_ms $((WAIT_MS - t_up))) s after the reconnect"
else
	verdict "4. DTLS established again, on B" 1 "not within 75 s"
fi
occtl_b() { timeout 20 "$OCCTL_BIN" -s "${GW_OCCTL[g2]}" "$@"; }
occtl_b -j show users > "$IT_WORK/b-users.json" 2>&1
OCCTL_OUT=$IT_WORK/b-users.json
expect_eq "4. occtl on B: the client's address" "$(jget '[u["Remote IP"] for u in d]')" '["10.77.0.2"]'
id=$(jget 'd[0]["ID"]')
occtl_b -j show id "$id" > "$IT_WORK/b-id.json" 2>&1
OCCTL_OUT=$IT_WORK/b-id.json
expect_eq "4. occtl on B: the tunnel's data path" "$(jget 'd[0]["Data path"]')" cstp+dtls
peer=$(jget 'd[0].get("DTLS peer", "")')
ok=1; [[ $peer == 10.77.0.2:* ]] && ok=0
verdict "4. occtl on B: the DTLS peer is the client's address" $ok "$peer"
alive "${GW_PID[g2]}"
verdict "B still running" $?
