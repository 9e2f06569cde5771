#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The worker zygote's life (worker-zygote, doc/security.md): main starts it
# and its workers serve tunnels as main's children; two workers of one
# zygote draw different random numbers (the server randoms of their TLS
# handshakes differ: GnuTLS reseeds after the fork it sees); a reload starts a new zygote and
# the old one goes; a zygote killed with SIGKILL is logged, the next
# connection still gets a worker (executed, or from a new zygote once
# MAIN_ZYGOTE_RETRY_S has passed since the last start), and after that
# interval a new zygote serves again; a zygote that does not answer (SIGSTOP)
# is killed after MAIN_ZYGOTE_REPLY_MS and that connection closed; a reload with worker-zygote = false
# ends the zygote and main executes the workers.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sec-lib.sh
. "$IT_DIR/sec-lib.sh"

need_cmd ps openssl
it_setup 2
start_server

# tunnel_of NAME: connect NAME (a fresh cookie); TUNNEL is its worker's PID.
tunnel_of() {
	CLI_COOKIE[$1]=
	connect_client "$1"
	TUNNEL=$(worker_of_client "$1") || fatal "no worker for $1's tunnel"
}

# stop_client NAME: its tunnel ends (SIGTERM: a clean logout).
stop_client() {
	kill -TERM "${CLI_PID[$1]}" 2> /dev/null
	wait_exit "${CLI_PID[$1]}" 10 || fatal "client $1 still running 10 s after SIGTERM"
}

z1=$(zygote_pid) || fatal "no worker zygote under main $SERVER_PID"
wait_log "$SERVER_LOG" "worker zygote started: pid $z1" 1 5
verdict "main logged the zygote's start (pid $z1)" $?

# --- two tunnels from the zygote
tunnel_of c1; w1=$TUNNEL
tunnel_of c2; w2=$TUNNEL
for w in "$w1" "$w2"; do
	forked_by_zygote "$w"
	verdict "worker $w was forked by the zygote" $? "$(tr '\0' ' ' < "/proc/$w/cmdline")"
	expect_eq "worker $w: main is its parent" "$(parent_of "$w")" "$SERVER_PID"
done

# server_random: the 32 random bytes of the last ServerHello of one TLS
# handshake with a fresh worker (openssl's message dump: type, length,
# version, random); a HelloRetryRequest before it has a fixed random.
server_random() {
	in_client c2 timeout 10 openssl s_client -connect "$SERVER_IP:$PORT" -tls1_3 -msg \
		< /dev/null 2> /dev/null |
		awk '/<<< .*ServerHello/ { on = 1; h = ""; next } on && /^    / { h = h $0; next }
		     on { on = 0; last = h } END { if (on) last = h; print last }' |
		tr -d ' ' | cut -c 13-76
}
r1=$(server_random)
r2=$(server_random)
ok=1; [ ${#r1} = 64 ] && [ ${#r2} = 64 ] && [ "$r1" != "$r2" ] && ok=0
verdict "two workers of one zygote: different TLS server randoms" $ok "$r1 / $r2"
ping_ok c1 3
verdict "ping through a zygote worker's tunnel" $? "$PING_RESULT"
stop_client c2

# --- a reload: a new zygote, the old one goes, the tunnel stays
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "worker zygote started: pid" 2 10 || fatal "no new zygote after SIGHUP"
z2=$(sed -n 's/.*worker zygote started: pid \([0-9]*\).*/\1/p' <<< "$WAIT_LINE")
ok=1; [ -n "$z2" ] && [ "$z2" != "$z1" ] && ok=0
verdict "reload: a new zygote" $ok "$z1 -> $z2"
wait_exit "$z1" 10
verdict "reload: the old zygote $z1 ended" $?
ping_ok c1 3
verdict "reload: the tunnel of a worker of the old zygote goes on" $? "$PING_RESULT"
tunnel_of c2; w3=$TUNNEL
forked_by_zygote "$w3"
verdict "after the reload, a new tunnel's worker comes from the new zygote" $?
stop_client c2

# --- the zygote killed: logged, connections still served
t_kill=$(now_ms)
kill -KILL "$z2"
wait_log "$SERVER_LOG" "worker zygote $z2 killed by signal 9" 1 5
verdict "main logged the zygote's death" $?
tunnel_of c2; w4=$TUNNEL
if forked_by_zygote "$w4"; then
	# the retry interval had passed already (a slow machine): a new zygote
	wait_log "$SERVER_LOG" "worker zygote started: pid" 3 5
	verdict "zygote gone: a new zygote served the next connection" $?
else
	verdict "zygote gone: the next connection's worker was executed" 0
	expect_eq "executed worker: main is its parent" "$(parent_of "$w4")" "$SERVER_PID"
fi
stop_client c2
# past MAIN_ZYGOTE_RETRY_S (5 s) after the kill: a new zygote at the next connection
left=$((t_kill + 5500 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$(fmt_ms "$left")"
tunnel_of c2; w5=$TUNNEL
forked_by_zygote "$w5"
verdict "after the retry interval, a new zygote serves again" $? "$(tr '\0' ' ' < "/proc/$w5/cmdline")"
stop_client c2

# --- a zygote that does not answer (stopped): main stops it (SIGKILL),
# closes that one connection, and the next one gets an executed worker
z3=$(zygote_pid) || fatal "no zygote before the stall"
kill -STOP "$z3"
n_conn=$(server_count "connection from ${CLI_IP[c2]}")
in_client c2 timeout 10 openssl s_client -connect "$SERVER_IP:$PORT" < /dev/null > /dev/null 2>&1
wait_log "$SERVER_LOG" "worker zygote $z3: Connection timed out: stopping it" 1 10
verdict "a stalled zygote: main gave up on it, logged" $? "$WAIT_LINE"
wait_exit "$z3" 10
verdict "the stalled zygote $z3 was killed" $?
expect_eq "its connection got no worker" "$(server_count "connection from ${CLI_IP[c2]}")" "$n_conn"
tunnel_of c2
ping_ok c2 3
verdict "after the stall, a tunnel is served" $? "$PING_RESULT"
stop_client c2
left=$((WAIT_MS + 5500 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$(fmt_ms "$left")"

# --- worker-zygote = false on reload: no zygote, executed workers
echo "worker-zygote = false" >> "$CONFIG"
tunnel_of c2; w8=$TUNNEL
forked_by_zygote "$w8"
verdict "after the stall and the retry interval, a new zygote serves" $?
stop_client c2
z4=$(zygote_pid) || fatal "no zygote before the reload"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "reload: worker-zygote is off" 1 10
verdict "reload: main logged that worker-zygote is off" $?
wait_exit "$z4" 10
verdict "reload: the zygote $z4 ended" $?
tunnel_of c2; w6=$TUNNEL
! forked_by_zygote "$w6"
verdict "worker-zygote = false: the worker was executed" $? "$(tr '\0' ' ' < "/proc/$w6/cmdline")"
ping_ok c1 3
verdict "the first tunnel still goes on" $? "$PING_RESULT"
stop_client c2
stop_client c1
