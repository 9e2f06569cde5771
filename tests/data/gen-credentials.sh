#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# gen-credentials.sh DIR [SERVER-IP [USER [PASSWORD]]]
#
# Creates, in DIR, what a test or demo gateway needs:
#   server-cert.pem, server-key.pem  self-signed P-256 certificate whose
#                                    SubjectAltName names the server IP and
#                                    "ocsm-test" (1 day validity)
#   pin                              its pin for openconnect --servercert
#                                    (pin-sha256:<base64 of SHA-256 of the SPKI>)
#   passwd                           an ocpasswd-format file "USER:users:HASH"
#                                    (SHA-512 crypt, as ocpasswd writes it)
# Defaults: SERVER-IP 10.77.0.1, USER test, PASSWORD test.
# OCSM_KEY_TYPE=rsa makes a 2048-bit RSA key instead of the P-256 one.
set -eu

dir=${1:?usage: gen-credentials.sh DIR [SERVER-IP [USER [PASSWORD]]]}
ip=${2:-10.77.0.1}
user=${3:-test}
password=${4:-test}

mkdir -p "$dir"
case ${OCSM_KEY_TYPE:-ec} in
rsa) newkey="-newkey rsa:2048" ;;
*) newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
esac
# shellcheck disable=SC2086
openssl req -x509 $newkey -nodes \
	-keyout "$dir/server-key.pem" -out "$dir/server-cert.pem" -days 1 \
	-subj "/CN=ocsm-test" \
	-addext "subjectAltName=DNS:ocsm-test,IP:$ip" \
	-addext "extendedKeyUsage=serverAuth" 2> "$dir/openssl.err" || {
	cat "$dir/openssl.err" >&2
	exit 1
}
rm -f "$dir/openssl.err"
chmod 600 "$dir/server-key.pem"

# doc/spec/interop.md 9.1: the pin is the SHA-256 of the DER SubjectPublicKeyInfo.
pin=$(openssl x509 -in "$dir/server-cert.pem" -pubkey -noout |
	openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
echo "pin-sha256:$pin" > "$dir/pin"

hash=$(openssl passwd -6 "$password")
printf '%s:users:%s\n' "$user" "$hash" > "$dir/passwd"
