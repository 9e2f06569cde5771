#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# sec-mod's key operations never wait behind password checks: four logins
# against a very costly hash (SHA-512 crypt, 1000000 rounds) keep sec-mod's
# pool of threads busy, and meanwhile a new TLS handshake, whose signature
# only sec-mod can make, completes. In order only: the handshake completes
# while the costly checks still run (no login answered yet, their clients
# still waiting); the costly logins then all succeed. Nothing here asserts
# a duration.
. "$(dirname "$0")/lib.sh"
. "$IT_DIR/sec-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's sec-mod only"
need_cmd openssl python3

SLOW=4
it_setup 2
HASH=$(python3 -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], "$6$rounds=1000000$" + sys.argv[2] + "$"))' \
	"$TEST_PASSWORD" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')") || hard_error "hashing the password"
printf '%s:users:%s\n' "$TEST_USER" "$HASH" > "$IT_WORK/passwd"
write_config
# the costly checks may take long on a busy machine: no auth-timeout in the way
sed -i 's/^auth-timeout = .*/auth-timeout = 240/' "$CONFIG"
start_server
SM=$(secmod_pid)

pids=()
for i in $(seq 1 $SLOW); do
	printf '%s\n' "$TEST_PASSWORD" | timeout 300 ip netns exec "${CLI_NS[c1]}" \
		openconnect --non-inter --passwd-on-stdin -u "$TEST_USER" --authenticate \
		--servercert "$PIN" "$URL" > "$IT_WORK/slow-$i.out" 2> "$IT_WORK/slow-$i.log" &
	pids+=($!)
	track "$!"
done
# sec-mod's threads at work on the hashes (running, not sleeping)
busy() { ps -L -o stat= -p "$SM" | grep -c '^R'; }
deadline=$(deadline_after 30)
until [ "$(busy)" -ge 1 ] || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.05; done
[ "$(busy)" -ge 1 ]
verdict "sec-mod's threads are hashing" $? "$(ps -L -o tid=,stat=,comm= -p "$SM" | tr '\n' ' ')"

# a new TLS handshake now: sec-mod signs it on its loop
in_client c2 timeout 30 openssl s_client -connect "$SERVER_IP:$PORT" -servername "$SERVER_IP" \
	< /dev/null > "$IT_WORK/handshake.out" 2>&1
grep -q '^New, TLS' "$IT_WORK/handshake.out" || grep -q 'Cipher is' "$IT_WORK/handshake.out"
verdict "a TLS handshake completes while the passwords are being hashed" $? \
	"$(grep -m2 -E 'Cipher|error' "$IT_WORK/handshake.out" | tr '\n' ' ')"
expect_eq "... before any of the costly logins was answered" \
	"$(server_count ') authenticated from ')" 0
n_alive=0
for p in "${pids[@]}"; do alive "$p" && n_alive=$((n_alive + 1)); done
expect_eq "... their clients still waiting" "$n_alive" "$SLOW"

ok=0
for p in "${pids[@]}"; do
	wait "$p" || ok=1
done
verdict "the costly logins then all succeed" $ok
expect_eq "sec-mod authenticated them" "$(server_count ') authenticated from ')" "$SLOW"

alive "$SERVER_PID"
verdict "server still running" $?
