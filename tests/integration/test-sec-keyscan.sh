#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The private key lives in sec-mod only (doc/security.md): a scan of the
# memory of the gateway's processes (keyscan.py: the key's PEM text and
# 16-byte windows of its secret numbers, both byte orders) first finds the
# key in sec-mod, proving the scanner sees a key that is there, then finds
# nothing in main, nor in the worker zygote (worker-zygote), nor in workers
# serving: a tunnel that is up (openconnect),
# a TLS 1.3 and a TLS 1.2 handshake stopped after the server's signature,
# and a completed handshake followed by silence. Once with a P-256 key, once
# with an RSA-2048 key (OCSM_KEYSCAN_TYPES="ec rsa").

# The scans are CPU-bound: about 45 s on an idle 2-core machine, more than
# lib.sh's default 150 s bound with both cores loaded. The bound only has
# to catch a hang, so it is 600 s here.
: "${OCSM_TEST_TIMEOUT:=600}"
export OCSM_TEST_TIMEOUT
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/sec-lib.sh
. "$IT_DIR/sec-lib.sh"

need_cmd python3 ps
it_setup 1
KEY=$IT_WORK/server-key.pem

# expect_scan LABEL WANT_RC PID...: keyscan.py's verdict on the PIDs.
expect_scan() {
	local label=$1 want=$2 out rc
	shift 2
	out=$(python3 "$IT_DIR/keyscan.py" --key "$KEY" "$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	expect_eq "$label" "$rc" "$want"
}

for kind in ${OCSM_KEYSCAN_TYPES:-ec rsa}; do
	OCSM_KEY_TYPE=$kind "$DATA_DIR/gen-credentials.sh" "$IT_WORK" "$SERVER_IP" \
		"$TEST_USER" "$TEST_PASSWORD" || hard_error "gen-credentials.sh ($kind)"
	PIN=$(cat "$IT_WORK/pin")
	CLI_COOKIE[c1]=
	start_server
	sm=$(secmod_pid)
	[ -n "$sm" ] || fatal "no sec-mod process under $SERVER_PID"
	expect_scan "$kind key: the scanner finds the key in sec-mod (pid $sm)" 1 "$sm"
	expect_scan "$kind key: main holds no trace of the key" 0 "$SERVER_PID"
	zygote=$(zygote_pid) || fatal "no worker zygote under main $SERVER_PID"
	expect_scan "$kind key: no trace in the worker zygote (pid $zygote)" 0 "$zygote"

	connect_client c1
	tunnel=$(worker_of_client c1) || fatal "no worker for c1's tunnel"
	expect_scan "$kind key: no trace in the worker of an up tunnel" 0 "$tunnel"
	hold_conn c1 mid-handshake
	expect_scan "$kind key: no trace in a worker stopped in its TLS 1.3 handshake" 0 "$HOLD_WORKER"
	hold_conn c1 mid-handshake --tls12
	expect_scan "$kind key: no trace in a worker stopped in its TLS 1.2 handshake" 0 "$HOLD_WORKER"
	hold_conn c1 after-handshake
	expect_scan "$kind key: no trace in a worker after a silent handshake" 0 "$HOLD_WORKER"

	kill -TERM "${CLI_PID[c1]}" 2> /dev/null
	wait_exit "${CLI_PID[c1]}" 10 || fatal "openconnect still running"
	stop_server
	mv "$SERVER_LOG" "$IT_WORK/server-$kind.log"
done
