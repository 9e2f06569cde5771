#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Figure 5, connect and resume times. Each repetition:
#
#  a. the user's path: `openconnect -u test --passwd-on-stdin` (login and
#     CONNECT, CSTP) launched by the harness; launch -> the client's
#     "CSTP connected." line (stamped when the harness read it), and
#     launch -> the first answered ping to the server's tunnel address
#     (a ping loop started at launch, in the client's namespace). The client
#     then leaves with SIGINT (BYE: the session ends).
#  b. a fresh session and its resume, with bench/lib/ocprobe.py: a cookie
#     from `openconnect --authenticate`, one CONNECT with it (the session's
#     first), a drop without goodbye, and once the server has noted the loss
#     another CONNECT with the same cookie (the resume). Client side: TCP
#     connect start -> end of the CONNECT reply head (time.monotonic). Server
#     side (ours only): main's "connection from IP port P: worker W" line
#     (accept) -> worker W's "tunnel up:" line, written right after the
#     CONNECT reply; both carry the server's own millisecond timestamps.
#     ocserv 1.1.6 logs no accept line with a timestamp at -d 2 (its lines are
#     stamped by the harness when read), so for it only the client-side
#     figure is given.
#  c. one more drop and resume, the probe sending a P-256 key share in its
#     first ClientHello as openconnect's GnuTLS does (ocprobe.py
#     --ecdh-curve): Python's default X25519-only share makes a server that
#     prefers P-256 ask again (HelloRetryRequest), a round trip inside b's
#     resume figure that openconnect does not make. Same figures as b.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

if quick; then REPS=3; else REPS=10; fi

need_cmd python3
it_setup 1
write_config DPD=30 KEEPALIVE=30 COOKIE_TIMEOUT=300
start_server
meta version "$(server_version)"

# probe_connect COOKIE [COMMON-OPTION...]
probe_connect() {
	local cookie=$1
	shift
	in_client c1 timeout 30 python3 "$BENCH_LIB/ocprobe.py" --host "$SERVER_IP" --port "$PORT" \
		--ca "$IT_WORK/server-cert.pem" "$@" connect --cookie "$cookie"
}

json_field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }

# server_side_ms PORT: accept -> CONNECT reply of the connection from
# PORT, from our server's log; empty if not found.
server_side_ms() {
	local port=$1 line w t_acc t_up
	line=$(grep -E "connection from $CLIENT_IP_RE port $port: worker [0-9]+" "$SERVER_LOG" | tail -n 1)
	[ -n "$line" ] || return 0
	w=${line##*worker }
	t_acc=$(line_ms "$line") || return 0
	line=$(grep -F "ocserv-modern-worker[$w]: info: tunnel up:" "$SERVER_LOG" | head -n 1)
	[ -n "$line" ] || return 0
	t_up=$(line_ms "$line") || return 0
	echo $((t_up - t_acc))
}
CLIENT_IP_RE=${CLI_IP[c1]//./\\.}

# wait_drop_noted N REP: until more than N drops are noted (10 s at most).
wait_drop_noted() {
	local deadline
	deadline=$(deadline_after 10)
	while [ "$(drops_noted)" -le "$1" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || break
		sleep 0.02
	done
	[ "$(drops_noted)" -gt "$1" ] || it_log "rep $2: the server did not note the drop within 10 s"
}

drops_noted() {
	local n re
	case $OCSM_SERVER in
	modern) re='waits to resume' ;;
	ocserv) re='temporarily closing session' ;;
	esac
	n=$(grep -cF -- "$re" "$SERVER_LOG" 2> /dev/null) || n=0
	echo "$n"
}

for rep in $(seq 1 "$REPS"); do
	# --- a. the user's path ---------------------------------------------
	pingdone=$IT_WORK/ping-$rep.done
	printf '%s\n' "$TEST_PASSWORD" > "$IT_WORK/pw.stdin"
	t_launch=$(now_ms)
	in_client c1 timeout 30 bash -c "until ping -n -q -c 1 -W 1 $SERVER_VPN_IP > /dev/null 2>&1; do sleep 0.005; done; echo \$EPOCHREALTIME > $pingdone" &
	ping_pid=$!
	track "$ping_pid"
	log=$IT_WORK/user-$rep.log
	spawn_logged "$log" "$IT_WORK/pw.stdin" ip netns exec "${CLI_NS[c1]}" env \
		OCSM_ENV_FILE="$IT_WORK/user.env" OCSM_VPN_ROUTE="$VPN_NET/$VPN_PREFIX" \
		openconnect --timestamp -v --non-inter --servercert "$PIN" --no-dtls --disable-ipv6 \
		-i tun0 --script "/bin/sh $IT_DIR/vpn-script.sh" -u "$TEST_USER" --passwd-on-stdin "$URL"
	oc_pid=$SPAWN_PID
	if wait_log "$log" 'CSTP connected.' 1 20; then
		t_cstp=$(line_ms "$WAIT_LINE")
		result connect.launch_cstp $((t_cstp - t_launch)) ms "$rep"
	else
		na connect.launch_cstp "rep $rep: no 'CSTP connected.' within 20 s"
	fi
	if wait_exit "$ping_pid" 20 && [ -s "$pingdone" ]; then
		t=$(cat "$pingdone")
		t_ping=$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))
		result connect.launch_ping $((t_ping - t_launch)) ms "$rep"
	else
		na connect.launch_ping "rep $rep: no answered ping within 20 s"
	fi
	kill -INT "$oc_pid" 2> /dev/null
	wait_exit "$oc_pid" 10 || { kill -KILL "$oc_pid" 2> /dev/null; wait_exit "$oc_pid" 5; }

	# --- b. fresh session and resume --------------------------------------
	CLI_COOKIE[c1]=
	get_cookie c1
	n0=$(drops_noted)
	out=$(probe_connect "${CLI_COOKIE[c1]}")
	if [ "$(json_field "$out" ok)" != True ]; then
		na connect.fresh.client "rep $rep: $out"
		continue
	fi
	result connect.fresh.client "$(json_field "$out" reply_ms)" ms "$rep" \
		"TCP $(json_field "$out" tcp_ms) ms, TLS done $(json_field "$out" tls_ms) ms"
	fresh_port=$(json_field "$out" local_port)
	wait_drop_noted "$n0" "$rep"
	n1=$(drops_noted)
	out=$(probe_connect "${CLI_COOKIE[c1]}")
	if [ "$(json_field "$out" ok)" != True ]; then
		na connect.resume.client "rep $rep: $out"
		continue
	fi
	result connect.resume.client "$(json_field "$out" reply_ms)" ms "$rep" \
		"TCP $(json_field "$out" tcp_ms) ms, TLS done $(json_field "$out" tls_ms) ms"
	resume_port=$(json_field "$out" local_port)

	# --- c. resume again, with a P-256 key share as openconnect sends ------
	wait_drop_noted "$n1" "$rep"
	out=$(probe_connect "${CLI_COOKIE[c1]}" --ecdh-curve prime256v1)
	p256_port=
	if [ "$(json_field "$out" ok)" = True ]; then
		result connect.resume_p256.client "$(json_field "$out" reply_ms)" ms "$rep" \
			"TCP $(json_field "$out" tcp_ms) ms, TLS done $(json_field "$out" tls_ms) ms"
		p256_port=$(json_field "$out" local_port)
	else
		na connect.resume_p256.client "rep $rep: $out"
	fi
	if [ "$OCSM_SERVER" = modern ]; then
		sleep 0.2
		ms=$(server_side_ms "$fresh_port")
		if [ -n "$ms" ]; then result connect.fresh.server "$ms" ms "$rep"; else
			na connect.fresh.server "rep $rep: accept or tunnel-up line not found"; fi
		ms=$(server_side_ms "$resume_port")
		if [ -n "$ms" ]; then result connect.resume.server "$ms" ms "$rep"; else
			na connect.resume.server "rep $rep: accept or tunnel-up line not found"; fi
		ms=
		[ -n "$p256_port" ] && ms=$(server_side_ms "$p256_port")
		if [ -n "$ms" ]; then result connect.resume_p256.server "$ms" ms "$rep"; else
			na connect.resume_p256.server "rep $rep: no P-256 resume, or its lines not found"; fi
	else
		[ "$rep" = 1 ] && for k in fresh resume resume_p256; do
			na "connect.$k.server" "no accept timestamp in ocserv's log: see the client-side row"
		done
	fi
	# Let the resumed tunnel's loss be noted before the next repetition.
	sleep 0.3
done
if [ "$OCSM_SERVER" = modern ]; then
	meta connect.resumes "$(grep -c 'resume session' "$SERVER_LOG")"
fi
