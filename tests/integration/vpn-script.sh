#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# vpn-script.sh: a minimal replacement for vpnc-script, run by openconnect
# (--script "/bin/sh vpn-script.sh") in the test client's network namespace.
#
# It gives the real tun device the address the gateway assigned
# (INTERNAL_IP4_ADDRESS), brings it up with the advertised MTU and routes the
# VPN network (OCSM_VPN_ROUTE, default 192.168.77.0/24, which contains the
# server's tun address) through it. With an IPv6 address from the gateway
# (INTERNAL_IP6_ADDRESS, INTERNAL_IP6_NETMASK = ADDR/PREFIX) the same for IPv6,
# routing OCSM_VPN_ROUTE6 when set. No DNS, no default route: the namespace is
# the test's own and nothing else must leak into the tunnel.
#
# If OCSM_ENV_FILE is set, the environment openconnect passed is saved there,
# and CISCO_CSTP_OPTIONS (the X-CSTP-* headers of the CONNECT reply, one
# "Name=value" per line) in OCSM_ENV_FILE.cstp, on every "connect" and
# "reconnect".
set -eu

route=${OCSM_VPN_ROUTE:-192.168.77.0/24}

save_env() {
	if [ -n "${OCSM_ENV_FILE:-}" ]; then
		printf '%s\n' "${CISCO_CSTP_OPTIONS:-}" > "$OCSM_ENV_FILE.cstp"
		env > "$OCSM_ENV_FILE.tmp" && mv "$OCSM_ENV_FILE.tmp" "$OCSM_ENV_FILE"
	fi
}

case "${reason:-}" in
pre-init)
	;;
connect)
	: "${TUNDEV:?no TUNDEV from openconnect}"
	: "${INTERNAL_IP4_ADDRESS:?the gateway assigned no IPv4 address}"
	save_env
	ip link set dev "$TUNDEV" up mtu "${INTERNAL_IP4_MTU:-1400}"
	ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
	ip route replace "$route" dev "$TUNDEV"
	if [ -n "${INTERNAL_IP6_ADDRESS:-}" ]; then
		ip -6 addr add "${INTERNAL_IP6_NETMASK:-$INTERNAL_IP6_ADDRESS/128}" dev "$TUNDEV" nodad
		if [ -n "${OCSM_VPN_ROUTE6:-}" ]; then
			ip -6 route replace "$OCSM_VPN_ROUTE6" dev "$TUNDEV"
		fi
	fi
	;;
reconnect)
	# The tun survives a CSTP reconnect; openconnect checked that the
	# address is unchanged. Only record the new headers.
	save_env
	;;
attempt-reconnect|disconnect)
	# openconnect deletes the tun itself when it exits.
	;;
*)
	echo "vpn-script.sh: ignoring reason '${reason:-}'" >&2
	;;
esac
exit 0
