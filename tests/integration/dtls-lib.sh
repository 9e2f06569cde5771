# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# dtls-lib.sh: helpers of the test-dtls-*.sh scenarios (the DTLS channel,
# doc/spec/interop.md §6, doc/spec/liveness.md §3 and §7), on top of lib.sh. The server
# listens for DTLS on UDP $PORT (the same number as its TCP port, so
# lib.sh's cut_on NAME udp blocks exactly the DTLS path), and the client runs
# with DTLS (lib.sh's start_client always passes --no-dtls).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# dtls_config [NAME=VALUE ...] [-- "key = value" ...]: write_config with the
# NAME=VALUE substitutions, then the extra configuration lines after "--",
# and udp-port = $PORT.
dtls_config() {
	local subst=() extra=() l
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		subst+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	extra=("$@")
	write_config "${subst[@]}"
	{
		echo
		echo "# DTLS (tests/integration/dtls-lib.sh)"
		echo "udp-port = $PORT"
		for l in "${extra[@]}"; do
			echo "$l"
		done
	} >> "$CONFIG" || hard_error "writing $CONFIG"
}

# start_dtls_client NAME [OPENCONNECT-ARGS...]: lib.sh's start_client with
# DTLS (the name bench/lib/common.sh uses).
start_dtls_client() { start_client "$1" --dtls "${@:2}"; }

# connect_dtls_client NAME [ARGS...]: start with DTLS and wait until the tun
# is configured and the client logged its DTLS handshake (30 s bound: the
# first connection waits for DTLS before configuring the tun).
connect_dtls_client() {
	local name=$1
	shift
	start_dtls_client "$name" "$@"
	wait_connected "$name" 30
	wait_log "${CLI_LOG[$name]}" 'Established DTLS connection' 1 15 ||
		fatal "client $name: no 'Established DTLS connection' within 15 s"
}

# dtls_established NAME: how many DTLS handshakes NAME's client completed.
dtls_established() {
	client_count "$1" 'Established DTLS connection'
}

# wait_dtls_again NAME: wait for the second DTLS handshake of NAME's client
# after its UDP path came back. openconnect 9.01 starts a handshake when its
# DTLS DPD declares the peer dead and retransmits it for about 12 s; if the
# path came back after its last retransmission, its next attempt starts 60 s
# (its DTLS attempt period) after that one. The bound covers both: 75 s
# after the client's dead-peer line, and at least 20 s from now, so how long
# the test took to restore the path does not decide the verdict.
wait_dtls_again() {
	local name=$1 dead t=20000
	dead=$(grep -F 'DTLS Dead Peer Detection detected dead peer' "${CLI_LOG[$name]}" | tail -n 1)
	if dead=$(line_ms "$dead"); then
		[ $((dead + 75000 - $(now_ms))) -gt "$t" ] && t=$((dead + 75000 - $(now_ms)))
	fi
	wait_log "${CLI_LOG[$name]}" 'Established DTLS connection' 2 "$(fmt_ms "$t")"
}

# check_mtu_probe NAME WANT: the client's MTU probe after each handshake
# kept the advertised MTU WANT: "No change in MTU after detection (was
# WANT)" at least once, and never "Detected MTU of ..." (which is what a
# broken echo produces: 576).
check_mtu_probe() {
	local name=$1 want=$2 detected nochange
	nochange=$(client_count "$name" "No change in MTU after detection (was $want)")
	detected=$(grep -F 'Detected MTU of' "${CLI_LOG[$name]}" | head -n 3 | tr '\n' ' ')
	verdict "client $name's MTU probe keeps the advertised MTU $want" \
		"$([ "$nochange" -ge 1 ] && [ -z "$detected" ]; echo $?)" \
		"'No change in MTU after detection (was $want)' x$nochange${detected:+; $detected}"
}

# bulk_ping NAME COUNT SIZE: a fast series of large pings through NAME's
# tunnel; sets BULK_TX, BULK_RX.
bulk_ping() {
	local name=$1 count=$2 size=$3
	in_client "$name" timeout $((count / 20 + 20)) ping -n -q -c "$count" -i 0.01 -s "$size" \
		-W 2 "$SERVER_VPN_IP" > "$IT_WORK/$name-bulk.log" 2>&1
	read -r BULK_TX BULK_RX <<< "$(ping_summary "$IT_WORK/$name-bulk.log")"
}

# server_tun_of NAME: the name of the server's tun device of NAME's client.
server_tun_of() {
	local dev
	dev=$(server_dev_of "${CLI_VPNIP[$1]}")
	echo "${dev%/*}"
}

# udp_blackhole_on NAME / udp_blackhole_off NAME: drop the DTLS datagrams
# between NAME and the server, both ways, on the wire (netdev ingress and
# egress of NAME's eth0). Unlike lib.sh's cut_on NAME udp (a drop in the
# OUTPUT hook, which the client's send sees as EPERM: openconnect then
# fails its handshake at once and retries only 60 s later), the client's
# datagrams leave and vanish, as with a firewall on the path (doc/spec/interop.md
# §9.7: drop, never reject).
udp_blackhole_on() { wire_blackhole_on "$1" udp; }
udp_blackhole_off() { wire_blackhole_off "$1" udp; }

# wire_blackhole_on NAME PROTO / wire_blackhole_off NAME PROTO: the same for
# PROTO (udp: DTLS, tcp: TLS) to and from the server's $PORT.
wire_blackhole_on() {
	in_client "$1" nft -f - <<-EOF || hard_error "nft in ${CLI_NS[$1]}"
		table netdev ocsm_$2 {
			chain in { type filter hook ingress device eth0 priority 0; policy accept; ip saddr $SERVER_IP $2 sport $PORT drop; }
			chain out { type filter hook egress device eth0 priority 0; policy accept; ip daddr $SERVER_IP $2 dport $PORT drop; }
		}
	EOF
}

wire_blackhole_off() {
	in_client "$1" nft delete table netdev "ocsm_$2" || hard_error "nft in ${CLI_NS[$1]}"
}

# check_dtls_dpd_inactive IP CUT_MS D: after an idle client's UDP path
# (client address IP) was black-holed at CUT_MS, wait (3D + 5 s) for the
# server's "DTLS inactive" line of that client and check it: its own DTLS
# DPD found the silence, within 3D + 1 s of the cut, L + 3D after the last
# DTLS record. Sets INACTIVE_LINE; a missing line is fatal.
check_dtls_dpd_inactive() {
	local ip=$1 cut=$2 d=$3 t ago='' reason
	wait_log -E "$SERVER_LOG" "DTLS inactive: reason=[a-z-]+ client=${ip//./\\.}:" 1 $((3 * d + 5)) ||
		fatal "server: DTLS not declared inactive within $((3 * d + 5)) s of the cut"
	INACTIVE_LINE=$WAIT_LINE
	t=$(line_ms "$INACTIVE_LINE")
	[[ $INACTIVE_LINE =~ last\ DTLS\ rx\ ([0-9]+)\ ms\ ago ]] && ago=${BASH_REMATCH[1]}
	reason=$(sed -nE 's/.*DTLS inactive: reason=([a-z-]+).*/\1/p' <<< "$INACTIVE_LINE")
	it_log "server: DTLS inactive ($reason) $(fmt_ms $((t - cut))) s after the cut, last DTLS rx ${ago:-?} ms before"
	expect_eq "the server's own DTLS DPD found the silence (the client sent no data)" "$reason" dpd-timeout
	expect_range "DTLS inactive after the cut" $((t - cut)) 0 $((3 * d * 1000 + 1000)) "3D + 1 s"
	expect_range "DTLS inactive after the last DTLS record (L + 3D)" "$ago" \
		$((3 * d * 1000 - 50)) $((3 * d * 1000 + 1000))
}

# dtls_option NAME HEADER: an X-DTLS-* header of the CONNECT reply as NAME's
# client logged it (-v prints each reply header; CISCO_CSTP_OPTIONS has only
# the X-CSTP-* ones); the first one, empty if absent.
dtls_option() {
	sed -n "s/.*\] $2: //p" "${CLI_LOG[$1]}" | head -n 1
}
