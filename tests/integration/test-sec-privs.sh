#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Who runs with which privileges (doc/security.md, "Users, groups and
# capabilities per process"), read from /proc/PID/status of the real
# processes while a real client is connected:
#   main     uid 0; effective, permitted and bounding capabilities exactly
#            CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_KILL, CAP_SETUID and
#            CAP_SETGID (0x14e0)
#   sec-mod  uid and gid of run-as-user/run-as-group (nobody/nogroup), no
#            supplementary group, no capability at all (bounding set too),
#            no_new_privs
#   worker   before the login (a client that never finishes its request)
#            and once its tunnel is up: nobody/nogroup, no capability at
#            all, no_new_privs (main's child switches before the exec)
# The password file is root's alone (0600): sec-mod, no longer root, still
# checks passwords (main passes the open file with each login), and a new
# password written as ocpasswd does (a new file renamed over the old one)
# works at the next login without a reload.
# Then the server runs again the way systemd's unit starts it
# (doc/ocserv-modern.service.in: no_new_privs, a bounding set of six
# capabilities, no CAP_SETPCAP): main cannot shrink the bounding set (it
# says so) but still holds only its five capabilities, the workers it
# starts can still switch to run-as-user, so a client connects, and on
# SIGHUP sec-mod loads the TLS key (root's alone) again from the file main
# opens for it.
# Last, a pid-file path that is a symbolic link is refused by a daemon
# start: the file it points to is never created.
. "$(dirname "$0")/lib.sh"

need_cmd setpriv
it_setup 1
chmod 0600 "$IT_WORK/passwd"
write_config DPD=10 KEEPALIVE=30
start_server
connect_client c1

MAIN_CAPS=00000000000014e0
NO_CAPS=0000000000000000

# status_of PID FIELD: a field of /proc/PID/status, tabs as spaces.
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' ' | sed 's/ *$//'; }

# child_of PID COMM: the PID of PID's child named COMM (first one).
child_of() { ps -o pid=,comm= --ppid "$1" | awk -v c="$2" '$2 == c { print $1; exit }'; }

nobody_uid=$(id -u nobody)
nogroup_gid=$(getent group nogroup | cut -d: -f3)

check_main() {
	expect_eq "$1: main's uid" "$(status_of "$SERVER_PID" Uid)" "0 0 0 0"
	expect_eq "$1: main's effective capabilities" "$(status_of "$SERVER_PID" CapEff)" $MAIN_CAPS
	expect_eq "$1: main's permitted capabilities" "$(status_of "$SERVER_PID" CapPrm)" $MAIN_CAPS
	expect_eq "$1: main's bounding set" "$(status_of "$SERVER_PID" CapBnd)" "$2"
}

check_dropped() {
	local label=$1 pid=$2 bnd=$3
	[ -n "$pid" ] || { verdict "$label found" 1; return; }
	expect_eq "$label: uid" "$(status_of "$pid" Uid)" \
		"$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
	expect_eq "$label: gid" "$(status_of "$pid" Gid)" \
		"$nogroup_gid $nogroup_gid $nogroup_gid $nogroup_gid"
	expect_eq "$label: supplementary groups" "$(status_of "$pid" Groups)" ""
	expect_eq "$label: effective capabilities" "$(status_of "$pid" CapEff)" $NO_CAPS
	expect_eq "$label: permitted capabilities" "$(status_of "$pid" CapPrm)" $NO_CAPS
	expect_eq "$label: bounding set" "$(status_of "$pid" CapBnd)" "$bnd"
	expect_eq "$label: no_new_privs" "$(status_of "$pid" NoNewPrivs)" 1
}

check_main "run as root" $MAIN_CAPS
check_dropped "sec-mod" "$(child_of "$SERVER_PID" ocserv-sm)" $NO_CAPS
# the worker is executed by main: it starts with main's bounding set, and
# without CAP_SETPCAP cannot clear it (its uid is not 0: it cannot use it)
check_dropped "worker" "$(child_of "$SERVER_PID" ocserv-modern-w)" $MAIN_CAPS

# A worker that has not seen a whole request yet: already run-as-user.
in_client c1 timeout 20 python3 "$IT_DIR/rawtls.py" --host "$SERVER_IP" --port "$PORT" \
	--ca "$IT_WORK/server-cert.pem" --timeout 6 http-incomplete > "$IT_WORK/rawtls.out" 2>&1 &
raw_pid=$!
track "$raw_pid"
tunnel_worker=$(child_of "$SERVER_PID" ocserv-modern-w)
deadline=$(deadline_after 5)
early=
# the new worker, once it has switched user (right after its start)
while [ "$(now_ms)" -lt "$deadline" ]; do
	early=$(ps -o pid=,comm= --ppid "$SERVER_PID" |
		awk -v t="$tunnel_worker" '$2 == "ocserv-modern-w" && $1 != t { print $1; exit }')
	[ -n "$early" ] && [ "$(status_of "$early" Uid)" != "0 0 0 0" ] && break
	sleep 0.05
done
if [ -n "$early" ]; then
	expect_eq "worker before the login: uid" "$(status_of "$early" Uid)" \
		"$nobody_uid $nobody_uid $nobody_uid $nobody_uid"
	expect_eq "worker before the login: effective capabilities" \
		"$(status_of "$early" CapEff)" $NO_CAPS
	expect_eq "worker before the login: permitted capabilities" \
		"$(status_of "$early" CapPrm)" $NO_CAPS
	expect_eq "worker before the login: no_new_privs" "$(status_of "$early" NoNewPrivs)" 1
else
	verdict "worker before the login found" 1
fi
kill -TERM "$raw_pid" 2> /dev/null
wait "$raw_pid" 2> /dev/null

# A new password, written as ocpasswd does: a new file renamed over the old.
hash=$(openssl passwd -6 new-secret)
printf '%s:users:%s\n' "$TEST_USER" "$hash" > "$IT_WORK/passwd.new"
chmod 0600 "$IT_WORK/passwd.new"
mv "$IT_WORK/passwd.new" "$IT_WORK/passwd"
authenticate c1 "$TEST_USER" "$TEST_PASSWORD"
expect_eq "the old password no longer logs in (no reload)" $? 1
authenticate c1 "$TEST_USER" new-secret
verdict "the new password logs in at once (no reload)" $?

# --- as systemd's unit starts it ------------------------------------------------
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 15 || fatal "server did not stop on SIGTERM"
wait_exit "${CLI_PID[c1]}" 15 || kill -TERM "${CLI_PID[c1]}"
cat > "$IT_WORK/as-systemd" <<-EOS
	#!/bin/sh
	exec setpriv --no-new-privs \
		--bounding-set=-all,+net_admin,+net_bind_service,+setuid,+setgid,+chown,+kill \
		"$SERVER_BIN" "\$@"
EOS
chmod 0755 "$IT_WORK/as-systemd"
real_bin=$SERVER_BIN
SERVER_BIN=$IT_WORK/as-systemd
OCSM_SERVER_ARGS="-d 3" start_server
SERVER_BIN=$real_bin
grep -q "no CAP_SETPCAP: the capability bounding set stays as it was given" "$SERVER_LOG"
verdict "without CAP_SETPCAP main says the bounding set stays" $?
check_main "as systemd starts it" 00000000000014e1
# a reload: sec-mod, run-as-user, loads the root-only key again from the
# file main opened for it
kill -HUP "$SERVER_PID"
wait_log "$SERVER_LOG" "server-key $IT_WORK/server-key.pem loaded again" 1 5
verdict "on SIGHUP sec-mod loads the key again" $? \
	"$(grep -F 'server-key' "$SERVER_LOG" | tail -n 1)"
expect_eq "the key is root's alone" "$(stat -c '%U %a' "$IT_WORK/server-key.pem")" "root 600"
CLI_COOKIE[c1]=
TEST_PASSWORD=new-secret connect_client c1
check_dropped "worker under no_new_privs" "$(child_of "$SERVER_PID" ocserv-modern-w)" \
	00000000000014e1
check_dropped "sec-mod under no_new_privs" "$(child_of "$SERVER_PID" ocserv-sm)" \
	00000000000014e1

# --- the pid file ---------------------------------------------------------------
ln -s "$IT_WORK/victim" "$IT_WORK/pid-link"
sed -e "s|^tcp-port = .*|tcp-port = $((PORT + 1))|" \
	-e "s|^occtl-socket-file = .*|occtl-socket-file = $IT_WORK/occtl2.sock|" \
	-e "s|^pid-file = .*|pid-file = $IT_WORK/pid-link|" "$CONFIG" > "$IT_WORK/daemon.conf"
# without -f: it forks into the background (and logs to syslog); its pid is
# that of the process listening on its port
in_server "$real_bin" -c "$IT_WORK/daemon.conf" > "$IT_WORK/daemon.out" 2>&1 < /dev/null
deadline=$(deadline_after 15)
daemon_pid=
while [ -z "$daemon_pid" ] && [ "$(now_ms)" -lt "$deadline" ]; do
	daemon_pid=$(in_server ss -Hltnp "sport = :$((PORT + 1))" | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' |
		head -n 1)
	[ -n "$daemon_pid" ] || sleep 0.05
done
[ -n "$daemon_pid" ] || fatal "the daemon did not start listening ($(cat "$IT_WORK/daemon.out"))"
track "$daemon_pid"
[ ! -e "$IT_WORK/victim" ] && [ -L "$IT_WORK/pid-link" ]
verdict "a pid-file that is a symbolic link is not followed: its target was not created" $?
kill -TERM "$daemon_pid"
n=0
while alive "$daemon_pid" && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
alive "$daemon_pid"
expect_eq "the daemon stopped on SIGTERM" $? 1
