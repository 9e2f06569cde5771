#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A silent network cut (doc/spec/liveness.md §2, §3): nftables drops every
# packet between the client's namespace and the server for CUT = 20 s, with
# dpd = D = 3.
#
# Server: the tunnel ends with dpd-timeout and the session is marked
# waiting-to-resume within 3D + 1 s of the client's last packet (measured
# from the worker's own "last rx" and from the client's last send in its -v
# log). Its address and tun device stay.
# Client: declares the server dead, tries to reconnect (its SYNs are black-
# holed until the cut is lifted) and, once the path is back, reconnects by
# itself: a second "CSTP connected." line in the same process, the same tun
# and address, no login on the server, and ping works again.
. "$(dirname "$0")/resume-lib.sh"

D=3
CUT=20
it_setup 1
write_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=120
start_server
connect_client c1 --reconnect-timeout 120
ip1=${CLI_VPNIP[c1]}
dev1=$(server_dev_of "$ip1")
ctun1=$(in_client c1 cat /sys/class/net/tun0/ifindex)
ping_ok c1 3
verdict "ping before the cut" $? "$PING_RESULT"
t_ping=$(reply_ms "$IT_WORK/c1-ping.log")
logins_before=$(logins)

sleep 1
t_cut=$(now_ms)
cut_on c1 all
it_log "network cut (all traffic to/from $SERVER_IP dropped) for $CUT s"

if ! server_tunnel_end dpd-timeout $((3 * D + 4)) "$ip1"; then
	fatal "no dpd-timeout tunnel end within $((3 * D + 4)) s of the cut"
fi
wait_log "$SERVER_LOG" 'waits to resume' 1 3 || fatal "the session is not waiting to resume"
t_wait=$(line_ms "$WAIT_LINE")
it_log "server: ${WAIT_LINE#* * }"
expect_at_l_plus_3d waiting-to-resume "$t_wait" "$D" c1 "$t_cut" "$t_ping"
expect_eq "device and address kept while waiting" "$(server_dev_of "$ip1")" "$dev1"

# Lift the cut at t_cut + CUT.
now=$(now_ms)
[ $((t_cut + CUT * 1000 - now)) -gt 0 ] && sleep "$(fmt_ms $((t_cut + CUT * 1000 - now)))"
cut_off c1
t_restore=$(now_ms)
it_log "network restored after $(fmt_ms $((t_restore - t_cut))) s"
grep -q 'CSTP Dead Peer Detection detected dead peer!' "${CLI_LOG[c1]}"
verdict "the client declared the server dead during the cut" $?

if wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40; then
	t_rc=$(line_ms "$WAIT_LINE")
	verdict "the client reconnected by itself" 0 \
		"$(fmt_ms $((t_rc - t_restore))) s after the restore"
else
	fatal "no second 'CSTP connected.' within 40 s of the restore"
fi
alive "${CLI_PID[c1]}"
verdict "the same client process (no restart)" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "the client saw the same address and netmask" $?
expect_eq "client tun0 kept (ifindex)" "$(in_client c1 cat /sys/class/net/tun0/ifindex)" "$ctun1"
expect_eq "client tun0 address" \
	"$(in_client c1 ip -o -4 addr show dev tun0 | awk '{ print $4 }')" "$ip1/32"
expect_eq "server device after the resume" "$(server_dev_of "$ip1")" "$dev1"
expect_eq "no login during the resume" "$(logins)" "$logins_before"
grep -qE 'resume session [0-9a-f]{6} ' "$SERVER_LOG"
verdict "the server resumed the waiting session" $?
ping_ok c1 5
verdict "ping after the resume" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
