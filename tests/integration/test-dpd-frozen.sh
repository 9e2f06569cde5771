#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A frozen client (SIGSTOP) stops sending anything. With dpd = D = 3 the
# server probes at L+2D and L+2.5D and ends the tunnel with reason
# dpd-timeout at L+3D (doc/spec/liveness.md §3), L being the last valid
# frame from the client. Bound: L+3D+1 s (event-loop latency plus log
# slack).
#
# L is measured twice: by the worker itself ("last rx N ms ago" on its
# tunnel-end line) and from outside, as the client's last send before the
# SIGSTOP (its last "Send CSTP DPD" in the -v log, or the reply to its last
# ping). The two must agree within 200 ms (log stamping and delivery), and
# the end must come 3D to 3D+1 s after either. A coarser check needs no log
# at all: the client probes every D, so the end falls 2D to 3D+1 s after
# the SIGSTOP.
. "$(dirname "$0")/lib.sh"

D=3
it_setup 1
write_config DPD=$D KEEPALIVE=30
start_server
connect_client c1
client_ping c1 3 || verdict "ping through the tunnel before the freeze" 1
t_ping=$(reply_ms "$IT_WORK/c1-ping.log")

# Let a DPD exchange or two happen, then freeze the client.
sleep 2
t_stop=$(now_ms)
kill -STOP "${CLI_PID[c1]}"
it_log "client c1 frozen (SIGSTOP)"

if ! server_tunnel_end dpd-timeout $((3 * D + 6)) "${CLI_VPNIP[c1]}"; then
	fatal "no dpd-timeout tunnel end in the server log within $(wait_s $((3 * D + 6))) of the SIGSTOP"
fi
it_log "server: $END_LINE"

expect_at_l_plus_3d dpd-timeout "$END_MS" "$D" c1 "$t_stop" "$t_ping"
expect_range "dpd-timeout after the SIGSTOP" $((END_MS - t_stop)) \
	$((2 * D * 1000)) $((3 * D * 1000 + 1000)) "L is in [SIGSTOP-D, SIGSTOP]"

alive "$SERVER_PID"
verdict "server still running" $?
