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

# started_when WHAT PID SECONDS CMD...: wait until CMD succeeds; the test
# fails if process PID (WHAT) exits first or SECONDS pass.
started_when() {
	local what=$1 pid=$2 secs=$3 deadline
	deadline=$(deadline_after "$secs")
	shift 3
	until "$@"; do
		alive "$pid" || fatal "$what exited during startup"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "$what not ready after $(wait_s "$secs")"
		sleep 0.05
	done
}

# listening NS: something listens on TCP $PORT in namespace NS.
listening() { [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$PORT" 2> /dev/null)" ]; }

# log_has FILE ERE LABEL: a verdict: FILE has at least one line matching ERE.
log_has() {
	local n
	n=$(log_count -E "$1" "$2")
	verdict "$3" "$([ "$n" -ge 1 ]; echo $?)" "$n line(s)"
}

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
	local name=$1 conf=$IT_WORK/server.conf
	shift
	# write_config writes server.conf: g1's file (its workers read it) is
	# kept aside while another gateway's is written
	[ "$name" != g1 ] && [ -f "$conf" ] && mv "$conf" "$IT_WORK/g1.conf.keep"
	dtls_config "$@"
	echo "listen-proxy-proto = true" >> "$CONFIG" || hard_error "writing $CONFIG"
	GW_OCCTL[$name]=$IT_WORK/occtl.sock
	if [ "$name" != g1 ]; then
		conf=$IT_WORK/$name.conf
		GW_OCCTL[$name]=$IT_WORK/$name-occtl.sock
		sed -e "s|$IT_WORK/server.sock|$IT_WORK/$name.sock|" \
			-e "s|$IT_WORK/occtl.sock|${GW_OCCTL[$name]}|" \
			-e "s|$IT_WORK/server.pid|$IT_WORK/$name.pid|" "$CONFIG" > "$conf" ||
			hard_error "writing $conf"
		rm -f "$CONFIG"
		[ -f "$IT_WORK/g1.conf.keep" ] && mv "$IT_WORK/g1.conf.keep" "$CONFIG"
	fi
	sed -i "s|^listen-host = .*|listen-host = ${GW_IP[$name]}|" "$conf"
	GW_CONF[$name]=$conf
}

# start_gateway NAME: the gateway in its namespace, logging into NAME.log
# (g1: server.log, and SERVER_PID/SERVER_LOG name it); waits until it listens.
start_gateway() {
	local name=$1 log
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
	started_when "gateway $name" "${GW_PID[$name]}" 15 listening "${GW_NS[$name]}"
	it_log "gateway $name pid ${GW_PID[$name]} listening on ${GW_IP[$name]}:$PORT"
}

# start_haproxy [HAPROXY-SERVER-OPTIONS] -- NAME...: haproxy in the front's
# namespace, TCP mode, the gateways NAME... as servers in that order
# (send-proxy-v2 plus the options given, e.g. "check inter 1s"), with a
# configuration the test writes (never /etc/haproxy); log: haproxy.log.
start_haproxy() {
	local opts=() name cfg=$IT_WORK/haproxy.cfg
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
			    # each connection logged when it is set up, not at its end
			    option logasap
			    # a connection refused by a dead server is tried on another
			    option redispatch
			    retries 2
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
	started_when haproxy "$HAPROXY_PID" 10 listening "$NS_S"
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

# --- the shared session store ------------------------------------------------

REDIS_NS=
REDIS_IP=$BACK_NET.9
REDIS_PORT=6390
REDIS_PID=
REDIS_USER=ocsm

# start_redis: redis-server in a namespace of its own on the back network
# ($REDIS_IP:$REDIS_PORT), without persistence, with the ACL of
# doc/cluster.md (user $REDIS_USER, the default user off); the credentials in
# $IT_WORK/redis.auth (session-store-auth-file). Log: redis.log.
start_redis() {
	local pw
	command -v redis-server > /dev/null 2>&1 || skip "redis-server not found (apt-get install redis-server)"
	REDIS_NS=ocsm-r-$$
	ip netns add "$REDIS_NS" || hard_error "netns add $REDIS_NS"
	IT_NETNS+=("$REDIS_NS")
	no_ipv6 "$REDIS_NS"
	ip link add eth0 netns "$REDIS_NS" type veth peer name rveth netns "$NS_S" ||
		hard_error "veth for $REDIS_NS"
	ip -n "$NS_S" link set rveth master br1 up || hard_error "rveth up"
	ip -n "$REDIS_NS" link set lo up || hard_error "$REDIS_NS: lo"
	ip -n "$REDIS_NS" addr add "$REDIS_IP/24" dev eth0 || hard_error "$REDIS_NS: address"
	ip -n "$REDIS_NS" link set eth0 up || hard_error "$REDIS_NS: eth0 up"
	pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	printf '%s %s\n' "$REDIS_USER" "$pw" > "$IT_WORK/redis.auth"
	chmod 640 "$IT_WORK/redis.auth"
	chgrp nogroup "$IT_WORK/redis.auth" 2> /dev/null || true
	mkdir -p "$IT_WORK/redis"
	cat > "$IT_WORK/redis.conf" <<-EOF || hard_error "writing redis.conf"
		bind $REDIS_IP
		port $REDIS_PORT
		daemonize no
		save ""
		appendonly no
		dir $IT_WORK/redis
		user default off
		$(redis_acl_line "$pw")
	EOF
	spawn_logged "$IT_WORK/redis.log" /dev/null ip netns exec "$REDIS_NS" \
		redis-server "$IT_WORK/redis.conf"
	REDIS_PID=$SPAWN_PID
	started_when redis-server "$REDIS_PID" 10 redis_answers
	it_log "redis-server pid $REDIS_PID on $REDIS_IP:$REDIS_PORT (user $REDIS_USER)"
}

# redis_acl_line PASSWORD: the ACL user of doc/cluster.md: its own keys
# (ocsm:*, and the empty key name its scripts get for "no address") and
# channels (ocsm:*), and only the commands the gateways send, their scripts'
# calls included (Redis checks those against the same user); PING and SCAN
# for this harness.
redis_acl_line() {
	echo "user $REDIS_USER on >$1 resetkeys ~ocsm:* ~ resetchannels &ocsm:* -@all" \
		"+auth +select +script|load +evalsha +publish +subscribe" \
		"+get +set +del +hget +hset +hgetall +pexpireat +ping +scan"
}

redis_answers() { [ "$(redis_cli PING 2> /dev/null)" = PONG ]; }

# redis_cli ARGS...: redis-cli as the gateways' user.
redis_cli() {
	ip netns exec "$REDIS_NS" env REDISCLI_AUTH="$(cut -d' ' -f2 "$IT_WORK/redis.auth")" \
		redis-cli -h "$REDIS_IP" -p "$REDIS_PORT" --user "$REDIS_USER" --no-auth-warning "$@"
}
