#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A cut longer than cookie-timeout (doc/spec/liveness.md §2, §5): with
# dpd = D = 3 and cookie-timeout = C = 5, the session waits to resume from
# the dpd-timeout and ends with cookie-expired C seconds later (within 1 s):
# its address is released and its tun device closed. When the 15 s cut is
# lifted, the client's reconnect gets 401 and it exits 2 after
# "Cookie was rejected by server".
. "$(dirname "$0")/resume-lib.sh"

D=3
C=5
CUT=15
it_setup 1
write_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=$C
start_server
connect_client c1 --reconnect-timeout 120
ip1=${CLI_VPNIP[c1]}
ping_ok c1 2
verdict "ping before the cut" $? "$PING_RESULT"

sleep 1
t_cut=$(now_ms)
cut_on c1 all
it_log "network cut for $CUT s"

wait_log "$SERVER_LOG" 'waits to resume' 1 $((3 * D + 4)) ||
	fatal "the session did not wait to resume within $((3 * D + 4)) s of the cut"
# The deadline starts when sec-mod hears of the drop: after the worker's
# "tunnel ended" line, before main's "waits to resume" line (main logs
# sec-mod's news). Measured from the worker's line, the end comes at least
# cookie-timeout later, less the engine's millisecond clock (1 ms).
# (the worker logged it first: its latest such line is this drop's)
t_drop=$(line_ms "$(grep 'tunnel ended: reason=' "$SERVER_LOG" | tail -n 1)") ||
	fatal "no 'tunnel ended' line of the worker before 'waits to resume'"
wait_log -E "$SERVER_LOG" 'session [0-9a-f]{6} of user .* ended: cookie-expired' 1 $((C + 3)) ||
	fatal "the session did not end with cookie-expired within $((C + 3)) s of waiting"
t_exp=$(line_ms "$WAIT_LINE")
it_log "server: ${WAIT_LINE#* * }"
expect_range "cookie-expired after waiting-to-resume" $((t_exp - t_drop)) $((C * 1000 - 1)) \
	$((C * 1000 + 1000)) "contract: at drop + cookie-timeout"
wait_log "$SERVER_LOG" "released $ip1, device " 1 2
verdict "the address and the device were released" $? "${WAIT_LINE#*info: }"
wait_no_dev "$ip1" 3
verdict "the device is gone" $? "$(server_dev_of "$ip1")"

now=$(now_ms)
[ $((t_cut + CUT * 1000 - now)) -gt 0 ] && sleep "$(fmt_ms $((t_cut + CUT * 1000 - now)))"
cut_off c1
it_log "network restored"
if wait_exit "${CLI_PID[c1]}" 45; then
	expect_eq "client exit status" "$EXIT_RC" 2
else
	fatal "client still running 45 s after the restore"
fi
grep -q 'Cookie was rejected by server' "${CLI_LOG[c1]}"
verdict "client: Cookie was rejected by server" $?
grep -q 'HTTP/1.1 401 ' "${CLI_LOG[c1]}"
verdict "client: the reconnect got 401" $?
alive "$SERVER_PID"
verdict "server still running" $?
