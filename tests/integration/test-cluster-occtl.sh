#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# occtl-modern over a cluster (doc/session-store.md): c1 has a tunnel
# through gateway a, c2 through gateway b. On either gateway, `show sessions`
# lists both sessions with the gateway that holds each (a gateway column;
# "Gateway" in --json), and `show session ID` shows the other gateway's
# session with its Gateway field; `terminate session ID` on a ends the session
# b holds (b is told through Redis; its client is told by b), `terminate user`
# on a ends the user's sessions on a and on b, and, once b is
# killed, deletes b's other session from Redis itself; `stop now` on a
# removes a's records from Redis before a is gone.
. "$(dirname "$0")/cluster-lib.sh"

OCCTL_BIN=$top_builddir/src/occtl/occtl-modern
[ -x "$OCCTL_BIN" ] || hard_error "$OCCTL_BIN not built"

cluster_setup 2
start_redis
gw_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120
start_gw a
start_gw b

connect_client c1
vip_to b
connect_client c2

# gw_occtl NAME ARGS...: occtl-modern on gateway NAME's socket, output in OUT.
gw_occtl() {
	local g=$1
	shift
	OUT=$IT_WORK/occtl-$g-$RANDOM.out
	timeout 20 "$OCCTL_BIN" -s "$IT_WORK/occtl-$g.sock" "$@" > "$OUT" 2>&1 < /dev/null
}

for g in a b; do
	gw_occtl $g show sessions
	verdict "$g: show sessions runs" $? "$(tr '\n' '|' < "$OUT")"
	n=$(grep -cE 'active .* gw-a$' "$OUT")
	m=$(grep -cE 'active .* gw-b$' "$OUT")
	ok=1; [ "$n" = 1 ] && [ "$m" = 1 ] && ok=0
	verdict "$g: both sessions listed with their gateway" $ok "gw-a: $n, gw-b: $m"
	gw_occtl $g --json show sessions
	python3 - "$OUT" "${CLI_VPNIP[c1]}" "${CLI_VPNIP[c2]}" > "$IT_WORK/json-$g.out" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
got = sorted((r.get("Gateway"), r.get("IPv4")) for r in rows)
print("ok" if got == [("gw-a", sys.argv[2]), ("gw-b", sys.argv[3])] else "bad %r" % (got,))
PY
	expect_eq "$g: --json lists each session's Gateway and address" "$(cat "$IT_WORK/json-$g.out")" ok
done
sid2=$(rcli --scan --pattern 'ocsm:s:*' | while read -r k; do
	[ "$(rcli hget "$k" gw)" = gw-b ] && rcli hget "$k" sid; done)
gw_occtl a show session "${sid2:0:6}"
grep -qE 'Gateway: gw-b' "$OUT"
verdict "a: show session of b's session names gw-b" $? "$(grep -E 'Gateway|State' "$OUT" | tr '\n' '|')"

# terminate on a, of the session b holds: b is told, ends it, c2 is told
# by the server, and the record leaves Redis
key2=$(rcli --scan --pattern "ocsm:s:$sid2*" | head -n 1)
gw_occtl a terminate session "${sid2:0:6}"
verdict "a: terminate of b's session accepted" $? "$(tr '\n' '|' < "$OUT")"
if wait_log -E "${GW_LOG[b]}" "session ${sid2:0:6} of user .* terminated by occtl-modern on gateway gw-a" 1 5; then
	verdict "b ended it" 0 "$(cut -c 25- <<< "$WAIT_LINE")"
else
	verdict "b ended it" 1 "no log line within 5 s"
fi
if wait_exit "${CLI_PID[c2]}" 10; then
	grep -qE 'Received server disconnect|Session terminated by server|received server terminate' "${CLI_LOG[c2]}"
	verdict "c2 was told by the server and exited" $? "exit $EXIT_RC"
else
	verdict "c2 was told by the server and exited" 1 "still running"
fi
deadline=$(deadline_after 5)
while [ "$(rcli exists "$key2")" != 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
expect_eq "its record left Redis" "$(rcli exists "$key2")" 0

# terminate user on a: the user's sessions on both gateways end
CLI_COOKIE[c2]=
connect_client c2
gw_occtl a terminate user "$TEST_USER"
grep -q "2 sessions of user '$TEST_USER' terminated" "$OUT"
verdict "a: terminate user ends the user's session here and on b" $? "$(tr '\n' '|' < "$OUT")"
for c in c1 c2; do
	wait_exit "${CLI_PID[$c]}" 10
	verdict "$c was told and exited" $? "exit ${EXIT_RC:-}"
done
deadline=$(deadline_after 5)
while [ "$(rcli --scan --pattern 'ocsm:s:*' | wc -l)" != 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do
	sleep 0.05
done
expect_eq "no record left in Redis" "$(rcli --scan --pattern 'ocsm:s:*' | wc -l)" 0

# a session of a gateway that is gone (b killed): terminate on a deletes its
# record and address from Redis itself, nobody being there to hear
CLI_COOKIE[c2]=
connect_client c2
sid3=$(rcli --scan --pattern 'ocsm:s:*' | while read -r k; do
	[ "$(rcli hget "$k" gw)" = gw-b ] && rcli hget "$k" sid; done)
key3=$(rcli --scan --pattern "ocsm:s:$sid3*" | head -n 1)
ip3=$(rcli hget "$key3" ipv4)
kill_gw b
gw_occtl a terminate session "${sid3:0:6}"
verdict "a: terminate of dead b's session accepted" $? "$(tr '\n' '|' < "$OUT")"
deadline=$(deadline_after 5)
while [ "$(rcli exists "$key3")" != 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
expect_eq "a deleted the record of the gone gateway's session" "$(rcli exists "$key3")" 0
expect_eq "and its address" "$(rcli exists "ocsm:ip:$ip3")" 0
expect_eq "a logged it" "$(gw_count a "session ${sid3:0:6}.* of gateway gw-b, which is not listening, deleted")" 1

# stop now on a: its sessions end, and their records leave Redis before
# the gateway is gone
vip_to a
CLI_COOKIE[c1]=
connect_client c1
key1=$(rcli --scan --pattern 'ocsm:s:*' | while read -r k; do
	[ "$(rcli hget "$k" gw)" = gw-a ] && echo "$k"; done)
[ -n "$key1" ] || fatal "no record of gw-a before stop now"
gw_occtl a stop now
wait_exit "${GW_PID[a]}" 15 || fatal "gateway a still running 15 s after stop now"
expect_eq "stop now: gw-a's record left Redis with it" "$(rcli exists "$key1")" 0
