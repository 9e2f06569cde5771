#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One address pool for the cluster (doc/session-store.md): bench/ocload
# makes 50 libopenconnect logins at once, 25 on gateway a and 25 on gateway
# b (each ocload process at one gateway's own address), from 10 source
# addresses, all as the same user with predictable-ips: every lease search on
# both gateways starts at the same address, the hardest case for the pool.
# Every client connects, the 50 addresses are distinct across both gateways,
# and Redis holds 50 records and 50 leases, one per address.
. "$(dirname "$0")/cluster-lib.sh"

OCLOAD=$top_builddir/bench/ocload/ocload
[ -x "$OCLOAD" ] || skip "bench/ocload not built (libopenconnect-dev missing)"

N=25
cluster_setup 1
for i in $(seq 0 9); do
	in_client c1 ip addr add "10.77.0.$((100 + i))/24" dev eth0 || hard_error "address alias"
done
in_client c1 ip route add "$GW_NET.0/24" via "$SERVER_IP" || hard_error "route to the gateways"
start_redis
gw_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=120
for g in a b; do
	sed -i "s/^max-clients = .*/max-clients = $((N + 10))/" "${GW_CONF[$g]}"
done
start_gw a
start_gw b

declare -A OL_PID
t0=$(now_ms)
for g in a b; do
	first=$([ $g = a ] && echo 100 || echo 105)
	in_client c1 "$OCLOAD" --url "https://${GW_IP[$g]}:$PORT/" -n $N -u "$TEST_USER" \
		-p "$TEST_PASSWORD" --source "10.77.0.$first+5" --ramp 25 --trickle 500 --duration 20 \
		-o "$IT_WORK/ocload-$g.json" > "$IT_WORK/ocload-$g.out" 2> "$IT_WORK/ocload-$g.err" &
	OL_PID[$g]=$!
	track "${OL_PID[$g]}"
done
for g in a b; do
	wait_log "$IT_WORK/ocload-$g.out" " of $N clients in " 1 60 || fatal "ocload ($g) did not bring its clients up"
	grep '^up: ' "$IT_WORK/ocload-$g.out"
	expect_eq "gateway $g: clients up" "$(sed -n 's/^up: \([0-9]*\) of.*/\1/p' "$IT_WORK/ocload-$g.out")" "$N"
done
it_log "50 logins over both gateways up $(( $(now_ms) - t0 )) ms after the start (measured)"
expect_eq "records in Redis" "$(rcli --scan --pattern 'ocsm:s:*' | wc -l)" $((2 * N))
expect_eq "leases in Redis" "$(rcli --scan --pattern 'ocsm:ip:*' | wc -l)" $((2 * N))
expect_eq "each lease names another session" \
	"$(rcli --scan --pattern 'ocsm:ip:*' | while read -r k; do rcli get "$k"; done | sort -u | wc -l)" $((2 * N))
for g in a b; do
	expect_eq "gateway $g holds $N" "$(rcli --scan --pattern 'ocsm:s:*' | while read -r k; do rcli hget "$k" gw; done | grep -c "^gw-$g\$")" $N
done
for g in a b; do
	wait_exit "${OL_PID[$g]}" 60 || fatal "ocload ($g) did not finish"
done
python3 - "$IT_WORK/ocload-a.json" "$IT_WORK/ocload-b.json" > "$IT_WORK/check.out" <<'PY'
import json, sys
ips = [json.loads(l)["vpn_ip"] for f in sys.argv[1:] for l in open(f)]
print("clients", len(ips), "distinct", len(set(i for i in ips if i)))
PY
cat "$IT_WORK/check.out"
read -r _ total _ distinct < "$IT_WORK/check.out"
expect_eq "clients reported by ocload" "$total" $((2 * N))
expect_eq "distinct addresses across both gateways" "$distinct" $((2 * N))
