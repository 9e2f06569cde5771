#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Prometheus metrics (metrics-listen, doc/metrics.md) with the real
# openconnect client and a real Prometheus server.
#
#   login + tunnel   /metrics passes `promtool check metrics`; 1 active
#                    session, 1 TLS tunnel, 1 login succeeded, 1 worker
#   live counters    the pings' packets reach the counters while the tunnel
#                    is up (the worker reports a change at most 10 s late)
#   network cut      (dpd = D = 3) the tunnel ends with dpd-timeout: the
#                    session waits to resume, tunnel_ends{dpd-timeout} 1,
#                    DPD probes sent, bytes and packets from the final report
#   cut lifted       the client resumes by itself: resumes 1, active again
#   logout (SIGINT)  session_ends{user-disconnect} 1, no session left
#   Prometheus       scrapes the gateway every second from the server's
#                    namespace; its HTTP API says up = 1 and returns our
#                    login counter, and accepts every query of the sample
#                    Grafana dashboard (doc/grafana-dashboard.json)
#   hostile peers    4 silent connections fill the scraper slots: a 5th is
#                    closed at once and occtl still answers (main never
#                    waits); an oversized request gets 431, another path
#                    404, another method 405, non-HTTP 400; /metrics works
#                    again after
. "$(dirname "$0")/occtl-lib.sh"

D=3
MPORT=9617
PPORT=9090
occtl_preconditions
for c in promtool prometheus curl; do
	command -v "$c" > /dev/null 2>&1 || skip "$c not found (Debian packages prometheus, curl)"
done
it_setup 1
write_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=60
echo "metrics-listen = $SERVER_IP:$MPORT" >> "$CONFIG"
start_server
MURL=http://$SERVER_IP:$MPORT/metrics

# scrape NAME: GET /metrics from the server's namespace into $IT_WORK/NAME.prom;
# promtool must accept it.
scrape() {
	MFILE=$IT_WORK/$1.prom
	in_server curl -sS --max-time 5 -o "$MFILE" -D "$MFILE.hdr" "$MURL" ||
		fatal "GET $MURL failed"
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$MFILE.hdr"
	verdict "$1: Content-Type text/plain; version=0.0.4" $? "$(grep -i '^content-type' "$MFILE.hdr")"
	local out
	out=$(promtool check metrics < "$MFILE" 2>&1)
	verdict "$1: promtool check metrics accepts it" $? "$out"
}

# mval SERIES: the value of one series (name with its labels) in $MFILE.
mval() { awk -v k="$1" '$1 == k { print $2 }' "$MFILE"; }

# --- a session with its tunnel ---------------------------------------------
connect_client c1 --reconnect-timeout 120
ip1=${CLI_VPNIP[c1]}
ping_out=$(in_client c1 ping -n -q -c 3 -i 0.2 -W 2 "$SERVER_VPN_IP" 2>&1)
verdict "ping through the tunnel" $? "$(echo "$ping_out" | tail -n 2 | head -n 1)"
scrape up
expect_eq "sessions active" "$(mval 'ocserv_modern_sessions{state="active"}')" 1
expect_eq "sessions waiting" "$(mval 'ocserv_modern_sessions{state="waiting-to-resume"}')" 0
expect_eq "tunnels over TLS" "$(mval 'ocserv_modern_tunnels{path="tls"}')" 1
expect_eq "tunnels over DTLS (none offered)" "$(mval 'ocserv_modern_tunnels{path="dtls"}')" 0
expect_eq "logins succeeded" "$(mval ocserv_modern_logins_succeeded_total)" 1
expect_eq "logins failed" "$(mval ocserv_modern_logins_failed_total)" 0
expect_eq "workers" "$(mval ocserv_modern_workers)" 1
expect_eq "sec-mod queue" "$(mval ocserv_modern_secmod_queue_messages)" 0
expect_eq "store errors" "$(mval ocserv_modern_store_errors_total)" 0
ver=$("$SERVER_BIN" -v 2> /dev/null | awk '{ print $2 }')
expect_eq "build_info carries the version" "$(mval "ocserv_modern_build_info{version=\"$ver\"}")" 1

# --- the counters of a live tunnel -------------------------------------------
# An idle tunnel reports nothing; the first change arms a 10 s report
# (WORKER_STATS_INTERVAL_S): the pings must show up without a final report.
deadline=$(deadline_after 25)
n=0
MFILE=$IT_WORK/live.prom
while [ "$(now_ms)" -lt "$deadline" ]; do
	in_server curl -sS --max-time 5 -o "$MFILE" "$MURL" || fatal "GET $MURL failed"
	n=$(mval ocserv_modern_rx_packets_total)
	[ "${n:-0}" -ge 3 ] && break
	sleep 1
done
expect_int_range "live: rx_packets_total counts the pings before the tunnel ends" "${n:-0}" 3 100000
expect_int_range "live: tx_packets_total too" "$(mval ocserv_modern_tx_packets_total)" 3 100000

# --- network cut: DPD ends the tunnel, the session waits ---------------------
cut_on c1 all
t_cut=$(now_ms)
server_tunnel_end dpd-timeout $((3 * D + 4)) "$ip1" || fatal "no dpd-timeout within $((3 * D + 4)) s"
wait_log "$SERVER_LOG" 'waits to resume' 1 3 || fatal "the session is not waiting to resume"
scrape cut
expect_eq "cut: sessions active" "$(mval 'ocserv_modern_sessions{state="active"}')" 0
expect_eq "cut: sessions waiting" "$(mval 'ocserv_modern_sessions{state="waiting-to-resume"}')" 1
expect_eq "cut: tunnels" "$(mval 'ocserv_modern_tunnels{path="tls"}')" 0
expect_eq "cut: tunnel ends by dpd-timeout" \
	"$(mval 'ocserv_modern_tunnel_ends_total{reason="dpd-timeout"}')" 1
expect_eq "cut: dpd_timeouts_total" "$(mval ocserv_modern_dpd_timeouts_total)" 1
expect_eq "cut: no session ended" "$(awk '/^ocserv_modern_session_ends_total/ { s += $2 } END { print s }' "$MFILE")" 0
sent=$(mval 'ocserv_modern_dpd_probes_sent_total{channel="cstp"}')
expect_int_range "cut: CSTP DPD probes sent (D/R probes before 3D)" "$sent" 1 10
for k in rx_packets_total tx_packets_total; do
	n=$(mval "ocserv_modern_$k")
	expect_int_range "cut: $k counts the pings (final report)" "$n" 3 100000
done
n=$(mval ocserv_modern_rx_bytes_total)
expect_int_range "cut: rx_bytes_total" "$n" $((3 * 84)) 10000000

# --- the client resumes ------------------------------------------------------
now=$(now_ms)
[ $((t_cut + 14000 - now)) -gt 0 ] && sleep "$(fmt_ms $((t_cut + 14000 - now)))"
cut_off c1
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40 || fatal "the client did not resume within 40 s"
scrape resumed
expect_eq "resumed: resumes_total" "$(mval ocserv_modern_resumes_total)" 1
expect_eq "resumed: sessions active" "$(mval 'ocserv_modern_sessions{state="active"}')" 1
expect_eq "resumed: logins succeeded (no new login)" "$(mval ocserv_modern_logins_succeeded_total)" 1

# --- a real Prometheus scrapes us ------------------------------------------
mkdir -p "$IT_WORK/prom" || hard_error "mkdir prom"
cat > "$IT_WORK/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: ocserv-modern
	    static_configs:
	      - targets: ['$SERVER_IP:$MPORT']
EOF
spawn_logged "$IT_WORK/prometheus.log" /dev/null ip netns exec "$NS_S" prometheus \
	--config.file="$IT_WORK/prometheus.yml" --storage.tsdb.path="$IT_WORK/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn
PROM_PID=$SPAWN_PID
# promq QUERY: the first result's value of an instant query ("" if none).
promq() {
	in_server curl -sS --max-time 3 -G "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" 2> /dev/null |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2> /dev/null
}
deadline=$(deadline_after 30)
up=
while [ "$(now_ms)" -lt "$deadline" ]; do
	alive "$PROM_PID" || fatal "prometheus exited (see prometheus.log)"
	up=$(promq 'up{job="ocserv-modern"}')
	[ "$up" = 1 ] && break
	sleep 0.5
done
expect_eq "Prometheus: up{job=\"ocserv-modern\"}" "$up" 1
expect_eq "Prometheus: ocserv_modern_logins_succeeded_total" \
	"$(promq 'ocserv_modern_logins_succeeded_total{job="ocserv-modern"}')" 1
expect_eq "Prometheus: active sessions" \
	"$(promq 'ocserv_modern_sessions{job="ocserv-modern",state="active"}')" 1
# Every query of the sample Grafana dashboard is valid PromQL for this
# Prometheus, and every metric it names is one we serve.
dash=$(in_server python3 - "$top_srcdir/doc/grafana-dashboard.json" "$PPORT" "$MFILE" <<-'PY'
	import json, re, sys, urllib.parse, urllib.request
	d = json.load(open(sys.argv[1]))
	served = set(l.split()[2] for l in open(sys.argv[3]) if l.startswith("# TYPE "))
	bad = []
	n = 0
	for p in d["panels"]:
	    for t in p["targets"]:
	        e = t["expr"].replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")
	        for m in re.findall(r"ocserv_modern_[a-z_]+", e):
	            if re.sub(r"_(bucket|sum|count)$", "", m) not in served:
	                bad.append("unknown metric " + m)
	        url = "http://127.0.0.1:%s/api/v1/query?%s" % (sys.argv[2], urllib.parse.urlencode({"query": e}))
	        try:
	            r = json.load(urllib.request.urlopen(url, timeout=3))
	            ok = r.get("status") == "success"
	        except Exception as x:
	            ok = False
	        if not ok:
	            bad.append("rejected: " + e)
	        n += 1
	print(n, "queries;", "; ".join(bad) if bad else "all valid")
PY
)
ok=1; [[ $dash == *"all valid" ]] && ok=0
verdict "doc/grafana-dashboard.json: every query valid, every metric served" $ok "$dash"
kill -TERM "$PROM_PID" 2> /dev/null

# --- logout --------------------------------------------------------------------
kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running 10 s after SIGINT"
wait_log "$SERVER_LOG" 'released' 1 5 || fatal "the session was not released after the logout"
scrape logout
expect_eq "logout: session ends by user-disconnect" \
	"$(mval 'ocserv_modern_session_ends_total{reason="user-disconnect"}')" 1
expect_eq "logout: sessions active" "$(mval 'ocserv_modern_sessions{state="active"}')" 0
expect_eq "logout: sessions waiting" "$(mval 'ocserv_modern_sessions{state="waiting-to-resume"}')" 0

# --- hostile scrapers ------------------------------------------------------------
# Four silent connections hold every slot (a holder process in the server's
# namespace); meanwhile a fifth is closed at once and occtl still answers:
# main never waits for a scraper.
cat > "$IT_WORK/hold.py" <<-'PY'
	import socket, sys, time
	idle = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3) for _ in range(4)]
	print("held", flush=True)
	time.sleep(float(sys.argv[3]))
PY
spawn_logged "$IT_WORK/hold.log" /dev/null ip netns exec "$NS_S" python3 "$IT_WORK/hold.py" \
	"$SERVER_IP" "$MPORT" 5
HOLD_PID=$SPAWN_PID
wait_log "$IT_WORK/hold.log" held 1 5 || fatal "the holder did not connect"
sleep 0.3
fifth=$(in_server python3 - "$SERVER_IP" "$MPORT" <<-'PY'
	import socket, sys, time
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
	t = time.time()
	try:
	    r = "closed" if s.recv(1) == b"" else "data"
	except socket.timeout:
	    r = "open"
	except ConnectionResetError:
	    r = "closed"
	print(r, int((time.time() - t) * 1000))
PY
)
ok=1; [[ $fifth =~ ^closed\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -lt 1000 ] && ok=0
verdict "a 5th scraper is closed at once (ms) while 4 hold the slots" $ok "$fifth"
t0=$(now_ms)
occtl show status
verdict "occtl answers while the scraper slots are full" $? "$(head -c 200 "$OCCTL_ERR")"
expect_int_range "occtl show status took (ms)" $(( $(now_ms) - t0 )) 0 2000
wait_exit "$HOLD_PID" 10 || fatal "the holder did not end"
sleep 0.3

# Bad requests get their status code and a close; a good one works after.
res=$(in_server python3 - "$SERVER_IP" "$MPORT" <<-'PY'
	import socket, sys
	def status(req):
	    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
	    s.sendall(req)
	    data = b""
	    while True:
	        b = s.recv(65536)
	        if not b:
	            break
	        data += b
	    return data.split(b" ")[1].decode() if data else "none"
	head = b"GET /metrics HTTP/1.1\r\nX: "
	print("big", status(head + b"a" * (8192 - len(head))))  # the limit, and no end
	print("path", status(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	print("method", status(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
	print("garbage", status(b"\x16\x03\x01\x00\x05hello\r\n\r\n"))
	print("ok", status(b"GET /metrics HTTP/1.0\r\n\r\n"))
PY
)
it_log "bad requests: $(echo $res)"
expect_eq "an oversized request" "$(echo "$res" | awk '$1 == "big" { print $2 }')" 431
expect_eq "another path" "$(echo "$res" | awk '$1 == "path" { print $2 }')" 404
expect_eq "another method" "$(echo "$res" | awk '$1 == "method" { print $2 }')" 405
expect_eq "not HTTP" "$(echo "$res" | awk '$1 == "garbage" { print $2 }')" 400
expect_eq "GET /metrics after them" "$(echo "$res" | awk '$1 == "ok" { print $2 }')" 200
alive "$SERVER_PID"
verdict "the server survived" $?
