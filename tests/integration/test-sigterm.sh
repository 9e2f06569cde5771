#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SIGTERM on the server. Every connected client is told (TERMINATE, or a
# DISCONNECT; doc/spec/liveness.md §2.1 server-shutdown) and exits with
# status 1 without trying to reconnect; the server exits by itself, with
# status 0, within a bounded time.
. "$(dirname "$0")/lib.sh"

it_setup 2
write_config DPD=10 KEEPALIVE=30
start_server
connect_client c1
connect_client c2
client_ping c1 2 || verdict "c1 pings before the shutdown" 1

t_term=$(now_ms)
kill -TERM "$SERVER_PID"
it_log "server sent SIGTERM"

if wait_exit "$SERVER_PID" 10; then
	expect_range "server exits after SIGTERM" $((WAIT_MS - t_term)) "" 10000
	expect_eq "server exit status" "$EXIT_RC" 0
else
	verdict "server exits within 10 s of SIGTERM" 1
fi

for c in c1 c2; do
	if wait_log -E "${CLI_LOG[$c]}" 'received server terminate packet|Received server disconnect' 1 5; then
		t=$(line_ms "$WAIT_LINE")
		expect_range "$c told of the shutdown" $((t - t_term)) "" 5000 "${WAIT_LINE#* \[*\] }"
	else
		verdict "$c told of the shutdown" 1 "no terminate/disconnect line"
	fi
	if wait_exit "${CLI_PID[$c]}" 10; then
		expect_eq "$c exit status" "$EXIT_RC" 1
	else
		verdict "$c exits" 1 "still running after the server's SIGTERM"
	fi
	n=$(grep -c 'SSL negotiation with' "${CLI_LOG[$c]}")
	expect_eq "$c did not try to reconnect (TLS handshakes)" "$n" 1
done

# The server says why it stops, and that it stopped.
case $OCSM_SERVER in
modern)
	shut_re='Terminated: shutting down \(2 workers\)'
	end_re='ocserv-modern stopped'
	;;
ocserv)
	shut_re='termination request received'
	end_re='termination request received'
	;;
esac
ok=1; [ "$(log_count -E "$SERVER_LOG" "$shut_re")" -ge 1 ] && ok=0
verdict "the server logged its shutdown" $ok "$(grep -E "$shut_re" "$SERVER_LOG" | head -n 1)"
ok=1; [ "$(log_count -E "$SERVER_LOG" "$end_re")" -ge 1 ] && ok=0
verdict "the server logged that it stopped" $ok "$(grep -E "$end_re" "$SERVER_LOG" | tail -n 1)"

# An orderly shutdown logs no error or warning: a worker that was told to go
# and went (its IPC socket at EOF, or reset because it left main's messages
# unread) is not a fault, and its TunnelDown still counts.
bad=$(sed -nE "/$shut_re/,\$p" "$SERVER_LOG" | grep -E ': (error|warning): ')
expect_eq "no error or warning in the server log after SIGTERM" "$(printf '%s' "$bad" | grep -c .)" 0
[ -z "$bad" ] || printf '%s\n' "$bad"
