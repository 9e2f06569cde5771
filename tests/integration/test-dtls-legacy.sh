#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Legacy DTLS 1 (doc/spec/interop.md §6.4): with dtls-psk = false the gateway
# answers openconnect 9.01's legacy offer (X-DTLS-Master-Secret and its
# X-DTLS-CipherSuite / X-DTLS12-CipherSuite lists) with an X-DTLS-Session-ID,
# its pick and X-DTLS-MTU, and the client "resumes" that session: by default
# Cisco's DTLS 1.2 with ECDHE-RSA-AES256-GCM-SHA384. The channel carries the
# data (the server's DTLS counters), occtl-modern shows it, the client's MTU
# probe keeps the advertised MTU, and a NAT that rebinds the client's port
# moves the channel without a new handshake. A second client that offers only
# AES128-SHA (--dtls-ciphers) gets the pre-standard DTLS 0.9 and carries
# data the same way.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

occtl_preconditions
it_setup 2
dtls_config DPD=10 KEEPALIVE=30 -- "dtls-psk = false"
start_server

connect_dtls_client c1
line=$(grep -F 'Established DTLS connection' "${CLI_LOG[c1]}" | head -n 1)
ok=1; [[ $line == *'(DTLS1.2)-(ECDHE-RSA)-(AES-256-GCM)'* ]] && ok=0
verdict "client: legacy DTLS 1.2, ECDHE-RSA-AES256-GCM-SHA384 resumed" $ok "${line#*Established }"
sid=$(dtls_option c1 X-DTLS-Session-ID)
verdict "reply: X-DTLS-Session-ID of 64 hex digits" \
	"$([[ $sid =~ ^[0-9a-f]{64}$ ]]; echo $?)" "$sid"
expect_eq "reply: the pick in X-DTLS12-CipherSuite" "$(dtls_option c1 X-DTLS12-CipherSuite)" \
	ECDHE-RSA-AES256-GCM-SHA384
expect_eq "reply: no X-DTLS-CipherSuite" "$(dtls_option c1 X-DTLS-CipherSuite)" ""
expect_eq "reply: no X-DTLS-App-ID" "$(dtls_option c1 X-DTLS-App-ID)" ""
mtu=$(cstp_option c1 X-CSTP-MTU)
expect_eq "reply: X-DTLS-MTU = X-CSTP-MTU" "$(dtls_option c1 X-DTLS-MTU)" "$mtu"
expect_eq "X-CSTP-MTU for base 1500 and AES-GCM" "$mtu" 1434
grep -qE 'tunnel up: .*client=10\.77\.0\.2 .*dtls=legacy ECDHE-RSA-AES256-GCM-SHA384 \(DTLS1\.2' "$SERVER_LOG"
verdict "server: the tunnel-up line names the legacy suite" $?
wait_log "$SERVER_LOG" 'DTLS up: client 10.77.0.2:' 1 5
verdict "server: DTLS up" $? "$(grep -F 'DTLS up: client 10.77.0.2' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS up: //')"
check_mtu_probe c1 "$mtu"

# The master secret the client sent (96 hex digits) is in no server log line.
expect_eq "no master secret in the server's log" "$(grep -ciE 'master|[0-9a-f]{96}' "$SERVER_LOG")" 0

# occtl-modern shows the channel.
occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl_json show id "$id"
expect_eq "occtl: data path" "$(jget 'd[0]["Data path"]')" cstp+dtls
expect_eq "occtl: DTLS state" "$(jget 'd[0]["DTLS state"]')" up
expect_eq "occtl: DTLS cipher" "$(jget 'd[0]["DTLS cipher"]')" "(DTLS1.2)-(ECDHE-RSA)-(AES-256-GCM)"

# Data: full-size pings over the legacy channel, counted there.
bulk_ping c1 200 $((mtu - 28))
verdict "200 full-size pings ($((mtu - 28)) bytes) through the tunnel" \
	"$([ "${BULK_RX:-0}" -ge 198 ]; echo $?)" "${BULK_RX:-0}/${BULK_TX:-0} answered"

# NAT rebinding (doc/spec/interop.md §6.2, as for PSK): c1's datagrams now
# leave from another port without a new handshake; the server moves the
# legacy channel there because the records decrypt under its session.
port0=$(grep -F 'DTLS up: client 10.77.0.2:' "$SERVER_LOG" | head -n 1 | sed -nE 's/.*client [0-9.]+:([0-9]+),.*/\1/p')
lo=45000
[ "${port0:-0}" -ge 45000 ] && [ "${port0:-0}" -le 45100 ] && lo=46000
in_client c1 nft -f - <<-EOF2 || hard_error "nft nat in ${CLI_NS[c1]}"
	table ip ocsm_nat {
		chain post { type nat hook postrouting priority srcnat; policy accept; ip daddr $SERVER_IP udp dport $PORT snat to ${CLI_IP[c1]}:$lo-$((lo + 100)); }
	}
EOF2
ping_ok c1 10
verdict "c1: ping after its NAT rebinds the DTLS port" $? "$PING_RESULT"
wait_log "$SERVER_LOG" 'DTLS client moved from 10.77.0.2:' 1 5
verdict "server: the legacy channel moved to the new port" $? \
	"$(grep -F 'DTLS client moved from' "$SERVER_LOG" | head -n 1 | sed 's/.*DTLS client //')"
expect_eq "c1: no new DTLS handshake for the new port" "$(dtls_established c1)" 1

# DTLS 0.9: a client offering AES128-SHA only.
connect_dtls_client c2 --dtls-ciphers=AES128-SHA
line=$(grep -F 'Established DTLS connection' "${CLI_LOG[c2]}" | head -n 1)
ok=1; [[ $line == *'(DTLS0.9)-(RSA)-(AES-128-CBC)-(SHA1)'* ]] && ok=0
verdict "client c2: DTLS 0.9 with AES128-SHA" $ok "${line#*Established }"
expect_eq "c2 reply: the pick in X-DTLS-CipherSuite" "$(dtls_option c2 X-DTLS-CipherSuite)" AES128-SHA
mtu2=$(cstp_option c2 X-CSTP-MTU)
expect_eq "c2: X-CSTP-MTU for base 1500 and AES-CBC-SHA1 (65 bytes of overhead)" "$mtu2" 1406
expect_eq "c2 reply: X-DTLS-MTU = X-CSTP-MTU" "$(dtls_option c2 X-DTLS-MTU)" "$mtu2"
check_mtu_probe c2 "$mtu2"
bulk_ping c2 200 $((mtu2 - 28))
verdict "c2: 200 full-size pings over DTLS 0.9" \
	"$([ "${BULK_RX:-0}" -ge 198 ]; echo $?)" "${BULK_RX:-0}/${BULK_TX:-0} answered"

# Both tunnels end (SIGTERM: the clients log out): their DTLS counters.
declare -A rebinds=([c1]='1 rebind' [c2]='0 rebinds')
for c in c1 c2; do
	kill -TERM "${CLI_PID[$c]}"
	wait_exit "${CLI_PID[$c]}" 10 || verdict "client $c exits after SIGTERM" 1
	server_tunnel_end 'user-disconnect' 10 "${CLI_VPNIP[$c]}" ||
		fatal "no tunnel end line for $c"
	ok=1; [[ $END_LINE =~ dtls\ up\ \(1\ handshake,\ ${rebinds[$c]},\ rx\ ([0-9]+)\ pkts/[0-9]+\ B,\ tx\ ([0-9]+)\ pkts ]] &&
		[ "${BASH_REMATCH[1]}" -ge 198 ] && [ "${BASH_REMATCH[2]}" -ge 198 ] && ok=0
	verdict "$c: the pings went both ways over its legacy DTLS channel" $ok "${END_LINE##*, dtls }"
done
expect_eq "no DTLS send fell back to CSTP" "$(server_count 'packet sent over CSTP')" 0
alive "$SERVER_PID"
verdict "server still running" $?
