# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# resume-lib.sh: helpers of the test-resume-*.sh scenarios (sessions that
# survive their tunnels, doc/spec/liveness.md §2, doc/sessions.md), on top of lib.sh.
# They read the server's own state (its tun devices, its log), so they apply
# to OCSM_SERVER=modern only.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# server_dev_of VPN-IP: "NAME/IFINDEX" of the server's tun device whose peer
# is VPN-IP (empty if none). The index tells a kept device from a new one
# that got the same name.
server_dev_of() {
	local line
	line=$(in_server ip -o -4 addr show 2> /dev/null | grep -F " peer $1/32 " | head -n 1)
	[ -n "$line" ] || return 0
	echo "${line#*: }" | awk -v i="${line%%:*}" '{ print $1 "/" i }'
}

# server_route_dev VPN-IP: the device name the server routes VPN-IP through.
server_route_dev() {
	in_server ip -o -4 route get "$1" 2> /dev/null | sed -nE 's/.* dev ([^ ]+).*/\1/p'
}

# count_server LINE: lines of the server log containing the fixed string.
count_server() {
	local n
	n=$(grep -cF -- "$1" "$SERVER_LOG" 2> /dev/null) || n=0
	echo "$n"
}

# logins: successful authentications the server logged.
logins() { count_server ') authenticated from '; }

# ping_ok NAME COUNT: COUNT pings through NAME's tunnel, all answered?
ping_ok() {
	local rx tx
	client_ping "$1" "$2"
	read -r tx rx <<< "$(ping_summary "$IT_WORK/$1-ping.log")"
	PING_RESULT="${rx:-0}/${tx:-0} answered"
	[ "${rx:-0}" -ge 1 ] && [ "${rx:-0}" = "${tx:-x}" ]
}
