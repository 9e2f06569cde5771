#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libocsm-liveness as another server would use it: install the build into a
# staging directory, compile examples/udp-liveness.c against the INSTALLED
# headers and library through pkg-config (nothing from the build tree),
# and run it: a peer that sends one datagram and then stays silent is
# probed and declared dead by DPD at 3 x dpd.
#
#   tests/lib/test-installed-example.sh BUILDDIR
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: $0 BUILDDIR}" && pwd)
work=$(mktemp -d /tmp/ocsm-libtest.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT

make -s -C "$build" install DESTDIR="$work/stage" > "$work/install.log" 2>&1 ||
	{ tail -n 20 "$work/install.log"; exit 1; }
pc=$(find "$work/stage" -name ocsm-liveness.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: ocsm-liveness.pc not installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$work/stage
cp "$src/examples/udp-liveness.c" "$src/examples/Makefile" "$work/"
make -s -C "$work" udp-liveness CFLAGS='-O2 -Wall -Wextra -Werror'
echo "PASS: examples/udp-liveness built against the installed library ($(pkg-config --modversion ocsm-liveness))"
if ldd "$work/udp-liveness" | grep -q "$build"; then
	echo "FAIL: the example links something from the build tree"; exit 1
fi

port=$((20000 + $$ % 20000))
dpd=300
LD_LIBRARY_PATH=$libdir "$work/udp-liveness" $port $dpd > "$work/out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/out" && break; sleep 0.1; done
t0=$(date +%s%3N)
printf '\000hello' > "/dev/udp/127.0.0.1/$port"
for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.05; done
t1=$(date +%s%3N)
wait "$pid" || { cat "$work/out"; echo "FAIL: example exited non-zero"; exit 1; }
pid=
cat "$work/out"
grep -q 'tunnel ended: dpd-timeout' "$work/out" || { echo "FAIL: no DPD end"; exit 1; }
probes=$(grep -c 'DPD probe sent' "$work/out")
[ "$probes" -ge 2 ] || { echo "FAIL: $probes probes, want >= 2"; exit 1; }
ended=$(sed -n 's/^ *\([0-9]*\) ms: tunnel ended.*/\1/p' "$work/out")
# The engine ends it at exactly 3 x dpd after the last frame; the example's
# clock started just before the datagram, so the line says >= 3 x dpd.
[ "$ended" -ge $((3 * dpd)) ] || { echo "FAIL: ended at $ended ms, before 3 x dpd"; exit 1; }
echo "PASS: DPD ended the silent peer's tunnel (at $ended ms; 3 x dpd = $((3 * dpd)) ms; $probes probes; $((t1 - t0)) ms wall)"
