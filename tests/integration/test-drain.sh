#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# server-drain-ms (doc/config-reference.md): on SIGTERM the gateway first
# closes its listeners, so a new TCP connection is refused at once, while a
# connected client's tunnel goes on (its pings are answered); after the
# drain the server shuts down as usual and exits.
. "$(dirname "$0")/lib.sh"

DRAIN_MS=4000

# tcp_connect NAME: one TCP connection attempt from NAME's namespace to the
# gateway's port; prints bash's error (empty when it connected).
tcp_connect() {
	in_client "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$SERVER_IP/$PORT" 2>&1
}

it_setup 1
write_config DPD=10 KEEPALIVE=30
echo "server-drain-ms = $DRAIN_MS" >> "$CONFIG"
start_server
connect_client c1
ping_ok c1 3
verdict "ping before SIGTERM" $? "$PING_RESULT"
out=$(tcp_connect c1)
expect_eq "before SIGTERM a TCP connection is accepted" "$out" ""

t_term=$(now_ms)
kill -TERM "$SERVER_PID"
it_log "server sent SIGTERM"
# The listeners close as soon as main handles the signal: a connection
# refused within a second (a bounded poll, not a sleep).
deadline=$(deadline_after 1)
out=$(tcp_connect c1)
until [[ $out == *refused* ]] || [ "$(now_ms)" -ge "$deadline" ]; do
	sleep 0.05
	out=$(tcp_connect c1)
done
t_refused=$(now_ms)
ok=1; [[ $out == *"Connection refused"* ]] && ok=0
verdict "during the drain a new TCP connection is refused" $ok "$out"
expect_range "refused after SIGTERM" $((t_refused - t_term)) "" 1000

ping_ok c1 5
verdict "during the drain the connected client's ping goes on" $? "$PING_RESULT"
t_ping=$(now_ms)
ok=1; [ $((t_ping - t_term)) -lt "$DRAIN_MS" ] && ok=0
verdict "the pings ended inside the drain" $ok "$((t_ping - t_term)) ms after SIGTERM"
alive "$SERVER_PID"
verdict "the server still runs during the drain" $?
ok=1; [ "$(client_count c1 'CSTP connected.')" = 1 ] && ok=0
verdict "the client kept its one tunnel" $ok

if wait_exit "$SERVER_PID" $((DRAIN_MS / 1000 + 10)); then
	expect_range "server exits after the drain" $((WAIT_MS - t_term)) "$DRAIN_MS" \
		$((DRAIN_MS + 6000)) "drain, then up to 5 s for the workers"
	expect_eq "server exit status" "$EXIT_RC" 0
else
	verdict "server exits after the drain" 1 "still running"
fi
# ocserv 1.1.6 drains the same way, but its workers end without a goodbye
# and its client keeps trying to reconnect: only ours is checked further.
if [ "$OCSM_SERVER" = modern ]; then
	wait_log "$SERVER_LOG" 'draining for' 1 1
	verdict "the server logged the drain" $? "$WAIT_LINE"
	wait_exit "${CLI_PID[c1]}" 10
	verdict "the client, told of the shutdown, exits" $?
fi
