#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# occtl-modern's actions and exit statuses against the real gateway
# and the real openconnect client.
#
#   SCENARIO          WHAT IS CHECKED
#   errors            no server / unknown command / unknown user, session,
#                     id: non-zero exit, a message, no JSON on stdout
#   bans              two wrong passwords ban the client; show ip bans lists
#                     it with its remaining time; unban ip lifts it
#   disconnect id     ends a live tunnel: the client is told and exits, the
#                     session ends with admin-disconnect
#   terminate session on a session waiting to resume (client killed): ended
#                     with admin-terminate, and a later resume with its
#                     cookie gets 401 (the client exits 2)
#   terminate user, disconnect user, reload (good and bad file), the prompt,
#   stop now
. "$(dirname "$0")/occtl-lib.sh"

BAN_TIME=300
occtl_preconditions
it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60 MAX_BAN_SCORE=20 BAN_TIME=$BAN_TIME
start_server

# --- errors ------------------------------------------------------------------
"$OCCTL_BIN" -s "$IT_WORK/nonexistent.sock" show status > "$IT_WORK/o.out" 2> "$IT_WORK/o.err"
rc=$?
expect_eq "no server: exit status" "$rc" 1
grep -q 'cannot connect to' "$IT_WORK/o.err"
verdict "no server: says so" $? "$(cat "$IT_WORK/o.err")"
occtl frobnicate
expect_eq "unknown command: exit status 2" "$OCCTL_RC" 2
grep -q "unknown command 'frobnicate'" "$OCCTL_ERR"
verdict "unknown command: says so" $? "$(cat "$OCCTL_ERR")"
occtl show user
expect_eq "missing argument: exit status 2" "$OCCTL_RC" 2
occtl -j show user nosuchuser
expect_eq "unknown user: exit status 1" "$OCCTL_RC" 1
grep -q "user 'nosuchuser' has no connection" "$OCCTL_ERR"
verdict "unknown user: says so" $? "$(cat "$OCCTL_ERR")"
expect_eq "unknown user: nothing on stdout" "$(wc -c < "$OCCTL_OUT")" 0
occtl show session zzzzzzzz
expect_eq "unknown session: exit status 1" "$OCCTL_RC" 1
occtl show session abc
expect_eq "too short a session id: exit status 1" "$OCCTL_RC" 1
occtl disconnect id 999999
expect_eq "unknown connection id: exit status 1" "$OCCTL_RC" 1
occtl_json show users
expect_eq "no users: an empty JSON array" "$(tr -d ' \n' < "$OCCTL_OUT")" "[]"
occtl show users
expect_eq "no users: no text at all (as occtl)" "$(wc -c < "$OCCTL_OUT")" 0

# A client that is not occtl-modern: requests without their argument or of
# an unknown type get an error reply; an impossible length closes the
# connection; the server serves on.
raw=$(python3 - "$IT_WORK/occtl.sock" <<-'PY'
	import socket, struct, sys
	def ask(frame):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.settimeout(5)
	    s.connect(sys.argv[1])
	    s.sendall(frame)
	    data = b""
	    try:
	        while True:
	            chunk = s.recv(65536)
	            if not chunk:
	                break
	            data += chunk
	            if len(data) >= 5 and len(data) >= 5 + struct.unpack(">I", data[1:5])[0]:
	                break
	    except socket.timeout:
	        return "timeout"
	    s.close()
	    if not data:
	        return "closed"
	    # CtlReply field 1 (ok) comes first: 0x08 then the bool
	    return "%d:%s" % (data[0], "ok" if data[5:7] == b"\x08\x01" else "error")
	print(ask(bytes([5, 0, 0, 0, 0])),          # show user without a name
	      ask(bytes([99, 0, 0, 0, 0])),         # no such command
	      ask(bytes([1, 0xff, 0xff, 0xff, 0xff])),  # 4 GiB request
	      ask(bytes([1, 0, 0, 0, 0])))          # show status still works
	PY
)
expect_eq "raw client: missing argument, unknown type, huge length, then status" \
	"$raw" "105:error 199:error closed 101:ok"

# --- bans ----------------------------------------------------------------------
authenticate c1 "$TEST_USER" wrong1
authenticate c1 "$TEST_USER" wrong2
occtl_json show ip bans
expect_eq "one banned address" "$(jget 'len(d)')" 1
expect_eq "the client's address" "$(jget 'd[0]["IP"]')" "${CLI_IP[c1]}"
expect_int_range "ban remaining (s)" "$(jget 'd[0]["raw_ban_remaining"]')" $((BAN_TIME - 10)) $BAN_TIME
authenticate c1
expect_eq "a banned client cannot log in" $? 1
occtl unban ip "${CLI_IP[c1]}"
verdict "unban ip exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
occtl_json show ip bans
expect_eq "no banned address after unban" "$(jget 'len(d)')" 0
occtl unban ip "${CLI_IP[c1]}"
expect_eq "unban of an address not listed: exit status 1" "$OCCTL_RC" 1
occtl unban ip not-an-address
expect_eq "unban of garbage: exit status 1" "$OCCTL_RC" 1

# --- disconnect id: a live tunnel ends -------------------------------------------
connect_client c1
occtl_json show users
id=$(jget 'd[0]["ID"]')
sid=$(jget 'd[0]["Full session"]')
occtl disconnect id "$id"
verdict "disconnect id exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_log "${CLI_LOG[c1]}" "Received server disconnect: b0" 1 10
verdict "disconnect id: the client is told" $? "$(grep -F 'server disconnect' "${CLI_LOG[c1]}")"
wait_exit "${CLI_PID[c1]}" 10
verdict "disconnect id: the client exits" $? "exit ${EXIT_RC:-?}"
server_tunnel_end admin-disconnect 5
verdict "disconnect id: the worker ends the tunnel with admin-disconnect" $?
wait_session_state "${sid:0:6}" ended 5
verdict "disconnect id: the session ends (persistent-cookies = false)" $?
expect_eq "disconnect id: end reason" "$(jget 'd[0]["End reason"]')" admin-disconnect

# --- terminate session on a waiting session: its cookie then gets 401 ------------
get_cookie c1
connect_client c1
occtl_json show users
sid=$(jget 'd[0]["Full session"]')
kill -KILL "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 5
wait_session_state "${sid:0:6}" waiting-to-resume 10 ||
	fatal "the session of the killed client is not waiting to resume"
expect_eq "waiting: drop reason" "$(jget 'd[0]["Drop reason"]')" tunnel-lost
occtl terminate session "${sid:0:8}"
verdict "terminate session (waiting) exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_session_state "${sid:0:6}" ended 5
verdict "terminated: state ended" $?
expect_eq "terminated: end reason" "$(jget 'd[0]["End reason"]')" admin-terminate
occtl terminate session "${sid:0:6}"
expect_eq "terminate of an ended session: exit status 1" "$OCCTL_RC" 1
n401=$(grep -c ': 401' "$SERVER_LOG")
start_client c1   # the same cookie: a resume attempt
if wait_exit "${CLI_PID[c1]}" 20; then
	expect_eq "resume after terminate: the client gives up with exit 2" "$EXIT_RC" 2
else
	verdict "resume after terminate: the client gives up" 1 "still running after 20 s"
fi
grep -q 'Cookie was rejected by server' "${CLI_LOG[c1]}"
verdict "resume after terminate: the cookie is rejected" $?
expect_eq "resume after terminate: the server answered 401" \
	"$(( $(grep -c ': 401' "$SERVER_LOG") - n401 ))" 1

# --- terminate user, disconnect user ---------------------------------------------
get_cookie c1
connect_client c1
occtl terminate user "$TEST_USER"
verdict "terminate user exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
grep -q "1 session of user '$TEST_USER' terminated" "$OCCTL_OUT"
verdict "terminate user says how many" $? "$(cat "$OCCTL_OUT")"
wait_exit "${CLI_PID[c1]}" 10
verdict "terminate user: the client exits" $?
get_cookie c1
connect_client c1
occtl disconnect user "$TEST_USER"
verdict "disconnect user exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_exit "${CLI_PID[c1]}" 10
verdict "disconnect user: the client exits" $?
occtl disconnect user "$TEST_USER"
expect_eq "disconnect user without connections: exit status 1" "$OCCTL_RC" 1
occtl_json show status
expect_eq "status: authentication failures" "$(jget 'd["Total authentication failures"]')" 2

# --- reload ---------------------------------------------------------------------
occtl reload
verdict "reload exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_log "$SERVER_LOG" 'reload done' 1 3
verdict "the server reloaded" $?
cp "$CONFIG" "$IT_WORK/server.conf.good"
echo 'dpd = soon' >> "$CONFIG"
occtl reload
expect_eq "reload of a broken file: exit status 1" "$OCCTL_RC" 1
grep -q 'reload failed' "$OCCTL_ERR"
verdict "reload of a broken file: says so" $? "$(cat "$OCCTL_ERR")"
cp "$IT_WORK/server.conf.good" "$CONFIG"

# --- the prompt (commands on standard input) -----------------------------------
printf 'help\nshow status\n\nexit\nshow users\n' |
	timeout 10 "$OCCTL_BIN" -s "$IT_WORK/occtl.sock" > "$IT_WORK/prompt.out" 2>&1
expect_eq "prompt: exit status" $? 0
grep -q '^Status: online$' "$IT_WORK/prompt.out" && grep -q 'show sessions' "$IT_WORK/prompt.out"
verdict "prompt: help and show status ran" $? "$(head -c 300 "$IT_WORK/prompt.out")"

# --- stop now -------------------------------------------------------------------
occtl stop now
verdict "stop now exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
if wait_exit "$SERVER_PID" 10; then
	expect_eq "the server stopped cleanly" "$EXIT_RC" 0
else
	verdict "the server stops within 10 s of stop now" 1
fi
[ ! -e "$IT_WORK/occtl.sock" ]
verdict "the control socket is removed" $?
