#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tls-priorities and match-tls-dtls-ciphers (doc/config-reference.md).
# A string that forbids TLS 1.3 gives the real client a TLS 1.2 connection
# (its log and occtl-modern show it) and still a DTLS channel; with
# match-tls-dtls-ciphers the DTLS channel uses the cipher of the TLS
# connection; a string GnuTLS rejects makes "ocserv-modern -t" fail naming
# the line and the rest of the string from where GnuTLS stopped.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

occtl_preconditions
it_setup 1

# 1. A bad string: the configuration check fails and says where.
dtls_config -- 'tls-priorities = "NORMAL:%SERVER_PRECEDENCE:+NO-SUCH-THING:-VERS-TLS1.3"'
line=$(grep -n '^tls-priorities' "$CONFIG" | cut -d: -f1)
out=$("$SERVER_BIN" -t -c "$CONFIG" 2>&1)
rc=$?
expect_eq "ocserv-modern -t with a bad tls-priorities: exit status" "$rc" 1
ok=1
[[ $out == *"$CONFIG:$line: tls-priorities = "*'at "+NO-SUCH-THING:-VERS-TLS1.3"'* ]] && ok=0
verdict "the message names file:line and the rest of the string from the error" $ok "$out"

# 2. TLS 1.2 only: the client's TLS connection is TLS 1.2, DTLS comes up.
dtls_config -- 'tls-priorities = "NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.3"'
out=$("$SERVER_BIN" -t -c "$CONFIG" 2>&1)
verdict "ocserv-modern -t accepts NORMAL:%SERVER_PRECEDENCE:-VERS-TLS1.3" $? "$out"
start_server
connect_dtls_client c1
tls_line=$(grep -m1 'Connected to HTTPS on' "${CLI_LOG[c1]}")
ok=1; [[ $tls_line == *'with ciphersuite (TLS1.2)-'* ]] && ok=0
verdict "openconnect: a TLS 1.2 connection" $ok "$tls_line"
ping_ok c1 5
verdict "ping through the tunnel" $? "$PING_RESULT"
occtl_json show users || fatal "show users failed"
id=$(jget 'd[0]["ID"]')
occtl_json show id "$id"
tls=$(jget 'd[0]["TLS ciphersuite"]')
ok=1; [[ $tls == '(TLS1.2)-'* ]] && ok=0
verdict "occtl-modern show id: TLS ciphersuite is TLS 1.2" $ok "$tls"
stop_all() {
	kill -TERM "${CLI_PID[c1]}"
	wait_exit "${CLI_PID[c1]}" 10 || verdict "client exits within 10 s of SIGTERM" 1
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID" 15 || verdict "server exits within 15 s of SIGTERM" 1
}
stop_all

# 3. The string applies to DTLS too: AES-128-CBC first, AES-256-GCM second.
# TLS 1.3 has no CBC suite, so TLS gets AES-256-GCM; DTLS 1.2 gets the
# first, AES-128-CBC; with match-tls-dtls-ciphers DTLS gets TLS's cipher.
PRIO='NORMAL:%SERVER_PRECEDENCE:-CIPHER-ALL:+AES-128-CBC:+AES-256-GCM'
for match in false true; do
	dtls_config -- "tls-priorities = \"$PRIO\"" "match-tls-dtls-ciphers = $match"
	start_server
	unset 'CLI_COOKIE[c1]'	# the last server's session is gone: log in again
	connect_dtls_client c1
	tls_line=$(grep -m1 'Connected to HTTPS on' "${CLI_LOG[c1]}")
	dtls_line=$(grep -m1 'Established DTLS connection' "${CLI_LOG[c1]}")
	ok=1; [[ $tls_line == *'(TLS1.3)-'*'-(AES-256-GCM)' ]] && ok=0
	verdict "match-tls-dtls-ciphers = $match: TLS 1.3 with AES-256-GCM" $ok "$tls_line"
	want='(AES-128-CBC)-(SHA1)'
	[ $match = true ] && want='(AES-256-GCM)'
	ok=1; [[ $dtls_line == *"(DTLS1.2)-(PSK)-$want"* ]] && ok=0
	verdict "match-tls-dtls-ciphers = $match: DTLS with $want" $ok "$dtls_line"
	ping_ok c1 5
	verdict "match-tls-dtls-ciphers = $match: ping through the tunnel" $? "$PING_RESULT"
	stop_all
done
