#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Workers are unprivileged from their first instruction (doc/security.md),
# before any client byte, not only once their tunnel is up (which
# test-sec-privs.sh checks with main and sec-mod): main execs them already
# as run-as-user/run-as-group (nobody/nogroup here).
# /proc/PID/status of the workers serving an idle TCP connection that sent
# nothing, a TLS connection silent after its handshake, and an up tunnel
# (openconnect) shows uid and gid not 0 and no effective, permitted or
# ambient capability. The tun device's MTU, which only main may set now,
# is the tunnel's data MTU the worker chose.
# With worker-zygote (the default) the workers are forked by the zygote,
# which is itself checked the same way, and main is every worker's parent;
# then the gateway runs again with worker-zygote = false, where main executes
# each worker, and the tunnel's worker is checked there too.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sec-lib.sh
. "$IT_DIR/sec-lib.sh"

need_cmd python3 ps
it_setup 1
start_server
nobody=$(id -u nobody)

# expect_unprivileged LABEL PID
expect_unprivileged() {
	local label=$1 pid=$2 uids gids capeff capprm capamb
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
	capeff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
	capprm=$(awk '/^CapPrm:/ { print $2 }' "/proc/$pid/status")
	capamb=$(awk '/^CapAmb:/ { print $2 }' "/proc/$pid/status")
	expect_eq "$label: real, effective, saved, fs uid are nobody's" "$uids" \
		"$nobody $nobody $nobody $nobody"
	verdict "$label: no gid is 0" "$(case " $gids " in *" 0 "*) echo 1 ;; *) echo 0 ;; esac)" "$gids"
	expect_eq "$label: CapEff" "$capeff" 0000000000000000
	expect_eq "$label: CapPrm" "$capprm" 0000000000000000
	expect_eq "$label: CapAmb" "$capamb" 0000000000000000
}

# expect_zygote_child LABEL PID: forked by the zygote, main's child.
expect_zygote_child() {
	forked_by_zygote "$2"
	verdict "$1: forked by the worker zygote" $? "$(tr '\0' ' ' < "/proc/$2/cmdline")"
	expect_eq "$1: main is its parent" "$(parent_of "$2")" "$SERVER_PID"
}

zygote=$(zygote_pid) || fatal "no worker zygote under main $SERVER_PID"
expect_unprivileged "worker zygote" "$zygote"
expect_eq "worker zygote: no_new_privs" "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$zygote/status")" 1
hold_conn c1 tcp
expect_unprivileged "worker of an idle TCP connection" "$HOLD_WORKER"
expect_zygote_child "worker of an idle TCP connection" "$HOLD_WORKER"
hold_conn c1 after-handshake
expect_unprivileged "worker of a TLS connection silent after its handshake" "$HOLD_WORKER"

connect_client c1
tunnel=$(worker_of_client c1) || fatal "no worker for c1's tunnel"
expect_unprivileged "worker of an up tunnel" "$tunnel"
expect_zygote_child "worker of an up tunnel" "$tunnel"
wait_log "$SERVER_LOG" "tunnel up: user=" 1 5 || fatal "no tunnel-up line"
want_mtu=$(sed -n 's/.* mtu=\([0-9]*\) .*/\1/p' <<< "$WAIT_LINE")
dev=$(sed -n 's/.* tun=\([^ ]*\) .*/\1/p' <<< "$WAIT_LINE")
wait_log "$SERVER_LOG" "$dev: MTU " 1 5
got_mtu=$(in_server cat "/sys/class/net/$dev/mtu")
expect_eq "main set $dev's MTU to the tunnel's data MTU" "$got_mtu" "$want_mtu"
client_ping c1 5
verdict "ping through the tunnel" $? "$(ping_summary "$IT_WORK/c1-ping.log")"

# --- worker-zygote = false: main executes every worker
kill -TERM "${CLI_PID[c1]}" 2> /dev/null
wait_exit "${CLI_PID[c1]}" 10 || fatal "openconnect still running 10 s after SIGTERM"
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 15 || fatal "server still running 15 s after SIGTERM"
mv "$SERVER_LOG" "$IT_WORK/server-zygote.log"
echo "worker-zygote = false" >> "$CONFIG"
start_server
zygote=$(child_pids "$SERVER_PID" ocserv-modern-z)
expect_eq "worker-zygote = false: no zygote" "$zygote" ""
CLI_COOKIE[c1]=
connect_client c1
tunnel=$(worker_of_client c1) || fatal "no worker for c1's tunnel"
expect_unprivileged "executed worker of an up tunnel" "$tunnel"
! forked_by_zygote "$tunnel"
verdict "worker-zygote = false: the worker was executed" $? "$(tr '\0' ' ' < "/proc/$tunnel/cmdline")"
expect_eq "executed worker: main is its parent" "$(parent_of "$tunnel")" "$SERVER_PID"
