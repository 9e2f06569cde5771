#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sec-mod as a process of its own (doc/spec/architecture.md): main forks it
# at startup; it holds the session records and the logins.
#  1. It runs as a child of main ("ocserv-sm"), the one occtl-modern names,
#     and a login + CONNECT work through it.
#  2. SIGINT, SIGTERM and SIGHUP sent to it alone change nothing: it ends
#     with main, never before; the session and its cookie stay valid (a
#     resume, which sec-mod checks, works afterwards).
#  3. main's SIGTERM: main exits 0 and sec-mod is gone with it.
#  4. sec-mod killed (SIGKILL): main cannot run without the session records:
#     it says so, ends every tunnel (the client is told and exits 1) and
#     exits with status 1, within a bounded time.
#  5. sec-mod busy (as during a burst of password checks; here stopped for a
#     few seconds) while main sends it more than its socket holds: main never
#     waits for it, keeps serving, queues what the socket cannot take (its
#     debug log says so), delivers it once sec-mod is back ("caught up"), and
#     loses nothing: sec-mod's session records (occtl-modern -j show
#     sessions all) are the same before and after.
. "$(dirname "$0")/resume-lib.sh"
. "$(dirname "$0")/occtl-lib.sh"

secmod_pid() { ps -o pid= -o comm= --ppid "$SERVER_PID" | awk '$2 == "ocserv-sm" { print $1 }'; }

occtl_preconditions
# debug: main's log of its queue for sec-mod (step 5)
OCSM_SERVER_ARGS="${OCSM_SERVER_ARGS:-} -d 3"
it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
sm=$(secmod_pid)
[[ $sm =~ ^[0-9]+$ ]] || fatal "1. no child 'ocserv-sm' of main (pid $SERVER_PID): '$sm'"
verdict "1. sec-mod runs as a child of main" 0 "pid $sm"
occtl_json show status
expect_eq "1. occtl-modern names the same sec-mod" "$(jget 'd["Sec-mod PID"]')" "$sm"
connect_client c1
ping_ok c1 2
verdict "1. login and CONNECT through sec-mod" $? "$PING_RESULT"
grep -qE "ocserv-modern-sm\[$sm\]: info: user 'test' .*authenticated from" "$SERVER_LOG"
verdict "1. sec-mod logged the login" $?

# --- 2
for sig in INT TERM HUP; do
	kill -"$sig" "$sm"
done
kill -USR2 "${CLI_PID[c1]}"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 10
verdict "2. the session still resumes after the signals" $?
alive "$sm"
verdict "2. sec-mod ignores SIGINT, SIGTERM and SIGHUP" $?
ping_ok c1 2
verdict "2. traffic after the resume" $? "$PING_RESULT"

# --- 5 (before 4 and 3: it needs this server)
# Each "show users" makes the worker report its counters, which main passes
# on to sec-mod: 300 reports are more than sec-mod's socket holds (about 280
# small messages). A main that waited for room would stall for every worker
# and, after its bound, shut down.
occtl_json show sessions all || fatal "5. show sessions before the test failed"
cp "$OCCTL_OUT" "$IT_WORK/sessions-before.json"
busy0=$(server_count 'sec-mod is busy: ')
kill -STOP "$sm"
t0=$(now_ms)
n=0
while [ "$n" -lt 300 ] && occtl show users; do
	n=$((n + 1))
done
t1=$(now_ms)
kill -CONT "$sm"
expect_eq "5. main answered occtl all along while sec-mod was stopped" "$n" 300
it_log "5. 300 occtl runs with sec-mod stopped took $((t1 - t0)) ms"
ok=1; [ "$(server_count 'sec-mod is busy: ')" -gt "$busy0" ] && ok=0
verdict "5. main queued what sec-mod's socket could not take" $ok \
	"$(grep -F 'sec-mod is busy: ' "$SERVER_LOG" | tail -n 1 | sed 's/.*debug: //')"
wait_log "$SERVER_LOG" 'sec-mod caught up: nothing waits for it any more' 1 10
verdict "5. sec-mod caught up with the queue once back" $?
alive "$SERVER_PID"
verdict "5. main still runs once sec-mod is back" $?
occtl_json show sessions all || fatal "5. show sessions after the test failed"
# Left out: what moves with the clock ("_Created": "5s ago", remaining times).
changed=$(json_diff "$IT_WORK/sessions-before.json" "$OCCTL_OUT" '_*' '*remaining')
expect_eq "5. sec-mod's session records are the same before and after" "$changed" ""
ping_ok c1 2
verdict "5. traffic afterwards" $? "$PING_RESULT"
bad=$(grep -E 'sec-mod: .*shutting down|error: sec-mod' "$SERVER_LOG")
expect_eq "5. no sec-mod error" "$bad" ""

# --- 4 (before 3: it needs a running server)
t_kill=$(now_ms)
kill -KILL "$sm"
if wait_exit "$SERVER_PID" 10; then
	expect_eq "4. main's exit status without sec-mod" "$EXIT_RC" 1
	expect_range "4. main gave up in time" $((WAIT_MS - t_kill)) "" 7000
else
	verdict "4. main exits when sec-mod dies" 1 "still running after 10 s"
fi
grep -q 'sec-mod: the process was killed by signal 9' "$SERVER_LOG"
verdict "4. main logged why" $?
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "4. the client was told and exits 1" "$EXIT_RC" 1
else
	verdict "4. the client exits" 1 "still running"
fi

# --- 3
CONFIG=
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
sm=$(secmod_pid)
[[ $sm =~ ^[0-9]+$ ]] || fatal "3. no child 'ocserv-sm' of the new main (pid $SERVER_PID): '$sm'"
kill -TERM "$SERVER_PID"
if wait_exit "$SERVER_PID" 10; then
	expect_eq "3. main's exit status after SIGTERM" "$EXIT_RC" 0
else
	verdict "3. main exits after SIGTERM" 1
fi
alive "$sm"
[ $? = 1 ]
verdict "3. sec-mod is gone with main" $? "pid $sm"
