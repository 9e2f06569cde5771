# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
#
# radius-lib.sh: a real FreeRADIUS 3 server for the RADIUS tests, on top of
# lib.sh. Each test runs its own `freeradius -X -d DIR` in the server
# namespace the test created (so 127.0.0.1:1812/1813 are the test's own),
# with a raddb directory copied from /etc/freeradius/3.0 into the work
# directory and cut down to one virtual server of ours:
#
#   authorize   a user "otp" answered with an Access-Challenge (password "pw",
#               then the code "123456" with the State echoed), then the users
#               file the test wrote (radius_user), then pap
#   accounting  the detail module: every accounting request, one block per
#               request, in $RADIUS_DETAIL_DIR/127.0.0.1/detail-YYYYMMDD
#
# The Debian system instance is never used or started. The gateway's radcli
# configuration ($RADIUS_CONF) points at 127.0.0.1 with the secret
# $RADIUS_SECRET in its servers file, a 1 s timeout and one retry; both
# files, and the dictionary, are readable by root only.

declare -F it_setup > /dev/null || . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RADIUS_SECRET=ocsm-test-secret
RADIUS_SRC=/etc/freeradius/3.0

# radius_preconditions: skip without freeradius and its configuration.
radius_preconditions() {
	it_preconditions
	need_cmd freeradius
	[ -r "$RADIUS_SRC/radiusd.conf" ] || skip "no $RADIUS_SRC/radiusd.conf (Debian: apt-get install freeradius)"
	[ -r /etc/radcli/dictionary ] || skip "no /etc/radcli/dictionary (Debian: apt-get install libradcli4)"
}

# radius_setup: the raddb copy, our virtual server, an empty users file and
# the gateway's radcli files. Call after it_setup.
radius_setup() {
	RADDB=$IT_WORK/raddb
	RADIUS_LOG=$IT_WORK/freeradius.log
	RADIUS_DETAIL_DIR=$IT_WORK/radacct
	RADIUS_USERS=$RADDB/mods-config/files/authorize
	cp -a "$RADIUS_SRC" "$RADDB" || hard_error "copying $RADIUS_SRC"
	mkdir -p "$IT_WORK/radlog" "$IT_WORK/radrun" "$RADIUS_DETAIL_DIR" || hard_error "mkdir"
	# no EAP (it needs certificates), no stock sites: ours only; run as
	# root in the test's namespace, logs and pid in the work directory
	rm -f "$RADDB/mods-enabled/eap" "$RADDB"/sites-enabled/*
	sed -i -e "s|^logdir = .*|logdir = $IT_WORK/radlog|" \
		-e "s|^run_dir = .*|run_dir = $IT_WORK/radrun|" \
		-e "s|^radacctdir = .*|radacctdir = $RADIUS_DETAIL_DIR|" \
		-e 's/^\s*\(user\|group\) = freerad/#&/' "$RADDB/radiusd.conf" ||
		hard_error "editing radiusd.conf"
	cat > "$RADDB/clients.conf" <<- EOF
	client gateway {
		ipaddr = 127.0.0.1
		secret = $RADIUS_SECRET
	}
	EOF
	cat > "$RADDB/sites-enabled/ocsm" <<- 'EOF'
	server ocsm {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = 1812
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = 1813
	}
	authorize {
		if (&User-Name == "otp") {
			if (!&State) {
				if (&User-Password == "pw") {
					update reply {
						&Reply-Message := "Enter the code from your token"
						&State := "round-2"
					}
					update control {
						&Response-Packet-Type := Access-Challenge
					}
					handled
				}
				reject
			}
			if (&State == "round-2" && &User-Password == "123456") {
				update control {
					&Auth-Type := Accept
				}
				ok
				return
			}
			reject
		}
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	preacct {
	}
	accounting {
		detail
		ok
	}
	post-auth {
	}
	}
	EOF
	: > "$RADIUS_USERS"
	RADIUS_CONF=$IT_WORK/radiusclient.conf
	printf '127.0.0.1 %s\n' "$RADIUS_SECRET" > "$IT_WORK/radius-servers"
	# radcli's dictionary with Microsoft's (the DNS server attributes)
	# shellcheck disable=SC2016 # $INCLUDE is radcli's keyword, not a variable
	printf '$INCLUDE /etc/radcli/dictionary\n$INCLUDE /etc/radcli/dictionary.microsoft\n' \
		> "$IT_WORK/radius-dictionary"
	cat > "$RADIUS_CONF" <<- EOF
	authserver 127.0.0.1:1812
	acctserver 127.0.0.1:1813
	servers $IT_WORK/radius-servers
	dictionary $IT_WORK/radius-dictionary
	radius_timeout 1
	radius_retries 1
	bindaddr *
	EOF
	# root's alone: sec-mod reads them before it gives up root
	chmod 600 "$RADIUS_CONF" "$IT_WORK/radius-servers" "$IT_WORK/radius-dictionary" ||
		hard_error "chmod"
}

# radius_user NAME PASSWORD [REPLY-ATTRIBUTE...]: a users file entry, e.g.
#   radius_user test test 'Session-Timeout = 20' 'Class = "OU=admins"'
radius_user() {
	local name=$1 pw=$2 i
	shift 2
	printf '%s Cleartext-Password := "%s"\n' "$name" "$pw" >> "$RADIUS_USERS"
	for ((i = 1; i <= $#; i++)); do
		printf '\t%s%s\n' "${!i}" "$([ "$i" -lt $# ] && echo ,)" >> "$RADIUS_USERS"
	done
	printf '\n' >> "$RADIUS_USERS"
}

# radius_start: start FreeRADIUS in the server namespace; wait (10 s) until
# it answers on 1812 and 1813.
radius_start() {
	local deadline
	spawn_logged "$RADIUS_LOG" /dev/null ip netns exec "$NS_S" freeradius -X -d "$RADDB"
	RADIUS_PID=$SPAWN_PID
	deadline=$(( $(now_ms) + 10000 ))
	until grep -q "Ready to process requests" "$RADIUS_LOG" 2> /dev/null; do
		alive "$RADIUS_PID" || fatal "freeradius exited during startup (see freeradius.log)"
		[ "$(now_ms)" -lt "$deadline" ] || fatal "freeradius not ready after 10 s"
		sleep 0.05
	done
	it_log "freeradius pid $RADIUS_PID ready"
}

# radius_stop: stop it (by its PID) and wait for the end.
radius_stop() {
	kill -TERM "$RADIUS_PID" 2> /dev/null
	wait "$RADIUS_PID" 2> /dev/null
	it_log "freeradius pid $RADIUS_PID stopped"
}

# radius_detail: every accounting request FreeRADIUS logged so far.
radius_detail() {
	cat "$RADIUS_DETAIL_DIR"/127.0.0.1/detail-* 2> /dev/null
}

# radius_acct_count TYPE [SESSION-ID|USER]: how many accounting requests
# of Acct-Status-Type TYPE (Start, Interim-Update, Stop) were logged (for
# one Acct-Session-Id or User-Name).
radius_acct_count() {
	radius_detail | awk -v t="$1" -v who="${2:-}" '
		/^[A-Z][a-z][a-z] / { if (n) done(); n = 1; st = ""; id = ""; u = ""; next }
		/Acct-Status-Type = / { st = $3 }
		/Acct-Session-Id = / { id = $3; gsub(/"/, "", id) }
		/User-Name = / { u = $3; gsub(/"/, "", u) }
		function done() { if (st == t && (who == "" || id == who || u == who)) c++ }
		END { if (n) done(); print c + 0 }'
}

# radius_acct_field TYPE ATTRIBUTE [USER]: the value of ATTRIBUTE in the
# last accounting request of type TYPE (of User-Name USER), quotes removed.
radius_acct_field() {
	radius_detail | awk -v t="$1" -v a="$2" -v who="${3:-}" '
		function done() { if (st == t && (who == "" || u == who)) last = v }
		/^[A-Z][a-z][a-z] / { done(); st = ""; v = ""; u = ""; next }
		/Acct-Status-Type = / { st = $3 }
		/User-Name = / { u = $3; gsub(/"/, "", u) }
		$1 == a { v = $0; sub(/^[^=]*= /, "", v); gsub(/"/, "", v) }
		END { done(); print last }'
}

# radius_acct_values TYPE ATTRIBUTE USER: the values of ATTRIBUTE in every
# accounting request of type TYPE of User-Name USER, one per line.
radius_acct_values() {
	radius_detail | awk -v t="$1" -v a="$2" -v who="$3" '
		function done() { if (st == t && u == who && v != "") print v }
		/^[A-Z][a-z][a-z] / { done(); st = ""; v = ""; u = ""; next }
		/Acct-Status-Type = / { st = $3 }
		/User-Name = / { u = $3; gsub(/"/, "", u) }
		$1 == a { v = $0; sub(/^[^=]*= /, "", v); gsub(/"/, "", v) }
		END { done() }'
}

# radius_wait_acct TYPE WHO COUNT TIMEOUT_S: wait until COUNT requests of
# TYPE for WHO (session id or user) are logged; 1 if not in time.
radius_wait_acct() {
	local deadline
	deadline=$(deadline_after "$4")
	until [ "$(radius_acct_count "$1" "$2")" -ge "$3" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# radius_auth_config [OPTS]: the gateway's auth and acct lines.
radius_auth_config() {
	sed -i '/^auth = /d' "$CONFIG"
	printf 'auth = "radius[config=%s%s]"\nacct = "radius[config=%s]"\n' \
		"$RADIUS_CONF" "${1:+,$1}" "$RADIUS_CONF" >> "$CONFIG"
}
