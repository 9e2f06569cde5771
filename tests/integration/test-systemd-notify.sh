#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What main tells systemd (sd_notify, Type=notify), without systemd: the
# gateway runs with $NOTIFY_SOCKET naming a unix datagram socket this test
# listens on (python3), and must send
#   READY=1 once it listens, with STATUS= "0 sessions: ...";
#   STATUS= when the number of sessions changes, at most once a second
#   (src/main/main-notify.h), and the latest count once the changes stop;
#   RELOADING=1 on SIGHUP, then READY=1;
#   STOPPING=1 on SIGTERM, before it exits.
# Then the journal sink of src/common/log.h: with $JOURNAL_STREAM naming the
# file its stderr goes to, every line of main, sec-mod and the workers starts
# with its syslog priority ("<6>" info, "<4>" warning) and has no timestamp.
# Skips when the gateway was built without libsystemd (it then sends
# nothing, by design).
. "$(dirname "$0")/lib.sh"

need_cmd python3
if [ -f "$top_builddir/config.h" ] && ! grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h"; then
	skip "built without libsystemd (configure --without-systemd): no sd_notify"
fi

it_setup 1
write_config DPD=30 KEEPALIVE=30

# --- the listener: one line per datagram, "STAMP MSG" with the message's
# lines joined by " | "; it ends after STOPPING=1 or after 120 s.
NOTIFY_LOG=$IT_WORK/notify.log
NOTIFY_SOCK=$IT_WORK/notify.sock
: > "$NOTIFY_LOG"
python3 - "$NOTIFY_SOCK" "$NOTIFY_LOG" 120 <<'EOF' &
import socket, sys, time
path, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
end = time.monotonic() + limit
with open(out, "a", buffering=1) as f:
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        t = time.time()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + ".%03d" % int(t % 1 * 1000)
        parts = data.decode("utf-8", "replace").strip("\n").split("\n")
        f.write("%s %s\n" % (stamp, " | ".join(parts)))
        if "STOPPING=1" in parts:
            break
EOF
track $!
deadline=$(deadline_after 5)
until [ -S "$NOTIFY_SOCK" ]; do
	[ "$(now_ms)" -lt "$deadline" ] || hard_error "the notify listener did not bind $NOTIFY_SOCK"
	sleep 0.05
done

export NOTIFY_SOCKET=$NOTIFY_SOCK
start_server
unset NOTIFY_SOCKET

# status_after MS: the latest STATUS= text received at or after MS ('' if none).
status_after() {
	awk -v a="$(ms_stamp "$1")" 'substr($0, 1, 23) >= a' "$NOTIFY_LOG" |
		grep -o 'STATUS=[^|]*' | tail -n 1 | sed 's/ *$//'
}

# --- READY=1 once listening ------------------------------------------------
if wait_log "$NOTIFY_LOG" 'READY=1' 1 10; then
	ready_ms=$(line_ms "$WAIT_LINE")
	listen_line=$(grep -F "listening on $SERVER_IP:$PORT" "$SERVER_LOG" | head -n 1)
	listen_ms=$(line_ms "$listen_line")
	expect_range "READY=1 after the log says it listens" $((ready_ms - listen_ms)) 0 10000
	echo "$WAIT_LINE" | grep -qF 'STATUS=0 sessions: 0 active, 0 waiting to resume'
	verdict "READY=1 carries STATUS= with no session" $? "${WAIT_LINE:24}"
else
	verdict "READY=1 within 10 s" 1
fi

# --- STATUS= follows the sessions -----------------------------------------
t0=$(now_ms)
connect_client c1
if wait_log "$NOTIFY_LOG" 'STATUS=1 session: 1 active, 0 waiting to resume' 1 5; then
	verdict "STATUS= after a client connected" 0 "${WAIT_LINE:24}"
else
	verdict "STATUS= after a client connected" 1 "latest: $(status_after "$t0")"
fi

# Three logins in a row (each a new session, authenticated, no tunnel):
# changes faster than one a second, so STATUS= is rate-limited.
sleep 1.2 # past the quiet time of the last STATUS=
t_burst=$(now_ms)
for i in 1 2 3; do
	authenticate c1 || fatal "login $i failed (exit $?), see $(basename "$AUTH_LOG")"
done
t_last=$(now_ms)
it_log "3 logins in $(fmt_ms $((t_last - t_burst))) s"
want='STATUS=4 sessions: 1 active, 0 waiting to resume'
if wait_log "$NOTIFY_LOG" "$want" 1 3; then
	expect_range "the final count, after the last login" $((WAIT_MS - t_last)) "" 2500 \
		"at most one quiet time (1 s) late, polled every 50 ms"
else
	verdict "STATUS= reaches 4 sessions" 1 "latest: $(status_after "$t_burst")"
fi
# every two STATUS= at least 1 s apart (0.9: the listener's own scheduling)
gaps=$(grep 'STATUS=' "$NOTIFY_LOG" | while IFS= read -r l; do line_ms "$l"; done |
	awk 'NR > 1 { print $1 - prev } { prev = $1 }')
min_gap=$(printf '%s\n' "$gaps" | sort -n | head -n 1)
n_status=$(grep -c 'STATUS=' "$NOTIFY_LOG")
expect_range "smallest gap between two STATUS= messages ($n_status sent)" "${min_gap:-}" 900 ""

# --- reload ----------------------------------------------------------------
n_ready=$(grep -c 'READY=1' "$NOTIFY_LOG")
kill -HUP "$SERVER_PID"
if wait_log "$NOTIFY_LOG" 'RELOADING=1' 1 5 &&
	wait_log "$NOTIFY_LOG" 'READY=1' $((n_ready + 1)) 5; then
	r_line=$(grep -n 'RELOADING=1' "$NOTIFY_LOG" | head -n 1 | cut -d: -f1)
	a_line=$(grep -n 'READY=1' "$NOTIFY_LOG" | sed -n "$((n_ready + 1))p" | cut -d: -f1)
	[ "$r_line" -lt "$a_line" ]
	verdict "SIGHUP: RELOADING=1, then READY=1" $? "lines $r_line, $a_line of notify.log"
else
	verdict "SIGHUP: RELOADING=1, then READY=1" 1
fi
wait_log "$SERVER_LOG" 'reload done' 1 5
verdict "the reload itself finished" $?

# --- stop ------------------------------------------------------------------
kill -TERM "$SERVER_PID"
wait_log "$NOTIFY_LOG" 'STOPPING=1' 1 5
verdict "SIGTERM: STOPPING=1" $?
wait_exit "$SERVER_PID" 10
verdict "the gateway exits after SIGTERM" $? "exit ${EXIT_RC:-?}"
expect_eq "exit status" "${EXIT_RC:-}" 0
wait_exit "${CLI_PID[c1]}" 10 || true

# --- the journal sink: "<N>" priorities on stderr ---------------------------
JLOG=$IT_WORK/journal-stream.log
: > "$JLOG"
cp "$CONFIG" "$IT_WORK/journal.conf"
echo 'use-utmp = false' >> "$IT_WORK/journal.conf" # a warning: not implemented
ip netns exec "$NS_S" env JOURNAL_STREAM="$(stat -c '%d:%i' "$JLOG")" \
	OCSERV_MODERN_WORKER="$OCSERV_MODERN_WORKER" \
	"$SERVER_BIN" -f -c "$IT_WORK/journal.conf" >> "$JLOG" 2>&1 &
J_PID=$!
track "$J_PID"
wait_listening "$J_PID"
CLI_COOKIE[c1]=
connect_client c1
wait_log "$JLOG" '<6>ocserv-modern-worker[' 1 5
verdict "a worker's info line starts with <6>" $?
grep -q '^<6>ocserv-modern\[[0-9]*\]: info: ocserv-modern .* started' "$JLOG"
verdict "main's info line starts with <6>" $?
grep -q '^<4>ocserv-modern\[[0-9]*\]: warning: .*use-utmp' "$JLOG"
verdict "a warning starts with <4>" $?
grep -q '^<6>ocserv-modern-sm\[[0-9]*\]: ' "$JLOG"
verdict "sec-mod's lines too" $?
expect_eq "lines without a priority" "$(grep -cv '^<[0-7]>' "$JLOG")" 0
kill -TERM "$J_PID"
wait_exit "$J_PID" 10
verdict "that gateway exits after SIGTERM" $?
exit 0
