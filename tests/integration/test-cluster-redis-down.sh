#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Redis unreachable under a cluster of two gateways (doc/session-store.md,
# "Redis down, partitioned or restarted"):
#  1. c1 has a tunnel through gateway a;
#  2. redis-server stopped (SIGSTOP: the TCP connection stays open, nothing
#     answers) for 10 s: gateway a notices within a few seconds (measured),
#     c1's tunnel goes on (every background ping answered), a new login gets
#     503 with a log line saying why;
#  3. SIGCONT: gateway a is connected again, writes its session again, and a
#     new login works;
#  4. redis-server killed and started again empty (no persistence): gateway a
#     writes c1's session and its address back into the new Redis.
. "$(dirname "$0")/cluster-lib.sh"

cluster_setup 2
start_redis
gw_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120
start_gw a
start_gw b

# --- 1
connect_client c1
ip1=${CLI_VPNIP[c1]}
bg_ping_start c1
key=$(rcli --scan --pattern 'ocsm:s:*' | head -n 1)
[ -n "$key" ] || fatal "no record in Redis"

# --- 2
nconn=$(gw_count a 'session store .*: connected')
t_stop=$(now_ms)
kill -STOP "$REDIS_PID"
it_log "redis-server stopped (SIGSTOP)"
if wait_log -E "${GW_LOG[a]}" 'session store .*: no answer for 3 s' 1 10; then
	it_log "gateway a noticed $((WAIT_MS - t_stop)) ms after the stop (measured, not asserted)"
	verdict "2. gateway a noticed the silent Redis" 0
else
	verdict "2. gateway a noticed the silent Redis" 1 "no log line within 10 s"
fi
authenticate c2
rc=$?
ok=1; [ $rc != 0 ] && grep -q '503' "$AUTH_LOG" && ok=0
verdict "2. a login during the outage is refused with 503" $ok "openconnect exit $rc"
expect_eq "2. gateway a logged why" \
	"$(gw_count a "refused \(503\): the session store \(Redis\) is unreachable")" 1
while [ $(( $(now_ms) - t_stop )) -lt 10000 ]; do sleep 0.1; done
kill -CONT "$REDIS_PID"
t_cont=$(now_ms)
it_log "redis-server continued (SIGCONT) after $((t_cont - t_stop)) ms"

# --- 3
if wait_log -E "${GW_LOG[a]}" 'session store .*: connected' $((nconn + 1)) 10; then
	it_log "gateway a connected again $((WAIT_MS - t_cont)) ms after SIGCONT (measured)"
	verdict "3. gateway a connected again" 0
else
	verdict "3. gateway a connected again" 1 "not within 10 s"
fi
bg_ping_stop c1
ok=1; [ "$BG_TX" -ge 40 ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "2. c1's tunnel kept pinging through the outage" $ok "$BG_RX/$BG_TX answered over $BG_SPAN_MS ms"
ok=1; [ "$(gw_count a 'sessions? of this gateway \(gw-a\) written again')" -ge 2 ] && ok=0
verdict "3. gateway a wrote its session again" $ok
authenticate c2
verdict "3. a new login works again" $? "$(tail -n 1 "$AUTH_LOG")"

# --- 4
kill -KILL "$REDIS_PID"
wait_exit "$REDIS_PID" 5
start_redis
expect_eq "4. the new Redis starts empty of this session" "$(rcli exists "$key")" 0
deadline=$(deadline_after 10)
while [ "$(rcli exists "$key")" = 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
expect_eq "4. gateway a wrote c1's session back" "$(rcli hget "$key" gw)" gw-a
expect_eq "4. and its address" "$(rcli get "ocsm:ip:$ip1")" "${key#ocsm:s:}"
ping_ok c1 3
verdict "4. c1 still pings" $? "$PING_RESULT"
