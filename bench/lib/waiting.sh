#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One run of bench/waiting for one server (OCSM_SERVER=modern or ocserv): N
# sessions waiting to resume, made through the real login path by
# bench/lib/waiting.py (TLS, password login, cookie, CONNECT, the tunnel up,
# then the connection dropped without a goodbye), C at a time from K source
# addresses (aliases 10.79.x.y, routed to the client namespace), then:
#
#   memory    PSS (smaps_rollup) of sec-mod, main, and all server processes,
#             before and after, per session made
#   occtl     the session listing with N waiting, OCCTL_REPS times, timed
#   expiry    when each session ended after cookie-timeout: ours from its
#             log (sec-mod's "ended: cookie-expired" against the worker's
#             "tunnel ended" + cookie-timeout); ocserv 1.1.6 logs no end at -d 2:
#             its listing is polled and the k-th end matched to the k-th
#             deadline (client drop time + cookie-timeout)
#
#   waiting.sh N COOKIE_TIMEOUT PARALLEL SOURCES [KEEP_TUN [NO_CONNECT [SAMPLE [PROCS]]]]
#
# KEEP_TUN (true, false): ours' keep-tun-on-resume. NO_CONNECT (true, false):
# the sessions log in and never CONNECT; they stay "authenticated" in sec-mod
# (no tunnel, lease or device) and expire cookie-timeout after the login:
# the loss above is then the login (ours: sec-mod's "authenticated from ...
# session SID6" line; ocserv: the client's close after the cookie). SAMPLE
# K > 0: the expiry is awaited and measured for the K earliest deadlines only.
# PROCS: client processes (waiting.py create --procs).
#
# Figures go to $BENCH_RESULTS (common.sh result/na/meta).
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

N=${1:?usage: waiting.sh N COOKIE_TIMEOUT PARALLEL SOURCES}
C=${2:?cookie-timeout}
PAR=${3:-32}
NSRC=${4:-64}
KEEP_TUN=${5:-true}
NO_CONNECT=${6:-false}
SAMPLE=${7:-0}
PROCS=${8:-1}
WARM=10
OCCTL_REPS=5
P=waiting
KB=1024

need_cmd python3
# Ours keeps every waiting session's tun device open in main: a descriptor
# each. Root may raise its own hard limit; the server inherits it.
if ! ulimit -Hn 1048576 2> /dev/null; then
	it_log "cannot raise the descriptor limit: $(ulimit -Hn)"
fi
ulimit -n "$(ulimit -Hn)" 2> /dev/null

it_setup 1
python3 - "$NSRC" > "$IT_WORK/alias.batch" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    n = 1 + i
    print(f"address add 10.79.{n >> 8}.{n & 255}/32 dev eth0")
PY
in_client c1 ip -batch "$IT_WORK/alias.batch" || hard_error "address aliases"
in_server ip route add 10.79.0.0/16 via "${CLI_IP[c1]}" || hard_error "route to the aliases"

# A /14 pool (262,142 addresses): ours keeps every waiting session's lease.
# shellcheck disable=SC2034 # read by lib.sh (write_config)
VPN_NET=172.16.0.0 VPN_MASK=255.252.0.0 VPN_PREFIX=14
write_config DPD=30 KEEPALIVE=30 COOKIE_TIMEOUT="$C"
conf_set max-clients 0
if [ "$OCSM_SERVER" = modern ]; then
	# Connections in the login phase: C in flight, all from NSRC addresses.
	conf_set max-unauth $((PAR * 2 + 64))
	conf_set max-unauth-per-ip 0
	conf_set keep-tun-on-resume "$KEEP_TUN"
	meta "$P.keep_tun_on_resume" "$KEEP_TUN"
fi
# The login is the path under test, not the password hash: MD5-crypt (both
# servers verify with crypt(3)) instead of the harness's SHA-512 crypt.
printf '%s:users:%s\n' "$TEST_USER" "$(openssl passwd -1 "$TEST_PASSWORD")" > "$IT_WORK/passwd"
start_server
meta "$P.version" "$(server_version)"
meta "$P.nofile" "$(awk '/Max open files/ { print $4 }' "/proc/$SERVER_PID/limits")"
meta "$P.cookie_timeout" "$C s"

case $OCSM_SERVER in
modern) OCCTL=("$top_builddir/src/occtl/occtl-modern" -s "$IT_WORK/occtl.sock" show sessions) ;;
ocserv) OCCTL=(occtl -s "$IT_WORK/occtl.sock" show sessions all) ;;
esac

# listed: the sessions ocserv lists now (its table: a header line, then a
# line per session, whatever its state).
listed() {
	timeout 120 "${OCCTL[@]}" < /dev/null 2> /dev/null | awk 'NR > 1 && NF >= 3' | wc -l
}

# waiting_lines: the server's log lines that put a session in waiting (with
# NO_CONNECT: ours' logins; ocserv 1.1.6 logs none at -d 2 that names the
# session, so its listing is counted).
waiting_lines() {
	local re
	case $OCSM_SERVER/$NO_CONNECT in
	modern/false) re='waits to resume' ;;
	ocserv/false) re='temporarily closing session' ;;
	modern/true) re='authenticated from' ;;
	ocserv/true) listed; return ;;
	esac
	grep -cF -- "$re" "$SERVER_LOG" 2> /dev/null || true
}

# fds ROLE: descriptors open in the server's processes of that role.
fds() {
	local pid role n=0
	while read -r pid role; do
		[ "$role" = "$1" ] && n=$((n + $(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)))
	done < <(server_procs)
	echo "$n"
}

# mem_into ARRAY: ARRAY[role] = PSS in kB of the server's processes of
# that role, and ARRAY[total] (common.sh server_memory).
declare -A M0 M1
mem_into() {
	local -n into=$1
	local role p rest
	# shellcheck disable=SC2034 # written through the nameref
	while read -r role p rest; do into["$role"]=$p; done < <(server_memory)
}

# create COUNT PARALLEL DROPS PROCS: waiting.py's summary on stdout. It runs
# for minutes: in the background with a wait, so that an interrupt's trap
# runs at once (and ends it with the client namespace).
create() {
	local pid
	in_client c1 timeout $(( $1 / 20 + 300 )) python3 -W ignore "$BENCH_LIB/waiting.py" create \
		--host "$SERVER_IP" --port "$PORT" --ca "$IT_WORK/server-cert.pem" --user "$TEST_USER" \
		--password "$TEST_PASSWORD" --count "$1" --parallel "$2" --sources "10.79.0.1+$NSRC" \
		--procs "$4" "${NC_ARG[@]}" --out "$3" > "$IT_WORK/create.out" 2>&1 &
	pid=$!
	track "$pid"
	wait "$pid"
	local rc=$?
	cat "$IT_WORK/create.out"
	return $rc
}
NC_ARG=()
[ "$NO_CONNECT" = true ] && NC_ARG=(--no-connect)
meta "$P.mode" "$([ "$NO_CONNECT" = true ] && echo "logged in, not connected (no CONNECT)" ||
	echo "waiting to resume (CONNECT, then dropped)")"

# --- the warm-up sessions, the baseline, the N sessions ---------------------
create "$WARM" 4 "$IT_WORK/drops-warm.jsonl" 1 > "$IT_WORK/warm.out" || it_log "warm-up: $(cat "$IT_WORK/warm.out")"
sleep 2
base_lines=$(waiting_lines)
mem_into M0
fd0="main $(fds main), sec-mod $(fds sec-mod)"
it_log "baseline ($base_lines waiting): $(server_memory | tr '\n' ';')"

t0=$(now_ms)
create "$N" "$PAR" "$IT_WORK/drops.jsonl" "$PROCS" > "$IT_WORK/made.out"
out=$(cat "$IT_WORK/made.out")
t1=$(now_ms)
it_log "waiting.py: $out"
cat "$IT_WORK/drops-warm.jsonl" "$IT_WORK/drops.jsonl" > "$BENCH_LOGDIR/drops-$N-$OCSM_SERVER.jsonl"
alive "$SERVER_PID" || { na "$P.pss.sec-mod" "failed: the server died while the sessions were made"; exit 0; }
ok=$(sed -nE 's/.*"ok": ([0-9]+).*/\1/p' <<< "$out")
rate=$(sed -nE 's/.*"rate": ([0-9.]+).*/\1/p' <<< "$out")
errors=$(sed -nE 's/.*"errors": (\{[^}]*\}).*/\1/p' <<< "$out")
deadline=$(deadline_after 120)
while [ "$(count_workers)" -gt 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
sleep 2
lines=$(waiting_lines)
made=$((lines - base_lines))
mem_into M1
it_log "after ($lines waiting): $(server_memory | tr '\n' ';')"
meta "$P.fds" "descriptors before: $fd0; after: main $(fds main), sec-mod $(fds sec-mod)"
state="waiting"
[ "$NO_CONNECT" = true ] && state="logged in, not connected"
meta "$P.created" "$made of $N $state in $(fmt_ms $((t1 - t0))) s (client: ${ok:-?} ok; errors ${errors:-?})"
what="logins+CONNECTs"
[ "$NO_CONNECT" = true ] && what="logins (no CONNECT)"
result "$P.login_rate" "${rate:-x}" "sessions/s" 1 "${ok:-?} $what, $PAR in flight in $PROCS client processes, $NSRC source addresses"
ended_early=$(grep -c 'ended: cookie-expired' "$SERVER_LOG" 2> /dev/null || true)
if [ "$made" -lt 1 ]; then
	na "$P.pss.sec-mod" "failed: no session went waiting ($out)"
else
	note="$made sessions waiting"
	[ "$NO_CONNECT" = true ] && note="$made sessions logged in, not connected"
	[ "$made" -lt "$N" ] && note="$note (ONLY $made of $N)"
	[ "$OCSM_SERVER" = modern ] && [ "${ended_early:-0}" -gt 0 ] &&
		note="$note; $ended_early had already expired: cookie-timeout too short"
	for role in sec-mod main total; do
		if [ -z "${M0[$role]:-}" ] || [ -z "${M1[$role]:-}" ]; then
			na "$P.pss.$role" "no $role process found"
			continue
		fi
		result "$P.pss.$role" "$(calc "(${M1[$role]} - ${M0[$role]}) * $KB / $made")" "B/session" 1 \
			"$note; PSS ${M0[$role]} -> ${M1[$role]} kB"
		result "$P.pss_after.$role" "$(calc "${M1[$role]} / $KB")" MiB 1
	done
fi

# --- the listing, timed ---------------------------------------------------
for r in $(seq 1 "$OCCTL_REPS"); do
	o0=$(now_ms)
	timeout 120 "${OCCTL[@]}" > "$IT_WORK/occtl-$r.out" 2> "$IT_WORK/occtl-$r.err" < /dev/null
	rc=$?
	o1=$(now_ms)
	if [ "$rc" != 0 ]; then
		na "$P.occtl" "rep $r: exit $rc: $(head -c 200 "$IT_WORK/occtl-$r.err")"
		continue
	fi
	result "$P.occtl" "$((o1 - o0))" ms "$r" "${OCCTL[*]:3}: $(wc -l < "$IT_WORK/occtl-$r.out") lines"
done
cp "$IT_WORK/occtl-1.out" "$BENCH_LOGDIR/occtl-$N-$OCSM_SERVER.out" 2> /dev/null

# --- expiry ---------------------------------------------------------------
# last_drop: the last deadline's start awaited: with SAMPLE K, the K-th
# earliest (the warm-up sessions included, as in the figures).
cat "$IT_WORK/drops-warm.jsonl" "$IT_WORK/drops.jsonl" > "$IT_WORK/drops-all.jsonl"
last_drop=$(python3 -c 'import json,sys
d = sorted(r["drop_ms"] for r in map(json.loads, open(sys.argv[1])) if r.get("ok"))
k = int(sys.argv[2])
print(d[min(k, len(d)) - 1] if k > 0 else d[-1])' "$IT_WORK/drops-all.jsonl" "$SAMPLE")
want=$lines
[ "$SAMPLE" -gt 0 ] && [ "$SAMPLE" -lt "$want" ] && want=$SAMPLE
n0=$(listed)
case $OCSM_SERVER in
modern)
	# Every session waiting has ended by its deadline + 60 s, or it is late
	# beyond any target.
	until [ "$(grep -c 'ended: cookie-expired' "$SERVER_LOG")" -ge "$want" ] ||
		[ "$(now_ms)" -ge $((last_drop + C * 1000 + 60000)) ]; do
		sleep 2
	done
	gzip -c "$SERVER_LOG" > "$BENCH_LOGDIR/server-$N-$OCSM_SERVER.log.gz"
	start=loss
	src="loss = the worker's log line 'tunnel ended: reason=tunnel-lost', end = sec-mod's 'ended: cookie-expired' (the server's ms stamps)"
	if [ "$NO_CONNECT" = true ]; then
		start=login
		src="deadline = sec-mod's 'authenticated from ... session' line + cookie-timeout, end = sec-mod's 'ended: cookie-expired' (the server's ms stamps)"
	fi
	ex=$(python3 "$BENCH_LIB/waiting.py" expiry-modern --log "$SERVER_LOG" --timeout "$C" \
		--start "$start" --sample "$SAMPLE")
	;;
ocserv)
	# ocserv 1.1.6 ends a waiting session after cookie-timeout + 15 s, in
	# its sec-mod's periodic clean-up (doc/sessions.md): poll its listing
	# until it is empty, or 400 s past the last deadline.
	: > "$IT_WORK/polls"
	while :; do
		n=$(listed)
		echo "$(now_ms) ${n:-0}" >> "$IT_WORK/polls"
		[ "${n:-0}" -le $(( ${n0:-0} > want ? ${n0:-0} - want : 0 )) ] && break
		[ "$(now_ms)" -ge $((last_drop + C * 1000 + 400000)) ] && break
		sleep 1
	done
	gzip -c "$SERVER_LOG" > "$BENCH_LOGDIR/server-$N-$OCSM_SERVER.log.gz"
	cp "$IT_WORK/polls" "$BENCH_LOGDIR/polls-$N-$OCSM_SERVER.txt"
	ex=$(python3 "$BENCH_LIB/waiting.py" expiry-poll --drops "$IT_WORK/drops-all.jsonl" \
		--polls "$IT_WORK/polls" --timeout "$C" --sample "$SAMPLE")
	src="no expiry in its log at -d 2: deadline = client-side drop + cookie-timeout, end = first 'occtl show sessions all' poll that lists that many fewer (k-th end matched to k-th deadline); ocserv adds 15 s of slack by design"
	[ "$NO_CONNECT" = true ] &&
		src=${src/client-side drop/the client-side close right after the cookie came (the login)}
	;;
esac
it_log "expiry: $ex"
get() { sed -nE "s/.*\"$1\": (-?[0-9]+).*/\1/p" <<< "$ex"; }
n_late=$(get n)
if [ -z "$n_late" ] || [ "$n_late" -eq 0 ]; then
	na "$P.late.p50" "failed: no session seen ending ($ex)"
else
	note="$n_late sessions, $(get not_ended) not seen ending; $src"
	[ "$SAMPLE" -gt 0 ] && note="over the $(get sampled) earliest deadlines (--expire-sample $SAMPLE): $note"
	[ -n "$(get poll_interval_ms)" ] && note="$note; poll interval $(get poll_interval_ms) ms"
	for q in p50 p99 max; do
		result "$P.late.$q" "$(calc "$(get "${q}_ms") / 1000")" s 1 "$note"
	done
	fe=$(get first_end_ms)
	[ -n "$fe" ] && [ "$fe" -lt "$t1" ] &&
		meta "$P.expired_during_creation" "the first session ended before all were made: cookie-timeout too short"
fi
exit 0
