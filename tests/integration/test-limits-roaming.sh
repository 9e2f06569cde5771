#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deny-roaming = true (doc/security.md): the cookie c1 got at its login is
# refused from c2's address (a takeover attempt: 401, logged, c1's tunnel
# goes on), and accepted again from c1's own address once c1's client was
# killed (a resume: same VPN address, no login).
. "$(dirname "$0")/resume-lib.sh"

it_setup 2
write_config DPD=10 COOKIE_TIMEOUT=60
echo "deny-roaming = true" >> "$CONFIG"
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
logins_before=$(logins)

CLI_COOKIE[c2]=${CLI_COOKIE[c1]}
start_client c2
if wait_exit "${CLI_PID[c2]}" 20; then
	verdict "c2's client gives up" 0 "exit $EXIT_RC"
else
	verdict "c2's client gives up" 1 "still running"
fi
n=$(client_count c2 "401")
ok=1; [ "$n" -ge 1 ] && ok=0
verdict "c2's CONNECT was answered 401" $ok "$(grep -m1 '401' "${CLI_LOG[c2]}")"
grep -qE "refused: deny-roaming \\(logged in from ${CLI_IP[c1]}\\)" "$SERVER_LOG"
verdict "the server logged the refusal" $?
n=$(server_count "taken over by")
expect_eq "takeovers" "$n" 0
ping_ok c1 3
verdict "c1's tunnel still pings" $? "$PING_RESULT"

# a resume from the same address
kill -KILL "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 5 || fatal "c1's client did not die"
connect_client c1
expect_eq "c1 resumed with the session's address" "${CLI_VPNIP[c1]}" "$ip1"
expect_eq "no login" "$(logins)" "$logins_before"
ping_ok c1 3
verdict "c1's resumed tunnel pings" $? "$PING_RESULT"
