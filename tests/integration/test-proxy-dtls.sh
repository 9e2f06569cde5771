#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A front that moves both TCP and UDP (doc/cluster.md): haproxy for TCP
# (send-proxy-v2) and an nftables DNAT of UDP $PORT in the front's namespace,
# both to one gateway behind it (tests/integration/front-lib.sh):
#  - the real openconnect, connected through the front, brings DTLS up
#    (its log), and occtl-modern shows the tunnel on cstp+dtls, with the
#    DTLS peer at the client's own address: the DNAT keeps the UDP source,
#    and the ClientHello found its tunnel by App-ID without any PROXY header;
#  - the first datagram of the flow went through the front's DNAT rule;
#  - ping runs through the tunnel;
#  - connect-script sees IP_REAL = the client's address (from the TCP PROXY
#    header) and IP_REAL_LOCAL = the front's address the client connected to.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/front-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "listen-proxy-proto is tested against ocserv-modern only"
occtl_preconditions
it_setup 1
front_setup 1
cat > "$IT_WORK/connect.sh" <<-EOS
	#!/bin/sh
	env | sort > "$IT_WORK/connect.env"
	exit 0
EOS
chmod 755 "$IT_WORK/connect.sh"
gw_config g1 DPD=10 KEEPALIVE=20 -- "connect-script = $IT_WORK/connect.sh"
start_gateway g1
start_haproxy -- g1
front_udp_to g1

connect_dtls_client c1
verdict "c1 through the front: DTLS established (client log)" 0 \
	"$(grep -F 'Established DTLS connection' "${CLI_LOG[c1]}" | head -n 1 | cut -c 25-)"
ping_ok c1 5
verdict "ping through the tunnel" $? "$PING_RESULT"

occtl_json show users
expect_eq "occtl show users: Remote IP is the client's" "$(jget '[u["Remote IP"] for u in d]')" \
	'["10.77.0.2"]'
cipher=$(jget 'd[0]["dtls-cipher"] if "dtls-cipher" in d[0] else d[0].get("DTLS cipher", "")')
ok=1; [ -n "$cipher" ] && [ "$cipher" != "(no-dtls)" ] && ok=0
verdict "occtl show users: the tunnel has a DTLS cipher" $ok "$cipher"
id=$(jget 'd[0]["ID"]')
occtl_json show id "$id"
expect_eq "occtl show id: data path (DTLS up)" "$(jget 'd[0]["Data path"]')" cstp+dtls
peer=$(jget 'd[0].get("DTLS peer", "")')
ok=1; [[ $peer == 10.77.0.2:* ]] && ok=0
verdict "occtl show id: the DTLS peer is the client's own address, kept by the DNAT" $ok "$peer"
n=$(front_udp_packets)
ok=1; [ "${n:-0}" -ge 1 ] && ok=0
verdict "the DTLS flow went through the front's DNAT rule" $ok "${n:-none} new flow(s)"

envval() { sed -n "s/^$1=//p" "$IT_WORK/connect.env"; }
expect_eq "connect-script: IP_REAL is the client's address" "$(envval IP_REAL)" 10.77.0.2
expect_eq "connect-script: IP_REAL_LOCAL is the front's address the client connected to" \
	"$(envval IP_REAL_LOCAL)" "$SERVER_IP"
alive "$SERVER_PID"
verdict "gateway still running" $?
