# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# ipv6-lib.sh: helpers of the test-ipv6-*.sh scenarios, on top of dtls-lib.sh
# (and lib.sh). lib.sh keeps IPv6 off in its namespaces; here it is turned on
# again: the server's bridge gets $SERVER_IP6 and each client $CLIENT6_PREFIX
# N+1 (nodad, so they are usable at once), and the clients run without
# --disable-ipv6, so openconnect asks for IPv6 (X-CSTP-Address-Type:
# IPv6,IPv4 and X-CSTP-Full-IPv6-Capability: true) and vpn-script.sh gives
# tun0 the IPv6 address the gateway assigned and a route to $VPN6_NET.

. "$(dirname "${BASH_SOURCE[0]}")/dtls-lib.sh"

SERVER_IP6=fd77::1
CLIENT6_PREFIX=fd77::
VPN6_NET=fd00:77::/64
SERVER_VPN_IP6=fd00:77::1
# lib.sh's spawn_client passes this option instead of --disable-ipv6
IT_CLIENT_IPV6=--dump-http-traffic
# shellcheck disable=SC2034 # the tests' URL to reach the gateway over IPv6
URL6="https://[$SERVER_IP6]:$PORT/"

declare -A CLI_IP6 CLI_VPNIP6

# ipv6_on NETNS: IPv6 back on in NETNS, on every device and on new ones.
ipv6_on() {
	local f
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 > /dev/null || hard_error "$1: enabling IPv6"
	for f in $(ip netns exec "$1" sh -c 'ls -d /proc/sys/net/ipv6/conf/*/disable_ipv6'); do
		ip netns exec "$1" sh -c "echo 0 > $f" || hard_error "$1: $f"
	done
}

# ipv6_setup [CLIENTS]: it_setup, then IPv6 on the link between the server
# and each client (both families on the same veth pairs).
ipv6_setup() {
	local n=${1:-1} i name
	# they read our server's log lines and its tun devices
	[ "$OCSM_SERVER" = modern ] || skip "the IPv6 tests drive ocserv-modern only"
	it_setup "$n"
	ipv6_on "$NS_S"
	ip -n "$NS_S" -6 addr add "$SERVER_IP6/64" dev br0 nodad || hard_error "server: IPv6 address"
	for i in $(seq 1 "$n"); do
		name=c$i
		ipv6_on "${CLI_NS[$name]}"
		CLI_IP6[$name]=$CLIENT6_PREFIX$((i + 1))
		ip -n "${CLI_NS[$name]}" -6 addr add "${CLI_IP6[$name]}/64" dev eth0 nodad ||
			hard_error "$name: IPv6 address"
	done
	for name in "${!CLI_NS[@]}"; do
		in_client "$name" ping -6 -n -q -c 1 -W 5 "$SERVER_IP6" > /dev/null ||
			hard_error "client namespace $name cannot reach $SERVER_IP6"
	done
	it_log "IPv6 on the links: server $SERVER_IP6"
}

# ipv6_config [NAME=VALUE ...] [-- "key = value" ...]: dtls_config with an
# IPv6 pool ($VPN6_NET) and the listen-host line removed (both families).
ipv6_config() {
	local subst=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		subst+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	dtls_config "${subst[@]}" -- "ipv6-network = $VPN6_NET" "$@"
	sed -i '/^listen-host = /d' "$CONFIG" || hard_error "writing $CONFIG"
}

# wait_ipv6 NAME: NAME's tun0 has its IPv6 address (vpn-script.sh gave it);
# sets CLI_VPNIP6[NAME] from INTERNAL_IP6_ADDRESS.
wait_ipv6() {
	local name=$1 deadline
	deadline=$(deadline_after 10)
	CLI_VPNIP6[$name]=$(sed -n 's/^INTERNAL_IP6_ADDRESS=//p' "${CLI_ENV[$name]}")
	[ -n "${CLI_VPNIP6[$name]}" ] || fatal "client $name got no IPv6 address (INTERNAL_IP6_ADDRESS)"
	until in_client "$name" ip -6 addr show dev tun0 2> /dev/null | grep -qF "${CLI_VPNIP6[$name]}/"; do
		[ "$(now_ms)" -lt "$deadline" ] || fatal "client $name: tun0 has no IPv6 address"
		sleep 0.05
	done
	it_log "client $name: VPN IPv6 address ${CLI_VPNIP6[$name]}"
}

# ping6_ok NAME COUNT [from-server]: COUNT IPv6 pings through NAME's tunnel,
# from the client to the server's tun address, or from the server to the
# client's VPN IPv6 address; all answered? Sets PING_RESULT.
ping6_ok() {
	local name=$1 count=$2 log
	if [ "${3:-}" = from-server ]; then
		log=$IT_WORK/server-ping6.log
		in_server timeout $((count + 10)) ping -6 -n -c "$count" -i 0.2 -W 2 \
			"${CLI_VPNIP6[$name]}" >> "$log" 2>&1
	else
		log=$IT_WORK/$name-ping6.log
		in_client "$name" timeout $((count + 10)) ping -6 -n -c "$count" -i 0.2 -W 2 \
			"$SERVER_VPN_IP6" >> "$log" 2>&1
	fi
	ping_all_answered "$log"
}
