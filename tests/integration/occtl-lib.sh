# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# occtl-lib.sh: helpers of the test-occtl-*.sh scenarios, on top of
# lib.sh. occtl-modern talks to ocserv-modern's control socket only, so these
# tests skip with OCSM_SERVER=ocserv.
#
# Every occtl-modern run is logged, command, exit status and output, into
# $IT_WORK/occtl.log (dumped with the other logs when a test fails).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OCCTL_BIN=${OCCTL_BIN:-$top_builddir/src/occtl/occtl-modern}

occtl_preconditions() {
	[ "$OCSM_SERVER" = modern ] || skip "occtl-modern drives ocserv-modern only"
	[ -x "$OCCTL_BIN" ] || hard_error "$OCCTL_BIN not built (run make first)"
	command -v python3 > /dev/null 2>&1 || skip "python3 not found (the strict JSON check)"
}

# occtl ARGS...: occtl-modern on the test server's socket. Sets OCCTL_OUT,
# OCCTL_ERR (files) and OCCTL_RC; returns its exit status.
OCCTL_N=0
occtl() {
	OCCTL_N=$((OCCTL_N + 1))
	OCCTL_OUT=$IT_WORK/occtl-$OCCTL_N.out
	OCCTL_ERR=$IT_WORK/occtl-$OCCTL_N.err
	timeout 20 "$OCCTL_BIN" -s "$IT_WORK/occtl.sock" "$@" > "$OCCTL_OUT" 2> "$OCCTL_ERR" < /dev/null
	OCCTL_RC=$?
	{
		echo "\$ occtl-modern $* (exit $OCCTL_RC)"
		cat "$OCCTL_OUT"
		sed 's/^/stderr: /' "$OCCTL_ERR"
	} >> "$IT_WORK/occtl.log"
	return $OCCTL_RC
}

# strict_json FILE [lines]: FILE is one JSON document as RFC 8259 says:
# valid UTF-8, no NaN/Infinity, no duplicate keys, nothing after it (Python's
# parser with those checks added); with "lines", every line of FILE is one
# such document and FILE ends with a newline (JSON lines). Sets JSON_ERR on
# failure.
strict_json() {
	JSON_ERR=$(python3 - "$1" "${2:-}" 2>&1 <<-'PY'
		import json, sys
		def pairs(p):
		    keys = [k for k, _ in p]
		    if len(keys) != len(set(keys)):
		        raise ValueError("duplicate key in %r" % keys)
		    return dict(p)
		def const(c):
		    raise ValueError("non-standard constant " + c)
		text = open(sys.argv[1], "rb").read().decode("utf-8", "strict")
		if sys.argv[2] != "lines":
		    json.loads(text, object_pairs_hook=pairs, parse_constant=const)
		    sys.exit(0)
		if not text.endswith("\n"):
		    sys.exit("no newline at the end")
		for n, line in enumerate(text.split("\n")[:-1], 1):
		    try:
		        json.loads(line, object_pairs_hook=pairs, parse_constant=const)
		    except ValueError as e:
		        sys.exit("line %d: %s: %r" % (n, e, line[:200]))
	PY
	)
}

# occtl_json ARGS...: occtl-modern -j ARGS must exit 0 and print strict JSON
# (two verdicts). Returns 1 if either failed.
occtl_json() {
	local rc
	occtl -j "$@"
	rc=$?
	if [ $rc != 0 ]; then
		verdict "occtl -j $* exits 0" 1 "exit $rc: $(head -c 300 "$OCCTL_ERR")"
		return 1
	fi
	strict_json "$OCCTL_OUT"
	rc=$?
	verdict "occtl -j $*: strict JSON" $rc "${JSON_ERR:-$(wc -c < "$OCCTL_OUT") bytes}"
	return $rc
}

# jget EXPR: evaluate the Python expression EXPR over d, the last JSON
# document occtl printed; strings print as they are, anything else as JSON
# (null, true, 42). Prints "<error: ...>" if EXPR fails (a missing key).
jget() {
	python3 - "$OCCTL_OUT" "$1" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1], encoding="utf-8"))
		try:
		    v = eval(sys.argv[2], {"d": d})
		except Exception as e:
		    v = "<error: %s: %s>" % (type(e).__name__, e)
		print(v if isinstance(v, str) else json.dumps(v))
	PY
}

# json_diff A B [KEY...]: the differences between the JSON documents in
# files A and B, one "path: old -> new" line each, leaving out the keys that
# match a KEY (a shell-style pattern: '_*') at any depth; no output when
# they agree.
json_diff() {
	python3 - "$@" <<-'PY'
		import fnmatch, json, sys
		def skip(k):
		    return any(fnmatch.fnmatchcase(k, p) for p in sys.argv[3:])
		def load(f):
		    def strip(v):
		        if isinstance(v, dict):
		            return {k: strip(x) for k, x in v.items() if not skip(k)}
		        if isinstance(v, list):
		            return [strip(x) for x in v]
		        return v
		    return strip(json.load(open(f, encoding="utf-8")))
		def diff(path, x, y):
		    if isinstance(x, dict) and isinstance(y, dict):
		        for k in sorted(set(x) | set(y)):
		            diff(path + "." + k, x.get(k, "<missing>"), y.get(k, "<missing>"))
		    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
		        for i, (u, v) in enumerate(zip(x, y)):
		            diff("%s[%d]" % (path, i), u, v)
		    elif x != y:
		        print("%s: %s -> %s" % (path or ".", json.dumps(x), json.dumps(y)))
		diff("", load(sys.argv[1]), load(sys.argv[2]))
	PY
}

# expect_int_range LABEL VALUE MIN MAX: an integer within bounds (inclusive).
expect_int_range() {
	local ok=1
	[[ $2 =~ ^-?[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] && ok=0
	verdict "$1" $ok "got '$2', want $3..$4"
}

# wait_session_state SID STATE TIMEOUT_S: poll occtl -j show session until
# its State is STATE (occtl answers in milliseconds; 200 ms between polls).
wait_session_state() {
	local deadline st=
	deadline=$(deadline_after "$3")
	while :; do
		if occtl -j show session "$1" && strict_json "$OCCTL_OUT"; then
			st=$(jget 'd[0]["State"]')
			[ "$st" = "$2" ] && return 0
		fi
		[ "$(now_ms)" -lt "$deadline" ] || { it_log "session $1 state '$st', not '$2'"; return 1; }
		sleep 0.2
	done
}
