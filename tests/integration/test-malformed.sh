#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue test 6: garbage on the wire. From c1, a raw TLS client (rawtls.py)
# sends malformed HTTP and XML before any CONNECT, and malformed CSTP frames
# right after a successful CONNECT; each time the server must close that
# connection (close_notify, EOF or reset) within 5 s. Meanwhile c2, a real
# client, pings through its tunnel every 0.2 s and must not lose a packet;
# at the end the server still logs users in.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 not found"

it_setup 2
write_config DPD=10 KEEPALIVE=30
start_server
connect_client c2

spawn_logged "$IT_WORK/c2-bgping.log" /dev/null \
	ip netns exec "${CLI_NS[c2]}" ping -n -i 0.2 -W 1 -w 120 "$SERVER_VPN_IP"
ping_pid=$SPAWN_PID

raw() {
	in_client c1 timeout 20 "$PY" "$IT_DIR/rawtls.py" --host "$SERVER_IP" --port "$PORT" \
		--ca "$IT_WORK/server-cert.pem" --timeout 5 "$@" 2>&1
}

for c in http-garbage http-bad-request-line http-huge-header \
	http-bad-content-length xml-garbage xml-wrong-shape; do
	out=$(raw "$c")
	verdict "malformed input before CONNECT is closed: $c" $? "$out"
done

for c in cstp-bad-magic cstp-bad-version cstp-length-mismatch \
	cstp-byte7-nonzero cstp-short cstp-oversize-length; do
	get_cookie c1
	out=$(raw --cookie "${CLI_COOKIE[c1]}" "$c")
	verdict "malformed CSTP after CONNECT is closed: $c" $? "$out"
done

alive "$SERVER_PID"
verdict "server still running" $?

# The real client kept working throughout.
client_ping c2 5
verdict "c2 still pings after the garbage" $?
kill -INT "$ping_pid" 2> /dev/null
wait_exit "$ping_pid" 5
read -r tx rx <<< "$(ping_summary "$IT_WORK/c2-bgping.log")"
ok=1; [ -n "$tx" ] && [ "$tx" -ge 10 ] && [ "$rx" = "$tx" ] && ok=0
verdict "c2's background ping lost nothing while the garbage was handled" $ok "${rx:-0}/${tx:-0} answered"

authenticate c1
verdict "the server still logs users in" $?
