#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A login flood never stops the gateway (doc/security.md). With the
# per-address limits lifted (max-unauth = 0, max-unauth-per-ip = 0), c1
# sends 300 logins at once, twice, each with a 4 KiB user name, a 4 KiB
# wrong password and a 15 KiB User-Agent: the workers refuse them (fields
# over 256 bytes) without asking sec-mod. Then 300 at once with 200-byte
# wrong passwords, which do reach sec-mod: those it cannot keep up with are
# answered 503 by main without waiting (never a shutdown; how many depends
# on this machine's speed). Throughout, c2's tunnel answers pings, and
# afterwards c2 logs in again.
. "$(dirname "$0")/lib.sh"

N=300
it_setup 2
need_cmd python3
write_config
printf 'max-unauth = 0\nmax-unauth-per-ip = 0\n' >> "$CONFIG"
start_server
connect_client c2
bg_ping_start c2 0.2

# flood_bg WHAT [FLOOD-ARGS...]: N logins from c1 at once, in the background;
# flood_wait WHAT: their result in FLOOD; flood: both.
flood_bg() {
	shift
	spawn_logged "$IT_WORK/flood.log" /dev/null ip netns exec "${CLI_NS[c1]}" \
		python3 "$IT_DIR/flood.py" --host "$SERVER_IP" --port "$PORT" logins "$N" "$@"
	FLOOD_PID=$SPAWN_PID
}
flood_wait() {
	wait_exit "$FLOOD_PID" 120 || fatal "flood.py did not end ($1)"
	sleep 0.2 # its last line through the log stamper
	FLOOD=$(grep -o 'STATUS .*' "$IT_WORK/flood.log" | tail -n 1)
	it_log "$1: $FLOOD"
	alive "$SERVER_PID"
	verdict "the server runs after $1" $? "$FLOOD"
}
flood() {
	flood_bg "$@"
	flood_wait "$1"
}
count_of() { sed -nE "s/.* $1:([0-9]+).*/\\1/p" <<< "$FLOOD"; }

flood "300 logins with 4 KiB fields (1)"
expect_eq "answered 401 (fields too long)" "$(count_of 401)" "$N"
flood "300 logins with 4 KiB fields (2)"
expect_eq "answered 401 (fields too long)" "$(count_of 401)" "$N"
n=$(server_count "user name, password or group too long")
expect_eq "workers that refused the long fields" "$n" $((2 * N))

flood "300 logins with 200-byte wrong passwords" --user-len 8 --pass-len 200 --ua-len 40
a401=$(count_of 401); a401=${a401:-0}
a503=$(count_of 503); a503=${a503:-0}
expect_eq "every login answered (401 or 503)" $((a401 + a503)) "$N"
it_log "sec-mod checked $a401 passwords, main answered $a503 with 503 (sec-mod busy)"
n=$(server_count "shutting down")
expect_eq "server log lines 'shutting down'" "$n" 0
n=$(server_count "gets no key channel")
expect_eq "workers that got no key channel (it waits in main's queue instead)" "$n" 0

bg_ping_stop c2 || fatal "c2's background pinger did not stop"
ok=1; [ "$BG_TX" -ge $((BG_SPAN_MS / 400)) ] && [ "$BG_RX" = "$BG_TX" ] && ok=0
verdict "c2's tunnel lost no ping during the floods" $ok \
	"$BG_RX/$BG_TX answered in $(fmt_ms "$BG_SPAN_MS") s"
t0=$(now_ms)
authenticate c2
verdict "c2 logs in after the floods" $? "in $(fmt_ms $(( $(now_ms) - t0 ))) s"
