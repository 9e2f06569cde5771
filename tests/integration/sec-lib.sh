# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# sec-lib.sh: helpers of the security tests (test-sec-*.sh), on top of
# lib.sh: find the gateway's processes and hold connections to it open at a
# given stage (tlshold.py), each served by its own worker.

# child_pids PID COMM: the children of PID whose /proc comm is COMM.
child_pids() {
	local pid
	for pid in $(ps -o pid= --ppid "$1"); do
		[ "$(cat "/proc/$pid/comm" 2> /dev/null)" = "$2" ] && echo "$pid"
	done
}

secmod_pid() { child_pids "$SERVER_PID" ocserv-sm | head -n 1; }

# zygote_pid: the worker zygote (worker-zygote; its name is set as it starts,
# so wait for it, bounded). Empty if there is none.
zygote_pid() {
	local deadline pid
	deadline=$(deadline_after 5)
	while :; do
		pid=$(child_pids "$SERVER_PID" ocserv-modern-z | head -n 1)
		[ -n "$pid" ] && { echo "$pid"; return 0; }
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# forked_by_zygote PID: the worker PID came from the zygote (its command
# line is the zygote's, -Z; an executed worker's has no -Z).
forked_by_zygote() { tr '\0' ' ' < "/proc/$1/cmdline" | grep -q -- ' -Z '; }

# parent_of PID: its parent's PID (/proc/PID/status).
parent_of() { awk '/^PPid:/ { print $2 }' "/proc/$1/status"; }

# worker_of_port CLIENT_IP PORT: the worker main spawned for the connection
# from CLIENT_IP:PORT (main logs "connection from IP port P: worker PID").
worker_of_port() {
	wait_log "$SERVER_LOG" "connection from $1 port $2: worker " 1 5 || return 1
	sed -n "s/.*connection from $1 port $2: worker \([0-9]*\).*/\1/p" "$SERVER_LOG" | tail -n 1
}

# worker_of_client NAME: the worker of NAME's openconnect (its TCP connection
# to the gateway's port).
worker_of_client() {
	local port
	port=$(in_client "$1" ss -Htn state established "dport = :$PORT" |
		awk '{ split($3, a, ":"); print a[length(a)] }' | head -n 1)
	[ -n "$port" ] || return 1
	worker_of_port "${CLI_IP[$1]}" "$port"
}

# hold_conn NAME MODE [--tls12]: a tlshold.py connection from NAME's namespace
# held at MODE (tcp, mid-handshake, after-handshake) for the rest of the
# test; sets HOLD_WORKER to the PID of the worker serving it.
HOLD_N=0
hold_conn() {
	local name=$1 mode=$2 log port
	shift 2
	HOLD_N=$((HOLD_N + 1))
	log=$IT_WORK/hold-$HOLD_N-$mode.log
	spawn_logged "$log" /dev/null ip netns exec "${CLI_NS[$name]}" \
		python3 "$IT_DIR/tlshold.py" --host "$SERVER_IP" --port "$PORT" "$@" "$mode" 600
	wait_log "$log" "PORT " 1 10 || fatal "tlshold $mode did not reach its stage (see $(basename "$log"))"
	port=${WAIT_LINE##*PORT }
	HOLD_WORKER=$(worker_of_port "${CLI_IP[$name]}" "$port") ||
		fatal "no worker logged for $mode connection from port $port"
	it_log "$mode connection from port $port: worker $HOLD_WORKER"
}

# stop_server: SIGTERM the gateway and wait (bounded) until it is gone.
stop_server() {
	kill -TERM "$SERVER_PID" 2> /dev/null
	wait_exit "$SERVER_PID" 15 || fatal "server still running 15 s after SIGTERM"
}
