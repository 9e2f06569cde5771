#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A show events subscriber that never reads cannot make main wait: main
# queues its events up to a bound (256 KiB; this test build's server is told
# 16 KiB with OCSERV_MODERN_TEST_EVENTS_QUEUE, so that a few hundred events
# fill it), then drops it with a log line, while a second subscriber that
# reads gets every event and logins go on as fast as before.
#
#   stalled   a client of the control socket asks for events (the real
#             protocol frame) and then reads nothing
#   reader    occtl-modern -j show events, reading
#   logins    LOGINS form logins over TLS, one after the other (each one
#             event), timed one by one
#
# Checks: the server logs that it dropped the stalled subscriber; the reader
# has one login event per login; no login took longer than 5 s (main never
# waited on the stalled socket, which would have stalled it for good); occtl
# show status answers afterwards.
. "$(dirname "$0")/occtl-lib.sh"

LOGINS=500
occtl_preconditions
it_setup 1
write_config COOKIE_TIMEOUT=600
export OCSERV_MODERN_TEST_EVENTS_QUEUE=16384
start_server

EVJ=$IT_WORK/events.jsonl
"$OCCTL_BIN" -s "$IT_WORK/occtl.sock" -j show events > "$EVJ" 2> "$EVJ.err" < /dev/null &
EVJ_PID=$!
track "$EVJ_PID"
cat > "$IT_WORK/stall.py" <<-'PY'
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(sys.argv[1])
	s.sendall(bytes([16, 0, 0, 0, 0]))   # show events, an empty CtlRequest
	print("subscribed", flush=True)
	time.sleep(float(sys.argv[2]))       # and never read
PY
spawn_logged "$IT_WORK/stall.log" /dev/null python3 "$IT_WORK/stall.py" "$IT_WORK/occtl.sock" 120
STALL_PID=$SPAWN_PID
wait_log "$SERVER_LOG" 'subscribed' 2 5 || fatal "the two subscribers did not subscribe"

cat > "$IT_WORK/logins.py" <<-'PY'
	import socket, ssl, sys, time
	host, port, n, user, pw = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
	ctx = ssl.create_default_context()
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	body = ("username=%s&password=%s" % (user, pw)).encode()
	req = (b"POST / HTTP/1.1\r\nHost: " + host.encode() +
	       b"\r\nUser-Agent: Open AnyConnect VPN Agent v9.01-3\r\n"
	       b"Content-Type: application/x-www-form-urlencoded\r\n"
	       b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
	ok = worst = 0
	t_end = time.time() + 90
	for i in range(n):
	    t0 = time.time()
	    with socket.create_connection((host, port), timeout=10) as raw:
	        with ctx.wrap_socket(raw) as tls:
	            tls.sendall(req)
	            data = b""
	            while b"\r\n\r\n" not in data:
	                b = tls.recv(4096)
	                if not b:
	                    break
	                data += b
	    worst = max(worst, time.time() - t0)
	    if b"webvpn=" in data:
	        ok += 1
	    if time.time() > t_end:
	        break
	print(ok, i + 1, int(worst * 1000))
PY
it_log "$LOGINS logins, one after the other"
res=$(in_client c1 python3 "$IT_WORK/logins.py" "$SERVER_IP" "$PORT" "$LOGINS" "$TEST_USER" "$TEST_PASSWORD")
read -r ok tried worst <<< "$res"
it_log "logins: $ok of $tried succeeded, the slowest took $worst ms"
expect_eq "every login succeeded" "$ok" "$tried"
expect_int_range "the slowest login (ms; waiting on the stalled reader would last for good)" \
	"${worst:-99999}" 0 5000

wait_log "$SERVER_LOG" 'does not read' 1 5
verdict "main dropped the subscriber that does not read, with a log line" $? \
	"$(grep -F 'does not read' "$SERVER_LOG" | head -n 1 | cut -c 25-)"
deadline=$(deadline_after 10)
while [ "$(log_count "$EVJ" '"Event":"login"')" -lt "$ok" ] && [ "$(now_ms)" -lt "$deadline" ]; do
	sleep 0.1
done
expect_eq "the reader got one login event per login" "$(log_count "$EVJ" '"Event":"login"')" "$ok"
strict_json "$EVJ" lines
verdict "the reader's stream is strict JSON lines" $? "${JSON_ERR:-$(wc -l < "$EVJ") lines}"
alive "$EVJ_PID"
verdict "the reader is still subscribed" $?
occtl show status
verdict "occtl show status answers" $? "$(head -c 200 "$OCCTL_ERR")"
kill -TERM "$EVJ_PID" "$STALL_PID" 2> /dev/null
