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
#  - the login form's group list (select-group, default-select-group):
#    choosing DEFAULT gives the user's first group (users), choosing staff
#    (openconnect --authgroup) gives the session staff's file
#    (X-CSTP-Keepalive: 13) under the user's (X-CSTP-DPD: 2 still);
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
printf 'dpd = 2\nexplicit-ipv4 = %s\nroute = 10.99.0.0/16\nsession-timeout = 600\n' "$WANT_IP" \
	> "$IT_WORK/users/$TEST_USER"
printf 'dpd = 9\nidle-timeout = %s\nmax-clients = 1\nroute = 10.98.0.0/16\ndns = 192.0.2.53\n' \
	"$I" > "$IT_WORK/groups/users"
printf 'cookie-timeout = 90\n' >> "$IT_WORK/groups/users"
printf 'config-per-user = %s/users\nconfig-per-group = %s/groups\n' "$IT_WORK" "$IT_WORK" >> "$CONFIG"
printf 'route = 10.97.0.0/16\ndns = 192.0.2.1\n' >> "$CONFIG"
# the user is in two groups; the login form offers them
sed -i "s/^$TEST_USER:users:/$TEST_USER:users,staff:/" "$IT_WORK/passwd"
printf 'keepalive = 13\n' > "$IT_WORK/groups/staff"
printf 'default-select-group = DEFAULT\nselect-group = users\nselect-group = staff\n' >> "$CONFIG"

# login_group GROUP: openconnect logs in choosing GROUP in the form's group
# list (non-interactive openconnect needs --authgroup once there is a list);
# sets c1's cookie.
login_group() {
	printf '%s\n' "$TEST_PASSWORD" | timeout 30 ip netns exec "${CLI_NS[c1]}" openconnect \
		--non-inter --passwd-on-stdin -u "$TEST_USER" --authgroup "$1" --authenticate \
		--servercert "$PIN" "$URL" > "$IT_WORK/login-$1.out" 2> "$IT_WORK/login-$1.err"
	verdict "login with --authgroup $1" $?
	CLI_COOKIE[c1]=$(sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$IT_WORK/login-$1.out")
}

start_server
login_group DEFAULT
connect_client c1

expect_eq "X-CSTP-DPD from the user's file" "$(cstp_option c1 X-CSTP-DPD)" 2
expect_eq "X-CSTP-Idle-Timeout from the group's file" "$(cstp_option c1 X-CSTP-Idle-Timeout)" "$I"
expect_eq "X-CSTP-Keepalive from the global file" "$(cstp_option c1 X-CSTP-Keepalive)" 30
expect_eq "X-CSTP-Session-Timeout from the user's file (enforced by sec-mod)" \
	"$(cstp_option c1 X-CSTP-Session-Timeout)" 600
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
	"dpd user, keepalive global, idle-timeout group, session-timeout user, cookie-timeout group"
occtl show user "$TEST_USER"
grep -q "Timers from: dpd user, keepalive global, idle-timeout group, session-timeout user" "$OCCTL_OUT"
verdict "occtl (text): timers from, per value" $?

client_ping c1 3 || verdict "ping through the tunnel" 1
sleep 1
idle_end c1 $I "per-group idle-timeout"

# The group list: the first login chose DEFAULT (default-select-group), so
# its group was the first of the password file; now the client asks for
# staff and gets staff's file.
grep -q "user '$TEST_USER' (group 'users') authenticated" "$SERVER_LOG"
verdict "default-select-group chosen: the user's first group" $?
login_group staff
grep -q "user '$TEST_USER' (group 'staff') authenticated" "$SERVER_LOG"
verdict "the session's group is the one chosen" $?
start_client c1
wait_connected c1
expect_eq "X-CSTP-Keepalive from staff's file" "$(cstp_option c1 X-CSTP-Keepalive)" 13
expect_eq "X-CSTP-DPD still from the user's file" "$(cstp_option c1 X-CSTP-DPD)" 2
