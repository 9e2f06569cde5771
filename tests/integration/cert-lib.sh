# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# cert-lib.sh: client certificates for the test-cert-*.sh tests, made by the
# test with certtool (gnutls-bin): a test CA, a second CA nobody trusts,
# client certificates (UID and OU in the subject), and a CRL.
#
#   cert_ca NAME                    $IT_WORK/NAME-ca.{pem,key}
#   cert_client FILE CA UID OU [TEMPLATE LINES...]
#                                   $IT_WORK/FILE.{pem,key}, issued by CA
#   cert_crl CA FILE...             $IT_WORK/CA-crl.pem revoking FILE.pem...
#   cert_config AUTH_LINES [EXTRA_LINES]
#                                   write_config, then the auth lines and the
#                                   certificate keys in place of the plain auth
#   cert_authenticate NAME FILE [USER [PASSWORD]]
#                                   authenticate with -c FILE.pem -k FILE.key
#                                   (no certificate when FILE is "-")
#   expect_refused WHAT REASON RC [CLIENT-IP]
#                                   the attempt got 401 and the reason's log line
. "$(dirname "${BASH_SOURCE[0]}")/occtl-lib.sh"

need_cmd certtool

OID_UID=0.9.2342.19200300.100.1.1
OID_OU=2.5.4.11

cert_ca() {
	local name=$1
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$IT_WORK/$name-ca.key" > /dev/null 2>&1 || hard_error "certtool: $name CA key"
	printf 'cn = "%s test CA"\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n' \
		"$name" > "$IT_WORK/$name-ca.tmpl"
	certtool --generate-self-signed --load-privkey "$IT_WORK/$name-ca.key" \
		--template "$IT_WORK/$name-ca.tmpl" --outfile "$IT_WORK/$name-ca.pem" \
		> /dev/null 2>&1 || hard_error "certtool: $name CA"
}

cert_client() {
	local file=$1 ca=$2 uid=$3 ou=$4 line
	shift 4
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$IT_WORK/$file.key" > /dev/null 2>&1 || hard_error "certtool: $file key"
	{
		printf 'cn = "%s"\nuid = "%s"\nunit = "%s"\ntls_www_client\nsigning_key\n' \
			"$uid test" "$uid" "$ou"
		printf 'serial = %d\n' "$((RANDOM * 32768 + RANDOM + 2))"
		if [ $# = 0 ]; then
			printf 'expiration_days = 2\n'
		fi
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$IT_WORK/$file.tmpl"
	certtool --generate-certificate --load-privkey "$IT_WORK/$file.key" \
		--load-ca-privkey "$IT_WORK/$ca-ca.key" --load-ca-certificate "$IT_WORK/$ca-ca.pem" \
		--template "$IT_WORK/$file.tmpl" --outfile "$IT_WORK/$file.pem" \
		> "$IT_WORK/$file.certtool.log" 2>&1 ||
		hard_error "certtool: certificate $file: $(tail -n 2 "$IT_WORK/$file.certtool.log")"
	# the client reads it as run by root, the server never: 0600 is fine
	chmod 600 "$IT_WORK/$file.key"
}

cert_crl() {
	local ca=$1 f
	shift
	: > "$IT_WORK/$ca-revoked.pem"
	for f in "$@"; do cat "$IT_WORK/$f.pem" >> "$IT_WORK/$ca-revoked.pem"; done
	printf 'crl_next_update = 30\ncrl_number = %s\n' "$(date +%s)" > "$IT_WORK/$ca-crl.tmpl"
	if [ $# -gt 0 ]; then
		certtool --generate-crl --load-ca-privkey "$IT_WORK/$ca-ca.key" \
			--load-ca-certificate "$IT_WORK/$ca-ca.pem" \
			--load-certificate "$IT_WORK/$ca-revoked.pem" \
			--template "$IT_WORK/$ca-crl.tmpl" --outfile "$IT_WORK/$ca-crl.pem" \
			> /dev/null 2>&1 || hard_error "certtool: CRL of $ca"
	else
		certtool --generate-crl --load-ca-privkey "$IT_WORK/$ca-ca.key" \
			--load-ca-certificate "$IT_WORK/$ca-ca.pem" \
			--template "$IT_WORK/$ca-crl.tmpl" --outfile "$IT_WORK/$ca-crl.pem" \
			> /dev/null 2>&1 || hard_error "certtool: empty CRL of $ca"
	fi
}

# cert_config AUTH_LINES [EXTRA_LINES] [write_config ARGS...]: the test
# configuration with AUTH_LINES (one or more lines, e.g. 'auth =
# "certificate"') in place of the plain auth line, ca-cert and the OIDs
# (UID names the user, OU the groups), and EXTRA_LINES appended.
cert_config() {
	local auth=$1 extra=${2:-}
	shift
	[ $# = 0 ] || shift
	write_config "$@"
	{
		grep -v '^auth = ' "$CONFIG"
		printf '%s\n' "$auth"
		printf 'ca-cert = %s\ncert-user-oid = %s\ncert-group-oid = %s\n' \
			"$IT_WORK/test-ca.pem" "$OID_UID" "$OID_OU"
		[ -z "$extra" ] || printf '%s\n' "$extra"
	} > "$CONFIG.new" && mv "$CONFIG.new" "$CONFIG" || hard_error "writing $CONFIG"
}

# cert_authenticate NAME FILE [USER [PASSWORD]]: authenticate (lib.sh)
# with the client certificate FILE (none when FILE is "-"); USER and
# PASSWORD answer a password form if one comes.
cert_authenticate() {
	local rc
	AUTH_ARGS=()
	[ "$2" = - ] || AUTH_ARGS=(-c "$IT_WORK/$2.pem" -k "$IT_WORK/$2.key")
	authenticate "$1" "${3:-$TEST_USER}" "${4:-unused}"
	rc=$?
	AUTH_ARGS=()
	return $rc
}

# expect_refused WHAT REASON RC [CLIENT-IP]: the last cert_authenticate
# (exit status RC) got a 401 and no cookie, and the server logged "login
# from IP refused: REASON" once more than before.
declare -A REFUSALS=()
expect_refused() {
	local what=$1 reason=$2 rc=$3 ip=${4:-10.77.0.2} ok key
	key="login from $ip refused: $reason"
	REFUSALS[$key]=$(( ${REFUSALS[$key]:-0} + 1 ))
	ok=1
	[ "$rc" != 0 ] && [ -z "${CLI_COOKIE[c1]:-}" ] && ok=0
	verdict "$what: refused" $ok "exit $rc"
	grep -q 'Got HTTP response: HTTP/1.1 401' "$AUTH_LOG"
	verdict "$what: the client got 401" $? "$(grep -m1 -E 'HTTP/1.1|Failed' "$AUTH_LOG")"
	wait_log "$SERVER_LOG" "$key" "${REFUSALS[$key]}" 5
	verdict "$what: the server log names the reason" $? "${WAIT_LINE#*: }"
}
