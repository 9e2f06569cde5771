#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RADIUS authentication and accounting (doc/radius.md) against a real
# FreeRADIUS 3 server the test starts in its own namespace, with the users
# file written here: the test user gets Framed-IP-Address, Framed-IP-Netmask,
# Framed-Route, the Microsoft DNS attributes, Class "OU=admins"
# (groupconfig: the group admins, whose per-group file gives keepalive 13),
# Idle-Timeout 60 and Acct-Interim-Interval 2; the user's own file sets an
# idle-timeout, an explicit-ipv4 and a dns, which RADIUS overrides. The radcli configuration and its servers file
# (the secret) are readable by root only.
#
# Shown with the real openconnect client:
#  - a wrong password gets 401 (Access-Reject), the right one a session;
#  - the tun address is the Framed-IP-Address, the split-include route the
#    Framed-Route, the DNS server the MS-Primary-DNS-Server, X-CSTP-Idle-
#    Timeout the Idle-Timeout, X-CSTP-Keepalive the group file's;
#  - occtl-modern names radius as the origin of the idle timeout;
#  - FreeRADIUS's detail file has one Start with the Framed-IP-Address and
#    the Class, Interim-Updates about every 2 s with counters that grow,
#    and, after a logout (SIGINT: BYE), one Stop with Acct-Terminate-Cause
#    User-Request and the tunnel's final counters, all with the same
#    Acct-Session-Id. (An Interim-Update carries the counters of the latest
#    statistics report of the worker, every 10 s: not checked here.)
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/radius-lib.sh"

WANT_IP=192.168.77.50
radius_preconditions
occtl_preconditions
it_setup 1
write_config DPD=30 KEEPALIVE=30 IDLE_TIMEOUT=0
radius_setup
radius_user "$TEST_USER" "$TEST_PASSWORD" \
	"Framed-IP-Address = $WANT_IP" 'Framed-IP-Netmask = 255.255.0.0' \
	'Framed-Route = "10.55.0.0/16 0.0.0.0 1"' \
	'MS-Primary-DNS-Server = 192.0.2.99' 'Class = "OU=admins"' 'Idle-Timeout = 60' \
	'Acct-Interim-Interval = 2'
radius_auth_config groupconfig=true,nas-identifier=ocsm-test
mkdir -p "$IT_WORK/groups" "$IT_WORK/users" || hard_error "mkdir"
printf 'keepalive = 13\n' > "$IT_WORK/groups/admins"
# the user's own file: RADIUS wins over it, value by value
printf 'idle-timeout = 30\nexplicit-ipv4 = 192.168.77.99\ndns = 192.0.2.1\n' > "$IT_WORK/users/$TEST_USER"
printf 'config-per-group = %s/groups\nconfig-per-user = %s/users\n' "$IT_WORK" "$IT_WORK" >> "$CONFIG"
radius_start
start_server

# sec-mod runs as nobody: it read the radcli files, and the secret, before
# it gave up root
! runuser -u nobody -- cat "$RADIUS_CONF" "$IT_WORK/radius-servers" > /dev/null 2>&1
verdict "the radcli configuration and its servers file are not readable by run-as-user" $?

authenticate c1 "$TEST_USER" wrong
rc=$?
[ $rc != 0 ]
verdict "a wrong password is refused (openconnect exit $rc)" $?
grep -q "401" "$AUTH_LOG"
verdict "the refusal is a 401" $?
wait_log -E "$SERVER_LOG" "login of '$TEST_USER' from .* failed: RADIUS Access-Reject" 1 5
verdict "the server logs the Access-Reject" $?

connect_client c1
expect_eq "the tun address is the Framed-IP-Address (not the user file's)" "${CLI_VPNIP[c1]}" "$WANT_IP"
expect_eq "the netmask is the Framed-IP-Netmask" "$(cstp_option c1 X-CSTP-Netmask)" 255.255.0.0
expect_eq "the route is the Framed-Route" \
	"$(sed -n 's/^X-CSTP-Split-Include=//p' "${CLI_ENV[c1]}.cstp" | tr '\n' ' ')" "10.55.0.0/255.255.0.0 "
expect_eq "the DNS server is MS-Primary-DNS-Server (not the user file's)" "$(cstp_option c1 X-CSTP-DNS)" 192.0.2.99
expect_eq "X-CSTP-Idle-Timeout is the Idle-Timeout (not the user file's)" \
	"$(cstp_option c1 X-CSTP-Idle-Timeout)" 60
expect_eq "X-CSTP-Keepalive from the group Class named (groupconfig)" \
	"$(cstp_option c1 X-CSTP-Keepalive)" 13
grep -q "user '$TEST_USER' (group 'admins') authenticated" "$SERVER_LOG"
verdict "the session's group is the Class's OU" $?
grep -q 'NAS-Identifier = "ocsm-test"' "$RADIUS_LOG"
verdict "the Access-Request carries the nas-identifier" $?

occtl_json show user "$TEST_USER" || fatal "show user failed"
expect_eq "occtl: idle timeout from" "$(jget 'd[0]["Idle timeout from"]')" radius
expect_eq "occtl: timers from" "$(jget 'd[0]["Timers from"]')" \
	"dpd global, keepalive group, idle-timeout radius"

client_ping c1 5 || verdict "ping through the tunnel" 1
sleep 4.5
sid=$(radius_detail | sed -n 's/^\s*Acct-Session-Id = "\(.*\)"$/\1/p' | head -1)
[ -n "$sid" ]
verdict "an Acct-Session-Id in the detail file ($sid)" $?
expect_eq "one Start" "$(radius_acct_count Start "$sid")" 1
expect_eq "Start: Framed-IP-Address" "$(radius_acct_field Start Framed-IP-Address)" "$WANT_IP"
expect_eq "Start: Class echoed" "$(radius_acct_field Start Class)" 0x4f553d61646d696e73
n=$(radius_acct_count Interim-Update "$sid")
[ "$n" -ge 2 ] && [ "$n" -le 4 ]
verdict "Interim-Updates every 2 s: $n in about 5 s" $?
expect_eq "Interim-Update: Connect-Info" "$(radius_acct_field Interim-Update Connect-Info)" active
[ -n "$(radius_acct_field Interim-Update Acct-Input-Gigawords)" ]
verdict "Interim-Update: counters with Gigawords" $?

kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running 10 s after SIGINT"
wait_log -E "$SERVER_LOG" "accounting: Stop of session .* User-Request" 1 5
verdict "the server logs the Stop (User-Request)" $?
deadline=$(deadline_after 5)
until [ "$(radius_acct_count Stop "$sid")" = 1 ] || [ "$(now_ms)" -gt "$deadline" ]; do sleep 0.1; done
expect_eq "one Stop" "$(radius_acct_count Stop "$sid")" 1
expect_eq "Stop: Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause)" User-Request
t=$(radius_acct_field Stop Acct-Session-Time)
[ "${t:-0}" -ge 5 ] && [ "${t:-0}" -le 30 ]
verdict "Stop: Acct-Session-Time ${t}s" $?
expect_eq "Stop: Class echoed" "$(radius_acct_field Stop Class)" 0x4f553d61646d696e73
# the tunnel's final counters: the 5 pings (84 bytes each) and their replies
expect_eq "Stop: Acct-Input-Packets" "$(radius_acct_field Stop Acct-Input-Packets)" 5
expect_eq "Stop: Acct-Input-Octets" "$(radius_acct_field Stop Acct-Input-Octets)" 420
expect_eq "Stop: Acct-Output-Octets" "$(radius_acct_field Stop Acct-Output-Octets)" 420
expect_eq "Stop: Acct-Input-Gigawords" "$(radius_acct_field Stop Acct-Input-Gigawords)" 0
expect_eq "one Start in all" "$(radius_acct_count Start)" 1
