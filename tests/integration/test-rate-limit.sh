#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rx-data-per-sec / tx-data-per-sec (doc/config-reference.md) from a
# per-user file: the global configuration limits nothing, the test user's
# file says rx-data-per-sec = 125000 (1 Mbit/s from the client) and
# tx-data-per-sec = 250000 (2 Mbit/s to it). iperf3 runs TCP through the
# tunnel of the real client to an iperf3 server in the gateway's namespace,
# first client -> gateway, then (-R) gateway -> client, each for 13 s. The
# rate the receiver saw over the 13 s must be the limit +-15 %: the limits are
# far below what the machine moves through a tunnel (tens of Mbit/s at least),
# so the figure depends on the worker's bucket, not on the machine. The bucket
# counts whole IP packets (TCP payload is about 4 % less) and starts full
# (half a second of traffic: at most 4 % more over 13 s); TCP's losses at
# the limit cost some more (measured here: 94-100 % of the limit).
# A second tunnel of the same user runs over DTLS (openconnect with DTLS up):
# client -> gateway through it is held to the same limit.
# occtl-modern shows the packets dropped over each limit.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

RX=125000
TX=250000
occtl_preconditions
need_cmd iperf3
it_setup 2
dtls_config DPD=30 KEEPALIVE=30
mkdir -p "$IT_WORK/users" || hard_error "mkdir"
printf 'rx-data-per-sec = %s\ntx-data-per-sec = %s\n' "$RX" "$TX" > "$IT_WORK/users/$TEST_USER"
printf 'config-per-user = %s/users\n' "$IT_WORK" >> "$CONFIG"

spawn_logged "$IT_WORK/iperf3-server.log" /dev/null ip netns exec "$NS_S" iperf3 -s -p 5201 --forceflush
wait_log "$IT_WORK/iperf3-server.log" 'Server listening' 1 5 || hard_error "iperf3 -s did not start"
start_server
connect_client c1

# measure CLIENT NAME [-R]: iperf3 through CLIENT's tunnel; prints the
# receiver's rate in bytes per second and the seconds measured.
measure() {
	local cli=$1 name=$2
	shift 2
	in_client "$cli" timeout 40 iperf3 -c "$SERVER_VPN_IP" -p 5201 -t 13 -J "$@" \
		> "$IT_WORK/$name.json" 2> "$IT_WORK/$name.err" || fatal "iperf3 $name failed: $(cat "$IT_WORK/$name.err")"
	python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]["sum_received"]
print("%d %.1f" % (e["bits_per_second"] / 8, e["seconds"]))' "$IT_WORK/$name.json"
}

# within NAME RATE LIMIT: RATE (bytes/s) within LIMIT +-15 %
within() {
	local lo=$(($3 * 85 / 100)) hi=$(($3 * 115 / 100))
	[ "$2" -ge "$lo" ] && [ "$2" -le "$hi" ]
	verdict "$1: $2 B/s for a limit of $3 B/s (bounds $lo..$hi)" $?
}

read -r rate secs <<< "$(measure c1 up)"
it_log "client -> gateway: $rate B/s over $secs s"
within "client -> gateway (rx-data-per-sec)" "$rate" "$RX"
read -r rate secs <<< "$(measure c1 down -R)"
it_log "gateway -> client: $rate B/s over $secs s"
within "gateway -> client (tx-data-per-sec)" "$rate" "$TX"

occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl -j show id "$id" || fatal "show id failed"
rxd=$(jget 'd[0].get("RX rate-limited packets", -1)')
txd=$(jget 'd[0].get("TX rate-limited packets", -1)')
[ "$rxd" -gt 0 ] && [ "$txd" -gt 0 ]
verdict "occtl-modern: packets dropped over each limit counted" $? "rx $rxd, tx $txd"
ping_ok c1 3
verdict "the tunnel still carries traffic" $? "$PING_RESULT"

connect_dtls_client c2
read -r rate secs <<< "$(measure c2 dtls-up)"
it_log "client -> gateway over DTLS: $rate B/s over $secs s"
within "client -> gateway over DTLS (rx-data-per-sec)" "$rate" "$RX"
occtl_json show users || fatal "show users failed"
paths=
for id in $(jget '" ".join(str(u["ID"]) for u in d)'); do
	occtl -j show id "$id" && paths="$paths $(jget 'd[0]["Data path"]')"
done
case $paths in *cstp+dtls*) r=0 ;; *) r=1 ;; esac
verdict "the second tunnel's data path is DTLS" $r "data paths:$paths"
