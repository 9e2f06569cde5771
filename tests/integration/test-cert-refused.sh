#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# auth = "certificate" refuses, each with a 401 for the real openconnect
# client and a log line naming the reason: a revoked certificate (crl), an
# expired one, one from a CA that ca-cert does not hold, and none at all.
# Each refusal costs ban points as a wrong password does (openconnect tries
# twice per run, POST then GET: about 22 points a run): with
# max-ban-score = 60 the third run bans the address. The CRL is read again
# on SIGHUP: a certificate accepted before is refused once the new CRL
# lists it; a CRL that cannot be used (another CA's) is refused by -t and,
# on a reload, logged while sec-mod keeps the one it has.
. "$(dirname "$0")/cert-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's log lines"

it_setup 2
cert_ca test
cert_ca other
cert_client revoked test carol eng
cert_client expired test dave eng 'activation_date = "2020-01-01 00:00:00"' \
	'expiration_date = "2020-12-31 00:00:00"'
cert_client foreign other erin eng
cert_client bob test bob ops
cert_crl test revoked
cert_config 'auth = "certificate"' "crl = $IT_WORK/test-crl.pem" MAX_BAN_SCORE=60 BAN_TIME=120
start_server

cert_authenticate c1 revoked
expect_refused "revoked certificate" "certificate revoked" $?
cert_authenticate c1 expired
expect_refused "expired certificate" "certificate expired" $?
cert_authenticate c1 foreign
expect_refused "certificate of another CA" "certificate not signed by a trusted CA" $?
wait_log "$SERVER_LOG" "address 10.77.0.2 banned" 1 5
verdict "three refused certificates ban the address (ban points)" $? "${WAIT_LINE#*: }"

cert_authenticate c2 -
expect_refused "no certificate" "no certificate" $? 10.77.0.3

cert_authenticate c2 bob
expect_eq "bob's certificate before the new CRL" "$?" 0

# bob's certificate is revoked: a new CRL, and SIGHUP
cert_crl test revoked bob
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "client certificates: 1 CA(s), 1 CRL(s)" 2 10
verdict "SIGHUP: sec-mod read the CAs and the new CRL" $? "${WAIT_LINE#*: }"
cert_authenticate c2 bob
expect_refused "bob's certificate after the new CRL" "certificate revoked" $? 10.77.0.3

# a CRL the server cannot use: -t names it; a reload keeps the CAs and CRL
# sec-mod has (bob stays revoked)
cert_crl other
sed "s|^crl = .*|crl = $IT_WORK/other-crl.pem|" "$CONFIG" > "$IT_WORK/bad-crl.conf"
out=$("$SERVER_BIN" -t -c "$IT_WORK/bad-crl.conf" 2>&1)
rc=$?
ok=1; [ "$rc" != 0 ] && [[ $out == *"crl: CRL 1 is not signed by a CA of ca-cert"* ]] && ok=0
verdict "-t: a CRL of another CA is refused, naming it" $ok "exit $rc: $out"
cp "$IT_WORK/other-crl.pem" "$IT_WORK/test-crl.pem"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "sec-mod keeps the CAs and CRLs it has" 1 10
verdict "SIGHUP with an unusable CRL: logged, the previous one kept" $? "${WAIT_LINE#*: }"
cert_authenticate c2 bob
expect_refused "bob's certificate after the failed reload" "certificate revoked" $? 10.77.0.3

alive "$SERVER_PID"
verdict "server still running" $?
