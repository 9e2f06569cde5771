#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-deb.sh [TARBALL]: the Debian package, end to end, on this machine.
#
#  1. builds it with dpkg-buildpackage -us -uc -b in a copy under /tmp: of
#     TARBALL (a `make dist` tarball) when given, else of this source tree;
#  2. runs lintian on it: no error allowed, warnings are printed;
#  3. installs it with apt-get and checks what it installed: the programs,
#     the manual pages, the unit, the conffile, the system user, the runtime
#     and state directories, the certificate and the empty password file;
#  4. `ocserv-modern -t` on the installed configuration;
#  5. adds an account the way README.Debian says, starts the installed
#     gateway with the installed configuration in a network namespace (not
#     with systemd: CI has no systemd PID 1), with only the listen address
#     and port changed in a copy, and with no capability but those of the
#     unit's CapabilityBoundingSet= (setpriv), and connects the real
#     openconnect client from another namespace; the installed occtl-modern
#     sees the session;
#  6. purges the package and checks that the user, the conffile, the files
#     the postinst made and the directories are gone.
#
# Root only (skips otherwise). It refuses to run (skip) when ocserv-modern is
# already installed: it would purge someone's installation. Whatever
# happens, the trap stops what the test started and purges the package if
# the test installed it.

# The build alone takes about a minute on two cores.
export OCSM_TEST_TIMEOUT=${OCSM_TEST_TIMEOUT:-900}
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

PKG=ocserv-modern
TARBALL=${1:-}
DEB_INSTALLED=0

deb_purge() {
	[ "$DEB_INSTALLED" = 1 ] || return 0
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PKG" > "$IT_WORK/purge-trap.log" 2>&1 ||
		echo "test-deb: purging $PKG failed, see $IT_WORK/purge-trap.log"
	DEB_INSTALLED=0
}

installed() { dpkg-query -W -f='${Status}' "$PKG" 2> /dev/null | grep -q 'install ok installed'; }

[ "$(id -u)" = 0 ] || skip "needs root (apt-get, network namespaces)"
need_cmd dpkg-buildpackage dpkg-checkbuilddeps apt-get lintian
if dpkg-query -W -f='${Status}' "$PKG" 2> /dev/null | grep -q 'installed'; then
	skip "$PKG is already installed here: this test would purge it"
fi
if [ -n "$TARBALL" ]; then
	[ -f "$TARBALL" ] || hard_error "no such tarball: $TARBALL"
	TARBALL=$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")
fi

# The installed gateway; it finds its worker next to itself, as installed.
OCSM_SERVER_BIN=/usr/sbin/ocserv-modern
unset OCSERV_MODERN_WORKER
it_setup 1
IT_AT_EXIT+=(deb_purge)

# --- 1. build ------------------------------------------------------------
src=$IT_WORK/build/$PKG
mkdir -p "$src"
if [ -n "$TARBALL" ]; then
	tar -xzf "$TARBALL" -C "$src" --strip-components=1 || hard_error "unpacking $TARBALL"
	it_log "building from $(basename "$TARBALL")"
elif git -C "$top_srcdir" rev-parse --git-dir > /dev/null 2>&1; then
	# the tree as it is (modified and new files too), without build output
	(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 tar -cf - --no-recursion 2> /dev/null) | tar -xf - -C "$src" ||
		hard_error "copying the tree"
	it_log "building from the source tree $top_srcdir"
else
	tar -C "$top_srcdir" --exclude='./_build*' --exclude=./.git -cf - . | tar -xf - -C "$src" ||
		hard_error "copying the tree"
	it_log "building from the source tree $top_srcdir"
fi
[ -f "$src/debian/control" ] || fatal "no debian/control in what is built (is debian/ in the tarball?)"

# One version (NEWS): configure.ac's AC_INIT, debian/changelog, NEWS.
AC_VERSION=$(sed -n 's/^AC_INIT(\[ocserv-modern\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
DEB_VERSION=$(cd "$src" && dpkg-parsechangelog -S Version)
NEWS_VERSION=$(sed -n 's/^\([0-9][0-9.]*\) (.*/\1/p' "$src/NEWS" 2> /dev/null | head -n 1)
expect_eq "debian/changelog version is configure.ac's" "$DEB_VERSION" "$AC_VERSION"
expect_eq "NEWS' latest version is configure.ac's" "$NEWS_VERSION" "$AC_VERSION"
(cd "$src" && dpkg-checkbuilddeps) > "$IT_WORK/builddeps.log" 2>&1 ||
	hard_error "build dependencies missing (run scripts/install-deps.sh): $(cat "$IT_WORK/builddeps.log")"
t0=$(now_ms)
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(nproc)") > "$IT_WORK/build.log" 2>&1
verdict "dpkg-buildpackage -us -uc -b" $? "$(fmt_ms $(($(now_ms) - t0))) s, log build.log"
deb=$(ls "$IT_WORK"/build/${PKG}_*.deb 2> /dev/null | head -n 1)
changes=$(ls "$IT_WORK"/build/${PKG}_*.changes 2> /dev/null | head -n 1)
[ -n "$deb" ] && [ -n "$changes" ] || fatal "no .deb or .changes was built (see build.log)"
grep -E '^# (TOTAL|PASS|FAIL|ERROR):' "$IT_WORK/build.log" | tr '\n' ' '
echo
# The liveness engine is split off as a library and its development files.
libdeb=$(ls "$IT_WORK"/build/libocsm-liveness0_*.deb 2> /dev/null | head -n 1)
devdeb=$(ls "$IT_WORK"/build/libocsm-liveness-dev_*.deb 2> /dev/null | head -n 1)
ok=1
[ -n "$libdeb" ] && dpkg-deb -c "$libdeb" | grep -q 'libocsm-liveness\.so\.0' && ok=0
verdict "libocsm-liveness0 holds the shared library" $ok "$(basename "${libdeb:-none}")"
ok=1
[ -n "$devdeb" ] && dpkg-deb -c "$devdeb" | grep -q 'pkgconfig/ocsm-liveness\.pc' &&
	dpkg-deb -c "$devdeb" | grep -q 'include/ocsm-liveness/vpn/tunnel\.h' && ok=0
verdict "libocsm-liveness-dev holds the headers and the pkg-config file" $ok "$(basename "${devdeb:-none}")"

# --- 2. lintian ------------------------------------------------------------
lintian --pedantic -I "$changes" > "$IT_WORK/lintian.log" 2>&1
# lintian says this of every run as root; it is no finding about the package
grep -v 'running with root privileges' "$IT_WORK/lintian.log" | sed 's/^/lintian: /'
nerr=$(grep -c '^E: ' "$IT_WORK/lintian.log")
nwarn=$(grep -c '^W: ' "$IT_WORK/lintian.log")
expect_eq "lintian errors" "$nerr" 0
it_log "lintian: $nerr error(s), $nwarn warning(s)"

# --- 3. install ------------------------------------------------------------
DEB_INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
	> "$IT_WORK/install.log" 2>&1
verdict "apt-get install $(basename "$deb")" $? "log install.log"
installed || fatal "$PKG is not installed after apt-get install"

unit=$(dpkg -L "$PKG" | grep '/systemd/system/ocserv-modern.service$')
for f in /usr/sbin/ocserv-modern /usr/sbin/ocserv-modern-worker /usr/bin/occtl-modern; do
	[ -x "$f" ]
	verdict "installed program $f" $?
done
for m in ocserv-modern ocserv-modern-worker occtl-modern; do
	[ -f "/usr/share/man/man8/$m.8.gz" ]
	verdict "manual page $m(8)" $?
done
expect_eq "ocserv-modern -v" "$(/usr/sbin/ocserv-modern -v)" "ocserv-modern $DEB_VERSION"
[ -n "$unit" ] && [ -f "$unit" ]
verdict "systemd unit installed" $? "$unit"
expect_eq "the unit's Type= (the package is built with libsystemd)" \
	"$(sed -n 's/^Type=//p' "$unit" 2> /dev/null)" notify
expect_eq "conffiles: the configuration and the PAM service of auth = pam" \
	"$(dpkg-query -W -f='${Conffiles}' "$PKG" | awk 'NF { print $1 }' | sort | tr '\n' ' ')" \
	"/etc/ocserv-modern/ocserv.conf /etc/pam.d/ocserv-modern "
getent passwd ocserv-modern > /dev/null
verdict "system user ocserv-modern (sysusers.d)" $?
for d in /run/ocserv-modern /var/lib/ocserv-modern; do
	[ -d "$d" ]
	verdict "directory $d (tmpfiles.d)" $?
done
expect_eq "occtl-modern's default socket leads to the runtime directory" \
	"$(readlink /run/occtl-modern.socket)" /run/ocserv-modern/occtl.socket
expect_eq "server-key.pem mode" "$(stat -c %a /etc/ocserv-modern/server-key.pem 2> /dev/null)" 600
expect_eq "ocpasswd mode" "$(stat -c %a /etc/ocserv-modern/ocpasswd 2> /dev/null)" 600
expect_eq "ocpasswd has no account" \
	"$(grep -cv '^#' /etc/ocserv-modern/ocpasswd 2> /dev/null)" 0
if command -v systemd-analyze > /dev/null 2>&1 && [ -n "$unit" ]; then
	exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	it_log "systemd-analyze security --offline=true: exposure $exposure"
fi

# --- 4. the installed configuration is valid --------------------------------
/usr/sbin/ocserv-modern -t -c /etc/ocserv-modern/ocserv.conf > "$IT_WORK/check.log" 2>&1
verdict "ocserv-modern -t -c /etc/ocserv-modern/ocserv.conf" $? "$(cat "$IT_WORK/check.log")"

# --- 5. the installed gateway serves a real client --------------------------
# An account, as README.Debian says to add one.
printf '%s:users:%s\n' "$TEST_USER" "$(openssl passwd -6 "$TEST_PASSWORD")" \
	>> /etc/ocserv-modern/ocpasswd
# Only where it listens differs from the installed configuration.
CONFIG=$IT_WORK/server.conf
sed -e "s/^tcp-port = .*/tcp-port = $PORT/" -e "s/^udp-port = .*/udp-port = $PORT/" \
	/etc/ocserv-modern/ocserv.conf > "$CONFIG"
echo "listen-host = $SERVER_IP" >> "$CONFIG"
expect_eq "the copy differs only in where it listens" \
	"$(diff /etc/ocserv-modern/ocserv.conf "$CONFIG" | grep -c '^>')" 3
PIN="pin-sha256:$(openssl x509 -in /etc/ocserv-modern/server-cert.pem -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
# The pool is the installed one (ipv4-network = A.B.C.D/N): the server's
# tun address is its first address.
pool=$(sed -n 's/^ipv4-network = \([0-9.]*\)\/\([0-9]*\)$/\1 \2/p' "$CONFIG")
[ -n "$pool" ] || fatal "no ipv4-network = A.B.C.D/N in the installed configuration"
read -r VPN_NET VPN_PREFIX <<< "$pool"
SERVER_VPN_IP=${VPN_NET%.*}.$((${VPN_NET##*.} + 1))
# With no capability but those the unit keeps (CapabilityBoundingSet=, and
# NoNewPrivileges=): what systemd would give it, the sandbox's mounts aside.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
	sed -e 's/cap_//g' -e 's/ \+/,+/g' -e 's/^/+/')
[ -n "$caps" ] || fatal "no CapabilityBoundingSet= in $unit"
it_log "the gateway's capabilities: $caps"
printf '#!/bin/sh\nexec setpriv --bounding-set -all,%s --inh-caps -all --no-new-privs /usr/sbin/ocserv-modern "$@"\n' \
	"$caps" > "$IT_WORK/ocserv-modern-caps"
chmod +x "$IT_WORK/ocserv-modern-caps"
SERVER_BIN=$IT_WORK/ocserv-modern-caps
start_server
expect_eq "main's bounding set is the unit's" \
	"$(awk '/^CapBnd:/ { print $2 }' "/proc/$SERVER_PID/status")" \
	"$(setpriv --bounding-set "-all,$caps" awk '/^CapBnd:/ { print $2 }' /proc/self/status)"
connect_client c1
client_ping c1 3
verdict "ping through the tunnel of the installed gateway" $?
[ -f /var/lib/ocserv-modern/sessions.db ]
verdict "the session store is in the state directory" $? "/var/lib/ocserv-modern/sessions.db"
occtl_out=$(/usr/bin/occtl-modern show users 2>&1)
echo "$occtl_out" | grep -q " $TEST_USER "
verdict "installed occtl-modern (default socket) shows the user" $? "$(echo "$occtl_out" | tail -n 1)"
# main's children: sec-mod, the worker zygote and the tunnel's worker (and
# the login's worker while it winds down), every one as run-as-user
kids=$(ps -o uid= --ppid "$SERVER_PID" | tr -d ' ')
n_kids=$(echo "$kids" | grep -c .)
ok=1; [ "$n_kids" -ge 3 ] && ok=0
verdict "main's children: sec-mod, the worker zygote, the worker" $ok "$n_kids"
expect_eq "every one runs as run-as-user ocserv-modern" \
	"$(echo "$kids" | grep -cx "$(id -u ocserv-modern)")" "$n_kids"
kill -TERM "$SERVER_PID"
wait_exit "$SERVER_PID" 15
verdict "gateway stopped on SIGTERM" $? "exit ${EXIT_RC:-?}"
wait_exit "${CLI_PID[c1]}" 15 || kill -TERM "${CLI_PID[c1]}"

# --- 6. purge --------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$PKG" > "$IT_WORK/purge.log" 2>&1
verdict "apt-get purge $PKG" $? "log purge.log"
installed
[ $? != 0 ]
verdict "package gone" $?
DEB_INSTALLED=0
getent passwd ocserv-modern > /dev/null
[ $? = 2 ]
verdict "user ocserv-modern removed" $?
getent group ocserv-modern > /dev/null
[ $? = 2 ]
verdict "group ocserv-modern removed" $?
for p in /etc/ocserv-modern /etc/pam.d/ocserv-modern /var/lib/ocserv-modern /run/ocserv-modern /run/occtl-modern.socket \
	/usr/sbin/ocserv-modern /usr/lib/sysusers.d/ocserv-modern.conf "$unit"; do
	[ ! -e "$p" ] && [ ! -L "$p" ]
	verdict "$p removed" $?
done
exit 0
