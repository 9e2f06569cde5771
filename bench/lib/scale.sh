#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One scale run of one server (OCSM_SERVER=modern or ocserv) with N tunnels:
# bench/ocload runs N libopenconnect clients in one client namespace, one
# source address each (aliases 10.78.x.y, routed to the client namespace),
# and this script measures the server while ocload's fixed timeline runs:
#
#   t = 0 (all up)        memory at N tunnels (idle server measured before)
#   IDLE_AT .. +IDLE_S    idle window: CPU (utime+stime) and voluntary context
#                         switches of every server process, no traffic but
#                         DPD and keepalives (ocload --trickle 0)
#   then                  occtl show users, OCCTL_REPS times, timed
#   FREEZE_AT             1 % of the clients frozen: the server's DPD ends them
#   CUT_AT .. +CUT_FOR    every other client cut silently, then restored:
#                         the resume storm
#   DURATION              ocload ends, writes one JSON line per client
#
#   scale.sh N [IDLE_S]
#
# Figures go to $BENCH_RESULTS (common.sh result/na/meta); the analysis of
# ocload's JSON and the server log is bench/lib/scale.py analyze.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

N=${1:?usage: scale.sh N [IDLE_S]}
IDLE_S=${2:-60}
RAMP=${SCALE_RAMP:-50}
D=5
KEEPALIVE=30
IDLE_AT=5
OCCTL_REPS=5
FREEZE_AT=$((IDLE_AT + IDLE_S + 15))
# ocserv checks DPD every 30-40 s from the tunnel's start plus its 10 s
# timer: 3D + 55 s covers it (bench/lib/dpd.sh); ours ends at 3D.
CUT_AT=$((FREEZE_AT + 3 * D + 55))
CUT_FOR=30
DURATION=$((CUT_AT + CUT_FOR + 60))
OCLOAD=${top_builddir:?}/bench/ocload/ocload
P=scale.$N

[ -x "$OCLOAD" ] || hard_error "$OCLOAD is not built (libopenconnect-dev missing?)"
need_cmd nft python3
ulimit -n "$(ulimit -Hn)" 2> /dev/null

it_setup 1
# One source address per client (ocload's --cut needs that), routed to the
# client namespace through its one address, so the server keeps one
# neighbour entry whatever N is.
python3 - "$N" > "$IT_WORK/alias.batch" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    n = 1 + i
    print(f"address add 10.78.{n >> 8}.{n & 255}/32 dev eth0")
PY
in_client c1 ip -batch "$IT_WORK/alias.batch" || hard_error "address aliases"
in_server ip route add 10.78.0.0/16 via "${CLI_IP[c1]}" || hard_error "route to the aliases"

# A /16 pool, room for every client and for the resumes.
# shellcheck disable=SC2034 # read by lib.sh (write_config)
VPN_NET=192.168.0.0 VPN_MASK=255.255.0.0 VPN_PREFIX=16
write_config DPD=$D KEEPALIVE=$KEEPALIVE COOKIE_TIMEOUT=600
conf_set max-clients $((N + N / 10 + 16))
# ocserv 1.1.6 has no such limit (it would warn about the option).
[ "$OCSM_SERVER" = modern ] && conf_set max-unauth $((RAMP * 10 + 64))
start_server
meta version "$(server_version)"
meta "$P.nofile" "$(awk '/Max open files/ { print $4 }' "/proc/$SERVER_PID/limits")"

# snap FILE [--smaps]: every server process's counters, read in one pass
# (bench/lib/procsnap.py): with thousands of workers, a fork per process
# would take minutes and blur the window measured.
snap() { python3 "$BENCH_LIB/procsnap.py" snap "$NS_S" "$SERVER_PID" "${@:2}" > "$1"; }
# memory_total: PSS (kB) of every server process, summed.
memory_total() {
	snap "$IT_WORK/mem.json" --smaps
	python3 "$BENCH_LIB/procsnap.py" memory "$IT_WORK/mem.json" | awk '$1 == "total" { print $2 }'
}

sleep 1
pss_idle=$(memory_total)
result "$P.pss_idle" "$(calc "$pss_idle / 1024")" MiB 1 "server with no client"

# libopenconnect 9.01 waits with select(), so one ocload process keeps its
# descriptors below FD_SETSIZE (1024): at most CHUNK clients (about 5
# descriptors each) per process, the processes side by side, each with its
# own source addresses and an equal share of the clients and of the ramp,
# so that their timelines (which start when all of a process's clients are
# up) stay within a few seconds of each other and of this script's.
CHUNK=150
NPROC=$(( (N + CHUNK - 1) / CHUNK ))
declare -a OL_PID OL_START
for k in $(seq 0 $((NPROC - 1))); do
	first=$((k * N / NPROC))
	cnt=$(( (k + 1) * N / NPROC - first ))
	src="10.78.$(( (first + 1) >> 8 )).$(( (first + 1) & 255 ))"
	OL_START[k]=$(now_ms)
	in_client c1 timeout $((DURATION + 300)) "$OCLOAD" --url "$URL" -n "$cnt" -u "$TEST_USER" \
		-p "$TEST_PASSWORD" --source "$src+$cnt" --ramp $(( (RAMP + NPROC - 1) / NPROC )) \
		--trickle 0 --dpd $D --duration "$DURATION" --freeze 1 --freeze-at "$FREEZE_AT" \
		--cut 100 --cut-at "$CUT_AT" --cut-for "$CUT_FOR" -o "$IT_WORK/ocload-$k.json" \
		> "$IT_WORK/ocload-$k.out" 2> "$IT_WORK/ocload-$k.err" &
	OL_PID[k]=$!
	track "${OL_PID[k]}"
done

# Until every ocload reports its clients up (or failed): its scenario
# starts then.
deadline=$(deadline_after $((N / RAMP + 200)))
for k in $(seq 0 $((NPROC - 1))); do
	until grep -q '^up:' "$IT_WORK/ocload-$k.out" 2> /dev/null; do
		alive "${OL_PID[k]}" ||
			hard_error "ocload $k ended before its clients were up: $(tail -n 3 "$IT_WORK/ocload-$k.err")"
		[ "$(now_ms)" -lt "$deadline" ] || hard_error "ocload: clients not up in time"
		sleep 0.2
	done
done
base=$(now_ms)
it_log "ocload ($NPROC processes): $(cat "$IT_WORK"/ocload-*.out | tr '\n' ' ')"
# The tunnels actually up: the per-tunnel figures divide by it.
UP=$(awk '/^up:/ { s += $2 } END { print s + 0 }' "$IT_WORK"/ocload-*.out)
[ "$UP" -gt 0 ] || hard_error "no client up"
[ "$UP" -lt "$N" ] && it_log "only $UP of $N clients up: per-tunnel figures are per tunnel up"
sleep 2
pss_n=$(memory_total)
workers=$(python3 "$BENCH_LIB/procsnap.py" memory "$IT_WORK/mem.json" | awk '$1 == "worker" { print $4 + 0 }')
result "$P.pss" "$(calc "$pss_n / 1024")" MiB 1 "$workers worker processes"
result "$P.pss_marginal" "$(calc "($pss_n - $pss_idle) / $UP")" KiB 1 "(PSS - PSS(idle)) / $UP tunnels up of $N"

# --- idle window ---------------------------------------------------------
sleep_until $((base + IDLE_AT * 1000))
snap "$IT_WORK/idle0.json"
nap "$IDLE_S"
snap "$IT_WORK/idle1.json"
read -r ticks sw win_ms nprocs gone < <(python3 "$BENCH_LIB/procsnap.py" diff \
	"$IT_WORK/idle0.json" "$IT_WORK/idle1.json")
reads=$(python3 -c 'import json, sys; print(max(json.load(open(f))["read_ms"] for f in sys.argv[1:]))' \
	"$IT_WORK/idle0.json" "$IT_WORK/idle1.json")
win=$(calc "$win_ms / 60000")
result "$P.idle_cpu" "$(calc "$ticks * 1000 / $CLK_TCK / $win / $UP")" "CPU ms/tunnel/min" 1 \
	"$ticks ticks over $(fmt_ms "$win_ms") s, $UP tunnels up"
result "$P.idle_cpu_pct" "$(calc "$ticks * 100 / $CLK_TCK / ($win_ms / 1000)")" "% of a CPU" 1
result "$P.idle_wakeups" "$(calc "$sw / $win / $UP")" /tunnel/min 1 \
	"$sw voluntary context switches of $nprocs processes ($gone ended in the window; each read took <= $reads ms)"

# --- occtl show users ----------------------------------------------------
case $OCSM_SERVER in
modern) OCCTL=("$top_builddir/src/occtl/occtl-modern" -s "$IT_WORK/occtl.sock") ;;
ocserv) OCCTL=(occtl -s "$IT_WORK/occtl.sock") ;;
esac
for r in $(seq 1 "$OCCTL_REPS"); do
	o0=$(now_ms)
	timeout 60 "${OCCTL[@]}" show users > "$IT_WORK/occtl-$r.out" 2> "$IT_WORK/occtl-$r.err" < /dev/null
	rc=$?
	o1=$(now_ms)
	if [ "$rc" != 0 ]; then
		na "$P.occtl_users" "rep $r: exit $rc: $(head -c 200 "$IT_WORK/occtl-$r.err")"
		continue
	fi
	result "$P.occtl_users" "$((o1 - o0))" ms "$r" "$(wc -l < "$IT_WORK/occtl-$r.out") lines of output"
done

# --- freeze, cut: ocload runs them; wait for its end ----------------------
it_log "waiting for ocload's freeze (t=$FREEZE_AT s) and cut (t=$CUT_AT s, $CUT_FOR s) to end (t=$DURATION s)"
jargs=()
for k in $(seq 0 $((NPROC - 1))); do
	wait_exit "${OL_PID[k]}" $((DURATION + 120)) || hard_error "ocload $k did not end in time"
	wait "${OL_PID[k]}" 2> /dev/null
	it_log "ocload $k exit $?: $(tail -n 1 "$IT_WORK/ocload-$k.out")"
	cat "$IT_WORK/ocload-$k.json" >> "$BENCH_LOGDIR/ocload-$N-$OCSM_SERVER.json" 2> /dev/null
	cat "$IT_WORK/ocload-$k.out" >> "$BENCH_LOGDIR/ocload-$N-$OCSM_SERVER.out" 2> /dev/null
	sed "s/^/[$k] /" "$IT_WORK/ocload-$k.err" >> "$BENCH_LOGDIR/ocload-$N-$OCSM_SERVER.err" 2> /dev/null
	jargs+=(--json "$IT_WORK/ocload-$k.json:${OL_START[k]}")
done
cp "$SERVER_LOG" "$BENCH_LOGDIR/server-$N-$OCSM_SERVER.log" 2> /dev/null

python3 "$BENCH_LIB/scale.py" analyze --server "$OCSM_SERVER" --n "$N" \
	"${jargs[@]}" --log "$SERVER_LOG" --dpd $D >> "$BENCH_RESULTS" ||
	na "$P.analysis" "failed: scale.py analyze"
