#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# occtl-modern show events follows one session of the real openconnect
# client (with DTLS, dpd = D = 3, cookie-timeout = 60) as it happens, with -j
# (JSON lines) and as text, both running in the background from the start:
#
#   login          the client authenticates
#   tunnel-up      its CONNECT is answered
#   dtls-up        its DTLS channel is established
#   dtls-inactive  UDP alone is cut: DTLS silent for 3D, data over TLS
#   tunnel-down    everything is cut: DPD ends the tunnel (dpd-timeout)
#   waiting        the session waits, with its deadline (drop + 60 s)
#   resume         the cut is lifted: the client comes back with its cookie
#   tunnel-up      ... on a new tunnel
#   tunnel-down    SIGINT: the client logs out (user-disconnect)
#   session-end    ... and the session ends (user-disconnect)
#
# Every line of the -j stream is strict JSON, the events come in this order
# (others, such as the new tunnel's dtls-up, may come between), all of the
# same session. Also: show iroutes (occtl's table head, JSON []), and reset.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/dtls-lib.sh"

D=3
C=60
occtl_preconditions
it_setup 1
dtls_config DPD=$D KEEPALIVE=30 COOKIE_TIMEOUT=$C
start_server

# --- show iroutes, reset -------------------------------------------------------
occtl show iroutes
verdict "show iroutes exits 0" $? "$(head -c 200 "$OCCTL_ERR")"
expect_eq "show iroutes: occtl's table head, no rows" "$(cat "$OCCTL_OUT")" \
	"    id     user    vhost device           vpn-ip                       iroute"
occtl_json show iroutes
expect_eq "show iroutes -j: an empty array" "$(jget 'd')" "[]"
occtl reset
verdict "reset exits 0" $? "$(head -c 200 "$OCCTL_ERR")"
expect_eq "reset prints nothing when stdout is no terminal" "$(wc -c < "$OCCTL_OUT")" 0

# --- the streams ------------------------------------------------------------------
EVJ=$IT_WORK/events.jsonl
EVT=$IT_WORK/events.txt
"$OCCTL_BIN" -s "$IT_WORK/occtl.sock" -j show events > "$EVJ" 2> "$EVJ.err" < /dev/null &
EVJ_PID=$!
track "$EVJ_PID"
"$OCCTL_BIN" -s "$IT_WORK/occtl.sock" show events > "$EVT" 2> "$EVT.err" < /dev/null &
EVT_PID=$!
track "$EVT_PID"
wait_log "$SERVER_LOG" 'subscribed' 2 5 || fatal "the two show events did not subscribe"

# wait_event NAME [REASON] TIMEOUT_S: the -j stream has a NAME event (with REASON).
wait_event() {
	local pat="\"Event\":\"$1\""
	[ -n "$2" ] && pat="$pat.*\"Reason\":\"$2\""
	wait_log -E "$EVJ" "$pat" 1 "$3"
}

connect_dtls_client c1
wait_event dtls-up "" 5
verdict "event dtls-up after the handshake" $?
client_ping c1 3 > /dev/null 2>&1

cut_on c1 udp
wait_event dtls-inactive "" $((3 * D + 4))
verdict "event dtls-inactive within 3D + 4 s of a UDP cut" $?
cut_off c1
cut_on c1 all
wait_event tunnel-down dpd-timeout $((3 * D + 4))
verdict "event tunnel-down (dpd-timeout) within 3D + 4 s of a full cut" $?
wait_event waiting dpd-timeout 3
verdict "event waiting (dpd-timeout)" $?
sleep 2
cut_off c1
wait_event resume "" 40
verdict "event resume after the cut is lifted" $?
wait_log "${CLI_LOG[c1]}" 'CSTP connected.' 2 10 || fatal "the client did not reconnect"
wait_log -E "$EVJ" '"Event":"tunnel-up"' 2 5
verdict "event tunnel-up of the new tunnel" $?

kill -INT "${CLI_PID[c1]}"
wait_exit "${CLI_PID[c1]}" 10 || fatal "client still running 10 s after SIGINT"
wait_event session-end user-disconnect 5
verdict "event session-end (user-disconnect) after the logout" $?
sleep 0.5
alive "$EVJ_PID"
verdict "show events -j still running" $?
kill -TERM "$EVJ_PID" "$EVT_PID" 2> /dev/null
wait_exit "$EVJ_PID" 5
wait_exit "$EVT_PID" 5

# --- the -j stream: strict JSON lines, in order -------------------------------------
strict_json "$EVJ" lines
verdict "show events -j: every line is strict JSON" $? "${JSON_ERR:-$(wc -l < "$EVJ") lines}"
res=$(python3 - "$EVJ" "$C" <<-'PY'
	import json, sys
	events = []
	for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
	    d = json.loads(line)
	    if not isinstance(d, dict) or "Event" not in d or not isinstance(d.get("raw_time_ms"), int):
	        sys.exit("line %d: not an event object: %r" % (n, line[:200]))
	    events.append(d)
	want = [("login", None), ("tunnel-up", None), ("dtls-up", None), ("dtls-inactive", None),
	        ("tunnel-down", "dpd-timeout"), ("waiting", "dpd-timeout"), ("resume", None),
	        ("tunnel-up", None), ("tunnel-down", "user-disconnect"),
	        ("session-end", "user-disconnect")]
	i = 0
	for d in events:
	    if i < len(want) and d["Event"] == want[i][0] and (want[i][1] is None or d.get("Reason") == want[i][1]):
	        w = want[i]; i += 1
	        if w[0] == "waiting":
	            left = d["raw_deadline"] * 1000 - d["raw_time_ms"]
	            if not (int(sys.argv[2]) - 4) * 1000 <= left <= int(sys.argv[2]) * 1000:
	                sys.exit("waiting: deadline %d ms after the event, want about %s s" % (left, sys.argv[2]))
	        if w[0] == "resume" and d.get("Resumes") != 1:
	            sys.exit("resume: Resumes %r, want 1" % d.get("Resumes"))
	if i < len(want):
	    sys.exit("missing in order: %s (after %s); got %s" % (want[i], want[i - 1] if i else "-",
	             " ".join(d["Event"] for d in events)))
	sids = set(d.get("Full session") for d in events)
	if len(sids) != 1 or None in sids:
	    sys.exit("events of more than one session: %r" % sids)
	times = [d["raw_time_ms"] for d in events]
	if times != sorted(times):
	    sys.exit("times go backwards")
	print("%d events in order: %s" % (len(events), " ".join(d["Event"] for d in events)))
PY
)
rc=$?
verdict "show events -j: every event in order, one session" $rc "$res"

# --- the text stream ---------------------------------------------------------------
for ev in login tunnel-up dtls-up dtls-inactive tunnel-down waiting resume session-end; do
	grep -qE "^[0-9-]{10} [0-9:]{8}\.[0-9]{3} $ev +user=$TEST_USER " "$EVT"
	verdict "show events (text): a $ev line" $?
done
grep -qE " waiting .*reason=dpd-timeout deadline=[0-9-]{10} [0-9:]{8} \(in [0-9hms ]+\)" "$EVT"
verdict "show events (text): waiting with its reason and deadline" $? "$(grep ' waiting ' "$EVT")"
grep -qE " session-end .*reason=user-disconnect" "$EVT"
verdict "show events (text): session-end with its reason" $?
