#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Figure 1, dead-peer detection, with dpd = D = 5 and keepalive = 30.
#
# Each repetition uses two fresh CSTP clients: one is frozen (SIGSTOP), the
# other silently cut (nftables drop on input in both namespaces). The
# repetitions run side by side, each client in its own namespace, each event
# at its own random moment 2 s to 2 s + 2D after the clients are up (ocserv
# checks every 30-40 s from the tunnel's start, so the phase matters for it;
# a random phase samples it fairly).
#
# Measured: the client's last packet (its last "Send CSTP DPD/Keepalive" in
# its -v log, stamped when the harness read the line, or the end of its
# first ping, whichever is later) to the server's log line ending the tunnel
# for DPD. Ours also reports its own last rx on that line: that figure is
# recorded too (dpd.*.server_l). Target (ours): 3D + 50 ms.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/common.sh"

D=5
if quick; then REPS=1; else REPS=5; fi
NCLI=$((2 * REPS))

it_setup "$NCLI"
write_config DPD=$D KEEPALIVE=30
conf_set max-clients $((NCLI + 4))
start_server
meta version "$(server_version)"

declare -A T_PING T_EV KIND
for i in $(seq 1 "$NCLI"); do
	c=c$i
	connect_client "$c"
	client_ping "$c" 1 || it_log "client $c: first ping failed"
	T_PING[$c]=$(now_ms)
	if [ $((i % 2)) = 1 ]; then KIND[$c]="sigstop"; else KIND[$c]="cut"; fi
done

# The schedule: one random moment per client.
t_base=$(now_ms)
order=$(for i in $(seq 1 "$NCLI"); do
	echo "$((t_base + $(rand_ms 2000 $((2000 + 2 * D * 1000))))) c$i"
done | sort -n)
while read -r t c; do
	sleep_until "$t"
	T_EV[$c]=$(now_ms)
	case ${KIND[$c]} in
	sigstop) kill -STOP "${CLI_PID[$c]}" ;;
	cut) cut_both "$c" ;;
	esac
	it_log "client $c: ${KIND[$c]}"
done <<< "$order"
t_last_ev=$(now_ms)

# Wait for every tunnel end: 3D plus ocserv's check period (up to 40 s)
# plus its 10 s timer, and a margin; ours ends at 3D.
deadline=$((t_last_ev + 3 * D * 1000 + 55000))
while :; do
	left=0
	for i in $(seq 1 "$NCLI"); do
		tunnel_end_of "c$i" || left=$((left + 1))
	done
	[ "$left" = 0 ] && break
	[ "$(now_ms)" -lt "$deadline" ] || break
	sleep 0.2
done

rep_stop=0 rep_cut=0
for i in $(seq 1 "$NCLI"); do
	c=c$i
	kind=${KIND[$c]}
	if [ "$kind" = sigstop ]; then rep_stop=$((rep_stop + 1)); rep=$rep_stop; else rep_cut=$((rep_cut + 1)); rep=$rep_cut; fi
	if ! tunnel_end_of "$c"; then
		na "dpd.$kind" "rep $rep: no DPD tunnel end within $(( (deadline - T_EV[$c]) / 1000 )) s of the $kind"
		continue
	fi
	t_last=$(client_last_tx_ms "$c" "${T_EV[$c]}" "${T_PING[$c]}")
	result "dpd.$kind" "$(calc "($TE_MS - $t_last) / 1000")" s "$rep" \
		"end $(fmt_ms $((TE_MS - T_EV[$c]))) s after the $kind"
	if [ -n "$TE_LAST_RX_MS" ]; then
		result "dpd.$kind.server_l" "$(calc "($TE_MS - $TE_LAST_RX_MS) / 1000")" s "$rep" \
			"L as the worker saw it; it differs from the client's view by $((TE_LAST_RX_MS - t_last)) ms"
	fi
done
