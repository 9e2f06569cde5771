#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A wrong password gets HTTP 401 (the client logs it and exits 1); repeated
# failures from one address get that address banned, so even a correct login
# from it is refused while the ban lasts, while another address still logs
# in.
#
# Ban points (doc/spec/interop.md 7.9): wrong password 10, each connection 1. With
# max-ban-score = 25, two failures (about 22 points) are tolerated and the
# third crosses the line: the server logs the ban then, not before; the
# correct login that follows is refused because of the ban (the server logs
# that reason), and occtl-modern lists the address as banned.
. "$(dirname "$0")/occtl-lib.sh"

case $OCSM_SERVER in
modern)
	BAN_RE="address 10\.77\.0\.2 banned for [0-9]+ s"
	REFUSED_RE="(login of '[^']*'|connection) from 10\.77\.0\.2 refused: address banned"
	;;
ocserv)
	BAN_RE="added IP '10\.77\.0\.2' .* to ban list"
	REFUSED_RE="rejected connection from banned IP: 10\.77\.0\.2"
	;;
esac

it_setup 2
[ "${CLI_IP[c1]}" = 10.77.0.2 ] || hard_error "c1's address is ${CLI_IP[c1]}, the patterns expect 10.77.0.2"
write_config MAX_BAN_SCORE=25 BAN_TIME=120
start_server

authenticate c1 "$TEST_USER" wrong-password
rc=$?
expect_eq "wrong password: client exit status" "$rc" 1
grep -q 'Got HTTP response: HTTP/1.1 401' "$AUTH_LOG"
verdict "wrong password: client logs the server's 401" $? \
	"$(grep -m1 -E 'HTTP/1.1|Failed' "$AUTH_LOG")"
[ -z "${CLI_COOKIE[c1]}" ]
verdict "wrong password: no cookie" $?

for i in 2 3; do
	authenticate c1 "$TEST_USER" wrong-password
	rc=$?
	ok=1; [ "$rc" != 0 ] && ok=0
	verdict "wrong password, attempt $i, fails" $ok "exit $rc"
	bans=$(log_count -E "$SERVER_LOG" "$BAN_RE")
	case $i in
	2) expect_eq "two failures are tolerated: no ban yet" "$bans" 0 ;;
	3) expect_eq "the third failure bans the address" "$bans" 1 ;;
	esac
done

refused0=$(log_count -E "$SERVER_LOG" "$REFUSED_RE")
authenticate c1
rc=$?
ok=1; [ "$rc" != 0 ] && [ -z "${CLI_COOKIE[c1]}" ] && ok=0
verdict "banned address: the correct password is refused" $ok \
	"exit $rc; $(grep -iE 'HTTP/1.1|fail|refused|error|closed|reset' "$AUTH_LOG" | grep -v 'verify failed' | tail -n 1)"
refused=$(( $(log_count -E "$SERVER_LOG" "$REFUSED_RE") - refused0 ))
ok=1; [ "$refused" -ge 1 ] && ok=0
verdict "banned address: the server refused it because of the ban" $ok \
	"$(grep -E "$REFUSED_RE" "$SERVER_LOG" | tail -n 1 | sed 's/.*: info: //')"
if [ "$OCSM_SERVER" = modern ]; then
	occtl_json show ip bans
	expect_eq "occtl: the banned address" "$(jget '[b["IP"] for b in d]')" '["10.77.0.2"]'
fi

authenticate c2
rc=$?
expect_eq "another address still logs in" "$rc" 0

alive "$SERVER_PID"
verdict "server still running" $?
