#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# occtl-modern shows a tunnel's DTLS channel as the worker's engine
# sees it. With DTLS up: data path cstp+dtls, DTLS state up, the DTLS cipher
# and per-channel DPD figures for both channels. Then UDP alone is cut
# (dpd = D = 3): the engine declares DTLS dead at 3D and occtl shows DTLS
# inactive, data path cstp, while the session stays active on CSTP.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

D=3
occtl_preconditions
it_setup 1
dtls_config DPD=$D KEEPALIVE=30
start_server
connect_dtls_client c1
t_ping=$(now_ms)
ping_ok c1 5
verdict "ping over DTLS" $? "$PING_RESULT"

occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl_json show id "$id"
expect_eq "DTLS up: data path" "$(jget 'd[0]["Data path"]')" cstp+dtls
expect_eq "DTLS up: DTLS state" "$(jget 'd[0]["DTLS state"]')" up
cipher=$(jget 'd[0]["DTLS cipher"]')
ok=1; [[ $cipher == *DTLS* ]] && ok=0
verdict "DTLS up: the DTLS cipher suite" $ok "$cipher"
expect_eq "DTLS up: the DTLS peer is the client" "$(jget 'd[0]["DTLS peer"].rsplit(":", 1)[0]')" "${CLI_IP[c1]}"
now_s=$(( ($(now_ms) + 999) / 1000 ))
rx=$(jget 'd[0]["raw_dtls_last_rx"]')
expect_int_range "DTLS last rx between the pings and the snapshot (epoch s)" "$rx" \
	$((t_ping / 1000)) "$now_s"
expect_eq "both channels have a DPD state" \
	"$(jget '[d[0]["CSTP DPD state"] != "", d[0]["DTLS DPD state"] != ""]')" "[true, true]"
ok=1; [[ $(jget 'd[0]["TLS ciphersuite"]') == *TLS1* ]] && ok=0
verdict "the TLS cipher suite" $ok "$(jget 'd[0]["TLS ciphersuite"]')"
occtl show users
grep -q "$cipher" "$OCCTL_OUT"
verdict "show users (text) shows the DTLS cipher" $? "$(tail -n 1 "$OCCTL_OUT")"

cut_on c1 udp
t_cut=$(now_ms)
it_log "UDP cut"
deadline=$(deadline_after $((3 * D + 5)))
st=up
while [ "$(now_ms)" -lt "$deadline" ]; do
	occtl -j show id "$id" && st=$(jget 'd[0]["DTLS state"]')
	[ "$st" = inactive ] && break
	sleep 0.3
done
expect_eq "UDP cut: DTLS inactive" "$st" inactive
# When: the worker's own log line (occtl's polling would add its latency).
wait_log -E "$SERVER_LOG" 'DTLS inactive: reason=[a-z-]+ client=10\.77\.0\.2:' 1 1
t_inactive=$(line_ms "$WAIT_LINE") || t_inactive=0
expect_range "UDP cut: DTLS inactive after the cut (the worker's log)" \
	$((t_inactive - t_cut)) $((2 * D * 1000)) $((3 * D * 1000 + 1000)) \
	"the DTLS channel dies at L+3D, L within D before the cut"
occtl_json show id "$id"
expect_eq "UDP cut: data path back on CSTP" "$(jget 'd[0]["Data path"]')" cstp
expect_eq "UDP cut: the session stays active" "$(jget 'd[0]["Session state"]')" active
expect_eq "UDP cut: DTLS DPD state" "$(jget 'd[0]["DTLS DPD state"]')" dead
ok=1; [ "$(jget 'd[0]["DTLS DPD probes sent"]')" -ge 1 ] 2> /dev/null && ok=0
verdict "UDP cut: the server probed DTLS first" $ok "$(jget 'd[0]["DTLS DPD probes sent"]') probes"
cut_off c1
alive "$SERVER_PID"
verdict "server still running" $?
