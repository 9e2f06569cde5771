#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# RADIUS Access-Challenge (doc/radius.md): FreeRADIUS answers user "otp"'s
# password with an Access-Challenge (Reply-Message "Enter the code from your
# token", a State), and accepts the code 123456 only with that State echoed.
# The real openconnect client shows the further login form with the
# Reply-Message as its prompt and answers it from its standard input (the
# second line):
#  - password + right code: a cookie, and a tunnel with it;
#  - password + wrong code: 401 (Access-Reject);
#  - wrong password: 401 at the first form, no further form;
#  - after a reload (SIGHUP) the same.
. "$(dirname "$0")/radius-lib.sh"

radius_preconditions
it_setup 1
write_config MAX_BAN_SCORE=0
radius_setup
radius_auth_config
radius_start
start_server

# login_otp PASSWORD CODE: openconnect --authenticate as otp, both answers
# on stdin; sets AUTH_LOG and c1's cookie.
login_otp() {
	AUTH_COUNT=$((AUTH_COUNT + 1))
	AUTH_LOG=$IT_WORK/c1-auth-$AUTH_COUNT.log
	printf '%s\n%s\n' "$1" "$2" | timeout 30 ip netns exec "${CLI_NS[c1]}" \
		openconnect --passwd-on-stdin -u otp --authenticate \
		--servercert "$PIN" "$URL" > "$AUTH_LOG.out" 2> "$AUTH_LOG"
	local rc=$?
	{ echo "--- exit $rc, stdout:"; cat "$AUTH_LOG.out"; } >> "$AUTH_LOG"
	CLI_COOKIE[c1]=$(sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$AUTH_LOG.out")
	rm -f "$AUTH_LOG.out"
	return $rc
}

login_otp pw 123456
expect_eq "password + code: client exit status" $? 0
grep -q 'Enter the code from your token' "$AUTH_LOG"
verdict "the client showed the Reply-Message as the further form's prompt" $?
[ -n "${CLI_COOKIE[c1]}" ]
verdict "password + code: a cookie" $?
grep -q 'State = 0x726f756e642d32' "$RADIUS_LOG"
verdict "the second Access-Request echoed the State" $?
connect_client c1
client_ping c1 3 > /dev/null
verdict "a tunnel with that cookie: ping" $?
kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 > /dev/null 2>&1

login_otp pw 654321
rc=$?
[ $rc != 0 ]
verdict "password + wrong code: refused (exit $rc)" $?
grep -q 'Enter the code from your token' "$AUTH_LOG" && grep -q '401' "$AUTH_LOG"
verdict "... after the further form, with 401" $?

login_otp wrong 123456
rc=$?
[ $rc != 0 ]
verdict "wrong password: refused (exit $rc)" $?
! grep -q 'Enter the code from your token' "$AUTH_LOG"
verdict "... at the first form, no further form" $?

# a reload keeps RADIUS (sec-mod read the radcli files at its start)
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "reload done" 1 10 || fatal "no reload within 10 s of SIGHUP"
login_otp pw 123456
expect_eq "after a reload: password + code, client exit status" $? 0
[ -n "${CLI_COOKIE[c1]}" ]
verdict "after a reload: a cookie" $?
