#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What a client sends never reaches the log as it is. A raw TLS client
# (rawtls.py login-control-chars) logs in with a user name that carries a
# newline followed by a forged log line, the C1 control CSI (U+009B), a
# right-to-left override (U+202E) and a carriage return. Checks:
#   - the login gets 401 and the server runs on;
#   - main and the worker log the name with each of those bytes as \xNN
#     (src/common/log.h, log_escape), and no log line starts with the forged
#     text, no raw CR, CSI or override byte is in the log;
#   - the login scores ban points: with max-ban-score 11, the connection's
#     point and BAN_POINTS_CONTROL_CHARS (10) ban the address at once, and
#     occtl-modern -j show ip bans lists it;
#   - once unbanned, the real client logs in from the same address.
. "$(dirname "$0")/occtl-lib.sh"

occtl_preconditions
it_setup 1
write_config DPD=10 KEEPALIVE=30 MAX_BAN_SCORE=11
start_server

out=$(in_client c1 timeout 20 python3 "$IT_DIR/rawtls.py" --host "$SERVER_IP" --port "$PORT" \
	--ca "$IT_WORK/server-cert.pem" --timeout 5 login-control-chars 2>&1)
it_log "rawtls: $out"
[[ $out == *"'HTTP/1.1 401"* ]]
verdict "the login with control characters gets 401" $? "$out"

escaped="evil\\x0a2026-01-01 00:00:00.000 ocserv-modern[1]: info: user 'admin' logged in\\xc2\\x9b31m\\xe2\\x80\\xae\\x0d"
wait_log "$SERVER_LOG" "refused: user name '$escaped' or group '' has control characters (+10 ban points)" 1 5
verdict "main logs the user name escaped, with the ban points" $? \
	"$(grep -F 'has control characters' "$SERVER_LOG" | tail -n 1)"
wait_log "$SERVER_LOG" "login of '$escaped' from ${CLI_IP[c1]} failed" 1 5
verdict "the worker logs the user name escaped" $? \
	"$(grep -F 'login of ' "$SERVER_LOG" | tail -n 1)"
n=$(grep -c '^2026-01-01 00:00:00' "$SERVER_LOG")
expect_eq "no log line starts with the forged text" "$n" 0
n=$(LC_ALL=C grep -c $'\r\\|\xc2\x9b\\|\xe2\x80\xae' "$SERVER_LOG")
expect_eq "no raw CR, CSI or right-to-left override in the log" "$n" 0

wait_log "$SERVER_LOG" "address ${CLI_IP[c1]} banned" 1 5
verdict "1 point for the connection + 10 for the control characters: banned" $?
occtl_json show ip bans
expect_eq "the address is in the ban list" "$(jget 'd[0]["IP"]')" "${CLI_IP[c1]}"
occtl unban ip "${CLI_IP[c1]}"
verdict "unban ip exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"

connect_client c1
client_ping c1 3
verdict "the real client logs in and pings from the same address" $?
alive "$SERVER_PID"
verdict "server still running" $?
