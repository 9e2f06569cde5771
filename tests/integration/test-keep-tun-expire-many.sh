#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Many kept tun devices closing at once (src/main/tun-closer.h): N = 300
# sessions (OCSM_EXPIRE_MANY=N for another count) log in through the real
# path (bench/lib/waiting.py: TLS, password, cookie, CONNECT, the tunnel
# up, then the connection dropped without a goodbye) and wait to resume
# with keep-tun-on-resume = true, a device each. main is then stopped
# (SIGSTOP) and sec-mod still ends every one of them with cookie-expired:
# its messages to main (more than main's full socket takes) wait in its
# queue instead of holding back its timers. main continues and hands the
# devices to its closer thread; while that goes on occtl-modern keeps
# answering; afterwards every session ended with cookie-expired, every
# device is gone, main holds no more descriptors than before the logins,
# and a new openconnect login gets a device and pings through it.
# No assertion on how fast anything is.
. "$(dirname "$0")/occtl-lib.sh"

occtl_preconditions
N=${OCSM_EXPIRE_MANY:-300}
C=30
WAITING_PY=$top_srcdir/bench/lib/waiting.py
[ -f "$WAITING_PY" ] || hard_error "$WAITING_PY missing"

it_setup 2
# a /22 pool: N + 1 addresses
# shellcheck disable=SC2034 # read by lib.sh (write_config, client_ping)
VPN_NET=172.16.0.0 VPN_MASK=255.255.252.0 VPN_PREFIX=22 SERVER_VPN_IP=172.16.0.1
write_config DPD=30 KEEPALIVE=30 COOKIE_TIMEOUT=$C
{
	echo "keep-tun-on-resume = true"
	echo "max-unauth = 128"
	echo "max-unauth-per-ip = 0"
} >> "$CONFIG"
sed -i "s/^max-clients = .*/max-clients = 0/" "$CONFIG"
start_server

devs() { in_server ip -o link show 2> /dev/null | grep -c ': vpns' || true; }
main_fds() { find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l; }

fd0=$(main_fds)
it_log "main holds $fd0 descriptors before the logins"

in_client c1 timeout $((N + 120)) python3 -W ignore "$WAITING_PY" create \
	--host "$SERVER_IP" --port "$PORT" --ca "$IT_WORK/server-cert.pem" \
	--user "$TEST_USER" --password "$TEST_PASSWORD" --count "$N" --parallel 16 \
	--out "$IT_WORK/drops.jsonl" > "$IT_WORK/create.out" 2>&1
verdict "waiting.py made the sessions" $? "$(tail -n 3 "$IT_WORK/create.out" | tr '\n' ' ')"
it_log "waiting.py: $(tail -n 1 "$IT_WORK/create.out")"

wait_log "$SERVER_LOG" 'and device vpns' "$N" 60
verdict "$N sessions wait to resume with their devices kept" $? \
	"$(server_count 'and device vpns') of $N"
early=$(log_count -E "$SERVER_LOG" 'ended: cookie-expired')
it_log "$(devs) devices while waiting; $early sessions had already expired"

# The expiries with main stopped: sec-mod must not wait for it.
kill -STOP "$SERVER_PID" || hard_error "SIGSTOP main"
it_log "main stopped"
wait_log "$SERVER_LOG" 'ended: cookie-expired' "$N" $((C + 120))
verdict "sec-mod ended all $N sessions while main was stopped" $? \
	"$(server_count 'ended: cookie-expired') of $N"
state=$(awk '{ print $3 }' "/proc/$SERVER_PID/stat" 2> /dev/null)
expect_eq "main was still stopped then" "$state" T
expect_eq "sec-mod did not give up on main" "$(server_count 'sec-mod: sending')" 0
kill -CONT "$SERVER_PID"
it_log "main continued"

# The closes behind the expiries: occtl answers all along.
answers=0 failed=0 seen_closing=0
deadline=$(deadline_after $((C + 120)))
while [ "$(server_count 'ended: cookie-expired')" -lt "$N" ] || [ "$(devs)" -gt 0 ]; do
	[ "$(now_ms)" -lt "$deadline" ] || break
	ended=$(server_count 'ended: cookie-expired')
	left=$(devs)
	if occtl show status; then
		answers=$((answers + 1))
		[ "$ended" -gt 0 ] && [ "$left" -gt 0 ] && seen_closing=$((seen_closing + 1))
	else
		failed=$((failed + 1))
	fi
	sleep 0.2
done
it_log "occtl answered $answers times ($seen_closing while devices were still closing)"
expect_eq "occtl show status never failed" "$failed" 0
expect_eq "every session ended with cookie-expired" \
	"$(server_count 'ended: cookie-expired')" "$N"
expect_eq "every session released its address and device" \
	"$(log_count -E "$SERVER_LOG" 'released 172\.16\.[0-9]+\.[0-9]+, device vpns')" "$N"
expect_eq "no tun device left" "$(devs)" 0

# The last done callbacks run right after the last close: allow a moment.
deadline=$(deadline_after 20)
while [ "$(main_fds)" -gt "$fd0" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
expect_eq "main holds as many descriptors as before the logins" "$(main_fds)" "$fd0"

connect_client c2
ip2=${CLI_VPNIP[c2]}
dev=$(server_dev_of "$ip2")
verdict "the new login has a device" "$([ -n "$dev" ]; echo $?)" "peer $ip2: '$dev'"
ping_ok c2 2
verdict "and pings through it" $? "$PING_RESULT"
