#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Figure 4, throughput and CPU: iperf3 TCP through the tunnel of one real
# openconnect client, SECONDS seconds per run, both directions:
#   up    client -> server (iperf3 -c in the client namespace)
#   down  server -> client (iperf3 -c ... -R)
#
#   tput.sh cstp   client with --no-dtls: every packet rides TLS over TCP
#   tput.sh dtls   server offers DTLS; if the client does not establish it,
#                  the figures are "n/a yet" for this server
#
# Per run: Mbit/s as the receiver counted it (iperf3 -J, sum_received), and
# the CPU time (utime + stime, /proc/PID/stat) of every server process over
# the run, per GB (10^9 bytes) received. The iperf3 server runs in the
# server namespace and is not a server process.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

TRANSPORT=${1:-cstp}
case $TRANSPORT in cstp | dtls) ;; *) hard_error "usage: tput.sh cstp|dtls" ;; esac
SECONDS_RUN=10
if quick; then REPS=1; else REPS=3; fi
P=tput.$TRANSPORT

need_cmd iperf3 python3
it_setup 1
write_config DPD=30 KEEPALIVE=30
[ "$TRANSPORT" = dtls ] && conf_dtls
start_server
meta version "$(server_version)"
bench_client c1 "$TRANSPORT"
wait_connected c1 30
if [ "$TRANSPORT" = dtls ] && ! wait_dtls c1 8; then
	for d in up down; do
		why="n/a yet: no DTLS (the client established none with this server within 8 s)"
		na "$P.$d.mbps" "$why"
		na "$P.$d.cpu_per_gb" "$why"
	done
	exit 0
fi
meta "$P.tun_mtu" "$(sed -n 's/^INTERNAL_IP4_MTU=//p' "${CLI_ENV[c1]}")"

spawn_logged "$IT_WORK/iperf3-server.log" /dev/null ip netns exec "$NS_S" iperf3 -s -p 5201
deadline=$(deadline_after 10)
until [ -n "$(in_server ss -Hltn 'sport = :5201' 2> /dev/null)" ]; do
	[ "$(now_ms)" -lt "$deadline" ] || hard_error "iperf3 server not listening"
	sleep 0.05
done
sleep 1

for rep in $(seq 1 "$REPS"); do
	for d in up down; do
		rev=
		[ "$d" = down ] && rev=-R
		js=$IT_WORK/iperf-$d-$rep.json
		c0=$(server_cpu_ticks)
		# shellcheck disable=SC2086
		in_client c1 timeout $((SECONDS_RUN + 30)) iperf3 -c "$SERVER_VPN_IP" -p 5201 \
			-t "$SECONDS_RUN" -J $rev > "$js" 2> "$js.err"
		rc=$?
		c1=$(server_cpu_ticks)
		read -r bytes bps err < <(python3 - "$js" <<-'EOF'
			import json, sys
			try:
			    j = json.load(open(sys.argv[1]))
			    r = j["end"]["sum_received"]
			    print(int(r["bytes"]), float(r["bits_per_second"]), "-")
			except Exception as e:
			    print(0, 0, repr(e)[:80].replace(" ", "_"))
		EOF
		)
		if [ "$rc" != 0 ] || [ "${bytes:-0}" = 0 ]; then
			na "$P.$d.mbps" "failed: iperf3 exit $rc, $(head -c 200 "$js.err") $err"
			continue
		fi
		cpu_s=$(calc "($c1 - $c0) / $CLK_TCK")
		result "$P.$d.mbps" "$(calc "$bps / 1000000")" Mbit/s "$rep" \
			"$bytes B in ${SECONDS_RUN} s"
		result "$P.$d.cpu_per_gb" "$(calc "$cpu_s / ($bytes / 1000000000)")" "CPU s/GB" "$rep" \
			"$cpu_s CPU s of the server's processes"
		cp "$js" "$BENCH_LOGDIR/iperf-$TRANSPORT-$d-$rep-$OCSM_SERVER.json" 2> /dev/null || true
	done
done
