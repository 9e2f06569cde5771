#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Garbage on the wire. From c1, a raw TLS client (rawtls.py) sends malformed
# HTTP and XML before any CONNECT, and malformed CSTP frames right after a
# successful CONNECT; each time the server must close that connection
# (close_notify, EOF or reset) within 5 s. Meanwhile c2, a real client,
# pings through its tunnel every 0.2 s and must not lose a packet; at the
# end the server still logs users in.
#
# The background pinger runs from before the first malformed input until
# after the last one (and at least MIN_SPAN_S), so it covers the whole
# garbage phase however long that takes on this machine; it must have sent
# at least one request per 2 intervals of the time it ran (ping's own timer
# paces it: the count follows the clock) and every request sent must have
# been answered.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 not found"

MIN_SPAN_S=5
it_setup 2
write_config DPD=10 KEEPALIVE=30
start_server
connect_client c2

raw() {
	in_client c1 timeout 20 "$PY" "$IT_DIR/rawtls.py" --host "$SERVER_IP" --port "$PORT" \
		--ca "$IT_WORK/server-cert.pem" --timeout 5 "$@" 2>&1
}

bg_ping_start c2 0.2
t_garbage0=$(now_ms)

# The malformed inputs, one per row (rawtls.py's case names).
#   CASE                      WHEN
cases=(
	http-garbage              before-connect
	http-bad-request-line     before-connect
	http-huge-header          before-connect
	http-bad-content-length   before-connect
	xml-garbage               before-connect
	xml-wrong-shape           before-connect
	cstp-bad-magic            after-connect
	cstp-bad-version          after-connect
	cstp-length-mismatch      after-connect
	cstp-byte7-nonzero        after-connect
	cstp-short                after-connect
	cstp-oversize-length      after-connect
)
for ((i = 0; i < ${#cases[@]}; i += 2)); do
	c=${cases[i]} when=${cases[i + 1]}
	case $when in
	before-connect)
		out=$(raw "$c")
		verdict "malformed input before CONNECT is closed: $c" $? "$out"
		;;
	after-connect)
		get_cookie c1
		out=$(raw --cookie "${CLI_COOKIE[c1]}" "$c")
		verdict "malformed CSTP after CONNECT is closed: $c" $? "$out"
		;;
	*) hard_error "cases: '$when' is neither before-connect nor after-connect" ;;
	esac
done
t_garbage1=$(now_ms)
it_log "garbage phase took $(fmt_ms $((t_garbage1 - t_garbage0))) s"

alive "$SERVER_PID"
verdict "server still running" $?

# The real client kept working throughout.
# Stop no earlier than MIN_SPAN_S after the start and 0.5 s after the
# garbage, so that a round of pings runs across its end.
now=$(now_ms)
stop=$(( BG_PING_START[c2] + MIN_SPAN_S * 1000 ))
[ "$stop" -lt $((t_garbage1 + 500)) ] && stop=$((t_garbage1 + 500))
[ "$stop" -gt "$now" ] && sleep "$(fmt_ms $((stop - now)))"
bg_ping_stop c2 || fatal "c2's background pinger did not stop"
want=$(( BG_SPAN_MS / 400 ))
ok=1
[ "$BG_TX" -ge "$want" ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "c2's background ping lost nothing while the garbage was handled" $ok \
	"$BG_RX/$BG_TX answered, want all of at least $want in $(fmt_ms "$BG_SPAN_MS") s"
ok=1
[ -n "$BG_FIRST_MS" ] && [ "$BG_FIRST_MS" -le "$t_garbage0" ] &&
	[ "$BG_LAST_MS" -ge "$t_garbage1" ] && ok=0
verdict "c2's answered pings span the whole garbage phase" $ok \
	"replies $(fmt_ms $(( ${BG_FIRST_MS:-0} - t_garbage0 ))) s to +$(fmt_ms $(( ${BG_LAST_MS:-0} - t_garbage1 ))) s around it"
ping_ok c2 5
verdict "c2 still pings after the garbage" $? "$PING_RESULT"

authenticate c1
verdict "the server still logs users in" $?
