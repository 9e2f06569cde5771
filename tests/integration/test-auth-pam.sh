#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# auth = "pam[gid-min=N]" with the real openconnect client, system users the
# test creates (random names, removed at the end) and a PAM service file
# /etc/pam.d/ocserv-modern the test installs (an existing one is put back at
# the end):
#
#   auth [success=1 default=ignore] pam_succeed_if.so quiet user notin SLOW
#   auth required pam_exec.so quiet /bin/sleep 8        (SLOW only)
#   auth required pam_unix.so nodelay
#   auth [success=1 default=ignore] pam_succeed_if.so quiet user notin OTP
#   auth required pam_oath.so usersfile=FILE window=3  (OTP only)
#   account required pam_unix.so
#
# Shown:
#  - right password: a cookie and a tunnel; the session's group is the user's
#    group with a gid >= gid-min (occtl-modern), not his private group;
#  - wrong password: 401, and the address gets ban points (banned at the
#    third, max-ban-score 30);
#  - a second PAM prompt (pam_oath's) is shown as a further login form and
#    answered with the code oathtool computes;
#  - the PAM helper: uid 0 with no capability at all (effective, permitted,
#    bounding), no_new_privs, and what a module executes (pam_exec's sleep)
#    has none either;
#  - a client that gives up at the further form: main tells sec-mod, which
#    drops the login and ends its PAM conversation process;
#  - sec-mod never waits for PAM: while the slow user's PAM stack sleeps,
#    another user logs in, start to cookie, and the slow login then
#    completes too (order only, no timing).
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/sec-lib.sh"

[ "$OCSM_SERVER" = modern ] || skip "ocserv-modern's PAM helper only"
need_cmd useradd userdel groupadd groupdel chpasswd oathtool getent
MODDIR=$(dirname "$(find /lib /usr/lib -name pam_unix.so -print -quit 2> /dev/null)")
for m in pam_unix pam_exec pam_succeed_if pam_oath; do
	[ -e "$MODDIR/$m.so" ] || skip "PAM module $m not installed (scripts/install-deps.sh)"
done

PAMD=/etc/pam.d/ocserv-modern
SECRET=3132333435363738393031323334353637383930
SUFFIX=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
U_OK=ocsmp$SUFFIX
U_SLOW=ocsms$SUFFIX
U_OTP=ocsmo$SUFFIX
GRP=ocsmg$SUFFIX
PW_OK=pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
PAMD_SAVED=

pam_cleanup() {
	local u
	for u in "$U_OK" "$U_SLOW" "$U_OTP"; do
		getent passwd "$u" > /dev/null && userdel "$u" 2> /dev/null
		getent group "$u" > /dev/null && groupdel "$u" 2> /dev/null
	done
	getent group "$GRP" > /dev/null && groupdel "$GRP" 2> /dev/null
	rm -f "$PAMD"
	[ -n "$PAMD_SAVED" ] && mv "$PAMD_SAVED" "$PAMD"
}

it_setup 2
IT_AT_EXIT+=(pam_cleanup)

groupadd -K GID_MIN=60000 -K GID_MAX=64999 "$GRP" || hard_error "groupadd $GRP"
GID=$(getent group "$GRP" | cut -d: -f3)
for u in "$U_OK" "$U_SLOW" "$U_OTP"; do
	useradd -M -s /usr/sbin/nologin -G "$GRP" "$u" || hard_error "useradd $u"
	printf '%s:%s\n' "$u" "$PW_OK" | chpasswd || hard_error "chpasswd $u"
done
printf 'HOTP/T30 %s - %s\n' "$U_OTP" "$SECRET" > "$IT_WORK/users.oath"
chmod 600 "$IT_WORK/users.oath"
if [ -e "$PAMD" ]; then
	PAMD_SAVED=$IT_WORK/pam.d-saved
	cp -p "$PAMD" "$PAMD_SAVED" || hard_error "saving $PAMD"
fi
cat > "$PAMD" << EOF
auth [success=1 default=ignore] pam_succeed_if.so quiet user notin $U_SLOW
auth required pam_exec.so quiet /bin/sleep 8
auth required pam_unix.so nodelay
auth [success=1 default=ignore] pam_succeed_if.so quiet user notin $U_OTP
auth required pam_oath.so usersfile=$IT_WORK/users.oath window=3
account required pam_unix.so
EOF

write_config MAX_BAN_SCORE=30 BAN_TIME=120
sed -i "s|^auth = .*|auth = \"pam[gid-min=$GID]\"|" "$CONFIG"
start_server

# --- the helper's privileges ---
SM=$(secmod_pid)
HELPER=$(child_pids "$SM" ocserv-pam | head -n 1)
[ -n "$HELPER" ]
verdict "sec-mod forked the PAM helper" $? "sec-mod $SM"
status_of() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' ' | sed 's/ *$//'; }
expect_eq "PAM helper: uid" "$(status_of "$HELPER" Uid)" "0 0 0 0"
expect_eq "PAM helper: effective capabilities" "$(status_of "$HELPER" CapEff)" 0000000000000000
expect_eq "PAM helper: permitted capabilities" "$(status_of "$HELPER" CapPrm)" 0000000000000000
expect_eq "PAM helper: bounding set" "$(status_of "$HELPER" CapBnd)" 0000000000000000
expect_eq "PAM helper: no_new_privs" "$(status_of "$HELPER" NoNewPrivs)" 1
expect_eq "sec-mod itself: not root" "$(status_of "$SM" Uid | cut -d' ' -f1)" "$(id -u nobody)"

# --- right and wrong passwords ---
authenticate c1 "$U_OK" "$PW_OK"
expect_eq "right password: client exit status" "$?" 0
connect_client c1
client_ping c1 3 > /dev/null
verdict "a tunnel with that cookie: ping" $?
occtl_json show users
expect_eq "the session's group: the user's group with gid >= gid-min" \
	"$(jget '[u["Groupname"] for u in d if u["Username"] == "'"$U_OK"'"]')" "[\"$GRP\"]"
kill "${CLI_PID[c1]}" 2> /dev/null
wait_exit "${CLI_PID[c1]}" 10 > /dev/null 2>&1

for i in 1 2 3; do
	authenticate c1 "$U_OK" wrong-password
	rc=$?
	ok=1; [ "$rc" != 0 ] && grep -q 'HTTP/1.1 401' "$AUTH_LOG" && ok=0
	verdict "wrong password ($i): 401" $ok "exit $rc"
done
occtl_json show ip bans
expect_eq "three wrong passwords banned the address" "$(jget '[b["IP"] for b in d]')" '["10.77.0.2"]'

# --- a second PAM prompt as a further form (from c2: c1 is banned) ---
code=$(oathtool --totp "$SECRET")
AUTH_LOG=$IT_WORK/c2-otp.log
printf '%s\n%s\n' "$PW_OK" "$code" | timeout 30 ip netns exec "${CLI_NS[c2]}" \
	openconnect --passwd-on-stdin -u "$U_OTP" --authenticate \
	--servercert "$PIN" "$URL" > "$AUTH_LOG.out" 2> "$AUTH_LOG"
rc=$?
expect_eq "password, then pam_oath's prompt as a further form: client exit status" "$rc" 0
grep -q 'One-time password' "$AUTH_LOG"
verdict "the client showed pam_oath's prompt" $? "$(grep -m1 -i 'password' "$AUTH_LOG")"
grep -q '^COOKIE=' "$AUTH_LOG.out"
verdict "password + code: a cookie" $?

# --- a client that leaves at the further form: its conversation ends ---
conversations() { ps -o pid= --ppid "$HELPER" | wc -l; }
AUTH_LOG=$IT_WORK/c2-leave.log
printf '%s\n' "$PW_OK" | timeout 30 ip netns exec "${CLI_NS[c2]}" \
	openconnect --passwd-on-stdin -u "$U_OTP" --authenticate \
	--servercert "$PIN" "$URL" > /dev/null 2> "$AUTH_LOG"
rc=$?
ok=1; [ $rc != 0 ] && grep -q 'One-time password' "$AUTH_LOG" && ok=0
verdict "a client without an answer to pam_oath's prompt gives up" $ok "exit $rc"
wait_log "$SERVER_LOG" "login of '$U_OTP' from 10.77.0.3 dropped: its connection is gone" 1 10
verdict "main told sec-mod, which dropped the login" $?
deadline=$(deadline_after 10)
while [ "$(conversations)" != 0 ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
expect_eq "its PAM conversation process ended" "$(conversations)" 0

# --- a slow PAM module does not hold other logins up ---
SLOW_LOG=$IT_WORK/c2-slow.log
printf '%s\n' "$PW_OK" | timeout 40 ip netns exec "${CLI_NS[c2]}" \
	openconnect --non-inter --passwd-on-stdin -u "$U_SLOW" --authenticate \
	--servercert "$PIN" "$URL" > "$SLOW_LOG.out" 2> "$SLOW_LOG" &
SLOW_PID=$!
track "$SLOW_PID"
# the slow user's conversation is sleeping in pam_exec: find its sleep
deadline=$(deadline_after 10)
SLEEP_PID=
while [ -z "$SLEEP_PID" ] && [ "$(now_ms)" -lt "$deadline" ]; do
	for c in $(ps -o pid= --ppid "$HELPER"); do
		SLEEP_PID=$(child_pids "$c" sleep | head -n 1)
		[ -n "$SLEEP_PID" ] && break
	done
	sleep 0.05
done
[ -n "$SLEEP_PID" ]
verdict "the slow user's PAM stack runs pam_exec's sleep" $?
if [ -n "$SLEEP_PID" ]; then
	expect_eq "what a PAM module executes: uid" "$(status_of "$SLEEP_PID" Uid)" "0 0 0 0"
	expect_eq "what a PAM module executes: no capability" "$(status_of "$SLEEP_PID" CapEff)" 0000000000000000
	expect_eq "what a PAM module executes: none permitted" "$(status_of "$SLEEP_PID" CapPrm)" 0000000000000000
fi
authenticate c2 "$U_OK" "$PW_OK"
expect_eq "another login while PAM sleeps: client exit status" "$?" 0
alive "$SLOW_PID"
verdict "... and it completed while the slow login still waited" $?
alive "$SLEEP_PID"
verdict "... with the slow module still sleeping" $?
wait "$SLOW_PID"
expect_eq "the slow login completes too: client exit status" "$?" 0
grep -q '^COOKIE=' "$SLOW_LOG.out"
verdict "the slow login got a cookie" $?

alive "$SERVER_PID"
verdict "server still running" $?
