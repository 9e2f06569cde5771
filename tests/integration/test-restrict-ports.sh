#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# restrict-user-to-ports (doc/config-reference.md) from a per-user file: the
# global configuration restricts nothing, the test user's file allows
# "tcp(7001), udp(7001), icmp()". With the real client, through the tunnel to
# listeners in the gateway's namespace:
#  - ping (icmp) is answered, a TCP connection to 7001 echoes, a UDP datagram
#    to 7001 arrives;
#  - 5 UDP datagrams to 7002 never arrive: the worker dropped and counted them
#    (occtl-modern's "Restricted port packets" = 5, and the metric
#    ocserv_modern_dropped_packets_total{reason="restricted-ports"} = 5);
#  - a TCP connection to 7002 is never established;
#  - the tunnel still carries what the list allows afterwards;
#  - restrict-user-to-routes follows the session's routes: the global route
#    is 10.99.0.0/16, the user's file replaces it with the VPN network, so the
#    pings to the gateway's VPN address pass while 3 pings the client sends
#    into the tunnel to 10.99.0.1 (inside the global route only) are dropped
#    and counted ("Restricted packets").
. "$(dirname "$0")/occtl-lib.sh"

MPORT=9109
occtl_preconditions
need_cmd python3
need_cmd curl
it_setup 1
write_config DPD=30 KEEPALIVE=30
mkdir -p "$IT_WORK/users" || hard_error "mkdir"
printf 'restrict-user-to-ports = "tcp(7001), udp(7001), icmp()"\nroute = %s/%s\n' \
	"$VPN_NET" "$VPN_PREFIX" > "$IT_WORK/users/$TEST_USER"
printf 'config-per-user = %s/users\nmetrics-listen = %s:%s\n' "$IT_WORK" "$SERVER_IP" "$MPORT" \
	>> "$CONFIG"
printf 'restrict-user-to-routes = true\nroute = 10.99.0.0/16\n' >> "$CONFIG"

# listeners in the gateway's namespace: TCP echo and UDP receipt on 7001 and
# 7002, each event one line in listener.log
spawn_logged "$IT_WORK/listener.log" /dev/null ip netns exec "$NS_S" python3 -u -c '
import selectors, socket
sel = selectors.DefaultSelector()
for port in (7001, 7002):
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", port)); t.listen(8); sel.register(t, selectors.EVENT_READ, ("tcp", port))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port))
    sel.register(u, selectors.EVENT_READ, ("udp", port))
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        kind, port = key.data
        if kind == "tcp":
            c, _ = key.fileobj.accept(); c.settimeout(2)
            data = c.recv(100); c.sendall(data); c.close()
            print("tcp", port, data.decode(), flush=True)
        else:
            data, _ = key.fileobj.recvfrom(100)
            print("udp", port, data.decode(), flush=True)
'
wait_log "$IT_WORK/listener.log" ' listening' 1 5 || hard_error "listeners did not start"

start_server
connect_client c1

ping_ok c1 3
verdict "ping (icmp() is allowed)" $? "$PING_RESULT"

# client PY-CODE: run python3 in the client's namespace (10 s at most)
client_py() { in_client c1 timeout 10 python3 -c "$1" 2>&1; }
out=$(client_py "
import socket
s = socket.create_connection(('$SERVER_VPN_IP', 7001), timeout=3)
s.sendall(b'hello-7001'); print(s.recv(100).decode())")
expect_eq "TCP to port 7001 (allowed): echoed" "$out" hello-7001
client_py "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'u7001', ('$SERVER_VPN_IP', 7001))
for i in range(5):
    s.sendto(b'u7002-%d' % i, ('$SERVER_VPN_IP', 7002)); time.sleep(0.05)
" > /dev/null
wait_log "$IT_WORK/listener.log" 'udp 7001 u7001' 1 5
verdict "UDP to port 7001 (allowed) arrived" $? "$WAIT_LINE"
sleep 1
expect_eq "UDP datagrams to port 7002 that arrived" "$(grep -c 'udp 7002' "$IT_WORK/listener.log")" 0

occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl -j show id "$id" && n=$(jget 'd[0].get("Restricted port packets", "absent")')
expect_eq "occtl-modern: the 5 datagrams to port 7002 dropped and counted" "$n" 5
wait_log "$SERVER_LOG" 'restrict-user-to-ports does not allow' 1 1
verdict "the worker logged the first dropped packet" $? "$WAIT_LINE"
in_server curl -sS --max-time 5 -o "$IT_WORK/m.prom" "http://$SERVER_IP:$MPORT/metrics" ||
	fatal "GET /metrics failed"
expect_eq "metric dropped_packets_total{reason=\"restricted-ports\"}" \
	"$(awk '$1 == "ocserv_modern_dropped_packets_total{reason=\"restricted-ports\"}" { print $2 }' \
		"$IT_WORK/m.prom")" 5

out=$(client_py "
import socket
try:
    socket.create_connection(('$SERVER_VPN_IP', 7002), timeout=3); print('connected')
except OSError as e:
    print('refused or timed out')")
expect_eq "TCP to port 7002 (not allowed)" "$out" "refused or timed out"
expect_eq "TCP connections that reached port 7002" "$(grep -c 'tcp 7002' "$IT_WORK/listener.log")" 0
ping_ok c1 3
verdict "the tunnel still carries what the list allows" $? "$PING_RESULT"

in_client c1 ip route add 10.99.0.1/32 dev tun0 || hard_error "client route to 10.99.0.1"
in_client c1 timeout 10 ping -n -c 3 -i 0.2 -W 1 10.99.0.1 > "$IT_WORK/outside.log" 2>&1
occtl -j show id "$id" && n=$(jget 'd[0].get("Restricted packets", "absent")')
expect_eq "restrict-user-to-routes: the 3 pings to 10.99.0.1 (outside the user's routes) dropped" \
	"$n" 3
