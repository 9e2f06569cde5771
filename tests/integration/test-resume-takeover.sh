#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Takeover (doc/spec/liveness.md §2.1, doc/spec/interop.md §5.5): the cookie of an
# active session presented by a second client (another namespace, another
# source address: a roaming laptop whose old connection still looks alive).
# The new connection gets the session with the same address and device, no
# login; the old client is told to go (DISCONNECT 0xb0) and exits 1.
. "$(dirname "$0")/resume-lib.sh"

it_setup 2
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
ping_ok c1 2
verdict "c1 pings" $? "$PING_RESULT"
logins_before=$(logins)

CLI_COOKIE[c2]=${CLI_COOKIE[c1]}
start_client c2
wait_connected c2
expect_eq "c2 got the session's address" "${CLI_VPNIP[c2]}" "$ip1"
expect_eq "server device" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no login" "$(logins)" "$logins_before"
if wait_log "${CLI_LOG[c1]}" 'Received server disconnect' 1 5; then
	verdict "c1 told to go" 0 "${WAIT_LINE#* \[*\] }"
else
	verdict "c1 told to go (Received server disconnect)" 1
fi
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "c1 exit status" "$EXIT_RC" 1
else
	verdict "c1 exits" 1 "still running"
fi
grep -qE "session [0-9a-f]{6} of user 'test' taken over by ${CLI_IP[c2]}" "$SERVER_LOG"
verdict "the server logged the takeover" $?
grep -qE 'tunnel ended: reason=takeover ' "$SERVER_LOG"
verdict "c1's tunnel ended with reason takeover" $?
ping_ok c2 3
verdict "c2 pings through the session" $? "$PING_RESULT"
grep -qE 'session [0-9a-f]{6} .* ended' "$SERVER_LOG"
[ $? = 1 ]
verdict "the session did not end" $?
alive "$SERVER_PID"
verdict "server still running" $?
