# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# (SC2034: lib.sh sets variables, e.g. EXIT_RC, END_MS, for the tests to read)
#
# lib.sh: harness for the integration tests. Each tests/integration/test-*.sh
# sources it, builds a small network of namespaces, runs the real gateway and
# the real openconnect 9.01 client (with a real tun device) and measures the
# liveness timers from the logs.
#
# Topology (one set per test, names carry the test's PID):
#
#   ns ocsm-s-PID            ns ocsm-c1-PID        ns ocsm-c2-PID
#   server 10.77.0.1/24      client 10.77.0.2/24   client 10.77.0.3/24
#   on bridge br0 ---veth--- eth0                  eth0
#             \-----------------------------------veth
#   server tun(s) vpnsN      tun0 (openconnect)    tun0
#   VPN pool 192.168.77.0/24, server's tun address 192.168.77.1
#
# Which server: OCSM_SERVER=modern (default: $top_builddir/src/main/ocserv-modern,
# configured with --enable-test-hooks, worker from OCSERV_MODERN_WORKER, default
# $top_builddir/src/worker/ocserv-modern-worker) or OCSM_SERVER=ocserv (the Debian reference server 1.1.6, for
# side-by-side runs; its timers fall far outside our contract, so liveness
# tests are expected to FAIL against it, and OCSM_EXTRA_WAIT=N lengthens every
# bounded wait by N seconds to let them measure anyway).
#
# Other knobs: OCSM_KEEP=1 keeps the work directory, OCSM_TEST_TIMEOUT (s)
# bounds the whole test (default 150), OCSM_SERVER_ARGS adds server flags.
#
# Exit codes (automake): 0 pass, 1 fail, 77 skip (not root, tools missing),
# 99 hard error (the harness itself could not set up).
#
# Times are integers in milliseconds since the epoch (wall clock, the same
# clock the logs use). Log lines of every process are normalised so that
# each starts with "YYYY-MM-DD HH:MM:SS.mmm ": the server writes that itself
# (src/common/log.h); the harness stamps client lines when it reads them and keeps
# openconnect's own --timestamp "[YYYY-MM-DD HH:MM:SS]" after it.

export LC_ALL=C
export TZ=${TZ:-UTC}

# --- whole-test time bound -------------------------------------------------
# Re-run this test under timeout(1) once: whatever hangs, the test ends, its
# trap cleans up, and automake sees timeout's exit 124 (a failure).
if [ -z "${OCSM_UNDER_TIMEOUT:-}" ] && command -v timeout > /dev/null 2>&1; then
	export OCSM_UNDER_TIMEOUT=1
	# --foreground: on expiry only the test's shell gets SIGTERM, and its
	# trap ends every process it started, by PID.
	exec timeout --foreground -k 15 "${OCSM_TEST_TIMEOUT:-150}" bash "$0" "$@"
fi

# The test's own stdout/stderr, for the traps: a signal can arrive while a
# function runs with its output redirected into a file, and the trap then
# inherits that redirection.
exec {IT_OUT}>&1 {IT_ERR}>&2

IT_NAME=$(basename "$0" .sh)
IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$IT_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DATA_DIR=$top_srcdir/tests/data

OCSM_SERVER=${OCSM_SERVER:-modern}
OCSM_EXTRA_WAIT=${OCSM_EXTRA_WAIT:-0}

SERVER_IP=10.77.0.1
PORT=4443
VPN_NET=192.168.77.0
VPN_MASK=255.255.255.0
VPN_PREFIX=24
SERVER_VPN_IP=192.168.77.1
URL=https://$SERVER_IP:$PORT/
TEST_USER=${OCSM_USER:-test}
TEST_PASSWORD=${OCSM_PASSWORD:-test}

# ---------------------------------------------------------------------------
# Messages and verdicts

it_log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S.%3N)" "$IT_NAME" "$*"; }

IT_FAILED=0
IT_CHECKS=0

skip() {
	echo "SKIP: $IT_NAME: $*"
	IT_EXIT_OVERRIDE=77
	exit 77
}

# A problem of the harness or the machine, not a verdict on the server.
hard_error() {
	echo "ERROR: $IT_NAME: $*"
	IT_DUMP_LOGS=1
	IT_EXIT_OVERRIDE=99
	exit 99
}

# A verdict that makes continuing pointless.
fatal() {
	echo "FAIL: $IT_NAME: $*"
	IT_FAILED=1
	IT_DUMP_LOGS=1
	exit 1
}

# verdict LABEL STATUS [DETAIL]: record a boolean verdict; STATUS 0 is PASS
# (an exit status, so "verdict 'server running' $?" reads naturally).
verdict() {
	local label=$1 ok=$2 detail=${3:-}
	IT_CHECKS=$((IT_CHECKS + 1))
	if [ "$ok" = 0 ]; then
		echo "PASS: $label${detail:+ ($detail)}"
	else
		echo "FAIL: $label${detail:+ ($detail)}"
		IT_FAILED=1
		IT_DUMP_LOGS=1
	fi
}

# expect_eq LABEL GOT WANT
expect_eq() {
	local ok=1
	[ "$2" = "$3" ] && ok=0
	verdict "$1" $ok "got '$2', want '$3'"
}

# fmt_ms MS: milliseconds as seconds with three decimals ("-0.250", "9.125").
fmt_ms() {
	local v=$1 sign=""
	if [ "$v" -lt 0 ]; then sign=-; v=$((-v)); fi
	printf '%s%d.%03d' "$sign" $((v / 1000)) $((v % 1000))
}

# expect_range LABEL MEASURED_MS MIN_MS MAX_MS [WHY]: measured value and the
# contract's bound, printed side by side, then PASS or FAIL. An empty MIN or
# MAX means unbounded on that side.
expect_range() {
	local label=$1 v=$2 lo=$3 hi=$4 why=${5:-} ok=0 bound
	if [ -z "$v" ]; then
		verdict "$label" 1 "no measurement"
		return
	fi
	if [ -n "$lo" ] && [ "$v" -lt "$lo" ]; then ok=1; fi
	if [ -n "$hi" ] && [ "$v" -gt "$hi" ]; then ok=1; fi
	if [ -n "$lo" ] && [ -n "$hi" ]; then
		bound="[$(fmt_ms "$lo"), $(fmt_ms "$hi")] s"
	elif [ -n "$lo" ]; then
		bound=">= $(fmt_ms "$lo") s"
	else
		bound="<= $(fmt_ms "$hi") s"
	fi
	verdict "$label: measured $(fmt_ms "$v") s, bound $bound" $ok "$why"
}

# ---------------------------------------------------------------------------
# Time

# now_ms: wall clock in ms, without forking.
now_ms() {
	local t=$EPOCHREALTIME
	echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))
}

# stamp_ms "YYYY-MM-DD HH:MM:SS.mmm": epoch milliseconds (local time, TZ).
stamp_ms() { date -d "$1" +%s%3N; }

# line_ms LINE: epoch ms of a normalised log line (its first 23 characters).
line_ms() {
	local s=${1:0:23}
	[[ $s =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$ ]] || return 1
	stamp_ms "$s"
}

# ms_stamp MS: the normalised log stamp of an epoch-ms time; stamps compare
# as strings in time order.
ms_stamp() { date -d "@$(fmt_ms "$1")" '+%Y-%m-%d %H:%M:%S.%3N'; }

# count_lines_between FILE ERE T0_MS T1_MS: lines of FILE matching ERE whose
# stamp lies strictly between T0 and T1.
count_lines_between() {
	local a b
	a=$(ms_stamp "$3")
	b=$(ms_stamp "$4")
	grep -E -- "$2" "$1" | awk -v a="$a" -v b="$b" \
		'{ t = substr($0, 1, 23) } t > a && t < b { n++ } END { print n + 0 }'
}

# client_ts_s LINE: whole-second epoch time of openconnect's own --timestamp
# ("[YYYY-MM-DD HH:MM:SS] "), which follows the harness stamp. The event
# happened in [value, value + 1 s).
client_ts_s() {
	local l=$1
	[[ $l =~ \[([0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2})\] ]] || return 1
	date -d "${BASH_REMATCH[1]}" +%s
}

# stamp_lines: copy stdin to stdout, prefixing each line with the time it was
# read ("YYYY-MM-DD HH:MM:SS.mmm "), unless the line already starts with such
# a stamp (lines of our own server, src/common/log.h). No fork per line; every
# process whose output goes through it writes line by line.
stamp_lines() {
	local l t f
	while IFS= read -r l || [ -n "$l" ]; do
		if [[ ${l:0:24} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\  ]]; then
			printf '%s\n' "$l"
		else
			t=$EPOCHREALTIME
			f=${t#*.}
			printf '%(%Y-%m-%d %H:%M:%S)T.%s %s\n' "${t%.*}" "${f:0:3}" "$l"
		fi
	done
}

# ---------------------------------------------------------------------------
# Processes and cleanup

IT_PIDS=()
IT_STAMPERS=()
IT_NETNS=()
IT_WORK=
IT_DUMP_LOGS=0
IT_EXIT_OVERRIDE=
IT_AT_EXIT=()

track() { IT_PIDS+=("$@"); }

# spawn_logged LOGFILE INFILE CMD...: run CMD in the background, stdin from
# INFILE, stdout and stderr through stamp_lines into LOGFILE. Sets SPAWN_PID
# to CMD's own PID (ip netns exec and env exec in place, so signals sent to
# SPAWN_PID reach the program itself).
spawn_logged() {
	local log=$1 in=$2 fifo
	shift 2
	fifo=$(mktemp -u "$IT_WORK/fifo.XXXXXX")
	mkfifo "$fifo" || hard_error "mkfifo $fifo"
	stamp_lines < "$fifo" >> "$log" &
	IT_STAMPERS+=($!)
	"$@" < "$in" > "$fifo" 2>&1 &
	SPAWN_PID=$!
	track "$SPAWN_PID"
}

alive() { kill -0 "$1" 2> /dev/null; }

dump_logs() {
	local f
	[ -n "$IT_WORK" ] && [ -d "$IT_WORK" ] || return 0
	for f in "$IT_WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "===== $(basename "$f") (last 60 lines)"
		tail -n 60 "$f"
	done
	if [ -f "$IT_WORK/server.conf" ]; then
		echo "===== server.conf (settings)"
		grep -vE '^(#|$)' "$IT_WORK/server.conf"
	fi
}

it_cleanup() {
	local rc=$? pid ns hook
	trap - EXIT INT TERM HUP
	exec 1>&"$IT_OUT" 2>&"$IT_ERR"
	[ -n "$IT_EXIT_OVERRIDE" ] && rc=$IT_EXIT_OVERRIDE
	[ "$IT_FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
	# Clients and servers first (CONT so a frozen one can die); the log
	# stampers then drain and end by themselves.
	for pid in "${IT_PIDS[@]}"; do
		alive "$pid" && { kill -CONT "$pid"; kill -TERM "$pid"; } 2> /dev/null
	done
	for pid in "${IT_PIDS[@]}" "${IT_STAMPERS[@]}"; do
		local n=0
		while alive "$pid" && [ $n -lt 60 ]; do sleep 0.05; n=$((n + 1)); done
		alive "$pid" && kill -KILL "$pid" 2> /dev/null
		wait "$pid" 2> /dev/null
	done
	# Whatever our processes left in our namespaces (e.g. server workers).
	for ns in "${IT_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2> /dev/null); do
			kill -KILL "$pid" 2> /dev/null
		done
	done
	for ns in "${IT_NETNS[@]}"; do
		ip netns del "$ns" 2> /dev/null
	done
	# What a test asked to run once its processes and namespaces are gone.
	for hook in "${IT_AT_EXIT[@]}"; do
		"$hook"
	done
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] || [ "$IT_DUMP_LOGS" = 1 ]; then
		dump_logs
	fi
	if [ -n "$IT_WORK" ] && [ -d "$IT_WORK" ]; then
		if [ "${OCSM_KEEP:-0}" = 1 ]; then
			echo "work directory kept: $IT_WORK"
		else
			rm -rf "$IT_WORK"
		fi
	fi
	case $rc in
	0) echo "RESULT: $IT_NAME: PASS ($IT_CHECKS checks)" ;;
	77) ;;
	99) echo "RESULT: $IT_NAME: ERROR (the harness could not run the test)" ;;
	*) echo "RESULT: $IT_NAME: FAIL (exit $rc)" ;;
	esac
	exit "$rc"
}

it_interrupted() {
	exec 1>&"$IT_OUT" 2>&"$IT_ERR"
	echo "FAIL: $IT_NAME: interrupted (by a signal, or the time bound of the whole run ran out)"
	IT_FAILED=1
	IT_DUMP_LOGS=1
	exit 1
}

# ---------------------------------------------------------------------------
# Preconditions

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" > /dev/null 2>&1 || skip "'$c' not found (run scripts/install-deps.sh)"
	done
}

it_preconditions() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, tun devices)"
	need_cmd ip openconnect nft openssl ping ss timeout mkfifo
	[ -c /dev/net/tun ] || skip "/dev/net/tun missing"
	case $OCSM_SERVER in
	modern)
		# OCSM_SERVER_BIN: an installed gateway (tests/packaging), which
		# the caller checks and which finds its own worker.
		if [ -n "${OCSM_SERVER_BIN:-}" ]; then
			SERVER_BIN=$OCSM_SERVER_BIN
			return 0
		fi
		SERVER_BIN=$top_builddir/src/main/ocserv-modern
		export OCSERV_MODERN_WORKER=${OCSERV_MODERN_WORKER:-$top_builddir/src/worker/ocserv-modern-worker}
		[ -x "$SERVER_BIN" ] || hard_error "$SERVER_BIN not built (run make first)"
		[ -x "$OCSERV_MODERN_WORKER" ] || hard_error "$OCSERV_MODERN_WORKER not built (run make first)"
		# only a test build lets OCSERV_MODERN_WORKER choose the worker
		"$SERVER_BIN" -v | grep -q "test build" ||
			hard_error "$SERVER_BIN is not a test build: configure with --enable-test-hooks (scripts/build does)"
		;;
	ocserv)
		SERVER_BIN=$(command -v ocserv) || SERVER_BIN=/usr/sbin/ocserv
		[ -x "$SERVER_BIN" ] || skip "OCSM_SERVER=ocserv but ocserv is not installed (apt-get install ocserv)"
		;;
	*)
		hard_error "OCSM_SERVER must be 'modern' or 'ocserv', not '$OCSM_SERVER'"
		;;
	esac
}

# ---------------------------------------------------------------------------
# Network

declare -A CLI_NS CLI_IP CLI_PID CLI_LOG CLI_COOKIE CLI_VPNIP CLI_ENV CLI_RUNS

in_server() { ip netns exec "$NS_S" "$@"; }
in_client() { local n=$1; shift; ip netns exec "${CLI_NS[$n]}" "$@"; }

# it_setup [CLIENTS]: work directory, credentials, the server namespace and
# CLIENTS client namespaces named c1, c2, ... (default 1).
it_setup() {
	local nclients=${1:-1} i name ns
	it_preconditions
	trap it_cleanup EXIT
	trap it_interrupted INT TERM HUP

	IT_WORK=$(mktemp -d "/tmp/ocsm-$IT_NAME.XXXXXX") || hard_error "mktemp failed"
	# The server drops privileges to nobody: its sockets here must be reachable.
	chmod 755 "$IT_WORK"
	"$DATA_DIR/gen-credentials.sh" "$IT_WORK" "$SERVER_IP" "$TEST_USER" "$TEST_PASSWORD" ||
		hard_error "could not generate the certificate and passwd file"
	PIN=$(cat "$IT_WORK/pin")

	NS_S=ocsm-s-$$
	ip netns add "$NS_S" 2> "$IT_WORK/netns.err" ||
		skip "cannot create network namespaces: $(cat "$IT_WORK/netns.err")"
	IT_NETNS+=("$NS_S")
	ip -n "$NS_S" link set lo up || hard_error "netns $NS_S: lo"
	ip -n "$NS_S" link add br0 type bridge || hard_error "netns $NS_S: bridge"
	ip -n "$NS_S" addr add "$SERVER_IP/24" dev br0 || hard_error "netns $NS_S: address"
	ip -n "$NS_S" link set br0 up || hard_error "netns $NS_S: br0 up"
	no_ipv6 "$NS_S"
	for i in $(seq 1 "$nclients"); do
		name=c$i
		ns=ocsm-c$i-$$
		ip netns add "$ns" || hard_error "netns add $ns"
		IT_NETNS+=("$ns")
		CLI_NS[$name]=$ns
		CLI_IP[$name]=10.77.0.$((i + 1))
		CLI_LOG[$name]=$IT_WORK/$name.log
		CLI_ENV[$name]=$IT_WORK/$name.env
		no_ipv6 "$ns"
		ip link add eth0 netns "$ns" type veth peer name "veth$i" netns "$NS_S" ||
			hard_error "veth for $ns"
		ip -n "$NS_S" link set "veth$i" master br0 up || hard_error "veth$i up"
		ip -n "$ns" link set lo up || hard_error "$ns: lo"
		ip -n "$ns" addr add "${CLI_IP[$name]}/24" dev eth0 || hard_error "$ns: address"
		ip -n "$ns" link set eth0 up || hard_error "$ns: eth0 up"
	done
	for name in "${!CLI_NS[@]}"; do
		in_client "$name" ping -n -q -c 1 -W 5 "$SERVER_IP" > /dev/null ||
			hard_error "client namespace $name cannot reach $SERVER_IP"
	done
	it_log "namespaces $NS_S + $nclients client(s), work dir $IT_WORK, server $OCSM_SERVER"
}

# The kernel's IPv6 chatter (router solicitations, MLD) on a fresh tun would
# be tunnel traffic the tests did not ask for: keep IPv6 off in our namespaces.
no_ipv6() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 > /dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------
# Server

CONFIG=
SERVER_PID=
SERVER_LOG=

# write_config [NAME=VALUE ...]: tests/data/test.conf.in with the defaults
# below, overridden by the arguments, into $IT_WORK/server.conf.
write_config() {
	local -A v=(
		[DPD]=30 [KEEPALIVE]=30 [IDLE_TIMEOUT]=0 [SESSION_TIMEOUT]=0
		[COOKIE_TIMEOUT]=300 [MAX_BAN_SCORE]=0 [BAN_TIME]=300 [SESSION_STORE]=memory
	)
	local kv k sedargs=()
	for kv in "$@"; do
		v[${kv%%=*}]=${kv#*=}
	done
	v[WORKDIR]=$IT_WORK
	v[SERVER_IP]=$SERVER_IP
	v[PORT]=$PORT
	v[VPN_NET]=$VPN_NET
	v[VPN_MASK]=$VPN_MASK
	for k in "${!v[@]}"; do
		sedargs+=(-e "s|@$k@|${v[$k]}|g")
	done
	if [ "$OCSM_SERVER" = ocserv ]; then
		sedargs+=(-e 's/^@OCSERV@ //' -e 's/^@MODERN@ /# ocserv-modern only: /')
	else
		sedargs+=(-e 's/^@OCSERV@ /# ocserv only: /' -e 's/^@MODERN@ //')
	fi
	CONFIG=$IT_WORK/server.conf
	sed "${sedargs[@]}" "$DATA_DIR/test.conf.in" > "$CONFIG" || hard_error "writing $CONFIG"
	if grep -nE '^[^#]*@[A-Z_]+@' "$CONFIG"; then
		hard_error "unsubstituted names left in $CONFIG"
	fi
}

# start_server: start the gateway in the server namespace, in the foreground
# mode, logging into $IT_WORK/server.log; wait (bounded) until it listens.
start_server() {
	local args=()
	[ -n "$CONFIG" ] || write_config
	SERVER_LOG=$IT_WORK/server.log
	case $OCSM_SERVER in
	modern) args=("$SERVER_BIN" -f -c "$CONFIG") ;;
	ocserv) args=("$SERVER_BIN" -f -d 2 -c "$CONFIG") ;;
	esac
	# shellcheck disable=SC2206
	args+=(${OCSM_SERVER_ARGS:-})
	it_log "starting server: ${args[*]}"
	spawn_logged "$SERVER_LOG" /dev/null ip netns exec "$NS_S" env \
		OCSERV_MODERN_WORKER="${OCSERV_MODERN_WORKER:-}" "${args[@]}"
	SERVER_PID=$SPAWN_PID
	wait_listening "$SERVER_PID"
	it_log "server pid $SERVER_PID listening on $SERVER_IP:$PORT"
}

# wait_listening PID: wait (15 s at most) until a gateway the test started,
# process PID, listens on TCP $PORT in the server namespace; fails the test
# if it exits or does not listen in time.
wait_listening() {
	local pid=$1 deadline
	deadline=$(( $(now_ms) + 15000 ))
	until [ -n "$(in_server ss -Hltn "sport = :$PORT" 2> /dev/null)" ]; do
		alive "$pid" || fatal "server $pid exited during startup"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "server $pid not listening on $PORT after 15 s"
		sleep 0.05
	done
}

# ---------------------------------------------------------------------------
# Waiting

# Every bounded wait takes seconds (may be fractional) and adds OCSM_EXTRA_WAIT.
deadline_after() {
	local s=$1 ms
	ms=$(awk -v s="$s" -v x="$OCSM_EXTRA_WAIT" 'BEGIN { printf "%d", (s + x) * 1000 }')
	echo $(( $(now_ms) + ms ))
}

# wait_s S: a wait of S seconds as deadline_after applies it, for messages.
wait_s() { awk -v s="$1" -v x="$OCSM_EXTRA_WAIT" 'BEGIN { printf "%g s", s + x }'; }

# log_count [-E|-F] FILE PATTERN: lines of FILE containing the fixed string
# PATTERN (-F, the default; with -E: matching the extended regular
# expression); 0 if FILE does not exist yet.
log_count() {
	local mode=-F n
	case $1 in -E | -F) mode=$1; shift ;; esac
	n=$(grep -c "$mode" -- "$2" "$1" 2> /dev/null) || n=0
	echo "$n"
}

# server_count TEXT: lines of the server log containing the fixed string.
server_count() { log_count "$SERVER_LOG" "$1"; }

# client_count NAME TEXT: lines of NAME's current log containing TEXT.
client_count() { log_count "${CLI_LOG[$1]}" "$2"; }

# wait_log [-E] FILE PATTERN COUNT TIMEOUT_S: wait until FILE holds at least
# COUNT lines containing the fixed string PATTERN (with -E: matching the
# extended regular expression). On success sets WAIT_MS (when the harness saw
# it, a 50 ms poll) and WAIT_LINE (the COUNT-th such line).
wait_log() {
	local mode=-F
	case $1 in -E | -F) mode=$1; shift ;; esac
	local file=$1 pat=$2 count=$3 deadline
	deadline=$(deadline_after "$4")
	while :; do
		if [ "$(log_count "$mode" "$file" "$pat")" -ge "$count" ]; then
			WAIT_MS=$(now_ms)
			WAIT_LINE=$(grep "$mode" -- "$pat" "$file" | sed -n "${count}p")
			return 0
		fi
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# wait_exit PID TIMEOUT_S: wait for one of our background processes to end.
# Sets EXIT_RC (its exit status) and WAIT_MS; returns 1 if still running.
wait_exit() {
	local pid=$1 deadline
	deadline=$(deadline_after "$2")
	while alive "$pid"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	WAIT_MS=$(now_ms)
	wait "$pid" 2> /dev/null
	EXIT_RC=$?
	return 0
}

# ---------------------------------------------------------------------------
# Client

# authenticate NAME [USER [PASSWORD]]: openconnect --authenticate with the
# password on stdin, from NAME's namespace (doc/spec/interop.md 9.2). Returns its exit
# code; on success CLI_COOKIE[NAME] holds the cookie. Each attempt's output
# goes to its own file, AUTH_LOG (NAME-auth-N.log). AUTH_ARGS: more
# openconnect arguments (e.g. a client certificate), none by default.
AUTH_COUNT=0
AUTH_ARGS=()
authenticate() {
	local name=$1 user=${2:-$TEST_USER} pass=${3:-$TEST_PASSWORD} rc
	AUTH_COUNT=$((AUTH_COUNT + 1))
	AUTH_LOG=$IT_WORK/$name-auth-$AUTH_COUNT.log
	printf '%s\n' "$pass" | timeout 30 ip netns exec "${CLI_NS[$name]}" \
		openconnect --non-inter --passwd-on-stdin -u "$user" "${AUTH_ARGS[@]}" --authenticate \
		--servercert "$PIN" "$URL" > "$AUTH_LOG.out" 2> "$AUTH_LOG"
	rc=$?
	{ echo "--- exit $rc, stdout:"; cat "$AUTH_LOG.out"; } >> "$AUTH_LOG"
	CLI_COOKIE[$name]=
	if [ $rc = 0 ]; then
		local COOKIE='' HOST='' CONNECT_URL='' FINGERPRINT='' RESOLVE=''
		eval "$(grep -E '^(COOKIE|HOST|CONNECT_URL|FINGERPRINT|RESOLVE)=' "$AUTH_LOG.out")"
		CLI_COOKIE[$name]=$COOKIE
		[ -n "$COOKIE" ] || rc=97
	fi
	rm -f "$AUTH_LOG.out"
	return $rc
}

# get_cookie NAME: authenticate as the test user or fail the test.
get_cookie() {
	authenticate "$1" || fatal "client $1: authentication failed (exit $?), see $(basename "$AUTH_LOG")"
}

# start_client NAME [--dtls] [OPENCONNECT-ARGS...]: run openconnect from
# NAME's cookie (--cookie-on-stdin; authenticates first if NAME has none)
# with a real tun (tun0) in NAME's namespace, configured by vpn-script.sh;
# IPv4 only (unless IT_CLIENT_IPV6 is set to another option: ipv6-lib.sh), verbose, with --timestamp; CSTP only (--no-dtls) unless --dtls
# comes first. Log: NAME.log (NAME-runN.log for later runs).
start_client() {
	local name=$1
	shift
	[ -n "${CLI_COOKIE[$name]:-}" ] || get_cookie "$name"
	printf '%s\n' "${CLI_COOKIE[$name]}" > "$IT_WORK/$name.stdin"
	spawn_client "$name" "$@" --cookie-on-stdin
}

# start_client_password NAME [--dtls] [OPENCONNECT-ARGS...]: as start_client,
# but one openconnect process logs in (-u test --passwd-on-stdin) and
# connects.
start_client_password() {
	local name=$1
	shift
	printf '%s\n' "$TEST_PASSWORD" > "$IT_WORK/$name.stdin"
	spawn_client "$name" "$@" -u "$TEST_USER" --passwd-on-stdin
}

# spawn_client NAME [--dtls] [OPENCONNECT-ARGS...]: the openconnect process
# of start_client, its standard input from $IT_WORK/NAME.stdin.
spawn_client() {
	local name=$1 dtls=--no-dtls
	shift
	[ "${1:-}" = --dtls ] && { dtls=; shift; }
	rm -f "${CLI_ENV[$name]}" "${CLI_ENV[$name]}.cstp"
	# One log file per run, so waits never count an earlier run's lines.
	CLI_RUNS[$name]=$(( ${CLI_RUNS[$name]:-0} + 1 ))
	if [ "${CLI_RUNS[$name]}" -gt 1 ]; then
		CLI_LOG[$name]=$IT_WORK/$name-run${CLI_RUNS[$name]}.log
	fi
	spawn_logged "${CLI_LOG[$name]}" "$IT_WORK/$name.stdin" \
		ip netns exec "${CLI_NS[$name]}" env \
		OCSM_ENV_FILE="${CLI_ENV[$name]}" OCSM_VPN_ROUTE="$VPN_NET/$VPN_PREFIX" \
		OCSM_VPN_ROUTE6="${VPN6_NET:-}" \
		openconnect --timestamp -v --non-inter --servercert "$PIN" \
		${dtls:+"$dtls"} ${IT_CLIENT_IPV6:---disable-ipv6} --reconnect-timeout 30 \
		-i tun0 --script "/bin/sh $IT_DIR/vpn-script.sh" "$@" "$URL"
	CLI_PID[$name]=$SPAWN_PID
}

# wait_connected NAME [TIMEOUT_S]: the tunnel is up and tun0 configured; sets
# CLI_VPNIP[NAME] from the address the gateway assigned.
wait_connected() {
	local name=$1 t=${2:-20} deadline
	wait_log "${CLI_LOG[$name]}" 'CSTP connected.' 1 "$t" ||
		fatal "client $name: no 'CSTP connected.' within $t s"
	deadline=$(deadline_after 10)
	# the address, then the route (vpn-script.sh adds them in that order:
	# a ping between the two finds no route)
	until [ -s "${CLI_ENV[$name]}" ] && in_client "$name" ip -4 addr show dev tun0 2> /dev/null | grep -q inet &&
		in_client "$name" ip -4 route show dev tun0 2> /dev/null | grep -q .; do
		alive "${CLI_PID[$name]}" || fatal "client $name exited before its tun was configured"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "client $name: tun0 not configured"
		sleep 0.05
	done
	CLI_VPNIP[$name]=$(sed -n 's/^INTERNAL_IP4_ADDRESS=//p' "${CLI_ENV[$name]}")
	it_log "client $name (pid ${CLI_PID[$name]}) connected, VPN address ${CLI_VPNIP[$name]}"
}

# connect_client NAME [ARGS...]: cookie, start, wait.
connect_client() {
	local name=$1
	shift
	start_client "$name" "$@"
	wait_connected "$name"
}

# client_ping NAME COUNT [PING-ARGS...]: ping the server's tun address through
# NAME's tunnel; output (each reply with its epoch time, ping -D) appended to
# NAME-ping.log; returns ping's status.
client_ping() {
	local name=$1 count=$2
	shift 2
	in_client "$name" timeout $((count + 10)) ping -n -D -c "$count" -i 0.2 -W 2 "$@" \
		"$SERVER_VPN_IP" >> "$IT_WORK/$name-ping.log" 2>&1
}

# reply_ms LOGFILE [first|last]: the epoch ms at which ping (-D) received the
# first or the last (default) reply logged in LOGFILE; empty if none. The
# kernel's receive time, so unlike a clock read after ping exits it does not
# move with the machine's load: the request it answers reached the server
# at most one round trip earlier.
reply_ms() {
	local pick=tail
	[ "${2:-last}" = first ] && pick=head
	sed -nE 's/^\[([0-9]+)\.([0-9]{3})[0-9]*\] .*bytes from .*/\1\2/p' "$1" | "$pick" -n 1
}

# ping_all_answered LOGFILE: did the last ping run logged in LOGFILE get
# every request answered? Sets PING_RESULT ("RX/TX answered").
ping_all_answered() {
	local rx tx
	read -r tx rx <<< "$(ping_summary "$1")"
	PING_RESULT="${rx:-0}/${tx:-0} answered"
	[ "${rx:-0}" -ge 1 ] && [ "${rx:-0}" = "${tx:-x}" ]
}

# ping_ok NAME COUNT: COUNT pings through NAME's tunnel, all answered?
# Sets PING_RESULT.
ping_ok() {
	client_ping "$1" "$2"
	ping_all_answered "$IT_WORK/$1-ping.log"
}

# server_ping_ok NAME COUNT [PING-ARGS...]: COUNT pings from the server's
# namespace to NAME's VPN address (into the tunnel, towards the client),
# every 0.2 s unless PING-ARGS say otherwise; all answered? Output appended
# to server-ping.log; sets PING_RESULT.
server_ping_ok() {
	local name=$1 count=$2
	shift 2
	in_server timeout $((count + 10)) ping -n -c "$count" -i 0.2 -W 2 "$@" \
		"${CLI_VPNIP[$name]}" >> "$IT_WORK/server-ping.log" 2>&1
	ping_all_answered "$IT_WORK/server-ping.log"
}

# bg_ping_start NAME [INTERVAL_S]: ping the server's tun address through
# NAME's tunnel in the background, one echo request every INTERVAL_S
# (default 0.2), until bg_ping_stop NAME. The pings run in rounds of 10,
# each a ping process that ends by itself after waiting for its last reply,
# so stopping never cuts off a request in flight: every request counted as
# sent had its full chance to be answered. How many are sent follows the
# wall clock (one per interval), not the speed of anything else the test
# does. Output, with each reply's epoch time (ping -D), in NAME-bgping.log.
# Returns once the first reply came (bounded: fails the test otherwise).
declare -A BG_PING_PID BG_PING_START
bg_ping_start() {
	local name=$1 iv=${2:-0.2} log=$IT_WORK/$1-bgping.log stop=$IT_WORK/$1-bgping.stop
	rm -f "$stop"
	BG_PING_START[$name]=$(now_ms)
	(
		while [ ! -e "$stop" ]; do
			# (a round that fails at once, the tunnel gone, must not spin)
			ip netns exec "${CLI_NS[$name]}" ping -n -D -c 10 -i "$iv" -W 2 \
				"$SERVER_VPN_IP" || sleep "$iv"
		done
	) >> "$log" 2>&1 < /dev/null &
	BG_PING_PID[$name]=$!
	track "$!"
	wait_log "$log" 'bytes from' 1 10 || fatal "client $name: no reply to its background ping"
}

# bg_ping_stop NAME: end NAME's background pings after the current round
# (bounded wait) and sum the rounds: BG_TX requests sent, BG_RX answered,
# BG_SPAN_MS how long the pinger ran, BG_FIRST_MS and BG_LAST_MS the epoch
# ms of the first and the last reply (empty if none). Returns 1 if the
# pinger did not end.
bg_ping_stop() {
	local name=$1 log=$IT_WORK/$1-bgping.log
	touch "$IT_WORK/$name-bgping.stop"
	wait_exit "${BG_PING_PID[$name]}" 10 || return 1
	BG_SPAN_MS=$(( $(now_ms) - BG_PING_START[$name] ))
	read -r BG_TX BG_RX <<< "$(sed -nE \
		's/^(.*[^0-9])?([0-9]+) packets transmitted, ([0-9]+) (packets )?received.*/\2 \3/p' "$log" |
		awk '{ t += $1; r += $2 } END { print t + 0, r + 0 }')"
	BG_FIRST_MS=$(reply_ms "$log" first)
	BG_LAST_MS=$(reply_ms "$log" last)
}

# cut_on NAME [all|tcp|udp]: silently drop (never reject: doc/spec/interop.md 9.7)
# the traffic between NAME's namespace and the server, both ways, with
# nftables in NAME's namespace; cut_off NAME lifts it. For drop/resume tests.
cut_on() {
	local name=$1 what=${2:-all} out='' in=''
	case $what in
	all) ;;
	tcp) out="tcp dport $PORT"; in="tcp sport $PORT" ;;
	udp) out="udp dport $PORT"; in="udp sport $PORT" ;;
	*) hard_error "cut_on: '$what' is not all, tcp or udp" ;;
	esac
	in_client "$name" nft -f - <<-EOF || hard_error "nft in ${CLI_NS[$name]}"
		table inet ocsm_cut {
			chain out { type filter hook output priority 0; policy accept; ip daddr $SERVER_IP $out drop; }
			chain in { type filter hook input priority 0; policy accept; ip saddr $SERVER_IP $in drop; }
		}
	EOF
}

cut_off() {
	in_client "$1" nft delete table inet ocsm_cut || hard_error "nft in ${CLI_NS[$1]}"
}

# server_dev_of VPN-IP: "NAME/IFINDEX" of the server's tun device whose peer
# is VPN-IP (empty if none). The index tells a kept device from a new one
# that got the same name.
server_dev_of() {
	local line
	line=$(in_server ip -o -4 addr show 2> /dev/null | grep -F " peer $1/32 " | head -n 1)
	[ -n "$line" ] || return 0
	echo "${line#*: }" | awk -v i="${line%%:*}" '{ print $1 "/" i }'
}

# wait_no_dev VPN-IP TIMEOUT_S: wait until the server has no tun device
# whose peer is VPN-IP; returns 1 if one is still there.
wait_no_dev() {
	local deadline
	deadline=$(deadline_after "$2")
	while [ -n "$(server_dev_of "$1")" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# cstp_option NAME HEADER: a header of the CONNECT reply as NAME's client saw
# it (from CISCO_CSTP_OPTIONS, saved by vpn-script.sh); empty if absent.
cstp_option() {
	sed -n "s/^$2=//p" "${CLI_ENV[$1]}.cstp" 2> /dev/null | head -n 1
}

# ---------------------------------------------------------------------------
# What the server logs (the only place the two implementations differ)

# server_tunnel_end REASON-ERE TIMEOUT_S [VPN-IP]: wait for the server's log
# line that ends a tunnel for one of the reasons (our tokens: dpd-timeout,
# tunnel-lost, idle-timeout, ...), optionally only the tunnel of VPN-IP.
# Our worker logs (src/worker/worker-tunnel.c)
#   tunnel ended: reason=dpd-timeout user=test session=... client=10.77.0.2
#   ip=192.168.77.10 last rx 9004 ms ago, up ..., goodbye none
# Sets END_LINE, END_MS (the line's own timestamp) and, when the line reports
# it, END_LAST_RX_MS: when the tunnel last received a valid frame, else
# empty. Returns 1 on timeout.
server_tunnel_end() {
	local reasons=$1 t=$2 ip=${3:-} re ago
	case $OCSM_SERVER in
	modern)
		re="tunnel ended: reason=($reasons) "
		[ -n "$ip" ] && re="$re.* ip=${ip//./\\.} "
		;;
	ocserv)
		# ocserv 1.1.6 knows no such tokens; map ours to its messages.
		re=
		[[ dpd-timeout =~ ^($reasons)$ ]] && re="connection timeout \\(DPD\\)"
		[[ tunnel-lost =~ ^($reasons)$ ]] && re="${re:+$re|}(error sending|send.*(failed|error)|connection reset)"
		[ -n "$re" ] || re="__no_such_line__"
		;;
	esac
	END_LINE='' END_MS='' END_LAST_RX_MS=''
	wait_log -E "$SERVER_LOG" "$re" 1 "$t" || return 1
	END_LINE=$WAIT_LINE
	END_MS=$(line_ms "$END_LINE") || END_MS=$WAIT_MS
	if [[ $END_LINE =~ last[\ _-]rx[^0-9]*([0-9]+)(\.([0-9]{1,3}))?\ ?(ms|s)\ ago ]]; then
		if [ "${BASH_REMATCH[4]}" = ms ]; then
			ago=${BASH_REMATCH[1]}
		else
			local frac=${BASH_REMATCH[3]}000
			ago=$(( BASH_REMATCH[1] * 1000 + 10#${frac:0:3} ))
		fi
		END_LAST_RX_MS=$(( END_MS - ago ))
	fi
	return 0
}

# client_last_tx_ms NAME BEFORE_MS [FLOOR_MS]: when NAME's client last sent
# a control frame before BEFORE_MS, from its -v log ("Send CSTP DPD",
# "Send CSTP Keepalive"; stamped when the harness read the line, a few ms
# after the send), or FLOOR_MS (e.g. its last ping's reply, reply_ms) if later.
client_last_tx_ms() {
	local name=$1 before floor=${3:-0} line t best=${3:-0}
	before=$(ms_stamp "$2")
	line=$(grep -E 'Send CSTP (DPD|Keepalive)' "${CLI_LOG[$name]}" |
		awk -v b="$before" 'substr($0, 1, 23) < b' | tail -n 1)
	if [ -n "$line" ]; then
		t=$(line_ms "$line") && [ "$t" -gt "$floor" ] && best=$t
	fi
	echo "$best"
}

# expect_at_l_plus_3d WHAT T_MS D NAME BEFORE_MS [FLOOR_MS]: after
# server_tunnel_end, the event WHAT (at T_MS, e.g. END_MS) came 3D (D in
# seconds) after L, the last packet of NAME's client, within 1 s: L as the
# client's last send before BEFORE_MS (client_last_tx_ms, with FLOOR_MS; 200
# ms of slack below for the stamping of its log) and L as the worker
# reports it (END_LAST_RX_MS), which must agree within 200 ms.
expect_at_l_plus_3d() {
	local what=$1 t=$2 d3=$(( 3 * $3 * 1000 )) name=$4 t_last
	t_last=$(client_last_tx_ms "$name" "$5" "${6:-0}")
	expect_range "$what after the client's last send (client log)" \
		$((t - t_last)) $((d3 - 200)) $((d3 + 1000)) \
		"contract: at L+3D, within 1 s; 200 ms stamping slack below"
	if [ -n "$END_LAST_RX_MS" ]; then
		expect_range "$what after L as the worker reports it" \
			$((t - END_LAST_RX_MS)) "$d3" $((d3 + 1000)) "contract: at L+3D, within 1 s"
		expect_range "worker's L vs the client's last send" \
			$((END_LAST_RX_MS - t_last)) -200 200 "the two views of L agree"
	else
		verdict "the server's tunnel-end line reports the last rx" 1 "$END_LINE"
	fi
}

# ping_summary LOGFILE: "TRANSMITTED RECEIVED" from ping's statistics line.
ping_summary() {
	sed -nE 's/^(.*[^0-9])?([0-9]+) packets transmitted, ([0-9]+) (packets )?received.*/\2 \3/p' "$1" | tail -n 1
}

# server_disconnect_line TEXT: the client log line announcing that the server
# ended the tunnel for reason TEXT ("idle timeout", "session timeout").
# Ours sends 0xb0 + text (doc/spec/liveness.md §2.1); ocserv 1.1.6 sends an empty
# DISCONNECT, so with OCSM_SERVER=ocserv only the generic line is matched
# (and the timing is still measured).
server_disconnect_line() {
	case $OCSM_SERVER in
	modern) echo "Received server disconnect: b0 '$1'" ;;
	ocserv) echo "Received server disconnect" ;;
	esac
}

# idle_end NAME I WHAT: one final ping through NAME's tunnel (the last user
# packet), then the server's idle-timeout disconnect on the client, measured:
# not before I s after the ping was sent (t_before), at most I + 1.5 s after
# its reply came back (t_after: event-loop latency, TLS/veth delivery and the
# harness' log reading). WHAT names the checks. Sets IDLE_T_AFTER and
# IDLE_T_END (epoch ms) for the caller's own checks.
idle_end() {
	local name=$1 i=$2 what=$3 t_before rc want
	t_before=$(now_ms)
	client_ping "$name" 1
	rc=$?
	IDLE_T_AFTER=$(now_ms)
	verdict "final ping (the last user packet)" $rc
	want=$(server_disconnect_line "idle timeout")
	wait_log "${CLI_LOG[$name]}" "$want" 1 $((i + 5)) ||
		fatal "no \"$want\" within $(wait_s $((i + 5)))"
	IDLE_T_END=$(line_ms "$WAIT_LINE")
	it_log "client: $WAIT_LINE"
	expect_range "$what, not before I after the last user packet" \
		$((IDLE_T_END - t_before)) $((i * 1000)) "" "from just before the final ping"
	expect_range "$what, on time" $((IDLE_T_END - IDLE_T_AFTER)) "" $((i * 1000 + 1500)) \
		"from the final reply; bound $i + 1.5 s"
}
