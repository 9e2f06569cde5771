#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Issue test 2: a wrong password gets HTTP 401 (the client logs it and exits
# 1); repeated failures from one address get that address banned, so even a
# correct login from it is refused while the ban lasts, while another
# address still logs in.
#
# Ban points (doc/spec/interop.md 7.9): wrong password 10, each connection 1. With
# max-ban-score = 25, two failures (about 22 points) are tolerated and the
# third crosses the line.
. "$(dirname "$0")/lib.sh"

it_setup 2
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
done

authenticate c1
rc=$?
ok=1; [ "$rc" != 0 ] && [ -z "${CLI_COOKIE[c1]}" ] && ok=0
verdict "banned address: the correct password is refused" $ok \
	"exit $rc; $(grep -iE 'HTTP/1.1|fail|refused|error|closed|reset' "$AUTH_LOG" | grep -v 'verify failed' | tail -n 1)"

authenticate c2
rc=$?
expect_eq "another address still logs in" "$rc" 0

alive "$SERVER_PID"
verdict "server still running" $?
