# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
#
# front-lib.sh: a cluster front (doc/cluster.md) for the test-proxy-*.sh and
# test-cluster-*.sh scenarios, on top of lib.sh. lib.sh's server namespace
# becomes the front: haproxy (TCP mode, send-proxy-v2) listens on its
# address $SERVER_IP:$PORT, and nftables there forwards UDP $PORT (DTLS) by
# DNAT, keeping the client's source address. The gateways run in namespaces
# of their own behind it, on a second network that the front routes to:
#
#   ns ocsm-cN-PID        ns ocsm-s-PID (the front)          ns ocsm-gN-PID
#   client 10.77.0.N+1 -- br0 10.77.0.1   br1 10.78.0.1 ---- gateway 10.78.0.N+1
#                         haproxy :4443 -> 10.78.0.x:4443    (default route via
#                         nft: udp :4443 dnat -> 10.78.0.x    the front)
#
# The clients also have a route to 10.78.0.0/24 through the front, so a test
# can bypass haproxy and reach a gateway directly (as an attacker would).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/dtls-lib.sh"

declare -A GW_NS GW_IP GW_PID GW_LOG GW_CONF GW_OCCTL
HAPROXY_PID=
HAPROXY_LOG=
BACK_NET=10.78.0
FRONT_BACK_IP=$BACK_NET.1

front_preconditions() {
	command -v haproxy > /dev/null 2>&1 || skip "haproxy not found (apt-get install haproxy)"
	command -v python3 > /dev/null 2>&1 || skip "python3 not found"
}

in_gw() { local n=$1; shift; ip netns exec "${GW_NS[$n]}" "$@"; }

# front_setup GATEWAYS: the back network and GATEWAYS gateway namespaces
# g1, g2, ... (after it_setup).
front_setup() {
	local n=${1:-1} i name ns c
	front_preconditions
	in_server sysctl -qw net.ipv4.ip_forward=1 || hard_error "front: ip_forward"
	ip -n "$NS_S" link add br1 type bridge || hard_error "front: br1"
	ip -n "$NS_S" addr add "$FRONT_BACK_IP/24" dev br1 || hard_error "front: br1 address"
	ip -n "$NS_S" link set br1 up || hard_error "front: br1 up"
	for i in $(seq 1 "$n"); do
		name=g$i
		ns=ocsm-g$i-$$
		ip netns add "$ns" || hard_error "netns add $ns"
		IT_NETNS+=("$ns")
		no_ipv6 "$ns"
		GW_NS[$name]=$ns
		GW_IP[$name]=$BACK_NET.$((i + 1))
		ip link add eth0 netns "$ns" type veth peer name "gveth$i" netns "$NS_S" ||
			hard_error "veth for $ns"
		ip -n "$NS_S" link set "gveth$i" master br1 up || hard_error "gveth$i up"
		ip -n "$ns" link set lo up || hard_error "$ns: lo"
		ip -n "$ns" addr add "${GW_IP[$name]}/24" dev eth0 || hard_error "$ns: address"
		ip -n "$ns" link set eth0 up || hard_error "$ns: eth0 up"
		ip -n "$ns" route add default via "$FRONT_BACK_IP" || hard_error "$ns: route"
	done
	for c in "${!CLI_NS[@]}"; do
		ip -n "${CLI_NS[$c]}" route add "$BACK_NET.0/24" via "$SERVER_IP" ||
			hard_error "$c: route to the gateways"
	done
	for name in "${!GW_NS[@]}"; do
		in_gw "$name" ping -n -q -c 1 -W 5 "$SERVER_IP" > /dev/null ||
			hard_error "gateway namespace $name cannot reach the front"
	done
}

# gw_config NAME [NAME=VALUE ...] [-- "key = value" ...]: dtls_config (DTLS
# on UDP $PORT, the extra lines) for gateway NAME, listening on its own
# address with listen-proxy-proto, its sockets and pid file its own. g1
# keeps lib.sh's names (server.conf, occtl.sock), so lib.sh's and
# occtl-lib.sh's helpers see it as "the server".
gw_config() {
	local name=$1 conf
	shift
	dtls_config "$@"
	echo "listen-proxy-proto = true" >> "$CONFIG" || hard_error "writing $CONFIG"
	conf=$CONFIG
	GW_OCCTL[$name]=$IT_WORK/occtl.sock
	if [ "$name" != g1 ]; then
		conf=$IT_WORK/$name.conf
		GW_OCCTL[$name]=$IT_WORK/$name-occtl.sock
		sed -e "s|$IT_WORK/server.sock|$IT_WORK/$name.sock|" \
			-e "s|$IT_WORK/occtl.sock|${GW_OCCTL[$name]}|" \
			-e "s|$IT_WORK/server.pid|$IT_WORK/$name.pid|" "$CONFIG" > "$conf" ||
			hard_error "writing $conf"
	fi
	sed -i "s|^listen-host = .*|listen-host = ${GW_IP[$name]}|" "$conf"
	GW_CONF[$name]=$conf
}

# start_gateway NAME: the gateway in its namespace, logging into NAME.log
# (g1: server.log, and SERVER_PID/SERVER_LOG name it); waits until it listens.
start_gateway() {
	local name=$1 log deadline
	log=$IT_WORK/$name.log
	[ "$name" = g1 ] && log=$IT_WORK/server.log
	it_log "starting gateway $name: $SERVER_BIN -f -c ${GW_CONF[$name]}"
	spawn_logged "$log" /dev/null ip netns exec "${GW_NS[$name]}" env \
		OCSERV_MODERN_WORKER="${OCSERV_MODERN_WORKER:-}" "$SERVER_BIN" -f -c "${GW_CONF[$name]}"
	GW_PID[$name]=$SPAWN_PID
	GW_LOG[$name]=$log
	if [ "$name" = g1 ]; then
		SERVER_PID=$SPAWN_PID
		SERVER_LOG=$log
	fi
	deadline=$(( $(now_ms) + 15000 ))
	until [ -n "$(in_gw "$name" ss -Hltn "sport = :$PORT" 2> /dev/null)" ]; do
		alive "${GW_PID[$name]}" || fatal "gateway $name exited during startup"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "gateway $name not listening after 15 s"
		sleep 0.05
	done
	it_log "gateway $name pid ${GW_PID[$name]} listening on ${GW_IP[$name]}:$PORT"
}

# start_haproxy [HAPROXY-SERVER-OPTIONS] -- NAME...: haproxy in the front's
# namespace, TCP mode, the gateways NAME... as servers in that order
# (send-proxy-v2 plus the options given, e.g. "check inter 1s"), with a
# configuration the test writes (never /etc/haproxy); log: haproxy.log.
start_haproxy() {
	local opts=() name deadline cfg=$IT_WORK/haproxy.cfg
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	{
		cat <<-EOF
			global
			    log stdout format raw local0 info
			    maxconn 256
			defaults
			    mode tcp
			    log global
			    option tcplog
			    timeout connect 2s
			    timeout client 1h
			    timeout server 1h
			frontend vpn
			    bind $SERVER_IP:$PORT
			    default_backend gateways
			backend gateways
			    balance first
		EOF
		for name in "$@"; do
			echo "    server $name ${GW_IP[$name]}:$PORT send-proxy-v2 ${opts[*]}"
		done
	} > "$cfg" || hard_error "writing $cfg"
	in_server haproxy -c -f "$cfg" > "$IT_WORK/haproxy-check.out" 2>&1 ||
		hard_error "haproxy -c: $(cat "$IT_WORK/haproxy-check.out")"
	HAPROXY_LOG=$IT_WORK/haproxy.log
	spawn_logged "$HAPROXY_LOG" /dev/null ip netns exec "$NS_S" haproxy -db -f "$cfg"
	HAPROXY_PID=$SPAWN_PID
	deadline=$(( $(now_ms) + 10000 ))
	until [ -n "$(in_server ss -Hltn "sport = :$PORT" 2> /dev/null)" ]; do
		alive "$HAPROXY_PID" || fatal "haproxy exited during startup"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "haproxy not listening after 10 s"
		sleep 0.05
	done
	it_log "haproxy pid $HAPROXY_PID on $SERVER_IP:$PORT -> $*"
}

# front_udp_to NAME: the front forwards UDP $PORT to gateway NAME by DNAT
# (nftables in the front's namespace; the client's source address is kept,
# and the gateway's answers go back through the front by its default route).
front_udp_to() {
	local name=$1
	in_server nft -f - <<-EOF || hard_error "nft: the UDP front"
		table ip ocsm_front
		delete table ip ocsm_front
		table ip ocsm_front {
		    chain prerouting {
		        type nat hook prerouting priority dstnat; policy accept;
		        ip daddr $SERVER_IP udp dport $PORT counter dnat to ${GW_IP[$name]}:$PORT
		    }
		}
	EOF
	it_log "front: UDP $SERVER_IP:$PORT -> ${GW_IP[$name]}:$PORT (DNAT)"
}

# proxysend ARGS...: proxysend.py from client c2's namespace; PS_OUT its line,
# PS_RC its exit status.
proxysend() {
	PS_OUT=$(in_client "${PS_FROM:-c2}" python3 "$IT_DIR/proxysend.py" "$@" 2>&1)
	PS_RC=$?
	echo "$PS_OUT" >> "$IT_WORK/proxysend.log"
}

# front_udp_packets: how many UDP packets the front's DNAT rule forwarded
# (the first packet of each flow; the rest follow its conntrack entry).
front_udp_packets() {
	in_server nft list table ip ocsm_front | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}
