#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RADIUS accounting (doc/radius.md) of three sessions at once, read from
# FreeRADIUS's detail file, with dpd = 2:
#  - c1, user "idle" (Idle-Timeout = 6 from RADIUS), sends nothing: the
#    session ends by its idle timeout, Stop with Acct-Terminate-Cause
#    Idle-Timeout;
#  - c2, user "test" (Acct-Interim-Interval = 2): its network is cut for
#    12 s; the gateway's DPD drops the tunnel and the session waits to resume,
#    its Interim-Updates go on saying Connect-Info = "waiting-to-resume"; the
#    client comes back by itself and resumes: still one accounting session
#    (one Start, the same Acct-Session-Id), then a logout: one Stop,
#    User-Request;
#  - c3, user "lost", whose per-user file says cookie-timeout = 4: its
#    network is cut and not restored; the session waits, and ends with
#    cookie-expired: Stop, Acct-Terminate-Cause Lost-Carrier.
. "$(dirname "$0")/radius-lib.sh"

radius_preconditions
it_setup 3
write_config DPD=2 KEEPALIVE=30 IDLE_TIMEOUT=0 COOKIE_TIMEOUT=60
radius_setup
radius_user idle pw1 'Idle-Timeout = 6' 'Acct-Interim-Interval = 60'
radius_user "$TEST_USER" "$TEST_PASSWORD" 'Acct-Interim-Interval = 2'
radius_user lost pw3 'Acct-Interim-Interval = 60'
radius_auth_config
mkdir -p "$IT_WORK/users" || hard_error "mkdir"
printf 'cookie-timeout = 4\n' > "$IT_WORK/users/lost"
printf 'config-per-user = %s/users\n' "$IT_WORK" >> "$CONFIG"
radius_start
start_server

authenticate c1 idle pw1 || fatal "login of idle failed"
connect_client c1
get_cookie c2
connect_client c2 --reconnect-timeout 60
authenticate c3 lost pw3 || fatal "login of lost failed"
connect_client c3
radius_wait_acct Start "$TEST_USER" 1 5
sid=$(radius_acct_values Start Acct-Session-Id "$TEST_USER" | head -1)
it_log "c2's Acct-Session-Id $sid"
ping_ok c2 2
verdict "c2: ping before the cut" $? "$PING_RESULT"

cut_on c2 all
cut_on c3 all
t_cut=$(now_ms)
it_log "c2 and c3 cut"

# c1: the idle timeout
radius_wait_acct Stop idle 1 12
verdict "idle: a Stop within 12 s" $?
expect_eq "idle: Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause idle)" Idle-Timeout

# c3: DPD (6 s), then cookie-timeout 4 s from the drop
wait_log -E "$SERVER_LOG" "session [0-9a-f]{6} of user 'lost' ended: cookie-expired" 1 16
verdict "lost: the session ended with cookie-expired" $?
radius_wait_acct Stop lost 1 5
expect_eq "lost: Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause lost)" Lost-Carrier
grep -q "session-timeout 0 s, cookie-timeout 4 s (from its user file)" "$SERVER_LOG"
verdict "lost: cookie-timeout 4 s from the user's file" $?

# c2: waiting to resume, Interim-Updates say so
wait_log -E "$SERVER_LOG" "of user '$TEST_USER' waits to resume" 1 10 || fatal "c2's session did not wait to resume"
deadline=$(deadline_after 6)
until radius_acct_values Interim-Update Connect-Info "$TEST_USER" | grep -q waiting-to-resume ||
	[ "$(now_ms)" -gt "$deadline" ]; do sleep 0.2; done
radius_acct_values Interim-Update Connect-Info "$TEST_USER" | grep -q waiting-to-resume
verdict "test: an Interim-Update while waiting says Connect-Info = waiting-to-resume" $?
now=$(now_ms)
[ $((t_cut + 12000 - now)) -gt 0 ] && sleep "$(fmt_ms $((t_cut + 12000 - now)))"
cut_off c2
it_log "c2 restored"
wait_log "${CLI_LOG[c2]}" 'CSTP connected.' 2 30 || fatal "c2 did not reconnect within 30 s"
wait_log -E "$SERVER_LOG" "resume session [0-9a-f]{6} of user '$TEST_USER'" 1 5
verdict "test: the session resumed" $?
ping_ok c2 2
verdict "c2: ping after the resume" $? "$PING_RESULT"
sleep 2.5
radius_acct_values Interim-Update Connect-Info "$TEST_USER" | tail -1 | grep -qx active
verdict "test: the next Interim-Update says Connect-Info = active" $?
kill -INT "${CLI_PID[c2]}"
wait_exit "${CLI_PID[c2]}" 10 || fatal "c2 still running 10 s after SIGINT"
radius_wait_acct Stop "$TEST_USER" 1 5
verdict "test: a Stop after the logout" $?
expect_eq "test: one Start for the session" "$(radius_acct_count Start "$TEST_USER")" 1
expect_eq "test: one Stop for the session" "$(radius_acct_count Stop "$TEST_USER")" 1
expect_eq "test: the Stop's Acct-Session-Id is the Start's" \
	"$(radius_acct_values Stop Acct-Session-Id "$TEST_USER")" "$sid"
expect_eq "test: every Interim-Update has that Acct-Session-Id" \
	"$(radius_acct_values Interim-Update Acct-Session-Id "$TEST_USER" | sort -u)" "$sid"
expect_eq "test: Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause "$TEST_USER")" \
	User-Request
# the Stop's totals: both tunnels' final reports (4 pings of 84 bytes)
n=$(radius_acct_field Stop Acct-Input-Octets "$TEST_USER")
[ "${n:-0}" -ge $((4 * 84)) ]
verdict "test: the Stop's Acct-Input-Octets count the pings ($n)" $?
n=$(radius_acct_field Stop Acct-Output-Packets "$TEST_USER")
[ "${n:-0}" -ge 4 ]
verdict "test: the Stop's Acct-Output-Packets count the replies ($n)" $?
n=$(radius_acct_count Interim-Update "$TEST_USER")
[ "$n" -ge 5 ]
verdict "test: Interim-Updates every 2 s through the cut ($n)" $?
