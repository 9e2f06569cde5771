#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The gateway over IPv6 (listen-host unset: both families, TCP and UDP,
# doc/config-reference.md): c1 reaches it at [fd77::1] only (the URL is the
# IPv6 address), logs in, and gets DTLS over IPv6; main routes its
# ClientHello from an IPv6 source to its worker. Its tunnel carries IPv4 and
# IPv6, and its IPv6 address is its user's explicit-ipv6 (config-per-user).
# c2 (the same user) reaches the same server over IPv4 at the same time and
# gets another IPv6 address, that one being taken.
# c1's packets from an IPv6 source other than its address are dropped and
# counted. occtl-modern shows c1's IPv6 source address and its VPN IPv6
# address, and a wrong password from an IPv6 source is banned by that
# address.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/ipv6-lib.sh"

occtl_preconditions
ipv6_setup 2
ipv6_config DPD=10 KEEPALIVE=30 MAX_BAN_SCORE=20 -- "config-per-user = $IT_WORK/users"
mkdir -p "$IT_WORK/users" || hard_error "mkdir $IT_WORK/users"
echo "explicit-ipv6 = fd00:77::42" > "$IT_WORK/users/$TEST_USER" || hard_error "writing the per-user file"
start_server

for l in "TCP [::]:$PORT" "TCP 0.0.0.0:$PORT"; do
	ok=1; in_server ss -Hltn "sport = :$PORT" | grep -qF "${l#TCP }" && ok=0
	verdict "server listens on $l" $ok
done
for l in "[::]:$PORT" "0.0.0.0:$PORT"; do
	ok=1; in_server ss -Hlun "sport = :$PORT" | grep -qF "$l" && ok=0
	verdict "server listens on UDP $l" $ok
done

URL=$URL6 connect_dtls_client c1
wait_ipv6 c1
expect_eq "c1's IPv6 address: the user's explicit-ipv6" "${CLI_VPNIP6[c1]}" fd00:77::42
grep -qF "Connected to [$SERVER_IP6]:$PORT" "${CLI_LOG[c1]}" ||
	grep -qF "Connected to $SERVER_IP6:$PORT" "${CLI_LOG[c1]}"
verdict "c1 connected to the gateway over IPv6" $? "$(grep -m1 -F 'Connected to' "${CLI_LOG[c1]}" | sed 's/.*Connected/Connected/')"
wait_log "$SERVER_LOG" "DTLS up: client [${CLI_IP6[c1]}]:" 1 5
verdict "server: DTLS up for c1's IPv6 source" $? "$(grep -m1 -F 'DTLS up:' "$SERVER_LOG" | sed 's/.*DTLS up: //')"
ping6_ok c1 10
verdict "c1: IPv6 through the tunnel, DTLS over IPv6" $? "$PING_RESULT"
ping_ok c1 5
verdict "c1: IPv4 through the tunnel, DTLS over IPv6" $? "$PING_RESULT"

# an IPv6 source that is not c1's address: dropped and counted by the worker
fake6=fd00:77::dead
in_client c1 ip -6 addr add "$fake6/128" dev tun0 nodad || hard_error "ip addr add $fake6 on c1's tun0"
in_client c1 timeout 20 ping -6 -n -c 5 -i 0.2 -W 1 -I "$fake6" "$SERVER_VPN_IP6" \
	>> "$IT_WORK/spoof-ping.log" 2>&1
read -r tx rx <<< "$(ping_summary "$IT_WORK/spoof-ping.log")"
expect_eq "IPv6 pings from $fake6 answered (of ${tx:-0})" "${rx:-0}" 0

connect_client c2
ping_ok c2 3
verdict "c2 over IPv4 on the same server" $? "$PING_RESULT"
wait_ipv6 c2
ok=1; [ "${CLI_VPNIP6[c2]}" != fd00:77::42 ] && ok=0
verdict "c2, the same user, gets another IPv6 address: explicit-ipv6 is taken" $ok "${CLI_VPNIP6[c2]}"
grep -qF "explicit-ipv6 fd00:77::42 of user '$TEST_USER' is taken" "$SERVER_LOG"
verdict "the server logged why" $?

occtl_json show users
expect_eq "occtl: c1's remote address" \
	"$(jget "[u['Remote IP'] for u in d if u.get('IPv4') == '${CLI_VPNIP[c1]}'][0]")" "${CLI_IP6[c1]}"
expect_eq "occtl: c2's remote address" \
	"$(jget "[u['Remote IP'] for u in d if u.get('IPv4') == '${CLI_VPNIP[c2]}'][0]")" "${CLI_IP[c2]}"
expect_eq "occtl: c1's VPN IPv6 address" \
	"$(jget "[u.get('IPv6', '') for u in d if u.get('IPv4') == '${CLI_VPNIP[c1]}'][0]")" "${CLI_VPNIP6[c1]}"
occtl_json show user "$TEST_USER" || fatal "occtl show user failed"
expect_eq "occtl: c1's Spoofed packets (the IPv6 ones from $fake6)" \
	"$(jget "[u['Spoofed packets'] for u in d if u.get('IPv4') == '${CLI_VPNIP[c1]}'][0]")" 5

# A wrong password from c1's IPv6 address, twice (10 points each, ban at
# 20): that address is banned, c2's IPv4 is not.
for i in 1 2; do
	URL=$URL6 authenticate c1 test wrong-password
done
occtl show ip bans
grep -qF "${CLI_IP6[c1]}" "$OCCTL_OUT"
verdict "occtl show ip bans lists c1's IPv6 address" $? "$(tr '\n' ' ' < "$OCCTL_OUT" | cut -c1-120)"
if URL=$URL6 authenticate c1; then ok=1; else ok=0; fi
verdict "a login from the banned IPv6 address is refused" $ok
authenticate c2
verdict "a login from c2's IPv4 address still works" $?
alive "$SERVER_PID"
verdict "server still running" $?
