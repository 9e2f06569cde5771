#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Immediate reconnect (doc/spec/interop.md §9.5): openconnect on SIGUSR2
# closes its TLS connection without a BYE and reconnects at once with the
# same cookie. The server attaches the new connection to the same session:
# a second "CSTP connected." within 3 s, same address, same device on both
# sides, no login, traffic flows; the session's resume count rises.
. "$(dirname "$0")/resume-lib.sh"

it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
ctun1=$(in_client c1 cat /sys/class/net/tun0/ifindex)
ping_ok c1 2
verdict "ping before SIGUSR2" $? "$PING_RESULT"
logins_before=$(logins)

t_sig=$(now_ms)
kill -USR2 "${CLI_PID[c1]}"
if wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 10; then
	t_conn=$(line_ms "$WAIT_LINE") || t_conn=$WAIT_MS
	expect_range "reconnected after SIGUSR2" $((t_conn - t_sig)) "" 3000
else
	fatal "no second 'CSTP connected.' within 10 s of SIGUSR2"
fi
alive "${CLI_PID[c1]}"
verdict "the same client process" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "the client saw the same address and netmask" $?
expect_eq "client tun0 kept (ifindex)" "$(in_client c1 cat /sys/class/net/tun0/ifindex)" "$ctun1"
expect_eq "server device" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no login" "$(logins)" "$logins_before"
# The old connection's end usually reaches main first (resume); if the new
# CONNECT wins the race it is a takeover of the still-active session. Both
# keep the session, its address and its device.
if wait_log -E "$SERVER_LOG" '(resume|takeover) session [0-9a-f]{6} ' 1 3; then
	verdict "the server attached the new connection to the session" 0 "${WAIT_LINE#*info: }"
else
	verdict "the server attached the new connection to the session" 1
fi
ping_ok c1 3
verdict "ping after SIGUSR2" $? "$PING_RESULT"

# Twice more: every reconnect is accepted.
for i in 3 4; do
	kill -USR2 "${CLI_PID[c1]}"
	wait_log "${CLI_LOG[c1]}" 'CSTP connected.' $i 10
	verdict "reconnect $((i - 1)) accepted" $?
done
ping_ok c1 2
verdict "ping after the last reconnect" $? "$PING_RESULT"
expect_eq "still the same server device" "$(server_dev_of "$ip1")" "$dev1"
alive "$SERVER_PID"
verdict "server still running" $?
