#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Figure 2, idle wake-ups: dpd = 10, keepalive = 5, one client, no traffic.
#
#   idle.sh cstp   the client runs with --no-dtls
#   idle.sh dtls   the server offers DTLS (udp-port) and the client uses it;
#                  if the client does not establish DTLS the figures are
#                  "n/a yet" for this server
#
# Two windows, one after the other, on the same tunnel:
#  1. untraced: voluntary context switches of every server process from
#     /proc/PID/status, over WINDOWS consecutive windows of WIN_S seconds
#     (each window is one repetition), scaled to per minute;
#  2. traced (a separate window, STRACE_S seconds): strace -f -ttt attached
#     to every server process; syscalls per minute, and the timer wake-ups
#     (a wait that returned 0) split into those that led to an action (a
#     write or send before the next wait) and those that did nothing, i.e.
#     woke up for a deadline that was not due (bench/lib/strace_idle.py).
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

TRANSPORT=${1:-cstp}
case $TRANSPORT in cstp | dtls) ;; *) hard_error "usage: idle.sh cstp|dtls" ;; esac
if quick; then WIN_S=8 STRACE_S=15; else WIN_S=20 STRACE_S=30; fi
WINDOWS=3
P=idle.$TRANSPORT
ROLES="worker main sec-mod total"

need_cmd strace python3
it_setup 1
write_config DPD=10 KEEPALIVE=5
[ "$TRANSPORT" = dtls ] && conf_dtls
start_server
meta version "$(server_version)"
bench_client c1 "$TRANSPORT"
wait_connected c1 30
if [ "$TRANSPORT" = dtls ] && ! wait_dtls c1 8; then
	for r in $ROLES; do
		why="n/a yet: no DTLS (the client established none with this server within 8 s)"
		na "$P.$r.vcsw" "$why"
		na "$P.$r.syscalls" "$why"
		na "$P.$r.timer_wakeups" "$why"
		na "$P.$r.undue_wakeups" "$why"
	done
	exit 0
fi
# Let the connect-time chatter (MTU probes, the first DPD) pass.
sleep 3

# --- 1. untraced windows -------------------------------------------------
declare -A V0
for w in $(seq 1 "$WINDOWS"); do
	procs=$(server_procs)
	while read -r pid role; do V0[$pid]=$(vcsw "$pid"); done <<< "$procs"
	t0=$(now_ms)
	sleep "$WIN_S"
	t1=$(now_ms)
	declare -A SUM=()
	while read -r pid role; do
		now_v=$(vcsw "$pid") || continue
		if [ -z "$now_v" ] || [ -z "${V0[$pid]:-}" ]; then continue; fi
		SUM[$role]=$(( ${SUM[$role]:-0} + now_v - V0[$pid] ))
		SUM[total]=$(( ${SUM[total]:-0} + now_v - V0[$pid] ))
	done <<< "$procs"
	for r in $ROLES; do
		if [ -z "${SUM[$r]:-}" ]; then
			[ "$w" = 1 ] && na "$P.$r.vcsw" "this server runs no $r process"
			continue
		fi
		result "$P.$r.vcsw" "$(calc "${SUM[$r]} * 60000 / ($t1 - $t0)")" /min "$w" \
			"${SUM[$r]} in $(fmt_ms $((t1 - t0))) s"
	done
	unset SUM
done
meta "$P.processes" "$(server_procs | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')"

# --- 2. traced window ----------------------------------------------------
procs=$(server_procs)
args=()
while read -r pid role; do args+=(-p "$pid"); done <<< "$procs"
trace=$IT_WORK/strace.out
strace -f -ttt -qq -o "$trace" "${args[@]}" 2> "$IT_WORK/strace.err" &
strace_pid=$!
track "$strace_pid"
# strace prints nothing when attached: give it a moment before the window.
sleep 0.5
t0=$(now_ms)
sleep "$STRACE_S"
t1=$(now_ms)
kill -INT "$strace_pid" 2> /dev/null
wait_exit "$strace_pid" 10 || kill -KILL "$strace_pid" 2> /dev/null
cp "$trace" "$BENCH_LOGDIR/strace-$TRANSPORT-$OCSM_SERVER.out" 2> /dev/null || true

while read -r id v note; do
	result "$P.$id" "$v" /min 1 "$note"
done < <(python3 "$BENCH_LIB/strace_idle.py" "$trace" "$t0" "$t1" <<< "$procs")
