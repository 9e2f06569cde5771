#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Many sessions across a restart (doc/session-store.md): N real openconnect
# clients (16; OCSM_STORE_CLIENTS=N for another count: 20 passed on a
# loaded 2-core machine, reconnected 11.9 s after the start), each in its own
# namespace, logged in and connected; main gets SIGTERM and is started again. Every client reconnects by itself within
# 15 s of the start, with its own address, without a new login, and pings.
. "$(dirname "$0")/store-lib.sh"

N=${OCSM_STORE_CLIENTS:-16}
it_setup "$N"
store_config DPD=10 KEEPALIVE=30 COOKIE_TIMEOUT=60
sed -i "s/^max-clients = .*/max-clients = $((N + 4))/" "$CONFIG"
start_server
for i in $(seq 1 "$N"); do
	start_client_password "c$i"
done
declare -A ip
for i in $(seq 1 "$N"); do
	wait_connected "c$i" 30
	ip[c$i]=${CLI_VPNIP[c$i]}
done
expect_eq "$N sessions in the store" "$(store_sql "SELECT count(*) FROM sessions")" "$N"
expect_eq "$N distinct addresses" "$(printf '%s\n' "${ip[@]}" | sort -u | wc -l)" "$N"

stop_server_term
expect_eq "all $N wait in the store" \
	"$(store_sql "SELECT count(*) FROM sessions WHERE state = 2")" "$N"
start_server
t_start=$(now_ms)
late=0 missing=0 moved=0
for i in $(seq 1 "$N"); do
	c=c$i
	if wait_log "${CLI_LOG[$c]}" 'CSTP connected.' 2 20; then
		[ $((WAIT_MS - t_start)) -le 15000 ] || late=$((late + 1))
		last=$(grep -E "resume session .* from ${CLI_IP[$c]}: " "$SERVER_LOG" | tail -n 1)
		[[ $last == *" peer ${ip[$c]},"* ]] || moved=$((moved + 1))
	else
		missing=$((missing + 1))
	fi
done
t_all=$(( $(now_ms) - t_start ))
expect_eq "every client reconnected by itself" "$missing" 0
expect_eq "... within 15 s of the start" "$late" 0
it_log "all $N reconnected $t_all ms after the start"
expect_eq "... each to its own address" "$moved" 0
expect_eq "no new login on the server" "$(logins)" "$N"
bad=0
for i in $(seq 1 "$N"); do
	ping_ok "c$i" 1 || bad=$((bad + 1))
done
expect_eq "every client pings through its resumed tunnel" "$bad" 0
