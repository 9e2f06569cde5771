#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Per-user and per-group files (doc/config-reference.md, "Per-user and
# per-group files"). The global configuration says dpd = 30, keepalive = 30,
# no idle timeout; the test user's file says dpd = 2 and explicit-ipv4; the
# file of its group ("users", from the password file) says idle-timeout = 7
# and dpd = 9 (the user's dpd wins: user > group > global), a route (the
# user's wins) and a dns, and carries a key that is not accepted per group (a
# warning, ignored).
#
# Shown with the real openconnect client:
#  - the CONNECT reply (the client's CISCO_CSTP_OPTIONS) has X-CSTP-DPD: 2,
#    X-CSTP-Idle-Timeout: 7 and X-CSTP-Keepalive: 30;
#  - the client's tun has the explicit-ipv4 address, the split-include route
#    is the user's, the DNS server the group's;
#  - occtl-modern --json show user gives each value with its origin;
#  - the gateway ends the idle tunnel at 7 s: not before 7 s after the last
#    user packet was sent, at most 7 + 1.5 s after its reply came back (the
#    same bounds as test-idle-timeout.sh, event-loop and log latency only).
. "$(dirname "$0")/occtl-lib.sh"

I=7
WANT_IP=192.168.77.77
occtl_preconditions
it_setup 1
write_config DPD=30 KEEPALIVE=30 IDLE_TIMEOUT=0
mkdir -p "$IT_WORK/users" "$IT_WORK/groups" || hard_error "mkdir"
printf 'dpd = 2\nexplicit-ipv4 = %s\nroute = 10.99.0.0/16\n' "$WANT_IP" > "$IT_WORK/users/$TEST_USER"
printf 'dpd = 9\nidle-timeout = %s\nmax-clients = 1\nroute = 10.98.0.0/16\ndns = 192.0.2.53\n' \
	"$I" > "$IT_WORK/groups/users"
printf 'config-per-user = %s/users\nconfig-per-group = %s/groups\n' "$IT_WORK" "$IT_WORK" >> "$CONFIG"
printf 'route = 10.97.0.0/16\ndns = 192.0.2.1\n' >> "$CONFIG"
start_server
connect_client c1

expect_eq "X-CSTP-DPD from the user's file" "$(cstp_option c1 X-CSTP-DPD)" 2
expect_eq "X-CSTP-Idle-Timeout from the group's file" "$(cstp_option c1 X-CSTP-Idle-Timeout)" "$I"
expect_eq "X-CSTP-Keepalive from the global file" "$(cstp_option c1 X-CSTP-Keepalive)" 30
expect_eq "the tun address is the user's explicit-ipv4" "${CLI_VPNIP[c1]}" "$WANT_IP"
expect_eq "the user's route replaces the group's and the global ones" \
	"$(sed -n 's/^X-CSTP-Split-Include=//p' "${CLI_ENV[c1]}.cstp" | tr '\n' ' ')" "10.99.0.0/255.255.0.0 "
expect_eq "the group's dns" "$(cstp_option c1 X-CSTP-DNS)" 192.0.2.53
grep -q "per-group file $IT_WORK/groups/users for 'users': dpd, idle-timeout, route, dns" "$SERVER_LOG"
verdict "the server logs the group file and what it sets" $?
grep -q "max-clients: not accepted in a per-user or per-group file; ignored" "$SERVER_LOG"
verdict "a key not accepted per group is a warning" $?

occtl_json show user "$TEST_USER" || fatal "show user failed"
expect_eq "occtl: DPD" "$(jget 'd[0]["DPD"]')" 2
expect_eq "occtl: DPD from" "$(jget 'd[0]["DPD from"]')" user
expect_eq "occtl: idle timeout" "$(jget 'd[0]["Idle timeout"]')" "$I"
expect_eq "occtl: idle timeout from" "$(jget 'd[0]["Idle timeout from"]')" group
expect_eq "occtl: keepalive from" "$(jget 'd[0]["KeepAlive from"]')" global
expect_eq "occtl: timers from" "$(jget 'd[0]["Timers from"]')" \
	"dpd user, keepalive global, idle-timeout group"
occtl show user "$TEST_USER"
grep -q "Timers from: dpd user, keepalive global, idle-timeout group" "$OCCTL_OUT"
verdict "occtl (text): timers from, per value" $?

client_ping c1 3 || verdict "ping through the tunnel" 1
sleep 1
idle_end c1 $I "per-group idle-timeout"
