#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# listen-proxy-proto: at most 1024 connections wait for their PROXY header at
# once (doc/cluster.md, "What fails how"). A client opens 1100 connections to
# the gateway and sends nothing on any of them:
#  1. 1024 are held, each closed by the gateway about 5 s after it was
#     opened (no complete header within 5 s); the other 76 are closed at
#     once (in practice within milliseconds). The line between the two is
#     drawn at 2.5 s: main's timer starts from its loop's time, which can be
#     a little older than the accept, so "5 s" is not a sharp bound;
#  2. the gateway logs those refusals and the 1024 connections whose header
#     never came (one line a second at most, each with the count of those
#     it kept quiet, whatever their reason): 1100 in all, once one more
#     refusal a second later brings out the count of the last burst;
#  3. once they are gone, a connection with a v1 header is served, and main
#     holds as many descriptors as before the flood.
# The counts hold if the 1100 connects take less than 4 s (the first held
# connection must still wait when the last one arrives); the test is skipped,
# saying so, on a machine slower than that.
. "$(dirname "$0")/lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "listen-proxy-proto is tested against ocserv-modern only"
N=1100
HELD=1024
# main holds every waiting connection (the systemd unit gives it
# LimitNOFILE=65536), the client all of them
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 4096 ] ||
	skip "the hard limit of open files ($(ulimit -Hn)) is below 4096"
ulimit -n 4096
need_cmd python3
it_setup 1
write_config DPD=30 KEEPALIVE=30
echo "listen-proxy-proto = true" >> "$CONFIG"
start_server

main_fds() { find "/proc/$SERVER_PID/fd" -mindepth 1 | wc -l; }
fds0=$(main_fds)

# --- 1
in_client c1 python3 - "$SERVER_IP" "$PORT" "$N" > "$IT_WORK/flood.json" 2> "$IT_WORK/flood.err" <<'PY'
import json, select, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks, opened = [], []
t0 = time.monotonic()
for _ in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    socks.append(s)
    opened.append(time.monotonic())
connect_s = time.monotonic() - t0
# When the gateway closed each one, in ms after its connect (None: open).
closed = [None] * n
poller = select.poll()
by_fd = {s.fileno(): i for i, s in enumerate(socks)}
for s in socks:
    poller.register(s, select.POLLIN)
deadline = time.monotonic() + 20
while None in closed and time.monotonic() < deadline:
    for fd, _ in poller.poll(200):
        i = by_fd[fd]
        try:
            data = socks[i].recv(64)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if data:
            print(f"connection {i}: the gateway sent {data!r}", file=sys.stderr)
        closed[i] = (time.monotonic() - opened[i]) * 1000
        poller.unregister(fd)
print(json.dumps({
    "connect_s": round(connect_s, 3),
    "early": sum(1 for c in closed if c is not None and c < 2500),
    "late": sum(1 for c in closed if c is not None and c >= 2500),
    "open": closed.count(None),
    "early_max_ms": round(max((c for c in closed if c is not None and c < 2500), default=0)),
    "late_min_ms": round(min((c for c in closed if c is not None and c >= 2500), default=0)),
}))
PY
rc=$?
[ "$rc" = 0 ] || hard_error "the flood of connections failed: $(cat "$IT_WORK/flood.err")"
it_log "flood: $(cat "$IT_WORK/flood.json")"
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$IT_WORK/flood.json" "$1"; }
connect_s=$(field connect_s)
awk -v s="$connect_s" 'BEGIN { exit !(s < 4) }' ||
	skip "the $N connects took $connect_s s (4 s at most for the counts to hold)"
expect_eq "1. connections held until the header's deadline (closed 2.5 s or more after their connect; the first after $(field late_min_ms) ms)" \
	"$(field late)" "$HELD"
expect_eq "1. connections closed at once (within 2.5 s; the slowest after $(field early_max_ms) ms)" \
	"$(field early)" $((N - HELD))
expect_eq "1. connections the gateway left open" "$(field open)" 0

# --- 2, 3
# Refusals are logged at most once a second, whatever their reason; a line
# counts those it kept quiet since the line before. A refusal more than a
# second after the last one brings the count of the last burst out.
# seen PATTERN LABEL: a verdict: the server's log has a line matching PATTERN.
seen() {
	local n
	n=$(log_count -E "$SERVER_LOG" "$1")
	verdict "$2" "$([ "$n" -ge 1 ]; echo $?)" "$n line(s)"
}
seen "connection from 10\.77\.0\.2 refused: too many connections waiting for their PROXY header" \
	"2. the gateway logged the refusal"
seen "connection from 10\.77\.0\.2 port [0-9]+ refused: no complete PROXY header within 5 s" \
	"2. the gateway logged the connections whose header never came"
PS_OUT=$(in_client c1 python3 "$IT_DIR/proxysend.py" --host "$SERVER_IP" --port "$PORT" \
	--client 192.0.2.61 --client-port 61061 v1 2>&1)
PS_RC=$?
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "3. afterwards a connection with a v1 header is served" $ok "$PS_OUT"
sleep 1.1
in_client c1 python3 "$IT_DIR/proxysend.py" --host "$SERVER_IP" --port "$PORT" none > /dev/null 2>&1
wait_log -E "$SERVER_LOG" "refused: no PROXY header" 1 5 || fatal "no line for the connection without a header"
refused=$(grep -E 'ocserv-modern\[[0-9]+\]: warning: connection from .* refused: ' "$SERVER_LOG" |
	sed -n 's/.*(and \([0-9]*\) more since the last such line)$/\1/p; t; s/.*/0/p' |
	awk '{ n += 1 + $1 } END { print n + 0 }')
expect_eq "2. refusals the gateway logged, with the counts of the quiet ones ($N, and the last one)" \
	"$refused" $((N + 1))
deadline=$(deadline_after 10)
while [ "$(main_fds)" != "$fds0" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
expect_eq "3. main's open descriptors, as before the flood" "$(main_fds)" "$fds0"
alive "$SERVER_PID"
verdict "the gateway still runs" $?
