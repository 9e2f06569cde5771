#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IPv6 inside the tunnel (ipv6-network, doc/config-reference.md): a
# dual-stack openconnect client gets an IPv6 address from the pool
# (X-CSTP-Address-IP6: ADDR/128, since it sends X-CSTP-Full-IPv6-Capability),
# its IPv6 routes and DNS server, and X-CSTP-Client-Bypass-Protocol: false
# (the connect-script gets IPV6_REMOTE, IPV6_PREFIX and IPV6_LOCAL), and
# restrict-user-to-routes drops an IPv6 destination outside the routes; the server's tun device carries
# fd00:77::1 and the route to the client's address; IPv6 pings go through
# the tunnel both ways, over DTLS (c1) and over TLS with DTLS off (c2). Then
# c1's network is cut until the server's DPD ends its tunnel (the session
# waits with its addresses); once the network is back the same openconnect
# process reconnects with its cookie, which it only accepts with the same
# IPv6 address (doc/spec/interop.md §5.4: "Reconnect gave different IPv6
# address" would make it exit), and IPv6 goes through again.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/ipv6-lib.sh"

D=3
CUT=12
occtl_preconditions
ipv6_setup 2
ipv6_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=120 -- "dns = fd00:77::53" "dns = 192.168.77.53" \
	"route = 192.168.77.0/24" "route = fd00:77::/64" "route = fd00:99::/48" \
	"connect-script = $IT_WORK/connect.sh" "restrict-user-to-routes = true"
printf '#!/bin/sh\nenv > "%s/connect.env.$$"\n' "$IT_WORK" > "$IT_WORK/connect.sh"
chmod 755 "$IT_WORK/connect.sh"
start_server

connect_dtls_client c1 --reconnect-timeout 120
wait_ipv6 c1
grep -q '> X-CSTP-Full-IPv6-Capability: true' "${CLI_LOG[c1]}"
verdict "c1 asked for IPv6 (X-CSTP-Full-IPv6-Capability: true)" $?
expect_eq "X-CSTP-Address-IP6 as c1 saw it" "$(cstp_option c1 X-CSTP-Address-IP6)" \
	"${CLI_VPNIP6[c1]}/128"
case ${CLI_VPNIP6[c1]} in fd00:77::*) ok=0 ;; *) ok=1 ;; esac
verdict "c1's IPv6 address is from ipv6-network $VPN6_NET" $ok "${CLI_VPNIP6[c1]}"
expect_eq "X-CSTP-Client-Bypass-Protocol" "$(cstp_option c1 X-CSTP-Client-Bypass-Protocol)" false
expect_eq "IPv6 routes as X-CSTP-Split-Include-IP6 (CISCO_IPV6_SPLIT_INC_*)" \
	"$(awk -F= '/^CISCO_IPV6_SPLIT_INC_[0-9]+_(ADDR|MASKLEN)=/ { split($1, k, "_");
		if ($1 ~ /ADDR$/) a[k[5]] = $2; else m[k[5]] = $2 }
		END { for (i = 0; i in a; i++) print a[i] "/" m[i] }' "${CLI_ENV[c1]}" | sort | paste -sd' ')" \
	"fd00:77::/64 fd00:99::/48"
expect_eq "IPv4 routes still as X-CSTP-Split-Include" \
	"$(sed -n 's/^X-CSTP-Split-Include=//p' "${CLI_ENV[c1]}.cstp" | paste -sd' ')" "192.168.77.0/255.255.255.0"
expect_eq "IPv6 and IPv4 DNS servers as X-CSTP-DNS" \
	"$(sed -n 's/^X-CSTP-DNS=//p' "${CLI_ENV[c1]}.cstp" | paste -sd' ')" "fd00:77::53 192.168.77.53"
cenv=$(grep -lF "IP_REMOTE=${CLI_VPNIP[c1]}" "$IT_WORK"/connect.env.* | head -n 1)
expect_eq "connect-script: IPV6_REMOTE IPV6_PREFIX IPV6_LOCAL" \
	"$(for v in IPV6_REMOTE IPV6_PREFIX IPV6_LOCAL; do sed -n "s/^$v=//p" "$cenv"; done | paste -sd' ')" \
	"${CLI_VPNIP6[c1]} 128 $SERVER_VPN_IP6"
dev=$(server_dev_of "${CLI_VPNIP[c1]}")
line=$(in_server ip -o -6 addr show dev "${dev%/*}" scope global 2> /dev/null | head -n 1)
ok=1; [[ $line == *"inet6 $SERVER_VPN_IP6/128 "* ]] && ok=0
verdict "server's ${dev%/*} has $SERVER_VPN_IP6" $ok "$(awk '{ print $4 }' <<< "$line")"
expect_eq "server routes c1's IPv6 address into ${dev%/*}" \
	"$(in_server ip -o -6 route get "${CLI_VPNIP6[c1]}" 2> /dev/null | sed -nE 's/.* dev ([^ ]+).*/\1/p')" "${dev%/*}"

ping6_ok c1 10
verdict "c1 -> server: IPv6 ping through the tunnel (DTLS)" $? "$PING_RESULT"
ping6_ok c1 5 from-server
verdict "server -> c1: IPv6 ping through the tunnel (DTLS)" $? "$PING_RESULT"
ping_ok c1 3
verdict "c1 -> server: IPv4 still works" $? "$PING_RESULT"

connect_client c2
wait_ipv6 c2
ok=1; [ "${CLI_VPNIP6[c2]}" != "${CLI_VPNIP6[c1]}" ] && ok=0
verdict "c2 got another IPv6 address" $ok "${CLI_VPNIP6[c2]}"
ping6_ok c2 5
verdict "c2 -> server: IPv6 ping through the tunnel (TLS, no DTLS)" $? "$PING_RESULT"
ping6_ok c2 5 from-server
verdict "server -> c2: IPv6 ping through the tunnel (TLS, no DTLS)" $? "$PING_RESULT"

# restrict-user-to-routes: an IPv6 destination outside the routes is dropped
# (c2's kernel's own MLD reports to ff02::16 are outside them too: the
# count is read before and after)
restricted() {
	occtl -j show users > /dev/null
	jget "[u['Restricted packets'] for u in d if u.get('IPv4') == '${CLI_VPNIP[c2]}'][0]"
}
in_client c2 ip -6 route add fd00:98::/64 dev tun0 || hard_error "c2: route to fd00:98::/64"
r0=$(restricted)
in_client c2 timeout 10 ping -6 -n -c 3 -i 0.2 -W 1 fd00:98::1 >> "$IT_WORK/restrict-ping.log" 2>&1
r1=$(restricted)
ok=1; [ "$((r1 - r0))" -ge 3 ] && ok=0
verdict "c2's 3 IPv6 pings to fd00:98::1 (outside the routes) dropped by restrict-user-to-routes" $ok \
	"Restricted packets $r0 -> $r1"

# The cut: the session waits to resume with both addresses kept.
ip6=${CLI_VPNIP6[c1]}
sleep 1
t_cut=$(now_ms)
cut_on c1 all
it_log "network cut for $CUT s"
server_tunnel_end dpd-timeout $((3 * D + 4)) "${CLI_VPNIP[c1]}" ||
	fatal "no dpd-timeout tunnel end within $((3 * D + 4)) s of the cut"
# the DTLS channel carried the data before the cut (its counters)
ok=1; [[ $END_LINE =~ dtls\ (up|inactive).*rx\ ([0-9]+)\ pkts ]] && [ "${BASH_REMATCH[2]}" -ge 10 ] && ok=0
verdict "the pings of c1 went over DTLS" $ok "$(grep -oE 'dtls [a-z]+ .*' <<< "$END_LINE" | cut -c1-90)"
wait_log "$SERVER_LOG" 'waits to resume' 1 3 || fatal "the session is not waiting to resume"
now=$(now_ms)
[ $((t_cut + CUT * 1000 - now)) -gt 0 ] && sleep "$(fmt_ms $((t_cut + CUT * 1000 - now)))"
cut_off c1
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40 ||
	fatal "c1 did not reconnect within 40 s of the restore"
alive "${CLI_PID[c1]}"
verdict "the same client process reconnected (no exit)" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "c1 saw the same IPv4 and IPv6 addresses after the resume" $?
wait_log "${CLI_ENV[c1]}.cstp" 'X-CSTP-Address-IP6' 1 5
expect_eq "X-CSTP-Address-IP6 after the resume" "$(cstp_option c1 X-CSTP-Address-IP6)" "$ip6/128"
ping6_ok c1 5
verdict "c1 -> server: IPv6 ping after the resume" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
