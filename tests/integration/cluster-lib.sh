# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# cluster-lib.sh: helpers of the test-cluster-*.sh scenarios (gateways sharing
# their sessions and addresses in Redis, doc/session-store.md), on top of
# lib.sh. Every process runs in a namespace the test creates:
#
#   clients c1, c2, ...  10.77.0.2, .3 ...   (br0 in the router namespace)
#   router $NS_S         10.77.0.1 = the gateways' public address ("VIP"),
#                        DNAT'ed by nftables to one gateway; 10.78.0.1 on br1
#   gateway a            10.78.0.11   (its own namespace, tun devices there)
#   gateway b            10.78.0.12
#   redis                10.78.0.20:6390, --save '' --appendonly no
#
# Moving the VIP (vip_to) is how a client's reconnect reaches the other
# gateway: openconnect keeps connecting to 10.77.0.1.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_cmd redis-server redis-cli nft

GW_NET=10.78.0
REDIS_IP=$GW_NET.20
REDIS_PORT=6390
STORE_URL=redis://$REDIS_IP:$REDIS_PORT/0
declare -A GW_NS GW_IP GW_PID GW_LOG GW_CONF
REDIS_PID=
NS_R=

# cluster_net NAME IP: a namespace on br1 with address IP, routed via the router.
cluster_net() {
	local ns=ocsm-$1-$$ n=$1
	ip netns add "$ns" || hard_error "netns add $ns"
	IT_NETNS+=("$ns")
	no_ipv6 "$ns"
	ip link add eth0 netns "$ns" type veth peer name "vg$n" netns "$NS_S" || hard_error "veth $n"
	ip -n "$NS_S" link set "vg$n" master br1 up || hard_error "vg$n up"
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$2/24" dev eth0 || hard_error "$ns: address"
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$GW_NET.1" || hard_error "$ns: route"
	CL_NS=$ns
}

# cluster_setup CLIENTS: lib.sh's namespaces, then br1, gateways a and b,
# redis, and the VIP's DNAT (to a).
cluster_setup() {
	it_setup "$1"
	in_server sysctl -qw net.ipv4.ip_forward=1 || hard_error "ip_forward"
	ip -n "$NS_S" link add br1 type bridge || hard_error "br1"
	ip -n "$NS_S" addr add "$GW_NET.1/24" dev br1
	ip -n "$NS_S" link set br1 up
	for g in a b; do
		GW_IP[$g]=$GW_NET.$([ $g = a ] && echo 11 || echo 12)
		cluster_net "gw$g" "${GW_IP[$g]}"
		GW_NS[$g]=$CL_NS
		GW_LOG[$g]=$IT_WORK/gw-$g.log
	done
	cluster_net redis "$REDIS_IP"
	NS_R=$CL_NS
	vip_to a
}

# vip_to NAME: the VIP's TCP and UDP port now lead to gateway NAME (new
# connections; the conntrack entries of the old ones are flushed).
vip_to() {
	in_server nft -f - <<NFT || hard_error "nft"
table ip ocsmvip
delete table ip ocsmvip
table ip ocsmvip {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $SERVER_IP tcp dport $PORT dnat to ${GW_IP[$1]}
		ip daddr $SERVER_IP udp dport $PORT dnat to ${GW_IP[$1]}
	}
}
NFT
	command -v conntrack > /dev/null && in_server conntrack -F > /dev/null 2>&1
	it_log "VIP $SERVER_IP:$PORT -> gateway $1 (${GW_IP[$1]})"
}

rcli() { ip netns exec "$NS_R" redis-cli -h "$REDIS_IP" -p "$REDIS_PORT" "$@"; }

# start_redis: redis-server without persistence, in its namespace.
start_redis() {
	local deadline
	spawn_logged "$IT_WORK/redis.log" /dev/null ip netns exec "$NS_R" redis-server \
		--port "$REDIS_PORT" --bind "$REDIS_IP" --save '' --appendonly no \
		--protected-mode no --daemonize no
	REDIS_PID=$SPAWN_PID
	deadline=$(deadline_after 10)
	until [ "$(rcli ping 2> /dev/null)" = PONG ]; do
		alive "$REDIS_PID" || fatal "redis-server exited"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "redis-server not answering after 10 s"
		sleep 0.05
	done
	it_log "redis-server pid $REDIS_PID on $REDIS_IP:$REDIS_PORT"
}

# gw_config [NAME=VALUE ...]: write_config with the Redis store, then one
# file per gateway: its address, sockets, pid file and gateway-id.
gw_config() {
	local g
	write_config SESSION_STORE="$STORE_URL" "$@"
	for g in a b; do
		GW_CONF[$g]=$IT_WORK/gw-$g.conf
		sed -e "s|^listen-host = .*|listen-host = ${GW_IP[$g]}|" \
			-e "s|server\.sock|server-$g.sock|; s|occtl\.sock|occtl-$g.sock|" \
			-e "s|server\.pid|server-$g.pid|" "$CONFIG" > "${GW_CONF[$g]}"
		echo "gateway-id = gw-$g" >> "${GW_CONF[$g]}"
	done
}

# start_gw NAME: gateway NAME in its namespace; waits until it listens and
# its sec-mod is connected to Redis.
start_gw() {
	local g=$1 deadline n
	n=$(log_count -E "${GW_LOG[$g]}" 'session store .*: connected')
	spawn_logged "${GW_LOG[$g]}" /dev/null ip netns exec "${GW_NS[$g]}" env \
		OCSERV_MODERN_WORKER="${OCSERV_MODERN_WORKER:-}" "$SERVER_BIN" -f -c "${GW_CONF[$g]}"
	GW_PID[$g]=$SPAWN_PID
	deadline=$(deadline_after 15)
	until [ -n "$(ip netns exec "${GW_NS[$g]}" ss -Hltn "sport = :$PORT" 2> /dev/null)" ]; do
		alive "${GW_PID[$g]}" || fatal "gateway $g exited during startup"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "gateway $g not listening after 15 s"
		sleep 0.05
	done
	wait_log -E "${GW_LOG[$g]}" 'session store .*: connected' $((n + 1)) 10 ||
		fatal "gateway $g: sec-mod not connected to Redis"
	it_log "gateway $g pid ${GW_PID[$g]} on ${GW_IP[$g]}:$PORT"
}

# gw_pids NAME: main of gateway NAME and all its descendants.
gw_pids() {
	local todo=${GW_PID[$1]} all= p kids
	while [ -n "$todo" ]; do
		p=${todo%% *}
		todo=${todo#"$p"}
		todo=${todo# }
		all="$all $p"
		kids=$(ps -o pid= --ppid "$p" | tr -s ' \n' ' ')
		todo="$todo $kids"
		todo=$(echo "$todo" | xargs)
	done
	echo "$all" | xargs
}

# kill_gw NAME: SIGKILL to every process of gateway NAME, by PID.
kill_gw() {
	local pids p
	pids=$(gw_pids "$1")
	# shellcheck disable=SC2086
	kill -KILL $pids 2> /dev/null
	for p in $pids; do
		while kill -0 "$p" 2> /dev/null; do sleep 0.05; done
	done
	it_log "gateway $1 killed (SIGKILL to $pids)"
}

# gw_count NAME REGEX: lines of gateway NAME's log matching REGEX.
gw_count() { log_count -E "${GW_LOG[$1]}" "$2"; }
