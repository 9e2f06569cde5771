# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# resume-lib.sh: helpers of the test-resume-*.sh scenarios (sessions that
# survive their tunnels, doc/spec/liveness.md §2, doc/sessions.md), on top of lib.sh.
# They read the server's own state (its tun devices, its log), so they apply
# to OCSM_SERVER=modern only.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# server_route_dev VPN-IP: the device name the server routes VPN-IP through.
server_route_dev() {
	in_server ip -o -4 route get "$1" 2> /dev/null | sed -nE 's/.* dev ([^ ]+).*/\1/p'
}

# logins: successful authentications the server logged.
logins() { server_count ') authenticated from '; }
