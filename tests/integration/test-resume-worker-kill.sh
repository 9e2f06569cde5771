#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A worker that dies (doc/spec/liveness.md §2.1): SIGKILL to the worker
# serving the tunnel. Main reaps it, ends the tunnel as worker-crashed and
# the session waits to resume with its address and device; the client sees
# its connection close, reconnects by itself with the cookie and gets the
# same address on the same device, without a login.
. "$(dirname "$0")/resume-lib.sh"

it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
ping_ok c1 2
verdict "ping before the kill" $? "$PING_RESULT"
logins_before=$(logins)

# main logs "connection from IP port N: worker PID" per connection: the
# client's CONNECT came on the last one.
wpid=$(grep -F "connection from ${CLI_IP[c1]} port" "$SERVER_LOG" | tail -n 1 | sed -nE 's/.*: worker ([0-9]+)$/\1/p')
[ -n "$wpid" ] || hard_error "no worker PID in the server log"
in_server kill -0 "$wpid" || hard_error "worker $wpid is not running"
it_log "killing worker $wpid"
kill -KILL "$wpid"

if wait_log "$SERVER_LOG" 'worker-crashed' 1 5; then
	verdict "main noticed the worker's death" 0 "${WAIT_LINE#*: }"
else
	verdict "main noticed the worker's death (worker-crashed)" 1
fi
if wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 20; then
	verdict "the client reconnected by itself" 0
else
	fatal "no second 'CSTP connected.' within 20 s of the kill"
fi
grep -qE '(waits to resume|takeover session)' "$SERVER_LOG"
verdict "the session was kept" $?
alive "${CLI_PID[c1]}"
verdict "the same client process" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "the client saw the same address and netmask" $?
expect_eq "server device" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no login" "$(logins)" "$logins_before"
ping_ok c1 3
verdict "ping after the resume" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
