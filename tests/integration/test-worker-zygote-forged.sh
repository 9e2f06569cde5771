#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# main does not take a worker PID from the zygote on trust (doc/security.md,
# "Worker zygote"). With the test hook of --enable-test-hooks builds the
# zygote replies with a PID of the test's choosing instead of making a
# worker, as a compromised zygote could:
#  - a process that is not main's child (a sleep this test owns): main logs
#    the refusal, kills the zygote and closes that connection; the sleep is
#    never adopted as a worker and is still running, not stopped;
#  - a child of main that is not a new worker (sec-mod): refused the same
#    way, sec-mod lives on;
#  - in between and after, tunnels are served (executed workers, or a new
#    zygote's once MAIN_ZYGOTE_RETRY_S has passed) and main keeps running.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sec-lib.sh
. "$IT_DIR/sec-lib.sh"

need_cmd ps openssl sleep
it_setup 2
HOOK=$IT_WORK/zygote-forged-pid
export OCSM_TEST_ZYGOTE_FORGED_PID=$HOOK
start_server

# a process of the test's, in no way main's
sleep 600 &
VICTIM=$!
track "$VICTIM"

# forge PID WHY: the zygote (the one running, or the one main starts for
# this connection) names PID for the next connection, which main must
# refuse for WHY and close; ZYG: that zygote.
forge() {
	local n_conn line
	echo "$1" > "$HOOK"
	chmod 644 "$HOOK"
	n_conn=$(server_count "connection from ${CLI_IP[c2]}")
	in_client c2 timeout 10 openssl s_client -connect "$SERVER_IP:$PORT" \
		< /dev/null > /dev/null 2>&1
	rm -f "$HOOK"
	line="named pid $1 as its worker: $2: refused"
	wait_log "$SERVER_LOG" "$line" 1 5
	verdict "pid $1 named by the zygote: main logged '$line'" $? "$WAIT_LINE"
	ZYG=$(sed -n 's/.*worker zygote \([0-9]*\) named pid.*/\1/p' <<< "$WAIT_LINE")
	[ -n "$ZYG" ] || fatal "no zygote PID in main's refusal"
	expect_eq "that connection got no worker" \
		"$(server_count "connection from ${CLI_IP[c2]}")" "$n_conn"
	wait_exit "$ZYG" 10
	verdict "the lying zygote $ZYG was stopped" $?
}

# --- a PID that is not main's child
t_first=$(now_ms)
forge "$VICTIM" "not a child of main"
alive "$VICTIM"
verdict "the named process $VICTIM is still running" $?
expect_eq "the named process is not stopped" \
	"$(awk '/^State:/ { print $2 }' "/proc/$VICTIM/status")" S
expect_eq "main never adopted it as a worker" \
	"$(log_count -E "$SERVER_LOG" ": worker $VICTIM([^0-9]|\$)")" 0
alive "$SERVER_PID"
verdict "main is still running" $?

connect_client c1
w1=$(worker_of_client c1) || fatal "no worker for c1's tunnel"
expect_eq "after the refusal, c1's worker is main's child" "$(parent_of "$w1")" "$SERVER_PID"
ping_ok c1 3
verdict "after the refusal, a tunnel is served" $? "$PING_RESULT"

# --- main's own child, but no new worker: sec-mod (past the retry
# interval, so that a new zygote is asked)
sm=$(secmod_pid)
[ -n "$sm" ] || fatal "no sec-mod under main $SERVER_PID"
left=$((t_first + 5500 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$(fmt_ms "$left")"
forge "$sm" "a process main already tracks"
alive "$sm"
verdict "sec-mod $sm is still running" $?
expect_eq "sec-mod is still main's sec-mod" "$(secmod_pid)" "$sm"

connect_client c2
ping_ok c2 3
verdict "after the second refusal, a tunnel is served" $? "$PING_RESULT"
ping_ok c1 3
verdict "c1's tunnel went on throughout" $? "$PING_RESULT"
alive "$VICTIM"
verdict "the named process $VICTIM is still running at the end" $?
alive "$SERVER_PID"
verdict "main is still running at the end" $?
kill -TERM "$VICTIM"
