#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Resume after a detach (doc/spec/liveness.md §2): openconnect on SIGHUP
# closes its connection without a BYE and exits 0. The session waits to be
# resumed: the server keeps the client's address and (keep-tun-on-resume,
# the default) its tun device, with the route to the client. A new
# openconnect --cookie-on-stdin with the same cookie gets the same address
# on the same device without logging in again, and traffic flows.
# Then keep-tun-on-resume = false (reloaded with SIGHUP): after the next
# detach the device goes, the address stays, and the resume gets the same
# address on a new device.
. "$(dirname "$0")/resume-lib.sh"

C=30
it_setup 1
write_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=$C
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
it_log "server device for $ip1: $dev1 (name/ifindex)"
[ -n "$dev1" ] || fatal "no server tun device with peer $ip1"
ping_ok c1 3
verdict "ping before the detach" $? "$PING_RESULT"

kill -HUP "${CLI_PID[c1]}"
if wait_exit "${CLI_PID[c1]}" 10; then
	expect_eq "client exit status after SIGHUP (detach)" "$EXIT_RC" 0
else
	fatal "client still running 10 s after SIGHUP"
fi
if wait_log "$SERVER_LOG" 'waits to resume' 1 5; then
	verdict "the server keeps the session" 0 "${WAIT_LINE#*: }"
else
	verdict "the server keeps the session (waits to resume)" 1
fi
grep -qE 'tunnel ended: reason=tunnel-lost ' "$SERVER_LOG"
verdict "the tunnel ended as tunnel-lost (no BYE)" $?

# While nobody is connected: device, address and route stay.
sleep 1
expect_eq "device kept while waiting" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "route to $ip1 kept while waiting" "$(server_route_dev "$ip1")" "${dev1%/*}"

logins_before=$(logins)
start_client c1
wait_connected c1
expect_eq "same VPN address after the resume" "${CLI_VPNIP[c1]}" "$ip1"
expect_eq "same server device after the resume" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no new login (server-side authentications)" "$(logins)" "$logins_before"
grep -qE 'resume session [0-9a-f]{6} .*\(kept device\)' "$SERVER_LOG"
verdict "the server logged a resume on the kept device" $?
grep -qE 'Please enter your username|POST https' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "the client did not authenticate again"  $?
ping_ok c1 3
verdict "ping after the resume" $? "$PING_RESULT"

# --- keep-tun-on-resume = false
echo "keep-tun-on-resume = false" >> "$CONFIG"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" 'reload: keep-tun-on-resume true -> false' 1 5
verdict "reload: keep-tun-on-resume true -> false" $?
kill -HUP "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running 10 s after SIGHUP"
wait_log "$SERVER_LOG" 'waits to resume' 2 5 || fatal "no second 'waits to resume'"
wait_no_dev "$ip1" 3
verdict "keep-tun-on-resume = false: no device while waiting" $? "$(server_dev_of "$ip1")"
start_client c1
wait_connected c1
expect_eq "keep-tun-on-resume = false: same VPN address" "${CLI_VPNIP[c1]}" "$ip1"
dev3=$(server_dev_of "$ip1")
ok=1; [ -n "$dev3" ] && [ "$dev3" != "$dev1" ] && ok=0
verdict "keep-tun-on-resume = false: a new device" $ok "$dev1 -> $dev3"
expect_eq "keep-tun-on-resume = false: no new login" "$(logins)" "$logins_before"
ping_ok c1 3
verdict "ping after the second resume" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
