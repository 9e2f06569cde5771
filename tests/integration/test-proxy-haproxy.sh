#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# listen-proxy-proto behind a real haproxy 2.6 (TCP mode, send-proxy-v2,
# health checks with check-send-proxy) in the front's namespace
# (tests/integration/front-lib.sh, doc/cluster.md):
#  - the real openconnect connects through haproxy; occtl-modern shows the
#    client's own address (not haproxy's) in show users and show session, and
#    the server log names it;
#  - failed logins through haproxy ban the client's address, not the front's:
#    that client is refused while another one behind the same front logs in,
#    and occtl-modern lists only the client's address;
#  - max-unauth-per-ip counts the address a header names, not the peer's;
#  - haproxy's health checks (PROXY v2 LOCAL, every 0.3 s: about 50 during the test
#    at max-ban-score 25) cost the front no ban points;
#  - direct connections that bypass haproxy: without a header (TLS at once) or
#    with a malformed one or UNKNOWN they are refused at once and logged; a v2
#    LOCAL header is served; a v1 or a v2
#    header written by hand, also one arriving in pieces or naming an IPv6
#    client, is served under the address it names; one closed before its
#    first byte is not logged as refused; a silent connection and
#    one that sends part of a header are closed 5 s after they were accepted,
#    and a client connecting through haproxy meanwhile is served at once.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/front-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "listen-proxy-proto is tested against ocserv-modern only"
occtl_preconditions
it_setup 2
front_setup 1
gw_config g1 MAX_BAN_SCORE=25 DPD=10 KEEPALIVE=20
start_gateway g1
start_haproxy check inter 300ms check-send-proxy -- g1
GW=${GW_IP[g1]}

# --- the real client through haproxy ---------------------------------------
start_client_password c1
wait_connected c1
ping_ok c1 5
verdict "c1 through haproxy: ping through the tunnel" $? "$PING_RESULT"
occtl_json show users
# (a health check's connection may be listed too, "authenticating")
expect_eq "occtl show users: c1's Remote IP is its own address" \
	"$(jget '[u["Remote IP"] for u in d if u["State"] == "connected"]')" '["10.77.0.2"]'
sid=$(jget '[u["Session"] for u in d if u["State"] == "connected"][0]')
occtl show session "$sid"
rip=$(sed -n 's/^[[:space:]]*Remote IP: //p' "$OCCTL_OUT" | sort -u | tr '\n' ' ')
expect_eq "occtl show session $sid: every Remote IP line" "$rip" "10.77.0.2 "
log_has "$SERVER_LOG" "connection from 10\.77\.0\.2 port [0-9]+: worker" \
	"the server log names the client's address for its connection"
log_has "$SERVER_LOG" "connection from $FRONT_BACK_IP port [0-9]+: worker" \
	"haproxy's health checks (v2 LOCAL) are served as the front's own connections"

# --- bans go to the client, not to the front --------------------------------
for i in 1 2 3; do
	authenticate c2 "$TEST_USER" wrong-password
done
n=$(log_count -E "$SERVER_LOG" "address 10\.77\.0\.3 banned for [0-9]+ s")
expect_eq "three wrong passwords through haproxy ban c2's address 10.77.0.3" "$n" 1
authenticate c2
rc=$?
ok=1; [ "$rc" != 0 ] && ok=0
verdict "c2 (banned) is refused through haproxy, even with the right password" $ok "exit $rc"
log_has "$SERVER_LOG" "connection from 10\.77\.0\.3 refused: address banned" \
	"the server refused c2's connection because of the ban"
CLI_COOKIE[c1]=
authenticate c1
expect_eq "c1 behind the same front still logs in" "$?" 0

# --- max-unauth-per-ip counts the address of the header ----------------------
# 9 connections from c1's namespace, each with a v1 header naming 192.0.2.50
# and then silent: the 9th is over max-unauth-per-ip (8), while one naming
# 192.0.2.51 from the same namespace is served.
hold_pids=()
for i in 1 2 3 4 5 6 7 8 9; do
	in_client c1 python3 "$IT_DIR/proxysend.py" --host "${GW_IP[g1]}" --port "$PORT" \
		--client 192.0.2.50 --client-port $((50000 + i)) --wait 4 hold > /dev/null 2>&1 &
	hold_pids+=($!)
	track $!
	sleep 0.1
done
wait_log -E "$SERVER_LOG" "connection from 192\.0\.2\.50 refused: max-unauth-per-ip reached" 1 5
verdict "the 9th connection naming 192.0.2.50 is refused: max-unauth-per-ip" $?
PS_FROM=c1 proxysend --host "${GW_IP[g1]}" --port "$PORT" --client 192.0.2.51 v1
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "... while one naming 192.0.2.51, from the same peer, is served" $ok "$PS_OUT"
for p in "${hold_pids[@]}"; do wait_exit "$p" 10; done

# --- direct connections, headers written by hand -----------------------------
proxysend --host "$GW" --port "$PORT" none
ok=1; [ "$PS_RC" = 1 ] && ok=0
verdict "no PROXY header (TLS at once): refused" $ok "$PS_OUT"
proxysend --host "$GW" --port "$PORT" malformed
ok=1; [ "$PS_RC" = 1 ] && ok=0
verdict "a malformed PROXY header: refused" $ok "$PS_OUT"
wait_log -E "$SERVER_LOG" "connection from 10\.77\.0\.3 port [0-9]+ refused: no PROXY header" 1 5
verdict "the server logs the connection without a header, naming its peer" $?
sleep 1.1 # refusals are logged at most once a second
proxysend --host "$GW" --port "$PORT" malformed
wait_log -E "$SERVER_LOG" "connection from 10\.77\.0\.3 port [0-9]+ refused: malformed PROXY header" 1 5
verdict "the server logs the malformed header" $?
sleep 1.1
proxysend --host "$GW" --port "$PORT" unknown
ok=1; [ "$PS_RC" = 1 ] && ok=0
verdict "a v1 UNKNOWN header (no address): refused" $ok "$PS_OUT"
wait_log -E "$SERVER_LOG" "refused: PROXY header with an unsupported address family" 1 5
verdict "the server logs the unsupported family" $?
# (from c1: c2's own address is banned by now, and a LOCAL connection is
# its peer's)
PS_FROM=c1 proxysend --host "$GW" --port "$PORT" local
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "a v2 LOCAL header: served, as the connection's own peer" $ok "$PS_OUT"
proxysend --host "$GW" --port "$PORT" --client 192.0.2.41 --client-port 41041 v1
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "a v1 header: the connection is served" $ok "$PS_OUT"
n=$(server_count "connection from 192.0.2.41 port 41041: worker")
expect_eq "... under the address and port of the v1 header" "$n" 1
proxysend --host "$GW" --port "$PORT" --client 192.0.2.42 --client-port 42042 v2
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "a v2 header: the connection is served" $ok "$PS_OUT"
expect_eq "... under the address and port of the v2 header" \
	"$(server_count "connection from 192.0.2.42 port 42042: worker")" 1
proxysend --host "$GW" --port "$PORT" --client 2001:db8::44 --client-port 44044 v2
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "a v2 header with an IPv6 client: served" $ok "$PS_OUT"
expect_eq "... under its IPv6 address" "$(server_count "connection from 2001:db8::44 port 44044: worker")" 1
proxysend --host "$GW" --port "$PORT" --client 192.0.2.43 --client-port 43043 v1-split
ok=1; [ "$PS_RC" = 0 ] && [[ $PS_OUT == *HTTP/1.1* ]] && ok=0
verdict "a v1 header in three pieces 0.3 s apart: served" $ok "$PS_OUT"
expect_eq "... under its address" "$(server_count "connection from 192.0.2.43 port 43043: worker")" 1

sleep 1.1 # past the once-a-second limit of refusal lines: one would show
refused0=$(server_count "refused")
proxysend --host "$GW" --port "$PORT" empty
sleep 0.5
expect_eq "a connection closed before its first byte (a TCP health check) is not logged as refused" \
	"$(server_count "refused")" "$refused0"

# --- silent and partial headers do not hold anyone up ------------------------
PS_FROM=c2
in_client c2 python3 "$IT_DIR/proxysend.py" --host "$GW" --port "$PORT" --wait 12 silent \
	> "$IT_WORK/silent.out" 2>&1 &
silent_pid=$!
track "$silent_pid"
in_client c2 python3 "$IT_DIR/proxysend.py" --host "$GW" --port "$PORT" --wait 12 partial \
	> "$IT_WORK/partial.out" 2>&1 &
partial_pid=$!
track "$partial_pid"
sleep 0.5
t0=$(now_ms)
CLI_COOKIE[c1]=
authenticate c1
rc=$?
t1=$(now_ms)
expect_eq "while two connections wait for their header, c1 logs in through haproxy" "$rc" 0
expect_range "c1's login while they wait" $((t1 - t0)) "" 4000 \
	"well before their 5 s: nobody waits for them"
wait_exit "$silent_pid" 14
silent=$(cat "$IT_WORK/silent.out")
ms=$(sed -n 's/.* after \([0-9]*\) ms$/\1/p' "$IT_WORK/silent.out")
ok=1; [[ $silent == "silent: closed by the server"* ]] && ok=0
verdict "a silent connection is closed by the server" $ok "$silent"
expect_range "silent connection closed after" "$ms" 4900 6500 "MAIN_PROXY_TIMEOUT_S = 5"
wait_exit "$partial_pid" 14
ms=$(sed -n 's/.* after \([0-9]*\) ms$/\1/p' "$IT_WORK/partial.out")
expect_range "10 bytes of a header and nothing more: closed after" "$ms" 4900 6500 \
	"MAIN_PROXY_TIMEOUT_S = 5"
log_has "$SERVER_LOG" "refused: no complete PROXY header within 5 s" \
	"the server logs the header that did not come in time"

# --- what the bans hold at the end ------------------------------------------
occtl_json show ip bans
expect_eq "occtl: only c2's address is banned" \
	"$(jget '[b["IP"] for b in d if b.get("raw_banned_until", 0) > 0]')" '["10.77.0.3"]'
expect_eq "occtl: the front's address has no ban points" \
	"$(jget "sum(b.get('Score', 0) for b in d if b['IP'] == '$FRONT_BACK_IP')")" 0
checks=$(log_count -E "$SERVER_LOG" "connection from $FRONT_BACK_IP port [0-9]+: worker")
ok=1; [ "$checks" -ge 25 ] && ok=0
verdict "at least max-ban-score (25) health checks came from the front" $ok "$checks"
ping_ok c1 3
verdict "c1's tunnel still works" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "gateway still running" $?
