#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# client-bypass-protocol (doc/config-reference.md) with a dual-stack
# openconnect client and no ipv6-network, on a server whose listen-host is
# an IPv6 address (it listens there only, TCP and UDP): the client asks for IPv6 but gets
# no IPv6 address (no X-CSTP-Address-IP6, no INTERNAL_IP6_ADDRESS, no IPv6
# address on tun0), and the CONNECT reply tells it what to do with its IPv6
# traffic: X-CSTP-Client-Bypass-Protocol: true here (send it outside the
# tunnel); test-ipv6-tunnel.sh shows the default, false (drop it).
# openconnect 9.01 does not act on the header itself: it hands it to its
# script in CISCO_CSTP_OPTIONS, which is where this test reads it.
. "$(dirname "$0")/ipv6-lib.sh"

ipv6_setup 1
dtls_config DPD=10 KEEPALIVE=30 -- "client-bypass-protocol = true"
# listen-host an IPv6 address: the server listens there only
sed -i "s/^listen-host = .*/listen-host = $SERVER_IP6/" "$CONFIG" || hard_error "writing $CONFIG"
start_server
expect_eq "TCP listener" "$(in_server ss -Hltn "sport = :$PORT" | awk '{ print $4 }' | paste -sd' ')" \
	"[$SERVER_IP6]:$PORT"
expect_eq "UDP listener" "$(in_server ss -Hlun "sport = :$PORT" | awk '{ print $4 }' | paste -sd' ')" \
	"[$SERVER_IP6]:$PORT"
URL=$URL6 connect_client c1
grep -q '> X-CSTP-Address-Type: IPv6,IPv4' "${CLI_LOG[c1]}"
verdict "c1 asked for IPv6 and IPv4" $?
expect_eq "X-CSTP-Client-Bypass-Protocol in CISCO_CSTP_OPTIONS" \
	"$(cstp_option c1 X-CSTP-Client-Bypass-Protocol)" true
expect_eq "no X-CSTP-Address-IP6" "$(cstp_option c1 X-CSTP-Address-IP6)" ""
expect_eq "no INTERNAL_IP6_ADDRESS" "$(sed -n 's/^INTERNAL_IP6_ADDRESS=//p' "${CLI_ENV[c1]}")" ""
expect_eq "no global IPv6 address on tun0" \
	"$(in_client c1 ip -o -6 addr show dev tun0 scope global | wc -l)" 0
ping_ok c1 3
verdict "IPv4 through the tunnel" $? "$PING_RESULT"
