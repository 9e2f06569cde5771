#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Who may use the control socket (doc/security.md, "The control socket").
# The test creates a group for the socket (occtl-socket-group, mode 0660),
# an admin group (occtl-admin-group) and three users: a reader in the
# socket's group, an admin in both groups, an outsider in neither; all are
# removed at the end. With a real client connected, each runs the real
# occtl-modern (runuser):
#   - the socket file has mode 0660 and the socket's group;
#   - the reader can show users and status, but stop now and disconnect get
#     "permission denied" (exit 1), the server logs each refusal with the
#     reader's uid, and the client stays connected;
#   - the outsider cannot connect at all (the file's permissions);
#   - the admin may act: unban answers on the merits, disconnect ends the
#     client's tunnel;
#   - a configuration with occtl-socket-mode = 0666 is refused by -t.
. "$(dirname "$0")/occtl-lib.sh"

occtl_preconditions
need_cmd useradd userdel groupadd groupdel runuser stat
it_setup 1

SOCK_GROUP=ocsm-o-$$
ADMIN_GROUP=ocsm-a-$$
READER=ocsm-r-$$
ADMIN=ocsm-d-$$
OUTSIDER=ocsm-x-$$
sec_users_cleanup() {
	local u
	for u in "$READER" "$ADMIN" "$OUTSIDER"; do
		userdel "$u" 2> /dev/null
	done
	groupdel "$SOCK_GROUP" 2> /dev/null
	groupdel "$ADMIN_GROUP" 2> /dev/null
}
# ours first, then lib.sh's (with the test's exit status)
trap 'sec_rc=$?; sec_users_cleanup; (exit $sec_rc); it_cleanup' EXIT
groupadd "$SOCK_GROUP" && groupadd "$ADMIN_GROUP" &&
	useradd -M -N -s /usr/sbin/nologin -G "$SOCK_GROUP" "$READER" &&
	useradd -M -N -s /usr/sbin/nologin -G "$SOCK_GROUP,$ADMIN_GROUP" "$ADMIN" &&
	useradd -M -N -s /usr/sbin/nologin "$OUTSIDER" ||
	hard_error "could not create the test users and groups"

write_config DPD=10 KEEPALIVE=30
cat >> "$CONFIG" <<-EOC
	occtl-socket-mode = 0660
	occtl-socket-group = $SOCK_GROUP
	occtl-admin-group = $ADMIN_GROUP
EOC
start_server
connect_client c1

# occtl_as USER ARGS...: occtl-modern run by USER; sets OCCTL_OUT, OCCTL_ERR
# and OCCTL_RC as occtl does.
occtl_as() {
	local user=$1
	shift
	OCCTL_N=$((OCCTL_N + 1))
	OCCTL_OUT=$IT_WORK/occtl-$OCCTL_N.out
	OCCTL_ERR=$IT_WORK/occtl-$OCCTL_N.err
	runuser -u "$user" -- timeout 20 "$OCCTL_BIN" -s "$IT_WORK/occtl.sock" "$@" \
		> "$OCCTL_OUT" 2> "$OCCTL_ERR" < /dev/null
	OCCTL_RC=$?
	{
		echo "\$ ($user) occtl-modern $* (exit $OCCTL_RC)"
		cat "$OCCTL_OUT"
		sed 's/^/stderr: /' "$OCCTL_ERR"
	} >> "$IT_WORK/occtl.log"
	return $OCCTL_RC
}

expect_eq "socket file mode and group" "$(stat -c '%a %G' "$IT_WORK/occtl.sock")" \
	"660 $SOCK_GROUP"

# --- the reader ---------------------------------------------------------------
occtl_as "$READER" show users
verdict "reader: show users exits 0" $? "$(cat "$OCCTL_ERR")"
grep -q " $TEST_USER " "$OCCTL_OUT"
verdict "reader: show users lists the connected user" $? "$(head -c 300 "$OCCTL_OUT")"
occtl_as "$READER" -j show status
verdict "reader: show status exits 0" $? "$(cat "$OCCTL_ERR")"
reader_uid=$(id -u "$READER")
for cmd in "stop now" "disconnect user $TEST_USER"; do
	# shellcheck disable=SC2086
	occtl_as "$READER" $cmd
	expect_eq "reader: $cmd: exit status 1" "$OCCTL_RC" 1
	grep -q "permission denied" "$OCCTL_ERR"
	verdict "reader: $cmd: permission denied" $? "$(cat "$OCCTL_ERR")"
done
wait_log "$SERVER_LOG" "occtl: stop refused to uid $reader_uid" 1 5
verdict "the server logs the refused stop with the reader's uid" $?
wait_log "$SERVER_LOG" "occtl: disconnect-user refused to uid $reader_uid" 1 5
verdict "the server logs the refused disconnect" $? \
	"$(grep -F 'refused to uid' "$SERVER_LOG" | tail -n 2)"
alive "$SERVER_PID"
verdict "server still running after the reader's stop now" $?
client_ping c1 3
verdict "the client is still connected" $?

# --- the outsider -------------------------------------------------------------
occtl_as "$OUTSIDER" show users
expect_eq "outsider: show users: exit status 1" "$OCCTL_RC" 1
grep -q "not allowed" "$OCCTL_ERR"
verdict "outsider: cannot connect to the socket" $? "$(cat "$OCCTL_ERR")"

# --- the admin ----------------------------------------------------------------
occtl_as "$ADMIN" unban ip 192.0.2.77
grep -q "not in the ban list" "$OCCTL_ERR"
verdict "admin: unban is answered on its merits" $? "$(cat "$OCCTL_ERR")"
occtl_as "$ADMIN" disconnect user "$TEST_USER"
verdict "admin: disconnect user exits 0" $? "$(cat "$OCCTL_OUT" "$OCCTL_ERR")"
wait_exit "${CLI_PID[c1]}" 10
verdict "admin's disconnect ends the client" $?

# --- a world-writable socket mode is refused ----------------------------------
sed 's/^occtl-socket-mode = 0660$/occtl-socket-mode = 0666/' "$CONFIG" > "$IT_WORK/bad.conf"
"$SERVER_BIN" -t -c "$IT_WORK/bad.conf" > "$IT_WORK/bad.out" 2>&1
expect_eq "occtl-socket-mode = 0666: -t exits 1" $? 1
grep -q "anyone may write to" "$IT_WORK/bad.out"
verdict "occtl-socket-mode = 0666: says why" $? "$(cat "$IT_WORK/bad.out")"
