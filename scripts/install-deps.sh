#!/bin/sh
# Install the Debian 12 packages needed to build, test and demo ocserv-modern.
# Idempotent: apt-get only, and only when something is missing.
set -eu

PKGS="
build-essential autoconf automake libtool pkg-config
libgnutls28-dev gnutls-bin libev-dev libtalloc-dev
libprotobuf-c-dev protobuf-c-compiler
libnl-3-dev libnl-route-3-dev libcrypt-dev libedit-dev libcap-ng-dev libseccomp-dev
libsqlite3-dev sqlite3
libradcli-dev freeradius
libhiredis-dev redis-server
liboath-dev oathtool libpam0g-dev libpam-oath
check gcovr
clang libclang-rt-14-dev
openconnect libopenconnect-dev iproute2 nftables iputils-ping procps python3 openssl
haproxy
debhelper lintian libsystemd-dev systemd
prometheus curl iperf3
"

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: must run as root (apt-get install)" >&2
    exit 1
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once per machine boot-ish; a stale list makes
# installs fail with 404s.
if [ ! -f /var/lib/apt/periodic/ocserv-modern-updated ] || \
   [ -n "$(find /var/lib/apt/lists -maxdepth 0 -mmin +720 2>/dev/null)" ]; then
    apt-get update -q
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/ocserv-modern-updated
fi
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
