#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# connect-script and disconnect-script run once per session
# (doc/sessions.md), with ocserv's environment variable names plus
# SESSION_ID, DISCONNECT_REASON and SESSION_RESUMES:
#  1. the first CONNECT runs connect-script (REASON=connect, the user, the
#     device, both addresses, ...) before the client is let in;
#  2. a reconnect (SIGUSR2) runs neither script: the session goes on;
#  3. a detach (SIGHUP) leaves the session waiting; when cookie-timeout ends
#     it, disconnect-script runs once with DISCONNECT_REASON=cookie-expired,
#     the session's byte counters over both tunnels, and the same ID and
#     SESSION_ID as at connect;
#  4. a connect-script that exits non-zero refuses the user: the CONNECT
#     gets 401 (the client exits 2) and no disconnect-script runs;
#  5. a logout (SIGINT) runs disconnect-script with user-disconnect.
. "$(dirname "$0")/resume-lib.sh"

C=4
it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=$C
for kind in connect disconnect; do
	cat > "$IT_WORK/$kind.sh" <<-EOS
		#!/bin/sh
		n=\$(wc -l < "$IT_WORK/calls" 2> /dev/null || echo 0)
		env | sort > "$IT_WORK/$kind.env.\$((n + 1))"
		echo "$kind \${DISCONNECT_REASON:-}" >> "$IT_WORK/calls"
		[ "$kind" = connect ] && [ -e "$IT_WORK/deny" ] && exit 1
		exit 0
	EOS
	chmod 755 "$IT_WORK/$kind.sh"
	echo "$kind-script = $IT_WORK/$kind.sh" >> "$CONFIG"
done
start_server

calls() { cat "$IT_WORK/calls" 2> /dev/null | tr '\n' ',' ; }
envval() { sed -n "s/^$2=//p" "$IT_WORK/$1"; }

# --- 1
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
expect_eq "1. connect-script ran once, before the client was in" "$(calls)" "connect ,"
e=connect.env.1
expect_eq "1. REASON" "$(envval $e REASON)" connect
expect_eq "1. USERNAME" "$(envval $e USERNAME)" "$TEST_USER"
expect_eq "1. DEVICE" "$(envval $e DEVICE)" "${dev1%/*}"
expect_eq "1. IP_REAL" "$(envval $e IP_REAL)" "${CLI_IP[c1]}"
expect_eq "1. IP_REAL_LOCAL" "$(envval $e IP_REAL_LOCAL)" "$SERVER_IP"
expect_eq "1. IP_LOCAL" "$(envval $e IP_LOCAL)" "$SERVER_VPN_IP"
expect_eq "1. IP_REMOTE" "$(envval $e IP_REMOTE)" "$ip1"
expect_eq "1. VHOST" "$(envval $e VHOST)" default
id=$(envval $e ID)
sid=$(envval $e SESSION_ID)
ok=1; [[ $id =~ ^[1-9][0-9]*$ ]] && [[ $sid =~ ^[0-9a-f]{32}$ ]] && ok=0
verdict "1. ID and SESSION_ID" $ok "ID=$id SESSION_ID=$sid"
grep -q "^GROUPNAME=" "$IT_WORK/$e" && grep -q '^OCSERV_ROUTES=' "$IT_WORK/$e" &&
	grep -q '^REMOTE_HOSTNAME=' "$IT_WORK/$e"
verdict "1. GROUPNAME, REMOTE_HOSTNAME, OCSERV_ROUTES are set" $?
grep -q '^STATS_BYTES_IN=' "$IT_WORK/$e"
[ $? = 1 ]
verdict "1. no disconnect variables at connect" $?
ping_ok c1 3
verdict "1. traffic" $? "$PING_RESULT"

# --- 2
kill -USR2 "${CLI_PID[c1]}"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 10 || fatal "no reconnect after SIGUSR2"
ping_ok c1 3
verdict "2. traffic after the reconnect" $? "$PING_RESULT"
expect_eq "2. no script ran for the reconnect" "$(calls)" "connect ,"

# --- 3
kill -HUP "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running after SIGHUP"
wait_log "$SERVER_LOG" 'waits to resume' 2 5 || fatal "the session is not waiting"
# The deadline starts when sec-mod hears of the drop: after the worker's
# "tunnel ended" line, before main's "waits to resume" line (main logs
# sec-mod's news). Measured from the worker's line, the end comes at least
# cookie-timeout later, less the engine's millisecond clock (1 ms).
# (the worker logged it first: its latest such line is this drop's)
t_drop=$(line_ms "$(grep 'tunnel ended: reason=' "$SERVER_LOG" | tail -n 1)") ||
	fatal "no 'tunnel ended' line of the worker before 'waits to resume'"
expect_eq "3. nothing ran while the session waits" "$(calls)" "connect ,"
wait_log -E "$SERVER_LOG" 'session [0-9a-f]{6} of user .* ended: cookie-expired' 1 $((C + 3)) ||
	fatal "the session did not end with cookie-expired within $((C + 3)) s of waiting"
t_end=$(line_ms "$WAIT_LINE")
expect_range "3. the session ends cookie-timeout after the drop (server log)" \
	$((t_end - t_drop)) $((C * 1000 - 1)) $((C * 1000 + 1000)) "contract: at drop + cookie-timeout"
deadline=$(deadline_after 5)
while [ "$(wc -l < "$IT_WORK/calls")" -lt 2 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
expect_eq "3. disconnect-script ran once, at the session's end" "$(calls)" \
	"connect ,disconnect cookie-expired,"
e=disconnect.env.2
expect_eq "3. REASON" "$(envval $e REASON)" disconnect
expect_eq "3. DISCONNECT_REASON" "$(envval $e DISCONNECT_REASON)" cookie-expired
expect_eq "3. SESSION_RESUMES" "$(envval $e SESSION_RESUMES)" 1
expect_eq "3. same ID" "$(envval $e ID)" "$id"
expect_eq "3. same SESSION_ID" "$(envval $e SESSION_ID)" "$sid"
expect_eq "3. DEVICE" "$(envval $e DEVICE)" "${dev1%/*}"
expect_eq "3. IP_REMOTE" "$(envval $e IP_REMOTE)" "$ip1"
bin=$(envval $e STATS_BYTES_IN)
bout=$(envval $e STATS_BYTES_OUT)
dur=$(envval $e STATS_DURATION)
# 6 pings of 84 bytes each way, over two tunnels
ok=1; [ "${bin:-0}" -ge 504 ] && [ "${bout:-0}" -ge 504 ] && ok=0
verdict "3. STATS_BYTES_IN/OUT count both tunnels" $ok "in $bin, out $bout (>= 6 x 84)"
ok=1; [ "${dur:-0}" -ge $C ] && ok=0
verdict "3. STATS_DURATION covers the waiting time" $ok "$dur s"

# --- 4
touch "$IT_WORK/deny"
CLI_COOKIE[c1]=
start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "4. refused by the connect-script: client exit status" "$EXIT_RC" 2
else
	fatal "4. client still running"
fi
grep -q 'HTTP/1.1 401 ' "${CLI_LOG[c1]}"
verdict "4. the CONNECT got 401" $?
grep -q 'refused by the connect-script' "$SERVER_LOG"
verdict "4. the server logged the refusal" $?
# sec-mod ends the refused session after main's 401: wait for its line
# (bounded) instead of a fixed pause, then no script may have run for it.
wait_log "$SERVER_LOG" "ended: admin-terminate" 1 10
verdict "4. the refused session ended" $?
expect_eq "4. no disconnect-script for a session never let in" "$(calls)" \
	"connect ,disconnect cookie-expired,connect ,"

# --- 5
rm -f "$IT_WORK/deny"
CLI_COOKIE[c1]=
connect_client c1
kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running after SIGINT"
deadline=$(deadline_after 5)
while [ "$(wc -l < "$IT_WORK/calls")" -lt 5 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
expect_eq "5. logout: disconnect-script with user-disconnect" "$(calls)" \
	"connect ,disconnect cookie-expired,connect ,connect ,disconnect user-disconnect,"
alive "$SERVER_PID"
verdict "server still running" $?
