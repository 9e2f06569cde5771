#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A login storm: 150 libopenconnect clients of bench/ocload log in within
# about a second, from 50 source addresses, against a password hash that is
# costly on purpose (SHA-512 crypt with 20000 rounds). sec-mod checks the
# passwords on its pool of threads while its event loop goes on signing
# the new TLS handshakes, so every client comes up: each gets a tunnel,
# an address of its own, and the gateway refuses no login as busy.
# Nothing here asserts a duration.
. "$(dirname "$0")/lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's sec-mod only"
OCLOAD=$top_builddir/bench/ocload/ocload
[ -x "$OCLOAD" ] || skip "bench/ocload not built (libopenconnect-dev missing)"

N=150
SOURCES=50
it_setup 1
for i in $(seq 0 $((SOURCES - 1))); do
	in_client c1 ip addr add "10.77.0.$((100 + i))/24" dev eth0 ||
		hard_error "address alias"
done
HASH=$(python3 -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], "$6$rounds=20000$" + sys.argv[2] + "$"))' \
	"$TEST_PASSWORD" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')") || hard_error "hashing the password"
printf '%s:users:%s\n' "$TEST_USER" "$HASH" > "$IT_WORK/passwd"
write_config DPD=30 KEEPALIVE=30 COOKIE_TIMEOUT=120
sed -i 's/^max-clients = .*/max-clients = 200/' "$CONFIG"
start_server

in_client c1 timeout 120 "$OCLOAD" --url "$URL" -n $N -u "$TEST_USER" -p "$TEST_PASSWORD" \
	--source "10.77.0.100+$SOURCES" --ramp $N --trickle 1000 --duration 5 \
	-o "$IT_WORK/ocload.json" > "$IT_WORK/ocload.out" 2> "$IT_WORK/ocload.err"
rc=$?
cat "$IT_WORK/ocload.out"
verdict "ocload ran (exit 0: no client failed)" "$rc" "$(tail -n 3 "$IT_WORK/ocload.err" | tr '\n' ' ')"
up=$(sed -n 's/^up: \([0-9]*\) of.*/\1/p' "$IT_WORK/ocload.out")
expect_eq "clients up" "$up" "$N"
python3 - "$IT_WORK/ocload.json" > "$IT_WORK/check.out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("rows", len(rows))
print("distinct_ips", len({r["vpn_ip"] for r in rows if r["vpn_ip"]}))
PY
cat "$IT_WORK/check.out"
expect_eq "one JSON line per client" "$(awk '/^rows/ {print $2}' "$IT_WORK/check.out")" "$N"
expect_eq "distinct tunnel addresses" "$(awk '/^distinct_ips/ {print $2}' "$IT_WORK/check.out")" "$N"
expect_eq "logins authenticated by sec-mod" "$(server_count ') authenticated from ')" "$N"
expect_eq "logins refused as busy" "$(server_count 'server busy')" 0
expect_eq "failed logins" "$(server_count 'failed: ')" 0

alive "$SERVER_PID"
verdict "server still running" $?
