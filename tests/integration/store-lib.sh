# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# store-lib.sh: helpers of the test-store-*.sh scenarios (sessions that
# survive a restart of the daemon, doc/session-store.md), on top of
# resume-lib.sh. The store file lives in the test's work directory.

. "$(dirname "${BASH_SOURCE[0]}")/resume-lib.sh"

need_cmd sqlite3

# store_config [NAME=VALUE ...]: write_config with a persistent store in
# $STORE_DB (the directory does not exist yet: the server creates it).
store_config() {
	STORE_DB=$IT_WORK/state/sessions.db
	write_config SESSION_STORE="$STORE_DB" "$@"
}

# store_sql SQL: run SQL on the store file (read-only use: the server is the
# only writer) and print the result.
store_sql() { sqlite3 -readonly "$STORE_DB" "$1" 2> "$IT_WORK/sqlite.err"; }

# server_children: PIDs of main's children (sec-mod, the workers).
server_children() { ps -o pid= --ppid "$SERVER_PID" | tr -s ' \n' ' '; }

# secmod_pid: main's child named ocserv-sm.
secmod_pid() { ps -o pid= -o comm= --ppid "$SERVER_PID" | awk '$2 == "ocserv-sm" { print $1 }'; }

# stop_server_term: SIGTERM to main (a restart's first half); waits for it.
stop_server_term() {
	local t0
	t0=$(now_ms)
	kill -TERM "$SERVER_PID"
	if wait_exit "$SERVER_PID" 10; then
		expect_eq "main exits 0 after SIGTERM" "$EXIT_RC" 0
		it_log "main exited $((WAIT_MS - t0)) ms after SIGTERM"
	else
		fatal "main still running 10 s after SIGTERM"
	fi
}

# client_auth_posts NAME: the login requests NAME's openconnect sent (its -v
# log shows each "POST https://..." of the XML login).
client_auth_posts() { log_count "${CLI_LOG[$1]}" 'POST https://'; }

# login_connect NAME: one openconnect process logs in (password) and
# connects, and pings; sets LC_IP (its address), LC_POSTS (the login
# requests in its log) and LC_SID (the session id in the store).
login_connect() {
	start_client_password "$1"
	wait_connected "$1"
	ping_ok "$1" 2
	verdict "$1 connected and pings" $? "$PING_RESULT"
	LC_IP=${CLI_VPNIP[$1]}
	LC_POSTS=$(client_auth_posts "$1")
	LC_SID=$(store_sql "SELECT sid FROM sessions ORDER BY serial DESC LIMIT 1")
}

# expect_cookie_rejected STEP NAME: openconnect started again with NAME's old
# cookie stops at once: 401, exit status 2, "Cookie was rejected".
expect_cookie_rejected() {
	start_client "$2"
	if wait_exit "${CLI_PID[$2]}" 15; then
		expect_eq "$1. openconnect with the old cookie exits 2" "$EXIT_RC" 2
	else
		verdict "$1. openconnect with the old cookie stops" 1 "still running"
	fi
	grep -q 'Cookie was rejected' "${CLI_LOG[$2]}"
	verdict "$1. its cookie was rejected (401)" $?
}

# expect_resumed STEP NAME VPN-IP SID6 POSTS: right after start_server, NAME's
# openconnect reconnects by itself (one more "CSTP connected.") within 15 s, to session SID6 with address
# VPN-IP, with no new login (its log still shows POSTS login requests, the
# server's one login), and pings through the tunnel.
expect_resumed() {
	local step=$1 name=$2 ip=$3 sid6=$4 posts=$5 t_start n
	t_start=$(now_ms)
	n=$(grep -cF 'CSTP connected.' "${CLI_LOG[$name]}")
	if wait_log "${CLI_LOG[$name]}" 'CSTP connected.' $((n + 1)) 20; then
		expect_range "$step. $name reconnected by itself after the start" \
			$((WAIT_MS - t_start)) "" 15000
	else
		verdict "$step. $name reconnected by itself" 1 "no second 'CSTP connected.' within 20 s"
	fi
	expect_eq "$step. the same address" "$(resume_line_ip "$sid6")" "$ip"
	expect_eq "$step. no new login request from the client" "$(client_auth_posts "$name")" "$posts"
	expect_eq "$step. no new login on the server" "$(logins)" 1
	ping_ok "$name" 3
	verdict "$step. ping through the resumed tunnel" $? "$PING_RESULT"
}

# resume_line_ip SID6: the peer address of the latest "resume session SID6" line
# of the server log.
resume_line_ip() {
	grep -E "resume session $1 " "$SERVER_LOG" | tail -n 1 | sed -nE 's/.* peer ([0-9.]+),.*/\1/p'
}
