#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# occtl-modern follows one session of the real openconnect client
# through its life, and every `show` command's --json output is strict JSON.
#
#   SESSION STATE      WHAT IS CHECKED
#   active             after the login: one connection, its tunnel's live
#                      DPD figures (a fresh snapshot from the worker)
#   waiting-to-resume  the network is cut (dpd = D = 3): drop reason
#                      dpd-timeout, resume deadline = drop + cookie-timeout,
#                      remaining time to the second
#   active             the cut is lifted: the client resumes by itself
#                      (resumes = 1, the same address, drop reason kept)
#   ended              occtl terminate session: the client is told, the
#                      session shows ended with admin-terminate
. "$(dirname "$0")/occtl-lib.sh"

D=3
C=60   # cookie-timeout: how long the session may wait
occtl_preconditions
it_setup 1
write_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=$C
start_server
connect_client c1 --reconnect-timeout 120
ip1=${CLI_VPNIP[c1]}

# --- active --------------------------------------------------------------
occtl show status
verdict "occtl show status exits 0" $? "$(head -c 200 "$OCCTL_ERR")"
grep -q '^Status: online$' "$OCCTL_OUT"
verdict "show status says online" $?
occtl_json show status
expect_eq "status: active sessions" "$(jget 'd["Active sessions"]')" 1
expect_eq "status: server PID is the server's" "$(jget 'd["Server PID"]')" "$SERVER_PID"
smpid=$(jget 'd["Sec-mod PID"]')
ok=1; [[ $smpid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$smpid/stat" 2> /dev/null | awk '{ print $4 }')" = "$SERVER_PID" ] && ok=0
verdict "status: sec-mod PID is a child of the server" $ok "$smpid"

occtl_json show users || fatal "show users failed"
expect_eq "one connection" "$(jget 'len(d)')" 1
expect_eq "its user" "$(jget 'd[0]["Username"]')" "$TEST_USER"
expect_eq "its state" "$(jget 'd[0]["State"]')" connected
expect_eq "its VPN address" "$(jget 'd[0]["IPv4"]')" "$ip1"
expect_eq "its remote address" "$(jget 'd[0]["Remote IP"]')" "${CLI_IP[c1]}"
id=$(jget 'd[0]["ID"]')
sid=$(jget 'd[0]["Full session"]')
sid6=${sid:0:6}
it_log "connection id $id, session $sid"
ok=1; [[ $sid =~ ^[A-Za-z0-9_-]{12,}$ ]] && [ "$(jget 'd[0]["Session"]')" = "$sid6" ] && ok=0
verdict "full and short session id" $ok "$sid / $(jget 'd[0]["Session"]')"
occtl show users
head -n 1 "$OCCTL_OUT" | grep -qE '^ +id +user '
verdict "show users (text) has its header" $?
grep -qE "^ *$id +$TEST_USER .* connected " "$OCCTL_OUT"
verdict "show users (text) lists the connection" $?

occtl_json show user "$TEST_USER"
expect_eq "show user: the same connection" "$(jget 'd[0]["ID"]')" "$id"
# A ping just before: the worker's last CSTP rx is at the earliest its first
# request, at the latest the snapshot itself.
t_ping=$(now_ms)
ping_ok c1 1 || verdict "ping before show id" 1 "$PING_RESULT"
occtl_json show id "$id"
now_s=$(( ($(now_ms) + 999) / 1000 ))
expect_eq "show id: fresh snapshot from the worker" "$(jget 'd[0]["Stats fresh"]')" true
expect_eq "effective DPD" "$(jget 'd[0]["DPD"]')" "$D"
expect_eq "raw DPD" "$(jget 'd[0]["raw_dpd"]')" "$D"
expect_eq "timers from" "$(jget 'd[0]["Timers from"]')" global
expect_eq "data path" "$(jget 'd[0]["Data path"]')" cstp
expect_eq "CSTP DPD state" "$(jget 'd[0]["CSTP DPD state"]')" watching
rx=$(jget 'd[0]["raw_cstp_last_rx"]')
expect_int_range "CSTP last rx between the ping and the snapshot (epoch s)" "$rx" \
	$((t_ping / 1000)) "$now_s"
nxt=$(jget 'd[0]["raw_cstp_next_dpd"]')
expect_int_range "next DPD probe at last rx + 2D (epoch s)" "$((nxt - rx))" $((2 * D - 1)) $((2 * D + 1))
expect_eq "DPD RTT key present" "$(jget '"CSTP DPD RTT" in d[0]')" true
expect_eq "session state of the connection" "$(jget 'd[0]["Session state"]')" active

occtl_json show sessions valid
expect_eq "one valid session" "$(jget 'len(d)')" 1
occtl_json show sessions all
occtl_json show ip bans
expect_eq "no bans" "$(jget 'len(d)')" 0
occtl_json show session "$sid6"
expect_eq "session: active" "$(jget 'd[0]["State"]')" active
expect_eq "session: full id" "$(jget 'd[0]["Full session"]')" "$sid"
expect_eq "session: no resume deadline while active" "$(jget 'd[0]["raw_resume_remaining"]')" null
expect_eq "session: resumes" "$(jget 'd[0]["Resumes"]')" 0
expect_eq "session: drop reason" "$(jget 'd[0]["Drop reason"]')" none
expect_eq "session: its connection" "$(jget 'd[0]["Connection"]["ID"]')" "$id"
expect_eq "session: in use" "$(jget 'd[0]["in_use"]')" true

# --- waiting-to-resume ----------------------------------------------------
cut_on c1 all
t_cut=$(now_ms)
it_log "network cut"
wait_log "$SERVER_LOG" 'waits to resume' 1 $((3 * D + 5)) ||
	fatal "the session is not waiting to resume $((3 * D + 5)) s after the cut"
t_wait=$(line_ms "$WAIT_LINE")
wait_session_state "$sid6" waiting-to-resume 3 || verdict "occtl shows waiting-to-resume" 1
t_q=$(now_ms)
occtl_json show session "$sid6"
t_q1=$(now_ms)
expect_eq "waiting: state" "$(jget 'd[0]["State"]')" waiting-to-resume
expect_eq "waiting: drop reason" "$(jget 'd[0]["Drop reason"]')" dpd-timeout
expect_eq "waiting: not in use" "$(jget 'd[0]["in_use"]')" false
expect_eq "waiting: no connection" "$(jget '"Connection" in d[0]')" false
drop=$(jget 'd[0]["raw_last_drop"]')
dl=$(jget 'd[0]["raw_resume_deadline"]')
left=$(jget 'd[0]["raw_resume_remaining"]')
expect_int_range "resume deadline = last drop + cookie-timeout (s)" "$((dl - drop))" $((C - 1)) $((C + 1))
expect_int_range "last drop = the server's waits-to-resume line (s)" \
	"$((drop - t_wait / 1000))" -1 1
# remaining, to the second: C minus the time since the drop, read by the
# server between t_q and t_q1 (rounded either way)
expect_int_range "resume remaining to the second" "$left" \
	$(( C - (t_q1 - t_wait + 999) / 1000 - 1 )) $(( C - (t_q - t_wait) / 1000 + 1 ))
expect_eq "waiting: session deadline (none configured)" "$(jget 'd[0]["raw_session_remaining"]')" null
grep -q "$(date -d "@$dl" '+%Y-%m-%d %H:%M:%S')" "$OCCTL_OUT"
verdict "the human-readable resume deadline is the raw one" $?
occtl show session "$sid6"
grep -qE '^	State: waiting-to-resume$' "$OCCTL_OUT" &&
	grep -qE '^	Resume remaining: ([0-9]+m )?[0-9]+s( \([0-9]+ s\))?$' "$OCCTL_OUT"
verdict "show session (text): state and remaining" $?
occtl_json show users
expect_eq "no connection while waiting" "$(jget 'len([c for c in d if c.get("Full session") == "'"$sid"'"])')" 0
occtl_json show status
expect_eq "status: waiting to resume" "$(jget 'd["Sessions waiting to resume"]')" 1
expect_eq "status: DPD timeouts" "$(jget 'd["DPD timeouts"]')" 1

# --- active again ---------------------------------------------------------
cut_off c1
t_restore=$(now_ms)
it_log "network restored after $(fmt_ms $((t_restore - t_cut))) s"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 45 || fatal "the client did not reconnect within 45 s"
wait_session_state "$sid6" active 5 || verdict "occtl shows active again" 1
occtl_json show session "$sid6"
expect_eq "resumed: state" "$(jget 'd[0]["State"]')" active
expect_eq "resumed: resumes" "$(jget 'd[0]["Resumes"]')" 1
expect_eq "resumed: the last drop's reason is kept" "$(jget 'd[0]["Drop reason"]')" dpd-timeout
expect_eq "resumed: no resume deadline" "$(jget 'd[0]["raw_resume_remaining"]')" null
expect_eq "resumed: the same address" "$(jget 'd[0]["IPv4"]')" "$ip1"
id2=$(jget 'd[0]["Connection"]["ID"]')
ok=1; [[ $id2 =~ ^[0-9]+$ ]] && [ "$id2" != "$id" ] && ok=0
verdict "resumed on a new connection (worker)" $ok "$id -> $id2"
occtl_json show status
expect_eq "status: resumes" "$(jget 'd["Resumes"]')" 1
expect_eq "status: active sessions" "$(jget 'd["Active sessions"]')" 1

# --- ended ----------------------------------------------------------------
occtl terminate session "$sid6"
verdict "terminate session exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_log "${CLI_LOG[c1]}" "Received server disconnect: b0" 1 10
verdict "the client was told (server disconnect)" $?
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "the client exits after the terminate, with status 1" "$EXIT_RC" 1
else
	verdict "the client exits after the terminate" 1
fi
wait_session_state "$sid6" ended 5 || verdict "occtl shows ended" 1
occtl_json show sessions all
expect_eq "ended: state" "$(jget '[s for s in d if s["Full session"] == "'"$sid"'"][0]["State"]')" ended
expect_eq "ended: end reason" \
	"$(jget '[s for s in d if s["Full session"] == "'"$sid"'"][0]["End reason"]')" admin-terminate
occtl_json show sessions valid
expect_eq "an ended session is not valid" "$(jget 'len(d)')" 0
occtl_json show session "$sid6"
ok=1; [ "$(jget 'd[0]["raw_ended_at"]')" -ge $((t_restore / 1000)) ] 2> /dev/null && ok=0
verdict "ended: the end time" $ok "$(jget 'd[0]["Ended at"]')"
occtl_json show users
expect_eq "no connection left" "$(jget 'len([c for c in d if c["State"] == "connected"])')" 0
alive "$SERVER_PID"
verdict "server still running" $?
