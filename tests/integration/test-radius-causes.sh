#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Acct-Terminate-Cause of the ends an administrator and a shutdown cause
# (doc/radius.md), read from FreeRADIUS's detail file:
#  - occtl-modern terminate session: Stop, Admin-Reset;
#  - occtl-modern stop now (no session store: every session ends with the
#    server): Stop, NAS-Reboot, sent by sec-mod after main asked it to end
#    the sessions and before it exits.
. "$(dirname "$0")/occtl-lib.sh"
. "$(dirname "$0")/radius-lib.sh"

radius_preconditions
occtl_preconditions
it_setup 2
write_config DPD=10 KEEPALIVE=30
radius_setup
radius_user "$TEST_USER" "$TEST_PASSWORD" 'Acct-Interim-Interval = 60'
radius_user other pw2 'Acct-Interim-Interval = 60'
radius_auth_config
radius_start
start_server
connect_client c1
authenticate c2 other pw2 || fatal "login of other failed"
connect_client c2
radius_wait_acct Start other 1 5
verdict "both sessions started" $?

sid=$(radius_acct_values Start Acct-Session-Id "$TEST_USER" | head -1)
occtl terminate session "${sid:0:6}"
expect_eq "occtl terminate session: exit status" "$OCCTL_RC" 0
radius_wait_acct Stop "$TEST_USER" 1 5
verdict "a Stop after the terminate" $?
expect_eq "its Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause "$TEST_USER")" \
	Admin-Reset

occtl stop now
wait_exit "$SERVER_PID" 15 || fatal "main still running 15 s after stop now"
radius_wait_acct Stop other 1 5
verdict "a Stop for the session the shutdown ended" $?
expect_eq "its Acct-Terminate-Cause" "$(radius_acct_field Stop Acct-Terminate-Cause other)" NAS-Reboot
expect_eq "one Stop each" "$(radius_acct_count Stop)" 2
