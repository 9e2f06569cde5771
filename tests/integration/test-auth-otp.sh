#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# auth = "plain[passwd=FILE,otp=FILE]": the password in the login form, then
# a further form asks for the TOTP code of the liboath users file, which
# oathtool computes here. The real openconnect client shows the further form
# and answers it from its standard input (the second line). Shown:
#  - right password and right code: a cookie, and a tunnel with it;
#  - the same code again (a replay): 401, and ban points;
#  - right password, wrong code: 401, ban points (the server logs why);
#  - wrong password: 401 at the first form, no further form;
#  - liboath wrote its counter back into the users file, which sec-mod
#    (run-as-user nobody) rewrote in its directory;
#  - plain[otp=FILE] alone: the login form's password is the code.
. "$(dirname "$0")/occtl-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's OTP only"
need_cmd oathtool

SECRET=3132333435363738393031323334353637383930
SECRET2=00112233445566778899aabbccddeeff00112233

it_setup 1
write_config MAX_BAN_SCORE=30 BAN_TIME=120
# the users file in a directory sec-mod (nobody) may write into
OTPDIR=$IT_WORK/otp
mkdir -m 700 "$OTPDIR" && chown nobody:nogroup "$OTPDIR" || hard_error "otp directory"
{
	printf 'HOTP/T30 %s - %s\n' "$TEST_USER" "$SECRET"
	printf 'HOTP/T30 otponly - %s\n' "$SECRET2"
} > "$OTPDIR/users.oath"
chown nobody:nogroup "$OTPDIR/users.oath"
chmod 600 "$OTPDIR/users.oath"
sed -i "s|^auth = .*|auth = \"plain[passwd=$IT_WORK/passwd,otp=$OTPDIR/users.oath]\"|" "$CONFIG"
start_server

# A fresh TOTP code: wait for the next 30 s step when the current one ends in
# under 3 s, so that the code does not age between two uses.
fresh_code() {
	local left=$(( 30 - $(date +%s) % 30 ))
	[ "$left" -lt 3 ] && sleep "$left"
	oathtool --totp "${1:-$SECRET}"
}

# login_otp PASSWORD CODE: openconnect --authenticate, both answers on stdin.
login_otp() {
	AUTH_COUNT=$((AUTH_COUNT + 1))
	AUTH_LOG=$IT_WORK/c1-auth-$AUTH_COUNT.log
	printf '%s\n%s\n' "$1" "$2" | timeout 30 ip netns exec "${CLI_NS[c1]}" \
		openconnect --passwd-on-stdin -u "$TEST_USER" --authenticate \
		--servercert "$PIN" "$URL" > "$AUTH_LOG.out" 2> "$AUTH_LOG"
	local rc=$?
	{ echo "--- exit $rc, stdout:"; cat "$AUTH_LOG.out"; } >> "$AUTH_LOG"
	CLI_COOKIE[c1]=$(sed -n "s/^COOKIE='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$AUTH_LOG.out")
	rm -f "$AUTH_LOG.out"
	return $rc
}

code=$(fresh_code)
login_otp "$TEST_PASSWORD" "$code"
rc=$?
expect_eq "password + code: client exit status" "$rc" 0
grep -q 'OTP:' "$AUTH_LOG"
verdict "the client showed the further form's prompt (OTP:)" $? "$(grep -m1 -i 'otp\|one-time' "$AUTH_LOG")"
[ -n "${CLI_COOKIE[c1]}" ]
verdict "password + code: a cookie" $?
connect_client c1
client_ping c1 3 > /dev/null
verdict "a tunnel with that cookie: ping" $?
kill "${CLI_PID[c1]}" 2> /dev/null
wait_exit "${CLI_PID[c1]}" 10 > /dev/null 2>&1

awk -v u="$TEST_USER" '$2 == u { exit !($5 != "" && $6 != "") }' "$OTPDIR/users.oath"
verdict "liboath wrote the counter and time back into the users file" $? "$(cat "$OTPDIR/users.oath")"
expect_eq "the rewritten users file belongs to sec-mod's user" \
	"$(stat -c %U "$OTPDIR/users.oath")" nobody

points0=$(server_count 'failed: one-time password replayed')
login_otp "$TEST_PASSWORD" "$code"
rc=$?
ok=1; [ "$rc" != 0 ] && [ -z "${CLI_COOKIE[c1]}" ] && grep -q 'HTTP/1.1 401' "$AUTH_LOG" && ok=0
verdict "the same code again: 401" $ok "exit $rc"
expect_eq "the server logs the replay" "$(( $(server_count 'failed: one-time password replayed') - points0 ))" 1

login_otp "$TEST_PASSWORD" 000000
rc=$?
ok=1; [ "$rc" != 0 ] && grep -q 'HTTP/1.1 401' "$AUTH_LOG" && ok=0
verdict "a wrong code: 401" $ok "exit $rc"
wait_log "$SERVER_LOG" 'failed: wrong one-time password' 1 5
verdict "the server logs the wrong code" $?

login_otp wrong-password "$(fresh_code)"
rc=$?
ok=1; [ "$rc" != 0 ] && ! grep -q 'OTP:' "$AUTH_LOG" && ok=0
verdict "a wrong password: 401 without the further form" $ok "exit $rc"

# ban points: 10 a refusal, 1 a connection; max-ban-score 30 is crossed
# at the third refusal
occtl_json show ip bans
expect_eq "three refusals banned the address (occtl-modern)" "$(jget '[b["IP"] for b in d]')" '["10.77.0.2"]'

# the OTP as the only factor (a restart: the ban is main's memory only)
kill "$SERVER_PID"
wait_exit "$SERVER_PID" 15 > /dev/null 2>&1
sed -i "s|^auth = .*|auth = \"plain[otp=$OTPDIR/users.oath]\"|" "$CONFIG"
start_server
authenticate c1 otponly "$(fresh_code "$SECRET2")"
expect_eq "plain[otp=FILE] alone: the code as the password logs in" "$?" 0

alive "$SERVER_PID"
verdict "server still running" $?
