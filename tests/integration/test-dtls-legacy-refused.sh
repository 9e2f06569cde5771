#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Legacy DTLS 3 (doc/spec/interop.md §2.1, §6.4): what is refused, cleanly.
# From c1, a CONNECT shaped like AnyConnect's (legacyconnect.py: no
# PSK-NEGOTIATE, Cisco's suites, an X-DTLS-Master-Secret) with default
# settings gets legacy DTLS; the same with a malformed secret (not hex, too
# short, too long) or none gets no X-DTLS-* header at all, and the tunnel
# carries an ICMP echo over TLS. The secret never reaches the log. From c2,
# openconnect 9.01 offering only DES-CBC3-SHA (which we do not accept) gets
# no DTLS and pings over TLS; with dtls-legacy = false and dtls-psk = false
# (after a reload), openconnect gets no DTLS either, until
# cisco-client-compat = true (which implies dtls-legacy) brings legacy back.
. "$(dirname "$0")/dtls-lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || skip "python3 not found"

it_setup 2
dtls_config DPD=10 KEEPALIVE=30
start_server
get_cookie c1

legacy_connect() {
	in_client c1 timeout 20 "$PY" "$IT_DIR/legacyconnect.py" --host "$SERVER_IP" --port "$PORT" \
		--ca "$IT_WORK/server-cert.pem" --cookie "${CLI_COOKIE[c1]}" --ping "$SERVER_VPN_IP" \
		--timeout 5 "$@" 2>&1
}

# A well-formed offer: legacy DTLS with the default settings.
GOOD=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
out=$(legacy_connect --master "$GOOD")
verdict "AnyConnect-like CONNECT: the tunnel carries an echo over TLS" $? "$(tail -n 1 <<< "$out")"
grep -qE '^header: X-DTLS-Session-ID: [0-9a-f]{64}$' <<< "$out"
verdict "AnyConnect-like CONNECT: X-DTLS-Session-ID" $? "$(grep -F Session-ID <<< "$out")"
grep -qxF 'header: X-DTLS12-CipherSuite: ECDHE-RSA-AES256-GCM-SHA384' <<< "$out"
verdict "AnyConnect-like CONNECT: Cisco DTLS 1.2 picked" $? "$(grep -F CipherSuite <<< "$out")"
grep -qE '^header: X-DTLS-MTU: [0-9]+$' <<< "$out"
verdict "AnyConnect-like CONNECT: X-DTLS-MTU" $?

# Malformed secrets, and none at all.
bad_cases=(
	"not-hex" "--master $(printf 'ZZ%.0s' $(seq 48))"
	"short" "--master 00112233445566778899"
	"long" "--master ${GOOD}00"
	"absent" "--no-master"
)
n=0
for ((i = 0; i < ${#bad_cases[@]}; i += 2)); do
	c=${bad_cases[i]}
	# shellcheck disable=SC2086
	out=$(legacy_connect ${bad_cases[i + 1]})
	verdict "master secret $c: the tunnel carries an echo over TLS" $? "$(tail -n 1 <<< "$out")"
	expect_eq "master secret $c: 200 CONNECTED" "$(sed -n 's/^status: //p' <<< "$out")" \
		"HTTP/1.1 200 CONNECTED"
	expect_eq "master secret $c: no X-DTLS-* header" "$(grep -c '^header: X-DTLS' <<< "$out")" 0
	n=$((n + 1))
	wait_log -E "$SERVER_LOG" 'tunnel up: .*client=10\.77\.0\.2 .*dtls=off \(bad-master-secret\)' "$n" 5
	verdict "master secret $c: the server says why there is no DTLS" $?
done
expect_eq "the server's log names each malformed secret" \
	"$(server_count 'X-DTLS-Master-Secret not hexadecimal')/$(server_count 'X-DTLS-Master-Secret not 96 characters')/$(server_count 'X-DTLS-Master-Secret absent')" \
	"1/2/1"
hits=$(grep -ciE "$GOOD|ZZZZ|00112233445566778899" "$SERVER_LOG")
expect_eq "no master secret in the server's log" "$hits" 0

# openconnect offering a suite we do not take: no DTLS, TLS works.
connect_client c2 --dtls --dtls-ciphers=DES-CBC3-SHA
expect_eq "DES-CBC3-SHA only: no X-DTLS-* header" "$(grep -c '\] X-DTLS' "${CLI_LOG[c2]}")" 0
grep -qE 'tunnel up: .*client=10\.77\.0\.3 .*dtls=off \(no-common-cipher\)' "$SERVER_LOG"
verdict "server: no common legacy suite" $?
ping_ok c2 5
verdict "DES-CBC3-SHA only: ping over TLS" $? "$PING_RESULT"
expect_eq "DES-CBC3-SHA only: no DTLS handshake" "$(client_count c2 'Established DTLS connection')" 0
kill -TERM "${CLI_PID[c2]}"
wait_exit "${CLI_PID[c2]}" 10 || verdict "client c2 exits after SIGTERM" 1

# Both modes off (a reload): openconnect's full offer gets no DTLS.
printf '%s\n' "dtls-psk = false" "dtls-legacy = false" >> "$CONFIG"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" 'reload: dtls-legacy true -> false' 1 5
verdict "reload: the change is logged" $?
CLI_COOKIE[c2]=	# c2 logged out: a new login
start_dtls_client c2
wait_connected c2 30
expect_eq "both modes off: no X-DTLS-* header" "$(grep -c '\] X-DTLS' "${CLI_LOG[c2]}")" 0
grep -qE 'tunnel up: .*client=10\.77\.0\.3 .*dtls=off \(disabled\)' "$SERVER_LOG"
verdict "server: DTLS disabled by the configuration" $?
ping_ok c2 5
verdict "both modes off: ping over TLS" $? "$PING_RESULT"
kill -TERM "${CLI_PID[c2]}"
wait_exit "${CLI_PID[c2]}" 10 || verdict "client c2 exits after SIGTERM" 1

# cisco-client-compat = true implies dtls-legacy = true.
echo "cisco-client-compat = true" >> "$CONFIG"
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" 'reload: cisco-client-compat false -> true' 1 5
verdict "reload: cisco-client-compat logged" $?
CLI_COOKIE[c2]=
connect_dtls_client c2
line=$(grep -F 'Established DTLS connection' "${CLI_LOG[c2]}" | head -n 1)
ok=1; [[ $line == *'(DTLS1.2)-(ECDHE-RSA)-(AES-256-GCM)'* ]] && ok=0
verdict "cisco-client-compat with dtls-legacy = false: legacy DTLS" $ok "${line#*Established }"
ping_ok c2 5
verdict "cisco-client-compat: ping" $? "$PING_RESULT"
alive "$SERVER_PID"
verdict "server still running" $?
