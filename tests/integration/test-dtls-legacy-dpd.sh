#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Legacy DTLS 2 (doc/spec/interop.md §6.4, doc/spec/liveness.md §3, §7): the
# legacy channel lives by the PSK channel's rules. With dpd = 3 and
# dtls-psk = false, openconnect 9.01's UDP path is black-holed (nftables
# drop on the wire, both ways): the server's DTLS DPD declares the channel
# inactive L + 3D after its last DTLS record, data flows over TLS, the
# session stays active. When UDP comes back the client resumes the same
# legacy session again (the same X-DTLS-Session-ID and master secret, from
# a new port, routed by that session ID) and data is on DTLS again. Then
# TLS is cut until the tunnel is lost; the client's reconnect (same session,
# no login) gets a new X-DTLS-Session-ID and legacy DTLS again.
. "$(dirname "$0")/dtls-lib.sh"
. "$(dirname "$0")/occtl-lib.sh"

D=3

occtl_preconditions
it_setup 1
dtls_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=120 -- "dtls-psk = false"
start_server
connect_dtls_client c1
mtu=$(cstp_option c1 X-CSTP-MTU)
line=$(grep -F 'Established DTLS connection' "${CLI_LOG[c1]}" | head -n 1)
ok=1; [[ $line == *'(DTLS1.2)-(ECDHE-RSA)-(AES-256-GCM)'* ]] && ok=0
verdict "client: legacy DTLS 1.2" $ok "${line#*Established }"
sid1=$(dtls_option c1 X-DTLS-Session-ID)

# Let the channel settle (probe window, first DPDs), then cut UDP only.
sleep 4
udp_blackhole_on c1
cut_ms=$(now_ms)
it_log "UDP between c1 and the server dropped"

check_dtls_dpd_inactive "${CLI_IP[c1]}" "$cut_ms" $D

# The tunnel lives on over TLS.
ping_ok c1 10
verdict "ping over TLS while UDP is cut" $? "$PING_RESULT"
expect_eq "client did not reconnect CSTP" "$(client_count c1 'CSTP connected.')" 1
expect_eq "server did not end the tunnel" "$(server_count 'tunnel ended:')" 0
occtl_json show users || fatal "show users failed"
expect_eq "occtl: DTLS inactive, data path cstp" \
	"$(jget '" ".join([d[0]["DTLS state"], d[0]["Data path"]])')" "inactive cstp"
ssid=$(sed -nE 's/.*tunnel up: user=[^ ]+ session=([0-9a-f]{6}).*/\1/p' "$SERVER_LOG" | head -n 1)
occtl show session "$ssid"
expect_eq "occtl: the session is active" \
	"$(sed -nE 's/^[[:space:]]*State: //p' "$OCCTL_OUT" | head -n 1)" active

# UDP back: the client resumes the same legacy session from a new port.
udp_blackhole_off c1
restore_ms=$(now_ms)
it_log "UDP restored"
wait_dtls_again c1 || fatal "client: no second DTLS handshake after restoring UDP"
it_log "client: DTLS established again $(fmt_ms $((WAIT_MS - restore_ms))) s after the restore"
wait_log "$SERVER_LOG" 'DTLS up: client 10.77.0.2:' 2 5
verdict "server: legacy DTLS up again (a new association)" $? \
	"$(grep -F 'DTLS up: client 10.77.0.2:' "$SERVER_LOG" | tail -n 1 | sed 's/.*DTLS up: client //')"
check_mtu_probe c1 "$mtu"
sleep 1
ping_ok c1 20
verdict "ping after the restore" $? "$PING_RESULT"
occtl_json show users || fatal "show users failed"
expect_eq "occtl: DTLS up again, data path cstp+dtls" \
	"$(jget '" ".join([d[0]["DTLS state"], d[0]["Data path"]])')" "up cstp+dtls"

# TLS cut (on the wire) until the server's DPD ends the tunnel; the
# client's reconnect (the same session) gets a new X-DTLS-Session-ID and
# resumes legacy DTLS anew. (UDP stays: a client whose DTLS handshake fails
# at once waits 60 s before its next try, doc/spec/interop.md §6.5.)
wire_blackhole_on c1 tcp
it_log "c1's TLS path cut"
server_tunnel_end 'dpd-timeout' $((3 * D + 5)) "${CLI_VPNIP[c1]}" ||
	fatal "server: the cut tunnel did not end by DPD within $((3 * D + 5)) s"
[[ $END_LINE =~ dtls\ [a-z]+\ \(([0-9]+)\ handshakes?,\ [0-9]+\ rebinds?,\ rx\ ([0-9]+)\ pkts ]] &&
	hs=${BASH_REMATCH[1]} dtls_rx=${BASH_REMATCH[2]}
expect_eq "the first tunnel: two legacy DTLS handshakes" "${hs:-}" 2
verdict "the first tunnel: the pings after the restore came over DTLS" \
	"$([ "${dtls_rx:-0}" -ge 19 ]; echo $?)" "${dtls_rx:-0} DTLS data packets"
wire_blackhole_off c1 tcp
it_log "c1's TLS path restored"
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40 || fatal "c1: no reconnect after the cut"
wait_log "${CLI_LOG[c1]}" 'Established DTLS connection' 3 20
verdict "c1: legacy DTLS after the reconnect" $? \
	"$(grep -F 'Established DTLS connection' "${CLI_LOG[c1]}" | tail -n 1 | sed 's/.*Established //')"
sid2=$(sed -n 's/.*\] X-DTLS-Session-ID: //p' "${CLI_LOG[c1]}" | tail -n 1)
ok=1; [[ $sid2 =~ ^[0-9a-f]{64}$ ]] && [ "$sid2" != "$sid1" ] && ok=0
verdict "a new X-DTLS-Session-ID for the new CONNECT" $ok "$sid1 -> $sid2"
grep -qE 'Resumes: 1|"Resumes": 1' <(occtl show session "$ssid"; cat "$OCCTL_OUT")
verdict "occtl: the same session, resumed once" $?
sleep 1
ping_ok c1 10
verdict "ping after the reconnect" $? "$PING_RESULT"
kill -TERM "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || verdict "client c1 exits after SIGTERM" 1
server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[c1]}" ||
	fatal "no tunnel end line for c1's second tunnel"
ok=1; [[ $END_LINE =~ dtls\ up\ \(1\ handshake,\ 0\ rebinds,\ rx\ ([0-9]+)\ pkts ]] &&
	[ "${BASH_REMATCH[1]}" -ge 9 ] && ok=0
verdict "the second tunnel's pings went over its own legacy DTLS channel" $ok "${END_LINE##*, dtls }"
alive "$SERVER_PID"
verdict "server still running" $?
