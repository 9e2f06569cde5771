#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# split-dns, tunnel-all-dns and nbns (doc/config-reference.md): the CONNECT
# reply carries X-CSTP-Split-DNS (one header per domain), X-CSTP-NBNS and
# X-CSTP-Tunnel-All-DNS: true, and the real openconnect client hands them to
# its script: CISCO_SPLIT_DNS (the domains, comma-separated),
# INTERNAL_IP4_NBNS, and every X-CSTP header in CISCO_CSTP_OPTIONS.
. "$(dirname "$0")/lib.sh"

it_setup 1
write_config DPD=10 KEEPALIVE=30
cat >> "$CONFIG" << 'CONF'
split-dns = corp.example
split-dns = lab.example
nbns = 192.168.77.2
tunnel-all-dns = true
CONF
start_server
start_client_password c1
wait_connected c1

env_var() { sed -n "s/^$1=//p" "${CLI_ENV[c1]}" | head -n 1; }
# (openconnect 9.01 lists them in reverse order of the headers)
expect_eq "CISCO_SPLIT_DNS in the client's script environment, both domains" \
	"$(env_var CISCO_SPLIT_DNS | tr , '\n' | sort | paste -sd,)" "corp.example,lab.example"
expect_eq "INTERNAL_IP4_NBNS in the client's script environment" "$(env_var INTERNAL_IP4_NBNS)" \
	"192.168.77.2"
expect_eq "X-CSTP-Tunnel-All-DNS as the client saw it" "$(cstp_option c1 X-CSTP-Tunnel-All-DNS)" true
expect_eq "one X-CSTP-Split-DNS per domain" \
	"$(sed -n 's/^X-CSTP-Split-DNS=//p' "${CLI_ENV[c1]}.cstp" | paste -sd' ')" "corp.example lab.example"
expect_eq "X-CSTP-NBNS as the client saw it" "$(cstp_option c1 X-CSTP-NBNS)" 192.168.77.2
ping_ok c1 3
verdict "ping through the tunnel" $? "$PING_RESULT"
