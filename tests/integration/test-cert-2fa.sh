#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two factors, as ocserv reads two auth lines (both required):
#   auth = "certificate" + auth = "plain[passwd=FILE]"
# The real openconnect client presents its certificate and answers the
# password form: the right password of the certificate's user is accepted
# (group from the certificate's OU), a wrong one, another user's name with
# that user's right password, and the right password without a certificate
# are each refused with a 401 and a log line naming why.
# Then the alternative, as ocserv reads enable-auth (sufficient alone):
#   auth = "plain[passwd=FILE]" + enable-auth = "certificate"
# a valid certificate logs in without the form, no certificate gets the
# password form, and a revoked certificate is refused (it is never ignored).
. "$(dirname "$0")/cert-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's log lines and occtl-modern"

it_setup 1
cert_ca test
# the password file's user: test / test (tests/data/gen-credentials.sh)
cert_client tester test "$TEST_USER" staff
cert_client alice test alice eng
cert_client revoked test "$TEST_USER" staff
cert_crl test revoked
plain="auth = \"plain[passwd=$IT_WORK/passwd]\""
cert_config "auth = \"certificate\"
$plain"
start_server

cert_authenticate c1 tester "$TEST_USER" "$TEST_PASSWORD"
expect_eq "certificate + right password: exit status" "$?" 0
grep -q 'Got HTTP response: HTTP/1.1 401' "$AUTH_LOG"
[ $? = 1 ]
verdict "certificate + right password: no 401" $?
grep -qE "user '$TEST_USER' \(group 'staff'\) authenticated from 10\.77\.0\.2" "$SERVER_LOG"
verdict "certificate + right password: the group is the certificate's OU" $? \
	"$(grep -m1 "authenticated from" "$SERVER_LOG" | sed 's/.*: info: //')"

cert_authenticate c1 tester "$TEST_USER" wrong-password
rc=$?
ok=1; [ "$rc" != 0 ] && [ -z "${CLI_COOKIE[c1]}" ] && ok=0
verdict "certificate + wrong password: refused" $ok "exit $rc"
grep -q 'Got HTTP response: HTTP/1.1 401' "$AUTH_LOG"
verdict "certificate + wrong password: 401" $? "$(grep -m1 -E 'HTTP/1.1|Failed' "$AUTH_LOG")"
wait_log "$SERVER_LOG" "login of '$TEST_USER' from 10.77.0.2 failed" 1 5
verdict "certificate + wrong password: the server log says why" $? "${WAIT_LINE#*: }"

# alice's certificate, test's right password: the names differ
cert_authenticate c1 alice "$TEST_USER" "$TEST_PASSWORD"
expect_refused "alice's certificate with test's password" \
	"user name '$TEST_USER' is not the certificate's 'alice'" $?

cert_authenticate c1 - "$TEST_USER" "$TEST_PASSWORD"
expect_refused "right password without a certificate" "no certificate" $?

# enable-auth: the certificate is enough on its own; the password the other way
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 15 || fatal "server still running 15 s after SIGTERM"
cert_config "$plain" "crl = $IT_WORK/test-crl.pem
enable-auth = \"certificate\""
start_server
cert_authenticate c1 alice
expect_eq "enable-auth: certificate alone: exit status" "$?" 0
grep -qiE 'password' "$AUTH_LOG"
[ $? = 1 ]
verdict "enable-auth: certificate alone: no password asked" $? \
	"$(grep -m1 -i 'password' "$AUTH_LOG")"
grep -q "user 'alice' (group 'eng') authenticated from 10.77.0.2" "$SERVER_LOG"
verdict "enable-auth: the certificate's user and group" $?
cert_authenticate c1 - "$TEST_USER" "$TEST_PASSWORD"
expect_eq "enable-auth: no certificate, the password: exit status" "$?" 0
cert_authenticate c1 revoked "$TEST_USER" "$TEST_PASSWORD"
expect_refused "enable-auth: a revoked certificate" "certificate revoked" $?

alive "$SERVER_PID"
verdict "server still running" $?
