#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# auth = "certificate": the real openconnect client logs in with a client
# certificate alone (-c/-k, no password asked) and gets its tunnel; the user
# name comes from the certificate's UID (cert-user-oid) and the group from
# its OU (cert-group-oid), as occtl-modern shows. A name the client types
# does not count. After a silent network cut (dpd = 3) the client resumes by
# itself with its cookie: same address, no new login (the CONNECT with the
# cookie needs no certificate check).
. "$(dirname "$0")/cert-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's log lines and occtl-modern"

it_setup 1
cert_ca test
cert_client alice test alice eng
cert_config 'auth = "certificate"' '' DPD=3 COOKIE_TIMEOUT=60
start_server

# --authenticate: no form, the certificate is the login
cert_authenticate c1 alice
rc=$?
expect_eq "certificate login: exit status" "$rc" 0
grep -qiE 'password|username' "$AUTH_LOG"
[ $? = 1 ]
verdict "certificate login: the client was asked for nothing" $? \
	"$(grep -m1 -iE 'password|username' "$AUTH_LOG")"
grep -q "certificate of 'alice' from 10.77.0.2 accepted" "$SERVER_LOG"
verdict "certificate login: sec-mod accepted alice's certificate" $?

# a name typed by the client is not the login: the certificate's is
cert_authenticate c1 alice mallory ignored
expect_eq "certificate login with a typed name: exit status" "$?" 0
grep -q "user 'mallory'" "$SERVER_LOG"
[ $? = 1 ]
verdict "no session was made for the typed name" $?

# the tunnel, from one openconnect process with the certificate
printf '\n' > "$IT_WORK/c1.stdin"
spawn_client c1 -c "$IT_WORK/alice.pem" -k "$IT_WORK/alice.key"
wait_connected c1
ip1=${CLI_VPNIP[c1]}
ping_ok c1 2
verdict "ping through the certificate's tunnel" $? "$PING_RESULT"

occtl_json show users
expect_eq "occtl: user from the certificate's UID" "$(jget '[u["Username"] for u in d]')" '["alice"]'
expect_eq "occtl: group from the certificate's OU" "$(jget '[u["Groupname"] for u in d]')" '["eng"]'

# a silent network cut: the server's DPD ends the tunnel and the session
# waits; once the path is back the client resumes by itself with its
# cookie (the same process, the same address, no new login)
logins_before=$(server_count ') authenticated from ')
cut_on c1 all
it_log "network cut (all traffic to/from $SERVER_IP dropped)"
wait_log "$SERVER_LOG" 'waits to resume' 1 $((3 * 3 + 4)) ||
	fatal "the session is not waiting to resume within 13 s of the cut"
verdict "the cut: the session waits to resume" 0 "${WAIT_LINE#*: }"
cut_off c1
if wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 40; then
	verdict "the client reconnected by itself" 0
else
	fatal "no second 'CSTP connected.' within 40 s of the restore"
fi
alive "${CLI_PID[c1]}"
verdict "the same client process" $?
expect_eq "no new login" "$(server_count ') authenticated from ')" "$logins_before"
grep -qE 'resume session [0-9a-f]{6} ' "$SERVER_LOG"
verdict "the server resumed the waiting session" $?
grep -q 'Reconnect gave different' "${CLI_LOG[c1]}"
[ $? = 1 ]
verdict "the same address after the resume ($ip1)" $?
ping_ok c1 3
verdict "ping after the resume" $? "$PING_RESULT"
occtl_json show users
expect_eq "occtl after the resume: still alice" "$(jget '[u["Username"] for u in d]')" '["alice"]'
alive "$SERVER_PID"
verdict "server still running" $?
