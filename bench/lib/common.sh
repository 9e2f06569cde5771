# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# common.sh: what every bench/lib/*.sh scenario shares, on top of the
# integration harness tests/integration/lib.sh (namespaces, certificates,
# server start, real openconnect clients, cleanup by PID, time bound) and
# its DTLS helpers (dtls-lib.sh).
# A scenario runs ONE server (OCSM_SERVER=modern or ocserv, exactly as the
# integration tests do) and appends its figures, one JSON object per line,
# to $BENCH_RESULTS; bench/run runs every scenario for both servers and
# bench/lib/report.py turns the lines into the table and the JSON file.
#
# Environment (set by bench/run):
#   BENCH_RESULTS   JSON-lines file the figures are appended to (required)
#   BENCH_MODE      quick | full
#   BENCH_LOGDIR    where scenarios leave raw material (strace output ...)
#   top_srcdir, top_builddir   as for the integration tests

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_LIB/../.." && pwd)}"
export top_srcdir
# dtls-lib.sh sources lib.sh and adds the DTLS client.
# shellcheck source=tests/integration/dtls-lib.sh
. "$top_srcdir/tests/integration/dtls-lib.sh"

BENCH_MODE=${BENCH_MODE:-quick}
[ -n "${BENCH_RESULTS:-}" ] || hard_error "BENCH_RESULTS is not set (run bench/run)"
: "${BENCH_LOGDIR:=$(dirname "$BENCH_RESULTS")}"

quick() { [ "$BENCH_MODE" = quick ]; }

# ---------------------------------------------------------------------------
# Results: one JSON object per line.

json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/ }
	s=${s//$'\t'/ }
	printf '"%s"' "$s"
}

# result ID VALUE UNIT [REP [NOTE]]: one measured value of figure ID for
# this server. VALUE is a decimal number; REP defaults to $BENCH_REP or 1
# (a scenario that bench/run repeats as a whole).
result() {
	local id=$1 val=$2 unit=$3 rep=${4:-${BENCH_REP:-1}} note=${5:-}
	[[ $val =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || {
		it_log "result $id: '$val' is not a number: recorded as not measured"
		na "$id" "measurement failed (got '$val')"
		return
	}
	printf '{"id":%s,"server":%s,"value":%s,"unit":%s,"rep":%s,"note":%s}\n' \
		"$(json_str "$id")" "$(json_str "$OCSM_SERVER")" "$val" "$(json_str "$unit")" \
		"$rep" "$(json_str "$note")" >> "$BENCH_RESULTS"
	it_log "result $id = $val $unit (rep $rep)${note:+ ($note)}"
}

# na ID REASON: figure ID could not be measured for this server, and why
# ("n/a yet: ...", "failed: ..."): shown as such in the table.
na() {
	printf '{"id":%s,"server":%s,"na":%s}\n' "$(json_str "$1")" \
		"$(json_str "$OCSM_SERVER")" "$(json_str "$2")" >> "$BENCH_RESULTS"
	it_log "result $1: not measured: $2"
}

# meta KEY VALUE: a fact about this run of this server (MTU, versions ...).
meta() {
	printf '{"meta":%s,"server":%s,"value":%s}\n' "$(json_str "$1")" \
		"$(json_str "$OCSM_SERVER")" "$(json_str "$2")" >> "$BENCH_RESULTS"
}

# calc EXPR: floating-point arithmetic (awk), printed with up to 6 decimals.
calc() { awk "BEGIN { v = $1; printf \"%.6f\", v }" | sed -E 's/\.?0+$//'; }

# ---------------------------------------------------------------------------
# Configuration on top of tests/data/test.conf.in (lib.sh write_config)

# conf_set NAME VALUE: replace an option of $CONFIG, or append it.
conf_set() {
	if grep -qE "^$1 *=" "$CONFIG"; then
		sed -i -E "s|^$1 *=.*|$1 = $2|" "$CONFIG"
	else
		printf '%s = %s\n' "$1" "$2" >> "$CONFIG"
	fi
}

# conf_dtls: offer DTLS on the TCP port's number (both servers: udp-port).
conf_dtls() { conf_set udp-port "$PORT"; }

# ---------------------------------------------------------------------------
# Clients: lib.sh's start_client (always --no-dtls) and dtls-lib.sh's
# start_dtls_client, by transport.

# bench_client NAME cstp|dtls [OPENCONNECT-ARGS...]: cookie (authenticates
# first), then openconnect with a real tun0 in NAME's namespace, CSTP only
# (--no-dtls) or with DTLS. Log NAME.log as lib.sh's clients.
bench_client() {
	local name=$1 transport=$2
	shift 2
	case $transport in
	cstp) start_client "$name" "$@" ;;
	dtls) start_dtls_client "$name" "$@" ;;
	*) hard_error "bench_client: transport '$transport' is not cstp or dtls" ;;
	esac
}

# wait_dtls NAME TIMEOUT_S: did NAME's client establish DTLS? (0 yes)
wait_dtls() {
	wait_log "${CLI_LOG[$1]}" 'Established DTLS connection' 1 "$2"
}

# ---------------------------------------------------------------------------
# Server processes, from /proc (no tracer attached)

# server_procs: "PID ROLE" for every process of the server under test:
# main (the process lib.sh started), worker (ocserv-modern-worker,
# ocserv-worker), sec-mod (ocserv-sm, or a name saying sec-mod), other (any
# other process of the server's family, e.g. a child between fork and exec).
# Tools the benchmark runs in the namespace (iperf3, ping) are not listed.
server_procs() {
	local pid comm role
	for pid in $(ip netns pids "$NS_S" 2> /dev/null); do
		comm=$(cat "/proc/$pid/comm" 2> /dev/null) || continue
		if [ "$pid" = "$SERVER_PID" ]; then
			role=main
		else
			case $comm in
			ocserv-modern-w* | ocserv-worker*) role=worker ;;
			ocserv-sm* | *sec-mod* | *secmod*) role=sec-mod ;;
			ocserv*) role=other ;;
			*) continue ;;
			esac
		fi
		echo "$pid $role"
	done
}

# count_workers: worker processes running now.
count_workers() { server_procs | awk '$2 == "worker"' | wc -l; }

# vcsw PID: voluntary context switches so far (/proc/PID/status).
vcsw() { awk '/^voluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status" 2> /dev/null; }

# cpu_ticks PID: utime + stime in clock ticks (/proc/PID/stat, fields 14 and
# 15, counted after the parenthesised command name).
cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
	s=${s##*) }
	awk '{ print $12 + $13 }' <<< "$s"
}
# shellcheck disable=SC2034 # for the scenarios
CLK_TCK=$(getconf CLK_TCK)

# server_cpu_ticks: utime + stime of every server process, summed. Processes
# that ended in between are lost, so measure over a window in which the
# workers live throughout.
server_cpu_ticks() {
	local pid role t sum=0
	while read -r pid role; do
		t=$(cpu_ticks "$pid") && sum=$((sum + t))
	done < <(server_procs)
	echo "$sum"
}

# smaps PID: "PSS_KB PRIVATE_DIRTY_KB" from /proc/PID/smaps_rollup.
smaps() {
	awk '/^Pss:/ { p = $2 } /^Private_Dirty:/ { d = $2 } END { print p + 0, d + 0 }' \
		"/proc/$1/smaps_rollup" 2> /dev/null
}

# server_memory: "ROLE PSS_KB PRIVATE_DIRTY_KB COUNT" per role and a "total"
# line, summed over the server's processes.
server_memory() {
	local pid role p d
	while read -r pid role; do
		read -r p d <<< "$(smaps "$pid")"
		[ -n "$p" ] && echo "$role $p $d"
	done < <(server_procs) | awk '
		{ p[$1] += $2; d[$1] += $3; n[$1]++; P += $2; D += $3; N++ }
		END { for (r in p) print r, p[r], d[r], n[r]; print "total", P + 0, D + 0, N + 0 }'
}

# ---------------------------------------------------------------------------
# A silent cut in both namespaces: nftables drops on input, client side
# (everything from the server) and server side (everything from the
# client), so each end's packets vanish and nobody gets a reset.

cut_both() {
	local name=$1
	in_client "$name" nft -f - <<-EOF || hard_error "nft in ${CLI_NS[$name]}"
		table inet bench_cut {
			chain in { type filter hook input priority 0; policy accept; ip saddr $SERVER_IP drop; }
		}
	EOF
	in_server nft -f - <<-EOF || hard_error "nft in $NS_S"
		table inet bench_cut_$name {
			chain in { type filter hook input priority 0; policy accept; ip saddr ${CLI_IP[$name]} drop; }
		}
	EOF
}

# ---------------------------------------------------------------------------
# The server's end of one client's tunnel, from its log.

# tunnel_end_of NAME REASON: if the server log holds the line ending NAME's
# tunnel for REASON (dpd), set TE_MS (the line's stamp) and TE_LAST_RX_MS
# (ours reports when it last received a frame; empty for ocserv) and return
# 0. Ours: "tunnel ended: reason=dpd-timeout ... client=IP ..." (its own ms
# timestamp); ocserv 1.1.6: "worker[user]: IP connection timeout (DPD);
# tearing down connection" (stamped by the harness when it read the line).
tunnel_end_of() {
	local name=$1 ip=${CLI_IP[$1]} line ago re
	TE_MS='' TE_LAST_RX_MS='' TE_LINE=''
	case $OCSM_SERVER in
	modern) re="tunnel ended: reason=dpd-timeout .* client=${ip//./\\.} " ;;
	ocserv) re=" ${ip//./\\.} connection timeout \\(DPD\\)" ;;
	esac
	line=$(grep -E -- "$re" "$SERVER_LOG" | head -n 1)
	[ -n "$line" ] || return 1
	# shellcheck disable=SC2034 # for the scenarios
	TE_LINE=$line
	TE_MS=$(line_ms "$line") || return 1
	if [[ $line =~ last\ rx\ ([0-9]+)\ ms\ ago ]]; then
		ago=${BASH_REMATCH[1]}
		# shellcheck disable=SC2034 # for the scenarios
		TE_LAST_RX_MS=$((TE_MS - ago))
	fi
	return 0
}

# ---------------------------------------------------------------------------
# Misc

# rand_ms LO HI: a uniformly drawn integer in [LO, HI].
rand_ms() { echo $(( $1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1) )); }

# nap SECONDS: sleep in the background and wait for it. Bash runs a trap
# only once its foreground command ends, so a long foreground sleep would
# hold back the clean-up of an interrupted run; a wait returns at once.
NAP_PID=
nap() {
	sleep "$1" &
	NAP_PID=$!
	wait "$NAP_PID"
	NAP_PID=
}
nap_end() { [ -z "$NAP_PID" ] || kill -TERM "$NAP_PID" 2> /dev/null; }
IT_AT_EXIT+=(nap_end)

# sleep_until MS: sleep until the wall clock reaches MS (epoch ms).
sleep_until() {
	local left=$(( $1 - $(now_ms) ))
	[ "$left" -gt 0 ] && nap "$(fmt_ms "$left")"
	return 0
}

server_version() {
	case $OCSM_SERVER in
	modern) "$SERVER_BIN" -v 2>&1 | head -n 1 ;;
	ocserv) "$SERVER_BIN" --version 2>&1 | head -n 1 ;;
	esac
}
