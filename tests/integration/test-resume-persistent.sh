#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# persistent-cookies (doc/spec/liveness.md §2.1, §5): with
# persistent-cookies = true an idle timeout ends the tunnel (the client is
# told "idle timeout" and exits 1) but not the session: it waits to be
# resumed, and a new client with the same cookie gets the same address on
# the same device without a login. Without it (the default, and
# test-idle-timeout) the same idle timeout ends the session.
. "$(dirname "$0")/resume-lib.sh"

I=3
it_setup 1
write_config DPD=10 KEEPALIVE=30 IDLE_TIMEOUT=$I COOKIE_TIMEOUT=60
sed -i 's/^persistent-cookies = .*/persistent-cookies = true/' "$CONFIG"
start_server
connect_client c1
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
ping_ok c1 1
verdict "ping before going idle" $? "$PING_RESULT"
logins_before=$(logins)

want=$(server_disconnect_line "idle timeout")
wait_log "${CLI_LOG[c1]}" "$want" 1 $((I + 5)) || fatal "no \"$want\" within $((I + 5)) s"
if wait_exit "${CLI_PID[c1]}" 5; then
	expect_eq "client exit status after the idle timeout" "$EXIT_RC" 1
else
	verdict "client exits after the idle timeout" 1
fi
grep -qE 'tunnel ended: reason=idle-timeout ' "$SERVER_LOG"
verdict "the tunnel ended with idle-timeout" $?
wait_log "$SERVER_LOG" 'waits to resume' 1 3
verdict "with persistent-cookies the session waits to resume" $?
grep -qE 'ended: idle-timeout' "$SERVER_LOG"
[ $? = 1 ]
verdict "the session did not end" $?

start_client c1
wait_connected c1
expect_eq "same address after the resume" "${CLI_VPNIP[c1]}" "$ip1"
expect_eq "same server device" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no login" "$(logins)" "$logins_before"
ping_ok c1 2
verdict "ping after the resume" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
