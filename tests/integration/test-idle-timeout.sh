#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Idle-timeout = I = 8. After the last user packet (the reply to a final
# ping) nothing but DPD flows (dpd = 2, so the client probes every 2 s: DPD
# is not user data and must not hold the tunnel open). The server must end
# the tunnel at I; the client logs
#   Received server disconnect: b0 'idle timeout'
# and exits 1. The cookie is then dead (the session ended: doc/spec/liveness.md §2.1).
#
# Measurement and tolerance: the last user packet is the echo reply, which
# the server read from its tun between t_before (just before the final ping
# was sent) and t_after (just after the client got the reply). The client's
# disconnect line is stamped by the harness when it reads it (ms, a few ms
# after the event). So:
#   not early:  stamp - t_before >= I        (holds for any correct server)
#   on time:    stamp - t_after  <= I + 1.5  (bound 9.5 s: event-loop
#               latency, TLS/veth delivery and the harness' log reading)
. "$(dirname "$0")/lib.sh"

I=8
it_setup 1
write_config DPD=2 KEEPALIVE=30 IDLE_TIMEOUT=$I
start_server
connect_client c1
client_ping c1 3 || verdict "ping through the tunnel" 1
sleep 1
idle_end c1 $I "idle-timeout"
line=$WAIT_LINE
t_after=$IDLE_T_AFTER
t_end=$IDLE_T_END
cts=$(client_ts_s "$line") && it_log "client's own --timestamp: $(date -d "@$cts" +%T) (whole seconds)"

# DPD kept flowing during the idle period, and did not count as activity.
n=$(count_lines_between "${CLI_LOG[c1]}" 'Send CSTP DPD|Got CSTP DPD response' "$t_after" "$t_end")
ok=1; [ "$n" -ge 4 ] && ok=0
verdict "DPD requests and responses flowed while idle" $ok "$n DPD lines in the idle period"

if wait_exit "${CLI_PID[c1]}" 5; then
	expect_eq "client exit status" "$EXIT_RC" 1
else
	verdict "client exits after the disconnect" 1
fi

# The session ended (persistent-cookies = false): its cookie gets 401.
start_client c1
if wait_exit "${CLI_PID[c1]}" 15; then
	expect_eq "reusing the idle-ended cookie: client exit status" "$EXIT_RC" 2
	grep -q 'Cookie was rejected by server' "${CLI_LOG[c1]}"
	verdict "reusing the idle-ended cookie: rejected" $?
else
	verdict "reusing the idle-ended cookie: client exits" 1 "still running after 15 s"
fi
