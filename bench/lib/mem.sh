#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Figure 3, memory: PSS and private dirty memory (/proc/PID/smaps_rollup) of
# every server process, summed.
#
#   mem.sh clients   1 connected CSTP client, then 20 (19 more, each in its
#                    own namespace, real openconnect with a tun); the
#                    marginal cost per client is (M20 - M1) / 19.
#   mem.sh waiting N N sessions waiting to resume: bench/lib/ocprobe.py logs
#                    in, CONNECTs and drops the connection without a goodbye,
#                    N times (8 at a time). The figure is the growth of the
#                    server's memory from a baseline taken after 10 such
#                    sessions (the code paths paged in) to 10 + N, per
#                    session. Ours keeps each waiting session's lease and tun
#                    device; ocserv 1.1.6 keeps a sec-mod entry (the cookie)
#                    and releases lease and device.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

MODE=${1:-clients}
REP=${BENCH_REP:-1}
KB_PER_MIB=1024

# measure LABEL: server_memory into MEM_<role>_PSS / _PD, logged.
declare -A MEM_PSS MEM_PD MEM_N
measure() {
	local role p d n
	MEM_PSS=() MEM_PD=() MEM_N=()
	while read -r role p d n; do
		MEM_PSS[$role]=$p
		MEM_PD[$role]=$d
		MEM_N[$role]=$n
	done < <(server_memory)
	it_log "memory $1: $(for r in "${!MEM_PSS[@]}"; do printf '%s %s kB PSS / %s kB dirty (%s proc); ' \
		"$r" "${MEM_PSS[$r]}" "${MEM_PD[$r]}" "${MEM_N[$r]}"; done)"
}

# wait_workers N TIMEOUT_S: until at most N workers run.
wait_workers() {
	local deadline
	deadline=$(deadline_after "$2")
	while [ "$(count_workers)" -gt "$1" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# waiting_lines: the server's log lines that put a session in waiting.
waiting_lines() {
	local n re
	case $OCSM_SERVER in
	modern) re='waits to resume' ;;
	ocserv) re='temporarily closing session' ;;
	esac
	n=$(grep -cF -- "$re" "$SERVER_LOG" 2> /dev/null) || n=0
	echo "$n"
}

probe() {
	in_client c1 timeout 600 python3 "$BENCH_LIB/ocprobe.py" --host "$SERVER_IP" --port "$PORT" \
		--ca "$IT_WORK/server-cert.pem" --user "$TEST_USER" --password "$TEST_PASSWORD" "$@"
}

case $MODE in
clients)
	N=20
	it_setup "$N"
	write_config DPD=30 KEEPALIVE=30
	conf_set max-clients $((N + 4))
	start_server
	meta version "$(server_version)"
	connect_client c1
	sleep 2
	measure "1 client"
	declare -A ONE_PSS ONE_PD
	for r in "${!MEM_PSS[@]}"; do ONE_PSS[$r]=${MEM_PSS[$r]}; ONE_PD[$r]=${MEM_PD[$r]}; done
	for i in $(seq 2 "$N"); do get_cookie "c$i"; done
	for i in $(seq 2 "$N"); do start_client "c$i"; done
	for i in $(seq 2 "$N"); do wait_connected "c$i" 30; done
	sleep 2
	[ "$(count_workers)" = "$N" ] || it_log "warning: $(count_workers) workers for $N clients"
	measure "$N clients"
	result mem.1.pss "$(calc "${ONE_PSS[total]} / $KB_PER_MIB")" MiB "$REP" \
		"$(for r in main sec-mod worker other; do [ -n "${ONE_PSS[$r]:-}" ] && printf '%s %s kB ' "$r" "${ONE_PSS[$r]}"; done)"
	result mem.1.private_dirty "$(calc "${ONE_PD[total]} / $KB_PER_MIB")" MiB "$REP"
	result mem.20.pss "$(calc "${MEM_PSS[total]} / $KB_PER_MIB")" MiB "$REP" \
		"$(for r in main sec-mod worker other; do [ -n "${MEM_PSS[$r]:-}" ] && printf '%s %s kB ' "$r" "${MEM_PSS[$r]}"; done)"
	result mem.20.private_dirty "$(calc "${MEM_PD[total]} / $KB_PER_MIB")" MiB "$REP"
	result mem.marginal.pss "$(calc "(${MEM_PSS[total]} - ${ONE_PSS[total]}) / ($N - 1) / $KB_PER_MIB")" \
		MiB "$REP" "(M$N - M1) / $((N - 1))"
	result mem.marginal.private_dirty "$(calc "(${MEM_PD[total]} - ${ONE_PD[total]}) / ($N - 1) / $KB_PER_MIB")" \
		MiB "$REP" "(M$N - M1) / $((N - 1))"
	;;
waiting)
	N=${2:-1000}
	BASE=10
	it_setup 1
	# Room for every session: a /21 pool, no client limit, cookies that
	# outlive the run.
	# shellcheck disable=SC2034 # read by lib.sh (write_config, clients)
	VPN_NET=192.168.72.0 VPN_MASK=255.255.248.0 VPN_PREFIX=21
	write_config DPD=30 KEEPALIVE=30 COOKIE_TIMEOUT=1800
	conf_set max-clients 0
	start_server
	meta version "$(server_version)"
	meta mem.waiting.nofile "$(awk '/Max open files/ { print $4 }' "/proc/$SERVER_PID/limits")"
	out=$(probe sessions "$BASE") || it_log "baseline sessions: $out"
	wait_workers 0 30 || it_log "warning: workers still running after the baseline"
	sleep 1
	base_lines=$(waiting_lines)
	measure "$base_lines waiting (baseline)"
	declare -A B_PSS B_PD
	for r in "${!MEM_PSS[@]}"; do B_PSS[$r]=${MEM_PSS[$r]}; B_PD[$r]=${MEM_PD[$r]}; done

	t0=$(now_ms)
	out=$(probe sessions "$N")
	it_log "ocprobe: $out"
	wait_workers 0 60 || it_log "warning: $(count_workers) workers still running"
	sleep 2
	lines=$(waiting_lines)
	ok=$(sed -nE 's/.*"ok": ([0-9]+).*/\1/p' <<< "$out")
	failed=$(sed -nE 's/.*"failed": ([0-9]+).*/\1/p' <<< "$out")
	if ! alive "$SERVER_PID"; then
		na mem.waiting.pss "failed: the server died while $N sessions were created ($ok created)"
		exit 0
	fi
	measure "$lines waiting"
	made=$((lines - base_lines))
	meta mem.waiting.created "$made of $N in $(fmt_ms $(( $(now_ms) - t0 ))) s (client: ${ok:-?} ok, ${failed:-?} failed)"
	if [ "$made" -lt 1 ]; then
		na mem.waiting.pss "failed: no session went waiting ($out)"
		exit 0
	fi
	note="$made of $N sessions waiting"
	[ "$made" -lt "$N" ] && note="$note (ONLY $made: $(sed -nE 's/.*"errors": (\{[^}]*\}).*/\1/p' <<< "$out"))"
	result mem.waiting.pss "$(calc "(${MEM_PSS[total]} - ${B_PSS[total]}) / $made")" KiB "$REP" "$note"
	result mem.waiting.private_dirty "$(calc "(${MEM_PD[total]} - ${B_PD[total]}) / $made")" KiB "$REP" "$note"
	result mem.waiting.total_pss "$(calc "${MEM_PSS[total]} / $KB_PER_MIB")" MiB "$REP" \
		"$(for r in main sec-mod worker other; do [ -n "${MEM_PSS[$r]:-}" ] && printf '%s %s kB ' "$r" "${MEM_PSS[$r]}"; done)"
	;;
*)
	hard_error "usage: mem.sh clients | waiting N"
	;;
esac
