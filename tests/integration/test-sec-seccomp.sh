#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The worker sandbox (doc/security.md, src/worker/sandbox.h), with the
# default isolate-workers = true:
#  - a worker serving a tunnel runs under its seccomp filter (Seccomp: 2),
#    with no_new_privs, not dumpable (its /proc files belong to root), no
#    new process allowed (RLIMIT_NPROC 0) and a bounded RLIMIT_NOFILE;
#  - a worker that makes a forbidden system call (execve, kill towards
#    another process, ptrace; made by the test hook of --enable-test-hooks
#    builds right after the filter is loaded) dies of SIGSYS within a
#    second, and main logs "worker PID (ADDR) killed by SIGSYS: forbidden
#    system call NAME";
#  - a refused call (socket) fails with EACCES and the worker lives on;
#  - the other client's tunnel keeps working and the server keeps running.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sec-lib.sh
. "$IT_DIR/sec-lib.sh"

need_cmd python3 ps stat
it_setup 1
HOOK=$IT_WORK/forbidden-syscall
export OCSM_TEST_FORBIDDEN_SYSCALL=$HOOK
start_server

connect_client c1
tunnel=$(worker_of_client c1) || fatal "no worker for c1's tunnel"
st=/proc/$tunnel/status
expect_eq "tunnel worker: Seccomp (2: filter)" "$(awk '/^Seccomp:/ { print $2 }' "$st")" 2
expect_eq "tunnel worker: NoNewPrivs" "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" 1
expect_eq "tunnel worker: not dumpable (its /proc files belong to root)" \
	"$(stat -c %u "/proc/$tunnel/environ")" 0
expect_eq "tunnel worker: Max processes" \
	"$(awk '/^Max processes/ { print $3, $4 }' "/proc/$tunnel/limits")" "0 0"
expect_eq "tunnel worker: Max open files" \
	"$(awk '/^Max open files/ { print $4, $5 }' "/proc/$tunnel/limits")" "64 64"

for call in execve kill ptrace; do
	echo "$call" > "$HOOK"
	hold_conn c1 tcp
	t0=$(now_ms)
	line="worker $HOLD_WORKER (${CLI_IP[c1]}) killed by SIGSYS: forbidden system call $call"
	wait_log "$SERVER_LOG" "$line" 1 5
	verdict "$call: main logs '$line'" $? "after $(fmt_ms $(( WAIT_MS - t0 ))) s"
	wait_log "$SERVER_LOG" "ocserv-modern-worker[$HOLD_WORKER]: error: forbidden system call " 1 1
	verdict "$call: the worker's own last line names the call's number" $?
done

echo socket > "$HOOK"
hold_conn c1 tcp
wait_log "$SERVER_LOG" "worker[$HOLD_WORKER]: info: test hook: socket() returned -1 (Permission denied)" 1 5
verdict "socket() is refused with EACCES" $?
sleep 0.5
alive "$HOLD_WORKER"
verdict "the worker whose socket() was refused lives on" $?
rm -f "$HOOK"

client_ping c1 5
verdict "c1's tunnel still carries traffic" $? "$(ping_summary "$IT_WORK/c1-ping.log")"
alive "$SERVER_PID"
verdict "server still running" $?
n=$(grep -c ") killed by SIGSYS: forbidden system call" "$SERVER_LOG")
expect_eq "workers killed by SIGSYS: exactly the three that broke the rules" "$n" 3
